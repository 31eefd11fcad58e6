"""What a student sees of a submission's verdict: everything, or what its exam allows.

A practice submission shows everything (hidden cases: verdict, time and memory only). A
submission made in an exam attempt shows what ``Exam.feedback`` allows until the exam's results
are released, then everything:

- ``full``: as a practice submission;
- ``samples``: the sample cases' results only; no overall verdict or score;
- ``none``: that it was received, nothing of its judging.
"""

from __future__ import annotations

from datetime import datetime

from courses.exam_time import results_visible
from courses.models import Exam, Submission

FULL = Exam.Feedback.FULL.value
SAMPLES = Exam.Feedback.SAMPLES.value
NONE = Exam.Feedback.NONE.value


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
