"""The rendered deploy/ files pass the tools that read them, before anything is run for real.

- `manage.py check --deploy --fail-level WARNING` with production settings, in a covering set of
  the options (every pair of option values meets at least once: tests/support/options.py);
- `nginx -t` on the rendered site (prefix mode: nothing under /etc is read or written);
- `gunicorn --check-config` with the rendered gunicorn.conf.py, which also imports the app;
- `systemd-analyze verify` on the rendered units, in a fake root, failing on any output at all
  (systemd reports an unknown key as a warning and still exits 0).
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from .support import stack
from .support.options import COVERING_SET, DEFAULT_ANSWERS, DEFAULTS
from .support.production import production_environment
from .support.rendering import answers_id, baked
from .support.services import require_program
from .support.tools import run, tool_env

pytestmark = pytest.mark.slow

SLUG = "acme_portal"
# Only the variables docs/deployment.md lists as required; the check must pass with nothing else.
PRODUCTION_ENV = production_environment()
# The Python code and dependency list each rendering produced, and who was checked with it.
CHECKED: dict[str, str] = {}


def code_fingerprint(project: Path) -> str:
    """A digest of everything Django loads: the Python files but the tests, and the dependencies."""
    digest = hashlib.sha256()
    code = [path for path in project.rglob("*.py") if path.relative_to(project).parts[0] != "tests"]
    for path in sorted([*code, project / "pyproject.toml"]):
        digest.update(str(path.relative_to(project)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def superset_python(installed_project) -> Path:
    """The default project's interpreter: its answers install every optional dependency."""
    assert all(DEFAULTS[option] is True for option in ("use_drf", "use_celery", "use_sentry"))
    return installed_project(DEFAULT_ANSWERS) / ".venv" / "bin" / "python"


@pytest.mark.parametrize("answers", COVERING_SET, ids=answers_id)
def test_deploy_check_passes_in_the_covering_set(cookies, superset_python, answers):
    """One install serves every rendering of the covering set (every pair of option values meets
    in it): every optional package is installed there, and an unused one changes nothing.
    Renderings whose code is identical (the CI choice changes no Python) are checked once."""
    project = baked(cookies.bake(extra_context=answers))
    fingerprint = code_fingerprint(project)
    if fingerprint in CHECKED:
        return
    # The rendered tree first on the path, ahead of the installed default project.
    run(
        [str(superset_python), "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        project,
        PYTHONPATH=str(project),
        **PRODUCTION_ENV,
    )
    CHECKED[fingerprint] = answers_id(answers)


def test_nginx_accepts_the_site(cookies):
    require_program("nginx", "install it with: apt-get install -y nginx")
    require_program("openssl", "install it with: apt-get install -y openssl")
    project = baked(cookies.bake())
    site = stack.Site(stack.short_root())
    try:
        stack.make_certificate(site, DEFAULTS["domain_name"])
        stack.write_prefix(project, site)
        result = subprocess.run(
            stack.nginx_command(site, "-t"), capture_output=True, text=True, timeout=60
        )
    finally:
        shutil.rmtree(site.root)
    assert result.returncode == 0, result.stderr
    # nginx prints its verdict on stderr; anything else there is a warning.
    complaints = [line for line in result.stderr.splitlines() if "[" in line]
    assert complaints == []


def test_gunicorn_accepts_its_config_and_imports_the_app(installed_project):
    project = installed_project(DEFAULT_ANSWERS)
    run(
        [".venv/bin/gunicorn", "--check-config", "-c", "deploy/gunicorn.conf.py", "config.wsgi"],
        project,
        **PRODUCTION_ENV,
    )


def test_gunicorn_config_check_fails_when_the_app_cannot_boot(installed_project):
    """--check-config really imports the app: production settings without their variables fail."""
    project = installed_project(DEFAULT_ANSWERS)
    environ = tool_env(
        **{key: value for key, value in PRODUCTION_ENV.items() if key != "DJANGO_ALLOWED_HOSTS"}
    )
    result = subprocess.run(
        [".venv/bin/gunicorn", "--check-config", "-c", "deploy/gunicorn.conf.py", "config.wsgi"],
        cwd=project,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS" in result.stderr + result.stdout


def fake_root(project: Path, root: Path) -> list[Path]:
    """A root holding the units, stub executables at every path they run, and systemd itself."""
    units_dir = root / "etc" / "systemd" / "system"
    units_dir.mkdir(parents=True)
    shutil.copytree("/lib/systemd", root / "lib" / "systemd", symlinks=True)
    units = []
    for unit in sorted((project / "deploy" / "systemd").iterdir()):
        units.append(Path(shutil.copy(unit, units_dir)))
    executables = {"/bin/kill"}
    for unit in units:
        for line in unit.read_text().splitlines():
            if line.startswith(("ExecStart=", "ExecReload=")):
                executables.add(line.split("=", 1)[1].split()[0])
    for executable in executables:
        stub = root / executable.lstrip("/")
        stub.parent.mkdir(parents=True, exist_ok=True)
        stub.write_text("#!/bin/sh\n")
        stub.chmod(0o755)
    return units


@pytest.mark.parametrize("use_celery", [True, False], ids=["celery", "no-celery"])
def test_systemd_units_verify_without_a_single_warning(cookies, tmp_path, use_celery):
    require_program("systemd-analyze", "it ships with systemd")
    project = baked(cookies.bake(extra_context={"use_celery": use_celery}))
    units = fake_root(project, tmp_path / "root")
    expected = {
        f"{SLUG}-gunicorn.socket",
        f"{SLUG}-gunicorn.service",
        f"{SLUG}-release.service",
    }
    if use_celery:
        expected |= {f"{SLUG}-celery-worker.service", f"{SLUG}-celery-beat.service"}
    assert {unit.name for unit in units} == expected
    result = subprocess.run(
        [
            "systemd-analyze",
            "verify",
            "--man=no",
            f"--root={tmp_path / 'root'}",
            *(str(unit) for unit in units),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout == ""


def test_gunicorn_stops_before_systemd_kills_it(cookies):
    """The stop timeout must outlast Gunicorn's graceful timeout, or in-flight requests die."""
    project = baked(cookies.bake())
    unit = (project / "deploy" / "systemd" / f"{SLUG}-gunicorn.service").read_text()
    stop_timeout = int(unit.split("TimeoutStopSec=", 1)[1].split()[0])
    config: dict[str, object] = {}
    exec((project / "deploy" / "gunicorn.conf.py").read_text(), config)
    assert isinstance(config["graceful_timeout"], int)
    assert stop_timeout > config["graceful_timeout"]


def test_nginx_body_limit_matches_django(cookies):
    project = baked(cookies.bake())
    site = (project / "deploy" / "nginx" / f"{SLUG}.conf").read_text()
    base = (project / "config" / "settings" / "base.py").read_text()
    megabytes = int(site.split("client_max_body_size ", 1)[1].split("m;", 1)[0])
    assert f"DATA_UPLOAD_MAX_MEMORY_SIZE = {megabytes} * 1024 * 1024" in base


def test_nginx_retries_only_requests_safe_to_repeat_and_keeps_upstream_connections(cookies):
    project = baked(cookies.bake())
    site = (project / "deploy" / "nginx" / f"{SLUG}.conf").read_text()
    upstream = site.split(f"upstream {SLUG}_app {{", 1)[1].split("}", 1)[0]
    servers = [line.split() for line in upstream.splitlines() if line.strip().startswith("server ")]
    assert servers, "the upstream lists no app server"
    assert all("max_fails=3" in server and "fail_timeout=10s;" in server for server in servers)
    assert "keepalive 16;" in upstream
    assert "proxy_http_version 1.1;" in site
    assert 'proxy_set_header Connection "";' in site
    retries = re.search(r"^\s*proxy_next_upstream (.*);$", site, flags=re.MULTILINE)
    assert retries, "no proxy_next_upstream"
    assert "non_idempotent" not in retries.group(1)


def test_deploy_check_passes_with_uploads_on_s3(installed_project):
    """With django-storages installed and the bucket's variables set (tests/test_multihost.py
    shares this install and runs the project's own bucket test against a live object store)."""
    project = installed_project({"media_storage": "s3"})
    run(
        [".venv/bin/python", "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        project,
        **PRODUCTION_ENV,
    )
