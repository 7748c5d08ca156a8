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
    FINISHED_FAILED_FILES,
    FINISHED_OK,
    INCOMPLETE,
    RunLock,
    RunRecord,
    StateDB,
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
    """
    return {"scan": dataclasses.asdict(options.scan), "walk": dataclasses.asdict(options.walk),
            "split_bytes": options.split_bytes}


def _local_worker_main(options: WorkerOptions) -> None:
    die_with_parent()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    try:
        code = run_worker(options)
    except WorkerError as exc:
        log.error("%s", exc)
        code = 1
    os._exit(code)


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


def _run_locked(spec: JobSpec, db: StateDB, authkey: bytes, local_processes: int | None,
                on_progress, on_head_ready) -> JobOutcome:
    options = spec.head
    roots = list(options.roots)
    same_command = fingerprint(options)
    out_dir = time.strftime(spec.out_pattern)
    run, resumed = db.start_run(roots, same_command, spec.incremental, out_dir, spec.fresh)
    resume = db.stored_ranges(run.run_id) if resumed else {}
    if resumed:
        log.info("resuming run %d: %d files already done", run.run_id, len(resume))
    known = db.known_identities(roots, same_command) if spec.incremental else set()
    settle_cutoff = time.time() - spec.settle_seconds if spec.settle_seconds else None

    seen: list[tuple[FoundFile, bool]] = []
    seen_lock = threading.Lock()

    def on_found(found: FoundFile, unchanged: bool) -> None:
        with seen_lock:
            seen.append((found, unchanged))
            if len(seen) >= SEEN_BATCH:
                db.record_seen(run.run_id, seen)
                seen.clear()

    def is_unchanged(found: FoundFile) -> bool:
        return identity(found) in known

    if settle_cutoff is not None:
        options = dataclasses.replace(
            options, walk=dataclasses.replace(options.walk, modified_before=settle_cutoff))
    head = Head(options, authkey, resume=resume,
                is_unchanged=is_unchanged if spec.incremental else None,
                persist=lambda rows: db.store_results(run.run_id, rows),
                discard=lambda path: db.discard_results(run.run_id, path),
                on_found=on_found, on_progress=on_progress)
    local = None
    if local_processes:
        # Fork before the head starts its threads: forking a threaded process is unsafe.
        ctx = multiprocessing.get_context("fork")
        local = ctx.Process(
            target=_local_worker_main,
            args=(WorkerOptions(address=head.address, authkey=authkey,
                                processes=local_processes, connect_timeout=30.0),),
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
        result = head.run(extra_liveness=local_liveness if local else None)
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
    with seen_lock:
        if seen:
            db.record_seen(run.run_id, seen)
            seen.clear()
    if result.aborted:
        db.finish_run(run.run_id, INCOMPLETE)
        return JobOutcome(db.get_run(run.run_id), result, out_dir, False, resumed,
                          defaults.EXIT_INCOMPLETE)
    report = db.report_input(run.run_id)
    failed = any(s.status == "failed" for s in report.summaries.values())
    db.finish_run(run.run_id, FINISHED_FAILED_FILES if failed else FINISHED_OK)
    publish_reports(report, out_dir)
    return JobOutcome(db.get_run(run.run_id), result, out_dir, True, resumed,
                      defaults.EXIT_FILES_FAILED if failed else defaults.EXIT_OK)


def export_report(state_path: str, run_ref: str, out_dir: str) -> tuple[RunRecord, list[str]]:
    """Re-export the CSVs of a past run (``run_ref``: a run id or ``latest``)."""
    db = StateDB(state_path)
    try:
        run_id = db.latest_run_id() if run_ref == "latest" else int(run_ref)
        run = db.get_run(run_id)
        paths = publish_reports(db.report_input(run_id), time.strftime(out_dir))
        return run, paths
    finally:
        db.close()


def list_runs(state_path: str, limit: int = 50) -> list[RunRecord]:
    db = StateDB(state_path)
    try:
        return db.list_runs(limit)
    finally:
        db.close()
