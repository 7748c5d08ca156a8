"""A small tmpfs mounted for one test: a disk that fills up, or turns read-only, on demand.

Root bypasses file permissions (and CI runs as root), so a full or read-only disk is the only
honest way to make writes fail there. Needs root (CAP_SYS_ADMIN); `tmpfs()` skips the test
cleanly otherwise.
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from pathlib import Path

import pytest

MOUNT_TIMEOUT = 30  # seconds for one mount/umount


def _mount(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["mount", *args], capture_output=True, text=True, timeout=MOUNT_TIMEOUT)


@contextlib.contextmanager
def tmpfs(path: Path, size: str = "4m"):
    """Mount a tmpfs of ``size`` on ``path`` (created); unmounted afterwards, whatever happens."""
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a tmpfs")
    path.mkdir(parents=True, exist_ok=True)
    mounted = _mount("-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path))
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True, timeout=MOUNT_TIMEOUT)


def remount_read_only(path: Path) -> None:
    result = _mount("-o", "remount,ro", str(path))
    assert result.returncode == 0, result.stderr


def fill(path: Path) -> Path:
    """Write a file on the tmpfs at ``path`` until the disk is full; returns it (delete to free)."""
    filler = path / "filler"
    block = b"\0" * 65536
    with open(filler, "wb", buffering=0) as fp:
        try:
            while True:
                fp.write(block)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC, exc
        try:  # the last partial block
            while True:
                fp.write(b"\0" * 512)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC, exc
    return filler
