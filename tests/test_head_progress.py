"""What the head announces for progress as the walk finds files: split files, resumed ranges,
unchanged files and the walk's own rows (the head's `_submit`, without serving anything)."""

import pytest

from logcrunch.deltas import UNCHANGED, ReadPlan
from logcrunch.discover import DeferredFile, FoundFile, SkippedEntry, WalkError
from logcrunch.dispatch import ServerDispatcher
from logcrunch.head import Head, HeadOptions
from logcrunch.progress import ProgressTotals
from logcrunch.recorder import MemoryRecorder
from logcrunch.summary import FileSummary


@pytest.fixture
def make_head(tmp_path):
    heads = []

    def make(resume=None, **kw):
        options = HeadOptions(roots=(str(tmp_path),), bind=("127.0.0.1", 0), split_bytes=100)
        head = Head(options, ServerDispatcher(options.bind, b"k" * 32),
                    MemoryRecorder(stored=resume), **kw)
        heads.append(head)
        return head

    yield make
    for head in heads:
        head.dispatcher.close()


def found(tmp_path, name, size):
    path = tmp_path / name
    path.write_bytes(b"x\n" * (size // 2))
    info = path.stat()
    return FoundFile(str(path), str(tmp_path), info.st_size, info.st_mtime, info.st_ino,
                     info.st_dev, info.st_mtime_ns)


def finish_all(broker):
    broker.close_submissions()
    while True:
        state, lease_id, tasks = broker.lease("w", broker.job_id, now=0)
        if state != "work":
            return
        broker.complete("w", lease_id, [(t.task_id, FileSummary(path=t.path, read_from=t.start))
                                        for t in tasks],
                        now=0, lease_finished=True)


def test_a_split_file_is_one_file_of_all_its_bytes(make_head, tmp_path):
    head = make_head()
    head._submit(found(tmp_path, "big.log", 250))
    assert head.broker.stats().total == 3  # three ranges ...
    assert head.broker.progress() == ProgressTotals(250, 0, 1, 0, 0)  # ... one file
    finish_all(head.broker)
    assert head.broker.progress() == ProgressTotals(250, 250, 1, 1, 0)


def test_resumed_ranges_are_done_from_the_start_and_a_failed_one_fails_the_file(make_head,
                                                                                 tmp_path):
    big = found(tmp_path, "big.log", 250)
    whole = found(tmp_path, "whole.log", 40)
    stored = {0: FileSummary(path=big.path), 100: FileSummary.failed(big.path, "shrank")}
    head = make_head(resume={big.path: (big.identity, stored),
                             whole.path: (whole.identity, {0: FileSummary(path=whole.path)})})
    head._submit(big)
    head._submit(whole)
    assert head.broker.stats().total == 1  # only big.log's last range is read again
    assert head.broker.progress() == ProgressTotals(290, 240, 2, 1, 0)
    finish_all(head.broker)
    assert head.broker.progress() == ProgressTotals(290, 290, 2, 2, 1)


def test_unchanged_skipped_deferred_and_unreadable_entries_are_done_as_found(make_head,
                                                                               tmp_path):
    head = make_head(plan=lambda entry: UNCHANGED if entry.path.endswith("old.log") else ReadPlan())
    head._submit(found(tmp_path, "old.log", 10))
    head._submit(SkippedEntry(str(tmp_path / "fifo"), str(tmp_path), "not a regular file"))
    head._submit(WalkError(str(tmp_path / "locked"), str(tmp_path), "permission denied"))
    head._submit(DeferredFile(str(tmp_path / "new.log"), str(tmp_path), 10, 0.0))
    assert head.broker.stats().total == 0
    assert head.broker.progress() == ProgressTotals(0, 0, 4, 4, 1)
