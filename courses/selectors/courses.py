"""Course structure reads: the catalogue, a course's outline, a problem's public parts."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import CharField, Count, OuterRef, Q, QuerySet, Subquery, Value

from courses.models import Chapter, Course, Enrollment, Problem, ProblemTestCase
from courses.selectors.access import courses_visible_to


def practice(prefix: str = "") -> Q:
    """The problems students practise, and progress counts: visible, not archived, not exam-only.

    ``prefix`` is the path to the problem from the model filtered (``"chapters__problems__"``).
    """
    flags = {"is_visible": True, "is_archived": False, "is_exam_only": False}
    return Q(**{f"{prefix}{name}": value for name, value in flags.items()})


def problem_course_id(*, problem_id: int) -> int | None:
    """The course a problem belongs to (uncached: a problem may move between chapters)."""
    return (
        Problem.objects.filter(pk=problem_id).values_list("chapter__course_id", flat=True).first()
    )


def course_catalogue(*, user, q: str = "") -> QuerySet[Course]:
    """The courses the user may see (``courses_visible_to``) by title, with ``problem_count`` and
    ``my_role`` (the user's active role, or ``None``), in one query.

    ``problem_count`` counts practice problems only (``practice``), whoever asks: what a
    student of the course will find in it. ``q`` filters on the title, case-insensitively.
    """
    courses = courses_visible_to(user)
    if q:
        courses = courses.filter(title__icontains=q)
    if user.is_authenticated:
        my_role = Subquery(
            Enrollment.objects.filter(
                course_id=OuterRef("pk"), user_id=user.pk, status=Enrollment.Status.ACTIVE
            ).values("role")[:1]
        )
    else:
        my_role = Value(None, output_field=CharField())
    return courses.annotate(
        problem_count=Count(
            "chapters__problems", filter=practice("chapters__problems__"), distinct=True
        ),
        my_role=my_role,
    ).order_by("title", "id")


def member_enrollments(*, user) -> QuerySet[Enrollment]:
    """The user's active enrollments with their courses, by course title."""
    return (
        Enrollment.objects.filter(user_id=user.pk, status=Enrollment.Status.ACTIVE)
        .select_related("course")
        .order_by("course__title", "course_id")
    )


@dataclass(frozen=True)
class SampleCase:
    order: int
    input: str
    expected_output: str


def problem_samples(*, problem: Problem) -> tuple[list[SampleCase], int]:
    """The problem's sample cases in order, and how many hidden cases it has.

    Hidden cases are counted in the database: their inputs and outputs are never loaded here.
    """
    samples = [
        SampleCase(*row)
        for row in ProblemTestCase.objects.filter(problem=problem, is_sample=True)
        .order_by("order", "id")
        .values_list("order", "input", "expected_output")
    ]
    hidden = ProblemTestCase.objects.filter(problem=problem, is_sample=False).count()
    return samples, hidden


def problem_first_sample_input(*, problem_id: int) -> str | None:
    """The input of the problem's first sample case (in order), or ``None`` without samples."""
    return (
        ProblemTestCase.objects.filter(problem_id=problem_id, is_sample=True)
        .order_by("order", "id")
        .values_list("input", flat=True)
        .first()
    )


def content_course_ids(instance: Chapter | Problem) -> set[int]:
    """The courses a chapter or problem belongs to before and after a save (a move changes two).

    One query; read before the save (``pre_save``), when the row still says where it was.
    """
    if isinstance(instance, Chapter):
        before = set()
        if instance.pk is not None:
            before = set(Chapter.objects.filter(pk=instance.pk).values_list("course_id", flat=True))
        return before | {instance.course_id}
    where = Q(pk=instance.chapter_id)
    if instance.pk is not None:
        where |= Q(problems__pk=instance.pk)
    return set(Chapter.objects.filter(where).values_list("course_id", flat=True).distinct())
