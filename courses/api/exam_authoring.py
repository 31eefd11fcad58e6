"""Exam authoring for the course's staff (``/api/v1/staff/...``): exams and their problems.

``total_score`` is the sum of the exam's problem scores, kept exact to the cent; with a
``passing_percentage`` the ``passing_score`` follows it (rounded up). An exam problem's score
defaults to the problem's points and may be 0 or a fraction (two decimals).
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from courses import selectors
from courses.api.fields import (
    OffsetDateTimeField,
    StrictCharField,
    StrictDecimalField,
    StrictIntegerField,
)
from courses.api.pagination import paginated_response
from courses.models import Exam
from courses.selectors.outline import is_practice
from courses.services import authoring_limits as limits
from courses.services import exam_authoring

SCORE = {"max_digits": 8, "decimal_places": 2}


class StaffExamSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    course = serializers.IntegerField(source="course_id")
    title = serializers.CharField()
    instructions = serializers.CharField()
    opens_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField()
    duration_minutes = serializers.IntegerField()
    max_attempts = serializers.IntegerField()
    feedback = serializers.ChoiceField(choices=Exam.Feedback.choices)
    results_released_at = serializers.DateTimeField(allow_null=True)
    total_score = serializers.DecimalField(**SCORE)
    passing_score = serializers.DecimalField(**SCORE)
    passing_percentage = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    problem_count = serializers.IntegerField()
    attempt_count = serializers.IntegerField()


class StaffExamInput(serializers.Serializer):
    title = StrictCharField(max_length=200)
    instructions = StrictCharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        max_length=limits.EXAM_INSTRUCTIONS_CHARS,
    )
    opens_at = OffsetDateTimeField()
    closes_at = OffsetDateTimeField()
    duration_minutes = StrictIntegerField(
        min_value=limits.EXAM_DURATION_MINUTES.low, max_value=limits.EXAM_DURATION_MINUTES.high
    )
    max_attempts = StrictIntegerField(
        min_value=limits.EXAM_MAX_ATTEMPTS.low,
        max_value=limits.EXAM_MAX_ATTEMPTS.high,
        required=False,
    )
    feedback = serializers.ChoiceField(choices=Exam.Feedback.choices, required=False)
    results_released_at = OffsetDateTimeField(required=False, allow_null=True)
    passing_score = StrictDecimalField(**SCORE, min_value=0, required=False)
    passing_percentage = StrictDecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False, allow_null=True
    )


class StaffExamListApi(APIView):
    """``GET/POST /api/v1/staff/courses/<id>/exams/``: the course's exams; create one."""

    paginated = True
    InputSerializer = StaffExamInput
    OutputSerializer = StaffExamSerializer

    def get(self, request, course_id: int) -> Response:
        course = selectors.course_for_staff(user=request.user, course_id=course_id)
        exams = selectors.staff_course_exams(course_id=course.pk)
        return paginated_response(request, self, exams, self.OutputSerializer)

    def post(self, request, course_id: int) -> Response:
        course = selectors.course_for_staff(
            user=request.user, course_id=course_id, instructor_only=True
        )
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        exam = exam_authoring.exam_create(course=course, **serializer.validated_data)
        exam = selectors.exams_with_counts().get(pk=exam.pk)
        return Response(self.OutputSerializer(exam).data, status=status.HTTP_201_CREATED)


class StaffExamDetailApi(APIView):
    """``GET/PATCH/DELETE /api/v1/staff/exams/<id>/``.

    Running attempts keep the deadline they started with, except that a ``closes_at`` moved
    earlier ends them by then (extra time on top). DELETE refuses an exam with attempts
    (409 ``has_student_work``): close its window instead.
    """

    InputSerializer = StaffExamInput
    OutputSerializer = StaffExamSerializer

    def get(self, request, exam_id: int) -> Response:
        exam = selectors.exam_for_staff(user=request.user, exam_id=exam_id)
        exam = selectors.exams_with_counts().get(pk=exam.pk)
        return Response(self.OutputSerializer(exam).data)

    def patch(self, request, exam_id: int) -> Response:
        exam = selectors.exam_for_staff(user=request.user, exam_id=exam_id, instructor_only=True)
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        exam = exam_authoring.exam_update(exam=exam, **serializer.validated_data)
        exam = selectors.exams_with_counts().get(pk=exam.pk)
        return Response(self.OutputSerializer(exam).data)

    def delete(self, request, exam_id: int) -> Response:
        exam = selectors.exam_for_staff(user=request.user, exam_id=exam_id, instructor_only=True)
        exam_authoring.exam_delete(exam=exam)
        return Response(status=status.HTTP_204_NO_CONTENT)


class StaffExamProblemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    exam = serializers.IntegerField(source="exam_id")
    problem = serializers.IntegerField(source="problem_id")
    problem_title = serializers.CharField(source="problem.title")
    score = serializers.DecimalField(**SCORE)
    order = serializers.IntegerField()
    open_for_practice = serializers.SerializerMethodField(
        help_text=(
            "The problem is also open for practice (visible, not archived, not exam-only): "
            "students can submit it for practice, with full feedback, during the exam. Mark "
            "it exam-only (is_exam_only) to keep it to the exam."
        )
    )

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_open_for_practice(self, row) -> bool:
        return is_practice(row.problem)


class StaffExamProblemListApi(APIView):
    """``GET/POST /api/v1/staff/exams/<id>/problems/``: the exam's problems; add one.

    The problem must belong to the exam's course (400 naming ``problem``); ``score`` defaults
    to the problem's points, ``order`` to after the last. ``open_for_practice`` warns of a
    problem students may also submit for practice, with full feedback, during the exam.
    """

    paginated = True
    OutputSerializer = StaffExamProblemSerializer

    class InputSerializer(serializers.Serializer):
        problem = StrictIntegerField(help_text="A problem of the exam's course.")
        score = StrictDecimalField(
            **SCORE, min_value=0, required=False, help_text="Default: the problem's points."
        )
        order = StrictIntegerField(
            min_value=limits.ORDER.low, max_value=limits.ORDER.high, required=False
        )

    def get(self, request, exam_id: int) -> Response:
        exam = selectors.exam_for_staff(user=request.user, exam_id=exam_id)
        rows = selectors.exam_problems(exam_id=exam.pk)
        return paginated_response(request, self, rows, self.OutputSerializer)

    def post(self, request, exam_id: int) -> Response:
        exam = selectors.exam_for_staff(user=request.user, exam_id=exam_id, instructor_only=True)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        row = exam_authoring.exam_problem_add(
            exam=exam,
            problem_id=data["problem"],
            score=data.get("score"),
            order=data.get("order"),
        )
        return Response(self.OutputSerializer(row).data, status=status.HTTP_201_CREATED)


class StaffExamProblemDetailApi(APIView):
    """``PATCH/DELETE /api/v1/staff/exam-problems/<id>/``: change a score or order; remove it.

    The exam's total (and passing score) follow; finished attempts are scored again.
    """

    OutputSerializer = StaffExamProblemSerializer

    class InputSerializer(serializers.Serializer):
        score = StrictDecimalField(**SCORE, min_value=0, required=False)
        order = StrictIntegerField(
            min_value=limits.ORDER.low, max_value=limits.ORDER.high, required=False
        )

    def patch(self, request, exam_problem_id: int) -> Response:
        row = selectors.exam_problem_for_staff(
            user=request.user, exam_problem_id=exam_problem_id, instructor_only=True
        )
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        row = exam_authoring.exam_problem_update(exam_problem=row, **serializer.validated_data)
        return Response(self.OutputSerializer(row).data)

    def delete(self, request, exam_problem_id: int) -> Response:
        row = selectors.exam_problem_for_staff(
            user=request.user, exam_problem_id=exam_problem_id, instructor_only=True
        )
        exam_authoring.exam_problem_remove(exam_problem=row)
        return Response(status=status.HTTP_204_NO_CONTENT)
