"""State database and lock, single process."""

import os
import sqlite3
from fractions import Fraction

import pytest

from logcrunch.discover import FoundFile
from logcrunch.state import (
    FINISHED_OK,
    LockHeld,
    RunLock,
    StateDB,
    StateError,
    identity,
    summary_from_json,
    summary_to_json,
)
from logcrunch.summary import FileSummary, Metric


def found(path, inode=1, size=10, mtime_ns=5):
    return FoundFile(path, "/logs", size, mtime_ns / 1e9, inode, 1, mtime_ns)


def test_summary_json_round_trip_is_exact():
    summary = FileSummary("/logs/a", lines=3, metrics={
        "ratio": Metric.of([Fraction(1, 10), Fraction(-1, 4)]), "ms": Metric.of([2**70, 3])})
    assert summary_from_json(summary_to_json(summary)) == summary


def test_same_command_resumes_unfinished_run_and_fresh_starts_over(tmp_path):
    db = StateDB(str(tmp_path / "s.db"))
    run, resumed = db.start_run(["/logs"], {"o": 1}, False, "out", fresh=False)
    assert not resumed
    db.store_results(run.run_id, [(FileSummary("/logs/a", lines=1), "/logs", 0, 1, "")])
    again, resumed = db.start_run(["/logs"], {"o": 1}, False, "out", fresh=False)
    assert resumed and again.run_id == run.run_id
    assert list(db.stored_ranges(run.run_id)) == ["/logs/a"]
    other, resumed = db.start_run(["/logs"], {"o": 2}, False, "out", fresh=False)
    assert not resumed and other.run_id != run.run_id
    fresh, resumed = db.start_run(["/logs"], {"o": 1}, False, "out", fresh=True)
    assert not resumed and fresh.run_id not in (run.run_id, other.run_id)


def test_duplicate_result_rows_are_ignored(tmp_path):
    db = StateDB(str(tmp_path / "s.db"))
    run, _ = db.start_run(["/logs"], {}, False, "out", fresh=False)
    row = (FileSummary("/logs/a", lines=1), "/logs", 0, 1, "")
    db.store_results(run.run_id, [row])
    db.store_results(run.run_id, [(FileSummary("/logs/a", lines=99), "/logs", 0, 1, "")])
    assert db.report_input(run.run_id).summaries["/logs/a"].lines == 1


def test_known_identities_come_from_last_finished_run_without_failed_files(tmp_path):
    db = StateDB(str(tmp_path / "s.db"))
    run, _ = db.start_run(["/logs"], {}, True, "out", fresh=False)
    a, b = found("/logs/a", inode=1), found("/logs/b", inode=2)
    db.record_seen(run.run_id, [(a, False), (b, False)])
    db.store_results(run.run_id, [(FileSummary("/logs/a"), "/logs", 0, 1, ""),
                                  (FileSummary.failed("/logs/b", "boom"), "/logs", 0, 1, "")])
    assert db.known_identities(["/logs"], {}) == set()  # not finished yet
    db.finish_run(run.run_id, FINISHED_OK)
    assert db.known_identities(["/logs"], {}) == {identity(a)}
    assert db.known_identities(["/other"], {}) == set()


def test_non_utf8_paths_survive_the_database(tmp_path):
    db = StateDB(str(tmp_path / "s.db"))
    run, _ = db.start_run(["/logs"], {}, False, "out", fresh=False)
    weird = os.fsdecode(b"/logs/caf\xe9.log")
    db.store_results(run.run_id, [(FileSummary(weird, lines=2), "/logs", 0, 1, "")])
    assert db.report_input(run.run_id).summaries[weird].lines == 2


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "s.db"
    StateDB(str(path)).close()
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(StateError, match="upgrade logcrunch"):
        StateDB(str(path))


def test_database_is_in_wal_mode(tmp_path):
    StateDB(str(tmp_path / "s.db")).close()
    with sqlite3.connect(tmp_path / "s.db") as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_lock_is_exclusive_and_names_its_holder(tmp_path):
    path = str(tmp_path / "s.db")
    with RunLock(path):
        with pytest.raises(LockHeld, match=f"pid {os.getpid()} on"):
            RunLock(path).acquire()
    with RunLock(path):  # released: can be taken again
        pass


def test_split_file_report_joins_ranges_and_flags_missing_ones(tmp_path):
    db = StateDB(str(tmp_path / "s.db"))
    run, _ = db.start_run(["/logs"], {}, False, "out", fresh=False)
    db.store_results(run.run_id, [(FileSummary("/logs/big", lines=2, size_bytes=30), "/logs", 0, 3, ""),
                                  (FileSummary("/logs/big", lines=5, size_bytes=30), "/logs", 10, 3, "")])
    partial = db.report_input(run.run_id).summaries["/logs/big"]
    assert partial.status == "failed" and "2 of 3 byte ranges" in partial.error
    db.store_results(run.run_id, [(FileSummary("/logs/big", lines=1, size_bytes=30), "/logs", 20, 3, "")])
    whole = db.report_input(run.run_id).summaries["/logs/big"]
    assert (whole.status, whole.lines) == ("ok", 8)


def test_version_1_database_is_migrated(tmp_path):
    from logcrunch import state

    path = tmp_path / "s.db"
    with sqlite3.connect(path) as raw:
        raw.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
        for statement in state._MIGRATIONS[1].split(";"):
            if statement.strip():
                raw.execute(statement)
        raw.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    db = StateDB(str(path))
    run, _ = db.start_run(["/logs"], {}, False, "out", fresh=False)
    db.store_results(run.run_id, [(FileSummary("/logs/a"), "/logs", 0, 1, "1:2:3:4")])
    assert db.stored_ranges(run.run_id)["/logs/a"][0] == "1:2:3:4"
    with sqlite3.connect(path) as raw:
        assert raw.execute("SELECT value FROM meta").fetchone()[0] == str(state.SCHEMA_VERSION)
