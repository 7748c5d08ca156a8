"""Per-file summaries and their exact merge.

Every number here is exact: integer metrics are Python ints, non-integer metrics are
`fractions.Fraction` built from the decimal text in the log (``0.1`` is exactly 1/10, not the
nearest double). Merging is therefore associative and commutative to the last bit, so totals never
depend on how files were spread over workers, and mean and population stddev are derived from exact
sums without the cancellation that plagues ``sum_sq/n - mean**2`` in floating point.

Which samples are kept (``parse_number``): a finite decimal of at most
``defaults.MAX_SIGNIFICANT_DIGITS`` significant digits (leading and trailing zeros do not count)
whose value is 0 or has a magnitude between ``10**defaults.MIN_SAMPLE_EXPONENT`` and the largest
double (1.7976931348623157e308). The rule depends only on the value, never on how it is written
(``1e3``, ``1000`` and ``1000.000`` are one value). Every kept value, its square and sums of them are
then small exact numbers; a sample outside the rule is left out and counted per file in
``samples_out_of_range``.

Which metric names are kept (``MetricCap``): at most ``max_metrics`` per file, the alphabetically
first ones; see MetricCap for why that rule and not "the first ones seen".
"""

from __future__ import annotations

import bisect
import math
import sys
from dataclasses import dataclass, field
from fractions import Fraction
from operator import mul

from logcrunch import defaults
from logcrunch.patterns import LazyPattern
from logcrunch.sketch import Sketch

Number = int | Fraction

STATUS_OK = "ok"
STATUS_SKIPPED = "skipped"
STATUS_FAILED = "failed"

LARGEST_SAMPLE = int(sys.float_info.max)  # exact: the largest double is an integer
_SHORT_INT = 10**defaults.MAX_SIGNIFICANT_DIGITS  # ints closer to 0 than this are always kept
_LARGEST_ORDER = len(str(LARGEST_SAMPLE)) - 1  # 308
_NUMBER_RE = LazyPattern(rb"([-+]?)(?:(\d+)\.?(\d*)|\.(\d+))(?:[eE]([-+]?\d+))?")
_MAX_EXPONENT_DIGITS = 18  # a nonzero value with |exponent| >= 10**18 is out of range whatever its text


class SampleOutOfRange(ValueError):
    """A number that is not kept as a metric sample (see the module docstring)."""


def parse_number(text: bytes | str) -> Number:
    """Parse a decimal number exactly: ints stay ints, anything else becomes a Fraction.

    Raises ValueError for text that is not a plain decimal number (``12ms``, ``nan``, ``0x1f``),
    and SampleOutOfRange (a ValueError) for a number outside the kept range.
    """
    raw = text.encode() if isinstance(text, str) else text
    value = kept_number(raw)
    if value is None:
        raise SampleOutOfRange(f"out of the kept range: {raw[:40]!r}")
    return value


def kept_number(raw: bytes) -> Number | None:
    """The exact value of a decimal number text, or None when it is outside the kept range.

    Raises ValueError when ``raw`` is not a decimal number at all. Never builds a number larger
    than the rule keeps, so ``1e999999999`` or a 100,000-digit integer costs microseconds.
    """
    match = _NUMBER_RE.fullmatch(raw)
    if match is None:
        raise ValueError(f"not a number: {raw[:40]!r}")
    sign, whole, fraction, bare_fraction, exponent = match.groups()
    if bare_fraction is not None:
        whole, fraction = b"", bare_fraction
    digits = (whole + fraction).lstrip(b"0")
    if not digits:
        return 0  # zero, whatever its exponent
    significant = digits.rstrip(b"0")
    if len(significant) > defaults.MAX_SIGNIFICANT_DIGITS:
        return None
    power = len(digits) - len(significant) - len(fraction)  # value = significant * 10**power
    if exponent is not None:
        if len(exponent.lstrip(b"+-").lstrip(b"0")) > _MAX_EXPONENT_DIGITS:
            return None
        power += int(exponent)
    order = len(significant) - 1 + power  # floor(log10(|value|))
    if not defaults.MIN_SAMPLE_EXPONENT <= order <= _LARGEST_ORDER:
        return None
    if power >= 0:
        value: Number = int(significant) * 10**power
        if value > LARGEST_SAMPLE:
            return None
    else:
        value = Fraction(int(significant), 10**-power)
    return -value if sign == b"-" else value


def int_is_kept(value: int) -> bool:
    """True when the integer ``value`` is a kept sample (the rule of kept_number)."""
    if -_SHORT_INT < value < _SHORT_INT:
        return True
    magnitude = abs(value)
    if magnitude > LARGEST_SAMPLE:
        return False
    return len(str(magnitude).rstrip("0")) <= defaults.MAX_SIGNIFICANT_DIGITS


def normalize(value: Number) -> Number:
    """Return ints as ints and Fractions with denominator 1 as ints, so integer data stays int."""
    if isinstance(value, Fraction) and value.denominator == 1:
        return value.numerator
    return value


def format_number(value: Number | None) -> str:
    """Render an exact number for a CSV cell: ints verbatim, other values as the nearest float.

    Never raises: a value a double cannot hold (a sum past 1.8e308) or an int too long for
    ``str`` is written in scientific notation, 17 significant digits, correctly rounded.
    """
    if value is None:
        return ""
    try:
        if isinstance(value, int):
            return str(value)
        return repr(float(value))
    except (OverflowError, ValueError):
        return scientific(value)


def scientific(value: Number, digits: int = 17) -> str:
    """``value`` as ``d.ddde+NNN`` with ``digits`` significant digits, rounded half to even,
    computed exactly (the trailing zeros of the mantissa are dropped, as repr(float) does)."""
    kind = type(value)
    if kind is int:  # (an int or a Fraction as it is: Fraction() and its comparisons cost)
        numerator, denominator = value, 1
    elif kind is Fraction:
        numerator, denominator = value.numerator, value.denominator
    else:
        exact = Fraction(value)
        numerator, denominator = exact.numerator, exact.denominator
    if numerator == 0:
        return "0.0"
    sign = "-" if numerator < 0 else ""
    numerator = abs(numerator)
    exponent = _decimal_order(numerator, denominator)
    shift = exponent - (digits - 1)
    if shift >= 0:
        denominator *= 10**shift
    else:
        numerator *= 10**-shift
    quotient, remainder = divmod(numerator, denominator)
    if 2 * remainder > denominator or (2 * remainder == denominator and quotient % 2):
        quotient += 1
    if quotient == 10**digits:  # rounded up to the next power of ten
        quotient //= 10
        exponent += 1
    text = str(quotient).rstrip("0")
    mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
    return f"{sign}{mantissa}e{exponent:+03d}"


def _decimal_order(numerator: int, denominator: int) -> int:
    """floor(log10(numerator / denominator)) of positive ints, exactly."""
    order = int((numerator.bit_length() - denominator.bit_length()) * 0.30102999566398)

    def at_least(power: int) -> bool:  # numerator / denominator >= 10**power
        if power >= 0:
            return numerator >= denominator * 10**power
        return numerator * 10**-power >= denominator

    while not at_least(order):
        order -= 1
    while at_least(order + 1):
        order += 1
    return order


@dataclass(slots=True)
class Metric:
    """count / sum / sum of squares / min / max of one numeric metric, exactly, and the
    sketch of its quantiles (logcrunch.sketch). ``sketch`` None: unknown (a summary stored before
    sketches existed, or a metric built by hand); a merge with such a metric has none either."""

    count: int = 0
    total: Number = 0
    total_sq: Number = 0
    minimum: Number | None = None
    maximum: Number | None = None
    sketch: Sketch | None = None

    @classmethod
    def of(cls, values: list[Number]) -> Metric:
        """Summarise a list of exact numbers (ints and/or Fractions)."""
        if not values:
            return cls()
        return cls(
            count=len(values),
            total=normalize(sum(values)),
            total_sq=normalize(sum(map(mul, values, values))),
            minimum=min(values),
            maximum=max(values),
            sketch=Sketch.of(values),
        )

    @classmethod
    def of_scaled(cls, scaled: list[int], decimals: int) -> Metric:
        """Summarise values given as integers scaled by ``10**decimals`` (``-0.25`` -> -25, 2).

        This is the fast path for fixed-precision decimals: all arithmetic stays on ints.
        """
        if not scaled:
            return cls()
        scale = 10**decimals
        return cls(
            count=len(scaled),
            total=normalize(Fraction(sum(scaled), scale)),
            total_sq=normalize(Fraction(sum(map(mul, scaled, scaled)), scale * scale)),
            minimum=normalize(Fraction(min(scaled), scale)),
            maximum=normalize(Fraction(max(scaled), scale)),
            sketch=Sketch.of_scaled(scaled, decimals),
        )

    def merge(self, other: Metric) -> Metric:
        """Return the exact combination of two metrics (associative and commutative)."""
        if other.count == 0:
            return self.copy()
        if self.count == 0:
            return other.copy()
        return Metric(
            count=self.count + other.count,
            total=normalize(self.total + other.total),
            total_sq=normalize(self.total_sq + other.total_sq),
            minimum=min(self.minimum, other.minimum),  # type: ignore[type-var]
            maximum=max(self.maximum, other.maximum),  # type: ignore[type-var]
            sketch=None if self.sketch is None or other.sketch is None
            else self.sketch.merge(other.sketch),
        )

    def copy(self) -> Metric:
        # A Sketch is an immutable value: shared, not copied.
        return Metric(self.count, self.total, self.total_sq, self.minimum, self.maximum,
                      self.sketch)

    def percentile(self, quantile: Fraction) -> Number | None:
        """The sketch's estimate of the nearest-rank ``quantile`` (within 0.8 % unless its bucket
        was folded: logcrunch.sketch); None without samples or without a sketch."""
        return self.percentiles((quantile,))[0]

    def percentiles(self, quantiles) -> list[Number | None]:
        """`percentile` of each of ``quantiles``, from one pass over the sketch."""
        if not self.count or self.sketch is None:
            return [None] * len(quantiles)
        return self.sketch.quantiles(quantiles, self.minimum, self.maximum)

    @property
    def mean(self) -> Number | None:
        if not self.count:
            return None
        return normalize(Fraction(self.total) / self.count)

    @property
    def stddev(self) -> float | None:
        """Population standard deviation, from the exact variance; never raises.

        The stddev is at most max |x|, so it fits a double even when the variance does not:
        then it is the integer square root of the variance (exact to far beyond a double's 53 bits).
        """
        if not self.count:
            return None
        # variance = total_sq / n - (total / n)**2 = spread / n**2, in one division: the same
        # exact value as that formula in Fractions (the tests' reference) at a fraction of the
        # cost; int / int and a Fraction's float are both correctly rounded.
        count = self.count
        spread = self.total_sq * count - self.total * self.total
        if spread <= 0:
            return 0.0
        try:
            return math.sqrt(spread / (count * count))
        except OverflowError:
            exact = Fraction(spread) / (count * count)
            root = math.isqrt(exact.numerator // exact.denominator)  # = floor(sqrt(variance))
            return float(root) if root <= LARGEST_SAMPLE else math.inf  # inf: inconsistent input


def merge_metrics(into: dict[str, Metric], other: dict[str, Metric]) -> dict[str, Metric]:
    """Merge ``other`` into ``into`` (mutating and returning ``into``)."""
    for name, metric in other.items():
        mine = into.get(name)
        into[name] = metric.copy() if mine is None else mine.merge(metric)
    return into


class MetricCap:
    """The metrics of one file (or byte range) under the cap on distinct metric names.

    Kept: of the names that have at least one kept sample and at most
    ``defaults.MAX_METRIC_NAME_CHARS`` characters, the ``limit`` alphabetically first (Python
    string order). Every kept sample of any other name is counted in ``over_cap``.

    Why alphabetical and not "the first names seen": the outcome depends only on which names and
    samples there are, never on their order, so the C and Python paths and the reference agree;
    and it merges exactly across byte ranges. A name among the first ``limit`` of the whole file
    is among the first ``limit`` of every range holding it, so re-capping the union of two
    ranges' kept metrics (``FileSummary.merge_range``) gives exactly the whole file's, samples
    and counts included. "The first N seen" has no such property: a range cannot know which
    names came before it. Memory: at most ``limit`` metrics; once full, a new name is kept
    only if it sorts before the last kept one, which is then dropped and counted.
    ``limit`` 0 means no cap and no name rule (summaries stored before the cap existed).
    """

    __slots__ = ("limit", "metrics", "over_cap", "_names")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.metrics: dict[str, Metric] = {}
        self.over_cap = 0
        self._names: list[str] = []  # the kept names, sorted

    def admits(self, name: str) -> bool:
        """False when samples of ``name`` are certain to be counted over the cap."""
        if not self.limit:
            return True
        if len(name) > defaults.MAX_METRIC_NAME_CHARS:
            return False
        names = self._names
        return len(names) < self.limit or name <= names[-1]

    def ceiling(self) -> str | None:
        """When the cap is full, the last kept name (names after it are refused); else None."""
        if self.limit and len(self._names) >= self.limit:
            return self._names[-1]
        return None

    def add(self, name: str, metric: Metric) -> None:
        """Fold in ``metric`` (not mutated) as samples of ``name``."""
        if not metric.count:
            return
        mine = self.metrics.get(name)
        if mine is not None:
            self.metrics[name] = mine.merge(metric)
            return
        if not self.admits(name):
            self.over_cap += metric.count
            return
        self.metrics[name] = metric.copy()
        if not self.limit:
            return
        bisect.insort(self._names, name)
        if len(self._names) > self.limit:
            self.over_cap += self.metrics.pop(self._names.pop()).count


@dataclass(slots=True)
class FileSummary:
    """What a worker learned about one file (or one byte range of it, before the ranges merge)."""

    path: str
    status: str = STATUS_OK
    error: str = ""
    format: str = ""
    size_bytes: int = 0
    lines: int = 0
    error_lines: int = 0
    warn_lines: int = 0
    long_lines: int = 0
    first_ts: str = ""
    last_ts: str = ""
    metrics: dict[str, Metric] = field(default_factory=dict)
    worker: str = ""
    seconds: float = 0.0
    attempts: int = 1
    samples_out_of_range: int = 0  # samples outside the kept range (see parse_number)
    samples_over_metric_cap: int = 0  # samples of names beyond the cap or too long (MetricCap)
    max_metrics: int = 0  # the cap the metrics were taken under, for merge_range (0: none)
    level_lines: int = 0  # lines with a recognised level of any class (or a user pattern's)
    # UTC hour ("2026-11-26T13:00:00Z") -> [lines, error_lines, warn_lines]; "" holds the lines
    # before the first stamp, OVERFLOW_HOUR those of hours beyond the per-file cap (see Timeline).
    timeline: dict[str, list[int]] = field(default_factory=dict)
    # [level (1 warn, 2 error), template, count, first_ts, last_ts, example], sorted by
    # (level, template); at most max_templates rows (TemplateCap); the rest of each level's
    # lines is "(other templates)": error_lines / warn_lines minus these counts.
    templates: list[list] = field(default_factory=list)
    max_templates: int = 0  # the cap the templates were taken under (0: none)
    # Where the reading started and stopped (see deltas.py): lines starting in [read_from,
    # read_to) were counted; read_to -1 when not tracked (compressed, failed); fingerprint of the
    # bytes before read_to ("" when not tracked); read_mode one of deltas.READ_MODES, or "" before
    # the head decides it.
    read_from: int = 0
    read_to: int = -1
    fingerprint: str = ""
    read_mode: str = ""

    @classmethod
    def failed(cls, path: str, reason: str, **extra) -> FileSummary:
        """A summary that contributes nothing but its failure reason."""
        return cls(path=path, status=STATUS_FAILED, error=reason, **extra)

    @classmethod
    def skipped(cls, path: str, reason: str, **extra) -> FileSummary:
        return cls(path=path, status=STATUS_SKIPPED, error=reason, **extra)

    def merge_range(self, later: FileSummary) -> FileSummary:
        """Combine the summaries of two consecutive byte ranges of the same file.

        ``self`` covers the earlier range. A failure in either range fails the whole file and
        keeps nothing partial. The metric cap is applied again to the union (see MetricCap).
        """
        if self.status != STATUS_OK:
            return self
        if later.status != STATUS_OK:
            return FileSummary.failed(
                self.path, later.error, format=self.format, size_bytes=self.size_bytes,
                attempts=max(self.attempts, later.attempts), read_from=self.read_from,
                read_mode=self.read_mode,
            )
        # Where the next reading starts: the later range's end, unless this range held a last
        # line (it runs to the end of the file) and so stopped before the later range's start.
        stopped = self if 0 <= self.read_to < later.read_from else later
        limits = [cap for cap in (self.max_metrics, later.max_metrics) if cap]
        capped = MetricCap(min(limits, default=0))
        timeline = Timeline.of(self.timeline)
        timeline.add_range(later.timeline, hour_of(self.last_ts))
        template_limits = [cap for cap in (self.max_templates, later.max_templates) if cap]
        templates = TemplateCap(min(template_limits, default=0))
        for rows in (self.templates, later.templates):
            for row in rows:
                templates.add_row(row)
        for metrics in (self.metrics, later.metrics):
            for name, metric in metrics.items():
                capped.add(name, metric)
        return FileSummary(
            path=self.path,
            format=self.format or later.format,
            size_bytes=self.size_bytes,
            lines=self.lines + later.lines,
            error_lines=self.error_lines + later.error_lines,
            warn_lines=self.warn_lines + later.warn_lines,
            long_lines=self.long_lines + later.long_lines,
            first_ts=self.first_ts or later.first_ts,
            last_ts=later.last_ts or self.last_ts,
            metrics=dict(sorted(capped.metrics.items())),
            worker=self.worker if self.worker == later.worker else f"{self.worker},{later.worker}",
            seconds=self.seconds + later.seconds,
            attempts=max(self.attempts, later.attempts),
            samples_out_of_range=self.samples_out_of_range + later.samples_out_of_range,
            samples_over_metric_cap=(
                self.samples_over_metric_cap + later.samples_over_metric_cap + capped.over_cap
            ),
            max_metrics=capped.limit,
            level_lines=self.level_lines + later.level_lines,
            timeline=timeline.counts,
            templates=templates.rows(),
            max_templates=templates.limit,
            read_from=self.read_from,
            read_to=stopped.read_to,
            fingerprint=stopped.fingerprint,
            read_mode=self.read_mode or later.read_mode,
        )

    def lead_into(self, hour: str) -> None:
        """Count the lines before the first stamp in ``hour`` (that of the last stamp before
        this reading started: an appended read, deltas.py), as merge_range does for a range."""
        if "" in self.timeline:
            timeline = Timeline()
            timeline.add_range(self.timeline, hour)
            self.timeline = timeline.counts


OVERFLOW_HOUR = "~"  # timeline key of the lines of hours beyond the per-file cap


def hour_of(stamp: str) -> str:
    """The timeline hour of a rendered UTC stamp ("2026-11-26T13:05:00.5Z" ->
    "2026-11-26T13:00:00Z"); "" for ""."""
    return stamp[:13] + ":00:00Z" if stamp else ""


class Timeline:
    """One file's lines per UTC hour, with the per-file cap on distinct hours.

    Kept: the earliest ``limit`` hours (hour texts sort by time); the lines of later hours count
    under OVERFLOW_HOUR. As with MetricCap, an hour among the earliest of the whole file is among
    the earliest of every byte range holding it, so capping ranges and re-capping their union
    gives exactly the whole file's timeline.
    """

    __slots__ = ("counts", "limit", "_hours")

    def __init__(self, limit: int = defaults.MAX_TIMELINE_HOURS) -> None:
        self.counts: dict[str, list[int]] = {}
        self.limit = limit
        self._hours: list[str] = []  # kept real hours, sorted

    @classmethod
    def of(cls, counts: dict[str, list[int]]) -> Timeline:
        timeline = cls()
        for hour, row in counts.items():
            timeline.add(hour, row[0], row[1], row[2])
        return timeline

    def add(self, hour: str, lines: int, error_lines: int, warn_lines: int) -> None:
        row = self.counts.get(hour)
        if row is None:
            if hour and hour != OVERFLOW_HOUR:
                hours = self._hours
                if len(hours) >= self.limit and hour > hours[-1]:
                    hour = OVERFLOW_HOUR
                    row = self.counts.get(hour)
                else:
                    bisect.insort(hours, hour)
                    if len(hours) > self.limit:
                        self._overflow(hours.pop())
            if row is None:
                row = self.counts[hour] = [0, 0, 0]
        row[0] += lines
        row[1] += error_lines
        row[2] += warn_lines

    def _overflow(self, hour: str) -> None:
        lines, error_lines, warn_lines = self.counts.pop(hour)
        self.add(OVERFLOW_HOUR, lines, error_lines, warn_lines)

    def add_range(self, later: dict[str, list[int]], last_hour: str) -> None:
        """Fold in the timeline of the next byte range; its lines before its first stamp belong
        to ``last_hour``, the hour of this range's last stamp (or "" when it has none)."""
        for hour, row in later.items():
            self.add(last_hour if hour == "" else hour, row[0], row[1], row[2])


class TemplateCap:
    """One file's error/warn templates under the per-file cap on distinct (level, template).

    Kept: the alphabetically first ``limit`` keys (the MetricCap argument: exact across byte
    ranges, whatever the order). The lines of the others are left to "(other templates)", which
    is derived from the level totals, so nothing needs counting here. Rows are folded in file
    order: a row's count adds up, its first_ts and example are the earliest non-empty ones, its
    last_ts the latest non-empty one. ``limit`` 0: no cap.
    """

    __slots__ = ("limit", "by_key", "_keys")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.by_key: dict[tuple[int, str], list] = {}
        self._keys: list[tuple[int, str]] = []

    def admits(self, key: tuple[int, str]) -> bool:
        if key in self.by_key or not self.limit:
            return True
        return len(self._keys) < self.limit or key < self._keys[-1]

    def add(self, level: int, template: str, count: int, first_ts: str, last_ts: str,
            example: str) -> None:
        key = (level, template)
        row = self.by_key.get(key)
        if row is not None:
            row[2] += count
            if not row[3]:
                row[3] = first_ts
            if last_ts:
                row[4] = last_ts
            return
        if not self.admits(key):
            return
        self.by_key[key] = [level, template, count, first_ts, last_ts, example]
        if self.limit:
            bisect.insort(self._keys, key)
            if len(self._keys) > self.limit:
                del self.by_key[self._keys.pop()]

    def add_row(self, row: list) -> None:
        self.add(*row)

    def rows(self) -> list[list]:
        return [list(self.by_key[key]) for key in sorted(self.by_key)]


@dataclass(slots=True)
class GroupTotals:
    """Totals over a set of files, for one row of summary.csv."""

    files: int = 0
    files_ok: int = 0
    files_skipped: int = 0
    files_failed: int = 0
    files_unchanged: int = 0
    bytes: int = 0
    lines: int = 0
    error_lines: int = 0
    warn_lines: int = 0
    level_lines: int = 0

    def add(self, summary: FileSummary) -> None:
        self.files += 1
        self.bytes += summary.size_bytes
        if summary.status == STATUS_OK:
            self.files_ok += 1
            self.lines += summary.lines
            self.error_lines += summary.error_lines
            self.warn_lines += summary.warn_lines
            self.level_lines += summary.level_lines
        elif summary.status == STATUS_SKIPPED:
            self.files_skipped += 1
        else:
            self.files_failed += 1

    @property
    def error_rate(self) -> float:
        return self.error_lines / self.lines if self.lines else 0.0
