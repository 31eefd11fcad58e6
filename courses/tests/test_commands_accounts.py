"""``manage.py import_enrollments`` and ``manage.py grant_course_creator``."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

from django.core.management import CommandError, call_command
from django.test import TestCase

from courses.models import Enrollment
from courses.selectors import can_create_courses
from courses.tests import factories


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


class ImportEnrollmentsCommandTestCase(TestCase):
    def setUp(self):
        self.course = factories.CourseFactory(title="Algebra")
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        self.directory = Path(directory.name)

    def csv_file(self, text: str) -> str:
        path = self.directory / "roster.csv"
        path.write_text(text, encoding="utf-8")
        return str(path)

    def enrolled(self) -> dict[str, tuple[str, str]]:
        rows = Enrollment.objects.filter(course=self.course).select_related("user")
        return {e.user.username: (e.role, e.status) for e in rows}

    def test_imports_with_the_service_and_prints_the_report(self):
        factories.UserFactory(username="ada")
        factories.UserFactory(username="bob", email="bob@example.com")
        back = factories.UserFactory(username="cyd")
        factories.EnrollmentFactory(user=back, course=self.course, status="dropped")
        out, err = run(
            "import_enrollments",
            self.csv_file("email\nada\nBOB@example.com\ncyd\n"),
            "--course",
            str(self.course.pk),
        )
        self.assertEqual(
            self.enrolled(),
            {
                "ada": ("student", "active"),
                "bob": ("student", "active"),
                "cyd": ("student", "active"),
            },
        )
        self.assertIn("imported: 2\n", out)
        self.assertIn("reactivated: 1 (cyd)\n", out)
        self.assertIn("already enrolled: 0\n", out)
        self.assertIn("Algebra", out)
        self.assertIn("import", err)  # the progress bar

    def test_unknown_users_abort_unless_skipped_and_the_role_option(self):
        factories.UserFactory(username="ada")
        path = self.csv_file("ada\nghost\n")
        with self.assertRaisesMessage(CommandError, "unknown: ghost"):
            run("import_enrollments", path, "--course", str(self.course.pk))
        self.assertEqual(self.enrolled(), {})
        out, _ = run(
            "import_enrollments",
            path,
            "--course",
            str(self.course.pk),
            "--skip-unknown",
            "--role",
            "assistant",
        )
        self.assertIn("unknown (skipped): 1 (ghost)", out)
        self.assertEqual(self.enrolled(), {"ada": ("assistant", "active")})

    def test_bad_arguments_are_command_errors(self):
        path = self.csv_file("ada\n")
        with self.assertRaisesMessage(CommandError, "No course with id"):
            run("import_enrollments", path, "--course", str(self.course.pk + 99))
        with self.assertRaisesMessage(CommandError, "Cannot read"):
            missing = str(self.directory / "missing.csv")
            run("import_enrollments", missing, "--course", str(self.course.pk))
        with self.assertRaisesMessage(CommandError, "no username or email"):
            run("import_enrollments", self.csv_file("username\n"), "--course", str(self.course.pk))
        with self.assertRaises(CommandError):
            run("import_enrollments", path, "--course", str(self.course.pk), "--role", "owner")


class GrantCourseCreatorCommandTestCase(TestCase):
    def test_grant_then_revoke(self):
        user = factories.UserFactory(username="teacher")
        self.assertFalse(can_create_courses(user))
        out, _ = run("grant_course_creator", "teacher")
        self.assertIn("teacher may create courses", out)
        user = type(user).objects.get(pk=user.pk)
        self.assertTrue(can_create_courses(user))
        self.assertTrue(user.is_staff)
        run("grant_course_creator", "teacher")  # again: nothing new
        self.assertEqual(user.user_permissions.count(), 1)
        out, _ = run("grant_course_creator", "teacher", "--revoke")
        self.assertIn("may no longer create courses", out)
        user = type(user).objects.get(pk=user.pk)
        self.assertFalse(can_create_courses(user))
        self.assertTrue(user.is_staff)  # may still teach existing courses in the admin

    def test_an_unknown_user_is_a_command_error(self):
        with self.assertRaisesMessage(CommandError, "No user named 'nobody'"):
            run("grant_course_creator", "nobody")
