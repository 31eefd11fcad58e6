"""Rows of the grading endpoints (the course's staff: instructors and assistants).

Columns: anonymous student other_student non_member assistant other_instructor instructor
superuser.

A course-level staff endpoint of a published course is 403 for everyone but its staff. A
submission is not found for whoever may not know it exists; its author is refused (403). A
problem's staff endpoints follow ``problem_for_staff``: not found outside the course.
"""

from courses.tests.matrix import Row


def course(w):
    return {"course_id": w.course.pk}


ROWS = [
    Row("staff-submission-list", "GET", "403 403 403 403 200 403 200 200", kwargs=course),
    Row(
        "staff-submission-detail",
        "GET",
        "403 403 404 404 200 404 200 200",
        kwargs=lambda w: {"submission_id": w.submission.pk},
    ),
    Row(
        "staff-submission-detail",
        "GET",
        "403 403 404 404 200 404 200 200",
        kwargs=lambda w: {"submission_id": w.exam_submission.pk},
        note="a submission made in an exam attempt",
    ),
    Row(
        "staff-submission-rejudge",
        "POST",
        "403 403 404 404 202 404 202 202",
        kwargs=lambda w: {"submission_id": w.submission.pk},
    ),
    Row(
        "staff-problem-rejudge",
        "POST",
        "403 403 403 404 202 404 202 202",
        kwargs=lambda w: {"problem_id": w.problem.pk},
    ),
    Row(
        "staff-course-rejudge",
        "POST",
        "403 403 403 403 202 403 202 202",
        kwargs=course,
        body=lambda w: {"all": True},
    ),
    Row("staff-gradebook", "GET", "403 403 403 403 200 403 200 200", kwargs=course),
    Row("staff-gradebook-csv", "GET", "403 403 403 403 200 403 200 200", kwargs=course),
]
