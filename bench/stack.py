"""Benchmark the shipped stack against a bare `django-admin startproject` app.

Run: make bench-stack.

Both apps run under the same Gunicorn config (the rendered deploy/gunicorn.conf.py) behind the
same nginx process (the rendered site, as in tests/test_stack.py), one after the other on the same
socket. wrk drives each over HTTPS with keep-alive connections and the figures are printed:
requests/s, p50 and p99 latency, and Keel's throughput as a fraction of the bare app's.

- /healthz/: Keel's liveness probe; for the bare app an equivalent view returning the same JSON.
- /admin/ while logged in: the same Django admin page in both apps, a database-backed page
  (session, user and recent-actions queries against PostgreSQL).

The bare app keeps startproject's settings except what serving it needs: DEBUG off, the host,
PostgreSQL. It therefore also keeps Django's default of one new database connection per request,
where Keel reuses connections; that difference is part of what is measured.

Figures, not assertions: the load generator shares the machine's cores with what it measures.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

TEMPLATE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TEMPLATE))

from tests.support import stack  # noqa: E402
from tests.support.postgres import create_database, drop_database  # noqa: E402
from tests.support.production import HOST, production_environment  # noqa: E402
from tests.support.rendering import hooks_silenced, render  # noqa: E402
from tests.support.services import POSTGRES_URL  # noqa: E402
from tests.support.tools import tool_env  # noqa: E402

DATABASES = {"keel": "keel_deploy_bench", "bare": "keel_deploy_bench_bare"}

BARE_HEALTHZ = """
from django.http import JsonResponse


def healthz(request):
    return JsonResponse({"status": "ok"})


urlpatterns += [path("healthz/", healthz)]
"""

LOGIN_SCRIPT = """
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
User = get_user_model()
fields = {User.USERNAME_FIELD: "bench@example.com"}
user = User.objects.filter(**fields).first() or User.objects.create_superuser(
    **fields, password="bench-password-not-secret"
)
client = Client()
client.force_login(user)
print(settings.SESSION_COOKIE_NAME + "=" + client.cookies[settings.SESSION_COOKIE_NAME].value)
"""


def sh(command: list[str], cwd: Path, **env: str) -> str:
    result = subprocess.run(
        command, cwd=cwd, env=tool_env(**env), capture_output=True, text=True, timeout=900
    )
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def keel_project(workdir: Path) -> tuple[Path, dict[str, str]]:
    with hooks_silenced():
        project = render(workdir / "keel")
    sh(["make", "install"], project)
    environ = production_environment(DATABASE_URL=create_database(POSTGRES_URL, DATABASES["keel"]))
    sh(["deploy/release.sh"], project, **environ)
    return project, environ


def bare_project(workdir: Path, python: Path) -> tuple[Path, dict[str, str]]:
    """startproject with the same Django, plus only what it takes to serve it."""
    root = workdir / "bare"
    root.mkdir()
    sh([str(python.parent / "django-admin"), "startproject", "bare", str(root)], workdir)
    url = urlsplit(create_database(POSTGRES_URL, DATABASES["bare"]))
    settings = root / "bare" / "settings.py"
    text = settings.read_text().replace("DEBUG = True", "DEBUG = False")
    text = text.replace("ALLOWED_HOSTS = []", f"ALLOWED_HOSTS = [{HOST!r}]")
    text += (
        "\n# Added for the benchmark: PostgreSQL, like the Keel app.\n"
        "DATABASES = {'default': {'ENGINE': 'django.db.backends.postgresql', "
        f"'NAME': {url.path.lstrip('/')!r}, 'USER': {url.username!r}, "
        f"'HOST': {url.hostname!r}, 'PORT': {url.port!r}}}}}\n"
        "STATIC_ROOT = BASE_DIR / 'staticfiles'\n"
    )
    settings.write_text(text)
    urls = root / "bare" / "urls.py"
    urls.write_text(urls.read_text() + BARE_HEALTHZ)
    environ = {"DJANGO_SETTINGS_MODULE": "bare.settings"}
    sh([str(python), "manage.py", "migrate", "--noinput"], root, **environ)
    return root, environ


def session_cookie(python: Path, project: Path, environ: dict[str, str]) -> str:
    output = sh([str(python), "manage.py", "shell", "-c", LOGIN_SCRIPT], project, **environ)
    return output.strip().splitlines()[-1]


def wrk(site: stack.Site, path: str, seconds: int, connections: int, cookie: str = "") -> dict:
    command = [
        "wrk",
        "--latency",
        "-t",
        "2",
        "-c",
        str(connections),
        "-d",
        f"{seconds}s",
        "-H",
        f"Host: {HOST}",
    ]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    command.append(f"https://127.0.0.1:{site.https_port}{path}")
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    if "Non-2xx or 3xx responses" in output:
        sys.exit(f"wrk got error responses from {path}:\n{output}")
    # Timeouts (wrk gives up after 2 s) are reported, not fatal: an overloaded machine has them.
    timeouts = re.search(r"timeout (\d+)", output)

    def latency(percentile: str) -> str:
        return re.search(rf"^\s+{percentile}%\s+(\S+)", output, re.MULTILINE).group(1)

    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": latency("50"),
        "p99": latency("99"),
        "timeouts": int(timeouts.group(1)) if timeouts else 0,
    }


def measure(site: stack.Site, cookie: str, seconds: int, connections: int) -> dict:
    results = {}
    for name, path, with_cookie in (("healthz", "/healthz/", False), ("admin", "/admin/", True)):
        wrk(site, path, 2, connections, cookie if with_cookie else "")  # warm-up
        results[name] = wrk(site, path, seconds, connections, cookie if with_cookie else "")
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="duration of each measurement")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections")
    parser.add_argument("--workdir", type=Path, default=TEMPLATE / "build" / "bench")
    options = parser.parse_args()
    for program in ("wrk", "nginx", "openssl"):
        if shutil.which(program) is None:
            sys.exit(f"{program} is not installed (apt-get install -y {program})")

    shutil.rmtree(options.workdir, ignore_errors=True)
    options.workdir.mkdir(parents=True)
    print("Rendering and installing the Keel project, creating the bare app ...", flush=True)
    keel, keel_env = keel_project(options.workdir)
    python = keel / ".venv" / "bin" / "python"
    bare, bare_env = bare_project(options.workdir, python)
    cookies = {
        "keel": session_cookie(python, keel, keel_env),
        "bare": session_cookie(python, bare, bare_env),
    }

    site = stack.Site(stack.short_root())
    results = {}
    try:
        stack.make_certificate(site, HOST)
        # wrk connects to 127.0.0.1 and sends that as the TLS server name; the Host header is ours.
        stack.write_prefix(keel, site, server_names=f"{HOST} 127.0.0.1")
        gunicorn_conf = keel / "deploy" / "gunicorn.conf.py"
        with stack.nginx(site):
            for name, root, environ in (("keel", keel, keel_env), ("bare", bare, bare_env)):
                env = tool_env(**environ)
                command = [str(python.parent / "gunicorn"), "-c", str(gunicorn_conf)]
                command.append("config.wsgi" if name == "keel" else "bare.wsgi")
                env["GUNICORN_BIND"] = f"unix:{site.socket}"
                print(f"Measuring {name} ...", flush=True)
                with stack.running(command, root, env, site.root / f"{name}.log") as process:
                    stack.wait_until(site.socket.exists, 60, f"{name}'s Gunicorn socket")
                    stack.wait_until(lambda: stack.answers(site, HOST), 120, f"{name} to answer")
                    results[name] = measure(
                        site, cookies[name], options.seconds, options.connections
                    )
                    assert process.poll() is None
                site.socket.unlink(missing_ok=True)
    finally:
        shutil.rmtree(site.root, ignore_errors=True)
        for database in DATABASES.values():
            drop_database(POSTGRES_URL, database)

    workers = os.environ.get("GUNICORN_WORKERS", f"2 x {len(os.sched_getaffinity(0))} cores + 1")
    print(
        f"\nwrk: {options.connections} connections, {options.seconds}s per run, HTTPS through"
        f" nginx; Gunicorn gthread, workers {workers}\n"
    )
    print(f"{'endpoint':<26}{'app':<6}{'req/s':>10}{'p50':>10}{'p99':>10}{'timeouts':>10}")
    labels = {"healthz": "/healthz/", "admin": "/admin/ (logged in, DB)"}
    for endpoint, label in labels.items():
        for name in ("keel", "bare"):
            figures = results[name][endpoint]
            print(
                f"{label:<26}{name:<6}{figures['rps']:>10.1f}{figures['p50']:>10}{figures['p99']:>10}"
                f"{figures['timeouts']:>10}"
            )
        ratio = results["keel"][endpoint]["rps"] / results["bare"][endpoint]["rps"]
        print(f"{'':<26}{'keel/bare throughput':<26}{ratio:>6.2f}x\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
