"""The task broker: a thread-safe queue of file tasks with leases, retries and exactly-once results.

The head serves one `Broker` over the network (see `logcrunch.transport`); BaseManager calls its
methods from one thread per client connection, so every public method takes the lock. The broker
knows nothing about sockets or files: time is passed in (``now``) so leases can be tested without
sleeping.

Delivery rules:
- Tasks are handed out largest first (retried ones before all others), and a worker with nothing
  to do waits in its lease call until there is something (a long poll), not in a polling loop.
- A worker *leases* a batch of tasks. The lease has a deadline; the worker's heartbeats extend it.
- When a lease expires (worker killed, node gone, network cut) or a worker reports a lost process,
  its unfinished tasks go back on the queue. The task the worker was reading gets its attempt count
  raised; after ``max_attempts`` it is final as ``failed``. Tasks that merely sat in the same lease are
  requeued without penalty, but marked ``solo`` so a later loss can be pinned on them alone.
- A result is accepted only from the lease that currently holds the task. Late results (from a
  worker presumed dead) and duplicates are dropped, so every task is counted exactly once.
- Heartbeats carry the bytes read of the task the worker is reading; they count towards progress
  (`progress`, see logcrunch.progress for its rules) only from the lease holding that task.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import os
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from logcrunch import defaults
from logcrunch.progress import ProgressLedger, ProgressTotals
from logcrunch.summary import FileSummary

log = logging.getLogger(__name__)

# After a node reports a dead process, how long the end of a job waits for its replacement to
# connect and hear "done" (so the node exits 0 rather than "lost the head").
RESTART_GRACE_SECONDS = 3.0


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
    lease_id: str
    worker: str
    task_ids: list[int]
    expiry: float
    current: int | None = None  # the task the worker said it is reading
    current_since: float = 0.0  # when it first said so


@dataclass(slots=True)
class WorkerSeen:
    worker: str
    first_seen: float
    last_seen: float
    files_done: int = 0


@dataclass
class JobInfo:
    """What a worker needs to know about the job: sent once per connection."""

    job_id: str
    scan_config: Any
    lease_seconds: float
    heartbeat_seconds: float
    file_timeout: float = 0.0  # 0: no limit; else a worker process is killed past it
    # The protocol version of the head (see logcrunch.channel; 3: data-only, authenticated
    # messages; heads and workers of different versions refuse each other at the handshake).
    protocol: int = 3
    # The roots the head walks, as (path, device) pairs: without --allow-root a worker reads only
    # below these. follow_symlinks: whether the walk followed links (else the worker never does).
    roots: tuple[tuple[str, int], ...] = ()
    follow_symlinks: bool = False


@dataclass
class BrokerStats:
    queued: int = 0
    leased: int = 0
    done: int = 0
    failed: int = 0
    total: int = 0
    bytes_done: int = 0
    bytes_total: int = 0
    workers: int = 0
    submissions_closed: bool = False


@dataclass
class Broker:
    """Thread-safe queue of tasks with leases; see the module docstring for the rules."""

    scan_config: Any = None
    lease_seconds: float = defaults.LEASE_SECONDS
    heartbeat_seconds: float = defaults.HEARTBEAT_SECONDS
    max_attempts: int = defaults.MAX_ATTEMPTS
    file_timeout: float = 0.0
    lease_target_bytes: int = defaults.LEASE_TARGET_BYTES
    lease_max_files: int = defaults.LEASE_MAX_FILES
    job_id: str = field(default_factory=lambda: _new_id())
    roots: tuple[tuple[str, int], ...] = ()  # announced to workers (see JobInfo)
    follow_symlinks: bool = False
    # Called (under the lock) with each batch of results about to be accepted, before the worker
    # hears back: the head commits them to its state database here. If it raises, the batch is
    # not accepted and the error is kept in `persist_error`.
    on_accept: Callable[[list[tuple[Task, FileSummary]]], None] | None = None

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        # Both share the lock. `_work`: a task was queued or the job ended (long-polling workers
        # wait on it); `_news`: results came in, the job ended or a worker heard so (the head's
        # loop waits on it). Two, so that queueing 20,000 tasks does not wake the head 20,000 times.
        self._work = threading.Condition(self._lock)
        self._news = threading.Condition(self._lock)
        self._ids = itertools.count(1)
        self._tasks: dict[int, Task] = {}
        # Queued task ids, as a heap of (class, -bytes, task_id): retried tasks first (the oldest
        # work, the likeliest to be slow), then the largest first - the classic greedy for a short
        # makespan: big files start early and small ones fill the gaps at the end, so no worker is
        # left reading one big (or unsplittable .gz) file while the others sit idle.
        self._queue: list[tuple[int, int, int]] = []
        self._leases: dict[str, Lease] = {}
        self._holder: dict[int, str] = {}  # task_id -> lease_id
        self._results: deque[tuple[Task, FileSummary]] = deque()
        self._finished: set[int] = set()
        self._workers: dict[str, WorkerSeen] = {}
        self._closed = False
        self._stopping = False
        self._told_done: set[str] = set()
        # Dead processes a supervisor reported: name -> (node, when, settled). Settled: the report
        # itself told the supervisor the job is over (it restarts nothing).
        self._losses: dict[str, tuple[str, float, bool]] = {}
        self._stats = BrokerStats()
        self._progress = ProgressLedger()
        self.rejected_results = 0
        self._waiting = 0  # lease calls waiting on _work (long polls)
        self.refused_results = 0  # invalid summaries, recorded as failures
        self.persist_error: BaseException | None = None

    # ----- head side -------------------------------------------------------------------------

    def add_task(self, path: str, size: int, mtime: float = 0.0, start: int = 0,
                 end: int | None = None, inode: int = 0, device: int = 0,
                 hold: bool = False, fingerprint: str = "") -> Task:
        """Queue a file (or byte range) for scanning."""
        with self._lock:
            task = Task(next(self._ids), path, size, mtime, start, end, inode=inode,
                        device=device, hold=hold, fingerprint=fingerprint)
            self._tasks[task.task_id] = task
            heapq.heappush(self._queue, (1, -task.weight, task.task_id))
            self._stats.total += 1
            self._stats.bytes_total += task.weight
            self._progress.add_task(task.task_id, path, task.weight)
            if self._waiting:  # (notify costs a microsecond even with nobody to wake)
                self._work.notify()
            return task

    def add_file(self, path: str, ranges: int, stored_bytes: int = 0,
                 stored_failed: bool = False) -> None:
        """Announce a file whose ``ranges`` tasks `add_task` will queue next, for progress (a
        file never announced counts as one file per task); see ProgressLedger.add_file."""
        with self._lock:
            self._progress.add_file(path, ranges, stored_bytes, stored_failed)

    def add_final_file(self, failed: bool = False) -> None:
        """Count a file that is final as found (skipped, unchanged, deferred), for progress."""
        with self._lock:
            self._progress.add_final_file(failed)

    def progress(self) -> ProgressTotals:
        """Bytes and files so far, in-flight bytes of live leases included."""
        with self._lock:
            return self._progress.totals()

    def close_submissions(self) -> None:
        """No more tasks will be added: once all are finished the job is done."""
        with self._lock:
            self._closed = True
            self._notify_all()

    def stop(self) -> None:
        """Tell workers the job is over (they exit or wait for the next job)."""
        with self._lock:
            self._stopping = True
            self._notify_all()

    def wait_for_news(self, timeout: float) -> None:
        """Block up to ``timeout`` until results are waiting to be taken or the job is done."""
        with self._lock:
            if not self._results and not self._all_finished() and not self._stopping:
                self._news.wait(timeout)

    def wait_until_workers_told_done(self, clock: Callable[[], float], timeout: float) -> bool:
        """Block up to ``timeout`` until every recent worker has heard the job is over."""
        deadline = clock() + timeout
        with self._lock:
            while True:
                now = clock()
                if not self._not_told_done(now):
                    return True
                remaining = deadline - now
                if remaining <= 0:
                    return False
                # A restart grace ends without any notification: wake for that too.
                graces = [loss[1] + RESTART_GRACE_SECONDS - now
                          for dead, loss in self._losses.items()
                          if self._restarting(dead, *loss, now)]
                self._news.wait(min([remaining, *graces]) + 0.001)

    def take_results(self) -> list[tuple[Task, FileSummary]]:
        """Drain the accepted results (each task appears exactly once over the job)."""
        with self._lock:
            out = list(self._results)
            self._results.clear()
            return out

    def expire(self, now: float) -> list[Task]:
        """Return expired leases' tasks to the queue; returns tasks that became final failures."""
        with self._lock:
            failed: list[Task] = []
            for lease in list(self._leases.values()):
                if lease.expiry <= now:
                    failed += self._release(lease, "lease expired (worker stopped heartbeating)")
                elif self._stuck(lease, now):
                    # Heartbeats come from a side thread, so a reader hung in the kernel (a dead
                    # NFS server) would keep its lease forever; progress is what counts.
                    failed += self._release(
                        lease, f"timed out: no progress for {now - lease.current_since:.0f} s")
            return failed

    def _stuck(self, lease: Lease, now: float) -> bool:
        # The worker's own supervisor kills a slow reader at file_timeout; this is the backstop
        # for a node that cannot (the grace of one lease lets the supervisor's precise reason win).
        return bool(self.file_timeout) and lease.current is not None and \
            now - lease.current_since > self.file_timeout + self.lease_seconds

    def is_done(self) -> bool:
        with self._lock:
            return self._all_finished()

    def workers_not_told_done(self, now: float) -> int:
        """Workers seen lately that have not yet been told the job is over."""
        with self._lock:
            return self._not_told_done(now)

    def stats(self) -> BrokerStats:
        with self._lock:
            stats = BrokerStats(**vars(self._stats))
            stats.queued = len(self._queue)
            stats.leased = sum(len(lease.task_ids) for lease in self._leases.values())
            stats.workers = len(self._workers)
            stats.submissions_closed = self._closed
            return stats

    def last_worker_contact(self) -> float | None:
        with self._lock:
            return max((w.last_seen for w in self._workers.values()), default=None)

    def active_workers(self, now: float, within: float) -> int:
        with self._lock:
            return sum(1 for w in self._workers.values() if now - w.last_seen <= within)

    def connected_workers(self, now: float) -> int:
        """Worker processes seen within a lease that have not left, died or heard the job end."""
        with self._lock:
            return sum(1 for w in self._workers.values()
                       if now - w.last_seen <= self.lease_seconds and w.worker not in self._told_done)

    # ----- worker side (called over the network) ---------------------------------------------

    def job(self, worker: str, now: float) -> JobInfo | None:
        """Job description for a worker, or None when the job is over."""
        with self._lock:
            self._touch(worker, now)
            if self._stopping or self._all_finished():
                self._told_done.add(worker)
                self._news.notify_all()
                return None
            return JobInfo(self.job_id, self.scan_config, self.lease_seconds,
                           self.heartbeat_seconds, self.file_timeout, roots=self.roots,
                           follow_symlinks=self.follow_symlinks)

    def lease(self, worker: str, job_id: str, now: float,
              max_files: int | None = None) -> tuple[str, str | None, list[Task]]:
        """Lease a batch of tasks sized by bytes and count.

        Returns ``(state, lease_id, tasks)``: state is ``"work"`` (tasks non-empty), ``"wait"`` (none
        queued now, but the job is not done: ask again soon) or ``"done"`` (job over, or a job_id
        of a past job: fetch the job again or exit).
        """
        with self._lock:
            return self._lease(worker, job_id, now, max_files)

    def lease_waiting(self, worker: str, job_id: str, clock: Callable[[], float],
                      max_files: int | None = None, wait: float = 0.0,
                      caller_alive: Callable[[], bool] | None = None,
                      ) -> tuple[str, str | None, list[Task]]:
        """`lease`, but while the answer would be ``"wait"`` block up to ``wait`` seconds for work.

        A long poll: an idle worker gets a task (or "done") the moment there is one, with no
        polling delay and no traffic while it waits. ``caller_alive()`` is asked after every wait:
        a worker killed while it waited must not be handed tasks it will never read (they would
        sit until the lease expired, and then count against the file).
        """
        deadline = clock() + wait
        waited = False
        with self._lock:
            while True:
                if waited and caller_alive is not None and not caller_alive():
                    return "wait", None, []  # nobody is listening for the answer
                answer = self._lease(worker, job_id, clock(), max_files)
                remaining = deadline - clock()
                if answer[0] != "wait" or remaining <= 0:
                    return answer
                self._waiting += 1
                try:
                    self._work.wait(remaining)
                finally:
                    self._waiting -= 1
                waited = True

    def _lease(self, worker: str, job_id: str, now: float,
               max_files: int | None) -> tuple[str, str | None, list[Task]]:
        self._touch(worker, now)
        if job_id != self.job_id or self._stopping or self._all_finished():
            return "done", None, []
        # Fair share: with few tasks left, do not let one worker take them all.
        active = sum(1 for w in self._workers.values()
                     if now - w.last_seen <= self.lease_seconds)
        fair = -(-len(self._queue) // (2 * max(1, active)))
        limit = max(1, min(max_files or self.lease_max_files, self.lease_max_files, fair))
        picked: list[int] = []
        weight = 0
        while self._queue and len(picked) < limit and weight < self.lease_target_bytes:
            task = self._tasks[self._queue[0][2]]
            if task.solo and picked:
                break
            heapq.heappop(self._queue)
            picked.append(task.task_id)
            weight += task.weight
            if task.solo:
                break
        if not picked:
            return "wait", None, []
        lease = Lease(_new_id(), worker, picked, now + self.lease_seconds)
        self._leases[lease.lease_id] = lease
        for task_id in picked:
            self._holder[task_id] = lease.lease_id
        # Copies, so the caller never shares mutable state with the broker.
        return "work", lease.lease_id, [_copy(self._tasks[t]) for t in picked]

    def heartbeat(self, worker: str, lease_id: str, current: int | None, now: float,
                  bytes_read: int | None = None) -> bool:
        """Extend a lease; ``current`` is the task being read, of which ``bytes_read`` bytes are
        read (counted only if this lease holds that task). False when the lease is gone."""
        with self._lock:
            self._touch(worker, now)
            lease = self._leases.get(lease_id)
            if lease is None:
                return False
            lease.expiry = now + self.lease_seconds
            if current != lease.current:
                lease.current, lease.current_since = current, now
            if bytes_read is not None and current is not None and \
                    self._holder.get(current) == lease_id:
                self._progress.report(current, bytes_read)
            return True

    def complete(self, worker: str, lease_id: str, results: list[tuple[int, FileSummary]],
                 now: float, lease_finished: bool = False) -> int:
        """Hand in results for tasks of a lease; returns how many were accepted.

        Results for tasks the lease no longer holds (expired and re-leased, or already done) are
        dropped. With ``lease_finished`` the lease is closed and any task it still holds is requeued
        without penalty (the worker stopped early, e.g. on SIGTERM).
        """
        with self._lock:
            self._touch(worker, now)
            lease = self._leases.get(lease_id)
            batch: list[tuple[Task, FileSummary]] = []
            in_batch: set[int] = set()  # (a set: scanning the batch made a batch of n cost n^2)
            for task_id, summary in results:
                if lease is None or self._holder.get(task_id) != lease_id or \
                        task_id in in_batch:
                    self.rejected_results += 1
                    log.info("dropped a late or duplicate result for %s from %s",
                             summary.path, worker)
                    continue
                task = self._tasks[task_id]
                summary.attempts = task.attempts + 1
                batch.append((task, summary))
                in_batch.add(task_id)
            if batch and not self._persist(batch):
                return 0
            for task, summary in batch:
                self._finish(task, summary, notify=False)
            if batch:  # once a batch, not once a file
                lease.task_ids = [t for t in lease.task_ids if t not in in_batch]
                self._workers[worker].files_done += len(batch)
                self._notify_finished()
            accepted = len(batch)
            if lease is not None:
                if lease.current is not None and lease.current not in lease.task_ids:
                    lease.current = None
                lease.expiry = now + self.lease_seconds
                if lease_finished or not lease.task_ids:
                    for task_id in lease.task_ids:
                        self._requeue(task_id, penalise=False)
                    del self._leases[lease_id]
            return accepted

    def checked(self, worker: str, results: list[tuple[int, FileSummary]],
                ) -> list[tuple[int, FileSummary]]:
        """``results`` with every summary a peer sent that cannot be its task's result replaced
        by a failure saying why (see validation.summary_problem). Called before `complete`, and
        outside the lock but for looking the tasks up: checking costs microseconds a file, which
        heartbeats and leases must not wait for."""
        from logcrunch.validation import summary_problem  # here: validation imports this module

        with self._lock:
            tasks = {task_id: self._tasks.get(task_id) for task_id, _summary in results}
        out = []
        for task_id, summary in results:
            task = tasks[task_id]
            problem = "" if task is None else summary_problem(summary, task, self.scan_config)
            if problem:
                with self._lock:
                    self.refused_results += 1
                log.warning("refused the summary of %s from %s: %s", task.path, worker, problem)
                summary = FileSummary.failed(task.path, f"the worker's summary was refused: "
                                             f"{problem}", size_bytes=task.size,
                                             worker=str(worker)[:256])
            out.append((task_id, summary))
        return out

    def worker_lost(self, worker: str, lease_id: str, current: int | None, reason: str,
                    now: float) -> tuple[int, bool]:
        """A supervisor saw its process die: requeue that lease now instead of at its expiry.

        Returns (files that became final failures, whether the job is over now). A supervisor
        told the job is over restarts nothing; otherwise, if the job ends within
        RESTART_GRACE_SECONDS, the head waits that long for the replacement process (a process of
        the same node first seen after the loss) to connect and hear that it is over.
        """
        with self._lock:
            self._touch(worker, now)
            self._told_done.add(worker)  # a dead process never asks again
            failed = 0
            lease = self._leases.get(lease_id)
            if lease is not None:
                if current is not None:
                    lease.current = current
                failed = len(self._release(lease, reason))
            over = self._stopping or self._all_finished()
            self._losses[worker] = (_node_of(worker), now, over)
            self._news.notify_all()
            return failed, over

    def leave(self, worker: str, now: float) -> None:
        """A worker process says goodbye (stopped, or its node's job is over): stop waiting for it."""
        with self._lock:
            self._touch(worker, now)
            self._told_done.add(worker)
            self._news.notify_all()

    # ----- internals (lock held) -------------------------------------------------------------

    def _notify_all(self) -> None:
        self._work.notify_all()
        self._news.notify_all()

    def _not_told_done(self, now: float) -> int:
        """Workers seen lately that have not heard the job is over, plus nodes that lost a process
        moments ago and have not heard it since (their replacement may be connecting)."""
        return sum(1 for w in self._workers.values()
                   if w.worker not in self._told_done and now - w.last_seen <= self.lease_seconds) \
            + sum(1 for dead, loss in self._losses.items() if self._restarting(dead, *loss, now))

    def _restarting(self, dead: str, node: str, lost_at: float, settled: bool, now: float) -> bool:
        """Whether a node may still be starting the replacement of process ``dead``, lost at
        ``lost_at``: not settled, within the grace, and no process of that node first seen since
        has heard the job is over. (Nodes can share a hostname, e.g. network namespaces on one
        machine: a process seen before the loss may belong to another node.)"""
        if settled or now - lost_at > RESTART_GRACE_SECONDS:
            return False
        return not any(w.first_seen >= lost_at and w.worker != dead and w.worker in self._told_done
                       and _node_of(w.worker) == node for w in self._workers.values())

    def _all_finished(self) -> bool:
        return self._closed and len(self._finished) == len(self._tasks)

    def _touch(self, worker: str, now: float) -> None:
        seen = self._workers.get(worker)
        if seen is None:
            self._workers[worker] = WorkerSeen(worker, now, now)
        else:
            seen.last_seen = now

    def _persist(self, batch: list[tuple[Task, FileSummary]]) -> bool:
        if self.on_accept is None:
            return True
        try:
            self.on_accept(batch)
            return True
        except Exception as exc:  # the head sees it and stops; the worker's lease will expire
            self.persist_error = exc
            return False

    def _finish(self, task: Task, summary: FileSummary, notify: bool = True) -> None:
        self._holder.pop(task.task_id, None)
        self._finished.add(task.task_id)
        self._results.append((_copy(task), summary))
        if summary.status == "failed":
            self._stats.failed += 1
        self._stats.done += 1
        self._stats.bytes_done += task.weight
        self._progress.finish(task.task_id, summary.status == "failed")
        if notify:
            self._notify_finished()

    def _notify_finished(self) -> None:
        self._news.notify_all()
        if self._all_finished():
            self._work.notify_all()  # waiting workers hear "done" now

    def _requeue(self, task_id: int, penalise: bool) -> None:
        self._holder.pop(task_id, None)
        self._progress.requeued(task_id)
        task = self._tasks[task_id]
        if penalise:
            task.attempts += 1
        heapq.heappush(self._queue, (0, -task.weight, task_id))  # retried: ahead of the rest
        self._work.notify_all()

    def _release(self, lease: Lease, reason: str) -> list[Task]:
        """Drop a lease; returns tasks that ran out of attempts and were finalised as failed."""
        del self._leases[lease.lease_id]
        failed: list[Task] = []
        unfinished = list(lease.task_ids)
        if not unfinished:
            return failed
        # Who is to blame: the task the worker said it was reading; if it never said, the first
        # unfinished one when the lease held just one task, otherwise nobody in particular.
        blamed = lease.current if lease.current in unfinished else None
        if blamed is None and len(unfinished) == 1:
            blamed = unfinished[0]
        for task_id in reversed(unfinished):
            task = self._tasks[task_id]
            if blamed is None:
                task.solo = True  # next time alone, so a repeat loss is attributed precisely
                self._requeue(task_id, penalise=False)
            elif task_id == blamed:
                task.attempts += 1
                task.solo = True
                final = FileSummary.failed(
                    task.path,
                    f"worker died {task.attempts} times while reading it (last: {reason})",
                    size_bytes=task.size, attempts=task.attempts,
                )
                if task.attempts >= self.max_attempts and self._persist([(task, final)]):
                    self._holder.pop(task_id, None)
                    self._finish(task, final)
                    failed.append(_copy(task))
                else:
                    self._requeue(task_id, penalise=False)
            else:
                self._requeue(task_id, penalise=False)
        return failed


def _node_of(worker: str) -> str:
    """The node part of a worker process's name: "host:node" of "host:node:pid" (see
    worker.process_name; a worker from before names itself "host:pid", and its node is "host")."""
    return worker.rpartition(":")[0] or worker


def _new_id() -> str:
    """A random 128-bit id (job, lease); os.urandom rather than uuid, which is slow to import."""
    return os.urandom(16).hex()


def _copy(task: Task) -> Task:
    return Task(task.task_id, task.path, task.size, task.mtime, task.start, task.end,
                task.attempts, task.solo, task.inode, task.device, task.hold, task.fingerprint)
