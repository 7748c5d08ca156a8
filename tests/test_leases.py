"""The lease table's transitions, pure: no lock, no clock but the one passed in."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logcrunch.leases import LeaseTable, TaskState

MiB = 1024 * 1024


def table_of(files=3, size=MiB, **kw):
    """A table of ``files`` tasks of size, 2 x size, 3 x size... bytes, closed."""
    table = LeaseTable(lease_seconds=10, **kw)
    tasks = [table.add(f"/logs/f{i}.log", size * (i + 1)) for i in range(files)]
    table.closed = True
    return table, tasks


def test_a_task_goes_queued_leased_recording_done():
    table, [task] = table_of(files=1)
    assert table.state(task.task_id) is TaskState.QUEUED
    lease = table.lease("w", now=0)
    assert table.state(task.task_id) is TaskState.LEASED and table.holds(lease.lease_id, 1)
    claimed = table.claim(lease.lease_id, [task.task_id], now=1)
    assert [t.task_id for t in claimed.tasks] == [task.task_id]
    assert claimed.tasks[0].attempts == 1  # the attempt that produced the result
    assert table.state(task.task_id) is TaskState.RECORDING and not table.all_finished()
    assert table.lease_of(lease.lease_id) is None  # it held nothing else
    table.settle([task.task_id], recorded=True)
    assert table.state(task.task_id) is TaskState.DONE and table.all_finished()


def test_a_recording_task_cannot_expire_or_be_claimed_again():
    table, [task] = table_of(files=1)
    lease = table.lease("w", now=0)
    table.claim(lease.lease_id, [task.task_id], now=1)
    assert table.expire(now=1000).requeued == []
    again = table.claim(lease.lease_id, [task.task_id], now=2)
    assert again.tasks == [] and again.rejected == [task.task_id]


def test_a_result_that_could_not_be_recorded_goes_back_to_the_queue_without_penalty():
    table, [task] = table_of(files=1)
    lease = table.lease("w", now=0)
    table.claim(lease.lease_id, [task.task_id], now=1)
    table.settle([task.task_id], recorded=False)
    assert table.state(task.task_id) is TaskState.QUEUED and table.task(1).attempts == 0
    assert table.lease("w", now=2).task_ids == [task.task_id]


def test_settling_a_task_that_is_not_recording_is_a_bug_said_loudly():
    table, [task] = table_of(files=1)
    with pytest.raises(ValueError, match="is queued, not recording"):
        table.settle([task.task_id], recorded=True)


def test_a_late_result_from_an_expired_lease_is_rejected():
    table, [task] = table_of(files=1)
    first = table.lease("w1", now=0)
    assert table.expire(now=10).requeued == [task.task_id]
    second = table.lease("w2", now=11)
    late = table.claim(first.lease_id, [task.task_id], now=12)
    assert late.tasks == [] and late.rejected == [task.task_id]
    assert table.claim(second.lease_id, [task.task_id], now=12).tasks


def test_a_duplicate_in_one_batch_counts_once():
    table, [task] = table_of(files=1)
    lease = table.lease("w", now=0)
    claimed = table.claim(lease.lease_id, [task.task_id, task.task_id], now=1)
    assert len(claimed.tasks) == 1 and claimed.rejected == [task.task_id]


def test_closing_a_lease_requeues_what_it_still_holds_without_penalty():
    table, tasks = table_of(files=4)
    lease = table.lease("w", now=0, max_files=4)
    held = list(lease.task_ids)
    claimed = table.claim(lease.lease_id, held[:1], now=1, lease_finished=True)
    assert claimed.requeued == held[1:] and not claimed.lease_open
    assert all(table.task(t).attempts == 0 and table.state(t) is TaskState.QUEUED
               for t in held[1:])


def test_a_lease_is_extended_by_heartbeats_and_results():
    table, _tasks = table_of(files=3, size=100)
    lease = table.lease("w", now=0, max_files=2)
    table.heartbeat(lease.lease_id, None, now=8)
    assert table.expire(now=15).requeued == []
    table.claim(lease.lease_id, lease.task_ids[:1], now=16)
    assert table.expire(now=25).requeued == []
    assert table.expire(now=26).requeued != []
    assert table.heartbeat("gone", None, now=27) is None


def test_the_task_being_read_is_blamed_and_fails_after_max_attempts():
    table, _tasks = table_of(files=4, max_attempts=2)
    lease = table.lease("w", now=0, max_files=2)
    reading, other = lease.task_ids[1], lease.task_ids[0]
    first = table.lost(lease.lease_id, reading, "killed")
    assert sorted(first.requeued) == sorted([reading, other]) and first.failed == []
    assert table.task(reading).attempts == 1 and table.task(other).attempts == 0
    assert table.task(reading).solo
    alone = table.lease("w", now=1)
    while alone.task_ids != [reading]:  # the innocent one first (retried, larger), then it alone
        table.claim(alone.lease_id, alone.task_ids, now=1)
        alone = table.lease("w", now=1)
    second = table.lost(alone.lease_id, None, "killed again")  # the only task: blamed
    [(failed, reason)] = second.failed
    assert failed.task_id == reading and failed.attempts == 2
    assert reason == "worker died 2 times while reading it (last: killed again)"
    assert table.state(reading) is TaskState.RECORDING


def test_an_unknown_culprit_isolates_the_tasks_without_penalty():
    table, _tasks = table_of(files=4)
    lease = table.lease("w", now=0, max_files=4)
    released = table.expire(now=100)
    assert sorted(released.requeued) == sorted(lease.task_ids)
    assert all(table.task(t).attempts == 0 and table.task(t).solo for t in lease.task_ids)
    assert len(table.lease("w", now=101).task_ids) == 1


def test_a_reader_without_progress_is_cut_off_past_the_file_timeout():
    table, _tasks = table_of(files=1, file_timeout=60)
    lease = table.lease("w", now=0)
    for now in range(5, 75, 5):  # heartbeats go on, the same file all along
        table.heartbeat(lease.lease_id, lease.task_ids[0], now=now)
    assert table.expire(now=75).requeued == []  # reading it since 5: within 60 s + a lease
    table.heartbeat(lease.lease_id, lease.task_ids[0], now=76)
    assert table.expire(now=76).requeued == lease.task_ids
    assert table.task(lease.task_ids[0]).attempts == 1


def test_largest_first_retried_first_and_fair_shares():
    table, _tasks = table_of(files=4)  # 1, 2, 3, 4 MiB
    first = table.lease("w", now=0, max_files=1, active_workers=1)
    assert table.task(first.task_ids[0]).size == 4 * MiB
    table.lost(first.lease_id, None, "killed")  # back, retried: ahead of all others
    assert table.lease("w", now=1, max_files=1).task_ids == first.task_ids
    # three left, four workers: a fair share is one
    assert len(table.lease("w", now=2, max_files=10, active_workers=4).task_ids) == 1


def test_tiny_tasks_are_leased_many_at_a_time_however_many_workers_share_them():
    def table_of_500(size):
        table = LeaseTable(lease_seconds=10)
        for index in range(500):
            table.add(f"/logs/f{index}.log", size)
        return table

    tiny = table_of_500(16 * 1024)
    assert len(tiny.lease("w", now=0, active_workers=1000).task_ids) == 256
    assert len(tiny.lease("w", now=0, max_files=10, active_workers=1000).task_ids) == 10
    small = table_of_500(16 * 1024 + 1)  # not tiny: the fair share holds
    assert len(small.lease("w", now=0, active_workers=1000).task_ids) == 1
    assert len(small.lease("w", now=0, active_workers=10).task_ids) == 25


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["lease", "claim", "finish", "lost", "tick",
                                           "unrecorded"]),
                          st.integers(0, 7), st.integers(0, 7)), max_size=60))
def test_every_task_is_in_exactly_one_state_and_done_once(ops):
    table, tasks = table_of(files=5, max_attempts=3)
    now = 0.0
    leases = []
    done: list[int] = []
    recording: list[int] = []
    for kind, a, b in ops:
        if kind == "lease":
            lease = table.lease(f"w{a}", now, max_files=b + 1)
            if lease is not None:
                leases.append(lease.lease_id)
        elif kind in ("claim", "finish") and leases:
            lease_id = leases[a % len(leases)]
            lease = table.lease_of(lease_id)
            ids = list(lease.task_ids[:b + 1]) if lease else [tasks[b % 5].task_id]
            claimed = table.claim(lease_id, ids, now, lease_finished=kind == "finish")
            recording += [t.task_id for t in claimed.tasks]
        elif kind == "lost" and leases:
            released = table.lost(leases[a % len(leases)], tasks[b % 5].task_id, "killed")
            recording += [task.task_id for task, _reason in released.failed]
        elif kind == "tick":
            now += a * 3
            recording += [task.task_id for task, _reason in table.expire(now).failed]
        elif kind == "unrecorded" and recording:
            table.settle([recording.pop()], recorded=False)
        if recording and b % 2:
            settled = recording.pop(0)
            table.settle([settled], recorded=True)
            done.append(settled)
        states = {t.task_id: table.state(t.task_id) for t in tasks}
        held = table.holders()
        assert set(held) == {t for t, s in states.items() if s is TaskState.LEASED}
        assert sorted(t for t, s in states.items() if s is TaskState.DONE) == sorted(done)
        assert sorted(t for t, s in states.items() if s is TaskState.RECORDING) == \
            sorted(recording)
        assert len(done) == len(set(done))  # never twice
        assert table.queued == sum(s is TaskState.QUEUED for s in states.values())
        assert all(table.task(t).attempts <= 3 for t in states)
