"""Run Python with production settings in a fresh interpreter: settings load once per process."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STRONG_KEY = "k3Yq-8vXr_2sLm9TzPw4HcNbQ7dFgJ6eRuA1oVyZiKx5nEtWp0SaDfGhJkLmNbVc"
# The variables a deployment must set, with acceptable values.
VALID = {
    "DJANGO_SECRET_KEY": STRONG_KEY,
    "DJANGO_ALLOWED_HOSTS": "{{ cookiecutter.domain_name }}",
    "DATABASE_URL": "postgres://app@127.0.0.1:5432/app",
}


def run_in_production(
    arguments: list[str], environ: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """`python *arguments` in the project with production settings and exactly `environ` set."""
    clean = {key: value for key, value in os.environ.items() if key not in VALID}
    clean.update(
        environ,
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_READ_DOT_ENV="false",
    )
    return subprocess.run(
        [sys.executable, *arguments],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )
