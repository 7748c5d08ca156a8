"""The state database's part in changes.csv: baseline runs and stored aggregates."""

import shutil
import sqlite3
from pathlib import Path

import pytest

from logcrunch import state
from logcrunch.changes import OTHER_TEMPLATES, Aggregates, ChangeOptions
from logcrunch.report import aggregates_of
from logcrunch.state import EMPTY, FINISHED_FAILED_FILES, FINISHED_OK, INCOMPLETE, StateDB
from logcrunch.summary import FileSummary

OLD_DATABASE = Path(__file__).parent / "data" / "state-schema2.db"


def summary(path, errors=0, template="disk <*> full"):
    return FileSummary(path, lines=10 + errors, error_lines=errors,
                       templates=[[2, template, errors, "", "", "x"]] if errors else [])


def finished_run(db, roots=("/logs",), incremental=False, errors=0, status=FINISHED_OK,
                 store=True):
    run, _ = db.start_run(list(roots), {}, incremental, "out", fresh=True)
    db.store_results(run.run_id, [(summary(f"{roots[0]}/h1/a.log", errors), roots[0], 0, 1, "")])
    aggregates = aggregates_of(db.report_input(run.run_id)) if store else None
    db.finish_run(run.run_id, status, aggregates=aggregates)
    return run.run_id


def stored(path):
    with sqlite3.connect(path) as raw:
        return dict(raw.execute("SELECT run_id, counts FROM aggregates"))


def test_baseline_runs_are_the_latest_finished_ones_of_the_same_command_and_mode(tmp_path):
    db = StateDB(str(tmp_path / "s.db"))
    first = finished_run(db)
    failed_files = finished_run(db, status=FINISHED_FAILED_FILES)
    finished_run(db, incremental=True)  # the other mode: deltas, not totals
    finished_run(db, roots=("/other",))
    finished_run(db, status=INCOMPLETE)
    finished_run(db, status=EMPTY)
    unfinished, _ = db.start_run(["/logs"], {}, False, "out", fresh=True)
    third = finished_run(db)
    tonight = finished_run(db)
    assert db.baseline_runs(tonight, 7) == [third, failed_files, first]
    assert db.baseline_runs(tonight, 2) == [third, failed_files]
    assert db.baseline_runs(tonight, 0) == []
    assert db.baseline_runs(third, 7) == [failed_files, first]  # only runs before it
    assert db.baseline_runs(first, 7) == []
    assert unfinished.run_id not in db.baseline_runs(tonight, 7)


def test_aggregates_are_stored_once_when_a_run_finishes_and_read_back_without_summaries(
        tmp_path, monkeypatch):
    db = StateDB(str(tmp_path / "s.db"))
    run_id = finished_run(db, errors=4)
    assert list(stored(tmp_path / "s.db")) == [run_id]
    monkeypatch.setattr(StateDB, "report_input", lambda *_: pytest.fail("summaries decoded"))
    counts = db.aggregates(run_id).counts
    assert counts[("*", "template", "error", "disk <*> full")] == 4
    assert counts[("h1", "total", "", "lines")] == 14
    assert counts[("*", "total", "error", "error_lines")] == 4


def test_runs_finished_without_aggregates_get_them_computed_once(tmp_path, monkeypatch):
    db = StateDB(str(tmp_path / "s.db"))
    run_id = finished_run(db, errors=3, store=False)  # as a run before schema 3 ended
    assert stored(tmp_path / "s.db") == {}
    computed = db.aggregates(run_id)
    assert computed == aggregates_of(db.report_input(run_id))
    assert list(stored(tmp_path / "s.db")) == [run_id]
    monkeypatch.setattr(StateDB, "report_input", lambda *_: pytest.fail("summaries decoded"))
    assert db.aggregates(run_id) == computed


def test_aggregates_of_a_run_that_did_not_finish_are_not_stored(tmp_path):
    db = StateDB(str(tmp_path / "s.db"))
    run, _ = db.start_run(["/logs"], {}, False, "out", fresh=True)
    db.store_results(run.run_id, [(summary("/logs/h1/a.log", 2), "/logs", 0, 1, "")])
    assert db.aggregates(run.run_id).counts[("*", "total", "error", "error_lines")] == 2
    assert stored(tmp_path / "s.db") == {}


def test_aggregates_round_trip_any_text_exactly(tmp_path):
    weird = "caf\udce9 \ud800 =x"  # a non-UTF-8 byte, a lone surrogate, a formula
    aggregates = Aggregates({(weird, "template", "error", weird): 2**70,
                             ("*", "rest", "warn", OTHER_TEMPLATES): 1})
    assert state.aggregates_from_json(state.aggregates_to_json(aggregates)) == aggregates


def test_a_schema_2_database_is_migrated_and_its_runs_become_baselines(tmp_path):
    # tests/data/state-schema2.db was written by logcrunch at commit 9a6b328 (schema 2): two
    # finished `logcrunch run` nights over logs/node00/app.log (12 "ERROR disk N full", 4 "WARN
    # slow request Nms", 20 INFO) and logs/node01/app.log (3 "ERROR connection refused to IP",
    # 10 INFO).
    path = tmp_path / "old.db"
    shutil.copy(OLD_DATABASE, path)
    with sqlite3.connect(path) as raw:
        assert raw.execute("SELECT value FROM meta").fetchone()[0] == "2"
    db = StateDB(str(path))
    with sqlite3.connect(path) as raw:
        assert raw.execute("SELECT value FROM meta").fetchone()[0] == "5" == \
            str(state.SCHEMA_VERSION)
        # cursors (schema 4) back-filled from the last finished night: both files, read whole
        assert raw.execute("SELECT count(*), min(run_id), sum(read_to = size), "
                           "max(fingerprint) FROM cursors").fetchone() == (2, 2, 2, "")
    assert stored(path) == {}
    assert db.baseline_runs(2, 7) == [1]
    counts = db.aggregates(1).counts
    assert {key: count for key, count in counts.items() if key[0] == "node00"} == {
        ("node00", "total", "", "lines"): 36, ("node00", "total", "error", "error_lines"): 12,
        ("node00", "total", "warn", "warn_lines"): 4,
        ("node00", "template", "error", "disk <*> full"): 12,
        ("node00", "template", "warn", "slow request <*>"): 4}
    assert counts[("*", "template", "error", "connection refused to <*>")] == 3
    assert counts[("*", "total", "", "lines")] == 49
    assert list(stored(path)) == [1]
    db.close()


def test_a_schema_2_run_reexported_compares_with_the_one_before(tmp_path):
    from logcrunch.job import export_report
    from tests.helpers import read_csv

    path = tmp_path / "old.db"
    shutil.copy(OLD_DATABASE, path)
    _run, paths = export_report(str(path), "2", str(tmp_path / "again"))
    assert str(tmp_path / "again" / "changes.csv") in paths
    assert (tmp_path / "again" / "changes.csv").read_text() == \
        "group,kind,level,name,tonight,baseline,change\n"  # the same logs: nothing changed
    with sqlite3.connect(path) as raw:  # run 2 as it was, against a night 1 that had nothing
        raw.execute("UPDATE aggregates SET counts = '[]' WHERE run_id = 1")
    export_report(str(path), "2", str(tmp_path / "again"),
                  changes=ChangeOptions(min_lines=100))
    rows = read_csv(tmp_path / "again" / "changes.csv")
    assert [(r["group"], r["name"], r["change"]) for r in rows if r["change"] == "new"] == [
        ("*", "disk <*> full", "new"), ("node00", "disk <*> full", "new"),
        ("*", "slow request <*>", "new"), ("node00", "slow request <*>", "new"),
        ("*", "connection refused to <*>", "new"), ("node01", "connection refused to <*>", "new")]
    assert [r for r in rows if r["change"] != "new"] == []  # min_lines 100: no total moved
