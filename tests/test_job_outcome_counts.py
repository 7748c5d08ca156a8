"""The "run N: X files (...)" line of an aborted or empty run now comes from
the state database (HeadResult.file_counts). Before, it counted the files this attempt finished
(every range in). Real-process reproduction: /tmp/review-scn/driver.py in the review report."""

import logging

from logcrunch.cli import _log_outcome
from logcrunch.discover import FoundFile
from logcrunch.head import HeadOptions, HeadResult
from logcrunch.job import JobOutcome, JobSpec
from logcrunch.leases import Task
from logcrunch.recorder import RunRecorder
from logcrunch.scan import ScanConfig
from logcrunch.state import StateDB
from logcrunch.summary import FileSummary


def ok(path, lines, start=0):
    return FileSummary(path=path, lines=lines, read_from=start, timeline={"": [lines, 0, 0]})


def _half_read_split_file(tmp_path):
    """A run whose one file is split in two ranges, of which one is stored."""
    db = StateDB(str(tmp_path / "state.db"))
    run, _ = db.start_run(["/logs"], {}, False, str(tmp_path / "out"), False)
    recorder = RunRecorder(db, run.run_id, ScanConfig())
    recorder.expect(FoundFile("/logs/big.log", "/logs", 200, 0.0, 7, 1, 0), 2)
    recorder.record([(Task(1, "/logs/big.log", 200, end=100), ok("/logs/big.log", 3))])
    return db, run, recorder


def test_a_split_file_with_a_range_still_to_read_is_not_counted_as_an_ok_file(tmp_path):
    db, run, recorder = _half_read_split_file(tmp_path)
    # The report of the same data says the file is not ok (incomplete) ...
    assert db.report_input(run.run_id).summaries["/logs/big.log"].status == "failed"
    # ... and the progress bar said 0 files done: the counts must not say 1 ok file.
    assert recorder.file_counts().get("ok", 0) == 0


def test_the_aborted_runs_line_counts_only_files_with_every_range_in(tmp_path, caplog):
    db, run, recorder = _half_read_split_file(tmp_path)
    result = HeadResult(recorder.file_counts(), walked=1, aborted="stopped by SIGTERM")
    outcome = JobOutcome(db.get_run(run.run_id), result, str(tmp_path / "out"), False, False, 1)
    spec = JobSpec(HeadOptions(roots=("/logs",)), str(tmp_path / "out"), str(tmp_path / "s.db"))
    with caplog.at_level(logging.INFO, logger="logcrunch"):
        _log_outcome(outcome, spec, 1.0)
    assert f"run {run.run_id}: 0 files (0 ok, 0 skipped, 0 failed)" in caplog.text, caplog.text


def test_a_resumed_run_that_finds_nothing_does_not_claim_the_earlier_attempts_files(
        tmp_path, caplog):
    db = StateDB(str(tmp_path / "state.db"))
    run, _ = db.start_run(["/logs"], {}, False, str(tmp_path / "out"), False)
    recorder = RunRecorder(db, run.run_id, ScanConfig())
    recorder.expect(FoundFile("/logs/a.log", "/logs", 100, 0.0, 7, 1, 0), 1)
    recorder.record([(Task(1, "/logs/a.log", 100), ok("/logs/a.log", 3))])  # attempt 1
    # Attempt 2 (resumed) walks the roots and finds no file at all: exit 4.
    result = HeadResult(recorder.file_counts(), walked=0)
    assert result.found_nothing
    outcome = JobOutcome(db.get_run(run.run_id), result, str(tmp_path / "out"), False, True, 4,
                         nothing_found="found no files under /logs (is the share mounted? ...)")
    spec = JobSpec(HeadOptions(roots=("/logs",)), str(tmp_path / "out"), str(tmp_path / "s.db"))
    with caplog.at_level(logging.INFO, logger="logcrunch"):
        _log_outcome(outcome, spec, 1.0)
    # As before 545ea63: "0 files", not "1 files (1 ok, ...)" followed by "found no files".
    assert f"run {run.run_id} (resumed): 0 files (0 ok, 0 skipped, 0 failed)" in caplog.text, \
        caplog.text
