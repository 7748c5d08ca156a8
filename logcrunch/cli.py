"""The `logcrunch` command line: parse options, build a config, call one core function.

Importing this module imports click and little else: each command imports the core modules it
calls, so `logcrunch --help` or `logcrunch runs` never loads the scanner, and `logcrunch run`
forks its local worker supervisor before the rest of logcrunch is imported (see `run`).
"""

from __future__ import annotations

import contextlib
import csv
import logging
import os
import signal
import sys
import time
from collections import Counter
from typing import TYPE_CHECKING

import click

from logcrunch import __version__, defaults
from logcrunch.defaults import DEFAULT_STATE_PATH, ENGINE_BASEMANAGER, ENGINE_DASK, ENGINES, STATE_ENV
from logcrunch.stamps import check_zone, local_zone_name

if TYPE_CHECKING:
    from logcrunch.changes import ChangeOptions
    from logcrunch.head import HeadOptions, Progress
    from logcrunch.job import JobOutcome, JobSpec
    from logcrunch.local_workers import LocalWorkers
    from logcrunch.scan import ScanConfig

log = logging.getLogger("logcrunch")

PROGRESS_ENV = "LOGCRUNCH_PROGRESS_SECONDS"
MIN_PROGRESS_SECONDS = 0.5  # the head reports progress twice a second


# ----- shared option groups ------------------------------------------------------------------


def _options(*decorators):
    """Several click options as one decorator (applied in the order listed)."""

    def apply(func):
        for decorator in reversed(decorators):
            func = decorator(func)
        return func

    return apply


scan_options = _options(
    click.option("--error-pattern", "error_patterns", multiple=True, metavar="REGEX",
                 help="A line matching REGEX is an error line, whatever its level. Repeatable."),
    click.option("--warn-pattern", "warn_patterns", multiple=True, metavar="REGEX",
                 help="A line matching REGEX is a warning line (error patterns win). Repeatable."),
    click.option("--metric", "metric_specs", multiple=True, metavar="NAME=REGEX",
                 help="Extra metric: each match of REGEX's one capture group is a sample of NAME."),
    click.option("--no-default-levels", is_flag=True,
                 help="Classify lines only by --error-pattern/--warn-pattern."),
    click.option("--max-metrics", type=click.IntRange(min=1), default=defaults.MAX_METRICS,
                 show_default=True, metavar="N",
                 help="Distinct metric names kept per file: the alphabetically first N; samples "
                      "of the others are counted in files.csv's samples_over_metric_cap."),
    click.option("--max-expansion", type=click.IntRange(min=1), default=defaults.MAX_EXPANSION,
                 show_default=True, metavar="RATIO",
                 help="A compressed file that decompresses to more than RATIO times its size "
                      f"(past the first {defaults.EXPANSION_FLOOR_BYTES >> 20} MiB) fails as a "
                      "compression bomb."),
    click.option("--timezone", envvar="LOGCRUNCH_TIMEZONE", metavar="ZONE",
                 help="IANA zone that stamps without an offset are read in (or "
                      "$LOGCRUNCH_TIMEZONE; default this machine's zone, "
                      f"{local_zone_name()} here). Reports are in UTC."),
    click.option("--metric-include", multiple=True, metavar="GLOB",
                 help="Only keys matching GLOB are metrics (repeatable; also re-admits "
                      "identifier keys like pid)."),
    click.option("--metric-exclude", multiple=True, metavar="GLOB",
                 help="Keys matching GLOB are not metrics (repeatable; wins over "
                      "--metric-include)."),
)

report_options = _options(
    click.option("--top", "top_templates", type=click.IntRange(min=1),
                 default=defaults.TOP_TEMPLATES, show_default=True, metavar="N",
                 help="templates.csv rows per group and level, before one '(other templates)' "
                      "row with the exact rest."),
    click.option("--baseline", "baseline_runs", type=int,
                 default=defaults.CHANGE_BASELINE_RUNS, show_default=True, metavar="N",
                 help="changes.csv compares the run with up to N earlier finished runs of the "
                      "same command and mode (0: no comparison, only the header)."),
    click.option("--change-ratio", type=float, default=defaults.CHANGE_RATIO, show_default=True,
                 metavar="R",
                 help="changes.csv: up is at least R times the baseline, down at most 1/R of it "
                      "(R > 1)."),
    click.option("--change-min-lines", type=int, default=defaults.CHANGE_MIN_LINES,
                 show_default=True, metavar="M",
                 help="changes.csv: up and down also need at least M lines of difference."),
    click.option("--no-html", "no_html", is_flag=True,
                 help="Write only the CSVs, no report.html (an older report.html there is "
                      "removed)."),
)


walk_options = _options(
    click.option("--include", multiple=True, metavar="GLOB",
                 help="Only files whose name (or path below the root, if GLOB has a /) matches."),
    click.option("--exclude", multiple=True, metavar="GLOB",
                 help="Skip files and directories matching GLOB. Repeatable."),
    click.option("--hidden", is_flag=True, help="Also scan hidden files and directories."),
    click.option("--follow-symlinks", is_flag=True,
                 help="Follow symbolic links (each directory is still entered once)."),
)


head_options = _options(
    click.option("--out", "out_dir", required=True, metavar="DIR",
                 help="Directory for the CSV reports and report.html; strftime patterns "
                      "allowed (/srv/reports/%Y-%m-%d)."),
    click.option("--worker-timeout", type=float, default=defaults.WORKER_TIMEOUT,
                 show_default=True, metavar="SECONDS",
                 help="Give up (exit 1) when no worker has been seen for this long."),
    click.option("--max-attempts", type=int, default=defaults.MAX_ATTEMPTS, show_default=True,
                 help="A file whose worker dies this many times is marked failed."),
    click.option("--file-timeout", type=float, default=defaults.FILE_TIMEOUT, show_default=True,
                 metavar="SECONDS",
                 help="Kill a worker process that spends longer on one file (a hung NFS read, "
                      "a pathological file) and retry it elsewhere; 0: no limit."),
    click.option("--lease-seconds", type=float, default=defaults.LEASE_SECONDS,
                 show_default=True, help="How long a silent worker keeps its tasks."),
    click.option("--split-size", type=int, default=defaults.SPLIT_MIN_BYTES, show_default=True,
                 metavar="BYTES", help="Plain files larger than this are split across workers."),
    click.option("--state", "state_path", envvar=STATE_ENV, metavar="PATH",
                 help=f"State database (or ${STATE_ENV}; default {DEFAULT_STATE_PATH}); its "
                      "lock sits beside it. Must be on a local disk."),
    click.option("--incremental", is_flag=True,
                 help="Only files new or changed since the last finished run over these roots."),
    click.option("--fresh", is_flag=True,
                 help="Start over instead of resuming an unfinished run of the same command."),
    click.option("--settle", type=float, default=0.0, metavar="SECONDS",
                 help="Leave files modified in the last SECONDS for the next run."),
    click.option("-q", "--quiet", is_flag=True, help="Print only warnings and errors."),
    scan_options,
    walk_options,
    report_options,
)


authkey_option = _options(
    click.option("--authkey-file", envvar=defaults.AUTHKEY_ENV, metavar="PATH",
                 help=f"Shared key file (or ${defaults.AUTHKEY_ENV}; default "
                      f"{defaults.AUTHKEY_DEFAULT_PATH})."),
)


# ----- helpers -------------------------------------------------------------------------------


def _setup_logging(quiet: bool) -> None:
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO, stream=sys.stderr,
                        format="%(asctime)s logcrunch %(levelname)s %(message)s", force=True)


def _scan_config(kw) -> ScanConfig:
    """The ScanConfig of the scan options in ``kw``, validated (a bad value is a usage error
    naming its option)."""
    from logcrunch.scan import ScanConfig

    metrics = []
    for spec in kw["metric_specs"]:
        name, sep, regex = spec.partition("=")
        if not sep or not name or not regex:
            raise click.BadParameter(f"{spec!r}: write NAME=REGEX, e.g. 'latency=took (\\d+)ms'",
                                     param_hint="--metric")
        metrics.append((name, regex))
    zone = kw["timezone"] or local_zone_name()
    problem = check_zone(zone)
    if problem:
        raise click.BadParameter(problem, param_hint="--timezone")
    config = ScanConfig(error_patterns=tuple(kw["error_patterns"]),
                        warn_patterns=tuple(kw["warn_patterns"]), metric_patterns=tuple(metrics),
                        default_levels=not kw["no_default_levels"],
                        max_metrics=kw["max_metrics"], max_expansion=kw["max_expansion"],
                        timezone=zone, metric_include=tuple(kw["metric_include"]),
                        metric_exclude=tuple(kw["metric_exclude"]))
    try:
        config.validate()
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    return config


def _head_options(roots, kw, bind) -> HeadOptions:
    """Build and validate HeadOptions; reads the head, scan and walk keys of ``kw``."""
    from logcrunch.discover import WalkOptions
    from logcrunch.head import HeadOptions, unique_roots

    options = HeadOptions(
        roots=unique_roots(roots), bind=bind,
        walk=WalkOptions(include=tuple(kw["include"]), exclude=tuple(kw["exclude"]),
                         hidden=kw["hidden"], follow_symlinks=kw["follow_symlinks"]),
        scan=_scan_config(kw),
        worker_timeout=kw["worker_timeout"], lease_seconds=kw["lease_seconds"],
        max_attempts=kw["max_attempts"], file_timeout=kw["file_timeout"],
        split_bytes=kw["split_size"],
    )
    try:
        options.validate()
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    return options


def _load_authkey(path_option: str | None) -> bytes:
    from logcrunch.authkey import AuthKeyError, load_key, resolve_key_path

    path = resolve_key_path(path_option)
    try:
        return load_key(path)
    except AuthKeyError as exc:
        raise click.UsageError(str(exc)) from None


class _ProgressView:
    """On a terminal, a tqdm bar in bytes; without one (cron, pipes) a log line every so often
    and one at the end. All on stderr; nothing with --quiet."""

    def __init__(self, quiet: bool, interval: float = defaults.PROGRESS_LOG_SECONDS) -> None:
        self.bar = None
        self.quiet = quiet
        self.interval = interval
        self.use_bar = not quiet and sys.stderr.isatty()
        self.last_line = time.monotonic()
        self.latest: Progress | None = None
        self.latest_printed = False

    def __call__(self, progress: Progress) -> None:
        self.latest, self.latest_printed = progress, False
        if self.quiet:
            return
        if self.use_bar:
            self._update_bar(progress)
        elif time.monotonic() - self.last_line >= self.interval:
            self._print_line(progress)

    def _update_bar(self, progress: Progress) -> None:
        totals = progress.totals
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=totals.bytes_total, unit="B", unit_scale=True,
                            desc="scanning", dynamic_ncols=True, file=sys.stderr)
        self.bar.total = totals.bytes_total
        self.bar.n = totals.bytes_done
        self.bar.set_postfix_str(
            f"files {totals.files_done}/{totals.files_found}{'+' if progress.walking else ''}, "
            f"{progress.workers_active} workers, {totals.files_failed} failed", refresh=False)
        self.bar.refresh()

    def _print_line(self, progress: Progress) -> None:
        from logcrunch.progress import progress_line

        self.last_line = time.monotonic()
        self.latest_printed = True
        log.info("progress: %s", progress_line(progress.totals, progress.workers_active,
                                               progress.rate, progress.eta, progress.walking))

    def logging_redirected(self):
        """While the bar is up, log lines go through tqdm so they do not tear the bar."""
        if not self.use_bar:
            return contextlib.nullcontext()
        from tqdm.contrib.logging import logging_redirect_tqdm

        return logging_redirect_tqdm()

    def close(self) -> None:
        """Close the bar, or print the last line (how the run ended) if not printed yet."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        elif not self.quiet and not self.use_bar and self.latest is not None and \
                not self.latest_printed:
            self._print_line(self.latest)


def _progress_interval() -> float:
    """Seconds between progress lines without a terminal ($LOGCRUNCH_PROGRESS_SECONDS)."""
    text = os.environ.get(PROGRESS_ENV, "")
    if not text:
        return defaults.PROGRESS_LOG_SECONDS
    try:
        seconds = float(text)
    except ValueError:
        seconds = float("nan")
    if not seconds >= MIN_PROGRESS_SECONDS:  # (also NaN)
        raise click.UsageError(f"${PROGRESS_ENV} must be a number of seconds, at least "
                               f"{MIN_PROGRESS_SECONDS:g}")
    return seconds


def _change_options(kw) -> ChangeOptions:
    """The changes.csv options of ``kw``, validated (a bad value is a usage error)."""
    from logcrunch.changes import ChangeOptions

    options = ChangeOptions(baseline_runs=kw["baseline_runs"], ratio=kw["change_ratio"],
                            min_lines=kw["change_min_lines"])
    try:
        options.validate()
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    return options


def _job_spec(options: HeadOptions, out_dir: str, kw) -> JobSpec:
    from logcrunch.job import JobSpec
    from logcrunch.state import default_state_path

    spec = JobSpec(head=options, out_pattern=out_dir,
                   state_path=os.path.expanduser(kw["state_path"] or default_state_path()),
                   incremental=kw["incremental"], fresh=kw["fresh"],
                   settle_seconds=kw["settle"], top_templates=kw["top_templates"],
                   changes=_change_options(kw), html=not kw["no_html"])
    try:
        spec.validate()
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    return spec


def _run_head(spec: JobSpec, authkey: bytes, quiet: bool, local_processes: int | None,
              local_workers: LocalWorkers | None = None) -> None:
    from logcrunch.dispatch import EngineUnavailable
    from logcrunch.job import OutDirError, ReportError, run_job
    from logcrunch.recap import RecapOptions, run_recap
    from logcrunch.state import LockHeld, StateError
    from logcrunch.transport import BindError

    view = _ProgressView(quiet, _progress_interval())

    def install_signals(head) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda signum, _f: head.request_stop(
                f"stopped by {signal.Signals(signum).name}"))
        if spec.engine == ENGINE_DASK:
            log.info("sending the files to the Dask scheduler at %s", spec.scheduler)
        elif local_processes is None:
            host, port = head.address
            log.info("serving on %s:%d; start workers with: logcrunch work --server HOST:%d",
                     host, port, port)

    started = time.monotonic()
    try:
        with view.logging_redirected():
            outcome = run_job(spec, authkey, local_processes=local_processes,
                              on_progress=view, on_head_ready=install_signals,
                              local_workers=local_workers)
    except LockHeld as exc:
        _fail(str(exc), defaults.EXIT_LOCKED)
    except (BindError, OutDirError) as exc:
        raise click.UsageError(str(exc)) from None
    except EngineUnavailable as exc:  # say, the scheduler is unreachable: nothing recorded
        _fail(str(exc), defaults.EXIT_INCOMPLETE)
    except StateError as exc:  # one line, no traceback: it says what to do
        _fail(str(exc), defaults.EXIT_INCOMPLETE)
    except (ReportError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        view.close()
    seconds = time.monotonic() - started
    if outcome.report is not None:  # (info lines: --quiet leaves them out)
        html = os.path.join(outcome.out_dir, "report.html")
        for line in run_recap(outcome.report, RecapOptions(
                outcome.run.run_id, seconds, outcome.out_dir,
                html_report=html if os.path.isfile(html) else "", resumed=outcome.resumed)):
            log.info("%s", line)
    _log_outcome(outcome, spec, seconds)
    sys.exit(outcome.exit_code)


def _fail(message: str, exit_code: int) -> None:
    click.echo(f"logcrunch: {message}", err=True)
    sys.exit(exit_code)


def _log_outcome(outcome: JobOutcome, spec: JobSpec, seconds: float) -> None:
    result = outcome.result
    # The counts are the run's, earlier attempts too; a walk that found nothing has none of
    # them (what an earlier attempt stored stays for a resume, but this one found no file).
    nothing = result.found_nothing
    counts = Counter() if nothing else result.file_counts
    files, deferred_files = (0, 0) if nothing else (result.files, result.deferred)
    unchanged = f", {result.unchanged} unchanged" if spec.incremental else ""
    deferred = f", {deferred_files} deferred" if spec.settle_seconds else ""
    if outcome.report is None:  # else the summary printed after this says it all
        log.info("run %d%s: %d files (%d ok, %d skipped, %d failed%s%s) in %.1f s",
                 outcome.run.run_id, " (resumed)" if outcome.resumed else "",
                 files, counts["ok"], counts["skipped"], counts["failed"],
                 unchanged, deferred, seconds)
    if result.rejected_results:
        log.info("dropped %d late or duplicate results (each file is counted once)",
                 result.rejected_results)
    if deferred_files:
        # Worth a warning only when the report covers nothing else: --settle too long?
        level = logging.INFO if files or result.unchanged else logging.WARNING
        log.log(level, "%d files deferred by --settle (modified in the last %g s); the next run "
                "reads them", deferred_files, spec.settle_seconds)
    if result.aborted:
        log.error("run %d did not finish: %s. Its results so far are kept: run the same "
                  "command again to resume", outcome.run.run_id, result.aborted)
    elif outcome.nothing_found:
        log.error("%s. Nothing was written: the previous report in %s is left as it was",
                  outcome.nothing_found, outcome.out_dir)
    else:
        if outcome.report is None:
            log.info("wrote %s", outcome.out_dir)
        if outcome.exit_code == defaults.EXIT_FILES_FAILED:
            log.warning("some files failed; see the error column of %s",
                        os.path.join(outcome.out_dir, "files.csv"))


# ----- commands ------------------------------------------------------------------------------


def _usable_cpus() -> int:
    """CPUs this process may run on (taskset, cpusets), not all the machine has."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="logcrunch")
def cli() -> None:
    """Crunch a tree of cluster logs into CSV reports (files, metrics, summary).

    \b
    One machine:   logcrunch run /mnt/shared/logs --out report
    A cluster:     logcrunch submit /mnt/shared/logs --out report   (on the head)
                   logcrunch work --server head01                  (on every node)
    """


@cli.command()
@click.argument("roots", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("-j", "--processes", type=click.IntRange(min=1), default=_usable_cpus(),
              show_default=True, help="Local worker processes.")
@head_options
def run(roots, processes, out_dir, quiet, **kw):
    """Scan ROOTS on this machine with N local worker processes and write the reports.

    Uses the same queue and worker code as a cluster run, over loopback with a random
    one-time key.

    Exit codes: 0 done, 3 some files failed, 4 no file found under ROOTS (nothing written),
    1 could not finish (run it again to resume), 2 usage, 75 another run holds the state lock.

    \b
    Example:
      logcrunch run sample_logs --out report -j 2
    """
    # The worker supervisor is forked first, before anything else is imported or opened: it
    # imports the worker's modules on another core while this process imports the head's,
    # opens the state database and walks the roots; it connects once there is work.
    from logcrunch.local_workers import LocalWorkers

    workers = LocalWorkers(processes)
    workers.fork()
    try:
        from logcrunch.authkey import ephemeral_key

        _setup_logging(quiet)
        spec = _job_spec(_head_options(roots, kw, ("127.0.0.1", 0)), out_dir, kw)
        _run_head(spec, ephemeral_key(), quiet, local_processes=processes,
                  local_workers=workers)
    finally:
        workers.abandon()  # (a no-op once the job has stopped it)


@cli.command()
@click.argument("roots", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--bind", default=f"0.0.0.0:{defaults.DEFAULT_PORT}", show_default=True,
              envvar="LOGCRUNCH_BIND", metavar="HOST:PORT",
              help="Interface and port to serve workers on (the authkey guards it).")
@authkey_option
@click.option("--engine", type=click.Choice(ENGINES), default=ENGINE_BASEMANAGER,
              show_default=True,
              help="Who scans: `logcrunch work` nodes (basemanager), or the workers of a Dask "
                   "cluster (dask, with --scheduler; needs logcrunch[dask]).")
@click.option("--scheduler", envvar="LOGCRUNCH_SCHEDULER", metavar="ADDRESS",
              help="With --engine dask: the Dask scheduler (or $LOGCRUNCH_SCHEDULER), e.g. "
                   "tcp://HOST:8786.")
@head_options
def submit(roots, bind, authkey_file, engine, scheduler, out_dir, quiet, **kw):
    """Serve ROOTS' files to workers on other nodes, collect their summaries, write the reports.

    Only paths travel to workers; they read the files from the shared disk. Exit codes as for
    `logcrunch run`. With --engine dask the files are scanned on a Dask cluster's workers
    (logcrunch installed there) instead; an unreachable scheduler exits 1.

    \b
    Example:
      logcrunch submit /mnt/shared/logs --out /srv/reports/today --bind 10.0.0.1:50070
      logcrunch submit /mnt/shared/logs --out report --engine dask --scheduler tcp://sched:8786
    """
    from logcrunch.transport import parse_address

    _setup_logging(quiet)
    try:
        address = parse_address(bind, defaults.DEFAULT_PORT)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--bind") from None
    spec = _job_spec(_head_options(roots, kw, address), out_dir, kw)
    spec.engine, spec.scheduler = engine, scheduler or ""
    authkey = b""
    if engine == ENGINE_DASK:
        _check_dask(scheduler)
    else:
        authkey = _load_authkey(authkey_file)
    _run_head(spec, authkey, quiet, local_processes=None)


def _check_dask(scheduler: str | None) -> None:
    """--engine dask: a usage error (exit 2) without --scheduler or without Dask installed."""
    from logcrunch.dask_engine import DaskMissing, check_scheduler_address, require_dask

    if not scheduler:
        raise click.UsageError("--engine dask needs the scheduler's address: add --scheduler "
                               "tcp://HOST:8786 (or set $LOGCRUNCH_SCHEDULER)")
    try:
        check_scheduler_address(scheduler)
        require_dask()
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--scheduler") from None
    except DaskMissing as exc:
        raise click.UsageError(str(exc)) from None


class _AllowedRoot(click.Path):
    """An existing directory, absolute; from the environment, a ':'-separated list."""

    envvar_list_splitter = os.pathsep

    def __init__(self) -> None:
        super().__init__(exists=True, file_okay=False, dir_okay=True)


@cli.command()
@click.option("--server", required=True, envvar="LOGCRUNCH_SERVER", metavar="HOST[:PORT]",
              help=f"The head (`logcrunch submit`) to work for; port {defaults.DEFAULT_PORT} "
                   "by default.")
@authkey_option
@click.option("-j", "--processes", type=click.IntRange(min=1), default=_usable_cpus(),
              show_default=True, help="Scanning processes on this node.")
@click.option("--path-map", multiple=True, metavar="HEADPREFIX=LOCALPREFIX",
              help="This node mounts the share elsewhere: rewrite path prefixes. Repeatable.")
@click.option("--allow-root", "allow_roots", multiple=True, envvar="LOGCRUNCH_ALLOW_ROOT",
              type=_AllowedRoot(), metavar="DIR",
              help="Read only files below DIR (repeatable; $LOGCRUNCH_ALLOW_ROOT takes a "
                   "':'-separated list). Without it, only below the roots the head announces for "
                   "the job; a path outside is refused and reported as a failed file.")
@click.option("--forever", is_flag=True,
              help="Keep serving job after job (for a systemd unit) instead of exiting.")
@click.option("--connect-timeout", type=float, default=defaults.CONNECT_RETRY_SECONDS,
              show_default=True, metavar="SECONDS",
              help="How long to keep retrying an absent or lost head before giving up.")
@click.option("-q", "--quiet", is_flag=True, help="Print only warnings and errors.")
def work(server, authkey_file, processes, path_map, allow_roots, forever, connect_timeout, quiet):
    """Take file paths from the head, scan them from the shared disk, send summaries back.

    Exits 0 when the head says the job is done; non-zero with a message when the head cannot be
    reached within --connect-timeout or the keys differ.

    Reads only regular files below --allow-root (or, without it, below the roots the head
    announces), never following a symlink unless the head's walk does (--follow-symlinks), and
    only the file the walk saw (same inode); anything else is reported as a failed file.

    \b
    Example:
      logcrunch work --server head01:50070 -j 8 --allow-root /mnt/shared/logs
    """
    from logcrunch.transport import parse_address
    from logcrunch.worker import WorkerError, WorkerOptions, run_worker

    _setup_logging(quiet)
    try:
        address = parse_address(server, defaults.DEFAULT_PORT)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--server") from None
    mappings = []
    for spec in path_map:
        head_prefix, sep, local_prefix = spec.partition("=")
        if not sep or not head_prefix or not local_prefix:
            raise click.BadParameter(f"{spec!r}: write HEADPREFIX=LOCALPREFIX, e.g. "
                                     "/mnt/shared/logs=/data/logs", param_hint="--path-map")
        mappings.append((head_prefix, local_prefix))
    options = WorkerOptions(address=address, authkey=_load_authkey(authkey_file),
                            processes=processes, path_map=tuple(mappings),
                            allow_roots=tuple(allow_roots), forever=forever,
                            connect_timeout=connect_timeout)
    try:
        options.validate()
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    log.info("working for %s:%d with %d processes", address[0], address[1], processes)
    try:
        run_worker(options, on_event=lambda message: log.warning("%s", message))
    except WorkerError as exc:
        raise click.ClickException(str(exc)) from None
    log.info("job done")


@cli.command()
@click.argument("path", required=False, type=click.Path())
@click.option("--force", is_flag=True, help="Replace an existing key file.")
def keygen(path, force):
    """Write a new random authkey to PATH (default ~/.config/logcrunch/authkey), mode 0600.

    Copy the same file to every node (or keep it on a shared home directory).

    \b
    Example:
      logcrunch keygen ~/.config/logcrunch/authkey
    """
    from logcrunch.authkey import AuthKeyError, generate_key, resolve_key_path

    target = path or resolve_key_path(None)
    try:
        written = generate_key(target, overwrite=force)
    except (AuthKeyError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote a new authkey to {written} (mode 0600); copy it to every node")


state_option = _options(
    click.option("--state", "state_path", envvar=STATE_ENV, metavar="PATH",
                 help=f"State database (or ${STATE_ENV}; default {DEFAULT_STATE_PATH})."),
)


@cli.command("report")
@click.option("--run", "run_ref", default="latest", show_default=True, metavar="ID|latest",
              help="Which run to export (latest: the latest that finished).")
@click.option("--out", "out_dir", required=True, metavar="DIR",
              help="Where to write the CSVs and report.html (strftime patterns allowed).")
@click.option("--allow-incomplete", is_flag=True,
              help="Also export a run that did not finish (written without _SUCCESS).")
@state_option
@report_options
def report_command(run_ref, out_dir, allow_incomplete, state_path, top_templates, no_html, **kw):
    """Re-export the CSV reports and report.html of a past run from the state database.

    `latest` is the latest run that finished; give a run id (see `logcrunch runs`) for another.
    Its changes.csv compares it with the finished runs of the same command before it.

    \b
    Example:
      logcrunch report --run latest --out /srv/reports/rerun
    """
    from logcrunch.job import OutDirError, export_report
    from logcrunch.state import StateError, default_state_path

    if run_ref != "latest" and not run_ref.isdigit():
        raise click.BadParameter("give a run id (see `logcrunch runs`) or 'latest'",
                                 param_hint="--run")
    try:
        run_record, paths = export_report(
            os.path.expanduser(state_path or default_state_path()), run_ref, out_dir,
            allow_incomplete, top_templates, _change_options(kw), html=not no_html)
    except OutDirError as exc:
        raise click.UsageError(str(exc)) from None
    except (StateError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote run {run_record.run_id} ({run_record.status}) to "
               f"{os.path.dirname(paths[0])}")


def _line_range(ctx, param, value: str | None) -> tuple[int, int | None]:
    if value is None:
        return 1, None
    first, sep, last = value.partition("-")
    try:
        start = int(first) if first else 1
        end = int(last) if last else None if sep else start
    except ValueError:
        start, end = 0, 0
    if start < 1 or (end is not None and end < start):
        raise click.BadParameter(f"{value!r}: give A-B with 1 <= A <= B (or A, A-, -B)")
    return start, end


@cli.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--lines", "line_range", callback=_line_range, metavar="A-B",
              help="Only lines A to B (1-based, inclusive; A- and -B too).")
@scan_options
def explain(path, line_range, **kw):
    """Say how the scanner reads each line of PATH: level, stamp, template (CSV on stdout).

    Columns: line (1-based), level (error, warn, other for a level of neither class, empty for
    none), ts (the line's own stamp in UTC, empty when it has none), template (error and warn
    lines). It runs the scanner's own rules with the same options as `run`, so it agrees with
    files.csv, templates.csv and timeline.csv. Exits 1 when the file cannot be read.

    \b
    Example:
      logcrunch explain /mnt/shared/logs/node07/sshd/auth.log --lines 100-140
    """
    from logcrunch.report import safe_text
    from logcrunch.scan import explain_file

    config = _scan_config(kw)
    first, last = line_range
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["line", "level", "ts", "template"])
    result = explain_file(os.path.abspath(path), config,
                          lambda row: out.writerow([row.line, row.level, row.ts,
                                                    safe_text(row.template)]),
                          first, last)
    if result.status != "ok":
        _fail(f"{path}: {result.error}", defaults.EXIT_INCOMPLETE)


@cli.command("runs")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True,
              help="How many runs to list.")
@state_option
def runs_command(limit, state_path):
    """List recorded runs, newest first: id, start, end, roots, files ok/failed, status.

    \b
    Example:
      logcrunch runs --limit 5
    """
    from logcrunch.job import list_runs
    from logcrunch.state import StateError, default_state_path

    try:
        records = list_runs(os.path.expanduser(state_path or default_state_path()), limit)
    except StateError as exc:
        raise click.ClickException(str(exc)) from None
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["run_id", "started", "ended", "status", "files_ok", "files_skipped",
                  "files_failed", "files_unchanged", "incremental", "roots", "out_dir"])
    for r in records:
        out.writerow([r.run_id, _when(r.started), _when(r.ended), r.status, r.files_ok,
                      r.files_skipped, r.files_failed, r.files_unchanged, int(r.incremental),
                      " ".join(r.roots), r.out_dir])


def _when(epoch: float | None) -> str:
    """A run's start or end as in every report: UTC ISO 8601 with Z."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch)) if epoch else ""


def main() -> None:
    """The console script: run the command, then leave at once.

    A finished command has closed its database, joined its processes and written its reports;
    what would remain is the interpreter's own teardown (garbage-collecting every module and the
    run's summaries), 30-60 ms that every run, however small, would pay. So after flushing the
    streams and the log handlers we exit with os._exit. An unexpected exception still unwinds
    normally, with its traceback.
    """
    try:
        cli(prog_name="logcrunch")
        code = None
    except SystemExit as exc:
        code = exc.code
    _exit_now(code)


def _exit_now(code: object) -> None:
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # sys.exit("message"): print it and exit 1, like the interpreter does
        if sys.stderr is not None:
            print(code, file=sys.stderr)
        status = 1
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        if stream is None:  # started with that descriptor closed (`>&-`): nothing to flush
            continue
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`logcrunch runs | head -1`)
            status = status or 1
    os._exit(status)
