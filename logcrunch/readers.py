"""Open a log file once and read it as a stream of decompressed bytes, whatever its compression.

``open_raw`` is the default opener: it never blocks (a FIFO without a writer), and refuses what
is not a regular file. ``BoundedReader`` reads the opened file only up to its size at open.
Compression is recognised by magic bytes, never by the file name. gzip uses python-isal when it is
importable (about twice as fast here; ``LOGCRUNCH_NO_ISAL=1`` turns it off) and the standard
library otherwise; zstd needs the optional ``zstandard`` package. ``decompressing`` fails a
stream that expands more than a given number of bytes (a compression bomb). Every failure
surfaces as :class:`ReadError` with a one-line reason.
"""

from __future__ import annotations

import errno
import importlib
import os
import queue
import stat
import threading
import zlib
from typing import BinaryIO

# The decompression modules are imported on first use: most runs are mostly plain text, and every
# millisecond of start-up is paid by every run.
_gzip_module = None  # the module whose GzipFile inflates: isal.igzip if available, else gzip


def gzip_module():
    """isal.igzip (the optional ``[fast]`` extra, about twice as fast as zlib), else gzip."""
    global _gzip_module
    if _gzip_module is None:
        _gzip_module = _choose_gzip_module()
    return _gzip_module


def _choose_gzip_module():
    if os.environ.get("LOGCRUNCH_NO_ISAL", "") in ("", "0"):  # benchmarks compare both
        try:
            from isal import igzip

            return igzip
        except ImportError:  # pragma: no cover - depends on the environment
            pass
    import gzip

    return gzip

GZIP = "gzip"
BZ2 = "bz2"
XZ = "xz"
ZSTD = "zstd"

ZSTD_MISSING = "zstd-compressed: install the optional extra: pip install 'logcrunch[zstd]'"

_MAGIC = (
    (b"\x1f\x8b", GZIP),
    (b"BZh", BZ2),
    (b"\xfd7zXZ\x00", XZ),
    (b"\x28\xb5\x2f\xfd", ZSTD),
)
MAGIC_BYTES = 6  # enough bytes to recognise every format above


class ReadError(Exception):
    """A file could not be read or decompressed; ``str()`` is a one-line reason for files.csv."""


def detect_compression(head: bytes) -> str | None:
    """Return "gzip", "bz2", "xz" or "zstd" when ``head`` starts with that format's magic bytes."""
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    return None


_FILE_TYPES = (
    (stat.S_ISFIFO, "fifo"),
    (stat.S_ISSOCK, "socket"),
    (stat.S_ISCHR, "character device"),
    (stat.S_ISBLK, "block device"),
)


def file_type_problem(mode: int) -> str:
    """Why a file of this st_mode is not read ("" for a regular file): "is a directory",
    "not a regular file (fifo)", "(socket)", "(character device)", "(block device)"."""
    if stat.S_ISREG(mode):
        return ""
    if stat.S_ISDIR(mode):
        return "is a directory"
    for test, name in _FILE_TYPES:
        if test(mode):
            return f"not a regular file ({name})"
    return "not a regular file"


def open_raw(path: str) -> BinaryIO:
    """The default opener of logcrunch.scan.scan_file: ``path`` opened read-only, unbuffered.

    O_NONBLOCK makes opening a FIFO without a writer return at once (and O_NOCTTY keeps a
    terminal device from becoming ours); the file is then checked with fstat and anything but a
    regular file is closed and refused with ReadError (file_type_problem). Raises OSError when
    the file cannot be opened.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # a socket (or a device without its driver) cannot be opened
            problem = file_type_problem(os.stat(path).st_mode)
            if problem:
                raise ReadError(problem) from None
        raise
    try:
        problem = file_type_problem(os.fstat(fd).st_mode)
        if problem:
            raise ReadError(problem)
        return os.fdopen(fd, "rb", buffering=0)
    except BaseException:
        os.close(fd)
        raise


class BoundedReader:
    """Reads an opened file only up to ``size`` (its size at open), whatever it grows to.

    ``position`` is the offset of the next byte; ``ended_early`` says the file ended before
    ``size`` (it was truncated while being read). Decompressors read through it too.
    """

    def __init__(self, raw: BinaryIO, size: int) -> None:
        self.raw = raw
        self.size = size
        self.position = 0
        self.ended_early = False

    def read(self, count: int = -1) -> bytes:
        remaining = self.size - self.position
        if count < 0 or count > remaining:
            count = remaining
        if count <= 0:
            return b""
        data = self.raw.read(count) or b""
        if not data:
            self.ended_early = True
        self.position += len(data)
        return data

    def readinto(self, buffer) -> int:
        """Like read, into ``buffer`` (isal's gzip reader and the scanner read this way)."""
        view = memoryview(buffer).cast("B")
        count = min(len(view), self.size - self.position)
        if count <= 0:
            return 0
        readinto = getattr(self.raw, "readinto", None)
        if readinto is None:
            data = self.raw.read(count) or b""
            got = len(data)
            view[:got] = data
        else:
            got = readinto(view[:count]) or 0
        if not got:
            self.ended_early = True
        self.position += got
        return got

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        self.position = self.raw.seek(offset, whence)
        return self.position

    def tell(self) -> int:
        return self.position

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        """The opener's file is closed by whoever opened it."""


def expansion_problem(ratio: int) -> str:
    return (f"decompresses to more than {ratio} times its size (a compression bomb?); "
            "raise --max-expansion to read it")


def decompressing(source: BoundedReader, compression: str, max_bytes: int, ratio: int):
    """A stream of the decompressed bytes of ``source``; raises ReadError.

    Its ``read(n)`` may raise any decompression error (wrap reads with describe_read_error), and
    raises ReadError(expansion_problem(ratio)) once more than ``max_bytes`` came out.
    """
    if compression == GZIP:
        stream = gzip_module().GzipFile(fileobj=source, mode="rb")
    elif compression == BZ2:
        stream = _stdlib_module("bz2", compression).BZ2File(source)
    elif compression == XZ:
        stream = _stdlib_module("lzma", compression).LZMAFile(source)
    elif compression == ZSTD:
        try:
            import zstandard
        except ImportError:
            raise ReadError(ZSTD_MISSING) from None
        stream = _ZstdReader(source, zstandard.ZstdDecompressor())
    else:
        raise ReadError(f"unknown compression {compression!r}")
    return _LimitedStream(stream, max_bytes, ratio)


def _stdlib_module(name: str, compression: str):
    """Import a decompression module on first use; a Python built without it fails the file."""
    try:
        return importlib.import_module(name)
    except ImportError:
        raise ReadError(f"{compression}-compressed: this Python was built without {name}") from None


class _LimitedStream:
    """A decompressing stream that fails once more than ``max_bytes`` came out of it."""

    def __init__(self, stream, max_bytes: int, ratio: int):
        self.stream = stream
        self.remaining = max_bytes
        self.ratio = ratio

    def read(self, count: int = -1) -> bytes:
        data = self.stream.read(count)
        self.remaining -= len(data)
        if self.remaining < 0:
            raise ReadError(expansion_problem(self.ratio))
        return data

    def readinto(self, buffer) -> int:
        """Like read, into ``buffer`` (the scanner reads this way: one reused buffer)."""
        got = self.stream.readinto(buffer)
        self.remaining -= got
        if self.remaining < 0:
            raise ReadError(expansion_problem(self.ratio))
        return got

    def close(self) -> None:
        self.stream.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


class ReadAhead:
    """Reads a decompressing stream one thread ahead of its reader.

    A thread inflates the next ``chunk_size`` bytes while the reader scans the last ones (the C
    scanner and the decompressors run without the GIL), so a compressed file takes about the
    longer of the two instead of their sum. Memory stays bounded: at most ``depth`` chunks
    wait, besides the one being inflated and the one being read (3 chunks of 4 MiB by default).
    What the stream raises is raised by the reader's read at that point of the data, after
    everything before it. ``close`` stops the thread, then closes the stream; reads after it
    raise ValueError. A thread that cannot start raises RuntimeError (the caller reads without).
    """

    def __init__(self, stream, chunk_size: int, depth: int = 1) -> None:
        self.stream = stream
        self.chunk_size = chunk_size
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._pending = memoryview(b"")
        self._ended = False
        self._error: BaseException | None = None  # raised by every read from its point on
        self._closed = False
        self._thread = threading.Thread(target=self._fill, name="logcrunch-read-ahead",
                                        daemon=True)
        try:
            self._thread.start()
        except BaseException:
            self._stop.set()  # (started after all, then interrupted: it leaves at once)
            raise

    def _fill(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.stream.read(self.chunk_size)
            except BaseException as exc:  # handed to the reader, raised at this point
                self._put(exc)
                return
            self._put(data)
            if not data:
                return

    def _put(self, item) -> None:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.5)  # (wakes to see a close)
                return
            except queue.Full:
                continue

    def readinto(self, buffer) -> int:
        view = memoryview(buffer).cast("B")
        if self._closed:
            raise ValueError("read of a closed ReadAhead")
        if not self._pending and not self._next():
            return 0
        count = min(len(view), len(self._pending))
        view[:count] = self._pending[:count]
        self._pending = self._pending[count:]
        return count

    def read(self, count: int = -1) -> bytes:
        """Up to ``count`` bytes (with -1: the rest of a chunk) from one chunk: reads may be
        short, and never take bytes and then raise (the error comes at the next read)."""
        if self._closed:
            raise ValueError("read of a closed ReadAhead")
        if count == 0 or (not self._pending and not self._next()):
            return b""
        take = len(self._pending) if count < 0 else min(count, len(self._pending))
        data = bytes(self._pending[:take])
        self._pending = self._pending[take:]
        return data

    def _next(self) -> bool:
        """Wait for the next chunk; False at the end of the stream."""
        if self._error is not None:
            raise self._error
        if self._ended:
            return False
        item = self._queue.get()
        if isinstance(item, BaseException):
            self._error = item
            raise item
        if not item:
            self._ended = True
            return False
        self._pending = memoryview(item)
        return True

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        while True:  # (a thread waiting to put sees the stop within its timeout)
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        self._pending = memoryview(b"")
        self._thread.join(60)
        if not self._thread.is_alive():  # else a read is stuck: the stream is left to it (the
            self.stream.close()  # worker's --file-timeout ends such a process)


class _ZstdReader:
    """Reads concatenated zstd frames and, unlike zstandard's stream_reader, reports a stream
    that ends inside a frame (a truncated file) with EOFError instead of a silent short read.

    Compressed input goes in INPUT_BYTES at a time: zstd expands up to ~32,000 times, and one
    decompress call cannot be stopped midway, so this bounds what one step can produce (~32 MiB).
    """

    INPUT_BYTES = 1024
    READ_BYTES = 1 << 20  # read from the file in big pieces all the same

    def __init__(self, raw: BinaryIO, context):
        self.raw = raw
        self.context = context
        self.frame = context.decompressobj()
        self.frame_started = False
        self.pending = b""
        self.finished = False
        self.compressed = memoryview(b"")

    def _next_input(self) -> bytes:
        if not self.compressed:
            self.compressed = memoryview(self.raw.read(self.READ_BYTES))
        data = self.compressed[: self.INPUT_BYTES]
        self.compressed = self.compressed[self.INPUT_BYTES :]
        return bytes(data)

    def read(self, size: int = -1) -> bytes:
        parts = [self.pending]
        held = len(self.pending)
        while not self.finished and (size < 0 or held < size):
            data = self._next_input()
            if not data:
                self.finished = True
                if self.frame_started and not self.frame.eof:
                    raise EOFError(
                        "Compressed file ended before the end-of-stream marker was reached"
                    )
                break
            part = self._decompress(data)
            parts.append(part)
            held += len(part)
        pending = b"".join(parts)
        if size < 0:
            result, self.pending = pending, b""
        else:
            result, self.pending = pending[:size], pending[size:]
        return result

    def readinto(self, buffer) -> int:
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)

    def _decompress(self, data: bytes) -> bytes:
        parts = []
        while data:
            if self.frame.eof:
                self.frame = self.context.decompressobj()
            self.frame_started = True
            parts.append(self.frame.decompress(data))
            data = self.frame.unused_data if self.frame.eof else b""
        return b"".join(parts)

    def close(self) -> None:
        self.pending = b""
        self.compressed = memoryview(b"")


def decompression_errors() -> tuple[type[BaseException], ...]:
    """Exception types that mean "this compressed file is corrupt", optional libraries included."""
    errors: list[type[BaseException]] = [OSError, EOFError, ValueError, zlib.error]
    try:
        import lzma

        errors.append(lzma.LZMAError)
    except ImportError:  # pragma: no cover - a Python built without lzma
        pass
    try:
        from isal import isal_zlib

        errors.append(isal_zlib.error)
    except ImportError:
        pass
    try:
        import zstandard

        errors.append(zstandard.ZstdError)
    except ImportError:
        pass
    return tuple(errors)


def describe_os_error(exc: OSError) -> str:
    """A short reason for an OSError, without the path (files.csv already names the file)."""
    reasons = {
        errno.ENOENT: "file vanished (no such file)",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.EISDIR: "is a directory",
    }
    if exc.errno in reasons:
        return reasons[exc.errno]
    return one_line(f"{type(exc).__name__}: {exc.strerror or exc}")


def describe_read_error(exc: BaseException, compression: str | None) -> str:
    """A one-line reason for an error raised while reading a (possibly compressed) stream."""
    kind = compression or "file"
    if isinstance(exc, EOFError):
        return one_line(f"truncated {kind} stream: {exc}")
    if isinstance(exc, OSError) and exc.errno is not None:
        return describe_os_error(exc)
    if isinstance(exc, (*decompression_errors(), _bad_gzip_error())):
        return one_line(f"corrupt {kind} stream: {exc}")
    return one_line(f"corrupt {kind} stream: {type(exc).__name__}: {exc}")


def _bad_gzip_error() -> type[BaseException]:
    import gzip

    return gzip.BadGzipFile


def one_line(text: str, limit: int = 200) -> str:
    """Collapse whitespace so a reason fits one CSV cell, and cap its length."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def is_regular_file(path: str) -> bool:
    try:
        return os.path.isfile(path)
    except OSError:
        return False
