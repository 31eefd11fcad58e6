"""Fields and widgets of the admin's authoring forms (``courses.admin_forms``).

- ``CodeField`` / ``CodeWidget``: code in the ACE editor of the django-ace package, over a
  plain textarea that works without JavaScript. Browsers send a textarea's line breaks as CRLF
  whatever was typed; code and test data keep LF (what the person wrote).
- ``LocalDateTimeField`` and ``CourseTimesMixin``: instants entered on the course's clocks, with
  the zone named in the label, converted by ``courses.local_times`` (a time skipped by a DST
  change is refused, a repeated one asks which: ``<name>_fold``).
- ``StatementWidget``: the statement's textarea with a "Preview statement" button.
- ``apply_bound``: a field held to the authoring API's bound (``authoring_limits``).
- ``course_time``: a list column or read-only field showing an instant on the course's clocks,
  with the zone named, as the site shows it (``in_zone``).
"""

from __future__ import annotations

import datetime

from django import forms
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.template.loader import render_to_string
from django.urls import reverse_lazy
from django_ace import AceWidget

from courses.instant_range import OUT_OF_RANGE
from courses.local_times import (
    AmbiguousLocalTime,
    LocalTimeError,
    NonexistentLocalTime,
    to_local,
    to_utc,
)
from courses.services.authoring_limits import MODEL_FIELDS, Range
from courses.templatetags.courses_web import in_zone


def apply_bound(field: forms.Field, model_name: str, name: str) -> None:
    """Hold ``field`` to the bound the authoring API puts on ``model_name.name``, if any: what
    the API refuses (a time limit of 60001 ms, an exam of 99999 minutes), the admin refuses too,
    naming the bound; the browser gets it as ``min``/``max`` or ``maxlength``."""
    bound = MODEL_FIELDS.get((model_name, name))
    if isinstance(bound, Range):
        field.validators = [
            *field.validators,
            MinValueValidator(bound.low),
            MaxValueValidator(bound.high),
        ]
        field.widget.attrs.update(min=bound.low, max=bound.high)
    elif bound is not None:
        field.validators = [*field.validators, MaxLengthValidator(bound)]
        field.widget.attrs["maxlength"] = bound


#: ACE's mode for each language key of ``courses.judging.languages``.
ACE_MODES = {
    "python": "python",
    "c": "c_cpp",
    "cpp": "c_cpp",
    "javascript": "javascript",
    "java": "java",
}
AUTHORING_JS = "courses/admin/authoring.js"
AUTHORING_CSS = "courses/admin/authoring.css"


def course_time(model, name: str, course_path: str) -> staticmethod:
    """An admin column (or read-only field) for the instant ``model.name``, shown on the clocks
    of the object's course, reached by ``course_path`` (``"exam__course"``), with the zone
    named: ``1 Dec 2026, 00:00 CET (Europe/Paris)``, what the site and the admin's forms show.
    Django's own display is UTC with no zone, which read as local times an hour or more off.

    Assign it to a ModelAdmin attribute and name that attribute in ``list_display`` or
    ``readonly_fields``; the list should ``select_related`` the course path. It sorts by the
    field."""

    def shown(obj) -> str | None:
        value = getattr(obj, name)
        if value is None:
            return None  # the admin's "-"
        course = obj
        for step in course_path.split("__"):
            course = getattr(course, step)
        return in_zone(value, course.time_zone)

    shown.short_description = model._meta.get_field(name).verbose_name.capitalize()
    shown.admin_order_field = name
    return staticmethod(shown)


def normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


class CodeWidget(AceWidget):
    """ACE over a textarea. Every mode is loaded (a reference solution's language can change
    in the page), and ``authoring.js`` names each editor after its field's label."""

    def __init__(self, language: str = "python", **kwargs):
        kwargs.setdefault("attrs", {})
        kwargs["attrs"] = {"rows": 12, "cols": 80, "spellcheck": "false", **kwargs["attrs"]}
        super().__init__(
            mode=ACE_MODES.get(language, "python"),
            width="100%",
            height="200px",
            toolbar=False,  # its only control is an unlabelled link
            showprintmargin=False,
            useworker=False,  # syntax workers are extra scripts fetched at run time
            tabsize=4,
            fontsize="14px",
            **kwargs,
        )

    def set_language(self, language: str) -> None:
        self.mode = ACE_MODES.get(language, "python")

    @property
    def media(self):
        modes = sorted(set(ACE_MODES.values()))
        return forms.Media(
            js=[
                "django_ace/ace/ace.js",
                "django_ace/widget.js",
                *(f"django_ace/ace/mode-{mode}.js" for mode in modes),
                AUTHORING_JS,
            ],
            css={"screen": ["django_ace/widget.css", AUTHORING_CSS]},
        )


class CodeField(forms.CharField):
    """Text kept exactly as written (no stripping), with LF line breaks."""

    def __init__(self, **kwargs):
        kwargs.setdefault("strip", False)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        return normalize_newlines(value) if isinstance(value, str) else value


class TextDataField(CodeField):
    """Test data typed in a textarea: as written, with LF line breaks."""

    widget = forms.Textarea


class TestsCodeWidget(CodeWidget):
    """The tests-as-code editor, and a button that shows how the block splits into cases before
    the problem is saved (the line of a refused statement named).

    Without JavaScript the button sends the form to the preview view in a new tab
    (``formaction``); ``authoring.js`` shows the split under the field instead.
    """

    preview_url = reverse_lazy("admin:courses_problem_tests_preview")

    def render(self, name, value, attrs=None, renderer=None):
        editor = super().render(name, value, attrs, renderer)
        field_id = (attrs or {}).get("id") or f"id_{name}"
        return render_to_string(
            "courses/admin/tests_code_widget.html",
            {"editor": editor, "field_id": field_id, "name": name, "url": str(self.preview_url)},
        )


class StatementWidget(forms.Textarea):
    """The statement's textarea, and a button that shows it as students will see it.

    Without JavaScript the button sends the form to the preview view in a new tab
    (``formaction``); ``authoring.js`` shows the preview under the field instead.
    """

    template_name = "courses/admin/statement_widget.html"
    preview_url = reverse_lazy("admin:courses_problem_preview")

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["preview_url"] = str(self.preview_url)
        return context

    @property
    def media(self):
        return forms.Media(js=[AUTHORING_JS], css={"screen": [AUTHORING_CSS]})


# --- Times on the course's clocks ----------------------------------------------------------------


class LocalDateTimeField(forms.SplitDateTimeField):
    """A date and a time (HTML date and time inputs), as typed: a naive wall-clock datetime."""

    def __init__(self, *, label: str, **kwargs):
        widget = forms.SplitDateTimeWidget(
            date_attrs={"type": "date", "aria-label": f"{label}: date"},
            time_attrs={"type": "time", "step": "1", "aria-label": f"{label}: time"},
            date_format="%Y-%m-%d",
            time_format="%H:%M:%S",
        )
        super().__init__(widget=widget, label=label, **kwargs)

    def compress(self, data_list):
        if not data_list:
            return None
        day, time = data_list
        if day in self.empty_values:
            raise forms.ValidationError(self.error_messages["invalid_date"], code="invalid_date")
        if time in self.empty_values:
            raise forms.ValidationError(self.error_messages["invalid_time"], code="invalid_time")
        return datetime.datetime.combine(day, time)


class FoldField(forms.TypedChoiceField):
    """Which of the two instants a repeated wall-clock time means; hidden until it is asked."""

    def __init__(self, **kwargs):
        super().__init__(
            choices=[("", "—"), (0, "the first"), (1, "the second")],
            coerce=int,
            empty_value=None,
            required=False,
            widget=forms.HiddenInput,
            **kwargs,
        )

    def ask(self, label: str, options) -> None:
        self.label = label
        self.widget = forms.RadioSelect()
        self.choices = [(option.fold, option.label) for option in options]


class CourseTimesMixin:
    """Datetime fields entered in the course's time zone, named next to them.

    A subclass lists its ``local_time_fields`` (each with a ``<name>_fold`` ``FoldField``
    declared) and says where the zone comes from: ``display_zone()`` (the one the form shows
    its values in: the saved object's course) and ``cleaned_zone()`` (the one the typed times
    are read in: the course chosen in the form). A value left as it was shown keeps its stored
    instant, whichever of a repeated hour it was.
    """

    local_time_fields: tuple[str, ...] = ()
    UNKNOWN_ZONE = "the course's time zone"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.shown_zone = self.display_zone()
        for name in self.local_time_fields:
            if name not in self.fields:
                continue
            model_field = self.fields[name]
            base_label = str(model_field.label)
            field = LocalDateTimeField(
                label=base_label,
                required=model_field.required,
                help_text=model_field.help_text,
            )
            field.base_label = base_label
            self.fields[name] = field
            stored = self.initial.get(name)
            if isinstance(stored, datetime.datetime) and self.shown_zone:
                local = _shown(stored, self.shown_zone)
                self.initial[name] = local.replace(microsecond=0)
                # A repeated hour shows which of its two instants the stored one is.
                if self._ask_fold_if_ambiguous(name, local, self.shown_zone):
                    self.initial[f"{name}_fold"] = local.fold
        self._name_zone(self.shown_zone)

    def display_zone(self) -> str | None:
        raise NotImplementedError

    def cleaned_zone(self) -> str | None:
        raise NotImplementedError

    def _name_zone(self, zone: str | None) -> None:
        for name in self.local_time_fields:
            field = self.fields.get(name)
            if isinstance(field, LocalDateTimeField):
                field.label = f"{field.base_label} ({zone or self.UNKNOWN_ZONE})"
                self._bound_fields_cache.pop(name, None)  # bound fields copy their label

    def clean(self):
        data = super().clean()
        zone = self.cleaned_zone()
        if zone is None:
            return data
        if zone != self.shown_zone:
            self._name_zone(zone)
        for name in self.local_time_fields:
            local = data.get(name)
            if not isinstance(local, datetime.datetime) or local.tzinfo is not None:
                continue
            fold = data.get(f"{name}_fold")
            stored = getattr(self.instance, name, None) if self.instance.pk else None
            if stored is not None and zone == self.shown_zone:
                shown = _shown(stored, zone)
                if local == shown.replace(microsecond=0, fold=0) and fold in (None, shown.fold):
                    data[name] = stored  # as shown: the stored instant, to the microsecond
                    continue
            try:
                data[name] = to_utc(local, zone, fold=fold)
            except LocalTimeError as exc:
                self.add_error(name, str(exc))
            except OverflowError:  # a year the zone's offset carries past 1 or 9999
                self.add_error(name, OUT_OF_RANGE)
                continue
            self._ask_fold_if_ambiguous(name, local, zone)
        return data

    def _ask_fold_if_ambiguous(self, name: str, local: datetime.datetime, zone: str) -> bool:
        """Show the choice of the two instants while the time is a repeated one."""
        fold_field = self.fields.get(f"{name}_fold")
        if fold_field is None:
            return False
        try:
            to_utc(local.replace(tzinfo=None, fold=0), zone)
        except AmbiguousLocalTime as exc:
            base = self.fields[name].base_label.lower()
            fold_field.ask(f"Which {local:%H:%M} on {local:%Y-%m-%d} ({base})?", exc.options)
            self._bound_fields_cache.pop(f"{name}_fold", None)
            return True
        except (NonexistentLocalTime, OverflowError):
            pass
        return False


def _shown(stored: datetime.datetime, zone: str) -> datetime.datetime:
    """``stored`` on ``zone``'s clocks, as the form shows it; an instant those clocks cannot show
    (saved before ``courses.instant_range`` was enforced) shows its UTC wall time instead, and
    the model's validation refuses it until it is changed, rather than the page failing."""
    try:
        return to_local(stored, zone)
    except OverflowError:
        return stored.astimezone(datetime.UTC).replace(tzinfo=None)
