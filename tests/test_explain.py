"""`logcrunch explain`: line by line, it agrees with what the scanner counts."""

from __future__ import annotations

import csv
import io
import random
from collections import Counter
from pathlib import Path

import pytest

from logcrunch.cli import cli
from logcrunch.scan import ScanConfig, explain_file, scan_file
from tests.helpers import scan_path_as

LAYOUT_LINES = [
    "Dec 10 06:55:{s:02d} LabSZ sshd[{n}]: error: Received disconnect from 1.2.3.{n}: 14: x",
    "Dec 10 06:55:{s:02d} LabSZ sshd[{n}]: Invalid user admin from 1.2.3.{n}",
    "2016-09-28 04:{s:02d}:31, Error                 CBS    Failed to open package {n}",
    "2016-09-28 04:{s:02d}:31, Info                  CBS    Loaded {n}",
    "E1127 12:{s:02d}:00.123456  {n} file.go:12] cannot sync pod {n}",
    "<11>1 2003-10-11T22:{s:02d}:15.003Z host app {n} ID47 - failed to start",
    "2015-10-18 18:{s:02d}:47,978 WARN [main] org.apache.X: Replica {n} is lost",
    "\tat org.apache.X.run(X.java:{n})",
    "Caused by: java.io.IOException: ERROR {n}",
    "ts=2026-11-01T00:{s:02d}:00Z level=error msg=\"db down {n}\" attempt={n}",
    "no stamp, no level {n}",
    "Nov 27 02:{s:02d}:01 node07 api[4242]: WARN request handled latency_ms={n}",
]


@pytest.fixture(params=["c", "python"])
def scan_path(request):
    with scan_path_as(request.param):
        yield request.param


def generated_file(tmp_path: Path, seed: int) -> str:
    rng = random.Random(seed)
    lines = [rng.choice(LAYOUT_LINES).format(s=rng.randint(0, 59), n=rng.randint(1, 999))
             for _ in range(rng.randint(50, 400))]
    path = tmp_path / f"gen{seed}.log"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def explained(path: str, config: ScanConfig, first=1, last=None):
    rows = []
    result = explain_file(path, config, rows.append, first, last)
    return result, rows


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("config", [ScanConfig(chunk_size=512),
                                    ScanConfig(error_patterns=("Invalid user",),
                                               warn_patterns=("Loaded",)),
                                    ScanConfig(timezone="Asia/Kolkata")])
def test_explain_agrees_with_the_scanner(tmp_path, scan_path, seed, config):
    path = generated_file(tmp_path, seed)
    summary = scan_file(path, config)
    result, rows = explained(path, config)
    assert result.status == "ok" and len(rows) == summary.lines
    levels = Counter(row.level for row in rows)
    assert (levels["error"], levels["warn"]) == (summary.error_lines, summary.warn_lines)
    assert summary.level_lines == len(rows) - levels[""]
    templates = Counter((2 if row.level == "error" else 1, row.template) for row in rows
                        if row.level in ("error", "warn"))
    assert templates == Counter({(row[0], row[1]): row[2] for row in summary.templates})
    hour, timeline = "", {}
    for row in rows:
        if row.ts:
            hour = row.ts[:13] + ":00:00Z"
        counts = timeline.setdefault(hour, [0, 0, 0])
        counts[0] += 1
        counts[1] += row.level == "error"
        counts[2] += row.level == "warn"
    assert timeline == summary.timeline
    stamped = [row.ts for row in rows if row.ts]
    assert (summary.first_ts, summary.last_ts) == (stamped[0], stamped[-1])


def test_explain_cli_writes_csv_for_a_line_range(tmp_path, runner):
    path = tmp_path / "a.log"
    path.write_text("Dec 10 06:55:46 LabSZ sshd[1]: error: Received disconnect from 1.2.3.4\n"
                    "\tat x.y(Z.java:1)\n"
                    "2016-09-28 04:30:31, Info  CBS Loaded\n"
                    "ERROR =cmd|' /C calc'!A0\n")
    result = runner.invoke(cli, ["explain", str(path), "--lines", "1-4", "--timezone",
                                 "Europe/Berlin"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.output)))
    assert rows[0] == ["line", "level", "ts", "template"]
    assert rows[1][:3] == ["1", "error", rows[1][2]] and rows[1][2].endswith("T05:55:46Z")
    assert rows[1][3] == "Received disconnect from <*>"
    assert rows[2] == ["2", "", "", ""]
    assert rows[3] == ["3", "other", "2016-09-28T02:30:31Z", ""]
    assert rows[4][3].startswith("'")  # a formula-looking template is neutralised
    only = runner.invoke(cli, ["explain", str(path), "--lines", "2-2"])
    assert [r[0] for r in csv.reader(io.StringIO(only.output))] == ["line", "2"]


@pytest.mark.parametrize("bad", ["0-3", "5-2", "x", "-0"])
def test_explain_refuses_a_bad_line_range(tmp_path, runner, bad):
    path = tmp_path / "a.log"
    path.write_text("x\n")
    result = runner.invoke(cli, ["explain", str(path), "--lines", bad])
    assert result.exit_code == 2 and "--lines" in result.output


def test_explain_says_why_a_file_cannot_be_read(tmp_path, runner):
    path = tmp_path / "bomb.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00broken")
    result = runner.invoke(cli, ["explain", str(path)])
    assert result.exit_code == 1 and "bomb.gz" in result.output


def test_a_bad_timezone_fails_fast_with_a_hint(tmp_path, runner):
    result = runner.invoke(cli, ["run", str(tmp_path), "--out", str(tmp_path / "r"),
                                 "--timezone", "Mars/Olympus"])
    assert result.exit_code == 2 and "IANA" in result.output
