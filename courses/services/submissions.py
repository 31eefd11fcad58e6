"""Submission lifecycle: create, claim with a lease, fail, requeue, rejudge (DESIGN.md, Judging).

The lease: a worker atomically moves a submission from ``pending`` (or from ``judging`` with an
expired lease) to ``judging`` with a fresh claim id. Only the holder of the current claim may
save a verdict, so a lost worker's late save is ignored and no submission is judged twice.

Outages: judging that fails for want of a judge leaves the submission ``pending`` with a
``retry_at`` (``submission_retry_later``), at growing intervals, until
``COURSES_JUDGE_RETRY_MAX_AGE_SECONDS`` after it was submitted or requeued; then it ends
``internal_error`` with the reason, and staff can requeue it (``rejudge``). The periodic requeue
(``submissions_stale``) enqueues it when it is due. What the backend created remotely (Judge0's
tokens) is kept on the row through its checkpoint (``submission_checkpoint_save``), written only
under the claim, so no retry creates that work again.
"""

from __future__ import annotations

import logging
import math
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from courses.exam_time import utc
from courses.judging.languages import LANGUAGES
from courses.judging.types import COMPILE_LIMITS, WALL_STARVATION_FACTOR, Limits, Verdict
from courses.models import Problem, Submission, SubmissionTestResult
from courses.services.errors import (
    InvalidInput,
    LanguageNotAllowed,
    PayloadTooLarge,
    TooManyPending,
    UnknownLanguage,
)
from courses.services.exam_attempts import exam_attempt_admit_submission
from courses.services.late_policy import late_days

logger = logging.getLogger(__name__)


def language_validate(*, language: str, problem: Problem | None = None) -> None:
    """The one language check of every endpoint that takes code (submit, run).

    ``UnknownLanguage`` when ``language`` is not in the platform's table, ``LanguageNotAllowed``
    when ``problem`` (if given) does not allow it.
    """
    if not isinstance(language, str) or language not in LANGUAGES:
        known = ", ".join(sorted(LANGUAGES))
        raise UnknownLanguage(
            f"Unknown language {language!r} (known: {known}).",
            fields={"language": f"unknown language; known: {known}"},
        )
    if problem is not None and language not in problem.allowed_languages:
        allowed = ", ".join(problem.allowed_languages)
        raise LanguageNotAllowed(
            f"{language} is not allowed for this problem (allowed: {allowed}).",
            fields={"language": f"allowed: {allowed}"},
        )


def submission_validate(*, problem: Problem, language: str, code: str) -> None:
    """Reject what can never be judged before anything is saved or run."""
    language_validate(language=language, problem=problem)
    validate_source(code)


def validate_source(code: str) -> None:
    """Non-empty text of at most ``COURSES_MAX_SOURCE_BYTES`` UTF-8 bytes, without NUL."""
    if not isinstance(code, str) or not code.strip():
        raise InvalidInput("The code is empty.", fields={"code": "required"})
    limit = settings.COURSES_MAX_SOURCE_BYTES
    if len(code.encode("utf-8", errors="surrogatepass")) > limit:
        raise PayloadTooLarge(
            f"The code is larger than {limit} bytes.", fields={"code": f"at most {limit} bytes"}
        )
    if "\x00" in code:
        raise InvalidInput("The code contains a NUL character.", fields={"code": "NUL character"})


def submission_create(
    *,
    user,
    problem: Problem,
    language: str,
    code: str,
    exam_attempt=None,
    enqueue: bool = True,
    now: datetime | None = None,
) -> Submission:
    """Validate, save as ``pending``, and enqueue judging once the row is committed.

    With an ``exam_attempt``, the attempt must be the user's, include the problem, and still be
    open (``AttemptExpired`` from its deadline on, ``AttemptFinished`` once finished); it stays
    locked until the submission is committed, so a concurrent finish cannot miss it. Exam
    submissions are never late and never refused for the pending cap.

    A practice submission made after the problem's effective due date (``now``, the server's
    time, against ``Problem.effective_due_at``) is saved ``is_late`` with its ``late_days``; the
    course's late policy scores it (``courses.services.late_policy``). A queued practice
    submission is refused with ``TooManyPending`` while the user already has
    ``COURSES_MAX_PENDING_SUBMISSIONS`` submissions pending or judging (``enqueue=False`` is for
    callers that judge the submission at once, so it never waits in the queue).
    """
    submission_validate(problem=problem, language=language, code=code)
    now = utc(now or timezone.now())
    with transaction.atomic():
        if exam_attempt is not None:
            exam_attempt = exam_attempt_admit_submission(
                attempt=exam_attempt, user=user, problem=problem, now=now
            )
            days = 0
        else:
            if enqueue:
                _check_pending_cap(user=user)
            days = late_days(due_at=problem.effective_due_at, submitted_at=now)
        submission = Submission.objects.create(
            user=user,
            problem=problem,
            exam_attempt=exam_attempt,
            language=language,
            code=code,
            status=Verdict.PENDING,
            enqueued_at=now if enqueue else None,
            sent_at=now if enqueue else None,
            is_late=days > 0,
            late_days=days,
        )
        if enqueue:
            transaction.on_commit(lambda: submission_enqueue(submission_id=submission.pk))
    return submission


def _check_pending_cap(*, user) -> None:
    """Refuse one more queued submission beyond the user's cap; call inside the transaction.

    The user's row is locked first, so two concurrent submissions of one user are counted one
    after the other (on SQLite, BEGIN IMMEDIATE serializes writers already). Every submission
    of the user still ``pending`` or ``judging`` counts, exam ones included: they wait in the
    same queue.
    """
    limit = settings.COURSES_MAX_PENDING_SUBMISSIONS
    list(get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk"))
    waiting = Submission.objects.filter(
        user_id=user.pk, status__in=[Verdict.PENDING, Verdict.JUDGING]
    ).count()
    if waiting >= limit:
        raise TooManyPending(
            f"You already have {waiting} submission(s) waiting for a verdict (at most {limit}); "
            "submit again once one is judged."
        )


def submission_enqueue(*, submission_id: int, lane: str = Submission.Lane.LIVE) -> bool:
    """Send the submission to its judging queue; ``False`` when the broker cannot take it.

    A failed send never fails the caller (the submission is committed and answers ``pending``):
    it is logged, and the submission is marked due at once (``retry_at``, the reason for staff,
    no ``sent_at``), so the periodic requeue sends it as soon as the broker is back.
    """
    from courses.tasks import judge_submission

    try:
        judge_submission.apply_async((submission_id,), queue=settings.COURSES_QUEUES[lane])
    except Exception as exc:  # any broker failure: the row is committed, the sweep recovers it
        logger.warning(
            "enqueue of submission %s failed, left to the requeue: %r", submission_id, exc
        )
        Submission.objects.filter(pk=submission_id, status=Verdict.PENDING).update(
            sent_at=None,
            retry_at=timezone.now(),
            retry_reason=f"The judging queue was unreachable: {exc!r}"[:4000],
        )
        return False
    return True


def judging_lease(*, limits: Limits, case_count: int) -> timedelta:
    """Longer than the longest possible judging run of a submission.

    Worst case: the compile at its wall limit, then every case one after another at its wall
    limit stretched as far as a starved host may stretch it (``WALL_STARVATION_FACTOR``), plus
    ``COURSES_JUDGING_LEASE_MARGIN_SECONDS``; never shorter than ``COURSES_JUDGING_LEASE_SECONDS``.
    """
    margin_ms = settings.COURSES_JUDGING_LEASE_MARGIN_SECONDS * 1000
    longest_case_ms = WALL_STARVATION_FACTOR * limits.wall_time_ms
    worst_ms = WALL_STARVATION_FACTOR * COMPILE_LIMITS.wall_time_ms
    worst_ms += case_count * longest_case_ms + margin_ms
    return timedelta(seconds=max(settings.COURSES_JUDGING_LEASE_SECONDS, worst_ms / 1000))


def submission_claim(*, submission_id: int, lease: timedelta) -> uuid.UUID | None:
    """Claim a submission for judging; ``None`` when it is judged or another worker holds it."""
    now = timezone.now()
    claim_id = uuid.uuid4()
    claimed = (
        Submission.objects.filter(pk=submission_id)
        .filter(Q(status=Verdict.PENDING) | Q(status=Verdict.JUDGING, lease_expires_at__lt=now))
        .update(
            status=Verdict.JUDGING,
            claim_id=claim_id,
            judging_started_at=now,
            lease_expires_at=now + lease,
        )
    )
    return claim_id if claimed else None


class ClaimLost(Exception):
    """The judging claim is no longer ours (its lease expired and another worker took it, or a
    rejudge reset it): stop, and leave the submission to its new owner. Not a ``JudgeError``, so
    a backend lets it through untouched."""


def submission_checkpoint_load(*, submission_id: int) -> dict | None:
    """The backend's ledger of remote work for this submission, as last saved."""
    row = Submission.objects.filter(pk=submission_id).values_list("judge_checkpoint").first()
    return row[0] if row else None


def submission_checkpoint_save(*, submission_id: int, claim_id: uuid.UUID, state: dict) -> None:
    """Save the backend's ledger while ``claim_id`` still holds; ``ClaimLost`` otherwise."""
    saved = Submission.objects.filter(
        pk=submission_id, claim_id=claim_id, status=Verdict.JUDGING
    ).update(judge_checkpoint=state)
    if not saved:
        raise ClaimLost(f"submission {submission_id}: the judging claim {claim_id} was lost")


def retry_delay(failures: int, retry_after_s: float | None = None) -> float:
    """Seconds before the next try after ``failures`` outages: doubling from the first delay,
    at least the judge's ``Retry-After``, and never more than the maximum delay whatever it asks
    (``Retry-After: 3600`` must not park graded work for an hour, nor end it)."""
    first = settings.COURSES_JUDGE_RETRY_FIRST_DELAY_SECONDS
    most = settings.COURSES_JUDGE_RETRY_MAX_DELAY_SECONDS
    delay = first * 2 ** min(max(0, failures - 1), 64)
    if retry_after_s is not None and math.isfinite(retry_after_s):
        delay = max(delay, retry_after_s)
    return max(0.0, min(delay, most))


def submission_retry_later(
    *,
    submission_id: int,
    claim_id: uuid.UUID,
    reason: str,
    retry_after_s: float | None = None,
    now: datetime | None = None,
) -> str | None:
    """After an outage, give the submission back to the queue with a ``retry_at``.

    The delay is ``retry_delay``'s. Tries go on until ``COURSES_JUDGE_RETRY_MAX_AGE_SECONDS``
    after the submission was submitted (or requeued): a delay that would pass that deadline is
    cut to it, so the last try happens at the deadline, and only a failure at or after it ends
    the submission ``internal_error`` with the reason. Counts only while ``claim_id`` holds;
    returns the new status, or None if it did not. The backend's checkpoint is kept, so the next
    try resumes the same remote work.
    """
    now = now or timezone.now()
    with transaction.atomic():
        row = (
            Submission.objects.select_for_update()
            .filter(pk=submission_id, claim_id=claim_id, status=Verdict.JUDGING)
            .first()
        )
        if row is None:
            return None
        failures = row.judge_failures + 1
        max_age = settings.COURSES_JUDGE_RETRY_MAX_AGE_SECONDS
        last_try = (row.enqueued_at or row.created_at) + timedelta(seconds=max_age)
        if now >= last_try:
            hours = max_age / 3600
            submission_fail(
                submission_id=submission_id,
                claim_id=claim_id,
                reason=(
                    f"The judge was unavailable for {failures} tries over {hours:g} h; "
                    f"requeue the submission to judge it again. Last failure: {reason}"
                ),
            )
            return Verdict.INTERNAL_ERROR
        delay = timedelta(seconds=retry_delay(failures, retry_after_s))
        Submission.objects.filter(pk=submission_id).update(
            status=Verdict.PENDING,
            claim_id=None,
            lease_expires_at=None,
            retry_at=min(now + delay, last_try),
            judge_failures=failures,
            retry_reason=reason[:4000],
        )
    return Verdict.PENDING


def submission_fail(*, submission_id: int, claim_id: uuid.UUID | None, reason: str) -> bool:
    """End a submission ``internal_error`` with the reason; no partial results remain.

    With a ``claim_id`` it counts only while that claim holds.
    """
    with transaction.atomic():
        rows = Submission.objects.filter(pk=submission_id).exclude(
            status__in=[v.value for v in Verdict if v.is_final]
        )
        if claim_id is not None:
            rows = rows.filter(claim_id=claim_id)
        updated = rows.update(
            status=Verdict.INTERNAL_ERROR,
            error_text=reason[:4000],
            score=0,
            judged_at=timezone.now(),
            claim_id=None,
            lease_expires_at=None,
            retry_at=None,
            judge_checkpoint=None,
        )
        if updated:
            SubmissionTestResult.objects.filter(submission_id=submission_id).delete()
    return bool(updated)


def submissions_stale(*, now=None) -> list[int]:
    """Ids of submissions to send again, oldest first: retries that came due, expired leases,
    and pending ones whose message may be lost (failed to send, or not taken within
    ``COURSES_PENDING_REQUEUE_SECONDS``). One sent after it came due is not sent again until
    that long after, so a backlog longer than the sweep's interval is not multiplied by it; one
    waiting for its ``retry_at`` is not taken before it."""
    return [pk for pk, _ in _stale_rows(now=now or timezone.now())]


def _stale_rows(*, now) -> list[tuple[int, str]]:
    resend_before = now - timedelta(seconds=settings.COURSES_PENDING_REQUEUE_SECONDS)
    not_sent_since = Q(sent_at__isnull=True) | Q(sent_at__lt=resend_before)
    return list(
        Submission.objects.filter(
            Q(status=Verdict.JUDGING, lease_expires_at__lt=now)
            & (not_sent_since | Q(sent_at__lt=F("lease_expires_at")))
            | Q(status=Verdict.PENDING, retry_at__lte=now)
            & (not_sent_since | Q(sent_at__lt=F("retry_at")))
            | Q(status=Verdict.PENDING, retry_at__isnull=True, created_at__lt=resend_before)
            & not_sent_since
        )
        .order_by("pk")
        .values_list("pk", "lane")
    )


def submissions_requeue_stale(*, now=None) -> list[int]:
    """Send every stale submission (``submissions_stale``) again, each to its own lane, marking
    it sent first (one UPDATE); the ids sent, oldest first."""
    now = now or timezone.now()
    rows = _stale_rows(now=now)
    ids = [pk for pk, _ in rows]
    for start in range(0, len(ids), REJUDGE_CHUNK):
        Submission.objects.filter(pk__in=ids[start : start + REJUDGE_CHUNK]).update(sent_at=now)
    for submission_id, lane in rows:
        submission_enqueue(submission_id=submission_id, lane=lane)
    return ids


#: Ids per UPDATE/DELETE of a rejudge: far under every database's limit of bound parameters.
REJUDGE_CHUNK = 500


def rejudge(
    *,
    submission: Submission | None = None,
    problem: Problem | None = None,
    submission_ids: Iterable[int] | QuerySet | None = None,
) -> list[int]:
    """Put submissions back to ``pending`` and enqueue each once committed; their ids, ascending.

    Exactly one of: one ``submission``, every submission of a ``problem`` (exam ones included),
    or a set of ``submission_ids`` (a list, or a ``values("pk")`` queryset, read as a subquery).
    One submission goes to the ``live`` lane (a person waits for it); a problem's or a set's go
    to ``bulk``, so that new submissions never wait behind a rejudge of thousands.
    Set-based in one transaction: the rows are locked, then their results deleted and their
    judging fields reset a chunk of ids at a time. ``is_late`` and ``late_days`` stay: lateness
    is fixed when a submission is made. A submission being judged loses its claim, so that
    worker's save is dropped and the new judging counts. A submission waiting after an outage
    (or ended ``internal_error`` by one) starts afresh: no retry count, no remote work reused.

    Progress and exam attempts are derived from the submissions when each is judged again, so
    a rejudge that lowers a result lowers them too; until then they keep the earlier result.
    """
    if sum(given is not None for given in (submission, problem, submission_ids)) != 1:
        raise InvalidInput("Rejudge one submission, one problem or one set of submissions.")
    lane = Submission.Lane.BULK
    if submission is not None:
        rows = Submission.objects.filter(pk=submission.pk)
        lane = Submission.Lane.LIVE
    elif problem is not None:
        rows = Submission.objects.filter(problem=problem)
    else:
        rows = Submission.objects.filter(pk__in=submission_ids)
    with transaction.atomic():
        ids = list(rows.select_for_update().order_by("pk").values_list("pk", flat=True))
        now = timezone.now()
        for start in range(0, len(ids), REJUDGE_CHUNK):
            chunk = ids[start : start + REJUDGE_CHUNK]
            SubmissionTestResult.objects.filter(submission_id__in=chunk).delete()
            Submission.objects.filter(pk__in=chunk).update(
                status=Verdict.PENDING,
                score=0,
                max_cpu_time_ms=None,
                peak_memory_kb=None,
                compile_output="",
                error_text="",
                judged_at=None,
                judging_started_at=None,
                claim_id=None,
                lease_expires_at=None,
                enqueued_at=now,
                sent_at=now,
                lane=lane,
                retry_at=None,
                judge_failures=0,
                retry_reason="",
                judge_checkpoint=None,
            )
        for submission_id in ids:
            transaction.on_commit(
                lambda submission_id=submission_id: submission_enqueue(
                    submission_id=submission_id, lane=lane
                )
            )
    return ids
