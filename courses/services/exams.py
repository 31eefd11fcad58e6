"""Exam services."""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal

from django.db import transaction
from django.db.models import Sum

from courses.models import Exam, ExamProblem

TWO_PLACES = Decimal("0.01")


def exam_recompute_scores(*, exam_id: int) -> Exam:
    """Recompute ``total_score`` with one aggregate, and the passing score from the percentage.

    When the exam has a passing percentage it wins, rounded up to 2 decimals so that a student
    at exactly the percentage passes.
    """
    with transaction.atomic():
        exam = Exam.objects.select_for_update().get(pk=exam_id)
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
