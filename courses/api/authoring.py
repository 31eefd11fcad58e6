"""Authoring for the course's staff: courses, chapters and problems (``/api/v1/staff/...``).

Assistants read everything; instructors write. Creating a course needs the site permission
``courses.add_course`` (or a superuser) and makes the creator its instructor. Orders left out go
at the end ("next"). Deleting what students have worked on is refused with 409
``has_student_work`` saying what to do instead (docs/deletion-policy.md).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from courses import selectors
from courses.api.fields import (
    OffsetDateTimeField,
    StrictBooleanField,
    StrictCharField,
    StrictDecimalField,
    StrictFloatField,
    StrictIntegerField,
    StrictListField,
)
from courses.api.pagination import paginated_response
from courses.api.testdata import StaffCaseInput, StaffCaseSerializer, StaffReferenceSerializer
from courses.models import Course, Problem, Subtask
from courses.services import authoring, judging_authoring
from courses.services import authoring_limits as limits
from courses.services.errors import NotFound
from courses.services.testdata import CaseData

# --- Courses -------------------------------------------------------------------------------------


class StaffCourseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    slug = serializers.CharField()
    description = serializers.CharField()
    is_published = serializers.BooleanField()
    time_zone = serializers.CharField()
    late_policy = serializers.ChoiceField(choices=Course.LatePolicy.choices)
    late_penalty_percent_per_day = serializers.DecimalField(max_digits=5, decimal_places=2)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class StaffCourseInput(serializers.Serializer):
    title = StrictCharField(max_length=200)
    slug = StrictCharField(
        max_length=100, required=False, allow_blank=True, help_text="Default: from the title."
    )
    description = StrictCharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        max_length=limits.COURSE_DESCRIPTION_CHARS,
    )
    is_published = StrictBooleanField(required=False)
    time_zone = StrictCharField(
        required=False, max_length=64, help_text="An IANA name, e.g. Europe/Paris."
    )
    late_policy = serializers.ChoiceField(choices=Course.LatePolicy.choices, required=False)
    late_penalty_percent_per_day = StrictDecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False
    )


class StaffCourseCreateApi(APIView):
    """``POST /api/v1/staff/courses/``: create a course and become its instructor.

    Needs the permission ``courses.add_course`` (403 ``permission_denied`` otherwise). A taken
    slug is 409 ``already_exists`` naming ``slug``.
    """

    InputSerializer = StaffCourseInput
    OutputSerializer = StaffCourseSerializer

    def post(self, request) -> Response:
        selectors.require_course_creator(user=request.user)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        course = authoring.course_create(creator=request.user, **serializer.validated_data)
        return Response(self.OutputSerializer(course).data, status=status.HTTP_201_CREATED)


class StaffCourseDetailApi(APIView):
    """``GET/PATCH/DELETE /api/v1/staff/courses/<id>/``: staff read, instructors edit.

    DELETE refuses a course with students' work (409 ``has_student_work``): unpublish it instead.
    """

    InputSerializer = StaffCourseInput
    OutputSerializer = StaffCourseSerializer

    def get(self, request, course_id: int) -> Response:
        course = selectors.course_for_staff(user=request.user, course_id=course_id)
        return Response(self.OutputSerializer(course).data)

    def patch(self, request, course_id: int) -> Response:
        course = selectors.course_for_staff(
            user=request.user, course_id=course_id, instructor_only=True
        )
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        course = authoring.course_update(course=course, **serializer.validated_data)
        return Response(self.OutputSerializer(course).data)

    def delete(self, request, course_id: int) -> Response:
        course = selectors.course_for_staff(
            user=request.user, course_id=course_id, instructor_only=True
        )
        authoring.course_delete(course=course)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Chapters ------------------------------------------------------------------------------------


class StaffChapterSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    course = serializers.IntegerField(source="course_id")
    title = serializers.CharField()
    order = serializers.IntegerField()
    due_at = serializers.DateTimeField(allow_null=True)
    problem_count = serializers.IntegerField()


class StaffChapterInput(serializers.Serializer):
    title = StrictCharField(max_length=200)
    order = StrictIntegerField(
        min_value=limits.ORDER.low,
        max_value=limits.ORDER.high,
        required=False,
        help_text="Default: after the last.",
    )
    due_at = OffsetDateTimeField(required=False, allow_null=True)


class StaffChapterListApi(APIView):
    """``GET/POST /api/v1/staff/courses/<id>/chapters/``: the course's chapters; add one."""

    paginated = True
    InputSerializer = StaffChapterInput
    OutputSerializer = StaffChapterSerializer

    def get(self, request, course_id: int) -> Response:
        course = selectors.course_for_staff(user=request.user, course_id=course_id)
        chapters = selectors.course_chapters(course_id=course.pk)
        return paginated_response(request, self, chapters, self.OutputSerializer)

    def post(self, request, course_id: int) -> Response:
        course = selectors.course_for_staff(
            user=request.user, course_id=course_id, instructor_only=True
        )
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        chapter = authoring.chapter_create(course=course, **serializer.validated_data)
        chapter = selectors.course_chapters(course_id=course.pk).get(pk=chapter.pk)
        return Response(self.OutputSerializer(chapter).data, status=status.HTTP_201_CREATED)


class StaffChapterDetailApi(APIView):
    """``GET/PATCH/DELETE /api/v1/staff/chapters/<id>/``.

    DELETE refuses a chapter whose problems have submissions (409 ``has_student_work``) or are
    in an exam (409 ``in_exam``).
    """

    InputSerializer = StaffChapterInput
    OutputSerializer = StaffChapterSerializer

    def get(self, request, chapter_id: int) -> Response:
        chapter = selectors.chapter_for_staff(user=request.user, chapter_id=chapter_id)
        chapter = selectors.course_chapters(course_id=chapter.course_id).get(pk=chapter.pk)
        return Response(self.OutputSerializer(chapter).data)

    def patch(self, request, chapter_id: int) -> Response:
        chapter = selectors.chapter_for_staff(
            user=request.user, chapter_id=chapter_id, instructor_only=True
        )
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        chapter = authoring.chapter_update(chapter=chapter, **serializer.validated_data)
        chapter = selectors.course_chapters(course_id=chapter.course_id).get(pk=chapter.pk)
        return Response(self.OutputSerializer(chapter).data)

    def delete(self, request, chapter_id: int) -> Response:
        chapter = selectors.chapter_for_staff(
            user=request.user, chapter_id=chapter_id, instructor_only=True
        )
        authoring.chapter_delete(chapter=chapter)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Problems ------------------------------------------------------------------------------------


class StaffSubtaskSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    order = serializers.IntegerField()
    name = serializers.CharField()
    points = serializers.IntegerField()
    scoring = serializers.ChoiceField(choices=Subtask.Scoring.choices)
    short_circuit = serializers.BooleanField()
    depends_on = serializers.SerializerMethodField()
    cases = serializers.SerializerMethodField(help_text="The orders of its cases.")

    def get_depends_on(self, subtask) -> list[int]:
        return sorted(d.pk for d in subtask.depends_on.all())

    def get_cases(self, subtask) -> list[int]:
        return sorted(case.order for case in subtask.test_cases.all())


class StaffSubtaskInput(serializers.Serializer):
    name = StrictCharField(required=False, allow_blank=True, max_length=100)
    points = StrictIntegerField(
        min_value=limits.SUBTASK_POINTS.low, max_value=limits.SUBTASK_POINTS.high
    )
    order = StrictIntegerField(
        min_value=limits.ORDER.low, max_value=limits.ORDER.high, required=False
    )
    scoring = serializers.ChoiceField(choices=Subtask.Scoring.choices, required=False)
    short_circuit = StrictBooleanField(required=False)
    depends_on = StrictListField(
        child=StrictIntegerField(min_value=1, max_value=2**63 - 1),
        required=False,
        max_length=1000,
        help_text="Ids of earlier subtasks.",
    )
    cases = StrictListField(
        child=StrictIntegerField(min_value=limits.ORDER.low, max_value=limits.ORDER.high),
        required=False,
        max_length=10_000,
        help_text="Orders of the cases it takes (from other subtasks). Left out on creation: "
        "the cases in no subtask, which for a problem's first subtask is every case.",
    )


class StaffSubtaskListApi(APIView):
    """``GET/POST /api/v1/staff/problems/<id>/subtasks/``: a problem's subtasks; add one.

    Once a problem has subtasks every case must be in one, so a creation that leaves a case in
    none is refused (400 naming ``cases``). The first subtask takes every case (``cases`` left
    out, or all listed); each later one takes the orders in its ``cases`` from the earlier ones.
    ``depends_on`` names earlier subtasks (by id).
    """

    paginated = True
    InputSerializer = StaffSubtaskInput
    OutputSerializer = StaffSubtaskSerializer

    def get(self, request, problem_id: int) -> Response:
        problem = selectors.problem_for_staff(user=request.user, problem_id=problem_id)
        subtasks = selectors.problem_subtasks(problem_id=problem.pk)
        return paginated_response(request, self, subtasks, self.OutputSerializer)

    def post(self, request, problem_id: int) -> Response:
        problem = selectors.problem_for_staff(
            user=request.user, problem_id=problem_id, instructor_only=True
        )
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        subtask = judging_authoring.subtask_create(problem=problem, **serializer.validated_data)
        return Response(self.OutputSerializer(subtask).data, status=status.HTTP_201_CREATED)


class StaffSubtaskDetailApi(APIView):
    """``GET/PATCH/DELETE /api/v1/staff/subtasks/<id>/``.

    PATCH ``cases`` moves those cases into the subtask; a change that would leave a case of the
    problem in no subtask is refused (400 naming ``cases``). DELETE moves the last subtask's
    cases to none (the problem has no subtasks then); any other must be emptied first.
    """

    InputSerializer = StaffSubtaskInput
    OutputSerializer = StaffSubtaskSerializer

    def _subtask(self, request, subtask_id: int, **kwargs) -> Subtask:
        subtask = Subtask.objects.filter(pk=subtask_id).first()
        if subtask is None:
            raise NotFound("No such subtask.")
        selectors.problem_for_staff(user=request.user, problem_id=subtask.problem_id, **kwargs)
        return subtask

    def get(self, request, subtask_id: int) -> Response:
        return Response(self.OutputSerializer(self._subtask(request, subtask_id)).data)

    def patch(self, request, subtask_id: int) -> Response:
        subtask = self._subtask(request, subtask_id, instructor_only=True)
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        subtask = judging_authoring.subtask_update(subtask=subtask, **serializer.validated_data)
        return Response(self.OutputSerializer(subtask).data)

    def delete(self, request, subtask_id: int) -> Response:
        subtask = self._subtask(request, subtask_id, instructor_only=True)
        judging_authoring.subtask_delete(subtask=subtask)
        return Response(status=status.HTTP_204_NO_CONTENT)


class StaffTestCodeApi(APIView):
    """``POST /api/v1/staff/problems/<id>/test-code/``: tests written as code.

    ``{"code": "assert add(2, 3) == 5  # sample\n...", "mode": "replace"|"append",
    "preview": false}``: the block is split into one case per assert (a line ending
    ``# sample`` is a sample). With ``preview`` nothing is written and the answer shows the split;
    otherwise the cases are written (201). A line that is not ``assert EXPR == LITERAL`` with a
    Python literal is refused (400) naming its line, and nothing is written.
    """

    class InputSerializer(serializers.Serializer):
        code = StrictCharField(trim_whitespace=False, max_length=256 * 1024)
        mode = serializers.ChoiceField(choices=["replace", "append"], required=False)
        preview = StrictBooleanField(required=False)

    class PreviewCaseSerializer(serializers.Serializer):
        line = serializers.IntegerField()
        input = serializers.CharField(help_text="EXPR: runs in the box.")
        expected_output = serializers.CharField(help_text="LITERAL: stays outside.")
        is_sample = serializers.BooleanField()

    @extend_schema(
        responses={
            200: inline_serializer("TestCodePreview", {"cases": PreviewCaseSerializer(many=True)}),
            201: inline_serializer("TestCodeImported", {"cases": StaffCaseSerializer(many=True)}),
        }
    )
    def post(self, request, problem_id: int) -> Response:
        problem = selectors.problem_for_staff(
            user=request.user, problem_id=problem_id, instructor_only=True
        )
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if data.get("preview"):
            return Response({"cases": judging_authoring.test_code_preview(code=data["code"])})
        cases = judging_authoring.test_code_import(
            problem=problem, code=data["code"], mode=data.get("mode", "replace")
        )
        return Response(
            {"cases": StaffCaseSerializer(cases, many=True).data}, status=status.HTTP_201_CREATED
        )


class StaffProblemSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    chapter = serializers.IntegerField(source="chapter_id")
    title = serializers.CharField()
    order = serializers.IntegerField()
    points = serializers.IntegerField()
    is_visible = serializers.BooleanField()
    is_exam_only = serializers.BooleanField()
    is_archived = serializers.BooleanField()
    due_at = serializers.DateTimeField(allow_null=True)
    io_mode = serializers.ChoiceField(choices=Problem.IoMode.choices)
    checker = serializers.ChoiceField(choices=Problem.Checker.choices)
    allowed_languages = serializers.ListField(child=serializers.CharField())
    case_count = serializers.IntegerField()
    sample_count = serializers.IntegerField()
    updated_at = serializers.DateTimeField()


class StaffProblemSerializer(StaffProblemSummarySerializer):
    """Everything about a problem, for its staff: every case and the reference solutions."""

    statement = serializers.CharField()
    time_limit_ms = serializers.IntegerField()
    memory_limit_kb = serializers.IntegerField()
    output_limit_kb = serializers.IntegerField()
    effective_due_at = serializers.DateTimeField(allow_null=True)
    entry_point = serializers.CharField()
    starter_code = serializers.DictField(child=serializers.CharField())
    template_overrides = serializers.DictField(child=serializers.CharField())
    float_abs_tolerance = serializers.FloatField()
    float_rel_tolerance = serializers.FloatField()
    setup_code = serializers.CharField()
    checker_language = serializers.CharField()
    checker_code = serializers.CharField()
    language_limits = serializers.DictField(child=serializers.DictField())
    created_at = serializers.DateTimeField()
    subtasks = StaffSubtaskSerializer(many=True)
    test_cases = StaffCaseSerializer(many=True)
    reference_solutions = StaffReferenceSerializer(many=True)


def _program(help_text: str) -> StrictCharField:
    """An optional program's text, taken as typed (at most 64 KiB)."""
    return StrictCharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        max_length=limits.PROGRAM_CHARS,
        help_text=help_text,
    )


def _code_map(**kwargs) -> serializers.DictField:
    return serializers.DictField(
        child=StrictCharField(allow_blank=True, trim_whitespace=False), required=False, **kwargs
    )


class StaffProblemInput(serializers.Serializer):
    """A problem's fields; on PATCH every one is optional, and ``chapter`` moves the problem."""

    title = StrictCharField(max_length=200)
    statement = StrictCharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        max_length=limits.STATEMENT_CHARS,
    )
    order = StrictIntegerField(
        min_value=limits.ORDER.low,
        max_value=limits.ORDER.high,
        required=False,
        help_text="Default: after the last.",
    )
    points = StrictIntegerField(
        min_value=limits.PROBLEM_POINTS.low, max_value=limits.PROBLEM_POINTS.high, required=False
    )
    time_limit_ms = StrictIntegerField(
        min_value=limits.TIME_LIMIT_MS.low, max_value=limits.TIME_LIMIT_MS.high, required=False
    )
    memory_limit_kb = StrictIntegerField(
        min_value=limits.MEMORY_LIMIT_KB.low, max_value=limits.MEMORY_LIMIT_KB.high, required=False
    )
    output_limit_kb = StrictIntegerField(
        min_value=limits.OUTPUT_LIMIT_KB.low, max_value=limits.OUTPUT_LIMIT_KB.high, required=False
    )
    is_visible = StrictBooleanField(required=False)
    is_exam_only = StrictBooleanField(required=False)
    is_archived = StrictBooleanField(required=False)
    due_at = OffsetDateTimeField(required=False, allow_null=True)
    allowed_languages = StrictListField(
        child=StrictCharField(max_length=32), required=False, min_length=1, max_length=20
    )
    io_mode = serializers.ChoiceField(choices=Problem.IoMode.choices, required=False)
    entry_point = StrictCharField(required=False, allow_blank=True, max_length=100)
    starter_code = _code_map(help_text="{language: code shown in the editor}")
    template_overrides = _code_map(help_text="{language: wrapping template}")
    checker = serializers.ChoiceField(choices=Problem.Checker.choices, required=False)
    float_abs_tolerance = StrictFloatField(min_value=0, required=False)
    float_rel_tolerance = StrictFloatField(min_value=0, required=False)
    setup_code = _program("Tests written as code: Python run before each case (imports, helpers).")
    checker_language = serializers.ChoiceField(
        choices=[("", "none"), *Problem.CheckerLanguage.choices], required=False
    )
    checker_code = _program("The custom checker's program (checker: custom); docs/authoring.md.")
    language_limits = serializers.DictField(
        child=serializers.DictField(),
        required=False,
        help_text='{language: {"time_multiplier": 2.0, "memory_extra_kb": 65536}}: overrides '
        "the site's per-language limits.",
    )


class StaffProblemCreateInput(StaffProblemInput):
    test_cases = StaffCaseInput(
        many=True, required=False, help_text="Cases to create with the problem, in order."
    )

    def validate_test_cases(self, value):
        return [CaseData(**case) for case in value]


class StaffProblemUpdateInput(StaffProblemInput):
    chapter = StrictIntegerField(required=False, help_text="Move to this chapter of the course.")


class StaffProblemListApi(APIView):
    """``GET/POST /api/v1/staff/chapters/<id>/problems/``: the chapter's problems; add one.

    POST may carry ``test_cases``; a bad one is refused naming it (``test_cases.2.input``) and
    nothing is created.
    """

    paginated = True
    InputSerializer = StaffProblemCreateInput
    OutputSerializer = StaffProblemSummarySerializer

    def get(self, request, chapter_id: int) -> Response:
        chapter = selectors.chapter_for_staff(user=request.user, chapter_id=chapter_id)
        problems = selectors.chapter_problems(chapter_id=chapter.pk)
        return paginated_response(request, self, problems, self.OutputSerializer)

    @extend_schema(responses={201: StaffProblemSerializer})
    def post(self, request, chapter_id: int) -> Response:
        chapter = selectors.chapter_for_staff(
            user=request.user, chapter_id=chapter_id, instructor_only=True
        )
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        problem = authoring.problem_create(chapter=chapter, **serializer.validated_data)
        problem = selectors.problem_with_test_data(problem_id=problem.pk)
        return Response(StaffProblemSerializer(problem).data, status=status.HTTP_201_CREATED)


class StaffProblemDetailApi(APIView):
    """``GET/PATCH/DELETE /api/v1/staff/problems/<id>/``: everything about a problem.

    PATCH of the mode, languages, templates or checker is refused when an existing case does
    not fit (400 naming the field and the cases). DELETE refuses a problem with submissions
    (409 ``has_student_work``: archive it) or in an exam (409 ``in_exam``).
    """

    InputSerializer = StaffProblemUpdateInput
    OutputSerializer = StaffProblemSerializer

    def get(self, request, problem_id: int) -> Response:
        problem = selectors.problem_detail_for_staff(user=request.user, problem_id=problem_id)
        return Response(self.OutputSerializer(problem).data)

    def patch(self, request, problem_id: int) -> Response:
        problem = selectors.problem_for_staff(
            user=request.user, problem_id=problem_id, instructor_only=True
        )
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        problem = authoring.problem_update(problem=problem, **serializer.validated_data)
        problem = selectors.problem_with_test_data(problem_id=problem.pk)
        return Response(self.OutputSerializer(problem).data)

    def delete(self, request, problem_id: int) -> Response:
        problem = selectors.problem_for_staff(
            user=request.user, problem_id=problem_id, instructor_only=True
        )
        authoring.problem_delete(problem=problem)
        return Response(status=status.HTTP_204_NO_CONTENT)
