"""Walking the log tree into file entries (paths and metadata only, never contents).

The walk is lazy, so the head can dispatch the first files while it is still listing the rest.
Symlinks are not followed unless asked (and then each directory is entered once, so link loops
cannot hang the walk); hidden names are skipped unless asked; a directory that cannot be listed is
reported as a `WalkError`, never silently dropped.
"""

from __future__ import annotations

import fnmatch
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FoundFile:
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
    path: str
    root: str
    reason: str


@dataclass(frozen=True)
class WalkOptions:
    include: tuple[str, ...] = ()  # glob on the name, or on the path below the root if it has "/"
    exclude: tuple[str, ...] = ()
    hidden: bool = False
    follow_symlinks: bool = False
    modified_before: float | None = None  # leave files modified after this time (--settle)


def _matches(patterns: tuple[str, ...], name: str, relative: str) -> bool:
    return any(
        fnmatch.fnmatchcase(relative if "/" in pattern else name, pattern) for pattern in patterns
    )


def walk(roots: list[str], options: WalkOptions = WalkOptions()) -> Iterator[FoundFile | WalkError]:
    """Yield every regular file under the roots (sorted by name within a directory).

    A root may itself be a file. Paths are absolute; an entry reached twice (overlapping roots,
    followed links) is yielded once.
    """
    seen_dirs: set[tuple[int, int]] = set()
    seen_files: set[tuple[int, int]] = set()  # (device, inode): a file reached twice counts once
    for given_root in roots:
        root = os.path.abspath(given_root)
        try:
            info = os.stat(root)
        except OSError as exc:
            yield WalkError(root, root, _reason(exc))
            continue
        if stat.S_ISREG(info.st_mode):
            if (info.st_dev, info.st_ino) not in seen_files:
                seen_files.add((info.st_dev, info.st_ino))
                yield FoundFile(root, os.path.dirname(root), info.st_size, info.st_mtime,
                                info.st_ino, info.st_dev, info.st_mtime_ns)
            continue
        seen_dirs.add((info.st_dev, info.st_ino))
        yield from _walk_dir(root, root, options, seen_dirs, seen_files)


def _walk_dir(directory: str, root: str, options: WalkOptions,
              seen_dirs: set[tuple[int, int]],
              seen_files: set[tuple[int, int]]) -> Iterator[FoundFile | WalkError]:
    try:
        with os.scandir(directory) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)
    except OSError as exc:
        yield WalkError(directory, root, f"cannot list directory: {_reason(exc)}")
        return
    subdirs = []
    for entry in entries:
        if entry.name.startswith(".") and not options.hidden:
            continue
        relative = os.path.relpath(entry.path, root)
        if options.exclude and _matches(options.exclude, entry.name, relative):
            continue
        try:
            is_link = entry.is_symlink()
            if is_link and not options.follow_symlinks:
                continue
            info = entry.stat(follow_symlinks=True)
        except OSError as exc:
            if is_link:
                continue  # a dangling link is not a log file
            yield WalkError(entry.path, root, f"cannot stat: {_reason(exc)}")
            continue
        if stat.S_ISDIR(info.st_mode):
            key = (info.st_dev, info.st_ino)
            if key not in seen_dirs:
                seen_dirs.add(key)
                subdirs.append(entry.path)
        elif stat.S_ISREG(info.st_mode):
            if options.include and not _matches(options.include, entry.name, relative):
                continue
            if options.modified_before is not None and info.st_mtime > options.modified_before:
                continue  # still being written: the next run takes it
            if (info.st_dev, info.st_ino) in seen_files:
                continue
            seen_files.add((info.st_dev, info.st_ino))
            yield FoundFile(entry.path, root, info.st_size, info.st_mtime, info.st_ino,
                            info.st_dev, info.st_mtime_ns)
        # sockets, FIFOs and devices are not logs: reading a FIFO would hang a worker
    for subdir in subdirs:
        yield from _walk_dir(subdir, root, options, seen_dirs, seen_files)


def group_of(path: str, root: str) -> str:
    """The report group of a file: its first-level directory under its root (or the root itself)."""
    relative = os.path.relpath(path, root)
    head, sep, _rest = relative.partition(os.sep)
    return head if sep else "."


def _reason(exc: OSError) -> str:
    return exc.strerror.lower() if exc.strerror else str(exc)
