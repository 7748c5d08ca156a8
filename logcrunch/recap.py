"""The few lines printed at the end of a run: what was read, where errors are densest, what
failed, and where the report is. Pure: built from the run's ReportInput; the CLI prints them.

Terminal safety: paths, group names and reasons come from the scanned tree (and workers), so
control characters in them are shown as ``?`` (a file name must not move the cursor or retitle
the terminal).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from logcrunch.report import ReportInput, digest, group_totals
from logcrunch.summary import STATUS_FAILED, STATUS_OK, STATUS_SKIPPED

TOP_GROUPS = 3
FAILED_SHOWN = 5
REASON_CHARS = 200

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class RecapOptions:
    """What the end-of-run recap says besides the report: run id, duration, where it went."""

    run_id: int
    seconds: float
    out_dir: str
    html_report: str = ""  # the path of report.html when the run wrote one
    resumed: bool = False


def printable(text: str, limit: int | None = None) -> str:
    """``text`` with control characters as ``?``, cut to ``limit`` characters (with ...)."""
    flat = _CONTROL.sub("?", text)
    if limit is not None and len(flat) > limit:
        return flat[:limit - 3] + "..."
    return flat


def run_recap(report: ReportInput, options: RecapOptions) -> list[str]:
    """The end-of-run summary, one string a line (no trailing newlines)."""
    return [_files_line(report, options), _lines_line(report), *_top_groups(report),
            *_failed_files(report), _where_line(options)]


def _files_line(report: ReportInput, options: RecapOptions) -> str:
    statuses = digest(report).statuses
    parts = [f"{statuses[STATUS_OK]} read", f"{statuses[STATUS_FAILED]} failed",
             f"{statuses[STATUS_SKIPPED]} skipped", f"{len(report.unchanged)} unchanged"]
    if report.deferred:
        parts.append(f"{len(report.deferred)} deferred")
    files = len(report.summaries) + len(report.unchanged) + len(report.deferred)
    resumed = " (resumed)" if options.resumed else ""
    return (f"run {options.run_id}{resumed} finished in {options.seconds:.1f} s: "
            f"{files} file{'' if files == 1 else 's'} ({', '.join(parts)})")


def _lines_line(report: ReportInput) -> str:
    everything = group_totals(report)["*"]
    return (f"{everything.lines:,} lines, {everything.error_lines:,} error lines "
            f"({_percent(everything.error_rate)})")


def _top_groups(report: ReportInput) -> list[str]:
    """The groups with the highest error rates (ties: more error lines, then by name)."""
    groups = [(name, totals) for name, totals in group_totals(report).items()
              if name != "*" and totals.error_lines]
    if not groups:
        return []
    groups.sort(key=lambda item: (-item[1].error_rate, -item[1].error_lines, item[0]))
    shown = ", ".join(f"{printable(name, 80)} {_percent(t.error_rate)} "
                      f"({t.error_lines:,} of {t.lines:,})"
                      for name, t in groups[:TOP_GROUPS])
    return [f"highest error rates: {shown}"]


def _failed_files(report: ReportInput) -> list[str]:
    failed = digest(report).failed  # (path, reason), by path
    lines = [f"failed: {printable(path, 300)}: "
             f"{printable(reason, REASON_CHARS) or 'no reason given'}"
             for path, reason in failed[:FAILED_SHOWN]]
    if len(failed) > FAILED_SHOWN:
        lines.append(f"... and {len(failed) - FAILED_SHOWN} more failed files (see files.csv)")
    return lines


def _where_line(options: RecapOptions) -> str:
    html = f" (open {printable(options.html_report)})" if options.html_report else ""
    return f"wrote the report to {printable(options.out_dir)}{html}"


def _percent(rate: float) -> str:
    """A rate as a percentage with two decimals; a rate above 0 never shows as 0.00%."""
    if 0 < rate < 0.00005:
        return "<0.01%"
    return f"{rate * 100:.2f}%"
