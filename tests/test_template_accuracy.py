"""The labelled template benchmark (benchmarks/labelled_logs.py, benchmarks/template_accuracy.py):
logcrunch's grouping accuracy stays above a measured floor, the data is deterministic, and
statements that differ only in constant text keep apart. Needs no drain3."""

from __future__ import annotations

import sys

import pytest

from logcrunch import formats, templates
from tests.helpers import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))

import labelled_logs  # noqa: E402
import labelled_logs_heldout  # noqa: E402
import template_accuracy  # noqa: E402

SEED = labelled_logs.DEFAULT_SEED
SMALL = 120  # lines per data set: 22 data sets, 2,640 lines

# Measured at SEED and SMALL (2026-12-01, after the path / dotted-name / HTTP-method, thread
# bracket, klog and nginx rules): error/warning lines 77.9 %, all lines 80.4 %; seeds 1 and 2:
# 79.0 / 81.4 and 77.1 / 78.9. At the full size (600 per data set) 77.8 % and 79.9 %, where
# Drain3 (default config, fed the same messages) has 74.9 % and 77.1 %.
FLOOR_ERRWARN = 0.72
FLOOR_ALL = 0.74


@pytest.fixture(scope="module")
def small_set():
    return labelled_logs.generate(SEED, SMALL)


def test_grouping_accuracy_above_floor(small_set):
    result = template_accuracy.evaluate(small_set, drain=False)
    errwarn = result["overall"]["errwarn"]
    assert errwarn["lines"] > 1500
    assert errwarn["logcrunch"] >= FLOOR_ERRWARN, template_accuracy.report(
        result, _Args(), drain=False)
    assert result["overall"]["all"]["logcrunch"] >= FLOOR_ALL
    # The "drain3 lc msg" column is fed the text logcrunch masks: the benchmark's copy of the
    # message extraction must still be line_template's.
    assert result["checks"]["extraction_mismatches"] == 0


def test_generator_is_deterministic(small_set):
    again = labelled_logs.generate(SEED, SMALL)
    assert again == small_set
    other = labelled_logs.generate(SEED + 1, SMALL)
    assert [f.lines for f in other] != [f.lines for f in small_set]
    assert sum(len(f.lines) for f in small_set) == SMALL * len(labelled_logs.datasets())
    # Every line says which statement wrote it, and the statements are the generator's.
    known = set(labelled_logs.statement_ids())
    assert {line.statement for f in small_set for line in f.lines} <= known


def test_levels_are_mostly_error_and_warning(small_set):
    lines = [line for f in small_set for line in f.lines]
    share = sum(line.level in ("error", "warn") for line in lines) / len(lines)
    assert 0.6 < share < 0.9


@pytest.mark.parametrize("first,second,kind", labelled_logs.CONSTANT_TEXT_PAIRS,
                         ids=[p[0] for p in labelled_logs.CONSTANT_TEXT_PAIRS])
def test_statements_differing_in_constant_text_get_different_templates(first, second, kind):
    if kind != "text":
        pytest.skip("differs only in a key=value value, which logcrunch masks by design")
    found = {}
    for statement in (first, second):
        lines = labelled_logs.lines_of(statement, 40, SEED)
        head = b"\n".join(line.content for line in lines)
        fmt = formats.sniff_format(head)
        found[statement] = {templates.line_template(line.content, fmt) for line in lines}
    assert not found[first] & found[second], found


def test_heldout_set_is_deterministic_and_evaluates():
    # The held-out set (not tuned on): no accuracy floor, only that it is reproducible, well
    # formed and goes through the benchmark.
    seed, lines = labelled_logs_heldout.DEFAULT_SEED, 30
    files = labelled_logs_heldout.generate(seed, lines)
    assert labelled_logs_heldout.generate(seed, lines) == files
    assert [f.lines for f in labelled_logs_heldout.generate(seed + 1, lines)] != [f.lines for f in files]
    names = {name for name, _layout, _style in labelled_logs_heldout.datasets()}
    assert sum(len(f.lines) for f in files) == lines * len(names)
    assert {line.statement for f in files for line in f.lines} <= set(labelled_logs_heldout.statement_ids())
    assert not names & {name for name, _layout, _style in labelled_logs.datasets()}  # own layouts
    result = template_accuracy.evaluate(files, drain=False)
    assert set(result["layouts"]) == names
    assert result["overall"]["errwarn"]["lines"] > 0
    assert 0.0 <= result["overall"]["all"]["logcrunch"] <= 1.0
    assert {tuple(p["pair"]) for p in result["constant_text_pairs"]} <= {
        (first, second) for first, second, _kind in labelled_logs_heldout.CONSTANT_TEXT_PAIRS}


def test_report_without_drain3(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "drain3", None)  # import drain3 raises ImportError
    assert template_accuracy.main(["--lines-per-layout", "40", "--worst", "2"]) == 0
    captured = capsys.readouterr()
    assert "drain3 is not installed" in captured.err
    assert "| overall" in captured.out and "logcrunch" in captured.out
    assert "drain3 raw |" not in captured.out  # no drain3 columns in the tables


class _Args:
    seed = SEED
    lines_per_layout = SMALL
    worst = 20
