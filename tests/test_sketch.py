"""The quantile sketch (logcrunch/sketch.py) against exact sorted-list quantiles, and its merge and
folding rules."""

from __future__ import annotations

import random
import sys
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from logcrunch import defaults, sketch
from logcrunch.sketch import TOP, Sketch, bucket_index, fold, representative
from logcrunch.summary import Metric

sys.path.insert(0, str(Path(__file__).parent))
from reference_scan import exact_quantile  # noqa: E402

QUANTILES = [Fraction(text) for _, text in defaults.PERCENTILES] + [Fraction(0), Fraction(1),
                                                                     Fraction(1, 3)]
BOUND = Fraction(1, 100)  # the 1 %; the sketch promises 0.8 %
needs_c = pytest.mark.skipif(sketch._merge_buckets is None, reason="logcrunch._fastscan not built")

LARGEST = Fraction(int(sys.float_info.max))
# Exact powers of two, the 1 + k/64 bucket edges, their neighbours, zero, and the ends of the
# kept range (1e-320 is subnormal).
EDGES = ([Fraction(2) ** k for k in (-1074 + 60, -30, -1, 0, 1, 10, 52, 53, 1023)]
         + [Fraction(64 + k, 64) * Fraction(2) ** e for k in (0, 1, 31, 63) for e in (-3, 0, 7)]
         + [Fraction(64 + k, 64) + Fraction(1, 10**15) for k in (1, 63)]
         + [Fraction(64 + k, 64) - Fraction(1, 10**15) for k in (1, 63)]
         + [Fraction(0), Fraction(1, 10**320), LARGEST, Fraction(9007199254740993)])


def numbers():
    """Exact kept samples: small and huge ints, decimals, tiny values, edges, either sign."""
    magnitude = st.one_of(
        st.integers(0, 3000),
        st.integers(0, 10**40),
        st.builds(Fraction, st.integers(1, 10**18), st.sampled_from([10**d for d in (1, 2, 6, 18)])),
        st.builds(lambda m, e: Fraction(m, 10**e), st.integers(1, 999), st.integers(300, 320)),
        st.sampled_from(EDGES),
    )
    return st.tuples(st.booleans(), magnitude).map(lambda pair: -pair[1] if pair[0] else pair[1])


def within_bound(estimate, exact) -> bool:
    return abs(Fraction(estimate) - exact) <= BOUND * abs(exact)


@settings(max_examples=500, deadline=None)
@given(st.lists(numbers(), min_size=1, max_size=300))
@example([Fraction(7)])  # a single sample
@example([Fraction(5)] * 100 + [Fraction(6)])  # repeated values
@example(EDGES)
@example([Fraction(-3), Fraction(0), Fraction(0), Fraction(2)])
def test_percentiles_are_within_one_percent_of_the_exact_nearest_rank(values):
    metric = Metric.of(values)
    for quantile in QUANTILES:
        estimate = metric.percentile(quantile)
        exact = exact_quantile(values, quantile)
        assert within_bound(estimate, exact), (quantile, float(estimate), float(exact))
        assert metric.minimum <= estimate <= metric.maximum


def test_zero_and_one_sample():
    assert Metric().percentile(Fraction(1, 2)) is None
    assert Metric.of([0]).percentile(Fraction(99, 100)) == 0
    assert Metric.of([-5]).percentile(Fraction(1, 2)) == -5  # clamped into [min, max]


@pytest.mark.parametrize("value", EDGES)
def test_a_sample_lies_in_its_bucket_and_the_representative_is_near(value):
    index = bucket_index(value)
    if value == 0:
        assert index == 0
        return
    estimate = representative(index)
    assert abs(estimate - value) <= Fraction(1, 129) * abs(value) * (1 + Fraction(1, 2**40))
    assert bucket_index(-value) == -index


def test_indices_ascend_with_the_value():
    values = sorted(set(EDGES + [-edge for edge in EDGES]))
    indices = [bucket_index(value) for value in values]
    assert indices == sorted(indices)
    assert bucket_index(Fraction(10) ** 400) == TOP  # a double overflows: the top bucket
    assert Metric(1, 10**400, 10**800, 10**400, 10**400, Sketch({TOP: 1})).percentile(
        Fraction(1, 2)) == 10**400


def test_a_bucket_is_64th_of_an_octave():
    assert bucket_index(1) == bucket_index(Fraction(64 * 2 - 1, 128)) + 1
    assert bucket_index(Fraction(65, 64)) == bucket_index(1) + 1
    assert bucket_index(Fraction(65, 64) - Fraction(1, 2**40)) == bucket_index(1)
    assert bucket_index(2) == bucket_index(1) + 64
    assert representative(bucket_index(1)) == Fraction(2 * 64 * 65, 129 * 64)


buckets = st.dictionaries(st.integers(-TOP, TOP), st.integers(1, 5), max_size=40)


@settings(max_examples=500, deadline=None)
@given(buckets, buckets, st.integers(1, 12))
def test_folding_the_folded_parts_is_folding_the_whole(first, second, limit):
    union = dict(first)
    for index, count in second.items():
        union[index] = union.get(index, 0) + count
    folded = Sketch(fold(dict(first), limit)).merge(Sketch(fold(dict(second), limit)), limit)
    assert folded.counts == fold(dict(union), limit)
    assert len(folded) <= limit and sum(folded.counts.values()) == sum(union.values())


@settings(max_examples=200, deadline=None)
@given(st.lists(numbers(), max_size=200), st.integers(1, 8), st.randoms(use_true_random=False),
       st.integers(1, 30))
def test_merging_random_splits_in_any_order_is_the_whole(values, parts, rng, limit):
    cuts = sorted(rng.randrange(len(values) + 1) for _ in range(parts - 1))
    pieces = [values[a:b] for a, b in zip([0, *cuts], [*cuts, len(values)], strict=True)]
    rng.shuffle(pieces)
    merged = Sketch({})
    for piece in pieces:
        merged = merged.merge(Sketch.of(piece, limit), limit)
    assert merged == Sketch.of(values, limit)


@needs_c
@settings(max_examples=200, deadline=None)
@given(st.lists(buckets, max_size=80), st.integers(1, 12))
def test_c_sums_and_folds_blobs_as_python_does(blob_counts, limit):
    from array import array

    blobs = [Sketch.from_blob(array("q", [x for pair in counts.items() for x in pair]).tobytes())
             for counts in blob_counts]
    lazy = Sketch({})
    for blob in blobs:
        lazy = lazy.merge(blob, limit)  # C sums blobs once MAX_PENDING_BLOBS wait
    union: dict[int, int] = {}
    for counts in blob_counts:
        for index, count in counts.items():
            union[index] = union.get(index, 0) + count
    expected = fold(dict(union), limit)
    assert lazy._blobs == () or len(lazy._blobs) <= sketch.MAX_PENDING_BLOBS
    if len(union) <= defaults.MAX_SKETCH_BUCKETS:
        merged = Sketch(fold(dict(lazy.counts), limit))
        assert merged.counts == expected


@needs_c
def test_merge_buckets_refuses_what_no_scan_makes():
    from logcrunch._fastscan import merge_buckets

    with pytest.raises(ValueError, match="pairs"):
        merge_buckets([b"\x00" * 15], 10)
    with pytest.raises(ValueError, match="out of range"):
        merge_buckets([(TOP + 1).to_bytes(8, sys.byteorder, signed=True) + bytes(8)], 10)


def test_bounded_memory_keeps_the_high_quantiles():
    values = list(range(1, 200_000, 7))
    metric = Metric.of(values)
    small = Sketch.of(values, limit=100)
    assert len(small) == 100 and len(metric.sketch) <= defaults.MAX_SKETCH_BUCKETS
    capped = Metric(metric.count, metric.total, metric.total_sq, metric.minimum, metric.maximum,
                    small)
    for quantile in (Fraction(95, 100), Fraction(99, 100)):
        assert within_bound(capped.percentile(quantile), exact_quantile(values, quantile))
    random.Random(1).shuffle(values)
    assert Sketch.of(values, limit=100) == small


@needs_c
def test_a_blob_sketch_and_a_dict_sketch_merge_as_two_dicts():
    from array import array

    blob = Sketch.from_blob(array("q", [68800, 2, -64, 1]).tobytes())
    plain = Sketch({68800: 1, 0: 4})
    assert blob.merge(plain) == plain.merge(blob) == Sketch({-64: 1, 0: 4, 68800: 3})
    assert blob.merge(plain).flat() == [-64, 1, 0, 4, 68800, 3]


@settings(max_examples=200, deadline=None)
@given(st.lists(numbers(), max_size=300),
       st.lists(st.fractions(min_value=0, max_value=1), min_size=1, max_size=5))
def test_several_percentiles_at_once_are_each_one_alone(values, quantiles):
    """Metric.percentiles (one pass over the buckets, what metrics.csv writes) gives what
    percentile gives for each quantile on its own, None for a metric without samples."""
    metric = Metric.of(values)
    assert metric.percentiles(quantiles) == [metric.percentile(q) for q in quantiles]
    if not values:
        assert metric.percentiles(quantiles) == [None] * len(quantiles)


@given(buckets, st.sampled_from([Fraction(1, 2), Fraction(95, 100), Fraction(99, 100), Fraction(1)]))
def test_a_packed_sketch_answers_like_the_dict_it_packs(counts, quantile):
    """from_flat keeps the stored/wire form packed (16 bytes a bucket); merges, quantiles, its
    flat form and equality are those of the same buckets held as a dict."""
    as_dict = Sketch(dict(sorted(counts.items())))
    packed = Sketch.from_flat(as_dict.flat())
    assert packed == as_dict and len(packed) == len(as_dict) and packed.flat() == as_dict.flat()
    assert packed.quantile(quantile, -(10**400), 10**400) == \
        as_dict.quantile(quantile, -(10**400), 10**400)
    assert packed.merge(packed) == as_dict.merge(as_dict)


def test_a_packed_sketch_keeps_the_order_it_was_sent_in_for_validation():
    from logcrunch.summary import Metric
    from logcrunch.validation import sketch_problem

    one, two = bucket_index(1), bucket_index(2)
    assert sketch_problem(Metric(2, 3, 5, 1, 2, Sketch.from_flat([one, 1, two, 1]))) == ""
    assert "ascending" in sketch_problem(Metric(2, 3, 5, 1, 2, Sketch.from_flat([two, 1, one, 1])))
    assert "positive" in sketch_problem(Metric(2, 3, 5, 1, 2, Sketch.from_flat([one, 2, two, 0])))


# --- the integer fast paths against their Fraction formulas ------------------------------------


def reference_representative(index: int) -> Fraction | None:
    """2 * lo * hi / (lo + hi) of the bucket, in Fraction arithmetic (the formula as written)."""
    if index == 0:
        return Fraction(0)
    if abs(index) >= TOP:
        return None
    octave, step = divmod(abs(index), sketch.SUB_BUCKETS)
    lo, hi = sketch.SUB_BUCKETS + step, sketch.SUB_BUCKETS + step + 1
    value = Fraction(2 * lo * hi, lo + hi) * Fraction(2) ** (octave - 1081)
    return value if index > 0 else -value


@settings(max_examples=2000)
@given(st.integers(min_value=-TOP - 2, max_value=TOP + 2))
@example(1)
@example(-1)
@example(TOP - 1)
@example(-(TOP - 1))
@example(1081 * sketch.SUB_BUCKETS)  # the shift changes sign here
@example(1081 * sketch.SUB_BUCKETS - 1)
def test_a_representative_is_its_fraction_formula(index):
    assert representative(index) == reference_representative(index)


@settings(max_examples=2000)
@given(st.integers(min_value=0, max_value=10**20),
       st.fractions(min_value=0, max_value=1, max_denominator=10**6) | st.sampled_from(QUANTILES))
@example(1, Fraction(0))
@example(3, Fraction(1, 3))
@example(10**20, Fraction(999999, 1000000))
def test_a_nearest_rank_is_the_ceiling_of_its_fraction(count, quantile):
    import math

    assert sketch.nearest_rank(count, quantile) == max(1, math.ceil(quantile * count))
    assert sketch.nearest_rank(count, int(quantile == 1)) == max(1, math.ceil(int(quantile == 1)
                                                                               * count))


EXACT = st.one_of(st.integers(-10**20, 10**20),
                  st.fractions(max_denominator=10**12).filter(lambda f: abs(f) < 10**20))
NUMBERS = st.one_of(EXACT, st.sampled_from([0, 1, Fraction(1, 3), -Fraction(7, 2)]),
                    st.floats(-1e20, 1e20, allow_nan=False), st.booleans())


@settings(max_examples=1500, deadline=None)
@given(st.fractions(max_denominator=10**12).filter(lambda f: abs(f) < 10**20), NUMBERS, NUMBERS)
def test_clamping_an_estimate_returns_what_min_of_max_returns(estimate, minimum, maximum):
    """The integer comparisons give back the very object min(max(...)) does (ints and
    Fractions; anything else goes through min and max themselves), also for bounds out of
    order and equal values."""
    assert sketch.clamped(estimate, minimum, maximum) is min(max(estimate, minimum), maximum)
    for low in (estimate, Fraction(estimate.numerator, estimate.denominator)):  # equal, not same
        assert sketch.clamped(estimate, low, maximum) is min(max(estimate, low), maximum)
        assert sketch.clamped(estimate, minimum, low) is min(max(estimate, minimum), low)
