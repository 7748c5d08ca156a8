"""Rare collections while serving (logcrunch.serving_gc): on, then back exactly as before."""

import gc

from logcrunch.serving_gc import RareCollections


def test_rare_collections_freeze_raise_the_threshold_and_stop_restores_both():
    before = gc.get_threshold()
    collections = RareCollections(young=40_000, older=(30, 90))
    collections.start()
    try:
        assert gc.get_threshold() == (40_000, 30, 90)
        assert gc.get_freeze_count() > 0
    finally:
        collections.stop()
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_start_and_stop_are_idempotent_and_the_last_user_restores():
    before = gc.get_threshold()
    first, second = RareCollections(), RareCollections()
    first.start()
    first.start()
    second.start()
    first.stop()
    first.stop()
    assert gc.get_threshold()[0] == RareCollections().young  # the second still serves
    second.stop()
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
    second.stop()
    assert gc.get_threshold() == before


def test_a_server_turns_rare_collections_on_while_it_serves(tmp_path):
    from logcrunch.authkey import generate_key, load_key
    from logcrunch.broker import Broker
    from logcrunch.transport import BrokerServer

    before = gc.get_threshold()
    generate_key(tmp_path / "key")
    server = BrokerServer(Broker(), ("127.0.0.1", 0), load_key(tmp_path / "key"))
    try:
        assert gc.get_threshold() == before  # bound, not serving yet
        server.start()
        assert gc.get_threshold()[0] == RareCollections().young
    finally:
        server.close()
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
