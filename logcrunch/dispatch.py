"""Dispatchers: what gets the broker's tasks scanned.

The head walks the roots into the broker's tasks and the run's recorder takes the results
(logcrunch.head, logcrunch.recorder); between them, a dispatcher gets the tasks scanned. Each one
calls the broker as a worker would (lease, heartbeat, complete, worker_lost, leave: the broker's
rules decide what counts). `ServerDispatcher` is logcrunch's own: the broker served over TCP
(logcrunch.transport) to `logcrunch work` processes, and for `logcrunch run` the local worker
processes it forks. logcrunch.dask_engine has one that submits the tasks to a Dask cluster.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import select
import signal
import threading
from typing import Protocol

from logcrunch.broker import Broker
from logcrunch.transport import BrokerServer

log = logging.getLogger(__name__)


class EngineUnavailable(Exception):
    """The engine a dispatcher hands tasks to cannot be reached (say, a Dask scheduler): the
    message says why and what to do; nothing was recorded."""


class Dispatcher(Protocol):
    """How the head gets its tasks scanned. The head calls, in this order: ``start`` once before
    its walk starts, ``work_queued`` once just before the first task is queued, ``liveness`` on
    every tick of its loop (every ~50 ms: keep it cheap), and ``close`` once the job is over
    (after the broker says so to its workers)."""

    @property
    def address(self) -> tuple[str, int] | None:
        """Where workers connect, if they connect to the head (None otherwise)."""

    def start(self, broker: Broker) -> None:
        """Begin getting ``broker``'s tasks scanned; it takes calls from now on."""

    def work_queued(self) -> None:
        """The first task is about to be queued (a job with nothing to read never says so)."""

    def liveness(self) -> str:
        """Why the job cannot go on ("" while it can): the run then stops, resumable."""

    def how_to_add_workers(self) -> str:
        """What to tell the operator when no worker has been seen for --worker-timeout."""

    def close(self) -> None:
        """Release everything (within seconds); tasks not done stay for a resumed run."""


class ServerDispatcher:
    """The broker served over TCP to `logcrunch work` processes (and, with ``local``, to the
    local worker processes of `logcrunch run`, forked at `start`). It binds its address when
    made, so a bad --bind fails before a run is recorded (transport.BindError)."""

    def __init__(self, bind: tuple[str, int], authkey: bytes,
                 local: LocalWorkers | None = None) -> None:
        self.server = BrokerServer(None, bind, authkey)
        self.local = local
        self._broker: Broker | None = None

    @property
    def address(self) -> tuple[str, int]:
        return self.server.address

    def start(self, broker: Broker) -> None:
        self._broker = broker
        self.server.attach(broker)
        if self.local is not None:
            self.local.start(self.address)  # forked before the server's threads start
        self.server.start()

    def work_queued(self) -> None:
        if self.local is not None:
            self.local.work_queued()

    def liveness(self) -> str:
        return self.local.exited_early(self._broker) if self.local is not None else ""

    def how_to_add_workers(self) -> str:
        host, port = self.address
        if host in ("0.0.0.0", "::", ""):
            host = "THIS-HOST"
        return f"start workers with `logcrunch work --server {host}:{port}` (same authkey)"

    def close(self) -> None:
        """Stop serving, then stop the local workers (idempotent)."""
        self.server.close()
        if self.local is not None and self._broker is not None:
            self.local.stop(self._broker)
            self.local = None


class LocalWorkers:
    """The worker supervisor `logcrunch run` forks, started only once there is work.

    It is forked before the head starts its threads (forking a threaded process is unsafe) but
    waits until the head queues its first task. A night with nothing new ends without a worker
    ever starting, let alone knocking at the door of a head that has already closed it (which
    printed "cannot reach the head" warnings on every quiet incremental run).
    """

    def __init__(self, processes: int, authkey: bytes, state_path: str) -> None:
        self._ctx = multiprocessing.get_context("fork")
        # The supervisor waits on a pipe: one byte at the first task; end of file when the head
        # ends (or dies) without work. Not a multiprocessing Event: its set() waits for every
        # process sleeping in wait() to wake, and one killed there (systemd's or Slurm's SIGTERM
        # to the whole job, the OOM killer) never does. Nor a semaphore and a shared flag: those
        # cost the head ~6 ms before the fork (ctypes, an arena), a pipe ~50 us.
        self._wake_read: int | None = None
        self._wake_write: int | None = None
        self._lock = threading.Lock()  # work_queued (walk thread) and stop may race
        self._work_sent = False
        self.processes = processes
        self.authkey = authkey
        self.state_path = state_path
        self.process: multiprocessing.process.BaseProcess | None = None

    def start(self, address: tuple[str, int]) -> None:
        # (A process the head forked later would inherit the write end, and the supervisor
        # would never see end of file: `stop` then takes its fallback of join, SIGTERM. The
        # head of `logcrunch run` forks nothing else.)
        self._wake_read, self._wake_write = os.pipe()
        self.process = self._ctx.Process(
            target=_local_worker_main,
            args=(address, self.authkey, self.processes, self.state_path, self._wake_read,
                  self._wake_write),
            name="logcrunch-local-workers")
        try:
            self.process.start()
        finally:
            os.close(self._wake_read)  # (the supervisor's copy is its own)
            self._wake_read = None

    def work_queued(self) -> None:
        """The head's on_dispatch hook: the first task is about to be queued."""
        with self._lock:
            if self._wake_write is not None and not self._work_sent:
                self._work_sent = True
                try:
                    os.write(self._wake_write, b"w")
                except OSError:  # (EPIPE) the supervisor is gone: liveness() says so
                    pass

    def exited_early(self, broker: Broker) -> str:
        if not self.process.is_alive() and not broker.is_done():
            return f"the local worker processes exited early (exit code {self.process.exitcode})"
        return ""

    def stop(self, broker: Broker) -> None:
        """After the head's end: an idle supervisor leaves at once (end of file on its pipe);
        workers that heard "done" are leaving already; SIGTERM tells the rest (say, still
        connecting to an aborted head)."""
        with self._lock:
            if self._wake_write is not None:
                os.close(self._wake_write)
                self._wake_write = None
        if self.process is None:  # never started
            return
        heard = not self._work_sent or broker.last_worker_contact() is not None
        self.process.join(timeout=2 if heard else 0.1)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(timeout=10)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


def _local_worker_main(address: tuple[str, int], authkey: bytes, processes: int,
                       state_path: str, wake_read: int, wake_write: int) -> None:
    os.close(wake_write)  # else the head's end of file would never come
    # The worker's modules are imported here, not by the head (7-10 ms of its imports, which
    # `logcrunch submit` never needs): this process spends them while the head goes on.
    from logcrunch.worker import WorkerError, WorkerOptions, die_with_parent, run_worker

    options = WorkerOptions(address=address, authkey=authkey, processes=processes,
                            connect_timeout=30.0)
    die_with_parent()
    # The head's handlers may be installed already (they stop the head, not this process).
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    _close_inherited(state_path)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    # Local workers say only what went wrong. Their head is this run, which reports the rest, and
    # its port was bound before they were forked and stays open while it runs: a refused
    # connection ("cannot reach the head ..., retrying") only means it has closed its door at the
    # end of the job (a small job can end before the last worker has connected). A head that
    # never answers still shows: the workers give up with an error, the head times out.
    logging.getLogger("logcrunch.worker").setLevel(logging.ERROR)
    head_pid = os.getppid()
    while not select.select([wake_read], [], [], 5.0)[0]:
        if os.getppid() != head_pid:  # the head died (and its end of the pipe with it)
            os._exit(0)
    has_work = os.read(wake_read, 1) == b"w"
    os.close(wake_read)
    if not has_work:  # the job ended with nothing to read: nothing to connect for
        os._exit(0)
    try:
        code = run_worker(options)
    except WorkerError as exc:
        log.error("%s", exc)
        code = 1
    os._exit(code)


def _close_inherited(state_path: str) -> None:
    """Close the state database and lock fds a forked worker inherited from the head.

    Otherwise a worker stuck in an uninterruptible read would keep the run lock after the head
    died. The child never touches the database and leaves with os._exit, so nothing reuses them.
    """
    prefix = os.path.realpath(state_path)
    try:
        names = os.listdir("/proc/self/fd")
    except OSError:
        return
    for name in names:
        try:
            if os.readlink(f"/proc/self/fd/{name}").startswith(prefix):
                os.close(int(name))
        except OSError:
            continue
