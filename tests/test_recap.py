"""The end-of-run summary text, built from a run's ReportInput (pure)."""

from logcrunch.recap import RecapOptions, printable, run_recap
from logcrunch.report import ReportInput
from logcrunch.summary import FileSummary


def ok(path, lines, errors):
    return FileSummary(path=path, lines=lines, error_lines=errors, size_bytes=lines * 10)


def report_of(*summaries, unchanged=None, deferred=None):
    return ReportInput({s.path: s for s in summaries}, {s.path: "/logs" for s in summaries},
                       unchanged or {}, deferred or {})


OPTIONS = RecapOptions(run_id=7, seconds=12.34, out_dir="/srv/reports/today")


def test_recap_counts_files_lines_and_ends_with_where_the_report_is():
    report = report_of(ok("/logs/a/x.log", 1000, 10), ok("/logs/b/y.log", 3000, 0),
                       FileSummary.skipped("/logs/b/z.bin", "binary"),
                       FileSummary.failed("/logs/c/bad.gz", "not in gzip format"),
                       unchanged={"/logs/a/old.log": "/logs"})
    lines = run_recap(report, OPTIONS)
    assert lines[0] == ("run 7 finished in 12.3 s: 5 files (2 read, 1 failed, 1 skipped, "
                        "1 unchanged)")
    assert lines[1] == "4,000 lines, 10 error lines (0.25%)"
    assert "failed: /logs/c/bad.gz: not in gzip format" in lines
    assert lines[-1] == "wrote the report to /srv/reports/today"


def test_top_three_groups_by_error_rate_with_their_rates():
    report = report_of(ok("/logs/low/a.log", 1000, 1), ok("/logs/high/a.log", 100, 50),
                       ok("/logs/mid/a.log", 1000, 100), ok("/logs/mid2/a.log", 1000, 100),
                       ok("/logs/none/a.log", 1000, 0))
    (top,) = [line for line in run_recap(report, OPTIONS) if line.startswith("highest")]
    # mid and mid2 tie at 10%: the same rate, ordered by name
    assert top == ("highest error rates: high 50.00% (50 of 100), mid 10.00% (100 of 1,000), "
                   "mid2 10.00% (100 of 1,000)")


def test_no_top_groups_line_without_error_lines():
    lines = run_recap(report_of(ok("/logs/a/x.log", 10, 0)), OPTIONS)
    assert not any(line.startswith("highest") for line in lines)
    assert lines[1] == "10 lines, 0 error lines (0.00%)"


def test_at_most_five_failed_files_then_how_many_more():
    failed = [FileSummary.failed(f"/logs/g/f{i}.log", f"reason {i}") for i in range(8)]
    lines = run_recap(report_of(*failed), OPTIONS)
    shown = [line for line in lines if line.startswith("failed: ")]
    assert shown == [f"failed: /logs/g/f{i}.log: reason {i}" for i in range(5)]
    assert "... and 3 more failed files (see files.csv)" in lines


def test_html_report_resumed_and_deferred_are_mentioned():
    deferred = {"/logs/a/new.log": FileSummary("/logs/a/new.log", status="deferred")}
    options = RecapOptions(3, 1.0, "/out", html_report="/out/report.html", resumed=True)
    lines = run_recap(report_of(ok("/logs/a/x.log", 1, 1), deferred=deferred), options)
    assert lines[0] == ("run 3 (resumed) finished in 1.0 s: 2 files (1 read, 0 failed, "
                        "0 skipped, 0 unchanged, 1 deferred)")
    assert lines[-1] == "wrote the report to /out (open /out/report.html)"


def test_names_from_the_tree_cannot_drive_the_terminal():
    evil = FileSummary.failed("/logs/a/\x1b]0;owned\x07.log", "bad\x1b[2J\nline")
    lines = run_recap(report_of(evil), OPTIONS)
    assert not any(ch in "".join(lines) for ch in "\x1b\x07\n")
    assert "failed: /logs/a/?]0;owned?.log: bad?[2J?line" in lines
    assert printable("x" * 10, 6) == "xxx..."


def test_a_tiny_error_rate_is_not_shown_as_zero():
    lines = run_recap(report_of(ok("/logs/a/x.log", 10**6, 1)), OPTIONS)
    assert lines[1] == "1,000,000 lines, 1 error lines (<0.01%)"
