"""The progress accounting (bytes and files), the byte rate and the progress line: pure, no I/O."""

import pytest

from logcrunch.progress import (
    ProgressLedger,
    ProgressTotals,
    RateMeter,
    eta_seconds,
    human_bytes,
    human_duration,
    percent_done,
    progress_line,
)


def test_in_flight_bytes_count_until_the_task_finishes_with_its_whole_size():
    ledger = ProgressLedger()
    ledger.add_task(1, "/a.log", 1000)
    ledger.report(1, 400)
    assert ledger.totals() == ProgressTotals(bytes_total=1000, bytes_done=400, files_found=1)
    ledger.finish(1, failed=False)
    assert ledger.totals() == ProgressTotals(1000, 1000, 1, 1, 0)


def test_a_report_never_lowers_a_task_nor_passes_its_size_nor_goes_below_zero():
    ledger = ProgressLedger()
    ledger.add_task(1, "/a.log", 1000)
    for hostile in (700, 10, -5, 10**30, 0):
        ledger.report(1, hostile)
    assert ledger.totals().bytes_done == 1000  # clamped to the task's size, kept there
    ledger.add_task(2, "/b.log", 50)
    ledger.report(2, -1)
    assert ledger.totals().bytes_done == 1000


def test_reports_for_unknown_or_finished_tasks_count_nothing():
    ledger = ProgressLedger()
    ledger.add_task(1, "/a.log", 100)
    ledger.finish(1, failed=False)
    ledger.report(1, 100)
    ledger.report(99, 100)
    ledger.finish(1, failed=True)  # a second finish changes nothing
    assert ledger.totals() == ProgressTotals(100, 100, 1, 1, 0)


def test_a_requeued_task_loses_its_in_flight_bytes_and_is_never_counted_twice():
    ledger = ProgressLedger()
    ledger.add_task(1, "/a.log", 1000)
    ledger.report(1, 900)
    ledger.requeued(1)  # the lease expired
    assert ledger.totals().bytes_done == 0
    ledger.report(1, 300)  # the next lease starts again from 0
    assert ledger.totals().bytes_done == 300
    ledger.finish(1, failed=False)
    assert ledger.totals().bytes_done == 1000


def test_a_split_file_counts_once_when_all_its_ranges_are_in_and_failed_if_one_failed():
    ledger = ProgressLedger()
    ledger.add_file("/big.log", ranges=3)
    for task_id in (1, 2, 3):
        ledger.add_task(task_id, "/big.log", 100)
    ledger.finish(1, failed=False)
    ledger.finish(2, failed=True)
    assert ledger.totals() == ProgressTotals(300, 200, 1, 0, 0)
    ledger.finish(3, failed=False)
    assert ledger.totals() == ProgressTotals(300, 300, 1, 1, 1)


def test_resumed_ranges_count_as_done_from_the_start():
    ledger = ProgressLedger()
    ledger.add_file("/big.log", ranges=1, stored_bytes=200, stored_failed=True)
    ledger.add_task(7, "/big.log", 100)
    assert ledger.totals() == ProgressTotals(300, 200, 1, 0, 0)
    ledger.finish(7, failed=False)
    assert ledger.totals() == ProgressTotals(300, 300, 1, 1, 1)  # its stored range failed
    ledger.add_file("/done.log", ranges=0, stored_bytes=50)
    assert ledger.totals() == ProgressTotals(350, 350, 2, 2, 1)


def test_walk_rows_are_done_as_found():
    ledger = ProgressLedger()
    ledger.add_final_file()
    ledger.add_final_file(failed=True)
    assert ledger.totals() == ProgressTotals(0, 0, 2, 2, 1)


def test_rate_needs_a_second_of_samples_and_follows_the_recent_window():
    meter = RateMeter(window=10)
    meter.add(0.0, 0)
    meter.add(0.5, 500)
    assert meter.rate() is None
    meter.add(1.0, 1000)
    assert meter.rate() == pytest.approx(1000)
    for second in range(2, 30):
        meter.add(float(second), 1000 + (second - 1) * 10)  # slowed down to 10 B/s
    assert meter.rate() == pytest.approx(10, rel=0.01)


def test_no_rate_when_nothing_moved_or_bytes_went_back():
    meter = RateMeter()
    meter.add(0.0, 100)
    meter.add(5.0, 100)
    assert meter.rate() is None
    meter.add(6.0, 50)  # a lease expired and lost its in-flight bytes
    assert meter.rate() is None


def test_eta_is_unknown_while_walking_or_without_a_rate_and_zero_when_done():
    half = ProgressTotals(bytes_total=1000, bytes_done=500, files_found=2, files_done=1)
    assert eta_seconds(half, 100.0, walking=True) is None
    assert eta_seconds(half, None, walking=False) is None
    assert eta_seconds(half, 100.0, walking=False) == 5.0
    done = ProgressTotals(1000, 1000, 2, 2)
    assert eta_seconds(done, None, walking=False) == 0.0


def test_percent_is_100_only_when_everything_is_done():
    assert percent_done(ProgressTotals(1000, 999, 1, 0), walking=False) == 99
    assert percent_done(ProgressTotals(1000, 1000, 2, 1), walking=False) == 99
    assert percent_done(ProgressTotals(1000, 1000, 1, 1), walking=True) == 99
    assert percent_done(ProgressTotals(1000, 1000, 1, 1), walking=False) == 100
    assert percent_done(ProgressTotals(0, 0, 0, 0), walking=True) == 0
    assert percent_done(ProgressTotals(0, 0, 3, 3), walking=False) == 100
    assert percent_done(ProgressTotals(1000, 350, 3, 1), walking=False) == 35


@pytest.mark.parametrize("count, text", [(0, "0 B"), (999, "999 B"), (1000, "1.0 kB"),
                                         (1_234_567, "1.2 MB"), (3.4e9, "3.4 GB"),
                                         (999_960, "1.0 MB"), (5e18, "5000.0 PB")])
def test_human_bytes(count, text):
    assert human_bytes(count) == text


def test_human_duration_rounds_up():
    assert human_duration(10.2) == "0:00:11"
    assert human_duration(0) == "0:00:00"
    assert human_duration(27 * 3600 + 3 * 60 + 59) == "27:03:59"


def test_progress_line_reads_like_the_example():
    totals = ProgressTotals(3_400_000_000, 1_200_000_000, 400, 120, 0)
    assert progress_line(totals, 3, 210e6, 11.0, walking=False) == \
        "1.2 GB of 3.4 GB (35%), 120/400 files, 3 workers, 0 failed, 210.0 MB/s, ETA 0:00:11"
    assert progress_line(totals, 1, None, None, walking=True) == \
        "1.2 GB of 3.4 GB (35%), 120/400+ files, 1 worker, 0 failed, ? B/s, ETA ?"
