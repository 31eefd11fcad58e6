"""What a logged-in user is: their account, what they may do on the site, their courses."""

from __future__ import annotations

from dataclasses import dataclass

from courses.selectors.access import can_create_courses
from courses.selectors.enrollments import user_active_enrollments


@dataclass(frozen=True)
class MyEnrollment:
    course: int
    title: str
    role: str


@dataclass(frozen=True)
class AccountSummary:
    username: str
    email: str
    is_superuser: bool
    #: The site permission ``courses.add_course`` (or a superuser).
    can_create_courses: bool
    #: Active enrollments only, by course title.
    enrollments: tuple[MyEnrollment, ...]


def account_summary(*, user) -> AccountSummary:
    enrollments = tuple(
        MyEnrollment(e.course_id, e.course.title, e.role)
        for e in user_active_enrollments(user_id=user.pk)
    )
    return AccountSummary(
        username=user.get_username(),
        email=user.email,
        is_superuser=user.is_superuser,
        can_create_courses=can_create_courses(user),
        enrollments=enrollments,
    )
