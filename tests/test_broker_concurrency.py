"""The broker records results outside its lock. Real threads, a recorder that
can be held mid-commit or made to fail; every wait has a timeout."""

import random
import threading
import time

from logcrunch.broker import Broker
from logcrunch.leases import TaskState
from logcrunch.recorder import MemoryRecorder
from logcrunch.summary import FileSummary

WAIT = 10


class GatedRecorder(MemoryRecorder):
    """A MemoryRecorder whose next commit can be held (``hold``) or commits made to fail
    (``fail``)."""

    def __init__(self):
        super().__init__()
        self.hold = False
        self.fail = False
        self.entered = threading.Event()
        self.release = threading.Event()
        self.stored_ids: list[int] = []

    def _store(self, rows, batch, summaries):
        if batch is not None and self.hold:
            self.hold = False  # only the first commit is held
            self.entered.set()
            assert self.release.wait(WAIT), "the test never released the commit"
        if batch is not None and self.fail:
            raise OSError("disk full (test)")
        super()._store(rows, batch, summaries)
        if batch is not None:
            with self._lock:
                self.stored_ids.extend(task.task_id for task, _ in batch)


def make(files=2, **kw):
    recorder = GatedRecorder()
    broker = Broker(lease_seconds=10, lease_max_files=kw.pop("lease_max_files", 100),
                    recorder=recorder, **kw)
    for index in range(files):
        broker.add_task(f"/logs/f{index}.log", size=100)
    broker.close_submissions()
    return broker, recorder


def ok(task):
    """A summary the recorder's validation accepts (one unstamped line)."""
    return (task.task_id, FileSummary(path=task.path, lines=1, read_from=task.start,
                                      timeline={"": [1, 0, 0]}))


def in_thread(call):
    box = []
    thread = threading.Thread(target=lambda: box.append(call()), daemon=True)
    thread.start()
    return thread, box


def test_expiry_during_a_slow_commit_hands_the_claimed_task_to_nobody():
    broker, recorder = make(files=1)
    _s, lease_id, (task,) = broker.lease("w1", broker.job_id, now=0)
    recorder.hold = True
    thread, box = in_thread(lambda: broker.complete("w1", lease_id, [ok(task)], now=1))
    assert recorder.entered.wait(WAIT)
    broker.expire(now=100)  # the commit takes "forever": the lease has long expired
    assert broker.lease("w2", broker.job_id, now=100)[0] == "wait"
    assert not broker.is_done()
    recorder.release.set()
    thread.join(WAIT)
    assert box == [1] and broker.is_done() and recorder.stored_ids == [task.task_id]


def test_a_late_worker_and_the_holder_racing_count_once():
    for _round in range(50):
        broker, recorder = make(files=1)
        _s, old, (task,) = broker.lease("w1", broker.job_id, now=0)
        broker.expire(now=11)
        _s, new, (again,) = broker.lease("w2", broker.job_id, now=12)
        start = threading.Barrier(2)

        def hand_in(worker, lease_id, start=start, broker=broker, task=task):
            start.wait(WAIT)
            return broker.complete(worker, lease_id, [ok(task)], now=13)

        threads = [in_thread(lambda w=w, lid=lid: hand_in(w, lid))
                   for w, lid in (("w1", old), ("w2", new))]
        for thread, _box in threads:
            thread.join(WAIT)
        assert [box[0] for _t, box in threads] == [0, 1]
        assert recorder.stored_ids == [task.task_id] and broker.rejected_results == 1


def test_the_job_is_not_done_and_waiting_workers_not_told_so_while_the_last_result_records():
    broker, recorder = make(files=1)
    _s, lease_id, (task,) = broker.lease("w1", broker.job_id, now=0)
    recorder.hold = True
    thread, box = in_thread(lambda: broker.complete("w1", lease_id, [ok(task)], now=1))
    assert recorder.entered.wait(WAIT)
    assert not broker.is_done()
    assert broker.lease("w2", broker.job_id, now=1)[0] == "wait"
    assert broker.job("w3", now=1) is not None
    waiter, answer = in_thread(lambda: broker.lease_waiting("w2", broker.job_id, lambda: 1.0,
                                                             wait=WAIT))
    recorder.release.set()
    thread.join(WAIT)
    waiter.join(WAIT)
    assert box == [1] and broker.is_done() and answer[0][0] == "done"


def test_stop_during_a_commit_still_settles_it():
    broker, recorder = make(files=2, lease_max_files=1)
    _s, lease_id, (task,) = broker.lease("w1", broker.job_id, now=0)
    recorder.hold = True
    thread, box = in_thread(lambda: broker.complete("w1", lease_id, [ok(task)], now=1,
                                                    lease_finished=True))
    assert recorder.entered.wait(WAIT)
    broker.stop()
    assert broker.lease("w2", broker.job_id, now=1)[0] == "done"
    recorder.release.set()
    thread.join(WAIT)
    assert box == [1]
    assert broker._table.state(task.task_id) is TaskState.DONE
    assert broker.stats().done == 1 and broker.progress().files_done == 1


def test_a_commit_that_fails_puts_the_tasks_back_uncounted():
    broker, recorder = make(files=2)
    _s, lease_id, tasks = broker.lease("w1", broker.job_id, now=0, max_files=1)
    assert len(tasks) == 1
    broker.heartbeat("w1", lease_id, tasks[0].task_id, now=0, bytes_read=60)
    assert broker.progress().bytes_done == 60
    recorder.fail = True
    assert broker.complete("w1", lease_id, [ok(tasks[0])], now=1) == 0
    assert isinstance(broker.persist_error, OSError)
    assert broker._table.state(tasks[0].task_id) is TaskState.QUEUED
    totals = broker.progress()
    assert totals.bytes_done == 0 and totals.files_done == 0
    assert broker.stats().done == 0 and broker.stats().queued == 2
    recorder.fail = False
    while not broker.is_done():
        _s, lease_id, again = broker.lease("w1", broker.job_id, now=2)
        broker.complete("w1", lease_id, [ok(t) for t in again], now=2)
    assert sorted(recorder.stored_ids) == [1, 2]
    assert broker.progress().bytes_done == 200 and broker.stats().done == 2


def test_worker_lost_while_a_complete_of_its_lease_records():
    broker, recorder, lease_id, (first, second) = _two_task_lease()
    recorder.hold = True
    thread, box = in_thread(lambda: broker.complete("w1", lease_id, [ok(first)], now=1))
    assert recorder.entered.wait(WAIT)
    failed, _over = broker.worker_lost("w1", lease_id, second.task_id, "killed", now=2)
    assert failed == 1  # max_attempts=1: the file it was reading is failed for good
    recorder.release.set()
    thread.join(WAIT)
    assert box == [1]
    assert sorted(recorder.stored_ids) == sorted([first.task_id, second.task_id])
    assert broker._table.state(first.task_id) is TaskState.DONE
    assert broker._table.state(second.task_id) is TaskState.DONE


def test_a_slow_commit_does_not_count_as_no_progress_against_the_next_file():
    """The worker's heartbeat thread keeps naming the task it last read (its main thread is
    blocked in `complete`); a commit slower than --file-timeout plus a lease must not make the
    head blame the file the worker has not started yet (the old broker held its lock during
    the commit, so expiry could not run then)."""
    broker, recorder, lease_id, tasks = _two_task_lease(file_timeout=60)
    first, second = tasks
    assert broker.heartbeat("w1", lease_id, first.task_id, now=0)
    recorder.hold = True
    thread, box = in_thread(lambda: broker.complete("w1", lease_id, [ok(first)], now=1))
    assert recorder.entered.wait(WAIT)
    now = 1
    while now < 100:  # the side thread beats on, naming the task it last read
        now += 5
        broker.heartbeat("w1", lease_id, first.task_id, now)
        broker.expire(now)
    recorder.release.set()
    thread.join(WAIT)
    assert box == [1]
    assert broker._table.task(second.task_id).attempts == 0
    assert broker._table.state(second.task_id) is TaskState.LEASED


def _two_task_lease(**kw):
    """A broker with 4 tasks and one lease of two of them (two workers seen: fair share)."""
    broker, recorder = make(files=4, max_attempts=1, **kw)
    _s, lease_id, tasks = broker.lease("w1", broker.job_id, now=0, max_files=2)
    assert len(tasks) == 2
    return broker, recorder, lease_id, tasks


# ----- a random stress of every path at once ------------------------------------------------


class FlakyRecorder(MemoryRecorder):
    """Commits take a random little while, and every ``fail_every``-th commit fails."""

    def __init__(self, seed, fail_every=7):
        super().__init__()
        self.random = random.Random(seed)
        self.fail_every = fail_every
        self.calls = 0
        self.stored_ids: list[int] = []

    def _store(self, rows, batch, summaries):
        with self._lock:
            self.calls += 1
            failing = self.calls % self.fail_every == 0
            pause = self.random.random() * 0.002
        time.sleep(pause)  # a slow disk (not synchronisation: the broker must not care)
        if failing:
            raise OSError("disk hiccup (test)")
        super()._store(rows, batch, summaries)
        if batch is not None:
            with self._lock:
                self.stored_ids.extend(task.task_id for task, _ in batch)


def test_random_workers_dying_expiring_and_flaky_commits_record_every_task_once():
    for seed in range(3):
        _stress(seed)


def _stress(seed, files=400, workers=6):
    recorder = FlakyRecorder(seed)
    broker = Broker(lease_seconds=5, lease_max_files=8, max_attempts=3, recorder=recorder)
    sizes = {}
    for index in range(files):
        task = broker.add_task(f"/logs/f{index}.log", size=10 + index % 37)
        sizes[task.task_id] = task.size
    broker.close_submissions()
    clock = [0.0]
    clock_lock = threading.Lock()
    deadline = time.monotonic() + 60
    errors = []

    def now():
        with clock_lock:
            return clock[0]

    def ticker():
        while not broker.is_done() and time.monotonic() < deadline:
            with clock_lock:
                clock[0] += 0.5
            broker.expire(now())
            time.sleep(0.001)  # the head's tick (not synchronisation)

    def worker(index):
        rnd = random.Random(seed * 100 + index)
        name = f"host:n{index}:{index}"
        try:
            while not broker.is_done() and time.monotonic() < deadline:
                state, lease_id, tasks = broker.lease(name, broker.job_id, now())
                if state != "work":
                    time.sleep(0.001)
                    continue
                roll = rnd.random()
                if roll < 0.1:
                    continue  # vanished: the lease expires
                if roll < 0.2:
                    broker.worker_lost(name, lease_id, rnd.choice(tasks).task_id, "killed",
                                       now())
                    continue
                for task in tasks:
                    broker.heartbeat(name, lease_id, task.task_id, now(),
                                     bytes_read=rnd.randint(0, 200))
                results = [ok(t) for t in tasks if rnd.random() < 0.8]
                if results and rnd.random() < 0.2:
                    results.append(results[0])  # a duplicate
                broker.complete(name, lease_id, results, now(),
                                lease_finished=rnd.random() < 0.5)
                if rnd.random() < 0.2:  # a late repeat of the same results
                    broker.complete(name, lease_id, results, now())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=ticker, daemon=True)]
    threads += [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert not errors, errors
    assert broker.is_done(), f"seed {seed}: not done: {broker.stats()}"
    assert sorted(recorder.stored_ids) == sorted(sizes), f"seed {seed}"
    assert all(broker._table.state(t) is TaskState.DONE for t in sizes)
    stats = broker.stats()
    assert stats.done == files and stats.queued == 0 and stats.leased == 0
    totals = broker.progress()
    assert totals.files_done == totals.files_found == files
    assert totals.bytes_done == totals.bytes_total == sum(sizes.values())
    assert totals.files_failed == stats.failed
