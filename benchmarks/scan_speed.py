"""Print scan_file throughput on a generated file of the reference layout (not a test).

Usage: python benchmarks/scan_speed.py [MEGABYTES] [--profile]
Also times mawk's line count + level count on the same file when mawk is installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import write_log  # benchmarks/ is on sys.path when this runs as a script

from logcrunch.scan import ScanConfig, scan_file


def main() -> None:
    megabytes = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 100
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "bench.log")
        write_log(Path(path), megabytes * 1_000_000, seed=1)  # the corpus bench.py uses
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
