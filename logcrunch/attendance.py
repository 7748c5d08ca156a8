"""Attendance: which worker processes the head has seen, which heard the job is over, which died.

Pure (no lock, no I/O; time passed in). The head uses it to end a job politely: before it closes
its door it waits (briefly) until every worker seen lately has heard "done", so nodes exit 0
rather than "lost the head". A process a supervisor reported dead never asks again; but its node
restarts it, and the replacement should hear "done" too: for RESTART_GRACE_SECONDS after a loss
the head waits for a process of that node first seen since the loss, unless the loss itself told
the supervisor the job is over (it restarts nothing then).
"""

from __future__ import annotations

from dataclasses import dataclass

# After a node reports a dead process, how long the end of a job waits for its replacement to
# connect and hear "done" (so the node exits 0 rather than "lost the head").
RESTART_GRACE_SECONDS = 3.0


@dataclass(slots=True)
class WorkerSeen:
    """When the head first and last heard from one worker process."""

    worker: str
    first_seen: float
    last_seen: float
    told_done: bool = False  # heard the job is over, left, or died: will not ask again


@dataclass(slots=True)
class _Loss:
    """A worker process its node reported lost, and when."""

    node: str
    at: float
    settled: bool  # the report of the loss told its supervisor the job is over


class Attendance:
    """Worker processes by name (``host:node:pid``, see worker.process_name)."""

    def __init__(self, lease_seconds: float) -> None:
        self.lease_seconds = lease_seconds  # a worker seen within it is present
        self._workers: dict[str, WorkerSeen] = {}
        self._losses: dict[str, _Loss] = {}

    def touch(self, worker: str, now: float) -> WorkerSeen:
        seen = self._workers.get(worker)
        if seen is None:
            seen = self._workers[worker] = WorkerSeen(worker, now, now)
        else:
            seen.last_seen = now
        return seen

    def told_done(self, worker: str) -> None:
        """``worker`` heard the job is over (or left): it will not ask again."""
        self._workers[worker].told_done = True

    def lost(self, worker: str, now: float, settled: bool) -> None:
        """A supervisor reported process ``worker`` dead (``settled``: and heard the job is over)."""
        self.told_done(worker)
        self._losses[worker] = _Loss(node_of(worker), now, settled)

    # ----- questions --------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._workers)

    def last_contact(self) -> float | None:
        return max((w.last_seen for w in self._workers.values()), default=None)

    def active(self, now: float, within: float) -> int:
        return sum(1 for w in self._workers.values() if now - w.last_seen <= within)

    def connected(self, now: float) -> int:
        """Processes seen within a lease that have not left, died or heard the job end."""
        return sum(1 for w in self._workers.values()
                   if now - w.last_seen <= self.lease_seconds and not w.told_done)

    def not_told_done(self, now: float) -> int:
        """Processes seen lately that have not heard the job is over, plus nodes that lost a
        process moments ago and have not heard it since (their replacement may be connecting)."""
        return self.connected(now) + sum(1 for dead in self._losses
                                         if self._restarting(dead, now))

    def grace_ends(self, now: float) -> list[float]:
        """When the restart graces still running end (nothing notifies their end)."""
        return [loss.at + RESTART_GRACE_SECONDS for dead, loss in self._losses.items()
                if self._restarting(dead, now)]

    def _restarting(self, dead: str, now: float) -> bool:
        """Whether a node may still be starting the replacement of process ``dead``: not
        settled, within the grace, and no process of that node first seen since has heard the
        job is over. (Nodes can share a hostname, e.g. network namespaces on one machine: a
        process seen before the loss may belong to another node.)"""
        loss = self._losses[dead]
        if loss.settled or now - loss.at > RESTART_GRACE_SECONDS:
            return False
        return not any(w.first_seen >= loss.at and w.worker != dead and w.told_done
                       and node_of(w.worker) == loss.node for w in self._workers.values())


def node_of(worker: str) -> str:
    """The node part of a worker process's name: "host:node" of "host:node:pid" (see
    worker.process_name; a worker from before names itself "host:pid", and its node is "host")."""
    return worker.rpartition(":")[0] or worker
