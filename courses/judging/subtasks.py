"""Subtasks: groups of cases scored together, with dependencies and short-circuit.

Pure rules over values (the executor runs the cases; ``courses.models.Subtask`` stores these):

- Subtasks are taken in order. One whose dependencies (earlier subtasks) did not all earn their
  full points is not run at all: its cases are ``skipped`` and it earns nothing.
- A subtask without cases proves nothing: it is ``skipped`` and earns nothing (so no submission
  gets its points for free, and the reference solution's validation shows the gap).
- Otherwise its cases run; with ``short_circuit`` they run one after the other and stop at the
  first case that does not pass, the rest ``skipped``.
- ``all_or_nothing`` earns the subtask's points only if every case passed; ``minimum`` earns
  them times the lowest case score (partial scores come from custom checkers; a skipped case
  scores 0).
- The submission's score is the points earned over the points of every subtask, rounded down
  like any score (``aggregation.score_share``); its verdict stays that of the first failing case
  (``skipped`` is a case state, never a submission verdict).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from courses.judging.aggregation import CaseResult, score_share


class Scoring(StrEnum):
    ALL_OR_NOTHING = "all_or_nothing"
    MINIMUM = "minimum"


class SubtaskStatus(StrEnum):
    PASSED = "passed"
    PARTIAL = "partial"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class SubtaskSpec:
    """One subtask: ``key`` identifies it (its id), ``depends_on`` holds other subtasks' keys."""

    key: int
    order: int
    name: str
    points: int
    scoring: Scoring = Scoring.ALL_OR_NOTHING
    short_circuit: bool = True
    depends_on: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class SubtaskResult:
    key: int
    order: int
    name: str
    points: int
    earned: Decimal
    status: SubtaskStatus

    def as_dict(self) -> dict:
        return {
            "order": self.order,
            "name": self.name,
            "points": self.points,
            "earned": str(self.earned),
            "status": self.status.value,
        }


def check_dependencies(specs: Sequence[SubtaskSpec]) -> None:
    """``ValueError`` unless every dependency names an earlier subtask (so none is circular)."""
    seen: set[int] = set()
    for spec in sorted(specs, key=lambda s: s.order):
        for key in spec.depends_on:
            if key not in seen:
                raise ValueError(
                    f"subtask {spec.order} may only depend on earlier subtasks of its problem"
                )
        seen.add(spec.key)


def runnable(spec: SubtaskSpec, done: Mapping[int, SubtaskResult]) -> bool:
    """Whether ``spec``'s cases run: every subtask it depends on earned its full points."""
    return all(
        done[key].status is SubtaskStatus.PASSED for key in spec.depends_on if key in done
    ) and all(key in done for key in spec.depends_on)


def subtask_result(spec: SubtaskSpec, cases: Sequence[CaseResult]) -> SubtaskResult:
    """What ``spec`` earned from its judged (or skipped) cases."""
    if all(case.verdict == "skipped" for case in cases):  # none ran, or it has none
        return _result(spec, Decimal(0), SubtaskStatus.SKIPPED)
    if spec.scoring is Scoring.MINIMUM:
        share = min(case.score for case in cases)
    else:
        share = Decimal(1 if all(case.passed for case in cases) else 0)
    earned = Decimal(spec.points) * share
    if share == 1:
        status = SubtaskStatus.PASSED
    elif share > 0:
        status = SubtaskStatus.PARTIAL
    else:
        status = SubtaskStatus.FAILED
    return _result(spec, earned, status)


def _result(spec: SubtaskSpec, earned: Decimal, status: SubtaskStatus) -> SubtaskResult:
    return SubtaskResult(spec.key, spec.order, spec.name, spec.points, earned, status)


def score(results: Sequence[SubtaskResult]) -> Decimal:
    """The submission's score: points earned over all points (``ValueError`` if none)."""
    total = sum((Decimal(r.points) for r in results), Decimal(0))
    if total <= 0:
        raise ValueError("no subtask points to score")
    return score_share(sum((r.earned for r in results), Decimal(0)), total)
