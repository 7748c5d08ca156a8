"""The task broker: the lease table and the attendance, served thread-safely to workers.

The head serves one `Broker` over the network (see `logcrunch.transport`), or hands its tasks to
another engine through a dispatcher (logcrunch.dispatch); BaseManager calls its methods from one
thread per client connection. The broker is a thin locked service: what decides lives in two pure
parts, `logcrunch.leases.LeaseTable` (each task's state, leases, attempts: the delivery rules are
in its docstring) and `logcrunch.attendance.Attendance` (workers seen, told the job is over,
lost). Results go to the run's recorder (logcrunch.recorder), outside the lock: a durable commit
never holds up a heartbeat or a lease. Time is passed in (``now``) so leases can be tested without
sleeping.

- Tasks are handed out largest first (retried ones before all others), and a worker with nothing
  to do waits in its lease call until there is something (a long poll), not in a polling loop.
- A worker *leases* a batch of tasks. The lease has a deadline; the worker's heartbeats extend it.
- A result is accepted only from the lease that currently holds the task: every task is counted
  exactly once. Accepted results are recorded before the worker hears back.
- Heartbeats carry the bytes read of the task the worker is reading; they count towards progress
  (`progress`, see logcrunch.progress for its rules) only from the lease holding that task.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from logcrunch import defaults
from logcrunch.attendance import RESTART_GRACE_SECONDS, Attendance, WorkerSeen, node_of
from logcrunch.leases import Lease, LeaseTable, Released, Task, TaskState, new_id
from logcrunch.progress import ProgressLedger, ProgressTotals
from logcrunch.summary import STATUS_FAILED, FileSummary

log = logging.getLogger(__name__)

__all__ = ["RESTART_GRACE_SECONDS", "Broker", "BrokerStats", "JobInfo", "Lease", "Task",
           "TaskState", "WorkerSeen", "node_of"]


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
    """The queue's counts at one moment (for progress lines and tests)."""

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
    job_id: str = field(default_factory=lambda: new_id())
    roots: tuple[tuple[str, int], ...] = ()  # announced to workers (see JobInfo)
    follow_symlinks: bool = False
    # Where accepted results go (logcrunch.recorder); default: kept in memory. If recording
    # raises, the results are not accepted and the error is kept in `persist_error`.
    recorder: Any = None

    def __post_init__(self) -> None:
        if self.recorder is None:
            from logcrunch.recorder import MemoryRecorder  # here: it imports validation, which
            self.recorder = MemoryRecorder(self.scan_config)  # imports this module
        self._lock = threading.Lock()
        # Both share the lock. `_work`: a task was queued or the job ended (long-polling workers
        # wait on it); `_news`: results came in, the job ended or a worker heard so (the head's
        # loop waits on it). Two, so that queueing 20,000 tasks does not wake the head 20,000 times.
        self._work = threading.Condition(self._lock)
        self._news = threading.Condition(self._lock)
        self._table = LeaseTable(self.lease_seconds, self.max_attempts, self.file_timeout,
                                 self.lease_target_bytes, self.lease_max_files)
        self._attendance = Attendance(self.lease_seconds)
        self._stopping = False
        self._stats = BrokerStats()
        self._progress = ProgressLedger()
        self._waiting = 0  # lease calls waiting on _work (long polls)
        self._news_pending = False  # results recorded since the head last looked
        self.rejected_results = 0
        self.persist_error: BaseException | None = None

    @property
    def refused_results(self) -> int:
        """Peers' summaries refused as impossible (recorded as failures of their files)."""
        return self.recorder.refused

    # ----- head side -------------------------------------------------------------------------

    def add_task(self, path: str, size: int, mtime: float = 0.0, start: int = 0,
                 end: int | None = None, inode: int = 0, device: int = 0,
                 hold: bool = False, fingerprint: str = "") -> Task:
        """Queue a file (or byte range) for scanning."""
        with self._lock:
            task = self._table.add(path, size, mtime=mtime, start=start, end=end, inode=inode,
                                   device=device, hold=hold, fingerprint=fingerprint)
            self._stats.total += 1
            self._stats.bytes_total += task.weight
            self._progress.add_task(task.task_id, path, task.weight)
            if self._waiting:  # (notify costs a microsecond even with nobody to wake)
                self._work.notify()
            return _copy(task)

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
            self._table.closed = True
            self._notify_all()

    def stop(self) -> None:
        """Tell workers the job is over (they exit or wait for the next job)."""
        with self._lock:
            self._stopping = True
            self._notify_all()

    def wait_for_news(self, timeout: float) -> None:
        """Block up to ``timeout`` until results came in since the last call or the job is done."""
        with self._lock:
            if not self._news_pending and not self._table.all_finished() and not self._stopping:
                self._news.wait(timeout)
            self._news_pending = False

    def wait_until_workers_told_done(self, clock: Callable[[], float], timeout: float) -> bool:
        """Block up to ``timeout`` until every recent worker has heard the job is over."""
        deadline = clock() + timeout
        with self._lock:
            while True:
                now = clock()
                if not self._attendance.not_told_done(now):
                    return True
                remaining = deadline - now
                if remaining <= 0:
                    return False
                # A restart grace ends without any notification: wake for that too.
                graces = [end - now for end in self._attendance.grace_ends(now)]
                self._news.wait(min([remaining, *graces]) + 0.001)

    def expire(self, now: float) -> list[Task]:
        """Return expired leases' tasks to the queue; returns tasks that became final failures."""
        with self._lock:
            released = self._table.expire(now)
            self._released(released)
        return self._fail(released)

    def is_done(self) -> bool:
        with self._lock:
            return self._table.all_finished()

    def workers_not_told_done(self, now: float) -> int:
        """Workers seen lately that have not yet been told the job is over."""
        with self._lock:
            return self._attendance.not_told_done(now)

    def stats(self) -> BrokerStats:
        with self._lock:
            stats = BrokerStats(**vars(self._stats))
            stats.queued = self._table.queued
            stats.leased = self._table.leased
            stats.workers = len(self._attendance)
            stats.submissions_closed = self._table.closed
            return stats

    def last_worker_contact(self) -> float | None:
        with self._lock:
            return self._attendance.last_contact()

    def active_workers(self, now: float, within: float) -> int:
        with self._lock:
            return self._attendance.active(now, within)

    def connected_workers(self, now: float) -> int:
        """Worker processes seen within a lease that have not left, died or heard the job end."""
        with self._lock:
            return self._attendance.connected(now)

    # ----- worker side (called over the network) ---------------------------------------------

    def job(self, worker: str, now: float) -> JobInfo | None:
        """Job description for a worker, or None when the job is over."""
        with self._lock:
            self._attendance.touch(worker, now)
            if self._over():
                self._attendance.told_done(worker)
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

    def heartbeat(self, worker: str, lease_id: str, current: int | None, now: float,
                  bytes_read: int | None = None) -> bool:
        """Extend a lease; ``current`` is the task being read, of which ``bytes_read`` bytes are
        read (counted only if this lease holds that task). False when the lease is gone."""
        with self._lock:
            self._attendance.touch(worker, now)
            if self._table.heartbeat(lease_id, current, now) is None:
                return False
            if bytes_read is not None and current is not None and \
                    self._table.holds(lease_id, current):
                self._progress.report(current, bytes_read)
            return True

    def complete(self, worker: str, lease_id: str, results: list[tuple[int, FileSummary]],
                 now: float, lease_finished: bool = False,
                 texts: list[str] | None = None) -> int:
        """Hand in results for tasks of a lease; returns how many were accepted (recorded).

        Results for tasks the lease no longer holds (expired and re-leased, or already done) are
        dropped. With ``lease_finished`` the lease is closed and any task it still holds is requeued
        without penalty (the worker stopped early, e.g. on SIGTERM). Summaries from a peer are
        checked by the recorder, which records an impossible one as its file's failure.
        ``texts``: the JSON text each of ``results``' summaries came in as (wire.decode_call),
        which the recorder may store instead of encoding the summary again.
        """
        summaries = _unique(results)
        with self._lock:
            self._attendance.touch(worker, now)
            claimed = self._table.claim(lease_id, [task_id for task_id, _ in results], now,
                                        lease_finished)
            self._note_rejected(worker, claimed.rejected, summaries)
            for task_id in claimed.requeued:
                self._progress.requeued(task_id)
            if claimed.requeued:
                self._work.notify_all()
        if not claimed.tasks:
            return 0
        batch = []
        for task in claimed.tasks:
            summary = summaries[task.task_id]
            summary.attempts = task.attempts
            batch.append((task, summary))
        received = None
        if texts is not None and len(texts) == len(results):
            pairs = zip(results, texts, strict=True)
            by_summary = {id(summary): text for (_, summary), text in pairs}
            received = [by_summary.get(id(summary)) for _, summary in batch]
        recorded = self._record(batch, check=True, worker=worker, texts=received)
        return 0 if recorded is None else len(batch)

    def worker_lost(self, worker: str, lease_id: str, current: int | None, reason: str,
                    now: float) -> tuple[int, bool]:
        """A supervisor saw its process die: requeue that lease now instead of at its expiry.

        Returns (files that became final failures, whether the job is over now). A supervisor
        told the job is over restarts nothing; otherwise, if the job ends within
        RESTART_GRACE_SECONDS, the head waits that long for the replacement process (a process of
        the same node first seen after the loss) to connect and hear that it is over.
        """
        with self._lock:
            self._attendance.touch(worker, now)
            self._attendance.told_done(worker)  # a dead process never asks again
            released = self._table.lost(lease_id, current, reason)
            self._released(released)
        failed = len(self._fail(released))
        with self._lock:
            over = self._over()
            self._attendance.lost(worker, now, settled=over)
            self._news.notify_all()
            return failed, over

    def leave(self, worker: str, now: float) -> None:
        """A worker process says goodbye (stopped, or its node's job is over): stop waiting for it."""
        with self._lock:
            self._attendance.touch(worker, now)
            self._attendance.told_done(worker)
            self._news.notify_all()

    # ----- internals -------------------------------------------------------------------------

    def _lease(self, worker: str, job_id: str, now: float,
               max_files: int | None) -> tuple[str, str | None, list[Task]]:
        """(lock held)"""
        self._attendance.touch(worker, now)
        if job_id != self.job_id or self._over():
            return "done", None, []
        if not self._table.queued:  # an idle poll: no need to count the workers present
            return "wait", None, []
        active = self._attendance.active(now, self.lease_seconds)
        lease = self._table.lease(worker, now, max_files, active)
        if lease is None:
            return "wait", None, []
        # Copies, so the caller never shares mutable state with the broker.
        return "work", lease.lease_id, [_copy(self._table.task(t)) for t in lease.task_ids]

    def _over(self) -> bool:
        """(lock held)"""
        return self._stopping or self._table.all_finished()

    def _notify_all(self) -> None:
        self._work.notify_all()
        self._news.notify_all()

    def _released(self, released: Released) -> None:
        """(lock held) Progress and waiting workers hear of requeued tasks."""
        for task_id in released.requeued:
            self._progress.requeued(task_id)
        if released.requeued:
            self._work.notify_all()

    def _fail(self, released: Released) -> list[Task]:
        """Record the final failures a released lease left (lock not held); returns those
        recorded (one that cannot be recorded goes back to the queue: the run stops anyway)."""
        if not released.failed:
            return []
        batch = [(task, FileSummary.failed(task.path, reason, size_bytes=task.size,
                                           attempts=task.attempts))
                 for task, reason in released.failed]
        return [] if self._record(batch, check=False) is None else [task for task, _ in batch]

    def _record(self, batch: list[tuple[Task, FileSummary]], check: bool,
                worker: str = "", texts: list[str | None] | None = None
                ) -> list[FileSummary] | None:
        """Record tasks in the recording state (lock not held), then settle them: done, or
        requeued if recording failed (None is returned, and the error kept for the head)."""
        ids = [task.task_id for task, _ in batch]
        try:
            summaries = self.recorder.record(batch, check=check, worker=worker, texts=texts)
        except Exception as exc:  # the head sees it and stops
            with self._lock:
                self.persist_error = exc
                self._table.settle(ids, recorded=False)
                self._released(Released(requeued=ids))
                self._news.notify_all()
            return None
        with self._lock:
            self._table.settle(ids, recorded=True)
            for (task, _), summary in zip(batch, summaries, strict=True):
                failed = summary.status == STATUS_FAILED
                self._stats.failed += failed
                self._stats.done += 1
                self._stats.bytes_done += task.weight
                self._progress.finish(task.task_id, failed)
            self._news_pending = True
            self._news.notify_all()
            if self._table.all_finished():
                self._work.notify_all()  # waiting workers hear "done" now
        return summaries

    def _note_rejected(self, worker: str, rejected: list[int],
                       summaries: dict[int, FileSummary]) -> None:
        for task_id in rejected:
            self.rejected_results += 1
            log.info("dropped a late or duplicate result for %s from %s",
                     summaries[task_id].path, worker)


def _unique(results: list[tuple[int, FileSummary]]) -> dict[int, FileSummary]:
    """task id -> summary, the first of each id (a duplicate in one batch is rejected by the
    lease table, which sees the id twice and holds the task only once)."""
    out: dict[int, FileSummary] = {}
    for task_id, summary in results:
        out.setdefault(task_id, summary)
    return out


def _copy(task: Task) -> Task:
    return Task(task.task_id, task.path, task.size, task.mtime, task.start, task.end,
                task.attempts, task.solo, task.inode, task.device, task.hold, task.fingerprint)
