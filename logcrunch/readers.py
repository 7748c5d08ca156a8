"""Open a log file as a stream of decompressed bytes, whatever its compression.

Compression is recognised by magic bytes, never by the file name. gzip uses python-isal when it is
importable (about twice as fast here; ``LOGCRUNCH_NO_ISAL=1`` turns it off) and the standard
library otherwise; zstd needs the optional ``zstandard`` package. Every failure surfaces as
:class:`ReadError` with a one-line reason.
"""

from __future__ import annotations

import errno
import importlib
import os
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


def read_magic(path: str) -> bytes:
    """Return the first bytes of ``path``; raises ReadError."""
    try:
        with open(path, "rb") as raw:
            return raw.read(MAGIC_BYTES)
    except OSError as exc:
        raise ReadError(describe_os_error(exc)) from None


def open_decompressed(path: str, compression: str | None) -> BinaryIO:
    """Open ``path`` for binary reading through the right decompressor; raises ReadError.

    The returned object's ``read(n)`` may raise any decompression error: wrap reads with
    :func:`describe_read_error`.
    """
    try:
        raw = open(path, "rb")  # noqa: SIM115 - the caller closes the returned stream
    except OSError as exc:
        raise ReadError(describe_os_error(exc)) from None
    if compression is None:
        return raw
    if compression == GZIP:
        stream = gzip_module().GzipFile(fileobj=raw, mode="rb")
    elif compression == BZ2:
        stream = _stdlib_module("bz2", compression, raw).BZ2File(raw)
    elif compression == XZ:
        stream = _stdlib_module("lzma", compression, raw).LZMAFile(raw)
    elif compression == ZSTD:
        try:
            import zstandard
        except ImportError:
            raw.close()
            raise ReadError(ZSTD_MISSING) from None
        stream = _ZstdReader(raw, zstandard.ZstdDecompressor())
    else:
        raw.close()
        raise ReadError(f"unknown compression {compression!r}")
    return _OwningStream(stream, raw)  # type: ignore[return-value]


def _stdlib_module(name: str, compression: str, raw: BinaryIO):
    """Import a decompression module on first use; a Python built without it fails the file."""
    try:
        return importlib.import_module(name)
    except ImportError:
        raw.close()
        raise ReadError(f"{compression}-compressed: this Python was built without {name}") from None


class _OwningStream:
    """A decompressing stream that also closes the raw file it reads (the stdlib ones do not)."""

    def __init__(self, stream, raw: BinaryIO):
        self.stream = stream
        self.raw = raw
        self.read = stream.read

    def close(self) -> None:
        try:
            self.stream.close()
        finally:
            self.raw.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


class _ZstdReader:
    """Reads concatenated zstd frames and, unlike zstandard's stream_reader, reports a stream
    that ends inside a frame (a truncated file) with EOFError instead of a silent short read."""

    INPUT_BYTES = 1 << 20

    def __init__(self, raw: BinaryIO, context):
        self.raw = raw
        self.context = context
        self.frame = context.decompressobj()
        self.frame_started = False
        self.pending = b""
        self.finished = False

    def read(self, size: int = -1) -> bytes:
        while not self.finished and (size < 0 or len(self.pending) < size):
            data = self.raw.read(self.INPUT_BYTES)
            if not data:
                self.finished = True
                if self.frame_started and not self.frame.eof:
                    raise EOFError(
                        "Compressed file ended before the end-of-stream marker was reached"
                    )
                break
            self.pending += self._decompress(data)
        if size < 0:
            result, self.pending = self.pending, b""
        else:
            result, self.pending = self.pending[:size], self.pending[size:]
        return result

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
