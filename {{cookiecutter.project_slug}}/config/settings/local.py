"""Settings for a developer's machine, the default of manage.py."""

from .base import *  # noqa: F403
from .base import MIDDLEWARE, {% if cookiecutter.use_drf %}SPECTACULAR_SETTINGS, {% endif %}STORAGES

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

# Query budgets: warn in the console when one request repeats the same SQL this many times.
MIDDLEWARE = [
    *MIDDLEWARE,
    "{{ cookiecutter.project_slug }}.testing.middleware.RepeatedQueriesMiddleware",
]
REPEATED_QUERIES_WARNING_AT = 10
{%- if cookiecutter.use_drf %}

# The schema and its docs page are open to anyone on a developer's machine (staff only elsewhere).
SPECTACULAR_SETTINGS = {
    **SPECTACULAR_SETTINGS,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
}
{%- endif %}
