"""The head: walks the roots into tasks, serves them to workers, and collects the summaries.

`Head.run()` drives one job: it serves the broker over TCP, walks the roots in a thread (dispatch
starts while the walk goes on), expires leases, gathers accepted results (joining the byte ranges of
split files), and stops when every task is final, when no worker has been seen for
``worker_timeout``, or when asked to stop. It reports progress through a callback and never prints.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from logcrunch import defaults
from logcrunch.broker import Broker, BrokerStats, Task
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
from logcrunch.progress import ProgressTotals, RateMeter, eta_seconds
from logcrunch.scan import ScanConfig, is_splittable
from logcrunch.summary import STATUS_FAILED, FileSummary
from logcrunch.transport import BrokerServer

log = logging.getLogger(__name__)

TICK_SECONDS = 0.05
WHOLE_PLAN = ReadPlan()
DEFERRED_BATCH = 500  # deferred rows stored per commit


@dataclass
class HeadOptions:
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
    summaries: dict[str, FileSummary]  # path -> final summary (one per file)
    roots: dict[str, str]  # path -> the root it was found under
    unchanged: dict[str, str]  # path -> root, for files skipped as unchanged (incremental)
    aborted: str = ""  # why the run could not finish; empty when it did
    rejected_results: int = 0
    deferred: dict[str, FileSummary] = field(default_factory=dict)  # left by --settle, not read
    passed_over: dict[str, int] = field(default_factory=dict)  # what the walk options left out

    @property
    def found_nothing(self) -> bool:
        """The roots held no file at all: nothing read, skipped, failed, unchanged or deferred."""
        return not (self.summaries or self.unchanged or self.deferred)

    @property
    def failed(self) -> int:
        return sum(1 for s in self.summaries.values() if s.status == "failed")

    @property
    def exit_code(self) -> int:
        if self.aborted:
            return defaults.EXIT_INCOMPLETE
        return defaults.EXIT_FILES_FAILED if self.failed else defaults.EXIT_OK


class HeadAborted(Exception):
    pass


class Dispatcher(Protocol):
    """What gets the broker's tasks scanned instead of `logcrunch work` processes over TCP."""

    def start(self, broker: Broker) -> None:
        """Called once before the walk starts; the broker takes calls from then on."""

    def work_queued(self) -> None:
        """The first task is about to be queued (may be ignored)."""

    def liveness(self) -> str:
        """Polled every head tick (keep it cheap): non-empty = abort the run with that reason."""

    def close(self) -> None:
        """At the end of the job, after broker.stop(): release everything within ~10 s."""


class Head:
    """One job on the head. Hooks let the caller persist results and skip known files."""

    def __init__(self, options: HeadOptions, authkey: bytes,
                 resume: dict[str, tuple[str, dict[int, FileSummary]]] | None = None,
                 plan: Callable[[FoundFile], ReadPlan] | None = None,
                 persist: Callable[[list[tuple[FileSummary, str, int, int, str]]], None]
                 | None = None,
                 discard: Callable[[str], None] | None = None,
                 on_found: Callable[[FoundFile, bool], None] | None = None,
                 on_progress: Callable[[Progress], None] | None = None,
                 on_dispatch: Callable[[], None] | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 dispatcher: Dispatcher | None = None) -> None:
        """Hooks (all optional):

        - ``resume``: results a previous attempt of this run already stored, path -> (file
          identity, {range start: summary}); files still of that identity (or their stored ranges)
          are not dispatched again. A file that changed since is read again whole, after
          ``discard(path)`` drops its stale results.
        - ``plan(found)``: how to read a file (incremental runs, deltas.plan_read): from where,
          holding a partial last line or not, or not at all (unchanged). Default: read whole.
        - ``persist(rows)``: commit (summary, root, range_start, range_count, identity) rows
          durably; called before the worker's results are acknowledged.
        - ``on_found(found, seen)``: every file the walk yields; ``seen`` True for a file
          skipped as unchanged, deltas.SEEN_DEFERRED for one left for the next run by --settle.
        - ``on_dispatch()``: once, just before the first task is queued for the workers (local
          workers wait for it, so a job with nothing to read never has them knock at a closed
          door).
        - ``dispatcher``: what gets the tasks scanned (e.g. dask_engine.DaskDispatcher); None:
          serve the broker over TCP to `logcrunch work` processes (a BrokerServer). A
          dispatcher's ``work_queued`` is called where ``on_dispatch`` is.
        """
        options.validate()
        self.options = options
        self.broker = Broker(scan_config=options.scan, lease_seconds=options.lease_seconds,
                             heartbeat_seconds=max(0.2, min(defaults.HEARTBEAT_SECONDS,
                                                            options.lease_seconds / 4)),
                             max_attempts=options.max_attempts, file_timeout=options.file_timeout,
                             on_accept=self._accept_batch,
                             roots=_announced_roots(options.roots),
                             follow_symlinks=options.walk.follow_symlinks)
        self.dispatcher = dispatcher
        self.server = BrokerServer(self.broker, options.bind, authkey) if dispatcher is None \
            else None
        self.resume = resume or {}
        self.plan = plan
        self._plans: dict[str, ReadPlan] = {}  # dispatched files read other than whole
        self.persist = persist
        self.discard = discard
        self._identity: dict[str, str] = {}
        self.on_found = on_found
        self.on_progress = on_progress
        self.on_dispatch = on_dispatch
        self._dispatched = False
        self.clock = clock
        self.stop_requested = threading.Event()
        self.stop_reason = ""
        self._walk_error: BaseException | None = None
        self._walking = True
        self._summaries: dict[str, FileSummary] = {}
        self._roots: dict[str, str] = {}
        self._unchanged: dict[str, str] = {}
        self._deferred: dict[str, FileSummary] = {}
        self._deferred_rows: list[tuple[FileSummary, str, int, int, str]] = []
        self._passed_over: Counter = Counter()
        self._ranges: dict[str, dict[int, FileSummary]] = {}
        self._range_count: dict[str, int] = {}
        self._lock = threading.Lock()
        self._rate = RateMeter()

    @property
    def address(self) -> tuple[str, int]:
        return self.server.address if self.server is not None else ("", 0)

    def request_stop(self, reason: str) -> None:
        """Stop the job soon (signal handlers call this); the run ends with exit code 1."""
        # No broker call here: a signal handler runs on the main thread, which may hold its lock.
        self.stop_reason = reason
        self.stop_requested.set()

    def run(self, extra_liveness: Callable[[], str] | None = None) -> HeadResult:
        """Serve the job to the end; ``extra_liveness`` may return a reason to abort early."""
        started = self.clock()
        if self.dispatcher is not None:
            self.dispatcher.start(self.broker)
        else:
            self.server.start()
        walker = threading.Thread(target=self._walk, name="logcrunch-walk", daemon=True)
        walker.start()
        aborted = ""
        last_progress = 0.0
        try:
            while True:
                now = self.clock()
                for task in self.broker.expire(now):
                    log.warning("%s failed after %d attempts", task.path, task.attempts)
                self._collect()
                if self._walk_error is not None:
                    aborted = f"walking the roots failed: {self._walk_error}"
                    break
                if self.broker.persist_error is not None:
                    aborted = f"cannot record results in the state database: " \
                              f"{self.broker.persist_error}"
                    break
                if self.broker.is_done():
                    break
                if self.stop_requested.is_set():
                    aborted = self.stop_reason or "stopped"
                    break
                aborted = self._check_workers(now, started) if self.dispatcher is None \
                    else self.dispatcher.liveness()
                if not aborted and extra_liveness is not None:
                    aborted = extra_liveness()
                if aborted:
                    break
                if self.on_progress and now - last_progress >= 0.5:
                    last_progress = now
                    self._report_progress(now - started)
                self.broker.wait_for_news(TICK_SECONDS)  # woken at once by results or the end
            self._collect()
            if self.on_progress:
                self._report_progress(self.clock() - started)
        finally:
            self.stop_requested.set()  # the walk stops too, whatever ended the run
            self.broker.stop()
            if self.dispatcher is not None:
                self.dispatcher.close()  # (no remote worker waits to hear "done")
            else:
                self._let_workers_hear_done()
                self.server.close()
            walker.join(timeout=5)
        return HeadResult(dict(self._summaries), dict(self._roots), dict(self._unchanged),
                          aborted, self.broker.rejected_results, deferred=dict(self._deferred),
                          passed_over=dict(self._passed_over))

    # -- internals ----------------------------------------------------------------------------

    def _walk(self) -> None:
        try:
            for found in walk(list(self.options.roots), self.options.walk,
                              passed_over=self._passed_over):
                if self.stop_requested.is_set():
                    return
                self._submit(found)
            self._store_deferred()
        except BaseException as exc:  # surfaced by run(); a thread must not die silently
            self._walk_error = exc
        finally:
            self._walking = False
            self.broker.close_submissions()

    def _submit(self, found: Entry) -> None:
        with self._lock:
            self._roots[found.path] = found.root
        if isinstance(found, WalkError | SkippedEntry):
            # Rows of the walk itself: persisted and kept, never dispatched.
            row = FileSummary.failed(found.path, found.reason, format=found.format) \
                if isinstance(found, WalkError) else FileSummary.skipped(found.path, found.reason)
            if self.persist and found.path not in self.resume:
                self.persist([(row, found.root, 0, 1, "")])
            self._keep(row)
            self.broker.add_final_file(failed=row.status == STATUS_FAILED)
            return
        if isinstance(found, DeferredFile):
            self._defer(found)
            self.broker.add_final_file()
            return
        stored_identity, stored = self.resume.get(found.path, ("", {}))
        if stored and stored_identity != found.identity:
            if self.discard:
                self.discard(found.path)  # it changed since: its old results must not count
            stored = {}
        with self._lock:
            self._identity[found.path] = found.identity
        plan = self.plan(found) if self.plan is not None else WHOLE_PLAN
        if plan.unchanged and stored:
            plan = WHOLE_PLAN  # (cannot happen: cursors move only when a run finishes)
        unchanged = plan.unchanged
        if self.on_found:
            self.on_found(found, unchanged)
        if unchanged:
            with self._lock:
                self._roots.pop(found.path, None)
                self._unchanged[found.path] = found.root
            self.broker.add_final_file()
            return
        split = self.options.split_bytes
        starts: list[int] = [plan.start]
        if found.size - plan.start > split and is_splittable(found.path):
            starts = list(range(plan.start, found.size, split))
        with self._lock:
            self._range_count[found.path] = len(starts)
            self._ranges[found.path] = {s: stored[s] for s in starts if s in stored}
            if plan != WHOLE_PLAN:
                self._plans[found.path] = plan
        done = [start for start in starts if start in stored]
        self.broker.add_file(
            found.path, len(starts) - len(done),
            stored_bytes=sum(_range_end(start, split, found.size, len(starts)) - start
                             for start in done),
            stored_failed=any(stored[start].status == STATUS_FAILED for start in done))
        if len(stored) and all(start in stored for start in starts):
            self._maybe_join(found.path, found.size)
            return
        if not self._dispatched:
            self._dispatched = True
            if self.on_dispatch:
                self.on_dispatch()
            if self.dispatcher is not None:
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
        if found.path in self.resume and self.discard:
            self.discard(found.path)  # stored by an earlier attempt, changed since
        if self.on_found and found.inode:  # seen, not read: its cursor stays alive (deltas.py)
            self.on_found(FoundFile(found.path, found.root, found.size, found.mtime, found.inode,
                                    found.device), SEEN_DEFERRED)
        with self._lock:
            self._deferred[found.path] = row
        # Stored without an identity, so a resumed attempt that finds it settled reads it; in
        # batches, as there may be many (one durable commit costs milliseconds).
        self._deferred_rows.append((row, found.root, 0, 1, ""))
        if len(self._deferred_rows) >= DEFERRED_BATCH:
            self._store_deferred()

    def _store_deferred(self) -> None:
        if self.persist and self._deferred_rows:
            self.persist(self._deferred_rows)
        self._deferred_rows = []

    def _accept_batch(self, batch: list[tuple[Task, FileSummary]]) -> None:
        """Accepted results (validated), before they are stored and acknowledged: say how each
        file was read (deltas.py), then persist."""
        for task, summary in batch:
            with self._lock:
                plan = self._plans.get(task.path, WHOLE_PLAN)
            summary.read_mode = plan.mode
            if task.start == plan.start:
                summary.read_from = plan.start
                if plan.lead_hour:
                    summary.lead_into(plan.lead_hour)
        if self.persist:
            self._persist_batch(batch)

    def _persist_batch(self, batch: list[tuple[Task, FileSummary]]) -> None:
        rows = [(summary, self._roots.get(task.path, ""), task.start,
                 self._range_count.get(task.path, 1), self._identity.get(task.path, ""))
                for task, summary in batch]
        self.persist(rows)

    def _collect(self) -> None:
        for task, summary in self.broker.take_results():
            with self._lock:
                self._ranges.setdefault(task.path, {})[task.start] = summary
            self._maybe_join(task.path, task.size)

    def _maybe_join(self, path: str, size: int) -> None:
        """Once every range of a file is in, keep the joined whole-file summary."""
        with self._lock:
            parts = self._ranges.get(path, {})
            if len(parts) < self._range_count.get(path, 1):
                return
            ordered = [parts[start] for start in sorted(parts)]
            del self._ranges[path]
            self._plans.pop(path, None)
        whole = ordered[0]
        for part in ordered[1:]:
            whole = whole.merge_range(part)
        if len(ordered) > 1:
            whole.size_bytes = size
        self._keep(whole)

    def _keep(self, summary: FileSummary) -> None:
        with self._lock:
            self._summaries[summary.path] = summary

    def _check_workers(self, now: float, started: float) -> str:
        stats = self.broker.stats()
        if stats.queued == 0 and stats.leased == 0:
            return ""
        last_contact = max(started, self.broker.last_worker_contact() or started)
        if now - last_contact <= self.options.worker_timeout:
            return ""
        seen = "no worker connected" if self.broker.last_worker_contact() is None else \
            "every worker went away"
        host, port = self.address
        if host in ("0.0.0.0", "::", ""):
            host = "THIS-HOST"
        return (f"{seen} for {self.options.worker_timeout:g} s with {stats.queued + stats.leased} "
                f"tasks left; start workers with `logcrunch work --server {host}:{port}` "
                f"(same authkey), or raise --worker-timeout")

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
