"""Serializers that take what the schema says and nothing else.

REST framework's CharField also takes numbers (`"last_name": 0` is stored as "0"), while the
schema says string: a client that sends the wrong type is told so, and the schema stays true.
"""

from typing import Any

from django.db import models
from rest_framework import serializers


class StrictCharField(serializers.CharField):
    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class ModelSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
    }
