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
)


def run_cmd(tmp_path, root, *extra, out="out", state="state.db"):
    return ("run", str(root), "--out", str(tmp_path / out), "--state", str(tmp_path / state),
            "-j", "1", *extra)


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
        first_head.popen.send_signal(signal.SIGKILL)
        first_head.wait()
        with sqlite3.connect(tmp_path / "state.db") as db:
            stored = {os.fsdecode(p) for (p,) in db.execute("SELECT path FROM results")}
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
    for name in ("files.csv", "metrics.csv", "summary.csv"):
        assert (tmp_path / "again" / name).read_bytes() == (tmp_path / "a" / name).read_bytes()
    runs = run_logcrunch("runs", "--state", str(tmp_path / "state.db"))
    rows = [line.split(",") for line in runs.stdout.splitlines()]
    assert rows[0][:4] == ["run_id", "started", "ended", "status"]
    assert [(r[0], r[3]) for r in rows[1:]] == [("2", "ok"), ("1", "ok")]


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
    assert [r["path"] for r in read_csv(tmp_path / "n1" / "files.csv")] == [older]
    second = run_logcrunch(*run_cmd(tmp_path, root, "--incremental", out="n2"))
    assert second.returncode == 0, second.stderr
    assert [r["path"] for r in read_csv(tmp_path / "n2" / "files.csv")] == [fresh]


def test_report_that_cannot_be_written_leaves_the_run_resumable(tmp_path):
    root = tmp_path / "logs"
    truth = make_tree(root, hosts=1, files_per_host=2)
    (tmp_path / "afile").write_text("not a directory")
    failed = run_logcrunch(*run_cmd(tmp_path, root, out="afile/sub"))
    assert failed.returncode == 1
    assert "cannot write the report to" in failed.stderr and "run the same command" in failed.stderr
    runs = run_logcrunch("runs", "--state", str(tmp_path / "state.db")).stdout.splitlines()
    assert runs[1].split(",")[3] == "incomplete"
    refused = run_logcrunch("report", "--run", "latest", "--out", str(tmp_path / "x"),
                            "--state", str(tmp_path / "state.db"))
    assert refused.returncode == 1 and "--allow-incomplete" in refused.stderr
    again = run_logcrunch(*run_cmd(tmp_path, root))
    assert again.returncode == 0 and "(resumed)" in again.stderr
    assert_matches_truth(tmp_path / "out", truth)


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
