"""The click layer: help, usage errors that say how to fix them, keygen."""

import os
import stat
from pathlib import Path

import pytest

from logcrunch.cli import cli
from tests.helpers import ROOT, run_logcrunch

COMMANDS = sorted(cli.commands)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example_and_is_in_the_readme(runner, command):
    result = runner.invoke(cli, [command, "--help"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "Example:" in result.output
    assert f"logcrunch {command}" in (ROOT / "README.md").read_text()


def test_readme_commands_are_the_ones_ci_runs():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    test_command = "python3 -m venv .venv && . .venv/bin/activate && pip install -e '.[test]' " \
                   "&& python -m pytest -q"
    assert test_command in readme and test_command in ci
    assert "pip install . && logcrunch run sample_logs --out report" in readme


@pytest.mark.parametrize("args,message", [
    (["run", ".", "--out", "o", "--metric", "nogroup"], "write NAME=REGEX"),
    (["run", ".", "--out", "o", "--metric", "ms=(unclosed"], "not a valid regex"),
    (["run", ".", "--out", "o", "--metric", "ms=\\d+"], "exactly one capture group"),
    (["run", ".", "--out", "o", "--error-pattern", "[oops"], "not a valid regex"),
    (["run", ".", "--out", "o", "-j", "0"], "0 is not in the range x>=1"),
    (["run", ".", "--out", "o", "--max-attempts", "0"], "--max-attempts must be at least 1"),
    (["run", ".", "--out", "o", "--worker-timeout", "0"], "--worker-timeout must be > 0"),
    (["run", "."], "Missing option '--out'"),
    (["submit", ".", "--out", "o", "--bind", "head:notaport"], "HOST:PORT"),
    (["work", "--server", "head:99999"], "PORT in 0-65535"),
    (["work", "--server", "head", "--path-map", "nonsense"], "HEADPREFIX=LOCALPREFIX"),
    (["report", "--run", "last", "--out", "o"], "give a run id"),
])
def test_bad_flags_fail_fast_with_exit_2_and_advice(runner, args, message, tmp_path):
    os.chdir(tmp_path)
    result = runner.invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_work_without_any_key_file_refuses(runner, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("LOGCRUNCH_AUTHKEY_FILE", raising=False)
    result = runner.invoke(cli, ["work", "--server", "127.0.0.1:1"])
    assert result.exit_code == 2
    assert "logcrunch keygen" in result.output


def test_keygen_writes_a_private_key_once(runner, tmp_path):
    path = tmp_path / "k"
    assert runner.invoke(cli, ["keygen", str(path)]).exit_code == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = runner.invoke(cli, ["keygen", str(path)])
    assert again.exit_code == 1 and "--force" in again.output
    assert path.read_text() not in again.output


def test_python_dash_m_and_sample_logs_run_clean(tmp_path):
    result = run_logcrunch("run", str(ROOT / "sample_logs"), "--out", str(tmp_path / "report"),
                           "--state", str(tmp_path / "s.db"), "-j", "2")
    assert result.returncode == 0, result.stderr
    files = (tmp_path / "report" / "files.csv").read_text().splitlines()
    assert len(files) == 1 + sum(1 for p in Path(ROOT / "sample_logs").rglob("*") if p.is_file())
    assert ",failed," not in "\n".join(files)


def test_console_script_flushes_everything_before_its_fast_exit(tmp_path):
    # main() leaves with os._exit: whatever was printed or logged must be out first, and the
    # exit code must be the command's.
    state = str(tmp_path / "s.db")
    ran = run_logcrunch("run", str(ROOT / "sample_logs"), "--out", str(tmp_path / "r"),
                        "--state", state, "-j", "1")
    assert ran.returncode == 0 and "wrote" in ran.stderr  # the last log line made it out
    runs = run_logcrunch("runs", "--state", state)
    assert runs.returncode == 0 and runs.stdout.endswith(",ok,9,0,0,0,0," + str(ROOT / "sample_logs")
                                                         + "," + str(tmp_path / "r") + "\n")
    missing = run_logcrunch("report", "--state", state, "--run", "7", "--out", str(tmp_path / "x"))
    assert missing.returncode == 1 and "7" in missing.stderr
    bad = run_logcrunch("run", "--bogus")
    assert bad.returncode == 2 and "No such option" in bad.stderr


def test_state_on_a_network_filesystem_is_refused(monkeypatch, tmp_path):
    from logcrunch import state

    monkeypatch.setattr(state, "filesystem_type", lambda path: "nfs4")
    with pytest.raises(state.StateError, match="on nfs4"):
        state.RunLock(str(tmp_path / "state.db")).acquire()


def test_missing_root_is_a_usage_error(runner, tmp_path):
    result = runner.invoke(cli, ["run", str(tmp_path / "typo"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "does not exist" in result.output


def test_unusable_bind_address_is_a_usage_error_and_records_no_run(runner, tmp_path):
    key = tmp_path / "key"
    assert runner.invoke(cli, ["keygen", str(key)]).exit_code == 0
    result = runner.invoke(cli, ["submit", str(tmp_path), "--out", str(tmp_path / "o"),
                                 "--bind", "192.0.2.1:5000", "--authkey-file", str(key),
                                 "--state", str(tmp_path / "s.db")])
    assert result.exit_code == 2
    assert "cannot listen on 192.0.2.1:5000" in result.output and "--bind" in result.output
    runs = runner.invoke(cli, ["runs", "--state", str(tmp_path / "s.db")])
    assert runs.output.strip().count("\n") == 0  # header only


def test_runs_with_a_mistyped_state_path_creates_nothing(runner, tmp_path):
    result = runner.invoke(cli, ["runs", "--state", str(tmp_path / "nope" / "s.db")])
    assert result.exit_code == 1 and "no state database" in result.output
    assert not (tmp_path / "nope").exists()


def test_default_processes_are_the_cpus_this_process_may_use(monkeypatch):
    from logcrunch import cli as cli_module

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 3, 5}, raising=False)
    assert cli_module._usable_cpus() == 3  # taskset -c 0,3,5 on a bigger machine


def test_report_to_an_out_that_is_a_file_is_a_usage_error_before_anything(runner, tmp_path):
    (tmp_path / "afile").write_text("x")
    result = runner.invoke(cli, ["report", "--run", "latest", "--out", str(tmp_path / "afile"),
                                 "--state", str(tmp_path / "nope.db")])
    assert result.exit_code == 2, result.output
    assert f"--out {tmp_path / 'afile'} exists and is not a directory" in result.output


def test_exit_code_4_means_no_files(tmp_path):
    from logcrunch import defaults

    (tmp_path / "empty").mkdir()
    result = run_logcrunch("run", str(tmp_path / "empty"), "--out", str(tmp_path / "o"),
                           "--state", str(tmp_path / "s.db"), "-j", "1")
    assert result.returncode == defaults.EXIT_NO_FILES == 4, result.stderr
    assert f"ERROR found no files under {tmp_path / 'empty'}" in result.stderr
    assert not (tmp_path / "o").exists()


def test_an_out_this_user_cannot_write_is_refused_with_the_reason(tmp_path, monkeypatch):
    # CI runs as root, whom permissions do not stop: what a normal user would meet is simulated.
    import errno
    import tempfile

    from logcrunch.job import OutDirError, check_out_dir

    (tmp_path / "reports").mkdir()
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    with pytest.raises(OutDirError, match=r"cannot be created: .*/reports is not writable "
                                          r"\(permission denied\); give a directory you can write"):
        check_out_dir(str(tmp_path / "reports" / "2026-11-27"))

    def refused(**kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refused)
    with pytest.raises(OutDirError, match=r"reports: cannot write there \(permission denied\)"):
        check_out_dir(str(tmp_path / "reports"))
    assert os.listdir(tmp_path / "reports") == []  # nothing created
