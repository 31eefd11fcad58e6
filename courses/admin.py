"""The Django admin, usable by instructors.

Who may do what comes from the one access policy (``courses.selectors``): a superuser sees
everything; a staff user who is not a superuser sees and edits only what belongs to courses
where they are an active instructor (``selectors.instructed_course_scope``): each admin names
the path from its model to ``Course`` in ``course_path``, and querysets, foreign-key choices and
object permissions all go through it. Users with the site permission ``courses.add_course``
may add courses and become their instructor, as through the API.

Orders left blank go at the end of their parent, as in the API; saving a problem, its cases or
its reference solutions judges the reference solutions again (``services.validation``).

Authoring is made for people (``courses.admin_forms``, ``courses.admin_views``): code in an
editor per language, help next to every field that confuses, a statement preview, the zip
upload of test cases and "Validate" on the problem's page (through the API's services), and
due dates and exam times entered on the course's clocks.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpResponseRedirect
from django.urls import path, reverse

from courses import (
    admin_packages,
    admin_views,
    ids,  # noqa: F401  (registers <id:...>, the converter of object ids)
    selectors,
)
from courses.admin_fields import apply_bound, course_time
from courses.admin_forms import (
    STARTER_PREFIX,
    TEMPLATE_HELP,
    TEMPLATE_PREFIX,
    CaseForm,
    CaseFormSet,
    ChapterForm,
    ChapterFormSet,
    ChapterInlineForm,
    CourseForm,
    ExamForm,
    ExamProblemForm,
    ExamProblemFormSet,
    ProblemForm,
    ReferenceSolutionForm,
    ReferenceSolutionFormSet,
    SubtaskFormSet,
    code_field_names,
)
from courses.judging.languages import LANGUAGES
from courses.models import (
    Chapter,
    Course,
    DiscussionReply,
    DiscussionThread,
    Enrollment,
    Exam,
    ExamAttempt,
    ExamProblem,
    Problem,
    ProblemProgress,
    ProblemTestCase,
    ReferenceSolution,
    Submission,
    SubmissionTestResult,
    Subtask,
)
from courses.selectors.outline import is_practice
from courses.services import authoring, judging_authoring, validation
from courses.services.errors import ServiceError
from courses.services.exam_attempts import (
    MAX_GRANT_MINUTES,
    exam_attempt_grant_extra_time,
    exam_attempt_reopen,
    exam_attempt_rescore,
    exam_attempts_follow_close,
)
from courses.services.exams import exam_lock, exam_recompute_scores

admin.site.site_header = "CodeCourses administration"
admin.site.site_title = "CodeCourses admin"


def scope_to_instructor(queryset: QuerySet, user, course_path: str) -> QuerySet:
    course_ids = selectors.instructed_course_scope(user)
    if course_ids is None:
        return queryset
    lookup = f"{course_path}__in" if course_path else "pk__in"
    return queryset.filter(**{lookup: course_ids})


#: Filter choices drawn from the scoped queryset: a plain related filter would list every course
#: (and exam) by title to an instructor who may see only their own.
OWN_ONLY = admin.RelatedOnlyFieldListFilter

#: Where each model's course lies, for the foreign-key choices of every scoped form.
COURSE_PATHS = {
    Course: "",
    Chapter: "course",
    Problem: "chapter__course",
    Exam: "course",
    ExamAttempt: "exam__course",
    DiscussionThread: "course",
    ProblemTestCase: "problem__chapter__course",
}


class InstructorScopedMixin:
    course_path = ""

    def get_queryset(self, request):
        return scope_to_instructor(super().get_queryset(request), request.user, self.course_path)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None:
            apply_bound(field, db_field.model._meta.model_name, db_field.name)
        return field

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        model = db_field.remote_field.model
        if model in COURSE_PATHS:
            queryset = model._default_manager.all()
            if model is Chapter:  # a chapter is named after its course: one query, not one each
                queryset = queryset.select_related("course")
            kwargs["queryset"] = scope_to_instructor(queryset, request.user, COURSE_PATHS[model])
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ScopedModelAdmin(InstructorScopedMixin, admin.ModelAdmin):
    """Object permissions too: an instructor cannot open another course's object by its URL."""

    def _in_scope(self, request, obj) -> bool:
        if obj is None or selectors.instructed_course_scope(request.user) is None:
            return True
        return self.get_queryset(request).filter(pk=obj.pk).exists()

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self._in_scope(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._in_scope(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._in_scope(request, obj)


class ScopedInline(InstructorScopedMixin, admin.TabularInline):
    extra = 0


class ScopedStackedInline(InstructorScopedMixin, admin.StackedInline):
    extra = 0


class ChapterInline(ScopedInline):
    model = Chapter
    course_path = "course"
    form = ChapterInlineForm
    formset = ChapterFormSet
    fields = ["title", "order", "due_at", "due_at_fold"]


class EnrollmentInline(ScopedInline):
    model = Enrollment
    course_path = "course"
    autocomplete_fields = ["user"]


@admin.register(Course)
class CourseAdmin(ScopedModelAdmin):
    form = CourseForm
    list_display = ["title", "slug", "is_published", "time_zone"]
    list_filter = ["is_published"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [ChapterInline, EnrollmentInline]

    def has_add_permission(self, request):
        return selectors.can_create_courses(request.user)

    actions = ["export_package"]

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("import/", view(self.import_view), name="courses_course_import"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra = {"can_import_package": selectors.can_create_courses(request.user)}
        return super().changelist_view(request, {**(extra_context or {}), **extra})

    def import_view(self, request):
        return admin_packages.course_import(self, request)

    @admin.action(description="Export the selected course as a package", permissions=["view"])
    def export_package(self, request, queryset):
        return admin_packages.export_one(request, queryset, kind="course")

    def save_related(self, request, form, formsets, change):
        """The creator becomes the new course's instructor (after the inlines, which may list
        them too), in the admin's transaction."""
        super().save_related(request, form, formsets, change)
        if not change:
            authoring.course_creator_enroll(course=form.instance, user=request.user)


@admin.register(Chapter)
class ChapterAdmin(ScopedModelAdmin):
    course_path = "course"
    form = ChapterForm
    list_display = ["title", "course", "order"]
    list_filter = [("course", OWN_ONLY)]
    search_fields = ["title"]

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<id:chapter_id>/import-problem/",
                view(self.import_problem_view),
                name="courses_chapter_import_problem",
            ),
            *super().get_urls(),
        ]

    def import_problem_view(self, request, chapter_id: int):
        return admin_packages.problem_import(self, request, chapter_id)


class ProblemTestCaseInline(ScopedInline):
    model = ProblemTestCase
    course_path = "problem__chapter__course"
    form = CaseForm
    formset = CaseFormSet
    fields = ["order", "is_sample", "weight", "subtask", "input", "expected_output"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        """A case's subtask: one of its problem's (the problem is in the URL)."""
        if db_field.name != "subtask":
            return super().formfield_for_foreignkey(db_field, request, **kwargs)
        problem_id = request.resolver_match.kwargs.get("object_id")
        kwargs["queryset"] = Subtask.objects.filter(problem_id=problem_id or 0)
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        # Read once for the page, not once per case row.
        field.choices = [("", "---------")] + [
            (subtask.pk, f"{subtask.order}. {subtask.name}".rstrip(". "))
            for subtask in kwargs["queryset"]
        ]
        return field


class SubtaskInline(ScopedInline):
    """Groups of cases with points (docs/authoring.md): with subtasks every case is in one."""

    model = Subtask
    formset = SubtaskFormSet
    course_path = "problem__chapter__course"
    fields = ["order", "name", "points", "scoring", "short_circuit", "depends_on"]
    extra = 0

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "depends_on":
            problem_id = request.resolver_match.kwargs.get("object_id")
            kwargs["queryset"] = Subtask.objects.filter(problem_id=problem_id or 0)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class ReferenceSolutionInline(ScopedStackedInline):
    """Code in an editor whose highlighting follows the language chosen; the verdicts of the
    last validation are under the problem's form (``admin_views.validation_report``)."""

    model = ReferenceSolution
    course_path = "problem__chapter__course"
    form = ReferenceSolutionForm
    formset = ReferenceSolutionFormSet
    fields = ["language", "code", "validation"]
    readonly_fields = ["validation"]

    @admin.display(description="Last validation")
    def validation(self, obj):
        return admin_views.validation_summary(obj)


@admin.register(Problem)
class ProblemAdmin(ScopedModelAdmin):
    course_path = "chapter__course"
    form = ProblemForm
    save_on_top = True  # the page is long; and Enter in a field saves, never previews
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "chapter",
                    "title",
                    "order",
                    "statement",
                    "points",
                    ("is_visible", "is_exam_only", "is_archived"),
                    "due_at",
                    "due_at_fold",
                ]
            },
        ),
        (
            "Judging",
            {
                "fields": [
                    "allowed_languages",
                    "io_mode",
                    "entry_point",
                    "checker",
                    ("float_abs_tolerance", "float_rel_tolerance"),
                    ("time_limit_ms", "memory_limit_kb", "output_limit_kb"),
                    "language_limits",
                ]
            },
        ),
        (
            "Tests written as code (io mode: tests)",
            {"classes": ["collapse"], "fields": ["setup_code", "test_code"]},
        ),
        (
            "Custom checker (checker: custom)",
            {"classes": ["collapse"], "fields": ["checker_language", "checker_code"]},
        ),
    ]
    list_display = ["title", "chapter", "io_mode", "checker", "points", "is_visible", "is_archived"]
    list_filter = [
        "is_visible",
        "is_exam_only",
        "is_archived",
        "io_mode",
        "checker",
        ("chapter__course", OWN_ONLY),
    ]
    search_fields = ["title", "statement"]
    inlines = [SubtaskInline, ProblemTestCaseInline, ReferenceSolutionInline]
    actions = ["validate_selected", "export_package"]

    def get_fieldsets(self, request, obj=None):
        """Starter code of the allowed languages first; the other languages' and the template
        overrides folded (every field is there: a language ticked now can have its code)."""
        chosen = obj.allowed_languages if obj is not None else ["python"]
        allowed = [key for key in LANGUAGES if key in chosen]
        others = [key for key in LANGUAGES if key not in chosen]
        starter = [
            (
                "Starter code",
                {
                    "fields": [f"{STARTER_PREFIX}{key}" for key in allowed],
                    "description": "What students find in the editor, per allowed language.",
                },
            )
        ]
        if others:
            starter.append(
                (
                    "Starter code in the other languages",
                    {
                        "classes": ["collapse"],
                        "fields": [f"{STARTER_PREFIX}{key}" for key in others],
                    },
                )
            )
        return [
            *self.fieldsets,
            *starter,
            (
                "Template overrides (function-style problems)",
                {
                    "classes": ["collapse"],
                    "fields": code_field_names(TEMPLATE_PREFIX),
                    "description": TEMPLATE_HELP,
                },
            ),
        ]

    def save_related(self, request, form, formsets, change):
        """A change to what decides verdicts judges the reference solutions again; tests
        written as code replace the cases, and the message shows how the block was split."""
        super().save_related(request, form, formsets, change)
        self._group_loose_cases(request, formsets)
        if form.split_tests:
            code = form.cleaned_data["test_code"]
            cases = judging_authoring.test_code_import(problem=form.instance, code=code)
            shown = "; ".join(
                f"line {t.line}: {t.expr} → {t.literal}{' (sample)' if t.is_sample else ''}"
                for t in form.split_tests[:20]
            )
            more = f"; and {len(form.split_tests) - 20} more" if len(form.split_tests) > 20 else ""
            messages.info(request, f"Tests as code split into {len(cases)} cases: {shown}{more}")
        judging = form.changed_model_fields() & set(validation.JUDGING_FIELDS)
        if not change or judging or any(formset.has_changed() for formset in formsets):
            validation.problem_validation_request(problem_id=form.instance.pk)

    def _group_loose_cases(self, request, formsets) -> None:
        """The first subtask added here takes the cases in no subtask, as the API's does when
        its ``cases`` are left out: a case row cannot name a subtask saved in the same request,
        and a problem with subtasks and a case in none cannot be judged (docs/decisions.md)."""
        added = [
            subtask
            for formset in formsets
            if formset.model is Subtask
            for subtask in getattr(formset, "new_objects", [])
        ]
        if not added:
            return
        first = min(added, key=lambda subtask: (subtask.order, subtask.pk))
        orders = judging_authoring.subtask_take_loose_cases(subtask=first)
        if orders:
            name = f"{first.order} ({first.name})" if first.name else str(first.order)
            messages.info(
                request,
                f"The subtask {name} takes cases {orders}, which were in no subtask: with "
                "subtasks every case is in one. Move cases to other subtasks in the case rows.",
            )

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("preview/", view(self.preview_view), name="courses_problem_preview"),
            path(
                "tests-preview/",
                view(self.tests_preview_view),
                name="courses_problem_tests_preview",
            ),
            path(
                "<id:problem_id>/cases/upload/",
                view(self.cases_upload_view),
                name="courses_problem_cases_upload",
            ),
            path(
                "<id:problem_id>/validate/",
                view(self.validate_view),
                name="courses_problem_validate",
            ),
            *super().get_urls(),
        ]

    def preview_view(self, request):
        return admin_views.statement_preview(self, request)

    def tests_preview_view(self, request):
        return admin_views.tests_preview(self, request)

    def cases_upload_view(self, request, problem_id: int):
        return admin_views.cases_upload(self, request, problem_id)

    def validate_view(self, request, problem_id: int):
        return admin_views.validate(self, request, problem_id)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk is not None:
            context["validation"] = admin_views.validation_report(obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    @admin.action(description="Export the selected problem as a package", permissions=["view"])
    def export_package(self, request, queryset):
        return admin_packages.export_one(request, queryset, kind="problem")

    @admin.action(description="Validate the selected problems", permissions=["view"])
    def validate_selected(self, request, queryset):
        for problem in queryset:
            admin_views.validate_and_report(request, problem)


def practice_warning(problems) -> str:
    """What an instructor is told of an exam's problems that are open for practice too."""
    titles = ", ".join(f"“{problem.title}”" for problem in problems)
    return (
        f"Open for practice: {titles}. Students can submit them for practice, with full "
        "feedback, during the exam: mark them “exam only” (the problem's “Is exam only” box)."
    )


class ExamProblemInline(ScopedInline):
    model = ExamProblem
    course_path = "exam__course"
    form = ExamProblemForm
    formset = ExamProblemFormSet
    readonly_fields = ["open_for_practice"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("problem")

    @admin.display(description="Open for practice")
    def open_for_practice(self, row) -> str:
        if row.pk is None:
            return ""
        if not is_practice(row.problem):
            return "No"
        return (
            "Yes: students can submit it for practice, with full feedback, during the exam; "
            "mark it “exam only”"
        )


@admin.register(Exam)
class ExamAdmin(ScopedModelAdmin):
    course_path = "course"
    form = ExamForm
    list_display = [
        "title",
        "course",
        "opens_at_shown",
        "closes_at_shown",
        "duration_minutes",
        "total_score",
    ]
    list_select_related = ["course"]
    list_filter = [("course", OWN_ONLY)]
    search_fields = ["title"]
    readonly_fields = ["total_score"]
    inlines = [ExamProblemInline]
    opens_at_shown = course_time(Exam, "opens_at", "course")
    closes_at_shown = course_time(Exam, "closes_at", "course")
    fieldsets = [
        (None, {"fields": ["course", "title", "instructions"]}),
        (
            "Window",
            {
                "fields": [
                    "opens_at",
                    "opens_at_fold",
                    "closes_at",
                    "closes_at_fold",
                    "duration_minutes",
                    "max_attempts",
                ]
            },
        ),
        ("Passing", {"fields": ["total_score", "passing_score", "passing_percentage"]}),
        (
            "Results",
            {"fields": ["results_released_at", "results_released_at_fold", "feedback"]},
        ),
    ]

    def save_model(self, request, obj, form, change):
        """As in the API (``exam_update``): a closing time moved earlier ends the running
        attempts by then, in the admin's transaction, the exam row locked first."""
        if not change:
            return super().save_model(request, obj, form, change)
        exam_lock(exam_id=obj.pk)
        closed_at_before = Exam.objects.values_list("closes_at", flat=True).get(pk=obj.pk)
        super().save_model(request, obj, form, change)
        exam_attempts_follow_close(exam=obj, closed_at_before=closed_at_before)

    def save_related(self, request, form, formsets, change):
        """As in the API: the passing score follows a passing percentage set here too, and a
        changed passing rule scores the finished attempts again. Leaving the page, the
        instructor is told which problems are open for practice (the page itself says it)."""
        super().save_related(request, form, formsets, change)
        exam_recompute_scores(exam_id=form.instance.pk)
        if change and {"passing_score", "passing_percentage"} & set(form.changed_data):
            finished = form.instance.attempts.filter(finished_at__isnull=False)
            for attempt_id in finished.values_list("pk", flat=True):
                exam_attempt_rescore(attempt_id=attempt_id)
        if "_continue" not in request.POST:
            self._warn_of_practice_problems(request, form.instance)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk is not None:
            self._warn_of_practice_problems(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _warn_of_practice_problems(self, request, exam) -> None:
        """A practice problem in an exam stays open for practice, with full feedback, while the
        exam runs (docs/decisions.md): the instructor may not know it."""
        problems = selectors.exam_practice_problems(exam_id=exam.pk)
        if problems:
            self.message_user(request, practice_warning(problems), messages.WARNING)


class ExamAttemptChangeForm(forms.ModelForm):
    """Only extra time is edited here, and only upwards: the admin grants the difference through
    ``exam_attempt_grant_extra_time``, so the stored deadline moves with it."""

    class Meta:
        model = ExamAttempt
        fields = ["extra_time_minutes"]

    def clean_extra_time_minutes(self):
        minutes = self.cleaned_data["extra_time_minutes"]
        before = self.initial.get("extra_time_minutes", 0)
        if minutes == before:
            return minutes
        if minutes < before:
            raise forms.ValidationError(
                f"Extra time can only be added: it is {before} minutes already, and the "
                "student may have planned on it."
            )
        if self.instance.finished_at is not None:
            raise forms.ValidationError(
                "This attempt is finished: extra time no longer changes anything. Use the "
                "reopen action to give the student more time."
            )
        if minutes - before > MAX_GRANT_MINUTES:
            raise forms.ValidationError(f"At most {MAX_GRANT_MINUTES} minutes at a time.")
        return minutes


@admin.register(ExamAttempt)
class ExamAttemptAdmin(ScopedModelAdmin):
    """Attempts are started by their students (``exam_attempt_start``), never here: an attempt
    made by hand would skip the window, the attempt limit and enrollment, and its deadline would
    be a guess. Staff give extra time (the form's one editable field, or the action) and reopen
    finished attempts (an action), each through its service."""

    course_path = "exam__course"
    form = ExamAttemptChangeForm
    list_display = [
        "exam",
        "user",
        "started_at_shown",
        "deadline_shown",
        "extra_time_minutes",
        "finished_at_shown",
        "score",
        "passed",
    ]
    list_select_related = ["exam__course", "user"]
    list_filter = [("exam", OWN_ONLY), "passed"]
    search_fields = ["user__username", "exam__title"]
    fields = [
        "exam",
        "user",
        "started_at_shown",
        "deadline_shown",
        "extra_time_minutes",
        "finished_at_shown",
        "score",
        "passed",
    ]
    readonly_fields = [
        "exam",
        "user",
        "started_at_shown",
        "deadline_shown",
        "finished_at_shown",
        "score",
        "passed",
    ]
    started_at_shown = course_time(ExamAttempt, "started_at", "exam__course")
    deadline_shown = course_time(ExamAttempt, "deadline", "exam__course")
    finished_at_shown = course_time(ExamAttempt, "finished_at", "exam__course")
    actions = ["grant_15_minutes", "reopen_for_30_minutes"]

    #: Shown when someone opens the add page by its URL (there is no "add" button).
    NO_ADDING = (
        "Exam attempts are started by students when they take the exam, so that the window, "
        "the attempt limit and the deadline are enforced. To give a student more time, grant "
        "extra time or reopen their attempt."
    )

    def has_add_permission(self, request):
        return False

    def add_view(self, request, form_url="", extra_context=None):
        self.message_user(request, self.NO_ADDING, messages.WARNING)
        return HttpResponseRedirect(reverse("admin:courses_examattempt_changelist"))

    def save_model(self, request, obj, form, change):
        """Nothing is saved directly: the extra minutes added are granted by the service."""
        if "extra_time_minutes" in form.changed_data:
            added = form.cleaned_data["extra_time_minutes"] - form.initial["extra_time_minutes"]
            try:
                exam_attempt_grant_extra_time(attempt=obj, minutes=added)
            except ServiceError as exc:
                self.message_user(request, exc.message, messages.ERROR)
        obj.refresh_from_db()

    @admin.action(description="Grant 15 more minutes", permissions=["change"])
    def grant_15_minutes(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda attempt: exam_attempt_grant_extra_time(attempt=attempt, minutes=15),
            "given 15 more minutes",
        )

    @admin.action(description="Reopen for 30 minutes from now", permissions=["change"])
    def reopen_for_30_minutes(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda attempt: exam_attempt_reopen(attempt=attempt, minutes=30),
            "reopened for 30 minutes",
        )

    def _each(self, request, queryset, act, done: str) -> None:
        succeeded = 0
        for attempt in queryset.select_related("exam", "user"):
            try:
                act(attempt)
            except ServiceError as exc:
                self.message_user(request, f"{attempt}: {exc.message}", messages.WARNING)
            else:
                succeeded += 1
        if succeeded:
            self.message_user(request, f"{succeeded} attempt(s) {done}.", messages.SUCCESS)


class SubmissionTestResultInline(ScopedInline):
    model = SubmissionTestResult
    course_path = "submission__problem__chapter__course"
    can_delete = False
    readonly_fields = [
        "order",
        "verdict",
        "score",
        "subtask",
        "message",
        "cpu_time_ms",
        "memory_kb",
        "output",
        "error_output",
        "test_case",
    ]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Submission)
class SubmissionAdmin(ScopedModelAdmin):
    course_path = "problem__chapter__course"
    list_display = ["id", "user", "problem", "language", "status", "score", "created_at_shown"]
    list_filter = ["status", "language", ("problem__chapter__course", OWN_ONLY)]
    search_fields = ["user__username", "problem__title"]
    date_hierarchy = "created_at"
    list_select_related = ["user", "problem__chapter__course"]
    created_at_shown = course_time(Submission, "created_at", "problem__chapter__course")
    # Judged fields are the judge's alone.
    readonly_fields = [
        "status",
        "score",
        "max_cpu_time_ms",
        "peak_memory_kb",
        "compile_output",
        "error_text",
        "created_at",
        "enqueued_at",
        "lane",
        "sent_at",
        "judging_started_at",
        "judged_at",
        "claim_id",
        "lease_expires_at",
        "retry_at",
        "judge_failures",
        "retry_reason",
        "judge_checkpoint",
        "is_late",
        "late_days",
    ]
    inlines = [SubmissionTestResultInline]

    def has_change_permission(self, request, obj=None):
        """A submission is a record: its code and its verdict belong together, so neither is
        edited here (rejudge it instead). The page of a submission is read-only."""
        if obj is not None:
            return False
        return super().has_change_permission(request, obj)


@admin.register(ProblemProgress)
class ProblemProgressAdmin(ScopedModelAdmin):
    course_path = "problem__chapter__course"
    list_display = [
        "user",
        "problem",
        "status",
        "attempts",
        "best_score",
        "first_solved_at_shown",
    ]
    list_select_related = ["user", "problem__chapter__course"]
    first_solved_at_shown = course_time(
        ProblemProgress, "first_solved_at", "problem__chapter__course"
    )
    list_filter = ["status"]
    search_fields = ["user__username", "problem__title"]
    readonly_fields = [
        "status",
        "attempts",
        "best_score",
        "first_solved_at",
        "last_submitted_at",
    ]


@admin.register(Enrollment)
class EnrollmentAdmin(ScopedModelAdmin):
    course_path = "course"
    list_display = ["user", "course", "role", "status", "enrolled_at_shown"]
    list_select_related = ["user", "course"]
    enrolled_at_shown = course_time(Enrollment, "enrolled_at", "course")
    list_filter = ["role", "status", ("course", OWN_ONLY)]
    search_fields = ["user__username", "course__title"]
    autocomplete_fields = ["user"]


class DiscussionReplyInline(ScopedInline):
    model = DiscussionReply
    course_path = "thread__course"


@admin.register(DiscussionThread)
class DiscussionThreadAdmin(ScopedModelAdmin):
    course_path = "course"
    list_display = [
        "title",
        "course",
        "author",
        "reply_count",
        "last_activity_at_shown",
        "is_pinned",
    ]
    list_select_related = ["course", "author"]
    last_activity_at_shown = course_time(DiscussionThread, "last_activity_at", "course")
    list_filter = ["is_pinned", "is_closed", ("course", OWN_ONLY)]
    search_fields = ["title", "body"]
    readonly_fields = ["reply_count", "last_activity_at"]
    inlines = [DiscussionReplyInline]
