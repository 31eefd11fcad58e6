"""In a real browser: a student reads an exam's rules, starts it, opens a problem, runs it on the
samples and submits once; the countdown, computed from the server's stored deadline, reaches
zero, the page says time is up and disables Submit, and a submit forced anyway is refused by the
server; the student hands in and reads the released results. Every page passes axe-core.
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
        page.get_by_role("button", name="Run on the samples").click()
        page.locator("#run-result").get_by_text("1 of 1 passed").wait_for()
        self.assertIn("Sample 1: Accepted", page.locator("#run-result").inner_text())
        self.assertFalse(Submission.objects.exists())  # running saves nothing
        self.assert_accessible()

        page.get_by_role("button", name="Submit", exact=True).click()
        page.get_by_text("Your solution was submitted.").wait_for()
        submissions = page.locator("#my-submissions")
        submissions.get_by_text("Accepted").first.wait_for()
        self.assertEqual(Submission.objects.get().exam_attempt_id, attempt.pk)

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
        self.assertTrue(page.get_by_role("button", name="Run on the samples").is_disabled())
        self.assertEqual(page.locator("#countdown-status").inner_text(), "Time is up.")
        self.assert_accessible()
        self.screenshot("attempt-expired")

        # Forced anyway (the button enabled again by hand): the server refuses.
        page.evaluate("document.querySelector('button[data-submit]').disabled = false")
        submit.click()
        page.get_by_role("heading", name="Time is up").wait_for()
        alert = page.get_by_role("alert")
        self.assertIn("The time for this attempt ran out at", alert.inner_text())
        self.assertIn("(Europe/Paris)", alert.inner_text())
        self.assertEqual(Submission.objects.count(), 1)
        # The browser logs the refusal's HTTP status (409) as a console error: expected here.
        self.console_errors[:] = [e for e in self.console_errors if "409" not in e]
        self.assert_accessible()

        # Handing in, after the confirmation; then the results, once released.
        page.get_by_role("link", name="Back to my attempt").click()
        page.get_by_role("button", name="Finish the exam").click()
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
