"""The shipped stack, live: nginx -> Gunicorn -> PostgreSQL, on loopback, with the rendered configs.

render -> install -> a fresh database -> deploy/release.sh (deploy checks, migrate, collectstatic)
-> Gunicorn with deploy/gunicorn.conf.py on a unix socket -> nginx with the rendered site (only
addresses, ports, paths and the certificate substituted, see tests/stack.py) on high ports with a
throwaway certificate. Every assertion goes through nginx, as a browser or a load balancer would.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from . import stack
from .conftest import DEFAULT_ANSWERS, DEFAULTS, run, tool_env
from .services import require_postgres, require_program, require_redis

pytestmark = pytest.mark.slow

HOST = DEFAULTS["domain_name"]
DATABASE = "keel_deploy_stack"
STRONG_KEY = "k3Yq-8vXr_2sLm9TzPw4HcNbQ7dFgJ6eRuA1oVyZiKx5nEtWp0SaDfGhJkLmNbVc"
LOGIN = "stack@example.com"  # a valid username and a valid email address
PASSWORD = "correct horse battery staple"
# HSTS at the last step of the rollout in docs/deployment.md; the A+ grade wants at least 180 days.
HSTS_SECONDS = 31536000
SIX_MONTHS = 15552000


@dataclass
class Stack:
    project: Path
    site: stack.Site
    server_url: str
    gunicorn: subprocess.Popen

    def get(
        self, path: str, *, host: str | None = None, sni: str = HOST, **kwargs
    ) -> stack.Response:
        # As a browser sends it: a non-default port is part of Host (and of the CSRF origin).
        host = host or f"{HOST}:{self.site.https_port}"
        return stack.request(self.site.https_port, path, host=host, sni=sni, **kwargs)

    def plain(self, path: str, **kwargs) -> stack.Response:
        return stack.request(self.site.http_port, path, tls=False, **{"host": HOST, **kwargs})

    def sql(self, statement: str) -> None:
        sql(self.project, self.server_url, statement)


def sql(project: Path, server_url: str, statement: str) -> None:
    """Run one statement on the PostgreSQL server, outside any transaction."""
    script = (
        "import psycopg, sys\n"
        "with psycopg.connect(sys.argv[1], autocommit=True) as db:\n"
        "    db.execute(sys.argv[2])\n"
    )
    run([".venv/bin/python", "-c", script, server_url, statement], project)


def with_database(server_url: str, name: str) -> str:
    return urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))


@pytest.fixture(scope="module")
def live(installed_project) -> Iterator[Stack]:
    server_url = require_postgres()
    redis_url = require_redis()
    require_program("nginx", "install it with: apt-get install -y nginx")
    require_program("openssl", "install it with: apt-get install -y openssl")
    project = installed_project(DEFAULT_ANSWERS)
    sql(project, server_url, f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    sql(project, server_url, f"CREATE DATABASE {DATABASE}")
    redis_db = urlunsplit(urlsplit(redis_url)._replace(path="/3"))
    environ = tool_env(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_READ_DOT_ENV="false",
        DJANGO_SECRET_KEY=STRONG_KEY,
        DJANGO_ALLOWED_HOSTS=HOST,
        DATABASE_URL=with_database(server_url, DATABASE),
        REDIS_URL=redis_db,
        CELERY_BROKER_URL=redis_db,
        DJANGO_SECURE_HSTS_SECONDS=str(HSTS_SECONDS),
        # Two processes are plenty on a shared CI machine; the defaults are for a server.
        GUNICORN_WORKERS="2",
    )
    run(["deploy/release.sh"], project, **environ)
    run(
        [
            ".venv/bin/python",
            "manage.py",
            "shell",
            "-c",
            "from django.contrib.auth import get_user_model\n"
            "User = get_user_model()\nfield = User.USERNAME_FIELD\n"
            f"User.objects.create_user(**{{field: {LOGIN!r}}}, password={PASSWORD!r})",
        ],
        project,
        **environ,
    )
    site = stack.Site(stack.short_root())
    try:
        stack.make_certificate(site, HOST)
        stack.write_prefix(project, site)
        with stack.gunicorn(project, site, environ) as gunicorn, stack.nginx(site):
            yield Stack(project, site, server_url, gunicorn)
    finally:
        shutil.rmtree(site.root, ignore_errors=True)
        sql(project, server_url, f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


def test_health_probes_answer_through_nginx(live):
    assert live.get("/healthz/").status == 200
    ready = live.get("/readyz/")
    assert ready.status == 200, ready.body
    assert json.loads(ready.body) == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "broker": "ok"},
    }


def test_a_load_balancer_probes_by_ip_over_plain_http(live):
    for path in ("/healthz/", "/readyz/"):
        assert live.plain(path, host="127.0.0.1").status == 200
    # ...without opening anything else to that Host: nginx closes the connection unanswered.
    with pytest.raises(ConnectionError):
        live.plain("/", host="127.0.0.1")


def test_a_form_post_with_the_csrf_cookie_succeeds(live):
    form = live.get("/accounts/login/")
    assert form.status == 200
    cookie = next(
        value for value in form.all("Set-Cookie") if value.startswith("__Host-csrftoken=")
    )
    assert "Secure" in cookie
    token = cookie.split(";", 1)[0].split("=", 1)[1]
    middleware_token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', form.body)
    assert middleware_token
    body = (
        f"username={LOGIN.replace('@', '%40')}&password={PASSWORD.replace(' ', '+')}"
        f"&csrfmiddlewaretoken={middleware_token.group(1).decode()}"
    ).encode()
    origin = f"https://{HOST}:{live.site.https_port}"
    login = live.get(
        "/accounts/login/",
        method="POST",
        body=body,
        headers={
            "Cookie": f"__Host-csrftoken={token}",
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": origin,
            "Referer": f"{origin}/accounts/login/",
        },
    )
    assert login.status == 302, login.body[:2000]
    assert login.one("Location") == "/"
    assert any(value.startswith("__Host-sessionid=") for value in login.all("Set-Cookie"))


def test_every_security_header_is_sent_exactly_once_and_strict(live):
    home = live.get("/")
    assert home.status == 200
    hsts = home.one("Strict-Transport-Security")
    max_age = int(re.fullmatch(r"max-age=(\d+); includeSubDomains", hsts).group(1))
    assert max_age >= SIX_MONTHS
    policy = home.one("Content-Security-Policy")
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
        assert directive in policy
    assert home.one("X-Content-Type-Options") == "nosniff"
    assert home.one("X-Frame-Options") == "DENY"
    assert home.one("Referrer-Policy") == "same-origin"
    assert home.one("Cross-Origin-Opener-Policy") == "same-origin"
    assert "camera=()" in home.one("Permissions-Policy")
    assert home.one("Server") == "nginx"  # no version number
    # The id nginx generated, echoed by the app.
    assert re.fullmatch(r"[0-9a-f]{32}", home.one("X-Request-ID"))


def test_static_files_are_served_gzipped_and_cached_forever(live):
    manifest = json.loads((live.project / "staticfiles" / "staticfiles.json").read_text())
    hashed = manifest["paths"]["css/site.css"]
    response = live.get(f"/static/{hashed}", headers={"Accept-Encoding": "gzip"})
    assert response.status == 200
    assert response.one("Content-Encoding") == "gzip"
    assert response.one("Cache-Control") == "public, max-age=31536000, immutable"
    assert response.one("X-Content-Type-Options") == "nosniff"
    # The unhashed copy may change under the same name: cached for an hour only.
    unhashed = live.get("/static/css/site.css")
    assert unhashed.one("Cache-Control") == "public, max-age=3600"


def test_plain_http_is_redirected_permanently_to_https_on_the_same_host(live):
    response = live.plain("/accounts/login/?next=/")
    assert response.status == 308
    assert response.one("Location") == f"https://{HOST}/accounts/login/?next=/"


def test_unknown_host_names_are_dropped(live):
    with pytest.raises(ConnectionError):
        live.plain("/", host="unknown.test")
    # Our certificate's name in the handshake, another host in the request.
    with pytest.raises(ConnectionError):
        live.get("/", host="unknown.test", sni=HOST)


def test_an_unknown_tls_server_name_is_refused_in_the_handshake(live):
    with pytest.raises(ssl.SSLError, match="UNRECOGNIZED_NAME"):
        live.get("/", host="unknown.test", sni="unknown.test")


def test_dotfiles_are_denied(live):
    for path in ("/.env", "/.git/config", "/static/.hidden"):
        assert live.get(path).status == 403, path


def test_a_login_burst_is_rate_limited(live):
    statuses = [live.get("/accounts/login/").status for _ in range(15)]
    # The zone allows 10 a minute with a burst of 5: the rest of a rapid burst is refused.
    assert statuses.count(429) >= 9, statuses
    assert set(statuses) <= {200, 429}


def test_readyz_fails_while_the_database_is_unreachable(live):
    live.sql(f"ALTER DATABASE {DATABASE} WITH ALLOW_CONNECTIONS false")
    live.sql(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{DATABASE}'")
    try:
        down = live.get("/readyz/")
        assert down.status == 503
        checks = json.loads(down.body)["checks"]
        assert checks["database"].startswith("error:")
        assert checks["cache"] == "ok"
        assert live.get("/healthz/").status == 200  # alive, just not ready
    finally:
        live.sql(f"ALTER DATABASE {DATABASE} WITH ALLOW_CONNECTIONS true")
    assert live.get("/readyz/").status == 200


def worker_pids(master: int) -> set[int]:
    result = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True, text=True
    )
    return {int(pid) for pid in result.stdout.split()}


def test_a_graceful_reload_fails_no_request(live):
    before = worker_pids(live.gunicorn.pid)
    assert before
    results: list[tuple[float, int | str]] = []
    stop = threading.Event()

    def client() -> None:
        while not stop.is_set():
            try:
                # As patient as nginx (proxy_read_timeout): on a loaded machine the new processes
                # may take seconds to import the app, and requests wait for them in the socket's
                # queue. Waiting is fine; an error or a dropped connection is not.
                status: int | str = live.get("/", timeout=60).status
            except OSError as error:
                status = repr(error)
            results.append((time.monotonic(), status))

    threads = [threading.Thread(target=client) for _ in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(1)
    reload_started = time.monotonic()
    os.kill(live.gunicorn.pid, signal.SIGHUP)
    # Until every old process has been replaced, then a little longer.
    stack.wait_until(
        lambda: not worker_pids(live.gunicorn.pid) & before, 60, "the old processes to exit"
    )
    reload_ended = time.monotonic()
    time.sleep(1)
    stop.set()
    for thread in threads:
        thread.join()
    assert [status for _, status in results if status != 200] == []
    # The stream really ran across the reload: answers came before it began and after it ended
    # (a reload can be over in milliseconds, so none need complete inside it).
    assert any(moment < reload_started for moment, _ in results)
    assert any(moment > reload_ended for moment, _ in results)
