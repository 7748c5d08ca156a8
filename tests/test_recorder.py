"""The run recorder: the one place results go (validated, annotated, stored, counted)."""

import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logcrunch.deltas import APPENDED, ReadPlan
from logcrunch.discover import FoundFile
from logcrunch.leases import Task
from logcrunch.recorder import GroupCommit, MemoryRecorder, RunRecorder
from logcrunch.scan import ScanConfig
from logcrunch.state import StateDB
from logcrunch.summary import STATUS_FAILED, FileSummary
from tests.helpers import wait_until


def found(path, size=100):
    return FoundFile(path, "/logs", size, 0.0, 7, 1, 0)


def ok(path, lines, start=0):
    """A worker's summary of ``lines`` unstamped lines read from ``start``."""
    return FileSummary(path=path, lines=lines, read_from=start, timeline={"": [lines, 0, 0]})


def test_a_peer_summary_that_cannot_be_its_tasks_result_is_stored_as_its_failure(tmp_path):
    db = StateDB(str(tmp_path / "state.db"))
    run, _ = db.start_run(["/logs"], {}, False, str(tmp_path / "out"), False)
    recorder = RunRecorder(db, run.run_id, ScanConfig())
    task = Task(1, "/logs/a.log", 100)
    recorder.expect(found("/logs/a.log"), 1)
    [stored] = recorder.record([(task, FileSummary(path="/etc/shadow", lines=3))])
    assert stored.status == "failed" and stored.path == "/logs/a.log"
    assert stored.error.startswith("the worker's summary was refused: it names another file")
    assert recorder.refused == 1
    report = db.report_input(run.run_id)
    assert report.summaries["/logs/a.log"].status == "failed"
    assert report.roots["/logs/a.log"] == "/logs"


def test_ranges_are_stored_with_their_layout_and_joined_only_by_the_report(tmp_path):
    db = StateDB(str(tmp_path / "state.db"))
    run, _ = db.start_run(["/logs"], {}, False, str(tmp_path / "out"), False)
    recorder = RunRecorder(db, run.run_id, ScanConfig())
    recorder.expect(found("/logs/big.log", 200), 2)
    first = Task(1, "/logs/big.log", 200, end=100)
    second = Task(2, "/logs/big.log", 200, start=100)
    recorder.record([(second, ok(second.path, 2, start=100))])
    assert db.file_counts(run.run_id) == {}  # (a file of one range of two so far: not final)
    assert db.report_input(run.run_id).summaries["/logs/big.log"].status == "failed"
    recorder.record([(first, ok(first.path, 3))])
    assert db.report_input(run.run_id).summaries["/logs/big.log"].lines == 5
    assert db.stored_ranges(run.run_id)["/logs/big.log"][1].keys() == {0, 100}


def test_a_failed_range_fails_the_file_in_the_counts(tmp_path):
    db = StateDB(str(tmp_path / "state.db"))
    run, _ = db.start_run(["/logs"], {}, False, str(tmp_path / "out"), False)
    recorder = RunRecorder(db, run.run_id, ScanConfig())
    recorder.expect(found("/logs/big.log", 200), 2)
    recorder.record([(Task(1, "/logs/big.log", 200, end=100), ok("/logs/big.log", 1))])
    recorder.record([(Task(2, "/logs/big.log", 200, start=100),
                      FileSummary.failed("/logs/big.log", "worker died 3 times"))], check=False)
    recorder.record_walk([(FileSummary.skipped("/logs/fifo", "not a regular file"), "/logs")])
    assert db.file_counts(run.run_id) == {"failed": 1, "skipped": 1}


def test_an_appended_read_says_where_it_started_and_where_its_leading_lines_belong():
    recorder = MemoryRecorder(ScanConfig())
    plan = ReadPlan(start=40, mode=APPENDED, lead_hour="2026-11-26T13:00:00Z")
    recorder.expect(found("/logs/a.log"), 1, plan)
    summary = ok("/logs/a.log", 2, start=40)
    [stored] = recorder.record([(Task(1, "/logs/a.log", 100, start=40), summary)])
    assert stored.read_mode == APPENDED and stored.read_from == 40
    assert stored.timeline == {"2026-11-26T13:00:00Z": [2, 0, 0]}


def test_nothing_is_kept_of_a_file_once_all_its_ranges_are_recorded():
    recorder = MemoryRecorder(ScanConfig())
    recorder.expect(found("/logs/a.log"), 1)
    recorder.record([(Task(1, "/logs/a.log", 100), ok("/logs/a.log", 1))])
    assert recorder._expected == {}
    assert recorder.file_counts() == {"ok": 1}
    assert [task.task_id for task, _ in recorder.take_results()] == [1]


def test_rows_submitted_while_a_commit_is_written_share_the_next_commit():
    first_in = threading.Event()
    release = threading.Event()
    written: list[list] = []

    def write(rows):
        written.append(list(rows))
        if len(written) == 1:
            first_in.set()
            assert release.wait(10)

    group = GroupCommit(write)
    first = threading.Thread(target=group.submit, args=([("a",)],))
    others = [threading.Thread(target=group.submit, args=([(f"r{i}",)],)) for i in range(20)]
    _submit_behind_a_held_commit(group, first_in, release, first, others)
    assert written[0] == [("a",)]
    assert sorted(row for rows in written[1:] for row in rows) == sorted(
        (f"r{i}",) for i in range(20))
    assert group.commits == len(written) == 2  # the twenty in one commit


def _submit_behind_a_held_commit(group, first_in, release, first, others):
    """Start ``first``, whose commit holds until ``release``; once it writes, start ``others``;
    release it when they all wait for the next commit; join every thread."""
    first.start()
    assert first_in.wait(10)
    for thread in others:
        thread.start()
    wait_until(lambda: group._tickets == 1 + len(others), f"all {len(others)} waiting")
    release.set()
    for thread in [first, *others]:
        thread.join(10)
        assert not thread.is_alive()


def test_every_submitter_of_a_failed_commit_hears_the_error_and_the_next_group_is_unharmed():
    calls = []

    def write(rows):
        calls.append(rows)
        if len(calls) == 1:
            raise OSError("disk full")

    group = GroupCommit(write)
    with pytest.raises(OSError, match="disk full"):
        group.submit([("a",)])
    group.submit([("b",)])
    assert calls == [[("a",)], [("b",)]] and group._errors == {}


def test_submitters_waiting_for_a_group_that_fails_all_hear_its_error():
    first_in, release = threading.Event(), threading.Event()
    calls = []

    def write(rows):
        calls.append(list(rows))
        if len(calls) == 1:
            first_in.set()
            assert release.wait(10)
        elif len(calls) == 2:
            raise OSError("disk full")

    group = GroupCommit(write)
    outcomes: dict[str, str] = {}

    def submit(name):
        try:
            group.submit([(name,)])
            outcomes[name] = "ok"
        except OSError as exc:
            outcomes[name] = str(exc)

    first = threading.Thread(target=submit, args=("a",))
    others = [threading.Thread(target=submit, args=(f"r{i}",)) for i in range(5)]
    _submit_behind_a_held_commit(group, first_in, release, first, others)
    assert outcomes == {"a": "ok", **{f"r{i}": "disk full" for i in range(5)}}
    group.submit([("b",)])  # the next group is unharmed
    assert calls[-1] == [("b",)] and group._errors == {} and not group._writing


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 5), min_size=1, max_size=12))
def test_group_commits_store_every_row_once_whatever_the_interleaving(sizes):
    stored: list = []
    lock = threading.Lock()

    def write(rows):
        with lock:
            stored.extend(rows)

    group = GroupCommit(write)
    threads = [threading.Thread(target=group.submit, args=([(n, i) for i in range(size)],))
               for n, size in enumerate(sizes)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(stored) == sorted((n, i) for n, size in enumerate(sizes) for i in range(size))



def sent(summary):
    """``summary`` as the head decodes it from a worker's complete call, with its text."""
    from logcrunch import wire

    data = wire.encode(("7f00", "complete", ("w-1", "ab" * 16, [(1, summary)], True), {}))
    message, [text] = wire.decode_call(data)
    return message[2][2][0][1], text


def stored_texts(db):
    return [text for (text,) in db._db.execute("SELECT summary FROM results ORDER BY path")]


def test_a_valid_summary_is_stored_as_received_and_a_refused_one_never_is(tmp_path):
    db = StateDB(str(tmp_path / "s.db"))
    run, _ = db.start_run(["/logs"], {}, False, "out", fresh=False)
    recorder = RunRecorder(db, run.run_id)
    good, good_text = sent(ok("/logs/a.log", 3))
    bad, bad_text = sent(FileSummary(path="/etc/shadow", lines=3))
    recorder.expect(found("/logs/a.log"), 1)
    stored = recorder.record([(Task(1, "/logs/a.log", 100), good),
                              (Task(2, "/logs/b.log", 100), bad)], texts=[good_text, bad_text])
    assert [s.status for s in stored] == ["ok", STATUS_FAILED]
    received, failure = stored_texts(db)
    assert received.endswith(f'"wire":{good_text}}}') and '"read_mode":"whole"' in received
    assert '"wire"' not in failure and "/etc/shadow" not in failure
    summaries = db.report_input(run.run_id).summaries
    assert summaries["/logs/a.log"] == good and summaries["/logs/b.log"].status == STATUS_FAILED


def test_a_summary_the_head_changes_beyond_its_own_fields_is_stored_encoded(tmp_path):
    """An appended read's lines before the first stamp move to the hour read before (deltas):
    its timeline is then not the one received, so the text is not stored."""
    db = StateDB(str(tmp_path / "s.db"))
    run, _ = db.start_run(["/logs"], {}, False, "out", fresh=False)
    recorder = RunRecorder(db, run.run_id)
    recorder.expect(found("/logs/a.log"), 1,
                    ReadPlan(start=40, mode=APPENDED, lead_hour="2026-11-26T13:00:00Z"))
    summary, text = sent(ok("/logs/a.log", 2, start=40))
    recorder.record([(Task(1, "/logs/a.log", 100, start=40), summary)], texts=[text])
    [encoded] = stored_texts(db)
    assert '"wire"' not in encoded
    stored = db.report_input(run.run_id).summaries["/logs/a.log"]
    assert stored.timeline == {"2026-11-26T13:00:00Z": [2, 0, 0]}
