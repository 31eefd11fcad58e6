"""The code editor's form, Run, Submit and a submission's result, for every page that has them.

The problem page (``courses/web/views/problems.py``) and an exam attempt's problem page
(``courses/web/views/exams.py``) use these: the caller decides who may read the problem
(``selectors.problem_for_submission`` or ``selectors.attempt_problem_for_reading``) and, for
Submit, passes the attempt. Templates: ``web/problems/partials/workspace.html`` (the editor with
the Run and Verdict regions), ``editor.html`` (the form), ``run_result.html`` (what Run answers)
and ``submission_result.html`` (a submission's verdict and cases, polling while it waits).

The rules are the API's, called the same way: ``CodeExecutorService.run_on_problem`` under the
API's run throttle (one budget per user for the API and the pages), ``submission_create``, and
``SubmissionOutputSerializer`` for what a student sees of a submission (hidden cases, the exam
feedback rule). Errors read as the API words them.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django import forms
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound
from rest_framework.exceptions import Throttled

from courses import selectors
from courses.api.errors import JUDGE_FAILURE_MESSAGES
from courses.api.submissions import SubmissionOutputSerializer, SubmissionSummarySerializer
from courses.api.throttles import CodeRunThrottle
from courses.judging.errors import JudgeError
from courses.judging.languages import display_name
from courses.judging.templates import SourceTooLarge, TemplateError
from courses.judging.verdicts import api_status_for
from courses.models import Problem, Submission
from courses.selectors.feedback import WAITING_VERDICTS
from courses.services import evaluation
from courses.services.code_executor import CodeExecutorService
from courses.services.errors import ServiceError
from courses.services.submissions import submission_create
from courses.web.forms import apply_service_error

logger = logging.getLogger(__name__)

#: The API's message for input that does not parse (``courses/api/errors.py``).
INVALID_INPUT = "The input is not valid."

#: The longest pause between two polls of a waiting submission (seconds).
MAX_POLL_DELAY_S = 5
#: Every this many seconds of waiting, the pause between polls grows by one second.
POLL_BACKOFF_STEP_S = 4


RUN_ONLY_HELP = "Run only: leave it empty to run on the sample cases."


def language_choices(keys) -> list[tuple[str, str]]:
    return [(key, display_name(key)) for key in keys]


class CodeForm(forms.Form):
    """Language, code and an optional custom input: what Run and Submit post.

    The language is a plain text field shown as a ``<select>``: the service checks it
    (``language_validate``), so an unknown or disallowed language reads as the API says it.
    The code is not ``required`` here for the same reason (the service says "The code is
    empty."), and so that the browser never blocks a form whose textarea the editor hides.
    """

    language = forms.CharField(max_length=32)
    code = forms.CharField(required=False, strip=False, widget=forms.Textarea(attrs={"rows": 16}))
    stdin = forms.CharField(
        label="Custom input",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=RUN_ONLY_HELP,
    )

    def __init__(self, *args, languages, draft_scope: str, keep_code: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].widget = forms.Select(choices=language_choices(languages))
        self.fields["code"].widget.attrs.update(
            {
                "data-editor": "",
                "data-draft-scope": draft_scope,
                "data-language-select": "#id_language",
                "spellcheck": "false",
            }
        )
        if self.is_bound or keep_code:
            # What the server puts in the textarea (a posted form, a loaded submission) wins
            # over the browser's draft (app.js).
            self.fields["code"].widget.attrs["data-keep-value"] = "1"


def code_form(problem: Problem, *, draft_scope: str, data=None, initial=None) -> CodeForm:
    """The editor's form for ``problem``; the first allowed language unless ``initial`` says.

    Code in ``initial`` (a loaded submission) wins over the browser's draft. Otherwise the
    textarea holds the language's starter code, for readers without scripts; the editor shows
    the draft instead when there is one.
    """
    languages = list(problem.allowed_languages or [])
    initial = {"language": languages[0] if languages else "", **(initial or {})}
    keep_code = bool(initial.get("code"))
    if not keep_code:
        initial["code"] = starter_code(problem).get(initial["language"], "")
    form = CodeForm(
        data, languages=languages, draft_scope=draft_scope, initial=initial, keep_code=keep_code
    )
    form.fields["stdin"].help_text = custom_input_help(problem)
    return form


#: The example of a call when the problem has no sample to build one from (or a long one):
#: an input and the arguments it passes, as written in a call.
GENERIC_EXAMPLE = ("[[1, 2], 3]", "[1, 2], 3")
#: The longest sample input shown as the example, in characters.
MAX_EXAMPLE_CHARS = 60


def custom_input_help(problem: Problem) -> str:
    """What to type as a custom input: for a function-style problem, in the languages whose
    function gets arguments, a JSON list of them, with the call it makes, from the problem's
    first sample when there is a short one. A novice typing ``[1, 5, 3]`` for ``solve(xs)``
    otherwise learns only that ``solve`` was given three arguments."""
    text = RUN_ONLY_HELP
    languages = function_languages(problem)
    if languages is None or not languages.with_arguments:
        return text
    entry = problem.entry_point
    built = _sample_example(selectors.problem_first_sample_input(problem_id=problem.pk))
    example, arguments = built or GENERIC_EXAMPLE
    text += (
        f" In {languages.with_arguments}, type the arguments of {entry} as a JSON list: "
        f"{example} calls {entry}({arguments}){' (the first sample)' if built else ''}."
    )
    if languages.with_stdin:
        text += f" In {languages.with_stdin}, type what the program reads."
    return text


def _sample_example(sample_input: str | None) -> tuple[str, str] | None:
    """A short sample input that is a JSON list and the arguments it passes, as written in a
    call; ``None`` for no sample, a long one or one of another shape."""
    text = (sample_input or "").strip()
    if not text or len(text) > MAX_EXAMPLE_CHARS:
        return None
    try:
        arguments = json.loads(text)
    except ValueError:
        return None
    if not isinstance(arguments, list):
        return None
    return text, ", ".join(json.dumps(value, ensure_ascii=False) for value in arguments)


def starter_code(problem: Problem) -> dict[str, str]:
    """The starter code per allowed language (for ``json_script``, read by app.js)."""
    starter = problem.starter_code or {}
    return {key: starter.get(key, "") for key in problem.allowed_languages or []}


@dataclass(frozen=True)
class FunctionLanguages:
    """Of a function-style problem's languages: those whose function gets the case's input as
    JSON arguments, and those whose program reads standard input (their names, joined)."""

    with_arguments: str
    with_stdin: str


def function_languages(problem: Problem) -> FunctionLanguages | None:
    """How each allowed language gets a case's input (``None`` unless function-style): the page
    explains only the languages the student may use."""
    if problem.io_mode != Problem.IoMode.FUNCTION:
        return None
    names: dict[bool, list[str]] = {True: [], False: []}
    for key in problem.allowed_languages or []:
        names[evaluation.language_takes_json_arguments(problem, key)].append(display_name(key))
    return FunctionLanguages(_joined(names[True]), _joined(names[False]))


def _joined(names: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def problem_limits(problem: Problem) -> list[tuple[str, str]]:
    """The limits a student reads before submitting, in words; a language whose limits differ
    (its time multiplier or memory allowance, ``evaluation.problem_limits``) gets its own line."""
    lines = [
        ("Time", f"{problem.time_limit_ms / 1000:g} s per case (CPU)"),
        ("Memory", f"{problem.memory_limit_kb / 1024:g} MiB"),
        ("Output", f"{problem.output_limit_kb:g} KiB"),
    ]
    for key in problem.allowed_languages or []:
        limits = evaluation.problem_limits(problem, key)
        if (limits.cpu_time_ms, limits.memory_kb) != (
            problem.time_limit_ms,
            problem.memory_limit_kb,
        ):
            lines.append(
                (
                    display_name(key),
                    f"{limits.cpu_time_ms / 1000:g} s per case, {limits.memory_kb / 1024:g} MiB",
                )
            )
    return lines


# --- Run -------------------------------------------------------------------------------------


@dataclass
class RunOutcome:
    """What Run shows: the service's answer, or why there is none (in the API's words), with
    the HTTP status the API would answer (for a page re-rendered without htmx). ``refusal`` is
    the service's error when it refused (a caller may answer some of them its own way)."""

    result: dict | None = None
    error: str = ""
    http_status: int = 200
    refusal: ServiceError | None = None

    @property
    def on_samples(self) -> bool:
        return self.result is not None and "samples" in self.result


#: Failures of running code that are not the input's fault as a service sees it.
RUN_FAILURES = (JudgeError, SourceTooLarge, TemplateError)


def judge_error_message(exc: Exception) -> str:
    """A failure to run code as the API tells it to people (``courses/api/errors.py``): the
    infrastructure's own text stays in the log."""
    status = api_status_for(exc)
    if status.http_status >= 500:
        logger.warning("running code failed (%s): %s", status.code, exc)
        return JUDGE_FAILURE_MESSAGES.get(status.code, "Judging failed; it has been logged.")
    return getattr(exc, "message", None) or str(exc)


def run_throttled(request) -> str:
    """The API's "Run code" rate for this user (the same budget): its refusal, or ``""``."""
    throttle = CodeRunThrottle()
    if throttle.allow_request(request, None):
        return ""
    return str(Throttled(wait=throttle.wait()).detail)


def run_code(request, problem: Problem, form: CodeForm) -> RunOutcome:
    """Run the form's code the way ``problem`` judges it (``run_on_problem``); nothing saved.

    On the samples when the custom input is empty, else once on it. A refusal is
    ``RunOutcome.error`` (the result region shows it) and, when the service names fields,
    errors next to them on the form.
    """
    if not form.is_valid():
        return RunOutcome(error=INVALID_INPUT, http_status=400)
    refusal = run_throttled(request)
    if refusal:
        return RunOutcome(error=refusal, http_status=429)
    data = form.cleaned_data
    try:
        result = CodeExecutorService().run_on_problem(
            problem,
            data["language"],
            data["code"],
            stdin=data["stdin"] or None,
            user_id=request.user.pk,
        )
    except ServiceError as exc:
        apply_service_error(form, exc)
        return RunOutcome(error=exc.message, http_status=exc.http_status, refusal=exc)
    except RUN_FAILURES as exc:
        status = api_status_for(exc).http_status
        return RunOutcome(error=judge_error_message(exc), http_status=status)
    return RunOutcome(result=result)


# --- Submit ----------------------------------------------------------------------------------


@dataclass
class SubmitOutcome:
    """The new submission, or the refusal (on the form too) with the API's HTTP status.

    ``refusal`` is the service's error, for a caller that answers some of them its own way (an
    exam page shows a closed attempt's page instead of the form).
    """

    submission: Submission | None = None
    error: str = ""
    http_status: int = 200
    refusal: ServiceError | None = None


def submit_code(*, user, problem: Problem, form: CodeForm, exam_attempt=None) -> SubmitOutcome:
    """``submission_create`` with the form's language and code. A refusal (the pending cap, a
    language, the code's size, a closed attempt) is shown on the form next to its fields."""
    if not form.is_valid():
        return SubmitOutcome(error=INVALID_INPUT, http_status=400)
    try:
        submission = submission_create(
            user=user,
            problem=problem,
            language=form.cleaned_data["language"],
            code=form.cleaned_data["code"],
            exam_attempt=exam_attempt,
        )
    except ServiceError as exc:
        apply_service_error(form, exc)
        return SubmitOutcome(error=exc.message, http_status=exc.http_status, refusal=exc)
    return SubmitOutcome(submission=submission, http_status=201)


# --- A submission as its owner sees it ---------------------------------------------------------


@dataclass
class ShownSubmission:
    """One of my submissions: the model row and what the API's serializer lets me see of it.

    ``data`` is ``SubmissionOutputSerializer``'s output (for a list row,
    ``SubmissionSummarySerializer``'s; an exam submission's points are the exam's): the
    hidden-case and exam-feedback rules live there only. Templates read the verdict, points,
    results and texts from ``data``, and only times and links from ``submission``.
    """

    submission: Submission
    data: dict
    now: datetime
    #: For an exam submission: what its problem is worth in the exam.
    exam_worth: Decimal | None = None

    @property
    def status(self) -> str:
        return self.data["status"]

    @property
    def waiting(self) -> bool:
        """Whether the shown status may still change by itself (poll while it does)."""
        return self.status in WAITING_VERDICTS

    @property
    def poll_delay_s(self) -> int:
        return poll_delay_s(self.submission.created_at, self.now)

    @property
    def points_of(self):
        """What ``data["points"]`` are out of: the problem's points, or its worth in the exam."""
        return self.submission.problem.points if self.exam_worth is None else self.exam_worth

    @property
    def language_name(self) -> str:
        return language_choices([self.data["language"]])[0][1]

    @property
    def course(self):
        return self.submission.problem.chapter.course


def poll_delay_s(created_at: datetime, now: datetime) -> int:
    """Seconds before the next poll: 1 s at first, one more every ``POLL_BACKOFF_STEP_S`` s of
    waiting, at most ``MAX_POLL_DELAY_S``."""
    waited = max(0.0, (now - created_at).total_seconds())
    return min(MAX_POLL_DELAY_S, 1 + math.floor(waited / POLL_BACKOFF_STEP_S))


def shown_submission(submission: Submission, now: datetime | None = None) -> ShownSubmission:
    """Load it with ``selectors.submission_for_owner`` (results, cases, course, exam).

    An exam submission's points are the exam's, as the exam pages and the API show them (the
    selector loads its worth in the exam with it).
    """
    now = now or timezone.now()
    data = SubmissionOutputSerializer(submission, context={"now": now}).data
    return ShownSubmission(submission, data, now, exam_worth=selectors.exam_worth_of(submission))


def shown_submission_rows(submissions, now: datetime | None = None) -> list[ShownSubmission]:
    """List rows (``selectors.submissions_of_user``): no code, no per-case results."""
    now = now or timezone.now()
    rows = list(submissions)
    serializer = SubmissionSummarySerializer(rows, many=True, context={"now": now})
    worths = [serializer.child.exam_worth(s) for s in rows]  # exam rows: the exam's points
    return [
        ShownSubmission(s, d, now, exam_worth=worth)
        for s, d, worth in zip(rows, serializer.data, worths, strict=True)
    ]


def status_url(submission: Submission, *, on_problem_page: bool = False) -> str:
    url = reverse("web:submission-status", args=[submission.pk])
    return f"{url}?on=problem" if on_problem_page else url


# --- Code as HTML ----------------------------------------------------------------------------

_FORMATTER = HtmlFormatter(nowrap=True)
#: Our language keys whose Pygments lexer has another name.
_LEXERS = {"cpp": "cpp", "c": "c", "python": "python3", "javascript": "javascript", "java": "java"}


def highlighted_code(code: str, language: str) -> SafeString:
    """``code`` as ``<pre class="highlight">`` with Pygments' classes (app.css colours them).

    Pygments escapes the text it formats, so the result is safe to mark so.
    """
    try:
        lexer = get_lexer_by_name(_LEXERS.get(language, language))
    except ClassNotFound:
        lexer = get_lexer_by_name("text")
    spans = highlight(code, lexer, _FORMATTER)
    return mark_safe(f'<pre class="highlight"><code>{spans}</code></pre>')
