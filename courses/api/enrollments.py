"""Self-enrollment in a published course."""

from __future__ import annotations

from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from courses import selectors
from courses.services.enrollments import enrollment_create


class EnrollmentCreateApi(APIView):
    """``POST /api/v1/courses/<id>/enrollments/``: enroll yourself as a student.

    Drafts are not found; enrolling twice (whatever the first enrollment's status) is 409
    ``already_enrolled``. The body is ignored: the role is always ``student``.
    """

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        course = serializers.IntegerField(source="course_id")
        user = serializers.CharField(source="user.get_username")
        role = serializers.CharField()
        status = serializers.CharField()
        enrolled_at = serializers.DateTimeField()

    def post(self, request, course_id: int) -> Response:
        course = selectors.course_open_for_enrollment(course_id=course_id)
        enrollment = enrollment_create(user=request.user, course=course)
        return Response(self.OutputSerializer(enrollment).data, status=status.HTTP_201_CREATED)
