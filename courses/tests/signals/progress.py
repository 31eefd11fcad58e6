"""Test plan Task 5.1: the ProblemProgress post_save signal invalidates the cached progress reads.

Against the configured cache (locmem, or Redis under REDIS_URL), each test in a fresh namespace.
A ``TransactionTestCase``: invalidation happens after commit, so the commits must be real.
"""

from __future__ import annotations

from decimal import Decimal

from django.apps import apps
from django.core.cache import caches
from django.db import connection, transaction
from django.test import TransactionTestCase, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from courses import cache
from courses.judging.types import Verdict
from courses.models import ProblemProgress
from courses.selectors import (
    NOT_STARTED,
    ProgressEntry,
    ProgressSummary,
    course_progress_summary,
    course_roster,
    progress_get,
)
from courses.services.progress import progress_recompute
from courses.tests import factories
from courses.tests.signals.support import UNREACHABLE_REDIS, CacheCalls, FreshCacheMixin

SOLVED = ProblemProgress.Status.SOLVED


class ProgressSignalTestCase(FreshCacheMixin, TransactionTestCase):
    def setUp(self):
        super().setUp()
        self.course, self.other_course = factories.CourseFactory(), factories.CourseFactory()
        chapter = factories.ChapterFactory(course=self.course)
        self.p1 = factories.ProblemFactory(chapter=chapter, points=100)
        self.p2 = factories.ProblemFactory(chapter=chapter, points=50)
        self.p3 = factories.ProblemFactory(chapter__course=self.other_course)
        self.user, self.other_user = factories.UserFactory(), factories.UserFactory()

    def raw(self, key):
        return caches["default"].get(key)

    def summary_version(self, user, course):
        return self.raw(cache.progress_summary_version_key(user.pk, course.pk))

    @transaction.atomic
    def solve(self, user, problem, score="1"):
        """One transaction, two saves (create, then update): as a service would write it."""
        progress, _ = ProblemProgress.objects.get_or_create(user=user, problem=problem)
        progress.status, progress.attempts = SOLVED, progress.attempts + 1
        progress.best_score, progress.first_solved_at = Decimal(score), timezone.now()
        progress.save()
        return progress

    # Step 1: the signal fires on save and the cache is invalidated ----------------------------

    def test_saving_progress_invalidates_its_cached_entry(self):
        self.assertEqual(progress_get(user_id=self.user.pk, problem_id=self.p1.pk), NOT_STARTED)
        self.assertEqual(self.raw(cache.progress_key(self.user.pk, self.p1.pk)), NOT_STARTED)
        self.solve(self.user, self.p1)
        self.assertIsNone(self.raw(cache.progress_key(self.user.pk, self.p1.pk)))
        entry = progress_get(user_id=self.user.pk, problem_id=self.p1.pk)
        self.assertEqual((entry.status, entry.attempts), (SOLVED, 1))

    def test_a_judged_submission_refreshes_the_cached_summary(self):
        empty = ProgressSummary(solved=0, attempted=0, total_points=Decimal("0.00"))
        summary = course_progress_summary(user_id=self.user.pk, course_id=self.course.pk)
        self.assertEqual(summary, empty)
        factories.SubmissionFactory(
            user=self.user, problem=self.p2, status=Verdict.ACCEPTED, score=Decimal("0.5")
        )
        with transaction.atomic():  # as the judging service does, in its final transaction
            progress_recompute(user_id=self.user.pk, problem_id=self.p2.pk)
        summary = course_progress_summary(user_id=self.user.pk, course_id=self.course.pk)
        self.assertEqual(summary, ProgressSummary(1, 1, Decimal("25.00")))

    def test_connecting_the_receivers_twice_still_invalidates_once(self):
        apps.get_app_config("courses").ready()
        with CacheCalls() as calls:
            self.solve(self.user, self.p1)
        self.assertEqual(calls.counts["delete_many"], 1)

    # Step 2: key generation -------------------------------------------------------------------

    def test_keys_follow_the_documented_patterns(self):
        self.assertEqual(cache.progress_key(7, 42), "courses:progress:u7:p42")
        self.assertEqual(
            cache.progress_summary_key(7, 3, 1234), "courses:progress-summary:u7:c3:v1234"
        )
        self.assertEqual(
            cache.progress_summary_version_key(7, 3), "courses:progress-summary-version:u7:c3"
        )
        # Separators keep ids apart: user 1 / problem 12 is not user 11 / problem 2.
        self.assertNotEqual(cache.progress_key(1, 12), cache.progress_key(11, 2))

    def test_reads_are_stored_under_keys_naming_user_problem_and_course(self):
        entry = progress_get(user_id=self.user.pk, problem_id=self.p1.pk)
        self.assertEqual(self.raw(f"courses:progress:u{self.user.pk}:p{self.p1.pk}"), entry)
        summary = course_progress_summary(user_id=self.user.pk, course_id=self.course.pk)
        version = self.summary_version(self.user, self.course)
        self.assertIsInstance(version, int)
        key = f"courses:progress-summary:u{self.user.pk}:c{self.course.pk}:v{version}"
        self.assertEqual(self.raw(key), summary)

    # Step 3: all related keys invalidated, no unrelated key touched ---------------------------

    def warm_everything(self):
        for user, problem in [
            (self.user, self.p1),
            (self.user, self.p2),
            (self.user, self.p3),
            (self.other_user, self.p1),
        ]:
            progress_get(user_id=user.pk, problem_id=problem.pk)
        for user, course in [
            (self.user, self.course),
            (self.user, self.other_course),
            (self.other_user, self.course),
        ]:
            course_progress_summary(user_id=user.pk, course_id=course.pk)
        course_roster(course_id=self.course.pk)

    def test_only_that_users_entry_and_summary_for_that_course_are_invalidated(self):
        self.warm_everything()
        untouched = [
            cache.progress_key(self.user.pk, self.p2.pk),
            cache.progress_key(self.user.pk, self.p3.pk),
            cache.progress_key(self.other_user.pk, self.p1.pk),
            cache.progress_summary_version_key(self.user.pk, self.other_course.pk),
            cache.progress_summary_version_key(self.other_user.pk, self.course.pk),
            cache.roster_version_key(self.course.pk),
        ]
        before = {key: self.raw(key) for key in untouched}
        self.assertTrue(all(value is not None for value in before.values()))
        old_version = self.summary_version(self.user, self.course)
        with CacheCalls() as calls:
            self.solve(self.user, self.p1)
        self.assertEqual(
            calls.deleted,
            [
                sorted(
                    [
                        cache.progress_key(self.user.pk, self.p1.pk),
                        cache.progress_summary_version_key(self.user.pk, self.course.pk),
                    ]
                )
            ],
        )
        self.assertEqual({key: self.raw(key) for key in untouched}, before)
        self.assertIsNone(self.raw(cache.progress_key(self.user.pk, self.p1.pk)))
        summary = course_progress_summary(user_id=self.user.pk, course_id=self.course.pk)
        self.assertNotEqual(self.summary_version(self.user, self.course), old_version)
        self.assertEqual(summary, ProgressSummary(1, 1, Decimal("100.00")))
        other = course_progress_summary(user_id=self.user.pk, course_id=self.other_course.pk)
        self.assertEqual(other, ProgressSummary(0, 0, Decimal("0.00")))

    def test_an_old_summary_is_unreachable_once_its_version_changes(self):
        course_progress_summary(user_id=self.user.pk, course_id=self.course.pk)
        old_key = cache.progress_summary_key(
            self.user.pk, self.course.pk, self.summary_version(self.user, self.course)
        )
        self.solve(self.user, self.p1)
        self.assertIsNotNone(self.raw(old_key))  # still stored, never read again: it expires
        summary = course_progress_summary(user_id=self.user.pk, course_id=self.course.pk)
        self.assertEqual(summary.solved, 1)

    # Step 4: several saves in one transaction, one invalidation -------------------------------

    def test_many_saves_in_one_transaction_invalidate_once_after_commit(self):
        progress_get(user_id=self.user.pk, problem_id=self.p1.pk)
        key = cache.progress_key(self.user.pk, self.p1.pk)
        with CacheCalls() as calls:
            with transaction.atomic():
                for _ in range(10):
                    self.solve(self.user, self.p1)
                self.assertEqual(calls.writes, 0)
                self.assertEqual(self.raw(key), NOT_STARTED)  # nothing cleared before commit
            self.assertEqual(calls.counts["delete_many"], 1)
            self.assertEqual(calls.writes, 1)
        self.assertEqual(progress_get(user_id=self.user.pk, problem_id=self.p1.pk).attempts, 10)

    def test_saves_of_several_problems_in_one_transaction_share_one_invalidation(self):
        with CacheCalls() as calls, transaction.atomic():
            for problem in (self.p1, self.p2, self.p3, self.p1):
                self.solve(self.user, problem)
        expected = [
            cache.progress_key(self.user.pk, self.p1.pk),
            cache.progress_key(self.user.pk, self.p2.pk),
            cache.progress_key(self.user.pk, self.p3.pk),
            cache.progress_summary_version_key(self.user.pk, self.course.pk),
            cache.progress_summary_version_key(self.user.pk, self.other_course.pk),
        ]
        self.assertEqual(calls.deleted, [sorted(expected)])

    def test_separate_transactions_invalidate_once_each(self):
        with CacheCalls() as calls:
            for _ in range(3):
                with transaction.atomic():
                    self.solve(self.user, self.p1)
                    self.solve(self.user, self.p1)
        self.assertEqual(calls.counts["delete_many"], 3)

    def test_a_rolled_back_transaction_invalidates_nothing(self):
        progress_get(user_id=self.user.pk, problem_id=self.p1.pk)
        with CacheCalls() as calls, self.assertRaises(RuntimeError), transaction.atomic():
            self.solve(self.user, self.p1)
            raise RuntimeError("abort")
        self.assertEqual(calls.writes, 0)
        self.assertEqual(self.raw(cache.progress_key(self.user.pk, self.p1.pk)), NOT_STARTED)
        # The next transaction on this connection starts a clean batch.
        with CacheCalls() as calls:
            self.solve(self.user, self.p2)
        self.assertEqual(
            calls.deleted,
            [
                sorted(
                    [
                        cache.progress_key(self.user.pk, self.p2.pk),
                        cache.progress_summary_version_key(self.user.pk, self.course.pk),
                    ]
                )
            ],
        )

    def test_a_rolled_back_savepoint_does_not_lose_later_invalidations(self):
        progress_get(user_id=self.user.pk, problem_id=self.p2.pk)
        with CacheCalls() as calls, transaction.atomic():
            try:
                with transaction.atomic():  # the first invalidation is queued in here
                    self.solve(self.user, self.p1)
                    raise RuntimeError("abort the savepoint")
            except RuntimeError:
                pass
            self.solve(self.user, self.p2)
        self.assertEqual(calls.counts["delete_many"], 1)
        self.assertIsNone(self.raw(cache.progress_key(self.user.pk, self.p2.pk)))
        self.assertEqual(progress_get(user_id=self.user.pk, problem_id=self.p2.pk).status, SOLVED)

    # Step 5: many updates at once -------------------------------------------------------------

    def test_many_updates_cost_one_cache_call_and_one_lookup_query_each(self):
        chapter = self.p1.chapter
        problems = [factories.ProblemFactory(chapter=chapter) for _ in range(20)]
        rows = [ProblemProgress.objects.create(user=self.user, problem=p) for p in problems]
        with (
            CacheCalls() as calls,
            CaptureQueriesContext(connection) as queries,
            transaction.atomic(),
        ):
            for _ in range(5):
                for row in rows:
                    row.attempts += 1
                    row.save(update_fields=["attempts"])
        saves = 5 * len(rows)
        # Each save: its UPDATE, and the receiver's lookup of the problem's course. Nothing else.
        self.assertLessEqual(len(queries), 2 * saves + 2)
        self.assertEqual(calls.counts["delete_many"], 1)
        self.assertEqual(calls.writes, 1)
        self.assertEqual(len(calls.deleted[0]), len(rows) + 1)

    def test_cache_operations_do_not_grow_with_the_number_of_saves(self):
        counts = []
        for repeats in (1, 50):
            with CacheCalls() as calls, transaction.atomic():
                for _ in range(repeats):
                    self.solve(self.user, self.p1)
            counts.append(sum(calls.counts.values()))
        self.assertEqual(counts[0], counts[1])

    # Cache failures: a miss, never an error -------------------------------------------------

    def test_a_cache_that_is_down_is_a_logged_miss_and_saves_still_commit(self):
        with (
            override_settings(CACHES=UNREACHABLE_REDIS),
            self.assertLogs("courses.cache", "ERROR") as logs,
        ):
            self.solve(self.user, self.p1)
            entry = progress_get(user_id=self.user.pk, problem_id=self.p1.pk)
            summary = course_progress_summary(user_id=self.user.pk, course_id=self.course.pk)
        self.assertEqual(ProblemProgress.objects.get(user=self.user).status, SOLVED)
        self.assertEqual(entry.status, SOLVED)
        self.assertEqual(summary.solved, 1)
        self.assertTrue(any("invalidation" in line for line in logs.output))

    def test_garbage_in_the_cache_is_a_miss_and_gets_replaced(self):
        self.solve(self.user, self.p1)
        backend = caches["default"]
        backend.set(cache.progress_key(self.user.pk, self.p1.pk), "garbage")
        backend.set(cache.progress_summary_version_key(self.user.pk, self.course.pk), "v?")
        with self.assertLogs("courses.cache", "ERROR"):
            entry = progress_get(user_id=self.user.pk, problem_id=self.p1.pk)
            summary = course_progress_summary(user_id=self.user.pk, course_id=self.course.pk)
        self.assertEqual(entry.status, SOLVED)
        self.assertEqual(summary.solved, 1)
        self.assertIsInstance(self.raw(cache.progress_key(self.user.pk, self.p1.pk)), ProgressEntry)
        self.assertIsInstance(self.summary_version(self.user, self.course), int)
