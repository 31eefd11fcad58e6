"""What members and visitors read of a course: its detail with their standings, a problem."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from courses.models import Chapter, Course, Enrollment, Problem
from courses.selectors.access import (
    course_role,
    is_course_member,
    is_course_staff,
    problem_for_submission,
)
from courses.selectors.courses import SampleCase, problem_samples
from courses.selectors.outline import member_standings, visible_outline
from courses.selectors.progress import ProgressTotals, course_progress_totals
from courses.selectors.standings import ProblemStanding, standings_of, with_standings


@dataclass(frozen=True)
class CourseDetail:
    course: Course
    #: The user's active role, ``None`` for anyone else (superusers included).
    role: str | None
    #: The course's staff see every problem, with its flags.
    is_staff: bool
    #: Each with ``outline_problems``, each of those with ``my_standing``: the user's standing
    #: for members (superusers included), ``None`` for anyone else.
    chapters: list[Chapter]


def course_detail(*, user, course_id: int) -> CourseDetail:
    """A course the user may see (``course_visible``: 404 otherwise) with its outline.

    Students and visitors see practice problems only; the course's staff every problem. A
    member's standing on each problem comes with it. Read through the cache
    (``selectors.outline``): at most three queries on a cold cache, none once warm, whatever
    the course's size.
    """
    outline = visible_outline(user=user, course_id=course_id)
    course = outline.course
    is_staff = is_course_staff(user, course.pk)
    is_member = is_course_member(user, course.pk)
    chapters = outline.chapters(all_problems=is_staff)
    standings = member_standings(user_id=user.pk, course_id=course.pk) if is_member else None
    for chapter in chapters:
        for problem in chapter.outline_problems:
            problem.my_standing = standings[problem.pk] if standings is not None else None
    return CourseDetail(course, course_role(user, course.pk), is_staff, chapters)


@dataclass(frozen=True)
class MemberCourse:
    enrollment: Enrollment
    progress: ProgressTotals


def member_courses_progress(*, user, enrollments: Sequence[Enrollment]) -> list[MemberCourse]:
    """The user's enrollments (a page of ``member_enrollments``) with their progress in each,
    in a number of queries that does not grow with the page."""
    totals = course_progress_totals(user_id=user.pk, course_ids=[e.course_id for e in enrollments])
    return [MemberCourse(e, totals[e.course_id]) for e in enrollments]


@dataclass(frozen=True)
class ProblemDetail:
    problem: Problem
    samples: list[SampleCase]
    hidden_case_count: int
    standing: ProblemStanding


def problem_detail(*, user, problem_id: int) -> ProblemDetail:
    """A problem the user may practise (``problem_for_submission``), with its sample cases and
    the user's standing. Nothing of a hidden case but how many there are."""
    problem = problem_for_submission(user=user, problem_id=problem_id)
    samples, hidden = problem_samples(problem=problem)
    mine = with_standings(
        Problem.objects.filter(pk=problem.pk).only("id", "points"), user_id=user.pk
    )
    standing = standings_of(list(mine), user_id=user.pk)[problem.pk]
    return ProblemDetail(problem, samples, hidden, standing)
