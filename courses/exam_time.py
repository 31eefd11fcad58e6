"""Exam time arithmetic as pure functions: no ORM, no clock (DESIGN.md, Conventions: Time).

Every function takes ``now`` (or the instants it needs) from its caller, so the same inputs give
the same answer and tests pass fixed instants instead of sleeping.

All arithmetic is done in UTC. Python's arithmetic on two datetimes that share a ``ZoneInfo``
is *wall-clock* arithmetic: ``paris_0130 + 90 min`` on the night clocks spring forward gives a
wall time only 30 real minutes later, and ``deadline - now`` ignores the offset change. Going
through UTC first makes a 90-minute exam last 90 real minutes on any night of the year; local
time zones are for display only (``local_time``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

ZERO = timedelta(0)


def utc(value: datetime) -> datetime:
    """``value`` as an aware UTC datetime; a naive one is refused (its instant is unknown)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{value!r} is naive: pass an aware datetime (timezone.now()).")
    return value.astimezone(UTC)


def attempt_deadline(
    *, started_at: datetime, duration_minutes: int, closes_at: datetime, extra_minutes: int = 0
) -> datetime:
    """When an attempt ends: ``min(started_at + duration, closes_at) + extra``, in UTC.

    Extra time (an accommodation) is added after the cap, so it is never swallowed by the exam
    closing: it may carry the deadline past ``closes_at`` by at most the extra minutes
    (docs/decisions.md). With no extra time this is ``min(started_at + duration, closes_at)``.
    """
    natural_end = utc(started_at) + timedelta(minutes=duration_minutes)
    return min(natural_end, utc(closes_at)) + timedelta(minutes=extra_minutes)


def time_remaining(deadline: datetime, now: datetime) -> timedelta:
    """Real time left until ``deadline``; zero once it has passed, never negative."""
    return max(utc(deadline) - utc(now), ZERO)


def is_past(deadline: datetime, now: datetime) -> bool:
    """True from the deadline instant on: at ``now == deadline`` no time is left."""
    return utc(now) >= utc(deadline)


def local_time(value: datetime, tz_name: str) -> datetime:
    """The same instant on the clocks of ``tz_name`` (an IANA name such as ``Europe/Paris``).

    For display only. Around a fall-back transition the repeated wall time is told apart by
    ``fold`` (0 the first time, 1 the second) and by ``utcoffset()``. An unknown name raises
    ``zoneinfo.ZoneInfoNotFoundError``.
    """
    return utc(value).astimezone(ZoneInfo(tz_name))


def results_visible(exam, now: datetime) -> bool:
    """Whether students may see their results: from ``exam.results_released_at`` on.

    ``None`` means the instructor has not released them yet, so they are hidden.
    """
    released_at = exam.results_released_at
    return released_at is not None and utc(now) >= utc(released_at)


#: What ``exam_state`` answers.
UPCOMING, OPEN, CLOSED = "upcoming", "open", "closed"
#: What ``attempt_state`` answers.
RUNNING, EXPIRED, FINISHED = "running", "expired", "finished"


def exam_state(*, opens_at: datetime, closes_at: datetime, now: datetime) -> str:
    """``upcoming`` before ``opens_at``, ``open`` in ``[opens_at, closes_at)``, then ``closed``."""
    if utc(now) < utc(opens_at):
        return UPCOMING
    return OPEN if utc(now) < utc(closes_at) else CLOSED


def attempt_state(*, finished_at: datetime | None, deadline: datetime, now: datetime) -> str:
    """``finished``; else ``running`` before the deadline and ``expired`` from it on.

    An expired attempt takes nothing more; it is finished (at its deadline) by the periodic task,
    by the student's next start, or by finishing it.
    """
    if finished_at is not None:
        return FINISHED
    return EXPIRED if is_past(deadline, now) else RUNNING
