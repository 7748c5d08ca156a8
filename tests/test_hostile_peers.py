"""Hostile peers against real `logcrunch submit` / `logcrunch work` processes over loopback TCP.

Every attack here worked against the pickle transport (issue 9, items 2 and 4): a key holder's
pickle was unpickled by the head, a rogue head's by the worker, a keyless relay could inject into
an authenticated session, forged summaries went into the report, and trickling connections held a
head thread each. Each test carries the attack out for real and checks both that it reached its
target (the peer logged or answered what it did with it) and that it achieved nothing: no marker
file, nothing leaked, and a job on the same head still ends exact.
"""

from __future__ import annotations

import hmac
import itertools
import json
import os
import pickle
import queue
import re
import socket
import struct
import threading
import time
from collections.abc import Callable
from multiprocessing import connection
from pathlib import Path
from typing import Any

import pytest

from logcrunch import channel, transport, wire
from logcrunch.authkey import load_key
from logcrunch.broker import JobInfo, Task
from logcrunch.scan import ScanConfig
from logcrunch.summary import FileSummary
from tests.helpers import (
    Proc,
    TrickleFlood,
    assert_matches_truth,
    closed_by_peer,
    expect_exits,
    make_key,
    make_tree,
    raise_descriptor_limit,
    read_csv,
    wait_until,
)
from tests.test_cluster import head, head_port, worker

WAIT = 30  # seconds: the longest any single step here may take


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "logs"
    return root, make_tree(root, hosts=2, files_per_host=3, lines_per_file=100)


@pytest.fixture
def key(tmp_path):
    return make_key(tmp_path / "authkey")


@pytest.fixture
def marker(tmp_path):
    """The file an attacker's pickle would create: it must never exist."""
    return tmp_path / "code-ran"


class _RunsShell:
    """Unpickling this runs a shell command (pickle calls ``os.system`` via ``__reduce__``)."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self):
        return os.system, (self.command,)


def code_running_pickle(marker: Path, protocol: int = pickle.HIGHEST_PROTOCOL) -> bytes:
    return pickle.dumps(_RunsShell(f"touch {marker}"), protocol=protocol)


# ----- the wire, written from channel.py's protocol description ---------------------------------


def frame(data: bytes) -> bytes:
    """multiprocessing's framing: a 4-byte big-endian length, then the bytes."""
    return struct.pack("!i", len(data)) + data


def recv_frame(sock: socket.socket) -> bytes:
    (length,) = struct.unpack("!i", recv_exactly(sock, 4))
    return recv_exactly(sock, length)


def recv_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise EOFError("the peer closed the connection")
        data += chunk
    return data


def tagged(key: bytes, sequence: int, payload: bytes) -> bytes:
    """A message after the handshake: HMAC-SHA256(direction key, sequence || payload) || payload."""
    return hmac.digest(key, sequence.to_bytes(8, "big") + payload, "sha256") + payload


def assert_closed_by_peer(sock: socket.socket, timeout: float = WAIT) -> None:
    """Fail unless the peer closes ``sock`` (EOF or a reset) within ``timeout``."""
    if closed_by_peer(sock, timeout) is None:
        raise AssertionError(f"the peer left the connection open for {timeout} s")


def blocking_connection(sock: socket.socket) -> connection.Connection:
    """A multiprocessing Connection on ``sock`` (blocking, reads time out after WAIT s)."""
    sock.settimeout(None)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", WAIT, 0))
    return connection.Connection(sock.detach())


def local_port(sock: socket.socket) -> int:
    return sock.getsockname()[1]


def run_one_worker(port: Any, key: Path) -> Proc:
    return worker(port, key, "-j", "1")


# ----- 1. a key holder sends the head a pickle --------------------------------------------------


def test_a_key_holders_pickle_runs_nothing_on_the_head_and_the_job_is_exact(tmp_path, tree, key,
                                                                          marker):
    root, truth = tree
    secret = load_key(key)
    the_head = head(tmp_path, root, key)
    port = int(head_port(the_head))
    payloads = {  # each correctly tagged: only the decoding stands between them and the head
        "a pickle": code_running_pickle(marker),
        "an ASCII pickle (protocol 0)": code_running_pickle(marker, protocol=0),
        # valid JSON in the wire's object form, naming a callable instead of an allowed class
        "a wire object of a disallowed type": json.dumps(
            [None, "create", [{"$": "posix.system", "v": [f"touch {marker}"]}], {}]).encode(),
    }
    try:
        for payload in payloads.values():
            with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as sock:
                keys = channel.client_handshake(sock, secret, "the head")  # the real handshake
                sock.sendall(frame(tagged(keys.to_head, 0, payload)))  # correctly MACed
                assert_closed_by_peer(sock)
                the_head.wait_for(rf"closed the connection from 127\.0\.0\.1:{local_port(sock)}: "
                                  "it sent something that is not a protocol message", WAIT)
        expect_exits(the_head, 0, run_one_worker(port, key))
    finally:
        the_head.kill()
    assert not marker.exists()
    assert_matches_truth(tmp_path / "out", truth)


def test_a_key_holders_forged_summaries_are_refused_and_the_rest_is_exact(tmp_path, tree, key):
    """A key holder that leases tasks like a worker and hands back lies: another path, a count
    beyond any file, a negative count, a formula for a spreadsheet. The pickle-era head put
    each of them into the report as it came."""
    root, truth = tree
    the_head = head(tmp_path, root, key)
    port = int(head_port(the_head))
    liar = "liar:1:1"
    lies = [lambda task: FileSummary("/etc/passwd", lines=3),
            lambda task: FileSummary(task.path, lines=10**30),
            lambda task: FileSummary(task.path, lines=5, error_lines=-5),
            lambda task: FileSummary(task.path, lines=1, first_ts="=1+2"),
            lambda task: FileSummary(task.path, lines=1, format='=HYPERLINK("http://x")')]
    told: list[str] = []  # the paths lied about
    try:
        proxy = transport.connect(("127.0.0.1", port), load_key(key))
        job = proxy.job(liar)
        while len(told) < len(lies):
            state, lease_id, tasks = proxy.lease(liar, job.job_id, None, 1.0)
            assert state == "work", state
            results = [(task.task_id, lie(task)) for task, lie in
                       zip(tasks, lies[len(told):], strict=False)]
            told += [task.path for task, _result in zip(tasks, results, strict=False)]
            proxy.complete(liar, lease_id, results, True)  # and hands the rest back
        proxy.leave(liar)
        transport.forget_connection(("127.0.0.1", port))
        for path in told:
            the_head.wait_for(f"refused the summary of {re.escape(path)} from {liar}", WAIT)
        expect_exits(the_head, 3, run_one_worker(port, key))  # 3: some files failed
    finally:
        the_head.kill()
    rows = {row["path"]: row for row in read_csv(tmp_path / "out" / "files.csv")}
    assert set(rows) == set(truth.per_file_lines)  # no /etc/passwd
    for path, row in rows.items():
        if path in told:
            assert (row["status"], row["lines"]) == ("failed", "0")
            assert "the worker's summary was refused" in row["error"]
        else:
            assert (row["status"], int(row["lines"])) == ("ok", truth.per_file_lines[path])
    report = "".join(path.read_text() for path in (tmp_path / "out").glob("*.csv"))
    assert "=1+2" not in report and "HYPERLINK" not in report and str(10**30) not in report


# ----- 2. the old (pickle-era) multiprocessing handshake ----------------------------------------


def test_the_pickle_era_handshake_is_refused_before_anything_is_read(tmp_path, tree, key,
                                                                     marker):
    root, truth = tree
    right_key = load_key(key)
    wrong_key = load_key(make_key(tmp_path / "other-key"))
    the_head = head(tmp_path, root, key)
    port = int(head_port(the_head))
    try:
        # What an old worker's Client(address, authkey=key) does first; it never gets further.
        with pytest.raises(connection.AuthenticationError):
            connection.Client(("127.0.0.1", port), authkey=right_key)
        for authkey, logged in ((right_key, "it runs an older logcrunch .* with the right key"),
                                (wrong_key, "wrong authkey")):
            sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
            peer_port = local_port(sock)
            old = blocking_connection(sock)
            try:
                with pytest.raises(connection.AuthenticationError, match="rejected"):
                    connection.answer_challenge(old, authkey)
                try:  # an old client would go on with a pickle; send one anyway
                    old.send(_RunsShell(f"touch {marker}"))
                except OSError:
                    pass
                with pytest.raises((EOFError, ConnectionResetError)):
                    old.recv_bytes()
            finally:
                old.close()
            the_head.wait_for(rf"rejected a connection from 127\.0\.0\.1:{peer_port}: {logged}",
                              WAIT)
        # An old client that does not wait for the verdict: its answer and a pickle at once.
        with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as sock:
            challenge = recv_frame(sock)[len(channel.CHALLENGE):]
            digest = hmac.new(right_key, challenge, "md5").digest()
            sock.sendall(frame(digest) + frame(code_running_pickle(marker)))
            assert_closed_by_peer(sock)
            the_head.wait_for(rf"rejected a connection from 127\.0\.0\.1:{local_port(sock)}", WAIT)
        expect_exits(the_head, 0, run_one_worker(port, key))
    finally:
        the_head.kill()
    assert not marker.exists()
    assert_matches_truth(tmp_path / "out", truth)


# ----- 3. a rogue head that holds the key -------------------------------------------------------


class Session:
    """The head's end of one authenticated connection, written from the protocol description:
    it can send correctly tagged messages whatever their payload."""

    def __init__(self, sock: socket.socket, keys: channel.SessionKeys) -> None:
        self.sock = sock
        self._send_key, self._recv_key = keys.to_worker, keys.to_head
        self._sent = self._received = 0
        self.payloads: list[bytes] = []  # what the worker sent, as received

    def recv(self) -> Any:
        data = recv_frame(self.sock)
        tag, payload = data[:channel.TAG_BYTES], data[channel.TAG_BYTES:]
        expected = tagged(self._recv_key, self._received, payload)[:channel.TAG_BYTES]
        assert hmac.compare_digest(tag, expected), "the worker's message failed its tag"
        self._received += 1
        self.payloads.append(payload)
        return wire.decode(payload)

    def send_payload(self, payload: bytes) -> None:
        self.sock.sendall(frame(tagged(self._send_key, self._sent, payload)))
        self._sent += 1

    def send(self, message: Any) -> None:
        self.send_payload(wire.encode(message))


WORKER_CALLS = ["job", "lease", "heartbeat", "complete", "worker_lost", "leave"]


class RogueHead:
    """A head in this process that holds the key (logcrunch's own Gate does the handshake) and
    answers a real worker's calls through ``answer(method, args)``, which returns the payload to
    send (bytes, tagged as they are) or a message to encode."""

    def __init__(self, key: bytes, answer: Callable[[str, list], Any]) -> None:
        self._answer = answer
        self.calls: queue.Queue[tuple[str, list]] = queue.Queue()
        self.sessions: list[Session] = []
        self.listening = socket.create_server(("127.0.0.1", 0))
        self.port = local_port(self.listening)
        self.gate = channel.Gate(self.listening, key, self._serve)
        self._thread = threading.Thread(target=self.gate.run, daemon=True)
        self._thread.start()

    def _serve(self, sock: socket.socket, _peer: str, keys: channel.SessionKeys) -> None:
        session = Session(sock, keys)
        self.sessions.append(session)
        threading.Thread(target=self._converse, args=(session,), daemon=True).start()

    def _converse(self, session: Session) -> None:
        try:
            while True:
                _ident, method, args, _kwds = session.recv()
                self.calls.put((method, args))
                reply = self._answer(method, args)
                if isinstance(reply, bytes):
                    session.send_payload(reply)
                else:
                    session.send(reply)
        except (EOFError, OSError):
            pass
        finally:
            session.sock.close()

    def received(self) -> bytes:
        return b"\n".join(payload for session in self.sessions for payload in session.payloads)

    def close(self) -> None:
        self.gate.close()
        self._thread.join(timeout=WAIT)
        self.listening.close()
        for session in self.sessions:
            session.sock.close()


def honest_answer(method: str, args: list) -> Any:
    """What a head of this version answers to the calls that set up a connection."""
    if method == "create":
        return ("#RETURN", ("broker0", WORKER_CALLS))
    if method == "accept_connection":
        return ("#RETURN", None)
    return ("#RETURN", {"heartbeat": True, "leave": None, "worker_lost": (0, False)}[method])


def rogue_worker(port: int, key: Path) -> Proc:
    return Proc("work", "--server", f"127.0.0.1:{port}", "--authkey-file", str(key),
                "--connect-timeout", "5", "-j", "1")


def worker_against(rogue_answers: Callable[[str, list], Any], key: Path) -> tuple[RogueHead, Proc, int]:
    """A real `logcrunch work` against a rogue head answering with ``rogue_answers``; waits for
    the worker to exit and returns (the rogue head, closed; the worker; its exit code)."""
    rogue = RogueHead(load_key(key), rogue_answers)
    node = rogue_worker(rogue.port, key)
    try:
        code = node.wait(timeout=WAIT)
    finally:
        node.kill()
        rogue.close()
    return rogue, node, code


def attack_on(method: str, attack: Any) -> Callable[[str, list], Any]:
    def answer(called: str, args: list) -> Any:
        return attack if called == method else honest_answer(called, args)

    return answer


def hostile_answers(marker: Path) -> dict[str, tuple[str, Any, str]]:
    """name -> (the call it answers, the answer, what the worker must say about it)."""
    not_protocol = "sent something that is not a protocol message"
    return {
        "pickle-to-create": ("create", code_running_pickle(marker), not_protocol),
        "pickle-to-job": ("job", code_running_pickle(marker), not_protocol),
        "disallowed-type-to-job": (
            "job", json.dumps(["#RETURN", {"$": "posix.system", "v": [f"touch {marker}"]}])
            .encode(), "is not a type the protocol allows"),
        "proxy-reply-to-job": ("job", ("#PROXY", [WORKER_CALLS, ["broker", ["127.0.0.1", 1],
                                                                  "x"]]),
                               "answered outside the protocol"),
        "wrong-type-to-job": ("job", ("#RETURN", Task(1, "/etc/passwd", 10)),
                              "a bad job description"),
    }


@pytest.mark.parametrize("attack", sorted(hostile_answers(Path("/x"))))
def test_a_rogue_heads_hostile_answer_runs_nothing_and_the_worker_says_why(tmp_path, key,
                                                                         marker, attack):
    method, answer, said = hostile_answers(marker)[attack]
    rogue, node, code = worker_against(attack_on(method, answer), key)
    assert method in [called for called, _args in rogue.calls.queue]  # the attack was delivered
    assert not marker.exists()
    assert code != 0, node.output
    assert said in node.output
    assert "could not work with the head" in node.output
    assert "Traceback" not in node.output and "restarting it" not in node.output


def test_a_rogue_heads_error_answer_ends_the_worker_with_one_clear_line(tmp_path, key):
    forged_line = "2026-11-27 02:00:00,000 logcrunch INFO job done"
    _rogue, node, code = worker_against(
        attack_on("job", ("#TRACEBACK", f"boom\n{forged_line}\n\x1b[2J")), key)
    assert code != 0, node.output
    assert "boom" in node.output  # what the head said, as one flattened line
    assert "restarting it" not in node.output and "Traceback" not in node.output
    assert forged_line not in node.output.splitlines()  # a head cannot forge our log lines
    assert "\x1b" not in node.output


def test_a_rogue_heads_lease_outside_the_roots_is_refused_and_leaks_nothing(tmp_path, key):
    root = tmp_path / "logs"
    root.mkdir()
    inside = root / "app.log"
    inside.write_text("INFO started 4242 requests\n")
    secret = tmp_path / "secret.txt"  # beside the root, not below it
    secret.write_text("31337\n")
    secret.chmod(0o600)
    (root / "link.log").symlink_to(secret)  # inside the root, but leads out
    tasks = [Task(1, str(inside), inside.stat().st_size),
             Task(2, str(secret), secret.stat().st_size),
             Task(3, f"{root}/../{secret.name}", secret.stat().st_size),
             Task(4, str(root / "link.log"), secret.stat().st_size)]
    job = JobInfo("ab12", ScanConfig(metric_patterns=(("oracle", r"(\d+)"),)), 30.0, 5.0,
                  roots=((str(root), root.stat().st_dev),))
    completed: queue.Queue[list] = queue.Queue()
    leases = iter([("work", "cd34", tasks)])

    def answer(method: str, args: list) -> Any:
        if method == "job":
            return ("#RETURN", job if completed.empty() else None)
        if method == "lease":
            return ("#RETURN", next(leases, ("done", None, [])))
        if method == "complete":
            completed.put(args[2])
            return ("#RETURN", len(args[2]))
        return honest_answer(method, args)

    rogue = RogueHead(load_key(key), answer)
    node = rogue_worker(rogue.port, key)
    try:
        assert node.wait(timeout=WAIT) == 0, node.output
    finally:
        node.kill()
        rogue.close()
    results: dict[int, FileSummary] = {}
    while not completed.empty():
        results.update((task_id, summary) for task_id, summary in completed.get())
    assert sorted(results) == [1, 2, 3, 4]
    # the oracle works: below the root the regex reports the number it matched
    assert results[1].status == "ok" and results[1].metrics["oracle"].maximum == 4242
    for task_id in (2, 3):
        assert results[task_id].status == "failed"
        assert "refused: outside the roots" in results[task_id].error
    assert results[4].status == "failed" and "refused" in results[4].error
    for summary in (results[2], results[3], results[4]):
        assert (summary.lines, summary.metrics, summary.first_ts) == (0, {}, "")
    assert b"31337" not in rogue.received()  # neither the content nor a value derived from it


# ----- 4. a keyless relay between a real worker and a real head ---------------------------------


class Relay:
    """A man in the middle without the key: forwards every connection frame by frame (so the
    handshake passes untouched) and lets ``tamper(direction, index, body, history)`` replace a
    frame with the frames to send instead. ``index`` counts frames per connection and direction;
    after the handshake the head receives frames 1, 2, ... and the worker frames 2, 3, ..."""

    def __init__(self, head_port: int,
                 tamper: Callable[[str, int, bytes, list[bytes]], list[bytes]]) -> None:
        self._head_port = head_port
        self._tamper = tamper
        self._sockets: list[socket.socket] = []
        self.listening = socket.create_server(("127.0.0.1", 0))
        self.port = local_port(self.listening)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _address = self.listening.accept()
                upstream = socket.create_connection(("127.0.0.1", self._head_port), timeout=WAIT)
            except OSError:
                return
            upstream.settimeout(None)
            self._sockets += [client, upstream]
            for source, sink, direction in ((client, upstream, "to head"),
                                            (upstream, client, "to worker")):
                threading.Thread(target=self._pump, args=(source, sink, direction),
                                 daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, direction: str) -> None:
        history: list[bytes] = []
        try:
            for index in itertools.count():
                body = recv_frame(source)
                for out in self._tamper(direction, index, body, history):
                    sink.sendall(frame(out))
                history.append(body)
        except (EOFError, OSError):
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self.listening.close()
        for sock in self._sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()


def once(condition: Callable[[str, int, bytes], bool],
         change: Callable[[bytes, list[bytes]], list[bytes]], done: threading.Event):
    """A tamper function that changes the first frame meeting ``condition``, then forwards all."""
    lock = threading.Lock()

    def tamper(direction: str, index: int, body: bytes, history: list[bytes]) -> list[bytes]:
        with lock:
            if done.is_set() or not condition(direction, index, body):
                return [body]
            done.set()
            return change(body, history)

    return tamper


def is_lease_call(direction: str, index: int, body: bytes) -> bool:
    return direction == "to head" and index >= 1 and b'"lease"' in body[channel.TAG_BYTES:]


def relay_attacks(marker: Path, root: Path) -> dict[str, tuple]:
    """name -> (which frame, what to send instead)."""
    def inject_pickle(body, _history):
        return [code_running_pickle(marker), body]

    def replay_earlier(body, history):
        return [history[-1], body]  # the connection's previous call, verbatim

    def flip_a_byte(body, _history):
        changed = bytearray(body)
        changed[body.index(str(root).encode()) + len(str(root)) - 1] ^= 0x01  # the leased path
        return [bytes(changed)]

    def is_lease_answer(direction, index, body):
        return direction == "to worker" and index >= 2 and b'"Task"' in body

    return {"inject-pickle": (is_lease_call, inject_pickle),
            "replay-a-worker-frame": (is_lease_call, replay_earlier),
            "flip-a-byte-towards-the-worker": (is_lease_answer, flip_a_byte)}


@pytest.mark.parametrize("attack", ["inject-pickle", "replay-a-worker-frame"])
def test_a_relay_that_injects_or_replays_is_cut_off_and_the_job_is_exact(tmp_path, tree, key,
                                                                         marker, attack):
    root, truth = tree
    condition, change = relay_attacks(marker, root)[attack]
    tampered = threading.Event()
    the_head = head(tmp_path, root, key)
    relay = Relay(int(head_port(the_head)), once(condition, change, tampered))
    node = run_one_worker(relay.port, key)
    try:
        the_head.wait_for(r"closed the connection from 127\.0\.0\.1:\d+: a message failed "
                          "authentication", WAIT)
        expect_exits(the_head, 0, node)
    finally:
        node.kill()
        the_head.kill()
        relay.close()
    assert tampered.is_set()
    assert not marker.exists()
    assert_matches_truth(tmp_path / "out", truth)


# A tag that fails on the worker's side means the path is hostile, not the head: the head proved
# the key in the handshake, and anything between the two can corrupt a frame. Issue 9 asks that
# nothing on the network stops a run, so the worker must drop that connection and reconnect (as
# it does when the head cuts a connection), not give up the job.
def test_a_relay_that_flips_a_byte_towards_the_worker_does_not_stop_the_job(tmp_path, tree, key):
    root, truth = tree
    condition, change = relay_attacks(tmp_path / "unused", root)["flip-a-byte-towards-the-worker"]
    tampered = threading.Event()
    # a short lease: the lease whose answer was corrupted comes back soon after the reconnect
    the_head = head(tmp_path, root, key, "--worker-timeout", "10", "--lease-seconds", "3")
    relay = Relay(int(head_port(the_head)), once(condition, change, tampered))
    node = run_one_worker(relay.port, key)
    try:
        node_code = node.wait(timeout=WAIT)
        assert "a message failed authentication" in node.output
        assert node_code == 0, node.output
        assert the_head.wait(timeout=WAIT) == 0, the_head.output
    finally:
        node.kill()
        the_head.kill()
        relay.close()
    assert tampered.is_set()
    assert_matches_truth(tmp_path / "out", truth)


# ----- 5 and 6. connections that never finish the handshake -------------------------------------


def test_trickling_connections_over_the_cap_do_not_keep_a_worker_out(tmp_path, key):
    """1,000 connections more than the head's cap on pending handshakes trickle a handshake
    answer a byte a second, and each one the head closes is opened again (so that many are
    trickling all through the job): the excess is closed at once and a real worker still gets
    in. The pickle-era head held a thread per connection for 10 s per byte read."""
    root = tmp_path / "logs"
    truth = make_tree(root, hosts=10, files_per_host=100, lines_per_file=20, gzip_every=0)
    raise_descriptor_limit()
    seconds = {}
    for name in ("quiet", "flooded"):
        the_head = head(tmp_path, root, key, out=f"out-{name}", state=f"{name}.db")
        port = int(head_port(the_head))
        flood = TrickleFlood(port, channel.MAX_PENDING_HANDSHAKES + 1000) \
            if name == "flooded" else None
        try:
            if flood is not None:
                wait_until(lambda f=flood: f.closed >= 1000, "the head closing the excess", WAIT)
            node = run_one_worker(port, key)
            started = time.monotonic()
            expect_exits(the_head, 0, node, head_timeout=60)
            seconds[name] = time.monotonic() - started
        finally:
            the_head.kill()
            if flood is not None:
                flood.stop()
        assert_matches_truth(tmp_path / f"out-{name}", truth)
    print(f"flood: {flood.opened} trickling connections opened, {flood.closed} closed by the head")
    assert "authenticating at once (a flood?)" in the_head.output
    print(f"job of {truth.files} files, one worker: {seconds['quiet']:.2f} s quiet, "
          f"{seconds['flooded']:.2f} s under the flood")
    assert seconds["flooded"] < 60


def test_a_silent_connection_is_closed_at_the_handshake_deadline(tmp_path, tree, key):
    root, _truth = tree
    the_head = head(tmp_path, root, key)
    port = int(head_port(the_head))
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as silent:
            opened = time.monotonic()
            assert recv_frame(silent).startswith(channel.CHALLENGE + channel.SERVER_MARK)
            assert_closed_by_peer(silent)  # says nothing and waits for the head to give up
            held = time.monotonic() - opened
    finally:
        the_head.kill()
    print(f"a silent connection was closed after {held:.2f} s")
    assert channel.HANDSHAKE_SECONDS - 0.5 <= held <= channel.HANDSHAKE_SECONDS + 2

