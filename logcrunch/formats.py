"""What a log line means: its level, per-format line rules, format sniffing.

Everything here works on one line's content as bytes (the line without its ``\\n`` / ``\\r\\n``),
so the C scanner, the pure-Python scanner and the per-line reference in the tests share one
definition of each rule. Timestamps are in ``logcrunch.stamps``, templates in
``logcrunch.templates``.

A line's level is that of its FIRST level token (leftmost), in one of these spellings:

* a bare UPPERCASE word (``ERROR``, ``WARN``, ``INFO``, ``WRN``, ...) that starts the line or
  follows whitespace or one of ``[(<|,;`` and ends the line or is followed by whitespace or
  ``]):>|,;``;
* a bracketed word in any case, optionally after a module name: ``[error]``, ``[core:warn]``,
  ``[WRN]``;
* a logfmt level pair, value in any case and optionally quoted: ``level=error``, ``lvl="WARN"``,
  ``severity=fatal``, ``lvl=eror`` (the key starts the line or follows whitespace);
* in the level position (right after the stamp the line starts with and any of `` ,|-``):
  a Title-case word (``Error``, ``Warning``, ``Info``: Windows CBS, .NET; also at the line's
  start), followed by the end of the line or one of the bytes that may follow a bare word; an
  UPPERCASE word directly followed by ``[`` (Asterisk's ``WARNING[12345][C-00000001]``); a
  single-letter severity followed by a blank (MongoDB's ``W NETWORK``, GlusterFS's ``E [...]``:
  F E C error, W warning, I N D T other); an Exim message id and its delivery flag
  (``1abcDE-000123-AB ** ...``: ``**`` failed, an error; ``==`` deferred, a warning;
  ``<=`` ``=>`` ``->`` ``*>`` other); a Ceph thread id in hex and the priority ``-1`` (derr: an
  error; Ceph's other priorities are no level);
* a lowercase or Title-case word and a colon, perhaps after one blank (``error:``, ``fatal:``,
  ``warning:``, ``Error:``; also .NET's ``fail:``, ``crit:``, ``dbug:``, ``trce:``) at the line's
  start, in the level position (Slurm's ``[2026-11-27T02:00:01.123] error: ...``), right after
  ``": "`` that follows a non-blank byte (a syslog program tag: ``sshd[24324]: error: ...``,
  Dovecot's ``imap(user)<1><a>: Error: ...``), or after Proxifier's
  ``[mm.dd hh:mm:ss] program - target `` header, followed by a blank or the end of the line;
* at the line's start only: a glog/klog prefix (``E1127 12:00:00``: I info, W warning, E and F
  error), a syslog PRI (``<11>``: severity PRI % 8, 0-3 error, 4 warning, 5-7 other) or
  ``dmesg --decode``'s ``facility :level :`` (``kern  :err   : ...``).

The level words: error err fatal critical crit severe alert emergency emerg panic failure eror
ftl (error); warning warn wrn (warning); information info debug trace notice verbose finest
finer fine inf dbg trc vrb (other). "information" has no bare UPPERCASE form.

Stack-trace continuation lines (indented, "Caused by: ", an exception class name first) have no
level. Files sniffed as ``json``, ``access`` or ``logcat`` first try their own rule on each line
(the ``level`` field, the HTTP status, the logcat priority letter); lines that do not fit it fall
back to the token rule above. A line whose level word is of neither class (``INFO``, ``debug``)
has a recognised level, "other" (NEUTRAL); a line with no token has none (NONE).
"""

from __future__ import annotations

import json
from fractions import Fraction

from logcrunch import stamps
from logcrunch.patterns import LazyPattern
from logcrunch.summary import int_is_kept, parse_number

ERROR = 2
WARN = 1
NEUTRAL = 0  # a recognised level of neither class ("other")
NONE = -1  # no recognised level

# With the three-letter abbreviations of Serilog, zerolog and Ceph's cluster log (ERR FTL WRN INF
# DBG TRC VRB) and log15's "eror".
ERROR_WORDS = (
    "error", "err", "fatal", "critical", "crit", "severe", "alert",
    "emergency", "emerg", "panic", "failure", "eror", "ftl",
)  # fmt: skip
WARN_WORDS = ("warning", "warn", "wrn")
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
    "inf",
    "dbg",
    "trc",
    "vrb",
)

LEVEL_OF_WORD: dict[bytes, int] = {
    **{w.encode(): NEUTRAL for w in NEUTRAL_WORDS},
    **{w.encode(): WARN for w in WARN_WORDS},
    **{w.encode(): ERROR for w in ERROR_WORDS},
}
# The lowercase-colon form also knows .NET's four-letter console levels.
COLON_WORDS: dict[bytes, int] = {**LEVEL_OF_WORD, b"fail": ERROR, b"dbug": NEUTRAL,
                                 b"trce": NEUTRAL}
TITLE_WORDS: dict[bytes, int] = {w.capitalize(): level for w, level in LEVEL_OF_WORD.items()}

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

# The leftmost match in a line's content is its first bare / bracketed / keyed token.
LEVEL_TOKEN_RE = LazyPattern(TOKEN_PATTERN.encode())
CONTINUATION_RE = LazyPattern(CONTINUATION_PATTERN.encode())
# The lookbehind keeps it linear: without it a long run of letters is tried at every offset.
_COLON_RE = LazyPattern(rb"(?<![A-Za-z])([A-Z]?[a-z]+) ?:(?=\s|$)")
# dmesg --decode: "kern  :err   : [...] msg" (facility, level, each padded, then a colon).
_DMESG_DECODED_RE = LazyPattern(rb"[a-z]+ *:([a-z]+) *:(?=\s|$)")
# Single-letter severities in the level position (MongoDB, GlusterFS): F E C error, W warning,
# I N D T other.
_LETTER_LEVEL = {b"F": ERROR, b"E": ERROR, b"C": ERROR, b"W": WARN, b"I": NEUTRAL, b"N": NEUTRAL,
                 b"D": NEUTRAL, b"T": NEUTRAL}
# Proxifier: "[10.30 16:49:06] chrome.exe - proxy.example.com:5070 error : ..."
PROXIFIER_HEADER_RE = LazyPattern(rb"\[\d\d\.\d\d \d\d:\d\d:\d\d\] \S+ - \S+ ")
_TITLE_RE = LazyPattern(rb"[A-Z][a-z]+(?=[\s\]):>|,;]|$)")
_GLOG_RE = LazyPattern(rb"([IWEF])\d{4} \d\d:\d\d:\d\d")
_GLOG_LEVEL = {b"I": NEUTRAL, b"W": WARN, b"E": ERROR, b"F": ERROR}
_PRI_RE = LazyPattern(rb"<(\d{1,3})>(?=\S)")
_LEVEL_SEPARATORS = b" \t,|-"


def level_of_token_groups(groups: tuple[bytes, ...]) -> int:
    """The level class of a LEVEL_TOKEN_RE match's groups."""
    return LEVEL_OF_WORD[b"".join(g for g in groups if g).lower()]


def pri_level(pri: int) -> int:
    """The level class of a syslog PRI (severity = PRI % 8)."""
    severity = pri % 8
    return ERROR if severity <= 3 else WARN if severity == 4 else NEUTRAL


def level_position(content: bytes, lead_end: int | None = None) -> int:
    """Where a Title-case level word may stand besides the line's start: right after the stamp
    the line starts with and its separators; -1 when the line starts with no stamp.
    ``lead_end``: stamps.leading_stamp_end(content), when the caller has it already."""
    end = stamps.leading_stamp_end(content) if lead_end is None else lead_end
    if end <= 0:
        return -1
    while end < len(content) and content[end] in _LEVEL_SEPARATORS:
        end += 1
    return end


def find_level(content: bytes, lead_end: int | None = None) -> tuple[int, int, int]:
    """(level class or NONE, token start, token end) of a line by the token rule; start and end
    are 0 when there is no token. ``lead_end`` as for level_position."""
    if CONTINUATION_RE.match(content):
        return NONE, 0, 0
    glog = _GLOG_RE.match(content)
    if glog:
        return _GLOG_LEVEL[glog.group(1)], 0, 1
    pri = _PRI_RE.match(content)
    if pri and int(pri.group(1)) <= 191:
        return pri_level(int(pri.group(1))), 0, pri.end()
    dmesg = _DMESG_DECODED_RE.match(content)
    if dmesg and dmesg.group(1) in COLON_WORDS:
        return COLON_WORDS[dmesg.group(1)], dmesg.start(1), dmesg.end()
    level, start, end = NONE, len(content) + 1, 0
    match = LEVEL_TOKEN_RE.search(content)
    if match:
        level, start, end = level_of_token_groups(match.groups()), match.start(), match.end()
    position = None  # level_position, computed once when needed
    if start > 0:
        title = _TITLE_RE.match(content, 0)
        if title and title.group() in TITLE_WORDS:
            level, start, end = TITLE_WORDS[title.group()], 0, title.end()
        else:
            position = level_position(content, lead_end)
            if 0 <= position < start:
                found = _position_word(content, position)
                if found is not None:
                    level, end = found
                    start = position
    for colon in _COLON_RE.finditer(content, 0, start):
        at = colon.start()
        word_level = colon_word_level(colon.group(1))
        if word_level == NONE:
            continue
        if position is None:
            position = level_position(content, lead_end)
        if at == 0 or at == position or _after_tag(content, at) or \
                _after_proxifier_header(content, at):
            level, start, end = word_level, at, colon.end()
            break
    if level == NONE:
        return NONE, 0, 0
    return level, start, end


def colon_word_level(word: bytes) -> int:
    """The level of a word of the colon form: a COLON_WORDS word, lowercase or Title-case."""
    if word[:1].isupper():
        word = word[:1].lower() + word[1:]
    return COLON_WORDS.get(word, NONE)


def _position_word(content: bytes, position: int) -> tuple[int, int] | None:
    """(level, end) of a level word in the level position, or None: a Title-case word (as
    _TITLE_RE), an UPPERCASE word directly followed by ``[`` (Asterisk's ``WARNING[1234]``), or
    a single-letter severity followed by a blank (MongoDB's ``W NETWORK``, GlusterFS)."""
    title = _TITLE_RE.match(content, position)
    if title and title.group() in TITLE_WORDS:
        return TITLE_WORDS[title.group()], title.end()
    upper = _UPPER_BRACKET_RE.match(content, position)
    if upper:
        return LEVEL_OF_WORD[upper.group(1).lower()], upper.end(1)
    letter = content[position : position + 1]
    if letter in _LETTER_LEVEL and content[position + 1 : position + 2] in _BLANKS:
        return _LETTER_LEVEL[letter], position + 1
    exim = _EXIM_RE.match(content, position)
    if exim:
        return _EXIM_FLAGS[exim.group(1)], exim.end()
    ceph = _CEPH_RE.match(content, position)
    if ceph:
        return ERROR, ceph.end()
    return None


_UPPER_BRACKET_RE = LazyPattern(rf"({_UPPER_ALT})\[".encode())
# Exim's main log: a message id, then the delivery flag: ** failed (error), == deferred
# (warning), <= => -> *> other.
_EXIM_RE = LazyPattern(rb"[0-9A-Za-z]{6}-(?:[0-9A-Za-z]{11}|[0-9A-Za-z]{6})-(?:[0-9A-Za-z]{4}|"
                      rb"[0-9A-Za-z]{2}) (\*\*|==|<=|=>|->|\*>)(?=\s|$)")
_EXIM_FLAGS = {b"**": ERROR, b"==": WARN, b"<=": NEUTRAL, b"=>": NEUTRAL, b"->": NEUTRAL,
               b"*>": NEUTRAL}
# Ceph: a thread id in hex, then the priority -1 (derr): an error.
_CEPH_RE = LazyPattern(rb"[0-9a-f]{6,16} -1(?=\s)")
_BLANKS = (b" ", b"\t", b"\n", b"\r", b"\f", b"\v")


def _after_tag(content: bytes, at: int) -> bool:
    """True when ``at`` follows ``X: `` with X a non-blank byte: after a syslog tag
    (``sshd[1]: ``, ``kernel: ``, Dovecot's ``imap(user)<1><a>: ``) or any other word."""
    return at >= 3 and content[at - 2 : at] == b": " and content[at - 3] not in _BLANK_BYTES


_BLANK_BYTES = frozenset(b" \t\n\r\f\v")


def _after_proxifier_header(content: bytes, at: int) -> bool:
    header = PROXIFIER_HEADER_RE.match(content)
    return header is not None and header.end() == at


def token_level(content: bytes, lead_end: int | None = None) -> int:
    """The level class of a line by the token rule (NONE when it has no token)."""
    return find_level(content, lead_end)[0]


# ---------------------------------------------------------------------------------------------
# Formats with their own per-line rules.

PLAIN = "plain"
LOGFMT = "logfmt"
APACHE_ERROR = "apache_error"
JSON = "json"
ACCESS = "access"
LOGCAT = "logcat"
FORMATS = (PLAIN, LOGFMT, APACHE_ERROR, JSON, ACCESS, LOGCAT)

ACCESS_LINE_RE = LazyPattern(rb'\S+ \S+ \S+ \[[^\]\n]*\] "[^"\n]*" (\d{3}) (\d+|-)(?=\s|$)')
LOGCAT_LINE_RE = LazyPattern(
    rb"(?:\d\d-\d\d \d\d:\d\d:\d\d\.\d+ +\d+ +\d+ ([VDIWEFAS]) "  # threadtime
    rb"|([VDIWEFAS])/[^(:\n]*\( *\d+\): )"  # brief
)
_LOGCAT_LEVEL = {b"E": ERROR, b"F": ERROR, b"A": ERROR, b"W": WARN}
_APACHE_ERROR_LINE_RE = LazyPattern(rb"\[[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d [\d:.]+ \d{4}\] \[")
_LOGFMT_LINE_RE = LazyPattern(rb"[A-Za-z_][\w.\-]*=\S*( [A-Za-z_][\w.\-]*=)")
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

    Strings are looked up in any case (one that is no level word is no level); numbers follow
    the pino/bunyan scale (40 warn, 50+ error, below 40 other); a number outside the kept range
    is no level. The first of the keys present decides.
    """
    for key in _JSON_LEVEL_KEYS:
        value = obj.get(key)
        if isinstance(value, str):
            return LEVEL_OF_WORD.get(value.strip().lower().encode(), NONE)
        if isinstance(value, _DecimalText):
            try:
                value = parse_number(value)
            except ValueError:
                return NONE
        if isinstance(value, int | Fraction) and not isinstance(value, bool):
            return ERROR if value >= 50 else WARN if value >= 40 else NEUTRAL
    return NONE


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
    """The built-in level class of one line of a file of ``file_format`` (NONE: no level)."""
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


