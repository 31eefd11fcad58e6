"""What a student sees of a submission's verdict: everything, or what its exam allows.

A practice submission shows everything (hidden cases: verdict, time and memory only). A
submission made in an exam attempt shows what ``Exam.feedback`` allows until the exam's results
are released, then everything:

- ``full``: as a practice submission;
- ``samples``: the sample cases' results only; no overall verdict or score;
- ``none``: that it was received, nothing of its judging.

What a student sees as a submission's ``status`` follows the same rule (``shown_status``): the
verdict with ``full`` feedback; with ``samples``, ``pending`` or ``judging`` while it waits and
``judged`` once judged (the verdict withheld); with ``none``, ``received``. ``shown_status_q`` is
the same rule for the database, so that filtering by status never reveals a withheld verdict.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q

from courses.exam_time import results_visible
from courses.judging.types import Verdict
from courses.models import Exam, Submission

FULL = Exam.Feedback.FULL.value
SAMPLES = Exam.Feedback.SAMPLES.value
NONE = Exam.Feedback.NONE.value

#: The shown status of a judged submission whose exam shows only the samples' results.
JUDGED = "judged"
#: The shown status of a submission whose exam shows nothing until its results are released.
RECEIVED = "received"
FINAL_VERDICTS = [v.value for v in Verdict if v.is_final]
WAITING_VERDICTS = [v.value for v in Verdict if not v.is_final]
#: Every status a student may see (and filter their submissions by).
SHOWN_STATUSES = [v.value for v in Verdict] + [JUDGED, RECEIVED]


def submission_feedback(*, submission: Submission, now: datetime) -> str:
    """``full``, ``samples`` or ``none`` for the submission's owner at ``now``.

    Load ``exam_attempt__exam`` with the submission (``select_related``) to avoid a query each.
    """
    attempt = submission.exam_attempt
    if attempt is None:
        return FULL
    exam = attempt.exam
    if results_visible(exam, now):
        return FULL
    return exam.feedback


def shown_status(*, status: str, feedback: str) -> str:
    """The status string a student sees for a submission of ``status`` under ``feedback``."""
    if feedback == FULL:
        return status
    if feedback == SAMPLES:
        return status if status in WAITING_VERDICTS else JUDGED
    return RECEIVED


def shown_status_q(*, shown: str, now: datetime) -> Q:
    """Submissions whose status, as their owner sees it at ``now``, is ``shown``."""
    exam = "exam_attempt__exam__"
    withheld = Q(**{f"{exam}results_released_at__isnull": True}) | Q(
        **{f"{exam}results_released_at__gt": now}
    )
    full = (
        Q(exam_attempt__isnull=True)
        | Q(**{f"{exam}feedback": FULL})
        | Q(**{f"{exam}results_released_at__lte": now})
    )
    samples = Q(**{f"{exam}feedback": SAMPLES}) & withheld
    none = Q(**{f"{exam}feedback": NONE}) & withheld
    if shown == RECEIVED:
        return none
    if shown == JUDGED:
        return samples & Q(status__in=FINAL_VERDICTS)
    if shown in WAITING_VERDICTS:
        return (full | samples) & Q(status=shown)
    return full & Q(status=shown)
