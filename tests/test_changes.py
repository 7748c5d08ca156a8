"""Night over night, pure: compare() on hand-made aggregates, and against a reference."""

import statistics
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logcrunch.changes import (
    CHANGES_COLUMNS,
    OTHER_TEMPLATES,
    Aggregates,
    ChangeOptions,
    ChangeRow,
    change_cells,
    compare,
    format_count,
    median,
)


def agg(**groups):
    """Aggregates from {group: {"lines": n, "error_lines": n, "error:text": n, "rest:warn": n}}."""
    counts = {}
    for group, values in groups.items():
        group = "*" if group == "star" else group
        for name, count in values.items():
            if name in ("lines", "error_lines", "warn_lines"):
                level = {"lines": "", "error_lines": "error", "warn_lines": "warn"}[name]
                counts[(group, "total", level, name)] = count
            elif name.startswith("rest:"):
                counts[(group, "rest", name[5:], OTHER_TEMPLATES)] = count
            else:
                level, _, text = name.partition(":")
                counts[(group, "template", level, text)] = count
    return Aggregates(counts)


def cells(rows):
    return [tuple(change_cells(row)[column] for column in CHANGES_COLUMNS) for row in rows]


def test_no_baseline_run_gives_no_rows_even_for_templates_never_seen():
    assert compare(agg(star={"lines": 100, "error:disk <*> full": 50}), []) == []


def test_a_template_no_baseline_run_has_is_new_even_with_one_line():
    tonight = agg(star={"error:disk <*> full": 1, "error:old": 5})
    rows = compare(tonight, [agg(star={"error:old": 5})])
    assert cells(rows) == [("*", "template", "error", "disk <*> full", "1", "0", "new")]


def test_a_template_every_baseline_run_has_and_tonight_not_is_gone():
    seen_twice = [agg(star={"warn:slow": 1}), agg(star={"warn:slow": 3})]
    assert cells(compare(agg(star={}), seen_twice)) == [
        ("*", "template", "warn", "slow", "0", "2", "gone")]
    # Seen in only some baseline runs: not gone; down only by the thresholds.
    some = [agg(star={"warn:slow": 30}), agg(star={}), agg(star={"warn:slow": 40})]
    assert cells(compare(agg(star={}), some)) == [
        ("*", "template", "warn", "slow", "0", "30", "down")]
    assert compare(agg(star={}), [agg(star={"warn:slow": 9}), agg(star={})]) == []


@pytest.mark.parametrize(("baseline", "tonight", "change"), [
    (10, 20, "up"),  # exactly twice and exactly 10 apart
    (10, 19, ""),  # not twice
    (5, 14, ""),  # more than twice but only 9 apart
    (0, 10, "up"),  # from nothing (a total: never new)
    (0, 9, ""),
    (40, 20, "down"),  # exactly half
    (40, 21, ""),
    (15, 5, "down"),  # a third, and exactly 10 apart
    (15, 6, ""),  # only 9 apart
    (12, 0, "down"),
    (9, 0, ""),
])
def test_up_and_down_need_the_ratio_and_the_minimum_difference(baseline, tonight, change):
    rows = compare(agg(a={"lines": tonight}), [agg(a={"lines": baseline})])
    assert [(row.change, row.tonight, row.baseline) for row in rows] == \
        ([(change, tonight, baseline)] if change else [])


def test_the_thresholds_are_parameters_and_the_ratio_is_exact_as_typed():
    tonight, before = agg(a={"lines": 110}), [agg(a={"lines": 100})]
    assert compare(tonight, before) == []
    # 1.1 * 100 in doubles is 110.00000000000001: 110 would not be "up".
    assert [row.change for row in compare(tonight, before, ratio=1.1, min_lines=10)] == ["up"]
    assert compare(tonight, before, ratio=1.1, min_lines=11) == []
    assert [row.change for row in compare(agg(a={"lines": 3}), [agg(a={"lines": 1})],
                                          ratio=3, min_lines=0)] == ["up"]


def test_nothing_against_nothing_is_no_change_even_without_a_minimum():
    assert compare(agg(a={"lines": 0}), [agg(a={"lines": 0})], min_lines=0) == []


def test_median_of_an_odd_and_an_even_number_of_runs_missing_counting_zero():
    assert median([1, 100, 3]) == 3
    assert median([10, 15]) == Fraction(25, 2)
    assert (format_count(Fraction(25, 2)), format_count(Fraction(12)), format_count(None)) == \
        ("12.5", "12", "")
    # Present in 1 of 3 runs: the median is 0, and as the template was seen it is not new.
    rows = compare(agg(star={"error:x": 30}), [agg(star={"error:x": 30}), agg(star={}),
                                               agg(star={})])
    assert cells(rows) == [("*", "template", "error", "x", "30", "0", "up")]
    rows = compare(agg(star={"lines": 40}), [agg(star={"lines": 10}), agg(star={"lines": 15})])
    assert cells(rows) == [("*", "total", "", "lines", "40", "12.5", "up")]


def test_rows_are_new_first_then_by_size_of_change_then_group_kind_level_name():
    before = [agg(star={"lines": 100, "error:a": 10, "error:gone": 2},
                  b={"lines": 100, "error:a": 10})]
    tonight = agg(star={"lines": 300, "error:a": 500, "error:new small": 1, "error:new big": 40,
                        "warn:new big": 40},
                  b={"lines": 300, "error:a": 500})
    assert [(r.group, r.kind, r.level, r.name, r.change) for r in compare(tonight, before)] == [
        ("*", "template", "error", "new big", "new"),
        ("*", "template", "warn", "new big", "new"),
        ("*", "template", "error", "new small", "new"),
        ("*", "template", "error", "a", "up"),  # 490 apart: "*" before "b"
        ("b", "template", "error", "a", "up"),
        ("*", "total", "", "lines", "up"),  # 200 apart: totals before templates
        ("b", "total", "", "lines", "up"),
        ("*", "template", "error", "gone", "gone"),
    ]


def test_a_group_new_tonight_has_its_totals_up_and_its_templates_new():
    before = [agg(star={"lines": 100}, a={"lines": 100})]
    tonight = agg(star={"lines": 150, "error:boom": 3, "error_lines": 3},
                  a={"lines": 100}, fresh={"lines": 50, "error_lines": 3, "error:boom": 3})
    assert cells(compare(tonight, before)) == [
        ("*", "template", "error", "boom", "3", "0", "new"),
        ("fresh", "template", "error", "boom", "3", "0", "new"),
        ("fresh", "total", "", "lines", "50", "0", "up"),  # error_lines: only 3 apart
    ]


def test_a_group_gone_tonight_has_its_totals_down_and_its_templates_gone():
    before = [agg(a={"lines": 100, "error_lines": 20, "error:boom": 20})] * 2
    assert cells(compare(agg(star={"lines": 0}), before)) == [
        ("a", "total", "", "lines", "0", "100", "down"),
        ("a", "total", "error", "error_lines", "0", "20", "down"),  # 20 apart: totals first
        ("a", "template", "error", "boom", "0", "20", "gone"),
    ]


def test_the_other_templates_rest_is_never_new_nor_gone():
    before = [agg(star={"error:x": 1})]
    rows = compare(agg(star={"error:x": 1, "rest:error": 50}), before)
    assert cells(rows) == [("*", "template", "error", OTHER_TEMPLATES, "50", "0", "up")]
    assert compare(agg(star={"error:x": 1, "rest:warn": 5}), before) == []
    assert compare(agg(star={}), [agg(star={"rest:warn": 5})] * 3) == []
    # A real template with that very text stays apart from the rest.
    rows = compare(agg(star={f"error:{OTHER_TEMPLATES}": 2}), [agg(star={"rest:error": 2})])
    assert [(r.kind, r.change) for r in rows] == [("template", "new")]


def test_change_cells_are_the_changes_csv_columns_as_text():
    row = ChangeRow("*", "rest", "warn", OTHER_TEMPLATES, 12, Fraction(5, 2), "up")
    assert change_cells(row) == {"group": "*", "kind": "template", "level": "warn",
                                 "name": "(other templates)", "tonight": "12",
                                 "baseline": "2.5", "change": "up"}
    assert list(change_cells(row)) == CHANGES_COLUMNS


@pytest.mark.parametrize(("options", "message"), [
    (ChangeOptions(baseline_runs=-1), "--baseline -1: give how many earlier runs to compare "
                                      "with, 0 or more (0 turns the comparison off)"),
    (ChangeOptions(ratio=1.0), "--change-ratio 1.0: give a number greater than 1"),
    (ChangeOptions(ratio=float("inf")), "--change-ratio inf: give a number greater than 1"),
    (ChangeOptions(ratio=float("nan")), "--change-ratio nan"),
    (ChangeOptions(min_lines=-3), "--change-min-lines -3: give 0 or more lines"),
])
def test_change_options_say_how_to_fix_a_bad_value(options, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        options.validate()
    ChangeOptions(baseline_runs=0, ratio=1.01, min_lines=0).validate()


# ----- against a straightforward reference ----------------------------------------------------


def reference_compare(tonight, baselines, ratio, min_lines):
    """The rules as the README states them, one key at a time, without shortcuts."""
    if not baselines:
        return []
    ratio = Fraction(str(ratio))
    keys = set(tonight.counts)
    for run in baselines:
        keys |= set(run.counts)
    new, others = [], []
    for key in keys:
        group, kind, level, name = key
        now = tonight.counts.get(key, 0)
        past = [run.counts.get(key, 0) for run in baselines]
        base = statistics.median([Fraction(count) for count in past])
        seen_in = sum(1 for count in past if count > 0)
        if kind == "template" and now > 0 and seen_in == 0:
            change = "new"
        elif kind == "template" and now == 0 and seen_in == len(past):
            change = "gone"
        elif now > base and now - base >= min_lines and Fraction(now) / ratio >= base:
            change = "up"
        elif now < base and base - now >= min_lines and (base == 0 or now / base <= 1 / ratio):
            change = "down"
        else:
            continue
        row = ChangeRow(group, kind, level, name, now, base, change)
        (new if change == "new" else others).append(row)

    def order(row):
        kind_rank = ["total", "template", "rest"].index(row.kind)
        return (-abs(row.tonight - row.baseline), 0 if row.group == "*" else 1, row.group,
                kind_rank, row.level, row.name)

    return sorted(new, key=order) + sorted(others, key=order)


_keys = st.tuples(st.sampled_from(["*", "a", "b-1"]),
                  st.sampled_from(["total", "template", "rest"]),
                  st.sampled_from(["", "error", "warn"]),
                  st.sampled_from(["lines", "disk <*> full", "=cmd", OTHER_TEMPLATES]))
_aggregates = st.dictionaries(_keys, st.integers(0, 60), max_size=12).map(Aggregates)


@settings(max_examples=400, deadline=None)
@given(tonight=_aggregates, baselines=st.lists(_aggregates, max_size=6),
       ratio=st.sampled_from([1.01, 1.1, 1.5, 2.0, 2.5, 3.0, 10.0]),
       min_lines=st.integers(0, 20))
def test_compare_matches_the_reference(tonight, baselines, ratio, min_lines):
    assert compare(tonight, baselines, ratio, min_lines) == \
        reference_compare(tonight, baselines, ratio, min_lines)
