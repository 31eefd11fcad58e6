"""The site's pages (namespace ``web``), mounted at ``/``; one block per area."""

from __future__ import annotations

from django.urls import path

from courses import ids  # noqa: F401  (registers <id:...>, the converter of object ids)
from courses.web.views import accounts, courses, discussions, exams, problems, staff

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
    path("courses/<id:course_id>/", courses.course, name="course"),
    path("courses/<id:course_id>/enroll/", courses.course_enroll, name="course-enroll"),
    path("courses/<id:course_id>/drop/", courses.course_drop, name="course-drop"),
    # --- problems (W2) ---
    path("problems/<id:problem_id>/", problems.problem, name="problem"),
    path("problems/<id:problem_id>/run/", problems.problem_run, name="problem-run"),
    path("problems/<id:problem_id>/submit/", problems.problem_submit, name="problem-submit"),
    path("submissions/<id:submission_id>/", problems.submission, name="submission"),
    path(
        "submissions/<id:submission_id>/status/",
        problems.submission_status,
        name="submission-status",
    ),
    # --- discussions (W3) ---
    path("courses/<id:course_id>/discussions/", discussions.threads, name="threads"),
    path("courses/<id:course_id>/discussions/new/", discussions.thread_new, name="thread-new"),
    path("threads/<id:thread_id>/", discussions.thread, name="thread"),
    path("threads/<id:thread_id>/edit/", discussions.thread_edit, name="thread-edit"),
    path("threads/<id:thread_id>/delete/", discussions.thread_delete_view, name="thread-delete"),
    path("threads/<id:thread_id>/moderate/", discussions.thread_moderate, name="thread-moderate"),
    path("replies/<id:reply_id>/", discussions.reply, name="reply"),
    path("replies/<id:reply_id>/edit/", discussions.reply_edit_view, name="reply-edit"),
    path("replies/<id:reply_id>/delete/", discussions.reply_delete_view, name="reply-delete"),
    # --- exams (W4) ---
    path("exams/<id:exam_id>/", exams.exam, name="exam"),
    path("attempts/<id:attempt_id>/", exams.attempt, name="attempt"),
    path(
        "attempts/<id:attempt_id>/problems/<id:problem_id>/",
        exams.attempt_problem,
        name="attempt-problem",
    ),
    path(
        "attempts/<id:attempt_id>/problems/<id:problem_id>/run/",
        exams.attempt_run,
        name="attempt-problem-run",
    ),
    path(
        "attempts/<id:attempt_id>/problems/<id:problem_id>/submit/",
        exams.attempt_submit,
        name="attempt-problem-submit",
    ),
    path("attempts/<id:attempt_id>/finish/", exams.attempt_finish, name="attempt-finish"),
    path("attempts/<id:attempt_id>/results/", exams.attempt_results, name="attempt-results"),
    # --- staff (W5) ---
    path("staff/courses/<id:course_id>/", staff.course_dashboard, name="staff-course"),
    path("staff/courses/<id:course_id>/gradebook/", staff.gradebook, name="staff-gradebook"),
    path(
        "staff/courses/<id:course_id>/gradebook.csv",
        staff.gradebook_csv,
        name="staff-gradebook-csv",
    ),
    path("staff/courses/<id:course_id>/submissions/", staff.submissions, name="staff-submissions"),
    path("staff/submissions/<id:submission_id>/", staff.submission, name="staff-submission"),
    path(
        "staff/courses/<id:course_id>/rejudge/",
        staff.rejudge_submissions,
        name="staff-rejudge",
    ),
    path(
        "staff/courses/<id:course_id>/rejudge/<str:token>/",
        staff.rejudge_status,
        name="staff-rejudge-status",
    ),
    path(
        "staff/courses/<id:course_id>/enrollments/import/",
        staff.enrollment_import,
        name="staff-import",
    ),
    path("staff/enrollments/<id:enrollment_id>/", staff.enrollment_change, name="staff-enrollment"),
    path("staff/exams/<id:exam_id>/attempts/", staff.exam_attempts, name="staff-exam-attempts"),
    path(
        "staff/attempts/<id:attempt_id>/extra-time/",
        staff.attempt_extra_time,
        name="staff-attempt-extra-time",
    ),
    path(
        "staff/attempts/<id:attempt_id>/reopen/",
        staff.attempt_reopen,
        name="staff-attempt-reopen",
    ),
]
