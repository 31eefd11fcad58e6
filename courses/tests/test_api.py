"""The HTTP API (``courses/api``): each endpoint's success, authentication, permissions, and every
bad input answered in the one error shape ``{"error": {"code", "message", "fields"}}``.

Judging goes through scripted backends named in settings by dotted path (no code runs here; the
sandbox has its own suites). Submissions are ``TransactionTestCase``: judging starts on a real
commit, inline, before the 201 is rendered. Each test reads the configured cache (local memory,
or Redis under ``REDIS_URL``) in a fresh key prefix.
"""

from __future__ import annotations

import json
import logging
from decimal import Decimal

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.db import connection
from django.http import Http404
from django.test import SimpleTestCase, TestCase, TransactionTestCase, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework import exceptions

from courses import selectors
from courses.api.errors import DEFAULT_RETRY_AFTER_S, exception_handler
from courses.judging.errors import (
    BackendRejected,
    BackendUnavailable,
    UnknownLanguage,
)
from courses.judging.types import Verdict
from courses.models import DiscussionReply, DiscussionThread, Enrollment, Submission
from courses.tests import factories
from courses.tests.api_support import (
    ADD,
    AcceptingBackend,
    ApiAssertions,
    ApiTestMixin,
    BusyBackend,
    UnreachableBackend,
    WrongBackend,
    backend_path,
    problem_with_cases,
)

# --- POST /api/v1/problems/<id>/submissions/


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

    def test_enrolled_student_gets_201_with_the_judged_submission(self):
        response = self.submit()
        self.assertEqual(response.status_code, 201, response.content)
        body = response.json()
        submission = Submission.objects.get()
        self.assertEqual(body["id"], submission.pk)
        self.assertEqual(submission.user, self.student)
        self.assertEqual(body["status"], Verdict.ACCEPTED.value)  # judged inline on commit
        self.assertEqual(body["score"], "1.0000")
        self.assertEqual(Decimal(body["points"]), Decimal(self.problem.points))
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
    def test_an_unreachable_judge_ends_the_submission_internal_error_not_the_request(self):
        """Inline judging never fails the request that enqueued it (docs/decisions.md)."""
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
            ({"language": "cobol", "code": ADD}, 400, "language_not_allowed", {"language"}),
            ({"language": "java", "code": ADD}, 400, "language_not_allowed", {"language"}),
            ({"language": "x" * 33, "code": ADD}, 400, "invalid_input", {"language"}),
            ([1, 2], 400, "invalid_input", set()),
        ]
        for data, http_status, code, fields in cases:
            with self.subTest(data=str(data)[:60]):
                self.assertError(self.submit(data), http_status, code, fields=fields)
        self.assertFalse(Submission.objects.exists())

    def test_oversized_code_is_413_with_the_field_and_nothing_is_saved(self):
        code = "#" * (64 * 1024 + 1)
        error = self.assertError(
            self.submit({"language": "python", "code": code}), 413, "payload_too_large"
        )
        self.assertEqual(set(error["fields"]), {"code"})
        self.assertFalse(Submission.objects.exists())

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


# --- GET /api/v1/submissions/<id>/


class SubmissionDetailApiTestCase(ApiTestMixin, TestCase):
    def setUp(self):
        super().setUp()
        self.student = factories.UserFactory()
        self.problem = problem_with_cases()
        self.submission = self.judged_submission(self.student)
        self.client = self.client_for(self.student)

    def judged_submission(self, user, cases=None):
        submission = factories.SubmissionFactory(
            user=user,
            problem=self.problem,
            status=Verdict.WRONG_ANSWER,
            score=Decimal("0.5"),
            error_text="wrong answer on hidden test case 1",
        )
        for case in cases or self.problem.test_cases.all():
            submission.test_results.create(
                test_case=case,
                order=case.order,
                verdict=Verdict.ACCEPTED if case.is_sample else Verdict.WRONG_ANSWER,
                cpu_time_ms=12,
                memory_kb=3400,
                output="3\n" if case.is_sample else "",
            )
        return submission

    def url(self, submission_id=None):
        return reverse("api:submission-detail", args=[submission_id or self.submission.pk])

    def test_the_owner_sees_each_case_and_hidden_cases_show_only_verdict_time_memory(self):
        response = self.client.get(self.url())
        self.assertEqual(response.status_code, 200)
        body = response.json()
        self.assertEqual(body["status"], "wrong_answer")
        self.assertEqual(body["score"], "0.5000")
        self.assertEqual(body["points"], "50.0000")
        sample, hidden = body["results"]
        self.assertEqual(
            sample,
            {
                "order": 0,
                "hidden": False,
                "verdict": "accepted",
                "time_ms": 12,
                "memory_kb": 3400,
                "input": "[1, 2]",
                "expected_output": "3",
                "output": "3\n",
            },
        )
        self.assertEqual(
            hidden,
            {
                "order": 1,
                "hidden": True,
                "verdict": "wrong_answer",
                "time_ms": 12,
                "memory_kb": 3400,
            },
        )
        self.assertNotIn(b"[1, 2] hidden", response.content)

    def test_a_result_whose_case_was_deleted_shows_as_hidden(self):
        self.problem.test_cases.filter(order=0).delete()
        sample = self.client.get(self.url()).json()["results"][0]
        self.assertEqual(set(sample), {"order", "hidden", "verdict", "time_ms", "memory_kb"})

    def test_queries_do_not_grow_with_the_number_of_cases(self):
        def queries_for(submission):
            with CaptureQueriesContext(connection) as counted:
                self.assertEqual(self.client.get(self.url(submission.pk)).status_code, 200)
            return len(counted)

        many = problem_with_cases()
        for order in range(2, 12):
            factories.ProblemTestCaseFactory(problem=many, order=order, is_sample=order % 2 == 0)
        self.problem = many
        many_submission = self.judged_submission(self.student)
        self.assertEqual(queries_for(self.submission), queries_for(many_submission))

    def test_other_users_submissions_and_missing_ones_are_not_found(self):
        other = self.judged_submission(factories.UserFactory())
        self.assertError(self.client.get(self.url(other.pk)), 404, "not_found", fields={})
        self.assertError(self.client.get(self.url(other.pk + 1000)), 404, "not_found")

    def test_logged_out_users_get_403_not_authenticated(self):
        self.assertError(self.client_for(None).get(self.url()), 403, "not_authenticated")


# --- POST /api/v1/run/


@override_settings(COURSES_JUDGE_BACKEND=backend_path(AcceptingBackend))
class CodeRunApiTestCase(ApiTestMixin, TestCase):
    url = "/api/v1/run/"

    def setUp(self):
        super().setUp()
        self.user = factories.UserFactory()
        self.client = self.client_for(self.user)

    def run_code(self, data):
        return self.client.post(self.url, data, format="json")

    def test_code_runs_with_its_stdin_and_the_result_is_returned(self):
        from courses.judging.backends import shared_backend

        backend = shared_backend()
        before = len(backend.requests)
        response = self.run_code({"language": "python", "code": "print(input())", "stdin": "3"})
        self.assertEqual(response.status_code, 200, response.content)
        body = response.json()
        self.assertEqual(body["status"], "accepted")
        self.assertEqual(body["stdout"], "3\n")
        self.assertEqual(
            set(body),
            {
                "status",
                "stdout",
                "stderr",
                "compile_output",
                "time_ms",
                "wall_time_ms",
                "memory_kb",
                "exit_code",
                "signal",
                "truncated",
            },
        )
        (request,) = backend.requests[before:]
        self.assertEqual(request.stdin, b"3")
        self.assertIn("print(input())", request.source)
        self.assertFalse(Submission.objects.exists())

    def test_language_defaults_to_python_and_stdin_to_empty(self):
        response = self.run_code({"code": "print(3)"})
        self.assertEqual(response.status_code, 200, response.content)

    def test_logged_out_users_get_403_not_authenticated(self):
        self.client = self.client_for(None)
        self.assertError(self.run_code({"code": "print(1)"}), 403, "not_authenticated")

    def test_unknown_language_is_400_unknown_language_naming_the_field(self):
        error = self.assertError(
            self.run_code({"language": "cobol", "code": "DISPLAY 'HI'."}),
            400,
            "unknown_language",
            fields={"language"},
        )
        self.assertIn("cobol", error["message"])

    def test_bad_input_is_400_with_the_field_named(self):
        cases = [
            ({}, {"code"}),
            ({"code": ""}, {"code"}),
            ({"code": "print(1)", "stdin": {"a": 1}}, {"stdin"}),
            ({"code": None}, {"code"}),
        ]
        for data, fields in cases:
            with self.subTest(data=data):
                self.assertError(self.run_code(data), 400, "invalid_input", fields=fields)

    def test_oversized_code_or_stdin_is_413_naming_the_field(self):
        big = "#" * (64 * 1024 + 1)
        self.assertError(self.run_code({"code": big}), 413, "payload_too_large", fields={"code"})
        self.assertError(
            self.run_code({"code": "print(1)", "stdin": big}),
            413,
            "payload_too_large",
            fields={"stdin"},
        )
        body = json.dumps({"code": "print(1)", "stdin": "x" * 400_000})
        response = self.client.post(self.url, body, content_type="application/json")
        self.assertError(response, 413, "payload_too_large", fields={})

    def test_malformed_json_is_400(self):
        response = self.client.post(self.url, b"{", content_type="application/json")
        self.assertError(response, 400, "malformed_json")

    @override_settings(COURSES_JUDGE_BACKEND=backend_path(BusyBackend))
    def test_a_full_host_is_503_busy_with_retry_after(self):
        error = self.assertError(self.run_code({"code": "print(1)"}), 503, "busy", fields={})
        response = self.run_code({"code": "print(1)"})
        self.assertEqual(response["Retry-After"], str(DEFAULT_RETRY_AFTER_S))
        self.assertNotIn("60000", error["message"])  # host details stay in the log

    @override_settings(COURSES_JUDGE_BACKEND=backend_path(UnreachableBackend))
    def test_an_unreachable_judge_is_503_judge_unavailable_with_retry_after(self):
        with self.assertLogs("courses.api.errors", logging.WARNING) as logs:
            response = self.run_code({"code": "print(1)"})
        error = self.assertError(response, 503, "judge_unavailable")
        self.assertNotIn("connection refused", error["message"])
        self.assertIn("connection refused", "\n".join(logs.output))
        self.assertEqual(response["Retry-After"], str(DEFAULT_RETRY_AFTER_S))

    @override_settings(COURSES_API_RUN_RATE="2/min")
    def test_too_many_runs_are_429_throttled_with_retry_after(self):
        for _ in range(2):
            self.assertEqual(self.run_code({"code": "print(1)"}).status_code, 200)
        response = self.run_code({"code": "print(1)"})
        self.assertError(response, 429, "throttled")
        self.assertGreaterEqual(int(response["Retry-After"]), 1)
        # The limit is per user.
        self.client = self.client_for(factories.UserFactory())
        self.assertEqual(self.run_code({"code": "print(1)"}).status_code, 200)


# --- GET /api/v1/courses/<id>/progress/


class CourseProgressApiTestCase(ApiTestMixin, TransactionTestCase):
    """Transactional: progress saved in ``setUp`` must have committed, or its pending invalidation
    (one per transaction, courses/cache.py) would absorb the one under test."""

    def setUp(self):
        super().setUp()
        self.student = factories.UserFactory()
        self.course = factories.CourseFactory()
        chapter = factories.ChapterFactory(course=self.course)
        self.solved = factories.ProblemFactory(chapter=chapter, points=100)
        self.tried = factories.ProblemFactory(chapter=chapter, points=50)
        factories.EnrollmentFactory(user=self.student, course=self.course)
        factories.ProblemProgressFactory(
            user=self.student, problem=self.solved, status="solved", attempts=2, best_score=1
        )
        factories.ProblemProgressFactory(
            user=self.student, problem=self.tried, status="attempted", attempts=1, best_score="0.5"
        )
        self.client = self.client_for(self.student)

    def url(self, course_id=None):
        return reverse("api:course-progress", args=[course_id or self.course.pk])

    def test_an_enrolled_student_gets_the_summary(self):
        response = self.client.get(self.url())
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            response.json(),
            {"course": self.course.pk, "solved": 1, "attempted": 2, "total_points": "125.00"},
        )

    def test_the_summary_follows_new_progress_after_commit(self):
        self.client.get(self.url())  # cached now
        progress = self.tried.progress.get(user=self.student)
        progress.status, progress.best_score = "solved", 1
        progress.save()
        self.assertEqual(self.client.get(self.url()).json()["solved"], 2)

    def test_not_enrolled_is_403_and_unpublished_or_missing_courses_are_404(self):
        outsider = self.client_for(factories.UserFactory())
        self.assertError(outsider.get(self.url()), 403, "not_enrolled", fields={"course"})
        self.assertError(self.client.get(self.url(self.course.pk + 1000)), 404, "not_found")
        draft = factories.CourseFactory(is_published=False)
        self.assertError(outsider.get(self.url(draft.pk)), 404, "not_found")

    def test_logged_out_users_get_403_not_authenticated(self):
        self.assertError(self.client_for(None).get(self.url()), 403, "not_authenticated")


# --- POST /api/v1/threads/<id>/replies/


class ThreadReplyCreateApiTestCase(ApiTestMixin, TestCase):
    def setUp(self):
        super().setUp()
        self.member = factories.UserFactory()
        self.thread = factories.DiscussionThreadFactory()
        factories.EnrollmentFactory(user=self.member, course=self.thread.course)
        self.client = self.client_for(self.member)

    def url(self, thread_id=None):
        return reverse("api:thread-reply-create", args=[thread_id or self.thread.pk])

    def reply(self, data=None, thread_id=None):
        data = {"body": "Try a dict."} if data is None else data
        return self.client.post(self.url(thread_id), data, format="json")

    def test_a_member_replies_201_and_the_thread_counts_it(self):
        response = self.reply({"body": "  Try a dict.  "})
        self.assertEqual(response.status_code, 201, response.content)
        body = response.json()
        reply = DiscussionReply.objects.get()
        self.assertEqual(body["id"], reply.pk)
        self.assertEqual(body["body"], "Try a dict.")
        self.assertEqual(body["author"], self.member.username)
        self.assertEqual(DiscussionThread.objects.get().reply_count, 1)

    def test_a_closed_thread_is_409_thread_closed_and_nothing_is_saved(self):
        DiscussionThread.objects.filter(pk=self.thread.pk).update(is_closed=True)
        self.assertError(self.reply(), 409, "thread_closed")
        self.assertFalse(DiscussionReply.objects.exists())
        self.assertEqual(DiscussionThread.objects.get().reply_count, 0)

    def test_blank_missing_or_overlong_bodies_are_400_naming_body(self):
        for data in ({"body": "   "}, {}, {"body": "x" * 20_001}, {"body": None}):
            with self.subTest(data=str(data)[:30]):
                self.assertError(self.reply(data), 400, "invalid_input", fields={"body"})
        self.assertFalse(DiscussionReply.objects.exists())

    def test_outsiders_get_403_and_hidden_or_missing_threads_404(self):
        outsider = self.client_for(factories.UserFactory())
        self.assertError(
            outsider.post(self.url(), {"body": "hi"}, format="json"), 403, "not_enrolled"
        )
        draft_thread = factories.DiscussionThreadFactory(course__is_published=False)
        response = outsider.post(self.url(draft_thread.pk), {"body": "hi"}, format="json")
        self.assertError(response, 404, "not_found")
        self.assertError(self.reply(thread_id=self.thread.pk + 1000), 404, "not_found")
        self.assertError(self.client_for(None).post(self.url(), {}), 403, "not_authenticated")
        self.assertFalse(DiscussionReply.objects.exists())


# --- POST /api/v1/courses/<id>/enrollment/ (the rest: test_api_enrollments.py)


class EnrollmentCreateApiTestCase(ApiTestMixin, TestCase):
    def setUp(self):
        super().setUp()
        self.user = factories.UserFactory()
        self.course = factories.CourseFactory()
        self.client = self.client_for(self.user)

    def url(self, course_id=None):
        return reverse("api:course-enrollment", args=[course_id or self.course.pk])

    def enroll(self, data=None, course_id=None):
        return self.client.post(self.url(course_id), data or {}, format="json")

    def test_self_enrollment_is_201_as_a_student_and_shows_on_the_roster(self):
        selectors.course_roster(course_id=self.course.pk)  # cached, empty
        with self.captureOnCommitCallbacks(execute=True):
            response = self.enroll({"role": "instructor"})  # the body cannot choose the role
        self.assertEqual(response.status_code, 201, response.content)
        body = response.json()
        enrollment = Enrollment.objects.get()
        self.assertEqual(body["id"], enrollment.pk)
        self.assertEqual((body["role"], body["status"]), ("student", "active"))
        roster = selectors.course_roster(course_id=self.course.pk)
        self.assertEqual([entry.user_id for entry in roster], [self.user.pk])

    def test_enrolling_twice_is_409_already_enrolled_but_after_dropping_it_reactivates(self):
        self.assertEqual(self.enroll().status_code, 201)
        self.assertError(self.enroll(), 409, "already_enrolled", fields={"user"})
        Enrollment.objects.update(status=Enrollment.Status.DROPPED)
        response = self.enroll()
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(response.json()["status"], "active")
        self.assertEqual(Enrollment.objects.count(), 1)

    def test_draft_and_missing_courses_are_404(self):
        draft = factories.CourseFactory(is_published=False)
        self.assertError(self.enroll(course_id=draft.pk), 404, "not_found")
        self.assertError(self.enroll(course_id=self.course.pk + 1000), 404, "not_found")
        self.assertFalse(Enrollment.objects.exists())

    def test_logged_out_users_get_403_not_authenticated(self):
        self.client = self.client_for(None)
        self.assertError(self.enroll(), 403, "not_authenticated")
        self.assertFalse(Enrollment.objects.exists())


# --- The exception handler itself ----------------------------------------------------------------


class ApiErrorHandlerTestCase(ApiAssertions, SimpleTestCase):
    """Failures no endpoint above raises today, rendered by the handler all the same."""

    def render(self, exc):
        response = exception_handler(exc, {})
        response["Content-Type"] = "application/json"  # what the renderer would set
        return _Rendered(response)

    def test_every_failure_kind_has_the_one_shape(self):
        cases = [
            (exceptions.Throttled(wait=12.2), 429, "throttled"),
            (Http404("gone"), 404, "not_found"),
            (exceptions.NotFound(), 404, "not_found"),
            (DjangoPermissionDenied(), 403, "permission_denied"),
            (exceptions.PermissionDenied(), 403, "permission_denied"),
            (exceptions.NotAuthenticated(), 401, "not_authenticated"),
            (exceptions.ParseError(), 400, "malformed_json"),
            (RequestDataTooBig("too big"), 413, "payload_too_large"),
            (UnknownLanguage("unknown language 'cobol'"), 400, "unknown_language"),
            (BackendRejected("judge0 says 422", fields={"x": "y"}), 502, "judge_error"),
            (BackendUnavailable("429", retry_after_s=7.5), 503, "judge_unavailable"),
            (exceptions.APIException(), 500, "error"),
        ]
        for exc, http_status, code in cases:
            with self.subTest(exc=repr(exc)):
                self.assertError(self.render(exc), http_status, code)

    def test_retry_after_comes_from_the_failure_rounded_up(self):
        self.assertEqual(self.render(exceptions.Throttled(wait=12.2))["Retry-After"], "13")
        response = self.render(BackendUnavailable("429", retry_after_s=7.5))
        self.assertEqual(response["Retry-After"], "8")

    def test_judge_internals_stay_out_of_the_message(self):
        response = self.render(BackendRejected("judge0 says 422", fields={"x": "y"}))
        error = response.json()["error"]
        self.assertNotIn("422", error["message"])
        self.assertEqual(error["fields"], {})

    def test_nested_field_errors_are_flattened_and_non_field_errors_become_the_message(self):
        exc = exceptions.ValidationError(
            {
                "items": [{}, {"score": ["Must be ≥ 0.", "Too big."]}],
                "title": ["Required."],
                "non_field_errors": ["Problems must differ."],
            }
        )
        error = self.assertError(self.render(exc), 400, "invalid_input")
        self.assertEqual(error["message"], "Problems must differ.")
        self.assertEqual(
            error["fields"], {"items.1.score": "Must be ≥ 0. Too big.", "title": "Required."}
        )

    def test_an_unexpected_error_is_a_logged_500_in_the_shape(self):
        with self.assertLogs("courses.api.errors", logging.ERROR) as logs:
            response = self.render(RuntimeError("secret detail"))
        error = self.assertError(response, 500, "internal_error", fields={})
        self.assertNotIn("secret", error["message"])
        self.assertIn("secret detail", "\n".join(logs.output))

    def test_the_handler_is_the_configured_one(self):
        from rest_framework.settings import api_settings

        self.assertIs(api_settings.EXCEPTION_HANDLER, exception_handler)


class _Rendered:
    """A handler's ``Response`` read like a test client's: ``.json()``, headers, status."""

    def __init__(self, response) -> None:
        self._response = response
        self.status_code = response.status_code
        self.content = json.dumps(response.data).encode()

    def json(self):
        return json.loads(self.content)

    def __getitem__(self, header: str) -> str:
        return self._response[header]
