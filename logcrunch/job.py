"""One whole job on the head: head + (optionally) local workers + reports.

`run_job` is what `logcrunch submit` and `logcrunch run` call. With ``local_processes`` it forks a
local worker supervisor that connects to the head over loopback with an ephemeral key — the same
queue, the same worker code, no shortcut.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable
from dataclasses import dataclass

from logcrunch.head import Head, HeadOptions, HeadResult, Progress
from logcrunch.report import ReportInput, publish_reports
from logcrunch.worker import WorkerError, WorkerOptions, run_worker

log = logging.getLogger(__name__)


@dataclass
class JobOutcome:
    result: HeadResult
    report_paths: list[str]
    exit_code: int


def _local_worker_main(options: WorkerOptions) -> None:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    try:
        code = run_worker(options)
    except WorkerError as exc:
        log.error("%s", exc)
        code = 1
    os._exit(code)


def run_job(options: HeadOptions, authkey: bytes, out_dir: str,
            local_processes: int | None = None,
            on_progress: Callable[[Progress], None] | None = None,
            on_head_ready: Callable[[Head], None] | None = None) -> JobOutcome:
    """Serve one job to the end and publish its reports; see HeadResult.exit_code for the outcome.

    Reports are written even when the run was aborted, so operators see what was done; the exit
    code (1) says the report is incomplete.
    """
    head = Head(options, authkey, on_progress=on_progress)
    local = None
    if local_processes:
        # Fork before the head starts its threads: forking a threaded process is unsafe.
        ctx = multiprocessing.get_context("fork")
        local = ctx.Process(
            target=_local_worker_main,
            args=(WorkerOptions(address=head.address, authkey=authkey,
                                processes=local_processes, connect_timeout=30.0),),
            daemon=False, name="logcrunch-local-workers",
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
            local.join(timeout=10)
            if local.is_alive():
                local.kill()
                local.join()
    paths = publish_reports(ReportInput(result.summaries, result.roots, result.unchanged),
                            out_dir)
    return JobOutcome(result, paths, result.exit_code)
