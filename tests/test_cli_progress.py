"""`logcrunch run` as cron sees it (stderr not a terminal): progress log lines that parse and end
at 100%, then the summary with the failed file and the groups with the highest error rates."""

import re

from tests.helpers import Proc, run_logcrunch, wait_for_file

PROGRESS = re.compile(
    r"\S+ \S+ logcrunch INFO progress: "
    r"(?P<done>[\d.]+ [kMGTP]?B) of (?P<total>[\d.]+ [kMGTP]?B) \((?P<pct>\d+)%\), "
    r"(?P<files_done>\d+)/(?P<files>\d+)(?P<walking>\+?) files, (?P<workers>\d+) workers?, "
    r"(?P<failed>\d+) failed, (?P<rate>\? B|[\d.]+ [kMGTP]?B)/s, ETA (?P<eta>\?|\d+:\d\d:\d\d)")

ERROR_SHARE = {"alpha": 3, "beta": 10, "gamma": 50, "delta": 0}  # one line in N is an error


def make_logs(root):
    for group, every in ERROR_SHARE.items():
        for index in range(3):
            lines = []
            for number in range(2000):
                level = "ERROR" if every and number % every == 0 else "INFO"
                lines.append(f"2024-05-01T10:{number % 60:02d}:00Z {level} request {number} "
                             f"served by {group}-{index}\n")
            (root / group).mkdir(parents=True, exist_ok=True)
            (root / group / f"app{index}.log").write_text("".join(lines))
    (root / "gamma" / "rotated.log.gz").write_bytes(b"\x1f\x8b\x08\x00" + b"not gzip at all" * 50)


def progress_lines(stderr):
    return [PROGRESS.fullmatch(line) for line in stderr.splitlines()
            if " INFO progress: " in line]


def test_run_prints_progress_lines_ending_at_100_percent_then_a_summary(tmp_path):
    make_logs(tmp_path / "logs")
    out = tmp_path / "report"
    hold = tmp_path / "hold"
    hold.mkdir()
    # One file is held before its scan, so the run is surely seen part way.
    run = Proc("run", str(tmp_path / "logs"), "--out", str(out), "--state",
               str(tmp_path / "s.db"), "-j", "2",
               env={"LOGCRUNCH_PROGRESS_SECONDS": "0.5",
                    "LOGCRUNCH_FAULTS": f"hold:delta/app2:{hold}"})
    try:
        wait_for_file(hold, "held.")
        part_way = PROGRESS.fullmatch(run.wait_for(r"INFO progress: .* of .*\(\d+%\), "
                                                   r"\d+/13 files").string.rstrip("\n"))
        assert part_way and int(part_way["files_done"]) < 13 and int(part_way["pct"]) < 100
        (hold / "release").touch()
        assert run.wait() == 3, run.output  # one file failed
    finally:
        run.kill()
    stderr = run.output
    lines = progress_lines(stderr)
    assert len(lines) >= 2 and all(lines), stderr
    last = lines[-1]
    assert (last["pct"], last["files_done"], last["files"], last["walking"]) == \
        ("100", "13", "13", "")
    assert last["done"] == last["total"] and last["failed"] == "1" and last["eta"] == "0:00:00"
    assert [int(m["pct"]) for m in lines] == sorted(int(m["pct"]) for m in lines)
    summary = stderr[stderr.index(last.group(0)) + len(last.group(0)):]
    assert "run 1 finished in" in summary
    assert "13 files (12 read, 1 failed, 0 skipped, 0 unchanged)" in summary
    assert re.search(r"failed: \S+/gamma/rotated\.log\.gz: \S", summary), summary
    rates = re.search(r"highest error rates: (.*)", summary).group(1)
    assert [part.split()[0] for part in rates.split(", ")] == ["alpha", "beta", "gamma"]
    assert rates.startswith("alpha 33.35% (2,001 of 6,000)")
    assert f"wrote the report to {out}" in summary
    assert "MiB" not in stderr  # the old progress line is gone


def test_quiet_prints_neither_progress_nor_summary(tmp_path):
    make_logs(tmp_path / "logs")
    ran = run_logcrunch("run", str(tmp_path / "logs"), "--out", str(tmp_path / "r"), "--state",
                        str(tmp_path / "s.db"), "-j", "1", "-q",
                        env={"LOGCRUNCH_PROGRESS_SECONDS": "0.5"})
    assert ran.returncode == 3
    assert not progress_lines(ran.stderr) and "highest error rates" not in ran.stderr
    assert "some files failed" in ran.stderr  # the warning cron mails stays


def test_a_bad_progress_interval_is_a_usage_error(tmp_path):
    make_logs(tmp_path / "logs")
    ran = run_logcrunch("run", str(tmp_path / "logs"), "--out", str(tmp_path / "r"), "--state",
                        str(tmp_path / "s.db"), env={"LOGCRUNCH_PROGRESS_SECONDS": "0.1"})
    assert ran.returncode == 2 and "LOGCRUNCH_PROGRESS_SECONDS" in ran.stderr
