"""Requests/s through the load balancer with one app host, then two (network namespaces).

Builds the same hosts as tests/test_multihost.py (a load balancer running the rendered nginx site,
two app hosts running the rendered Gunicorn config over TCP, a data host with PostgreSQL, Redis
and SeaweedFS) for a `media_storage=s3` project, then sends a fixed number of client threads at a
database-free probe view (`/probe/work/`) for a few seconds: first with app2 marked `down` in the
upstream list, then with both. Needs root, iproute2, nginx, initdb, redis-server and `weed`.

Why two hosts cannot double the figure here: the namespaces are separate *network* hosts, not
separate machines. Every host, nginx, both Gunicorns, the data services and this client share the
same cores (two on the reference machine), so a second app host adds processes competing for the
same CPU, not CPU. What two hosts buy on one box is only what one host left idle (time its
processes spend waiting on I/O); on real machines each host brings its own cores, and the load
balancer's TLS and the client become the ceiling instead.
"""

from __future__ import annotations

import argparse
import http.client
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TEMPLATE))

from tests.support.production import HOST  # noqa: E402
from tests.support.rendering import hooks_silenced, render  # noqa: E402
from tests.support.stack import AddressedConnection  # noqa: E402
from tests.support.tools import tool_env  # noqa: E402
from tests.test_multihost import running_cluster  # noqa: E402

FAILURES: dict[object, int] = {}


def client(address: str, stop: threading.Event, counts: list[int], index: int) -> None:
    """One keep-alive HTTPS connection sending GETs until `stop`; counts the 200s."""
    connection = AddressedConnection(address, 443, HOST, tls=True, sni=None, timeout=30)
    while not stop.is_set():
        try:
            connection.request("GET", "/probe/work/", headers={"Host": HOST})
            response = connection.getresponse()
            response.read()
            if response.status == 200:
                counts[index] += 1
            else:
                FAILURES[response.status] = FAILURES.get(response.status, 0) + 1
        except (OSError, http.client.HTTPException) as error:
            FAILURES[type(error).__name__] = FAILURES.get(type(error).__name__, 0) + 1
            connection.close()


def measure(address: str, threads: int, seconds: float) -> float:
    stop = threading.Event()
    counts = [0] * threads
    workers = [
        threading.Thread(target=client, args=(address, stop, counts, index))
        for index in range(threads)
    ]
    for worker in workers:
        worker.start()
    # Counting starts once every client has had an answer: Gunicorn's workers load the project
    # after the port is open, and the first requests on a busy machine wait seconds for them.
    deadline = time.monotonic() + 120
    while not all(counts) and time.monotonic() < deadline:
        time.sleep(0.1)
    if not all(counts):
        print(f"{counts.count(0)} of {threads} clients had no answer in 120 s", file=sys.stderr)
    time.sleep(1)
    before, started = sum(counts), time.monotonic()
    time.sleep(seconds)
    done, elapsed = sum(counts) - before, time.monotonic() - started
    stop.set()
    for worker in workers:
        worker.join()
    return done / elapsed


def installed_project(work: Path) -> Path:
    with hooks_silenced():
        project = render(work, {"media_storage": "s3"})
    subprocess.run(["make", "install"], cwd=project, env=tool_env(), check=True)
    return project


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("needs root (network namespaces)", file=sys.stderr)
        return 1
    project = installed_project(Path(tempfile.mkdtemp(prefix="keel-bench-hosts-")))
    with running_cluster(project, DJANGO_API_ANON_RATE="1000000/minute") as cluster:
        address = cluster.hosts["lb"].address
        measure(address, args.threads, args.seconds)  # both hosts warm, figures discarded
        FAILURES.clear()
        cluster.upstream(down={"app2"})
        one = measure(address, args.threads, args.seconds)
        cluster.upstream(down=set())
        two = measure(address, args.threads, args.seconds)
    cores = len(os.sched_getaffinity(0))
    print(f"{args.threads} client threads, {args.seconds:.0f} s each, {cores} cores for every host")
    print(f"one app host:  {one:8.1f} requests/s")
    print(f"two app hosts: {two:8.1f} requests/s  ({two / one if one else 0:.2f}x)")
    if FAILURES:
        print(f"not counted (status or error: count): {FAILURES}")
    print("Two hosts here share the same cores (see this file's docstring): not 2x by design.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
