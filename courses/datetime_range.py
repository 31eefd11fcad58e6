"""Whether an aware datetime is an instant the platform can hold: a pure function, no ORM.

The database keeps UTC, and Python's datetimes run from year 1 to year 9999; a time written
with an offset near either end (``9999-12-31T23:59:59-12:00``, ``0001-01-01T00:00:00+14:00``)
has no UTC value, and Django's save raises ``OverflowError`` on it (a 500). The JSON API refuses
such a value through DRF's ``DateTimeField`` ("Datetime value out of range."), which converts
it to the current time zone (UTC); the package importer refuses it through this, in the same
words. ``zone`` asks the same of another zone's clock (a course's, where times are shown).
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

#: DRF's words for the same refusal, so that the API and the importer say the same.
OUT_OF_RANGE = "Datetime value out of range."


def in_range(value: datetime, zone: tzinfo = UTC) -> bool:
    """Whether aware ``value`` has a time on ``zone``'s clock (by default UTC, the stored one)."""
    try:
        value.astimezone(zone)
    except OverflowError:
        return False
    return True
