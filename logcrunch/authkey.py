"""The shared secret between head and workers: creating, finding and checking key files.

The key is a password: anyone holding it can make the head unpickle data. So there is no default
key, key files are created 0600, and (like OpenSSH with private keys) a key file that group or others
can read, or that another user owns, is refused.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from logcrunch import defaults


class AuthKeyError(Exception):
    """The key file is missing, too short or too exposed; the message says how to fix it."""


def default_key_path() -> Path:
    return Path(os.path.expanduser(defaults.AUTHKEY_DEFAULT_PATH))


def resolve_key_path(explicit: str | os.PathLike | None) -> Path:
    """Pick the key file: the option, else $LOGCRUNCH_AUTHKEY_FILE, else ~/.config/logcrunch/authkey."""
    if explicit:
        return Path(explicit).expanduser()
    from_env = os.environ.get(defaults.AUTHKEY_ENV)
    if from_env:
        return Path(from_env).expanduser()
    return default_key_path()


def generate_key(path: str | os.PathLike, overwrite: bool = False) -> Path:
    """Write a new random key (48 random bytes, hex) to ``path`` with mode 0600.

    The file is created with O_EXCL and mode 0600 from the start, so it is never readable by others
    even for an instant. Refuses to replace an existing file unless ``overwrite``.
    """
    target = Path(path).expanduser()
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = secrets.token_hex(48).encode() + b"\n"
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, key)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        if overwrite:
            os.replace(tmp, target)
        else:
            os.link(tmp, target)  # fails if target exists, unlike rename
    except FileExistsError:
        raise AuthKeyError(f"{target} already exists; use --force to replace it") from None
    finally:
        tmp.unlink(missing_ok=True)
    return target


def load_key(path: str | os.PathLike) -> bytes:
    """Read and check a key file; returns the key bytes (surrounding whitespace stripped)."""
    key_path = Path(path)
    try:
        fd = os.open(key_path, os.O_RDONLY)
    except FileNotFoundError:
        raise AuthKeyError(
            f"authkey file {key_path} does not exist; create one with: logcrunch keygen {key_path}"
        ) from None
    except PermissionError:
        raise AuthKeyError(f"authkey file {key_path} is not readable by this user") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise AuthKeyError(f"authkey file {key_path} is not a regular file")
        if info.st_mode & 0o077:
            raise AuthKeyError(
                f"authkey file {key_path} is readable by group or others (mode "
                f"{stat.S_IMODE(info.st_mode):04o}); it is a password. Fix it with: "
                f"chmod 600 {key_path}"
            )
        if hasattr(os, "getuid") and info.st_uid != os.getuid():
            raise AuthKeyError(
                f"authkey file {key_path} is owned by uid {info.st_uid}, not by you "
                f"(uid {os.getuid()}); make your own with: logcrunch keygen"
            )
        key = os.read(fd, 64 * 1024).strip()
    finally:
        os.close(fd)
    if len(key) < defaults.AUTHKEY_MIN_BYTES:
        raise AuthKeyError(
            f"authkey in {key_path} is {len(key)} bytes; at least {defaults.AUTHKEY_MIN_BYTES} are "
            f"required. Make a new one with: logcrunch keygen --force {key_path}"
        )
    return key


def ephemeral_key() -> bytes:
    """A random key for a single-machine run that never leaves this process tree."""
    return secrets.token_hex(32).encode()
