#!/bin/sh
# The release step, once per deploy and before Gunicorn reloads: refuse a broken configuration and
# migrations the running code cannot live with, migrate without stalling the site, then collect the
# static files (docs/migrations.md). Run by the {{ cookiecutter.project_slug }}-release
# systemd unit (which provides the environment), or by `make release`.
set -eu
cd "$(dirname "$0")/.."
export DJANGO_SETTINGS_MODULE=config.settings.production
python=.venv/bin/python

"$python" manage.py check --deploy --fail-level WARNING
# Only migrations not yet applied: the old code runs against them until Gunicorn reloads.
"$python" manage.py lintmigrations --unapplied-migrations --quiet ignore
# A short lock timeout with retries on PostgreSQL (DJANGO_MIGRATION_* variables).
"$python" manage.py migrate_safely --noinput
"$python" manage.py collectstatic --noinput --verbosity 0
