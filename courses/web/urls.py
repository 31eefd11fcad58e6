"""The site's pages (namespace ``web``), mounted at ``/``; one block per area."""

from __future__ import annotations

from django.urls import path

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
    path("courses/<int:course_id>/discussions/", discussions.threads, name="threads"),
    path("courses/<int:course_id>/discussions/new/", discussions.thread_new, name="thread-new"),
    path("threads/<int:thread_id>/", discussions.thread, name="thread"),
    path("threads/<int:thread_id>/edit/", discussions.thread_edit, name="thread-edit"),
    path("threads/<int:thread_id>/delete/", discussions.thread_delete_view, name="thread-delete"),
    path("threads/<int:thread_id>/moderate/", discussions.thread_moderate, name="thread-moderate"),
    path("replies/<int:reply_id>/", discussions.reply, name="reply"),
    path("replies/<int:reply_id>/edit/", discussions.reply_edit_view, name="reply-edit"),
    path("replies/<int:reply_id>/delete/", discussions.reply_delete_view, name="reply-delete"),
    # --- exams (W4) ---
    path("exams/<int:exam_id>/", exams.exam, name="exam"),
    path("attempts/<int:attempt_id>/", exams.attempt, name="attempt"),
    path(
        "attempts/<int:attempt_id>/problems/<int:problem_id>/",
        exams.attempt_problem,
        name="attempt-problem",
    ),
    path(
        "attempts/<int:attempt_id>/problems/<int:problem_id>/run/",
        exams.attempt_run,
        name="attempt-problem-run",
    ),
    path(
        "attempts/<int:attempt_id>/problems/<int:problem_id>/submit/",
        exams.attempt_submit,
        name="attempt-problem-submit",
    ),
    path("attempts/<int:attempt_id>/finish/", exams.attempt_finish, name="attempt-finish"),
    path("attempts/<int:attempt_id>/results/", exams.attempt_results, name="attempt-results"),
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
