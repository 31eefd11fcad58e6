"""From code and a problem's cases to judged cases: run, check, group into subtasks.

``evaluate`` is the one path from code to verdict (``CodeExecutorService.evaluate`` calls it, for
submissions, samples and reference solutions alike); it writes nothing. It decides, per problem:

- the program: the student's code in its wrapper (function template, stdio as is, or the
  tests-as-code harness, ``judging.tests_as_code``) and the run limits for the language
  (``problem_limits``: the problem's limits scaled by the per-language multiplier and allowance);
- how a clean run is checked: a built-in checker, the tests-as-code comparison (outside the
  box), or the problem's custom checker, itself run through the backend (never in this process):
  a checker that fails makes the case ``internal_error`` (``judging.custom_checkers``);
- how cases run: one batch, or subtask by subtask (``judging.subtasks``) when the problem has
  subtasks, short-circuited cases one at a time. Only a single batch takes the backend's
  checkpoint (Judge0's remote tokens); a subtask judging that is retried runs again.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.conf import settings

from courses.judging import (
    aggregation,
    checkers,
    custom_checkers,
    python_compile,
    subtasks,
    templates,
)
from courses.judging import tests_as_code as tac
from courses.judging.backends.base import JudgeBackend, run_batch
from courses.judging.errors import JudgeError
from courses.judging.types import Limits, Outcome, RunRequest, RunResult, Verdict
from courses.models import Problem, ProblemTestCase

#: The result a skipped case carries: nothing ran.
NOT_RUN = RunResult(Outcome.OK)


@dataclass(frozen=True)
class JudgedCase:
    """One case: its run, verdict, score in [0, 1] and message (checker's or harness's)."""

    test_case: ProblemTestCase
    result: RunResult
    verdict: Verdict
    score: Decimal | None = None
    message: str = ""

    def __post_init__(self) -> None:
        if self.score is None:
            object.__setattr__(self, "score", Decimal(1 if self.verdict is Verdict.ACCEPTED else 0))

    @property
    def case_result(self) -> aggregation.CaseResult:
        run = None if self.verdict is Verdict.SKIPPED else self.result
        return aggregation.CaseResult(self.verdict, self.test_case.weight, run, self.score)


@dataclass(frozen=True)
class Evaluation:
    """Code run on a problem's cases and checked: each case, then the verdict and score."""

    judged: list[JudgedCase]
    summary: aggregation.Aggregate
    #: Per subtask, in order, when the cases were judged by subtasks; else None.
    subtasks: list[subtasks.SubtaskResult] | None = field(default=None)

    def position_of(self, judged: JudgedCase) -> int:
        """The case's number as pages show it: its place among the judged cases, from 1 (its
        ``order`` may start at 0 or have gaps)."""
        return next(i for i, j in enumerate(self.judged, start=1) if j is judged)

    @property
    def first_failing(self) -> JudgedCase | None:
        """The case that decided a failing verdict (a checker's failure first), or None."""
        if self.summary.verdict is Verdict.INTERNAL_ERROR:
            return next(j for j in self.judged if j.verdict is Verdict.INTERNAL_ERROR)
        return next(
            (j for j in self.judged if j.verdict not in (Verdict.ACCEPTED, Verdict.SKIPPED)),
            None,
        )


# --- Programs and limits ---------------------------------------------------------------------


def language_limits(problem: Problem, language: str) -> dict:
    """``{"time_multiplier", "memory_extra_kb"}`` of ``language`` for ``problem``: the site's
    ``COURSES_LANGUAGE_LIMITS``, each value overridden by the problem's ``language_limits``."""
    merged = {"time_multiplier": 1.0, "memory_extra_kb": 0}
    merged.update(settings.COURSES_LANGUAGE_LIMITS.get(language, {}))
    merged.update((problem.language_limits or {}).get(language, {}))
    return merged


def problem_limits(problem: Problem, language: str | None = None) -> Limits:
    """Per-case limits: CPU as the problem says (times the language's multiplier), memory plus
    the language's allowance, the wall clock with room for a loaded host."""
    multiplier, extra_kb = 1.0, 0
    if language is not None:
        limits = language_limits(problem, language)
        multiplier, extra_kb = float(limits["time_multiplier"]), int(limits["memory_extra_kb"])
    time_ms = max(1, round(problem.time_limit_ms * multiplier))
    return Limits(
        cpu_time_ms=time_ms,
        wall_time_ms=2 * time_ms + 1000,
        memory_kb=problem.memory_limit_kb + extra_kb,
        output_bytes=problem.output_limit_kb * 1024,
    )


def language_takes_json_arguments(problem: Problem, language: str) -> bool:
    """Whether ``language``'s harness for ``problem`` reads the input as a JSON array of
    arguments: function-style Python and JavaScript do, unless the problem overrides that
    language's template (then the instructor's template defines the input format)."""
    return (
        problem.io_mode == Problem.IoMode.FUNCTION
        and language in templates.JSON_ARGUMENT_LANGUAGES
        and language not in (problem.template_overrides or {})
    )


def shown_result(problem: Problem, result: RunResult) -> RunResult:
    """The run as stored and shown: a tests-as-code run's stdout is its harness's report
    (``V2.0``), shown as the value (``2.0``, ``tests_as_code.shown_output``)."""
    if problem.io_mode != Problem.IoMode.TESTS:
        return result
    return replace(result, stdout=tac.shown_output(result.stdout))


def problem_program(problem: Problem, language: str, code: str) -> str:
    """The complete program for a problem: the student's code in its wrapper."""
    if problem.io_mode == Problem.IoMode.FUNCTION:
        return templates.wrap(
            language,
            code,
            entry_point=problem.entry_point,
            template=(problem.template_overrides or {}).get(language),
        )
    if problem.io_mode == Problem.IoMode.TESTS:
        return tac.expression_program(code, problem.setup_code)
    return templates.wrap_stdio(language, code)


def checker_program(problem: Problem) -> str:
    """The custom checker as its language runs it (Python: in the compile-first launcher)."""
    return templates.wrap_stdio(problem.checker_language, problem.checker_code)


def checker_limits() -> Limits:
    configured = getattr(settings, "COURSES_CHECKER_LIMITS", None)
    return Limits(**configured) if configured else custom_checkers.DEFAULT_CHECKER_LIMITS


# --- Evaluation ------------------------------------------------------------------------------


def evaluate(
    backend: JudgeBackend,
    problem: Problem,
    language: str,
    code: str,
    cases: list[ProblemTestCase],
    *,
    checkpoint=None,
    max_wait_s: float | None = None,
    by_subtasks: bool = True,
) -> Evaluation:
    """Run ``code`` on ``cases`` of ``problem`` and check each; nothing is written.

    ``by_subtasks``: judge by the problem's subtasks when it has some (the samples alone are
    judged without them). ``JudgeError`` for infrastructure failures; ``cases`` not empty.
    """
    runner = _Runner(backend, problem, language, code, max_wait_s)
    specs = subtask_specs(problem) if by_subtasks else []
    if not specs:
        judged = runner.run(cases, checkpoint=checkpoint)
        summary = aggregation.aggregate([j.case_result for j in judged])
        return Evaluation(judged, summary)
    judged, results = _by_subtasks(runner, specs, cases)
    summary = aggregation.aggregate([j.case_result for j in judged], score=subtasks.score(results))
    return Evaluation(judged, summary, results)


def subtask_specs(problem: Problem) -> list[subtasks.SubtaskSpec]:
    """The problem's subtasks; none for a problem not saved yet (a package being imported is
    judged before it is written: a reference solution must pass every case anyway)."""
    if problem.pk is None:
        return []
    return [
        subtasks.SubtaskSpec(
            key=subtask.pk,
            order=subtask.order,
            name=subtask.name,
            points=subtask.points,
            scoring=subtasks.Scoring(subtask.scoring),
            short_circuit=subtask.short_circuit,
            depends_on=tuple(sorted(d.pk for d in subtask.depends_on.all())),
        )
        for subtask in problem.subtasks.order_by("order", "id").prefetch_related("depends_on")
    ]


def _by_subtasks(runner: _Runner, specs, cases):
    groups: dict[int, list[ProblemTestCase]] = {spec.key: [] for spec in specs}
    for case in cases:
        if case.subtask_id not in groups:
            raise JudgeError(
                f"test case {case.order} belongs to no subtask of its problem; every case of a "
                "problem with subtasks must be in one"
            )
        groups[case.subtask_id].append(case)
    judged_by_pk: dict[int, JudgedCase] = {}
    done: dict[int, subtasks.SubtaskResult] = {}
    compile_error: JudgedCase | None = None
    for spec in specs:
        group = groups[spec.key]
        if compile_error is not None:
            judged = [_like(compile_error, case) for case in group]
        elif not subtasks.runnable(spec, done):
            judged = [_skipped(case) for case in group]
        elif spec.short_circuit:
            judged = []
            for index, case in enumerate(group):
                (one,) = runner.run([case])
                judged.append(one)
                if one.verdict is not Verdict.ACCEPTED:
                    judged += [_skipped(rest) for rest in group[index + 1 :]]
                    break
        else:
            judged = runner.run(group) if group else []
        compile_error = compile_error or next(
            (j for j in judged if j.verdict is Verdict.COMPILATION_ERROR), None
        )
        done[spec.key] = subtasks.subtask_result(spec, [j.case_result for j in judged])
        judged_by_pk.update((j.test_case.pk, j) for j in judged)
    in_order = [judged_by_pk[case.pk] for case in cases]
    return in_order, [done[spec.key] for spec in specs]


def _skipped(case: ProblemTestCase) -> JudgedCase:
    return JudgedCase(case, NOT_RUN, Verdict.SKIPPED)


def _like(judged: JudgedCase, case: ProblemTestCase) -> JudgedCase:
    return JudgedCase(case, judged.result, judged.verdict)


class _Runner:
    """Runs a batch of cases and checks each run, the problem's way."""

    def __init__(self, backend, problem: Problem, language: str, code: str, max_wait_s) -> None:
        self.backend = backend
        self.problem = problem
        self.language = language
        self.source = problem_program(problem, language, code)
        self.limits = problem_limits(problem, language)
        self.max_wait_s = max_wait_s
        self.checker = checkers.get_checker(
            problem.checker
            if problem.checker != Problem.Checker.CUSTOM
            else checkers.CheckerKind.EXACT,
            abs_tol=problem.float_abs_tolerance,
            rel_tol=problem.float_rel_tolerance,
        )

    def run(self, cases: list[ProblemTestCase], *, checkpoint=None) -> list[JudgedCase]:
        requests = [
            RunRequest(self.language, self.source, case.input.encode(), self.limits)
            for case in cases
        ]
        results = run_batch(
            self.backend, requests, checkpoint=checkpoint, max_wait_s=self.max_wait_s
        )
        if len(results) != len(requests):
            raise JudgeError(
                f"backend {self.backend.name} returned {len(results)} results "
                f"for {len(requests)} cases"
            )
        results = [
            python_compile.postprocess(self.language, result, self.source) for result in results
        ]
        if self.problem.io_mode == Problem.IoMode.TESTS:
            pairs = zip(cases, results, strict=True)
            return [self._compare(case, result) for case, result in pairs]
        if self.problem.checker == Problem.Checker.CUSTOM:
            return self._custom(cases, results)
        return [
            JudgedCase(
                case,
                result,
                aggregation.case_verdict(result, case.expected_output.encode(), self.checker),
            )
            for case, result in zip(cases, results, strict=True)
        ]

    def _compare(self, case: ProblemTestCase, result: RunResult) -> JudgedCase:
        verdict = aggregation.verdict_before_checking(result)
        if verdict is not None:
            return JudgedCase(case, result, verdict)
        comparison = tac.compare(
            result.stdout,
            case.input.strip(),
            case.expected_output,
            abs_tol=self.problem.float_abs_tolerance,
            rel_tol=self.problem.float_rel_tolerance,
        )
        verdict = Verdict.ACCEPTED if comparison.passed else Verdict.WRONG_ANSWER
        shown = shown_result(self.problem, result)
        return JudgedCase(case, shown, verdict, message=comparison.message)

    def _custom(self, cases, results) -> list[JudgedCase]:
        judged: list[JudgedCase | None] = []
        to_check: list[int] = []
        for index, (case, result) in enumerate(zip(cases, results, strict=True)):
            verdict = aggregation.verdict_before_checking(result)
            if verdict is None:
                judged.append(None)
                to_check.append(index)
            else:
                judged.append(JudgedCase(case, result, verdict))
        if to_check:
            program, limits = checker_program(self.problem), checker_limits()
            requests = [
                RunRequest(
                    self.problem.checker_language,
                    program,
                    custom_checkers.checker_stdin(
                        cases[i].input.encode(),
                        cases[i].expected_output.encode(),
                        results[i].stdout,
                    ),
                    limits,
                )
                for i in to_check
            ]
            # Its own batch (on Judge0, its own submissions); never the student's checkpoint.
            answers = run_batch(self.backend, requests, max_wait_s=self.max_wait_s)
            if len(answers) != len(requests):
                raise JudgeError(f"backend {self.backend.name} lost checker results")
            for index, raw in zip(to_check, answers, strict=True):
                run = python_compile.postprocess(self.problem.checker_language, raw, program)
                judged[index] = _checker_verdict(cases[index], results[index], run)
        return judged  # type: ignore[return-value]


def _checker_verdict(case, result: RunResult, checker_run: RunResult) -> JudgedCase:
    try:
        answer = custom_checkers.read_answer(checker_run)
    except custom_checkers.CheckerFailure as failure:
        return JudgedCase(case, result, Verdict.INTERNAL_ERROR, Decimal(0), str(failure))
    verdict = Verdict.ACCEPTED if answer.accepted else Verdict.WRONG_ANSWER
    return JudgedCase(case, result, verdict, answer.score, answer.message)
