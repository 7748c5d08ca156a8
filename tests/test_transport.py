"""The transport's client: how many connections a worker opens, and what a wrong key gets."""

import subprocess
import sys
import threading

import pytest

from logcrunch import stdlib_internals, transport
from logcrunch.broker import Broker
from tests.helpers import child_env, wait_until


@pytest.fixture
def served():
    """A BrokerServer on loopback in this process."""
    broker = Broker()
    broker.add_task("/logs/a.log", 10)
    broker.close_submissions()
    server = transport.BrokerServer(broker, ("127.0.0.1", 0), b"k" * 32)
    server.start()
    try:
        yield server, broker
    finally:
        server.close()


def test_a_worker_connection_costs_two_handshakes_then_calls_reuse_it(served):
    server, broker = served
    proxy = transport.connect(server.address, b"k" * 32)
    job = proxy.job("w")
    state, _lease, tasks = proxy.lease("w", job.job_id)
    assert state == "work" and [t.path for t in tasks] == ["/logs/a.log"]
    proxy.heartbeat("w", _lease, None)
    # one connection to create the proxy, one that the proxy keeps for every call
    assert server.gate.stats.authenticated == 2


class _StallingBroker(Broker):
    """A broker whose heartbeat waits for the test's word, so the head can stop mid-call."""

    def __init__(self):
        super().__init__()
        self.entered, self.release = threading.Event(), threading.Event()

    def heartbeat(self, *args, **kwargs):
        self.entered.set()
        assert self.release.wait(10)
        return super().heartbeat(*args, **kwargs)


def test_a_head_stopping_mid_call_answers_that_call_and_then_only_hangs_up():
    broker = _StallingBroker()
    server = transport.BrokerServer(broker, ("127.0.0.1", 0), b"k" * 32)
    server.start()
    outcome = {}

    def call():  # a proxy's connection belongs to the thread that called through it
        proxy = transport.connect(server.address, b"k" * 32)
        outcome["answer"] = proxy.heartbeat("w", "ab12", None)
        outcome["raw"] = stdlib_internals.proxy_connection(proxy)._conn

    caller = threading.Thread(target=call)
    caller.start()
    try:
        assert broker.entered.wait(10)
        stdlib_internals.manager_server_stop(server._server)  # the head stops mid-call
        broker.release.set()
        caller.join(10)
        assert outcome["answer"] is False  # that call is answered
        raw = outcome["raw"]
        assert raw.poll(10), "the head neither hung up nor sent anything"
        with pytest.raises(EOFError):  # no second answer left for the next call to read
            raw.recv_bytes()
    finally:
        broker.release.set()
        server.close()


def test_a_call_over_the_message_limit_ends_its_connection_and_nothing_floods_back(
        served, monkeypatch):
    from logcrunch import channel

    server, _broker = served
    monkeypatch.setattr(channel, "MAX_MESSAGE_BYTES", 1000)  # (before the head's next read)
    proxy = transport.connect(server.address, b"k" * 32)
    proxy.job("w")
    with pytest.raises((EOFError, ConnectionError)):  # once: a traceback, then one per read
        proxy.job("w" * 5000)
    worker = transport.connect(server.address, b"k" * 32)  # the head serves the others on
    assert worker.job("w2") is not None


def test_a_wrong_key_is_refused_as_auth_failed(served):
    server, _broker = served
    with pytest.raises(transport.AuthFailed):
        transport.connect(server.address, b"x" * 32)


def test_nobody_listening_is_head_unreachable(served):
    server, _broker = served
    host, port = server.address
    server.close()
    with pytest.raises(transport.HeadUnreachable):
        transport.connect((host, port), b"k" * 32)


def test_a_worker_killed_while_long_polling_is_not_handed_a_lease():
    broker = Broker(lease_seconds=30)  # a job whose task comes only after the worker died
    dead_end = transport.BrokerServer(broker, ("127.0.0.1", 0), b"k" * 32)
    dead_end.start()
    host, port = dead_end.address
    child = subprocess.Popen([sys.executable, "-c", (
        "from logcrunch import transport\n"
        f"p = transport.connect(({host!r}, {port}), {b'k' * 32!r})\n"
        "job = p.job('w1')\n"
        "p.lease('w1', job.job_id, None, 2.0)\n")], env=child_env())
    try:
        wait_until(lambda: len(broker._work._waiters) == 1, "the lease call waiting in the head")
        child.kill()  # SIGKILL, as a batch system does
        child.wait(timeout=10)
        broker.add_task("/logs/a.log", 10)
        live = transport.connect((host, port), b"k" * 32)
        job = live.job("w2")
        state, _lease, tasks = live.lease("w2", job.job_id, None, 2.0)
        assert state == "work" and [t.path for t in tasks] == ["/logs/a.log"]
        assert broker._table.task(tasks[0].task_id).attempts == 0  # nothing counted against the file
    finally:
        child.kill()
        dead_end.close()


def test_the_lease_wait_is_capped_by_the_head(monkeypatch):
    broker = Broker(lease_seconds=2)
    asked = []
    monkeypatch.setattr(broker, "lease_waiting", lambda *args: asked.append(args[4]) or ("wait",))
    service = transport.BrokerService(broker)
    service.lease("w", broker.job_id, None, 3600)
    broker.lease_seconds = 3600
    service.lease("w", broker.job_id, None, 3600)
    service.lease("w", broker.job_id, None, -5)
    # a quarter of the lease (the worker must still count as alive), at most MAX_LEASE_WAIT
    assert asked == [0.5, transport.MAX_LEASE_WAIT, 0.0]
