"""State database and lock, single process."""

import os
import sqlite3
from fractions import Fraction

import pytest

from logcrunch.deltas import SEEN_DEFERRED, Cursor
from logcrunch.discover import FoundFile
from logcrunch.state import (
    _MIGRATIONS,
    CURSOR_RUNS,
    FINISHED_OK,
    LockHeld,
    RunLock,
    StateDB,
    StateError,
    run_keys,
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


def test_a_finished_run_moves_cursors_of_files_read_but_not_of_failed_ones(tmp_path):
    db = StateDB(str(tmp_path / "s.db"))
    run, _ = db.start_run(["/logs"], {}, True, "out", fresh=False)
    a, b = found("/logs/a", inode=1), found("/logs/b", inode=2)
    db.record_seen(run.run_id, [(a, False), (b, False)])
    read_a = FileSummary("/logs/a", lines=3, read_to=40, fingerprint="ab" * 16,
                         last_ts="2026-11-26T13:05:00Z")
    db.store_results(run.run_id, [(read_a, "/logs", 0, 1, ""),
                                  (FileSummary.failed("/logs/b", "boom"), "/logs", 0, 1, "")])
    assert db.command_cursors(["/logs"], {}) == {}  # not finished yet
    db.finish_run(run.run_id, FINISHED_OK)
    assert db.command_cursors(["/logs"], {}) == {
        (a.device, a.inode): Cursor(a.size, a.mtime_ns, 40, "ab" * 16, "2026-11-26T13:00:00Z")}
    assert db.command_cursors(["/other"], {}) == {}


def test_an_unchanged_file_keeps_its_cursor_and_a_long_unseen_one_is_forgotten(tmp_path):
    db = StateDB(str(tmp_path / "s.db"))
    a, b = found("/logs/a", inode=1), found("/logs/b", inode=2)
    run, _ = db.start_run(["/logs"], {}, True, "out", fresh=False)
    db.record_seen(run.run_id, [(a, False), (b, False)])
    db.store_results(run.run_id, [(FileSummary("/logs/a", read_to=5, fingerprint="0" * 32),
                                   "/logs", 0, 1, ""),
                                  (FileSummary("/logs/b"), "/logs", 0, 1, "")])  # compressed
    db.finish_run(run.run_id, FINISHED_OK)
    for _night in range(CURSOR_RUNS):
        run, _ = db.start_run(["/logs"], {}, True, "out", fresh=True)
        db.record_seen(run.run_id, [(a, True)])  # b is gone from the tree
        db.finish_run(run.run_id, FINISHED_OK)
        cursors = db.command_cursors(["/logs"], {})
        assert cursors[(a.device, a.inode)] == Cursor(a.size, a.mtime_ns, 5, "0" * 32, "")
    assert (b.device, b.inode) not in cursors  # unseen for CURSOR_RUNS finished runs


def test_a_file_that_fails_or_is_deferred_night_after_night_keeps_its_cursor(tmp_path):
    db = StateDB(str(tmp_path / "s.db"))
    a = found("/logs/a", inode=1)
    run, _ = db.start_run(["/logs"], {}, True, "out", fresh=False)
    db.record_seen(run.run_id, [(a, False)])
    db.store_results(run.run_id, [(FileSummary("/logs/a", read_to=10, fingerprint="0" * 32),
                                   "/logs", 0, 1, "")])
    db.finish_run(run.run_id, FINISHED_OK)
    for night in range(2 * CURSOR_RUNS):
        run, _ = db.start_run(["/logs"], {}, True, "out", fresh=True)
        if night % 2:
            db.record_seen(run.run_id, [(a, SEEN_DEFERRED)])  # left by --settle
        else:
            db.record_seen(run.run_id, [(a, False)])
            db.store_results(run.run_id, [(FileSummary.failed("/logs/a", "boom"), "/logs", 0,
                                           1, "")])
        db.finish_run(run.run_id, FINISHED_OK)
    assert db.command_cursors(["/logs"], {}) == {(a.device, a.inode): Cursor(10, 5, 10, "0" * 32)}


def test_cursors_are_back_filled_from_the_last_finished_run_of_a_schema_2_database(tmp_path):
    path = str(tmp_path / "old.db")
    old = sqlite3.connect(path)
    old.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    for statement in (_MIGRATIONS[1] + ";" + _MIGRATIONS[2]).split(";"):
        if statement.strip():
            old.execute(statement)
    old.execute("INSERT INTO meta VALUES ('schema_version', '2')")
    _run_key, base_key = run_keys(["/logs"], {}, True)
    for run_id, status in ((1, "ok"), (2, "incomplete")):
        old.execute("INSERT INTO runs (run_id, run_key, base_key, roots, options, incremental, "
                    "out_dir, started, status, host, pid) VALUES (?, 'k', ?, '[]', '{}', 1, 'o', "
                    "0, ?, 'h', 1)", (run_id, base_key, status))
        for inode, name in ((7, b"/logs/a"), (8, b"/logs/b")):
            old.execute("INSERT INTO seen VALUES (?, ?, '/logs', ?, 100, 5, 0, 3)",
                        (run_id, name, inode + 10 * run_id))
    old.execute("INSERT INTO results VALUES (1, ?, 0, 1, '/logs', 'failed', '{}', '')",
                (b"/logs/b",))
    old.commit()
    old.close()
    db = StateDB(path)
    assert db.command_cursors(["/logs"], {}) == {(3, 17): Cursor(100, 5, 100, "", "")}


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


def version_1_database(path):
    """A state database as schema version 1 left it."""
    from logcrunch import state

    with sqlite3.connect(path) as raw:
        raw.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
        for statement in state._MIGRATIONS[1].split(";"):
            if statement.strip():
                raw.execute(statement)
        raw.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    return path


def test_version_1_database_is_migrated(tmp_path):
    from logcrunch import state

    path = version_1_database(tmp_path / "s.db")
    db = StateDB(str(path))
    run, _ = db.start_run(["/logs"], {}, False, "out", fresh=False)
    db.store_results(run.run_id, [(FileSummary("/logs/a"), "/logs", 0, 1, "1:2:3:4")])
    assert db.stored_ranges(run.run_id)["/logs/a"][0] == "1:2:3:4"
    with sqlite3.connect(path) as raw:
        assert raw.execute("SELECT value FROM meta").fetchone()[0] == str(state.SCHEMA_VERSION)


def test_a_failed_migration_leaves_the_old_schema_whole(tmp_path, monkeypatch):
    """All pending schema steps are one transaction: a step that fails undoes the earlier
    steps of the same upgrade, and the database still opens at its old version."""
    from logcrunch import state

    path = version_1_database(tmp_path / "s.db")
    tables_before = _tables(path)
    broken = dict(state._MIGRATIONS)
    broken[state.SCHEMA_VERSION] = "CREATE TABLE half_done (x); SELECT * FROM no_such_table"
    monkeypatch.setattr(state, "_MIGRATIONS", broken)
    with pytest.raises(StateError):
        StateDB(str(path))
    with sqlite3.connect(path) as raw:
        assert raw.execute("SELECT value FROM meta").fetchone()[0] == "1"
    assert _tables(path) == tables_before
    monkeypatch.undo()
    StateDB(str(path)).close()  # the real steps still apply
    with sqlite3.connect(path) as raw:
        assert raw.execute("SELECT value FROM meta").fetchone()[0] == str(state.SCHEMA_VERSION)


def _tables(path) -> list[str]:
    with sqlite3.connect(path) as raw:
        return sorted(row[0] for row in raw.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'"))


def test_latest_is_the_latest_finished_run(tmp_path):
    from logcrunch.state import EMPTY, INCOMPLETE

    db = StateDB(str(tmp_path / "s.db"))
    with pytest.raises(StateError, match="no runs recorded"):
        db.latest_run_id()
    first, _ = db.start_run(["/logs"], {}, False, "out", fresh=False)
    with pytest.raises(StateError, match=r"no finished run .* --allow-incomplete"):
        db.latest_run_id()  # running
    db.finish_run(first.run_id, FINISHED_OK)
    for status in (INCOMPLETE, EMPTY, None):  # None: still running
        later, _ = db.start_run(["/logs"], {}, False, "out", fresh=True)
        if status:
            db.finish_run(later.run_id, status)
        assert db.latest_run_id() == first.run_id


@pytest.mark.parametrize("alias", ["hardlink", "symlink", "dotdot"])
def test_the_lock_is_the_database_file_not_its_name(tmp_path, alias):
    path = tmp_path / "s.db"
    StateDB(str(path)).close()
    (tmp_path / "sub").mkdir()
    other = {"hardlink": tmp_path / "sub" / "other.db", "symlink": tmp_path / "link.db",
             "dotdot": tmp_path / "sub" / ".." / "s.db"}[alias]
    if alias == "hardlink":
        os.link(path, other)
    elif alias == "symlink":
        other.symlink_to(path)
    with RunLock(str(path)):
        with pytest.raises(LockHeld, match=f"holds {other}: pid {os.getpid()} on"):
            RunLock(str(other)).acquire()
    with RunLock(str(other)):  # and the other way round
        with pytest.raises(LockHeld):
            RunLock(str(path)).acquire()


def test_a_run_of_an_older_logcrunch_holding_the_lock_file_still_excludes(tmp_path):
    import fcntl

    path = tmp_path / "s.db"
    with open(str(path) + ".lock", "w") as old_style:  # what logcrunch before 0.2 locked
        old_style.write("pid 1 on oldhost, started 2026-11-26 02:00:00\n")
        old_style.flush()
        fcntl.flock(old_style, fcntl.LOCK_EX)
        with pytest.raises(LockHeld, match="pid 1 on oldhost"):
            RunLock(str(path)).acquire()
    with RunLock(str(path)):
        pass


def test_a_write_the_database_refuses_is_one_clear_line(tmp_path):
    db = StateDB(str(tmp_path / "s.db"))
    run, _ = db.start_run(["/logs"], {}, False, "out", fresh=False)
    db._db.execute("PRAGMA query_only = ON")  # the connection now refuses every write
    with pytest.raises(StateError) as refused:
        db.finish_run(run.run_id, FINISHED_OK)
    assert str(refused.value) == (
        f"cannot write the state database {tmp_path / 's.db'}: attempt to write a readonly "
        "database; make it and its directory writable and run the same command again")
    with pytest.raises(StateError, match="readonly database; make it"):
        db.record_seen(run.run_id, [(found("/logs/a"), False)])
    with pytest.raises(StateError, match="readonly database; make it"), db.writing():
        db.store_results(run.run_id, [(FileSummary("/logs/a"), "/logs", 0, 1, "")])


def test_the_cause_behind_a_failed_rollback_is_the_one_reported():
    from logcrunch.state import write_failure

    full = sqlite3.OperationalError("database or disk is full")
    full.sqlite_errorname = "SQLITE_FULL"
    try:
        try:
            raise full  # COMMIT on a full disk ...
        except sqlite3.Error:
            raise sqlite3.OperationalError("cannot rollback - no transaction is active")  # noqa: B904
    except sqlite3.Error as exc:
        message = str(write_failure("/state.db", exc))
    assert message == ("cannot write the state database /state.db: database or disk is full; "
                       "free space and run the same command again")


def test_deferred_rows_are_reported_apart_and_counted_nowhere_else(tmp_path):
    from logcrunch.report import SUMMARY_COLUMNS, write_files, write_summary

    db = StateDB(str(tmp_path / "s.db"))
    run, _ = db.start_run(["/logs"], {}, False, "out", fresh=False)
    db.store_results(run.run_id, [
        (FileSummary("/logs/h1/a.log", lines=3, size_bytes=9), "/logs", 0, 1, "1:2:9:5"),
        (FileSummary("/logs/h2/b.log", status="deferred", error="later", size_bytes=7), "/logs",
         0, 1, "")])
    report = db.report_input(run.run_id)
    assert list(report.summaries) == ["/logs/h1/a.log"]
    assert list(report.deferred) == ["/logs/h2/b.log"]
    db.finish_run(run.run_id, FINISHED_OK)
    record = db.get_run(run.run_id)
    assert (record.files_ok, record.files_skipped, record.files_failed) == (1, 0, 0)
    import io

    summary, files = io.StringIO(), io.StringIO()
    write_summary(report, summary)
    write_files([*report.summaries.values(), *report.deferred.values()], files)
    rows = [dict(zip(SUMMARY_COLUMNS, line.split(","), strict=True))
            for line in summary.getvalue().splitlines()[1:]]
    assert [(r["group"], r["files"], r["files_failed"], r["bytes"], r["files_deferred"])
            for r in rows] == [("*", "1", "0", "9", "1"), ("h1", "1", "0", "9", "0"),
                               ("h2", "0", "0", "0", "1")]
    assert "/logs/h2/b.log,deferred,later," in files.getvalue()


def test_a_result_that_cannot_be_stored_fails_its_file_not_the_batch(tmp_path):
    db = StateDB(str(tmp_path / "s.db"))
    run, _ = db.start_run(["/logs"], {}, False, "out", fresh=False)
    unstorable = FileSummary("/logs/bad", lines=3, metrics={"x": Metric(1, 10**5000, 1, 1, 1)})
    good = FileSummary("/logs/good", lines=2, metrics={"x": Metric.of([Fraction(1, 3)])})
    db.store_results(run.run_id, [(unstorable, "/logs", 0, 1, ""), (good, "/logs", 0, 1, "")])
    stored = db.report_input(run.run_id).summaries
    assert stored["/logs/good"] == good
    bad = stored["/logs/bad"]
    assert (bad.status, bad.lines, bad.metrics) == ("failed", 0, {})
    assert bad.error.startswith("cannot store its result: ValueError: Exceeds the limit")
    with sqlite3.connect(tmp_path / "s.db") as raw:
        statuses = dict(raw.execute("SELECT CAST(path AS TEXT), status FROM results"))
    assert statuses == {"/logs/bad": "failed", "/logs/good": "ok"}


def test_sketches_round_trip_and_rows_stored_before_them_load_without():
    summary = FileSummary("/logs/a", lines=4, metrics={"ms": Metric.of([1, 5, Fraction(1, 3), 0]),
                                                       "plain": Metric(1, 2, 4, 2, 2)})
    assert summary_from_json(summary_to_json(summary)) == summary
    assert summary_from_json(summary_to_json(summary)).metrics["ms"].sketch is not None
    old_row = '{"path": "/logs/a", "metrics": {"ms": [2, 3, 5, 1, 2]}}'
    old = summary_from_json(old_row).metrics["ms"]
    assert old == Metric(2, 3, 5, 1, 2) and old.sketch is None
    assert old.percentile(Fraction(1, 2)) is None
    assert old.merge(Metric.of([4])).sketch is None  # no percentiles from half the samples


def test_new_summary_fields_round_trip_and_old_rows_still_load():
    summary = FileSummary("/logs/a", samples_out_of_range=4, samples_over_metric_cap=7,
                          max_metrics=100, metrics={"big": Metric.of([10**308, 17 * 10**307])})
    assert summary_from_json(summary_to_json(summary)) == summary
    old_row = '{"path": "/logs/a", "status": "ok", "lines": 1, "metrics": {}}'
    assert summary_from_json(old_row) == FileSummary("/logs/a", lines=1)
    newer_row = '{"path": "/logs/a", "a_field_from_the_future": 1, "metrics": {}}'
    assert summary_from_json(newer_row) == FileSummary("/logs/a")


def received(summary, attempts=1, read_mode="whole"):
    """``summary`` as the head has it after a worker sent it: decoded from a complete call,
    with its wire text, then given the head's fields."""
    from logcrunch import wire

    data = wire.encode(("7f00", "complete", ("w-1", "ab" * 16, [(1, summary)], True), {}))
    message, [text] = wire.decode_call(data)
    decoded = message[2][2][0][1]
    decoded.attempts, decoded.read_mode = attempts, read_mode
    return decoded, text


def rich_summary(path="/logs/a"):
    ms = Metric.of([3, 250, 7])
    return FileSummary(
        path, format="plain", size_bytes=900, lines=6, error_lines=1, warn_lines=1,
        level_lines=2, first_ts="2026-11-26T12:59:59Z", last_ts="2026-11-26T13:05:00Z",
        # Not in key order (a worker's dicts come in its own order): stored rows read sorted.
        metrics={"ratio": Metric.of([Fraction(1, 10), Fraction(-1, 4)]), "ms": ms},
        timeline={"2026-11-26T13:00:00Z": [4, 1, 0], "2026-11-26T12:00:00Z": [2, 0, 1]},
        templates=[[1, "slow <*>", 1, "2026-11-26T12:59:59Z", "", "slow 7"],
                   [2, "failed code=<*>", 1, "", "2026-11-26T13:05:00Z", "failed code=5"]],
        worker="node7:42", seconds=0.25, max_metrics=100, max_templates=1000, read_to=900,
        fingerprint="0123456789abcdef" * 2)


def test_a_summary_stored_as_received_reads_as_the_encoded_one(tmp_path):
    from logcrunch.state import summary_received_json

    summary, text = received(rich_summary(), attempts=2, read_mode="appended")
    stored = summary_received_json(summary, text)
    assert stored.startswith('{"attempts":2,"read_from":0,"read_mode":"appended","wire":')
    assert summary_from_json(stored) == summary_from_json(summary_to_json(summary))
    assert list(summary_from_json(stored).metrics) == ["ms", "ratio"]
    assert list(summary_from_json(stored).timeline) == sorted(summary.timeline)


def test_both_stored_forms_give_byte_identical_reports(tmp_path):
    from logcrunch.report import publish_reports

    outs = []
    for form in ("encoded", "received"):
        db = StateDB(str(tmp_path / f"{form}.db"))
        run, _ = db.start_run(["/logs"], {}, False, "out", fresh=False)
        rows = []
        for index, path in enumerate(["/logs/b", "/logs/a", "/logs/c"]):
            summary, text = received(rich_summary(path), attempts=1 + index)
            rows.append((summary, "/logs", 0, 1, "", text if form == "received" else None))
        db.store_results(run.run_id, rows)
        out = tmp_path / form
        publish_reports(db.report_input(run.run_id), str(out), html=False)
        outs.append({p.name: p.read_bytes() for p in sorted(out.iterdir())})
        db.close()
    assert outs[0] == outs[1]
    assert "files.csv" in outs[0]


def test_a_schema_4_database_is_migrated_and_its_rows_still_read(tmp_path):
    from logcrunch import state

    path = str(tmp_path / "s.db")
    db = StateDB(path)
    run, _ = db.start_run(["/logs"], {}, False, "out", fresh=False)
    db.store_results(run.run_id, [(rich_summary("/logs/old"), "/logs", 0, 1, "")])
    db.close()
    with sqlite3.connect(path) as raw:  # schema 5 changed no table: this is a schema-4 file
        raw.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
    db = StateDB(path)
    with sqlite3.connect(path) as raw:
        assert raw.execute("SELECT value FROM meta").fetchone()[0] == str(state.SCHEMA_VERSION)
    summary, text = received(rich_summary("/logs/new"))
    db.store_results(run.run_id, [(summary, "/logs", 0, 1, "", text)])
    stored = db.report_input(run.run_id).summaries
    assert dict(stored.items()) == {"/logs/new": summary_from_json(summary_to_json(summary)),
                                    "/logs/old": rich_summary("/logs/old")}
    with sqlite3.connect(path) as raw:  # and SQL reads the head's fields alike in both forms
        assert raw.execute("SELECT json_extract(summary, '$.attempts'), "
                           "json_extract(summary, '$.read_mode') FROM results ORDER BY path"
                           ).fetchall() == [(1, "whole"), (1, "")]
