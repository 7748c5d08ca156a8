"""Exact metric merge: associative, order-independent, exact mean/stddev."""

import math
import statistics
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from logcrunch.summary import FileSummary, Metric, format_number, merge_metrics, parse_number

decimal_text = st.one_of(
    st.integers(min_value=-10**30, max_value=10**30).map(str),
    st.decimals(min_value=-10**9, max_value=10**9, allow_nan=False, allow_infinity=False,
                places=4).map(str),
)


@given(st.lists(st.lists(decimal_text, max_size=20), min_size=1, max_size=6), st.randoms())
def test_merge_is_order_independent_and_exact(groups, rnd):
    metrics = [Metric.of([parse_number(v) for v in group]) for group in groups]
    forward = Metric()
    for metric in metrics:
        forward = forward.merge(metric)
    shuffled = metrics[:]
    rnd.shuffle(shuffled)
    pairwise = Metric()
    while shuffled:  # merge in a different tree shape too
        pairwise = shuffled.pop().merge(pairwise)
    assert forward == pairwise
    values = [Fraction(v) for group in groups for v in group]
    assert forward.count == len(values)
    assert forward.total == sum(values)
    assert forward.total_sq == sum(v * v for v in values)
    if values:
        assert forward.minimum == min(values) and forward.maximum == max(values)


def test_integers_stay_ints_and_do_not_overflow():
    metric = Metric.of([2**70, 2**70, -1])
    assert metric.total == 2**71 - 1 and isinstance(metric.total, int)
    assert format_number(metric.total) == str(2**71 - 1)


def test_decimals_are_exact_not_binary_floats():
    metric = Metric.of([parse_number("0.1")] * 10)
    assert metric.total == 1 and format_number(metric.total) == "1"


def test_scaled_fast_path_matches_exact_path():
    texts = ["-0.25", "1.50", "3.75", "0.00"]
    scaled = Metric.of_scaled([int(t.replace(".", "")) for t in texts], 2)
    assert scaled == Metric.of([parse_number(t) for t in texts])


def test_stddev_is_population_and_stable_for_large_offsets():
    values = [10**12 + v for v in (1, 2, 3, 4)]
    metric = Metric.of(values)
    assert metric.stddev == pytest.approx(statistics.pstdev([1, 2, 3, 4]), rel=1e-12)
    assert metric.mean == Fraction(4 * 10**12 + 10, 4)
    assert Metric().stddev is None and Metric().mean is None


@pytest.mark.parametrize("text,value", [("12", 12), ("-3", -3), ("+4", 4), ("1.5", Fraction(3, 2)),
                                        ("1e3", 1000), ("2.5E-1", Fraction(1, 4)), (".5", Fraction(1, 2))])
def test_parse_number(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["12ms", "nan", "inf", "0x1f", "", "-", "1.2.3", "1e"])
def test_parse_number_rejects_non_numbers(text):
    with pytest.raises(ValueError):
        parse_number(text)


def test_merge_range_sums_and_keeps_first_and_last_timestamps():
    first = FileSummary("/f", lines=2, error_lines=1, first_ts="t1", last_ts="t2",
                        metrics={"x": Metric.of([1])}, worker="a")
    second = FileSummary("/f", lines=3, warn_lines=1, first_ts="t3", last_ts="",
                         metrics={"x": Metric.of([2]), "y": Metric.of([5])}, worker="a")
    merged = first.merge_range(second)
    assert (merged.lines, merged.error_lines, merged.warn_lines) == (5, 1, 1)
    assert (merged.first_ts, merged.last_ts) == ("t1", "t2")
    assert merged.metrics["x"] == Metric.of([1, 2]) and merged.metrics["y"] == Metric.of([5])
    assert first.metrics["x"] == Metric.of([1])  # inputs untouched


def test_failed_range_fails_whole_file_with_nothing_partial():
    ok = FileSummary("/f", lines=2)
    merged = ok.merge_range(FileSummary.failed("/f", "boom"))
    assert merged.status == "failed" and merged.lines == 0 and merged.error == "boom"


def test_merge_metrics_copies():
    into = {}
    source = {"x": Metric.of([1])}
    merge_metrics(into, source)
    merge_metrics(into, source)
    assert into["x"].count == 2 and source["x"].count == 1
    assert math.isclose(into["x"].stddev, 0.0)


def test_absurd_exponents_are_not_numbers():
    for text in ("1e999999999", "-2.5E-999999999999"):
        with pytest.raises(ValueError, match="exponent out of range"):
            parse_number(text)
    assert parse_number("1e300") == 10**300
