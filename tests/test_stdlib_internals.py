"""The standard library internals logcrunch relies on (logcrunch.stdlib_internals), one test each.

Each test checks the thing is there, shaped as expected (type, signature) and behaves as relied on,
and fails with a message naming what changed, so a Python upgrade that breaks one says so here.
"""

import inspect
import re
import socket
import struct
import sys
import threading
from multiprocessing import connection, managers

import pytest

from logcrunch import stdlib_internals
from logcrunch.stdlib_internals import CHECKED_ON

TEST_SERIALIZER = "logcrunch-internals-test"


def loud(condition, what):
    if not condition:
        pytest.fail(f"Python {sys.version.split()[0]} changed {what}; "
                    f"logcrunch.stdlib_internals relies on it (checked on "
                    f"{', '.join(CHECKED_ON)}): re-check that module", pytrace=False)


def parameters(func):
    return [(p.name, p.kind) for p in inspect.signature(func).parameters.values()]


def names_of(func):
    return [name for name, _kind in parameters(func)]


POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


class Scripted:
    """A connection that hands out ``incoming`` to recv (then EOF) and records what is sent."""

    def __init__(self, *incoming):
        self.incoming = list(incoming)
        self.sent = []
        self.closed = False

    def send(self, message):
        self.sent.append(message)

    def recv(self):
        if not self.incoming:
            raise EOFError
        return self.incoming.pop(0)

    def close(self):
        self.closed = True


class FakeListener:
    def __init__(self, address, backlog):
        self.address = ("listening", address)
        self.backlog = backlog


class Service:
    def add_one(self, number):
        return number + 1

    def boom(self):
        raise ValueError("boom from the service")


@pytest.fixture
def serializer():
    """A serializer name registered for the test (and removed after it)."""
    clients = []

    def client(address, authkey=None):
        conn = Scripted(("#RETURN", None), ("#RETURN", 42), ("#RETURN", None), ("#RETURN", 43))
        clients.append((address, authkey, conn))
        return conn

    stdlib_internals.register_serializer(TEST_SERIALIZER, FakeListener, client)
    yield clients
    managers.listener_client.pop(TEST_SERIALIZER, None)


class Guarded(stdlib_internals.manager_server_class()):
    fallback_mapping: dict = {}  # as transport's server: no '#GETVALUE', __str__, __repr__


def server_with_service(serializer_name=TEST_SERIALIZER):
    registry = stdlib_internals.service_registry("svc", Service)
    return stdlib_internals.manager_server(Guarded, registry, ("h", 1), b"k" * 32, serializer_name)


# ----- the server side ---------------------------------------------------------------------


def test_manager_server_class_has_the_constructor_and_methods_transport_calls():
    server_cls = stdlib_internals.manager_server_class()
    loud(server_cls is getattr(managers, "Server", None), "multiprocessing.managers.Server")
    loud(names_of(server_cls.__init__) == ["self", "registry", "address", "authkey", "serializer"],
         f"the signature of managers.Server.__init__ (now {names_of(server_cls.__init__)})")
    create = parameters(server_cls.create)
    loud([n for n, _ in create[:3]] == ["self", "c", "typeid"] and
         all(kind in POSITIONAL for _, kind in create[:3]) and
         inspect.Parameter.VAR_POSITIONAL in [kind for _, kind in create],
         f"the signature of managers.Server.create (now {create})")
    loud(names_of(server_cls.accept_connection) == ["self", "c", "name"],
         "the signature of managers.Server.accept_connection")
    loud(names_of(server_cls.serve_client) == ["self", "conn"],
         "the signature of managers.Server.serve_client")
    loud(isinstance(server_cls.__dict__.get("fallback_mapping"), dict),
         "managers.Server.fallback_mapping (a dict class attribute serve_client consults)")
    for ours in ("_serve", "_dispatch", "serve_authenticated"):  # transport's subclass adds these
        loud(not hasattr(server_cls, ours), f"managers.Server: it now has its own {ours!r}, "
                                            "which transport's _GuardedServer would override")


def test_manager_server_serves_a_connection_as_transport_relies_on(serializer):
    server = server_with_service()
    ident, exposed = server.create(Scripted(), "svc")
    loud(isinstance(ident, str) and set(exposed) == {"add_one", "boom"},
         f"what managers.Server.create returns (now {(ident, exposed)!r})")
    conn = Scripted([ident, "add_one", (2,), {}], [ident, "boom", (), {}],
                    [ident, "__str__", (), {}], [ident, "_private", (), {}])
    with pytest.raises(SystemExit) as ended:  # EOF ends the serving thread
        server.accept_connection(conn, "a-proxy")
    loud(ended.value.code == 0, "how serve_client ends on EOF (sys.exit(0))")
    kinds = [message[0] for message in conn.sent]
    loud(kinds == ["#RETURN", "#RETURN", "#ERROR", "#TRACEBACK", "#TRACEBACK"],
         f"the answers of accept_connection/serve_client (now {kinds})")
    loud(conn.sent[0] == ("#RETURN", None) and conn.sent[1] == ("#RETURN", 3),
         f"the '#RETURN' answers (now {conn.sent[:2]!r})")
    loud(isinstance(conn.sent[2][1], ValueError),
         "serve_client's answer to a call that raised: ('#ERROR', the exception)")


def test_manager_server_sets_the_stop_event_that_serve_client_loops_on(serializer):
    server = server_with_service()
    loud(isinstance(server.stop_event, threading.Event) and not server.stop_event.is_set(),
         "managers.Server.stop_event")
    ident, _ = server.create(Scripted(), "svc")
    stdlib_internals.manager_server_stop(server)
    conn = Scripted([ident, "add_one", (1,), {}])
    server.serve_client(conn)  # returns at once: stopped
    loud(conn.sent == [] and len(conn.incoming) == 1,
         "serve_client's loop on stop_event (it served a stopped server)")


def test_manager_server_builds_its_listener_from_the_registered_serializer(serializer):
    server = server_with_service()
    listener = stdlib_internals.manager_server_listener(server)
    loud(isinstance(listener, FakeListener) and listener.address == ("listening", ("h", 1)),
         "managers.Server.listener (built as listener_client[serializer][0](address=...))")
    loud(isinstance(listener.backlog, int), "the backlog managers.Server passes its Listener")
    loud(stdlib_internals.manager_server_address(server) == ("listening", ("h", 1)),
         "managers.Server.address (copied from its listener)")


def test_service_registry_is_what_register_stores_and_leaves_base_manager_alone():
    registry = stdlib_internals.service_registry("svc-only-here", Service)
    entry = registry.get("svc-only-here")
    loud(isinstance(entry, tuple) and len(entry) == 4 and entry[0] is Service,
         f"BaseManager._registry's entries (callable, exposed, method_to_typeid, proxytype): "
         f"now {entry!r}")
    loud("svc-only-here" not in managers.BaseManager._registry,
         "BaseManager.register's copy of _registry per subclass")


def test_exception_answer_finds_the_exception_of_a_failed_call(serializer):
    server = server_with_service()
    ident, _ = server.create(Scripted(), "svc")
    conn = Scripted([ident, "boom", (), {}])
    with pytest.raises(SystemExit):
        server.serve_client(conn)
    error = stdlib_internals.exception_answer(conn.sent[0])
    loud(isinstance(error, ValueError) and str(error) == "boom from the service",
         f"serve_client's answer to a call that raised (now {conn.sent[0]!r})")
    assert stdlib_internals.exception_answer(("#RETURN", 1)) is None
    assert stdlib_internals.exception_answer(("#TRACEBACK", "text")) is None
    assert stdlib_internals.exception_answer(["#ERROR", "not an exception"]) is None


def test_register_serializer_puts_the_pair_where_server_and_proxies_look():
    table = getattr(managers, "listener_client", None)
    loud(isinstance(table, dict) and isinstance(table.get("pickle"), tuple) and
         len(table["pickle"]) == 2, "multiprocessing.managers.listener_client")
    try:
        stdlib_internals.register_serializer(TEST_SERIALIZER, FakeListener, print)
        assert managers.listener_client[TEST_SERIALIZER] == (FakeListener, print)
    finally:
        managers.listener_client.pop(TEST_SERIALIZER, None)


# ----- the client side ---------------------------------------------------------------------


def test_manager_call_sends_a_server_request_and_returns_its_value():
    loud(names_of(managers.dispatch)[:3] == ["c", "id", "methodname"],
         f"the signature of managers.dispatch (now {names_of(managers.dispatch)})")
    conn = Scripted(("#RETURN", ("ab12", ["lease"])))
    assert stdlib_internals.manager_call(conn, "create", ("broker",)) == ("ab12", ["lease"])
    loud(conn.sent == [(None, "create", ("broker",), {})],
         f"the request managers.dispatch sends (now {conn.sent!r})")
    with pytest.raises(Exception) as refused:
        stdlib_internals.manager_call(Scripted(("#TRACEBACK", "no such thing")), "create")
    loud("no such thing" in str(refused.value), "how managers.dispatch raises a '#TRACEBACK'")


def test_manager_proxy_connects_on_its_first_call_through_the_serializers_client(serializer):
    loud({"authkey", "exposed", "incref"} <= set(names_of(managers.AutoProxy)),
         "the signature of managers.AutoProxy")
    loud(names_of(managers.Token) == ["typeid", "address", "id"], "managers.Token's fields")
    proxy = stdlib_internals.manager_proxy("svc", ("10.0.0.1", 5), "ab12", TEST_SERIALIZER,
                                           b"k" * 32, ("add_one",))
    loud(serializer == [], "AutoProxy with exposed and incref=False: it connected at creation")
    assert stdlib_internals.proxy_connection(proxy) is None
    answer = proxy.add_one(1)
    loud(answer == 42, f"a proxy method call's result (now {answer!r})")
    loud(len(serializer) == 1, "how often a proxy connects (once per thread)")
    address, authkey, conn = serializer[0]
    loud(address == ("10.0.0.1", 5) and bytes(authkey) == b"k" * 32,
         "the Client call of a proxy: Client(address, authkey=...)")
    loud(conn.sent[0][:2] == (None, "accept_connection") and
         conn.sent[1] == ("ab12", "add_one", (1,), {}),
         f"what a proxy sends on its connection (now {conn.sent!r})")
    loud(stdlib_internals.proxy_connection(proxy) is conn,
         "BaseProxy._tls.connection (this thread's connection of a proxy)")


def test_drop_cached_connection_makes_the_next_proxy_call_reconnect(serializer):
    address = ("10.0.0.2", 6)
    assert stdlib_internals.drop_cached_connection(("10.9.9.9", 1)) is None  # never connected
    proxy = stdlib_internals.manager_proxy("svc", address, "ab12", TEST_SERIALIZER, b"k" * 32,
                                           ("add_one",))
    proxy.add_one(1)
    first = serializer[0][2]
    cache = getattr(managers.BaseProxy, "_address_to_local", None)
    loud(isinstance(cache, dict) and address in cache,
         "BaseProxy._address_to_local (the per-address cache of proxies' connections)")
    loud(stdlib_internals.drop_cached_connection(address) is first,
         "the thread-local .connection in BaseProxy._address_to_local[address][0]")
    loud(stdlib_internals.proxy_connection(proxy) is None,
         "proxies sharing their connection through BaseProxy._address_to_local")
    assert stdlib_internals.drop_cached_connection(address) is None  # already dropped
    proxy.add_one(2)
    loud(len(serializer) == 2, "a proxy reconnecting when its cached connection is gone")


# ----- multiprocessing.connection ------------------------------------------------------------


def test_raw_connection_frames_messages_over_the_socket_and_enforces_maxlength():
    loud(names_of(connection.Connection.__init__)[:2] == ["self", "handle"],
         "the constructor of multiprocessing.connection.Connection (handle first)")
    ours, theirs = socket.socketpair()
    try:
        fd = ours.detach()
        conn = stdlib_internals.raw_connection(fd)
        loud(isinstance(conn, connection.Connection) and conn.fileno() == fd,
             "Connection(fd) owning the descriptor")
        conn.send_bytes(b"hello")
        other = stdlib_internals.raw_connection(theirs.detach())
        assert other.recv_bytes(100) == b"hello"
        conn.send_bytes(b"x" * 64)
        with pytest.raises(OSError):  # the channel's MAX_MESSAGE_BYTES rests on this
            other.recv_bytes(10)
        conn.close()
        other.close()
    finally:
        ours.close()
        theirs.close()


def test_raw_connection_reads_the_length_prefix_a_peer_sends():
    ours, theirs = socket.socketpair()
    try:
        conn = stdlib_internals.raw_connection(ours.detach())
        theirs.sendall(struct.pack("!i", 3) + b"abc")
        loud(conn.recv_bytes(10) == b"abc", "Connection's framing (a 4-byte big-endian length)")
        conn.close()
    finally:
        theirs.close()


# ----- re --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("pattern", "expected"), [
    (r"^a", "AT"), (r"a$", "AT"), (r"\bx", "AT"), (r"\Aabc", "AT"), (r"(?=a)b", "ASSERT"),
    (r"(?<=a)b", "ASSERT"), (r"(?!a)", "ASSERT_NOT"), (r"(?<!a)b", "ASSERT_NOT"),
    (r"(?>ab)", "ATOMIC_GROUP"), (r"a*+", "POSSESSIVE_REPEAT"),
    (r"(a)?(?(1)b|c)", "GROUPREF_EXISTS"),
    (r"x|(y|(?=z))", "ASSERT"), (r"(?:a(?:b(?:^c)))", "AT"), (r"(a|b|(c|\bd))*", "AT"),
])
def test_regex_opcode_names_finds_context_dependent_operations_however_nested(pattern, expected):
    names = set(stdlib_internals.regex_opcode_names(re.compile(pattern.encode())))
    loud(expected in names, f"re._parser's parse tree: {pattern!r} no longer shows {expected} "
                            f"(now {sorted(names)})")


@pytest.mark.parametrize("pattern", [r"took (\d+)", r"a|b", r"[\b]", r"\d\s+[a-z]", r"(?i)abc",
                                     r"a{2,3}?", r"(?P<n>a)(?P=n)", r".*"])
def test_regex_opcode_names_of_plain_patterns_hold_no_context_dependent_operation(pattern):
    names = set(stdlib_internals.regex_opcode_names(re.compile(pattern.encode())))
    context = {"AT", "ASSERT", "ASSERT_NOT", "ATOMIC_GROUP", "POSSESSIVE_REPEAT",
               "GROUPREF_EXISTS"}
    loud(names and names.isdisjoint(context),
         f"re._parser's parse tree of {pattern!r} (now {sorted(names)})")
    loud(all(name.isupper() for name in names),
         f"str() of re._parser's opcodes (their names; now {sorted(names)})")


def test_regex_opcode_names_raises_for_what_the_parser_refuses():
    class NotAPattern:
        pattern, flags = "(unclosed", 0

    with pytest.raises(re.error):
        set(stdlib_internals.regex_opcode_names(NotAPattern()))
