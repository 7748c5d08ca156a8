"""Night over night: what changed between this run and the runs before it (changes.csv).

A run's `Aggregates` are its comparable numbers, per group and for ``*``: the totals ``lines``,
``error_lines``, ``warn_lines``, the full count of every error and warning template (not the
``--top`` cut of templates.csv), and per level the "(other templates)" rest (lines of templates
beyond a file's cap, and over-long error lines). `compare` sets tonight's against those of up to N
earlier runs (the baseline runs). It is pure: the state database finds the runs, report.py writes
the rows.

The rules, for one row (group, kind, level, name):

- ``baseline`` is the median of the row's count over the baseline runs, a run without the row
  counting 0. With an even number of runs it is the mean of the two middle counts, an integer or a
  half (written exactly: ``12`` or ``12.5``).
- ``new``: an error/warn template with lines tonight that no baseline run has.
- ``gone``: an error/warn template that every baseline run has and tonight has not.
- ``up``: tonight at least ``ratio`` times the baseline and at least ``min_lines`` lines more
  (and more at all: 0 against 0 is no change); ``down``: at most the baseline / ``ratio`` and at
  least ``min_lines`` lines fewer. A template that is neither new nor gone is up or down by the same
  rule.
- Totals and the "(other templates)" rest are only ever up or down, never new or gone: a group new
  tonight has its totals ``up`` from a baseline of 0 (its templates are ``new``), a group that is
  gone tonight has them ``down`` to 0 (its templates ``gone`` where every baseline run had them).
  The rest row is no template anybody wrote: more of it tonight means more distinct templates
  than a file keeps, which "up" says.
- No baseline run: no rows.

Rows are ordered ``new`` first, then by the size of the change (|tonight - baseline|) descending,
then by group (``*`` first), kind (totals, templates, the rest row), level and name, so the same
runs always give the same file.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from logcrunch import defaults

CHANGES_COLUMNS = ["group", "kind", "level", "name", "tonight", "baseline", "change"]
OTHER_TEMPLATES = "(other templates)"  # the rest row's name, as in templates.csv

# Kinds of a row: a group's total, an error/warn template, or the level's "(other templates)".
TOTAL = "total"
TEMPLATE = "template"
REST = "rest"  # written as kind "template", name "(other templates)"
TOTAL_NAMES = (("", "lines"), ("error", "error_lines"), ("warn", "warn_lines"))

NEW, UP, DOWN, GONE = "new", "up", "down", "gone"


_KIND_ORDER = {TOTAL: 0, TEMPLATE: 1, REST: 2}

Key = tuple[str, str, str, str]  # (group, kind, level, name)


@dataclass(frozen=True)
class Aggregates:
    """One run's counts by (group, kind, level, name); a missing key counts 0."""

    counts: Mapping[Key, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ChangeRow:
    """One row of changes.csv. ``kind`` is TOTAL, TEMPLATE or REST (see `change_cells`);
    ``baseline`` is None only without any baseline run (then `compare` gives no rows)."""

    group: str
    kind: str
    level: str
    name: str
    tonight: int
    baseline: Fraction | None
    change: str


@dataclass
class ChangeOptions:
    """How a run is compared with the runs before it (--baseline, --change-ratio,
    --change-min-lines). Not part of a run's identity: changing them changes no comparable run."""

    baseline_runs: int = defaults.CHANGE_BASELINE_RUNS
    ratio: float = defaults.CHANGE_RATIO
    min_lines: int = defaults.CHANGE_MIN_LINES

    def validate(self) -> None:
        if self.baseline_runs < 0:
            raise ValueError(f"--baseline {self.baseline_runs}: give how many earlier runs to "
                             "compare with, 0 or more (0 turns the comparison off)")
        if not (math.isfinite(self.ratio) and self.ratio > 1):
            raise ValueError(f"--change-ratio {self.ratio}: give a number greater than 1 (2: "
                             "at least twice or at most half the baseline)")
        if self.min_lines < 0:
            raise ValueError(f"--change-min-lines {self.min_lines}: give 0 or more lines")


def median(counts: list[int]) -> Fraction:
    """The median of counts (not empty); of an even number, the mean of the two middle ones."""
    ordered = sorted(counts)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return Fraction(ordered[middle])
    return Fraction(ordered[middle - 1] + ordered[middle], 2)


def format_count(value: Fraction | None) -> str:
    """An exact median as text: ``12``, ``12.5``; empty for None."""
    if value is None:
        return ""
    if value.denominator == 1:
        return str(value.numerator)
    if value.denominator == 2:  # counts are never negative: // is the whole part
        return f"{value.numerator // 2}.5"
    return f"{value.numerator}/{value.denominator}"  # no median of counts; exact all the same


def classify(kind: str, tonight: int, past: list[int], baseline: Fraction, ratio: Fraction,
             min_lines: int) -> str:
    """The change of one row ("" for none); ``past``: its count in each baseline run."""
    if kind == TEMPLATE:
        if tonight and not any(past):
            return NEW
        if not tonight and all(past):
            return GONE
    if tonight > baseline and tonight - baseline >= min_lines and tonight >= ratio * baseline:
        return UP
    if tonight < baseline and baseline - tonight >= min_lines and tonight * ratio <= baseline:
        return DOWN
    return ""


def compare(tonight: Aggregates, baselines: list[Aggregates], ratio: float = defaults.CHANGE_RATIO,
            min_lines: int = defaults.CHANGE_MIN_LINES) -> list[ChangeRow]:
    """The changed rows of tonight against the baseline runs, in changes.csv's order."""
    if not baselines:
        return []
    exact_ratio = Fraction(str(ratio))  # what was typed (1.1 is 11/10, not the nearest double)
    keys = set(tonight.counts).union(*(run.counts for run in baselines))
    rows = []
    for key in keys:
        count = tonight.counts.get(key, 0)
        past = [run.counts.get(key, 0) for run in baselines]
        baseline = median(past)
        change = classify(key[1], count, past, baseline, exact_ratio, min_lines)
        if change:
            rows.append(ChangeRow(*key, tonight=count, baseline=baseline, change=change))
    rows.sort(key=_order)
    return rows


def _order(row: ChangeRow):
    size = abs(row.tonight - row.baseline) if row.baseline is not None else row.tonight
    return (row.change != NEW, -size, row.group != "*", row.group, _KIND_ORDER[row.kind],
            row.level, row.name)


def change_cells(row: ChangeRow) -> dict[str, str]:
    """A row as {column: cell text} of changes.csv (report.html renders these). The texts are
    as they are: the CSV writer guards them for spreadsheets (report.safe_text) on its way out."""
    return {
        "group": row.group,
        "kind": TEMPLATE if row.kind == REST else row.kind,
        "level": row.level,
        "name": OTHER_TEMPLATES if row.kind == REST else row.name,
        "tonight": str(row.tonight),
        "baseline": format_count(row.baseline),
        "change": row.change,
    }
