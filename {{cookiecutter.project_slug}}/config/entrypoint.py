"""The settings every production entry point runs with, whatever the environment file says.

systemd lets a line in a unit's EnvironmentFile override the unit's own Environment=, so one
stray `DJANGO_SETTINGS_MODULE=config.settings.local` would serve the site with DEBUG on. The WSGI
and ASGI entry points refuse to start with any other settings module instead.
"""

import os

from django.core.exceptions import ImproperlyConfigured

PRODUCTION = "config.settings.production"


def use_production_settings() -> None:
    module = os.environ.setdefault("DJANGO_SETTINGS_MODULE", PRODUCTION)
    if module != PRODUCTION:
        raise ImproperlyConfigured(
            f"DJANGO_SETTINGS_MODULE is {module!r}, but this entry point serves {PRODUCTION} "
            "only. Remove the variable from the environment (file) the server starts with."
        )
