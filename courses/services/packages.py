"""Course and problem packages: export, and import validated first then written in one transaction.

A package is a zip with a versioned TOML manifest (docs/package-format.md; the fields of each
model in ``courses.packages.schema``). Import, in order, writing nothing until the end:

1. the zip is read defensively (``courses.packages.archive``: sizes, paths, links, bombs);
2. every file and value is checked (``courses.packages.load``: version, kind, keys, types, the
   models' own validation, test data against its problem, reference code);
3. the course's slug must be free (``AlreadyExists`` naming ``slug``: pass a new one);
4. every reference solution is judged on its problem's cases through the configured judge
   (``CodeExecutorService.evaluate``, the path of students' submissions); one that is not
   accepted refuses the package, naming its file; an infrastructure failure is a ``JudgeError``;
5. everything is written in one transaction, the references with the results of step 4.

Every refusal is ``InvalidPackage`` (400 ``invalid_package``) or ``PayloadTooLarge`` (413), with
``fields["package"]`` naming the file at fault, and nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from courses.judging.verdicts import Verdict
from courses.models import Chapter, Course, Problem, ProblemTestCase
from courses.packages import archive, dmoj, export, layout, schema
from courses.packages.load import (
    CoursePlan,
    PackageError,
    ProblemPlan,
    load_course,
    load_problem,
)
from courses.services import model_checks
from courses.services.authoring import course_creator_enroll, problem_check
from courses.services.case_archive import ArchiveError, ArchiveTooLarge
from courses.services.code_executor import CodeExecutorService
from courses.services.errors import (
    AlreadyExists,
    InvalidInput,
    InvalidPackage,
    PayloadTooLarge,
)
from courses.services.exams import exam_recompute_scores
from courses.services.validation import evaluation_outcome, problem_validation_request

#: ``progress(step, done, total)``: the commands draw bars with it; steps are "problems" (export),
#: "judging" and "writing" (import).
Progress = Callable[[str, int, int], None]


def _no_progress(step: str, done: int, total: int) -> None:
    pass


def package_limits() -> archive.PackageLimits:
    return archive.PackageLimits(
        max_bytes=settings.COURSES_PACKAGE_MAX_BYTES,
        max_uncompressed_bytes=settings.COURSES_PACKAGE_MAX_UNCOMPRESSED_BYTES,
        max_files=settings.COURSES_PACKAGE_MAX_FILES,
        max_file_bytes=settings.COURSES_PACKAGE_MAX_FILE_BYTES,
    )


# --- Export ------------------------------------------------------------------------------------


def package_export_course(*, course: Course, progress: Progress | None = None) -> bytes:
    """The course as a package zip: the same course always gives the same bytes."""
    try:
        files = export.export_course(course, progress)
    except export.ExportError as exc:
        raise InvalidPackage(str(exc), fields={"course": str(exc)}) from exc
    return archive.write_zip(files)


def package_export_problem(*, problem: Problem) -> bytes:
    return archive.write_zip(export.export_problem(problem))


def package_filename(slug: str) -> str:
    return f"{slug}.codecourses.zip"


# --- Import ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CourseImport:
    course: Course
    problems: int
    cases: int
    reference_solutions: int
    exams: int
    judged: bool


def _files(data: bytes) -> dict[str, bytes]:
    try:
        return archive.read_zip(data, package_limits())
    except ArchiveTooLarge as exc:
        raise PayloadTooLarge(str(exc), fields={"package": str(exc)}) from exc
    except ArchiveError as exc:
        raise InvalidPackage(str(exc), fields={"package": str(exc)}) from exc


def _refused(exc: PackageError) -> InvalidPackage:
    return InvalidPackage(str(exc), fields={"package": str(exc)})


def package_import_course(
    *,
    data: bytes,
    user=None,
    slug: str = "",
    judge: bool = True,
    executor: CodeExecutorService | None = None,
    progress: Progress | None = None,
) -> CourseImport:
    """Import a course package as a new course; ``user`` (when given) becomes its instructor.

    ``slug`` replaces the package's (a taken slug is ``AlreadyExists`` naming ``slug``). Without
    ``judge`` (``manage.py import_course --no-judge``) the reference solutions are judged in the
    background after commit instead, as after any edit, and the import does not wait for them.
    Who may import is the caller's check (``selectors.require_course_creator``).
    """
    progress = progress or _no_progress
    if slug:
        _check_slug(slug)
    files = _files(data)
    try:
        plan = load_course(files, slug=slug)
    except PackageError as exc:
        raise _refused(exc) from exc
    _require_free_slug(plan.course.slug, given=bool(slug))
    for problem_plan in plan.problems:
        _check_problem(problem_plan)
    if judge:
        _judge(plan.problems, executor or CodeExecutorService(), progress)
    with transaction.atomic():
        _write_course(plan, user=user, judged=judge, progress=progress)
    return CourseImport(
        course=plan.course,
        problems=len(plan.problems),
        cases=sum(len(p.cases) for p in plan.problems),
        reference_solutions=sum(len(p.references) for p in plan.problems),
        exams=len(plan.exams),
        judged=judge,
    )


def package_import_problem(
    *,
    data: bytes,
    chapter: Chapter,
    judge: bool = True,
    executor: CodeExecutorService | None = None,
) -> Problem:
    """Import a problem package into ``chapter``, after its last problem."""
    files = _files(data)
    try:
        plan = load_problem(files)
    except PackageError as exc:
        raise _refused(exc) from exc
    return problem_plan_import(plan=plan, chapter=chapter, judge=judge, executor=executor)


def problem_plan_import(
    *,
    plan: ProblemPlan,
    chapter: Chapter,
    judge: bool = True,
    executor: CodeExecutorService | None = None,
) -> Problem:
    """Judge (optionally) and write one loaded problem into ``chapter`` (also DMOJ's importer)."""
    _check_problem(plan)
    if judge:
        _judge([plan], executor or CodeExecutorService(), _no_progress)
    with transaction.atomic():
        Chapter.objects.select_for_update().filter(pk=chapter.pk).first()
        plan.problem.order = model_checks.next_order(chapter.problems.all())
        _write_problem(plan, chapter, judged=judge)
    return plan.problem


def _check_problem(plan: ProblemPlan) -> None:
    """What the authoring API refuses for a problem, a package is refused for (the file and key
    named): a language listed twice, limits the configured judge cannot honour."""
    try:
        problem_check(plan.problem)
    except InvalidInput as exc:
        key = next(iter(exc.fields), "")
        raise _refused(
            PackageError(exc.message, file=f"{plan.folder}/{layout.PROBLEM_TOML}", key=key)
        ) from exc


def _check_slug(slug: str) -> None:
    """A slug given to replace the package's is the caller's input, not the package's: its
    error names ``slug`` (``InvalidInput``), before the package is read."""
    try:
        Course._meta.get_field("slug").clean(slug, None)
    except ValidationError as exc:
        message = " ".join(exc.messages)
        text = f"The slug {slug!r} cannot be used: {message}"
        raise InvalidInput(text, fields={"slug": message}) from None


def _require_free_slug(slug: str, *, given: bool) -> None:
    if Course.objects.filter(slug=slug).exists():
        hint = "" if given else " Import it under a new slug (--slug, or ?slug= in the API)."
        raise AlreadyExists(
            f"A course with the slug {slug!r} already exists.{hint}",
            fields={"slug": f"{slug!r} is taken"},
        )


def _judge(plans: list[ProblemPlan], executor: CodeExecutorService, progress: Progress) -> None:
    """Judge every reference solution on its problem's cases; keep the outcome on the instance.

    A solution that is not accepted refuses the package (``InvalidPackage`` naming its file);
    ``JudgeError`` (the judge could not run it) propagates: the package is not at fault.
    """
    work = [(p, r) for p in plans if p.cases for r in p.references]
    for done, (plan, reference) in enumerate(work, start=1):
        evaluation = executor.evaluate(plan.problem, reference.language, reference.code, plan.cases)
        status, score, details = evaluation_outcome(evaluation)
        if status != Verdict.ACCEPTED.value:
            failing = evaluation.first_failing
            path = layout.language_file(
                f"{plan.folder}/{schema.REFERENCE_FOLDER}", reference.language
            )
            case = f" on case {plan.cases.index(failing.test_case) + 1}" if failing else ""
            raise _refused(
                PackageError(
                    f"The reference solution is not accepted by the problem's own test data: "
                    f"{status}{case} (score {score}).",
                    file=path,
                )
            )
        reference.validation_status = status
        reference.validation_score = score
        reference.validation_details = details
        reference.validated_at = timezone.now()
        progress("judging", done, len(work))


def _write_course(plan: CoursePlan, *, user, judged: bool, progress: Progress) -> None:
    model_checks.save(plan.course)
    if user is not None:
        course_creator_enroll(course=plan.course, user=user)
    total, done = len(plan.problems), 0
    for chapter_plan in plan.chapters:
        chapter_plan.chapter.course = plan.course
        model_checks.save(chapter_plan.chapter)
        for problem_plan in chapter_plan.problems:
            _write_problem(problem_plan, chapter_plan.chapter, judged=judged)
            done += 1
            progress("writing", done, total)
    problems = {p.key: p.problem for p in plan.problems}
    for exam_plan in plan.exams:
        exam_plan.exam.course = plan.course
        model_checks.save(exam_plan.exam)
        for row, key in exam_plan.rows:
            row.exam = exam_plan.exam
            row.problem = problems[key]
            model_checks.save(row)
        exam_recompute_scores(exam_id=exam_plan.exam.pk)


def _write_problem(plan: ProblemPlan, chapter: Chapter, *, judged: bool) -> None:
    plan.problem.chapter = chapter
    model_checks.save(plan.problem)
    by_order = {}
    for subtask, depends_on in plan.subtasks:
        subtask.problem = plan.problem
        model_checks.save(subtask)
        subtask.depends_on.set([by_order[order] for order in depends_on])
        by_order[subtask.order] = subtask
    # DMOJ's converter builds plans without subtasks: no orders then.
    orders = plan.case_subtasks or [None] * len(plan.cases)
    for case, subtask_order in zip(plan.cases, orders, strict=True):
        case.problem = plan.problem
        case.subtask = by_order.get(subtask_order)
    ProblemTestCase.objects.bulk_create(plan.cases)
    for reference in plan.references:
        reference.problem = plan.problem
        model_checks.save(reference)
    if not judged and plan.cases and plan.references:
        problem_validation_request(problem_id=plan.problem.pk)


# --- DMOJ problems --------------------------------------------------------------------------


@dataclass(frozen=True)
class DmojImport:
    problem: Problem
    warnings: list[str]


def dmoj_import_problem(
    *,
    data: bytes,
    chapter: Chapter,
    title: str,
    languages: list[str],
    time_limit_ms: int | None = None,
    memory_limit_kb: int | None = None,
) -> DmojImport:
    """Import a zip of a DMOJ problem folder (``init.yml`` and its data) into ``chapter``.

    Converted by ``courses.packages.dmoj`` (what maps and what does not: its docstring and
    docs/package-format.md), then checked and written like a problem package; ``warnings`` say
    what changed on the way (batches flattened, zero-point cases weighted 1).
    """
    try:
        converted = dmoj.convert(
            data,
            package_limits(),
            title=title,
            languages=languages,
            time_limit_ms=time_limit_ms,
            memory_limit_kb=memory_limit_kb,
        )
    except ArchiveTooLarge as exc:
        raise PayloadTooLarge(str(exc), fields={"package": str(exc)}) from exc
    except (ArchiveError, PackageError) as exc:
        raise InvalidPackage(str(exc), fields={"package": str(exc)}) from exc
    problem_check(converted.plan.problem)  # e.g. over Judge0's maxima: 400 naming time_limit_ms
    problem = problem_plan_import(plan=converted.plan, chapter=chapter, judge=False)
    return DmojImport(problem=problem, warnings=converted.warnings)
