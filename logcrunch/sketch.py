"""Mergeable quantile sketches: logarithmic buckets whose result never depends on sample order.

A sample's bucket comes from the IEEE-754 double nearest its exact value (``float(Fraction)``,
``int / int`` and, in C, ``(double)m / 10**d`` for ``m < 2**53`` are all correctly rounded), by
integer bit operations only (``math.frexp`` is exact; no logarithm), so Python, C and every machine
put a sample in the same bucket. The positive doubles of one binary octave ``[2**e, 2**(e+1))``
fall into 64 buckets of equal width, ``[lo, hi) = 2**e * [1 + k/64, 1 + (k+1)/64)``, by the six
mantissa bits after the leading one (subnormals are normalised first, so they get 64 too).

Bucket index (an int, ascending with the value): 0 for zero; ``(e + 1074) * 64 + k + 64``
for a positive double ``2**e * (1 + k/64 + ...)`` (64 .. TOP - 1); TOP for a value whose double
overflows; ``-index(|x|)`` for a negative one. A sketch is {index: count}; merging adds counts,
which is exact, associative and commutative.

Quantiles: the nearest rank (the ``ceil(q * n)``-th smallest sample, 1-based) is found by walking
the buckets in index order (the most negative first, then zero, then the positives). The estimate
is the bucket's representative ``2 * lo * hi / (lo + hi)`` (negated for negatives, 0 for zero),
clamped into the exact [min, max]. Error bound: every value ``y`` in ``[lo, hi)`` is within
``(hi - lo) / (hi + lo) = 1 / (129 + 2k) <= 1/129 < 0.78 %`` of the representative, relative to
``y``; the double is within ``2**-53`` (relative) of the exact sample (``2.5e-4`` at worst for the
kept subnormals, >= 1e-320), and clamping only moves the estimate towards the true quantile, which
lies in [min, max]. So the estimate is within 0.8 % of the exact nearest-rank quantile, whatever
the data, unless the bucket was folded (below). The overflow bucket's representative is max (min).

Bounded memory: a sketch keeps at most ``limit`` (defaults.MAX_SKETCH_BUCKETS) buckets. Beyond,
every bucket below the ``limit``-th largest index is folded into that one (``fold``): quantiles
falling in the folded bucket (the lowest ones) lose the bound; the high ones (p95, p99 of
latencies) keep it. Folding is order-independent: for multisets of buckets A and B,
``fold(fold(A) + fold(B)) == fold(A + B)``, so sketches may be folded at any point of any merge
tree. Proof: let t be the ``limit``-th largest index of A + B (nothing folds if there is none).
Folding A moves counts only onto t_A, A's own ``limit``-th largest index, and only from indices
below t_A. A has ``limit`` indices >= t_A, so A + B has too: t >= t_A (and fold(A) + fold(B)
still holds every index >= t of A + B, so t is its ``limit``-th largest index too). Hence in
fold(A) every count sits where it was (if its index is >= t_A) or on t_A <= t; so in B. Folding
the sum then leaves every count on an index > t in place and moves every other count onto t,
exactly what fold(A + B) does with the original counts, since an index > t of A + B is > t_A
and was never moved. (And fold(fold(A)) == fold(A): the second fold finds <= ``limit`` buckets.)
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left
from fractions import Fraction
from itertools import accumulate

from logcrunch import defaults

try:  # the C fast path sums the bucket blobs scan_block returns (see Sketch.from_blob)
    from logcrunch._fastscan import merge_buckets as _merge_buckets
except ImportError:  # pragma: no cover - without the extension no blobs are ever made
    _merge_buckets = None

SUB_BUCKETS = 64  # per binary octave: 6 mantissa bits
TOP = (2047 + 52) * SUB_BUCKETS  # index of the positive doubles' overflow (inf) bucket: 134336
MAX_PENDING_BLOBS = 32  # blobs held before they are summed into one


def bucket_index(value) -> int:
    """The bucket index of an exact number (int or Fraction) or a double (see the module doc)."""
    if value == 0:
        return 0
    try:
        magnitude = abs(float(value))  # correctly rounded for ints and Fractions
    except OverflowError:
        magnitude = math.inf
    index = _positive_index(magnitude)
    return index if value > 0 else -index


def _positive_index(magnitude: float) -> int:
    if magnitude == math.inf:
        return TOP
    mantissa, exponent = math.frexp(magnitude)  # exact: magnitude = mantissa * 2**exponent
    return (exponent + 1073) * SUB_BUCKETS + int(mantissa * 128)


def representative(index: int) -> Fraction | None:
    """``2 * lo * hi / (lo + hi)`` of the bucket, exactly (negated for negative indices); None
    for the overflow buckets (whose estimate is the exact max resp. min)."""
    if index == 0:
        return Fraction(0)
    magnitude = abs(index)
    if magnitude >= TOP:
        return None
    octave, step = divmod(magnitude, SUB_BUCKETS)
    lo, hi = SUB_BUCKETS + step, SUB_BUCKETS + step + 1  # in units of 2**(octave - 1081)
    # 2 * lo * hi / (lo + hi) * 2**shift in one Fraction (one gcd): Fraction arithmetic made
    # the percentiles most of a report's time (tests: the Fraction formula as the reference).
    numerator, denominator, shift = 2 * lo * hi, lo + hi, octave - 1081
    if shift >= 0:
        numerator <<= shift
    else:
        denominator <<= -shift
    return Fraction(numerator if index > 0 else -numerator, denominator)


def clamped(estimate: Fraction, minimum, maximum):
    """``min(max(estimate, minimum), maximum)``, the very object it returns, compared in
    integers when ``minimum`` and ``maximum`` are ints or Fractions (each of Fraction's
    comparisons costs about a microsecond; a report makes three per metric row)."""
    low, high = exact_parts(minimum), exact_parts(maximum)
    if low is None or high is None:
        return min(max(estimate, minimum), maximum)
    value, numerator, denominator = estimate, estimate.numerator, estimate.denominator
    if low[0] * denominator > numerator * low[1]:  # minimum > estimate: max() is minimum
        value, (numerator, denominator) = minimum, low
    if high[0] * denominator < numerator * high[1]:  # maximum < value: min() is maximum
        return maximum
    return value


def exact_parts(value) -> tuple[int, int] | None:
    """(numerator, denominator > 0) of an int or a Fraction; None for anything else. Compared
    cross-multiplied, these spare Fraction's own operators (microseconds each)."""
    kind = type(value)
    if kind is int:
        return value, 1
    if kind is Fraction:
        return value.numerator, value.denominator
    return None


def fold(counts: dict[int, int], limit: int) -> dict[int, int]:
    """``counts`` with every index below the ``limit``-th largest folded into it (mutated and
    returned; unchanged when it has at most ``limit`` buckets)."""
    if len(counts) <= limit:
        return counts
    ordered = sorted(counts)
    target = ordered[-limit]
    moved = 0
    for index in ordered[:-limit]:
        moved += counts.pop(index)
    counts[target] += moved
    return counts


def nearest_rank(count: int, quantile: Fraction) -> int:
    """The 1-based rank of the ``quantile`` nearest-rank sample of ``count`` samples:
    ceil(quantile * count), in integers (``quantile``: an int or a Fraction)."""
    return max(1, -(-quantile.numerator * count // quantile.denominator))


class Sketch:
    """The bucket counts of one metric: an immutable value (merge returns a new sketch).

    Held in one of three forms, whichever it was made from, converted only when asked: a packed
    ``array('q')`` of ``[index, count, ...]`` (the stored and wire form, as decoded: 16 bytes a
    bucket, where a dict takes about 100), blobs of (index, count) int64 pairs straight from the
    C scanner that are summed lazily in C (``MAX_PENDING_BLOBS`` at a time, so the scanner's
    per-block cost stays a few microseconds), or {index: count}.
    """

    __slots__ = ("_counts", "_blobs", "_flat")

    def __init__(self, counts: dict[int, int] | None = None) -> None:
        self._counts = {} if counts is None else counts
        self._blobs: tuple[bytes, ...] = ()
        self._flat: array | None = None

    @classmethod
    def of(cls, values, limit: int = defaults.MAX_SKETCH_BUCKETS) -> Sketch:
        """The sketch of exact numbers (ints and/or Fractions)."""
        counts: dict[int, int] = {}
        for value in values:
            index = bucket_index(value)
            counts[index] = counts.get(index, 0) + 1
        return cls(fold(counts, limit))

    @classmethod
    def of_scaled(cls, scaled, decimals: int, limit: int = defaults.MAX_SKETCH_BUCKETS) -> Sketch:
        """The sketch of values given as ints scaled by ``10**decimals``."""
        scale = 10**decimals
        counts: dict[int, int] = {}
        for value in scaled:
            index = bucket_index(value / scale if decimals else value)  # int / int: correctly rounded
            counts[index] = counts.get(index, 0) + 1
        return cls(fold(counts, limit))

    @classmethod
    def from_blob(cls, blob: bytes) -> Sketch:
        """A sketch of the C scanner's (index, count) int64 pairs (native byte order)."""
        sketch = cls.__new__(cls)
        sketch._counts, sketch._blobs, sketch._flat = None, (blob,), None
        return sketch

    @classmethod
    def from_flat(cls, flat: list[int]) -> Sketch:
        """The sketch of ``[index, count, index, count, ...]`` (the stored and wire form), kept
        packed and in the order given (validation.sketch_problem checks that order)."""
        try:
            packed = array("q", flat)
        except (OverflowError, TypeError):  # beyond int64: no sketch the scanner makes
            return cls(dict(zip(flat[0::2], flat[1::2], strict=True)))
        if len(packed) % 2:
            raise ValueError("a sketch is [index, count, ...] pairs")
        sketch = cls.__new__(cls)
        sketch._counts, sketch._blobs, sketch._flat = None, (), packed
        return sketch

    def pairs(self) -> array | list[int]:
        """``[index, count, ...]`` as held: packed in the order it came in (ascending, for every
        sketch logcrunch makes or accepts); a dict's pairs in its own order."""
        if self._flat is None:
            if self._counts is not None:
                return [item for pair in self._counts.items() for item in pair]
            packed = array("q")  # C blobs: summed, sorted and folded in C
            packed.frombytes(_merge_buckets(self._blobs or (b"",), defaults.MAX_SKETCH_BUCKETS))
            self._flat, self._blobs = packed, ()
        return self._flat

    @property
    def counts(self) -> dict[int, int]:
        """{index: count} (do not mutate)."""
        if self._counts is None:
            pairs = self.pairs()
            self._counts = dict(zip(pairs[0::2], pairs[1::2], strict=True))
            self._blobs, self._flat = (), None
        return self._counts

    def merge(self, other: Sketch, limit: int = defaults.MAX_SKETCH_BUCKETS) -> Sketch:
        """The sketch of both sketches' samples, folded to ``limit`` buckets."""
        if _merge_buckets is not None and (self._counts is None or other._counts is None):
            blobs = self._blobs_or_blob() + other._blobs_or_blob()
            if len(blobs) > MAX_PENDING_BLOBS or limit != defaults.MAX_SKETCH_BUCKETS:
                blobs = (_merge_buckets(blobs, limit),)  # (pairs() folds to the default)
            merged = Sketch.__new__(Sketch)
            merged._counts, merged._blobs, merged._flat = None, blobs or (b"",), None
            return merged
        small, large = sorted((self.counts, other.counts), key=len)
        counts = dict(large)
        for index, count in small.items():
            counts[index] = counts.get(index, 0) + count
        return Sketch(fold(counts, limit))

    def _blobs_or_blob(self) -> tuple[bytes, ...]:
        if self._blobs:
            return self._blobs
        if self._flat is not None:
            return (self._flat.tobytes(),) if len(self._flat) else ()
        if not self._counts:
            return ()
        return (array("q", [item for pair in self._counts.items() for item in pair]).tobytes(),)

    def flat(self) -> list[int]:
        """``[index, count, ...]`` in ascending index order (the stored and wire form)."""
        return list(self._ascending())

    def _ascending(self) -> array | list[int]:
        if self._counts is not None:
            return [item for index in sorted(self._counts) for item in (index, self._counts[index])]
        return self.pairs()

    def __len__(self) -> int:
        return len(self.pairs()) // 2

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sketch):
            return NotImplemented
        return self.counts == other.counts

    def __repr__(self) -> str:
        return f"Sketch({dict(sorted(self.counts.items()))!r})"

    def quantile(self, quantile: Fraction, minimum, maximum):
        """The estimate of the nearest-rank ``quantile`` (exact Fraction/int, clamped into
        [minimum, maximum]); None for an empty sketch."""
        return self.quantiles((quantile,), minimum, maximum)[0]

    def quantiles(self, quantiles, minimum, maximum) -> list:
        """`quantile` of each of ``quantiles``, from one pass over the buckets."""
        pairs = self._ascending()
        running = list(accumulate(pairs[1::2]))  # counts so far, bucket by bucket
        if not running or not running[-1]:
            return [None] * len(quantiles)
        estimates = []
        for quantile in quantiles:
            index = pairs[2 * bisect_left(running, nearest_rank(running[-1], quantile))]
            estimate = representative(index)
            if estimate is None:
                estimates.append(maximum if index > 0 else minimum)
            else:
                estimates.append(clamped(estimate, minimum, maximum))
        return estimates
