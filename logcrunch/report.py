"""CSV reports: files.csv, metrics.csv and summary.csv, in a stable order.

`write_*` functions take an open text file; `publish_reports` owns the directory: each CSV goes to a
temporary file in the target directory, is fsynced and renamed into place, and a ``_SUCCESS`` marker
is written last, so a crash or a full disk leaves the previous report as it was.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO

from logcrunch.discover import group_of
from logcrunch.summary import (
    STATUS_OK,
    FileSummary,
    GroupTotals,
    Metric,
    format_number,
    merge_metrics,
)

FILES_COLUMNS = ["path", "status", "error", "format", "size_bytes", "lines", "error_lines",
                 "warn_lines", "first_ts", "last_ts", "worker", "seconds", "attempts",
                 "long_lines", "samples_out_of_range", "samples_over_metric_cap"]
METRICS_COLUMNS = ["path", "metric", "count", "sum", "sum_sq", "min", "max", "mean", "stddev"]
SUMMARY_COLUMNS = ["group", "files", "files_ok", "files_skipped", "files_failed", "bytes",
                   "lines", "error_lines", "warn_lines", "error_rate", "files_unchanged",
                   "files_deferred"]
REPORT_FILES = ("files.csv", "metrics.csv", "summary.csv")
SUCCESS_MARKER = "_SUCCESS"

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str) -> str:
    """Make a text cell safe for spreadsheets and UTF-8.

    Cells a spreadsheet would execute get a leading ``'`` (OWASP CSV injection guidance); bytes that
    are not valid UTF-8 (surrogate-escaped file names) are written backslash-escaped.
    """
    if any("\udc80" <= ch <= "\udcff" for ch in value):
        value = value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    if value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


@dataclass(frozen=True)
class ReportInput:
    """Everything a report is made of: final summaries and where each file was found."""

    summaries: dict[str, FileSummary]
    roots: dict[str, str]  # path -> root (of summaries and deferred files)
    unchanged: dict[str, str]  # path -> root, skipped as unchanged
    # Left for the next run by --settle: rows (status deferred) in files.csv, a count in
    # summary.csv, never counted as files read, skipped or failed.
    deferred: dict[str, FileSummary] = field(default_factory=dict)


def _writer(fp: IO[str]) -> csv.writer:
    return csv.writer(fp, lineterminator="\n")


def write_files(summaries: Iterable[FileSummary], fp: IO[str]) -> None:
    out = _writer(fp)
    out.writerow(FILES_COLUMNS)
    for s in sorted(summaries, key=lambda item: item.path):
        out.writerow([
            safe_text(s.path), s.status, safe_text(s.error), safe_text(s.format), s.size_bytes,
            s.lines, s.error_lines, s.warn_lines, s.first_ts, s.last_ts, safe_text(s.worker),
            f"{s.seconds:.6f}", s.attempts, s.long_lines, s.samples_out_of_range,
            s.samples_over_metric_cap,
        ])


def _metric_row(path: str, name: str, metric: Metric) -> list:
    stddev = metric.stddev
    return [safe_text(path), safe_text(name), metric.count, format_number(metric.total),
            format_number(metric.total_sq), format_number(metric.minimum),
            format_number(metric.maximum), format_number(metric.mean),
            "" if stddev is None else repr(stddev)]


def write_metrics(summaries: Iterable[FileSummary], fp: IO[str]) -> None:
    """Per-file metric rows, preceded by one ``*`` row per metric over all ok files."""
    ordered = sorted((s for s in summaries if s.status == STATUS_OK), key=lambda s: s.path)
    overall: dict[str, Metric] = {}
    for summary in ordered:
        merge_metrics(overall, summary.metrics)
    out = _writer(fp)
    out.writerow(METRICS_COLUMNS)
    for name in sorted(overall):
        out.writerow(_metric_row("*", name, overall[name]))
    for summary in ordered:
        for name in sorted(summary.metrics):
            out.writerow(_metric_row(summary.path, name, summary.metrics[name]))


def group_totals(report: ReportInput) -> dict[str, GroupTotals]:
    """Totals per group; key ``*`` is everything. With several roots, groups name their root."""
    groups: dict[str, GroupTotals] = {"*": GroupTotals()}
    key = _group_key(report)
    for path, summary in report.summaries.items():
        root = report.roots.get(path, os.path.dirname(path))
        for name in ("*", key(path, root)):
            groups.setdefault(name, GroupTotals()).add(summary)
    for path, root in report.unchanged.items():
        for name in ("*", key(path, root)):
            groups.setdefault(name, GroupTotals()).files_unchanged += 1
    for path in report.deferred:
        for name in ("*", key(path, report.roots.get(path, os.path.dirname(path)))):
            groups.setdefault(name, GroupTotals())
    return groups


def deferred_counts(report: ReportInput) -> dict[str, int]:
    """Deferred files per group (the same group keys as `group_totals`)."""
    key = _group_key(report)
    counts: dict[str, int] = {}
    for path in report.deferred:
        for name in ("*", key(path, report.roots.get(path, os.path.dirname(path)))):
            counts[name] = counts.get(name, 0) + 1
    return counts


def _group_key(report: ReportInput):
    """(path, root) -> the file's group; with several roots, groups name their root."""
    several_roots = len(set(report.roots.values()) | set(report.unchanged.values())) > 1

    def key(path: str, root: str) -> str:
        group = group_of(path, root)
        return os.path.join(root, group) if several_roots else group

    return key


def write_summary(report: ReportInput, fp: IO[str]) -> None:
    groups = group_totals(report)
    deferred = deferred_counts(report)
    out = _writer(fp)
    out.writerow(SUMMARY_COLUMNS)
    for name in ["*"] + sorted(g for g in groups if g != "*"):
        t = groups[name]
        out.writerow([safe_text(name), t.files, t.files_ok, t.files_skipped, t.files_failed,
                      t.bytes, t.lines, t.error_lines, t.warn_lines, repr(t.error_rate),
                      t.files_unchanged, deferred.get(name, 0)])


def publish_reports(report: ReportInput, out_dir: str, success_marker: bool = True) -> list[str]:
    """Write the three CSVs atomically into ``out_dir``, then ``_SUCCESS``; returns the paths.

    On any error (ENOSPC included) the previous files are left untouched and no temporary file
    is left behind; the error propagates. Temporary files a killed writer left are removed first.
    """
    os.makedirs(out_dir, exist_ok=True)
    for name in os.listdir(out_dir):
        if name.startswith(tuple(f".{n}." for n in (*REPORT_FILES, SUCCESS_MARKER))) and \
                name.endswith(".tmp"):
            os.unlink(os.path.join(out_dir, name))
    marker = os.path.join(out_dir, SUCCESS_MARKER)
    writers = {
        "files.csv": lambda fp: write_files([*report.summaries.values(),
                                             *report.deferred.values()], fp),
        "metrics.csv": lambda fp: write_metrics(report.summaries.values(), fp),
        "summary.csv": lambda fp: write_summary(report, fp),
    }
    staged: list[tuple[str, str]] = []
    try:
        for name, write in writers.items():
            staged.append((_stage(out_dir, name, write), os.path.join(out_dir, name)))
        # All three are complete on disk; now swap them in. The marker goes first so that a
        # reader never sees _SUCCESS next to a mix of old and new files.
        if os.path.exists(marker):
            os.unlink(marker)
        for tmp, final in staged:
            os.replace(tmp, final)
        staged = []
        if success_marker:
            _stage_and_replace(out_dir, SUCCESS_MARKER, lambda fp: None)
        _fsync_dir(out_dir)
    finally:
        for tmp, _final in staged:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    return [os.path.join(out_dir, name) for name in REPORT_FILES]


def _stage(directory: str, name: str, write) -> str:
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fp:
            write(fp)
            fp.flush()
            os.fsync(fp.fileno())
    except BaseException:
        os.unlink(tmp)
        raise
    os.chmod(tmp, 0o644)
    return tmp


def _stage_and_replace(directory: str, name: str, write) -> None:
    tmp = _stage(directory, name, write)
    os.replace(tmp, os.path.join(directory, name))


def _fsync_dir(directory: str) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
