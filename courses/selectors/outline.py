"""A course's outline, a member's standings in it and its exams, read through the cache.

The course page, the course API and the progress reads show the same things: the course's row,
its chapters and problems in order, a member's standing on each problem, and (the page) the
course's exams. Read from the database they cost five to nine queries on every view, whatever
the course's size; here each is one cache entry, built by one query on a miss
(``bench/progress_read.py``; pinned by ``courses/tests/test_read_queries.py``):

- the **outline** — the course's row, its chapters, and each problem's outline fields (chapters
  LEFT JOIN problems, the course joined; one more query only for a course without chapters) —
  under the course's content version (``cache.course_content_version_key``, bumped by any save or
  deletion of the course, a chapter or a problem, and by bulk changes of problems). A miss also
  stores the course's row alone (``cached_course``), for reads that need only the row.
- a member's **standings** — their progress rows in the course with their best judged score per
  number of days late, grouped in the database — under their summary version (bumped whenever
  their progress in the course changes: every judging saves the row) and checked against the
  content version (the late policy, the points), exactly as ``course_progress_summary`` is.
- the course's **exams** as the page lists them, under ``cache.course_exams_version_key``
  (bumped by any save or deletion of one of its exams). When a member's roles are not cached
  either, one query loads both (``member_exam_list``).

Entries hold plain tuples, never model instances (DESIGN.md, "Cache"); each read builds fresh
instances from them with ``Model.from_db`` (fields outside the outline are deferred: reading one
costs a query, as after ``.only()``), which callers may annotate freely. A cache that is down
makes each read go to the database, as before.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import DEFAULT_DB_ALIAS
from django.db.models import FilteredRelation, Max, Q

from courses import cache
from courses.models import Chapter, Course, Enrollment, Exam, Problem
from courses.selectors.access import is_course_member, require_member
from courses.selectors.enrollments import UserRoles, user_course_roles
from courses.selectors.standings import NO_STANDING, ProblemStanding, standing_from
from courses.services.errors import NotFound
from courses.services.progress import COUNTED_VERDICTS


def _attnames(model, wanted: tuple[str, ...] | None = None) -> tuple[str, ...]:
    """Concrete field names in the model's order (what ``Model.from_db`` expects)."""
    return tuple(
        f.attname for f in model._meta.concrete_fields if wanted is None or f.attname in wanted
    )


COURSE_FIELDS = _attnames(Course)
CHAPTER_FIELDS = _attnames(Chapter)
#: What the outline shows of a problem (the page, the course API, the progress).
OUTLINE_PROBLEM = ("id", "chapter_id", "title", "order", "points", "due_at")
PROBLEM_FIELDS = _attnames(Problem, (*OUTLINE_PROBLEM, "is_visible", "is_archived", "is_exam_only"))
EXAM_FIELDS = _attnames(Exam)


@dataclass(frozen=True)
class OutlineRows:
    course: tuple
    #: In order; each in ``CHAPTER_FIELDS`` order.
    chapters: tuple[tuple, ...]
    #: In the order of their chapters, then their own; each in ``PROBLEM_FIELDS`` order.
    problems: tuple[tuple, ...]


@dataclass(frozen=True)
class CourseRow:
    values: tuple


@dataclass(frozen=True)
class CachedStandings:
    #: ``(problem_id, standing)`` of the problems the member has a progress row on.
    standings: tuple[tuple[int, ProblemStanding], ...]
    course_version: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class CachedExams:
    exams: tuple[tuple, ...]


def is_practice(problem: Problem) -> bool:
    """``courses.practice()`` of a loaded problem: what students practise and progress counts."""
    return problem.is_visible and not problem.is_archived and not problem.is_exam_only


class Outline:
    """A course and its chapters, rebuilt as fresh model instances at each call."""

    def __init__(self, rows: OutlineRows) -> None:
        self.rows = rows
        self.course = Course.from_db(DEFAULT_DB_ALIAS, COURSE_FIELDS, rows.course)

    def chapters(self, *, all_problems: bool) -> list[Chapter]:
        """Every chapter in order, each with ``outline_problems`` in order: practice problems
        only, unless ``all_problems`` (the course's staff: drafts, archived, exam-only too)."""
        chapters, by_id = [], {}
        for values in self.rows.chapters:
            chapter = Chapter.from_db(DEFAULT_DB_ALIAS, CHAPTER_FIELDS, values)
            chapter.course = self.course
            chapter.outline_problems = []
            chapters.append(chapter)
            by_id[chapter.pk] = chapter
        for values in self.rows.problems:
            problem = Problem.from_db(DEFAULT_DB_ALIAS, PROBLEM_FIELDS, values)
            if all_problems or is_practice(problem):
                chapter = by_id[problem.chapter_id]
                problem.chapter = chapter
                chapter.outline_problems.append(problem)
        return chapters


def _load_outline(course_id: int) -> OutlineRows | None:
    rows = list(
        Chapter.objects.filter(course_id=course_id)
        .order_by("order", "id", "problems__order", "problems__id")
        .values_list(
            *CHAPTER_FIELDS,
            *(f"course__{name}" for name in COURSE_FIELDS),
            *(f"problems__{name}" for name in PROBLEM_FIELDS),
        )
    )
    if not rows:
        course = Course.objects.filter(pk=course_id).values_list(*COURSE_FIELDS).first()
        return None if course is None else OutlineRows(tuple(course), (), ())
    chapters_end = len(CHAPTER_FIELDS)
    course_end = chapters_end + len(COURSE_FIELDS)
    chapters, problems = {}, []
    for row in rows:
        chapters.setdefault(row[0], tuple(row[:chapters_end]))
        if row[course_end] is not None:  # the LEFT JOIN found a problem
            problems.append(tuple(row[course_end:]))
    course = tuple(rows[0][chapters_end:course_end])
    return OutlineRows(course, tuple(chapters.values()), tuple(problems))


def _outline_rows(course_id: int, version: int | None) -> OutlineRows | None:
    if version is None:
        return _load_outline(course_id)
    key = cache.course_outline_key(course_id, version)
    rows = cache.safe_get(key, OutlineRows)
    if rows is None:
        rows = _load_outline(course_id)
        if rows is not None:
            cache.safe_set(key, rows, cache.entry_timeout())
            cache.safe_set(
                cache.course_row_key(course_id, version),
                CourseRow(rows.course),
                cache.entry_timeout(),
            )
    return rows


def cached_outline(*, course_id: int) -> Outline | None:
    """The course's outline, ``None`` for a course that does not exist. No access check."""
    version = cache.current_version(cache.course_content_version_key(course_id))
    rows = _outline_rows(course_id, version)
    return None if rows is None else Outline(rows)


def cached_course(*, course_id: int) -> Course | None:
    """The course's row (a fresh instance; ``None`` if there is none). No access check."""
    version = cache.current_version(cache.course_content_version_key(course_id))
    if version is not None:
        row = cache.safe_get(cache.course_row_key(course_id, version), CourseRow)
        if row is not None:
            return Course.from_db(DEFAULT_DB_ALIAS, COURSE_FIELDS, row.values)
    # A miss loads the outline, which the reads that need the row read next.
    rows = _outline_rows(course_id, version)
    return None if rows is None else Course.from_db(DEFAULT_DB_ALIAS, COURSE_FIELDS, rows.course)


def visible_outline(*, user, course_id: int) -> Outline:
    """``course_visible`` through the cache: published, or the user is a member; ``NotFound``."""
    outline = cached_outline(course_id=course_id)
    if outline is None or not (outline.course.is_published or is_course_member(user, course_id)):
        raise NotFound("No such course.")
    return outline


def member_course(*, user, course_id: int) -> Course:
    """``course_for_member`` through the cache, for reads: a course the user is a member of."""
    course = cached_course(course_id=course_id)
    if course is None or not (course.is_published or is_course_member(user, course_id)):
        raise NotFound("No such course.")
    require_member(user=user, course_id=course_id)
    return course


def _load_standings(user_id: int, course_id: int) -> dict[int, ProblemStanding]:
    """One query: the user's progress rows in the course, each with their best judged practice
    score per number of days late (one row per problem and distinct number of days)."""
    counted = Q(
        submissions__user_id=user_id,
        submissions__status__in=COUNTED_VERDICTS,
        submissions__exam_attempt__isnull=True,
    )
    rows = (
        Problem.objects.filter(chapter__course_id=course_id)
        .annotate(
            mine=FilteredRelation("progress", condition=Q(progress__user_id=user_id)),
            counted=FilteredRelation("submissions", condition=counted),
        )
        .filter(mine__id__isnull=False)
        .order_by()
        .values_list(
            "id",
            "points",
            "mine__status",
            "mine__attempts",
            "mine__best_score",
            "mine__first_solved_at",
            "chapter__course__late_policy",
            "chapter__course__late_penalty_percent_per_day",
            "counted__late_days",
        )
        .annotate(best=Max("counted__score"))
    )
    progress, bests = {}, {}
    for *row, days, best in rows:
        progress[row[0]] = row
        if days is not None:
            bests.setdefault(row[0], {})[days] = best
    standings = {}
    for problem_id, row in progress.items():
        by_days = bests.get(problem_id, {})
        standings[problem_id] = standing_from(
            status=row[2],
            attempts=row[3],
            best_score=row[4],
            first_solved_at=row[5],
            points=row[1],
            policy=row[6],
            percent_per_day=row[7],
            # As ``standings.standings_of``: re-derived only when a late submission counts.
            best_by_days=by_days if any(days > 0 for days in by_days) else None,
        )
    return standings


class Standings(dict):
    """``{problem_id: standing}``; ``NO_STANDING`` for a problem the member has not started."""

    def __missing__(self, problem_id: int) -> ProblemStanding:
        return NO_STANDING


def member_standings(*, user_id: int, course_id: int) -> Standings:
    """The member's standing on each problem of the course (every problem, drafts included)."""
    version = cache.current_version(cache.progress_summary_version_key(user_id, course_id))
    course_version = cache.current_version(cache.course_content_version_key(course_id))
    if version is None or course_version is None:
        return Standings(_load_standings(user_id, course_id))
    key = cache.standings_key(user_id, course_id, version)
    cached = cache.safe_get(key, CachedStandings)
    if cached is None or cached.course_version != course_version:
        standings = _load_standings(user_id, course_id)
        cached = CachedStandings(tuple(standings.items()), course_version=course_version)
        cache.safe_set(key, cached, cache.entry_timeout())
    return Standings(cached.standings)


def course_exam_list(*, course_id: int) -> list[Exam]:
    """The course's exams by opening time, as the course page lists them (no attempts)."""

    def load() -> CachedExams:
        rows = Exam.objects.filter(course_id=course_id).order_by("opens_at", "pk")
        return CachedExams(tuple(tuple(row) for row in rows.values_list(*EXAM_FIELDS)))

    cached = cache.read_versioned(
        cache.course_exams_version_key(course_id),
        lambda version: cache.course_exams_key(course_id, version),
        CachedExams,
        load,
    )
    return [Exam.from_db(DEFAULT_DB_ALIAS, EXAM_FIELDS, values) for values in cached.exams]


def member_exam_list(*, user, course_id: int) -> list[Exam] | None:
    """``course_exam_list`` for a member of the course, ``None`` for anyone else.

    No other access check: the caller checks that the course is visible. The course page needs
    the user's roles (``user_course_roles``) and, for a member, the course's exams; when neither
    is cached, one query loads both (the user's active enrollments, with this course's exams
    LEFT JOINed to its enrollment), so that a cold page costs three queries, not four. Each
    entry is stored under the version read before the query, as ``cache.read_versioned`` does:
    a change committed meanwhile bumps the version and is never hidden. A non-member's read
    stores no exam list (the join could not see the course's exams).
    """
    if not user.is_authenticated:
        return None
    if user.is_superuser:  # a member without an enrollment
        return course_exam_list(course_id=course_id)
    roles_key = _entry_key(
        cache.user_courses_version_key(user.pk), lambda v: cache.user_courses_key(user.pk, v)
    )
    exams_key = _entry_key(
        cache.course_exams_version_key(course_id), lambda v: cache.course_exams_key(course_id, v)
    )
    roles = cache.safe_get(roles_key, UserRoles) if roles_key else None
    exams = cache.safe_get(exams_key, CachedExams) if exams_key else None
    if roles is None and exams is None:
        roles, exams = _load_roles_and_exams(user.pk, course_id)
        if roles_key:
            cache.safe_set(roles_key, roles, cache.entry_timeout())
        if course_id in dict(roles.roles) and exams_key:
            cache.safe_set(exams_key, exams, cache.entry_timeout())
    elif roles is None:
        roles = UserRoles(tuple(user_course_roles(user_id=user.pk).items()))
    if course_id not in dict(roles.roles):
        return None
    if exams is None:
        return course_exam_list(course_id=course_id)
    return [Exam.from_db(DEFAULT_DB_ALIAS, EXAM_FIELDS, values) for values in exams.exams]


def _entry_key(version_key: str, key_for) -> str | None:
    """The key of an entry under its group's current version; ``None`` when the cache cannot
    say (then nothing is read or stored)."""
    version = cache.current_version(version_key)
    return None if version is None else key_for(version)


def _load_roles_and_exams(user_id: int, course_id: int) -> tuple[UserRoles, CachedExams]:
    """One query: the user's active enrollments by course, and the exams of ``course_id`` by
    opening time (empty unless the user is enrolled in it)."""
    rows = (
        Enrollment.objects.filter(user_id=user_id, status=Enrollment.Status.ACTIVE)
        .annotate(
            here=FilteredRelation("course__exams", condition=Q(course__exams__course_id=course_id))
        )
        .order_by("course_id", "here__opens_at", "here__id")
        .values_list("course_id", "role", *(f"here__{name}" for name in EXAM_FIELDS))
    )
    roles, exams = {}, []
    exam_id = EXAM_FIELDS.index("id")
    for course, role, *exam in rows:
        roles.setdefault(course, role)
        if exam[exam_id] is not None:  # the LEFT JOIN found an exam
            exams.append(tuple(exam))
    return UserRoles(tuple(roles.items())), CachedExams(tuple(exams))
