"""Walking the tree (pyfakefs: single-process file logic)."""

import os

from pyfakefs.fake_filesystem_unittest import Patcher

from logcrunch.discover import FoundFile, WalkError, WalkOptions, group_of, walk


def paths(items):
    return [item.path for item in items if isinstance(item, FoundFile)]


def make_tree(fs):
    for path in ["/logs/n1/api/app.log", "/logs/n1/api/app.log.1.gz", "/logs/n2/db/db.log",
                 "/logs/n2/.hidden.log", "/logs/.cache/x.log", "/logs/top.log"]:
        fs.create_file(path, contents="x\n")


def test_walk_finds_regular_files_sorted_and_skips_hidden(fs):
    make_tree(fs)
    assert paths(walk(["/logs"])) == ["/logs/top.log", "/logs/n1/api/app.log",
                                      "/logs/n1/api/app.log.1.gz", "/logs/n2/db/db.log"]


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


def test_symlinks_not_followed_by_default_and_loops_terminate(fs):
    make_tree(fs)
    fs.create_symlink("/logs/n1/loop", "/logs")
    fs.create_symlink("/logs/n1/current.log", "/logs/top.log")  # a "current" link
    fs.create_file("/elsewhere/ext.log", contents="x\n")
    fs.create_symlink("/logs/n1/ext.log", "/elsewhere/ext.log")
    assert paths(walk(["/logs"])) == ["/logs/top.log", "/logs/n1/api/app.log",
                                      "/logs/n1/api/app.log.1.gz", "/logs/n2/db/db.log"]
    followed = paths(walk(["/logs"], WalkOptions(follow_symlinks=True)))
    assert "/logs/n1/ext.log" in followed
    assert "/logs/n1/current.log" not in followed  # same file as top.log: counted once
    assert len(followed) == len(set(followed)) == 5  # the loop was entered once at most


def test_unreadable_directory_is_reported():
    # allow_root_user=False: CI runs as root, who could read the directory anyway
    with Patcher(allow_root_user=False) as patcher:
        make_tree(patcher.fs)
        os.chmod("/logs/n2", 0o000)
        items = list(walk(["/logs"]))
    errors = [item for item in items if isinstance(item, WalkError)]
    assert [e.path for e in errors] == ["/logs/n2"]
    assert errors[0].reason.endswith("permission denied")
    assert "/logs/n1/api/app.log" in paths(items)


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
