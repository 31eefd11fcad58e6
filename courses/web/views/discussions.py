"""Discussions: a course's threads (or one problem's), a thread with its replies, replying,
editing and deleting one's own text, and moderation by the course's staff.

Every read and every rule is the API's (``courses/api/discussions.py``): the selectors of
``courses.selectors.discussions`` decide who sees and changes what (threads about an open
exam's problems are not found for students), the services of ``courses.services.discussions``
write, and their errors show next to the form's fields in the API's words.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from courses import selectors
from courses.rendering import render_markdown
from courses.selectors.discussions import NO_SUCH_PROBLEM
from courses.selectors.discussions import THREAD_MODERATION_FIELDS as MODERATION_FIELDS
from courses.services.discussions import (
    BODY_MAX_CHARS,
    TITLE_MAX_CHARS,
    reply_create,
    reply_delete,
    reply_edit,
    thread_create,
    thread_delete,
    thread_update,
)
from courses.services.errors import Conflict, ServiceError
from courses.web.forms import apply_service_error

#: Threads on a page of the list, replies on a page of a thread.
THREADS_PER_PAGE = 20
REPLIES_PER_PAGE = 20

BODY_HELP = "Markdown: *emphasis*, `code`, and fenced blocks (```python … ```) for longer code."


# --- Forms: blank and too long text are the services' to refuse, in the API's words ---------


def _title_field() -> forms.CharField:
    return forms.CharField(
        required=False,
        strip=False,
        widget=forms.TextInput(attrs={"maxlength": TITLE_MAX_CHARS, "autocomplete": "off"}),
    )


def _body_field(label: str, **attrs) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        strip=False,
        help_text=BODY_HELP,
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": BODY_MAX_CHARS, **attrs}),
    )


def _problem_choices(problems, empty: str) -> list:
    """A select's choices: ``empty`` first, then the problems grouped by chapter."""
    groups: dict[int, tuple[str, list]] = {}
    for problem in problems:
        groups.setdefault(problem.chapter_id, (problem.chapter.title, []))[1].append(
            (problem.pk, problem.title)
        )
    return [("", empty), *groups.values()]


class ThreadFilterForm(forms.Form):
    """``?problem=``: one problem's threads. Its choices are the problems whose threads the user
    may see; any other id is refused in the API's words for a problem it may not know of."""

    problem = forms.IntegerField(required=False)

    def __init__(self, *args, problems, **kwargs):
        super().__init__(*args, **kwargs)
        self.problems = {problem.pk: problem for problem in problems}
        self.fields["problem"].widget = forms.Select(
            choices=_problem_choices(problems, "All problems")
        )

    def clean_problem(self):
        problem_id = self.cleaned_data["problem"]
        if problem_id is not None and problem_id not in self.problems:
            raise forms.ValidationError(NO_SUCH_PROBLEM)
        return problem_id


class ThreadForm(forms.Form):
    title = _title_field()
    body = _body_field("Question")
    problem = forms.IntegerField(
        required=False, help_text="Optional: the problem this thread is about."
    )

    def __init__(self, *args, problems, **kwargs):
        super().__init__(*args, **kwargs)
        # The selector decides which problem is allowed (and says so, naming the field).
        self.fields["problem"].widget = forms.Select(
            choices=_problem_choices(problems, "No particular problem")
        )


class ThreadEditForm(forms.Form):
    title = _title_field()
    body = _body_field("Question")


class ReplyForm(forms.Form):
    body = _body_field("Your reply")


class ReplyEditForm(forms.Form):
    body = _body_field("Edit your reply")


class ModerationForm(forms.Form):
    #: Each action sets one field of the thread, as the API's PATCH does.
    ACTIONS = {
        "pin": ("is_pinned", True, "The thread is pinned."),
        "unpin": ("is_pinned", False, "The thread is unpinned."),
        "close": ("is_closed", True, "The thread is closed."),
        "open": ("is_closed", False, "The thread is open again."),
    }
    action = forms.ChoiceField(choices=[(name, name) for name in ACTIONS])


# --- Helpers ----------------------------------------------------------------------------------


def _with_html(post):
    """``post`` (a thread or a reply) with ``body_html``: its Markdown, sanitised."""
    post.body_html = render_markdown(post.body)
    return post


def _reply_url(reply) -> str:
    """The thread's page that lists ``reply``, at the reply."""
    page = selectors.reply_position(reply) // REPLIES_PER_PAGE + 1
    url = reverse("web:thread", args=[reply.thread_id])
    return f"{url}?page={page}#reply-{reply.pk}" if page > 1 else f"{url}#reply-{reply.pk}"


def _reply_context(request, reply) -> dict:
    course = reply.thread.course
    return {
        "reply": _with_html(reply),
        "course": course,
        "can_moderate": selectors.is_course_staff(request.user, course.pk),
    }


# --- Threads ----------------------------------------------------------------------------------


@login_required
def threads(request, course_id: int):
    """The course's threads, pinned first, then the most recently active; ``?problem=``."""
    course = selectors.course_for_member(user=request.user, course_id=course_id)
    problems = list(selectors.discussion_problems(user=request.user, course=course))
    filters = ThreadFilterForm(request.GET, problems=problems)
    problem = None
    if filters.is_valid():
        problem_id = filters.cleaned_data["problem"]
        problem = filters.problems.get(problem_id)
        listed = selectors.threads_for_member(
            user=request.user, course_id=course.pk, problem_id=problem_id
        )
    else:
        listed = []  # an unknown problem's threads: none, as the API answers
    page = Paginator(listed, THREADS_PER_PAGE).get_page(request.GET.get("page"))
    new_url = reverse("web:thread-new", args=[course.pk])
    return render(
        request,
        "web/discussions/threads.html",
        {
            "course": course,
            "filters": filters,
            "problem": problem,
            "page": page,
            "page_query": urlencode({"problem": problem.pk}) + "&" if problem else "",
            "new_url": f"{new_url}?{urlencode({'problem': problem.pk})}" if problem else new_url,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def thread_new(request, course_id: int):
    """Start a thread: title, question, and (optional) the problem it is about."""
    course = selectors.course_for_member(user=request.user, course_id=course_id)
    problems = selectors.thread_problem_choices(user=request.user, course=course)
    if request.method == "POST":
        form = ThreadForm(request.POST, problems=problems)
        if form.is_valid():
            data = form.cleaned_data
            try:
                problem = selectors.thread_problem_for_author(
                    user=request.user, course=course, problem_id=data["problem"]
                )
                thread = thread_create(
                    course=course,
                    author=request.user,
                    title=data["title"],
                    body=data["body"],
                    problem=problem,
                )
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, "Your thread is posted.")
                return redirect("web:thread", thread_id=thread.pk)
    else:
        form = ThreadForm(initial={"problem": request.GET.get("problem")}, problems=problems)
    return render(request, "web/discussions/thread_new.html", {"course": course, "form": form})


def _thread_page(request, thread, reply_form):
    replies = Paginator(selectors.replies_of_thread(thread), REPLIES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    for reply in replies:
        _with_html(reply)
    course = thread.course
    return render(
        request,
        "web/discussions/thread.html",
        {
            "thread": _with_html(thread),
            "course": course,
            "page": replies,
            "page_query": "",
            "reply_form": reply_form,
            "can_moderate": selectors.is_course_staff(request.user, course.pk),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def thread(request, thread_id: int):
    """The thread, its replies oldest first, and the reply form (POST: reply)."""
    found = selectors.thread_for_member(user=request.user, thread_id=thread_id)
    if request.method != "POST":
        return _thread_page(request, found, ReplyForm())
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            reply = reply_create(thread=found, author=request.user, body=form.cleaned_data["body"])
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, "Your reply is posted.")
            return redirect(_reply_url(reply))
    return _thread_page(request, found, form)


@login_required
@require_http_methods(["GET", "POST"])
def thread_edit(request, thread_id: int):
    """Its author edits the thread's title and question (nobody else, staff included)."""
    found = selectors.thread_for_member(user=request.user, thread_id=thread_id)
    selectors.require_thread_change(user=request.user, thread=found, changes={"title", "body"})
    if request.method == "POST":
        form = ThreadEditForm(request.POST)
        if form.is_valid():
            try:
                thread_update(thread=found, **form.cleaned_data)
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, "Your thread is saved.")
                return redirect("web:thread", thread_id=found.pk)
    else:
        form = ThreadEditForm(initial={"title": found.title, "body": found.body})
    return render(
        request,
        "web/discussions/thread_edit.html",
        {"thread": found, "course": found.course, "form": form},
    )


@login_required
@require_http_methods(["GET", "POST"])
def thread_delete_view(request, thread_id: int):
    """Confirm, then delete: the course's staff any thread, its author until others reply."""
    deletion = selectors.thread_for_deletion(user=request.user, thread_id=thread_id)
    found = deletion.thread
    error = None
    if request.method == "POST":
        try:
            thread_delete(thread=found, only_if_unanswered=deletion.only_if_unanswered)
        except Conflict as exc:
            error = exc.message
        else:
            messages.success(request, f"The thread “{found.title}” is deleted.")
            return redirect("web:threads", course_id=found.course_id)
    return render(
        request,
        "web/discussions/confirm_delete.html",
        {
            "course": found.course,
            "thread": found,
            "what": "thread",
            "error": error,
            "cancel_url": reverse("web:thread", args=[found.pk]),
        },
    )


@login_required
@require_POST
def thread_moderate(request, thread_id: int):
    """The course's staff pin, unpin, close and reopen (anyone else: 403 with the reason)."""
    found = selectors.thread_for_member(user=request.user, thread_id=thread_id)
    form = ModerationForm(request.POST)
    # Whatever the action, only moderators may take one: refused before the action is read.
    selectors.require_thread_change(user=request.user, thread=found, changes=MODERATION_FIELDS)
    if not form.is_valid():
        message = "Unknown moderation action: pin, unpin, close or open."
        return render(request, "400.html", {"exception": message}, status=400)
    field, value, done = ModerationForm.ACTIONS[form.cleaned_data["action"]]
    thread_update(thread=found, **{field: value})
    messages.success(request, done)
    return redirect("web:thread", thread_id=found.pk)


# --- Replies ----------------------------------------------------------------------------------


@login_required
@vary_on_headers("HX-Request")
def reply(request, reply_id: int):
    """A reply: with htmx, its fragment (what an inline edit swaps back); otherwise the page of
    its thread that lists it."""
    found = selectors.reply_for_member(user=request.user, reply_id=reply_id)
    if request.htmx:
        return render(
            request, "web/discussions/partials/reply.html", _reply_context(request, found)
        )
    return redirect(_reply_url(found))


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def reply_edit_view(request, reply_id: int):
    """Its author edits a reply: a page, or with htmx the reply swaps to a form in place."""
    found = selectors.reply_for_author(user=request.user, reply_id=reply_id)
    if request.method == "POST":
        form = ReplyEditForm(request.POST, auto_id=f"id_reply_{found.pk}_%s")
        if form.is_valid():
            try:
                reply_edit(reply=found, body=form.cleaned_data["body"])
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                if request.htmx:
                    return render(
                        request,
                        "web/discussions/partials/reply.html",
                        _reply_context(request, found),
                    )
                messages.success(request, "Your reply is saved.")
                return redirect(_reply_url(found))
    else:
        form = ReplyEditForm(initial={"body": found.body}, auto_id=f"id_reply_{found.pk}_%s")
    if request.htmx:
        form.fields["body"].widget.attrs["autofocus"] = True  # htmx focuses it once swapped in
    context = {"reply": found, "course": found.thread.course, "thread": found.thread, "form": form}
    if request.htmx:
        return render(request, "web/discussions/partials/reply_edit.html", context)
    return render(request, "web/discussions/reply_edit.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def reply_delete_view(request, reply_id: int):
    """Confirm, then delete: one's own reply, or (the course's staff) any."""
    found = selectors.reply_for_deletion(user=request.user, reply_id=reply_id)
    if request.method == "POST":
        reply_delete(reply=found)
        messages.success(request, "The reply is deleted.")
        return redirect("web:thread", thread_id=found.thread_id)
    return render(
        request,
        "web/discussions/confirm_delete.html",
        {
            "course": found.thread.course,
            "thread": found.thread,
            "reply": _with_html(found),
            "what": "reply",
            "cancel_url": _reply_url(found),
        },
    )
