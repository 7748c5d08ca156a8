"""Scan one log file (or one byte range of a plain file) into a FileSummary, in bounded memory.

The file is read in ``chunk_size`` binary chunks and processed a block of whole lines at a time
with C-level primitives (``bytes.count``, whole-block regexes); per-line Python only runs for the
formats that need it (JSON, access, logcat), for lines that do not fit the header shape learned
from the file's head, and for user patterns that cannot be searched over a whole block. Every
fast path is exact: tests/test_scan.py checks it against a per-line reference. A line longer than
``max_line_bytes`` is never held whole: it is counted, its level comes from its first
``max_line_bytes`` bytes, and its metrics and timestamp are ignored.

When the optional C extension ``logcrunch._fastscan`` is built (``pip install`` builds it where a
compiler exists; ``LOGCRUNCH_NO_C=1`` turns it off), each block's line count, token-rule levels
(non-per-line formats with default levels) and logfmt number sums come from one C pass over the
block instead; exponent forms and numbers of more than 18 digits are handed back to Python.
tests/test_scan.py runs every test on both paths.

Samples and names (summary.py): every sample, whichever path found it (C aggregates, logfmt
texts, JSON fields, access-log bytes, --metric matches), goes through the kept-range rule of
summary.kept_number (the C path only aggregates plain numbers of up to 18 digits, which the rule
always keeps) and then through the per-file cap on metric names (summary.MetricCap). Samples
held before being folded in are bounded too: a name the cap already refuses is counted at once,
and at most defaults.PENDING_METRIC_NAMES names wait for a fold.

The file is opened once, by the ``opener`` (readers.open_raw by default); its size at open
(fstat) bounds what is read, and a file that is smaller after the read than at open, or ended
before that size, fails as shrunk: a truncated or rotated file is never ``ok`` with partial counts.

Timestamps are looked for only in the first and last TIMESTAMP_PROBE_LINES lines of each block
(parsing every line's timestamp would halve throughput), so first_ts / last_ts can miss a stamp
that sits behind a longer run of unstamped lines (a huge stack trace) at a block's edge.

The caller validates the ScanConfig once (``config.validate()``); scan_file assumes it is valid.

Line model (shared with ``tests/reference_scan.py``): lines end at ``\\n``; a line's content is
the line without its ``\\n`` and without one ``\\r`` just before it (also at end of file); a last
line without ``\\n`` counts; an empty file has no lines.
"""

from __future__ import annotations

import os
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import BinaryIO

from logcrunch import defaults
from logcrunch.formats import (
    ACCESS,
    ACCESS_LINE_RE,
    ERROR,
    JSON,
    LEVEL_OF_WORD,
    LOGCAT,
    NEUTRAL,
    WARN,
    json_level,
    json_number_fields,
    learn_header,
    line_level,
    line_timestamp,
    parse_json_object,
    sniff_format,
    token_level,
)
from logcrunch.readers import (
    MAGIC_BYTES,
    BoundedReader,
    ReadError,
    decompressing,
    decompression_errors,
    describe_os_error,
    describe_read_error,
    detect_compression,
    file_type_problem,
    open_raw,
)
from logcrunch.summary import (
    STATUS_OK,
    FileSummary,
    Metric,
    MetricCap,
    Number,
    kept_number,
    normalize,
)

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
LOGFMT_NUMBER_PAIR_RE = re.compile(rb"\s([A-Za-z_][\w.\-]*)=(" + NUMBER_PATTERN + rb")(?=\s)")
_METRIC_NAME_RE = re.compile(r"[A-Za-z_][\w.\-]*")
MAX_LEARNED_KEYS = 64
KEY_LEARNING_BLOCKS = 2  # blocks after which unexplained "=" stop triggering key learning
TIMESTAMP_PROBE_LINES = 256  # lines examined from each end of a block when looking for timestamps


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
    """

    error_patterns: tuple[str, ...] = ()
    warn_patterns: tuple[str, ...] = ()
    metric_patterns: tuple[tuple[str, str], ...] = ()
    default_levels: bool = True
    chunk_size: int = defaults.CHUNK_SIZE
    max_line_bytes: int = defaults.MAX_LINE_BYTES
    max_metrics: int = defaults.MAX_METRICS
    max_expansion: int = defaults.MAX_EXPANSION

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
        for field_name in ("chunk_size", "max_line_bytes", "max_metrics", "max_expansion"):
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
    """
    try:
        raw = (opener or open_raw)(path)
    except ReadError as exc:
        return FileSummary.failed(path, str(exc))
    except OSError as exc:
        return FileSummary.failed(path, describe_os_error(exc))
    try:
        return _scan_opened(path, raw, config, start, end)
    finally:
        try:
            raw.close()
        except OSError:
            pass


def _scan_opened(path, raw, config: ScanConfig, start: int, end: int | None) -> FileSummary:
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
    year = time.localtime(info.st_mtime).tm_year
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
        summary = _scan_stream(path, stream, size, year, config, start, end)
        if summary.status == STATUS_OK:
            problem = _shrink_problem(raw, source)
            if problem:
                return FileSummary.failed(path, problem, size_bytes=size)
        return summary
    except ReadError as exc:
        return FileSummary.failed(path, str(exc), size_bytes=size)
    except decompression_errors() as exc:
        return FileSummary.failed(path, describe_read_error(exc, compression), size_bytes=size)
    finally:
        if stream is not None and stream is not source:
            stream.close()


def _shrink_problem(raw, source: BoundedReader) -> str:
    """Why a completed read cannot be trusted ("" when it can): the file is now smaller than at
    open, or it ended before its size at open."""
    now = os.fstat(raw.fileno()).st_size
    if now < source.size:
        return _shrunk(f"from {source.size}", now)
    if source.ended_early:
        return _shrunk(f"from {source.size}", source.position)
    return ""


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


def _scan_stream(path, stream, size, year, config, start, end) -> FileSummary:
    head = _read_full(stream, defaults.BINARY_SNIFF_BYTES)
    if b"\x00" in head:
        return FileSummary.skipped(path, BINARY_REASON, size_bytes=size)
    file_format = sniff_format(head)
    scanner = BlockScanner(config, file_format, year, sniffed_head=head)
    if start > 0:
        stream.seek(start - 1)
        chunks = _chunks(stream, config.chunk_size, first=b"")
        blocks = _line_blocks(chunks, config.max_line_bytes, start - 1, True, end)
    else:
        chunks = _chunks(stream, config.chunk_size, first=head)
        blocks = _line_blocks(chunks, config.max_line_bytes, 0, False, end)
    for kind, data in blocks:
        if kind == "lines":
            scanner.scan_block(data)
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
    chunks: Iterator[bytes], max_line: int, position: int, skip_first: bool, limit: int | None
) -> Iterator[tuple[str, bytes]]:
    """Cut a byte stream into ("lines", block of whole lines ending in b"\\n") and
    ("long", first ``max_line`` bytes of an over-long line) items.

    ``position`` is the absolute offset of the first byte; ``skip_first`` drops everything up to
    and including the first newline; only lines starting before ``limit`` are produced.
    """
    carry = b""
    carry_position = position  # absolute offset of carry[0], or of the next byte when discarding
    discarding = skip_first
    if limit is not None and position + (1 if skip_first else 0) >= limit:
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
                return
            if not data:
                continue
        buffer = carry + data if carry else data
        last_newline = buffer.rfind(b"\n")
        if limit is not None and carry_position + last_newline + 1 >= limit:
            cut = buffer.find(b"\n", limit - carry_position - 1) + 1
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
    if carry and not discarding:
        yield "lines", carry + b"\n"


def _split_long_lines(block: bytes, max_line: int) -> Iterator[tuple[str, bytes]]:
    """Split a block of whole lines into runs of normal lines and over-long lines' prefixes."""
    if len(block) <= max_line + 1:
        yield "lines", block
        return
    run_start = 0
    line_start = 0
    size = len(block)
    while line_start < size:
        window_end = (
            line_start + max_line + 1
        )  # a newline at index <= window_end - 1 ends a short line
        last = block.rfind(b"\n", line_start, window_end)
        if last >= 0:
            line_start = last + 1
            continue
        newline = block.find(b"\n", line_start)
        content_length = newline - line_start
        if block[newline - 1 : newline] == b"\r" and newline > line_start:
            content_length -= 1
        if content_length <= max_line:
            line_start = newline + 1
            continue
        if run_start < line_start:
            yield "lines", block[run_start:line_start]
        yield "long", block[line_start : line_start + max_line]
        line_start = run_start = newline + 1
    if run_start < size:
        yield "lines", block[run_start:]


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
        from re import _parser  # type: ignore[attr-defined]

        parsed = _parser.parse(pattern.pattern, pattern.flags)
    except Exception:
        return False
    banned = {"AT", "ASSERT", "ASSERT_NOT", "ATOMIC_GROUP", "POSSESSIVE_REPEAT", "GROUPREF_EXISTS"}

    def walk(items) -> bool:
        for op, argument in items:
            if str(op) in banned:
                return False
            for value in argument if isinstance(argument, tuple | list) else (argument,):
                if isinstance(value, _parser.SubPattern) and not walk(value):
                    return False
                if isinstance(value, list):
                    for element in value:
                        if isinstance(element, _parser.SubPattern) and not walk(element):
                            return False
        return True

    return walk(parsed)


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


class BlockScanner:
    """Accumulates one file's (or range's) counts, metrics and timestamps, block by block."""

    def __init__(self, config: ScanConfig, file_format: str, year: int, sniffed_head: bytes = b""):
        self.config = config
        self.format = file_format
        self.year = year
        self.per_line_format = file_format in (JSON, ACCESS, LOGCAT)
        # The C path counts levels by the token rule (the rule of every non-per-line format) and
        # sums every logfmt number; user level patterns still override its counts afterwards.
        # What the Python path learns from the head (header shape, logfmt keys) it does not need.
        self.native = _native
        self.native_levels = (
            _native is not None and config.default_levels and not self.per_line_format
        )
        uses_header = not (self.per_line_format or self.native_levels)
        self.header = learn_header(sniffed_head) if uses_header else None
        self.error_patterns = [_UserPattern(p) for p in config.error_patterns]
        self.warn_patterns = [_UserPattern(p) for p in config.warn_patterns]
        self.metric_patterns = [(name, _UserPattern(p)) for name, p in config.metric_patterns]
        self.logfmt_keys = _learn_logfmt_keys(sniffed_head) if _native is None else []
        self.learning_budget = KEY_LEARNING_BLOCKS
        self.lines = self.error_lines = self.warn_lines = self.long_lines = 0
        self.first_ts = self.last_ts = ""
        # Samples waiting to be folded into the capped metrics: kept numbers, and decimal texts
        # converted (and range-checked) in bulk. At most PENDING_METRIC_NAMES names wait.
        self.samples: dict[str, list[Number]] = {}
        self.decimal_samples: dict[str, list[bytes]] = {}
        self.capped = MetricCap(config.max_metrics)
        self.out_of_range = 0

    # -- results -------------------------------------------------------------------------------

    def summary(self, path: str, size: int) -> FileSummary:
        self._flush_samples()
        return FileSummary(
            path=path,
            format=self.format,
            size_bytes=size,
            lines=self.lines,
            error_lines=self.error_lines,
            warn_lines=self.warn_lines,
            long_lines=self.long_lines,
            first_ts=self.first_ts,
            last_ts=self.last_ts,
            metrics=dict(sorted(self.capped.metrics.items())),
            samples_out_of_range=self.out_of_range,
            samples_over_metric_cap=self.capped.over_cap,
            max_metrics=self.capped.limit,
        )

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
        """Count an over-long line from its first max_line_bytes bytes; no metrics, no timestamp."""
        self.lines += 1
        self.long_lines += 1
        level = self._user_level(prefix)
        if level is None:
            level = line_level(prefix, self.format) if self.config.default_levels else NEUTRAL
        self._count_level(level)

    def scan_block(self, block: bytes) -> None:
        """Scan a block of whole lines (each ending in b"\\n")."""
        for kind, part in _split_long_lines(block, self.config.max_line_bytes):
            if kind == "long":
                self.scan_long_line(part)
            else:
                self._scan_short_lines(part)
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

    def _scan_short_lines(self, block: bytes) -> None:
        builtin = Counter[int]()
        if self.native is not None:
            ceiling = self.capped.ceiling()
            lines, errors, warns, scaled, others, refused = self.native.scan_lines(
                block, self.native_levels,
                None if ceiling is None else ceiling.encode("utf-8", "surrogatepass"),
                defaults.MAX_METRIC_NAME_CHARS,
            )
            self.lines += lines
            builtin[ERROR] = errors
            builtin[WARN] = warns
            self.capped.over_cap += refused
            self._add_native_metrics(scaled, others)
        else:
            self.lines += block.count(b"\n")
        if self.native_levels:
            pass  # counted above
        elif self.config.default_levels:
            if self.per_line_format:
                self._scan_special_lines(block, builtin)
            elif self.header is not None:
                self._count_levels_by_header(block, builtin)
            else:
                for _offset, content in _lines_of(block):
                    builtin[token_level(content)] += 1
        elif self.per_line_format:
            self._scan_special_lines(block, None)
        if self.error_patterns or self.warn_patterns:
            self._apply_user_levels(block, builtin)
        self.error_lines += builtin[ERROR]
        self.warn_lines += builtin[WARN]
        if self.native is None:
            self._scan_logfmt_metrics(block)
        for name, pattern in self.metric_patterns:
            for _start, _end, content in pattern.matching_lines(block):
                for match in pattern.regex.finditer(content):
                    self._add_text_sample(name, match.group(1))
        self._scan_timestamps(block)

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

    def _count_levels_by_header(self, block: bytes, builtin: Counter[int]) -> None:
        """Levels of a block through the learned header shape; other lines one by one."""
        prefixed = b"\n" + block
        words = Counter(self.header.block_re.findall(prefixed))
        irregular = words.pop(b"", 0) - 1  # the block's final newline starts no line
        for word, count in words.items():
            builtin[LEVEL_OF_WORD[word.lower()]] += count
        if not irregular:
            return
        last = len(prefixed) - 1
        for match in self.header.irregular_re.finditer(prefixed):
            position = match.start()
            if position == last:
                break
            content = prefixed[position + 1 : prefixed.find(b"\n", position + 1)]
            builtin[token_level(content[:-1] if content.endswith(b"\r") else content)] += 1

    def _apply_user_levels(self, block: bytes, builtin: Counter[int]) -> None:
        """Override the built-in counts for lines matching the user's error/warn patterns."""
        overridden: dict[int, tuple[int, bytes]] = {}
        for patterns, level in ((self.warn_patterns, WARN), (self.error_patterns, ERROR)):
            for pattern in patterns:
                for line_start, _end, content in pattern.matching_lines(block):
                    overridden[line_start] = (level, content)
        for level, content in overridden.values():
            if self.config.default_levels:
                builtin[line_level(content, self.format)] -= 1
            builtin[level] += 1

    def _scan_special_lines(self, block: bytes, builtin: Counter[int] | None) -> None:
        """Per-line rules of the json / access / logcat formats (levels and their metrics)."""
        file_format = self.format
        for _offset, content in _lines_of(block):
            if file_format == JSON:
                obj = parse_json_object(content)
                if obj is not None:
                    for name, value in json_number_fields(obj):
                        if value is None:
                            self.out_of_range += 1
                        elif isinstance(value, bytes):
                            self._hold(self.decimal_samples, name, value)
                        else:
                            self._hold(self.samples, name, value)
                    if builtin is not None:
                        builtin[json_level(obj)] += 1
                    continue
            elif file_format == ACCESS:
                match = ACCESS_LINE_RE.match(content)
                if match:
                    size = match.group(2)
                    if size != b"-":
                        self._hold(self.decimal_samples, "bytes", size)
                    if builtin is not None:
                        status = match.group(1)[:1]
                        builtin[
                            ERROR if status == b"5" else WARN if status == b"4" else NEUTRAL
                        ] += 1
                    continue
            if builtin is not None:
                builtin[line_level(content, file_format)] += 1

    # -- logfmt metrics ------------------------------------------------------------------------

    def _add_native_metrics(self, scaled: dict[bytes, list[tuple]], others: list[tuple]) -> None:
        """Fold in what _fastscan.scan_lines found: per (key, decimals) aggregates of values
        scaled by 10**decimals, and the (key, text) numbers it left to Python."""
        for key, rows in scaled.items():
            metric = Metric()
            for decimals, count, total, total_sq, minimum, maximum in rows:
                if decimals:
                    scale = 10**decimals
                    part = Metric(
                        count=count,
                        total=normalize(Fraction(total, scale)),
                        total_sq=normalize(Fraction(total_sq, scale * scale)),
                        minimum=normalize(Fraction(minimum, scale)),
                        maximum=normalize(Fraction(maximum, scale)),
                    )
                else:
                    part = Metric(count, total, total_sq, minimum, maximum)
                metric = metric.merge(part)
            self._add_metric(key.decode("ascii"), metric)
        if others:
            by_key: dict[bytes, list[bytes]] = {}
            for key, text in others:
                by_key.setdefault(key, []).append(text)
            self._add_number_groups(by_key)

    def _add_number_groups(self, by_key: dict[bytes, list[bytes]]) -> None:
        """Fold in {logfmt key: number texts}. Once the cap is full, the keys it refuses are
        split off in one pass and their samples counted in bulk (a key explosion costs a
        comparison per key, not a metric)."""
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
        equals = block.count(b"=")
        if not equals:
            return
        if self.logfmt_keys and self._scan_known_keys(block, equals):
            return
        by_key: dict[bytes, list[bytes]] = {}
        for key, value in LOGFMT_NUMBER_PAIR_RE.findall(b"\n" + block):
            by_key.setdefault(key, []).append(value)
        self._add_number_groups(by_key)
        if self.learning_budget and len(self.logfmt_keys) < MAX_LEARNED_KEYS:
            # Learn the keys that broke the fast path; give up after a few blocks so a file whose
            # "=" can never be accounted for (URLs, a=b=c) pays for one slow pass, not two.
            self.learning_budget -= 1
            seen: dict[bytes, list[bytes]] = {}
            for key, value in _LOGFMT_KEY_VALUE_RE.findall(b"\n" + block):
                seen.setdefault(key, []).append(value)
            self.logfmt_keys = _with_new_keys(self.logfmt_keys, seen)

    def _scan_known_keys(self, block: bytes, equals: int) -> bool:
        """Fast path: every "=" of the block belongs to a learned key preceded by a space or a
        line start. Returns False (having done nothing) when that cannot be shown."""
        occurrences = self._known_key_occurrences(block, equals)
        if occurrences is None:
            return False
        for key, spaced, line_started in occurrences:
            if spaced:
                metric, out_of_range = key.spaced_metric(block, spaced)
                self.out_of_range += out_of_range
                self._add_metric(key.name, metric)
            if line_started:
                self._add_numbers(key.name, key.line_start_re.findall(block))
        return True

    def _known_key_occurrences(self, block: bytes, equals: int):
        """[(key, " key=" count, line-start count)] of the keys that may hold numbers, or None
        when some "=" of the block is not explained by a learned key at a token start.

        Each "=" ends at most one " key=" / "\\nkey=" of distinct keys (keys hold no blanks), so
        totals equal to the "=" count prove every "=" is accounted for. Keys whose values start
        with a byte no number starts with (path=/...) are first counted with that byte: if the
        totals still meet, none of their occurrences holds a number.
        """
        keys = self.logfmt_keys
        quick = [block.count(key.non_numeric_start or key.spaced) for key in keys]
        if sum(quick) == equals:
            return [
                (key, count, 0)
                for key, count in zip(keys, quick, strict=True)
                if count and not key.non_numeric_start
            ]
        spaced = [block.count(key.spaced) for key in keys]
        if sum(spaced) == equals:
            return [(key, count, 0) for key, count in zip(keys, spaced, strict=True) if count]
        occurrences = []
        total = 0
        for key, spaced_count in zip(keys, spaced, strict=True):
            line_started = block.count(key.line_started) + block.startswith(key.literal)
            if spaced_count or line_started:
                occurrences.append((key, spaced_count, line_started))
                total += spaced_count + line_started
        return occurrences if total == equals else None

    # -- timestamps ----------------------------------------------------------------------------

    def _scan_timestamps(self, block: bytes) -> None:
        year = self.year
        if not self.first_ts:
            position = 0
            for _ in range(TIMESTAMP_PROBE_LINES):
                newline = block.find(b"\n", position)
                if newline < 0:
                    break
                stamp = line_timestamp(block[position:newline], year)
                if stamp:
                    self.first_ts = stamp
                    break
                position = newline + 1
        end = len(block) - 1  # index of the block's final newline
        for _ in range(TIMESTAMP_PROBE_LINES):
            if end <= 0:
                break
            line_start = block.rfind(b"\n", 0, end) + 1
            stamp = line_timestamp(block[line_start:end], year)
            if stamp:
                self.last_ts = stamp
                break
            end = line_start - 1


class _LogfmtKey:
    """Precompiled literals and regexes for one learned logfmt key.

    ``typed_re`` matches only the value shape seen in the head (digits, or a fixed number of
    decimals), which is several times faster than the full number regex; when it matches every
    occurrence of the key it found every value, else the block falls back to ``number_re``.
    ``non_numeric_start`` is the first byte shared by all head values when that byte cannot start
    a number (``path=/...``): if every occurrence is followed by it, the key has no samples.
    """

    def __init__(self, name: bytes, values: list[bytes]):
        self.name = name.decode("ascii")
        escaped = re.escape(name)
        self.literal = name + b"="
        self.spaced = b" " + self.literal
        self.line_started = b"\n" + self.literal
        starts = {value[:1] for value in values}
        self.non_numeric_start = b""
        if len(starts) == 1 and not _NUMBER_START_RE.match(value_start := starts.pop()):
            self.non_numeric_start = self.spaced + value_start
        decimals = {_fixed_decimals(value) for value in values}
        self.few_distinct = len(set(values)) * 4 <= len(values)
        self.decimals = decimals.pop() if len(decimals) == 1 else None
        if self.decimals is not None and self.decimals >= _SHORT_TEXT:
            self.decimals = None
        # The typed shapes hold at most _SHORT_TEXT digits, so every value they match is a kept
        # sample; a longer one makes the block fall back to number_re and the full rule.
        if self.decimals == 0:
            value_pattern = rb"[-+]?\d{1,%d}" % _SHORT_TEXT
        elif self.decimals:
            value_pattern = rb"[-+]?\d{1,%d}\.\d{%d}" % (_SHORT_TEXT - self.decimals, self.decimals)
        else:
            value_pattern = rb"[-+]?\d+(?:\.\d+)?"
        self.typed_re = re.compile(b" " + escaped + b"=(" + value_pattern + rb")(?=\s)")
        self.number_re = re.compile(b" " + escaped + b"=(" + NUMBER_PATTERN + rb")(?=\s)")
        self.line_start_re = re.compile(
            b"^" + escaped + b"=(" + NUMBER_PATTERN + rb")(?=\s)", re.MULTILINE
        )

    def spaced_metric(self, block: bytes, spaced: int) -> tuple[Metric, int]:
        """The Metric of the block's ``spaced`` " key=" occurrences (block ends with b"\\n"),
        and how many of their numbers were out of the kept range."""
        if self.non_numeric_start and block.count(self.non_numeric_start) == spaced:
            return Metric(), 0
        values = self.typed_re.findall(block)
        if len(values) != spaced:
            return _summarise_numbers(self.number_re.findall(block))
        if self.decimals is None:
            return _summarise_numbers(values)
        if self.few_distinct:
            # Latencies, status codes, counts: hashing the texts is cheaper than converting each.
            counts = Counter(values)
            if len(counts) * 4 <= len(values):
                return _weighted_metric(counts, self.decimals), 0
        if self.decimals == 0:
            return Metric.of(list(map(int, values))), 0
        scaled = b" ".join(values).replace(b".", b"").split()
        return Metric.of_scaled(list(map(int, scaled)), self.decimals), 0


def _weighted_metric(counts: Counter[bytes], decimals: int) -> Metric:
    """Exact Metric of fixed-point texts given with their multiplicities (same as of_scaled)."""
    pairs = [(int(text.replace(b".", b"")), count) for text, count in counts.items()]
    scale = 10**decimals
    scaled = [value for value, _count in pairs]
    return Metric(
        count=sum(count for _value, count in pairs),
        total=normalize(Fraction(sum(value * count for value, count in pairs), scale)),
        total_sq=normalize(
            Fraction(sum(value * value * count for value, count in pairs), scale * scale)
        ),
        minimum=normalize(Fraction(min(scaled), scale)),
        maximum=normalize(Fraction(max(scaled), scale)),
    )


def _fixed_decimals(value: bytes) -> int | None:
    """0 for an int, d for a plain decimal with d decimals, None for anything else."""
    match = _FIXED_DECIMAL_RE.fullmatch(value)
    if match is None:
        return None
    return len(match.group(1) or b".") - 1


_FIXED_DECIMAL_RE = re.compile(rb"[-+]?\d+(\.\d+)?")
_NUMBER_START_RE = re.compile(rb"[-+.\d]")
# Any key=value at a token start, run over b"\n" + whole lines.
_LOGFMT_KEY_VALUE_RE = re.compile(rb"\s([A-Za-z_][\w.\-]*)=(\S*)")


def _learn_logfmt_keys(head: bytes) -> list[_LogfmtKey]:
    """Every key=... of the head, numeric or not: the fast path must account for each "="."""
    by_key: dict[bytes, list[bytes]] = {}
    for key, value in _LOGFMT_KEY_VALUE_RE.findall(b"\n" + head):
        by_key.setdefault(key, []).append(value)
    return _with_new_keys([], by_key)


def _with_new_keys(keys: list[_LogfmtKey], by_key: dict[bytes, list[bytes]]) -> list[_LogfmtKey]:
    """The known keys plus the new ones, up to MAX_LEARNED_KEYS."""
    known = {key.name.encode(): key for key in keys}
    for name, values in by_key.items():
        if name not in known and len(known) < MAX_LEARNED_KEYS:
            known[name] = _LogfmtKey(name, values)
    return list(known.values())


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
