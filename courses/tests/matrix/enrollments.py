"""Rows of the enrollment area: mine (``courses/<id>/enrollment/``) and the staff's.

Columns: anonymous student other_student non_member assistant other_instructor instructor
superuser. RoleWorld's only instructor cannot drop (409 ``last_instructor``); the superuser
and other_instructor are not enrolled in the course (their enrollment is not found, and they
may join it). Rosters are private: a staff enrollment is not found outside its course.
"""

from courses.tests.matrix import Row


def _course(world) -> dict:
    return {"course_id": world.course.pk}


ROWS = [
    Row("course-enrollment", "GET", "403 200 200 404 200 404 200 404", kwargs=_course),
    Row("course-enrollment", "POST", "403 409 409 201 409 201 409 201", kwargs=_course),
    Row("course-enrollment", "DELETE", "403 204 204 404 204 404 409 404", kwargs=_course),
    Row("staff-enrollment-list", "GET", "403 403 403 403 200 403 200 200", kwargs=_course),
    Row(
        "staff-enrollment-detail",
        "PATCH",
        "403 403 403 404 403 404 200 200",
        kwargs=lambda w: {"enrollment_id": w.enrollment.pk},
        body=lambda w: {"role": "assistant"},
    ),
    Row(
        "staff-enrollment-import",
        "POST",
        "403 403 403 403 403 403 200 200",
        kwargs=_course,
        upload=lambda w: (f"username\n{w.users['non_member'].username}\n".encode(), "text/csv"),
    ),
]
