"""A member's standing on each problem: the state, attempts and points the outline and the
progress show (docs/decisions.md, "API: catalogue").

``status`` and ``attempts`` are those of the user's ``ProblemProgress``; the share that counts
is the best judged score *after the course's late policy*: a submission ``d`` days late counts
for ``late_policy.effective_score``. A submission's lateness is fixed when it is made
(``Submission.late_days``), so the policy is applied when reading, and changing it changes
every member's points at once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Exists, F, FilteredRelation, Max, OuterRef, Q, QuerySet

from courses.models import Problem, ProblemProgress, Submission
from courses.services.late_policy import effective_score
from courses.services.progress import COUNTED_VERDICTS

CENTS = Decimal("0.01")
ZERO = Decimal("0")


@dataclass(frozen=True)
class ProblemStanding:
    """A member's result on one problem.

    ``best_score`` is the share that counts (late policy applied), ``points`` that share of the
    problem's points to the cent, ``is_late`` whether that counted best was made late. An
    attempted-but-unsolved problem is ``attempted``; one judged only ``internal_error`` (no
    attempt of the student's) stays ``not_started``.
    """

    status: str
    attempts: int
    best_score: Decimal
    points: Decimal
    first_solved_at: datetime | None
    is_late: bool


NO_STANDING = ProblemStanding(
    ProblemProgress.Status.NOT_STARTED.value, 0, ZERO, ZERO.quantize(CENTS), None, False
)


def with_standings(problems: QuerySet[Problem], *, user_id: int) -> QuerySet[Problem]:
    """``problems`` with what ``standings_of`` needs of the user, in the same query.

    A LEFT JOIN on the user's progress row (one per user and problem), the course's late
    policy, and whether the user has a late judged submission for the problem.
    """
    late = Submission.objects.filter(
        problem_id=OuterRef("pk"),
        user_id=user_id,
        status__in=COUNTED_VERDICTS,
        exam_attempt__isnull=True,
        late_days__gt=0,
    )
    return problems.annotate(
        mine=FilteredRelation("progress", condition=Q(progress__user_id=user_id)),
        my_status=F("mine__status"),
        my_attempts=F("mine__attempts"),
        my_best_score=F("mine__best_score"),
        my_first_solved_at=F("mine__first_solved_at"),
        my_has_late=Exists(late),
        course_late_policy=F("chapter__course__late_policy"),
        course_late_percent=F("chapter__course__late_penalty_percent_per_day"),
    )


def standings_of(problems: Sequence[Problem], *, user_id: int) -> dict[int, ProblemStanding]:
    """``{problem_id: standing}`` of problems read through ``with_standings``.

    Where the user has a late submission, one more query reads their best score per problem
    and days late (grouped in the database: the rows do not grow with the submissions) to
    apply the late policy.
    """
    late_ids = [problem.pk for problem in problems if problem.my_has_late]
    bests: dict[int, dict[int, Decimal]] = defaultdict(dict)
    if late_ids:
        for problem_id, days, best in (
            Submission.objects.filter(
                problem_id__in=late_ids,
                user_id=user_id,
                status__in=COUNTED_VERDICTS,
                exam_attempt__isnull=True,
            )
            .order_by()
            .values("problem_id", "late_days")
            .annotate(best=Max("score"))
            .values_list("problem_id", "late_days", "best")
        ):
            bests[problem_id][days] = best
    return {problem.pk: _standing(problem, bests.get(problem.pk)) for problem in problems}


def _standing(problem: Problem, best_by_days: dict[int, Decimal] | None) -> ProblemStanding:
    if problem.my_status is None:
        return NO_STANDING
    return standing_from(
        status=problem.my_status,
        attempts=problem.my_attempts,
        best_score=problem.my_best_score,
        first_solved_at=problem.my_first_solved_at,
        points=problem.points,
        policy=problem.course_late_policy,
        percent_per_day=problem.course_late_percent,
        best_by_days=best_by_days,
    )


def standing_from(
    *,
    status: str,
    attempts: int,
    best_score: Decimal,
    first_solved_at: datetime | None,
    points: int,
    policy: str,
    percent_per_day: Decimal,
    best_by_days: dict[int, Decimal] | None,
) -> ProblemStanding:
    """A standing from the user's progress row on a problem and, when they have a late judged
    submission there, their best score per number of days late (``0``: on time)."""
    best, is_late = best_score, False
    if best_by_days:
        # The best that counts: on time as judged, late as the policy leaves it; a tie goes to
        # a submission made on time, when there is one.
        on_time = best_by_days.get(0)
        best = ZERO if on_time is None else on_time
        is_late = on_time is None
        for days, score in best_by_days.items():
            counted = effective_score(
                score=score, policy=policy, percent_per_day=percent_per_day, days=days
            )
            if days > 0 and counted > best:
                best, is_late = counted, True
    return ProblemStanding(
        status=str(status),
        attempts=attempts,
        best_score=best,
        points=(best * points).quantize(CENTS),
        first_solved_at=first_solved_at,
        is_late=is_late,
    )
