"""Test plan Task 7.1: the Enrollment signals clear the cached rosters and course lists.

Against the configured cache (locmem, or Redis under REDIS_URL), each test in a fresh namespace.
A ``TransactionTestCase``: clearing happens after commit, so the commits must be real.
"""

from __future__ import annotations

import threading

from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.db import connection, connections, transaction
from django.test import TransactionTestCase, override_settings
from django.test.utils import CaptureQueriesContext

from courses import cache
from courses.models import Enrollment
from courses.selectors import RosterEntry, course_roster, user_course_ids
from courses.services.enrollment_import import enrollments_import_identifiers
from courses.services.enrollments import enrollment_create, enrollments_import
from courses.services.errors import AlreadyEnrolled, InvalidInput
from courses.tests import factories
from courses.tests.signals.support import UNREACHABLE_REDIS, CacheCalls, FreshCacheMixin


def make_users(count: int, prefix: str) -> list:
    User = get_user_model()
    User.objects.bulk_create([User(username=f"{prefix}{n:04d}") for n in range(count)])
    return list(User.objects.filter(username__startswith=prefix).order_by("username"))


class EnrollmentSignalTestCase(FreshCacheMixin, TransactionTestCase):
    def setUp(self):
        super().setUp()
        self.course, self.other_course = factories.CourseFactory(), factories.CourseFactory()
        self.user, self.other_user = factories.UserFactory(), factories.UserFactory()

    def roster_ids(self, course=None) -> list[int]:
        return [entry.user_id for entry in course_roster(course_id=(course or self.course).pk)]

    def raw(self, key):
        return caches["default"].get(key)

    # Step 1: the signal fires on save and the related caches are cleared -----------------------

    def test_enrolling_clears_the_course_roster_and_the_user_course_list(self):
        self.assertEqual(course_roster(course_id=self.course.pk), ())
        self.assertEqual(user_course_ids(user_id=self.user.pk), frozenset())
        enrollment_create(user=self.user, course=self.course, role=Enrollment.Role.ASSISTANT)
        self.assertEqual(
            course_roster(course_id=self.course.pk),
            (RosterEntry(self.user.pk, self.user.username, "assistant"),),
        )
        self.assertEqual(user_course_ids(user_id=self.user.pk), {self.course.pk})

    def test_dropping_an_enrollment_clears_them(self):
        enrollment = enrollment_create(user=self.user, course=self.course)
        self.assertEqual(self.roster_ids(), [self.user.pk])
        self.assertEqual(user_course_ids(user_id=self.user.pk), {self.course.pk})
        enrollment.status = Enrollment.Status.DROPPED
        enrollment.save(update_fields=["status"])
        self.assertEqual(self.roster_ids(), [])
        self.assertEqual(user_course_ids(user_id=self.user.pk), frozenset())

    def test_deleting_an_enrollment_clears_them(self):
        enrollment_create(user=self.user, course=self.course)
        self.assertEqual(self.roster_ids(), [self.user.pk])
        self.user.delete()  # cascades to the enrollment
        self.assertEqual(self.roster_ids(), [])

    def test_only_that_course_and_that_user_are_cleared(self):
        enrollment_create(user=self.other_user, course=self.other_course)
        self.roster_ids()
        self.roster_ids(self.other_course)
        user_course_ids(user_id=self.user.pk)
        user_course_ids(user_id=self.other_user.pk)
        untouched = [
            cache.roster_version_key(self.other_course.pk),
            cache.user_courses_version_key(self.other_user.pk),
        ]
        before = {key: self.raw(key) for key in untouched}
        with CacheCalls() as calls:
            enrollment_create(user=self.user, course=self.course)
        expected = [
            cache.roster_version_key(self.course.pk),
            cache.user_courses_version_key(self.user.pk),
        ]
        self.assertEqual(calls.deleted, [sorted(expected)])
        self.assertEqual({key: self.raw(key) for key in untouched}, before)
        self.assertEqual(self.roster_ids(self.other_course), [self.other_user.pk])

    def test_a_duplicate_enrollment_is_refused_and_clears_nothing(self):
        enrollment_create(user=self.user, course=self.course)
        with CacheCalls() as calls, self.assertRaises(AlreadyEnrolled) as refused:
            enrollment_create(user=self.user, course=self.course)
        self.assertEqual(refused.exception.code, "already_enrolled")
        self.assertEqual(refused.exception.http_status, 409)
        self.assertEqual(Enrollment.objects.count(), 1)
        self.assertEqual(calls.writes, 0)
        with self.assertRaises(InvalidInput):
            enrollment_create(user=self.other_user, course=self.course, role="owner")

    # Step 2: clearing waits for the commit ---------------------------------------------------

    def test_caches_are_cleared_only_after_commit(self):
        old_roster = course_roster(course_id=self.course.pk)
        version = self.raw(cache.roster_version_key(self.course.pk))
        with CacheCalls() as calls:
            with transaction.atomic():
                enrollment_create(user=self.user, course=self.course)
                self.assertEqual(calls.writes, 0)
                self.assertEqual(self.raw(cache.roster_version_key(self.course.pk)), version)
                self.assertEqual(course_roster(course_id=self.course.pk), old_roster)
            self.assertEqual(calls.counts["delete_many"], 1)
        self.assertIsNone(self.raw(cache.roster_version_key(self.course.pk)))
        self.assertEqual(self.roster_ids(), [self.user.pk])

    def test_a_reader_during_the_transaction_cannot_leave_stale_data(self):
        """Why after commit: a concurrent reader caches what is committed before it, not after."""
        seen = []

        def read_elsewhere():
            try:
                seen.append(self.roster_ids())
            finally:
                connections.close_all()

        with transaction.atomic():
            enrollment_create(user=self.user, course=self.course)
            reader = threading.Thread(target=read_elsewhere)
            reader.start()
            reader.join(30)
        self.assertEqual(seen, [[]])  # it read (and cached) the committed roster: empty
        self.assertEqual(self.roster_ids(), [self.user.pk])  # the commit cleared that

    def test_an_import_inside_an_outer_transaction_clears_caches_after_the_outer_commit(self):
        """An import called inside a caller's transaction (a command, a view) clears the roster
        and its members' course lists when that outer transaction commits, not when the import's
        own block ends: a reader in between caches what is committed then (nobody), and only a
        clear after the outer commit removes that."""
        users = make_users(3, "outer")
        seen = []

        def read_elsewhere():
            try:
                seen.append(
                    (self.roster_ids(), [set(user_course_ids(user_id=u.pk)) for u in users])
                )
            finally:
                connections.close_all()

        with transaction.atomic():
            enrollments_import_identifiers(
                course=self.course, identifiers=[u.username for u in users]
            )
            reader = threading.Thread(target=read_elsewhere)
            reader.start()
            reader.join(30)
        self.assertEqual(seen, [([], [set(), set(), set()])])  # cached while uncommitted
        self.assertEqual(self.roster_ids(), [u.pk for u in users])
        for user in users:
            self.assertEqual(user_course_ids(user_id=user.pk), {self.course.pk})

    def test_a_rolled_back_enrollment_clears_nothing_and_leaves_no_row(self):
        self.roster_ids()
        with CacheCalls() as calls, self.assertRaises(RuntimeError), transaction.atomic():
            enrollment_create(user=self.user, course=self.course)
            raise RuntimeError("abort")
        self.assertEqual(calls.writes, 0)
        self.assertFalse(Enrollment.objects.exists())
        self.assertEqual(self.roster_ids(), [])

    # Step 3: many enrollments at once ---------------------------------------------------------

    def test_many_enrollments_in_one_transaction_clear_once(self):
        users = make_users(20, "many")
        with CacheCalls() as calls, transaction.atomic():
            for user in users:
                enrollment_create(user=user, course=self.course)
        self.assertEqual(calls.counts["delete_many"], 1)
        self.assertEqual(calls.writes, 1)
        self.assertEqual(len(calls.deleted[0]), 21)
        self.assertEqual(len(self.roster_ids()), 20)

    def test_import_clears_the_roster_and_each_new_members_courses(self):
        users = make_users(30, "imp")
        enrollment_create(user=users[0], course=self.course)
        self.roster_ids()
        for user in users[:3]:
            user_course_ids(user_id=user.pk)
        added = enrollments_import(course=self.course, users=[*users, users[1]], role="student")
        self.assertEqual(added, 29)  # users[0] was enrolled; users[1] listed twice
        self.assertEqual(len(self.roster_ids()), 30)
        for user in users[:3]:
            self.assertEqual(user_course_ids(user_id=user.pk), {self.course.pk})

    # Step 4: bulk import performance ------------------------------------------------------------

    def test_importing_500_costs_a_bounded_number_of_queries_and_one_cache_call(self):
        users = make_users(500, "bulk")
        self.roster_ids()
        with CacheCalls() as calls, CaptureQueriesContext(connection) as queries:
            added = enrollments_import(course=self.course, users=users)
        self.assertEqual(added, 500)
        # One SELECT of who is enrolled, INSERTs in a few batches, the transaction itself.
        self.assertLessEqual(len(queries), 8)
        self.assertEqual(calls.counts["delete_many"], 1)
        self.assertEqual(calls.writes, 1)
        self.assertEqual(len(calls.deleted[0]), 501)
        self.assertEqual(len(self.roster_ids()), 500)
        with CacheCalls() as calls, CaptureQueriesContext(connection) as queries:
            self.assertEqual(enrollments_import(course=self.course, users=users), 0)
        self.assertLessEqual(len(queries), 4)
        self.assertEqual(calls.deleted, [[cache.roster_version_key(self.course.pk)]])

    # Cache failures: enrolling never fails for them -------------------------------------------

    def test_a_cache_that_is_down_is_logged_and_enrolling_still_commits(self):
        with (
            override_settings(CACHES=UNREACHABLE_REDIS),
            self.assertLogs("courses.cache", "ERROR"),
        ):
            enrollment_create(user=self.user, course=self.course)
            enrollments_import(course=self.course, users=[self.other_user])
            roster = course_roster(course_id=self.course.pk)
        self.assertEqual({entry.user_id for entry in roster}, {self.user.pk, self.other_user.pk})
        self.assertEqual(Enrollment.objects.count(), 2)
