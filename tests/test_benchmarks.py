"""The benchmark script still runs end to end (tiny sizes) and finds every contender agreeing."""

import shutil
import subprocess
import sys

import pytest

from tests.helpers import ROOT, child_env


@pytest.mark.skipif(not all(shutil.which(tool) for tool in ("mawk", "zcat", "gzip", "grep", "wc")),
                    reason="bench.py compares against mawk, zcat, gzip, grep and wc")
def test_bench_runs_and_every_contender_agrees(tmp_path):
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench.py"), "--size-mb", "2", "--repeat", "1",
         "--one-line-mib", "2", "--scale-copies", "2", "--big-mb", "5", "--small-files", "30",
         "--dir", str(tmp_path / "corpus")],
        capture_output=True, text=True, env=child_env(), timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    table = result.stdout
    assert "MISMATCH" not in table
    for row in ("| logcrunch run -j 1 | ", "| logcrunch run -j 2 (32 files) | ",
                "| logcrunch -j 2 / -j 1 (32 files, ", "| logcrunch -j 1 .gz / zcat\\|mawk | ",
                "file, -j 2 split --split-size", "| logcrunch -j 1 / grep -c | ",
                "| logcrunch -j 1 .gz / zcat > /dev/null | ", "| scan alone, this tree: ns per byte",
                "| logcrunch run -j 2 (30 files of 20 KB) | ", "| 30 files of 20 KB: -j 1 files/s | "):
        assert row in table, table
    assert "lines=1 error_lines=1 long_lines=1" in table


def test_head_capacity_quick_run_loses_nothing(tmp_path):
    """head_capacity.py --quick against a real head: the table has a row per worker count, with
    a positive rate, no lost lease, no error, and every run exact (state, files.csv, _SUCCESS)."""
    out = tmp_path / "capacity.md"
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "head_capacity.py"), "--quick", "--workers",
         "2,6", "--files", "300", "--threads-per-process", "4", "--dir", str(tmp_path / "work"),
         "--out", str(out)],
        capture_output=True, text=True, env=child_env(), timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    table = out.read_text()
    assert table.strip() == result.stdout.strip()
    header = next(line for line in table.splitlines() if line.startswith("| workers"))
    columns = [cell.strip() for cell in header.strip("|").split("|")]
    rows = [[cell.strip() for cell in line.strip("|").split("|")]
            for line in table.splitlines() if line.startswith("| ") and line != header]
    assert [row[0] for row in rows] == ["2 (1 x 2)", "6 (2 x 4)"]
    for row in rows:
        cell = dict(zip(columns, row, strict=True))
        assert float(cell["results/s"].replace(",", "")) > 0
        assert float(cell["lease p99 ms"]) >= float(cell["lease p50 ms"]) > 0
        assert float(cell["head RSS MiB"]) > 0
        assert cell["lost leases"] == "0"
        assert cell["errors"] == "0"
        assert cell["exact"] == "yes"
    assert "os.cpu_count()=" in table
