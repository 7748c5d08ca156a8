"""What a worker node's supervisor decides, without doing any of it.

`Supervisor` holds the state of one `logcrunch work` node and of each of its scanning child
processes, takes events (a child started, a child left saying how it ended, a child overran the
per-file timeout, a signal came, the head answered a loss report) with the clock passed in, and
returns the actions to take. It does no I/O: `logcrunch.worker.run_worker` forks, waits, kills,
connects and prints around it.

A child says how it ended (`Outcome`, set in shared memory just before it exits); a child that
says nothing *died* (killed by a signal, or a crash past the point where it could say), and so
did one that says it crashed. The rules:

- A child that ends cleanly (the head said the job is over, or it was asked to stop) while the node
  is not stopping means the job is over for every child: its siblings are told to stop. (A child
  told to stop by someone else than this node counts the same: that is how the node always
  behaved.)
- A child that died is reported to the head at once (which lease and task it held, and why: a
  timed-out child "timed out after N s", else how it died). When the head answers that this death
  ended the job (its file failed for good), the siblings stop and nothing is restarted, unless the
  node runs ``--forever``.
- Otherwise a dead child is restarted, unless the node is stopping, or ``max_restarts`` restarts
  already happened within the last ``RESTART_WINDOW`` seconds: then the node *gives up* on that
  child (its siblings work on; a later death is restarted again once the window allows).
- When the last child is gone the node fails if it gave up and the job is not over, else if a child
  could not work with the head (keys, versions, protocol), else if a child lost the head while the
  node was neither stopping nor over; otherwise it exits 0.
"""

from __future__ import annotations

import enum
import signal
from collections import deque
from dataclasses import dataclass
from typing import Literal

RESTART_WINDOW = 600.0  # seconds


class Outcome(enum.IntEnum):
    """How a child says it ended (0: it said nothing, so it died)."""

    UNSET = 0
    DONE = 1  # the head said the job is over (or there is none)
    STOPPED = 2  # asked to stop (SIGTERM): it finished its file and handed its lease back
    HEAD_LOST = 3  # the head stayed unreachable past --connect-timeout (the child logged it)
    AUTH_FAILED = 4  # keys or versions differ, or the head broke the protocol (logged)
    CRASHED = 5  # an unexpected exception (the child logged the traceback)


# What a child exits with after saying its outcome: only for `ps` and the like; the supervisor
# reads the outcome, and describes a death by the exit code only when there is none.
EXIT_CODES = {Outcome.DONE: 0, Outcome.STOPPED: 0, Outcome.HEAD_LOST: 1,
              Outcome.AUTH_FAILED: 4, Outcome.CRASHED: 70}

# A child's state, as the supervisor sees it. Live: "running", "stopping" (told to stop),
# "timed out" (killed for overrunning the per-file timeout), "lost" (died; its loss report to the
# head is under way). Final: the outcome it said ("done", "stopped", "head lost", "auth failed"),
# or "died".
ChildState = Literal["running", "stopping", "timed out", "lost", "done", "stopped", "head lost",
                     "auth failed", "died"]
LIVE: frozenset[str] = frozenset({"running", "stopping", "timed out", "lost"})
_FINAL = {Outcome.DONE: "done", Outcome.STOPPED: "stopped", Outcome.HEAD_LOST: "head lost",
          Outcome.AUTH_FAILED: "auth failed"}


# ----- actions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Notify:
    """Tell the operator (the node's log)."""

    message: str


@dataclass(frozen=True)
class Spawn:
    """Start a child (at start, or to restart one that died); then call `started`."""


@dataclass(frozen=True)
class Stop:
    """Ask these children to stop (SIGTERM): they finish their file and hand their lease back."""

    names: tuple[str, ...]


@dataclass(frozen=True)
class Kill:
    """Kill this child now (SIGKILL): it overran the per-file timeout."""

    name: str


@dataclass(frozen=True)
class ReportLoss:
    """Tell the head which lease and task this dead child held and why it is gone; then call
    `loss_answered` with whether the head says that ended the job (False when unreachable)."""

    name: str
    reason: str


@dataclass(frozen=True)
class Fail:
    """The node ends with this error (``logcrunch work`` prints it and exits 1)."""

    message: str


@dataclass(frozen=True)
class Succeed:
    """The node ends well (exit 0)."""


Action = Notify | Spawn | Stop | Kill | ReportLoss


def death_reason(exitcode: int | None) -> str:
    """How a process died, from its exit code (negative: the signal that killed it)."""
    if exitcode is not None and exitcode < 0:
        try:
            return f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return f"exit code {exitcode}"


class RestartWindow:
    """Counts restarts within the last ``window`` seconds (times must not go backwards)."""

    def __init__(self, limit: int, window: float = RESTART_WINDOW) -> None:
        self.limit = limit
        self.window = window
        self._times: deque[float] = deque()

    def allows(self, now: float) -> bool:
        """True when fewer than ``limit`` restarts happened in [now - window, now]."""
        while self._times and now - self._times[0] > self.window:
            self._times.popleft()
        return len(self._times) < self.limit

    def record(self, now: float) -> None:
        self._times.append(now)


@dataclass
class _Child:
    """The supervisor's view of one child process."""

    state: ChildState = "running"
    timeout: float = 0.0  # the per-file limit it overran, when "timed out"
    died_of: str = ""  # how it died (for the operator), while "lost"


class Supervisor:
    """The decisions of one worker node (see the module docstring); no I/O, clock passed in."""

    def __init__(self, processes: int, max_restarts: int, forever: bool,
                 head: tuple[str, int], connect_timeout: float,
                 restart_window: float = RESTART_WINDOW) -> None:
        self.processes = processes
        self.max_restarts = max_restarts
        self.forever = forever
        self.head = head
        self.connect_timeout = connect_timeout
        self.restarts = RestartWindow(max_restarts, restart_window)
        self.children: dict[str, _Child] = {}
        # The node: whether it is stopping (a signal came: restart nothing), and how it ends
        # ("open" until the job is over or it gave up on a child that keeps dying).
        self.mode: Literal["running", "stopping"] = "running"
        self.end: Literal["open", "job over", "gave up"] = "open"

    # -- events ---------------------------------------------------------------------------

    def start(self) -> list[Action]:
        return [Spawn() for _ in range(self.processes)]

    def started(self, name: str) -> None:
        self.children[name] = _Child()

    def signal_received(self) -> list[Action]:
        """SIGTERM/SIGINT on the node: every child finishes its file and leaves; none restarts."""
        self.mode = "stopping"
        return self._stop_all()

    def overran(self, name: str, limit: float) -> list[Action]:
        """The child has been on one file for longer than ``limit`` seconds (the job's
        --file-timeout): kill it, once."""
        child = self.children[name]
        if child.state not in ("running", "stopping"):
            return []
        child.state, child.timeout = "timed out", limit
        return [Notify(f"worker process {name} spent over {limit:g} s on one file; killing it"),
                Kill(name)]

    def exited(self, name: str, outcome: Outcome, exitcode: int | None) -> list[Action]:
        """The child is gone: ``outcome`` is what it said (UNSET: nothing), ``exitcode`` how the
        process ended."""
        child = self.children[name]
        if outcome in _FINAL:
            child.state = _FINAL[outcome]
            if outcome in (Outcome.DONE, Outcome.STOPPED) and self.mode == "running":
                # The head told this child the job is over, so it is over for its siblings too,
                # including any still waiting to (re)connect.
                self.end = "job over"
                return self._stop_all()
            return []
        # Died (or crashed, which it logged): the operator reads how the process ended.
        died_of = death_reason(exitcode)
        reason = f"timed out after {child.timeout:g} s" if child.state == "timed out" else died_of
        child.state, child.died_of = "lost", died_of
        return [ReportLoss(name, reason)]

    def loss_answered(self, name: str, ended_job: bool, now: float) -> list[Action]:
        """The head's answer to the loss report of ``name`` (False also when it was not
        reachable: the lease then expires on its own)."""
        child = self.children[name]
        child.state = "died"
        died = f"worker process {name} died ({child.died_of})"
        if ended_job and not self.forever:
            # That death ended the job (its file failed for good): nothing to restart, and the
            # siblings can stop too (a --forever node restarts and waits on).
            self.end = "job over"
            return [Notify(f"{died}; that ended the job"), *self._stop_all()]
        restart_allowed = self.restarts.allows(now)
        if self.mode == "stopping":
            return [Notify(died)]
        if not restart_allowed:
            if self.end == "open":
                self.end = "gave up"
            return [Notify(died)]
        self.restarts.record(now)
        return [Notify(f"{died}; restarting it"), Spawn()]

    # -- state ------------------------------------------------------------------------------

    @property
    def live(self) -> list[str]:
        """The children not yet gone for good (the node runs while there are any)."""
        return [name for name, child in self.children.items() if child.state in LIVE]

    def state_of(self, name: str) -> ChildState:
        return self.children[name].state

    def verdict(self) -> Fail | Succeed:
        """How the node ends, once no child is live."""
        assert not self.live, "the node ends when its last child is gone"
        finals = {child.state for child in self.children.values()}
        if self.end == "gave up":
            return Fail(f"worker processes keep dying ({self.max_restarts} restarts within "
                        f"{self.restarts.window:.0f} s); see the messages above")
        if "auth failed" in finals:
            return Fail("could not work with the head: see the message above (the keys or "
                        "the versions differ, or the head broke the protocol)")
        if "head lost" in finals and self.mode == "running" and self.end == "open":
            host, port = self.head
            return Fail(f"lost the head at {host}:{port} (or could not reach it) and gave up "
                        f"after {self.connect_timeout:.0f} s of retrying; is `logcrunch submit` "
                        "running there?")
        return Succeed()

    def _stop_all(self) -> list[Action]:
        """Tell every child still running to stop (again, if it was told already)."""
        names = []
        for name, child in self.children.items():
            if child.state in ("running", "stopping", "timed out"):
                names.append(name)
                if child.state == "running":
                    child.state = "stopping"
        return [Stop(tuple(names))] if names else []
