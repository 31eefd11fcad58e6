"""Forms of the admin that apply the same rules as the API's services.

- ``order`` may be left blank: the item goes after the last one of its parent, and several new
  rows of one inline get consecutive orders (``NextOrderFormSet``), as the API's "next" order.
- Test cases are checked against their problem as the API checks them (``case_errors``): a
  function-style input must be a JSON array of arguments, a ``json`` expected output JSON.
- An exam problem comes from the exam's course; a blank score is the problem's points.
- A reference solution's language is a known one, its code a valid source.
- Authoring (below): help on every field that confuses (``HELP``); starter code and template
  overrides as one editor per language of the platform, assembled into their JSON fields; code
  and test data keep LF line breaks; due dates and exam times on the course's clocks
  (``CourseTimesMixin``).
- A problem's limits fit the configured judge (Judge0's maxima), as ``authoring`` refuses them,
  and every field the authoring API bounds has the same bound (``admin_fields.apply_bound``, for
  all the admin's model fields; the code fields declared here apply it themselves).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.db.models import Max
from django.forms.models import BaseInlineFormSet
from django.forms.utils import pretty_name
from django.utils.functional import cached_property

from courses.admin_fields import (
    CodeField,
    CodeWidget,
    CourseTimesMixin,
    FoldField,
    StatementWidget,
    TestsCodeWidget,
    TextDataField,
    apply_bound,
)
from courses.judging.languages import LANGUAGES
from courses.judging.templates import TemplateError, validate_template
from courses.judging.tests_as_code import TestCodeError, split_test_code
from courses.models import Chapter, Course, ExamProblem, Problem, ProblemTestCase
from courses.services.authoring import judge_limit_errors
from courses.services.errors import ServiceError
from courses.services.model_checks import next_order
from courses.services.submissions import validate_source
from courses.services.testdata import CASE_RULE_FIELDS, case_errors

#: The field naming the parent among whose children an order is "next".
ORDER_PARENTS = {
    Chapter: "course",
    Problem: "chapter",
    ProblemTestCase: "problem",
    ExamProblem: "exam",
}


class NextOrderForm(forms.ModelForm):
    """A model form whose blank ``order`` becomes the next one of its parent."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("order")
        if field is not None:
            field.required = False
            field.help_text = "Leave blank to put it after the last one."
            if self.instance.pk is None:
                self.initial["order"] = None

    def clean(self):
        data = super().clean()
        if "order" in self.fields and data.get("order") is None and not self.has_error("order"):
            source = getattr(self, "order_source", None)
            data["order"] = source.take_order() if source is not None else self._next_order()
        return data

    def _next_order(self) -> int:
        parent_field = ORDER_PARENTS[self._meta.model]
        parent = self.cleaned_data.get(parent_field)
        if parent is None:
            return 1
        siblings = self._meta.model.objects.filter(**{parent_field: parent})
        return next_order(siblings.exclude(pk=self.instance.pk))


class ParentCachedFormSet(BaseInlineFormSet):
    """Each row knows its parent object without a query (rows are named after it)."""

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        if (
            self.instance.pk is not None
            and getattr(form.instance, self.fk.attname) == self.instance.pk
        ):
            setattr(form.instance, self.fk.name, self.instance)
        return form


class SubtaskFormSet(ParentCachedFormSet):
    """A subtask depends only on earlier subtasks of its problem (a lower order, with the
    orders as this save leaves them), as the API's service refuses: a dependency on itself or
    on a later subtask was saved, and every submission to the problem then failed to judge."""

    def clean(self):
        super().clean()
        rows = [
            form
            for form in self.forms
            if getattr(form, "cleaned_data", None) and not form.cleaned_data.get("DELETE")
        ]
        orders = {
            form.instance.pk: form.cleaned_data.get("order")
            for form in rows
            if form.instance.pk is not None
        }
        for form in rows:
            order = form.cleaned_data.get("order")
            for other in form.cleaned_data.get("depends_on") or []:
                other_order = orders.get(other.pk, other.order)
                if order is not None and (
                    other.pk == form.instance.pk or other_order is None or other_order >= order
                ):
                    form.add_error(
                        "depends_on",
                        "A subtask depends only on earlier subtasks of its problem (a lower "
                        f"order); subtask {other_order} is not before this one ({order}).",
                    )
                    break


class NextOrderFormSet(ParentCachedFormSet):
    """An inline formset whose new rows with a blank order get consecutive "next" orders,
    after every order already saved or typed in the form."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._following: int | None = None

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        form.order_source = self
        return form

    def take_order(self) -> int:
        if self._following is None:
            saved = None
            if self.instance.pk is not None:
                saved = self.get_queryset().aggregate(last=Max("order"))["last"]
            typed = []
            for form in self.forms:
                raw = form.data.get(form.add_prefix("order"), "")
                if isinstance(raw, str) and raw.strip().isdigit():
                    typed.append(int(raw))
            self._following = max([0 if saved is None else saved, *typed]) + 1
        order = self._following
        self._following += 1
        return order

    def kept_forms(self):
        """Forms that will be saved: valid, changed or existing, and not marked for deletion."""
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or not form.cleaned_data:
                continue
            if self.can_delete and self._should_delete_form(form):
                continue
            yield form


class CaseFormSet(NextOrderFormSet):
    """Cases fit their problem as it is being saved: the new and edited ones, and all of them
    when the problem's mode, languages, templates or checker change (as in the API).

    The admin shows them as a table whose inputs have no label of their own (only a column
    header), so each input is named for assistive technology: "Input of case 3"."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        case = f"case {form.instance.order}" if form.instance.pk else "the new case"
        for name, field in form.fields.items():
            if not field.widget.is_hidden:
                label = "Delete" if name == "DELETE" else field.label or pretty_name(name)
                # A foreign key's select sits inside the admin's related-object wrapper.
                widget = getattr(field.widget, "widget", field.widget)
                widget.attrs["aria-label"] = f"{label} of {case}"

    def clean(self):
        super().clean()
        every_case = self._rules_changed()
        for form in self.kept_forms():
            if not (every_case or form.has_changed()):
                continue
            data = form.cleaned_data
            errors = case_errors(
                self.instance,
                input=data.get("input", ""),
                expected_output=data.get("expected_output", ""),
            )
            subtask = data.get("subtask")
            if subtask is not None and subtask.problem_id != self.instance.pk:
                errors["subtask"] = "Not a subtask of this problem."
            elif subtask is None and "subtask" in form.fields and self._has_subtasks:
                errors["subtask"] = "The problem has subtasks: every case belongs to one."
            for field, message in errors.items():
                form.add_error(field, message)

    @cached_property
    def _has_subtasks(self) -> bool:
        return self.instance.pk is not None and self.instance.subtasks.exists()

    def _rules_changed(self) -> bool:
        if self.instance.pk is None:
            return True
        saved = Problem.objects.filter(pk=self.instance.pk).values(*CASE_RULE_FIELDS).first()
        return saved is None or any(
            saved[name] != getattr(self.instance, name) for name in CASE_RULE_FIELDS
        )


class ExamProblemForm(NextOrderForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["score"].required = False
        self.fields["score"].help_text = "Leave blank for the problem's points."
        if self.instance.pk is None:
            self.initial["score"] = None

    def clean(self):
        data = super().clean()
        problem = data.get("problem")
        if data.get("score") is None and problem is not None and not self.has_error("score"):
            data["score"] = Decimal(problem.points)
        return data


class ExamProblemFormSet(NextOrderFormSet):
    def clean(self):
        super().clean()
        for form in self.kept_forms():
            problem = form.cleaned_data.get("problem")
            if problem is not None and problem.chapter.course_id != self.instance.course_id:
                form.add_error("problem", "An exam's problems come from its own course.")


class ReferenceSolutionFormSet(ParentCachedFormSet):
    def clean(self):
        super().clean()
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if not data or (self.can_delete and self._should_delete_form(form)):
                continue
            if data.get("language") and data["language"] not in LANGUAGES:
                form.add_error("language", f"One of {', '.join(sorted(LANGUAGES))}.")
            try:
                validate_source(data.get("code", ""))
            except ServiceError as exc:
                form.add_error("code", exc.message)


# --- Authoring forms: help, code per language, times on the course's clocks ----------------------

#: What confuses people, said next to the field. Keys are model field names.
HELP = {
    "io_mode": (
        "<b>function</b>: students write a function named by the entry point. In Python and "
        "JavaScript a test case's input is a <b>JSON array of the arguments</b> "
        "(<code>[1, 2]</code> calls <code>solve(1, 2)</code>; blank: no arguments) and the "
        "returned value is printed as JSON and checked. C, C++ and Java have no JSON: their "
        "<code>solve()</code> takes no arguments, reads standard input and writes standard "
        "output itself. <b>stdio</b>: students write a whole program; a case's input is its "
        "standard input as written, and its standard output is checked. No template is used."
    ),
    "entry_point": (
        "The function a function-style problem calls, e.g. <code>solve</code> (letters, digits "
        "and _; not starting with a digit). Ignored by stdio problems."
    ),
    "allowed_languages": "The languages students may submit in (at least one).",
    "checker": (
        "How a program's output is compared with a case's expected output. <b>exact</b>: the "
        "same text, ignoring spaces at line ends, trailing blank lines and CRLF/LF. "
        "<b>tokens</b>: the same words and numbers in the same order, however spaced. "
        "<b>float</b>: numbers equal within the tolerances below, other words exactly. "
        "<b>json</b>: the same JSON value (objects by keys, arrays in order); every expected "
        "output must then be JSON. <b>custom</b>: your own checker program (below) decides; "
        "see docs/authoring.md."
    ),
    "setup_code": (
        "Tests written as code (io mode <b>tests</b>): Python run before every case, after the "
        "student's code: imports, helpers, a seeded random. It decides no verdict."
    ),
    "test_code": (
        "Tests written as code: one <code>assert EXPR == LITERAL</code> per line, e.g. "
        "<code>assert add(2, 3) == 5</code>; end a line with <code># sample</code> to show it to "
        "students. Saving splits the block into one case per assert and <b>replaces</b> the "
        "cases (the message after saving shows the split). EXPR runs in the sandbox; LITERAL "
        "(a Python literal) never does: the value is compared outside, with the float "
        "tolerances. Leave blank to keep the cases as they are."
    ),
    "checker_language": "The custom checker's language: Python, C or C++.",
    "checker_code": (
        "A whole program. Its stdin: a line <code>a b c</code> (byte counts), then the input, "
        "the expected output and the student's output back to back. Its first line of output: "
        "<code>accepted</code>, <code>wrong_answer</code> or <code>partial 0.5</code>; the rest "
        "is a message students see on samples. A crash, a loop or a flood is your error: the "
        "submission ends internal_error for the staff, never against the student."
    ),
    "language_limits": (
        'Per language, e.g. <code>{"java": {"time_multiplier": 2, "memory_extra_kb": 65536}}'
        "</code>: overrides the site's defaults (COURSES_LANGUAGE_LIMITS). Students see each "
        "language's limits."
    ),
    "float_abs_tolerance": (
        "Float checker: a number passes when |actual − expected| ≤ max(absolute tolerance, "
        "relative tolerance × |expected|)."
    ),
    "float_rel_tolerance": "Float checker: see the absolute tolerance.",
    "points": (
        "What the problem is worth in the course: a submission earns its score (the weighted "
        "share of cases passed) × points."
    ),
    "time_limit_ms": "CPU time per test case, in milliseconds (1 to 60 000).",
    "memory_limit_kb": "Memory per test case, in KiB (262144 = 256 MiB).",
    "output_limit_kb": "Output per test case, in KiB; more is an output-limit verdict.",
    "is_visible": "Draft problems (unticked) are seen by the course's staff only.",
    "is_exam_only": "Only reachable inside an exam that uses it, never as practice.",
    "problem_due_at": (
        "This problem's own due date; empty: the chapter's due date applies. Submissions after "
        "it are accepted, marked late and scored by the course's late policy."
    ),
    "chapter_due_at": (
        "When the chapter's problems are due (a problem's own due date wins); empty: no due "
        "date. Submissions after it are accepted, marked late and scored by the course's late "
        "policy."
    ),
    "input": (
        "Function-style Python/JavaScript: a JSON array of the arguments, e.g. "
        '<code>[[3, 1, 2], "asc"]</code> for <code>solve([3, 1, 2], "asc")</code>. '
        "Otherwise (stdio, C, C++, Java, or an overridden template): the standard input as is."
    ),
    "expected_output": (
        "What a correct program prints for this input (for function-style Python/JavaScript: "
        "the JSON of the returned value), compared by the problem's checker."
    ),
    "weight": (
        "How much this case counts in the score, relative to the others; at least 1. A case "
        "that should not count belongs in the statement, not among the judged cases."
    ),
    "is_sample": (
        "Samples are shown to students, input and expected output, and used by Run. Other "
        "cases stay hidden: students see only their verdict, time and memory."
    ),
    "case_order": "Leave blank to put it after the last one. Cases run in this order.",
    "time_zone": (
        "An IANA name such as <code>Europe/Paris</code>. Due dates and exam times are entered "
        "and shown on this zone's clocks (stored in UTC)."
    ),
    "late_policy": (
        "How submissions after a due date are scored. <b>No penalty</b>: they count in full, "
        "marked late. <b>Penalty per day late</b>: they lose the percentage below per started "
        "day (one minute late is one day), never below zero. <b>Not counted</b>: judged and "
        "shown, but they earn nothing. Exam submissions are never late."
    ),
    "late_penalty_percent_per_day": (
        "With the penalty policy: the share of the score lost per started day late (0–100)."
    ),
    "opens_at": "From when students can start an attempt.",
    "closes_at": (
        "After this no attempt starts, and running attempts end (an attempt ends at its "
        "duration or at this time, whichever comes first; extra time granted comes on top). "
        "Moving it earlier ends the attempts running now by the new time."
    ),
    "duration_minutes": "How long one attempt lasts from its start, in minutes.",
    "max_attempts": "How many attempts each student may start.",
    "passing_score": (
        "The points an attempt needs to pass, out of the exam's total score (the sum of its "
        "problems' scores, shown below). Ignored when a passing percentage is set."
    ),
    "passing_percentage": (
        "Optional, 0–100. When set it wins: the passing score becomes this share of the total "
        "score (rounded up to the cent) and follows the total when problems change. Leave it "
        "blank to set the passing score yourself."
    ),
    "results_released_at": (
        "From when students see their scores and every verdict; empty: not released yet."
    ),
    "feedback": (
        "What students see of their exam submissions before the results are released. "
        "<b>Full results</b>: every verdict and score as practice shows them. <b>Sample cases "
        "only</b>: the samples' results, no overall verdict or score. <b>Nothing</b>: only that "
        "the submission was received."
    ),
    "reference_language": "One reference solution per language (any language of the platform).",
    "reference_code": (
        "A correct solution, judged on every test case like a student's submission whenever "
        "the problem, its cases or this code change (and with Validate). It proves the test "
        "data and the judge agree; students never see it."
    ),
}

STARTER_PREFIX = "starter_code__"
TEMPLATE_PREFIX = "template_override__"
#: Per-language form fields and the JSON model field each one is a key of.
CODE_FIELD_PREFIXES = {STARTER_PREFIX: "starter_code", TEMPLATE_PREFIX: "template_overrides"}

TEMPLATE_HELP = (
    "Replaces the default harness of this language for function-style problems: the whole "
    "program a submission becomes. Write <code>{{user_code}}</code> exactly once, where the "
    "student's code goes, and <code>{{entry_point}}</code> wherever the function's name is "
    "needed. Leave blank for the default. With an override, your program decides how a case's "
    "input is read (it need not be a JSON array)."
)


def language_choices() -> list[tuple[str, str]]:
    return [(key, f"{lang.display_name} ({key})") for key, lang in LANGUAGES.items()]


def code_field_names(prefix: str) -> list[str]:
    return [f"{prefix}{key}" for key in LANGUAGES]


def _with_code_fields(form_class):
    """Declare a starter code and a template override field per language of the platform."""
    for key, lang in LANGUAGES.items():
        fields = {
            f"{STARTER_PREFIX}{key}": CodeField(
                label=f"Starter code ({key})",
                widget=CodeWidget(key),
                help_text=f"What students find in the editor in {lang.display_name}; "
                "blank: an empty editor.",
            ),
            f"{TEMPLATE_PREFIX}{key}": CodeField(
                label=f"Template override ({key})",
                widget=CodeWidget(key),
                help_text=f"The program a {lang.display_name} submission becomes; blank: the "
                "default harness.",
            ),
        }
        form_class.base_fields.update(fields)
        form_class.declared_fields.update(fields)
    return form_class


def _help(form: forms.BaseForm, **names: str) -> None:
    """``field=HELP key`` for the fields the form has."""
    for field, key in names.items():
        if field in form.fields:
            form.fields[field].help_text = HELP[key]


class CourseForm(forms.ModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _help(
            self,
            time_zone="time_zone",
            late_policy="late_policy",
            late_penalty_percent_per_day="late_penalty_percent_per_day",
        )


def _zone_of_course_id(value) -> str | None:
    try:
        course_id = int(value)
    except (TypeError, ValueError):
        return None
    return Course.objects.filter(pk=course_id).values_list("time_zone", flat=True).first()


class ChapterForm(CourseTimesMixin, NextOrderForm):
    """A chapter on its own page: the zone is the chosen course's."""

    local_time_fields = ("due_at",)
    due_at_fold = FoldField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _help(self, due_at="chapter_due_at")

    def display_zone(self):
        if self.instance.course_id:
            return self.instance.course.time_zone
        return _zone_of_course_id(self.data.get("course") or self.initial.get("course"))

    def cleaned_zone(self):
        course = self.cleaned_data.get("course")
        return course.time_zone if course is not None else None


class ChapterInlineForm(ChapterForm):
    """A chapter among its course's: the zone is the course's, given by the formset."""

    def __init__(self, *args, zone_course=None, **kwargs):
        self.zone_course = zone_course
        super().__init__(*args, **kwargs)

    def display_zone(self):
        return self.zone_course.time_zone if self.zone_course is not None else None

    def cleaned_zone(self):
        return self.display_zone()


class ChapterFormSet(NextOrderFormSet):
    """Chapters' due dates are on the clocks the course page showed them in: the saved course's
    zone (a new course's: the one typed in its form)."""

    def get_form_kwargs(self, index):
        kwargs = super().get_form_kwargs(index)
        kwargs["zone_course"] = self.zone_course
        return kwargs

    @cached_property
    def zone_course(self) -> Course | None:
        course = self.instance
        if course.pk is None and not self.is_bound:
            # A new course's page: its zone is the one its form will be sent with, not the
            # field's default, so the due dates name no zone yet ("the course's time zone").
            return None
        if course.pk is not None:
            saved = Course.objects.filter(pk=course.pk).values_list("time_zone", flat=True)
            course = Course(pk=course.pk, time_zone=saved.first() or course.time_zone)
        return course


@_with_code_fields
class ProblemForm(CourseTimesMixin, NextOrderForm):
    """A problem: code per language in editors (assembled into ``starter_code`` and
    ``template_overrides``), languages as checkboxes, the due date on the course's clocks."""

    local_time_fields = ("due_at",)
    due_at_fold = FoldField()
    allowed_languages = forms.MultipleChoiceField(
        choices=language_choices, widget=forms.CheckboxSelectMultiple
    )
    setup_code = CodeField(required=False, widget=CodeWidget())
    test_code = CodeField(required=False, widget=TestsCodeWidget(), label="Tests as code")
    checker_code = CodeField(required=False, widget=CodeWidget())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "language_limits" in self.fields:
            self.initial.setdefault("language_limits", self.instance.language_limits or {})
            # Compared with the instance, not with a hidden copy of the initial value that
            # Django adds for a callable default.
            self.fields["language_limits"].show_hidden_initial = False
        for prefix, model_field in CODE_FIELD_PREFIXES.items():
            stored = getattr(self.instance, model_field) or {}
            for key in LANGUAGES:
                if isinstance(stored.get(key), str):
                    self.initial[f"{prefix}{key}"] = stored[key]
        for name in ("setup_code", "checker_code"):  # declared here, so bound here
            if name in self.fields:
                apply_bound(self.fields[name], "problem", name)
        if "statement" in self.fields:
            self.fields["statement"].widget = StatementWidget(
                attrs={"rows": 14, "cols": 80, "class": "vLargeTextField"}
            )
            self.fields["statement"].strip = False
        _help(
            self,
            io_mode="io_mode",
            entry_point="entry_point",
            allowed_languages="allowed_languages",
            checker="checker",
            float_abs_tolerance="float_abs_tolerance",
            float_rel_tolerance="float_rel_tolerance",
            setup_code="setup_code",
            test_code="test_code",
            checker_language="checker_language",
            checker_code="checker_code",
            language_limits="language_limits",
            points="points",
            time_limit_ms="time_limit_ms",
            memory_limit_kb="memory_limit_kb",
            output_limit_kb="output_limit_kb",
            is_visible="is_visible",
            is_exam_only="is_exam_only",
            due_at="problem_due_at",
        )

    def display_zone(self):
        if self.instance.chapter_id:
            return self.instance.chapter.course.time_zone
        chapter = self.data.get("chapter") or self.initial.get("chapter")
        try:
            chapter_id = int(chapter)
        except (TypeError, ValueError):
            return None
        zones = Chapter.objects.filter(pk=chapter_id).values_list("course__time_zone", flat=True)
        return zones.first()

    def cleaned_zone(self):
        chapter = self.cleaned_data.get("chapter")
        return chapter.course.time_zone if chapter is not None else None

    #: The limits the configured judge must be able to run (Judge0's maxima), as the API checks.
    LIMITS = ("time_limit_ms", "memory_limit_kb", "output_limit_kb")

    def clean(self):
        data = super().clean()
        if all(data.get(name) for name in self.LIMITS):
            limits = Problem(**{name: data[name] for name in self.LIMITS})
            for field, message in judge_limit_errors(limits).items():
                if field in self.fields:
                    self.add_error(field, message)
        self.instance.starter_code = self._assembled(STARTER_PREFIX)
        templates = self._assembled(TEMPLATE_PREFIX)
        for key, text in list(templates.items()):
            try:
                validate_template(text)
            except TemplateError as exc:
                self.add_error(f"{TEMPLATE_PREFIX}{key}", str(exc))
                del templates[key]
        if not any(name.startswith(TEMPLATE_PREFIX) for name in self.errors):
            self.instance.template_overrides = templates
        self.split_tests = []
        if (data.get("test_code") or "").strip():
            if data.get("io_mode") != Problem.IoMode.TESTS:
                self.add_error("test_code", "Tests as code need the io mode tests.")
            else:
                try:
                    self.split_tests = split_test_code(data["test_code"])
                except TestCodeError as exc:
                    self.add_error("test_code", str(exc))
        return data

    def _assembled(self, prefix: str) -> dict[str, str]:
        """``{language: text}`` of the non-blank fields with ``prefix``, in the table's order."""
        texts = {key: self.cleaned_data.get(f"{prefix}{key}") or "" for key in LANGUAGES}
        return {key: text for key, text in texts.items() if text.strip()}

    def changed_model_fields(self) -> set[str]:
        """The model fields this form changed, per-language fields counted as their JSON field."""
        changed = set()
        for name in self.changed_data:
            prefix = next((p for p in CODE_FIELD_PREFIXES if name.startswith(p)), None)
            changed.add(CODE_FIELD_PREFIXES[prefix] if prefix else name)
        return changed

    def _update_errors(self, errors):
        """The model's own check of a JSON field shows on the form, not as a crash (its fields
        are per language here)."""
        if hasattr(errors, "error_dict"):
            for name in CODE_FIELD_PREFIXES.values():
                if name in errors.error_dict and name not in self.fields:
                    moved = errors.error_dict.pop(name)
                    errors.error_dict.setdefault(NON_FIELD_ERRORS, []).extend(moved)
        super()._update_errors(errors)


class CaseForm(NextOrderForm):
    """A test case: text as typed (LF line breaks), with what each field expects."""

    input = TextDataField(widget=forms.Textarea(attrs={"rows": 3, "cols": 30}))
    expected_output = TextDataField(widget=forms.Textarea(attrs={"rows": 3, "cols": 30}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _help(
            self,
            input="input",
            expected_output="expected_output",
            weight="weight",
            is_sample="is_sample",
            order="case_order",
        )


class ReferenceSolutionForm(forms.ModelForm):
    language = forms.ChoiceField(choices=[("", "---------"), *language_choices()])
    code = CodeField(required=True, widget=CodeWidget())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.set_language(self.instance.language or "python")
        _help(self, language="reference_language", code="reference_code")


class ExamForm(CourseTimesMixin, forms.ModelForm):
    """An exam: its window and release time on the course's clocks."""

    local_time_fields = ("opens_at", "closes_at", "results_released_at")
    opens_at_fold = FoldField()
    closes_at_fold = FoldField()
    results_released_at_fold = FoldField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _help(
            self,
            **{
                name: name
                for name in (
                    "opens_at",
                    "closes_at",
                    "duration_minutes",
                    "max_attempts",
                    "passing_score",
                    "passing_percentage",
                    "results_released_at",
                    "feedback",
                )
            },
        )

    def display_zone(self):
        if self.instance.course_id:
            return self.instance.course.time_zone
        return _zone_of_course_id(self.data.get("course") or self.initial.get("course"))

    def cleaned_zone(self):
        course = self.cleaned_data.get("course")
        return course.time_zone if course is not None else None

    def clean(self):
        data = super().clean()
        opens, closes = data.get("opens_at"), data.get("closes_at")
        if (
            isinstance(opens, datetime)
            and isinstance(closes, datetime)
            and opens.tzinfo is not None
            and closes.tzinfo is not None
            and closes <= opens
        ):
            self.add_error("closes_at", "An exam must close after it opens.")
        return data
