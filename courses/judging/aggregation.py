"""From run results to case verdicts, and from case verdicts to a submission's verdict and score.

Pure functions over values: no backend, no database, so every rule here is unit-tested alone.

- A case is accepted when its run ended cleanly (``Outcome.OK``) and the checker accepts its
  stdout; any other outcome gives its verdict through ``verdicts.OUTCOME_VERDICTS``.
- A submission's verdict is that of its first failing case, in case order; ``accepted`` if none
  fails. A compilation error ends judging at once: the verdict is ``compilation_error`` and the
  score 0, whatever other cases say (no case ran a program). A case ``internal_error`` (a
  custom checker that failed: the instructor's fault) makes the submission ``internal_error``
  with score 0, whatever the order: no verdict is given against the student on a broken judge.
  ``skipped`` cases (subtasks, ``judging.subtasks``) never decide the verdict: a skipped case
  always follows a failing one.
- The score is the weighted share of the cases' scores (1 for accepted, 0 for any other verdict,
  or a custom checker's partial score on a wrong answer), a ``Decimal`` in [0, 1] with
  ``SCORE_PLACES`` decimals, rounded *down*, so that 1 means exactly "every case passed". With
  subtasks the score is theirs instead (``subtasks.score``).
  Every weight is positive (the model refuses 0 at save, docs/decisions.md): a case that
  counts for nothing could fail and give a wrong answer a full score, so verdict and score would
  disagree. No cases at all is an error: there is nothing to judge.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from courses.judging.checkers import Checker, CheckerKind
from courses.judging.types import RunResult, Verdict
from courses.judging.verdicts import verdict_for_outcome

SCORE_PLACES = 4
SCORE_QUANTUM = Decimal(1).scaleb(-SCORE_PLACES)  # Decimal("0.0001")
SKIPPED = Verdict.SKIPPED


@dataclass(frozen=True, slots=True)
class CaseResult:
    """One judged test case: its verdict, its weight, the run behind it (if any), and its score.

    ``score`` is the share of the case earned: ``None`` means 1 when accepted, else 0; a partial
    score (a custom checker's) goes with a ``wrong_answer``.
    """

    verdict: Verdict
    weight: int | Decimal = 1
    result: RunResult | None = None
    score: Decimal | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "verdict", Verdict(self.verdict))
        if not self.verdict.is_final:
            raise ValueError(f"a case verdict must be final, not {self.verdict!r}")
        if self.weight <= 0:
            raise ValueError("a case weight must be positive")
        if self.score is None:
            object.__setattr__(self, "score", Decimal(1 if self.passed else 0))
        elif not Decimal(0) <= self.score <= Decimal(1):
            raise ValueError("a case score is in [0, 1]")
        elif self.passed != (self.score == 1):
            raise ValueError("a case scores 1 exactly when it is accepted")

    @property
    def passed(self) -> bool:
        return self.verdict is Verdict.ACCEPTED

    @property
    def cpu_time_ms(self) -> int:
        return self.result.cpu_time_ms if self.result is not None else 0

    @property
    def wall_time_ms(self) -> int:
        return self.result.wall_time_ms if self.result is not None else 0

    @property
    def memory_kb(self) -> int:
        return self.result.memory_kb if self.result is not None else 0


@dataclass(frozen=True, slots=True)
class Aggregate:
    """A submission's verdict and score, with the figures shown next to them."""

    verdict: Verdict
    score: Decimal
    passed_cases: int
    total_cases: int
    #: Index (0-based, in case order) of the case that decided a failing verdict.
    first_failed_index: int | None
    max_cpu_time_ms: int
    max_wall_time_ms: int
    peak_memory_kb: int


def run_verdict(result: RunResult) -> Verdict:
    """The verdict of a run judged by nothing but its outcome (a free run): clean is accepted."""
    return verdict_for_outcome(result.outcome) or Verdict.ACCEPTED


def verdict_before_checking(result: RunResult) -> Verdict | None:
    """The verdict a run has whatever its output says, or ``None`` when a checker must decide.

    A clean run whose stdout was truncated is an output limit: output that was cut cannot be
    judged.
    """
    verdict = verdict_for_outcome(result.outcome)
    if verdict is None and result.stdout_truncated:
        return Verdict.OUTPUT_LIMIT_EXCEEDED
    return verdict


def case_verdict(
    result: RunResult,
    expected: bytes | str,
    checker: Checker | CheckerKind | str = CheckerKind.EXACT,
) -> Verdict:
    """The verdict of one run against its expected output.

    ``result`` must already be post-processed (``python_compile.postprocess``).
    """
    verdict = verdict_before_checking(result)
    if verdict is not None:
        return verdict
    if not isinstance(checker, Checker):
        checker = Checker(CheckerKind(checker))
    return Verdict.ACCEPTED if checker(expected, result.stdout) else Verdict.WRONG_ANSWER


def judge_case(
    result: RunResult,
    expected: bytes | str,
    checker: Checker | CheckerKind | str = CheckerKind.EXACT,
    *,
    weight: int | Decimal = 1,
) -> CaseResult:
    """``case_verdict`` with the weight and the run kept, ready for ``aggregate``."""
    return CaseResult(case_verdict(result, expected, checker), weight, result)


def score_share(passed_weight: Decimal, total_weight: Decimal) -> Decimal:
    """``passed / total`` rounded down to ``SCORE_PLACES`` decimals (``total`` must be > 0)."""
    return (passed_weight / total_weight).quantize(SCORE_QUANTUM, rounding=ROUND_DOWN)


def aggregate(cases: Sequence[CaseResult], *, score: Decimal | None = None) -> Aggregate:
    """The submission's verdict and score from its case outcomes, in case order.

    ``score``: the score already computed from subtasks (``subtasks.score``), used instead of
    the cases' weighted share.
    """
    if not cases:
        raise ValueError("no cases to aggregate")
    max_cpu = max(case.cpu_time_ms for case in cases)
    max_wall = max(case.wall_time_ms for case in cases)
    peak_memory = max(case.memory_kb for case in cases)

    for stop in (Verdict.COMPILATION_ERROR, Verdict.INTERNAL_ERROR):
        index = next((i for i, case in enumerate(cases) if case.verdict is stop), None)
        if index is not None:
            return Aggregate(
                verdict=stop,
                score=Decimal(0).quantize(SCORE_QUANTUM),
                passed_cases=0,
                total_cases=len(cases),
                first_failed_index=index,
                max_cpu_time_ms=max_cpu,
                max_wall_time_ms=max_wall,
                peak_memory_kb=peak_memory,
            )

    decisive = (
        i for i, case in enumerate(cases) if not case.passed and case.verdict is not SKIPPED
    )
    first_failed = next(decisive, None)
    if first_failed is None and any(case.verdict is SKIPPED for case in cases):
        raise ValueError("a case was skipped although no case failed")
    passed = [case for case in cases if case.passed]
    if score is None:
        total_weight = sum((Decimal(case.weight) for case in cases), Decimal(0))
        earned = sum((Decimal(case.weight) * case.score for case in cases), Decimal(0))
        score = score_share(earned, total_weight)
    return Aggregate(
        verdict=Verdict.ACCEPTED if first_failed is None else cases[first_failed].verdict,
        score=score,
        passed_cases=len(passed),
        total_cases=len(cases),
        first_failed_index=first_failed,
        max_cpu_time_ms=max_cpu,
        max_wall_time_ms=max_wall,
        peak_memory_kb=peak_memory,
    )
