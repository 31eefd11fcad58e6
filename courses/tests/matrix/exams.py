"""Rows of the exams area (E).

Columns: anonymous student other_student non_member assistant other_instructor instructor
superuser.

RoleWorld's ``exam`` is open with one attempt allowed; ``attempt`` is the student's, running,
with ``exam_only_problem`` in it. Attempts are their student's alone (anyone else: 404, staff
included); the staff endpoints answer a student 403 for their own attempt and 404 for another's.
Judging runs on commit, which the matrix never reaches, so a submission in the attempt is still
pending: 202.
"""

from courses.tests.api_support import ADD
from courses.tests.matrix import Row


def _attempt(w) -> dict:
    return {"attempt_id": w.attempt.pk}


def _attempt_problem(w) -> dict:
    return {"attempt_id": w.attempt.pk, "problem_id": w.exam_only_problem.pk}


ROWS = [
    Row(
        "exam-list",
        "GET",
        "403 200 200 403 200 403 200 200",
        kwargs=lambda w: {"course_id": w.course.pk},
    ),
    Row(
        "exam-detail",
        "GET",
        "403 200 200 403 200 403 200 200",
        kwargs=lambda w: {"exam_id": w.exam.pk},
    ),
    Row(
        "attempt-start",
        "POST",
        # The student's one allowed attempt is running: 409 attempt_already_running.
        "403 409 201 403 201 403 201 201",
        kwargs=lambda w: {"exam_id": w.exam.pk},
    ),
    Row("attempt-detail", "GET", "403 200 404 404 404 404 404 404", kwargs=_attempt),
    Row("attempt-problem", "GET", "403 200 404 404 404 404 404 404", kwargs=_attempt_problem),
    Row(
        "attempt-submission-create",
        "POST",
        "403 202 404 404 404 404 404 404",
        kwargs=_attempt_problem,
        body=lambda w: {"language": "python", "code": ADD},
    ),
    Row("attempt-finish", "POST", "403 200 404 404 404 404 404 404", kwargs=_attempt),
    Row(
        "attempt-results",
        "GET",
        # The exam's results are not released: 409 results_not_released for the owner.
        "403 409 404 404 404 404 404 404",
        kwargs=_attempt,
    ),
    Row(
        "staff-attempt-list",
        "GET",
        "403 403 403 404 200 404 200 200",
        kwargs=lambda w: {"exam_id": w.exam.pk},
    ),
    Row(
        "staff-attempt-extra-time",
        "POST",
        "403 403 404 404 200 404 200 200",
        kwargs=_attempt,
        body=lambda w: {"minutes": 15},
    ),
    Row(
        "staff-attempt-reopen",
        "POST",
        # The attempt is still running: 409 attempt_running once authorized.
        "403 403 404 404 409 404 409 409",
        kwargs=_attempt,
        body=lambda w: {"minutes": 30},
    ),
]
