"""Reads of the courses app that are cached, and the queries behind them.

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
from courses.models import Enrollment, Problem, ProblemProgress

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


@dataclass(frozen=True)
class RosterEntry:
    user_id: int
    username: str
    role: str


@dataclass(frozen=True)
class _Roster:
    """What is cached for a roster: a type of our own, so that a foreign value is a miss."""

    entries: tuple[RosterEntry, ...]


@dataclass(frozen=True)
class _UserCourses:
    course_ids: frozenset[int]


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


def course_roster(*, course_id: int) -> tuple[RosterEntry, ...]:
    """The course's active enrollments, by username."""

    def compute() -> _Roster:
        enrollments = (
            Enrollment.objects.filter(course_id=course_id, status=Enrollment.Status.ACTIVE)
            .select_related("user")
            .order_by("user__username")
        )
        return _Roster(
            tuple(RosterEntry(e.user_id, e.user.get_username(), e.role) for e in enrollments)
        )

    return cache.read_versioned(
        cache.roster_version_key(course_id),
        lambda version: cache.roster_key(course_id, version),
        _Roster,
        compute,
    ).entries


def user_course_ids(*, user_id: int) -> frozenset[int]:
    """The ids of the courses the user is actively enrolled in."""

    def compute() -> _UserCourses:
        active = Enrollment.objects.filter(user_id=user_id, status=Enrollment.Status.ACTIVE)
        return _UserCourses(frozenset(active.values_list("course_id", flat=True)))

    return cache.read_versioned(
        cache.user_courses_version_key(user_id),
        lambda version: cache.user_courses_key(user_id, version),
        _UserCourses,
        compute,
    ).course_ids


def problem_course_id(*, problem_id: int) -> int | None:
    """The course a problem belongs to (uncached: a problem may move between chapters)."""
    return (
        Problem.objects.filter(pk=problem_id).values_list("chapter__course_id", flat=True).first()
    )
