"""The worker: N scanning processes under one supervisor, taking paths from the head.

Layout of one node:
- The *supervisor* (`run_worker`) starts N child processes, restarts one that dies, tells the
  head at once which task a dead child was reading (so it is re-leased without waiting for the lease
  to expire), and kills a child that spends longer than the job's per-file timeout on one file.
  What it decides is `logcrunch.worker_supervisor.Supervisor` (pure); this module does the forking,
  waiting, killing and reporting around it.
- Each *child* (`WorkerProcess`) has its own connection to the head, leases batches of tasks, scans
  them from the shared disk, heartbeats its lease from a side thread, and hands results back in
  batches from another (`_Sender`), reading on while the head records them. A child that crashes
  takes only its own lease with it. Before it exits it says how it ended (an `Outcome`, in shared
  memory): its exit code is not a message.

The head may not be up yet (cron starts nodes and head in any order) or may go away mid-run: children
retry with backoff until ``reconnect_timeout`` and then exit with a clear message.
"""

from __future__ import annotations

import gc
import logging
import mmap
import multiprocessing
import multiprocessing.connection
import os
import queue
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from logcrunch import defaults, faults, validation
from logcrunch.broker import JobInfo, Task
from logcrunch.confine import ReadPolicy, open_confined
from logcrunch.scan import ReadCounter, ScanConfig, scan_file
from logcrunch.summary import FileSummary
from logcrunch.transport import (
    CONNECTION_ERRORS,
    AuthFailed,
    HeadUnreachable,
    PeerMisbehaved,
    connect_with_retry,
    forget_connection,
    set_call_timeout,
)
from logcrunch.worker_supervisor import (
    EXIT_CODES,
    Action,
    Fail,
    Kill,
    Notify,
    Outcome,
    ReportLoss,
    Spawn,
    Stop,
    Supervisor,
)

log = logging.getLogger(__name__)

RECONNECT_PAUSE_SECONDS = 0.2  # after a connection broke between calls
LEASE_WAIT_SECONDS = 2.0  # an idle worker's lease call waits this long on the head (long poll)
HELD_LEASES_SHARED = 4  # a child holds at most ~3 leases it is not reading (_Sender, prefetch)


class WorkerError(Exception):
    """The worker could not do its job; the message says why."""


@dataclass
class WorkerOptions:
    """How a worker node runs: its head, key, processes, path map and allowed roots."""

    address: tuple[str, int]
    authkey: bytes
    processes: int = 1
    path_map: tuple[tuple[str, str], ...] = ()  # (head prefix, local prefix)
    # Local directories this node may read below (--allow-root); empty: the job's roots.
    allow_roots: tuple[str, ...] = ()
    forever: bool = False
    connect_timeout: float = defaults.CONNECT_RETRY_SECONDS  # waiting for an absent head
    name: str = field(default_factory=socket.gethostname)
    max_restarts: int = 20  # within RESTART_WINDOW: processes that keep dying are not restarted

    def validate(self) -> None:
        if self.processes < 1:
            raise ValueError("-j/--processes must be at least 1")
        if self.connect_timeout < 0:
            raise ValueError("--connect-timeout must be >= 0 seconds")
        for head_prefix, local_prefix in self.path_map:
            if not head_prefix or not local_prefix:
                raise ValueError("--path-map takes HEADPREFIX=LOCALPREFIX, both non-empty")
        for root in self.allow_roots:
            if not os.path.isdir(root):
                raise ValueError(f"--allow-root {root}: not a directory on this node")


def process_name(host: str, node_pid: int, pid: int) -> str:
    """How the head knows a worker process: ``host:node:pid``, where ``node`` is the pid of the
    node's supervisor (the `logcrunch work` process), so two nodes on one host (or on hosts that
    share a name) are still told apart."""
    return f"{host}:{node_pid}:{pid}"


def map_path(path: str, path_map: tuple[tuple[str, str], ...]) -> str:
    """Translate a head path to this node's mount point (longest matching prefix wins)."""
    best = None
    for head_prefix, local_prefix in path_map:
        prefix = head_prefix.rstrip("/")
        if (path == prefix or path.startswith(prefix + "/")) and (
            best is None or len(prefix) > len(best[0])
        ):
            best = (prefix, local_prefix.rstrip("/"))
    if best is None:
        return path
    return best[1] + path[len(best[0]):]


class _SharedNumber:
    """One number in memory shared with forked processes, as ``.value`` (what a
    multiprocessing Value with lock=False offers): a one-item memoryview of the shared map."""

    __slots__ = ("_view",)

    def __init__(self, view: memoryview) -> None:
        self._view = view

    @property
    def value(self):
        return self._view[0]

    @value.setter
    def value(self, number) -> None:
        self._view[0] = number


class _SharedText:
    """Bytes in memory shared with forked processes, as ``.value`` (a ctypes c_char array's
    semantics: read up to the first NUL; a shorter value is NUL-terminated, a longer one
    refused)."""

    __slots__ = ("_view",)

    def __init__(self, view: memoryview) -> None:
        self._view = view

    @property
    def value(self) -> bytes:
        return bytes(self._view).split(b"\0", 1)[0]

    @value.setter
    def value(self, data: bytes) -> None:
        if len(data) > len(self._view):
            raise ValueError(f"{len(data)} bytes do not fit in {len(self._view)}")
        self._view[:len(data)] = data
        if len(data) < len(self._view):
            self._view[len(data)] = 0


class _ChildStatus:
    """What a child is doing and how it ended, in shared memory the supervisor can read after the
    child is gone.

    One anonymous shared map (`mmap.mmap(-1, ...)`: MAP_SHARED, inherited by a fork), not
    multiprocessing Values: their first use costs ~4.4 ms (ctypes, and a heap arena backed by a
    file), on the way to every run's first scan; this costs ~0.1 ms."""

    _LAYOUT = (("task_id", "q", 8), ("started", "d", 8), ("timeout", "d", 8),
               ("_outcome", "q", 8), ("lease_id", None, 40),
               ("held", None, 40 * HELD_LEASES_SHARED))

    def __init__(self) -> None:
        self._map = mmap.mmap(-1, sum(size for _, _, size in self._LAYOUT))
        view, offset = memoryview(self._map), 0
        for name, number, size in self._LAYOUT:
            part = view[offset:offset + size]
            setattr(self, name, _SharedText(part) if number is None else
                    _SharedNumber(part.cast(number)))
            offset += size
        # task_id 0: none; started: monotonic start of it; timeout 0: no per-file limit.
        # held: the leases it holds besides the one it reads (results with its sender, one asked
        # for ahead), space-separated: a dead child's supervisor gives them back without penalty.
        self._outcome.value = Outcome.UNSET

    def set_lease(self, lease_id: str | None) -> None:
        self.lease_id.value = (lease_id or "").encode()

    def set_held(self, lease_ids: list[str]) -> None:
        self.held.value = " ".join(lease_ids[:HELD_LEASES_SHARED]).encode()

    def held_leases(self) -> list[str]:
        return self.held.value.decode().split()

    def set_task(self, task_id: int | None) -> None:
        self.started.value = time.monotonic()
        self.task_id.value = task_id or 0

    @property
    def outcome(self) -> Outcome:
        try:
            return Outcome(self._outcome.value)
        except ValueError:  # not a value a child sets: it said nothing
            return Outcome.UNSET

    @outcome.setter
    def outcome(self, outcome: Outcome) -> None:
        self._outcome.value = outcome

    def overrun(self, now: float) -> float:
        """The per-file limit the child has overrun on its current file at ``now``, else 0."""
        limit = self.timeout.value
        if limit > 0 and self.task_id.value and now - self.started.value > limit:
            return limit
        return 0.0


class WorkerProcess:
    """One scanning process's loop; `run()` returns how it ended (an `Outcome`)."""

    def __init__(self, options: WorkerOptions, status: _ChildStatus | None = None,
                 stop: threading.Event | None = None, node_pid: int | None = None) -> None:
        self.options = options
        self.status = status
        self.stop = stop or threading.Event()
        self.name = process_name(options.name, node_pid or os.getpid(), os.getpid())
        self.proxy = None
        self.heartbeat: _Heartbeat | None = None
        self.sender: _Sender | None = None
        self.call_timeout = 10.0  # the current job's (see _work_job)
        self.files_done = 0
        self.policy: ReadPolicy | None = None
        self.read_counter = ReadCounter()  # the current task's bytes read, for the heartbeats

    # -- connection ---------------------------------------------------------------------------

    def _connect(self, deadline: float) -> None:
        self.proxy = self.open_connection(deadline)

    def open_connection(self, deadline: float):
        """A new connection to the head, retried with backoff until ``deadline`` (warning once)."""
        said = []

        def on_retry(reason: str, delay: float) -> None:
            if not said:  # once per outage, not once per attempt
                said.append(True)
                log.warning("%s; retrying for up to %.0f s", reason,
                            max(0.0, deadline - time.monotonic()))

        proxy = connect_with_retry(self.options.address, self.options.authkey, deadline,
                                   wait=self.stop.wait, on_retry=on_retry)
        if proxy is None:
            raise HeadUnreachable("stopped while waiting for the head")
        return proxy

    def _call(self, method: str, *args):
        """Call the head; on a broken connection reconnect (with backoff) and retry once.

        The answer is checked (raises PeerMisbehaved when it is not one a head gives).
        """
        try:
            answer = getattr(self.proxy, method)(*args)
        except CONNECTION_ERRORS:
            self._connect(time.monotonic() + self.options.connect_timeout)
            answer = getattr(self.proxy, method)(*args)
        return validation.check_reply(method, answer)

    # -- main loop ----------------------------------------------------------------------------

    def run(self) -> Outcome:
        """Serve jobs until the head says the job is over (or, with ``forever``, until stopped)."""
        try:
            return self._last_results_sent(self._serve())
        finally:
            if self.sender is not None:
                self.sender.finish()
            self._say_goodbye()
            if self.heartbeat is not None:  # not mid-connect when the process exits
                self.heartbeat.finish()
                self.heartbeat.join(timeout=2)

    def _last_results_sent(self, outcome: Outcome) -> Outcome:
        """Wait for the results still on their way (a stopped child gives back its lease in
        them). After "done" a failure does not matter: the head had every result it needed."""
        if self.sender is None:
            return outcome
        try:
            self.sender.wait_sent(self._send_timeout())
        except (AuthFailed, PeerMisbehaved) as exc:
            log.error("%s", exc)
            return Outcome.AUTH_FAILED
        except (HeadUnreachable, *CONNECTION_ERRORS) as exc:
            if outcome is not Outcome.DONE:
                log.error("the last results may not have reached the head: %s", exc)
                return Outcome.HEAD_LOST
        return outcome

    def _say_goodbye(self) -> None:
        """Tell the head we are gone, so it does not wait for us at the end (best effort)."""
        if self.proxy is None or not self.stop.is_set():
            return
        try:
            self.proxy.leave(self.name)
        except Exception:  # the head may be gone already; nothing to do about it
            pass

    def _serve(self) -> Outcome:
        while not self.stop.is_set():
            try:
                if self.proxy is None:
                    self._connect(time.monotonic() + self.options.connect_timeout)
                job = self._call("job", self.name)
                if job is None:
                    if not self.options.forever:
                        return Outcome.DONE
                    self.stop.wait(2.0)
                    continue
                self._work_job(job)
            except (AuthFailed, PeerMisbehaved) as exc:
                log.error("%s", exc)
                return Outcome.AUTH_FAILED
            except CONNECTION_ERRORS:
                # The head went away between calls, or a message to us failed its tag: reconnect
                # (with a deadline), after a pause so a relay that keeps tampering cannot spin us.
                self.proxy = None
                self.stop.wait(RECONNECT_PAUSE_SECONDS)
            except HeadUnreachable as exc:
                self.proxy = None
                if self.stop.is_set():
                    return Outcome.STOPPED
                if not self.options.forever:
                    log.error("%s; gave up after %.0f s of retrying", exc,
                              self.options.connect_timeout)
                    return Outcome.HEAD_LOST
        return Outcome.STOPPED

    def _work_job(self, job: JobInfo) -> None:
        # Past twice the lease the head has re-leased our work: waiting longer for an answer
        # (a cut link, a frozen head) only delays reconnecting.
        self.call_timeout = max(2 * job.lease_seconds, 10.0)
        set_call_timeout(self.proxy, self.call_timeout)
        if self.status is not None:
            self.status.timeout.value = float(job.file_timeout or 0)
        policy = ReadPolicy.for_job(self.options.allow_roots, job.roots, job.follow_symlinks,
                                    lambda path: map_path(path, self.options.path_map))
        if policy != self.policy:
            log.info("%s", policy.describe())
            self.policy = policy
        answer = None  # the next lease, when work_lease asked for it already
        try:
            while not self.stop.is_set():
                if self.sender is not None:
                    self.sender.check()  # an earlier batch's failure is this loop's to handle
                if answer is None or answer[0] == "wait":
                    # The head holds the call until there is work or the job ends (a long poll).
                    answer = self._call("lease", self.name, job.job_id, None, LEASE_WAIT_SECONDS)
                state, lease_id, tasks = answer
                answer = None
                if state == "done":
                    return
                if state == "work":
                    answer = self.work_lease(job, lease_id, tasks)
        finally:
            if answer is not None and answer[0] == "work":  # leaving with the next batch in hand
                self.sender.send(answer[1], [], True)  # give it back unread, without penalty

    def work_lease(self, job: JobInfo, lease_id: str, tasks: list[Task],
                   clock: Callable[[], float] = time.monotonic) -> tuple | None:
        """Scan one leased batch and hand the results to the sender (which the next lease does
        not wait for: the head records them while this process reads on).

        Returns the head's answer to a lease call made once every task is read, before the
        last results are handed over (the head is idle then; once they are on their way it is
        busy recording them, and the call would wait for that): None when it was not asked (a
        stop, a lost lease), else ``(state, lease_id, tasks)``. Asked without waiting: the
        results still to come hold tasks of this job, and a long poll would wait for them.
        """
        if self.status is not None:
            self.status.set_lease(lease_id)
        if self.heartbeat is None:
            self.heartbeat = _Heartbeat(self)
            self.heartbeat.start()
        if self.sender is None:
            self.sender = _Sender(self)
            self.sender.start()
        beat = self.heartbeat
        beat.begin(lease_id, job.heartbeat_seconds)
        pending: list[tuple[int, FileSummary]] = []
        weight = 0  # an upper bound of pending's encoded size
        last_flush = clock()
        answer = None
        read_all = False
        try:
            for index, task in enumerate(tasks):
                if self.stop.is_set() or beat.lost.is_set():
                    break
                beat.current = task.task_id
                if self.status is not None:
                    self.status.set_task(task.task_id)
                summary = self.scan(task, job)
                pending.append((task.task_id, summary))
                weight += encoded_size_bound(summary)
                self.files_done += 1
                last = index == len(tasks) - 1
                if not last and (len(pending) >= defaults.RESULT_BATCH_FILES
                                 or weight >= defaults.RESULT_BATCH_BYTES
                                 or clock() - last_flush >= defaults.RESULT_BATCH_SECONDS):
                    self.sender.send(lease_id, pending, False)
                    pending = []
                    weight = 0
                    last_flush = clock()
            else:
                read_all = not (self.stop.is_set() or beat.lost.is_set())
            try:
                if read_all:
                    answer = self._call("lease", self.name, job.job_id, None, 0.0)
                    if answer[0] == "work":
                        beat.hold(answer[1])  # beaten from now on, not from its first file
            finally:
                # Closing the lease returns whatever we did not get to (stop or lost lease); the
                # results go to the head even when that lease call failed. The heartbeat keeps
                # the lease until the head has answered them (the sender releases it).
                beat.hold(lease_id)
                self.sender.send(lease_id, pending, True)
        finally:
            beat.end()
            if self.status is not None:
                self.status.set_task(None)
                self.status.set_lease(None)
        return answer

    def _send_timeout(self) -> float:
        """How long the results handed to the sender may take at most to be answered: two
        batches (one queued, one being sent) and a reconnection for each."""
        return 2 * (self.call_timeout + self.options.connect_timeout)

    def scan(self, task: Task, job: JobInfo) -> FileSummary:
        local = map_path(task.path, self.options.path_map)
        faults.before_scan(local)
        started = time.perf_counter()
        policy = self.policy or ReadPolicy.for_job(self.options.allow_roots, job.roots,
                                                   job.follow_symlinks)
        summary = scan_file(local, job.scan_config, task.start, task.end,
                            opener=lambda path: open_confined(path, policy, task.inode,
                                                              task.device),
                            hold=task.hold, track=True, counter=self.read_counter,
                            expect=task.fingerprint)
        summary.path = task.path
        if summary.status != "ok" and not summary.size_bytes:
            summary.size_bytes = task.size  # refused or never opened: the size the walk saw
        summary.worker = self.name
        summary.seconds = round(time.perf_counter() - started, 6)
        return summary


class _Sender(threading.Thread):
    """Hands a child's results to the head while the child reads on.

    One thread (and one connection) per worker process, reused for every lease, like the
    heartbeat. The head checks, records and durably commits a batch before it answers; waiting
    for that answer kept the reading stopped for every lease (~7 ms of each 64 MB lease on the
    benchmark machine, 4% of a `-j 1` run). Batches go in the order they were handed over (a
    lease's closing batch after its other batches); at most one waits while one is being sent,
    so memory stays bounded by two batches (defaults.RESULT_BATCH_BYTES each) and a child that
    gets ahead blocks in `send`. A lease stays on the heartbeat until its closing batch is
    answered (`_Heartbeat.hold`; released here), so a head slow to commit does not see it
    expire. A call that fails (after one reconnection and retry, as WorkerProcess._call does)
    is the child's to handle: `check` and `wait_sent` raise it, once, and the loop handles it
    as if its own call had failed (that batch's lease expires and the head leases its tasks
    again); `send` never raises, so a lease in hand is always handed back.

    A child that dies with a batch still queued loses it; its supervisor gives that lease back
    without penalty (the child's status lists the leases it holds unread: `_Heartbeat.hold`).
    """

    def __init__(self, worker: WorkerProcess) -> None:
        super().__init__(daemon=True, name="logcrunch-results")
        self.worker = worker
        self._queue: queue.Queue = queue.Queue(maxsize=1)
        self._cond = threading.Condition()
        self._unanswered = 0  # batches handed over whose call has not ended
        self._error: BaseException | None = None
        self._proxy = None

    def send(self, lease_id: str, results: list[tuple[int, FileSummary]],
             finished: bool) -> None:
        """Queue a batch (blocks while one is queued already)."""
        with self._cond:
            self._unanswered += 1
        self._queue.put((lease_id, results, finished))

    def check(self) -> None:
        """Raise (once) the first error that stopped a batch handed over earlier."""
        with self._cond:
            error, self._error = self._error, None
        if error is not None:
            raise error

    def wait_sent(self, timeout: float) -> None:
        """Block until every batch handed over is answered (or ``timeout``); then raise the
        first error, if a batch failed."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._unanswered:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise HeadUnreachable(f"the head did not answer for {timeout:.0f} s")
                self._cond.wait(remaining)
        self.check()

    def finish(self) -> None:
        """Let the thread end once it has sent what is queued (it is a daemon: the process's
        exit does not wait for it)."""
        try:
            self._queue.put_nowait(None)
        except queue.Full:
            pass  # a batch is still queued: the process is leaving without its answer

    def run(self) -> None:
        while (item := self._queue.get()) is not None:
            error = None
            lease_id, _results, finished = item
            try:
                self._complete(*item)
            except Exception as exc:  # (every failure goes back to the child's thread)
                error = exc
                self._proxy = None
            if finished and self.worker.heartbeat is not None:
                self.worker.heartbeat.release(lease_id)
            with self._cond:
                self._unanswered -= 1
                if error is not None and self._error is None:
                    self._error = error
                self._cond.notify_all()

    def _complete(self, lease_id: str, results: list, finished: bool) -> None:
        worker = self.worker
        for attempt in (1, 2):
            if self._proxy is None:
                self._proxy = worker.open_connection(
                    time.monotonic() + worker.options.connect_timeout)
            set_call_timeout(self._proxy, worker.call_timeout)
            try:
                answer = self._proxy.complete(worker.name, lease_id, results, finished)
                break
            except CONNECTION_ERRORS:
                self._proxy = None
                if attempt == 2:
                    raise
        validation.check_reply("complete", answer)


class _Heartbeat(threading.Thread):
    """Extends the current lease while the child works on it; notices when the head took it away.

    One thread (and one connection) per worker process, reused for every lease. It beats every
    ``interval`` and soon (at most every ``MIN_GAP``) after the child moves to a new file, so the
    head knows which file a worker was reading when it died. Each beat carries how many bytes of
    that task the scan has read so far (the worker's ReadCounter), for the head's progress.

    It also beats, every ``interval``, the leases the child holds without reading them (`hold`):
    one whose closing results are still with the sender (until it `release`s it, answered) and
    the next one, asked for before them. Without that a head slow to commit would see them
    expire and lease their tasks again, with an attempt counted against each.
    """

    MIN_GAP = 0.25

    def __init__(self, worker: WorkerProcess) -> None:
        super().__init__(daemon=True, name="logcrunch-heartbeat")
        self.worker = worker
        self.interval = defaults.HEARTBEAT_SECONDS
        self._lock = threading.Lock()
        self._lease_id: str | None = None
        self._current: int | None = None
        self._held: dict[str, int] = {}  # lease id -> holds (a lease may be held twice)
        self._sent: tuple[str | None, int | None] = (None, None)
        self.lost = threading.Event()
        self._wake = threading.Event()
        self._done = threading.Event()

    def begin(self, lease_id: str, interval: float) -> None:
        with self._lock:
            self._lease_id, self._current, self.interval = lease_id, None, interval
            if self._held.pop(lease_id, None) is not None:  # read from now on: the current one
                self._publish()
            self.lost.clear()

    def end(self) -> None:
        with self._lock:
            self._lease_id = None

    def hold(self, lease_id: str) -> None:
        with self._lock:
            self._held[lease_id] = self._held.get(lease_id, 0) + 1
            self._publish()

    def release(self, lease_id: str) -> None:
        with self._lock:
            left = self._held.get(lease_id, 0) - 1
            if left > 0:
                self._held[lease_id] = left
            else:
                self._held.pop(lease_id, None)
            self._publish()

    def _publish(self) -> None:
        """(lock held) The held leases into the child's status, for its supervisor."""
        if self.worker.status is not None:
            self.worker.status.set_held(list(self._held))

    def held(self) -> list[str]:
        with self._lock:
            return [lease_id for lease_id in self._held if lease_id != self._lease_id]

    @property
    def current(self) -> int | None:
        return self._current

    @current.setter
    def current(self, task_id: int | None) -> None:
        self._current = task_id
        self._wake.set()

    def run(self) -> None:
        proxy = None
        last_beat = last_held_beat = 0.0
        while not self._done.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            with self._lock:
                lease_id, current = self._lease_id, self._current
            held = self.held()
            if self._done.is_set():
                continue
            now = time.monotonic()
            beat_current = lease_id is not None and not (
                (lease_id, current) == self._sent and now - last_beat < self.interval)
            beat_held = bool(held) and now - last_held_beat >= self.interval
            if not (beat_current or beat_held):
                continue
            if beat_current and now - last_beat < self.MIN_GAP and \
                    self._done.wait(self.MIN_GAP - (now - last_beat)):
                return
            try:
                if proxy is None:
                    proxy = connect_with_retry(self.worker.options.address,
                                               self.worker.options.authkey,
                                               time.monotonic() + self.interval)
                if beat_current:
                    bytes_read = self.worker.read_counter.bytes_read() if current is not None else 0
                    alive = validation.check_reply("heartbeat", proxy.heartbeat(
                        self.worker.name, lease_id, current, bytes_read))
                    self._sent, last_beat = (lease_id, current), time.monotonic()
                    with self._lock:
                        if not alive and self._lease_id == lease_id:
                            self.lost.set()
                if beat_held:
                    for other in held:  # (a lease the head took away: its results are late)
                        validation.check_reply("heartbeat", proxy.heartbeat(
                            self.worker.name, other, None, 0))
                    last_held_beat = time.monotonic()
            except (HeadUnreachable, AuthFailed, PeerMisbehaved, *CONNECTION_ERRORS):
                proxy = None  # the main loop will notice too; keep trying while we work

    def finish(self) -> None:
        self._done.set()
        self._wake.set()


# ----- supervisor ----------------------------------------------------------------------------


def die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent dies, so no orphan keeps working."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: orphans exit on their own once the head is gone


def _child_main(options: WorkerOptions, status: _ChildStatus) -> None:
    die_with_parent()
    # What was inherited (the imports, the supervisor's state) lives as long as this process: no
    # collection needs to traverse it again, and untouched it stays shared with the supervisor.
    gc.freeze()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the supervisor decides on Ctrl-C
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    try:
        outcome = WorkerProcess(options, status, stop, node_pid=os.getppid()).run()
    except Exception:
        log.exception("worker process crashed")
        outcome = Outcome.CRASHED
    status.outcome = outcome
    os._exit(EXIT_CODES[outcome])


_warmed: list[bool] = []


def warm_up(scan_config: ScanConfig) -> None:
    """Once per process, scan a file of our own before forking scanning children: what the
    first scan of a process loads and compiles (the C scanner, the openat2 call, the patterns
    that sniff a file's format, the metric-name rule) is then done once instead of in every
    child (~13 ms of a Dask lease; ~7 ms of each local worker's first file)."""
    if _warmed:
        return
    _warmed.append(True)
    with tempfile.TemporaryDirectory(prefix="logcrunch-warm-up.") as directory:
        path = os.path.join(directory, "warm-up.log")
        with open(path, "w") as fp:
            fp.write("Nov 27 02:00:01 host app[1]: ERROR warm-up latency_ms=1\n")
        policy = ReadPolicy.for_job((), ((directory, os.stat(directory).st_dev),), False)
        scan_file(path, scan_config, opener=lambda name: open_confined(name, policy))


def encoded_size_bound(summary: FileSummary) -> int:
    """More bytes than ``summary`` takes on the wire (ASCII JSON: a character of a text is at
    most 12 bytes, a surrogate pair's escapes), so batches stay far under the message limit
    (channel.MAX_MESSAGE_BYTES) whatever the templates hold. One summary is at most ~18 MB: 1000
    templates of 1 KiB template and example bytes, at most 5 encoded bytes each, and 50,000
    timeline hours, plus ~6 MB of sketches (100 metrics of 2048 buckets, <= 28 bytes each)."""
    texts = len(summary.path) + len(summary.error) + len(summary.worker) + sum(
        len(row[1]) + len(row[5]) for row in summary.templates)
    buckets = sum(len(m.sketch) for m in summary.metrics.values() if m.sketch is not None)
    return (1024 + 12 * texts + 96 * len(summary.templates) + 64 * len(summary.timeline)
            + 12 * sum(len(name) for name in summary.metrics) + 256 * len(summary.metrics)
            + 28 * buckets)


@dataclass
class _Child:
    """One scanning child process and its shared status."""

    process: multiprocessing.process.BaseProcess
    status: _ChildStatus


def run_worker(options: WorkerOptions, on_event: Callable[[str], None] | None = None) -> int:
    """Run N scanning processes until the job is done; returns 0, or raises WorkerError with the
    reason (the children logged the details).

    SIGTERM/SIGINT: children finish the file they are reading, return their leases and exit.
    """
    options.validate()
    return _Node(options, on_event or (lambda message: log.info("%s", message))).run()


class _Node:
    """The supervisor's I/O: forks the children, waits for them, kills them, reports losses to
    the head, and does what `Supervisor` decides on each of those events."""

    POLL_SECONDS = 0.5  # how often live children are checked against the per-file timeout

    def __init__(self, options: WorkerOptions, notify: Callable[[str], None]) -> None:
        self.options = options
        self.notify = notify
        self.ctx = multiprocessing.get_context("fork")
        self.supervisor = Supervisor(options.processes, options.max_restarts, options.forever,
                                     options.address, options.connect_timeout)
        self.children: dict[str, _Child] = {}
        self.signalled = False
        # The signal handler only notes the signal and wakes the loop through this pipe: the
        # loop alone tells the supervisor, so no decision runs inside a handler.
        self.wake_read, self.wake_write = os.pipe()
        os.set_blocking(self.wake_read, False)
        os.set_blocking(self.wake_write, False)

    def run(self) -> int:
        warm_up(ScanConfig())  # here, not in every child (a local run's supervisor did already)
        signals = (signal.SIGTERM, signal.SIGINT)
        previous = {sig: signal.signal(sig, self._on_signal) for sig in signals}
        try:
            self._do(self.supervisor.start())
            while self.supervisor.live:
                self._step()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            for child in self.children.values():
                child.process.kill()
            os.close(self.wake_read)
            os.close(self.wake_write)
        verdict = self.supervisor.verdict()
        if isinstance(verdict, Fail):
            raise WorkerError(verdict.message)
        return 0

    def _on_signal(self, _signum, _frame) -> None:
        self.signalled = True
        try:
            os.write(self.wake_write, b"\0")
        except OSError:  # the pipe is full: the loop is woken already
            pass

    def _step(self) -> None:
        sentinels = [child.process.sentinel for child in self.children.values()]
        multiprocessing.connection.wait([*sentinels, self.wake_read], timeout=self.POLL_SECONDS)
        while _drained(self.wake_read):  # (a child forked a moment ago may have written too)
            pass
        if self.signalled:
            self.signalled = False
            self._do(self.supervisor.signal_received())
        for name, child in list(self.children.items()):
            if child.process.is_alive():
                limit = child.status.overrun(time.monotonic())
                if limit:
                    self._do(self.supervisor.overran(name, limit))
                continue
            child.process.join()
            self._do(self.supervisor.exited(name, child.status.outcome, child.process.exitcode))
            del self.children[name]

    def _do(self, actions: list[Action]) -> None:
        for action in actions:
            if isinstance(action, Notify):
                self.notify(action.message)
            elif isinstance(action, Spawn):
                self._spawn()
            elif isinstance(action, Stop):
                self._signal(action.names, signal.SIGTERM)
            elif isinstance(action, Kill):
                self._signal((action.name,), signal.SIGKILL)
            elif isinstance(action, ReportLoss):
                ended = _report_loss(self.options, action.name,
                                     self.children[action.name].status, action.reason)
                self._do(self.supervisor.loss_answered(action.name, ended, time.monotonic()))
            else:
                raise AssertionError(f"unknown action {action!r}")

    def _spawn(self) -> None:
        status = _ChildStatus()
        process = self.ctx.Process(target=_child_main, args=(self.options, status), daemon=True)
        process.start()
        name = process_name(self.options.name, os.getpid(), process.pid)
        self.children[name] = _Child(process, status)
        self.supervisor.started(name)

    def _signal(self, names: tuple[str, ...], signum: int) -> None:
        for name in names:
            child = self.children.get(name)
            if child is not None and child.process.is_alive():
                os.kill(child.process.pid, signum)


def _drained(fd: int) -> bool:
    try:
        return bool(os.read(fd, 512))
    except BlockingIOError:
        return False


def _report_loss(options: WorkerOptions, name: str, status: _ChildStatus, reason: str) -> bool:
    """Tell the head now which lease and task a dead child held (best effort); returns True when
    the head says that ended the job. A child that held no lease is reported too: the head then
    knows to give its replacement a moment at the end of the job."""
    lease_id = status.lease_id.value.decode()
    task_id = status.task_id.value or None
    try:
        proxy = connect_with_retry(options.address, options.authkey, time.monotonic() + 5.0)
        # Leases it held without reading them (its results died with its sender, or it had not
        # begun): back without penalty, as a stopped child gives them back. Then the loss.
        for held in status.held_leases():
            if held != lease_id:
                validation.check_reply("complete", proxy.complete(name, held, [], True))
        answer = validation.check_reply(
            "worker_lost", proxy.worker_lost(name, lease_id, task_id, reason))
    except (HeadUnreachable, AuthFailed, PeerMisbehaved, *CONNECTION_ERRORS):
        return False  # the lease will expire on its own
    finally:
        forget_connection(options.address)  # deaths are rare: do not hold a head thread meanwhile
    return isinstance(answer, list | tuple) and answer[1] is True
