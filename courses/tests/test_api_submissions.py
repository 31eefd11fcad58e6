"""Submissions over HTTP: submit (201 judged inline, 202 while queued, 429 beyond the pending
cap), list your own, read one; late marks and points; exam feedback; hidden data never shown.

Judging goes through scripted backends named in settings (no code runs), except the one class
that runs the real local sandbox. Classes that need judging on commit are
``TransactionTestCase``; in a ``TestCase`` on_commit never runs, so a submission stays pending.
"""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

from django.test import TestCase, TransactionTestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from courses import selectors
from courses.judging.backends import shared_backend
from courses.judging.types import Outcome, RunRequest, RunResult, Verdict
from courses.models import Course, Enrollment, Exam, Problem, Submission, SubmissionTestResult
from courses.tests import factories
from courses.tests.api_support import (
    ADD,
    AcceptingBackend,
    ApiTestMixin,
    UnreachableBackend,
    WrongBackend,
    backend_path,
    code_of_bytes,
    judged_submission,
    judging_queued,
    problem_with_cases,
)
from courses.tests.sandbox_fixtures import requires_sandbox
from courses.tests.scripted_backend import ScriptedBackend

SUMMARY_FIELDS = {
    "id",
    "problem",
    "exam_attempt",
    "language",
    "status",
    "feedback",
    "score",
    "points",
    "effective_points",
    "is_late",
    "late_days",
    "created_at",
    "judged_at",
}
DETAIL_FIELDS = SUMMARY_FIELDS | {
    "code",
    "max_cpu_time_ms",
    "peak_memory_kb",
    "compile_output",
    "error_text",
    "results",
    "subtasks",
}


# --- POST /api/v1/problems/<id>/submissions/ ------------------------------------------------------


@override_settings(COURSES_JUDGE_BACKEND=backend_path(AcceptingBackend))
class SubmissionCreateApiTestCase(ApiTestMixin, TransactionTestCase):
    def setUp(self):
        super().setUp()
        self.student = factories.UserFactory()
        self.problem = problem_with_cases()
        self.course = self.problem.chapter.course
        factories.EnrollmentFactory(user=self.student, course=self.course)
        self.client = self.client_for(self.student)

    def url(self, problem_id=None):
        return reverse("api:submission-create", args=[problem_id or self.problem.pk])

    def submit(self, data=None, **kwargs):
        data = {"language": "python", "code": ADD} if data is None else data
        return self.client.post(self.url(kwargs.pop("problem_id", None)), data, format="json")

    def test_judged_inline_it_is_201_with_the_final_verdict(self):
        response = self.submit()
        self.assertEqual(response.status_code, 201, response.content)
        body = response.json()
        submission = Submission.objects.get()
        self.assertEqual(set(body), DETAIL_FIELDS)
        self.assertEqual(body["id"], submission.pk)
        self.assertEqual(submission.user, self.student)
        self.assertEqual(body["problem"], {"id": self.problem.pk, "title": self.problem.title})
        self.assertEqual(body["status"], Verdict.ACCEPTED.value)  # judged inline on commit
        self.assertEqual(body["feedback"], "full")
        self.assertEqual(body["score"], "1.0000")
        self.assertEqual(Decimal(body["points"]), Decimal(self.problem.points))
        self.assertEqual(Decimal(body["effective_points"]), Decimal(self.problem.points))
        self.assertEqual((body["is_late"], body["late_days"]), (False, 0))
        self.assertIsNone(body["exam_attempt"])
        self.assertIsNotNone(body["judged_at"])
        self.assertEqual(body["code"], ADD)
        self.assertEqual([r["hidden"] for r in body["results"]], [False, True])
        progress = selectors.course_progress_summary(
            user_id=self.student.pk, course_id=self.course.pk
        )
        self.assertEqual(progress.solved, 1)

    @override_settings(COURSES_JUDGE_BACKEND=backend_path(WrongBackend))
    def test_a_wrong_answer_is_a_201_value_not_an_http_error(self):
        response = self.submit()
        self.assertEqual(response.status_code, 201)
        self.assertEqual(response.json()["status"], Verdict.WRONG_ANSWER.value)
        self.assertEqual(response.json()["score"], "0.0000")

    @override_settings(COURSES_JUDGE_BACKEND=backend_path(UnreachableBackend))
    def test_an_unreachable_judge_queues_the_submission_and_never_fails_the_request(self):
        """Inline judging never fails the request that enqueued it (docs/decisions.md): an
        outage leaves the submission pending with a retry_at, for the periodic requeue
        (issue 12); the reason, naming hosts, is for the staff."""
        response = self.submit()
        self.assertEqual(response.status_code, 202)
        body = response.json()
        self.assertEqual(body["status"], Verdict.PENDING.value)
        self.assertEqual(body["results"], [])
        self.assertNotIn("connection refused", response.content.decode())
        row = Submission.objects.get()
        self.assertIn("connection refused", row.retry_reason)
        self.assertIsNotNone(row.retry_at)

    @override_settings(
        COURSES_JUDGE_BACKEND=backend_path(UnreachableBackend),
        COURSES_JUDGE_RETRY_MAX_AGE_SECONDS=0,
    )
    def test_an_unreachable_judge_past_the_maximum_age_ends_internal_error_not_the_request(self):
        """Past the maximum age of retries an outage ends the submission internal_error."""
        response = self.submit()
        self.assertEqual(response.status_code, 201)
        body = response.json()
        self.assertEqual(body["status"], Verdict.INTERNAL_ERROR.value)
        self.assertEqual(body["results"], [])
        # The student learns it was not their code; the reason, naming hosts, is for the staff.
        self.assertIn("not your code", body["error_text"])
        self.assertNotIn("connection refused", body["error_text"])
        self.assertIn("connection refused", Submission.objects.get().error_text)

    def test_logged_out_users_get_403_not_authenticated_and_nothing_is_saved(self):
        self.client = self.client_for(None)
        self.assertError(self.submit(), 403, "not_authenticated", fields={})
        self.assertFalse(Submission.objects.exists())

    def test_users_not_enrolled_or_dropped_get_403_not_enrolled(self):
        self.client = self.client_for(factories.UserFactory())
        self.assertError(self.submit(), 403, "not_enrolled", fields={"course"})
        enrollment = Enrollment.objects.get(user=self.student)
        enrollment.status = Enrollment.Status.DROPPED
        enrollment.save()  # its signal clears the cached course list on commit
        self.client = self.client_for(self.student)
        self.assertError(self.submit(), 403, "not_enrolled")
        self.assertFalse(Submission.objects.exists())

    def test_missing_draft_archived_exam_only_and_unpublished_problems_are_not_found(self):
        cases = {
            "missing": {},
            "draft": {"is_visible": False},
            "archived": {"is_archived": True},
            "exam only": {"is_exam_only": True},
        }
        for name, changes in cases.items():
            with self.subTest(name):
                problem = problem_with_cases(chapter=self.problem.chapter, **changes)
                problem_id = problem.pk + 1000 if name == "missing" else problem.pk
                self.assertError(self.submit(problem_id=problem_id), 404, "not_found")
        self.course.is_published = False
        self.course.save()
        self.assertError(self.submit(), 404, "not_found")
        self.assertFalse(Submission.objects.exists())

    def test_invalid_input_gives_the_error_shape_with_the_field_named(self):
        cases = [
            ({"language": "python"}, 400, "invalid_input", {"code"}),
            ({"code": ADD}, 400, "invalid_input", {"language"}),
            ({"language": "python", "code": ["not", "text"]}, 400, "invalid_input", {"code"}),
            ({"language": "python", "code": "   \n"}, 400, "invalid_input", {"code"}),
            ({"language": "python", "code": "x\x00"}, 400, "invalid_input", {"code"}),
            ({"language": "x" * 33, "code": ADD}, 400, "invalid_input", {"language"}),
            ([1, 2], 400, "invalid_input", set()),
        ]
        for data, http_status, code, fields in cases:
            with self.subTest(data=str(data)[:60]):
                self.assertError(self.submit(data), http_status, code, fields=fields)
        self.assertFalse(Submission.objects.exists())

    def test_wrong_json_types_are_400_naming_the_field_and_nothing_runs(self):
        backend = shared_backend()
        before = len(backend.requests)
        cases = [
            ({"language": "python", "code": 42}, "code"),
            ({"language": "python", "code": True}, "code"),
            ({"language": "python", "code": None}, "code"),
            ({"language": "python", "code": {"print": 1}}, "code"),
            ({"language": 42, "code": ADD}, "language"),
            ({"language": ["python"], "code": ADD}, "language"),
            ({"language": None, "code": ADD}, "language"),
        ]
        for data, field in cases:
            with self.subTest(data=data):
                self.assertError(self.submit(data), 400, "invalid_input", fields={field})
        self.assertFalse(Submission.objects.exists())
        self.assertEqual(len(backend.requests), before)  # ``{"code": 42}`` never ran ``42``

    def test_an_unknown_language_and_a_language_the_problem_does_not_allow_differ(self):
        error = self.assertError(
            self.submit({"language": "cobol", "code": ADD}),
            400,
            "unknown_language",
            fields={"language"},
        )
        self.assertIn("cobol", error["message"])
        self.assertNotIn("java", self.problem.allowed_languages)  # in the platform's table
        error = self.assertError(
            self.submit({"language": "java", "code": ADD}),
            400,
            "language_not_allowed",
            fields={"language"},
        )
        self.assertIn("python", error["fields"]["language"])
        self.assertFalse(Submission.objects.exists())

    def test_code_of_exactly_the_maximum_size_is_accepted_and_one_byte_more_is_413(self):
        for limit in (64 * 1024, 1000):
            with self.subTest(limit=limit), override_settings(COURSES_MAX_SOURCE_BYTES=limit):
                response = self.submit({"language": "python", "code": code_of_bytes(limit)})
                self.assertEqual(response.status_code, 201, response.content[:300])
                count = Submission.objects.count()
                error = self.assertError(
                    self.submit({"language": "python", "code": code_of_bytes(limit + 1)}),
                    413,
                    "payload_too_large",
                    fields={"code"},
                )
                self.assertIn(str(limit), error["message"])
                self.assertEqual(Submission.objects.count(), count)

    def test_an_oversized_body_is_413_before_it_is_parsed(self):
        body = json.dumps({"language": "python", "code": ADD, "padding": "x" * 300_000})
        response = self.client.post(self.url(), body, content_type="application/json")
        self.assertError(response, 413, "payload_too_large", fields={})
        self.assertFalse(Submission.objects.exists())

    @override_settings(COURSES_API_MAX_BODY_BYTES=100)
    def test_the_body_limit_is_the_setting_and_a_body_at_the_limit_passes(self):
        body = json.dumps({"language": "python", "code": ADD})
        at_limit = body[:-1] + " " * (100 - len(body)) + "}"
        self.assertEqual(len(at_limit), 100)
        response = self.client.post(self.url(), at_limit, content_type="application/json")
        self.assertEqual(response.status_code, 201, response.content)
        over = at_limit[:-1] + " }"
        response = self.client.post(self.url(), over, content_type="application/json")
        self.assertError(response, 413, "payload_too_large")

    def test_malformed_bodies_are_400_malformed_json(self):
        bodies = [
            b'{"language": "python", "code": ',
            b"{'language': 'python'}",
            b'{"language": "python", "code": NaN}',
            b'{"language": "python", "code": "\xff\xfe"}',
            # Nested past the parser's recursion (a RecursionError, not a ValueError): 2 KB.
            b"[" * 1000 + b"]" * 1000,
            b'{"a": ' * 1000 + b"1" + b"}" * 1000,
        ]
        for body in bodies:
            with self.subTest(body=body):
                response = self.client.post(self.url(), body, content_type="application/json")
                self.assertError(response, 400, "malformed_json", fields={})
        self.assertFalse(Submission.objects.exists())

    def test_other_media_types_and_methods_are_refused_in_the_shape(self):
        response = self.client.post(self.url(), {"language": "python", "code": ADD})  # a form
        self.assertError(response, 415, "unsupported_media_type")
        self.assertError(self.client.get(self.url()), 405, "method_not_allowed")
        self.assertError(self.client.get("/api/no/such/thing/"), 404, "not_found")
        self.assertError(self.client_for(None).get("/api/nothing/"), 404, "not_found")
        self.assertFalse(Submission.objects.exists())


@override_settings(COURSES_JUDGE_BACKEND=backend_path(AcceptingBackend))
class SubmissionQueuedJudgingApiTestCase(ApiTestMixin, TransactionTestCase):
    """Judging as at scale: the task waits in a broker until the test releases it."""

    def setUp(self):
        super().setUp()
        self.student = factories.UserFactory()
        self.problem = problem_with_cases()
        factories.EnrollmentFactory(user=self.student, course=self.problem.chapter.course)
        self.client = self.client_for(self.student)

    def test_a_queued_submission_is_202_pending_until_a_worker_judges_it(self):
        url = reverse("api:submission-create", args=[self.problem.pk])
        with judging_queued() as queue:
            response = self.client.post(url, {"language": "python", "code": ADD}, format="json")
            self.assertEqual(response.status_code, 202, response.content)
            body = response.json()
            self.assertEqual(body["status"], "pending")
            self.assertEqual((body["results"], body["judged_at"]), ([], None))
            detail_url = reverse("api:submission-detail", args=[body["id"]])
            self.assertEqual(self.client.get(detail_url).json()["status"], "pending")
            listed = self.assertPage(self.client.get(reverse("api:submission-list")), 1)
            self.assertEqual(listed[0]["status"], "pending")
            # The worker's turn: the one message enqueued is this submission's judging.
            self.assertEqual(queue.release(), [body["id"]])
        detail = self.client.get(detail_url)
        self.assertEqual(detail.status_code, 200)
        self.assertEqual(detail.json()["status"], "accepted")
        self.assertIsNotNone(detail.json()["judged_at"])
        self.assertEqual(len(detail.json()["results"]), 2)


# --- The pending cap ------------------------------------------------------------------------------


@override_settings(COURSES_JUDGE_BACKEND=backend_path(AcceptingBackend))
class SubmissionPendingCapApiTestCase(ApiTestMixin, TestCase):
    """A ``TestCase``: on_commit never runs, so every submission stays pending (202)."""

    def setUp(self):
        super().setUp()
        self.student = factories.UserFactory()
        self.problem = problem_with_cases()
        factories.EnrollmentFactory(user=self.student, course=self.problem.chapter.course)
        self.client = self.client_for(self.student)

    def submit(self, client=None):
        url = reverse("api:submission-create", args=[self.problem.pk])
        return (client or self.client).post(url, {"language": "python", "code": ADD}, format="json")

    @override_settings(COURSES_MAX_PENDING_SUBMISSIONS=2)
    def test_beyond_the_cap_of_waiting_submissions_is_429_too_many_pending_and_nothing_saved(self):
        first, second = (self.submit().json()["id"] for _ in range(2))
        response = self.submit()
        error = self.assertError(response, 429, "too_many_pending", fields={})
        self.assertIn("2", error["message"])
        self.assertGreaterEqual(int(response["Retry-After"]), 1)
        self.assertEqual(Submission.objects.count(), 2)
        # One being judged still waits; once one has its verdict, there is room again.
        Submission.objects.filter(pk=first).update(status=Verdict.JUDGING)
        self.assertError(self.submit(), 429, "too_many_pending")
        Submission.objects.filter(pk=second).update(status=Verdict.WRONG_ANSWER)
        self.assertEqual(self.submit().status_code, 202)
        self.assertError(self.submit(), 429, "too_many_pending")

    @override_settings(COURSES_MAX_PENDING_SUBMISSIONS=1)
    def test_the_cap_is_per_user(self):
        self.assertEqual(self.submit().status_code, 202)
        other = factories.UserFactory()
        factories.EnrollmentFactory(user=other, course=self.problem.chapter.course)
        self.assertEqual(self.submit(self.client_for(other)).status_code, 202)
        self.assertError(self.submit(), 429, "too_many_pending")


# --- Late submissions -----------------------------------------------------------------------------


@override_settings(COURSES_JUDGE_BACKEND=backend_path(AcceptingBackend))
class SubmissionLateApiTestCase(ApiTestMixin, TransactionTestCase):
    def setUp(self):
        super().setUp()
        self.student = factories.UserFactory()
        self.client = self.client_for(self.student)

    def problem(self, *, policy, due_at=None, chapter_due_at=None):
        course = factories.CourseFactory(late_policy=policy, late_penalty_percent_per_day=25)
        chapter = factories.ChapterFactory(course=course, due_at=chapter_due_at)
        factories.EnrollmentFactory(user=self.student, course=course)
        return problem_with_cases(chapter=chapter, due_at=due_at, points=80)

    def submit(self, problem):
        url = reverse("api:submission-create", args=[problem.pk])
        response = self.client.post(url, {"language": "python", "code": ADD}, format="json")
        self.assertEqual(response.status_code, 201, response.content)
        return response.json()

    def test_after_the_due_date_it_is_accepted_marked_late_and_scored_by_the_policy(self):
        two_days_late = timezone.now() - timedelta(days=1, hours=1)
        expected = {"none": "80.0000", "penalty": "40.0000", "not_counted": "0.0000"}
        for policy, effective_points in expected.items():
            with self.subTest(policy=policy):
                problem = self.problem(policy=policy, due_at=two_days_late)
                body = self.submit(problem)
                self.assertEqual(body["status"], "accepted")
                self.assertEqual((body["is_late"], body["late_days"]), (True, 2))
                self.assertEqual((body["score"], body["points"]), ("1.0000", "80.0000"))
                self.assertEqual(body["effective_points"], effective_points)
                detail = self.client.get(reverse("api:submission-detail", args=[body["id"]]))
                self.assertEqual(detail.json()["effective_points"], effective_points)
                summary = selectors.course_progress_summary(
                    user_id=self.student.pk, course_id=problem.chapter.course_id
                )
                self.assertEqual(summary.solved, 1)  # solved, late or not
                self.assertEqual(summary.total_points, Decimal(effective_points))

    def test_before_the_due_date_or_without_one_it_is_on_time(self):
        for due_at in (timezone.now() + timedelta(minutes=5), None):
            with self.subTest(due_at=due_at):
                body = self.submit(self.problem(policy="not_counted", due_at=due_at))
                self.assertEqual((body["is_late"], body["late_days"]), (False, 0))
                self.assertEqual(body["effective_points"], "80.0000")

    def test_the_chapters_due_date_applies_when_the_problem_has_none(self):
        past = timezone.now() - timedelta(hours=1)
        body = self.submit(self.problem(policy="penalty", chapter_due_at=past))
        self.assertEqual((body["is_late"], body["late_days"]), (True, 1))
        self.assertEqual(body["effective_points"], "60.0000")
        # The problem's own due date wins over its chapter's.
        future = timezone.now() + timedelta(days=1)
        body = self.submit(self.problem(policy="penalty", due_at=future, chapter_due_at=past))
        self.assertEqual((body["is_late"], body["late_days"]), (False, 0))


# --- GET /api/v1/submissions/ --------------------------------------------------------------------


class SubmissionListApiTestCase(ApiTestMixin, TestCase):
    def setUp(self):
        super().setUp()
        self.url = reverse("api:submission-list")
        self.student = factories.UserFactory()
        self.problem = problem_with_cases(title="Sum")
        self.course = self.problem.chapter.course
        self.other_problem = problem_with_cases(title="Other")
        self.client = self.client_for(self.student)

    def listed(self, **query):
        return self.assertPage(self.client.get(self.url, query))

    def test_my_own_submissions_newest_first_with_their_summary(self):
        wrong = judged_submission(self.student, self.problem, verdict=Verdict.WRONG_ANSWER)
        right = judged_submission(self.student, self.problem)
        elsewhere = factories.SubmissionFactory(user=self.student, problem=self.other_problem)
        judged_submission(factories.UserFactory(), self.problem)  # someone else's
        rows = self.assertPage(self.client.get(self.url), 3)
        self.assertEqual([r["id"] for r in rows], [elsewhere.pk, right.pk, wrong.pk])
        self.assertEqual(set(rows[1]), SUMMARY_FIELDS)  # no code, no per-case results
        self.assertEqual(
            rows[1],
            {
                "id": right.pk,
                "problem": {"id": self.problem.pk, "title": "Sum"},
                "exam_attempt": None,
                "language": "python",
                "status": "accepted",
                "feedback": "full",
                "score": "1.0000",
                "points": "100.0000",
                "effective_points": "100.0000",
                "is_late": False,
                "late_days": 0,
                "created_at": rows[1]["created_at"],
                "judged_at": rows[1]["judged_at"],
            },
        )
        self.assertIsNotNone(rows[1]["judged_at"])
        self.assertEqual((rows[0]["status"], rows[0]["judged_at"]), ("pending", None))

    def test_filters_by_problem_course_and_status(self):
        wrong = judged_submission(self.student, self.problem, verdict=Verdict.WRONG_ANSWER)
        right = judged_submission(self.student, self.problem)
        elsewhere = judged_submission(self.student, self.other_problem)
        ids = lambda rows: [r["id"] for r in rows]  # noqa: E731
        self.assertEqual(ids(self.listed(problem=self.problem.pk)), [right.pk, wrong.pk])
        self.assertEqual(ids(self.listed(course=self.course.pk)), [right.pk, wrong.pk])
        self.assertEqual(ids(self.listed(status="accepted")), [elsewhere.pk, right.pk])
        self.assertEqual(ids(self.listed(status="accepted", problem=self.problem.pk)), [right.pk])
        self.assertEqual(ids(self.listed(status="wrong_answer")), [wrong.pk])
        self.assertEqual(ids(self.listed(status="pending")), [])
        self.assertEqual(ids(self.listed(problem=self.problem.pk + 1000)), [])
        # An empty parameter is no filter, as in an HTML form.
        self.assertEqual(len(self.listed(status="", problem="")), 3)

    def test_bad_filters_are_400_naming_the_parameter(self):
        cases = [
            ({"problem": "abc"}, "problem"),
            ({"problem": "0"}, "problem"),
            ({"course": "-1"}, "course"),
            # Past a 64-bit key: refused, never looked up (SQLite cannot even bind it).
            ({"problem": "9223372036854775808"}, "problem"),
            ({"course": "99999999999999999999"}, "course"),
            ({"status": "exploded"}, "status"),
            ({"status": "Accepted"}, "status"),
        ]
        for query, field in cases:
            with self.subTest(query=query):
                response = self.client.get(self.url, query)
                self.assertError(response, 400, "invalid_input", fields={field})

    def test_pages_follow_the_page_size_and_a_page_past_the_end_is_404(self):
        made = [
            factories.SubmissionFactory(user=self.student, problem=self.problem) for _ in range(5)
        ]
        newest_first = [s.pk for s in reversed(made)]
        body = self.client.get(self.url, {"page_size": 2, "page": 2}).json()
        self.assertEqual(body["count"], 5)
        self.assertEqual([r["id"] for r in body["results"]], newest_first[2:4])
        self.assertIsNotNone(body["next"])
        self.assertIsNotNone(body["previous"])
        self.assertError(self.client.get(self.url, {"page": 9}), 404, "not_found")

    def test_malformed_page_parameters_are_400_naming_them_on_every_list(self):
        factories.SubmissionFactory(user=self.student, problem=self.problem)
        lists = [self.url, reverse("api:course-list"), reverse("api:my-course-list")]
        cases = [
            ({"page": "abc"}, "page"),
            ({"page": "0"}, "page"),
            ({"page": "-1"}, "page"),
            ({"page": "last"}, "page"),
            ({"page_size": "abc"}, "page_size"),
            ({"page_size": "0"}, "page_size"),
            ({"page_size": "101"}, "page_size"),
        ]
        for url in lists:
            for query, field in cases:
                with self.subTest(url=url, query=query):
                    response = self.client.get(url, query)
                    self.assertError(response, 400, "invalid_input", fields={field})
            with self.subTest(url=url, query="the largest page size"):
                self.assertEqual(self.client.get(url, {"page_size": "100"}).status_code, 200)

    def test_queries_are_the_same_for_two_rows_and_a_full_page(self):
        def submissions_in_new_courses(count):
            for index in range(count):
                problem = problem_with_cases(
                    chapter=factories.ChapterFactory(due_at=timezone.now() - timedelta(days=1))
                )
                exam = factories.ExamFactory(course=problem.chapter.course, feedback="samples")
                attempt = factories.ExamAttemptFactory(exam=exam, user=self.student)
                judged_submission(
                    self.student,
                    problem,
                    exam_attempt=attempt if index % 2 else None,
                    is_late=not index % 2,
                    late_days=1,
                )

        def list_once():
            self.assertEqual(self.client.get(self.url).status_code, 200)

        submissions_in_new_courses(2)
        list_once()  # warm the session and the caches
        two = self.count_queries(list_once)
        submissions_in_new_courses(18)
        self.assertEqual(len(self.assertPage(self.client.get(self.url), 20)), 20)
        self.assertEqual(self.count_queries(list_once), two)

    def test_exam_submissions_show_what_the_exam_feedback_allows_and_filters_keep_it(self):
        def exam_submission(feedback, verdict=Verdict.ACCEPTED):
            exam = factories.ExamFactory(course=self.course, feedback=feedback)
            problem = problem_with_cases(chapter=self.problem.chapter, is_exam_only=True)
            attempt = factories.ExamAttemptFactory(exam=exam, user=self.student)
            return judged_submission(self.student, problem, exam_attempt=attempt, verdict=verdict)

        samples = exam_submission("samples")
        none = exam_submission("none")
        full = exam_submission("full", Verdict.WRONG_ANSWER)
        rows = {r["id"]: r for r in self.listed()}
        self.assertEqual(
            [rows[s.pk]["status"] for s in (samples, none, full)],
            ["judged", "received", "wrong_answer"],
        )
        self.assertEqual(rows[samples.pk]["feedback"], "samples")
        for key in ("score", "points", "effective_points"):
            self.assertIsNone(rows[samples.pk][key], key)
            self.assertIsNone(rows[none.pk][key], key)
        self.assertIsNotNone(rows[samples.pk]["judged_at"])
        self.assertIsNone(rows[none.pk]["judged_at"])
        self.assertEqual(rows[full.pk]["score"], "0.0000")
        # Filtering by a verdict never finds a submission whose verdict is withheld.
        ids = lambda **query: [r["id"] for r in self.listed(**query)]  # noqa: E731
        self.assertEqual(ids(status="accepted"), [])
        self.assertEqual(ids(status="judged"), [samples.pk])
        self.assertEqual(ids(status="received"), [none.pk])
        self.assertEqual(ids(status="wrong_answer"), [full.pk])
        # From the release on, everything shows, and is found by its verdict.
        Exam.objects.update(results_released_at=timezone.now() - timedelta(seconds=1))
        self.assertEqual(ids(status="accepted"), [none.pk, samples.pk])
        self.assertEqual(ids(status="judged") + ids(status="received"), [])

    def test_an_exam_submission_earns_the_exam_points_in_the_list_and_its_detail(self):
        """Worth 100 in practice and 10 in the exam: a full score shows 10, never 100 (an exam
        is not under the course's late policy either)."""
        self.problem.points = 100
        self.problem.save(update_fields=["points"])
        exam = factories.ExamFactory(course=self.course, feedback="full")
        factories.ExamProblemFactory(exam=exam, problem=self.problem, score=Decimal("10"))
        attempt = factories.ExamAttemptFactory(exam=exam, user=self.student)
        in_exam = judged_submission(self.student, self.problem, exam_attempt=attempt)
        practice = judged_submission(self.student, self.problem)
        rows = {r["id"]: r for r in self.listed()}
        detail = self.client.get(reverse("api:submission-detail", args=[in_exam.pk])).json()
        for shown in (rows[in_exam.pk], detail):
            with self.subTest(shown="detail" if "code" in shown else "list"):
                self.assertEqual((shown["points"], shown["effective_points"]), ("10.0000",) * 2)
        self.assertEqual(rows[practice.pk]["points"], "100.0000")
        # Taken out of the exam, the problem no longer counts in it.
        exam.exam_problems.all().delete()
        self.assertEqual({r["id"]: r["points"] for r in self.listed()}[in_exam.pk], "0.0000")

    def test_a_pending_exam_submission_with_samples_feedback_shows_pending(self):
        exam = factories.ExamFactory(course=self.course, feedback="samples")
        attempt = factories.ExamAttemptFactory(exam=exam, user=self.student)
        waiting = factories.SubmissionFactory(
            user=self.student, problem=self.problem, exam_attempt=attempt
        )
        self.assertEqual([r["status"] for r in self.listed()], ["pending"])
        self.assertEqual([r["id"] for r in self.listed(status="pending")], [waiting.pk])

    def test_logged_out_users_get_403_not_authenticated(self):
        self.assertError(self.client_for(None).get(self.url), 403, "not_authenticated")


# --- GET /api/v1/submissions/<id>/ ---------------------------------------------------------------


class SubmissionDetailApiTestCase(ApiTestMixin, TestCase):
    def setUp(self):
        super().setUp()
        self.student = factories.UserFactory()
        self.problem = problem_with_cases()
        self.submission = self.judged_submission(self.student)
        self.client = self.client_for(self.student)

    def judged_submission(self, user, cases=None, problem=None, **kwargs):
        problem = problem or self.problem
        submission = factories.SubmissionFactory(
            user=user,
            problem=problem,
            status=Verdict.WRONG_ANSWER,
            score=Decimal("0.5"),
            error_text="wrong answer on hidden test case 1",
            compile_output="compiled fine",
            max_cpu_time_ms=12,
            peak_memory_kb=3400,
            judged_at=timezone.now(),
            **kwargs,
        )
        for case in cases or problem.test_cases.all():
            submission.test_results.create(
                test_case=case,
                order=case.order,
                verdict=Verdict.ACCEPTED if case.is_sample else Verdict.WRONG_ANSWER,
                score=Decimal(1 if case.is_sample else 0),
                cpu_time_ms=12,
                memory_kb=3400,
                output="3\n" if case.is_sample else "hidden output",
                error_output="" if case.is_sample else "hidden stderr",
            )
        return submission

    def url(self, submission_id=None):
        return reverse("api:submission-detail", args=[submission_id or self.submission.pk])

    def test_the_owner_sees_each_case_and_hidden_cases_show_only_verdict_time_memory(self):
        response = self.client.get(self.url())
        self.assertEqual(response.status_code, 200)
        body = response.json()
        self.assertEqual(set(body), DETAIL_FIELDS)
        self.assertEqual(body["status"], "wrong_answer")
        self.assertEqual(body["score"], "0.5000")
        self.assertEqual(body["points"], "50.0000")
        self.assertEqual(body["effective_points"], "50.0000")
        self.assertEqual((body["is_late"], body["late_days"]), (False, 0))
        sample, hidden = body["results"]
        self.assertEqual(
            sample,
            {
                "order": 0,
                "hidden": False,
                "verdict": "accepted",
                "score": "1.0000",
                "subtask": None,
                "time_ms": 12,
                "memory_kb": 3400,
                "message": "",
                "input": "[1, 2]",
                "expected_output": "3",
                "output": "3\n",
                "error_output": "",
            },
        )
        self.assertEqual(
            hidden,
            {
                "order": 1,
                "hidden": True,
                "verdict": "wrong_answer",
                "score": "0.0000",
                "subtask": None,
                "time_ms": 12,
                "memory_kb": 3400,
            },
        )
        for secret in (b"[1, 2] hidden", b"hidden output", b"hidden stderr"):
            self.assertNotIn(secret, response.content)

    def test_a_late_submission_shows_its_days_and_the_points_it_counts_for(self):
        Course.objects.filter(pk=self.problem.chapter.course_id).update(
            late_policy="penalty", late_penalty_percent_per_day=Decimal("12.5")
        )
        late = self.judged_submission(self.student, is_late=True, late_days=3)
        body = self.client.get(self.url(late.pk)).json()
        self.assertEqual((body["is_late"], body["late_days"]), (True, 3))
        self.assertEqual(body["points"], "50.0000")
        self.assertEqual(body["effective_points"], "31.2500")  # 50 × (1 − 3 × 12.5 %)

    def test_a_result_whose_case_was_deleted_shows_as_hidden(self):
        self.problem.test_cases.filter(order=0).delete()
        sample = self.client.get(self.url()).json()["results"][0]
        self.assertEqual(
            set(sample),
            {"order", "hidden", "verdict", "score", "subtask", "time_ms", "memory_kb"},
        )

    def test_queries_do_not_grow_with_the_number_of_cases(self):
        many = problem_with_cases()
        for order in range(2, 12):
            factories.ProblemTestCaseFactory(problem=many, order=order, is_sample=order % 2 == 0)
        many_submission = self.judged_submission(self.student, problem=many)

        def read(submission):
            return lambda: self.assertEqual(
                self.client.get(self.url(submission.pk)).status_code, 200
            )

        read(self.submission)()  # warm the session
        self.assertEqual(
            self.count_queries(read(self.submission)), self.count_queries(read(many_submission))
        )

    def test_other_users_submissions_and_missing_ones_are_not_found(self):
        other = self.judged_submission(factories.UserFactory())
        self.assertError(self.client.get(self.url(other.pk)), 404, "not_found", fields={})
        self.assertError(self.client.get(self.url(other.pk + 1000)), 404, "not_found")

    def test_logged_out_users_get_403_not_authenticated(self):
        self.assertError(self.client_for(None).get(self.url()), 403, "not_authenticated")

    # Exam submissions: the exam's feedback rule -------------------------------------------------

    def exam_submission(self, feedback, **exam_fields):
        exam = factories.ExamFactory(
            course=self.problem.chapter.course, feedback=feedback, **exam_fields
        )
        attempt = factories.ExamAttemptFactory(exam=exam, user=self.student)
        return self.judged_submission(self.student, exam_attempt=attempt)

    def test_full_feedback_shows_an_exam_submission_as_any_other(self):
        body = self.client.get(self.url(self.exam_submission("full").pk)).json()
        self.assertEqual(
            (body["status"], body["feedback"], body["score"]), ("wrong_answer", "full", "0.5000")
        )
        self.assertEqual([r["hidden"] for r in body["results"]], [False, True])
        self.assertEqual(body["error_text"], "wrong answer on hidden test case 1")

    def test_samples_feedback_shows_only_the_samples_results_and_no_verdict_or_score(self):
        submission = self.exam_submission("samples")
        response = self.client.get(self.url(submission.pk))
        body = response.json()
        self.assertEqual(set(body), DETAIL_FIELDS)
        self.assertEqual((body["status"], body["feedback"]), ("judged", "samples"))
        for key in ("score", "points", "effective_points", "max_cpu_time_ms", "peak_memory_kb"):
            self.assertIsNone(body[key], key)
        self.assertEqual(body["error_text"], "")
        self.assertEqual(body["compile_output"], "compiled fine")
        self.assertEqual([(r["order"], r["hidden"]) for r in body["results"]], [(0, False)])
        self.assertEqual(body["exam_attempt"], submission.exam_attempt_id)
        self.assertNotIn(b"wrong_answer", response.content)
        self.assertNotIn(b"hidden test case", response.content)

    def test_no_feedback_shows_only_that_it_was_received(self):
        submission = self.exam_submission("none")
        response = self.client.get(self.url(submission.pk))
        body = response.json()
        self.assertEqual((body["status"], body["feedback"]), ("received", "none"))
        self.assertEqual(body["results"], [])
        self.assertEqual(
            (body["judged_at"], body["error_text"], body["compile_output"]), (None, "", "")
        )
        for key in ("score", "points", "effective_points", "max_cpu_time_ms", "peak_memory_kb"):
            self.assertIsNone(body[key], key)
        self.assertEqual(body["code"], ADD)  # their own code, as they sent it
        self.assertNotIn(b"wrong_answer", response.content)
        self.assertNotIn(b"accepted", response.content)

    def test_released_results_show_everything_from_the_release_on(self):
        soon = timezone.now() + timedelta(hours=1)
        submission = self.exam_submission("none", results_released_at=soon)
        self.assertEqual(self.client.get(self.url(submission.pk)).json()["status"], "received")
        Exam.objects.update(results_released_at=timezone.now() - timedelta(seconds=1))
        body = self.client.get(self.url(submission.pk)).json()
        self.assertEqual((body["status"], body["feedback"]), ("wrong_answer", "full"))
        self.assertEqual(len(body["results"]), 2)


# --- Hidden test data never leaves the server ----------------------------------------------------

HIDDEN_INPUT = '["HIDDEN-IN-5e1d", 2]'
HIDDEN_EXPECTED = '"HIDDEN-OUT-77b9"'
SECRETS = (b"HIDDEN-IN", b"HIDDEN-OUT")

#: Prints its arguments (to the real stdout: the harness sends ``print`` to stderr) and raises
#: with them, except on the sample, which it gets right.
LEAKY_FUNCTION = (
    "import sys\n"
    "def solve(a, b):\n"
    "    if a == 'SAMPLE-IN':\n"
    "        return 'SAMPLE-OUT'\n"
    "    print('ARGS', a, b, file=sys.__stdout__, flush=True)\n"
    "    print('ERR', a, b, file=sys.stderr)\n"
    "    raise ValueError(a, b)\n"
)
#: Prints its stdin and raises with it, except on the sample.
LEAKY_STDIO = (
    "import sys\n"
    "data = sys.stdin.read()\n"
    "if 'SAMPLE-IN' in data:\n"
    "    print('SAMPLE-OUT')\n"
    "else:\n"
    "    print(data)\n"
    "    raise ValueError(data)\n"
)


def echo(request: RunRequest) -> RunResult:
    """What the leaky programs do, scripted: echo stdin to stdout and stderr, and fail."""
    if request.stdin == b"SAMPLE-IN":  # the stdio problem's sample
        return RunResult(outcome=Outcome.OK, stdout=b"SAMPLE-OUT\n")
    if b"SAMPLE-IN" in request.stdin:  # the function-style one's: JSON arguments in, JSON out
        return RunResult(outcome=Outcome.OK, stdout=b'"SAMPLE-OUT"\n')
    return RunResult(
        outcome=Outcome.RUNTIME_ERROR,
        stdout=request.stdin,
        stderr=b"Traceback (most recent call last):\nValueError: " + request.stdin,
        exit_code=1,
    )


class EchoBackend(ScriptedBackend):
    default_script = staticmethod(echo)


def leaky_problem(student, io_mode=Problem.IoMode.FUNCTION) -> Problem:
    stdio = io_mode == Problem.IoMode.STDIO
    problem = factories.ProblemFactory(
        io_mode=io_mode,
        checker=Problem.Checker.EXACT if stdio else Problem.Checker.JSON,
        allowed_languages=["python"],
    )
    factories.ProblemTestCaseFactory(
        problem=problem,
        order=0,
        is_sample=True,
        input="SAMPLE-IN" if stdio else '["SAMPLE-IN", 1]',
        expected_output="SAMPLE-OUT" if stdio else '"SAMPLE-OUT"',
    )
    factories.ProblemTestCaseFactory(
        problem=problem,
        order=1,
        is_sample=False,
        input=HIDDEN_INPUT,
        expected_output=HIDDEN_EXPECTED,
    )
    factories.EnrollmentFactory(user=student, course=problem.chapter.course)
    return problem


class HiddenDataChecks:
    """Submit leaky code, then read it back through every student-facing endpoint."""

    def assert_nothing_hidden_shows(self, client, problem, code):
        url = reverse("api:submission-create", args=[problem.pk])
        created = client.post(url, {"language": "python", "code": code}, format="json")
        self.assertEqual(created.status_code, 201, created.content)
        body = created.json()
        self.assertEqual(body["status"], "runtime_error")
        self.assertEqual(body["error_text"], "runtime error on hidden test case 2")  # row 2
        # The program did print the hidden input: it is stored, for the staff only.
        hidden = SubmissionTestResult.objects.get(submission_id=body["id"], order=1)
        self.assertIn("HIDDEN-IN", hidden.output)
        self.assertIn("HIDDEN-IN", hidden.error_output)
        responses = {
            "create": created,
            "detail": client.get(reverse("api:submission-detail", args=[body["id"]])),
            "list": client.get(reverse("api:submission-list")),
            "run samples": client.post(
                reverse("api:code-run"),
                {"problem": problem.pk, "language": "python", "code": code},
                format="json",
            ),
        }
        for name, response in responses.items():
            with self.subTest(endpoint=name):
                self.assertEqual(response.status_code // 100, 2, response.content)
                for secret in SECRETS:
                    self.assertNotIn(secret, response.content)
        run = responses["run samples"].json()
        self.assertEqual([(s["order"], s["status"]) for s in run["samples"]], [(0, "accepted")])
        return responses


@override_settings(COURSES_JUDGE_BACKEND=backend_path(EchoBackend))
class HiddenDataApiTestCase(HiddenDataChecks, ApiTestMixin, TransactionTestCase):
    def setUp(self):
        super().setUp()
        self.student = factories.UserFactory()
        self.client = self.client_for(self.student)

    def test_a_leaky_function_submission_shows_nothing_of_the_hidden_cases(self):
        problem = leaky_problem(self.student)
        before = len(shared_backend().requests)
        self.assert_nothing_hidden_shows(self.client, problem, LEAKY_FUNCTION)
        stdins = [r.stdin for r in shared_backend().requests[before:]]
        # Judging ran both cases; the run ran the sample only.
        self.assertEqual(stdins, [b'["SAMPLE-IN", 1]', HIDDEN_INPUT.encode(), b'["SAMPLE-IN", 1]'])

    def test_a_leaky_stdio_submission_shows_nothing_of_the_hidden_cases(self):
        problem = leaky_problem(self.student, Problem.IoMode.STDIO)
        self.assert_nothing_hidden_shows(self.client, problem, LEAKY_STDIO)


@requires_sandbox
@override_settings(COURSES_JUDGE_BACKEND="local")
class HiddenDataSandboxApiTestCase(HiddenDataChecks, ApiTestMixin, TransactionTestCase):
    """The same, with the programs really running in the local sandbox."""

    def test_real_leaky_programs_show_nothing_of_the_hidden_cases(self):
        student = factories.UserFactory()
        client = self.client_for(student)
        for io_mode, code in (
            (Problem.IoMode.FUNCTION, LEAKY_FUNCTION),
            (Problem.IoMode.STDIO, LEAKY_STDIO),
        ):
            with self.subTest(io_mode=io_mode):
                self.assert_nothing_hidden_shows(client, leaky_problem(student, io_mode), code)
