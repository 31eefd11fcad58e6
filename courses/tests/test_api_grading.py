"""Grading API for a course's staff: the course's submissions (hidden-case data included),
rejudging, and the gradebook as JSON and CSV.

Judging goes through scripted backends (``api_support``); the rejudge that changes verdicts runs
inline on commit, so it is a ``TransactionTestCase``.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import timedelta
from decimal import Decimal

from django.test import TestCase, TransactionTestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from courses.judging.types import Verdict
from courses.models import (
    Course,
    Enrollment,
    ExamAttempt,
    ProblemProgress,
    Submission,
    SubmissionTestResult,
)
from courses.services.exam_attempts import exam_attempt_finish
from courses.services.submissions import rejudge, submission_create
from courses.tests import factories
from courses.tests.api_support import (
    ADD,
    AcceptingBackend,
    ApiTestMixin,
    RoleWorld,
    WrongBackend,
    backend_path,
    judged_submission,
    problem_with_cases,
)
from courses.tests.matrix import all_rows

#: What ``judged_submission`` stores for the hidden case (order 1) of ``problem_with_cases``.
HIDDEN_MARKERS = ("[1, 2] hidden", "output of case 1", "stderr of case 1")
#: What the program printed on it: the part no endpoint but the staff detail returns.
HIDDEN_PROGRAM_TEXT = ("output of case 1", "stderr of case 1")
STAFF_ROLES = ("assistant", "instructor", "superuser")


def set_created_at(submission, when):
    Submission.objects.filter(pk=submission.pk).update(created_at=when)


# --- GET staff/courses/<id>/submissions/ -----------------------------------------------------


class StaffSubmissionListApiTestCase(ApiTestMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.w = RoleWorld()
        w = cls.w
        cls.student, cls.other = w.users["student"], w.users["other_student"]
        cls.late = judged_submission(
            cls.other, w.problem, verdict=Verdict.WRONG_ANSWER, is_late=True, late_days=2
        )
        # Another course's submission never shows.
        cls.foreign = judged_submission(cls.student, problem_with_cases())

    def url(self, course_id=None):
        return reverse("api:staff-submission-list", args=[course_id or self.w.course.pk])

    def get(self, role="instructor", **query):
        return self.client_for(self.w.users[role]).get(self.url(), query)

    def ids(self, response) -> list[int]:
        return [row["id"] for row in self.assertPage(response)]

    def test_staff_see_every_submission_of_the_course_newest_first(self):
        w = self.w
        expected = [self.late.pk, w.exam_submission.pk, w.submission.pk]
        for role in STAFF_ROLES:
            with self.subTest(role=role):
                self.assertEqual(self.ids(self.get(role)), expected)

    def test_a_row_shows_who_what_verdict_points_lateness_and_attempt_but_no_code(self):
        self.w.course.late_policy = Course.LatePolicy.PENALTY
        self.w.course.late_penalty_percent_per_day = Decimal("10")
        self.w.course.save()
        Submission.objects.filter(pk=self.late.pk).update(score=Decimal("0.5"))
        rows = {row["id"]: row for row in self.assertPage(self.get())}
        late = rows[self.late.pk]
        self.assertEqual(
            late,
            {
                "id": self.late.pk,
                "user": self.other.username,
                "user_id": self.other.pk,
                "problem": self.w.problem.pk,
                "problem_title": self.w.problem.title,
                "exam_attempt": None,
                "language": "python",
                "status": "wrong_answer",
                "score": "0.5000",
                "points": "50.0000",
                "counted_points": "40.0000",  # two started days late at 10% a day
                "is_late": True,
                "late_days": 2,
                "created_at": late["created_at"],
                "judged_at": late["judged_at"],
                "lane": "live",
                "queue_wait_ms": late["queue_wait_ms"],
                "judging_time_ms": late["judging_time_ms"],
            },
        )
        self.assertIsNotNone(late["judged_at"])
        self.assertEqual(rows[self.w.exam_submission.pk]["exam_attempt"], self.w.attempt.pk)

    def test_a_row_shows_the_queue_wait_and_the_judging_time(self):
        """Staff see how long a submission waited for a worker and how long judging took
        (issue 13): from its (re)queueing to its claim, and from its claim to its verdict."""
        queued = timezone.now() - timedelta(minutes=5)
        Submission.objects.filter(pk=self.late.pk).update(
            enqueued_at=queued,
            judging_started_at=queued + timedelta(seconds=42, milliseconds=250),
            judged_at=queued + timedelta(seconds=43, milliseconds=750),
        )
        Submission.objects.filter(pk=self.w.submission.pk).update(
            status="pending", judging_started_at=None, judged_at=None, lane="bulk"
        )
        rows = {row["id"]: row for row in self.assertPage(self.get())}
        self.assertEqual(
            (rows[self.late.pk]["queue_wait_ms"], rows[self.late.pk]["judging_time_ms"]),
            (42250, 1500),
        )
        waiting = rows[self.w.submission.pk]
        self.assertEqual(
            (waiting["lane"], waiting["queue_wait_ms"], waiting["judging_time_ms"]),
            ("bulk", None, None),
        )
        detail = self.client_for(self.w.users["assistant"]).get(
            reverse("api:staff-submission-detail", args=[self.late.pk])
        )
        self.assertEqual(
            (detail.json()["queue_wait_ms"], detail.json()["judging_time_ms"]), (42250, 1500)
        )

    def test_each_filter_selects_its_submissions(self):
        w = self.w
        now = timezone.now()
        set_created_at(w.submission, now - timedelta(days=3))
        set_created_at(w.exam_submission, now - timedelta(days=2))
        set_created_at(self.late, now - timedelta(days=1))
        day = timedelta(days=1)
        cases = [
            ({"student": self.other.username}, [self.late.pk]),
            ({"student": "nobody"}, []),
            ({"problem": w.problem.pk}, [self.late.pk, w.submission.pk]),
            ({"problem": self.foreign.problem_id}, []),
            ({"status": "wrong_answer"}, [self.late.pk]),
            ({"status": "accepted"}, [w.exam_submission.pk, w.submission.pk]),
            ({"since": (now - 2 * day).isoformat()}, [self.late.pk, w.exam_submission.pk]),
            ({"until": (now - 2 * day).isoformat()}, [w.submission.pk]),
            (
                {"since": (now - 3 * day).isoformat(), "until": (now - day).isoformat()},
                [w.exam_submission.pk, w.submission.pk],
            ),
            ({"late": "true"}, [self.late.pk]),
            ({"late": "false"}, [w.exam_submission.pk, w.submission.pk]),
            ({"exam": w.exam.pk}, [w.exam_submission.pk]),
            ({"in_exam": "true"}, [w.exam_submission.pk]),
            ({"in_exam": "0"}, [self.late.pk, w.submission.pk]),
            ({"problem": w.problem.pk, "late": "false"}, [w.submission.pk]),
        ]
        for query, expected in cases:
            with self.subTest(query=query):
                self.assertEqual(self.ids(self.get(**query)), expected)

    def test_a_date_without_a_time_or_offset_is_midnight_utc(self):
        set_created_at(self.w.submission, timezone.now().replace(year=2020, month=5, day=1))
        self.assertEqual(
            self.ids(self.get(since="2020-05-01", until="2020-05-02")), [self.w.submission.pk]
        )

    def test_bad_filter_values_are_400_naming_the_field(self):
        cases = [
            ({"problem": "abc"}, "problem"),
            ({"problem": "0"}, "problem"),
            ({"problem": str(2**64)}, "problem"),
            ({"exam": "1.5"}, "exam"),
            ({"status": "solved"}, "status"),
            ({"status": ""}, "status"),
            ({"student": ""}, "student"),
            ({"student": "x" * 151}, "student"),
            ({"since": "yesterday"}, "since"),
            ({"until": "2025-13-01"}, "until"),
            ({"since": "2025-02-01", "until": "2025-01-01"}, "until"),
            ({"since": "2025-01-01", "until": "2025-01-01"}, "until"),
            ({"late": "yes"}, "late"),
            ({"in_exam": ""}, "in_exam"),
        ]
        for query, field in cases:
            with self.subTest(query=query):
                self.assertError(self.get(**query), 400, "invalid_input", fields={field})

    def test_unknown_query_parameters_and_pages_are_the_lists_usual(self):
        self.assertEqual(len(self.ids(self.get(colour="blue"))), 3)
        self.assertEqual(len(self.ids(self.get(page_size=1))), 1)
        self.assertError(self.get(page=9), 404, "not_found")

    def test_students_and_other_courses_staff_get_403_and_hidden_courses_404(self):
        w = self.w
        for role in ("student", "non_member", "other_instructor"):
            with self.subTest(role=role):
                self.assertError(self.get(role), 403, "permission_denied")
        self.assertError(self.client_for(None).get(self.url()), 403, "not_authenticated")
        instructor = self.client_for(w.users["instructor"])
        self.assertError(instructor.get(self.url(w.other_course.pk)), 403, "permission_denied")
        self.assertError(instructor.get(self.url(10**9)), 404, "not_found")
        draft = factories.CourseFactory(is_published=False)
        self.assertError(instructor.get(self.url(draft.pk)), 404, "not_found")

    def test_the_query_count_is_the_same_for_two_rows_and_a_full_page(self):
        client = self.client_for(self.w.users["assistant"])
        url = self.url()
        Submission.objects.exclude(pk__in=[self.w.submission.pk, self.late.pk]).filter(
            problem__chapter__course=self.w.course
        ).delete()
        client.get(url)  # roles cached, as on any later request
        self.assertEqual(len(self.ids(client.get(url))), 2)
        two = self.count_queries(lambda: client.get(url))
        users = [factories.UserFactory() for _ in range(5)]
        for index in range(20):
            judged_submission(users[index % 5], self.w.exam_only_problem, is_late=index % 2 == 0)
        self.assertEqual(len(self.ids(client.get(url))), 20)
        full = self.count_queries(lambda: client.get(url))
        self.assertEqual(two, full)


# --- GET staff/submissions/<id>/ -------------------------------------------------------------


class StaffSubmissionDetailApiTestCase(ApiTestMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.w = RoleWorld()

    def url(self, submission_id=None):
        return reverse("api:staff-submission-detail", args=[submission_id or self.w.submission.pk])

    def get(self, role="assistant", submission_id=None):
        return self.client_for(self.w.user(role)).get(self.url(submission_id))

    def test_staff_see_the_code_and_every_case_hidden_ones_included(self):
        w = self.w
        response = self.get()
        self.assertEqual(response.status_code, 200, response.content)
        body = response.json()
        self.assertEqual(body["id"], w.submission.pk)
        self.assertEqual(body["user"], w.users["student"].username)
        self.assertEqual(body["code"], w.submission.code)
        self.assertEqual(body["status"], "accepted")
        sample, hidden = w.problem.test_cases.order_by("order")
        self.assertEqual(
            body["results"],
            [
                {
                    "order": 0,
                    "test_case": sample.pk,
                    "is_sample": True,
                    "weight": 1,
                    "input": "[1, 2]",
                    "expected_output": "3",
                    "output": "output of case 0",
                    "error_output": "stderr of case 0",
                    "verdict": "accepted",
                    "score": "1.0000",
                    "message": "",
                    "subtask": None,
                    "time_ms": 5,
                    "memory_kb": 1000,
                },
                {
                    "order": 1,
                    "test_case": hidden.pk,
                    "is_sample": False,
                    "weight": 1,
                    "input": "[1, 2] hidden",
                    "expected_output": "3",
                    "output": "output of case 1",
                    "error_output": "stderr of case 1",
                    "verdict": "accepted",
                    "score": "1.0000",
                    "message": "",
                    "subtask": None,
                    "time_ms": 5,
                    "memory_kb": 1000,
                },
            ],
        )

    def test_the_reason_of_an_infrastructure_failure_is_shown_to_staff(self):
        Submission.objects.filter(pk=self.w.submission.pk).update(
            status=Verdict.INTERNAL_ERROR, error_text="judge0 at 10.0.0.7 refused"
        )
        body = self.get().json()
        self.assertEqual(body["status"], "internal_error")
        self.assertEqual(body["error_text"], "judge0 at 10.0.0.7 refused")

    def test_a_result_whose_case_was_deleted_keeps_what_the_program_printed(self):
        submission = judged_submission(
            self.w.users["student"], problem_with_cases(chapter=self.w.chapter, order=5)
        )
        submission.problem.test_cases.filter(order=1).delete()
        result = self.get(submission_id=submission.pk).json()["results"][1]
        self.assertEqual(
            {key: result[key] for key in ("test_case", "is_sample", "weight", "input")},
            {"test_case": None, "is_sample": None, "weight": None, "input": None},
        )
        self.assertIsNone(result["expected_output"])
        self.assertEqual(result["output"], "output of case 1")

    def test_an_exam_submission_shows_staff_everything_whatever_the_exam_feedback(self):
        self.w.exam.feedback = "none"
        self.w.exam.save()
        body = self.get(submission_id=self.w.exam_submission.pk).json()
        self.assertEqual(body["exam_attempt"], self.w.attempt.pk)
        self.assertEqual(body["results"][1]["output"], "output of case 1")
        # Its points are the exam's: the problem is worth 10 there, more in practice.
        self.assertNotEqual(self.w.exam_only_problem.points, 10)
        self.assertEqual((body["points"], body["counted_points"]), ("10.0000", "10.0000"))

    def test_its_author_gets_403_and_whoever_may_not_know_it_404(self):
        self.assertError(self.get("student"), 403, "permission_denied")
        for role in ("other_student", "non_member", "other_instructor"):
            with self.subTest(role=role):
                self.assertError(self.get(role), 404, "not_found")
        self.assertError(self.get(submission_id=10**9), 404, "not_found")
        self.assertError(self.get("anonymous"), 403, "not_authenticated")


def response_text(response) -> str:
    """A response's text; a package export (a zip) is read member by member."""
    if response.get("Content-Type") != "application/zip":
        return response.content.decode()
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        return "\n".join(archive.read(name).decode() for name in archive.namelist())


class HiddenCaseDataTestCase(ApiTestMixin, TestCase):
    """What the program printed on a hidden case leaves the server through one endpoint only,
    for the course's staff; nobody else gets any hidden-case data from any GET of the API."""

    @classmethod
    def setUpTestData(cls):
        cls.w = RoleWorld()

    def test_no_get_endpoint_but_the_staff_detail_returns_hidden_case_data(self):
        rows = [row for row in all_rows() if row.method == "GET"]
        self.assertIn("staff-submission-detail", {row.route for row in rows})
        for row in rows:
            url = reverse(f"api:{row.route}", kwargs=row.kwargs(self.w))
            for role in ("anonymous", "student", "other_student", "non_member", *STAFF_ROLES):
                with self.subTest(route=row.route, note=row.note, role=role):
                    response = self.client_for(self.w.user(role)).get(url, row.query)
                    text = response_text(response)
                    if role in STAFF_ROLES and row.route == "staff-submission-detail":
                        for marker in HIDDEN_MARKERS:
                            self.assertIn(marker, text)
                    elif role in STAFF_ROLES:
                        for marker in HIDDEN_PROGRAM_TEXT:
                            self.assertNotIn(marker, text)
                    else:
                        for marker in HIDDEN_MARKERS:
                            self.assertNotIn(marker, text)


# --- Rejudge ---------------------------------------------------------------------------------


class RejudgeApiTestCase(ApiTestMixin, TestCase):
    """Rejudging resets and enqueues on commit; ``TestCase`` never commits, so what was reset
    is seen as it is before judging (the judging itself is ``RejudgeJudgingTestCase``)."""

    @classmethod
    def setUpTestData(cls):
        cls.w = RoleWorld()
        cls.wrong = judged_submission(
            cls.w.users["other_student"], cls.w.problem, verdict=Verdict.WRONG_ANSWER
        )
        cls.foreign = judged_submission(cls.w.users["student"], problem_with_cases())

    def post(self, name, role="assistant", body=None, **kwargs):
        client = self.client_for(self.w.user(role))
        url = reverse(f"api:{name}", kwargs=kwargs)
        if body is None:
            return client.post(url)
        return client.post(url, data=json.dumps(body), content_type="application/json")

    def rejudge_course(self, body, role="assistant"):
        return self.post("staff-course-rejudge", role, body, course_id=self.w.course.pk)

    def assertRejudged(self, response, ids):
        self.assertEqual(response.status_code, 202, response.content)
        self.assertEqual(response.json(), {"count": len(ids), "submission_ids": sorted(ids)})
        for submission in Submission.objects.filter(pk__in=ids):
            self.assertEqual(submission.status, Verdict.PENDING)
            self.assertEqual(submission.score, 0)
            self.assertIsNone(submission.judged_at)
        self.assertFalse(SubmissionTestResult.objects.filter(submission_id__in=ids).exists())

    def test_staff_rejudge_one_submission_and_it_is_enqueued_on_commit(self):
        with self.captureOnCommitCallbacks() as callbacks:
            response = self.post("staff-submission-rejudge", submission_id=self.w.submission.pk)
        self.assertRejudged(response, [self.w.submission.pk])
        self.assertEqual(len(callbacks), 1)
        untouched = Submission.objects.get(pk=self.wrong.pk)
        self.assertEqual(untouched.status, Verdict.WRONG_ANSWER)

    def test_a_rejudge_keeps_the_lateness_fixed_when_the_submission_was_made(self):
        Submission.objects.filter(pk=self.wrong.pk).update(is_late=True, late_days=3)
        self.post("staff-submission-rejudge", submission_id=self.wrong.pk)
        self.assertEqual(
            Submission.objects.values_list("is_late", "late_days").get(pk=self.wrong.pk),
            (True, 3),
        )

    def test_rejudging_a_problem_takes_every_submission_of_it(self):
        w = self.w
        exam_problem_submission = judged_submission(
            w.users["student"], w.exam_only_problem, exam_attempt=w.attempt
        )
        response = self.post("staff-problem-rejudge", problem_id=w.exam_only_problem.pk)
        self.assertRejudged(response, [w.exam_submission.pk, exam_problem_submission.pk])
        response = self.post("staff-problem-rejudge", "instructor", problem_id=w.problem.pk)
        self.assertRejudged(response, [w.submission.pk, self.wrong.pk])

    def test_rejudging_a_problem_without_submissions_is_an_empty_202(self):
        response = self.post("staff-problem-rejudge", problem_id=self.w.draft_problem.pk)
        self.assertRejudged(response, [])

    def test_a_course_rejudge_takes_the_filtered_set(self):
        w = self.w
        with self.captureOnCommitCallbacks() as callbacks:
            response = self.rejudge_course({"status": "wrong_answer"})
        self.assertRejudged(response, [self.wrong.pk])
        self.assertEqual(len(callbacks), 1)
        response = self.rejudge_course({"in_exam": True, "student": w.users["student"].username})
        self.assertRejudged(response, [w.exam_submission.pk])
        self.assertRejudged(self.rejudge_course({"student": "nobody"}), [])

    def test_a_course_rejudge_of_everything_needs_all_true(self):
        w = self.w
        response = self.rejudge_course({"all": True})
        self.assertRejudged(response, [w.submission.pk, w.exam_submission.pk, self.wrong.pk])
        self.assertEqual(Submission.objects.get(pk=self.foreign.pk).status, Verdict.ACCEPTED)

    def test_a_course_rejudge_without_a_filter_or_with_both_is_refused(self):
        for body in ({}, {"all": False}, {"all": True, "status": "accepted"}):
            with self.subTest(body=body):
                self.assertError(self.rejudge_course(body), 400, "invalid_input", fields={"all"})
        self.assertFalse(Submission.objects.filter(status=Verdict.PENDING).exists())

    def test_a_course_rejudge_with_wrong_json_types_or_values_is_400_naming_the_field(self):
        cases = [
            ({"problem": "1"}, "problem"),
            ({"problem": True}, "problem"),
            ({"problem": 0}, "problem"),
            ({"exam": 1.5}, "exam"),
            ({"student": 42}, "student"),
            ({"status": "solved"}, "status"),
            ({"status": True}, "status"),
            ({"since": 1700000000}, "since"),
            ({"until": "tomorrow"}, "until"),
            ({"since": "2025-02-01T00:00:00Z", "until": "2025-01-01T00:00:00Z"}, "until"),
            ({"late": "true"}, "late"),
            ({"in_exam": 1}, "in_exam"),
            ({"all": "yes"}, "all"),
        ]
        for body, field in cases:
            with self.subTest(body=body):
                self.assertError(self.rejudge_course(body), 400, "invalid_input", fields={field})
        self.assertError(self.rejudge_course([1, 2]), 400, "invalid_input")
        response = self.client_for(self.w.users["assistant"]).post(
            reverse("api:staff-course-rejudge", args=[self.w.course.pk]),
            data="{",
            content_type="application/json",
        )
        self.assertError(response, 400, "malformed_json")

    def test_students_and_other_courses_staff_cannot_rejudge(self):
        w = self.w
        self.assertError(
            self.post("staff-submission-rejudge", "student", submission_id=w.submission.pk),
            403,
            "permission_denied",
        )
        self.assertError(
            self.post("staff-submission-rejudge", "other_student", submission_id=w.submission.pk),
            404,
            "not_found",
        )
        self.assertError(
            self.post("staff-problem-rejudge", "student", problem_id=w.problem.pk),
            403,
            "permission_denied",
        )
        self.assertError(
            self.rejudge_course({"all": True}, role="other_instructor"), 403, "permission_denied"
        )
        self.assertError(
            self.rejudge_course({"all": True}, role="student"), 403, "permission_denied"
        )
        self.assertFalse(Submission.objects.filter(status=Verdict.PENDING).exists())

    def test_rejudging_a_set_is_set_based(self):
        """The same number of queries for 2 submissions and for 40 (ids in chunks of 500)."""
        few = list(Submission.objects.values_list("pk", flat=True)[:2])
        two = self.count_queries(lambda: rejudge(submission_ids=few))
        for _ in range(40):
            judged_submission(self.w.users["student"], self.w.problem)
        many = list(Submission.objects.values_list("pk", flat=True))
        self.assertGreater(len(many), 40)
        self.assertEqual(self.count_queries(lambda: rejudge(submission_ids=many)), two)

    def test_the_service_rejudges_exactly_one_kind_of_target(self):
        from courses.services.errors import InvalidInput

        with self.assertRaises(InvalidInput):
            rejudge()
        with self.assertRaises(InvalidInput):
            rejudge(submission=self.w.submission, problem=self.w.problem)


@override_settings(COURSES_JUDGE_BACKEND=backend_path(AcceptingBackend))
class RejudgeJudgingTestCase(ApiTestMixin, TransactionTestCase):
    """Judged inline on commit: a rejudge that lowers verdicts lowers what is derived from them."""

    def setUp(self):
        super().setUp()
        self.student = factories.UserFactory()
        self.assistant = factories.UserFactory()
        self.problem = problem_with_cases()
        self.course = self.problem.chapter.course
        self.exam_problem = problem_with_cases(chapter=self.problem.chapter, is_exam_only=True)
        factories.EnrollmentFactory(user=self.student, course=self.course)
        factories.EnrollmentFactory(
            user=self.assistant, course=self.course, role=Enrollment.Role.ASSISTANT
        )
        exam = factories.ExamFactory(course=self.course, passing_score=Decimal("5"))
        factories.ExamProblemFactory(exam=exam, problem=self.exam_problem, score=Decimal("10"))
        self.attempt = factories.ExamAttemptFactory(exam=exam, user=self.student)

    def submit(self, problem, **kwargs):
        return submission_create(
            user=self.student, problem=problem, language="python", code=ADD, **kwargs
        )

    def test_a_rejudge_that_lowers_verdicts_lowers_progress_and_the_exam_attempts_score(self):
        practice = self.submit(self.problem)
        in_exam = self.submit(self.exam_problem, exam_attempt=self.attempt)
        exam_attempt_finish(attempt=self.attempt)
        progress = ProblemProgress.objects.get(user=self.student, problem=self.problem)
        self.assertEqual(progress.status, ProblemProgress.Status.SOLVED)
        attempt = ExamAttempt.objects.get(pk=self.attempt.pk)
        self.assertEqual((attempt.score, attempt.passed), (Decimal("10.00"), True))

        client = self.client_for(self.assistant)
        with override_settings(COURSES_JUDGE_BACKEND=backend_path(WrongBackend)):
            response = client.post(
                reverse("api:staff-course-rejudge", args=[self.course.pk]),
                data={"all": True},
                format="json",
            )
        self.assertEqual(response.status_code, 202, response.content)
        self.assertEqual(response.json()["submission_ids"], sorted([practice.pk, in_exam.pk]))
        statuses = set(Submission.objects.values_list("status", flat=True))
        self.assertEqual(statuses, {Verdict.WRONG_ANSWER})
        progress.refresh_from_db()
        self.assertEqual(progress.status, ProblemProgress.Status.ATTEMPTED)
        self.assertEqual(progress.best_score, 0)
        self.assertIsNone(progress.first_solved_at)
        attempt.refresh_from_db()
        self.assertEqual((attempt.score, attempt.passed), (Decimal("0.00"), False))
        # Staff follow a rejudge through the list filtered by status.
        listed = client.get(
            reverse("api:staff-submission-list", args=[self.course.pk]), {"status": "pending"}
        )
        self.assertPage(listed, count=0)

    def test_a_rejudge_that_raises_verdicts_raises_them_back(self):
        with override_settings(COURSES_JUDGE_BACKEND=backend_path(WrongBackend)):
            submission = self.submit(self.problem)
        response = self.client_for(self.assistant).post(
            reverse("api:staff-submission-rejudge", args=[submission.pk])
        )
        self.assertEqual(response.json(), {"count": 1, "submission_ids": [submission.pk]})
        submission.refresh_from_db()
        self.assertEqual(submission.status, Verdict.ACCEPTED)
        self.assertEqual(
            ProblemProgress.objects.get(user=self.student, problem=self.problem).status,
            ProblemProgress.Status.SOLVED,
        )


# --- Gradebook -------------------------------------------------------------------------------


class GradebookWorld:
    """A course with two students, practice problems and exams, graded by its instructor."""

    def __init__(self, *, policy=Course.LatePolicy.PENALTY, percent="10"):
        self.course = factories.CourseFactory(
            slug="intro", late_policy=policy, late_penalty_percent_per_day=Decimal(percent)
        )
        first = factories.ChapterFactory(course=self.course, order=1)
        zeroth = factories.ChapterFactory(course=self.course, order=0)
        # Course order: chapter 0 before chapter 1, whatever was created first.
        self.p2 = factories.ProblemFactory(chapter=first, order=0, title="Loops", points=50)
        self.p1 = factories.ProblemFactory(chapter=zeroth, order=0, title="Sums", points=100)
        factories.ProblemFactory(chapter=zeroth, order=1, is_visible=False, title="Draft")
        factories.ProblemFactory(chapter=zeroth, order=2, is_archived=True, title="Old")
        self.exam_only = factories.ProblemFactory(chapter=first, order=1, is_exam_only=True)
        self.instructor = factories.UserFactory(username="teacher")
        factories.EnrollmentFactory(
            user=self.instructor, course=self.course, role=Enrollment.Role.INSTRUCTOR
        )
        assistant = factories.UserFactory(username="helper")
        factories.EnrollmentFactory(
            user=assistant, course=self.course, role=Enrollment.Role.ASSISTANT
        )
        self.ann = self.student("ann")
        self.bob = self.student("bob")
        dropped = self.student("dan")
        Enrollment.objects.filter(user=dropped).update(status=Enrollment.Status.DROPPED)
        now = timezone.now()
        self.midterm = factories.ExamFactory(
            course=self.course,
            title="Midterm",
            opens_at=now - timedelta(days=2),
            total_score=Decimal("20"),
            passing_score=Decimal("10"),
        )
        self.final = factories.ExamFactory(
            course=self.course, title="Final", opens_at=now - timedelta(days=1)
        )

    def student(self, username):
        user = factories.UserFactory(username=username)
        factories.EnrollmentFactory(user=user, course=self.course)
        return user

    def submit(self, user, problem, score, *, late_days=0, verdict=None, **kwargs):
        if verdict is None:
            verdict = Verdict.ACCEPTED if score == 1 else Verdict.WRONG_ANSWER
        return factories.SubmissionFactory(
            user=user,
            problem=problem,
            status=verdict,
            score=Decimal(score),
            is_late=late_days > 0,
            late_days=late_days,
            judged_at=timezone.now(),
            **kwargs,
        )

    def attempt(self, user, exam, score, passed, *, finished=True, days_ago=1):
        started = timezone.now() - timedelta(days=days_ago)
        return factories.ExamAttemptFactory(
            exam=exam,
            user=user,
            started_at=started,
            finished_at=started + timedelta(minutes=30) if finished else None,
            score=Decimal(score),
            passed=passed,
        )


class GradebookApiTestCase(ApiTestMixin, TestCase):
    def setUp(self):
        super().setUp()
        self.g = GradebookWorld()
        self.client = self.client_for(self.g.instructor)

    def gradebook(self, **query):
        response = self.client.get(reverse("api:staff-gradebook", args=[self.g.course.pk]), query)
        self.assertEqual(response.status_code, 200, response.content)
        return response.json()

    def rows(self, **query):
        return {row["username"]: row for row in self.gradebook(**query)["results"]}

    def grades(self, username):
        row = self.rows()[username]
        return [(p["points"], p["late"]) for p in row["problems"]]

    def test_columns_are_visible_practice_problems_in_course_order_then_exams(self):
        g = self.g
        body = self.gradebook()
        self.assertEqual(
            [(p["id"], p["title"], p["points"]) for p in body["problems"]],
            [(g.p1.pk, "Sums", 100), (g.p2.pk, "Loops", 50)],
        )
        self.assertEqual(
            body["exams"],
            [
                {
                    "id": g.midterm.pk,
                    "title": "Midterm",
                    "total_score": "20.00",
                    "passing_score": "10.00",
                },
                {
                    "id": g.final.pk,
                    "title": "Final",
                    "total_score": "0.00",
                    "passing_score": "0.00",
                },
            ],
        )
        self.assertEqual(
            (body["course"], body["late_policy"], body["late_penalty_percent_per_day"]),
            (g.course.pk, "penalty", "10.00"),
        )

    def test_one_row_per_active_student_by_username(self):
        body = self.gradebook()
        self.assertEqual(body["count"], 2)
        self.assertEqual([row["username"] for row in body["results"]], ["ann", "bob"])
        self.assertEqual(body["results"][0]["email"], "ann@example.com")
        self.assertEqual(body["results"][0]["user_id"], self.g.ann.pk)

    def test_never_submitted_is_null_and_a_wrong_answer_is_zero(self):
        self.g.submit(self.g.bob, self.g.p2, "0")
        self.assertEqual(self.grades("bob"), [(None, False), ("0.00", False)])

    def test_penalty_the_best_effective_score_counts_and_a_late_best_is_marked(self):
        g = self.g
        g.submit(g.ann, g.p1, "0.5")
        g.submit(g.ann, g.p1, "1", late_days=2)  # 1 × (1 − 2 × 10%) = 0.8 beats 0.5
        g.submit(g.ann, g.p2, "1", late_days=1)  # 0.9 × 50 = 45
        g.submit(g.ann, g.p2, "0.96")  # 0.96 × 50 = 48: on time wins
        self.assertEqual(self.grades("ann"), [("80.00", True), ("48.00", False)])

    def test_penalty_points_round_half_up_to_cents(self):
        g = self.g
        g.course.late_penalty_percent_per_day = Decimal("33.33")
        g.course.save()
        g.submit(g.ann, g.p2, "0.3333", late_days=1)  # 0.3333 × 0.6667 = 0.2222 → × 50
        self.assertEqual(self.grades("ann")[1], ("11.11", True))

    def test_not_counted_late_work_earns_nothing_but_is_marked(self):
        g = self.g
        g.course.late_policy = Course.LatePolicy.NOT_COUNTED
        g.course.save()
        g.submit(g.ann, g.p1, "0.5")
        g.submit(g.ann, g.p1, "1", late_days=1)
        g.submit(g.ann, g.p2, "1", late_days=1)
        self.assertEqual(self.grades("ann"), [("50.00", False), ("0.00", True)])

    def test_no_policy_late_work_counts_in_full_and_an_on_time_tie_wins(self):
        g = self.g
        g.course.late_policy = Course.LatePolicy.NONE
        g.course.save()
        g.submit(g.ann, g.p1, "1", late_days=5)
        g.submit(g.ann, g.p2, "1", late_days=1)
        g.submit(g.ann, g.p2, "1")
        self.assertEqual(self.grades("ann"), [("100.00", True), ("50.00", False)])

    def test_exam_submissions_unjudged_and_failed_judging_do_not_count_for_practice(self):
        g = self.g
        attempt = g.attempt(g.ann, g.midterm, "10", True)
        g.submit(g.ann, g.p1, "1", exam_attempt=attempt)
        g.submit(g.ann, g.p2, "0", verdict=Verdict.PENDING)
        g.submit(g.ann, g.p2, "0", verdict=Verdict.INTERNAL_ERROR)
        self.assertEqual(self.grades("ann"), [(None, False), (None, False)])

    def test_exams_show_the_best_finished_attempt(self):
        g = self.g
        g.attempt(g.ann, g.midterm, "8", False, days_ago=3)
        g.attempt(g.ann, g.midterm, "15", True, days_ago=2)
        g.attempt(g.ann, g.midterm, "20", True, finished=False)  # running: not yet a grade
        g.attempt(g.bob, g.final, "0", None, finished=False)
        rows = self.rows()
        self.assertEqual(
            rows["ann"]["exams"],
            [
                {"exam": g.midterm.pk, "score": "15.00", "passed": True},
                {"exam": g.final.pk, "score": None, "passed": None},
            ],
        )
        self.assertEqual([e["score"] for e in rows["bob"]["exams"]], [None, None])

    def test_totals_add_problem_points_and_exam_scores(self):
        g = self.g
        g.submit(g.ann, g.p1, "1", late_days=1)  # 90
        g.submit(g.ann, g.p2, "0.5")  # 25
        g.attempt(g.ann, g.midterm, "12.5", True)
        row = self.rows()["ann"]
        self.assertEqual(
            (row["problem_points"], row["exam_points"], row["total"]),
            ("115.00", "12.50", "127.50"),
        )
        bob = self.rows()["bob"]
        self.assertEqual((bob["problem_points"], bob["total"]), ("0.00", "0.00"))

    def test_the_gradebook_is_paginated_by_student(self):
        body = self.gradebook(page_size=1, page=2)
        self.assertEqual(body["count"], 2)
        self.assertEqual([row["username"] for row in body["results"]], ["bob"])
        self.assertIsNotNone(body["previous"])
        self.assertIsNone(body["next"])
        self.assertEqual(len(body["problems"]), 2)
        url = reverse("api:staff-gradebook", args=[self.g.course.pk])
        for query, field in (({"page": "x"}, "page"), ({"page_size": "101"}, "page_size")):
            with self.subTest(query=query):
                self.assertError(self.client.get(url, query), 400, "invalid_input", fields={field})
        self.assertError(self.client.get(url, {"page": "3"}), 404, "not_found")

    def test_assistants_read_it_students_and_other_staff_get_403(self):
        url = reverse("api:staff-gradebook", args=[self.g.course.pk])
        assistant = Enrollment.objects.get(course=self.g.course, role="assistant").user
        self.assertEqual(self.client_for(assistant).get(url).status_code, 200)
        self.assertError(self.client_for(self.g.ann).get(url), 403, "permission_denied")
        elsewhere = factories.EnrollmentFactory(role=Enrollment.Role.INSTRUCTOR).user
        self.assertError(self.client_for(elsewhere).get(url), 403, "permission_denied")

    def test_the_query_count_is_the_same_for_2_and_30_students_and_more_problems(self):
        g = self.g
        url = reverse("api:staff-gradebook", args=[g.course.pk])
        csv_url = reverse("api:staff-gradebook-csv", args=[g.course.pk])
        g.submit(g.ann, g.p1, "1")
        g.attempt(g.ann, g.midterm, "10", True)
        self.client.get(url)  # roles cached, as on any later request

        def measure():
            json_count = self.count_queries(lambda: self.client.get(url, {"page_size": 100}))
            csv_count = self.count_queries(lambda: self.client.get(csv_url))
            return json_count, csv_count

        small = measure()
        extra = [factories.ProblemFactory(chapter=g.p1.chapter, order=10 + i) for i in range(4)]
        for index in range(28):
            user = g.student(f"s{index:02}")
            for problem in (g.p1, *extra):
                g.submit(user, problem, "0.5", late_days=index % 3)
            g.attempt(user, g.midterm, "5", False)
        self.assertEqual(self.gradebook(page_size=100)["count"], 30)
        self.assertEqual(measure(), small)


class GradebookCsvApiTestCase(ApiTestMixin, TestCase):
    def setUp(self):
        super().setUp()
        self.g = GradebookWorld()
        self.url = reverse("api:staff-gradebook-csv", args=[self.g.course.pk])

    def download(self, user=None, **headers):
        response = self.client_for(user or self.g.instructor).get(self.url, **headers)
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(response["Content-Type"], "text/csv; charset=utf-8")
        return list(csv.reader(io.StringIO(response.content.decode("utf-8"))))

    def test_a_download_with_a_filename_header_and_one_row_per_student(self):
        g = self.g
        g.submit(g.ann, g.p1, "1", late_days=1)
        g.attempt(g.ann, g.midterm, "15", True)
        g.attempt(g.bob, g.midterm, "5", False)
        response = self.client_for(g.instructor).get(self.url)
        today = timezone.now().strftime("%Y-%m-%d")
        self.assertEqual(
            response["Content-Disposition"], f'attachment; filename="gradebook-intro-{today}.csv"'
        )
        table = self.download()
        p1, p2, mid, fin = g.p1.pk, g.p2.pk, g.midterm.pk, g.final.pk
        self.assertEqual(
            table,
            [
                [
                    "username",
                    "email",
                    f"Sums (#{p1})",
                    f"Sums (#{p1}) late",
                    f"Loops (#{p2})",
                    f"Loops (#{p2}) late",
                    f"Midterm (exam #{mid})",
                    f"Midterm (exam #{mid}) passed",
                    f"Final (exam #{fin})",
                    f"Final (exam #{fin}) passed",
                    "problem points",
                    "exam points",
                    "total",
                ],
                [
                    "ann",
                    "ann@example.com",
                    "90.00",
                    "late",
                    "",
                    "",
                    "15.00",
                    "yes",
                    "",
                    "",
                    "90.00",
                    "15.00",
                    "105.00",
                ],
                [
                    "bob",
                    "bob@example.com",
                    "",
                    "",
                    "",
                    "",
                    "5.00",
                    "no",
                    "",
                    "",
                    "0.00",
                    "5.00",
                    "5.00",
                ],
            ],
        )

    def test_clients_asking_for_csv_get_it_and_for_json_get_a_406_in_json(self):
        self.assertEqual(self.download(HTTP_ACCEPT="text/csv")[0][0], "username")
        response = self.client_for(self.g.instructor).get(self.url, HTTP_ACCEPT="application/json")
        self.assertError(response, 406, "not_acceptable")

    def test_failures_are_json_in_the_one_error_shape(self):
        self.assertError(self.client_for(self.g.ann).get(self.url), 403, "permission_denied")
        self.assertError(self.client_for(None).get(self.url), 403, "not_authenticated")
        missing = reverse("api:staff-gradebook-csv", args=[10**9])
        self.assertError(self.client_for(self.g.instructor).get(missing), 404, "not_found")
        response = self.client_for(self.g.instructor).post(self.url)
        self.assertError(response, 405, "method_not_allowed")
        response = self.client_for(self.g.instructor).options(self.url)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "application/json")
        self.assertEqual(response.json()["renders"], ["text/csv"])

    def test_cells_a_spreadsheet_would_run_as_formulas_are_neutralised(self):
        g = self.g
        hostile = {
            '=HYPERLINK("http://evil","x")': "=1+1@example.com",
            "+cmd": "+1@example.com",
            "-2+3": "-x@example.com",
            "@SUM(A1)": "@x.example.com",
            "\tTAB": "plain@example.com",
            "\rCR": "cr@example.com",
        }
        for username, email in hostile.items():
            user = factories.UserFactory(username=username, email=email)
            factories.EnrollmentFactory(user=user, course=g.course)
        g.p1.title = "=IMPORTXML(A1)"
        g.p1.save()
        g.midterm.title = '@exam, "quoted"'
        g.midterm.save()
        table = self.download()
        header, rows = table[0], {row[0]: row for row in table[1:]}
        self.assertEqual(header[2], f"'=IMPORTXML(A1) (#{g.p1.pk})")
        self.assertEqual(header[6], f'\'@exam, "quoted" (exam #{g.midterm.pk})')
        for username, email in hostile.items():
            with self.subTest(username=username):
                row = rows[f"'{username}"]
                self.assertEqual(row[1], f"'{email}" if email[0] in "=+-@" else email)
        for row in table:
            for cell in row:
                self.assertFalse(cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell)
