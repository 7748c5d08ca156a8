"""The scan helper of a Dask worker process: the one process that forks its scanning children.

A Dask worker runs many threads (50 in the capacity benchmark), and a process forked from it
holds for ever every lock another of its threads held at that moment: at 1,000 Dask worker
threads on two cores such children hung (a lease that never answered) or died of SIGSEGV, and
their files counted attempts against them. So `scan_lease` does not fork the Dask worker. Each
Dask worker process starts one helper (`helper()`), a fresh interpreter with one thread, and asks it
for every child; its forks hold no lock of anybody's.

Per lease the Dask worker thread makes a socket pair and two pipes and hands the helper one end
of each over the control socket (SCM_RIGHTS, with the byte b"L"):
- the lease socket: the helper answers ``P`` + the child's pid once it has forked (or ``E`` +
  why not), later ``X`` + its exit code (as os.waitstatus_to_exitcode: negative for a signal)
  once it has reaped it; the thread sends ``K`` to have the child SIGKILLed (by the helper, which
  has not reaped it yet: no recycled pid can be hit), and closing the socket does the same;
- the request pipe (read end): the child reads the lease's request from it to its end;
- the frames pipe (write end): the child's frames (`dask_engine._child_scan`) go there, read by
  the thread as before.
What travels is bytes: the request is our data-only encoding (logcrunch.wire), the answers are a
kind byte and an ASCII integer. The helper exits (SIGKILLing its children) when its lifeline
reaches end of file: the Dask worker process is gone.
"""

from __future__ import annotations

import os
import selectors
import signal
import socket
import subprocess
import sys
import threading

ANSWER_BYTES = 64  # an answer: a kind byte and an integer


class HelperLost(Exception):
    """The helper went away (it died, or its Dask worker process is going)."""


class Helper:
    """The Dask worker's side of its helper (one per Dask worker process; threads share it)."""

    def __init__(self) -> None:
        self.control, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        lifeline_read, self._lifeline = os.pipe()
        # -P: the Dask worker's working directory is not put on the path (a logcrunch/ there
        # must not shadow the installed one); the worker's own import path is passed instead.
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(path for path in sys.path if path))
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-P", "-m", "logcrunch.dask_helper", str(theirs.fileno()),
                 str(lifeline_read)],
                pass_fds=(theirs.fileno(), lifeline_read), stdin=subprocess.DEVNULL, env=env)
        finally:
            theirs.close()
            os.close(lifeline_read)
        self._send_lock = threading.Lock()

    def alive(self) -> bool:
        return self.process.poll() is None

    def fork(self) -> tuple[socket.socket, int, int]:
        """Ask for a child: (the lease socket, the request pipe's write end, the frames pipe's
        read end). The child's pid is the lease socket's first answer (`Answers`)."""
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        request_read, request_write = os.pipe()
        frames_read, frames_write = os.pipe()
        try:
            with self._send_lock:
                socket.send_fds(self.control, [b"L"], [theirs.fileno(), request_read,
                                                       frames_write])
        except OSError as exc:
            mine.close()
            for fd in (request_write, frames_read):
                os.close(fd)
            raise HelperLost(f"the scan helper is gone ({exc})") from None
        finally:
            theirs.close()
            os.close(request_read)
            os.close(frames_write)
        return mine, request_write, frames_read

    def discard(self) -> None:
        """Let go of a helper that has died (its descriptors)."""
        os.close(self._lifeline)
        self.control.close()

    def close(self) -> None:
        self.discard()  # the lifeline's end: the helper leaves
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Answers:
    """The helper's answers on one lease socket, a line each (two may come in one read: a child
    that dies at once has its pid and its exit code sent back to back)."""

    def __init__(self, lease: socket.socket) -> None:
        self.lease = lease
        self._buffer = b""

    def next(self) -> tuple[bytes, str]:
        """(kind, text) of the next answer; raises HelperLost at the socket's end."""
        while b"\n" not in self._buffer:
            if len(self._buffer) > ANSWER_BYTES:
                raise HelperLost("the scan helper said something unexpected")
            part = self.lease.recv(ANSWER_BYTES)
            if not part:
                raise HelperLost("the scan helper died")
            self._buffer += part
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line[:1], line[1:].decode("ascii", "replace")


_helper: Helper | None = None
_helper_lock = threading.Lock()


def helper() -> Helper:
    """This process's helper, started (again) when there is none running."""
    global _helper
    with _helper_lock:
        if _helper is None or not _helper.alive():
            if _helper is not None:
                _helper.discard()
            _helper = Helper()
        return _helper


# ----- the helper process ---------------------------------------------------------------------


def _answer(lease: socket.socket, kind: bytes, text: str) -> None:
    try:
        lease.sendall(kind + text.encode("ascii") + b"\n")
    except OSError:
        pass  # its thread has gone: nobody to tell


def _run_child(request_fd: int, frames_fd: int) -> None:
    """In the forked child: read the lease's request, scan it, write the frames. Never returns."""
    code = 1
    try:
        from logcrunch import dask_engine

        parts = []
        while True:
            data = os.read(request_fd, 1 << 16)
            if not data:
                break
            parts.append(data)
        os.close(request_fd)
        dask_engine.child_main(frames_fd, b"".join(parts))
        code = 0
    finally:
        os._exit(code)


def serve(control_fd: int, lifeline_fd: int) -> None:
    """The helper's loop: fork children on request, report their pids and exit codes, kill them
    when asked (or when their thread hangs up), and leave when the lifeline ends."""
    control = socket.socket(fileno=control_fd)
    helper_pid = os.getpid()
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the Dask worker decides on Ctrl-C
    from logcrunch.scan import ScanConfig
    from logcrunch.worker import warm_up

    warm_up(ScanConfig())
    children: dict[int, socket.socket] = {}  # pid -> its lease socket
    by_socket: dict[socket.socket, int] = {}  # lease sockets whose thread still listens
    selector = selectors.DefaultSelector()  # (epoll: no limit on descriptor numbers)
    for source in (control, lifeline_fd, wake_read):
        selector.register(source, selectors.EVENT_READ)
    try:
        while True:
            readable = [key.fileobj for key, _ in selector.select()]
            if lifeline_fd in readable and not os.read(lifeline_fd, 1):
                return  # the Dask worker process is gone
            if wake_read in readable:
                os.read(wake_read, 1 << 12)
            if control in readable:
                try:
                    _msg, fds, _flags, _addr = socket.recv_fds(control, 1, 3)
                except OSError:
                    return
                if not _msg:
                    return  # the Dask worker closed its side
                if len(fds) != 3:
                    for fd in fds:
                        os.close(fd)
                    continue
                lease_fd, request_fd, frames_fd = fds
                lease = socket.socket(fileno=lease_fd)
                try:
                    pid = os.fork()
                except OSError as exc:
                    _answer(lease, b"E", f"cannot fork: {exc.strerror or exc}")
                    lease.close()
                    os.close(request_fd)
                    os.close(frames_fd)
                    continue
                if pid == 0:  # the child: never back into this loop, whatever happens
                    try:
                        _die_with_helper(helper_pid)
                        selector.close()
                        control.close()
                        lease.close()
                        for fd in (lifeline_fd, wake_read, wake_write):
                            os.close(fd)
                        for other in children.values():
                            other.close()
                        signal.set_wakeup_fd(-1)
                        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                        _run_child(request_fd, frames_fd)
                    finally:
                        os._exit(1)
                os.close(request_fd)
                os.close(frames_fd)
                children[pid] = lease
                by_socket[lease] = pid
                selector.register(lease, selectors.EVENT_READ)
                _answer(lease, b"P", str(pid))
            for lease in [s for s in readable if s in by_socket]:
                try:
                    said = lease.recv(16)
                except OSError:
                    said = b""
                pid = by_socket[lease]
                if b"K" in said or not said:
                    _kill(pid)
                if not said:  # its thread hung up: the exit code has nowhere to go
                    del by_socket[lease]
                    selector.unregister(lease)
            _reap(children, by_socket, selector)
    finally:
        for pid in children:
            _kill(pid)


def _die_with_helper(helper_pid: int) -> None:
    """In a new child: SIGKILL when the helper dies (set before anything else), and leave now if
    it died already (between the fork and the prctl)."""
    from logcrunch.worker import die_with_parent

    die_with_parent()
    if os.getppid() != helper_pid:
        os._exit(1)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _reap(children: dict[int, socket.socket], by_socket: dict[socket.socket, int],
          selector: selectors.BaseSelector) -> None:
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        lease = children.pop(pid, None)
        if lease is None:
            continue
        if by_socket.pop(lease, None) is not None:
            selector.unregister(lease)
            _answer(lease, b"X", str(os.waitstatus_to_exitcode(status)))
        lease.close()


if __name__ == "__main__":
    serve(int(sys.argv[1]), int(sys.argv[2]))
