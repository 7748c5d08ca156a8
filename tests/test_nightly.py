"""Nightly operation with real processes: resume after a head crash, incremental runs, the lock."""

import os
import signal
import sqlite3
import time
from collections import Counter

from tests.helpers import (
    Proc,
    assert_matches_truth,
    comparable,
    free_port,
    make_key,
    make_tree,
    read_csv,
    run_logcrunch,
    wait_for_file,
    wait_until,
)
from tests.tmpfs import remount_read_only, tmpfs


def run_cmd(tmp_path, root, *extra, out="out", state="state.db"):
    return ("run", str(root), "--out", str(tmp_path / out), "--state", str(tmp_path / state),
            "-j", "1", *extra)


def stored_paths(tmp_path) -> set[str]:
    with sqlite3.connect(tmp_path / "state.db") as db:
        return {os.fsdecode(p) for (p,) in db.execute("SELECT path FROM results")}


def test_head_killed_mid_run_resumes_without_rereading_stored_files(tmp_path):
    root = tmp_path / "logs"
    truth = make_tree(root)
    key = make_key(tmp_path / "key")
    port = free_port()
    # The smallest file is leased last (largest first): the run is held on it, mid-way.
    by_size = sorted(truth.per_file_lines, key=os.path.getsize)
    assert os.path.getsize(by_size[0]) < os.path.getsize(by_size[1])
    last = by_size[0]
    hold, trace = tmp_path / "hold", tmp_path / "reads.txt"
    hold.mkdir()
    submit = ("submit", str(root), "--out", str(tmp_path / "out"), "--bind", f"127.0.0.1:{port}",
              "--authkey-file", str(key), "--state", str(tmp_path / "state.db"))
    first_head = Proc(*submit)
    node = Proc("work", "--server", f"127.0.0.1:{port}", "--authkey-file", str(key), "-j", "1",
                "--connect-timeout", "60",
                env={"LOGCRUNCH_FAULTS": f"trace:{trace};hold:{last}:{hold}"})
    try:
        wait_for_file(hold, "held.")
        # The earlier leases' results reach the head while the worker reads on (worker._Sender).
        wait_until(lambda: len(stored_paths(tmp_path)) > 1, "earlier results to be stored")
        first_head.popen.send_signal(signal.SIGKILL)
        first_head.wait()
        stored = stored_paths(tmp_path)
        assert 1 < len(stored) < truth.files
        # One stored file grows before the rerun (the next night's cron resumes an aborted
        # run): its stored result is stale and must not count.
        grown = sorted(p for p in stored if p.endswith(".log"))[0]
        with open(grown, "a") as fp:
            fp.write("Nov 27 03:00:00 node00 api[1]: ERROR written after the crash\n")
        second_head = Proc(*submit)  # the same command again: resumes
        (hold / "release").touch()
        assert second_head.wait(timeout=40) == 0, second_head.output + node.output
        assert node.wait() == 0, node.output
    finally:
        node.kill()
        first_head.kill()
    assert "(resumed)" in second_head.output
    reads = Counter(trace.read_text().splitlines())
    assert all(reads[path] == 1 for path in stored if path != grown), reads
    assert reads[grown] == 2
    assert set(reads) == set(truth.per_file_lines)
    assert run_logcrunch(*run_cmd(tmp_path, root, out="clean", state="clean.db")).returncode == 0
    assert comparable(tmp_path / "out") == comparable(tmp_path / "clean")


def test_incremental_runs_process_only_new_and_changed_files(tmp_path):
    root = tmp_path / "logs"
    truth = make_tree(root)
    trace = tmp_path / "reads.txt"
    env = {"LOGCRUNCH_FAULTS": f"trace:{trace}"}

    def incremental(out):
        if trace.exists():
            trace.unlink()
        result = run_logcrunch(*run_cmd(tmp_path, root, "--incremental", out=out), env=env)
        assert result.returncode == 0, result.stderr
        summary = read_csv(tmp_path / out / "summary.csv")[0]
        reads = trace.read_text().splitlines() if trace.exists() else []
        return summary, reads

    summary, reads = incremental("night1")
    assert int(summary["files"]) == truth.files and len(reads) == truth.files
    summary, reads = incremental("night2")
    assert (summary["files"], summary["files_unchanged"], reads) == ("0", str(truth.files), [])
    # rotation: renamed with the same identity is not re-counted
    plain = sorted(p for p in truth.per_file_lines if p.endswith(".log"))
    os.rename(plain[0], plain[0] + ".1")
    new_file = root / "node00" / "api" / "new.log"
    new_file.write_text("Nov 27 03:00:00 node00 api[1]: ERROR fresh\n")
    with open(plain[1], "a") as fp:
        fp.write("Nov 27 03:00:00 node00 api[1]: WARN appended\n")
    summary, reads = incremental("night3")
    assert sorted(reads) == sorted([str(new_file), plain[1]])
    assert (summary["files"], summary["files_unchanged"]) == ("2", str(truth.files - 1))
    files = read_csv(tmp_path / "night3" / "files.csv")
    assert [row["path"] for row in files] == sorted([str(new_file), plain[1]])


def start_held_run(tmp_path):
    """A `logcrunch run` over a small tree that stops on its first file until hold/release."""
    root = tmp_path / "logs"
    make_tree(root, hosts=1, files_per_host=2)
    hold = tmp_path / "hold"
    hold.mkdir()
    return root, hold, Proc(*run_cmd(tmp_path, root), env={"LOGCRUNCH_FAULTS": f"hold:app:{hold}"})


def test_second_concurrent_run_exits_75_without_touching_anything(tmp_path):
    root, hold, first = start_held_run(tmp_path)
    try:
        wait_for_file(hold, "held.")
        started = time.monotonic()
        second = run_logcrunch(*run_cmd(tmp_path, root, out="second"), timeout=30)
        assert second.returncode == 75
        assert time.monotonic() - started < 20
        assert "another logcrunch run holds" in second.stderr
        assert f"pid {first.popen.pid}" in second.stderr
        assert not (tmp_path / "second").exists()
        (hold / "release").touch()
        assert first.wait() == 0, first.output
    finally:
        first.kill()
    with sqlite3.connect(tmp_path / "state.db") as db:
        assert db.execute("SELECT count(*) FROM runs").fetchone()[0] == 1


def test_stale_lock_of_a_dead_run_is_taken_over(tmp_path):
    root, hold, first = start_held_run(tmp_path)
    wait_for_file(hold, "held.")
    first.kill()  # SIGKILL: the lock file stays, its flock dies with the process
    assert (tmp_path / "state.db.lock").exists()
    result = run_logcrunch(*run_cmd(tmp_path, root))
    assert result.returncode == 0, result.stderr
    assert "resumed" in result.stderr


def test_reruns_give_identical_reports_and_reexport_matches(tmp_path):
    root = tmp_path / "logs"
    make_tree(root)
    assert run_logcrunch(*run_cmd(tmp_path, root, "-j", "2", out="a")).returncode == 0
    assert run_logcrunch(*run_cmd(tmp_path, root, "--fresh", out="b")).returncode == 0
    assert comparable(tmp_path / "a") == comparable(tmp_path / "b")
    exported = run_logcrunch("report", "--run", "1", "--out", str(tmp_path / "again"), "--state",
                             str(tmp_path / "state.db"))
    assert exported.returncode == 0, exported.stderr
    for name in ("files.csv", "metrics.csv", "summary.csv", "templates.csv", "timeline.csv"):
        assert (tmp_path / "again" / name).read_bytes() == (tmp_path / "a" / name).read_bytes()
    runs = run_logcrunch("runs", "--state", str(tmp_path / "state.db"))
    rows = [line.split(",") for line in runs.stdout.splitlines()]
    assert rows[0][:4] == ["run_id", "started", "ended", "status"]
    assert [(r[0], r[3]) for r in rows[1:]] == [("2", "ok"), ("1", "ok")]
    assert all(r[1].endswith("Z") and r[2].endswith("Z") for r in rows[1:])  # UTC, as reports


def test_out_accepts_strftime_patterns(tmp_path):
    root = tmp_path / "logs"
    make_tree(root, hosts=1, files_per_host=1)
    result = run_logcrunch(*run_cmd(tmp_path, root, out="%Y-%m-%d"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / time.strftime("%Y-%m-%d") / "_SUCCESS").exists()


def test_cron_output_is_plain_log_lines_and_quiet_is_quiet(tmp_path):
    root = tmp_path / "logs"
    make_tree(root, hosts=1, files_per_host=1)
    loud = run_logcrunch(*run_cmd(tmp_path, root))
    assert "\r" not in loud.stderr and "\x1b[" not in loud.stderr
    assert "logcrunch INFO" in loud.stderr
    quiet = run_logcrunch(*run_cmd(tmp_path, root, "--fresh", "--quiet"))
    assert quiet.returncode == 0 and quiet.stderr == ""


def test_sigterm_on_the_head_stops_cleanly_and_the_rerun_resumes(tmp_path):
    root = tmp_path / "logs"
    truth = make_tree(root)
    hold = tmp_path / "hold"
    hold.mkdir()
    first = Proc(*run_cmd(tmp_path, root), env={"LOGCRUNCH_FAULTS": f"hold:node02:{hold}"})
    try:
        wait_for_file(hold, "held.")
        first.popen.send_signal(signal.SIGTERM)
        (hold / "release").touch()  # the worker finishes its file and goes
        assert first.wait() == 1, first.output
    finally:
        first.kill()
    assert "stopped by SIGTERM" in first.output
    assert not (tmp_path / "out").exists()  # no half report published
    result = run_logcrunch(*run_cmd(tmp_path, root))
    assert result.returncode == 0 and "(resumed)" in result.stderr
    assert_matches_truth(tmp_path / "out", truth)


def test_readme_crontab_line_runs_as_cron_would(tmp_path):
    import re
    import shutil
    import subprocess
    import sys

    from tests.helpers import ROOT, child_env

    line = next(text for text in (ROOT / "README.md").read_text().splitlines()
                if text.startswith("0 2 * * * "))
    command = line[len("0 2 * * * "):].replace("\\%", "%")  # what cron hands to sh
    root = tmp_path / "logs"
    truth = make_tree(root, hosts=2, files_per_host=2)
    an_hour_ago = time.time() - 3600  # older than the line's --settle
    for path in root.rglob("*"):
        os.utime(path, (an_hour_ago, an_hour_ago))
    home = tmp_path / "home"
    make_key(home / ".config" / "logcrunch" / "authkey")
    port = free_port()
    command = (command.replace("/mnt/shared/logs", str(root))
               .replace("/srv/reports", str(tmp_path / "reports"))
               .replace("10.0.0.1:50070", f"127.0.0.1:{port}")
               .replace("/var/log/logcrunch.log", str(tmp_path / "cron.log")))
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "logcrunch").write_text(f"#!/bin/sh\nexec {sys.executable} -m logcrunch \"$@\"\n")
    (bindir / "logcrunch").chmod(0o755)
    env = {"HOME": str(home), "PATH": f"{bindir}:/usr/bin:/bin", "SHELL": "/bin/sh",
           "PYTHONPATH": child_env()["PYTHONPATH"],
           "LOGCRUNCH_STATE": str(tmp_path / "state.db")}
    node = Proc("work", "--server", f"127.0.0.1:{port}", "--authkey-file",
                str(home / ".config" / "logcrunch" / "authkey"), "-j", "1",
                "--connect-timeout", "60")
    try:
        cron = subprocess.run(["/bin/sh", "-c", command], env=env, stdin=subprocess.DEVNULL,
                              timeout=120)
        assert cron.returncode == 0, (tmp_path / "cron.log").read_text()
        assert node.wait() == 0, node.output
    finally:
        node.kill()
    (report,) = (tmp_path / "reports").iterdir()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", report.name)
    assert_matches_truth(report, truth)
    assert (tmp_path / "cron.log").read_text() == ""  # --quiet: nothing to mail on success
    shutil.rmtree(bindir)


def test_settle_leaves_files_still_being_written_for_the_next_run(tmp_path):
    root = tmp_path / "logs"
    truth = make_tree(root, hosts=1, files_per_host=2, gzip_every=0)
    older, fresh = sorted(truth.per_file_lines)
    an_hour_ago = time.time() - 3600
    os.utime(older, (an_hour_ago, an_hour_ago))
    first = run_logcrunch(*run_cmd(tmp_path, root, "--incremental", "--settle", "600", out="n1"))
    assert first.returncode == 0, first.stderr
    files = read_csv(tmp_path / "n1" / "files.csv")
    assert [(r["path"], r["status"]) for r in files] == [(older, "ok"), (fresh, "deferred")]
    assert "the next run reads it" in files[1]["error"]
    assert int(files[1]["size_bytes"]) == os.path.getsize(fresh)
    summary = read_csv(tmp_path / "n1" / "summary.csv")
    assert [(r["group"], r["files"], r["files_failed"], r["files_deferred"]) for r in summary] == [
        ("*", "1", "0", "1"), ("node00", "1", "0", "1")]
    assert "1 files deferred by --settle (modified in the last 600 s)" in first.stderr
    # Deferred is not "seen": the next incremental run reads it.
    second = run_logcrunch(*run_cmd(tmp_path, root, "--incremental", out="n2"))
    assert second.returncode == 0, second.stderr
    assert [r["path"] for r in read_csv(tmp_path / "n2" / "files.csv")] == [fresh]


def test_a_night_where_every_file_is_deferred_says_so_and_exits_0(tmp_path):
    root = tmp_path / "logs"
    truth = make_tree(root, hosts=2, files_per_host=2)
    night = run_logcrunch(*run_cmd(tmp_path, root, "--incremental", "--settle", "999999", "-q"))
    assert night.returncode == 0, night.stderr
    assert "found no files" not in night.stderr
    assert f"WARNING {truth.files} files deferred by --settle" in night.stderr  # nothing else read
    assert (tmp_path / "out" / "_SUCCESS").exists()
    files = read_csv(tmp_path / "out" / "files.csv")
    assert {r["status"] for r in files} == {"deferred"} and len(files) == truth.files
    assert read_csv(tmp_path / "out" / "summary.csv")[0]["files_deferred"] == str(truth.files)
    assert read_csv(tmp_path / "out" / "metrics.csv") == []
    exported = run_logcrunch("report", "--run", "latest", "--out", str(tmp_path / "again"),
                             "--state", str(tmp_path / "state.db"))
    assert exported.returncode == 0, exported.stderr
    assert (tmp_path / "again" / "files.csv").read_bytes() == \
        (tmp_path / "out" / "files.csv").read_bytes()
    settled = run_logcrunch(*run_cmd(tmp_path, root, "--incremental", out="next"))
    assert settled.returncode == 0, settled.stderr
    assert_matches_truth(tmp_path / "next", truth)


def stored_statuses(state):
    with sqlite3.connect(state) as db:
        return sorted(status for (status,) in db.execute("SELECT status FROM results"))


def test_a_settle_window_on_a_resumed_run_reads_what_has_settled_since(tmp_path):
    root = tmp_path / "logs"
    truth = make_tree(root, hosts=1, files_per_host=3, gzip_every=0)
    hold = tmp_path / "hold"
    hold.mkdir()
    oldest, *recent = sorted(truth.per_file_lines)
    os.utime(oldest, (time.time() - 3600, time.time() - 3600))
    command = run_cmd(tmp_path, root, "--settle", "600")
    first = Proc(*command, env={"LOGCRUNCH_FAULTS": f"hold:app:{hold}"})
    try:
        wait_for_file(hold, "held.")
        wait_until(lambda: stored_statuses(tmp_path / "state.db") == ["deferred", "deferred"],
                   "the two deferred rows stored")
        first.kill()  # the run is left to resume
    finally:
        first.kill()
    for path in recent:  # they settled since
        os.utime(path, (time.time() - 3600, time.time() - 3600))
    again = run_logcrunch(*command)
    assert again.returncode == 0 and "(resumed)" in again.stderr, again.stderr
    assert_matches_truth(tmp_path / "out", truth)
    assert "deferred" not in (tmp_path / "out" / "files.csv").read_text()


def test_report_that_cannot_be_written_leaves_the_run_resumable(tmp_path):
    # --out passes the check before the walk, then becomes a file while the run is held.
    root, hold, first = start_held_run(tmp_path)
    try:
        wait_for_file(hold, "held.")
        (tmp_path / "out").write_text("not a directory")
        (hold / "release").touch()
        assert first.wait() == 1, first.output
    finally:
        first.kill()
    assert "cannot write the report to" in first.output and "run the same command" in first.output
    runs = run_logcrunch("runs", "--state", str(tmp_path / "state.db")).stdout.splitlines()
    assert runs[1].split(",")[3] == "incomplete"
    refused = run_logcrunch("report", "--run", "1", "--out", str(tmp_path / "x"),
                            "--state", str(tmp_path / "state.db"))
    assert refused.returncode == 1 and "--allow-incomplete" in refused.stderr
    (tmp_path / "out").unlink()
    again = run_logcrunch(*run_cmd(tmp_path, root))
    assert again.returncode == 0 and "(resumed)" in again.stderr
    assert int(read_csv(tmp_path / "out" / "summary.csv")[0]["files_ok"]) == 2


def test_a_runs_identity_ignores_the_read_buffer_but_not_what_changes_numbers():
    # A new default buffer size must not make the next --incremental run re-read everything.
    import dataclasses

    from logcrunch.head import HeadOptions
    from logcrunch.job import fingerprint
    from logcrunch.scan import ScanConfig

    base = HeadOptions(roots=("/logs",))
    rebuffered = dataclasses.replace(base, scan=ScanConfig(chunk_size=4096))
    longer_lines = dataclasses.replace(base, scan=ScanConfig(max_line_bytes=4096))
    assert fingerprint(rebuffered) == fingerprint(base)
    assert fingerprint(longer_lines) != fingerprint(base)
    assert fingerprint(dataclasses.replace(base, split_bytes=10)) != fingerprint(base)


# ----- what cron sees ------------------------------------------------------------------------


def runs_table(tmp_path, state="state.db"):
    result = run_logcrunch("runs", "--state", str(tmp_path / state))
    assert result.returncode == 0, result.stderr
    return [dict(zip(result.stdout.splitlines()[0].split(","), line.split(","), strict=False))
            for line in result.stdout.splitlines()[1:]]


def test_roots_without_any_file_exit_4_write_nothing_and_are_never_a_baseline(tmp_path):
    root = tmp_path / "logs"
    truth = make_tree(root, hosts=2, files_per_host=2)
    night1 = run_logcrunch(*run_cmd(tmp_path, root, "--incremental", "-q"))
    assert night1.returncode == 0, night1.stderr
    before = {name: (tmp_path / "out" / name).read_bytes()
              for name in ("files.csv", "metrics.csv", "summary.csv", "_SUCCESS")}
    # The share is not mounted tonight: the mount point is an empty directory.
    root.rename(tmp_path / "logs.real")
    root.mkdir()
    empty = run_logcrunch(*run_cmd(tmp_path, root, "--incremental", "-q"))
    assert empty.returncode == 4, empty.stderr
    assert f"found no files under {root} (is the share mounted?" in empty.stderr
    assert "Traceback" not in empty.stderr and empty.stderr.count("\n") == 1
    assert {name: (tmp_path / "out" / name).read_bytes() for name in before} == before
    assert [r["status"] for r in runs_table(tmp_path)] == ["empty", "ok"]
    exported = run_logcrunch("report", "--out", str(tmp_path / "latest"), "--state",
                             str(tmp_path / "state.db"))
    assert exported.returncode == 0 and "wrote run 1 (ok)" in exported.stdout
    refused = run_logcrunch("report", "--run", "2", "--out", str(tmp_path / "x"), "--state",
                            str(tmp_path / "state.db"))
    assert refused.returncode == 1 and "found no files" in refused.stderr
    # Mounted again: the baseline is still night 1, so nothing is read again.
    root.rmdir()
    (tmp_path / "logs.real").rename(root)
    night3 = run_logcrunch(*run_cmd(tmp_path, root, "--incremental", out="night3"))
    assert night3.returncode == 0, night3.stderr
    assert "(resumed)" not in night3.stderr
    summary = read_csv(tmp_path / "night3" / "summary.csv")[0]
    assert (summary["files"], summary["files_unchanged"]) == ("0", str(truth.files))


def test_an_include_that_matches_nothing_exits_4_and_says_what_was_passed_over(tmp_path):
    root = tmp_path / "logs"
    make_tree(root, hosts=1, files_per_host=3)
    (root / ".hidden.log").write_text("x\n")
    result = run_logcrunch(*run_cmd(tmp_path, root, "--include", "*.lgo", out="new"))
    assert result.returncode == 4, result.stderr
    assert f"found no files under {root}; passed over: 1 hidden (--hidden takes them), 3 not " \
           "matching --include (do --include/--exclude match anything?)" in result.stderr
    assert "Nothing was written" in result.stderr
    assert not (tmp_path / "new").exists()  # not even the directory


def test_a_root_whose_only_directory_cannot_be_entered_is_exit_3_not_4(tmp_path):
    # A failed row is something found: it must reach files.csv (exit 3), not vanish into "empty".
    root = tmp_path / "logs"
    chain = [str(root)]
    os.mkdir(root)
    for _level in range(1002):
        chain.append(os.path.join(chain[-1], "d"))
        os.mkdir(chain[-1])
    try:
        result = run_logcrunch(*run_cmd(tmp_path, root))
        assert result.returncode == 3, result.stderr
        (row,) = read_csv(tmp_path / "out" / "files.csv")
        assert (row["path"], row["status"], row["format"], row["error"]) == (
            chain[1001], "failed", "directory",
            "deeper than 1000 levels below the root; not entered")
    finally:
        for path in reversed(chain):
            os.rmdir(path)


def test_a_quiet_incremental_night_with_nothing_new_prints_nothing(tmp_path):
    root = tmp_path / "logs"
    truth = make_tree(root, hosts=2, files_per_host=2)
    first = run_logcrunch(*run_cmd(tmp_path, root, "--incremental", "-q", "-j", "2"))
    assert first.returncode == 0 and first.stderr == "", first.stderr
    for night in range(3):  # the workers used to lose a race with the head's end every time
        quiet = run_logcrunch(*run_cmd(tmp_path, root, "--incremental", "-q", "-j", "2",
                                       out=f"night{night}"))
        assert (quiet.returncode, quiet.stderr) == (0, "")
        summary = read_csv(tmp_path / f"night{night}" / "summary.csv")[0]
        assert (summary["files"], summary["files_unchanged"]) == ("0", str(truth.files))


def test_out_is_checked_before_the_walk_and_fails_with_exit_2(tmp_path):
    root = tmp_path / "logs"
    make_tree(root, hosts=1, files_per_host=2)
    trace = tmp_path / "reads.txt"
    env = {"LOGCRUNCH_FAULTS": f"trace:{trace}"}
    (tmp_path / "afile").write_text("not a directory")
    today = time.strftime("%Y-%m-%d")
    (tmp_path / today).write_text("a file named like tonight's report")
    for out, message in [
            ("afile", f"--out {tmp_path / 'afile'} exists and is not a directory"),
            ("afile/sub", f"cannot be created: {tmp_path / 'afile'} is not a directory"),
            ("%Y-%m-%d", f"--out {tmp_path / today} exists and is not a directory")]:
        result = run_logcrunch(*run_cmd(tmp_path, root, out=out), env=env)
        assert result.returncode == 2, result.stderr
        assert message in result.stderr
    assert not trace.exists()  # nothing was read
    assert not (tmp_path / "state.db").exists()  # nor recorded


def test_out_on_a_read_only_disk_fails_before_the_walk(tmp_path):
    root = tmp_path / "logs"
    make_tree(root, hosts=1, files_per_host=1)
    with tmpfs(tmp_path / "ro") as disk:
        (disk / "reports").mkdir()
        remount_read_only(disk)
        for out, message in [
                (disk / "reports", f"--out {disk / 'reports'}: cannot write there (read-only "
                                   "file system)"),
                (disk / "reports" / "new", f"--out {disk / 'reports' / 'new'} cannot be created: "
                                           f"{disk / 'reports'} is not writable (read-only file "
                                           "system)")]:
            result = run_logcrunch("run", str(root), "--out", str(out), "--state",
                                   str(tmp_path / "state.db"), "-j", "1")
            assert result.returncode == 2, result.stderr
            assert message in result.stderr


def test_report_latest_is_the_latest_finished_run_not_one_still_going(tmp_path):
    root, hold, held = start_held_run(tmp_path)
    try:
        wait_for_file(hold, "held.")
        nothing = run_logcrunch("report", "--run", "latest", "--out", str(tmp_path / "x"),
                                "--state", str(tmp_path / "state.db"))
        assert nothing.returncode == 1
        assert "no finished run" in nothing.stderr and "logcrunch runs" in nothing.stderr
        (hold / "release").touch()
        assert held.wait() == 0, held.output
    finally:
        held.kill()
    hold_again = tmp_path / "hold-again"
    hold_again.mkdir()
    second = Proc(*run_cmd(tmp_path, root, "--fresh", out="second"),
                  env={"LOGCRUNCH_FAULTS": f"hold:app:{hold_again}"})
    try:
        wait_for_file(hold_again, "held.")
        assert [r["status"] for r in runs_table(tmp_path)] == ["running", "ok"]
        latest = run_logcrunch("report", "--run", "latest", "--out", str(tmp_path / "latest"),
                               "--state", str(tmp_path / "state.db"))
        assert latest.returncode == 0 and "wrote run 1 (ok)" in latest.stdout, latest.stderr
        assert (tmp_path / "latest" / "_SUCCESS").exists()
    finally:
        second.kill()


def test_the_lock_is_the_database_file_whatever_name_opens_it(tmp_path):
    root, hold, first = start_held_run(tmp_path)
    try:
        wait_for_file(hold, "held.")
        os.link(tmp_path / "state.db", tmp_path / "hardlink.db")
        (tmp_path / "symlink.db").symlink_to(tmp_path / "state.db")
        (tmp_path / "x").mkdir()
        for name in ("hardlink.db", "symlink.db", "x/../state.db"):
            second = run_logcrunch(*run_cmd(tmp_path, root, "--fresh", out="second", state=name),
                                   timeout=30)
            assert second.returncode == 75, second.stderr
            assert f"another logcrunch run holds {tmp_path / name}" in second.stderr
            assert f"pid {first.popen.pid} on" in second.stderr
        assert not (tmp_path / "second").exists()
        (hold / "release").touch()
        assert first.wait() == 0, first.output
    finally:
        first.kill()
    assert [r["run_id"] for r in runs_table(tmp_path, "hardlink.db")] == ["1"]
