"""Error reporting to Sentry, switched on by setting SENTRY_DSN."""

import environ
import sentry_sdk
{%- if cookiecutter.use_celery %}
from sentry_sdk.integrations.celery import CeleryIntegration
{%- endif %}
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.utils import BadDsn

from config.environment import malformed


def init_sentry(env: environ.Env) -> None:
    dsn = env("SENTRY_DSN", default="")
    if not dsn:
        return
    traces_sample_rate = env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0)
    if not 0 <= traces_sample_rate <= 1:
        raise malformed("SENTRY_TRACES_SAMPLE_RATE", "a share from 0.0 to 1.0")
    try:
        sentry_sdk.init(
            dsn=dsn,
            environment=env("SENTRY_ENVIRONMENT", default="production"),
            release=env("SENTRY_RELEASE", default=None),
            traces_sample_rate=traces_sample_rate,
            # Who the user is and what they posted stay out of reports; values of sensitive cookies
            # and headers are scrubbed by the SDK's deny list.
            data_collection={"user_info": False, "http_bodies": []},
            integrations=[
                DjangoIntegration(),
{%- if cookiecutter.use_celery %}
                CeleryIntegration(),
{%- endif %}
            ],
        )
    except BadDsn as error:
        raise malformed("SENTRY_DSN", "a Sentry project's DSN (https://key@host/id)") from error
