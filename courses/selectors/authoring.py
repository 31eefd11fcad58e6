"""Staff reads of course content: lookups that apply the access policy, and lists for authoring.

The rules are ``courses.selectors.access``'s. A course's staff endpoints find the course with
``course_for_staff`` (a published course is visible, so others get 403). Objects *inside* a
course (chapters, problems, cases, reference solutions, exams, exam problems) follow
``problem_for_staff``: whoever is not a member of the course gets 404 (drafts and hidden data
must not be probed by id), a member without the role gets 403 ``permission_denied``, and with
``instructor_only`` an assistant does too (assistants read, instructors write).
"""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from courses.models import (
    Chapter,
    Exam,
    ExamProblem,
    Problem,
    ProblemTestCase,
    ReferenceSolution,
    Subtask,
)
from courses.selectors.access import (
    can_create_courses,
    instructed_course_ids,
    is_course_member,
    problem_for_staff,
    require_staff,
)
from courses.selectors.courses import practice
from courses.services.errors import Forbidden, NotFound


def require_course_creator(*, user) -> None:
    """The site permission ``courses.add_course`` (or a superuser); ``Forbidden`` otherwise."""
    if not can_create_courses(user):
        raise Forbidden("Creating courses needs the course-creator permission.")


def _require_course_staff(*, user, course_id: int, instructor_only: bool, missing: str) -> None:
    if not is_course_member(user, course_id):
        raise NotFound(missing)
    require_staff(user=user, course_id=course_id, instructor_only=instructor_only)


def chapter_for_staff(*, user, chapter_id: int, instructor_only: bool = False) -> Chapter:
    chapter = Chapter.objects.select_related("course").filter(pk=chapter_id).first()
    if chapter is None:
        raise NotFound("No such chapter.")
    _require_course_staff(
        user=user,
        course_id=chapter.course_id,
        instructor_only=instructor_only,
        missing="No such chapter.",
    )
    return chapter


def case_for_staff(*, user, case_id: int, instructor_only: bool = False) -> ProblemTestCase:
    case = (
        ProblemTestCase.objects.select_related("problem__chapter__course")
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise NotFound("No such test case.")
    _require_course_staff(
        user=user,
        course_id=case.problem.chapter.course_id,
        instructor_only=instructor_only,
        missing="No such test case.",
    )
    return case


def reference_solution_for_staff(
    *, user, reference_id: int, instructor_only: bool = False
) -> ReferenceSolution:
    reference = (
        ReferenceSolution.objects.select_related("problem__chapter__course")
        .filter(pk=reference_id)
        .first()
    )
    if reference is None:
        raise NotFound("No such reference solution.")
    _require_course_staff(
        user=user,
        course_id=reference.problem.chapter.course_id,
        instructor_only=instructor_only,
        missing="No such reference solution.",
    )
    return reference


def exam_for_staff(*, user, exam_id: int, instructor_only: bool = False) -> Exam:
    exam = Exam.objects.select_related("course").filter(pk=exam_id).first()
    if exam is None:
        raise NotFound("No such exam.")
    _require_course_staff(
        user=user,
        course_id=exam.course_id,
        instructor_only=instructor_only,
        missing="No such exam.",
    )
    return exam


def exam_problem_for_staff(
    *, user, exam_problem_id: int, instructor_only: bool = False
) -> ExamProblem:
    row = (
        ExamProblem.objects.select_related("exam__course", "problem")
        .filter(pk=exam_problem_id)
        .first()
    )
    if row is None:
        raise NotFound("No such exam problem.")
    _require_course_staff(
        user=user,
        course_id=row.exam.course_id,
        instructor_only=instructor_only,
        missing="No such exam problem.",
    )
    return row


def problem_detail_for_staff(*, user, problem_id: int) -> Problem:
    """A problem with everything: every case, and reference solutions with their validation."""
    problem = problem_for_staff(user=user, problem_id=problem_id)
    return problem_with_test_data(problem_id=problem.pk)


def problem_with_test_data(*, problem_id: int) -> Problem:
    return (
        Problem.objects.select_related("chapter__course")
        .prefetch_related(
            Prefetch("test_cases", queryset=ProblemTestCase.objects.order_by("order", "id")),
            Prefetch(
                "reference_solutions", queryset=ReferenceSolution.objects.order_by("language")
            ),
        )
        .annotate(
            case_count=Count("test_cases", distinct=True),
            sample_count=Count("test_cases", filter=Q(test_cases__is_sample=True), distinct=True),
        )
        .get(pk=problem_id)
    )


# --- Lists (one query per page, whatever its length) ------------------------------------------


def course_chapters(*, course_id: int) -> QuerySet[Chapter]:
    return (
        Chapter.objects.filter(course_id=course_id)
        .annotate(problem_count=Count("problems"))
        .order_by("order", "id")
    )


def chapter_problems(*, chapter_id: int) -> QuerySet[Problem]:
    return (
        Problem.objects.filter(chapter_id=chapter_id)
        .annotate(
            case_count=Count("test_cases", distinct=True),
            sample_count=Count("test_cases", filter=Q(test_cases__is_sample=True), distinct=True),
        )
        .order_by("order", "id")
    )


def problem_test_cases(*, problem_id: int) -> QuerySet[ProblemTestCase]:
    return ProblemTestCase.objects.filter(problem_id=problem_id).order_by("order", "id")


def problem_subtasks(*, problem_id: int) -> QuerySet[Subtask]:
    """With what the staff list shows of each (its cases' orders, its dependencies) prefetched."""
    return (
        Subtask.objects.filter(problem_id=problem_id)
        .prefetch_related(
            "depends_on", Prefetch("test_cases", ProblemTestCase.objects.only("subtask", "order"))
        )
        .order_by("order", "id")
    )


def problem_reference_solutions(*, problem_id: int) -> QuerySet[ReferenceSolution]:
    return ReferenceSolution.objects.filter(problem_id=problem_id).order_by("language", "id")


def exams_with_counts() -> QuerySet[Exam]:
    return Exam.objects.annotate(
        problem_count=Count("exam_problems", distinct=True),
        attempt_count=Count("attempts", distinct=True),
    )


def staff_course_exams(*, course_id: int) -> QuerySet[Exam]:
    return exams_with_counts().filter(course_id=course_id).order_by("opens_at", "id")


def exam_problems(*, exam_id: int) -> QuerySet[ExamProblem]:
    return (
        ExamProblem.objects.filter(exam_id=exam_id)
        .select_related("problem")
        .order_by("order", "id")
    )


def exam_practice_problems(*, exam_id: int) -> list[Problem]:
    """The exam's problems that students may also practise (visible, not archived, not
    exam-only), in the exam's order: during the exam they can submit them outside it, with
    full feedback, whatever the exam's feedback rule (docs/decisions.md)."""
    return list(
        Problem.objects.filter(practice(), exam_problems__exam_id=exam_id).order_by(
            "exam_problems__order", "exam_problems__id"
        )
    )


def instructed_course_scope(user) -> set[int] | None:
    """Ids of the courses whose content ``user`` may edit; ``None`` means every course.

    The admin's scope, from the one access policy: a superuser edits everything, anyone else
    the courses where they are an active instructor (``access.instructed_course_ids``).
    """
    if user.is_authenticated and user.is_superuser:
        return None
    return instructed_course_ids(user)
