"""The "Run code" button: run any code once, with no test cases and no submission row."""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from courses.api.throttles import CodeRunThrottle
from courses.services.code_executor import CodeExecutorService


class CodeRunApi(APIView):
    """``POST /api/v1/run/``: ``CodeExecutorService().run_freely``.

    Oversized code or stdin is refused before anything runs (413); a host whose run slots are
    all taken answers 503 ``busy`` with ``Retry-After``; an unreachable judge 503
    ``judge_unavailable``. Limited per user by ``COURSES_API_RUN_RATE`` (429 ``throttled``).
    """

    throttle_classes = [CodeRunThrottle]
    success_statuses = {"POST": 200}

    class InputSerializer(serializers.Serializer):
        language = serializers.CharField(max_length=32, default="python")
        code = serializers.CharField(trim_whitespace=False, allow_blank=True)
        stdin = serializers.CharField(trim_whitespace=False, allow_blank=True, default="")

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

    def post(self, request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = CodeExecutorService().run_freely(**serializer.validated_data)
        return Response(self.OutputSerializer(result).data)
