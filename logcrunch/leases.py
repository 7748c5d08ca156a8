"""The lease table: which task is where, who holds it, how often it failed. Pure: no lock, no I/O.

Every task has one explicit state, and only the transitions below change it:

    queued --lease--> leased --claim--> recording --settle(recorded)--> done
       ^                 |                  |
       |   expire / lost / close_lease      +--settle(not recorded)--> queued
       +-----------------+
                         +--(blamed, out of attempts)--> recording (as a failure) --> done

- ``lease`` hands out queued tasks: retried ones first, then the largest first (the classic
  greedy for a short makespan: big files start early, small ones fill the gaps at the end), sized by
  bytes and count, with a fair share when few are left (but tiny tasks at least
  TINY_TASKS_PER_LEASE at a time: a thousand workers on tiny files still get leases of many
  files). A ``solo`` task is leased alone.
- ``claim`` takes a worker's results: only tasks the lease still holds move on (a late result
  from a worker presumed dead, or a duplicate, is rejected), so every task is counted once.
  Claimed tasks are out of every lease while their results are recorded, so no expiry can hand
  them out again meanwhile; ``settle`` ends the recording either way.
- Dropping a lease (``expire``, ``lost``) blames the task the worker said it was reading (or the
  only unfinished one): its attempts go up, and after ``max_attempts`` it is final as a failure.
  Tasks that merely sat in the same lease go back without penalty, marked ``solo`` so a later loss
  can be pinned on them alone.

The broker (logcrunch.broker) wraps one table in a lock and does the recording outside it.
"""

from __future__ import annotations

import enum
import heapq
import itertools
import os
from dataclasses import dataclass, field, replace

from logcrunch import defaults


class TaskState(enum.Enum):
    QUEUED = "queued"
    LEASED = "leased"
    RECORDING = "recording"  # claimed (or failed for good): its result is being stored
    DONE = "done"


@dataclass(slots=True)
class Task:
    """One unit of work: a file, or a byte range of one. Only the path travels, never content."""

    task_id: int
    path: str
    size: int
    mtime: float = 0.0
    start: int = 0
    end: int | None = None
    attempts: int = 0
    solo: bool = False
    # The file's inode and device as the walk saw them (0: unknown): a worker refuses to read a
    # file that has been replaced since (another file renamed or linked into its place).
    inode: int = 0
    device: int = 0
    # An incremental run's reading of a file that may still be written: leave a last line
    # without "\n" for the next run (deltas.py).
    hold: bool = False
    # The fingerprint (deltas.fingerprint) the bytes before ``start`` must have when the worker
    # opens the file: "" for none (the first range of an appended read has one).
    fingerprint: str = ""

    @property
    def weight(self) -> int:
        """Bytes this task will read, for sizing leases."""
        return (self.end if self.end is not None else self.size) - self.start


@dataclass(slots=True)
class Lease:
    """Tasks one worker holds until expiry (renewed while the worker is heard from)."""

    lease_id: str
    worker: str
    task_ids: list[int]  # the tasks it still holds (claimed ones leave it)
    expiry: float
    current: int | None = None  # the task the worker said it is reading
    current_since: float = 0.0  # when it first said so


@dataclass(slots=True)
class _Slot:
    """A task and where it stands in the table."""

    task: Task
    state: TaskState = TaskState.QUEUED
    lease_id: str = ""  # while leased


@dataclass
class Released:
    """What dropping a lease did: tasks back in the queue, and tasks now final as failures
    (state recording: the caller records each with its reason, then settles them)."""

    requeued: list[int] = field(default_factory=list)
    failed: list[tuple[Task, str]] = field(default_factory=list)


@dataclass
class Claimed:
    """What a worker's results did: the tasks they finish (now recording), results rejected
    as late or duplicate, and tasks of a closed lease that went back to the queue."""

    tasks: list[Task] = field(default_factory=list)
    rejected: list[int] = field(default_factory=list)
    requeued: list[int] = field(default_factory=list)
    lease_open: bool = False


# Heap classes: retried tasks before all others.
_RETRIED, _FRESH = 0, 1


class LeaseTable:
    """Tasks and their leases; every method takes the time it is called at (``now``)."""

    def __init__(self, lease_seconds: float = defaults.LEASE_SECONDS,
                 max_attempts: int = defaults.MAX_ATTEMPTS, file_timeout: float = 0.0,
                 lease_target_bytes: int = defaults.LEASE_TARGET_BYTES,
                 lease_max_files: int = defaults.LEASE_MAX_FILES) -> None:
        self.lease_seconds = lease_seconds
        self.max_attempts = max_attempts
        self.file_timeout = file_timeout
        self.lease_target_bytes = lease_target_bytes
        self.lease_max_files = lease_max_files
        self._ids = itertools.count(1)
        self._slots: dict[int, _Slot] = {}
        self._queue: list[tuple[int, int, int]] = []  # (class, -bytes, task_id)
        self._leases: dict[str, Lease] = {}
        self._done = 0
        self.closed = False  # no more tasks will be added

    # ----- adding and asking ----------------------------------------------------------------

    def add(self, path: str, size: int, **fields) -> Task:
        task = Task(next(self._ids), path, size, **fields)
        self._slots[task.task_id] = _Slot(task)
        heapq.heappush(self._queue, (_FRESH, -task.weight, task.task_id))
        return task

    def task(self, task_id: int) -> Task | None:
        slot = self._slots.get(task_id)
        return None if slot is None else slot.task

    def state(self, task_id: int) -> TaskState:
        return self._slots[task_id].state

    def holds(self, lease_id: str, task_id: int) -> bool:
        slot = self._slots.get(task_id)
        return slot is not None and slot.state is TaskState.LEASED and slot.lease_id == lease_id

    def tasks(self) -> list[Task]:
        """Every task, by id."""
        return [slot.task for slot in self._slots.values()]

    def holders(self) -> dict[int, str]:
        """Leased task ids and the leases holding them."""
        return {task_id: slot.lease_id for task_id, slot in self._slots.items()
                if slot.state is TaskState.LEASED}

    def lease_of(self, lease_id: str) -> Lease | None:
        return self._leases.get(lease_id)

    def all_finished(self) -> bool:
        return self.closed and self._done == len(self._slots)

    @property
    def queued(self) -> int:
        return len(self._queue)

    @property
    def leased(self) -> int:
        return sum(len(lease.task_ids) for lease in self._leases.values())

    # ----- transitions ------------------------------------------------------------------------

    def lease(self, worker: str, now: float, max_files: int | None = None,
              active_workers: int = 1) -> Lease | None:
        """Lease a batch of queued tasks (None: nothing queued), of at most ``max_files`` and
        about lease_target_bytes. With little left, one worker gets at most its fair share: half
        the queued tasks over the ``active_workers``; but tiny tasks (the largest queued at most
        TINY_TASK_BYTES) at least TINY_TASKS_PER_LEASE of them."""
        fair = -(-len(self._queue) // (2 * max(1, active_workers)))
        if self._queue and self._slots[self._queue[0][2]].task.weight <= defaults.TINY_TASK_BYTES:
            fair = max(fair, defaults.TINY_TASKS_PER_LEASE)  # (the largest first: all are tiny)
        limit = max(1, min(max_files or self.lease_max_files, self.lease_max_files, fair))
        picked: list[int] = []
        weight = 0
        while self._queue and len(picked) < limit and weight < self.lease_target_bytes:
            task = self._slots[self._queue[0][2]].task
            if task.solo and picked:
                break
            heapq.heappop(self._queue)
            picked.append(task.task_id)
            weight += task.weight
            if task.solo:
                break
        if not picked:
            return None
        lease = Lease(new_id(), worker, picked, now + self.lease_seconds)
        self._leases[lease.lease_id] = lease
        for task_id in picked:
            slot = self._slots[task_id]
            slot.state, slot.lease_id = TaskState.LEASED, lease.lease_id
        return lease

    def heartbeat(self, lease_id: str, current: int | None, now: float) -> Lease | None:
        """Extend a lease; ``current`` is the task its worker is reading. None: no such lease."""
        lease = self._leases.get(lease_id)
        if lease is None:
            return None
        lease.expiry = now + self.lease_seconds
        if current is not None and current not in lease.task_ids:
            # A task the lease no longer holds: one its worker handed in, named again while the
            # worker waits for it to be recorded. Not a read without progress of the next one.
            current = None
        if current != lease.current:
            lease.current, lease.current_since = current, now
        return lease

    def claim(self, lease_id: str, task_ids: list[int], now: float,
              lease_finished: bool = False) -> Claimed:
        """Results for ``task_ids`` from ``lease_id``: those it holds move to recording (each
        with its attempt counted), the rest are rejected. The lease is extended, and closed
        (what it still holds requeued without penalty) with ``lease_finished`` or once empty."""
        out = Claimed()
        lease = self._leases.get(lease_id)
        for task_id in task_ids:
            if lease is None or not self.holds(lease_id, task_id):
                out.rejected.append(task_id)
                continue
            slot = self._slots[task_id]
            slot.state, slot.lease_id = TaskState.RECORDING, ""
            out.tasks.append(replace(slot.task, attempts=slot.task.attempts + 1))
        if lease is None:
            return out
        if out.tasks:
            claimed = {task.task_id for task in out.tasks}
            lease.task_ids = [t for t in lease.task_ids if t not in claimed]
        if lease.current is not None and lease.current not in lease.task_ids:
            lease.current = None
        lease.expiry = now + self.lease_seconds
        if lease_finished or not lease.task_ids:
            out.requeued = list(lease.task_ids)
            for task_id in lease.task_ids:
                self._requeue(task_id)
            del self._leases[lease_id]
        else:
            out.lease_open = True
        return out

    def settle(self, task_ids: list[int], recorded: bool) -> None:
        """End the recording of claimed (or failed) tasks: done, or, when their results could
        not be stored, back in the queue (without penalty)."""
        for task_id in task_ids:
            slot = self._slots[task_id]
            if slot.state is not TaskState.RECORDING:
                raise ValueError(f"task {task_id} is {slot.state.value}, not recording")
            if recorded:
                slot.state = TaskState.DONE
                self._done += 1
            else:
                self._requeue(task_id)

    def expire(self, now: float) -> Released:
        """Drop leases past their expiry, and leases whose reader made no progress for
        ``file_timeout`` plus a lease (the backstop for a node whose supervisor cannot kill it:
        heartbeats come from a side thread, so a read hung in the kernel would keep its lease)."""
        out = Released()
        for lease in list(self._leases.values()):
            if lease.expiry <= now:
                self._release(lease, "lease expired (worker stopped heartbeating)", out)
            elif self._stuck(lease, now):
                self._release(lease, f"timed out: no progress for {now - lease.current_since:.0f} s",
                              out)
        return out

    def lost(self, lease_id: str, current: int | None, reason: str) -> Released:
        """A supervisor saw its process die holding ``lease_id`` while reading ``current``."""
        out = Released()
        lease = self._leases.get(lease_id)
        if lease is not None:
            if current is not None:
                lease.current = current
            self._release(lease, reason, out)
        return out

    # ----- internals --------------------------------------------------------------------------

    def _stuck(self, lease: Lease, now: float) -> bool:
        return bool(self.file_timeout) and lease.current is not None and \
            now - lease.current_since > self.file_timeout + self.lease_seconds

    def _requeue(self, task_id: int) -> None:
        slot = self._slots[task_id]
        slot.state, slot.lease_id = TaskState.QUEUED, ""
        heapq.heappush(self._queue, (_RETRIED, -slot.task.weight, task_id))

    def _release(self, lease: Lease, reason: str, out: Released) -> None:
        del self._leases[lease.lease_id]
        unfinished = list(lease.task_ids)
        # Who is to blame: the task the worker said it was reading; if it never said, the only
        # unfinished one when there is just one, otherwise nobody in particular.
        blamed = lease.current if lease.current in unfinished else None
        if blamed is None and len(unfinished) == 1:
            blamed = unfinished[0]
        for task_id in reversed(unfinished):
            slot = self._slots[task_id]
            if blamed is None:
                slot.task.solo = True  # next time alone, so a repeat loss is pinned precisely
            elif task_id == blamed:
                slot.task.attempts += 1
                slot.task.solo = True
                if slot.task.attempts >= self.max_attempts:
                    slot.state, slot.lease_id = TaskState.RECORDING, ""
                    out.failed.append((
                        replace(slot.task),
                        f"worker died {_times(slot.task.attempts)} while reading it (last: {reason})"))
                    continue
            self._requeue(task_id)
            out.requeued.append(task_id)


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count} times"


def new_id() -> str:
    """A random 128-bit id (job, lease); os.urandom rather than uuid, which is slow to import."""
    return os.urandom(16).hex()
