"""The handshake, the per-message tags and the gate's deadlines and cap, on loopback sockets."""

import logging
import socket
import threading
import time
from multiprocessing import connection
from multiprocessing.context import AuthenticationError

import pytest

from logcrunch import channel
from tests.helpers import closed_by_peer, wait_until

KEY = b"k" * 32


class GateOnLoopback:
    """A Gate in a thread; authenticated sockets are kept for the test to use."""

    def __init__(self, **options):
        self.listening = socket.create_server(("127.0.0.1", 0))
        self.address = self.listening.getsockname()
        self.accepted = []
        self.gate = channel.Gate(self.listening, KEY,
                                 lambda sock, peer, keys: self.accepted.append((sock, keys)),
                                 **options)
        self.thread = threading.Thread(target=self.gate.run, daemon=True)
        self.thread.start()

    def close(self):
        self.gate.close()
        self.thread.join(timeout=10)
        self.listening.close()
        for sock, _keys in self.accepted:
            sock.close()


@pytest.fixture
def gate():
    made = []

    def make(**options):
        made.append(GateOnLoopback(**options))
        return made[-1]

    yield make
    for one in made:
        one.close()


def connect(address, key=KEY):
    sock = socket.create_connection(address, timeout=10)
    keys = channel.client_handshake(sock, key, f"{address[0]}:{address[1]}")
    return sock, keys


def test_both_sides_prove_the_key_and_agree_on_per_direction_keys(gate):
    served = gate()
    sock, keys = connect(served.address)
    wait_until(lambda: served.accepted, "the gate to hand the connection over")
    _server_sock, server_keys = served.accepted[0]
    assert keys == server_keys and keys.to_head != keys.to_worker
    sock.close()


def test_a_wrong_key_is_rejected_and_said_so(gate):
    served = gate()
    with pytest.raises(channel.AuthFailed, match="rejected this node's authkey"):
        connect(served.address, b"x" * 32)
    assert served.gate.stats.rejected == 1 and not served.accepted


def test_a_head_that_cannot_prove_the_key_is_not_trusted():
    listening = socket.create_server(("127.0.0.1", 0))

    def impostor():
        conn, _ = listening.accept()
        with conn:
            conn.sendall(channel._frame(channel.CHALLENGE + channel.SERVER_MARK + b"n" * 17))
            conn.recv(1024)
            conn.sendall(channel._frame(channel.WELCOME + b"\x00" * 32))

    threading.Thread(target=impostor, daemon=True).start()
    with pytest.raises(channel.AuthFailed, match="could not prove"):
        connect(listening.getsockname())
    listening.close()


def test_a_new_worker_refuses_an_old_pickle_head_and_says_which_to_upgrade():
    listener = connection.Listener(("127.0.0.1", 0), authkey=KEY)

    def old_head():
        try:
            listener.accept()
        except (AuthenticationError, OSError, EOFError):
            pass

    threading.Thread(target=old_head, daemon=True).start()
    with pytest.raises(channel.ProtocolMismatch, match="upgrade logcrunch on the head"):
        connect(listener.address)
    listener.close()


def test_an_old_pickle_worker_with_the_right_key_is_told_apart_from_a_wrong_key(gate, caplog):
    served = gate()
    caplog.set_level(logging.WARNING, logger="logcrunch.channel")
    for key in (KEY, b"x" * 32):
        old = connection.Connection(socket.create_connection(served.address).detach())
        with pytest.raises(AuthenticationError):
            connection.answer_challenge(old, key)  # what a worker from before does first
        old.close()
    wait_until(lambda: served.gate.stats.rejected == 2, "both rejections")
    assert "runs an older logcrunch (the pickle protocol" in caplog.text
    assert "wrong authkey" in caplog.text


def test_a_silent_connection_is_closed_at_the_deadline(gate):
    served = gate(deadline_seconds=0.5)
    silent = socket.create_connection(served.address)
    took = closed_by_peer(silent, 10)
    assert took is not None and took < 5
    assert served.gate.stats.timed_out == 1


def test_trickling_does_not_extend_the_deadline(gate):
    served = gate(deadline_seconds=1.0)
    trickler = socket.create_connection(served.address)
    stop = threading.Event()

    def trickle():
        try:
            while not stop.wait(0.1):
                trickler.send(b"\x00")
        except OSError:
            pass

    threading.Thread(target=trickle, daemon=True).start()
    try:
        took = closed_by_peer(trickler, 10)
    finally:
        stop.set()
    assert took is not None and took < 5


def test_past_the_cap_the_oldest_handshake_is_closed_and_a_real_worker_still_gets_in(gate):
    served = gate(max_pending=4, deadline_seconds=60)
    silent = [socket.create_connection(served.address) for _ in range(6)]
    wait_until(lambda: served.gate.stats.evicted == 2, "two evictions")
    assert closed_by_peer(silent[0], 5) is not None and closed_by_peer(silent[1], 5) is not None
    sock, _keys = connect(served.address)  # evicts one more and completes at once
    wait_until(lambda: served.accepted, "the real worker to be handed over")
    assert served.gate.pending <= 4
    for one in silent + [sock]:
        one.close()


def test_a_flood_from_one_address_cannot_evict_a_slow_worker_from_another(gate):
    served = gate(max_pending=8, deadline_seconds=60)

    def from_flooder():
        return socket.create_connection(served.address, source_address=("127.0.0.2", 0))

    flood = [from_flooder() for _ in range(8)]
    slow = socket.create_connection(served.address)  # from 127.0.0.1, and it takes its time
    slow.settimeout(10)
    challenge = channel._recv_frame(slow, time.monotonic() + 10)
    flood += [from_flooder() for _ in range(50)]  # each one over the cap evicts a flooder
    wait_until(lambda: served.gate.stats.evicted == 51, "the flood's evictions")
    nonce = challenge[len(channel.CHALLENGE) + len(channel.SERVER_MARK):]
    client_nonce = b"c" * channel.CLIENT_NONCE_BYTES
    slow.sendall(channel._frame(channel.CLIENT_MARK + client_nonce + channel._label_digest(
        KEY, b"worker", nonce, client_nonce)))
    assert channel._recv_frame(slow, time.monotonic() + 10).startswith(channel.WELCOME)
    for one in flood + [slow]:
        one.close()


def secure_pair(served):
    sock, keys = connect(served.address)
    wait_until(lambda: served.accepted, "the gate to hand the connection over")
    server_sock, server_keys = served.accepted[-1]
    worker = channel.SecureConnection(connection.Connection(sock.detach()), keys.to_head,
                                      keys.to_worker, "head", server=False)
    head = channel.SecureConnection(connection.Connection(server_sock.detach()),
                                    server_keys.to_worker, server_keys.to_head, "worker",
                                    server=True)
    return worker, head


def test_messages_travel_with_tags_and_in_order(gate):
    worker, head = secure_pair(gate())
    worker.send([None, "create", ["broker"], {}])
    worker.send([None, "accept_connection", ["w"], {}])
    assert head.recv() == [None, "create", ["broker"], {}]
    assert head.recv() == [None, "accept_connection", ["w"], {}]
    head.send(("#RETURN", None))
    assert worker.recv() == ["#RETURN", None]


def test_an_injected_or_replayed_frame_closes_the_connection(gate):
    worker, head = secure_pair(gate())
    worker.send([None, "create", ["broker"], {}])
    raw = head._conn.recv_bytes()  # what a relay saw go by
    head._received += 1
    worker._conn.send_bytes(raw)  # replayed: the tag was for message 0
    with pytest.raises(channel.ChannelClosed):
        head.recv()
    assert head.closed


def test_an_authenticated_peer_sending_a_pickle_is_cut_off(gate):
    import pickle

    worker, head = secure_pair(gate())
    payload = pickle.dumps(("#RETURN", None))
    worker._conn.send_bytes(channel.hmac.digest(worker._send_key, (0).to_bytes(8, "big")
                                                + payload, "sha256") + payload)
    with pytest.raises(channel.ChannelClosed, match="not a protocol message"):
        head.recv()


def test_a_worker_only_accepts_return_and_traceback_replies(gate):
    worker, head = secure_pair(gate())
    head.send(("#PROXY", [["job"], None]))
    with pytest.raises(channel.PeerMisbehaved):
        worker.recv()


def test_an_exception_reply_travels_as_its_text_only(gate):
    worker, head = secure_pair(gate())
    head.send(("#ERROR", ValueError("bad argument\n\x1b[2J2026-12-01 INFO job done")))
    with pytest.raises(channel.PeerMisbehaved) as refused:
        worker.recv()
    message = str(refused.value)
    assert "refused the call: " in message and "\n" not in message and "\x1b" not in message


def test_a_message_to_the_worker_that_fails_its_tag_is_a_broken_connection(gate):
    worker, head = secure_pair(gate())
    head._send_key = b"not the session key".ljust(32)
    head.send(("#RETURN", None))
    with pytest.raises(channel.ChannelClosed):  # an EOFError: the worker reconnects
        worker.recv()


def test_a_message_waiting_before_a_call_is_a_broken_connection_and_nothing_is_sent(gate,
                                                                                     caplog):
    worker, head = secure_pair(gate())
    head.send(("#RETURN", None))  # an answer to no call (a stopping head's, once)
    wait_until(lambda: worker.poll(0), "the stray answer to arrive")
    with pytest.raises(channel.ChannelClosed):  # an EOFError: the worker reconnects
        worker.send([None, "job", ["w"], {}])
    assert worker.closed
    assert "held a message no call asked for" in caplog.text  # said, unlike a plain close
    with pytest.raises((EOFError, ConnectionError)):
        head.recv()  # the call never left: the head sees the worker hang up, nothing else


def test_a_call_on_a_connection_the_head_closed_fails_before_it_is_sent(gate, caplog):
    worker, head = secure_pair(gate())
    head.close()
    wait_until(lambda: worker.poll(0), "the head's close to arrive")
    with pytest.raises(EOFError):
        worker.send([None, "job", ["w"], {}])
    assert "no call asked for" not in caplog.text  # every job's end: not worth a warning


def test_the_head_ends_a_connection_whose_message_is_over_the_limit(gate, monkeypatch):
    worker, head = secure_pair(gate())
    monkeypatch.setattr(channel, "MAX_MESSAGE_BYTES", 1000)
    worker.send([None, "complete", ["w", "ab12", "x" * 2000], {}])
    with pytest.raises(channel.ChannelClosed, match="could not be read"):
        head.recv()  # an EOFError: the serving loop ends, answering nothing
    assert head.closed
