"""Separate network hosts on one machine: a network namespace per host, joined by a bridge.

Each host gets its own loopback, its own interface (`eth0`) and an address in SUBNET, which only
these namespaces and the bridge hold; the test process itself reaches them as the client at
SUBNET.1 on the bridge. Everything created is deleted when the block ends. Needs root and iproute2.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

# One /24 per test process, so two runs at once (pytest-xdist, a benchmark) never share addresses.
SUBNET = f"10.231.{20 + os.getpid() % 200}"
CLIENT = f"{SUBNET}.1"


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


@dataclass(frozen=True)
class Host:
    name: str
    namespace: str
    address: str

    def command(self, *argv: str) -> list[str]:
        """`argv` run inside this host (`ip netns exec` execs it: the pid is the program's)."""
        return ["ip", "netns", "exec", self.namespace, *argv]

    def run(self, *argv: str) -> None:
        subprocess.run(self.command(*argv), check=True, capture_output=True, text=True)

    def link(self, state: str) -> None:
        """Take this host's network interface "down" (its cable pulled) or "up" again."""
        self.run("ip", "link", "set", "eth0", state)


@contextmanager
def network(names: list[str]) -> Iterator[dict[str, Host]]:
    """One host per name, SUBNET.10, .11, ... in order, on a bridge holding SUBNET.1."""
    tag = str(os.getpid() % 100000)
    bridge = f"kb{tag}"
    hosts = {
        name: Host(name, f"keel-{tag}-{name}", f"{SUBNET}.{10 + index}")
        for index, name in enumerate(names)
    }
    try:
        ip("link", "add", bridge, "type", "bridge")
        ip("addr", "add", f"{CLIENT}/24", "dev", bridge)
        ip("link", "set", bridge, "up")
        for index, host in enumerate(hosts.values()):
            outside = f"kv{tag}x{index}"
            ip("netns", "add", host.namespace)
            peer = ("peer", "name", "eth0", "netns", host.namespace)
            ip("link", "add", outside, "type", "veth", *peer)
            ip("link", "set", outside, "master", bridge, "up")
            host.run("ip", "addr", "add", f"{host.address}/24", "dev", "eth0")
            host.run("ip", "link", "set", "eth0", "up")
            host.run("ip", "link", "set", "lo", "up")
        yield hosts
    finally:
        for host in hosts.values():
            # Deleting the namespace deletes its end of the veth pair, and with it the other end.
            subprocess.run(["ip", "netns", "del", host.namespace], capture_output=True)
        subprocess.run(["ip", "link", "del", bridge], capture_output=True)
