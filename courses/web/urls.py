"""The site's pages (namespace ``web``), mounted at ``/``; one block per area."""

from __future__ import annotations

from django.urls import path

from courses.web.views import accounts, courses, problems
from courses.web.views.placeholder import placeholder

app_name = "web"

urlpatterns = [
    # --- accounts ---
    path("accounts/login/", accounts.LoginPage.as_view(), name="login"),
    path("accounts/logout/", accounts.LogoutPage.as_view(), name="logout"),
    path("accounts/signup/", accounts.SignupPage.as_view(), name="signup"),
    path(
        "accounts/password/change/", accounts.PasswordChangePage.as_view(), name="password-change"
    ),
    path("accounts/password/reset/", accounts.PasswordResetPage.as_view(), name="password-reset"),
    path(
        "accounts/password/reset/sent/",
        accounts.PasswordResetSentPage.as_view(),
        name="password-reset-sent",
    ),
    path(
        "accounts/reset/<str:uidb64>/<str:token>/",
        accounts.PasswordResetConfirmPage.as_view(),
        name="password-reset-confirm",
    ),
    # --- home and courses ---
    path("", courses.home, name="home"),
    path("courses/<int:course_id>/", courses.course, name="course"),
    path("courses/<int:course_id>/enroll/", courses.course_enroll, name="course-enroll"),
    path("courses/<int:course_id>/drop/", courses.course_drop, name="course-drop"),
    # --- problems (W2) ---
    path("problems/<int:problem_id>/", problems.problem, name="problem"),
    path("problems/<int:problem_id>/run/", problems.problem_run, name="problem-run"),
    path("problems/<int:problem_id>/submit/", problems.problem_submit, name="problem-submit"),
    path("submissions/<int:submission_id>/", problems.submission, name="submission"),
    path(
        "submissions/<int:submission_id>/status/",
        problems.submission_status,
        name="submission-status",
    ),
    # --- discussions (W3) ---
    path("courses/<int:course_id>/discussions/", placeholder, name="threads"),
    # --- exams (W4) ---
    path("exams/<int:exam_id>/", placeholder, name="exam"),
    # --- staff (W5) ---
    path("staff/courses/<int:course_id>/", placeholder, name="staff-course"),
]
