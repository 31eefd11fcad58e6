"""Template filters of the site: times in a course's zone, verdicts in words."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils.html import format_html

from courses.exam_time import local_time

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
    # An exam submission whose verdict is withheld until the results are released.
    "judged": ("Judged (verdict withheld)", "neutral"),
    "received": ("Received", "neutral"),
}


@register.filter
def in_zone(value: datetime | None, zone: str) -> str:
    """``value`` on the clocks of ``zone``, with the zone named: ``1 Dec 2026, 14:00 CET
    (Europe/Paris)``. Empty for ``None``."""
    if value is None:
        return ""
    local = local_time(value, zone)
    return f"{local:%-d %b %Y, %H:%M} {local.tzname()} ({zone})"


@register.filter
def iso(value: datetime | None) -> str:
    """An instant for scripts (the countdown): ISO 8601 in UTC."""
    return "" if value is None else value.isoformat()


@register.simple_tag
def verdict(status: str):
    """A verdict as a labelled badge; the text says it all, the colour only repeats it."""
    label, tone = VERDICTS.get(status, (status.replace("_", " ").capitalize(), "neutral"))
    return format_html('<span class="verdict verdict-{}">{}</span>', tone, label)
