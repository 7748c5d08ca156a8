"""A deliberately simple, per-line reference of logcrunch.scan.scan_file, for tests only.

It reads the whole (decompressed) file into memory, splits it into lines one at a time and applies
each rule to each line. The per-line rules of a format (level token, JSON, access, logcat,
timestamps, sniffing) come from logcrunch.formats, which is what defines them; everything the
chunked scanner does differently - blocks, line splitting, over-long lines, byte ranges, the
logfmt fast path, user patterns over whole blocks, bulk number conversion - is redone here naively.

The two sample rules are restated here the plain way rather than imported: which numbers are kept
(the value, via ``decimal.Decimal``, must have at most MAX_SIGNIFICANT_DIGITS significant digits
and be 0 or between 1e-320 and the largest double), and which metric names are kept (all names
with a kept sample, sorted, the first ``max_metrics`` of those at most MAX_METRIC_NAME_CHARS
long); every other sample is counted in samples_out_of_range resp. samples_over_metric_cap.
"""

from __future__ import annotations

import bz2
import fnmatch
import gzip
import lzma
import os
import re
import sys
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from logcrunch import defaults, formats
from logcrunch.stamps import Clock, parse_stamp
from logcrunch.summary import FileSummary, Metric, normalize
from logcrunch.templates import example_text, line_template, template_text

_KEY_RE = re.compile(rb"[A-Za-z_][\w.\-]*")
_NUMBER_RE = re.compile(rb"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_LARGEST = Decimal(int(sys.float_info.max))
_SMALLEST = Decimal(1).scaleb(defaults.MIN_SAMPLE_EXPONENT)
OUT = object()  # a number that is not kept


def number_value(text: bytes):
    """The exact value of a number text when the rule keeps it, OUT when it does not, None when
    the text is no number at all."""
    if not _NUMBER_RE.fullmatch(text):
        return None
    if not re.split(rb"[eE]", text)[0].strip(b"+-.0"):
        return 0  # zero, whatever its exponent
    try:
        value = Decimal(text.decode())
    except InvalidOperation:  # an exponent past 10**18, which Decimal cannot hold
        return OUT
    significant = "".join(map(str, value.as_tuple().digits)).strip("0")
    magnitude = value.copy_abs()
    if len(significant) > defaults.MAX_SIGNIFICANT_DIGITS or not _SMALLEST <= magnitude <= _LARGEST:
        return OUT
    return normalize(Fraction(value))


def exact_quantile(values: list, quantile: Fraction):
    """The nearest-rank quantile of exact numbers: the ceil(quantile * n)-th smallest (1-based;
    at least the first), the definition the percentile columns estimate."""
    ordered = sorted(values)
    rank = max(1, -(-quantile.numerator * len(ordered) // quantile.denominator))
    return ordered[rank - 1]


def json_numbers(obj: dict) -> list[tuple[str, object]]:
    samples = []
    for key, value in formats.json_raw_numbers(obj):
        if formats.is_json_constant(value):
            samples.append((key, OUT))
        else:
            samples.append((key, number_value(value if isinstance(value, bytes) else
                                              str(value).encode())))
    return samples


def read_decompressed(path: str) -> bytes:
    with open(path, "rb") as raw:
        data = raw.read()
    if data.startswith(b"\x1f\x8b"):
        return gzip.decompress(data)
    if data.startswith(b"BZh"):
        return bz2.decompress(data)
    if data.startswith(b"\xfd7zXZ\x00"):
        return lzma.decompress(data)
    if data.startswith(b"\x28\xb5\x2f\xfd"):
        import zstandard

        return zstandard.ZstdDecompressor().decompressobj().decompress(data)
    return data


def split_lines(data: bytes) -> list[tuple[int, bytes]]:
    """(start offset, content) of every line; content drops "\\n" and one "\\r" before it."""
    result = []
    position = 0
    while position < len(data):
        newline = data.find(b"\n", position)
        if newline < 0:
            line, following = data[position:], len(data)
        else:
            line, following = data[position:newline], newline + 1
        if line.endswith(b"\r"):
            line = line[:-1]
        result.append((position, line))
        position = following
    return result


def logfmt_numbers(content: bytes) -> list[tuple[str, object]]:
    samples = []
    for token in content.split():
        key, equals, value = token.partition(b"=")
        if value.endswith((b",", b";")):  # "target=38, rate=200": the comma ends the value
            value = value[:-1]
        if equals and _KEY_RE.fullmatch(key):
            samples.append((key.decode(), number_value(value)))
    return samples


class MetricNamesRule:
    """The --metric-include / --metric-exclude rule, restated."""

    def __init__(self, config) -> None:
        self.config = config

    def admits(self, name: str) -> bool:
        if any(fnmatch.fnmatchcase(name, g) for g in self.config.metric_exclude):
            return False
        if self.config.metric_include:
            return any(fnmatch.fnmatchcase(name, g) for g in self.config.metric_include)
        return not any(fnmatch.fnmatchcase(name, g) for g in defaults.IDENTIFIER_METRICS)


def reference_scan(path: str, config, start: int = 0, end: int | None = None) -> FileSummary:
    data = read_decompressed(path)
    if b"\x00" in data[: defaults.BINARY_SNIFF_BYTES]:
        return FileSummary.skipped(path, "binary file (NUL byte in first 64 KiB)")
    file_format = formats.sniff_format(data[: defaults.BINARY_SNIFF_BYTES])
    clock = Clock(config.timezone, os.stat(path).st_mtime)
    error_res = [re.compile(p.encode()) for p in config.error_patterns]
    warn_res = [re.compile(p.encode()) for p in config.warn_patterns]
    metric_res = [(name, re.compile(p.encode())) for name, p in config.metric_patterns]
    names = MetricNamesRule(config)
    summary = FileSummary(path=path, format=file_format, size_bytes=os.stat(path).st_size,
                          max_metrics=config.max_metrics)
    samples: dict[str, list] = {}
    hour = ""
    timeline: dict[str, list[int]] = {}
    templates: dict[tuple[int, str], list] = {}
    for offset, content in split_lines(data):
        if offset < start or (end is not None and offset >= end):
            continue
        summary.lines += 1
        too_long = len(content) > config.max_line_bytes
        visible = content[: config.max_line_bytes] if too_long else content
        if any(r.search(visible) for r in error_res):
            level = formats.ERROR
        elif any(r.search(visible) for r in warn_res):
            level = formats.WARN
        elif config.default_levels:
            level = formats.line_level(visible, file_format)
        else:
            level = formats.NONE
        summary.level_lines += level != formats.NONE
        summary.error_lines += level == formats.ERROR
        summary.warn_lines += level == formats.WARN
        stamp = None if too_long else parse_stamp(content)
        rendered = clock.render(stamp)
        if rendered:
            summary.first_ts = summary.first_ts or rendered
            summary.last_ts = rendered
            hour = rendered[:13] + ":00:00Z"
        row = timeline.setdefault(hour, [0, 0, 0])
        row[0] += 1
        row[1] += level == formats.ERROR
        row[2] += level == formats.WARN
        if too_long:
            summary.long_lines += 1
            continue
        if level in (formats.ERROR, formats.WARN):
            key = (level, template_text(line_template(content, file_format)))
            entry = templates.get(key)
            if entry is None:
                entry = templates[key] = [level, key[1], 0, "", "", example_text(content)]
            entry[2] += 1
            if rendered:
                entry[3] = entry[3] or rendered
                entry[4] = rendered
        found = logfmt_numbers(content)
        if file_format == formats.JSON:
            obj = formats.parse_json_object(content)
            if obj is not None:
                found += json_numbers(obj)
        if file_format == formats.ACCESS:
            match = formats.ACCESS_LINE_RE.match(content)
            if match and match.group(2) != b"-":
                found.append(("bytes", number_value(match.group(2))))
        found = [(name, value) for name, value in found if names.admits(name)]
        for name, regex in metric_res:
            for match in regex.finditer(content):
                found.append((name, number_value(match.group(1) or b"")))
        for name, value in found:
            if value is OUT:
                summary.samples_out_of_range += 1
            elif value is not None:
                samples.setdefault(name, []).append(value)
    summary.timeline = dict(sorted(timeline.items()))
    summary.templates = [templates[key] for key in sorted(templates)[: config.max_templates]]
    summary.max_templates = config.max_templates
    named = sorted(name for name in samples if len(name) <= defaults.MAX_METRIC_NAME_CHARS)
    kept = named[: config.max_metrics]
    summary.metrics = {name: Metric.of(samples[name]) for name in kept}
    summary.samples_over_metric_cap = sum(
        len(values) for name, values in samples.items() if name not in summary.metrics
    )
    return summary
