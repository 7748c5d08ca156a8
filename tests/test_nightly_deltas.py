"""Exact deltas night after night, with real `logcrunch run --incremental` processes: a growing
file is read from where the last run stopped, a half-written line is counted once, and a file whose
earlier bytes changed is read whole and marked."""

import os

from logcrunch.scan import ScanConfig
from tests.helpers import Proc, read_csv, run_logcrunch, wait_for_file
from tests.reference_scan import reference_scan


def stamped(hour: int, text: str, n: int) -> str:
    return "".join(f"Nov 27 {hour:02d}:{i % 60:02d}:00 node1 api[7]: {text} {i}\n" for i in range(n))


class Nights:
    """Incremental runs over one tree, each into its own report directory."""

    def __init__(self, tmp_path, *extra):
        self.tmp_path = tmp_path
        self.root = tmp_path / "logs"
        self.root.mkdir()
        self.extra = extra
        self.night = 0

    def run(self, *extra):
        self.night += 1
        out = self.tmp_path / f"night{self.night}"
        result = run_logcrunch("run", str(self.root), "--out", str(out), "--state",
                               str(self.tmp_path / "state.db"), "-j", "1", "--incremental",
                               "--timezone", "UTC", *self.extra, *extra)
        assert result.returncode == 0, result.stderr
        files = {row["path"]: row for row in read_csv(out / "files.csv")}
        return files, read_csv(out / "summary.csv")[0], out


def test_a_growing_file_counts_each_appended_line_once_and_a_half_written_one_when_complete(
        tmp_path):
    nights = Nights(tmp_path)
    log = nights.root / "app.log"
    log.write_text(stamped(3, "ERROR disk failed", 1200) + "Nov 27 03:59:59 node1 api[7]: ERROR hal")
    files, summary, _ = nights.run()
    row = files[str(log)]
    assert (row["lines"], row["error_lines"], row["read_from"], row["read_mode"]) == \
        ("1200", "1200", "0", "whole")  # the half-written last line waits
    held_at = log.stat().st_size - len("Nov 27 03:59:59 node1 api[7]: ERROR hal")

    with open(log, "a") as fp:
        fp.write("f done\n" + "Nov 27 04:00:00 node1 api[7]: WARN next\n")
    files, summary, _ = nights.run()
    row = files[str(log)]
    assert (row["lines"], row["error_lines"], row["warn_lines"]) == ("2", "1", "1")
    assert (row["read_from"], row["read_mode"]) == (str(held_at), "appended")
    assert summary["lines"] == "2"

    files, summary, _ = nights.run()  # nothing new
    assert files == {} and summary["files_unchanged"] == "1"
    truth = reference_scan(str(log), ScanConfig())
    assert truth.lines == 1200 + 2


def test_a_last_line_without_newline_is_counted_once_the_file_has_settled(tmp_path):
    nights = Nights(tmp_path)
    log = nights.root / "app.log"
    log.write_text(stamped(3, "INFO ok", 3) + "Nov 27 03:10:00 node1 api[7]: ERROR the end")
    files, _, _ = nights.run()
    assert files[str(log)]["lines"] == "3"
    files, _, _ = nights.run()  # the same bytes a night later: settled, the last line counts
    row = files[str(log)]
    assert (row["lines"], row["error_lines"], row["read_mode"]) == ("1", "1", "appended")
    files, summary, _ = nights.run()
    assert files == {} and summary["files_unchanged"] == "1"


def test_with_settle_a_quiet_file_s_last_line_counts_at_once(tmp_path):
    nights = Nights(tmp_path, "--settle", "60")
    log = nights.root / "app.log"
    log.write_text("one\ntwo")
    os.utime(log, (log.stat().st_atime - 3600, log.stat().st_mtime - 3600))
    files, _, _ = nights.run()
    assert files[str(log)]["lines"] == "2"


def test_copy_truncate_and_rewrites_are_read_whole_and_marked(tmp_path):
    nights = Nights(tmp_path)
    log = nights.root / "app.log"
    log.write_text(stamped(3, "ERROR a", 50))
    nights.run()
    log.write_text(stamped(5, "WARN b", 10))  # copy-truncate: smaller, new content
    files, _, _ = nights.run()
    row = files[str(log)]
    assert (row["lines"], row["read_from"], row["read_mode"]) == ("10", "0", "truncated")
    log.write_text(stamped(6, "INFO c", 40))  # rewritten in place, larger than before
    files, _, _ = nights.run()
    row = files[str(log)]
    assert (row["lines"], row["read_from"], row["read_mode"]) == ("40", "0", "rewritten")


def test_a_split_delta_a_rotated_file_and_the_hour_of_leading_unstamped_lines(tmp_path):
    nights = Nights(tmp_path, "--split-size", "4096")
    log = nights.root / "app.log"
    log.write_text(stamped(3, "ERROR first", 100))
    nights.run()
    before = log.stat().st_size
    with open(log, "a") as fp:
        fp.write("  at frame(Foo.java:1)\n" + stamped(4, "WARN second", 300))
    os.rename(log, nights.root / "app.log.1")  # rotated: same inode, a new name
    log.write_text(stamped(5, "ERROR fresh", 5))
    files, summary, out = nights.run()
    rotated = files[str(nights.root / "app.log.1")]
    assert (rotated["lines"], rotated["warn_lines"], rotated["read_from"], rotated["read_mode"]) \
        == ("301", "300", str(before), "appended")
    assert os.path.getsize(nights.root / "app.log.1") - before > 3 * 4096  # read as ranges
    assert (files[str(log)]["lines"], files[str(log)]["read_mode"]) == ("5", "whole")
    assert summary["lines"] == "306"
    timeline = {(row["group"], row["hour"]): row for row in read_csv(out / "timeline.csv")}
    # The stack-trace line before the night's first stamp counts in the last stamp's hour.
    assert timeline[("*", "2026-11-27T03:00:00Z")]["lines"] == "1"
    assert ("*", "") not in timeline


def test_a_file_rewritten_while_its_appended_read_waits_fails_and_is_read_whole_next_night(
        tmp_path):
    nights = Nights(tmp_path)
    log = nights.root / "app.log"
    log.write_text(stamped(3, "ERROR first", 10))
    nights.run()
    with open(log, "a") as fp:
        fp.write(stamped(4, "WARN more", 2))
    hold = tmp_path / "hold"
    hold.mkdir()
    out = tmp_path / "held-night"
    night = Proc("run", str(nights.root), "--out", str(out), "--state",
                 str(tmp_path / "state.db"), "-j", "1", "--incremental", "--timezone", "UTC",
                 env={"LOGCRUNCH_FAULTS": f"hold:app.log:{hold}"})
    try:
        wait_for_file(hold, "held.")  # planned as appended from byte 500ish; now rewritten
        log.write_text(stamped(5, "INFO rewritten", 30))
        (hold / "release").touch()
        assert night.wait() == 3, night.output
    finally:
        night.kill()
    row = {r["path"]: r for r in read_csv(out / "files.csv")}[str(log)]
    assert (row["status"], row["lines"]) == ("failed", "0")
    assert "earlier bytes changed after the walk" in row["error"]
    files, _, _ = nights.run()
    assert (files[str(log)]["lines"], files[str(log)]["read_mode"]) == ("30", "rewritten")
