"""The changes.csv flags on run, submit and report: bad values fail fast and say what to give."""

import os

import pytest

from logcrunch.cli import cli

COMMANDS = [["run", "."], ["submit", "."], ["report"]]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
@pytest.mark.parametrize(("flags", "message"), [
    (["--baseline", "-1"], "--baseline -1: give how many earlier runs to compare with, 0 or more "
                           "(0 turns the comparison off)"),
    (["--change-ratio", "1"], "--change-ratio 1.0: give a number greater than 1 (2: at least "
                              "twice or at most half the baseline)"),
    (["--change-ratio", "nan"], "--change-ratio nan: give a number greater than 1"),
    (["--change-min-lines", "-1"], "--change-min-lines -1: give 0 or more lines"),
    (["--baseline", "x"], "'x' is not a valid integer"),
])
def test_bad_change_flags_exit_2_with_advice(runner, tmp_path, command, flags, message):
    os.chdir(tmp_path)
    result = runner.invoke(cli, [*command, "--out", "o", "--state", str(tmp_path / "s.db"),
                                 *flags])
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert not (tmp_path / "o").exists() and not (tmp_path / "s.db").exists()


@pytest.mark.parametrize("command", ["run", "submit", "report"])
def test_change_flags_are_in_every_reporting_commands_help(runner, command):
    result = runner.invoke(cli, [command, "--help"], catch_exceptions=False)
    for flag in ("--baseline N", "--change-ratio R", "--change-min-lines M"):
        assert flag in result.output


def test_change_flags_reach_the_job_but_not_the_runs_identity(runner, tmp_path, monkeypatch):
    from logcrunch import job
    from logcrunch.job import fingerprint

    specs = []

    def capture(spec, *_args, **_kw):
        specs.append(spec)
        raise job.OutDirError("captured")

    monkeypatch.setattr(job, "run_job", capture)  # (the command imports it when it runs)
    base = ["run", str(tmp_path), "--out", str(tmp_path / "o"), "--state", str(tmp_path / "s")]
    for flags in ([], ["--baseline", "0", "--change-ratio", "3.5", "--change-min-lines", "0"]):
        assert runner.invoke(cli, [*base, *flags]).exit_code == 2
    default, changed = specs
    assert (changed.changes.baseline_runs, changed.changes.ratio, changed.changes.min_lines) == \
        (0, 3.5, 0)
    assert default.changes != changed.changes
    assert fingerprint(default.head) == fingerprint(changed.head)
