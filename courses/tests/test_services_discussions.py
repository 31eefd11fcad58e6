"""Discussion services under concurrency: the thread's counters when replies go, and deletions.

``TransactionTestCase`` with real threads, each request in its own transaction. SQLite
serializes writers (``BEGIN IMMEDIATE``), so on SQLite these tests show that the code is right
one writer at a time; only on PostgreSQL, where the lead runs the suite too, do they prove that
no interleaving loses or doubles a count. The one race that SQLite does reproduce is the double
deletion of one reply: both callers hold the reply loaded before either transaction starts.
"""

from __future__ import annotations

from django.db import DatabaseError, connection
from django.test import TestCase, TransactionTestCase
from django.test.utils import CaptureQueriesContext

from courses.models import Course, DiscussionReply, DiscussionThread
from courses.services.discussions import (
    reply_create,
    reply_delete,
    reply_edit,
    thread_delete,
    thread_update,
)
from courses.services.errors import NotFound, ThreadHasReplies
from courses.tests import factories
from courses.tests.signals.support import run_concurrently


class ReplyDeletionCounterTestCase(TransactionTestCase):
    def setUp(self):
        self.thread = factories.DiscussionThreadFactory()
        self.users = [factories.UserFactory() for _ in range(6)]

    def reload(self) -> DiscussionThread:
        return DiscussionThread.objects.get(pk=self.thread.pk)

    def replies(self, n: int, author=None) -> list[DiscussionReply]:
        return [
            reply_create(thread=self.reload(), author=author or self.users[0], body=f"r{i}")
            for i in range(n)
        ]

    def test_deleting_a_reply_decrements_in_one_update_and_keeps_activity(self):
        _, second = self.replies(2)
        before = self.reload()
        with CaptureQueriesContext(connection) as queries:
            reply_delete(reply=second)
        updates = [q["sql"] for q in queries if q["sql"].startswith("UPDATE")]
        self.assertEqual(len(updates), 1, updates)
        self.assertIn('"reply_count" > 0', updates[0])
        after = self.reload()
        self.assertEqual(after.reply_count, 1)
        self.assertEqual(after.last_activity_at, before.last_activity_at)

    def test_concurrent_deletions_of_different_replies_each_count_once(self):
        replies = self.replies(30)
        batches = [(replies[i::6],) for i in range(6)]

        def delete_all(batch):
            for reply in batch:
                reply_delete(reply=reply)

        self.assertEqual(run_concurrently(delete_all, batches), [])
        self.assertEqual(self.reload().reply_count, 0)
        self.assertFalse(DiscussionReply.objects.exists())

    def test_two_deletions_of_one_reply_count_it_out_once(self):
        for round_ in range(5):
            with self.subTest(round=round_):
                target, *_ = self.replies(3)
                expected = self.reload().reply_count - 1
                errors = run_concurrently(lambda r: reply_delete(reply=r), [(target,), (target,)])
                self.assertEqual([type(e) for e in errors], [NotFound])
                self.assertEqual(self.reload().reply_count, expected)

    def test_replies_and_deletions_at_once_leave_the_count_exact(self):
        doomed = self.replies(12)

        def post(user):
            for n in range(4):
                reply_create(thread=self.reload(), author=user, body=f"new {n}")

        def delete(batch):
            for reply in batch:
                reply_delete(reply=reply)

        jobs = [(post, (user,)) for user in self.users[:3]] + [
            (delete, (doomed[i::3],)) for i in range(3)
        ]
        self.assertEqual(run_concurrently(lambda fn, args: fn(*args), jobs), [])
        self.assertEqual(self.reload().reply_count, 12)
        self.assertEqual(self.reload().reply_count, DiscussionReply.objects.count())

    def test_a_queryset_deletion_counts_out_each_reply(self):
        self.replies(4)
        DiscussionReply.objects.filter(pk__in=DiscussionReply.objects.values("pk")[:3]).delete()
        self.assertEqual(self.reload().reply_count, 1)

    def test_deleting_a_thread_or_course_runs_no_counter_update(self):
        self.replies(3)
        other = factories.DiscussionThreadFactory(course=self.thread.course)
        reply_create(thread=other, author=self.users[1], body="x")
        with CaptureQueriesContext(connection) as queries:
            thread_delete(thread=self.thread, only_if_unanswered=False)
        self.assertFalse([q for q in queries if q["sql"].startswith("UPDATE")])
        with CaptureQueriesContext(connection) as queries:
            Course.objects.filter(pk=other.course_id).delete()
        self.assertFalse([q for q in queries if q["sql"].startswith("UPDATE")])
        self.assertFalse(DiscussionReply.objects.exists())

    def test_a_failing_decrement_rolls_back_the_deletion(self):
        reply, _ = self.replies(2)
        table = DiscussionThread._meta.db_table
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    f"ALTER TABLE {table} ADD CONSTRAINT courses_test_refuse "
                    "CHECK (reply_count > 1000) NOT VALID"
                )
            else:
                cursor.execute(
                    f"CREATE TRIGGER courses_test_refuse BEFORE UPDATE ON {table} "
                    "BEGIN SELECT RAISE(ABORT, 'courses_test_refuse'); END"
                )
        try:
            with self.assertRaises(DatabaseError):
                reply_delete(reply=reply)
        finally:
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT courses_test_refuse")
                else:
                    cursor.execute("DROP TRIGGER courses_test_refuse")
        self.assertTrue(DiscussionReply.objects.filter(pk=reply.pk).exists())
        self.assertEqual(self.reload().reply_count, 2)


class ThreadDeletionRaceTestCase(TransactionTestCase):
    def test_an_author_deleting_while_someone_replies_ends_one_way_or_the_other(self):
        """Either the thread goes and the reply is refused, or the reply stays and the deletion
        is refused: never a reply counted on a deleted thread, never a database error."""
        replier = factories.UserFactory()
        outcomes = set()
        for round_ in range(6):
            thread = factories.DiscussionThreadFactory()
            jobs = [
                (lambda t: thread_delete(thread=t, only_if_unanswered=True), thread),
                (lambda t: reply_create(thread=t, author=replier, body="wait!"), thread),
            ]
            errors = run_concurrently(lambda fn, t: fn(t), jobs)
            with self.subTest(round=round_):
                self.assertEqual(len(errors), 1, errors)
                exists = DiscussionThread.objects.filter(pk=thread.pk).exists()
                if exists:
                    self.assertIsInstance(errors[0], ThreadHasReplies)
                    self.assertEqual(DiscussionThread.objects.get(pk=thread.pk).reply_count, 1)
                else:
                    self.assertIsInstance(errors[0], NotFound)
                    self.assertFalse(DiscussionReply.objects.filter(thread_id=thread.pk).exists())
                outcomes.add(exists)
        self.assertTrue(outcomes)


class GoneMeanwhileTestCase(TestCase):
    """A thread or reply deleted between the request's lookup and its write: 404, not a 500."""

    def test_editing_a_thread_or_reply_deleted_meanwhile_is_not_found(self):
        thread = factories.DiscussionThreadFactory()
        reply = factories.DiscussionReplyFactory(thread=thread)
        DiscussionReply.objects.filter(pk=reply.pk).delete()
        with self.assertRaises(NotFound):
            reply_edit(reply=reply, body="late")
        DiscussionThread.objects.filter(pk=thread.pk).delete()
        with self.assertRaises(NotFound):
            thread_update(thread=thread, is_pinned=True)
        for call in (
            lambda: reply_create(thread=thread, author=reply.author, body="late"),
            lambda: reply_delete(reply=reply),
            lambda: thread_delete(thread=thread, only_if_unanswered=False),
        ):
            with self.assertRaises(NotFound):
                call()

    def test_an_update_writes_only_the_given_columns(self):
        thread = factories.DiscussionThreadFactory()
        stale = DiscussionThread.objects.get(pk=thread.pk)
        reply_create(thread=thread, author=thread.author, body="counted meanwhile")
        thread_update(thread=stale, title=" New ", is_closed=True)
        fresh = DiscussionThread.objects.get(pk=thread.pk)
        self.assertEqual((fresh.title, fresh.is_closed, fresh.reply_count), ("New", True, 1))
        self.assertEqual((stale.title, stale.is_closed), ("New", True))
