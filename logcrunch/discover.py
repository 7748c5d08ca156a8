"""Walking the log tree into entries (paths and metadata only, never contents).

The rules:

- The walk is lazy, so the head can dispatch the first files while it is still listing the rest,
  and iterative (an explicit stack), so a deep tree costs no Python recursion. Within a directory
  entries go by name, its files before its subdirectories, which are walked depth first.
- Every regular file is a `FoundFile`, or a `DeferredFile` when it was modified after
  ``modified_before`` (``--settle``: the next run reads it). What is not a regular file or a
  directory (FIFO, socket, device) is a `SkippedEntry` with the reason: listed, never read.
- Symlinks are not followed unless asked. A followed link must stay inside the roots: one whose
  real path is outside the real path of every root is a `SkippedEntry`, neither entered nor read.
  Each directory is entered once, so link loops cannot hang the walk; a file reached twice is
  yielded once.
- A directory is listed through a descriptor whose device and inode must be the ones seen when it
  was found, so a directory swapped (for a symlink, say) under the walk is not entered.
- Nothing stops the walk: a directory that cannot be listed, one more than ``max_depth`` levels
  below its root, or an entry that raises anything while it is looked at becomes a `WalkError`
  for that path, never a silent gap.
- Hidden names are skipped unless asked. What was passed over by these options is counted in
  ``passed_over``, so "found nothing" can say why.
"""

from __future__ import annotations

import fnmatch
import os
import stat
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from logcrunch import defaults

STATUS_DEFERRED = "deferred"  # files.csv status of a DeferredFile
DEFERRED_REASON = "modified within --settle: still being written; the next run reads it"


@dataclass(frozen=True, slots=True)
class FoundFile:
    """One regular file the walk found: its identity (device, inode) and its stat when found."""

    path: str  # absolute
    root: str  # the root it was found under (absolute)
    size: int
    mtime: float
    inode: int
    device: int
    mtime_ns: int = 0

    @property
    def identity(self) -> str:
        """Device, inode, size and mtime: what tells a file apart from its older self."""
        return f"{self.device}:{self.inode}:{self.size}:{self.mtime_ns}"


@dataclass(frozen=True, slots=True)
class WalkError:
    """Something the walk could not look into: a failed row in files.csv."""

    path: str
    root: str
    reason: str
    format: str = "directory"  # "" for an entry that could not be looked at


@dataclass(frozen=True, slots=True)
class SkippedEntry:
    """Something that is listed but never read (a FIFO, a device, a link out of the roots)."""

    path: str
    root: str
    reason: str


@dataclass(frozen=True, slots=True)
class DeferredFile:
    """A regular file left for the next run by ``--settle``."""

    path: str
    root: str
    size: int
    mtime: float
    inode: int = 0
    device: int = 0


Entry = FoundFile | WalkError | SkippedEntry | DeferredFile


@dataclass(frozen=True)
class WalkOptions:
    """Which files a walk yields (--include, --exclude, --hidden, --follow-symlinks, --settle)."""

    include: tuple[str, ...] = ()  # glob on the name, or on the path below the root if it has "/"
    exclude: tuple[str, ...] = ()
    hidden: bool = False
    follow_symlinks: bool = False
    modified_before: float | None = None  # leave files modified after this time (--settle)


def _matches(patterns: tuple[str, ...], name: str, relative: str) -> bool:
    return any(
        fnmatch.fnmatchcase(relative if "/" in pattern else name, pattern) for pattern in patterns
    )


def walk(roots: list[str], options: WalkOptions = WalkOptions(),
         max_depth: int = defaults.MAX_WALK_DEPTH,
         passed_over: Counter | None = None) -> Iterator[Entry]:
    """Yield every entry under the roots, by the rules above.

    A root may itself be a file. Paths are absolute. ``passed_over``, when given, counts what the
    options left out: ``hidden``, ``excluded`` (--exclude), ``not included`` (--include),
    ``symlinks not followed`` and ``dangling symlinks``.
    """
    walker = _Walker(roots, options, max_depth,
                     passed_over if passed_over is not None else Counter())
    for given_root in roots:
        yield from walker.walk_root(os.path.abspath(given_root))


class _Walker:
    def __init__(self, roots: list[str], options: WalkOptions, max_depth: int,
                 passed_over: Counter) -> None:
        self.options = options
        self.max_depth = max_depth
        self.passed_over = passed_over
        self.real_roots = tuple(os.path.realpath(os.path.abspath(root)) for root in roots)
        self.seen_dirs: set[tuple[int, int]] = set()
        self.seen_files: set[tuple[int, int]] = set()  # (device, inode): reached twice, yielded once

    def walk_root(self, root: str) -> Iterator[Entry]:
        try:
            info = os.stat(root)
        except OSError as exc:
            yield WalkError(root, root, _reason(exc))
            return
        if not stat.S_ISDIR(info.st_mode):
            entry = self._not_a_directory(root, os.path.dirname(root), info)
            if entry is not None:
                yield entry
            return
        self.seen_dirs.add((info.st_dev, info.st_ino))
        stack = [(root, (info.st_dev, info.st_ino), 0)]
        while stack:
            directory, expected, depth = stack.pop()
            if depth > self.max_depth:
                yield WalkError(directory, root, f"deeper than {self.max_depth} levels below the "
                                                 "root; not entered")
                continue
            subdirs: list[tuple[str, tuple[int, int]]] = []
            yield from self._list(directory, expected, root, subdirs)
            stack.extend((path, key, depth + 1) for path, key in reversed(subdirs))

    def _list(self, directory: str, expected: tuple[int, int], root: str,
              subdirs: list[tuple[str, tuple[int, int]]]) -> Iterator[Entry]:
        """Yield a directory's own entries; its subdirectories go to ``subdirs``, in order."""
        try:
            fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        except Exception as exc:  # whatever it is, it is this directory's row
            yield WalkError(directory, root, f"cannot list directory: {_reason(exc)}")
            return
        try:
            problem = ""
            try:
                info = os.fstat(fd)
                if (info.st_dev, info.st_ino) != expected:
                    problem = "it changed while the tree was walked (replaced?); not entered"
                else:
                    with os.scandir(fd) as listing:
                        entries = sorted(listing, key=lambda entry: entry.name)
            except Exception as exc:  # not only OSError: nothing may end the walk
                problem = f"cannot list directory: {_reason(exc)}"
            if problem:
                yield WalkError(directory, root, problem)
                return
            for entry in entries:
                path = os.path.join(directory, entry.name)
                try:
                    row = self._entry(entry, path, root, subdirs)
                except Exception as exc:  # one entry never ends the walk
                    row = WalkError(path, root, f"cannot stat: {_reason(exc)}", format="")
                if row is not None:
                    yield row
        finally:
            os.close(fd)  # entry.stat() needs it open until the entries are done

    def _entry(self, entry: os.DirEntry, path: str, root: str,
               subdirs: list[tuple[str, tuple[int, int]]]) -> Entry | None:
        options = self.options
        name = entry.name
        if name.startswith(".") and not options.hidden:
            self.passed_over["hidden"] += 1
            return None
        # The path below the root, by slicing (os.path.relpath costs microseconds a file): the
        # walk builds every path by joining names onto the (absolute, normalised) root.
        relative = path[len(root.rstrip("/")) + 1:]
        if options.exclude and _matches(options.exclude, name, relative):
            self.passed_over["excluded"] += 1
            return None
        if entry.is_symlink():
            if not options.follow_symlinks:
                self.passed_over["symlinks not followed"] += 1
                return None
            real = os.path.realpath(path)
            if not self._inside_roots(real):
                return SkippedEntry(path, root, f"symlink leads outside the roots (-> {real}); "
                                                "not followed")
            try:
                info = entry.stat(follow_symlinks=True)
            except OSError:
                self.passed_over["dangling symlinks"] += 1  # not a log file
                return None
            if _key(info) != _key(os.stat(real)):
                return WalkError(path, root, "symlink changed while the tree was walked; "
                                             "not followed", format="")
        else:
            info = entry.stat(follow_symlinks=False)
        if stat.S_ISDIR(info.st_mode):
            if _key(info) not in self.seen_dirs:
                self.seen_dirs.add(_key(info))
                subdirs.append((path, _key(info)))
            return None
        if options.include and not _matches(options.include, name, relative):
            self.passed_over["not included"] += 1
            return None
        return self._not_a_directory(path, root, info)

    def _not_a_directory(self, path: str, root: str, info: os.stat_result) -> Entry | None:
        """The entry for a file, a device, a FIFO...; None when it was yielded before."""
        if _key(info) in self.seen_files:
            return None
        self.seen_files.add(_key(info))
        if not stat.S_ISREG(info.st_mode):
            return SkippedEntry(path, root, _special_reason(info.st_mode))
        modified_before = self.options.modified_before
        if modified_before is not None and info.st_mtime > modified_before:
            return DeferredFile(path, root, info.st_size, info.st_mtime, info.st_ino,
                                info.st_dev)
        return FoundFile(path, root, info.st_size, info.st_mtime, info.st_ino, info.st_dev,
                         info.st_mtime_ns)

    def _inside_roots(self, real: str) -> bool:
        return any(real == root or real.startswith(root.rstrip(os.sep) + os.sep)
                   for root in self.real_roots)


def _key(info: os.stat_result) -> tuple[int, int]:
    return info.st_dev, info.st_ino


def _special_reason(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "FIFO (named pipe): not read"
    if stat.S_ISSOCK(mode):
        return "socket: not read"
    if stat.S_ISCHR(mode):
        return "character device: not read"
    if stat.S_ISBLK(mode):
        return "block device: not read"
    return "not a regular file: not read"


def group_of(path: str, root: str) -> str:
    """The report group of a file: its first-level directory under its root (or the root itself)."""
    relative = os.path.relpath(path, root)
    head, sep, _rest = relative.partition(os.sep)
    return head if sep else "."


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return exc.strerror.lower() if exc.strerror else str(exc)
    return f"{type(exc).__name__}: {exc}"  # not expected: say what it was
