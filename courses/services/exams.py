"""Exam services."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from django.db import transaction
from django.db.models import Sum

from courses.models import Exam, ExamProblem, Problem
from courses.services.errors import InvalidInput

TWO_PLACES = Decimal("0.01")


def exam_lock(*, exam_id: int) -> None:
    """Lock the exam row for the rest of the current transaction, if there is one.

    Every writer of an exam's problems takes its locks in one order, the exam first, then the
    problem rows: ``exam_problems_set`` and the admin do so by design, and a plain
    ``ExamProblem.save()`` inside a transaction does so through the pre_save receiver that calls
    this. Otherwise such a save (row lock, then the exam lock of the recompute) racing
    ``exam_problems_set`` (exam, then rows) deadlocks on PostgreSQL. Outside a transaction each
    statement commits alone and holds nothing, so there is nothing to order.
    """
    if transaction.get_connection().in_atomic_block:
        list(Exam.objects.select_for_update().filter(pk=exam_id).values_list("pk", flat=True))


def exam_recompute_scores(*, exam_id: int, missing_ok: bool = False) -> Exam | None:
    """Recompute ``total_score`` with one aggregate, and the passing score from the percentage.

    When the exam has a passing percentage it wins, rounded up to 2 decimals so that a student
    at exactly the percentage passes. The exam row is locked first, so concurrent changes to its
    problems are serialized and the last recompute sees all of them. With ``missing_ok``, an exam
    that no longer exists returns ``None`` instead of raising ``Exam.DoesNotExist``.
    """
    with transaction.atomic():
        exam = Exam.objects.select_for_update().filter(pk=exam_id).first()
        if exam is None:
            if missing_ok:
                return None
            raise Exam.DoesNotExist(f"Exam {exam_id} does not exist.")
        total = ExamProblem.objects.filter(exam_id=exam_id).aggregate(total=Sum("score"))["total"]
        exam.total_score = total or Decimal("0")
        fields = ["total_score"]
        if exam.passing_percentage is not None:
            exam.passing_score = (exam.total_score * exam.passing_percentage / 100).quantize(
                TWO_PLACES, rounding=ROUND_CEILING
            )
            fields.append("passing_score")
        exam.save(update_fields=fields)
    return exam


@dataclass(frozen=True)
class ExamProblemItem:
    problem: Problem
    score: Decimal


def exam_problems_set(*, exam: Exam, items: Iterable[ExamProblemItem]) -> Exam:
    """Make the exam's problems exactly ``items``, in that order, and recompute scores once.

    Each row is saved or deleted with ``skip_signal = True``, so the ExamProblem signals do not
    recompute once per row; the single ``exam_recompute_scores`` at the end does it for all.
    """
    items = list(items)
    if len({item.problem.pk for item in items}) != len(items):
        raise InvalidInput("A problem appears twice.", fields={"items": "Problems must differ."})
    if any(item.score < 0 for item in items):
        raise InvalidInput("A score cannot be negative.", fields={"items": "Scores must be ≥ 0."})
    with transaction.atomic():
        Exam.objects.select_for_update().filter(pk=exam.pk).first()  # one writer per exam
        current = {row.problem_id: row for row in ExamProblem.objects.filter(exam=exam)}
        for order, item in enumerate(items):
            row = current.pop(item.problem.pk, None) or ExamProblem(exam=exam, problem=item.problem)
            if row.pk is None or (row.score, row.order) != (item.score, order):
                row.score, row.order = item.score, order
                row.skip_signal = True
                row.save()
        for row in current.values():
            row.skip_signal = True
            row.delete()
        return exam_recompute_scores(exam_id=exam.pk)
