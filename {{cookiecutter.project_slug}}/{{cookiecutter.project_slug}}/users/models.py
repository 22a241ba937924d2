{%- if cookiecutter.username_type == "email" -%}
from typing import ClassVar

{% endif -%}
from django.contrib.auth.models import AbstractUser
{%- if cookiecutter.username_type == "email" %}
from django.db import models
from django.db.models.functions import Lower

from .managers import UserManager
{%- endif %}


class User(AbstractUser):
    """The project's user. Swapping the user model later is painful, so it exists from day one."""
{%- if cookiecutter.username_type == "email" %}

    # People sign in with their email address; there is no username.
    username = None  # type: ignore[assignment]
    email = models.EmailField("email address", unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    class Meta(AbstractUser.Meta):
        constraints = [
            # Ann@Example.com and ann@example.com are the same person.
            models.UniqueConstraint(Lower("email"), name="users_user_email_ci_unique"),
        ]
{%- endif %}

    def __str__(self) -> str:
        return self.{{ "email" if cookiecutter.username_type == "email" else "username" }}
