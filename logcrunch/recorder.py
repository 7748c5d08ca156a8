"""The run recorder: the only place a run's results go.

Every result of a run passes through one `Recorder`: a worker's summary of a task (validated
first: a peer's summary that cannot be its task's result is recorded as that file's failure,
saying why), a failure the head decided (a file that killed its worker too often), and the walk's
own rows (unreadable entries, skipped and deferred files). What it stores is the whole truth of the
run: the report is derived from the store (state.StateDB.report_input), never from a second copy
kept in memory. It also keeps what an incremental run needs of the walk (the files it saw) and
what a resumed run finds already done (`stored`).

`RunRecorder` stores in the state database; `MemoryRecorder` keeps the results in a list (for
tests, benchmarks and brokers without a state). Both are safe to call from many threads: the
broker records outside its lock, so leases and heartbeats never wait for a durable commit.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any

from logcrunch.deltas import ReadPlan
from logcrunch.discover import FoundFile
from logcrunch.leases import Task
from logcrunch.summary import STATUS_FAILED, FileSummary

log = logging.getLogger(__name__)

WHOLE_PLAN = ReadPlan()
SEEN_BATCH = 500  # files a run saw, stored per commit

# A stored row: (summary, root, range_start, range_count, identity, received), received the
# JSON text the summary came in as from its worker when the summary is that text decoded with
# only attempts, read_from and read_mode set by the head since (else None): state.py stores it.
Row = tuple[FileSummary, str, int, int, str, str | None]


@dataclass(slots=True)
class _Expected:
    """A dispatched file: where it was found, as what, in how many ranges, read how."""

    root: str
    identity: str
    ranges: int
    plan: ReadPlan
    left: int  # ranges not recorded yet


class Recorder:
    """The common part: validation, and what the walk said about each dispatched file."""

    def __init__(self, scan_config: Any = None) -> None:
        self.scan_config = scan_config
        self.refused = 0  # peers' summaries refused (recorded as failures)
        self._expected: dict[str, _Expected] = {}
        self._lock = threading.Lock()

    # ----- what the head tells it --------------------------------------------------------------

    def expect(self, found: FoundFile, ranges: int, plan: ReadPlan = WHOLE_PLAN,
               left: int | None = None) -> None:
        """``found`` is dispatched in ``ranges`` byte ranges (``left`` of them still to read),
        read as ``plan`` says."""
        with self._lock:
            self._expected[found.path] = _Expected(found.root, found.identity, ranges, plan,
                                                   ranges if left is None else left)

    def stored(self) -> dict[str, tuple[str, dict[int, FileSummary]]]:
        """What an earlier attempt of this run stored: path -> (identity, {range start: summary})."""
        return {}

    def seen(self, found: FoundFile, unchanged: int) -> None:
        """The walk found ``found`` (``unchanged``: 1 skipped as unchanged, 2 deferred)."""

    def discard(self, path: str) -> None:
        """Forget what an earlier attempt stored of ``path`` (it changed since)."""

    def flush(self) -> None:
        """Store what is batched (the files seen)."""

    # ----- results -----------------------------------------------------------------------------

    def record(self, batch: list[tuple[Task, FileSummary]], check: bool = True,
               worker: str = "", texts: list[str | None] | None = None) -> list[FileSummary]:
        """Store the results of tasks durably; returns the summaries as stored. With ``check``
        (results from a peer, worker process ``worker``), a summary that cannot be its task's
        result is stored as that file's failure instead. ``texts``: the JSON text each summary
        came in as (None where unknown), kept with a summary that passes the check. Raises when
        they cannot be stored (nothing is then)."""
        summaries = [self._checked(task, summary, worker) if check else summary
                     for task, summary in batch]
        if texts is None:
            texts = [None] * len(batch)
        rows = []
        with self._lock:
            for (task, received), summary, text in zip(batch, summaries, texts, strict=True):
                # A refused summary is stored as the failure made in its place, never as sent.
                rows.append(self._row(task, summary, text if summary is received else None))
        self._store(rows, batch, summaries)
        with self._lock:
            for task, _ in batch:
                expected = self._expected.get(task.path)
                if expected is not None:
                    expected.left -= 1
                    if expected.left <= 0:
                        del self._expected[task.path]
        return summaries

    def record_walk(self, rows: list[tuple[FileSummary, str]]) -> None:
        """Store the walk's own rows (a failure or a skip of an entry, a deferred file): (summary,
        root), nothing read."""
        self._store([(summary, root, 0, 1, "", None) for summary, root in rows], None, None)

    def file_counts(self) -> Counter:
        """Files by final status (a split file counts once: failed if any range failed)."""
        raise NotImplementedError

    # ----- internals --------------------------------------------------------------------------

    def _store(self, rows: list[Row], batch, summaries) -> None:
        raise NotImplementedError

    def _checked(self, task: Task, summary: FileSummary, worker: str) -> FileSummary:
        from logcrunch.validation import summary_problem  # here: validation imports the broker

        problem = summary_problem(summary, task, self.scan_config)
        if not problem:
            return summary
        with self._lock:
            self.refused += 1
        log.warning("refused the summary of %s from %s: %s", task.path, worker, problem)
        return FileSummary.failed(task.path, f"the worker's summary was refused: {problem}",
                                  size_bytes=task.size, worker=str(worker)[:256],
                                  attempts=summary.attempts)

    def _row(self, task: Task, summary: FileSummary, text: str | None = None) -> Row:
        """The stored row of a task's summary, which says how the file was read (deltas.py)."""
        expected = self._expected.get(task.path)
        if expected is None:
            return summary, "", task.start, 1, "", text
        plan = expected.plan
        summary.read_mode = plan.mode
        if task.start == plan.start:
            summary.read_from = plan.start
            if plan.lead_hour and "" in summary.timeline:
                summary.lead_into(plan.lead_hour)
                text = None  # its timeline is no longer the one received
        return summary, expected.root, task.start, expected.ranges, expected.identity, text


class GroupCommit:
    """Rows from many threads, committed together: one durable commit for all that came in
    while the previous one was being written (a group commit, as databases do for their logs).

    `submit` returns once its rows are committed, or raises what the commit raised (every
    submitter of that group does: they shared one transaction). Under load this turns a commit
    per result batch into a commit per few milliseconds, whatever the number of workers.

    Each waiting submitter sleeps on a lock of its own, released by the writer once its rows are
    committed (or to make it the next writer): a commit wakes exactly the threads it concerns,
    and none of them queues again for a shared lock on the way out (with a Condition, every
    woken thread re-takes the condition's lock in turn, a convoy through the GIL with a thousand
    workers' threads).
    """

    def __init__(self, write) -> None:
        self._write = write  # (rows) -> None: one transaction
        self._mutex = threading.Lock()
        self._pending: list[Row] = []
        self._tickets = 0  # submissions so far
        self._taken = 0  # submissions taken by a writer
        self._done = 0  # submissions whose commit has ended
        self._errors: dict[int, BaseException] = {}  # ticket -> what its commit raised
        self._waiting: list[tuple[int, threading.Lock]] = []  # (ticket, its lock), in order
        self._writing = False
        self.commits = 0

    def submit(self, rows: list[Row]) -> None:
        with self._mutex:
            self._tickets += 1
            ticket = self._tickets
            self._pending.extend(rows)
            waiter = None
            if self._writing:
                waiter = threading.Lock()
                waiter.acquire()
                self._waiting.append((ticket, waiter))
            else:
                self._writing = True
        if waiter is not None:
            waiter.acquire()  # released once these rows are committed, or to write them
            with self._mutex:
                if self._done >= ticket:
                    return self._outcome(ticket)
        self._write_pending(ticket)

    def _write_pending(self, ticket: int) -> None:
        """This thread is the writer: commit all that is pending (its own rows included), wake
        the submitters whose rows that was, and hand the writing on to the next one waiting."""
        with self._mutex:
            rows, self._pending = self._pending, []
            first, last = self._taken + 1, self._tickets
            self._taken = last
        error = None
        try:
            self._write(rows)
        except BaseException as exc:  # every submitter of the group hears it
            error = exc
        with self._mutex:
            self.commits += 1
            if error is not None:
                self._errors.update(dict.fromkeys(range(first, last + 1), error))
            self._done = last
            committed = [lock for waiting, lock in self._waiting if waiting <= last]
            self._waiting = [(waiting, lock) for waiting, lock in self._waiting if waiting > last]
            successor = self._waiting.pop(0)[1] if self._waiting else None
            self._writing = successor is not None
        for lock in committed:
            lock.release()
        if successor is not None:
            successor.release()
        with self._mutex:
            return self._outcome(ticket)

    def _outcome(self, ticket: int) -> None:
        error = self._errors.pop(ticket, None)
        if error is not None:
            raise error


class RunRecorder(Recorder):
    """Records one run in the state database (logcrunch.state.StateDB)."""

    def __init__(self, db, run_id: int, scan_config: Any = None) -> None:
        super().__init__(scan_config)
        self.db = db
        self.run_id = run_id
        self._seen: list[tuple[FoundFile, int]] = []
        self._seen_lock = threading.Lock()
        # Write failures (state.StateError, one line saying what to do) in any thread: the run
        # stops, and says the first.
        self.failures: list[Exception] = []
        self._commits = GroupCommit(self._commit)

    @contextlib.contextmanager
    def _writing(self):
        from logcrunch.state import StateError

        try:
            with self.db.writing():
                yield
        except StateError as exc:
            self.failures.append(exc)
            raise

    def stored(self) -> dict[str, tuple[str, dict[int, FileSummary]]]:
        return self.db.stored_ranges(self.run_id)

    def seen(self, found: FoundFile, unchanged: int) -> None:
        with self._seen_lock:
            self._seen.append((found, unchanged))
            if len(self._seen) >= SEEN_BATCH:
                self._flush_seen()

    def flush(self) -> None:
        with self._seen_lock:
            self._flush_seen()

    def discard(self, path: str) -> None:
        with self._writing():
            self.db.discard_results(self.run_id, path)

    def file_counts(self) -> Counter:
        return self.db.file_counts(self.run_id)

    def _store(self, rows: list[Row], batch, summaries) -> None:
        if rows:
            self._commits.submit(rows)

    def _commit(self, rows: list[Row]) -> None:
        with self._writing():
            self.db.store_results(self.run_id, rows)

    def _flush_seen(self) -> None:
        if self._seen:
            with self._writing():
                self.db.record_seen(self.run_id, self._seen)
            self._seen = []


class MemoryRecorder(Recorder):
    """Keeps results in memory, in the order recorded: `take_results` drains them."""

    def __init__(self, scan_config: Any = None,
                 stored: dict[str, tuple[str, dict[int, FileSummary]]] | None = None) -> None:
        super().__init__(scan_config)
        self._stored = stored or {}
        self._results: list[tuple[Task, FileSummary]] = []
        self._statuses: dict[str, str] = {}

    def stored(self) -> dict[str, tuple[str, dict[int, FileSummary]]]:
        return self._stored

    def take_results(self) -> list[tuple[Task, FileSummary]]:
        with self._lock:
            out, self._results = self._results, []
            return out

    def file_counts(self) -> Counter:
        with self._lock:
            return Counter(self._statuses.values())

    def _store(self, rows: list[Row], batch, summaries) -> None:
        with self._lock:
            if batch is not None:
                self._results.extend(zip((task for task, _ in batch), summaries, strict=True))
            for summary, *_ in rows:
                if self._statuses.get(summary.path) != STATUS_FAILED:
                    self._statuses[summary.path] = summary.status
