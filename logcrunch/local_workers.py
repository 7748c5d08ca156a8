"""The local worker processes of `logcrunch run`: one forked supervisor (logcrunch.worker's
run_worker) that connects to the run's own head, over loopback, like any node.

It may be forked as soon as the command line is parsed, before the head imports the rest of
logcrunch (`LocalWorkers.fork`): it then imports the worker's modules on the other core while the
head imports its own, opens the state database and walks the roots. It waits on a pipe for the
head's go (the address it serves on and the run's key), sent just before the first task is
queued; end of file on that pipe means the run is over without work (or the head died).

This module imports only the standard library: `logcrunch run` imports it, and forks, before
anything else.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import select
import signal
import struct
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from logcrunch.broker import Broker

log = logging.getLogger(__name__)

WAKE = b"w"  # then _GO: host length, port, key length; then the host and the key
_GO = struct.Struct("!HHH")


def go_message(address: tuple[str, int], authkey: bytes) -> bytes:
    """What the head writes to wake the supervisor: where to connect and with which key."""
    host = address[0].encode()
    return WAKE + _GO.pack(len(host), address[1], len(authkey)) + host + authkey


def read_go(fd: int) -> tuple[tuple[str, int], bytes] | None:
    """The supervisor's side of `go_message`: (address, key), or None at end of file (no work)
    or on a message that is not whole."""
    first = os.read(fd, 1)
    if first != WAKE:
        return None
    header = _read_exactly(fd, _GO.size)
    if header is None:
        return None
    host_length, port, key_length = _GO.unpack(header)
    rest = _read_exactly(fd, host_length + key_length)
    if rest is None:
        return None
    return (rest[:host_length].decode(), port), rest[host_length:]


def _read_exactly(fd: int, count: int) -> bytes | None:
    data = b""
    while len(data) < count:
        piece = os.read(fd, count - len(data))
        if not piece:
            return None
        data += piece
    return data


class LocalWorkers:
    """The worker supervisor `logcrunch run` forks, which starts scanning only once there is work.

    It is forked before the head starts its threads (forking a threaded process is unsafe): at
    `fork`, or at the latest at `start`. It waits until the head queues its first task. A night
    with nothing new ends without a worker ever connecting, let alone knocking at the door of a
    head that has already closed it (which printed "cannot reach the head" warnings on every
    quiet incremental run).
    """

    def __init__(self, processes: int, authkey: bytes = b"", state_path: str = "") -> None:
        self._ctx = multiprocessing.get_context("fork")
        # The supervisor waits on a pipe: the go message at the first task; end of file when the
        # head ends (or dies) without work. Not a multiprocessing Event: its set() waits for
        # every process sleeping in wait() to wake, and one killed there (systemd's or Slurm's
        # SIGTERM to the whole job, the OOM killer) never does. Nor a semaphore and a shared
        # flag: those cost the head ~6 ms before the fork (ctypes, an arena), a pipe ~50 us.
        self._wake_write: int | None = None
        self._lock = threading.Lock()  # work_queued (walk thread) and stop may race
        self._work_sent = False
        self.processes = processes
        self.authkey = authkey  # (may be set until start)
        self.state_path = state_path  # fds of it a late fork inherited are closed in the child
        self.address: tuple[str, int] | None = None
        self.process: multiprocessing.process.BaseProcess | None = None

    def fork(self) -> None:
        """Fork the supervisor now, if not yet (it then imports the worker's modules)."""
        if self.process is not None:
            return
        # (A process the head forked later would inherit the write end, and the supervisor
        # would never see end of file: `stop` then takes its fallback of join, SIGTERM. The
        # head of `logcrunch run` forks nothing else.)
        wake_read, self._wake_write = os.pipe()
        self.process = self._ctx.Process(
            target=_supervisor_main,
            args=(self.processes, self.state_path, wake_read, self._wake_write),
            name="logcrunch-local-workers")
        try:
            self.process.start()
        finally:
            os.close(wake_read)  # (the supervisor's copy is its own)

    def start(self, address: tuple[str, int]) -> None:
        """The head serves on ``address`` (from its next step on): fork now if not yet."""
        self.address = address
        self.fork()

    def work_queued(self) -> None:
        """The head's on_dispatch hook: the first task is about to be queued."""
        with self._lock:
            if self._wake_write is not None and not self._work_sent:
                self._work_sent = True
                try:  # (far under PIPE_BUF: one atomic write)
                    os.write(self._wake_write, go_message(self.address, self.authkey))
                except OSError:  # (EPIPE) the supervisor is gone: liveness() says so
                    pass

    def exited_early(self, broker: Broker) -> str:
        if not self.process.is_alive() and not broker.is_done():
            return f"the local worker processes exited early (exit code {self.process.exitcode})"
        return ""

    def abandon(self) -> None:
        """The run ends before its head took these workers (a usage error, a held lock): the
        supervisor leaves at end of file, once its imports are done. Idempotent."""
        with self._lock:
            if self._wake_write is not None:
                os.close(self._wake_write)
                self._wake_write = None

    def stop(self, broker: Broker) -> None:
        """After the head's end: an idle supervisor leaves at once (end of file on its pipe);
        workers that heard "done" are leaving already; SIGTERM tells the rest (say, still
        connecting to an aborted head)."""
        self.abandon()
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


def _supervisor_main(processes: int, state_path: str, wake_read: int, wake_write: int) -> None:
    os.close(wake_write)  # else the head's end of file would never come
    # The head's handlers may be installed already (they stop the head, not this process).
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    # The worker's modules are imported here, not by the head (which never needs them): this
    # process spends them while the head goes on.
    from logcrunch.scan import ScanConfig
    from logcrunch.worker import WorkerError, WorkerOptions, die_with_parent, run_worker, warm_up

    die_with_parent()
    warm_up(ScanConfig())  # (while the head is still on its way to the first task)
    if state_path:
        _close_inherited(state_path)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    # Local workers say only what went wrong. Their head is this run, which reports the rest, and
    # its port was bound before they were told to connect and stays open while it runs: a
    # refused connection ("cannot reach the head ..., retrying") only means it has closed its
    # door at the end of the job (a small job can end before the last worker has connected). A
    # head that never answers still shows: the workers give up with an error, the head times out.
    logging.getLogger("logcrunch.worker").setLevel(logging.ERROR)
    head_pid = os.getppid()
    while not select.select([wake_read], [], [], 5.0)[0]:
        if os.getppid() != head_pid:  # the head died (and its end of the pipe with it)
            os._exit(0)
    go = read_go(wake_read)
    os.close(wake_read)
    if go is None:  # the job ended with nothing to read: nothing to connect for
        os._exit(0)
    address, authkey = go
    options = WorkerOptions(address=address, authkey=authkey, processes=processes,
                            connect_timeout=30.0)
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
