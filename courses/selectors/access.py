"""Who may do what: the one definition the API, the admin and the pages all use.

Roles (DESIGN.md, "Who may do what"):

- The site permission ``courses.add_course`` (granted by a superuser in the admin, or with
  ``manage.py grant_course_creator``) lets a user create courses; the creator becomes the
  course's instructor. Signing up never grants it.
- In a course, from the user's *active* enrollment: **instructor** (everything in the course:
  content, cases, exams, roster, grades), **assistant** (sees everything, hidden-case results
  included; grades, rejudges, grants extra time, moderates discussions; does not edit content,
  cases or exams) and **student**. "Staff" of a course means its instructors and assistants.
- Superusers can do everything everywhere.

Visibility: a course is visible to everyone when published, and to its members (and
superusers) always. Lookups below raise ``NotFound`` for an object the user may not know exists
(absent, draft, another student's), ``NotEnrolled`` for a visible one that needs membership,
and ``Forbidden`` for a visible one whose action the user's role does not allow.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from courses.models import Course, Enrollment, Problem, Submission
from courses.selectors.enrollments import user_course_roles
from courses.selectors.submissions import (
    SHOWN_WITH,
    submission_with_results,
    with_exam_worth,
)
from courses.services.errors import Forbidden, NotEnrolled, NotFound

Role = Enrollment.Role
STAFF_ROLES = frozenset({Role.INSTRUCTOR.value, Role.ASSISTANT.value})
COURSE_CREATOR_PERMISSION = "courses.add_course"


# --- Roles -----------------------------------------------------------------------------------


def course_role(user, course_id: int, *, fresh: bool = False) -> str | None:
    """The user's role in the course from their active enrollment; ``None`` when not a member.

    Read from the cache; with ``fresh``, from the database, for services that admit work
    (starting an exam attempt, submitting in one), where a removal a moment ago must count and
    the read happens inside the writing transaction.
    """
    if not user.is_authenticated:
        return None
    if fresh:
        return (
            Enrollment.objects.filter(
                user_id=user.pk, course_id=course_id, status=Enrollment.Status.ACTIVE
            )
            .values_list("role", flat=True)
            .first()
        )
    return user_course_roles(user_id=user.pk).get(course_id)


def is_course_member(user, course_id: int, *, fresh: bool = False) -> bool:
    return user.is_authenticated and (
        user.is_superuser or course_role(user, course_id, fresh=fresh) is not None
    )


def is_course_staff(user, course_id: int) -> bool:
    """Instructor or assistant of the course (or a superuser)."""
    return user.is_authenticated and (
        user.is_superuser or course_role(user, course_id) in STAFF_ROLES
    )


def is_course_instructor(user, course_id: int) -> bool:
    """May edit the course's content, cases, exams and roster (or a superuser)."""
    return user.is_authenticated and (
        user.is_superuser or course_role(user, course_id) == Role.INSTRUCTOR
    )


def can_create_courses(user) -> bool:
    return user.is_authenticated and (user.is_superuser or user.has_perm(COURSE_CREATOR_PERMISSION))


def staffed_course_ids(user) -> set[int]:
    """The courses where the user is instructor or assistant."""
    if not user.is_authenticated:
        return set()
    return {c for c, role in user_course_roles(user_id=user.pk).items() if role in STAFF_ROLES}


def instructed_course_ids(user) -> set[int]:
    if not user.is_authenticated:
        return set()
    return {c for c, role in user_course_roles(user_id=user.pk).items() if role == Role.INSTRUCTOR}


# --- Courses ---------------------------------------------------------------------------------


def courses_visible_to(user) -> QuerySet[Course]:
    """Published courses, and those the user belongs to (every course for a superuser)."""
    if user.is_authenticated and user.is_superuser:
        return Course.objects.all()
    member_of = list(user_course_roles(user_id=user.pk)) if user.is_authenticated else []
    return Course.objects.filter(Q(is_published=True) | Q(pk__in=member_of))


def course_visible(*, user, course_id: int) -> Course:
    """A course the user may see; ``NotFound`` otherwise."""
    course = Course.objects.filter(pk=course_id).first()
    if course is None or not (course.is_published or is_course_member(user, course.pk)):
        raise NotFound("No such course.")
    return course


def course_for_member(*, user, course_id: int) -> Course:
    """A course the user is actively enrolled in; an unpublished one is not found for others."""
    course = course_visible(user=user, course_id=course_id)
    require_member(user=user, course_id=course.pk)
    return course


def course_for_staff(*, user, course_id: int, instructor_only: bool = False) -> Course:
    """A course the user teaches: instructor (with ``instructor_only``) or instructor/assistant."""
    course = course_visible(user=user, course_id=course_id)
    require_staff(user=user, course_id=course.pk, instructor_only=instructor_only)
    return course


def course_open_for_enrollment(*, course_id: int) -> Course:
    """A published course; drafts are not found."""
    course = Course.objects.filter(pk=course_id, is_published=True).first()
    if course is None:
        raise NotFound("No such course.")
    return course


def own_enrollment(*, user, course_id: int) -> Enrollment:
    """The user's enrollment (whatever its status) in a course they may see; ``NotFound``."""
    course = course_visible(user=user, course_id=course_id)
    enrollment = (
        Enrollment.objects.select_related("course").filter(user=user, course=course).first()
    )
    if enrollment is None:
        raise NotFound("You are not enrolled in this course.")
    return enrollment


def enrollment_for_staff(*, user, enrollment_id: int, instructor_only: bool = False) -> Enrollment:
    """An enrollment of a course the user teaches.

    Rosters are private: outside the course (absent enrollment, not a member) it is not found;
    a member whose role does not allow the action is ``Forbidden``.
    """
    enrollment = (
        Enrollment.objects.select_related("user", "course").filter(pk=enrollment_id).first()
    )
    if enrollment is None or not is_course_member(user, enrollment.course_id):
        raise NotFound("No such enrollment.")
    require_staff(user=user, course_id=enrollment.course_id, instructor_only=instructor_only)
    return enrollment


def require_member(*, user, course_id: int, fresh: bool = False) -> None:
    """``NotEnrolled`` unless the user is an active member (``fresh``: see ``course_role``)."""
    if not is_course_member(user, course_id, fresh=fresh):
        raise NotEnrolled(
            "You need to be enrolled in this course.", fields={"course": "not enrolled"}
        )


def require_staff(*, user, course_id: int, instructor_only: bool = False) -> None:
    allowed = is_course_instructor if instructor_only else is_course_staff
    if not allowed(user, course_id):
        who = "the course's instructors" if instructor_only else "the course's staff"
        raise Forbidden(f"Only {who} may do this.")


# --- Problems and submissions ----------------------------------------------------------------


def problem_for_staff(*, user, problem_id: int, instructor_only: bool = False) -> Problem:
    """Any problem (drafts, archived, exam-only) of a course the user teaches."""
    problem = Problem.objects.select_related("chapter__course").filter(pk=problem_id).first()
    if problem is None or not is_course_member(user, problem.chapter.course_id):
        raise NotFound("No such problem.")
    require_staff(user=user, course_id=problem.chapter.course_id, instructor_only=instructor_only)
    return problem


def problem_for_submission(*, user, problem_id: int) -> Problem:
    """A problem the user may read and submit practice solutions to.

    Visible, not archived, not exam-only (exam problems are read and submitted through an exam
    attempt), in a published course where the user is actively enrolled. The course's staff may
    also use their drafts, to try them before students do.
    """
    problem = Problem.objects.select_related("chapter__course").filter(pk=problem_id).first()
    if problem is None:
        raise NotFound("No such problem.")
    course_id = problem.chapter.course_id
    if is_course_staff(user, course_id):
        return problem
    if (
        not problem.is_visible
        or problem.is_archived
        or problem.is_exam_only
        or not problem.chapter.course.is_published
    ):
        raise NotFound("No such problem.")
    require_member(user=user, course_id=course_id)
    return problem


def submission_for_owner(*, user, submission_id: int) -> Submission:
    """One of the user's own submissions with its per-case results (and their test cases)."""
    try:  # ``get``, not ``first``: no ORDER BY to build on the poll students send every second
        submission = with_exam_worth(Submission.objects.select_related(*SHOWN_WITH)).get(
            pk=submission_id, user_id=user.pk
        )
    except Submission.DoesNotExist:
        raise NotFound("No such submission.") from None
    return submission_with_results(submission)
