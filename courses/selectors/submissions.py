"""Submission reads: the querysets that load a submission with everything it shows."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery, prefetch_related_objects

from courses.judging.types import Verdict
from courses.models import ExamProblem, Submission, SubmissionTestResult
from courses.selectors.feedback import shown_status_q

#: What a student-facing submission shows besides itself: its problem and course (late policy),
#: and its exam (the feedback rule).
SHOWN_WITH = ("problem__chapter__course", "exam_attempt__exam")


#: The places of ``ExamProblem.score``.
SCORE_PLACES = Decimal(1).scaleb(-ExamProblem._meta.get_field("score").decimal_places)


def with_exam_worth(rows: QuerySet[Submission]) -> QuerySet[Submission]:
    """``rows`` with ``exam_worth``: what an exam submission's problem is worth in its exam
    (``None`` for practice work, and for a problem since taken out of the exam), in the same
    query, for ``exam_worth_of``."""
    worth = ExamProblem.objects.filter(
        exam_id=OuterRef("exam_attempt__exam_id"), problem_id=OuterRef("problem_id")
    ).values("score")[:1]
    return rows.annotate(exam_worth=Subquery(worth))


def exam_problem_worth(*, exam_id: int, problem_id: int) -> Decimal:
    """What a problem is worth in an exam: its ``score`` there, 0 once taken out of the exam."""
    score = (
        ExamProblem.objects.filter(exam_id=exam_id, problem_id=problem_id)
        .values_list("score", flat=True)
        .first()
    )
    return Decimal("0") if score is None else score


def exam_worth_of(submission: Submission) -> Decimal | None:
    """What an exam submission earns its points out of: its problem's worth in the exam (0 once
    taken out of it); None for practice work. Exam work earns the exam's points, wherever it is
    shown. The annotation of ``with_exam_worth`` when the rows have it, else one query."""
    if submission.exam_attempt_id is None:
        return None
    if not hasattr(submission, "exam_worth"):
        return exam_problem_worth(
            exam_id=submission.exam_attempt.exam_id, problem_id=submission.problem_id
        )
    if submission.exam_worth is None:
        return Decimal("0")
    # As the column reads it (``10.00``): SQLite gives an annotated decimal back unquantized.
    return submission.exam_worth.quantize(SCORE_PLACES)


def results_prefetch() -> Prefetch:
    """The per-case results with their cases, in order."""
    results = SubmissionTestResult.objects.select_related("test_case", "subtask").order_by("order")
    return Prefetch("test_results", queryset=results)


def submissions_with_results() -> QuerySet[Submission]:
    """Submissions with their problem, course and exam, and per-case results with their cases."""
    return Submission.objects.select_related(*SHOWN_WITH).prefetch_related(results_prefetch())


def submission_with_results(submission: Submission) -> Submission:
    """``submission`` (read with ``SHOWN_WITH``) with its results loaded, if it has a verdict.

    A submission still waiting has none (``has_results``), and nothing is prefetched for it:
    even an empty prefetch compiles its SQL, a fifth of the CPU of a student's poll (``bench/
    load.py --profile``). Readers check ``has_results`` before reading ``test_results``.
    """
    if has_results(submission):
        prefetch_related_objects([submission], results_prefetch())
    return submission


def has_results(submission: Submission) -> bool:
    """Whether the submission can have per-case results: only a judged one has (a rejudge
    deletes them as it sends the submission back; a verdict saves them with it)."""
    return Verdict(submission.status).is_final


def submissions_of_user(
    *,
    user,
    now: datetime,
    problem_id: int | None = None,
    course_id: int | None = None,
    status: str | None = None,
) -> QuerySet[Submission]:
    """The user's own submissions, newest first, for a list (no code, no per-case results).

    ``status`` is the status as the user sees it at ``now`` (``feedback.shown_status``): an exam
    submission whose verdict is withheld is found under ``judged`` or ``received``, never under
    its verdict.
    """
    rows = (
        with_exam_worth(Submission.objects.filter(user_id=user.pk))
        .select_related(*SHOWN_WITH)
        .defer("code", "compile_output", "error_text", "problem__statement")
        .order_by("-created_at", "-id")
    )
    if problem_id is not None:
        rows = rows.filter(problem_id=problem_id)
    if course_id is not None:
        rows = rows.filter(problem__chapter__course_id=course_id)
    if status is not None:
        rows = rows.filter(shown_status_q(shown=status, now=now))
    return rows
