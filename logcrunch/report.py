"""CSV reports: files.csv, metrics.csv, summary.csv, templates.csv, timeline.csv and changes.csv,
in a stable order, and report.html beside them.

Each CSV's rows are computed once, as the exact cell strings written (`file_rows`, `metric_rows`,
`summary_rows`, `template_rows`, `timeline_rows`; together `report_tables`); the CSV writer and
report.html (logcrunch.html_report) both show those cells, so the page's numbers are the CSVs'.
`write_*` functions take an open text file; `publish_reports` owns the directory: each file goes
to a temporary file in the target directory, is fsynced and renamed into place, and a
``_SUCCESS`` marker is written last, so a crash or a full disk leaves the previous report as it
was.
"""

from __future__ import annotations

import csv
import heapq
import math
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction
from typing import IO

from logcrunch import defaults
from logcrunch.changes import (
    CHANGES_COLUMNS,
    OTHER_TEMPLATES,
    REST,
    TEMPLATE,
    TOTAL,
    TOTAL_NAMES,
    Aggregates,
    ChangeRow,
    change_cells,
)
from logcrunch.discover import group_of
from logcrunch.stamps import sort_key
from logcrunch.summary import (
    OVERFLOW_HOUR,
    STATUS_FAILED,
    STATUS_OK,
    FileSummary,
    GroupTotals,
    Metric,
    Number,
    format_number,
    merge_metrics,
    scientific,
)

FILES_COLUMNS = ["path", "status", "error", "format", "size_bytes", "lines", "error_lines",
                 "warn_lines", "first_ts", "last_ts", "worker", "seconds", "attempts",
                 "long_lines", "samples_out_of_range", "samples_over_metric_cap", "level_lines",
                 "read_from", "read_mode"]
METRICS_COLUMNS = ["path", "metric", "count", "sum", "sum_sq", "min", "max", "mean", "stddev",
                   *(name for name, _ in defaults.PERCENTILES)]
METRIC_CELL_COLUMNS = METRICS_COLUMNS[2:]  # what metric_cells returns
SUMMARY_COLUMNS = ["group", "files", "files_ok", "files_skipped", "files_failed", "bytes",
                   "lines", "error_lines", "warn_lines", "error_rate", "files_unchanged",
                   "files_deferred", "level_lines"]
TEMPLATES_COLUMNS = ["group", "level", "template", "count", "files", "first_ts", "last_ts",
                     "example_path", "example"]
TIMELINE_COLUMNS = ["group", "hour", "lines", "error_lines", "warn_lines"]
REPORT_FILES = ("files.csv", "metrics.csv", "summary.csv", "templates.csv", "timeline.csv",
                "changes.csv")
HTML_FILE = "report.html"  # beside the CSVs, from the same rows (html_report.render_html)
LEVEL_NAMES = {2: "error", 1: "warn"}
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
class RunInfo:
    """What report.html's header says about the run (times: epoch seconds, shown in UTC)."""

    run_id: int | None = None
    roots: tuple[str, ...] = ()
    started: float | None = None
    ended: float | None = None
    status: str = ""


class PathOrdered(Mapping[str, FileSummary]):
    """A run's final per-file summaries by path, always iterated in path order (``str`` order).

    ``items()`` and ``values()`` produce the summaries one at a time, afresh on each call: a
    source backed by the state database (state.StoredSummaries) need not hold them all, so the
    head's memory at report time does not grow with the number of files. Every report function
    reads its summaries in one or two such passes and keeps only per-group totals.
    """

    def items(self) -> Iterator[tuple[str, FileSummary]]:  # type: ignore[override]
        for path in self:
            yield path, self[path]

    def values(self) -> Iterator[FileSummary]:  # type: ignore[override]
        for _path, summary in self.items():
            yield summary


class HeldSummaries(PathOrdered):
    """Summaries held in memory (a dict), iterated in path order."""

    def __init__(self, by_path: Mapping[str, FileSummary]) -> None:
        self._by_path = dict(by_path)
        self._order = sorted(self._by_path)

    def __getitem__(self, path: str) -> FileSummary:
        return self._by_path[path]

    def __iter__(self) -> Iterator[str]:
        return iter(self._order)

    def __len__(self) -> int:
        return len(self._order)

    def items(self) -> Iterator[tuple[str, FileSummary]]:
        by_path = self._by_path
        return ((path, by_path[path]) for path in self._order)


@dataclass(frozen=True)
class ReportInput:
    """Everything a report is made of: final summaries and where each file was found.

    ``summaries`` may be given as any mapping; it is kept as a PathOrdered source (a plain dict
    is wrapped in HeldSummaries)."""

    summaries: PathOrdered
    roots: dict[str, str]  # path -> root (of summaries and deferred files)
    unchanged: dict[str, str]  # path -> root, skipped as unchanged
    # Left for the next run by --settle: rows (status deferred) in files.csv, a count in
    # summary.csv, never counted as files read, skipped or failed.
    deferred: dict[str, FileSummary] = field(default_factory=dict)
    # What one pass over the summaries gave (`digest`), computed once per report.
    _digest: list = field(default_factory=list, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.summaries, PathOrdered):
            object.__setattr__(self, "summaries", HeldSummaries(self.summaries))


@dataclass
class TemplateTotal:
    """One template over a group's files."""

    count: int = 0
    files: int = 0
    first_ts: str = ""
    last_ts: str = ""
    example_path: str = ""
    example: str = ""


@dataclass
class ReportDigest:
    """The per-group totals of a report, from one pass over its summaries (bounded by the
    groups, their hours and their distinct templates, not by the files)."""

    groups: dict[str, GroupTotals]  # summary.csv's totals, "*" first
    ok_groups: list[str]  # the groups with an ok file, "*" first then by name
    statuses: Counter  # status -> files
    failed: list[tuple[str, str]]  # (path, reason) of the failed files, by path
    templates: dict[tuple[str, int], dict[str, TemplateTotal]]  # (group, level) -> totals
    level_lines: dict[tuple[str, int], int]  # (group, level) -> error / warn lines of ok files
    timeline: dict[str, dict[str, list[int]]]  # group -> hour -> [lines, errors, warns]


def digest(report: ReportInput) -> ReportDigest:
    """`ReportDigest` of ``report``: one pass over its summaries, done once per report."""
    if report._digest:
        return report._digest[0]
    key = _group_key(report)
    groups: dict[str, GroupTotals] = {"*": GroupTotals()}
    ok_groups = {"*"}
    statuses: Counter = Counter()
    failed: list[tuple[str, str]] = []
    templates: dict[tuple[str, int], dict[str, TemplateTotal]] = {}
    level_lines: dict[tuple[str, int], int] = {}
    timeline: dict[str, dict[str, list[int]]] = {}
    for path, summary in report.summaries.items():
        root = report.roots.get(path, os.path.dirname(path))
        names = ("*", key(path, root))
        statuses[summary.status] += 1
        if summary.status == STATUS_FAILED:
            failed.append((path, summary.error))
        for name in names:
            groups.setdefault(name, GroupTotals()).add(summary)
        if summary.status != STATUS_OK:
            continue
        ok_groups.add(names[1])
        for name in names:
            for level, lines in ((2, summary.error_lines), (1, summary.warn_lines)):
                level_lines[(name, level)] = level_lines.get((name, level), 0) + lines
            add_template_rows(templates, name, summary)
            add_timeline(timeline.setdefault(name, {}), summary)
    for path, root in report.unchanged.items():
        for name in ("*", key(path, root)):
            groups.setdefault(name, GroupTotals()).files_unchanged += 1
    for path in report.deferred:
        for name in ("*", key(path, report.roots.get(path, os.path.dirname(path)))):
            groups.setdefault(name, GroupTotals())
    result = ReportDigest(groups, _group_order(ok_groups), statuses, failed, templates,
                          level_lines, timeline)
    report._digest.append(result)
    return result


def _writer(fp: IO[str]) -> csv.writer:
    return csv.writer(fp, lineterminator="\n")


def write_table(columns: list[str], rows: Iterable[list[str]], fp: IO[str]) -> None:
    """One CSV: the header, then the rows' cells as given."""
    out = _writer(fp)
    out.writerow(columns)
    out.writerows(rows)


def file_rows(summaries: Iterable[FileSummary]) -> Iterator[list[str]]:
    """files.csv's rows (cell strings), by path; produced one at a time."""
    return _file_rows_in_order(sorted(summaries, key=lambda item: item.path))


def _file_rows_in_order(summaries: Iterable[FileSummary]) -> Iterator[list[str]]:
    for s in summaries:
        yield [safe_text(s.path), s.status, safe_text(s.error), safe_text(s.format),
               str(s.size_bytes), str(s.lines), str(s.error_lines), str(s.warn_lines),
               s.first_ts, s.last_ts, safe_text(s.worker), f"{s.seconds:.6f}", str(s.attempts),
               str(s.long_lines), str(s.samples_out_of_range), str(s.samples_over_metric_cap),
               str(s.level_lines), str(s.read_from), s.read_mode]


def write_files(summaries: Iterable[FileSummary], fp: IO[str]) -> None:
    write_table(FILES_COLUMNS, file_rows(summaries), fp)


_QUANTILES = [Fraction(text) for _, text in defaults.PERCENTILES]


def format_estimate(value: Number | None) -> str:
    """A percentile estimate for a CSV cell: rounded to defaults.PERCENTILE_DIGITS significant
    digits (the sketch is good to 0.8 %; more digits would only be noise), written as repr(float)
    (``1234.57``, ``1234570.0``, ``1e-05``); "" for None."""
    if value is None:
        return ""
    rounded = scientific(value, defaults.PERCENTILE_DIGITS)  # exact, never overflows
    as_float = float(rounded)
    return rounded if math.isinf(as_float) else repr(as_float)  # inf: a max past the doubles


def metric_cells(metric: Metric) -> list[str]:
    """The cells of METRIC_CELL_COLUMNS (count, sum, sum_sq, min, max, mean, stddev, p50, p95,
    p99) of one metric, as metrics.csv writes them. Percentiles are "" without a sketch (rows
    stored before sketches existed) and are within 0.8 % of the exact nearest-rank quantile
    unless the bucket was folded (logcrunch.sketch)."""
    stddev = metric.stddev
    return [str(metric.count), format_number(metric.total), format_number(metric.total_sq),
            format_number(metric.minimum), format_number(metric.maximum),
            format_number(metric.mean), "" if stddev is None else repr(stddev),
            *map(format_estimate, metric.percentiles(_QUANTILES))]


def overall_metrics(summaries: Iterable[FileSummary]) -> dict[str, Metric]:
    """Every metric name's metric merged over all ok files (exact stats, merged sketch), by name."""
    overall: dict[str, Metric] = {}
    for summary in sorted((s for s in summaries if s.status == STATUS_OK), key=lambda s: s.path):
        merge_metrics(overall, summary.metrics)
    return dict(sorted(overall.items()))


def _metric_row(path: str, name: str, metric: Metric) -> list[str]:
    return [safe_text(path), safe_text(name), *metric_cells(metric)]


def metric_rows(summaries: Iterable[FileSummary]) -> Iterator[list[str]]:
    """metrics.csv's rows: one ``*`` row per metric name over all ok files (merged exactly with
    `merge_metrics`), then each ok file's metrics, by path and name; produced one at a time."""
    ordered = sorted(summaries, key=lambda s: s.path)
    return _metric_rows_in_order(lambda: iter(ordered))


def _metric_rows_in_order(produce: Callable[[], Iterator[FileSummary]]) -> Iterator[list[str]]:
    """`metric_rows` of summaries ``produce`` gives in path order, twice: once for the ``*``
    rows, once for the files' own (none is held from one pass to the next)."""
    overall: dict[str, Metric] = {}
    for summary in produce():
        if summary.status == STATUS_OK:
            merge_metrics(overall, summary.metrics)
    for name in sorted(overall):
        yield _metric_row("*", name, overall[name])
    for summary in produce():
        if summary.status == STATUS_OK:
            for name in sorted(summary.metrics):
                yield _metric_row(summary.path, name, summary.metrics[name])


def write_metrics(summaries: Iterable[FileSummary], fp: IO[str]) -> None:
    """Per-file metric rows, preceded by one ``*`` row per metric over all ok files."""
    write_table(METRICS_COLUMNS, metric_rows(summaries), fp)


def group_totals(report: ReportInput) -> dict[str, GroupTotals]:
    """Totals per group; key ``*`` is everything. With several roots, groups name their root."""
    return digest(report).groups


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


def summary_rows(report: ReportInput) -> list[list[str]]:
    """summary.csv's rows: ``*`` (everything) first, then the groups by name."""
    groups = group_totals(report)
    deferred = deferred_counts(report)
    rows = []
    for name in ["*"] + sorted(g for g in groups if g != "*"):
        t = groups[name]
        rows.append([safe_text(name), str(t.files), str(t.files_ok), str(t.files_skipped),
                     str(t.files_failed), str(t.bytes), str(t.lines), str(t.error_lines),
                     str(t.warn_lines), repr(t.error_rate), str(t.files_unchanged),
                     str(deferred.get(name, 0)), str(t.level_lines)])
    return rows


def write_summary(report: ReportInput, fp: IO[str]) -> None:
    write_table(SUMMARY_COLUMNS, summary_rows(report), fp)


def _group_order(groups) -> list[str]:
    return ["*"] + sorted(g for g in groups if g != "*")


def add_template_rows(totals: dict[tuple[str, int], dict[str, TemplateTotal]], group: str,
                      summary: FileSummary) -> None:
    """Add one ok file's templates (files given in path order) to ``group``'s totals: counts and
    files add up, first/last seen are the earliest/latest, the example is the first file's."""
    for row_level, template, count, first_ts, last_ts, example in summary.templates:
        by_template = totals.get((group, row_level))
        if by_template is None:
            by_template = totals[(group, row_level)] = {}
        total = by_template.get(template)
        if total is None:
            total = by_template[template] = TemplateTotal(example_path=summary.path,
                                                          example=example)
        total.count += count
        total.files += 1
        if first_ts and (not total.first_ts or sort_key(first_ts) < sort_key(total.first_ts)):
            total.first_ts = first_ts
        if last_ts and sort_key(last_ts) > sort_key(total.last_ts):
            total.last_ts = last_ts


def _ranked(totals: dict[str, TemplateTotal], top: int) -> list[tuple[str, TemplateTotal]]:
    return sorted(totals.items(), key=lambda item: (-item[1].count, item[0]))[:top]


def _rest_of(summary: FileSummary, level: int, shown: set[str]) -> int:
    """A file's lines of ``level`` that are not in the ``shown`` templates."""
    level_total = summary.error_lines if level == 2 else summary.warn_lines
    return level_total - sum(row[2] for row in summary.templates
                             if row[0] == level and row[1] in shown)


def template_totals(summaries: list[FileSummary], level: int) -> dict[str, TemplateTotal]:
    """{template: its totals} of one level over files given in path order: counts and files
    add up, first/last seen are the earliest/latest, the example is the first file's."""
    totals: dict[tuple[str, int], dict[str, TemplateTotal]] = {}
    for summary in summaries:
        add_template_rows(totals, "", summary)
    return totals.get(("", level), {})


def top_templates(summaries: list[FileSummary], level: int, top: int
                  ) -> tuple[list[tuple[str, TemplateTotal]], TemplateTotal]:
    """The ``top`` templates of a level by count (then text), and the "(other templates)" total:
    the exact rest of the level's lines (count) and the files holding some of it."""
    ranked = _ranked(template_totals(summaries, level), top)
    shown = {template for template, _total in ranked}
    other = TemplateTotal()
    for summary in summaries:
        rest = _rest_of(summary, level, shown)
        if rest > 0:
            other.count += rest
            other.files += 1
    return ranked, other


def template_rows(report: ReportInput, top: int = defaults.TOP_TEMPLATES) -> list[list[str]]:
    """templates.csv's rows: per group (``*`` first) and level (error, then warn), the ``top``
    templates by count, then one "(other templates)" row with the exact rest."""
    found = digest(report)
    ranked = {(name, level): _ranked(found.templates.get((name, level), {}), top)
              for name in found.ok_groups for level in (2, 1)}
    shown = {where: {template for template, _total in rows} for where, rows in ranked.items()}
    others = {where: TemplateTotal() for where in ranked}
    key = _group_key(report)
    for path, summary in report.summaries.items():  # the second pass: the exact rest
        if summary.status != STATUS_OK:
            continue
        for name in ("*", key(path, report.roots.get(path, os.path.dirname(path)))):
            for level in (2, 1):
                rest = _rest_of(summary, level, shown[(name, level)])
                if rest > 0:
                    other = others[(name, level)]
                    other.count += rest
                    other.files += 1
    rows = []
    for name in found.ok_groups:
        for level in (2, 1):
            other = others[(name, level)]
            for template, total in ranked[(name, level)]:
                rows.append([safe_text(name), LEVEL_NAMES[level], safe_text(template),
                             str(total.count), str(total.files), total.first_ts, total.last_ts,
                             safe_text(total.example_path), safe_text(total.example)])
            if other.count:
                rows.append([safe_text(name), LEVEL_NAMES[level], OTHER_TEMPLATES,
                             str(other.count), str(other.files), "", "", "", ""])
    return rows


def write_templates(report: ReportInput, fp: IO[str], top: int = defaults.TOP_TEMPLATES) -> None:
    write_table(TEMPLATES_COLUMNS, template_rows(report, top), fp)


def group_timeline(summaries: list[FileSummary]) -> list[tuple[str, list[int]]]:
    """(hour, [lines, error_lines, warn_lines]) of a group: first the lines without an hour
    (before a file's first stamp, or in hours beyond the per-file cap), then every hour from
    the first to the last, zero hours included (unless that span is longer than
    defaults.MAX_TIMELINE_HOURS: then only the hours with lines)."""
    counts: dict[str, list[int]] = {}
    for summary in summaries:
        add_timeline(counts, summary)
    return _timeline_of(counts)


def add_timeline(counts: dict[str, list[int]], summary: FileSummary) -> None:
    """Add one ok file's hours to a group's {hour: [lines, error_lines, warn_lines]}."""
    if not summary.timeline and summary.lines:  # stored by a logcrunch before timelines
        total = counts.setdefault("", [0, 0, 0])
        total[0] += summary.lines
        total[1] += summary.error_lines
        total[2] += summary.warn_lines
    for hour, row in summary.timeline.items():
        key = "" if hour == OVERFLOW_HOUR else hour
        total = counts.get(key)
        if total is None:
            total = counts[key] = [0, 0, 0]
        total[0] += row[0]
        total[1] += row[1]
        total[2] += row[2]


def _timeline_of(counts: dict[str, list[int]]) -> list[tuple[str, list[int]]]:
    counts = dict(counts)
    rows: list[tuple[str, list[int]]] = []
    if "" in counts:
        rows.append(("", counts.pop("")))
    hours = sorted(counts)
    if not hours:
        return rows
    first = datetime.strptime(hours[0], _HOUR_FORMAT)
    last = datetime.strptime(hours[-1], _HOUR_FORMAT)
    span = int((last - first).total_seconds() // 3600) + 1
    if span > defaults.MAX_TIMELINE_HOURS:
        return rows + [(hour, counts[hour]) for hour in hours]
    for step in range(span):
        hour = (first + timedelta(hours=step)).strftime(_HOUR_FORMAT)
        rows.append((hour, counts.get(hour, [0, 0, 0])))
    return rows


_HOUR_FORMAT = "%Y-%m-%dT%H:00:00Z"


def timeline_rows(report: ReportInput) -> list[list[str]]:
    """timeline.csv's rows: per group (``*`` first), its `group_timeline`."""
    found = digest(report)
    return [[safe_text(name), hour, str(lines), str(error_lines), str(warn_lines)]
            for name in found.ok_groups
            for hour, (lines, error_lines, warn_lines) in _timeline_of(found.timeline.get(name, {}))]


def write_timeline(report: ReportInput, fp: IO[str]) -> None:
    write_table(TIMELINE_COLUMNS, timeline_rows(report), fp)


@dataclass(frozen=True)
class Table:
    """One CSV's columns and its rows, the exact cell strings written.

    ``produce`` gives the rows afresh on each call: the per-file tables (files.csv, metrics.csv)
    are streamed to each reader instead of being held whole; the per-group ones are lists.
    """

    columns: list[str]
    produce: Callable[[], Iterable[list[str]]]

    @classmethod
    def of(cls, columns: list[str], rows: list[list[str]]) -> Table:
        return cls(columns, lambda: rows)

    def rows(self) -> Iterable[list[str]]:
        return self.produce()


def report_tables(report: ReportInput, top: int = defaults.TOP_TEMPLATES) -> dict[str, Table]:
    """{CSV file name: its table}: what the CSVs hold and report.html shows (one source)."""
    return {
        "files.csv": Table(FILES_COLUMNS, lambda: _file_rows_in_order(heapq.merge(
            report.summaries.values(), sorted(report.deferred.values(), key=_path),
            key=_path))),
        "metrics.csv": Table(METRICS_COLUMNS,
                             lambda: _metric_rows_in_order(report.summaries.values)),
        "summary.csv": Table.of(SUMMARY_COLUMNS, summary_rows(report)),
        "templates.csv": Table.of(TEMPLATES_COLUMNS, template_rows(report, top)),
        "timeline.csv": Table.of(TIMELINE_COLUMNS, timeline_rows(report)),
    }


def aggregates_of(report: ReportInput) -> Aggregates:
    """A run's comparable numbers (see logcrunch.changes): per group and ``*``, the totals of
    summary.csv and the full count of every template of templates.csv, before any --top cut."""
    counts: dict[tuple[str, str, str, str], int] = {}
    for group, totals in group_totals(report).items():
        for (level, name), count in zip(TOTAL_NAMES, (totals.lines, totals.error_lines,
                                                      totals.warn_lines), strict=True):
            counts[(group, TOTAL, level, name)] = count
    found = digest(report)
    for group in found.ok_groups:
        for level in (2, 1):
            kept = 0
            for template, total in found.templates.get((group, level), {}).items():
                counts[(group, TEMPLATE, LEVEL_NAMES[level], template)] = total.count
                kept += total.count
            rest = found.level_lines.get((group, level), 0) - kept
            if rest > 0:  # templates beyond the files' caps, long lines
                counts[(group, REST, LEVEL_NAMES[level], OTHER_TEMPLATES)] = rest
    return Aggregates(counts)


def write_changes(rows: Iterable[ChangeRow], fp: IO[str]) -> None:
    """changes.csv: the rows `changes.compare` gave, in its order (none: only the header)."""
    out = _writer(fp)
    out.writerow(CHANGES_COLUMNS)
    for row in rows:
        cells = change_cells(row)
        out.writerow([safe_text(cells[column]) for column in CHANGES_COLUMNS])


def publish_reports(report: ReportInput, out_dir: str, success_marker: bool = True,
                    top: int = defaults.TOP_TEMPLATES, html: bool = True,
                    changes: list[ChangeRow] | None = None,
                    run_info: RunInfo | None = None) -> list[str]:
    """Write the CSVs and (with ``html``) report.html atomically into ``out_dir``, then
    ``_SUCCESS``; returns the paths written.

    ``changes``: changes.csv's rows (`changes.compare`); None when there is no baseline run
    (changes.csv then has only its header, and report.html says so). report.html shows the CSVs'
    own cells (`report_tables`), the changes and ``run_info``. Without ``html`` an existing
    report.html is removed with the old marker, so it never describes another run than the CSVs
    beside it.

    On any error (ENOSPC included) the previous files are left untouched and no temporary file
    is left behind; the error propagates. Temporary files a killed writer left are removed first.
    """
    os.makedirs(out_dir, exist_ok=True)
    for name in os.listdir(out_dir):
        if name.startswith(tuple(f".{n}." for n in (*REPORT_FILES, HTML_FILE, SUCCESS_MARKER))) \
                and name.endswith(".tmp"):
            os.unlink(os.path.join(out_dir, name))
    marker = os.path.join(out_dir, SUCCESS_MARKER)
    tables = report_tables(report, top)
    writers = {name: (lambda fp, t=tables[name]: write_table(t.columns, t.rows(), fp))
               for name in REPORT_FILES if name in tables}
    writers["changes.csv"] = lambda fp: write_changes(changes or (), fp)
    if html:
        from logcrunch.html_report import render_html  # it reads this module's tables

        page = render_html(tables, run_info or RunInfo(),
                           None if changes is None else [change_cells(row) for row in changes])
        writers[HTML_FILE] = lambda fp: fp.write(page)
    staged: list[tuple[str, str]] = []
    try:
        for name, write in writers.items():
            staged.append((_stage(out_dir, name, write), os.path.join(out_dir, name)))
        # All are complete on disk; now swap them in. The marker goes first so that a
        # reader never sees _SUCCESS next to a mix of old and new files.
        if os.path.exists(marker):
            os.unlink(marker)
        if not html and os.path.exists(os.path.join(out_dir, HTML_FILE)):
            os.unlink(os.path.join(out_dir, HTML_FILE))
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
    return [os.path.join(out_dir, name) for name in writers]


def _path(summary: FileSummary) -> str:
    return summary.path


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
