"""The shipped stack, live: nginx -> Gunicorn -> PostgreSQL, on loopback, with the rendered configs.

render -> install -> a fresh database -> deploy/release.sh (deploy checks, linter, migrate, static)
-> Gunicorn with deploy/gunicorn.conf.py on a unix socket -> nginx with the rendered site (only
addresses, ports, paths and the certificate substituted, see tests/support/stack.py) on high ports
with a throwaway certificate. Every assertion goes through nginx, as a browser or a load balancer
would.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from .support import postgres, stack
from .support.options import DEFAULT_ANSWERS
from .support.production import HOST, production_environment
from .support.releases import nickname_release, query
from .support.services import require_postgres, require_program, require_redis
from .support.tools import run, tool_env

pytestmark = pytest.mark.slow

# The process id keeps parallel runs on one server (xdist workers, other checkouts) apart.
DATABASE = f"keel_deploy_stack_{os.getpid()}"
LOGIN = "stack@example.com"  # a valid username and a valid email address
PASSWORD = "correct horse battery staple"
# HSTS at the last step of the rollout in docs/deployment.md; the A+ grade wants at least 180 days.
HSTS_SECONDS = 31536000
SIX_MONTHS = 15552000
# Not the default "admin/": what .env.example recommends, and what nginx's own limit cannot know.
ADMIN_URL = "staff-7f3a/"


@dataclass
class Stack:
    project: Path
    site: stack.Site
    server_url: str
    gunicorn: subprocess.Popen
    environ: dict[str, str]

    def get(
        self, path: str, *, host: str | None = None, sni: str = HOST, **kwargs
    ) -> stack.Response:
        # As a browser sends it: a non-default port is part of Host (and of the CSRF origin).
        host = host or f"{HOST}:{self.site.https_port}"
        return stack.request(self.site.https_port, path, host=host, sni=sni, **kwargs)

    def plain(self, path: str, **kwargs) -> stack.Response:
        return stack.request(self.site.http_port, path, tls=False, **{"host": HOST, **kwargs})

    def sql(self, statement: str) -> None:
        postgres.execute(self.server_url, statement)


# Creates the user the tests sign in as; with allauth, its address is already confirmed.
CREATE_USER = f"""
from django.apps import apps
from django.contrib.auth import get_user_model
User = get_user_model()
user = User.objects.create_user(**dict.fromkeys({{User.USERNAME_FIELD, "email"}}, {LOGIN!r}),
                                password={PASSWORD!r})
if apps.is_installed("allauth.account"):
    from allauth.account.models import EmailAddress
    EmailAddress.objects.create(user=user, email={LOGIN!r}, primary=True, verified=True)
"""


def app_answers(live: Stack) -> bool:
    try:
        return live.get("/healthz/", timeout=5).status == 200
    except OSError:
        return False


@contextmanager
def deployed(project: Path, database: str, redis_url: str, **extra_env: str) -> Iterator[Stack]:
    """The project released into a fresh database and served by Gunicorn behind nginx."""
    server_url = require_postgres()
    require_program("nginx", "install it with: apt-get install -y nginx")
    require_program("openssl", "install it with: apt-get install -y openssl")
    environ = tool_env(
        **production_environment(
            DATABASE_URL=postgres.create_database(server_url, database),
            REDIS_URL=redis_url,
            CELERY_BROKER_URL=redis_url,
            DJANGO_SECURE_HSTS_SECONDS=str(HSTS_SECONDS),
            DJANGO_ADMIN_URL=ADMIN_URL,
            # Two processes are plenty on a shared CI machine; the defaults are for a server.
            GUNICORN_WORKERS="2",
            **extra_env,
        )
    )
    run(["deploy/release.sh"], project, **environ)
    run([".venv/bin/python", "manage.py", "shell", "-c", CREATE_USER], project, **environ)
    site = stack.Site(stack.short_root())
    try:
        stack.make_certificate(site, HOST)
        stack.write_prefix(project, site)
        with stack.gunicorn(project, site, environ) as gunicorn, stack.nginx(site):
            live = Stack(project, site, server_url, gunicorn, environ)
            # Gunicorn's socket exists before its processes have imported the app, which takes
            # seconds on a loaded machine: the tests start once it answers.
            stack.wait_until(lambda: app_answers(live), 120, "the app's first answer")
            yield live
    finally:
        shutil.rmtree(site.root, ignore_errors=True)
        postgres.drop_database(server_url, database)


@pytest.fixture(scope="module")
def live(installed_project) -> Iterator[Stack]:
    redis_db = urlunsplit(urlsplit(require_redis())._replace(path="/3"))
    with deployed(installed_project(DEFAULT_ANSWERS), DATABASE, redis_db) as live:
        yield live


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


def log_in(live) -> stack.Response:
    """Sign in through the login form, as a browser does; returns the login POST's response."""
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
        f"login={LOGIN.replace('@', '%40')}&password={PASSWORD.replace(' ', '+')}"
        f"&csrfmiddlewaretoken={middleware_token.group(1).decode()}"
    ).encode()
    origin = f"https://{HOST}:{live.site.https_port}"
    return live.get(
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


def test_a_form_post_with_the_csrf_cookie_succeeds(live):
    login = log_in(live)
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
    # A cache between here and the browser keeps the gzipped copy and the plain one apart.
    assert response.one("Vary") == "Accept-Encoding"
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


def test_admin_sign_in_at_a_moved_path_is_limited_by_django(live):
    login = f"/{ADMIN_URL}login/"
    form = live.get(login)
    # Each post claims another address: nginx replaces the claim.
    statuses = [
        live.get(
            login,
            method="POST",
            body=b"username=admin&password=guess",
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Forwarded-For": f"203.0.113.{number}",
            },
        ).status
        for number in range(11)
    ]
    if form.status == 302:
        # accounts=allauth: the admin has no sign-in form; it sends people to the site's login,
        # whose limits (allauth's and nginx's) hold whatever the admin's path. No post to the
        # moved path ever reaches a password check.
        assert form.one("Location").startswith("/accounts/login/?next="), form.one("Location")
        # Redirected to the site's login, refused for want of a CSRF token, or limited: never a
        # password check at the moved path.
        assert set(statuses) <= {302, 403, 429}, statuses
        return
    assert form.status == 200
    # Without a CSRF token each post is refused (403), but counted first; past ten a minute from
    # one address, Django answers 429.
    assert statuses[-1] == 429, statuses
    assert set(statuses) <= {403, 429}, statuses


def test_tls_passes_the_mozilla_intermediate_profile(live):
    scan = subprocess.run(
        [
            sys.executable,
            "-m",
            "sslyze",
            f"{HOST}:{live.site.https_port}{{127.0.0.1}}",
            "--mozilla_config=intermediate",
            # The throwaway certificate's issuer, as a browser would trust a public CA.
            "--certinfo_ca_file",
            str(live.site.ca),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "OK - Compliant." in scan.stdout, scan.stdout[-3000:]
    assert scan.returncode == 0


def test_readyz_fails_while_the_database_is_unreachable(live):
    live.sql(f"ALTER DATABASE {DATABASE} WITH ALLOW_CONNECTIONS false")
    live.sql(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{DATABASE}'")
    try:
        # Each process reuses its last result for a second: the failure shows within about that.
        deadline = time.monotonic() + 10
        while (down := live.get("/readyz/")).status == 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert down.status == 503
        checks = json.loads(down.body)["checks"]
        assert checks["database"].startswith("error:")
        assert checks["cache"] == "ok"
        assert live.get("/healthz/").status == 200  # alive, just not ready
    finally:
        live.sql(f"ALTER DATABASE {DATABASE} WITH ALLOW_CONNECTIONS true")
    time.sleep(1.1)
    assert live.get("/readyz/").status == 200


def worker_pids(master: int) -> set[int]:
    result = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True, text=True
    )
    return {int(pid) for pid in result.stdout.split()}


@contextmanager
def streaming(live, headers: dict[str, str] | None = None) -> Iterator[list]:
    """Four clients requesting the home page until the block ends; yields (moment, status) pairs."""
    results: list[tuple[float, int | str]] = []
    stop = threading.Event()

    def client() -> None:
        while not stop.is_set():
            try:
                # As patient as nginx (proxy_read_timeout): on a loaded machine the new processes
                # may take seconds to import the app, and requests wait for them in the socket's
                # queue. Waiting is fine; an error or a dropped connection is not.
                status: int | str = live.get("/", timeout=60, headers=headers).status
            except OSError as error:
                status = repr(error)
            results.append((time.monotonic(), status))

    threads = [threading.Thread(target=client) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        # The first answers before anything happens: on a loaded machine one can take seconds.
        stack.wait_until(lambda: len(results) >= 4, 60, "the first answers")
        yield results
        time.sleep(1)
    finally:
        stop.set()
        for thread in threads:
            thread.join()


def reload_gunicorn(live) -> None:
    """SIGHUP, then wait until every old process has been replaced."""
    before = worker_pids(live.gunicorn.pid)
    assert before
    os.kill(live.gunicorn.pid, signal.SIGHUP)
    stack.wait_until(
        lambda: not worker_pids(live.gunicorn.pid) & before, 60, "the old processes to exit"
    )


def test_a_graceful_reload_fails_no_request(live):
    with streaming(live) as results:
        reload_started = time.monotonic()
        reload_gunicorn(live)
        reload_ended = time.monotonic()
    assert [status for _, status in results if status != 200] == []
    # The stream really ran across the reload: answers came before it began and after it ended
    # (a reload can be over in milliseconds, so none need complete inside it).
    assert any(moment < reload_started for moment, _ in results)
    assert any(moment > reload_ended for moment, _ in results)


# Releases on the live stack: an expand migration and a backfill under traffic (docs/migrations.md
# in the project). The project's files get the nickname field for these tests and are put back.


@pytest.fixture(scope="module")
def signed_in(live) -> dict[str, str]:
    """A session cookie for the stack's user, so each request reads the session and users tables.

    Made in a shell (the login form's rate limit is spent by the burst test above), with the code
    as it was before the release.
    """
    code = (
        "from django.conf import settings\n"
        "from django.contrib.auth import get_user_model\n"
        "from django.test import Client\n"
        "User = get_user_model()\n"
        "client = Client()\n"
        f"client.force_login(User.objects.get(**{{User.USERNAME_FIELD: {LOGIN!r}}}))\n"
        "cookie = client.cookies[settings.SESSION_COOKIE_NAME]\n"
        "print(f'{cookie.key}={cookie.value}')\n"
    )
    command = [".venv/bin/python", "manage.py", "shell", "--verbosity=0", "-c", code]
    cookie = run(command, live.project, **live.environ).stdout.strip()
    assert cookie.startswith("__Host-sessionid=")
    return {"Cookie": cookie}


@pytest.fixture(scope="module")
def nickname(live, signed_in) -> Iterator[None]:
    """The next release's code: a nickname field on users, its migration, its backfill command."""
    with nickname_release(live.project):
        yield


def test_a_rolling_release_with_an_expand_migration_fails_no_request(live, signed_in, nickname):
    assert b"You are signed in" in live.get("/", headers=signed_in).body
    with streaming(live, signed_in) as results:
        # The release step's migration command (the live fixture ran the whole deploy/release.sh,
        # tests/test_migrations.py its linter), then the reload.
        release = run(
            [".venv/bin/python", "manage.py", "migrate_safely", "--noinput"],
            live.project,
            **live.environ,
        )
        reload_gunicorn(live)
    assert "Applying users.0002_user_nickname... OK" in release.stdout
    assert len(results) > 20
    assert [status for _, status in results if status != 200] == []


def test_a_backfill_of_100k_rows_resumes_after_a_kill_while_requests_keep_succeeding(
    live, signed_in, nickname
):
    url = live.environ["DATABASE_URL"]
    column = "SELECT 1 FROM information_schema.columns WHERE column_name = 'nickname'"
    if not query(url, column):  # the test above did not run
        run([".venv/bin/python", "manage.py", "migrate_safely"], live.project, **live.environ)
    query(
        url,
        "INSERT INTO users_user (password, is_superuser, username, first_name, last_name, email,"
        " is_staff, is_active, date_joined) SELECT '!', false, 'bulk' || i, '', '', '', false,"
        " true, now() FROM generate_series(1, 100000) AS i",
    )
    [[total]] = query(url, "SELECT count(*) FROM users_user")
    command = [".venv/bin/python", "-u", "manage.py", "fill_nicknames"]
    with streaming(live, signed_in) as results:
        first = subprocess.Popen(
            command,
            cwd=live.project,
            env=tool_env(**live.environ),
            stdout=subprocess.PIPE,
            text=True,
        )
        progress = [first.stdout.readline() for _ in range(5)]
        first.kill()  # mid-run, as an out-of-memory kill or a lost server would
        first.communicate()
        [[done_before]] = query(url, "SELECT rows FROM core_backfill WHERE name = 'users.nickname'")
        second = run(command, live.project, **live.environ)
    print(progress[-1].strip(), second.stdout.splitlines()[-1], sep="\n")
    assert all(line.startswith("backfill users.nickname: ") for line in progress), progress
    assert 5000 <= done_before < total
    assert "resuming after pk" in second.stdout
    assert f"finished, {total} rows ({total - done_before} in this run" in second.stdout
    # Every row processed exactly once: one "+" each.
    assert query(url, "SELECT count(*) FROM users_user WHERE nickname IS DISTINCT FROM '+'") == [
        (0,)
    ]
    assert len(results) > 20
    assert [status for _, status in results if status != 200] == []
