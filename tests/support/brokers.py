"""Brokers a test can break: its own redis-server, a RabbitMQ vhost of its own, and a loopback proxy
that stops forwarding (a broker whose packets are dropped).

Everything here runs on 127.0.0.1 and is stopped by the pid it started; nothing touches the
machine's Redis, firewall or other vhosts.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import quote

from .stack import free_port

RESET = (1).to_bytes(4, "little") + (0).to_bytes(4, "little")  # struct linger {on, 0 seconds}


def wait_for_port(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


class RedisServer:
    """A redis-server of the test's own, configured by the project's shipped broker.conf."""

    def __init__(self, config: Path, directory: Path, **overrides: str) -> None:
        self.config = config
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.overrides = overrides
        self.process: subprocess.Popen[bytes] | None = None
        self.maxmemory = "0"

    def url(self, db: int = 0, port: int | None = None) -> str:
        return f"redis://127.0.0.1:{port or self.port}/{db}"

    def start(self) -> None:
        options = {
            "port": str(self.port),
            "bind": "127.0.0.1",
            "dir": str(self.directory),
            "daemonize": "no",
            "save": "",
            "logfile": str(self.directory / "redis.log"),
            **self.overrides,
        }
        arguments = [item for key, value in options.items() for item in (f"--{key}", value)]
        self.process = subprocess.Popen(
            ["redis-server", str(self.config), *arguments],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_for_port(self.port)
        # A restarted server answers LOADING until it has read its append-only file.
        deadline = time.monotonic() + 20
        while "LOADING" in self.cli("ping") and time.monotonic() < deadline:
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL, as the kernel's OOM killer or a crash would end it."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.kill()

    def cli(self, *command: str) -> str:
        result = subprocess.run(
            ["redis-cli", "-p", str(self.port), *command],
            capture_output=True,
            text=True,
            timeout=30,
        )
        return result.stdout.strip()

    def fill(self) -> int:
        """Write filler keys until Redis refuses even a small write; return how many it took.

        Big values first, then smaller ones: a big value's query buffer counts against maxmemory
        while it is read, so its refusal alone leaves room for many small tasks.
        """
        keys = 0
        for size in (1_000_000, 10_000, 100):
            while True:
                answer = subprocess.run(
                    ["redis-cli", "-p", str(self.port), "-x", "set", f"filler:{keys}"],
                    input="x" * size,
                    capture_output=True,
                    text=True,
                    timeout=30,
                ).stdout
                if "OOM" in answer:
                    break
                keys += 1
                if keys > 20_000:
                    raise RuntimeError("Redis never refused a write: is maxmemory set?")
        # Clients leaving (this fill's own, a pool closing a connection) free kilobytes of buffers:
        # room for a task at a time to slip through while a worker drains each at once. A limit
        # just under what is used now keeps every write refused until free().
        self.maxmemory = self.cli("config", "get", "maxmemory").split()[-1]
        used = next(
            int(line.split(":")[1])
            for line in self.cli("info", "memory").splitlines()
            if line.startswith("used_memory:")
        )
        self.cli("config", "set", "maxmemory", str(used - 256 * 1024))
        return keys

    def free(self) -> None:
        keys = self.cli("--scan", "--pattern", "filler:*").split()
        for start in range(0, len(keys), 500):
            self.cli("del", *keys[start : start + 500])
        self.cli("config", "set", "maxmemory", self.maxmemory)


class RabbitVhost:
    """A vhost of the test's own on the machine's RabbitMQ, deleted afterwards."""

    def __init__(self, name: str) -> None:
        self.name = name

    def url(self, port: int = 5672) -> str:
        return f"amqp://guest:guest@127.0.0.1:{port}/{quote(self.name, safe='')}"

    def ctl(self, *args: str) -> None:
        subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)

    def __enter__(self) -> RabbitVhost:
        subprocess.run(
            ["rabbitmqctl", "-q", "delete_vhost", self.name], capture_output=True, timeout=60
        )
        self.ctl("add_vhost", self.name)
        self.ctl("set_permissions", "-p", self.name, "guest", ".*", ".*", ".*")
        return self

    def __exit__(self, *exc: object) -> None:
        self.ctl("delete_vhost", self.name)


class Blackhole:
    """A TCP proxy on loopback in front of a broker; `drop()` makes it a black hole.

    While dropping, it still completes TCP handshakes (the kernel does, for the listen backlog) but
    forwards nothing either way, as a broker behind a firewall that drops packets looks to a
    client: connects may succeed, every reply is missing. `restore()` resets the connections that
    lived through the outage, as a NAT or firewall eventually does, and forwards again.
    """

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.dropping = threading.Event()
        self.closed = threading.Event()
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self.accept, daemon=True).start()

    def drop(self) -> None:
        self.dropping.set()

    def restore(self) -> None:
        with self.lock:
            stale, self.sockets = self.sockets, []
        for sock in stale:
            try:
                # Linger 0: close with a reset, not a polite FIN.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, RESET)
                sock.close()
            except OSError:
                pass
        self.dropping.clear()

    def close(self) -> None:
        self.closed.set()
        self.listener.close()
        self.restore()

    def accept(self) -> None:
        while not self.closed.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(client,), daemon=True).start()

    def serve(self, client: socket.socket) -> None:
        with self.lock:
            self.sockets.append(client)
        if self.dropping.is_set():
            self.swallow(client)
            return
        try:
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
        except OSError:
            client.close()
            return
        with self.lock:
            self.sockets.append(upstream)
        threading.Thread(target=self.pump, args=(upstream, client), daemon=True).start()
        self.pump(client, upstream)

    def swallow(self, client: socket.socket) -> None:
        try:
            while client.recv(65536):
                pass
        except OSError:
            pass

    def pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                if not self.dropping.is_set():
                    target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
