"""A report made from the state database reads its summaries one file at a time.

state.StoredSummaries either holds a small run's summaries (read once) or, past
defaults.REPORT_HELD_BYTES of stored text, reads them again on each of the report's passes. Both
must write exactly the files the in-memory reference (report.HeldSummaries over a dict) writes,
and the streamed one must not hold the run's summaries.
"""

from __future__ import annotations

import gzip
import tracemalloc
from fractions import Fraction
from pathlib import Path

import pytest

from logcrunch import defaults, report
from logcrunch.report import HTML_FILE, REPORT_FILES, ReportInput, publish_reports
from logcrunch.scan import ScanConfig, scan_file
from logcrunch.state import StateDB
from logcrunch.summary import FileSummary, Metric

LEVELS = ["INFO", "INFO", "WARN", "ERROR", "DEBUG"]


def make_logs(root: Path) -> list[Path]:
    """Three hosts of stamped, levelled logfmt lines (several templates and hours each), a
    corrupt .gz and a file with no levels at all."""
    paths = []
    for host in range(3):
        directory = root / f"node{host}" / "app"
        directory.mkdir(parents=True)
        for number in range(3):
            lines = []
            for index in range(400):
                level = LEVELS[(index * 7 + host + number) % 5]
                lines.append(f"2026-11-27T{(index // 40 + host) % 24:02d}:{index % 60:02d}:00Z "
                             f"node{host} app[{100 + number}]: {level} request {index % 7} "
                             f"failed for user u{index % 3} latency_ms={index * 37 % 5000} "
                             f"bytes={index * 1013 % 100000}")
            path = directory / f"app-{number}.log"
            path.write_text("\n".join(lines) + "\n")
            paths.append(path)
    bad = root / "node1" / "app" / "old.log.gz"
    bad.write_bytes(gzip.compress(b"x ERROR y\n" * 100)[:20])  # truncated
    plain = root / "node2" / "app" / "plain.txt"
    plain.write_text("no level here\n" * 50)
    return sorted([*paths, bad, plain])


def stored_run(tmp_path: Path) -> tuple[StateDB, int, dict[str, FileSummary]]:
    """A finished-looking run in a state database: every file scanned, the largest one in two
    byte ranges, one file deferred; and the final summaries as the reference holds them."""
    paths = make_logs(tmp_path / "logs")
    db = StateDB(str(tmp_path / "state.db"))
    run, _ = db.start_run([str(tmp_path / "logs")], {}, False, str(tmp_path / "out"), False)
    config = ScanConfig()
    rows, reference = [], {}
    split = paths[0]
    middle = split.read_bytes().index(b"\n", split.stat().st_size // 2) + 1
    for path in paths:
        if path == split:
            first = scan_file(str(path), config, 0, middle)
            second = scan_file(str(path), config, middle, None)
            rows += [(first, str(tmp_path / "logs"), 0, 2, ""),
                     (second, str(tmp_path / "logs"), middle, 2, "")]
            reference[str(path)] = first.merge_range(second)
            continue
        summary = scan_file(str(path), config)
        rows.append((summary, str(tmp_path / "logs"), 0, 1, ""))
        reference[str(path)] = summary
    deferred = FileSummary(str(tmp_path / "logs" / "node0" / "app" / "growing.log"),
                           status="deferred")
    rows.append((deferred, str(tmp_path / "logs"), 0, 1, ""))
    db.store_results(run.run_id, rows)
    return db, run.run_id, reference


def published(report_input: ReportInput, out: Path) -> dict[str, bytes]:
    publish_reports(report_input, str(out))
    return {name: (out / name).read_bytes() for name in (*REPORT_FILES, HTML_FILE)}


def test_streamed_held_and_in_memory_reports_are_byte_for_byte_the_same(tmp_path, monkeypatch):
    db, run_id, reference = stored_run(tmp_path)
    held_input = db.report_input(run_id)
    assert held_input.summaries._held is not None  # small: read once and held
    held = published(held_input, tmp_path / "held")
    monkeypatch.setattr(defaults, "REPORT_HELD_BYTES", 0)
    streamed_input = db.report_input(run_id)
    assert streamed_input.summaries._held is None
    streamed = published(streamed_input, tmp_path / "streamed")
    memory = published(ReportInput(reference, held_input.roots, held_input.unchanged,
                                   held_input.deferred), tmp_path / "memory")
    assert streamed == held == memory
    assert b"growing.log,deferred" in streamed["files.csv"]
    assert b"old.log.gz,failed" in streamed["files.csv"]
    assert streamed["templates.csv"].count(b"\n") > 5


def test_a_streamed_report_reads_each_summary_a_few_times_and_never_all_at_once(tmp_path,
                                                                                monkeypatch):
    """Counted, not timed: the streamed source loads summaries on demand; however many passes
    the report makes, none keeps a reference to them (all are collectable between loads)."""
    monkeypatch.setattr(defaults, "REPORT_HELD_BYTES", 0)
    db, run_id, reference = stored_run(tmp_path)
    source = db.report_input(run_id)
    loads = []
    real = type(source.summaries)._load

    def counting(self, path):
        loads.append(path)
        return real(self, path)

    monkeypatch.setattr(type(source.summaries), "_load", counting)
    publish_reports(source, str(tmp_path / "out"))
    files = len(reference)
    assert files <= len(loads) <= 8 * files  # a handful of passes over the files
    assert sorted(set(loads)) == sorted(reference)


def sketchy_summaries(count: int) -> dict[str, FileSummary]:
    """``count`` ok files with three metrics each spanning 30 octaves (a big sketch apiece)."""
    summaries = {}
    for index in range(count):
        values = [Fraction(2) ** exponent + index for exponent in range(-10, 20)] * 3
        metrics = {name: Metric.of(values) for name in ("latency_ms", "bytes", "wait_s")}
        path = f"/logs/node{index % 7}/app/{index:05d}.log"
        summaries[path] = FileSummary(path, lines=90, size_bytes=9000, metrics=metrics)
    return summaries


def peak_bytes(action) -> int:
    tracemalloc.start()
    try:
        action()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("files", [600])
def test_streamed_reports_peak_memory_does_not_grow_with_the_files(tmp_path, monkeypatch, files):
    """tracemalloc's peak (allocation sizes, not timings): a report streamed from the database
    over ``files`` files peaks far below the same report made with every summary held, and
    about where a report of a fifth of the files peaks."""
    db = StateDB(str(tmp_path / "state.db"))

    def run_of(summaries) -> int:
        run, _ = db.start_run(["/logs"], {"n": len(summaries)}, False, "out", True)
        db.store_results(run.run_id, [(s, "/logs", 0, 1, "") for s in summaries.values()])
        return run.run_id

    big = run_of(sketchy_summaries(files))
    small = run_of(sketchy_summaries(files // 5))

    def report_of(run_id, out):
        return lambda: publish_reports(db.report_input(run_id), str(tmp_path / out),
                                       html=False)

    held = peak_bytes(report_of(big, "held"))
    monkeypatch.setattr(defaults, "REPORT_HELD_BYTES", 0)
    streamed = peak_bytes(report_of(big, "streamed"))
    streamed_small = peak_bytes(report_of(small, "streamed-small"))
    assert streamed * 3 < held
    assert streamed < 2 * streamed_small
    for name in REPORT_FILES:
        assert (tmp_path / "held" / name).read_bytes() == \
            (tmp_path / "streamed" / name).read_bytes()


def test_held_summaries_iterate_in_path_order_whatever_the_dict_order():
    summaries = {path: FileSummary(path) for path in ("/b/x", "/a/y", "/a/x", "/c")}
    source = report.HeldSummaries(summaries)
    assert list(source) == ["/a/x", "/a/y", "/b/x", "/c"]
    assert [s.path for s in source.values()] == ["/a/x", "/a/y", "/b/x", "/c"]
    assert ReportInput(summaries, {}, {}).summaries.__class__ is report.HeldSummaries
