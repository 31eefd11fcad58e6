"""From run results to case verdicts, and from case verdicts to a submission's verdict and score.

Pure functions over values: no backend, no database, so every rule here is unit-tested alone.

- A case is accepted when its run ended cleanly (``Outcome.OK``) and the checker accepts its
  stdout; any other outcome gives its verdict through ``verdicts.OUTCOME_VERDICTS``.
- A submission's verdict is that of its first failing case, in case order; ``accepted`` if none
  fails. A compilation error ends judging at once: the verdict is ``compilation_error`` and the
  score 0, whatever other cases say (no case ran a program).
- The score is the weighted share of accepted cases, a ``Decimal`` in [0, 1] with
  ``SCORE_PLACES`` decimals, rounded *down*, so that 1 means exactly "every case passed".
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


@dataclass(frozen=True, slots=True)
class CaseResult:
    """One judged test case: its verdict, its weight, and the run behind it (if any)."""

    verdict: Verdict
    weight: int | Decimal = 1
    result: RunResult | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "verdict", Verdict(self.verdict))
        if not self.verdict.is_final:
            raise ValueError(f"a case verdict must be final, not {self.verdict!r}")
        if self.weight <= 0:
            raise ValueError("a case weight must be positive")

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


def case_verdict(
    result: RunResult,
    expected: bytes | str,
    checker: Checker | CheckerKind | str = CheckerKind.EXACT,
) -> Verdict:
    """The verdict of one run against its expected output.

    ``result`` must already be post-processed (``templates.postprocess``). A clean run whose
    stdout was truncated is an output limit: output that was cut cannot be judged.
    """
    verdict = verdict_for_outcome(result.outcome)
    if verdict is not None:
        return verdict
    if result.stdout_truncated:
        return Verdict.OUTPUT_LIMIT_EXCEEDED
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


def aggregate(cases: Sequence[CaseResult]) -> Aggregate:
    """The submission's verdict and score from its case outcomes, in case order."""
    if not cases:
        raise ValueError("no cases to aggregate")
    max_cpu = max(case.cpu_time_ms for case in cases)
    max_wall = max(case.wall_time_ms for case in cases)
    peak_memory = max(case.memory_kb for case in cases)

    for index, case in enumerate(cases):
        if case.verdict is Verdict.COMPILATION_ERROR:
            return Aggregate(
                verdict=Verdict.COMPILATION_ERROR,
                score=Decimal(0).quantize(SCORE_QUANTUM),
                passed_cases=0,
                total_cases=len(cases),
                first_failed_index=index,
                max_cpu_time_ms=max_cpu,
                max_wall_time_ms=max_wall,
                peak_memory_kb=peak_memory,
            )

    first_failed = next((i for i, case in enumerate(cases) if not case.passed), None)
    passed = [case for case in cases if case.passed]
    total_weight = sum((Decimal(case.weight) for case in cases), Decimal(0))
    passed_weight = sum((Decimal(case.weight) for case in passed), Decimal(0))
    score = score_share(passed_weight, total_weight)
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
