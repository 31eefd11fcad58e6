"""Rows of the endpoints that predate API v1's areas (to be moved into their area modules).

Columns: anonymous student other_student non_member assistant other_instructor instructor
superuser.
"""

from courses.tests.matrix import Row

ROWS = [
    Row("schema", "GET", "200 200 200 200 200 200 200 200"),
    Row("docs", "GET", "200 200 200 200 200 200 200 200"),
    Row(
        "enrollment-create",
        "POST",
        "403 409 409 201 409 201 409 201",
        kwargs=lambda w: {"course_id": w.course.pk},
    ),
]
