"""``/api/v1/`` routes, one ``APIView`` per operation (README, "API").

Unknown paths anywhere under ``/api/`` (the removed unversioned routes included) answer 404 in
the one error shape: ``config/urls.py`` routes them to ``NoSuchEndpointApi`` after these.
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.exceptions import NotFound
from rest_framework.views import APIView

from courses.api.authoring import (
    StaffChapterDetailApi,
    StaffChapterListApi,
    StaffCourseCreateApi,
    StaffCourseDetailApi,
    StaffProblemDetailApi,
    StaffProblemListApi,
)
from courses.api.discussions import ThreadReplyCreateApi
from courses.api.enrollments import EnrollmentCreateApi
from courses.api.exam_authoring import (
    StaffExamDetailApi,
    StaffExamListApi,
    StaffExamProblemDetailApi,
    StaffExamProblemListApi,
)
from courses.api.progress import CourseProgressApi
from courses.api.runs import CodeRunApi
from courses.api.submissions import SubmissionCreateApi, SubmissionDetailApi
from courses.api.testdata import (
    StaffCaseArchiveApi,
    StaffCaseDetailApi,
    StaffCaseListApi,
    StaffProblemValidateApi,
    StaffReferenceDetailApi,
    StaffReferenceListApi,
)


class NoSuchEndpointApi(APIView):
    """Every method of an unknown ``/api/`` path: 404 ``not_found``, even when logged out."""

    authentication_classes = []
    permission_classes = []
    schema = None  # not an operation of the API

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        raise NotFound("No such API endpoint.")


class SchemaApi(SpectacularAPIView):
    """``GET /api/v1/schema/``: the OpenAPI 3 document (YAML, or JSON with ``?format=json``)."""

    authentication_classes = []
    permission_classes = []


class DocsPage(SpectacularSwaggerView):
    """``GET /api/v1/docs/``: interactive documentation (Swagger UI, served from a package)."""

    authentication_classes = []
    permission_classes = []


app_name = "api"

urlpatterns = [
    path("schema/", SchemaApi.as_view(), name="schema"),
    path("docs/", DocsPage.as_view(url_name="api:schema"), name="docs"),
    path(
        "problems/<int:problem_id>/submissions/",
        SubmissionCreateApi.as_view(),
        name="submission-create",
    ),
    path(
        "submissions/<int:submission_id>/",
        SubmissionDetailApi.as_view(),
        name="submission-detail",
    ),
    path("run/", CodeRunApi.as_view(), name="code-run"),
    path("courses/<int:course_id>/progress/", CourseProgressApi.as_view(), name="course-progress"),
    path(
        "threads/<int:thread_id>/replies/",
        ThreadReplyCreateApi.as_view(),
        name="thread-reply-create",
    ),
    path(
        "courses/<int:course_id>/enrollments/",
        EnrollmentCreateApi.as_view(),
        name="enrollment-create",
    ),
    # --- authoring (F): courses, chapters, problems, test data, exams, for the course's staff ---
    path("staff/courses/", StaffCourseCreateApi.as_view(), name="staff-course-list"),
    path(
        "staff/courses/<int:course_id>/",
        StaffCourseDetailApi.as_view(),
        name="staff-course-detail",
    ),
    path(
        "staff/courses/<int:course_id>/chapters/",
        StaffChapterListApi.as_view(),
        name="staff-chapter-list",
    ),
    path(
        "staff/chapters/<int:chapter_id>/",
        StaffChapterDetailApi.as_view(),
        name="staff-chapter-detail",
    ),
    path(
        "staff/chapters/<int:chapter_id>/problems/",
        StaffProblemListApi.as_view(),
        name="staff-problem-list",
    ),
    path(
        "staff/problems/<int:problem_id>/",
        StaffProblemDetailApi.as_view(),
        name="staff-problem-detail",
    ),
    path(
        "staff/problems/<int:problem_id>/cases/",
        StaffCaseListApi.as_view(),
        name="staff-case-list",
    ),
    path("staff/cases/<int:case_id>/", StaffCaseDetailApi.as_view(), name="staff-case-detail"),
    path(
        "staff/problems/<int:problem_id>/cases/archive/",
        StaffCaseArchiveApi.as_view(),
        name="staff-case-archive",
    ),
    path(
        "staff/problems/<int:problem_id>/reference-solutions/",
        StaffReferenceListApi.as_view(),
        name="staff-reference-list",
    ),
    path(
        "staff/reference-solutions/<int:reference_id>/",
        StaffReferenceDetailApi.as_view(),
        name="staff-reference-detail",
    ),
    path(
        "staff/problems/<int:problem_id>/validate/",
        StaffProblemValidateApi.as_view(),
        name="staff-problem-validate",
    ),
    path(
        "staff/courses/<int:course_id>/exams/",
        StaffExamListApi.as_view(),
        name="staff-exam-list",
    ),
    path("staff/exams/<int:exam_id>/", StaffExamDetailApi.as_view(), name="staff-exam-detail"),
    path(
        "staff/exams/<int:exam_id>/problems/",
        StaffExamProblemListApi.as_view(),
        name="staff-exam-problem-list",
    ),
    path(
        "staff/exam-problems/<int:exam_problem_id>/",
        StaffExamProblemDetailApi.as_view(),
        name="staff-exam-problem-detail",
    ),
]
