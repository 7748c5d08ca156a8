"""Cost of making results durable: StateDB.store_results commits per batch (WAL, synchronous=NORMAL).

    python benchmarks/state_commit.py [--files 20000] [--batch 64] [--dir /tmp]

Prints the time per commit and per file for the batch size workers use (RESULT_BATCH_FILES) and for
one-file batches, so the price of acknowledging results only after they are on disk is visible.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from fractions import Fraction

from logcrunch import defaults
from logcrunch.state import StateDB
from logcrunch.summary import FileSummary, Metric


def measure(directory: str, files: int, batch: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory(dir=directory) as tmp:
        db = StateDB(os.path.join(tmp, "state.db"))
        run, _ = db.start_run(["/logs"], {}, False, "out", fresh=True)
        metrics = {"latency_ms": Metric.of([12, 40, 7]), "ratio": Metric.of([Fraction(-1, 4)])}
        rows = [(FileSummary(f"/logs/node{i % 50:02d}/app{i}.log", lines=3, error_lines=1,
                             metrics=metrics), "/logs", 0, 1, "") for i in range(files)]
        started = time.perf_counter()
        for offset in range(0, files, batch):
            db.store_results(run.run_id, rows[offset:offset + batch])
        elapsed = time.perf_counter() - started
        db.close()
    commits = -(-files // batch)
    return elapsed / commits * 1e3, elapsed / files * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20000)
    parser.add_argument("--batch", type=int, default=defaults.RESULT_BATCH_FILES)
    parser.add_argument("--dir", default=tempfile.gettempdir(),
                        help="where the throwaway database lives (use the state disk)")
    args = parser.parse_args()
    print(f"{'batch':>6} {'ms/commit':>10} {'us/file':>8}")
    for batch in (args.batch, 1):
        files = args.files if batch > 1 else min(args.files, 2000)
        per_commit, per_file = measure(args.dir, files, batch)
        print(f"{batch:>6} {per_commit:>10.3f} {per_file:>8.1f}")


if __name__ == "__main__":
    main()
