"""Environment variables read strictly: a malformed value stops the boot, naming the variable.

django-environ alone turns `DJANGO_SECURE_HSTS_SECONDS=abc` into a bare ValueError, an empty
DATABASE_URL into a KeyError further on, a bad email URL into a message without the variable's
name, and a typo such as `ture` into False. This subclass reads booleans and numbers strictly and
names the variable, and what it expects, in an ImproperlyConfigured. Values are never echoed: some
of them (URLs with passwords) are secrets.
"""

import ipaddress
import re
import warnings
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

BOOLEANS = {
    "true": True,
    "yes": True,
    "on": True,
    "1": True,
    "false": False,
    "no": False,
    "off": False,
    "0": False,
}
EXPECTED = {
    bool: "true or false (or yes/no, on/off, 1/0)",
    int: "a whole number",
    float: "a number",
}
# What Django REST framework and django-ratelimit parse: a count per second, minute, hour or day.
RATE = re.compile(r"[0-9]+/(s|sec|second|m|min|minute|h|hour|d|day)")
URL_PATH = re.compile(r"([A-Za-z0-9._~-]+/)+")


def malformed(variable: str, expected: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(
        f"{variable} is malformed: it must be {expected}. Fix it in the environment."
    )


class Env(environ.Env):
    def get_value(
        self,
        var: str,
        cast: Any = None,
        default: Any = environ.Env.NOTSET,
        parse_default: bool = False,
    ) -> Any:
        try:
            return super().get_value(var, cast, default, parse_default)
        except ImproperlyConfigured:
            raise
        except (ValueError, TypeError, KeyError) as error:
            raise malformed(var, EXPECTED.get(cast, "a valid value")) from error

    @classmethod
    def parse_value(cls, value: Any, cast: Any) -> Any:
        if cast is bool and isinstance(value, str):
            return BOOLEANS[value.strip().lower()]
        if cast is float and isinstance(value, str):
            # django-environ strips every non-digit first, so "1.0abc" would read as 1.0.
            return float(value)
        return super().parse_value(value, cast)

    def db_url(
        self, var: str = "DATABASE_URL", default: Any = environ.Env.NOTSET, engine: Any = None
    ) -> dict[str, Any]:
        expected = "a database URL such as postgres://user:password@host:5432/name"
        value = self.get_value(var, default=default)
        try:
            with warnings.catch_warnings():
                # An unknown scheme is refused below; django-environ's warning would print the
                # URL, password included.
                warnings.simplefilter("ignore", UserWarning)
                config = self.db_url_config(value, engine=engine) if value else {}
        except (ValueError, ImproperlyConfigured) as error:
            raise malformed(var, expected) from error
        if not config.get("ENGINE") or not config.get("NAME"):
            raise malformed(var, expected)
        return config

    db = db_url

    def email_url(
        self, var: str = "EMAIL_URL", default: Any = environ.Env.NOTSET, backend: Any = None
    ) -> dict[str, Any]:
        try:
            return super().email_url(var, default, backend)
        except (ValueError, ImproperlyConfigured) as error:
            raise malformed(
                var, "a mail server URL such as smtp+tls://user:password@host:587"
            ) from error

    email = email_url

    def rate(self, var: str, default: Any = environ.Env.NOTSET) -> str:
        value = self.str(var, default=default)
        if not RATE.fullmatch(value):
            raise malformed(
                var, "a rate such as 60/minute (a count per second, minute, hour or day)"
            )
        return value

    def choice(self, var: str, choices: list[str], default: Any = environ.Env.NOTSET) -> str:
        value = self.str(var, default=default)
        if value not in choices:
            raise malformed(var, f"one of {', '.join(choices)}")
        return value

    def url_path(self, var: str, default: Any = environ.Env.NOTSET) -> str:
        value = self.str(var, default=default)
        if not URL_PATH.fullmatch(value):
            raise malformed(var, "a path such as staff-7f3a/ (no leading slash, one at the end)")
        return value

    def addresses(self, var: str, default: Any = environ.Env.NOTSET) -> list[str]:
        """A comma-separated list of IP addresses and networks (10.0.0.0/24), or `*` for any."""
        values = [value.strip() for value in self.str(var, default=default).split(",")]
        for value in values:
            try:
                if value != "*":
                    ipaddress.ip_network(value, strict=False)
            except ValueError:
                expected = "IP addresses or networks (10.0.0.10,10.0.1.0/24), or *"
                raise malformed(var, expected) from None
        return values

    def service_url(
        self, var: str, schemes: tuple[str, ...], default: Any = environ.Env.NOTSET
    ) -> str:
        value = self.str(var, default=default)
        if value and value.partition("://")[0] not in schemes:
            raise malformed(var, f"a URL starting with {' or '.join(f'{s}://' for s in schemes)}")
        return value
