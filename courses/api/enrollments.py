"""Enrollment: mine (read, enroll, drop) and the course staff's (roster, changes, CSV import)."""

from __future__ import annotations

from dataclasses import asdict

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from courses import selectors
from courses.api.pagination import paginated_response
from courses.api.parsers import BoundedCSVParser
from courses.models import Enrollment
from courses.services.enrollment_import import (
    enrollments_import_identifiers,
    identifiers_from_rows,
)
from courses.services.enrollments import (
    STAFF_STATUSES,
    enrollment_drop,
    enrollment_enroll_self,
    enrollment_update,
)


class EnrollmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    course = serializers.IntegerField(source="course_id")
    user = serializers.CharField(source="user.get_username")
    role = serializers.ChoiceField(choices=Enrollment.Role.choices)
    status = serializers.ChoiceField(choices=Enrollment.Status.choices)
    enrolled_at = serializers.DateTimeField()


class EnrolledUserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.CharField()


class StaffEnrollmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    user = EnrolledUserSerializer()
    role = serializers.ChoiceField(choices=Enrollment.Role.choices)
    status = serializers.ChoiceField(choices=Enrollment.Status.choices)
    enrolled_at = serializers.DateTimeField()


class RosterProgressSerializer(serializers.Serializer):
    solved = serializers.IntegerField()
    attempted = serializers.IntegerField()
    points = serializers.DecimalField(max_digits=12, decimal_places=2)


class CourseEnrollmentApi(APIView):
    """Your enrollment in a course: ``GET`` it, ``POST`` to enroll, ``DELETE`` to drop.

    - ``GET``: your enrollment, whatever its status; 404 when you have none.
    - ``POST``: enroll as a student in a published course (drafts are not found): 201 when new;
      200 when it brings back the enrollment you dropped (same id, role ``student``). 409
      ``already_enrolled`` when active; 403 ``enrollment_removed`` when the staff removed you.
      The body is ignored.
    - ``DELETE``: drop the course (204; again: 204); your submissions and progress stay. 409
      ``last_instructor`` for a course's only active instructor; 403 ``enrollment_removed``.
    """

    class OutputSerializer(EnrollmentSerializer):
        pass

    def get(self, request, course_id: int) -> Response:
        enrollment = selectors.own_enrollment(user=request.user, course_id=course_id)
        return Response(self.OutputSerializer(enrollment).data)

    @extend_schema(
        request=None,
        responses={
            201: OpenApiResponse(OutputSerializer, description="Enrolled."),
            200: OpenApiResponse(OutputSerializer, description="Your dropped enrollment, back."),
        },
    )
    def post(self, request, course_id: int) -> Response:
        course = selectors.course_open_for_enrollment(course_id=course_id)
        enrollment, created = enrollment_enroll_self(user=request.user, course=course)
        http_status = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(self.OutputSerializer(enrollment).data, status=http_status)

    def delete(self, request, course_id: int) -> Response:
        course = selectors.course_visible(user=request.user, course_id=course_id)
        enrollment_drop(user=request.user, course=course)
        return Response(status=status.HTTP_204_NO_CONTENT)


class StaffEnrollmentListApi(APIView):
    """``GET /api/v1/staff/courses/<id>/enrollments/``: the roster, for the course's staff.

    Every enrollment (any status unless filtered), by username, with the user's progress in the
    course. Filters: ``role``, ``status``, ``search`` (part of the username, ignoring case).
    """

    paginated = True

    class FilterSerializer(serializers.Serializer):
        role = serializers.ChoiceField(choices=Enrollment.Role.choices, required=False)
        status = serializers.ChoiceField(choices=Enrollment.Status.choices, required=False)
        search = serializers.CharField(max_length=150, required=False, allow_blank=True)

    class OutputSerializer(StaffEnrollmentSerializer):
        progress = RosterProgressSerializer(source="*")

    def get(self, request, course_id: int) -> Response:
        course = selectors.course_for_staff(user=request.user, course_id=course_id)
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        enrollments = selectors.course_enrollments_with_progress(
            course_id=course.pk, **filters.validated_data
        )
        return paginated_response(request, self, enrollments, self.OutputSerializer)


class StaffEnrollmentDetailApi(APIView):
    """``PATCH /api/v1/staff/enrollments/<id>/``: an instructor changes ``role``, removes
    (``status: removed``) or brings back (``status: active``) an enrollment.

    A course keeps an active instructor: 409 ``last_instructor`` otherwise. Outside the course
    the enrollment is not found; its assistants and students get 403.
    """

    class InputSerializer(serializers.Serializer):
        role = serializers.ChoiceField(choices=Enrollment.Role.choices, required=False)
        status = serializers.ChoiceField(choices=STAFF_STATUSES, required=False)

        def validate(self, attrs):
            if not attrs:
                raise serializers.ValidationError("Give a role, a status, or both.")
            return attrs

    class OutputSerializer(StaffEnrollmentSerializer):
        pass

    def patch(self, request, enrollment_id: int) -> Response:
        enrollment = selectors.enrollment_for_staff(
            user=request.user, enrollment_id=enrollment_id, instructor_only=True
        )
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        enrollment = enrollment_update(enrollment=enrollment, **serializer.validated_data)
        return Response(self.OutputSerializer(enrollment).data)


class StaffEnrollmentImportApi(APIView):
    """``POST /api/v1/staff/courses/<id>/enrollments/import/``: enroll the users of a CSV body.

    ``Content-Type: text/csv``; one username or email per row (the first column; an optional
    header row such as ``username`` or ``email``). Query: ``role`` (default ``student``),
    ``skip_unknown`` (default false). Unknown names, or emails of several accounts, abort the
    import (400 ``unknown_users`` or ``ambiguous_users``, listed in ``fields``; nothing written)
    unless ``skip_unknown``. The answer lists the names as given: imported, reactivated (dropped
    or removed before), already enrolled, unknown, ambiguous. Instructors only.
    """

    parser_classes = [BoundedCSVParser]
    success_statuses = {"POST": 200}

    class OptionsSerializer(serializers.Serializer):
        role = serializers.ChoiceField(
            choices=Enrollment.Role.choices, default=Enrollment.Role.STUDENT
        )
        skip_unknown = serializers.BooleanField(default=False)

    class OutputSerializer(serializers.Serializer):
        imported = serializers.ListField(child=serializers.CharField())
        reactivated = serializers.ListField(child=serializers.CharField())
        already_enrolled = serializers.ListField(child=serializers.CharField())
        unknown = serializers.ListField(child=serializers.CharField())
        ambiguous = serializers.ListField(child=serializers.CharField())

    @extend_schema(
        parameters=[OptionsSerializer],
        request={"text/csv": OpenApiTypes.STR},
        responses={200: OutputSerializer},
    )
    def post(self, request, course_id: int) -> Response:
        course = selectors.course_for_staff(
            user=request.user, course_id=course_id, instructor_only=True
        )
        options = self.OptionsSerializer(data=request.query_params)
        options.is_valid(raise_exception=True)
        report = enrollments_import_identifiers(
            course=course,
            identifiers=identifiers_from_rows(request.data),
            **options.validated_data,
        )
        return Response(self.OutputSerializer(asdict(report)).data)
