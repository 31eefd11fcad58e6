"""Authoring exams and their problems.

An exam's ``total_score`` is the sum of its problems' scores and its ``passing_score`` follows
its ``passing_percentage`` when it has one: the ExamProblem signals recompute both on every save
and delete (``exams.exam_recompute_scores``, exact to the cent), so scores of 0 and fractions
such as 0.5 add up exactly. Attempt scores are derived like progress (docs/decisions.md): after
the exam's problems or scores change, its finished attempts are scored again.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from courses.models import Exam, ExamAttempt, ExamProblem, Problem
from courses.services import model_checks
from courses.services.errors import AlreadyExists, InvalidInput
from courses.services.exam_attempts import exam_attempt_rescore, exam_attempts_follow_close
from courses.services.exams import exam_lock, exam_recompute_scores


def _check_exam(exam: Exam) -> None:
    model_checks.clean_fields(exam, exclude=["course"])
    if exam.closes_at <= exam.opens_at:
        raise InvalidInput(
            "An exam must close after it opens.", fields={"closes_at": "after opens_at"}
        )
    for name in ("duration_minutes", "max_attempts"):
        if getattr(exam, name) <= 0:
            raise InvalidInput(f"{name} must be positive.", fields={name: "at least 1"})
    if exam.passing_score < 0:
        raise InvalidInput("A passing score cannot be negative.", fields={"passing_score": "≥ 0"})
    percentage = exam.passing_percentage
    if percentage is not None and not Decimal(0) <= percentage <= Decimal(100):
        raise InvalidInput(
            "A passing percentage is between 0 and 100.",
            fields={"passing_percentage": "between 0 and 100"},
        )


def _refuse_score_with_percentage(exam: Exam, changes: dict) -> None:
    if "passing_score" in changes and exam.passing_percentage is not None:
        raise InvalidInput(
            "The passing score follows the passing percentage; set passing_percentage to null "
            "to set a score of your own.",
            fields={"passing_score": "computed from passing_percentage"},
        )


def exam_create(*, course, **fields) -> Exam:
    exam = Exam(course=course, **fields)
    _refuse_score_with_percentage(exam, fields)
    _check_exam(exam)
    with transaction.atomic():
        model_checks.save(exam)
        exam = exam_recompute_scores(exam_id=exam.pk)
    return exam


def exam_update(*, exam: Exam, **changes) -> Exam:
    """Change an exam. Running attempts keep the deadline they started with, except that a
    ``closes_at`` moved earlier ends them by the new close (``exam_attempts_follow_close``,
    docs/decisions.md), in the same transaction."""
    for name, value in changes.items():
        setattr(exam, name, value)
    _refuse_score_with_percentage(exam, changes)
    _check_exam(exam)
    with transaction.atomic():
        exam_lock(exam_id=exam.pk)
        closed_at_before = Exam.objects.values_list("closes_at", flat=True).get(pk=exam.pk)
        model_checks.save(exam, update_fields=changes.keys())
        if "closes_at" in changes:
            exam_attempts_follow_close(exam=exam, closed_at_before=closed_at_before)
        exam = exam_recompute_scores(exam_id=exam.pk)
        if "passing_percentage" in changes or "passing_score" in changes:
            _rescore_finished_attempts(exam_id=exam.pk)
    return exam


def exam_delete(*, exam: Exam) -> None:
    model_checks.delete(
        exam,
        instead="An exam that students have taken stays on record; close its window instead.",
    )


# --- Exam problems -------------------------------------------------------------------------------


#: The largest total an exam can hold (``Exam.total_score``: 8 digits, 2 decimals).
MAX_TOTAL_SCORE = Decimal("999999.99")


def _check_exam_problem(row: ExamProblem) -> None:
    model_checks.clean_fields(row, exclude=["exam", "problem"])
    if row.score < 0:
        raise InvalidInput("A score cannot be negative.", fields={"score": "≥ 0"})
    others = ExamProblem.objects.filter(exam_id=row.exam_id).exclude(pk=row.pk)
    total = (others.aggregate(total=Sum("score"))["total"] or Decimal(0)) + row.score
    if total > MAX_TOTAL_SCORE:
        raise InvalidInput(
            f"The exam's total score would exceed {MAX_TOTAL_SCORE}.",
            fields={"score": f"the exam's total is at most {MAX_TOTAL_SCORE}"},
        )


def exam_problem_add(
    *, exam: Exam, problem_id: int, score: Decimal | None = None, order: int | None = None
) -> ExamProblem:
    """Put a problem of the exam's course in the exam, worth ``score`` (default: its points)."""
    problem = Problem.objects.select_related("chapter").filter(pk=problem_id).first()
    if problem is None or problem.chapter.course_id != exam.course_id:
        raise InvalidInput(
            "An exam's problems come from its own course.",
            fields={"problem": "not a problem of this exam's course"},
        )
    with transaction.atomic():
        exam_lock(exam_id=exam.pk)
        siblings = ExamProblem.objects.filter(exam=exam)
        if siblings.filter(problem=problem).exists():
            raise AlreadyExists(
                "This problem is already in the exam.", fields={"problem": "already in the exam"}
            )
        row = ExamProblem(
            exam=exam,
            problem=problem,
            score=Decimal(problem.points) if score is None else score,
            order=model_checks.next_order(siblings) if order is None else order,
        )
        _check_exam_problem(row)
        model_checks.save(row)  # the post_save signal recomputes the exam's scores
        _rescore_finished_attempts(exam_id=exam.pk)
    return row


def exam_problem_update(*, exam_problem: ExamProblem, **changes) -> ExamProblem:
    for name, value in changes.items():
        setattr(exam_problem, name, value)
    with transaction.atomic():
        exam_lock(exam_id=exam_problem.exam_id)
        _check_exam_problem(exam_problem)
        model_checks.save(exam_problem)
        if "score" in changes:
            _rescore_finished_attempts(exam_id=exam_problem.exam_id)
    return exam_problem


def exam_problem_remove(*, exam_problem: ExamProblem) -> None:
    with transaction.atomic():
        exam_lock(exam_id=exam_problem.exam_id)
        exam_problem.delete()  # the post_delete signal recomputes the exam's scores
        _rescore_finished_attempts(exam_id=exam_problem.exam_id)


def _rescore_finished_attempts(*, exam_id: int) -> None:
    finished = ExamAttempt.objects.filter(exam_id=exam_id, finished_at__isnull=False)
    for attempt_id in finished.values_list("pk", flat=True):
        exam_attempt_rescore(attempt_id=attempt_id)
