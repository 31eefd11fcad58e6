"""Exam pages for students: the rules and starting, the attempt with its countdown, an exam
problem with Run and Submit, finishing, and the results once released.

Time is the server's: ``at(instant)`` makes ``timezone.now()`` answer that instant for the views
and the services they call, or a test moves the stored deadline; nothing sleeps. Judging goes
through scripted backends; submitting (judged inline on a real commit) is a
``TransactionTestCase``. The course's zone is Europe/Paris so that every time shown is checked
in it, with the zone named.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from html import unescape

from django.test import TestCase, TransactionTestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from courses.instant_range import EARLIEST, LATEST
from courses.judging.types import Verdict
from courses.models import Enrollment, Exam, ExamAttempt, Submission
from courses.models.exam import MAX_DURATION_MINUTES
from courses.services.code_executor import CodeExecutorService
from courses.services.exam_attempts import exam_attempt_finish, exam_attempt_start
from courses.templatetags.courses_web import in_zone
from courses.tests import factories
from courses.tests.api_support import (
    ADD,
    AcceptingBackend,
    ApiAssertions,
    backend_path,
    judged_submission,
    problem_with_cases,
)
from courses.tests.signals.support import FreshCacheMixin
from courses.tests.test_api_exams import ExamWorld, at

PARIS = "Europe/Paris"
#: What no student page may ever contain: the hidden case's input, and the program's output
#: and error text on it (``judged_submission`` stores them).
HIDDEN = ("[1, 2] hidden", "output of case 1", "stderr of case 1")


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def text(response) -> str:
    """The page's visible text, tags removed and spaces collapsed."""
    return text_of(response.content.decode())


def text_of(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


class ExamPagesTestCase(FreshCacheMixin, ApiAssertions, TestCase):
    def setUp(self):
        super().setUp()
        self.t0 = timezone.now().replace(microsecond=0)
        self.w = ExamWorld(self.t0)
        self.w.course.time_zone = PARIS
        self.w.course.save(update_fields=["time_zone"])
        self.client.force_login(self.w.student)

    def start(self, user=None, now=None) -> ExamAttempt:
        return exam_attempt_start(exam=self.w.exam, user=user or self.w.student, now=now or self.t0)

    def get(self, name, *args, when=None, **extra):
        with at(when or self.t0):
            return self.client.get(reverse(f"web:{name}", args=args), **extra)

    def post(self, name, *args, data=None, when=None, **extra):
        with at(when or self.t0):
            return self.client.post(reverse(f"web:{name}", args=args), data or {}, **extra)

    def as_user(self, user):
        self.client.logout()
        if user is not None:
            self.client.force_login(user)

    def drop(self, user):
        Enrollment.objects.filter(user=user, course=self.w.course).update(
            status=Enrollment.Status.DROPPED
        )

    def assertNoHiddenData(self, response):
        html = response.content.decode()
        for secret in HIDDEN:
            self.assertNotIn(secret, html)

    def zoned(self, instant) -> str:
        return in_zone(instant, PARIS)


# --- Who may open what ------------------------------------------------------------------------


class ExamAccessTestCase(ExamPagesTestCase):
    def setUp(self):
        super().setUp()
        self.attempt = self.start()
        pid = self.w.problem.pk
        self.pages = {
            "exam": [self.w.exam.pk],
            "attempt": [self.attempt.pk],
            "attempt-problem": [self.attempt.pk, pid],
            "attempt-finish": [self.attempt.pk],
            "attempt-results": [self.attempt.pk],
        }
        self.actions = {
            "attempt-problem-run": [self.attempt.pk, pid],
            "attempt-problem-submit": [self.attempt.pk, pid],
        }

    def test_anonymous_visitors_are_sent_to_the_login_page(self):
        self.as_user(None)
        for name, args in {**self.pages, **self.actions}.items():
            with self.subTest(name):
                url = reverse(f"web:{name}", args=args)
                method = self.client.post if name in self.actions else self.client.get
                response = method(url)
                self.assertRedirects(
                    response, f"{reverse('web:login')}?next={url}", fetch_redirect_response=False
                )

    def test_the_owner_opens_every_page(self):
        for name, args in self.pages.items():
            with self.subTest(name):
                self.assertEqual(self.get(name, *args).status_code, 200)

    def test_non_members_get_the_403_page_for_the_exam_and_404_for_an_attempt(self):
        self.as_user(self.w.outsider)
        response = self.get("exam", self.w.exam.pk)
        self.assertEqual(response.status_code, 403)
        self.assertContains(response, "You need to be enrolled in this course.", status_code=403)
        self.assertEqual(self.post("exam", self.w.exam.pk).status_code, 403)
        self.assertFalse(ExamAttempt.objects.filter(user=self.w.outsider).exists())
        for name, args in {**self.pages, **self.actions}.items():
            if name == "exam":
                continue
            with self.subTest(name):
                method = self.post if name in self.actions else self.get
                self.assertEqual(method(name, *args).status_code, 404)

    def test_another_students_attempt_is_not_found_even_for_the_courses_staff(self):
        for user in (self.w.other_student, self.w.assistant, self.w.instructor):
            self.as_user(user)
            for name, args in {**self.pages, **self.actions}.items():
                if name == "exam":
                    continue
                with self.subTest(user=user.username, page=name):
                    method = self.post if name in self.actions else self.get
                    self.assertEqual(method(name, *args).status_code, 404)
        self.as_user(self.w.student)
        self.post("attempt-finish", self.attempt.pk, data={"confirm": "yes"})  # still mine

    def test_a_student_who_left_keeps_their_record_but_may_not_read_or_start(self):
        self.drop(self.w.student)
        self.as_user(self.w.student)  # a new session: the cached roles are read again
        self.assertEqual(self.get("exam", self.w.exam.pk).status_code, 403)
        self.assertEqual(self.post("exam", self.w.exam.pk).status_code, 403)
        self.assertEqual(
            self.get("attempt-problem", *self.pages["attempt-problem"]).status_code, 403
        )
        for name in self.actions:
            with self.subTest(name):
                response = self.post(
                    name, *self.actions[name], data={"language": "python", "code": ADD}
                )
                self.assertEqual(response.status_code, 403)
        # Their attempt stays theirs to read and hand in (the API's rule), without problem links.
        page = self.get("attempt", self.attempt.pk)
        self.assertEqual(page.status_code, 200)
        self.assertNotContains(
            page, reverse("web:attempt-problem", args=self.actions["attempt-problem-run"])
        )
        self.assertFalse(Submission.objects.filter(exam_attempt=self.attempt).exists())

    def test_the_courses_staff_may_take_the_exam_to_try_it(self):
        for user in (self.w.instructor, self.w.assistant):
            self.as_user(user)
            with self.subTest(user.username):
                self.assertContains(self.get("exam", self.w.exam.pk), "Start the exam")
                response = self.post("exam", self.w.exam.pk)
                attempt = ExamAttempt.objects.get(user=user)
                self.assertRedirects(
                    response,
                    reverse("web:attempt", args=[attempt.pk]),
                    fetch_redirect_response=False,
                )

    def test_an_exam_of_an_unpublished_course_is_not_found_for_outsiders(self):
        self.w.course.is_published = False
        self.w.course.save(update_fields=["is_published"])
        self.as_user(self.w.outsider)
        self.assertEqual(self.get("exam", self.w.exam.pk).status_code, 404)
        self.assertEqual(self.get("exam", 999_999).status_code, 404)


# --- The start page ---------------------------------------------------------------------------


class ExamStartPageTestCase(ExamPagesTestCase):
    def test_the_rules_in_the_courses_zone_with_the_instructions_rendered(self):
        self.w.exam.instructions = "No **notes**.\n\n<script>alert(1)</script>"
        self.w.exam.max_attempts = 2
        self.w.exam.save()
        response = self.get("exam", self.w.exam.pk)
        page = text(response)
        self.assertIn(
            f"from {self.zoned(self.w.exam.opens_at)} to {self.zoned(self.w.exam.closes_at)}", page
        )
        self.assertIn("(Europe/Paris)", page)
        self.assertIn("60 minutes", page)
        self.assertIn("2 allowed, 2 left", page)
        self.assertIn("15.00 points in total; 0.00 to pass", page)
        self.assertIn("shows its verdict and score as soon as it is judged", page)
        self.assertIn("Not released yet", page)
        self.assertContains(response, "No <strong>notes</strong>.")
        self.assertNotContains(response, "<script>alert(1)")
        self.assertContains(response, "Start the exam")
        self.assertIn("You have not started this exam.", page)

    def test_each_feedback_mode_is_stated(self):
        for mode, words in (
            ("samples", "only its results on the sample cases"),
            ("none", "only that it was received"),
        ):
            self.w.exam.feedback = mode
            self.w.exam.save(update_fields=["feedback"])
            with self.subTest(mode):
                self.assertIn(words, text(self.get("exam", self.w.exam.pk)))

    def test_starting_opens_the_attempt_with_the_servers_deadline(self):
        response = self.post("exam", self.w.exam.pk)
        attempt = ExamAttempt.objects.get(user=self.w.student)
        self.assertRedirects(
            response, reverse("web:attempt", args=[attempt.pk]), fetch_redirect_response=False
        )
        self.assertEqual(attempt.deadline, self.t0 + minutes(60))
        page = text(self.get("exam", self.w.exam.pk, when=self.t0 + minutes(5)))
        self.assertIn("In progress", page)
        self.assertIn(self.zoned(attempt.deadline), page)
        self.assertIn("1 allowed, 0 left", page)

    def assertRefused(self, message: str, *, when=None, link=None):
        """The page says ``message`` instead of the button; POSTing says it with 409."""
        before = ExamAttempt.objects.count()
        page = self.get("exam", self.w.exam.pk, when=when)
        self.assertEqual(page.status_code, 200)
        self.assertNotContains(page, "Start the exam")
        self.assertIn(message, text(page))
        response = self.post("exam", self.w.exam.pk, when=when)
        self.assertEqual(response.status_code, 409)
        self.assertIn(message, text(response))
        self.assertContains(response, 'role="alert"', status_code=409)
        self.assertEqual(ExamAttempt.objects.count(), before)
        if link:
            self.assertContains(response, link, status_code=409)

    def test_not_open_yet_in_the_apis_words_with_the_time_in_the_courses_zone(self):
        self.w.exam.opens_at = self.t0 + timedelta(hours=2)
        self.w.exam.save(update_fields=["opens_at"])
        self.assertRefused(f"The exam 'Midterm' opens at {self.zoned(self.w.exam.opens_at)}.")

    def test_closed(self):
        self.assertRefused(
            f"The exam 'Midterm' closed at {self.zoned(self.w.exam.closes_at)}.",
            when=self.w.exam.closes_at,
        )

    def test_no_attempts_left(self):
        exam_attempt_finish(attempt=self.start(), now=self.t0 + minutes(5))
        self.assertRefused("The one attempt at 'Midterm' has been used.", when=self.t0 + minutes(6))

    def test_one_running_links_to_it(self):
        self.w.exam.max_attempts = 3
        self.w.exam.save(update_fields=["max_attempts"])
        running = self.start()
        self.assertRefused(
            "Finish the attempt in progress first.",
            when=self.t0 + minutes(1),
            link=reverse("web:attempt", args=[running.pk]),
        )

    def test_my_attempts_say_when_the_score_will_show(self):
        attempt = self.start()
        row = reverse("web:attempt", args=[attempt.pk])

        def score_cell(when) -> str:
            html = self.get("exam", self.w.exam.pk, when=when).content.decode()
            cells = re.search(rf'<td><a href="{row}">.*?</tr>', html, flags=re.S).group(0)
            return text_of(re.findall(r"<td>(.*?)</td>", cells, flags=re.S)[-1])

        running, expired = self.t0 + minutes(1), attempt.deadline
        self.assertEqual(score_cell(running), "after the results are released")
        self.w.exam.results_released_at = self.t0
        self.w.exam.save(update_fields=["results_released_at"])
        self.assertEqual(score_cell(running), "when you finish")
        self.assertEqual(score_cell(expired), "once it is handed in")

    def test_an_expired_attempt_does_not_block_a_new_start(self):
        self.w.exam.max_attempts = 2
        self.w.exam.save(update_fields=["max_attempts"])
        first = self.start()
        later = self.t0 + minutes(61)
        self.assertContains(self.get("exam", self.w.exam.pk, when=later), "Start the exam")
        response = self.post("exam", self.w.exam.pk, when=later)
        self.assertEqual(response.status_code, 302)
        first.refresh_from_db()
        self.assertEqual(first.finished_at, first.deadline)  # finished at its deadline

    def test_an_exam_at_the_ends_of_the_supported_range_is_shown_and_taken(self):
        # The ends of what authoring accepts (``instant_range``): the page answered 500 for an
        # exam closing at 9999-12-31T23:59:59Z, which Europe/Paris's clocks cannot show.
        exam = self.w.exam
        exam.opens_at, exam.closes_at, exam.results_released_at = EARLIEST, LATEST, LATEST
        exam.duration_minutes = MAX_DURATION_MINUTES
        exam.save()
        response = self.get("exam", exam.pk)
        self.assertEqual(response.status_code, 200)
        page = text(response)
        self.assertIn(
            "from 1 Jan 1900, 00:09 PMT (Europe/Paris) to 1 Jan 9001, 00:59 CET (Europe/Paris)",
            page,
        )
        self.assertIn("To be released on 1 Jan 9001, 00:59 CET (Europe/Paris)", page)
        self.post("exam", exam.pk)
        attempt = ExamAttempt.objects.get(user=self.w.student)
        self.assertEqual(attempt.deadline, self.t0 + minutes(MAX_DURATION_MINUTES))
        self.assertEqual(self.get("attempt", attempt.pk).status_code, 200)

    def test_a_stored_time_no_zone_can_show_is_shown_in_utc_rather_than_failing(self):
        # Saved before authoring refused it: the page names UTC instead of answering 500.
        Exam.objects.filter(pk=self.w.exam.pk).update(
            closes_at=datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
        )
        response = self.get("exam", self.w.exam.pk)
        self.assertEqual(response.status_code, 200)
        self.assertIn("to 31 Dec 9999, 23:59 UTC", text(response))
        course = self.get("course", self.w.course.pk)
        self.assertEqual(course.status_code, 200)
        self.assertIn("31 Dec 9999, 23:59 UTC", text(course))

    def test_the_rules_count_minutes_in_words_that_agree(self):
        for duration, words in ((1, "your 1 minute begins at once"), (90, "your 90 minutes begin")):
            with self.subTest(duration=duration):
                self.w.exam.duration_minutes = duration
                self.w.exam.save()
                page = text(self.get("exam", self.w.exam.pk))
                self.assertIn(words, page)
                self.assertIn(f"{words.split()[1]} {words.split()[2]} from the moment", page)

    def test_an_exam_window_across_the_paris_spring_change_shows_each_side_in_its_offset(self):
        # Clocks in Paris go from 02:00 CET to 03:00 CEST on 29 March 2026 (01:00 UTC).
        opens = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # 01:30 CET
        closes = datetime(2026, 3, 29, 2, 30, tzinfo=UTC)  # 04:30 CEST
        self.w.exam.opens_at, self.w.exam.closes_at = opens, closes
        self.w.exam.duration_minutes = 90
        self.w.exam.save()
        started = opens + minutes(10)  # 01:40 CET
        page = text(self.get("exam", self.w.exam.pk, when=started))
        self.assertIn(
            "from 29 Mar 2026, 01:30 CET (Europe/Paris) to 29 Mar 2026, 04:30 CEST (Europe/Paris)",
            page,
        )
        self.post("exam", self.w.exam.pk, when=started)
        attempt = ExamAttempt.objects.get(user=self.w.student)
        # 90 real minutes: 01:40 CET + 90 min is 04:10 CEST on the wall clock.
        self.assertEqual(attempt.deadline, datetime(2026, 3, 29, 2, 10, tzinfo=UTC))
        page = text(self.get("attempt", attempt.pk, when=started))
        self.assertIn("Time left: 1:30:00", page)
        self.assertIn("Deadline: 29 Mar 2026, 04:10 CEST (Europe/Paris)", page)


# --- The attempt page -------------------------------------------------------------------------


class AttemptPageTestCase(ExamPagesTestCase):
    def setUp(self):
        super().setUp()
        self.attempt = self.start()

    def test_the_countdown_comes_from_the_servers_deadline(self):
        response = self.get("attempt", self.attempt.pk, when=self.t0 + timedelta(seconds=61))
        html = response.content.decode()
        self.assertIn(f'data-deadline="{self.attempt.deadline.isoformat()}"', html)
        self.assertIn(f'data-server-now="{(self.t0 + timedelta(seconds=61)).isoformat()}"', html)
        self.assertIn("Time left: 58:59", text(response))  # for readers without scripts
        self.assertRegex(html, r'id="countdown-status"[^>]*aria-live="polite"')
        self.assertIn(f"Deadline: {self.zoned(self.attempt.deadline)}", text(response))

    def test_extra_time_moves_the_countdown(self):
        ExamAttempt.objects.filter(pk=self.attempt.pk).update(
            deadline=self.attempt.deadline + minutes(15)
        )
        self.assertIn("Time left: 1:15:00", text(self.get("attempt", self.attempt.pk)))

    def test_the_exams_problems_link_to_their_pages_with_my_state(self):
        judged_submission(self.w.student, self.w.problem, exam_attempt=self.attempt)
        response = self.get("attempt", self.attempt.pk)
        for problem in (self.w.problem, self.w.second):
            self.assertContains(
                response, reverse("web:attempt-problem", args=[self.attempt.pk, problem.pk])
            )
        page = text(response)
        self.assertIn("Sum 10.00 Solved", page)
        self.assertIn("Second 5.00 Not submitted", page)
        self.assertContains(response, reverse("web:attempt-finish", args=[self.attempt.pk]))
        self.assertNoHiddenData(response)

    def test_once_expired_it_says_so_and_offers_no_problem_or_submission(self):
        judged_submission(self.w.student, self.w.problem, exam_attempt=self.attempt)
        response = self.get("attempt", self.attempt.pk, when=self.attempt.deadline)
        page = text(response)
        self.assertIn("Time is up", page)
        self.assertIn(f"ended at {self.zoned(self.attempt.deadline)}", page)
        self.assertNotContains(response, f"/attempts/{self.attempt.pk}/problems/")
        self.assertNotContains(response, "data-disable-when-expired")
        # Until the periodic task hands it in (within a minute), it says that is under way.
        self.assertIn("the attempt is being handed in automatically", page)
        self.assertNotIn("hand it in to see your results", page)
        self.assertContains(response, "Hand in now")  # the student need not wait for it
        self.assertNotContains(response, "Finish the exam")
        response = self.get("exam", self.w.exam.pk, when=self.attempt.deadline)
        self.assertIn("Time is up (being handed in automatically)", text(response))
        self.assertNotIn("not handed in yet", text(response))

    def test_once_finished_it_says_so_with_no_button(self):
        exam_attempt_finish(attempt=self.attempt, now=self.t0 + minutes(3))
        response = self.get("attempt", self.attempt.pk, when=self.t0 + minutes(4))
        page = text(response)
        self.assertIn("You finished this attempt", page)
        self.assertIn(f"Finished at {self.zoned(self.t0 + minutes(3))}", page)
        self.assertNotIn("Time left", page)
        self.assertNotContains(response, "data-countdown")
        main = response.content.decode().split('<main id="main"')[1]
        self.assertNotIn("<button", main)  # no finish, no submit
        self.assertNotContains(response, f"/attempts/{self.attempt.pk}/problems/")
        self.assertIn("Results are not released yet.", page)


class AttemptFeedbackPageTestCase(ExamPagesTestCase):
    """What the attempt page shows of my submissions under each feedback mode: what the API
    shows, and never a hidden case's data."""

    def setUp(self):
        super().setUp()
        self.attempt = self.start()
        self.accepted = judged_submission(self.w.student, self.w.problem, exam_attempt=self.attempt)
        self.broken = judged_submission(
            self.w.student,
            self.w.second,
            exam_attempt=self.attempt,
            verdict=Verdict.COMPILATION_ERROR,
            compile_output="SyntaxError: invalid syntax",
        )

    def page(self, mode, when=None):
        self.w.exam.feedback = mode
        self.w.exam.save(update_fields=["feedback"])
        response = self.get("attempt", self.attempt.pk, when=when)
        self.assertEqual(response.status_code, 200)
        self.assertNoHiddenData(response)
        return response

    def test_full_feedback_shows_verdicts_points_and_hidden_cases_as_verdicts_only(self):
        response = self.page("full")
        page = text(response)
        self.assertIn("Accepted 10.00 points", page)
        self.assertIn("Compilation error", page)
        self.assertIn("SyntaxError: invalid syntax", page)
        # The compile error's cases ran not: one table, the accepted submission's.
        self.assertEqual(page.count("Compilation error"), 1)
        self.assertEqual(page.count("Case 1 ("), 1)
        self.assertIn("Case 2 (hidden) Accepted 5 ms 1000 KiB hidden", page)
        self.assertIn("output of case 0", page)  # a sample's output is the student's to see
        self.assertIn("Sum 10.00 Solved", page)

    def test_sample_feedback_shows_the_samples_only_and_no_verdict_or_points(self):
        response = self.page("samples")
        page = text(response)
        self.assertNotIn("Accepted 10.00", page)
        self.assertNotIn("points", page.split("My submissions")[1])
        self.assertIn("Judged (verdict after the results are released)", page)
        self.assertIn("output of case 0", page)
        self.assertNotIn("(hidden)", page)
        self.assertNotIn("Solved", page)
        self.assertIn("Sum 10.00 Submitted", page)
        self.assertIn("Only the sample cases' results show until the results are released.", page)

    def test_no_feedback_shows_only_that_each_was_received(self):
        response = self.page("none")
        page = text(response)
        self.assertEqual(page.count("Received"), 2)
        for withheld in (
            "Accepted",
            "Compilation error",
            "SyntaxError",
            "output of case 0",
            "points",
        ):
            self.assertNotIn(withheld, page.split("My submissions")[1])
        self.assertIn(ADD.strip().splitlines()[0], page)  # their own code, of course
        self.assertIn("Sum 10.00 Submitted", page)

    def test_everything_shows_once_the_results_are_released(self):
        self.w.exam.results_released_at = self.t0 + minutes(10)
        self.w.exam.save(update_fields=["results_released_at"])
        before = text(self.page("none", when=self.t0 + minutes(10) - timedelta(seconds=1)))
        self.assertNotIn("Accepted", before.split("My submissions")[1])
        after = text(self.page("none", when=self.t0 + minutes(10)))
        self.assertIn("Accepted 10.00 points", after)
        self.assertIn("Sum 10.00 Solved", after)


# --- An exam problem --------------------------------------------------------------------------


class AttemptProblemPageTestCase(ExamPagesTestCase):
    def setUp(self):
        super().setUp()
        self.attempt = self.start()

    def test_a_language_with_its_own_limits_has_its_own_line(self):
        problem = self.w.problem
        problem.language_limits = {"cpp": {"time_multiplier": 2.0, "memory_extra_kb": 64 * 1024}}
        problem.save(update_fields=["language_limits"])
        page = text(self.get("attempt-problem", self.attempt.pk, self.w.problem.pk))
        self.assertIn("2 s per case, 192 MiB", page)

    def test_the_statement_limits_samples_and_the_editor(self):
        response = self.get("attempt-problem", self.attempt.pk, self.w.problem.pk)
        html = response.content.decode()
        self.assertContains(response, "Add <strong>two</strong> numbers.")
        page = text(response)
        self.assertIn("Worth 10.00 points in this exam.", page)
        self.assertIn("Time 1 s per case (CPU) Memory 128 MiB Output 64 KiB", page)
        self.assertIn("Input 1 [1, 2] Expected output 1 3", page)
        self.assertRegex(
            html,
            rf'<textarea name="code"[^>]*data-editor[^>]*'
            rf'data-draft-scope="attempt:{self.attempt.pk}:problem:{self.w.problem.pk}"'
            r'[^>]*data-language-select="#id_language"',
        )
        self.assertIn('<label for="id_code">Code</label>', html)
        self.assertIn('<option value="python" selected>Python 3</option>', html)
        self.assertIn('id="starter-code" type="application/json"', html)
        self.assertIn("def solve(a, b):\n    pass", html)  # the starter code, also without JS
        self.assertNotIn("data-keep-value", html)  # the editor prefers the browser's draft
        ids = [self.attempt.pk, self.w.problem.pk]
        run_url = reverse("web:attempt-problem-run", args=ids)
        submit_url = reverse("web:attempt-problem-submit", args=ids)
        self.assertIn(f'formaction="{run_url}"', html)  # Run, also without JS
        self.assertIn(f'hx-post="{submit_url}" hx-target="#submission-region"', html)
        self.assertEqual(html.count("data-disable-when-expired"), 2)  # Run and Submit
        self.assertIn('name="csrfmiddlewaretoken"', html)
        self.assertIn("Time left: 1:00:00", page)
        self.assertNoHiddenData(response)

    def test_my_submissions_refresh_in_place_only_while_one_waits_for_its_verdict(self):
        url = reverse("web:attempt-problem", args=[self.attempt.pk, self.w.problem.pk])
        pending = factories.SubmissionFactory(
            user=self.w.student, problem=self.w.problem, exam_attempt=self.attempt
        )
        response = self.get("attempt-problem", self.attempt.pk, self.w.problem.pk)
        self.assertIn("Pending", text(response))
        self.assertRegex(
            response.content.decode(),
            rf'id="my-submissions"[^>]*hx-get="{url}" hx-select="#my-submissions"',
        )
        Submission.objects.filter(pk=pending.pk).update(status=Verdict.WRONG_ANSWER)
        response = self.get("attempt-problem", self.attempt.pk, self.w.problem.pk)
        self.assertIn("Wrong answer", text(response))
        self.assertNotContains(response, "hx-select")

    def test_a_problem_outside_the_exam_is_not_found(self):
        practice = problem_with_cases(chapter=self.w.chapter)
        self.assertEqual(self.get("attempt-problem", self.attempt.pk, practice.pk).status_code, 404)

    def test_after_the_deadline_and_after_finishing_the_problem_is_closed(self):
        response = self.get(
            "attempt-problem", self.attempt.pk, self.w.problem.pk, when=self.attempt.deadline
        )
        self.assertEqual(response.status_code, 409)
        self.assertIn(
            f"The time for this attempt ran out at {self.zoned(self.attempt.deadline)}.",
            text(response),
        )
        self.assertNotContains(response, "Add <strong>two</strong>", status_code=409)
        exam_attempt_finish(attempt=self.attempt, now=self.t0 + minutes(1))
        response = self.get("attempt-problem", self.attempt.pk, self.w.problem.pk)
        self.assertEqual(response.status_code, 409)
        self.assertIn("This exam attempt is finished.", text(response))
        # Only opened, nothing posted: nothing was lost, and the page does not say it was.
        self.assertIn("This attempt no longer accepts submissions.", text(response))
        self.assertNotIn("Nothing was", text(response))


@override_settings(COURSES_JUDGE_BACKEND=backend_path(AcceptingBackend))
class AttemptRunTestCase(ExamPagesTestCase):
    def setUp(self):
        super().setUp()
        self.attempt = self.start()

    def run_code(self, data, when=None, **extra):
        return self.post(
            "attempt-problem-run", self.attempt.pk, self.w.problem.pk, data=data, when=when, **extra
        )

    def test_run_shows_each_samples_result_on_the_page_and_saves_nothing(self):
        response = self.run_code({"language": "python", "code": ADD})
        self.assertEqual(response.status_code, 200)
        page = text(response)
        self.assertIn("Run Accepted 1 of 1 sample case passed.", page)
        self.assertIn("1 Accepted 7 ms 900 KiB Input [1, 2] Expected output 3 Your output 3", page)
        self.assertIn("Add two numbers.", page)  # the whole page, without htmx
        self.assertIn(ADD.splitlines()[1].strip(), page)  # the code stays in the editor
        self.assertNoHiddenData(response)
        self.assertFalse(Submission.objects.exists())

    def test_with_htmx_only_the_output_is_answered(self):
        response = self.run_code({"language": "python", "code": ADD}, HTTP_HX_REQUEST="true")
        self.assertEqual(response.status_code, 200)
        self.assertNotContains(response, "<html")
        self.assertIn("Accepted 1 of 1 sample case passed.", text(response))
        self.assertContains(response, 'id="id_code-errors" class="field-errors" hx-swap-oob="true"')

    def test_run_on_my_input(self):
        response = self.run_code({"language": "python", "code": ADD, "stdin": "[5, 6]"})
        self.assertIn("Ran on your input (the output is not checked).", text(response))
        self.assertIn("Output 3", text(response))

    def test_bad_input_shows_the_services_words_next_to_the_field(self):
        for data, field, words in (
            ({"language": "java", "code": ADD}, "language", "allowed: python, c, cpp"),
            ({"language": "python", "code": "   "}, "code", "required"),
        ):
            with self.subTest(field):
                response = self.run_code(data)
                self.assertEqual(response.status_code, 400)  # the API's status, without htmx
                match = re.search(
                    rf'id="id_{field}_error">(.*?)</ul>', response.content.decode(), flags=re.S
                )
                self.assertIsNotNone(match)
                self.assertIn(words, match.group(1))

    def test_an_expired_attempt_runs_nothing(self):
        response = self.run_code({"language": "python", "code": ADD}, when=self.attempt.deadline)
        self.assertEqual(response.status_code, 409)
        self.assertIn("The time for this attempt ran out at", text(response))
        htmx = self.run_code(
            {"language": "python", "code": ADD}, when=self.attempt.deadline, HTTP_HX_REQUEST="true"
        )
        self.assertEqual(htmx.status_code, 200)  # htmx swaps only successful answers
        self.assertIn("The time for this attempt ran out at", text(htmx))
        self.assertIn("Nothing was run", text(htmx))
        self.assertIn('role="alert"', htmx.content.decode())
        self.assertContains(htmx, reverse("web:attempt", args=[self.attempt.pk]))

    @override_settings(COURSES_API_RUN_RATE="1/min")
    def test_runs_count_in_the_run_code_throttle_shared_with_the_problem_page(self):
        practice = problem_with_cases(chapter=self.w.chapter)
        code = {"language": "python", "code": ADD}
        first = self.run_code(code, HTTP_HX_REQUEST="true")
        self.assertIn("1 of 1 sample case passed.", text(first))
        with at(self.t0):
            elsewhere = self.client.post(
                reverse("web:problem-run", args=[practice.pk]), code, HTTP_HX_REQUEST="true"
            )
        self.assertIn("Request was throttled.", text(elsewhere))
        again = self.run_code(code)
        self.assertEqual(again.status_code, 429)
        self.assertIn("Request was throttled.", text(again))


@override_settings(COURSES_JUDGE_BACKEND=backend_path(AcceptingBackend))
class AttemptSubmitInPlaceTestCase(ExamPagesTestCase):
    """Submit through htmx: the result shows in place and polls ``submission-status`` (a
    ``TestCase``: judging, enqueued on commit, waits until the test runs it)."""

    def setUp(self):
        super().setUp()
        self.attempt = self.start()

    def submit(self, data=None, when=None):
        data = {"language": "python", "code": ADD} if data is None else data
        return self.post(
            "attempt-problem-submit",
            self.attempt.pk,
            self.w.problem.pk,
            data=data,
            when=when or self.t0 + minutes(1),
            HTTP_HX_REQUEST="true",
        )

    def poll(self, submission):
        url = reverse("web:submission-status", args=[submission.pk])
        with at(self.t0 + minutes(2)):
            return self.client.get(url, HTTP_HX_REQUEST="true")

    def test_the_submission_shows_in_place_then_polls_to_what_the_feedback_rule_shows(self):
        self.w.exam.feedback = "samples"
        self.w.exam.save(update_fields=["feedback"])
        response = self.submit()
        submission = Submission.objects.get()
        self.assertEqual(submission.exam_attempt_id, self.attempt.pk)
        html = response.content.decode()
        self.assertNotIn("<html", html)
        self.assertIn("Pending", text(response))
        # Polled through the submission's status partial, without the problem page's list.
        status_url = reverse("web:submission-status", args=[submission.pk])
        self.assertIn(f'hx-get="{status_url}" hx-trigger="load delay:1s"', html)
        # My submissions and the problem states, out of band; the list refreshes while it waits.
        self.assertRegex(html, r'<section id="my-submissions"[^>]*hx-swap-oob="true"')
        self.assertRegex(html, r'<nav id="exam-problems"[^>]*hx-swap-oob="true"')
        self.assertIn('hx-select="#my-submissions" hx-select-oob="#exam-problems"', html)
        self.assertIn(f'id="code-{submission.pk}"', html)
        self.assertIn('id="id_code-errors" class="field-errors" hx-swap-oob="true"', html)

        CodeExecutorService(AcceptingBackend()).judge_submission(submission.pk)
        poll = self.poll(submission)
        html = poll.content.decode()
        summary = text_of(html.split("<table")[0])
        self.assertIn("Judged (verdict after the results are released)", summary)
        self.assertIn("only the sample cases' results", summary)
        self.assertNotIn("Accepted", summary)
        self.assertNotIn("points", summary)
        self.assertNotIn("hx-trigger", html)  # final as far as it shows: polling stops
        self.assertIn("<pre>[1, 2]</pre>", html)  # the sample's input
        self.assertNotIn("Hidden case", html)
        self.assertNoHiddenData(poll)

    def test_with_full_feedback_the_verdict_shows_with_the_exams_points(self):
        self.submit()
        submission = Submission.objects.get()
        CodeExecutorService(AcceptingBackend()).judge_submission(submission.pk)
        page = text(self.poll(submission))
        self.assertIn("Accepted", page)
        self.assertIn("10.00 of 10.00 points in this exam", page)  # not the problem's 100
        self.assertIn("Hidden case", page)

    def test_refusals_show_in_place_and_next_to_the_fields_and_save_nothing(self):
        response = self.submit({"language": "python", "code": ""})
        self.assertEqual(response.status_code, 200)
        html = response.content.decode()
        self.assertIn('<p class="errorlist nonfield" role="alert">The code is empty.</p>', html)
        self.assertRegex(html, r'id="id_code-errors" class="field-errors" hx-swap-oob="true">')
        self.assertRegex(html, r'id="id_code_error"><li>required')
        self.assertNotIn("my-submissions", html)
        self.assertFalse(Submission.objects.exists())

    def test_a_closed_attempt_answers_in_place_and_saves_nothing(self):
        response = self.submit(when=self.attempt.deadline)
        self.assertEqual(response.status_code, 200)  # htmx swaps only successful answers
        page = text(response)
        self.assertIn(
            f"The time for this attempt ran out at {self.zoned(self.attempt.deadline)}.", page
        )
        self.assertIn("Nothing was saved", page)
        self.assertContains(response, 'role="alert"')
        self.assertContains(response, reverse("web:attempt", args=[self.attempt.pk]))
        self.assertFalse(Submission.objects.exists())


@override_settings(COURSES_JUDGE_BACKEND=backend_path(AcceptingBackend))
class AttemptSubmitTestCase(FreshCacheMixin, TransactionTestCase):
    """Submissions are judged inline once committed, as in the embedded setup."""

    def setUp(self):
        super().setUp()
        self.t0 = timezone.now().replace(microsecond=0)
        self.w = ExamWorld(self.t0)
        self.w.course.time_zone = PARIS
        self.w.course.save(update_fields=["time_zone"])
        self.attempt = exam_attempt_start(exam=self.w.exam, user=self.w.student, now=self.t0)
        self.client.force_login(self.w.student)
        self.url = reverse("web:attempt-problem-submit", args=[self.attempt.pk, self.w.problem.pk])

    def submit(self, data=None, when=None):
        data = {"language": "python", "code": ADD} if data is None else data
        with at(when or self.t0 + minutes(1)):
            return self.client.post(self.url, data)

    def test_a_submission_is_judged_and_shown_on_the_problem_page(self):
        response = self.submit()
        problem_url = reverse("web:attempt-problem", args=[self.attempt.pk, self.w.problem.pk])
        self.assertRedirects(
            response, f"{problem_url}#my-submissions", fetch_redirect_response=False
        )
        submission = Submission.objects.get()
        self.assertEqual(submission.exam_attempt_id, self.attempt.pk)
        self.assertEqual(submission.status, Verdict.ACCEPTED)
        with at(self.t0 + minutes(2)):
            page = self.client.get(problem_url)
        self.assertContains(page, "Your solution was submitted.")
        self.assertIn("Accepted 10.00 points", text(page))
        for secret in HIDDEN[:1]:
            self.assertNotContains(page, secret)

    def test_with_htmx_judged_inline_the_verdict_my_submissions_and_the_state_come_at_once(self):
        with at(self.t0 + minutes(1)):
            response = self.client.post(
                self.url, {"language": "python", "code": ADD}, HTTP_HX_REQUEST="true"
            )
        html = response.content.decode()
        self.assertNotIn("<html", html)
        self.assertNotIn("hx-trigger", html)  # nothing to wait for
        region, rest = html.split('<section id="my-submissions"')
        self.assertIn("Accepted", region)
        self.assertIn("10.00 of 10.00 points in this exam", text_of(region))
        self.assertIn('<table class="cases">', region)
        self.assertIn("Accepted 10.00 points", text_of(rest))  # the list, out of band
        self.assertIn("Sum Solved", text_of(rest.split('<nav id="exam-problems"')[1]))
        for secret in HIDDEN[:1]:
            self.assertNotIn(secret, html)

    def test_after_the_deadline_the_server_refuses_with_the_attempt_expired_message(self):
        response = self.submit(when=self.attempt.deadline)
        self.assertEqual(response.status_code, 409)
        deadline = in_zone(self.attempt.deadline, PARIS)
        self.assertIn(f"The time for this attempt ran out at {deadline}.", text(response))
        self.assertContains(response, 'role="alert"', status_code=409)
        self.assertFalse(Submission.objects.exists())

    def test_a_deadline_moved_into_the_past_is_enforced_at_once(self):
        ExamAttempt.objects.filter(pk=self.attempt.pk).update(deadline=timezone.now())
        with self.subTest("the page"):
            self.assertEqual(
                self.client.post(self.url, {"language": "python", "code": ADD}).status_code, 409
            )
        self.assertFalse(Submission.objects.exists())

    def test_after_finishing_the_server_refuses(self):
        exam_attempt_finish(attempt=self.attempt, now=self.t0 + minutes(1))
        response = self.submit(when=self.t0 + minutes(2))
        self.assertEqual(response.status_code, 409)
        self.assertIn("This exam attempt is finished.", text(response))
        self.assertFalse(Submission.objects.exists())

    def test_bad_input_shows_errors_next_to_the_field_and_saves_nothing(self):
        response = self.submit({"language": "python", "code": ""})
        self.assertEqual(response.status_code, 400)  # the API's status, without htmx
        self.assertRegex(response.content.decode(), r'id="id_code_error">\s*<li>required')
        self.assertIn("The code is empty.", text(response))
        response = self.submit({"language": "cobol", "code": ADD})
        self.assertRegex(
            response.content.decode(), r'id="id_language_error">\s*<li>unknown language'
        )
        self.assertFalse(Submission.objects.exists())


# --- Finishing --------------------------------------------------------------------------------


class AttemptFinishTestCase(ExamPagesTestCase):
    def setUp(self):
        super().setUp()
        self.attempt = self.start()

    def test_finishing_asks_first_then_finishes_once(self):
        judged_submission(self.w.student, self.w.problem, exam_attempt=self.attempt)
        confirm = self.post("attempt-finish", self.attempt.pk, when=self.t0 + minutes(5))
        self.assertEqual(confirm.status_code, 200)
        self.assertIn("Finish the exam?", text(confirm))
        self.assertIn("You submitted to 1 of 2 problems.", text(confirm))
        self.assertContains(confirm, 'name="confirm" value="yes"')
        self.attempt.refresh_from_db()
        self.assertIsNone(self.attempt.finished_at)

        response = self.post(
            "attempt-finish", self.attempt.pk, data={"confirm": "yes"}, when=self.t0 + minutes(5)
        )
        self.assertRedirects(
            response, reverse("web:attempt", args=[self.attempt.pk]), fetch_redirect_response=False
        )
        self.attempt.refresh_from_db()
        self.assertEqual(self.attempt.finished_at, self.t0 + minutes(5))
        self.assertEqual(self.attempt.score, Decimal("10.00"))

        again = self.post(
            "attempt-finish", self.attempt.pk, data={"confirm": "yes"}, when=self.t0 + minutes(9)
        )
        self.assertEqual(again.status_code, 302)
        self.attempt.refresh_from_db()
        self.assertEqual(self.attempt.finished_at, self.t0 + minutes(5))  # idempotent
        page = self.get("attempt", self.attempt.pk, when=self.t0 + minutes(9))
        self.assertEqual(text(page).count("You handed in this attempt"), 1)

    def test_an_expired_attempt_is_handed_in_at_its_deadline(self):
        self.post(
            "attempt-finish", self.attempt.pk, data={"confirm": "yes"}, when=self.t0 + minutes(90)
        )
        self.attempt.refresh_from_db()
        self.assertEqual(self.attempt.finished_at, self.attempt.deadline)


# --- Results ----------------------------------------------------------------------------------


class AttemptResultsPageTestCase(ExamPagesTestCase):
    def setUp(self):
        super().setUp()
        self.w.exam.feedback = "none"
        self.w.exam.passing_score = Decimal("8")
        self.w.exam.save(update_fields=["feedback", "passing_score"])
        self.attempt = self.start()
        judged_submission(self.w.student, self.w.problem, exam_attempt=self.attempt)
        judged_submission(
            self.w.student, self.w.second, exam_attempt=self.attempt, verdict=Verdict.WRONG_ANSWER
        )

    def finish(self):
        exam_attempt_finish(attempt=self.attempt, now=self.t0 + minutes(30))

    def release(self, when):
        self.w.exam.results_released_at = when
        self.w.exam.save(update_fields=["results_released_at"])

    def test_before_release_the_page_says_when_or_that_they_are_not_released(self):
        self.finish()
        response = self.get("attempt-results", self.attempt.pk, when=self.t0 + minutes(31))
        self.assertEqual(response.status_code, 200)
        self.assertIn("The results of this exam have not been released yet.", text(response))
        self.assertNotIn("10.00 of", text(response))
        when = self.t0 + timedelta(days=2)
        self.release(when)
        response = self.get("attempt-results", self.attempt.pk, when=self.t0 + minutes(31))
        self.assertIn(f"Results are released at {self.zoned(when)}.", text(response))
        self.assertNotContains(response, "Accepted")
        self.assertNoHiddenData(response)

    def test_an_unfinished_attempt_is_asked_to_be_finished_first(self):
        self.release(self.t0)
        response = self.get("attempt-results", self.attempt.pk, when=self.t0 + minutes(1))
        self.assertIn("This attempt is not finished yet; finish it to see results.", text(response))

    def test_after_release_the_score_the_pass_per_problem_and_every_submission_in_full(self):
        self.finish()
        self.release(self.t0 + minutes(40))
        response = self.get("attempt-results", self.attempt.pk, when=self.t0 + minutes(40))
        page = text(response)
        self.assertIn("Score 10.00 of 15.00", page)
        self.assertIn("Passing score 8.00", page)
        self.assertIn("Result Passed", page)
        self.assertIn("Sum 100 % 10.00 10.00", page)
        self.assertIn("Second 0 % 0.00 5.00", page)
        self.assertIn("Accepted 10.00 points", page)
        self.assertIn("Wrong answer 0.00 points", page)
        self.assertIn(f"to {self.zoned(self.t0 + minutes(30))}", page)
        self.assertNoHiddenData(response)
        # The exam page shows the score too, and links to the results.
        exam_page = self.get("exam", self.w.exam.pk, when=self.t0 + minutes(40))
        self.assertIn("10.00 / 15.00, passed", text(exam_page))
        self.assertContains(exam_page, reverse("web:attempt-results", args=[self.attempt.pk]))


# --- Query counts -----------------------------------------------------------------------------


class ExamQueryCountTestCase(ExamPagesTestCase):
    def counts(self, problems: int) -> dict[str, int]:
        """Queries of each page for an exam of ``problems`` problems, each submitted once."""
        course = factories.CourseFactory(time_zone=PARIS)
        chapter = factories.ChapterFactory(course=course)
        student = factories.UserFactory()
        factories.EnrollmentFactory(user=student, course=course)
        exam = factories.ExamFactory(course=course, opens_at=self.t0 - minutes(5))
        first = None
        for order in range(problems):
            problem = problem_with_cases(chapter=chapter, is_exam_only=True, order=order)
            factories.ExamProblemFactory(exam=exam, problem=problem, order=order)
            first = first or problem
        attempt = exam_attempt_start(exam=exam, user=student, now=self.t0)
        for row in exam.exam_problems.all():
            judged_submission(student, row.problem, exam_attempt=attempt)
        self.as_user(student)
        pages = {
            "exam": reverse("web:exam", args=[exam.pk]),
            "attempt": reverse("web:attempt", args=[attempt.pk]),
            "attempt-problem": reverse("web:attempt-problem", args=[attempt.pk, first.pk]),
        }
        result = {}
        with at(self.t0 + minutes(1)):
            self.client.get(pages["exam"])  # the cached roles, read once
            for name, url in pages.items():
                result[name] = self.count_queries(lambda url=url: self.client.get(url))
        exam_attempt_finish(attempt=attempt, now=self.t0 + minutes(2))
        exam.results_released_at = self.t0 + minutes(3)
        exam.save(update_fields=["results_released_at"])
        url = reverse("web:attempt-results", args=[attempt.pk])
        with at(self.t0 + minutes(4)):
            result["attempt-results"] = self.count_queries(lambda: self.client.get(url))
        return result

    def test_every_page_costs_the_same_for_2_and_20_problems(self):
        two, twenty = self.counts(2), self.counts(20)
        self.assertEqual(two, twenty)
        for name, count in two.items():
            self.assertLess(count, 20, name)
