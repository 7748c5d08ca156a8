"""The durable record of runs: SQLite (WAL) state database and the one-run-at-a-time lock.

Every accepted summary is committed before the head acknowledges it to the worker, so a head that
is killed loses nothing it has acknowledged; running the same command again resumes the run. The
database also remembers which file identities (inode, size, mtime) each finished run covered, so
``--incremental`` runs read only what is new or changed — a rotated file (renamed, same identity) is
not counted twice.

Summaries are stored as JSON (never pickle): exact numbers as ``"n/d"`` strings.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, fields
from fractions import Fraction

from logcrunch.discover import FoundFile
from logcrunch.report import ReportInput
from logcrunch.summary import FileSummary, Metric, Number

SCHEMA_VERSION = 2
DEFAULT_STATE_PATH = "~/.local/state/logcrunch/state.db"
STATE_ENV = "LOGCRUNCH_STATE"

RUNNING = "running"
FINISHED_OK = "ok"
FINISHED_FAILED_FILES = "files_failed"
INCOMPLETE = "incomplete"
FINISHED = (FINISHED_OK, FINISHED_FAILED_FILES)

_MIGRATIONS = {
    1: """
        CREATE TABLE runs (
            run_id INTEGER PRIMARY KEY,
            run_key TEXT NOT NULL,
            base_key TEXT NOT NULL,
            roots TEXT NOT NULL,
            options TEXT NOT NULL,
            incremental INTEGER NOT NULL,
            out_dir TEXT NOT NULL,
            started REAL NOT NULL,
            ended REAL,
            status TEXT NOT NULL,
            host TEXT NOT NULL,
            pid INTEGER NOT NULL,
            files_ok INTEGER NOT NULL DEFAULT 0,
            files_skipped INTEGER NOT NULL DEFAULT 0,
            files_failed INTEGER NOT NULL DEFAULT 0,
            files_unchanged INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX runs_by_key ON runs (run_key, run_id);
        CREATE INDEX runs_by_base ON runs (base_key, status, run_id);
        -- one row per accepted task result (a whole file, or one byte range of a split file)
        CREATE TABLE results (
            run_id INTEGER NOT NULL REFERENCES runs (run_id),
            path BLOB NOT NULL,
            range_start INTEGER NOT NULL,
            range_count INTEGER NOT NULL,
            root BLOB NOT NULL,
            status TEXT NOT NULL,
            summary TEXT NOT NULL,
            PRIMARY KEY (run_id, path, range_start)
        );
        -- every file a run saw, with its identity, for incremental runs
        CREATE TABLE seen (
            run_id INTEGER NOT NULL REFERENCES runs (run_id),
            path BLOB NOT NULL,
            root BLOB NOT NULL,
            inode INTEGER NOT NULL,
            size INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL,
            unchanged INTEGER NOT NULL,
            PRIMARY KEY (run_id, path)
        );
    """,
    # 2: results remember the identity of the file they describe, so a resumed run re-reads a
    # file that changed since; seen rows remember the device (inodes repeat across filesystems).
    2: """
        ALTER TABLE results ADD COLUMN identity TEXT NOT NULL DEFAULT '';
        ALTER TABLE seen ADD COLUMN device INTEGER NOT NULL DEFAULT 0
    """,
}


class StateError(Exception):
    """The state database cannot be used; the message says why and what to do."""


class LockHeld(Exception):
    """Another run holds the lock; the message names it (pid, host, start time)."""


def default_state_path() -> str:
    return os.path.expanduser(os.environ.get(STATE_ENV) or DEFAULT_STATE_PATH)


# ----- lock ----------------------------------------------------------------------------------

_NETWORK_FILESYSTEMS = {"nfs", "nfs4", "cifs", "smbfs", "smb3", "fuse.sshfs", "afs", "9p",
                        "lustre", "gpfs", "ceph", "glusterfs", "fuse.glusterfs"}


def filesystem_type(path: str) -> str:
    """The type of the filesystem holding ``path`` (from /proc/mounts), or "" when unknown."""
    try:
        with open("/proc/mounts", encoding="utf-8", errors="replace") as fp:
            mounts = [line.split()[:3] for line in fp]
    except OSError:
        return ""
    real = os.path.realpath(path)
    best, best_type = "", ""
    for _device, mount_point, fs_type in (m for m in mounts if len(m) == 3):
        mount_point = mount_point.replace("\\040", " ")
        inside = real == mount_point or real.startswith(mount_point.rstrip("/") + "/")
        if inside and len(mount_point) >= len(best):
            best, best_type = mount_point, fs_type
    return best_type


class RunLock:
    """An exclusive flock on ``<state>.lock`` on local disk; released by the kernel if we die."""

    def __init__(self, state_path: str) -> None:
        self.path = state_path + ".lock"
        self._fd: int | None = None

    def acquire(self) -> None:
        os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
        fs_type = filesystem_type(os.path.dirname(self.path) or ".")
        if fs_type in _NETWORK_FILESYSTEMS:
            raise StateError(f"the state directory {os.path.dirname(self.path)} is on {fs_type}; "
                             "locks there are unreliable. Use --state on a local disk")
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = os.pread(fd, 4096, 0).decode(errors="replace").strip() or "unknown holder"
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise LockHeld(f"another logcrunch run holds {self.path}: {holder}") from None
            raise
        # A lock file left by a dead process is simply taken over: flock died with its owner.
        holder = (f"pid {os.getpid()} on {socket.gethostname()}, started "
                  f"{time.strftime('%Y-%m-%d %H:%M:%S')}\n").encode()
        os.ftruncate(fd, 0)
        os.pwrite(fd, holder, 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing drops the flock
            self._fd = None

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()


# ----- summary codec -------------------------------------------------------------------------


def _num(value: Number | None):
    if value is None or isinstance(value, int):
        return value
    return f"{value.numerator}/{value.denominator}"


def _unnum(value) -> Number | None:
    if value is None or isinstance(value, int):
        return value
    return Fraction(value)


_SUMMARY_FIELDS = [f.name for f in fields(FileSummary) if f.name != "metrics"]


def summary_to_json(summary: FileSummary) -> str:
    # Field by field: dataclasses.asdict deep-copies and costs more than the commit itself.
    data = {name: getattr(summary, name) for name in _SUMMARY_FIELDS}
    data["metrics"] = {
        name: [m.count, _num(m.total), _num(m.total_sq), _num(m.minimum), _num(m.maximum)]
        for name, m in summary.metrics.items()
    }
    return json.dumps(data, sort_keys=True)


def summary_from_json(text: str) -> FileSummary:
    data = json.loads(text)
    metrics = {name: Metric(values[0], *(_unnum(v) for v in values[1:]))
               for name, values in data.pop("metrics").items()}
    return FileSummary(metrics=metrics, **data)


def _blob(path: str) -> bytes:
    return os.fsencode(path)


def _text(blob: bytes) -> str:
    return os.fsdecode(blob)


# ----- the database --------------------------------------------------------------------------


@dataclass
class RunRecord:
    run_id: int
    run_key: str
    roots: list[str]
    started: float
    ended: float | None
    status: str
    out_dir: str
    incremental: bool
    host: str
    pid: int
    files_ok: int
    files_skipped: int
    files_failed: int
    files_unchanged: int


def run_keys(roots: Iterable[str], options: dict, incremental: bool) -> tuple[str, str]:
    """(run_key, base_key): the same command gives the same run_key; base_key ignores the mode."""
    base = json.dumps({"roots": sorted(roots), "options": options}, sort_keys=True)
    base_key = hashlib.sha256(base.encode()).hexdigest()[:24]
    run_key = hashlib.sha256(f"{base_key}:{int(incremental)}".encode()).hexdigest()[:24]
    return run_key, base_key


class StateDB:
    """The state database. Thread-safe: manager threads persist results while the head reads."""

    def __init__(self, path: str, create: bool = True) -> None:
        self.path = path
        if not create and not os.path.exists(path):
            raise StateError(f"no state database at {path}; check --state / ${STATE_ENV}")
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        try:
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None,
                                       timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            # FULL: a commit is on disk before the worker hears "accepted", even across a reboot.
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StateError(f"cannot use state database {path}: {exc}") from None
        self._lock = threading.Lock()

    def close(self) -> None:
        self._db.close()

    def _migrate(self) -> None:
        self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        row = self._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        version = int(row[0]) if row else 0
        if version > SCHEMA_VERSION:
            raise StateError(f"state database {self.path} has schema {version}, newer than this "
                             f"logcrunch understands ({SCHEMA_VERSION}); upgrade logcrunch")
        for target in range(version + 1, SCHEMA_VERSION + 1):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for statement in _MIGRATIONS[target].split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                self._db.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)",
                                 (str(target),))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    # -- runs --

    def start_run(self, roots: list[str], options: dict, incremental: bool, out_dir: str,
                  fresh: bool) -> tuple[RunRecord, bool]:
        """Resume the unfinished run of the same command, or start a new one; (run, resumed)."""
        run_key, base_key = run_keys(roots, options, incremental)
        with self._lock:
            if not fresh:
                row = self._db.execute(
                    "SELECT run_id FROM runs WHERE run_key = ? ORDER BY run_id DESC LIMIT 1",
                    (run_key,)).fetchone()
                if row:
                    previous = self.get_run(row[0])
                    if previous.status in (RUNNING, INCOMPLETE):
                        self._db.execute(
                            "UPDATE runs SET status = ?, host = ?, pid = ?, out_dir = ?, "
                            "ended = NULL WHERE run_id = ?",
                            (RUNNING, socket.gethostname(), os.getpid(), out_dir, row[0]))
                        return self.get_run(row[0]), True
            cursor = self._db.execute(
                "INSERT INTO runs (run_key, base_key, roots, options, incremental, out_dir, "
                "started, status, host, pid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (run_key, base_key, json.dumps(roots), json.dumps(options, sort_keys=True),
                 int(incremental), out_dir, time.time(), RUNNING, socket.gethostname(),
                 os.getpid()))
            return self.get_run(cursor.lastrowid), False

    def get_run(self, run_id: int) -> RunRecord:
        row = self._db.execute(
            "SELECT run_id, run_key, roots, started, ended, status, out_dir, incremental, host, "
            "pid, files_ok, files_skipped, files_failed, files_unchanged FROM runs "
            "WHERE run_id = ?", (run_id,)).fetchone()
        if row is None:
            raise StateError(f"no run {run_id} in {self.path}; see `logcrunch runs`")
        return RunRecord(row[0], row[1], json.loads(row[2]), *row[3:7], bool(row[7]), *row[8:])

    def latest_run_id(self) -> int:
        row = self._db.execute("SELECT max(run_id) FROM runs").fetchone()
        if row is None or row[0] is None:
            raise StateError(f"no runs recorded in {self.path} yet")
        return row[0]

    def list_runs(self, limit: int = 50) -> list[RunRecord]:
        ids = [r[0] for r in self._db.execute(
            "SELECT run_id FROM runs ORDER BY run_id DESC LIMIT ?", (limit,))]
        return [self.get_run(run_id) for run_id in ids]

    def finish_run(self, run_id: int, status: str,
                   summaries: Iterable[FileSummary] | None = None) -> None:
        """Record how a run ended; ``summaries`` (the merged per-file ones) give the counts."""
        if summaries is None:
            summaries = self.report_input(run_id).summaries.values()
        counts: dict[str, int] = {}
        for summary in summaries:
            counts[summary.status] = counts.get(summary.status, 0) + 1
        with self._lock:
            unchanged = self._db.execute(
                "SELECT count(*) FROM seen WHERE run_id = ? AND unchanged = 1",
                (run_id,)).fetchone()[0]
            self._db.execute(
                "UPDATE runs SET ended = ?, status = ?, files_ok = ?, files_skipped = ?, "
                "files_failed = ?, files_unchanged = ? WHERE run_id = ?",
                (time.time(), status, counts.get("ok", 0), counts.get("skipped", 0),
                 counts.get("failed", 0), unchanged, run_id))

    # -- results --

    def store_results(self, run_id: int,
                      rows: list[tuple[FileSummary, str, int, int, str]]) -> None:
        """Commit a batch of (summary, root, range_start, range_count, identity) in one transaction.

        A row for a (path, range) the run already has is ignored: the first result counts.
        """
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.executemany(
                    "INSERT OR IGNORE INTO results (run_id, path, range_start, range_count, root, "
                    "status, summary, identity) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [(run_id, _blob(s.path), start, count, _blob(root), s.status,
                      summary_to_json(s), ident) for s, root, start, count, ident in rows])
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def record_seen(self, run_id: int, files: list[tuple[FoundFile, bool]]) -> None:
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.executemany(
                    "INSERT OR REPLACE INTO seen (run_id, path, root, inode, size, mtime_ns, "
                    "unchanged, device) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [(run_id, _blob(f.path), _blob(f.root), f.inode, f.size, f.mtime_ns,
                      int(unchanged), f.device) for f, unchanged in files])
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def stored_ranges(self, run_id: int) -> dict[str, tuple[str, dict[int, FileSummary]]]:
        """What a resumed run already has: path -> (file identity, {range_start: summary})."""
        out: dict[str, tuple[str, dict[int, FileSummary]]] = {}
        for path, start, summary, ident in self._db.execute(
                "SELECT path, range_start, summary, identity FROM results WHERE run_id = ?",
                (run_id,)):
            out.setdefault(_text(path), (ident, {}))[1][start] = summary_from_json(summary)
        return out

    def discard_results(self, run_id: int, path: str) -> None:
        """Forget a file's stored results (it changed since they were made)."""
        with self._lock:
            self._db.execute("DELETE FROM results WHERE run_id = ? AND path = ?",
                             (run_id, _blob(path)))

    def known_identities(self, roots: list[str], options: dict) -> set[str]:
        """Identities of the files the last finished run over these roots covered.

        Files that failed there are left out, so they are tried again.
        """
        _run_key, base_key = run_keys(roots, options, False)
        row = self._db.execute(
            "SELECT max(run_id) FROM runs WHERE base_key = ? AND status IN (?, ?)",
            (base_key, *FINISHED)).fetchone()
        if row is None or row[0] is None:
            return set()
        return {
            f"{device}:{inode}:{size}:{mtime_ns}"
            for device, inode, size, mtime_ns in self._db.execute(
                "SELECT s.device, s.inode, s.size, s.mtime_ns FROM seen s WHERE s.run_id = ? AND NOT "
                "EXISTS (SELECT 1 FROM results r WHERE r.run_id = s.run_id AND r.path = s.path "
                "AND r.status = 'failed')", (row[0],))
        }

    def report_input(self, run_id: int) -> ReportInput:
        """Rebuild a run's report input from the database (split files' ranges joined)."""
        ranges: dict[str, list[tuple[int, FileSummary]]] = {}
        expected: dict[str, int] = {}
        roots: dict[str, str] = {}
        for path, start, count, root, summary in self._db.execute(
                "SELECT path, range_start, range_count, root, summary FROM results "
                "WHERE run_id = ? ORDER BY path, range_start", (run_id,)):
            text = _text(path)
            ranges.setdefault(text, []).append((start, summary_from_json(summary)))
            expected[text] = count
            roots[text] = _text(root)
        summaries: dict[str, FileSummary] = {}
        for path, parts in ranges.items():
            whole = parts[0][1]
            for _start, part in parts[1:]:
                whole = whole.merge_range(part)
            if len(parts) != expected[path]:  # only in a run that did not finish
                whole = FileSummary.failed(
                    path, f"incomplete: {len(parts)} of {expected[path]} byte ranges scanned",
                    size_bytes=whole.size_bytes)
            summaries[path] = whole
        unchanged = {_text(path): _text(root) for path, root in self._db.execute(
            "SELECT path, root FROM seen WHERE run_id = ? AND unchanged = 1", (run_id,))}
        return ReportInput(summaries, roots, unchanged)


def identity(found: FoundFile) -> str:
    return found.identity
