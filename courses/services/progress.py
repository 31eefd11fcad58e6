"""A student's progress on a problem, always derived from their judged submissions."""

from __future__ import annotations

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Min, Q

from courses.judging.types import Verdict
from courses.models import ProblemProgress, Submission
from courses.services.late_policy import ZERO, effective_score

#: Verdicts that count as an attempt: every judged one except an infrastructure failure.
COUNTED_VERDICTS = [v.value for v in Verdict if v.is_final and v is not Verdict.INTERNAL_ERROR]


def progress_recompute(
    *, user_id: int, problem_id: int, course_id: int | None = None
) -> ProblemProgress:
    """Recompute one student's progress on one problem from their submissions.

    Only practice submissions count: exam work is scored by its exam, and counting it here would
    show a verdict the exam's feedback withholds (docs/decisions.md, "Exams").
    Deriving it (rather than incrementing) is what makes a rejudge that lowers a result correct,
    solved state and first_solved_at included. ``best_score`` is the best *effective* score:
    a late submission counts as the course's late policy scores it (``late_policy``), while
    ``solved`` still means an accepted submission exists, late or not. Safe under concurrent
    judging of the same student's submissions: an existing progress row is locked first, so on
    PostgreSQL (read committed) the aggregate that follows sees every submission committed
    before the lock was granted. Without a row, the first of two concurrent judgings inserts
    it; the other's insert waits for that commit and fails, and it then locks the row and
    counts again, seeing both. On SQLite, writers are serialized by BEGIN IMMEDIATE. Call it
    inside the transaction that saved the verdict.

    ``course_id``, the problem's course when the caller knows it (the judge does), spares the
    saved signal a query to find whose cached summaries to invalidate (``known_course_id``).
    Three statements when the row exists and no counted submission is late, five for the first
    verdict (no savepoint of its own: an error here fails the caller's transaction, which it
    does anyway).
    """
    with transaction.atomic(savepoint=False):
        rows = ProblemProgress.objects.select_for_update()
        progress = rows.filter(user_id=user_id, problem_id=problem_id).first()
        if progress is None:
            # The first verdict on this problem: the row is inserted with its values at once.
            # A concurrent judging that inserted it first makes ours fail; its row is then
            # locked, and the figures computed again see its submission too.
            progress = ProblemProgress(user_id=user_id, problem_id=problem_id)
            progress.known_course_id = course_id
            _derive(progress)
            try:
                with transaction.atomic():
                    progress.save(force_insert=True)
                return progress
            except IntegrityError:
                progress = rows.filter(user_id=user_id, problem_id=problem_id).first()
                if progress is None:  # not a concurrent insert: the database refused the row
                    raise
        progress.known_course_id = course_id
        _derive(progress)
        progress.save(
            update_fields=[
                "attempts",
                "best_score",
                "first_solved_at",
                "last_submitted_at",
                "status",
                "updated_at",
            ]
        )
    return progress


def _derive(progress: ProblemProgress) -> None:
    """Set ``progress``'s figures from its user's counted submissions (not saved)."""
    counted = practice_submissions(user_id=progress.user_id, problem_id=progress.problem_id)
    stats = counted.aggregate(
        attempts=Count("id"),
        late=Count("id", filter=Q(late_days__gt=0)),
        best_on_time=Max("score", filter=Q(late_days=0)),
        first_solved_at=Min("created_at", filter=Q(status=Verdict.ACCEPTED)),
        last_submitted_at=Max("created_at"),
    )
    late_scores = _late_effective_scores(counted) if stats["late"] else []
    progress.attempts = stats["attempts"]
    progress.best_score = max([stats["best_on_time"] or ZERO, *late_scores])
    progress.first_solved_at = stats["first_solved_at"]
    progress.last_submitted_at = stats["last_submitted_at"]
    if progress.first_solved_at is not None:
        progress.status = ProblemProgress.Status.SOLVED
    elif progress.attempts:
        progress.status = ProblemProgress.Status.ATTEMPTED
    else:
        progress.status = ProblemProgress.Status.NOT_STARTED


def practice_submissions(*, user_id: int, problem_id: int):
    """The user's judged practice submissions of a problem: what progress is derived from."""
    return Submission.objects.filter(
        user_id=user_id,
        problem_id=problem_id,
        status__in=COUNTED_VERDICTS,
        exam_attempt__isnull=True,
    )


def _late_effective_scores(counted) -> list[Decimal]:
    """The effective scores of the late ones among ``counted``, under their course's policy."""
    course = "problem__chapter__course__"
    rows = counted.filter(late_days__gt=0).values_list(
        "score", "late_days", f"{course}late_policy", f"{course}late_penalty_percent_per_day"
    )
    return [
        effective_score(score=score, policy=policy, percent_per_day=percent, days=days)
        for score, days, policy, percent in rows
    ]
