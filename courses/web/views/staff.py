"""The course staff's pages: the dashboard (roster with progress, exams), the gradebook and its
CSV, the submissions browser with every case's data, rejudging with its progress, exam attempts
(extra time, reopening) and the enrollment import.

The reads and writes are the API's (``courses/api/grading.py``, ``enrollments.py``,
``exams.py``): the same selectors decide who may see what (students get 403, outsiders of a
draft course 404, assistants everything but the roster changes and the import) and the same
services write. Hidden-case data appears on the staff submission page only.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from courses import selectors
from courses.csv_export import csv_text, gradebook_filename, gradebook_table
from courses.exam_time import attempt_state
from courses.judging.types import Verdict
from courses.services.enrollment_import import (
    enrollments_import_identifiers,
    identifiers_from_rows,
    rows_from_csv_bytes,
)
from courses.services.enrollments import enrollment_update
from courses.services.errors import NotFound, ServiceError
from courses.services.exam_attempts import (
    MAX_GRANT_MINUTES,
    exam_attempt_grant_extra_time,
    exam_attempt_reopen,
)
from courses.services.submissions import rejudge
from courses.web.coding import highlighted_code
from courses.web.forms import apply_service_error
from courses.web.staff_forms import (
    EnrollmentChangeForm,
    EnrollmentImportForm,
    MinutesForm,
    RejudgeForm,
    RosterFilterForm,
    SubmissionFilterForm,
)

ROSTER_PAGE_SIZE = 25
GRADEBOOK_PAGE_SIZE = 25
SUBMISSIONS_PAGE_SIZE = 25
ATTEMPTS_PAGE_SIZE = 25


def _with_query(url: str, query: QueryDict | dict) -> str:
    """``url`` with ``query`` (our own path: never a redirect elsewhere)."""
    if not isinstance(query, QueryDict):
        encoded = QueryDict(mutable=True)
        encoded.update(query)
        query = encoded
    text = query.urlencode()
    return f"{url}?{text}" if text else url


def _staff_context(request, course, section: str) -> dict:
    return {
        "course": course,
        "section": section,
        "is_instructor": selectors.is_course_instructor(request.user, course.pk),
    }


# --- Dashboard: the roster with progress, and the exams ----------------------------------------


@login_required
@require_GET
def course_dashboard(request, course_id: int):
    course = selectors.course_for_staff(user=request.user, course_id=course_id)
    return _dashboard(request, course)


def _dashboard(request, course, *, row_forms: dict | None = None, status: int = 200):
    """The dashboard; ``row_forms`` maps an enrollment id to its refused change form, answered
    with the refusal's ``status``. Bad filter values are a 400, as in the API."""
    filters = RosterFilterForm(request.GET)
    page = None
    if filters.is_valid():
        enrollments = selectors.course_enrollments_with_progress(
            course_id=course.pk, **filters.filters()
        )
        page = Paginator(enrollments, ROSTER_PAGE_SIZE).get_page(request.GET.get("page"))
        for enrollment in page:
            enrollment.refused = (row_forms or {}).get(enrollment.pk)
    context = {
        **_staff_context(request, course, "dashboard"),
        "filters": filters,
        "page": page,
        "exams": selectors.staff_course_exams(course_id=course.pk),
        "roles": EnrollmentChangeForm.base_fields["role"].choices[1:],
    }
    if not filters.is_valid():
        status = 400
    return render(request, "web/staff/dashboard.html", context, status=status)


@login_required
@require_POST
def enrollment_change(request, enrollment_id: int):
    """An instructor changes a member's role, removes or brings them back (``enrollment_update``).

    The dashboard's filters and page travel in the query string and are kept. A refusal (the
    last active instructor: the API's 409 message) shows next to that member's controls.
    """
    enrollment = selectors.enrollment_for_staff(
        user=request.user, enrollment_id=enrollment_id, instructor_only=True
    )
    course = enrollment.course
    form = EnrollmentChangeForm(request.POST)
    if form.is_valid():
        try:
            changed = enrollment_update(enrollment=enrollment, **form.changes())
        except ServiceError as exc:
            apply_service_error(form, exc)
            return _dashboard(
                request, course, row_forms={enrollment.pk: form}, status=exc.http_status
            )
        name = changed.user.get_username()
        messages.success(
            request, f"{name} is now {changed.get_role_display()} ({changed.get_status_display()})."
        )
        dashboard = reverse("web:staff-course", args=[course.pk])
        return redirect(_with_query(dashboard, request.GET))
    return _dashboard(request, course, row_forms={enrollment.pk: form}, status=400)


# --- Exam attempts: extra time and reopening -------------------------------------------------


@login_required
@require_GET
def exam_attempts(request, exam_id: int):
    exam = selectors.exam_for_staff(user=request.user, exam_id=exam_id)
    return _exam_attempts(request, exam)


def _exam_attempts(request, exam, *, row_forms: dict | None = None, status: int = 200):
    """Every attempt at the exam, newest first; ``row_forms`` maps ``(attempt id, action)`` to
    a refused form, shown again with its errors and answered with the refusal's ``status``."""
    now = timezone.now()
    attempts = selectors.exam_attempts_for_staff(exam=exam, now=now)
    page = Paginator(attempts, ATTEMPTS_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = []
    row_forms = row_forms or {}
    for attempt in page:
        state = attempt_state(finished_at=attempt.finished_at, deadline=attempt.deadline, now=now)
        extra_time = row_forms.get((attempt.pk, "extra-time"))
        reopen = row_forms.get((attempt.pk, "reopen"))
        rows.append(
            {
                "attempt": attempt,
                "state": state,
                "extra_time": extra_time,
                "reopen": reopen,
                # What the state allows (an unfinished, expired attempt both), and a refused
                # form where it was used, with its error.
                "can_extend": state != "finished" or extra_time is not None,
                "can_reopen": state != "running" or reopen is not None,
            }
        )
    context = {
        **_staff_context(request, exam.course, "dashboard"),
        "exam": exam,
        "page": page,
        "rows": rows,
        "max_minutes": MAX_GRANT_MINUTES,
    }
    return render(request, "web/staff/exam_attempts.html", context, status=status)


def _attempt_action(request, attempt_id: int, action: str):
    attempt = selectors.attempt_for_staff(user=request.user, attempt_id=attempt_id)
    form = MinutesForm(request.POST)
    status = 400
    if form.is_valid():
        minutes = form.cleaned_data["minutes"]
        try:
            if action == "extra-time":
                exam_attempt_grant_extra_time(attempt=attempt, minutes=minutes)
                done = f"{attempt.user.get_username()} has {minutes} more minute(s)."
            else:
                exam_attempt_reopen(attempt=attempt, minutes=minutes, now=timezone.now())
                done = (
                    f"The attempt of {attempt.user.get_username()} is open for {minutes} minute(s)."
                )
        except ServiceError as exc:
            apply_service_error(form, exc)
            status = exc.http_status
        else:
            messages.success(request, done)
            attempts = reverse("web:staff-exam-attempts", args=[attempt.exam_id])
            return redirect(_with_query(attempts, request.GET))
    exam = selectors.exam_for_staff(user=request.user, exam_id=attempt.exam_id)
    return _exam_attempts(request, exam, row_forms={(attempt.pk, action): form}, status=status)


@login_required
@require_POST
def attempt_extra_time(request, attempt_id: int):
    """Move an unfinished attempt's deadline by some minutes (``exam_attempt_grant_extra_time``)."""
    return _attempt_action(request, attempt_id, "extra-time")


@login_required
@require_POST
def attempt_reopen(request, attempt_id: int):
    """Reopen a finished or expired attempt for some minutes from now (``exam_attempt_reopen``)."""
    return _attempt_action(request, attempt_id, "reopen")


# --- Gradebook ---------------------------------------------------------------------------------


@login_required
@require_GET
def gradebook(request, course_id: int):
    """Students × problems and exams (``selectors.Gradebook``), a page of students at a time."""
    course = selectors.course_for_staff(user=request.user, course_id=course_id)
    book = selectors.course_gradebook(course=course)
    page = Paginator(book.rows, GRADEBOOK_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        **_staff_context(request, course, "gradebook"),
        "gradebook": book,
        "page": page,
    }
    return render(request, "web/staff/gradebook.html", context)


@login_required
@require_GET
def gradebook_csv(request, course_id: int):
    """The API's CSV file (``courses/csv_export.py``): the same cells, name and media type."""
    course = selectors.course_for_staff(user=request.user, course_id=course_id)
    book = selectors.course_gradebook(course=course)
    filename = gradebook_filename(course, timezone.now())
    return HttpResponse(
        csv_text(gradebook_table(book)),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# --- Submissions browser and a submission ------------------------------------------------------


@login_required
@require_GET
def submissions(request, course_id: int):
    course = selectors.course_for_staff(user=request.user, course_id=course_id)
    filters = SubmissionFilterForm(request.GET, course=course)
    return _submissions(request, course, filters)


def _submissions(request, course, filters, *, rejudge_form=None):
    """The browser: newest first, a page at a time, filtered when every filter is valid (a bad
    one is shown next to its field and lists nothing, with a 400 as in the API; so is a refused
    rejudge form)."""
    page = rows = None
    if filters.is_valid():
        found = selectors.course_submissions(course=course, **filters.filters())
        page = Paginator(found, SUBMISSIONS_PAGE_SIZE).get_page(request.GET.get("page"))
        rows = [
            (s, selectors.counted_points(submission=s, course=course), selectors.points_out_of(s))
            for s in page
        ]
    context = {
        **_staff_context(request, course, "submissions"),
        "filters": filters,
        "filter_query": filters.query() if filters.is_valid() else {},
        "page": page,
        "rows": rows,
        "rejudge_form": rejudge_form,
        "usernames": [entry.username for entry in selectors.course_roster(course_id=course.pk)],
        "rejudge_status": _rejudge_status(request, course, request.GET.get("rejudge")),
    }
    if filters.is_valid() and filters.cleaned_data.get("problem"):
        problem_id = filters.cleaned_data["problem"]
        context["filtered_problem"] = next(
            title
            for _chapter, problems in filters.fields["problem"].choices[1:]
            for pk, title in problems
            if pk == str(problem_id)
        )
    refused = not filters.is_valid() or rejudge_form is not None
    return render(request, "web/staff/submissions.html", context, status=400 if refused else 200)


@login_required
@require_GET
def submission(request, submission_id: int):
    """A submission with its code and every case, hidden ones included: the case's input and
    expected output, the program's output and error text (the API's staff detail)."""
    found = selectors.submission_for_staff(user=request.user, submission_id=submission_id)
    course = found.problem.chapter.course
    context = {
        **_staff_context(request, course, "submissions"),
        "submission": found,
        "code": highlighted_code(found.code, found.language),
        "counted_points": selectors.counted_points(submission=found, course=course),
        "points_out_of": selectors.points_out_of(found),
        "results": list(found.test_results.all()),
        "rejudge_status": _rejudge_status(request, course, request.GET.get("rejudge")),
        "judge_wait": judge_wait(found),
    }
    return render(request, "web/staff/submission.html", context)


def judge_wait(submission) -> dict | None:
    """Why a submission still waits for its verdict after an outage, for its staff (the API's
    ``retry_reason``, ``retry_at``, ``judge_failures``); None when it is not waiting so.
    Students see only "pending"."""
    if Verdict(submission.status).is_final or not submission.retry_reason:
        return None
    return {
        "reason": submission.retry_reason,
        "retry_at": submission.retry_at,
        "failures": submission.judge_failures,
    }


# --- Rejudge and its progress ------------------------------------------------------------------

#: Where a user's recent rejudges are kept (ids to follow), newest last; only the last few.
REJUDGES_SESSION_KEY = "staff_rejudges"
REJUDGES_KEPT = 5


def _remember_rejudge(request, course, ids: Sequence[int]) -> str:
    token = secrets.token_urlsafe(8)
    kept = request.session.get(REJUDGES_SESSION_KEY, {})
    kept[token] = {"course": course.pk, "ids": list(ids)}
    request.session[REJUDGES_SESSION_KEY] = dict(list(kept.items())[-REJUDGES_KEPT:])
    return token


def _rejudge_status(request, course, token: str | None) -> dict | None:
    """What the status region shows for ``token``: ``None`` without one."""
    if not token:
        return None
    batch = request.session.get(REJUDGES_SESSION_KEY, {}).get(token)
    if batch is None or batch["course"] != course.pk:
        return {"token": token, "progress": None}
    return {
        "token": token,
        "progress": selectors.rejudge_progress(submission_ids=batch["ids"]),
    }


@login_required
@require_POST
def rejudge_submissions(request, course_id: int):
    """Judge again one submission, every submission of a problem, or the browser's filtered set
    (the whole course only when confirmed), through ``rejudge``; then follow the progress."""
    course = selectors.course_for_staff(user=request.user, course_id=course_id)
    form = RejudgeForm(request.POST, course=course)
    if not form.is_valid():
        filters = SubmissionFilterForm(request.POST, course=course)
        return _submissions(request, course, filters, rejudge_form=form)
    target = form.cleaned_data["target"]
    back = reverse("web:staff-submissions", args=[course.pk])
    query = form.query()
    if target == "submission":
        one = selectors.submission_for_staff(
            user=request.user, submission_id=form.cleaned_data["submission"]
        )
        if one.problem.chapter.course_id != course.pk:
            raise NotFound("No such submission.")
        ids = rejudge(submission=one)
        back, query = reverse("web:staff-submission", args=[one.pk]), {}
    elif target == "problem":
        problem = selectors.problem_for_staff(
            user=request.user, problem_id=form.cleaned_data["problem"]
        )
        ids = rejudge(problem=problem)
        query = {"problem": str(problem.pk)}
    else:
        rows = selectors.course_submissions(course=course, **form.filters())
        ids = rejudge(submission_ids=rows.values("pk"))
    if not ids:
        messages.info(request, "No submission matches: nothing was rejudged.")
        return redirect(_with_query(back, query))
    messages.success(request, f"{len(ids)} submission(s) will be judged again.")
    token = _remember_rejudge(request, course, ids)
    return redirect(_with_query(back, {**query, "rejudge": token}))


@login_required
@require_GET
def rejudge_status(request, course_id: int, token: str):
    """The status region of a rejudge (htmx polls it every 2 s until every one is judged)."""
    course = selectors.course_for_staff(user=request.user, course_id=course_id)
    context = {"course": course, "rejudge_status": _rejudge_status(request, course, token)}
    return render(request, "web/staff/partials/rejudge_status.html", context)


# --- Enrollment import -------------------------------------------------------------------------


@login_required
def enrollment_import(request, course_id: int):
    """Instructors upload a CSV of usernames or emails (the API's import service and limits);
    the page reports what happened to each name, or the refusal with nothing written."""
    course = selectors.course_for_staff(
        user=request.user, course_id=course_id, instructor_only=True
    )
    report = None
    status = 200
    if request.method == "POST":
        form = EnrollmentImportForm(request.POST, request.FILES)
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                rows = rows_from_csv_bytes(data["file"].read())
                report = enrollments_import_identifiers(
                    course=course,
                    identifiers=identifiers_from_rows(rows),
                    role=data["role"],
                    skip_unknown=data["skip_unknown"],
                )
            except ServiceError as exc:
                apply_service_error(form, exc)
                status = exc.http_status
            else:
                form = EnrollmentImportForm()
                status = 200
    else:
        form = EnrollmentImportForm()
    context = {
        **_staff_context(request, course, "import"),
        "form": form,
        "report": report,
        "max_bytes": settings.COURSES_API_MAX_CSV_BYTES,
    }
    if report is not None:
        context["report_lists"] = [
            ("Imported", report.imported),
            ("Reactivated", report.reactivated),
            ("Already enrolled", report.already_enrolled),
            ("Unknown (skipped)", report.unknown),
            ("Ambiguous emails (skipped)", report.ambiguous),
        ]
    return render(request, "web/staff/import.html", context, status=status)
