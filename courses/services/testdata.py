"""Test cases: one at a time, in bulk, or from a zip archive; checked against their problem.

Bad test data is the instructor's error, refused when it is saved with the case named, never a
student's runtime error later (``case_errors``): a function-style problem whose harness
takes JSON arguments needs every input to be a JSON array (or blank), and the ``json`` checker
needs every expected output to be JSON. Each write locks the problem row, so "next order"
cannot be handed out twice, and asks for the problem's reference solutions to be judged again
after commit (``courses.services.validation``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from courses.judging import tests_as_code as tac
from courses.judging.checkers import InvalidExpectedOutput, validate_expected
from courses.judging.templates import (
    TemplateError,
    check_function_arguments,
)
from courses.models import Problem, ProblemTestCase
from courses.services import model_checks
from courses.services.case_archive import (
    ArchiveError,
    ArchiveLimits,
    ArchiveTooLarge,
    read_case_archive,
)
from courses.services.errors import AlreadyExists, InvalidArchive, InvalidInput, PayloadTooLarge
from courses.services.evaluation import language_takes_json_arguments
from courses.services.validation import problem_validation_request

ARCHIVE_MODES = ("replace", "append")
#: A problem's fields that decide what a valid test case is (``case_errors``).
CASE_RULE_FIELDS = ("io_mode", "allowed_languages", "template_overrides", "checker")


# --- What makes test data valid for its problem ----------------------------------------------


def problem_takes_json_arguments(problem: Problem) -> bool:
    """Whether some allowed language's harness reads the input as a JSON array of arguments."""
    return any(
        language_takes_json_arguments(problem, language)
        for language in problem.allowed_languages or []
    )


def case_errors(problem: Problem, *, input: str, expected_output: str) -> dict[str, str]:
    """``{"input"|"expected_output": problem}`` for a case that this problem cannot judge."""
    if problem.io_mode == Problem.IoMode.TESTS:
        return _test_code_errors(input, expected_output)
    errors = {}
    if "\x00" in input:
        errors["input"] = "NUL characters cannot be stored."
    elif problem_takes_json_arguments(problem):
        try:
            check_function_arguments(input)
        except TemplateError as exc:
            errors["input"] = f"{exc} (a function-style problem takes a JSON array of arguments)."
    if "\x00" in expected_output:
        errors["expected_output"] = "NUL characters cannot be stored."
    elif problem.checker != Problem.Checker.CUSTOM:  # a custom checker reads what it likes
        try:
            validate_expected(problem.checker, expected_output)
        except InvalidExpectedOutput as exc:
            errors["expected_output"] = f"{exc.message} (the problem uses the json checker)."
    return errors


def _test_code_errors(expr: str, literal: str) -> dict[str, str]:
    """A tests-as-code case: its input is an expression, its expected output a literal."""
    errors = {}
    for name, text, check in (
        ("input", expr, tac.validate_expression),
        ("expected_output", literal, tac.parse_literal),
    ):
        if "\x00" in text:
            errors[name] = "NUL characters cannot be stored."
            continue
        try:
            check(text)
        except tac.TestCodeError as exc:
            errors[name] = f"{exc} (tests written as code: the input is EXPR, the expected "
            errors[name] += "output LITERAL of `EXPR == LITERAL`)."
    return errors


def problem_cases_check(problem: Problem, *, changed_field: str) -> None:
    """Refuse settings (mode, languages, templates, checker) that the existing cases break."""
    bad = []
    for case in problem.test_cases.order_by("order", "id"):
        errors = case_errors(problem, input=case.input, expected_output=case.expected_output)
        bad.extend(
            f"case {case.order} (id {case.pk}): {field}: {text}" for field, text in errors.items()
        )
    if bad:
        shown = "; ".join(bad[:5]) + (f"; and {len(bad) - 5} more" if len(bad) > 5 else "")
        raise InvalidInput(
            f"The existing test cases do not fit this change: {shown}",
            fields={changed_field: shown},
        )


# --- One case ----------------------------------------------------------------------------------


def _lock(problem: Problem) -> None:
    Problem.objects.select_for_update().filter(pk=problem.pk).first()


def _check(case: ProblemTestCase, *, prefix: str = "") -> None:
    errors = case_errors(case.problem, input=case.input, expected_output=case.expected_output)
    if case.subtask_id is not None and case.subtask.problem_id != case.problem_id:
        errors["subtask"] = "not a subtask of this problem"
    elif case.subtask_id is None and case.problem.subtasks.exists():
        errors["subtask"] = "the problem has subtasks: every case belongs to one"
    if errors:
        fields = {f"{prefix}{name}": text for name, text in errors.items()}
        raise InvalidInput(next(iter(errors.values())), fields=fields)
    model_checks.clean_fields(case, exclude=["problem", "subtask"])


def case_create(
    *,
    problem: Problem,
    input: str,
    expected_output: str,
    is_sample: bool = False,
    weight: int = 1,
    order: int | None = None,
    subtask=None,
) -> ProblemTestCase:
    """Add a case; without ``order`` it goes after the last one."""
    with transaction.atomic():
        _lock(problem)
        siblings = ProblemTestCase.objects.filter(problem=problem)
        if order is None:
            order = model_checks.next_order(siblings)
        case = ProblemTestCase(
            problem=problem,
            input=input,
            expected_output=expected_output,
            is_sample=is_sample,
            weight=weight,
            order=order,
            subtask=subtask,
        )
        _check(case)
        model_checks.require_order_free(siblings, order)
        model_checks.save(case)
        problem_validation_request(problem_id=problem.pk)
    return case


def case_update(*, case: ProblemTestCase, **changes) -> ProblemTestCase:
    with transaction.atomic():
        _lock(case.problem)
        for name, value in changes.items():
            setattr(case, name, value)
        _check(case)
        if "order" in changes:
            model_checks.require_order_free(
                ProblemTestCase.objects.filter(problem_id=case.problem_id),
                case.order,
                exclude_pk=case.pk,
            )
        model_checks.save(case)
        problem_validation_request(problem_id=case.problem_id)
    return case


def case_delete(*, case: ProblemTestCase) -> None:
    """Past results keep their verdicts; their link to the case becomes empty (SET_NULL)."""
    with transaction.atomic():
        _lock(case.problem)
        case.delete()
        problem_validation_request(problem_id=case.problem_id)


# --- Many cases --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseData:
    input: str
    expected_output: str
    is_sample: bool = False
    weight: int = 1
    order: int | None = None
    subtask: object = None


def cases_add(
    *, problem: Problem, cases: Iterable[CaseData], field: str = "test_cases"
) -> list[ProblemTestCase]:
    """Add several cases at once, after the existing ones unless they give their order.

    A bad case is refused with its position in the input named: ``test_cases.3.input``.
    Call inside the caller's transaction (a problem created with its cases is one write).
    """
    cases = list(cases)
    with transaction.atomic():
        _lock(problem)
        siblings = ProblemTestCase.objects.filter(problem=problem)
        taken = set(siblings.values_list("order", flat=True))
        following = model_checks.next_order(siblings)
        rows = []
        for index, data in enumerate(cases):
            order = data.order
            if order is None:
                order = max([following - 1, *taken]) + 1
            prefix = f"{field}.{index}."
            row = ProblemTestCase(problem=problem, **{**data.__dict__, "order": order})
            _check(row, prefix=prefix)
            if order in taken:
                raise AlreadyExists(
                    f"Order {order} is used twice.", fields={f"{prefix}order": "already used"}
                )
            taken.add(order)
            rows.append(row)
        created = ProblemTestCase.objects.bulk_create(rows)
        if created:
            problem_validation_request(problem_id=problem.pk)
    return created


# --- A zip archive -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportedCase:
    name: str
    case: ProblemTestCase


@dataclass(frozen=True)
class ArchiveImport:
    mode: str
    deleted: int
    created: list[ImportedCase]


def archive_limits() -> ArchiveLimits:
    return ArchiveLimits(
        max_bytes=settings.COURSES_CASE_ARCHIVE_MAX_BYTES,
        max_uncompressed_bytes=settings.COURSES_CASE_ARCHIVE_MAX_UNCOMPRESSED_BYTES,
        max_files=settings.COURSES_CASE_ARCHIVE_MAX_FILES,
    )


def cases_import_archive(*, problem: Problem, data: bytes, mode: str) -> ArchiveImport:
    """Import a zip of ``NAME.in``/``NAME.out`` pairs (``courses.services.case_archive``).

    ``mode`` is ``replace`` (the archive's cases become the problem's only cases, numbered from
    1) or ``append`` (they go after the existing ones). One transaction: any refusal leaves the
    problem's cases exactly as they were.
    """
    if mode not in ARCHIVE_MODES:
        raise InvalidInput(
            "Choose mode=replace or mode=append.", fields={"mode": "replace or append"}
        )
    if problem.subtasks.exists():
        text = (
            "The problem has subtasks and every case belongs to one, but a zip's NAME.in/NAME.out "
            "pairs name none. Add these cases with their subtask (the case rows or the API), "
            "or import a problem package, whose cases name their subtask."
        )
        raise InvalidArchive(text, fields={"archive": text})
    try:
        parsed = read_case_archive(data, archive_limits())
    except ArchiveTooLarge as exc:
        raise PayloadTooLarge(str(exc), fields={"archive": str(exc)}) from exc
    except ArchiveError as exc:
        raise InvalidArchive(str(exc), fields={"archive": str(exc)}) from exc
    for case in parsed:
        errors = case_errors(problem, input=case.input, expected_output=case.expected_output)
        if errors:
            field, text = next(iter(errors.items()))
            file = case.input_file if field == "input" else case.output_file
            raise InvalidArchive(f"{file}: {text}", fields={"archive": f"{file}: {text}"})
    with transaction.atomic():
        _lock(problem)
        deleted = 0
        if mode == "replace":
            _, per_model = ProblemTestCase.objects.filter(problem=problem).delete()
            deleted = per_model.get(ProblemTestCase._meta.label, 0)
        start = model_checks.next_order(ProblemTestCase.objects.filter(problem=problem))
        rows = ProblemTestCase.objects.bulk_create(
            ProblemTestCase(
                problem=problem,
                input=case.input,
                expected_output=case.expected_output,
                is_sample=case.is_sample,
                order=start + index,
            )
            for index, case in enumerate(parsed)
        )
        problem_validation_request(problem_id=problem.pk)
    return ArchiveImport(
        mode=mode,
        deleted=deleted,
        created=[ImportedCase(case.name, row) for case, row in zip(parsed, rows, strict=True)],
    )
