"""Where a worker may read, and opening a file there without being led anywhere else.

A worker reads only below its *allowed roots*: ``--allow-root`` (or ``$LOGCRUNCH_ALLOW_ROOT``)
when given, else the roots the head announced for the job (mapped through ``--path-map``). A path
outside them is refused, whatever the head says.

Without ``--follow-symlinks`` no symlink below the root is followed: every directory on the way
and the file itself are opened with O_NOFOLLOW relative to the descriptor of their parent, so a
link swapped in after the walk is refused rather than followed. With it, links are followed, but
the file actually opened must still lie below an allowed root (its real path). Either way the file
must be a regular file, and the one the walk saw: the same inode, and the same device where head
and worker number devices alike (the same machine; NFS clients number devices each their own way).
"""

from __future__ import annotations

import errno
import functools
import os
import stat
from dataclasses import dataclass, field
from typing import BinaryIO

from logcrunch.readers import ReadError, describe_os_error

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC  # NONBLOCK: a FIFO never blocks open


class Refused(ReadError):
    """The worker will not read this path; ``str()`` is the reason for files.csv."""


@dataclass(frozen=True)
class ReadPolicy:
    """What one worker may read during one job."""

    roots: tuple[str, ...]  # local, absolute, normalised
    follow_symlinks: bool = False
    explicit: bool = False  # the roots came from --allow-root (else from the head)
    # local root -> the device number the head saw for it; a file below a root whose device the
    # worker sees under the same number is checked by device as well as by inode.
    head_devices: dict[str, int] = field(default_factory=dict)

    @classmethod
    def for_job(cls, allow_roots: tuple[str, ...], announced: tuple[tuple[str, int], ...],
                follow_symlinks: bool, map_path=lambda path: path) -> ReadPolicy:
        local = {os.path.normpath(map_path(root)): device for root, device in announced}
        roots = tuple(os.path.normpath(os.path.abspath(root)) for root in allow_roots) \
            if allow_roots else tuple(local)
        return cls(roots, follow_symlinks, bool(allow_roots), local)

    def describe(self) -> str:
        where = ", ".join(self.roots) or "nothing (no roots)"
        source = "--allow-root" if self.explicit else "the roots the head announced"
        links = "following symlinks inside them" if self.follow_symlinks else \
            "never following symlinks"
        return f"reading only below {where} ({source}), {links}"

    def root_of(self, path: str) -> str | None:
        """The longest allowed root ``path`` lies below (or is), or None."""
        best = None
        for root in self.roots:
            if _inside(path, root) and (best is None or len(root) > len(best)):
                best = root
        return best


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def open_confined(path: str, policy: ReadPolicy, inode: int = 0, device: int = 0) -> BinaryIO:
    """Open ``path`` for reading under ``policy``; raises Refused or ReadError with the reason.

    ``inode``/``device``: the file's identity at the walk (0: unknown, not checked).
    """
    if not path.startswith("/") or "\x00" in path:
        raise Refused("refused: not an absolute path")
    if "/." in path or "//" in path or path.endswith("/"):
        path = os.path.normpath(path)  # (the paths a walk yields are normal already)
    root = policy.root_of(path)
    if root is None:
        raise Refused(f"refused: outside the roots this worker reads ({', '.join(policy.roots)}"
                      f"{'' if policy.explicit else '; set with --allow-root'})")
    try:
        fd = _open_following(path, policy) if policy.follow_symlinks else \
            _open_without_links(root, path)
    except OSError as exc:
        raise ReadError(_open_reason(exc)) from None
    try:
        info = os.fstat(fd)
        _check_opened(info, root, policy, inode, device)
    except BaseException:
        os.close(fd)
        raise
    return open(fd, "rb", closefd=True)


def _open_without_links(root: str, path: str) -> int:
    relative = path[len(root):].lstrip("/")  # both normalised, path below root (root_of)
    if not relative:  # the root is the file itself: the operator named it, links and all
        return os.open(path, _FILE_FLAGS)
    directory = os.open(root, _DIR_FLAGS)
    try:
        fd = _openat2_beneath(directory, relative)
        if fd is not None:
            return fd
        return _open_by_components(directory, relative.split(os.sep))
    finally:
        os.close(directory)


def _open_by_components(root_fd: int, parts: list[str]) -> int:
    """Where openat2 is missing: each directory, then the file, with O_NOFOLLOW by descriptor."""
    directory = os.dup(root_fd)
    try:
        for part in parts[:-1]:
            inner = os.open(part, _DIR_FLAGS | os.O_NOFOLLOW, dir_fd=directory)
            os.close(directory)
            directory = inner
        return os.open(parts[-1], _FILE_FLAGS | os.O_NOFOLLOW, dir_fd=directory)
    finally:
        os.close(directory)


# openat2(2) (Linux 5.6+) resolves a whole path in one call with RESOLVE_BENEATH (never above
# the directory) and RESOLVE_NO_SYMLINKS (no link anywhere on the way): what the component walk
# does, in one system call instead of one per directory.
_SYS_OPENAT2 = {"x86_64": 437, "aarch64": 437}.get(os.uname().machine)
_RESOLVE_NO_SYMLINKS, _RESOLVE_BENEATH = 0x04, 0x08
_openat2_state: list = []  # [syscall, how struct] once known to work; [None] when it does not


def _openat2_beneath(directory: int, relative: str) -> int | None:
    """The file opened by openat2, or None where the kernel (or a seccomp filter) lacks it."""
    if not _openat2_state:
        _openat2_state.append(_load_openat2())
    call = _openat2_state[0]
    if call is None:
        return None
    syscall, how, _struct = call
    fd = syscall(_SYS_OPENAT2, directory, os.fsencode(relative), how, 24)
    if fd >= 0:
        return fd
    import ctypes

    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EPERM) and not relative.startswith(".."):
        _openat2_state[0] = None  # filtered out after all: walk the components from now on
        return None
    raise OSError(code, os.strerror(code))


def _load_openat2():
    if _SYS_OPENAT2 is None:
        return None
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        syscall = libc.syscall
        syscall.restype = ctypes.c_long
        syscall.argtypes = (ctypes.c_long, ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p,
                            ctypes.c_size_t)
        how = (ctypes.c_uint64 * 3)(_FILE_FLAGS | os.O_NOFOLLOW, 0,
                                    _RESOLVE_NO_SYMLINKS | _RESOLVE_BENEATH)
        return syscall, ctypes.addressof(how), how  # the struct is kept alive beside its address
    except (OSError, AttributeError):
        return None


def _open_following(path: str, policy: ReadPolicy) -> int:
    fd = os.open(path, _FILE_FLAGS)
    try:
        real = _real_path(fd, path)
        if not any(_inside(real, os.path.realpath(root)) for root in policy.roots):
            raise Refused("refused: a symlink leads outside the roots this worker reads")
    except BaseException:
        os.close(fd)
        raise
    return fd


def _real_path(fd: int, path: str) -> str:
    try:
        return os.readlink(f"/proc/self/fd/{fd}")  # the file actually opened, race-free
    except OSError:
        return os.path.realpath(path)


def _check_opened(info: os.stat_result, root: str, policy: ReadPolicy, inode: int,
                  device: int) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise Refused(f"not a regular file ({_kind(info.st_mode)}); not read")
    if inode and info.st_ino != inode:
        raise Refused("replaced since the walk (another file has this name now); not read")
    if device and info.st_dev != device and _same_numbering(root, policy):
        raise Refused("replaced since the walk (now on another device); not read")


def _same_numbering(root: str, policy: ReadPolicy) -> bool:
    """Whether this worker numbers the root's device as the head did (e.g. the same machine)."""
    head_device = next((device for announced, device in policy.head_devices.items()
                        if _inside(root, announced) or _inside(announced, root)), 0)
    return bool(head_device) and _device_of(root) == head_device


@functools.lru_cache(maxsize=64)
def _device_of(root: str) -> int:
    """The device of a root, looked up once per process (not once per file)."""
    try:
        return os.stat(root).st_dev
    except OSError:
        return -1


def _kind(mode: int) -> str:
    kinds = ((stat.S_ISFIFO, "FIFO"), (stat.S_ISSOCK, "socket"),
             (stat.S_ISCHR, "character device"), (stat.S_ISBLK, "block device"),
             (stat.S_ISDIR, "directory"))
    return next((name for test, name in kinds if test(mode)), "special file")


def _open_reason(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "refused: a symlink on the way (not followed without --follow-symlinks)"
    if exc.errno == errno.EXDEV:
        return "refused: the path leads outside the roots this worker reads"
    if exc.errno == errno.ENOTDIR:
        return "refused: a symlink or a file where a directory was (not followed)"
    return describe_os_error(exc)
