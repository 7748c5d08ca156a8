"""Results go back to the head from a side thread (worker._Sender) while the child reads on, and
the next lease is asked for before the last results of a lease are handed over. Real TCP to an
in-process head where the head's timing matters; stand-in proxies where only the worker's own
bookkeeping does. Every wait has a timeout; nothing is timed with sleeps."""

import os
import threading
import time

import pytest

from logcrunch import worker as worker_module
from logcrunch.broker import Broker, JobInfo, Task
from logcrunch.recorder import MemoryRecorder
from logcrunch.scan import ScanConfig
from logcrunch.summary import FileSummary
from logcrunch.transport import BrokerServer, PeerMisbehaved
from logcrunch.worker import WorkerOptions, WorkerProcess, _Sender
from tests.helpers import wait_until

KEY = b"k" * 32
WAIT = 30.0


class HeldRecorder(MemoryRecorder):
    """Records like the head's in-memory recorder, but holds the first batch until released."""

    def __init__(self, scan_config):
        super().__init__(scan_config)
        self.first_batch_arrived = threading.Event()
        self.release = threading.Event()
        self.batches = 0

    def record(self, batch, *args, **kwargs):
        self.batches += 1
        if self.batches == 1:
            self.first_batch_arrived.set()
            assert self.release.wait(WAIT), "the test never released the first batch"
        return super().record(batch, *args, **kwargs)


class HeldHead:
    """A real head over TCP (an in-process broker) whose recorder holds the first batch, and one
    worker process's loop in a thread, reading ``count`` files; records the paths it opens."""

    def __init__(self, tmp_path, monkeypatch, count, lines, **broker_options):
        self.paths = []
        for number in range(count):
            path = tmp_path / f"app{number}.log"
            path.write_text(f"2024-05-01T10:00:0{number}Z ERROR boom {number}\n" * lines(number))
            self.paths.append(str(path))
        self.opened = []
        real_open = worker_module.open_confined
        monkeypatch.setattr(worker_module, "open_confined",
                            lambda path, *args: self.opened.append(path) or real_open(path, *args))
        self.recorder = HeldRecorder(ScanConfig())
        self.broker = Broker(scan_config=ScanConfig(), lease_max_files=1, recorder=self.recorder,
                             **broker_options)
        for path in self.paths:
            self.broker.add_task(path, os.path.getsize(path))
        self.broker.close_submissions()
        self.server = BrokerServer(self.broker, ("127.0.0.1", 0), KEY)
        self.server.start()
        self.process = WorkerProcess(WorkerOptions(
            address=self.server.address, authkey=KEY, connect_timeout=5,
            allow_roots=(str(tmp_path),)))
        self.working = threading.Thread(target=self.process.run, daemon=True)
        self.working.start()

    def finish(self):
        """Release the first batch; the worker's loop must then end by itself."""
        self.recorder.release.set()
        self.working.join(WAIT)
        assert not self.working.is_alive()

    def close(self):
        self.recorder.release.set()
        self.process.stop.set()
        self.server.close()
        self.working.join(WAIT)


def test_a_worker_reads_its_next_lease_while_the_head_still_records_the_last(tmp_path,
                                                                            monkeypatch):
    head = HeldHead(tmp_path, monkeypatch, 3, lambda number: number + 1)
    try:
        assert head.recorder.first_batch_arrived.wait(WAIT)
        # The head is still recording the first file's result: the worker has read on.
        wait_until(lambda: len(head.opened) >= 3, "the worker to read the other leases",
                   timeout=WAIT)
        assert head.broker.progress().files_done == 0
        head.finish()
        results = {summary.path: summary.lines for _task, summary in head.recorder.take_results()}
        assert results == {path: number + 1 for number, path in enumerate(head.paths)}
        assert head.broker.is_done() and head.broker.rejected_results == 0
    finally:
        head.close()


class RecordingSender:
    """Stands in for the sender: keeps what it is handed."""

    def __init__(self):
        self.sent = []

    def send(self, lease_id, results, finished):
        self.sent.append((lease_id, [task_id for task_id, _ in results], finished))

    def check(self):
        pass


class QuietHeartbeat:
    """Stands in for the heartbeat: keeps which leases are held."""

    def __init__(self):
        self.lost = threading.Event()
        self.current = None
        self.holds = []

    def begin(self, lease_id, interval):
        pass

    def end(self):
        pass

    def hold(self, lease_id):
        self.holds.append(lease_id)

    def release(self, lease_id):
        pass


def task(task_id):
    return Task(task_id, f"/logs/app{task_id}.log", 10)


class ScriptedHead:
    """A stand-in proxy answering lease calls from a script; records (lease id, wait) asked."""

    def __init__(self, answers, on_call=None):
        self.answers = list(answers)
        self.asked = []
        self.on_call = on_call or (lambda number: None)

    def lease(self, worker, job_id, max_files, wait):
        self.asked.append(wait)
        self.on_call(len(self.asked))
        return self.answers.pop(0)


def scripted_worker(head, monkeypatch):
    worker = WorkerProcess(WorkerOptions(address=("127.0.0.1", 1), authkey=b"k" * 32))
    worker.proxy = head
    worker.sender = RecordingSender()
    worker.heartbeat = QuietHeartbeat()
    monkeypatch.setattr(worker, "scan", lambda task, job: FileSummary(path=task.path))
    return worker


JOB = JobInfo("ab12", None, lease_seconds=30, heartbeat_seconds=5)


def test_the_next_lease_is_asked_for_without_waiting_before_the_last_results_go(monkeypatch):
    head = ScriptedHead([["work", "a1", [task(1), task(2)]], ["work", "a2", [task(3)]],
                         ["wait", None, []], ["done", None, []]])
    worker = scripted_worker(head, monkeypatch)
    order = []
    head.on_call = lambda number: order.append(("lease", len(worker.sender.sent)))
    worker._work_job(JOB)
    # Every lease answered work, and each one's results were handed over after the next lease
    # call; the call made with results still to come never waits; "wait" falls back to a long poll.
    assert head.asked == [worker_module.LEASE_WAIT_SECONDS, 0.0, 0.0,
                          worker_module.LEASE_WAIT_SECONDS]
    assert order == [("lease", 0), ("lease", 0), ("lease", 1), ("lease", 2)]
    assert worker.sender.sent == [("a1", [1, 2], True), ("a2", [3], True)]


def test_a_worker_stopped_with_the_next_lease_in_hand_gives_it_back_unread(monkeypatch):
    head = ScriptedHead([["work", "a1", [task(1)]], ["work", "a2", [task(2)]]])
    worker = scripted_worker(head, monkeypatch)
    head.on_call = lambda number: number == 2 and worker.stop.set()  # SIGTERM mid-call
    worker._work_job(JOB)
    assert worker.sender.sent == [("a1", [1], True), ("a2", [], True)]


def test_a_stopped_worker_does_not_ask_for_another_lease(monkeypatch):
    head = ScriptedHead([["work", "a1", [task(1), task(2)]]])
    worker = scripted_worker(head, monkeypatch)
    scanned = []

    def scan(task, job):
        scanned.append(task.task_id)
        worker.stop.set()  # SIGTERM while the first file is read
        return FileSummary(path=task.path)

    monkeypatch.setattr(worker, "scan", scan)
    worker._work_job(JOB)
    assert scanned == [1] and head.asked == [worker_module.LEASE_WAIT_SECONDS]
    assert worker.sender.sent == [("a1", [1], True)]  # task 2 goes back with the lease


class StandInHead:
    """A connection's proxy for the sender: answers complete calls as told, once released."""

    def __init__(self, answer=1, failures=0, hold=False):
        self.answer, self.failures = answer, failures
        self.calls = []
        self.release = threading.Event()
        if not hold:
            self.release.set()
        self.started = threading.Semaphore(0)

    def complete(self, worker, lease_id, results, finished):
        self.calls.append(lease_id)
        self.started.release()
        assert self.release.wait(WAIT)
        if self.failures:
            self.failures -= 1
            raise ConnectionResetError("reset by peer")
        return self.answer


class StandInWorker:
    def __init__(self, head):
        self.head = head
        self.name = "node1:1:1"
        self.call_timeout = 10.0
        self.options = WorkerOptions(address=("127.0.0.1", 1), authkey=b"k" * 32)
        self.connections = 0
        self.heartbeat = None

    def open_connection(self, deadline):
        self.connections += 1
        return self.head


@pytest.fixture
def no_timeouts(monkeypatch):
    monkeypatch.setattr(worker_module, "set_call_timeout", lambda proxy, seconds: None)


def started(thread):
    thread.start()
    return thread


def test_the_sender_hands_batches_over_in_order_and_waits_for_their_answers(no_timeouts):
    head = StandInHead()
    sender = started(_Sender(StandInWorker(head)))
    for lease_id in ("a1", "a1", "a2"):
        sender.send(lease_id, [], lease_id == "a2")
    sender.wait_sent(WAIT)
    assert head.calls == ["a1", "a1", "a2"]
    sender.finish()
    sender.join(WAIT)
    assert not sender.is_alive()


def test_the_sender_holds_at_most_one_batch_besides_the_one_being_sent(no_timeouts):
    head = StandInHead(hold=True)
    sender = started(_Sender(StandInWorker(head)))
    sender.send("a1", [], False)
    assert head.started.acquire(timeout=WAIT)  # L1 is being sent
    sender.send("a2", [], False)  # queued
    third = started(threading.Thread(target=sender.send, args=("a3", [], True), daemon=True))
    third.join(0.2)
    assert third.is_alive()  # the child blocks rather than piling up results
    head.release.set()
    third.join(WAIT)
    sender.wait_sent(WAIT)
    assert head.calls == ["a1", "a2", "a3"]


def test_the_sender_reconnects_once_and_retries_a_call_whose_connection_broke(no_timeouts):
    head = StandInHead(failures=1)
    worker = StandInWorker(head)
    sender = started(_Sender(worker))
    sender.send("a1", [], True)
    sender.wait_sent(WAIT)
    assert head.calls == ["a1", "a1"] and worker.connections == 2


def test_a_batch_that_fails_twice_raises_in_the_childs_thread_once(no_timeouts):
    sender = started(_Sender(StandInWorker(StandInHead(failures=2))))
    sender.send("a1", [], True)
    with pytest.raises(ConnectionResetError):
        sender.wait_sent(WAIT)
    sender.check()  # raised once: the child's loop has handled it
    sender.send("a2", [], True)  # and the next batch goes on a new connection
    sender.wait_sent(WAIT)


def test_an_answer_no_head_gives_is_the_peer_misbehaving(no_timeouts):
    sender = started(_Sender(StandInWorker(StandInHead(answer="all good"))))
    sender.send("a1", [], True)
    with pytest.raises(PeerMisbehaved):
        sender.wait_sent(WAIT)


def test_the_failure_of_an_earlier_batch_surfaces_at_check_never_at_send(no_timeouts):
    sender = started(_Sender(StandInWorker(StandInHead(failures=2))))
    sender.send("a1", [], False)
    wait_until(lambda: sender._unanswered == 0, "the batch's call to end", timeout=WAIT)
    sender.send("a2", [], True)  # still handed over: a lease in hand always goes back
    with pytest.raises(ConnectionResetError):
        sender.wait_sent(WAIT)
    sender.check()  # once


class FailingOnceSender(RecordingSender):
    """A sender whose first batch failed: check() raises once."""

    def __init__(self):
        super().__init__()
        self.failed = False

    def check(self):
        if self.sent and not self.failed:
            self.failed = True
            raise ConnectionResetError("reset by peer")


def test_a_prefetched_lease_goes_back_when_an_earlier_batch_failed(monkeypatch):
    head = ScriptedHead([["work", "a1", [task(1)]], ["work", "a2", [task(2)]]])
    worker = scripted_worker(head, monkeypatch)
    worker.sender = FailingOnceSender()
    with pytest.raises(ConnectionResetError):
        worker._work_job(JOB)
    assert worker.sender.sent == [("a1", [1], True), ("a2", [], True)]


def test_leases_are_held_on_the_heartbeat_from_prefetch_until_their_results_go(monkeypatch):
    head = ScriptedHead([["work", "a1", [task(1)]], ["work", "a2", [task(2)]],
                         ["done", None, []]])
    worker = scripted_worker(head, monkeypatch)
    worker._work_job(JOB)
    # a2 from the moment it was leased, a1 and a2 while their closing batches are queued
    assert worker.heartbeat.holds == ["a2", "a1", "a2"]


class HeadProxy:
    def __init__(self):
        self.beats = []

    def heartbeat(self, worker, lease_id, current, bytes_read):
        self.beats.append((lease_id, current))
        return True


def test_the_heartbeat_beats_held_leases_until_they_are_released(monkeypatch):
    proxy = HeadProxy()
    monkeypatch.setattr(worker_module, "connect_with_retry", lambda *args, **kwargs: proxy)
    worker = WorkerProcess(WorkerOptions(address=("127.0.0.1", 1), authkey=b"k" * 32))
    beat = worker_module._Heartbeat(worker)
    beat.interval = 0.02
    beat.start()
    try:
        beat.hold("a1")
        beat.hold("a1")  # (held twice: released twice)
        beat.release("a1")
        wait_until(lambda: proxy.beats.count(("a1", None)) >= 3, "beats of the held lease",
                   timeout=WAIT)
        beat.release("a1")
        assert beat.held() == []
        beat.begin("a2", 0.02)
        beat.hold("a2")  # the current lease is beaten as such, not twice
        assert beat.held() == []
    finally:
        beat.finish()
        beat.join(WAIT)


def test_leases_whose_results_wait_on_a_slow_head_do_not_expire(tmp_path, monkeypatch):
    """The head takes several lease lifetimes to commit the first batch: the leases whose
    results queue behind it, and the next one asked for, stay alive on the heartbeat."""
    lease = 1.0  # (beats go at most every _Heartbeat.MIN_GAP, 0.25 s)
    head = HeldHead(tmp_path, monkeypatch, 5, lambda number: 10 - number, lease_seconds=lease,
                    heartbeat_seconds=0.05)
    broker = head.broker
    try:
        assert head.recorder.first_batch_arrived.wait(WAIT)
        wait_until(lambda: len(head.opened) >= 3, "the worker to read on", timeout=WAIT)
        until = time.monotonic() + 4 * lease  # the head's loop expires what is due meanwhile
        wait_until(lambda: broker.expire(time.monotonic()) is not None
                   and time.monotonic() >= until, "four lease lifetimes", timeout=WAIT)
        head.finish()
        assert broker.is_done()
        assert [t.attempts for t in broker._table.tasks()] == [0] * len(head.paths)
        assert broker.rejected_results == 0
        assert sorted(summary.path for _t, summary in head.recorder.take_results()) == \
            sorted(head.paths)
    finally:
        head.close()


class LossHead:
    def __init__(self):
        self.calls = []

    def complete(self, worker, lease_id, results, finished):
        self.calls.append(("complete", lease_id, results, finished))
        return 0

    def worker_lost(self, worker, lease_id, current, reason):
        self.calls.append(("worker_lost", lease_id, current))
        return [0, False]


def test_a_dead_childs_supervisor_gives_back_the_leases_it_held_unread(monkeypatch):
    head = LossHead()
    monkeypatch.setattr(worker_module, "connect_with_retry", lambda *args, **kwargs: head)
    status = worker_module._ChildStatus()
    worker = WorkerProcess(WorkerOptions(address=("127.0.0.1", 1), authkey=b"k" * 32),
                           status=status)
    beat = worker_module._Heartbeat(worker)  # (not started: its bookkeeping only)
    beat.hold("a1")  # closing results with the sender
    beat.hold("a3")  # asked for ahead
    beat.begin("a2", 5.0)
    status.set_lease("a2")
    status.set_task(7)
    assert sorted(status.held_leases()) == ["a1", "a3"]
    worker_module._report_loss(worker.options, "node:1:2", status, "killed by SIGKILL")
    assert head.calls == [("complete", "a1", [], True), ("complete", "a3", [], True),
                          ("worker_lost", "a2", 7)]
    beat.release("a1")
    beat.begin("a3", 5.0)  # read now: no longer held
    assert status.held_leases() == []
