"""Grading, for a course's staff (instructors and assistants): the course's submissions with
every case's data, rejudging, and the gradebook (JSON and CSV).

These serializers are the only ones of the API that return hidden-case data: the case's input
and expected output, and what the program printed on it (stdout and stderr, as stored: cut at
``COURSES_STORED_OUTPUT_BYTES``).
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from courses import selectors
from courses.api.downloads import CSVDownloadMixin
from courses.api.fields import (
    IdField,
    StrictBooleanField,
    StrictCharField,
    StrictIdField,
)
from courses.api.pagination import PageQuerySerializer, paginated_response
from courses.api.schema import DOCUMENTED_ERRORS, ErrorResponseSerializer
from courses.csv_export import csv_text, gradebook_filename, gradebook_table
from courses.judging.types import Verdict
from courses.models import Course
from courses.services.submissions import rejudge

#: As ``ENUM_NAME_OVERRIDES`` spells them, so the schema names this choice set ``VerdictEnum``.
VERDICTS = [(verdict.value, verdict.name) for verdict in Verdict]


# --- Filters: the same set in a query string (list) and in a JSON body (rejudge) --------------


class QueryBooleanField(serializers.BooleanField):
    """``true`` or ``false`` (``1`` or ``0``) in a query string; anything else is a 400."""

    default_error_messages = {"invalid": "Must be true or false."}
    VALUES = {"true": True, "1": True, "false": False, "0": False}

    def to_internal_value(self, data):
        value = self.VALUES.get(data.lower()) if isinstance(data, str) else None
        if value is None:
            self.fail("invalid")
        return value


def check_date_range(attrs: dict) -> dict:
    since, until = attrs.get("since"), attrs.get("until")
    if since is not None and until is not None and since >= until:
        raise serializers.ValidationError({"until": "Must be later than since."})
    return attrs


class SubmissionFilterSerializer(serializers.Serializer):
    """Which of the course's submissions: every filter given must match.

    ``since`` (inclusive) and ``until`` (exclusive) bound ``created_at``; ISO 8601, a date or a
    date and time, UTC when no offset is given.
    """

    student = serializers.CharField(max_length=150, required=False, help_text="A username.")
    problem = IdField(required=False)
    status = serializers.ChoiceField(choices=VERDICTS, required=False, help_text="A verdict.")
    since = serializers.DateTimeField(required=False)
    until = serializers.DateTimeField(required=False)
    late = QueryBooleanField(required=False, help_text="Only late (true) or on-time (false).")
    exam = IdField(required=False, help_text="Made in an attempt at this exam.")
    in_exam = QueryBooleanField(
        required=False, help_text="Only exam (true) or practice (false) submissions."
    )

    def validate(self, attrs):
        return check_date_range(attrs)


FILTER_NAMES = tuple(SubmissionFilterSerializer().fields)


class RejudgeFilterSerializer(serializers.Serializer):
    """The list's filters as JSON, plus ``all``: an empty filter set is refused, so that a
    forgotten filter never rejudges a whole course; ``{"all": true}`` asks for exactly that."""

    student = StrictCharField(max_length=150, required=False)
    problem = StrictIdField(required=False)
    status = serializers.ChoiceField(choices=VERDICTS, required=False)
    since = serializers.DateTimeField(required=False)
    until = serializers.DateTimeField(required=False)
    late = StrictBooleanField(required=False)
    exam = StrictIdField(required=False)
    in_exam = StrictBooleanField(required=False)
    all = StrictBooleanField(
        required=False, default=False, help_text="Every submission of the course (no filter)."
    )

    def validate(self, attrs):
        attrs = check_date_range(attrs)
        everything = attrs.pop("all")
        if everything and attrs:
            raise serializers.ValidationError({"all": "Give filters or all: true, not both."})
        if not everything and not attrs:
            raise serializers.ValidationError(
                {"all": "Give at least one filter, or all: true to rejudge the whole course."}
            )
        return attrs


# --- Submissions -----------------------------------------------------------------------------


class CountedPointsField(serializers.DecimalField):
    """Points under the course's late policy (``context["course"]``); exam work is never late."""

    def __init__(self, **kwargs):
        super().__init__(max_digits=12, decimal_places=4, source="*", read_only=True, **kwargs)

    def to_representation(self, submission):
        course = self.context["course"]
        return super().to_representation(
            selectors.counted_points(submission=submission, course=course)
        )


class StaffSubmissionRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    user = serializers.CharField(source="user.username", help_text="The author's username.")
    user_id = serializers.IntegerField()
    problem = serializers.IntegerField(source="problem_id")
    problem_title = serializers.CharField(source="problem.title")
    exam_attempt = serializers.IntegerField(
        source="exam_attempt_id", allow_null=True, help_text="Null for practice submissions."
    )
    language = serializers.CharField()
    status = serializers.ChoiceField(choices=VERDICTS, help_text="The verdict.")
    score = serializers.DecimalField(max_digits=5, decimal_places=4, help_text="Share in [0, 1].")
    points = serializers.DecimalField(
        max_digits=12,
        decimal_places=4,
        help_text="score × the problem's points (exam work: × its worth in the exam)",
    )
    counted_points = CountedPointsField(
        help_text="points under the course's late policy (exam work: the exam's points)"
    )
    is_late = serializers.BooleanField()
    late_days = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    judged_at = serializers.DateTimeField(allow_null=True)
    lane = serializers.CharField(help_text="The judging queue: live, or bulk for rejudges.")
    queue_wait_ms = serializers.IntegerField(
        allow_null=True,
        help_text="From its (re)queueing to a worker taking it; null until one did.",
    )
    judging_time_ms = serializers.IntegerField(
        allow_null=True, help_text="From a worker taking it to its verdict; null until judged."
    )

    def to_representation(self, submission) -> dict:
        data = super().to_representation(submission)
        if submission.exam_attempt_id is not None:  # exam work earns the exam's points
            data["points"] = data["counted_points"]  # which ``counted_points`` already are
        return data


class StaffResultSerializer(serializers.Serializer):
    """One case, hidden or not, with its data; the case fields are null if it was deleted."""

    order = serializers.IntegerField()
    test_case = serializers.IntegerField(source="test_case_id", allow_null=True)
    is_sample = serializers.BooleanField(source="test_case.is_sample", allow_null=True)
    weight = serializers.IntegerField(source="test_case.weight", allow_null=True)
    input = serializers.CharField(source="test_case.input", allow_null=True)
    expected_output = serializers.CharField(source="test_case.expected_output", allow_null=True)
    output = serializers.CharField(help_text="The program's stdout, as stored (cut).")
    error_output = serializers.CharField(help_text="The program's stderr, as stored (cut).")
    verdict = serializers.ChoiceField(choices=VERDICTS)
    score = serializers.DecimalField(max_digits=5, decimal_places=4)
    message = serializers.CharField(
        help_text="The checker's (or the tests') message; a failed checker's error."
    )
    subtask = serializers.IntegerField(source="subtask.order", allow_null=True, default=None)
    time_ms = serializers.IntegerField(source="cpu_time_ms")
    memory_kb = serializers.IntegerField()


class StaffSubmissionDetailSerializer(StaffSubmissionRowSerializer):
    code = serializers.CharField()
    compile_output = serializers.CharField()
    error_text = serializers.CharField(
        help_text="As stored, an infrastructure failure's reason included."
    )
    max_cpu_time_ms = serializers.IntegerField(allow_null=True)
    peak_memory_kb = serializers.IntegerField(allow_null=True)
    subtasks = serializers.JSONField(source="subtask_results", allow_null=True)
    results = StaffResultSerializer(source="test_results.all", many=True)
    retry_reason = serializers.CharField(
        help_text="While it waits after an outage: why its last try failed (the judge's own "
        "words, for the staff); empty otherwise. Students see only that it is pending."
    )
    retry_at = serializers.DateTimeField(
        allow_null=True, help_text="While it waits after an outage: when the next try is due."
    )
    judge_failures = serializers.IntegerField(
        help_text="Tries of this judging that failed for want of a judge (0 after a requeue)."
    )


class StaffSubmissionListApi(APIView):
    """``GET /api/v1/staff/courses/<id>/submissions/``: every submission of the course, practice
    and exam, newest first; for its staff. Follow a rejudge here with ``?status=pending``."""

    paginated = True
    FilterSerializer = SubmissionFilterSerializer
    OutputSerializer = StaffSubmissionRowSerializer

    def get(self, request, course_id: int) -> Response:
        course = selectors.course_for_staff(user=request.user, course_id=course_id)
        filters = self.FilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        rows = selectors.course_submissions(course=course, **filters.validated_data)
        return paginated_response(
            request, self, rows, self.OutputSerializer, context={"course": course}
        )


class StaffSubmissionDetailApi(APIView):
    """``GET /api/v1/staff/submissions/<id>/``: a submission with its code and every case,
    hidden ones included: input, expected output, the program's output and error text."""

    OutputSerializer = StaffSubmissionDetailSerializer

    def get(self, request, submission_id: int) -> Response:
        submission = selectors.submission_for_staff(user=request.user, submission_id=submission_id)
        context = {"course": submission.problem.chapter.course}
        return Response(self.OutputSerializer(submission, context=context).data)


# --- Rejudge ---------------------------------------------------------------------------------


class RejudgeOutputSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    submission_ids = serializers.ListField(child=serializers.IntegerField())


def rejudged(ids: list[int]) -> Response:
    body = RejudgeOutputSerializer({"count": len(ids), "submission_ids": ids}).data
    return Response(body, status=status.HTTP_202_ACCEPTED)


class StaffSubmissionRejudgeApi(APIView):
    """``POST /api/v1/staff/submissions/<id>/rejudge/``: judge one submission again (202)."""

    success_statuses = {"POST": 202}
    OutputSerializer = RejudgeOutputSerializer

    def post(self, request, submission_id: int) -> Response:
        submission = selectors.submission_for_staff(user=request.user, submission_id=submission_id)
        return rejudged(rejudge(submission=submission))


class StaffProblemRejudgeApi(APIView):
    """``POST /api/v1/staff/problems/<id>/rejudge/``: judge every submission of a problem
    again, exam ones included (202)."""

    success_statuses = {"POST": 202}
    OutputSerializer = RejudgeOutputSerializer

    def post(self, request, problem_id: int) -> Response:
        problem = selectors.problem_for_staff(user=request.user, problem_id=problem_id)
        return rejudged(rejudge(problem=problem))


class StaffCourseRejudgeApi(APIView):
    """``POST /api/v1/staff/courses/<id>/rejudge/``: judge again the submissions the list's
    filters select (given in the body), or all of the course's with ``{"all": true}`` (202).

    The answer lists the ids put back to ``pending``; follow them in the submission list
    (``?status=pending``). With inline judging (the embedded default) they are judged before
    the answer is sent; with workers, as the queue reaches them.
    """

    success_statuses = {"POST": 202}
    InputSerializer = RejudgeFilterSerializer
    OutputSerializer = RejudgeOutputSerializer

    def post(self, request, course_id: int) -> Response:
        course = selectors.course_for_staff(user=request.user, course_id=course_id)
        filters = self.InputSerializer(data=request.data)
        filters.is_valid(raise_exception=True)
        rows = selectors.course_submissions(course=course, **filters.validated_data)
        return rejudged(rejudge(submission_ids=rows.values("pk")))


# --- Gradebook -------------------------------------------------------------------------------


class ProblemGradeSerializer(serializers.Serializer):
    problem = serializers.IntegerField()
    points = serializers.DecimalField(
        max_digits=12, decimal_places=2, allow_null=True, help_text="Null: never submitted."
    )
    late = serializers.BooleanField(help_text="The submission that counts was late.")


class ExamGradeSerializer(serializers.Serializer):
    exam = serializers.IntegerField()
    score = serializers.DecimalField(
        max_digits=8, decimal_places=2, allow_null=True, help_text="Null: no finished attempt."
    )
    passed = serializers.BooleanField(allow_null=True)


class GradebookRowSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.CharField()
    problems = ProblemGradeSerializer(many=True)
    exams = ExamGradeSerializer(many=True)
    problem_points = serializers.DecimalField(max_digits=12, decimal_places=2)
    exam_points = serializers.DecimalField(max_digits=12, decimal_places=2)
    total = serializers.DecimalField(max_digits=12, decimal_places=2)


class GradebookProblemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    points = serializers.IntegerField()
    due_at = serializers.DateTimeField(allow_null=True)


class GradebookExamSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    total_score = serializers.DecimalField(max_digits=8, decimal_places=2)
    passing_score = serializers.DecimalField(max_digits=8, decimal_places=2)


class GradebookColumnsSerializer(serializers.Serializer):
    """What the rows' columns are, once per page."""

    course = serializers.IntegerField(source="course.pk")
    late_policy = serializers.ChoiceField(
        source="course.late_policy", choices=Course.LatePolicy.choices
    )
    late_penalty_percent_per_day = serializers.DecimalField(
        source="course.late_penalty_percent_per_day", max_digits=5, decimal_places=2
    )
    problems = GradebookProblemSerializer(many=True)
    exams = GradebookExamSerializer(many=True)


class GradebookPageSerializer(GradebookColumnsSerializer):
    """A page of students (``?page``, ``?page_size``), with the columns their rows follow."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = GradebookRowSerializer(many=True)


class StaffGradebookApi(APIView):
    """``GET /api/v1/staff/courses/<id>/gradebook/``: one row per active student, by username,
    a page at a time, with the problem and exam columns (``Gradebook`` in the selectors)."""

    FilterSerializer = PageQuerySerializer
    OutputSerializer = GradebookPageSerializer

    def get(self, request, course_id: int) -> Response:
        course = selectors.course_for_staff(user=request.user, course_id=course_id)
        gradebook = selectors.course_gradebook(course=course)
        response = paginated_response(request, self, gradebook.rows, GradebookRowSerializer)
        response.data.update(GradebookColumnsSerializer(gradebook).data)
        return response


@extend_schema(
    responses={
        (200, "text/csv"): OpenApiResponse(
            OpenApiTypes.STR,
            description="The gradebook as a CSV file (a header row, then one row per student).",
        ),
        **{
            (code, "application/json"): OpenApiResponse(ErrorResponseSerializer, description=text)
            for code, text in DOCUMENTED_ERRORS.items()
        },
    }
)
class StaffGradebookCsvApi(CSVDownloadMixin, APIView):
    """``GET /api/v1/staff/courses/<id>/gradebook.csv``: the whole gradebook as a download.

    Cells that a spreadsheet would read as a formula start with ``'`` (``safe_cell``); failures
    are JSON, like everywhere else.
    """

    def get(self, request, course_id: int) -> Response:
        course = selectors.course_for_staff(user=request.user, course_id=course_id)
        gradebook = selectors.course_gradebook(course=course)
        filename = gradebook_filename(course, timezone.now())
        return Response(
            csv_text(gradebook_table(gradebook)),
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
