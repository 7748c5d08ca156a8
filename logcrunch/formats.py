"""What a log line means: level tokens, per-format line rules, timestamps, format sniffing.

Everything here works on one line's content as bytes (the line without its ``\\n`` / ``\\r\\n``),
so the chunked scanner and the per-line reference in the tests share one definition of each rule.

The level of a line is its FIRST level token, in one of three spellings:

* a bare UPPERCASE word (``ERROR``, ``WARN``, ``INFO``, ...) that starts the line or follows
  whitespace or one of ``[(<|,;`` and ends the line or is followed by whitespace or ``]):>|,;``;
* a bracketed word in any case, optionally after a module name: ``[error]``, ``[core:warn]``;
* a logfmt level pair, value in any case and optionally quoted: ``level=error``, ``lvl="WARN"``,
  ``severity=fatal`` (the key starts the line or follows whitespace).

Stack-trace continuation lines (indented, "Caused by: ", an exception class name first) have no
level. Files sniffed as ``json``, ``access`` or ``logcat`` first try their own rule on each line
(the ``level`` field, the HTTP status, the logcat priority letter); lines that do not fit it fall
back to the token rule above.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction

from logcrunch.summary import int_is_kept, parse_number

ERROR = 2
WARN = 1
NEUTRAL = 0

ERROR_WORDS = (
    "error", "err", "fatal", "critical", "crit", "severe", "alert",
    "emergency", "emerg", "panic", "failure",
)  # fmt: skip
WARN_WORDS = ("warning", "warn")
NEUTRAL_WORDS = (
    "information",
    "info",
    "debug",
    "trace",
    "notice",
    "verbose",
    "finest",
    "finer",
    "fine",
)

LEVEL_OF_WORD: dict[bytes, int] = {
    **{w.encode(): NEUTRAL for w in NEUTRAL_WORDS},
    **{w.encode(): WARN for w in WARN_WORDS},
    **{w.encode(): ERROR for w in ERROR_WORDS},
}

# Longest spellings first so "ERROR" is never read as "ERR".
_WORDS = sorted((*ERROR_WORDS, *WARN_WORDS, *NEUTRAL_WORDS), key=len, reverse=True)
_WORD_ALT = "|".join(_WORDS)
_UPPER_ALT = "|".join(w.upper() for w in _WORDS if w != "information")

_BARE = rf"(?:(?<=[\s\[(<|,;])|^)({_UPPER_ALT})(?=[\s\]):>|,;]|$)"
_BRACKETED = rf"\[(?:[A-Za-z_][\w.\-]*:)?((?i:{_WORD_ALT}))\]"
_KEYED = rf"(?:(?<=\s)|^)(?:level|lvl|severity)=[\"']?((?i:{_WORD_ALT}))(?=[\"'\s]|$)"
TOKEN_PATTERN = f"(?:{_BARE}|{_BRACKETED}|{_KEYED})"

# Stack-trace continuation lines carry no level, whatever words their message holds: indented
# lines ("\tat ...", "    ..."), "Caused by: ...", "Traceback (...", and lines that start with
# an exception's class name ("java.io.IOException: ...", "ValueError: ...").
CONTINUATION_PATTERN = (
    r"(?:[ \t]|Caused by: |Traceback \("
    r"|(?:[A-Za-z_$][\w$]*\.)*[A-Z][\w$]*(?:Exception|Error|Throwable)(?=[:\s]|$))"
)

# Searched in one line's content: the leftmost match is the line's level token.
LEVEL_TOKEN_RE = re.compile(TOKEN_PATTERN.encode(), re.MULTILINE)
CONTINUATION_RE = re.compile(CONTINUATION_PATTERN.encode())
# Run over a block of whole lines: one match per line that has a token, holding its first token.
FIRST_TOKEN_PER_LINE_RE = re.compile(
    b"^(?!" + CONTINUATION_PATTERN.encode() + b")[^\n]*?" + TOKEN_PATTERN.encode(), re.MULTILINE
)


def level_of_token_groups(groups: tuple[bytes, ...]) -> int:
    """The level class of a LEVEL_TOKEN_RE / FIRST_TOKEN_PER_LINE_RE match's groups."""
    return LEVEL_OF_WORD[b"".join(g for g in groups if g).lower()]


def token_level(content: bytes) -> int:
    """The level class of a line by the general first-token rule (NEUTRAL when it has none)."""
    if CONTINUATION_RE.match(content):
        return NEUTRAL
    match = LEVEL_TOKEN_RE.search(content)
    return level_of_token_groups(match.groups()) if match else NEUTRAL


# ---------------------------------------------------------------------------------------------
# Formats with their own per-line rules.

PLAIN = "plain"
LOGFMT = "logfmt"
APACHE_ERROR = "apache_error"
JSON = "json"
ACCESS = "access"
LOGCAT = "logcat"
FORMATS = (PLAIN, LOGFMT, APACHE_ERROR, JSON, ACCESS, LOGCAT)

ACCESS_LINE_RE = re.compile(rb'\S+ \S+ \S+ \[[^\]\n]*\] "[^"\n]*" (\d{3}) (\d+|-)(?=\s|$)')
LOGCAT_LINE_RE = re.compile(
    rb"(?:\d\d-\d\d \d\d:\d\d:\d\d\.\d+ +\d+ +\d+ ([VDIWEFAS]) "  # threadtime
    rb"|([VDIWEFAS])/[^(:\n]*\( *\d+\): )"  # brief
)
_LOGCAT_LEVEL = {b"E": ERROR, b"F": ERROR, b"A": ERROR, b"W": WARN}
_APACHE_ERROR_LINE_RE = re.compile(rb"\[[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d [\d:.]+ \d{4}\] \[")
_LOGFMT_LINE_RE = re.compile(rb"[A-Za-z_][\w.\-]*=\S*( [A-Za-z_][\w.\-]*=)")
_JSON_LEVEL_KEYS = ("level", "severity", "lvl")


class _NotANumber:
    """Stands in for JSON's NaN / Infinity: numbers outside the kept range, never samples."""


class _DecimalText(bytes):
    """A JSON decimal (or an integer too long for int()) kept as its text; converted exactly,
    under the kept-range rule, only when it is used."""


_NOT_A_NUMBER = _NotANumber()
_JSON_DECODER = json.JSONDecoder(
    parse_float=lambda text: _DecimalText(text.encode()),
    parse_constant=lambda _: _NOT_A_NUMBER,
)
# For the rare line the fast decoder refuses: int() raises ValueError past 4300 digits, which
# would make a whole line of valid JSON "not JSON". Here every integer stays text too.
_JSON_DECODER_TEXT_INTS = json.JSONDecoder(
    parse_float=lambda text: _DecimalText(text.encode()),
    parse_int=lambda text: _DecimalText(text.encode()),
    parse_constant=lambda _: _NOT_A_NUMBER,
)


def parse_json_object(content: bytes) -> dict | None:
    """Parse a JSON-object line exactly (decimals stay text, see json_number_fields); None if it
    is not one. Integers of any length are fine."""
    if not content.startswith(b"{"):
        return None
    try:
        text = content.decode("utf-8")
    except ValueError:
        return None
    try:
        value = _JSON_DECODER.decode(text)
    except (ValueError, RecursionError):
        try:
            value = _JSON_DECODER_TEXT_INTS.decode(text)
        except (ValueError, RecursionError):
            return None
    return value if isinstance(value, dict) else None


def json_level(obj: dict) -> int:
    """The level class of a JSON object's ``level`` / ``severity`` / ``lvl`` field.

    Strings are looked up in any case; numbers follow the pino/bunyan scale (40 warn, 50+ error);
    a number outside the kept range is no level.
    """
    for key in _JSON_LEVEL_KEYS:
        value = obj.get(key)
        if isinstance(value, str):
            return LEVEL_OF_WORD.get(value.strip().lower().encode(), NEUTRAL)
        if isinstance(value, _DecimalText):
            try:
                value = parse_number(value)
            except ValueError:
                return NEUTRAL
        if isinstance(value, int | Fraction) and not isinstance(value, bool):
            return ERROR if value >= 50 else WARN if value >= 40 else NEUTRAL
    return NEUTRAL


def json_number_fields(obj: dict) -> list[tuple[str, int | bytes | None]]:
    """Every top-level field of a JSON object whose value is a number (booleans are not).

    Each value is a kept int, a decimal's text (bytes: the scanner converts those in bulk and
    applies the kept-range rule), or None for a number that is not kept (NaN, Infinity, an int
    outside the range).
    """
    fields: list[tuple[str, int | bytes | None]] = []
    for key, value in obj.items():
        kind = type(value)
        if kind is int:
            fields.append((key, value if int_is_kept(value) else None))
        elif kind is _DecimalText:
            fields.append((key, value))
        elif kind is _NotANumber:
            fields.append((key, None))
    return fields


def json_raw_numbers(obj: dict) -> list[tuple[str, object]]:
    """(key, value) of the top-level number fields as decoded, for the tests' reference: ints,
    decimal or long-int texts (bytes), or the NaN / Infinity stand-in (``is_json_constant``)."""
    return [(key, value) for key, value in obj.items()
            if type(value) in (int, _DecimalText, _NotANumber)]


def is_json_constant(value: object) -> bool:
    """True for the stand-in of JSON's NaN / Infinity / -Infinity."""
    return type(value) is _NotANumber


def access_level(status: bytes) -> int:
    return ERROR if status[:1] == b"5" else WARN if status[:1] == b"4" else NEUTRAL


def logcat_level(letter: bytes) -> int:
    return _LOGCAT_LEVEL.get(letter, NEUTRAL)


def line_level(content: bytes, file_format: str) -> int:
    """The built-in level class of one line of a file of ``file_format``."""
    if file_format == JSON:
        obj = parse_json_object(content)
        if obj is not None:
            return json_level(obj)
    elif file_format == ACCESS:
        match = ACCESS_LINE_RE.match(content)
        if match:
            return access_level(match.group(1))
    elif file_format == LOGCAT:
        match = LOGCAT_LINE_RE.match(content)
        if match:
            return logcat_level(match.group(1) or match.group(2))
    return token_level(content)


def line_format(content: bytes) -> str:
    """Which format one line looks like (used to sniff a file's format from its head)."""
    if content.startswith(b"{") and parse_json_object(content) is not None:
        return JSON
    if ACCESS_LINE_RE.match(content):
        return ACCESS
    if LOGCAT_LINE_RE.match(content):
        return LOGCAT
    if _APACHE_ERROR_LINE_RE.match(content):
        return APACHE_ERROR
    if _LOGFMT_LINE_RE.match(content):
        return LOGFMT
    return PLAIN


SNIFF_LINES = 50


def sniff_format(head: bytes) -> str:
    """Guess a file's format from its first (decompressed) bytes: the majority of its lines.

    Lines that look like nothing in particular vote "plain"; ties go to "plain".
    """
    votes: dict[str, int] = {}
    for line in head.split(b"\n")[:SNIFF_LINES]:
        content = line.rstrip(b"\r")
        if content.strip():
            kind = line_format(content)
            votes[kind] = votes.get(kind, 0) + 1
    if not votes:
        return PLAIN
    best = max(votes.values())
    winners = [kind for kind in FORMATS if votes.get(kind) == best]
    return PLAIN if PLAIN in winners else winners[0]


# ---------------------------------------------------------------------------------------------
# Timestamps.

_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        (
            b"Jan",
            b"Feb",
            b"Mar",
            b"Apr",
            b"May",
            b"Jun",
            b"Jul",
            b"Aug",
            b"Sep",
            b"Oct",
            b"Nov",
            b"Dec",
        )
    )
}
TIMESTAMP_PREFIX_BYTES = 160  # timestamps sit near the start of a line

_APACHE_TS = re.compile(
    rb"\[[A-Z][a-z]{2} ([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d\d):(\d\d):(\d\d)(?:\.(\d+))? (\d{4})\]"
)
_SYSLOG_TS = re.compile(rb"([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d\d):(\d\d):(\d\d)(?:\.(\d+))?(?=\s)")
_SPARK_TS = re.compile(rb"(\d\d)/(\d\d)/(\d\d) (\d\d):(\d\d):(\d\d)(?=\s)")
_HDFS_TS = re.compile(rb"(\d\d)(\d\d)(\d\d) (\d\d)(\d\d)(\d\d)(?=\s)")
_LOGCAT_TS = re.compile(rb"(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d+))?(?=\s)")
_ACCESS_TS = re.compile(rb"\[(\d\d)/([A-Z][a-z]{2})/(\d{4}):(\d\d):(\d\d):(\d\d) ([+-]\d{4})\]")
_ISO_TS = re.compile(
    rb"(?<!\d)(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:[.,](\d+))?(Z|[+-]\d\d:?\d\d)?"
)
_BGL_TS = re.compile(rb"(?<!\d)(\d{4})-(\d\d)-(\d\d)-(\d\d)\.(\d\d)\.(\d\d)(?:\.(\d+))?")
_JSON_TS = re.compile(rb'"(?:ts|time|timestamp|@timestamp)"\s*:\s*"([^"\n]{1,64})"')


def _render(year, month, day, hour, minute, second, fraction=None, offset=None) -> str | None:
    numbers = (int(year), int(month), int(day), int(hour), int(minute), int(second))
    y, mo, d, h, mi, s = numbers
    if not (1 <= mo <= 12 and 1 <= d <= 31 and h < 24 and mi < 60 and s < 61):
        return None
    text = f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}"
    if fraction:
        text += "." + fraction[:9].decode()  # nanoseconds at most, however many digits
    if offset:
        offset = offset.decode()
        if offset != "Z" and ":" not in offset:
            offset = offset[:3] + ":" + offset[3:]
        text += offset
    return text


def line_timestamp(content: bytes, year: int) -> str:
    """The line's timestamp as ISO-8601, or "" when it has none we recognise.

    ``year`` fills in layouts that do not write one (syslog, logcat): pass the file's mtime year.
    """
    head = content[:TIMESTAMP_PREFIX_BYTES]
    if head.startswith(b"{"):
        match = _JSON_TS.search(head)
        if match:
            iso = _ISO_TS.match(match.group(1))
            if iso:
                return _render(*iso.groups()) or ""
    if head.startswith(b"["):
        match = _APACHE_TS.match(head)
        if match:
            mon, day, hh, mm, ss, frac, yy = match.groups()
            month = _MONTHS.get(mon)
            if month:
                return _render(yy, month, day, hh, mm, ss, frac) or ""
    match = _SYSLOG_TS.match(head)
    if match and match.group(1) in _MONTHS:
        mon, day, hh, mm, ss, frac = match.groups()
        return _render(year, _MONTHS[mon], day, hh, mm, ss, frac) or ""
    match = _SPARK_TS.match(head)
    if match:
        yy, mo, dd, hh, mm, ss = match.groups()
        return _render(2000 + int(yy), mo, dd, hh, mm, ss) or ""
    match = _HDFS_TS.match(head)
    if match:
        yy, mo, dd, hh, mm, ss = match.groups()
        return _render(2000 + int(yy), mo, dd, hh, mm, ss) or ""
    match = _LOGCAT_TS.match(head)
    if match:
        mo, dd, hh, mm, ss, frac = match.groups()
        return _render(year, mo, dd, hh, mm, ss, frac) or ""
    match = _ACCESS_TS.search(head)
    if match and match.group(2) in _MONTHS:
        dd, mon, yy, hh, mm, ss, offset = match.groups()
        return _render(yy, _MONTHS[mon], dd, hh, mm, ss, None, offset) or ""
    match = _ISO_TS.search(head)
    if match:
        return _render(*match.groups()) or ""
    match = _BGL_TS.search(head)
    if match:
        return _render(*match.groups()) or ""
    return ""


# ---------------------------------------------------------------------------------------------
# Learned line headers: the fast, exact path for "plain"-family files.
#
# Most layouts write the same header shape before the level on every line (timestamp, host,
# pid, logger...). From the sniffed lines we learn that shape as a regex whose every possible
# match is free of level tokens (no uppercase word but fixed literals, no "[letters]", no "=" but
# in fixed key names), so a line that matches "header + token" has exactly that token as its
# first one. One whole-block findall then classifies all regular lines; the few others (stack
# traces, odd lines) go through the per-line rule.

_HEADER_ELEMENT_RE = re.compile(
    rb"(?P<key>[A-Za-z_][\w.\-]*=)|(?P<cap>[A-Z][a-z]+)|(?P<upper>[A-Z]+)|(?P<lower>[a-z]+)"
    rb"|(?P<digits>\d+)|(?P<spaces> +)|(?P<other>.)",
    re.DOTALL,
)
_ELEMENT_PATTERN = {
    "cap": rb"[A-Z][a-z]+",
    "lower": rb"[a-z]+",
    "digits": rb"\d+",
    "spaces": rb" +",
}
_LEVEL_KEYS = (b"level=", b"lvl=", b"severity=")
_TOKEN_AT = {
    "bare": rf"({_UPPER_ALT})(?=[\s\]):>|,;]|$)",
    "bracketed": _BRACKETED,
    "keyed": rf"(?:level|lvl|severity)=[\"']?((?i:{_WORD_ALT}))(?=[\"'\s]|$)",
}
MIN_HEADER_VOTES = 3


@dataclass(frozen=True)
class HeaderShape:
    """A learned header regex; ``block_re`` runs over b"\\n" + a block of whole lines."""

    pattern: bytes
    block_re: re.Pattern[bytes]
    irregular_re: re.Pattern[bytes]


def header_pattern(content: bytes) -> tuple[bytes, str] | None:
    """The generalised header regex of one line and the form of its first token, or None when
    the line has no token or its header cannot be generalised safely."""
    if CONTINUATION_RE.match(content):
        return None
    match = LEVEL_TOKEN_RE.search(content)
    if match is None:
        return None
    bare, bracketed, keyed = match.groups()
    form = "bare" if bare else "bracketed" if bracketed else "keyed"
    parts: list[bytes] = []
    kinds: list[str] = []
    previous_kind = ""
    for element in _HEADER_ELEMENT_RE.finditer(content, 0, match.start()):
        kind = element.lastgroup or "other"
        text = element.group()
        if kind == "key":
            if any(text.lower().endswith(level_key) for level_key in _LEVEL_KEYS):
                return None
            parts.append(re.escape(text))
        elif kind == "upper":
            if text.lower() in LEVEL_OF_WORD:
                return None
            parts.append(re.escape(text))
        elif kind == "other":
            if text == b"=" or text == b"\n":
                return None
            if text == b"]" and previous_kind in ("cap", "upper", "lower", "key"):
                return None  # "[" letters "]" could be a bracketed level in another line
            parts.append(re.escape(text))
        else:
            parts.append(_ELEMENT_PATTERN[kind])
        kinds.append(kind if kind != "other" else "other:" + text.decode("latin-1"))
        previous_kind = kind
    if previous_kind in ("cap", "upper", "lower", "digits", "key") or not parts:
        return None  # the token's left delimiter must be a fixed byte of the header
    guard = b"" if _cannot_start_continuation(kinds) else CONTINUATION_GUARD
    return guard + b"".join(parts), form


CONTINUATION_GUARD = b"(?!" + CONTINUATION_PATTERN.encode() + b")"


def _cannot_start_continuation(kinds: list[str]) -> bool:
    """True when no line matching a header that starts with these elements can be a
    continuation line, so the (costly) continuation guard can be left out.

    Continuation lines start with a blank, "Caused by: ", "Traceback (" or a class name made of
    [A-Za-z0-9_$.] ending in Exception/Error/Throwable (two capitals at least). A header starting
    with digits or punctuation cannot; nor can "Word  <digits>" (one capital, then a blank).
    """
    first = kinds[0]
    if first == "digits":
        return True
    if first.startswith("other:"):
        return first[6:] not in " \t_$"
    return first == "cap" and kinds[1:3] == ["spaces", "digits"]


def learn_header(head: bytes) -> HeaderShape | None:
    """The most common safe header shape among the sniffed lines, if enough lines share it."""
    votes: Counter[tuple[bytes, str]] = Counter()
    for line in head.split(b"\n")[:-1][:SNIFF_LINES]:
        shape = header_pattern(line[:-1] if line.endswith(b"\r") else line)
        if shape:
            votes[shape] += 1
    if not votes:
        return None
    (pattern, form), count = votes.most_common(1)[0]
    if count < MIN_HEADER_VOTES:
        return None
    anchored = pattern + _TOKEN_AT[form].encode()
    return HeaderShape(
        pattern=pattern,
        block_re=re.compile(b"\n(?:" + anchored + b")?"),
        irregular_re=re.compile(b"\n(?!" + anchored + b")"),
    )
