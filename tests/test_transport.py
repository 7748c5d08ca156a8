"""The transport's client: how many connections a worker opens, and what a wrong key gets."""

import pytest

from logcrunch import transport
from logcrunch.broker import Broker


@pytest.fixture
def served(monkeypatch):
    """A BrokerServer on loopback in this process, counting the connections it authenticates."""
    handshakes = []
    original = transport._GuardedServer._guarded

    def counting(self, conn, peer):
        handshakes.append(peer)
        return original(self, conn, peer)

    monkeypatch.setattr(transport._GuardedServer, "_guarded", counting)
    broker = Broker()
    broker.add_task("/logs/a.log", 10)
    broker.close_submissions()
    server = transport.BrokerServer(broker, ("127.0.0.1", 0), b"k" * 32)
    server.start()
    try:
        yield server, broker, handshakes
    finally:
        server.close()


def test_a_worker_connection_costs_two_handshakes_then_calls_reuse_it(served):
    server, broker, handshakes = served
    proxy = transport.connect(server.address, b"k" * 32)
    job = proxy.job("w")
    state, _lease, tasks = proxy.lease("w", job.job_id)
    assert state == "work" and [t.path for t in tasks] == ["/logs/a.log"]
    # one connection to create the proxy, one that the proxy keeps for every call
    assert len(handshakes) == 2


def test_a_wrong_key_is_refused_as_auth_failed(served):
    server, _broker, _handshakes = served
    with pytest.raises(transport.AuthFailed):
        transport.connect(server.address, b"x" * 32)


def test_nobody_listening_is_head_unreachable(served):
    server, _broker, _handshakes = served
    host, port = server.address
    server.close()
    with pytest.raises(transport.HeadUnreachable):
        transport.connect((host, port), b"k" * 32)
