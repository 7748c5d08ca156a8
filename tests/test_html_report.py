"""report.html's renderer: the CSVs' numbers, escaping, nothing external, determinism, the
attention rules. (tests/test_report_html_browser.py renders it in Chromium.)"""

import csv
import re
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logcrunch import defaults
from logcrunch.html_report import render_html, standout_groups
from logcrunch.report import (
    HTML_FILE,
    OTHER_TEMPLATES,
    SUMMARY_COLUMNS,
    ReportInput,
    RunInfo,
    Table,
    publish_reports,
    report_tables,
)
from logcrunch.summary import FileSummary, Metric

HOSTILE = '<script>document.title="pwned"</script><img src=x onerror=alert(1)>'
RUN = RunInfo(7, ("/logs",), 1764806400.0, 1764806460.5, "files_failed")


def summary(path, lines, errors, warns, hours, templates=(), metrics=None):
    timeline = {hour: [lines // len(hours), errors // len(hours), warns // len(hours)]
                for hour in hours}
    return FileSummary(path, lines=sum(r[0] for r in timeline.values()),
                       error_lines=sum(r[1] for r in timeline.values()),
                       warn_lines=sum(r[2] for r in timeline.values()), size_bytes=lines * 50,
                       level_lines=lines, format="plain", timeline=timeline,
                       templates=sorted(templates), metrics=metrics or {},
                       first_ts=hours[0], last_ts=hours[-1])


def sample_input():
    hours = ["2026-11-27T22:00:00Z", "2026-11-27T23:00:00Z", "2026-11-28T00:00:00Z"]
    files = [
        summary("/logs/n1/a.log", 300, 30, 60, hours,
                [[2, "db down after <*> ms", 30, hours[0], hours[2], "ERROR db down after 5 ms"],
                 [1, "slow <*>", 60, hours[0], hours[2], "WARN slow 3"]],
                {"ms": Metric.of([1, 3, 8])}),
        summary("/logs/n2/b.log", 300, 120, 30, hours,
                [[2, "db down after <*> ms", 90, hours[0], hours[2], "ERROR db down after 9 ms"],
                 [2, f"bad input {HOSTILE}", 30, hours[1], hours[1], f"ERROR bad {HOSTILE}"],
                 [1, "slow <*>", 30, hours[0], hours[2], "WARN slow 4"]],
                {"ms": Metric.of([2, 4]), "bytes": Metric.of([100])}),
        FileSummary.failed(f"/logs/n3/{HOSTILE}.gz", f"truncated gzip stream {HOSTILE}",
                           size_bytes=7),
    ]
    summaries = {s.path: s for s in files}
    return ReportInput(summaries, {path: "/logs" for path in summaries}, {})


class Cells(HTMLParser):
    """Each table (by id) as rows of cell texts, each cell's title attributes, and the totals."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, list[list[str]]] = {}
        self.titles: dict[str, list[list[str]]] = {}
        self.totals: dict[str, str] = {}
        self._table = self._cell = self._total = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self._table = attrs["id"]
            self.tables[self._table], self.titles[self._table] = [], []
        elif tag == "tr" and self._table:
            self.tables[self._table].append([])
            self.titles[self._table].append([])
        elif tag == "td" and self._table:
            self._cell = []
            self.tables[self._table][-1].append("")
            self.titles[self._table][-1].append("")
        elif self._cell is not None and "title" in attrs:
            self.titles[self._table][-1][-1] = attrs["title"]
        if "data-total" in attrs:
            self._total = attrs["data-total"]
            self.totals[self._total] = ""

    def handle_endtag(self, tag):
        if tag == "table":
            self._table = None
        elif tag == "td":
            self._cell = None
        elif tag == "div":
            self._total = None

    def handle_data(self, data):
        if self._cell is not None:
            self.tables[self._table][-1][-1] += " " + data
        if self._total:
            self.totals[self._total] += data


def cells(page: str) -> Cells:
    parser = Cells()
    parser.feed(page)
    for rows in parser.tables.values():
        rows[:] = [[" ".join(cell.split()) for cell in row] for row in rows if row]
    for rows in parser.titles.values():
        rows[:] = [row for row in rows if row]
    return parser


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as fp:
        return list(csv.DictReader(fp))


def test_the_numbers_on_the_page_are_the_csv_cells(tmp_path):
    publish_reports(sample_input(), str(tmp_path), run_info=RUN)
    page = cells((tmp_path / HTML_FILE).read_text(encoding="utf-8"))
    overall = read_csv(tmp_path / "summary.csv")[0]
    assert page.totals == {key: overall[key] for key in ("files", "lines", "error_lines",
                                                          "warn_lines")}
    groups = read_csv(tmp_path / "summary.csv")[1:]
    assert [row[:6] for row in page.tables["group-table"]] == [
        [g["group"], g["files"], g["files_failed"], g["lines"], g["error_lines"], g["warn_lines"]]
        for g in groups]
    assert [row[6] for row in page.titles["group-table"]] == [g["error_rate"] for g in groups]
    assert [row[6] for row in page.tables["group-table"]] == [
        f"{float(g['error_rate']) * 100:.2f}%" for g in groups]
    metrics = [row for row in read_csv(tmp_path / "metrics.csv") if row["path"] == "*"]
    assert page.tables["metric-table"] == [[row[c] for c in list(row)[1:]] for row in metrics]
    for level in ("error", "warn"):
        csv_rows = [row for row in read_csv(tmp_path / "templates.csv")
                    if row["group"] == "*" and row["level"] == level]
        shown = page.tables[f"templates-{level}"]
        assert [(row[0], row[1], row[3], row[4]) for row in shown] == [
            (r["count"], r["files"], r["first_ts"], r["last_ts"]) for r in csv_rows]
        assert [row[2] for row in shown] == [f"{r['template']} e.g. {r['example']}"
                                             for r in csv_rows]
    failed = [row for row in read_csv(tmp_path / "files.csv") if row["status"] == "failed"]
    assert page.tables["failed-files"] == [[row["path"], row["error"]] for row in failed]


def test_text_from_logs_is_escaped_and_never_markup():
    page = render_html(report_tables(sample_input()), RUN)
    assert "<script" not in page and "<img" not in page and "onerror=alert(1)>" not in page
    assert page.count("&lt;script&gt;document.title=&quot;pwned&quot;&lt;/script&gt;") >= 4
    assert "<title>logcrunch report, run 7</title>" in page


class Tags(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)


def test_the_page_refers_to_nothing_outside_itself():
    parser = Tags()
    parser.feed(render_html(report_tables(sample_input()), RUN, changes=[]))
    names = {tag for tag, _attrs in parser.tags}
    assert not names & {"script", "img", "link", "iframe", "object", "embed", "base", "form"}
    references = [value for _tag, attrs in parser.tags for name, value in attrs.items()
                  if name in ("src", "href", "action", "xlink:href", "srcset", "poster")]
    assert references and all(ref.startswith("#") for ref in references), references
    assert not [attrs for _tag, attrs in parser.tags if "url(" in attrs.get("style", "")]
    assert "url(" not in "".join(parser.styles) and "@import" not in "".join(parser.styles)
    policy = [attrs["content"] for tag, attrs in parser.tags
              if tag == "meta" and attrs.get("http-equiv") == "Content-Security-Policy"]
    assert policy and policy[0].startswith("default-src 'none';")  # and the browser is told so


def test_the_same_input_gives_the_same_bytes(tmp_path):
    first = render_html(report_tables(sample_input()), RUN)
    assert render_html(report_tables(sample_input()), RUN) == first
    publish_reports(sample_input(), str(tmp_path / "a"), run_info=RUN)
    publish_reports(sample_input(), str(tmp_path / "b"), run_info=RUN)
    assert (tmp_path / "a" / HTML_FILE).read_bytes() == (tmp_path / "b" / HTML_FILE).read_bytes()
    assert (tmp_path / "a" / HTML_FILE).read_text(encoding="utf-8") == first


def test_header_shows_the_run_in_utc():
    page = render_html(report_tables(sample_input()), RUN)
    for text in ("files_failed", "/logs", "2025-12-04T00:00:00Z", "2025-12-04T00:01:00Z"):
        assert text in page


def test_charts_are_inline_svg_with_viewbox_and_tooltips():
    page = render_html(report_tables(sample_input()), RUN)
    charts = re.findall(r"<svg [^>]*>", page)
    # overall (wide and narrow), one per group with lines (n3 only failed), a rate bar per group
    assert len(charts) == 2 + 2 + 3
    assert all('viewBox="' in svg and 'width="100%"' in svg for svg in charts)
    assert "<title>2026-11-27T23:00:00Z: 50 error lines, 30 warning lines, 200 lines</title>" \
        in page  # n1's 10 + n2's 40 errors in that hour, 20 + 10 warnings


def test_without_a_baseline_the_page_says_so():
    page = render_html(report_tables(sample_input()), RUN, changes=None)
    assert page.count("No baseline yet") == 1
    assert 'id="new-templates"' not in page and 'id="spikes"' not in page


def test_new_templates_and_spikes_come_from_changes_rows():
    changes = [
        {"group": "*", "kind": "template", "level": "error", "name": f"boom {HOSTILE}",
         "tonight": "12", "baseline": "0", "change": "new"},
        {"group": "n2", "kind": "total", "level": "error", "name": "", "tonight": "120",
         "baseline": "40", "change": "up"},
        {"group": "n1", "kind": "template", "level": "warn", "name": "slow <*>", "tonight": "5",
         "baseline": "60", "change": "down"},
        {"group": "*", "kind": "template", "level": "warn", "name": "gone one", "tonight": "0",
         "baseline": "3", "change": "gone"},
    ]
    page = render_html(report_tables(sample_input()), RUN, changes=changes)
    table = cells(page).tables
    assert table["new-templates"] == [["all groups", f"error boom {HOSTILE}", "12"]]
    assert table["spikes"] == [["n2", "error all lines", "40", "120", "▲ up"],
                               ["n1", "warn slow <*>", "60", "5", "▼ down"]]
    assert "1 seen at the baseline but not tonight" in page
    assert "No baseline yet" not in page


def test_an_empty_changes_list_is_a_calm_night_when_nothing_else_is_wrong():
    hours = ["2026-11-27T22:00:00Z"]
    files = {"/logs/n1/a": summary("/logs/n1/a", 100, 1, 0, hours),
             "/logs/n2/b": summary("/logs/n2/b", 100, 1, 0, hours)}
    report = ReportInput(files, {path: "/logs" for path in files}, {})
    page = render_html(report_tables(report), RUN, changes=[])
    assert "Nothing needs attention tonight." in page
    assert "Nothing needs attention" not in render_html(report_tables(sample_input()), RUN, [])


def summary_table(*groups):
    """summary.csv rows for (group, lines, error_lines), with the '*' row first."""
    lines = sum(g[1] for g in groups)
    errors = sum(g[2] for g in groups)
    rows = [("*", lines, errors), *groups]
    return [{"group": name, "lines": str(n), "error_lines": str(e),
             "error_rate": repr(e / n if n else 0.0)} for name, n, e in rows]


@pytest.mark.parametrize("groups,expected", [
    # overall 40/1000 = 4%: 2x is 8%
    ((("a", 100, 8), ("b", 900, 32)), []),  # 2x, but 8 error lines: too few
    ((("a", 125, 10), ("b", 875, 30)), ["a"]),  # 8% with 10 error lines: stands out
    ((("a", 200, 15), ("b", 800, 25)), []),  # 7.5%: under 2x the overall 4%
    ((("a", 1000, 40),), []),  # one group is the whole
    ((("a", 100, 0), ("b", 100, 0)), []),  # no errors: nothing stands out
    ((("a", 130, 20), ("c", 130, 30), ("b", 1740, 30)), ["c", "a"]),  # highest rate first
])
def test_a_group_stands_out_at_twice_the_overall_rate_with_enough_errors(groups, expected):
    assert defaults.OUTLIER_RATE_FACTOR == 2.0 and defaults.OUTLIER_MIN_ERROR_LINES == 10
    assert [row["group"] for row in standout_groups(summary_table(*groups))] == expected


def test_the_metrics_table_shows_metrics_csv_s_overall_rows_with_percentiles():
    tables = report_tables(sample_input())
    metrics = tables["metrics.csv"]
    overall = [row for row in metrics.rows() if row[0] == "*"]
    page = render_html(tables, RUN)
    for name in ("p50", "p95", "p99"):
        assert f'<th class="num">{name}</th>' in page
    table = cells(page).tables["metric-table"]
    assert [row[-3:] for row in table] == [row[-3:] for row in overall]
    assert all(row[-1] for row in overall)  # the sample's metrics have sketches
    tables["metrics.csv"] = Table.of(metrics.columns + ["p999"],
                                     [row + [f"9.{i}"] for i, row in enumerate(metrics.rows())])
    table = cells(render_html(tables, RUN)).tables["metric-table"]
    assert [row[-1] for row in table] == ["9.0", "9.1"]  # a new column needs no HTML change


def test_no_html_leaves_no_older_report_html_behind(tmp_path):
    paths = publish_reports(sample_input(), str(tmp_path), run_info=RUN)
    assert str(tmp_path / HTML_FILE) in paths
    (tmp_path / f".{HTML_FILE}.stale.tmp").write_text("left by a killed writer")
    paths = publish_reports(sample_input(), str(tmp_path), html=False)
    assert not (tmp_path / HTML_FILE).exists()
    assert str(tmp_path / HTML_FILE) not in paths
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "_SUCCESS", "changes.csv", "files.csv", "metrics.csv", "summary.csv", "templates.csv",
        "timeline.csv"]


def test_a_run_with_no_timestamps_or_metrics_still_renders():
    files = {"/logs/a": FileSummary("/logs/a", lines=3, error_lines=1, format="plain")}
    page = render_html(report_tables(ReportInput(files, {"/logs/a": "/logs"}, {})), RunInfo())
    assert "No metric samples" in page and "<h2>Errors and warnings per hour</h2>" in page
    assert "logcrunch report</title>" in page


HOURS = [f"2026-11-27T{h:02d}:00:00Z" for h in range(6)]


TRICKY = ["", HOSTILE, "<b>bold</b>", "&amp; &lt;", "\"'><svg onload=alert(1)>", "</td></tr>",
          "<!--", "]]>", "\u2028\x00\t"]


def log_text(max_size):
    """Any text, often with markup in it."""
    return st.one_of(st.text(max_size=max_size), st.sampled_from(TRICKY),
                     st.tuples(st.text(max_size=4), st.sampled_from(TRICKY)).map("".join))


@st.composite
def report_inputs(draw):
    """Files in a few groups with any text as templates, examples and file names, and counts."""
    files = {}
    for index in range(draw(st.integers(1, 5))):
        group = draw(st.sampled_from(["n1", "n2", "<b>n3</b>", "<script>n4"]))
        path = f"/logs/{group}/{draw(log_text(12))}{index}"
        if draw(st.booleans()):
            files[path] = FileSummary.failed(path, draw(log_text(30)))
            continue
        hours = draw(st.lists(st.sampled_from(HOURS), min_size=1, max_size=4, unique=True))
        timeline = {hour: [draw(st.integers(0, 50)), 0, 0] for hour in hours}
        for row in timeline.values():
            row[1] = draw(st.integers(0, row[0]))
            row[2] = draw(st.integers(0, row[0] - row[1]))
        errors = sum(row[1] for row in timeline.values())
        warns = sum(row[2] for row in timeline.values())
        templates = {}
        for level, total in ((2, errors), (1, warns)):
            for text in draw(st.lists(log_text(20).filter(bool), max_size=3, unique=True)):
                count = draw(st.integers(0, total))
                total -= count
                if count:
                    templates[(level, text)] = [level, text, count, min(hours), max(hours),
                                                draw(log_text(40))]
        files[path] = FileSummary(
            path, lines=sum(row[0] for row in timeline.values()), error_lines=errors,
            warn_lines=warns, timeline=timeline, templates=sorted(templates.values()),
            metrics={draw(log_text(8).filter(bool)): Metric.of(
                draw(st.lists(st.integers(-10**6, 10**6), min_size=1, max_size=4)))})
    return ReportInput(files, {path: "/logs" for path in files}, {})


ALLOWED_TAGS = {"html", "head", "meta", "title", "style", "body", "div", "header", "h1", "h2",
                "h3", "span", "dl", "dt", "dd", "nav", "a", "section", "p", "table", "thead",
                "tbody", "tr", "th", "td", "code", "svg", "rect", "line", "text", "g", "figure",
                "figcaption", "strong", "footer"}


@settings(max_examples=60, deadline=None)
@given(report_inputs())
def test_any_text_in_logs_stays_text_and_every_shown_count_is_a_csv_cell(report):
    tables = report_tables(report, top=3)
    page = render_html(tables, RUN)
    tags = Tags()
    tags.feed(page)
    assert {tag for tag, _attrs in tags.tags} <= ALLOWED_TAGS
    assert not [name for _tag, attrs in tags.tags for name in attrs if name.startswith("on")]
    shown = cells(page)
    expected_templates = [r for r in tables["templates.csv"].rows() if r[0] == "*"]
    for level in ("error", "warn"):
        rows = [r for r in expected_templates if r[1] == level]
        assert [row[:2] for row in shown.tables.get(f"templates-{level}", [])] == \
            [[r[3], r[4]] for r in rows]
        for shown_row, row in zip(shown.tables.get(f"templates-{level}", []), rows,
                                  strict=True):
            if row[2] != OTHER_TEMPLATES:
                assert shown_row[2] == " ".join(f"{row[2]} e.g. {row[8]}".split())
    groups = list(tables["summary.csv"].rows())[1:]
    standout = {row["group"] for row in standout_groups(
        [dict(zip(SUMMARY_COLUMNS, row, strict=True)) for row in tables["summary.csv"].rows()])}
    assert [row[:6] for row in shown.tables["group-table"]] == [
        [" ".join((g[0] + (" stands out" if g[0] in standout else "")).split()), g[1], g[4],
         g[6], g[7], g[8]] for g in groups]
    failed = [r for r in tables["files.csv"].rows() if r[1] == "failed"]
    assert shown.tables.get("failed-files", []) == [
        [" ".join(r[0].split()), " ".join(r[2].split())] for r in failed]
