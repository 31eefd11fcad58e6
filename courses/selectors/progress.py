"""Progress reads (DESIGN.md, "Cache"): one user's entry for one problem, and in a course.

Each cached read returns a small frozen value (never a model instance: pickled instances drag
their whole state along and break across schema changes) and stores it under a key from
``courses.cache``. The signals in ``courses.signals`` invalidate those keys after commit.
A cache that is down or confused makes these reads go to the database; they never fail for it.

What counts in a course (docs/decisions.md, "API: catalogue"): its *practice* problems
(visible, not archived, not exam-only: ``selectors.courses.practice``), each with the user's
standing on it (``selectors.standings``: late policy applied).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import F

from courses import cache
from courses.models import Chapter, Course, Problem, ProblemProgress
from courses.selectors.courses import practice
from courses.selectors.outline import cached_outline, member_standings
from courses.selectors.standings import CENTS, ZERO, ProblemStanding, standings_of, with_standings

Status = ProblemProgress.Status


@dataclass(frozen=True)
class ProgressEntry:
    """One user's progress on one problem; ``not_started`` when there is no row yet."""

    status: str
    attempts: int
    best_score: Decimal
    first_solved_at: datetime | None
    last_submitted_at: datetime | None


NOT_STARTED = ProgressEntry(Status.NOT_STARTED.value, 0, Decimal("0"), None, None)


@dataclass(frozen=True)
class ProgressSummary:
    """A user's progress in a course, over its practice problems.

    ``attempted`` counts problems with at least one judged attempt, solved ones included;
    ``total_points`` is the sum of each problem's counted share × its points (late policy
    applied). ``course_version`` is the course content version it was built under
    (``cache.course_content_version_key``): not part of the value, so not compared.
    """

    solved: int
    attempted: int
    total_points: Decimal
    course_version: int | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class ProgressTotals:
    """Counts and points over a set of problems (a chapter, a course)."""

    solved: int
    attempted: int
    total: int
    points_earned: Decimal
    points_possible: Decimal

    @classmethod
    def of(cls, results: Iterable[tuple[int, ProblemStanding]]) -> ProgressTotals:
        """From ``(problem points, standing)`` pairs."""
        solved = attempted = total = 0
        earned = possible = ZERO
        for points, standing in results:
            total += 1
            solved += standing.status == Status.SOLVED
            attempted += standing.attempts > 0
            earned += standing.points
            possible += points
        return cls(solved, attempted, total, earned.quantize(CENTS), possible.quantize(CENTS))


def progress_get(*, user_id: int, problem_id: int) -> ProgressEntry:
    def compute() -> ProgressEntry:
        row = (
            ProblemProgress.objects.filter(user_id=user_id, problem_id=problem_id)
            .values_list("status", "attempts", "best_score", "first_solved_at", "last_submitted_at")
            .first()
        )
        return ProgressEntry(str(row[0]), *row[1:]) if row else NOT_STARTED

    return cache.read_through(cache.progress_key(user_id, problem_id), ProgressEntry, compute)


@dataclass(frozen=True)
class ProblemStandingRow:
    problem: Problem
    standing: ProblemStanding


@dataclass(frozen=True)
class ChapterProgress:
    chapter: Chapter
    totals: ProgressTotals
    #: In the chapter's order.
    problems: list[ProblemStandingRow]


@dataclass(frozen=True)
class CourseProgress:
    course: Course
    totals: ProgressTotals
    chapters: list[ChapterProgress]


def course_progress(*, user_id: int, course: Course) -> CourseProgress:
    """The user's progress in the course, per chapter and per practice problem.

    From the cached outline and the user's cached standings (``selectors.outline``), so it
    always agrees with the course page: two queries on a cold cache, none once warm.
    """
    outline = cached_outline(course_id=course.pk)
    chapters = outline.chapters(all_problems=False) if outline is not None else []
    standings = member_standings(user_id=user_id, course_id=course.pk)
    rows = [
        ChapterProgress(
            chapter=chapter,
            totals=ProgressTotals.of((p.points, standings[p.pk]) for p in chapter.outline_problems),
            problems=[ProblemStandingRow(p, standings[p.pk]) for p in chapter.outline_problems],
        )
        for chapter in chapters
    ]
    totals = ProgressTotals.of(
        (result.problem.points, result.standing) for row in rows for result in row.problems
    )
    return CourseProgress(course=course, totals=totals, chapters=rows)


def course_progress_summary(*, user_id: int, course_id: int) -> ProgressSummary:
    """The user's cached summary in the course (zeros for an unknown course).

    Cached under the user's summary version (bumped when their progress changes) and checked
    against the course's content version (bumped when its late policy or problems change): a
    summary built before either changed is a miss. A miss costs one query (two when the user
    has late submissions in the course).
    """

    def compute(course_version: int | None) -> ProgressSummary:
        totals = course_progress_totals(user_id=user_id, course_ids=[course_id])[course_id]
        return ProgressSummary(
            totals.solved, totals.attempted, totals.points_earned, course_version=course_version
        )

    version = cache.current_version(cache.progress_summary_version_key(user_id, course_id))
    if version is None:
        return compute(None)
    course_version = cache.current_version(cache.course_content_version_key(course_id))
    if course_version is None:
        return compute(None)
    key = cache.progress_summary_key(user_id, course_id, version)
    summary = cache.safe_get(key, ProgressSummary)
    if summary is None or summary.course_version != course_version:
        summary = compute(course_version)
        cache.safe_set(key, summary, cache.entry_timeout())
    return summary


def course_progress_totals(*, user_id: int, course_ids: Iterable[int]) -> dict[int, ProgressTotals]:
    """``{course_id: totals}`` of the user over each course's practice problems, in one query
    (two with late submissions) however many courses."""
    course_ids = list(course_ids)
    problems = list(
        with_standings(
            Problem.objects.filter(practice(), chapter__course_id__in=course_ids)
            .order_by()
            .only("id", "points"),
            user_id=user_id,
        ).annotate(outline_course_id=F("chapter__course_id"))
    )
    standings = standings_of(problems, user_id=user_id)
    per_course: dict[int, list[tuple[int, ProblemStanding]]] = {pk: [] for pk in course_ids}
    for problem in problems:
        per_course[problem.outline_course_id].append((problem.points, standings[problem.pk]))
    return {pk: ProgressTotals.of(pairs) for pk, pairs in per_course.items()}
