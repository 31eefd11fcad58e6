"""Submission lifecycle: create, claim with a lease, fail, requeue, rejudge (DESIGN.md, Judging).

The lease: a worker atomically moves a submission from ``pending`` (or from ``judging`` with an
expired lease) to ``judging`` with a fresh claim id. Only the holder of the current claim may
save a verdict, so a lost worker's late save is ignored and no submission is judged twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from courses.judging.languages import LANGUAGES
from courses.judging.types import COMPILE_LIMITS, Limits, Verdict
from courses.models import Problem, Submission, SubmissionTestResult
from courses.services.errors import InvalidInput, LanguageNotAllowed, PayloadTooLarge
from courses.services.exam_attempts import exam_attempt_admit_submission


def submission_validate(*, problem: Problem, language: str, code: str) -> None:
    """Reject what can never be judged before anything is saved or run."""
    if language not in LANGUAGES:
        raise LanguageNotAllowed(
            f"Unknown language {language!r}.", fields={"language": "unknown language"}
        )
    if language not in problem.allowed_languages:
        allowed = ", ".join(problem.allowed_languages)
        raise LanguageNotAllowed(
            f"{language} is not allowed for this problem (allowed: {allowed}).",
            fields={"language": f"allowed: {allowed}"},
        )
    validate_source(code)


def validate_source(code: str) -> None:
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
    *, user, problem: Problem, language: str, code: str, exam_attempt=None, enqueue: bool = True
) -> Submission:
    """Validate, save as ``pending``, and enqueue judging once the row is committed.

    With an ``exam_attempt``, the attempt must be the user's, include the problem, and still be
    open (``AttemptExpired`` from its deadline on, ``AttemptFinished`` once finished); it stays
    locked until the submission is committed, so a concurrent finish cannot miss it.
    """
    submission_validate(problem=problem, language=language, code=code)
    with transaction.atomic():
        if exam_attempt is not None:
            exam_attempt = exam_attempt_admit_submission(
                attempt=exam_attempt, user=user, problem=problem
            )
        submission = Submission.objects.create(
            user=user,
            problem=problem,
            exam_attempt=exam_attempt,
            language=language,
            code=code,
            status=Verdict.PENDING,
            enqueued_at=timezone.now() if enqueue else None,
        )
        if enqueue:
            transaction.on_commit(lambda: submission_enqueue(submission_id=submission.pk))
    return submission


def submission_enqueue(*, submission_id: int) -> None:
    from courses.tasks import judge_submission

    judge_submission.delay(submission_id)


def judging_lease(*, limits: Limits, case_count: int) -> timedelta:
    """Longer than the longest possible judging run of a submission.

    Worst case: the compile at its wall limit, then every case one after another at its wall
    limit, plus a margin; never shorter than ``COURSES_JUDGING_LEASE_SECONDS``.
    """
    worst_ms = COMPILE_LIMITS.wall_time_ms + case_count * limits.wall_time_ms + 60_000
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


def submission_release(*, submission_id: int, claim_id: uuid.UUID) -> bool:
    """Give a claimed submission back to the queue (before a retry)."""
    return bool(
        Submission.objects.filter(pk=submission_id, claim_id=claim_id).update(
            status=Verdict.PENDING, claim_id=None, lease_expires_at=None
        )
    )


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
        )
        if updated:
            SubmissionTestResult.objects.filter(submission_id=submission_id).delete()
    return bool(updated)


def submissions_stale(*, now=None) -> list[int]:
    """Ids of submissions to enqueue again: expired leases, or pending for too long."""
    now = now or timezone.now()
    pending_before = now - timedelta(seconds=settings.COURSES_PENDING_REQUEUE_SECONDS)
    return list(
        Submission.objects.filter(
            Q(status=Verdict.JUDGING, lease_expires_at__lt=now)
            | (
                Q(status=Verdict.PENDING, created_at__lt=pending_before)
                & (Q(enqueued_at__lt=pending_before) | Q(enqueued_at__isnull=True))
            )
        ).values_list("pk", flat=True)
    )


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
    Set-based in one transaction: the rows are locked, then their results deleted and their
    judging fields reset a chunk of ids at a time. ``is_late`` and ``late_days`` stay: lateness
    is fixed when a submission is made. A submission being judged loses its claim, so that
    worker's save is dropped and the new judging counts.

    Progress and exam attempts are derived from the submissions when each is judged again, so
    a rejudge that lowers a result lowers them too; until then they keep the earlier result.
    """
    if sum(given is not None for given in (submission, problem, submission_ids)) != 1:
        raise InvalidInput("Rejudge one submission, one problem or one set of submissions.")
    if submission is not None:
        rows = Submission.objects.filter(pk=submission.pk)
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
            )
        for submission_id in ids:
            transaction.on_commit(
                lambda submission_id=submission_id: submission_enqueue(submission_id=submission_id)
            )
    return ids
