"""In a real browser: a visitor signs up, logs in, enrolls from the catalogue and opens the course
page; every page passes axe-core. Screenshots: home, sign-up, course."""

from __future__ import annotations

from django.test import override_settings

from courses.tests import factories
from courses.tests.api_support import problem_with_cases
from courses.tests.browser.support import BrowserTestCase


@override_settings(COURSES_SIGNUP_OPEN=True)
class SignupAndEnrollBrowserTestCase(BrowserTestCase):
    def setUp(self):
        super().setUp()
        self.course = factories.CourseFactory(
            title="Introduction to Python", description="Variables, loops and lists."
        )
        chapter = factories.ChapterFactory(course=self.course, title="First steps")
        problem_with_cases(chapter=chapter, title="Add two numbers")

    def test_a_visitor_signs_up_enrolls_and_opens_the_course(self):
        page = self.page
        self.open("/")
        self.assert_accessible()
        page.get_by_role("link", name="Sign up").first.click()
        page.get_by_label("Username").fill("ada")
        page.get_by_label("Email").fill("ada@example.com")
        page.get_by_label("Password", exact=True).fill("short")
        page.get_by_label("Password (again)").fill("short")
        page.get_by_role("button", name="Create my account").click()
        # The service's words, next to the field, and the page stays accessible with errors.
        page.get_by_text("This password is too short").wait_for()
        self.assert_accessible()
        self.screenshot("signup-errors")
        page.get_by_label("Password", exact=True).fill("correct horse 1")
        page.get_by_label("Password (again)").fill("correct horse 1")
        page.get_by_role("button", name="Create my account").click()
        # Logged in at once: no third typing of the password.
        page.get_by_text("your account is ready and you are logged in").wait_for()
        page.get_by_role("heading", name="My courses").wait_for()
        self.assert_accessible()
        page.get_by_role("button", name="Enroll in Introduction to Python").click()
        page.get_by_text("You are enrolled in Introduction to Python.").wait_for()
        self.assertIn(f"/courses/{self.course.pk}/", page.url)
        page.get_by_role("heading", name="First steps").wait_for()
        self.assertTrue(page.get_by_text("0 of 1 solved").first.is_visible())
        self.assert_accessible()
        self.screenshot("course")
        self.open("/")
        self.screenshot("home")

    def test_leaving_a_course_asks_first(self):
        # The report: "Leave this course" acted on one click.
        student = factories.UserFactory(username="ada")
        factories.EnrollmentFactory(user=student, course=self.course)
        self.log_in("ada", "password")
        self.open(f"/courses/{self.course.pk}/")
        asked = []
        for answer in ("dismiss", "accept"):
            self.page.once(
                "dialog",
                lambda dialog, answer=answer: (
                    asked.append(dialog.message),
                    getattr(dialog, answer)(),
                ),
            )
            self.page.get_by_role("button", name="Leave this course").click()
            if answer == "dismiss":
                self.page.wait_for_timeout(300)
                self.assertIn(f"/courses/{self.course.pk}/", self.page.url)
                self.assertEqual(student.enrollments.get().status, "active")
        self.page.get_by_text("You left Introduction to Python.").wait_for()
        self.assertEqual(
            asked, ["Leave Introduction to Python? Your work is kept if you enroll again."] * 2
        )
        self.assertEqual(student.enrollments.get().status, "dropped")
