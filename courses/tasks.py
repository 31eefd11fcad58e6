"""Thin Celery entry points: load by id, call a service, declare retries."""

from __future__ import annotations

import logging
import random

from celery import shared_task
from django.conf import settings

from courses.judging.errors import JudgeError
from courses.services.code_executor import CodeExecutorService
from courses.services.exam_attempts import exam_attempts_finish_expired
from courses.services.remote_runs import run_here
from courses.services.submissions import submissions_requeue_stale
from courses.services.validation import problem_validate

logger = logging.getLogger(__name__)

#: Celery retries of problem validation (judging a problem's reference solutions).
MAX_RETRIES = 5


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True)
def judge_submission(self, submission_id: int) -> str:
    """Judge one submission. Harmless to run twice: the claim lets only one judging count.

    No Celery retries: an outage leaves the submission ``pending`` with a ``retry_at``, and the
    periodic requeue takes it up when it is due (in the embedded default too, where eager Celery
    would ignore a countdown); its remote work (Judge0 tokens) is kept for that try.

    Run inline (eager: no worker, so inside the Submit request or ``run_periodic``) it waits for
    a remote judge at most ``COURSES_INLINE_JUDGE_WAIT_SECONDS``; a worker, the backend's whole
    budget (``JUDGE0_WAIT_SECONDS``).
    """
    wait = settings.COURSES_INLINE_JUDGE_WAIT_SECONDS if self.request.is_eager else None
    return CodeExecutorService().judge_submission(submission_id, max_wait_s=wait).status


@shared_task(track_started=True, ignore_result=False, acks_late=False)
def run_code(call: str, **kwargs) -> dict:
    """A "Run code" request sent by a web process (``courses.services.remote_runs``): its answer,
    or its failure, as JSON. Acknowledged at once: a run whose worker was lost is not run again
    (the person got a 503 and may press Run again)."""
    return run_here(call, **kwargs)


@shared_task
def requeue_stale_submissions() -> int:
    """Enqueue again what is due: retries after an outage, and what a lost worker or a failed
    enqueue left behind, so none is ever lost. Run by beat, or by ``manage.py run_periodic``."""
    ids = submissions_requeue_stale()
    if ids:
        logger.warning("re-enqueued %d stale submissions", len(ids))
    return len(ids)


@shared_task
def finish_expired_attempts() -> int:
    """Finish and score every exam attempt whose deadline has passed (run by beat each minute).

    Each attempt's ``finished_at`` is its deadline, so how late this runs changes nothing.
    """
    return exam_attempts_finish_expired()


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=MAX_RETRIES)
def validate_problem(self, problem_id: int) -> int:
    """Judge a problem's reference solutions on its cases; store the results for its staff.

    Harmless to run twice or late: results about data that changed meanwhile are dropped.
    """
    final_attempt = self.request.retries >= self.max_retries
    try:
        return problem_validate(problem_id=problem_id, retry_allowed=not final_attempt)
    except JudgeError as exc:
        backoff = min(2**self.request.retries, 60) * (0.5 + random.random())
        countdown = getattr(exc, "retry_after_s", None) or backoff
        raise self.retry(exc=exc, countdown=countdown) from exc


@shared_task
def sweep_sandbox() -> dict:
    """Remove what dead local-sandbox runs left on this host (beat, and ``run_periodic``).

    Each worker's sandbox service sweeps by itself too; this also covers a host whose workers
    all died. Nothing to do with another backend.
    """
    if getattr(settings, "COURSES_JUDGE_BACKEND", "local") != "local":
        return {}
    from courses.judging.backends.local import sweep_host

    return sweep_host(
        uid_first=settings.COURSES_SANDBOX_UID_FIRST, uid_count=settings.COURSES_SANDBOX_UID_COUNT
    )
