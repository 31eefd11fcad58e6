"""The admin's package pages: export a course or a problem (actions), import a course (a page).

Thin, like ``courses.admin_views``: the API's selectors decide who may (exporting needs the
course's staff, importing ``courses.add_course``), ``courses.services.packages`` does the work,
and a refusal is shown in the service's words. docs/package-format.md describes the zip.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from courses import selectors
from courses.judging.errors import JudgeError
from courses.judging.languages import LANGUAGES
from courses.models import Chapter, Course
from courses.services import packages
from courses.services.errors import ServiceError

ZIP = "application/zip"


def _download(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=ZIP)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def export_one(request, queryset, *, kind: str):
    """The selected course's or problem's package; one at a time (a zip per download)."""
    if queryset.count() != 1:
        messages.error(request, f"Select exactly one {kind} to export its package.")
        return None
    obj = queryset.get()
    try:
        if kind == "course":
            selectors.course_for_staff(user=request.user, course_id=obj.pk)
            return _download(
                packages.package_export_course(course=obj), packages.package_filename(obj.slug)
            )
        selectors.problem_for_staff(user=request.user, problem_id=obj.pk)
        return _download(
            packages.package_export_problem(problem=obj), f"problem-{obj.pk}.codecourses.zip"
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
        return None


class CourseImportForm(forms.Form):
    package = forms.FileField(
        label="Package (zip)",
        help_text="A course package exported by CodeCourses (docs/package-format.md). Everything "
        "is checked and every reference solution judged before anything is written.",
    )
    slug = forms.SlugField(
        label="New slug",
        required=False,
        help_text="Leave empty to keep the package's slug; needed when that slug is taken.",
    )


def course_import(model_admin, request):
    if not selectors.can_create_courses(request.user):
        raise PermissionDenied
    if request.method == "POST":
        form = CourseImportForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data["package"].read(settings.COURSES_PACKAGE_MAX_BYTES + 1)
            try:
                result = packages.package_import_course(
                    data=data, user=request.user, slug=form.cleaned_data["slug"]
                )
            except ServiceError as exc:
                if exc.fields.keys() == {"slug"}:
                    form.add_error("slug", exc.message)
                else:
                    form.add_error("package", exc.message)
            except JudgeError as exc:
                form.add_error(None, f"The judge could not run the reference solutions: {exc}")
            else:
                messages.success(
                    request,
                    f"Imported {result.course.title!r}: {result.problems} problems, "
                    f"{result.cases} cases, {result.exams} exams; every reference solution "
                    "was accepted.",
                )
                return HttpResponseRedirect(
                    reverse("admin:courses_course_change", args=[result.course.pk])
                )
    else:
        form = CourseImportForm()
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": Course._meta,
        "title": "Import a course package",
        "form": form,
    }
    return TemplateResponse(request, "admin/courses/course/package_import.html", context)


class ProblemImportForm(forms.Form):
    package = forms.FileField(label="Zip")
    kind = forms.ChoiceField(
        label="Kind",
        choices=[
            ("package", "A CodeCourses problem package"),
            ("dmoj", "A DMOJ problem folder (init.yml and its data)"),
        ],
        initial="package",
        widget=forms.RadioSelect,
    )
    title = forms.CharField(
        label="Title (DMOJ)", max_length=200, required=False, help_text="DMOJ's init.yml has none."
    )
    languages = forms.MultipleChoiceField(
        label="Languages (DMOJ)",
        choices=[(key, lang.display_name) for key, lang in LANGUAGES.items()],
        initial=["python"],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def clean(self):
        data = super().clean()
        if data.get("kind") == "dmoj":
            if not data.get("title"):
                self.add_error("title", "A DMOJ problem needs a title here.")
            if not data.get("languages"):
                self.add_error("languages", "Choose at least one language.")
        return data


def problem_import(model_admin, request, chapter_id: int):
    """A problem package, or a DMOJ problem, appended to the chapter (its instructors)."""
    chapter = selectors.chapter_for_staff(
        user=request.user, chapter_id=chapter_id, instructor_only=True
    )
    if request.method == "POST":
        form = ProblemImportForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data["package"].read(settings.COURSES_PACKAGE_MAX_BYTES + 1)
            try:
                if form.cleaned_data["kind"] == "dmoj":
                    result = packages.dmoj_import_problem(
                        data=data,
                        chapter=chapter,
                        title=form.cleaned_data["title"],
                        languages=form.cleaned_data["languages"],
                    )
                    problem, warnings = result.problem, result.warnings
                else:
                    problem = packages.package_import_problem(data=data, chapter=chapter)
                    warnings = []
            except ServiceError as exc:
                form.add_error("package", exc.message)
            except JudgeError as exc:
                form.add_error(None, f"The judge could not run the reference solutions: {exc}")
            else:
                messages.success(request, f"Imported {problem.title!r} into {chapter.title!r}.")
                for warning in warnings:
                    messages.warning(request, warning)
                return HttpResponseRedirect(
                    reverse("admin:courses_problem_change", args=[problem.pk])
                )
    else:
        form = ProblemImportForm()
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": Chapter._meta,
        "title": f"Import a problem into {chapter.title}",
        "form": form,
    }
    return TemplateResponse(request, "admin/courses/course/package_import.html", context)
