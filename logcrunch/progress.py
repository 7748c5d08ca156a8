"""Progress of one job in bytes and files, counted so that the bar tells the truth.

`ProgressLedger` is the accounting; the broker keeps one under its lock and feeds it every event
(a file found, a task queued, a heartbeat's bytes, a task finished or put back on the queue). It
does no I/O and no locking. `RateMeter` turns (now, bytes done) samples into a byte rate.

Rules:
- ``bytes_total`` is the size of every file found to be read so far (it grows while the walk
  runs). Ranges a resumed run already stored count as total and as done from the start.
- ``bytes_done`` is the bytes of finished tasks plus, for each task in flight, the most its
  worker has reported reading. A report is clamped to [0, the task's bytes] and never lowers what
  that task reported before, so a peer can make the bar neither go back nor pass 100%.
- A task that goes back on the queue (its lease expired, its worker died, the lease was returned)
  loses its in-flight bytes: its next lease starts again from 0, so no byte is counted twice.
- A file counts once when found and once when done: when the last of its ranges is final. Rows the
  walk makes final at once (skipped, unchanged, deferred, unreadable) are done as they are found.
  A file is failed when any of its ranges failed.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ProgressTotals:
    """The job's byte and file counts at one moment."""

    bytes_total: int = 0
    bytes_done: int = 0
    files_found: int = 0
    files_done: int = 0
    files_failed: int = 0


class ProgressLedger:
    """The job's byte and file counts; see the module docstring for the rules."""

    def __init__(self) -> None:
        self._weight: dict[int, int] = {}  # unfinished task -> its bytes
        self._file_of: dict[int, str] = {}  # unfinished task -> its file
        self._in_flight: dict[int, int] = {}  # task -> the most its lease reported reading
        self._in_flight_bytes = 0
        self._ranges_left: dict[str, int] = {}  # file -> ranges not yet final
        self._failed_ranges: set[str] = set()  # files with a failed range, not yet done
        self._finished_bytes = 0
        self._bytes_total = 0
        self._files_found = 0
        self._files_done = 0
        self._files_failed = 0

    def add_file(self, path: str, ranges: int, stored_bytes: int = 0,
                 stored_failed: bool = False) -> None:
        """A file found, with ``ranges`` tasks to come (`add_task`) and ``stored_bytes`` a past
        attempt already read (``stored_failed``: one of those ranges failed)."""
        self._files_found += 1
        self._bytes_total += stored_bytes
        self._finished_bytes += stored_bytes
        if ranges <= 0:
            self._file_done(stored_failed)
            return
        self._ranges_left[path] = ranges
        if stored_failed:
            self._failed_ranges.add(path)

    def add_final_file(self, failed: bool = False) -> None:
        """A file the walk made final as found (skipped, unchanged, deferred, unreadable)."""
        self._files_found += 1
        self._file_done(failed)

    def add_task(self, task_id: int, path: str, weight: int) -> None:
        """A task queued; a file not announced with `add_file` counts as a file of one task."""
        if path not in self._ranges_left:
            self.add_file(path, 1)
        self._weight[task_id] = weight
        self._file_of[task_id] = path
        self._bytes_total += weight

    def report(self, task_id: int, bytes_read: int) -> None:
        """A worker holding ``task_id`` says it has read ``bytes_read`` of it (clamped, monotone)."""
        weight = self._weight.get(task_id)
        if weight is None:
            return  # finished already, or no task of this job
        value = min(max(bytes_read, 0), weight)
        before = self._in_flight.get(task_id, 0)
        if value > before:
            self._in_flight[task_id] = value
            self._in_flight_bytes += value - before

    def requeued(self, task_id: int) -> None:
        """The task went back on the queue: what its lease read counts no more."""
        self._in_flight_bytes -= self._in_flight.pop(task_id, 0)

    def finish(self, task_id: int, failed: bool) -> None:
        """The task is final (its result accepted, or failed for good)."""
        weight = self._weight.pop(task_id, None)
        if weight is None:
            return
        self.requeued(task_id)
        self._finished_bytes += weight
        path = self._file_of.pop(task_id)
        if failed:
            self._failed_ranges.add(path)
        left = self._ranges_left[path] - 1
        if left:
            self._ranges_left[path] = left
            return
        del self._ranges_left[path]
        self._file_done(path in self._failed_ranges)
        self._failed_ranges.discard(path)

    def totals(self) -> ProgressTotals:
        return ProgressTotals(self._bytes_total, self._finished_bytes + self._in_flight_bytes,
                              self._files_found, self._files_done, self._files_failed)

    def _file_done(self, failed: bool) -> None:
        self._files_done += 1
        self._files_failed += bool(failed)


class RateMeter:
    """Bytes per second over the last ``window`` seconds of (now, bytes done) samples."""

    MIN_SPAN = 1.0  # seconds of samples before there is a rate at all

    def __init__(self, window: float = 30.0) -> None:
        self.window = window
        self._samples: deque[tuple[float, int]] = deque()

    def add(self, now: float, bytes_done: int) -> None:
        self._samples.append((now, bytes_done))
        while len(self._samples) > 2 and now - self._samples[1][0] >= self.window:
            self._samples.popleft()

    def rate(self) -> float | None:
        """The rate, or None without one yet (too short a span, or no byte read in it)."""
        if len(self._samples) < 2:
            return None
        (first_at, first_bytes), (last_at, last_bytes) = self._samples[0], self._samples[-1]
        span = last_at - first_at
        if span < self.MIN_SPAN or last_bytes <= first_bytes:
            return None
        return (last_bytes - first_bytes) / span


def eta_seconds(totals: ProgressTotals, rate: float | None, walking: bool) -> float | None:
    """Seconds left at ``rate``; None while the walk still finds files or without a rate."""
    left = max(0, totals.bytes_total - totals.bytes_done)
    if walking:
        return None
    if not left and totals.files_done >= totals.files_found:
        return 0.0
    return left / rate if rate else None


def human_bytes(count: float) -> str:
    """``1.2 GB``: decimal units, one decimal from kB up."""
    if count < 1000:
        return f"{count:.0f} B"
    for unit in ("kB", "MB", "GB", "TB", "PB"):
        count /= 1000
        if count < 999.95 or unit == "PB":
            return f"{count:.1f} {unit}"
    raise AssertionError("unreachable")


def human_duration(seconds: float) -> str:
    """``0:00:11``, ``27:03:59``: hours, minutes, seconds (rounded up)."""
    whole = int(-(-seconds // 1))
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


def percent_done(totals: ProgressTotals, walking: bool) -> int:
    """Whole percent of the bytes done; 100 only once everything found is done and the walk is
    over (never rounded up to 100 while something is left)."""
    if totals.bytes_total <= 0:
        return 0 if walking or totals.files_done < totals.files_found else 100
    share = min(totals.bytes_done, totals.bytes_total) * 100 // totals.bytes_total
    if share == 100 and (walking or totals.files_done < totals.files_found):
        return 99
    return share


def progress_line(totals: ProgressTotals, workers: int, rate: float | None,
                  eta: float | None, walking: bool) -> str:
    """The line printed without a terminal, e.g. ``1.2 GB of 3.4 GB (35%), 120/400 files,
    3 workers, 0 failed, 210.0 MB/s, ETA 0:00:11`` (``400+ files`` while the walk goes on)."""
    found = f"{totals.files_found}{'+' if walking else ''}"
    speed = f"{human_bytes(rate)}/s" if rate else "? B/s"
    left = human_duration(eta) if eta is not None else "?"
    return (f"{human_bytes(totals.bytes_done)} of {human_bytes(totals.bytes_total)} "
            f"({percent_done(totals, walking)}%), {totals.files_done}/{found} files, "
            f"{workers} worker{'' if workers == 1 else 's'}, {totals.files_failed} failed, "
            f"{speed}, ETA {left}")
