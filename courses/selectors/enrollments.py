"""Enrollment reads, cached: a course's roster, and the courses (with roles) of a user."""

from __future__ import annotations

from dataclasses import dataclass

from courses import cache
from courses.models import Enrollment


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
class _UserRoles:
    """What is cached for a user: ``(course_id, role)`` of each active enrollment."""

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

    def compute() -> _UserRoles:
        active = Enrollment.objects.filter(user_id=user_id, status=Enrollment.Status.ACTIVE)
        return _UserRoles(tuple(active.order_by("course_id").values_list("course_id", "role")))

    return dict(
        cache.read_versioned(
            cache.user_courses_version_key(user_id),
            lambda version: cache.user_courses_key(user_id, version),
            _UserRoles,
            compute,
        ).roles
    )


def user_course_ids(*, user_id: int) -> frozenset[int]:
    """The ids of the courses the user is actively enrolled in, whatever the role."""
    return frozenset(user_course_roles(user_id=user_id))
