"""A problem's page (statement, samples, the editor with Run and Submit, my submissions), my
submission's page, and the partial that polls a waiting submission.

Who may read what is the API's rule, through the same selectors: a problem through
``problem_for_submission`` (students: visible practice problems of a course they are in; the
course's staff: every problem, drafts included), a submission through ``submission_for_owner``
(only my own; the staff read others' on the staff pages). The editor, Run, Submit and the
result partials are in ``courses/web/coding.py`` for the exam pages to reuse.

With htmx, Run and Submit answer partials that replace the result regions in place, and the
field errors next to the editor's fields out of band; without JavaScript the page re-renders
(Run, a refused Submit) or Submit redirects to the submission's page.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from courses import selectors
from courses.rendering import render_markdown
from courses.services.errors import NotFound
from courses.web.coding import (
    RunOutcome,
    code_form,
    function_languages,
    highlighted_code,
    problem_limits,
    run_code,
    shown_submission,
    shown_submission_rows,
    starter_code,
    status_url,
    submit_code,
)

#: My submissions listed per page on a problem's page.
SUBMISSIONS_PER_PAGE = 10


def draft_scope(problem) -> str:
    """The key of the editor's drafts in the browser (app.js adds the user and the language)."""
    return f"problem:{problem.pk}"


def my_submissions(request, problem, page_number=None):
    """A page of my submissions for ``problem``, newest first: (page, rows) in two queries."""
    now = timezone.now()
    rows = selectors.submissions_of_user(user=request.user, now=now, problem_id=problem.pk)
    page = Paginator(rows, SUBMISSIONS_PER_PAGE).get_page(page_number)
    return page, shown_submission_rows(page.object_list, now)


def problem_page(request, detail, form, *, run=None, submit_error="", loaded=None, status=200):
    problem = detail.problem
    page, rows = my_submissions(request, problem, request.GET.get("page"))
    return render(
        request,
        "web/problems/problem.html",
        {
            "detail": detail,
            "problem": problem,
            "course": problem.chapter.course,
            "statement_html": render_markdown(problem.statement),
            "limits": problem_limits(problem),
            "function_languages": function_languages(problem),
            "form": form,
            "starter_code": starter_code(problem),
            "run_url": reverse("web:problem-run", args=[problem.pk]),
            "submit_url": reverse("web:problem-submit", args=[problem.pk]),
            "run": run or RunOutcome(),
            "submit_error": submit_error,
            "loaded": loaded,
            "submissions_page": page,
            "submissions": rows,
            "discussable": selectors.problem_discussable(user=request.user, problem=problem),
        },
        status=status,
    )


@login_required
@require_GET
def problem(request, problem_id: int):
    """``?from=<submission id>`` (one of mine for this problem) puts its code in the editor."""
    detail = selectors.problem_detail(user=request.user, problem_id=problem_id)
    initial, loaded = {}, None
    source = request.GET.get("from", "")
    if source:
        loaded = loaded_submission(request, detail.problem, source)
        initial = {"code": loaded.code}
        if loaded.language in (detail.problem.allowed_languages or []):
            initial["language"] = loaded.language
    form = code_form(detail.problem, draft_scope=draft_scope(detail.problem), initial=initial)
    return problem_page(request, detail, form, loaded=loaded)


def loaded_submission(request, problem, source: str):
    if not source.isdigit():
        raise NotFound("No such submission.")
    submission = selectors.submission_for_owner(user=request.user, submission_id=int(source))
    if submission.problem_id != problem.pk:
        raise NotFound("No such submission.")
    return submission


@login_required
@require_POST
def problem_run(request, problem_id: int):
    problem = selectors.problem_for_submission(user=request.user, problem_id=problem_id)
    form = code_form(problem, draft_scope=draft_scope(problem), data=request.POST)
    run = run_code(request, problem, form)
    if request.htmx:
        # 200 whatever happened: htmx swaps only successful answers.
        return render(
            request, "web/problems/partials/run_response.html", {"run": run, "form": form}
        )
    detail = selectors.problem_detail(user=request.user, problem_id=problem.pk)
    return problem_page(request, detail, form, run=run, status=run.http_status)


@login_required
@require_POST
def problem_submit(request, problem_id: int):
    problem = selectors.problem_for_submission(user=request.user, problem_id=problem_id)
    form = code_form(problem, draft_scope=draft_scope(problem), data=request.POST)
    outcome = submit_code(user=request.user, problem=problem, form=form)
    if outcome.submission is None:
        if request.htmx:
            return render(
                request,
                "web/problems/partials/submit_response.html",
                {"form": form, "error": outcome.error},
            )
        detail = selectors.problem_detail(user=request.user, problem_id=problem.pk)
        return problem_page(
            request, detail, form, submit_error=outcome.error, status=outcome.http_status
        )
    if not request.htmx:
        return redirect("web:submission", submission_id=outcome.submission.pk)
    submission = selectors.submission_for_owner(
        user=request.user, submission_id=outcome.submission.pk
    )
    shown = shown_submission(submission)
    context = {
        "form": form,
        "shown": shown,
        "status_url": status_url(submission, on_problem_page=True),
        "problem": problem,
        **problem_page_updates(request, problem, final=not shown.waiting),
    }
    return render(request, "web/problems/partials/submit_response.html", context)


def problem_page_updates(request, problem, *, final: bool) -> dict:
    """What the problem's page refreshes out of band after a submission: my submissions, and
    once the verdict is final my standing too."""
    page, rows = my_submissions(request, problem)
    updates = {"submissions_page": page, "submissions": rows}
    if final:
        detail = selectors.problem_detail(user=request.user, problem_id=problem.pk)
        updates["standing"] = detail.standing
    return updates


@login_required
@require_GET
def submission(request, submission_id: int):
    """One of my submissions: its code, verdict, points and cases, as far as its exam allows."""
    found = selectors.submission_for_owner(user=request.user, submission_id=submission_id)
    shown = shown_submission(found)
    return render(
        request,
        "web/problems/submission.html",
        {
            "shown": shown,
            "submission": found,
            "problem": found.problem,
            "course": shown.course,
            "code_html": highlighted_code(shown.data["code"], found.language),
            "status_url": status_url(found),
        },
    )


@login_required
@require_GET
def submission_status(request, submission_id: int):
    """The result partial of my submission, polled by htmx while it waits (with backoff).

    ``?on=problem``: the poll comes from the problem's page, whose list of my submissions and
    my standing are refreshed (out of band) once the verdict is final. A plain request goes
    to the page.
    """
    found = selectors.submission_for_owner(user=request.user, submission_id=submission_id)
    if not request.htmx:
        return redirect("web:submission", submission_id=found.pk)
    on_problem_page = request.GET.get("on") == "problem"
    shown = shown_submission(found)
    context = {
        "shown": shown,
        "status_url": status_url(found, on_problem_page=on_problem_page),
        "problem": found.problem,
    }
    if on_problem_page and not shown.waiting:
        context.update(problem_page_updates(request, found.problem, final=True))
    return render(request, "web/problems/partials/status_response.html", context)
