"""Course and problem packages through the API (docs/package-format.md).

Exporting needs the course's staff (instructor or assistant, as reading its content does);
importing a course needs the site permission ``courses.add_course`` (the importer becomes its
instructor, as when creating one); importing a problem needs the chapter's instructor. Uploads
are the zip itself as the body (``Content-Type: application/zip``). A package at fault is 400
``invalid_package`` naming the file (413 ``payload_too_large`` beyond the size limits), a taken
slug 409 ``already_exists`` naming ``slug`` (send ``?slug=`` for a new one), and nothing is
written. Reference solutions are judged during the request, before anything is written.
"""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from courses import selectors
from courses.api.fields import StrictCharField
from courses.api.parsers import BoundedPackageParser
from courses.judging.languages import LANGUAGES
from courses.services import authoring_limits as limits
from courses.services import packages
from courses.services.errors import InvalidPackage

ZIP = "application/zip"
ZIP_RESPONSE = {(200, ZIP): OpenApiResponse(OpenApiTypes.BINARY, description="The package zip.")}


def _zip_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=ZIP)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _body(request) -> bytes:
    if not isinstance(request.data, bytes) or not request.data:
        raise InvalidPackage(
            "Send the zip file itself as the request body (curl --data-binary @package.zip).",
            fields={"package": "empty body"},
        )
    return request.data


class StaffCoursePackageApi(APIView):
    """``GET /api/v1/staff/courses/<id>/package/``: the course as a package zip (course staff)."""

    @extend_schema(responses=ZIP_RESPONSE)
    def get(self, request, course_id: int) -> HttpResponse:
        course = selectors.course_for_staff(user=request.user, course_id=course_id)
        data = packages.package_export_course(course=course)
        return _zip_response(data, packages.package_filename(course.slug))


class StaffProblemPackageApi(APIView):
    """``GET /api/v1/staff/problems/<id>/package/``: one problem as a package zip (staff)."""

    @extend_schema(responses=ZIP_RESPONSE)
    def get(self, request, problem_id: int) -> HttpResponse:
        problem = selectors.problem_for_staff(user=request.user, problem_id=problem_id)
        data = packages.package_export_problem(problem=problem)
        return _zip_response(data, f"problem-{problem.pk}.codecourses.zip")


class StaffCourseImportApi(APIView):
    """``POST /api/v1/staff/courses/import/?slug=NEW``: a course package becomes a new course.

    Needs ``courses.add_course``; the importer becomes the course's instructor. Everything is
    checked and every reference solution judged first, then written in one transaction.
    """

    parser_classes = [BoundedPackageParser]

    class FilterSerializer(serializers.Serializer):
        slug = StrictCharField(
            required=False, allow_blank=True, help_text="Import under this slug instead."
        )

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField(source="course.id")
        slug = serializers.CharField(source="course.slug")
        title = serializers.CharField(source="course.title")
        problems = serializers.IntegerField()
        cases = serializers.IntegerField()
        reference_solutions = serializers.IntegerField()
        exams = serializers.IntegerField()

    @extend_schema(
        request={ZIP: OpenApiTypes.BINARY},
        parameters=[FilterSerializer],
        responses={201: OutputSerializer},
    )
    def post(self, request) -> Response:
        selectors.require_course_creator(user=request.user)
        query = self.FilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        result = packages.package_import_course(
            data=_body(request), user=request.user, slug=query.validated_data.get("slug", "")
        )
        return Response(self.OutputSerializer(result).data, status=status.HTTP_201_CREATED)


class ImportedProblemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    chapter = serializers.IntegerField(source="chapter_id")
    order = serializers.IntegerField()


class StaffProblemImportApi(APIView):
    """``POST /api/v1/staff/chapters/<id>/problems/import/``: a problem package, appended to the
    chapter (its instructors). Checked and judged first, written in one transaction."""

    parser_classes = [BoundedPackageParser]

    @extend_schema(request={ZIP: OpenApiTypes.BINARY}, responses={201: ImportedProblemSerializer})
    def post(self, request, chapter_id: int) -> Response:
        chapter = selectors.chapter_for_staff(
            user=request.user, chapter_id=chapter_id, instructor_only=True
        )
        problem = packages.package_import_problem(data=_body(request), chapter=chapter)
        return Response(ImportedProblemSerializer(problem).data, status=status.HTTP_201_CREATED)


class StaffDmojImportApi(APIView):
    """``POST /api/v1/staff/chapters/<id>/problems/import-dmoj/?title=...&languages=python,c``:
    a zip of a DMOJ problem folder (``init.yml`` and its data, or its ``archive``), appended to
    the chapter as a draft stdio problem. What maps and what does not: docs/package-format.md.
    """

    parser_classes = [BoundedPackageParser]

    class FilterSerializer(serializers.Serializer):
        title = StrictCharField(max_length=200)
        languages = StrictCharField(
            required=False, default="python", help_text="Comma-separated language keys."
        )
        time_limit_ms = serializers.IntegerField(
            min_value=limits.TIME_LIMIT_MS.low, max_value=limits.TIME_LIMIT_MS.high, required=False
        )
        memory_limit_kb = serializers.IntegerField(
            min_value=1024, max_value=limits.MEMORY_LIMIT_KB.high, required=False
        )

        def validate_languages(self, value: str) -> list[str]:
            keys = list(dict.fromkeys(key.strip() for key in value.split(",") if key.strip()))
            unknown = [key for key in keys if key not in LANGUAGES]
            if unknown or not keys:
                raise serializers.ValidationError(
                    f"Unknown or no languages {unknown}; known: {', '.join(sorted(LANGUAGES))}."
                )
            return keys

    class OutputSerializer(serializers.Serializer):
        problem = ImportedProblemSerializer()
        warnings = serializers.ListField(child=serializers.CharField())

    @extend_schema(
        request={ZIP: OpenApiTypes.BINARY},
        parameters=[FilterSerializer],
        responses={201: OutputSerializer},
    )
    def post(self, request, chapter_id: int) -> Response:
        chapter = selectors.chapter_for_staff(
            user=request.user, chapter_id=chapter_id, instructor_only=True
        )
        query = self.FilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        result = packages.dmoj_import_problem(
            data=_body(request), chapter=chapter, **query.validated_data
        )
        return Response(self.OutputSerializer(result).data, status=status.HTTP_201_CREATED)
