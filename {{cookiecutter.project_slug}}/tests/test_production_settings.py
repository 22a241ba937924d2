"""Production settings refuse to boot without the variables a deployment must set.

Each case boots Django in a fresh interpreter, because settings are read once per process.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STRONG_KEY = "k3Yq-8vXr_2sLm9TzPw4HcNbQ7dFgJ6eRuA1oVyZiKx5nEtWp0SaDfGhJkLmNbVc"
VALID = {
    "DJANGO_SECRET_KEY": STRONG_KEY,
    "DJANGO_ALLOWED_HOSTS": "{{ cookiecutter.domain_name }}",
    "DATABASE_URL": "postgres://app@127.0.0.1:5432/app",
}


def boot(environ: dict[str, str], code: str = "") -> subprocess.CompletedProcess[str]:
    clean = {key: value for key, value in os.environ.items() if key not in VALID}
    clean.update(
        environ,
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_READ_DOT_ENV="false",
    )
    script = f"import django\ndjango.setup()\nfrom django.conf import settings\n{code}"
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def without(name: str) -> dict[str, str]:
    return {key: value for key, value in VALID.items() if key != name}


def test_production_boots_with_the_required_variables():
    result = boot(VALID, "print(settings.DEBUG, settings.ALLOWED_HOSTS)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False ['{{ cookiecutter.domain_name }}']"


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        (without("DJANGO_SECRET_KEY"), "DJANGO_SECRET_KEY"),
        ({**VALID, "DJANGO_SECRET_KEY": "too-short"}, "DJANGO_SECRET_KEY"),
        ({**VALID, "DJANGO_SECRET_KEY": "django-insecure-" + STRONG_KEY}, "DJANGO_SECRET_KEY"),
        ({**VALID, "DJANGO_SECRET_KEY": "ab" * 40}, "DJANGO_SECRET_KEY"),
        (without("DJANGO_ALLOWED_HOSTS"), "DJANGO_ALLOWED_HOSTS"),
        ({**VALID, "DJANGO_ALLOWED_HOSTS": "*"}, "DJANGO_ALLOWED_HOSTS"),
        (without("DATABASE_URL"), "DATABASE_URL"),
        ({**VALID, "DATABASE_URL": "sqlite:////tmp/db.sqlite3"}, "DATABASE_URL"),
    ],
    ids=[
        "secret-key-missing",
        "secret-key-short",
        "secret-key-insecure-prefix",
        "secret-key-repetitive",
        "allowed-hosts-missing",
        "allowed-hosts-wildcard",
        "database-url-missing",
        "database-url-sqlite",
    ],
)
def test_production_refuses_to_boot_naming_the_variable(environ, variable):
    result = boot(environ)
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured")
    assert variable in last_line
