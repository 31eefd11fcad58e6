"""``POST /api/v1/run/``: free runs, and runs against a problem (its wrapper, its samples).

Scripted backends named in settings (no code runs here; ``test_api_submissions`` has the one
real-sandbox check of hidden data, run included). Each scripted backend is shared by the
process, so tests look at the requests it received *after* they started.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from django.test import TestCase, override_settings
from django.urls import reverse

from courses.api.errors import DEFAULT_RETRY_AFTER_S
from courses.judging.backends import shared_backend
from courses.models import Course, Problem, Submission
from courses.services.code_executor import free_run_slots
from courses.tests import factories
from courses.tests.api_support import (
    ADD,
    AcceptingBackend,
    ApiTestMixin,
    BusyBackend,
    UnreachableBackend,
    WrongBackend,
    backend_path,
    code_of_bytes,
    problem_with_cases,
)

RUN_FIELDS = {
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
}
#: The function-style Python harness, which only a problem's wrapper adds (the launcher of every
#: Python program names it too, to cut its frames out of tracebacks).
HARNESS = "def _codecourses_harness("


class RunTestMixin(ApiTestMixin):
    def setUp(self):
        super().setUp()
        self.url = reverse("api:code-run")
        self.backend = shared_backend()
        self.seen = len(self.backend.requests)

    def run_code(self, data, client=None):
        return (client or self.client).post(self.url, data, format="json")

    def received(self):
        """The run requests the backend received since the test started."""
        return self.backend.requests[self.seen :]


# --- Free runs ------------------------------------------------------------------------------------


@override_settings(COURSES_JUDGE_BACKEND=backend_path(AcceptingBackend))
class CodeRunApiTestCase(RunTestMixin, TestCase):
    def setUp(self):
        super().setUp()
        self.user = factories.UserFactory()
        self.client = self.client_for(self.user)

    def test_code_runs_with_its_stdin_and_the_result_is_returned(self):
        response = self.run_code({"language": "python", "code": "print(input())", "stdin": "3"})
        self.assertEqual(response.status_code, 200, response.content)
        body = response.json()
        self.assertEqual(body["status"], "accepted")
        self.assertEqual(body["stdout"], "3\n")
        self.assertEqual(set(body), RUN_FIELDS)
        (request,) = self.received()
        self.assertEqual(request.stdin, b"3")
        self.assertIn("print(input())", request.source)
        self.assertNotIn(HARNESS, request.source)
        self.assertFalse(Submission.objects.exists())

    def test_omitted_language_and_stdin_run_python_on_an_empty_stdin(self):
        response = self.run_code({"code": "print(3)"})
        self.assertEqual(response.status_code, 200, response.content)
        (request,) = self.received()
        self.assertEqual(request.language, "python")
        self.assertEqual(request.stdin, b"")
        self.assertIn("compile(_source", request.source)  # the Python launcher

    def test_any_language_of_the_platform_may_run_freely(self):
        code = "public class Main { public static void main(String[] a) {} }"
        response = self.run_code({"language": "java", "code": code})
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual([r.language for r in self.received()], ["java"])

    def test_logged_out_users_get_403_not_authenticated(self):
        self.client = self.client_for(None)
        self.assertError(self.run_code({"code": "print(1)"}), 403, "not_authenticated")
        self.assertEqual(self.received(), [])

    def test_unknown_language_is_400_unknown_language_naming_the_field(self):
        error = self.assertError(
            self.run_code({"language": "cobol", "code": "DISPLAY 'HI'."}),
            400,
            "unknown_language",
            fields={"language"},
        )
        self.assertIn("cobol", error["message"])
        self.assertEqual(self.received(), [])

    def test_bad_input_is_400_with_the_field_named(self):
        cases = [
            ({}, {"code"}),
            ({"code": ""}, {"code"}),
            ({"code": "  \n"}, {"code"}),
            ({"code": "x\x00"}, {"code"}),
            ({"code": "print(1)", "stdin": {"a": 1}}, {"stdin"}),
            ({"code": None}, {"code"}),
            ({"code": "print(1)", "language": "x" * 33}, {"language"}),
            ([1, 2], set()),
        ]
        for data, fields in cases:
            with self.subTest(data=data):
                self.assertError(self.run_code(data), 400, "invalid_input", fields=fields)
        self.assertEqual(self.received(), [])

    def test_wrong_json_types_are_400_naming_the_field_and_nothing_runs(self):
        cases = [
            ({"code": 42}, "code"),
            ({"code": True}, "code"),
            ({"code": ["print(1)"]}, "code"),
            ({"code": "print(1)", "language": 42}, "language"),
            ({"code": "print(1)", "stdin": 42}, "stdin"),
            ({"code": "print(1)", "stdin": None}, "stdin"),
            ({"code": "print(1)", "problem": "1"}, "problem"),
            ({"code": "print(1)", "problem": True}, "problem"),
            ({"code": "print(1)", "problem": 1.5}, "problem"),
        ]
        for data, field in cases:
            with self.subTest(data=data):
                self.assertError(self.run_code(data), 400, "invalid_input", fields={field})
        self.assertEqual(self.received(), [])  # ``{"code": 42}`` never ran ``42``

    def test_code_of_exactly_the_maximum_size_runs_and_one_byte_more_is_413(self):
        for limit in (64 * 1024, 1000):
            with self.subTest(limit=limit), override_settings(COURSES_MAX_SOURCE_BYTES=limit):
                self.seen = len(self.backend.requests)
                response = self.run_code({"code": code_of_bytes(limit)})
                self.assertEqual(response.status_code, 200, response.content[:300])
                self.assertEqual(len(self.received()), 1)
                self.assertError(
                    self.run_code({"code": code_of_bytes(limit + 1)}),
                    413,
                    "payload_too_large",
                    fields={"code"},
                )
                self.assertEqual(len(self.received()), 1)

    @override_settings(COURSES_MAX_STDIN_BYTES=100)
    def test_stdin_of_exactly_the_maximum_size_runs_and_one_byte_more_is_413(self):
        at_limit = "é" * 50
        self.assertEqual(self.run_code({"code": "print(1)", "stdin": at_limit}).status_code, 200)
        self.assertEqual([r.stdin for r in self.received()], [at_limit.encode()])
        self.assertError(
            self.run_code({"code": "print(1)", "stdin": at_limit + "x"}),
            413,
            "payload_too_large",
            fields={"stdin"},
        )
        self.assertEqual(len(self.received()), 1)

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
        self.assertEqual(self.received(), [])

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


# --- Runs against a problem -----------------------------------------------------------------------


@override_settings(COURSES_JUDGE_BACKEND=backend_path(AcceptingBackend))
class ProblemRunApiTestCase(RunTestMixin, TestCase):
    def setUp(self):
        super().setUp()
        self.student = factories.UserFactory()
        self.problem = problem_with_cases()
        self.course = self.problem.chapter.course
        factories.EnrollmentFactory(user=self.student, course=self.course)
        self.client = self.client_for(self.student)

    def run_on(self, problem=None, client=None, **data):
        body = {"problem": (problem or self.problem).pk, "language": "python", "code": ADD}
        return self.run_code({**body, **data}, client)

    def test_without_stdin_each_sample_runs_and_shows_its_output_and_verdict(self):
        factories.ProblemTestCaseFactory(
            problem=self.problem, order=2, input="[2, 2]", expected_output="4", is_sample=True
        )
        response = self.run_on()
        self.assertEqual(response.status_code, 200, response.content)
        body = response.json()
        self.assertEqual(
            body,
            {
                "problem": self.problem.pk,
                "status": "wrong_answer",  # the backend prints 3 for every run
                "passed": 1,
                "total": 2,
                "compile_output": "",
                "samples": [
                    {
                        "order": 0,
                        "input": "[1, 2]",
                        "expected_output": "3",
                        "status": "accepted",
                        "stdout": "3\n",
                        "stderr": "",
                        "time_ms": 7,
                        "memory_kb": 900,
                        "truncated": False,
                    },
                    {
                        "order": 2,
                        "input": "[2, 2]",
                        "expected_output": "4",
                        "status": "wrong_answer",
                        "stdout": "3\n",
                        "stderr": "",
                        "time_ms": 7,
                        "memory_kb": 900,
                        "truncated": False,
                    },
                ],
            },
        )
        # The samples only, never the hidden case, each in the problem's wrapper and limits.
        requests = self.received()
        self.assertEqual([r.stdin for r in requests], [b"[1, 2]", b"[2, 2]"])
        for request in requests:
            self.assertIn(HARNESS, request.source)
            self.assertIn("def solve(a, b):", request.source)
            self.assertEqual(request.limits.cpu_time_ms, self.problem.time_limit_ms)
        self.assertFalse(Submission.objects.exists())

    @override_settings(COURSES_JUDGE_BACKEND=backend_path(WrongBackend))
    def test_samples_that_fail_give_their_verdict_and_nothing_is_saved(self):
        body = self.run_on().json()
        self.assertEqual((body["status"], body["passed"], body["total"]), ("wrong_answer", 0, 1))
        self.assertEqual(body["samples"][0]["stdout"], "4\n")
        self.assertFalse(Submission.objects.exists())

    def test_with_stdin_it_runs_once_in_the_problems_wrapper_on_that_input(self):
        response = self.run_on(stdin="[5, 6]")
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(set(response.json()), RUN_FIELDS)
        self.assertEqual(response.json()["stdout"], "3\n")
        (request,) = self.received()
        self.assertEqual(request.stdin, b"[5, 6]")
        self.assertIn(HARNESS, request.source)
        self.assertEqual(request.limits.cpu_time_ms, self.problem.time_limit_ms)
        # An empty stdin is an input too: it runs once on it, not on the samples.
        self.assertEqual(set(self.run_on(stdin="").json()), RUN_FIELDS)
        self.assertEqual(self.received()[-1].stdin, b"")

    def test_a_custom_input_the_function_harness_cannot_read_is_400_before_running(self):
        """``5 7`` for ``solve(a, b)``: the student learns the input's shape, not the harness's
        traceback; a stdio problem takes any text."""
        for stdin in ("5 7", '{"a": 1}', "[1, 2"):
            with self.subTest(stdin=stdin):
                error = self.assertError(self.run_on(stdin=stdin), 400, "invalid_input")
                self.assertIn("JSON array of the function's arguments", error["fields"]["stdin"])
        self.assertEqual(self.received(), [])
        stdio = problem_with_cases(chapter=self.problem.chapter, io_mode=Problem.IoMode.STDIO)
        self.assertEqual(self.run_on(stdio, code="print(input())", stdin="5 7").status_code, 200)

    def test_a_stdio_problem_runs_the_code_as_it_is(self):
        stdio = problem_with_cases(chapter=self.problem.chapter, io_mode=Problem.IoMode.STDIO)
        self.assertEqual(self.run_on(stdio, code="print(input())").status_code, 200)
        (request,) = self.received()
        self.assertNotIn(HARNESS, request.source)
        self.assertIn("print(input())", request.source)

    def test_the_language_must_be_known_allowed_by_the_problem_and_given(self):
        Problem.objects.filter(pk=self.problem.pk).update(allowed_languages=["python"])
        self.assertError(
            self.run_on(language="cobol"), 400, "unknown_language", fields={"language"}
        )
        error = self.assertError(
            self.run_on(language="c"), 400, "language_not_allowed", fields={"language"}
        )
        self.assertIn("python", error["fields"]["language"])
        response = self.run_code({"problem": self.problem.pk, "code": ADD})
        self.assertError(response, 400, "invalid_input", fields={"language"})
        self.assertEqual(self.received(), [])

    def test_a_problem_without_samples_needs_a_stdin(self):
        self.problem.test_cases.filter(is_sample=True).delete()
        self.assertError(self.run_on(), 400, "invalid_input", fields={"stdin"})
        self.assertEqual(self.received(), [])
        self.assertEqual(self.run_on(stdin="[1, 2]").status_code, 200)

    def test_only_problems_the_user_may_practise_on_can_be_run(self):
        outsider = self.client_for(factories.UserFactory())
        self.assertError(self.run_on(client=outsider), 403, "not_enrolled", fields={"course"})
        for name, changes in {
            "draft": {"is_visible": False},
            "archived": {"is_archived": True},
            "exam only": {"is_exam_only": True},
        }.items():
            with self.subTest(name):
                hidden = problem_with_cases(chapter=self.problem.chapter, **changes)
                self.assertError(self.run_on(hidden), 404, "not_found")
        missing = Problem.objects.order_by("-pk").first().pk + 1000
        self.assertError(
            self.run_code({"problem": missing, "language": "python", "code": ADD}), 404, "not_found"
        )
        Course.objects.filter(pk=self.course.pk).update(is_published=False)
        self.assertError(self.run_on(client=outsider), 404, "not_found")
        self.assertEqual(self.received(), [])

    def test_an_exam_problem_runs_on_its_samples_inside_ones_open_attempt_only(self):
        exam_only = problem_with_cases(chapter=self.problem.chapter, is_exam_only=True)
        exam = factories.ExamFactory(course=self.course)
        factories.ExamProblemFactory(exam=exam, problem=exam_only)
        attempt = factories.ExamAttemptFactory(exam=exam, user=self.student)
        response = self.run_on(exam_only, attempt=attempt.pk)
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual([s["input"] for s in response.json()["samples"]], ["[1, 2]"])
        self.assertNotIn(b"hidden", response.content)
        # Another student's attempt is not found; a problem outside the exam neither.
        other = factories.UserFactory()
        factories.EnrollmentFactory(user=other, course=self.course)
        self.assertError(
            self.run_on(exam_only, attempt=attempt.pk, client=self.client_for(other)),
            404,
            "not_found",
        )
        self.assertError(self.run_on(self.problem, attempt=attempt.pk), 404, "not_found")
        # Once the attempt is over, nothing runs.
        attempt.started_at -= timedelta(hours=2)
        attempt.deadline = attempt.started_at + timedelta(hours=1)
        attempt.save(update_fields=["started_at", "deadline"])
        self.assertError(self.run_on(exam_only, attempt=attempt.pk), 409, "attempt_expired")
        self.assertError(self.run_code({"attempt": attempt.pk, "code": ADD}), 400, "invalid_input")

    def test_the_courses_staff_may_run_their_drafts(self):
        instructor = factories.UserFactory()
        factories.EnrollmentFactory(user=instructor, course=self.course, role="instructor")
        draft = problem_with_cases(chapter=self.problem.chapter, is_visible=False)
        response = self.run_on(draft, client=self.client_for(instructor))
        self.assertEqual(response.status_code, 200, response.content)

    def test_code_of_exactly_the_maximum_size_runs_and_one_byte_more_is_413(self):
        with override_settings(COURSES_MAX_SOURCE_BYTES=1000):
            self.assertEqual(self.run_on(code=code_of_bytes(1000)).status_code, 200)
            self.assertError(
                self.run_on(code=code_of_bytes(1001)), 413, "payload_too_large", fields={"code"}
            )

    @override_settings(COURSES_FREE_RUN_SLOTS=1)
    def test_sample_runs_take_a_free_run_slot_and_a_full_host_is_503_busy(self):
        with free_run_slots().acquire():
            response = self.run_on()
            self.assertError(response, 503, "busy", fields={})
            self.assertEqual(response["Retry-After"], str(DEFAULT_RETRY_AFTER_S))
            self.assertError(self.run_on(stdin="[1, 2]"), 503, "busy")
        self.assertEqual(self.received(), [])
        self.assertEqual(self.run_on().status_code, 200)

    @override_settings(COURSES_JUDGE_BACKEND=backend_path(UnreachableBackend))
    def test_an_unreachable_judge_is_503_judge_unavailable(self):
        with self.assertLogs("courses.api.errors", logging.WARNING):
            self.assertError(self.run_on(), 503, "judge_unavailable")

    @override_settings(COURSES_API_RUN_RATE="2/min")
    def test_runs_against_a_problem_count_in_the_same_throttle(self):
        self.assertEqual(self.run_code({"code": "print(1)"}).status_code, 200)
        self.assertEqual(self.run_on().status_code, 200)
        self.assertError(self.run_on(), 429, "throttled")
