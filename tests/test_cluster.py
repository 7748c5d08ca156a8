"""Head and workers as separate OS processes over TCP on loopback, with faults injected.

The same scenarios on separate network namespaces are in test_netns.py.
"""

import os
import re
import signal

import pytest

from tests.helpers import (
    Proc,
    assert_matches_truth,
    comparable,
    expect_exits,
    free_port,
    make_key,
    make_tree,
    read_csv,
    run_logcrunch,
    wait_for_file,
    wait_for_files,
    write_bad_key,
)


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "logs"
    return root, make_tree(root)


@pytest.fixture
def key(tmp_path):
    return make_key(tmp_path / "authkey")


def head(tmp_path, root, key, *extra, out="out", state="state.db"):
    return Proc("submit", str(root), "--out", str(tmp_path / out), "--bind", "127.0.0.1:0",
                "--authkey-file", str(key), "--state", str(tmp_path / state),
                "--worker-timeout", "60", *extra)


def head_port(proc) -> str:
    return proc.wait_for(r"serving on 127\.0\.0\.1:(\d+)").group(1)


def worker(port, key, *extra, env=None):
    return Proc("work", "--server", f"127.0.0.1:{port}", "--authkey-file", str(key),
                "--connect-timeout", "30", *extra, env=env)


def test_run_matches_independent_truth(tmp_path, tree):
    root, truth = tree
    result = run_logcrunch("run", str(root), "--out", str(tmp_path / "out"), "-j", "2",
                           "--state", str(tmp_path / "state.db"))
    assert result.returncode == 0, result.stderr
    assert_matches_truth(tmp_path / "out", truth)
    files = read_csv(tmp_path / "out" / "files.csv")
    assert {row["path"]: int(row["lines"]) for row in files} == truth.per_file_lines
    assert len({row["worker"] for row in files}) == 2  # both local workers took part


def test_submit_with_two_worker_processes_matches_run(tmp_path, tree, key):
    root, truth = tree
    assert run_logcrunch("run", str(root), "--out", str(tmp_path / "ref"), "-j", "1",
                         "--state", str(tmp_path / "ref.db")).returncode == 0
    hold = tmp_path / "hold"
    hold.mkdir()
    the_head = head(tmp_path, root, key)
    port = head_port(the_head)
    # Both workers hold their first file until both are in, so both take part.
    workers = [worker(port, key, "-j", "1", env={"LOGCRUNCH_FAULTS": f"hold:app:{hold}"})
               for _ in range(2)]
    try:
        wait_for_files(hold, "held.", count=2)
        (hold / "release").touch()
        assert the_head.wait() == 0, the_head.output
        for proc in workers:
            assert proc.wait() == 0, proc.output
    finally:
        for proc in [the_head, *workers]:
            proc.kill()
    assert comparable(tmp_path / "out") == comparable(tmp_path / "ref")
    assert_matches_truth(tmp_path / "out", truth)


def test_worker_killed_mid_file_is_retried_and_counted_once(tmp_path, tree, key):
    root, truth = tree
    victim = sorted(truth.per_file_lines)[1]
    hold = tmp_path / "hold"
    hold.mkdir()
    the_head = head(tmp_path, root, key, "--lease-seconds", "60")
    port = head_port(the_head)
    node = worker(port, key, "-j", "2", env={"LOGCRUNCH_FAULTS": f"hold:{victim}:{hold}"})
    try:
        marker = wait_for_file(hold, "held.")
        os.kill(int(marker.read_text()), signal.SIGKILL)  # mid-file, as a batch system would
        (hold / "release").touch()
        assert the_head.wait() == 0, the_head.output
        assert node.wait() == 0, node.output
    finally:
        node.kill()
        the_head.kill()
    assert_matches_truth(tmp_path / "out", truth)
    attempts = {row["path"]: row["attempts"] for row in read_csv(tmp_path / "out" / "files.csv")}
    assert attempts[victim] == "2"
    assert set(v for p, v in attempts.items() if p != victim) == {"1"}
    assert "died (killed by SIGKILL)" in node.output


def test_stopped_worker_late_result_is_dropped(tmp_path, tree, key):
    root, truth = tree
    victim = sorted(truth.per_file_lines)[0]
    first_hold, second_hold = tmp_path / "hold1", tmp_path / "hold2"
    first_hold.mkdir()
    second_hold.mkdir()
    the_head = head(tmp_path, root, key, "--lease-seconds", "2")
    port = head_port(the_head)
    sleeper = worker(port, key, "-j", "1", env={"LOGCRUNCH_FAULTS": f"hold:{victim}:{first_hold}"})
    stopped_pid = None
    try:
        stopped_pid = int(wait_for_file(first_hold, "held.").read_text())
        os.kill(stopped_pid, signal.SIGSTOP)  # past its lease: heartbeats stop too
        other = worker(port, key, "-j", "1",
                       env={"LOGCRUNCH_FAULTS": f"hold:{victim}:{second_hold}"})
        wait_for_file(second_hold, "held.")  # the lease expired and the victim was re-leased
        os.kill(stopped_pid, signal.SIGCONT)
        (first_hold / "release").touch()  # the late worker finishes and hands in a stale result
        the_head.wait_for(f"dropped a late or duplicate result for {victim}")
        (second_hold / "release").touch()
        assert the_head.wait() == 0, the_head.output
        assert other.wait() == 0, other.output
    finally:
        if stopped_pid is not None and the_head.popen.poll() is None:
            os.kill(stopped_pid, signal.SIGCONT)
        for proc in (the_head, sleeper):
            proc.kill()
    assert_matches_truth(tmp_path / "out", truth)
    # the victim's stale result (and any others of that dead lease) was dropped, not counted
    assert re.search(r"dropped \d+ late or duplicate results", the_head.output)


def poison_run(tmp_path, root, key, attempts, poison):
    """A run whose 2-process node SIGKILLs itself reading ``poison``: head exits 3, node 0."""
    the_head = head(tmp_path, root, key, "--max-attempts", str(attempts))
    node = worker(head_port(the_head), key, "-j", "2", env={"LOGCRUNCH_FAULTS": f"crash:{poison}"})
    expect_exits(the_head, 3, node)
    return node


def test_poison_file_fails_after_max_attempts_and_run_exits_3(tmp_path, tree, key):
    root, truth = tree
    poison = root / "node01" / "api" / "poison.log"
    poison.write_text("Nov 27 02:00:01 node01 api[1]: ERROR this one kills its reader\n")
    poison_run(tmp_path, root, key, 3, "api/poison.log")
    rows = {row["path"]: row for row in read_csv(tmp_path / "out" / "files.csv")}
    assert rows[str(poison)]["status"] == "failed"
    assert rows[str(poison)]["attempts"] == "3"
    assert "worker died 3 times while reading it" in rows[str(poison)]["error"]
    truth.files += 1  # the poison file is counted as a file, failed, with no lines
    summary = read_csv(tmp_path / "out" / "summary.csv")[0]
    assert (summary["files_failed"], int(summary["lines"])) == ("1", truth.lines)
    assert int(summary["error_lines"]) == truth.error_lines


def test_a_death_that_ends_the_job_restarts_nothing_and_the_node_exits_0(tmp_path, key):
    # The head may close the moment the last file fails for good; a replacement process would
    # then find no head and the node would report "lost the head" after a good run.
    root = tmp_path / "logs"
    root.mkdir()
    (root / "poison.log").write_text("Nov 27 02:00:01 node01 api[1]: ERROR kills its reader\n")
    node = poison_run(tmp_path, root, key, 1, "poison.log")
    assert "died (killed by SIGKILL); that ended the job" in node.output
    assert "restarting it" not in node.output


def test_workers_started_before_the_head_wait_then_work(tmp_path, tree, key):
    root, truth = tree
    port = free_port()
    node = worker(port, key, "-j", "2")
    try:
        node.wait_for("cannot reach the head")  # it is up and retrying
        the_head = Proc("submit", str(root), "--out", str(tmp_path / "out"), "--bind",
                        f"127.0.0.1:{port}", "--authkey-file", str(key), "--state",
                        str(tmp_path / "state.db"))
        assert the_head.wait() == 0, the_head.output
        assert node.wait() == 0, node.output
    finally:
        node.kill()
    assert_matches_truth(tmp_path / "out", truth)


def test_wrong_key_is_refused_and_head_keeps_serving(tmp_path, tree, key):
    root, truth = tree
    other_key = make_key(tmp_path / "other-key")
    the_head = head(tmp_path, root, key)
    port = head_port(the_head)
    try:
        intruder = run_logcrunch("work", "--server", f"127.0.0.1:{port}", "--authkey-file",
                                 str(other_key), "-j", "1", "--connect-timeout", "5")
        assert intruder.returncode == 1
        assert "rejected this node's authkey (the keys differ)" in intruder.stderr
        the_head.wait_for("rejected a connection from 127.0.0.1:\\d+: wrong authkey")
        good = worker(port, key, "-j", "1")
        assert the_head.wait() == 0, the_head.output
        assert good.wait() == 0
    finally:
        the_head.kill()
    assert_matches_truth(tmp_path / "out", truth)
    assert key.read_text().strip() not in the_head.output  # the key is never logged


def test_garbage_client_does_not_stall_the_head(tmp_path, tree, key):
    import socket

    root, truth = tree
    the_head = head(tmp_path, root, key)
    port = int(head_port(the_head))
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as scanner:
            scanner.sendall(b"GET / HTTP/1.0\r\n\r\n" * 50)
        silent = socket.create_connection(("127.0.0.1", port), timeout=10)  # says nothing
        good = worker(port, key, "-j", "2")
        assert the_head.wait() == 0, the_head.output
        assert good.wait() == 0
        silent.close()
    finally:
        the_head.kill()
    assert_matches_truth(tmp_path / "out", truth)


@pytest.mark.parametrize("problem", ["short", "world-readable"])
def test_bad_key_files_are_refused_with_advice(tmp_path, problem):
    key = tmp_path / "key"
    expected = write_bad_key(key, problem)
    for args in (["work", "--server", "127.0.0.1:1"], ["submit", str(tmp_path), "--out",
                                                       str(tmp_path / "o")]):
        result = run_logcrunch(*args, "--authkey-file", str(key))
        assert result.returncode == 2
        assert expected in result.stderr


def test_head_exits_1_when_every_worker_is_killed(tmp_path, tree, key):
    root, _truth = tree
    hold = tmp_path / "hold"
    hold.mkdir()
    the_head = head(tmp_path, root, key, "--worker-timeout", "3", "--lease-seconds", "2")
    port = head_port(the_head)
    node = worker(port, key, "-j", "1", env={"LOGCRUNCH_FAULTS": f"hold:app:{hold}"})
    try:
        wait_for_file(hold, "held.")
        node.kill()  # SIGKILL the whole node: supervisor and its processes
        assert the_head.wait(timeout=60) == 1, the_head.output
    finally:
        the_head.kill()
    assert "every worker went away" in the_head.output
    assert "did not finish" in the_head.output
