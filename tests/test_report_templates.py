"""templates.csv and timeline.csv: the contract columns, order, and the exact sum invariants."""

from __future__ import annotations

import csv
import os
import random
from collections import Counter

from logcrunch.report import OTHER_TEMPLATES, ReportInput, publish_reports
from logcrunch.scan import ScanConfig, scan_file
from logcrunch.summary import FileSummary

STATEMENTS = [
    ("ERROR", "upstream timeout after {n} ms"),
    ("ERROR", "Replica {n} is lost"),
    ("ERROR", "Replica {n} is corrupt"),
    ("WARN", "slow query took {n} ms on db{n}"),
    ("WARN", "retrying {n} of 3"),
    ("INFO", "served {n} requests"),
]


def write_tree(root, seed=7, files=4, lines=400):
    rng = random.Random(seed)
    paths = []
    for host in ("node01", "node02"):
        for index in range(files // 2):
            path = root / host / "app" / f"app{index}.log"
            path.parent.mkdir(parents=True, exist_ok=True)
            rows = []
            minute = rng.randint(0, 50)
            for _ in range(lines):
                minute += rng.randint(0, 3)
                hour, mm = divmod(minute, 60)
                level, text = rng.choice(STATEMENTS)
                rows.append(f"2026-11-26 {10 + hour:02d}:{mm:02d}:00 {level} "
                            f"{text.format(n=rng.randint(1, 999))}\n")
                if rng.random() < 0.05:
                    rows.append("\tat com.example.Thing.run(Thing.java:42)\n")
            path.write_text("started without a stamp\n" + "".join(rows))
            paths.append(str(path))
    return paths


def report_of(root, paths, config=None, top=50):
    config = config or ScanConfig()
    summaries = {p: scan_file(p, config) for p in paths}
    out = root / "report"
    publish_reports(ReportInput(summaries, {p: str(root) for p in paths}, {}), str(out), top=top)
    return summaries, {name: list(csv.DictReader(open(out / name, newline="", encoding="utf-8")))
                       for name in ("summary.csv", "templates.csv", "timeline.csv")}


def test_templates_csv_sums_exactly_to_each_groups_level_lines(tmp_path):
    paths = write_tree(tmp_path)
    _summaries, csvs = report_of(tmp_path, paths, top=2)
    totals = {row["group"]: row for row in csvs["summary.csv"]}
    sums = Counter()
    for row in csvs["templates.csv"]:
        sums[row["group"], row["level"]] += int(row["count"])
    for group, row in totals.items():
        assert sums[group, "error"] == int(row["error_lines"])
        assert sums[group, "warn"] == int(row["warn_lines"])
    others = [row for row in csvs["templates.csv"] if row["template"] == OTHER_TEMPLATES]
    assert others and all(row["first_ts"] == row["example"] == "" for row in others)


def test_templates_csv_order_and_columns(tmp_path):
    paths = write_tree(tmp_path)
    _summaries, csvs = report_of(tmp_path, paths)
    rows = csvs["templates.csv"]
    assert list(rows[0]) == ["group", "level", "template", "count", "files", "first_ts",
                             "last_ts", "example_path", "example"]
    groups = [row["group"] for row in rows]
    assert groups[0] == "*" and groups == sorted(groups, key=lambda g: (g != "*", g))
    for group in set(groups):
        for level in ("error", "warn"):
            counts = [int(r["count"]) for r in rows if r["group"] == group and r["level"] == level
                      and r["template"] != OTHER_TEMPLATES]
            assert counts == sorted(counts, reverse=True)
    star = {r["template"]: r for r in rows if r["group"] == "*"}
    lost = star["Replica <*> is lost"]
    assert "Replica <*> is corrupt" in star
    assert int(lost["files"]) == 4
    assert "is lost" in lost["example"] and lost["example_path"] == min(
        r for r in paths if "is lost" in open(r).read())
    assert lost["first_ts"] <= lost["last_ts"] and lost["first_ts"].endswith("Z")


def test_timeline_sums_exactly_and_fills_every_hour(tmp_path):
    paths = write_tree(tmp_path)
    _summaries, csvs = report_of(tmp_path, paths)
    totals = {row["group"]: row for row in csvs["summary.csv"]}
    for group, total in totals.items():
        rows = [r for r in csvs["timeline.csv"] if r["group"] == group]
        for column in ("lines", "error_lines", "warn_lines"):
            assert sum(int(r[column]) for r in rows) == int(total[column])
        assert rows[0]["hour"] == ""  # the lines before each file's first stamp
        assert int(rows[0]["lines"]) == int(total["files_ok"])
        hours = [r["hour"] for r in rows[1:]]
        assert hours == sorted(hours) and all(h.endswith(":00:00Z") for h in hours)
        steps = {int(b[11:13]) - int(a[11:13]) for a, b in zip(hours, hours[1:], strict=False)}
        assert steps <= {1}


def test_a_gap_in_the_logs_shows_as_zero_hours(tmp_path):
    path = tmp_path / "h" / "a.log"
    path.parent.mkdir()
    path.write_text("2026-11-26 10:10:00 ERROR x 1\n2026-11-26 13:10:00 WARN y 2\n")
    _summaries, csvs = report_of(tmp_path, [str(path)])
    star = [(r["hour"], r["lines"]) for r in csvs["timeline.csv"] if r["group"] == "*"]
    assert star == [("2026-11-26T10:00:00Z", "1"), ("2026-11-26T11:00:00Z", "0"),
                    ("2026-11-26T12:00:00Z", "0"), ("2026-11-26T13:00:00Z", "1")]


def test_split_ranges_give_the_same_templates_and_timeline(tmp_path):
    paths = write_tree(tmp_path, files=2, lines=3000)
    config = ScanConfig(chunk_size=4096)
    for path in paths:
        whole = scan_file(path, config)
        size = os.path.getsize(path)
        for cuts in ([size // 3, 2 * size // 3], [1, size // 2, size - 5]):
            bounds = [0, *cuts, size]
            merged: FileSummary | None = None
            for start, end in zip(bounds, bounds[1:], strict=False):
                part = scan_file(path, config, start, end)
                merged = part if merged is None else merged.merge_range(part)
            assert merged.timeline == whole.timeline
            assert merged.templates == whole.templates
            assert (merged.level_lines, merged.first_ts, merged.last_ts) == \
                (whole.level_lines, whole.first_ts, whole.last_ts)


def test_the_per_file_template_cap_keeps_sums_exact(tmp_path):
    path = tmp_path / "h" / "many.log"
    path.parent.mkdir()
    path.write_text("".join(f"2026-11-26 10:00:00 ERROR failure kind{chr(97 + i % 26)}"
                            f"{chr(97 + i // 26 % 26)} happened\n" for i in range(600)))
    config = ScanConfig(max_templates=10)
    summary = scan_file(str(path), config)
    assert len(summary.templates) == 10
    assert [row[1] for row in summary.templates] == sorted(row[1] for row in summary.templates)
    _summaries, csvs = report_of(tmp_path, [str(path)], config)
    rows = [r for r in csvs["templates.csv"] if r["group"] == "*" and r["level"] == "error"]
    assert sum(int(r["count"]) for r in rows) == 600
    assert rows[-1]["template"] == OTHER_TEMPLATES and int(rows[-1]["count"]) == 600 - 10 * 1
