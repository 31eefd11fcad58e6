"""Forms of the admin that apply the same rules as the API's services.

- ``order`` may be left blank: the item goes after the last one of its parent, and several new
  rows of one inline get consecutive orders (``NextOrderFormSet``), as the API's "next" order.
- Test cases are checked against their problem as the API checks them (``case_errors``): a
  function-style input must be a JSON array of arguments, a ``json`` expected output JSON.
- An exam problem comes from the exam's course; a blank score is the problem's points.
- A reference solution's language is a known one, its code a valid source.
- A problem's limits fit the configured judge (Judge0's maxima), as ``authoring`` refuses them.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.db.models import Max
from django.forms.models import BaseInlineFormSet

from courses.judging.languages import LANGUAGES
from courses.models import Chapter, ExamProblem, Problem, ProblemTestCase
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


class NextOrderFormSet(BaseInlineFormSet):
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


class ProblemForm(NextOrderForm):
    """A problem whose limits the configured judge cannot run is refused next to the field."""

    LIMITS = ("time_limit_ms", "memory_limit_kb", "output_limit_kb")

    def clean(self):
        data = super().clean()
        if all(data.get(name) for name in self.LIMITS):
            limits = Problem(**{name: data[name] for name in self.LIMITS})
            for field, message in judge_limit_errors(limits).items():
                if field in self.fields:
                    self.add_error(field, message)
        return data


class CaseFormSet(NextOrderFormSet):
    """Cases fit their problem as it is being saved: the new and edited ones, and all of them
    when the problem's mode, languages, templates or checker change (as in the API)."""

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
            for field, message in errors.items():
                form.add_error(field, message)

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


class ReferenceSolutionFormSet(BaseInlineFormSet):
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
