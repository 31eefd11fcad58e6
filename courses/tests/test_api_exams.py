"""The exams API (area E): listing exams, taking one over HTTP, results, and the staff's view.

Time is fixed per request: ``at(instant)`` makes ``timezone.now()`` answer that instant for the
views and the services they call, so deadlines and seconds remaining are asserted exactly and
nothing sleeps. Judging goes through scripted backends; the submission tests that need inline
judging (on a real commit) are ``TransactionTestCase``.
"""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from unittest import mock

from django.test import TestCase, TransactionTestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from courses.instant_range import LATEST
from courses.judging.languages import LANGUAGES
from courses.judging.types import Verdict
from courses.models import Enrollment, ExamAttempt, Submission, SubmissionTestResult
from courses.services.exam_attempts import (
    MAX_GRANT_MINUTES,
    exam_attempt_finish,
    exam_attempt_start,
)
from courses.tests import factories
from courses.tests.api_support import (
    ADD,
    AcceptingBackend,
    ApiTestMixin,
    WrongBackend,
    backend_path,
    judged_submission,
    problem_with_cases,
)

HIDDEN_INPUT = "[1, 2] hidden"  # the hidden case's input in problem_with_cases
HIDDEN_OUTPUT = "output of case 1"  # what judged_submission stores as its program output
HIDDEN_STDERR = "stderr of case 1"


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def at(instant):
    """``timezone.now()`` answers ``instant`` inside the block (views and services alike)."""
    return mock.patch("django.utils.timezone.now", return_value=instant)


class ExamWorld:
    """A published course with a student, an assistant and an instructor, and an exam open from
    ``t0 - 1 h`` to ``t0 + 1 day``, 60 minutes long, of two exam-only problems worth 10 and 5."""

    def __init__(self, t0):
        self.t0 = t0
        self.course = factories.CourseFactory()
        self.chapter = factories.ChapterFactory(course=self.course)
        self.student = factories.UserFactory(username="student")
        self.other_student = factories.UserFactory(username="other-student")
        self.assistant = factories.UserFactory(username="assistant")
        self.instructor = factories.UserFactory(username="instructor")
        self.outsider = factories.UserFactory(username="outsider")
        Role = Enrollment.Role
        for user, role in (
            (self.student, Role.STUDENT),
            (self.other_student, Role.STUDENT),
            (self.assistant, Role.ASSISTANT),
            (self.instructor, Role.INSTRUCTOR),
        ):
            factories.EnrollmentFactory(user=user, course=self.course, role=role)
        self.problem = problem_with_cases(
            chapter=self.chapter,
            title="Sum",
            is_exam_only=True,
            statement="Add **two** numbers.",
            starter_code={"python": "def solve(a, b):\n    pass\n"},
        )
        self.second = problem_with_cases(chapter=self.chapter, title="Second", is_exam_only=True)
        self.exam = factories.ExamFactory(
            course=self.course,
            title="Midterm",
            instructions="No notes.",
            opens_at=t0 - timedelta(hours=1),
            closes_at=t0 + timedelta(days=1),
            duration_minutes=60,
        )
        self.exam_problem = factories.ExamProblemFactory(
            exam=self.exam, problem=self.problem, score=Decimal("10"), order=0
        )
        factories.ExamProblemFactory(
            exam=self.exam, problem=self.second, score=Decimal("5"), order=1
        )
        self.exam.refresh_from_db()  # total_score, kept by the signals


class ExamApiTestCase(ApiTestMixin, TestCase):
    def setUp(self):
        super().setUp()
        self.t0 = timezone.now().replace(microsecond=0)
        self.w = ExamWorld(self.t0)
        self.client = self.client_for(self.w.student)

    def start(self, user=None, now=None, exam=None) -> ExamAttempt:
        return exam_attempt_start(
            exam=exam or self.w.exam, user=user or self.w.student, now=now or self.t0
        )

    def get(self, name, *args, when=None, client=None, **params):
        with at(when or self.t0):
            return (client or self.client).get(reverse(f"api:{name}", args=args), params)

    def post(self, name, *args, data=None, when=None, client=None):
        with at(when or self.t0):
            return (client or self.client).post(
                reverse(f"api:{name}", args=args), data, format="json"
            )

    def release_results(self, when):
        self.w.exam.results_released_at = when
        self.w.exam.save(update_fields=["results_released_at"])


# --- GET courses/<id>/exams/ and exams/<id>/ -------------------------------------------------


class ExamListApiTestCase(ExamApiTestCase):
    def test_members_see_each_exam_with_its_rules_its_state_and_only_their_attempts(self):
        upcoming = factories.ExamFactory(
            course=self.w.course,
            opens_at=self.t0 + timedelta(days=2),
            closes_at=self.t0 + timedelta(days=3),
        )
        closed = factories.ExamFactory(
            course=self.w.course,
            opens_at=self.t0 - timedelta(days=3),
            closes_at=self.t0 - timedelta(days=2),
        )
        factories.ExamFactory(course=factories.CourseFactory())  # another course's
        mine = self.start()
        self.start(user=self.w.other_student)
        results = self.assertPage(self.get("exam-list", self.w.course.pk), count=3)
        self.assertEqual([e["id"] for e in results], [closed.pk, self.w.exam.pk, upcoming.pk])
        self.assertEqual([e["state"] for e in results], ["closed", "open", "upcoming"])
        exam = results[1]
        self.assertEqual(
            {k: v for k, v in exam.items() if k != "my_attempts"},
            {
                "id": self.w.exam.pk,
                "course": self.w.course.pk,
                "title": "Midterm",
                "opens_at": (self.t0 - timedelta(hours=1)).isoformat().replace("+00:00", "Z"),
                "closes_at": (self.t0 + timedelta(days=1)).isoformat().replace("+00:00", "Z"),
                "duration_minutes": 60,
                "max_attempts": 1,
                "total_score": "15.00",
                "passing_score": "0.00",
                "feedback": "full",
                "results_released_at": None,
                "problem_count": 2,
                "state": "open",
                "attempts_left": 0,
            },
        )
        self.assertNotIn("instructions", exam)  # the detail has them
        (attempt,) = exam["my_attempts"]
        self.assertEqual(attempt["id"], mine.pk)
        self.assertEqual(attempt["state"], "running")
        self.assertEqual(attempt["seconds_remaining"], 3600)
        self.assertEqual((attempt["score"], attempt["passed"]), (None, None))
        self.assertEqual(results[0]["my_attempts"], [])

    def test_an_attempts_score_shows_only_once_finished_and_released(self):
        attempt = self.start()
        judged_submission(self.w.student, self.w.problem, exam_attempt=attempt)
        exam_attempt_finish(attempt=attempt, now=self.t0 + minutes(10))
        self.release_results(self.t0 + timedelta(hours=2))

        def shown(when):
            (exam,) = self.assertPage(self.get("exam-list", self.w.course.pk, when=when))
            (mine,) = exam["my_attempts"]
            return mine["results_available"], mine["score"], mine["passed"]

        self.assertEqual(shown(self.t0 + minutes(20)), (False, None, None))
        self.assertEqual(shown(self.t0 + timedelta(hours=2)), (True, "10.00", True))

    def test_the_query_count_is_the_same_for_two_exams_and_a_full_page(self):
        def add_exams(n):
            for _ in range(n):
                exam = factories.ExamFactory(course=self.w.course)
                factories.ExamProblemFactory(exam=exam, problem=self.w.problem)
                factories.ExamAttemptFactory(exam=exam, user=self.w.student)

        url = reverse("api:exam-list", args=[self.w.course.pk])
        add_exams(1)  # with the world's exam: 2
        self.client.get(url)  # the cached roles, read once
        two = self.count_queries(lambda: self.assertPage(self.client.get(url), count=2))
        add_exams(18)
        full = self.count_queries(lambda: self.assertPage(self.client.get(url), count=20))
        self.assertEqual(two, full)

    def test_non_members_and_students_who_left_get_403_not_enrolled(self):
        removed = factories.UserFactory()
        factories.EnrollmentFactory(
            user=removed, course=self.w.course, status=Enrollment.Status.REMOVED
        )
        dropped = factories.UserFactory()
        factories.EnrollmentFactory(
            user=dropped, course=self.w.course, status=Enrollment.Status.DROPPED
        )
        for user in (self.w.outsider, removed, dropped):
            with self.subTest(user=user.username):
                client = self.client_for(user)
                self.assertError(
                    self.get("exam-list", self.w.course.pk, client=client), 403, "not_enrolled"
                )
                self.assertError(
                    self.get("exam-detail", self.w.exam.pk, client=client), 403, "not_enrolled"
                )

    def test_unknown_and_unpublished_courses_are_not_found(self):
        self.assertError(self.get("exam-list", self.w.course.pk + 999), 404, "not_found")
        self.w.course.is_published = False
        self.w.course.save()
        client = self.client_for(self.w.outsider)
        self.assertError(self.get("exam-list", self.w.course.pk, client=client), 404, "not_found")
        self.assertError(self.get("exam-detail", self.w.exam.pk, client=client), 404, "not_found")
        self.assertPage(self.get("exam-list", self.w.course.pk))  # members still see it

    def test_the_detail_has_the_instructions_and_my_attempts(self):
        self.w.exam.max_attempts = 3
        self.w.exam.save()
        first = self.start()
        exam_attempt_finish(attempt=first, now=self.t0 + minutes(5))
        second = self.start(now=self.t0 + minutes(6))
        response = self.get("exam-detail", self.w.exam.pk, when=self.t0 + minutes(16))
        self.assertEqual(response.status_code, 200, response.content)
        body = response.json()
        self.assertEqual(body["instructions"], "No notes.")
        self.assertEqual(body["attempts_left"], 1)
        self.assertEqual([a["id"] for a in body["my_attempts"]], [first.pk, second.pk])
        self.assertEqual([a["state"] for a in body["my_attempts"]], ["finished", "running"])
        self.assertEqual([a["seconds_remaining"] for a in body["my_attempts"]], [0, 50 * 60])
        self.assertError(self.get("exam-detail", self.w.exam.pk + 999), 404, "not_found")


# --- POST exams/<id>/attempts/ ----------------------------------------------------------------


class AttemptStartApiTestCase(ExamApiTestCase):
    def test_a_student_starts_with_the_servers_deadline_and_the_exams_problems(self):
        response = self.post("attempt-start", self.w.exam.pk, when=self.t0 + minutes(5))
        self.assertEqual(response.status_code, 201, response.content)
        body = response.json()
        attempt = ExamAttempt.objects.get()
        self.assertEqual((attempt.user, attempt.started_at), (self.w.student, self.t0 + minutes(5)))
        self.assertEqual(body["id"], attempt.pk)
        self.assertEqual(
            body["deadline"], (self.t0 + minutes(65)).isoformat().replace("+00:00", "Z")
        )
        self.assertEqual(body["seconds_remaining"], 3600)
        self.assertEqual(body["state"], "running")
        self.assertEqual(body["exam"]["id"], self.w.exam.pk)
        self.assertEqual(
            body["problems"],
            [
                {
                    "id": self.w.problem.pk,
                    "title": "Sum",
                    "order": 0,
                    "score": "10.00",
                    "state": "unsolved",
                },
                {
                    "id": self.w.second.pk,
                    "title": "Second",
                    "order": 1,
                    "score": "5.00",
                    "state": "unsolved",
                },
            ],
        )
        self.assertEqual(body["submissions"], [])
        self.assertEqual((body["score"], body["passed"]), (None, None))

    def test_the_deadline_is_capped_by_the_exams_closing(self):
        closes_at = self.w.exam.closes_at
        response = self.post("attempt-start", self.w.exam.pk, when=closes_at - minutes(20))
        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual(response.json()["seconds_remaining"], 20 * 60)

    def test_refusals_of_the_exams_state_are_409_with_their_codes(self):
        exam = self.w.exam
        self.assertError(
            self.post("attempt-start", exam.pk, when=exam.opens_at - minutes(1)),
            409,
            "exam_not_open",
        )
        self.assertError(
            self.post("attempt-start", exam.pk, when=exam.closes_at), 409, "exam_closed"
        )
        self.assertEqual(self.post("attempt-start", exam.pk).status_code, 201)
        self.assertError(
            self.post("attempt-start", exam.pk, when=self.t0 + minutes(59)),
            409,
            "attempt_already_running",
        )
        self.assertError(
            self.post("attempt-start", exam.pk, when=self.t0 + minutes(61)),
            409,
            "attempt_limit_reached",
        )
        self.assertEqual(ExamAttempt.objects.count(), 1)

    def test_only_active_members_may_start(self):
        removed = factories.UserFactory()
        factories.EnrollmentFactory(
            user=removed, course=self.w.course, status=Enrollment.Status.REMOVED
        )
        for user in (self.w.outsider, removed):
            with self.subTest(user=user.username):
                response = self.post("attempt-start", self.w.exam.pk, client=self.client_for(user))
                self.assertError(response, 403, "not_enrolled")
        self.assertError(self.post("attempt-start", 999_999), 404, "not_found")
        self.assertFalse(ExamAttempt.objects.exists())
        # Staff may take their own exam (to try it).
        response = self.post(
            "attempt-start", self.w.exam.pk, client=self.client_for(self.w.assistant)
        )
        self.assertEqual(response.status_code, 201, response.content)


# --- GET attempts/<id>/ -----------------------------------------------------------------------


class AttemptDetailApiTestCase(ExamApiTestCase):
    def test_the_owner_sees_the_deadline_the_problems_and_their_submissions_newest_first(self):
        attempt = self.start()
        older = judged_submission(self.w.student, self.w.problem, exam_attempt=attempt)
        newer = judged_submission(
            self.w.student, self.w.second, exam_attempt=attempt, verdict=Verdict.WRONG_ANSWER
        )
        judged_submission(self.w.student, self.w.second)  # practice: not in the attempt
        response = self.get("attempt-detail", attempt.pk, when=self.t0 + minutes(15))
        self.assertEqual(response.status_code, 200, response.content)
        body = response.json()
        self.assertEqual(body["seconds_remaining"], 45 * 60)
        self.assertEqual([p["state"] for p in body["problems"]], ["solved", "attempted"])
        self.assertEqual([s["id"] for s in body["submissions"]], [newer.pk, older.pk])
        self.assertEqual([s["feedback"] for s in body["submissions"]], ["full", "full"])
        self.assertEqual(body["submissions"][1]["status"], "accepted")
        # Points are the exam's: the problem is worth 10 here (100 in practice), and what they
        # count for is the same (the course's late policy is not the exam's).
        self.assertEqual([s["points"] for s in body["submissions"]], ["0.00", "10.00"])
        self.assertEqual([s["effective_points"] for s in body["submissions"]], ["0.00", "10.00"])

    def test_a_submission_to_a_problem_taken_out_of_the_exam_shows_no_exam_points(self):
        attempt = self.start()
        kept = judged_submission(self.w.student, self.w.second, exam_attempt=attempt)
        self.w.exam.exam_problems.filter(problem=self.w.second).delete()
        body = self.get("attempt-detail", attempt.pk).json()
        self.assertEqual([p["id"] for p in body["problems"]], [self.w.problem.pk])
        self.assertEqual([(s["id"], s["points"]) for s in body["submissions"]], [(kept.pk, "0.00")])

    def test_anyone_elses_attempt_is_not_found(self):
        attempt = self.start()
        superuser = factories.UserFactory(is_superuser=True)
        for user in (self.w.other_student, self.w.instructor, superuser):
            with self.subTest(user=user.username):
                response = self.get("attempt-detail", attempt.pk, client=self.client_for(user))
                self.assertError(response, 404, "not_found")
        self.assertError(self.get("attempt-detail", attempt.pk + 999), 404, "not_found")

    def test_extra_minutes_extend_the_seconds_remaining_and_the_submission_deadline(self):
        attempt = self.start()
        staff = self.client_for(self.w.assistant)
        response = self.post(
            "staff-attempt-extra-time", attempt.pk, data={"minutes": 15}, client=staff
        )
        self.assertEqual(response.status_code, 200, response.content)

        def remaining(when):
            body = self.get("attempt-detail", attempt.pk, when=when).json()
            return body["state"], body["seconds_remaining"]

        self.assertEqual(remaining(self.t0 + minutes(70)), ("running", 5 * 60))
        self.assertEqual(remaining(self.t0 + minutes(75) - timedelta(seconds=1)), ("running", 1))
        self.assertEqual(remaining(self.t0 + minutes(75)), ("expired", 0))
        self.assertEqual(remaining(self.t0 + timedelta(days=3)), ("expired", 0))  # never < 0
        submit = ("attempt-submission-create", attempt.pk, self.w.problem.pk)
        with mock.patch("courses.services.submissions.submission_enqueue"):
            in_time = self.post(
                *submit,
                data={"language": "python", "code": ADD},
                when=self.t0 + minutes(75) - timedelta(microseconds=1),
            )
            self.assertEqual(in_time.status_code, 202, in_time.content)
            late = self.post(
                *submit, data={"language": "python", "code": ADD}, when=self.t0 + minutes(75)
            )
        error = self.assertError(late, 409, "attempt_expired")
        self.assertIn((self.t0 + minutes(75)).isoformat(), error["message"])
        self.assertEqual(Submission.objects.filter(exam_attempt=attempt).count(), 1)
        problem_url = ("attempt-problem", attempt.pk, self.w.problem.pk)
        self.assertEqual(self.get(*problem_url, when=self.t0 + minutes(74)).status_code, 200)
        self.assertError(self.get(*problem_url, when=self.t0 + minutes(75)), 409, "attempt_expired")

    def test_an_unfinished_attempt_is_never_scored_mid_exam(self):
        # Results released, feedback full, both problems accepted: still no score while running.
        self.release_results(self.t0 - minutes(30))
        attempt = self.start()
        for problem in (self.w.problem, self.w.second):
            judged_submission(self.w.student, problem, exam_attempt=attempt)
        ExamAttempt.objects.filter(pk=attempt.pk).update(score=Decimal("15"), passed=True)
        for when in (self.t0 + minutes(30), self.t0 + minutes(90)):  # running, then expired
            with self.subTest(when=when):
                body = self.get("attempt-detail", attempt.pk, when=when).json()
                self.assertEqual(
                    (body["results_available"], body["score"], body["passed"]), (False, None, None)
                )
                self.assertEqual(
                    [s["score"] for s in body["submissions"]], ["1.0000", "1.0000"]
                )  # each verdict is shown (feedback full); the attempt is not scored
                (exam,) = self.assertPage(self.get("exam-list", self.w.course.pk, when=when))
                self.assertEqual(exam["my_attempts"][0]["score"], None)
                self.assertError(
                    self.get("attempt-results", attempt.pk, when=when), 409, "attempt_not_finished"
                )
        self.post("attempt-finish", attempt.pk, when=self.t0 + minutes(40))
        body = self.get("attempt-detail", attempt.pk, when=self.t0 + minutes(41)).json()
        self.assertEqual((body["score"], body["passed"]), ("15.00", True))

    def test_the_query_count_does_not_grow_with_problems_and_submissions(self):
        attempt = self.start()
        judged_submission(self.w.student, self.w.problem, exam_attempt=attempt)
        url = reverse("api:attempt-detail", args=[attempt.pk])
        self.client.get(url)  # the cached roles, read once
        one = self.count_queries(lambda: self.client.get(url))
        for order in range(2, 8):
            problem = problem_with_cases(chapter=self.w.chapter, is_exam_only=True)
            factories.ExamProblemFactory(exam=self.w.exam, problem=problem, order=order)
            judged_submission(self.w.student, problem, exam_attempt=attempt)
            judged_submission(self.w.student, problem, exam_attempt=attempt)
        many = self.count_queries(lambda: self.client.get(url))
        self.assertEqual(one, many)
        self.assertEqual(len(self.client.get(url).json()["submissions"]), 13)


class ExamFeedbackApiTestCase(ExamApiTestCase):
    """What a student sees of their verdicts in an attempt: the exam's ``feedback`` until the
    results are released, then everything; never a hidden case's data."""

    def setUp(self):
        super().setUp()
        self.attempt = self.start()
        self.accepted = judged_submission(self.w.student, self.w.problem, exam_attempt=self.attempt)

    def set_feedback(self, feedback):
        self.w.exam.feedback = feedback
        self.w.exam.save(update_fields=["feedback"])

    def detail(self, when=None):
        response = self.get("attempt-detail", self.attempt.pk, when=when)
        self.assertEqual(response.status_code, 200, response.content)
        return response.json()

    def assertNoHiddenData(self, response):
        for secret in (HIDDEN_INPUT, HIDDEN_OUTPUT, HIDDEN_STDERR):
            self.assertNotIn(secret, response.content.decode())

    def test_full_feedback_shows_the_verdict_and_hidden_cases_only_as_verdicts(self):
        body = self.detail()
        (submission,) = body["submissions"]
        self.assertEqual(submission["feedback"], "full")
        self.assertEqual((submission["status"], submission["score"]), ("accepted", "1.0000"))
        self.assertEqual([r["hidden"] for r in submission["results"]], [False, True])
        self.assertEqual(
            set(submission["results"][1]),
            {"order", "hidden", "verdict", "score", "subtask", "time_ms", "memory_kb"},
        )
        self.assertEqual(body["problems"][0]["state"], "solved")
        self.assertNoHiddenData(self.get("attempt-detail", self.attempt.pk))

    def test_sample_feedback_shows_sample_results_and_no_verdict_or_score(self):
        self.set_feedback("samples")
        body = self.detail()
        (submission,) = body["submissions"]
        self.assertEqual(submission["feedback"], "samples")
        self.assertEqual(submission["status"], "judged")
        for field in ("score", "points", "max_cpu_time_ms", "peak_memory_kb"):
            self.assertIsNone(submission[field], field)
        self.assertEqual([r["order"] for r in submission["results"]], [0])
        self.assertEqual(submission["results"][0]["output"], "output of case 0")
        self.assertEqual(body["problems"][0]["state"], "attempted")  # not "solved"
        self.assertNoHiddenData(self.get("attempt-detail", self.attempt.pk))

    def test_sample_feedback_shows_the_error_text_only_when_a_sample_failed_first(self):
        self.set_feedback("samples")
        sample_failed = judged_submission(
            self.w.student,
            self.w.second,
            exam_attempt=self.attempt,
            verdict=Verdict.RUNTIME_ERROR,
            error_text="Traceback: sample",
        )
        hidden_failed = judged_submission(
            self.w.student,
            self.w.second,
            exam_attempt=self.attempt,
            verdict=Verdict.WRONG_ANSWER,
            error_text="wrong answer on hidden test case 1",
        )
        SubmissionTestResult.objects.filter(submission=hidden_failed, order=0).update(
            verdict=Verdict.ACCEPTED
        )
        shown = {s["id"]: s["error_text"] for s in self.detail()["submissions"]}
        self.assertEqual(shown[sample_failed.pk], "Traceback: sample")
        self.assertEqual(shown[hidden_failed.pk], "")

    def test_a_pending_submission_says_pending_under_sample_feedback(self):
        self.set_feedback("samples")
        pending = factories.SubmissionFactory(
            user=self.w.student, problem=self.w.second, exam_attempt=self.attempt
        )
        shown = {s["id"]: s["status"] for s in self.detail()["submissions"]}
        self.assertEqual(shown[pending.pk], "pending")

    def test_no_feedback_shows_that_it_was_received_and_nothing_of_its_judging(self):
        self.set_feedback("none")
        judged_submission(
            self.w.student,
            self.w.second,
            exam_attempt=self.attempt,
            verdict=Verdict.COMPILATION_ERROR,
            compile_output="SyntaxError",
        )
        body = self.detail()
        for submission in body["submissions"]:
            self.assertEqual(submission["feedback"], "none")
            self.assertEqual(submission["status"], "received")
            self.assertEqual(submission["results"], [])
            self.assertEqual((submission["compile_output"], submission["error_text"]), ("", ""))
            for field in ("score", "points", "max_cpu_time_ms", "peak_memory_kb", "judged_at"):
                self.assertIsNone(submission[field], field)
            self.assertEqual(submission["code"], ADD)  # their own code, of course
        self.assertEqual([p["state"] for p in body["problems"]], ["attempted", "attempted"])
        self.assertNotIn(
            "SyntaxError", self.get("attempt-detail", self.attempt.pk).content.decode()
        )

    def test_everything_shows_once_the_results_are_released(self):
        self.set_feedback("none")
        self.release_results(self.t0 + minutes(10))
        before = self.detail(when=self.t0 + minutes(10) - timedelta(seconds=1))
        self.assertEqual(before["submissions"][0]["status"], "received")
        after = self.detail(when=self.t0 + minutes(10))
        self.assertEqual(after["submissions"][0]["status"], "accepted")
        self.assertEqual(after["submissions"][0]["feedback"], "full")
        self.assertEqual(after["problems"][0]["state"], "solved")


# --- GET attempts/<id>/problems/<problem_id>/ --------------------------------------------------


class AttemptProblemApiTestCase(ExamApiTestCase):
    def setUp(self):
        super().setUp()
        self.attempt = self.start()

    def read(self, problem_id=None, when=None, client=None):
        return self.get(
            "attempt-problem",
            self.attempt.pk,
            problem_id or self.w.problem.pk,
            when=when,
            client=client,
        )

    def test_the_owner_reads_the_statement_limits_languages_starter_code_and_samples_only(self):
        response = self.read()
        self.assertEqual(response.status_code, 200, response.content)
        body = response.json()
        problem = self.w.problem
        self.assertEqual(
            body,
            {
                "id": problem.pk,
                "title": "Sum",
                "statement": "Add **two** numbers.",
                "statement_html": "<p>Add <strong>two</strong> numbers.</p>\n",
                "score": "10.00",
                "time_limit_ms": problem.time_limit_ms,
                "memory_limit_kb": problem.memory_limit_kb,
                "output_limit_kb": problem.output_limit_kb,
                "allowed_languages": ["python", "c", "cpp"],
                "starter_code": {"python": "def solve(a, b):\n    pass\n"},
                "languages": [
                    {
                        "key": key,
                        "name": LANGUAGES[key].display_name,
                        "starter_code": "def solve(a, b):\n    pass\n" if key == "python" else "",
                        "time_limit_ms": problem.time_limit_ms,
                        "memory_limit_kb": problem.memory_limit_kb,
                    }
                    for key in ("python", "c", "cpp")
                ],
                "io_mode": "function",
                "entry_point": "solve",
                "samples": [{"order": 0, "input": "[1, 2]", "expected_output": "3"}],
            },
        )
        self.assertNotIn(HIDDEN_INPUT, response.content.decode())

    def test_each_language_shows_its_own_limits_as_on_the_problem_page(self):
        problem = self.w.problem
        problem.language_limits = {"cpp": {"time_multiplier": 0.5, "memory_extra_kb": 1024}}
        problem.save(update_fields=["language_limits"])
        languages = {row["key"]: row for row in self.read().json()["languages"]}
        self.assertEqual(languages["cpp"]["time_limit_ms"], round(problem.time_limit_ms / 2))
        self.assertEqual(languages["cpp"]["memory_limit_kb"], problem.memory_limit_kb + 1024)
        self.assertEqual(languages["python"]["time_limit_ms"], problem.time_limit_ms)

    def test_finished_and_expired_attempts_refuse_with_409(self):
        self.assertError(self.read(when=self.t0 + minutes(60)), 409, "attempt_expired")
        exam_attempt_finish(attempt=self.attempt, now=self.t0 + minutes(10))
        self.assertError(self.read(when=self.t0 + minutes(11)), 409, "attempt_finished")

    def test_problems_outside_the_exam_and_others_attempts_are_not_found(self):
        practice = problem_with_cases(chapter=self.w.chapter)
        self.assertError(self.read(problem_id=practice.pk), 404, "not_found")
        self.assertError(self.read(problem_id=999_999), 404, "not_found")
        other = self.client_for(self.w.other_student)
        self.assertError(self.read(client=other), 404, "not_found")
        self.assertError(self.read(client=self.client_for(self.w.instructor)), 404, "not_found")

    def test_a_student_removed_mid_exam_can_no_longer_read_it(self):
        Enrollment.objects.filter(user=self.w.student).update(status=Enrollment.Status.REMOVED)
        self.client = self.client_for(self.w.student)
        response = self.get("attempt-problem", self.attempt.pk, self.w.problem.pk)
        # The cached roles of this test's namespace were never read: the removal is seen.
        self.assertError(response, 403, "not_enrolled")

    def test_exam_only_problems_are_not_open_to_practice_submissions(self):
        response = self.post(
            "submission-create", self.w.problem.pk, data={"language": "python", "code": ADD}
        )
        self.assertError(response, 404, "not_found")


# --- POST attempts/<id>/problems/<problem_id>/submissions/ -------------------------------------


@override_settings(COURSES_JUDGE_BACKEND=backend_path(AcceptingBackend))
class AttemptSubmissionCreateApiTestCase(ApiTestMixin, TransactionTestCase):
    """Judging starts on a real commit, inline, before the response is rendered."""

    def setUp(self):
        super().setUp()
        self.t0 = timezone.now().replace(microsecond=0)
        self.w = ExamWorld(self.t0)
        self.attempt = exam_attempt_start(exam=self.w.exam, user=self.w.student, now=self.t0)
        self.client = self.client_for(self.w.student)

    def submit(self, data=None, problem_id=None, when=None):
        data = {"language": "python", "code": ADD} if data is None else data
        url = reverse(
            "api:attempt-submission-create",
            args=[self.attempt.pk, problem_id or self.w.problem.pk],
        )
        with at(when or self.t0 + minutes(1)):
            return self.client.post(url, data, format="json")

    def test_a_submission_judged_inline_is_201_and_counts_in_the_attempt(self):
        response = self.submit()
        self.assertEqual(response.status_code, 201, response.content)
        body = response.json()
        submission = Submission.objects.get()
        self.assertEqual((body["id"], submission.exam_attempt_id), (submission.pk, self.attempt.pk))
        self.assertEqual((body["status"], body["feedback"]), ("accepted", "full"))
        finished = exam_attempt_finish(attempt=self.attempt, now=self.t0 + minutes(2))
        self.assertEqual(finished.score, Decimal("10.00"))

    @override_settings(COURSES_JUDGE_BACKEND=backend_path(WrongBackend))
    def test_the_exams_feedback_rule_applies_to_the_answer(self):
        self.w.exam.feedback = "none"
        self.w.exam.save()
        response = self.submit()
        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual((response.json()["status"], response.json()["score"]), ("received", None))
        self.assertEqual(Submission.objects.get().status, Verdict.WRONG_ANSWER)

    @override_settings(COURSES_MAX_PENDING_SUBMISSIONS=1)
    def test_a_submission_not_judged_yet_is_202_and_no_pending_cap_applies(self):
        with mock.patch("courses.services.submissions.submission_enqueue") as enqueue:
            responses = [self.submit() for _ in range(3)]
        self.assertEqual([r.status_code for r in responses], [202, 202, 202])
        self.assertEqual(responses[0].json()["status"], "pending")
        self.assertEqual(enqueue.call_count, 3)
        self.assertEqual(Submission.objects.filter(status=Verdict.PENDING).count(), 3)

    def test_after_the_deadline_and_after_finishing_submissions_are_refused(self):
        error = self.assertError(self.submit(when=self.t0 + minutes(60)), 409, "attempt_expired")
        self.assertIn(self.attempt.deadline.isoformat(), error["message"])
        exam_attempt_finish(attempt=self.attempt, now=self.t0 + minutes(5))
        self.assertError(self.submit(when=self.t0 + minutes(6)), 409, "attempt_finished")
        self.assertFalse(Submission.objects.exists())

    def test_bad_input_is_400_naming_the_field_and_saves_nothing(self):
        cases = [
            ({"language": "python"}, 400, "invalid_input", {"code"}),
            ({"code": ADD}, 400, "invalid_input", {"language"}),
            ({"language": "python", "code": 42}, 400, "invalid_input", {"code"}),
            ({"language": 7, "code": ADD}, 400, "invalid_input", {"language"}),
            ({"language": "python", "code": None}, 400, "invalid_input", {"code"}),
            ({"language": "python", "code": "  \n"}, 400, "invalid_input", {"code"}),
            ({"language": "java", "code": ADD}, 400, "language_not_allowed", {"language"}),
            ({"language": "x" * 33, "code": ADD}, 400, "invalid_input", {"language"}),
            ([1, 2], 400, "invalid_input", set()),
        ]
        for data, http_status, code, fields in cases:
            with self.subTest(data=str(data)[:60]):
                self.assertError(self.submit(data), http_status, code, fields=fields)
        response = self.submit({"language": "cobol", "code": ADD})
        self.assertEqual(response.status_code, 400)  # an unknown language, whatever its code
        self.assertEqual(set(response.json()["error"]["fields"]), {"language"})
        big = {"language": "python", "code": "#" * (64 * 1024 + 1)}
        self.assertError(self.submit(big), 413, "payload_too_large", fields={"code"})
        self.assertFalse(Submission.objects.exists())

    def test_problems_outside_the_exam_and_others_attempts_are_not_found(self):
        practice = problem_with_cases(chapter=self.w.chapter)
        self.assertError(self.submit(problem_id=practice.pk), 404, "not_found")
        self.client = self.client_for(self.w.other_student)
        self.assertError(self.submit(), 404, "not_found")
        self.assertFalse(Submission.objects.exists())


# --- POST attempts/<id>/finish/ and GET attempts/<id>/results/ ---------------------------------


class AttemptFinishApiTestCase(ExamApiTestCase):
    def test_finishing_is_idempotent_and_shows_no_score_before_release(self):
        attempt = self.start()
        judged_submission(self.w.student, self.w.problem, exam_attempt=attempt)
        first = self.post("attempt-finish", attempt.pk, when=self.t0 + minutes(20))
        self.assertEqual(first.status_code, 200, first.content)
        body = first.json()
        self.assertEqual((body["state"], body["seconds_remaining"]), ("finished", 0))
        self.assertEqual((body["score"], body["passed"]), (None, None))
        again = self.post("attempt-finish", attempt.pk, when=self.t0 + minutes(30))
        self.assertEqual(again.status_code, 200)
        self.assertEqual(again.json()["finished_at"], body["finished_at"])
        attempt.refresh_from_db()
        self.assertEqual((attempt.finished_at, attempt.score), (self.t0 + minutes(20), 10))

    def test_an_attempt_finished_after_its_deadline_ended_at_the_deadline(self):
        attempt = self.start()
        self.post("attempt-finish", attempt.pk, when=self.t0 + timedelta(hours=5))
        attempt.refresh_from_db()
        self.assertEqual(attempt.finished_at, attempt.deadline)

    def test_only_the_owner_finishes(self):
        attempt = self.start()
        for user in (self.w.other_student, self.w.instructor):
            response = self.post("attempt-finish", attempt.pk, client=self.client_for(user))
            self.assertError(response, 404, "not_found")
        attempt.refresh_from_db()
        self.assertIsNone(attempt.finished_at)


class AttemptResultsApiTestCase(ExamApiTestCase):
    def finished_attempt(self, *shares_by_problem) -> ExamAttempt:
        attempt = self.start()
        for problem, share in shares_by_problem:
            factories.SubmissionFactory(
                user=self.w.student,
                problem=problem,
                exam_attempt=attempt,
                status=Verdict.ACCEPTED if share == 1 else Verdict.WRONG_ANSWER,
                score=Decimal(share),
                judged_at=self.t0,
            )
        return exam_attempt_finish(attempt=attempt, now=self.t0 + minutes(30))

    def results(self, attempt, when=None):
        return self.get("attempt-results", attempt.pk, when=when or self.t0 + timedelta(hours=3))

    def test_results_wait_for_their_release(self):
        attempt = self.finished_attempt((self.w.problem, "1"))
        self.assertError(self.results(attempt), 409, "results_not_released")
        self.release_results(self.t0 + timedelta(hours=3))
        error = self.assertError(
            self.results(attempt, when=self.t0 + timedelta(hours=3) - timedelta(seconds=1)),
            409,
            "results_not_released",
        )
        self.assertIn((self.t0 + timedelta(hours=3)).isoformat(), error["message"])
        self.assertEqual(self.results(attempt).status_code, 200)
        other = self.client_for(self.w.other_student)
        self.assertError(self.get("attempt-results", attempt.pk, client=other), 404, "not_found")

    def test_results_show_the_score_the_best_per_problem_and_every_submission_in_full(self):
        self.w.exam.feedback = "none"
        self.w.exam.passing_score = Decimal("7.50")
        self.w.exam.save()
        attempt = self.start()
        judged_submission(
            self.w.student, self.w.problem, exam_attempt=attempt, verdict=Verdict.WRONG_ANSWER
        )
        judged_submission(self.w.student, self.w.problem, exam_attempt=attempt)
        exam_attempt_finish(attempt=attempt, now=self.t0 + minutes(30))
        self.release_results(self.t0 + timedelta(hours=1))
        response = self.results(attempt)
        self.assertEqual(response.status_code, 200, response.content)
        body = response.json()
        self.assertEqual(
            {k: body[k] for k in ("score", "passed", "total_score", "passing_score")},
            {"score": "10.00", "passed": True, "total_score": "15.00", "passing_score": "7.50"},
        )
        self.assertEqual(
            [(p["id"], p["score"], p["best_score"], p["points"]) for p in body["problems"]],
            [
                (self.w.problem.pk, "10.00", "1.0000", "10.00"),
                (self.w.second.pk, "5.00", "0.0000", "0.00"),
            ],
        )
        self.assertEqual([s["status"] for s in body["submissions"]], ["accepted", "wrong_answer"])
        self.assertEqual([r["hidden"] for r in body["submissions"][0]["results"]], [False, True])
        for secret in (HIDDEN_INPUT, HIDDEN_OUTPUT, HIDDEN_STDERR):
            self.assertNotIn(secret, response.content.decode())

    def test_a_fractional_exam_problem_scores_to_the_cent(self):
        # 2.5 points × a 0.5 share = 1.25; a problem worth 0 earns 0 even when solved.
        self.w.exam_problem.score = Decimal("2.5")
        self.w.exam_problem.save()
        self.w.exam.exam_problems.filter(problem=self.w.second).update(score=Decimal("0"))
        self.w.exam.passing_score = Decimal("1.25")
        self.w.exam.save()
        attempt = self.finished_attempt((self.w.problem, "0.5"), (self.w.second, "1"))
        self.assertEqual((attempt.score, attempt.passed), (Decimal("1.25"), True))
        self.release_results(self.t0 + timedelta(hours=1))
        body = self.results(attempt).json()
        self.assertEqual((body["score"], body["passed"]), ("1.25", True))
        self.assertEqual(
            [(p["score"], p["best_score"], p["points"]) for p in body["problems"]],
            [("2.50", "0.5000", "1.25"), ("0.00", "1.0000", "0.00")],
        )
        shown = {s["problem"]["id"]: (s["score"], s["points"]) for s in body["submissions"]}
        self.assertEqual(
            shown,
            {self.w.problem.pk: ("0.5000", "1.25"), self.w.second.pk: ("1.0000", "0.00")},
        )

    def test_points_are_rounded_half_up_to_cents(self):
        # 0.05 points × a 0.5 share = 0.025: 0.03 rounded half up (half even would say 0.02).
        self.w.exam_problem.score = Decimal("0.05")
        self.w.exam_problem.save()
        attempt = self.finished_attempt((self.w.problem, "0.5"))
        self.assertEqual(attempt.score, Decimal("0.03"))
        self.release_results(self.t0 + timedelta(hours=1))
        body = self.results(attempt).json()
        self.assertEqual((body["score"], body["problems"][0]["points"]), ("0.03", "0.03"))


# --- Staff: GET staff/exams/<id>/attempts/, POST staff/attempts/<id>/extra-time/ and reopen/ ---


class StaffAttemptApiTestCase(ExamApiTestCase):
    def setUp(self):
        super().setUp()
        self.staff = self.client_for(self.w.assistant)

    def staff_list(self, when=None, **params):
        return self.get(
            "staff-attempt-list", self.w.exam.pk, when=when, client=self.staff, **params
        )

    def test_staff_see_every_attempt_with_its_student_and_filter_by_user_and_state(self):
        running = self.start(now=self.t0 + minutes(50))
        finished = self.start(user=self.w.other_student)
        exam_attempt_finish(attempt=finished, now=self.t0 + minutes(10))
        expired = self.start(user=self.w.instructor, now=self.t0 - minutes(60))
        when = self.t0 + minutes(55)
        results = self.assertPage(self.staff_list(when=when), count=3)
        self.assertEqual([a["id"] for a in results], [running.pk, finished.pk, expired.pk])
        self.assertEqual([a["state"] for a in results], ["running", "finished", "expired"])
        first = results[1]
        self.assertEqual(
            first["user"], {"id": self.w.other_student.pk, "username": "other-student"}
        )
        self.assertEqual(
            (first["score"], first["passed"]), ("0.00", True)
        )  # not released: staff see
        self.assertEqual((results[0]["score"], results[0]["passed"]), (None, None))
        self.assertEqual(results[0]["extra_time_minutes"], 0)
        for params, expected in (
            ({"state": "running"}, [running.pk]),
            ({"state": "finished"}, [finished.pk]),
            ({"state": "expired"}, [expired.pk]),
            ({"user": self.w.other_student.pk}, [finished.pk]),
            ({"user": self.w.student.pk, "state": "finished"}, []),
        ):
            with self.subTest(params=params):
                page = self.assertPage(self.staff_list(when=when, **params))
                self.assertEqual([a["id"] for a in page], expected)

    def test_bad_filters_are_400_naming_them(self):
        for params, field in (
            ({"state": "paused"}, "state"),
            ({"user": "abc"}, "user"),
            ({"user": 0}, "user"),
        ):
            with self.subTest(params=params):
                self.assertError(self.staff_list(**params), 400, "invalid_input", fields={field})

    def test_the_query_count_is_the_same_for_two_attempts_and_a_full_page(self):
        self.w.exam.max_attempts = 20
        self.w.exam.save()
        url = reverse("api:staff-attempt-list", args=[self.w.exam.pk])

        def add(n):
            for _ in range(n):
                factories.ExamAttemptFactory(
                    exam=self.w.exam, user=factories.UserFactory(), finished_at=self.t0
                )

        add(2)
        self.staff.get(url)  # the cached roles, read once
        two = self.count_queries(lambda: self.assertPage(self.staff.get(url), count=2))
        add(18)
        full = self.count_queries(lambda: self.assertPage(self.staff.get(url), count=20))
        self.assertEqual(two, full)

    def test_students_and_other_courses_staff_may_not(self):
        attempt = self.start()
        other_instructor = factories.UserFactory()
        factories.EnrollmentFactory(
            user=other_instructor, course=factories.CourseFactory(), role="instructor"
        )
        for user, list_status, attempt_status in (
            (self.w.student, 403, 403),  # their own attempt: visible, not theirs to change
            (self.w.other_student, 403, 404),
            (other_instructor, 404, 404),  # not a member: the exam is not found
        ):
            with self.subTest(user=user.username):
                client = self.client_for(user)
                response = self.get("staff-attempt-list", self.w.exam.pk, client=client)
                self.assertEqual(response.status_code, list_status)
                response = self.post(
                    "staff-attempt-extra-time", attempt.pk, data={"minutes": 5}, client=client
                )
                self.assertEqual(response.status_code, attempt_status)
        attempt.refresh_from_db()
        self.assertEqual(attempt.extra_time_minutes, 0)

    def test_extra_time_moves_the_stored_deadline_and_adds_up(self):
        attempt = self.start()
        for granted, total in ((15, 15), (5, 20)):
            response = self.post(
                "staff-attempt-extra-time", attempt.pk, data={"minutes": granted}, client=self.staff
            )
            self.assertEqual(response.status_code, 200, response.content)
            body = response.json()
            self.assertEqual(body["extra_time_minutes"], total)
            expected = self.t0 + minutes(60 + total)
            self.assertEqual(body["deadline"], expected.isoformat().replace("+00:00", "Z"))
            attempt.refresh_from_db()
            self.assertEqual(attempt.deadline, expected)

    def test_extra_time_input_is_a_whole_number_of_minutes_within_bounds(self):
        attempt = self.start()
        for data in (
            {},
            {"minutes": "15"},
            {"minutes": 0},
            {"minutes": -5},
            {"minutes": True},
            {"minutes": 1.5},
            {"minutes": None},
            {"minutes": MAX_GRANT_MINUTES + 1},
            {"minutes": 10**30},
        ):
            with self.subTest(data=data):
                response = self.post(
                    "staff-attempt-extra-time", attempt.pk, data=data, client=self.staff
                )
                self.assertError(response, 400, "invalid_input", fields={"minutes"})
        attempt.refresh_from_db()
        self.assertEqual((attempt.extra_time_minutes, attempt.deadline), (0, self.t0 + minutes(60)))

    def test_extra_time_never_carries_a_deadline_past_the_supported_range(self):
        # Grants add up; however many there are, the deadline stays an instant every zone shows.
        attempt = self.start()
        near_the_end = LATEST - minutes(MAX_GRANT_MINUTES - 1)
        ExamAttempt.objects.filter(pk=attempt.pk).update(deadline=near_the_end)
        response = self.post(
            "staff-attempt-extra-time",
            attempt.pk,
            data={"minutes": MAX_GRANT_MINUTES},
            client=self.staff,
        )
        self.assertError(response, 400, "invalid_input", fields={"minutes"})
        attempt.refresh_from_db()
        self.assertEqual((attempt.extra_time_minutes, attempt.deadline), (0, near_the_end))
        response = self.post(
            "staff-attempt-extra-time",
            attempt.pk,
            data={"minutes": MAX_GRANT_MINUTES - 1},
            client=self.staff,
        )
        self.assertEqual(response.status_code, 200, response.content)
        attempt.refresh_from_db()
        self.assertEqual(attempt.deadline, LATEST)

    def test_a_finished_attempt_gets_no_extra_time(self):
        attempt = self.start()
        exam_attempt_finish(attempt=attempt, now=self.t0 + minutes(5))
        response = self.post(
            "staff-attempt-extra-time", attempt.pk, data={"minutes": 5}, client=self.staff
        )
        self.assertError(response, 409, "attempt_finished")

    def test_reopening_gives_a_fresh_deadline_and_the_attempt_is_scored_at_its_next_finish(self):
        attempt = self.start()
        judged_submission(
            self.w.student, self.w.problem, exam_attempt=attempt, verdict=Verdict.WRONG_ANSWER
        )
        exam_attempt_finish(attempt=attempt, now=self.t0 + minutes(10))
        when = self.t0 + timedelta(hours=3)
        response = self.post(
            "staff-attempt-reopen", attempt.pk, data={"minutes": 30}, when=when, client=self.staff
        )
        self.assertEqual(response.status_code, 200, response.content)
        body = response.json()
        self.assertEqual((body["state"], body["finished_at"]), ("running", None))
        self.assertEqual(body["deadline"], (when + minutes(30)).isoformat().replace("+00:00", "Z"))
        self.assertEqual((body["score"], body["passed"]), (None, None))
        # The student works again: reads, submits, finishes; the score counts everything.
        detail = self.get("attempt-detail", attempt.pk, when=when + minutes(1)).json()
        self.assertEqual((detail["state"], detail["seconds_remaining"]), ("running", 29 * 60))
        problem = ("attempt-problem", attempt.pk, self.w.problem.pk)
        self.assertEqual(self.get(*problem, when=when + minutes(1)).status_code, 200)
        with at(when + minutes(2)):
            judged_submission(self.w.student, self.w.problem, exam_attempt=attempt)
        self.post("attempt-finish", attempt.pk, when=when + minutes(3))
        attempt.refresh_from_db()
        self.assertEqual((attempt.finished_at, attempt.score), (when + minutes(3), 10))

    def test_an_expired_unfinished_attempt_can_be_reopened(self):
        attempt = self.start()
        when = self.t0 + minutes(90)
        response = self.post(
            "staff-attempt-reopen", attempt.pk, data={"minutes": 10}, when=when, client=self.staff
        )
        self.assertEqual(response.status_code, 200, response.content)
        attempt.refresh_from_db()
        self.assertEqual((attempt.deadline, attempt.finished_at), (when + minutes(10), None))

    def test_reopening_is_refused_while_that_or_another_attempt_runs(self):
        self.w.exam.max_attempts = 2
        self.w.exam.save()
        first = self.start()
        reopen = ("staff-attempt-reopen", first.pk)
        self.assertError(
            self.post(*reopen, data={"minutes": 5}, client=self.staff), 409, "attempt_running"
        )
        exam_attempt_finish(attempt=first, now=self.t0 + minutes(5))
        second = self.start(now=self.t0 + minutes(6))
        self.assertError(
            self.post(*reopen, data={"minutes": 5}, when=self.t0 + minutes(7), client=self.staff),
            409,
            "attempt_already_running",
        )
        # Once the other attempt has run out, it is finished and the first one reopens.
        when = self.t0 + minutes(67)
        response = self.post(*reopen, data={"minutes": 5}, when=when, client=self.staff)
        self.assertEqual(response.status_code, 200, response.content)
        second.refresh_from_db()
        self.assertEqual(second.finished_at, second.deadline)

    def test_reopen_input_is_a_whole_number_of_minutes_within_bounds(self):
        attempt = self.start()
        exam_attempt_finish(attempt=attempt, now=self.t0 + minutes(5))
        for data in ({}, {"minutes": "30"}, {"minutes": 0}, {"minutes": MAX_GRANT_MINUTES + 1}):
            with self.subTest(data=data):
                response = self.post(
                    "staff-attempt-reopen", attempt.pk, data=data, client=self.staff
                )
                self.assertError(response, 400, "invalid_input", fields={"minutes"})
        response = self.client_for(self.w.assistant).post(
            reverse("api:staff-attempt-reopen", args=[attempt.pk]),
            json.dumps({"minutes": 30}),
            content_type="text/plain",
        )
        self.assertError(response, 415, "unsupported_media_type")
        attempt.refresh_from_db()
        self.assertIsNotNone(attempt.finished_at)
