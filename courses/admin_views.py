"""The problem admin's own pages: statement preview, zip upload of cases, validation.

Thin, like the site's views: a form parses the input, the API's selector decides who may
(``problem_for_staff``: the course's instructors upload, its staff validate, as in the API), the
API's service does the work (``testdata.cases_import_archive``, ``validation``), and a refusal
is shown in the service's words (``apply_service_error``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from courses import selectors
from courses.models import Problem, ReferenceSolution
from courses.rendering import render_markdown
from courses.services import judging_authoring, testdata, validation
from courses.services.errors import InvalidInput, ServiceError
from courses.templatetags.courses_web import VERDICTS
from courses.web.forms import apply_service_error

TEMPLATES = "admin/courses/problem"


# --- Statement preview ---------------------------------------------------------------------------


def statement_preview(model_admin, request):
    """The statement as students will see it (``render_markdown``: sanitised)."""
    return _preview(
        model_admin,
        request,
        name="statement_preview",
        title="Statement preview",
        context_for=lambda data: {"html": render_markdown(data.get("statement", ""))},
    )


def tests_preview(model_admin, request):
    """How a tests-as-code block splits into cases (``judging_authoring.test_code_preview``),
    before saving; a refused block names its line."""
    return _preview(
        model_admin,
        request,
        name="tests_preview",
        title="Tests as code: the split",
        context_for=_split_context,
    )


def _split_context(data) -> dict:
    try:
        return {"cases": judging_authoring.test_code_preview(code=data.get("test_code", ""))}
    except InvalidInput as exc:
        return {"error": exc.message}


def _preview(model_admin, request, *, name: str, title: str, context_for) -> TemplateResponse:
    """A preview for staff who may add or change problems, from a POST (``context_for`` gets
    its data): the fragment ``<name>_body.html`` for ``authoring.js``; without JavaScript the
    change form itself is sent here and the preview is a page of its own (``<name>.html``)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not (model_admin.has_add_permission(request) or model_admin.has_change_permission(request)):
        raise PermissionDenied
    context = context_for(request.POST)
    if request.headers.get("X-Requested-With") == "XMLHttpRequest":
        return TemplateResponse(request, f"{TEMPLATES}/{name}_body.html", context)
    context.update(model_admin.admin_site.each_context(request), opts=Problem._meta, title=title)
    return TemplateResponse(request, f"{TEMPLATES}/{name}.html", context)


# --- Zip upload of test cases --------------------------------------------------------------------


class CaseArchiveForm(forms.Form):
    archive = forms.FileField(
        label="Zip archive",
        help_text="<code>NAME.in</code> and <code>NAME.out</code> pairs, in folders or not. "
        "Names starting with <code>sample</code> become sample cases; samples come first, then "
        "the others in natural order (2 before 10). Everything is checked before anything is "
        "written.",
    )
    mode = forms.ChoiceField(
        label="Mode",
        choices=[
            ("append", "Append: add these cases after the existing ones"),
            ("replace", "Replace: these become the problem's only cases"),
        ],
        initial="append",
        widget=forms.RadioSelect,
    )


def cases_upload(model_admin, request, problem_id: int):
    """Import a zip of cases into the problem, in the mode chosen; show what was created."""
    problem = selectors.problem_for_staff(
        user=request.user, problem_id=problem_id, instructor_only=True
    )
    result = None
    if request.method == "POST":
        form = CaseArchiveForm(request.POST, request.FILES)
        if form.is_valid():
            # One byte more than allowed is enough for the service to refuse it as too large.
            data = form.cleaned_data["archive"].read(settings.COURSES_CASE_ARCHIVE_MAX_BYTES + 1)
            try:
                result = testdata.cases_import_archive(
                    problem=problem, data=data, mode=form.cleaned_data["mode"]
                )
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _imported_message(result))
                form = CaseArchiveForm()
    else:
        form = CaseArchiveForm()
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": Problem._meta,
        "original": problem,
        "title": f"Upload test cases: {problem.title}",
        "form": form,
        "result": result,
        "problem_url": reverse("admin:courses_problem_change", args=[problem.pk]),
    }
    return TemplateResponse(request, f"{TEMPLATES}/cases_upload.html", context)


def _imported_message(result: testdata.ArchiveImport) -> str:
    created = len(result.created)
    text = f"{created} test case{'s' if created != 1 else ''} imported"
    if result.mode == "replace":
        text += f", replacing {result.deleted} earlier one{'s' if result.deleted != 1 else ''}"
    return text + ". The reference solutions are judged again."


# --- Validation ----------------------------------------------------------------------------------

PENDING, DONE, FAILING, NOTHING = "pending", "done", "failing", "nothing"


@dataclass(frozen=True)
class ValidationReport:
    """What the problem's page shows of its reference solutions' last validation."""

    #: PENDING (some results not in yet), DONE (every solution accepted with full points),
    #: FAILING (judged, and one is not), or NOTHING (no solution or no case).
    state: str
    references: list[ReferenceSolution]
    time_zone: str
    has_cases: bool

    @property
    def state_label(self) -> str:
        if self.state == NOTHING:
            missing = "a reference solution" if self.has_cases else "test cases"
            if not self.references and not self.has_cases:
                missing = "test cases and a reference solution"
            return f"Nothing to validate yet: add {missing}."
        if self.state == FAILING:
            failing = sum(not _validated(reference) for reference in self.references)
            return (
                f"Judged, with a problem: {failing} of {len(self.references)} reference "
                f"solution{'s' if len(self.references) != 1 else ''} did not get full points. "
                "The test data or the solution is wrong (details below): students' work is "
                "judged by the same data."
            )
        return {
            PENDING: "Pending: the judge has not finished with every reference solution yet.",
            DONE: "Done: every reference solution is accepted with full points on the current "
            "test data.",
        }[self.state]


def _validated(reference: ReferenceSolution) -> bool:
    """Accepted with full points (a subtask without cases, say, leaves points out)."""
    return reference.validation_status == "accepted" and reference.validation_score == 1


def validation_report(problem: Problem) -> ValidationReport:
    references = list(selectors.problem_reference_solutions(problem_id=problem.pk))
    has_cases = selectors.problem_test_cases(problem_id=problem.pk).exists()
    if not references or not has_cases:
        state = NOTHING
    elif any(not reference.validation_status for reference in references):
        state = PENDING
    elif all(_validated(reference) for reference in references):
        state = DONE
    else:
        state = FAILING
    return ValidationReport(
        state=state,
        references=references,
        time_zone=problem.chapter.course.time_zone,
        has_cases=has_cases,
    )


def validation_summary(reference: ReferenceSolution) -> str:
    """One line: the verdict and how many cases passed, or pending."""
    if reference.pk is None:
        return "Not judged yet: save to judge it."
    if not reference.validation_status:
        return "Pending"
    label = VERDICTS.get(reference.validation_status, (reference.validation_status, ""))[0]
    details = reference.validation_details or {}
    if details.get("total_cases"):
        return format_html(
            "{} ({} of {} cases passed)", label, details["passed_cases"], details["total_cases"]
        )
    return label


def validate(model_admin, request, problem_id: int):
    """Judge the problem's reference solutions now (the course's staff, as in the API)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    problem = selectors.problem_for_staff(user=request.user, problem_id=problem_id)
    validate_and_report(request, problem)
    if model_admin.has_view_permission(request, problem):
        target = reverse("admin:courses_problem_change", args=[problem.pk])
        return HttpResponseRedirect(f"{target}#validation")
    return HttpResponseRedirect(reverse("admin:index"))


def validate_and_report(request, problem: Problem) -> None:
    """Start a validation and say how it went, in a message (the service's words on refusal)."""
    try:
        validation.problem_validation_start(problem=problem)
    except ServiceError as exc:
        messages.error(request, f"{problem.title}: {exc.message}")
        return
    report = validation_report(problem)
    if report.state == DONE:
        verdicts = "; ".join(
            f"{reference.language}: {validation_summary(reference)}"
            for reference in report.references
        )
        accepted = all(r.validation_status == "accepted" for r in report.references)
        level = messages.SUCCESS if accepted else messages.WARNING
        messages.add_message(request, level, f"{problem.title} validated. {verdicts}.")
    else:
        messages.info(
            request,
            f"{problem.title}: validation is running. Reload this page in a moment to see the "
            "verdicts.",
        )
