"""Template filters of the site: times in a course's zone, verdicts in words."""

from __future__ import annotations

import math
import re
from datetime import datetime
from decimal import Decimal

from django import template
from django.utils.html import format_html

from courses.exam_time import local_time, utc
from courses.judging.languages import display_name

register = template.Library()

#: How each verdict reads on a page, and the style class that colours it.
VERDICTS = {
    "pending": ("Pending", "neutral"),
    "judging": ("Judging…", "neutral"),
    "accepted": ("Accepted", "good"),
    "wrong_answer": ("Wrong answer", "bad"),
    "time_limit_exceeded": ("Time limit exceeded", "bad"),
    "memory_limit_exceeded": ("Memory limit exceeded", "bad"),
    "output_limit_exceeded": ("Output limit exceeded", "bad"),
    "runtime_error": ("Runtime error", "bad"),
    "compilation_error": ("Compilation error", "bad"),
    "internal_error": ("Judging failed (not your code)", "warn"),
    "skipped": ("Skipped", "neutral"),
    # What an exam submission shows while its exam's feedback withholds the verdict.
    "judged": ("Judged (verdict after the results are released)", "neutral"),
    "received": ("Received", "neutral"),
}

#: An instant as services write it in their messages (``datetime.isoformat()``).
ISO_INSTANT = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})"
)


@register.filter
def in_zone(value: datetime | None, zone: str) -> str:
    """``value`` on the clocks of ``zone``, with the zone named: ``1 Dec 2026, 14:00 CET
    (Europe/Paris)``. Empty for ``None``.

    An instant the zone's clocks cannot show (a year past 9999 there, from a value saved before
    authoring kept instants in ``courses.instant_range``) is shown in UTC, named so, rather than
    failing the whole page."""
    if value is None:
        return ""
    try:
        local = local_time(value, zone)
    except OverflowError:
        return f"{utc(value):%-d %b %Y, %H:%M} UTC"
    return f"{local:%-d %b %Y, %H:%M} {local.tzname()} ({zone})"


@register.filter
def times_in_zone(message: str, zone: str) -> str:
    """A service's message (the API's words) with each ISO 8601 instant in it shown as
    ``in_zone`` shows it: "The exam 'Midterm' opens at 10 Jan 2026, 09:00 CET (Europe/Paris)."."""
    return ISO_INSTANT.sub(
        lambda match: in_zone(datetime.fromisoformat(match.group()), zone), str(message)
    )


@register.filter
def ms_as_seconds(value: int | None) -> str:
    """A duration in milliseconds for people: ``0.25 s``, ``12.3 s``, ``4 min 05 s``."""
    if value is None:
        return ""
    seconds = value / 1000
    if seconds < 10:
        return f"{seconds:.2f} s"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


@register.filter
def language_name(key: str) -> str:
    """A language's name as the editor's menu shows it (``python`` is "Python 3")."""
    return display_name(key)


@register.filter
def percent_down(share) -> str:
    """A score's share (0..1) as whole per cent, rounded down as points are
    (``aggregation.score_share``): 2 of 3 is 66 %, beside 66.66 points, never 67."""
    if share is None:
        return ""
    return str(math.floor(Decimal(share) * 100))


@register.filter
def case_rows(data: dict) -> list:
    """A shown submission's per-case results worth a table: none after a compilation error,
    where no case ran and each row would only repeat "Compilation error" beside the compiler's
    own words."""
    if data.get("status") == "compilation_error":
        return []
    return data.get("results") or []


@register.filter
def iso(value: datetime | None) -> str:
    """An instant for scripts (the countdown): ISO 8601 in UTC."""
    return "" if value is None else value.isoformat()


@register.simple_tag
def verdict(status: str):
    """A verdict as a labelled badge; the text says it all, the colour only repeats it."""
    label, tone = VERDICTS.get(status, (status.replace("_", " ").capitalize(), "neutral"))
    return format_html('<span class="verdict verdict-{}">{}</span>', tone, label)
