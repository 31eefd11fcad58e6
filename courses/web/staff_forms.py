"""Forms of the course staff's pages (``views/staff.py``): roster and submission filters,
rejudging, enrollment changes, exam time grants and the enrollment import.

Filters are GET forms whose bad values are shown next to their fields; dates are days on the
course's clocks (docs/decisions.md, "Web: staff").
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings

from courses import selectors
from courses.instant_range import DAY_OUT_OF_RANGE, FIRST_DAY, LAST_DAY
from courses.judging.types import SUBMISSION_VERDICTS
from courses.models import Course, Enrollment
from courses.services.enrollments import STAFF_STATUSES
from courses.services.exam_attempts import MAX_GRANT_MINUTES
from courses.templatetags.courses_web import VERDICTS

ANY = ""


def _choices(label: str, choices) -> list:
    return [(ANY, label), *choices]


class RosterFilterForm(forms.Form):
    """The API's roster filters: part of a username, a role, a status."""

    search = forms.CharField(label="Username contains", max_length=150, required=False)
    role = forms.ChoiceField(choices=_choices("Any role", Enrollment.Role.choices), required=False)
    status = forms.ChoiceField(
        choices=_choices("Any status", Enrollment.Status.choices), required=False
    )

    def filters(self) -> dict:
        return {name: value for name, value in self.cleaned_data.items() if value}


class EnrollmentChangeForm(forms.Form):
    """An instructor's change of one enrollment: its role, or removing / bringing it back."""

    role = forms.ChoiceField(choices=_choices("—", Enrollment.Role.choices), required=False)
    status = forms.ChoiceField(
        choices=_choices("—", [(s, Enrollment.Status(s).label) for s in STAFF_STATUSES]),
        required=False,
    )

    def clean(self):
        data = super().clean()
        if not self.errors and not (data.get("role") or data.get("status")):
            raise forms.ValidationError("Give a role, a status, or both.")
        return data

    def changes(self) -> dict:
        return {name: value for name, value in self.cleaned_data.items() if value}


class DayInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class SubmissionFilterForm(forms.Form):
    """The submissions browser's filters: a student, a problem, a verdict and a range of days.

    ``student`` is an exact username (as in the API). ``since`` and ``until`` are days on the
    course's clocks, both included. A value that cannot be read, a problem that is not the
    course's, a day outside ``instant_range`` (its next midnight may be no datetime at all), or
    an end before the start is an error next to its field.
    """

    FILTERS = ("student", "problem", "status", "since", "until")

    student = forms.CharField(
        label="Student (username)",
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"list": "course-usernames", "autocomplete": "off"}),
    )
    problem = forms.TypedChoiceField(coerce=int, empty_value=None, required=False)
    status = forms.ChoiceField(
        label="Verdict",
        choices=_choices(
            "Any verdict", [(v.value, VERDICTS[v.value][0]) for v in SUBMISSION_VERDICTS]
        ),
        required=False,
    )
    since = forms.DateField(label="From (day)", required=False, widget=DayInput)
    until = forms.DateField(label="To (day, included)", required=False, widget=DayInput)

    def __init__(self, *args, course: Course, **kwargs):
        super().__init__(*args, **kwargs)
        self.course = course
        self.fields["problem"].choices = _choices(
            "Any problem",
            [
                (chapter, [(str(pk), title) for pk, title in problems])
                for chapter, problems in selectors.course_problem_choices(course_id=course.pk)
            ],
        )
        zone = course.time_zone
        self.fields["since"].help_text = f"From the start of this day in {zone}."
        self.fields["until"].help_text = f"To the end of this day in {zone}."

    def clean(self):
        data = super().clean()
        for name in ("since", "until"):
            day = data.get(name)
            if day is not None and not FIRST_DAY <= day <= LAST_DAY:
                self.add_error(name, DAY_OUT_OF_RANGE)
        since, until = data.get("since"), data.get("until")
        if since is not None and until is not None and until < since:
            self.add_error("until", "Must not be before the day in “From”.")
        return data

    def filters(self) -> dict:
        """The valid filters as ``selectors.course_submissions`` takes them (UTC instants)."""
        data = {name: self.cleaned_data.get(name) for name in self.FILTERS}
        filters = {name: value for name, value in data.items() if value not in (None, "")}
        if "since" in filters:
            filters["since"] = self._day_start(filters["since"])
        if "until" in filters:
            filters["until"] = self._day_start(filters["until"] + timedelta(days=1))
        return filters

    def query(self) -> dict[str, str]:
        """The valid filters as they were typed, for links and hidden fields."""
        return {
            name: self.data[name]
            for name in self.FILTERS
            if self.cleaned_data.get(name) not in (None, "") and self.data.get(name)
        }

    def _day_start(self, day: date) -> datetime:
        """Midnight of ``day`` on the course's clocks (the first instant after a gap in a zone
        whose clocks jump over midnight)."""
        return datetime.combine(day, time.min, tzinfo=ZoneInfo(self.course.time_zone))


class RejudgeForm(SubmissionFilterForm):
    """What to judge again: one submission, every submission of a problem, or the browser's
    filtered set; the whole course only with ``all`` ticked (the API's ``{"all": true}``)."""

    TARGETS = (
        ("submission", "One submission"),
        ("problem", "A problem"),
        ("filtered", "The filtered submissions"),
    )

    target = forms.ChoiceField(choices=TARGETS, widget=forms.HiddenInput)
    submission = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    all = forms.BooleanField(
        label="Yes, rejudge every submission of this course",
        required=False,
        help_text="No filter is set: this takes every submission, practice and exam.",
    )

    def clean(self):
        data = super().clean()
        target = data.get("target")
        if target == "submission" and not data.get("submission"):
            self.add_error("submission", "Which submission?")
        elif target == "problem" and not data.get("problem"):
            self.add_error("problem", "Which problem?")
        elif target == "filtered" and not self.errors:
            filtered = bool(self.filters())
            if filtered and data.get("all"):
                self.add_error("all", "Give filters or rejudge everything, not both.")
            elif not filtered and not data.get("all"):
                self.add_error(
                    "all",
                    "Tick this box to rejudge the whole course, or filter the list first.",
                )
        return data


class MinutesForm(forms.Form):
    """Minutes of extra time or of a reopened attempt; the range is the service's to check, so
    the words of a refusal are the API's."""

    minutes = forms.IntegerField(
        widget=forms.NumberInput(attrs={"min": 1, "max": MAX_GRANT_MINUTES, "step": 1})
    )


class EnrollmentImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text=(
            "One username or email per row, in the first column; a header row such as "
            "“username” is allowed and further columns are ignored."
        ),
    )
    role = forms.ChoiceField(
        label="Enroll them as",
        choices=Enrollment.Role.choices,
        initial=Enrollment.Role.STUDENT,
    )
    skip_unknown = forms.BooleanField(
        label="Skip unknown users",
        required=False,
        help_text=(
            "Without it, one unknown name (or an email of several accounts) stops the whole "
            "import and nothing is written (skip_unknown in the API)."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.COURSES_API_MAX_CSV_BYTES
        if upload.size > limit:
            raise forms.ValidationError(f"The CSV file is larger than {limit} bytes.")
        return upload
