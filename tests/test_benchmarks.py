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
         "--one-line-mib", "2", "--scale-copies", "2", "--big-mb", "5", "--dir", str(tmp_path / "corpus")],
        capture_output=True, text=True, env=child_env(), timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    table = result.stdout
    assert "MISMATCH" not in table
    for row in ("| logcrunch run -j 1 | ", "| logcrunch run -j 2 (32 files) | ",
                "| logcrunch -j 2 / -j 1 (32 files, ", "| logcrunch -j 1 .gz / zcat\\|mawk | ",
                "file, -j 2 split --split-size"):
        assert row in table, table
    assert "lines=1 error_lines=1 long_lines=1" in table
