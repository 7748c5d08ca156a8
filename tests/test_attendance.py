"""Attendance: who has heard the job is over, and the grace for a replacement process."""

from logcrunch.attendance import RESTART_GRACE_SECONDS, Attendance, node_of


def test_a_worker_seen_lately_is_waited_for_until_it_hears_done():
    seen = Attendance(lease_seconds=10)
    seen.touch("h:1:11", now=0)
    assert seen.not_told_done(now=5) == 1 and seen.connected(now=5) == 1
    seen.told_done("h:1:11")
    assert seen.not_told_done(now=5) == 0 and seen.connected(now=5) == 0


def test_a_worker_not_seen_for_a_lease_is_no_longer_waited_for():
    seen = Attendance(lease_seconds=10)
    seen.touch("h:1:11", now=0)
    assert seen.not_told_done(now=10.5) == 0
    assert seen.last_contact() == 0 and seen.active(now=10.5, within=20) == 1


def test_a_lost_process_is_waited_for_through_the_grace_until_its_replacement_hears_done():
    seen = Attendance(lease_seconds=10)
    seen.touch("h:1:11", now=0)
    seen.lost("h:1:11", now=1, settled=False)
    assert seen.not_told_done(now=1.5) == 1
    assert seen.grace_ends(now=1.5) == [1 + RESTART_GRACE_SECONDS]
    seen.touch("h:1:12", now=2)  # the replacement, of the same node
    seen.told_done("h:1:12")
    assert seen.not_told_done(now=2) == 0 and seen.grace_ends(now=2) == []


def test_the_grace_ends_on_its_own_and_a_settled_loss_has_none():
    seen = Attendance(lease_seconds=10)
    seen.touch("h:1:11", now=0)
    seen.lost("h:1:11", now=1, settled=False)
    assert seen.not_told_done(now=1 + RESTART_GRACE_SECONDS + 0.01) == 0
    settled = Attendance(lease_seconds=10)
    settled.touch("h:2:21", now=2)
    settled.lost("h:2:21", now=2, settled=True)
    assert settled.not_told_done(now=2) == 0


def test_a_process_of_another_node_or_seen_before_the_loss_is_no_replacement():
    seen = Attendance(lease_seconds=10)
    seen.touch("h:1:10", now=0)  # same node, but seen before the loss
    seen.touch("h:1:11", now=0)
    seen.lost("h:1:11", now=1, settled=False)
    seen.told_done("h:1:10")
    seen.touch("h:2:20", now=2)  # another node (same host name: namespaces)
    seen.told_done("h:2:20")
    assert seen.not_told_done(now=2) == 1


def test_node_of_a_process_name():
    assert node_of("host:123:456") == "host:123"
    assert node_of("host:456") == "host"  # a worker from before names itself host:pid
    assert node_of("host") == "host"
