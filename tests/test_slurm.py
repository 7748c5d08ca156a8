"""deploy/slurm/ under a real Slurm: the sbatch job's report, its exit code, scancel; dask_slurm.py.

Needs `sbatch` and a responding slurmctld with a usable node: `.ci/slurm-up` starts one on this
host (munged, slurmctld, and one slurmd, or two slurmd "nodes" with LOGCRUNCH_SLURM_NODES=2, as
CI does). Without it every test here skips with the reason; the two-node test skips on one node,
the dask_slurm.py test without dask-jobqueue, cryptography and `--engine dask`. Separate
machines cannot be tried here: both "nodes" share this host, its disk and loopback.
"""

from __future__ import annotations

import csv
import importlib
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import (
    ROOT,
    assert_matches_truth,
    child_env,
    comparable,
    make_tree,
    read_csv,
    run_logcrunch,
    wait_for_files,
    wait_until,
)

SCRIPT = ROOT / "deploy" / "slurm" / "logcrunch.sbatch"
DASK_SCRIPT = ROOT / "deploy" / "slurm" / "dask_slurm.py"
JOB_TIMEOUT = 60  # every job here takes a few seconds
ENDED = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY",
         "PREEMPTED", "BOOT_FAIL", "DEADLINE"}
USABLE = {"idle", "mix", "mixed", "alloc", "allocated", "comp", "completing"}


def slurm_unavailable() -> str:
    """Why Slurm cannot run a job here ("" when it can)."""
    if shutil.which("sbatch") is None or shutil.which("sinfo") is None:
        return "sbatch/sinfo not found: install Debian's slurm-wlm and start it with .ci/slurm-up"
    try:
        probe = subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True,
                               timeout=30)
    except subprocess.TimeoutExpired:
        return "sinfo got no answer from slurmctld within 30 s; start Slurm with .ci/slurm-up"
    if probe.returncode != 0:
        reason = (probe.stderr.strip().splitlines() or ["no message"])[-1]
        return f"slurmctld does not respond (sinfo: {reason}); start Slurm with .ci/slurm-up"
    states = {state.rstrip("*~#!%$@^-") for state in probe.stdout.split()}
    if not states & USABLE:
        return (f"no usable Slurm node (sinfo node states: {', '.join(sorted(states)) or 'none'})"
                "; start Slurm with .ci/slurm-up")
    return ""


@pytest.fixture(scope="module")
def slurm():
    reason = slurm_unavailable()
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="module")
def two_nodes(slurm):
    """A default partition of at least two usable nodes (LOGCRUNCH_SLURM_NODES=2 .ci/slurm-up
    makes one on this host)."""
    listed = subprocess.run(["sinfo", "-h", "-N", "-o", "%N %t"], capture_output=True, text=True,
                            timeout=30)
    nodes = {line.split()[0] for line in listed.stdout.splitlines()
             if line.split()[1].rstrip("*~#!%$@^-") in USABLE}
    if len(nodes) < 2:
        pytest.skip(f"needs two Slurm nodes, found {sorted(nodes)}; make two on this host with "
                    "LOGCRUNCH_SLURM_NODES=2 .ci/slurm-up")


@pytest.fixture(scope="module")
def dask_on_slurm(slurm):
    """dask_slurm.py's needs: dask-jobqueue, cryptography (TLS), and `--engine dask`."""
    for module in ("dask_jobqueue", "cryptography", "logcrunch.dask_engine"):
        try:
            importlib.import_module(module)
        except ImportError as exc:
            pytest.skip(f"dask_slurm.py needs {module} ({exc}): pip install dask-jobqueue "
                        "cryptography 'logcrunch[dask]'")


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "logs"
    return root, make_tree(root)


class Job:
    """One submission of the sbatch script; ``env`` adds to the LOGCRUNCH_* settings."""

    def __init__(self, tmp_path: Path, name: str, roots: list[Path], *sbatch_args: str,
                 env: dict | None = None, nodes: int = 1):
        self.output = tmp_path / f"{name}.out"
        self.roots = roots
        settings = {"LOGCRUNCH_CMD": f"{sys.executable} -m logcrunch",
                    "PYTHONFAULTHANDLER": "1",  # SIGABRT dumps every thread (see stacks())
                    "LOGCRUNCH_OUT": str(tmp_path / "out"),
                    "LOGCRUNCH_STATE": str(tmp_path / "state.db"),
                    "LOGCRUNCH_KEY_DIR": str(tmp_path / "keys"),
                    **(env or {})}
        job_env = child_env(settings)
        job_env.pop("LOGCRUNCH_AUTHKEY_FILE", None)  # a fresh key per job
        submitted = subprocess.run(
            ["sbatch", "--parsable", f"--nodes={nodes}", f"--job-name=test-{name}",
             f"--output={self.output}", *sbatch_args, str(SCRIPT), *map(str, roots)],
            capture_output=True, text=True, env=job_env, cwd=tmp_path, timeout=30)
        assert submitted.returncode == 0, submitted.stderr
        self.job_id = submitted.stdout.strip().split(";")[0]

    def state(self) -> tuple[str, int]:
        """The job's state and exit code, as slurmctld records them."""
        shown = subprocess.run(["scontrol", "-o", "show", "job", self.job_id],
                               capture_output=True, text=True, timeout=30)
        assert shown.returncode == 0, shown.stderr
        state = re.search(r"\bJobState=(\S+)", shown.stdout).group(1)
        exit_code = int(re.search(r"\bExitCode=(\d+):\d+", shown.stdout).group(1))
        return state, exit_code

    def wait(self, timeout: float = JOB_TIMEOUT) -> int:
        """Wait until the job and all its processes have ended; returns its exit code."""
        deadline = time.monotonic() + timeout
        while True:
            state, exit_code = self.state()
            if state in ENDED:
                return exit_code
            if time.monotonic() >= deadline:
                subprocess.run(["scancel", self.job_id], timeout=30)
                raise AssertionError(f"job {self.job_id} still {state} after {timeout} s; "
                                     f"output:\n{self.text()}")
            time.sleep(0.1)  # polling slurmctld, with a deadline

    def wait_for_output(self, pattern: str, timeout: float = JOB_TIMEOUT) -> None:
        try:
            wait_until(lambda: re.search(pattern, self.text()),
                       f"no {pattern!r} in the output of job {self.job_id}", timeout)
        except AssertionError as exc:
            raise AssertionError(f"{exc}; the head's threads:\n{self.stacks()}") from None

    def stacks(self) -> str:
        """The job's output after SIGABRT to its head (if still running): faulthandler writes
        every thread's stack there."""
        pattern = f"logcrunch submit {self.roots[0]} "
        found = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True,
                               timeout=30).stdout.split()
        for pid in found:
            os.kill(int(pid), signal.SIGABRT)
        if found:
            wait_until(lambda: "most recent call first" in self.text(), "no stack dump", 10)
        return self.text()

    def text(self) -> str:
        return self.output.read_text(errors="replace") if self.output.exists() else ""


def reference_report(tmp_path: Path, root: Path) -> Path:
    result = run_logcrunch("run", str(root), "--out", str(tmp_path / "ref"), "-j", "1",
                           "--state", str(tmp_path / "ref.db"))
    assert result.returncode == 0, result.stderr
    return tmp_path / "ref"


def assert_key_removed(tmp_path: Path) -> None:
    assert list((tmp_path / "keys").iterdir()) == []  # the job's private key went with it


def test_sbatch_job_report_equals_run_with_two_worker_tasks(slurm, tmp_path, tree):
    root, truth = tree
    reference = reference_report(tmp_path, root)
    hold = tmp_path / "hold"
    hold.mkdir()
    # Each of the two srun tasks (one process each) holds its first file until both are in,
    # so both take part.
    job = Job(tmp_path, "two-tasks", [root], "--ntasks-per-node=2",
              env={"LOGCRUNCH_FAULTS": f"hold:app:{hold}", "LOGCRUNCH_PROCESSES": "1"})
    wait_for_files(hold, "held.", count=2, timeout=JOB_TIMEOUT)
    (hold / "release").touch()
    assert job.wait() == 0, job.text()
    assert "head exited 0, workers (srun) 0" in job.text()
    assert comparable(tmp_path / "out") == comparable(reference)
    assert_matches_truth(tmp_path / "out", truth)
    tasks = {row["worker"].split(":")[1] for row in read_csv(tmp_path / "out" / "files.csv")}
    assert len(tasks) == 2  # two `logcrunch work` supervisors, one per srun task
    assert_key_removed(tmp_path)


def test_sbatch_job_on_two_nodes_has_a_worker_on_each(two_nodes, tmp_path, tree):
    root, truth = tree
    reference = reference_report(tmp_path, root)
    hold = tmp_path / "hold"
    hold.mkdir()
    # One process per node, each holding its first file until both are in: both take part.
    job = Job(tmp_path, "two-nodes", [root], nodes=2,
              env={"LOGCRUNCH_FAULTS": f"hold:app:{hold}", "LOGCRUNCH_PROCESSES": "1"})
    wait_for_files(hold, "held.", count=2, timeout=JOB_TIMEOUT)
    (hold / "release").touch()
    assert job.wait() == 0, job.text()
    assert "2 node(s) x 1 worker(s) x 1 process(es)" in job.text()
    assert comparable(tmp_path / "out") == comparable(reference)
    assert_matches_truth(tmp_path / "out", truth)
    tasks = {row["worker"].split(":")[1] for row in read_csv(tmp_path / "out" / "files.csv")}
    assert len(tasks) == 2  # srun put one `logcrunch work` on each node
    assert_key_removed(tmp_path)


@pytest.mark.parametrize("case, head_code", [("a file fails", 3), ("no files", 4)])
def test_sbatch_job_exits_with_the_heads_exit_code(slurm, tmp_path, tree, case, head_code):
    root, truth = tree
    victim = sorted(truth.per_file_lines)[0]
    if case == "no files":
        root = tmp_path / "empty"  # the head exits 4 at once; the waiting workers are stopped
        root.mkdir()
    job = Job(tmp_path, "code", [root], env={"LOGCRUNCH_FAULTS": f"crash:{victim}",
                                             "LOGCRUNCH_SUBMIT_ARGS": "--max-attempts 1"})
    assert job.wait() == head_code, job.text()
    assert f"head exited {head_code}," in job.text()
    if head_code == 3:
        failed = [row["path"] for row in read_csv(tmp_path / "out" / "files.csv")
                  if row["status"] == "failed"]
        assert failed == [victim]
    assert_key_removed(tmp_path)


def test_scancel_mid_run_leaves_it_resumable(slurm, tmp_path, tree):
    root, truth = tree
    reference = reference_report(tmp_path, root)
    victim = sorted(truth.per_file_lines)[5]
    hold = tmp_path / "hold"
    hold.mkdir()
    job = Job(tmp_path, "cancelled", [root], env={"LOGCRUNCH_FAULTS": f"hold:{victim}:{hold}"})
    wait_for_files(hold, "held.", timeout=JOB_TIMEOUT)  # a worker is mid-file
    subprocess.run(["scancel", job.job_id], check=True, timeout=30)
    job.wait_for_output(r"did not finish: stopped by SIGTERM")
    (hold / "release").touch()  # the held worker may go now: the head is gone
    job.wait()
    assert "head exited 1," in job.text()
    assert_key_removed(tmp_path)
    runs = read_csv_text(run_logcrunch("runs", "--state", str(tmp_path / "state.db")).stdout)
    assert [run["status"] for run in runs] == ["incomplete"]
    stored = int(runs[0]["files_ok"])

    trace = tmp_path / "trace"
    again = Job(tmp_path, "resumed", [root], env={"LOGCRUNCH_FAULTS": f"trace:{trace}"})
    assert again.wait() == 0, again.text()
    assert "(resumed)" in again.text()
    assert comparable(tmp_path / "out") == comparable(reference)
    assert_matches_truth(tmp_path / "out", truth)
    reread = trace.read_text().splitlines() if trace.exists() else []
    assert len(reread) == truth.files - stored  # what the cancelled job stored is not read again


def read_csv_text(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_script_outside_a_slurm_job_is_a_usage_error(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith("SLURM_")}
    result = subprocess.run(["bash", str(SCRIPT), str(tmp_path)], capture_output=True, text=True,
                            env=env, timeout=30)
    assert result.returncode == 2
    assert "not inside a Slurm job; submit it with: sbatch" in result.stderr


def dask_jobs_left(name: str) -> list[str]:
    listed = subprocess.run(["squeue", "-h", "-n", name, "-o", "%i"], capture_output=True,
                            text=True, timeout=30)
    return listed.stdout.split()


def test_dask_slurm_cluster_over_tls_report_equals_run(dask_on_slurm, tmp_path, tree):
    root, truth = tree
    reference = reference_report(tmp_path, root)
    name = f"lc-dask-{os.getpid()}"
    env = child_env({"LOGCRUNCH_STATE": str(tmp_path / "state.db")})
    result = subprocess.run(
        [sys.executable, str(DASK_SCRIPT), str(root), "--out", str(tmp_path / "out"),
         "--jobs", "1", "--cores", "2", "--memory", "1GB", "--shared-dir", str(tmp_path / "keys"),
         "--log-directory", str(tmp_path), f"--job-extra=--job-name={name}",
         "--worker-wait", str(JOB_TIMEOUT)],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=2 * JOB_TIMEOUT)
    assert result.returncode == 0, result.stderr
    assert "scheduler at tls://" in result.stderr
    assert comparable(tmp_path / "out") == comparable(reference)
    assert_matches_truth(tmp_path / "out", truth)
    assert_key_removed(tmp_path)  # the one-time certificate and its copies
    wait_until(lambda: not dask_jobs_left(name), "the Dask worker job still queued or running",
               JOB_TIMEOUT)
