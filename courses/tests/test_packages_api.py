"""Packages through the API and the admin: who may, what comes back, the one error shape.

Exporting needs the course's staff; importing a course needs ``courses.add_course``; importing a
problem needs the chapter's instructor (``courses/selectors/access.py``). Reference solutions are
judged by the configured backend (scripted here; ``test_packages`` judges for real).
"""

from __future__ import annotations

import io
import zipfile

from django.test import TestCase, override_settings
from django.urls import reverse

from courses.models import Course, Problem, ProblemTestCase
from courses.packages.archive import write_zip
from courses.services import packages
from courses.tests.api_support import (
    AcceptingBackend,
    ApiTestMixin,
    RoleWorld,
    UnreachableBackend,
    WrongBackend,
    backend_path,
)
from courses.tests.test_packages import content_counts, small_course, unzip


@override_settings(COURSES_JUDGE_BACKEND=backend_path(AcceptingBackend))
class PackageApiTestCase(ApiTestMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.w = RoleWorld()
        _valid_test_data()

    def export(self, role: str):
        url = reverse("api:staff-course-package", kwargs={"course_id": self.w.course.pk})
        return self.client_for(self.w.user(role)).get(url)

    def import_(self, role: str, data: bytes, query: str = ""):
        url = reverse("api:staff-course-import") + query
        return self.client_for(self.w.user(role)).post(
            url, data=data, content_type="application/zip"
        )

    def test_course_staff_export_others_do_not(self):
        for role in ("instructor", "assistant", "superuser"):
            with self.subTest(role=role):
                response = self.export(role)
                self.assertEqual(response.status_code, 200, response.content)
                self.assertEqual(response["Content-Type"], "application/zip")
                self.assertIn("course-w.codecourses.zip", response["Content-Disposition"])
                self.assertIn("manifest.toml", unzip(response.content))
        for role, status, code in (
            ("student", 403, "permission_denied"),
            ("other_instructor", 403, "permission_denied"),
            ("non_member", 403, "permission_denied"),
        ):
            with self.subTest(role=role):
                self.assertError(self.export(role), status, code)
        self.assertIn(self.export("anonymous").status_code, (401, 403))
        # A draft course is not found by those outside it.
        url = reverse("api:staff-course-package", kwargs={"course_id": self.w.draft_course.pk})
        self.assertError(self.client_for(self.w.users["non_member"]).get(url), 404, "not_found")

    def test_a_course_creator_imports_and_becomes_instructor(self):
        data = self.export("instructor").content
        response = self.import_("other_instructor", data, "?slug=copied")
        self.assertEqual(response.status_code, 201, response.content)
        body = response.json()
        self.assertEqual(body["slug"], "copied")
        self.assertEqual(
            body["problems"], Problem.objects.filter(chapter__course=self.w.course).count()
        )
        course = Course.objects.get(slug="copied")
        self.assertEqual(
            course.enrollments.get(user=self.w.users["other_instructor"]).role, "instructor"
        )
        # Export of the copy: the same bytes but for the slug.
        again = packages.package_export_course(course=course)
        self.assertEqual(
            unzip(again)["manifest.toml"].replace(b'"copied"', b'"course-w"'),
            unzip(data)["manifest.toml"],
        )

    def test_a_bad_slug_in_the_query_is_invalid_input_naming_slug(self):
        data = self.export("instructor").content
        before = content_counts()
        for slug in ("UPPER%20CASE", "..%2F..%2Fx", "%00", "a" * 300):
            with self.subTest(slug=slug):
                response = self.import_("instructor", data, f"?slug={slug}")
                error = self.assertError(response, 400, "invalid_input", fields={"slug"})
                self.assertNotIn("manifest.toml", error["message"])
        self.assertEqual(content_counts(), before)

    def test_importing_needs_the_course_creator_permission(self):
        data = self.export("instructor").content
        for role in ("student", "assistant"):
            with self.subTest(role=role):
                self.assertError(self.import_(role, data, "?slug=x"), 403, "permission_denied")

    def test_refusals_in_the_one_error_shape_and_nothing_written(self):
        data = self.export("instructor").content
        before = content_counts()
        self.assertError(self.import_("instructor", data), 409, "already_exists", fields={"slug"})
        error = self.assertError(
            self.import_("instructor", b"not a zip", "?slug=x"),
            400,
            "invalid_package",
            fields={"package"},
        )
        self.assertIn("zip", error["message"])
        self.assertError(self.import_("instructor", b"", "?slug=x"), 400, "invalid_package")
        files = unzip(data)
        files["manifest.toml"] = files["manifest.toml"].replace(
            b"format_version = 2", b"format_version = 9"
        )
        error = self.assertError(
            self.import_("instructor", write_zip(files), "?slug=x"), 400, "invalid_package"
        )
        self.assertIn("manifest.toml: format_version", error["message"])
        with override_settings(COURSES_PACKAGE_MAX_BYTES=100):
            self.assertError(self.import_("instructor", data, "?slug=x"), 413, "payload_too_large")
        self.assertEqual(content_counts(), before)

    def test_what_an_outside_probe_sent_is_400_invalid_package_naming_it(self):
        """Each of these was a 500 (a RecursionError, an OverflowError at save) or was stored
        beyond the API's own bounds; each is refused naming where, and nothing is written."""
        files = unzip(packages.package_export_course(course=small_course("probe-source")))
        manifest, problem = "manifest.toml", "problems/001/problem.toml"
        deep = "x = " + "[" * 5000 + "]" * 5000
        for path, old, new, where in (
            (manifest, None, deep, "manifest.toml: Not readable TOML"),
            (
                manifest,
                "2026-03-01T22:59:00Z",
                "9999-12-31T23:59:59-12:00",
                "chapters[0].due_at: Must be from 1900-01-01 00:00 to 9000-12-31 23:59:59 UTC",
            ),
            (
                manifest,
                "duration_minutes = 60",
                "duration_minutes = 99999999999",
                "exams[0].duration_minutes: expected an integer from 1 to 10080",
            ),
            (problem, "time_limit_ms = 1000", "time_limit_ms = 60001", f"{problem}: time_limit_ms"),
            ("problems/001/statement.md", None, "x" * 2_000_000, "statement.md: At most 100000"),
        ):
            with self.subTest(where=where):
                text = new if old is None else files[path].decode().replace(old, new)
                data = write_zip({**files, path: text.encode()})
                before = content_counts()
                response = self.import_("instructor", data, "?slug=probe")
                error = self.assertError(response, 400, "invalid_package", fields={"package"})
                self.assertIn(where, error["message"])
                self.assertEqual(content_counts(), before)

    def test_references_are_judged_before_anything_is_written(self):
        data = self.export("instructor").content
        before = content_counts()
        with override_settings(COURSES_JUDGE_BACKEND=backend_path(WrongBackend)):
            error = self.assertError(
                self.import_("instructor", data, "?slug=x"), 400, "invalid_package"
            )
        self.assertIn("solutions/python.py", error["message"])
        self.assertIn("wrong_answer", error["message"])
        with override_settings(COURSES_JUDGE_BACKEND=backend_path(UnreachableBackend)):
            response = self.import_("instructor", data, "?slug=y")
        self.assertGreaterEqual(response.status_code, 500)
        self.assertEqual(set(response.json()), {"error"})
        self.assertEqual(content_counts(), before)

    def test_a_problem_exports_and_imports_into_a_chapter(self):
        url = reverse("api:staff-problem-package", kwargs={"problem_id": self.w.problem.pk})
        response = self.client_for(self.w.users["assistant"]).get(url)
        self.assertEqual(response.status_code, 200)
        with zipfile.ZipFile(io.BytesIO(response.content)) as zf:
            self.assertIn("problem/problem.toml", zf.namelist())
        target = reverse("api:staff-problem-import", kwargs={"chapter_id": self.w.chapter.pk})
        for role, status in (("assistant", 403), ("student", 403)):
            with self.subTest(role=role):
                answer = self.client_for(self.w.user(role)).post(
                    target, data=response.content, content_type="application/zip"
                )
                self.assertEqual(answer.status_code, status)
        answer = self.client_for(self.w.users["instructor"]).post(
            target, data=response.content, content_type="application/zip"
        )
        self.assertEqual(answer.status_code, 201, answer.content)
        copy = Problem.objects.get(pk=answer.json()["id"])
        self.assertEqual(copy.title, self.w.problem.title)
        self.assertEqual(copy.test_cases.count(), self.w.problem.test_cases.count())
        self.assertEqual(copy.reference_solutions.get().validation_status, "accepted")


@override_settings(COURSES_JUDGE_BACKEND=backend_path(AcceptingBackend))
class PackageAdminTestCase(ApiTestMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.w = RoleWorld()
        _valid_test_data()
        for role in ("instructor", "other_instructor"):
            user = cls.w.users[role]
            user.is_staff = True
            user.save()
            from django.contrib.auth.models import Permission

            user.user_permissions.add(*Permission.objects.filter(content_type__app_label="courses"))

    def test_the_export_action_downloads_one_course(self):
        self.client.force_login(self.w.users["instructor"])
        response = self.client.post(
            reverse("admin:courses_course_changelist"),
            {"action": "export_package", "_selected_action": [self.w.course.pk]},
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "application/zip")
        self.assertEqual(response.content, packages.package_export_course(course=self.w.course))

    def test_the_problem_export_action(self):
        self.client.force_login(self.w.users["instructor"])
        response = self.client.post(
            reverse("admin:courses_problem_changelist"),
            {"action": "export_package", "_selected_action": [self.w.problem.pk]},
        )
        self.assertEqual(response["Content-Type"], "application/zip")
        self.assertIn("problem/problem.toml", unzip(response.content))

    def test_the_import_page_imports_or_shows_the_refusal(self):
        data = packages.package_export_course(course=self.w.course)
        self.client.force_login(self.w.users["other_instructor"])
        url = reverse("admin:courses_course_import")
        changelist = self.client.get(reverse("admin:courses_course_changelist"))
        self.assertContains(changelist, url)
        taken = self.client.post(url, {"package": _upload(data)})
        self.assertContains(taken, "already exists")
        broken = self.client.post(url, {"package": _upload(b"nope"), "slug": "x"})
        self.assertContains(broken, "not a readable zip")
        self.assertFalse(Course.objects.filter(slug="x").exists())
        done = self.client.post(url, {"package": _upload(data), "slug": "from-admin"})
        course = Course.objects.get(slug="from-admin")
        self.assertRedirects(
            done,
            reverse("admin:courses_course_change", args=[course.pk]),
            fetch_redirect_response=False,  # the role cache is refreshed on commit
        )
        self.assertEqual(course.enrollments.get().user, self.w.users["other_instructor"])

    def test_a_problem_or_a_dmoj_problem_imports_into_a_chapter_from_its_page(self):
        from courses.tests.test_packages_dmoj import batched_zip

        self.client.force_login(self.w.users["instructor"])
        chapter_page = reverse("admin:courses_chapter_change", args=[self.w.chapter.pk])
        url = reverse("admin:courses_chapter_import_problem", args=[self.w.chapter.pk])
        self.assertContains(self.client.get(chapter_page), url)
        data = packages.package_export_problem(problem=self.w.problem)
        done = self.client.post(url, {"package": _upload(data), "kind": "package"})
        copy = Problem.objects.filter(chapter=self.w.chapter).latest("pk")
        self.assertRedirects(
            done,
            reverse("admin:courses_problem_change", args=[copy.pk]),
            fetch_redirect_response=False,
        )
        self.assertEqual(copy.title, self.w.problem.title)
        untitled = self.client.post(url, {"package": _upload(batched_zip()), "kind": "dmoj"})
        self.assertContains(untitled, "needs a title")
        dmoj = self.client.post(
            url,
            {"package": _upload(batched_zip()), "kind": "dmoj", "title": "D", "languages": ["c"]},
            follow=True,
        )
        self.assertContains(dmoj, "a pretest")  # the warnings are shown
        self.assertEqual(Problem.objects.get(title="D").allowed_languages, ["c"])
        # Another course's instructor cannot import into this chapter.
        self.client.force_login(self.w.users["other_instructor"])
        self.assertIn(self.client.get(url).status_code, (403, 404))

    def test_the_import_page_needs_the_course_creator_permission(self):
        self.client.force_login(self.w.users["assistant"])
        self.assertIn(
            self.client.get(reverse("admin:courses_course_import")).status_code, (302, 403)
        )


def _valid_test_data() -> None:
    """RoleWorld's hidden cases read ``[1, 2] hidden``, which the platform refuses at save for
    a function-style problem (and so does a package import): make them valid JSON arguments."""
    ProblemTestCase.objects.filter(input="[1, 2] hidden").update(input="[2, 1]")


def _upload(data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("package.zip", data, content_type="application/zip")
