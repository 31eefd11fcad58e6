"""``/api/`` routes. Unknown paths under ``/api/`` answer 404 in the one error shape too."""

from __future__ import annotations

from django.urls import path, re_path
from rest_framework.exceptions import NotFound
from rest_framework.views import APIView

from courses.api.discussions import ThreadReplyCreateApi
from courses.api.enrollments import EnrollmentCreateApi
from courses.api.progress import CourseProgressApi
from courses.api.runs import CodeRunApi
from courses.api.submissions import SubmissionCreateApi, SubmissionDetailApi


class NoSuchEndpointApi(APIView):
    """Every method of an unknown ``/api/`` path: 404 ``not_found``, even when logged out."""

    authentication_classes = []
    permission_classes = []

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        raise NotFound("No such API endpoint.")


app_name = "api"

urlpatterns = [
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
    re_path(r"^.*$", NoSuchEndpointApi.as_view(), name="not-found"),
]
