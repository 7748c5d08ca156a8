"""Line timestamps: which layouts are read, and how each becomes one UTC instant.

``parse_stamp(content)`` finds the stamp a line starts with (the fields as written);
``Clock`` turns those fields into UTC under the run's rules. Both are pure; the C scanner
(``_fastscan.c``) implements the same parse and the tests compare the two line by line.

Layouts tried in this order; the first that fits is the line's stamp (anchored at the line's
start unless said otherwise):

1. JSON lines: a ``"ts"`` / ``"time"`` / ``"timestamp"`` / ``"@timestamp"`` field holding an ISO
   text or epoch seconds/milliseconds (within the first TIMESTAMP_PREFIX_BYTES bytes).
2. A syslog PRI ``<N>`` (and RFC 5424's version digit), then any layout below.
3. ``[yyyy-mm-dd[T ]hh:mm:ss[.,f][zone]]`` (Slurm, Airflow, gunicorn's ``[... +0000]``);
   ``[Www Mmm dd hh:mm:ss[.f] yyyy]`` (Apache error log); ``[MM.DD hh:mm:ss]`` (Proxifier);
   ``[Mmm dd hh:mm:ss[.f]]`` (Asterisk, yearless).
4. ``Mmm dd hh:mm:ss[.f]`` (syslog, yearless); ``Lmmdd hh:mm:ss.f`` (glog/klog, yearless).
5. ``yyyy-mm-dd[T ]hh:mm:ss[.,f][Z|[ ]+hh:mm|[ ]+hhmm]`` (ISO 8601; one blank may stand before
   a numeric offset: Serilog, Go); ``yyyy-mm-dd-hh.mm.ss[.f]``
   (BGL); ``yyyy.mm.dd[ -T]hh:mm:ss[.f]``; ``yyyy/mm/dd hh:mm:ss[.f]`` (Go, nginx);
   ``yyyymmdd-hh:mm:ss[:.]f`` (HealthApp); ``yy/mm/dd hh:mm:ss`` (Spark); ``yymmdd hhmmss``
   (HDFS); ``mm-dd hh:mm:ss[.f]`` (Android logcat, yearless); ``[ ...]pid:yyyymmdd:hhmmss.mmm``
   (Zabbix, the pid padded with blanks).
6. Epoch seconds (10 digits, optional fraction) or milliseconds (13 digits) between 2000 and
   2100, as the line's first or second field (BGL and Thunderbird put an alert tag first).
7. Searched anywhere in the first TIMESTAMP_PREFIX_BYTES bytes: ``[dd/Mmm/yyyy:hh:mm:ss +zzzz]``
   (access logs), then ISO 8601, then BGL's form.

A stamp must be followed by a byte that cannot continue it (end of line, a blank, or
punctuation), and its fields must make a real date and time (seconds 0-59), else it is none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from logcrunch.patterns import LazyPattern

TIMESTAMP_PREFIX_BYTES = 160  # stamps sit near the start of a line
EPOCH_FIRST = 946684800  # 2000-01-01T00:00:00Z
EPOCH_END = 4102444800  # 2100-01-01T00:00:00Z
MAX_FRACTION_DIGITS = 9
NAIVE = None  # Stamp.offset of a stamp without a zone: read in the run's --timezone
FIRST_YEAR = 1000  # written years outside FIRST_YEAR..LAST_YEAR are no stamp (their UTC could
LAST_YEAR = 9998  # leave the 4-digit years); a yearless stamp's threshold stays inside too

_MONTHS = {name: number for number, name in enumerate(
    (b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
     b"Dec"), start=1)}
_MON = rb"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_END = rb"(?=[\s,;|\]\[)(:\-]|$)"  # what may follow a stamp
_FRACTION = rb"(?:[.,](\d+))?"  # digits past the ninth are dropped
# A numeric offset may follow one blank (Serilog's "10:00:00.123 +01:00", Go's, gunicorn's).
_ZONE = rb"(Z| ?[+-]\d\d:?\d\d)?"
_TIME = rb"(\d\d):(\d\d):(\d\d)"


@dataclass(frozen=True, slots=True)
class Stamp:
    """A stamp's fields as written. year 0: the layout writes none (resolved per file);
    offset: minutes east of UTC, or None (NAIVE) when the stamp names no zone."""

    year: int
    month: int
    day: int
    hour: int
    minute: int
    second: int
    fraction: bytes = b""
    offset: int | None = NAIVE


def _offset(text: bytes | None) -> int | None:
    if not text:
        return NAIVE
    if text == b"Z":
        return 0
    text = text.lstrip(b" ")
    sign = -1 if text[:1] == b"-" else 1
    digits = text[1:].replace(b":", b"")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if hours > 23 or minutes > 59:
        raise ValueError("bad offset")
    return sign * (hours * 60 + minutes)


def _epoch(seconds: int, fraction: bytes) -> Stamp | None:
    if not EPOCH_FIRST <= seconds < EPOCH_END:
        return None
    moment = datetime(1970, 1, 1) + timedelta(seconds=seconds)
    return Stamp(moment.year, moment.month, moment.day, moment.hour, moment.minute,
                 moment.second, fraction, 0)


# Anchored layouts: (regex, builder of the Stamp from the match groups).
_ISO = LazyPattern(rb"(\d{4})-(\d\d)-(\d\d)[T ]" + _TIME + _FRACTION + _ZONE + _END)
_BGL = LazyPattern(rb"(\d{4})-(\d\d)-(\d\d)-(\d\d)\.(\d\d)\.(\d\d)" + _FRACTION + _END)
_DOTTED = LazyPattern(rb"(\d{4})\.(\d\d)\.(\d\d)[ T\-]" + _TIME + _FRACTION + _END)
_SLASHED = LazyPattern(rb"(\d{4})/(\d\d)/(\d\d)[ T]" + _TIME + _FRACTION + _END)
_COMPACT = LazyPattern(rb"(\d{4})(\d\d)(\d\d)[\-T ]" + _TIME + rb"(?:[:.,](\d+))?" + _END)
_SPARK = LazyPattern(rb"(\d\d)/(\d\d)/(\d\d) " + _TIME + _END)
_HDFS = LazyPattern(rb"(\d\d)(\d\d)(\d\d) (\d\d)(\d\d)(\d\d)" + _END)
_LOGCAT = LazyPattern(rb"(\d\d)-(\d\d) " + _TIME + _FRACTION + _END)
_SYSLOG = LazyPattern(_MON + rb" ([ \d]\d) " + _TIME + _FRACTION + _END)
_GLOG = LazyPattern(rb"[IWEF](\d\d)(\d\d) " + _TIME + _FRACTION + _END)
_APACHE = LazyPattern(rb"\[[A-Z][a-z]{2} " + _MON + rb" ([ \d]\d) " + _TIME + _FRACTION
                     + rb" (\d{4})\]")
_PROXIFIER = LazyPattern(rb"\[(\d\d)\.(\d\d) " + _TIME + rb"\]")
_BRACKETED_SYSLOG = LazyPattern(rb"\[" + _MON + rb" ([ \d]\d) " + _TIME + _FRACTION + rb"\]")
_BRACKETED_ISO = LazyPattern(rb"\[(\d{4})-(\d\d)-(\d\d)[T ]" + _TIME + _FRACTION + _ZONE + rb"\]")
_EPOCH = LazyPattern(rb"(?:\S{1,64} +)?(?:(\d{10})(?:\.(\d+))?|(\d{13}))(?=\s|$)")
# Zabbix server/proxy: "  1234:20261201:100000.123" (pid, date, time, milliseconds).
_ZABBIX = LazyPattern(rb" *\d{1,7}:(\d{4})(\d\d)(\d\d):(\d\d)(\d\d)(\d\d)\.(\d{3})" + _END)
_PRI = LazyPattern(rb"<(\d{1,3})>(?:\d{1,2} )?")
# Searched, in this order.
_ACCESS = LazyPattern(rb"\[(\d\d)/" + _MON + rb"/(\d{4}):" + _TIME + rb" ([+-]\d{4})\]")
_ISO_ANYWHERE = LazyPattern(rb"(?<!\d)" + _ISO.pattern)
_BGL_ANYWHERE = LazyPattern(rb"(?<!\d)" + _BGL.pattern)
_JSON_FIELD = LazyPattern(
    rb'"(?:ts|time|timestamp|@timestamp)"\s*:\s*'
    rb'(?:"([^"\n]{1,64})"|(\d{10}(?:\.\d+)?|\d{13})(?![\d.eE]))')


def _frac(digits: bytes | None) -> bytes:
    return (digits or b"")[:MAX_FRACTION_DIGITS]


def _full(groups, fraction_at=6, zone_at=None) -> Stamp:
    y, mo, d, h, mi, s = (int(g) for g in groups[:6])
    fraction = (groups[fraction_at] or b"")[:MAX_FRACTION_DIGITS]
    offset = _offset(groups[zone_at]) if zone_at is not None else NAIVE
    return Stamp(y, mo, d, h, mi, s, fraction, offset)


def _anchored(head: bytes) -> tuple[Stamp, int] | None:
    """The stamp an anchored layout finds at the start of ``head``, and where it ends."""
    first = head[:1]
    if first.isdigit():
        match = _ISO.match(head)
        if match:
            return (_full(match.groups(), 6, 7), match.end())
        for regex in (_BGL, _DOTTED, _SLASHED, _COMPACT):
            match = regex.match(head)
            if match:
                return (_full(match.groups()), match.end())
        match = _SPARK.match(head)
        if match:
            yy, mo, d, h, mi, s = (int(g) for g in match.groups())
            return (Stamp(2000 + yy, mo, d, h, mi, s), match.end())
        match = _HDFS.match(head)
        if match:
            yy, mo, d, h, mi, s = (int(g) for g in match.groups())
            return (Stamp(2000 + yy, mo, d, h, mi, s), match.end())
        match = _LOGCAT.match(head)
        if match:
            mo, d, h, mi, s = (int(g) for g in match.groups()[:5])
            return (Stamp(0, mo, d, h, mi, s, _frac(match.group(6))), match.end())
    elif first == b"[":
        match = _BRACKETED_ISO.match(head)
        if match:
            return _full(match.groups(), 6, 7), match.end()
        match = _APACHE.match(head)
        if match:
            mon, d, h, mi, s, fraction, y = match.groups()
            stamp = Stamp(int(y), _MONTHS[mon], int(d), int(h), int(mi), int(s), _frac(fraction))
            return stamp, match.end()
        match = _PROXIFIER.match(head)
        if match:
            mo, d, h, mi, s = (int(g) for g in match.groups())
            return (Stamp(0, mo, d, h, mi, s), match.end())
        match = _BRACKETED_SYSLOG.match(head)
        if match:
            mon, d, h, mi, s, fraction = match.groups()
            stamp = Stamp(0, _MONTHS[mon], int(d), int(h), int(mi), int(s), _frac(fraction))
            return stamp, match.end()
    elif first in b"JFMASOND":
        match = _SYSLOG.match(head)
        if match:
            mon, d, h, mi, s, fraction = match.groups()
            stamp = Stamp(0, _MONTHS[mon], int(d), int(h), int(mi), int(s), _frac(fraction))
            return stamp, match.end()
    if first in b"IWEF":
        match = _GLOG.match(head)
        if match:
            mo, d, h, mi, s = (int(g) for g in match.groups()[:5])
            return (Stamp(0, mo, d, h, mi, s, _frac(match.group(6))), match.end())
    if first.isdigit() or first == b" ":
        match = _ZABBIX.match(head)
        if match:
            return _full(match.groups()), match.end()
    return None


def _epoch_field(head: bytes) -> Stamp | None:
    match = _EPOCH.match(head)
    if not match:
        return None
    seconds, fraction, millis = match.groups()
    if millis:
        return _epoch(int(millis) // 1000, millis[-3:])
    return _epoch(int(seconds), _frac(fraction))


def _searched(head: bytes) -> Stamp | None:
    match = _ACCESS.search(head)
    if match:
        d, mon, y, h, mi, s, zone = match.groups()
        return Stamp(int(y), _MONTHS[mon], int(d), int(h), int(mi), int(s), b"", _offset(zone))
    match = _ISO_ANYWHERE.search(head)
    if match:
        return _full(match.groups(), 6, 7)
    match = _BGL_ANYWHERE.search(head)
    if match:
        return _full(match.groups())
    return None


def _json_stamp(head: bytes) -> Stamp | None:
    match = _JSON_FIELD.search(head)
    if not match:
        return None
    text, number = match.groups()
    if text is not None:
        iso = _ISO.match(text)
        if iso and iso.end() == len(text):
            return _full(iso.groups(), 6, 7)
        return None
    if len(number) == 13 and b"." not in number:
        return _epoch(int(number) // 1000, number[-3:])
    seconds, _dot, fraction = number.partition(b".")
    return _epoch(int(seconds), _frac(fraction))


def parse_stamp(content: bytes) -> Stamp | None:
    """The stamp a line's content starts with (see the module docstring), or None."""
    return parse_stamp_and_end(content)[0]


def parse_stamp_and_end(content: bytes) -> tuple[Stamp | None, int]:
    """parse_stamp(content) and leading_stamp_end(content), reading the line's start once."""
    head = content[:TIMESTAMP_PREFIX_BYTES]
    skipped = 0
    if head.startswith(b"<"):
        match = _PRI.match(head)
        if match and int(match.group(1)) <= 191:
            skipped = match.end()
    try:
        if head.startswith(b"{"):
            stamp, end = _json_stamp(head), -1
        else:
            anchored = _anchored(head[skipped:])
            if anchored is not None:
                stamp, end = anchored[0], skipped + anchored[1]
            else:
                stamp, end = _epoch_field(head[skipped:]) or _searched(head[skipped:]), -1
    except ValueError:  # an offset out of range
        return None, -1
    if stamp is None or not _valid(stamp):
        return None, -1
    return stamp, end


def leading_stamp_end(content: bytes) -> int:
    """Where the stamp a line starts with ends (after a PRI, when there is one), or -1 when the
    line starts with no stamp of an anchored layout (JSON, epoch and searched stamps do not
    count)."""
    return parse_stamp_and_end(content)[1]


def _valid(stamp: Stamp) -> bool:
    if not (1 <= stamp.month <= 12 and 1 <= stamp.day <= 31 and stamp.hour < 24
            and stamp.minute < 60 and stamp.second < 60):
        return False
    if stamp.year == 0:
        return not (stamp.day > _DAYS[stamp.month])  # Feb 29 is checked against its year later
    if not FIRST_YEAR <= stamp.year <= LAST_YEAR:  # in UTC, whatever the offset; 4 digits
        return False
    return stamp.day <= _days_in(stamp.year, stamp.month)


_DAYS = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _days_in(year: int, month: int) -> int:
    return 29 if month == 2 and _leap(year) else _DAYS[month] if month != 2 else 28


def year_for(stamp: Stamp, threshold: tuple[int, int, int, int, int, int]) -> int:
    """The year of a yearless stamp: the latest that puts it no later than ``threshold``
    (the file's mtime plus one day, as local wall time (y, mo, d, h, mi, s)). Feb 29 takes
    the latest leap year that does."""
    year = threshold[0]
    if (stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second) > threshold[1:]:
        year -= 1
    if stamp.month == 2 and stamp.day == 29:
        while not _leap(year):
            year -= 1
    return year


def local_zone_name() -> str:
    """The IANA name of this machine's zone: $TZ if it names one, else /etc/localtime's link
    target, else "UTC"."""
    import os

    candidates = [os.environ.get("TZ", "").lstrip(":")]
    try:
        target = os.path.realpath("/etc/localtime")
        if "zoneinfo/" in target:
            candidates.append(target.split("zoneinfo/", 1)[1])
    except OSError:
        pass
    for name in candidates:
        if name and check_zone(name) is None:
            return name
    return "UTC"


def check_zone(name: str) -> str | None:
    """Why ``name`` is not a usable IANA zone name (None when it is)."""
    if not isinstance(name, str) or not name or len(name) > 64 or name.startswith(("/", ".")) \
            or ".." in name:
        return f"{name!r} is not an IANA time zone name (like UTC or Europe/Berlin)"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return f"unknown time zone {name!r}: use an IANA name like UTC or Europe/Berlin"
    return None


CACHE_LIMIT = 100_000  # entries per conversion cache; a full cache starts over
_ZONE_CACHES: dict[str, tuple[dict, dict, dict]] = {}


def _zone_caches(zone: str) -> tuple[dict, dict, dict]:
    """The process's conversion caches of ``zone``: wall minute -> UTC datetime, wall minute
    -> UTC hour text, the C scanner's minute key -> UTC hour text (bounded: CACHE_LIMIT)."""
    caches = _ZONE_CACHES.get(zone)
    if caches is None:
        if len(_ZONE_CACHES) > 64:  # (a process that has seen many zones: start over)
            _ZONE_CACHES.clear()
        caches = _ZONE_CACHES[zone] = ({}, {}, {})
    return caches


class Clock:
    """Turns stamps into UTC for one file: naive stamps are read in ``zone``; yearless ones
    take their year from the file's mtime (see year_for). Conversions are cached."""

    def __init__(self, zone: str, mtime: float):
        self.zone = ZoneInfo(zone)
        try:
            limit = datetime.fromtimestamp(mtime + 86400, self.zone).replace(tzinfo=None)
        except (OverflowError, ValueError, OSError):  # an mtime past year 9999 (or before 1)
            limit = datetime(LAST_YEAR, 12, 31, 23, 59, 59) if mtime > 0 else \
                datetime(FIRST_YEAR + 100, 1, 1)
        # A threshold near the ends would give yearless stamps years outside the valid ones.
        limit = min(max(limit, datetime(FIRST_YEAR + 100, 1, 1)),
                    datetime(LAST_YEAR, 12, 31, 23, 59, 59))
        self.threshold = (limit.year, limit.month, limit.day, limit.hour, limit.minute,
                          limit.second)
        # Conversions depend on the zone alone (the year is resolved before them): every Clock
        # of a zone in this process shares them, so a worker converts each minute once, not
        # once per file.
        self._minutes, self._hours, self._key_hours = _zone_caches(zone)

    def utc_minute(self, year: int, month: int, day: int, hour: int, minute: int,
                   offset: int | None) -> datetime | None:
        """The UTC datetime of a wall-clock minute (year resolved), or None for a date that
        does not exist (Feb 29 of a common year)."""
        key = (year, month, day, hour, minute, offset)
        cached = self._minutes.get(key, False)
        if cached is not False:
            return cached
        try:
            wall = datetime(year, month, day, hour, minute)
            if offset is None:
                result = wall.replace(tzinfo=self.zone).astimezone(UTC).replace(tzinfo=None)
            else:
                result = wall - timedelta(minutes=offset)
        except (ValueError, OverflowError):
            result = None
        if len(self._minutes) > CACHE_LIMIT:
            self._minutes.clear()
        self._minutes[key] = result
        return result

    def resolve(self, stamp: Stamp) -> tuple[datetime, bytes] | None:
        """(UTC datetime to the second, fraction digits) of a stamp, or None."""
        year = stamp.year or year_for(stamp, self.threshold)
        minute = self.utc_minute(year, stamp.month, stamp.day, stamp.hour, stamp.minute,
                                 stamp.offset)
        if minute is None:
            return None
        try:
            return minute + timedelta(seconds=stamp.second), stamp.fraction
        except OverflowError:
            return None

    def render(self, stamp: Stamp | None) -> str:
        """The stamp as UTC ISO 8601 with ``Z`` ("" for None)."""
        if stamp is None:
            return ""
        resolved = self.resolve(stamp)
        if resolved is None:
            return ""
        moment, fraction = resolved
        text = (f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:"
                f"{moment.minute:02d}:{moment.second:02d}")
        return f"{text}.{fraction.decode()}Z" if fraction else text + "Z"

    def hour(self, stamp: Stamp) -> str:
        """The UTC hour of a stamp, as a timeline key ``2026-11-26T13:00:00Z`` ("" for none)."""
        year = stamp.year or year_for(stamp, self.threshold)
        return self._hour(year, stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.offset)

    def _hour(self, year, month, day, hour, minute, offset) -> str:
        key = (year, month, day, hour, minute, offset)
        text = self._hours.get(key)
        if text is None:
            moment = self.utc_minute(year, month, day, hour, minute, offset)
            text = (f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}"
                    ":00:00Z") if moment else ""
            if len(self._hours) > CACHE_LIMIT:
                self._hours.clear()
            self._hours[key] = text
        return text

    def hour_of_key(self, key: int) -> str:
        """The UTC hour of the C scanner's packed stamp key (see minute_key); "" for -1."""
        text = self._key_hours.get(key)
        if text is None:
            if len(self._key_hours) > CACHE_LIMIT:
                self._key_hours.clear()
            text = self._key_hours[key] = self._unpacked_hour(key)
        return text

    def _unpacked_hour(self, key: int) -> str:
        if key < 0:
            return ""
        zone = key % 4096
        key //= 4096
        minute = key % 60
        key //= 60
        hour = key % 24
        key //= 24
        day = key % 32
        key //= 32
        month = key % 13
        year = key // 13
        offset = None if zone == 4095 else zone - 2048
        return self._hour(year, month, day, hour, minute, offset)


def minute_key(stamp: Stamp, year: int) -> int:
    """The packed key the C scanner gives a stamp's minute (year already resolved)."""
    zone = 4095 if stamp.offset is None else stamp.offset + 2048
    return ((((year * 13 + stamp.month) * 32 + stamp.day) * 24 + stamp.hour) * 60
            + stamp.minute) * 4096 + zone


def stamp_text(content: bytes, clock: Clock) -> str:
    """A line's own stamp as UTC ISO 8601 with Z, or ""."""
    return clock.render(parse_stamp(content))


def sort_key(text: str) -> str:
    """Orders rendered stamps by instant ("...:05Z" and "...:05.5Z" side by side)."""
    if not text:
        return text
    body = text[:-1]
    whole, _dot, fraction = body.partition(".")
    return whole + "." + fraction.ljust(MAX_FRACTION_DIGITS, "0")
