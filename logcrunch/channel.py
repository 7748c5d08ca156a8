"""Authenticated message channels between head and workers: handshake, per-message MACs, the gate.

Protocol 3 (this version), on a TCP connection, in multiprocessing's framing (a 4-byte big-endian
length, then the bytes):

1. head -> worker: ``#CHALLENGE#`` + ``LC3`` + 17 random bytes (the head's nonce ``S``; 20 bytes
   after the prefix, the legacy length, so a pickle-era worker answers in its own way and the
   head can say precisely what it is);
2. worker -> head: ``LC3R`` + 32 random bytes ``C`` + HMAC-SHA256(key, "logcrunch/3 worker" S C);
3. head -> worker: ``#WELCOME#`` + HMAC-SHA256(key, "logcrunch/3 head" S C), or ``#FAILURE#``.

Both sides have then proved they hold the key, and derive one key per direction from it and both
nonces. Every later message is ``tag || payload``: the payload is `logcrunch.wire` (data only,
never pickle) and the tag is HMAC-SHA256(direction key, sequence number || payload). The sequence
numbers are implicit (0, 1, 2, ... per direction), so a relay that forwarded the handshake can
neither inject, replay, reorder nor reflect a message: any of that fails the tag, and the
connection is closed.

The head runs every handshake in one thread (`Gate`): a selector over the listening socket and
the connections not yet authenticated, each with an absolute deadline. A silent or trickling
client costs a socket, never a thread, and never delays another client's handshake; when more
than ``max_pending`` handshakes are open, the oldest handshake *of the source address with the
most open* is closed. So a flood cannot keep a real worker (whose handshake takes one round trip)
from getting in: not from another address however slow its link, and not even from the
flooder's own address unless the flood outpaces a round trip.
"""

from __future__ import annotations

import collections
import errno
import hashlib
import hmac
import logging
import os
import re
import selectors
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing import connection
from typing import Any

from logcrunch import stdlib_internals, wire

log = logging.getLogger(__name__)

PROTOCOL = 5
CHALLENGE = b"#CHALLENGE#"
WELCOME = b"#WELCOME#"
FAILURE = b"#FAILURE#"
# The marks carry the protocol number, so two versions tell each other apart at the handshake
# (protocol 4: summaries carry level_lines, a timeline and templates; 5: tasks may hold a
# partial last line, summaries say where the reading started and stopped and carry each metric's
# quantile sketch, heartbeats carry the bytes read of the current task).
SERVER_MARK = b"LC%d" % PROTOCOL
CLIENT_MARK = SERVER_MARK + b"R"
_MARK_RE = re.compile(rb"LC(\d)(R?)")
SERVER_NONCE_BYTES = 17  # 3 + 17 = 20 bytes after CHALLENGE: the length old clients answer
CLIENT_NONCE_BYTES = 32
TAG_BYTES = 32
MAX_HANDSHAKE_FRAME = 256
# A lease is about 1 MB at most; a batch of results is cut at defaults.RESULT_BATCH_BYTES (by an
# upper bound of its encoded size) plus one summary, itself at most ~18 MB (templates, timeline
# and metric sketches are capped per file: worker.encoded_size_bound). This bounds what a peer
# (or a frame a relay injects, read before its tag fails) can make the other side hold.
MAX_MESSAGE_BYTES = 24 * 1024 * 1024
HANDSHAKE_SECONDS = 5.0  # the whole handshake, not each read
# 1,000 workers starting at once open about 4,000 connections (each worker: create + calls, for the
# main and the heartbeat connection), so 512 closed and retried thousands of real handshakes; a
# pending handshake costs a socket and a few hundred bytes, and a flood from one address still
# only evicts its own oldest.
MAX_PENDING_HANDSHAKES = 2048


class AuthFailed(Exception):
    """The head rejected this node's key, or could not prove it holds the same key."""


class ProtocolMismatch(AuthFailed):
    """The other side speaks another version of the protocol (the message says which to upgrade)."""


class PeerMisbehaved(Exception):
    """An authenticated peer sent something outside the protocol, or a message failed its tag."""


class ChannelClosed(EOFError):
    """This side closed the channel after a message failed its tag (or, on the head, was not a
    protocol message). An EOFError: the head's serving loop ends the connection, and a worker
    reconnects as after any broken connection (a tampered frame says nothing about the head)."""


def _label_digest(key: bytes, label: bytes, server_nonce: bytes, client_nonce: bytes) -> bytes:
    return hmac.digest(key, b"logcrunch/3 " + label + b"\x00" + server_nonce + client_nonce,
                       "sha256")


@dataclass(frozen=True)
class SessionKeys:
    """The two per-connection MAC keys, one per direction."""

    to_head: bytes
    to_worker: bytes


def session_keys(key: bytes, server_nonce: bytes, client_nonce: bytes) -> SessionKeys:
    return SessionKeys(_label_digest(key, b"to head", server_nonce, client_nonce),
                       _label_digest(key, b"to worker", server_nonce, client_nonce))


def _frame(data: bytes) -> bytes:
    return struct.pack("!i", len(data)) + data


# ----- the authenticated channel ---------------------------------------------------------------


class SecureConnection:
    """A multiprocessing Connection whose messages are data-only and each authenticated.

    Quacks like `multiprocessing.connection.Connection` where BaseManager's server loop and
    proxies use one (``send``, ``recv``, ``fileno``, ``poll``, ``close``).
    """

    def __init__(self, conn: connection.Connection, send_key: bytes, recv_key: bytes,
                 peer: str, server: bool) -> None:
        self._conn = conn
        self._send_key = send_key
        self._recv_key = recv_key
        self._sent = 0
        self._received = 0
        self._summary_texts: tuple[list, list[str]] | None = None
        self.peer = peer
        self.server = server

    def send(self, message: Any) -> None:
        if not self.server and self._conn.poll(0):
            # Each call gets one answer, read before the next call: anything waiting now is not
            # an answer to this call (the head closed the connection, or is out of step with
            # it). Reconnecting is the remedy, as after any broken connection; only the second
            # is worth a word (a head closes its connections at every job's end).
            stray = _bytes_waiting(self._conn)
            self.close()
            if stray:
                log.warning("closed the connection to the head at %s: it held a message no "
                            "call asked for; reconnecting", self.peer)
            raise ChannelClosed(f"the connection to the head at {self.peer} was closed, or "
                                "held a message no call asked for")
        error = stdlib_internals.exception_answer(message) if self.server else None
        if error is not None:
            # The manager Server answers a failed call with the exception: only its text travels.
            message = ("#TRACEBACK", f"{type(error).__name__}: {error}")
        payload = wire.encode(message)
        tag = hmac.digest(self._send_key, self._sent.to_bytes(8, "big") + payload, "sha256")
        self._conn.send_bytes(tag + payload)
        self._sent += 1

    def recv(self) -> Any:
        try:
            data = self._conn.recv_bytes(MAX_MESSAGE_BYTES)
        except OSError as exc:
            # Over MAX_MESSAGE_BYTES the frame's body is left unread: the stream is out of step
            # for good. The head ends the connection (an EOFError: its serving loop leaves
            # quietly) instead of answering every later read's error, a flood of answers no
            # call asked for. A reset is the worker's death, and the loop's as before.
            if not self.server or isinstance(exc, ConnectionError):
                raise
            self._cut_off(f"a message could not be read ({exc}; the limit is "
                          f"{MAX_MESSAGE_BYTES} bytes)")
        tag, payload = data[:TAG_BYTES], data[TAG_BYTES:]
        expected = hmac.digest(self._recv_key, self._received.to_bytes(8, "big") + payload,
                               "sha256")
        if not hmac.compare_digest(tag, expected):
            self._cut_off("a message failed authentication (tampered with on the way, or "
                          "injected by something between us)")
        self._received += 1
        try:
            if self.server:
                message, texts = wire.decode_call(payload)
                self._summary_texts = None if texts is None else (message[2][2], texts)
            else:
                message = wire.decode(payload)
        except wire.WireError as exc:
            if self.server:
                self._cut_off(f"it sent something that is not a protocol message ({exc})")
            self.close()
            raise PeerMisbehaved(f"the head at {self.peer} sent something that is not a "
                                 f"protocol message ({exc})") from None
        return message if self.server else _reply(message, self.peer)

    def take_summary_texts(self, results: Any) -> list[str] | None:
        """The text each summary of ``results`` came in as (wire.decode_call), if ``results`` is
        the result list of the last message received; None otherwise. Taken once."""
        held, self._summary_texts = self._summary_texts, None
        if held is None or held[0] is not results:
            return None
        return held[1]

    def _cut_off(self, reason: str) -> None:
        self.close()
        where = "from" if self.server else "to the head at"
        log.warning("closed the connection %s %s: %s", where, self.peer, reason)
        raise ChannelClosed(reason)

    def fileno(self) -> int:
        return self._conn.fileno()

    def poll(self, timeout: float = 0.0) -> bool:
        return self._conn.poll(timeout)

    @property
    def closed(self) -> bool:
        return self._conn.closed

    def close(self) -> None:
        self._conn.close()


def _bytes_waiting(conn: connection.Connection) -> bool:
    """Whether a connection that polls readable holds bytes (False: end of file, or an error)."""
    sock = socket.socket(fileno=conn.fileno())  # shares the fd; detached below, never closed
    try:
        return bool(sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT))
    except OSError:
        return False
    finally:
        sock.detach()


def _reply(message: Any, peer: str) -> Any:
    """Only ever let a proxy see ('#RETURN', value): a '#PROXY' answer would make it build objects
    from the peer's words, and an error is this module's to word (one line of the head's text,
    never its raw newlines or terminal escapes in this node's log)."""
    if type(message) is list and len(message) == 2:
        if message[0] == "#RETURN":
            return message
        if message[0] == "#TRACEBACK" and isinstance(message[1], str):
            raise PeerMisbehaved(f"the head at {peer} refused the call: "
                                 f"{_one_line_tail(message[1])}")
    raise PeerMisbehaved(f"the head at {peer} answered outside the protocol")


def _one_line_tail(text: str, limit: int = 300) -> str:
    """A peer's text as one printable line: its end, where a traceback names the error."""
    flat = " ".join("".join(ch if ch.isprintable() else " " for ch in text[-4 * limit:]).split())
    return flat if len(flat) <= limit else "..." + flat[-limit:]


# ----- the worker's side of the handshake -----------------------------------------------------


def client_handshake(sock: socket.socket, key: bytes, where: str,
                     timeout: float = HANDSHAKE_SECONDS) -> SessionKeys:
    """Authenticate to the head on a connected blocking socket (within ``timeout`` in all)."""
    deadline = time.monotonic() + timeout
    challenge = _recv_frame(sock, deadline)
    if not challenge.startswith(CHALLENGE):
        raise AuthFailed(f"{where} is not a logcrunch head (it did not send a challenge)")
    body = challenge[len(CHALLENGE):]
    other = _MARK_RE.match(body)
    if other and other.group(1) != str(PROTOCOL).encode() and not other.group(2):
        raise ProtocolMismatch(
            f"the head at {where} speaks logcrunch protocol {other.group(1).decode()}, this "
            f"node {PROTOCOL}; install the same logcrunch version on the head and the workers")
    if not body.startswith(SERVER_MARK) or len(body) != len(SERVER_MARK) + SERVER_NONCE_BYTES:
        raise ProtocolMismatch(
            f"the head at {where} runs an older logcrunch (the pickle protocol, before protocol "
            f"{PROTOCOL}); upgrade logcrunch on the head to this node's version")
    server_nonce = body[len(SERVER_MARK):]
    client_nonce = os.urandom(CLIENT_NONCE_BYTES)
    proof = _label_digest(key, b"worker", server_nonce, client_nonce)
    sock.sendall(_frame(CLIENT_MARK + client_nonce + proof))
    answer = _recv_frame(sock, deadline)
    if answer.startswith(FAILURE):
        raise AuthFailed(f"the head at {where} rejected this node's authkey (the keys differ)")
    expected = _label_digest(key, b"head", server_nonce, client_nonce)
    if not (answer.startswith(WELCOME) and hmac.compare_digest(answer[len(WELCOME):], expected)):
        raise AuthFailed(f"the head at {where} could not prove it holds this node's authkey "
                         "(a different key there, or something else listening at that address)")
    return session_keys(key, server_nonce, client_nonce)


def _recv_frame(sock: socket.socket, deadline: float) -> bytes:
    header = _recv_exactly(sock, 4, deadline)
    (length,) = struct.unpack("!i", header)
    if not 0 <= length <= MAX_HANDSHAKE_FRAME:
        raise AuthFailed("the peer sent an oversized handshake message (not a logcrunch head?)")
    return _recv_exactly(sock, length, deadline)


def _recv_exactly(sock: socket.socket, size: int, deadline: float) -> bytes:
    data = b""
    while len(data) < size:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the handshake took too long")
        sock.settimeout(remaining)
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise EOFError("the connection closed during the handshake")
        data += chunk
    sock.settimeout(None)
    return data


# ----- the head's side: one thread for every handshake ----------------------------------------


@dataclass
class _Pending:
    """A connection still in the handshake: what was received, what is left to send."""

    sock: socket.socket
    peer: str
    source: str  # the peer's address without the port
    started: float
    server_nonce: bytes
    out: bytes  # still to send
    inbox: bytes = b""
    keys: SessionKeys | None = None  # set once the worker proved itself; then send the welcome
    closing: bool = False  # send what is left (a #FAILURE#), then close


@dataclass
class GateStats:
    """How the handshakes at the head's door ended, counted."""

    authenticated: int = 0
    rejected: int = 0
    timed_out: int = 0
    evicted: int = 0
    accept_errors: int = 0
    _flood_logged: float = field(default=-1e9, repr=False)


class Gate:
    """Accepts TCP connections and authenticates them, all in the thread that calls `run()`.

    ``on_authenticated(sock, peer, keys)`` gets each authenticated (blocking) socket; it must not
    block (start a thread). ``clock`` is injectable for the deadline logic.
    """

    def __init__(self, listening: socket.socket, key: bytes,
                 on_authenticated: Callable[[socket.socket, str, SessionKeys], None],
                 max_pending: int = MAX_PENDING_HANDSHAKES,
                 deadline_seconds: float = HANDSHAKE_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._listening = listening
        self._key = bytes(key)
        self._on_authenticated = on_authenticated
        self._max_pending = max_pending
        self._deadline = deadline_seconds
        self._clock = clock
        self._pending: collections.OrderedDict[int, _Pending] = collections.OrderedDict()
        # The same handshakes by source address, oldest first: who to close over the cap.
        self._by_source: dict[str, collections.OrderedDict[int, _Pending]] = {}
        self._selector = selectors.DefaultSelector()
        self._wake_read, self._wake_write = socket.socketpair()
        self._closing = threading.Event()
        self._accept_paused_until = 0.0
        self.stats = GateStats()

    # -- lifecycle --

    def close(self) -> None:
        """Stop accepting; the thread in run() closes every pending connection and returns."""
        self._closing.set()
        try:
            self._wake_write.send(b"x")
        except OSError:
            pass

    def run(self) -> None:
        self._listening.setblocking(False)
        self._selector.register(self._listening, selectors.EVENT_READ, None)
        self._selector.register(self._wake_read, selectors.EVENT_READ, None)
        try:
            while not self._closing.is_set():
                self._step()
        finally:
            for pending in list(self._pending.values()):
                self._drop(pending)
            self._selector.close()
            self._wake_read.close()
            self._wake_write.close()

    def _step(self) -> None:
        now = self._clock()
        self._expire(now)
        self._resume_accepting(now)
        timeout = self._next_timeout(now)
        for key, events in self._selector.select(timeout):
            if key.fileobj is self._listening:
                self._accept_all()
            elif key.fileobj is self._wake_read:
                return
            else:
                pending = self._pending.get(key.fd)
                if pending is not None:
                    self._advance(pending, events)

    def _next_timeout(self, now: float) -> float:
        timeout = 1.0
        if self._pending:
            oldest = next(iter(self._pending.values()))
            timeout = max(0.0, min(timeout, oldest.started + self._deadline - now))
        if self._accept_paused_until:
            timeout = max(0.0, min(timeout, self._accept_paused_until - now))
        return timeout

    # -- accepting --

    def _accept_all(self) -> None:
        while True:
            try:
                sock, address = self._listening.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                self.stats.accept_errors += 1
                if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    # Out of descriptors: make room at the expense of the slowest handshake,
                    # or, with none to give up, pause accepting for a moment.
                    if self._pending:
                        self._evict_oldest()
                        continue
                    self._pause_accepting()
                return
            self._start(sock, address)

    def _pause_accepting(self) -> None:
        self._selector.unregister(self._listening)
        self._accept_paused_until = self._clock() + 0.1

    def _resume_accepting(self, now: float) -> None:
        if self._accept_paused_until and now >= self._accept_paused_until:
            self._accept_paused_until = 0.0
            self._selector.register(self._listening, selectors.EVENT_READ, None)

    def _start(self, sock: socket.socket, address: Any) -> None:
        if len(self._pending) >= self._max_pending:
            self._evict_oldest()
        sock.setblocking(False)
        server_nonce = os.urandom(SERVER_NONCE_BYTES)
        source = str(address[0]) if isinstance(address, tuple) else str(address)
        pending = _Pending(sock, _peer_text(address), source, self._clock(), server_nonce,
                           _frame(CHALLENGE + SERVER_MARK + server_nonce))
        self._pending[sock.fileno()] = pending
        self._by_source.setdefault(source, collections.OrderedDict())[sock.fileno()] = pending
        self._selector.register(sock, selectors.EVENT_READ, None)
        self._flush(pending)

    def _evict_oldest(self) -> None:
        """Close the oldest handshake of the source with the most handshakes open."""
        busiest = max(self._by_source.values(), key=len)
        oldest = next(iter(busiest.values()))
        self.stats.evicted += 1
        now = self._clock()
        if now - self.stats._flood_logged >= 60:  # one line a minute, however big the flood
            self.stats._flood_logged = now
            log.warning("more than %d connections are authenticating at once (a flood?); "
                        "closing the oldest from the busiest address (%s); %d closed so far",
                        self._max_pending, oldest.peer, self.stats.evicted)
        self._drop(oldest)

    def _expire(self, now: float) -> None:
        while self._pending:
            oldest = next(iter(self._pending.values()))
            if now - oldest.started < self._deadline:
                return
            self.stats.timed_out += 1
            log.debug("dropped a connection from %s: no handshake within %g s", oldest.peer,
                      self._deadline)
            self._drop(oldest)

    # -- one handshake --

    def _advance(self, pending: _Pending, events: int) -> None:
        try:
            if events & selectors.EVENT_WRITE:
                self._flush(pending)
            if events & selectors.EVENT_READ and pending.sock.fileno() >= 0 and \
                    not pending.closing and pending.keys is None:
                self._read(pending)
        except OSError as exc:
            log.debug("dropped a connection from %s during the handshake: %s", pending.peer, exc)
            self._drop(pending)

    def _read(self, pending: _Pending) -> None:
        data = pending.sock.recv(4 + MAX_HANDSHAKE_FRAME)
        if not data:
            log.debug("a connection from %s closed during the handshake", pending.peer)
            self._drop(pending)
            return
        pending.inbox += data
        if len(pending.inbox) < 4:
            return
        (length,) = struct.unpack("!i", pending.inbox[:4])
        if not 0 <= length <= MAX_HANDSHAKE_FRAME or len(pending.inbox) > 4 + length:
            self._reject(pending, "it sent something that is not a logcrunch handshake")
            return
        if len(pending.inbox) == 4 + length:
            self._check_answer(pending, pending.inbox[4:])

    def _check_answer(self, pending: _Pending, answer: bytes) -> None:
        nonce = pending.server_nonce
        expected_length = len(CLIENT_MARK) + CLIENT_NONCE_BYTES + TAG_BYTES
        if answer.startswith(CLIENT_MARK) and len(answer) == expected_length:
            client_nonce = answer[len(CLIENT_MARK):len(CLIENT_MARK) + CLIENT_NONCE_BYTES]
            proof = answer[len(CLIENT_MARK) + CLIENT_NONCE_BYTES:]
            if hmac.compare_digest(proof, _label_digest(self._key, b"worker", nonce,
                                                        client_nonce)):
                pending.keys = session_keys(self._key, nonce, client_nonce)
                pending.out += _frame(WELCOME + _label_digest(self._key, b"head", nonce,
                                                              client_nonce))
                self._flush(pending)
                return
            self._reject(pending, "wrong authkey")
        elif (other := _MARK_RE.match(answer)) and other.group(2) and \
                len(answer) == expected_length:
            self._reject(pending, f"it speaks logcrunch protocol {other.group(1).decode()}, this "
                                  f"head {PROTOCOL}; install the same logcrunch version on the "
                                  "head and the workers", level=logging.ERROR)
        elif hmac.compare_digest(answer, hmac.new(self._key, SERVER_MARK + nonce,
                                                  hashlib.md5).digest()):
            self._reject(pending, "it runs an older logcrunch (the pickle protocol, before "
                                  f"protocol {PROTOCOL}) with the right key; upgrade logcrunch "
                                  "on that node to the head's version", level=logging.ERROR)
        else:
            self._reject(pending, "wrong authkey")

    def _reject(self, pending: _Pending, reason: str, level: int = logging.WARNING) -> None:
        self.stats.rejected += 1
        log.log(level, "rejected a connection from %s: %s", pending.peer, reason)
        pending.closing = True
        pending.out += _frame(FAILURE)
        self._flush(pending)

    def _flush(self, pending: _Pending) -> None:
        """Send what can be sent now; then hand over, close, or wait to be writable."""
        if pending.out:
            try:
                sent = pending.sock.send(pending.out)
            except (BlockingIOError, InterruptedError):
                sent = 0
            except OSError:
                self._drop(pending)
                return
            pending.out = pending.out[sent:]
        if pending.out:
            self._selector.modify(pending.sock, selectors.EVENT_READ | selectors.EVENT_WRITE)
            return
        if pending.closing:
            self._drop(pending)
        elif pending.keys is not None:
            self._hand_over(pending)
        elif self._selector.get_key(pending.sock).events != selectors.EVENT_READ:
            self._selector.modify(pending.sock, selectors.EVENT_READ)

    def _hand_over(self, pending: _Pending) -> None:
        self._forget(pending)
        pending.sock.setblocking(True)
        self.stats.authenticated += 1
        try:
            self._on_authenticated(pending.sock, pending.peer, pending.keys)
        except Exception:  # noqa: BLE001 - one connection's trouble never stops the gate
            log.exception("could not serve the connection from %s", pending.peer)
            pending.sock.close()

    def _forget(self, pending: _Pending) -> None:
        fd = pending.sock.fileno()
        if self._pending.get(fd) is pending:
            del self._pending[fd]
            same_source = self._by_source[pending.source]
            del same_source[fd]
            if not same_source:
                del self._by_source[pending.source]
            self._selector.unregister(pending.sock)

    def _drop(self, pending: _Pending) -> None:
        self._forget(pending)
        pending.sock.close()

    @property
    def pending(self) -> int:
        return len(self._pending)


def _peer_text(peer: Any) -> str:
    if isinstance(peer, tuple) and len(peer) >= 2:
        return f"{peer[0]}:{peer[1]}"
    return str(peer)
