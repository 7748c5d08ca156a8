"""The state database on a disk that fills up or turns read-only, with real processes.

Needs root to mount a small tmpfs (root ignores file permissions, so a real full or read-only
filesystem is the honest test); skipped otherwise.
"""

from tests.helpers import Proc, assert_matches_truth, make_tree, run_logcrunch, wait_for_file
from tests.tmpfs import fill, remount_read_only, tmpfs


def command(tmp_path, root, state, *extra):
    return ("run", str(root), "--out", str(tmp_path / "out"), "--state", str(state), "-j", "1",
            "-q", *extra)


def test_a_full_disk_mid_run_is_one_line_exit_1_and_the_same_command_resumes(tmp_path):
    root = tmp_path / "logs"
    truth = make_tree(root, hosts=1, files_per_host=3)
    hold = tmp_path / "hold"
    hold.mkdir()
    with tmpfs(tmp_path / "disk") as disk:
        state = disk / "state.db"
        first = Proc(*command(tmp_path, root, state), env={"LOGCRUNCH_FAULTS": f"hold:app:{hold}"})
        try:
            wait_for_file(hold, "held.")  # the run is recorded; its first result is on its way
            filler = fill(disk)
            (hold / "release").touch()
            assert first.wait() == 1, first.output
        finally:
            first.kill()
        assert first.output == (f"logcrunch: cannot write the state database {state}: database "
                                "or disk is full; free space and run the same command again\n")
        assert not (tmp_path / "out").exists()
        # Not even "incomplete" can be written on a full disk: the run stays "running", which
        # the same command resumes all the same (the lock, not the status, keeps runs apart).
        runs = run_logcrunch("runs", "--state", str(state))
        assert runs.stdout.splitlines()[1].split(",")[3] == "running", runs.stdout + runs.stderr
        filler.unlink()
        again = run_logcrunch(*command(tmp_path, root, state)[:-1])  # not -q: to see "resumed"
        assert again.returncode == 0, again.stderr
        assert "(resumed)" in again.stderr
    assert_matches_truth(tmp_path / "out", truth)


def test_a_full_disk_before_the_run_starts_is_one_line_exit_1(tmp_path):
    root = tmp_path / "logs"
    truth = make_tree(root, hosts=1, files_per_host=2)
    with tmpfs(tmp_path / "disk") as disk:
        state = disk / "state.db"
        assert run_logcrunch(*command(tmp_path, root, state)).returncode == 0
        filler = fill(disk)
        full = run_logcrunch(*command(tmp_path, root, state, "--fresh"))
        assert full.returncode == 1
        assert full.stderr.startswith(f"logcrunch: cannot write the state database {state}: ")
        assert full.stderr.endswith("; free space and run the same command again\n")
        assert full.stderr.count("\n") == 1, full.stderr
        filler.unlink()
        fine = run_logcrunch(*command(tmp_path, root, state, "--fresh"))
        assert fine.returncode == 0, fine.stderr
    assert_matches_truth(tmp_path / "out", truth)


def test_a_read_only_state_database_is_one_line_exit_1(tmp_path):
    root = tmp_path / "logs"
    make_tree(root, hosts=1, files_per_host=1)
    with tmpfs(tmp_path / "disk") as disk:
        state = disk / "state.db"
        assert run_logcrunch(*command(tmp_path, root, state)).returncode == 0
        remount_read_only(disk)
        refused = run_logcrunch(*command(tmp_path, root, state, "--fresh"))
        assert refused.returncode == 1
        assert refused.stderr == (f"logcrunch: cannot write the state database {state}: "
                                  "read-only file system; make it and its directory writable and "
                                  "run the same command again\n")
        # Even reading needs SQLite's -shm file beside a WAL database: a clear line, too.
        runs = run_logcrunch("runs", "--state", str(state))
        assert runs.returncode == 1 and runs.stderr.count("\n") == 1, runs.stderr
        assert "writable" in runs.stderr and "Traceback" not in runs.stderr
