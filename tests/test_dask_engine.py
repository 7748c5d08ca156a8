"""`--engine dask` (logcrunch/dask_engine.py): its pure parts, `scan_lease` in forked children,
and whole runs against a real `dask scheduler` with two `dask worker --nanny` processes.

The cluster runs in network namespaces when the tests run as root (scheduler and head in one,
each worker in its own; see tests/netns.py), else on loopback. Faults come from LOGCRUNCH_FAULTS
set on the Dask workers (logcrunch/faults.py): every rule names a substring only one test's tree
uses. Skipped, with the reason, when dask.distributed is not installed.
"""

from __future__ import annotations

import itertools
import os
import queue
import re
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from logcrunch import dask_engine, wire
from logcrunch.broker import Broker
from logcrunch.dask_engine import (
    FRAME_RESULT,
    FRAME_STARTED,
    DaskDispatcher,
    FrameReader,
    InFlight,
    Outcome,
    decode_outcome,
    lease_size,
    scan_lease,
    settle,
)
from logcrunch.scan import ScanConfig
from logcrunch.summary import FileSummary
from tests.helpers import (
    Proc,
    assert_matches_truth,
    child_env,
    comparable,
    free_port,
    make_tree,
    read_csv,
    run_logcrunch,
    wait_for_file,
    wait_for_files,
    wait_until,
)
from tests.netns import HEAD_ADDRESS, ClusterUnavailable, VirtualCluster

# ----- pure parts ----------------------------------------------------------------------------


@given(st.lists(st.tuples(st.sampled_from([FRAME_STARTED, FRAME_RESULT]), st.binary(max_size=40)),
                max_size=8), st.lists(st.integers(1, 7), min_size=1))
def test_frames_come_out_whole_however_the_pipe_cuts_them(frames, cuts):
    stream = b"".join(dask_engine._HEADER.pack(kind, len(body)) + body for kind, body in frames)
    reader = FrameReader()
    out, position = [], 0
    for step in itertools.cycle(cuts):
        if position >= len(stream):
            break
        out += reader.feed(stream[position:position + step])
        position += step
    assert out == frames


def test_in_flight_keeps_two_futures_per_worker_thread():
    flights = InFlight()
    assert flights.room(0) == 2  # something waits on the scheduler for the first worker
    assert flights.room(3) == 6
    for n in range(4):
        flights.add(f"lease{n}", [n], object(), now=0.0)
    assert flights.room(2) == 0 and flights.room(3) == 2
    assert flights.pop("lease1") is not None and flights.pop("lease1") is None
    assert flights.room(2) == 1


def test_in_flight_heartbeats_every_lease_twice_an_interval():
    flights = InFlight()
    flights.add("a", [1], object(), 0.0)
    flights.add("b", [2], object(), 0.0)
    assert flights.due_beats(10.0, 5.0) == ["a", "b"]
    assert flights.due_beats(12.4, 5.0) == []  # twice per interval: a late wake is no lost lease
    assert flights.due_beats(12.5, 5.0) == ["a", "b"]


def test_lease_size_is_a_fair_share_of_the_queue():
    assert lease_size(0, 2) == 1
    assert lease_size(100, 2) == 25
    assert lease_size(100, 0) == 50  # no worker yet: as if one
    assert lease_size(3, 4) == 1


def _broker(root: Path, paths: list[Path], **kw) -> Broker:
    """A broker of ``paths`` and as many one-line padding files: the broker's fair share (half
    the queue for one worker) then puts all of ``paths`` in the first lease."""
    broker = Broker(scan_config=ScanConfig(), roots=((str(root), os.stat(root).st_dev),), **kw)
    padding = []
    for index in range(len(paths)):
        pad = root / f"zpad{index}.log"
        pad.write_text("Nov 27 02:00:01 node01 api[1]: INFO padding\n")
        padding.append(pad)
    for path in [*paths, *padding]:
        stat = os.stat(path)
        broker.add_task(str(path), stat.st_size, stat.st_mtime, inode=stat.st_ino,
                        device=stat.st_dev)
    broker.close_submissions()
    return broker


def _lease_all(broker: Broker, count: int):
    """The first lease: the ``count`` files of the test (largest first), no padding."""
    job = broker.job("t", 0.0)
    state, lease_id, tasks = broker.lease("t", job.job_id, 0.0, max_files=count)
    assert state == "work" and len(tasks) == count
    return job, lease_id, tasks


def _finish(broker: Broker, job, now: float = 2.0) -> dict[str, FileSummary]:
    """Scan what is left lease by lease; every final summary by path."""
    while not broker.is_done():
        _state, lease_id, tasks = broker.lease("t", job.job_id, now)
        outcome = decode_outcome(scan_lease(wire.encode(job), wire.encode(tasks)), len(tasks))
        settle(broker, "dask:test", lease_id, outcome, now)
    return {task.path: summary for task, summary in broker.recorder.take_results()}


def _files(tmp_path: Path, *names: str) -> tuple[Path, list[Path]]:
    root = tmp_path / "logs"
    root.mkdir()
    paths = []
    for index, name in enumerate(names):
        path = root / name
        # Sizes fall with the index: the broker leases largest first, so in this order.
        path.write_text("Nov 27 02:00:01 node01 api[1]: ERROR something broke\n" * (40 - index))
        paths.append(path)
    return root, paths


def test_scan_lease_returns_what_the_worker_scan_gives(tmp_path):
    root, paths = _files(tmp_path, "a.log", "b.log")
    broker = _broker(root, paths, lease_max_files=10)
    job, lease_id, tasks = _lease_all(broker, 2)
    outcome = decode_outcome(scan_lease(wire.encode(job), wire.encode(tasks)), 2)
    assert outcome.lost is None
    assert [task_id for task_id, _ in outcome.results] == [task.task_id for task in tasks]
    assert [(s.path, s.lines, s.error_lines) for _, s in outcome.results] == \
        [(str(paths[0]), 40, 40), (str(paths[1]), 39, 39)]
    assert settle(broker, "dask:test", lease_id, outcome, 1.0) == 2


def test_a_file_that_kills_its_reader_is_blamed_and_fails_after_max_attempts(tmp_path, monkeypatch):
    root, paths = _files(tmp_path, "a.log", "poison.log", "c.log")
    broker = _broker(root, paths, lease_max_files=10, max_attempts=2)
    monkeypatch.setenv("LOGCRUNCH_FAULTS", "crash:poison")
    job, lease_id, tasks = _lease_all(broker, 3)
    outcome = decode_outcome(scan_lease(wire.encode(job), wire.encode(tasks)), 3)
    current, reason, _pid = outcome.lost
    assert (current, reason) == (tasks[1].task_id, "killed by SIGKILL")
    assert [s.path for _, s in outcome.results] == [str(paths[0])]  # read before the crash
    settle(broker, "dask:test", lease_id, outcome, 1.0)
    final = _finish(broker, job)  # the rest again, the poison file alone next time
    assert final[str(paths[1])].status == "failed"
    assert final[str(paths[1])].error == \
        "worker died 2 times while reading it (last: killed by SIGKILL)"
    assert final[str(paths[0])].lines == 40 and final[str(paths[2])].lines == 38


def test_a_hung_read_is_cut_off_at_the_file_timeout(tmp_path, monkeypatch):
    root, paths = _files(tmp_path, "a.log", "hang.log")
    hold = tmp_path / "hold"
    hold.mkdir()  # never released: the read would wait 60 s
    broker = _broker(root, paths, lease_max_files=10, max_attempts=1, file_timeout=0.3)
    monkeypatch.setenv("LOGCRUNCH_FAULTS", f"hold:hang:{hold}")
    job, lease_id, tasks = _lease_all(broker, 2)
    outcome = decode_outcome(scan_lease(wire.encode(job), wire.encode(tasks)), 2)
    assert outcome.lost[:2] == (tasks[1].task_id, "timed out after 0.3 s")
    settle(broker, "dask:test", lease_id, outcome, 1.0)
    final = _finish(broker, job)
    assert final[str(paths[1])].error == \
        "worker died once while reading it (last: timed out after 0.3 s)"
    assert final[str(paths[0])].status == "ok"


def _threads_of(pid: int) -> int:
    with open(f"/proc/{pid}/status") as fp:
        return int(next(line for line in fp if line.startswith("Threads:")).split()[1])


def _scan_in_thread(job, tasks):
    """scan_lease on a thread of this process (a Dask worker runs it on one of its threads);
    the queue gets its decoded outcome."""
    answers: queue.Queue = queue.Queue()
    thread = threading.Thread(target=lambda: answers.put(decode_outcome(
        scan_lease(wire.encode(job), wire.encode(tasks)), len(tasks))), daemon=True)
    thread.start()
    return thread, answers


def test_the_scanning_child_is_forked_by_a_one_thread_helper_not_by_the_dask_worker(
        tmp_path, monkeypatch):
    root, paths = _files(tmp_path, "held.log")
    hold = tmp_path / "hold"
    hold.mkdir()
    broker = _broker(root, paths, lease_max_files=10)
    monkeypatch.setenv("LOGCRUNCH_FAULTS", f"hold:held.log:{hold}")
    job, lease_id, tasks = _lease_all(broker, 1)
    busy = [threading.Thread(target=threading.Event().wait, args=(30,), daemon=True)
            for _ in range(8)]  # this process has many threads, as a Dask worker has
    for thread in busy:
        thread.start()
    thread, answers = _scan_in_thread(job, tasks)
    reader = int(wait_for_file(hold, "held.").read_text())
    helper = _parent_of(reader)
    assert helper != os.getpid() and _parent_of(helper) == os.getpid()
    assert _threads_of(helper) == 1 and _threads_of(os.getpid()) > 8
    (hold / "release").touch()
    thread.join(timeout=30)
    outcome = answers.get(timeout=1)
    assert outcome.lost is None and [s.lines for _, s in outcome.results] == [40]


def test_a_helper_that_dies_loses_its_lease_without_blaming_a_file_and_is_started_again(
        tmp_path, monkeypatch):
    root, paths = _files(tmp_path, "held.log", "b.log")
    hold = tmp_path / "hold"
    hold.mkdir()
    broker = _broker(root, paths, lease_max_files=10, max_attempts=1)
    monkeypatch.setenv("LOGCRUNCH_FAULTS", f"hold:held.log:{hold}")
    job, lease_id, tasks = _lease_all(broker, 2)
    thread, answers = _scan_in_thread(job, tasks)
    reader = int(wait_for_file(hold, "held.").read_text())
    helper = _parent_of(reader)
    os.kill(helper, signal.SIGKILL)  # its child goes with it (PDEATHSIG)
    thread.join(timeout=30)
    outcome = answers.get(timeout=1)
    assert outcome.results == []
    assert outcome.lost[:2] == (None, "the scan helper died")  # no file to blame
    wait_until(lambda: not os.path.exists(f"/proc/{reader}"), "the child gone", timeout=10)
    settle(broker, "dask:test", lease_id, outcome, 1.0)
    monkeypatch.delenv("LOGCRUNCH_FAULTS")
    final = _finish(broker, job)  # a new helper reads them: nothing failed (max_attempts 1)
    assert [(final[str(path)].status, final[str(path)].lines) for path in paths] == \
        [("ok", 40), ("ok", 39)]
    assert dask_engine.dask_helper.helper().process.pid != helper


def test_answers_that_come_in_one_read_are_taken_one_by_one():
    import socket

    from logcrunch.dask_helper import Answers, HelperLost

    mine, theirs = socket.socketpair()
    theirs.sendall(b"P4242\nX-9\n")  # a child that died at once: pid and exit code together
    theirs.close()
    answers = Answers(mine)
    assert [answers.next(), answers.next()] == [(b"P", "4242"), (b"X", "-9")]
    with pytest.raises(HelperLost, match="the scan helper died"):
        answers.next()
    mine.close()


@pytest.fixture
def fresh_helper(monkeypatch):
    """This process's scan helper started anew for the test (and the one before kept aside)."""
    from logcrunch import dask_helper

    monkeypatch.setattr(dask_helper, "_helper", None)
    monkeypatch.setattr(dask_engine, "_failed_starts", [])
    yield dask_helper
    if dask_helper._helper is not None:
        dask_helper._helper.close()


def test_a_helper_that_cannot_start_stops_the_run_instead_of_losing_leases_for_ever(
        tmp_path, monkeypatch, fresh_helper):
    root, paths = _files(tmp_path, "a.log")
    broker = _broker(root, paths, lease_max_files=10)
    job, _lease_id, tasks = _lease_all(broker, 1)
    monkeypatch.setattr(sys, "executable", "/bin/false")  # every helper exits at once
    for _ in range(dask_engine.HELPER_START_FAILURES - 1):
        outcome = decode_outcome(scan_lease(wire.encode(job), wire.encode(tasks)), 1)
        assert outcome.results == [] and outcome.lost[0] is None  # no file blamed
        assert outcome.lost[1].startswith(("the scan helper died", "the scan helper is gone"))
    with pytest.raises(RuntimeError, match="failed 3 times in a row before starting a child"):
        scan_lease(wire.encode(job), wire.encode(tasks))


def test_the_helper_does_not_import_logcrunch_from_the_working_directory(
        tmp_path, monkeypatch, fresh_helper):
    root, paths = _files(tmp_path, "a.log")
    broker = _broker(root, paths, lease_max_files=10)
    job, _lease_id, tasks = _lease_all(broker, 1)
    shadow = tmp_path / "cwd" / "logcrunch"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text(
        f"open({str(tmp_path / 'shadowed')!r}, 'w').close()\nraise SystemExit(3)\n")
    monkeypatch.chdir(tmp_path / "cwd")
    outcome = decode_outcome(scan_lease(wire.encode(job), wire.encode(tasks)), 1)
    assert outcome.lost is None and [s.lines for _, s in outcome.results] == [40]
    assert not (tmp_path / "shadowed").exists()


def _silent_child() -> tuple[int, int, int]:
    """A forked child that never writes to its pipe (as one stuck on a lock held at the fork):
    (pid, the pipe's read end, the write end of a second pipe it blocks on)."""
    read_fd, write_fd = os.pipe()
    block_read, block_write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.read(block_read, 1)  # blocks: nothing is ever written
        finally:
            os._exit(0)
    os.close(write_fd)
    os.close(block_read)
    return pid, read_fd, block_write


def test_a_child_silent_before_its_first_file_is_killed_and_its_lease_lost():
    pid, read_fd, block_write = _silent_child()
    try:
        blobs, lost = dask_engine._watch_child(pid, read_fd, 1, 0.0, silence=0.3)
    finally:
        os.close(read_fd)
        os.close(block_write)
    assert blobs == []
    assert lost == [None, "the scanning child said nothing for 0.3 s (stuck before a file)", pid]
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # killed and reaped, not left behind


def test_a_lease_lost_to_a_silent_child_is_read_again_without_blaming_a_file(tmp_path):
    root, paths = _files(tmp_path, "a.log", "b.log")
    broker = _broker(root, paths, lease_max_files=10, max_attempts=1)
    job, lease_id, tasks = _lease_all(broker, 2)
    lost = Outcome([], (None, "the scanning child said nothing for 60 s (stuck before a file)", 7))
    settle(broker, "dask:test", lease_id, lost, 1.0)
    final = _finish(broker, job)
    assert [(final[str(path)].status, final[str(path)].lines) for path in paths] == \
        [("ok", 40), ("ok", 39)]  # max_attempts 1, yet nothing failed: no file was to blame


def test_a_lease_answers_once_however_often_dask_reruns_it(tmp_path):
    root, paths = _files(tmp_path, "a.log")
    broker = _broker(root, paths)
    job, lease_id, tasks = _lease_all(broker, 1)
    blob = scan_lease(wire.encode(job), wire.encode(tasks))
    assert settle(broker, "dask:test", lease_id, decode_outcome(blob, 1), 1.0) == 1
    assert settle(broker, "dask:test", lease_id, decode_outcome(blob, 1), 1.0) == 0
    assert len(broker.recorder.take_results()) == 1 and broker.rejected_results == 1


@pytest.mark.parametrize("blob, problem", [
    ("not bytes", "not bytes"),
    (b"\x80\x04\x95", "not a protocol message"),  # a pickle is never unpickled
    (b'[[[1,{"$":"Popen","v":[]}]],null]', "not a type the protocol allows"),
    (b"[[],null,1]", "[results, lost]"),
    (b'[[[1,2]],null]', "each result is [task_id, FileSummary]"),
    (b'[[],[1,5,3]]', "reason must be text"),
    (b'[[],[1,"why",-3]]', "pid"),
])
def test_outcomes_outside_the_encoding_are_refused(blob, problem):
    with pytest.raises(ValueError, match=re.escape(problem)):
        decode_outcome(blob, 10)


def test_a_summary_that_cannot_be_its_tasks_result_is_recorded_as_refused(tmp_path):
    root, paths = _files(tmp_path, "a.log")
    broker = _broker(root, paths)
    _job, lease_id, tasks = _lease_all(broker, 1)
    lying = FileSummary(str(paths[0]), lines=10**9, size_bytes=5)  # more lines than bytes
    settle(broker, "dask:test", lease_id, Outcome([(tasks[0].task_id, lying)]), 1.0)
    (_task, summary), = broker.recorder.take_results()
    assert summary.status == "failed" and "refused" in summary.error


def test_no_dask_worker_for_the_worker_timeout_aborts_with_tasks_left(tmp_path):
    root, paths = _files(tmp_path, "a.log")
    now = [100.0]
    dispatcher = DaskDispatcher("tcp://sched:8786", worker_timeout=5, clock=lambda: now[0])
    dispatcher.broker = _broker(root, paths)
    dispatcher._last_worker = 100.0
    now[0] = 105.0
    assert dispatcher.liveness() == ""
    now[0] = 105.1
    assert "no Dask worker connected to tcp://sched:8786 for 5 s with 2 tasks left" in \
        dispatcher.liveness()
    dispatcher._threads = 1
    assert dispatcher.liveness() == ""


class KilledWorker(Exception):
    """Stands in for distributed.KilledWorker (the dispatcher knows it by name)."""


class FakeFuture:
    def __init__(self, status: str, result=None, error: BaseException | None = None) -> None:
        self.status, self._result, self._error = status, result, error
        self.cancelled = False

    def result(self):
        return self._result

    def exception(self):
        return self._error

    def cancel(self) -> None:
        self.cancelled = True


def _dispatcher_with_flight(tmp_path, future: FakeFuture, **broker_kw):
    """A dispatcher (no scheduler) whose broker has leased its only file to ``future``."""
    root, paths = _files(tmp_path, "a.log")
    dispatcher = DaskDispatcher("tcp://sched:8786", worker_timeout=60)
    dispatcher.broker = broker = _broker(root, paths, **broker_kw)
    job = broker.job(dispatcher.name, 0.0)
    _state, lease_id, tasks = broker.lease(dispatcher.name, job.job_id, 0.0, max_files=1)
    dispatcher.flights.add(lease_id, [tasks[0].task_id], future, 0.0)
    return dispatcher, lease_id, str(paths[0]), job, tasks


def test_a_killed_worker_counts_one_death_for_the_lease(tmp_path):
    future = FakeFuture("error", error=KilledWorker("gave up"))
    dispatcher, lease_id, path, *_ = _dispatcher_with_flight(tmp_path, future, max_attempts=1)
    dispatcher._settle(lease_id)
    final = {task.path: summary for task, summary in dispatcher.broker.recorder.take_results()}
    assert final[path].error == ("worker died once while reading it (last: its Dask worker "
                                 "died running it (KilledWorker))")
    assert dispatcher.liveness() == ""


def test_an_answer_outside_the_encoding_counts_as_a_death_not_a_result(tmp_path):
    future = FakeFuture("finished", result=b"\x80\x04K\x01.")  # pickle of 1
    dispatcher, lease_id, path, *_ = _dispatcher_with_flight(tmp_path, future, max_attempts=1)
    dispatcher._settle(lease_id)
    final = {task.path: summary for task, summary in dispatcher.broker.recorder.take_results()}
    assert "the Dask task's answer was refused: not a protocol message" in final[path].error


def test_a_cancelled_future_gives_its_files_back_without_penalty(tmp_path):
    dispatcher, lease_id, _path, job, tasks = _dispatcher_with_flight(
        tmp_path, FakeFuture("cancelled"))
    dispatcher._settle(lease_id)
    _state, _lease, again = dispatcher.broker.lease("t", job.job_id, 1.0, max_files=1)
    assert [(t.task_id, t.attempts) for t in again] == [(tasks[0].task_id, 0)]


def test_a_dask_task_that_raises_stops_the_run(tmp_path):
    future = FakeFuture("error", error=ModuleNotFoundError("No module named 'logcrunch'"))
    dispatcher, lease_id, *_ = _dispatcher_with_flight(tmp_path, future)
    dispatcher._settle(lease_id)
    assert "a Dask task failed on a worker: ModuleNotFoundError" in dispatcher.liveness()
    assert "installed on every Dask worker" in dispatcher.liveness()


def test_a_lease_the_broker_took_back_has_its_future_cancelled(tmp_path):
    future = FakeFuture("pending")
    dispatcher, lease_id, _path, job, _tasks = _dispatcher_with_flight(tmp_path, future)
    dispatcher._job = job
    dispatcher._over = True  # lease nothing more
    dispatcher.broker.expire(10**6)  # its lease expired
    dispatcher.flights.last_beat = -10**6  # a heartbeat is due at once
    threads = [threading.Thread(target=dispatcher._beat),  # hears it was taken back
               threading.Thread(target=dispatcher._dispatch)]  # cancels its future
    for thread in threads:
        thread.start()
    wait_until(lambda: future.cancelled, "the future cancelled", timeout=10)
    dispatcher._stop.set()
    for thread in threads:
        thread.join(timeout=10)
    assert lease_id not in dispatcher.flights.flights


def test_scheduler_addresses_need_a_scheme():
    assert dask_engine.check_scheduler_address("tls://h:8786") == "tls://h:8786"
    for bad in ("h:8786", "http://h", "tcp://"):
        with pytest.raises(ValueError, match="tcp://HOST:8786"):
            dask_engine.check_scheduler_address(bad)


# ----- the command line without a cluster ----------------------------------------------------


def test_engine_dask_without_a_scheduler_is_a_usage_error(tmp_path):
    result = run_logcrunch("submit", str(tmp_path), "--out", str(tmp_path / "out"),
                           "--engine", "dask", env={"LOGCRUNCH_SCHEDULER": ""})
    assert result.returncode == 2
    assert "--engine dask needs the scheduler's address: add --scheduler" in result.stderr


def test_engine_dask_without_dask_installed_says_how_to_install_it(tmp_path):
    shim = tmp_path / "shim" / "distributed"
    shim.mkdir(parents=True)
    (shim / "__init__.py").write_text("raise ImportError('No module named distributed')\n")
    (tmp_path / "logs").mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "logcrunch", "submit", str(tmp_path / "logs"), "--out",
         str(tmp_path / "out"), "--engine", "dask", "--scheduler", "tcp://127.0.0.1:1",
         "--state", str(tmp_path / "state.db")],
        capture_output=True, text=True, timeout=60,
        env=child_env({"PYTHONPATH": f"{tmp_path / 'shim'}{os.pathsep}"
                                     f"{child_env()['PYTHONPATH']}"}))
    assert result.returncode == 2, result.stderr
    assert "pip install 'logcrunch[dask]'" in result.stderr
    assert not (tmp_path / "state.db").exists()  # checked before anything was touched


# ----- a real Dask cluster -------------------------------------------------------------------

SCHEDULER_PORT = 8786


class DaskProc(Proc):
    """A `dask scheduler` or `dask worker` process whose output lines can be awaited."""

    def __init__(self, *args: str, env: dict | None = None, prefix: list[str] | None = None):
        self.popen = subprocess.Popen((prefix or []) + [sys.executable, "-m", "dask", *args],
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                      env=child_env(env), start_new_session=True)
        self.lines = []
        self._queue = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()


class DaskCluster:
    """A scheduler and two nanny-managed workers; ``prefix`` runs a command on the head host."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.procs: list[DaskProc] = []
        self.netns: VirtualCluster | None = None
        try:
            self.netns = VirtualCluster.create(f"{os.getpid()}d", worker_hosts=2)
            self.host = HEAD_ADDRESS
            self.prefix = self.netns.head.prefix
            worker_hosts = [(w.prefix, w.address) for w in self.netns.workers]
            self.port = SCHEDULER_PORT
        except ClusterUnavailable:
            self.host, self.prefix = "127.0.0.1", []
            worker_hosts = [([], "127.0.0.1")] * 2
            self.port = free_port()
        self.address = f"tcp://{self.host}:{self.port}"
        self.holds = {name: base / name for name in ("kill", "head", "hang")}
        for directory in self.holds.values():
            directory.mkdir()
        faults = ";".join(["crash:DASKPOISON", *(f"hold:DASK{name.upper()}:{directory}"
                                                 for name, directory in self.holds.items())])
        self.scheduler = self._start("scheduler", "--host", self.host, "--port", str(self.port),
                                     "--no-dashboard", prefix=self.prefix)
        self.scheduler.wait_for("Scheduler at:")
        self.workers = [self._start("worker", self.address, "--nthreads", "1", "--nworkers", "1",
                                    "--nanny", "--host", address, "--no-dashboard",
                                    "--death-timeout", "120", prefix=prefix,
                                    env={"LOGCRUNCH_FAULTS": faults})
                        for prefix, address in worker_hosts]
        for _ in self.workers:
            self.scheduler.wait_for("Register worker")

    def _start(self, *args, prefix, env=None) -> DaskProc:
        proc = DaskProc(*args, prefix=prefix, env=env)
        self.procs.append(proc)
        return proc

    def another_scheduler(self) -> tuple[DaskProc, str]:
        """A scheduler without workers, on the head host."""
        port = SCHEDULER_PORT + 10 if self.netns else free_port()  # (+1: the first one's HTTP port)
        proc = self._start("scheduler", "--host", self.host, "--port", str(port),
                           "--no-dashboard", prefix=self.prefix)
        proc.wait_for("Scheduler at:")
        return proc, f"tcp://{self.host}:{port}"

    def submit(self, root: Path, out: Path, state: Path, *extra: str, scheduler: str = "",
               env: dict | None = None) -> Proc:
        return Proc("submit", str(root), "--out", str(out), "--state", str(state),
                    "--engine", "dask", "--worker-timeout", "60", *extra,
                    *(("--scheduler", scheduler) if scheduler else ()),
                    env={"LOGCRUNCH_SCHEDULER": self.address, **(env or {})},
                    prefix=self.prefix)

    def close(self) -> None:
        for proc in self.procs:
            proc.kill()
        if self.netns is not None:
            self.netns.destroy()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    pytest.importorskip("distributed", reason="dask[distributed] is not installed (pip install "
                        "-e '.[test]' installs it)")
    built = DaskCluster(tmp_path_factory.mktemp("dask"))
    try:
        yield built
    finally:
        built.close()


def reference(tmp_path: Path, root: Path, *extra: str, env: dict | None = None) -> Path:
    """`logcrunch run`'s report of ``root``: what the Dask engine's must equal."""
    out = tmp_path / "reference"
    result = run_logcrunch("run", str(root), "--out", str(out), "-j", "2", "--state",
                           str(tmp_path / "reference.db"), *extra, env=env)
    assert result.returncode in (0, 3), result.stderr
    return out


def tree_with(tmp_path: Path, *special: str):
    """The usual generated tree plus one small file per name in ``special``."""
    root = tmp_path / "logs"
    truth = make_tree(root)
    for name in special:
        (root / "node00" / "api" / name).write_text(
            "Nov 27 02:00:01 node00 api[1]: ERROR special file latency_ms=5 bytes=1\n")
        truth.files += 1
        truth.lines += 1
        truth.error_lines += 1
        truth.metric_count = {k: v + 1 for k, v in truth.metric_count.items()}
        truth.metric_sum = {"latency_ms": truth.metric_sum["latency_ms"] + 5,
                            "bytes": truth.metric_sum["bytes"] + 1}
    return root, truth


def test_dask_run_equals_logcrunch_run(cluster, tmp_path):
    root, truth = tree_with(tmp_path)
    split = ("--split-size", "8192")  # plain files in 2-3 byte ranges each
    head = cluster.submit(root, tmp_path / "out", tmp_path / "state.db", *split)
    assert head.wait() == 0, head.output
    assert comparable(tmp_path / "out") == comparable(reference(tmp_path, root, *split))
    assert_matches_truth(tmp_path / "out", truth)
    files = read_csv(tmp_path / "out" / "files.csv")
    assert {row["attempts"] for row in files} == {"1"}
    readers = [name for row in files for name in row["worker"].split(",")]  # (ranges: a,b)
    assert all(name.count(":") == 2 for name in readers)  # host:dask worker pid:child pid


def test_incremental_dask_runs_equal_incremental_logcrunch_runs(cluster, tmp_path):
    root, _truth = tree_with(tmp_path)
    grown = root / "node01" / "api" / "app0.log"

    def both(night: str) -> tuple[Path, Path]:
        ours = tmp_path / f"dask-{night}"
        head = cluster.submit(root, ours, tmp_path / "state.db", "--incremental")
        assert head.wait() == 0, head.output
        theirs = tmp_path / f"run-{night}"
        result = run_logcrunch("run", str(root), "--out", str(theirs), "-j", "2", "--state",
                               str(tmp_path / "reference.db"), "--incremental")
        assert result.returncode == 0, result.stderr
        return ours, theirs

    both("first")
    with open(grown, "a") as fp:
        fp.write("Nov 27 03:00:01 node01 api[4000]: ERROR appended latency_ms=7 bytes=2\n")
    ours, theirs = both("second")
    assert comparable(ours) == comparable(theirs)
    rows = {row["path"]: row for row in read_csv(ours / "files.csv")}
    assert rows[str(grown)]["read_mode"] == "appended"


def _parent_of(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as fp:
        return int(fp.read().rpartition(")")[2].split()[1])


def test_dask_worker_killed_mid_file_loses_and_doubles_nothing(cluster, tmp_path):
    root, truth = tree_with(tmp_path, "DASKKILL.log")
    hold = cluster.holds["kill"]
    head = cluster.submit(root, tmp_path / "out", tmp_path / "state.db")
    try:
        marker = wait_for_file(hold, "held.")
        reader = int(marker.read_text())  # the scanning child, forked by the scan helper
        helper = _parent_of(reader)
        dask_worker = _parent_of(helper)  # (the helper's parent is the Dask worker)
        os.kill(dask_worker, signal.SIGKILL)  # the helper leaves, the child with it (PDEATHSIG)
        (hold / "release").touch()
        assert head.wait() == 0, head.output
    finally:
        head.kill()
    assert comparable(tmp_path / "out") == comparable(reference(tmp_path, root))
    assert_matches_truth(tmp_path / "out", truth)
    assert len(wait_for_files(hold, "held.", count=2)) == 2  # Dask ran that lease again


def test_a_file_that_kills_its_reader_fails_like_on_our_workers(cluster, tmp_path):
    root, _truth = tree_with(tmp_path, "DASKPOISON.log")
    head = cluster.submit(root, tmp_path / "out", tmp_path / "state.db", "--max-attempts", "2")
    assert head.wait() == 3, head.output
    rows = {row["path"]: row for row in read_csv(tmp_path / "out" / "files.csv")}
    poison = rows[str(root / "node00" / "api" / "DASKPOISON.log")]
    assert (poison["status"], poison["attempts"]) == ("failed", "2")
    assert poison["error"] == "worker died 2 times while reading it (last: killed by SIGKILL)"
    ours = reference(tmp_path, root, "--max-attempts", "2",
                     env={"LOGCRUNCH_FAULTS": "crash:DASKPOISON"})
    assert comparable(tmp_path / "out") == comparable(ours)


def test_a_hung_read_fails_after_the_file_timeout(cluster, tmp_path):
    root, _truth = tree_with(tmp_path, "DASKHANG.log")  # its hold is never released
    head = cluster.submit(root, tmp_path / "out", tmp_path / "state.db", "--max-attempts", "1",
                          "--file-timeout", "1")
    assert head.wait() == 3, head.output
    rows = {row["path"]: row for row in read_csv(tmp_path / "out" / "files.csv")}
    hung = rows.pop(str(root / "node00" / "api" / "DASKHANG.log"))
    assert hung["error"] == "worker died once while reading it (last: timed out after 1 s)"
    assert {row["status"] for row in rows.values()} == {"ok"}


def _stored_results(state: Path) -> int:
    try:
        with sqlite3.connect(f"file:{state}?mode=ro", uri=True, timeout=5) as db:
            return db.execute("SELECT count(*) FROM results").fetchone()[0]
    except sqlite3.OperationalError:  # not created yet
        return 0


def test_head_killed_mid_run_resumes_and_the_report_is_exact(cluster, tmp_path):
    root, truth = tree_with(tmp_path, "DASKHEAD.log")
    hold, state = cluster.holds["head"], tmp_path / "state.db"
    first = cluster.submit(root, tmp_path / "out", state)
    try:
        wait_for_file(hold, "held.")
        wait_until(lambda: _stored_results(state) > 0, "results stored by the first head")
        first.kill()  # SIGKILL, mid-run: one lease is still being read
    finally:
        first.kill()
        (hold / "release").touch()
    again = cluster.submit(root, tmp_path / "out", state)
    assert again.wait() == 0, again.output
    assert "resuming run 1" in again.output
    assert comparable(tmp_path / "out") == comparable(reference(tmp_path, root))
    assert_matches_truth(tmp_path / "out", truth)


def test_no_dask_worker_aborts_after_the_worker_timeout(cluster, tmp_path):
    root, _truth = tree_with(tmp_path)
    _lonely, address = cluster.another_scheduler()
    head = cluster.submit(root, tmp_path / "out", tmp_path / "state.db", "--worker-timeout", "2",
                          scheduler=address)
    assert head.wait() == 1, head.output
    assert f"no Dask worker connected to {address} for 2 s" in head.output
    assert "run the same command again to resume" in head.output


def test_an_unreachable_scheduler_exits_1_before_recording_a_run(cluster, tmp_path):
    root, _truth = tree_with(tmp_path)
    head = cluster.submit(root, tmp_path / "out", tmp_path / "state.db", "--worker-timeout", "1",
                          scheduler=f"tcp://{cluster.host}:{free_port()}")
    assert head.wait() == 1, head.output
    assert "cannot reach the Dask scheduler" in head.output
    with sqlite3.connect(tmp_path / "state.db") as db:  # created, but no run recorded
        assert db.execute("SELECT count(*) FROM runs").fetchone()[0] == 0
