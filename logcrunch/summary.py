"""Per-file summaries and their exact merge.

Every number here is exact: integer metrics are Python ints, non-integer metrics are
`fractions.Fraction` built from the decimal text in the log (``0.1`` is exactly 1/10, not the
nearest double). Merging is therefore associative and commutative to the last bit, so totals never
depend on how files were spread over workers, and mean and population stddev are derived from exact
sums without the cancellation that plagues ``sum_sq/n - mean**2`` in floating point.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from fractions import Fraction
from operator import mul

Number = int | Fraction

STATUS_OK = "ok"
STATUS_SKIPPED = "skipped"
STATUS_FAILED = "failed"

MAX_EXPONENT = 4000  # far beyond a double's range (1e308), still cheap to hold exactly
_NUMBER_RE = re.compile(rb"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def parse_number(text: bytes | str) -> Number:
    """Parse a decimal number exactly: ints stay ints, anything else becomes a Fraction.

    Raises ValueError for text that is not a plain decimal number (``12ms``, ``nan``, ``0x1f``).
    """
    raw = text.encode() if isinstance(text, str) else text
    if not _NUMBER_RE.fullmatch(raw):
        raise ValueError(f"not a number: {raw[:40]!r}")
    if b"." not in raw and b"e" not in raw and b"E" not in raw:
        return int(raw)
    mantissa, _e, exponent = raw.lower().partition(b"e")
    if exponent and abs(int(exponent)) > MAX_EXPONENT:
        # An exact 1e999999999 would take hours and gigabytes; no real metric is that large.
        raise ValueError(f"exponent out of range: {raw[:40]!r}")
    return normalize(Fraction(raw.decode()))


def normalize(value: Number) -> Number:
    """Return ints as ints and Fractions with denominator 1 as ints, so integer data stays int."""
    if isinstance(value, Fraction) and value.denominator == 1:
        return value.numerator
    return value


def format_number(value: Number | None) -> str:
    """Render an exact number for a CSV cell: ints verbatim, other values as the nearest float."""
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    return repr(float(value))


@dataclass(slots=True)
class Metric:
    """count / sum / sum of squares / min / max of one numeric metric, exactly."""

    count: int = 0
    total: Number = 0
    total_sq: Number = 0
    minimum: Number | None = None
    maximum: Number | None = None

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
        )

    def copy(self) -> Metric:
        return Metric(self.count, self.total, self.total_sq, self.minimum, self.maximum)

    @property
    def mean(self) -> Number | None:
        if not self.count:
            return None
        return normalize(Fraction(self.total) / self.count)

    @property
    def stddev(self) -> float | None:
        """Population standard deviation, from the exact variance."""
        if not self.count:
            return None
        mean = Fraction(self.total) / self.count
        variance = Fraction(self.total_sq) / self.count - mean * mean
        return math.sqrt(variance) if variance > 0 else 0.0


def merge_metrics(into: dict[str, Metric], other: dict[str, Metric]) -> dict[str, Metric]:
    """Merge ``other`` into ``into`` (mutating and returning ``into``)."""
    for name, metric in other.items():
        mine = into.get(name)
        into[name] = metric.copy() if mine is None else mine.merge(metric)
    return into


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
        keeps nothing partial.
        """
        if self.status != STATUS_OK:
            return self
        if later.status != STATUS_OK:
            return FileSummary.failed(
                self.path, later.error, format=self.format, size_bytes=self.size_bytes,
                attempts=max(self.attempts, later.attempts),
            )
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
            metrics=merge_metrics(
                {k: v.copy() for k, v in self.metrics.items()}, later.metrics
            ),
            worker=self.worker if self.worker == later.worker else f"{self.worker},{later.worker}",
            seconds=self.seconds + later.seconds,
            attempts=max(self.attempts, later.attempts),
        )


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

    def add(self, summary: FileSummary) -> None:
        self.files += 1
        self.bytes += summary.size_bytes
        if summary.status == STATUS_OK:
            self.files_ok += 1
            self.lines += summary.lines
            self.error_lines += summary.error_lines
            self.warn_lines += summary.warn_lines
        elif summary.status == STATUS_SKIPPED:
            self.files_skipped += 1
        else:
            self.files_failed += 1

    @property
    def error_rate(self) -> float:
        return self.error_lines / self.lines if self.lines else 0.0
