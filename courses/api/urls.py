"""``/api/v1/`` routes, one ``APIView`` per operation (README, "API").

Unknown paths anywhere under ``/api/`` (the removed unversioned routes included) answer 404 in
the one error shape: ``config/urls.py`` routes them to ``NoSuchEndpointApi`` after these.
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.exceptions import NotFound
from rest_framework.views import APIView

from courses.api.accounts import (
    AuthCsrfApi,
    AuthMeApi,
    AuthPasswordChangeApi,
    AuthPasswordResetApi,
    AuthPasswordResetConfirmApi,
    AuthSessionApi,
    AuthSignupApi,
    AuthTokenApi,
)
from courses.api.discussions import ThreadReplyCreateApi
from courses.api.enrollments import (
    CourseEnrollmentApi,
    StaffEnrollmentDetailApi,
    StaffEnrollmentImportApi,
    StaffEnrollmentListApi,
)
from courses.api.progress import CourseProgressApi
from courses.api.runs import CodeRunApi
from courses.api.submissions import SubmissionCreateApi, SubmissionDetailApi


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
    # --- accounts (A) ---------------------------------------------------------------------------
    path("auth/csrf/", AuthCsrfApi.as_view(), name="auth-csrf"),
    path("auth/session/", AuthSessionApi.as_view(), name="auth-session"),
    path("auth/me/", AuthMeApi.as_view(), name="auth-me"),
    path("auth/token/", AuthTokenApi.as_view(), name="auth-token"),
    path("auth/signup/", AuthSignupApi.as_view(), name="auth-signup"),
    path("auth/password/change/", AuthPasswordChangeApi.as_view(), name="auth-password-change"),
    path("auth/password/reset/", AuthPasswordResetApi.as_view(), name="auth-password-reset"),
    path(
        "auth/password/reset/confirm/",
        AuthPasswordResetConfirmApi.as_view(),
        name="auth-password-reset-confirm",
    ),
    # --- enrollment (A) -------------------------------------------------------------------------
    path(
        "courses/<int:course_id>/enrollment/",
        CourseEnrollmentApi.as_view(),
        name="course-enrollment",
    ),
    path(
        "staff/courses/<int:course_id>/enrollments/",
        StaffEnrollmentListApi.as_view(),
        name="staff-enrollment-list",
    ),
    path(
        "staff/enrollments/<int:enrollment_id>/",
        StaffEnrollmentDetailApi.as_view(),
        name="staff-enrollment-detail",
    ),
    path(
        "staff/courses/<int:course_id>/enrollments/import/",
        StaffEnrollmentImportApi.as_view(),
        name="staff-enrollment-import",
    ),
]
