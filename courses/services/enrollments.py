"""Enrollment services. Rosters and course lists are cached: every path here clears them."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction

from courses import cache
from courses.models import Course, Enrollment
from courses.services.errors import AlreadyEnrolled, InvalidInput

Role = Enrollment.Role


def _check_role(role: str) -> None:
    if role not in Role.values:
        raise InvalidInput(f"Unknown role {role!r}.", fields={"role": f"One of {Role.values}."})


def enrollment_create(*, user, course: Course, role: str = Role.STUDENT) -> Enrollment:
    """Enroll one user; ``AlreadyEnrolled`` if they already are (in whatever status).

    Cache clearing is the post_save signal's job, after commit.
    """
    _check_role(role)
    try:
        with transaction.atomic():
            return Enrollment.objects.create(user=user, course=course, role=role)
    except IntegrityError:
        if Enrollment.objects.filter(user=user, course=course).exists():
            raise AlreadyEnrolled(
                f"{user.get_username()} is already enrolled in {course}.",
                fields={"user": "Already enrolled in this course."},
            ) from None
        raise


def enrollments_import(*, course: Course, users: Iterable, role: str = Role.STUDENT) -> int:
    """Enroll many users at once; those already enrolled are left as they are.

    ``bulk_create`` sends no post_save, so this clears the caches itself: the course's roster and
    each new member's course list, in one invalidation after commit. Returns how many users it
    enrolled (a user enrolled concurrently by someone else is counted, and skipped).
    """
    _check_role(role)
    users_by_id = {user.pk: user for user in users}
    with transaction.atomic():
        existing = set(
            Enrollment.objects.filter(course=course, user_id__in=users_by_id).values_list(
                "user_id", flat=True
            )
        )
        new_ids = [user_id for user_id in users_by_id if user_id not in existing]
        # ignore_conflicts: a concurrent enrollment of the same user is not an error here.
        Enrollment.objects.bulk_create(
            [Enrollment(user_id=user_id, course=course, role=role) for user_id in new_ids],
            ignore_conflicts=True,
        )
        cache.enrollments_invalidate_on_commit(course_ids=[course.pk], user_ids=new_ids)
    return len(new_ids)
