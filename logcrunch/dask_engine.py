"""`--engine dask`: the broker's leases scanned as Dask futures instead of by `logcrunch work`.

The head walks, leases and records exactly as with its own workers (same Broker, same state
database); only the thing that gets a lease scanned changes. `DaskDispatcher` (the head's
dispatcher) leases batches from the broker as a worker would, submits each as one Dask future
running `scan_lease` on a Dask worker, heartbeats the leases of running futures, and hands each
result back to the broker with `complete` (whose recorder validates it).

Rules:
- Flow: about two futures per Dask worker thread are in flight (`InFlight`), each one lease sized
  like today's (a fair share of what is queued, capped by the broker's bytes and file counts); more
  are leased as futures finish. The scheduler decides where each runs.
- Exactly once: the broker accepts a result only from the lease holding the task. A future Dask
  re-runs (its worker died) answers once, for the same lease; a lease the broker took back (its
  future was lost, the lease expired) has its future cancelled and any answer dropped.
- Crashes and hangs: `scan_lease` has its batch scanned in a child process and watches it. The
  child is forked by the Dask worker process's scan helper (logcrunch.dask_helper: a fresh
  interpreter with one thread, started once per Dask worker process), never by the Dask worker,
  whose many threads may hold locks at any moment that a child forked from it would hold for
  ever (at 1,000 Dask worker threads such children hung or died of SIGSEGV). A helper that dies
  loses its children's leases with no file blamed, and the next lease starts another. A child
  that dies (a file that kills its reader) or spends over the job's file timeout on one file (then
  killed) ends the batch: the results before it count, and the head reports the loss with the task
  being read (`Broker.worker_lost`), which fails the file after --max-attempts with today's reason.
  A child silent for CHILD_SILENCE_SECONDS while reading no file is killed too, its lease lost
  with no file to blame (a watchdog kept from before the helper: no child should be stuck now).
  Dask's own retries (a worker process or node lost: the future runs again elsewhere, up to
  ``distributed.scheduler.allowed-failures``, then KilledWorker) stay for what kills the Dask worker
  itself; a KilledWorker is reported as a loss without a known task (see Broker._release).
- Trust: Dask pickles within its cluster (its own trust domain: secure it with ``tls://`` and
  Dask's security settings). What we take from a worker is only the bytes `scan_lease` returns,
  our data-only encoding (logcrunch.wire) of the summaries, decoded and validated on the head
  (`decode_outcome`, then the run's recorder, logcrunch.recorder); no Python object from a worker
  is trusted.
- Liveness: no Dask worker for ``worker_timeout`` seconds while tasks are left aborts the run (it
  stays resumable); so does a Dask task that raises (logcrunch missing or of another version on a
  worker), since that is no file's fault.

Dask is imported only here and only when used, so ``import logcrunch`` never needs it.
"""

from __future__ import annotations

import logging
import math
import os
import queue
import select
import signal
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from logcrunch import dask_helper, faults, validation, wire
from logcrunch.broker import Broker, JobInfo, Task
from logcrunch.dispatch import EngineUnavailable
from logcrunch.summary import FileSummary
from logcrunch.worker import WorkerOptions, WorkerProcess, die_with_parent

log = logging.getLogger(__name__)

INSTALL_HINT = ("--engine dask needs Dask's distributed scheduler on the head and every Dask "
                "worker: pip install 'logcrunch[dask]' (or pip install 'dask[distributed]')")
CONNECT_SECONDS = 10.0  # reaching the scheduler at the start (at most --worker-timeout)
WATCH_SECONDS = 1.0  # how often the scheduler is asked how many worker threads it has
TICK_SECONDS = 0.05  # the dispatcher's loop: a finished future waits at most this for news
FUTURES_PER_THREAD = 2
MIN_IN_FLIGHT = 2  # futures waiting on the scheduler even while no worker is there
CLOSE_SECONDS = 5.0
# A scanning child that says nothing for this long while it is not reading a file (before its
# first file, or between two) is stuck, not slow. It is killed and its lease reported lost, so
# the files are leased again (no attempt is counted). Children forked from the Dask worker itself
# (a process of many threads: a lock one of them held at the fork stayed held in the child) did
# get stuck so (1,000 Dask worker threads on two cores); forked by the one-thread scan helper
# none has been seen, and the watchdog stays.
CHILD_SILENCE_SECONDS = 60.0

# Frames from the scanning child: kind (1 byte), payload length (4 bytes), payload.
_HEADER = struct.Struct(">cI")
FRAME_STARTED = b"S"  # payload: the task id, ASCII
FRAME_RESULT = b"R"  # payload: wire encoding of [task_id, FileSummary]


class DaskError(EngineUnavailable):
    """The Dask engine cannot run: the message says why and what to do."""


class DaskMissing(DaskError):
    """dask[distributed] is not installed here."""


def require_dask() -> None:
    """Raise DaskMissing (with how to install it) unless dask.distributed imports."""
    try:
        import distributed  # noqa: F401
    except ImportError as exc:
        raise DaskMissing(f"{INSTALL_HINT} ({exc})") from None


def check_scheduler_address(address: str) -> str:
    """``address`` if it looks like a Dask scheduler address (tcp://, tls://, ucx://, inproc://)."""
    scheme, sep, rest = address.partition("://")
    if not sep or scheme not in ("tcp", "tls", "ucx", "inproc") or not rest:
        raise ValueError(f"--scheduler {address!r}: give the scheduler's address, e.g. "
                         "tcp://HOST:8786 (tls://HOST:8786 with Dask's TLS settings)")
    return address


# ----- on the Dask worker: scan one lease in a watched child ----------------------------------


def scan_lease(job_blob: bytes, tasks_blob: bytes) -> bytes:
    """The Dask task: scan a lease's tasks in a watched child; return the outcome's encoding.

    The child is forked by this Dask worker process's scan helper (logcrunch.dask_helper), a
    one-thread process of its own, never by the Dask worker itself. The outcome is
    ``[[[task_id, summary], ...], lost]``: the results in the order read, and ``lost`` None, or
    ``[task being read or None, reason, child pid]`` when the child died or was killed for the
    file timeout before reading them all (None and pid 0 when the helper could not be reached:
    no file is blamed then).
    """
    job = validation.check_job(wire.decode(job_blob))
    tasks = [validation.check_task(task) for task in wire.decode(tasks_blob)]
    faults_spec = os.environ.get(faults.ENV, "").encode("utf-8", "surrogateescape")
    request = _REQUEST.pack(len(job_blob), len(tasks_blob), len(faults_spec)) + job_blob + \
        tasks_blob + faults_spec
    try:
        child = _HelperChild(request)
    except dask_helper.HelperLost as exc:
        with _starts_lock:
            _failed_starts.append(str(exc))
            failed = len(_failed_starts)
        if failed >= HELPER_START_FAILURES:
            # Not a file's fault and not transient: the run stops (a task that raises does).
            raise RuntimeError(f"the scan helper of this Dask worker failed {failed} times in a "
                               f"row before starting a child (last: {exc}); is logcrunch "
                               "installed on this worker as on the head?") from None
        return b"[[]," + wire.encode([None, str(exc), 0]) + b"]"
    with _starts_lock:
        _failed_starts.clear()
    try:
        blobs, lost = _watch_child(child.pid, child.frames_fd, len(tasks), job.file_timeout,
                                   kill=child.kill, wait=child.wait)
    finally:
        child.close()
    return b"[[" + b",".join(blobs) + b"]," + wire.encode(lost) + b"]"


# The request a child reads from its pipe: three lengths, then the job's and the tasks' encodings
# (as the head sent them) and LOGCRUNCH_FAULTS as this Dask worker has it now (tests set it).
_REQUEST = struct.Struct(">III")
# Leases in a row whose child the helper could not start (it died before answering) before the
# Dask task raises: a helper that can never start (logcrunch broken on this worker) must stop the
# run, not lose every lease without blame for ever.
HELPER_START_FAILURES = 3
_failed_starts: list[str] = []
_starts_lock = threading.Lock()


class _HelperChild:
    """A scanning child of the helper, seen from the Dask worker thread that asked for it."""

    def __init__(self, request: bytes, silence: float = CHILD_SILENCE_SECONDS) -> None:
        self.lease, request_fd, self.frames_fd = dask_helper.helper().fork()
        self.answers = dask_helper.Answers(self.lease)
        try:
            kind, text = self.answers.next()
            if kind != b"P" or not text.isdigit():
                raise dask_helper.HelperLost(f"the scan helper could not start a child ({text})")
            self.pid = int(text)
            self._send_request(request_fd, request, silence)
        except BaseException:
            self.close()
            raise
        finally:
            os.close(request_fd)

    def _send_request(self, fd: int, request: bytes, silence: float) -> None:
        """Write the request to the child's pipe; a child that takes none of it for ``silence``
        seconds is killed (its exit code then says so to `_watch_child`)."""
        os.set_blocking(fd, False)
        poller = select.poll()
        poller.register(fd, select.POLLOUT)
        view = memoryview(request)
        deadline = time.monotonic() + silence
        while view:
            if not poller.poll(max(0.0, deadline - time.monotonic()) * 1000):
                self.kill()
                return
            try:
                view = view[os.write(fd, view):]
            except BlockingIOError:
                continue
            except BrokenPipeError:
                return  # the child is gone already: its exit code says how
            deadline = time.monotonic() + silence

    def kill(self) -> None:
        """SIGKILL the child (the helper does it: it has not reaped it, so no pid is reused)."""
        try:
            self.lease.sendall(b"K")
        except OSError:
            pass  # the helper is gone, and the child with it (PDEATHSIG)

    def wait(self) -> int:
        """The child's exit code (negative: the signal); raises HelperLost."""
        kind, text = self.answers.next()
        if kind != b"X" or not text.lstrip("-").isdigit():
            raise dask_helper.HelperLost("the scan helper said something unexpected")
        return int(text)

    def close(self) -> None:
        self.lease.close()
        os.close(self.frames_fd)


def child_main(write_fd: int, request: bytes) -> None:
    """In a child of the helper: the lease's request (see _REQUEST), then `_child_scan`."""
    sizes = _REQUEST.unpack_from(request)
    job_end = _REQUEST.size + sizes[0]
    tasks_end = job_end + sizes[1]
    job = validation.check_job(wire.decode(request[_REQUEST.size:job_end]))
    tasks = [validation.check_task(task) for task in wire.decode(request[job_end:tasks_end])]
    spec = request[tasks_end:tasks_end + sizes[2]].decode("utf-8", "surrogateescape")
    if spec:
        os.environ[faults.ENV] = spec
    else:
        os.environ.pop(faults.ENV, None)
    _child_scan(write_fd, job, tasks)


def _child_scan(write_fd: int, job: JobInfo, tasks: list[Task]) -> None:
    die_with_parent()  # the helper (one thread) dies with its Dask worker: so does its child
    # Hold no copy of the worker's sockets: a child stuck in a dead NFS read must not keep the
    # Dask worker's connections open after the worker itself is gone.
    os.closerange(3, write_fd)
    os.closerange(write_fd + 1, 1 << 20)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    scanner = WorkerProcess(WorkerOptions(address=("", 0), authkey=b""), node_pid=os.getppid())
    for task in tasks:
        _write_frame(write_fd, FRAME_STARTED, str(task.task_id).encode())
        summary = scanner.scan(task, job)
        _write_frame(write_fd, FRAME_RESULT, wire.encode([task.task_id, summary]))


def _write_frame(fd: int, kind: bytes, payload: bytes) -> None:
    view = memoryview(_HEADER.pack(kind, len(payload)) + payload)
    while view:
        view = view[os.write(fd, view):]


class FrameReader:
    """Cuts the child's byte stream into (kind, payload) frames."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[tuple[bytes, bytes]]:
        self._buffer += data
        frames = []
        while len(self._buffer) >= _HEADER.size:
            kind, length = _HEADER.unpack_from(self._buffer)
            end = _HEADER.size + length
            if len(self._buffer) < end:
                break
            frames.append((kind, bytes(self._buffer[_HEADER.size:end])))
            del self._buffer[:end]
        return frames


def _watch_child(pid: int, read_fd: int, expected: int, file_timeout: float,
                 clock: Callable[[], float] = time.monotonic,
                 silence: float = CHILD_SILENCE_SECONDS,
                 kill: Callable[[], None] | None = None,
                 wait: Callable[[], int] | None = None) -> tuple[list[bytes], list | None]:
    """Read the child's frames until it is done, dies, overruns ``file_timeout`` on a file, or
    says nothing for ``silence`` seconds while reading none (then it is killed); returns (result
    blobs, lost: None when all ``expected`` came). ``kill`` and ``wait`` (its exit code) act on
    the child; by default on ``pid`` as a child of this process."""
    kill_child = kill or (lambda: os.kill(pid, signal.SIGKILL))
    exit_code = wait or (lambda: os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
    poller = select.poll()  # (poll, not select: descriptors past 1,024 in a busy Dask worker)
    poller.register(read_fd, select.POLLIN)
    reader = FrameReader()
    blobs: list[bytes] = []
    current: int | None = None
    since = clock()
    cut_off: str | None = None
    while True:
        if current is None:
            wait, why = since + silence - clock(), \
                f"the scanning child said nothing for {silence:g} s (stuck before a file)"
        elif file_timeout:
            wait, why = since + file_timeout - clock(), f"timed out after {file_timeout:g} s"
        else:
            wait, why = None, ""
        ready = poller.poll(None if wait is None else max(0.0, wait) * 1000)
        if not ready:
            cut_off = why
            kill_child()
            break
        data = os.read(read_fd, 1 << 16)
        if not data:
            break  # the child finished or died
        for kind, payload in reader.feed(data):
            if kind == FRAME_STARTED:
                current, since = int(payload), clock()
            elif kind == FRAME_RESULT:
                blobs.append(payload)
                current, since = None, clock()
    try:
        code = exit_code()
    except dask_helper.HelperLost as exc:  # the child went with it: no file is to blame
        return blobs, (None if len(blobs) == expected else [None, str(exc), pid])
    if len(blobs) == expected and cut_off is None:
        return blobs, None
    reason = cut_off or _death_reason(code)
    return blobs, [current, reason, pid]


def _death_reason(code: int) -> str:
    """As logcrunch.worker says it, so a failed file's reason reads the same on both engines."""
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


# ----- on the head: what came back ------------------------------------------------------------


@dataclass
class Outcome:
    """A lease's outcome as the head accepts it: results, and the loss that ended it early."""

    results: list[tuple[int, FileSummary]]
    lost: tuple[int | None, str, int] | None = None  # (task being read, reason, child pid)


def decode_outcome(blob: Any, max_files: int) -> Outcome:
    """The outcome `scan_lease` encoded in ``blob``; raises ValueError for anything else (its
    summaries' meaning is the recorder's to judge)."""
    if type(blob) is not bytes:
        raise ValueError(f"the Dask task returned a {type(blob).__name__}, not bytes")
    answer = wire.decode(blob)
    if type(answer) is not list or len(answer) != 2:
        raise ValueError("an outcome is [results, lost]")
    results, lost = answer
    validation.check_results(results, max_files)
    if lost is None:
        return Outcome([(task_id, summary) for task_id, summary in results])
    if type(lost) is not list or len(lost) != 3:
        raise ValueError("a loss is [task, reason, pid]")
    current = validation.check_optional_count(lost[0], "the task being read")
    reason = validation.one_line_text(lost[1], "reason")
    pid = validation.check_count(lost[2], "pid")
    return Outcome([(task_id, summary) for task_id, summary in results], (current, reason, pid))


def settle(broker: Broker, worker: str, lease_id: str, outcome: Outcome, now: float) -> int:
    """Hand a lease's outcome to the broker as a worker would; returns results accepted."""
    accepted = broker.complete(worker, lease_id, outcome.results, now,
                               lease_finished=outcome.lost is None)
    if outcome.lost is not None:
        current, reason, pid = outcome.lost
        broker.worker_lost(f"{worker}:{pid}", lease_id, current, reason, now)
    return accepted


# ----- on the head: the dispatcher ------------------------------------------------------------


@dataclass
class Flight:
    lease_id: str
    task_ids: list[int]
    future: Any
    submitted: float


@dataclass
class InFlight:
    """The leases whose futures run, and how many more may be leased (pure; takes ``now``)."""

    per_thread: int = FUTURES_PER_THREAD
    minimum: int = MIN_IN_FLIGHT
    flights: dict[str, Flight] = field(default_factory=dict)
    last_beat: float = 0.0

    def room(self, threads: int) -> int:
        """How many more leases to submit for ``threads`` Dask worker threads."""
        return max(self.minimum, self.per_thread * threads) - len(self.flights)

    def add(self, lease_id: str, task_ids: list[int], future: Any, now: float) -> None:
        self.flights[lease_id] = Flight(lease_id, task_ids, future, now)

    def pop(self, lease_id: str) -> Flight | None:
        return self.flights.pop(lease_id, None)

    def due_beats(self, now: float, interval: float) -> list[str]:
        """The leases to heartbeat now (all of them, once every ``interval``). Called from the
        heartbeat thread while the dispatch thread adds and pops flights: list() of a dict's
        keys is one step under the GIL."""
        if now - self.last_beat < interval / 2:
            return []
        self.last_beat = now
        return list(self.flights)


def lease_size(queued: int, threads: int) -> int:
    """Files one lease may take: a fair share of the queue over the Dask worker threads (the
    broker caps it further by bytes and count), so the end of a job is not one big lease."""
    return max(1, math.ceil(queued / (FUTURES_PER_THREAD * max(1, threads))))


class DaskDispatcher:
    """The head's dispatcher for `--engine dask` (see the module docstring)."""

    def __init__(self, scheduler: str, worker_timeout: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.scheduler = check_scheduler_address(scheduler)
        self.worker_timeout = worker_timeout
        self.name = f"dask:{scheduler}"
        self.clock = clock
        self.client: Any = None
        self.broker: Broker | None = None
        self.flights = InFlight()
        self._done: queue.SimpleQueue = queue.SimpleQueue()  # futures that finished
        self._taken_back: queue.SimpleQueue = queue.SimpleQueue()  # leases the broker took back
        self._stop = threading.Event()
        self._threads = 0  # Dask worker threads, as the scheduler last said
        self._last_worker = clock()
        self._failure = ""  # set by the threads: the run must stop
        self._over = False
        self._job: JobInfo | None = None
        self._job_blob = b""
        self._loops: list[threading.Thread] = []

    def connect(self) -> None:
        """Reach the scheduler now (before the run is recorded); DaskError if it cannot be."""
        require_dask()
        from distributed import Client

        try:
            self.client = Client(self.scheduler, set_as_default=False,
                                 timeout=min(CONNECT_SECONDS, self.worker_timeout))
        except (OSError, TimeoutError) as exc:
            raise DaskError(f"cannot reach the Dask scheduler at {self.scheduler} ({exc}); is "
                            "`dask scheduler` running there, and is the address right?") from None

    # -- the Dispatcher interface (logcrunch.dispatch) -----------------------------------------

    @property
    def address(self) -> None:
        return None  # nothing connects to the head: it connects to the scheduler

    def how_to_add_workers(self) -> str:
        return f"start Dask workers with `dask worker {self.scheduler}` (logcrunch installed there)"

    def start(self, broker: Broker) -> None:
        if self.client is None:
            self.connect()
        self.broker = broker
        self._job = broker.job(self.name, self.clock())
        self._job_blob = wire.encode(self._job)
        self._last_worker = self.clock()  # the worker timeout runs from the start
        self._count_threads()  # before the first lease, which is sized by it
        for target, name in ((self._watch, "logcrunch-dask-watch"),
                             (self._beat, "logcrunch-dask-heartbeat"),
                             (self._dispatch, "logcrunch-dask")):
            thread = threading.Thread(target=self._guarded(target), name=name, daemon=True)
            thread.start()
            self._loops.append(thread)

    def work_queued(self) -> None:
        pass  # the dispatch loop leases as soon as there is something

    def liveness(self) -> str:
        if self._failure:
            return self._failure
        if self._threads or self.clock() - self._last_worker <= self.worker_timeout:
            return ""
        stats = self.broker.stats()
        left = stats.queued + stats.leased
        if not left:
            return ""
        return (f"no Dask worker connected to {self.scheduler} for {self.worker_timeout:g} s with "
                f"{left} tasks left; start some with `dask worker {self.scheduler}` (logcrunch "
                "installed there), or raise --worker-timeout")

    def close(self) -> None:
        self._stop.set()
        for thread in self._loops:
            thread.join(timeout=CLOSE_SECONDS)
        if self.client is None:
            return
        futures = [flight.future for flight in self.flights.flights.values()]
        try:
            if futures:
                self.client.cancel(futures)
            self.client.close(timeout=CLOSE_SECONDS)
        except Exception as exc:  # the scheduler may be gone already: nothing left to release
            log.debug("closing the Dask client: %s", exc)

    # -- the threads --------------------------------------------------------------------------

    def _guarded(self, loop: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                loop()
            except Exception as exc:  # surfaced through liveness(): the run stops, resumable
                log.exception("the Dask dispatcher failed")
                self._failure = f"the Dask dispatcher failed: {exc}"
        return run

    def _watch(self) -> None:
        """How many worker threads the scheduler has (an RPC: kept off the dispatch loop)."""
        while not self._stop.wait(WATCH_SECONDS):
            self._count_threads()

    def _count_threads(self) -> None:
        try:
            threads = sum(self.client.nthreads(callback_timeout=WATCH_SECONDS * 5).values())
        except Exception as exc:  # scheduler unreachable for now: as good as no worker
            log.debug("asking the scheduler for its workers: %s", exc)
            threads = 0
        self._threads = threads
        if threads:
            self._last_worker = self.clock()

    def _beat(self) -> None:
        """Keep the running futures' leases alive, in a thread of its own: settling finished
        futures (a durable commit each) must never delay a heartbeat past a lease, which would
        hand a running batch out again and count an attempt against its file."""
        interval = self._job.heartbeat_seconds
        while not self._stop.wait(interval / 2):
            now = self.clock()
            for lease_id in self.flights.due_beats(now, interval):
                if not self.broker.heartbeat(self.name, lease_id, None, now):
                    self._taken_back.put(lease_id)

    def _dispatch(self) -> None:
        while not self._stop.is_set():
            self._take_finished(TICK_SECONDS)
            while True:  # leases the broker took back: their answers cannot count
                try:
                    lease_id = self._taken_back.get_nowait()
                except queue.Empty:
                    break
                flight = self.flights.pop(lease_id)
                if flight is not None:
                    flight.future.cancel()
            if not self._over:
                self._lease_more(self.clock())

    def _lease_more(self, now: float) -> None:
        while self.flights.room(self._threads) > 0:
            size = lease_size(self.broker.stats().queued, self._threads)
            state, lease_id, tasks = self.broker.lease(self.name, self._job.job_id, now, size)
            if state == "done":
                self._over = True
            if state != "work":
                return
            future = self.client.submit(scan_lease, self._job_blob, wire.encode(tasks),
                                        key=f"logcrunch-scan-{lease_id}", pure=False)
            self.flights.add(lease_id, [task.task_id for task in tasks], future, now)
            future.add_done_callback(lambda f, lease_id=lease_id: self._done.put(lease_id))

    def _take_finished(self, timeout: float) -> None:
        try:
            lease_id = self._done.get(timeout=timeout)
        except queue.Empty:
            return
        while True:
            self._settle(lease_id)
            try:
                lease_id = self._done.get_nowait()
            except queue.Empty:
                return

    def _settle(self, lease_id: str) -> None:
        flight = self.flights.pop(lease_id)
        if flight is None:
            return  # cancelled after the broker took the lease back
        future = flight.future
        now = self.clock()
        if future.status == "finished":
            try:
                outcome = decode_outcome(future.result(), len(flight.task_ids))
            except ValueError as exc:
                outcome = Outcome([], (None, f"the Dask task's answer was refused: {exc}", 0))
            settle(self.broker, self.name, lease_id, outcome, now)
            return
        if future.status == "cancelled":
            self.broker.complete(self.name, lease_id, [], now, lease_finished=True)
            return
        error = future.exception()
        if type(error).__name__ == "KilledWorker":
            # Dask ran it allowed-failures times and lost the worker each time.
            reason = f"its Dask worker died running it ({type(error).__name__})"
            settle(self.broker, self.name, lease_id, Outcome([], (None, reason, 0)), now)
            return
        self.broker.complete(self.name, lease_id, [], now, lease_finished=True)
        self._failure = (f"a Dask task failed on a worker: {type(error).__name__}: "
                         f"{str(error)[:300]} (is logcrunch, of this version, installed on every "
                         "Dask worker?)")
