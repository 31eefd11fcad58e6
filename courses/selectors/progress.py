"""Progress reads, cached (DESIGN.md, "Cache"): one user's entry for one problem, and summaries.

Each cached read returns a small frozen value (never a model instance: pickled instances drag
their whole state along and break across schema changes) and stores it under a key from
``courses.cache``. The signals in ``courses.signals`` invalidate those keys after commit.
A cache that is down or confused makes these reads go to the database; they never fail for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from courses import cache
from courses.models import ProblemProgress

Status = ProblemProgress.Status


@dataclass(frozen=True)
class ProgressEntry:
    """One user's progress on one problem; ``not_started`` when there is no row yet."""

    status: str
    attempts: int
    best_score: Decimal
    first_solved_at: datetime | None
    last_submitted_at: datetime | None


NOT_STARTED = ProgressEntry(Status.NOT_STARTED.value, 0, Decimal("0"), None, None)


@dataclass(frozen=True)
class ProgressSummary:
    """A user's progress in a course.

    ``attempted`` counts problems with at least one judged attempt, solved ones included;
    ``total_points`` is the sum of best score share × the problem's points.
    """

    solved: int
    attempted: int
    total_points: Decimal


def progress_get(*, user_id: int, problem_id: int) -> ProgressEntry:
    def compute() -> ProgressEntry:
        row = (
            ProblemProgress.objects.filter(user_id=user_id, problem_id=problem_id)
            .values_list("status", "attempts", "best_score", "first_solved_at", "last_submitted_at")
            .first()
        )
        return ProgressEntry(str(row[0]), *row[1:]) if row else NOT_STARTED

    return cache.read_through(cache.progress_key(user_id, problem_id), ProgressEntry, compute)


def course_progress_summary(*, user_id: int, course_id: int) -> ProgressSummary:
    def compute() -> ProgressSummary:
        rows = ProblemProgress.objects.filter(
            user_id=user_id, problem__chapter__course_id=course_id
        ).values_list("status", "attempts", "best_score", "problem__points")
        solved = attempted = 0
        points = Decimal("0")
        for status, attempts, best_score, problem_points in rows:
            solved += status == Status.SOLVED
            attempted += attempts > 0
            points += best_score * problem_points
        return ProgressSummary(solved, attempted, points.quantize(Decimal("0.01")))

    return cache.read_versioned(
        cache.progress_summary_version_key(user_id, course_id),
        lambda version: cache.progress_summary_key(user_id, course_id, version),
        ProgressSummary,
        compute,
    )
