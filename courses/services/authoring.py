"""Authoring: courses, chapters and problems (test data: ``testdata``; exams: ``exam_authoring``).

Access is the caller's (``courses.selectors.authoring``); these functions enforce what the data
must be. Every refusal names its input (``courses.services.model_checks``). Orders left out go
at the end of their parent ("next": the last order + 1, 1 for the first), computed under a lock
on the parent row so that two concurrent creations cannot take the same one.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils.text import slugify

from courses.judging.backends import configured_language_problem, configured_limit_problems
from courses.judging.languages import LANGUAGES
from courses.models import Chapter, Course, Enrollment, Problem
from courses.services import authoring_limits, model_checks
from courses.services.errors import InvalidInput
from courses.services.evaluation import language_limits, problem_limits
from courses.services.testdata import (
    CASE_RULE_FIELDS,
    CaseData,
    cases_add,
    problem_cases_check,
)
from courses.services.validation import JUDGING_FIELDS, problem_validation_request

# --- Courses -------------------------------------------------------------------------------------


def _check_course(course: Course) -> None:
    model_checks.clean_fields(course)
    if not Decimal(0) <= Decimal(course.late_penalty_percent_per_day) <= Decimal(100):
        raise InvalidInput(
            "A late penalty is between 0 and 100 percent per day.",
            fields={"late_penalty_percent_per_day": "between 0 and 100"},
        )


def course_create(*, creator, title: str, slug: str = "", **fields) -> Course:
    """Create a course; its creator becomes its instructor in the same transaction.

    ``slug`` defaults to the title's; a taken one is ``AlreadyExists`` naming ``slug``. Whether
    ``creator`` may create courses is the caller's check (``selectors.require_course_creator``).
    """
    course = Course(title=title, slug=slug or slugify(title), **fields)
    _check_course(course)
    with transaction.atomic():
        model_checks.save(course)
        course_creator_enroll(course=course, user=creator)
    return course


def course_creator_enroll(*, course: Course, user) -> Enrollment:
    """Make ``user`` an active instructor of ``course`` (the API and the admin, on creation)."""
    enrollment, _ = Enrollment.objects.update_or_create(
        user=user,
        course=course,
        defaults={"role": Enrollment.Role.INSTRUCTOR, "status": Enrollment.Status.ACTIVE},
    )
    return enrollment


def course_update(*, course: Course, **changes) -> Course:
    for name, value in changes.items():
        setattr(course, name, value)
    _check_course(course)
    model_checks.save(course)
    return course


def course_delete(*, course: Course) -> None:
    """Delete a course without students' work (docs/deletion-policy.md); else ``HasStudentWork``."""
    model_checks.delete(
        course,
        instead="Unpublish it instead (is_published: false): it leaves the catalogue and "
        "students keep their work.",
    )


# --- Chapters ------------------------------------------------------------------------------------


def chapter_create(*, course: Course, title: str, order: int | None = None, due_at=None) -> Chapter:
    with transaction.atomic():
        Course.objects.select_for_update().filter(pk=course.pk).first()
        siblings = Chapter.objects.filter(course=course)
        if order is None:
            order = model_checks.next_order(siblings)
        chapter = Chapter(course=course, title=title, order=order, due_at=due_at)
        model_checks.clean_fields(chapter, exclude=["course"])
        model_checks.require_order_free(siblings, order)
        model_checks.save(chapter)
    return chapter


def chapter_update(*, chapter: Chapter, **changes) -> Chapter:
    with transaction.atomic():
        Course.objects.select_for_update().filter(pk=chapter.course_id).first()
        for name, value in changes.items():
            setattr(chapter, name, value)
        model_checks.clean_fields(chapter, exclude=["course"])
        if "order" in changes:
            model_checks.require_order_free(
                Chapter.objects.filter(course_id=chapter.course_id),
                chapter.order,
                exclude_pk=chapter.pk,
            )
        model_checks.save(chapter)
    return chapter


def chapter_delete(*, chapter: Chapter) -> None:
    model_checks.delete(
        chapter,
        instead="Hide or archive its problems instead (is_visible: false, is_archived: true).",
    )


# --- Problems ------------------------------------------------------------------------------------


def problem_check(problem: Problem) -> None:
    """``InvalidInput`` naming the field for a problem the platform must not store: its model
    rules, known languages each listed once, the authoring limits, and the configured judge's
    maxima. Every way in applies it: the API, and the package and DMOJ importers."""
    languages = problem.allowed_languages
    if not isinstance(languages, list) or not all(isinstance(x, str) for x in languages):
        raise InvalidInput(
            "Allowed languages are a list of names.", fields={"allowed_languages": "a list"}
        )
    if len(set(languages)) != len(languages):
        raise InvalidInput(
            "A language is listed twice.", fields={"allowed_languages": "listed twice"}
        )
    model_checks.clean_fields(problem, exclude=["chapter"])  # runs Problem.clean()
    for name, text in (problem.starter_code or {}).items():
        if name not in LANGUAGES or not isinstance(text, str):
            raise InvalidInput(
                f"Starter code is text per known language; {name!r} is not one.",
                fields={"starter_code": f"unknown language {name!r}"},
            )
    for name, bounds in (
        ("time_limit_ms", authoring_limits.TIME_LIMIT_MS),
        ("memory_limit_kb", authoring_limits.MEMORY_LIMIT_KB),
        ("output_limit_kb", authoring_limits.OUTPUT_LIMIT_KB),
    ):
        if getattr(problem, name) not in bounds:
            raise InvalidInput(
                f"{name} must be between {bounds.low} and {bounds.high}.",
                fields={name: f"between {bounds.low} and {bounds.high}"},
            )
    for name in ("float_abs_tolerance", "float_rel_tolerance"):
        value = getattr(problem, name)
        if not 0 <= value < float("inf"):
            raise InvalidInput(f"{name} must be a finite number ≥ 0.", fields={name: "≥ 0"})
    errors = judge_limit_errors(problem)
    if errors:
        raise InvalidInput(
            "The configured judge cannot run this problem's limits: " + "; ".join(errors.values()),
            fields=errors,
        )
    if problem.checker == Problem.Checker.CUSTOM:
        why = configured_language_problem(problem.checker_language)
        if why:
            raise InvalidInput(
                f"The configured judge cannot run a {problem.checker_language} checker: {why}",
                fields={"checker_language": why},
            )


NEUTRAL_LIMITS = {"time_multiplier": 1.0, "memory_extra_kb": 0}
#: The problem field behind each run limit (``problem_limits``): the wall clock follows the time.
LIMIT_FIELDS = {
    "cpu_time_ms": "time_limit_ms",
    "wall_time_ms": "time_limit_ms",
    "memory_kb": "memory_limit_kb",
    "output_bytes": "output_limit_kb",
}


def judge_limit_errors(problem: Problem) -> dict[str, str]:
    """Problem field -> why, for limits the configured judge cannot honour (Judge0's maxima).

    A remote judge's maxima are refused here, at save, rather than clamped when judging: a
    clamped limit gives verdicts the local sandbox would not. The wall clock of a run is
    ``2 × time + 1 s`` (``problem_limits``), so the time limit answers for both.
    """
    errors: dict[str, str] = {}
    languages = [lang for lang in problem.allowed_languages or [] if lang in LANGUAGES]
    for language in languages or [None]:
        for limit, why in configured_limit_problems(problem_limits(problem, language)):
            field = LIMIT_FIELDS.get(limit)
            if field is None:
                continue
            if language is not None and language_limits(problem, language) != NEUTRAL_LIMITS:
                why = f"{language} (with its language limits): {why}"
            if why not in errors.get(field, ""):
                errors[field] = f"{errors[field]}; {why}" if field in errors else why
    return errors


def problems_over_judge_limits() -> list[tuple[Problem, dict[str, str]]]:
    """Every problem whose limits the configured judge cannot honour (``judge_check``)."""
    over = []
    for problem in Problem.objects.order_by("pk"):
        errors = judge_limit_errors(problem)
        if errors:
            over.append((problem, errors))
    return over


def problem_create(
    *,
    chapter: Chapter,
    title: str,
    order: int | None = None,
    test_cases: list[CaseData] | None = None,
    **fields,
) -> Problem:
    """Create a problem (a draft unless ``is_visible``), with its test cases if given.

    A bad case is refused with its position named (``test_cases.2.input``) and nothing is saved.
    """
    with transaction.atomic():
        Chapter.objects.select_for_update().filter(pk=chapter.pk).first()
        if order is None:
            order = model_checks.next_order(Problem.objects.filter(chapter=chapter))
        problem = Problem(chapter=chapter, title=title, order=order, **fields)
        problem_check(problem)
        model_checks.save(problem)
        if test_cases:
            cases_add(problem=problem, cases=test_cases)
    return problem


def problem_update(*, problem: Problem, **changes) -> Problem:
    """Change a problem; moving it (``chapter``: an id) stays within its course.

    A change of mode, languages, templates or checker that an existing case does not fit is
    refused, naming the field and the cases. A change of anything that decides verdicts
    (``JUDGING_FIELDS``) judges the reference solutions again after commit.
    """
    if "chapter" in changes:
        changes["chapter"] = _chapter_of_course(changes["chapter"], problem.chapter.course_id)
    before = {name: getattr(problem, name) for name in JUDGING_FIELDS}
    for name, value in changes.items():
        setattr(problem, name, value)
    changed = [name for name in JUDGING_FIELDS if getattr(problem, name) != before[name]]
    with transaction.atomic():
        problem_check(problem)
        rules = [name for name in CASE_RULE_FIELDS if name in changed]
        if rules:
            problem_cases_check(problem, changed_field=rules[0])
        model_checks.save(problem)
        if changed:
            problem_validation_request(problem_id=problem.pk)
    problem.refresh_from_db()
    return problem


def _chapter_of_course(chapter_id: int, course_id: int) -> Chapter:
    chapter = Chapter.objects.filter(pk=chapter_id, course_id=course_id).first()
    if chapter is None:
        raise InvalidInput(
            "A problem can only move to a chapter of its own course.",
            fields={"chapter": "not a chapter of this course"},
        )
    return chapter


def problem_delete(*, problem: Problem) -> None:
    model_checks.delete(
        problem,
        instead="Archive it instead (is_archived: true): students keep their submissions.",
    )
