"""Enrollment reads: a course's roster (cached, and with progress for staff), and the courses
(with roles) of a user."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, F, IntegerField, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from courses import cache
from courses.models import Enrollment, ProblemProgress

#: Points as the database sums them (share with 4 decimals × integer points).
POINTS = DecimalField(max_digits=14, decimal_places=4)


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
class UserRoles:
    """What is cached for a user: ``(course_id, role)`` of each active enrollment, by course."""

    roles: tuple[tuple[int, str], ...]


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


def user_course_roles(*, user_id: int) -> dict[int, str]:
    """``{course_id: role}`` of the user's active enrollments (cached, cleared on change)."""

    def compute() -> UserRoles:
        active = Enrollment.objects.filter(user_id=user_id, status=Enrollment.Status.ACTIVE)
        return UserRoles(tuple(active.order_by("course_id").values_list("course_id", "role")))

    return dict(
        cache.read_versioned(
            cache.user_courses_version_key(user_id),
            lambda version: cache.user_courses_key(user_id, version),
            UserRoles,
            compute,
        ).roles
    )


def user_course_ids(*, user_id: int) -> frozenset[int]:
    """The ids of the courses the user is actively enrolled in, whatever the role."""
    return frozenset(user_course_roles(user_id=user_id))


def user_active_enrollments(*, user_id: int) -> QuerySet[Enrollment]:
    """The user's active enrollments with their courses, by course title (one query)."""
    return (
        Enrollment.objects.filter(user_id=user_id, status=Enrollment.Status.ACTIVE)
        .select_related("course")
        .order_by("course__title", "course_id")
    )


def course_enrollments_with_progress(
    *, course_id: int, role: str | None = None, status: str | None = None, search: str = ""
) -> QuerySet[Enrollment]:
    """A course's enrollments (every status unless filtered), by username, each annotated with
    its user's progress in the course: ``solved``, ``attempted``, ``points``.

    The numbers are those of ``course_progress_summary`` (``attempted`` counts problems with a
    judged attempt, solved ones included; ``points`` sums best score share × problem points),
    computed by the database in three correlated subqueries of the page's one query, so a page
    costs the same whatever its size.
    """
    enrollments = Enrollment.objects.filter(course_id=course_id).select_related("user")
    if role:
        enrollments = enrollments.filter(role=role)
    if status:
        enrollments = enrollments.filter(status=status)
    if search:
        enrollments = enrollments.filter(user__username__icontains=search)
    progress = ProblemProgress.objects.filter(
        user_id=OuterRef("user_id"), problem__chapter__course_id=course_id
    ).order_by()
    points = Sum(F("best_score") * F("problem__points"), output_field=POINTS)
    return enrollments.annotate(
        solved=_per_user(progress.filter(status=ProblemProgress.Status.SOLVED), Count("pk")),
        attempted=_per_user(progress.filter(attempts__gt=0), Count("pk")),
        points=_per_user(progress, points, POINTS, Decimal("0")),
    ).order_by("user__username", "pk")


def _per_user(progress: QuerySet, aggregate, output_field=None, zero=0) -> Coalesce:
    """``aggregate`` over the outer row's user's ``progress`` rows; ``zero`` when none."""
    output_field = output_field or IntegerField()
    total = progress.values("user_id").annotate(total=aggregate).values("total")
    return Coalesce(Subquery(total, output_field=output_field), zero, output_field=output_field)
