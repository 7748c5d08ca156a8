"""A throwaway virtual cluster in Linux network namespaces, for tests that need real hosts.

Topology: one namespace for the head, one per worker host. The head namespace holds a bridge with
the head's address; every worker host is joined to that bridge by a veth pair whose head-side end
lives in the head namespace (so a test can cut one host's link there). Addresses come from
10.213.0.0/24 and exist only on links created here: the namespaces have no route anywhere else,
so test traffic never leaves them. All namespaces see the same filesystem (the shared disk).

Needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN) and iproute2; `VirtualCluster.create()` raises
`ClusterUnavailable` with the reason otherwise, and `destroy()` undoes whatever was built.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from dataclasses import dataclass, field

SUBNET_PREFIX = "10.213.0"
HEAD_ADDRESS = f"{SUBNET_PREFIX}.1"
IP_TIMEOUT = 15  # seconds for one `ip` command


class ClusterUnavailable(Exception):
    """Namespaces cannot be built here (not root, no iproute2, no CAP_SYS_ADMIN...)."""


def _ip(*args: str) -> str:
    result = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=IP_TIMEOUT)
    if result.returncode != 0:
        raise subprocess.CalledProcessError(result.returncode, ["ip", *args], result.stdout,
                                            result.stderr)
    return result.stdout


@dataclass
class Host:
    """One namespace: its name, its address, and (for workers) its link's head-side end."""

    netns: str
    address: str
    link: str = ""  # veth end in the head namespace; empty for the head itself

    @property
    def prefix(self) -> list[str]:
        """Command prefix that runs a program on this host."""
        return ["ip", "netns", "exec", self.netns]


@dataclass
class VirtualCluster:
    head: Host
    workers: list[Host]
    _created: list[str] = field(default_factory=list)

    @classmethod
    def create(cls, tag: str, worker_hosts: int = 2) -> VirtualCluster:
        """Build the namespaces, bridge and links; names carry ``tag`` (e.g. the pid)."""
        if os.geteuid() != 0:
            raise ClusterUnavailable("network namespaces need root (tests run as root in CI)")
        if shutil.which("ip") is None:
            raise ClusterUnavailable("iproute2's `ip` command is not installed")
        cluster = cls(Host(f"lc{tag}h", HEAD_ADDRESS),
                      [Host(f"lc{tag}w{n}", f"{SUBNET_PREFIX}.{10 + n}", f"w{n}")
                       for n in range(1, worker_hosts + 1)])
        try:
            cluster._build()
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            detail = getattr(exc, "stderr", "") or ""
            cluster.destroy()
            raise ClusterUnavailable(f"cannot build network namespaces ({' '.join(exc.cmd)}: "
                                     f"{detail.strip() or exc})") from None
        return cluster

    def _build(self) -> None:
        head = self.head.netns
        for host in (self.head, *self.workers):
            _ip("netns", "add", host.netns)
            self._created.append(host.netns)
            _ip("-n", host.netns, "link", "set", "lo", "up")
        _ip("-n", head, "link", "add", "br0", "type", "bridge")
        _ip("-n", head, "addr", "add", f"{HEAD_ADDRESS}/24", "dev", "br0")
        _ip("-n", head, "link", "set", "br0", "up")
        for host in self.workers:
            # Created inside the namespaces, so no name ever appears in the host's namespace.
            _ip("-n", head, "link", "add", host.link, "type", "veth", "peer", "name", "eth0",
                "netns", host.netns)
            _ip("-n", head, "link", "set", host.link, "master", "br0", "up")
            _ip("-n", host.netns, "addr", "add", f"{host.address}/24", "dev", "eth0")
            _ip("-n", host.netns, "link", "set", "eth0", "up")

    def set_link(self, host: Host, up: bool) -> None:
        """Plug or unplug a worker host's cable (its port on the head's bridge)."""
        _ip("-n", self.head.netns, "link", "set", host.link, "up" if up else "down")

    def destroy(self) -> None:
        """Kill what still runs inside our namespaces, then delete them (veths go with them)."""
        for netns in reversed(self._created):
            try:
                pids = _ip("netns", "pids", netns).split()
            except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
                pids = []
            for pid in pids:  # only processes inside a namespace this cluster created
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            try:
                _ip("netns", "del", netns)
            except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
                pass
        self._created.clear()
