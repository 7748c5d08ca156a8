"""Tests of logcrunch.scan: the level/metric/timestamp contract, and exact agreement of the chunked
scanner with the per-line reference in tests/reference_scan.py on generated data."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import sys
import tracemalloc
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from logcrunch import formats
from logcrunch.scan import ScanConfig, detect_compression, is_splittable, scan_file
from logcrunch.summary import STATUS_FAILED, STATUS_OK, STATUS_SKIPPED, FileSummary, Metric
from tests.helpers import scan_path_as

sys.path.insert(0, str(Path(__file__).parent))
from reference_scan import reference_scan  # noqa: E402

SAMPLE_LOGS = Path(__file__).parent.parent / "sample_logs"


@pytest.fixture(autouse=True, scope="module", params=["c", "python"])
def scan_path(request):
    """Run every test of this module through the C fast path and through the pure-Python one."""
    with scan_path_as(request.param):
        yield request.param


def write(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def scan_bytes(tmp_path: Path, data: bytes, config: ScanConfig | None = None, name="x.log"):
    return scan_file(write(tmp_path, name, data), config or ScanConfig())


def level_of(line: str, file_format: str = formats.PLAIN) -> str:
    level = formats.line_level(line.encode(), file_format)
    return {formats.ERROR: "error", formats.WARN: "warn", formats.NEUTRAL: "-",
            formats.NONE: "-"}[level]


def comparable(summary: FileSummary) -> FileSummary:
    return summary


# --- levels, by layout -------------------------------------------------------------------------

LAYOUT_LINES = [
    ("Nov 27 02:00:01 node07 api[4242]: WARN request handled path=/x latency_ms=123", "warn"),
    ("Nov 27 02:00:01 node07 api[4242]: INFO ERROR budget recalculated", "-"),
    ("2026-11-27 02:00:01,123 ERROR [main] com.x.Y - msg", "error"),
    ("2026-11-27 02:00:01,123 INFO  [main] com.x.Y - recovered from ERROR state", "-"),
    ("081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block", "-"),
    ("081109 203807 222 WARN dfs.DataNode$DataXceiver: Got exception while serving", "warn"),
    (
        "2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:FastLeaderElection@774] - Notification time out: 3200",  # noqa: E501
        "-",
    ),
    (
        "2015-07-29 19:04:12,394 - ERROR [LearnerHandler-/10.10.34.11:52065:LearnerHandler@562] - Unexpected exception",  # noqa: E501
        "error",
    ),
    (
        "17/06/09 20:10:40 INFO executor.CoarseGrainedExecutorBackend: Registered signal handlers",
        "-",
    ),
    ("17/06/09 20:11:11 ERROR executor.Executor: Exception in task 0.0", "error"),
    (
        "nova-api.log.1.2017-05-16_13:53:08 2017-05-16 00:00:00.008 25746 INFO nova.osapi_compute.wsgi.server [req-38101a0b] GET /v2/servers",  # noqa: E501
        "-",
    ),
    (
        "nova-compute.log.1.2017-05-16_13:55:31 2017-05-16 00:00:04.500 2931 ERROR nova.compute.manager [req-3ea4052c] error",  # noqa: E501
        "error",
    ),
    (
        "- 1117838570 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.675872 R02-M1-N0-C:J12-U11 RAS KERNEL INFO instruction cache parity error corrected",  # noqa: E501
        "-",
    ),
    (
        "KERNDTLB 1118536327 2005.06.11 R30-M0-N9-C:J16-U01 2005-06-11-17.32.07.581048 R30-M0-N9-C:J16-U01 RAS KERNEL FATAL data TLB error interrupt",  # noqa: E501
        "error",
    ),
    (
        "- 1118536327 2005.06.11 R30-M0-N9-C:J16-U01 2005-06-11-17.32.07.581048 R30-M0-N9-C:J16-U01 RAS APP SEVERE ciod: failed",  # noqa: E501
        "error",
    ),
    ("[Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6", "error"),
    (
        "[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties",  # noqa: E501
        "-",
    ),
    ("[Sun Dec 04 04:47:44 2005] [warn] child process 1234 still did not exit", "warn"),
    (
        "[Wed Oct 11 14:32:52.123456 2000] [core:error] [pid 35708:tid 4328636416] AH00037: x",
        "error",
    ),
    ("[Wed Oct 11 14:32:52.123456 2000] [ssl:warn] [pid 35708] AH01909: x", "warn"),
    ('time=2026-11-27T02:00:01Z level=error msg="ERROR budget" took=5', "error"),
    ('ts=2026-11-27T02:00:01Z lvl="WARN" msg="x"', "warn"),
    ('ts=2026-11-27T02:00:01Z severity=Info msg="ERROR in message"', "-"),
    ("Nov 27 02:00:01 node07 api[4242]: CRITICAL disk full", "error"),
    ("Nov 27 02:00:01 node07 api[4242]: ERR x", "error"),
    ("Nov 27 02:00:01 node07 kernel: PANIC x", "error"),
    ("Nov 27 02:00:01 node07 api[1]: WARNING x", "warn"),
    ("Nov 27 02:00:01 node07 api[1]: NOTICE ERROR x", "-"),
    ("Nov 27 02:00:01 node07 api[1]: TRACE x", "-"),
    ("Nov 27 02:00:01 node07 api[1]: DEBUG x", "-"),
    ("Nov 27 02:00:01 node07 api[1]: ALERT x", "error"),
    ("Nov 27 02:00:01 node07 api[1]: EMERG x", "error"),
    ("ERROR: at the start of a line", "error"),
    ("\tat com.example.Foo.bar(Foo.java:42)", "-"),
    ("Caused by: java.io.IOException: broken pipe", "-"),
    ("Caused by: java.net.SocketException: ERROR reading from socket", "-"),
    ("java.lang.IllegalStateException: ERROR in state machine", "-"),
    ("ValueError: FATAL x", "-"),
    ("    raise ERROR", "-"),
    ("ErrorReporter: ERROR x", "error"),
    ("INFORMATION ERRORS error_count=3 MY_ERROR ERROR_X xERROR", "-"),
    ("2026-11-27 02:00:01 job done: errors=0 Error happened", "-"),
]


@pytest.mark.parametrize(("line", "expected"), LAYOUT_LINES)
def test_level_is_the_first_level_token_of_the_line(line, expected):
    assert level_of(line) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("03-17 16:13:38.811  1702  2395 E WindowManager: ERROR x", "error"),
        ("03-17 16:13:38.811  1702  2395 F libc: fatal", "error"),
        ("03-17 16:13:38.811  1702  2395 W ActivityManager: x", "warn"),
        ("03-17 16:13:38.811  1702  2395 I ActivityManager: ERROR in message", "-"),
        ("03-17 16:13:38.811  1702  2395 D x: y", "-"),
        ("E/AndroidRuntime( 1234): FATAL EXCEPTION: main", "error"),
        ("--------- beginning of main ERROR", "error"),  # does not fit: general rule
    ],
)
def test_logcat_level_is_the_priority_letter(line, expected):
    assert level_of(line, formats.LOGCAT) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('{"ts":"2026-11-27T02:00:01Z","level":"error","msg":"x"}', "error"),
        ('{"ts":"2026-11-27T02:00:01Z","severity":"WARNING","msg":"ERROR"}', "warn"),
        ('{"lvl":"info","msg":"ERROR budget"}', "-"),
        ('{"level":50,"msg":"pino"}', "error"),
        ('{"msg":"no level ERROR"}', "-"),
        ('{"msg": broken json ERROR', "error"),  # invalid JSON: general rule
        ("[1, 2]", "-"),
    ],
)
def test_json_level_is_the_level_field(line, expected):
    assert level_of(line, formats.JSON) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /a.gif HTTP/1.0" 200 2326', "-"),
        ('127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET /ERROR HTTP/1.0" 404 -', "warn"),
        (
            '1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "POST /x HTTP/1.1" 503 12 "-" "curl/8"',
            "error",
        ),
    ],
)
def test_access_level_is_the_status_class(line, expected):
    assert level_of(line, formats.ACCESS) == expected


def test_format_is_sniffed_from_the_first_lines():
    cases = {
        b'{"level":"info","a":1}\n{"level":"warn","a":2}\n': "json",
        b'1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1\n': "access",
        b"03-17 16:13:38.811  1702  2395 E Tag: x\n": "logcat",
        b"[Sun Dec 04 04:47:44 2005] [error] x\n": "apache_error",
        b"ts=1 level=info msg=x\nts=2 level=warn msg=y\n": "logfmt",
        b"2026-11-27 02:00:01,123 ERROR [main] x\n": "plain",
        b"": "plain",
    }
    for head, expected in cases.items():
        assert formats.sniff_format(head) == expected, head


# --- counts, metrics, timestamps -----------------------------------------------------------------


def test_line_counting_rules(tmp_path):
    assert scan_bytes(tmp_path, b"").lines == 0
    assert scan_bytes(tmp_path, b"a").lines == 1
    assert scan_bytes(tmp_path, b"a\n").lines == 1
    assert scan_bytes(tmp_path, b"a\r\nb\r\n").lines == 2
    assert scan_bytes(tmp_path, b"\n\n\n").lines == 3
    assert scan_bytes(tmp_path, b"a\rb\n").lines == 1


def test_logfmt_metrics_are_exact(tmp_path):
    data = (
        b"a=1 b=0.1 c=12ms path=/x d=-2.5e1 e=+3 f=.5\n"
        b"a=2 b=0.2 x.y-z=7 _k=1. bad=1e 9key=4 url=http://h/?q=5\n"
        b"q=1\tr=2\r\n"
    )
    summary = scan_bytes(tmp_path, data)
    metrics = summary.metrics
    assert metrics["a"] == Metric.of([1, 2])
    assert metrics["b"].total == Fraction(3, 10)
    assert metrics["d"].minimum == -25
    assert metrics["e"].total == 3
    assert metrics["f"].total == Fraction(1, 2)
    assert metrics["x.y-z"].count == 1
    assert metrics["_k"].total == 1
    assert metrics["r"].count == 1 and metrics["q"].count == 1
    for absent in ("c", "path", "bad", "9key", "key", "url", "q=5"):
        assert absent not in metrics


@pytest.mark.parametrize("chunk_size", [100, 1 << 20])
def test_low_and_high_cardinality_metrics_are_exact(tmp_path, chunk_size):
    import random

    rng = random.Random(3)
    lines = []
    for index in range(5000):
        status = rng.choice([200, 200, 200, 404, 503])
        ratio = f"{rng.choice(['-', ''])}{rng.randint(0, 2)}.{rng.randint(0, 9)}5"
        lines.append(
            f"Nov 27 02:00:01 node07 api[1]: INFO status={status} id={index * 7919} "
            f"ratio={ratio} big={10**30 + index}\n"
        )
    path = write(tmp_path, "m.log", "".join(lines).encode())
    config = ScanConfig(chunk_size=chunk_size)
    assert scan_file(path, config) == reference_scan(path, config)


def test_json_metrics_are_top_level_numbers_only(tmp_path):
    data = (
        b'{"level":"info","n":3,"f":0.25,"b":true,"s":"5","z":null,"o":{"x":1},"big":1e3}\n'
        b'{"level":"info","n":4}\n'
        b"not json n=7\n"
        b'{"n": NaN}\n'
    )
    summary = scan_bytes(tmp_path, data, name="e.jsonl")
    assert summary.format == "json"
    assert summary.metrics["n"] == Metric.of([3, 4, 7])
    assert summary.metrics["f"].total == Fraction(1, 4)
    assert summary.metrics["big"].total == 1000
    assert set(summary.metrics) == {"n", "f", "big", "level"} - {"level"}


def test_access_log_bytes_metric_and_status_levels(tmp_path):
    data = (
        b'1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 100 "-" "ua"\n'
        b'1.2.3.4 - - [10/Oct/2000:13:55:37 -0700] "GET /e HTTP/1.0" 500 50\n'
        b'1.2.3.4 - - [10/Oct/2000:13:55:38 -0700] "GET /n HTTP/1.0" 404 -\n'
    )
    summary = scan_bytes(tmp_path, data)
    assert (summary.format, summary.error_lines, summary.warn_lines) == ("access", 1, 1)
    assert summary.metrics["bytes"] == Metric.of([100, 50])
    assert summary.first_ts == "2000-10-10T20:55:36Z"
    assert summary.last_ts == "2000-10-10T20:55:38Z"


def test_first_and_last_timestamps_of_a_file(tmp_path):
    data = b"no ts\n2026-11-27 02:00:01 INFO a\nx\n2026-11-27 03:00:00.250 INFO b\ntrailer\n"
    summary = scan_bytes(tmp_path, data)
    assert (summary.first_ts, summary.last_ts) == ("2026-11-27T02:00:01Z",
                                                   "2026-11-27T03:00:00.250Z")
    assert summary.timeline == {"": [1, 0, 0], "2026-11-27T02:00:00Z": [2, 0, 0],
                                "2026-11-27T03:00:00Z": [2, 0, 0]}
    assert summary.level_lines == 2


def test_syslog_year_comes_from_the_file_mtime(tmp_path):
    path = write(tmp_path, "s.log", b"Nov 27 02:00:01 node07 api[1]: INFO x\n")
    os.utime(path, (1700000000, 1700000000))  # 2023-11-14: Nov 27 is later than mtime + 1 day
    assert scan_file(path, ScanConfig()).first_ts == "2022-11-27T02:00:01Z"
    assert scan_file(path, ScanConfig(timezone="Asia/Tokyo")).first_ts == "2022-11-26T17:00:01Z"


def test_a_syslog_file_across_new_year(tmp_path):
    path = write(tmp_path, "s.log", b"Dec 31 23:59:58 h a[1]: ERROR x 1\n"
                                    b"Jan  1 00:00:02 h a[1]: ERROR x 2\n")
    new_year = 1798761602  # 2027-01-01T00:00:02Z
    os.utime(path, (new_year, new_year))
    summary = scan_file(path, ScanConfig())
    assert (summary.first_ts, summary.last_ts) == ("2026-12-31T23:59:58Z", "2027-01-01T00:00:02Z")
    assert summary.timeline == {"2026-12-31T23:00:00Z": [1, 1, 0],
                                "2027-01-01T00:00:00Z": [1, 1, 0]}
    assert summary.templates[0][:5] == [2, "x <*>", 2, "2026-12-31T23:59:58Z",
                                        "2027-01-01T00:00:02Z"]


# --- user patterns and config ------------------------------------------------------------------


def test_user_patterns_override_and_extend_levels(tmp_path):
    data = (
        b"Nov 27 02:00:01 n api[1]: INFO payment declined\n"
        b"Nov 27 02:00:01 n api[1]: ERROR retrying soon\n"
        b"Nov 27 02:00:01 n api[1]: INFO slow query took 1500 ms\n"
        b"Nov 27 02:00:01 n api[1]: WARN declined and slow\n"
    )
    config = ScanConfig(
        error_patterns=("declined",),
        warn_patterns=("retrying", r"took \d+ ms"),
        metric_patterns=(("query_ms", r"took (\d+) ms"), ("bad", r"(x)?query")),
    )
    summary = scan_bytes(tmp_path, data, config)
    assert (summary.error_lines, summary.warn_lines) == (2, 2)
    assert summary.metrics["query_ms"] == Metric.of([1500])
    assert "bad" not in summary.metrics
    only_user = scan_bytes(
        tmp_path, data, ScanConfig(default_levels=False, warn_patterns=("^Nov",))
    )
    assert (only_user.error_lines, only_user.warn_lines) == (0, 4)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            ScanConfig(error_patterns=("(unclosed",)),
            "error pattern '(unclosed' is not a valid regex",
        ),
        (ScanConfig(warn_patterns=("[",)), "warn pattern '[' is not a valid regex"),
        (ScanConfig(metric_patterns=(("ms", r"took \d+"),)), "exactly one capture group, it has 0"),
        (
            ScanConfig(metric_patterns=(("ms", r"(\d+)-(\d+)"),)),
            "exactly one capture group, it has 2",
        ),
        (ScanConfig(metric_patterns=(("bad name", r"(\d+)"),)), "metric name 'bad name'"),
        (ScanConfig(chunk_size=0), "chunk_size must be a positive integer"),
        (ScanConfig(max_line_bytes=-1), "max_line_bytes must be a positive integer"),
        (ScanConfig(error_patterns="ERROR"), "sequence of regexes"),  # type: ignore[arg-type]
    ],
)
def test_validate_names_the_bad_setting(config, message):
    with pytest.raises(ValueError, match=None) as caught:
        config.validate()
    assert message in str(caught.value)


def test_default_config_is_valid():
    ScanConfig().validate()
    ScanConfig(metric_patterns=(("q.ms", r"took (\d+)"),), error_patterns=("a|b",)).validate()


# --- files that cannot be scanned ----------------------------------------------------------------


def test_binary_file_is_skipped(tmp_path):
    summary = scan_bytes(tmp_path, b"ELF\x00\x01 ERROR\n" * 10)
    assert summary.status == STATUS_SKIPPED
    assert summary.error == "binary file (NUL byte in first 64 KiB)"
    assert summary.lines == 0
    late_nul = b"INFO x\n" * 20000 + b"\x00\n"  # NUL after the first 64 KiB: scanned
    assert scan_bytes(tmp_path, late_nul).status == STATUS_OK


def test_missing_and_directory_fail_with_a_reason(tmp_path):
    missing = scan_file(str(tmp_path / "gone.log"), ScanConfig())
    assert (missing.status, missing.error) == (STATUS_FAILED, "file vanished (no such file)")
    directory = scan_file(str(tmp_path), ScanConfig())
    assert (directory.status, directory.error) == (STATUS_FAILED, "is a directory")


def test_permission_denied_fails(fs):
    fs.create_file("/logs/secret.log", contents=b"ERROR x\n")
    os.chmod("/logs/secret.log", 0)
    from pyfakefs.helpers import reset_ids, set_uid

    set_uid(1000)
    try:
        summary = scan_file("/logs/secret.log", ScanConfig())
    finally:
        reset_ids()
    assert (summary.status, summary.error, summary.lines) == (STATUS_FAILED, "permission denied", 0)
    assert summary.size_bytes == 0  # never opened: its size is the walk's business


LOG = (
    b"Nov 27 02:00:01 node07 api[4242]: WARN request handled path=/x latency_ms=123 ratio=-0.25\n"
    b"Nov 27 02:00:02 node07 api[4242]: ERROR boom latency_ms=7 ratio=0.5\n"
) * 500


def test_truncated_gzip_fails_and_keeps_nothing_partial(tmp_path):
    compressed = gzip.compress(LOG)
    summary = scan_bytes(tmp_path, compressed[: len(compressed) // 2], name="t.gz")
    assert summary.status == STATUS_FAILED
    assert summary.error.startswith("truncated gzip stream: Compressed file ended before")
    assert (summary.lines, summary.metrics) == (0, {})


def test_corrupt_bz2_and_xz_fail(tmp_path):
    for name, data in (("c.bz2", b"BZh9" + b"\x00" * 50), ("c.xz", b"\xfd7zXZ\x00garbage")):
        summary = scan_bytes(tmp_path, data, name=name)
        assert summary.status == STATUS_FAILED, name
        assert "\n" not in summary.error and summary.error


@pytest.mark.parametrize(
    "compress",
    [
        gzip.compress,
        lambda d: gzip.compress(d[:1000]) + gzip.compress(d[1000:]),  # multi-member
        bz2.compress,
        lzma.compress,
    ],
    ids=["gzip", "gzip-multi-member", "bz2", "xz"],
)
def test_compressed_files_count_their_decompressed_lines(tmp_path, compress):
    plain = scan_bytes(tmp_path, LOG, name="plain.log")
    packed = scan_bytes(tmp_path, compress(LOG), ScanConfig(chunk_size=999), name="packed.log")
    assert packed.status == STATUS_OK
    assert packed.size_bytes < plain.size_bytes
    packed.size_bytes = plain.size_bytes
    packed.path = plain.path
    assert packed == plain
    assert not is_splittable(str(tmp_path / "packed.log"))
    assert is_splittable(str(tmp_path / "plain.log"))


def test_zstd_is_read_when_installed_and_explained_when_not(tmp_path, monkeypatch):
    zstandard = pytest.importorskip("zstandard")
    path = write(tmp_path, "z.log.zst", zstandard.ZstdCompressor().compress(LOG))
    assert scan_file(path, ScanConfig()).lines == 1000
    frame = zstandard.ZstdCompressor().compress(LOG[:5000])
    two_frames = write(tmp_path, "two.zst", frame + zstandard.ZstdCompressor().compress(LOG[5000:]))
    assert scan_file(two_frames, ScanConfig(chunk_size=333)).lines == 1000
    truncated = scan_file(write(tmp_path, "t.zst", frame[: len(frame) // 2]), ScanConfig())
    assert truncated.status == STATUS_FAILED
    assert truncated.error.startswith("truncated zstd stream")
    corrupt = scan_file(write(tmp_path, "c.zst", frame[:12] + bytes(30) + frame[42:]), ScanConfig())
    assert (corrupt.status, corrupt.lines) == (STATUS_FAILED, 0)
    monkeypatch.setitem(sys.modules, "zstandard", None)
    summary = scan_file(path, ScanConfig())
    assert summary.status == STATUS_FAILED
    assert summary.error == (
        "zstd-compressed: install the optional extra: pip install 'logcrunch[zstd]'"
    )


def test_every_file_is_closed_after_a_scan(tmp_path):
    paths = [
        write(tmp_path, "a.gz", gzip.compress(LOG)),
        write(tmp_path, "b.bz2", bz2.compress(LOG)),
        write(tmp_path, "c.xz", lzma.compress(LOG)),
        write(tmp_path, "d.log", LOG),
        write(tmp_path, "e.gz", gzip.compress(LOG)[:100]),
    ]
    before = len(os.listdir("/proc/self/fd"))
    for path in paths * 20:
        scan_file(path, ScanConfig())
    assert len(os.listdir("/proc/self/fd")) <= before


def test_detect_compression_by_magic_bytes():
    assert detect_compression(gzip.compress(b"x")) == "gzip"
    assert detect_compression(bz2.compress(b"x")) == "bz2"
    assert detect_compression(lzma.compress(b"x")) == "xz"
    assert detect_compression(b"\x28\xb5\x2f\xfd....") == "zstd"
    assert detect_compression(b"plain text") is None
    assert detect_compression(b"") is None


def test_compressed_files_cannot_be_split(tmp_path):
    path = write(tmp_path, "a.gz", gzip.compress(LOG))
    assert scan_file(path, ScanConfig(), start=10).status == STATUS_FAILED


# --- bounded memory ----------------------------------------------------------------------------


def test_huge_line_is_streamed_counted_and_not_held(tmp_path):
    huge = b"Nov 27 02:00:01 n api[1]: ERROR " + b"x=1 " * (5 * 1024 * 1024 // 4)
    data = b"INFO a=1\n" + huge + b"\nWARN a=2\n" + huge  # the second one has no final newline
    path = write(tmp_path, "huge.log", data)
    config = ScanConfig(chunk_size=64 * 1024, max_line_bytes=4096)
    tracemalloc.start()
    try:
        summary = scan_file(path, config)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2 * 1024 * 1024
    assert (summary.lines, summary.long_lines, summary.error_lines, summary.warn_lines) == (
        4,
        2,
        2,
        1,
    )
    assert summary.metrics["a"] == Metric.of([1, 2])
    assert summary == reference_scan(path, config)


# --- the chunked scanner agrees with the reference ----------------------------------------------

LINE_POOL = [
    b"Nov 27 02:00:01 node07 api[4242]: WARN request handled path=/x latency_ms=123 bytes=5321 ratio=-0.25",  # noqa: E501
    b"Nov 27 02:00:02 node07 api[4242]: INFO request handled path=/x latency_ms=7 bytes=12 ratio=0.5",  # noqa: E501
    b"Nov 27 02:00:03 node07 api[4242]: ERROR request failed latency_ms=1.5e3 bytes=- ratio=1.",
    b"Nov 27 02:00:04 node07 api[4242]: INFO ERROR budget recalculated errors=0",
    b"2026-11-27 02:00:01,123 ERROR [main] com.x.Y - msg took=12ms",
    b"java.lang.IllegalStateException: ERROR in state machine",
    b"\tat com.example.Foo.bar(Foo.java:42)",
    b"[Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6",
    b'time=2026-11-27T02:00:01Z level=warn msg="x=1 y" n=3 latency_ms=-0.125',
    b"latency_ms=5 at line start ERR",
    b"ratio=7\tlatency_ms=8",
    b'{"ts":"2026-11-27T02:00:01Z","level":"error","n":1,"f":0.5,"latency_ms":3}',
    b'{"level":"warn","n":2.25e1,"ok":true}',
    b'{broken "json" WARN',
    b'1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET /x HTTP/1.0" 503 12 "-" "ua"',
    b'1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET /x HTTP/1.0" 404 -',
    b"03-17 16:13:38.811  1702  2395 E WindowManager: x=1",
    b"03-17 16:13:38.811  1702  2395 I WindowManager: ERROR x",
    b"\xff\xfe invalid utf-8 \xc3 WARN a=1",
    b"",
    b"   ",
    b"a=b=5 c=6= d==1 =7 e.=1e-3",
    b"x" * 300 + b" ERROR y=1",
    b"WARNING a=1 " + b"z" * 120,
    b"\r",
    b"Nov 27 02:00:05 ERROR api[4242]: INFO host named like a level",
    b"Nov 27 02:00:06 node07 api[4242]: [error] INFO bracketed first",
    b"Nov 27 02:00:07 node07 api[4242]: level=warn INFO keyed first",
    b"Nov 27 02:00:08 node07 api[4242]: INFORMATION WARN x=2",
    b"Caused by: java.io.IOException: ERROR x",
    # Values outside the kept range, next to kept ones whose sums pass the double range.
    b"Nov 27 02:00:09 node07 api[4242]: INFO huge x=1e2200 big=" + b"7" * 2200
    + b" z=1e309 tiny=1e-400 wide=" + b"1" * 41 + b" edge=1e308 top=1.7e308 min=1e-320"
    + b" sub=9.9e-321 over=1.8e308 under=1.7976931348623157081452742373170435679e308",
    b"Nov 27 02:00:10 node07 api[4242]: WARN z=1e309 edge=1.7e308 lead=0." + b"0" * 50 + b"1 "
    + b"k" * 201 + b"=5 zero=0e99999999999999999999 long=" + b"3" * 40 + b" neg=-1.7976931348623157e308"
    + b" sig40=0.00" + b"4" * 40 + b" sig41=0.00" + b"4" * 41 + b" exp40=" + b"5" * 40 + b"e-2",
    b'{"level":"info","edge":1e308,"top":1.7e308,"nan":NaN,"inf":-Infinity,"huge":' + b"9" * 5000
    + b',"wide":' + b"1" * 41 + b',"ok":2,"half":0.5}',
    b'{"level":"warn","' + b"j" * 250 + b'":1,"edge":1e-400,"x":1.5,"a":1,"b":2,"c":3,"d":4}',
    b'1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET /x HTTP/1.0" 200 ' + b"9" * 5000,
    b'1.2.3.4 - - [10/Oct/2000:13:55:37 -0700] "GET /y HTTP/1.0" 200 ' + b"1" + b"0" * 300,
]

CONFIGS = [
    ScanConfig(),
    ScanConfig(
        error_patterns=("failed", r"^\tat "),
        warn_patterns=(r"budget\b", "ms", r"\d\s+[a-z]"),
        metric_patterns=(
            ("took", r"took=(\d+)"),
            ("state", r"state (\d+)"),
            ("any", r"n=(\S+)"),
            ("behind", r"(?<=ms=)(\d+)"),
            ("spanning", r"(\d{1,9})\s*$"),  # bounded: a 5000-digit line is not quadratic
        ),
        max_metrics=4,
    ),
    ScanConfig(default_levels=False, error_patterns=("ERR",), warn_patterns=(r"x=1\s",)),
    ScanConfig(max_metrics=3, metric_patterns=(("big", r"big=(\d+)"), ("e", r"(\S+e\S+)"))),
]


@st.composite
def log_files(draw):
    head = draw(st.lists(st.sampled_from(LINE_POOL[:14] + LINE_POOL[14:]), max_size=5))
    body = draw(st.lists(st.sampled_from(LINE_POOL), max_size=40))
    lines = head + body
    endings = draw(
        st.lists(st.sampled_from([b"\n", b"\r\n"]), min_size=len(lines), max_size=len(lines))
    )
    data = b"".join(line + ending for line, ending in zip(lines, endings, strict=True))
    if data and draw(st.booleans()):
        data = data.rstrip(b"\n")  # no final newline
    return data


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=log_files(),
    chunk_size=st.sampled_from([1, 7, 64, 1000, 1 << 20]),
    max_line_bytes=st.one_of(st.integers(1, 130), st.just(1 << 20)),
    config_index=st.integers(0, len(CONFIGS) - 1),
)
def test_scan_matches_the_reference(tmp_path, data, chunk_size, max_line_bytes, config_index):
    base = CONFIGS[config_index]
    config = ScanConfig(
        error_patterns=base.error_patterns,
        warn_patterns=base.warn_patterns,
        metric_patterns=base.metric_patterns,
        default_levels=base.default_levels,
        chunk_size=chunk_size,
        max_line_bytes=max_line_bytes,
        max_metrics=base.max_metrics,
    )
    path = write(tmp_path, "h.log", data)
    assert scan_file(path, config) == reference_scan(path, config)


@pytest.mark.parametrize("first_line", [LINE_POOL[0], LINE_POOL[11], LINE_POOL[14], LINE_POOL[16]])
def test_scan_matches_the_reference_per_format(tmp_path, first_line):
    data = b"\n".join([first_line] * 30 + LINE_POOL * 3)  # 30 of the 50 sniffed lines
    for config in CONFIGS:
        for chunk_size in (7, 64, 4096):
            tuned = ScanConfig(**{**config.__dict__, "chunk_size": chunk_size})
            path = write(tmp_path, "f.log", data)
            assert scan_file(path, tuned) == reference_scan(path, tuned)


# --- byte ranges ------------------------------------------------------------------------------


def merged_ranges(path: str, config: ScanConfig, cuts: list[int]) -> FileSummary:
    bounds = [0, *cuts, None]
    parts = [scan_file(path, config, bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1)]
    merged = parts[0]
    for part in parts[1:]:
        merged = merged.merge_range(part)
    return merged


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"a\r\nb ERROR\r\n\r\nc=1\r\n",
        b"Nov 27 02:00:01 n api[1]: WARN x=1\nNov 27 02:00:02 n api[1]: ERROR y=2.5\nno final newline z=3",  # noqa: E501
        b'{"level":"error","n":1}\n{"level":"info","n":2}\nWARN x\n',
        b"\n\n\nERROR\n",
        b"d=1e309 c=2\nb=" + b"9" * 41 + b" a=1 e=1e308\ne=1.7e308 z=3\ny=4 c=5\n",
    ],
    ids=["empty", "crlf", "no-final-newline", "json", "blank-lines", "out-of-range-and-capped"],
)
def test_ranges_at_every_offset_merge_to_the_whole_file(tmp_path, data):
    path = write(tmp_path, "r.log", data)
    config = ScanConfig(chunk_size=5, max_line_bytes=25, max_metrics=2)
    whole = scan_file(path, config)
    assert whole == reference_scan(path, config)
    for cut in range(len(data) + 1):
        assert merged_ranges(path, config, [cut]) == whole, cut
    for width in (1, 2, 3, 7):
        assert merged_ranges(path, config, list(range(width, len(data) + 1, width))) == whole, width


def test_learned_header_never_classifies_continuation_lines(tmp_path):
    data = (
        b"Worker pool: INFO started\nWorker pool: WARN slow\nWorker pool: INFO done\n" * 3
        + b"Caused by: ERROR boom\n"
        + b"Traceback (most recent call last): ERROR\n"
        + b"Worker pool: ERROR real\n"
    )
    path = write(tmp_path, "w.log", data)
    summary = scan_file(path, ScanConfig())
    assert (summary.error_lines, summary.warn_lines) == (1, 3)
    assert summary == reference_scan(path, ScanConfig())


def test_range_uses_the_format_of_the_file_head(tmp_path):
    data = b'{"level":"error","n":1}\n' * 3 + b'{"level":"warn","n":2}\n'
    path = write(tmp_path, "j.log", data)
    later = scan_file(path, ScanConfig(), start=len(data) - 5)
    assert later.format == "json"
    tail = scan_file(path, ScanConfig(), start=len(data) - 23)
    assert (tail.format, tail.lines, tail.warn_lines) == ("json", 1, 1)


def test_a_line_starting_exactly_at_start_belongs_to_the_range(tmp_path):
    path = write(tmp_path, "b.log", b"aaa\nbbb\nccc\n")
    assert scan_file(path, ScanConfig(), 4, 8).lines == 1
    assert scan_file(path, ScanConfig(), 5, 8).lines == 0  # "bbb" starts at 4, "ccc" at 8
    assert scan_file(path, ScanConfig(), 5, 9).lines == 1


# --- the sample tree ---------------------------------------------------------------------------


def test_sample_logs_scan_cleanly_and_match_the_reference():
    paths = sorted(p for p in SAMPLE_LOGS.rglob("*") if p.is_file())
    assert len(paths) >= 8
    formats_seen = set()
    for path in paths:
        summary = scan_file(str(path), ScanConfig())
        assert summary.status == STATUS_OK, (path, summary.error)
        assert summary == reference_scan(str(path), ScanConfig()), path
        formats_seen.add(summary.format)
    assert {"plain", "json", "access", "apache_error", "logcat"} <= formats_seen


def test_sample_logs_ranges_merge_to_the_whole_file():
    import random

    rng = random.Random(7)
    for path in sorted(SAMPLE_LOGS.rglob("*.log")):
        if not is_splittable(str(path)):
            continue
        size = path.stat().st_size
        config = ScanConfig(chunk_size=4096)
        whole = scan_file(str(path), config)
        cuts = sorted(rng.sample(range(1, size), 7))
        assert merged_ranges(str(path), config, cuts) == whole, path


def test_is_splittable_is_false_for_what_is_not_a_plain_file(tmp_path):
    assert not is_splittable(str(tmp_path))
    assert not is_splittable(str(tmp_path / "missing.log"))
    assert is_splittable(write(tmp_path, "empty.log", b""))


@settings(max_examples=150, deadline=None)
@given(
    data=log_files(),
    cut_fractions=st.lists(st.floats(0, 1), max_size=6),
    chunk_size=st.sampled_from([3, 64, 1 << 20]),
)
def test_random_ranges_merge_to_the_whole_file(tmp_path_factory, data, cut_fractions, chunk_size):
    path = write(tmp_path_factory.mktemp("ranges"), "r.log", data)
    config = CONFIGS[1].__class__(
        **{**CONFIGS[1].__dict__, "chunk_size": chunk_size, "max_line_bytes": 60}
    )
    cuts = sorted({int(fraction * len(data)) for fraction in cut_fractions})
    assert (
        merged_ranges(path, config, cuts) == scan_file(path, config) == reference_scan(path, config)
    )


def test_absurd_exponent_is_counted_out_of_range_and_does_not_stall(tmp_path):
    path = tmp_path / "a.log"
    path.write_bytes(b"Nov 27 02:00:01 n api[1]: INFO x=1e999999999 y=2\n"
                     b'{"level":"info","x":1e999999999,"y":3}\n')
    summary = scan_file(str(path), ScanConfig())
    assert summary.lines == 2
    assert "x" not in summary.metrics
    assert summary.metrics["y"].count >= 1
    # One vote each, and ties go to plain: the JSON line's fields are not read, only x=1e999999999
    assert (summary.format, summary.samples_out_of_range) == ("plain", 1)


# --- metric names and values ------------------------------------------------------------------


def test_identifier_keys_are_not_metrics_unless_included(tmp_path):
    data = (b"Dec 10 06:55:46 h sshd[1]: pam_unix(sshd:auth): authentication failure; logname= "
            b"uid=0 euid=0 tty=ssh ruser= rhost=1.2.3.4 user_id=7 port=22 latency_ms=12\n")
    default = scan_bytes(tmp_path, data)
    assert sorted(default.metrics) == ["latency_ms"]
    included = scan_bytes(tmp_path, data, ScanConfig(metric_include=("uid", "latency_*")))
    assert sorted(included.metrics) == ["latency_ms", "uid"]
    excluded = scan_bytes(tmp_path, data, ScanConfig(metric_include=("*",),
                                                     metric_exclude=("*_id", "e*")))
    assert sorted(excluded.metrics) == ["latency_ms", "port", "uid"]


def test_files_scanned_under_one_rule_share_its_name_decisions(tmp_path, monkeypatch):
    from logcrunch import scan as scan_module

    decided = []
    real = scan_module.MetricNames._decide
    monkeypatch.setattr(scan_module.MetricNames, "_decide",
                        lambda self, name: decided.append((self.include, name)) or real(self, name))
    monkeypatch.setattr(scan_module.MetricNames, "_shared", {})
    data = b"INFO request uid=1 latency_ms=12 bytes=5\n" * 3
    first = scan_bytes(tmp_path, data, ScanConfig(metric_include=("latency_*", "uid")))
    again = scan_bytes(tmp_path, data, ScanConfig(metric_include=("latency_*", "uid")))
    other = scan_bytes(tmp_path, data, ScanConfig(metric_include=("bytes",)))
    assert sorted(first.metrics) == sorted(again.metrics) == ["latency_ms", "uid"]
    assert sorted(other.metrics) == ["bytes"]  # another rule decides anew
    by_rule = {}
    for rule, name in decided:
        by_rule.setdefault(rule, []).append(name)
    assert all(len(names) == len(set(names)) for names in by_rule.values())  # once per name
    assert set(by_rule) == {("latency_*", "uid"), ("bytes",)}


_GLOB_TEXT = st.text(alphabet="ab_*?[]!-^\\.Z\n", max_size=8)


@settings(max_examples=400, deadline=None)
@given(globs=st.lists(_GLOB_TEXT, max_size=5), names=st.lists(_GLOB_TEXT, max_size=10))
def test_the_combined_glob_pattern_matches_what_fnmatchcase_matches(globs, names):
    import fnmatch

    from logcrunch.scan import any_glob

    matches = any_glob(tuple(globs))
    for name in names + list(globs):
        assert matches(name) == any(fnmatch.fnmatchcase(name, glob) for glob in globs)


def test_globs_that_do_not_combine_are_matched_one_by_one(monkeypatch):
    from logcrunch import scan as scan_module

    real = scan_module.re.compile

    def refuse_alternations(pattern, *args):
        if "|" in pattern:
            raise scan_module.re.error("no")
        return real(pattern, *args)

    monkeypatch.setattr(scan_module.re, "compile", refuse_alternations)
    matches = scan_module.any_glob(("*_id", "pid"))
    assert matches("user_id") and matches("pid") and not matches("pids")


def test_a_number_followed_by_a_comma_or_semicolon_is_a_sample(tmp_path):
    data = b"INFO target=38, rate=200; ratio=0.5,, cut=7,x last=9;\n"
    summary = scan_bytes(tmp_path, data)
    assert {name: m.total for name, m in summary.metrics.items()} == \
        {"target": 38, "rate": 200, "last": 9}


def test_json_identifier_fields_are_not_metrics(tmp_path):
    data = b'{"level":"info","pid":4242,"request_id":17,"latency_ms":12}\n' * 3
    summary = scan_bytes(tmp_path, data)
    assert sorted(summary.metrics) == ["latency_ms"]


def test_a_stack_trace_across_a_range_boundary_stays_in_its_hour(tmp_path):
    head = b"2026-11-26 13:59:59 ERROR request failed\n"
    trace = b"".join(b"\tat com.example.Frame%d.run(Frame.java:%d)\n" % (i, i) for i in range(40))
    tail = b"2026-11-26 14:00:01 INFO recovered\n"
    path = write(tmp_path, "t.log", head + trace + tail)
    config = ScanConfig(chunk_size=64)
    whole = scan_file(path, config)
    assert whole.timeline == {"2026-11-26T13:00:00Z": [41, 1, 0], "2026-11-26T14:00:00Z": [1, 0, 0]}
    cut = len(head) + len(trace) // 2
    first, second = scan_file(path, config, 0, cut), scan_file(path, config, cut, None)
    assert "" in second.timeline  # the range alone cannot know the hour of its first lines ...
    merged = first.merge_range(second)
    assert merged.timeline == whole.timeline  # ... the merge gives them the hour before
    assert merged.templates == whole.templates and merged.last_ts == "2026-11-26T14:00:01Z"


# What the cutter tests generate: short and over-long lines, "\r\n" and stray "\r", no end.
_CUT_DATA = st.lists(st.sampled_from([b"a", b"bb ", b"\n", b"\r\n", b"x" * 9, b"y" * 30, b"\r"]),
                     max_size=40).map(b"".join)
_CUT_CHUNKS = st.sampled_from([1, 3, 7, 64])
_CUT_MAX_LINES = st.sampled_from([4, 10, 1000])


def _reference_items(data: bytes, chunk_size, max_line, start, end, hold):
    """What _line_blocks over _chunks (the straightforward cutter) gives, long lines split out
    of its blocks the way BlockScanner.scan_block splits them."""
    from logcrunch.scan import _chunks, _line_blocks, _split_long_lines

    stream = io.BytesIO(data)
    stream.seek(max(0, start - 1))
    ends: list[int] = []
    items = []
    for kind, block in _line_blocks(_chunks(stream, chunk_size, b""), max_line, max(0, start - 1),
                                    start > 0, end, hold, ends):
        items.extend(_split_long_lines(block, max_line) if kind == "lines" else [(kind, block)])
    return items, ends


@settings(max_examples=400, deadline=None)
@given(
    data=_CUT_DATA, chunk_size=_CUT_CHUNKS, max_line=_CUT_MAX_LINES,
    start_fraction=st.floats(0, 1), end_fraction=st.one_of(st.none(), st.floats(0, 1)),
    hold=st.booleans(),
)
def test_the_buffered_cutter_gives_the_reference_cutter_s_lines_and_ends(
        tmp_path_factory, data, chunk_size, max_line, start_fraction, end_fraction, hold):
    from logcrunch.readers import BoundedReader
    from logcrunch.scan import _buffered_line_blocks

    start = int(start_fraction * len(data))
    end = None if end_fraction is None else max(start, int(end_fraction * len(data)))
    expected = _reference_items(data, chunk_size, max_line, start, end, hold)
    path = tmp_path_factory.mktemp("cut") / "c.log"
    path.write_bytes(data)
    with open(path, "rb", buffering=0) as raw:
        source = BoundedReader(raw, len(data))
        first = b""
        if start > 0:
            source.seek(start - 1)
        else:
            first = source.read(min(len(data), 5))  # the sniffed head comes in first
        ends: list[int] = []
        items = [(kind, bytes(block)) for kind, block in _buffered_line_blocks(
            source, first, chunk_size, max_line, max(0, start - 1), start > 0, end, hold, ends)]
    assert (_joined(items), ends) == (_joined(expected[0]), expected[1])


@settings(max_examples=300, deadline=None)
@given(
    data=_CUT_DATA, chunk_size=_CUT_CHUNKS, max_line=_CUT_MAX_LINES,
    compression=st.sampled_from(["gzip", "bz2", "xz"]),
    hold=st.booleans(),
)
def test_the_buffered_cutter_over_a_decompressing_stream_gives_the_reference_cutter_s_items(
        data, chunk_size, max_line, compression, hold):
    """A compressed file is read whole through the same reused buffer: no size known ahead,
    short reads from the decompressor."""
    import bz2
    import gzip
    import lzma

    from logcrunch.readers import BoundedReader, decompressing
    from logcrunch.scan import _buffered_line_blocks

    packed = {"gzip": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress}[compression](data)
    expected = _reference_items(data, chunk_size, max_line, 0, None, hold)
    stream = decompressing(BoundedReader(io.BytesIO(packed), len(packed)), compression,
                           len(data) + 1, 1000)
    first = stream.read(min(len(data), 5))  # the sniffed head comes in first
    ends: list[int] = []
    items = [(kind, bytes(block)) for kind, block in _buffered_line_blocks(
        stream, first, chunk_size, max_line, 0, False, None, hold, ends)]
    assert (_joined(items), ends) == (_joined(expected[0]), expected[1])


def _joined(items):
    """Runs of lines joined: where blocks are cut between lines changes nothing scanned."""
    out = []
    for kind, block in items:
        if kind == "lines" and out and out[-1][0] == "lines":
            out[-1] = ("lines", out[-1][1] + block)
        else:
            out.append((kind, bytes(block)))
    return out
