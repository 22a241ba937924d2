"""Settings for a developer's machine, the default of manage.py."""

from .base import *  # noqa: F403
from .base import MIDDLEWARE, {% if cookiecutter.use_drf %}REST_FRAMEWORK, SPECTACULAR_SETTINGS, {% endif %}STORAGES, env

DEBUG = True
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]"]
INTERNAL_IPS = ["127.0.0.1"]

# Mail is printed to the console, unless EMAIL_URL names a mail catcher to send it to.
globals().update(env.email_url("EMAIL_URL", default="consolemail://"))

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

# The browsable API: the API's pages in a browser, on a developer's machine only.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_RENDERER_CLASSES": [
        *REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"],
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}

# The schema and its docs page are open to anyone on a developer's machine (staff only elsewhere).
SPECTACULAR_SETTINGS = {
    **SPECTACULAR_SETTINGS,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
}
{%- endif %}
{%- if cookiecutter.use_celery %}

# Without a broker (CELERY_BROKER_URL unset) tasks run in this process once the transaction
# commits, so a new checkout needs nothing but Python; config/celery_app.py logs it, and refuses
# to start a worker or beat that way. Production always uses a real broker.
CELERY_TASK_ALWAYS_EAGER = not env("CELERY_BROKER_URL", default="")
{%- endif %}
