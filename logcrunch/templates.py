"""Error and warning templates: what a line says, with its variable parts replaced by ``<*>``.

A template is a pure function of one line (and its file's format), so per-file counts merge
exactly across byte ranges, files and workers, whatever the order. The C scanner implements the
same rules (``_fastscan.c``); the tests compare the two on generated lines.

The message is the line after its layout's header: after the level token (and, when the line
starts with the level and a colon, a ``logger:`` right after it: Python logging's default
``ERROR:app.db:msg``) and the bytes in MESSAGE_SKIP that follow it, a bracketed thread or
component name right there becoming ``[<*>]`` (``ERROR [main] x: msg`` -> ``[<*>] x: msg``; brackets
with nothing between them are one: Asterisk's ``[12345][C-00000001]``) and nginx's
``, client: ...`` context trailer cut off; for glog lines after
the first ``"] "``; for a PRI line, a line with no level token (an error by --error-pattern) or a
level token that ends the line, after the stamp it starts with and a ``host program[pid]: `` tag
(RFC 5424: its five header fields; Proxifier: ``program - target ``). JSON lines: the ``msg`` or
``message`` field. Access logs: ``METHOD /path/with/<*>/segments STATUS`` (query dropped).
logcat: after the priority letter.

The message, at most TEMPLATE_INPUT_BYTES of it, is then read left to right:

* runs of blanks become one space; leading and trailing blanks go;
* a message that starts with a quoted string (klog's structured ``"Failed to x" err=...``) keeps
  it as text (its quotes too); any other quoted string (``"..."``, or ``'...'`` whose opening quote
  does not follow a letter or digit; a backslash escapes the next byte) becomes ``<*>``; an
  unclosed quote is an ordinary byte;
* each of ``,;()[]{}<>|`` is kept as is and separates tokens;
* a token ``key=value`` (key ``[A-Za-z_][\\w.-]*``) keeps ``key=`` and replaces the value (to the
  next blank, without one trailing ``,`` or ``;``; or a quoted string) by ``<*>``; the values of
  ``msg=`` and ``message=`` are text and are read like the message (a quoted one keeps its quotes);
* any other token holding a digit (numbers, hex, IPs and ports, UUIDs, ``blk_-160899``, ``vol12``,
  ``12ms``), any path or URL (starting ``/x``, ``~/``, ``./``, ``C:\\``, or holding ``://``), any
  dotted name (a ``.`` between two letters or digits: ``proxy.example.com``, ``cron.service``),
  any snake_case name (a ``_`` between two letters or digits: ``disk_failure_policy``,
  ``basic_ncsa_auth``) and any HTTP method becomes ``<*>``; other tokens are kept;
* a token followed right away by a bracketed list of numbers (``cn[01-04,7]``, ``node[3]``) is,
  with the list, one ``<*>``;
* a word (a token the rules above keep) right between ``[`` and ``]`` or ``(`` and ``)``
  (``[dispatcherServlet]``, ``(localhost)``) becomes ``<*>``;
* a word right after a blank after one of the NAME_KEYS (``user``, ``queue``, ``host``, ...,
  compared in lower case, itself a kept word) names something and becomes ``<*>``
  (``for user jdoe``, ``queue webhooks is full``), unless it is one of the NAME_STOP words
  (``is``, ``not``, ``the``, ``full``, ...), ends in ``ed`` or ``ing`` (any case: a verb, as in
  ``Container killed``) or is Title-case (``Service Control Manager``);
* a ``<*>`` right after another (a blank between them or not) is dropped, so a variable-length
  list of numbers is one ``<*>``.

At most TEMPLATE_MAX_BYTES of template are kept. Texts are bytes until ``template_text``.
"""

from __future__ import annotations

import re

from logcrunch import formats, stamps
from logcrunch.patterns import LazyPattern

TEMPLATE_INPUT_BYTES = 2048
TEMPLATE_MAX_BYTES = 1024
EXAMPLE_MAX_BYTES = 1024
MESSAGE_SKIP = b" \t:-|]>,;)\"'"  # bytes between a level token and its message
WILDCARD = b"<*>"

_BLANK = frozenset(b" \t\r\n\v\f")
_DELIMITERS = frozenset(b",;()[]{}<>|")
_WORD = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
_DIGITS = frozenset(b"0123456789")
_KEY_RE = LazyPattern(rb"[A-Za-z_][\w.\-]*")
# A token that is a path or a URL is a variable even without a digit.
_PATH_RE = LazyPattern(rb"/[^/\s]|~/|\./|[A-Za-z]:\\")
# A dotted name (host, package, unit, file, class: proxy.example.com, com.whatsapp, cron.service)
# is a variable too: a '.' between two letters or digits.
_DOTTED_RE = LazyPattern(rb"[A-Za-z0-9]\.[A-Za-z0-9]")
# So is a snake_case name (a config key, function, program or error atom: disk_failure_policy,
# heartbeat_check, basic_ncsa_auth, connection_closed): a '_' between two letters or digits.
_SNAKE_RE = LazyPattern(rb"[A-Za-z0-9]_[A-Za-z0-9]")
# Nouns after which a word names something (a user, a queue, a host): the word is a variable.
NAME_KEYS = frozenset(b"""user users tenant queue queues host hosts node nodes service services server
    servers servlet table tables database db column backend handler topic bucket volume pool channel
    account group role client container pod namespace job task process program device dev interface
    domain zone cluster index project application app""".split())
# Words that stay text after a NAME_KEYS word (what follows a noun that is not a name).
NAME_STOP = frozenset(b"""a an the and or of to in on for with at from by as that this it is are was
    were be been not no has have had name id full empty down up failed error unknown request timeout
    timed already does did cannot can could will would may must should still now then
    authentication session sessions agent key keys data list status state count size limit mode type
    info access login password credentials names ids address port config configuration settings
    metadata permissions quota memory disk connection connections lookup load""".split())
_NAME_SUFFIXES = (b"ed", b"ing")
_CLOSING = {91: 93, 40: 41}  # [ ] and ( ): a word right between them is a variable
_LIST_BYTES = frozenset(b"0123456789,-")
HTTP_METHODS = frozenset((b"GET", b"POST", b"PUT", b"DELETE", b"PATCH", b"HEAD", b"OPTIONS"))
NGINX_CONTEXT = b", client: "  # nginx error lines: the request context trailer starts here
MAX_BRACKET_BYTES = 512
_TEXT_KEYS = (b"msg", b"message")
_LOGGER_RE = LazyPattern(rb"[\w.\-]+:")
_TAG_RE = LazyPattern(rb"[ \t]*\S+ [\w./()\-]+(?:\[\d+\])?: ")
# RFC 5424 after its stamp: HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA.
_RFC5424_RE = LazyPattern(rb" \S+ \S+ \S+ \S+ (?:-|(?:\[[^\]]*\])+) ?")
_RFC5424_START_RE = LazyPattern(rb"<\d{1,3}>\d{1,2} ")
_CONTROL_RE = LazyPattern(r"[\x00-\x1f\x7f]")


def _quoted_end(text: bytes, start: int) -> int:
    """Index past the quote closing the string opened at ``start``, or -1 when it is not closed."""
    quote = text[start]
    i = start + 1
    n = len(text)
    while i < n:
        c = text[i]
        if c == 92:  # backslash
            i += 2
            continue
        if c == quote:
            return i + 1
        i += 1
    return -1


def _list_end(text: bytes, at: int) -> int:
    """Index past a ``[n,n-n]`` list of numbers starting at ``at``, or -1."""
    if at >= len(text) or text[at] != 91:
        return -1
    k = at + 1
    while k < len(text) and text[k] in _LIST_BYTES:
        k += 1
    return k + 1 if k > at + 1 and k < len(text) and text[k] == 93 else -1


def _is_name(word: bytes) -> bool:
    """Whether a word after a NAME_KEYS word names something (see the module docstring)."""
    lower = word.lower()
    if lower in NAME_STOP or lower.endswith(_NAME_SUFFIXES):
        return False
    # Title-case (a capital, then at least one small letter and no capital): a proper noun.
    return not (65 <= word[0] <= 90 and word[1:].islower())


def mask(message: bytes) -> bytes:
    """The template of a message (see the module docstring)."""
    text = message[:TEMPLATE_INPUT_BYTES]
    out = bytearray()
    n = len(text)
    i = 0
    space = False  # a blank is pending before the next output
    text_quote = 0  # the quote byte closing a msg="..." value being read as text, or 0
    if n and text[0] == 34 and _quoted_end(text, 0) > 0:  # a quoted message (klog): its text
        out.append(34)
        text_quote = 34
        i = 1

    name_key = False  # the previous piece is a NAME_KEYS word (a kept word token)

    def emit(piece: bytes) -> None:
        nonlocal space, name_key
        name_key = False
        if piece == WILDCARD and out.endswith(WILDCARD):
            space = False
            return
        if space and out:
            out.append(32)
        space = False
        out.extend(piece)

    while i < n:
        c = text[i]
        if c in _BLANK:
            space = True
            i += 1
            continue
        if text_quote and c == text_quote:
            emit(bytes((c,)))
            text_quote = 0
            i += 1
            continue
        if c == 34 or (c == 39 and (i == 0 or text[i - 1] not in _WORD)):
            end = _quoted_end(text, i)
            if end > 0:
                emit(WILDCARD)
                i = end
                continue
        if c in _DELIMITERS:
            emit(bytes((c,)))
            i += 1
            continue
        j = i
        while j < n and text[j] not in _BLANK and text[j] not in _DELIMITERS and text[j] != 34 \
                and not (text_quote and text[j] == text_quote):
            j += 1
        if j == i:  # a lone quote byte (unclosed, or a ' after a letter)
            emit(bytes((c,)))
            i += 1
            continue
        token = text[i:j]
        equals = token.find(b"=")
        if equals > 0 and _KEY_RE.fullmatch(token, 0, equals):
            key = token[:equals]
            value_at = i + equals + 1
            if key in _TEXT_KEYS:
                emit(token[: equals + 1])
                if value_at < n and text[value_at] in (34, 39) and not text_quote:
                    text_quote = text[value_at]
                    out.append(text_quote)
                    value_at += 1
                i = value_at
                continue
            emit(key + b"=")
            if value_at < n and text[value_at] in (34, 39):
                end = _quoted_end(text, value_at)
                if end > 0:
                    emit(WILDCARD)
                    i = end
                    continue
            end = value_at
            while end < n and text[end] not in _BLANK and not (text_quote and text[end] == text_quote):
                end += 1
            trailing = end > value_at and text[end - 1] in (44, 59)  # , or ;
            emit(WILDCARD)
            if trailing:
                emit(text[end - 1 : end])
            i = end
            continue
        listed = _list_end(text, j)
        if listed > 0:  # cn[01-04,7]: the name and its list
            emit(WILDCARD)
            i = listed
            continue
        if any(b in _DIGITS for b in token) or _PATH_RE.match(token) or b"://" in token \
                or _DOTTED_RE.search(token) or token in HTTP_METHODS or _SNAKE_RE.search(token) \
                or (i > 0 and j < n and _CLOSING.get(text[i - 1]) == text[j]) \
                or (name_key and space and _is_name(token)):
            emit(WILDCARD)
        else:
            emit(token)
            name_key = token.lower() in NAME_KEYS
        i = j
    return bytes(out[:TEMPLATE_MAX_BYTES])


def after_header(content: bytes) -> bytes:
    """A line without a level token (or a PRI line): after its leading stamp and a
    ``host program[pid]: `` tag (Proxifier: its ``program - target `` header)."""
    proxifier = formats.PROXIFIER_HEADER_RE.match(content)
    if proxifier:
        return content[proxifier.end():]
    end = stamps.leading_stamp_end(content)
    if end <= 0:
        return content
    rest = content[end:]
    tag = (_RFC5424_RE if _RFC5424_START_RE.match(content) else _TAG_RE).match(rest)
    return rest[tag.end():] if tag else rest


def message_of(content: bytes, level_start: int, level_end: int, has_token: bool) -> bytes:
    """The message of a plain-family line whose token rule gave [level_start, level_end)."""
    if not has_token:
        return after_header(content)
    if level_start == 0 and level_end == 1:  # glog: the header ends at "] "
        header_end = content.find(b"] ")
        return content[header_end + 2:] if header_end > 0 else content[1:]
    if level_start == 0 and content[:1] == b"<":  # PRI
        return after_header(content)
    end = level_end
    n = len(content)
    if level_start == 0 and content[end : end + 1] == b":":  # Python's LEVEL:logger:message
        logger = _LOGGER_RE.match(content, end + 1)
        if logger:
            end = logger.end()
    while end < n and content[end] in MESSAGE_SKIP:
        end += 1
    if end >= n:
        return after_header(content)
    message = content[end:]
    if message[:1] == b"[":  # a thread or component name: [main], [QuorumPeer[myid=1]/...]
        close = _bracket_end(message)
        while close > 0 and message[close : close + 1] == b"[":  # and the ones right after it
            more = _bracket_end(message[close:])
            if more < 0:
                break
            close += more
        if close > 0:
            message = WILDCARD_BRACKET + message[close:]
    context = message.find(NGINX_CONTEXT)
    return message[:context] if context >= 0 else message


WILDCARD_BRACKET = b"[<*>]"


def _bracket_end(text: bytes) -> int:
    """Index past the "]" closing the "[" at text[0] (nested brackets count), or -1 when it is
    not closed within MAX_BRACKET_BYTES."""
    depth = 0
    for index in range(min(len(text), MAX_BRACKET_BYTES)):
        byte = text[index]
        if byte == 91:
            depth += 1
        elif byte == 93:
            depth -= 1
            if depth == 0:
                return index + 1
    return -1


def line_message(content: bytes, file_format: str) -> bytes:
    """The message of one line of a file of ``file_format``: what its template masks (for an
    access-log line, its request and status; see access_template)."""
    if file_format == formats.JSON:
        obj = formats.parse_json_object(content)
        if obj is not None:
            for key in ("msg", "message"):
                value = obj.get(key)
                if isinstance(value, str):
                    return value.encode("utf-8", "surrogatepass")
            return content
    elif file_format == formats.LOGCAT:
        match = formats.LOGCAT_LINE_RE.match(content)
        if match:
            return content[match.end():]
    level, start, end = formats.find_level(content)
    return message_of(content, start, end, level != formats.NONE)


def line_template(content: bytes, file_format: str) -> bytes:
    """The template of one line of a file of ``file_format`` (the reference for the scanners)."""
    if file_format == formats.ACCESS:
        match = formats.ACCESS_LINE_RE.match(content)
        if match:
            return access_template(content, match)
    return mask(line_message(content, file_format))


_REQUEST_RE = LazyPattern(rb'\[[^\]\n]*\] "([^"\n]*)"')


def access_template(content: bytes, match: re.Match[bytes]) -> bytes:
    """``METHOD /path/<*>/x STATUS`` of an access-log line: path segments with a digit masked,
    the query dropped."""
    request = _REQUEST_RE.search(content, 0, match.end())
    parts = request.group(1).split(b" ") if request else []
    method = parts[0] if parts and parts[0].isalpha() else WILDCARD
    path = parts[1] if len(parts) > 1 else b""
    path = path.split(b"?", 1)[0][:TEMPLATE_INPUT_BYTES]
    segments = [WILDCARD if any(b in _DIGITS for b in s) else s for s in path.split(b"/")]
    return b" ".join((method, b"/".join(segments), match.group(1)))[:TEMPLATE_MAX_BYTES]


def template_text(raw: bytes) -> str:
    """A template or example line as report text: UTF-8 (invalid bytes as ``\\xNN``), control
    characters as ``\\xNN``."""
    text = raw.decode("utf-8", "backslashreplace")
    if _CONTROL_RE.search(text):
        text = _CONTROL_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    return text


def example_text(content: bytes) -> str:
    return template_text(content[:EXAMPLE_MAX_BYTES])
