"""The user querysets views and serializers read, with what each row needs fetched up front."""

from django.contrib.auth.models import Group
from django.db.models import Prefetch, QuerySet

from .models import User


def users_with_groups() -> QuerySet[User]:
    """Users with their groups: two queries however many users there are."""
    return User.objects.order_by("pk").prefetch_related(
        Prefetch("groups", queryset=Group.objects.only("id", "name").order_by("name"))
    )
