from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models

from courses.judging.types import SUBMISSION_VERDICTS, Verdict
from courses.models.problem import Problem, ProblemTestCase, Subtask

#: A submission's statuses: every verdict but the case-only ``skipped``.
VerdictChoices = models.TextChoices(
    "VerdictChoices", [(v.name, v.value) for v in SUBMISSION_VERDICTS]
)
#: A case result's verdicts: a submission's, and ``skipped``.
CaseVerdictChoices = models.TextChoices("CaseVerdictChoices", [(v.name, v.value) for v in Verdict])


class Lane(models.TextChoices):
    LIVE = "live"
    BULK = "bulk"


class Submission(models.Model):
    """A student's code for a problem and how it was judged.

    ``claim_id`` and ``lease_expires_at`` implement the judging lease of DESIGN.md: a worker
    atomically moves the row from ``pending`` (or an expired lease) to ``judging`` with its claim
    id, and its final save counts only if the claim still holds.

    When judging fails for want of a judge (an outage), the row goes back to ``pending`` with a
    ``retry_at`` (``judge_failures`` counts the failures, ``retry_reason`` says the last one, for
    staff), and ``judge_checkpoint`` keeps what the backend created remotely (Judge0's tokens),
    so the next try polls them instead of creating them again.
    """

    Status = VerdictChoices
    Lane = Lane

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="submissions"
    )
    problem = models.ForeignKey(Problem, on_delete=models.PROTECT, related_name="submissions")
    exam_attempt = models.ForeignKey(
        "courses.ExamAttempt",
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="submissions",
    )
    language = models.CharField(max_length=32)
    code = models.TextField()
    status = models.CharField(max_length=32, choices=Status.choices, default=Verdict.PENDING)
    #: Weighted share of passed cases in [0, 1]; points shown are score × problem.points.
    score = models.DecimalField(max_digits=5, decimal_places=4, default=Decimal("0"))
    max_cpu_time_ms = models.PositiveIntegerField(null=True, blank=True)
    peak_memory_kb = models.PositiveIntegerField(null=True, blank=True)
    compile_output = models.TextField(blank=True)
    error_text = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    #: When a person asked for it to be judged: its creation, or the staff's rejudge.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    #: The Celery queue that judges it (``settings.COURSES_LANES``): ``live`` for new work and
    #: single rejudges, ``bulk`` for rejudges of a problem or a course.
    lane = models.CharField(max_length=8, choices=Lane.choices, default=Lane.LIVE)
    #: When its last judging message was sent: the periodic requeue sends one again only when
    #: no message can still be on its way (``courses.services.submissions.submissions_stale``).
    sent_at = models.DateTimeField(null=True, blank=True)
    judging_started_at = models.DateTimeField(null=True, blank=True)
    judged_at = models.DateTimeField(null=True, blank=True)
    claim_id = models.UUIDField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    #: When a submission waiting after an outage is due again (the periodic requeue takes it).
    retry_at = models.DateTimeField(null=True, blank=True)
    #: Judging attempts that failed for want of a judge since it was submitted or requeued.
    judge_failures = models.PositiveIntegerField(default=0)
    #: Why the last of them failed (names hosts: for the course's staff only).
    retry_reason = models.TextField(blank=True)
    #: The backend's ledger of remote work (``courses.judging.backends.base.Checkpoint``),
    #: written under the judging claim; cleared once judged, failed or requeued.
    judge_checkpoint = models.JSONField(null=True, blank=True)
    #: Per subtask, when the problem has subtasks: ``[{"order", "name", "points", "earned",
    #: "status"}]`` (status: ``passed``, ``partial``, ``failed``, ``skipped``); else null.
    subtask_results = models.JSONField(null=True, blank=True)
    #: Made after the problem's due date (homework); fixed when the submission is created.
    is_late = models.BooleanField(default=False)
    #: Started days past the due date (1 for a minute late); 0 when on time.
    late_days = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__gte=0) & models.Q(score__lte=1),
                name="submission_score_share",
                violation_error_message="A submission's score is a share between 0 and 1.",
            )
        ]
        indexes = [
            models.Index(fields=["user", "problem", "-created_at"]),
            models.Index(fields=["status", "lease_expires_at"]),
            models.Index(fields=["status", "retry_at"]),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.user} {self.problem} {self.status}"

    @property
    def points(self) -> Decimal:
        return self.score * self.problem.points

    @property
    def queue_wait_ms(self) -> int | None:
        """From its (re)queueing by a person to the start of its last judging; outage retries
        included (it waited for them). ``None`` until a worker took it."""
        queued = self.enqueued_at or self.created_at
        if self.judging_started_at is None or queued is None:
            return None
        return max(0, round((self.judging_started_at - queued).total_seconds() * 1000))

    @property
    def judging_time_ms(self) -> int | None:
        """From the start of its last judging to its verdict; ``None`` until judged."""
        if self.judging_started_at is None or self.judged_at is None:
            return None
        return max(0, round((self.judged_at - self.judging_started_at).total_seconds() * 1000))


class SubmissionTestResult(models.Model):
    """One case of a judged submission.

    The program's output and error text are stored for every case, hidden ones included, cut at
    ``COURSES_STORED_OUTPUT_BYTES``, so that the course's staff can see why a case failed. Only
    staff serializers and pages return them for hidden cases (DESIGN.md, Judging).
    """

    submission = models.ForeignKey(
        Submission, on_delete=models.CASCADE, related_name="test_results"
    )
    test_case = models.ForeignKey(
        ProblemTestCase, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    order = models.PositiveIntegerField()
    verdict = models.CharField(max_length=32, choices=CaseVerdictChoices.choices)
    #: The share of the case earned, in [0, 1]: 1 or 0, or a custom checker's partial score.
    score = models.DecimalField(max_digits=5, decimal_places=4, default=Decimal("0"))
    #: What the checker (or the tests-as-code harness) said; students read it on samples only,
    #: and never when the checker failed (then it is the checker's error, for the staff).
    message = models.TextField(blank=True)
    #: The subtask the case was in when judged (null without subtasks, or once deleted).
    subtask = models.ForeignKey(
        Subtask, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    cpu_time_ms = models.PositiveIntegerField(default=0)
    memory_kb = models.PositiveIntegerField(default=0)
    #: The program's standard output, cut at ``COURSES_STORED_OUTPUT_BYTES``.
    output = models.TextField(blank=True)
    #: The program's standard error, cut likewise.
    error_output = models.TextField(blank=True)

    class Meta:
        ordering = ["submission", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "order"], name="result_one_per_case_order"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.submission_id} case {self.order}: {self.verdict}"
