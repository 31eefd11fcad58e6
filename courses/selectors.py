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

from django.db.models import Prefetch

from courses import cache
from courses.models import (
    Course,
    DiscussionThread,
    Enrollment,
    Problem,
    ProblemProgress,
    Submission,
    SubmissionTestResult,
)
from courses.services.errors import NotEnrolled, NotFound

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


# --- Access: what a user may see and act on through the API -----------------------------------
#
# Absent and hidden objects are both ``NotFound``: a student cannot learn that a draft problem or
# someone else's submission exists. A visible object in a course the user is not actively
# enrolled in is ``NotEnrolled``. Enrollment is read from the cached ``user_course_ids``.


def _require_enrollment(*, user, course_id: int) -> None:
    if course_id not in user_course_ids(user_id=user.pk):
        raise NotEnrolled(
            "You need to be enrolled in this course.", fields={"course": "not enrolled"}
        )


def problem_for_submission(*, user, problem_id: int) -> Problem:
    """A problem the user may submit practice solutions to.

    Visible, not archived, not exam-only (exam problems are submitted through an exam attempt),
    in a published course where the user is actively enrolled.
    """
    problem = (
        Problem.objects.select_related("chapter__course")
        .filter(
            pk=problem_id,
            is_visible=True,
            is_archived=False,
            is_exam_only=False,
            chapter__course__is_published=True,
        )
        .first()
    )
    if problem is None:
        raise NotFound("No such problem.")
    _require_enrollment(user=user, course_id=problem.chapter.course_id)
    return problem


def submission_for_owner(*, user, submission_id: int) -> Submission:
    """One of the user's own submissions with its per-case results (and their test cases)."""
    submission = (
        Submission.objects.select_related("problem")
        .prefetch_related(
            Prefetch(
                "test_results",
                queryset=SubmissionTestResult.objects.select_related("test_case").order_by("order"),
            )
        )
        .filter(pk=submission_id, user_id=user.pk)
        .first()
    )
    if submission is None:
        raise NotFound("No such submission.")
    return submission


def course_for_member(*, user, course_id: int) -> Course:
    """A course the user is actively enrolled in; an unpublished one is not found for others."""
    course = Course.objects.filter(pk=course_id).first()
    if course is None:
        raise NotFound("No such course.")
    if course.pk not in user_course_ids(user_id=user.pk):
        if not course.is_published:
            raise NotFound("No such course.")
        raise NotEnrolled(
            "You need to be enrolled in this course.", fields={"course": "not enrolled"}
        )
    return course


def course_open_for_enrollment(*, course_id: int) -> Course:
    """A published course; drafts are not found."""
    course = Course.objects.filter(pk=course_id, is_published=True).first()
    if course is None:
        raise NotFound("No such course.")
    return course


def thread_for_member(*, user, thread_id: int) -> DiscussionThread:
    """A discussion thread in a course the user is actively enrolled in."""
    thread = DiscussionThread.objects.select_related("course").filter(pk=thread_id).first()
    if thread is None or not (
        thread.course.is_published or thread.course_id in user_course_ids(user_id=user.pk)
    ):
        raise NotFound("No such thread.")
    _require_enrollment(user=user, course_id=thread.course_id)
    return thread
