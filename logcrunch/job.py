"""One whole job on the head: lock, state, head, (optionally) local workers, reports.

`run_job` is what `logcrunch submit` and `logcrunch run` call. With ``local_processes`` it forks a
local worker supervisor that connects to the head over loopback with an ephemeral key — the same
queue, the same worker code, no shortcut.

How a job ends (the exit codes cron relies on):

- ``--out`` is checked before anything else: a report that could not be written is an
  `OutDirError` (exit 2) before the walk, not after the scan.
- A run that finished publishes its report and is recorded as finished (ok / files_failed): it is
  the baseline of later incremental runs, and (with its aggregates) one of the baseline runs of
  later runs' changes.csv.
- A run whose roots hold no file at all (nothing read, skipped, failed, unchanged or deferred)
  publishes nothing, leaves the previous report alone, and is recorded ``empty`` (never resumed,
  never a baseline, not ``latest``): exit 4, with a message naming the likely cause.
- A run that could not finish (no worker, a signal, the state database cannot be written) keeps
  what it stored and is recorded incomplete, or left ``running`` when even that cannot be written:
  either way the same command resumes it.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from logcrunch import defaults
from logcrunch.changes import Aggregates, ChangeOptions, ChangeRow, compare
from logcrunch.deltas import Cursor, ReadPlan, fingerprint_path, plan_read
from logcrunch.discover import FoundFile
from logcrunch.dispatch import Dispatcher, LocalWorkers, ServerDispatcher
from logcrunch.head import Head, HeadOptions, HeadResult, Progress
from logcrunch.recorder import RunRecorder
from logcrunch.report import ReportInput, RunInfo, aggregates_of, digest, publish_reports
from logcrunch.scan import is_splittable
from logcrunch.state import (
    EMPTY,
    FINISHED,
    FINISHED_FAILED_FILES,
    FINISHED_OK,
    INCOMPLETE,
    RunLock,
    RunRecord,
    StateDB,
    StateError,
)
from logcrunch.summary import STATUS_FAILED

log = logging.getLogger(__name__)


@dataclass
class JobSpec:
    """One `run` or `submit` job: the head's options, where reports go, the state database, the
    mode."""

    head: HeadOptions
    out_pattern: str  # strftime pattern, expanded when the run starts
    state_path: str
    incremental: bool = False
    fresh: bool = False
    settle_seconds: float = 0.0
    top_templates: int = defaults.TOP_TEMPLATES  # templates.csv rows per (group, level)
    # changes.csv; like --top not part of `fingerprint`: it changes no run's identity
    changes: ChangeOptions = field(default_factory=ChangeOptions)
    html: bool = True  # report.html beside the CSVs (--no-html: none, and an old one removed)
    # Who scans: "basemanager" (the head serves `logcrunch work` over TCP) or "dask" (futures
    # on the Dask scheduler at ``scheduler``; see logcrunch.dask_engine).
    engine: str = defaults.ENGINE_BASEMANAGER
    scheduler: str = ""

    def validate(self) -> None:
        self.head.validate()
        if self.engine not in defaults.ENGINES:
            raise ValueError(f"--engine must be one of {', '.join(defaults.ENGINES)}")
        if self.engine == defaults.ENGINE_DASK and not self.scheduler:
            raise ValueError("--engine dask needs the scheduler's address: --scheduler "
                             "tcp://HOST:8786 (or $LOGCRUNCH_SCHEDULER)")
        self.changes.validate()
        if self.settle_seconds < 0:
            raise ValueError("--settle must be >= 0 seconds")
        if self.top_templates < 1:
            raise ValueError("--top must be at least 1")
        if not self.out_pattern:
            raise ValueError("--out needs a directory")


@dataclass
class JobOutcome:
    """How a job ended: its run, the head's result, what was published, the exit code."""

    run: RunRecord
    result: HeadResult
    out_dir: str
    published: bool
    resumed: bool
    exit_code: int
    nothing_found: str = ""  # with exit 4: what was found instead, and the likely cause
    report: ReportInput | None = None  # what the published report was made of (None: none)


class ReportError(Exception):
    """The reports could not be written; the run's results are kept for a rerun."""


class OutDirError(Exception):
    """``--out`` cannot take the reports; the message says why and what to do (exit 2)."""


def fingerprint(options: HeadOptions) -> dict:
    """What makes two runs "the same command" for resuming and for incremental comparisons.

    The split size is part of it: stored byte ranges of one layout cannot be joined with another's.
    The read buffer size is not: it changes no number, and a new default must not make every
    incremental run start from scratch or orphan an unfinished run. Nor are the caps on metric
    names and decompression when they are at their defaults: runs from before the caps existed
    (which only hostile files tell apart) stay the same command. What only shapes the reports
    (--top, --baseline, --change-ratio, --change-min-lines) is not in it: those live in JobSpec,
    so changing them changes neither what resumes nor which runs changes.csv compares.
    """
    scan = dataclasses.asdict(options.scan)
    scan.pop("chunk_size")
    for name, default in (("max_metrics", defaults.MAX_METRICS),
                          ("max_expansion", defaults.MAX_EXPANSION)):
        if scan.get(name) == default:
            del scan[name]
    return {"scan": scan, "walk": dataclasses.asdict(options.walk),
            "split_bytes": options.split_bytes}


def check_out_dir(out_dir: str) -> None:
    """Raise OutDirError now if the reports could not be written to ``out_dir`` later.

    An existing directory must take a new file (tried with a temporary file, removed at once); a
    missing one must be creatable: its nearest existing ancestor must be a writable directory.
    Nothing is created, so a run that fails later leaves no trace here.
    """
    path = os.path.abspath(out_dir)
    if os.path.lexists(path):
        if not os.path.isdir(path):
            raise OutDirError(f"--out {out_dir} exists and is not a directory; give a directory "
                              "(it is created if missing), or move that file away")
        try:
            fd, probe = tempfile.mkstemp(prefix=".logcrunch-probe.", dir=path)
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            raise OutDirError(f"--out {out_dir}: cannot write there ({_why(exc)}); give a "
                              "directory you can write, or fix its permissions") from None
        return
    ancestor = os.path.dirname(path)
    while not os.path.lexists(ancestor):
        ancestor = os.path.dirname(ancestor)
    if not os.path.isdir(ancestor):
        raise OutDirError(f"--out {out_dir} cannot be created: {ancestor} is not a directory; "
                          "give another --out")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        read_only = os.statvfs(ancestor).f_flag & os.ST_RDONLY
        why = "read-only file system" if read_only else "permission denied"
        raise OutDirError(f"--out {out_dir} cannot be created: {ancestor} is not writable ({why}); "
                          "give a directory you can write, or fix its permissions")


def _why(exc: OSError) -> str:
    return exc.strerror.lower() if exc.strerror else str(exc)


def nothing_found_message(roots: list[str], passed_over: dict[str, int]) -> str:
    """Why a run found no file, as far as the walk can tell."""
    message = f"found no files under {' '.join(roots)}"
    if not passed_over:
        return message + " (is the share mounted? is it the right directory?)"
    described = {"not included": "not matching --include", "excluded": "matching --exclude",
                 "hidden": "hidden (--hidden takes them)",
                 "symlinks not followed": "symlinks not followed (see --follow-symlinks)",
                 "dangling symlinks": "dangling symlinks"}
    details = ", ".join(f"{count} {described.get(what, what)}"
                        for what, count in sorted(passed_over.items()))
    question = " (do --include/--exclude match anything?)" \
        if {"not included", "excluded"} & passed_over.keys() else ""
    return f"{message}; passed over: {details}{question}"


def run_job(spec: JobSpec, authkey: bytes, local_processes: int | None = None,
            on_progress: Callable[[Progress], None] | None = None,
            on_head_ready: Callable[[Head], None] | None = None,
            local_workers: LocalWorkers | None = None) -> JobOutcome:
    """Run (or resume) one job to the end and publish its reports.

    Raises OutDirError when ``--out`` cannot take the reports (before anything is touched),
    LockHeld when another run holds the state lock (nothing is touched then), StateError when the
    state database is unusable or cannot be written (one line saying what to do; the run is left
    resumable), ReportError when the reports cannot be written. Reports are published only for
    runs that finished; an aborted run keeps what it did in the state database (run the same
    command again to resume) and leaves the previous report alone, as does a run that found no
    file (exit 4).

    ``local_workers``: `logcrunch run`'s supervisor, forked early (else one of
    ``local_processes`` is forked when the head starts); the job owns it from here on.
    """
    try:
        spec.validate()
        out_dir = time.strftime(spec.out_pattern)
        check_out_dir(out_dir)
        with RunLock(spec.state_path):
            db = StateDB(spec.state_path)
            try:  # closed before the lock is released: see RunLock
                return _run_locked(spec, out_dir, db, authkey, local_processes, on_progress,
                                   on_head_ready, local_workers)
            finally:
                db.close()
    finally:
        if local_workers is not None:  # (a no-op once the head has stopped it)
            local_workers.abandon()


def _run_locked(spec: JobSpec, out_dir: str, db: StateDB, authkey: bytes,
                local_processes: int | None, on_progress, on_head_ready,
                local_workers: LocalWorkers | None) -> JobOutcome:
    options = spec.head
    roots = list(options.roots)
    same_command = fingerprint(options)
    if spec.settle_seconds:
        options = dataclasses.replace(options, walk=dataclasses.replace(
            options.walk, modified_before=time.time() - spec.settle_seconds))
    # The dispatcher binds its port (or reaches the Dask scheduler) here, before the run is
    # recorded: a bad --bind or an unreachable scheduler leaves no trace.
    dispatcher = _dispatcher(spec, authkey, local_processes, local_workers)
    try:
        run, resumed = db.start_run(roots, same_command, spec.incremental, out_dir, spec.fresh)
    except BaseException:
        dispatcher.close()
        raise
    try:
        recorder = RunRecorder(db, run.run_id, options.scan)
        cursors = db.command_cursors(roots, same_command) if spec.incremental else None
        head = Head(options, dispatcher, recorder,
                    plan=_planner(cursors, bool(spec.settle_seconds)) if spec.incremental
                    else None, on_progress=on_progress)
        if resumed:
            log.info("resuming run %d: %d files already done", run.run_id, len(head.resume))
        if on_head_ready:
            on_head_ready(head)
        result = head.run()
        if recorder.failures:
            raise recorder.failures[0]
        recorder.flush()
        exit_code, nothing_found, report = _conclude(db, run.run_id, result, bool(head.resume),
                                                     roots, out_dir, spec)
    except BaseException:
        dispatcher.close()  # (idempotent; the head closes it when it ran)
        _mark_incomplete(db, run.run_id)
        raise
    published = exit_code in (defaults.EXIT_OK, defaults.EXIT_FILES_FAILED)
    return JobOutcome(db.get_run(run.run_id), result, out_dir, published, resumed, exit_code,
                      nothing_found, report)


def _dispatcher(spec: JobSpec, authkey: bytes, local_processes: int | None,
                local_workers: LocalWorkers | None = None) -> Dispatcher:
    """What gets the run's tasks scanned (logcrunch.dispatch), bound or connected."""
    if spec.engine == defaults.ENGINE_DASK:
        from logcrunch.dask_engine import DaskDispatcher  # imports dask only when asked for

        dispatcher = DaskDispatcher(spec.scheduler, spec.head.worker_timeout)
        dispatcher.connect()
        return dispatcher
    local = local_workers
    if local is not None:  # forked before the database was opened: it inherited none of it
        local.authkey = authkey
    elif local_processes:
        local = LocalWorkers(local_processes, authkey, spec.state_path)
    return ServerDispatcher(spec.head.bind, authkey, local)


def _planner(cursors: dict[tuple[int, int], Cursor], settled: bool):
    """The head's ``plan`` hook of an incremental run: deltas.plan_read with the cursors of the
    command's finished runs; the head reads a few bytes of a grown file to check it."""
    def plan(found: FoundFile) -> ReadPlan:
        cursor = cursors.get((found.device, found.inode))
        compressed = cursor is not None and not is_splittable(found.path)
        return plan_read(found.size, found.mtime_ns, cursor, compressed, settled,
                         lambda offset: fingerprint_path(found.path, offset))
    return plan


def _conclude(db: StateDB, run_id: int, result: HeadResult, has_stored: bool, roots: list[str],
              out_dir: str, spec: JobSpec) -> tuple[int, str, ReportInput | None]:
    """Record how the run ended, publishing its report if it finished; (exit code, for exit
    4 the message, the published report's input)."""
    if result.aborted:
        db.finish_run(run_id, INCOMPLETE)
        return defaults.EXIT_INCOMPLETE, "", None
    if result.found_nothing:
        # Results an earlier attempt stored stay resumable; with none, nothing to resume.
        db.finish_run(run_id, INCOMPLETE if has_stored else EMPTY, ())
        return defaults.EXIT_NO_FILES, nothing_found_message(roots, result.passed_over), None
    report = db.report_input(run_id)
    failed = bool(digest(report).statuses[STATUS_FAILED])
    status = FINISHED_FAILED_FILES if failed else FINISHED_OK
    aggregates = aggregates_of(report)
    # report.html says how the run ended; the state records the same end time, so that
    # `logcrunch report` re-creates the page byte for byte.
    ended = time.time()
    run = db.get_run(run_id)
    run_info = RunInfo(run_id, tuple(run.roots), run.started, ended, status)
    try:
        publish_reports(report, out_dir, top=spec.top_templates, html=spec.html,
                        run_info=run_info,
                        changes=_changes(db, run_id, report, spec.changes, aggregates))
    except OSError as exc:
        raise ReportError(f"cannot write the report to {out_dir}: {exc}. The results are "
                          "kept: fix that and run the same command again") from None
    # Finished only once the report is out: an unpublished run is resumed next time, and is
    # never the baseline of an incremental run.
    db.finish_run(run_id, status, report.summaries.values(), aggregates, ended=ended)
    return (defaults.EXIT_FILES_FAILED if failed else defaults.EXIT_OK), "", report


def _changes(db: StateDB, run_id: int, report: ReportInput, options: ChangeOptions,
             tonight: Aggregates | None = None) -> list[ChangeRow] | None:
    """changes.csv's rows: the run against the finished runs of the same command before it;
    None without any such run (nothing to compare with)."""
    baselines = [db.aggregates(earlier)
                 for earlier in db.baseline_runs(run_id, options.baseline_runs)]
    if not baselines:
        return None
    if tonight is None:
        tonight = aggregates_of(report)
    return compare(tonight, baselines, options.ratio, options.min_lines)


def _mark_incomplete(db: StateDB, run_id: int) -> None:
    """Best effort: on a full or read-only disk the run stays "running", which the same command
    resumes just the same (the lock, not the status, keeps two runs apart)."""
    try:
        db.finish_run(run_id, INCOMPLETE)
    except Exception as exc:  # the error being raised already says what went wrong
        log.debug("could not mark run %d incomplete: %s", run_id, exc)


def export_report(state_path: str, run_ref: str, out_dir: str, allow_incomplete: bool = False,
                  top: int = defaults.TOP_TEMPLATES, changes: ChangeOptions | None = None,
                  html: bool = True) -> tuple[RunRecord, list[str]]:
    """Re-export the CSVs (and with ``html`` report.html) of a past run (``run_ref``: a run id,
    or ``latest``: the latest run that finished); its changes.csv compares it with the finished
    runs before it.

    A run that did not finish is refused unless ``allow_incomplete``; then its report is written
    without the ``_SUCCESS`` marker. A run that found nothing has no report to export.
    """
    out_dir = time.strftime(out_dir)
    check_out_dir(out_dir)
    db = StateDB(state_path, create=False)
    try:
        run_id = db.latest_run_id() if run_ref == "latest" else int(run_ref)
        run = db.get_run(run_id)
        finished = run.status in FINISHED
        if run.status == EMPTY:
            raise StateError(f"run {run_id} found no files; it has no report to export")
        if not finished and not allow_incomplete:
            raise StateError(f"run {run_id} is {run.status}, its report would be partial; run the "
                             "same command again to resume it, or pass --allow-incomplete")
        report = db.report_input(run_id)
        rows = _changes(db, run_id, report, changes or ChangeOptions())
        run_info = RunInfo(run.run_id, tuple(run.roots), run.started, run.ended, run.status)
        paths = publish_reports(report, out_dir, success_marker=finished, top=top, changes=rows,
                                html=html, run_info=run_info)
        return run, paths
    finally:
        db.close()


def list_runs(state_path: str, limit: int = 50) -> list[RunRecord]:
    db = StateDB(state_path, create=False)
    try:
        return db.list_runs(limit)
    finally:
        db.close()
