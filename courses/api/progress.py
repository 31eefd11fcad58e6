"""A student's progress in a course."""

from __future__ import annotations

from dataclasses import asdict

from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from courses import selectors


class CourseProgressApi(APIView):
    """``GET /api/v1/courses/<id>/progress/``: your cached progress summary in a course."""

    class OutputSerializer(serializers.Serializer):
        course = serializers.IntegerField()
        solved = serializers.IntegerField()
        attempted = serializers.IntegerField()
        total_points = serializers.DecimalField(max_digits=12, decimal_places=2)

    def get(self, request, course_id: int) -> Response:
        course = selectors.course_for_member(user=request.user, course_id=course_id)
        summary = selectors.course_progress_summary(user_id=request.user.pk, course_id=course.pk)
        data = {"course": course.pk, **asdict(summary)}
        return Response(self.OutputSerializer(data).data)
