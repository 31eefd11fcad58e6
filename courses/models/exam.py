from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models

from courses.instant_range import validate_in_range
from courses.models.course import Course
from courses.models.problem import Problem

#: The longest attempt, in minutes (a week): a typo cannot make a deadline that overflows.
MAX_DURATION_MINUTES = 7 * 24 * 60


class Exam(models.Model):
    class Feedback(models.TextChoices):
        """What a student sees of their exam submissions' verdicts before results are released."""

        FULL = "full", "Full results"
        SAMPLES = "samples", "Sample cases only"
        NONE = "none", "Nothing until results are released"

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="exams")
    title = models.CharField(max_length=200)
    instructions = models.TextField(blank=True, help_text="Rules shown before an attempt starts.")
    opens_at = models.DateTimeField(validators=[validate_in_range])
    closes_at = models.DateTimeField(validators=[validate_in_range])
    duration_minutes = models.PositiveIntegerField(
        validators=[MaxValueValidator(MAX_DURATION_MINUTES)]
    )
    #: Sum of the exam problems' scores, kept by the ExamProblem signals.
    total_score = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("0"))
    passing_score = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("0"))
    #: When set, it wins: passing_score = total_score × percentage / 100, rounded up.
    passing_percentage = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    results_released_at = models.DateTimeField(
        null=True, blank=True, validators=[validate_in_range]
    )
    max_attempts = models.PositiveIntegerField(default=1)
    feedback = models.CharField(
        max_length=16,
        choices=Feedback.choices,
        default=Feedback.FULL,
        help_text="What students see of their verdicts while the exam runs.",
    )

    class Meta:
        ordering = ["opens_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")),
                name="exam_closes_after_opening",
                violation_error_message="An exam must close after it opens.",
            ),
            models.CheckConstraint(
                condition=models.Q(duration_minutes__gt=0) & models.Q(max_attempts__gt=0),
                name="exam_duration_and_attempts_positive",
                violation_error_message="Duration and maximum attempts must be positive.",
            ),
            models.CheckConstraint(
                condition=models.Q(total_score__gte=0) & models.Q(passing_score__gte=0),
                name="exam_scores_not_negative",
                violation_error_message="Exam scores cannot be negative.",
            ),
            models.CheckConstraint(
                condition=models.Q(passing_percentage__isnull=True)
                | (models.Q(passing_percentage__gte=0) & models.Q(passing_percentage__lte=100)),
                name="exam_passing_percentage_range",
                violation_error_message="A passing percentage is between 0 and 100.",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ExamProblem(models.Model):
    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="exam_problems")
    #: RESTRICT, not PROTECT: a problem cannot be deleted out of an exam, but deleting its course
    #: deletes the exam (and this row) in the same operation, which PROTECT would refuse.
    problem = models.ForeignKey(Problem, on_delete=models.RESTRICT, related_name="exam_problems")
    score = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("0"))
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["exam", "order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["exam", "problem"],
                name="exam_problem_once_per_exam",
                violation_error_message="This problem is already in the exam.",
            ),
            models.CheckConstraint(
                condition=models.Q(score__gte=0),
                name="exam_problem_score_not_negative",
                violation_error_message="An exam problem's score cannot be negative.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.exam}: {self.problem}"


class ExamAttempt(models.Model):
    exam = models.ForeignKey(Exam, on_delete=models.PROTECT, related_name="attempts")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exam_attempts"
    )
    started_at = models.DateTimeField()
    #: Computed once at start (min of started_at + duration and closes_at) and stored.
    deadline = models.DateTimeField()
    extra_time_minutes = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)
    score = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("0"))
    passed = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["exam", "user"],
                condition=models.Q(finished_at__isnull=True),
                name="exam_attempt_one_unfinished",
                violation_error_message="This user already has an unfinished attempt at this exam.",
            ),
            models.CheckConstraint(
                condition=models.Q(deadline__gt=models.F("started_at")),
                name="exam_attempt_deadline_after_start",
                violation_error_message="An attempt's deadline must be after its start.",
            ),
            models.CheckConstraint(
                condition=models.Q(score__gte=0),
                name="exam_attempt_score_not_negative",
                violation_error_message="An attempt's score cannot be negative.",
            ),
        ]
        indexes = [models.Index(fields=["exam", "user"])]

    def __str__(self) -> str:
        return f"{self.user} in {self.exam}"
