"""The broker's progress counts (bytes read, files done) under leases, expiry, retries and split
files: in memory, the clock passed in."""

from hypothesis import given, settings
from hypothesis import strategies as st

from logcrunch.broker import Broker
from logcrunch.summary import FileSummary


def ok(task):
    return (task.task_id, FileSummary(path=task.path, lines=1))


def make_broker(sizes, **kw):
    broker = Broker(lease_seconds=10, lease_max_files=kw.pop("lease_max_files", 1), **kw)
    for index, size in enumerate(sizes):
        broker.add_task(f"/logs/f{index}.log", size=size)
    broker.close_submissions()
    return broker


def test_heartbeat_bytes_count_while_the_task_is_read_then_its_whole_size():
    broker = make_broker([1000, 500])
    _s, lease_id, (task,) = broker.lease("w1", broker.job_id, now=0)
    assert broker.heartbeat("w1", lease_id, task.task_id, now=1, bytes_read=250)
    assert broker.progress().bytes_done == 250
    assert broker.progress().bytes_total == 1500
    broker.complete("w1", lease_id, [ok(task)], now=2, lease_finished=True)
    totals = broker.progress()
    assert (totals.bytes_done, totals.files_done, totals.files_found) == (1000, 1, 2)


def test_an_expired_lease_loses_its_bytes_and_its_late_heartbeats_count_nothing():
    broker = make_broker([1000])
    _s, old_lease, (task,) = broker.lease("w1", broker.job_id, now=0)
    broker.heartbeat("w1", old_lease, task.task_id, now=1, bytes_read=900)
    broker.expire(now=12)
    assert broker.progress().bytes_done == 0
    _s, new_lease, (again,) = broker.lease("w2", broker.job_id, now=13)
    assert not broker.heartbeat("w1", old_lease, task.task_id, now=14, bytes_read=1000)
    broker.heartbeat("w2", new_lease, again.task_id, now=14, bytes_read=100)
    assert broker.progress().bytes_done == 100
    broker.complete("w2", new_lease, [ok(again)], now=15)
    assert broker.progress().bytes_done == 1000


def test_a_lost_worker_loses_its_bytes_and_a_file_that_fails_for_good_is_done_and_failed():
    broker = make_broker([1000], max_attempts=2)
    for attempt in range(2):
        _s, lease_id, (task,) = broker.lease("w", broker.job_id, now=attempt)
        broker.heartbeat("w", lease_id, task.task_id, now=attempt, bytes_read=600)
        assert broker.progress().bytes_done == 600
        broker.worker_lost("w", lease_id, task.task_id, "killed", now=attempt)
    totals = broker.progress()
    assert (totals.bytes_done, totals.files_done, totals.files_failed) == (1000, 1, 1)


def test_a_heartbeat_cannot_count_for_a_task_its_lease_does_not_hold():
    broker = make_broker([1000, 1000])
    _s, lease_a, (task_a,) = broker.lease("w1", broker.job_id, now=0)
    _s, lease_b, (task_b,) = broker.lease("w2", broker.job_id, now=0)
    broker.heartbeat("w1", lease_a, task_b.task_id, now=1, bytes_read=1000)  # forged current
    broker.heartbeat("w1", lease_a, 12345, now=1, bytes_read=1000)  # no such task
    assert broker.progress().bytes_done == 0
    broker.heartbeat("w1", lease_a, task_a.task_id, now=1, bytes_read=10**18)
    broker.heartbeat("w1", lease_a, task_a.task_id, now=2, bytes_read=3)  # backwards: ignored
    assert broker.progress().bytes_done == 1000


def test_a_split_file_is_one_file_done_when_its_last_range_is_in():
    broker = Broker(lease_seconds=10, lease_max_files=1)
    broker.add_file("/logs/big.log", ranges=2)
    broker.add_task("/logs/big.log", 200, start=0, end=100)
    broker.add_task("/logs/big.log", 200, start=100, end=200)
    broker.close_submissions()
    totals = broker.progress()
    assert (totals.files_found, totals.bytes_total) == (1, 200)
    _s, first, (one,) = broker.lease("w1", broker.job_id, now=0)
    broker.complete("w1", first, [ok(one)], now=1)
    assert (broker.progress().files_done, broker.progress().bytes_done) == (0, 100)
    _s, second, (two,) = broker.lease("w1", broker.job_id, now=1)
    broker.complete("w1", second, [ok(two)], now=2)
    assert (broker.progress().files_done, broker.progress().bytes_done) == (1, 200)


def test_connected_workers_leave_the_count_when_they_go():
    broker = make_broker([10])
    broker.job("w1", now=0)
    broker.job("w2", now=0)
    assert broker.connected_workers(now=1) == 2
    broker.leave("w1", now=2)
    assert broker.connected_workers(now=2) == 1
    assert broker.connected_workers(now=20) == 0  # not seen within a lease


# ----- against a reference: random leases, heartbeats (hostile ones too), expiry, losses -----

WORKERS = ("w1", "w2", "w3")
operations = st.one_of(
    st.tuples(st.just("lease"), st.sampled_from(WORKERS)),
    st.tuples(st.just("beat"), st.integers(0, 20), st.integers(0, 12),
              st.integers(-10, 3000)),
    st.tuples(st.just("complete"), st.integers(0, 20), st.booleans()),
    st.tuples(st.just("lost"), st.integers(0, 20)),
    st.tuples(st.just("tick"), st.floats(0, 12)),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(0, 2000), min_size=1, max_size=8), st.lists(operations, max_size=60))
def test_progress_matches_a_reference_of_held_tasks_and_their_best_reports(sizes, ops):
    broker = make_broker(sizes, lease_max_files=3, max_attempts=2)
    weights = {}
    leases: list[tuple[str, str, list]] = []  # (worker, lease id, tasks) in the order leased
    best: dict[tuple[int, str], int] = {}  # (task, lease) -> the best clamped report
    finished: set[int] = set()
    now = 0.0
    for op in ops:
        kind = op[0]
        if kind == "lease":
            state, lease_id, tasks = broker.lease(op[1], broker.job_id, now)
            if state == "work":
                leases.append((op[1], lease_id, tasks))
                weights.update((t.task_id, t.weight) for t in tasks)
        elif kind == "beat" and leases:
            worker, lease_id, tasks = leases[op[1] % len(leases)]
            if op[2] < 6:  # one of its own
                task_id = tasks[op[2] % len(tasks)].task_id
            elif op[2] < 10:  # any task (maybe another lease's: a forged current)
                task_id = sorted(weights)[op[2] % len(weights)]
            else:  # no task of this job
                task_id = op[2] * 1000
            if broker._table.holds(lease_id, task_id):
                key = (task_id, lease_id)
                best[key] = max(best.get(key, 0), min(max(op[3], 0), weights[task_id]))
            broker.heartbeat(worker, lease_id, task_id, now, bytes_read=op[3])
        elif kind == "complete" and leases:
            worker, lease_id, tasks = leases[op[1] % len(leases)]
            broker.complete(worker, lease_id, [ok(t) for t in tasks[:1]], now, op[2])
        elif kind == "lost" and leases:
            worker, lease_id, tasks = leases[op[1] % len(leases)]
            broker.worker_lost(worker, lease_id, tasks[0].task_id, "killed", now)
        elif kind == "tick":
            now += op[1]
            broker.expire(now)
        finished.update(task.task_id for task, _summary in broker.recorder.take_results())
        in_flight = sum(best.get((task_id, lease_id), 0)
                        for task_id, lease_id in broker._table.holders().items())
        totals = broker.progress()
        assert totals.bytes_total == sum(sizes)
        assert totals.bytes_done == sum(weights[t] for t in finished) + in_flight
        assert 0 <= totals.bytes_done <= totals.bytes_total
        assert totals.files_done == len(finished) and totals.files_found == len(sizes)
    for _round in range(2 * len(sizes) + 2):  # the rest finishes: the count ends at the total
        now += 11
        broker.expire(now)  # leases left hanging above
        state, lease_id, tasks = broker.lease("w9", broker.job_id, now)
        if state != "work":
            break
        broker.complete("w9", lease_id, [ok(t) for t in tasks], now, True)
    assert broker.is_done()
    totals = broker.progress()
    assert (totals.bytes_done, totals.files_done) == (sum(sizes), len(sizes))
