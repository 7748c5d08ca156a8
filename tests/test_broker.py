"""The broker's lease rules, in memory, with the clock passed in (no network, no sleeping)."""

import threading
import time

from logcrunch.broker import RESTART_GRACE_SECONDS, Broker
from logcrunch.summary import FileSummary
from tests.helpers import wait_until


def make_broker(files=3, size=100, **kw):
    broker = Broker(lease_seconds=10, lease_max_files=kw.pop("lease_max_files", 100), **kw)
    for index in range(files):
        broker.add_task(f"/logs/f{index}.log", size=size)
    broker.close_submissions()
    return broker


def ok(task):
    return (task.task_id, FileSummary(path=task.path, lines=1))


def test_lease_complete_and_done():
    broker = make_broker(files=3, size=4 * 1024 * 1024)
    state, lease_id, tasks = broker.lease("w1", broker.job_id, now=0)
    assert state == "work"
    # fair share with one worker: half the queued bytes at most per lease
    assert 1 <= len(tasks) <= 2
    while state == "work":
        assert broker.complete("w1", lease_id, [ok(t) for t in tasks], now=1) == len(tasks)
        state, lease_id, tasks = broker.lease("w1", broker.job_id, now=1)
    assert state == "done"
    assert broker.is_done()
    results = broker.recorder.take_results()
    assert sorted(s.path for _t, s in results) == [f"/logs/f{i}.log" for i in range(3)]
    assert all(s.attempts == 1 for _t, s in results)
    assert broker.job("w1", now=2) is None


def test_lease_waits_while_walk_is_open():
    broker = Broker()
    assert broker.lease("w1", broker.job_id, now=0)[0] == "wait"
    broker.add_task("/a", 1)
    assert broker.lease("w1", broker.job_id, now=0)[0] == "work"


def test_an_idle_poll_does_not_count_the_workers(monkeypatch):
    # With nothing queued a lease call answers "wait" without counting the workers present (a
    # pass over every worker the head has seen, under the broker's lock): at 1,000 connected
    # workers of which most poll idle that pass was most of the head's extra CPU per result.
    from logcrunch.attendance import Attendance

    counted = []
    real_active = Attendance.active
    monkeypatch.setattr(Attendance, "active",
                        lambda self, now, within: counted.append(now) or real_active(self, now, within))
    broker = make_broker(files=1)
    for index in range(50):
        broker.lease(f"idle{index}", broker.job_id, now=0)  # 49 of them find the queue empty
    assert len(counted) == 1
    state, lease_id, tasks = broker.lease("late", broker.job_id, now=1)
    assert state == "wait" and len(counted) == 1
    assert broker.lease("w1", broker.job_id, now=2)[0] == "wait"


def test_expired_lease_is_requeued_and_late_result_dropped():
    broker = make_broker(files=1)
    _s, old_lease, tasks = broker.lease("w1", broker.job_id, now=0)
    assert broker.expire(now=5) == []
    broker.expire(now=11)  # w1 went silent
    state, new_lease, again = broker.lease("w2", broker.job_id, now=12)
    assert state == "work" and again[0].path == tasks[0].path
    # w1 wakes up (SIGCONT) and hands in its stale result: dropped
    assert broker.complete("w1", old_lease, [ok(tasks[0])], now=13) == 0
    assert broker.rejected_results == 1
    assert broker.complete("w2", new_lease, [ok(again[0])], now=14) == 1
    (_, summary), = broker.recorder.take_results()
    assert summary.attempts == 2
    assert broker.is_done()


def test_heartbeat_extends_lease():
    broker = make_broker(files=1)
    _s, lease_id, tasks = broker.lease("w1", broker.job_id, now=0)
    assert broker.heartbeat("w1", lease_id, tasks[0].task_id, now=8)
    broker.expire(now=15)
    assert broker.lease("w2", broker.job_id, now=15)[0] == "wait"
    assert broker.complete("w1", lease_id, [ok(tasks[0])], now=16) == 1


def test_duplicate_result_counted_once():
    broker = make_broker(files=1)
    _s, lease_id, tasks = broker.lease("w1", broker.job_id, now=0)
    assert broker.complete("w1", lease_id, [ok(tasks[0]), ok(tasks[0])], now=1) == 1
    assert broker.complete("w1", lease_id, [ok(tasks[0])], now=1) == 0
    assert len(broker.recorder.take_results()) == 1


def test_poison_file_fails_after_max_attempts():
    broker = make_broker(files=1, max_attempts=3)
    for attempt in range(3):
        state, lease_id, tasks = broker.lease("w", broker.job_id, now=attempt * 100)
        assert state == "work"
        broker.worker_lost("w", lease_id, tasks[0].task_id, "killed by SIGKILL", now=attempt * 100)
    assert broker.is_done()
    (_task, summary), = broker.recorder.take_results()
    assert summary.status == "failed"
    assert summary.attempts == 3
    assert "worker died 3 times while reading it" in summary.error


def test_loss_blames_only_the_file_being_read():
    broker = make_broker(files=4, size=4 * 1024 * 1024, max_attempts=2)
    _s, lease_id, tasks = broker.lease("w", broker.job_id, now=0, max_files=4)
    assert len(tasks) == 2
    broker.worker_lost("w", lease_id, tasks[1].task_id, "killed", now=1)
    by_id = {t.task_id: t for t in broker._table.tasks()}
    assert by_id[tasks[0].task_id].attempts == 0
    assert by_id[tasks[1].task_id].attempts == 1
    # the blamed task is now leased alone
    _s, _l, first = broker.lease("w", broker.job_id, now=2, max_files=10)
    _s, _l, alone = broker.lease("w", broker.job_id, now=2, max_files=10)
    assert [t.task_id for t in first] == [tasks[0].task_id]
    assert [t.task_id for t in alone] == [tasks[1].task_id]


def test_unknown_culprit_isolates_tasks_without_penalty():
    broker = make_broker(files=4)
    _s, lease_id, tasks = broker.lease("w", broker.job_id, now=0)
    broker.expire(now=100)
    assert all(broker._table.task(t.task_id).attempts == 0 for t in tasks)
    _s, _l, again = broker.lease("w", broker.job_id, now=101)
    assert len(again) == 1


def test_finished_lease_returns_untouched_tasks_without_penalty():
    broker = make_broker(files=4)
    _s, lease_id, tasks = broker.lease("w", broker.job_id, now=0)
    broker.complete("w", lease_id, [ok(tasks[0])], now=1, lease_finished=True)
    assert broker.stats().queued == 3
    assert all(t.attempts == 0 for t in broker._table.tasks())


def test_old_job_id_is_told_done():
    broker = make_broker(files=1)
    assert broker.lease("w", "not-this-job", now=0)[0] == "done"


def test_lease_sized_by_bytes():
    broker = Broker(lease_target_bytes=250, lease_max_files=100)
    for index in range(20):
        broker.add_task(f"/f{index}", size=100)
    _s, _l, tasks = broker.lease("w", broker.job_id, now=0)
    assert len(tasks) == 3  # stops once 250 bytes are reached


def test_concurrent_leases_never_hand_out_a_task_twice():
    broker = make_broker(files=2000, lease_max_files=7)
    seen, lock = [], threading.Lock()

    def take(name):
        while True:
            state, lease_id, tasks = broker.lease(name, broker.job_id, now=0)
            if state != "work":
                return
            with lock:
                seen.extend(t.task_id for t in tasks)
            broker.complete(name, lease_id, [ok(t) for t in tasks], now=0)

    threads = [threading.Thread(target=take, args=(f"w{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(seen) == len(set(seen)) == 2000
    assert len(broker.recorder.take_results()) == 2000


def test_lease_without_progress_is_taken_back_even_while_heartbeating():
    broker = Broker(lease_seconds=10, file_timeout=60)
    broker.add_task("/hung.log", 100)
    broker.close_submissions()
    _s, lease_id, (task,) = broker.lease("w", broker.job_id, now=0)
    now = 0
    while now < 75:  # the side thread keeps beating while the reader is stuck on one file
        now += 5
        assert broker.heartbeat("w", lease_id, task.task_id, now)
        assert broker.expire(now) == []
    now += 5
    assert broker.heartbeat("w", lease_id, task.task_id, now)
    broker.expire(now)
    assert not broker.heartbeat("w", lease_id, task.task_id, now)  # taken back
    assert broker._table.task(task.task_id).attempts == 1


# --- long polls: waiting callers are woken by the change they wait for, not by a timer ------------


def _in_thread(call, condition):
    """Run ``call`` in a thread until it waits on ``condition``; returns (thread, box) where
    box[0] receives its result."""
    box = []
    thread = threading.Thread(target=lambda: box.append(call()), daemon=True)
    thread.start()
    # so that the notification under test is what wakes it
    wait_until(lambda: condition._waiters or not thread.is_alive(), "the call waiting", 10)
    assert thread.is_alive(), "the call returned without waiting"
    return thread, box




def test_waiting_lease_gets_a_task_the_moment_one_is_queued():
    broker = Broker()
    thread, box = _in_thread(lambda: broker.lease_waiting("w", broker.job_id, lambda: 0.0,
                                                          wait=3600), broker._work)
    broker.add_task("/a", 1)
    thread.join(timeout=10)
    assert not thread.is_alive()
    state, _lease, tasks = box[0]
    assert state == "work" and [t.path for t in tasks] == ["/a"]


def test_waiting_lease_hears_done_when_the_job_ends():
    broker = Broker()
    thread, box = _in_thread(lambda: broker.lease_waiting("w", broker.job_id, lambda: 0.0,
                                                          wait=3600), broker._work)
    broker.close_submissions()  # nothing was found: the job is over
    thread.join(timeout=10)
    assert not thread.is_alive() and box[0][0] == "done"


def test_waiting_lease_gives_up_with_wait_at_its_deadline():
    broker = Broker()
    times = iter([0.0, 0.0, 0.0])  # then the clock jumps past the deadline
    waits = []
    real_wait = broker._work.wait
    broker._work.wait = lambda timeout: waits.append(timeout) or real_wait(timeout)
    answer = broker.lease_waiting("w", broker.job_id, lambda: next(times, 100.0), wait=0.05)
    assert answer[0] == "wait" and waits == [0.05]  # it did wait, once, for what was left


def test_head_wakes_for_results_and_for_workers_hearing_done():
    broker = make_broker(files=1)
    _s, lease_id, tasks = broker.lease("w", broker.job_id, now=0)
    thread, box = _in_thread(lambda: broker.wait_for_news(3600) or "woken", broker._news)
    broker.complete("w", lease_id, [ok(t) for t in tasks], now=1)
    thread.join(timeout=10)
    assert not thread.is_alive() and box == ["woken"]
    broker.stop()
    thread, box = _in_thread(lambda: broker.wait_until_workers_told_done(lambda: 1.0, 3600),
                             broker._news)
    assert broker.job("w", now=1) is None  # the worker hears the job is over
    thread.join(timeout=10)
    assert not thread.is_alive() and box == [True]


def test_largest_tasks_go_first_and_retried_ones_before_them():
    broker = Broker(lease_seconds=10, lease_max_files=1)
    for name, size in [("small", 1), ("big", 1000), ("medium", 50)]:
        broker.add_task(f"/logs/{name}.log", size)

    def next_path():
        state, lease_id, tasks = broker.lease("w", broker.job_id, now=0)
        return (tasks[0].path, lease_id, tasks) if state == "work" else (state, None, [])

    path, lease_id, tasks = next_path()
    assert path == "/logs/big.log"
    broker.complete("w", lease_id, [ok(t) for t in tasks], now=0)
    path, lease_id, tasks = next_path()
    assert path == "/logs/medium.log"
    broker.add_task("/logs/huge.log", 10**6)  # the walk finds a bigger one meanwhile
    broker.complete("w", lease_id, [], now=0, lease_finished=True)  # medium is handed back
    broker.close_submissions()
    order = []
    while True:
        path, lease_id, tasks = next_path()
        if path == "done":
            break
        order.append(path)
        broker.complete("w", lease_id, [ok(t) for t in tasks], now=0)
    assert order == ["/logs/medium.log", "/logs/huge.log", "/logs/small.log"]


def test_end_of_job_waits_for_the_replacement_of_a_lost_process_even_on_a_shared_hostname():
    # Two nodes on hosts named "h" (network namespaces share a hostname), told apart by their
    # supervisor's pid: node A (100) loses h:100:10 and restarts it as h:100:11; node B (200)
    # starts after the loss and does the rest. B hearing "done" says nothing about A.
    broker = Broker(lease_seconds=10, max_attempts=1)
    broker.add_task("/logs/poison.log", 10)
    broker.add_task("/logs/fine.log", 5)
    broker.close_submissions()
    _s, lease_id, (poison,) = broker.lease("h:100:10", broker.job_id, now=0, max_files=1)
    assert broker.worker_lost("h:100:10", lease_id, poison.task_id, "killed", now=1) == (1, False)
    _s, other, (fine,) = broker.lease("h:200:20", broker.job_id, now=1.5, max_files=1)
    broker.complete("h:200:20", other, [ok(fine)], now=2)
    assert broker.job("h:200:20", now=2) is None  # B hears the end
    assert broker.workers_not_told_done(2.5) == 1  # A's replacement may be connecting
    assert broker.job("h:100:11", now=2.6) is None  # it does, and hears the end
    assert broker.workers_not_told_done(2.7) == 0


def test_restart_grace_ends_on_its_own():
    broker = make_broker(files=1)
    _s, lease_id, (task,) = broker.lease("h:1:10", broker.job_id, now=0)
    assert broker.worker_lost("h:1:11", "", None, "exit code 70", now=1) == (0, False)  # no lease
    broker.complete("h:1:10", lease_id, [ok(task)], now=2)
    assert broker.job("h:1:10", now=2) is None  # seen before the loss: it is not the replacement
    assert broker.workers_not_told_done(1 + RESTART_GRACE_SECONDS - 0.1) == 1
    assert broker.workers_not_told_done(1 + RESTART_GRACE_SECONDS + 0.1) == 0


def test_waiting_for_the_end_wakes_when_a_restart_grace_runs_out(monkeypatch):
    import logcrunch.broker as broker_module

    monkeypatch.setattr(broker_module, "RESTART_GRACE_SECONDS", 0.2)
    broker = make_broker(files=1)
    _s, lease_id, (task,) = broker.lease("h:1:10", broker.job_id, now=time.monotonic())
    assert broker.worker_lost("h:1:11", "", None, "killed", now=time.monotonic()) == (0, False)
    broker.complete("h:1:10", lease_id, [ok(task)], now=time.monotonic())
    assert broker.job("h:1:10", now=time.monotonic()) is None
    assert broker.workers_not_told_done(time.monotonic()) == 1  # the grace is running
    started = time.monotonic()
    # nobody of that node connects again: the wait ends with the grace, not with the timeout
    assert broker.wait_until_workers_told_done(time.monotonic, timeout=60)
    assert time.monotonic() - started < 30


def test_loss_that_fails_the_last_file_tells_the_supervisor_the_job_is_over():
    broker = Broker(lease_seconds=10, max_attempts=1)
    broker.add_task("/logs/poison.log", 10)
    broker.close_submissions()
    _s, lease_id, (poison,) = broker.lease("n1:10", broker.job_id, now=0)
    assert broker.worker_lost("n1:10", lease_id, poison.task_id, "killed", now=1) == (1, True)
    assert broker.workers_not_told_done(1.5) == 0  # settled: the supervisor restarts nothing
