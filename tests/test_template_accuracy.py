"""The labelled template benchmark (benchmarks/labelled_logs.py, labelled_logs_heldout.py,
labelled_logs_blind2.py, template_accuracy.py): logcrunch's grouping accuracy stays above a
measured floor on the tuned and the second blind set, the data is deterministic, and statements
that differ only in constant text keep apart. Needs no drain3."""

from __future__ import annotations

import sys

import pytest

from logcrunch import formats, templates
from tests.helpers import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))

import labelled_logs  # noqa: E402
import labelled_logs_blind2  # noqa: E402
import labelled_logs_heldout  # noqa: E402
import template_accuracy  # noqa: E402

SEED = labelled_logs.DEFAULT_SEED
SMALL = 120  # lines per data set: 22 data sets, 2,640 lines

# Measured at SEED and SMALL (2026-12-01, after the path / dotted-name / HTTP-method, thread
# bracket, klog and nginx rules): error/warning lines 77.9 %, all lines 80.4 %; seeds 1 and 2:
# 79.0 / 81.4 and 77.1 / 78.9. At the full size (600 per data set) 77.8 % and 79.9 %, where
# Drain3 (default config, fed the same messages) has 74.9 % and 77.1 %.
# 2026-12-02, after the name-after-a-noun, bracketed-word and node-list rules: 83.8 % and 84.8 %
# at the full size (Drain3 74.9 % and 77.1 %); the floors are kept where they were.
FLOOR_ERRWARN = 0.72
FLOOR_ALL = 0.74

# The second blind set (written and committed before the rules above, never tuned on), at
# BLIND2_SMALL lines per data set and its default seed, measured 2026-12-02 after those rules:
# error/warning lines 53.6 %, all lines 57.2 % (before them: 52.5 % and 57.0 %; seeds 1 and 2
# after: 54.4 / 56.8 and 56.0 / 58.3). A floor a little below, so a regression fails.
BLIND2_SMALL = 120
BLIND2_FLOOR_ERRWARN = 0.52
BLIND2_FLOOR_ALL = 0.555


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


@pytest.fixture(scope="module")
def blind2_set():
    return labelled_logs_blind2.generate(labelled_logs_blind2.DEFAULT_SEED, BLIND2_SMALL)


def test_blind2_grouping_accuracy_above_floor(blind2_set):
    result = template_accuracy.evaluate(blind2_set, drain=False,
                                        pairs=labelled_logs_blind2.CONSTANT_TEXT_PAIRS)
    errwarn = result["overall"]["errwarn"]
    assert errwarn["lines"] > 2000
    assert errwarn["logcrunch"] >= BLIND2_FLOOR_ERRWARN, template_accuracy.report(
        result, _Args(), drain=False)
    assert result["overall"]["all"]["logcrunch"] >= BLIND2_FLOOR_ALL
    assert result["checks"]["extraction_mismatches"] == 0
    pairs = result["constant_text_pairs"]
    assert len(pairs) == len(labelled_logs_blind2.CONSTANT_TEXT_PAIRS)
    assert all(p["logcrunch"] == "separate" for p in pairs), pairs


def test_blind2_set_is_deterministic_and_has_its_own_layouts(blind2_set):
    module = labelled_logs_blind2
    assert module.generate(module.DEFAULT_SEED, BLIND2_SMALL) == blind2_set
    assert [f.lines for f in module.generate(module.DEFAULT_SEED + 1, 30)] != \
        [f.lines for f in module.generate(module.DEFAULT_SEED, 30)]
    names = {name for name, _layout, _style in module.datasets()}
    assert len(names) >= 20
    assert sum(len(f.lines) for f in blind2_set) == BLIND2_SMALL * len(names)
    assert {line.statement for f in blind2_set for line in f.lines} <= set(module.statement_ids())
    others = {name for m in (labelled_logs, labelled_logs_heldout) for name, _l, _s in m.datasets()}
    assert not names & others


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
