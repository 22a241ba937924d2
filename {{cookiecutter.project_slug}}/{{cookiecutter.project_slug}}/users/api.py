"""The users' REST endpoints: what a client may read and change about users, and who may.

api/urls.py routes every domain's endpoints under /api/; this module is the users' part of it.
"""

from django.contrib.auth.models import Group
from django.urls import path
from rest_framework import generics, permissions, serializers

from {{ cookiecutter.project_slug }}.api.strict import ModelSerializer
from {{ cookiecutter.project_slug }}.api.validators import visible_text

from .models import User
from .selectors import users_with_groups

# Names are stored as sent: trimming would quietly accept the control characters the validator
# refuses, and the schema would no longer say what is accepted.
NAME = {"validators": [visible_text], "trim_whitespace": False}


class UserSerializer(ModelSerializer):
    class Meta:
        model = User
        fields = [{% if cookiecutter.username_type == "username" %}"username", {% endif %}"email", "first_name", "last_name"]
        read_only_fields = [{% if cookiecutter.username_type == "username" %}"username", {% endif %}"email"]
        extra_kwargs = {"first_name": NAME, "last_name": NAME}


class UserListSerializer(ModelSerializer):
    """A user as staff see it in the list, with the names of its groups."""

    # Reads the prefetched groups: users_with_groups() must stay the queryset behind it.
    groups = serializers.SlugRelatedField[Group](many=True, read_only=True, slug_field="name")

    class Meta:
        model = User
        fields = [
            "id",
{%- if cookiecutter.username_type == "username" %}
            "username",
{%- endif %}
            "email",
            "first_name",
            "last_name",
            "is_staff",
            "is_active",
            "date_joined",
            "groups",
        ]
        read_only_fields = fields


class UserListView(generics.ListAPIView):
    """Every user with their groups, for staff."""

    serializer_class = UserListSerializer
    permission_classes = [permissions.IsAdminUser]

    def get_queryset(self):
        return users_with_groups()


class MeView(generics.RetrieveUpdateAPIView):
    """The signed-in user: read it, or change its name."""

    serializer_class = UserSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self):
        return self.request.user


urlpatterns = [
    path("", UserListView.as_view(), name="api-users"),
    path("me/", MeView.as_view(), name="api-me"),
]
