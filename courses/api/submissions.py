"""Submissions: create one for a problem, read one of your own with its per-case results."""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from courses import selectors
from courses.judging.types import Verdict
from courses.judging.verdicts import api_status_for
from courses.services.submissions import submission_create

INTERNAL_ERROR_TEXT = "Judging failed for a reason that is not your code. It has been logged."


class SubmissionOutputSerializer(serializers.Serializer):
    """A submission as its owner sees it.

    ``status`` is the API status string of the verdict (``api_status_for``). Each result of a
    sample case shows its input, expected output and the program's output; a hidden case shows
    only verdict, time and memory (a result whose case was deleted counts as hidden).
    """

    id = serializers.IntegerField()
    problem = serializers.IntegerField(source="problem_id")
    language = serializers.CharField()
    code = serializers.CharField()
    status = serializers.SerializerMethodField()
    score = serializers.DecimalField(max_digits=5, decimal_places=4)
    points = serializers.DecimalField(max_digits=12, decimal_places=4)
    max_cpu_time_ms = serializers.IntegerField(allow_null=True)
    peak_memory_kb = serializers.IntegerField(allow_null=True)
    compile_output = serializers.CharField()
    error_text = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    judged_at = serializers.DateTimeField(allow_null=True)
    results = serializers.SerializerMethodField()

    def get_error_text(self, submission) -> str:
        """An infrastructure failure's reason names hosts and services: it is for the staff (the
        admin shows it), not for the student, who is told only that it was not their code."""
        if submission.status == Verdict.INTERNAL_ERROR:
            return INTERNAL_ERROR_TEXT
        return submission.error_text

    def get_status(self, submission) -> str:
        return api_status_for(submission.status).code

    def get_results(self, submission) -> list[dict]:
        return [
            SampleResultSerializer(result).data
            if result.test_case is not None and result.test_case.is_sample
            else HiddenResultSerializer(result).data
            for result in submission.test_results.all()
        ]


class HiddenResultSerializer(serializers.Serializer):
    order = serializers.IntegerField()
    hidden = serializers.SerializerMethodField()
    verdict = serializers.CharField()
    time_ms = serializers.IntegerField(source="cpu_time_ms")
    memory_kb = serializers.IntegerField()

    def get_hidden(self, result) -> bool:
        return True


class SampleResultSerializer(HiddenResultSerializer):
    input = serializers.CharField(source="test_case.input")
    expected_output = serializers.CharField(source="test_case.expected_output")
    output = serializers.CharField()

    def get_hidden(self, result) -> bool:
        return False


class SubmissionCreateApi(APIView):
    """``POST /api/v1/problems/<id>/submissions/``: submit code for a visible problem.

    For users actively enrolled in the problem's course. Judging starts once the submission is
    committed: inline in the embedded setup (the 201 then already carries the verdict), on a
    Celery worker at scale (the 201 says ``pending``; poll the submission).
    """

    class InputSerializer(serializers.Serializer):
        language = serializers.CharField(max_length=32)
        # Code is taken as typed: no trimming, and emptiness is the service's to judge.
        code = serializers.CharField(trim_whitespace=False, allow_blank=True)

    OutputSerializer = SubmissionOutputSerializer

    def post(self, request, problem_id: int) -> Response:
        problem = selectors.problem_for_submission(user=request.user, problem_id=problem_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        submission = submission_create(
            user=request.user, problem=problem, **serializer.validated_data
        )
        submission = selectors.submission_for_owner(user=request.user, submission_id=submission.pk)
        api_status = api_status_for(submission.status, created=True)
        return Response(self.OutputSerializer(submission).data, status=api_status.http_status)


class SubmissionDetailApi(APIView):
    """``GET /api/v1/submissions/<id>/``: one of your own submissions; others' are not found."""

    OutputSerializer = SubmissionOutputSerializer

    def get(self, request, submission_id: int) -> Response:
        submission = selectors.submission_for_owner(user=request.user, submission_id=submission_id)
        return Response(self.OutputSerializer(submission).data)
