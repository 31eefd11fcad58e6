"""Submission reads: the querysets that load a submission with everything it shows."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from courses.models import Submission, SubmissionTestResult


def submissions_with_results() -> QuerySet[Submission]:
    """Submissions with their problem and exam, and per-case results with each result's case."""
    return Submission.objects.select_related("problem", "exam_attempt__exam").prefetch_related(
        Prefetch(
            "test_results",
            queryset=SubmissionTestResult.objects.select_related("test_case").order_by("order"),
        )
    )
