from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from rest_framework import serializers


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = get_user_model()
        fields = [{% if cookiecutter.username_type == "username" %}"username", {% endif %}"email", "first_name", "last_name"]
        read_only_fields = [{% if cookiecutter.username_type == "username" %}"username", {% endif %}"email"]


class UserListSerializer(serializers.ModelSerializer):
    """A user as staff see it in the list, with the names of its groups."""

    # Reads the prefetched groups: users_with_groups() must stay the queryset behind it.
    groups = serializers.SlugRelatedField[Group](many=True, read_only=True, slug_field="name")

    class Meta:
        model = get_user_model()
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
