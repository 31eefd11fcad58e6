"""``/api/v1/`` routes, one ``APIView`` per operation (README, "API").

Unknown paths anywhere under ``/api/`` (the removed unversioned routes included) answer 404 in
the one error shape: ``config/urls.py`` routes them to ``NoSuchEndpointApi`` after these.
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.exceptions import NotFound
from rest_framework.views import APIView

from courses import ids  # noqa: F401  (registers <id:...>, the converter of object ids)
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
from courses.api.authoring import (
    StaffChapterDetailApi,
    StaffChapterListApi,
    StaffCourseCreateApi,
    StaffCourseDetailApi,
    StaffProblemDetailApi,
    StaffProblemListApi,
    StaffSubtaskDetailApi,
    StaffSubtaskListApi,
    StaffTestCodeApi,
)
from courses.api.catalogue import (
    CourseDetailApi,
    CourseListApi,
    MyCourseListApi,
    ProblemDetailApi,
)
from courses.api.discussions import (
    ReplyDetailApi,
    ThreadDetailApi,
    ThreadListApi,
    ThreadRepliesApi,
)
from courses.api.enrollments import (
    CourseEnrollmentApi,
    StaffEnrollmentDetailApi,
    StaffEnrollmentImportApi,
    StaffEnrollmentListApi,
)
from courses.api.exam_authoring import (
    StaffExamDetailApi,
    StaffExamListApi,
    StaffExamProblemDetailApi,
    StaffExamProblemListApi,
)
from courses.api.exams import (
    AttemptDetailApi,
    AttemptFinishApi,
    AttemptProblemDetailApi,
    AttemptResultsApi,
    AttemptStartApi,
    AttemptSubmissionCreateApi,
    ExamDetailApi,
    ExamListApi,
    StaffAttemptExtraTimeApi,
    StaffAttemptListApi,
    StaffAttemptReopenApi,
)
from courses.api.grading import (
    StaffCourseRejudgeApi,
    StaffGradebookApi,
    StaffGradebookCsvApi,
    StaffProblemRejudgeApi,
    StaffSubmissionDetailApi,
    StaffSubmissionListApi,
    StaffSubmissionRejudgeApi,
)
from courses.api.operations import HealthApi
from courses.api.packages import (
    StaffCourseImportApi,
    StaffCoursePackageApi,
    StaffDmojImportApi,
    StaffProblemImportApi,
    StaffProblemPackageApi,
)
from courses.api.progress import CourseProgressApi
from courses.api.runs import CodeRunApi
from courses.api.submissions import SubmissionCreateApi, SubmissionDetailApi, SubmissionListApi
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
    path("health/", HealthApi.as_view(), name="health"),
    path("schema/", SchemaApi.as_view(), name="schema"),
    path("docs/", DocsPage.as_view(url_name="api:schema"), name="docs"),
    # --- submissions and runs (area C) ---
    path(
        "problems/<id:problem_id>/submissions/",
        SubmissionCreateApi.as_view(),
        name="submission-create",
    ),
    path("submissions/", SubmissionListApi.as_view(), name="submission-list"),
    path(
        "submissions/<id:submission_id>/",
        SubmissionDetailApi.as_view(),
        name="submission-detail",
    ),
    path("run/", CodeRunApi.as_view(), name="code-run"),
    # --- end of submissions and runs ---
    # --- catalogue (B) ---
    path("courses/", CourseListApi.as_view(), name="course-list"),
    path("me/courses/", MyCourseListApi.as_view(), name="my-course-list"),
    path("courses/<id:course_id>/", CourseDetailApi.as_view(), name="course-detail"),
    path("courses/<id:course_id>/progress/", CourseProgressApi.as_view(), name="course-progress"),
    path("problems/<id:problem_id>/", ProblemDetailApi.as_view(), name="problem-detail"),
    # --- end catalogue ---
    # --- discussions (D)
    path("courses/<id:course_id>/threads/", ThreadListApi.as_view(), name="thread-list"),
    path("threads/<id:thread_id>/", ThreadDetailApi.as_view(), name="thread-detail"),
    path("threads/<id:thread_id>/replies/", ThreadRepliesApi.as_view(), name="thread-replies"),
    path("replies/<id:reply_id>/", ReplyDetailApi.as_view(), name="reply-detail"),
    # --- end of discussions (D)
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
        "courses/<id:course_id>/enrollment/",
        CourseEnrollmentApi.as_view(),
        name="course-enrollment",
    ),
    path(
        "staff/courses/<id:course_id>/enrollments/",
        StaffEnrollmentListApi.as_view(),
        name="staff-enrollment-list",
    ),
    path(
        "staff/enrollments/<id:enrollment_id>/",
        StaffEnrollmentDetailApi.as_view(),
        name="staff-enrollment-detail",
    ),
    path(
        "staff/courses/<id:course_id>/enrollments/import/",
        StaffEnrollmentImportApi.as_view(),
        name="staff-enrollment-import",
    ),
    # --- grading (G): the course's staff ---
    path(
        "staff/courses/<id:course_id>/submissions/",
        StaffSubmissionListApi.as_view(),
        name="staff-submission-list",
    ),
    path(
        "staff/submissions/<id:submission_id>/",
        StaffSubmissionDetailApi.as_view(),
        name="staff-submission-detail",
    ),
    path(
        "staff/submissions/<id:submission_id>/rejudge/",
        StaffSubmissionRejudgeApi.as_view(),
        name="staff-submission-rejudge",
    ),
    path(
        "staff/problems/<id:problem_id>/rejudge/",
        StaffProblemRejudgeApi.as_view(),
        name="staff-problem-rejudge",
    ),
    path(
        "staff/courses/<id:course_id>/rejudge/",
        StaffCourseRejudgeApi.as_view(),
        name="staff-course-rejudge",
    ),
    path(
        "staff/courses/<id:course_id>/gradebook/",
        StaffGradebookApi.as_view(),
        name="staff-gradebook",
    ),
    path(
        "staff/courses/<id:course_id>/gradebook.csv",
        StaffGradebookCsvApi.as_view(),
        name="staff-gradebook-csv",
    ),
    # --- exams (E) ---
    path("courses/<id:course_id>/exams/", ExamListApi.as_view(), name="exam-list"),
    path("exams/<id:exam_id>/", ExamDetailApi.as_view(), name="exam-detail"),
    path("exams/<id:exam_id>/attempts/", AttemptStartApi.as_view(), name="attempt-start"),
    path("attempts/<id:attempt_id>/", AttemptDetailApi.as_view(), name="attempt-detail"),
    path(
        "attempts/<id:attempt_id>/problems/<id:problem_id>/",
        AttemptProblemDetailApi.as_view(),
        name="attempt-problem",
    ),
    path(
        "attempts/<id:attempt_id>/problems/<id:problem_id>/submissions/",
        AttemptSubmissionCreateApi.as_view(),
        name="attempt-submission-create",
    ),
    path("attempts/<id:attempt_id>/finish/", AttemptFinishApi.as_view(), name="attempt-finish"),
    path("attempts/<id:attempt_id>/results/", AttemptResultsApi.as_view(), name="attempt-results"),
    path(
        "staff/exams/<id:exam_id>/attempts/",
        StaffAttemptListApi.as_view(),
        name="staff-attempt-list",
    ),
    path(
        "staff/attempts/<id:attempt_id>/extra-time/",
        StaffAttemptExtraTimeApi.as_view(),
        name="staff-attempt-extra-time",
    ),
    path(
        "staff/attempts/<id:attempt_id>/reopen/",
        StaffAttemptReopenApi.as_view(),
        name="staff-attempt-reopen",
    ),
    # --- authoring (F): courses, chapters, problems, test data, exams, for the course's staff ---
    path("staff/courses/", StaffCourseCreateApi.as_view(), name="staff-course-list"),
    path(
        "staff/courses/<id:course_id>/",
        StaffCourseDetailApi.as_view(),
        name="staff-course-detail",
    ),
    path(
        "staff/courses/<id:course_id>/chapters/",
        StaffChapterListApi.as_view(),
        name="staff-chapter-list",
    ),
    path(
        "staff/chapters/<id:chapter_id>/",
        StaffChapterDetailApi.as_view(),
        name="staff-chapter-detail",
    ),
    path(
        "staff/chapters/<id:chapter_id>/problems/",
        StaffProblemListApi.as_view(),
        name="staff-problem-list",
    ),
    path(
        "staff/problems/<id:problem_id>/",
        StaffProblemDetailApi.as_view(),
        name="staff-problem-detail",
    ),
    path(
        "staff/problems/<id:problem_id>/cases/",
        StaffCaseListApi.as_view(),
        name="staff-case-list",
    ),
    path("staff/cases/<id:case_id>/", StaffCaseDetailApi.as_view(), name="staff-case-detail"),
    path("staff/courses/import/", StaffCourseImportApi.as_view(), name="staff-course-import"),
    path(
        "staff/courses/<id:course_id>/package/",
        StaffCoursePackageApi.as_view(),
        name="staff-course-package",
    ),
    path(
        "staff/problems/<id:problem_id>/package/",
        StaffProblemPackageApi.as_view(),
        name="staff-problem-package",
    ),
    path(
        "staff/chapters/<id:chapter_id>/problems/import/",
        StaffProblemImportApi.as_view(),
        name="staff-problem-import",
    ),
    path(
        "staff/chapters/<id:chapter_id>/problems/import-dmoj/",
        StaffDmojImportApi.as_view(),
        name="staff-dmoj-import",
    ),
    path(
        "staff/problems/<id:problem_id>/subtasks/",
        StaffSubtaskListApi.as_view(),
        name="staff-subtask-list",
    ),
    path(
        "staff/subtasks/<id:subtask_id>/",
        StaffSubtaskDetailApi.as_view(),
        name="staff-subtask-detail",
    ),
    path(
        "staff/problems/<id:problem_id>/test-code/",
        StaffTestCodeApi.as_view(),
        name="staff-test-code",
    ),
    path(
        "staff/problems/<id:problem_id>/cases/archive/",
        StaffCaseArchiveApi.as_view(),
        name="staff-case-archive",
    ),
    path(
        "staff/problems/<id:problem_id>/reference-solutions/",
        StaffReferenceListApi.as_view(),
        name="staff-reference-list",
    ),
    path(
        "staff/reference-solutions/<id:reference_id>/",
        StaffReferenceDetailApi.as_view(),
        name="staff-reference-detail",
    ),
    path(
        "staff/problems/<id:problem_id>/validate/",
        StaffProblemValidateApi.as_view(),
        name="staff-problem-validate",
    ),
    path(
        "staff/courses/<id:course_id>/exams/",
        StaffExamListApi.as_view(),
        name="staff-exam-list",
    ),
    path("staff/exams/<id:exam_id>/", StaffExamDetailApi.as_view(), name="staff-exam-detail"),
    path(
        "staff/exams/<id:exam_id>/problems/",
        StaffExamProblemListApi.as_view(),
        name="staff-exam-problem-list",
    ),
    path(
        "staff/exam-problems/<id:exam_problem_id>/",
        StaffExamProblemDetailApi.as_view(),
        name="staff-exam-problem-detail",
    ),
]
