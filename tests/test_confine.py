"""Where a worker may read: allowed roots, no symlinks unless asked, only the file the walk saw."""

import os
import threading

import pytest

from logcrunch import confine
from logcrunch.broker import JobInfo, Task
from logcrunch.confine import ReadPolicy, Refused, open_confined
from logcrunch.readers import ReadError
from logcrunch.scan import ScanConfig
from logcrunch.worker import WorkerOptions, WorkerProcess


@pytest.fixture(autouse=True, params=["openat2", "components"])
def resolver(request, monkeypatch):
    """Every test through openat2 (where the kernel has it) and through the component walk."""
    if request.param == "components":
        monkeypatch.setattr(confine, "_openat2_state", [None])
    else:
        monkeypatch.setattr(confine, "_openat2_state", [])
        if confine._load_openat2() is None:
            pytest.skip("no openat2 here")
    return request.param


@pytest.fixture
def tree(tmp_path):
    """logs/host/app.log inside the root, and a secret outside it."""
    logs = tmp_path / "logs"
    (logs / "host").mkdir(parents=True)
    (logs / "host" / "app.log").write_text("INFO fine\n")
    secret = tmp_path / "secret"
    secret.write_text("password=hunter2\n")
    secret.chmod(0o600)
    return logs, secret


def policy(root, follow=False):
    return ReadPolicy((str(root),), follow_symlinks=follow)


def read(path, rules, **identity):
    with open_confined(str(path), rules, **identity) as fp:
        return fp.read()


def test_a_file_below_the_root_is_read(tree, resolver):
    logs, _secret = tree
    assert read(logs / "host" / "app.log", policy(logs)) == b"INFO fine\n"
    assert (confine._openat2_state[0] is not None) == (resolver == "openat2")


@pytest.mark.parametrize("path", ["{secret}", "{logs}/../secret", "{logs}x/app.log", "relative"])
def test_a_path_outside_the_roots_is_refused(tree, path):
    logs, secret = tree
    with pytest.raises(Refused, match="outside the roots|absolute"):
        read(path.format(logs=logs, secret=secret), policy(logs))


def test_a_symlink_is_not_followed_without_follow_symlinks(tree):
    logs, secret = tree
    (logs / "host" / "link.log").symlink_to(secret)
    (logs / "linked-dir").symlink_to(secret.parent)
    with pytest.raises(ReadError, match="symlink"):
        read(logs / "host" / "link.log", policy(logs))
    with pytest.raises(ReadError, match="symlink"):
        read(logs / "linked-dir" / "secret", policy(logs))


def test_a_file_swapped_for_a_symlink_after_the_walk_is_refused(tree):
    logs, secret = tree
    target = logs / "host" / "app.log"
    seen = os.stat(target)  # what the walk recorded
    target.unlink()
    target.symlink_to(secret)
    with pytest.raises(ReadError, match="symlink"):
        read(target, policy(logs), inode=seen.st_ino, device=seen.st_dev)
    # even with links followed, the file opened is not the one the walk saw
    with pytest.raises(Refused):
        read(target, policy(logs, follow=True), inode=seen.st_ino, device=seen.st_dev)


def test_a_file_replaced_by_another_since_the_walk_is_refused(tree):
    logs, _secret = tree
    target = logs / "host" / "app.log"
    seen = os.stat(target)
    replacement = logs / "host" / "new.log"
    replacement.write_text("ERROR other\n")
    os.replace(replacement, target)
    with pytest.raises(Refused, match="replaced since the walk"):
        read(target, policy(logs), inode=seen.st_ino, device=seen.st_dev)


def test_with_follow_symlinks_a_link_may_not_leave_the_roots(tree):
    logs, secret = tree
    (logs / "host" / "inside.log").symlink_to(logs / "host" / "app.log")
    (logs / "host" / "outside.log").symlink_to(secret)
    assert read(logs / "host" / "inside.log", policy(logs, follow=True)) == b"INFO fine\n"
    with pytest.raises(Refused, match="leads outside"):
        read(logs / "host" / "outside.log", policy(logs, follow=True))


def test_a_fifo_is_refused_without_blocking(tree):
    logs, _secret = tree
    fifo = logs / "host" / "pipe.log"
    os.mkfifo(fifo)
    outcome = []
    reader = threading.Thread(target=lambda: outcome.append(_refusal(fifo, policy(logs))),
                              daemon=True)
    reader.start()
    reader.join(timeout=10)
    assert outcome and "FIFO" in outcome[0]


def _refusal(path, rules):
    try:
        read(path, rules)
    except ReadError as exc:
        return str(exc)
    return "read it"


def test_without_allow_root_the_announced_roots_apply_through_the_path_map(tree):
    logs, _secret = tree
    announced = (("/mnt/shared/logs", 0),)
    rules = ReadPolicy.for_job((), announced, False,
                               lambda path: path.replace("/mnt/shared/logs", str(logs)))
    assert rules.roots == (str(logs),) and not rules.explicit
    assert read(logs / "host" / "app.log", rules) == b"INFO fine\n"
    explicit = ReadPolicy.for_job((str(logs / "host"),), announced, False)
    assert explicit.roots == (str(logs / "host"),) and explicit.explicit
    assert "--allow-root" in explicit.describe()


def test_a_worker_reports_a_refused_path_as_a_failed_file_and_reads_nothing(tree):
    logs, secret = tree
    worker = WorkerProcess(WorkerOptions(address=("127.0.0.1", 1), authkey=b"k" * 32))
    config = ScanConfig(metric_patterns=(("oracle", r"password=(\d*)"),))
    job = JobInfo("ab12", config, 30.0, 5.0, roots=((str(logs), 0),))
    summary = worker.scan(Task(1, str(secret), 17), job)
    assert summary.status == "failed" and "outside the roots" in summary.error
    assert summary.lines == 0 and summary.metrics == {}
    inside = worker.scan(Task(2, str(logs / "host" / "app.log"), 10), job)
    assert inside.status == "ok" and inside.lines == 1
