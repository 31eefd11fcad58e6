"""Object ids as addresses give them: 1 to ``MAX_ID``, larger ones refused before any lookup.

A number beyond the 64-bit key range is never looked up: SQLite raises ``OverflowError`` on it
(Django finds nothing for a primary key that large, but not for a foreign key, so
``/courses/<2**64>/`` answered 500 where ``/problems/<2**64>/`` answered 404). Every URL with an
object id names it ``<id:...>`` (``IdConverter``): a larger number matches no route, a 404 like
any unknown address. Query strings and JSON bodies take the same range (``courses.api.fields``).
"""

from __future__ import annotations

from django.urls import register_converter

#: The largest id a table can hold (a 64-bit key).
MAX_ID = 2**63 - 1


class IdConverter:
    """``<id:name>``: Django's ``<int:name>`` within 1..``MAX_ID``."""

    regex = "[0-9]+"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= MAX_ID:
            raise ValueError(f"{value} is not an id")  # the route does not match: a 404
        return number

    def to_url(self, value) -> str:
        return str(int(value))


register_converter(IdConverter, "id")
