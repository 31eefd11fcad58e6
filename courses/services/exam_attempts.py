"""Exam attempts: start, extra time, reopening, admitting submissions, finishing and scoring.

The deadline is computed once, when the attempt starts, and stored (DESIGN.md, Time); what moves
it afterwards is extra time granted to that attempt, a reopening, and the exam closing earlier
than it did (``exam_attempts_follow_close``: running attempts end by the new close). Any other
edit of the exam's duration or window leaves attempts already running as they are.

Every write locks the attempt row first (``select_for_update``; on SQLite, BEGIN IMMEDIATE
serializes writers), so finishing, granting extra time, admitting a submission and re-scoring
after a late verdict are serialized per attempt. "At most one unfinished attempt per student and
exam" is the database's partial unique constraint; a lost race maps to ``AttemptAlreadyRunning``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from courses.exam_time import attempt_deadline, is_past, utc
from courses.instant_range import LATEST, RANGE, in_range
from courses.models import Exam, ExamAttempt, ExamProblem, Problem
from courses.selectors.access import require_member
from courses.selectors.exams import attempt_best_shares, attempt_check_open
from courses.services.errors import (
    AttemptAlreadyRunning,
    AttemptFinished,
    AttemptLimitReached,
    AttemptRunning,
    ExamClosed,
    ExamNotOpen,
    InvalidInput,
    ServiceError,
)
from courses.services.exams import TWO_PLACES

#: The most minutes one grant of extra time, or one reopening, may give: a week.
MAX_GRANT_MINUTES = 7 * 24 * 60
MICROSECOND = timedelta(microseconds=1)


def exam_start_refusal(
    *, exam: Exam, attempts: Sequence[ExamAttempt], now: datetime
) -> ServiceError | None:
    """Why an attempt at ``exam`` cannot start at ``now``, given the user's ``attempts``; ``None``
    when it can. The one statement of the rules, in order: the window (``[opens_at,
    closes_at)``), one running attempt at a time (an unfinished one whose deadline has passed
    does not count: starting finishes it), then ``max_attempts`` (every attempt counts).
    ``exam_attempt_start`` applies it under its locks; pages use it to explain beforehand.
    """
    if now >= exam.closes_at:
        return ExamClosed(f"The exam {exam.title!r} closed at {exam.closes_at.isoformat()}.")
    if now < exam.opens_at:
        return ExamNotOpen(f"The exam {exam.title!r} opens at {exam.opens_at.isoformat()}.")
    if any(a.finished_at is None and not is_past(a.deadline, now) for a in attempts):
        return AttemptAlreadyRunning("Finish the attempt in progress first.")
    if len(attempts) >= exam.max_attempts:
        if exam.max_attempts == 1:
            return AttemptLimitReached(f"The one attempt at {exam.title!r} has been used.")
        return AttemptLimitReached(
            f"All {exam.max_attempts} attempts at {exam.title!r} have been used."
        )
    return None


def exam_attempt_start(*, exam: Exam, user, now: datetime | None = None) -> ExamAttempt:
    """Start an attempt at ``now`` with its deadline fixed: ``min(now + duration, closes_at)``.

    Only for active members of the exam's course (``NotEnrolled`` otherwise: non-members,
    dropped and removed students), read from the database in this transaction. The exam is open
    from ``opens_at`` (included) to ``closes_at`` (excluded). Refuses with ``ExamNotOpen``,
    ``ExamClosed``, ``AttemptAlreadyRunning`` (an unfinished attempt whose deadline has not
    passed) or ``AttemptLimitReached`` (``max_attempts`` counts every attempt, the running one
    included). An unfinished attempt whose deadline has passed is finished here, as the periodic
    task would have, so the student need not wait for it.
    """
    now = utc(now or timezone.now())
    with transaction.atomic():
        exam = Exam.objects.get(pk=exam.pk)  # the window and limits as they are now
        require_member(user=user, course_id=exam.course_id, fresh=True)
        attempts = ExamAttempt.objects.filter(exam=exam, user=user)
        # The unfinished attempt, locked: a concurrent start or finish waits for this one.
        running = attempts.select_for_update().filter(finished_at__isnull=True).first()
        refusal = exam_start_refusal(exam=exam, attempts=list(attempts), now=now)
        if refusal is not None:
            raise refusal
        if running is not None:  # its deadline has passed: finish it, as the periodic task would
            _finish_locked(running, now)
        deadline = attempt_deadline(
            started_at=now, duration_minutes=exam.duration_minutes, closes_at=exam.closes_at
        )
        try:
            with transaction.atomic():
                return ExamAttempt.objects.create(
                    exam=exam, user=user, started_at=now, deadline=deadline
                )
        except IntegrityError as exc:
            # A concurrent start won the race for the one unfinished attempt (PostgreSQL makes
            # the loser wait for the winner's commit, then refuses the duplicate).
            if attempts.filter(finished_at__isnull=True).exists():
                raise AttemptAlreadyRunning("Finish the attempt in progress first.") from exc
            raise


def exam_attempt_grant_extra_time(*, attempt: ExamAttempt, minutes: int) -> ExamAttempt:
    """Give an unfinished attempt ``minutes`` more: the stored deadline moves by exactly that.

    Grants add up. The deadline may pass ``closes_at`` (docs/decisions.md), but not the end of
    the instants the site accepts (``instant_range``: ``InvalidInput`` naming ``minutes``), so
    that no number of grants makes a deadline that cannot be shown or computed with. An attempt
    whose deadline has passed but that is not finished yet may still be given time (a crash
    during the exam); a finished one cannot (``AttemptFinished``; ``exam_attempt_reopen`` can).
    ``minutes`` is an integer from 1 to ``MAX_GRANT_MINUTES`` (``InvalidInput`` otherwise).
    """
    _check_minutes(minutes)
    with transaction.atomic():
        locked = ExamAttempt.objects.select_for_update().get(pk=attempt.pk)
        if locked.finished_at is not None:
            raise AttemptFinished(
                "This attempt is finished; extra time can no longer be given (reopen it instead)."
            )
        # The stored deadline moves, rather than being derived again from the exam, so that
        # edits of the exam's duration or window after the start never leak into the attempt.
        deadline = utc(locked.deadline) + timedelta(minutes=minutes)
        if not in_range(deadline):
            raise InvalidInput(
                f"The deadline would be {deadline.isoformat()}: deadlines are {RANGE}.",
                fields={"minutes": f"the deadline would pass {LATEST.isoformat()}"},
            )
        locked.extra_time_minutes += minutes
        locked.deadline = deadline
        locked.save(update_fields=["extra_time_minutes", "deadline"])
    return locked


def exam_attempts_follow_close(*, exam: Exam, closed_at_before: datetime) -> int:
    """Pull the running attempts' deadlines in to the exam's ``closes_at`` when it moved earlier
    than ``closed_at_before``; how many attempts it moved.

    An instructor who closes an exam early means running attempts to end then ("never past the
    closing time"), so each unfinished attempt's deadline becomes ``min(deadline, closes_at +
    extra_time_minutes)``: extra time comes on top of the close, as at the start
    (``attempt_deadline``), and a deadline is never pushed later (moving the close later, or
    any other edit, leaves running attempts as they are). A deadline is kept after its
    attempt's start (the database's constraint): one started after the new close ends a
    microsecond after it started. The periodic task then finishes them as it finishes any other.

    Call it in the transaction that saves the exam, after the save, the exam row locked (every
    writer of an exam does: ``exam_update``, the admin); the attempt rows are locked in one
    order (by id), as their other writers lock them, one at a time.
    """
    closes_at = utc(exam.closes_at)
    if closes_at >= utc(closed_at_before):
        return 0
    moved = 0
    running = (
        ExamAttempt.objects.select_for_update()
        .filter(exam_id=exam.pk, finished_at__isnull=True)
        .order_by("pk")
    )
    for attempt in running:
        cap = closes_at + timedelta(minutes=attempt.extra_time_minutes)
        deadline = max(min(utc(attempt.deadline), cap), utc(attempt.started_at) + MICROSECOND)
        if deadline < utc(attempt.deadline):
            attempt.deadline = deadline
            attempt.save(update_fields=["deadline"])
            moved += 1
    return moved


def exam_attempt_check_open(*, attempt: ExamAttempt, now: datetime) -> None:
    """Raise unless ``attempt`` takes submissions at ``now``: unfinished and before its deadline.

    ``AttemptFinished`` once finished, ``AttemptExpired`` (an ``ExamClosed``) from the deadline.
    The rule is the selectors' (``attempt_check_open``): reading an exam problem obeys it too.
    """
    attempt_check_open(attempt=attempt, now=now)


def exam_attempt_admit_submission(
    *, attempt: ExamAttempt, user, problem: Problem, now: datetime | None = None
) -> ExamAttempt:
    """Lock ``attempt`` and check that ``user`` may submit ``problem`` in it at ``now``.

    The attempt must be the user's (``InvalidInput``), the user still an active member of the
    course (``NotEnrolled``), the problem one of the exam's (``InvalidInput``), and the attempt
    open (``AttemptFinished``, ``AttemptExpired``).

    Call inside the transaction that saves the submission: with the row locked, a concurrent
    finish either comes first (and the submission is refused) or waits until the submission is
    committed (and then counts it).
    """
    locked = ExamAttempt.objects.select_for_update().select_related("exam").get(pk=attempt.pk)
    if locked.user_id != user.pk:
        raise InvalidInput(
            "This exam attempt belongs to another student.", fields={"exam_attempt": "not yours"}
        )
    require_member(user=user, course_id=locked.exam.course_id, fresh=True)
    if not ExamProblem.objects.filter(exam_id=locked.exam_id, problem=problem).exists():
        raise InvalidInput(
            "This problem is not part of the exam.", fields={"problem": "not in this exam"}
        )
    exam_attempt_check_open(attempt=locked, now=utc(now or timezone.now()))
    return locked


def exam_attempt_finish(*, attempt: ExamAttempt, now: datetime | None = None) -> ExamAttempt:
    """Finish and score an attempt; finishing a finished attempt returns it unchanged.

    ``finished_at`` is ``now``, or the deadline if that came first: an attempt that ran out ended
    at its deadline, however late the periodic task notices. The score is recomputed later if a
    submission made during the attempt is judged after it finished (``exam_attempt_rescore``).
    """
    now = utc(now or timezone.now())
    with transaction.atomic():
        locked = ExamAttempt.objects.select_for_update().get(pk=attempt.pk)
        if locked.finished_at is None:
            _finish_locked(locked, now)
    return locked


def exam_attempts_finish_expired(*, now: datetime | None = None) -> int:
    """Finish every unfinished attempt whose deadline is at or before ``now``; how many it did.

    Each attempt is finished in its own short transaction; running this twice at once, or
    alongside a student's own finish, finishes each attempt once. Its deadline is read again
    under the lock: extra time granted meanwhile (``exam_attempt_grant_extra_time``, which
    locks the row too) keeps the attempt running.
    """
    now = utc(now or timezone.now())
    ids = list(
        ExamAttempt.objects.filter(finished_at__isnull=True, deadline__lte=now)
        .order_by("deadline")
        .values_list("pk", flat=True)
    )
    finished = 0
    for attempt_id in ids:
        with transaction.atomic():
            locked = ExamAttempt.objects.select_for_update().filter(pk=attempt_id).first()
            if locked is not None and locked.finished_at is None and is_past(locked.deadline, now):
                _finish_locked(locked, now)
                finished += 1
    return finished


def exam_attempt_rescore(*, attempt_id: int) -> ExamAttempt | None:
    """Recompute a *finished* attempt's score and pass (an unfinished one is scored at finish).

    Called in the transaction that saves a verdict, so a submission made in time but judged after
    the attempt finished, or rejudged later, still counts: like progress, the score is always
    derived from the submissions, never incremented.
    """
    with transaction.atomic():
        locked = ExamAttempt.objects.select_for_update().filter(pk=attempt_id).first()
        if locked is None or locked.finished_at is None:
            return locked
        _score_locked(locked)
    return locked


def exam_attempt_score(*, attempt: ExamAttempt) -> Decimal:
    """Σ over the exam's problems of (best submission score in the attempt × problem's score).

    Submissions not judged yet count 0 until they are. Rounded half up to cents, the precision
    of ``passing_score``; ``passed`` compares these rounded values, the ones people see.
    """
    weights = dict(
        ExamProblem.objects.filter(exam_id=attempt.exam_id).values_list("problem_id", "score")
    )
    best = attempt_best_shares(attempt_id=attempt.pk, problem_ids=list(weights))
    total = sum((weights[problem_id] * share for problem_id, share in best.items()), Decimal("0"))
    return total.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def exam_attempt_reopen(
    *, attempt: ExamAttempt, minutes: int, now: datetime | None = None
) -> ExamAttempt:
    """Reopen a finished or expired attempt for ``minutes`` from ``now`` (a staff decision).

    The deadline becomes ``now + minutes``; ``finished_at``, ``score`` and ``passed`` are
    cleared, and the attempt is scored again when it next finishes, from all its submissions.
    ``extra_time_minutes`` is left as it is: it counts granted accommodations, and the stored
    deadline is what decides. Neither the exam's window nor ``max_attempts`` applies.

    Refuses ``AttemptRunning`` for an attempt still running (give it extra time instead) and
    ``AttemptAlreadyRunning`` when the student has another attempt at the exam still running;
    another unfinished one whose deadline has passed is finished first, as a start would.
    """
    _check_minutes(minutes)
    now = utc(now or timezone.now())
    with transaction.atomic():
        # Every attempt of this student at this exam, locked in one order (by id), so that two
        # reopenings of the same student's attempts cannot deadlock.
        rows = {
            row.pk: row
            for row in ExamAttempt.objects.select_for_update()
            .filter(exam_id=attempt.exam_id, user_id=attempt.user_id)
            .order_by("pk")
        }
        locked = rows.pop(attempt.pk)
        if locked.finished_at is None and not is_past(locked.deadline, now):
            raise AttemptRunning(
                f"This attempt is still running until {locked.deadline.isoformat()}; "
                "give it extra time instead."
            )
        for other in rows.values():
            if other.finished_at is None:
                if not is_past(other.deadline, now):
                    raise AttemptAlreadyRunning(
                        "The student has another attempt at this exam running; "
                        "it must end before this one is reopened."
                    )
                _finish_locked(other, now)
        locked.finished_at = None
        locked.deadline = now + timedelta(minutes=minutes)
        locked.score = Decimal("0")
        locked.passed = None
        try:
            with transaction.atomic():
                locked.save(update_fields=["finished_at", "deadline", "score", "passed"])
        except IntegrityError as exc:
            # Another unfinished attempt appeared meanwhile (a start racing this reopening).
            raise AttemptAlreadyRunning(
                "The student has another attempt at this exam running."
            ) from exc
    return locked


def _check_minutes(minutes) -> None:
    if (
        isinstance(minutes, bool)
        or not isinstance(minutes, int)
        or not 1 <= minutes <= MAX_GRANT_MINUTES
    ):
        raise InvalidInput(
            f"Give a whole number of minutes from 1 to {MAX_GRANT_MINUTES}.",
            fields={"minutes": f"an integer from 1 to {MAX_GRANT_MINUTES}"},
        )


def _finish_locked(attempt: ExamAttempt, now: datetime) -> None:
    attempt.finished_at = max(attempt.started_at, min(now, attempt.deadline))
    _score_locked(attempt, extra_fields=("finished_at",))


def _score_locked(attempt: ExamAttempt, extra_fields: tuple[str, ...] = ()) -> None:
    passing_score = Exam.objects.values_list("passing_score", flat=True).get(pk=attempt.exam_id)
    attempt.score = exam_attempt_score(attempt=attempt)
    attempt.passed = attempt.score >= passing_score
    attempt.save(update_fields=["score", "passed", *extra_fields])
