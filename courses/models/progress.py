from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models

from courses.models.problem import Problem


class ProblemProgress(models.Model):
    class Status(models.TextChoices):
        NOT_STARTED = "not_started"
        ATTEMPTED = "attempted"
        SOLVED = "solved"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="problem_progress"
    )
    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="progress")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NOT_STARTED)
    attempts = models.PositiveIntegerField(default=0)
    best_score = models.DecimalField(max_digits=5, decimal_places=4, default=Decimal("0"))
    first_solved_at = models.DateTimeField(null=True, blank=True)
    last_submitted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "problem progress"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "problem"],
                name="progress_one_per_user_and_problem",
                violation_error_message="Progress for this user and problem already exists.",
            ),
            models.CheckConstraint(
                condition=models.Q(best_score__gte=0) & models.Q(best_score__lte=1),
                name="progress_best_score_share",
                violation_error_message="A best score is a share between 0 and 1.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.problem}: {self.status}"
