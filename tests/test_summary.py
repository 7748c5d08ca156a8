"""Exact metric merge: associative, order-independent, exact mean/stddev."""

import math
import statistics
import sys
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logcrunch import defaults
from logcrunch.summary import (
    LARGEST_SAMPLE,
    FileSummary,
    Metric,
    MetricCap,
    SampleOutOfRange,
    format_number,
    int_is_kept,
    kept_number,
    merge_metrics,
    parse_number,
    scientific,
)

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


def test_absurd_exponents_are_out_of_range_at_once():
    for text in ("1e999999999", "-2.5E-999999999999"):
        with pytest.raises(SampleOutOfRange, match="out of the kept range"):
            parse_number(text)
    assert parse_number("1e300") == 10**300


# --- which samples are kept ----------------------------------------------------------------------

LARGEST = int(sys.float_info.max)


KEPT_CASES = [
    ("1e308", 10**308),
    ("1.7976931348623157e308", 17976931348623157 * 10**292),
    (str(LARGEST)[:40] + "e269", int(str(LARGEST)[:40]) * 10**269),  # just below the largest double
    (str(int(str(LARGEST)[:40]) + 1) + "e269", None),  # just above it
    (str(LARGEST), None),  # the largest double itself has 309 significant digits
    ("1.7976931348623158e308", None),
    ("1e309", None),
    ("-1e309", None),
    ("1e2200", None),
    ("1" * 2200, None),
    ("1e-320", Fraction(1, 10**320)),
    ("-9.99e-321", None),
    ("1e-400", None),
    ("0e99999999999999999999999", 0),  # zero, whatever its exponent
    ("-0.000", 0),
    ("1" + "0" * 50, 10**50),  # one significant digit
    ("9" * 40, 10**40 - 1),
    ("9" * 41, None),
    ("0." + "0" * 60 + "1", Fraction(1, 10**61)),
    ("12.5" + "0" * 60, Fraction(25, 2)),  # trailing zeros are not significant
    ("0." + "1" * 41, None),
    ("1e99999999999999999999", None),
    ("1e" + "9" * 5000, None),
]


@pytest.mark.parametrize("text,kept", KEPT_CASES, ids=[text[:24] for text, _ in KEPT_CASES])
def test_kept_range_rule_at_its_edges(text, kept):
    assert kept_number(text.encode()) == kept
    if kept is None:
        with pytest.raises(SampleOutOfRange):
            parse_number(text)
    else:
        assert parse_number(text) == kept


def test_kept_numbers_stay_exact_ints_and_fractions():
    assert type(kept_number(b"1e3")) is int and type(kept_number(b"2.50")) is Fraction
    assert kept_number(b"2.0") == 2 and type(kept_number(b"2.0")) is int


number_texts = st.builds(
    lambda sign, whole, fraction, exponent: (sign + whole + fraction + exponent).encode(),
    st.sampled_from(["", "-", "+"]),
    st.one_of(st.just(""), st.text("0123456789", min_size=1, max_size=60),
              st.sampled_from(["0" * 50 + "7", "9" * 41, "17976931348623157", str(LARGEST)])),
    st.one_of(st.just(""), st.just("."), st.text("0123456789", max_size=45).map(lambda t: "." + t)),
    st.one_of(st.just(""), st.builds(lambda e, n: e + str(n), st.sampled_from(["e", "E", "e+", "e-"]),
                                     st.one_of(st.integers(0, 400), st.integers(0, 10**30)))),
)


@settings(max_examples=2000, deadline=None)
@given(number_texts)
def test_kept_rule_matches_the_reference(text):
    from tests.reference_scan import OUT, number_value

    expected = number_value(text)
    if expected is None:
        with pytest.raises(ValueError):
            kept_number(text)
        return
    assert kept_number(text) == (None if expected is OUT else expected)


@given(st.one_of(st.integers(), st.integers(-(10**320), 10**320),
                 st.builds(lambda m, e: m * 10**e, st.integers(-10**45, 10**45), st.integers(0, 300))))
def test_int_is_kept_agrees_with_kept_number(value):
    assert int_is_kept(value) == (kept_number(str(value).encode()) is not None)


# --- the report writer never raises ---------------------------------------------------------------


def test_format_number_beyond_the_double_range_is_exact_scientific():
    assert format_number(Fraction(2 * 10**308 + 1, 2)) == "1e+308"  # float() would raise
    assert format_number(-Fraction(10**400 + 1, 2)) == "-5e+399"
    assert format_number(Fraction(12345678901234567890 * 10**400, 7)) == "1.7636684144620811e+418"
    assert format_number(10**5000) == "1e+5000"  # too long for str(): scientific, not a crash
    assert format_number(Fraction(1, 10**400)) == "0.0"  # underflows quietly, as float() does
    assert format_number(LARGEST) == str(LARGEST)  # ints stay exact whenever str() can


@settings(max_examples=1000)
@given(st.integers(1, 10**700), st.integers(1, 10**400), st.booleans(), st.integers(1, 17),
       st.sampled_from(["Fraction", "int", "float"]))
def test_scientific_is_correctly_rounded(numerator, denominator, negative, digits, kind):
    """To ``digits`` significant digits, half to even, of an exact Fraction, an int or a float
    (each handed over as it is), as decimal's own division rounds it."""
    from decimal import ROUND_HALF_EVEN, Context, Decimal

    value = Fraction(-numerator if negative else numerator, denominator)
    if kind == "int":
        value = int(value) or 1
    elif kind == "float":
        value = float(value) if abs(value) < 10**300 else 1e300
    text = scientific(value, digits)
    exact = Fraction(value)
    context = Context(prec=digits, rounding=ROUND_HALF_EVEN, Emax=10**6, Emin=-10**6)
    expected = context.divide(Decimal(exact.numerator), Decimal(exact.denominator))
    assert Fraction(text.replace("e", "E")) == Fraction(expected)
    assert scientific(0 * value, digits) == "0.0"


def test_stddev_and_mean_fit_a_double_when_the_variance_does_not():
    pair = Metric.of([10**308, 17 * 10**307])  # JSON 1e308 and 1.7e308
    assert pair.stddev == 3.5e307
    assert format_number(pair.mean) == str(135 * 10**306)
    extremes = Metric.of([LARGEST, -LARGEST])
    assert extremes.stddev == sys.float_info.max
    assert format_number(extremes.total_sq).startswith("6463")  # 2 * LARGEST**2, exact
    decimals = Metric.of([Fraction(1, 2), 10**308, 10**308, 17 * 10**307])
    assert format_number(decimals.total) == "3.7e+308"
    assert decimals.stddev == pytest.approx(statistics.pstdev([0.5, 1e308, 1e308, 1.7e308]))


def test_stddev_of_an_inconsistent_stored_metric_does_not_raise():
    assert Metric(count=1, total=0, total_sq=10**1000, minimum=0, maximum=0).stddev == math.inf
    assert Metric(count=3, total=Fraction(1, 3), total_sq=Fraction(10**700, 3)).stddev > 1e308


# --- the cap on metric names --------------------------------------------------------------------

names = st.text("abcXY_.-\u00e9\ud800", min_size=1, max_size=4)


def capped_reference(pairs, limit):
    by_name = {}
    for name, value in pairs:
        by_name.setdefault(name, []).append(value)
    kept = sorted(n for n in by_name if len(n) <= defaults.MAX_METRIC_NAME_CHARS)[:limit]
    over = sum(len(v) for n, v in by_name.items() if n not in kept)
    return {n: Metric.of(by_name[n]) for n in kept}, over


@given(st.lists(st.tuples(names, st.integers(-5, 5)), max_size=60), st.integers(1, 6))
def test_metric_cap_keeps_the_alphabetically_first_names_in_any_order(pairs, limit):
    capped = MetricCap(limit)
    for name, value in pairs:
        capped.add(name, Metric.of([value]))
    assert (capped.metrics, capped.over_cap) == capped_reference(pairs, limit)
    assert len(capped.metrics) <= limit


@given(st.lists(st.tuples(names, st.integers(-5, 5)), max_size=60), st.integers(1, 6),
       st.lists(st.integers(0, 60), max_size=4))
def test_metric_cap_of_merged_ranges_is_the_cap_of_the_whole(pairs, limit, cuts):
    bounds = [0, *sorted(cuts), len(pairs)]
    parts = []
    for start, end in zip(bounds, bounds[1:], strict=False):
        capped = MetricCap(limit)
        for name, value in pairs[start:end]:
            capped.add(name, Metric.of([value]))
        parts.append(FileSummary("/f", metrics=capped.metrics, samples_over_metric_cap=capped.over_cap,
                                 max_metrics=limit))
    merged = parts[0]
    for part in parts[1:]:
        merged = merged.merge_range(part)
    metrics, over = capped_reference(pairs, limit)
    assert (merged.metrics, merged.samples_over_metric_cap) == (metrics, over)


def test_overlong_names_are_never_kept():
    capped = MetricCap(5)
    capped.add("k" * (defaults.MAX_METRIC_NAME_CHARS + 1), Metric.of([1, 2]))
    capped.add("k" * defaults.MAX_METRIC_NAME_CHARS, Metric.of([1]))
    assert list(capped.metrics) == ["k" * defaults.MAX_METRIC_NAME_CHARS]
    assert capped.over_cap == 2


def test_merge_range_adds_the_new_counters():
    first = FileSummary("/f", samples_out_of_range=2, samples_over_metric_cap=1, max_metrics=9)
    second = FileSummary("/f", samples_out_of_range=3, samples_over_metric_cap=4, max_metrics=9)
    merged = first.merge_range(second)
    assert (merged.samples_out_of_range, merged.samples_over_metric_cap, merged.max_metrics) == (
        5, 5, 9)


def reference_stddev(metric: Metric) -> float | None:
    """The population stddev as the formula reads, in Fractions (Metric.stddev's reference)."""
    if not metric.count:
        return None
    mean = Fraction(metric.total) / metric.count
    variance = Fraction(metric.total_sq) / metric.count - mean * mean
    if variance <= 0:
        return 0.0
    try:
        return math.sqrt(variance)
    except OverflowError:
        root = math.isqrt(variance.numerator // variance.denominator)
        return float(root) if root <= LARGEST_SAMPLE else math.inf


exact_numbers = st.one_of(
    st.integers(min_value=-10**20, max_value=10**20),
    st.fractions(max_denominator=10**6).filter(lambda f: abs(f) < 10**15),
    st.sampled_from([10**308, 17 * 10**307, Fraction(1, 2), -10**308, 0]))


@settings(max_examples=1500)
@given(st.lists(exact_numbers, max_size=12))
def test_stddev_is_its_fraction_formula(values):
    metric = Metric.of(values)
    assert metric.stddev == reference_stddev(metric)


@given(st.integers(min_value=1, max_value=10**6), exact_numbers,
       st.one_of(st.integers(min_value=0, max_value=10**1000),
                 st.fractions(min_value=0, max_denominator=10**6)))
def test_stddev_of_any_stored_metric_is_its_fraction_formula(count, total, total_sq):
    metric = Metric(count=count, total=total, total_sq=total_sq, minimum=0, maximum=0)
    assert metric.stddev == reference_stddev(metric)
