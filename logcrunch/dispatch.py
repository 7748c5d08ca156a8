"""Dispatchers: what gets the broker's tasks scanned.

The head walks the roots into the broker's tasks and the run's recorder takes the results
(logcrunch.head, logcrunch.recorder); between them, a dispatcher gets the tasks scanned. Each one
calls the broker as a worker would (lease, heartbeat, complete, worker_lost, leave: the broker's
rules decide what counts). `ServerDispatcher` is logcrunch's own: the broker served over TCP
(logcrunch.transport) to `logcrunch work` processes, and for `logcrunch run` the local worker
processes it forks. logcrunch.dask_engine has one that submits the tasks to a Dask cluster.
"""

from __future__ import annotations

import logging
from typing import Protocol

from logcrunch.broker import Broker
from logcrunch.local_workers import LocalWorkers
from logcrunch.transport import BrokerServer

__all__ = ["Dispatcher", "EngineUnavailable", "LocalWorkers", "ServerDispatcher"]

log = logging.getLogger(__name__)


class EngineUnavailable(Exception):
    """The engine a dispatcher hands tasks to cannot be reached (say, a Dask scheduler): the
    message says why and what to do; nothing was recorded."""


class Dispatcher(Protocol):
    """How the head gets its tasks scanned. The head calls, in this order: ``start`` once before
    its walk starts, ``work_queued`` once just before the first task is queued, ``liveness`` on
    every tick of its loop (every ~50 ms: keep it cheap), and ``close`` once the job is over
    (after the broker says so to its workers)."""

    @property
    def address(self) -> tuple[str, int] | None:
        """Where workers connect, if they connect to the head (None otherwise)."""

    def start(self, broker: Broker) -> None:
        """Begin getting ``broker``'s tasks scanned; it takes calls from now on."""

    def work_queued(self) -> None:
        """The first task is about to be queued (a job with nothing to read never says so)."""

    def liveness(self) -> str:
        """Why the job cannot go on ("" while it can): the run then stops, resumable."""

    def how_to_add_workers(self) -> str:
        """What to tell the operator when no worker has been seen for --worker-timeout."""

    def close(self) -> None:
        """Release everything (within seconds); tasks not done stay for a resumed run."""


class ServerDispatcher:
    """The broker served over TCP to `logcrunch work` processes (and, with ``local``, to the
    local worker processes of `logcrunch run`, forked at `start` unless forked already). It binds
    its address when made, so a bad --bind fails before a run is recorded (transport.BindError)."""

    def __init__(self, bind: tuple[str, int], authkey: bytes,
                 local: LocalWorkers | None = None) -> None:
        self.server = BrokerServer(None, bind, authkey)
        self.local = local
        self._broker: Broker | None = None

    @property
    def address(self) -> tuple[str, int]:
        return self.server.address

    def start(self, broker: Broker) -> None:
        self._broker = broker
        self.server.attach(broker)
        if self.local is not None:
            self.local.start(self.address)  # (forked before the server's threads start)
        self.server.start()

    def work_queued(self) -> None:
        if self.local is not None:
            self.local.work_queued()

    def liveness(self) -> str:
        return self.local.exited_early(self._broker) if self.local is not None else ""

    def how_to_add_workers(self) -> str:
        host, port = self.address
        if host in ("0.0.0.0", "::", ""):
            host = "THIS-HOST"
        return f"start workers with `logcrunch work --server {host}:{port}` (same authkey)"

    def close(self) -> None:
        """Stop serving, then stop the local workers (idempotent)."""
        self.server.close()
        if self.local is not None and self._broker is not None:
            self.local.stop(self._broker)
            self.local = None
        elif self.local is not None:  # never started: one forked early leaves at end of file
            self.local.abandon()
