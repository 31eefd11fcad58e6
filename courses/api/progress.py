"""A member's progress in a course: summary, per chapter, per problem."""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from courses import selectors
from courses.api.catalogue import StandingSerializer


class TotalsFields(serializers.Serializer):
    """The totals of a chapter or a course, read from its ``totals`` (``ProgressTotals``)."""

    solved = serializers.IntegerField(source="totals.solved")
    attempted = serializers.IntegerField(
        source="totals.attempted", help_text="Problems with a judged attempt, solved ones too."
    )
    total_problems = serializers.IntegerField(source="totals.total")
    total_points = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        source="totals.points_earned",
        help_text="Points earned, late policy applied.",
    )
    points_possible = serializers.DecimalField(
        max_digits=12, decimal_places=2, source="totals.points_possible"
    )


class ProgressProblemSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="problem.id")
    title = serializers.CharField(source="problem.title")
    points = serializers.IntegerField(source="problem.points", help_text="What it is worth.")
    due_at = serializers.DateTimeField(source="problem.effective_due_at", allow_null=True)
    my = StandingSerializer(source="standing")


class ProgressChapterSerializer(TotalsFields):
    id = serializers.IntegerField(source="chapter.id")
    title = serializers.CharField(source="chapter.title")
    order = serializers.IntegerField(source="chapter.order")
    due_at = serializers.DateTimeField(source="chapter.due_at", allow_null=True)
    problems = ProgressProblemSerializer(many=True)


class CourseProgressApi(APIView):
    """``GET /api/v1/courses/<id>/progress/``: your progress in a course you are a member of.

    Over the course's practice problems (visible, not archived, not exam-only): how many you
    solved and attempted (solved ones included) of how many, the points you earned (late policy
    applied) of how many possible; the same per chapter, and your result on each problem.
    """

    class OutputSerializer(TotalsFields):
        course = serializers.IntegerField(source="course.id")
        chapters = ProgressChapterSerializer(many=True)

    def get(self, request, course_id: int) -> Response:
        course = selectors.member_course(user=request.user, course_id=course_id)
        progress = selectors.course_progress(user_id=request.user.pk, course=course)
        return Response(self.OutputSerializer(progress).data)
