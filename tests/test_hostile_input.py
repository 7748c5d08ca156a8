"""Hostile log content and hostile files: nothing a log line holds, and nothing a file does while
it is read, stops a run, stalls it, or yields an ``ok`` row with wrong or partial counts.

Every scan test runs through the C fast path and the pure-Python one (the ``scan_path`` fixture),
and compares with tests/reference_scan.py wherever a reference result exists.
"""

from __future__ import annotations

import bz2
import csv
import errno
import gzip
import lzma
import os
import socket
import statistics
import sys
import threading
import tracemalloc
from fractions import Fraction
from pathlib import Path

import pytest

from logcrunch import defaults, scan
from logcrunch.readers import ReadError, open_raw
from logcrunch.report import publish_reports
from logcrunch.scan import ScanConfig, is_splittable, scan_file
from logcrunch.state import StateDB
from logcrunch.summary import STATUS_FAILED, STATUS_OK
from tests.helpers import scan_path_as

sys.path.insert(0, str(Path(__file__).parent))
from reference_scan import reference_scan  # noqa: E402

LINE = b"Nov 27 02:00:01 node07 api[4242]: INFO request handled latency_ms=12 ratio=0.25\n"


@pytest.fixture(params=["c", "python"])
def scan_path(request):
    """The C fast path and the pure-Python one, in turn."""
    with scan_path_as(request.param):
        yield request.param


def scanned(path: Path, config: ScanConfig | None = None, **kwargs):
    return scan_file(str(path), config or ScanConfig(), **kwargs)


# --- values no sample rule was written for ---------------------------------------------------

HOSTILE_FILES = {
    # name: (content, samples out of range)
    "huge.log": (b"Nov 27 02:00:01 n api[1]: INFO x=1e2200 y=1\n"
                 b"Nov 27 02:00:02 n api[1]: INFO x=" + b"7" * 2200 + b" y=2\n", 2),
    "over.log": (b"Nov 27 02:00:01 n api[1]: INFO z=1e309 y=1\n" * 2, 2),
    "edge.jsonl": (b'{"level":"info","v":1e308}\n{"level":"info","v":1.7e308,"w":NaN}\n', 1),
    "bigint.jsonl": (b'{"level":"info","v":' + b"9" * 5000 + b',"ok":3}\n'
                     b'{"level":"info","v":' + b"1" + b"0" * 4400 + b',"ok":4,"inf":Infinity}\n', 3),
    "wide.jsonl": (b'{"level":"info","v":' + b"1" * 41 + b',"t":1e-400,"ok":1}\n'
                   b'{"level":"info","v":' + b"1" * 40 + b',"ok":2}\n', 2),
    "access.log": (b'1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 '
                   + b"9" * 5000 + b"\n"
                   b'1.2.3.4 - - [10/Oct/2000:13:55:37 -0700] "GET / HTTP/1.0" 200 512\n', 1),
}


@pytest.mark.parametrize("name", sorted(HOSTILE_FILES))
def test_values_outside_the_kept_range_are_counted_and_the_rest_is_exact(scan_path, tmp_path, name):
    data, out_of_range = HOSTILE_FILES[name]
    path = tmp_path / name
    path.write_bytes(data)
    config = ScanConfig(metric_patterns=(("m", r"x=(\S+)"),))
    summary = scanned(path, config)
    assert summary.status == STATUS_OK, summary.error
    expected_out = out_of_range * (2 if name == "huge.log" else 1)  # --metric sees x= as well
    assert summary.samples_out_of_range == expected_out
    assert summary == reference_scan(str(path), config)


def test_sums_past_the_double_range_store_and_report(scan_path, tmp_path):
    data, _out = HOSTILE_FILES["edge.jsonl"]
    path = tmp_path / "edge.jsonl"
    path.write_bytes(data + b'{"level":"info","h":0.5,"v":1.7e308}\n')
    summary = scanned(path)
    metric = summary.metrics["v"]
    assert (metric.count, metric.total) == (3, 44 * 10**307)  # exact, past 1.8e308
    db = StateDB(str(tmp_path / "state.db"))
    run, _ = db.start_run([str(tmp_path)], {}, False, "out", fresh=False)
    db.store_results(run.run_id, [(summary, str(tmp_path), 0, 1, "")])
    report = db.report_input(run.run_id)
    assert report.summaries[str(path)] == summary
    publish_reports(report, str(tmp_path / "report"))
    rows = {row["metric"]: row for row in read_csv(tmp_path / "report" / "metrics.csv")
            if row["path"] != "*"}
    assert rows["v"]["sum"] == str(44 * 10**307)
    assert float(rows["v"]["stddev"]) == pytest.approx(statistics.pstdev([1e308, 1.7e308, 1.7e308]))
    files = read_csv(tmp_path / "report" / "files.csv")
    assert files[0]["samples_out_of_range"] == "1"  # the NaN


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


# --- key explosions ----------------------------------------------------------------------------


def test_key_explosion_keeps_the_first_names_in_bounded_memory(scan_path, tmp_path):
    """Many distinct key=1 pairs per line, names ascending on some lines and descending on
    others: the alphabetically first 100 are kept, every other sample is counted, memory stays
    far below what 100,000 metrics take."""
    lines = []
    for row in range(12):
        names = [f"k{row:02d}_{col:05d}" for col in range(6000)]
        if row % 2:
            names.reverse()
        lines.append(" ".join(f"{name}=1" for name in names))
    path = tmp_path / "explosion.log"
    path.write_bytes(("\n".join(lines) + "\n").encode())
    config = ScanConfig(chunk_size=64 * 1024)
    tracemalloc.start()
    try:
        summary = scanned(path, config)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sorted(summary.metrics) == sorted(f"k00_{col:05d}" for col in range(100))
    assert summary.samples_over_metric_cap == 12 * 6000 - 100
    assert peak < 40 * 1024 * 1024  # the whole file is 1.2 MB; 72,000 metrics would be far more
    assert summary == reference_scan(str(path), config)


def test_json_key_explosion_and_overlong_keys_are_capped_like_logfmt(scan_path, tmp_path):
    """JSON keys go through the same cap; the pending samples are folded in often enough that a
    few thousand new names per line never pile up."""
    rows = []
    for row in range(6):  # lines under 32 KiB: the sniffed 64 KiB hold two whole ones
        fields = {f"j{row}_{col:04d}": str(col) for col in range(1000)}
        fields["k" * 300] = "5"  # too long to be a metric name
        fields["n"] = "1.5" if row % 2 else "1e309"
        rows.append("{" + ",".join(f'"{key}":{value}' for key, value in fields.items()) + "}")
    path = tmp_path / "keys.jsonl"
    path.write_bytes(("\n".join(rows) + "\n").encode())
    config = ScanConfig(max_metrics=7)
    summary = scanned(path, config)
    assert summary.format == "json"
    assert list(summary.metrics) == ["j0_0000", "j0_0001", "j0_0002", "j0_0003", "j0_0004",
                                     "j0_0005", "j0_0006"]
    assert summary.samples_out_of_range == 3  # n=1e309 (n itself sorts after every kept name)
    assert summary.samples_over_metric_cap == 6 * 1000 - 7 + 6 + 3
    assert summary == reference_scan(str(path), config)


def test_pending_names_are_bounded_between_folds(scan_path, tmp_path, monkeypatch):
    folds = []
    real_flush = scan.BlockScanner._flush_samples

    def counting_flush(self):
        folds.append(len(self.samples) + len(self.decimal_samples))
        real_flush(self)

    monkeypatch.setattr(scan.BlockScanner, "_flush_samples", counting_flush)
    rows = ["{" + ",".join(f'"z{row}{col:04d}":{col}.5' for col in range(1500)) + "}\n"
            for row in range(3)]
    path = tmp_path / "p.jsonl"
    path.write_bytes("".join(rows).encode())
    summary = scanned(path)
    assert summary.format == "json"
    assert len(folds) > 1 and max(folds) <= defaults.PENDING_METRIC_NAMES + 1
    assert len(summary.metrics) == defaults.MAX_METRICS
    assert summary.samples_over_metric_cap == 4500 - defaults.MAX_METRICS


def test_split_file_keeps_the_same_names_as_the_whole(scan_path, tmp_path):
    lines = [" ".join(f"n{(row * 7919 + col) % 997:03d}=1" for col in range(40)) for row in range(300)]
    path = tmp_path / "split.log"
    data = ("\n".join(lines) + "\n").encode()
    path.write_bytes(data)
    config = ScanConfig(max_metrics=10, chunk_size=4096)
    whole = scanned(path, config)
    cuts = [0, 10_000, 10_001, 40_000, len(data) // 2, len(data)]
    merged = None
    for start, end in zip(cuts, cuts[1:], strict=False):
        part = scanned(path, config, start=start, end=end)
        merged = part if merged is None else merged.merge_range(part)
    assert merged == whole == reference_scan(str(path), config)
    assert whole.samples_over_metric_cap > 0


# --- compression bombs ---------------------------------------------------------------------------


def compressed_stream(compressor, megabytes: int, block: bytes | None = None) -> bytes:
    block = block or LINE * (1024 * 1024 // len(LINE))
    parts = [compressor.compress(block) for _ in range(megabytes)]
    return b"".join(parts) + compressor.flush()


_BOMB: list[bytes] = []


def bz2_bomb() -> bytes:
    """80 MiB of 1 KiB lines in a few KB of bz2 (built once: compressing takes a while)."""
    if not _BOMB:
        _BOMB.append(compressed_stream(bz2.BZ2Compressor(9), 80, (b" " * 1023 + b"\n") * 1024))
    return _BOMB[0]


def test_bz2_bomb_fails_at_once_with_the_default_limits(scan_path, tmp_path):
    path = tmp_path / "bomb.log.bz2"
    path.write_bytes(bz2_bomb())
    assert path.stat().st_size * defaults.MAX_EXPANSION < defaults.EXPANSION_FLOOR_BYTES
    summary = scanned(path)
    assert summary.status == STATUS_FAILED
    assert summary.error == ("decompresses to more than 1000 times its size (a compression "
                             "bomb?); raise --max-expansion to read it")
    assert (summary.lines, summary.metrics, summary.size_bytes) == (0, {}, path.stat().st_size)


@pytest.mark.parametrize("kind", ["gzip", "xz", "zstd"])
def test_bombs_of_every_compression_fail_past_the_ratio(scan_path, tmp_path, monkeypatch, kind):
    compressors = {"gzip": lambda: zlib_gzip_compressor(), "xz": lambda: lzma.LZMACompressor(),
                   "zstd": lambda: pytest.importorskip("zstandard").ZstdCompressor().compressobj()}
    path = tmp_path / f"bomb.{kind}"
    path.write_bytes(compressed_stream(compressors[kind](), 6))
    ratio = 6 * 1024 * 1024 // path.stat().st_size
    monkeypatch.setattr(defaults, "EXPANSION_FLOOR_BYTES", 64 * 1024)
    failed = scanned(path, ScanConfig(max_expansion=ratio // 2))
    assert (failed.status, failed.lines) == (STATUS_FAILED, 0)
    assert failed.error.startswith(f"decompresses to more than {ratio // 2} times its size")
    allowed = scanned(path, ScanConfig(max_expansion=ratio * 2))
    assert (allowed.status, allowed.lines) == (STATUS_OK, 6 * (1024 * 1024 // len(LINE)))


def zlib_gzip_compressor():
    import zlib

    return zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: a gzip member


def test_small_compressed_files_always_get_the_floor(scan_path, tmp_path):
    path = tmp_path / "dense.bz2"
    path.write_bytes(bz2.compress(LINE * 100_000, 9))  # 8 MB from a few KB: over 1000x
    assert path.stat().st_size * 1000 < len(LINE) * 100_000
    assert scanned(path).lines == 100_000


# --- files that change while they are read ------------------------------------------------------


class Shrinking:
    """An opened file that truncates itself on the ``at``-th read, then optionally regrows."""

    def __init__(self, path: str, at: int, keep: int, regrow: int = 0):
        self.file = open(path, "rb", buffering=0)  # noqa: SIM115
        self.path, self.at, self.keep, self.regrow, self.reads = path, at, keep, regrow, 0

    def read(self, count=-1):
        self.reads += 1
        if self.reads == self.at:
            os.truncate(self.path, self.keep)
        data = self.file.read(count)
        if not data and self.regrow:
            with open(self.path, "ab") as grow:
                grow.write(b"x\n" * self.regrow)
            self.regrow = 0
        return data

    def readinto(self, buffer):  # the scanner reads plain files into its buffer
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def __getattr__(self, name):
        return getattr(self.file, name)


def big_log(tmp_path: Path, name="big.log", copies=20_000) -> Path:
    path = tmp_path / name
    path.write_bytes(LINE * copies)  # 1.6 MB: several 64 KiB chunks
    return path


def test_file_truncated_while_read_fails_as_shrunk(scan_path, tmp_path):
    path = big_log(tmp_path)
    size = path.stat().st_size
    config = ScanConfig(chunk_size=64 * 1024)
    summary = scanned(path, config, opener=lambda p: Shrinking(p, at=4, keep=100_000))
    assert summary.status == STATUS_FAILED
    assert summary.error == (f"shrank from {size} to 100000 bytes while being read "
                             "(truncated or rotated?)")
    assert (summary.lines, summary.metrics) == (0, {})


def test_file_truncated_and_regrown_while_read_fails_too(scan_path, tmp_path):
    path = big_log(tmp_path)
    size = path.stat().st_size
    opener = lambda p: Shrinking(p, at=4, keep=100_000, regrow=size)  # noqa: E731
    summary = scanned(path, ScanConfig(chunk_size=64 * 1024), opener=opener)
    assert os.path.getsize(path) > size  # larger than at open again when the scan checked
    assert summary.status == STATUS_FAILED and summary.error.startswith(f"shrank from {size} to ")


def test_byte_range_of_a_file_truncated_while_read_fails(scan_path, tmp_path):
    path = big_log(tmp_path)
    size = path.stat().st_size
    summary = scanned(path, ScanConfig(chunk_size=64 * 1024), start=500_000, end=1_000_000,
                      opener=lambda p: Shrinking(p, at=5, keep=600_000))
    assert summary.status == STATUS_FAILED
    assert summary.error == f"shrank from {size} to 600000 bytes while being read (truncated or rotated?)"


def test_range_past_the_end_of_a_file_that_shrank_since_the_split_fails(scan_path, tmp_path):
    path = big_log(tmp_path)
    size = path.stat().st_size
    summary = scanned(path, start=size - 10, end=size + 500)
    assert summary.status == STATUS_FAILED
    assert summary.error == (f"shrank from at least {size + 500} to {size} bytes while being "
                             "read (truncated or rotated?)")


def test_compressed_file_truncated_while_read_fails(scan_path, tmp_path):
    path = tmp_path / "t.log.gz"
    noise = os.urandom(2_000_000).hex().encode()  # hardly compressible: many reads of the file
    path.write_bytes(gzip.compress(b"\n".join(noise[i:i + 100] for i in range(0, len(noise), 100))))
    summary = scanned(path, opener=lambda p: Shrinking(p, at=3, keep=5000))
    assert (summary.status, summary.lines) == (STATUS_FAILED, 0)
    assert summary.error.startswith(("truncated gzip stream", "shrank from"))


class Growing:
    """An opened file that gets more lines appended on every read."""

    def __init__(self, path: str):
        self.file = open(path, "rb", buffering=0)  # noqa: SIM115
        self.path = path

    def read(self, count=-1):
        with open(self.path, "ab") as grow:
            grow.write(b"Nov 27 02:00:09 node07 api[1]: ERROR appended x=5\n" * 50)
        return self.file.read(count)

    def __getattr__(self, name):
        return getattr(self.file, name)


def test_file_growing_while_read_is_counted_up_to_its_size_at_open(scan_path, tmp_path):
    path = big_log(tmp_path)
    expected = reference_scan(str(path), ScanConfig())
    summary = scanned(path, opener=Growing)
    assert os.path.getsize(path) > expected.size_bytes
    assert summary == expected
    assert (summary.lines, summary.error_lines, summary.size_bytes) == (20_000, 0, len(LINE) * 20_000)


# --- opening once, and what is not a regular file ------------------------------------------------


def test_the_file_is_opened_once_and_never_looked_up_again(scan_path, tmp_path, monkeypatch):
    plain = big_log(tmp_path)
    packed = tmp_path / "p.log.gz"
    packed.write_bytes(gzip.compress(LINE * 1000))
    opened = []

    def opener(path):
        opened.append(path)
        return open_raw(path)

    def no_lookups(*args, **kwargs):
        raise AssertionError("scan_file looked the path up again")

    monkeypatch.setattr(os, "stat", no_lookups)
    monkeypatch.setattr(os, "lstat", no_lookups)
    monkeypatch.setattr("builtins.open", no_lookups)
    for path, kwargs in ((plain, {}), (plain, {"start": 1000, "end": 200_000}), (packed, {})):
        opened.clear()
        assert scanned(path, **kwargs, opener=opener).status == STATUS_OK
        assert opened == [str(path)]
    monkeypatch.undo()
    assert is_splittable(str(plain), opener=opener) and not is_splittable(str(packed))


def test_opener_failures_fail_the_file_with_their_reason(scan_path, tmp_path):
    path = big_log(tmp_path)

    def refuses(_path):
        raise ReadError("changed since the walk (inode 12 is now 13)")

    def vanished(_path):
        raise FileNotFoundError(errno.ENOENT, "No such file or directory")

    assert scanned(path, opener=refuses).error == "changed since the walk (inode 12 is now 13)"
    assert scanned(path, opener=vanished).error == "file vanished (no such file)"
    assert not is_splittable(str(path), opener=refuses)


def finishes(call, *args):
    """call(*args) in a thread; its result, or a failure when it blocks for 10 s."""
    result = []
    worker = threading.Thread(target=lambda: result.append(call(*args)), daemon=True)
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive(), f"{call.__name__} blocked"
    return result[0]


def test_fifo_socket_device_and_directory_fail_at_once(scan_path, tmp_path):
    fifo = tmp_path / "fifo.log"
    os.mkfifo(fifo)  # no writer: a blocking open would never return
    sock_path = tmp_path / "s.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(sock_path))
    link = tmp_path / "zero.log"
    link.symlink_to("/dev/zero")
    try:
        cases = {fifo: "not a regular file (fifo)", sock_path: "not a regular file (socket)",
                 Path("/dev/null"): "not a regular file (character device)",
                 link: "not a regular file (character device)", tmp_path: "is a directory"}
        for path, reason in cases.items():
            summary = finishes(scan_file, str(path), ScanConfig())
            assert (summary.status, summary.error) == (STATUS_FAILED, reason), path
            assert not finishes(is_splittable, str(path))
    finally:
        server.close()


def test_an_opener_that_hands_over_a_fifo_still_fails_it(scan_path, tmp_path):
    fifo = tmp_path / "fifo.log"
    os.mkfifo(fifo)
    opener = lambda p: os.fdopen(os.open(p, os.O_RDONLY | os.O_NONBLOCK), "rb", buffering=0)  # noqa: E731
    summary = finishes(scan_file, str(fifo), ScanConfig(), 0, None, opener)
    assert summary.error == "not a regular file (fifo)"


# --- end to end ------------------------------------------------------------------------------


def test_hostile_tree_runs_to_a_report(tmp_path):
    """One `logcrunch run` over all of the above: it finishes (exit 3: the bomb failed), the bomb
    was read once, and every number made it into metrics.csv."""
    import subprocess

    logs = tmp_path / "logs" / "node1"
    logs.mkdir(parents=True)
    for name, (data, _out) in HOSTILE_FILES.items():
        (logs / name).write_bytes(data)
    (logs / "bomb.log.bz2").write_bytes(bz2_bomb())
    (logs / "keys.log").write_bytes(
        b"".join(b" ".join(b"k%06d=1" % (row * 5000 + col) for col in range(5000)) + b"\n"
                 for row in range(20)))
    out = tmp_path / "report"
    command = [sys.executable, "-m", "logcrunch", "run", str(tmp_path / "logs"), "--out", str(out),
               "--state", str(tmp_path / "state.db"), "-q", "-j", "1", "--max-metrics", "50"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == defaults.EXIT_FILES_FAILED, result.stderr
    files = {Path(row["path"]).name: row for row in read_csv(out / "files.csv")}
    assert files["bomb.log.bz2"]["status"] == "failed"
    assert files["bomb.log.bz2"]["error"].startswith("decompresses to more than 1000 times")
    assert files["bomb.log.bz2"]["attempts"] == "1"  # a failure, not a worker death: no retry
    assert files["keys.log"]["samples_over_metric_cap"] == str(20 * 5000 - 50)
    assert files["over.log"]["samples_out_of_range"] == "2"
    assert all(files[name]["status"] == "ok" for name in HOSTILE_FILES)
    metrics = read_csv(out / "metrics.csv")
    assert sum(1 for row in metrics if row["path"].endswith("keys.log")) == 50
    overall = {row["metric"]: row for row in metrics if row["path"] == "*"}
    assert overall["v"]["sum"] == str(27 * 10**307 + int("1" * 40))
    assert Fraction(overall["ok"]["sum"]) == 10


# --- the options -------------------------------------------------------------------------------


@pytest.mark.parametrize("option", ["--max-metrics", "--max-expansion"])
def test_caps_must_be_positive(runner, tmp_path, option):
    from logcrunch.cli import cli

    result = runner.invoke(cli, ["run", str(tmp_path), "--out", str(tmp_path / "o"), option, "0"])
    assert result.exit_code == 2
    assert "0 is not in the range x>=1" in result.output


class _Stop(Exception):
    pass


def test_caps_reach_the_scan_config(monkeypatch, runner, tmp_path):
    from logcrunch import cli

    seen = []

    def stop(options, out_dir, kw):
        seen.append(options.scan)
        raise _Stop

    monkeypatch.setattr(cli, "_job_spec", stop)
    result = runner.invoke(cli.cli, ["run", str(tmp_path), "--out", str(tmp_path / "o"),
                                     "--max-metrics", "7", "--max-expansion", "50"])
    assert isinstance(result.exception, _Stop)
    assert (seen[0].max_metrics, seen[0].max_expansion) == (7, 50)
    defaults_only = ScanConfig()
    assert (defaults_only.max_metrics, defaults_only.max_expansion) == (100, 1000)
