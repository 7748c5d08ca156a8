"""Serving the broker over TCP with multiprocessing.managers.BaseManager, and connecting to it.

The server authenticates every connection (HMAC challenge both ways) before it unpickles anything;
a client with the wrong key, a port scanner or a client sending garbage costs one log line and is
dropped without disturbing the other connections. Workers see only `BrokerService`, which stamps
every call with the head's own clock (node clocks may disagree) and exposes only worker calls.
"""

from __future__ import annotations

import logging
import select
import socket
import struct
import threading
import time
from collections.abc import Callable
from multiprocessing import connection, managers
from multiprocessing.context import AuthenticationError
from typing import Any

from logcrunch.broker import Broker, JobInfo, Task
from logcrunch.summary import FileSummary

log = logging.getLogger(__name__)

HANDSHAKE_TIMEOUT = 10.0
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


class AuthFailed(Exception):
    """The head rejected this node's key (or this node rejected the head's)."""


# Errors that mean "the connection to the head is broken", as raised by a proxy call.
CONNECTION_ERRORS = (EOFError, OSError, ConnectionError, BrokenPipeError)


class BrokerService:
    """The worker-facing face of a Broker: head clock, worker calls only."""

    def __init__(self, broker: Broker, clock: Callable[[], float] = time.monotonic) -> None:
        self._broker = broker
        self._clock = clock

    def job(self, worker: str) -> JobInfo | None:
        return self._broker.job(worker, self._clock())

    def lease(self, worker: str, job_id: str, max_files: int | None = None,
              wait: float = 0.0) -> tuple[str, str | None, list[Task]]:
        """Lease tasks; with ``wait`` (a long poll, capped) block until there is work or news."""
        wait = max(0.0, min(float(wait), MAX_LEASE_WAIT, self._broker.lease_seconds / 4))
        conn = getattr(_serving, "conn", None)
        alive = None if conn is None else (lambda: not _peer_hung_up(conn))
        return self._broker.lease_waiting(worker, job_id, self._clock, max_files, wait, alive)

    def heartbeat(self, worker: str, lease_id: str, current: int | None) -> bool:
        return self._broker.heartbeat(worker, lease_id, current, self._clock())

    def complete(self, worker: str, lease_id: str, results: list[tuple[int, FileSummary]],
                 lease_finished: bool = False) -> int:
        return self._broker.complete(worker, lease_id, results, self._clock(), lease_finished)

    def worker_lost(self, worker: str, lease_id: str, current: int | None,
                    reason: str) -> tuple[int, bool]:
        return self._broker.worker_lost(worker, lease_id, current, reason, self._clock())

    def leave(self, worker: str) -> None:
        self._broker.leave(worker, self._clock())


# The connection the current server thread serves (so a long poll can tell its caller left).
_serving = threading.local()


def _peer_hung_up(conn: connection.Connection) -> bool:
    """True when a client waiting for an answer has closed its end (or sent something it should
    not have while waiting): the socket is readable. A live caller sends nothing mid-call."""
    try:
        return bool(select.select([conn.fileno()], [], [], 0)[0])
    except (OSError, ValueError):
        return True


class _GuardedServer(managers.Server):
    """A manager server that logs and drops unauthenticated or broken connections quietly."""

    def serve_client(self, conn: connection.Connection) -> None:
        _serving.conn = conn
        try:
            super().serve_client(conn)
        finally:
            _serving.conn = None

    def accepter(self) -> None:
        while True:
            try:
                conn = self.listener.accept()
                peer = self.listener.last_accepted
            except (OSError, AttributeError):  # AttributeError: the listener was closed meanwhile
                if getattr(self, "_closing", False):
                    return
                continue
            if getattr(self, "_closing", False):
                conn.close()
                return
            threading.Thread(target=self._guarded, args=(conn, peer), daemon=True).start()

    def _guarded(self, conn: connection.Connection, peer: Any) -> None:
        try:
            # A receive timeout on the blocking fd, so a silent client cannot pin the handshake.
            _set_recv_timeout(conn, HANDSHAKE_TIMEOUT)
            _set_socket_option(conn, socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            _enable_keepalive(conn)
            connection.deliver_challenge(conn, self.authkey)
            connection.answer_challenge(conn, self.authkey)
            _set_recv_timeout(conn, 0)
        except AuthenticationError:
            log.warning("rejected a connection from %s: wrong authkey", _peer_text(peer))
            conn.close()
            return
        except (OSError, EOFError, ValueError) as exc:
            # A worker process exiting mid-connect (a reset or EOF) is routine; anything else
            # (garbage, an oversized message) is worth a line, but no alarm.
            routine = isinstance(exc, EOFError | ConnectionResetError | BrokenPipeError)
            log.log(logging.DEBUG if routine else logging.INFO,
                    "dropped a connection from %s during the handshake: %s",
                    _peer_text(peer), str(exc) or type(exc).__name__)
            conn.close()
            return
        try:
            self._dispatch(conn)
        except SystemExit:
            pass
        except Exception:  # never let one client's trouble reach the others
            log.exception("error while serving %s", _peer_text(peer))
        finally:
            conn.close()

    def _dispatch(self, conn: connection.Connection) -> None:
        # The part of managers.Server._handle_request after authentication.
        try:
            request = conn.recv()
            _ignore, funcname, args, kwds = request
            if funcname not in self.public:
                raise ValueError(f"{funcname!r} unrecognized")
            func = getattr(self, funcname)
        except (EOFError, OSError):
            return
        except Exception:
            msg = ("#TRACEBACK", managers.format_exc())
        else:
            try:
                msg = ("#RETURN", func(conn, *args, **kwds))
            except Exception:
                msg = ("#TRACEBACK", managers.format_exc())
        try:
            conn.send(msg)
        except (OSError, EOFError):
            pass


def _set_recv_timeout(conn: connection.Connection, seconds: float) -> None:
    """Set SO_RCVTIMEO and SO_SNDTIMEO (0: none) on a connection's blocking socket."""
    sock = socket.socket(fileno=conn.fileno())  # shares the fd; detached below, never closed
    try:
        whole = int(seconds)
        value = struct.pack("ll", whole, int((seconds - whole) * 1e6))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, value)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, value)
    finally:
        sock.detach()


def _set_socket_option(conn: connection.Connection, level: int, option: int, value: int) -> None:
    sock = socket.socket(fileno=conn.fileno())  # shares the fd; detached below, never closed
    try:
        sock.setsockopt(level, option, value)
    except OSError:
        pass  # not a TCP socket (e.g. in tests): nothing to tune
    finally:
        sock.detach()


# A peer that vanished without a FIN/RST (link cut, node powered off) is noticed after about
# 60 s idle + 3 probes 10 s apart, so its server thread and socket are freed, instead of after
# the kernel's default of two hours.
KEEPALIVE = ((socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1),
             (socket.IPPROTO_TCP, getattr(socket, "TCP_KEEPIDLE", None), 60),
             (socket.IPPROTO_TCP, getattr(socket, "TCP_KEEPINTVL", None), 10),
             (socket.IPPROTO_TCP, getattr(socket, "TCP_KEEPCNT", None), 3))


def _enable_keepalive(conn: connection.Connection) -> None:
    for level, option, value in KEEPALIVE:
        if option is not None:
            _set_socket_option(conn, level, option, value)


def set_call_timeout(proxy: Any, seconds: float) -> None:
    """Bound how long a call may wait for the head, on this connection and on new ones.

    Workers tie it to the job's lease: past that the head has re-leased the work anyway.
    """
    global CALL_TIMEOUT
    CALL_TIMEOUT = seconds
    conn = getattr(getattr(proxy, "_tls", None), "connection", None)
    if conn is not None:
        _set_recv_timeout(conn, seconds)


def _peer_text(peer: Any) -> str:
    if isinstance(peer, tuple) and len(peer) >= 2:
        return f"{peer[0]}:{peer[1]}"
    return str(peer)


def _client(address: tuple[str, int], family: Any = None, authkey: bytes | None = None):
    """Like multiprocessing.connection.Client, with timeouts and TCP keepalive on the socket."""
    sock = _open_socket(address[0], address[1])
    try:
        sock.settimeout(None)  # blocking again: Connection reads the raw fd
        # Messages over 16 KiB go out as header + body; without NODELAY each waits ~40 ms for a
        # delayed ACK, which costs more than everything else a lease round trip does.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn = connection.Connection(sock.detach())
    finally:
        sock.close()
    _enable_keepalive(conn)
    _set_recv_timeout(conn, HANDSHAKE_TIMEOUT)
    if authkey is not None:
        connection.answer_challenge(conn, authkey)
        connection.deliver_challenge(conn, authkey)
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


# Proxies look their client function up by serializer name; ours speaks plain pickle.
managers.listener_client["logcrunch"] = (connection.Listener, _client)


class _ClientManager(managers.BaseManager):
    pass


_ClientManager.register("broker")


class BrokerServer:
    """Serves a BrokerService on ``address`` in background threads of this process."""

    def __init__(self, broker: Broker, address: tuple[str, int], authkey: bytes) -> None:
        service = BrokerService(broker)
        manager_cls = type("_BoundManager", (managers.BaseManager,), {})
        manager_cls.register("broker", callable=lambda: service)
        # Built directly: BaseManager.get_server() ignores a subclass's _Server on Python 3.11.
        try:
            self._server = _GuardedServer(manager_cls._registry, address, authkey, "pickle")
        except OSError as exc:
            raise BindError(f"cannot listen on {address[0]}:{address[1]}: "
                            f"{exc.strerror or exc}; choose another --bind (an address of this "
                            "host and a free port)") from None
        self._thread = threading.Thread(target=self._server.accepter, daemon=True,
                                        name="logcrunch-accepter")
        self._server.stop_event = threading.Event()

    @property
    def address(self) -> tuple[str, int]:
        return self._server.address

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        """Stop accepting and close the listening socket (idempotent)."""
        if getattr(self._server, "_closing", False):
            return
        self._server._closing = True
        self._server.stop_event.set()
        listening = self._server.listener._listener._socket
        try:
            # close() alone does not wake a thread blocked in accept(); shutdown() does, so no
            # late client is left in the backlog waiting for a handshake that never comes.
            listening.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            self._server.listener.close()
        except OSError:
            pass
        self._thread.join(timeout=5)


def connect(address: tuple[str, int], authkey: bytes) -> Any:
    """Connect once; returns a proxy to the head's BrokerService.

    Raises HeadUnreachable when nothing answers and AuthFailed when the keys differ.

    BaseManager's own client path (``connect()``, then the typeid method, which also sends
    incref/decref) opens five connections with a full challenge handshake each before the first
    call; this asks the server to ``create`` the proxy's token over one connection, and the proxy
    opens the second for its calls. The service lives as long as the head, so the proxy keeps no
    reference count (nothing to release when a worker dies).
    """
    forget_connection(address)
    try:
        conn = _client(address, authkey=authkey)
        try:
            ident, exposed = managers.dispatch(conn, None, "create", ("broker",))
        finally:
            conn.close()
        # The proxy connects on its first call (the keys are known to match by then).
        token = managers.Token("broker", tuple(address), ident)
        return managers.AutoProxy(token, "logcrunch", authkey=authkey, exposed=exposed,
                                  incref=False)
    except AuthenticationError:
        raise AuthFailed(
            "authentication failed: this node's authkey differs from the head's"
        ) from None
    except CONNECTION_ERRORS as exc:
        raise HeadUnreachable(f"cannot reach the head at {address[0]}:{address[1]}: "
                              f"{exc or type(exc).__name__}") from None


def forget_connection(address: tuple[str, int]) -> None:
    """Drop this thread's cached proxy connection to ``address``.

    BaseProxy caches one connection per address and thread, so after the head restarts a new
    proxy would reuse the dead socket (BrokenPipeError) unless the cache is cleared.
    """
    cached = managers.BaseProxy._address_to_local.get(tuple(address))
    if cached is not None:
        local = cached[0]
        connection_ = getattr(local, "connection", None)
        if connection_ is not None:
            try:
                connection_.close()
            except OSError:
                pass
            del local.connection


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
