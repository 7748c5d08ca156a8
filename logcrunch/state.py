"""The durable record of runs: SQLite (WAL) state database and the one-run-at-a-time lock.

Every accepted summary is committed before the head acknowledges it to the worker, so a head that
is killed loses nothing it has acknowledged; running the same command again resumes the run. The
database also remembers which file identities (inode, size, mtime) each finished run covered, so
``--incremental`` runs read only what is new or changed — a rotated file (renamed, same identity) is
not counted twice.

Summaries are stored as JSON (never pickle): exact numbers as ``"n/d"`` strings. A finished run
also stores its aggregates (per-group totals and template counts, see logcrunch.changes), so
comparing tonight with earlier runs never decodes their summaries again.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import re
import socket
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from fractions import Fraction

from logcrunch import defaults, wire
from logcrunch.changes import Aggregates
from logcrunch.deltas import Cursor
from logcrunch.discover import STATUS_DEFERRED, FoundFile
from logcrunch.readers import one_line
from logcrunch.report import PathOrdered, ReportInput, aggregates_of
from logcrunch.sketch import Sketch
from logcrunch.summary import STATUS_FAILED, FileSummary, Metric, Number, hour_of

SCHEMA_VERSION = 5

RUNNING = "running"
FINISHED_OK = "ok"
FINISHED_FAILED_FILES = "files_failed"
INCOMPLETE = "incomplete"
EMPTY = "empty"  # found no file at all: nothing published, never resumed, never a baseline
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
    # 3: a finished run's aggregates (logcrunch.changes), the baseline of later runs' changes.csv.
    # Runs finished before have none: StateDB.aggregates computes them once, when first asked.
    3: """
        CREATE TABLE aggregates (
            run_id INTEGER PRIMARY KEY REFERENCES runs (run_id),
            counts TEXT NOT NULL
        )
    """,
    # 4: where reading stopped in each file (deltas.Cursor), per roots+options, advanced when a
    # run finishes. Back-filled from each command's last finished run as "read whole, no
    # fingerprint": such files stay unchanged as before, and one that changed is read whole.
    4: """
        CREATE TABLE cursors (
            base_key TEXT NOT NULL,
            device INTEGER NOT NULL,
            inode INTEGER NOT NULL,
            size INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL,
            read_to INTEGER NOT NULL,
            fingerprint TEXT NOT NULL,
            last_hour TEXT NOT NULL,
            run_id INTEGER NOT NULL,
            PRIMARY KEY (base_key, device, inode)
        );
        INSERT OR REPLACE INTO cursors
        SELECT r.base_key, s.device, s.inode, s.size, s.mtime_ns, s.size, '', '', s.run_id
        FROM seen s JOIN runs r ON r.run_id = s.run_id
        WHERE r.run_id = (SELECT max(x.run_id) FROM runs x WHERE x.base_key = r.base_key
                          AND x.status IN ('ok', 'files_failed'))
          AND NOT EXISTS (SELECT 1 FROM results f WHERE f.run_id = s.run_id AND f.path = s.path
                          AND f.status = 'failed')
    """,
    # 5: a worker's summary may be stored in its received form (summary_received_json); rows
    # stored before stay as they are (summary_from_json reads both forms). Nothing to convert:
    # the version only keeps a logcrunch that cannot read the new form away from the database.
    5: "",
}
CURSOR_RUNS = 10  # a file's cursor is forgotten once this many finished runs have not seen it


class StateError(Exception):
    """The state database cannot be used; the message says why and what to do."""


class LockHeld(Exception):
    """Another run holds the lock; the message names it (pid, host, start time)."""


# What SQLite says when it cannot write, and what to do about it.
_WRITE_ADVICE = {
    "SQLITE_FULL": "free space and run the same command again",
    "SQLITE_READONLY": "make it and its directory writable and run the same command again",
    "SQLITE_PERM": "make it and its directory writable and run the same command again",
    "SQLITE_CANTOPEN": "check that its directory exists and is writable, then run the same "
                       "command again",
    "SQLITE_IOERR": "check the disk and run the same command again",
}
_ERRNO_ADVICE = {errno.ENOSPC: "SQLITE_FULL", errno.EDQUOT: "SQLITE_FULL",
                 errno.EROFS: "SQLITE_READONLY", errno.EACCES: "SQLITE_PERM",
                 errno.EPERM: "SQLITE_PERM"}


def write_failure(path: str, exc: BaseException) -> StateError:
    """One line for a state database that cannot be written: what happened and what to do."""
    while isinstance(exc.__context__, sqlite3.Error):  # a failed ROLLBACK hides the real cause
        exc = exc.__context__
    if isinstance(exc, OSError):
        kind = _ERRNO_ADVICE.get(exc.errno, "SQLITE_IOERR")
        detail = exc.strerror.lower() if exc.strerror else str(exc)
    else:
        kind = getattr(exc, "sqlite_errorname", "") or "SQLITE_IOERR"
        detail = str(exc)
    if kind.startswith("SQLITE_IOERR") and _disk_full(path):  # say, growing its -shm file
        kind, detail = "SQLITE_FULL", "database or disk is full"
    advice = next((text for name, text in _WRITE_ADVICE.items() if kind.startswith(name)),
                  "check the disk and run the same command again")
    return StateError(f"cannot write the state database {path}: {detail}; {advice}")


def _disk_full(path: str) -> bool:
    try:
        disk = os.statvfs(os.path.dirname(os.path.abspath(path)))
    except OSError:
        return False
    return disk.f_bavail * disk.f_frsize < 64 * 1024


def _is_write_failure(exc: sqlite3.Error) -> bool:
    return getattr(exc, "sqlite_errorname", "").startswith(tuple(_WRITE_ADVICE))


def default_state_path() -> str:
    return os.path.expanduser(os.environ.get(defaults.STATE_ENV) or defaults.DEFAULT_STATE_PATH)


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
    """One run at a time per state database: an exclusive flock on the database file itself.

    The lock belongs to the file (its inode), not to a name, so every name of it (a symlink, a
    hard link, ``./x/../state.db``) meets the same lock. On a local filesystem flock(2) locks are
    independent of the POSIX (fcntl) byte-range locks SQLite takes on the same file; on NFS flock
    is emulated with POSIX locks and would collide with SQLite's, which is one more reason the
    state directory is refused there. POSIX locks have one trap: closing *any* descriptor of the
    file drops all of this process's SQLite locks on it, so the lock must be released only after
    the database is closed (`run_job` does), never while a connection is open.

    ``<real path>.lock`` is locked too: logcrunch before this change locked only that file, so old
    and new versions still exclude each other during an upgrade. It also says who holds the lock.
    The kernel releases both if the holder dies, so a crashed run's lock is simply taken over.
    """

    def __init__(self, state_path: str) -> None:
        self.state_path = state_path
        self.path = os.path.realpath(state_path) + ".lock"
        self._fds: list[int] = []

    def acquire(self) -> None:
        directory = os.path.dirname(os.path.abspath(self.state_path))
        try:
            os.makedirs(directory, exist_ok=True)
        except OSError as exc:
            raise write_failure(self.state_path, exc) from None
        fs_type = filesystem_type(directory)
        if fs_type in _NETWORK_FILESYSTEMS:
            raise StateError(f"the state directory {directory} is on {fs_type}; "
                             "locks there are unreliable. Use --state on a local disk")
        database = self._open(self.state_path)  # created empty if new: SQLite takes that
        try:
            if not _try_flock(database):
                raise LockHeld(f"another logcrunch run holds {self.state_path}: "
                               f"{self._holder(os.fstat(database))}")
            holder_file = self._open(self.path)
            try:
                if not _try_flock(holder_file):  # a logcrunch from before this lock
                    raise LockHeld(f"another logcrunch run holds {self.path}: "
                                   f"{_read_holder(self.path) or 'unknown holder'}")
                holder = (f"pid {os.getpid()} on {socket.gethostname()}, started "
                          f"{time.strftime('%Y-%m-%d %H:%M:%S')}\n").encode()
                with contextlib.suppress(OSError):  # only a description (a full disk...)
                    os.ftruncate(holder_file, 0)
                    os.pwrite(holder_file, holder, 0)
            except BaseException:
                os.close(holder_file)
                raise
        except BaseException:
            os.close(database)  # no connection is open yet: no SQLite lock is lost
            raise
        self._fds = [holder_file, database]

    def _open(self, path: str) -> int:
        try:
            return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise write_failure(self.state_path, exc) from None

    def _holder(self, database: os.stat_result) -> str:
        """Who holds the database's flock: the kernel knows the pid; the .lock file says more."""
        text = _read_holder(self.path)
        pid = _flock_owner(database)
        if pid is None:
            return text or "unknown holder"
        if text.startswith(f"pid {pid} "):
            return text
        return f"pid {pid} on {socket.gethostname()} (through another name of the same file)"

    def release(self) -> None:
        if self._fds:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fds[0], 0)  # the holder file: nobody holds it now
            for fd in self._fds:
                os.close(fd)  # closing drops the flock
            self._fds = []

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def _try_flock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            return False
        raise


def _read_holder(path: str) -> str:
    try:
        with open(path, "rb") as fp:
            return fp.read(4096).decode(errors="replace").strip()
    except OSError:
        return ""


def _flock_owner(info: os.stat_result) -> int | None:
    """The pid holding an flock on this file, from /proc/locks (Linux); None when unknown."""
    wanted = f"{os.major(info.st_dev):02x}:{os.minor(info.st_dev):02x}:{info.st_ino}"
    try:
        with open("/proc/locks", encoding="ascii", errors="replace") as fp:
            lines = fp.read().splitlines()
    except OSError:
        return None
    for line in lines:
        fields = line.split()  # "1: FLOCK  ADVISORY  WRITE 4242 08:01:1311 0 EOF"
        if len(fields) >= 6 and fields[1] == "FLOCK" and fields[5] == wanted:
            with contextlib.suppress(ValueError):
                return int(fields[4])
    return None


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
_FIELD_NAMES = frozenset(_SUMMARY_FIELDS)


def summary_to_json(summary: FileSummary) -> str:
    # Field by field: dataclasses.asdict deep-copies and costs more than the commit itself.
    data = {name: getattr(summary, name) for name in _SUMMARY_FIELDS}
    data["metrics"] = {
        name: [m.count, _num(m.total), _num(m.total_sq), _num(m.minimum), _num(m.maximum),
               None if m.sketch is None else m.sketch.flat()]
        for name, m in summary.metrics.items()
    }
    return json.dumps(data, sort_keys=True)


def _metric_from_json(values: list) -> Metric:
    """[count, sum, sum_sq, min, max, sketch]; rows stored before sketches existed have no
    sixth item: their sketch is None (no percentiles)."""
    sketch = values[5] if len(values) > 5 else None
    return Metric(values[0], *(_unnum(v) for v in values[1:5]),
                  sketch=None if sketch is None else Sketch.from_flat(sketch))


def summary_received_json(summary: FileSummary, received: str) -> str:
    """The stored form of a worker's summary that came in as the wire text ``received``
    (wire.decode_call) and was validated: that text as is, with the three fields the head sets
    after it (attempts, read_from, read_mode), so storing costs no encoding of the summary. The
    head's fields come first, with the keys of the other form: ``$.attempts`` means the same in
    SQL in both. ``summary`` must be ``received`` decoded with only those fields changed since."""
    return (f'{{"attempts":{int(summary.attempts)},"read_from":{int(summary.read_from)},'
            f'"read_mode":{json.dumps(summary.read_mode)},"wire":{received}}}')


_RECEIVED = re.compile(r'\{"attempts":(\d+),"read_from":(\d+),"read_mode":("(?:[^"\\]|\\.)*"),"wire":')


def summary_from_json(text: str) -> FileSummary:
    """A stored summary, in either form (summary_to_json, summary_received_json)."""
    received = _RECEIVED.match(text)
    if received is not None:
        return _summary_from_received(text, received)
    data = json.loads(text)
    metrics = {name: _metric_from_json(values) for name, values in data.pop("metrics").items()}
    # Fields this version does not know (a newer logcrunch wrote the row) are left out; fields
    # an older one did not write take their defaults.
    return FileSummary(metrics=metrics, **{k: v for k, v in data.items() if k in _FIELD_NAMES})


def _summary_from_received(text: str, head: re.Match) -> FileSummary:
    """The summary stored as received: the worker's text decoded as the wire decodes it (it was
    validated before it was stored), the head's fields set, and its metrics and timeline in key
    order as summary_to_json's rows have them."""
    summary = wire.decode(text[head.end():-1].encode("ascii"))
    if type(summary) is not FileSummary:
        raise StateError("a stored summary is not a summary")
    summary.attempts, summary.read_from = int(head.group(1)), int(head.group(2))
    summary.read_mode = json.loads(head.group(3))
    summary.metrics = _sorted(summary.metrics)
    summary.timeline = _sorted(summary.timeline)
    return summary


def _sorted(mapping: dict) -> dict:
    keys = list(mapping)
    if keys == sorted(keys):
        return mapping
    return dict(sorted(mapping.items()))


def aggregates_to_json(aggregates: Aggregates) -> str:
    """[[group, kind, level, name, count], ...] sorted: JSON escapes any text (surrogates too)."""
    return json.dumps(sorted([*key, count] for key, count in aggregates.counts.items()))


def aggregates_from_json(text: str) -> Aggregates:
    return Aggregates({(group, kind, level, name): count
                       for group, kind, level, name, count in json.loads(text)})


def _storable_json(summary: FileSummary) -> tuple[str, str]:
    """(status, JSON) of a summary; for one that cannot be encoded, of its file's failure."""
    try:
        return summary.status, summary_to_json(summary)
    except Exception as exc:  # any value a worker could send: the file fails, not the run
        reason = one_line(f"cannot store its result: {type(exc).__name__}: {exc}")
        return STATUS_FAILED, summary_to_json(FileSummary.failed(summary.path, reason))


def _blob(path: str) -> bytes:
    return os.fsencode(path)


def _text(blob: bytes) -> str:
    return os.fsdecode(blob)


# ----- the database --------------------------------------------------------------------------


@dataclass
class RunRecord:
    """One run as the state database records it."""

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


@dataclass(frozen=True)
class _CursorFacts:
    """What finish_run keeps of a file's summary to move its cursor."""

    status: str
    read_from: int
    read_to: int
    fingerprint: str
    last_ts: str


class StoredSummaries(PathOrdered):
    """A run's final summaries read from the state database one file at a time, in path order,
    on every pass (report.PathOrdered); the paths (and their range counts) are all it holds.
    A run whose summaries are small in all (under defaults.REPORT_HELD_BYTES of stored text)
    is read once and held, which spares the report's passes re-reading it."""

    def __init__(self, db: StateDB, run_id: int, expected: dict[str, int],
                 blobs: dict[str, bytes]) -> None:
        self._db = db
        self._run_id = run_id
        self._expected = expected
        self._blobs = blobs
        self._order = sorted(expected)
        self._held: dict[str, FileSummary] | None = None
        total = db._db.execute("SELECT sum(length(summary)) FROM results WHERE run_id = ?",
                               (run_id,)).fetchone()[0] or 0
        if total <= defaults.REPORT_HELD_BYTES:
            self._held = {path: self._load(path) for path in self._order}

    def _load(self, path: str) -> FileSummary:
        return self._db._stored_summary(self._run_id, path, self._blobs[path],
                                        self._expected[path])

    def __getitem__(self, path: str) -> FileSummary:
        if path not in self._expected:
            raise KeyError(path)
        return self._held[path] if self._held is not None else self._load(path)

    def __iter__(self) -> Iterator[str]:
        return iter(self._order)

    def __len__(self) -> int:
        return len(self._order)

    def items(self) -> Iterator[tuple[str, FileSummary]]:
        if self._held is not None:
            held = self._held
            return ((path, held[path]) for path in self._order)
        return ((path, self._load(path)) for path in self._order)


class StateDB:
    """The state database. Thread-safe: manager threads persist results while the head reads."""

    def __init__(self, path: str, create: bool = True) -> None:
        self.path = path
        if not create and not os.path.exists(path):
            raise StateError(f"no state database at {path}; check --state / ${defaults.STATE_ENV}")
        try:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        except OSError as exc:
            raise write_failure(path, exc) from None
        try:
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None,
                                       timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            # FULL: a commit is on disk before the worker hears "accepted", even across a reboot.
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.Error as exc:
            if _is_write_failure(exc):
                raise write_failure(path, exc) from None
            raise StateError(f"cannot use state database {path}: {exc}") from None
        self._lock = threading.Lock()

    def close(self) -> None:
        self._db.close()

    @contextlib.contextmanager
    def writing(self):
        """Turn SQLite's write errors (full disk, read-only...) into one clear StateError."""
        try:
            yield
        except sqlite3.Error as exc:
            raise write_failure(self.path, exc) from None

    def _rollback(self) -> None:
        """Roll back if a transaction is open (a failed COMMIT may have ended it already)."""
        if self._db.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")

    def _migrate(self) -> None:
        self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        row = self._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        version = int(row[0]) if row else 0
        if version > SCHEMA_VERSION:
            raise StateError(f"state database {self.path} has schema {version}, newer than this "
                             f"logcrunch understands ({SCHEMA_VERSION}); upgrade logcrunch")
        if version == SCHEMA_VERSION:
            return
        # Every step in one transaction: a new database costs one durable commit, not one per
        # schema version, and a crash leaves the old version whole.
        self._db.execute("BEGIN IMMEDIATE")
        try:
            row = self._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            version = int(row[0]) if row else 0  # (another process may have migrated since)
            for target in range(version + 1, SCHEMA_VERSION + 1):
                for statement in _MIGRATIONS[target].split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                self._db.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)",
                                 (str(target),))
            self._db.execute("COMMIT")
        except BaseException:
            self._rollback()
            raise

    # -- runs --

    def start_run(self, roots: list[str], options: dict, incremental: bool, out_dir: str,
                  fresh: bool) -> tuple[RunRecord, bool]:
        """Resume the unfinished run of the same command, or start a new one; (run, resumed)."""
        run_key, base_key = run_keys(roots, options, incremental)
        with self._lock, self.writing():
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
        """The latest run that finished (published its report); a run still going, one that
        did not finish and one that found nothing are not it."""
        row = self._db.execute("SELECT max(run_id) FROM runs WHERE status IN (?, ?)",
                               FINISHED).fetchone()
        if row is not None and row[0] is not None:
            return row[0]
        recorded = self._db.execute("SELECT count(*) FROM runs").fetchone()[0]
        if not recorded:
            raise StateError(f"no runs recorded in {self.path} yet")
        raise StateError(f"no finished run in {self.path} yet ({recorded} recorded, none "
                         "finished); `logcrunch runs` lists them: export one with --run ID "
                         "--allow-incomplete")

    def list_runs(self, limit: int = 50) -> list[RunRecord]:
        ids = [r[0] for r in self._db.execute(
            "SELECT run_id FROM runs ORDER BY run_id DESC LIMIT ?", (limit,))]
        return [self.get_run(run_id) for run_id in ids]

    def finish_run(self, run_id: int, status: str,
                   summaries: Iterable[FileSummary] | None = None,
                   aggregates: Aggregates | None = None,
                   ended: float | None = None) -> None:
        """Record how a run ended; ``summaries`` (the merged per-file ones) give the counts;
        ``ended`` (default now): the end time report.html already shows.

        ``aggregates`` (of a finished run) are stored in the same transaction, once.
        """
        if summaries is None:
            summaries = self.report_input(run_id).summaries.values()
        # What the cursors need of each file, not the summaries themselves (bounded memory).
        by_path: dict[str, _CursorFacts] = {}
        counts: dict[str, int] = {}
        for summary in summaries:
            if summary.path not in by_path:
                counts[summary.status] = counts.get(summary.status, 0) + 1
            by_path[summary.path] = _CursorFacts(summary.status, summary.read_from,
                                                 summary.read_to, summary.fingerprint,
                                                 summary.last_ts)
        with self._lock, self.writing():
            self._rollback()  # left open by a write that failed (a full disk): not ours to keep
            self._db.execute("BEGIN IMMEDIATE")
            try:
                unchanged = self._db.execute(
                    "SELECT count(*) FROM seen WHERE run_id = ? AND unchanged = 1",
                    (run_id,)).fetchone()[0]
                self._db.execute(
                    "UPDATE runs SET ended = ?, status = ?, files_ok = ?, files_skipped = ?, "
                    "files_failed = ?, files_unchanged = ? WHERE run_id = ?",
                    (time.time() if ended is None else ended, status, counts.get("ok", 0),
                     counts.get("skipped", 0),
                     counts.get("failed", 0), unchanged, run_id))
                if aggregates is not None:
                    self._db.execute("INSERT OR REPLACE INTO aggregates VALUES (?, ?)",
                                     (run_id, aggregates_to_json(aggregates)))
                if status in FINISHED:
                    self._advance_cursors(run_id, by_path)
                self._db.execute("COMMIT")
            except BaseException:
                self._rollback()
                raise

    def _advance_cursors(self, run_id: int, summaries: dict[str, _CursorFacts]) -> None:
        """A finished run moves the cursors of the files it read, keeps those of the files it
        saw but did not count (unchanged, deferred, failed) alive, and forgets files no finished
        run has seen for CURSOR_RUNS runs."""
        base_key = self._db.execute("SELECT base_key FROM runs WHERE run_id = ?",
                                    (run_id,)).fetchone()[0]
        old = self.cursors(base_key)
        rows = []
        touched = []
        for path, device, inode, size, mtime_ns, unchanged in self._db.execute(
                "SELECT path, device, inode, size, mtime_ns, unchanged FROM seen WHERE run_id = ?",
                (run_id,)).fetchall():
            summary = summaries.get(_text(path))
            if unchanged or summary is None or summary.status == STATUS_FAILED:
                # Unchanged, deferred by --settle, or failed: seen but not counted tonight; the
                # cursor stays where the last reading left it, and alive.
                touched.append((run_id, base_key, device, inode))
                continue
            before = old.get((device, inode))
            if summary.read_to >= 0:
                read_to, print_ = summary.read_to, summary.fingerprint
            else:
                read_to, print_ = size, ""  # compressed or skipped: read whole when it changes
            last_hour = hour_of(summary.last_ts) or (
                before.last_hour if before is not None and summary.read_from > 0 else "")
            rows.append((base_key, device, inode, size, mtime_ns, read_to, print_, last_hour,
                         run_id))
        self._db.executemany("INSERT OR REPLACE INTO cursors VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                             rows)
        self._db.executemany("UPDATE cursors SET run_id = ? WHERE base_key = ? AND device = ? "
                             "AND inode = ?", touched)
        oldest = self._db.execute(
            "SELECT run_id FROM runs WHERE base_key = ? AND status IN (?, ?) ORDER BY run_id DESC "
            "LIMIT 1 OFFSET ?", (base_key, *FINISHED, CURSOR_RUNS - 1)).fetchone()
        if oldest is not None:
            self._db.execute("DELETE FROM cursors WHERE base_key = ? AND run_id < ?",
                             (base_key, oldest[0]))

    def cursors(self, base_key: str) -> dict[tuple[int, int], Cursor]:
        """Where finished runs of a command left each file: (device, inode) -> Cursor."""
        return {(device, inode): Cursor(size, mtime_ns, read_to, print_, last_hour)
                for device, inode, size, mtime_ns, read_to, print_, last_hour in self._db.execute(
                    "SELECT device, inode, size, mtime_ns, read_to, fingerprint, last_hour "
                    "FROM cursors WHERE base_key = ?", (base_key,))}

    def command_cursors(self, roots: list[str], options: dict) -> dict[tuple[int, int], Cursor]:
        """`cursors` of the command over ``roots`` with ``options`` (either mode)."""
        return self.cursors(run_keys(roots, options, False)[1])

    # -- comparisons --

    def baseline_runs(self, run_id: int, limit: int) -> list[int]:
        """The up to ``limit`` latest finished runs before ``run_id`` of the same command and mode
        (run_key: roots, options, incremental or not), newest first."""
        if limit <= 0:
            return []
        return [row[0] for row in self._db.execute(
            "SELECT run_id FROM runs WHERE run_key = (SELECT run_key FROM runs WHERE run_id = ?) "
            "AND run_id < ? AND status IN (?, ?) ORDER BY run_id DESC LIMIT ?",
            (run_id, run_id, *FINISHED, limit))]

    def aggregates(self, run_id: int) -> Aggregates:
        """A finished run's aggregates; for one finished before they were stored (schema 2),
        computed from its summaries and stored, once. Not stored when the database refuses the
        write (say, a read-only copy): they are computed again next time."""
        row = self._db.execute("SELECT counts FROM aggregates WHERE run_id = ?",
                               (run_id,)).fetchone()
        if row is not None:
            return aggregates_from_json(row[0])
        finished = self.get_run(run_id).status in FINISHED
        aggregates = aggregates_of(self.report_input(run_id))
        if finished:
            with self._lock, contextlib.suppress(sqlite3.Error):
                self._db.execute("INSERT OR IGNORE INTO aggregates VALUES (?, ?)",
                                 (run_id, aggregates_to_json(aggregates)))
        return aggregates

    # -- results --

    def store_results(self, run_id: int, rows: list[tuple]) -> None:
        """Commit a batch of (summary, root, range_start, range_count, identity[, received]) in
        one transaction; ``received``, when there and not None, is the wire text the summary came
        in as (recorder.Row): stored as that text (summary_received_json), not encoded again.

        A row for a (path, range) the run already has is ignored: the first result counts. A
        summary that cannot be encoded is stored as a failure of its file ("cannot store its
        result: ..."), so one bad result fails that file, not the run.
        """
        encoded = [(row[0], _storable_json(row[0]) if len(row) < 6 or row[5] is None
                    else (row[0].status, summary_received_json(row[0], row[5])), *row[1:5])
                   for row in rows]
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.executemany(
                    "INSERT OR IGNORE INTO results (run_id, path, range_start, range_count, root, "
                    "status, summary, identity) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [(run_id, _blob(s.path), start, count, _blob(root), status, text, ident)
                     for s, (status, text), root, start, count, ident in encoded])
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def record_seen(self, run_id: int, files: list[tuple[FoundFile, int]]) -> None:
        """Remember the files a run saw, for later incremental runs: with each, True (1) if it
        was unchanged, deltas.SEEN_DEFERRED (2) if --settle left it for the next run."""
        with self._lock, self.writing():
            self._db.execute("BEGIN")
            try:
                self._db.executemany(
                    "INSERT OR REPLACE INTO seen (run_id, path, root, inode, size, mtime_ns, "
                    "unchanged, device) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [(run_id, _blob(f.path), _blob(f.root), f.inode, f.size, f.mtime_ns,
                      int(unchanged), f.device) for f, unchanged in files])
                self._db.execute("COMMIT")
            except BaseException:
                self._rollback()
                raise

    def stored_ranges(self, run_id: int) -> dict[str, tuple[str, dict[int, FileSummary]]]:
        """What a resumed run already has: path -> (file identity, {range_start: summary})."""
        out: dict[str, tuple[str, dict[int, FileSummary]]] = {}
        for path, start, summary, ident in self._db.execute(
                "SELECT path, range_start, summary, identity FROM results WHERE run_id = ?",
                (run_id,)):
            out.setdefault(_text(path), (ident, {}))[1][start] = summary_from_json(summary)
        return out

    def file_counts(self, run_id: int) -> Counter:
        """The run's files by final status: a split file once, failed if any range failed, and
        only once every range is in (one still to read has no final status yet)."""
        return Counter(dict(self._db.execute(
            "SELECT status, COUNT(*) FROM (SELECT CASE WHEN SUM(status = ?) > 0 THEN ? "
            "ELSE MIN(status) END AS status FROM results WHERE run_id = ? GROUP BY path "
            "HAVING COUNT(*) >= MAX(range_count)) GROUP BY status",
            (STATUS_FAILED, STATUS_FAILED, run_id))))

    def discard_results(self, run_id: int, path: str) -> None:
        """Forget a file's stored results (it changed since they were made)."""
        with self._lock, self.writing():
            self._db.execute("DELETE FROM results WHERE run_id = ? AND path = ?",
                             (run_id, _blob(path)))

    def report_input(self, run_id: int) -> ReportInput:
        """A run's report input from the database (split files' ranges joined): its summaries
        come one file at a time (StoredSummaries), so a report of any number of files is made
        in bounded memory; only each file's path, root and range count are held."""
        roots: dict[str, str] = {}
        expected: dict[str, int] = {}
        deferred: dict[str, FileSummary] = {}
        blobs: dict[str, bytes] = {}
        for path, root, count, is_deferred in self._db.execute(
                "SELECT path, root, range_count, max(status = ?) FROM results WHERE run_id = ? "
                "GROUP BY path", (STATUS_DEFERRED, run_id)):
            text = _text(path)
            roots[text] = _text(root)
            if is_deferred:  # a row of the walk: one part, nothing read
                deferred[text] = summary_from_json(self._db.execute(
                    "SELECT summary FROM results WHERE run_id = ? AND path = ?",
                    (run_id, path)).fetchone()[0])
            else:
                expected[text] = count
                blobs[text] = path
        unchanged = {_text(path): _text(root) for path, root in self._db.execute(
            "SELECT path, root FROM seen WHERE run_id = ? AND unchanged = 1", (run_id,))}
        return ReportInput(StoredSummaries(self, run_id, expected, blobs), roots, unchanged,
                           deferred)

    def _stored_summary(self, run_id: int, path: str, blob: bytes, expected: int
                        ) -> FileSummary:
        """One file's final summary: its stored ranges joined in order."""
        parts = [summary_from_json(text) for (text,) in self._db.execute(
            "SELECT summary FROM results WHERE run_id = ? AND path = ? ORDER BY range_start",
            (run_id, blob))]
        whole = parts[0]
        for part in parts[1:]:
            whole = whole.merge_range(part)
        if len(parts) != expected:  # only in a run that did not finish
            whole = FileSummary.failed(
                path, f"incomplete: {len(parts)} of {expected} byte ranges scanned",
                size_bytes=whole.size_bytes)
        return whole
