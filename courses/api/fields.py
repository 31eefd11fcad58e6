"""Serializer fields that take JSON types as they are.

DRF's ``CharField`` turns ``42`` into ``"42"`` and its ``IntegerField`` takes ``"42"``; for an
API whose ``code`` field is a program, ``{"code": 42}`` must be a 400 naming the field, not a
program that prints nothing (README, "API").
"""

from __future__ import annotations

import math

from django.utils.dateparse import parse_datetime
from rest_framework import serializers

from courses.ids import MAX_ID


class StrictCharField(serializers.CharField):
    default_error_messages = {"invalid": "Must be a string."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    default_error_messages = {"invalid": "Must be an integer."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class IdField(serializers.IntegerField):
    """An object's id in a query string (``?problem=12``): an integer from 1 to ``MAX_ID``."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


class StrictIdField(StrictIntegerField):
    """An object's id in a JSON body: a JSON integer from 1 to ``MAX_ID``."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


class StrictBooleanField(serializers.BooleanField):
    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class StrictDecimalField(serializers.DecimalField):
    """A decimal given as a JSON number or a numeric string; ``true`` is not a number."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float | str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictFloatField(serializers.FloatField):
    """A JSON number (finite); ``true`` and ``"0.5"`` are not numbers."""

    default_error_messages = {"invalid": "Must be a finite number."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float) or not math.isfinite(data):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictListField(serializers.ListField):
    default_error_messages = {"not_a_list": "Must be a list."}


class OffsetDateTimeField(serializers.DateTimeField):
    """An instant an instructor writes (a due date, an exam's window): ISO 8601 with its offset.

    Without one, DRF read ``2026-12-15T23:59:00`` (and a date alone, ``2030-01-01``) as UTC,
    whatever the course's time zone: an hour off in Paris, silently. The package format already
    requires the offset (docs/package-format.md); every authoring field of the API does too.
    """

    default_error_messages = {
        "naive": (
            "Give the date and time with its offset, such as 2026-12-15T23:59:00+01:00 or "
            "2026-12-15T22:59:00Z: without one it is not clear which instant is meant."
        )
    }

    def to_internal_value(self, value):
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value)
            except ValueError:  # out of range: the parent's message
                parsed = None
            if parsed is not None and parsed.tzinfo is None:
                self.fail("naive")
        return super().to_internal_value(value)
