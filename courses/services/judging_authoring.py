"""Authoring what decides verdicts beyond single cases: tests written as code and subtasks.

- ``test_code_preview`` / ``test_code_import``: a block of ``assert EXPR == LITERAL`` lines split
  into one case per assert (``judging.tests_as_code.split_test_code``); a bad line is refused
  naming it, and nothing is written.
- ``subtask_create`` / ``subtask_update`` / ``subtask_delete``: groups of cases with points.
  Dependencies name earlier subtasks of the same problem (so none is circular); the cases of a
  subtask are given by their orders. Once a problem has subtasks, every case must be in one:
  creating or changing a subtask that leaves a case in none is refused, as ``testdata`` refuses
  a case without one (judging ends ``internal_error`` on a problem that breaks the rule anyway).
  So a problem's first subtask takes all its cases, and later ones take theirs from it.
"""

from __future__ import annotations

from django.db import transaction

from courses.judging import tests_as_code as tac
from courses.models import Problem, ProblemTestCase, Subtask
from courses.services import model_checks
from courses.services.errors import InvalidInput
from courses.services.testdata import CaseData, cases_add
from courses.services.validation import problem_validation_request

TEST_CODE_MODES = ("replace", "append")


# --- Tests written as code -----------------------------------------------------------------------


def _split(code: str) -> list[tac.TestExpression]:
    try:
        return tac.split_test_code(code)
    except tac.TestCodeError as exc:
        raise InvalidInput(f"The tests cannot be used: {exc}", fields={"code": str(exc)}) from exc


def test_code_preview(*, code: str) -> list[dict]:
    """How ``code`` splits into cases: ``[{"line", "input", "expected_output", "is_sample"}]``."""
    return [
        {
            "line": test.line,
            "input": test.expr,
            "expected_output": test.literal,
            "is_sample": test.is_sample,
        }
        for test in _split(code)
    ]


test_code_preview.__test__ = False  # type: ignore[attr-defined]


def test_code_import(
    *, problem: Problem, code: str, mode: str = "replace"
) -> list[ProblemTestCase]:
    """Make ``code``'s tests the problem's cases (``replace``) or add them (``append``).

    Only for a tests-as-code problem. Replacing deletes the current cases; past results keep
    their verdicts (their link to the case becomes empty).
    """
    if problem.io_mode != Problem.IoMode.TESTS:
        raise InvalidInput(
            "Only a problem with tests written as code takes them (io_mode: tests).",
            fields={"io_mode": "must be tests"},
        )
    if mode not in TEST_CODE_MODES:
        raise InvalidInput("mode is replace or append.", fields={"mode": "replace or append"})
    tests = _split(code)
    with transaction.atomic():
        Problem.objects.select_for_update().filter(pk=problem.pk).first()
        if mode == "replace":
            problem.test_cases.all().delete()
        return cases_add(
            problem=problem,
            cases=[CaseData(t.expr, t.literal, is_sample=t.is_sample) for t in tests],
            field="code",
        )


test_code_import.__test__ = False  # type: ignore[attr-defined]


# --- Subtasks ------------------------------------------------------------------------------------


def _set_links(subtask: Subtask, depends_on: list[int] | None, cases: list[int] | None) -> None:
    if depends_on is not None:
        earlier = Subtask.objects.filter(
            problem_id=subtask.problem_id, pk__in=depends_on, order__lt=subtask.order
        )
        if earlier.count() != len(set(depends_on)):
            raise InvalidInput(
                "A subtask depends only on earlier subtasks of its problem.",
                fields={"depends_on": "ids of earlier subtasks of this problem"},
            )
        subtask.depends_on.set(earlier)
    if cases is not None:
        found = ProblemTestCase.objects.filter(problem_id=subtask.problem_id, order__in=cases)
        if found.count() != len(set(cases)):
            missing = sorted(set(cases) - set(found.values_list("order", flat=True)))
            raise InvalidInput(
                f"No case with order {missing} in this problem.",
                fields={"cases": f"unknown case orders {missing}"},
            )
        found.update(subtask=subtask)


def _loose_cases(problem_id: int):
    """The problem's cases in no subtask, in order."""
    return ProblemTestCase.objects.filter(problem_id=problem_id, subtask__isnull=True).order_by(
        "order", "pk"
    )


def _check_all_cases_grouped(problem_id: int) -> None:
    """``InvalidInput`` naming ``cases`` when the problem has subtasks and a case in none."""
    if not Subtask.objects.filter(problem_id=problem_id).exists():
        return
    orders = list(_loose_cases(problem_id).values_list("order", flat=True)[:10])
    if orders:
        raise InvalidInput(
            f"Every case of a problem with subtasks must be in one; cases {orders} would be in "
            "none. List them in cases: a problem's first subtask takes every case (leave cases "
            "out), and later subtasks take theirs from the earlier ones.",
            fields={"cases": f"cases {orders} would be in no subtask"},
        )


def subtask_take_loose_cases(*, subtask: Subtask) -> list[int]:
    """Put the cases of ``subtask``'s problem that are in no subtask into it; their orders.

    What a new subtask does when its ``cases`` are left out: for a problem's first subtask that
    is every case, so a problem with cases gets subtasks in one valid step (the admin does the
    same for the first subtask added on the problem's page, whose case rows cannot name a
    subtask saved in the same request).
    """
    loose = _loose_cases(subtask.problem_id)
    orders = list(loose.values_list("order", flat=True))
    loose.update(subtask=subtask)
    return orders


def subtask_create(
    *,
    problem: Problem,
    points: int,
    name: str = "",
    order: int | None = None,
    scoring: str = Subtask.Scoring.ALL_OR_NOTHING,
    short_circuit: bool = True,
    depends_on: list[int] | None = None,
    cases: list[int] | None = None,
) -> Subtask:
    """Add a subtask; ``cases`` are the orders of the cases it takes (from any other subtask).

    Left out, ``cases`` are the cases in no subtask (``subtask_take_loose_cases``): all of them
    for a problem's first subtask. Afterwards every case of the problem must be in a subtask,
    else ``InvalidInput`` naming ``cases`` and nothing is written: judging a problem with a case
    in no subtask can only end ``internal_error``. So the first subtask takes every case and
    each later one takes its cases from the earlier ones (docs/decisions.md).
    """
    with transaction.atomic():
        Problem.objects.select_for_update().filter(pk=problem.pk).first()
        siblings = Subtask.objects.filter(problem=problem)
        if order is None:
            order = model_checks.next_order(siblings)
        subtask = Subtask(
            problem=problem,
            order=order,
            name=name,
            points=points,
            scoring=scoring,
            short_circuit=short_circuit,
        )
        model_checks.clean_fields(subtask, exclude=["problem"])
        model_checks.require_order_free(siblings, order)
        model_checks.save(subtask)
        _set_links(subtask, depends_on, cases)
        if cases is None:
            subtask_take_loose_cases(subtask=subtask)
        _check_all_cases_grouped(problem.pk)
        problem_validation_request(problem_id=problem.pk)
    return subtask


def subtask_update(
    *,
    subtask: Subtask,
    depends_on: list[int] | None = None,
    cases: list[int] | None = None,
    **changes,
) -> Subtask:
    """Change a subtask; ``cases`` moves those cases into it (from the other subtasks).

    Refused (``InvalidInput`` naming ``cases``) when a case of the problem would be in no
    subtask afterwards, as for ``subtask_create``.
    """
    with transaction.atomic():
        Problem.objects.select_for_update().filter(pk=subtask.problem_id).first()
        for name, value in changes.items():
            setattr(subtask, name, value)
        model_checks.clean_fields(subtask, exclude=["problem"])
        if "order" in changes:
            model_checks.require_order_free(
                Subtask.objects.filter(problem_id=subtask.problem_id),
                subtask.order,
                exclude_pk=subtask.pk,
            )
        model_checks.save(subtask)
        _set_links(subtask, depends_on, cases)
        _check_all_cases_grouped(subtask.problem_id)
        problem_validation_request(problem_id=subtask.problem_id)
    return subtask


def subtask_delete(*, subtask: Subtask) -> None:
    """Delete a subtask; its cases go to no subtask, so this works only for the last one or
    when the cases are moved first (``RESTRICT`` otherwise: the error names them)."""
    with transaction.atomic():
        Problem.objects.select_for_update().filter(pk=subtask.problem_id).first()
        problem_id = subtask.problem_id
        if Subtask.objects.filter(problem_id=problem_id).count() == 1:
            subtask.test_cases.update(subtask=None)
        elif subtask.test_cases.exists():
            orders = list(subtask.test_cases.values_list("order", flat=True)[:10])
            raise InvalidInput(
                f"Move the subtask's cases {orders} to another subtask first.",
                fields={"cases": f"cases {orders} are still in it"},
            )
        subtask.delete()
        problem_validation_request(problem_id=problem_id)


def subtasks_check(*, problem: Problem) -> None:
    """Refuse a problem with subtasks whose cases are not all in one (``InvalidInput``)."""
    _check_all_cases_grouped(problem.pk)
