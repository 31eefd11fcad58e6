"""The "Run code" button: run code once, freely or the way a problem judges it; nothing is saved."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from courses import selectors
from courses.api.fields import StrictCharField, StrictIdField
from courses.api.throttles import CodeRunThrottle
from courses.services.code_executor import CodeExecutorService


class SampleRunSerializer(serializers.Serializer):
    order = serializers.IntegerField()
    input = serializers.CharField()
    expected_output = serializers.CharField()
    status = serializers.CharField(help_text="This sample's verdict.")
    stdout = serializers.CharField()
    stderr = serializers.CharField()
    time_ms = serializers.IntegerField()
    memory_kb = serializers.IntegerField()
    truncated = serializers.BooleanField()


class CodeRunApi(APIView):
    """``POST /api/v1/run/``: run code once; no submission is saved.

    - ``{code, language?, stdin?}``: a free run (``CodeExecutorService.run_freely``), Python and
      an empty stdin when omitted; answers the run's output.
    - ``{problem, language, code, stdin?}``: a run against a problem the user may practise on
      (``run_on_problem``): the code in the problem's wrapper, under its limits, in a language it
      allows. With ``stdin`` it runs once on it (the same answer as a free run); without, on each
      sample case, answering each sample's output and verdict (never a hidden case).
    - ``{attempt, problem, ...}``: the same for a problem of my exam attempt, while it is open
      (409 ``attempt_finished`` / ``attempt_expired`` otherwise), as the exam page's Run button.

    Oversized code or stdin is refused before anything runs (413); a host whose run slots are
    all taken, or (scaled: runs go to the workers' ``run`` lane) no worker taking the run within
    ``COURSES_RUN_QUEUE_WAIT_SECONDS``, answers 503 ``busy`` with ``Retry-After``; an
    unreachable judge, broker or lost worker 503 ``judge_unavailable``. Limited per user by
    ``COURSES_API_RUN_RATE`` (429 ``throttled``) and ``COURSES_MAX_RUNS_IN_FLIGHT`` at once
    (429 ``too_many_runs``).
    """

    throttle_classes = [CodeRunThrottle]
    success_statuses = {"POST": 200}

    class InputSerializer(serializers.Serializer):
        problem = StrictIdField(required=False, help_text="Run the way this problem judges code.")
        attempt = StrictIdField(
            required=False, help_text="My open exam attempt whose exam has the problem."
        )
        language = StrictCharField(
            max_length=32, required=False, help_text="Required with a problem; else python."
        )
        code = StrictCharField(trim_whitespace=False, allow_blank=True)
        stdin = StrictCharField(
            trim_whitespace=False,
            allow_blank=True,
            required=False,
            help_text="Without a problem: empty when omitted. With one: omitted runs the samples.",
        )

        def validate(self, data: dict) -> dict:
            if "problem" in data and "language" not in data:
                raise serializers.ValidationError(
                    {"language": "This field is required when running against a problem."}
                )
            if "attempt" in data and "problem" not in data:
                raise serializers.ValidationError(
                    {"problem": "This field is required when running in an exam attempt."}
                )
            return data

    class OutputSerializer(serializers.Serializer):
        status = serializers.CharField()
        stdout = serializers.CharField()
        stderr = serializers.CharField()
        compile_output = serializers.CharField()
        time_ms = serializers.IntegerField()
        wall_time_ms = serializers.IntegerField()
        memory_kb = serializers.IntegerField()
        exit_code = serializers.IntegerField(allow_null=True)
        signal = serializers.IntegerField(allow_null=True)
        truncated = serializers.BooleanField()

    class SamplesOutputSerializer(serializers.Serializer):
        problem = serializers.IntegerField()
        status = serializers.CharField(
            help_text="The samples' verdict: the first failing sample's, else accepted."
        )
        passed = serializers.IntegerField()
        total = serializers.IntegerField()
        compile_output = serializers.CharField()
        samples = SampleRunSerializer(many=True)

    @extend_schema(
        responses={
            200: PolymorphicProxySerializer(
                component_name="CodeRunResult",
                serializers=[OutputSerializer, SamplesOutputSerializer],
                resource_type_field_name=None,
            )
        }
    )
    def post(self, request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        service = CodeExecutorService()
        if "problem" not in data:
            result = service.run_freely(
                data["code"],
                language=data.get("language", "python"),
                stdin=data.get("stdin", ""),
                user_id=request.user.pk,
            )
            return Response(self.OutputSerializer(result).data)
        if "attempt" in data:
            _, exam_problem = selectors.attempt_problem_for_reading(
                user=request.user,
                attempt_id=data["attempt"],
                problem_id=data["problem"],
                now=timezone.now(),
            )
            problem = exam_problem.problem
        else:
            problem = selectors.problem_for_submission(
                user=request.user, problem_id=data["problem"]
            )
        result = service.run_on_problem(
            problem,
            data["language"],
            data["code"],
            stdin=data.get("stdin"),
            user_id=request.user.pk,
        )
        if "samples" in result:
            return Response(self.SamplesOutputSerializer(result).data)
        return Response(self.OutputSerializer(result).data)
