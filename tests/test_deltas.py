"""Exact deltas (logcrunch/deltas.py): planning an incremental read, fingerprints, and the
scanner's reading from a cursor, night after night, against the reference scan of the whole file."""

import os
import tempfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from logcrunch.deltas import (
    APPENDED,
    REWRITTEN,
    TRUNCATED,
    UNCHANGED,
    WHOLE,
    WINDOW,
    Cursor,
    ReadPlan,
    fingerprint,
    fingerprint_path,
    plan_read,
)
from logcrunch.readers import MAGIC_BYTES, detect_compression
from logcrunch.scan import ScanConfig, scan_file
from tests.helpers import scan_path_as
from tests.reference_scan import reference_scan


@pytest.fixture(params=["c", "python"])
def scan_path(request):
    with scan_path_as(request.param):
        yield request.param


def never(_offset):
    raise AssertionError("no fingerprint needed")


def prints(value):
    calls = []

    def at(offset):
        calls.append(offset)
        return value
    return at, calls


CURSOR = Cursor(size=100, mtime_ns=5, read_to=100, fingerprint="f" * 32, last_hour="2026-11-26T13:00:00Z")


def test_a_file_without_cursor_is_read_whole_holding_its_last_line():
    assert plan_read(10, 1, None, False, False, never) == ReadPlan(0, True, WHOLE)
    assert plan_read(10, 1, None, False, True, never) == ReadPlan(0, False, WHOLE)
    assert plan_read(10, 1, None, True, False, never) == ReadPlan(0, False, WHOLE)


def test_a_file_as_it_was_with_everything_counted_is_unchanged():
    assert plan_read(100, 5, CURSOR, False, False, never) is UNCHANGED
    assert plan_read(100, 5, CURSOR, True, False, never) is UNCHANGED


def test_a_grown_file_with_the_same_earlier_bytes_is_read_from_where_the_last_run_stopped():
    at, calls = prints("f" * 32)
    plan = plan_read(150, 6, CURSOR, False, False, at)
    assert plan == ReadPlan(100, True, APPENDED, lead_hour="2026-11-26T13:00:00Z",
                            fingerprint="f" * 32)
    assert calls == [100]


def test_a_grown_file_whose_earlier_bytes_changed_is_read_whole_and_marked_rewritten():
    at, _calls = prints("0" * 32)
    assert plan_read(150, 6, CURSOR, False, False, at) == ReadPlan(0, True, REWRITTEN)
    assert plan_read(150, 6, CURSOR, False, True, at) == ReadPlan(0, False, REWRITTEN)


def test_a_file_smaller_than_what_was_counted_is_read_whole_and_marked_truncated():
    assert plan_read(99, 6, CURSOR, False, False, never) == ReadPlan(0, True, TRUNCATED)


def test_a_changed_compressed_file_is_read_whole():
    assert plan_read(150, 6, CURSOR, True, False, never) == ReadPlan(0, False, REWRITTEN)


def test_a_cursor_without_fingerprint_from_before_cursors_existed_reads_a_changed_file_whole():
    legacy = Cursor(100, 5, 100, "")
    assert plan_read(150, 6, legacy, False, False, never) == ReadPlan(0, True, WHOLE)


def test_a_held_last_line_is_counted_once_the_file_stayed_as_it_was_for_a_run():
    held = Cursor(100, 5, 90, "f" * 32, "2026-11-26T13:00:00Z")
    at, _calls = prints("f" * 32)
    assert plan_read(100, 5, held, False, False, at) == \
        ReadPlan(90, False, APPENDED, lead_hour="2026-11-26T13:00:00Z", fingerprint="f" * 32)
    assert plan_read(120, 6, held, False, False, at).hold  # still being written


def fingerprint_of(data: bytes, offset: int) -> str:
    with tempfile.TemporaryFile() as fp:
        fp.write(data)
        fp.flush()
        return fingerprint(fp.fileno(), offset)


def test_fingerprint_sees_the_length_and_both_ends_of_the_counted_bytes():
    data = bytes(range(256)) * 400  # 100 KiB
    offset = len(data) - 10
    base = fingerprint_of(data, offset)
    assert len(base) == 32 and base == fingerprint_of(data + b"appended", offset)
    assert fingerprint_of(data, offset - 1) != base
    for where in (0, WINDOW - 1, offset - WINDOW, offset - 1):
        changed = bytearray(data)
        changed[where] ^= 1
        assert fingerprint_of(bytes(changed), offset) != base, where
    changed = bytearray(data)
    changed[WINDOW + 10] ^= 1  # inside the middle: not seen (documented)
    assert fingerprint_of(bytes(changed), offset) == base
    changed = bytearray(data)
    changed[offset + 5] ^= 1  # after the offset: not part of it
    assert fingerprint_of(bytes(changed), offset) == base


def test_small_prefixes_are_fingerprinted_whole(tmp_path):
    path = tmp_path / "a.log"
    path.write_bytes(b"x" * (2 * WINDOW))
    whole = fingerprint_path(str(path), 2 * WINDOW)
    path.write_bytes(b"x" * WINDOW + b"y" + b"x" * (WINDOW - 1))
    assert fingerprint_path(str(path), 2 * WINDOW) != whole
    assert fingerprint_path(str(tmp_path / "missing"), 10) == ""


LINES = [b"Nov 27 03:00:00 node1 api[7]: ERROR disk 12 failed\n",
         b"Nov 27 04:00:00 node1 api[7]: WARN slow latency_ms=17\n",
         b"  at stack.frame(Foo.java:12)\n", b"plain 42\r\n", b"\n"]
PIECES = st.one_of(st.sampled_from(LINES),
                   st.sampled_from(LINES).map(lambda line: line[: len(line) // 2]),  # partial
                   st.binary(min_size=1, max_size=12).filter(lambda b: b"\x00" not in b),
                   st.just(b"L" * 70), st.just(b"\n"))
# A file that starts with a compression format's magic bytes is read as that format (readers
# sniffs content, not names), which no night-over-night text log does: not generated.
NIGHTS = st.lists(st.lists(PIECES, max_size=8).map(b"".join), min_size=1, max_size=5).filter(
    lambda nights: detect_compression(b"".join(nights)[:MAGIC_BYTES]) is None)


def read_night(path, config, start, cuts, hold):
    """One night's reading from ``start``: byte ranges cut at ``cuts``, like a split file."""
    size = os.path.getsize(path)
    bounds = sorted({start, *(c for c in cuts if start < c < size)})
    parts = []
    for index, range_start in enumerate(bounds):
        end = None if index == len(bounds) - 1 else bounds[index + 1]
        parts.append(scan_file(path, config, range_start, end, hold=hold, track=True))
    whole = parts[0]
    for part in parts[1:]:
        whole = whole.merge_range(part)
    return whole


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                             HealthCheck.function_scoped_fixture])
@given(nights=NIGHTS, cut_fractions=st.lists(st.floats(0, 1), max_size=3),
       max_line=st.sampled_from([40, 1000]), chunk=st.sampled_from([5, 64, 4096]))
def test_reading_night_after_night_from_the_cursor_counts_every_line_once(
        scan_path, nights, cut_fractions, max_line, chunk):
    config = ScanConfig(max_line_bytes=max_line, chunk_size=chunk)
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "app.log")
        open(path, "wb").close()
        read_to, totals = 0, [0, 0, 0, 0]
        for night, appended in enumerate(nights):
            with open(path, "ab") as fp:
                fp.write(appended)
            size = os.path.getsize(path)
            cuts = [int(read_to + f * (size - read_to)) for f in cut_fractions]
            settled = night == len(nights) - 1  # the last night counts a last line as it is
            summary = read_night(path, config, read_to, cuts, hold=not settled)
            assert summary.status == "ok", summary.error
            assert summary.read_from == read_to and read_to <= summary.read_to <= size
            with open(path, "rb") as fp:
                assert summary.fingerprint == fingerprint(fp.fileno(), summary.read_to)
            read_to = summary.read_to
            for index, value in enumerate((summary.lines, summary.error_lines,
                                           summary.warn_lines, summary.long_lines)):
                totals[index] += value
        assert read_to == os.path.getsize(path)
        truth = reference_scan(path, config)
        assert totals == [truth.lines, truth.error_lines, truth.warn_lines, truth.long_lines]


def test_a_held_last_line_is_left_for_the_next_reading(scan_path, tmp_path):
    path = tmp_path / "app.log"
    path.write_bytes(b"one\ntwo\nthr")
    held = scan_file(str(path), ScanConfig(), hold=True, track=True)
    assert (held.lines, held.read_to) == (2, 8)
    counted = scan_file(str(path), ScanConfig(), track=True)
    assert (counted.lines, counted.read_to) == (3, 11)
    with open(path, "ab") as fp:
        fp.write(b"ee\n")
    later = scan_file(str(path), ScanConfig(), 8, hold=True, track=True)
    assert (later.lines, later.read_from, later.read_to) == (1, 8, 14)


def test_compressed_and_untracked_readings_leave_no_cursor(scan_path, tmp_path):
    import gzip
    path = tmp_path / "app.log.gz"
    path.write_bytes(gzip.compress(b"one\ntwo"))
    summary = scan_file(str(path), ScanConfig(), hold=True, track=True)
    assert (summary.lines, summary.read_to, summary.fingerprint) == (2, -1, "")
    plain = tmp_path / "app.log"
    plain.write_bytes(b"one\n")
    assert scan_file(str(plain), ScanConfig()).read_to == -1


def test_an_appended_read_fails_when_the_earlier_bytes_changed_since_the_plan(scan_path, tmp_path):
    path = tmp_path / "app.log"
    path.write_bytes(b"one\ntwo\n")
    with open(path, "rb") as fp:
        expected = fingerprint(fp.fileno(), 4)
    with open(path, "ab") as fp:
        fp.write(b"three\n")
    assert scan_file(str(path), ScanConfig(), 4, expect=expected).lines == 2
    path.write_bytes(b"ONE\ntwo\nthree\n")  # rewritten in place while the task waited
    failed = scan_file(str(path), ScanConfig(), 4, expect=expected)
    assert failed.status == "failed" and "earlier bytes changed" in failed.error
    path.write_bytes(b"on")  # truncated below where the read starts
    assert "shrank" in scan_file(str(path), ScanConfig(), 4, expect=expected).error
