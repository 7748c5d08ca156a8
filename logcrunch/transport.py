"""Serving the broker over TCP with multiprocessing.managers.BaseManager, and connecting to it.

The BaseManager design stays (a server whose threads call the broker's methods for proxies), but
what travels is not BaseManager's pickle: every connection is authenticated in both directions
before anything is read from it, every message after that carries its own tag, and messages are
data only (see `logcrunch.channel` and `logcrunch.wire`). Workers see only `BrokerService`, which
checks every argument, stamps every call with the head's own clock (node clocks may disagree) and
exposes only worker calls; the head checks every result against the lease it answers
(`logcrunch.validation`). What this takes from multiprocessing's undocumented internals goes through
`logcrunch.stdlib_internals`.
"""

from __future__ import annotations

import logging
import resource
import select
import socket
import struct
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from logcrunch import stdlib_internals, validation
from logcrunch.broker import Broker, JobInfo, Task
from logcrunch.channel import (
    HANDSHAKE_SECONDS,
    AuthFailed,
    Gate,
    PeerMisbehaved,
    ProtocolMismatch,
    SecureConnection,
    SessionKeys,
    client_handshake,
)
from logcrunch.serving_gc import RareCollections
from logcrunch.summary import FileSummary

log = logging.getLogger(__name__)

__all__ = ["AuthFailed", "BindError", "BrokerServer", "BrokerService", "HeadUnreachable",
           "PeerMisbehaved", "ProtocolMismatch", "connect", "connect_with_retry",
           "parse_address"]

# A worker's call that gets no answer for this long (head frozen, link cut without a reset)
# fails like a broken connection, so the worker reconnects instead of hanging forever.
CALL_TIMEOUT = 60.0
CONNECT_TIMEOUT = 10.0
# The longest a lease call may block waiting for work: well under CALL_TIMEOUT and a lease, so a
# waiting worker still counts as alive and hears about a stop soon.
MAX_LEASE_WAIT = 2.0


class HeadUnreachable(Exception):
    """The head could not be reached (not up yet, gone, or the network is cut)."""


class BindError(Exception):
    """The head cannot listen on the address asked for; the message says what to do."""


# Errors that mean "the connection to the head is broken", as raised by a proxy call.
CONNECTION_ERRORS = (EOFError, OSError, ConnectionError, BrokenPipeError)


class BrokerService:
    """The worker-facing face of a Broker: checked arguments, head clock, worker calls only."""

    def __init__(self, broker: Broker | None, clock: Callable[[], float] = time.monotonic) -> None:
        self._broker = broker
        self._clock = clock

    @property
    def broker(self) -> Broker | None:
        return self._broker

    def attach(self, broker: Broker) -> None:
        self._broker = broker

    def job(self, worker: str) -> JobInfo | None:
        validation.check_worker_name(worker)
        return self._broker.job(worker, self._clock())

    def lease(self, worker: str, job_id: str, max_files: int | None = None,
              wait: float = 0.0) -> tuple[str, str | None, list[Task]]:
        """Lease tasks; with ``wait`` (a long poll, capped) block until there is work or news."""
        validation.check_worker_name(worker)
        validation.check_id(job_id, "job id")
        validation.check_optional_count(max_files, "max_files")
        wait = max(0.0, min(validation.check_seconds(wait, "wait"), MAX_LEASE_WAIT,
                            self._broker.lease_seconds / 4))
        conn = getattr(_serving, "conn", None)
        alive = None if conn is None else (lambda: not _peer_hung_up(conn))
        return self._broker.lease_waiting(worker, job_id, self._clock, max_files, wait, alive)

    def heartbeat(self, worker: str, lease_id: str, current: int | None,
                  bytes_read: int = 0) -> bool:
        """Extend a lease; ``bytes_read``: how much of task ``current`` the worker has read (the
        broker clamps it to the task and keeps it monotone)."""
        validation.check_worker_name(worker)
        validation.check_id(lease_id, "lease id")
        validation.check_optional_count(current, "current task")
        validation.check_count(bytes_read, "bytes read")
        return self._broker.heartbeat(worker, lease_id, current, self._clock(), bytes_read)

    def complete(self, worker: str, lease_id: str, results: list[tuple[int, FileSummary]],
                 lease_finished: bool = False) -> int:
        validation.check_worker_name(worker)
        validation.check_id(lease_id, "lease id")
        validation.check_results(results, self._broker.lease_max_files)
        validation.check_flag(lease_finished, "lease_finished")
        conn = getattr(_serving, "conn", None)
        texts = None if conn is None else conn.take_summary_texts(results)
        return self._broker.complete(worker, lease_id, results, self._clock(), lease_finished,
                                     texts)

    def worker_lost(self, worker: str, lease_id: str, current: int | None,
                    reason: str) -> tuple[int, bool]:
        validation.check_worker_name(worker)
        validation.check_text(lease_id, "lease id", 64)  # empty when the process held none
        validation.check_optional_count(current, "current task")
        reason = validation.one_line_text(reason, "reason")
        return self._broker.worker_lost(worker, lease_id, current, reason, self._clock())

    def leave(self, worker: str) -> None:
        validation.check_worker_name(worker)
        self._broker.leave(worker, self._clock())


# The connection the current server thread serves (so a long poll can tell its caller left).
_serving = threading.local()


def _peer_hung_up(conn: SecureConnection) -> bool:
    """True when a client waiting for an answer has closed its end (or sent something it should
    not have while waiting): the socket is readable. A live caller sends nothing mid-call."""
    try:
        return bool(select.select([conn.fileno()], [], [], 0)[0])
    except (OSError, ValueError):
        return True


class _GuardedServer(stdlib_internals.manager_server_class()):
    """A manager server for authenticated channels: two requests a connection may start with
    (``create`` the broker proxy, or ``accept_connection`` for a proxy's calls), nothing else."""

    public = ["create", "accept_connection"]
    fallback_mapping: dict = {}  # no '#GETVALUE' (the service object itself), __str__, __repr__

    def serve_authenticated(self, sock: socket.socket, peer: str, keys: SessionKeys) -> None:
        """Start a thread serving one authenticated connection (the gate calls this)."""
        threading.Thread(target=self._serve, args=(sock, peer, keys), daemon=True,
                         name=f"logcrunch-serve-{peer}").start()

    def _serve(self, sock: socket.socket, peer: str, keys: SessionKeys) -> None:
        _set_socket_option(sock, socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        _enable_keepalive(sock)
        conn = SecureConnection(stdlib_internals.raw_connection(sock.detach()),
                                send_key=keys.to_worker,
                                recv_key=keys.to_head, peer=peer, server=True)
        _serving.conn = conn
        try:
            self._dispatch(conn)
        except SystemExit:
            pass
        except Exception:  # never let one client's trouble reach the others
            log.exception("error while serving %s", peer)
        finally:
            _serving.conn = None
            conn.close()

    def _dispatch(self, conn: SecureConnection) -> None:
        # The part of the Server's request handling after authentication, with the request's
        # shape checked before anything is called (`create` or `accept_connection`, called
        # with the connection first as the Server's own methods expect).
        try:
            request = conn.recv()
            _ignore, funcname, args, kwds = validation.check_first_request(request)
            func = getattr(self, funcname)
        except (EOFError, OSError):
            return
        except Exception:
            msg = ("#TRACEBACK", traceback.format_exc())
        else:
            if funcname == "accept_connection":
                # It answers the request itself, then serves the connection until EOF or the
                # head stops serving: no call is left to answer when it returns. (A second answer
                # sat in the socket then, and a worker that outlived this head read it as the
                # next head's answer to its first call on that connection.)
                try:
                    func(conn, *args, **kwds)
                except (OSError, EOFError):
                    pass
                return
            try:
                msg = ("#RETURN", func(conn, *args, **kwds))
            except Exception:
                msg = ("#TRACEBACK", traceback.format_exc())
        try:
            conn.send(msg)
        except (OSError, EOFError):
            pass


class _Listener:
    """The listening socket (BaseManager's Server builds one of these from the address)."""

    BACKLOG = 4096  # BaseManager's 16 overflows in a burst of connections (Linux caps it at somaxconn)

    def __init__(self, address: tuple[str, int], backlog: int | None = None) -> None:
        host, port = address
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.sock.bind((host, port))
            self.sock.listen(self.BACKLOG)
        except BaseException:
            self.sock.close()
            raise
        self.address = self.sock.getsockname()[:2]

    def close(self) -> None:
        try:
            # close() alone does not wake a thread blocked in accept(); shutdown() does.
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


def _set_recv_timeout(conn: Any, seconds: float) -> None:
    """Set SO_RCVTIMEO and SO_SNDTIMEO (0: none) on a connection's blocking socket."""
    sock = socket.socket(fileno=conn.fileno())  # shares the fd; detached below, never closed
    try:
        whole = int(seconds)
        value = struct.pack("ll", whole, int((seconds - whole) * 1e6))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, value)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, value)
    finally:
        sock.detach()


def _set_socket_option(sock: socket.socket, level: int, option: int, value: int) -> None:
    try:
        sock.setsockopt(level, option, value)
    except OSError:
        pass  # not a TCP socket (e.g. in tests): nothing to tune


# A peer that vanished without a FIN/RST (link cut, node powered off) is noticed after about
# 60 s idle + 3 probes 10 s apart, so its server thread and socket are freed, instead of after
# the kernel's default of two hours.
KEEPALIVE = ((socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1),
             (socket.IPPROTO_TCP, getattr(socket, "TCP_KEEPIDLE", None), 60),
             (socket.IPPROTO_TCP, getattr(socket, "TCP_KEEPINTVL", None), 10),
             (socket.IPPROTO_TCP, getattr(socket, "TCP_KEEPCNT", None), 3))


def _enable_keepalive(sock: socket.socket) -> None:
    for level, option, value in KEEPALIVE:
        if option is not None:
            _set_socket_option(sock, level, option, value)


def set_call_timeout(proxy: Any, seconds: float) -> None:
    """Bound how long a call may wait for the head, on this connection and on new ones.

    Workers tie it to the job's lease: past that the head has re-leased the work anyway.
    """
    global CALL_TIMEOUT
    CALL_TIMEOUT = seconds
    conn = stdlib_internals.proxy_connection(proxy)
    if conn is not None:
        _set_recv_timeout(conn, seconds)


def _client(address: tuple[str, int], family: Any = None, authkey: bytes | None = None):
    """Like multiprocessing.connection.Client: a connection that has done the handshake, with
    timeouts and TCP keepalive on the socket. Raises AuthFailed (or ProtocolMismatch)."""
    if authkey is None:
        raise AuthFailed("no authkey: every connection to the head is authenticated")
    where = f"{address[0]}:{address[1]}"
    sock = _open_socket(address[0], address[1])
    try:
        sock.settimeout(None)  # blocking again: Connection reads the raw fd
        # Messages over 16 KiB go out as header + body; without NODELAY each waits ~40 ms for a
        # delayed ACK, which costs more than everything else a lease round trip does.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        _enable_keepalive(sock)
        keys = client_handshake(sock, bytes(authkey), where, HANDSHAKE_SECONDS)
        conn = SecureConnection(stdlib_internals.raw_connection(sock.detach()),
                                send_key=keys.to_head,
                                recv_key=keys.to_worker, peer=where, server=False)
    finally:
        sock.close()
    _set_recv_timeout(conn, CALL_TIMEOUT)
    return conn


def _open_socket(host: str, port: int) -> socket.socket:
    """A TCP connection; an IP literal is connected directly, a name is resolved first.

    (create_connection would run every literal through getaddrinfo too, whose first call in a
    process imports the IDNA codec: milliseconds on each worker process's first connection.)
    """
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, host)
        except OSError:
            continue
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(CONNECT_TIMEOUT)
            sock.connect((host, port))
        except BaseException:
            sock.close()
            raise
        return sock
    return socket.create_connection((host, port), timeout=CONNECT_TIMEOUT)


# BaseManager's Server and proxies look their Listener and Client up by serializer name.
stdlib_internals.register_serializer("logcrunch", _Listener, _client)


def _raise_descriptor_limit() -> None:
    """Let the head hold as many sockets as the hard limit allows, so a burst of connections
    meets the gate's cap on pending handshakes rather than the per-process descriptor limit."""
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft != hard:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ValueError, OSError):
        pass


class BrokerServer:
    """Serves a BrokerService on ``address`` in background threads of this process."""

    def __init__(self, broker: Broker | None, address: tuple[str, int], authkey: bytes) -> None:
        """Binds ``address`` now; serves ``broker`` (or the one `attach` gives) once started."""
        service = self.service = BrokerService(broker)
        registry = stdlib_internals.service_registry("broker", lambda: service)
        _raise_descriptor_limit()
        try:
            self._server = stdlib_internals.manager_server(_GuardedServer, registry, address,
                                                           authkey, "logcrunch")
        except OSError as exc:
            raise BindError(f"cannot listen on {address[0]}:{address[1]}: "
                            f"{exc.strerror or exc}; choose another --bind (an address of this "
                            "host and a free port)") from None
        self._listener = stdlib_internals.manager_server_listener(self._server)
        self.gate = Gate(self._listener.sock, authkey, self._server.serve_authenticated)
        self._thread = threading.Thread(target=self.gate.run, daemon=True,
                                        name="logcrunch-gate")
        self._closed = False
        self._collections = RareCollections()

    @property
    def address(self) -> tuple[str, int]:
        return stdlib_internals.manager_server_address(self._server)

    def attach(self, broker: Broker) -> None:
        """Serve ``broker`` (before `start`)."""
        self.service.attach(broker)

    def start(self) -> None:
        if self.service.broker is None:
            raise RuntimeError("no broker to serve: attach one first")
        self._collections.start()  # serving_gc: the collector would run every few results
        self._thread.start()

    def close(self) -> None:
        """Stop accepting and close the listening socket (idempotent)."""
        if self._closed:
            return
        self._closed = True
        stdlib_internals.manager_server_stop(self._server)
        self.gate.close()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self._listener.close()
        self._collections.stop()


def connect(address: tuple[str, int], authkey: bytes) -> Any:
    """Connect once; returns a proxy to the head's BrokerService.

    Raises HeadUnreachable when nothing answers and AuthFailed when the keys (or the protocol
    versions) differ.

    BaseManager's own client path (``connect()``, then the typeid method, which also sends
    incref/decref) opens five connections with a full handshake each before the first call; this
    asks the server to ``create`` the proxy's token over one connection, and the proxy opens the
    second for its calls. The service lives as long as the head, so the proxy keeps no reference
    count (nothing to release when a worker dies).
    """
    forget_connection(address)
    try:
        conn = _client(address, authkey=authkey)
        try:
            ident, exposed = validation.check_created(
                stdlib_internals.manager_call(conn, "create", ("broker",)))
        finally:
            conn.close()
        # The proxy connects on its first call (the keys are known to match by then).
        return stdlib_internals.manager_proxy("broker", tuple(address), ident, "logcrunch",
                                              authkey, exposed)
    except CONNECTION_ERRORS as exc:
        raise HeadUnreachable(f"cannot reach the head at {address[0]}:{address[1]}: "
                              f"{exc or type(exc).__name__}") from None


def forget_connection(address: tuple[str, int]) -> None:
    """Drop this thread's cached proxy connection to ``address``.

    BaseProxy caches one connection per address and thread, so after the head restarts a new
    proxy would reuse the dead socket (BrokenPipeError) unless the cache is cleared.
    """
    cached = stdlib_internals.drop_cached_connection(tuple(address))
    if cached is not None:
        try:
            cached.close()
        except OSError:
            pass


def connect_with_retry(address: tuple[str, int], authkey: bytes, deadline: float,
                       clock: Callable[[], float] = time.monotonic,
                       wait: Callable[[float], Any] = time.sleep,
                       on_retry: Callable[[str, float], None] | None = None) -> Any:
    """Connect, retrying with exponential backoff (0.2 s doubling to 5 s) until ``deadline``.

    ``wait(seconds)`` may be an Event's wait: when it returns True (stop requested) this gives up
    and returns None.
    """
    delay = 0.2
    while True:
        try:
            return connect(address, authkey)
        except HeadUnreachable as exc:
            remaining = deadline - clock()
            if remaining <= 0:
                raise
            if on_retry:
                on_retry(str(exc), min(delay, remaining))
            if wait(min(delay, remaining)):
                return None
            delay = min(delay * 2, 5.0)


def parse_address(text: str, default_port: int) -> tuple[str, int]:
    """``host``, ``host:port`` or ``[v6]:port`` -> (host, port); raises ValueError with advice."""
    host, port = text, default_port
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest.startswith(":"):
            port = _port(rest[1:], text)
    elif text.count(":") == 1:
        host, port_text = text.split(":")
        port = _port(port_text, text)
    if not host:
        raise ValueError(f"{text!r} has no host; write HOST or HOST:PORT, e.g. head01:50070")
    return host, port


def _port(text: str, whole: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise ValueError(f"bad port in {whole!r}; write HOST:PORT with PORT in 0-65535")
    return int(text)
