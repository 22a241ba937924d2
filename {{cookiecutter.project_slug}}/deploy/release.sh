#!/bin/sh
# The release step, once per deploy and before Gunicorn reloads: refuse a broken configuration,
# then migrate and collect the static files. Run by the {{ cookiecutter.project_slug }}-release
# systemd unit (which provides the environment), or by `make release`.
set -eu
cd "$(dirname "$0")/.."
export DJANGO_SETTINGS_MODULE=config.settings.production
python=.venv/bin/python

"$python" manage.py check --deploy --fail-level WARNING
"$python" manage.py migrate --noinput
"$python" manage.py collectstatic --noinput --verbosity 0
