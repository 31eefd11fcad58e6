"""Problem validation: reference solutions judged on every case, results kept for the staff.

Service tests use scripted backends (``CodeExecutorService(backend=...)``); the API tests commit
for real (``TransactionTestCase``) so validation runs inline on commit, as in the embedded setup,
or is held back by recording the enqueue, as with Celery workers; one class runs the real
sandbox.
"""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

from django.db import transaction
from django.test import TestCase, TransactionTestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from courses.judging.errors import BackendUnavailable
from courses.judging.types import Outcome, RunResult
from courses.models import Problem, ProblemTestCase, ReferenceSolution
from courses.services.code_executor import CodeExecutorService
from courses.services.validation import problem_validate, problem_validation_request
from courses.tasks import MAX_RETRIES, validate_problem
from courses.tests import factories
from courses.tests.api_support import (
    AcceptingBackend,
    ApiTestMixin,
    UnreachableBackend,
    WrongBackend,
    backend_path,
)
from courses.tests.sandbox_fixtures import requires_sandbox
from courses.tests.scripted_backend import ScriptedBackend
from courses.tests.test_api_authoring import AuthoringWorld

ACCEPTING = backend_path(AcceptingBackend)


def validated(reference: ReferenceSolution) -> ReferenceSolution:
    reference.refresh_from_db()
    return reference


class ProblemValidateServiceTestCase(TestCase):
    """``problem_validate``: what is stored for each outcome, and when nothing is."""

    @classmethod
    def setUpTestData(cls):
        cls.w = AuthoringWorld()
        cls.reference = factories.ReferenceSolutionFactory(problem=cls.w.problem)

    def validate(self, script, **kwargs) -> int:
        backend = script if isinstance(script, ScriptedBackend) else ScriptedBackend(script)
        executor = CodeExecutorService(backend=backend)
        return problem_validate(problem_id=self.w.problem.pk, executor=executor, **kwargs)

    def test_an_accepted_solution_stores_verdict_score_cases_and_times(self):
        backend = ScriptedBackend(
            [
                RunResult(outcome=Outcome.OK, stdout=b"3\n", cpu_time_ms=12, memory_kb=900),
                RunResult(outcome=Outcome.OK, stdout=b"42\n", cpu_time_ms=30, memory_kb=1200),
            ]
        )
        self.assertEqual(self.validate(backend), 1)
        reference = validated(self.reference)
        self.assertEqual(
            (reference.validation_status, str(reference.validation_score)), ("accepted", "1.0000")
        )
        self.assertIsNotNone(reference.validated_at)
        details = reference.validation_details
        self.assertEqual(
            details["cases"],
            [
                {
                    "order": 1,
                    "is_sample": True,
                    "verdict": "accepted",
                    "score": "1",
                    "message": "",
                    "time_ms": 12,
                    "memory_kb": 900,
                },
                {
                    "order": 2,
                    "is_sample": False,
                    "verdict": "accepted",
                    "score": "1",
                    "message": "",
                    "time_ms": 30,
                    "memory_kb": 1200,
                },
            ],
        )
        self.assertEqual(
            (
                details["passed_cases"],
                details["total_cases"],
                details["max_time_ms"],
                details["peak_memory_kb"],
            ),
            (2, 2, 30, 1200),
        )
        self.assertEqual(
            (details["first_failure"], details["error"], details["cause"]), (None, "", "")
        )

    def test_a_wrong_solution_stores_its_first_failure_with_output_and_stderr(self):
        backend = ScriptedBackend(
            [
                RunResult(outcome=Outcome.OK, stdout=b"3\n"),
                RunResult(outcome=Outcome.OK, stdout=b"41\n", stderr=b"debug\n"),
            ]
        )
        self.validate(backend)
        reference = validated(self.reference)
        self.assertEqual(
            (reference.validation_status, str(reference.validation_score)),
            ("wrong_answer", "0.5000"),
        )
        self.assertEqual(
            reference.validation_details["first_failure"],
            {
                "order": 2,
                "verdict": "wrong_answer",
                "message": "",
                "output": "41\n",
                "error_output": "debug\n",
            },
        )

    def test_an_unreachable_judge_is_stored_as_an_infrastructure_failure_not_a_verdict(self):
        self.validate(BackendUnavailable("judge0 is unreachable"))
        reference = validated(self.reference)
        self.assertEqual(reference.validation_status, "internal_error")
        self.assertIsNone(reference.validation_score)
        self.assertEqual(reference.validation_details["cause"], "infrastructure")
        self.assertIn("could not run", reference.validation_details["error"])
        self.assertEqual(reference.validation_details["cases"], [])

    def test_a_retryable_failure_is_raised_for_the_task_to_retry_and_nothing_is_stored(self):
        with self.assertRaises(BackendUnavailable):
            self.validate(BackendUnavailable("busy"), retry_allowed=True)
        self.assertEqual(validated(self.reference).validation_status, "")

    def test_bad_test_data_is_stored_as_such(self):
        factories.ProblemTestCaseFactory(
            problem=self.w.problem, order=3, input="[]", expected_output="nope"
        )
        self.validate(RunResult(outcome=Outcome.OK, stdout=b"3\n"))
        reference = validated(self.reference)
        self.assertEqual(
            (reference.validation_status, reference.validation_details["cause"]),
            ("internal_error", "test_data"),
        )

    def test_results_about_data_that_changed_meanwhile_are_dropped(self):
        edits = [
            lambda: ProblemTestCase.objects.filter(pk=self.w.hidden.pk).update(
                expected_output="41"
            ),
            lambda: ReferenceSolution.objects.filter(pk=self.reference.pk).update(code="x = 1"),
            lambda: Problem.objects.filter(pk=self.w.problem.pk).update(time_limit_ms=999),
            lambda: ProblemTestCase.objects.get_or_create(
                problem=self.w.problem, order=9, defaults={"input": "[]"}
            ),
        ]
        for edit in edits:
            with self.subTest(edit=edits.index(edit)), transaction.atomic():

                def run_while_an_instructor_edits(request, edit=edit):
                    edit()
                    return RunResult(outcome=Outcome.OK, stdout=b"3\n")

                self.assertEqual(self.validate(run_while_an_instructor_edits), 0)
                self.assertEqual(validated(self.reference).validation_status, "")
                transaction.set_rollback(True)

    def test_an_edit_that_decides_no_verdict_does_not_drop_results(self):
        def run_while_an_instructor_renames(request):
            Problem.objects.filter(pk=self.w.problem.pk).update(
                title="Renamed", updated_at=timezone.now() + timedelta(seconds=1)
            )
            return RunResult(outcome=Outcome.OK, stdout=b"3\n")

        self.assertEqual(self.validate(run_while_an_instructor_renames), 1)

    def test_every_reference_solution_is_judged_with_its_own_language(self):
        factories.ReferenceSolutionFactory(
            problem=self.w.problem, language="c", code="void solve(void) {}"
        )
        backend = ScriptedBackend(lambda request: RunResult(outcome=Outcome.OK, stdout=b"3\n"))
        self.assertEqual(self.validate(backend), 2)
        self.assertEqual(sorted({r.language for r in backend.requests}), ["c", "python"])

    def test_a_problem_without_cases_has_nothing_to_judge(self):
        self.w.problem.test_cases.all().delete()
        self.assertEqual(self.validate(RunResult(outcome=Outcome.OK)), 0)

    def test_a_request_forgets_the_old_results_until_the_new_ones_come(self):
        self.validate(RunResult(outcome=Outcome.OK, stdout=b"3\n"))
        with self.captureOnCommitCallbacks() as callbacks:
            problem_validation_request(problem_id=self.w.problem.pk)
        reference = validated(self.reference)
        self.assertEqual((reference.validation_status, reference.validated_at), ("", None))
        self.assertEqual(len(callbacks), 1)


@override_settings(COURSES_JUDGE_BACKEND=ACCEPTING)
class ValidateApiTestCase(ApiTestMixin, TransactionTestCase):
    """POST staff/problems/<id>/validate/ and the validations that saving triggers."""

    def setUp(self):
        super().setUp()
        self.w = AuthoringWorld()
        # AcceptingBackend prints 3 whatever the input: both cases expect it.
        ProblemTestCase.objects.filter(pk=self.w.hidden.pk).update(
            input="[2, 1]", expected_output="3"
        )
        self.reference = factories.ReferenceSolutionFactory(problem=self.w.problem)
        self.client = self.client_for(self.w.instructor)

    def url(self, name: str, **kwargs) -> str:
        return reverse(f"api:{name}", kwargs=kwargs or {"problem_id": self.w.problem.pk})

    def test_validation_judged_inline_answers_200_with_the_results(self):
        response = self.client.post(self.url("staff-problem-validate"))
        self.assertEqual(response.status_code, 200, response.content)
        body = response.json()
        self.assertEqual((body["problem"], body["state"]), (self.w.problem.pk, "done"))
        (reference,) = body["reference_solutions"]
        self.assertEqual(reference["validation"]["status"], "accepted")
        self.assertEqual(reference["validation"]["score"], "1.0000")
        self.assertEqual(len(reference["validation"]["details"]["cases"]), 2)

    def test_validation_on_a_worker_answers_202_and_the_results_come_later(self):
        with mock.patch.object(validate_problem, "delay") as delay:
            response = self.client.post(self.url("staff-problem-validate"))
        self.assertEqual(response.status_code, 202, response.content)
        self.assertEqual(response.json()["state"], "running")
        self.assertEqual(response.json()["reference_solutions"][0]["validation"]["status"], "")
        delay.assert_called_once_with(self.w.problem.pk)
        validate_problem(self.w.problem.pk)  # the worker's turn
        response = self.client.get(self.url("staff-problem-detail"))
        self.assertEqual(
            response.json()["reference_solutions"][0]["validation"]["status"], "accepted"
        )

    def test_assistants_may_ask_for_a_validation(self):
        response = self.client_for(self.w.assistant).post(self.url("staff-problem-validate"))
        self.assertEqual(response.status_code, 200, response.content)

    def test_nothing_to_validate_without_cases_or_reference_solutions(self):
        self.reference.delete()
        error = self.assertError(
            self.client.post(self.url("staff-problem-validate")), 409, "nothing_to_validate"
        )
        self.assertIn("reference solution", error["message"])
        empty = factories.ProblemFactory(chapter=self.w.chapter)
        factories.ReferenceSolutionFactory(problem=empty)
        response = self.client.post(self.url("staff-problem-validate", problem_id=empty.pk))
        self.assertError(response, 409, "nothing_to_validate")

    @override_settings(COURSES_JUDGE_BACKEND=backend_path(WrongBackend))
    def test_a_new_case_judges_the_reference_solutions_again(self):
        response = self.client.post(
            self.url("staff-case-list"), {"input": "[3, 4]", "expected_output": "7"}, format="json"
        )
        self.assertEqual(response.status_code, 201)
        self.assertEqual(validated(self.reference).validation_status, "wrong_answer")

    def test_an_archive_judges_the_reference_solutions_again(self):
        from courses.tests.test_api_testdata import PAIRS, make_zip

        url = self.url("staff-case-archive") + "?mode=replace"
        files = {**PAIRS, "2.out": "3"}  # AcceptingBackend prints 3 for everything
        response = self.client.post(url, data=make_zip(files), content_type="application/zip")
        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual(validated(self.reference).validation_status, "accepted")

    def test_a_reference_solution_is_judged_as_soon_as_it_is_saved(self):
        self.reference.delete()
        response = self.client.post(
            self.url("staff-reference-list"),
            {"language": "python", "code": "def solve(a, b):\n    return a + b\n"},
            format="json",
        )
        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual(response.json()["validation"]["status"], "accepted")

    def test_only_changes_that_decide_verdicts_judge_again(self):
        self.client.post(self.url("staff-problem-validate"))
        first = validated(self.reference).validated_at
        self.client.patch(self.url("staff-problem-detail"), {"title": "Renamed"}, format="json")
        self.assertEqual(validated(self.reference).validated_at, first)
        self.client.patch(self.url("staff-problem-detail"), {"time_limit_ms": 1500}, format="json")
        self.assertGreater(validated(self.reference).validated_at, first)

    def test_the_task_retries_an_unreachable_judge_then_stores_the_failure(self):
        with override_settings(COURSES_JUDGE_BACKEND=backend_path(UnreachableBackend)):
            from courses.judging.backends import shared_backend

            before = len(shared_backend().batches)
            validate_problem.apply(args=[self.w.problem.pk])
            attempts = len(shared_backend().batches) - before
        self.assertEqual(attempts, MAX_RETRIES + 1)
        reference = validated(self.reference)
        self.assertEqual(
            (reference.validation_status, reference.validation_details["cause"]),
            ("internal_error", "infrastructure"),
        )


class ReferenceSolutionApiTestCase(ApiTestMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.w = AuthoringWorld()
        cls.reference = factories.ReferenceSolutionFactory(problem=cls.w.problem)

    def setUp(self):
        super().setUp()
        self.client = self.client_for(self.w.instructor)

    def add(self, data):
        url = reverse("api:staff-reference-list", kwargs={"problem_id": self.w.problem.pk})
        return self.client.post(url, data, format="json")

    def detail(self) -> str:
        return reverse("api:staff-reference-detail", kwargs={"reference_id": self.reference.pk})

    def test_one_reference_solution_per_language(self):
        response = self.add({"language": "python", "code": "def solve(a, b): return a + b"})
        self.assertError(response, 409, "already_exists", fields={"language"})
        response = self.add({"language": "c", "code": "void solve(void) {}"})
        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual(response.json()["validation"]["status"], "")  # not committed here

    def test_bad_inputs_name_their_field(self):
        for data, field in (
            ({"language": "cobol", "code": "x"}, "language"),
            ({"language": 3, "code": "x"}, "language"),
            ({"language": "c", "code": ""}, "code"),
            ({"language": "c", "code": "   \n"}, "code"),
            ({"language": "c", "code": 42}, "code"),
            ({"language": "c", "code": "int x;\u0000"}, "code"),
            ({"language": "c"}, "code"),
        ):
            with self.subTest(data=data):
                self.assertError(self.add(data), 400, "invalid_input", fields={field})
        with self.settings(COURSES_MAX_SOURCE_BYTES=10):
            self.assertError(
                self.add({"language": "c", "code": "x" * 11}),
                413,
                "payload_too_large",
                fields={"code"},
            )

    def test_a_reference_solution_is_read_edited_and_deleted(self):
        response = self.client.get(self.detail())
        self.assertEqual(response.json()["code"], self.reference.code)
        response = self.client.patch(
            self.detail(), {"code": "def solve(a, b):\n    return b + a\n"}, format="json"
        )
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(validated(self.reference).code, "def solve(a, b):\n    return b + a\n")
        response = self.client.patch(self.detail(), {"language": "cobol"}, format="json")
        self.assertError(response, 400, "invalid_input", fields={"language"})
        self.assertEqual(self.client.delete(self.detail()).status_code, 204)
        self.assertFalse(ReferenceSolution.objects.filter(pk=self.reference.pk).exists())

    def test_assistants_read_but_do_not_write(self):
        assistant = self.client_for(self.w.assistant)
        self.assertEqual(assistant.get(self.detail()).status_code, 200)
        response = assistant.patch(self.detail(), {"code": "x"}, format="json")
        self.assertError(response, 403, "permission_denied")

    def test_the_list_is_paginated(self):
        url = reverse("api:staff-reference-list", kwargs={"problem_id": self.w.problem.pk})
        results = self.assertPage(self.client.get(url), count=1)
        self.assertEqual(results[0]["language"], "python")


@requires_sandbox
@override_settings(COURSES_JUDGE_BACKEND="local")
class ValidationOnTheRealSandboxTestCase(ApiTestMixin, TransactionTestCase):
    """The real local sandbox judges a right and a wrong Python reference solution."""

    def setUp(self):
        super().setUp()
        self.w = AuthoringWorld()
        self.client = self.client_for(self.w.instructor)

    def test_a_right_solution_is_accepted_and_a_wrong_one_is_not(self):
        url = reverse("api:staff-reference-list", kwargs={"problem_id": self.w.problem.pk})
        right = "def solve(a, b):\n    return a + b\n"
        response = self.client.post(url, {"language": "python", "code": right}, format="json")
        self.assertEqual(response.status_code, 201, response.content)
        validation = response.json()["validation"]
        self.assertEqual(validation["status"], "accepted", validation)
        self.assertEqual(validation["details"]["passed_cases"], 2)

        detail = reverse(
            "api:staff-reference-detail", kwargs={"reference_id": response.json()["id"]}
        )
        wrong = "def solve(a, b):\n    print('thinking')\n    return a - b\n"
        response = self.client.patch(detail, {"code": wrong}, format="json")
        validation = response.json()["validation"]
        self.assertEqual(validation["status"], "wrong_answer", validation)
        failure = validation["details"]["first_failure"]
        self.assertEqual((failure["order"], failure["output"]), (1, "-1\n"))
        self.assertIn("thinking", failure["error_output"])
