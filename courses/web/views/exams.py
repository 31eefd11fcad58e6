"""Exams for students: the rules and the start button, the attempt with its countdown, an exam
problem with the editor (Run, Submit), finishing, and the results once released.

Reads go through the exam selectors the API uses (``courses/selectors/exams.py``), writes
through the exam-attempt and submission services. What a page shows of a submission is what the
API's student serializer returns for it (``ExamSubmissionSerializer``: the exam's feedback rule,
hidden cases as verdict, time and memory only), so no page shows what the API withholds.

The server owns the deadline: every page of a running attempt carries the stored deadline and
the server's clock (``data-deadline``, ``data-server-now``) for the countdown in ``app.js``,
and the time left as text for readers without JavaScript. A refusal of the exam's state (HTTP
409 in the API) is a page in the API's words, its instants shown in the course's zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from courses import selectors
from courses.api.exams import ExamSubmissionSerializer, exam_context
from courses.exam_time import (
    EXPIRED,
    FINISHED,
    RUNNING,
    attempt_state,
    exam_state,
    results_visible,
    time_remaining,
)
from courses.models import Exam, ExamAttempt
from courses.rendering import render_markdown
from courses.selectors.feedback import WAITING_VERDICTS
from courses.services.errors import (
    AttemptExpired,
    AttemptFinished,
    AttemptNotFinished,
    Conflict,
    ResultsNotReleased,
    ServiceError,
)
from courses.services.exam_attempts import (
    exam_attempt_finish,
    exam_attempt_start,
    exam_start_refusal,
)
from courses.web.coding import (
    RunOutcome,
    code_form,
    problem_limits,
    run_code,
    shown_submission,
    starter_code,
    status_url,
    submit_code,
)

#: Refusals that mean "this attempt takes no more work": a page of their own, not a form error.
ATTEMPT_CLOSED = (AttemptExpired, AttemptFinished)

#: What each feedback mode lets a student see during the attempt, as the start page says it.
FEEDBACK_RULES = {
    Exam.Feedback.FULL: (
        "Each submission shows its verdict and score as soon as it is judged, with the result "
        "of every test case (hidden cases: verdict, time and memory only)."
    ),
    Exam.Feedback.SAMPLES: (
        "Each submission shows only its results on the sample cases; its verdict and score "
        "stay hidden until the results are released."
    ),
    Exam.Feedback.NONE: (
        "Each submission shows only that it was received; its verdict, results and score stay "
        "hidden until the results are released."
    ),
}

#: An expired attempt is handed in by the periodic task (at its deadline), or by the student
#: first: it is never left as it is, so the pages say it is on its way.
STATE_LABELS = {
    RUNNING: "In progress",
    EXPIRED: "Time is up (being handed in automatically)",
    FINISHED: "Finished",
}


def format_remaining(left: timedelta) -> str:
    """``1:05:09`` or ``5:09``: what the countdown in ``app.js`` shows, rounded down."""
    total = max(int(left.total_seconds()), 0)
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def clock(attempt: ExamAttempt, now: datetime) -> dict:
    """What the countdown needs: the attempt's state and the time left at ``now``."""
    state = attempt_state(finished_at=attempt.finished_at, deadline=attempt.deadline, now=now)
    left = time_remaining(attempt.deadline, now)
    return {
        "now": now,
        "state": state,
        "state_label": STATE_LABELS[state],
        "running": state == RUNNING,
        "remaining_text": format_remaining(left),
    }


def shown_submissions(submissions, exam_problems, now: datetime) -> list[tuple]:
    """``(submission, data)`` pairs: ``data`` is what the API shows the student of it."""
    data = ExamSubmissionSerializer(
        submissions, many=True, context=exam_context(now, exam_problems)
    ).data
    return list(zip(submissions, data, strict=True))


# --- The start page --------------------------------------------------------------------------


@dataclass(frozen=True)
class AttemptRow:
    attempt: ExamAttempt
    state: str
    state_label: str
    #: Finished and released: its score and pass may show.
    results_available: bool
    #: Otherwise, when they will.
    score_note: str


def attempt_row(attempt: ExamAttempt, exam: Exam, now: datetime) -> AttemptRow:
    state = attempt_state(finished_at=attempt.finished_at, deadline=attempt.deadline, now=now)
    released = results_visible(exam, now)
    return AttemptRow(
        attempt=attempt,
        state=state,
        state_label=STATE_LABELS[state],
        results_available=state == FINISHED and released,
        score_note=score_note(state, released),
    )


def score_note(state: str, released: bool) -> str:
    """When an attempt's score will show, in place of it: the results must be released and the
    attempt finished, and only what is missing is said."""
    if not released:
        return "after the results are released"
    if state == RUNNING:
        return "when you finish"
    return "once it is handed in"


@login_required
@require_http_methods(["GET", "POST"])
def exam(request, exam_id: int):
    """The exam's rules and my attempts; POST starts an attempt (then its page)."""
    exam = selectors.exam_for_member(user=request.user, exam_id=exam_id)
    now = timezone.now()
    if request.method == "POST":
        try:
            attempt = exam_attempt_start(exam=exam, user=request.user, now=now)
        except Conflict as exc:
            exam = selectors.exam_for_member(user=request.user, exam_id=exam_id)
            return exam_page(request, exam, now, refusal=exc, status=409)
        return redirect("web:attempt", attempt_id=attempt.pk)
    return exam_page(request, exam, now)


def exam_page(request, exam: Exam, now: datetime, *, refusal=None, status: int = 200):
    course = exam.course
    rows = [attempt_row(a, exam, now) for a in exam.my_attempts]
    refusal = refusal or exam_start_refusal(exam=exam, attempts=exam.my_attempts, now=now)
    return render(
        request,
        "web/exams/exam.html",
        {
            "exam": exam,
            "course": course,
            "state": exam_state(opens_at=exam.opens_at, closes_at=exam.closes_at, now=now),
            "instructions_html": render_markdown(exam.instructions),
            "feedback_rule": FEEDBACK_RULES[exam.feedback],
            "attempts": rows,
            "attempts_left": max(exam.max_attempts - len(rows), 0),
            "running": next((row.attempt for row in rows if row.state == RUNNING), None),
            "refusal": refusal,
            "refused": status == 409,
            "results_released": results_visible(exam, now),
        },
        status=status,
    )


# --- The attempt -----------------------------------------------------------------------------


@login_required
def attempt(request, attempt_id: int):
    """My attempt: countdown, the exam's problems with my state, my submissions, finish."""
    attempt = selectors.attempt_for_owner(user=request.user, attempt_id=attempt_id)
    now = timezone.now()
    attempt = selectors.attempt_detail(attempt=attempt, now=now)
    course = attempt.exam.course
    exam_problems = [row.exam_problem for row in attempt.problems]
    context = clock(attempt, now)
    # A student who left keeps their record (the API's rule) but may not open problems.
    context["can_work"] = context["running"] and selectors.is_course_member(request.user, course.pk)
    return render(
        request,
        "web/exams/attempt.html",
        {
            **context,
            "attempt": attempt,
            "exam": attempt.exam,
            "course": course,
            "problems": attempt.problems,
            "submissions": shown_submissions(attempt.my_submissions, exam_problems, now),
            "feedback_rule": FEEDBACK_RULES[attempt.exam.feedback],
            "results_released": results_visible(attempt.exam, now),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def attempt_finish(request, attempt_id: int):
    """Hand in my attempt, after a confirmation step (a page that works without scripts).

    ``POST`` with ``confirm=yes`` finishes (again: nothing changes); anything else shows the
    confirmation.
    """
    attempt = selectors.attempt_for_owner(user=request.user, attempt_id=attempt_id)
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        already = attempt.finished_at is not None
        exam_attempt_finish(attempt=attempt, now=timezone.now())
        if not already:
            messages.success(request, "You handed in this attempt. Its work is saved.")
        return redirect("web:attempt", attempt_id=attempt.pk)
    if attempt.finished_at is not None:
        return redirect("web:attempt", attempt_id=attempt.pk)
    now = timezone.now()
    attempt = selectors.attempt_detail(attempt=attempt, now=now)
    submitted = sum(1 for row in attempt.problems if row.state != "unsolved")
    return render(
        request,
        "web/exams/finish.html",
        {
            **clock(attempt, now),
            "attempt": attempt,
            "exam": attempt.exam,
            "course": attempt.exam.course,
            "submitted": submitted,
            "problem_count": len(attempt.problems),
        },
    )


# --- An exam problem: statement, editor, Run, Submit -----------------------------------------
# The editor, Run, Submit and a submission's result are the problem page's
# (``courses/web/coding.py`` and its partials); what is the exam's: the attempt is checked
# first, a closed attempt answers its own page, Submit saves in the attempt, the drafts are
# kept per attempt, and my submissions are listed under the exam's feedback rule.


def draft_scope(attempt: ExamAttempt, problem) -> str:
    """The key of the editor's drafts in the browser (app.js adds the user and the language)."""
    return f"attempt:{attempt.pk}:problem:{problem.pk}"


#: What a refused post did not do, by the page posted to; a page only read did nothing.
UNDONE = {"attempt-problem-run": "run", "attempt-problem-submit": "saved"}


def closed_page(request, attempt: ExamAttempt, exc: ServiceError):
    """The attempt takes no more work (409 ``attempt_expired`` / ``attempt_finished``).

    "Nothing was run/saved" only when something was posted: opening a problem of a closed
    attempt lost nothing, and saying so would alarm the student.
    """
    template = "web/exams/partials/closed.html" if request.htmx else "web/exams/closed.html"
    undone = UNDONE.get(request.resolver_match.url_name) if request.method == "POST" else None
    return render(
        request,
        template,
        {
            "attempt": attempt,
            "exam": attempt.exam,
            "course": attempt.exam.course,
            "error": exc,
            "undone": undone,
        },
        # htmx swaps only successful answers: the partial says it in place of the result.
        status=200 if request.htmx else 409,
    )


def readable_problem(request, attempt_id: int, problem_id: int, now: datetime):
    """``(attempt, exam_problem, None)`` while the attempt is open, else ``(None, None, page)``."""
    try:
        attempt, exam_problem = selectors.attempt_problem_for_reading(
            user=request.user, attempt_id=attempt_id, problem_id=problem_id, now=now
        )
    except ATTEMPT_CLOSED as exc:
        attempt = selectors.attempt_for_owner(user=request.user, attempt_id=attempt_id)
        return None, None, closed_page(request, attempt, exc)
    return attempt, exam_problem, None


@login_required
def attempt_problem(request, attempt_id: int, problem_id: int):
    """An exam problem inside my open attempt: statement, limits, samples, editor."""
    now = timezone.now()
    attempt, exam_problem, refused = readable_problem(request, attempt_id, problem_id, now)
    if refused:
        return refused
    problem = exam_problem.problem
    form = code_form(problem, draft_scope=draft_scope(attempt, problem))
    return problem_page(request, attempt, exam_problem, form, now)


def my_problem_submissions(attempt: ExamAttempt, problem, now: datetime) -> dict:
    """The attempt (with ``attempt_detail``'s problems and submissions) and my submissions to
    ``problem`` in it, as the API shows them: what my submissions' list needs."""
    attempt = selectors.attempt_detail(attempt=attempt, now=now)
    exam_problems = [row.exam_problem for row in attempt.problems]
    mine = [s for s in attempt.my_submissions if s.problem_id == problem.pk]
    submissions = shown_submissions(mine, exam_problems, now)
    return {
        "attempt": attempt,
        "problems": attempt.problems,
        "submissions": submissions,
        "waiting": any(data["status"] in WAITING_VERDICTS for _, data in submissions),
    }


def problem_page(
    request, attempt, exam_problem, form, now, *, run=None, submit_error="", status: int = 200
):
    problem = exam_problem.problem
    listed = my_problem_submissions(attempt, problem, now)
    attempt = listed["attempt"]
    return render(
        request,
        "web/exams/attempt_problem.html",
        {
            **clock(attempt, now),
            **listed,
            "exam": attempt.exam,
            "course": attempt.exam.course,
            "exam_problem": exam_problem,
            "problem": problem,
            "statement_html": render_markdown(problem.statement),
            "limits": problem_limits(problem),
            "samples": problem.samples,
            "form": form,
            "starter_code": starter_code(problem),
            "run_url": reverse("web:attempt-problem-run", args=[attempt.pk, problem.pk]),
            "submit_url": reverse("web:attempt-problem-submit", args=[attempt.pk, problem.pk]),
            "run": run or RunOutcome(),
            "submit_error": submit_error,
        },
        status=status,
    )


@login_required
@require_POST
def attempt_run(request, attempt_id: int, problem_id: int):
    """Run my code on the problem's samples (or on my input); nothing is saved.

    The attempt is checked as the API's run does (``attempt_problem_for_reading``), then the
    code runs as on the problem page (``run_code``: the same "Run code" throttle). With htmx
    only the result is answered, in place; without, the whole page with it.
    """
    now = timezone.now()
    attempt, exam_problem, refused = readable_problem(request, attempt_id, problem_id, now)
    if refused:
        return refused
    problem = exam_problem.problem
    form = code_form(problem, draft_scope=draft_scope(attempt, problem), data=request.POST)
    run = run_code(request, problem, form)
    if request.htmx:
        # 200 whatever happened: htmx swaps only successful answers.
        return render(
            request, "web/problems/partials/run_response.html", {"run": run, "form": form}
        )
    return problem_page(request, attempt, exam_problem, form, now, run=run, status=run.http_status)


@login_required
@require_POST
def attempt_submit(request, attempt_id: int, problem_id: int):
    """Submit my code in the attempt; the service enforces the deadline (409 after it).

    With htmx the new submission's result shows in place (polling ``submission-status`` while
    it waits) with my submissions refreshed; without, the problem's page (its list) follows.
    """
    attempt, exam_problem = selectors.attempt_exam_problem(
        user=request.user, attempt_id=attempt_id, problem_id=problem_id
    )
    problem = exam_problem.problem
    form = code_form(problem, draft_scope=draft_scope(attempt, problem), data=request.POST)
    outcome = submit_code(user=request.user, problem=problem, form=form, exam_attempt=attempt)
    if isinstance(outcome.refusal, ATTEMPT_CLOSED):
        return closed_page(request, attempt, outcome.refusal)
    if outcome.submission is None:
        if request.htmx:
            return render(
                request,
                "web/exams/partials/submit_response.html",
                {"form": form, "error": outcome.error},
            )
        now = timezone.now()
        attempt, exam_problem, refused = readable_problem(request, attempt_id, problem_id, now)
        if refused:
            return refused
        return problem_page(
            request,
            attempt,
            exam_problem,
            form,
            now,
            submit_error=outcome.error,
            status=outcome.http_status,
        )
    if not request.htmx:
        messages.success(request, "Your solution was submitted.")
        url = reverse("web:attempt-problem", args=[attempt.pk, problem.pk])
        return redirect(f"{url}#my-submissions")
    submission = selectors.submission_for_owner(
        user=request.user, submission_id=outcome.submission.pk
    )
    now = timezone.now()
    context = {
        **my_problem_submissions(attempt, problem, now),
        "form": form,
        "shown": shown_submission(submission, now),
        "status_url": status_url(submission),
        "problem": problem,
        "course": attempt.exam.course,
    }
    return render(request, "web/exams/partials/submit_response.html", context)


# --- Results ---------------------------------------------------------------------------------


@login_required
def attempt_results(request, attempt_id: int):
    """My finished attempt's score once released; before that, when they will be."""
    now = timezone.now()
    try:
        attempt = selectors.attempt_results(user=request.user, attempt_id=attempt_id, now=now)
    except (ResultsNotReleased, AttemptNotFinished) as exc:
        attempt = selectors.attempt_for_owner(user=request.user, attempt_id=attempt_id)
        return render(
            request,
            "web/exams/results.html",
            {"attempt": attempt, "exam": attempt.exam, "course": attempt.exam.course, "wait": exc},
        )
    exam_problems = [row.exam_problem for row in attempt.problem_results]
    return render(
        request,
        "web/exams/results.html",
        {
            "attempt": attempt,
            "exam": attempt.exam,
            "course": attempt.exam.course,
            "problem_results": attempt.problem_results,
            "submissions": shown_submissions(attempt.my_submissions, exam_problems, now),
        },
    )
