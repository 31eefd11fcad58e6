"""Exams: a course's exams, taking one (start, read its problems, submit, finish), results, and
the staff's view of every attempt (extra time, reopening).

The server owns every deadline: each response that shows a running attempt carries its stored
``deadline`` and ``seconds_remaining`` computed from it at response time. An attempt's ``score``
and ``passed`` are ``null`` until it is finished *and* the exam's results are released
(``results_available``): an unfinished attempt is never scored mid-exam.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from courses import selectors
from courses.api.catalogue import LanguageSerializer, problem_languages
from courses.api.fields import IdField, StrictCharField, StrictIntegerField
from courses.api.pagination import paginated_response
from courses.api.submissions import SubmissionOutputSerializer
from courses.exam_time import (
    EXPIRED,
    FINISHED,
    RUNNING,
    attempt_state,
    exam_state,
    results_visible,
    time_remaining,
)
from courses.judging.types import Verdict
from courses.models import Exam
from courses.rendering import render_markdown
from courses.services.exam_attempts import (
    MAX_GRANT_MINUTES,
    exam_attempt_finish,
    exam_attempt_grant_extra_time,
    exam_attempt_reopen,
    exam_attempt_start,
)
from courses.services.submissions import submission_create

ATTEMPT_STATES = [RUNNING, EXPIRED, FINISHED]

#: ``status`` of an exam submission whose verdict the exam's feedback hides.
JUDGED = "judged"
RECEIVED = "received"


# --- Shared shapes ---------------------------------------------------------------------------


def _now(serializer) -> datetime:
    return serializer.context["now"]


class MyAttemptSerializer(serializers.Serializer):
    """One of my attempts. ``score`` and ``passed`` are ``null`` unless ``results_available``.

    ``state``: ``running`` (before its deadline), ``expired`` (deadline passed, not finished
    yet), ``finished``. ``seconds_remaining`` counts down to 0 and never below; 0 once finished.
    """

    id = serializers.IntegerField()
    exam = serializers.IntegerField(source="exam_id")
    state = serializers.SerializerMethodField()
    started_at = serializers.DateTimeField()
    deadline = serializers.DateTimeField()
    extra_time_minutes = serializers.IntegerField()
    finished_at = serializers.DateTimeField(allow_null=True)
    seconds_remaining = serializers.SerializerMethodField()
    results_available = serializers.SerializerMethodField()
    score = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    passed = serializers.BooleanField(allow_null=True)

    def get_state(self, attempt) -> str:
        return attempt_state(
            finished_at=attempt.finished_at, deadline=attempt.deadline, now=_now(self)
        )

    def get_seconds_remaining(self, attempt) -> int:
        if attempt.finished_at is not None:
            return 0
        return int(time_remaining(attempt.deadline, _now(self)).total_seconds())

    def get_results_available(self, attempt) -> bool:
        return attempt.finished_at is not None and results_visible(attempt.exam, _now(self))

    def to_representation(self, attempt):
        data = super().to_representation(attempt)
        if not data["results_available"]:
            data["score"] = data["passed"] = None
        return data


class MyExamSerializer(serializers.Serializer):
    """An exam's rules, its ``state`` now (``upcoming``, ``open``, ``closed``) and my attempts."""

    id = serializers.IntegerField()
    course = serializers.IntegerField(source="course_id")
    title = serializers.CharField()
    opens_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField()
    duration_minutes = serializers.IntegerField()
    max_attempts = serializers.IntegerField()
    total_score = serializers.DecimalField(max_digits=8, decimal_places=2)
    passing_score = serializers.DecimalField(max_digits=8, decimal_places=2)
    feedback = serializers.ChoiceField(choices=Exam.Feedback.choices)
    results_released_at = serializers.DateTimeField(allow_null=True)
    problem_count = serializers.IntegerField()
    state = serializers.SerializerMethodField()
    attempts_left = serializers.SerializerMethodField()
    my_attempts = MyAttemptSerializer(many=True)

    def get_state(self, exam) -> str:
        return exam_state(opens_at=exam.opens_at, closes_at=exam.closes_at, now=_now(self))

    def get_attempts_left(self, exam) -> int:
        return max(exam.max_attempts - len(exam.my_attempts), 0)


class ExamSubmissionSerializer(SubmissionOutputSerializer):
    """A submission made in an exam attempt: the student-facing submission, with the exam's
    feedback rule applied by the base serializer, and the exam's points.

    ``points`` are the exam's: ``score`` × what the problem is worth in the exam (the context's
    ``exam_scores``, ``{problem_id: score}``), rounded half up to cents; withheld (``null``)
    with the score while the feedback withholds them.
    """

    points = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)

    def exam_worth(self, submission) -> Decimal:
        # A problem taken out of the exam after the submission no longer counts in its score.
        return self.context["exam_scores"].get(submission.problem_id, Decimal("0"))


class AttemptProblemSerializer(serializers.Serializer):
    """A problem of the exam in an attempt: ``score`` is what it is worth in the exam, ``state``
    (``unsolved``, ``attempted``, ``solved``) what my submissions show under the feedback rule."""

    id = serializers.IntegerField(source="exam_problem.problem_id")
    title = serializers.CharField(source="exam_problem.problem.title")
    order = serializers.IntegerField(source="exam_problem.order")
    score = serializers.DecimalField(max_digits=8, decimal_places=2, source="exam_problem.score")
    state = serializers.CharField()


class AttemptExamSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    feedback = serializers.ChoiceField(choices=Exam.Feedback.choices)
    total_score = serializers.DecimalField(max_digits=8, decimal_places=2)
    passing_score = serializers.DecimalField(max_digits=8, decimal_places=2)
    results_released_at = serializers.DateTimeField(allow_null=True)


class AttemptDetailSerializer(MyAttemptSerializer):
    """An attempt with its exam, the exam's problems in order and my submissions in it."""

    exam = AttemptExamSerializer()
    problems = AttemptProblemSerializer(many=True)
    submissions = ExamSubmissionSerializer(many=True, source="my_submissions")


def exam_context(now, exam_problems) -> dict:
    """What the exam serializers need: the instant of the response and each problem's worth."""
    return {"now": now, "exam_scores": {row.problem_id: row.score for row in exam_problems}}


def _attempt_detail_response(attempt, now, http_status=status.HTTP_200_OK) -> Response:
    attempt = selectors.attempt_detail(attempt=attempt, now=now)
    context = exam_context(now, [problem.exam_problem for problem in attempt.problems])
    return Response(AttemptDetailSerializer(attempt, context=context).data, status=http_status)


# --- Student endpoints -----------------------------------------------------------------------


class ExamListApi(APIView):
    """``GET /api/v1/courses/<id>/exams/``: the course's exams with my attempts, for members."""

    paginated = True
    OutputSerializer = MyExamSerializer

    def get(self, request, course_id: int) -> Response:
        course = selectors.course_for_member(user=request.user, course_id=course_id)
        exams = selectors.course_exams(user=request.user, course_id=course.pk)
        context = {"now": timezone.now()}
        return paginated_response(request, self, exams, self.OutputSerializer, context=context)


class ExamDetailApi(APIView):
    """``GET /api/v1/exams/<id>/``: an exam's rules and instructions, and my attempts."""

    class OutputSerializer(MyExamSerializer):
        instructions = serializers.CharField()

    def get(self, request, exam_id: int) -> Response:
        exam = selectors.exam_for_member(user=request.user, exam_id=exam_id)
        return Response(self.OutputSerializer(exam, context={"now": timezone.now()}).data)


class AttemptStartApi(APIView):
    """``POST /api/v1/exams/<id>/attempts/``: start an attempt now; 201 with it as
    ``GET /attempts/<id>/`` shows it.

    Enrolled members only (403 ``not_enrolled``). 409: ``exam_not_open``, ``exam_closed``,
    ``attempt_limit_reached``, ``attempt_already_running``. No body.
    """

    OutputSerializer = AttemptDetailSerializer

    def post(self, request, exam_id: int) -> Response:
        exam = selectors.exam_for_member(user=request.user, exam_id=exam_id)
        now = timezone.now()
        attempt = exam_attempt_start(exam=exam, user=request.user, now=now)
        attempt = selectors.attempt_for_owner(user=request.user, attempt_id=attempt.pk)
        return _attempt_detail_response(attempt, now, status.HTTP_201_CREATED)


class AttemptDetailApi(APIView):
    """``GET /api/v1/attempts/<id>/``: my attempt, with the server's deadline and the seconds
    remaining, the exam's problems and my submissions; anyone else's is not found."""

    OutputSerializer = AttemptDetailSerializer

    def get(self, request, attempt_id: int) -> Response:
        attempt = selectors.attempt_for_owner(user=request.user, attempt_id=attempt_id)
        return _attempt_detail_response(attempt, timezone.now())


class ExamSampleSerializer(serializers.Serializer):
    order = serializers.IntegerField()
    input = serializers.CharField()
    expected_output = serializers.CharField()


class AttemptProblemDetailApi(APIView):
    """``GET /api/v1/attempts/<id>/problems/<problem_id>/``: an exam problem's statement, limits,
    languages, starter code and sample cases, readable only inside my own open attempt.

    409 ``attempt_finished`` once finished, ``attempt_expired`` from the deadline on; 404 for a
    problem not in the exam; 403 ``not_enrolled`` after leaving the course.
    """

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField(source="problem.id")
        title = serializers.CharField(source="problem.title")
        statement = serializers.CharField(source="problem.statement", help_text="Markdown.")
        statement_html = serializers.SerializerMethodField(
            help_text="The statement rendered and sanitised on the server."
        )
        score = serializers.DecimalField(max_digits=8, decimal_places=2)
        time_limit_ms = serializers.IntegerField(source="problem.time_limit_ms")
        memory_limit_kb = serializers.IntegerField(source="problem.memory_limit_kb")
        output_limit_kb = serializers.IntegerField(source="problem.output_limit_kb")
        allowed_languages = serializers.ListField(
            child=serializers.CharField(), source="problem.allowed_languages"
        )
        starter_code = serializers.DictField(
            child=serializers.CharField(), source="problem.starter_code"
        )
        languages = serializers.SerializerMethodField(
            help_text="The allowed languages with their starter code and their own limits."
        )
        io_mode = serializers.CharField(source="problem.io_mode")
        entry_point = serializers.CharField(source="problem.entry_point")
        samples = ExamSampleSerializer(many=True, source="problem.samples")

        def get_statement_html(self, exam_problem) -> str:
            return render_markdown(exam_problem.problem.statement)

        @extend_schema_field(LanguageSerializer(many=True))
        def get_languages(self, exam_problem) -> list[dict]:
            return problem_languages(exam_problem.problem)

    def get(self, request, attempt_id: int, problem_id: int) -> Response:
        _, exam_problem = selectors.attempt_problem_for_reading(
            user=request.user, attempt_id=attempt_id, problem_id=problem_id, now=timezone.now()
        )
        return Response(self.OutputSerializer(exam_problem).data)


@extend_schema(responses={201: ExamSubmissionSerializer, 202: ExamSubmissionSerializer})
class AttemptSubmissionCreateApi(APIView):
    """``POST /api/v1/attempts/<id>/problems/<problem_id>/submissions/``: submit in my attempt.

    **202** while the submission is pending or judging, **201** when its verdict is final at
    response time (inline judging); rendered under the exam's feedback rule. 409
    ``attempt_expired`` from the deadline on (the message names it), ``attempt_finished`` once
    finished. The cap on pending practice submissions never applies here.
    """

    class InputSerializer(serializers.Serializer):
        language = StrictCharField(max_length=32)
        # Code is taken as typed: no trimming, and emptiness is the service's to judge.
        code = StrictCharField(trim_whitespace=False, allow_blank=True)

    OutputSerializer = ExamSubmissionSerializer

    def post(self, request, attempt_id: int, problem_id: int) -> Response:
        attempt, exam_problem = selectors.attempt_exam_problem(
            user=request.user, attempt_id=attempt_id, problem_id=problem_id
        )
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        submission = submission_create(
            user=request.user,
            problem=exam_problem.problem,
            exam_attempt=attempt,
            **serializer.validated_data,
        )
        submission = selectors.submission_for_owner(user=request.user, submission_id=submission.pk)
        context = exam_context(timezone.now(), [exam_problem])
        data = self.OutputSerializer(submission, context=context).data
        return Response(data, status=creation_status(submission))


def creation_status(submission) -> int:
    """201 when the verdict is final at response time, 202 while pending or judging."""
    if Verdict(submission.status).is_final:
        return status.HTTP_201_CREATED
    return status.HTTP_202_ACCEPTED


class AttemptFinishApi(APIView):
    """``POST /api/v1/attempts/<id>/finish/``: hand in my attempt; finishing again changes
    nothing. 200 with the attempt as ``GET /attempts/<id>/`` shows it. No body."""

    success_statuses = {"POST": 200}
    OutputSerializer = AttemptDetailSerializer

    def post(self, request, attempt_id: int) -> Response:
        attempt = selectors.attempt_for_owner(user=request.user, attempt_id=attempt_id)
        now = timezone.now()
        exam_attempt_finish(attempt=attempt, now=now)
        attempt = selectors.attempt_for_owner(user=request.user, attempt_id=attempt_id)
        return _attempt_detail_response(attempt, now)


class ExamProblemResultSerializer(serializers.Serializer):
    """``score``: what the problem is worth in the exam; ``best_score``: the best submission's
    share of the cases; ``points``: their product, rounded half up to cents."""

    id = serializers.IntegerField(source="exam_problem.problem_id")
    title = serializers.CharField(source="exam_problem.problem.title")
    score = serializers.DecimalField(max_digits=8, decimal_places=2, source="exam_problem.score")
    best_score = serializers.DecimalField(max_digits=5, decimal_places=4)
    points = serializers.DecimalField(max_digits=8, decimal_places=2)


class AttemptResultsApi(APIView):
    """``GET /api/v1/attempts/<id>/results/``: my finished attempt's score, pass, and per problem
    the best score and points, with every submission in full (released: ``feedback`` ``full``).

    409 ``results_not_released`` before the exam's release time, ``attempt_not_finished`` for an
    attempt not finished yet. Per-problem points are rounded to cents each; the attempt's
    ``score`` is their exact sum rounded once.
    """

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        exam = serializers.IntegerField(source="exam_id")
        started_at = serializers.DateTimeField()
        finished_at = serializers.DateTimeField()
        score = serializers.DecimalField(max_digits=8, decimal_places=2)
        passed = serializers.BooleanField()
        total_score = serializers.DecimalField(
            max_digits=8, decimal_places=2, source="exam.total_score"
        )
        passing_score = serializers.DecimalField(
            max_digits=8, decimal_places=2, source="exam.passing_score"
        )
        problems = ExamProblemResultSerializer(many=True, source="problem_results")
        submissions = ExamSubmissionSerializer(many=True, source="my_submissions")

    def get(self, request, attempt_id: int) -> Response:
        now = timezone.now()
        attempt = selectors.attempt_results(user=request.user, attempt_id=attempt_id, now=now)
        context = exam_context(now, [result.exam_problem for result in attempt.problem_results])
        return Response(self.OutputSerializer(attempt, context=context).data)


# --- Staff endpoints -------------------------------------------------------------------------


class AttemptUserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField(source="get_username")


class StaffAttemptSerializer(serializers.Serializer):
    """An attempt as the course's staff see it; ``score`` and ``passed`` once it is finished."""

    id = serializers.IntegerField()
    exam = serializers.IntegerField(source="exam_id")
    user = AttemptUserSerializer()
    state = serializers.SerializerMethodField()
    started_at = serializers.DateTimeField()
    deadline = serializers.DateTimeField()
    extra_time_minutes = serializers.IntegerField()
    finished_at = serializers.DateTimeField(allow_null=True)
    score = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    passed = serializers.BooleanField(allow_null=True)

    def get_state(self, attempt) -> str:
        return attempt_state(
            finished_at=attempt.finished_at, deadline=attempt.deadline, now=_now(self)
        )

    def to_representation(self, attempt):
        data = super().to_representation(attempt)
        if attempt.finished_at is None:
            data["score"] = data["passed"] = None
        return data


class StaffAttemptListApi(APIView):
    """``GET /api/v1/staff/exams/<id>/attempts/``: every attempt at the exam, newest first, for
    the course's instructors and assistants; ``?user=<id>`` and ``?state=`` filter them."""

    paginated = True

    class FilterSerializer(serializers.Serializer):
        user = IdField(required=False, help_text="A user id.")
        state = serializers.ChoiceField(choices=ATTEMPT_STATES, required=False)

    OutputSerializer = StaffAttemptSerializer

    def get(self, request, exam_id: int) -> Response:
        exam = selectors.exam_for_staff(user=request.user, exam_id=exam_id)
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        now = timezone.now()
        attempts = selectors.exam_attempts_for_staff(
            exam=exam,
            now=now,
            user_id=filters.validated_data.get("user"),
            state=filters.validated_data.get("state"),
        )
        return paginated_response(
            request, self, attempts, self.OutputSerializer, context={"now": now}
        )


class StaffAttemptExtraTimeApi(APIView):
    """``POST /api/v1/staff/attempts/<id>/extra-time/`` ``{"minutes": n}``: move an unfinished
    attempt's stored deadline by ``n`` minutes (grants add up; it may pass the exam's closing).
    409 ``attempt_finished`` for a finished attempt (reopen it instead)."""

    success_statuses = {"POST": 200}

    class InputSerializer(serializers.Serializer):
        minutes = StrictIntegerField(min_value=1, max_value=MAX_GRANT_MINUTES)

    OutputSerializer = StaffAttemptSerializer

    def post(self, request, attempt_id: int) -> Response:
        attempt = selectors.attempt_for_staff(user=request.user, attempt_id=attempt_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        exam_attempt_grant_extra_time(attempt=attempt, **serializer.validated_data)
        attempt = selectors.attempt_for_staff(user=request.user, attempt_id=attempt_id)
        return Response(self.OutputSerializer(attempt, context={"now": timezone.now()}).data)


class StaffAttemptReopenApi(APIView):
    """``POST /api/v1/staff/attempts/<id>/reopen/`` ``{"minutes": n}``: reopen a finished or
    expired attempt until ``n`` minutes from now; it is scored again when it next finishes.

    409 ``attempt_running`` for an attempt still running (give it extra time instead),
    ``attempt_already_running`` when the student has another attempt at the exam running.
    """

    success_statuses = {"POST": 200}

    class InputSerializer(serializers.Serializer):
        minutes = StrictIntegerField(min_value=1, max_value=MAX_GRANT_MINUTES)

    OutputSerializer = StaffAttemptSerializer

    def post(self, request, attempt_id: int) -> Response:
        attempt = selectors.attempt_for_staff(user=request.user, attempt_id=attempt_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        now = timezone.now()
        exam_attempt_reopen(attempt=attempt, now=now, **serializer.validated_data)
        attempt = selectors.attempt_for_staff(user=request.user, attempt_id=attempt_id)
        return Response(self.OutputSerializer(attempt, context={"now": now}).data)
