"""Rare cyclic garbage collections while the head serves workers.

A serving head allocates a few dozen containers per result (the decoded summary, its metrics,
rows, lists) that die young by reference counting, while thousands of connection threads keep
their in-flight messages alive: with CPython's default thresholds (a young collection every 700
net new containers) the collector runs every few results, promotes in-flight messages it cannot
free, and so runs full collections over the whole heap (the job, the imports, the lease table)
again and again. None of that frees anything: the head makes no reference cycles per result.

`RareCollections` makes collections rare while it is on: everything alive when it starts is
frozen (gc.freeze: never traversed again until it stops; garbage alive then is frozen with the
rest, a few objects, freed after `stop`: a collection first would cost the run's start ~15 ms of a
full traversal for nothing), and a young collection waits for
``young`` net new containers instead of 700. Reference counting frees as before; cyclic garbage
made while serving (rare) is freed later than it would be, at the latest when it stops. `stop`
restores the thresholds and unfreezes, so the report phase and tests see the process as it was.
"""

from __future__ import annotations

import gc
import threading

SERVING_YOUNG = 50_000  # net new containers between young collections while serving
SERVING_OLDER = (20, 100)  # young collections per middle one, middle ones per full one


class RareCollections:
    """Turns rare collections on (`start`) and back off (`stop`); both idempotent, and nested
    users (two servers in one process) keep them on until the last stops."""

    _lock = threading.Lock()
    _users = 0
    _saved: tuple[int, int, int] | None = None

    def __init__(self, young: int = SERVING_YOUNG,
                 older: tuple[int, int] = SERVING_OLDER) -> None:
        self.young, self.older = young, older
        self._on = False

    def start(self) -> None:
        cls = type(self)
        with cls._lock:
            if self._on:
                return
            self._on = True
            cls._users += 1
            if cls._users > 1:
                return
            cls._saved = gc.get_threshold()
            gc.freeze()
            gc.set_threshold(self.young, *self.older)

    def stop(self) -> None:
        cls = type(self)
        with cls._lock:
            if not self._on:
                return
            self._on = False
            cls._users -= 1
            if cls._users or cls._saved is None:
                return
            gc.set_threshold(*cls._saved)
            cls._saved = None
            gc.unfreeze()
