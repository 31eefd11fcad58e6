"""Judging while the instructor edits the test data: the verdict the code earned is kept.

Nothing is locked while code runs, so a case (or a subtask) may be deleted, or every case
replaced, between the run and the save. The save keeps such a case's result with an empty link,
as a deletion just after the verdict leaves it (``SET_NULL``). ``TransactionTestCase``: foreign
keys are checked at commit, which a ``TestCase`` never reaches.
"""

from __future__ import annotations

import json

from django.db import connection
from django.test import TestCase, TransactionTestCase
from django.urls import reverse

from courses.judging.types import RunRequest, RunResult
from courses.models import ProblemTestCase, Submission, SubmissionTestResult, Subtask
from courses.services import judging_authoring, testdata
from courses.services.code_executor import CodeExecutorService
from courses.tests import factories
from courses.tests.api_support import cases_zip, judged_submission
from courses.tests.interleave import Choreography, postgresql_only
from courses.tests.scripted_backend import ScriptedBackend, ok
from courses.tests.services.db_fixtures import run_together

ADD = "def solve(a, b):\n    return a + b\n"


def right_answer(request: RunRequest) -> RunResult:
    """What ``ADD`` prints for a case of ``add_problem``."""
    return ok(json.dumps(sum(json.loads(request.stdin))))


def add_problem(count: int = 4):
    problem = factories.ProblemFactory()
    for order in range(count):
        factories.ProblemTestCaseFactory(
            problem=problem,
            order=order,
            input=json.dumps([order, 1]),
            expected_output=json.dumps(order + 1),
            is_sample=order == 0,
        )
    return problem


class Meanwhile:
    """A scripted backend's script: answer right, and do ``edit`` once, at the first run."""

    def __init__(self, edit) -> None:
        self.edit = edit
        self.done = False

    def __call__(self, request: RunRequest) -> RunResult:
        if not self.done:
            self.done = True
            self.edit()
        return right_answer(request)


class JudgingWhileTestDataChangesTestCase(TransactionTestCase):
    def setUp(self):
        self.user = factories.UserFactory()
        self.problem = add_problem()
        self.cases = list(self.problem.test_cases.order_by("order"))

    def judge(self, edit) -> Submission:
        backend = ScriptedBackend(Meanwhile(edit))
        return CodeExecutorService(backend=backend).run_all_test_cases(self.user, self.problem, ADD)

    def links(self, submission) -> list[tuple[int, int | None, int | None]]:
        results = SubmissionTestResult.objects.filter(submission=submission).order_by("order")
        return list(results.values_list("order", "test_case_id", "subtask_id"))

    def test_a_case_deleted_while_judging_keeps_its_result_with_an_empty_link(self):
        gone = self.cases[2]
        submission = self.judge(lambda: testdata.case_delete(case=gone))
        self.assertEqual((submission.status, str(submission.score)), ("accepted", "1.0000"))
        self.assertEqual(
            self.links(submission),
            [(0, self.cases[0].pk, None), (1, self.cases[1].pk, None), (2, None, None),
             (3, self.cases[3].pk, None)],
        )  # fmt: skip
        verdicts = SubmissionTestResult.objects.filter(submission=submission)
        self.assertEqual(set(verdicts.values_list("verdict", flat=True)), {"accepted"})

    def test_a_subtask_deleted_while_judging_keeps_its_results_with_an_empty_link(self):
        first = judging_authoring.subtask_create(problem=self.problem, points=50)
        second = judging_authoring.subtask_create(problem=self.problem, points=50, cases=[2, 3])

        def merge():  # its cases go to the first subtask, then it goes
            judging_authoring.subtask_update(subtask=first, cases=[0, 1, 2, 3])
            judging_authoring.subtask_delete(subtask=second)

        submission = self.judge(merge)
        self.assertEqual(submission.status, "accepted")
        self.assertFalse(Subtask.objects.filter(pk=second.pk).exists())
        self.assertEqual(
            self.links(submission),
            [(0, self.cases[0].pk, first.pk), (1, self.cases[1].pk, first.pk),
             (2, self.cases[2].pk, None), (3, self.cases[3].pk, None)],
        )  # fmt: skip
        # What each subtask earned stays as judged, names and points included.
        self.assertEqual(
            [(s["order"], s["earned"]) for s in submission.subtask_results], [(1, "50"), (2, "50")]
        )

    def test_cases_replaced_from_an_archive_while_judging_keep_the_verdict(self):
        archive = cases_zip({"a": ("[5, 5]", "10")})

        def replace():
            testdata.cases_import_archive(problem=self.problem, data=archive, mode="replace")

        submission = self.judge(replace)
        self.assertEqual(submission.status, "accepted")
        self.assertEqual(
            self.links(submission), [(0, None, None), (1, None, None), (2, None, None),
                                     (3, None, None)],
        )  # fmt: skip
        self.assertEqual(ProblemTestCase.objects.filter(problem=self.problem).count(), 1)

    @postgresql_only
    def test_a_deletion_during_the_save_waits_for_it_then_unlinks_the_new_results(self):
        """The deletion comes after the save read which cases exist, before its commit (a
        forced interleaving): it must wait, then find the new results and unlink them."""
        gone = self.cases[1]
        gone_pk = gone.pk  # deleting sets gone.pk to None
        outcome = {}

        def judging():
            with race.party("judging", after=r"FOR NO KEY UPDATE"):
                outcome["submission"] = self.judge(lambda: None)

        def deleting():
            race.reached("judging")
            with race.party("deleting"):
                testdata.case_delete(case=gone)
                outcome["still_linked"] = SubmissionTestResult.objects.filter(
                    test_case_id=gone_pk
                ).exists()

        with Choreography("judging", "deleting") as race:
            _, errors = run_together(lambda task: task(), [(judging,), (deleting,)])
        self.assertEqual(errors, [])
        self.assertEqual(connection.vendor, "postgresql")
        submission = outcome["submission"]
        self.assertEqual(submission.status, "accepted")
        self.assertFalse(ProblemTestCase.objects.filter(pk=gone_pk).exists())
        self.assertEqual([link[1] for link in self.links(submission)][1], None)
        self.assertFalse(outcome["still_linked"])


class ResultsOfDeletedCasesTestCase(TestCase):
    """A result whose case (and subtask) is gone shows as a hidden case to the student, and
    as "deleted since", without input or expected output, to the staff (pages and API)."""

    def setUp(self):
        self.problem = add_problem(2)
        course = self.problem.chapter.course
        self.student = factories.UserFactory()
        self.instructor = factories.UserFactory()
        factories.EnrollmentFactory(user=self.student, course=course)
        factories.EnrollmentFactory(user=self.instructor, course=course, role="instructor")
        self.submission = judged_submission(self.student, self.problem)
        sample = self.problem.test_cases.get(order=0)
        testdata.case_delete(case=sample)  # the sample: the student saw its input before

    def test_the_students_page_and_api_show_it_as_a_hidden_case(self):
        self.client.force_login(self.student)
        first = self.client.get(f"/api/v1/submissions/{self.submission.pk}/").json()["results"][0]
        self.assertEqual((first["hidden"], first["subtask"]), (True, None))
        self.assertNotIn("input", first)
        page = self.client.get(reverse("web:submission", args=[self.submission.pk]))
        self.assertEqual(page.status_code, 200)
        rows = page.content.decode().split("<tbody>")[1].split("</tbody>")[0].split("</tr>")
        self.assertIn("Hidden case", rows[0])
        self.assertNotIn("output of case 0", page.content.decode())

    def test_the_staff_page_and_api_show_it_without_its_data(self):
        self.client.force_login(self.instructor)
        response = self.client.get(f"/api/v1/staff/submissions/{self.submission.pk}/")
        first = response.json()["results"][0]
        self.assertEqual(
            (first["test_case"], first["is_sample"], first["input"], first["output"]),
            (None, None, None, "output of case 0"),
        )
        page = self.client.get(reverse("web:staff-submission", args=[self.submission.pk]))
        self.assertEqual(page.status_code, 200)
        self.assertIn("Case 1 (deleted since)", page.content.decode())
