"""What the head refuses from a worker, and what a worker refuses from a head."""

import dataclasses
from datetime import datetime
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logcrunch import validation
from logcrunch.broker import Broker, JobInfo, Task
from logcrunch.channel import PeerMisbehaved
from logcrunch.scan import ScanConfig
from logcrunch.sketch import TOP, Sketch, bucket_index
from logcrunch.summary import OVERFLOW_HOUR, FileSummary, Metric

TASK = Task(1, "/logs/a.log", 1000)


def good_summary(**changes):
    summary = FileSummary("/logs/a.log", format="plain", size_bytes=1000, lines=10,
                          error_lines=2, warn_lines=3, first_ts="2026-11-27T02:00:01Z",
                          last_ts="2026-11-27T03:00:01Z", worker="host:1:2", seconds=0.5,
                          metrics={"ms": Metric(3, 6, 14, 1, 3)}, level_lines=6,
                          templates=[[1, "slow <*>", 3, "2026-11-27T02:00:01Z", "", "slow 1"],
                                     [2, "boom", 2, "", "", "boom"]])
    summary = dataclasses.replace(summary, **changes)
    if "timeline" not in changes:
        summary.timeline = {"2026-11-27T02:00:00Z": [summary.lines, summary.error_lines,
                                                     summary.warn_lines]}
    return summary


def test_a_real_summary_passes():
    assert validation.summary_problem(good_summary(), TASK, ScanConfig()) == ""


@pytest.mark.parametrize("changes, problem", [
    ({"path": "/etc/passwd"}, "another file"),
    ({"timeline": {"2026-11-27T02:00:00Z": [9, 2, 3]}}, "does not add up"),
    ({"timeline": {"=1+2": [10, 2, 3]}}, "not an hour"),
    ({"timeline": {"": [10, 2]}}, "timeline row"),
    ({"timeline": {}}, "without a timeline"),
    ({"templates": [[2, "x", 5, "", "", "x"]]}, "more template lines"),
    ({"templates": [[3, "x", 1, "", "", "x"]]}, "bad level"),
    ({"templates": [[2, "b", 1, "", "", "x"], [2, "a", 1, "", "", "x"]]}, "sorted"),
    ({"templates": [[2, "x\n=cmd", 1, "", "", "x"]]}, "one line"),
    ({"templates": [[2, "x", 1, "=1+2", "", "x"]]}, "not a timestamp"),
    ({"templates": "x"}, "templates is not a list"),
    ({"level_lines": 11}, "more error, warning or long lines"),
    ({"lines": 10**30}, "non-negative integer"),
    ({"lines": 10**12}, "more lines than its bytes"),
    ({"error_lines": -5}, "non-negative integer"),
    ({"lines": True}, "non-negative integer"),
    ({"error_lines": 8, "warn_lines": 8}, "more error, warning"),
    ({"status": "pwned"}, "unknown status"),
    ({"format": "=cmd|' /C calc'!A0"}, "unknown format"),
    ({"first_ts": "=1+2"}, "not a timestamp"),
    ({"last_ts": "2026-11-27T02:00:01\n=1+2"}, "not a timestamp"),
    ({"error": "x\ny"}, "one line"),
    ({"worker": "w" * 300}, "one line"),
    ({"seconds": float("inf")}, "seconds"),
    ({"status": "failed", "error": "x"}, "carries counts"),
    ({"metrics": {"ms": Metric(0, 0, 0, 0, 0)}}, "count"),
    ({"metrics": {"ms": Metric(2, 100, 5, 1, 3)}}, "cannot come from samples"),
    ({"metrics": {"ms": Metric(1, 1, -1, 1, 1)}}, "cannot come from samples"),
    ({"metrics": {"ms": Metric(1, 5, 25, 5, 1)}}, "ordered pair"),
    ({"metrics": {"ms": Metric(1, 1.5, 2.25, 1.5, 1.5)}}, "exact number"),
    ({"metrics": {"ms": Metric(1, 10**400, 10**800, 10**400, 10**400)}}, "ordered pair"),
    ({"metrics": {"": Metric(1, 1, 1, 1, 1)}}, "metric name"),
    ({"metrics": {f"m{i}": Metric(1, 1, 1, 1, 1) for i in range(101)}}, "--max-metrics"),
    ({"read_from": 5}, "read_from is not where the task starts"),
    ({"read_to": 1001, "fingerprint": "a" * 32}, "read_to is outside"),
    ({"read_to": -2, "fingerprint": "a" * 32}, "read_to is outside"),
    ({"read_to": 10, "fingerprint": "A" * 32}, "fingerprint is not"),
    ({"read_to": 10, "fingerprint": ""}, "fingerprint is not"),
    ({"fingerprint": "a" * 32}, "a fingerprint without read_to"),
    ({"read_mode": "=cmd"}, "unknown read_mode"),
])
def test_a_summary_that_cannot_be_the_tasks_result_is_refused(changes, problem):
    assert problem in validation.summary_problem(good_summary(**changes), TASK, ScanConfig())


def test_where_a_reading_started_and_stopped_must_fit_the_task():
    tracked = good_summary(read_to=1000, fingerprint="0a" * 16, read_mode="appended")
    assert validation.summary_problem(tracked, TASK, ScanConfig()) == ""
    delta = Task(2, "/logs/a.log", 1000, start=400, hold=True)
    held = good_summary(read_from=400, read_to=400, fingerprint="0a" * 16)
    assert validation.summary_problem(held, delta, ScanConfig()) == ""
    assert "outside" in validation.summary_problem(
        good_summary(read_from=400, read_to=399, fingerprint="0a" * 16), delta, ScanConfig())


ONE, TWO, THREE = (bucket_index(value) for value in (1, 2, 3))


def with_sketch(counts: dict) -> dict:
    """good_summary changes: its metric (samples 1, 2, 3) with these sketch buckets, in order."""
    return {"metrics": {"ms": Metric(3, 6, 14, 1, 3, Sketch(counts))}}


def test_a_real_sketch_passes():
    sketched = good_summary(metrics={"ms": Metric.of([1, 2, 3])})
    assert sketched.metrics["ms"].sketch.counts == {ONE: 1, TWO: 1, THREE: 1}
    assert validation.summary_problem(sketched, TASK, ScanConfig()) == ""


@pytest.mark.parametrize("counts, problem", [
    ({ONE: 1, TWO: 1}, "do not add up"),
    ({ONE: 1, TWO: 1, THREE: 2}, "do not add up"),
    ({ONE: 2, TWO: 0, THREE: 1}, "positive integer"),
    ({ONE: 4, TWO: -2, THREE: 1}, "positive integer"),
    ({ONE: 1, TWO: True, THREE: 1}, "positive integer"),
    ({TWO: 1, ONE: 1, THREE: 1}, "strictly ascending"),
    ({ONE: 1, "2": 1, THREE: 1}, "index is not an integer"),
    ({-TOP - 1: 1, TWO: 1, THREE: 1}, "index is not an integer"),
    ({ONE: 1, TWO: 1, TOP: 1}, "between min and max"),
    ({0: 1, TWO: 1, THREE: 1}, "between min and max"),
    ({ONE: 2, TWO: 1}, "between min and max"),
    ({index: 1 for index in range(1, 2050)}, "more than 2048 buckets"),
])
def test_a_forged_sketch_is_refused(counts, problem):
    assert problem in validation.summary_problem(good_summary(**with_sketch(counts)), TASK,
                                                 ScanConfig())


def test_a_sketch_that_is_no_sketch_is_refused():
    metric = Metric(3, 6, 14, 1, 3, {ONE: 3})
    assert "not a sketch" in validation.summary_problem(good_summary(metrics={"ms": metric}),
                                                        TASK, ScanConfig())


def test_a_byte_range_bounds_its_lines_by_the_range():
    part = Task(2, "/logs/a.log", 10**9, start=0, end=100)
    assert validation.summary_problem(good_summary(lines=90, error_lines=0, warn_lines=0,
                                                   templates=[]), part, ScanConfig()) == ""
    many = good_summary(lines=102, error_lines=0, warn_lines=0, templates=[])
    assert "more lines" in validation.summary_problem(many, part, ScanConfig())


def test_the_broker_records_a_refused_summary_as_a_failure_of_that_file():
    broker = Broker()
    broker.add_task("/logs/a.log", 1000)
    broker.close_submissions()
    job = broker.job("w", 0.0)
    _state, lease_id, tasks = broker.lease("w", job.job_id, 0.0)
    forged = good_summary(path="/etc/passwd", lines=10**30)
    assert broker.complete("w", lease_id, [(tasks[0].task_id, forged)], 0.0) == 1
    [(_task, recorded)] = broker.recorder.take_results()
    assert recorded.path == "/logs/a.log" and recorded.status == "failed"
    assert recorded.error.startswith("the worker's summary was refused: ")
    assert recorded.lines == 0 and broker.refused_results == 1


@pytest.mark.parametrize("request_", [
    [None, "shutdown", [], {}],
    [None, "debug_info", [], {}],
    [None, "create", ["something-else"], {}],
    [None, "accept_connection", ["x" * 1000], {}],
    [None, "create", ["broker"], {"callable": "os.system"}],
    ["0", "create", ["broker"], {}],
    "not a request",
])
def test_a_connection_may_only_start_by_creating_the_proxy_or_attaching_to_it(request_):
    with pytest.raises(ValueError):
        validation.check_first_request(request_)


def test_call_arguments_are_checked():
    with pytest.raises(ValueError):
        validation.check_worker_name("a\nb")
    with pytest.raises(ValueError):
        validation.check_id("../../x", "lease id")
    with pytest.raises(ValueError):
        validation.check_results([[1, "not a summary"]], 256)
    with pytest.raises(ValueError):
        validation.check_results([[1, good_summary()]] * 300, 256)
    assert validation.one_line_text("a\nb" + "c" * 5000, "reason").startswith("a b")
    assert len(validation.one_line_text("c" * 5000, "reason")) == validation.MAX_REASON


def job(**changes):
    return dataclasses.replace(
        JobInfo("ab12", ScanConfig(), 30.0, 5.0, 0.0, roots=(("/logs", 1),)), **changes)


@pytest.mark.parametrize("bad", [
    job(scan_config=ScanConfig(chunk_size=2**40)),  # a worker would allocate a terabyte
    job(scan_config=ScanConfig(error_patterns=("(",))),
    job(scan_config="not a config"),
    job(lease_seconds=float("nan")),
    job(lease_seconds=0),
    job(roots=(("relative/path", 1),)),
    job(roots=("/logs",)),
    job(follow_symlinks="yes"),
    job(job_id="zz"),
])
def test_a_worker_refuses_a_bad_job(bad):
    with pytest.raises(PeerMisbehaved):
        validation.check_job(bad)


@pytest.mark.parametrize("answer", [
    ["work", "ab", [Task(1, "relative.log", 1)]],
    ["work", "ab", [Task(1, "/logs/a\x00b", 1)]],
    ["work", "ab", [Task(1, "/logs/a", -1)]],
    ["work", "ab", [Task(1, "/logs/a", 10, start=5, end=2)]],
    ["work", "ab", [Task(1, "/logs/a", 10, hold=1)]],
    ["work", "ab", [Task(1, "/logs/a", 10, fingerprint="=cmd")]],
    ["work", None, [Task(1, "/logs/a", 1)]],
    ["wait", None, [Task(1, "/logs/a", 1)]],
    ["explode", None, []],
    ["work", "ab", ["/logs/a"]],
])
def test_a_worker_refuses_a_bad_lease(answer):
    with pytest.raises(PeerMisbehaved):
        validation.check_lease_answer(answer)


def test_a_worker_accepts_what_a_head_really_sends():
    assert validation.check_job(job()) == job()
    assert validation.check_job(None) is None
    lease = ["work", "ab", [Task(1, "/logs/a", 10, 1.5, 0, 5, inode=3, device=4)]]
    assert validation.check_lease_answer(lease)[2][0].inode == 3
    assert validation.check_reply("worker_lost", [0, True]) == [0, True]
    with pytest.raises(PeerMisbehaved):
        validation.check_reply("heartbeat", "yes")


def test_a_bad_answer_is_named_in_the_error_and_cut_short():
    with pytest.raises(PeerMisbehaved, match=r"a bad answer to complete \(None\)"):
        validation.check_reply("complete", None)
    with pytest.raises(PeerMisbehaved) as refused:
        validation.check_reply("complete", "x" * 10_000)
    assert "xxx..." in str(refused.value) and len(str(refused.value)) < 200


def test_an_exact_fraction_metric_passes():
    metric = Metric(2, Fraction(1, 2), Fraction(1, 8), Fraction(1, 4), Fraction(1, 4))
    assert validation.metric_problem(metric) == ""


@pytest.mark.parametrize("hour", ["2026-13-45T99:00:00Z", "0999-05-01T10:00:00Z", "2026-02-30T10:00:00Z",
                                  "2026-11-26T24:00:00Z", "2027-02-29T10:00:00Z"])
def test_a_timeline_hour_that_is_no_real_hour_is_refused(hour):
    summary = good_summary(timeline={hour: [10, 2, 3]})
    assert "not an hour" in validation.summary_problem(summary, TASK, ScanConfig())


@settings(max_examples=500, deadline=None)
@given(st.integers(900, 9999), st.integers(0, 13), st.integers(0, 32), st.integers(0, 25))
def test_the_hour_check_is_strptimes(year, month, day, hour):
    text = f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:00:00Z"
    try:
        datetime.strptime(text, "%Y-%m-%dT%H:00:00Z")
        real = year >= 1000
    except ValueError:
        real = False
    assert validation._is_hour(text) == real


HOURS = ["2026-11-27T02:00:00Z", "2026-11-27T03:00:00Z", "2026-11-28T23:00:00Z", "", OVERFLOW_HOUR,
         "2026-11-27T24:00:00Z", "2026-02-30T10:00:00Z", "=1+2", "0999-05-01T10:00:00Z"]
CELLS = st.one_of(st.integers(-1, 12), st.sampled_from([True, 2.0, "3", None]))
ROWS = st.one_of(st.lists(st.integers(0, 12), min_size=3, max_size=3),
                 st.lists(st.integers(-2, 12), min_size=3, max_size=3),
                 st.lists(CELLS, min_size=0, max_size=4), st.sampled_from([(1, 0, 0), None, "x"]))


@settings(max_examples=800, deadline=None)
@given(st.dictionaries(st.one_of(st.sampled_from(HOURS), st.integers(0, 3)), ROWS, max_size=6),
       st.booleans(), st.booleans())
def test_the_timeline_check_answers_as_its_hour_by_hour_reference(timeline, add_up, warm):
    """`_timeline_problem`'s check of a whole timeline at once says what the loop over its
    hours (kept as the reference, and as what names a problem) says, with the hours seen
    before cached or not."""
    well_formed = [row for row in timeline.values() if type(row) is list and len(row) == 3
                   and all(type(cell) is int for cell in row)]
    totals = [sum(row[i] for row in well_formed) for i in range(3)]
    summary = good_summary(lines=totals[0] + (0 if add_up else 1), error_lines=totals[1],
                           warn_lines=totals[2], timeline=timeline)
    validation._good_hours.clear()
    if warm:
        validation._timeline_problem(good_summary(timeline={hour: [0, 0, 0] for hour in HOURS[:5]},
                                                  lines=0, error_lines=0, warn_lines=0))
    assert validation._timeline_problem(summary) == \
        validation._timeline_rows_problem(summary, timeline)


def test_a_timeline_hour_of_another_type_than_str_is_refused_even_once_its_text_was_seen():
    class Text(str):
        pass

    validation._good_hours.add("2026-11-27T02:00:00Z")
    summary = good_summary(timeline={Text("2026-11-27T02:00:00Z"): [10, 2, 3]})
    assert "not an hour" in validation.summary_problem(summary, TASK, ScanConfig())


@st.composite
def sketched_metrics(draw):
    """(count, min, max, [index, count, ...]) of a real metric's sketch, or of one forged from
    it: buckets swapped, dropped, moved, a count changed, counts shifted from one bucket to
    another (their sum unchanged), the metric's count changed."""
    samples = draw(st.lists(st.integers(-10**6, 10**6) | st.sampled_from([0, 1, 2, 3, 10**18]),
                            min_size=1, max_size=30))
    metric = Metric.of(samples)
    flat = list(metric.sketch.pairs())
    count = metric.count
    change = draw(st.sampled_from(["none", "none", "swap", "drop", "index", "count", "total",
                                   "shift"]))
    buckets = len(flat) // 2
    at = draw(st.integers(0, buckets - 1))
    if change == "swap" and buckets > 1:
        other = (at + 1) % buckets
        flat[2 * at:2 * at + 2], flat[2 * other:2 * other + 2] = \
            flat[2 * other:2 * other + 2], flat[2 * at:2 * at + 2]
    elif change == "drop" and buckets > 1:
        del flat[2 * at:2 * at + 2]
    elif change == "index":
        flat[2 * at] = draw(st.sampled_from([-TOP - 1, TOP + 1, TOP, 0, flat[2 * at] + 1,
                                             flat[2 * at] - 1]))
    elif change == "count":
        flat[2 * at + 1] = draw(st.integers(-2, 3))
    elif change == "shift" and buckets > 1:  # the counts still add up
        other = (at + 1) % buckets
        moved = draw(st.integers(1, 3))
        flat[2 * at + 1] -= moved
        flat[2 * other + 1] += moved
    elif change == "total":
        count += draw(st.sampled_from([-1, 1]))
    return max(count, 1), metric.minimum, metric.maximum, flat


@settings(max_examples=1500, deadline=None)
@given(sketched_metrics())
def test_a_packed_sketch_is_judged_as_the_same_buckets_in_a_dict(drawn):
    """A sketch as received (packed int64s, checked by a shortcut) gets the verdict and the
    message of the same buckets held in a dict (checked one rule after the other)."""
    count, low, high, flat = drawn
    if len(set(flat[0::2])) != len(flat) // 2:
        return  # (a dict cannot hold a repeated index)
    packed = Metric(count, 0, 0, low, high, Sketch.from_flat(flat))
    held = Metric(count, 0, 0, low, high, Sketch(dict(zip(flat[0::2], flat[1::2], strict=True))))
    assert type(packed.sketch.pairs()).__name__ == "array"
    assert validation.sketch_problem(packed) == validation.sketch_problem(held)
