"""Test data for the course's staff: cases (one by one or a zip), reference solutions, validation.

Assistants read, instructors write; assistants may also ask for a validation (it judges, it
edits nothing). Every write of cases or reference solutions judges the problem's reference
solutions again in the background (``courses.services.validation``).
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from courses import selectors
from courses.api.fields import StrictBooleanField, StrictCharField, StrictIntegerField
from courses.api.pagination import paginated_response
from courses.api.parsers import BoundedZipParser
from courses.models import Subtask
from courses.services import authoring_limits as limits
from courses.services import testdata, validation
from courses.services.errors import InvalidArchive

# --- Test cases ----------------------------------------------------------------------------------


class StaffCaseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    problem = serializers.IntegerField(source="problem_id")
    order = serializers.IntegerField()
    is_sample = serializers.BooleanField()
    weight = serializers.IntegerField()
    subtask = serializers.IntegerField(source="subtask_id", allow_null=True)
    input = serializers.CharField()
    expected_output = serializers.CharField()


class StaffCaseInput(serializers.Serializer):
    """Test data is taken as typed (no trimming)."""

    input = StrictCharField(allow_blank=True, trim_whitespace=False)
    expected_output = StrictCharField(allow_blank=True, trim_whitespace=False)
    is_sample = StrictBooleanField(required=False)
    weight = StrictIntegerField(
        min_value=limits.CASE_WEIGHT.low, max_value=limits.CASE_WEIGHT.high, required=False
    )
    order = StrictIntegerField(
        min_value=limits.ORDER.low,
        max_value=limits.ORDER.high,
        required=False,
        help_text="Default: after the last.",
    )
    subtask = serializers.PrimaryKeyRelatedField(
        queryset=Subtask.objects.all(),
        required=False,
        allow_null=True,
        help_text="The id of the case's subtask (of the same problem).",
    )


class StaffCaseListApi(APIView):
    """``GET/POST /api/v1/staff/problems/<id>/cases/``: every case of a problem; add one.

    A function-style problem's input must be a JSON array of arguments (or blank), and with the
    ``json`` checker the expected output must be JSON: otherwise 400 naming the field.
    """

    paginated = True
    InputSerializer = StaffCaseInput
    OutputSerializer = StaffCaseSerializer

    class FilterSerializer(serializers.Serializer):
        is_sample = serializers.BooleanField(required=False, allow_null=True, default=None)

    def get(self, request, problem_id: int) -> Response:
        problem = selectors.problem_for_staff(user=request.user, problem_id=problem_id)
        query = self.FilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        cases = selectors.problem_test_cases(problem_id=problem.pk)
        if query.validated_data["is_sample"] is not None:
            cases = cases.filter(is_sample=query.validated_data["is_sample"])
        return paginated_response(request, self, cases, self.OutputSerializer)

    def post(self, request, problem_id: int) -> Response:
        problem = selectors.problem_for_staff(
            user=request.user, problem_id=problem_id, instructor_only=True
        )
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        case = testdata.case_create(problem=problem, **serializer.validated_data)
        return Response(self.OutputSerializer(case).data, status=status.HTTP_201_CREATED)


class StaffCaseDetailApi(APIView):
    """``GET/PATCH/DELETE /api/v1/staff/cases/<id>/``.

    Deleting a case keeps past results (their verdicts stay; the link to the case is emptied).
    """

    InputSerializer = StaffCaseInput
    OutputSerializer = StaffCaseSerializer

    def get(self, request, case_id: int) -> Response:
        case = selectors.case_for_staff(user=request.user, case_id=case_id)
        return Response(self.OutputSerializer(case).data)

    def patch(self, request, case_id: int) -> Response:
        case = selectors.case_for_staff(user=request.user, case_id=case_id, instructor_only=True)
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        case = testdata.case_update(case=case, **serializer.validated_data)
        return Response(self.OutputSerializer(case).data)

    def delete(self, request, case_id: int) -> Response:
        case = selectors.case_for_staff(user=request.user, case_id=case_id, instructor_only=True)
        testdata.case_delete(case=case)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ImportedCaseSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="case.pk")
    name = serializers.CharField(help_text="NAME of NAME.in / NAME.out")
    order = serializers.IntegerField(source="case.order")
    is_sample = serializers.BooleanField(source="case.is_sample")


class StaffCaseArchiveApi(APIView):
    """``POST /api/v1/staff/problems/<id>/cases/archive/?mode=replace|append``: a zip of cases.

    The body is the zip itself: ``curl -H 'Content-Type: application/zip' --data-binary
    @cases.zip URL``. It holds ``NAME.in``/``NAME.out`` pairs, optionally in folders; NAMEs
    starting with ``sample`` are sample cases; samples come first, then the rest, each in
    natural order (``2`` before ``10``). ``mode`` is required: ``replace`` makes these the
    problem's only cases, ``append`` adds them after the existing ones. One transaction: any
    fault refuses the whole archive with 400 ``invalid_archive`` naming the file (or 413
    ``payload_too_large`` beyond the size limits), and nothing is written.
    """

    parser_classes = [BoundedZipParser]

    class FilterSerializer(serializers.Serializer):
        mode = serializers.ChoiceField(
            choices=testdata.ARCHIVE_MODES, help_text="replace or append (required)"
        )

    class OutputSerializer(serializers.Serializer):
        mode = serializers.CharField()
        deleted = serializers.IntegerField(help_text="Cases removed first (mode=replace).")
        created = ImportedCaseSerializer(many=True)

    @extend_schema(
        request={"application/zip": OpenApiTypes.BINARY},
        parameters=[FilterSerializer],
        responses={201: OutputSerializer},
    )
    def post(self, request, problem_id: int) -> Response:
        problem = selectors.problem_for_staff(
            user=request.user, problem_id=problem_id, instructor_only=True
        )
        query = self.FilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        if not isinstance(request.data, bytes) or not request.data:
            raise InvalidArchive(
                "Send the zip file itself as the request body (curl --data-binary @cases.zip).",
                fields={"archive": "empty body"},
            )
        result = testdata.cases_import_archive(
            problem=problem, data=request.data, mode=query.validated_data["mode"]
        )
        return Response(self.OutputSerializer(result).data, status=status.HTTP_201_CREATED)


# --- Reference solutions and validation ----------------------------------------------------------


class StaffValidationSerializer(serializers.Serializer):
    status = serializers.CharField(
        source="validation_status",
        help_text="The verdict of the last validation; empty while it is pending.",
    )
    score = serializers.DecimalField(
        source="validation_score", max_digits=5, decimal_places=4, allow_null=True
    )
    validated_at = serializers.DateTimeField(allow_null=True)
    details = serializers.JSONField(
        source="validation_details",
        help_text='{"cases": [{"order", "is_sample", "verdict", "time_ms", "memory_kb"}], '
        '"passed_cases", "total_cases", "max_time_ms", "peak_memory_kb", "compile_output", '
        '"first_failure": {"order", "verdict", "output", "error_output"} or null, "error", '
        '"cause": "" or infrastructure, test_data, configuration}',
    )


class StaffReferenceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    problem = serializers.IntegerField(source="problem_id")
    language = serializers.CharField()
    code = serializers.CharField()
    validation = StaffValidationSerializer(source="*")


class StaffReferenceInput(serializers.Serializer):
    language = StrictCharField(max_length=32)
    code = StrictCharField(allow_blank=True, trim_whitespace=False)


class StaffReferenceListApi(APIView):
    """``GET/POST /api/v1/staff/problems/<id>/reference-solutions/``: one per language."""

    paginated = True
    InputSerializer = StaffReferenceInput
    OutputSerializer = StaffReferenceSerializer

    def get(self, request, problem_id: int) -> Response:
        problem = selectors.problem_for_staff(user=request.user, problem_id=problem_id)
        references = selectors.problem_reference_solutions(problem_id=problem.pk)
        return paginated_response(request, self, references, self.OutputSerializer)

    def post(self, request, problem_id: int) -> Response:
        problem = selectors.problem_for_staff(
            user=request.user, problem_id=problem_id, instructor_only=True
        )
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reference = validation.reference_solution_create(
            problem=problem, **serializer.validated_data
        )
        reference = selectors.reference_solution_for_staff(
            user=request.user, reference_id=reference.pk
        )
        return Response(self.OutputSerializer(reference).data, status=status.HTTP_201_CREATED)


class StaffReferenceDetailApi(APIView):
    """``GET/PATCH/DELETE /api/v1/staff/reference-solutions/<id>/``."""

    InputSerializer = StaffReferenceInput
    OutputSerializer = StaffReferenceSerializer

    def get(self, request, reference_id: int) -> Response:
        reference = selectors.reference_solution_for_staff(
            user=request.user, reference_id=reference_id
        )
        return Response(self.OutputSerializer(reference).data)

    def patch(self, request, reference_id: int) -> Response:
        reference = selectors.reference_solution_for_staff(
            user=request.user, reference_id=reference_id, instructor_only=True
        )
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        reference = validation.reference_solution_update(
            reference=reference, **serializer.validated_data
        )
        return Response(self.OutputSerializer(reference).data)

    def delete(self, request, reference_id: int) -> Response:
        reference = selectors.reference_solution_for_staff(
            user=request.user, reference_id=reference_id, instructor_only=True
        )
        validation.reference_solution_delete(reference=reference)
        return Response(status=status.HTTP_204_NO_CONTENT)


class StaffProblemValidateApi(APIView):
    """``POST /api/v1/staff/problems/<id>/validate/``: judge the reference solutions now.

    200 with the results when they are final at response time (inline judging), 202 while a
    worker runs them (poll the problem or its reference solutions). 409 ``nothing_to_validate``
    without cases or reference solutions. The course's staff, assistants included.
    """

    success_statuses = {"POST": 200}

    class OutputSerializer(serializers.Serializer):
        problem = serializers.IntegerField()
        state = serializers.ChoiceField(
            choices=["done", "running"], help_text="done: final results; running: poll later."
        )
        reference_solutions = StaffReferenceSerializer(many=True)

    @extend_schema(
        request=None,
        responses={
            200: OutputSerializer,
            202: OpenApiResponse(OutputSerializer, description="Validation is running."),
        },
    )
    def post(self, request, problem_id: int) -> Response:
        problem = selectors.problem_for_staff(user=request.user, problem_id=problem_id)
        validation.problem_validation_start(problem=problem)
        references = list(selectors.problem_reference_solutions(problem_id=problem.pk))
        running = any(not reference.validation_status for reference in references)
        data = {
            "problem": problem.pk,
            "state": "running" if running else "done",
            "reference_solutions": references,
        }
        return Response(
            self.OutputSerializer(data).data,
            status=status.HTTP_202_ACCEPTED if running else status.HTTP_200_OK,
        )
