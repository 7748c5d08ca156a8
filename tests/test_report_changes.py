"""changes.csv on the report side: a run's aggregates, the writer, publication."""

import errno
import io
import os

import pytest

from logcrunch import report
from logcrunch.changes import CHANGES_COLUMNS, OTHER_TEMPLATES, ChangeRow
from logcrunch.report import (
    ReportInput,
    aggregates_of,
    group_totals,
    publish_reports,
    top_templates,
    write_changes,
)
from logcrunch.summary import FileSummary
from tests.helpers import read_csv


def templated(path, errors, warns, rows, **extra):
    return FileSummary(path, lines=100, error_lines=errors, warn_lines=warns,
                       templates=[[level, text, count, "", "", "ex"] for level, text, count in rows],
                       **extra)


def sample_input():
    summaries = {
        # 7 error lines in templates the file kept, 3 beyond its cap: "(other templates)"
        "/logs/h1/a.log": templated("/logs/h1/a.log", 10, 2,
                                    [(1, "slow <*>", 2), (2, "disk <*> full", 5), (2, "oom", 2)]),
        "/logs/h2/b.log": templated("/logs/h2/b.log", 4, 0, [(2, "disk <*> full", 4)]),
        "/logs/h2/bad.gz": FileSummary.failed("/logs/h2/bad.gz", "truncated", lines=50,
                                              error_lines=9),
    }
    return ReportInput(summaries, {path: "/logs" for path in summaries},
                       {"/logs/h3/old.log": "/logs"})


def test_aggregates_are_the_totals_and_every_template_count_of_ok_files():
    counts = aggregates_of(sample_input()).counts
    assert {key: count for key, count in counts.items() if key[0] == "*"} == {
        ("*", "total", "", "lines"): 200, ("*", "total", "error", "error_lines"): 14,
        ("*", "total", "warn", "warn_lines"): 2,
        ("*", "template", "error", "disk <*> full"): 9, ("*", "template", "error", "oom"): 2,
        ("*", "template", "warn", "slow <*>"): 2,
        ("*", "rest", "error", OTHER_TEMPLATES): 3}
    assert counts[("h2", "total", "error", "error_lines")] == 4  # the failed file counts nothing
    assert counts[("h3", "total", "", "lines")] == 0  # only unchanged files: present, at 0
    assert ("h2", "rest", "error", OTHER_TEMPLATES) not in counts


def test_aggregates_agree_with_summary_csv_and_uncut_templates_csv():
    data = sample_input()
    counts = aggregates_of(data).counts
    for group, totals in group_totals(data).items():
        assert [counts[(group, "total", level, name)] for level, name in
                (("", "lines"), ("error", "error_lines"), ("warn", "warn_lines"))] == \
            [totals.lines, totals.error_lines, totals.warn_lines]
    ok = sorted((s for s in data.summaries.values() if s.status == "ok"), key=lambda s: s.path)
    for level, name in ((2, "error"), (1, "warn")):
        ranked, other = top_templates(ok, level, top=10**6)
        assert {text: total.count for text, total in ranked} == {
            key[3]: count for key, count in counts.items()
            if key[:3] == ("*", "template", name)}
        assert other.count == counts.get(("*", "rest", name, OTHER_TEMPLATES), 0)


def test_with_several_roots_groups_name_their_root_as_in_summary_csv():
    summaries = {"/a/h1/x.log": templated("/a/h1/x.log", 1, 0, [(2, "boom", 1)]),
                 "/b/h1/y.log": templated("/b/h1/y.log", 0, 0, [])}
    data = ReportInput(summaries, {"/a/h1/x.log": "/a", "/b/h1/y.log": "/b"}, {})
    groups = {key[0] for key in aggregates_of(data).counts}
    assert groups == {"*", "/a/h1", "/b/h1"} == set(group_totals(data))


def test_changes_csv_is_guarded_for_spreadsheets_and_utf8():
    weird = os.fsdecode(b"caf\xe9")
    out = io.StringIO()
    write_changes([ChangeRow(weird, "template", "error", "=cmd <*>", 12, None, "new")], out)
    assert out.getvalue() == ("group,kind,level,name,tonight,baseline,change\n"
                              "caf\\xe9,template,error,'=cmd <*>,12,,new\n")
    empty = io.StringIO()
    write_changes([], empty)
    assert empty.getvalue() == ",".join(CHANGES_COLUMNS) + "\n"


def test_changes_csv_is_published_with_the_others_and_only_its_header_without_rows(tmp_path):
    paths = publish_reports(sample_input(), str(tmp_path))
    assert str(tmp_path / "changes.csv") in paths
    assert read_csv(tmp_path / "changes.csv") == []
    assert (tmp_path / "changes.csv").read_text().startswith("group,kind,level,name,")
    row = ChangeRow("*", "total", "", "lines", 200, 12, "up")
    publish_reports(sample_input(), str(tmp_path), changes=[row])
    assert read_csv(tmp_path / "changes.csv") == [
        {"group": "*", "kind": "total", "level": "", "name": "lines", "tonight": "200",
         "baseline": "12", "change": "up"}]
    assert (tmp_path / "_SUCCESS").exists()


def test_a_full_disk_while_writing_changes_csv_leaves_the_previous_report(tmp_path, monkeypatch):
    publish_reports(sample_input(), str(tmp_path))
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def full_disk(rows, fp):
        fp.write("group,kind\n")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(report, "write_changes", full_disk)
    with pytest.raises(OSError, match="No space left"):
        publish_reports(sample_input(), str(tmp_path), changes=[
            ChangeRow("*", "total", "", "lines", 1, 0, "up")])
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
