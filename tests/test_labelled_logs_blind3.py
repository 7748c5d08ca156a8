"""The third blind labelled set (benchmarks/labelled_logs_blind3.py): deterministic, every line
labelled with one of its statements, error and warning lines in every data set, its own layouts.
Runs no template miner on it (its figures are measured once, by the lead)."""

from __future__ import annotations

import sys
from collections import Counter

import pytest

from tests.helpers import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))

import labelled_logs  # noqa: E402
import labelled_logs_blind2  # noqa: E402
import labelled_logs_blind3  # noqa: E402
import labelled_logs_heldout  # noqa: E402

SMALL = 120  # lines per data set


@pytest.fixture(scope="module")
def blind3_set():
    return labelled_logs_blind3.generate(labelled_logs_blind3.DEFAULT_SEED, SMALL)


def test_generator_is_deterministic_and_seeded(blind3_set):
    module = labelled_logs_blind3
    assert module.generate(module.DEFAULT_SEED, SMALL) == blind3_set
    assert [f.lines for f in module.generate(module.DEFAULT_SEED + 1, 30)] != \
        [f.lines for f in module.generate(module.DEFAULT_SEED, 30)]


def test_every_line_has_one_of_its_statements_and_a_class(blind3_set):
    names = {name for name, _layout, _style in labelled_logs_blind3.datasets()}
    assert len(names) >= 20
    assert sum(len(f.lines) for f in blind3_set) == SMALL * len(names)
    ids = set(labelled_logs_blind3.statement_ids())
    for log in blind3_set:
        for line in log.lines:
            assert line.statement in ids and line.statement.startswith(log.layout + "/")
            assert line.level in ("error", "warn", "info")
            assert b"\n" not in line.content and b"${" not in line.content
            assert line.message


def test_each_data_set_has_several_error_and_warning_lines(blind3_set):
    levels = {name: Counter() for name, _layout, _style in labelled_logs_blind3.datasets()}
    for log in blind3_set:
        levels[log.layout].update(line.level for line in log.lines)
    for name, counts in levels.items():
        assert counts["error"] >= 5 and counts["warn"] >= 5, (name, counts)


def test_constant_text_pairs_name_existing_statements_of_one_data_set():
    ids = set(labelled_logs_blind3.statement_ids())
    assert len(labelled_logs_blind3.CONSTANT_TEXT_PAIRS) >= 8
    for first, second, kind in labelled_logs_blind3.CONSTANT_TEXT_PAIRS:
        assert first in ids and second in ids and first != second
        assert first.split("/")[0] == second.split("/")[0]
        assert kind == "text"


def test_lines_of_gives_only_that_statement():
    lines = labelled_logs_blind3.lines_of("wildfly/request_failed", 20)
    assert len(lines) == 20 and {line.statement for line in lines} == {"wildfly/request_failed"}


def test_layouts_are_none_of_the_other_sets():
    names = {name for name, _layout, _style in labelled_logs_blind3.datasets()}
    others = {name for m in (labelled_logs, labelled_logs_heldout, labelled_logs_blind2)
              for name, _layout, _style in m.datasets()}
    assert not names & others


def test_out_writes_logs_and_labels(tmp_path):
    assert labelled_logs_blind3.main(["--out", str(tmp_path), "--lines-per-layout", "10"]) == 0
    labels = (tmp_path / "labels.jsonl").read_text().splitlines()
    assert len(labels) == 10 * len(labelled_logs_blind3.datasets())
    assert (tmp_path / "wildfly" / "wildfly-1.log").exists()
