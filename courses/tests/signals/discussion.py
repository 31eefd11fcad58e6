"""Test plan Task 4.1: the DiscussionReply post_save signal keeps its thread's counters.

A ``TransactionTestCase``: step 4 posts replies from real threads, each in its own transaction,
and step 6 needs the reply's own transaction to roll back for real.
"""

from __future__ import annotations

from datetime import UTC, timedelta

from django.db import DatabaseError, connection, transaction
from django.db.models.signals import post_save
from django.test import TransactionTestCase

from courses.models import DiscussionReply, DiscussionThread
from courses.services.discussions import reply_create, reply_edit, thread_record_reply
from courses.services.errors import InvalidInput, ThreadClosed
from courses.tests import factories
from courses.tests.interleave import serial_on_sqlite
from courses.tests.signals.support import run_concurrently


class DiscussionSignalTestCase(TransactionTestCase):
    def setUp(self):
        self.thread = factories.DiscussionThreadFactory()
        self.author = factories.UserFactory()

    def reload(self) -> DiscussionThread:
        return DiscussionThread.objects.get(pk=self.thread.pk)

    def reply(self, body: str = "An answer.") -> DiscussionReply:
        return reply_create(thread=self.reload(), author=self.author, body=body)

    # Step 2: reply count ----------------------------------------------------------------------

    def test_each_new_reply_increments_reply_count(self):
        self.reply()
        self.assertEqual(self.reload().reply_count, 1)
        self.reply()
        factories.DiscussionReplyFactory(thread=self.thread)  # any path that saves a new reply
        self.assertEqual(self.reload().reply_count, 3)

    def test_editing_a_reply_does_not_increment_and_marks_it_edited(self):
        reply = self.reply()
        before = self.reload()
        edited = reply_edit(reply=reply, body="  A better answer.  ")
        reply.save()  # a plain re-save is an edit too
        after = self.reload()
        self.assertEqual(after.reply_count, 1)
        self.assertEqual(after.last_activity_at, before.last_activity_at)
        self.assertEqual(DiscussionReply.objects.get(pk=reply.pk).body, "A better answer.")
        self.assertIsNotNone(edited.edited_at)
        self.assertGreaterEqual(edited.edited_at, reply.created_at)

    def test_invalid_replies_change_nothing(self):
        with self.assertRaises(InvalidInput):
            self.reply(body="   ")
        DiscussionThread.objects.filter(pk=self.thread.pk).update(is_closed=True)
        with self.assertRaises(ThreadClosed):
            self.reply()
        self.assertEqual(self.reload().reply_count, 0)
        self.assertFalse(DiscussionReply.objects.exists())

    # Step 3: activity timestamp ---------------------------------------------------------------

    def test_last_activity_at_becomes_the_new_reply_created_at(self):
        old = self.reload().last_activity_at
        reply = self.reply()
        thread = self.reload()
        self.assertGreater(thread.last_activity_at, old)
        self.assertEqual(
            thread.last_activity_at, DiscussionReply.objects.get(pk=reply.pk).created_at
        )

    def test_last_activity_at_is_stored_as_aware_utc_to_the_microsecond(self):
        moment = self.reload().last_activity_at.replace(microsecond=123456) + timedelta(hours=1)
        thread_record_reply(thread_id=self.thread.pk, created_at=moment)
        stored = self.reload().last_activity_at
        self.assertEqual(stored, moment)
        self.assertEqual(stored.utcoffset(), timedelta(0))
        self.assertEqual(stored.tzinfo, UTC)
        self.assertEqual(stored.microsecond, 123456)

    def test_an_older_reply_never_moves_last_activity_back(self):
        newest = self.reload().last_activity_at + timedelta(minutes=5)
        thread_record_reply(thread_id=self.thread.pk, created_at=newest)
        thread_record_reply(thread_id=self.thread.pk, created_at=newest - timedelta(minutes=1))
        thread = self.reload()
        self.assertEqual(thread.last_activity_at, newest)
        self.assertEqual(thread.reply_count, 2)

    # Step 4: concurrent replies ---------------------------------------------------------------

    @serial_on_sqlite
    def test_concurrent_replies_are_all_counted(self):
        users = [factories.UserFactory() for _ in range(6)]

        def post(user):
            thread = DiscussionThread.objects.get(pk=self.thread.pk)
            for n in range(5):
                reply_create(thread=thread, author=user, body=f"reply {n}")

        errors = run_concurrently(post, [(user,) for user in users])
        self.assertEqual(errors, [])
        thread = self.reload()
        self.assertEqual(DiscussionReply.objects.count(), 30)
        self.assertEqual(thread.reply_count, 30)
        latest = DiscussionReply.objects.order_by("-created_at").first().created_at
        self.assertEqual(thread.last_activity_at, latest)

    # Step 5: thread existence ------------------------------------------------------------------

    def test_recording_a_reply_reports_whether_the_thread_exists(self):
        now = self.reload().last_activity_at
        self.assertTrue(thread_record_reply(thread_id=self.thread.pk, created_at=now))
        gone = factories.DiscussionThreadFactory()
        gone_id = gone.pk
        gone.delete()
        self.assertFalse(thread_record_reply(thread_id=gone_id, created_at=now))
        self.assertFalse(DiscussionThread.objects.filter(pk=gone_id).exists())

    def test_a_reply_whose_thread_was_deleted_meanwhile_is_not_an_error(self):
        doomed = factories.DiscussionThreadFactory()
        reply = DiscussionReply(thread=doomed, author=self.author, body="late")
        doomed.delete()
        # The receiver of a reply saved just before its thread went: no error, nothing created.
        post_save.send(sender=DiscussionReply, instance=reply, created=True)
        self.assertEqual(DiscussionThread.objects.count(), 1)
        self.assertEqual(self.reload().reply_count, 0)

    def test_deleting_a_thread_with_replies_works(self):
        self.reply()
        self.reply()
        self.thread.delete()
        self.assertFalse(DiscussionReply.objects.exists())

    # Step 6: error recovery, no partial updates ----------------------------------------------

    def refuse_thread_updates(self):
        """Make every reply-count UPDATE fail in the database itself: a real failure, no mock.

        PostgreSQL: a CHECK constraint that no incremented row satisfies (``NOT VALID``, so that
        existing rows are not checked); SQLite, which cannot add constraints: a trigger.
        """
        table = DiscussionThread._meta.db_table
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    f"ALTER TABLE {table} ADD CONSTRAINT courses_test_refuse "
                    "CHECK (reply_count = 0) NOT VALID"
                )
            else:
                cursor.execute(
                    f"CREATE TRIGGER courses_test_refuse BEFORE UPDATE ON {table} "
                    "BEGIN SELECT RAISE(ABORT, 'courses_test_refuse'); END"
                )
        self.addCleanup(self.allow_thread_updates)

    def allow_thread_updates(self):
        table = DiscussionThread._meta.db_table
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS courses_test_refuse")
            else:
                cursor.execute("DROP TRIGGER IF EXISTS courses_test_refuse")

    def test_a_failing_thread_update_rolls_back_the_reply(self):
        self.refuse_thread_updates()
        with self.assertRaisesMessage(DatabaseError, "courses_test_refuse"):
            self.reply()
        self.assertFalse(DiscussionReply.objects.exists())
        self.assertEqual(self.reload().reply_count, 0)

    def test_a_failing_signal_rolls_back_the_callers_whole_transaction(self):
        self.refuse_thread_updates()
        other = factories.DiscussionThreadFactory()
        with self.assertRaises(DatabaseError), transaction.atomic():
            DiscussionThread.objects.filter(pk=other.pk).delete()
            self.reply()
        self.assertTrue(DiscussionThread.objects.filter(pk=other.pk).exists())
        self.assertFalse(DiscussionReply.objects.exists())

    def test_replies_work_again_once_the_failure_is_gone(self):
        self.refuse_thread_updates()
        with self.assertRaises(DatabaseError):
            self.reply()
        self.allow_thread_updates()
        self.reply()
        self.assertEqual(self.reload().reply_count, DiscussionReply.objects.count())
        self.assertEqual(self.reload().reply_count, 1)

    # Step 7: rapid fire -------------------------------------------------------------------------

    def test_rapid_fire_replies_are_each_counted_and_the_last_sets_activity(self):
        replies = [self.reply(body=f"reply {n}") for n in range(50)]
        thread = self.reload()
        self.assertEqual(thread.reply_count, 50)
        stored = list(self.thread.replies.order_by("id").values_list("created_at", flat=True))
        self.assertEqual(stored, sorted(stored))
        self.assertEqual(thread.last_activity_at, max(stored))
        self.assertEqual(len(replies), 50)

    @serial_on_sqlite
    def test_rapid_fire_from_two_threads_loses_no_count(self):
        def burst():
            thread = DiscussionThread.objects.get(pk=self.thread.pk)
            for n in range(25):
                reply_create(thread=thread, author=self.author, body=f"burst {n}")

        self.assertEqual(run_concurrently(burst, [(), ()]), [])
        self.assertEqual(self.reload().reply_count, 50)
        self.assertEqual(self.reload().reply_count, DiscussionReply.objects.count())
