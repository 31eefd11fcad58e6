"""In a real browser: an instructor opens the course dashboard and the gradebook, filters the
submissions browser down to a student's failing submission, opens it and reads what the program
printed on a hidden case, rejudges it and watches the progress reach "done" (judging queued as
at scale, released by the test), then downloads the gradebook CSV. Every page passes axe-core.
Screenshots: staff-dashboard, staff-gradebook, staff-submissions, staff-submission."""

from __future__ import annotations

from django.test import override_settings

from courses.judging.types import Verdict
from courses.models import Enrollment, SubmissionTestResult
from courses.services.progress import progress_recompute
from courses.tests import factories
from courses.tests.api_support import (
    AcceptingBackend,
    backend_path,
    judged_submission,
    judging_queued,
    problem_with_cases,
)
from courses.tests.browser.support import BrowserTestCase

PASSWORD = "correct horse 1"


@override_settings(COURSES_JUDGE_BACKEND=backend_path(AcceptingBackend))
class StaffDashboardBrowserTestCase(BrowserTestCase):
    def setUp(self):
        super().setUp()
        self.course = factories.CourseFactory(
            title="Introduction to Python", slug="intro-python", time_zone="Europe/Paris"
        )
        chapter = factories.ChapterFactory(course=self.course, title="First steps")
        self.problem = problem_with_cases(chapter=chapter, title="Add two numbers", points=10)
        self.exam = factories.ExamFactory(course=self.course, title="Midterm")
        self.teacher = factories.UserFactory(username="teacher", password=PASSWORD)
        factories.EnrollmentFactory(
            user=self.teacher, course=self.course, role=Enrollment.Role.INSTRUCTOR
        )
        ann = factories.UserFactory(username="ann")
        bob = factories.UserFactory(username="bob")
        for user in (ann, bob):
            factories.EnrollmentFactory(user=user, course=self.course)
        judged_submission(bob, self.problem)
        judged_submission(ann, self.problem)  # accepted, then a failing one
        self.failing = judged_submission(ann, self.problem, verdict=Verdict.WRONG_ANSWER)
        SubmissionTestResult.objects.filter(submission=self.failing, order=1).update(
            output="4\n", error_output="Traceback: off by one on the hidden case"
        )
        for user in (ann, bob):
            progress_recompute(user_id=user.pk, problem_id=self.problem.pk)
        self.attempt = factories.ExamAttemptFactory(exam=self.exam, user=ann)
        factories.UserFactory(username="carol")

    def test_an_instructor_finds_a_failing_submission_rejudges_it_and_downloads_grades(self):
        page = self.page
        self.log_in("teacher", PASSWORD)
        self.open(f"/staff/courses/{self.course.pk}/")
        page.get_by_role("heading", name="Course dashboard: Introduction to Python").wait_for()
        self.assertTrue(page.get_by_role("link", name="ann").is_visible())
        self.assert_accessible()
        self.screenshot("staff-dashboard")

        nav = page.get_by_role("navigation", name="Course staff")
        nav.get_by_role("link", name="Gradebook").click()
        page.get_by_role("heading", name="Gradebook: Introduction to Python").wait_for()
        self.assert_accessible()
        self.screenshot("staff-gradebook")

        nav.get_by_role("link", name="Submissions").click()
        page.get_by_role("heading", name="Submissions: Introduction to Python").wait_for()
        page.get_by_label("Student (username)").fill("ann")
        page.get_by_label("Verdict").select_option(label="Wrong answer")
        page.get_by_role("button", name="Filter").click()
        page.get_by_text("1 submission, newest first").wait_for()
        self.assert_accessible()
        self.screenshot("staff-submissions")

        page.get_by_role("link", name=f"#{self.failing.pk}").click()
        page.get_by_role("heading", name=f"Submission #{self.failing.pk}").wait_for()
        self.assertTrue(page.get_by_text("(hidden, weight 1)").is_visible())
        self.assertTrue(page.get_by_text("Traceback: off by one on the hidden case").is_visible())
        self.assertTrue(page.get_by_text("[1, 2] hidden").is_visible())
        self.assert_accessible()
        self.screenshot("staff-submission")

        with judging_queued() as queue:
            page.get_by_role("button", name="Rejudge this submission").click()
            page.get_by_text("0 of 1 judged").wait_for()
            self.assert_accessible()
            self.assertEqual(queue.release(), [self.failing.pk])
            # The status region polls every 2 s and stops once every one is judged.
            page.get_by_text("1 of 1 judged — done.").wait_for()
        page.get_by_role("link", name="Show the new verdicts").click()
        page.get_by_text("1 of 1 judged — done.").wait_for()
        self.assertTrue(page.locator(".staff-facts").get_by_text("Accepted").is_visible())
        self.assert_accessible()

        self.open(f"/staff/courses/{self.course.pk}/gradebook/")
        with page.expect_download() as download_info:
            page.get_by_role("link", name="Download the gradebook (CSV)").click()
        download = download_info.value
        self.assertRegex(
            download.suggested_filename, r"^gradebook-intro-python-\d{4}-\d\d-\d\d\.csv$"
        )
        with open(download.path(), encoding="utf-8") as file:
            first_line = file.readline()
        self.assertEqual(
            first_line.rstrip("\r\n"),
            f"username,email,Add two numbers (#{self.problem.pk}),"
            f"Add two numbers (#{self.problem.pk}) late,"
            f"Midterm (exam #{self.exam.pk}),"
            f"Midterm (exam #{self.exam.pk}) passed,"
            "problem points,exam points,total",
        )

    def test_an_instructor_gives_extra_time_and_imports_enrollments(self):
        page = self.page
        self.log_in("teacher", PASSWORD)
        self.open(f"/staff/courses/{self.course.pk}/")
        page.get_by_role("link", name="1 attempt at Midterm").click()
        page.get_by_role("heading", name="Attempts at Midterm").wait_for()
        page.get_by_label("Extra minutes (ann)").fill("0")
        page.get_by_label("Extra minutes (ann)").evaluate("input => input.removeAttribute('min')")
        page.get_by_role("button", name="Give extra time for ann").click()
        page.get_by_text("Give a whole number of minutes from 1 to").wait_for()
        self.assert_accessible()
        page.get_by_label("Extra minutes (ann)").fill("15")
        page.get_by_role("button", name="Give extra time for ann").click()
        page.get_by_text("ann has 15 more minute(s).").wait_for()
        page.get_by_role("cell", name="15 min").wait_for()
        self.assert_accessible()

        page.get_by_role("navigation", name="Course staff").get_by_role(
            "link", name="Import enrollments"
        ).click()
        page.get_by_role("heading", name="Import enrollments: Introduction to Python").wait_for()
        csv_file = {"name": "names.csv", "mimeType": "text/csv", "buffer": b"carol\nghost\nann\n"}
        page.get_by_label("CSV file").set_input_files(files=[csv_file])
        page.get_by_role("button", name="Import").click()
        page.get_by_text("unknown: ghost").wait_for()
        self.assertFalse(Enrollment.objects.filter(user__username="carol").exists())
        self.assert_accessible()
        page.get_by_label("CSV file").set_input_files(files=[csv_file])
        page.get_by_label("Skip unknown users").check()
        page.get_by_role("button", name="Import").click()
        page.get_by_role("heading", name="What the import did").wait_for()
        self.assertTrue(page.get_by_text("Imported: 1").is_visible())
        self.assertTrue(page.get_by_text("Already enrolled: 1").is_visible())
        self.assertTrue(Enrollment.objects.filter(user__username="carol").exists())
        self.assert_accessible()

    def test_on_a_phone_no_staff_page_is_wider_than_the_screen(self):
        # The report: at 390 px the exam attempts page was 854 px wide, the gradebook 515 px,
        # and the dashboard's exam table had no scroll box of its own. The tables were in their
        # scroll boxes, but the visually hidden labels of their cells (position: absolute)
        # escaped them and widened the page.
        # A problem nobody solved: the gradebook's "—" cells carry visually hidden words.
        problem_with_cases(chapter=self.problem.chapter, title="Nobody solved this one yet")
        self.log_in("teacher", PASSWORD)
        self.page.set_viewport_size({"width": 390, "height": 844})
        course = f"/staff/courses/{self.course.pk}"
        for path in (
            f"{course}/",
            f"{course}/gradebook/",
            f"{course}/submissions/",
            f"/staff/exams/{self.exam.pk}/attempts/",
            f"/staff/submissions/{self.failing.pk}/",
        ):
            with self.subTest(path=path):
                self.open(path)
                self.page.locator("main h1").wait_for()
                overflow = self.page.evaluate(
                    "document.documentElement.scrollWidth - window.innerWidth"
                )
                # What sticks out, for the failure's message.
                wide = self.page.evaluate(
                    """() => [...document.querySelectorAll('main *')]
                      .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
                      .slice(0, 5).map(e => e.outerHTML.slice(0, 60))"""
                )
                self.assertLessEqual(overflow, 0, (path, wide))
                unboxed = self.page.locator("main table:not(.table-scroll table)").count()
                self.assertEqual(unboxed, 0, "a table outside a .table-scroll region")
                self.assert_accessible()
