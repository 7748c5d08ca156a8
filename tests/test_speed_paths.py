"""The fast paths agree with the simple ones: the C scanner (logcrunch/_fastscan.c, scan_block)
line by line against formats.token_level and the per-line reference, its exact integer arithmetic
at the edges (long numbers, overflowing sums, more keys than its table holds), and split files end
to end. tests/test_fastscan_rules.py compares every other output of scan_block with the Python
rules (stamps, hours, templates, overrides, the admit filter)."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from logcrunch import formats, scan
from logcrunch.scan import ScanConfig, scan_file

sys.path.insert(0, str(Path(__file__).parent))
from reference_scan import reference_scan  # noqa: E402

from tests.helpers import logfmt_lines  # noqa: E402

native = scan.native_scanner()
needs_c = pytest.mark.skipif(native is None, reason="logcrunch._fastscan is not built")


def test_c_extension_is_built_where_a_compiler_exists():
    if os.environ.get("LOGCRUNCH_NO_C", "") not in ("", "0"):
        pytest.skip("LOGCRUNCH_NO_C is set")
    headers = Path(sysconfig.get_paths()["include"]) / "Python.h"
    if not (shutil.which("gcc") or shutil.which("cc")) or not headers.exists():
        pytest.skip("no C compiler or Python headers here")
    assert native is not None, "pip install -e . should have built logcrunch._fastscan"


def test_logcrunch_no_c_forces_the_python_path():
    code = "from logcrunch.scan import native_scanner; print(native_scanner() is None)"
    env = {**os.environ, "LOGCRUNCH_NO_C": "1"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert result.stdout.strip() == "True"


# --- the level rule, line by line ----------------------------------------------------------------

LEVEL_FRAGMENTS = [
    b"ERROR", b"ERR", b"WARN", b"WARNING", b"INFO", b"INFORMATION", b"FATAL", b"EMERGENCY",
    b"error", b"Warn", b"information", b"fine", b"[", b"]", b"[core:", b"[a.b-c_d:", b"[9:",
    b"level=", b"lvl=", b"severity=", b"Level=", b'"', b"'", b"Caused by: ", b"Traceback (",
    b"java.io.", b"IOException", b"Exception", b"XError", b"Throwable", b"$", b".", b"_",
    b" ", b"\t", b"\r", b"\x0b", b"\x0c", b"\x1c", b":", b",", b";", b"|", b"<", b">", b"(",
    b")", b"=", b"x", b"Q", b"7", b"\xff", b"\x00", b"ERRORS", b"s", b"l",
]  # fmt: skip


THRESHOLD = (2026, 11, 28, 0, 0, 0)


def c_line_level(content: bytes) -> int:
    """The built-in level class of one line by the C scanner (NONE: no level token)."""
    result = native.scan_block(content + b"\n", True, None, -1, THRESHOLD, -1, None, None, False)
    _lines, errors, warns, levelled = result[:4]
    if errors or warns:
        return formats.ERROR if errors else formats.WARN
    return formats.NEUTRAL if levelled else formats.NONE


@needs_c
@settings(max_examples=3000, deadline=None)
@given(
    st.one_of(
        st.lists(st.sampled_from(LEVEL_FRAGMENTS), max_size=12).map(b"".join),
        st.binary(max_size=40).map(lambda raw: raw.replace(b"\n", b" ")),
    )
)
def test_c_level_is_the_token_rule(content):
    content = content.replace(b"\n", b"")
    visible = content[:-1] if content.endswith(b"\r") else content
    assert c_line_level(content) == formats.token_level(visible)


@needs_c
@pytest.mark.parametrize(
    "line",
    [
        b"Nov 27 02:00:01 node07 api[4242]: WARN request handled path=/x latency_ms=123",
        b"java.lang.IllegalStateException: ERROR in state machine",
        b"a.9b.CError: ERROR",
        b"$.Error ERROR",
        b"Error: ERROR",
        b"XError\tFATAL",
        b"x..YError ERROR",
        b"[core:warn] [x:ERROR]",
        b"[x:y:error] WARN",
        b'level="Error',
        b"lvl='fatal' ",
        b"slevel=error WARN",
        b"\x0bERROR",
        b"(FATAL)",
        b"ERROR\r",
    ],
)
def test_c_level_on_tricky_lines(line):
    visible = line[:-1] if line.endswith(b"\r") else line
    assert c_line_level(line) == formats.token_level(visible)


# --- logfmt numbers against the reference ---------------------------------------------------------



# Past the sniffed 64 KiB, which are always scanned as one block. Not one run of lowercase letters:
# formats._COLON_RE takes time quadratic in such a run (see tests/test_fastscan_rules.py).
PADDING = b"p " * 33_000 + b"\n"


@pytest.fixture(params=["c", "python"])
def both_paths(request):
    """The C fast path and the pure-Python one, in turn."""
    if request.param == "c" and native is None:
        pytest.skip("logcrunch._fastscan is not built")
    saved = scan._native
    if request.param == "python":
        scan._native = None
    yield request.param
    scan._native = saved


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    lines=st.lists(logfmt_lines(), max_size=30),
    crlf=st.booleans(),
    chunk_size=st.sampled_from([16, 1 << 20]),
    max_metrics=st.sampled_from([1, 2, 3, 100]),
    padded=st.booleans(),
)
def test_scanner_logfmt_numbers_match_the_reference(
    both_paths, tmp_path, lines, crlf, chunk_size, max_metrics, padded
):
    data = b"".join(line + (b"\r\n" if crlf else b"\n") for line in lines)
    if padded:  # the first 64 KiB are one block; past them, each chunk is a block (cap between)
        data = PADDING + data
    path = tmp_path / "m.log"
    path.write_bytes(data)
    config = ScanConfig(chunk_size=chunk_size, max_metrics=max_metrics)
    assert scan_file(str(path), config) == reference_scan(str(path), config)


CAP_KEYS = [b"a", b"ab", b"abc", b"abd", b"b", b"B", b"k" * 201]
CAP_VALUES = [b"1", b"-2", b"0.5", b"1e309", b"7" * 19, b"3e2", b"1" * 41]


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    lines=st.lists(
        st.lists(st.tuples(st.sampled_from(CAP_KEYS), st.sampled_from(CAP_VALUES)), max_size=5),
        min_size=1, max_size=25,
    ),
    max_metrics=st.integers(1, 4),
    chunk_size=st.sampled_from([8, 40]),
)
def test_metric_cap_across_blocks_matches_the_reference(
    both_paths, tmp_path, lines, max_metrics, chunk_size
):
    """Past the first 64 KiB every few lines are a block, so names are refused against the cap
    filled by earlier blocks (in C: the ceiling passed to scan_block)."""
    body = b"".join(b" ".join(k + b"=" + v for k, v in line) + b"\n" for line in lines)
    path = tmp_path / "cap.log"
    path.write_bytes(PADDING + body)
    config = ScanConfig(chunk_size=chunk_size, max_metrics=max_metrics)
    assert scan_file(str(path), config) == reference_scan(str(path), config)


@pytest.mark.parametrize("copies", [400, 4000])  # 4000: blocks over RELEASE_BYTES (no GIL)
def test_long_numbers_and_overflowing_sums_stay_exact(tmp_path, copies):
    """Every way the C pass calls back into Python (numbers left to Python, ints past 128 bits,
    sketch indexes of |x| >= 2**53, the admit filter, templates of error lines) while it holds the
    GIL (short blocks) and while it took it back for the call (blocks of 64 KiB or more)."""
    biggest = 10**18 - 1  # the largest value the C path keeps in int64
    lines = [f"ERROR v={biggest} w=-{biggest} d=0.{'9' * 17} e={'9' * 19} f=1.{'0' * 17}1 "
             f"pid={n} x{n % 97}=1" for n in range(copies)]
    lines += ["v=-1 w=5 d=-99999999999999999.9 e=-1e30 f=+.5 g=1.5E-3"]
    path = tmp_path / "big.log"
    path.write_bytes("\n".join(lines).encode())
    config = ScanConfig(metric_exclude=("x1*",))
    summary = scan_file(str(path), config)
    assert summary == reference_scan(str(path), config)
    assert summary.metrics["v"].total_sq == copies * biggest**2 + 1  # > 2**127: spilled to Python
    assert "x2" in summary.metrics and "x10" not in summary.metrics and "pid" not in summary.metrics


@needs_c
def test_the_c_pass_lets_other_threads_run_on_a_big_block():
    """On a block of 64 KiB or more scan_block runs without the GIL: a thread that only needs
    the GIL gets it meanwhile. The admit callback (called with the GIL taken back, at each new
    key) reads how far that thread got; the interpreter would not switch by itself in between
    (the switch interval is set beyond the test), so with the GIL held throughout it never
    gets further."""
    import threading

    keys = 32
    filler = b"Nov 27 02:00:00 node07 api[42]: INFO handled path=/v1/x\n" * 8000  # ~450 KB
    block = b"".join(b"k%d=1\n" % k + filler for k in range(keys))
    progress, seen, stop = [0], [], threading.Event()

    def spin() -> None:
        while not stop.is_set():
            progress[0] += 1
            os.sched_yield()  # (gives up the GIL: the scanning thread takes it back at once)

    def admit(key: bytes) -> bool:
        seen.append(progress[0])
        return True

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1000.0)
    spinner = threading.Thread(target=spin, daemon=True)
    try:
        spinner.start()
        native.scan_block(block, True, None, 100, (2026, 11, 27, 0, 0, 0), -1, None, admit, True)
    finally:
        stop.set()
        sys.setswitchinterval(interval)
        spinner.join(60)
    assert len(seen) == keys
    assert seen[-1] > seen[0], seen  # it ran between two admit calls


@needs_c
@pytest.mark.parametrize("python_call", ["admit", "number left to Python"])
def test_lines_that_call_into_python_keep_the_gil_instead_of_letting_it_go_at_each(python_call):
    """After a Python call the pass keeps the GIL for the next 64 KiB instead of letting it go
    at the next line: with another thread wanting it, each release could hand it over and wait
    a switch interval to get it back, at every line (a busy thread made such a block 5.6 s
    instead of 34 ms). Counted, not timed: releases per block, not per line."""
    lines = 6000  # ~300 KB: about 5 windows of 64 KiB
    value = b"k%d=1" if python_call == "admit" else b"x=1e%d"  # (new keys; exponent forms)
    block = b"".join(b"Nov 27 02:00:00 node07 api[42]: INFO " + value % n + b" handled\n"
                     for n in range(lines))
    admit = (lambda key: True) if python_call == "admit" else None
    before = native.gil_releases()
    native.scan_block(block, True, None, 100, (2026, 11, 27, 0, 0, 0), -1, None, admit, True)
    releases = native.gil_releases() - before
    assert 1 <= releases <= len(block) // 65536 + 2, releases


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(st.sampled_from([2**31 - 1, -(2**31) + 1, 2**31, -(2**31), 2**32 + 7,
                                        3037000499, 1, -1, 0]), min_size=1, max_size=300))
def test_sums_near_the_64_bit_fast_path_bounds_stay_exact(both_paths, tmp_path, values):
    """The C path sums values below 2**31 in 64 bits and folds them into 128 bits when full:
    squares of values near 2**31 fill it in four samples."""
    path = tmp_path / "edge.log"
    path.write_bytes(b"".join(b"v=%d s=%d.5\n" % (v, v) for v in values))
    summary = scan_file(str(path), ScanConfig())
    assert summary == reference_scan(str(path), ScanConfig())
    assert summary.metrics["v"].total_sq == sum(v * v for v in values)


def test_more_keys_than_the_c_table_holds_stay_exact(tmp_path):
    lines = [" ".join(f"k{row}_{col}={row}.{col}" for col in range(10)) for row in range(7000)]
    path = tmp_path / "keys.log"
    path.write_bytes(("\n".join(lines) + "\n").encode())
    config = ScanConfig(chunk_size=64 << 20, max_metrics=70000)
    summary = scan_file(str(path), config)
    assert len(summary.metrics) == 70000
    assert summary == reference_scan(str(path), config)


# --- split files end to end ------------------------------------------------------------------------


def split_log() -> bytes:
    """A log whose 1000-byte split boundaries fall inside "\\r\\n", just after "\\n" and mid-line."""
    data = bytearray()
    row = 0

    def line(width: int | None = None) -> bytes:
        nonlocal row
        row += 1
        text = (
            f"Nov 27 02:{row % 60:02d}:00 node07 api[42]: {('INFO', 'WARN', 'ERROR')[row % 3]} "
            f"handled latency_ms={row} ratio=-0.{row % 100:02d}"
        ).encode()
        return text if width is None else (text + b" " + b"p" * width)[:width]

    for boundary in range(1000, 12_001, 1000):
        mode = boundary // 1000 % 3
        while boundary - len(data) > 160:
            data += line() + (b"\r\n" if row % 2 else b"\n")
        if mode == 0:  # "\r" | "\n"
            data += line(boundary - 1 - len(data)) + b"\r\n"
        elif mode == 1:  # "\n" | next line
            data += line(boundary - 1 - len(data)) + b"\n"
    return bytes(data)


def run_report(tmp_path: Path, log_dir: Path, name: str, *options: str) -> dict[str, list[dict]]:
    out = tmp_path / name
    command = [sys.executable, "-m", "logcrunch", "run", str(log_dir), "--out", str(out)]
    command += ["--state", str(tmp_path / f"{name}-state" / "state.db"), "-q", *options]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    tables = {}
    for table in ("files", "metrics", "summary"):
        with open(out / f"{table}.csv", newline="") as handle:
            rows = list(csv.DictReader(handle))
        for row in rows:
            row.pop("worker", None)
            row.pop("seconds", None)
        tables[table] = rows
    return tables


def test_split_file_report_equals_the_unsplit_one(tmp_path):
    data = split_log()
    assert any(data[k * 1000 - 1 : k * 1000 + 1] == b"\r\n" for k in range(1, 12))
    assert any(data[k * 1000 - 1 : k * 1000] == b"\n" for k in range(1, 12))
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    (log_dir / "big.log").write_bytes(data)
    (log_dir / "small.log").write_bytes(data[:500])
    whole = run_report(tmp_path, log_dir, "whole", "-j", "1")
    split = run_report(tmp_path, log_dir, "split", "-j", "2", "--split-size", "1000")
    assert split == whole
    assert whole["files"][0]["lines"] == str(data.count(b"\n"))


# --- gzip through isal and through the standard library ------------------------------------------


@pytest.mark.parametrize("inflate", ["isal", "stdlib"])
def test_gzip_reads_the_same_with_isal_and_zlib(tmp_path, monkeypatch, inflate):
    import gzip

    from logcrunch import readers

    if inflate == "isal":
        if readers.gzip_module() is gzip:
            pytest.skip("isal is not installed (pip install 'logcrunch[fast]')")
    else:
        monkeypatch.setattr(readers, "_gzip_module", gzip)

    data = split_log() * 50
    plain = tmp_path / "p.log"
    plain.write_bytes(data)
    packed = tmp_path / "p.log.gz"
    packed.write_bytes(gzip.compress(data[:7000]) + gzip.compress(data[7000:]))  # two members
    expected = scan_file(str(plain), ScanConfig())
    summary = scan_file(str(packed), ScanConfig(chunk_size=4096))
    assert (summary.lines, summary.error_lines, summary.metrics) == (
        expected.lines,
        expected.error_lines,
        expected.metrics,
    )
    truncated = tmp_path / "t.log.gz"
    truncated.write_bytes(gzip.compress(data)[:-100])
    failed = scan_file(str(truncated), ScanConfig())
    assert (failed.status, failed.lines) == ("failed", 0)
    assert failed.error.startswith("truncated gzip stream")
