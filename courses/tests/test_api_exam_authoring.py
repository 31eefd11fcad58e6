"""Exam authoring over the API (``courses/api/exam_authoring.py``): exams and their problems.

The exam's total and passing scores follow its problems exactly to the cent, scores of 0 and
fractions included; an exam problem's score defaults to the problem's points and comes from the
exam's course; finished attempts are scored again when the problems change.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from courses.models import Exam, ExamProblem
from courses.services.exam_attempts import exam_attempt_finish
from courses.tests import factories
from courses.tests.api_support import judged_submission
from courses.tests.test_api_authoring import WITHOUT_OFFSET, AuthoringTestCase


def window(**changes) -> dict:
    now = timezone.now()
    data = {
        "title": "Midterm",
        "opens_at": (now + timedelta(days=1)).isoformat(),
        "closes_at": (now + timedelta(days=2)).isoformat(),
        "duration_minutes": 90,
    }
    data.update(changes)
    return data


class ExamApiTestCase(AuthoringTestCase):
    def create(self, data):
        return self.post("staff-exam-list", data, course_id=self.w.course.pk)

    def test_an_exam_is_created_with_its_rules(self):
        data = window(
            instructions="No notes.",
            max_attempts=2,
            feedback="samples",
            passing_percentage="60.00",
            results_released_at=None,
        )
        response = self.create(data)
        self.assertEqual(response.status_code, 201, response.content)
        body = response.json()
        self.assertEqual(
            (body["title"], body["max_attempts"], body["feedback"], body["instructions"]),
            ("Midterm", 2, "samples", "No notes."),
        )
        self.assertEqual(
            (body["total_score"], body["passing_score"], body["passing_percentage"]),
            ("0.00", "0.00", "60.00"),
        )
        self.assertEqual((body["problem_count"], body["attempt_count"]), (0, 0))

    def test_bad_rules_are_refused_naming_the_field(self):
        now = timezone.now()
        for data, field in (
            (window(closes_at=now.isoformat(), opens_at=now.isoformat()), "closes_at"),
            (window(closes_at=(now - timedelta(days=1)).isoformat()), "closes_at"),
            (window(duration_minutes=0), "duration_minutes"),
            (window(duration_minutes="90"), "duration_minutes"),
            (window(max_attempts=0), "max_attempts"),
            (window(passing_percentage=101), "passing_percentage"),
            (window(passing_score=-1), "passing_score"),
            (window(passing_score="10", passing_percentage="50"), "passing_score"),
            (window(feedback="some"), "feedback"),
            (window(opens_at="tomorrow"), "opens_at"),
            (window(title=""), "title"),
        ):
            with self.subTest(field=field, data=data):
                self.assertError(self.create(data), 400, "invalid_input", fields={field})
        self.assertFalse(Exam.objects.exists())

    def test_times_outside_the_supported_range_are_refused_naming_the_field(self):
        # The report's exam: its close could not be shown in Europe/Paris (every page 500).
        far = window(
            opens_at="0001-01-01T00:00:00Z",
            closes_at="9999-12-31T23:59:59Z",
            duration_minutes=10080,
            max_attempts=3,
        )
        error = self.assertError(self.create(far), 400, "invalid_input", {"opens_at", "closes_at"})
        self.assertIn("from 1900-01-01 00:00 to 9000-12-31 23:59:59 UTC", error["message"])
        for data, field in (
            (window(opens_at="1899-12-31T23:59:59Z"), "opens_at"),
            (window(opens_at="1900-01-01T00:59:59+01:00"), "opens_at"),  # 1899 in UTC
            (window(closes_at="9001-01-01T00:00:00Z"), "closes_at"),
            (window(results_released_at="9999-12-31T23:59:59Z"), "results_released_at"),
            (window(results_released_at="0001-01-01T00:00:00-01:00"), "results_released_at"),
        ):
            with self.subTest(data=data):
                self.assertError(self.create(data), 400, "invalid_input", fields={field})
        self.assertFalse(Exam.objects.exists())
        exam = factories.ExamFactory(course=self.w.course)
        response = self.patch(
            "staff-exam-detail", {"closes_at": "9999-12-31T23:59:59Z"}, exam_id=exam.pk
        )
        self.assertError(response, 400, "invalid_input", fields={"closes_at"})

    def test_times_without_an_offset_are_refused_saying_what_to_send(self):
        exam = factories.ExamFactory(course=self.w.course)
        for field in ("opens_at", "closes_at", "results_released_at"):
            for value in WITHOUT_OFFSET:
                with self.subTest(field=field, value=value):
                    self.assertNeedsAnOffset(self.create(window(**{field: value})), field)
                    response = self.patch("staff-exam-detail", {field: value}, exam_id=exam.pk)
                    self.assertNeedsAnOffset(response, field)
        self.assertEqual(list(Exam.objects.all()), [exam])

    def test_the_ends_of_the_supported_range_are_accepted(self):
        response = self.create(
            window(
                opens_at="1900-01-01T00:00:00Z",
                closes_at="9000-12-31T23:59:59.999999Z",
                results_released_at="9000-12-31T23:59:59Z",
                duration_minutes=10080,
            )
        )
        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual(response.json()["closes_at"], "9000-12-31T23:59:59.999999Z")

    def test_editing_a_window_keeps_it_valid(self):
        exam = factories.ExamFactory(course=self.w.course)
        response = self.patch(
            "staff-exam-detail", {"closes_at": exam.opens_at.isoformat()}, exam_id=exam.pk
        )
        self.assertError(response, 400, "invalid_input", fields={"closes_at"})
        response = self.patch(
            "staff-exam-detail", {"title": "Final", "max_attempts": 3}, exam_id=exam.pk
        )
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual((response.json()["title"], response.json()["max_attempts"]), ("Final", 3))

    def test_a_passing_percentage_sets_the_passing_score_and_a_score_needs_none(self):
        exam = factories.ExamFactory(course=self.w.course)
        factories.ExamProblemFactory(exam=exam, problem=self.w.problem, score=Decimal("33.33"))
        response = self.patch("staff-exam-detail", {"passing_percentage": "50"}, exam_id=exam.pk)
        self.assertEqual(response.json()["passing_score"], "16.67")  # 16.665 rounded up
        response = self.patch("staff-exam-detail", {"passing_score": "10"}, exam_id=exam.pk)
        self.assertError(response, 400, "invalid_input", fields={"passing_score"})
        response = self.patch(
            "staff-exam-detail",
            {"passing_percentage": None, "passing_score": "10"},
            exam_id=exam.pk,
        )
        self.assertEqual(response.json()["passing_score"], "10.00")

    def test_an_exam_with_attempts_stays(self):
        exam = factories.ExamFactory(course=self.w.course)
        factories.ExamAttemptFactory(exam=exam, user=self.w.student)
        response = self.delete("staff-exam-detail", exam_id=exam.pk)
        self.assertError(response, 409, "has_student_work")
        empty = factories.ExamFactory(course=self.w.course)
        factories.ExamProblemFactory(exam=empty, problem=self.w.problem)
        self.assertEqual(self.delete("staff-exam-detail", exam_id=empty.pk).status_code, 204)
        self.assertEqual(list(Exam.objects.all()), [exam])

    def test_the_list_counts_problems_and_attempts_without_n_plus_one(self):
        exam = factories.ExamFactory(course=self.w.course)
        factories.ExamProblemFactory(exam=exam, problem=self.w.problem)
        factories.ExamAttemptFactory(exam=exam, user=self.w.student)
        (row,) = self.assertPage(self.get("staff-exam-list", course_id=self.w.course.pk), count=1)
        self.assertEqual((row["problem_count"], row["attempt_count"]), (1, 1))

        def add_rows():
            for _ in range(25):
                other = factories.ExamFactory(course=self.w.course)
                factories.ExamProblemFactory(exam=other, problem=self.w.problem)

        self.assertListQueriesDoNotGrow("staff-exam-list", add_rows, course_id=self.w.course.pk)


class ExamProblemApiTestCase(AuthoringTestCase):
    def setUp(self):
        super().setUp()
        self.exam = factories.ExamFactory(course=self.w.course, title="Quiz")

    def add(self, data):
        return self.post("staff-exam-problem-list", data, exam_id=self.exam.pk)

    def new_problem(self, points=100):
        return factories.ProblemFactory(chapter=self.w.chapter, points=points)

    def total(self) -> str:
        return self.get("staff-exam-detail", exam_id=self.exam.pk).json()["total_score"]

    def test_the_score_defaults_to_the_problems_points_and_the_order_to_next(self):
        response = self.add({"problem": self.new_problem(points=25).pk})
        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual((response.json()["score"], response.json()["order"]), ("25.00", 1))
        response = self.add({"problem": self.new_problem(points=40).pk})
        self.assertEqual((response.json()["score"], response.json()["order"]), ("40.00", 2))
        self.assertEqual(self.total(), "65.00")

    def test_each_problem_says_whether_students_can_also_practise_it_during_the_exam(self):
        practice = self.new_problem()
        own = factories.ProblemFactory(chapter=self.w.chapter, is_exam_only=True)
        draft = factories.ProblemFactory(chapter=self.w.chapter, is_visible=False)
        added = [self.add({"problem": problem.pk}).json() for problem in (practice, own, draft)]
        self.assertEqual([row["open_for_practice"] for row in added], [True, False, False])
        rows = self.get("staff-exam-problem-list", exam_id=self.exam.pk).json()["results"]
        self.assertEqual(
            [(row["problem"], row["open_for_practice"]) for row in rows],
            [(practice.pk, True), (own.pk, False), (draft.pk, False)],
        )

    def test_scores_of_zero_and_fractions_add_up_exactly(self):
        for score in ("0", "0.5", "33.33", "0.01"):
            response = self.add({"problem": self.new_problem().pk, "score": score})
            self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual(self.total(), "33.84")
        self.patch("staff-exam-detail", {"passing_percentage": "50"}, exam_id=self.exam.pk)
        self.exam.refresh_from_db()
        self.assertEqual(
            (self.exam.total_score, self.exam.passing_score), (Decimal("33.84"), Decimal("16.92"))
        )
        row = ExamProblem.objects.get(exam=self.exam, score=Decimal("33.33"))
        response = self.patch("staff-exam-problem-detail", {"score": 0}, exam_problem_id=row.pk)
        self.assertEqual(response.json()["score"], "0.00")
        self.assertEqual(self.total(), "0.51")
        self.assertEqual(
            self.delete("staff-exam-problem-detail", exam_problem_id=row.pk).status_code, 204
        )
        self.assertEqual(self.total(), "0.51")
        self.exam.refresh_from_db()
        self.assertEqual(self.exam.passing_score, Decimal("0.26"))  # 0.255 rounded up

    def test_scores_with_more_than_two_decimals_or_below_zero_are_refused(self):
        for score, field in (("0.333", "score"), (-1, "score"), ("abc", "score"), (True, "score")):
            with self.subTest(score=score):
                response = self.add({"problem": self.new_problem().pk, "score": score})
                self.assertError(response, 400, "invalid_input", fields={field})
        self.assertEqual(self.total(), "0.00")

    def test_a_problem_of_another_course_or_none_at_all_is_refused_naming_problem(self):
        for problem_id in (factories.ProblemFactory().pk, 999_999):
            with self.subTest(problem=problem_id):
                response = self.add({"problem": problem_id})
                self.assertError(response, 400, "invalid_input", fields={"problem"})
        for data in ({}, {"problem": "1"}):
            with self.subTest(data=data):
                self.assertError(self.add(data), 400, "invalid_input", fields={"problem"})

    def test_a_problem_is_in_an_exam_once(self):
        problem = self.new_problem()
        self.add({"problem": problem.pk})
        response = self.add({"problem": problem.pk})
        self.assertError(response, 409, "already_exists", fields={"problem"})

    def test_finished_attempts_are_scored_again_when_scores_change(self):
        problem = self.new_problem(points=10)
        row_id = self.add({"problem": problem.pk}).json()["id"]
        attempt = factories.ExamAttemptFactory(exam=self.exam, user=self.w.student)
        judged_submission(self.w.student, problem, exam_attempt=attempt)
        attempt = exam_attempt_finish(attempt=attempt)
        self.assertEqual(attempt.score, Decimal("10.00"))
        self.patch("staff-exam-problem-detail", {"score": "7.5"}, exam_problem_id=row_id)
        attempt.refresh_from_db()
        self.assertEqual(attempt.score, Decimal("7.50"))
        self.delete("staff-exam-problem-detail", exam_problem_id=row_id)
        attempt.refresh_from_db()
        self.assertEqual(attempt.score, Decimal("0.00"))

    def test_the_list_is_ordered_and_paginated_without_n_plus_one(self):
        first = self.add({"problem": self.new_problem().pk}).json()
        results = self.assertPage(
            self.get("staff-exam-problem-list", exam_id=self.exam.pk), count=1
        )
        self.assertEqual(results[0]["problem_title"], ExamProblem.objects.get().problem.title)
        self.assertEqual(results[0]["id"], first["id"])

        def add_rows():
            for _ in range(25):
                self.add({"problem": self.new_problem().pk})

        self.assertListQueriesDoNotGrow("staff-exam-problem-list", add_rows, exam_id=self.exam.pk)

    def test_assistants_read_but_do_not_change_exams(self):
        assistant = self.client_for(self.w.assistant)
        row = factories.ExamProblemFactory(exam=self.exam, problem=self.new_problem())
        self.assertEqual(
            self.get("staff-exam-problem-list", assistant, exam_id=self.exam.pk).status_code, 200
        )
        response = self.patch(
            "staff-exam-problem-detail", {"score": 1}, assistant, exam_problem_id=row.pk
        )
        self.assertError(response, 403, "permission_denied")
        response = self.post(
            "staff-exam-problem-list", {"problem": row.problem_id}, assistant, exam_id=self.exam.pk
        )
        self.assertError(response, 403, "permission_denied")

    def test_scores_that_the_exam_total_cannot_hold_are_refused(self):
        self.add({"problem": self.new_problem().pk, "score": "999999.99"})
        response = self.add({"problem": self.new_problem().pk, "score": "0.01"})
        self.assertError(response, 400, "invalid_input", fields={"score"})
        response = self.add({"problem": self.new_problem(points=1_000_000).pk})
        self.assertError(response, 400, "invalid_input", fields={"score"})
        self.assertEqual(self.total(), "999999.99")
