"""Exact deltas for append-only files: where an incremental run starts reading each file.

A *cursor* is what a finished run remembers about a file (by device and inode): its size and mtime
as the walk saw it, ``read_to`` (every line starting before that byte offset has been counted, and
none after it) and a fingerprint of the bytes before ``read_to``. The next incremental run plans
each file it finds with `plan_read`, a pure function of the file, its cursor and a fingerprint of
the file's current bytes:

- no cursor: read whole (``whole``);
- same size and mtime, everything counted: ``unchanged``, not read;
- compressed: read whole (a changed compressed file is ``rewritten``);
- smaller than ``read_to``: read whole (``truncated``: copy-truncate rotation, or rewritten);
- the bytes before ``read_to`` fingerprint the same: read from ``read_to`` (``appended``), so the
  night counts exactly the lines added since;
- otherwise read whole (``rewritten``).

A last line without ``\\n`` may still be being written. In incremental runs it is *held*: not
counted, and ``read_to`` stops before it, so the next run counts it once it is complete. It is
counted when the file has *settled*: unchanged since the run that held it, or (``--settle``)
quiet for the settle time, which is what every file an ``--settle`` run reads is.

The fingerprint covers the offset and the first and last `WINDOW` bytes before it: a rewrite,
truncation or replacement changes it; an edit in place strictly inside the middle of the earlier
bytes that keeps their length is not seen (logs are appended to, not edited).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

WINDOW = 16 * 1024  # bytes fingerprinted at each end of the counted prefix

WHOLE = "whole"  # read from the start: no earlier reading to build on
APPENDED = "appended"  # read from where the last run stopped
REWRITTEN = "rewritten"  # the earlier bytes changed: read whole again
TRUNCATED = "truncated"  # smaller than what was counted before: read whole again
READ_MODES = (WHOLE, APPENDED, REWRITTEN, TRUNCATED)
# How a run saw a file (the state's ``seen.unchanged``): read, unchanged, or deferred by --settle.
SEEN_READ, SEEN_UNCHANGED, SEEN_DEFERRED = 0, 1, 2
FINGERPRINT_CHARS = 32


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where the last finished run left a file (see the module docstring)."""

    size: int
    mtime_ns: int
    read_to: int
    fingerprint: str  # "" when unknown (compressed files, runs before cursors existed)
    last_hour: str = ""  # the hour of the last stamped line before read_to ("" if none)

    @property
    def complete(self) -> bool:
        """Every byte the walk saw was counted (no held last line)."""
        return self.read_to >= self.size


@dataclass(frozen=True, slots=True)
class ReadPlan:
    """How a run reads one file: from ``start``; ``hold`` a last line without "\\n"."""

    start: int = 0
    hold: bool = False
    mode: str = WHOLE
    unchanged: bool = False
    lead_hour: str = ""  # where the leading unstamped lines of an appended read belong
    # An appended read's: the fingerprint the bytes before ``start`` must still have when the
    # worker opens the file (it may have been rewritten while the task waited in the queue).
    fingerprint: str = ""


UNCHANGED = ReadPlan(unchanged=True)


def plan_read(size: int, mtime_ns: int, cursor: Cursor | None, compressed: bool, settled: bool,
              fingerprint_at) -> ReadPlan:
    """Plan an incremental run's reading of a file of ``size`` bytes and ``mtime_ns``.

    ``fingerprint_at(offset)`` fingerprints the file's current bytes before ``offset`` (it is
    called at most once, and only for a plain file that may have grown); ``settled``: the run
    was told the file is quiet (``--settle``).
    """
    hold = not (compressed or settled)
    if cursor is None:
        return ReadPlan(0, hold, WHOLE)
    same = size == cursor.size and mtime_ns == cursor.mtime_ns
    if same and cursor.complete:
        return UNCHANGED
    if compressed:
        return ReadPlan(0, False, REWRITTEN)
    if same:
        hold = False  # a held last line that stayed as it was for a whole night has settled
    if size < cursor.read_to:
        return ReadPlan(0, hold, TRUNCATED)
    if not cursor.fingerprint:
        return ReadPlan(0, hold, WHOLE)  # recorded before cursors: nothing to build on
    if fingerprint_at(cursor.read_to) != cursor.fingerprint:
        return ReadPlan(0, hold, REWRITTEN)
    return ReadPlan(cursor.read_to, hold, APPENDED, lead_hour=cursor.last_hour,
                    fingerprint=cursor.fingerprint)


def fingerprint(fd: int, offset: int) -> str:
    """The fingerprint of the bytes of open file ``fd`` before ``offset`` (see WINDOW)."""
    digest = hashlib.blake2b(offset.to_bytes(8, "little"), digest_size=FINGERPRINT_CHARS // 2)
    if offset <= 2 * WINDOW:
        digest.update(_pread_full(fd, offset, 0))
    else:
        digest.update(_pread_full(fd, WINDOW, 0))
        digest.update(_pread_full(fd, WINDOW, offset - WINDOW))
    return digest.hexdigest()


def fingerprint_path(path: str, offset: int) -> str:
    """`fingerprint` of a file by path; "" when it cannot be read (which matches no cursor)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return ""
    try:
        return fingerprint(fd, offset)
    except OSError:
        return ""
    finally:
        os.close(fd)


def _pread_full(fd: int, length: int, offset: int) -> bytes:
    """Exactly ``length`` bytes at ``offset`` (fewer only at end of file)."""
    parts = []
    while length > 0:
        data = os.pread(fd, length, offset)
        if not data:
            break
        parts.append(data)
        length -= len(data)
        offset += len(data)
    return b"".join(parts)


def is_fingerprint(value: object) -> bool:
    return type(value) is str and (value == "" or (
        len(value) == FINGERPRINT_CHARS and all(ch in "0123456789abcdef" for ch in value)))
