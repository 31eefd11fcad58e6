"""Rows of authoring (F): the staff's courses, chapters, problems, test data and exams.

Columns: anonymous student other_student non_member assistant other_instructor instructor
superuser. The course itself is found with ``course_for_staff`` (published, so visible: others
get 403); objects inside it follow ``problem_for_staff`` (non-members get 404, members without
the role 403). Assistants read and may ask for a validation; instructors write. Creating a
course needs ``courses.add_course``, which RoleWorld grants to both instructors.
"""

import io
import zipfile
from datetime import timedelta

from django.utils import timezone

from courses.services import judging_authoring
from courses.tests.matrix import Row

COURSE_READ = "403 403 403 403 200 403 200 200"
COURSE_WRITE = "403 403 403 403 403 403 200 200"
COURSE_CREATE = "403 403 403 403 403 403 201 201"
READ = "403 403 403 404 200 404 200 200"
WRITE = "403 403 403 404 403 404 200 200"
CREATE = "403 403 403 404 403 404 201 201"
DELETE = "403 403 403 404 403 404 204 204"
REFUSED = "403 403 403 404 403 404 409 409"


def cases_zip(world) -> tuple[bytes, str]:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("1.in", "[1, 2]")
        archive.writestr("1.out", "3")
    return buffer.getvalue(), "application/zip"


def empty_package(world) -> tuple[bytes, str]:
    return b"", "application/zip"


def all_case_orders(world) -> list[int]:
    return sorted(world.problem.test_cases.values_list("order", flat=True))


def new_subtask(world) -> dict:
    """A subtask holding every case of the problem (made inside the row's rolled-back request)."""
    subtask = judging_authoring.subtask_create(
        problem=world.problem, points=5, cases=all_case_orders(world)
    )
    return {"subtask_id": subtask.pk}


def first_case(world) -> dict:
    return {"case_id": world.problem.test_cases.order_by("order").first().pk}


def new_exam(world) -> dict:
    now = timezone.now()
    return {
        "title": "Midterm",
        "opens_at": now.isoformat(),
        "closes_at": (now + timedelta(days=1)).isoformat(),
        "duration_minutes": 60,
    }


def course(w) -> dict:
    return {"course_id": w.course.pk}


def chapter(w) -> dict:
    return {"chapter_id": w.chapter.pk}


def problem(w) -> dict:
    return {"problem_id": w.problem.pk}


def reference(w) -> dict:
    return {"reference_id": w.reference.pk}


def exam(w) -> dict:
    return {"exam_id": w.exam.pk}


def exam_problem(w) -> dict:
    return {"exam_problem_id": w.exam_problem.pk}


ROWS = [
    Row(
        "staff-course-list",
        "POST",
        "403 403 403 403 403 201 201 201",
        body=lambda w: {"title": "A new course", "slug": "a-new-course"},
    ),
    Row("staff-course-detail", "GET", COURSE_READ, kwargs=course),
    Row("staff-course-detail", "PATCH", COURSE_WRITE, kwargs=course, body=lambda w: {"title": "T"}),
    Row(
        "staff-course-detail",
        "DELETE",
        "403 403 403 403 403 403 409 409",
        kwargs=course,
        note="students' work: refused",
    ),
    Row("staff-chapter-list", "GET", COURSE_READ, kwargs=course),
    Row("staff-chapter-list", "POST", COURSE_CREATE, kwargs=course, body=lambda w: {"title": "C"}),
    Row("staff-chapter-detail", "GET", READ, kwargs=chapter),
    Row("staff-chapter-detail", "PATCH", WRITE, kwargs=chapter, body=lambda w: {"title": "C"}),
    Row("staff-chapter-detail", "DELETE", REFUSED, kwargs=chapter, note="has submissions"),
    Row("staff-problem-list", "GET", READ, kwargs=chapter),
    Row("staff-problem-list", "POST", CREATE, kwargs=chapter, body=lambda w: {"title": "P"}),
    Row("staff-problem-detail", "GET", READ, kwargs=problem),
    Row("staff-problem-detail", "PATCH", WRITE, kwargs=problem, body=lambda w: {"points": 50}),
    Row("staff-problem-detail", "DELETE", REFUSED, kwargs=problem, note="has submissions"),
    Row(
        "staff-problem-detail",
        "DELETE",
        DELETE,
        kwargs=lambda w: {"problem_id": w.draft_problem.pk},
        note="a draft without submissions",
    ),
    Row("staff-case-list", "GET", READ, kwargs=problem),
    Row(
        "staff-case-list",
        "POST",
        CREATE,
        kwargs=problem,
        body=lambda w: {"input": "[2, 2]", "expected_output": "4"},
    ),
    Row("staff-case-detail", "GET", READ, kwargs=first_case),
    Row("staff-case-detail", "PATCH", WRITE, kwargs=first_case, body=lambda w: {"weight": 2}),
    Row("staff-case-detail", "DELETE", DELETE, kwargs=first_case),
    Row(
        "staff-case-archive",
        "POST",
        CREATE,
        kwargs=problem,
        upload=cases_zip,
        query={"mode": "append"},
    ),
    Row("staff-reference-list", "GET", READ, kwargs=problem),
    Row(
        "staff-reference-list",
        "POST",
        CREATE,
        kwargs=problem,
        body=lambda w: {"language": "javascript", "code": "function solve(a, b) { return a + b; }"},
    ),
    Row("staff-reference-detail", "GET", READ, kwargs=reference),
    Row(
        "staff-reference-detail",
        "PATCH",
        WRITE,
        kwargs=reference,
        body=lambda w: {"code": "def solve(a, b):\n    return b + a\n"},
    ),
    Row("staff-reference-detail", "DELETE", DELETE, kwargs=reference),
    # Staff, assistants included; 202: the matrix never commits, so the validation is pending.
    Row("staff-problem-validate", "POST", "403 403 403 404 202 404 202 202", kwargs=problem),
    # Subtasks and tests written as code (issue 14): staff read, instructors write.
    Row("staff-subtask-list", "GET", READ, kwargs=problem),
    Row(
        "staff-subtask-list",
        "POST",
        CREATE,
        kwargs=problem,
        body=lambda w: {"points": 5, "cases": all_case_orders(w)},
    ),
    Row("staff-subtask-detail", "GET", READ, kwargs=new_subtask),
    Row("staff-subtask-detail", "PATCH", WRITE, kwargs=new_subtask, body=lambda w: {"points": 7}),
    Row("staff-subtask-detail", "DELETE", DELETE, kwargs=new_subtask),
    Row(
        "staff-test-code",
        "POST",
        WRITE,
        kwargs=problem,
        body=lambda w: {"code": "assert solve(1, 2) == 3  # sample\n", "preview": True},
        note="preview",
    ),
    # Packages: staff export; importing needs add_course (a course) or the chapter's instructor.
    # The imports send an empty body: who may import is decided before the package is read, so
    # the allowed get 400 invalid_package (the package's own checks: test_packages_api.py).
    Row("staff-course-package", "GET", COURSE_READ, kwargs=course),
    Row("staff-problem-package", "GET", READ, kwargs=problem),
    Row(
        "staff-course-import",
        "POST",
        "403 403 403 403 403 400 400 400",
        upload=empty_package,
        note="empty body",
    ),
    Row(
        "staff-problem-import",
        "POST",
        "403 403 403 404 403 404 400 400",
        kwargs=chapter,
        upload=empty_package,
        note="empty body",
    ),
    Row(
        "staff-dmoj-import",
        "POST",
        "403 403 403 404 403 404 400 400",
        kwargs=chapter,
        upload=empty_package,
        query={"title": "Imported"},
        note="empty body",
    ),
    Row("staff-exam-list", "GET", COURSE_READ, kwargs=course),
    Row("staff-exam-list", "POST", COURSE_CREATE, kwargs=course, body=new_exam),
    Row("staff-exam-detail", "GET", READ, kwargs=exam),
    Row("staff-exam-detail", "PATCH", WRITE, kwargs=exam, body=lambda w: {"max_attempts": 3}),
    Row("staff-exam-detail", "DELETE", REFUSED, kwargs=exam, note="has attempts"),
    Row("staff-exam-problem-list", "GET", READ, kwargs=exam),
    Row(
        "staff-exam-problem-list",
        "POST",
        CREATE,
        kwargs=exam,
        body=lambda w: {"problem": w.problem.pk},
    ),
    Row(
        "staff-exam-problem-detail",
        "PATCH",
        WRITE,
        kwargs=exam_problem,
        body=lambda w: {"score": "2.5"},
    ),
    Row("staff-exam-problem-detail", "DELETE", DELETE, kwargs=exam_problem),
]
