"""Course structure reads."""

from __future__ import annotations

from courses.models import Problem


def problem_course_id(*, problem_id: int) -> int | None:
    """The course a problem belongs to (uncached: a problem may move between chapters)."""
    return (
        Problem.objects.filter(pk=problem_id).values_list("chapter__course_id", flat=True).first()
    )
