"""The site's pages (namespace ``web``), mounted at ``/``; one block per area."""

from __future__ import annotations

from django.urls import path

from courses.web.views import accounts, courses, staff
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
    path("problems/<int:problem_id>/", placeholder, name="problem"),
    # --- discussions (W3) ---
    path("courses/<int:course_id>/discussions/", placeholder, name="threads"),
    # --- exams (W4) ---
    path("exams/<int:exam_id>/", placeholder, name="exam"),
    # --- staff (W5) ---
    path("staff/courses/<int:course_id>/", staff.course_dashboard, name="staff-course"),
    path("staff/courses/<int:course_id>/gradebook/", staff.gradebook, name="staff-gradebook"),
    path(
        "staff/courses/<int:course_id>/gradebook.csv",
        staff.gradebook_csv,
        name="staff-gradebook-csv",
    ),
    path("staff/courses/<int:course_id>/submissions/", staff.submissions, name="staff-submissions"),
    path("staff/submissions/<int:submission_id>/", staff.submission, name="staff-submission"),
    path(
        "staff/courses/<int:course_id>/rejudge/",
        staff.rejudge_submissions,
        name="staff-rejudge",
    ),
    path(
        "staff/courses/<int:course_id>/rejudge/<str:token>/",
        staff.rejudge_status,
        name="staff-rejudge-status",
    ),
    path(
        "staff/courses/<int:course_id>/enrollments/import/",
        staff.enrollment_import,
        name="staff-import",
    ),
    path(
        "staff/enrollments/<int:enrollment_id>/", staff.enrollment_change, name="staff-enrollment"
    ),
    path("staff/exams/<int:exam_id>/attempts/", staff.exam_attempts, name="staff-exam-attempts"),
    path(
        "staff/attempts/<int:attempt_id>/extra-time/",
        staff.attempt_extra_time,
        name="staff-attempt-extra-time",
    ),
    path(
        "staff/attempts/<int:attempt_id>/reopen/",
        staff.attempt_reopen,
        name="staff-attempt-reopen",
    ),
]
