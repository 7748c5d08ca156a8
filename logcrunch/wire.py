"""The data-only encoding of every message between head and workers.

Nothing received from a peer is ever unpickled: a message is JSON text whose objects can only be
one of a few tagged forms, decoded into plain values and instances of an allow-list of dataclasses
(built through their own ``__init__`` with already-decoded plain values), so decoding cannot run
code, whoever holds the key. Anything else is a `WireError`. What the values *mean* (a path the
head leased, a count that fits the file) is checked by `logcrunch.validation`; this module only
guarantees their shape.

Encoding (compact JSON, ``allow_nan`` off):

- ``None``, ``bool``, ``int``, ``float`` (finite), ``str``: as JSON; lists and tuples as arrays
  (tuples come back as lists at the top level and as tuples inside dataclass fields);
- an empty dict as ``{}`` (a BaseManager request's keyword arguments); other dicts, exact
  fractions and dataclasses as ``{"$": tag, "v": [...]}``: tag ``D`` a dict with string keys
  (``v`` = its items), ``M`` a summary's metrics (``v`` = rows of name, count, sum, sum of
  squares, min, max, sketch: one object for all of a file's metrics; the sketch is null or the
  flat list ``[index, count, ...]`` of its buckets, ascending), ``Q`` a Fraction (``v`` =
  numerator, denominator), or an allowed class's name (``v`` = its field values in order; a
  Metric's sketch again as that flat list).
"""

from __future__ import annotations

import dataclasses
import json
import operator
from fractions import Fraction
from typing import Any

from logcrunch.broker import JobInfo, Task
from logcrunch.scan import ScanConfig
from logcrunch.sketch import Sketch
from logcrunch.summary import FileSummary, Metric

# What a message may contain besides plain values: the protocol needs nothing else.
ALLOWED_CLASSES: dict[str, type] = {cls.__name__: cls for cls in
                                    (Task, JobInfo, ScanConfig, FileSummary, Metric)}
_FIELDS = {name: tuple(f.name for f in dataclasses.fields(cls))
           for name, cls in ALLOWED_CLASSES.items()}
# Classes with tuple fields (lists on the wire); the others are rebuilt from their values as is.
_HAS_TUPLES = frozenset({"JobInfo", "ScanConfig"})
_GETTERS = {cls: (name, operator.attrgetter(*_FIELDS[name]),
                  tuple(i for i, f in enumerate(dataclasses.fields(cls)) if f.type.startswith("dict")))
            for name, cls in ALLOWED_CLASSES.items()}
MAX_DICT_ITEMS = 100_000
MAX_FRACTION_BITS = 13_000  # ~3,900 digits: far beyond any kept sample's sums, under int-to-str limits


class WireError(ValueError):
    """A message is not in the protocol's encoding (or breaks one of its bounds)."""


def _default(value: Any) -> Any:
    if type(value) is Metric:  # not via _field: a Metric outside a summary's metrics
        return {"$": "Metric", "v": _metric_values(value)}
    known = _GETTERS.get(type(value))
    if known is not None:
        name, getter, dict_fields = known
        values = getter(value)
        if dict_fields:
            values = list(values)
            for index in dict_fields:
                values[index] = _field(values[index])
        return {"$": name, "v": values}
    if isinstance(value, Fraction):
        return {"$": "Q", "v": [value.numerator, value.denominator]}
    raise TypeError(f"{type(value).__name__} cannot be sent to a peer")


def _field(value: Any) -> Any:
    if isinstance(value, dict) and value:
        if all(type(item) is Metric for item in value.values()):
            # A summary's metrics, as rows: one object for all of them, not one per metric.
            return {"$": "M", "v": [(name, *_metric_values(metric))
                                    for name, metric in value.items()]}
        return {"$": "D", "v": list(value.items())}
    return value


_METRIC_VALUES = operator.attrgetter("count", "total", "total_sq", "minimum", "maximum")


def _metric_values(metric: Metric) -> tuple:
    sketch = metric.sketch
    return (*_METRIC_VALUES(metric), None if sketch is None else sketch.flat())


_ENCODER = json.JSONEncoder(default=_default, allow_nan=False, check_circular=False,
                            separators=(",", ":"))


def encode(message: Any) -> bytes:
    """The wire form of ``message``; raises TypeError/ValueError for what cannot be sent."""
    if isinstance(message, dict) and message:
        message = _field(message)
    return _ENCODER.encode(message).encode("ascii")


def _reject_constant(text: str) -> Any:
    raise WireError(f"{text} is not allowed on the wire")


def _tuples(value: Any) -> Any:
    """Lists inside dataclass fields were tuples (ScanConfig's patterns, for one)."""
    if type(value) is list:
        return tuple(_tuples(item) for item in value)
    return value


def _decode_object(obj: dict) -> Any:
    if not obj:
        return {}
    if len(obj) != 2 or "$" not in obj or type(obj.get("v")) is not list:
        raise WireError("unexpected object on the wire")
    tag, values = obj["$"], obj["v"]
    if tag == "Q":
        return _fraction(values)
    if tag == "D":
        return _dict(values)
    if tag == "M":
        return _metrics(values)
    if tag == "Metric":
        return _metric(values)
    fields = _FIELDS.get(tag) if type(tag) is str else None
    if fields is None:
        raise WireError(f"{str(tag)[:40]!r} is not a type the protocol allows")
    if len(values) != len(fields):
        raise WireError(f"{tag} with {len(values)} fields, expected {len(fields)} (another "
                        "logcrunch version?)")
    try:
        if tag in _HAS_TUPLES:
            return ALLOWED_CLASSES[tag](*[_tuples(value) for value in values])
        return ALLOWED_CLASSES[tag](*values)
    except TypeError as exc:
        raise WireError(f"bad {tag}: {exc}") from None


def _fraction(values: list) -> Fraction:
    if len(values) != 2 or not all(type(v) is int for v in values) or values[1] <= 0:
        raise WireError("a fraction is two integers, the second positive")
    if max(abs(values[0]).bit_length(), values[1].bit_length()) > MAX_FRACTION_BITS:
        raise WireError("a fraction too large to be a metric")
    return Fraction(values[0], values[1])


def _metrics(rows: list) -> dict:
    """A summary's metrics from their rows: [name, count, sum, sum_sq, min, max, sketch]."""
    if len(rows) > MAX_DICT_ITEMS:
        raise WireError(f"more than {MAX_DICT_ITEMS} metrics")
    out = {}
    for row in rows:
        if type(row) is not list or len(row) != 7 or type(row[0]) is not str:
            raise WireError("a metric is [name, count, sum, sum_sq, min, max, sketch]")
        out[row[0]] = _metric(row[1:])
    return out


def _metric(values: list) -> Metric:
    if len(values) != 6:
        raise WireError("a Metric is [count, sum, sum_sq, min, max, sketch]")
    return Metric(*values[:5], sketch=_sketch(values[5]))


def _sketch(flat: Any) -> Sketch | None:
    """The shape of a sketch: a flat list of an even number of ints, indices strictly
    ascending (what they mean is validation.sketch_problem's to check)."""
    if flat is None:
        return None
    if type(flat) is not list or len(flat) % 2 or len(flat) > 2 * MAX_DICT_ITEMS:
        raise WireError("a sketch is a flat list [index, count, ...]")
    if set(map(type, flat)) - _JUST_INT:  # in C: no generator per item (bools are not ints)
        raise WireError("a sketch holds integers only")
    indices = flat[0::2]
    if len(indices) > 1 and any(map(operator.ge, indices, indices[1:])):
        raise WireError("sketch bucket indices are not strictly ascending")
    return Sketch.from_flat(flat)


_JUST_INT = frozenset({int})


def _dict(items: list) -> dict:
    if len(items) > MAX_DICT_ITEMS:
        raise WireError(f"a dict of more than {MAX_DICT_ITEMS} items")
    out = {}
    for item in items:
        if type(item) is not list or len(item) != 2 or type(item[0]) is not str:
            raise WireError("a dict item is a [string key, value] pair")
        out[item[0]] = item[1]
    return out


_DECODER = json.JSONDecoder(object_hook=_decode_object, parse_constant=_reject_constant)


def decode(data: bytes) -> Any:
    """The message encoded in ``data``; raises WireError for anything outside the encoding."""
    try:
        return _DECODER.decode(data.decode("ascii"))
    except WireError:
        raise
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError, JSONDecodeError, int digits
        raise WireError(f"not a protocol message: {str(exc)[:100]}") from None


# ----- a `complete` call, with the text of each summary as received ----------------------------

_COMPLETE = ',"complete",['
_CALL_END = "],{}]"


def decode_call(data: bytes) -> tuple[Any, list[str] | None]:
    """``decode(data)``, and for a ``complete`` call in the compact form a proxy sends
    (``[id,"complete",[worker,lease,[[task_id,summary],...],finished],{}]``, as `encode` writes
    it) the JSON text of each result's summary exactly as received, in order (None for any other
    message).

    The texts are slices of what the same decoder consumed to build each result: the head may
    store a summary as the text it came in as, once that summary is validated, instead of
    encoding it again (state.py). Whatever does not fit that form exactly is decoded by `decode`
    (and refused as `decode` refuses it), so this accepts and builds nothing `decode` does not.
    """
    try:
        call = _complete_call(data.decode("ascii"))
    except (ValueError, IndexError, StopIteration, RecursionError):  # WireError too: decode says
        call = None
    if call is None:
        return decode(data), None
    return call


def _complete_call(text: str) -> tuple[list, list[str]] | None:
    scan = _DECODER.scan_once  # the C scanner of `decode`, with its hooks; (value, end)
    if text[:1] != "[":
        return None
    ident, at = scan(text, 1)
    if not text.startswith(_COMPLETE, at):
        return None
    worker, at = scan(text, at + len(_COMPLETE))
    if text[at] != ",":
        return None
    lease_id, at = scan(text, at + 1)
    if not text.startswith(",[", at):
        return None
    at += 2
    results: list[list] = []
    texts: list[str] = []
    if text[at] == "]":
        at += 1
    else:
        while True:
            if text[at] != "[":
                return None
            task_id, at = scan(text, at + 1)
            if text[at] != ",":
                return None
            start = at + 1
            summary, at = scan(text, start)
            if text[at] != "]":
                return None
            results.append([task_id, summary])
            texts.append(text[start:at])
            at += 1
            if text[at] == "]":
                at += 1
                break
            if text[at] != ",":
                return None
            at += 1
    if text[at] != ",":
        return None
    finished, at = scan(text, at + 1)
    if text[at:] != _CALL_END:
        return None
    return [ident, "complete", [worker, lease_id, results, finished], {}], texts
