"""End-to-end throughput of logcrunch against mawk, a per-line Python loop and the bare-read limit.

    python benchmarks/bench.py --size-mb 320 --repeat 5

Generates (once, deterministically, in --dir) 16 plain files of a syslog layout with a level word
and logfmt metrics, a .gz copy of them, 4 copies of them and one 2 GB file of them; reads everything once so
every contender runs from the page cache; then times, in this one invocation: `logcrunch run`
(the real CLI, a throwaway --state each run) with -j 1 and -j 2 (and once without its C scanner),
the mawk script an operator would write (benchmarks/operator.awk), the seed-style per-line Python
loop (on 2 of the 16 files: it is slow), `cat | wc -l` and `grep -c`; on the .gz copy logcrunch
(with and without isal) against `zcat | mawk`; one 2 GB file split across 2 workers (default
--split-size) against 1 unsplit; -j 2 against -j 1 on 4 copies of the corpus (64 files); and
the peak RSS of a worker on a file that is one 500 MiB line. Every contender's numbers are
checked against logcrunch's.

MB/s is decimal megabytes of input (uncompressed size for .gz too) per second of wall time,
median of --repeat runs; "cpu" is user+sys seconds of the contender's processes.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from logcrunch import defaults

HERE = Path(__file__).resolve().parent
AWK_SCRIPT = HERE / "operator.awk"
AWK_FIXED_SCRIPT = HERE / "operator_fixed.awk"
FILES = 16
CORPUS_VERSION = 1
LEVELS = ["INFO"] * 8 + ["WARN", "ERROR", "DEBUG"]


# --- the corpus ----------------------------------------------------------------------------------


def write_log(path: Path, size: int, seed: int) -> None:
    """About ``size`` bytes of lines like
    ``Nov 27 02:00:01 node07 api[4242]: WARN request handled path=/x latency_ms=123 bytes=5321
    ratio=-0.25``, the same bytes for the same seed."""
    rng = random.Random(seed)
    written = 0
    with open(path, "w", newline="\n") as out:
        while written < size:
            lines = []
            for index in range(5000):
                lines.append(
                    f"Nov 27 {index % 24:02d}:{index % 60:02d}:{rng.randrange(60):02d} "
                    f"node{rng.randint(1, 32):02d} api[{rng.randint(1000, 9999)}]: "
                    f"{rng.choice(LEVELS)} request handled path=/v1/{rng.choice('abcxyz')} "
                    f"latency_ms={rng.randint(1, 2500)} bytes={rng.randint(100, 999_999)} "
                    f"ratio={rng.choice('-+')}0.{rng.randrange(100):02d}\n"
                )
            text = "".join(lines)
            out.write(text)
            written += len(text)


def build_corpus(root: Path, size_mb: int, copies: int = 0,
                 big_rounds: int = 1) -> dict[str, list[Path]]:
    manifest = root / "corpus.json"
    wanted = {"version": CORPUS_VERSION, "size_mb": size_mb, "files": FILES, "copies": copies,
              "big_rounds": big_rounds}
    plain = [root / "plain" / f"app-{index:02d}.log" for index in range(FILES)]
    packed = [root / "gz" / f"app-{index:02d}.log.gz" for index in range(FILES)]
    big = root / "big" / "all.log"
    if not (manifest.exists() and json.loads(manifest.read_text()) == wanted):
        print(f"generating {size_mb} MB in {root} ...", file=sys.stderr)
        shutil.rmtree(root, ignore_errors=True)
        for folder in ("plain", "gz", "big"):
            (root / folder).mkdir(parents=True)
        for index, path in enumerate(plain):
            write_log(path, size_mb * 1_000_000 // FILES, seed=index)
        procs = [subprocess.Popen(["gzip", "-6", "-k", "-f", str(path)]) for path in plain]
        for proc in procs:
            proc.wait()
        for path, target in zip(plain, packed, strict=True):
            Path(str(path) + ".gz").rename(target)
        with open(big, "wb") as out:  # the 16 files, big_rounds times over
            for path in plain * big_rounds:
                with open(path, "rb") as part:
                    shutil.copyfileobj(part, out, 1 << 20)
        # Real copies (one inode each: the walk counts a hard link once) for the scaling test.
        for copy in range(copies):
            (root / "scale" / f"copy{copy}").mkdir(parents=True)
            for path in plain:
                shutil.copyfile(path, root / "scale" / f"copy{copy}" / path.name)
        manifest.write_text(json.dumps(wanted))
    scale = sorted((root / "scale").rglob("*.log")) if copies else []
    return {"plain": plain, "gz": packed, "big": [big], "scale": scale}


def small_files(root: Path, source: Path, count: int, size: int = 20_000) -> tuple[list[Path], int]:
    """``count`` files of the first whole lines (about ``size`` bytes) of ``source``, 100 to a
    folder like a night's many small logs (<host>/<app>.log), made once; (paths, lines of one)."""
    with open(source, "rb") as fp:
        piece = fp.read(size)
    piece = piece[: piece.rindex(b"\n") + 1]
    folder = root / f"small-{count}"
    paths = [folder / f"h{index // 100:03d}" / f"app{index % 100:02d}.log" for index in range(count)]
    if not all(path.exists() and path.stat().st_size == len(piece) for path in paths):
        shutil.rmtree(folder, ignore_errors=True)
        for path in paths:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(piece)
    return paths, piece.count(b"\n")


def precompile() -> None:
    """Write logcrunch's bytecode cache, as `pip install` does, so no run compiles its sources
    (an editable install under PYTHONDONTWRITEBYTECODE=1 would, every run: ~50 ms)."""
    import compileall

    import logcrunch

    compileall.compile_dir(Path(logcrunch.__file__).parent, quiet=1)
    print(f"logcrunch from {Path(logcrunch.__file__).parent}", file=sys.stderr)


def warm(paths: list[Path]) -> None:
    for path in paths:
        with open(path, "rb") as handle:
            while handle.read(1 << 24):
                pass


# --- running contenders --------------------------------------------------------------------------


def timed(command, shell=False, env=None) -> tuple[float, float, str]:
    """(wall seconds, cpu seconds of the children, stdout) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(
        command, shell=shell, env=env, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"{command!r} failed ({result.returncode}): {result.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, result.stdout


def logcrunch_command(target: Path, work: Path, *options: str) -> list[str]:
    out = Path(tempfile.mkdtemp(dir=work))
    return [
        sys.executable, "-m", "logcrunch", "run", str(target), "--out", str(out / "report"),
        "--state", str(out / "state.db"), "-q", *options,
    ]  # fmt: skip


def baseline_command(tree: str, target: Path, work: Path, *options: str) -> list[str]:
    """logcrunch_command, run from another checkout (``tree``, with its own built scanner)."""
    inner = " ".join(shlex.quote(part) for part in logcrunch_command(target, work, *options))
    return ["sh", "-c", f"cd {shlex.quote(tree)} && exec {inner}"]


def read_report(command: list[str]) -> dict:
    """Totals and per-metric rows of the report a logcrunch_command wrote."""
    if command[0] == "sh":  # baseline_command
        command = shlex.split(command[2].split(" && exec ", 1)[1])
    report = Path(command[command.index("--out") + 1])
    with open(report / "summary.csv", newline="") as handle:
        total = next(row for row in csv.DictReader(handle) if row["group"] == "*")
    with open(report / "metrics.csv", newline="") as handle:
        metrics = {row["metric"]: row for row in csv.DictReader(handle) if row["path"] == "*"}
    return {
        "lines": int(total["lines"]),
        "error_lines": int(total["error_lines"]),
        "warn_lines": int(total["warn_lines"]),
        "metrics": metrics,
    }


class Result:
    def __init__(self, name: str, megabytes: float):
        self.name = name
        self.megabytes = megabytes
        self.walls: list[float] = []
        self.cpus: list[float] = []
        self.note = ""

    @property
    def wall(self) -> float:
        return statistics.median(self.walls)

    @property
    def rate(self) -> float:
        return self.megabytes / self.wall

    @property
    def cpu_rate(self) -> float:
        return self.megabytes / max(statistics.median(self.cpus), 1e-9)


def run(results, name, megabytes, repeat, make_command, shell=False, env=None):
    """Time ``make_command()`` ``repeat`` times; returns (Result, stdout and command of the last)."""
    ((result, command, stdout),) = run_interleaved(
        results, [(name, megabytes, make_command)], repeat, shell=shell, env=env)
    return result, stdout, command


def run_interleaved(results, specs, repeat, shell=False, env=None):
    """Like `run` for several contenders at once, alternating them run by run, so a machine that
    slows down or speeds up meanwhile (shared, noisy) weighs on every one of them alike.

    ``specs``: (name, megabytes, make_command); returns [(Result, command, stdout of its last run)].
    A command given as a string runs through the shell.
    """
    out = [[Result(name, megabytes), None, ""] for name, megabytes, _make in specs]
    for _ in range(repeat):
        for last, (_name, _mb, make_command) in zip(out, specs, strict=True):
            last[1] = make_command()
            wall, cpu, last[2] = timed(last[1], shell=shell or isinstance(last[1], str), env=env)
            last[0].walls.append(wall)
            last[0].cpus.append(cpu)
    for result, _command, _stdout in out:
        results.append(result)
        print(f"  {result.name}: {result.rate:.0f} MB/s", file=sys.stderr)
    return [tuple(last) for last in out]


# --- checking numbers ----------------------------------------------------------------------------


def parse_awk(stdout: str) -> dict:
    parsed: dict = {"metrics": {}}
    for line in stdout.splitlines():
        fields = line.split()
        if fields[0] == "lines":
            parsed["lines"], parsed["error_lines"], parsed["warn_lines"] = map(int, fields[1:])
        elif fields[0] == "metric":
            name, count, total, total_sq, low, high = fields[1:]
            parsed["metrics"][name] = (int(count), *map(float, (total, total_sq, low, high)))
    return parsed


def compare_awk(ours: dict, awk: dict) -> str:
    """"" when the counts agree exactly and sums to float precision; else what differs."""
    problems = []
    notes = []
    for key in ("lines", "error_lines", "warn_lines"):
        if ours[key] != awk[key]:
            problems.append(f"{key} {awk[key]} != {ours[key]}")
    if set(ours["metrics"]) != set(awk["metrics"]):
        problems.append(f"metric names {sorted(awk['metrics'])} != {sorted(ours['metrics'])}")
    for name, row in ours["metrics"].items():
        if name not in awk["metrics"]:
            continue
        count, total, total_sq, low, high = awk["metrics"][name]
        exact = [int(row["count"]), float(row["sum"]), float(row["sum_sq"])]
        if count != exact[0] or float(row["min"]) != low or float(row["max"]) != high:
            problems.append(f"{name}: count/min/max differ")
        for label, theirs, mine, text in (
            ("sum", total, exact[1], row["sum"]),
            ("sum_sq", total_sq, exact[2], row["sum_sq"]),
        ):
            error = abs(theirs - mine) / max(abs(mine), 1e-300)
            if error > 1e-9:
                problems.append(f"{name} {label} off by {error:.1e}")
            elif theirs != mine or ("." not in text and abs(theirs) >= 2**53):
                notes.append(f"{name} {label} {error:.0e}")
    if problems:
        return "MISMATCH: " + "; ".join(problems)
    return ("agrees; float rounding: " + ", ".join(notes)) if notes else "agrees"


def seed_loop(paths: list[str]) -> None:
    """The seed's per-line loop, exact: print the totals as JSON (Fractions as strings)."""
    from logcrunch.summary import Metric, parse_number

    lines = errors = warns = 0
    samples: dict[str, list] = {}
    for path in paths:
        with open(path, "rb") as handle:
            for line in handle:
                lines += 1
                fields = line.split()
                level = fields[5] if len(fields) > 5 else b""
                errors += level == b"ERROR"
                warns += level == b"WARN"
                for token in fields[6:]:
                    key, equals, value = token.partition(b"=")
                    if equals:
                        try:
                            number = parse_number(value)
                        except ValueError:
                            continue
                        samples.setdefault(key.decode(), []).append(number)
    metrics = {name: Metric.of(values) for name, values in samples.items()}
    print(json.dumps({
        "lines": lines, "error_lines": errors, "warn_lines": warns,
        "metrics": {n: [str(getattr(m, f)) for f in Metric.__slots__] for n, m in metrics.items()},
    }))  # fmt: skip


def scan_exact(paths: list[Path]) -> dict:
    from logcrunch.scan import ScanConfig, scan_file
    from logcrunch.summary import Metric, merge_metrics

    totals = {"lines": 0, "error_lines": 0, "warn_lines": 0}
    metrics: dict = {}
    for path in paths:
        summary = scan_file(str(path), ScanConfig())
        for key in totals:
            totals[key] += getattr(summary, key)
        merge_metrics(metrics, summary.metrics)
    totals["metrics"] = {
        n: [str(getattr(m, f)) for f in Metric.__slots__] for n, m in metrics.items()
    }
    return totals


# --- memory --------------------------------------------------------------------------------------


def descendants(pid: int) -> list[int]:
    found = []
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return found
    for child in map(int, children):
        found.append(child)
        found.extend(descendants(child))
    return found


def peak_rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def one_line_memory(work: Path, mib: int) -> tuple[str, dict]:
    """Peak RSS of the head and of the worker on a file that is one ``mib`` MiB line."""
    folder = work / "oneline"
    folder.mkdir(exist_ok=True)
    path = folder / "one-line.log"
    with open(path, "wb") as out:
        out.write(b"Nov 27 02:00:01 node07 api[4242]: ERROR huge ")
        piece = b"latency_ms=1 " * (1 << 16)
        for _ in range(mib * (1 << 20) // len(piece)):
            out.write(piece)
    command = logcrunch_command(folder, work, "-j", "1")
    peaks: dict[int, int] = {}
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    done = threading.Event()

    def poll() -> None:
        while not done.is_set():
            for pid in [proc.pid, *descendants(proc.pid)]:
                peaks[pid] = max(peaks.get(pid, 0), peak_rss_kib(pid))
            time.sleep(0.02)

    poller = threading.Thread(target=poll)
    poller.start()
    proc.wait()
    done.set()
    poller.join()
    path.unlink()
    report = read_report(command)
    head = peaks.pop(proc.pid, 0)
    worker = max(peaks.values(), default=0)
    facts = {"head_mib": head / 1024, "worker_mib": worker / 1024, **report}
    with open(Path(command[command.index("--out") + 1]) / "files.csv", newline="") as handle:
        facts["long_lines"] = int(next(csv.DictReader(handle))["long_lines"])
    return str(path), facts


# --- main ----------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=320, help="corpus size (default 320)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per contender (median)")
    parser.add_argument("--dir", default="/tmp/logcrunch-bench", help="where the corpus lives")
    parser.add_argument("--one-line-mib", type=int, default=500, help="0 skips the RSS test")
    parser.add_argument("--big-mb", type=int, default=2000,
                        help="at least this big, the one-file test (default 2000: the issue's 2 GB)")
    parser.add_argument("--scale-copies", type=int, default=4,
                        help="copies of the corpus for the -j scaling test (0 skips it)")
    parser.add_argument("--small-files", type=int, default=2000,
                        help="files of 20 KB for the per-file cost (0 skips it)")
    parser.add_argument("--baseline-tree", metavar="DIR",
                        help="also time -j 1 from another checkout (git archive + its built "
                             "_fastscan*.so), alternated with this tree's runs")
    parser.add_argument("--seed-loop", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed_loop:
        seed_loop(args.seed_loop)
        return
    for tool in ("mawk", "zcat", "gzip", "grep", "wc"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is needed")
    root = Path(args.dir)
    big_rounds = max(1, -(-args.big_mb // args.size_mb))  # whole rounds of the 16 files
    corpus = build_corpus(root, args.size_mb, args.scale_copies, big_rounds)
    plain, packed, big = corpus["plain"], corpus["gz"], corpus["big"]
    warm(plain + packed + big + corpus["scale"])
    precompile()
    work = Path(tempfile.mkdtemp(prefix="logcrunch-bench-run-"))
    megabytes = sum(path.stat().st_size for path in plain) / 1e6
    files = " ".join(map(str, plain))
    gz_files = " ".join(map(str, packed))
    from logcrunch.readers import gzip_module

    isal = gzip_module().__name__.startswith("isal")
    from logcrunch.scan import native_scanner

    print(f"corpus: {megabytes:.0f} MB in {FILES} files; C scanner: "
          f"{'yes' if native_scanner() else 'NO'}; isal: {'yes' if isal else 'no'}",
          file=sys.stderr)  # fmt: skip
    results: list[Result] = []
    repeat = args.repeat
    mawk = f"mawk -f {AWK_SCRIPT}"

    # plain text
    wc, out, _ = run(results, "cat | wc -l", megabytes, repeat, lambda: f"cat {files} | wc -l", True)
    wc_lines = int(out)
    grep, out, _ = run(
        results, "grep -c ' ERROR '", megabytes, repeat, lambda: f"grep -h -c ' ERROR ' {files}", True
    )
    grep_errors = sum(map(int, out.split()))
    # The two mawk scripts, then -j 1 and -j 2 on the corpus and (for scaling) on copies of it:
    # one round runs each once, so the ratios to mawk compare runs of the same minutes (the
    # machine's speed drifts by tens of percent over a benchmark), and the fixed cost of a run
    # (interpreter start, imports, state database, reports) can be told apart from throughput.
    specs = [
        ("mawk (operator.awk)", megabytes, lambda: f"{mawk} {files}"),
        ("mawk, fixed fields (operator_fixed.awk)", megabytes,
         lambda: f"mawk -f {AWK_FIXED_SCRIPT} {files}"),
        ("logcrunch run -j 1", megabytes, lambda: logcrunch_command(root / "plain", work, "-j", "1")),
        ("logcrunch run -j 2", megabytes, lambda: logcrunch_command(root / "plain", work, "-j", "2")),
    ]  # fmt: skip
    scale_mb = sum(path.stat().st_size for path in corpus["scale"]) / 1e6
    label = f"{len(corpus['scale'])} files"
    if corpus["scale"]:
        specs += [
            (f"logcrunch run -j 1 ({label})", scale_mb,
             lambda: logcrunch_command(root / "scale", work, "-j", "1")),
            (f"logcrunch run -j 2 ({label})", scale_mb,
             lambda: logcrunch_command(root / "scale", work, "-j", "2")),
        ]  # fmt: skip
    if args.baseline_tree:
        specs.append((f"logcrunch run -j 1, baseline tree {Path(args.baseline_tree).name}",
                      megabytes, lambda: baseline_command(args.baseline_tree, root / "plain", work,
                                                          "-j", "1")))
    timed_runs = run_interleaved(results, specs, repeat)
    (awk, _, out), (fixed, _, fixed_out) = timed_runs[:2]
    awk_numbers, fixed_numbers = parse_awk(out), parse_awk(fixed_out)
    timed_runs = timed_runs[2:]
    (one, command, _), (two, command_two, _) = timed_runs[:2]
    ours = read_report(command)
    two.note = "agrees" if read_report(command_two) == ours else "MISMATCH with -j 1"
    if args.baseline_tree:
        base, base_command, _ = timed_runs[-1]
        base.note = ("agrees" if read_report(base_command) == ours else "counts differ") + \
            f"; this tree's -j 1 is {one.rate / base.rate:.2f}x it"
    no_c, _, command = run(
        results, "logcrunch run -j 1, LOGCRUNCH_NO_C=1 (1 run)", megabytes, 1,
        lambda: logcrunch_command(root / "plain", work, "-j", "1"),
        env={**os.environ, "LOGCRUNCH_NO_C": "1"},
    )  # fmt: skip
    no_c.note = "agrees" if read_report(command) == ours else "MISMATCH"
    seed_paths = [str(path) for path in plain[:2]]
    seed_megabytes = sum(os.path.getsize(path) for path in seed_paths) / 1e6
    seed, out, _ = run(
        results, "per-line Python loop (2 files)", seed_megabytes, 1,
        lambda: [sys.executable, __file__, "--seed-loop", *seed_paths],
    )  # fmt: skip
    seed.note = "agrees (exact)" if json.loads(out) == scan_exact(plain[:2]) else "MISMATCH"
    wc.note = "agrees" if wc_lines == ours["lines"] else f"MISMATCH {wc_lines}"
    grep.note = "agrees" if grep_errors == ours["error_lines"] else f"MISMATCH {grep_errors}"
    awk.note = compare_awk(ours, awk_numbers)
    fixed.note = compare_awk(ours, fixed_numbers)
    one.note = "reference"

    # gzip
    gz_awk, out, _ = run(
        results, "zcat | mawk", megabytes, repeat, lambda: f"zcat {gz_files} | {mawk}", True
    )
    gz_awk.note = compare_awk(ours, parse_awk(out))
    gz_ours, _, command = run(
        results, "logcrunch run -j 1 (.gz, isal)" if isal else "logcrunch run -j 1 (.gz)",
        megabytes, repeat, lambda: logcrunch_command(root / "gz", work, "-j", "1"),
    )  # fmt: skip
    gz_ours.note = "agrees" if read_report(command) == ours else "MISMATCH"
    gz_zlib = None
    if isal:
        env = {**os.environ, "LOGCRUNCH_NO_ISAL": "1"}
        gz_zlib, _, command = run(
            results, "logcrunch run -j 1 (.gz, zlib)", megabytes, repeat,
            lambda: logcrunch_command(root / "gz", work, "-j", "1"), env=env,
        )  # fmt: skip
        gz_zlib.note = "agrees" if read_report(command) == ours else "MISMATCH"
    zcat, _, _ = run(
        results, "zcat > /dev/null", megabytes, repeat, lambda: f"zcat {gz_files} >/dev/null", True
    )
    zcat.note = "(inflate only)"

    # one big file: unsplit with -j 1, and with -j 2 in the default --split-size ranges (a
    # smaller split size when the file is too small to split by default)
    big_mb = big[0].stat().st_size / 1e6
    split = [] if big_mb * 1e6 > 2 * defaults.SPLIT_MIN_BYTES else \
        ["--split-size", str(int(big_mb * 1e6) // 8)]
    big_label = f"one {big_mb:.0f} MB file"
    (big_one, command, _), (big_two, command_two, _) = run_interleaved(results, [
        (f"{big_label}, -j 1 unsplit", big_mb,
         lambda: logcrunch_command(big[0], work, "-j", "1", "--split-size", str(10**15))),
        (f"{big_label}, -j 2 split " + (" ".join(split) or "(default --split-size)"), big_mb,
         lambda: logcrunch_command(big[0], work, "-j", "2", *split)),
    ], repeat)  # fmt: skip
    big_report = read_report(command)
    big_one.note = f"agrees (x{big_rounds})" if (big_report["lines"], big_report["error_lines"]) == (
        ours["lines"] * big_rounds, ours["error_lines"] * big_rounds) else "MISMATCH"
    big_two.note = "agrees" if read_report(command_two) == big_report else "MISMATCH"

    scaling = None
    if corpus["scale"]:
        (many_one, command, _), (many_two, command_two, _) = timed_runs[2:4]
        many = read_report(command)
        scaled = args.scale_copies
        same = (many["lines"], many["error_lines"]) == (ours["lines"] * scaled,
                                                        ours["error_lines"] * scaled)
        many_one.note = f"agrees (x{scaled})" if same else "MISMATCH"
        many_two.note = "agrees" if read_report(command_two) == many else "MISMATCH with -j 1"
        scaling = (label, scale_mb, many_one, many_two)

    per_file = None
    if args.small_files:  # the per-file cost: a night of many small logs
        paths, piece_lines = small_files(root, plain[0], args.small_files)
        warm(paths)
        small_mb = sum(path.stat().st_size for path in paths) / 1e6
        tree = paths[0].parent.parent
        small_label = f"{len(paths)} files of {paths[0].stat().st_size / 1000:.0f} KB"
        (small_one, command, _), (small_two, command_two, _) = run_interleaved(results, [
            (f"logcrunch run -j 1 ({small_label})", small_mb,
             lambda: logcrunch_command(tree, work, "-j", "1")),
            (f"logcrunch run -j 2 ({small_label})", small_mb,
             lambda: logcrunch_command(tree, work, "-j", "2")),
        ], repeat)  # fmt: skip
        small_report = read_report(command)
        small_one.note = "agrees" if small_report["lines"] == piece_lines * len(paths) \
            else f"MISMATCH: {small_report['lines']} lines, not {piece_lines * len(paths)}"
        small_two.note = "agrees" if read_report(command_two) == small_report \
            else "MISMATCH with -j 1"
        per_file = (small_label, len(paths), small_one, small_two)

    memory = one_line_memory(work, args.one_line_mib)[1] if args.one_line_mib else None
    alone = scan_alone(plain[0], work, args.baseline_tree)
    shutil.rmtree(work, ignore_errors=True)

    sys.stderr.flush()
    print(f"\nMachine: {os.cpu_count()} cores, {platform_name()}; corpus {megabytes:.0f} MB in "
          f"{FILES} files; median of {repeat} runs (the Python loop: 1 run on 2 files)\n")  # fmt: skip
    print("| contender | MB/s (wall) | MB per cpu-s | x mawk | x cat\\|wc -l | numbers |")
    print("|---|---:|---:|---:|---:|---|")
    for result in results:
        print(
            f"| {result.name.replace('|', chr(92) + '|')} | {result.rate:.0f} | {result.cpu_rate:.0f} | "
            f"{result.rate / awk.rate:.2f} | {result.rate / wc.rate:.2f} | {result.note} |"
        )
    print("\n| ratio | value | target |")
    print("|---|---:|---|")
    rows = [
        ("logcrunch -j 1, MB/s (plain)", one.rate, ">= 600"),
        ("logcrunch -j 1 / mawk (plain)", one.rate / awk.rate, ">= 15"),
        ("logcrunch -j 1 / grep -c", one.rate / grep.rate, ">= 0.35"),
        ("logcrunch -j 1 / mawk, fixed fields", one.rate / fixed.rate, "(mawk's best case)"),
        ("logcrunch -j 1 / cat|wc -l", one.rate / wc.rate, "(how close to reading the bytes)"),
        ("logcrunch -j 1 .gz / zcat|mawk", gz_ours.rate / gz_awk.rate, ">= 2"),
        ("logcrunch -j 1 .gz / zcat > /dev/null", gz_ours.rate / zcat.rate, ">= 0.8"),
        (f"logcrunch -j 2 / -j 1 ({FILES} files, {megabytes:.0f} MB)", two.rate / one.rate,
         ">= 1.8 (issue 13; the fixed cost included, see below)"),
        (f"{big_label}: -j 2 split / -j 1 unsplit", big_two.rate / big_one.rate, "(> 1)"),
    ]
    if scaling is not None:
        label, scale_mb, many_one, many_two = scaling
        rows.append((f"logcrunch -j 2 / -j 1 ({label}, {scale_mb:.0f} MB)",
                     many_two.rate / many_one.rate, ">= 1.8"))
        # Marginal throughput: the extra megabytes of the bigger corpus over the extra seconds.
        marginal = {}
        for jobs, small, large in ((1, one, many_one), (2, two, many_two)):
            extra_seconds = large.wall - small.wall
            if scale_mb <= megabytes or extra_seconds <= 0:
                continue  # one copy, or runs too noisy to tell: no estimate
            marginal[jobs] = (scale_mb - megabytes) / extra_seconds
            fixed = small.wall - megabytes / marginal[jobs]
            rows.append((f"-j {jobs}: throughput without the fixed cost (MB/s); fixed cost (s)",
                         marginal[jobs], f"fixed {fixed:.2f} s of the {small.wall:.2f} s run"))
        if len(marginal) == 2:
            rows.append(("logcrunch -j 2 / -j 1, throughput without the fixed cost",
                         marginal[2] / marginal[1], "(how the scan itself scales)"))
    if per_file is not None:
        small_label, count, small_one, small_two = per_file
        rows.append((f"{small_label}: -j 1 files/s", count / small_one.wall,
                     f"{1000 * small_one.wall / count:.2f} ms a file end to end; -j 2: "
                     f"{count / small_two.wall:.0f} files/s, {small_one.wall / small_two.wall:.2f}x"))
    if gz_zlib is not None:
        rows.insert(7, ("logcrunch .gz: isal / zlib", gz_ours.rate / gz_zlib.rate, ""))
    for name, (nanoseconds, instructions) in alone.items():
        rows.append((f"scan alone, {name}: ns per byte (MB/s)", nanoseconds,
                     f"{1000 / nanoseconds:.0f} MB/s" + (
                         f"; {instructions:.2f} instructions per byte (callgrind)"
                         if instructions else "")))
    for label, value, target in rows:
        print(f"| {label.replace('|', chr(92) + '|')} | {value:.2f} | {target} |")
    if memory:
        print(
            f"\nOne {args.one_line_mib} MiB line, -j 1: worker peak RSS {memory['worker_mib']:.0f} MiB "
            f"(target < 150), head {memory['head_mib']:.0f} MiB; lines={memory['lines']} "
            f"error_lines={memory['error_lines']} long_lines={memory['long_lines']}"
        )


def scan_alone(path: Path, work: Path, baseline: str | None) -> dict[str, tuple[float, float | None]]:
    """The C pass alone on one file in memory (benchmarks/scan_speed.py): ns per byte (the
    fastest of 7 runs, in a fresh process), and instructions per byte under callgrind on its
    first 5 MB when valgrind is installed (a count the machine's load does not move); for this
    tree and the baseline tree."""
    from scan_speed import c_pass_ns_per_byte, instructions

    sample = work / "scan-alone.log"
    with open(path, "rb") as source:
        data = source.read(5_000_000)
    sample.write_bytes(data[: data.rfind(b"\n") + 1])
    trees = {"this tree": None, **({f"baseline {Path(baseline).name}": baseline} if baseline else {})}
    found = {}
    for name, tree in trees.items():
        count = instructions(str(sample), tree) if shutil.which("valgrind") else None
        found[name] = (c_pass_ns_per_byte(str(path), tree),
                       None if count is None else count / sample.stat().st_size)
    return found


def platform_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


if __name__ == "__main__":
    main()
