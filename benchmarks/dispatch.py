"""Dispatch overhead per file: our leased/batched queue versus no queue and versus the seed design.

Usage: python benchmarks/dispatch.py [--files 20000] [--workers 2] [--repeat 3]
                                     [--baseline-tree DIR]
                                     [--dir DIR]

Generates FILES tiny log files (3 short lines each) and times, in one invocation (median of REPEAT):

  scan-1proc    scan_file() in a loop over the listed paths in this process: no queue, no walk
  walk          discover.walk() over the tree (part of every queued contender below)
  queue-only    Head + WORKERS local worker processes in this process tree, over loopback TCP
                (walk, leases, batching, result merge; no state DB, no reports, no CLI start-up)
  logcrunch-run `logcrunch run DIR -j WORKERS` end to end (CLI start-up, walk, queue, SQLite
                state commits, CSV reports), fresh --state each time
  scan@baseline, queue@baseline, scan@this, queue@this (only with --baseline-tree DIR)
                scan-1proc and queue-only run in a fresh interpreter by the logcrunch checkout
                in DIR and by this checkout: the same work before and after a change,
                interleaved in one invocation; the queue's overhead of each is taken against
                its own scanner (--baseline-only: just these and scan-1proc)
  queue-pickle-codec (only with --codec-variant) queue-only with pickle in place of the
                data-only encoding, tags and checks unchanged: what the encoding alone costs
  seed-style    multiprocessing BaseManager with a task Queue and a result Queue: the master puts
                every path (one round trip each), each of WORKERS processes gets one path, scans
                it and puts the summary back (one round trip each way per file)

and prints per-file overhead = (contender wall time - scan-1proc / WORKERS) / FILES, i.e. the wall
time a contender spends per file beyond a perfect WORKERS-way split of the bare scanning work; the
same against scan-1proc undivided; and CPU overhead = (CPU seconds of every process of the
contender - CPU seconds of scan-1proc) / FILES, which does not depend on how many cores there are.
See benchmarks/DISPATCH.md for results.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import multiprocessing
import os
import pickle
import queue
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from multiprocessing.managers import BaseManager
from pathlib import Path

from logcrunch import wire
from logcrunch.authkey import ephemeral_key
from logcrunch.discover import WalkOptions, walk
from logcrunch.dispatch import ServerDispatcher
from logcrunch.head import Head, HeadOptions
from logcrunch.scan import ScanConfig, scan_file
from logcrunch.worker import WorkerOptions, run_worker

FILES_PER_DIR = 200
LINES = (
    "Nov 27 02:00:01 node{host:02d} api[4000]: INFO request handled path=/x latency_ms={n}\n"
    "Nov 27 02:00:02 node{host:02d} api[4000]: WARN slow request latency_ms={m}\n"
    "Nov 27 02:00:03 node{host:02d} api[4000]: ERROR request failed code=500\n"
)


def generate(root: Path, files: int) -> list[str]:
    paths = []
    for index in range(files):
        directory = root / f"node{index // FILES_PER_DIR:03d}"
        if index % FILES_PER_DIR == 0:
            directory.mkdir(parents=True)
        path = directory / f"app{index % FILES_PER_DIR:03d}.log"
        path.write_text(LINES.format(host=index % 100, n=index % 997, m=index % 991))
        paths.append(str(path))
    return paths


def cli_scan_config() -> ScanConfig:
    """The ScanConfig `logcrunch run` builds when given no scan options."""
    return ScanConfig(error_patterns=(), warn_patterns=(), metric_patterns=(), default_levels=True)


# ----- contenders ----------------------------------------------------------------------------


def time_single_process(paths: list[str]) -> float:
    config = cli_scan_config()
    started = time.perf_counter()
    for path in paths:
        scan_file(path, config)
    return time.perf_counter() - started


def time_walk(root: Path) -> float:
    started = time.perf_counter()
    count = sum(1 for _found in walk([str(root)], WalkOptions()))
    elapsed = time.perf_counter() - started
    assert count > 0
    return elapsed


def _local_workers(address: tuple[str, int], key: bytes, workers: int) -> None:
    os._exit(run_worker(WorkerOptions(address=address, authkey=key, processes=workers,
                                      connect_timeout=30.0)))


def time_queue_only(root: Path, workers: int, files: int) -> float:
    """Head (no persist hook) and forked local workers, as job.run_job wires them, minus SQLite."""
    key = ephemeral_key()
    started = time.perf_counter()
    options = HeadOptions(roots=(str(root),), bind=("127.0.0.1", 0), scan=cli_scan_config())
    head = Head(options, ServerDispatcher(options.bind, key))
    local = multiprocessing.get_context("fork").Process(
        target=_local_workers, args=(head.address, key, workers))
    local.start()  # before the head starts its threads, as run_job does
    result = head.run()
    elapsed = time.perf_counter() - started
    local.join(timeout=30)
    if local.is_alive():
        local.kill()
        local.join()
    assert not result.aborted and result.files == files, result.aborted
    return elapsed


# queue-only and scan-1proc as a program, so a checkout of another version can run them
# (before/after figures, each tree's queue against its own scanner).
TREE_PROGRAM = """
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[5])
from benchmarks.dispatch import time_queue_only, time_single_process
root, workers, files = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
if sys.argv[1] == "queue":
    print(time_queue_only(root, workers, files))
else:
    print(time_single_process(sorted(str(p) for p in Path(root).rglob("*.log"))))
"""


def time_in_tree(what: str, tree: str, root: Path, workers: int, files: int) -> float:
    """queue-only or scan-1proc (``what``: "queue" or "scan"), run by the logcrunch in ``tree`` (a
    checkout) in a fresh interpreter; returns the wall time it measured itself (so interpreter
    start-up is not counted)."""
    env = {**os.environ, "PYTHONPATH": tree}
    done = subprocess.run([sys.executable, "-c", TREE_PROGRAM, what, str(root), str(workers),
                           str(files), tree], env=env, capture_output=True, text=True,
                          check=True, cwd=tree)
    return float(done.stdout.split()[-1])


def _listify(value, depth=0):
    """pickle keeps tuples; the protocol's checks expect what JSON gives (lists), as deep as the
    messages' own structure (not inside dataclasses)."""
    if isinstance(value, tuple | list) and depth < 4:
        return [_listify(item, depth + 1) for item in value]
    return value


@contextlib.contextmanager
def pickle_codec():
    """While inside, messages are pickled instead of JSON-encoded (tags, checks and everything
    else unchanged): what the data-only encoding alone costs. Never for production."""
    saved = wire.encode, wire.decode
    wire.encode = lambda message: pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    wire.decode = lambda data: _listify(pickle.loads(data))  # noqa: S301 - a benchmark's own data
    try:
        yield
    finally:
        wire.encode, wire.decode = saved


def time_queue_pickle_codec(root: Path, workers: int, files: int) -> float:
    with pickle_codec():
        return time_queue_only(root, workers, files)


def time_logcrunch_run(root: Path, scratch: Path, workers: int, files: int) -> float:
    out, state = scratch / "out", scratch / "state.db"
    shutil.rmtree(out, ignore_errors=True)
    for stale in scratch.glob("state.db*"):
        stale.unlink()
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "logcrunch", "run", str(root), "-j", str(workers),
                             "--out", str(out), "--state", str(state), "-q"],
                            capture_output=True, text=True, timeout=3600)
    elapsed = time.perf_counter() - started
    assert result.returncode == 0, result.stderr
    with open(out / "files.csv") as fp:
        assert sum(1 for _line in fp) == files + 1
    return elapsed


class _SeedManager(BaseManager):
    pass


_task_queue: queue.Queue = queue.Queue()
_result_queue: queue.Queue = queue.Queue()


def _get_task_queue() -> queue.Queue:
    return _task_queue


def _get_result_queue() -> queue.Queue:
    return _result_queue


_SeedManager.register("get_task_queue", callable=_get_task_queue)
_SeedManager.register("get_result_queue", callable=_get_result_queue)


def _seed_worker(address: tuple[str, int], key: bytes) -> None:
    """The seed's task_worker: one path per get(), one summary per put()."""
    manager = _SeedManager(address=address, authkey=key)
    manager.connect()
    tasks, results = manager.get_task_queue(), manager.get_result_queue()
    config = cli_scan_config()
    while True:
        path = tasks.get(timeout=60)
        if path is None:
            return
        results.put(scan_file(path, config))


def time_seed_style(paths: list[str], workers: int) -> float:
    """The seed's task_master: put every path, start workers, get one result per path."""
    key = ephemeral_key()
    ctx = multiprocessing.get_context("fork")
    started = time.perf_counter()
    manager = _SeedManager(address=("127.0.0.1", 0), authkey=key, ctx=ctx)
    manager.start()
    try:
        tasks, results = manager.get_task_queue(), manager.get_result_queue()
        procs = [ctx.Process(target=_seed_worker, args=(manager.address, key))
                 for _ in range(workers)]
        for proc in procs:
            proc.start()
        for path in paths:
            tasks.put(path)
        for _ in procs:
            tasks.put(None)
        summaries = [results.get(timeout=60) for _ in paths]
        elapsed = time.perf_counter() - started
        for proc in procs:
            proc.join(timeout=30)
    finally:
        manager.shutdown()
    assert len({s.path for s in summaries}) == len(paths)
    return elapsed


def measure(contender, *args) -> tuple[float, float]:
    """(wall seconds as the contender timed them, CPU seconds of this process and its children)."""
    cpu_before = _cpu_seconds()
    wall = contender(*args)
    return wall, _cpu_seconds() - cpu_before


def _cpu_seconds() -> float:
    # Children count once waited for, grandchildren once their parent waited for them: every
    # contender joins all of its processes before returning.
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


# ----- driver --------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3, help="runs per contender (median kept)")
    parser.add_argument("--baseline-tree", metavar="DIR",
                        help="also time queue-only and scan-1proc as run by the logcrunch checkout "
                             "in DIR and by this one, each in a fresh interpreter (before/after)")
    parser.add_argument("--codec-variant", action="store_true",
                        help="also time queue-only with pickle in place of the data-only encoding")
    parser.add_argument("--baseline-only", action="store_true",
                        help="with --baseline-tree: time only the before/after contenders")
    parser.add_argument("--dir", help="where to generate the files (default: a new dir in /tmp)")
    args = parser.parse_args()
    # The head logs a spurious warning when a worker exits mid-handshake (see DISPATCH.md).
    logging.getLogger("logcrunch").setLevel(logging.ERROR)

    base = Path(tempfile.mkdtemp(prefix="logcrunch-dispatch-", dir=args.dir or "/tmp"))
    try:
        root = base / "logs"
        paths = generate(root, args.files)
        time_single_process(paths)  # warm the page cache and the imports
        runs: dict[str, list[tuple[float, float]]] = {
            name: [] for name in ("scan-1proc", "walk", "queue-only", "logcrunch-run", "seed-style")}
        if args.baseline_only:
            runs = {"scan-1proc": []}
        if args.codec_variant:
            runs["queue-pickle-codec"] = []
        trees = {}
        if args.baseline_tree:
            trees = {"baseline": args.baseline_tree,
                     "this": str(Path(__file__).resolve().parent.parent)}
            for label in trees:
                runs[f"scan@{label}"] = []
                runs[f"queue@{label}"] = []
        for _ in range(args.repeat):  # interleaved, so drift hits every contender alike
            runs["scan-1proc"].append(measure(time_single_process, paths))
            if not args.baseline_only:
                runs["walk"].append(measure(time_walk, root))
                runs["queue-only"].append(measure(time_queue_only, root, args.workers,
                                                  args.files))
                runs["logcrunch-run"].append(
                    measure(time_logcrunch_run, root, base, args.workers, args.files))
                runs["seed-style"].append(measure(time_seed_style, paths, args.workers))
            if args.codec_variant:
                runs["queue-pickle-codec"].append(measure(
                    time_queue_pickle_codec, root, args.workers, args.files))
            for label, tree in trees.items():
                for what in ("scan", "queue"):
                    runs[f"{what}@{label}"].append(measure(
                        time_in_tree, what, tree, root, args.workers, args.files))
        print(table(runs, args))
        if trees:
            print(before_after(runs, args))
    finally:
        shutil.rmtree(base, ignore_errors=True)


def before_after(runs: dict[str, list[tuple[float, float]]], args) -> str:
    """The queue's per-file overhead (wall time beyond a perfect split of the same tree's own
    scanning) before and after."""
    overhead = {}
    for label in ("baseline", "this"):
        scan = statistics.median(w for w, _c in runs[f"scan@{label}"])
        queue = statistics.median(w for w, _c in runs[f"queue@{label}"])
        overhead[label] = (queue - scan / args.workers) * 1e6 / args.files
    change = overhead["this"] / overhead["baseline"] - 1
    return (f"\nqueue overhead per file beyond scan@tree/{args.workers}: baseline "
            f"{overhead['baseline']:.0f} us, this {overhead['this']:.0f} us ({change:+.0%})")


def table(runs: dict[str, list[tuple[float, float]]], args) -> str:
    wall = {name: statistics.median(w for w, _c in times) for name, times in runs.items()}
    cpu = {name: statistics.median(c for _w, c in times) for name, times in runs.items()}
    ideal = wall["scan-1proc"] / args.workers
    per_file = 1e6 / args.files
    lines = [
        f"{args.files} files x 3 lines, {args.workers} workers, median of {args.repeat} "
        f"(os.cpu_count()={os.cpu_count()}, Python {sys.version.split()[0]})",
        "",
        "| contender | wall s | wall runs (s) | CPU s | wall us/file | overhead us/file vs "
        f"1proc/{args.workers} | overhead us/file vs 1proc | CPU overhead us/file |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for name, times in runs.items():
        spread = " ".join(f"{w:.2f}" for w, _c in times)
        head = f"| {name} | {wall[name]:.2f} | {spread} | {cpu[name]:.2f} | {wall[name] * per_file:.0f} |"
        if name in ("scan-1proc", "walk"):
            lines.append(f"{head} | | |")
            continue
        lines.append(f"{head} {(wall[name] - ideal) * per_file:.0f} | "
                     f"{(wall[name] - wall['scan-1proc']) * per_file:.0f} | "
                     f"{(cpu[name] - cpu['scan-1proc']) * per_file:.0f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
