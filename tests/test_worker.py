"""Worker behaviour with real processes: SIGTERM hand-back, path maps, --forever, timeouts."""

import multiprocessing
import os
import signal
import time

import pytest

from logcrunch.authkey import load_key
from logcrunch.broker import JobInfo
from logcrunch.worker import (
    LEASE_WAIT_SECONDS,
    WorkerError,
    WorkerOptions,
    WorkerProcess,
    _ChildStatus,
    map_path,
    run_worker,
)
from logcrunch.worker_supervisor import Outcome
from tests.helpers import (
    Proc,
    assert_matches_truth,
    expect_exits,
    free_port,
    make_key,
    make_tree,
    read_csv,
    wait_for_file,
)


def submit(tmp_path, root, key, port, *extra, out="out", state="state.db"):
    return Proc("submit", str(root), "--out", str(tmp_path / out), "--bind", f"127.0.0.1:{port}",
                "--authkey-file", str(key), "--state", str(tmp_path / state), *extra)


def work(port, key, *extra, env=None):
    return Proc("work", "--server", f"127.0.0.1:{port}", "--authkey-file", str(key),
                "--connect-timeout", "30", *extra, env=env)


def test_map_path_uses_longest_prefix_and_whole_components():
    mapping = (("/mnt/shared", "/data"), ("/mnt/shared/logs", "/fast/logs"))
    assert map_path("/mnt/shared/logs/a.log", mapping) == "/fast/logs/a.log"
    assert map_path("/mnt/shared/x.log", mapping) == "/data/x.log"
    assert map_path("/mnt/sharedother/x.log", mapping) == "/mnt/sharedother/x.log"


def test_sigterm_on_a_worker_hands_its_leases_back(tmp_path):
    root = tmp_path / "logs"
    truth = make_tree(root)
    key = make_key(tmp_path / "key")
    port = free_port()
    hold = tmp_path / "hold"
    hold.mkdir()
    head = submit(tmp_path, root, key, port, "--lease-seconds", "300")
    quitter = work(port, key, "-j", "1", env={"LOGCRUNCH_FAULTS": f"hold:app:{hold}"})
    try:
        wait_for_file(hold, "held.")
        os.killpg(quitter.popen.pid, signal.SIGTERM)  # as systemd stops a unit
        (hold / "release").touch()
        assert quitter.wait() == 0, quitter.output
        # the lease is 300 s: only a hand-back lets a second worker finish now
        finisher = work(port, key, "-j", "1")
        assert head.wait(timeout=60) == 0, head.output
        assert finisher.wait() == 0
    finally:
        head.kill()
    assert_matches_truth(tmp_path / "out", truth)


def test_path_map_lets_a_node_read_its_own_mount(tmp_path):
    root = tmp_path / "logs"
    truth = make_tree(root, hosts=1)
    mirror = tmp_path / "mirror"
    root.rename(mirror)  # the head sees /logs (a link), the node's mount is /mirror
    root.symlink_to(mirror)
    key = make_key(tmp_path / "key")
    port = free_port()
    trace = tmp_path / "reads"
    head = submit(tmp_path, root, key, port)
    node = work(port, key, "-j", "1", "--path-map", f"{root}={mirror}",
                env={"LOGCRUNCH_FAULTS": f"trace:{trace}"})
    try:
        assert head.wait() == 0, head.output
        assert node.wait() == 0, node.output
    finally:
        head.kill()
    assert all(line.startswith(str(mirror)) for line in trace.read_text().splitlines())
    assert {row["path"] for row in read_csv(tmp_path / "out" / "files.csv")} == \
        set(truth.per_file_lines)


def test_forever_worker_serves_job_after_job_until_sigterm(tmp_path):
    root = tmp_path / "logs"
    truth = make_tree(root, hosts=1)
    key = make_key(tmp_path / "key")
    port = free_port()
    node = work(port, key, "-j", "1", "--forever")
    try:
        # Each head stops while the node's connections to it are open (a stopping head once left
        # a stray answer on one of them, read by the next night's first call as its answer).
        for night in ("night1", "night2", "night3"):
            head = submit(tmp_path, root, key, port, "--fresh", out=night)
            try:
                code = head.wait(timeout=60)
            except AssertionError as stuck:  # (the head is killed by then)
                raise AssertionError(f"{stuck}\nthe node:\n{node_output(node)}") from None
            assert code == 0 and node.popen.poll() is None, \
                f"{head.output}\nthe node:\n{node_output(node)}"
            assert_matches_truth(tmp_path / night, truth)
        os.killpg(node.popen.pid, signal.SIGTERM)
        assert node.wait(timeout=30) == 0, node.output
    finally:
        node.kill()


def node_output(node) -> str:
    """What a node has logged so far (it is killed first, so its output is complete)."""
    node.kill()
    node.wait(timeout=10)
    return node.output


def test_file_that_hangs_its_worker_is_killed_after_file_timeout(tmp_path):
    root = tmp_path / "logs"
    make_tree(root, hosts=1, files_per_host=2)
    key = make_key(tmp_path / "key")
    port = free_port()
    never = tmp_path / "never-released"
    never.mkdir()
    hung = sorted(str(p) for p in root.rglob("app0.log"))[0]
    head = submit(tmp_path, root, key, port, "--file-timeout", "1", "--max-attempts", "2")
    node = work(port, key, "-j", "1", env={"LOGCRUNCH_FAULTS": f"hold:app0.log:{never}"})
    expect_exits(head, 3, node)
    rows = {row["path"]: row for row in read_csv(tmp_path / "out" / "files.csv")}
    assert rows[hung]["status"] == "failed"
    assert "timed out after 1 s" in rows[hung]["error"]
    assert [r["status"] for p, r in rows.items() if p != hung] == ["ok"]


class _LongPollingHead:
    """A stand-in proxy for a head: records lease calls, answers "wait" once, then "done"."""

    def __init__(self):
        self.job_info = JobInfo("ab12", None, lease_seconds=30, heartbeat_seconds=5)
        self.calls = []

    def lease(self, *args):
        self.calls.append(args)
        return ["wait", None, []] if len(self.calls) == 1 else ["done", None, []]


def test_worker_waits_for_work_in_the_heads_long_poll():
    head = _LongPollingHead()
    worker = WorkerProcess(WorkerOptions(address=("127.0.0.1", 1), authkey=b"k" * 32))
    worker.proxy = head
    worker._work_job(head.job_info)
    assert head.calls == [(worker.name, "ab12", None, LEASE_WAIT_SECONDS)] * 2


def _say_head_lost_and_exit_0(status):
    status.outcome = Outcome.HEAD_LOST
    os._exit(0)


def test_a_childs_outcome_reaches_the_supervisor_through_shared_memory_not_its_exit_code():
    ctx = multiprocessing.get_context("fork")
    status = _ChildStatus()
    assert status.outcome is Outcome.UNSET
    child = ctx.Process(target=_say_head_lost_and_exit_0, args=(status,))
    child.start()
    child.join(timeout=30)
    assert (child.exitcode, status.outcome) == (0, Outcome.HEAD_LOST)


def _hold_two_leases_and_exit(status):
    status.set_lease("ab" * 16)
    status.set_held(["cd" * 16, "ef" * 16])
    status.set_task(42)
    os._exit(0)


def test_a_childs_lease_task_and_held_leases_reach_its_supervisor_after_it_exits():
    ctx = multiprocessing.get_context("fork")
    status = _ChildStatus()
    assert (status.lease_id.value, status.held_leases(), status.task_id.value) == (b"", [], 0)
    child = ctx.Process(target=_hold_two_leases_and_exit, args=(status,))
    child.start()
    child.join(timeout=30)
    assert child.exitcode == 0
    assert status.lease_id.value == b"ab" * 16 and status.task_id.value == 42
    assert status.held_leases() == ["cd" * 16, "ef" * 16]
    status.set_held([])  # a shorter value ends at its NUL, as a ctypes char array's does
    assert status.held_leases() == []
    with pytest.raises(ValueError):
        status.lease_id.value = b"x" * 41


def test_a_child_status_tells_which_per_file_limit_is_overrun():
    status = _ChildStatus()
    status.timeout.value = 2.0
    assert status.overrun(time.monotonic() + 10) == 0.0  # no task: nothing to overrun
    status.set_task(7)
    started = status.started.value
    assert status.overrun(started + 1.5) == 0.0
    assert status.overrun(started + 2.5) == 2.0
    status.timeout.value = 0.0  # no --file-timeout
    assert status.overrun(started + 1e6) == 0.0


def test_a_node_whose_processes_keep_dying_gives_up_after_max_restarts(tmp_path, monkeypatch):
    root = tmp_path / "logs"
    root.mkdir()
    for number in range(5):
        (root / f"poison{number}.log").write_text("Nov 27 02:00:01 node01 api[1]: ERROR boom\n")
    key = make_key(tmp_path / "key")
    port = free_port()
    head = submit(tmp_path, root, key, port, "--max-attempts", "1")
    monkeypatch.setenv("LOGCRUNCH_FAULTS", "crash:poison")  # every file kills its reader
    events = []
    options = WorkerOptions(address=("127.0.0.1", port), authkey=load_key(str(key)),
                            connect_timeout=30, max_restarts=2)
    try:
        with pytest.raises(WorkerError) as gave_up:
            run_worker(options, on_event=events.append)
    finally:
        head.kill()
    assert str(gave_up.value) == ("worker processes keep dying (2 restarts within 600 s); "
                                  "see the messages above")
    assert [event.split(" died ")[1] for event in events] == [
        "(killed by SIGKILL); restarting it", "(killed by SIGKILL); restarting it",
        "(killed by SIGKILL)"]


_FIRST_FILE_COMPILES = """
import re._compiler, sys
from logcrunch.scan import ScanConfig, scan_file
from logcrunch.worker import warm_up
if sys.argv[2] == "warm":
    warm_up(ScanConfig())
compiled = []
real = re._compiler.compile
re._compiler.compile = lambda *args: compiled.append(args[0]) or real(*args)
summary = scan_file(sys.argv[1], ScanConfig())
assert summary.lines == 2 and summary.error_lines == 1, summary
print(len(compiled))
"""


@pytest.mark.parametrize("warm", [True, False])
def test_a_warmed_up_process_compiles_nothing_for_its_first_file(tmp_path, warm):
    # In a fresh interpreter (this one has compiled everything already): what a supervisor's
    # warm_up leaves to the children it forks. Without it, the first file compiles patterns.
    import subprocess
    import sys

    log = tmp_path / "app.log"
    log.write_bytes(b"Nov 27 03:00:01 node7 api[9]: ERROR request failed latency_ms=12 bytes=7\n"
                    b"Nov 27 03:00:02 node7 api[9]: INFO request handled latency_ms=3\n")
    done = subprocess.run([sys.executable, "-c", _FIRST_FILE_COMPILES, str(log),
                           "warm" if warm else "cold"],
                          capture_output=True, text=True, timeout=60, check=True)
    compiled = int(done.stdout)
    assert (compiled == 0) if warm else (compiled > 0)
