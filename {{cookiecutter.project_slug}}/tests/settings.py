"""Settings for the test suite: the project's test settings, plus what the query-budget
toolkit's own tests need (a test app with books and a second database alias)."""

from config.settings.test import *  # noqa: F403
from config.settings.test import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.toolkit_app"]

# A second alias, as a read replica would be: its queries must be counted like the default's.
DATABASES = {
    **DATABASES,  # noqa: F405
    "replica": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
}
DATABASE_ROUTERS = ["tests.toolkit_app.routers.ReplicaRouter"]
