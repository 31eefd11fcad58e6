"""Reference solutions, and problem validation: judging them to prove the problem's test data.

Whenever what decides a verdict changes (a problem's limits, mode, templates or checker, its
cases, or a reference solution), ``problem_validation_request`` forgets the old results and, after
commit, enqueues ``courses.tasks.validate_problem`` (inline in the embedded setup). The task
judges every reference solution on every case with ``CodeExecutorService.evaluate`` — the path
student submissions take — and stores the verdict, score, per-case results and times on the
solution, for the course's staff.

An infrastructure failure (judge unreachable, sandbox missing) is stored as such
(``validation_status = "internal_error"``, ``details["cause"] = "infrastructure"``), never as the
solution's fault. A validation that finishes after the data it judged changed is dropped: a
fingerprint of everything that decides verdicts (``judging_fingerprint``), taken when it starts
and again under a lock when it stores, tells, and the newer request's task stores the right ones.
"""

from __future__ import annotations

import hashlib
import json
import logging

from django.db import transaction
from django.utils import timezone

from courses.judging.checkers import InvalidExpectedOutput
from courses.judging.errors import JudgeError
from courses.judging.languages import LANGUAGES
from courses.judging.templates import SourceTooLarge, TemplateError
from courses.models import Problem, ReferenceSolution
from courses.services import model_checks
from courses.services.code_executor import CodeExecutorService, Evaluation, visible_text
from courses.services.errors import AlreadyExists, InvalidInput, NothingToValidate
from courses.services.submissions import validate_source

logger = logging.getLogger(__name__)

#: How much of a failing case's output and error text a validation keeps, in characters.
VALIDATION_TEXT_CHARS = 4096

#: A problem's fields that decide verdicts: changing one judges the reference solutions again.
JUDGING_FIELDS = (
    "time_limit_ms",
    "memory_limit_kb",
    "output_limit_kb",
    "allowed_languages",
    "io_mode",
    "entry_point",
    "template_overrides",
    "checker",
    "float_abs_tolerance",
    "float_rel_tolerance",
    "setup_code",
    "checker_language",
    "checker_code",
    "language_limits",
)


# --- Reference solutions ---------------------------------------------------------------------


def _check_reference(reference: ReferenceSolution) -> None:
    if reference.language not in LANGUAGES:
        known = ", ".join(sorted(LANGUAGES))
        raise InvalidInput(
            f"Unknown language {reference.language!r}.", fields={"language": f"one of {known}"}
        )
    validate_source(reference.code)
    taken = ReferenceSolution.objects.filter(
        problem_id=reference.problem_id, language=reference.language
    ).exclude(pk=reference.pk)
    if taken.exists():
        raise AlreadyExists(
            f"This problem already has a {reference.language} reference solution; edit it instead.",
            fields={"language": "already has a reference solution"},
        )


def reference_solution_create(*, problem: Problem, language: str, code: str) -> ReferenceSolution:
    """Add the problem's solution in ``language`` (one per language); judged after commit."""
    reference = ReferenceSolution(problem=problem, language=language, code=code)
    with transaction.atomic():
        _check_reference(reference)
        model_checks.save(reference)
        problem_validation_request(problem_id=problem.pk)
    return reference


def reference_solution_update(*, reference: ReferenceSolution, **changes) -> ReferenceSolution:
    for name, value in changes.items():
        setattr(reference, name, value)
    with transaction.atomic():
        _check_reference(reference)
        model_checks.save(reference)
        problem_validation_request(problem_id=reference.problem_id)
    reference.refresh_from_db()
    return reference


def reference_solution_delete(*, reference: ReferenceSolution) -> None:
    reference.delete()


# --- Validation ------------------------------------------------------------------------------


def problem_validation_request(*, problem_id: int) -> None:
    """The problem's judging data changed: forget its validation results, judge again on commit.

    Call inside the transaction that made the change, so the task sees it committed.
    """
    with transaction.atomic():
        ReferenceSolution.objects.filter(problem_id=problem_id).update(
            validation_status="", validation_score=None, validation_details={}, validated_at=None
        )
        transaction.on_commit(lambda: _enqueue(problem_id))


def _enqueue(problem_id: int) -> None:
    from courses.tasks import validate_problem

    validate_problem.delay(problem_id)


def problem_validation_start(*, problem: Problem) -> None:
    """Validate now, on request; ``NothingToValidate`` without cases or reference solutions."""
    if not problem.test_cases.exists():
        raise NothingToValidate("The problem has no test cases yet; add some first.")
    if not problem.reference_solutions.exists():
        raise NothingToValidate(
            "The problem has no reference solution; add one to validate its test data."
        )
    problem_validation_request(problem_id=problem.pk)


def problem_validate(
    *,
    problem_id: int,
    executor: CodeExecutorService | None = None,
    retry_allowed: bool = False,
) -> int:
    """Judge every reference solution of the problem on all its cases; store what came out.

    Returns how many solutions were stored (0 when the problem is gone, has no cases, or changed
    meanwhile). With ``retry_allowed`` a retryable ``JudgeError`` is raised for the task to retry
    (nothing stored); otherwise it is stored as an infrastructure failure.
    """
    problem = Problem.objects.filter(pk=problem_id).first()
    if problem is None:
        return 0
    cases = list(problem.test_cases.order_by("order", "id"))
    references = list(problem.reference_solutions.order_by("language", "id"))
    if not cases or not references:
        return 0
    fingerprint = judging_fingerprint(problem, cases, references)
    executor = executor or CodeExecutorService()
    outcomes = {}
    for reference in references:
        try:
            evaluation = executor.evaluate(problem, reference.language, reference.code, cases)
        except InvalidExpectedOutput as exc:
            outcomes[reference.pk] = _failure("test_data", f"Bad test data: {exc.message}")
        except JudgeError as exc:
            if exc.retryable and retry_allowed:
                raise
            logger.warning("validating problem %s (%s) failed: %s", problem_id, reference, exc)
            outcomes[reference.pk] = _failure(
                "infrastructure", f"The judge could not run the solution: {exc.message}"
            )
        except (TemplateError, SourceTooLarge) as exc:
            outcomes[reference.pk] = _failure("configuration", f"The problem's settings: {exc}")
        else:
            outcomes[reference.pk] = _success(evaluation)
    return _store(
        problem_id=problem_id, fingerprint=fingerprint, references=references, outcomes=outcomes
    )


def judging_fingerprint(problem: Problem, cases, references) -> str:
    """A digest of everything that decides the verdicts of the problem's reference solutions."""
    data = [
        [getattr(problem, name) for name in JUDGING_FIELDS],
        [
            [c.pk, c.order, c.input, c.expected_output, c.weight, c.is_sample, c.subtask_id]
            for c in cases
        ],
        [
            [
                t.pk,
                t.order,
                t.points,
                t.scoring,
                t.short_circuit,
                *sorted(d.pk for d in t.depends_on.all()),
            ]
            for t in problem.subtasks.all()
        ],
        [[r.pk, r.language, r.code] for r in references],
    ]
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def _store(*, problem_id: int, fingerprint: str, references, outcomes: dict) -> int:
    now = timezone.now()
    with transaction.atomic():
        problem = Problem.objects.select_for_update().filter(pk=problem_id).first()
        current = problem is not None and fingerprint == judging_fingerprint(
            problem,
            problem.test_cases.order_by("order", "id"),
            problem.reference_solutions.order_by("language", "id"),
        )
        if not current:
            logger.info("problem %s changed during validation; results dropped", problem_id)
            return 0
        stored = 0
        for reference in references:
            status, score, details = outcomes[reference.pk]
            stored += ReferenceSolution.objects.filter(pk=reference.pk).update(
                validation_status=status,
                validation_score=score,
                validation_details=details,
                validated_at=now,
            )
    return stored


def evaluation_outcome(evaluation: Evaluation) -> tuple:
    """``(validation_status, validation_score, validation_details)`` of a reference solution's
    evaluation, as a validation stores them (the package importer judges before it writes)."""
    return _success(evaluation)


def _success(evaluation: Evaluation) -> tuple:
    summary = evaluation.summary
    failing = evaluation.first_failing
    details = _details(
        cases=[
            {
                "order": judged.test_case.order,
                "is_sample": judged.test_case.is_sample,
                "verdict": judged.verdict.value,
                "score": str(judged.score),
                "message": judged.message,
                "time_ms": judged.result.cpu_time_ms,
                "memory_kb": judged.result.memory_kb,
            }
            for judged in evaluation.judged
        ],
        passed_cases=summary.passed_cases,
        total_cases=summary.total_cases,
        max_time_ms=summary.max_cpu_time_ms,
        peak_memory_kb=summary.peak_memory_kb,
        compile_output=evaluation.judged[0].result.compile_output[:VALIDATION_TEXT_CHARS],
    )
    if failing is not None:
        details["first_failure"] = {
            "order": failing.test_case.order,
            "verdict": failing.verdict.value,
            "message": failing.message,
            "output": _text(failing.result.stdout),
            "error_output": _text(failing.result.stderr),
        }
    if evaluation.subtasks is not None:
        details["subtasks"] = [result.as_dict() for result in evaluation.subtasks]
    return summary.verdict.value, summary.score, details


def _failure(cause: str, message: str) -> tuple:
    return "internal_error", None, _details(error=message, cause=cause)


def _details(**values) -> dict:
    """Every key is always there, so readers need no guessing."""
    details = {
        "cases": [],
        "passed_cases": 0,
        "total_cases": 0,
        "max_time_ms": None,
        "peak_memory_kb": None,
        "compile_output": "",
        "first_failure": None,
        "error": "",
        "cause": "",
    }
    details.update(values)
    return details


def _text(data: bytes) -> str:
    return visible_text(data, VALIDATION_TEXT_CHARS).replace("\x00", "")
