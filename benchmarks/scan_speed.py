"""Print scan_file throughput on a generated file of the reference layout (not a test).

Usage: python benchmarks/scan_speed.py [MEGABYTES] [--profile]
Also times mawk's line count + level count on the same file when mawk is installed.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

from logcrunch.scan import ScanConfig, scan_file


def generate(path: str, megabytes: int) -> None:
    rng = random.Random(1)
    levels = ["INFO"] * 8 + ["WARN", "ERROR", "DEBUG"]
    target = megabytes * 1_000_000
    written = 0
    with open(path, "w") as out:
        while written < target:
            lines = []
            for index in range(10_000):
                lines.append(
                    f"Nov 27 02:{index % 60:02d}:{index % 60:02d} node{rng.randint(1, 20):02d} "
                    f"api[{rng.randint(1000, 9999)}]: {rng.choice(levels)} request handled path=/x "
                    f"latency_ms={rng.randint(1, 999)} bytes={rng.randint(100, 99999)} "
                    f"ratio={rng.choice('-+')}0.{rng.randint(0, 99):02d}\n"
                )
            block = "".join(lines)
            out.write(block)
            written += len(block)


def main() -> None:
    megabytes = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 100
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "bench.log")
        generate(path, megabytes)
        size = os.path.getsize(path)
        scan_file(path, ScanConfig())  # warm the page cache
        if "--profile" in sys.argv:
            import cProfile

            cProfile.runctx("scan_file(path, ScanConfig())", globals(), locals(), sort="cumtime")
            return
        started = time.perf_counter()
        summary = scan_file(path, ScanConfig())
        elapsed = time.perf_counter() - started
        print(
            f"scan_file: {size / 1e6:.0f} MB in {elapsed:.2f} s = {size / 1e6 / elapsed:.0f} MB/s"
        )
        print(f"  lines={summary.lines} errors={summary.error_lines} warns={summary.warn_lines}")
        if shutil.which("mawk"):
            program = "{n++} / ERROR /{e++} / WARN /{w++} END{print n, e, w}"
            started = time.perf_counter()
            subprocess.run(["mawk", program, path], check=True, capture_output=True)
            elapsed = time.perf_counter() - started
            print(f"mawk (lines + 2 levels): {size / 1e6 / elapsed:.0f} MB/s")


if __name__ == "__main__":
    main()
