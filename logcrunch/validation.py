"""Checks on everything a peer sends, after `logcrunch.wire` has decoded it into plain values.

The wire guarantees shapes (plain values and allowed dataclasses), not meaning. These functions
check the meaning: the head checks every call's arguments and every result against the task it
answers (a worker holding the key cannot put ``/etc/passwd``, ``lines=10**30`` or a formula into a
report); a worker checks the job and the tasks a head hands it. All are pure; the head's raise
ValueError (BaseManager sends its text back to the caller), the worker's raise PeerMisbehaved.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
import operator
import re
import sys
from array import array
from datetime import datetime
from typing import Any

from logcrunch import defaults
from logcrunch.broker import JobInfo, Task
from logcrunch.channel import PeerMisbehaved
from logcrunch.deltas import FINGERPRINT_CHARS, READ_MODES, is_fingerprint
from logcrunch.formats import FORMATS
from logcrunch.scan import ScanConfig
from logcrunch.sketch import TOP, Sketch, bucket_index, exact_parts
from logcrunch.summary import (
    OVERFLOW_HOUR,
    STATUS_FAILED,
    STATUS_OK,
    STATUS_SKIPPED,
    FileSummary,
    Metric,
)

MAX_NAME = 256  # worker names, metric names
MAX_ID = 64
MAX_REASON = 1000
MAX_PATH = 4096
MAX_INT = 2**63 - 1
MAX_SECONDS = 10**7
MAX_TASKS_PER_LEASE = 100_000
MAX_READ_BYTES = 64 * 1024 * 1024  # a job's read buffer / long-line limit (worker memory)
# Reported formats: the scanner's, plus the walk's "directory" for a failed row.
KNOWN_FORMATS = frozenset(FORMATS) | {"", "directory"}
STATUSES = frozenset({STATUS_OK, STATUS_SKIPPED, STATUS_FAILED})
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:?\d\d)?")
_ID = re.compile(r"[0-9a-f]{1,64}")
# read_to may be -1 (not tracked): checked on its own (_cursor_problem).
_INT_FIELDS = tuple(f.name for f in dataclasses.fields(FileSummary)
                    if f.type == "int" and f.name != "read_to")
_int_values = operator.attrgetter(*_INT_FIELDS)
# Every field's exact type, in order: one tuple comparison checks them all.
_SUMMARY_FIELD_NAMES = tuple(f.name for f in dataclasses.fields(FileSummary))
_SUMMARY_TYPES = tuple({"int": int, "str": str, "float": float}.get(
                           f.type, list if f.type.startswith("list") else dict)
                       for f in dataclasses.fields(FileSummary))
_all_values = operator.attrgetter(*_SUMMARY_FIELD_NAMES)
_TYPE_WORDS = {int: "a non-negative integer", str: "text", float: "a number", dict: "a mapping",
               list: "a list"}
_HOUR = re.compile(r"\d{4}-\d\d-\d\dT\d\d:00:00Z")
_FINGERPRINT = re.compile(f"[0-9a-f]{{{FINGERPRINT_CHARS}}}")
MAX_TEMPLATE_CHARS = 4 * 1024  # 1 KiB of bytes, each at most 4 characters once escaped
_JUST_INT = {int}


# ----- basic values ------------------------------------------------------------------------------


def is_int(value: Any) -> bool:
    return type(value) is int


def check_count(value: Any, what: str) -> int:
    if not is_int(value) or not 0 <= value <= MAX_INT:
        raise ValueError(f"{what} must be a non-negative integer")
    return value


def check_optional_count(value: Any, what: str) -> int | None:
    return None if value is None else check_count(value, what)


def check_seconds(value: Any, what: str) -> float:
    if type(value) not in (int, float) or not math.isfinite(value) or \
            not -MAX_SECONDS <= value <= MAX_SECONDS:
        raise ValueError(f"{what} must be a finite number of seconds")
    return float(value)


def check_flag(value: Any, what: str) -> bool:
    if type(value) is not bool:
        raise ValueError(f"{what} must be true or false")
    return value


def check_text(value: Any, what: str, limit: int) -> str:
    if type(value) is not str or len(value) > limit or _CONTROL.search(value):
        raise ValueError(f"{what} must be a line of text of at most {limit} characters")
    return value


def one_line_text(value: Any, what: str, limit: int = MAX_REASON) -> str:
    """A peer's free text (a reason), flattened and cut to ``limit`` instead of refused."""
    if type(value) is not str:
        raise ValueError(f"{what} must be text")
    flat = _CONTROL.sub(" ", value[:limit * 2])
    return flat if len(flat) <= limit else flat[:limit - 3] + "..."


def check_worker_name(value: Any) -> str:
    if not check_text(value, "the worker name", MAX_NAME):
        raise ValueError("the worker name must not be empty")
    return value


def check_id(value: Any, what: str) -> str:
    if type(value) is not str or not _ID.fullmatch(value):
        raise ValueError(f"{what} must be a hex id")
    return value


# ----- the head: requests ------------------------------------------------------------------------


def check_first_request(request: Any) -> tuple[None, str, list, dict]:
    """The one request a new connection may start with: create the broker proxy, or attach a
    proxy's calls to this connection."""
    if type(request) is not list or len(request) != 4:
        raise ValueError("a request is [id, method, args, kwargs]")
    ident, method, args, kwds = request
    if ident is not None or kwds != {} or type(args) is not list:
        raise ValueError("bad request")
    if method == "create" and args == ["broker"]:
        return None, method, args, {}
    if method == "accept_connection" and len(args) == 1:
        check_text(args[0], "the connection name", MAX_NAME)
        return None, method, args, {}
    raise ValueError(f"{str(method)[:40]!r} is not a request this head serves")


def check_results(results: Any, max_files: int) -> None:
    """The shape of a `complete` call's results: [[task_id, FileSummary], ...]."""
    if type(results) is not list or len(results) > max(max_files, defaults.RESULT_BATCH_FILES):
        raise ValueError("results must be a list of at most one lease's tasks")
    for item in results:
        if type(item) not in (list, tuple) or len(item) != 2 or not is_int(item[0]) or \
                type(item[1]) is not FileSummary:
            raise ValueError("each result is [task_id, FileSummary]")


def summary_problem(summary: FileSummary, task: Task, config: Any) -> str:
    """Why ``summary`` cannot be the result of ``task`` ("" when it can).

    Every field is checked: its type; the path is the task's; status and format come from the
    known sets; texts are bounded, one line, and timestamps look like timestamps (so nothing a
    spreadsheet would run reaches files.csv); counts are non-negative and fit the bytes the task
    covers (a line takes at least one byte, decompressed at most ``max_expansion`` times its
    size); a file that is not ok carries no counts; metrics are bounded and self-consistent.
    """
    # The common case in builtins (this runs for every file on the head's serving threads);
    # the field-by-field loops only name the culprit.
    if tuple(map(type, _all_values(summary))) != _SUMMARY_TYPES:
        return next(f"{name} is not {_TYPE_WORDS[kind]}" for name, kind, value in
                    zip(_SUMMARY_FIELD_NAMES, _SUMMARY_TYPES, _all_values(summary), strict=True)
                    if type(value) is not kind)
    ints = _int_values(summary)
    if min(ints) < 0 or max(ints) > MAX_INT:
        return next(f"{name} is not a non-negative integer"
                    for name, value in zip(_INT_FIELDS, ints, strict=True)
                    if not 0 <= value <= MAX_INT)
    if summary.path != task.path:
        return "it names another file than the one leased"
    if summary.status not in STATUSES:
        return "unknown status"
    if summary.format not in KNOWN_FORMATS:
        return "unknown format"
    if summary.error and (len(summary.error) > MAX_REASON or _CONTROL.search(summary.error)):
        return f"error is not one line of at most {MAX_REASON} characters"
    if len(summary.worker) > MAX_NAME or _CONTROL.search(summary.worker):
        return f"worker is not one line of at most {MAX_NAME} characters"
    for name, stamp in (("first_ts", summary.first_ts), ("last_ts", summary.last_ts)):
        if stamp and not _TIMESTAMP.fullmatch(stamp):
            return f"{name} is not a timestamp"
    if not 0 <= summary.seconds <= MAX_SECONDS:  # a float (checked above); NaN fails too
        return "seconds out of range"
    return (_counts_problem(summary, task, config) or _cursor_problem(summary, task)
            or _metrics_problem(summary, config) or _timeline_problem(summary)
            or _templates_problem(summary, config))


def _cursor_problem(summary: FileSummary, task: Task) -> str:
    """Where the reading started and stopped must fit the task and the file (deltas.py)."""
    if summary.read_mode and summary.read_mode not in READ_MODES:
        return "unknown read_mode"
    if summary.status != STATUS_OK:
        return ""
    if summary.read_from != task.start:
        return "read_from is not where the task starts"
    if summary.read_to == -1:
        return "a fingerprint without read_to" if summary.fingerprint else ""
    if not task.start <= summary.read_to <= min(summary.size_bytes, MAX_INT):
        return "read_to is outside the bytes read"
    if not _FINGERPRINT.fullmatch(summary.fingerprint):  # is_fingerprint, not empty, in C
        return "fingerprint is not 32 hex digits"
    return ""


def _timeline_problem(summary: FileSummary) -> str:
    timeline = summary.timeline
    if summary.status != STATUS_OK:
        return "a file that is not ok carries a timeline" if timeline else ""
    if len(timeline) > defaults.MAX_TIMELINE_HOURS + 2:
        return "more timeline hours than the per-file cap"
    totals = _good_timeline_totals(timeline)
    if totals is None:  # something is wrong: the loop below names it
        return _timeline_rows_problem(summary, timeline)
    if timeline and totals != [summary.lines, summary.error_lines, summary.warn_lines]:
        return "the timeline does not add up to the file's lines"
    if not timeline and summary.lines:
        return "lines without a timeline"
    return ""


def _good_timeline_totals(timeline: dict) -> list[int] | None:
    """The [lines, error_lines, warn_lines] totals of a timeline whose every hour and row is
    well formed, in builtins over the whole timeline at once (this runs for every file on the
    head's serving threads: the per-hour loop took a third of a summary's check); None when
    any hour or row is not, for `_timeline_rows_problem` to name."""
    if timeline and set(map(type, timeline)) != _JUST_STR:
        return None
    hours = list(itertools.filterfalse(_good_hours.__contains__, timeline))  # not seen yet
    if hours:
        if not all(hour in ("", OVERFLOW_HOUR) or _is_hour(hour) for hour in hours):
            return None
        if len(_good_hours) > 100_000:  # (a night's files share their hours)
            _good_hours.clear()
        _good_hours.update(hours)
    rows = list(timeline.values())
    if not rows:
        return [0, 0, 0]
    if set(map(type, rows)) != _JUST_LIST or set(map(len, rows)) != _JUST_THREE:
        return None
    cells = list(itertools.chain.from_iterable(rows))
    if set(map(type, cells)) != _JUST_INT or min(cells) < 0:
        return None
    lines, errors, warns = cells[0::3], cells[1::3], cells[2::3]
    if any(map(operator.gt, map(operator.add, errors, warns), lines)):
        return None
    return [sum(lines), sum(errors), sum(warns)]


_good_hours: set[str] = set()
_JUST_LIST = {list}
_JUST_STR = {str}
_JUST_THREE = {3}


def _timeline_rows_problem(summary: FileSummary, timeline: dict) -> str:
    """The first bad hour or row of a timeline, hour by hour (the reference of
    `_good_timeline_totals`, which the tests compare with it)."""
    totals = [0, 0, 0]
    for hour, row in timeline.items():
        if hour not in ("", OVERFLOW_HOUR) and not _is_hour(hour):
            return "a timeline key is not an hour"
        if type(row) is not list or len(row) != 3 or set(map(type, row)) != _JUST_INT or \
                min(row) < 0 or row[1] + row[2] > row[0]:
            return "a timeline row is not [lines, error_lines, warn_lines]"
        totals[0] += row[0]
        totals[1] += row[1]
        totals[2] += row[2]
    if timeline and totals != [summary.lines, summary.error_lines, summary.warn_lines]:
        return "the timeline does not add up to the file's lines"
    if not timeline and summary.lines:
        return "lines without a timeline"
    return ""


def _is_hour(hour: Any) -> bool:
    """A real UTC hour as the scanner writes it ("2026-11-26T13:00:00Z", years 1000-9999)."""
    if type(hour) is not str or not _HOUR.fullmatch(hour) or hour < "1000":
        return False
    return hour[11:13] < "24" and _is_day(hour[:10])


@functools.lru_cache(maxsize=4096)
def _is_day(day: str) -> bool:
    """A real calendar day, YYYY-MM-DD (cached: a night's files share a few; strptime costs
    microseconds, and the head checks every hour of every summary)."""
    try:
        datetime.strptime(day, "%Y-%m-%d")
    except ValueError:
        return False
    return True


def _templates_problem(summary: FileSummary, config: Any) -> str:
    rows = summary.templates
    if summary.status != STATUS_OK:
        return "a file that is not ok carries templates" if rows else ""
    if len(rows) > max(1, getattr(config, "max_templates", defaults.MAX_TEMPLATES)):
        return "more templates than the per-file cap"
    totals = {1: 0, 2: 0}
    previous = None
    for row in rows:
        if type(row) is not list or len(row) != 6:
            return "a template row is not [level, template, count, first_ts, last_ts, example]"
        level, template, count, first_ts, last_ts, example = row
        if type(level) is not int or level not in totals or type(count) is not int or count < 1:
            return "a template row has a bad level or count"
        # Unrolled (no loop over the two texts and the two stamps): this runs per template row.
        if type(template) is not str or type(example) is not str or \
                len(template) > MAX_TEMPLATE_CHARS or len(example) > MAX_TEMPLATE_CHARS or \
                _CONTROL.search(template) or _CONTROL.search(example):
            return "a template or example is not one line of bounded text"
        if type(first_ts) is not str or type(last_ts) is not str or \
                (first_ts and not _TIMESTAMP.fullmatch(first_ts)) or \
                (last_ts and not _TIMESTAMP.fullmatch(last_ts)):
            return "a template's first_ts or last_ts is not a timestamp"
        if previous is not None and (level, template) <= previous:
            return "template rows are not sorted and distinct"
        previous = (level, template)
        totals[level] += count
    if totals[2] > summary.error_lines or totals[1] > summary.warn_lines:
        return "more template lines than error or warning lines"
    return ""


def _counts_problem(summary: FileSummary, task: Task, config: Any) -> str:
    if summary.status != STATUS_OK:
        counted = summary.lines or summary.error_lines or summary.warn_lines or \
            summary.long_lines or summary.metrics
        return "a file that is not ok carries counts" if counted else ""
    if task.end is not None:  # a byte range of a plain file: a line starts at each of its bytes
        most = task.weight + 1
    else:  # a whole file, perhaps compressed: at most max_expansion times its size, decompressed
        expansion = max(1, getattr(config, "max_expansion", defaults.MAX_EXPANSION))
        most = (max(summary.size_bytes, task.size) + 1) * expansion + \
            defaults.EXPANSION_FLOOR_BYTES
    if summary.lines > most:
        return "more lines than its bytes can hold"
    if summary.error_lines + summary.warn_lines > summary.lines or \
            summary.long_lines > summary.lines or summary.level_lines > summary.lines:
        return "more error, warning or long lines than lines"
    return ""


def _metrics_problem(summary: FileSummary, config: Any) -> str:
    metrics = summary.metrics
    if len(metrics) > max(1, getattr(config, "max_metrics", defaults.MAX_METRICS)):
        return "more metrics than --max-metrics"
    for name, metric in metrics.items():
        if name not in _good_names:
            if type(name) is not str or not name or \
                    len(name) > defaults.MAX_METRIC_NAME_CHARS or _CONTROL.search(name):
                return f"a metric name is not one line of at most " \
                    f"{defaults.MAX_METRIC_NAME_CHARS} characters"
            if len(_good_names) < 10_000:  # names repeat across files: check each once
                _good_names.add(name)
        problem = metric_problem(metric)
        if problem:
            return f"metric {name[:40]!r}: {problem}"
    return ""


_good_names: set[str] = set()
_DOUBLE_MAX = int(sys.float_info.max)


def metric_problem(metric: Any) -> str:
    if type(metric) is not Metric:
        return "not a metric"
    count = metric.count
    if not is_int(count) or not 1 <= count <= MAX_INT:
        return "count is not a positive integer"
    values = (metric.total, metric.total_sq, metric.minimum, metric.maximum)
    if set(map(type, values)) == _JUST_INT:  # integer metrics: the common case, compared as is
        total, square, low, high = values
        if not -_DOUBLE_MAX <= low <= high <= _DOUBLE_MAX:
            return "min and max are not an ordered pair of kept samples"
        if square < 0 or not count * low <= total <= count * high:
            return "sum or sum of squares cannot come from samples between min and max"
        return sketch_problem(metric)
    parts = [exact_parts(value) for value in values]  # (compared cross-multiplied)
    if None in parts:
        return "a value is not an exact number"
    (total, total_d), (square, _square_d), (low, low_d), (high, high_d) = parts
    if not (-_DOUBLE_MAX * low_d <= low and low * high_d <= high * low_d
            and high <= _DOUBLE_MAX * high_d):
        return "min and max are not an ordered pair of kept samples"
    if square < 0 or not (count * low * total_d <= total * low_d
                          and total * high_d <= count * high * total_d):
        return "sum or sum of squares cannot come from samples between min and max"
    return sketch_problem(metric)


def _good_packed(indices: array, counts: array, metric: Metric) -> bool:
    """Whether a packed sketch (int64 indices and counts, at least one bucket) passes every
    check of `sketch_problem`, in fewer passes: once the indices are known to ascend, the first
    and last are their min and max (and within [-TOP, TOP], as the buckets of min and max are),
    and no int64 count is above MAX_INT. (A third of a summary's check was its sketches;
    `sketch_problem` names what is wrong when this says no.)"""
    return (not any(map(operator.ge, indices, indices[1:]))
            and min(counts) >= 1 and sum(counts) == metric.count
            and indices[-1] == bucket_index(metric.maximum)
            and indices[0] >= bucket_index(metric.minimum))


def sketch_problem(metric: Metric) -> str:
    """What is wrong with a (count-checked) metric's sketch, or "". A sketch may be absent (no
    percentiles); one that is there must be one the scanner could have made: at most
    MAX_SKETCH_BUCKETS buckets, int indices in range, strictly ascending as sent, positive int
    counts adding up to the metric's count, the last bucket that of max, none below min's."""
    sketch = metric.sketch
    if sketch is None:
        return ""
    if type(sketch) is not Sketch:
        return "the sketch is not a sketch"
    pairs = sketch.pairs()  # packed as received: checked without building a dict
    indices, counts = pairs[0::2], pairs[1::2]
    if len(indices) > defaults.MAX_SKETCH_BUCKETS:
        return f"a sketch of more than {defaults.MAX_SKETCH_BUCKETS} buckets"
    if not indices:
        return "the sketch's bucket counts do not add up to the metric's count"
    packed = type(pairs) is array  # int64s by construction; a dict-made sketch is checked
    if packed and _good_packed(indices, counts, metric):
        return ""
    if not (packed or all(type(index) is int for index in indices)) or \
            min(indices) < -TOP or max(indices) > TOP:
        return "a sketch bucket index is not an integer in range"
    if any(map(operator.ge, indices, indices[1:])):
        return "sketch bucket indices are not strictly ascending"
    if not (packed or all(type(count) is int for count in counts)) or \
            min(counts) < 1 or max(counts) > MAX_INT:
        return "a sketch bucket count is not a positive integer"
    if sum(counts) != metric.count:
        return "the sketch's bucket counts do not add up to the metric's count"
    if indices[-1] != bucket_index(metric.maximum) or indices[0] < bucket_index(metric.minimum):
        return "the sketch's buckets do not lie between min and max"
    return ""


# ----- the worker: what a head sends -------------------------------------------------------------


def _shown(answer: Any, limit: int = 80) -> str:
    """A peer's answer for a message: its repr, cut short (it may be huge or hostile)."""
    text = repr(answer)
    return text if len(text) <= limit else text[:limit] + "..."


def _misbehaved(what: str) -> PeerMisbehaved:
    return PeerMisbehaved(f"the head sent {what}; is it a logcrunch head of this version?")


def check_job(job: Any) -> JobInfo | None:
    """A job description from the head, or None (the job is over)."""
    if job is None:
        return None
    try:
        if type(job) is not JobInfo or type(job.scan_config) is not ScanConfig:
            raise ValueError("not a job description")
        check_id(job.job_id, "job id")
        job.scan_config.validate()
        for name in ("chunk_size", "max_line_bytes"):
            if getattr(job.scan_config, name) > MAX_READ_BYTES:
                raise ValueError(f"{name} over {MAX_READ_BYTES} bytes")
        for name in ("lease_seconds", "heartbeat_seconds"):
            if check_seconds(getattr(job, name), name) <= 0:
                raise ValueError(f"{name} must be positive")
        if check_seconds(job.file_timeout, "file_timeout") < 0:
            raise ValueError("file_timeout must be >= 0")
        check_count(job.protocol, "protocol")
        check_roots(job.roots)
        check_flag(job.follow_symlinks, "follow_symlinks")
    except (ValueError, AttributeError, TypeError) as exc:
        raise _misbehaved(f"a bad job description ({exc})") from None
    return job


def check_roots(roots: Any) -> None:
    if type(roots) is not tuple:
        raise ValueError("roots must be a list")
    for root in roots:
        if type(root) is not tuple or len(root) != 2:
            raise ValueError("each root is [path, device]")
        check_path(root[0])
        check_count(root[1], "a root's device")


def check_path(path: Any) -> str:
    if type(path) is not str or not path.startswith("/") or "\x00" in path or \
            len(path) > MAX_PATH:
        raise ValueError("a path must be absolute, without NUL, at most 4096 characters")
    return path


def check_lease_answer(answer: Any) -> tuple[str, str | None, list[Task]]:
    try:
        if type(answer) is not list or len(answer) != 3:
            raise ValueError("not [state, lease, tasks]")
        state, lease_id, tasks = answer
        if state not in ("work", "wait", "done"):
            raise ValueError("unknown state")
        if lease_id is not None:
            check_id(lease_id, "lease id")
        if type(tasks) is not list or len(tasks) > MAX_TASKS_PER_LEASE or \
                (state == "work") != bool(tasks) or (state == "work") != (lease_id is not None):
            raise ValueError("tasks do not fit the state")
        for task in tasks:
            check_task(task)
    except ValueError as exc:
        raise _misbehaved(f"a bad lease ({exc})") from None
    return state, lease_id, tasks


_TASK_COUNTS = operator.attrgetter("task_id", "size", "start", "attempts", "inode", "device")


def check_task(task: Any) -> Task:
    if type(task) is not Task:
        raise ValueError("not a task")
    check_path(task.path)
    counts = _TASK_COUNTS(task)
    if set(map(type, counts)) != _JUST_INT or min(counts) < 0 or max(counts) > MAX_INT:
        raise ValueError("a task's ids, sizes and offsets must be non-negative integers")
    check_optional_count(task.end, "end")
    if task.end is not None and task.end < task.start:
        raise ValueError("a byte range that ends before it starts")
    if type(task.mtime) not in (int, float) or not math.isfinite(task.mtime):
        raise ValueError("mtime must be a finite number")
    check_flag(task.solo, "solo")
    check_flag(task.hold, "hold")
    if not is_fingerprint(task.fingerprint):
        raise ValueError("a task's fingerprint must be empty or 32 hex digits")
    return task


def check_reply(method: str, answer: Any) -> Any:
    """A head's answer to one of the worker's calls (job and lease have their own checks)."""
    if method == "job":
        return check_job(answer)
    if method == "lease":
        return check_lease_answer(answer)
    expected = {"heartbeat": lambda a: type(a) is bool,
                "complete": lambda a: is_int(a) and a >= 0,
                "leave": lambda a: a is None,
                "worker_lost": lambda a: (is_int(a) and a >= 0) or (
                    type(a) is list and len(a) == 2 and is_int(a[0]) and type(a[1]) is bool)}
    if method in expected and not expected[method](answer):
        raise _misbehaved(f"a bad answer to {method} ({_shown(answer)})")
    return answer


def check_created(answer: Any) -> tuple[str, tuple[str, ...]]:
    """The head's answer to "create the broker proxy": its id and exposed method names."""
    if type(answer) is not list or len(answer) != 2 or type(answer[0]) is not str or \
            len(answer[0]) > MAX_ID or type(answer[1]) is not list or len(answer[1]) > 32 or \
            not all(type(name) is str and name.isidentifier() and not name.startswith("_")
                    for name in answer[1]):
        raise _misbehaved("a bad answer to connect")
    return answer[0], tuple(answer[1])
