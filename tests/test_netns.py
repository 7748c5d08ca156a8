"""The cluster scenarios on a virtual cluster: head and worker hosts in separate network namespaces.

Each host is its own network namespace joined to the head's bridge by a veth pair (see
tests/netns.py); every host reads the same directory, as nodes read a shared disk. Faults come from
LOGCRUNCH_FAULTS (logcrunch/faults.py) and from signals and link cuts. The same scenarios on
loopback are in test_cluster.py. Needs root; skipped with the reason otherwise.
"""

from __future__ import annotations

import itertools
import os
import signal
import time
from pathlib import Path

import pytest

from tests.helpers import (
    Proc,
    assert_matches_truth,
    comparable,
    expect_exits,
    make_key,
    make_tree,
    read_csv,
    run_logcrunch,
    wait_for_file,
    wait_for_files,
    write_bad_key,
)
from tests.netns import HEAD_ADDRESS, ClusterUnavailable, Host, VirtualCluster

# Every test serves on its own port of the head namespace (nothing else listens there).
_ports = itertools.count(50101)
ALL_FILES = "/api/"  # a fault substring that matches every file of the shared tree


@pytest.fixture(scope="session")
def cluster():
    try:
        built = VirtualCluster.create(str(os.getpid()), worker_hosts=2)
    except ClusterUnavailable as exc:
        pytest.skip(f"no virtual cluster: {exc}")
    try:
        yield built
    finally:
        built.destroy()


class Shared:
    """One tree, one key and one `logcrunch run` reference report for the whole module."""

    def __init__(self, base: Path) -> None:
        self.root = base / "logs"
        self.truth = make_tree(self.root)
        self.key = make_key(base / "authkey")
        self.reference = base / "reference"
        result = run_logcrunch("run", str(self.root), "--out", str(self.reference), "-j", "2",
                               "--state", str(base / "reference.db"))
        assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def shared(tmp_path_factory) -> Shared:
    return Shared(tmp_path_factory.mktemp("shared"))


def start_head(cluster: VirtualCluster, tmp_path: Path, roots: list[Path], key: Path, port: int,
               *extra: str, wait_ready: bool = True) -> Proc:
    proc = Proc("submit", *map(str, roots), "--out", str(tmp_path / "out"),
                "--bind", f"{HEAD_ADDRESS}:{port}", "--authkey-file", str(key),
                "--state", str(tmp_path / "state.db"), *extra, prefix=cluster.head.prefix)
    if wait_ready:
        proc.wait_for(rf"serving on {HEAD_ADDRESS}:{port}", timeout=30)
    return proc


def start_worker(host: Host, port: int, key: Path, *extra: str, faults: str = "") -> Proc:
    env = {"LOGCRUNCH_FAULTS": faults} if faults else None
    return Proc("work", "--server", f"{HEAD_ADDRESS}:{port}", "--authkey-file", str(key), *extra,
                env=env, prefix=host.prefix)


def dirs(tmp_path: Path, *names: str) -> list[Path]:
    made = [tmp_path / name for name in names]
    for path in made:
        path.mkdir()
    return made


def release_and_expect(holds, head: Proc, head_code: int, *nodes: Proc) -> None:
    """Release every held worker; then the head must exit with ``head_code``, every node with 0."""
    for hold in holds:
        (hold / "release").touch()
    expect_exits(head, head_code, *nodes, head_timeout=60, node_timeout=30)


def stop_all(*procs: Proc | None) -> None:
    for proc in procs:
        if proc is not None:
            proc.kill()


def test_two_worker_hosts_produce_the_report_of_run(cluster, shared, tmp_path):
    port = next(_ports)
    hold1, hold2 = dirs(tmp_path, "hold1", "hold2")
    head = start_head(cluster, tmp_path, [shared.root], shared.key, port, "--worker-timeout", "60")
    # Each host holds its first file until both hosts hold one, so both hosts take part.
    nodes = [start_worker(host, port, shared.key, "-j", "2", "--connect-timeout", "30",
                          faults=f"hold:{ALL_FILES}:{hold}")
             for host, hold in zip(cluster.workers, (hold1, hold2), strict=True)]
    try:
        wait_for_file(hold1, "held.", timeout=60)
        wait_for_file(hold2, "held.", timeout=60)
        release_and_expect((hold1, hold2), head, 0, *nodes)
    finally:
        stop_all(head, *nodes)
    assert comparable(tmp_path / "out") == comparable(shared.reference)
    assert_matches_truth(tmp_path / "out", shared.truth)


def test_worker_process_killed_mid_file_is_retried_once(cluster, shared, tmp_path):
    port = next(_ports)
    hold1, hold2, traces = dirs(tmp_path, "hold1", "hold2", "traces")
    head = start_head(cluster, tmp_path, [shared.root], shared.key, port,
                      "--worker-timeout", "60", "--lease-seconds", "60")
    # Every process holds its first file until both hosts hold one (so neither host can miss the
    # job); the victim host runs one process, so its trace names the file it is holding.
    victim_host = start_worker(cluster.workers[0], port, shared.key, "-j", "1",
                               "--connect-timeout", "30",
                               faults=f"trace:{traces / 'victim'};hold:{ALL_FILES}:{hold1}")
    other_host = start_worker(cluster.workers[1], port, shared.key, "-j", "2",
                              "--connect-timeout", "30", faults=f"hold:{ALL_FILES}:{hold2}")
    try:
        marker = wait_for_file(hold1, "held.", timeout=60)
        wait_for_file(hold2, "held.", timeout=60)
        (victim,) = (traces / "victim").read_text().splitlines()
        os.kill(int(marker.read_text()), signal.SIGKILL)  # mid-file, as a batch system would
        release_and_expect((hold1, hold2), head, 0, victim_host, other_host)
    finally:
        stop_all(head, victim_host, other_host)
    assert_matches_truth(tmp_path / "out", shared.truth)
    assert comparable(tmp_path / "out") == comparable(shared.reference)
    attempts = {row["path"]: row["attempts"] for row in read_csv(tmp_path / "out" / "files.csv")}
    assert attempts[victim] == "2"
    assert {v for path, v in attempts.items() if path != victim} == {"1"}
    assert "died (killed by SIGKILL)" in victim_host.output


def test_stopped_worker_past_its_lease_has_its_late_result_dropped(cluster, shared, tmp_path):
    port = next(_ports)
    victim = sorted(shared.truth.per_file_lines)[0]
    first_hold, second_hold = dirs(tmp_path, "hold1", "hold2")
    head = start_head(cluster, tmp_path, [shared.root], shared.key, port,
                      "--worker-timeout", "60", "--lease-seconds", "2")
    sleeper = start_worker(cluster.workers[0], port, shared.key, "-j", "1",
                           "--connect-timeout", "30", faults=f"hold:{victim}:{first_hold}")
    other = None
    stopped_pid = 0
    try:
        stopped_pid = int(wait_for_file(first_hold, "held.", timeout=60).read_text())
        os.kill(stopped_pid, signal.SIGSTOP)  # heartbeats stop too; the lease runs out
        other = start_worker(cluster.workers[1], port, shared.key, "-j", "1",
                             "--connect-timeout", "30", faults=f"hold:{victim}:{second_hold}")
        wait_for_file(second_hold, "held.", timeout=60)  # expired and re-leased to the other host
        os.kill(stopped_pid, signal.SIGCONT)
        (first_hold / "release").touch()  # the late worker finishes and hands in a stale result
        head.wait_for(f"dropped a late or duplicate result for {victim}", timeout=60)
        (second_hold / "release").touch()
        assert head.wait(timeout=60) == 0, head.output
        assert other.wait(timeout=30) == 0, other.output
        assert sleeper.wait(timeout=30) == 0, sleeper.output
    finally:
        if stopped_pid:
            try:
                os.kill(stopped_pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
        stop_all(head, sleeper, other)
    assert_matches_truth(tmp_path / "out", shared.truth)
    assert comparable(tmp_path / "out") == comparable(shared.reference)


@pytest.fixture(scope="module")
def poison_root(tmp_path_factory) -> Path:
    """A second root holding one file that kills its reader every time."""
    root = tmp_path_factory.mktemp("poison") / "logs"
    (root / "node09" / "api").mkdir(parents=True)
    (root / "node09" / "api" / "poison.log").write_text(
        "Nov 27 02:00:01 node09 api[1]: ERROR this one kills its reader\n")
    return root


def test_poison_file_fails_after_max_attempts_with_exit_3(cluster, shared, poison_root, tmp_path):
    port = next(_ports)
    poison = str(poison_root / "node09" / "api" / "poison.log")
    head = start_head(cluster, tmp_path, [shared.root, poison_root], shared.key, port,
                      "--worker-timeout", "60", "--max-attempts", "3")
    # Other files are held until both hosts hold one, so neither host can miss the job.
    holds = dirs(tmp_path, "hold1", "hold2")
    nodes = [start_worker(host, port, shared.key, "-j", "2", "--connect-timeout", "30",
                          faults=f"crash:api/poison.log;hold:{ALL_FILES}:{hold}")
             for host, hold in zip(cluster.workers, holds, strict=True)]
    try:
        for hold in holds:
            wait_for_file(hold, "held.", timeout=60)
        release_and_expect(holds, head, 3, *nodes)
    finally:
        stop_all(head, *nodes)
    rows = {row["path"]: row for row in read_csv(tmp_path / "out" / "files.csv")}
    assert rows[poison]["status"] == "failed"
    assert rows[poison]["attempts"] == "3"
    assert "worker died 3 times while reading it" in rows[poison]["error"]
    reference = {row["path"]: row for row in comparable(shared.reference)["files.csv"]}
    ours = {row["path"]: row for row in comparable(tmp_path / "out")["files.csv"]}
    assert {path: row for path, row in ours.items() if path != poison} == reference
    summary = read_csv(tmp_path / "out" / "summary.csv")[0]
    assert summary["files_failed"] == "1"
    assert int(summary["files_ok"]) == shared.truth.files
    assert int(summary["lines"]) == shared.truth.lines
    assert int(summary["error_lines"]) == shared.truth.error_lines


def test_cut_off_worker_host_is_re_leased_and_gives_up_clearly(cluster, shared, tmp_path):
    port = next(_ports)
    hold, traces = dirs(tmp_path, "hold", "traces")
    cut_host, good_host = cluster.workers[1], cluster.workers[0]
    head = start_head(cluster, tmp_path, [shared.root], shared.key, port,
                      "--worker-timeout", "30", "--lease-seconds", "2")
    # The host to be cut leases a batch and holds its first file, so its lease is open when the
    # cable is pulled; the good host then reads everything else.
    doomed = start_worker(cut_host, port, shared.key, "-j", "1", "--connect-timeout", "3",
                          faults=f"trace:{traces / 'cut'};hold:{ALL_FILES}:{hold}")
    good = None
    try:
        wait_for_file(hold, "held.", timeout=60)
        good = start_worker(good_host, port, shared.key, "-j", "2", "--connect-timeout", "30",
                            faults=f"trace:{traces / 'good'}")
        cluster.set_link(cut_host, up=False)
        assert head.wait(timeout=60) == 0, head.output  # its lease expired; re-leased elsewhere
        assert good.wait(timeout=30) == 0, good.output
        # Plug the cable back in and let the cut-off worker finish its file: it finds the head
        # gone, retries for its --connect-timeout and gives up with a clear message.
        cluster.set_link(cut_host, up=True)
        (hold / "release").touch()
        released = time.monotonic()
        assert doomed.wait(timeout=60) == 1, doomed.output
        gave_up_after = time.monotonic() - released
    finally:
        cluster.set_link(cut_host, up=True)
        stop_all(head, good, doomed)
    assert f"lost the head at {HEAD_ADDRESS}:{port}" in doomed.output
    assert "gave up after 3 s of retrying" in doomed.output
    assert gave_up_after < 30, f"the cut-off worker took {gave_up_after:.1f} s to give up"
    held_path = (traces / "cut").read_text().splitlines()[-1]
    read_by_good = set((traces / "good").read_text().splitlines())
    assert held_path in read_by_good
    assert read_by_good == set(shared.truth.per_file_lines)  # all of the cut host's lease too
    assert_matches_truth(tmp_path / "out", shared.truth)
    assert comparable(tmp_path / "out") == comparable(shared.reference)


def test_workers_started_before_the_head_wait_then_work(cluster, shared, tmp_path):
    port = next(_ports)
    holds = dirs(tmp_path, "hold1", "hold2")
    # Each host holds its first file until both hold one: otherwise one host could finish the
    # small job while the other is still in its retry backoff, and never see the head at all.
    nodes = [start_worker(host, port, shared.key, "-j", "2", "--connect-timeout", "60",
                          faults=f"hold:{ALL_FILES}:{hold}")
             for host, hold in zip(cluster.workers, holds, strict=True)]
    head = None
    try:
        for node in nodes:  # both are up and retrying against a head that is not there yet
            node.wait_for(rf"cannot reach the head at {HEAD_ADDRESS}:{port}", timeout=30)
        head = start_head(cluster, tmp_path, [shared.root], shared.key, port,
                          "--worker-timeout", "60", wait_ready=False)
        for hold in holds:
            wait_for_file(hold, "held.", timeout=60)
        release_and_expect(holds, head, 0, *nodes)
    finally:
        stop_all(head, *nodes)
    assert_matches_truth(tmp_path / "out", shared.truth)
    assert comparable(tmp_path / "out") == comparable(shared.reference)


def test_wrong_key_is_refused_and_the_head_keeps_serving(cluster, shared, tmp_path):
    port = next(_ports)
    other_key = make_key(tmp_path / "other-key")
    intruder_host, good_host = cluster.workers[1], cluster.workers[0]
    head = start_head(cluster, tmp_path, [shared.root], shared.key, port, "--worker-timeout", "60")
    intruder = good = None
    try:
        intruder = start_worker(intruder_host, port, other_key, "-j", "1",
                                "--connect-timeout", "5")
        assert intruder.wait(timeout=30) == 1, intruder.output
        head.wait_for(rf"rejected a connection from {intruder_host.address}:\d+: wrong authkey",
                      timeout=30)
        good = start_worker(good_host, port, shared.key, "-j", "2", "--connect-timeout", "30")
        assert head.wait(timeout=60) == 0, head.output
        assert good.wait(timeout=30) == 0, good.output
    finally:
        stop_all(head, intruder, good)
    assert "rejected this node's authkey (the keys differ)" in intruder.output
    assert_matches_truth(tmp_path / "out", shared.truth)
    assert shared.key.read_text().strip() not in head.output  # the key is never logged


@pytest.mark.parametrize("problem", ["short", "world-readable"])
def test_bad_key_files_are_refused_with_advice_on_every_host(cluster, shared, tmp_path, problem):
    key = tmp_path / "key"
    expected = write_bad_key(key, problem)
    port = next(_ports)
    procs = [start_head(cluster, tmp_path, [shared.root], key, port, wait_ready=False),
             start_worker(cluster.workers[0], port, key, "-j", "1", "--connect-timeout", "5")]
    try:
        for proc in procs:
            assert proc.wait(timeout=30) == 2, proc.output
            assert expected in proc.output
    finally:
        stop_all(*procs)


def test_head_exits_1_when_every_worker_is_killed(cluster, shared, tmp_path):
    port = next(_ports)
    holds = dirs(tmp_path, "hold1", "hold2")
    head = start_head(cluster, tmp_path, [shared.root], shared.key, port,
                      "--worker-timeout", "3", "--lease-seconds", "2")
    nodes = [start_worker(host, port, shared.key, "-j", "1", "--connect-timeout", "30",
                          faults=f"hold:{ALL_FILES}:{hold}")
             for host, hold in zip(cluster.workers, holds, strict=True)]
    try:
        for hold in holds:
            wait_for_files(hold, "held.", timeout=60)
        for node in nodes:
            node.kill()  # SIGKILL the whole node: supervisor and its processes
        assert head.wait(timeout=60) == 1, head.output
    finally:
        stop_all(head, *nodes)
    assert "every worker went away" in head.output
    assert "did not finish" in head.output
