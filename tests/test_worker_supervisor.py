"""The worker node's decisions (logcrunch.worker_supervisor), without processes or a head."""

import signal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from logcrunch.worker_supervisor import (
    RESTART_WINDOW,
    Fail,
    Kill,
    Notify,
    Outcome,
    ReportLoss,
    RestartWindow,
    Spawn,
    Stop,
    Succeed,
    Supervisor,
    death_reason,
)

KILLED = -signal.SIGKILL
HEAD = ("head01", 50070)


def node(processes=2, max_restarts=20, forever=False, window=RESTART_WINDOW):
    """A supervisor whose children are named c0, c1, ... as they start."""
    supervisor = Supervisor(processes, max_restarts, forever, HEAD, 30.0, window)
    for action in supervisor.start():
        assert action == Spawn()
        start_one(supervisor)
    return supervisor


def start_one(supervisor):
    name = f"c{len(supervisor.children)}"
    supervisor.started(name)
    return name


def die(supervisor, name, now=0.0, exitcode=KILLED, ended_job=False, outcome=Outcome.UNSET):
    """``name`` died; the head answers the loss report with ``ended_job``. Returns the actions
    after the report (and the report)."""
    report = supervisor.exited(name, outcome, exitcode)
    assert len(report) == 1 and isinstance(report[0], ReportLoss)
    return report[0], supervisor.loss_answered(name, ended_job, now)


def finish(supervisor, outcome=Outcome.STOPPED):
    """Every live child leaves saying ``outcome``; returns the verdict."""
    for name in supervisor.live:
        supervisor.exited(name, outcome, 0)
    return supervisor.verdict()


def test_start_spawns_one_child_per_process():
    assert Supervisor(3, 20, False, HEAD, 30.0).start() == [Spawn()] * 3


def test_a_child_the_head_told_the_job_is_over_stops_its_siblings_and_the_node_exits_0():
    supervisor = node(3)
    assert supervisor.exited("c1", Outcome.DONE, 0) == [Stop(("c0", "c2"))]
    assert supervisor.end == "job over"
    assert supervisor.state_of("c0") == supervisor.state_of("c2") == "stopping"
    assert supervisor.exited("c0", Outcome.STOPPED, 0) == [Stop(("c2",))]  # told again: harmless
    assert supervisor.exited("c2", Outcome.HEAD_LOST, 1) == []
    assert supervisor.live == []
    assert supervisor.verdict() == Succeed()  # head lost after the job was over: fine


def test_a_child_stopped_from_outside_ends_the_node_like_a_finished_job():
    supervisor = node(2)
    assert supervisor.exited("c0", Outcome.STOPPED, 0) == [Stop(("c1",))]
    assert supervisor.end == "job over"


def test_signal_stops_every_child_and_clean_exits_then_change_nothing():
    supervisor = node(2)
    assert supervisor.signal_received() == [Stop(("c0", "c1"))]
    assert supervisor.mode == "stopping"
    assert supervisor.exited("c0", Outcome.STOPPED, 0) == []
    assert supervisor.exited("c1", Outcome.DONE, 0) == []
    assert supervisor.end == "open"
    assert supervisor.verdict() == Succeed()


def test_a_second_signal_tells_the_children_again():
    supervisor = node(1)
    supervisor.signal_received()
    assert supervisor.signal_received() == [Stop(("c0",))]


def test_a_dead_child_is_reported_with_how_it_died_and_restarted():
    supervisor = node(2)
    report, actions = die(supervisor, "c0")
    assert report == ReportLoss("c0", "killed by SIGKILL")
    assert actions == [Notify("worker process c0 died (killed by SIGKILL); restarting it"),
                       Spawn()]
    assert supervisor.state_of("c0") == "died"
    start_one(supervisor)
    assert supervisor.live == ["c1", "c2"]


def test_the_loss_report_goes_out_before_the_child_counts_as_gone():
    supervisor = node(1)
    supervisor.exited("c0", Outcome.UNSET, 3)
    assert supervisor.state_of("c0") == "lost"
    assert supervisor.live == ["c0"]  # the node does not end while its report is under way


def test_a_child_that_crashed_is_a_death_described_by_its_exit_code():
    supervisor = node(1)
    report, actions = die(supervisor, "c0", exitcode=70, outcome=Outcome.CRASHED)
    assert report == ReportLoss("c0", "exit code 70")
    assert actions[0] == Notify("worker process c0 died (exit code 70); restarting it")


def test_a_child_that_exits_0_without_saying_how_it_ended_died():
    supervisor = node(1)
    report, actions = die(supervisor, "c0", exitcode=0)
    assert report.reason == "exit code 0"
    assert Spawn() in actions


def test_a_child_over_the_file_timeout_is_killed_once_and_reported_as_timed_out():
    supervisor = node(2)
    assert supervisor.overran("c0", 1.0) == [
        Notify("worker process c0 spent over 1 s on one file; killing it"), Kill("c0")]
    assert supervisor.overran("c0", 1.0) == []  # still dying: not killed twice
    assert supervisor.state_of("c0") == "timed out"
    report, actions = die(supervisor, "c0", exitcode=KILLED)
    assert report == ReportLoss("c0", "timed out after 1 s")  # what the head records
    assert actions[0] == Notify("worker process c0 died (killed by SIGKILL); restarting it")


def test_a_child_told_to_stop_can_still_time_out():
    supervisor = node(1)
    supervisor.signal_received()
    assert Kill("c0") in supervisor.overran("c0", 2.5)
    report, actions = die(supervisor, "c0")
    assert report.reason == "timed out after 2.5 s"
    assert actions == [Notify("worker process c0 died (killed by SIGKILL)")]


def test_a_death_that_ended_the_job_restarts_nothing_and_stops_the_siblings():
    supervisor = node(3)
    _, actions = die(supervisor, "c0", ended_job=True)
    assert actions == [Notify("worker process c0 died (killed by SIGKILL); that ended the job"),
                       Stop(("c1", "c2"))]
    assert supervisor.end == "job over"
    assert supervisor.exited("c1", Outcome.HEAD_LOST, 1) == []  # the head closed: expected
    assert finish(supervisor) == Succeed()


def test_a_death_that_ended_the_job_is_restarted_on_a_forever_node():
    supervisor = node(1, forever=True)
    _, actions = die(supervisor, "c0", ended_job=True)
    assert actions == [Notify("worker process c0 died (killed by SIGKILL); restarting it"),
                       Spawn()]
    assert supervisor.end == "open"


def test_a_death_while_stopping_is_reported_but_not_restarted():
    supervisor = node(2)
    supervisor.signal_received()
    report, actions = die(supervisor, "c0")
    assert report == ReportLoss("c0", "killed by SIGKILL")
    assert actions == [Notify("worker process c0 died (killed by SIGKILL)")]
    assert finish(supervisor) == Succeed()


def test_a_death_while_stopping_can_still_end_the_job():
    supervisor = node(2)
    supervisor.signal_received()
    _, actions = die(supervisor, "c0", ended_job=True)
    assert actions[0] == Notify("worker process c0 died (killed by SIGKILL); that ended the job")
    assert supervisor.end == "job over"


def test_deaths_past_max_restarts_within_the_window_make_the_node_give_up():
    supervisor = node(2, max_restarts=2)
    for now in (1.0, 2.0):
        _, actions = die(supervisor, supervisor.live[0], now)
        assert actions[-1] == Spawn()
        start_one(supervisor)
    victim = supervisor.live[0]
    _, actions = die(supervisor, victim, 3.0)
    assert actions == [Notify(f"worker process {victim} died (killed by SIGKILL)")]
    assert supervisor.end == "gave up"
    assert supervisor.live == ["c3"]  # the sibling works on
    assert finish(supervisor, Outcome.HEAD_LOST) == Fail(
        f"worker processes keep dying (2 restarts within {RESTART_WINDOW:.0f} s); "
        "see the messages above")


def test_a_node_that_gave_up_restarts_again_once_the_window_has_passed():
    supervisor = node(2, max_restarts=1, window=10.0)
    die(supervisor, "c0", 0.0)
    start_one(supervisor)
    _, actions = die(supervisor, "c2", 5.0)
    assert Spawn() not in actions and supervisor.end == "gave up"
    _, actions = die(supervisor, "c1", 10.5)  # the restart at 0.0 is out of the window
    assert actions[-1] == Spawn()


def test_a_node_that_gave_up_exits_0_when_a_sibling_hears_the_job_is_over():
    supervisor = node(2, max_restarts=0)
    die(supervisor, "c0")
    assert supervisor.end == "gave up"
    assert supervisor.exited("c1", Outcome.DONE, 0) == []  # no sibling left to stop
    assert supervisor.end == "job over"
    assert supervisor.verdict() == Succeed()


def test_a_node_that_gave_up_and_was_then_stopped_still_fails():
    supervisor = node(2, max_restarts=0)
    die(supervisor, "c0")
    supervisor.signal_received()
    assert finish(supervisor) == Fail(
        f"worker processes keep dying (0 restarts within {RESTART_WINDOW:.0f} s); "
        "see the messages above")


def test_giving_up_after_the_job_is_over_changes_nothing():
    supervisor = node(2, max_restarts=0)
    supervisor.exited("c0", Outcome.DONE, 0)
    _, actions = die(supervisor, "c1")
    assert actions == [Notify("worker process c1 died (killed by SIGKILL)")]
    assert supervisor.verdict() == Succeed()


def test_a_death_after_the_job_is_over_is_still_restarted_as_before():
    # Kept as the node always did it: the replacement asks the head, hears "no job" and leaves.
    supervisor = node(2)
    supervisor.exited("c0", Outcome.DONE, 0)
    _, actions = die(supervisor, "c1")
    assert actions[-1] == Spawn()


def test_a_child_that_could_not_work_with_the_head_fails_the_node_even_after_the_job():
    supervisor = node(2)
    supervisor.exited("c0", Outcome.AUTH_FAILED, 4)
    supervisor.exited("c1", Outcome.DONE, 0)
    assert supervisor.verdict() == Fail(
        "could not work with the head: see the message above (the keys or the versions differ, "
        "or the head broke the protocol)")


def test_a_child_that_lost_the_head_fails_a_running_node_with_the_address():
    supervisor = node(1)
    supervisor.exited("c0", Outcome.HEAD_LOST, 1)
    assert supervisor.verdict() == Fail(
        "lost the head at head01:50070 (or could not reach it) and gave up after 30 s of "
        "retrying; is `logcrunch submit` running there?")


def test_a_child_that_lost_the_head_while_the_node_stops_is_fine():
    supervisor = node(1)
    supervisor.signal_received()
    supervisor.exited("c0", Outcome.HEAD_LOST, 1)
    assert supervisor.verdict() == Succeed()


def test_the_auth_failure_wins_over_a_lost_head():
    supervisor = node(2)
    supervisor.exited("c0", Outcome.HEAD_LOST, 1)
    supervisor.exited("c1", Outcome.AUTH_FAILED, 4)
    assert supervisor.verdict().message.startswith("could not work with the head")


def test_the_verdict_waits_for_the_last_child():
    supervisor = node(1)
    with pytest.raises(AssertionError):
        supervisor.verdict()


@pytest.mark.parametrize(("exitcode", "reason"), [
    (-signal.SIGKILL, "killed by SIGKILL"), (-signal.SIGSEGV, "killed by SIGSEGV"),
    (-200, "killed by signal 200"), (70, "exit code 70"), (0, "exit code 0"),
    (None, "exit code None")])
def test_death_reason_names_the_signal_or_the_exit_code(exitcode, reason):
    assert death_reason(exitcode) == reason


def _increasing(times):
    """Sorted times: the clock a supervisor is given does not go backwards."""
    return sorted(times)


@given(limit=st.integers(0, 5), window=st.floats(0.5, 50.0),
       deaths=st.lists(st.floats(0.0, 200.0), max_size=40).map(_increasing))
def test_restart_window_allows_a_restart_while_fewer_than_limit_are_in_the_window(
        limit, window, deaths):
    counter = RestartWindow(limit, window)
    restarted = []
    for now in deaths:
        expected = sum(1 for then in restarted if now - then <= window) < limit
        assert counter.allows(now) == expected
        if expected:
            counter.record(now)
            restarted.append(now)


@given(limit=st.integers(0, 4), window=st.floats(1.0, 30.0),
       deaths=st.lists(st.floats(0.0, 100.0), min_size=1, max_size=30).map(_increasing))
def test_the_node_restarts_exactly_what_the_window_allows_and_gives_up_otherwise(
        limit, window, deaths):
    supervisor = node(1, max_restarts=limit, window=window)
    restarted = []
    for now in deaths:
        if not supervisor.live:
            break
        name = supervisor.live[0]
        _, actions = die(supervisor, name, now)
        allowed = sum(1 for then in restarted if now - then <= window) < limit
        assert (Spawn() in actions) == allowed
        assert actions[0].message.endswith("; restarting it") == allowed
        if allowed:
            restarted.append(now)
            start_one(supervisor)
    gave_up = not supervisor.live
    assert supervisor.end == ("gave up" if gave_up else "open")
    assert finish(supervisor) == (Fail(
        f"worker processes keep dying ({limit} restarts within {window:.0f} s); "
        "see the messages above") if gave_up else Succeed())


@given(st.lists(st.sampled_from(["done", "stopped", "head lost", "auth failed", "died",
                                 "ended job", "signal", "timeout"]), max_size=30))
def test_no_restart_after_a_signal_and_a_finished_job_stays_finished(events):
    supervisor = node(3, max_restarts=3)
    signalled = over = False
    for now, event in enumerate(events):
        if not supervisor.live:
            break
        name = supervisor.live[0]
        actions = []
        if event == "signal":
            signalled = True
            actions = supervisor.signal_received()
            assert actions == [Stop(tuple(n for n in supervisor.live))]
        elif event == "timeout":
            actions = supervisor.overran(name, 1.0)
        elif event in ("died", "ended job"):
            _, actions = die(supervisor, name, float(now), ended_job=event == "ended job")
            over = over or event == "ended job"
        else:
            outcome = {"done": Outcome.DONE, "stopped": Outcome.STOPPED,
                       "head lost": Outcome.HEAD_LOST, "auth failed": Outcome.AUTH_FAILED}[event]
            actions = supervisor.exited(name, outcome, 0)
            over = over or (event in ("done", "stopped") and not signalled)
        assert not (signalled and Spawn() in actions)
        assert (supervisor.end == "job over") == over
        assert supervisor.mode == ("stopping" if signalled else "running")
        if Spawn() in actions:
            start_one(supervisor)
    verdict = finish(supervisor)
    assert supervisor.live == []
    if "auth failed" in [supervisor.state_of(n) for n in supervisor.children] or (
            supervisor.end == "gave up"):
        assert isinstance(verdict, Fail)
