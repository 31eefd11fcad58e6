"""In a real browser: a student reads an exam's rules, starts it, opens a problem, runs it on the
samples and submits once (both answered in place, with the problem page's editor and result
regions); the countdown, computed from the server's stored deadline, reaches zero, the page says
time is up and disables Run and Submit, and a submit forced anyway is refused by the server in
place; the student hands in and reads the released results. Every page passes axe-core.
Screenshots: exam-start, attempt, attempt-expired."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.test import override_settings
from django.utils import timezone

from courses.models import ExamAttempt, Submission
from courses.tests import factories
from courses.tests.api_support import ADD, AcceptingBackend, backend_path, problem_with_cases
from courses.tests.browser.support import BrowserTestCase

#: Long enough to start the page and see it tick on a loaded host, short enough for a test.
SECONDS_LEFT = 12


@override_settings(COURSES_JUDGE_BACKEND=backend_path(AcceptingBackend))
class TakeAnExamBrowserTestCase(BrowserTestCase):
    def setUp(self):
        super().setUp()
        now = timezone.now()
        self.course = factories.CourseFactory(title="Algorithms", time_zone="Europe/Paris")
        chapter = factories.ChapterFactory(course=self.course, title="Basics")
        self.student = factories.UserFactory(username="grace")
        factories.EnrollmentFactory(user=self.student, course=self.course)
        self.problem = problem_with_cases(
            chapter=chapter,
            title="Add two numbers",
            statement="Return the sum of `a` and `b`.",
            is_exam_only=True,
            starter_code={"python": ADD},
        )
        self.exam = factories.ExamFactory(
            course=self.course,
            title="Midterm",
            instructions="Work alone. **No notes.**",
            opens_at=now - timedelta(hours=1),
            closes_at=now + timedelta(days=1),
            duration_minutes=30,
        )
        factories.ExamProblemFactory(exam=self.exam, problem=self.problem, score=Decimal("10"))

    def test_a_student_takes_an_exam_until_the_time_is_up(self):
        page = self.page
        self.log_in("grace", "password")
        self.open(f"/exams/{self.exam.pk}/")
        page.get_by_role("heading", name="Rules").wait_for()
        page.get_by_text("30 minutes from the moment you start").wait_for()
        page.get_by_text("(Europe/Paris)").first.wait_for()
        page.get_by_text("No notes.").wait_for()
        self.assert_accessible()
        self.screenshot("exam-start")

        page.get_by_role("button", name="Start the exam").click()
        page.get_by_role("heading", name="Problems").wait_for()
        attempt = ExamAttempt.objects.get(user=self.student)
        self.assertIn(f"/attempts/{attempt.pk}/", page.url)
        countdown = page.locator("[data-countdown]")
        self.assertRegex(countdown.inner_text(), r"^Time left: (30:00|29:\d\d)$")
        self.assert_accessible()
        self.screenshot("attempt")

        page.get_by_role("link", name="Add two numbers").click()
        page.get_by_role("heading", name="Add two numbers").wait_for()
        page.locator(".ace_editor").wait_for()  # the editor replaced the textarea
        page.evaluate("window.stillTheSamePage = true")
        page.get_by_role("button", name="Run", exact=True).click()
        run = page.locator("#run-result")
        run.get_by_text("1 of 1 sample case passed.").wait_for()
        self.assertIn("Accepted", run.locator(".result-summary").inner_text())
        self.assertFalse(Submission.objects.exists())  # running saves nothing
        self.assert_accessible()

        # Submitted in place (judged inline here): the verdict with the exam's points, my
        # submissions and the problem's state refreshed, no reload.
        page.get_by_role("button", name="Submit", exact=True).click()
        result = page.locator("#submission-region")
        result.locator(".result-summary").get_by_text("Accepted").wait_for()
        self.assertIn("10.00 of 10.00 points in this exam", result.inner_text())
        page.locator("#my-submissions").get_by_text("10.00 points").wait_for()
        self.assertIn("Solved", page.locator("#exam-problems").inner_text())
        self.assertTrue(page.evaluate("window.stillTheSamePage === true"))
        self.assertEqual(Submission.objects.get().exam_attempt_id, attempt.pk)
        self.assert_accessible()

        # The server's deadline moves close (as extra time would move it, the other way); the
        # page, loaded again, counts down to it and says when it is reached.
        ExamAttempt.objects.filter(pk=attempt.pk).update(
            deadline=timezone.now() + timedelta(seconds=SECONDS_LEFT)
        )
        page.reload()
        self.assertRegex(countdown.inner_text(), r"^Time left: 0:(0\d|1[0-2])$")
        submit = page.get_by_role("button", name="Submit", exact=True)
        self.assertTrue(submit.is_enabled())
        page.get_by_text("Time is up. This attempt no longer accepts submissions.").wait_for(
            timeout=(SECONDS_LEFT + 30) * 1000
        )
        self.assertTrue(submit.is_disabled())
        run_button = page.get_by_role("button", name="Run", exact=True)
        self.assertTrue(run_button.is_disabled())
        self.assertEqual(page.locator("#countdown-status").inner_text(), "Time is up.")
        self.assert_accessible()
        self.screenshot("attempt-expired")

        # Forced anyway (the button enabled again by hand): the server refuses, in place.
        submit.evaluate("button => { button.disabled = false; }")
        submit.click()
        alert = result.get_by_role("alert")
        alert.get_by_text("The time for this attempt ran out at").wait_for()
        self.assertIn("(Europe/Paris)", alert.inner_text())
        self.assertIn("Nothing was saved", alert.inner_text())
        self.assertEqual(Submission.objects.count(), 1)
        self.assertTrue(run_button.is_disabled())  # the request did not enable it again
        self.assert_accessible()

        # Handing in, after the confirmation; then the results, once released.
        page.get_by_role("link", name="Back to my attempt").click()
        page.get_by_text("the attempt is being handed in automatically").wait_for()
        page.get_by_role("button", name="Hand in now").click()
        page.get_by_role("heading", name="Finish the exam?").wait_for()
        self.assert_accessible()
        page.get_by_role("button", name="Yes, finish the exam").click()
        page.get_by_text("You finished this attempt.").wait_for()
        self.assert_accessible()
        self.exam.results_released_at = timezone.now()
        self.exam.save(update_fields=["results_released_at"])
        page.reload()
        page.get_by_role("link", name="See your results").click()
        page.get_by_role("heading", name="Midterm: results").wait_for()
        self.assertIn("10.00 of 10.00", page.locator("main").inner_text())
        self.assert_accessible()
