"""The data-only wire encoding: what round-trips, and that nothing else decodes (never pickle)."""

import json
import os
import pickle
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from logcrunch import wire
from logcrunch.broker import JobInfo, Task
from logcrunch.scan import ScanConfig
from logcrunch.sketch import Sketch
from logcrunch.summary import FileSummary, Metric


def roundtrip(message):
    return wire.decode(wire.encode(message))


def test_every_message_kind_of_the_protocol_round_trips():
    summary = FileSummary("/logs/a.log", format="logfmt", size_bytes=10, lines=2, error_lines=1,
                          first_ts="2026-11-27T02:00:01", worker="h:1:2", seconds=0.25,
                          metrics={"ms": Metric(2, 3, 5, 1, 2), "sketched": Metric.of([0, -2, 7]),
                                   "ratio": Metric(1, Fraction(-1, 4), Fraction(1, 16),
                                                   Fraction(-1, 4), Fraction(-1, 4))})
    config = ScanConfig(error_patterns=("boom",), metric_patterns=(("ms", r"took (\d+)"),))
    job = JobInfo("ab" * 16, config, 30.0, 5.0, 1800.0, roots=(("/logs", 64768),),
                  follow_symlinks=True)
    task = Task(7, "/logs/a.log", 10, 1.5, 0, None, 1, True, inode=99, device=64768)
    assert roundtrip(summary) == summary
    assert roundtrip(summary).metrics["sketched"].sketch == Metric.of([0, -2, 7]).sketch
    assert roundtrip([Metric.of([1, 1, 5])]) == [Metric.of([1, 1, 5])]
    assert roundtrip(job) == job  # tuples inside dataclasses stay tuples
    assert roundtrip(task) == task
    request = [None, "complete", ["w", "cd" * 16, [[7, summary]], True], {}]
    assert roundtrip(request) == request
    assert roundtrip(("#RETURN", ["work", "ef" * 16, [task]])) == \
        ["#RETURN", ["work", "ef" * 16, [task]]]


@given(st.integers(min_value=-10**300, max_value=10**300),
       st.integers(min_value=1, max_value=10**300))
def test_exact_numbers_stay_exact(numerator, denominator):
    value = Fraction(numerator, denominator)
    assert roundtrip([value, numerator]) == [value, numerator]


class _Boom:
    def __reduce__(self):
        return (os.system, ("touch /tmp/logcrunch-wire-pwned",))


def test_a_pickle_is_not_a_message():
    with pytest.raises(wire.WireError):
        wire.decode(pickle.dumps(_Boom()))
    with pytest.raises(wire.WireError):
        wire.decode(pickle.dumps(("#RETURN", None), protocol=0))


@pytest.mark.parametrize("text", [
    '{"$": "Popen", "v": [["id"]]}',  # not an allowed class
    '{"$": "BrokerService", "v": []}',
    '{"__class__": "Task"}',  # not a tagged form at all
    '{"$": "Task", "v": [1, "/x"]}',  # too few fields (another version?)
    '{"$": "Q", "v": [1, 0]}',  # a fraction with denominator 0
    '{"$": "Q", "v": [1, true]}',
    '{"$": "D", "v": [[1, 2]]}',  # dict keys are strings
    '[NaN]', '[Infinity]',
    '[' * 100_000 + ']' * 100_000,  # nesting deeper than the decoder goes
    '[1' + '0' * 5000 + ']',  # an integer past the int-to-str digit limit
    '{"$": "M", "v": [["ms", 1, 1, 1, 1, 1]]}',  # a metric row without its sketch (protocol 4)
    '{"$": "M", "v": [["ms", 1, 1, 1, 1, 1, [68800]]]}',  # a sketch is [index, count, ...]
    '{"$": "M", "v": [["ms", 1, 1, 1, 1, 1, {"68800": 1}]]}',
    '{"$": "M", "v": [["ms", 2, 2, 2, 1, 1, [68800, 1, 68800, 1]]]}',  # one bucket twice
    '{"$": "M", "v": [["ms", 2, 5, 13, 2, 3, [68896, 1, 68864, 1]]]}',  # not ascending
    '{"$": "M", "v": [["ms", 1, 1, 1, 1, 1, [68800, 1.0]]]}',
    '{"$": "Metric", "v": [1, 1, 1, 1, 1]}',
])
def test_anything_outside_the_encoding_is_refused(text):
    with pytest.raises(wire.WireError):
        wire.decode(text.encode())


def test_a_huge_fraction_is_refused():
    text = json.dumps({"$": "Q", "v": [1, 3**9000]}).encode()
    with pytest.raises(wire.WireError):
        wire.decode(text)


def test_what_a_peer_cannot_be_sent_fails_on_the_sending_side():
    with pytest.raises(TypeError):
        wire.encode([object()])
    with pytest.raises(ValueError):
        wire.encode([float("nan")])


def test_a_class_cannot_pass_for_an_allowed_one_by_name():
    class Task:  # same name, not the protocol's class
        pass

    with pytest.raises(TypeError):
        wire.encode(Task())


def test_surrogate_escaped_file_names_survive_the_trip():
    name = os.fsdecode(b"/logs/caf\xe9.log")
    assert roundtrip([name]) == [name]


def test_a_summary_never_encodes_past_its_bound_or_the_message_limit():
    from logcrunch.channel import MAX_MESSAGE_BYTES
    from logcrunch.templates import example_text, template_text
    from logcrunch.worker import encoded_size_bound

    invalid, emoji = b"\xff" * 1024, "\U0001F600".encode() * 256
    rows = []
    for index in range(1000):
        raw = (invalid if index % 2 else emoji)[:1020] + b"%04d" % index
        rows.append([2, template_text(raw), 1, "2026-11-26T13:00:00.123456789Z",
                     "2026-11-26T13:00:00.123456789Z", example_text(raw)])
    timeline = {f"{2000 + i // 8760:04d}-01-01T{i % 24:02d}:00:00Z": [1, 1, 0] for i in range(50_000)}
    # The largest sketches: every metric at the bucket cap, with the widest counts.
    sketch = Sketch({-134336 + index: 10**18 for index in range(2048)})
    metrics = {f"m{index:03d}" + "x" * 196: Metric(2048 * 10**18, 0, 0, -10**308, 10**308, sketch)
               for index in range(100)}
    worst = FileSummary("/logs/" + "d" * 4000, lines=1000, error_lines=1000, timeline=timeline,
                        templates=sorted(rows), metrics=metrics)
    size = len(wire.encode(worst))
    assert size <= encoded_size_bound(worst)
    assert size < MAX_MESSAGE_BYTES


def complete_call(results, finished=True):
    """A `complete` call as a worker's proxy sends it."""
    return wire.encode(("7f00", "complete", ("w-1", "ab" * 16, results, finished), {}))


def test_a_complete_call_decodes_as_decode_does_with_each_summary_as_received():
    summaries = [FileSummary("/logs/a", lines=2, metrics={"ms": Metric.of([1, Fraction(1, 3)])},
                             timeline={"2026-11-26T13:00:00Z": [2, 0, 0]}),
                 FileSummary("/logs/b\u00e9", error="x\ty")]
    data = complete_call([(1, summaries[0]), (2, summaries[1])])
    message, texts = wire.decode_call(data)
    assert message == wire.decode(data)
    assert [wire.decode(text.encode()) for text in texts] == summaries
    assert [result[1] for result in message[2][2]] == summaries
    assert texts == [wire.encode(summary).decode() for summary in summaries]


@pytest.mark.parametrize("data", [
    complete_call([]),
    wire.encode(("7f00", "lease", ("w-1", "ab", 8, 1.0), {})),
    b'["7f00","complete",["w-1","ab",[[1,5]],true],'
    b'{"$":"D","v":[["x",1]]}]',  # keyword arguments
    b' ["7f00","complete",["w-1","ab",[[1,5]],true],{}]',
    b'["7f00","complete",["w-1","ab",[[1,5]],true],{}] ',
    b'["7f00", "complete", ["w-1", "ab", [[1, 5]], true], {}]',
])
def test_any_other_message_decodes_as_decode_does_without_texts(data):
    message, texts = wire.decode_call(data)
    assert message == wire.decode(data)
    assert texts is None or (texts == [] and data == complete_call([]))


@pytest.mark.parametrize("data", [
    b'["7f00","complete",["w-1","ab",[[1,{"$":"Popen","v":[]}]],true],{}]',
    b'["7f00","complete",["w-1","ab",[[1,{"$":"FileSummary","v":[1]}]],true],{}]',
    b'["7f00","complete",["w-1","ab",[[1,{"$":"Q","v":[1,0]}]],true],{}]',
    b'["7f00","complete",["w-1","ab",[[1,NaN]],true],{}]',
    b'["7f00","complete",["w-1","ab",[[1,2]],true],{}]]',
    b'["7f00","complete",["w-1","ab",[[1,2]',
    b'["7f00","complete",["w-1","ab",[[1,2]],true],{"x":1}]',
    '["7f00","complete",["w-\u00e9","ab",[],true],{}]'.encode(),
])
def test_a_complete_call_outside_the_encoding_is_refused_as_decode_refuses_it(data):
    with pytest.raises(wire.WireError) as expected:
        wire.decode(data)
    with pytest.raises(wire.WireError) as refused:
        wire.decode_call(data)
    assert str(refused.value) == str(expected.value)
