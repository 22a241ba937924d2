"""Settings for a developer's machine, the default of manage.py."""

from .base import *  # noqa: F403
from .base import STORAGES

DEBUG = True
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]"]
INTERNAL_IPS = ["127.0.0.1"]

# Mail is printed to the console instead of sent.
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# runserver serves static files from the app directories; no collectstatic needed.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
