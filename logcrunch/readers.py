"""Open a log file as a stream of decompressed bytes, whatever its compression.

Compression is recognised by magic bytes, never by the file name. gzip uses python-isal when it is
importable (several times faster) and the standard library otherwise; zstd needs the optional
``zstandard`` package. Every failure surfaces as :class:`ReadError` with a one-line reason.
"""

from __future__ import annotations

import bz2
import errno
import gzip
import lzma
import os
import zlib
from typing import BinaryIO

try:  # optional: a faster gzip that reads multi-member streams like the stdlib does
    from isal import igzip as _fast_gzip
except ImportError:  # pragma: no cover - depends on the environment
    _fast_gzip = None

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
        return (_fast_gzip or gzip).GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    if compression == BZ2:
        return bz2.BZ2File(raw)  # type: ignore[return-value]
    if compression == XZ:
        return lzma.LZMAFile(raw)  # type: ignore[return-value]
    if compression == ZSTD:
        try:
            import zstandard
        except ImportError:
            raw.close()
            raise ReadError(ZSTD_MISSING) from None
        reader = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)
        return reader  # type: ignore[return-value]
    raw.close()
    raise ReadError(f"unknown compression {compression!r}")


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
    if isinstance(exc, (gzip.BadGzipFile, zlib.error, lzma.LZMAError, OSError, ValueError)):
        return one_line(f"corrupt {kind} stream: {exc}")
    return one_line(f"corrupt {kind} stream: {type(exc).__name__}: {exc}")


def one_line(text: str, limit: int = 200) -> str:
    """Collapse whitespace so a reason fits one CSV cell, and cap its length."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def is_regular_file(path: str) -> bool:
    try:
        return os.path.isfile(path)
    except OSError:
        return False
