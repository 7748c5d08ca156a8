"""Tests of logcrunch.stamps: every layout read, UTC rendering, zones, and the yearless rule."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from logcrunch.stamps import (
    Clock,
    check_zone,
    leading_stamp_end,
    local_zone_name,
    parse_stamp,
    sort_key,
    stamp_text,
)


def mtime(*fields: int, zone: str = "UTC") -> float:
    from zoneinfo import ZoneInfo

    return datetime(*fields, tzinfo=ZoneInfo(zone)).timestamp()


UTC_CLOCK = Clock("UTC", mtime(2026, 11, 27, 3, 0, 0))

LAYOUTS = [
    # (line, expected UTC stamp with the clock above)
    ("2026-11-26 13:00:00 INFO x", "2026-11-26T13:00:00Z"),
    ("2026-11-26T13:00:00.123Z x", "2026-11-26T13:00:00.123Z"),
    ("2026-11-26T13:00:00+01:00 x", "2026-11-26T12:00:00Z"),
    ("2026-11-26T13:00:00-0530 x", "2026-11-26T18:30:00Z"),
    ("2015-10-18 18:01:47,978 INFO [main] x", "2015-10-18T18:01:47.978Z"),
    ("2016-09-28 04:30:31, Info  CBS x", "2016-09-28T04:30:31Z"),
    ("Nov 26 13:00:00 host app[1]: x", "2026-11-26T13:00:00Z"),
    ("Nov  6 13:00:00 host app[1]: x", "2026-11-06T13:00:00Z"),
    ("E1126 13:00:00.123456  1234 file.go:12] x", "2026-11-26T13:00:00.123456Z"),
    ("11-26 13:00:00.811  1702  2395 D Tag: x", "2026-11-26T13:00:00.811Z"),
    ("17/06/09 20:10:40 INFO x", "2017-06-09T20:10:40Z"),
    ("081109 203615 148 INFO dfs.DataNode: x", "2008-11-09T20:36:15Z"),
    ("[Sun Dec 04 04:47:44 2005] [notice] x", "2005-12-04T04:47:44Z"),
    ("[10.30 16:49:06] chrome.exe - proxy", "2026-10-30T16:49:06Z"),
    ("20171223-22:15:29:606|Step_LSC|30002312|x", "2017-12-23T22:15:29.606Z"),
    ("2005.11.09 12:01:01 x", "2005-11-09T12:01:01Z"),
    ("2009/11/10 23:00:00 go", "2009-11-10T23:00:00Z"),
    ("2005-06-03-15.42.50.675872 R02-M1-N0 RAS KERNEL INFO x", "2005-06-03T15:42:50.675872Z"),
    ("- 1117838570 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.675872 R02",
     "2005-06-03T22:42:50Z"),
    ("1131566461 x", "2005-11-09T20:01:01Z"),
    ("1700000000123 x", "2023-11-14T22:13:20.123Z"),
    ("1700000000.5 x", "2023-11-14T22:13:20.5Z"),
    ("<11>1 2003-10-11T22:14:15.003Z host app - - - msg", "2003-10-11T22:14:15.003Z"),
    ("<34>Oct 11 22:14:15 mymachine su: x", "2026-10-11T22:14:15Z"),
    ('1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 2326', "2000-10-10T20:55:36Z"),
    ('{"ts":"2026-11-26T13:00:00+01:00","msg":"x"}', "2026-11-26T12:00:00Z"),
    ('{"ts":1700000000.25,"msg":"x"}', "2023-11-14T22:13:20.25Z"),
    ("nova-api.log.1 2017-05-16 00:00:00.008 25746 INFO x", "2017-05-16T00:00:00.008Z"),
    ("2026-11-26 13:00:00.1234567891 x", "2026-11-26T13:00:00.123456789Z"),
    ("[2026-11-26T13:00:00.123] error: Nodes cn[0001-0004] not responding", "2026-11-26T13:00:00.123Z"),
    ("[2026-11-26 13:00:00,123] {taskinstance.py:1234} ERROR - Task failed", "2026-11-26T13:00:00.123Z"),
    ("[Nov 26 13:00:00] WARNING[12345][C-00000001] chan_sip.c: x", "2026-11-26T13:00:00Z"),
    ("[Dec  1 10:00:00.25] NOTICE[1] pbx.c: x", "2025-12-01T10:00:00.25Z"),
    ("  4242:20261126:130000.123 cannot send list of active checks", "2026-11-26T13:00:00.123Z"),
    ("2026-11-26 13:00:00.123 +01:00 [ERR] Serilog", "2026-11-26T12:00:00.123Z"),
    ("2026-11-26 13:00:00.123456789 -0700 MST m=+0.1 Go", "2026-11-26T20:00:00.123456789Z"),
    ("[2026-11-26 13:00:00 +0000] [12] [INFO] Booting worker with pid: 12", "2026-11-26T13:00:00Z"),
    ("2026-11-26 13:00:00  +01:00 two blanks: naive", "2026-11-26T13:00:00Z"),
    ("2026-11-26 13:00:00 Z a blank before Z: naive", "2026-11-26T13:00:00Z"),
    ("1234567:20261126:130000.000 x", "2026-11-26T13:00:00.000Z"),
]


@pytest.mark.parametrize(("line", "expected"), LAYOUTS)
def test_each_layout_is_read_as_utc(line, expected):
    assert stamp_text(line.encode(), UTC_CLOCK) == expected


@pytest.mark.parametrize("line", [
    "no stamp here", "2026-13-01 00:00:00 x", "2026-02-30 00:00:00 x", "2026-11-26 24:00:00 x",
    "2026-11-26 13:00:60 x", "Foo 26 13:00:00 x", "1131566461234567 x", "0899999999 x",
    "5000000000 x", "2023-02-29 00:00:00 x", "2026-11-26T13:00:00+25:00 x", "\tat x.y(Z.java:1)",
    "[Nov 26 13:00:00 x", "[Nov 26 13:00:00.x] x", "[Nov 32 13:00:00] x", "[nov 26 13:00:00] x",
    "12345678:20261126:130000.123 x", "4242:20261126:130000.1234 x", "4242:20261126:130000 x",
])
def test_what_is_not_a_stamp(line):
    assert parse_stamp(line.encode()) is None


def test_naive_stamps_are_read_in_the_zone_and_explicit_offsets_win():
    berlin = Clock("Europe/Berlin", mtime(2026, 11, 27))
    assert stamp_text(b"2026-11-26 13:00:00 x", berlin) == "2026-11-26T12:00:00Z"  # CET
    assert stamp_text(b"2026-07-26 13:00:00 x", berlin) == "2026-07-26T11:00:00Z"  # CEST
    assert stamp_text(b"2026-07-26T13:00:00Z x", berlin) == "2026-07-26T13:00:00Z"
    kolkata = Clock("Asia/Kolkata", mtime(2026, 11, 27))
    assert kolkata.hour(parse_stamp(b"2026-11-26 13:10:00 x")) == "2026-11-26T07:00:00Z"
    assert kolkata.hour(parse_stamp(b"2026-11-26 13:40:00 x")) == "2026-11-26T08:00:00Z"


def test_clocks_of_one_zone_share_their_conversions_whatever_the_mtime(monkeypatch):
    import logcrunch.stamps as stamps

    monkeypatch.setattr(stamps, "_ZONE_CACHES", {})
    older = Clock("Europe/Berlin", mtime(2025, 8, 1))
    newer = Clock("Europe/Berlin", mtime(2026, 11, 27))
    line = b"2026-07-01 13:10:00 x"
    assert older.hour(parse_stamp(line)) == "2026-07-01T11:00:00Z"  # summer time: +02:00
    converted = dict(newer._hours)
    assert newer.hour(parse_stamp(line)) == "2026-07-01T11:00:00Z"
    assert dict(newer._hours) == converted  # found, not converted again
    # A yearless stamp still takes each clock's own year: the year is resolved first.
    assert stamp_text(b"Jul  1 13:10:00 h a: x", older) == "2025-07-01T11:10:00Z"
    assert stamp_text(b"Jul  1 13:10:00 h a: x", newer) == "2026-07-01T11:10:00Z"
    assert Clock("Asia/Tokyo", mtime(2026, 11, 27)).hour(parse_stamp(line)) == \
        "2026-07-01T04:00:00Z"


def test_a_full_conversion_cache_starts_over(monkeypatch):
    import logcrunch.stamps as stamps

    monkeypatch.setattr(stamps, "_ZONE_CACHES", {})
    monkeypatch.setattr(stamps, "CACHE_LIMIT", 3)
    clock = Clock("UTC", mtime(2026, 11, 27))
    hours = [clock.hour(parse_stamp(f"2026-11-26 {hour:02d}:00:00 x".encode()))
             for hour in range(10)]
    assert hours == [f"2026-11-26T{hour:02d}:00:00Z" for hour in range(10)]
    assert len(clock._hours) <= 4 and len(clock._minutes) <= 4


def test_a_yearless_file_across_new_year_keeps_its_order():
    clock = Clock("UTC", mtime(2027, 1, 1, 0, 0, 5))
    first = stamp_text(b"Dec 31 23:59:58 host app: x", clock)
    last = stamp_text(b"Jan  1 00:00:02 host app: x", clock)
    assert (first, last) == ("2026-12-31T23:59:58Z", "2027-01-01T00:00:02Z")
    assert sort_key(first) < sort_key(last)


def test_a_yearless_stamp_never_lands_more_than_a_day_after_the_mtime():
    clock = Clock("UTC", mtime(2026, 11, 27, 12, 0, 0))
    assert stamp_text(b"Nov 28 12:00:00 h a: x", clock) == "2026-11-28T12:00:00Z"  # mtime + 1 day
    assert stamp_text(b"Nov 28 12:00:01 h a: x", clock) == "2025-11-28T12:00:01Z"
    assert stamp_text(b"Dec 25 00:00:00 h a: x", clock) == "2025-12-25T00:00:00Z"


def test_a_yearless_feb_29_takes_the_latest_leap_year():
    clock = Clock("UTC", mtime(2027, 3, 10))
    assert stamp_text(b"Feb 29 10:00:00 h a: x", clock) == "2024-02-29T10:00:00Z"


def test_the_threshold_is_wall_time_in_the_zone():
    # mtime 2026-12-31T23:30Z is already 2027-01-01 in Tokyo: a Jan 1 stamp is this year there.
    tokyo = Clock("Asia/Tokyo", mtime(2026, 12, 31, 23, 30))
    assert stamp_text(b"Jan  2 08:00:00 h a: x", tokyo) == "2027-01-01T23:00:00Z"


def test_a_fraction_is_kept_as_written_and_none_when_the_source_has_none():
    assert stamp_text(b"2026-11-26 13:00:00.500 x", UTC_CLOCK) == "2026-11-26T13:00:00.500Z"
    assert stamp_text(b"2026-11-26 13:00:00 x", UTC_CLOCK) == "2026-11-26T13:00:00Z"


def test_sort_key_orders_by_instant():
    stamps = ["2026-11-26T13:00:05Z", "2026-11-26T13:00:05.5Z", "2026-11-26T13:00:04.999Z"]
    assert sorted(stamps, key=sort_key) == [stamps[2], stamps[0], stamps[1]]


def test_the_hour_of_a_c_key_matches_the_hour_of_the_stamp():
    from logcrunch.stamps import minute_key, year_for

    clock = Clock("Europe/Berlin", mtime(2026, 11, 27))
    for line in (b"2026-11-26 13:40:00 x", b"Nov 26 13:00:00 h a: x", b"2026-11-26T13:00:00-0130 x"):
        stamp = parse_stamp(line)
        key = minute_key(stamp, stamp.year or year_for(stamp, clock.threshold))
        assert clock.hour_of_key(key) == clock.hour(stamp)


def test_leading_stamp_end_is_where_the_level_may_stand():
    line = b"2016-09-28 04:30:31, Error  CBS x"
    assert line[leading_stamp_end(line):].startswith(b", Error")
    assert leading_stamp_end(b"no stamp") == -1
    assert leading_stamp_end(b"<11>Oct 11 22:14:15 h a: x") == len(b"<11>Oct 11 22:14:15")


def test_zone_names_are_checked():
    assert check_zone("Europe/Berlin") is None
    assert "unknown time zone" in check_zone("Mars/Olympus")
    assert "not an IANA" in check_zone("../etc/passwd")
    assert check_zone(local_zone_name()) is None


def test_epoch_seconds_are_utc_whatever_the_zone():
    clock = Clock("America/New_York", mtime(2026, 11, 27))
    assert stamp_text(b"1700000000 x", clock) == datetime.fromtimestamp(1700000000, UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def test_an_absurd_mtime_does_not_break_the_clock():
    for absurd in (2.0**40, -2.0**40):
        clock = Clock("UTC", absurd)
        stamp_text(b"Nov 26 13:00:00 h a: x", clock)  # no exception


@pytest.mark.parametrize("line", [
    b"9999-12-31T23:59:59-10:00 ERROR boom", b"0001-01-01T00:00:00+10:00 ERROR boom",
    b"0999-05-01T10:00:00Z ERROR boom", b"9999-12-31 23:59:59 ERROR boom",
])
def test_years_outside_four_digits_in_utc_are_no_stamp(line):
    for zone in ("UTC", "America/New_York", "Asia/Tokyo"):
        assert stamp_text(line, Clock(zone, mtime(2026, 11, 27))) == ""


def test_a_yearless_stamp_with_an_absurd_mtime_stays_a_four_digit_year():
    for absurd in (253402300000.0, -62135596800.0):  # past 9999-12-31, before 0001-01-01
        for zone in ("UTC", "America/New_York", "Asia/Tokyo"):
            text = stamp_text(b"Dec 31 23:59:59 host app: error: boom", Clock(zone, absurd))
            assert len(text) == 20 and text[4] == "-", text
