from django.contrib.auth import get_user_model
from rest_framework import serializers


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = get_user_model()
        fields = [{% if cookiecutter.username_type == "username" %}"username", {% endif %}"email", "first_name", "last_name"]
        read_only_fields = [{% if cookiecutter.username_type == "username" %}"username", {% endif %}"email"]
