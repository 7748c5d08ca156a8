"""The dispatcher's close paths and what `logcrunch run`'s forked local
worker supervisor inherits now that the head's signal handlers are installed before the fork."""

import os
import signal
import subprocess
import sys
import threading
import time

from logcrunch.broker import Broker
from logcrunch.dispatch import LocalWorkers, ServerDispatcher
from tests.helpers import child_env, wait_until

KEY = b"k" * 32


def _caught(pid: int) -> int:
    """The SigCgt mask of a process (signals it has a handler for)."""
    with open(f"/proc/{pid}/status") as fp:
        for line in fp:
            if line.startswith("SigCgt:"):
                return int(line.split()[1], 16)
    raise AssertionError("no SigCgt line")


def test_close_before_start_and_twice_after_start_returns_at_once(tmp_path):
    never = ServerDispatcher(("127.0.0.1", 0), KEY, LocalWorkers(1, KEY, str(tmp_path / "s.db")))
    started = time.monotonic()
    never.close()
    never.close()
    assert time.monotonic() - started < 5
    assert never.local.process is None  # nothing was forked

    dispatcher = ServerDispatcher(("127.0.0.1", 0), KEY,
                                  LocalWorkers(1, KEY, str(tmp_path / "s.db")))
    broker = Broker()
    dispatcher.start(broker)
    child = dispatcher.local.process
    broker.close_submissions()  # a job with nothing to read: the child never connects
    started = time.monotonic()
    dispatcher.close()
    dispatcher.close()
    assert time.monotonic() - started < 5
    assert not child.is_alive() and child.exitcode == 0
    assert dispatcher.liveness() == ""


def test_the_forked_supervisor_does_not_keep_the_heads_sigterm_handler(tmp_path):
    stopped = []
    previous = signal.signal(signal.SIGTERM, lambda *_: stopped.append(1))  # as cli does
    dispatcher = ServerDispatcher(("127.0.0.1", 0), KEY,
                                  LocalWorkers(1, KEY, str(tmp_path / "s.db")))
    try:
        dispatcher.start(Broker())
        child = dispatcher.local.process
        # The child resets SIGTERM at once (its first lines): wait for that, then a SIGTERM
        # must end it as it would any process with the default disposition.
        wait_until(lambda: not _caught(child.pid) & (1 << (signal.SIGTERM - 1)),
                   "the child dropping the head's SIGTERM handler", 10)
        os.kill(child.pid, signal.SIGTERM)
        child.join(10)
        assert child.exitcode == -signal.SIGTERM
        assert not stopped  # (the head's handler ran nowhere)
    finally:
        signal.signal(signal.SIGTERM, previous)
        _close_within(dispatcher, 20)  # (see the test below for why not just close())


def _close_within(dispatcher, seconds) -> bool:
    """dispatcher.close() in a thread; whether it returned within ``seconds``."""
    closer = threading.Thread(target=dispatcher.close, daemon=True)
    closer.start()
    closer.join(seconds)
    return not closer.is_alive()


def test_the_head_ends_even_if_its_idle_local_supervisor_was_killed(tmp_path):
    """`logcrunch run` forks the supervisor, which waits until the first task is queued (an
    incremental night with nothing new: the whole run). Killed there (OOM killer; systemd's or
    Slurm's SIGTERM to every process of the job), it must not hang the head: a multiprocessing
    Event did (it counted the dead process forever as a sleeper of its Condition, and the head's
    set() waited for it to wake); a pipe has no sleepers to wait for."""
    dispatcher = ServerDispatcher(("127.0.0.1", 0), KEY,
                                  LocalWorkers(1, KEY, str(tmp_path / "s.db")))
    broker = Broker()
    dispatcher.start(broker)
    child = dispatcher.local.process
    wait_until(lambda: _waiting_on_wake(child.pid), "the child waiting for work", 10)
    os.kill(child.pid, signal.SIGKILL)
    child.join(10)
    broker.close_submissions()
    assert _close_within(dispatcher, 20), "the head hangs in LocalWorkers.stop"


def _waiting_on_wake(pid: int) -> bool:
    """Whether process ``pid`` sleeps waiting for its wake-up (select on the pipe)."""
    with open(f"/proc/{pid}/wchan") as fp:
        where = fp.read()
    return "select" in where or "poll" in where


def test_the_head_leaves_the_worker_modules_to_the_forked_supervisor():
    # (7-10 ms of imports that `logcrunch submit` never needs; `logcrunch run`'s supervisor
    # imports them after the fork)
    worker_side = ("logcrunch.worker", "logcrunch.worker_supervisor", "logcrunch.confine",
                   "logcrunch.faults")
    probe = ("import sys, logcrunch.cli, logcrunch.job, logcrunch.head; "
             f"print([m for m in {worker_side!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", probe], env=child_env(), capture_output=True,
                         text=True, timeout=60, check=True).stdout
    assert out.strip() == "[]"
