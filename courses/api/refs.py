"""Small references to other objects, shared by the API's serializers."""

from __future__ import annotations

from rest_framework import serializers


class ProblemRefSerializer(serializers.Serializer):
    """A problem named in another object: its id and title."""

    id = serializers.IntegerField()
    title = serializers.CharField()
