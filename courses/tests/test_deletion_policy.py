"""The deletion policy (docs/deletion-policy.md), line by line, and the doc kept in sync."""

from __future__ import annotations

import re
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import ProtectedError, RestrictedError
from django.test import SimpleTestCase, TestCase

from courses.models import (
    Chapter,
    Course,
    DiscussionReply,
    DiscussionThread,
    Enrollment,
    Exam,
    ExamAttempt,
    ExamProblem,
    Problem,
    ProblemProgress,
    ReferenceSolution,
    Submission,
    SubmissionTestResult,
)
from courses.models import problem as problem_models
from courses.tests import factories

POLICY = Path(settings.BASE_DIR) / "docs" / "deletion-policy.md"
#: | `Model.field` | `Target` | `ON_DELETE` | why |
POLICY_LINE = re.compile(r"^\|\s*`(\w+)\.(\w+)`\s*\|\s*`(\w+)`\s*\|\s*`([A-Z_]+)`\s*\|")


def courses_foreign_keys() -> dict[tuple[str, str], tuple[str, str]]:
    """{(model, field): (target model, on_delete name)} for every foreign key of the app."""
    return {
        (model.__name__, field.name): (
            field.related_model.__name__,
            field.remote_field.on_delete.__name__,
        )
        for model in apps.get_app_config("courses").get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.ForeignKey) and field.model is model
    }


def documented_foreign_keys() -> dict[tuple[str, str], tuple[str, str]]:
    lines = POLICY.read_text(encoding="utf-8").splitlines()
    found: dict[tuple[str, str], tuple[str, str]] = {}
    for line in lines:
        match = POLICY_LINE.match(line)
        if match:
            model, field, target, on_delete = match.groups()
            if (model, field) in found:
                raise AssertionError(f"{model}.{field} is documented twice")
            found[model, field] = (target, on_delete)
    return found


class DeletionPolicyDocumentTestCase(SimpleTestCase):
    def test_every_foreign_key_is_documented_with_its_actual_on_delete(self):
        actual = courses_foreign_keys()
        documented = documented_foreign_keys()
        self.assertEqual(
            sorted(set(actual) - set(documented)), [], "foreign keys missing from the policy"
        )
        self.assertEqual(
            sorted(set(documented) - set(actual)), [], "policy lines for no foreign key"
        )
        for key, (target, on_delete) in actual.items():
            with self.subTest(foreign_key=".".join(key)):
                self.assertEqual(documented[key], (target, on_delete))

    def test_parser_finds_the_whole_table(self):
        # A sanity floor, so a format change that makes the parser match nothing cannot pass.
        self.assertGreaterEqual(len(documented_foreign_keys()), 20)
        self.assertEqual(len(documented_foreign_keys()), len(courses_foreign_keys()))


class ProblemDeletionTestCase(TestCase):
    def setUp(self):
        self.problem = factories.ProblemFactory()
        self.case = factories.ProblemTestCaseFactory(problem=self.problem)

    def test_problem_with_submissions_is_protected(self):
        submission = factories.SubmissionFactory(problem=self.problem)
        with self.assertRaises(ProtectedError) as ctx:
            self.problem.delete()
        self.assertEqual(ctx.exception.protected_objects, {submission})
        self.assertTrue(Problem.objects.filter(pk=self.problem.pk).exists())
        self.assertTrue(problem_models.ProblemTestCase.objects.filter(pk=self.case.pk).exists())

    def test_problem_with_submissions_is_archived_instead_and_keeps_its_submissions(self):
        submission = factories.SubmissionFactory(problem=self.problem)
        self.problem.is_archived = True
        self.problem.save(update_fields=["is_archived"])
        self.problem.refresh_from_db()
        self.assertTrue(self.problem.is_archived)
        self.assertEqual(list(self.problem.submissions.all()), [submission])

    def test_problem_with_submissions_also_protects_its_chapter_and_course(self):
        factories.SubmissionFactory(problem=self.problem)
        with self.assertRaises(ProtectedError):
            self.problem.chapter.delete()
        with self.assertRaises(ProtectedError):
            self.problem.chapter.course.delete()
        self.assertTrue(Problem.objects.filter(pk=self.problem.pk).exists())

    def test_problem_in_an_exam_cannot_be_deleted_on_its_own(self):
        exam_problem = factories.ExamProblemFactory(problem=self.problem)
        with self.assertRaises(RestrictedError) as ctx:
            self.problem.delete()
        self.assertEqual(ctx.exception.restricted_objects, {exam_problem})
        self.assertTrue(Problem.objects.filter(pk=self.problem.pk).exists())

    def test_problem_removed_from_its_exam_can_be_deleted(self):
        exam_problem = factories.ExamProblemFactory(problem=self.problem)
        exam_problem.delete()
        self.problem.delete()
        self.assertFalse(Problem.objects.filter(pk=self.problem.pk).exists())
        self.assertTrue(Exam.objects.filter(pk=exam_problem.exam_id).exists())

    def test_problem_without_submissions_deletes_its_cases_solutions_and_progress(self):
        solution = ReferenceSolution.objects.create(
            problem=self.problem, language="python", code="def solve(a, b): return a + b"
        )
        progress = factories.ProblemProgressFactory(problem=self.problem)
        self.problem.delete()
        self.assertFalse(problem_models.ProblemTestCase.objects.filter(pk=self.case.pk).exists())
        self.assertFalse(ReferenceSolution.objects.filter(pk=solution.pk).exists())
        self.assertFalse(ProblemProgress.objects.filter(pk=progress.pk).exists())
        self.assertTrue(get_user_model().objects.filter(pk=progress.user_id).exists())

    def test_deleting_a_problem_keeps_its_threads_in_the_course(self):
        thread = factories.DiscussionThreadFactory(
            course=self.problem.chapter.course, problem=self.problem
        )
        self.problem.delete()
        thread.refresh_from_db()
        self.assertIsNone(thread.problem_id)
        self.assertEqual(thread.course, self.problem.chapter.course)


class TestCaseDeletionTestCase(TestCase):
    def test_deleting_a_test_case_keeps_results_with_test_case_null(self):
        case = factories.ProblemTestCaseFactory()
        submission = factories.SubmissionFactory(problem=case.problem, status="accepted")
        result = SubmissionTestResult.objects.create(
            submission=submission, test_case=case, order=0, verdict="accepted", cpu_time_ms=7
        )
        case.delete()
        result.refresh_from_db()
        self.assertIsNone(result.test_case_id)
        self.assertEqual((result.verdict, result.cpu_time_ms), ("accepted", 7))


class SubmissionDeletionTestCase(TestCase):
    def test_deleting_a_submission_deletes_its_results(self):
        submission = factories.SubmissionFactory()
        SubmissionTestResult.objects.create(submission=submission, order=0, verdict="accepted")
        submission.delete()
        self.assertFalse(SubmissionTestResult.objects.exists())


class ExamDeletionTestCase(TestCase):
    def setUp(self):
        self.exam_problem = factories.ExamProblemFactory()
        self.exam = self.exam_problem.exam

    def test_exam_with_attempts_is_protected(self):
        attempt = factories.ExamAttemptFactory(exam=self.exam)
        with self.assertRaises(ProtectedError) as ctx:
            self.exam.delete()
        self.assertEqual(ctx.exception.protected_objects, {attempt})
        self.assertTrue(Exam.objects.filter(pk=self.exam.pk).exists())

    def test_exam_with_attempts_also_protects_its_course(self):
        factories.ExamAttemptFactory(exam=self.exam)
        with self.assertRaises(ProtectedError):
            self.exam.course.delete()
        self.assertTrue(Course.objects.filter(pk=self.exam.course_id).exists())

    def test_exam_without_attempts_deletes_its_problem_list_but_not_the_problems(self):
        self.exam.delete()
        self.assertFalse(ExamProblem.objects.filter(pk=self.exam_problem.pk).exists())
        self.assertTrue(Problem.objects.filter(pk=self.exam_problem.problem_id).exists())

    def test_attempt_with_submissions_cannot_be_deleted_on_its_own(self):
        attempt = factories.ExamAttemptFactory(exam=self.exam)
        submission = factories.SubmissionFactory(
            user=attempt.user, problem=self.exam_problem.problem, exam_attempt=attempt
        )
        with self.assertRaises(RestrictedError) as ctx:
            attempt.delete()
        self.assertEqual(ctx.exception.restricted_objects, {submission})
        self.assertTrue(ExamAttempt.objects.filter(pk=attempt.pk).exists())

    def test_attempt_without_submissions_can_be_deleted(self):
        attempt = factories.ExamAttemptFactory(exam=self.exam)
        attempt.delete()
        self.assertFalse(ExamAttempt.objects.exists())


class UserDeletionTestCase(TestCase):
    def setUp(self):
        self.user = factories.UserFactory()
        self.other = factories.UserFactory()
        self.exam_problem = factories.ExamProblemFactory()
        self.problem = self.exam_problem.problem
        self.course = self.problem.chapter.course
        self.enrollment = factories.EnrollmentFactory(user=self.user, course=self.course)
        self.attempt = factories.ExamAttemptFactory(exam=self.exam_problem.exam, user=self.user)
        # RESTRICT on Submission.exam_attempt must not block deleting the user.
        self.exam_submission = factories.SubmissionFactory(
            user=self.user, problem=self.problem, exam_attempt=self.attempt
        )
        self.submission = factories.SubmissionFactory(user=self.user, problem=self.problem)
        SubmissionTestResult.objects.create(submission=self.submission, order=0, verdict="pending")
        self.progress = factories.ProblemProgressFactory(user=self.user, problem=self.problem)
        self.thread = factories.DiscussionThreadFactory(course=self.course, author=self.user)
        self.reply = factories.DiscussionReplyFactory(thread=self.thread, author=self.user)
        self.other_reply = factories.DiscussionReplyFactory(thread=self.thread, author=self.other)
        self.other_submission = factories.SubmissionFactory(user=self.other, problem=self.problem)
        self.other_attempt = factories.ExamAttemptFactory(
            exam=self.exam_problem.exam, user=self.other
        )

    def test_deleting_a_user_removes_their_own_records(self):
        user_id = self.user.pk
        self.user.delete()
        self.assertFalse(get_user_model().objects.filter(pk=user_id).exists())
        self.assertFalse(Submission.objects.filter(user_id=user_id).exists())
        self.assertFalse(SubmissionTestResult.objects.exists())
        self.assertFalse(ProblemProgress.objects.filter(pk=self.progress.pk).exists())
        self.assertFalse(Enrollment.objects.filter(pk=self.enrollment.pk).exists())
        self.assertFalse(ExamAttempt.objects.filter(pk=self.attempt.pk).exists())

    def test_deleting_a_user_keeps_their_threads_and_replies_with_author_null(self):
        self.user.delete()
        self.thread.refresh_from_db()
        self.reply.refresh_from_db()
        self.assertIsNone(self.thread.author_id)
        self.assertIsNone(self.reply.author_id)
        self.assertEqual(self.thread.replies.count(), 2)

    def test_deleting_a_user_leaves_other_users_and_the_course_alone(self):
        self.user.delete()
        self.assertEqual(list(Submission.objects.all()), [self.other_submission])
        self.assertEqual(list(ExamAttempt.objects.all()), [self.other_attempt])
        self.assertEqual(DiscussionReply.objects.get(pk=self.other_reply.pk).author, self.other)
        self.assertTrue(Problem.objects.filter(pk=self.problem.pk).exists())
        self.assertTrue(Exam.objects.filter(pk=self.exam_problem.exam_id).exists())


class DiscussionDeletionTestCase(TestCase):
    def test_deleting_a_thread_removes_its_replies(self):
        thread = factories.DiscussionThreadFactory()
        factories.DiscussionReplyFactory.create_batch(3, thread=thread)
        kept = factories.DiscussionReplyFactory()
        thread.delete()
        self.assertEqual(list(DiscussionReply.objects.all()), [kept])


class CourseDeletionTestCase(TestCase):
    def setUp(self):
        self.course = factories.CourseFactory()
        self.chapter = factories.ChapterFactory(course=self.course)
        self.problem = factories.ProblemFactory(chapter=self.chapter)
        factories.ProblemTestCaseFactory.create_batch(2, problem=self.problem)
        ReferenceSolution.objects.create(problem=self.problem, language="python", code="pass")
        factories.EnrollmentFactory(course=self.course)
        factories.DiscussionReplyFactory(
            thread=factories.DiscussionThreadFactory(course=self.course, problem=self.problem)
        )
        self.exam = factories.ExamFactory(course=self.course)
        factories.ExamProblemFactory(exam=self.exam, problem=self.problem)
        self.other_problem = factories.ProblemFactory()
        factories.ProblemTestCaseFactory(problem=self.other_problem)

    def test_course_without_student_work_deletes_all_its_content(self):
        self.course.delete()
        for model in (
            Chapter,
            Problem,
            problem_models.ProblemTestCase,
            ReferenceSolution,
            Enrollment,
            DiscussionThread,
            DiscussionReply,
            Exam,
            ExamProblem,
        ):
            with self.subTest(model=model.__name__):
                self.assertFalse(
                    model.objects.exclude(pk__in=self.survivors(model)).exists(),
                    f"{model.__name__} rows of the deleted course survived",
                )
        self.assertTrue(Problem.objects.filter(pk=self.other_problem.pk).exists())
        self.assertEqual(self.other_problem.test_cases.count(), 1)

    def survivors(self, model):
        """Rows of the other course, which must stay."""
        other_course = self.other_problem.chapter.course
        paths = {
            Chapter: "course",
            Problem: "chapter__course",
            problem_models.ProblemTestCase: "problem__chapter__course",
            ReferenceSolution: "problem__chapter__course",
            Enrollment: "course",
            DiscussionThread: "course",
            DiscussionReply: "thread__course",
            Exam: "course",
            ExamProblem: "exam__course",
        }
        return model.objects.filter(**{paths[model]: other_course}).values("pk")

    def test_course_with_an_exam_over_its_own_problems_can_be_deleted(self):
        # The exam list is deleted with the exam in the same operation: not a reason to refuse.
        self.course.delete()
        self.assertFalse(Course.objects.filter(pk=self.course.pk).exists())

    def test_course_with_submissions_is_protected(self):
        factories.SubmissionFactory(problem=self.problem)
        with self.assertRaises(ProtectedError):
            self.course.delete()
        self.assertTrue(Course.objects.filter(pk=self.course.pk).exists())
        self.assertEqual(self.problem.test_cases.count(), 2)

    def test_course_with_exam_attempts_is_protected(self):
        factories.ExamAttemptFactory(exam=self.exam)
        with self.assertRaises(ProtectedError):
            self.course.delete()
        self.assertTrue(Exam.objects.filter(pk=self.exam.pk).exists())

    def test_chapter_without_submissions_deletes_its_problems_and_cases(self):
        other_exam_problem = ExamProblem.objects.get(problem=self.problem)
        other_exam_problem.delete()
        self.chapter.delete()
        self.assertFalse(Problem.objects.filter(chapter_id=self.chapter.pk).exists())
        self.assertFalse(
            problem_models.ProblemTestCase.objects.filter(problem_id=self.problem.pk).exists()
        )
        self.assertTrue(Course.objects.filter(pk=self.course.pk).exists())
