"""Test plan Task 9.1: time-dependent logic, at fixed instants passed as ``now``.

The services take ``now=`` and ``courses.exam_time`` is pure, so almost nothing here waits on the
clock: each test names its instants. Only the cache TTL tests sleep (1.1 s and 3 s), because
expiry is the cache server's own clock. The periodic task reads the real clock, so its attempts
are placed relative to ``timezone.now()``.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.cache import cache, caches
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import TestCase, override_settings
from django.utils import timezone

from courses import selectors
from courses.exam_time import (
    attempt_deadline,
    is_past,
    local_time,
    results_visible,
    time_remaining,
)
from courses.judging.types import Verdict
from courses.models import Course, Enrollment, Exam, ExamAttempt, ProblemProgress, Submission
from courses.services.code_executor import CodeExecutorService
from courses.services.errors import (
    AttemptAlreadyRunning,
    AttemptExpired,
    AttemptFinished,
    AttemptLimitReached,
    ExamClosed,
    ExamNotOpen,
    InvalidInput,
)
from courses.services.exam_attempts import (
    exam_attempt_check_open,
    exam_attempt_finish,
    exam_attempt_grant_extra_time,
    exam_attempts_finish_expired,
)
from courses.services.submissions import submission_create
from courses.tasks import finish_expired_attempts
from courses.tests import factories
from courses.tests.services.db_fixtures import (
    RIGHT,
    WRONG,
    answering_backend,
    exam_with_problems,
    one_case_problem,
    start_attempt,
)

T0 = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
KOLKATA = ZoneInfo("Asia/Kolkata")
MICROSECOND = timedelta(microseconds=1)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


#: The TTL of the app's entries in the expiry test: room for a loaded host between caching them
#: and checking that they are still served.
APP_TTL_S = 3


class TimeBasedTestCase(TestCase):
    def setUp(self):
        self.user = factories.UserFactory()
        self.problem = one_case_problem()

    def exam(self, opens_at=T0, closes_at=T0 + timedelta(days=1), **kwargs) -> Exam:
        return exam_with_problems(self.problem, opens_at=opens_at, closes_at=closes_at, **kwargs)

    def submit(self, attempt, code=RIGHT, user=None) -> Submission:
        return submission_create(
            user=user or self.user,
            problem=self.problem,
            language="python",
            code=code,
            exam_attempt=attempt,
            enqueue=False,
        )

    # Step 1: exam time limit: time remaining, enforcement, past and future ---------------------

    def test_time_remaining_counts_down_to_zero_and_never_below(self):
        deadline = T0 + minutes(60)
        self.assertEqual(time_remaining(deadline, T0), minutes(60))
        self.assertEqual(time_remaining(deadline, deadline - MICROSECOND), MICROSECOND)
        self.assertEqual(time_remaining(deadline, deadline), timedelta(0))
        self.assertEqual(time_remaining(deadline, deadline + timedelta(days=3)), timedelta(0))
        self.assertFalse(is_past(deadline, deadline - MICROSECOND))
        self.assertTrue(is_past(deadline, deadline))
        self.assertTrue(is_past(deadline, deadline + MICROSECOND))

    def test_the_deadline_is_computed_once_at_start_and_capped_by_closing(self):
        exam = self.exam(closes_at=T0 + minutes(120), duration_minutes=60)
        early = start_attempt(exam=exam, user=self.user, now=T0 + minutes(10))
        late_user = factories.UserFactory()
        late = start_attempt(exam=exam, user=late_user, now=T0 + minutes(100))
        self.assertEqual(ExamAttempt.objects.get(pk=early.pk).deadline, T0 + minutes(70))
        self.assertEqual(ExamAttempt.objects.get(pk=late.pk).deadline, T0 + minutes(120))
        self.assertEqual(time_remaining(late.deadline, T0 + minutes(100)), minutes(20))
        # Editing the exam afterwards does not move deadlines already stored.
        Exam.objects.filter(pk=exam.pk).update(duration_minutes=5, closes_at=T0 + timedelta(days=2))
        self.assertEqual(ExamAttempt.objects.get(pk=early.pk).deadline, T0 + minutes(70))
        self.assertEqual(ExamAttempt.objects.get(pk=late.pk).deadline, T0 + minutes(120))

    def test_submissions_are_taken_before_the_deadline_and_refused_from_it(self):
        now = timezone.now()
        exam = self.exam(opens_at=now - timedelta(hours=3), closes_at=now + timedelta(hours=3))
        running = start_attempt(exam=exam, user=self.user, now=now - minutes(59))
        self.assertEqual(self.submit(running).exam_attempt_id, running.pk)
        late_user = factories.UserFactory()
        expired = start_attempt(exam=exam, user=late_user, now=now - minutes(61))
        with self.assertRaises(AttemptExpired) as refused:
            self.submit(expired, user=late_user)
        self.assertIsInstance(refused.exception, ExamClosed)  # the "expired exam" error
        self.assertEqual(refused.exception.code, "attempt_expired")
        self.assertEqual(Submission.objects.filter(exam_attempt=expired).count(), 0)
        # The boundary itself, at fixed instants.
        deadline = running.deadline
        exam_attempt_check_open(attempt=running, now=deadline - MICROSECOND)
        with self.assertRaises(AttemptExpired):
            exam_attempt_check_open(attempt=running, now=deadline)
        finished = exam_attempt_finish(attempt=running, now=deadline - minutes(30))
        with self.assertRaises(AttemptFinished):
            exam_attempt_check_open(attempt=finished, now=deadline - minutes(1))

    def test_extra_time_moves_the_stored_deadline_and_may_pass_closing(self):
        exam = self.exam(closes_at=T0 + minutes(30), duration_minutes=60)
        attempt = start_attempt(exam=exam, user=self.user, now=T0)
        self.assertEqual(attempt.deadline, T0 + minutes(30))  # capped by closing
        attempt = exam_attempt_grant_extra_time(attempt=attempt, minutes=15)
        attempt = exam_attempt_grant_extra_time(attempt=attempt, minutes=5)
        stored = ExamAttempt.objects.get(pk=attempt.pk)
        self.assertEqual((stored.extra_time_minutes, stored.deadline), (20, T0 + minutes(50)))
        self.assertEqual(time_remaining(stored.deadline, T0 + minutes(40)), minutes(10))
        exam_attempt_check_open(attempt=stored, now=T0 + minutes(45))  # past closes_at: open
        for bad in (0, -5, True, 1.5):
            with self.subTest(minutes=bad), self.assertRaises(InvalidInput):
                exam_attempt_grant_extra_time(attempt=stored, minutes=bad)
        exam_attempt_finish(attempt=stored, now=T0 + minutes(45))
        with self.assertRaises(AttemptFinished):
            exam_attempt_grant_extra_time(attempt=stored, minutes=10)
        self.assertEqual(ExamAttempt.objects.get(pk=attempt.pk).deadline, T0 + minutes(50))

    def test_a_new_attempt_needs_the_last_one_over_and_attempts_left(self):
        exam = self.exam(duration_minutes=60, max_attempts=2)
        first = start_attempt(exam=exam, user=self.user, now=T0)
        with self.assertRaises(AttemptAlreadyRunning):
            start_attempt(exam=exam, user=self.user, now=T0 + minutes(59))
        # Past its deadline the first attempt is over: starting again finishes it, at its deadline.
        second = start_attempt(exam=exam, user=self.user, now=T0 + minutes(61))
        first.refresh_from_db()
        self.assertEqual(first.finished_at, T0 + minutes(60))
        self.assertEqual(second.started_at, T0 + minutes(61))
        exam_attempt_finish(attempt=second, now=T0 + minutes(70))
        with self.assertRaises(AttemptLimitReached):
            start_attempt(exam=exam, user=self.user, now=T0 + minutes(80))
        self.assertEqual(ExamAttempt.objects.filter(user=self.user).count(), 2)

    # Step 2: progress timestamps ---------------------------------------------------------------

    def test_progress_timestamps_follow_the_submissions_in_utc(self):
        service = CodeExecutorService(backend=answering_backend())
        made_at = {WRONG: T0, RIGHT: T0 + minutes(5)}
        before = timezone.now()
        for code in (WRONG, RIGHT):
            submission = submission_create(
                user=self.user, problem=self.problem, language="python", code=code, enqueue=False
            )
            Submission.objects.filter(pk=submission.pk).update(created_at=made_at[code])
            service.judge_submission(submission.pk)
        after = timezone.now()
        progress = ProblemProgress.objects.get()
        self.assertTrue(before <= progress.created_at <= progress.updated_at <= after)
        # Solved when the accepted code was submitted, not when a worker judged it.
        self.assertEqual(progress.first_solved_at, T0 + minutes(5))
        self.assertEqual(progress.last_submitted_at, T0 + minutes(5))
        for name in ("created_at", "updated_at", "first_solved_at", "last_submitted_at"):
            self.assertEqual(getattr(progress, name).tzinfo, UTC, name)
        # A later submission moves updated_at and last_submitted_at, never created_at.
        created_at, updated_at = progress.created_at, progress.updated_at
        late = submission_create(
            user=self.user, problem=self.problem, language="python", code=RIGHT, enqueue=False
        )
        service.judge_submission(late.pk)
        progress.refresh_from_db()
        self.assertEqual(progress.created_at, created_at)
        self.assertGreater(progress.updated_at, updated_at)
        self.assertEqual(progress.last_submitted_at, Submission.objects.get(pk=late.pk).created_at)
        self.assertEqual(progress.first_solved_at, T0 + minutes(5))

    def test_an_instant_given_in_any_zone_is_stored_as_utc(self):
        in_kolkata = datetime(2025, 3, 10, 9, 0, tzinfo=KOLKATA)
        exam = self.exam(opens_at=in_kolkata, closes_at=in_kolkata + timedelta(days=1))
        stored = Exam.objects.get(pk=exam.pk).opens_at
        self.assertEqual(stored, in_kolkata)
        self.assertEqual(stored.tzinfo, UTC)
        self.assertEqual((stored.hour, stored.minute), (3, 30))
        with connection.cursor() as cursor:
            cursor.execute("SELECT opens_at FROM courses_exam WHERE id = %s", [exam.pk])
            (raw,) = cursor.fetchone()
        # SQLite keeps naive UTC text, PostgreSQL a timestamptz read in the UTC session zone.
        self.assertIn(raw.utcoffset(), (None, timedelta(0)))
        self.assertEqual(raw.replace(tzinfo=None), datetime(2025, 3, 10, 3, 30))
        self.assertTrue(Exam.objects.filter(opens_at=datetime(2025, 3, 10, 3, 30, tzinfo=UTC)))

    # Step 3: cache expiration ------------------------------------------------------------------

    def test_a_cached_value_expires_after_its_timeout_and_not_before(self):
        config = dict(settings.CACHES["default"])  # the configured cache: locmem, or Redis
        config["KEY_PREFIX"] = f"test-{uuid.uuid4().hex}"
        if config["BACKEND"].endswith("LocMemCache"):
            config["LOCATION"] = config["KEY_PREFIX"]
        with override_settings(CACHES={"default": config}):
            cache.set("short", "value", timeout=1)
            cache.set("long", "value", timeout=60)
            self.assertFalse(cache.add("short", "other", timeout=1))  # still there
            self.assertEqual(cache.get("short"), "value")
            time.sleep(1.1)
            self.assertIsNone(cache.get("short"))
            self.assertEqual(cache.get("long"), "value")
            self.assertTrue(cache.add("short", "again", timeout=1))  # the slot is free again
            cache.delete_many(["short", "long"])

    @override_settings(COURSES_CACHE_TTL_SECONDS=APP_TTL_S)
    def test_the_apps_cached_reads_expire_after_their_ttl_and_not_before(self):
        """The app's own entries (``courses.cache``: a progress entry, a progress summary, a
        roster, a user's courses) live ``COURSES_CACHE_TTL_SECONDS`` and no longer: rows changed
        behind the cache's back (``QuerySet.update`` sends no signal, so nothing invalidates)
        are served stale until then, and fresh from then on. Every key the app wrote carries an
        expiry: the entries the TTL, their version keys at most a day."""
        config = dict(settings.CACHES["default"])
        config["KEY_PREFIX"] = f"test-{uuid.uuid4().hex}"
        if config["BACKEND"].endswith("LocMemCache"):
            config["LOCATION"] = config["KEY_PREFIX"]
        student, problem = factories.UserFactory(), factories.ProblemFactory(points=10)
        course_id = problem.chapter.course_id
        enrollment = factories.EnrollmentFactory(user=student, course_id=course_id)
        factories.ProblemProgressFactory(
            user=student, problem=problem, status="attempted", attempts=1, best_score=0
        )

        def reads():
            return (
                selectors.progress_get(user_id=student.pk, problem_id=problem.pk).attempts,
                selectors.course_progress_summary(user_id=student.pk, course_id=course_id).solved,
                [entry.user_id for entry in selectors.course_roster(course_id=course_id)],
                set(selectors.user_course_ids(user_id=student.pk)),
            )

        with override_settings(CACHES={"default": config}):
            before = reads()
            # After the reads, not before: every entry was written by then, so the sleep below
            # outlasts each one's TTL however long the cold reads took (on PostgreSQL and Redis
            # they took over the 0.1 s margin once).
            cached_at = time.monotonic()
            self.assertEqual(before, (1, 0, [student.pk], {course_id}))
            expiries = cache_expiries(caches["default"], config["KEY_PREFIX"])
            ProblemProgress.objects.filter(user=student, problem=problem).update(
                status="solved", attempts=2, best_score=1, first_solved_at=timezone.now()
            )
            Enrollment.objects.filter(pk=enrollment.pk).update(status=Enrollment.Status.DROPPED)
            self.assertEqual(reads(), before)  # cached: the change is not seen yet
            time.sleep(max(0.0, cached_at + APP_TTL_S + 0.1 - time.monotonic()))
            self.assertEqual(reads(), (2, 1, [], set()))
        entries = {k: v for k, v in expiries.items() if "version" not in k}
        versions = {k: v for k, v in expiries.items() if "version" in k}
        self.assertEqual(len(entries), 4, expiries)
        self.assertEqual(len(versions), 4, expiries)  # summary, course content, roster, courses
        for key, seconds in entries.items():
            self.assertIsNotNone(seconds, f"{key} never expires")
            self.assertLessEqual(seconds, APP_TTL_S, key)
        for key, seconds in versions.items():
            self.assertIsNotNone(seconds, f"{key} never expires")
            self.assertLessEqual(seconds, 24 * 3600, key)

    # Step 4: scheduled operations --------------------------------------------------------------

    def test_the_periodic_task_finishes_expired_attempts_once_at_their_deadline(self):
        now = timezone.now()
        exam = self.exam(
            opens_at=now - timedelta(hours=4),
            closes_at=now + timedelta(hours=4),
            passing_percentage=Decimal("50"),
        )
        users = [factories.UserFactory() for _ in range(3)]
        expired = start_attempt(exam=exam, user=users[0], now=now - timedelta(hours=2))
        factories.SubmissionFactory(
            user=users[0],
            problem=self.problem,
            exam_attempt=expired,
            status=Verdict.ACCEPTED,
            score=Decimal("1"),
        )
        running = start_attempt(exam=exam, user=users[1], now=now - minutes(10))
        done = start_attempt(exam=exam, user=users[2], now=now - timedelta(hours=3))
        done = exam_attempt_finish(attempt=done, now=now - timedelta(hours=3) + minutes(1))

        self.assertEqual(finish_expired_attempts.apply().get(), 1)
        expired.refresh_from_db()
        self.assertEqual(expired.finished_at, expired.deadline)  # when it ended, not when seen
        self.assertEqual((expired.score, expired.passed), (Decimal("10.00"), True))
        self.assertIsNone(ExamAttempt.objects.get(pk=running.pk).finished_at)
        self.assertEqual(ExamAttempt.objects.get(pk=done.pk).finished_at, done.finished_at)
        self.assertEqual(finish_expired_attempts.apply().get(), 0)

    def test_expired_attempts_are_finished_exactly_from_their_deadline(self):
        exam = self.exam(duration_minutes=45)
        attempt = start_attempt(exam=exam, user=self.user, now=T0)
        deadline = T0 + minutes(45)
        self.assertEqual(exam_attempts_finish_expired(now=deadline - MICROSECOND), 0)
        self.assertIsNone(ExamAttempt.objects.get(pk=attempt.pk).finished_at)
        self.assertEqual(exam_attempts_finish_expired(now=deadline), 1)
        self.assertEqual(ExamAttempt.objects.get(pk=attempt.pk).finished_at, deadline)
        # Finishing again, later, by hand or by the task, changes nothing.
        handed_in = start_attempt(exam=exam, user=factories.UserFactory(), now=T0)
        handed_in = exam_attempt_finish(attempt=handed_in, now=T0 + minutes(20))
        again = exam_attempt_finish(attempt=handed_in, now=T0 + minutes(40))
        self.assertEqual(again.finished_at, T0 + minutes(20))
        self.assertEqual(ExamAttempt.objects.get(pk=handed_in.pk).finished_at, T0 + minutes(20))
        self.assertEqual(exam_attempts_finish_expired(now=deadline + timedelta(days=1)), 0)

    def test_the_beat_schedule_runs_the_finishing_task_every_minute(self):
        from config.celery import app

        entry = settings.CELERY_BEAT_SCHEDULE["finish-expired-exam-attempts"]
        self.assertEqual(entry["task"], finish_expired_attempts.name)
        self.assertLessEqual(entry["schedule"], 60)
        app.loader.import_default_modules()  # what a worker and beat do on start
        self.assertIn(entry["task"], app.tasks)

    def test_a_submission_judged_after_its_attempt_finished_still_counts(self):
        now = timezone.now()
        exam = self.exam(
            opens_at=now - timedelta(hours=1),
            closes_at=now + timedelta(hours=1),
            passing_percentage=Decimal("100"),
        )
        attempt = start_attempt(exam=exam, user=self.user)
        submission = self.submit(attempt)  # made in time; the queue is slow
        finished = exam_attempt_finish(attempt=attempt)
        self.assertEqual((finished.score, finished.passed), (Decimal("0.00"), False))
        CodeExecutorService(backend=answering_backend()).judge_submission(submission.pk)
        attempt.refresh_from_db()
        self.assertEqual((attempt.score, attempt.passed), (Decimal("10.00"), True))
        self.assertEqual(attempt.finished_at, finished.finished_at)

    def test_results_are_visible_from_their_release_time(self):
        exam = self.exam()
        self.assertFalse(results_visible(exam, T0 + timedelta(days=365)))  # not released
        exam.results_released_at = T0 + timedelta(days=2)
        exam.save(update_fields=["results_released_at"])
        exam.refresh_from_db()
        self.assertFalse(results_visible(exam, T0 + timedelta(days=2) - MICROSECOND))
        self.assertTrue(results_visible(exam, T0 + timedelta(days=2)))
        self.assertTrue(results_visible(exam, T0 + timedelta(days=30)))

    # Step 5: temporal validation ---------------------------------------------------------------

    def test_an_exam_is_started_only_within_its_window(self):
        exam = self.exam(opens_at=T0, closes_at=T0 + timedelta(hours=2))
        with self.assertRaises(ExamNotOpen):
            start_attempt(exam=exam, user=self.user, now=T0 - MICROSECOND)
        with self.assertRaises(ExamClosed):
            start_attempt(exam=exam, user=self.user, now=T0 + timedelta(hours=2))
        with self.assertRaises(ExamClosed):
            start_attempt(exam=exam, user=self.user, now=T0 + timedelta(days=9))
        self.assertFalse(ExamAttempt.objects.exists())
        attempt = start_attempt(exam=exam, user=self.user, now=T0)  # opening included
        self.assertEqual(attempt.started_at, T0)
        # With the real clock: an exam that closed yesterday, one that opens tomorrow.
        now = timezone.now()
        past = self.exam(opens_at=now - timedelta(days=2), closes_at=now - timedelta(days=1))
        future = self.exam(opens_at=now + timedelta(days=1), closes_at=now + timedelta(days=2))
        with self.assertRaises(ExamClosed):
            start_attempt(exam=past, user=self.user)
        with self.assertRaises(ExamNotOpen):
            start_attempt(exam=future, user=self.user)

    def test_an_exam_must_close_after_it_opens_and_may_lie_in_the_future(self):
        course = factories.CourseFactory()
        for closes_at in (T0, T0 - minutes(1)):
            exam = Exam(
                course=course, title="x", opens_at=T0, closes_at=closes_at, duration_minutes=60
            )
            with self.subTest(closes_at=closes_at), self.assertRaises(ValidationError) as error:
                exam.full_clean()
            self.assertIn("An exam must close after it opens.", str(error.exception))
        future = Exam(
            course=course,
            title="next year",
            opens_at=timezone.now() + timedelta(days=365),
            closes_at=timezone.now() + timedelta(days=366),
            duration_minutes=60,
        )
        future.full_clean()
        future.save()
        self.assertTrue(Exam.objects.filter(pk=future.pk).exists())

    def test_naive_datetimes_are_refused(self):
        naive = datetime(2025, 3, 10, 9, 0)
        with self.assertRaises(ValueError):
            time_remaining(naive, T0)
        with self.assertRaises(ValueError):
            is_past(T0, naive)
        with self.assertRaises(ValueError):
            start_attempt(exam=self.exam(), user=self.user, now=naive)
        self.assertFalse(ExamAttempt.objects.exists())

    # Step 6: time zones ------------------------------------------------------------------------

    def test_course_time_zones_display_one_utc_instant(self):
        cases = {  # local closing time 18:00 on 2025-01-15 → expected UTC
            "Europe/Paris": (datetime(2025, 1, 15, 17, 0, tzinfo=UTC), timedelta(hours=1)),
            "America/New_York": (datetime(2025, 1, 15, 23, 0, tzinfo=UTC), timedelta(hours=-5)),
            "Asia/Kolkata": (datetime(2025, 1, 15, 12, 30, tzinfo=UTC), timedelta(hours=5.5)),
        }
        for tz_name, (expected_utc, offset) in cases.items():
            with self.subTest(time_zone=tz_name):
                course = factories.CourseFactory(time_zone=tz_name)
                course.full_clean()
                closes_local = datetime(2025, 1, 15, 18, 0, tzinfo=ZoneInfo(tz_name))
                exam = factories.ExamFactory(
                    course=course,
                    opens_at=closes_local - timedelta(days=1),
                    closes_at=closes_local,
                    duration_minutes=90,
                )
                stored = Exam.objects.select_related("course").get(pk=exam.pk)
                self.assertEqual(stored.closes_at, expected_utc)
                self.assertEqual(stored.closes_at.tzinfo, UTC)
                shown = local_time(stored.closes_at, stored.course.time_zone)
                self.assertEqual((shown.hour, shown.minute, shown.utcoffset()), (18, 0, offset))
                # A student starting 30 minutes before closing gets 30 minutes, in any zone.
                attempt = start_attempt(exam=stored, user=self.user, now=expected_utc - minutes(30))
                self.assertEqual(attempt.deadline, expected_utc)

    def test_an_unknown_time_zone_is_refused(self):
        with self.assertRaises(ValidationError):
            Course(title="x", slug="x", time_zone="Mars/Olympus").full_clean()
        with self.assertRaises(ZoneInfoNotFoundError):
            local_time(T0, "Mars/Olympus")

    # Step 7: daylight saving time --------------------------------------------------------------

    def test_an_exam_across_the_spring_forward_lasts_its_real_duration(self):
        # Paris, 2025-03-30: at 02:00 CET clocks jump to 03:00 CEST (01:00 UTC).
        start = datetime(2025, 3, 30, 1, 30, tzinfo=PARIS)  # 00:30 UTC
        exam = self.exam(
            opens_at=start - timedelta(days=1),
            closes_at=start + timedelta(days=1),
            duration_minutes=90,
        )
        attempt = start_attempt(exam=exam, user=self.user, now=start)
        stored = ExamAttempt.objects.get(pk=attempt.pk)
        self.assertEqual(stored.deadline, datetime(2025, 3, 30, 2, 0, tzinfo=UTC))
        self.assertEqual(stored.deadline - stored.started_at, minutes(90))
        self.assertEqual(
            attempt_deadline(started_at=start, duration_minutes=90, closes_at=exam.closes_at),
            stored.deadline,
        )
        shown = local_time(stored.deadline, "Europe/Paris")
        self.assertEqual((shown.hour, shown.minute), (4, 0))  # the wall clock moved 2 h 30
        self.assertEqual(shown.utcoffset() - start.utcoffset(), timedelta(hours=1))
        # Wall-clock arithmetic in the local zone would end the exam after 30 real minutes.
        self.assertNotEqual(stored.deadline, start + minutes(90))
        later = datetime(2025, 3, 30, 1, 45, tzinfo=PARIS)
        self.assertEqual(time_remaining(shown, later), minutes(75))  # not the wall's 2 h 15

    def test_an_exam_across_the_fall_back_lasts_its_real_duration(self):
        # Paris, 2025-10-26: at 03:00 CEST clocks go back to 02:00 CET (01:00 UTC).
        start = datetime(2025, 10, 26, 2, 30, tzinfo=PARIS)  # fold 0: the first 02:30, CEST
        exam = self.exam(opens_at=start - timedelta(days=1), closes_at=start + timedelta(days=1))
        attempt = start_attempt(exam=exam, user=self.user, now=start)
        stored = ExamAttempt.objects.get(pk=attempt.pk)
        self.assertEqual(stored.started_at, datetime(2025, 10, 26, 0, 30, tzinfo=UTC))
        self.assertEqual(stored.deadline - stored.started_at, minutes(60))
        begins = local_time(stored.started_at, "Europe/Paris")
        ends = local_time(stored.deadline, "Europe/Paris")
        # The same wall time twice, an hour apart: told apart by fold and offset.
        self.assertEqual((begins.hour, begins.minute), (ends.hour, ends.minute))
        self.assertEqual((begins.fold, ends.fold), (0, 1))
        self.assertEqual(begins.utcoffset() - ends.utcoffset(), timedelta(hours=1))
        self.assertEqual(ends - begins, timedelta(0))  # Python's wall-clock subtraction...
        self.assertEqual(time_remaining(ends, begins), minutes(60))  # ...and the real time

    def test_new_york_and_kolkata_around_the_us_spring_forward(self):
        # New York, 2025-03-09: at 02:00 EST clocks jump to 03:00 EDT (07:00 UTC).
        start_utc = datetime(2025, 3, 9, 6, 30, tzinfo=UTC)  # 01:30 EST
        deadline = attempt_deadline(
            started_at=start_utc, duration_minutes=60, closes_at=start_utc + timedelta(days=1)
        )
        in_new_york = local_time(deadline, "America/New_York")
        self.assertEqual((in_new_york.hour, in_new_york.minute), (3, 30))
        self.assertEqual(in_new_york.utcoffset(), timedelta(hours=-4))
        self.assertEqual(local_time(start_utc, "America/New_York").utcoffset(), timedelta(hours=-5))
        # Kolkata has no DST: the same offset on both sides.
        self.assertEqual(
            {local_time(t, "Asia/Kolkata").utcoffset() for t in (start_utc, deadline)},
            {timedelta(hours=5, minutes=30)},
        )
        self.assertEqual(deadline - start_utc, minutes(60))


def cache_expiries(backend, prefix: str) -> dict[str, float | None]:
    """Every key under ``prefix`` with the seconds it has left (``None``: it never expires), read
    from the backend itself: locmem's expiry table, or Redis's ``TTL``."""
    if hasattr(backend, "_expire_info"):  # LocMemCache
        now = time.time()
        return {
            key: None if expires is None else expires - now
            for key, expires in backend._expire_info.items()
            if key.startswith(prefix)
        }
    client = backend._cache.get_client(prefix)
    found = {}
    for raw in client.scan_iter(match=f"{prefix}:*"):
        key = raw.decode()
        ttl = client.ttl(key)
        found[key] = None if ttl == -1 else float(ttl)
    return found
