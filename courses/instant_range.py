"""The instants the site accepts: from 1900-01-01 00:00 to 9000-12-31 23:59:59 UTC, both included.

Python's ``datetime`` ends at years 1 and 9999. An instant near either end cannot be shown on
the clocks of a zone whose offset carries it past them (``astimezone`` raises
``OverflowError``: every student's course page answered 500 for an exam closing at
9999-12-31T23:59:59Z in Europe/Paris), and a deadline computed from it (an exam's duration,
extra time) can overflow as well. So every instant a person sets (a chapter's or a problem's
due date, an exam's opens, closes and results-release times) is refused outside this range
where its model is validated: ``validate_in_range`` is a validator of those model fields, so
``full_clean`` applies it for the API's services and the admin's forms alike; code that builds
its own errors (a package import) asks ``range_error``.

Why these bounds: zone offsets are under a day, and what is added to a stored instant is at
most weeks (an exam's duration, each grant of extra time), so a thousand years of margin at
the top keeps every computed deadline and every local display representable; nothing a course
schedules happens before 1900, and the time zone database's history before then is local
mean time guesswork. Pure: no ORM, no clock.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.core.exceptions import ValidationError

EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
#: The range in words, for messages.
RANGE = "from 1900-01-01 00:00 to 9000-12-31 23:59:59 UTC"
#: What a refused instant's field says (also where a conversion overflows before any check).
OUT_OF_RANGE = f"Must be {RANGE}."
#: The days of the range, for inputs that are days (filters), and what refuses them.
FIRST_DAY, LAST_DAY = EARLIEST.date(), LATEST.date()
DAY_OUT_OF_RANGE = f"Must be a day from {FIRST_DAY} to {LAST_DAY}."


def in_range(value: datetime) -> bool:
    """Whether ``value`` lies in the range; a naive value is read as UTC.

    Comparing aware datetimes never overflows, whatever their offsets (no conversion happens).
    """
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=UTC)
    return EARLIEST <= value <= LATEST


def range_error(value: datetime | None) -> str | None:
    """Why ``value`` is refused, in the words every refusal uses; ``None`` when it is accepted
    (``None`` itself included: whether a value is required is the field's business)."""
    if value is None or in_range(value):
        return None
    return OUT_OF_RANGE


def validate_in_range(value: datetime | None) -> None:
    """A model field validator: ``ValidationError`` (code ``out_of_range``) outside the range."""
    error = range_error(value)
    if error:
        raise ValidationError(error, code="out_of_range")
