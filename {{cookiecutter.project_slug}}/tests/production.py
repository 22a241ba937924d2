"""Production settings under test, two ways.

- `load_settings` reads a settings module in this process, exactly as Django reads it when a
  process starts (`django.conf.Settings`), with a given environment. It is for settings *values*
  and for the ImproperlyConfigured a bad variable raises: milliseconds instead of a new
  interpreter per case.
- `BOOT_SCRIPT` runs in one fresh interpreter, started ahead (tests/processes.py), for what only
  a booted process shows: logging configured, apps ready, requests served, the deploy checks.
  Tests read its findings through the `production_boot` fixture (conftest.py).
"""

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import Settings

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = "config.settings.production"
STRONG_KEY = "k3Yq-8vXr_2sLm9TzPw4HcNbQ7dFgJ6eRuA1oVyZiKx5nEtWp0SaDfGhJkLmNbVc"
# The variables a deployment must set, with acceptable values.
VALID = {
    "DJANGO_SECRET_KEY": STRONG_KEY,
    "DJANGO_ALLOWED_HOSTS": "{{ cookiecutter.domain_name }}",
    "DATABASE_URL": "postgres://app@127.0.0.1:5432/app",
{%- if cookiecutter.media_storage == "s3" %}
    "DJANGO_S3_BUCKET": "media",
    "DJANGO_S3_ACCESS_KEY_ID": "app",
    "DJANGO_S3_SECRET_ACCESS_KEY": "app-secret",
{%- endif %}
{%- if cookiecutter.use_celery %}
    "CELERY_BROKER_URL": "{% if cookiecutter.celery_broker == 'rabbitmq' %}amqp://app@127.0.0.1:5672/app{% else %}redis://127.0.0.1:6379/0{% endif %}",
{%- endif %}
}


def process_environment(environ: dict[str, str], module: str) -> dict[str, str]:
    """This process's environment without the required variables, then `environ` and `module`."""
    clean = {key: value for key, value in os.environ.items() if key not in VALID}
    clean.update(environ, DJANGO_SETTINGS_MODULE=module, DJANGO_READ_DOT_ENV="false")
    return clean


@contextlib.contextmanager
def fresh_settings_modules(environ: dict[str, str]) -> Iterator[None]:
    """Import settings modules anew under `environ`; put back this process's modules after.

    Settings modules read the environment when imported, so each load imports them again; the
    ones the test run itself uses are restored untouched.
    """
    package = sys.modules["config.settings"]
    prefix = package.__name__ + "."
    ours = {name: module for name, module in sys.modules.items() if name.startswith(prefix)}
    saved_environ = dict(os.environ)
    for name in ours:
        del sys.modules[name]
    os.environ.clear()
    os.environ.update(environ)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved_environ)
        for name in [name for name in sys.modules if name.startswith(prefix)]:
            del sys.modules[name]
        sys.modules.update(ours)
        for name, module in ours.items():
            setattr(package, name.removeprefix(prefix), module)


def load_settings(environ: dict[str, str], module: str = PRODUCTION) -> Any:
    """The settings a process started with `environ` (see process_environment) would have.

    A `django.conf.Settings`, typed Any: its names come from the module it read.
    """
    with fresh_settings_modules(process_environment(environ, module)):
        return Settings(module)


# One boot of production settings answers every question that needs a booted process. Its
# findings go to stdout as one JSON object; the log line it writes last is stderr's last line.
BOOT_SCRIPT = """
import io
import json
import logging

import django

django.setup()
from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.test import Client
from django.test.utils import override_settings

HOST = settings.ALLOWED_HOSTS[0]
findings = {"debug": settings.DEBUG, "allowed_hosts": settings.ALLOWED_HOSTS}

staticfiles_storage.location  # instantiates the lazy storage
kind = type(staticfiles_storage._wrapped)
findings["static_storage"] = [
    f"{kind.__module__}.{kind.__name__}",
    oct(staticfiles_storage.file_permissions_mode),
    oct(staticfiles_storage.directory_permissions_mode),
]

output = io.StringIO()
try:
    call_command("check", deploy=True, fail_level="WARNING", stdout=output, stderr=output)
    findings["deploy_check"] = {"passed": True, "output": output.getvalue()}
except Exception as error:
    findings["deploy_check"] = {"passed": False, "output": output.getvalue() + str(error)}


def describe(response):
    return {
        "status": response.status_code,
        "location": response.get("Location"),
        "headers": {name.lower(): value for name, value in response.headers.items()},
        "cookies": {
            name: {key: str(morsel[key]) for key in ("secure", "httponly", "samesite", "path")}
            for name, morsel in response.cookies.items()
        },
    }


# The plain static storage only because the suite never runs collectstatic.
plain_static = {
    **settings.STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
with override_settings(STORAGES=plain_static):
    client = Client()
    findings["responses"] = {
        "home": describe(client.get("/", secure=True, HTTP_HOST=HOST)),
        "login": describe(client.get("/accounts/login/", secure=True, HTTP_HOST=HOST)),
        "plain_http": describe(client.get("/accounts/login/?next=/", HTTP_HOST=HOST)),
    }

print(json.dumps(findings))
logging.getLogger("deploy.check").warning("hello")
"""
