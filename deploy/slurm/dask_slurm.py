#!/usr/bin/env python3
"""logcrunch --engine dask on Slurm, through dask-jobqueue's SLURMCluster.

Run this where the head should run (a service node with the state database on its local disk,
or inside an sbatch allocation). It starts a Dask scheduler in this process (TLS with a
one-time certificate unless --no-tls), submits --jobs Dask worker jobs with sbatch (dask-jobqueue
writes and submits their scripts), waits for the first worker, then runs

    logcrunch submit ROOT... --out DIR --engine dask --scheduler <the cluster's address>

and exits with its exit code (0, 3, 1, ... as documented for logcrunch). Arguments after `--`
go to `logcrunch submit` (e.g. `-- --incremental --settle 300`). The worker jobs are
cancelled (scancel) when it ends, also on SIGTERM/SIGINT, which are passed to the head first (its
run stays resumable).

Needs, on this node and every Dask worker node (the same Python environment, on a file system
they share): logcrunch[dask] and dask-jobqueue; `cryptography` here for the default TLS.
See deploy/slurm/README.md for every option and what was tried (dask-jobqueue 0.9.0, dask and
distributed 2026.8.0).

Example:
    python deploy/slurm/dask_slurm.py /mnt/shared/logs --out /srv/reports/%Y-%m-%d \\
        --jobs 4 --cores 16 --memory 32GB --queue batch --walltime 02:00:00
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

EXIT_USAGE = 2
EXIT_INCOMPLETE = 1  # logcrunch's "could not finish": nothing or part recorded, resumable


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    env = os.environ.get
    parser = argparse.ArgumentParser(
        description="Run `logcrunch submit --engine dask` on Dask workers started as Slurm jobs "
                    "by dask-jobqueue's SLURMCluster.",
        epilog="Defaults come from the environment variables named in brackets.")
    parser.add_argument("roots", nargs="*", metavar="ROOT",
                        help="log trees to read [LOGCRUNCH_ROOTS, ':'-separated; "
                             "default /mnt/shared/logs]")
    parser.add_argument("--out", default=env("LOGCRUNCH_OUT", "logcrunch-report/%Y-%m-%d"),
                        help="report directory, strftime patterns allowed [LOGCRUNCH_OUT]")
    parser.add_argument("--jobs", type=int, default=int(env("LOGCRUNCH_DASK_JOBS", "2")),
                        help="Slurm jobs of Dask workers, each one task of --cores CPUs "
                             "[LOGCRUNCH_DASK_JOBS; 2]")
    parser.add_argument("--cores", type=int, default=int(env("LOGCRUNCH_DASK_CORES", "8")),
                        help="cores per job (Dask worker threads in all) [LOGCRUNCH_DASK_CORES; 8]")
    parser.add_argument("--memory", default=env("LOGCRUNCH_DASK_MEMORY", "16GB"),
                        help="memory per job [LOGCRUNCH_DASK_MEMORY; 16GB]")
    parser.add_argument("--processes", type=int,
                        default=int(env("LOGCRUNCH_DASK_PROCESSES", "1")),
                        help="Dask worker processes per job; the cores are shared among them as "
                             "threads [LOGCRUNCH_DASK_PROCESSES; 1]")
    parser.add_argument("--queue", default=env("LOGCRUNCH_DASK_QUEUE"),
                        help="partition (#SBATCH -p) [LOGCRUNCH_DASK_QUEUE; the default one]")
    parser.add_argument("--account", default=env("LOGCRUNCH_DASK_ACCOUNT"),
                        help="account (#SBATCH -A) [LOGCRUNCH_DASK_ACCOUNT]")
    parser.add_argument("--walltime", default=env("LOGCRUNCH_DASK_WALLTIME", "04:00:00"),
                        help="time limit per job [LOGCRUNCH_DASK_WALLTIME; 04:00:00]")
    parser.add_argument("--interface", default=env("LOGCRUNCH_DASK_INTERFACE"),
                        help="network interface of the scheduler and workers, e.g. ib0 "
                             "[LOGCRUNCH_DASK_INTERFACE; the hostname's address]")
    parser.add_argument("--job-extra", action="append", default=[], metavar="DIRECTIVE",
                        help="another #SBATCH directive, e.g. --job-extra=--exclusive "
                             "(repeatable)")
    parser.add_argument("--prologue", action="append", default=[], metavar="LINE",
                        help="a shell line run in each worker job first, e.g. "
                             "'source /shared/venv/bin/activate' (repeatable)")
    parser.add_argument("--python", default=env("LOGCRUNCH_DASK_PYTHON", sys.executable),
                        help="the Python of the worker jobs [LOGCRUNCH_DASK_PYTHON; this one]")
    parser.add_argument("--log-directory", default=env("LOGCRUNCH_DASK_LOG_DIRECTORY"),
                        help="where the worker jobs' output goes [LOGCRUNCH_DASK_LOG_DIRECTORY; "
                             "sbatch's default]")
    parser.add_argument("--shared-dir", default=env("LOGCRUNCH_KEY_DIR",
                                                    "~/.cache/logcrunch"),
                        help="a directory on a file system every node sees, for the job's TLS "
                             "files (a private subdirectory, removed at the end) "
                             "[LOGCRUNCH_KEY_DIR; ~/.cache/logcrunch]")
    parser.add_argument("--dashboard", default=env("LOGCRUNCH_DASK_DASHBOARD", "127.0.0.1:0"),
                        help="where the scheduler's HTTP dashboard listens (plain HTTP, no "
                             "login) [LOGCRUNCH_DASK_DASHBOARD; 127.0.0.1:0, this host only]")
    parser.add_argument("--no-tls", dest="tls", action="store_false",
                        help="plain tcp:// (anyone who can reach the scheduler can run code as "
                             "you: only on a network you trust)")
    parser.add_argument("--worker-wait", type=float,
                        default=float(env("LOGCRUNCH_DASK_WORKER_WAIT", "3600")),
                        help="seconds to wait in the Slurm queue for the first Dask worker "
                             "[LOGCRUNCH_DASK_WORKER_WAIT; 3600]")
    parser.add_argument("--print-job-script", action="store_true",
                        help="print the worker job script dask-jobqueue would submit, and exit")
    argv = sys.argv[1:] if argv is None else argv
    own, submit_args = (argv[:argv.index("--")], argv[argv.index("--") + 1:]) if "--" in argv \
        else (argv, [])
    args = parser.parse_args(own)
    args.submit_args = shlex.split(env("LOGCRUNCH_SUBMIT_ARGS", "")) + submit_args
    if not args.roots:
        args.roots = [r for r in env("LOGCRUNCH_ROOTS", "/mnt/shared/logs").split(":") if r]
    args.logcrunch = shlex.split(env("LOGCRUNCH_CMD", "")) or [sys.executable, "-m", "logcrunch"]
    if args.jobs < 1 or args.cores < 1 or args.processes < 1:
        parser.error("--jobs, --cores and --processes must be at least 1")
    return args


def say(message: str) -> None:
    print(f"dask_slurm: {message}", file=sys.stderr, flush=True)


@contextmanager
def private_dir(parent: str):
    """A 0700 directory for this run's TLS files below ``parent``; removed at the end."""
    base = Path(os.path.expanduser(os.path.expandvars(parent)))
    base.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = Path(tempfile.mkdtemp(prefix=f"dask-{os.getpid()}.", dir=base))  # 0700
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def tls_security(directory: Path):
    """A one-time self-signed certificate for scheduler, workers and the head (Dask's
    Security.temporary), and the environment that makes the head's Dask client use it."""
    from distributed.security import Security

    security = Security.temporary()  # needs `cryptography`
    files = {}
    for name, pem in (("ca", security.tls_ca_file), ("cert", security.tls_client_cert),
                      ("key", security.tls_client_key)):
        path = directory / f"head-{name}.pem"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fp:
            fp.write(pem)
        files[name] = str(path)
    head_env = {"DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION": "True",
                "DASK_DISTRIBUTED__COMM__TLS__CA_FILE": files["ca"],
                "DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT": files["cert"],
                "DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY": files["key"]}
    return security, head_env


def make_cluster(args: argparse.Namespace, security, shared: Path):
    from dask_jobqueue import SLURMCluster

    return SLURMCluster(
        cores=args.cores, memory=args.memory, processes=args.processes, queue=args.queue,
        account=args.account, walltime=args.walltime, interface=args.interface,
        python=args.python, job_name="logcrunch-dask", log_directory=args.log_directory,
        job_extra_directives=args.job_extra, job_script_prologue=args.prologue,
        security=security, shared_temp_directory=str(shared),
        scheduler_options={"dashboard_address": args.dashboard},
    )


class JobScriptRefused(Exception):
    """sbatch --test-only refused the worker job script (a bad partition, account, directive)."""


def check_job_script(script: str, directory: Path) -> None:
    """Let sbatch check the worker job now: dask-jobqueue only logs a refused submission, and the
    wait for the first worker would run out."""
    path = directory / "worker-job.sh"
    path.write_text(script)
    checked = subprocess.run(["sbatch", "--test-only", str(path)], capture_output=True,
                             text=True, timeout=60)
    if checked.returncode != 0:
        raise JobScriptRefused(checked.stderr.strip() or f"exit {checked.returncode}")


class Head:
    """`logcrunch submit --engine dask` as a child; SIGTERM/SIGINT here go to it."""

    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None

    def on_signal(self, signum, _frame) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signum)  # it stops, keeps its run resumable, exits 1
        else:
            raise KeyboardInterrupt  # before the head started: unwind, cancel the jobs

    def run(self, command: list[str], env: dict) -> int:
        """The head's exit code (128 + N when signal N killed it, as a shell says)."""
        self.process = subprocess.Popen(command, env=env)
        while True:
            try:
                code = self.process.wait()
                return 128 - code if code < 0 else code
            except KeyboardInterrupt:  # (a signal handler raised it while waiting)
                continue


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        import dask_jobqueue  # noqa: F401
        import distributed  # noqa: F401
    except ImportError as exc:
        say(f"{exc}; install them here and on the worker nodes: "
            "pip install dask-jobqueue 'logcrunch[dask]'")
        return EXIT_USAGE
    head = Head()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, head.on_signal)
    try:
        with private_dir(args.shared_dir) as shared:
            return run_with_cluster(args, shared, head)
    except JobScriptRefused as exc:
        say(f"sbatch refuses the worker job ({exc}); see --print-job-script")
        return EXIT_USAGE
    except ImportError as exc:  # Security.temporary without `cryptography`
        say(f"{exc}; pip install cryptography here, or use --no-tls on a trusted network")
        return EXIT_USAGE
    except KeyboardInterrupt:
        say("stopped by a signal before the head started; the worker jobs are cancelled")
        return EXIT_INCOMPLETE
    except (OSError, TimeoutError) as exc:  # sbatch failed, no worker came in time
        say(f"{type(exc).__name__}: {exc}")
        return EXIT_INCOMPLETE


def run_with_cluster(args: argparse.Namespace, shared: Path, head: Head) -> int:
    """Start the cluster, wait for a worker, run the head; the worker jobs are cancelled after."""
    from distributed import Client

    security, head_env = tls_security(shared) if args.tls else (None, {})
    cluster = make_cluster(args, security, shared)
    try:
        if args.print_job_script:
            print(cluster.job_script())
            return 0
        check_job_script(cluster.job_script(), shared)
        address = cluster.scheduler_address
        say(f"scheduler at {address}; submitting {args.jobs} worker job(s)")
        cluster.scale(jobs=args.jobs)
        with Client(cluster) as client:
            client.wait_for_workers(1, timeout=args.worker_wait)
        say("a Dask worker is up; starting the head")
        command = [*args.logcrunch, "submit", *args.roots, "--out", args.out,
                   "--engine", "dask", "--scheduler", address, *args.submit_args]
        code = head.run(command, {**os.environ, **head_env})
        say(f"logcrunch submit exited {code}")
        return code
    finally:
        cluster.close()  # cancels the worker jobs (scancel)
        close_worker_tls_files(cluster, shared)


def close_worker_tls_files(cluster, shared: Path) -> None:
    """Delete dask-jobqueue's copies of the TLS files for the workers now (temporary files it
    keeps open on the cluster object), so they go before their directory does."""
    for value in list(vars(cluster).values()):
        name = getattr(value, "name", None)
        if isinstance(name, str) and name.startswith(str(shared)) and hasattr(value, "close"):
            value.close()


if __name__ == "__main__":
    sys.exit(main())
