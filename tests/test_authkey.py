"""Key files: created 0600, refused when exposed, short or missing; no default key exists."""

import os
import stat

import pytest

from logcrunch.authkey import AuthKeyError, generate_key, load_key, resolve_key_path


def test_generated_key_is_private_and_long(tmp_path):
    path = generate_key(tmp_path / "conf" / "authkey")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert len(load_key(path)) >= 32
    assert load_key(path) != load_key(generate_key(tmp_path / "other"))


def test_keygen_refuses_to_overwrite_without_force(tmp_path):
    path = generate_key(tmp_path / "authkey")
    before = path.read_bytes()
    with pytest.raises(AuthKeyError, match="already exists"):
        generate_key(path)
    assert path.read_bytes() == before
    generate_key(path, overwrite=True)
    assert path.read_bytes() != before
    assert [p.name for p in tmp_path.iterdir()] == ["authkey"]  # no temp files left


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644])
def test_group_or_world_readable_key_is_refused_with_chmod_advice(tmp_path, mode):
    path = generate_key(tmp_path / "authkey")
    os.chmod(path, mode)
    with pytest.raises(AuthKeyError, match=f"chmod 600 {path}"):
        load_key(path)


def test_short_key_is_refused(tmp_path):
    path = tmp_path / "authkey"
    path.write_bytes(b"tooshort\n")
    os.chmod(path, 0o600)
    with pytest.raises(AuthKeyError, match="at least 32"):
        load_key(path)


def test_missing_key_says_how_to_make_one(tmp_path):
    with pytest.raises(AuthKeyError, match="logcrunch keygen"):
        load_key(tmp_path / "nope")


def test_key_path_resolution_order(tmp_path, monkeypatch):
    monkeypatch.setenv("LOGCRUNCH_AUTHKEY_FILE", str(tmp_path / "from-env"))
    assert resolve_key_path(tmp_path / "explicit") == tmp_path / "explicit"
    assert resolve_key_path(None) == tmp_path / "from-env"
    monkeypatch.delenv("LOGCRUNCH_AUTHKEY_FILE")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert resolve_key_path(None) == tmp_path / ".config" / "logcrunch" / "authkey"
