"""Exam attempt services the API relies on: enrollment checks, reopening, bounded grants, and the
pure state functions; at fixed instants passed as ``now``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.test import TestCase

from courses import selectors
from courses.exam_time import attempt_state, exam_state
from courses.judging.types import Verdict
from courses.models import Enrollment, ExamAttempt
from courses.services.errors import (
    AttemptAlreadyRunning,
    AttemptExpired,
    AttemptRunning,
    InvalidInput,
    NotEnrolled,
)
from courses.services.exam_attempts import (
    MAX_GRANT_MINUTES,
    exam_attempt_check_open,
    exam_attempt_finish,
    exam_attempt_grant_extra_time,
    exam_attempt_reopen,
    exam_attempt_start,
    exam_attempts_finish_expired,
)
from courses.services.exam_authoring import exam_update
from courses.services.submissions import submission_create
from courses.tests import factories
from courses.tests.services.db_fixtures import RIGHT, exam_with_problems, one_case_problem
from courses.tests.signals.support import FreshCacheMixin

T0 = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)


def minutes(n: int) -> timedelta:
    return timedelta(minutes=n)


class ExamServiceTestCase(FreshCacheMixin, TestCase):
    def setUp(self):
        super().setUp()
        self.problem = one_case_problem()
        self.exam = exam_with_problems(
            self.problem, opens_at=T0, closes_at=T0 + timedelta(days=1), max_attempts=3
        )
        self.student = factories.UserFactory()
        self.enrollment = factories.EnrollmentFactory(user=self.student, course=self.exam.course)

    def start(self, now=T0, user=None) -> ExamAttempt:
        return exam_attempt_start(exam=self.exam, user=user or self.student, now=now)


class EnrollmentCheckTestCase(ExamServiceTestCase):
    def test_only_active_members_start_an_attempt(self):
        outsider = factories.UserFactory()
        with self.assertRaises(NotEnrolled):
            self.start(user=outsider)
        for status in (Enrollment.Status.DROPPED, Enrollment.Status.REMOVED):
            with self.subTest(status=status):
                Enrollment.objects.filter(pk=self.enrollment.pk).update(status=status)
                with self.assertRaises(NotEnrolled):
                    self.start()
        self.assertFalse(ExamAttempt.objects.exists())

    def test_staff_and_superusers_may_start(self):
        assistant = factories.UserFactory()
        factories.EnrollmentFactory(
            user=assistant, course=self.exam.course, role=Enrollment.Role.ASSISTANT
        )
        superuser = factories.UserFactory(is_superuser=True)
        for user in (assistant, superuser):
            self.assertEqual(self.start(user=user).user, user)

    def test_a_removal_counts_at_once_even_when_the_cached_roles_say_member(self):
        self.assertTrue(selectors.is_course_member(self.student, self.exam.course_id))  # cached
        # Removed without the signal that clears the cache: the service reads the database.
        Enrollment.objects.filter(pk=self.enrollment.pk).update(status=Enrollment.Status.REMOVED)
        self.assertTrue(selectors.is_course_member(self.student, self.exam.course_id))
        with self.assertRaises(NotEnrolled):
            self.start()

    def test_a_removed_student_cannot_submit_in_their_running_attempt(self):
        attempt = self.start()
        Enrollment.objects.filter(pk=self.enrollment.pk).update(status=Enrollment.Status.REMOVED)
        with self.assertRaises(NotEnrolled):
            submission_create(
                user=self.student,
                problem=self.problem,
                language="python",
                code=RIGHT,
                exam_attempt=attempt,
                enqueue=False,
            )
        self.assertFalse(attempt.submissions.exists())


class ReopenTestCase(ExamServiceTestCase):
    def test_a_finished_attempt_reopens_from_now_unscored_and_is_scored_at_its_next_finish(self):
        attempt = self.start()
        exam_attempt_finish(attempt=attempt, now=T0 + minutes(10))
        attempt.refresh_from_db()
        self.assertEqual((attempt.score, attempt.passed), (Decimal("0"), True))
        reopened = exam_attempt_reopen(attempt=attempt, minutes=30, now=T0 + timedelta(hours=5))
        stored = ExamAttempt.objects.get(pk=attempt.pk)
        for row in (reopened, stored):
            self.assertEqual(row.deadline, T0 + timedelta(hours=5) + minutes(30))
            self.assertEqual((row.finished_at, row.score, row.passed), (None, 0, None))
            self.assertEqual((row.started_at, row.extra_time_minutes), (T0, 0))
        factories.SubmissionFactory(
            user=self.student,
            problem=self.problem,
            exam_attempt=attempt,
            status=Verdict.ACCEPTED,
            score=1,
        )
        finished = exam_attempt_finish(attempt=attempt, now=T0 + timedelta(hours=5, minutes=40))
        self.assertEqual(finished.finished_at, T0 + timedelta(hours=5) + minutes(30))  # deadline
        self.assertEqual(finished.score, Decimal("10.00"))

    def test_an_expired_unfinished_attempt_reopens(self):
        attempt = self.start()
        reopened = exam_attempt_reopen(attempt=attempt, minutes=5, now=T0 + minutes(61))
        self.assertEqual((reopened.deadline, reopened.finished_at), (T0 + minutes(66), None))

    def test_a_running_attempt_is_not_reopened(self):
        attempt = self.start()
        with self.assertRaises(AttemptRunning):
            exam_attempt_reopen(attempt=attempt, minutes=5, now=T0 + minutes(59))
        self.assertEqual(ExamAttempt.objects.get().deadline, T0 + minutes(60))

    def test_another_running_attempt_blocks_it_and_an_expired_one_is_finished_first(self):
        first = self.start()
        exam_attempt_finish(attempt=first, now=T0 + minutes(1))
        second = self.start(now=T0 + minutes(2))
        with self.assertRaises(AttemptAlreadyRunning):
            exam_attempt_reopen(attempt=first, minutes=5, now=T0 + minutes(3))
        self.assertIsNotNone(ExamAttempt.objects.get(pk=first.pk).finished_at)
        exam_attempt_reopen(attempt=first, minutes=5, now=T0 + minutes(62))
        second.refresh_from_db()
        self.assertEqual(second.finished_at, T0 + minutes(62))  # its deadline
        self.assertEqual(ExamAttempt.objects.filter(finished_at__isnull=True).get(), first)

    def test_neither_the_window_nor_the_attempt_limit_applies(self):
        self.exam.max_attempts = 1
        self.exam.save()
        attempt = self.start()
        exam_attempt_finish(attempt=attempt, now=T0 + minutes(1))
        after_closing = self.exam.closes_at + timedelta(days=2)
        reopened = exam_attempt_reopen(attempt=attempt, minutes=20, now=after_closing)
        self.assertEqual(reopened.deadline, after_closing + minutes(20))


class CloseEarlyTestCase(ExamServiceTestCase):
    """An instructor moving ``closes_at`` earlier ends the running attempts by then."""

    def setUp(self):
        super().setUp()
        exam_update(exam=self.exam, opens_at=T0 - minutes(60))
        self.early = self.start(now=T0 - minutes(50))  # deadline T0 + 10
        self.plain = self.start(user=self.enrolled())  # deadline T0 + 60
        self.accommodated = self.start(user=self.enrolled())
        exam_attempt_grant_extra_time(attempt=self.accommodated, minutes=20)  # T0 + 80
        self.handed_in = exam_attempt_finish(attempt=self.start(user=self.enrolled()), now=T0)
        self.late = self.start(now=T0 + minutes(40), user=self.enrolled())  # T0 + 100

    def enrolled(self):
        user = factories.UserFactory()
        factories.EnrollmentFactory(user=user, course=self.exam.course)
        return user

    def deadlines(self) -> dict[str, datetime]:
        names = ("early", "plain", "accommodated", "handed_in", "late")
        return {name: ExamAttempt.objects.get(pk=getattr(self, name).pk).deadline for name in names}

    def test_running_attempts_end_by_the_new_close_with_extra_time_on_top_never_later(self):
        before = self.deadlines()
        exam_update(exam=self.exam, closes_at=T0 + minutes(30))
        self.assertEqual(
            self.deadlines(),
            {
                "early": T0 + minutes(10),  # already ends before the new close
                "plain": T0 + minutes(30),
                "accommodated": T0 + minutes(50),  # its 20 extra minutes come on top
                "handed_in": before["handed_in"],  # finished: left as it is
                "late": T0 + minutes(40) + timedelta(microseconds=1),  # started after it
            },
        )
        self.plain.refresh_from_db()
        with self.assertRaises(AttemptExpired):
            exam_attempt_check_open(attempt=self.plain, now=T0 + minutes(30))
        # The periodic task then finishes them as any other, each at its deadline.
        self.assertEqual(exam_attempts_finish_expired(now=T0 + minutes(45)), 3)
        self.plain.refresh_from_db()
        self.assertEqual(self.plain.finished_at, T0 + minutes(30))
        self.accommodated.refresh_from_db()
        self.assertIsNone(self.accommodated.finished_at)

    def test_moving_the_close_later_or_editing_anything_else_moves_no_deadline(self):
        before = self.deadlines()
        exam_update(exam=self.exam, closes_at=T0 + timedelta(days=2), duration_minutes=5)
        exam_update(exam=self.exam, closes_at=T0 + minutes(100))  # earlier, after every deadline
        self.assertEqual(self.deadlines(), before)


class GrantBoundsTestCase(ExamServiceTestCase):
    def test_grants_and_reopenings_take_1_to_max_whole_minutes(self):
        attempt = self.start()
        for bad in (0, -1, True, 1.5, "5", None, MAX_GRANT_MINUTES + 1):
            with self.subTest(minutes=bad):
                with self.assertRaises(InvalidInput):
                    exam_attempt_grant_extra_time(attempt=attempt, minutes=bad)
                with self.assertRaises(InvalidInput):
                    exam_attempt_reopen(attempt=attempt, minutes=bad, now=T0 + minutes(70))
        granted = exam_attempt_grant_extra_time(attempt=attempt, minutes=MAX_GRANT_MINUTES)
        self.assertEqual(granted.deadline, T0 + minutes(60 + MAX_GRANT_MINUTES))


class StateFunctionTestCase(TestCase):
    def test_an_exam_is_upcoming_then_open_from_its_opening_then_closed_from_its_closing(self):
        window = {"opens_at": T0, "closes_at": T0 + minutes(60)}
        tick = timedelta(microseconds=1)
        self.assertEqual(exam_state(**window, now=T0 - tick), "upcoming")
        self.assertEqual(exam_state(**window, now=T0), "open")
        self.assertEqual(exam_state(**window, now=T0 + minutes(60) - tick), "open")
        self.assertEqual(exam_state(**window, now=T0 + minutes(60)), "closed")

    def test_an_attempt_runs_until_its_deadline_then_expires_until_finished(self):
        deadline = T0 + minutes(60)
        tick = timedelta(microseconds=1)
        self.assertEqual(
            attempt_state(finished_at=None, deadline=deadline, now=deadline - tick), "running"
        )
        self.assertEqual(
            attempt_state(finished_at=None, deadline=deadline, now=deadline), "expired"
        )
        self.assertEqual(
            attempt_state(finished_at=T0 + minutes(5), deadline=deadline, now=T0 + minutes(6)),
            "finished",
        )
