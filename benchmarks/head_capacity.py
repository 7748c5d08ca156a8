"""How far one head goes: results per second, lease latency and head CPU/RSS against many workers.

Usage: python benchmarks/head_capacity.py [--workers 10,100,1000] [--files 50000]
           [--lease-files N] [--threads-per-process 50] [--no-heartbeats] [--repeat 1]
           [--duration SECONDS] [--engine basemanager] [--quick] [--dir DIR]
           [--out benchmarks/head_capacity.md] [--profile-head DIR] [--head-wrapper SCRIPT]

For each worker count W it starts a real head as its own OS process (``logcrunch submit ROOT --out
DIR --state DB --bind 127.0.0.1:PORT --authkey-file KEY -q``, with its real state database and
reports) on a generated tree of FILES tiny files, and W simulated worker processes against it. A
simulated worker is what the head sees of a `logcrunch work` process: its own name
(worker.process_name), its own authenticated connection for the job/lease/complete calls and a
second one for heartbeats (as _Heartbeat has), speaking the protocol (channel.py: handshake,
tagged wire messages) directly. It leases as a real worker does (long polls of
worker.LEASE_WAIT_SECONDS, results in batches of defaults.RESULT_BATCH_FILES, the last one closing
the lease, at most one heartbeat per _Heartbeat.MIN_GAP) but reads no file: each result is the
summary a real worker made of the sample file (all the tree's files are alike), with the task's
path, pre-encoded, so a complete call costs the simulator a string join. W simulated workers run as
K OS processes x M threads (M = --threads-per-process), each thread one worker.

Phases of a point, timed apart (like bench.py's fixed cost):
  start+walk  head process start until every worker is connected (two handshakes each, the job
              fetched) and the walk is over (its thread has ended and the head's CPU is idle:
              every task is queued);
  dispatch    the workers are released at once; until the last result is accepted. Results per
              second = accepted results / this wall time;
  report      last result accepted until the head process exits (workers told "done", the
              report read back from the state database and written).
Columns: lease latency p50/p99 (client side, lease calls that returned work), head CPU (user+sys
from /proc/PID/stat over the dispatch phase, % of one core, and those CPU seconds per accepted
result in microseconds: the figure that depends least on what else loads the machine), peak
RSS (VmHWM), the simulators' own CPU (they share the 2 cores with the head: if they saturate,
the head is not what is measured), lost leases (tasks leased more than once: a lease that
expired or came back), and errors.
Every point checks exactness: the head exits 0, every task was leased once and its result
accepted once, the state database holds one ok row per file with attempts 1, files.csv one row per
file and _SUCCESS exists. A point that fails a check is marked in the table.

Engines: ``--engine`` picks how the head is started and how simulated workers reach it
(`ENGINES`: an `Engine`'s head_command and start_simulators). Only the BaseManager head is here;
a Dask engine (``logcrunch submit --engine dask``, its simulated workers Dask workers returning
the same pre-encoded summaries) is one more `Engine` subclass; the phases, the measurements and
the exactness checks stay the same.
"""

from __future__ import annotations

import argparse
import contextlib
import hmac
import json
import math
import multiprocessing
import os
import platform
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from multiprocessing import connection
from pathlib import Path
from typing import Any

from logcrunch import defaults, wire
from logcrunch.authkey import generate_key, load_key
from logcrunch.channel import (
    TAG_BYTES,
    SessionKeys,
    client_handshake,
)
from logcrunch.scan import scan_file
from logcrunch.validation import check_job
from logcrunch.worker import LEASE_WAIT_SECONDS, _Heartbeat, process_name

FILES_PER_DIR = 200
SAMPLE = (
    "Nov 27 02:00:01 node07 api[4000]: INFO request handled path=/x latency_ms=12\n"
    "Nov 27 02:00:02 node07 api[4000]: WARN slow request latency_ms=734\n"
    "Nov 27 02:00:03 node07 api[4000]: ERROR request failed code=500\n"
)
SAMPLE_LINES, SAMPLE_ERRORS, SAMPLE_WARNINGS = 3, 1, 1
PLACEHOLDER = "/\x00path\x00"  # no real path holds a NUL: safe to split the template on
HEARTBEAT_GAP = _Heartbeat.MIN_GAP
CONNECT_SECONDS = 120.0  # every simulated worker must be connected by then
IDLE_CPU = 0.10  # the head counts as idle below this share of a core ...
IDLE_WINDOW = 0.3  # ... over this long
POINT_TIMEOUT = 600.0


# ----- the tree ------------------------------------------------------------------------------


def generate(root: Path, files: int) -> None:
    """FILES copies of SAMPLE, FILES_PER_DIR per directory (reused when already there)."""
    marker = root / f".generated-{files}"
    if marker.exists():
        return
    shutil.rmtree(root, ignore_errors=True)
    data = SAMPLE.encode()
    for index in range(files):
        directory = root / f"node{index // FILES_PER_DIR:04d}"
        if index % FILES_PER_DIR == 0:
            directory.mkdir(parents=True)
        (directory / f"app{index % FILES_PER_DIR:03d}.log").write_bytes(data)
    marker.touch()


def sample_path(root: Path) -> Path:
    return root / "node0000" / "app000.log"


# ----- the simulated worker's side of the protocol -------------------------------------------


class RawChannel:
    """The client side of channel.SecureConnection, with messages sent as pre-encoded bytes and
    answers read as plain JSON (no dataclasses built): what a simulated worker needs, cheaply."""

    def __init__(self, address: tuple[str, int], key: bytes) -> None:
        sock = socket.create_connection(address, timeout=30.0)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            keys: SessionKeys = client_handshake(sock, key, f"{address[0]}:{address[1]}")
            sock.settimeout(None)
            self._conn = connection.Connection(sock.detach())
        finally:
            sock.close()
        self._send_key, self._recv_key = keys.to_head, keys.to_worker
        self._sent = self._received = 0

    def call(self, payload: bytes) -> Any:
        """Send one request (its wire form) and return the head's answer (``#RETURN`` value)."""
        tag = hmac.digest(self._send_key, self._sent.to_bytes(8, "big") + payload, "sha256")
        self._conn.send_bytes(tag + payload)
        self._sent += 1
        data = self._conn.recv_bytes()
        expected = hmac.digest(self._recv_key, self._received.to_bytes(8, "big") +
                               data[TAG_BYTES:], "sha256")
        if not hmac.compare_digest(data[:TAG_BYTES], expected):
            raise ConnectionError("an answer failed its tag")
        self._received += 1
        kind, value = json.loads(data[TAG_BYTES:])
        if kind != "#RETURN":
            raise RuntimeError(f"the head refused the call: {str(value)[-300:]}")
        return value

    def close(self) -> None:
        self._conn.close()


def request(ident: str | None, method: str, *args: Any) -> bytes:
    """A BaseManager request as a proxy sends it (transport.connect, BaseProxy._callmethod)."""
    return wire.encode((ident, method, args, {}))


def open_proxy(address: tuple[str, int], key: bytes, thread_name: str) -> RawChannel:
    """What transport.connect and a proxy's first call do: one connection to ``create`` the
    broker's proxy, a second one (kept) attached to it with ``accept_connection``."""
    first = RawChannel(address, key)
    try:
        ident, _exposed = first.call(request(None, "create", "broker"))
    finally:
        first.close()
    channel = RawChannel(address, key)
    channel.call(request(None, "accept_connection", thread_name))
    channel.ident = ident
    return channel


class ResultTemplate:
    """A worker's summary of the sample file, encoded once with a placeholder path: the wire form
    of a result for any path is then a join (checked against wire.encode once)."""

    def __init__(self, summary, worker: str) -> None:
        summary.worker = worker
        summary.seconds = 0.000042
        summary.path = PLACEHOLDER
        head, tail = wire.encode(summary).split(json.dumps(PLACEHOLDER).encode())
        self.head, self.tail = head, tail
        self._summary = summary

    def complete(self, ident: str, worker: str, lease_id: str,
                 tasks: list[tuple[int, str]], finished: bool) -> bytes:
        results = b",".join(b"[%d,%s%s%s]" % (task_id, self.head, json.dumps(path).encode(),
                                              self.tail) for task_id, path in tasks)
        return b"".join((b'["', ident.encode(), b'","complete",["', worker.encode(), b'","',
                         lease_id.encode(), b'",[', results, b"],",
                         b"true" if finished else b"false", b"],{}]"))

    def check(self, ident: str, worker: str) -> None:
        """The fast form is byte for byte what a proxy would send."""
        import copy

        summary = copy.copy(self._summary)
        summary.path = "/a/b.log"
        slow = request(ident, "complete", worker, "ab" * 16, [(7, summary)], True)
        fast = self.complete(ident, worker, "ab" * 16, [(7, "/a/b.log")], True)
        assert slow == fast, (slow, fast)


@dataclass
class SimulatorReport:
    """What one simulator process measured (sent to the parent at the end)."""

    workers: int = 0
    lease_seconds: list[float] = field(default_factory=list)
    heartbeat_seconds: list[float] = field(default_factory=list)
    leased: list[int] = field(default_factory=list)  # task ids, once per time leased
    sent: int = 0
    accepted: int = 0
    last_accept: float = 0.0
    first_work: float = math.inf
    errors: Counter = field(default_factory=Counter)
    cpu_seconds: float = 0.0  # during the dispatch phase
    connect_retries: int = 0


class SimulatedWorker:
    """One simulated `logcrunch work` process (a thread): see the module docstring."""

    def __init__(self, address, key, name: str, lease_files: int | None, heartbeats: bool,
                 report: SimulatorReport, lock: threading.Lock) -> None:
        self.address, self.key, self.name = address, key, name
        self.lease_files = lease_files
        self.heartbeats = heartbeats
        self.report, self.lock = report, lock
        self.main: RawChannel | None = None
        self.beat: RawChannel | None = None
        self.template: ResultTemplate | None = None
        self.job_id = ""
        self.latencies: list[float] = []
        self.beats: list[float] = []
        self.leased: list[int] = []
        self.sent = self.accepted = 0
        self.last_accept = 0.0
        self.first_work = math.inf
        self._last_beat = 0.0

    def connect(self, sample: Path, deadline: float) -> None:
        """Both connections, then the job (and the template made with its scan config)."""
        delay = 0.05
        while True:
            try:
                self.main = open_proxy(self.address, self.key, f"MainProcess|{self.name}")
                if self.heartbeats:
                    self.beat = open_proxy(self.address, self.key, f"MainProcess|beat-{self.name}")
                break
            except (OSError, EOFError, TimeoutError) as exc:
                self._error(f"connect: {type(exc).__name__}")
                with self.lock:
                    self.report.connect_retries += 1
                if time.monotonic() + delay > deadline:
                    raise
                time.sleep(delay)  # backoff between attempts, as connect_with_retry does
                delay = min(delay * 2, 2.0)
        job = self._job()
        if job is None:
            raise RuntimeError("the head said the job is over before it started")
        self.job_id = job.job_id
        self.template = ResultTemplate(scan_file(str(sample), job.scan_config, track=True),
                                       self.name)
        self.template.check(self.main.ident, self.name)

    def _job(self):
        answer = self.main.call(request(self.main.ident, "job", self.name))
        if answer is None:
            return None
        return check_job(wire.decode(json.dumps(answer).encode()))

    def run(self) -> None:
        """Lease until the head says "done", then ask for the job (None) as a worker does."""
        try:
            while self._lease_once():
                pass
            if self._job() is not None:
                self._error("job after done was not None")
        except Exception as exc:  # counted; the point's checks then fail
            self._error(f"{type(exc).__name__}: {str(exc)[:80]}")
        finally:
            for channel in (self.main, self.beat):
                if channel is not None:
                    channel.close()
            self._hand_in()

    def _lease_once(self) -> bool:
        started = time.monotonic()
        state, lease_id, tasks = self.main.call(request(
            self.main.ident, "lease", self.name, self.job_id, self.lease_files,
            LEASE_WAIT_SECONDS))
        now = time.monotonic()
        if state == "done":
            return False
        if state != "work":
            return True
        self.latencies.append(now - started)
        self.first_work = min(self.first_work, started)
        picked = [(task["v"][0], task["v"][1]) for task in tasks]
        self.leased.extend(task_id for task_id, _path in picked)
        if self.beat is not None and (not self.beats or now - self._last_beat >= HEARTBEAT_GAP):
            self._last_beat = now
            alive = self.beat.call(request(self.beat.ident, "heartbeat", self.name, lease_id,
                                           picked[0][0], 0))
            self.beats.append(time.monotonic() - now)
            if alive is not True:
                self._error("heartbeat: lease gone")
        batch = defaults.RESULT_BATCH_FILES
        for offset in range(0, len(picked), batch):
            part = picked[offset:offset + batch]
            last = offset + batch >= len(picked)
            accepted = self.main.call(self.template.complete(
                self.main.ident, self.name, lease_id, part, last))
            self.sent += len(part)
            self.accepted += accepted
            if accepted:
                self.last_accept = time.monotonic()
            if accepted != len(part):
                self._error("complete: results not accepted")
        return True

    def _error(self, kind: str) -> None:
        with self.lock:
            self.report.errors[kind] += 1

    def _hand_in(self) -> None:
        with self.lock:
            report = self.report
            report.lease_seconds += self.latencies
            report.heartbeat_seconds += self.beats
            report.leased += self.leased
            report.sent += self.sent
            report.accepted += self.accepted
            report.last_accept = max(report.last_accept, self.last_accept)
            report.first_work = min(report.first_work, self.first_work)


def simulator_main(index: int, threads: int, address, key_path: str, sample: str,
                   lease_files: int | None, heartbeats: bool, ready, go, results) -> None:
    """One simulator process: ``threads`` simulated workers; says ready once all are connected,
    waits for ``go``, and sends its SimulatorReport to ``results``."""
    key = load_key(key_path)
    report = SimulatorReport(workers=threads)
    lock = threading.Lock()
    deadline = time.monotonic() + CONNECT_SECONDS
    workers = [SimulatedWorker(address, key, process_name("sim", os.getpid(), number), lease_files,
                               heartbeats, report, lock) for number in range(threads)]
    connected = []

    def connect(worker: SimulatedWorker) -> None:
        try:
            worker.connect(Path(sample), deadline)
            with lock:
                connected.append(worker)
        except Exception as exc:
            worker._error(f"connect failed: {type(exc).__name__}: {str(exc)[:80]}")

    pool = [threading.Thread(target=connect, args=(w,)) for w in workers]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(CONNECT_SECONDS + 10)
    ready.put((index, len(connected)))
    if not go.wait(POINT_TIMEOUT):
        results.put(report)
        return
    cpu_before = _own_cpu()
    running = [threading.Thread(target=w.run) for w in connected]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join(POINT_TIMEOUT)
    report.cpu_seconds = _own_cpu() - cpu_before
    results.put(report)


def _own_cpu() -> float:
    times = os.times()
    return times.user + times.system


# ----- the head process ----------------------------------------------------------------------


def proc_cpu_seconds(pid: int) -> float:
    """utime + stime of a process from /proc/PID/stat, in seconds."""
    with open(f"/proc/{pid}/stat") as fp:
        fields = fp.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_status(pid: int) -> dict[str, int]:
    """VmHWM, VmRSS (KiB) and Threads of a process from /proc/PID/status."""
    out = {}
    with open(f"/proc/{pid}/status") as fp:
        for line in fp:
            name, _sep, value = line.partition(":")
            if name in ("VmHWM", "VmRSS", "Threads"):
                out[name] = int(value.split()[0])
    return out


class HeadMonitor(threading.Thread):
    """Samples the head's CPU, peak RSS and thread count until it exits."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_rss_kib = 0
        self.peak_threads = 0
        self.threads = 1 << 30  # the latest count
        self.cpu = 0.0
        self.samples: list[tuple[float, float, int]] = []  # (monotonic, cpu seconds, RSS KiB)
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            self.sample()
            self.stopped.wait(0.05)

    def sample(self) -> None:
        try:
            cpu = proc_cpu_seconds(self.pid)
            status = proc_status(self.pid)
        except (OSError, ValueError, IndexError):
            return  # gone (or a zombie without status lines)
        self.cpu = cpu
        self.samples.append((time.monotonic(), cpu, status.get("VmRSS", 0)))
        self.peak_rss_kib = max(self.peak_rss_kib, status.get("VmHWM", 0))
        self.threads = status.get("Threads", self.threads)
        self.peak_threads = max(self.peak_threads, self.threads)

    def at(self, when: float) -> tuple[float, int]:
        """The head's CPU seconds and RSS (KiB) at ``when`` (the nearest sample at or before)."""
        best = (0.0, 0)
        for stamp, cpu, rss in self.samples:
            if stamp > when:
                break
            best = (cpu, rss)
        return best

    def idle_for(self, window: float) -> bool:
        recent = [(t, c) for t, c, _rss in self.samples if t >= self.samples[-1][0] - window] \
            if self.samples else []
        if len(recent) < 2 or recent[-1][0] - recent[0][0] < window * 0.8:
            return False
        return (recent[-1][1] - recent[0][1]) / (recent[-1][0] - recent[0][0]) < IDLE_CPU


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Engine:
    """How a point's head is started and how its simulated workers reach it. Another engine
    (``--engine dask``: a `logcrunch submit --engine dask` head, Dask workers returning the same
    pre-encoded results) is one more subclass registered in ENGINES; run_point and the checks
    (state database, files.csv) stay as they are."""

    name = ""

    def head_command(self, root: Path, work: Path, port: int, key_path: Path) -> list[str]:
        raise NotImplementedError

    def start_simulators(self, ctx, plan: list[int], port: int, key_path: Path, root: Path,
                         args, ready, go, results) -> list[multiprocessing.process.BaseProcess]:
        """Start one simulator process per entry of ``plan`` (its worker count); each puts
        (index, connected workers) on ``ready``, waits for ``go``, then puts its
        SimulatorReport on ``results``."""
        raise NotImplementedError


class BaseManagerEngine(Engine):
    name = "basemanager"

    def head_command(self, root: Path, work: Path, port: int, key_path: Path) -> list[str]:
        return [sys.executable, "-m", "logcrunch", "submit", str(root), "--out",
                str(work / "out"), "--state", str(work / "state.db"), "--bind",
                f"127.0.0.1:{port}", "--authkey-file", str(key_path), "-q", "--no-html"]

    def start_simulators(self, ctx, plan, port, key_path, root, args, ready, go, results):
        sims = [ctx.Process(target=simulator_main, daemon=True, args=(
            index, count, ("127.0.0.1", port), str(key_path), str(sample_path(root)),
            args.lease_files, not args.no_heartbeats, ready, go, results))
            for index, count in enumerate(plan)]
        for sim in sims:
            sim.start()
        return sims


ENGINES: dict[str, Engine] = {"basemanager": BaseManagerEngine()}


class DaskCluster:
    """A local `dask scheduler` and ``processes`` x ``threads`` Dask worker threads (nannies).

    The Dask path's workers are not simulated: each Dask task is logcrunch's own `scan_lease`,
    which forks a child that reads its batch of (three-line) files, so the workers' CPU competes
    with the head's on this machine: the table's "sim CPU" column says how much."""

    def __init__(self, processes: int, threads: int, base: Path) -> None:
        port = free_port()
        self.address = f"tcp://127.0.0.1:{port}"
        self.procs = [self._dask(base / "scheduler.log", "scheduler", "--host", "127.0.0.1",
                                 "--port", str(port), "--no-dashboard")]
        self._wait_for(base / "scheduler.log", "Scheduler at:", 60)
        self.procs.append(self._dask(base / "workers.log", "worker", self.address, "--nworkers",
                                     str(processes), "--nthreads", str(threads), "--host",
                                     "127.0.0.1", "--no-dashboard", "--memory-limit", "0"))
        self._wait_for(base / "scheduler.log", "Register worker", 120, count=processes)

    @staticmethod
    def _dask(log: Path, *args: str) -> subprocess.Popen:
        with open(log, "w") as fp:
            return subprocess.Popen([sys.executable, "-m", "dask", *args], stdout=fp,
                                    stderr=subprocess.STDOUT, start_new_session=True)

    def _wait_for(self, log: Path, text: str, timeout: float, count: int = 1) -> None:
        deadline = time.monotonic() + timeout
        while log.read_text(errors="replace").count(text) < count:
            if time.monotonic() > deadline or any(p.poll() is not None for p in self.procs):
                raise RuntimeError(f"the Dask cluster did not start ({text!r}); see {log}")
            time.sleep(0.05)

    def cpu_seconds(self) -> float:
        """CPU of every process of the cluster but the scheduler (workers, nannies, and the
        children scan_lease forks: those that have exited count in their parent's cutime)."""
        total = 0.0
        for pid in _descendants(self.procs[1].pid):
            with contextlib.suppress(OSError, IndexError, ValueError):
                with open(f"/proc/{pid}/stat") as fp:
                    fields = fp.read().rpartition(")")[2].split()
                total += sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")
        return total

    def close(self) -> None:
        for proc in self.procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        with contextlib.suppress(OSError):
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as fp:
                    todo += [int(child) for child in fp.read().split()]
    return out


def stored_rows(state: Path) -> int:
    """Results the head has committed so far (0 before its database exists)."""
    try:
        db = sqlite3.connect(f"file:{state}?mode=ro", uri=True, timeout=1)
    except sqlite3.Error:
        return 0
    try:
        return db.execute("SELECT count(*) FROM results").fetchone()[0]
    except sqlite3.Error:
        return 0
    finally:
        db.close()


def run_dask_point(args, root: Path, base: Path, workers: int) -> Point:
    """`logcrunch submit --engine dask` against a local cluster of ``workers`` Dask worker
    threads. The dispatch phase runs from the first result committed to the last (the state
    database polled every 20 ms): the walk, the import of Dask and the report are outside it.
    Lost leases: files recorded on a later attempt than the first (check_outputs)."""
    threads = min(workers, args.threads_per_process)
    processes = -(-workers // threads)
    point = Point(workers, processes, threads, args.files)
    work = Path(tempfile.mkdtemp(prefix=f"dask-point-{workers}-", dir=base))
    cluster = DaskCluster(processes, threads, work)
    try:
        state = work / "state.db"
        started = time.monotonic()
        head = subprocess.Popen([sys.executable, "-m", "logcrunch", "submit", str(root), "--out",
                                 str(work / "out"), "--state", str(state), "--engine", "dask",
                                 "--scheduler", cluster.address, "-q", "--no-html"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        monitor = HeadMonitor(head.pid)
        monitor.start()
        first = last = 0.0
        cpu_first = 0.0
        deadline = started + POINT_TIMEOUT
        while head.poll() is None and time.monotonic() < deadline:
            rows = stored_rows(state)
            now = time.monotonic()
            if rows and not first:
                first, cpu_first = now, cluster.cpu_seconds()
                point.load = os.getloadavg()[0]
            if rows >= args.files and not last:
                last = now
                point.sim_cpu_percent = 100 * (cluster.cpu_seconds() - cpu_first) / \
                    max(1e-9, last - first)
            time.sleep(0.02)
        stderr, ended = await_head(head, monitor, max(1.0, deadline - time.monotonic()), point)
        if not last:
            point.problems.append(f"only {stored_rows(state)} of {args.files} results stored")
            last = ended
        point.start_walk_seconds = first - started
        point.dispatch_seconds = max(1e-9, last - first)
        point.report_seconds = ended - last
        point.results_per_second = args.files / point.dispatch_seconds
        point.head_cpu_percent = 100 * (monitor.at(last)[0] - monitor.at(first)[0]) / \
            point.dispatch_seconds
        point.head_rss_mib = monitor.peak_rss_kib / 1024
        point.head_rss_dispatch_mib = monitor.at(last)[1] / 1024
        point.head_threads = monitor.peak_threads
        if head.returncode != 0:
            point.problems.append(f"head exit code {head.returncode}: {stderr.strip()[-300:]}")
        point.problems += check_outputs(work, root, args.files)
        point.lost_leases = 0 if not point.problems else -1
    finally:
        cluster.close()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return point


# ----- one point -----------------------------------------------------------------------------


@dataclass
class Point:
    workers: int
    processes: int
    threads: int
    files: int
    results_per_second: float = 0.0
    lease_p50_ms: float = 0.0
    lease_p99_ms: float = 0.0
    heartbeat_p99_ms: float = 0.0
    head_cpu_percent: float = 0.0
    head_cpu_us_per_result: float = 0.0  # head CPU seconds over the dispatch phase / results
    sim_cpu_percent: float = 0.0
    head_rss_mib: float = 0.0
    head_rss_dispatch_mib: float = 0.0
    load: float = 0.0  # load average (1 min) when the workers were released
    head_threads: int = 0
    lost_leases: int = 0
    errors: Counter = field(default_factory=Counter)
    start_walk_seconds: float = 0.0
    dispatch_seconds: float = 0.0
    report_seconds: float = 0.0
    leases: int = 0
    problems: list[str] = field(default_factory=list)


def run_point(args, engine: Engine, root: Path, base: Path, workers: int) -> Point:
    threads = min(workers, args.threads_per_process)
    processes = -(-workers // threads)
    point = Point(workers, processes, threads, args.files)
    work = Path(tempfile.mkdtemp(prefix=f"point-{workers}-", dir=base))
    key_path = base / "authkey"
    port = free_port()
    command = engine.head_command(root, work, port, key_path)
    if args.head_wrapper:  # `python -m logcrunch ARGS` as `python SCRIPT ARGS`
        command[1:3] = [args.head_wrapper]
    if args.profile_head:
        command = profiled(command, Path(args.profile_head) / f"head-{workers}")
    ctx = multiprocessing.get_context("fork")
    ready, results, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    started = time.monotonic()
    head = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    head_pid = profiled_pid(head) if args.profile_head else head.pid
    wait_for_port(port, head)
    # Forked before this process starts any thread of its own (the monitor starts after).
    plan = [min(threads, workers - index * threads) for index in range(processes)]
    sims = engine.start_simulators(ctx, plan, port, key_path, root, args, ready, go, results)
    monitor = HeadMonitor(head_pid)
    monitor.start()
    connected = sum(ready.get(timeout=CONNECT_SECONDS + 30)[1] for _ in sims)
    if connected != workers:
        point.problems.append(f"only {connected} of {workers} workers connected")
    # The walk is over when its thread has ended (the head then runs its main thread, the gate
    # and a thread per connection) and the head is idle (every task queued).
    settled = 2 + connected * (1 if args.no_heartbeats else 2)
    idle_deadline = time.monotonic() + 120
    while not (monitor.threads <= settled and monitor.idle_for(IDLE_WINDOW)):
        if time.monotonic() > idle_deadline:
            point.problems.append("the walk's end was not seen (head threads or CPU)")
            break
        time.sleep(0.05)
    released = time.monotonic()
    point.start_walk_seconds = released - started
    go.set()
    point.load = os.getloadavg()[0]
    reports: list[SimulatorReport] = [results.get(timeout=POINT_TIMEOUT) for _ in sims]
    stderr, ended = await_head(head, monitor, POINT_TIMEOUT, point)
    for sim in sims:
        sim.join(timeout=10)
    summarise(point, reports, monitor, released, ended)
    if head.returncode != 0:
        point.problems.append(f"head exit code {head.returncode}: {stderr.strip()[-300:]}")
    warnings = [line for line in stderr.splitlines() if " WARNING " in line or " ERROR " in line]
    if warnings:
        point.errors["head warnings"] += len(warnings)
        (work / "head-stderr.txt").write_text(stderr)
        print(f"  head warnings ({len(warnings)}), first: {warnings[0][:200]}", file=sys.stderr)
    point.problems += check_outputs(work, root, args.files)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return point


def await_head(head: subprocess.Popen, monitor: HeadMonitor, timeout: float,
               point: Point) -> tuple[str, float]:
    """Wait up to ``timeout`` for the head to exit (SIGKILL past it, a problem of the point),
    then stop its monitor; returns (its stderr, when it ended)."""
    try:
        _stdout, stderr = head.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        head.kill()
        _stdout, stderr = head.communicate()
        point.problems.append("the head did not exit")
    ended = time.monotonic()
    monitor.stopped.set()
    monitor.join()
    return stderr, ended


def summarise(point: Point, reports: list[SimulatorReport], monitor: HeadMonitor,
              released: float, ended: float) -> None:
    latencies = sorted(s for r in reports for s in r.lease_seconds)
    beats = sorted(s for r in reports for s in r.heartbeat_seconds)
    leased = Counter(task_id for r in reports for task_id in r.leased)
    accepted = sum(r.accepted for r in reports)
    last_accept = max((r.last_accept for r in reports), default=released)
    point.dispatch_seconds = max(1e-9, last_accept - released)
    point.report_seconds = ended - last_accept
    point.results_per_second = accepted / point.dispatch_seconds
    point.leases = len(latencies)
    point.lease_p50_ms = quantile(latencies, 0.5) * 1e3
    point.lease_p99_ms = quantile(latencies, 0.99) * 1e3
    point.heartbeat_p99_ms = quantile(beats, 0.99) * 1e3
    head_cpu = monitor.at(last_accept)[0] - monitor.at(released)[0]
    point.head_rss_dispatch_mib = monitor.at(last_accept)[1] / 1024
    point.head_cpu_percent = 100 * head_cpu / point.dispatch_seconds
    point.head_cpu_us_per_result = 1e6 * head_cpu / max(1, accepted)
    point.sim_cpu_percent = 100 * sum(r.cpu_seconds for r in reports) / point.dispatch_seconds
    point.head_rss_mib = monitor.peak_rss_kib / 1024
    point.head_threads = monitor.peak_threads
    point.lost_leases = sum(1 for count in leased.values() if count > 1)
    for report in reports:
        point.errors.update(report.errors)
        if report.connect_retries:
            point.errors["connect retries"] += report.connect_retries
    if len(leased) != point.files:
        point.problems.append(f"{len(leased)} distinct tasks leased, not {point.files}")
    if accepted != point.files or sum(r.sent for r in reports) != accepted:
        point.problems.append(f"{accepted} results accepted of {sum(r.sent for r in reports)} "
                              f"sent, for {point.files} files")


def quantile(values: list[float], q: float) -> float:
    """The q-quantile of sorted ``values`` (nearest rank); 0 for none."""
    if not values:
        return 0.0
    return values[min(len(values) - 1, max(0, math.ceil(q * len(values)) - 1))]


def check_outputs(work: Path, root: Path, files: int) -> list[str]:
    """The run is exact and complete: one ok row per file, each accepted on its first attempt,
    the report has every file and the totals of FILES copies of SAMPLE."""
    problems = []
    db = sqlite3.connect(f"file:{work / 'state.db'}?mode=ro", uri=True)
    try:
        rows, paths, ok, first_attempt = db.execute(
            "SELECT count(*), count(DISTINCT path), sum(status = 'ok'), "
            "sum(json_extract(summary, '$.attempts') = 1) FROM results").fetchone()
    finally:
        db.close()
    if not rows == paths == ok == first_attempt == files:
        problems.append(f"state: {rows} rows, {paths} paths, {ok} ok, {first_attempt} on the "
                        f"first attempt, for {files} files")
    out = work / "out"
    if not (out / "_SUCCESS").exists():
        problems.append("no _SUCCESS marker")
    try:
        with open(out / "files.csv") as fp:
            header = fp.readline().rstrip("\n").split(",")
            lines_column = header.index("lines")
            counted = [line.split(",") for line in fp]
        if len(counted) != files or sum(int(row[lines_column]) for row in counted) != \
                files * SAMPLE_LINES:
            problems.append(f"files.csv: {len(counted)} rows for {files} files")
    except (OSError, ValueError) as exc:
        problems.append(f"files.csv: {exc}")
    return problems


def wait_for_port(port: int, head: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if head.poll() is not None:
            raise SystemExit(f"the head exited early: {head.stderr.read()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.02)
    raise SystemExit(f"the head did not listen on port {port} within {timeout:.0f} s")


# ----- profiling the head --------------------------------------------------------------------


def profiled(command: list[str], prefix: Path) -> list[str]:
    """The head's command under py-spy (every thread, GIL holders only: where its one core
    goes), writing PREFIX.txt (collapsed stacks) for `py-spy`'s raw format."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    prefix.parent.mkdir(parents=True, exist_ok=True)
    return [spy, "record", "--gil", "--rate", "200", "--format", "raw", "--nonblocking",
            "-o", f"{prefix}.txt", "--", *command]


def profiled_pid(spy: subprocess.Popen, timeout: float = 10.0) -> int:
    """The head's pid: py-spy's child."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{spy.pid}/task/{spy.pid}/children") as fp:
                children = fp.read().split()
            if children:
                return int(children[0])
        except OSError:
            pass
        time.sleep(0.01)
    raise SystemExit("py-spy did not start the head")


# ----- the table -----------------------------------------------------------------------------


def machine_line(load: tuple[float, float, float]) -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{model}, os.cpu_count()={os.cpu_count()}, Linux {platform.release()}, Python "
            f"{platform.python_version()}, load average before the run {load[0]:.2f}")


def table(points: list[Point], args, load: tuple[float, float, float]) -> str:
    lease_files = args.lease_files or f"{defaults.LEASE_MAX_FILES} (a real worker's)"
    lines = [
        f"{args.files} files x {SAMPLE_LINES} lines, engine {args.engine}, lease max files "
        f"{lease_files}, heartbeats {'off' if args.no_heartbeats else 'on'}",
        machine_line(load),
        "",
        "| workers (K procs x M threads) | results/s | lease p50 ms | lease p99 ms | head CPU % "
        "| head CPU us/result | head RSS MiB | lost leases | errors | RSS at dispatch end MiB "
        "| head threads | sim CPU % | leases | start+walk s | dispatch s | report s | load | exact |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for p in points:
        errors = ", ".join(f"{kind}: {count}" for kind, count in sorted(p.errors.items())) or "0"
        exact = "yes" if not p.problems else "NO: " + "; ".join(p.problems)
        lines.append(
            f"| {p.workers} ({p.processes} x {p.threads}) | {p.results_per_second:,.0f} | "
            f"{p.lease_p50_ms:.2f} | {p.lease_p99_ms:.2f} | {p.head_cpu_percent:.0f} | "
            f"{p.head_cpu_us_per_result:.0f} | {p.head_rss_mib:.0f} | {p.lost_leases} | {errors} | "
            f"{p.head_rss_dispatch_mib:.0f} | "
            f"{p.head_threads} | {p.sim_cpu_percent:.0f} | {p.leases} | "
            f"{p.start_walk_seconds:.2f} | {p.dispatch_seconds:.2f} | {p.report_seconds:.2f} | "
            f"{p.load:.1f} | {exact} |")
    return "\n".join(lines)


# ----- driver --------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", default="10,100,1000",
                        help="comma-separated simulated worker counts (default 10,100,1000)")
    parser.add_argument("--files", type=int, default=50_000, help="tiny files in the tree")
    parser.add_argument("--duration", type=float, default=0.0, metavar="SECONDS",
                        help="instead of --files: size the tree for about this long a dispatch "
                             "phase at --expect results/s")
    parser.add_argument("--expect", type=float, default=5000.0, help="results/s for --duration")
    parser.add_argument("--lease-files", type=int, default=None,
                        help="a simulated worker's max_files per lease (default: none, as a real "
                             f"worker: the head's {defaults.LEASE_MAX_FILES})")
    parser.add_argument("--threads-per-process", type=int, default=50,
                        help="simulated workers per simulator OS process (M of K x M)")
    parser.add_argument("--no-heartbeats", action="store_true",
                        help="no heartbeat connection and calls (a real worker has both)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each point")
    parser.add_argument("--engine", default="basemanager", choices=[*ENGINES, "dask"],
                        help="basemanager: simulated workers against the head's own server; "
                             "dask: `submit --engine dask` against a local Dask cluster of "
                             "real Dask workers (needs logcrunch[dask])")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: 600 files, workers 2,20 (unless given)")
    parser.add_argument("--dir", help="where the tree and the runs go (default: a new dir in /tmp)")
    parser.add_argument("--out", help="also write the table to this markdown file (default: "
                        "benchmarks/head_capacity.md, none with --quick)")
    parser.add_argument("--profile-head", metavar="DIR",
                        help="run the head under py-spy record --gil, collapsed stacks in DIR")
    parser.add_argument("--head-wrapper", metavar="SCRIPT",
                        help="run the head as `python SCRIPT submit ...` (a script that patches "
                             "or instruments logcrunch, then calls logcrunch.cli.cli)")
    parser.add_argument("--keep", action="store_true", help="keep each point's state and report")
    args = parser.parse_args(argv)
    if args.quick:
        if args.workers == parser.get_default("workers"):
            args.workers = "2,20"
        if args.files == parser.get_default("files"):
            args.files = 600
    if args.out is None and not args.quick:
        args.out = str(Path(__file__).resolve().parent / "head_capacity.md")
    if args.duration:
        args.files = max(100, int(args.duration * args.expect))
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    load = os.getloadavg()
    worker_counts = [int(count) for count in args.workers.split(",")]
    base = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="logcrunch-capacity-"))
    base.mkdir(parents=True, exist_ok=True)
    try:
        root = base / "tree"
        generate(root, args.files)
        key_path = base / "authkey"
        if not key_path.exists():
            generate_key(key_path)
        points = []
        for workers in worker_counts:
            for attempt in range(args.repeat):
                if args.engine == "dask":
                    point = run_dask_point(args, root, base, workers)
                else:
                    point = run_point(args, ENGINES[args.engine], root, base, workers)
                print(f"  {workers} workers, run {attempt + 1}: {point.results_per_second:,.0f} "
                      f"results/s, {point.dispatch_seconds:.2f} s, head CPU "
                      f"{point.head_cpu_percent:.0f} %, {point.head_cpu_us_per_result:.0f} "
                      f"us/result, load {point.load:.1f}", file=sys.stderr, flush=True)
                points.append(point)
        text = table(points, args, load)
        print(text)
        if args.out:
            Path(args.out).write_text(text + "\n")
        if any(p.problems or p.lost_leases for p in points):
            sys.exit(1)
    finally:
        if not args.dir:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
