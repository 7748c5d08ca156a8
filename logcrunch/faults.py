"""Fault injection for the test-suite: make a worker crash or stop on chosen files.

Production never sets ``LOGCRUNCH_FAULTS``; tests set it on worker processes to reproduce what a
batch system does to workers (SIGKILL mid-file) without racing against real file sizes:

- ``crash:SUBSTRING`` - the process SIGKILLs itself when it starts reading a path containing it;
- ``trace:FILE`` - append every path the process starts reading to FILE (to count reads);
- ``hold:SUBSTRING:DIR`` - the process writes ``DIR/held.<pid>`` when it starts reading such a path
  and then waits (up to 60 s) until ``DIR/release`` exists, so a test can kill it mid-file.

Several rules may be given, separated by ``;``.
"""

from __future__ import annotations

import os
import signal
import time

ENV = "LOGCRUNCH_FAULTS"


def before_scan(path: str) -> None:
    spec = os.environ.get(ENV)
    if not spec:
        return
    for rule in spec.split(";"):
        kind, _, rest = rule.partition(":")
        if kind == "trace" and rest:
            fd = os.open(rest, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, path.encode("utf-8", "surrogateescape") + b"\n")
            finally:
                os.close(fd)
        elif kind == "crash" and rest and rest in path:
            os.kill(os.getpid(), signal.SIGKILL)
        elif kind == "hold":
            substring, _, directory = rest.partition(":")
            if substring and substring in path:
                _hold(directory)


def _hold(directory: str) -> None:
    marker = os.path.join(directory, f"held.{os.getpid()}")
    staging = os.path.join(directory, f".staging.{os.getpid()}")  # no "held." prefix: unseen
    with open(staging, "w") as fp:
        fp.write(str(os.getpid()))
    os.replace(staging, marker)  # appears complete, never half-written
    release = os.path.join(directory, "release")
    deadline = time.monotonic() + 60
    while not os.path.exists(release) and time.monotonic() < deadline:
        time.sleep(0.02)
