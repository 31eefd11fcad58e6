"""Test plan Task 6.1: the ExamProblem post_save / post_delete signals keep the exam's scores.

A ``TransactionTestCase``: step 2 changes one exam from real threads, each in its own
transaction (on PostgreSQL the recompute locks the exam row; on SQLite writers take turns).
"""

from __future__ import annotations

from decimal import Decimal

from django.db import connection, transaction
from django.db.models.signals import post_delete
from django.test import TransactionTestCase
from django.test.utils import CaptureQueriesContext

from courses.models import Exam, ExamProblem
from courses.services.errors import InvalidInput
from courses.services.exams import ExamProblemItem, exam_problems_set, exam_recompute_scores
from courses.tests import factories
from courses.tests.interleave import serial_on_sqlite
from courses.tests.signals.support import run_concurrently

D = Decimal


def exam_updates(queries: CaptureQueriesContext) -> int:
    table = Exam._meta.db_table
    return sum(1 for q in queries.captured_queries if q["sql"].startswith(f'UPDATE "{table}"'))


class ExamSignalTestCase(TransactionTestCase):
    def setUp(self):
        self.exam = factories.ExamFactory(passing_percentage=None)
        chapter = factories.ChapterFactory(course=self.exam.course)
        self.problems = [factories.ProblemFactory(chapter=chapter) for _ in range(6)]

    def reload(self) -> Exam:
        return Exam.objects.get(pk=self.exam.pk)

    def add(self, problem_index: int, score: str, exam=None) -> ExamProblem:
        return ExamProblem.objects.create(
            exam=exam or self.exam, problem=self.problems[problem_index], score=D(score)
        )

    def set_percentage(self, percentage: str | None) -> None:
        Exam.objects.filter(pk=self.exam.pk).update(
            passing_percentage=None if percentage is None else D(percentage)
        )

    def scores(self) -> tuple[Decimal, Decimal]:
        exam = self.reload()
        return exam.total_score, exam.passing_score

    # Step 1: post_save -------------------------------------------------------------------------

    def test_adding_problems_updates_total_score(self):
        self.add(0, "10")
        self.assertEqual(self.reload().total_score, D("10.00"))
        self.add(1, "5.5")
        self.assertEqual(self.reload().total_score, D("15.50"))

    def test_changing_a_score_updates_total_score(self):
        row = self.add(0, "10")
        self.add(1, "5.5")
        row.score = D("20")
        row.save(update_fields=["score"])
        self.assertEqual(self.reload().total_score, D("25.50"))

    def test_passing_score_follows_the_percentage_rounded_up_to_two_decimals(self):
        self.set_percentage("33.33")
        self.add(0, "10")
        self.add(1, "3.33")  # 13.33 × 33.33 % = 4.442889 → 4.45
        self.assertEqual(self.scores(), (D("13.33"), D("4.45")))
        row = self.add(2, "2.17")  # 15.50 × 33.33 % = 5.16615 → 5.17
        self.assertEqual(self.scores(), (D("15.50"), D("5.17")))
        self.set_percentage("50")
        row.save()  # 15.50 × 50 % = 7.75 exactly: no rounding up
        self.assertEqual(self.scores(), (D("15.50"), D("7.75")))

    def test_passing_score_is_left_alone_without_a_percentage(self):
        Exam.objects.filter(pk=self.exam.pk).update(passing_score=D("6"))
        self.add(0, "10")
        self.assertEqual(self.scores(), (D("10.00"), D("6.00")))

    def test_skip_signal_leaves_the_recompute_to_the_bulk_caller(self):
        self.set_percentage("50")
        for index, score in enumerate(("10", "20", "30")):
            row = ExamProblem(exam=self.exam, problem=self.problems[index], score=D(score))
            row.skip_signal = True
            row.save()
        self.assertEqual(self.scores(), (D("0"), D("0")))
        row.skip_signal = True
        row.delete()
        self.assertEqual(self.scores(), (D("0"), D("0")))
        exam_recompute_scores(exam_id=self.exam.pk)
        self.assertEqual(self.scores(), (D("30.00"), D("15.00")))

    def test_exam_problems_set_saves_every_row_and_recomputes_once(self):
        self.set_percentage("60")
        items = [ExamProblemItem(p, D(n)) for p, n in zip(self.problems, "12345", strict=False)]
        with CaptureQueriesContext(connection) as queries:
            exam = exam_problems_set(exam=self.exam, items=items)
        self.assertEqual(exam_updates(queries), 1)
        self.assertEqual((exam.total_score, exam.passing_score), (D("15.00"), D("9.00")))
        self.assertEqual(self.scores(), (D("15.00"), D("9.00")))
        self.assertEqual(
            list(self.exam.exam_problems.values_list("problem_id", "order")),
            [(p.pk, order) for order, p in enumerate(self.problems[:5])],
        )
        # Replace: one removed, one changed, one added, order changed; still one recompute.
        items = [
            ExamProblemItem(self.problems[5], D("7.77")),
            ExamProblemItem(self.problems[1], D("2")),
            ExamProblemItem(self.problems[0], D("10")),
        ]
        with CaptureQueriesContext(connection) as queries:
            exam = exam_problems_set(exam=self.exam, items=items)
        self.assertEqual(exam_updates(queries), 1)
        self.assertEqual(self.scores(), (D("19.77"), D("11.87")))  # 11.862 → 11.87
        self.assertEqual(
            list(self.exam.exam_problems.values_list("problem_id", flat=True)),
            [self.problems[i].pk for i in (5, 1, 0)],
        )

    def test_exam_problems_set_rejects_bad_items_without_writing(self):
        twice = [ExamProblemItem(self.problems[0], D("1"))] * 2
        with self.assertRaises(InvalidInput):
            exam_problems_set(exam=self.exam, items=twice)
        with self.assertRaises(InvalidInput):
            exam_problems_set(exam=self.exam, items=[ExamProblemItem(self.problems[0], D("-1"))])
        self.assertFalse(ExamProblem.objects.exists())

    # Step 2: concurrent changes ----------------------------------------------------------------

    @serial_on_sqlite
    def test_concurrent_additions_give_the_right_final_total(self):
        self.set_percentage("33.33")
        scores = ["10", "3.33", "7.25", "1", "0.01", "12.5"]

        def add(index, score):
            with transaction.atomic():  # the insert and its recompute commit together
                self.add(index, score)

        self.assertEqual(run_concurrently(add, list(enumerate(scores))), [])
        # 34.09 × 33.33 % = 11.362197 → 11.37
        self.assertEqual(self.scores(), (D("34.09"), D("11.37")))

    @serial_on_sqlite
    def test_concurrent_score_changes_give_the_right_final_total(self):
        rows = [self.add(i, "1") for i in range(6)]

        def change(row, score):
            with transaction.atomic():
                row.score = D(score)
                row.save(update_fields=["score"])

        jobs = [(row, str(10 * (i + 1))) for i, row in enumerate(rows)]
        self.assertEqual(run_concurrently(change, jobs), [])
        self.assertEqual(self.reload().total_score, D("210.00"))

    # Step 3: post_delete -----------------------------------------------------------------------

    def test_deleting_a_problem_removes_its_score_and_updates_passing(self):
        self.set_percentage("50")
        self.add(0, "10")
        doomed = self.add(1, "5.55")
        self.assertEqual(self.scores(), (D("15.55"), D("7.78")))  # 7.775 → 7.78
        doomed.delete()
        self.assertEqual(self.scores(), (D("10.00"), D("5.00")))

    def test_deleting_through_a_queryset_recomputes_too(self):
        for index in range(3):
            self.add(index, "4")
        ExamProblem.objects.filter(problem__in=self.problems[:2]).delete()
        self.assertEqual(self.reload().total_score, D("4.00"))

    def test_deleting_the_exam_with_its_problems_neither_fails_nor_recomputes(self):
        for index in range(3):
            self.add(index, "4")
        with CaptureQueriesContext(connection) as queries:
            self.exam.delete()
        self.assertEqual(exam_updates(queries), 0)
        self.assertFalse(ExamProblem.objects.exists())

    def test_deleting_the_course_deletes_its_exams_and_their_problems(self):
        self.add(0, "4")
        self.exam.course.delete()
        self.assertFalse(Exam.objects.exists())
        self.assertFalse(ExamProblem.objects.exists())

    def test_a_delete_signal_for_an_exam_already_gone_is_skipped(self):
        row = self.add(0, "4")
        exam_id = self.exam.pk
        Exam.objects.filter(pk=exam_id).delete()
        post_delete.send(sender=ExamProblem, instance=row, using="default", origin=row)
        self.assertIsNone(exam_recompute_scores(exam_id=exam_id, missing_ok=True))
        with self.assertRaises(Exam.DoesNotExist):
            exam_recompute_scores(exam_id=exam_id)

    # Step 4: empty exam ------------------------------------------------------------------------

    def test_removing_every_problem_leaves_zero(self):
        self.set_percentage("40")
        rows = [self.add(i, "2.5") for i in range(2)]
        for row in rows:
            row.delete()
        self.assertEqual(self.scores(), (D("0"), D("0")))

    def test_an_exam_without_problems_recomputes_to_zero(self):
        Exam.objects.filter(pk=self.exam.pk).update(total_score=D("99"), passing_score=D("9"))
        self.set_percentage("50")
        exam = exam_recompute_scores(exam_id=self.exam.pk)
        self.assertEqual((exam.total_score, exam.passing_score), (D("0"), D("0")))
        self.assertEqual(self.scores(), (D("0"), D("0")))
