"""How to fill each model with rows, for the generated query-budget and admin tests.

Every model behind a list page (an admin changelist{% if cookiecutter.use_drf %}, a REST endpoint{% endif %} or a ListView) needs
a seed here: a function adding `count` rows that the page lists for `requester`, a superuser,
with their relations filled in so a query per row would show. See docs/query-budgets.md.
"""

from typing import Any

from django.contrib.auth.models import Group, Permission
{%- if cookiecutter.use_drf %}
from rest_framework.authtoken.models import Token, TokenProxy
{%- endif %}

from {{ cookiecutter.project_slug }}.testing.coverage import seeds
from {{ cookiecutter.project_slug }}.users.models import User

from .factories import GroupFactory, UserFactory


@seeds.register(Group)
def seed_groups(count: int, requester: Any) -> None:
    permissions = list(Permission.objects.order_by("pk")[:3])
    for group in GroupFactory.create_batch(count):
        group.permissions.add(*permissions)


@seeds.register(User)
def seed_users(count: int, requester: Any) -> None:
    groups = GroupFactory.create_batch(3)
    UserFactory.create_batch(count, groups=groups)
{%- if cookiecutter.use_drf %}


@seeds.register(TokenProxy)
def seed_tokens(count: int, requester: Any) -> None:
    for user in UserFactory.create_batch(count):
        Token.objects.create(user=user)
{%- endif %}
