"""Rows of the catalogue (area B): courses, my courses, a course's outline and progress, a
problem. The catalogue reads ``courses/`` and ``courses/{id}/`` are public.

Columns: anonymous student other_student non_member assistant other_instructor instructor
superuser.
"""

from courses.tests.matrix import Row

ROWS = [
    Row("course-list", "GET", "200 200 200 200 200 200 200 200"),
    Row("course-list", "GET", "200 200 200 200 200 200 200 200", query={"q": "Draft"}, note="q"),
    Row("my-course-list", "GET", "403 200 200 200 200 200 200 200"),
    Row(
        "course-detail",
        "GET",
        "200 200 200 200 200 200 200 200",
        kwargs=lambda w: {"course_id": w.course.pk},
    ),
    Row(
        "course-detail",
        "GET",
        "404 200 404 404 404 404 200 200",
        kwargs=lambda w: {"course_id": w.draft_course.pk},
        note="unpublished course: its members and superusers only",
    ),
    Row(
        "course-progress",
        "GET",
        "403 200 200 403 200 403 200 200",
        kwargs=lambda w: {"course_id": w.course.pk},
    ),
    Row(
        "course-progress",
        "GET",
        "403 200 404 404 404 404 200 200",
        kwargs=lambda w: {"course_id": w.draft_course.pk},
        note="unpublished course",
    ),
    Row(
        "problem-detail",
        "GET",
        "403 200 200 403 200 403 200 200",
        kwargs=lambda w: {"problem_id": w.problem.pk},
    ),
    Row(
        "problem-detail",
        "GET",
        "403 404 404 404 200 404 200 200",
        kwargs=lambda w: {"problem_id": w.draft_problem.pk},
        note="draft problem: the course's staff only",
    ),
    Row(
        "problem-detail",
        "GET",
        "403 404 404 404 200 404 200 200",
        kwargs=lambda w: {"problem_id": w.exam_only_problem.pk},
        note="exam-only problem: read through an exam attempt",
    ),
    Row(
        "problem-detail",
        "GET",
        "403 404 404 404 404 404 200 200",
        kwargs=lambda w: {"problem_id": w.draft_course_problem.pk},
        note="problem of an unpublished course: opens to students when it is published",
    ),
]
