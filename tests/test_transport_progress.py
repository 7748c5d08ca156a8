"""The heartbeat's bytes-read field over a real connection: forged values are refused or clamped,
and a node of the previous protocol is told apart at the handshake."""

import socket
import threading

import pytest

from logcrunch import channel, transport
from logcrunch.broker import Broker

KEY = b"k" * 32


@pytest.fixture
def leased():
    """A served broker with one 1000-byte task, leased through a real proxy."""
    broker = Broker(lease_seconds=30)
    broker.add_task("/logs/a.log", 1000)
    broker.close_submissions()
    server = transport.BrokerServer(broker, ("127.0.0.1", 0), KEY)
    server.start()
    try:
        proxy = transport.connect(server.address, KEY)
        job = proxy.job("w")
        _state, lease_id, (task,) = proxy.lease("w", job.job_id)
        yield broker, proxy, lease_id, task
    finally:
        server.close()


@pytest.mark.parametrize("forged", [-1, 2**63, True, 1.5, "100", None, [5]])
def test_a_heartbeat_with_a_forged_byte_count_is_refused(leased, forged):
    broker, proxy, lease_id, task = leased
    with pytest.raises(Exception, match="bytes read must be a non-negative integer"):
        proxy.heartbeat("w", lease_id, task.task_id, forged)
    assert broker.progress().bytes_done == 0


def test_a_byte_count_past_the_task_is_clamped_and_a_smaller_one_ignored(leased):
    broker, proxy, lease_id, task = leased
    assert proxy.heartbeat("w", lease_id, task.task_id, 400) is True
    assert broker.progress().bytes_done == 400
    assert proxy.heartbeat("w", lease_id, task.task_id, 2**62) is True
    assert broker.progress().bytes_done == 1000
    assert proxy.heartbeat("w", lease_id, task.task_id, 1) is True
    assert broker.progress().bytes_done == 1000  # never backwards
    assert broker.progress().bytes_total == 1000


def test_a_node_of_the_previous_protocol_hears_both_versions():
    listening = socket.create_server(("127.0.0.1", 0))

    def head_of_protocol_4():
        conn, _ = listening.accept()
        with conn:
            conn.sendall(channel._frame(channel.CHALLENGE + b"LC4" + b"n" * 17))
            conn.recv(1024)

    threading.Thread(target=head_of_protocol_4, daemon=True).start()
    sock = socket.create_connection(listening.getsockname())
    try:
        with pytest.raises(channel.ProtocolMismatch,
                           match=f"speaks logcrunch protocol 4, this node {channel.PROTOCOL}"):
            channel.client_handshake(sock, KEY, "the head")
    finally:
        sock.close()
        listening.close()
    assert channel.PROTOCOL == 5
