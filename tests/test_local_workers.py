"""logcrunch.local_workers: `logcrunch run`'s supervisor, forked before the head's imports, and
its go message (where to connect, with which key) over the wake pipe."""

import os
import subprocess
import sys

import pytest

from logcrunch.local_workers import LocalWorkers, go_message, read_go
from tests.helpers import (
    TIMEOUT,
    assert_matches_truth,
    child_env,
    make_tree,
    run_logcrunch,
    wait_until,
)


def _piped(data: bytes, close: bool = True) -> int:
    read, write = os.pipe()
    os.write(write, data)
    if close:
        os.close(write)
    return read


@pytest.mark.parametrize("address, key", [
    (("127.0.0.1", 41847), b"k" * 64),
    (("::1", 1), bytes(range(256))),  # any key bytes, b"w" and NULs among them
    (("localhost", 65535), b""),
])
def test_go_message_reads_back_as_the_address_and_key_it_was_made_of(address, key):
    fd = _piped(go_message(address, key))
    try:
        assert read_go(fd) == (address, key)
    finally:
        os.close(fd)


@pytest.mark.parametrize("data", [b"", b"x", b"w", b"w\x00\x09\x00", go_message(("h", 1), b"key")[:-1]])
def test_end_of_file_or_a_message_cut_short_is_no_go(data):
    fd = _piped(data)
    try:
        assert read_go(fd) is None
    finally:
        os.close(fd)


def test_importing_the_command_line_leaves_the_core_modules_alone():
    """`logcrunch run` forks its supervisor right after parsing the command line, before the
    head's modules load: `import logcrunch.cli` must not load them (nor does `--help` need
    them)."""
    probe = ("import sys, logcrunch.cli; "
             "print(' '.join(sorted(m for m in sys.modules if m.startswith('logcrunch'))))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          env=child_env(), timeout=TIMEOUT, check=True)
    loaded = set(done.stdout.split())
    assert loaded <= {"logcrunch", "logcrunch.cli", "logcrunch.defaults", "logcrunch.stamps",
                      "logcrunch.patterns"}, loaded
    assert "multiprocessing" not in done.stdout


def test_a_supervisor_forked_early_and_abandoned_leaves_at_end_of_file(tmp_path):
    workers = LocalWorkers(1)
    workers.fork()
    workers.fork()  # (once)
    child = workers.process
    assert child.is_alive() or child.exitcode == 0
    workers.abandon()
    workers.abandon()  # (idempotent)
    child.join(TIMEOUT)
    assert child.exitcode == 0


def _session_members(session: int) -> list[int]:
    """Pids of the live processes in session ``session`` (zombies are gone already)."""
    members = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as fp:
                fields = fp.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session and fields[0] != "Z":
            members.append(int(name))
    return members


def test_a_usage_error_after_the_early_fork_leaves_no_process_behind(tmp_path):
    """A bad --metric is found after the supervisor was forked: the head exits 2 with the
    message, and the supervisor (its imports done) leaves at end of file, not lingering."""
    make_tree(tmp_path / "logs", hosts=1, files_per_host=1, lines_per_file=5)
    popen = subprocess.Popen(
        [sys.executable, "-m", "logcrunch", "run", str(tmp_path / "logs"), "--out",
         str(tmp_path / "out"), "--state", str(tmp_path / "s.db"), "--metric", "noequals"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env(),
        start_new_session=True)
    _, err = popen.communicate(timeout=TIMEOUT)
    assert popen.returncode == 2 and "write NAME=REGEX" in err, err
    wait_until(lambda: not _session_members(popen.pid), "the forked supervisor to leave", TIMEOUT)
    assert not (tmp_path / "out").exists() and not (tmp_path / "s.db").exists()


def test_a_run_with_its_supervisor_forked_early_reads_every_file(tmp_path):
    truth = make_tree(tmp_path / "logs", hosts=2, files_per_host=3, lines_per_file=50)
    done = run_logcrunch("run", str(tmp_path / "logs"), "--out", str(tmp_path / "out"),
                         "--state", str(tmp_path / "s.db"), "-j", "2")
    assert done.returncode == 0, done.stderr
    assert_matches_truth(tmp_path / "out", truth)
