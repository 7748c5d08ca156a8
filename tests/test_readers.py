"""logcrunch.readers.ReadAhead: a decompressing stream read one thread ahead gives the same
bytes and the same errors at the same point, and stops its thread when closed; scan_file reads
big compressed files through it with the same results as without."""

import bz2
import gzip
import io
import lzma
import random
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logcrunch import defaults
from logcrunch.readers import ReadAhead
from logcrunch.scan import ScanConfig, scan_file


class _Chunky:
    """A stream whose reads return at most ``most`` bytes, then raise ``error`` (if given)
    after ``fail_after`` bytes."""

    def __init__(self, data: bytes, most: int, fail_after: int | None = None,
                 error: BaseException | None = None) -> None:
        self.data, self.most, self.fail_after, self.error = data, most, fail_after, error
        self.at = 0
        self.closed = False

    def read(self, count: int = -1) -> bytes:
        if self.fail_after is not None and self.at >= self.fail_after:
            raise self.error
        stop = len(self.data) if count < 0 else self.at + min(count, self.most)
        if self.fail_after is not None:
            stop = min(stop, self.fail_after)
        piece = self.data[self.at:stop]
        self.at += len(piece)
        return piece

    def close(self) -> None:
        self.closed = True


def _drain(ahead: ReadAhead, sizes: list[int]) -> bytes:
    """Read ``ahead`` to its end, alternating readinto and read with the given sizes."""
    out = bytearray()
    turn = 0
    while True:
        size = sizes[turn % len(sizes)]
        if turn % 2:
            piece = ahead.read(size)
        else:
            buffer = bytearray(size)
            got = ahead.readinto(buffer)
            piece = bytes(buffer[:got])
        turn += 1
        if not piece:
            return bytes(out)
        out += piece


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=3000), most=st.integers(1, 700), chunk=st.integers(1, 900),
       sizes=st.lists(st.integers(1, 1000), min_size=1, max_size=5), depth=st.integers(1, 3))
def test_read_ahead_gives_the_stream_s_bytes_whatever_the_read_sizes(data, most, chunk, sizes,
                                                                     depth):
    inner = _Chunky(data, most)
    ahead = ReadAhead(inner, chunk, depth)
    try:
        assert _drain(ahead, sizes) == data
        assert ahead.read(10) == b"" and ahead.readinto(bytearray(10)) == 0  # (stays ended)
    finally:
        ahead.close()
    assert inner.closed


@pytest.mark.parametrize("fail_after", [0, 1, 999, 1000, 2500])
def test_an_error_of_the_stream_comes_after_the_bytes_before_it(fail_after):
    data = bytes(random.Random(5).randbytes(3000))
    ahead = ReadAhead(_Chunky(data, 300, fail_after, EOFError("cut short")), 256)
    got = bytearray()
    try:
        with pytest.raises(EOFError, match="cut short"):
            while True:
                piece = ahead.read(100)
                got += piece
                assert piece, "ended without the error"
        assert bytes(got) == data[:fail_after]
    finally:
        ahead.close()


def test_closing_before_the_end_stops_the_thread_and_closes_the_stream():
    inner = _Chunky(b"x" * 1_000_000, 1000)
    ahead = ReadAhead(inner, 1000, depth=1)
    assert ahead.read(10) == b"x" * 10  # (the thread now waits to put its next chunk)
    ahead.close()
    assert not ahead._thread.is_alive() and inner.closed
    assert not [t for t in threading.enumerate() if t is ahead._thread]


def _log(lines: int) -> bytes:
    rnd = random.Random(11)
    return b"".join(
        b"Nov 27 %02d:%02d:00 node%02d api[7]: %s handled latency_ms=%d ratio=-0.%02d\n"
        % (n // 60 % 24, n % 60, rnd.randrange(40), rnd.choice([b"INFO", b"WARN", b"ERROR"]),
           rnd.randrange(5000), rnd.randrange(100))
        for n in range(lines))


COMPRESSORS = {"gz": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress}


@pytest.mark.parametrize("suffix", sorted(COMPRESSORS))
@pytest.mark.parametrize("damage", ["none", "truncated", "bomb"])
def test_big_compressed_files_scan_the_same_with_and_without_read_ahead(tmp_path, monkeypatch,
                                                                         suffix, damage):
    """Files over READ_AHEAD_MIN_BYTES: the same summary (an intact one, a truncated one's
    failure, a compression bomb's failure) as read without the thread."""
    data = _log(30_000)
    packed = b""
    while len(packed) < defaults.READ_AHEAD_MIN_BYTES:  # (members or streams one after another)
        packed += COMPRESSORS[suffix](data)
    if damage == "truncated":
        packed = packed[: len(packed) * 2 // 3]
    path = tmp_path / f"app.log.{suffix}"
    path.write_bytes(packed)
    config = ScanConfig()
    if damage == "bomb":  # (expanding more than 2x past the first 1 MiB)
        monkeypatch.setattr(defaults, "EXPANSION_FLOOR_BYTES", 1 << 20)
        config = ScanConfig(max_expansion=2)
    ahead = scan_file(str(path), config)
    monkeypatch.setattr(defaults, "READ_AHEAD_MIN_BYTES", 1 << 62)
    plain = scan_file(str(path), config)
    assert ahead == plain
    assert (ahead.status == "ok") == (damage == "none"), ahead.error
    if damage == "bomb":
        assert "compression bomb" in ahead.error


def test_read_ahead_reads_a_gzip_member_stream_like_the_file_object():
    data = _log(2000)
    ahead = ReadAhead(gzip.GzipFile(fileobj=io.BytesIO(gzip.compress(data) * 2)), 4096)
    try:
        assert _drain(ahead, [5000, 123]) == data * 2
    finally:
        ahead.close()


def test_a_read_after_close_is_an_error_not_a_hang():
    ahead = ReadAhead(_Chunky(b"y" * 10_000, 1000), 1000)
    assert ahead.read(5) == b"yyyyy"
    ahead.close()
    ahead.close()  # (idempotent)
    for read in (lambda: ahead.read(5), lambda: ahead.readinto(bytearray(5))):
        with pytest.raises(ValueError, match="closed"):
            read()


def test_without_a_thread_to_be_had_a_big_compressed_file_is_read_without(tmp_path, monkeypatch):
    """A process at its limit of threads: the file is scanned all the same, inflating as it
    reads."""
    data = _log(30_000)
    packed = b""
    while len(packed) < defaults.READ_AHEAD_MIN_BYTES:
        packed += gzip.compress(data)
    path = tmp_path / "app.log.gz"
    path.write_bytes(packed)
    expected = scan_file(str(path), ScanConfig())

    def refuse(self):
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading.Thread, "start", refuse)
    assert scan_file(str(path), ScanConfig()) == expected
