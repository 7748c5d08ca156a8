"""A small cluster job's wall time with and without a flood of trickling connections on the head.

Usage: python benchmarks/hostile.py [--files 2000] [--repeat 5] [--connections 1000] [--dir DIR]

Generates FILES small log files (20 lines each), then, REPEAT rounds, each running in turn:

  quiet      `logcrunch submit` on loopback + one `logcrunch work -j 1`, nothing else
  flood      the same, with CONNECTIONS connections opened to the head first, each trickling a
             handshake answer one byte a second and never finishing it (the head closes them:
             the excess over its cap at once, the rest at the handshake deadline)
  sustained  the same, but every connection the head closes is opened again at once, so
             CONNECTIONS are trickling all through the job

The time is from starting the worker until head and worker have both exited (the report written);
every run's report is checked against the tree's known totals. Prints a markdown table: median and
spread of each contender, its ratio to quiet, the CPU time of head + worker and of the flood (this
process: on a small machine the attacker competes for the same cores). Loopback only (127.0.0.1).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.helpers import (  # noqa: E402 - after the path is set
    Proc,
    TrickleFlood,
    assert_matches_truth,
    make_key,
    make_tree,
    raise_descriptor_limit,
)

CONTENDERS = ("quiet", "flood", "sustained")
FILES_PER_HOST = 200


def one_job(workdir: Path, root: Path, key: Path, contender: str, connections: int,
            run: int, truth) -> tuple[float, int, float, float]:
    """Seconds from starting the worker to both processes exiting, the closes the flood saw, and
    the CPU seconds of head + worker and of the flood (this process)."""
    out, state = workdir / f"out-{run}", workdir / f"state-{run}.db"
    the_head = Proc("submit", str(root), "--out", str(out), "--bind", "127.0.0.1:0",
                    "--authkey-file", str(key), "--state", str(state), "--worker-timeout", "60")
    flood = None
    children, this = cpu(resource.RUSAGE_CHILDREN), cpu(resource.RUSAGE_SELF)
    try:
        port = int(the_head.wait_for(r"serving on 127\.0\.0\.1:(\d+)", 60).group(1))
        if contender != "quiet":
            flood = TrickleFlood(port, connections, sustain=contender == "sustained")
        started = time.monotonic()
        node = Proc("work", "--server", f"127.0.0.1:{port}", "--authkey-file", str(key),
                    "-j", "1", "--connect-timeout", "60", "--quiet")
        try:
            head_code, node_code = the_head.wait(timeout=300), node.wait(timeout=60)
        finally:
            node.kill()
        seconds = time.monotonic() - started
    finally:
        the_head.kill()
        if flood is not None:
            flood.stop()
    children, this = cpu(resource.RUSAGE_CHILDREN) - children, cpu(resource.RUSAGE_SELF) - this
    if (head_code, node_code) != (0, 0):
        sys.exit(f"{contender}: head exited {head_code}, worker {node_code}:\n"
                 f"{the_head.output}\n{node.output}")
    assert_matches_truth(out, truth)
    shutil.rmtree(out)
    state.unlink()
    return seconds, flood.closed if flood is not None else 0, children, this


def cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--dir", type=Path, help="work directory (default: a temporary one)")
    args = parser.parse_args()
    raise_descriptor_limit()
    workdir = args.dir or Path(tempfile.mkdtemp(prefix="logcrunch-hostile-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        root = workdir / "logs"
        shutil.rmtree(root, ignore_errors=True)
        hosts = max(1, round(args.files / FILES_PER_HOST))
        truth = make_tree(root, hosts=hosts, files_per_host=max(1, args.files // hosts),
                          lines_per_file=20, gzip_every=0)
        key = make_key(workdir / "authkey") if not (workdir / "authkey").exists() \
            else workdir / "authkey"
        times: dict[str, list[float]] = {name: [] for name in CONTENDERS}
        closes: dict[str, list[int]] = {name: [] for name in CONTENDERS}
        cpus: dict[str, list[tuple[float, float]]] = {name: [] for name in CONTENDERS}
        run = 0
        for _round in range(args.repeat):
            for contender in CONTENDERS:  # alternated, so drift hits every contender alike
                run += 1
                seconds, closed, ours, flood_cpu = one_job(workdir, root, key, contender,
                                                           args.connections, run, truth)
                times[contender].append(seconds)
                closes[contender].append(closed)
                cpus[contender].append((ours, flood_cpu))
                print(f"{contender}: {seconds:.3f} s", file=sys.stderr)
        print_table(times, closes, cpus, truth.files, args)
    finally:
        if args.dir is None:
            shutil.rmtree(workdir, ignore_errors=True)


def print_table(times, closes, cpus, files, args) -> None:
    quiet = statistics.median(times["quiet"])
    print(f"\n{files} files, one `logcrunch work -j 1`, {args.connections} trickling connections, "
          f"median of {args.repeat} runs\n")
    print("| contender | median s | min-max s | x quiet | head+worker CPU s | flood CPU s "
          "| flood closes seen (incl. at head exit) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name in CONTENDERS:
        median = statistics.median(times[name])
        closed = f"{statistics.median(closes[name]):.0f}" if name != "quiet" else "-"
        ours = statistics.median(c[0] for c in cpus[name])
        attacker = statistics.median(c[1] for c in cpus[name])
        print(f"| {name} | {median:.3f} | {min(times[name]):.3f}-{max(times[name]):.3f} | "
              f"{median / quiet:.2f} | {ours:.2f} | {attacker:.2f} | {closed} |")


if __name__ == "__main__":
    main()
