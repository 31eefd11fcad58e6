"""Submission services: late marks at creation, late scoring in progress, the pending cap,
and one language check for every endpoint."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.test import TestCase, TransactionTestCase, override_settings

from courses.judging.types import Outcome, RunResult, Verdict
from courses.models import Course, ProblemProgress, Submission
from courses.services.code_executor import CodeExecutorService
from courses.services.errors import LanguageNotAllowed, TooManyPending, UnknownLanguage
from courses.services.progress import progress_recompute
from courses.services.submissions import language_validate, submission_create
from courses.tests import factories
from courses.tests.api_support import ADD, judging_queued, problem_with_cases
from courses.tests.scripted_backend import ScriptedBackend
from courses.tests.services.db_fixtures import run_together

DUE = datetime(2025, 3, 10, 23, 59, tzinfo=UTC)
SECOND = timedelta(seconds=1)
DAY = timedelta(days=1)
D = Decimal


class LateSubmissionServiceTestCase(TestCase):
    def setUp(self):
        self.user = factories.UserFactory()
        self.course = factories.CourseFactory(late_policy="penalty")
        self.chapter = factories.ChapterFactory(course=self.course)
        self.problem = problem_with_cases(chapter=self.chapter, due_at=DUE)

    def create(self, now, problem=None, **kwargs) -> Submission:
        return submission_create(
            user=self.user,
            problem=problem or self.problem,
            language="python",
            code=ADD,
            enqueue=False,
            now=now,
            **kwargs,
        )

    def late(self, submission) -> tuple[bool, int]:
        row = Submission.objects.get(pk=submission.pk)
        return row.is_late, row.late_days

    def test_exactly_at_the_due_date_is_on_time_and_one_second_after_is_one_day_late(self):
        expected = {
            DUE - DAY: (False, 0),
            DUE - SECOND: (False, 0),
            DUE: (False, 0),
            DUE + SECOND: (True, 1),
            DUE + DAY: (True, 1),
            DUE + DAY + SECOND: (True, 2),
            DUE + 10 * DAY: (True, 10),
        }
        for now, late in expected.items():
            with self.subTest(now=now):
                self.assertEqual(self.late(self.create(now)), late)

    def test_the_chapters_due_date_applies_unless_the_problem_has_its_own(self):
        self.chapter.due_at = DUE - DAY
        self.chapter.save()
        own = problem_with_cases(chapter=self.chapter, due_at=DUE)
        inherited = problem_with_cases(chapter=self.chapter)
        self.assertEqual(self.late(self.create(DUE - SECOND, own)), (False, 0))
        self.assertEqual(self.late(self.create(DUE - SECOND, inherited)), (True, 1))

    def test_without_any_due_date_nothing_is_late(self):
        free = problem_with_cases(chapter=self.chapter)
        self.assertEqual(self.late(self.create(DUE + 100 * DAY, free)), (False, 0))

    def test_exam_submissions_are_never_late(self):
        exam = factories.ExamFactory(course=self.course)
        factories.ExamProblemFactory(exam=exam, problem=self.problem)
        factories.EnrollmentFactory(user=self.user, course=self.course)
        attempt = factories.ExamAttemptFactory(exam=exam, user=self.user)
        now = exam.opens_at + timedelta(minutes=5)  # long after the homework's due date
        self.assertGreater(now, DUE)
        submission = self.create(now, exam_attempt=attempt)
        self.assertEqual(self.late(submission), (False, 0))

    def test_the_server_clock_decides_when_no_instant_is_given(self):
        submission = submission_create(
            user=self.user, problem=self.problem, language="python", code=ADD, enqueue=False
        )
        days = Submission.objects.get(pk=submission.pk).late_days
        self.assertGreater(days, 300)  # DUE is in March 2025


class LateScoringProgressTestCase(TestCase):
    """``best_score`` is the best effective score; ``solved`` means an accepted one exists."""

    def setUp(self):
        self.user = factories.UserFactory()
        self.course = factories.CourseFactory(late_penalty_percent_per_day=D("30"))
        self.problem = problem_with_cases(chapter=factories.ChapterFactory(course=self.course))

    def policy(self, name):
        Course.objects.filter(pk=self.course.pk).update(late_policy=name)

    def judged(self, score, late_days=0, verdict=None):
        verdict = verdict or (Verdict.ACCEPTED if score == 1 else Verdict.WRONG_ANSWER)
        return factories.SubmissionFactory(
            user=self.user,
            problem=self.problem,
            status=verdict,
            score=D(score),
            is_late=late_days > 0,
            late_days=late_days,
        )

    def progress(self) -> ProblemProgress:
        return progress_recompute(user_id=self.user.pk, problem_id=self.problem.pk)

    def test_with_no_policy_late_work_counts_in_full(self):
        self.policy("none")
        self.judged(1, late_days=3)
        progress = self.progress()
        self.assertEqual((progress.status, progress.best_score), ("solved", D("1")))

    def test_with_a_penalty_late_work_loses_a_share_per_started_day(self):
        self.policy("penalty")
        self.judged(1, late_days=2)  # 1 − 2 × 30 % = 0.4
        progress = self.progress()
        self.assertEqual((progress.status, progress.best_score), ("solved", D("0.4")))
        self.judged("0.5")  # on time, half right: better than the late full score
        self.assertEqual(self.progress().best_score, D("0.5"))
        self.judged("0.75", late_days=1)  # 0.75 × 0.7 = 0.525
        self.assertEqual(self.progress().best_score, D("0.525"))

    def test_exam_submissions_do_not_count_in_practice_progress(self):
        """Exam work is scored by its exam; counting it here would show, through the course
        page, a verdict that the exam's feedback withholds."""
        exam = factories.ExamFactory(course=self.course, feedback="none")
        attempt = factories.ExamAttemptFactory(exam=exam, user=self.user)
        factories.SubmissionFactory(
            user=self.user,
            problem=self.problem,
            exam_attempt=attempt,
            status=Verdict.ACCEPTED,
            score=D("1"),
        )
        progress = self.progress()
        self.assertEqual((progress.status, progress.attempts), ("not_started", 0))
        self.judged("0.5")
        progress = self.progress()
        self.assertEqual((progress.status, progress.best_score), ("attempted", D("0.5")))

    def test_a_penalty_never_goes_below_zero(self):
        self.policy("penalty")
        self.judged(1, late_days=5)  # 1 − 150 %
        progress = self.progress()
        self.assertEqual((progress.status, progress.best_score), ("solved", D("0")))

    def test_not_counted_late_work_earns_nothing_but_still_solves(self):
        self.policy("not_counted")
        self.judged(1, late_days=1)
        progress = self.progress()
        self.assertEqual(
            (progress.status, progress.best_score, progress.attempts), ("solved", D("0"), 1)
        )
        self.judged("0.5")
        self.assertEqual(self.progress().best_score, D("0.5"))

    def test_a_late_wrong_answer_is_an_attempt_and_not_a_solve(self):
        self.policy("not_counted")
        self.judged("0.5", late_days=1)
        progress = self.progress()
        self.assertEqual(
            (progress.status, progress.best_score, progress.attempts), ("attempted", D("0"), 1)
        )

    def test_judging_a_late_submission_saves_its_effective_score(self):
        self.policy("penalty")
        self.problem.due_at = datetime(2020, 1, 1, tzinfo=UTC)
        self.problem.save()
        right = RunResult(outcome=Outcome.OK, stdout=b"3\n")
        service = CodeExecutorService(backend=ScriptedBackend(right))
        submission = service.run_all_test_cases(self.user, self.problem, ADD)
        self.assertEqual((submission.status, submission.is_late), ("accepted", True))
        self.assertGreater(submission.late_days, 4)  # 4 × 30 % > 100 %
        progress = ProblemProgress.objects.get(user=self.user, problem=self.problem)
        self.assertEqual((progress.status, progress.best_score), ("solved", D("0")))


@override_settings(COURSES_MAX_PENDING_SUBMISSIONS=2)
class PendingCapServiceTestCase(TestCase):
    """A ``TestCase``: on_commit never runs, so queued submissions stay pending."""

    def setUp(self):
        self.user = factories.UserFactory()
        self.problem = problem_with_cases()

    def submit(self, user=None, **kwargs) -> Submission:
        return submission_create(
            user=user or self.user, problem=self.problem, language="python", code=ADD, **kwargs
        )

    def test_a_queued_submission_beyond_the_cap_is_refused_and_nothing_is_saved(self):
        first, second = self.submit(), self.submit()
        with self.assertRaises(TooManyPending) as refused:
            self.submit()
        self.assertEqual(
            (refused.exception.code, refused.exception.http_status), ("too_many_pending", 429)
        )
        self.assertEqual(
            set(Submission.objects.values_list("pk", flat=True)), {first.pk, second.pk}
        )

    def test_judging_ones_wait_too_and_judged_ones_make_room(self):
        first, second = self.submit(), self.submit()
        Submission.objects.filter(pk=first.pk).update(status=Verdict.JUDGING)
        with self.assertRaises(TooManyPending):
            self.submit()
        for verdict in (Verdict.INTERNAL_ERROR, Verdict.ACCEPTED):
            with self.subTest(verdict=verdict):
                Submission.objects.filter(pk=second.pk).update(status=verdict)
                third = self.submit()
                Submission.objects.filter(pk=third.pk).update(status=verdict)

    def test_other_users_waiting_submissions_do_not_count(self):
        other = factories.UserFactory()
        for user in (other, other, self.user, self.user):
            self.submit(user)
        with self.assertRaises(TooManyPending):
            self.submit(other)

    def test_an_exam_submission_is_never_refused_and_waits_in_the_same_queue(self):
        exam = factories.ExamFactory(course=self.problem.chapter.course)
        factories.ExamProblemFactory(exam=exam, problem=self.problem)
        factories.EnrollmentFactory(user=self.user, course=exam.course)
        attempt = factories.ExamAttemptFactory(exam=exam, user=self.user)
        self.submit()
        self.submit()
        for _ in range(3):  # beyond the cap
            self.submit(exam_attempt=attempt)
        self.assertEqual(Submission.objects.filter(exam_attempt=attempt).count(), 3)
        Submission.objects.filter(exam_attempt__isnull=True).update(status=Verdict.ACCEPTED)
        with self.assertRaises(TooManyPending):  # the exam ones still wait
            self.submit()

    def test_a_submission_judged_at_once_is_not_capped(self):
        self.submit()
        self.submit()
        self.submit(enqueue=False)  # run_all_test_cases judges it right away
        self.assertEqual(Submission.objects.count(), 3)


@override_settings(COURSES_MAX_PENDING_SUBMISSIONS=3)
class PendingCapConcurrencyTestCase(TransactionTestCase):
    def test_simultaneous_submissions_of_one_user_never_pass_the_cap(self):
        user = factories.UserFactory()
        problem = problem_with_cases()
        with judging_queued() as queue:
            saved, errors = run_together(
                lambda: submission_create(user=user, problem=problem, language="python", code=ADD),
                [()] * 6,
            )
            self.assertEqual(len(saved), 3, errors)
            self.assertEqual([type(e) for e in errors], [TooManyPending] * 3)
            self.assertEqual(Submission.objects.filter(status=Verdict.PENDING).count(), 3)
            self.assertEqual(len(queue.take()), 3)


class LanguageCheckTestCase(TestCase):
    def test_unknown_and_not_allowed_are_two_errors_with_the_field_named(self):
        problem = problem_with_cases(allowed_languages=["python"])
        for language in ("cobol", "", "PYTHON", None, 42):
            with self.subTest(language=language), self.assertRaises(UnknownLanguage) as caught:
                language_validate(language=language, problem=problem)
            self.assertEqual(caught.exception.code, "unknown_language")
            self.assertEqual(set(caught.exception.fields), {"language"})
        with self.assertRaises(LanguageNotAllowed) as caught:
            language_validate(language="c", problem=problem)
        self.assertEqual(caught.exception.code, "language_not_allowed")
        language_validate(language="c")  # no problem: any language of the platform
        language_validate(language="python", problem=problem)

    def test_submitting_checks_the_language_before_anything_is_saved(self):
        problem = problem_with_cases(allowed_languages=["python"])
        user = factories.UserFactory()
        for language, error in (("cobol", UnknownLanguage), ("c", LanguageNotAllowed)):
            with self.subTest(language=language), self.assertRaises(error):
                submission_create(user=user, problem=problem, language=language, code=ADD)
        self.assertFalse(Submission.objects.exists())
