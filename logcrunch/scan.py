"""Scan one log file (or one byte range of a plain file) into a FileSummary, in bounded memory.

The file is read in ``chunk_size`` binary chunks and processed a block of whole lines at a time.
Every line gets the rules of logcrunch.formats (level), logcrunch.stamps (its own stamp, or the
hour of the stamp before it), logcrunch.templates (error and warning lines) and the metric rules;
a FileSummary holds the counts, the hourly timeline, the capped templates and the capped metrics.
A line longer than ``max_line_bytes`` is never held whole: it is counted, its level comes from its
first ``max_line_bytes`` bytes, it counts in the hour of the stamp before it, and its metrics,
stamp and template are ignored (its lines stay in "(other templates)").

When the optional C extension ``logcrunch._fastscan`` is built (``pip install`` builds it where a
compiler exists; ``LOGCRUNCH_NO_C=1`` turns it off), the token-rule formats (everything but JSON,
access and logcat) are scanned by one C pass per block: line count, levels, stamps as hour keys,
templates of error and warning lines, logfmt number sums; exponent forms and numbers of more than
18 digits are handed back to Python. Without it, or for JSON / access / logcat files, Python
applies the same rules line by line. tests/test_scan.py runs every test on both paths, against the
per-line reference in tests/reference_scan.py; tests/test_fastscan_rules.py compares the C rules
with the Python ones line by line.

Samples and names (summary.py): every sample, whichever path found it (C aggregates, logfmt
texts, JSON fields, access-log bytes, --metric matches), goes through the kept-range rule of
summary.kept_number (the C path only aggregates plain numbers of up to 18 digits, which the rule
always keeps), the name rule (MetricNames: identifiers, --metric-include/--metric-exclude) and
then the per-file cap on metric names (summary.MetricCap). Samples held before being folded in
are bounded too: a name the cap already refuses is counted at once, and at most
defaults.PENDING_METRIC_NAMES names wait for a fold.

The file is opened once, by the ``opener`` (readers.open_raw by default); its size at open
(fstat) bounds what is read, and a file that is smaller after the read than at open, or ended
before that size, fails as shrunk: a truncated or rotated file is never ``ok`` with partial counts.
Its mtime at open (fstat) decides the year of yearless stamps (stamps.Clock).

The caller validates the ScanConfig once (``config.validate()``); scan_file assumes it is valid.

Line model (shared with ``tests/reference_scan.py``): lines end at ``\\n``; a line's content is
the line without its ``\\n`` and without one ``\\r`` just before it (also at end of file); a last
line without ``\\n`` counts; an empty file has no lines.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import BinaryIO

from logcrunch import defaults, stdlib_internals
from logcrunch.deltas import fingerprint
from logcrunch.formats import (
    ACCESS,
    ACCESS_LINE_RE,
    ERROR,
    JSON,
    LOGCAT,
    LOGCAT_LINE_RE,
    NEUTRAL,
    NONE,
    WARN,
    access_level,
    json_level,
    json_number_fields,
    line_level,
    logcat_level,
    parse_json_object,
    sniff_format,
    token_level,
)
from logcrunch.patterns import LazyPattern
from logcrunch.readers import (
    MAGIC_BYTES,
    BoundedReader,
    ReadAhead,
    ReadError,
    decompressing,
    decompression_errors,
    describe_os_error,
    describe_read_error,
    detect_compression,
    file_type_problem,
    open_raw,
)
from logcrunch.sketch import Sketch
from logcrunch.stamps import Clock, Stamp, check_zone, parse_stamp, parse_stamp_and_end
from logcrunch.summary import (
    STATUS_OK,
    FileSummary,
    Metric,
    MetricCap,
    Number,
    TemplateCap,
    Timeline,
    kept_number,
    normalize,
)
from logcrunch.templates import example_text, line_template, template_text

__all__ = ["ScanConfig", "scan_file", "is_splittable", "detect_compression", "native_scanner"]


def _load_native():
    """The C fast path (logcrunch/_fastscan.c), or None when it was not built or
    LOGCRUNCH_NO_C is set to a non-empty value other than "0"."""
    if os.environ.get("LOGCRUNCH_NO_C", "") not in ("", "0"):
        return None
    try:
        from logcrunch import _fastscan
    except ImportError:
        return None
    return _fastscan


_native = _load_native()


def native_scanner():
    """The loaded C module (tests and benchmarks report which path ran), or None."""
    return _native

BINARY_REASON = "binary file (NUL byte in first 64 KiB)"
NUMBER_PATTERN = rb"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
# A logfmt pair whose value is a number ending at whitespace, run over b"\n" + a block of whole
# lines: the leading whitespace is matched rather than looked behind at, which is much faster.
LOGFMT_NUMBER_PAIR_RE = LazyPattern(
    rb"\s([A-Za-z_][\w.\-]*)=(" + NUMBER_PATTERN + rb")[,;]?(?=\s)"
)
_METRIC_NAME_RE = LazyPattern(r"[A-Za-z_][\w.\-]*")


@dataclass(frozen=True)
class ScanConfig:
    """What to look for in each line; build it once, validate it, share it with every worker.

    error_patterns / warn_patterns: regexes (compiled as bytes) searched anywhere in a line's
    content; a match makes the line an error (resp. warning) line whatever its level, and error
    wins. metric_patterns: (name, regex with exactly one capture group); every match on a line
    whose group is a number is one sample of that metric. default_levels=False leaves level
    classification to the user patterns alone. max_metrics: distinct metric names kept per file
    (summary.MetricCap). max_expansion: a compressed file that decompresses to more than this
    many times its size (beyond the first defaults.EXPANSION_FLOOR_BYTES) fails as a bomb.
    timezone: the IANA zone naive stamps are read in (the head's choice reaches every worker).
    metric_include / metric_exclude: globs of keys that are / are not metrics (MetricNames).
    max_templates: distinct (level, template) kept per file (summary.TemplateCap).
    """

    error_patterns: tuple[str, ...] = ()
    warn_patterns: tuple[str, ...] = ()
    metric_patterns: tuple[tuple[str, str], ...] = ()
    default_levels: bool = True
    chunk_size: int = defaults.CHUNK_SIZE
    max_line_bytes: int = defaults.MAX_LINE_BYTES
    max_metrics: int = defaults.MAX_METRICS
    max_expansion: int = defaults.MAX_EXPANSION
    timezone: str = "UTC"
    metric_include: tuple[str, ...] = ()
    metric_exclude: tuple[str, ...] = ()
    max_templates: int = defaults.MAX_TEMPLATES

    def validate(self) -> None:
        """Raise ValueError naming the first bad setting and why it is bad."""
        for kind, patterns in (("error", self.error_patterns), ("warn", self.warn_patterns)):
            if isinstance(patterns, str):
                raise ValueError(f"{kind}_patterns must be a sequence of regexes, not one string")
            for pattern in patterns:
                _compile_user_regex(pattern, f"{kind} pattern")
        for entry in self.metric_patterns:
            if not (isinstance(entry, tuple | list) and len(entry) == 2):
                raise ValueError(f"metric pattern {entry!r}: expected a (name, regex) pair")
            name, pattern = entry
            if not isinstance(name, str) or not _METRIC_NAME_RE.fullmatch(name):
                raise ValueError(
                    f"metric name {name!r}: use letters, digits, '_', '.', '-', "
                    "starting with a letter or '_'"
                )
            if len(name) > defaults.MAX_METRIC_NAME_CHARS:
                raise ValueError(f"metric name {name[:40]!r}...: longer than "
                                 f"{defaults.MAX_METRIC_NAME_CHARS} characters")
            compiled = _compile_user_regex(pattern, f"metric pattern {name!r}")
            if compiled.groups != 1:
                raise ValueError(
                    f"metric pattern {name!r} ({pattern!r}) must have exactly one capture group, "
                    f"it has {compiled.groups}"
                )
        problem = check_zone(self.timezone)
        if problem:
            raise ValueError(problem)
        for kind, globs in (("include", self.metric_include), ("exclude", self.metric_exclude)):
            if isinstance(globs, str):
                raise ValueError(f"metric_{kind} must be a sequence of globs, not one string")
            for glob in globs:
                if not isinstance(glob, str) or not glob or len(glob) > 200:
                    raise ValueError(f"--metric-{kind} {glob!r}: give a non-empty glob like "
                                     "'latency_*' of at most 200 characters")
        for field_name in ("chunk_size", "max_line_bytes", "max_metrics", "max_expansion",
                           "max_templates"):
            value = getattr(self, field_name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{field_name} must be a positive integer, got {value!r}")


def _compile_user_regex(pattern: str, what: str) -> re.Pattern[bytes]:
    if not isinstance(pattern, str):
        raise ValueError(f"{what} {pattern!r}: expected a string")
    if pattern == "":
        raise ValueError(f"{what}: the empty pattern would match every line")
    try:
        return re.compile(pattern.encode("utf-8"))
    except re.error as exc:
        raise ValueError(f"{what} {pattern!r} is not a valid regex: {exc}") from None


Opener = Callable[[str], BinaryIO]  # path -> the opened file (see scan_file)


def is_splittable(path: str, opener: Opener | None = None) -> bool:
    """True for a regular file that is not compressed (by magic bytes), so byte ranges work."""
    try:
        raw = (opener or open_raw)(path)
    except (OSError, ReadError):
        return False
    try:
        if file_type_problem(os.fstat(raw.fileno()).st_mode):
            return False
        return detect_compression(_read_full(raw, MAGIC_BYTES)) is None
    except OSError:
        return False
    finally:
        raw.close()


def scan_file(
    path: str,
    config: ScanConfig,
    start: int = 0,
    end: int | None = None,
    opener: Opener | None = None,
    hold: bool = False,
    track: bool = False,
    counter: ReadCounter | None = None,
    expect: str = "",
) -> FileSummary:
    """Summarise the lines of ``path`` that start in the byte range [start, end).

    Never raises for problems with the file itself: those give ``FileSummary.failed`` (a one-line
    reason, nothing partial) or ``FileSummary.skipped`` (binary). Ranges are for plain files only;
    the format is always sniffed from the head of the file so every range agrees. Fills every
    field except worker / seconds / attempts.

    The file is opened exactly once, by ``opener(path)`` (default readers.open_raw), which returns
    a binary file object with ``read``, ``seek``, ``fileno`` and ``close``; everything else (type,
    size, mtime, magic bytes, decompression, the range's seek) goes through that object, and
    scan_file closes it. An opener raising ReadError or OSError fails the file with that reason.

    ``expect``: the fingerprint the bytes before ``start`` must have (an appended read); a file
    whose earlier bytes changed since the head planned the read fails, to be read whole next run.
    ``track`` (plain files): fill ``read_to`` (where the next reading must start so that every
    line is counted once) and ``fingerprint`` for the next incremental run (deltas.py);
    ``hold``: leave a last line without "\n" uncounted, ``read_to`` stopping before it (the
    range it starts in holds it, whichever range that is).

    ``counter`` (optional) follows the bytes read of the file while the scan runs (see
    ReadCounter); another thread may read it at any time.
    """
    raw = _open(path, opener)
    if isinstance(raw, FileSummary):
        return raw
    try:
        return _scan_opened(path, raw, config, start, end, hold=hold, track=track,
                            counter=counter, expect=expect)
    finally:
        if counter is not None:
            counter.stop()
        _close(raw)


class ReadCounter:
    """How far the current scan has read its task, for progress reports from another thread.

    The scanner points it at its BoundedReader (which counts every byte taken from the file, the
    compressed bytes of a compressed file) once the task's range begins: reading it costs the
    scan nothing per block or line. `bytes_read()` is the bytes consumed past the range's start,
    at least 0 (a range's reader starts one byte early, and may read past its end to finish the
    last line: whoever reports it clamps to the task's size).
    """

    def __init__(self) -> None:
        self._tracked: tuple[BoundedReader, int] | None = None  # one attribute: set atomically

    def follow(self, source: BoundedReader, start: int) -> None:
        self._tracked = (source, start)

    def stop(self) -> None:
        self._tracked = None

    def bytes_read(self) -> int:
        tracked = self._tracked
        if tracked is None:
            return 0
        source, start = tracked
        return max(0, source.position - start)


def _open(path: str, opener: Opener | None):
    """The opened file, or the FileSummary of its failure to open."""
    try:
        return (opener or open_raw)(path)
    except ReadError as exc:
        return FileSummary.failed(path, str(exc))
    except OSError as exc:
        return FileSummary.failed(path, describe_os_error(exc))


def _close(raw) -> None:
    try:
        raw.close()
    except OSError:
        pass


def _scan_opened(path, raw, config: ScanConfig, start: int, end: int | None,
                 make_scanner=None, hold: bool = False, track: bool = False,
                 counter: ReadCounter | None = None, expect: str = "") -> FileSummary:
    try:
        info = os.fstat(raw.fileno())
    except OSError as exc:
        return FileSummary.failed(path, describe_os_error(exc))
    problem = file_type_problem(info.st_mode)
    if problem:
        return FileSummary.failed(path, problem)
    size = info.st_size
    if start < 0 or (end is not None and end < start):
        return FileSummary.failed(path, f"bad byte range [{start}, {end})", size_bytes=size)
    if end is not None and end > size:  # the head cut the ranges when the file was larger
        return FileSummary.failed(path, _shrunk(f"from at least {end}", size), size_bytes=size)
    if start > size:  # (an appended read: the file was truncated while the task waited)
        return FileSummary.failed(path, _shrunk(f"from at least {start}", size), size_bytes=size)
    if expect and fingerprint(raw.fileno(), start) != expect:
        return FileSummary.failed(path, REWRITTEN_REASON, size_bytes=size)
    clock = Clock(config.timezone, info.st_mtime)
    source = BoundedReader(raw, size)
    compression = None
    stream = None
    try:
        compression = detect_compression(_read_full(source, MAGIC_BYTES))
        source.seek(0)
        if compression is not None and (start != 0 or end is not None):
            return FileSummary.failed(
                path, f"{compression}-compressed files cannot be scanned by byte range",
                size_bytes=size,
            )
        stream = source
        if compression is not None:
            limit = max(defaults.EXPANSION_FLOOR_BYTES, config.max_expansion * size)
            stream = decompressing(source, compression, limit, config.max_expansion)
            if size >= defaults.READ_AHEAD_MIN_BYTES:  # (a thread costs more on small files)
                if counter is not None:  # the thread reads from now on (the whole file is the
                    counter.follow(source, 0)  # range): progress counts it from the start
                try:
                    stream = ReadAhead(stream, config.chunk_size)
                except RuntimeError:  # no thread to be had (a limit on threads): read without
                    pass
        ends: list[int] = []
        summary = _scan_stream(path, stream, size, clock, config, start, end, make_scanner,
                               lambda: counter.follow(source, start) if counter else None,
                               hold and compression is None, ends)
        if summary.status == STATUS_OK:
            problem = _shrink_problem(raw, source)
            if problem:
                return FileSummary.failed(path, problem, size_bytes=size)
            summary.read_from = start
            if track and compression is None and ends:
                summary.read_to = ends[0]
                summary.fingerprint = fingerprint(raw.fileno(), ends[0])
        return summary
    except ReadError as exc:
        return FileSummary.failed(path, str(exc), size_bytes=size)
    except decompression_errors() as exc:
        return FileSummary.failed(path, describe_read_error(exc, compression), size_bytes=size)
    finally:
        if stream is not None and stream is not source:
            stream.close()


LEVEL_NAMES = {ERROR: "error", WARN: "warn", NEUTRAL: "other", NONE: ""}


@dataclass(frozen=True)
class ExplainedLine:
    """One line as the scanner reads it: 1-based number, level name ("error", "warn", "other",
    "" for none), its own stamp in UTC ("" when it has none), its template (error/warn lines)."""

    line: int
    level: str
    ts: str
    template: str


class _ExplainDone(Exception):
    """Raised past the last line asked for."""


class _Scanner:
    """What scanners share: a block of whole lines (each ending in b"\\n") is cut into runs of
    lines (``scan_lines``) and over-long lines' prefixes (``scan_long_line``)."""

    config: ScanConfig

    def scan_block(self, block: bytes) -> None:
        for kind, part in _split_long_lines(block, self.config.max_line_bytes):
            if kind == "long":
                self.scan_long_line(part)
            else:
                self.scan_lines(part)

    def scan_lines(self, block: bytes | memoryview) -> None:
        raise NotImplementedError

    def scan_long_line(self, prefix: bytes) -> None:
        raise NotImplementedError


class _Explainer(_Scanner):
    """A scanner (the BlockScanner interface) that reports every line instead of counting."""

    def __init__(self, config: ScanConfig, file_format: str, clock: Clock, emit, first: int,
                 last: int | None):
        self.config = config
        self.format = file_format
        self.clock = clock
        self.emit = emit
        self.first = first
        self.last = last
        self.number = 0
        self.error_patterns = [re.compile(p.encode("utf-8")) for p in config.error_patterns]
        self.warn_patterns = [re.compile(p.encode("utf-8")) for p in config.warn_patterns]

    def scan_lines(self, block: bytes | memoryview) -> None:
        for _offset, content in _lines_of(bytes(block)):
            self._line(content, False)

    def scan_long_line(self, prefix: bytes) -> None:
        self._line(prefix, True)

    def _line(self, content: bytes, long: bool) -> None:
        self.number += 1
        if self.number < self.first:
            return
        if self.last is not None and self.number > self.last:
            raise _ExplainDone
        if any(p.search(content) for p in self.error_patterns):
            level = ERROR
        elif any(p.search(content) for p in self.warn_patterns):
            level = WARN
        elif self.config.default_levels:
            level = line_level(content, self.format)
        else:
            level = NONE
        stamp = "" if long else self.clock.render(parse_stamp(content))
        template = ""
        if level in (ERROR, WARN) and not long:
            template = template_text(line_template(content, self.format))
        self.emit(ExplainedLine(self.number, LEVEL_NAMES[level], stamp, template))

    def summary(self, path: str, size: int) -> FileSummary:
        return FileSummary(path=path, format=self.format, size_bytes=size, lines=self.number)


def explain_file(path: str, config: ScanConfig, emit: Callable[[ExplainedLine], None],
                 first: int = 1, last: int | None = None,
                 opener: Opener | None = None) -> FileSummary:
    """Hand ``emit`` each line from ``first`` to ``last`` (1-based, inclusive) as the scanner
    classifies it: the same reading, line model, format sniffing and per-line rules as
    scan_file (the C scanner agrees with them line by line: tests/test_fastscan_rules.py).

    Returns the file's status like scan_file (failed/skipped with a reason; ``lines``: lines
    read); an early stop after ``last`` is ok.
    """
    def make(config_, file_format, clock):
        return _Explainer(config_, file_format, clock, emit, first, last)

    raw = _open(path, opener)
    if isinstance(raw, FileSummary):
        return raw
    try:
        return _scan_opened(path, raw, config, 0, None, make)
    except _ExplainDone:
        return FileSummary(path=path, lines=last or 0)
    finally:
        _close(raw)


def _shrink_problem(raw, source: BoundedReader) -> str:
    """Why a completed read cannot be trusted ("" when it can): the file is now smaller than at
    open, or it ended before its size at open."""
    now = os.fstat(raw.fileno()).st_size
    if now < source.size:
        return _shrunk(f"from {source.size}", now)
    if source.ended_early:
        return _shrunk(f"from {source.size}", source.position)
    return ""


REWRITTEN_REASON = ("its earlier bytes changed after the walk (rewritten while queued); the next "
                    "incremental run reads it whole")


def _shrunk(before: str, after: int) -> str:
    return f"shrank {before} to {after} bytes while being read (truncated or rotated?)"


def _read_full(stream, size: int) -> bytes:
    """Read ``size`` bytes unless the stream ends first (some decompressors return short reads)."""
    parts = []
    remaining = size
    while remaining > 0:
        data = stream.read(remaining)
        if not data:
            break
        parts.append(data)
        remaining -= len(data)
    return b"".join(parts)


def _scan_stream(path, stream, size, clock, config, start, end, make_scanner,
                 on_range_start=None, hold=False, ends=None) -> FileSummary:
    head = _read_full(stream, defaults.BINARY_SNIFF_BYTES)
    if b"\x00" in head:
        return FileSummary.skipped(path, BINARY_REASON, size_bytes=size)
    file_format = sniff_format(head)
    scanner = (make_scanner or BlockScanner)(config, file_format, clock)
    first = b"" if start > 0 else head
    if start > 0:
        stream.seek(start - 1)
    position = max(0, start - 1)
    # One reused buffer, no copies but a partial last line's: a plain file, or a decompressing
    # stream (which copies what it inflated into the buffer once, instead of cutting blocks of
    # bytes objects). An opener's stream without readinto takes the bytes cutter.
    buffered = hasattr(stream, "readinto")
    if buffered:
        blocks = _buffered_line_blocks(stream, first, config.chunk_size, config.max_line_bytes,
                                       position, start > 0, end, hold, ends)
    else:
        blocks = _line_blocks(_chunks(stream, config.chunk_size, first), config.max_line_bytes,
                              position, start > 0, end, hold, ends)
    if on_range_start is not None:
        on_range_start()
    scan_lines = scanner.scan_lines if buffered else scanner.scan_block
    for kind, data in blocks:
        if kind == "lines":
            scan_lines(data)
        else:
            scanner.scan_long_line(data)
    return scanner.summary(path, size)


def _chunks(stream, chunk_size: int, first: bytes) -> Iterator[bytes]:
    if first:
        yield first
    while True:
        data = stream.read(chunk_size)
        if not data:
            return
        yield data


def _line_blocks(
    chunks: Iterator[bytes], max_line: int, position: int, skip_first: bool, limit: int | None,
    hold: bool = False, ends: list[int] | None = None,
) -> Iterator[tuple[str, bytes]]:
    """Cut a byte stream into ("lines", block of whole lines ending in b"\\n") and
    ("long", first ``max_line`` bytes of an over-long line) items.

    ``position`` is the absolute offset of the first byte; ``skip_first`` drops everything up to
    and including the first newline; only lines starting before ``limit`` are produced; ``hold``
    leaves out a last line without "\\n". Once the stream is cut, ``ends`` (if given) gets the
    offset where the next reading must start so that every line is counted once: just past the
    last line produced, or at a held line's start, or past the bytes of an over-long line read
    so far (a reading starting there skips the rest of that line).
    """
    ends = [] if ends is None else ends
    carry = b""
    carry_position = position  # absolute offset of carry[0], or of the next byte when discarding
    discarding = skip_first
    if limit is not None and position + (1 if skip_first else 0) >= limit:
        ends.append(position + (1 if skip_first else 0))
        return
    for data in chunks:
        if discarding:
            newline = data.find(b"\n")
            if newline < 0:
                carry_position += len(data)
                continue
            data = data[newline + 1 :]
            carry_position += newline + 1
            discarding = False
            if limit is not None and carry_position >= limit:
                ends.append(carry_position)
                return
            if not data:
                continue
        buffer = carry + data if carry else data
        last_newline = buffer.rfind(b"\n")
        if limit is not None and carry_position + last_newline + 1 >= limit:
            cut = buffer.find(b"\n", limit - carry_position - 1) + 1
            ends.append(carry_position + cut)
            yield "lines", buffer[:cut]
            return
        if last_newline >= 0:
            yield "lines", buffer[: last_newline + 1]
            carry = buffer[last_newline + 1 :]
            carry_position += last_newline + 1
        else:
            carry = buffer
        if len(carry) > max_line + 1:  # content is longer than max_line even if "\r\n" follows
            yield "long", carry[:max_line]
            carry_position += len(carry)
            carry = b""
            discarding = True
    if carry and not discarding and not hold:
        ends.append(carry_position + len(carry))
        yield "lines", carry + b"\n"
    else:
        ends.append(carry_position)


def _buffered_line_blocks(
    stream, first: bytes, chunk_size: int, max_line: int, position: int,
    skip_first: bool, limit: int | None, hold: bool = False, ends: list[int] | None = None,
) -> Iterator[tuple[str, bytes | memoryview]]:
    """`_line_blocks` over a stream with readinto (a plain file's BoundedReader, a
    decompressing stream), reading into one reused buffer.

    The same items at the same offsets (tests/test_scan.py compares the two on generated data),
    but a "lines" block is a memoryview of the buffer, valid only until the next item is asked
    for: no bytes are copied but a partial last line's, moved to the buffer's start. The buffer
    holds at most a carried line (``max_line`` + 1 bytes) and one chunk, and for a plain file
    never more than what is left of it, so small files cost small buffers.
    """
    ends = [] if ends is None else ends
    capacity = max_line + 2 + max(chunk_size, len(first))
    if isinstance(stream, BoundedReader):
        capacity = min(capacity, stream.size - stream.position + len(first) + 1)
    buffer = bytearray(capacity)
    view = memoryview(buffer)
    find, rfind = buffer.find, buffer.rfind

    def piece(a: int, b: int) -> memoryview:
        return view[a:b]

    fill = 0  # buffer[:fill] is the carried partial line
    carry_position = position  # absolute offset of buffer[0], or of the next byte when discarding
    discarding = skip_first
    if limit is not None and position + (1 if skip_first else 0) >= limit:
        ends.append(position + (1 if skip_first else 0))
        return
    if first:
        buffer[: len(first)] = first
        got = len(first)
    else:
        got = stream.readinto(view[fill: fill + min(chunk_size, capacity - fill)])
    while got:
        base, top = fill, fill + got
        if discarding:  # (fill is 0)
            newline = find(b"\n", base, top)
            if newline < 0:
                carry_position += got
                got = stream.readinto(view[: min(chunk_size, capacity)])
                continue
            carry_position += newline + 1
            base = newline + 1
            discarding = False
            if limit is not None and carry_position >= limit:
                ends.append(carry_position)
                return
            if base == top:
                got = stream.readinto(view[: min(chunk_size, capacity)])
                continue
            base_position = carry_position
            start = base
        else:
            base_position = carry_position
            start = 0
        # The lines region is buffer[start:top]; buffer[start] is at offset base_position.
        last_newline = rfind(b"\n", start, top)
        if limit is not None and last_newline >= 0 and \
                base_position + last_newline - start + 1 >= limit:
            cut = find(b"\n", start + limit - base_position - 1, top) + 1
            ends.append(base_position + cut - start)
            yield from _split_long_lines(buffer, max_line, start, cut, piece)
            return
        if last_newline >= 0:
            yield from _split_long_lines(buffer, max_line, start, last_newline + 1, piece)
            carry_position = base_position + last_newline + 1 - start
            fill = _move_to_front(buffer, view, last_newline + 1, top)
        else:
            carry_position = base_position
            fill = _move_to_front(buffer, view, start, top)
        if fill > max_line + 1:  # content is longer than max_line even if "\r\n" follows
            yield "long", bytes(view[:max_line])
            carry_position += fill
            fill = 0
            discarding = True
        room = capacity - fill
        got = stream.readinto(view[fill: fill + min(chunk_size, room)]) if room else 0
        if not room:  # (cannot happen: capacity holds a cut line and a chunk)
            raise AssertionError("line buffer full")
    if fill and not discarding and not hold:
        ends.append(carry_position + fill)
        yield from _split_long_lines(bytes(view[:fill]) + b"\n", max_line)
    else:
        ends.append(carry_position)


def _move_to_front(buffer: bytearray, view: memoryview, start: int, stop: int) -> int:
    """Move buffer[start:stop] to the buffer's start (a carried partial line); its length."""
    if start:
        length = stop - start
        # (bytearray slice assignment copies with memcpy: overlapping ranges go through bytes)
        buffer[:length] = view[start:stop] if length <= start else bytes(view[start:stop])
    return stop - start


def _split_long_lines(block, max_line: int, start: int = 0, stop: int | None = None,
                      piece=None) -> Iterator[tuple[str, bytes]]:
    """Split a block of whole lines into runs of normal lines and over-long lines' prefixes.

    ``block[start:stop]`` is the block (bytes, or a bytearray whose ``piece(a, b)`` gives the
    runs as views of it); a "long" prefix is always bytes.
    """
    stop = len(block) if stop is None else stop
    piece = piece or (lambda a, b: block[a:b])
    if stop - start <= max_line + 1:
        yield "lines", piece(start, stop)
        return
    run_start = start
    line_start = start
    while line_start < stop:
        window_end = (
            line_start + max_line + 1
        )  # a newline at index <= window_end - 1 ends a short line
        last = block.rfind(b"\n", line_start, min(window_end, stop))
        if last >= 0:
            line_start = last + 1
            continue
        newline = block.find(b"\n", line_start, stop)
        content_length = newline - line_start
        if newline > line_start and block[newline - 1] == 13:  # "\r"
            content_length -= 1
        if content_length <= max_line:
            line_start = newline + 1
            continue
        if run_start < line_start:
            yield "lines", piece(run_start, line_start)
        yield "long", bytes(piece(line_start, line_start + max_line))
        line_start = run_start = newline + 1
    if run_start < stop:
        yield "lines", piece(run_start, stop)


def _lines_of(block: bytes) -> Iterator[tuple[int, bytes]]:
    """(offset, content) of every line of a block of whole lines."""
    offset = 0
    for line in block.split(b"\n")[:-1]:
        yield offset, line[:-1] if line.endswith(b"\r") else line
        offset += len(line) + 1


def _line_at(block: bytes, position: int) -> tuple[int, int, bytes]:
    """(start, end, content) of the line holding byte ``position``; end is past its "\\n"."""
    line_start = block.rfind(b"\n", 0, position) + 1
    newline = block.find(b"\n", position)
    content = block[line_start:newline]
    if content.endswith(b"\r"):
        content = content[:-1]
    return line_start, newline + 1, content


def _is_context_free(pattern: re.Pattern[bytes]) -> bool:
    """True when a match of ``pattern`` depends only on the matched bytes themselves.

    Such a pattern matches inside a line iff it matches at that spot of the whole block, which
    lets us search whole blocks and verify only the candidate lines. Anchors, lookarounds, word
    boundaries and atomic/possessive constructs are context-dependent.
    """
    try:
        operations = set(stdlib_internals.regex_opcode_names(pattern))
    except Exception:
        return False
    banned = {"AT", "ASSERT", "ASSERT_NOT", "ATOMIC_GROUP", "POSSESSIVE_REPEAT", "GROUPREF_EXISTS"}
    return operations.isdisjoint(banned)


class _UserPattern:
    def __init__(self, pattern: str):
        self.regex = re.compile(pattern.encode("utf-8"))
        self.context_free = _is_context_free(self.regex)

    def matching_lines(self, block: bytes) -> Iterator[tuple[int, int, bytes]]:
        """(start, end, content) of each line of ``block`` whose content the pattern matches."""
        if not self.context_free:
            for offset, content in _lines_of(block):
                if self.regex.search(content):
                    yield offset, offset + len(content), content
            return
        position = 0
        search = self.regex.search
        while True:
            match = search(block, position)
            if match is None:
                return
            line_start, line_end, content = _line_at(block, match.start())
            if match.end() <= line_start + len(content) or search(content):
                yield line_start, line_end, content
            position = line_end
            if position >= len(block):
                return


class MetricNames:
    """Which keys are metric names: the --metric-include / --metric-exclude rule.

    A key matching a --metric-exclude glob is never a metric. Otherwise, with --metric-include
    globs, a key is a metric exactly when it matches one of them (which also re-admits an
    identifier key); without, when it matches none of defaults.IDENTIFIER_METRICS. --metric
    NAME=REGEX names are always metrics. Decisions are cached (bounded), and one instance per
    rule is shared by every file a process scans (`of`): a file of 30 lines asked ~90 globs
    anew, 17% of its scan.
    """

    _shared: dict[tuple[tuple[str, ...], tuple[str, ...]], MetricNames] = {}

    def __init__(self, include: tuple[str, ...], exclude: tuple[str, ...]) -> None:
        self.include = tuple(include)
        self.exclude = tuple(exclude)
        self._cache: dict[str, bool] = {}
        self._matchers: tuple[Callable[[str], bool], ...] | None = None  # (at the first decision)

    @classmethod
    def of(cls, include: tuple[str, ...], exclude: tuple[str, ...]) -> MetricNames:
        """The process's instance for this rule (decisions depend on nothing else)."""
        rule = (tuple(include), tuple(exclude))
        names = cls._shared.get(rule)
        if names is None:
            if len(cls._shared) >= 16:  # (a process scans for one job's rule, or a few)
                cls._shared.clear()
            names = cls._shared[rule] = cls(*rule)
        return names

    def admits(self, name: str) -> bool:
        decision = self._cache.get(name)
        if decision is None:
            decision = self._decide(name)
            if len(self._cache) > 100_000:
                self._cache.clear()
            self._cache[name] = decision
        return decision

    def admits_bytes(self, key: bytes) -> bool:
        return self.admits(key.decode("utf-8", "surrogateescape"))

    def _decide(self, name: str) -> bool:
        if self._matchers is None:
            self._matchers = (any_glob(self.exclude), any_glob(self.include),
                              any_glob(defaults.IDENTIFIER_METRICS))
        excluded, included, identifier = self._matchers
        if excluded(name):
            return False
        if self.include:
            return included(name)
        return not identifier(name)


def any_glob(globs: tuple[str, ...]) -> Callable[[str], bool]:
    """Whether a name matches one of ``globs`` (`fnmatch.fnmatchcase`), as one compiled pattern:
    the 30 default identifier globs compiled one by one were a third of a worker's first file
    (~5 ms). Each translated glob ends in ``\\Z``, so a match of the alternation is a whole match
    of one of them."""
    if not globs:
        return lambda name: False
    try:
        pattern = re.compile("|".join(f"(?:{fnmatch.translate(glob)})" for glob in globs))
    except re.error:  # (no translation of today's fnmatch fails to combine; one glob at a time)
        return lambda name: any(fnmatch.fnmatchcase(name, glob) for glob in globs)
    return lambda name: pattern.match(name) is not None


_NO_HOUR_KEY = -1


class BlockScanner(_Scanner):
    """Accumulates one file's (or range's) counts, hours, templates, metrics and stamps, block
    by block."""

    def __init__(self, config: ScanConfig, file_format: str, clock: Clock):
        self.config = config
        self.format = file_format
        self.clock = clock
        self.per_line_format = file_format in (JSON, ACCESS, LOGCAT)
        # The C path does everything of the token-rule formats per line; for JSON / access /
        # logcat lines it only finds the logfmt numbers, the rest is Python's, per line.
        self.native = _native
        self.native_lines = _native is not None and not self.per_line_format
        # User patterns search the block with bytes methods: it is copied to bytes first.
        self.bytes_needed = bool(config.error_patterns or config.warn_patterns or
                                 config.metric_patterns)
        self.error_patterns = [_UserPattern(p) for p in config.error_patterns]
        self.warn_patterns = [_UserPattern(p) for p in config.warn_patterns]
        self.metric_patterns = [(name, _UserPattern(p)) for name, p in config.metric_patterns]
        self.names = MetricNames.of(config.metric_include, config.metric_exclude)
        self.threshold = clock.threshold
        self.lines = self.error_lines = self.warn_lines = self.long_lines = 0
        self.level_lines = 0
        self.first_ts = ""
        self.last_stamp: Stamp | None = None  # rendered at the end
        self.timeline = Timeline()
        self.hour = ""  # the hour of the last stamped line so far ("" none)
        self.hour_key = _NO_HOUR_KEY  # the same, as the C scanner's key
        self.templates = TemplateCap(config.max_templates)
        self._template_last: dict[tuple[int, str], Stamp] = {}
        # Samples waiting to be folded into the capped metrics: kept numbers, and decimal texts
        # converted (and range-checked) in bulk. At most PENDING_METRIC_NAMES names wait.
        self.samples: dict[str, list[Number]] = {}
        self.decimal_samples: dict[str, list[bytes]] = {}
        self.capped = MetricCap(config.max_metrics)
        self.out_of_range = 0

    # -- results -------------------------------------------------------------------------------

    def summary(self, path: str, size: int) -> FileSummary:
        self._flush_samples()
        clock = self.clock
        for key, stamp in self._template_last.items():
            row = self.templates.by_key.get(key)
            if row is not None:
                row[4] = clock.render(stamp)
        self._template_last = {}
        return FileSummary(
            path=path,
            format=self.format,
            size_bytes=size,
            lines=self.lines,
            error_lines=self.error_lines,
            warn_lines=self.warn_lines,
            long_lines=self.long_lines,
            first_ts=self.first_ts,
            last_ts=clock.render(self.last_stamp),
            metrics=dict(sorted(self.capped.metrics.items())),
            samples_out_of_range=self.out_of_range,
            samples_over_metric_cap=self.capped.over_cap,
            max_metrics=self.capped.limit,
            level_lines=self.level_lines,
            timeline=dict(sorted(self.timeline.counts.items())),
            templates=self.templates.rows(),
            max_templates=self.templates.limit,
        )

    # -- metrics -------------------------------------------------------------------------------

    def _add_metric(self, name: str, metric: Metric) -> None:
        self.capped.add(name, metric)

    def _add_numbers(self, name: str, texts: list[bytes]) -> None:
        """Fold in number texts (matching NUMBER_PATTERN) of ``name``, counting those not kept."""
        if not self.capped.admits(name):  # a key explosion: count, do not convert
            out_of_range = _count_out_of_range(texts)
            self.out_of_range += out_of_range
            self.capped.over_cap += len(texts) - out_of_range
            return
        metric, out_of_range = _summarise_numbers(texts)
        self.out_of_range += out_of_range
        self.capped.add(name, metric)

    def _flush_samples(self) -> None:
        for name, values in self.samples.items():
            self._add_metric(name, Metric.of(values))
        for name, texts in self.decimal_samples.items():
            self._add_numbers(name, texts)
        self.samples = {}
        self.decimal_samples = {}

    def _hold(self, pending: dict[str, list], name: str, value) -> None:
        """Hold one sample (a kept number, or a number text) until the next fold.

        A name the cap already refuses is not held: its sample is counted at once (as out of
        range if a text turns out to be, as MetricCap would). A new name past the limit of
        waiting names folds everything in, which bounds what waits whatever the block holds.
        """
        values = pending.get(name)
        if values is not None:
            values.append(value)
            return
        if not self.capped.admits(name):
            if isinstance(value, bytes) and kept_number(value) is None:
                self.out_of_range += 1
            else:
                self.capped.over_cap += 1
            return
        pending[name] = [value]
        if len(self.samples) + len(self.decimal_samples) > defaults.PENDING_METRIC_NAMES:
            self._flush_samples()

    # -- lines ---------------------------------------------------------------------------------

    def scan_long_line(self, prefix: bytes) -> None:
        """Count an over-long line from its first max_line_bytes bytes: its level, in the hour
        of the stamp before it; no metrics, no stamp, no template (its lines stay in
        "(other templates)")."""
        self.lines += 1
        self.long_lines += 1
        level = self._user_level(prefix)
        if level is not None:
            self.level_lines += 1
        else:
            level = line_level(prefix, self.format) if self.config.default_levels else NONE
            self.level_lines += level != NONE
        self._count_level(level)
        self.timeline.add(self.hour, 1, level == ERROR, level == WARN)

    def scan_lines(self, block: bytes | memoryview) -> None:
        """Scan a block of whole lines none of which is longer than max_line_bytes; a
        memoryview is read during the call only."""
        if self.bytes_needed or not self.native_lines:
            block = bytes(block)
        if self.native_lines:
            self._scan_native(block)
        else:
            self._scan_python(block)
        pending = sum(map(len, self.samples.values())) + sum(
            map(len, self.decimal_samples.values())
        )
        if pending > 100_000:
            self._flush_samples()

    def _user_level(self, content: bytes) -> int | None:
        if any(p.regex.search(content) for p in self.error_patterns):
            return ERROR
        if any(p.regex.search(content) for p in self.warn_patterns):
            return WARN
        return None

    def _count_level(self, level: int) -> None:
        if level == ERROR:
            self.error_lines += 1
        elif level == WARN:
            self.warn_lines += 1

    def _overrides(self, block: bytes) -> dict[int, int]:
        """{line start: level} of the block's lines matching the user's level patterns."""
        overridden: dict[int, int] = {}
        for patterns, level in ((self.warn_patterns, WARN), (self.error_patterns, ERROR)):
            for pattern in patterns:
                for line_start, _end, _content in pattern.matching_lines(block):
                    overridden[line_start] = level
        return overridden

    def _scan_native(self, block: bytes) -> None:
        """One C pass: counts, levels, hours, templates and logfmt numbers of the block."""
        overrides = self._overrides(block) if self.error_patterns or self.warn_patterns else None
        (lines, errors, warns, levelled, scaled, others, refused, hours, last_key,
         first_stamped, last_stamped, template_counts) = self.native.scan_block(
            block, self.config.default_levels, _ceiling_bytes(self.capped),
            defaults.MAX_METRIC_NAME_CHARS, self.threshold, self.hour_key,
            sorted(overrides.items()) if overrides else None, self.names.admits_bytes,
            True,
        )
        self.lines += lines
        self.error_lines += errors
        self.warn_lines += warns
        self.level_lines += levelled
        self.capped.over_cap += refused
        self._add_native_metrics(scaled, others)
        # The C pass counts per stamp minute (a zone's offset need not be whole hours): summed
        # per UTC hour here first, so the timeline takes one addition per hour of the block.
        hour_of_key, by_hour = self.clock.hour_of_key, {}
        for key, (hour_lines, hour_errors, hour_warns) in hours.items():
            hour = hour_of_key(key)
            row = by_hour.get(hour)
            if row is None:
                by_hour[hour] = [hour_lines, hour_errors, hour_warns]
            else:
                row[0] += hour_lines
                row[1] += hour_errors
                row[2] += hour_warns
        add_hour = self.timeline.add
        for hour, (hour_lines, hour_errors, hour_warns) in by_hour.items():
            add_hour(hour, hour_lines, hour_errors, hour_warns)
        self.hour_key = last_key
        self.hour = self.clock.hour_of_key(last_key)
        if first_stamped >= 0:
            if not self.first_ts:
                self.first_ts = self.clock.render(parse_stamp(_content_at(block, first_stamped)))
            self.last_stamp = parse_stamp(_content_at(block, last_stamped))
        for (level, raw), (count, first_at, first_stamped_at, last_stamped_at) in \
                template_counts.items():
            key = (level, template_text(raw))
            if not self.templates.admits(key):
                continue
            first_ts = ""
            if key not in self.templates.by_key:
                example = example_text(_content_at(block, first_at))
                if first_stamped_at >= 0:
                    first_ts = self.clock.render(parse_stamp(_content_at(block, first_stamped_at)))
            else:
                example = ""
                if not self.templates.by_key[key][3] and first_stamped_at >= 0:
                    first_ts = self.clock.render(parse_stamp(_content_at(block, first_stamped_at)))
            self.templates.add(level, key[1], count, first_ts, "", example)
            if last_stamped_at >= 0:
                self._template_last[key] = parse_stamp(_content_at(block, last_stamped_at))
        if len(self._template_last) > 4 * max(self.templates.limit, 1000):
            self._template_last = {k: v for k, v in self._template_last.items()
                                   if k in self.templates.by_key}
        self._scan_metric_patterns(block)

    def _scan_python(self, block: bytes) -> None:
        """Every rule line by line (no C scanner, or a JSON / access / logcat file)."""
        overrides = self._overrides(block) if self.error_patterns or self.warn_patterns else {}
        default_levels = self.config.default_levels
        clock = self.clock
        add_hour = self.timeline.add
        native_metrics = self.native is not None
        for offset, content in _lines_of(block):
            stamp, lead_end = parse_stamp_and_end(content)
            if stamp is not None:
                hour = clock.hour(stamp)
                if hour:
                    self.hour = hour
                    if not self.first_ts:
                        self.first_ts = clock.render(stamp)
                    self.last_stamp = stamp
                else:
                    stamp = None
            level = overrides.get(offset)
            if level is not None:
                self.level_lines += 1
                if self.per_line_format:
                    self._special_metrics(content)
            else:
                if default_levels:
                    level = self._builtin_level(content, lead_end)
                else:
                    level = NONE
                    if self.per_line_format:
                        self._special_metrics(content)
                self.level_lines += level != NONE
            self.lines += 1
            if level == ERROR:
                self.error_lines += 1
                add_hour(self.hour, 1, 1, 0)
                self._add_template(ERROR, content, stamp)
            elif level == WARN:
                self.warn_lines += 1
                add_hour(self.hour, 1, 0, 1)
                self._add_template(WARN, content, stamp)
            else:
                add_hour(self.hour, 1, 0, 0)
        if native_metrics:
            (_lines, _e, _w, _l, scaled, others, refused, *_rest) = self.native.scan_block(
                block, False, _ceiling_bytes(self.capped), defaults.MAX_METRIC_NAME_CHARS,
                self.threshold, _NO_HOUR_KEY, None, self.names.admits_bytes, False)
            self.capped.over_cap += refused
            self._add_native_metrics(scaled, others)
        else:
            self._scan_logfmt_metrics(block)
        self._scan_metric_patterns(block)

    def _builtin_level(self, content: bytes, lead_end: int) -> int:
        """The line's built-in level; for JSON and access lines also their own metrics."""
        file_format = self.format
        if file_format == JSON:
            obj = parse_json_object(content)
            if obj is not None:
                self._json_metrics(obj)
                return json_level(obj)
        elif file_format == ACCESS:
            match = ACCESS_LINE_RE.match(content)
            if match:
                self._access_metrics(match)
                return access_level(match.group(1))
        elif file_format == LOGCAT:
            match = LOGCAT_LINE_RE.match(content)
            if match:
                return logcat_level(match.group(1) or match.group(2))
        return token_level(content, lead_end)

    def _special_metrics(self, content: bytes) -> None:
        """JSON / access metrics of a line whose level is not looked at (--no-default-levels)."""
        if self.format == JSON:
            obj = parse_json_object(content)
            if obj is not None:
                self._json_metrics(obj)
        elif self.format == ACCESS:
            match = ACCESS_LINE_RE.match(content)
            if match:
                self._access_metrics(match)

    def _json_metrics(self, obj: dict) -> None:
        admits = self.names.admits
        for name, value in json_number_fields(obj):
            if not admits(name):
                continue
            if value is None:
                self.out_of_range += 1
            elif isinstance(value, bytes):
                self._hold(self.decimal_samples, name, value)
            else:
                self._hold(self.samples, name, value)

    def _access_metrics(self, match: re.Match[bytes]) -> None:
        size = match.group(2)
        if size != b"-" and self.names.admits("bytes"):
            self._hold(self.decimal_samples, "bytes", size)

    def _add_template(self, level: int, content: bytes, stamp: Stamp | None) -> None:
        key = (level, template_text(line_template(content, self.format)))
        templates = self.templates
        row = templates.by_key.get(key)
        if row is not None:
            row[2] += 1
            if stamp is not None:
                if not row[3]:
                    row[3] = self.clock.render(stamp)
                self._template_last[key] = stamp
            return
        if not templates.admits(key):
            return
        templates.add(level, key[1], 1, self.clock.render(stamp) if stamp else "", "",
                      example_text(content))
        if stamp is not None:
            self._template_last[key] = stamp

    def _scan_metric_patterns(self, block: bytes) -> None:
        for name, pattern in self.metric_patterns:
            for _start, _end, content in pattern.matching_lines(block):
                for match in pattern.regex.finditer(content):
                    self._add_text_sample(name, match.group(1))

    def _add_text_sample(self, name: str, text: bytes | None) -> None:
        """A --metric match: a sample if it is a number, counted if it is one not kept."""
        if text is None:
            return
        try:
            number = kept_number(text)
        except ValueError:
            return  # not a number: no sample
        if number is None:
            self.out_of_range += 1
        else:
            self._hold(self.samples, name, number)

    # -- logfmt metrics ------------------------------------------------------------------------

    def _add_native_metrics(self, scaled: dict[bytes, list[tuple]], others: list[tuple]) -> None:
        """Fold in what _fastscan.scan_block found: per (key, decimals) aggregates of values
        scaled by 10**decimals with their sketch buckets, and the (key, text) numbers it left to
        Python."""
        for key, rows in scaled.items():
            metric = Metric()
            for decimals, count, total, total_sq, minimum, maximum, buckets in rows:
                sketch = Sketch.from_blob(buckets)
                if decimals:
                    scale = 10**decimals
                    part = Metric(
                        count=count,
                        total=normalize(Fraction(total, scale)),
                        total_sq=normalize(Fraction(total_sq, scale * scale)),
                        minimum=normalize(Fraction(minimum, scale)),
                        maximum=normalize(Fraction(maximum, scale)),
                        sketch=sketch,
                    )
                else:
                    part = Metric(count, total, total_sq, minimum, maximum, sketch)
                metric = metric.merge(part)
            self._add_metric(key.decode("ascii"), metric)
        if others:
            by_key: dict[bytes, list[bytes]] = {}
            for key, text in others:
                by_key.setdefault(key, []).append(text)
            self._add_number_groups(by_key)

    def _add_number_groups(self, by_key: dict[bytes, list[bytes]]) -> None:
        """Fold in {logfmt key: number texts} (keys already admitted as names). Once the cap is
        full, the keys it refuses are split off in one pass and their samples counted in bulk
        (a key explosion costs a comparison per key, not a metric)."""
        ceiling = self.capped.ceiling()
        if ceiling is not None:
            limit = ceiling.encode("utf-8", "surrogatepass")
            longest = defaults.MAX_METRIC_NAME_CHARS
            admitted: dict[bytes, list[bytes]] = {}
            refused: list[bytes] = []
            for key, texts in by_key.items():
                if key > limit or len(key) > longest:
                    refused.extend(texts)
                else:
                    admitted[key] = texts
            out_of_range = _count_out_of_range(refused)
            self.out_of_range += out_of_range
            self.capped.over_cap += len(refused) - out_of_range
            by_key = admitted
        for key, texts in by_key.items():
            self._add_numbers(key.decode("ascii"), texts)

    def _scan_logfmt_metrics(self, block: bytes) -> None:
        """The pure-Python logfmt numbers: one whole-block regex."""
        if b"=" not in block:
            return
        by_key: dict[bytes, list[bytes]] = {}
        admits = self.names.admits_bytes
        for key, value in LOGFMT_NUMBER_PAIR_RE.findall(b"\n" + block):
            values = by_key.get(key)
            if values is None:
                if not admits(key):
                    continue
                values = by_key[key] = []
            values.append(value)
        self._add_number_groups(by_key)


def _ceiling_bytes(capped: MetricCap) -> bytes | None:
    ceiling = capped.ceiling()
    return None if ceiling is None else ceiling.encode("utf-8", "surrogatepass")


def _content_at(block: bytes | memoryview, offset: int) -> bytes:
    """The content of the line starting at ``offset`` of a block of whole lines."""
    if type(block) is memoryview:
        newline = _NEWLINE.search(block, offset).start()
        content = bytes(block[offset:newline])
    else:
        newline = block.find(b"\n", offset)
        content = block[offset:newline]
    return content[:-1] if content.endswith(b"\r") else content


_NEWLINE = LazyPattern(b"\n")


_SHORT_TEXT = defaults.MAX_SIGNIFICANT_DIGITS  # a number text this short without exponent is kept


def _summarise_numbers(values: list[bytes]) -> tuple[Metric, int]:
    """Exact Metric of the kept numbers among texts known to match NUMBER_PATTERN (ints and
    decimals in bulk), and how many were outside the kept range (summary.kept_number)."""
    if not values:
        return Metric(), 0
    if max(map(len, values)) <= _SHORT_TEXT:  # all kept, unless some have an exponent
        try:
            return Metric.of(list(map(int, values))), 0
        except ValueError:
            pass
        fixed_point = _fixed_point(values)
        if fixed_point is not None:
            return Metric.of_scaled(*fixed_point), 0
    ints: list[int] = []
    scaled: dict[int, list[int]] = {}
    others: list[Number] = []
    out_of_range = 0
    for value in values:
        if len(value) > _SHORT_TEXT or b"e" in value or b"E" in value:
            number = kept_number(value)
            if number is None:
                out_of_range += 1
            else:
                others.append(number)
        elif b"." in value:
            whole, fraction = value.split(b".")
            scaled.setdefault(len(fraction), []).append(int(whole + fraction))
        else:
            ints.append(int(value))
    metric = Metric.of(ints + others)
    for decimals, numbers in scaled.items():
        metric = metric.merge(Metric.of_scaled(numbers, decimals))
    return metric, out_of_range


def _count_out_of_range(values: list[bytes]) -> int:
    """How many of these number texts are outside the kept range (as _summarise_numbers counts)."""
    return sum(
        1 for value in values
        if (len(value) > _SHORT_TEXT or b"e" in value or b"E" in value)
        and kept_number(value) is None
    )


def _fixed_point(values: list[bytes]) -> tuple[list[int], int] | None:
    """Scaled ints and decimals when every value has the same number of decimals (no exponent)."""
    first = values[0]
    dot = first.find(b".")
    if dot < 0:
        return None
    decimals = len(first) - dot - 1
    joined = b" ".join(values)
    if joined.count(b".") != len(values):
        return None
    if not re.fullmatch(rb"(?:[-+]?\d*\.\d{%d} )*[-+]?\d*\.\d{%d}" % (decimals, decimals), joined):
        return None
    return list(map(int, joined.replace(b".", b"").split())), decimals
