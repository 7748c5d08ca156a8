"""What safe decoding and per-message authentication cost per file, against plain pickle.

Usage: python benchmarks/wire_cost.py [--repeat 5]

Times, for the two messages that carry per-file data (a lease of 256 tasks, and a batch of 64
results with 3 metrics each, as a worker sends them), one round of what each side does to a
message: the pickle transport before protocol 3 (pickle.dumps + pickle.loads, which
multiprocessing did), and protocol 3 (wire.encode + HMAC-SHA256 tag, then tag check + wire.decode;
the head then checks each summary with validation.summary_problem, timed separately). Prints
microseconds per file, median of --repeat rounds of 2,000 messages each.
"""

from __future__ import annotations

import argparse
import hmac
import os
import pickle
import statistics
import sys
import time
from fractions import Fraction

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from logcrunch import wire  # noqa: E402
from logcrunch.broker import Task  # noqa: E402
from logcrunch.scan import ScanConfig  # noqa: E402
from logcrunch.summary import FileSummary, Metric  # noqa: E402
from logcrunch.validation import summary_problem  # noqa: E402

KEY = os.urandom(32)


def lease_message() -> tuple:
    tasks = [Task(i, f"/mnt/shared/logs/node{i % 16:02d}/api/app.log.{i}", 5_000_000 + i,
                  1_764_000_000.5, inode=10_000 + i, device=64768) for i in range(256)]
    return ("#RETURN", ("work", "ab" * 16, tasks)), 256


def results_message() -> tuple:
    summaries = [
        (i, FileSummary(f"/mnt/shared/logs/node{i % 16:02d}/api/app.log.{i}", format="logfmt",
                        size_bytes=5_000_000, lines=60_000, error_lines=1_200, warn_lines=3_400,
                        first_ts="2026-11-27T02:00:01", last_ts="2026-11-27T02:59:59",
                        worker="node07:4242:4250", seconds=0.021,
                        metrics={"latency_ms": Metric(60_000, 7_400_000, 1_200_000_000, 0, 5000),
                                 "bytes": Metric(60_000, 320_000_000, 10**12, -100, 10**6),
                                 "ratio": Metric(60_000, Fraction(-15_000), Fraction(3750),
                                                 Fraction(-1, 4), Fraction(-1, 4))}))
        for i in range(64)]
    return (None, "complete", ("node07:4242:4250", "cd" * 16, summaries, False), {}), 64


def pickle_round(message) -> None:
    pickle.loads(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))


def wire_round(message) -> None:
    payload = wire.encode(message)
    tag = hmac.digest(KEY, (0).to_bytes(8, "big") + payload, "sha256")
    received = hmac.digest(KEY, (0).to_bytes(8, "big") + payload, "sha256")
    assert hmac.compare_digest(tag, received)
    wire.decode(payload)


def per_file_us(round_, message, files: int, count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        round_(message)
    return (time.perf_counter() - started) / count / files * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--messages", type=int, default=2000)
    args = parser.parse_args()
    rows = []
    config = ScanConfig()
    for name, (message, files) in (("lease of 256 tasks", lease_message()),
                                   ("64 results, 3 metrics each", results_message())):
        old, new = [], []
        for _ in range(args.repeat):  # alternated, so drift hits both alike
            old.append(per_file_us(pickle_round, message, files, args.messages))
            new.append(per_file_us(wire_round, message, files, args.messages))
        rows.append((name, statistics.median(old), statistics.median(new)))
    _rid, _method, (_w, _l, summaries, _f), _k = results_message()[0]
    tasks = [Task(i, s.path, 5_000_000) for i, s in summaries]
    checks = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        for _ in range(args.messages // 10):
            for (_i, summary), task in zip(summaries, tasks, strict=True):
                summary_problem(summary, task, config)
        checks.append((time.perf_counter() - started) / (args.messages // 10) / 64 * 1e6)
    print(f"median of {args.repeat} rounds of {args.messages} messages, Python "
          f"{sys.version.split()[0]}\n")
    print("| message | pickle us/file | protocol 3 us/file | difference us/file |")
    print("|---|---:|---:|---:|")
    for name, old, new in rows:
        print(f"| {name} | {old:.2f} | {new:.2f} | {new - old:+.2f} |")
    print(f"| head's check of a summary | | {statistics.median(checks):.2f} | "
          f"{statistics.median(checks):+.2f} |")


if __name__ == "__main__":
    main()
