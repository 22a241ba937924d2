"""The rendered Dockerfile, built and run for real without a Docker engine (support/containers.py).

One production image and one test-stage image per session, built from the same rendered project
and sharing their layers. In the production image: the process is unprivileged, the deploy checks
pass, Gunicorn started by the image's own command answers its probes against PostgreSQL and stops
gracefully on SIGTERM, and nothing secret reached a layer. In the test image the project's own
suite passes against the image's Python and system libraries.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from .support import containers, stack
from .support.options import DEFAULT_ANSWERS, DEFAULTS
from .support.rendering import render
from .support.services import require_postgres, require_program, require_redis

pytestmark = pytest.mark.slow

HOST = DEFAULTS["domain_name"]
STRONG_KEY = "i7Wq-3vXr_9sLm2TzPw8HcNbQ5dFgJ1eRuA6oVyZiKx4nEtWp0SaDfGhJkLmNbVc"
# Planted in the rendered project before the build, as a developer's `make install` and a day of
# work would leave them: none may reach the image.
CANARY = "canary-secret-that-must-never-reach-an-image"
LEFT_BEHIND = {
    ".env": f"DJANGO_SECRET_KEY={CANARY}\n",
    "db.sqlite3": CANARY,
    "media/upload.txt": CANARY,
    ".venv/secret.txt": CANARY,
    ".pytest_cache/v/cache/lastfailed": CANARY,
    "acme_portal/__pycache__/leak.cpython-311.pyc": CANARY,
}
GRACEFUL_SECONDS = 10


@dataclass
class Images:
    project: Path
    production: containers.Build
    test: containers.Build
    server_url: str


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> Images:
    require_program("buildah", "install it with: apt-get install -y buildah")
    require_program("mmdebstrap", "install it with: apt-get install -y mmdebstrap")
    server_url = require_postgres()
    require_redis()
    project = render(tmp_path_factory.mktemp("image"), DEFAULT_ANSWERS)
    for relative, text in LEFT_BEHIND.items():
        (project / relative).parent.mkdir(parents=True, exist_ok=True)
        (project / relative).write_text(text)
    slug = project.name
    production = containers.build(project, f"localhost/keel-{slug}:latest")
    test = containers.build(project, f"localhost/keel-{slug}:test", target="test")
    print(f"\nbuilt in {production.seconds:.0f} s (production) and {test.seconds:.0f} s (test)")
    return Images(project, production, test, server_url)


def with_database(server_url: str, name: str) -> str:
    return urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))


def in_container(
    name: str, command: list[str], env: dict[str, str], timeout: int = 600
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        containers.run_command(name, command, env), capture_output=True, text=True, timeout=timeout
    )
    if result.returncode != 0:
        pytest.fail(
            f"{' '.join(command)} exited {result.returncode} in the image\n"
            f"--- stdout\n{result.stdout[-6000:]}\n--- stderr\n{result.stderr[-6000:]}"
        )
    return result


def sql(name: str, server_url: str, statement: str) -> None:
    """One statement on the server, from inside the image (it has psycopg; the host may not)."""
    script = (
        "import psycopg, sys\n"
        "with psycopg.connect(sys.argv[1], autocommit=True) as db:\n"
        "    db.execute(sys.argv[2])\n"
    )
    in_container(name, ["python", "-c", script, server_url, statement], {})


@pytest.fixture(scope="module")
def production(images: Images) -> Iterator[tuple[str, dict[str, str]]]:
    """A container of the production image, a fresh database, and the production environment."""
    name = f"keel-production-{os.getpid()}"
    containers.container(images.production.image, name)
    database = f"keel_image_{os.getpid()}"
    sql(name, images.server_url, f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    sql(name, images.server_url, f"CREATE DATABASE {database}")
    redis = urlunsplit(urlsplit(require_redis())._replace(path="/4"))
    environ = {
        "DJANGO_SECRET_KEY": STRONG_KEY,
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DATABASE_URL": with_database(images.server_url, database),
        "CELERY_BROKER_URL": redis,
        "GUNICORN_WORKERS": "2",
        "GUNICORN_GRACEFUL_TIMEOUT": str(GRACEFUL_SECONDS),
    }
    try:
        yield name, environ
    finally:
        sql(name, images.server_url, f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        containers.buildah("rm", name, check=False)


def test_the_image_runs_as_a_fixed_unprivileged_user(images, production):
    name, _ = production
    assert containers.config(images.production.image)["User"] == "10001:10001"
    assert in_container(name, ["id", "-u"], {}).stdout.strip() == "10001"
    # ... who cannot change the code it runs.
    result = subprocess.run(
        containers.run_command(name, ["touch", "/app/manage.py"], {}),
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0


def test_deploy_checks_pass_in_the_image(production):
    name, environ = production
    result = in_container(
        name, ["python", "manage.py", "check", "--deploy", "--fail-level", "WARNING"], environ
    )
    assert "no issues" in result.stdout


def test_static_files_were_collected_at_build_time(production):
    name, _ = production
    manifest = in_container(name, ["cat", "/app/staticfiles/staticfiles.json"], {}).stdout
    assert "css/site.css" in json.loads(manifest)["paths"]


def test_nothing_secret_is_in_any_layer_or_the_configuration(images, tmp_path):
    image = images.production.image
    settings = containers.config(image)
    assert not [line for line in settings["Env"] if "SECRET" in line or "PASSWORD" in line]
    planted = {f"app/{relative}" for relative in LEFT_BEHIND}
    leaked = []
    for layer in containers.export_layers(image, tmp_path / "layers"):
        with tarfile.open(layer) as archive:
            for member in archive:
                path = member.name.removeprefix("./")
                if path in planted:
                    leaked.append(path)
                elif member.isfile() and path.startswith("app/"):
                    content = archive.extractfile(member)
                    if content and CANARY.encode() in content.read():
                        leaked.append(path)
    assert leaked == []


def wait_for(port: int, path: str, process: subprocess.Popen, log: Path) -> None:
    def answers() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"Gunicorn exited:\n{log.read_text()}")
        try:
            return stack.request(port, path, host="127.0.0.1", tls=False).status == 200
        except OSError:
            return False

    stack.wait_until(answers, 120, f"{path} on port {port}")


def children(pid: int) -> list[int]:
    tasks = Path(f"/proc/{pid}/task")
    return [
        int(child) for task in tasks.iterdir() for child in (task / "children").read_text().split()
    ]


def gunicorn_master(pid: int) -> int:
    """The first Gunicorn process under `pid` (which this test started): the image's PID 1."""
    pending = [pid]
    while pending:
        current = pending.pop(0)
        argv = Path(f"/proc/{current}/cmdline").read_bytes().split(b"\0")
        # Not buildah, whose own arguments name the command it runs.
        if "buildah" not in argv[0].decode() and any(arg.endswith(b"gunicorn") for arg in argv):
            return current
        pending.extend(children(current))
    raise AssertionError(f"no Gunicorn process under {pid}")


def test_the_image_command_serves_probes_and_stops_gracefully(images, production, tmp_path):
    name, environ = production
    settings = containers.config(images.production.image)
    in_container(name, ["python", "manage.py", "migrate", "--noinput"], environ)
    port = stack.free_port()
    log = tmp_path / "gunicorn.log"
    # The image's own command, as `docker run` would start it; PORT picks the listening port.
    command = containers.run_command(name, settings["Cmd"], {**environ, "PORT": str(port)})
    with log.open("w") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    try:
        wait_for(port, "/healthz/", process, log)
        ready = stack.request(port, "/readyz/", host="127.0.0.1", tls=False)
        assert ready.status == 200, ready.body
        assert json.loads(ready.body)["checks"] == {"database": "ok", "cache": "ok", "broker": "ok"}
        # The image's HEALTHCHECK, run as the engine would, next to the server.
        healthcheck = settings["Healthcheck"]["Test"]
        assert healthcheck[0] == "CMD"
        in_container(name, healthcheck[1:], {"PORT": str(port)})

        # A request in flight when SIGTERM arrives: headers and half its body sent.
        body = b"username=someone&password=" + b"x" * 200
        client = socket.create_connection(("127.0.0.1", port), timeout=30)
        client.sendall(
            f"POST /accounts/login/ HTTP/1.1\r\nHost: {HOST}\r\n"
            "X-Forwarded-Proto: https\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body[:100]
        )
        time.sleep(1)
        stopped_at = time.monotonic()
        # An engine signals the container's PID 1, Gunicorn itself; `buildah run` does not pass
        # signals on (it kills), so the test signals Gunicorn as the engine would.
        os.kill(gunicorn_master(process.pid), signal.SIGTERM)
        time.sleep(2)
        client.sendall(body[100:])
        answer = client.recv(65536).decode(errors="replace")
        client.close()
        # Finished, not cut off: the login form without a CSRF token is refused by Django.
        assert re.match(r"HTTP/1\.1 403 ", answer), answer[:500]
        assert process.wait(timeout=GRACEFUL_SECONDS + 20) == 0, log.read_text()
        assert time.monotonic() - stopped_at < GRACEFUL_SECONDS + 5
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "Handling signal: term" in log.read_text()


def test_the_project_suite_passes_in_the_test_image(images):
    name = f"keel-test-{os.getpid()}"
    containers.container(images.test.image, name)
    database = f"keel_image_suite_{os.getpid()}"
    url = with_database(images.server_url, database)
    try:
        command = [*containers.config(images.test.image)["Cmd"], "-q"]
        environ = {"DATABASE_URL": url, "DJANGO_SECRET_KEY": "test-only"}
        result = in_container(name, command, environ)
        assert re.search(r"\d+ passed", result.stdout)
        assert "failed" not in result.stdout
    finally:
        sql(name, images.server_url, f"DROP DATABASE IF EXISTS test_{database} WITH (FORCE)")
        containers.buildah("rm", name, check=False)
