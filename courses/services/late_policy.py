"""Homework due dates and the course's late policy, as pure arithmetic (no ORM, no clock).

A submission made after its problem's due date (the problem's own, else its chapter's) is
accepted, marked late, and scored by the course's policy (docs/decisions.md, "Homework"):

- ``none``: it counts in full; it is only marked late;
- ``penalty``: it loses ``late_penalty_percent_per_day`` of its score per *started* day late
  (one minute late is one day), never below zero;
- ``not_counted``: it is judged and shown, but earns nothing.

Exam submissions are never late: the exam's own deadline governs them.
"""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal

from courses.exam_time import utc

ONE = Decimal("1")
ZERO = Decimal("0")
SECONDS_PER_DAY = 24 * 3600


def late_days(*, due_at: datetime | None, submitted_at: datetime) -> int:
    """Started days between ``due_at`` and ``submitted_at``; 0 when on time or without a due date.

    A submission exactly at ``due_at`` is on time.
    """
    if due_at is None:
        return 0
    seconds = (utc(submitted_at) - utc(due_at)).total_seconds()
    return max(0, math.ceil(seconds / SECONDS_PER_DAY))


def late_multiplier(*, policy: str, percent_per_day: Decimal, days: int) -> Decimal:
    """The share of its score a submission ``days`` late keeps under ``policy``."""
    if days <= 0 or policy == "none":
        return ONE
    if policy == "not_counted":
        return ZERO
    if policy == "penalty":
        return max(ZERO, ONE - Decimal(days) * Decimal(percent_per_day) / 100)
    raise ValueError(f"unknown late policy {policy!r}")


def effective_score(*, score: Decimal, policy: str, percent_per_day: Decimal, days: int) -> Decimal:
    """The score a submission counts for: its score × the policy's multiplier, to 4 places."""
    multiplier = late_multiplier(policy=policy, percent_per_day=percent_per_day, days=days)
    return (Decimal(score) * multiplier).quantize(Decimal("0.0001"))
