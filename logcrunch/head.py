"""The head: walks the roots into tasks for the broker, and ends the job.

`Head.run()` drives one job: it starts the dispatcher (which gets the broker's tasks scanned:
workers over TCP, or another engine; logcrunch.dispatch), walks the roots in a thread (dispatch
starts while the walk goes on), expires leases, and stops when every task is final, when no worker
has been seen for ``worker_timeout``, when the dispatcher says it cannot go on, or when asked to
stop. Results go from the broker to the run's recorder (logcrunch.recorder), the only place they
go. It reports progress through a callback and never prints.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from logcrunch import defaults
from logcrunch.broker import Broker, BrokerStats
from logcrunch.deltas import SEEN_DEFERRED, ReadPlan
from logcrunch.discover import (
    DEFERRED_REASON,
    STATUS_DEFERRED,
    DeferredFile,
    Entry,
    FoundFile,
    SkippedEntry,
    WalkError,
    WalkOptions,
    walk,
)
from logcrunch.dispatch import Dispatcher
from logcrunch.progress import ProgressTotals, RateMeter, eta_seconds
from logcrunch.recorder import MemoryRecorder, Recorder
from logcrunch.scan import ScanConfig, is_splittable
from logcrunch.summary import STATUS_FAILED, FileSummary

log = logging.getLogger(__name__)

TICK_SECONDS = 0.05
WHOLE_PLAN = ReadPlan()
DEFERRED_BATCH = 500  # deferred rows stored per commit


@dataclass
class HeadOptions:
    """What the head serves and how patiently: roots, bind address, walk, scan and lease
    settings."""

    roots: tuple[str, ...]
    bind: tuple[str, int] = ("127.0.0.1", defaults.DEFAULT_PORT)
    walk: WalkOptions = field(default_factory=WalkOptions)
    scan: ScanConfig = field(default_factory=ScanConfig)
    worker_timeout: float = defaults.WORKER_TIMEOUT
    lease_seconds: float = defaults.LEASE_SECONDS
    max_attempts: int = defaults.MAX_ATTEMPTS
    file_timeout: float = 0.0
    split_bytes: int = defaults.SPLIT_MIN_BYTES

    def validate(self) -> None:
        if not self.roots:
            raise ValueError("give at least one directory (or file) to scan")
        for name in ("worker_timeout", "lease_seconds"):
            if getattr(self, name) <= 0:
                raise ValueError(f"--{name.replace('_', '-')} must be > 0 seconds")
        if self.max_attempts < 1:
            raise ValueError("--max-attempts must be at least 1")
        if self.file_timeout < 0:
            raise ValueError("--file-timeout must be >= 0 (0: no limit)")
        if self.split_bytes < 1:
            raise ValueError("--split-size must be at least 1 byte")
        self.scan.validate()


@dataclass
class Progress:
    """What `Head.run` reports about twice a second (see logcrunch.progress for the counts)."""

    stats: BrokerStats  # tasks (a split file's ranges each count)
    workers_active: int  # worker processes connected (seen within a lease, not gone)
    elapsed: float
    walking: bool  # the walk still finds files: the totals still grow
    totals: ProgressTotals = field(default_factory=ProgressTotals)  # bytes and files
    rate: float | None = None  # bytes per second lately; None: no rate yet
    eta: float | None = None  # seconds left at that rate; None while walking or without a rate


@dataclass
class HeadResult:
    """How a job went; the results themselves are in the recorder's store."""

    file_counts: Counter  # files recorded by final status (a split file once), earlier attempts too
    walked: int = 0  # entries the walk yielded (files, and rows of its own)
    unchanged: int = 0  # files skipped as unchanged (incremental)
    aborted: str = ""  # why the run could not finish; empty when it did
    rejected_results: int = 0  # late or duplicate results dropped
    refused_results: int = 0  # peers' summaries refused (recorded as failures)
    passed_over: dict[str, int] = field(default_factory=dict)  # what the walk options left out

    @property
    def found_nothing(self) -> bool:
        """The roots held no file at all: nothing read, skipped, failed, unchanged or deferred."""
        return not self.walked

    @property
    def files(self) -> int:
        """Files with a result (read, skipped or failed; not deferred)."""
        return sum(count for status, count in self.file_counts.items()
                   if status != STATUS_DEFERRED)

    @property
    def deferred(self) -> int:
        return self.file_counts.get(STATUS_DEFERRED, 0)

    @property
    def failed(self) -> int:
        return self.file_counts.get(STATUS_FAILED, 0)

    @property
    def exit_code(self) -> int:
        if self.aborted:
            return defaults.EXIT_INCOMPLETE
        return defaults.EXIT_FILES_FAILED if self.failed else defaults.EXIT_OK


class HeadAborted(Exception):
    pass


class Head:
    """One job on the head: the walk, the broker, and the loop that ends the job.

    ``dispatcher`` gets the broker's tasks scanned (logcrunch.dispatch: workers over TCP, or
    another engine); ``recorder`` is where every result goes (logcrunch.recorder), and what an
    earlier attempt of the run stored (files still of that identity, or their stored ranges, are
    not dispatched again; a file that changed since is read again whole, after the recorder
    discards its stale results). ``plan(found)``: how to read a file (incremental runs,
    deltas.plan_read): from where, holding a partial last line or not, or not at all (unchanged);
    default: read whole.
    """

    def __init__(self, options: HeadOptions, dispatcher: Dispatcher,
                 recorder: Recorder | None = None,
                 plan: Callable[[FoundFile], ReadPlan] | None = None,
                 on_progress: Callable[[Progress], None] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        options.validate()
        self.options = options
        self.recorder = recorder if recorder is not None else MemoryRecorder(options.scan)
        self.broker = Broker(scan_config=options.scan, lease_seconds=options.lease_seconds,
                             heartbeat_seconds=max(0.2, min(defaults.HEARTBEAT_SECONDS,
                                                            options.lease_seconds / 4)),
                             max_attempts=options.max_attempts, file_timeout=options.file_timeout,
                             recorder=self.recorder,
                             roots=_announced_roots(options.roots),
                             follow_symlinks=options.walk.follow_symlinks)
        self.dispatcher = dispatcher
        self.resume = self.recorder.stored()
        self.plan = plan
        self.on_progress = on_progress
        self._dispatched = False
        self.clock = clock
        self.stop_requested = threading.Event()
        self.stop_reason = ""
        self._walk_error: BaseException | None = None
        self._walking = True
        self._walk_complete = False  # the walk went through every root (not stopped early)
        self._walked = 0
        self._unchanged = 0
        self._deferred_rows: list[tuple[FileSummary, str]] = []
        self._passed_over: Counter = Counter()
        self._rate = RateMeter()

    @property
    def address(self) -> tuple[str, int] | None:
        """Where workers connect (None: the dispatcher is not a server of ours)."""
        return self.dispatcher.address

    def request_stop(self, reason: str) -> None:
        """Stop the job soon (signal handlers call this); the run ends with exit code 1."""
        # No broker call here: a signal handler runs on the main thread, which may hold its lock.
        self.stop_reason = reason
        self.stop_requested.set()

    def run(self) -> HeadResult:
        """Serve the job to the end (or until it must stop: see `_why_stop`)."""
        started = self.clock()
        self.dispatcher.start(self.broker)
        walker = threading.Thread(target=self._walk, name="logcrunch-walk", daemon=True)
        walker.start()
        aborted = ""
        try:
            aborted = self._serve(started)
            if self.on_progress:
                self._report_progress(self.clock() - started)
        finally:
            self.stop_requested.set()  # the walk stops too, whatever ended the run
            self.broker.stop()
            if self.address is not None:  # workers connect to us: let them hear it is over
                self._let_workers_hear_done()
            self.dispatcher.close()
            walker.join(timeout=5)
        return HeadResult(self.recorder.file_counts(), self._walked, self._unchanged, aborted,
                          self.broker.rejected_results, self.broker.refused_results,
                          passed_over=dict(self._passed_over))

    # -- internals ----------------------------------------------------------------------------

    def _serve(self, started: float) -> str:
        """The head's loop, until the job is done or must stop; returns why it stopped early."""
        last_progress = 0.0
        while True:
            now = self.clock()
            for task in self.broker.expire(now):
                log.warning("%s failed after %d attempts", task.path, task.attempts)
            aborted = self._why_stop(now, started)
            if aborted or self._finished():
                return aborted
            if self.on_progress and now - last_progress >= 0.5:
                last_progress = now
                self._report_progress(now - started)
            self.broker.wait_for_news(TICK_SECONDS)  # woken at once by results or the end

    def _why_stop(self, now: float, started: float) -> str:
        if self._walk_error is not None:
            return f"walking the roots failed: {self._walk_error}"
        if self.broker.persist_error is not None:
            return f"cannot record results in the state database: {self.broker.persist_error}"
        if self._finished():
            return ""
        if self.stop_requested.is_set():
            return self.stop_reason or "stopped"
        return self._check_workers(now, started) or self.dispatcher.liveness()

    def _finished(self) -> bool:
        """Every task is final after a whole walk (one stopped early closes submissions too, and
        its tasks may all be done: a run of part of the tree is not a finished run)."""
        return self._walk_complete and self.broker.is_done()

    def _walk(self) -> None:
        try:
            for found in walk(list(self.options.roots), self.options.walk,
                              passed_over=self._passed_over):
                if self.stop_requested.is_set():
                    return
                self._walked += 1
                self._submit(found)
            self._store_deferred()
            self._walk_complete = True
        except BaseException as exc:  # surfaced by run(); a thread must not die silently
            self._walk_error = exc
        finally:
            self._walking = False
            self.broker.close_submissions()

    def _submit(self, found: Entry) -> None:
        if isinstance(found, WalkError | SkippedEntry):
            # Rows of the walk itself: recorded, never dispatched.
            row = FileSummary.failed(found.path, found.reason, format=found.format) \
                if isinstance(found, WalkError) else FileSummary.skipped(found.path, found.reason)
            if found.path not in self.resume:
                self.recorder.record_walk([(row, found.root)])
            self.broker.add_final_file(failed=row.status == STATUS_FAILED)
            return
        if isinstance(found, DeferredFile):
            self._defer(found)
            self.broker.add_final_file()
            return
        stored_identity, stored = self.resume.get(found.path, ("", {}))
        if stored and stored_identity != found.identity:
            self.recorder.discard(found.path)  # it changed since: its old results must not count
            stored = {}
        plan = self.plan(found) if self.plan is not None else WHOLE_PLAN
        if plan.unchanged and stored:
            plan = WHOLE_PLAN  # (cannot happen: cursors move only when a run finishes)
        self.recorder.seen(found, plan.unchanged)
        if plan.unchanged:
            self._unchanged += 1
            self.broker.add_final_file()
            return
        self._dispatch(found, plan, stored)

    def _dispatch(self, found: FoundFile, plan: ReadPlan, stored: dict[int, FileSummary]) -> None:
        """Queue the ranges of ``found`` that an earlier attempt did not store."""
        split = self.options.split_bytes
        starts: list[int] = [plan.start]
        if found.size - plan.start > split and is_splittable(found.path):
            starts = list(range(plan.start, found.size, split))
        done = [start for start in starts if start in stored]
        self.broker.add_file(
            found.path, len(starts) - len(done),
            stored_bytes=sum(_range_end(start, split, found.size, len(starts)) - start
                             for start in done),
            stored_failed=any(stored[start].status == STATUS_FAILED for start in done))
        if len(done) == len(starts):
            return
        self.recorder.expect(found, len(starts), plan, left=len(starts) - len(done))
        if not self._dispatched:
            self._dispatched = True
            self.dispatcher.work_queued()
        for start in starts:
            if start in stored:
                continue
            end = _range_end(start, split, found.size, len(starts)) if len(starts) > 1 else None
            self.broker.add_task(found.path, found.size, found.mtime, start, end,
                                 inode=found.inode, device=found.device, hold=plan.hold,
                                 fingerprint=plan.fingerprint if start == plan.start else "")

    def _defer(self, found: DeferredFile) -> None:
        """A file left for the next run: a row (status deferred), not read, not "seen"."""
        row = FileSummary(found.path, status=STATUS_DEFERRED, error=DEFERRED_REASON,
                          size_bytes=found.size)
        if found.path in self.resume:
            self.recorder.discard(found.path)  # stored by an earlier attempt, changed since
        if found.inode:  # seen, not read: its cursor stays alive (deltas.py)
            self.recorder.seen(FoundFile(found.path, found.root, found.size, found.mtime,
                                         found.inode, found.device), SEEN_DEFERRED)
        # Stored without an identity, so a resumed attempt that finds it settled reads it; in
        # batches, as there may be many (one durable commit costs milliseconds).
        self._deferred_rows.append((row, found.root))
        if len(self._deferred_rows) >= DEFERRED_BATCH:
            self._store_deferred()

    def _store_deferred(self) -> None:
        if self._deferred_rows:
            self.recorder.record_walk(self._deferred_rows)
        self._deferred_rows = []

    def _check_workers(self, now: float, started: float) -> str:
        stats = self.broker.stats()
        if stats.queued == 0 and stats.leased == 0:
            return ""
        last_contact = max(started, self.broker.last_worker_contact() or started)
        if now - last_contact <= self.options.worker_timeout:
            return ""
        seen = "no worker connected" if self.broker.last_worker_contact() is None else \
            "every worker went away"
        return (f"{seen} for {self.options.worker_timeout:g} s with {stats.queued + stats.leased} "
                f"tasks left; {self.dispatcher.how_to_add_workers()}, or raise --worker-timeout")

    def _report_progress(self, elapsed: float) -> None:
        now = self.clock()
        walking = self._walking  # read first: totals taken after it include all it found
        totals = self.broker.progress()
        self._rate.add(now, totals.bytes_done)
        rate = self._rate.rate()
        if rate is None and elapsed > 0 and totals.bytes_done:
            rate = totals.bytes_done / elapsed  # the average so far, until the window has one
        self.on_progress(Progress(self.broker.stats(), self.broker.connected_workers(now),
                                  elapsed, walking, totals, rate,
                                  eta_seconds(totals, rate, walking)))

    def _let_workers_hear_done(self) -> None:
        """Give connected workers a moment to learn the job is over before the server closes."""
        self.broker.wait_until_workers_told_done(
            self.clock, min(5.0, self.broker.heartbeat_seconds * 2 + 1.0))


def _range_end(start: int, split: int, size: int, ranges: int) -> int:
    """Where the range of a file of ``size`` cut into ``ranges`` ranges that starts at ``start``
    ends."""
    return min(start + split, size) if ranges > 1 else size


def _announced_roots(roots: Iterable[str]) -> tuple[tuple[str, int], ...]:
    """The roots as (path, device) for workers: where they may read without --allow-root."""
    announced = []
    for root in roots:
        try:
            device = os.stat(root).st_dev
        except OSError:
            device = 0
        announced.append((root, device))
    return tuple(announced)


def unique_roots(roots: Iterable[str]) -> tuple[str, ...]:
    """Absolute, de-duplicated roots in the order given."""
    seen: dict[str, None] = {}
    for root in roots:
        seen.setdefault(os.path.abspath(root), None)
    return tuple(seen)
