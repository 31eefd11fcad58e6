"""The catalogue: the courses anyone may browse, my courses, a course's outline, a problem.

A member's result on a problem (``my``) has one shape everywhere (``StandingSerializer``):
its state, attempts, the best score that counts and its points after the course's late
policy, when it was first solved, and whether that best was made late.
"""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from courses import selectors
from courses.api.fields import StrictCharField
from courses.api.pagination import paginated_response
from courses.judging.languages import display_name
from courses.models import Course, Enrollment, Problem, ProblemProgress
from courses.rendering import render_markdown
from courses.services.evaluation import problem_limits

ROLE_CHOICES = Enrollment.Role.choices
STATE_CHOICES = ProblemProgress.Status.choices


class StandingSerializer(serializers.Serializer):
    """A member's result on one problem (``selectors.ProblemStanding``)."""

    state = serializers.ChoiceField(choices=STATE_CHOICES, source="status")
    attempts = serializers.IntegerField()
    best_score = serializers.DecimalField(
        max_digits=5,
        decimal_places=4,
        help_text="The share (0-1) that counts: late policy applied.",
    )
    points = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="best_score × the problem's points."
    )
    first_solved_at = serializers.DateTimeField(allow_null=True)
    is_late = serializers.BooleanField(help_text="Whether the best that counts was made late.")


class LatePolicySerializer(serializers.Serializer):
    """How the course scores work made after a due date (reads a ``Course``)."""

    policy = serializers.ChoiceField(choices=Course.LatePolicy.choices, source="late_policy")
    percent_per_day = serializers.SerializerMethodField(
        help_text="With the penalty policy: the share of the score lost per started day late."
    )

    @extend_schema_field(serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True))
    def get_percent_per_day(self, course: Course) -> str | None:
        if course.late_policy != Course.LatePolicy.PENALTY:
            return None
        return f"{Decimal(course.late_penalty_percent_per_day):.2f}"


class CourseSerializer(serializers.Serializer):
    """What a course shows in a list."""

    id = serializers.IntegerField()
    slug = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    time_zone = serializers.CharField()
    is_published = serializers.BooleanField()


class ProgressTotalsSerializer(serializers.Serializer):
    """Counts and points over a set of problems (``selectors.ProgressTotals``)."""

    solved = serializers.IntegerField()
    attempted = serializers.IntegerField(help_text="Problems with a judged attempt, solved too.")
    total_problems = serializers.IntegerField(source="total")
    total_points = serializers.DecimalField(max_digits=12, decimal_places=2, source="points_earned")
    points_possible = serializers.DecimalField(max_digits=12, decimal_places=2)


# --- GET /api/v1/courses/ -------------------------------------------------------------------


class CourseListApi(APIView):
    """``GET /api/v1/courses/``: the courses you may see, by title; public.

    Published courses for everyone; a logged-in user also sees the unpublished ones they are a
    member of (a superuser, every course). ``problem_count`` counts the problems a student
    practises (visible, not archived, not exam-only); ``my_role`` is your active role, ``null``
    when you are not a member or not logged in.
    """

    permission_classes = [AllowAny]
    paginated = True

    class FilterSerializer(serializers.Serializer):
        q = StrictCharField(
            required=False, allow_blank=True, max_length=200, help_text="Part of the title."
        )

    class OutputSerializer(CourseSerializer):
        problem_count = serializers.IntegerField()
        my_role = serializers.ChoiceField(choices=ROLE_CHOICES, allow_null=True)

    def get(self, request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        courses = selectors.course_catalogue(user=request.user, **filters.validated_data)
        return paginated_response(request, self, courses, self.OutputSerializer)


# --- GET /api/v1/me/courses/ ----------------------------------------------------------------


class MyCourseListApi(APIView):
    """``GET /api/v1/me/courses/``: the courses you are an active member of, by title, with your
    role and your progress over each course's practice problems."""

    paginated = True

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField(source="enrollment.course.id")
        slug = serializers.CharField(source="enrollment.course.slug")
        title = serializers.CharField(source="enrollment.course.title")
        description = serializers.CharField(source="enrollment.course.description")
        time_zone = serializers.CharField(source="enrollment.course.time_zone")
        is_published = serializers.BooleanField(source="enrollment.course.is_published")
        my_role = serializers.ChoiceField(choices=ROLE_CHOICES, source="enrollment.role")
        enrolled_at = serializers.DateTimeField(source="enrollment.enrolled_at")
        progress = ProgressTotalsSerializer()

    def get(self, request) -> Response:
        return paginated_response(
            request,
            self,
            selectors.member_enrollments(user=request.user),
            self.OutputSerializer,
            prepare=lambda page: selectors.member_courses_progress(
                user=request.user, enrollments=page
            ),
        )


# --- GET /api/v1/courses/<id>/ --------------------------------------------------------------


class OutlineProblemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    points = serializers.IntegerField()
    due_at = serializers.DateTimeField(
        source="effective_due_at", allow_null=True, help_text="Its own, else its chapter's."
    )
    is_visible = serializers.BooleanField()
    is_archived = serializers.BooleanField()
    is_exam_only = serializers.BooleanField()
    my = StandingSerializer(source="my_standing", allow_null=True)


class OutlineChapterSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    order = serializers.IntegerField()
    due_at = serializers.DateTimeField(allow_null=True)
    problems = OutlineProblemSerializer(many=True, source="outline_problems")


class CourseDetailApi(APIView):
    """``GET /api/v1/courses/<id>/``: a course's outline; public for published courses.

    Members (and superusers) also see unpublished courses they belong to; anyone else gets 404.
    Chapters and problems come in their order. Students and visitors see the problems they
    practise (visible, not archived, not exam-only); the course's staff see every problem, its
    flags telling which. ``my`` is your result on the problem when you are a member, ``null``
    otherwise (not logged in, not enrolled).
    """

    permission_classes = [AllowAny]

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField(source="course.id")
        slug = serializers.CharField(source="course.slug")
        title = serializers.CharField(source="course.title")
        description = serializers.CharField(source="course.description")
        time_zone = serializers.CharField(source="course.time_zone")
        is_published = serializers.BooleanField(source="course.is_published")
        late_policy = LatePolicySerializer(source="course")
        my_role = serializers.ChoiceField(choices=ROLE_CHOICES, source="role", allow_null=True)
        chapters = OutlineChapterSerializer(many=True)

    def get(self, request, course_id: int) -> Response:
        detail = selectors.course_detail(user=request.user, course_id=course_id)
        return Response(self.OutputSerializer(detail).data)


# --- GET /api/v1/problems/<id>/ -------------------------------------------------------------


class LanguageSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    starter_code = serializers.CharField()
    time_limit_ms = serializers.IntegerField(
        help_text="This language's CPU time per case: the problem's, times the language's "
        "multiplier (site default or the problem's own)."
    )
    memory_limit_kb = serializers.IntegerField(
        help_text="This language's memory: the problem's, plus the language's allowance."
    )


def problem_languages(problem) -> list[dict]:
    """The allowed languages in the problem's order, each with its starter code and its own
    limits (``LanguageSerializer``); the problem page and the exam's problem say the same."""
    starter = problem.starter_code or {}
    languages = []
    for key in problem.allowed_languages or []:
        limits = problem_limits(problem, key)
        languages.append(
            {
                "key": key,
                "name": display_name(key),
                "starter_code": starter.get(key, ""),
                "time_limit_ms": limits.cpu_time_ms,
                "memory_limit_kb": limits.memory_kb,
            }
        )
    return languages


class SubtaskSummarySerializer(serializers.Serializer):
    order = serializers.IntegerField()
    name = serializers.CharField()
    points = serializers.IntegerField()
    scoring = serializers.CharField()


class SampleCaseSerializer(serializers.Serializer):
    order = serializers.IntegerField()
    input = serializers.CharField()
    expected_output = serializers.CharField()


class ProblemDetailApi(APIView):
    """``GET /api/v1/problems/<id>/``: a problem to read before submitting, for members.

    Drafts, archived and exam-only problems (exam problems are read through an exam attempt)
    are not found for students, nor are problems of unpublished courses; the course's staff
    read every problem. A visible problem of a course you are not enrolled in is 403
    ``not_enrolled``. Only sample cases are shown; of the hidden ones, only how many there are.
    ``statement_html`` is the Markdown ``statement`` rendered and sanitised on the server.
    """

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField(source="problem.id")
        course = serializers.IntegerField(source="problem.chapter.course_id")
        chapter = serializers.IntegerField(source="problem.chapter_id")
        title = serializers.CharField(source="problem.title")
        statement = serializers.CharField(source="problem.statement", help_text="Markdown.")
        statement_html = serializers.SerializerMethodField()
        time_limit_ms = serializers.IntegerField(source="problem.time_limit_ms")
        memory_limit_kb = serializers.IntegerField(source="problem.memory_limit_kb")
        output_limit_kb = serializers.IntegerField(source="problem.output_limit_kb")
        languages = serializers.SerializerMethodField()
        io_mode = serializers.ChoiceField(choices=Problem.IoMode.choices, source="problem.io_mode")
        entry_point = serializers.CharField(
            source="problem.entry_point", help_text="The function called, in function mode."
        )
        samples = SampleCaseSerializer(many=True)
        hidden_case_count = serializers.IntegerField()
        subtasks = serializers.SerializerMethodField(
            help_text="The problem's subtasks (groups of cases with points), if any."
        )
        points = serializers.IntegerField(source="problem.points")
        due_at = serializers.DateTimeField(source="problem.effective_due_at", allow_null=True)
        late_policy = LatePolicySerializer(source="problem.chapter.course")
        is_visible = serializers.BooleanField(source="problem.is_visible")
        is_archived = serializers.BooleanField(source="problem.is_archived")
        is_exam_only = serializers.BooleanField(source="problem.is_exam_only")
        my = StandingSerializer(source="standing")

        def get_statement_html(self, detail) -> str:
            return render_markdown(detail.problem.statement)

        @extend_schema_field(LanguageSerializer(many=True))
        def get_languages(self, detail) -> list[dict]:
            return problem_languages(detail.problem)

        @extend_schema_field(SubtaskSummarySerializer(many=True))
        def get_subtasks(self, detail) -> list[dict]:
            subtasks = detail.problem.subtasks.order_by("order", "id")
            return SubtaskSummarySerializer(subtasks, many=True).data

    def get(self, request, problem_id: int) -> Response:
        detail = selectors.problem_detail(user=request.user, problem_id=problem_id)
        return Response(self.OutputSerializer(detail).data)
