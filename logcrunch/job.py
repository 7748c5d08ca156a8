"""One whole job on the head: lock, state, head, (optionally) local workers, reports.

`run_job` is what `logcrunch submit` and `logcrunch run` call. With ``local_processes`` it forks a
local worker supervisor that connects to the head over loopback with an ephemeral key — the same
queue, the same worker code, no shortcut.
"""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from logcrunch import defaults
from logcrunch.discover import FoundFile
from logcrunch.head import Head, HeadOptions, HeadResult, Progress
from logcrunch.report import publish_reports
from logcrunch.state import (
    FINISHED,
    FINISHED_FAILED_FILES,
    FINISHED_OK,
    INCOMPLETE,
    RunLock,
    RunRecord,
    StateDB,
    StateError,
    identity,
)
from logcrunch.worker import WorkerError, WorkerOptions, die_with_parent, run_worker

log = logging.getLogger(__name__)

SEEN_BATCH = 500


@dataclass
class JobSpec:
    head: HeadOptions
    out_pattern: str  # strftime pattern, expanded when the run starts
    state_path: str
    incremental: bool = False
    fresh: bool = False
    settle_seconds: float = 0.0

    def validate(self) -> None:
        self.head.validate()
        if self.settle_seconds < 0:
            raise ValueError("--settle must be >= 0 seconds")
        if not self.out_pattern:
            raise ValueError("--out needs a directory")


@dataclass
class JobOutcome:
    run: RunRecord
    result: HeadResult
    out_dir: str
    published: bool
    resumed: bool
    exit_code: int


def fingerprint(options: HeadOptions) -> dict:
    """What makes two runs "the same command" for resuming and for incremental comparisons.

    The split size is part of it: stored byte ranges of one layout cannot be joined with another's.
    The read buffer size is not: it changes no number, and a new default must not make every
    incremental run start from scratch or orphan an unfinished run.
    """
    scan = dataclasses.asdict(options.scan)
    scan.pop("chunk_size")
    return {"scan": scan, "walk": dataclasses.asdict(options.walk),
            "split_bytes": options.split_bytes}


def _local_worker_main(options: WorkerOptions, state_path: str) -> None:
    die_with_parent()
    _close_inherited(state_path)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    try:
        code = run_worker(options)
    except WorkerError as exc:
        log.error("%s", exc)
        code = 1
    os._exit(code)


def _close_inherited(state_path: str) -> None:
    """Close the state database and lock fds a forked worker inherited from the head.

    Otherwise a worker stuck in an uninterruptible read would keep the run lock after the head
    died. The child never touches the database and leaves with os._exit, so nothing reuses them.
    """
    prefix = os.path.realpath(state_path)
    try:
        names = os.listdir("/proc/self/fd")
    except OSError:
        return
    for name in names:
        try:
            if os.readlink(f"/proc/self/fd/{name}").startswith(prefix):
                os.close(int(name))
        except OSError:
            continue


def run_job(spec: JobSpec, authkey: bytes, local_processes: int | None = None,
            on_progress: Callable[[Progress], None] | None = None,
            on_head_ready: Callable[[Head], None] | None = None) -> JobOutcome:
    """Run (or resume) one job to the end and publish its reports.

    Raises LockHeld when another run holds the state lock (nothing is touched then), StateError
    when the state database is unusable, OSError when the reports cannot be written.
    Reports are published only for runs that finished; an aborted run keeps what it did in the
    state database (run the same command again to resume) and leaves the previous report alone.
    """
    spec.validate()
    with RunLock(spec.state_path):
        db = StateDB(spec.state_path)
        try:
            return _run_locked(spec, db, authkey, local_processes, on_progress, on_head_ready)
        finally:
            db.close()


class ReportError(Exception):
    """The reports could not be written; the run's results are kept for a rerun."""


def _run_locked(spec: JobSpec, db: StateDB, authkey: bytes, local_processes: int | None,
                on_progress, on_head_ready) -> JobOutcome:
    options = spec.head
    roots = list(options.roots)
    same_command = fingerprint(options)
    out_dir = time.strftime(spec.out_pattern)
    if spec.settle_seconds:
        options = dataclasses.replace(options, walk=dataclasses.replace(
            options.walk, modified_before=time.time() - spec.settle_seconds))
    known: set[str] = set()
    seen: list[tuple[FoundFile, bool]] = []
    seen_lock = threading.Lock()
    run_ids: list[int] = []  # set once the run is recorded, read by the hooks below

    def on_found(found: FoundFile, unchanged: bool) -> None:
        with seen_lock:
            seen.append((found, unchanged))
            if len(seen) >= SEEN_BATCH:
                db.record_seen(run_ids[0], seen)
                seen.clear()

    # The head binds its port here, before the run is recorded: a bad --bind leaves no trace.
    head = Head(options, authkey,
                is_unchanged=(lambda found: identity(found) in known) if spec.incremental else None,
                persist=lambda rows: db.store_results(run_ids[0], rows),
                discard=lambda path: db.discard_results(run_ids[0], path),
                on_found=on_found, on_progress=on_progress)
    run, resumed = db.start_run(roots, same_command, spec.incremental, out_dir, spec.fresh)
    run_ids.append(run.run_id)
    try:
        if resumed:
            head.resume = db.stored_ranges(run.run_id)
            log.info("resuming run %d: %d files already done", run.run_id, len(head.resume))
        if spec.incremental:
            known.update(db.known_identities(roots, same_command))
        result = _serve(head, authkey, local_processes, on_head_ready, spec.state_path)
        with seen_lock:
            if seen:
                db.record_seen(run.run_id, seen)
                seen.clear()
        if result.aborted:
            db.finish_run(run.run_id, INCOMPLETE)
            return JobOutcome(db.get_run(run.run_id), result, out_dir, False, resumed,
                              defaults.EXIT_INCOMPLETE)
        if not result.summaries and not result.unchanged:
            log.warning("found no files under %s", " ".join(roots))
        report = db.report_input(run.run_id)
        failed = any(s.status == "failed" for s in report.summaries.values())
        try:
            publish_reports(report, out_dir)
        except OSError as exc:
            raise ReportError(f"cannot write the report to {out_dir}: {exc}. The results are "
                              "kept: fix that and run the same command again") from None
        # Finished only once the report is out: an unpublished run is resumed next time, and is
        # never the baseline of an incremental run.
        db.finish_run(run.run_id, FINISHED_FAILED_FILES if failed else FINISHED_OK,
                      report.summaries.values())
    except BaseException:
        db.finish_run(run.run_id, INCOMPLETE)
        raise
    return JobOutcome(db.get_run(run.run_id), result, out_dir, True, resumed,
                      defaults.EXIT_FILES_FAILED if failed else defaults.EXIT_OK)


def _serve(head: Head, authkey: bytes, local_processes: int | None, on_head_ready,
           state_path: str) -> HeadResult:
    """Run the head to the end, with local worker processes if asked."""
    local = None
    if local_processes:
        # Fork before the head starts its threads: forking a threaded process is unsafe.
        ctx = multiprocessing.get_context("fork")
        local = ctx.Process(
            target=_local_worker_main,
            args=(WorkerOptions(address=head.address, authkey=authkey,
                                processes=local_processes, connect_timeout=30.0), state_path),
            name="logcrunch-local-workers",
        )
        local.start()
    if on_head_ready:
        on_head_ready(head)

    def local_liveness() -> str:
        if local is not None and not local.is_alive() and not head.broker.is_done():
            return f"the local worker processes exited early (exit code {local.exitcode})"
        return ""

    try:
        return head.run(extra_liveness=local_liveness if local else None)
    finally:
        if local is not None:
            # Workers that heard "done" are exiting already; SIGTERM tells the rest (for example
            # ones still connecting when an empty job ended) to stop waiting for us.
            local.join(timeout=2 if head.broker.last_worker_contact() is not None else 0.1)
            if local.is_alive():
                local.terminate()
                local.join(timeout=10)
            if local.is_alive():
                local.kill()
                local.join()


def export_report(state_path: str, run_ref: str, out_dir: str,
                  allow_incomplete: bool = False) -> tuple[RunRecord, list[str]]:
    """Re-export the CSVs of a past run (``run_ref``: a run id or ``latest``).

    A run that did not finish is refused unless ``allow_incomplete``; then its report is written
    without the ``_SUCCESS`` marker.
    """
    db = StateDB(state_path, create=False)
    try:
        run_id = db.latest_run_id() if run_ref == "latest" else int(run_ref)
        run = db.get_run(run_id)
        finished = run.status in FINISHED
        if not finished and not allow_incomplete:
            raise StateError(f"run {run_id} is {run.status}, its report would be partial; run the "
                             "same command again to resume it, or pass --allow-incomplete")
        paths = publish_reports(db.report_input(run_id), time.strftime(out_dir),
                                success_marker=finished)
        return run, paths
    finally:
        db.close()


def list_runs(state_path: str, limit: int = 50) -> list[RunRecord]:
    db = StateDB(state_path, create=False)
    try:
        return db.list_runs(limit)
    finally:
        db.close()
