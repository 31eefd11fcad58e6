"""Rows of the endpoints that predate API v1's areas (to be moved into their area modules).

Columns: anonymous student other_student non_member assistant other_instructor instructor
superuser.
"""

from courses.tests.api_support import ADD
from courses.tests.matrix import Row

ROWS = [
    Row("schema", "GET", "200 200 200 200 200 200 200 200"),
    Row("docs", "GET", "200 200 200 200 200 200 200 200"),
    Row(
        "submission-create",
        "POST",
        "403 201 201 403 201 403 201 201",
        kwargs=lambda w: {"problem_id": w.problem.pk},
        body=lambda w: {"language": "python", "code": ADD},
    ),
    Row(
        "submission-detail",
        "GET",
        "403 200 404 404 404 404 404 404",
        kwargs=lambda w: {"submission_id": w.submission.pk},
    ),
    Row("code-run", "POST", "403 200 200 200 200 200 200 200", body=lambda w: {"code": "print(1)"}),
    Row(
        "course-progress",
        "GET",
        "403 200 200 403 200 403 200 200",
        kwargs=lambda w: {"course_id": w.course.pk},
    ),
    Row(
        "thread-reply-create",
        "POST",
        "403 201 201 403 201 403 201 201",
        kwargs=lambda w: {"thread_id": w.thread.pk},
        body=lambda w: {"body": "A reply."},
    ),
]
