"""Enrollment services. Rosters and course lists are cached: every path here clears them.

A user has at most one enrollment per course, whose status says where it stands: ``active``;
``dropped`` (the user left: enrolling again reactivates the same row); ``removed`` (the course's
staff removed them: only staff bring them back). Submissions and progress are never touched.
Every course keeps at least one active instructor: changes that would leave none are refused
(``LastInstructor``), under a lock of the course row so that two instructors stepping down at
once cannot both succeed. Bulk imports are in ``courses.services.enrollment_import``.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction

from courses import cache
from courses.models import Course, Enrollment
from courses.services.errors import (
    AlreadyEnrolled,
    EnrollmentRemoved,
    InvalidInput,
    LastInstructor,
    NotFound,
)

Role = Enrollment.Role
Status = Enrollment.Status
#: The statuses the course's staff may set: keep (or bring back), or remove.
STAFF_STATUSES = (Status.ACTIVE.value, Status.REMOVED.value)
REMOVED_MESSAGE = "The course's staff removed you from this course; ask them if you should be back."


def check_role(role: str) -> None:
    if role not in Role.values:
        raise InvalidInput(f"Unknown role {role!r}.", fields={"role": f"One of {Role.values}."})


def enrollment_create(*, user, course: Course, role: str = Role.STUDENT) -> Enrollment:
    """Enroll one user; ``AlreadyEnrolled`` if they already are (in whatever status).

    Cache clearing is the post_save signal's job, after commit.
    """
    check_role(role)
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
    check_role(role)
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


def enrollment_enroll_self(*, user, course: Course) -> tuple[Enrollment, bool]:
    """Enroll ``user`` in ``course`` as a student; ``(enrollment, created)``.

    A dropped enrollment is reactivated (same row, so the same id; the role becomes
    ``student`` again: staff roles are given by instructors). Already active:
    ``AlreadyEnrolled``; removed by staff: ``EnrollmentRemoved``. Whether the course may be
    joined (published) is the caller's lookup.
    """
    with transaction.atomic():
        enrollment = _locked_enrollment(user=user, course=course)
        if enrollment is None:
            try:
                with transaction.atomic():
                    return Enrollment.objects.create(user=user, course=course), True
            except IntegrityError:  # enrolled concurrently: decide on that row
                enrollment = _locked_enrollment(user=user, course=course)
                if enrollment is None:
                    raise
        if enrollment.status == Status.ACTIVE:
            raise AlreadyEnrolled(
                f"{user.get_username()} is already enrolled in {course}.",
                fields={"user": "Already enrolled in this course."},
            )
        if enrollment.status == Status.REMOVED:
            raise EnrollmentRemoved(REMOVED_MESSAGE)
        enrollment.status = Status.ACTIVE
        enrollment.role = Role.STUDENT
        enrollment.save(update_fields=["status", "role"])
        return enrollment, False


def enrollment_drop(*, user, course: Course) -> None:
    """The user leaves the course (status ``dropped``); their work stays.

    Dropping again changes nothing. No enrollment: ``NotFound``; removed by staff:
    ``EnrollmentRemoved`` (it stays removed: a dropped user could enroll again).
    """
    with transaction.atomic():
        _lock_course(course.pk)
        enrollment = _locked_enrollment(user=user, course=course)
        if enrollment is None:
            raise NotFound("You are not enrolled in this course.")
        if enrollment.status == Status.REMOVED:
            raise EnrollmentRemoved(REMOVED_MESSAGE)
        if enrollment.status == Status.DROPPED:
            return
        _require_another_instructor(enrollment)
        enrollment.status = Status.DROPPED
        enrollment.save(update_fields=["status"])


def enrollment_update(
    *, enrollment: Enrollment, role: str | None = None, status: str | None = None
) -> Enrollment:
    """Staff change an enrollment's role, remove it, or bring it back (``active``).

    ``dropped`` is the user's own choice and cannot be set here. An active instructor cannot
    stop being one when no other active instructor remains (``LastInstructor``).
    """
    if role is not None:
        check_role(role)
    if status is not None and status not in STAFF_STATUSES:
        raise InvalidInput(
            f"Staff may set the status to {' or '.join(STAFF_STATUSES)}.",
            fields={"status": f"One of {list(STAFF_STATUSES)}."},
        )
    with transaction.atomic():
        _lock_course(enrollment.course_id)
        current = (
            Enrollment.objects.select_for_update().select_related("user").get(pk=enrollment.pk)
        )
        new_role = current.role if role is None else role
        new_status = current.status if status is None else status
        if (new_role, new_status) != (Role.INSTRUCTOR, Status.ACTIVE):
            _require_another_instructor(current)
        changed = [
            name
            for name, value in (("role", new_role), ("status", new_status))
            if getattr(current, name) != value
        ]
        if changed:
            current.role, current.status = new_role, new_status
            current.save(update_fields=changed)
        return current


def _lock_course(course_id: int) -> None:
    """Serialize roster changes of one course (``SELECT ... FOR UPDATE`` of its row).

    SQLite ignores the clause, but its transactions start ``IMMEDIATE`` (settings): writers
    of the database are serialized anyway.
    """
    list(Course.objects.select_for_update().filter(pk=course_id).values_list("pk"))


def _locked_enrollment(*, user, course: Course) -> Enrollment | None:
    return Enrollment.objects.select_for_update().filter(user=user, course=course).first()


def _require_another_instructor(enrollment: Enrollment) -> None:
    """``LastInstructor`` if ``enrollment`` is its course's only active instructor."""
    if enrollment.role != Role.INSTRUCTOR or enrollment.status != Status.ACTIVE:
        return
    others = Enrollment.objects.filter(
        course_id=enrollment.course_id, role=Role.INSTRUCTOR, status=Status.ACTIVE
    ).exclude(pk=enrollment.pk)
    if not others.exists():
        raise LastInstructor(
            "A course needs at least one active instructor: make someone else instructor first."
        )
