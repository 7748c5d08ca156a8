"""Every place logcrunch relies on the standard library's private or undocumented internals.

The transport keeps BaseManager's design (a `multiprocessing.managers.Server` whose threads call
the broker for proxies) but swaps its wire (see `logcrunch.transport`), which takes parts of
`multiprocessing.managers` and `multiprocessing.connection` that are not documented API; the scanner
reads a regex's parse tree (`re._parser`). Nothing else in logcrunch touches such internals: all of
it is here, one small function per thing, and tests/test_stdlib_internals.py checks each against
the running Python (attribute there and of the type expected, signature, a tiny behaviour), so a
Python upgrade that changes one fails there, loudly and by name, instead of somewhere in a run.

Checked on CPython 3.11.7 (the version this was written and tested on). On another version, run
tests/test_stdlib_internals.py first.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from multiprocessing import connection, managers
from typing import Any

__all__ = [
    "CHECKED_ON", "drop_cached_connection", "exception_answer", "manager_call", "manager_proxy",
    "manager_server", "manager_server_address", "manager_server_class", "manager_server_listener",
    "manager_server_stop", "proxy_connection", "raw_connection", "regex_opcode_names",
    "register_serializer", "service_registry",
]

CHECKED_ON = ("3.11",)

# ----- multiprocessing.managers: the server side ----------------------------------------------


def manager_server_class() -> type:
    """`multiprocessing.managers.Server` (undocumented), for transport's server to subclass.

    What the subclass relies on: ``__init__(registry, address, authkey, serializer)`` builds
    ``self.listener`` as ``listener_client[serializer][0](address=..., backlog=...)`` and sets
    ``self.address`` from it; ``create(c, typeid, /, *args)`` returns ``(ident, exposed)``;
    ``accept_connection(c, name)`` answers ``('#RETURN', None)`` and then runs
    ``serve_client(c)``, which serves one connection until EOF or ``stop_event`` is set and looks
    names the object does not expose up in the class attribute ``fallback_mapping``.
    Checked on CPython 3.11.7.
    """
    return managers.Server


def manager_server(server_cls: type, registry: dict, address: Any, authkey: bytes,
                   serializer: str) -> Any:
    """Build a Server (of `manager_server_class`) that is served without ``serve_forever``.

    ``serve_client`` loops while ``self.stop_event`` is not set, and only ``serve_forever``
    (which we do not call: our gate accepts the connections) creates that Event; so it is set
    here. Checked on CPython 3.11.7.
    """
    import threading

    server = server_cls(registry, address, authkey, serializer)
    server.stop_event = threading.Event()
    return server


def manager_server_stop(server: Any) -> None:
    """Make the server's threads leave their ``serve_client`` loop (its ``stop_event``, see
    `manager_server`). Checked on CPython 3.11.7."""
    server.stop_event.set()


def manager_server_listener(server: Any) -> Any:
    """The listener a Server built from ``listener_client`` (its ``listener`` attribute): ours,
    so transport reaches its socket. Checked on CPython 3.11.7."""
    return server.listener


def manager_server_address(server: Any) -> Any:
    """The address a Server copied from its listener (its ``address`` attribute).
    Checked on CPython 3.11.7."""
    return server.address


def service_registry(typeid: str, factory: Callable[[], Any]) -> dict:
    """The registry a Server takes: what ``BaseManager.register(typeid, callable=factory)``
    stores in the private class attribute ``_registry`` of a fresh BaseManager subclass
    (``typeid -> (callable, exposed, method_to_typeid, proxytype)``). Built directly because
    ``BaseManager.get_server()`` ignores a subclass's ``_Server`` on Python 3.11.
    Checked on CPython 3.11.7.
    """
    manager_cls = type("_BoundManager", (managers.BaseManager,), {})
    manager_cls.register(typeid, callable=factory)
    return manager_cls._registry


def exception_answer(message: Any) -> BaseException | None:
    """The exception in a Server's answer ``('#ERROR', exception)``, else None.

    ``serve_client`` answers a call whose method raised with the exception object itself (for
    pickle to carry); our wire carries data only, so the channel sends its text instead. Any
    two-item tuple holding an exception counts (the Server sends no other such answer).
    Checked on CPython 3.11.7.
    """
    if isinstance(message, tuple) and len(message) == 2 and isinstance(message[1], BaseException):
        return message[1]
    return None


def register_serializer(name: str, listener: Callable[..., Any],
                        client: Callable[..., Any]) -> None:
    """Make a Server built with ``serializer=name`` listen with ``listener(address=...,
    backlog=...)`` and proxies of it connect with ``client(address, authkey=...)``: the
    undocumented module dict ``managers.listener_client`` both look their pair up in.
    Checked on CPython 3.11.7.
    """
    managers.listener_client[name] = (listener, client)


# ----- multiprocessing.managers: the client side ----------------------------------------------


def manager_call(conn: Any, method: str, args: tuple = ()) -> Any:
    """Call a Server-level method (``create``, ...) over ``conn`` and return its result:
    ``managers.dispatch`` (undocumented) sends ``(None, method, args, {})`` and returns the
    value of a ``('#RETURN', value)`` answer (raises on any other). Checked on CPython 3.11.7.
    """
    return managers.dispatch(conn, None, method, args)


def manager_proxy(typeid: str, address: Any, ident: str, serializer: str, authkey: bytes,
                  exposed: tuple[str, ...]) -> Any:
    """A proxy for the object ``ident`` that a Server at ``address`` created.

    ``managers.Token`` and ``managers.AutoProxy`` are undocumented. With ``exposed`` given and
    ``incref=False`` the proxy opens nothing until its first call; then it connects with the
    serializer's client, sends ``accept_connection`` and keeps that connection for its thread
    (see `proxy_connection`). Checked on CPython 3.11.7.
    """
    token = managers.Token(typeid, address, ident)
    return managers.AutoProxy(token, serializer, authkey=authkey, exposed=exposed, incref=False)


def proxy_connection(proxy: Any) -> Any:
    """The connection a proxy uses in this thread (``proxy._tls.connection``), or None before
    its first call. Checked on CPython 3.11.7."""
    return getattr(getattr(proxy, "_tls", None), "connection", None)


def drop_cached_connection(address: Any) -> Any:
    """Remove this thread's cached proxy connection to ``address`` and return it (or None).

    Proxies share one connection per address and thread through the private class dict
    ``BaseProxy._address_to_local`` (``address -> (thread-local with .connection, id set)``);
    after the head restarts, a new proxy would reuse the dead socket unless it is dropped.
    Checked on CPython 3.11.7.
    """
    cached = managers.BaseProxy._address_to_local.get(address)
    if cached is None:
        return None
    local = cached[0]
    conn = getattr(local, "connection", None)
    if conn is not None:
        del local.connection
    return conn


# ----- multiprocessing.connection ------------------------------------------------------------


def raw_connection(fd: int) -> connection.Connection:
    """A `multiprocessing.connection.Connection` that owns the socket descriptor ``fd`` (its
    constructor is undocumented: the docs only make Connections with Pipe, Client and Listener).
    Its length-prefixed framing is what our channel sends its messages with.
    Checked on CPython 3.11.7.
    """
    return connection.Connection(fd)


# ----- re ------------------------------------------------------------------------------------


def regex_opcode_names(pattern: re.Pattern) -> Iterator[str]:
    """The names of the operations in ``pattern``'s parse tree (``AT``, ``ASSERT``, ``LITERAL``,
    ...), nested groups, repeats and branches included.

    ``re._parser`` (private; ``sre_parse`` before 3.11) parses into ``SubPattern`` objects: lists
    of ``(opcode, argument)`` whose opcode's ``str`` is its name and whose argument may hold
    SubPatterns, directly or in a list (a branch's alternatives). Raises whatever the parser raises.
    Checked on CPython 3.11.7.
    """
    from re import _parser  # type: ignore[attr-defined]

    def walk(items) -> Iterator[str]:
        for op, argument in items:
            yield str(op)
            for value in argument if isinstance(argument, tuple | list) else (argument,):
                if isinstance(value, _parser.SubPattern):
                    yield from walk(value)
                if isinstance(value, list):
                    for element in value:
                        if isinstance(element, _parser.SubPattern):
                            yield from walk(element)

    return walk(_parser.parse(pattern.pattern, pattern.flags))

