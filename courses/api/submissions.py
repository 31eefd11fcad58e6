"""Submissions: submit code for a problem, list your own, read one of them with its results.

Every student-facing submission goes through ``SubmissionOutputSerializer`` (or, in lists, its
summary part), which applies two rules in one place:

- hidden test data never leaves the server: a hidden case shows its verdict, time and memory,
  never its input, expected output, or the program's output or error text there;
- an exam submission shows what the exam's feedback allows until its results are released
  (``courses.selectors.feedback``).
"""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from courses import selectors
from courses.api.fields import IdField, StrictCharField
from courses.api.pagination import paginated_response
from courses.api.refs import ProblemRefSerializer
from courses.judging.types import Verdict
from courses.judging.verdicts import api_status_for
from courses.selectors.exams import problem_points
from courses.selectors.feedback import FULL, NONE, SAMPLES
from courses.services.late_policy import effective_score
from courses.services.submissions import submission_create

INTERNAL_ERROR_TEXT = "Judging failed for a reason that is not your code. It has been logged."

#: The help text of every ``status`` a student sees.
STATUS_HELP = (
    "The verdict (pending, judging, accepted, wrong_answer, ...); for an exam submission whose "
    "verdict is withheld until results are released: 'judged' (samples feedback) or 'received' "
    "(no feedback)."
)


def effective_points(submission) -> Decimal:
    """``points`` under the course's late policy (load ``problem__chapter__course``)."""
    course = submission.problem.chapter.course
    score = effective_score(
        score=submission.score,
        policy=course.late_policy,
        percent_per_day=course.late_penalty_percent_per_day,
        days=submission.late_days,
    )
    return score * submission.problem.points


class EffectivePointsField(serializers.DecimalField):
    def get_attribute(self, submission) -> Decimal:
        return effective_points(submission)


class SubmissionSummarySerializer(serializers.Serializer):
    """A submission as its owner sees it in a list. Give ``now`` in the context.

    ``points`` is ``score`` × the problem's points; ``effective_points`` is what the submission
    counts for under the course's late policy (the same as ``points`` when on time). An exam
    submission's are both the exam's: ``score`` × the problem's worth in the exam. With
    ``samples`` or ``none`` feedback, the score and points are ``null``; with ``none``,
    ``judged_at`` too.
    """

    id = serializers.IntegerField()
    problem = ProblemRefSerializer()
    exam_attempt = serializers.IntegerField(source="exam_attempt_id", allow_null=True)
    language = serializers.CharField()
    status = serializers.CharField(help_text=STATUS_HELP)
    feedback = serializers.SerializerMethodField(
        help_text="What this submission shows: full, samples (exam) or none (exam)."
    )
    score = serializers.DecimalField(max_digits=5, decimal_places=4, allow_null=True)
    points = serializers.DecimalField(max_digits=12, decimal_places=4, allow_null=True)
    effective_points = EffectivePointsField(
        max_digits=12,
        decimal_places=4,
        allow_null=True,
        help_text="The points this submission counts for under the course's late policy.",
    )
    is_late = serializers.BooleanField()
    late_days = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    judged_at = serializers.DateTimeField(allow_null=True)

    #: Fields blanked when the verdict is withheld, with the value they show then.
    WITHHELD = {"score": None, "points": None, "effective_points": None}
    #: Blanked as well when nothing of the judging may show (``none`` feedback).
    WITHHELD_ENTIRELY = {"judged_at": None}

    def feedback_for(self, submission) -> str:
        now = self.context.get("now") or timezone.now()
        return selectors.submission_feedback(submission=submission, now=now)

    def get_feedback(self, submission) -> str:
        return self.feedback_for(submission)

    def exam_worth(self, submission) -> Decimal | None:
        """What an exam submission's points are out of; None for practice work."""
        return selectors.exam_worth_of(submission)

    def to_representation(self, submission) -> dict:
        feedback = self.feedback_for(submission)
        data = super().to_representation(submission)
        worth = self.exam_worth(submission)
        if worth is not None and submission.score is not None:
            # Exam work earns the exam's points, rounded to cents as the exam scores it; the
            # course's late policy is not the exam's (its deadline is the attempt's).
            points = problem_points(share=submission.score, score=worth)
            data["points"] = data["effective_points"] = self.fields["points"].to_representation(
                points
            )
        data["status"] = selectors.shown_status(status=submission.status, feedback=feedback)
        if feedback != FULL:
            data.update({k: v for k, v in self.WITHHELD.items() if k in data})
        if feedback == NONE:
            data.update({k: v for k, v in self.WITHHELD_ENTIRELY.items() if k in data})
        return data


class CaseResultSchema(serializers.Serializer):
    """What ``results`` holds, for the schema: hidden cases lack the sample-only fields."""

    order = serializers.IntegerField()
    hidden = serializers.BooleanField()
    verdict = serializers.CharField(help_text="A verdict, or `skipped` (a subtask's case not run).")
    score = serializers.DecimalField(
        max_digits=5, decimal_places=4, help_text="The share of the case earned, in [0, 1]."
    )
    subtask = serializers.IntegerField(
        allow_null=True, help_text="The order of the case's subtask; null without subtasks."
    )
    time_ms = serializers.IntegerField()
    memory_kb = serializers.IntegerField()
    message = serializers.CharField(
        required=False, help_text="Sample cases only: the checker's or the tests' message."
    )
    input = serializers.CharField(required=False, help_text="Sample cases only.")
    expected_output = serializers.CharField(required=False, help_text="Sample cases only.")
    output = serializers.CharField(required=False, help_text="Sample cases only.")
    error_output = serializers.CharField(required=False, help_text="Sample cases only.")

    class Meta:
        ref_name = "SubmissionCaseResult"


class SubmissionOutputSerializer(SubmissionSummarySerializer):
    """One submission as its owner sees it, with its code and per-case results.

    Give ``now`` in the context (the exam feedback rule depends on it). Each result of a sample
    case shows its input, expected output and the program's output and error text; a hidden case
    shows only verdict, time and memory (a result whose case was deleted counts as hidden). With
    ``samples`` feedback only the sample cases' results show, and no overall verdict, score,
    time, memory or error text; with ``none``, no result at all.
    """

    code = serializers.CharField()
    max_cpu_time_ms = serializers.IntegerField(allow_null=True)
    peak_memory_kb = serializers.IntegerField(allow_null=True)
    compile_output = serializers.CharField()
    error_text = serializers.SerializerMethodField(
        help_text="Why the first failing case failed: a sample's error text, else its verdict."
    )
    results = serializers.SerializerMethodField(
        help_text="Per case, in order; a hidden case shows verdict, time and memory only."
    )
    subtasks = serializers.JSONField(
        source="subtask_results",
        allow_null=True,
        help_text='Per subtask: {"order", "name", "points", "earned", "status"} (status: passed, '
        "partial, failed, skipped); null when the problem has no subtasks.",
    )

    WITHHELD = {
        **SubmissionSummarySerializer.WITHHELD,
        "max_cpu_time_ms": None,
        "peak_memory_kb": None,
        "subtasks": None,
    }
    WITHHELD_ENTIRELY = {
        **SubmissionSummarySerializer.WITHHELD_ENTIRELY,
        "compile_output": "",
        "error_text": "",
    }

    def get_error_text(self, submission) -> str:
        """Why the first failing case failed, as far as the feedback shows it.

        An infrastructure failure's reason names hosts and services: it is for the staff, not
        for the student, who is told only that it was not their code. With ``samples`` feedback
        the text shows only when the first failing case is a sample (otherwise it would name a
        hidden case's verdict, "wrong answer on hidden test case 3").
        """
        if submission.status == Verdict.INTERNAL_ERROR:
            return INTERNAL_ERROR_TEXT
        if self.feedback_for(submission) == SAMPLES and not first_failure_is_a_sample(submission):
            return ""
        return submission.error_text

    @extend_schema_field(CaseResultSchema(many=True))
    def get_results(self, submission) -> list[dict]:
        feedback = self.feedback_for(submission)
        if feedback == NONE or not selectors.has_results(submission):
            return []
        shown = []
        for result in submission.test_results.all():
            if result.test_case is not None and result.test_case.is_sample:
                shown.append(SampleResultSerializer(result).data)
            elif feedback != SAMPLES:
                shown.append(HiddenResultSerializer(result).data)
        return shown


def first_failure_is_a_sample(submission) -> bool:
    """Whether the first failing case (in order) is a sample; uses the prefetched results."""
    if not selectors.has_results(submission):
        return False
    for result in submission.test_results.all():
        if result.verdict != Verdict.ACCEPTED:
            return result.test_case is not None and result.test_case.is_sample
    return False


class HiddenResultSerializer(serializers.Serializer):
    order = serializers.IntegerField()
    hidden = serializers.SerializerMethodField()
    verdict = serializers.CharField()
    score = serializers.DecimalField(max_digits=5, decimal_places=4)
    subtask = serializers.IntegerField(source="subtask.order", allow_null=True, default=None)
    time_ms = serializers.IntegerField(source="cpu_time_ms")
    memory_kb = serializers.IntegerField()

    def get_hidden(self, result) -> bool:
        return True


class SampleResultSerializer(HiddenResultSerializer):
    message = serializers.SerializerMethodField()
    input = serializers.CharField(source="test_case.input")
    expected_output = serializers.CharField(source="test_case.expected_output")
    output = serializers.CharField()
    error_output = serializers.CharField()

    def get_hidden(self, result) -> bool:
        return False

    def get_message(self, result) -> str:
        """The checker's message; a failed checker's error is for the staff only."""
        return "" if result.verdict == Verdict.INTERNAL_ERROR else result.message


class SubmissionCreateApi(APIView):
    """``POST /api/v1/problems/<id>/submissions/``: submit code for a visible problem.

    For users actively enrolled in the problem's course. Judging starts once the submission is
    committed: inline in the embedded setup, where the answer is **201** with the verdict (or
    **202** ``pending`` when the judge is unavailable or slower than
    ``COURSES_INLINE_JUDGE_WAIT_SECONDS``); on a Celery worker at scale, where it is **202** with
    ``pending`` (poll the submission). A user
    with ``COURSES_MAX_PENDING_SUBMISSIONS`` submissions still waiting gets 429
    ``too_many_pending`` with ``Retry-After``. After the problem's due date the submission is
    accepted and marked late.
    """

    class InputSerializer(serializers.Serializer):
        language = StrictCharField(max_length=32)
        # Code is taken as typed: no trimming, and emptiness is the service's to judge.
        code = StrictCharField(trim_whitespace=False, allow_blank=True)

    OutputSerializer = SubmissionOutputSerializer

    @extend_schema(
        responses={
            201: OpenApiResponse(SubmissionOutputSerializer, description="Judged already."),
            202: OpenApiResponse(
                SubmissionOutputSerializer, description="Pending or judging: poll the submission."
            ),
        }
    )
    def post(self, request, problem_id: int) -> Response:
        problem = selectors.problem_for_submission(user=request.user, problem_id=problem_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        submission = submission_create(
            user=request.user, problem=problem, **serializer.validated_data
        )
        submission = selectors.submission_for_owner(user=request.user, submission_id=submission.pk)
        api_status = api_status_for(submission.status, created=True)
        data = self.OutputSerializer(submission, context={"now": timezone.now()}).data
        return Response(data, status=api_status.http_status)


class SubmissionListApi(APIView):
    """``GET /api/v1/submissions/``: your own submissions, newest first, one page at a time.

    Filters: ``problem`` and ``course`` (ids), ``status`` (as you see it: an exam submission
    whose verdict is withheld is found under ``judged`` or ``received``).
    """

    paginated = True

    class FilterSerializer(serializers.Serializer):
        problem = IdField(required=False)
        course = IdField(required=False)
        status = serializers.CharField(required=False, help_text=STATUS_HELP)

        def validate_status(self, value: str) -> str:
            if value not in selectors.SHOWN_STATUSES:
                raise serializers.ValidationError(
                    f"Unknown status; one of: {', '.join(selectors.SHOWN_STATUSES)}."
                )
            return value

    class OutputSerializer(SubmissionSummarySerializer):
        pass

    def get(self, request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        now = timezone.now()
        rows = selectors.submissions_of_user(
            user=request.user,
            now=now,
            problem_id=filters.validated_data.get("problem"),
            course_id=filters.validated_data.get("course"),
            status=filters.validated_data.get("status"),
        )
        return paginated_response(request, self, rows, self.OutputSerializer, context={"now": now})


class SubmissionDetailApi(APIView):
    """``GET /api/v1/submissions/<id>/``: one of your own submissions; others' are not found."""

    OutputSerializer = SubmissionOutputSerializer

    def get(self, request, submission_id: int) -> Response:
        submission = selectors.submission_for_owner(user=request.user, submission_id=submission_id)
        return Response(self.OutputSerializer(submission, context={"now": timezone.now()}).data)
