"""CSV reports: columns, stable order, escaping, atomic publication."""

import csv
import errno
import io
import os
import sys
from fractions import Fraction

import pytest

from logcrunch import report
from logcrunch.report import (
    METRIC_CELL_COLUMNS,
    ReportInput,
    metric_cells,
    overall_metrics,
    publish_reports,
    safe_text,
    write_files,
    write_metrics,
)
from logcrunch.sketch import TOP, Sketch
from logcrunch.summary import FileSummary, Metric


def sample_input():
    summaries = {
        "/logs/n2/b.log": FileSummary("/logs/n2/b.log", lines=4, error_lines=1, size_bytes=40,
                                      metrics={"ms": Metric.of([1, 3])}, format="plain"),
        "/logs/n1/a.log": FileSummary("/logs/n1/a.log", lines=6, warn_lines=2, size_bytes=60,
                                      metrics={"ms": Metric.of([5])}, format="plain"),
        "/logs/n1/bad.gz": FileSummary.failed("/logs/n1/bad.gz", "truncated gzip stream",
                                              size_bytes=7),
    }
    roots = {path: "/logs" for path in summaries}
    return ReportInput(summaries, roots, {"/logs/n1/old.log": "/logs"})


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as fp:
        return list(csv.DictReader(fp))


def test_reports_have_contract_columns_and_stable_order(tmp_path):
    publish_reports(sample_input(), str(tmp_path))
    files = read_csv(tmp_path / "files.csv")
    assert list(files[0])[:12] == ["path", "status", "error", "format", "size_bytes", "lines",
                                   "error_lines", "warn_lines", "first_ts", "last_ts", "worker",
                                   "seconds"]
    assert [row["path"] for row in files] == ["/logs/n1/a.log", "/logs/n1/bad.gz",
                                              "/logs/n2/b.log"]
    metrics = read_csv(tmp_path / "metrics.csv")
    assert [(r["path"], r["count"], r["sum"], r["sum_sq"], r["min"], r["max"], r["mean"])
            for r in metrics] == [("*", "3", "9", "35", "1", "5", "3"),
                                  ("/logs/n1/a.log", "1", "5", "25", "5", "5", "5"),
                                  ("/logs/n2/b.log", "2", "4", "10", "1", "3", "2")]
    summary = read_csv(tmp_path / "summary.csv")
    assert [(r["group"], r["files"], r["files_ok"], r["files_failed"], r["lines"],
             r["error_lines"], r["warn_lines"], r["files_unchanged"]) for r in summary] == [
        ("*", "3", "2", "1", "10", "1", "2", "1"),
        ("n1", "2", "1", "1", "6", "0", "2", "1"),
        ("n2", "1", "1", "0", "4", "1", "0", "0"),
    ]
    assert float(summary[0]["error_rate"]) == 0.1
    assert (tmp_path / "_SUCCESS").exists()
    first = [(tmp_path / n).read_bytes() for n in report.REPORT_FILES]
    publish_reports(sample_input(), str(tmp_path))
    assert [(tmp_path / n).read_bytes() for n in report.REPORT_FILES] == first


@pytest.mark.parametrize("text,expected", [
    ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"), ("+1", "'+1"), ("-x", "'-x"), ("@sum", "'@sum"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("/logs/a.log", "/logs/a.log"),
])
def test_formula_cells_are_neutralised(text, expected):
    assert safe_text(text) == expected


def test_numbers_are_never_altered_and_bad_utf8_paths_are_escaped():
    weird = os.fsdecode(b"/logs/caf\xe9.log")
    summaries = [FileSummary(weird, metrics={"delta": Metric.of([-5])})]
    out = io.StringIO()
    write_metrics(summaries, out)
    assert "*,delta,1,-5,25,-5,-5,-5,0.0" in out.getvalue()
    files = io.StringIO()
    write_files(summaries, files)
    assert "/logs/caf\\xe9.log" in files.getvalue()
    files.getvalue().encode("utf-8")


def test_enospc_while_writing_leaves_previous_report_intact(tmp_path, monkeypatch):
    publish_reports(sample_input(), str(tmp_path))
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    changed = sample_input()
    changed.summaries["/logs/n1/a.log"].lines = 99

    write_table = report.write_table

    def full_disk(columns, rows, fp):
        if columns != report.METRICS_COLUMNS:
            return write_table(columns, rows, fp)
        fp.write("path,metric\n")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(report, "write_table", full_disk)
    with pytest.raises(OSError, match="No space left"):
        publish_reports(changed, str(tmp_path))
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_files_csv_counts_the_samples_left_out():
    out = io.StringIO()
    write_files([FileSummary("/logs/a", samples_out_of_range=3, samples_over_metric_cap=9)], out)
    row = next(csv.DictReader(io.StringIO(out.getvalue())))
    assert (row["samples_out_of_range"], row["samples_over_metric_cap"]) == ("3", "9")
    assert list(row)[-5:-2] == ["samples_out_of_range", "samples_over_metric_cap", "level_lines"]


def test_the_report_writer_never_raises_on_any_stored_value():
    largest = int(sys.float_info.max)
    extreme = {
        "past_double": Metric(2, 2 * 10**400 + 1, 10**800, 10**400, 10**400 + 1),
        "fraction_sums": Metric(3, Fraction(10**400, 3), Fraction(10**900, 7), Fraction(-1, 3),
                                Fraction(10**400, 9)),
        "too_long_for_str": Metric(1, 10**5000, 10**5000, 1, 1),
        "inconsistent": Metric(1, 0, 10**1000, 0, 0),
        "extremes": Metric.of([largest, -largest]),
    }
    out = io.StringIO()
    write_metrics([FileSummary("/logs/a", metrics=extreme)], out)
    rows = {row["metric"]: row for row in csv.DictReader(io.StringIO(out.getvalue()))
            if row["path"] != "*"}
    assert rows["past_double"]["mean"] == "1e+400"
    assert rows["past_double"]["stddev"] == "0.0"
    assert rows["fraction_sums"]["sum"] == "3.3333333333333333e+399"
    assert rows["too_long_for_str"]["sum"] == "1e+5000"
    assert rows["inconsistent"]["stddev"] == "inf"
    assert float(rows["extremes"]["stddev"]) == sys.float_info.max
    for row in rows.values():
        for column in ("sum", "sum_sq", "min", "max", "mean", "stddev"):
            float(row[column])  # every cell is a number a spreadsheet reads


def test_metrics_csv_ends_with_the_percentiles_of_every_file_and_overall(tmp_path):
    publish_reports(sample_input(), str(tmp_path))
    rows = read_csv(tmp_path / "metrics.csv")
    assert list(rows[0])[-4:] == ["stddev", "p50", "p95", "p99"]
    # Nearest rank of 1, 3, 5 (overall), 5 and 1, 3: each estimate clamped into [min, max].
    assert [(r["path"], r["p50"], r["p95"], r["p99"]) for r in rows] == [
        ("*", "3.01554", "5.0", "5.0"), ("/logs/n1/a.log", "5.0", "5.0", "5.0"),
        ("/logs/n2/b.log", "1.00775", "3.0", "3.0")]


def test_metric_cells_are_the_metrics_csv_cells_of_the_merged_metric(tmp_path):
    publish_reports(sample_input(), str(tmp_path))
    star = read_csv(tmp_path / "metrics.csv")[0]
    overall = overall_metrics(sample_input().summaries.values())
    assert list(overall) == ["ms"] and overall["ms"] == Metric.of([1, 3, 5])
    assert metric_cells(overall["ms"]) == [star[column] for column in METRIC_CELL_COLUMNS]
    assert METRIC_CELL_COLUMNS[0] == "count" and METRIC_CELL_COLUMNS[-1] == "p99"


def test_percentiles_are_six_significant_digits_and_empty_without_a_sketch():
    values = [123456789, 2, Fraction(1, 3)]
    cells = dict(zip(METRIC_CELL_COLUMNS, metric_cells(Metric.of(values)), strict=True))
    assert cells["p99"] == "123205000.0" and cells["max"] == "123456789"  # within 0.3 %
    assert cells["p50"] == "2.0155"  # the representative of [2, 2.03125)
    stored_before = dict(zip(METRIC_CELL_COLUMNS, metric_cells(Metric(2, 3, 5, 1, 2)), strict=True))
    assert (stored_before["p50"], stored_before["p95"], stored_before["p99"]) == ("", "", "")
    assert stored_before["mean"] == "1.5"
    beyond_double = Metric(1, 10**400, 10**800, 10**400, 10**400, Sketch({TOP: 1}))
    assert metric_cells(beyond_double)[-1] == "1e+400"
