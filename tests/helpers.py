"""Shared helpers for tests that run real logcrunch processes."""

from __future__ import annotations

import contextlib
import csv
import gzip
import os
import queue
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 120  # every wait has a timeout


@dataclass
class Truth:
    """What a generated tree contains, known independently of the scanner."""

    files: int = 0
    lines: int = 0
    error_lines: int = 0
    warn_lines: int = 0
    metric_count: dict[str, int] = field(default_factory=dict)
    metric_sum: dict[str, int] = field(default_factory=dict)
    per_file_lines: dict[str, int] = field(default_factory=dict)


LEVELS = [("INFO", None), ("DEBUG", None), ("WARN", "warn"), ("ERROR", "error"),
          ("WARNING", "warn"), ("FATAL", "error")]


def make_tree(root: Path, hosts: int = 3, files_per_host: int = 4, lines_per_file: int = 200,
              seed: int = 7, gzip_every: int = 3) -> Truth:
    """Write syslog-style app logs with logfmt metrics; returns the true totals."""
    rnd = random.Random(seed)
    truth = Truth()
    for host in range(hosts):
        for index in range(files_per_host):
            lines = []
            file_lines = 0
            for number in range(lines_per_file):
                level, kind = rnd.choice(LEVELS)
                latency = rnd.randint(0, 5000)
                size = rnd.randint(-100, 10**6)
                lines.append(f"Nov 27 02:{number % 60:02d}:01 node{host:02d} api[{4000 + index}]: "
                             f"{level} request handled path=/x latency_ms={latency} bytes={size}")
                file_lines += 1
                truth.error_lines += kind == "error"
                truth.warn_lines += kind == "warn"
                for name, value in (("latency_ms", latency), ("bytes", size)):
                    truth.metric_count[name] = truth.metric_count.get(name, 0) + 1
                    truth.metric_sum[name] = truth.metric_sum.get(name, 0) + value
                if number % 50 == 7:  # a stack trace: lines without a level
                    lines.append("java.lang.IllegalStateException: handler failed")
                    lines.append("\tat com.example.Api.handle(Api.java:42)")
                    file_lines += 2
            text = "\n".join(lines) + "\n"
            directory = root / f"node{host:02d}" / "api"
            directory.mkdir(parents=True, exist_ok=True)
            if gzip_every and index % gzip_every == gzip_every - 1:
                path = directory / f"app.log.{index}.gz"
                path.write_bytes(gzip.compress(text.encode(), mtime=0))
            else:
                path = directory / f"app{index}.log"
                path.write_text(text)
            truth.files += 1
            truth.lines += file_lines
            truth.per_file_lines[str(path)] = file_lines
    return truth


def logcrunch_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "logcrunch", *args]


def run_logcrunch(*args: str, env: dict | None = None, cwd: Path | None = None,
                  timeout: float = TIMEOUT) -> subprocess.CompletedProcess:
    return subprocess.run(logcrunch_cmd(*args), capture_output=True, text=True, env=child_env(env),
                          cwd=cwd, timeout=timeout)


def child_env(extra: dict | None = None) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("LOGCRUNCH_FAULTS", None)
    env.update(extra or {})
    return env


class Proc:
    """A background logcrunch process whose stderr lines can be awaited."""

    def __init__(self, *args: str, env: dict | None = None, prefix: list[str] | None = None):
        self.popen = subprocess.Popen((prefix or []) + logcrunch_cmd(*args),
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                      env=child_env(env), start_new_session=True)
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        for line in self.popen.stdout:
            self._queue.put(line)
        self._queue.put(None)

    def wait_for(self, pattern: str, timeout: float = TIMEOUT) -> re.Match:
        """Wait until a line of output matches ``pattern``; returns the match."""
        regex = re.compile(pattern)
        for line in self.lines:
            if (match := regex.search(line)):
                return match
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no line matching {pattern!r} within {timeout} s; "
                                     f"output so far:\n{''.join(self.lines)}")
            try:
                line = self._queue.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError(f"process ended before {pattern!r}; output:\n"
                                     f"{''.join(self.lines)}")
            self.lines.append(line)
            if (match := regex.search(line)):
                return match

    def wait(self, timeout: float = TIMEOUT) -> int:
        try:
            code = self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            self.wait(timeout=10)
            raise AssertionError(f"{self.popen.args[3:5]} still running after {timeout} s; "
                                 f"output:\n{self.output}") from None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # drain the pump
            try:
                line = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                break
            self.lines.append(line)
        return code

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def kill(self) -> None:
        if self.popen.poll() is None:
            try:
                os.killpg(self.popen.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.popen.wait(timeout=30)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fp:
        return list(csv.DictReader(fp))


def comparable(report_dir: Path) -> dict[str, list[dict]]:
    """The reports minus the columns that legitimately differ between runs."""
    out = {}
    for name in ("files.csv", "metrics.csv", "summary.csv", "templates.csv", "timeline.csv"):
        rows = read_csv(report_dir / name)
        for row in rows:
            row.pop("worker", None)
            row.pop("seconds", None)
            row.pop("attempts", None)
        out[name] = rows
    return out


def assert_matches_truth(report_dir: Path, truth: Truth) -> None:
    summary = read_csv(report_dir / "summary.csv")[0]
    assert summary["group"] == "*"
    assert int(summary["files"]) == truth.files
    assert int(summary["files_ok"]) == truth.files
    assert int(summary["lines"]) == truth.lines
    assert int(summary["error_lines"]) == truth.error_lines
    assert int(summary["warn_lines"]) == truth.warn_lines
    overall = {row["metric"]: row for row in read_csv(report_dir / "metrics.csv")
               if row["path"] == "*"}
    for name, count in truth.metric_count.items():
        assert int(overall[name]["count"]) == count
        assert int(overall[name]["sum"]) == truth.metric_sum[name]


def wait_until(predicate, what: str, timeout: float = TIMEOUT):
    """Poll ``predicate`` until it returns something true (returned), or fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what} within {timeout} s")
        time.sleep(0.01)  # polling a condition, with a deadline


def wait_for_files(directory: Path, prefix: str, count: int = 1,
                   timeout: float = TIMEOUT) -> list[Path]:
    """Wait for ``count`` marker files (e.g. written by the `hold` fault) to appear."""

    def found() -> list[Path]:
        names = sorted(p for p in directory.iterdir()
                       if p.name.startswith(prefix) and not p.name.endswith(".tmp"))
        return names if len(names) >= count else []

    return wait_until(found, f"{count} {prefix}* in {directory}", timeout)


def wait_for_file(directory: Path, prefix: str, timeout: float = TIMEOUT) -> Path:
    return wait_for_files(directory, prefix, 1, timeout)[0]


def write_bad_key(path: Path, problem: str) -> str:
    """Write a key file that must be refused ("short" or "world-readable"); returns the advice
    the refusal must give."""
    if problem == "short":
        path.write_text("short\n")
        os.chmod(path, 0o600)
        return "at least 32"
    make_key(path)
    os.chmod(path, 0o644)
    return f"chmod 600 {path}"


def make_key(path: Path) -> Path:
    result = run_logcrunch("keygen", str(path))
    assert result.returncode == 0, result.stderr
    return path


def expect_exits(head: Proc, head_code: int, *nodes: Proc, head_timeout: float = TIMEOUT,
                 node_timeout: float = TIMEOUT) -> None:
    """Wait for the head to exit with ``head_code`` and every node with 0; kill all regardless."""
    try:
        assert head.wait(timeout=head_timeout) == head_code, head.output
        for node in nodes:
            assert node.wait(timeout=node_timeout) == 0, node.output
    finally:
        for proc in (*nodes, head):
            proc.kill()


def raise_descriptor_limit() -> None:
    """Raise this process's soft limit on open files to the hard limit (for floods)."""
    import resource

    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class TrickleFlood:
    """``count`` TCP connections to a head on loopback that each send one more byte of a
    plausible handshake answer every ``interval`` seconds and never finish it.

    With ``sustain`` each connection the head closes is opened again at once, so ``count`` are
    trickling at all times; without it the flood ends as the head closes them. ``closed`` counts
    the closes seen (EOF or reset), ``opened`` the connections made. One thread drives them all.
    """

    def __init__(self, port: int, count: int, interval: float = 1.0, sustain: bool = True):
        import selectors
        import struct

        from logcrunch import channel

        length = len(channel.CLIENT_MARK) + channel.CLIENT_NONCE_BYTES + channel.TAG_BYTES
        self._answer_start = struct.pack("!i", length) + channel.CLIENT_MARK
        self._address = ("127.0.0.1", port)
        self._interval = interval
        self._sustain = sustain
        self._selector = selectors.DefaultSelector()
        self._sent: dict[socket.socket, int] = {}
        self._stop = threading.Event()
        self.opened = self.closed = self.refused = 0
        for _ in range(count):
            self._open()
        self._thread = threading.Thread(target=self._run, daemon=True, name="trickle-flood")
        self._thread.start()

    def _open(self) -> None:
        import selectors

        try:
            sock = socket.create_connection(self._address, timeout=10)
        except OSError:  # the head is gone
            self.refused += 1
            return
        sock.setblocking(False)
        self._sent[sock] = 0
        self._selector.register(sock, selectors.EVENT_READ)
        self.opened += 1

    def _lost(self, sock: socket.socket) -> None:
        self.closed += 1
        self._selector.unregister(sock)
        del self._sent[sock]
        sock.close()
        if self._sustain and not self._stop.is_set():
            self._open()

    def _run(self) -> None:
        next_byte = time.monotonic()
        while not self._stop.is_set():
            for key, _events in self._selector.select(max(0.0, next_byte - time.monotonic())):
                try:
                    if key.fileobj.recv(4096):
                        continue  # the head's challenge: read, never answered
                except BlockingIOError:
                    continue
                except OSError:
                    pass
                self._lost(key.fileobj)
            if time.monotonic() >= next_byte:
                next_byte += self._interval
                for sock, sent in list(self._sent.items()):
                    try:
                        sock.send(self._answer_start[sent:sent + 1] or b"\x00")
                        self._sent[sock] = sent + 1
                    except BlockingIOError:
                        pass
                    except OSError:
                        self._lost(sock)

    @property
    def open_now(self) -> int:
        return len(self._sent)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=TIMEOUT)
        for sock in list(self._sent):
            sock.close()
        self._sent.clear()
        self._selector.close()


@contextlib.contextmanager
def scan_path_as(name: str):
    """Scan through the C fast path ("c") or the pure-Python one ("python") while inside; skips
    the test when "c" is asked for and the extension is not built."""
    import pytest

    from logcrunch import scan

    saved = scan._native
    if name == "python":
        scan._native = None
    elif saved is None:
        pytest.skip("logcrunch._fastscan is not built (see tests/test_speed_paths.py)")
    try:
        yield name
    finally:
        scan._native = saved


def closed_by_peer(sock: socket.socket, timeout: float) -> float | None:
    """Read ``sock`` until the peer closes it (EOF or a reset): the seconds that took, or None if
    it was still open after ``timeout``."""
    started = time.monotonic()
    sock.settimeout(timeout)
    try:
        while sock.recv(4096):
            pass
    except ConnectionResetError:
        pass
    except TimeoutError:
        return None
    return time.monotonic() - started


# --- generated logfmt lines (the C scanner's and the pure-Python scanner's number tests) -------

# Keys that are prefixes of each other (the cap compares names), one too long to be kept, and a
# text key (msg=); values on both sides of the kept range (41 digits, exponents past 1e308 and
# below 1e-320) and the punctuation that may end a value (target=38, rate=200).
LOGFMT_KEY_FRAGMENTS = [b"a", b"latency_ms", b"x.y-z", b"_k", b"9", b"", b"a=b", b"ratio", b"A",
                        b"ab", b"abc", b"abd", b"b", b"k" * 201, b"msg"]
LOGFMT_VALUE_FRAGMENTS = [
    b"0", b"1", b"7", b"12", b"999999999", b"-", b"+", b".", b"e", b"E", b"3", b"ms",
    b"123456789012345678", b"00", b"=", b"/x", b"5", b"1" * 41, b"e308", b"e309", b"e-320",
    b"e-321", b"1.7", b"1.8", b"0" * 45, b",", b";", b",,", b'"', b"e99999999999999999999",
]  # fmt: skip
LOGFMT_SEPARATORS = [b" ", b"\t", b"  ", b"\r ", b"\x0b", b"\x1c", b", "]


def _logfmt_lines(draw):
    from hypothesis import strategies as st

    tokens = []
    for _ in range(draw(st.integers(0, 6))):
        key = draw(st.sampled_from(LOGFMT_KEY_FRAGMENTS))
        value = b"".join(draw(st.lists(st.sampled_from(LOGFMT_VALUE_FRAGMENTS), max_size=5)))
        tokens.append(key + b"=" + value)
        tokens.append(draw(st.sampled_from(LOGFMT_SEPARATORS)))
    prefix = draw(st.sampled_from([b"", b"INFO ", b"WARN x ", b"\tat ", b"ERROR\x1c",
                                   b"Nov 27 02:00:01 h a[1]: ERROR "]))
    return prefix + b"".join(tokens)


def logfmt_lines():
    """A hypothesis strategy of logfmt-ish lines (no newline)."""
    from hypothesis import strategies as st

    return st.composite(_logfmt_lines)()
