"""Walking the tree: pyfakefs for the plain file logic, the real filesystem for FIFOs, devices,
deep trees and links, and a real `logcrunch run` for what a hostile tree ends up as in files.csv."""

import errno
import os
import socket
import stat
from collections import Counter

from logcrunch.discover import (
    DeferredFile,
    FoundFile,
    SkippedEntry,
    WalkError,
    WalkOptions,
    group_of,
    walk,
)
from tests.helpers import read_csv, run_logcrunch


def paths(items):
    return [item.path for item in items if isinstance(item, FoundFile)]


def rows(items, kind):
    return {item.path: item.reason for item in items if isinstance(item, kind)}


def make_tree(fs):
    for path in ["/logs/n1/api/app.log", "/logs/n1/api/app.log.1.gz", "/logs/n2/db/db.log",
                 "/logs/n2/.hidden.log", "/logs/.cache/x.log", "/logs/top.log"]:
        fs.create_file(path, contents="x\n")


def test_walk_finds_regular_files_sorted_and_skips_hidden(fs):
    make_tree(fs)
    assert paths(walk(["/logs"])) == ["/logs/top.log", "/logs/n1/api/app.log",
                                      "/logs/n1/api/app.log.1.gz", "/logs/n2/db/db.log"]


def recursive_reference(directory):
    """The walk order as the recursive walker had it: names sorted, files before subdirectories."""
    names = sorted(os.listdir(directory))
    files = [os.path.join(directory, n) for n in names if os.path.isfile(os.path.join(directory, n))]
    for name in names:
        if os.path.isdir(os.path.join(directory, name)):
            files += recursive_reference(os.path.join(directory, name))
    return files


def test_iterative_walk_keeps_the_recursive_order(fs):
    for path in ["/logs/b.log", "/logs/a/z.log", "/logs/a/b/c.log", "/logs/a/b/a.log",
                 "/logs/a/a.log", "/logs/c/x.log", "/logs/a0.log", "/logs/b/a/b/c/d.log",
                 "/logs/b/a/e.log", "/logs/b/0.log", "/logs/a/b/c/d/e.log"]:
        fs.create_file(path, contents="x\n")
    assert paths(walk(["/logs"])) == recursive_reference("/logs")
    assert paths(walk(["/logs"]))[:2] == ["/logs/a0.log", "/logs/b.log"]


def test_hidden_included_on_request(fs):
    make_tree(fs)
    found = paths(walk(["/logs"], WalkOptions(hidden=True)))
    assert "/logs/n2/.hidden.log" in found and "/logs/.cache/x.log" in found


def test_include_and_exclude_globs(fs):
    make_tree(fs)
    assert paths(walk(["/logs"], WalkOptions(include=("*.gz",)))) == ["/logs/n1/api/app.log.1.gz"]
    assert paths(walk(["/logs"], WalkOptions(exclude=("n1",)))) == ["/logs/top.log",
                                                                     "/logs/n2/db/db.log"]
    assert paths(walk(["/logs"], WalkOptions(include=("n2/*",)))) == ["/logs/n2/db/db.log"]


def test_what_the_options_passed_over_is_counted(fs):
    make_tree(fs)
    fs.create_symlink("/logs/n1/current.log", "/logs/top.log")
    counted = Counter()
    assert paths(walk(["/logs"], WalkOptions(include=("*.nothing",)), passed_over=counted)) == []
    assert counted == {"hidden": 2, "not included": 4, "symlinks not followed": 1}


def test_symlinks_not_followed_by_default_and_loops_terminate(fs):
    make_tree(fs)
    fs.create_symlink("/logs/n1/loop", "/logs")
    fs.create_symlink("/logs/n1/current.log", "/logs/top.log")  # a "current" link
    fs.create_symlink("/logs/n1/db", "/logs/n2/db")  # a link to a directory inside the roots
    fs.create_symlink("/logs/n1/gone.log", "/logs/nothing-here")  # dangling
    assert paths(walk(["/logs"])) == ["/logs/top.log", "/logs/n1/api/app.log",
                                      "/logs/n1/api/app.log.1.gz", "/logs/n2/db/db.log"]
    items = list(walk(["/logs"], WalkOptions(follow_symlinks=True)))
    followed = paths(items)
    assert "/logs/n1/current.log" not in followed  # same file as top.log: counted once
    assert len(followed) == len(set(followed)) == 4  # the loop was entered once at most
    assert "/logs/n1/db/db.log" in followed  # found through the link first, then not again
    assert not rows(items, WalkError) and not rows(items, SkippedEntry)


def test_followed_links_do_not_leave_the_roots(tmp_path):
    secrets = tmp_path / "etc"  # stands in for /etc
    secrets.mkdir()
    (secrets / "shadow").write_text("root:$6$secret\n")
    root = tmp_path / "logs"
    (root / "app").mkdir(parents=True)
    (root / "app" / "app.log").write_text("INFO fine\n")
    (root / "etc").symlink_to(secrets)
    (root / "app" / "shadow.log").symlink_to(secrets / "shadow")
    (root / "app" / "zero.log").symlink_to("/dev/zero")
    (root / "app" / "relative.log").symlink_to("../../etc/shadow")
    (root / "app" / "inside.log").symlink_to(root / "app" / "app.log")
    items = list(walk([str(root)], WalkOptions(follow_symlinks=True)))
    assert paths(items) == [str(root / "app" / "app.log")]
    assert rows(items, SkippedEntry) == {
        str(root / "etc"): f"symlink leads outside the roots (-> {secrets}); not followed",
        str(root / "app" / "relative.log"):
            f"symlink leads outside the roots (-> {secrets / 'shadow'}); not followed",
        str(root / "app" / "shadow.log"):
            f"symlink leads outside the roots (-> {secrets / 'shadow'}); not followed",
        str(root / "app" / "zero.log"): "symlink leads outside the roots (-> /dev/zero); not followed",
    }
    # The same links are fine when their target is one of the roots (reached first by a link).
    both = list(walk([str(root), str(secrets)], WalkOptions(follow_symlinks=True)))
    assert paths(both) == [str(root / "app" / "app.log"), str(root / "app" / "relative.log")]
    assert list(rows(both, SkippedEntry)) == [str(root / "app" / "zero.log")]


def make_specials(directory):
    """A FIFO, a socket and (when allowed) a character and a block device; returns their names."""
    made = {}
    os.mkfifo(directory / "pipe.log")
    made["pipe.log"] = "FIFO (named pipe): not read"
    server = socket.socket(socket.AF_UNIX)
    cwd = os.getcwd()
    os.chdir(directory)  # a socket path is limited to 108 bytes: bind by a short relative name
    try:
        server.bind("sock.log")
    finally:
        os.chdir(cwd)
        server.close()
    made["sock.log"] = "socket: not read"
    for name, kind, device, reason in (
            ("zero.log", stat.S_IFCHR, os.makedev(1, 5), "character device: not read"),
            ("disk.log", stat.S_IFBLK, os.makedev(7, 0), "block device: not read")):
        try:
            os.mknod(directory / name, kind | 0o600, device)
            made[name] = reason
        except PermissionError:
            pass  # no CAP_MKNOD here: the FIFO and the socket still cover the rule
    return made


def test_fifos_sockets_and_devices_are_listed_as_skipped_and_never_opened(tmp_path):
    root = tmp_path / "logs"
    root.mkdir()
    (root / "app.log").write_text("INFO fine\n")
    made = make_specials(root)
    items = list(walk([str(root)]))  # opening the FIFO to read it would block here for ever
    assert paths(items) == [str(root / "app.log")]
    assert rows(items, SkippedEntry) == {str(root / name): reason for name, reason in made.items()}
    (root / "link.log").symlink_to(root / "pipe.log")  # reached twice: listed once, by the link
    followed = rows(walk([str(root)], WalkOptions(follow_symlinks=True)), SkippedEntry)
    assert followed.pop(str(root / "link.log")) == "FIFO (named pipe): not read"
    assert followed == {path: reason for path, reason in rows(items, SkippedEntry).items()
                        if not path.endswith("pipe.log")}


def test_a_tree_1500_levels_deep_is_walked_without_recursion_and_cut_at_the_limit(tmp_path):
    root = tmp_path / "logs"
    root.mkdir()
    deep = str(root)
    chain = []
    for _level in range(1500):  # not os.makedirs: it recurses once per level
        deep = os.path.join(deep, "d")
        os.mkdir(deep)
        chain.append(deep)
    try:
        open(os.path.join(chain[9], "level10.log"), "w").close()
        open(os.path.join(chain[999], "level1000.log"), "w").close()
        open(os.path.join(chain[-1], "level1500.log"), "w").close()
        os.mkdir(root / "zz")
        (root / "zz" / "after.log").write_text("x\n")
        items = list(walk([str(root)]))
        assert paths(items) == [os.path.join(chain[9], "level10.log"),
                                os.path.join(chain[999], "level1000.log"),
                                str(root / "zz" / "after.log")]  # the walk went on after it
        assert rows(items, WalkError) == {
            chain[1000]: "deeper than 1000 levels below the root; not entered"}
    finally:
        for path in reversed(chain):  # shutil.rmtree recurses too (Python 3.11)
            for name in os.listdir(path):
                os.unlink(os.path.join(path, name))
            os.rmdir(path)


def test_depth_limit_counts_levels_below_the_root(fs):
    make_tree(fs)
    items = list(walk(["/logs"], max_depth=1))
    assert paths(items) == ["/logs/top.log"]
    assert rows(items, WalkError) == {
        "/logs/n1/api": "deeper than 1 levels below the root; not entered",
        "/logs/n2/db": "deeper than 1 levels below the root; not entered"}


def test_unreadable_directory_is_reported(tmp_path, monkeypatch):
    # Root (which CI runs as) reads any directory, so the kernel is asked to refuse it for us.
    for path in ("n1/api/app.log", "n2/db/db.log"):
        (tmp_path / path).parent.mkdir(parents=True)
        (tmp_path / path).write_text("x\n")
    real_open = os.open

    def refusing_open(path, *args, **kwargs):
        if path == str(tmp_path / "n2"):
            raise PermissionError(errno.EACCES, "Permission denied", path)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", refusing_open)
    items = list(walk([str(tmp_path)]))
    assert rows(items, WalkError) == {str(tmp_path / "n2"): "cannot list directory: permission denied"}
    assert paths(items) == [str(tmp_path / "n1" / "api" / "app.log")]


class _Listing:
    """os.scandir's result with one entry whose stat() raises something no one expects."""

    def __init__(self, real, bad_name):
        self.real, self.bad_name = real, bad_name

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.real.close()

    def __iter__(self):
        for entry in self.real:
            yield _BadEntry(entry) if entry.name == self.bad_name else entry


class _BadEntry:
    def __init__(self, entry):
        self.name, self.path = entry.name, entry.path
        self.is_symlink = entry.is_symlink

    def stat(self, follow_symlinks=True):
        raise ValueError("a filesystem driver bug")


def test_anything_raised_while_listing_or_stating_becomes_a_failed_row(tmp_path, monkeypatch):
    for path in ("a/one.log", "a/two.log", "b/x.log", "c/y.log"):
        (tmp_path / path).parent.mkdir(exist_ok=True)
        (tmp_path / path).write_text("x\n")
    real_scandir = os.scandir
    listed = {}

    def scandir(fd):
        path = os.readlink(f"/proc/self/fd/{fd}")
        listed[path] = True
        if path == str(tmp_path / "b"):
            raise RuntimeError("listing exploded")
        return _Listing(real_scandir(fd), "one.log") if path == str(tmp_path / "a") else \
            real_scandir(fd)

    monkeypatch.setattr(os, "scandir", scandir)
    items = list(walk([str(tmp_path)]))
    assert rows(items, WalkError) == {
        str(tmp_path / "a" / "one.log"): "cannot stat: ValueError: a filesystem driver bug",
        str(tmp_path / "b"): "cannot list directory: RuntimeError: listing exploded"}
    assert paths(items) == [str(tmp_path / "a" / "two.log"), str(tmp_path / "c" / "y.log")]
    assert [e.format for e in items if isinstance(e, WalkError)] == ["", "directory"]


def test_a_directory_swapped_for_a_link_during_the_walk_is_not_entered(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.log").write_text("x\n")
    root = tmp_path / "logs"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "in.log").write_text("x\n")
    for name in ("a.log", "z.log"):
        (root / name).write_text("x\n")
    items = walk([str(root)])
    assert next(items).path == str(root / "a.log")
    assert next(items).path == str(root / "z.log")  # "sub" is found, not yet listed
    (root / "sub").rename(root / "sub.old")
    (root / "sub").symlink_to(outside)
    rest = list(items)
    assert [(type(e), e.path) for e in rest] == [(WalkError, str(root / "sub"))]
    assert "changed while the tree was walked" in rest[0].reason


def test_files_modified_after_the_settle_time_are_deferred(tmp_path):
    (tmp_path / "old.log").write_text("x\n")
    (tmp_path / "new.log").write_text("x\n")
    os.utime(tmp_path / "old.log", (1000, 1000))
    items = list(walk([str(tmp_path)], WalkOptions(modified_before=2000)))
    assert paths(items) == [str(tmp_path / "old.log")]
    assert [(type(e), e.path, e.size) for e in items if isinstance(e, DeferredFile)] == [
        (DeferredFile, str(tmp_path / "new.log"), 2)]


def test_missing_root_is_reported(fs):
    items = list(walk(["/nope"]))
    assert isinstance(items[0], WalkError) and items[0].path == "/nope"


def test_file_root_and_overlapping_roots_yield_once(fs):
    make_tree(fs)
    found = paths(walk(["/logs/n2", "/logs/n2/db/db.log", "/logs/n2"]))
    assert found == ["/logs/n2/db/db.log"]


def test_group_is_first_level_directory():
    assert group_of("/logs/n1/api/app.log", "/logs") == "n1"
    assert group_of("/logs/top.log", "/logs") == "."


def test_a_hostile_tree_ends_up_in_files_csv_and_no_secret_is_read(tmp_path):
    """A real run with --follow-symlinks: FIFOs, sockets, devices, links out of the roots and
    directories too deep are rows with their reason; nothing outside the roots is read."""
    secrets = tmp_path / "etc"
    secrets.mkdir()
    (secrets / "passwd.log").write_text("INFO password=12345\n")
    root = tmp_path / "logs"
    (root / "h1").mkdir(parents=True)
    (root / "h1" / "app.log").write_text("INFO a=1\nERROR b=2\n")
    made = make_specials(root / "h1")
    (root / "h1" / "etc").symlink_to(secrets)
    (root / "h1" / "passwd.log").symlink_to(secrets / "passwd.log")
    (root / "h1" / "devzero.log").symlink_to("/dev/zero")
    trace = tmp_path / "reads.txt"
    result = run_logcrunch("run", str(root), "--out", str(tmp_path / "out"), "--state",
                           str(tmp_path / "s.db"), "-j", "1", "--follow-symlinks",
                           env={"LOGCRUNCH_FAULTS": f"trace:{trace}"}, timeout=60)
    assert result.returncode == 0, result.stderr
    assert trace.read_text().splitlines() == [str(root / "h1" / "app.log")]
    files = {row["path"]: row for row in read_csv(tmp_path / "out" / "files.csv")}
    expected = {str(root / "h1" / name): reason for name, reason in made.items()}
    expected[str(root / "h1" / "etc")] = f"symlink leads outside the roots (-> {secrets}); not followed"
    expected[str(root / "h1" / "passwd.log")] = \
        f"symlink leads outside the roots (-> {secrets / 'passwd.log'}); not followed"
    expected[str(root / "h1" / "devzero.log")] = \
        "symlink leads outside the roots (-> /dev/zero); not followed"
    assert {path: row["error"] for path, row in files.items() if row["status"] == "skipped"} == expected
    assert files[str(root / "h1" / "app.log")]["status"] == "ok"
    assert "password" not in (tmp_path / "out" / "metrics.csv").read_text()
    summary = read_csv(tmp_path / "out" / "summary.csv")[0]
    assert (summary["files"], summary["files_ok"], summary["files_skipped"]) == (
        str(1 + len(expected)), "1", str(len(expected)))
