"""Print scan_file throughput on a generated file of the reference layout (not a test).

Usage: python benchmarks/scan_speed.py [MEGABYTES] [--profile] [--instructions [--tree DIR]]
       python benchmarks/scan_speed.py --c-pass-time FILE   (ns per byte of the C pass alone)

Also times mawk's line count + level count on the same file when mawk is installed.

``--instructions`` counts the C pass's instructions per byte under valgrind's callgrind (only
inside ``scan_block``, on the file cut into line-aligned blocks of the scanner's chunk size): a
figure that does not depend on what else the machine is doing, so two builds can be compared on
a loaded machine. ``--tree DIR`` counts another checkout's build too (its own built
``logcrunch/_fastscan*.so``), in the same run.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import write_log  # benchmarks/ is on sys.path when this runs as a script

from logcrunch import defaults
from logcrunch.scan import ScanConfig, scan_file

HERE = Path(__file__).resolve().parent


def _native():
    from logcrunch import scan

    native = scan.native_scanner()
    if native is None:
        sys.exit("no C scanner in this build")
    return native


def _blocks(path: str) -> list[bytes]:
    """The file cut into line-aligned blocks of the scanner's chunk size."""
    data = Path(path).read_bytes()
    blocks, start = [], 0
    while start < len(data):
        cut = data.rfind(b"\n", start, start + defaults.CHUNK_SIZE)
        end = len(data) if cut < 0 else cut + 1
        blocks.append(data[start:end])
        start = end
    return blocks


def _scan_blocks(native, blocks: list[bytes]) -> None:
    for block in blocks:
        native.scan_block(block, True, None, defaults.MAX_METRIC_NAME_CHARS,
                          (2026, 11, 27, 0, 0, 0), -1, None, None, True)


def c_pass(path: str) -> None:
    """scan_block over the file's line-aligned blocks (what callgrind counts)."""
    _scan_blocks(_native(), _blocks(path))


def c_pass_seconds(path: str, repeat: int = 7) -> float:
    """The fastest of ``repeat`` runs of `c_pass`'s scan_block calls over ``path``, timed without
    the read and the cutting into blocks."""
    native, blocks = _native(), _blocks(path)
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        _scan_blocks(native, blocks)
        best = min(best, time.perf_counter() - started)
    return best


def c_pass_ns_per_byte(path: str, tree: str | None = None) -> float:
    """`c_pass_seconds` per byte in nanoseconds, in a fresh process (of ``tree``'s build)."""
    env = dict(os.environ)
    if tree:
        env["PYTHONPATH"] = os.path.abspath(tree)
    done = subprocess.run([sys.executable, str(HERE / "scan_speed.py"), "--c-pass-time", path],
                          capture_output=True, text=True, env=env, check=True)
    return float(done.stdout.split()[0])


def instructions(path: str, tree: str | None = None) -> int:
    """Instructions callgrind counts inside scan_block for `c_pass` over ``path``."""
    with tempfile.TemporaryDirectory() as folder:
        command = ["valgrind", "--tool=callgrind", "--toggle-collect=scan_block",
                   f"--callgrind-out-file={folder}/out", sys.executable, str(HERE / "scan_speed.py"),
                   "--c-pass", path]
        env = dict(os.environ)
        if tree:
            env["PYTHONPATH"] = os.path.abspath(tree)
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    match = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if not match:
        sys.exit(f"no instruction count in valgrind's output:\n{done.stderr[-2000:]}")
    return int(match.group(1).replace(",", ""))


def main() -> None:
    if sys.argv[1:2] == ["--c-pass"]:
        c_pass(sys.argv[2])
        return
    if sys.argv[1:2] == ["--c-pass-time"]:
        print(c_pass_seconds(sys.argv[2]) * 1e9 / os.path.getsize(sys.argv[2]))
        return
    megabytes = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 100
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "bench.log")
        write_log(Path(path), megabytes * 1_000_000, seed=1)  # the corpus bench.py uses
        size = os.path.getsize(path)
        if "--instructions" in sys.argv:
            if not shutil.which("valgrind"):
                sys.exit("--instructions needs valgrind (Debian: apt-get install valgrind)")
            count = instructions(path)
            print(f"C pass: {count:,} instructions for {size:,} bytes = "
                  f"{count / size:.2f} per byte")
            if "--tree" in sys.argv:
                tree = sys.argv[sys.argv.index("--tree") + 1]
                other = instructions(path, tree)
                print(f"C pass, {tree}: {other:,} instructions = {other / size:.2f} per byte; "
                      f"this build is {count / other:.3f}x it")
            return
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
            f" ({elapsed * 1e9 / size:.2f} ns per byte)"
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
