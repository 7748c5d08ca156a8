"""A stop requested while the walk runs.

The walk returns at the stop and closes submissions; if every task queued so far is done (an
incremental night where little changed, or workers faster than a slow walk), the head's loop
sees `is_done()` before it looks at the stop and ends the run as finished: `logcrunch run`
exits 0 and publishes a report of part of the tree as the run's (and the next night's
baseline). Reproduced with the CLI: SIGTERM to the head of `logcrunch run --incremental` on
20,000 unchanged files, 0.9 s in: "run 4 finished ...: 11361 files", exit 0.
"""

import threading

from logcrunch.deltas import UNCHANGED
from logcrunch.dispatch import ServerDispatcher
from logcrunch.head import Head, HeadOptions
from logcrunch.recorder import MemoryRecorder

WAIT = 10


def test_a_stop_during_the_walk_never_ends_the_run_as_finished(tmp_path):
    for index in range(5):
        (tmp_path / f"f{index}.log").write_text("x\n")
    planned = threading.Event()
    go_on = threading.Event()

    def plan(found):  # an incremental night: every file unchanged
        if found.path.endswith("f2.log"):
            planned.set()
            assert go_on.wait(WAIT)
        return UNCHANGED

    options = HeadOptions(roots=(str(tmp_path),), bind=("127.0.0.1", 0), worker_timeout=30)
    head = Head(options, ServerDispatcher(options.bind, b"k" * 32), MemoryRecorder(), plan=plan)
    box = []
    runner = threading.Thread(target=lambda: box.append(head.run()), daemon=True)
    runner.start()
    assert planned.wait(WAIT)
    head.request_stop("stopped by SIGTERM")  # what the CLI's signal handler does
    go_on.set()
    runner.join(WAIT * 2)
    assert box, "the head did not end"
    result = box[0]
    assert result.unchanged < 5  # the walk did stop early ...
    assert result.aborted == "stopped by SIGTERM"  # ... so the run did not finish
