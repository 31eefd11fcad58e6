"""Discussions over HTTP (area D): threads, replies, moderation and exam-hidden threads.

Each operation's success and failure paths with exact statuses and codes; the roles' rights
per operation are pinned once more, for every role, in ``courses/tests/matrix/discussions.py``.
Counters under concurrency are ``test_services_discussions``'s.
"""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from courses import selectors
from courses.models import DiscussionReply, DiscussionThread, Enrollment
from courses.services.discussions import BODY_MAX_CHARS
from courses.services.errors import NotFound
from courses.tests import factories
from courses.tests.api_support import ApiTestMixin

Role = Enrollment.Role


class DiscussionApiTestCase(ApiTestMixin, TestCase):
    """A published course with a problem, two students, an assistant, an instructor, an outsider;
    ``thread`` is the student's, about ``problem``."""

    def setUp(self):
        super().setUp()
        self.course = factories.CourseFactory(is_published=True)
        self.chapter = factories.ChapterFactory(course=self.course)
        self.problem = factories.ProblemFactory(chapter=self.chapter, title="Two sums")
        self.student = self.member(Role.STUDENT, "ann")
        self.other_student = self.member(Role.STUDENT, "bob")
        self.assistant = self.member(Role.ASSISTANT, "tess")
        self.instructor = self.member(Role.INSTRUCTOR, "ines")
        self.outsider = factories.UserFactory(username="olga")
        self.thread = factories.DiscussionThreadFactory(
            course=self.course, problem=self.problem, author=self.student, title="Stuck"
        )

    def member(self, role, username):
        user = factories.UserFactory(username=username)
        factories.EnrollmentFactory(user=user, course=self.course, role=role)
        return user

    def reload(self, thread=None) -> DiscussionThread:
        return DiscussionThread.objects.get(pk=(thread or self.thread).pk)

    def open_exam_with(self, problem, *, opens_at=None, closes_at=None):
        now = timezone.now()
        exam = factories.ExamFactory(
            course=self.course,
            opens_at=opens_at or now - timedelta(hours=1),
            closes_at=closes_at or now + timedelta(hours=1),
        )
        factories.ExamProblemFactory(exam=exam, problem=problem)
        return exam


# --- GET/POST /api/v1/courses/<id>/threads/


class ThreadListApiTestCase(DiscussionApiTestCase):
    def url(self, course_id=None):
        return reverse("api:thread-list", args=[course_id or self.course.pk])

    def test_a_member_lists_threads_pinned_first_then_by_last_activity(self):
        now = timezone.now()
        old = factories.DiscussionThreadFactory(course=self.course, title="Old")
        pinned = factories.DiscussionThreadFactory(course=self.course, is_pinned=True)
        DiscussionThread.objects.filter(pk=old.pk).update(last_activity_at=now - timedelta(days=2))
        DiscussionThread.objects.filter(pk=pinned.pk).update(
            last_activity_at=now - timedelta(days=9)
        )
        DiscussionThread.objects.filter(pk=self.thread.pk).update(last_activity_at=now)
        factories.DiscussionThreadFactory()  # another course's
        results = self.assertPage(self.client_for(self.other_student).get(self.url()), count=3)
        self.assertEqual([t["id"] for t in results], [pinned.pk, self.thread.pk, old.pk])

    def test_each_thread_has_its_summary_fields(self):
        factories.DiscussionReplyFactory(thread=self.thread)
        results = self.assertPage(self.client_for(self.student).get(self.url()), count=1)
        thread = self.reload()
        self.assertEqual(
            results[0],
            {
                "id": thread.pk,
                "title": "Stuck",
                "problem": {"id": self.problem.pk, "title": "Two sums"},
                "author": "ann",
                "reply_count": 1,
                "created_at": thread.created_at.isoformat().replace("+00:00", "Z"),
                "last_activity_at": thread.last_activity_at.isoformat().replace("+00:00", "Z"),
                "is_pinned": False,
                "is_closed": False,
            },
        )

    def test_a_thread_without_problem_or_whose_author_was_deleted_shows_null(self):
        gone = factories.UserFactory()
        orphan = factories.DiscussionThreadFactory(course=self.course, author=gone, problem=None)
        gone.delete()
        results = self.assertPage(self.client_for(self.student).get(self.url()), count=2)
        row = next(t for t in results if t["id"] == orphan.pk)
        self.assertIsNone(row["author"])
        self.assertIsNone(row["problem"])

    def test_problem_filter_keeps_that_problems_threads(self):
        other_problem = factories.ProblemFactory(chapter=self.chapter)
        factories.DiscussionThreadFactory(course=self.course, problem=other_problem)
        factories.DiscussionThreadFactory(course=self.course, problem=None)
        client = self.client_for(self.student)
        results = self.assertPage(client.get(self.url(), {"problem": self.problem.pk}), count=1)
        self.assertEqual(results[0]["id"], self.thread.pk)
        self.assertPage(client.get(self.url(), {"problem": self.problem.pk + 1000}), count=0)

    def test_a_bad_problem_filter_is_400_naming_problem(self):
        client = self.client_for(self.student)
        for value in ("abc", "0", "-3", "1.5"):
            with self.subTest(value=value):
                response = client.get(self.url(), {"problem": value})
                self.assertError(response, 400, "invalid_input", fields={"problem"})

    def test_the_list_is_paginated(self):
        for _ in range(4):
            factories.DiscussionThreadFactory(course=self.course)
        client = self.client_for(self.student)
        body = client.get(self.url(), {"page_size": 2, "page": 3}).json()
        self.assertEqual(body["count"], 5)
        self.assertEqual(len(body["results"]), 1)
        self.assertError(client.get(self.url(), {"page": 9}), 404, "not_found")

    def test_the_query_count_is_the_same_for_two_threads_and_a_full_page(self):
        client = self.client_for(self.student)

        def fill_to(n):
            while DiscussionThread.objects.filter(course=self.course).count() < n:
                factories.DiscussionThreadFactory(
                    course=self.course,
                    problem=factories.ProblemFactory(chapter=self.chapter),
                    author=factories.UserFactory(),
                )

        fill_to(2)
        client.get(self.url())  # warm the role cache, as in any session
        two = self.count_queries(lambda: self.assertPage(client.get(self.url()), count=2))
        fill_to(20)
        page = self.count_queries(lambda: self.assertPage(client.get(self.url()), count=20))
        self.assertEqual(two, page)
        staff = self.client_for(self.instructor)
        staff.get(self.url())
        self.assertEqual(two, self.count_queries(lambda: staff.get(self.url())))

    def test_outsiders_get_403_and_hidden_or_missing_courses_404(self):
        self.assertError(self.client_for(self.outsider).get(self.url()), 403, "not_enrolled")
        draft = factories.CourseFactory(is_published=False)
        self.assertError(self.client_for(self.outsider).get(self.url(draft.pk)), 404, "not_found")
        response = self.client_for(self.student).get(self.url(self.course.pk + 1000))
        self.assertError(response, 404, "not_found")
        self.assertError(self.client_for(None).get(self.url()), 403, "not_authenticated")

    def test_a_dropped_student_is_no_longer_a_member(self):
        Enrollment.objects.filter(user=self.student).update(status=Enrollment.Status.DROPPED)
        self.assertError(self.client_for(self.student).get(self.url()), 403, "not_enrolled")


class ThreadCreateApiTestCase(DiscussionApiTestCase):
    def url(self, course_id=None):
        return reverse("api:thread-list", args=[course_id or self.course.pk])

    def start(self, data, user=None):
        return self.client_for(user or self.student).post(self.url(), data, format="json")

    def test_a_member_starts_a_thread_about_a_problem_201(self):
        response = self.start(
            {"title": "  Hint?  ", "body": " Why 42? ", "problem": self.problem.pk}
        )
        self.assertEqual(response.status_code, 201, response.content)
        thread = DiscussionThread.objects.latest("id")
        body = response.json()
        self.assertEqual(
            {k: body[k] for k in ("id", "course", "title", "body", "problem", "author")},
            {
                "id": thread.pk,
                "course": self.course.pk,
                "title": "Hint?",
                "body": "Why 42?",
                "problem": {"id": self.problem.pk, "title": "Two sums"},
                "author": "ann",
            },
        )
        self.assertEqual(
            (body["reply_count"], body["is_pinned"], body["is_closed"]), (0, False, False)
        )
        self.assertEqual(
            (thread.title, thread.body, thread.author), ("Hint?", "Why 42?", self.student)
        )

    def test_a_thread_about_no_problem(self):
        for data in (
            {"title": "General", "body": "Hello"},
            {"title": "G", "body": "H", "problem": None},
        ):
            with self.subTest(data=data):
                response = self.start(data)
                self.assertEqual(response.status_code, 201, response.content)
                self.assertIsNone(response.json()["problem"])

    def test_title_of_exactly_the_maximum_is_accepted_and_one_more_refused(self):
        response = self.start({"title": "t" * 200, "body": "b"})
        self.assertEqual(response.status_code, 201, response.content)
        self.assertError(
            self.start({"title": "t" * 201, "body": "b"}), 400, "invalid_input", {"title"}
        )
        response = self.start({"title": "t", "body": "b" * BODY_MAX_CHARS})
        self.assertEqual(response.status_code, 201, response.content)

    def test_bad_input_is_400_naming_the_field_and_creates_nothing(self):
        before = DiscussionThread.objects.count()
        cases = [
            ({"body": "b"}, "title"),
            ({"title": "", "body": "b"}, "title"),
            ({"title": "   ", "body": "b"}, "title"),
            ({"title": 42, "body": "b"}, "title"),
            ({"title": None, "body": "b"}, "title"),
            ({"title": ["t"], "body": "b"}, "title"),
            ({"title": "t"}, "body"),
            ({"title": "t", "body": "  \n "}, "body"),
            ({"title": "t", "body": 7}, "body"),
            ({"title": "t", "body": "b" * (BODY_MAX_CHARS + 1)}, "body"),
            ({"title": "t", "body": "b", "problem": str(self.problem.pk)}, "problem"),
            ({"title": "t", "body": "b", "problem": True}, "problem"),
            ({"title": "t", "body": "b", "problem": 1.5}, "problem"),
        ]
        for data, field in cases:
            with self.subTest(data=str(data)[:60]):
                self.assertError(self.start(data), 400, "invalid_input", fields={field})
        self.assertError(self.start([1, 2]), 400, "invalid_input")
        self.assertEqual(DiscussionThread.objects.count(), before)

    def test_a_problem_a_student_may_not_read_is_404_naming_problem(self):
        other_course_problem = factories.ProblemFactory()
        draft = factories.ProblemFactory(chapter=self.chapter, is_visible=False)
        archived = factories.ProblemFactory(chapter=self.chapter, is_archived=True)
        exam_only = factories.ProblemFactory(chapter=self.chapter, is_exam_only=True)
        before = DiscussionThread.objects.count()
        for problem_id in (
            other_course_problem.pk,
            draft.pk,
            archived.pk,
            exam_only.pk,
            draft.pk + 1000,
        ):
            with self.subTest(problem_id=problem_id):
                response = self.start({"title": "t", "body": "b", "problem": problem_id})
                self.assertError(response, 404, "not_found", fields={"problem"})
        self.assertEqual(DiscussionThread.objects.count(), before)

    def test_staff_may_start_a_thread_about_any_problem_of_their_course_only(self):
        draft = factories.ProblemFactory(chapter=self.chapter, is_visible=False)
        exam_only = factories.ProblemFactory(chapter=self.chapter, is_exam_only=True)
        self.open_exam_with(exam_only)
        for user in (self.assistant, self.instructor):
            for problem in (draft, exam_only):
                with self.subTest(user=user.username, problem=problem.pk):
                    response = self.start({"title": "t", "body": "b", "problem": problem.pk}, user)
                    self.assertEqual(response.status_code, 201, response.content)
        elsewhere = factories.ProblemFactory()
        response = self.start({"title": "t", "body": "b", "problem": elsewhere.pk}, self.instructor)
        self.assertError(response, 404, "not_found", fields={"problem"})

    def test_a_practice_problem_in_an_open_exam_is_404_for_students_only(self):
        self.open_exam_with(self.problem)
        data = {"title": "t", "body": "b", "problem": self.problem.pk}
        self.assertError(self.start(data), 404, "not_found", fields={"problem"})
        self.assertEqual(self.start(data, self.assistant).status_code, 201)

    def test_outsiders_get_403_and_hidden_courses_404(self):
        data = {"title": "t", "body": "b"}
        self.assertError(self.start(data, self.outsider), 403, "not_enrolled")
        draft = factories.CourseFactory(is_published=False)
        response = self.client_for(self.outsider).post(self.url(draft.pk), data, format="json")
        self.assertError(response, 404, "not_found")
        self.assertError(self.client_for(None).post(self.url(), data), 403, "not_authenticated")

    def test_an_outsider_learns_nothing_about_problems_from_the_body(self):
        # The course is checked before the body: 403, not a 404 naming the problem.
        response = self.start({"title": 1, "problem": 99999}, self.outsider)
        self.assertError(response, 403, "not_enrolled")


# --- GET/PATCH/DELETE /api/v1/threads/<id>/


class ThreadDetailApiTestCase(DiscussionApiTestCase):
    def url(self, thread_id=None):
        return reverse("api:thread-detail", args=[thread_id or self.thread.pk])

    def patch(self, data, user=None):
        return self.client_for(user or self.student).patch(self.url(), data, format="json")

    def delete(self, user=None, thread_id=None):
        return self.client_for(user or self.student).delete(self.url(thread_id))

    def test_a_member_reads_the_thread_with_its_body(self):
        response = self.client_for(self.other_student).get(self.url())
        self.assertEqual(response.status_code, 200, response.content)
        body = response.json()
        self.assertEqual(
            set(body),
            {
                "id",
                "course",
                "title",
                "body",
                "problem",
                "author",
                "reply_count",
                "created_at",
                "last_activity_at",
                "is_pinned",
                "is_closed",
            },
        )
        self.assertEqual((body["body"], body["course"]), ("A question.", self.course.pk))

    def test_get_failures(self):
        self.assertError(self.client_for(self.outsider).get(self.url()), 403, "not_enrolled")
        draft_thread = factories.DiscussionThreadFactory(course__is_published=False)
        outsider = self.client_for(self.outsider)
        self.assertError(outsider.get(self.url(draft_thread.pk)), 404, "not_found")
        response = self.client_for(self.student).get(self.url(self.thread.pk + 1000))
        self.assertError(response, 404, "not_found")
        self.assertError(self.client_for(None).get(self.url()), 403, "not_authenticated")

    # PATCH: text

    def test_the_author_edits_title_and_body_and_counters_stay(self):
        factories.DiscussionReplyFactory(thread=self.thread)
        before = self.reload()
        response = self.patch({"title": " Solved ", "body": " Thanks all. "})
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(
            (response.json()["title"], response.json()["body"]), ("Solved", "Thanks all.")
        )
        after = self.reload()
        self.assertEqual((after.title, after.body), ("Solved", "Thanks all."))
        self.assertEqual(after.reply_count, 1)
        self.assertEqual(after.last_activity_at, before.last_activity_at)

    def test_an_empty_patch_by_the_author_changes_nothing(self):
        response = self.patch({})
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(response.json()["title"], "Stuck")

    def test_only_the_author_edits_the_text_staff_included(self):
        response = self.patch({"title": "Mine now"}, self.other_student)
        self.assertError(response, 403, "permission_denied", fields={})
        for moderator in (self.assistant, self.instructor):
            with self.subTest(moderator=moderator.username):
                response = self.patch({"title": "x", "body": "y"}, moderator)
                self.assertError(response, 403, "permission_denied", fields={"title", "body"})
        self.assertEqual(self.reload().title, "Stuck")

    def test_bad_text_is_400_naming_the_field(self):
        cases = [
            ({"title": ""}, "title"),
            ({"title": "  "}, "title"),
            ({"title": "t" * 201}, "title"),
            ({"title": 42}, "title"),
            ({"title": None}, "title"),
            ({"body": " "}, "body"),
            ({"body": False}, "body"),
            ({"body": "b" * (BODY_MAX_CHARS + 1)}, "body"),
            ({"is_pinned": "true"}, "is_pinned"),
            ({"is_closed": 1}, "is_closed"),
            ({"is_closed": None}, "is_closed"),
        ]
        for data, field in cases:
            with self.subTest(data=str(data)[:40]):
                self.assertError(self.patch(data), 400, "invalid_input", fields={field})
        self.assertEqual(self.reload().title, "Stuck")

    # PATCH: moderation

    def test_staff_pin_and_close_and_the_thread_lists_first_and_refuses_replies(self):
        newer = factories.DiscussionThreadFactory(course=self.course)
        DiscussionThread.objects.filter(pk=newer.pk).update(
            last_activity_at=timezone.now() + timedelta(minutes=1)
        )
        for moderator in (self.assistant, self.instructor):
            with self.subTest(moderator=moderator.username):
                response = self.patch({"is_pinned": True, "is_closed": True}, moderator)
                self.assertEqual(response.status_code, 200, response.content)
                self.assertEqual(
                    (response.json()["is_pinned"], response.json()["is_closed"]), (True, True)
                )
        listed = self.client_for(self.student).get(
            reverse("api:thread-list", args=[self.course.pk])
        )
        self.assertEqual([t["id"] for t in listed.json()["results"]], [self.thread.pk, newer.pk])
        replies = reverse("api:thread-replies", args=[self.thread.pk])
        response = self.client_for(self.student).post(replies, {"body": "hi"}, format="json")
        self.assertError(response, 409, "thread_closed")
        response = self.patch({"is_closed": False, "is_pinned": False}, self.assistant)
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(
            self.client_for(self.student).post(replies, {"body": "hi"}, format="json").status_code,
            201,
        )

    def test_students_may_not_pin_or_close_even_their_own_thread(self):
        for data, fields in (
            ({"is_pinned": True}, {"is_pinned"}),
            ({"is_closed": True}, {"is_closed"}),
            ({"title": "ok", "is_closed": False}, {"is_closed"}),
        ):
            with self.subTest(data=data):
                self.assertError(self.patch(data), 403, "permission_denied", fields=fields)
        response = self.patch({"is_pinned": True}, self.other_student)
        self.assertError(response, 403, "permission_denied")
        thread = self.reload()
        self.assertEqual(
            (thread.title, thread.is_pinned, thread.is_closed), ("Stuck", False, False)
        )

    def test_a_staff_author_edits_and_moderates_their_own_thread(self):
        own = factories.DiscussionThreadFactory(course=self.course, author=self.assistant)
        url = self.url(own.pk)
        response = self.client_for(self.assistant).patch(
            url, {"title": "Rules", "is_pinned": True}, format="json"
        )
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual((response.json()["title"], response.json()["is_pinned"]), ("Rules", True))

    def test_patch_failures_of_access(self):
        self.assertError(self.patch({"title": "x"}, self.outsider), 403, "not_enrolled")
        response = self.client_for(self.student).patch(self.url(self.thread.pk + 1000), {})
        self.assertError(response, 404, "not_found")
        self.assertError(self.client_for(None).patch(self.url(), {}), 403, "not_authenticated")

    # DELETE

    def test_the_author_deletes_their_thread_while_only_they_replied(self):
        factories.DiscussionReplyFactory(thread=self.thread, author=self.student)
        self.assertEqual(self.delete().status_code, 204)
        self.assertFalse(DiscussionThread.objects.filter(pk=self.thread.pk).exists())
        self.assertFalse(DiscussionReply.objects.exists())

    def test_once_someone_else_replied_the_author_gets_409_and_nothing_goes(self):
        gone = factories.UserFactory()
        for author in (self.other_student, gone):
            DiscussionReply.objects.all().delete()
            factories.DiscussionReplyFactory(thread=self.thread, author=author)
            if author is gone:
                gone.delete()  # a deleted user's reply is someone else's too
            with self.subTest(author=author.username):
                self.assertError(self.delete(), 409, "thread_has_replies")
                self.assertTrue(DiscussionThread.objects.filter(pk=self.thread.pk).exists())
                self.assertEqual(DiscussionReply.objects.count(), 1)

    def test_staff_delete_any_thread_with_its_replies(self):
        for moderator in (self.assistant, self.instructor):
            thread = factories.DiscussionThreadFactory(course=self.course, author=self.student)
            factories.DiscussionReplyFactory(thread=thread, author=self.other_student)
            with self.subTest(moderator=moderator.username):
                self.assertEqual(self.delete(moderator, thread.pk).status_code, 204)
                self.assertFalse(DiscussionThread.objects.filter(pk=thread.pk).exists())
                self.assertFalse(DiscussionReply.objects.filter(thread_id=thread.pk).exists())

    def test_delete_failures(self):
        self.assertError(self.delete(self.other_student), 403, "permission_denied")
        self.assertError(self.delete(self.outsider), 403, "not_enrolled")
        self.assertError(self.delete(thread_id=self.thread.pk + 1000), 404, "not_found")
        self.assertError(self.client_for(None).delete(self.url()), 403, "not_authenticated")
        gone = factories.UserFactory()
        orphan = factories.DiscussionThreadFactory(course=self.course, author=gone)
        gone.delete()
        self.assertError(self.delete(thread_id=orphan.pk), 403, "permission_denied")
        self.assertEqual(DiscussionThread.objects.count(), 2)


# --- GET/POST /api/v1/threads/<id>/replies/


class ThreadRepliesApiTestCase(DiscussionApiTestCase):
    def url(self, thread_id=None):
        return reverse("api:thread-replies", args=[thread_id or self.thread.pk])

    def reply(self, data=None, thread_id=None, user=None):
        data = {"body": "Try a dict."} if data is None else data
        return self.client_for(user or self.other_student).post(
            self.url(thread_id), data, format="json"
        )

    def test_replies_are_listed_oldest_first_with_their_fields(self):
        first = factories.DiscussionReplyFactory(thread=self.thread, author=self.other_student)
        second = factories.DiscussionReplyFactory(thread=self.thread, author=self.student)
        DiscussionReply.objects.filter(pk=second.pk).update(edited_at=timezone.now())
        factories.DiscussionReplyFactory()  # another thread's
        results = self.assertPage(self.client_for(self.student).get(self.url()), count=2)
        self.assertEqual([r["id"] for r in results], [first.pk, second.pk])
        first.refresh_from_db()
        self.assertEqual(
            results[0],
            {
                "id": first.pk,
                "thread": self.thread.pk,
                "author": "bob",
                "body": "An answer.",
                "created_at": first.created_at.isoformat().replace("+00:00", "Z"),
                "edited_at": None,
            },
        )
        self.assertIsNotNone(results[1]["edited_at"])

    def test_a_deleted_users_reply_shows_a_null_author(self):
        gone = factories.UserFactory()
        factories.DiscussionReplyFactory(thread=self.thread, author=gone)
        gone.delete()
        results = self.assertPage(self.client_for(self.student).get(self.url()), count=1)
        self.assertIsNone(results[0]["author"])

    def test_the_replies_are_paginated_with_a_bounded_query_count(self):
        client = self.client_for(self.student)

        def fill_to(n):
            while self.thread.replies.count() < n:
                factories.DiscussionReplyFactory(thread=self.thread, author=factories.UserFactory())

        fill_to(2)
        client.get(self.url())
        two = self.count_queries(lambda: self.assertPage(client.get(self.url()), count=2))
        fill_to(20)
        page = self.count_queries(lambda: self.assertPage(client.get(self.url()), count=20))
        self.assertEqual(two, page)
        body = client.get(self.url(), {"page_size": 15, "page": 2}).json()
        self.assertEqual(len(body["results"]), 5)

    def test_get_failures(self):
        self.assertError(self.client_for(self.outsider).get(self.url()), 403, "not_enrolled")
        response = self.client_for(self.student).get(self.url(self.thread.pk + 1000))
        self.assertError(response, 404, "not_found")
        self.assertError(self.client_for(None).get(self.url()), 403, "not_authenticated")

    # POST (the former thread-reply-create route)

    def test_a_member_replies_201_and_the_thread_counts_it(self):
        response = self.reply({"body": "  Try a dict.  "})
        self.assertEqual(response.status_code, 201, response.content)
        body = response.json()
        reply = DiscussionReply.objects.get()
        self.assertEqual(body["id"], reply.pk)
        self.assertEqual(body["body"], "Try a dict.")
        self.assertEqual(body["author"], "bob")
        self.assertIsNone(body["edited_at"])
        thread = self.reload()
        self.assertEqual(thread.reply_count, 1)
        self.assertEqual(thread.last_activity_at, reply.created_at)

    def test_a_closed_thread_is_409_thread_closed_and_nothing_is_saved(self):
        DiscussionThread.objects.filter(pk=self.thread.pk).update(is_closed=True)
        for user in (self.student, self.instructor):
            with self.subTest(user=user.username):
                self.assertError(self.reply(user=user), 409, "thread_closed")
        self.assertFalse(DiscussionReply.objects.exists())
        self.assertEqual(self.reload().reply_count, 0)

    def test_blank_missing_mistyped_or_overlong_bodies_are_400_naming_body(self):
        for data in (
            {"body": "   "},
            {},
            {"body": "x" * (BODY_MAX_CHARS + 1)},
            {"body": None},
            {"body": 42},
            {"body": ["a"]},
        ):
            with self.subTest(data=str(data)[:30]):
                self.assertError(self.reply(data), 400, "invalid_input", fields={"body"})
        self.assertFalse(DiscussionReply.objects.exists())
        self.assertEqual(self.reload().reply_count, 0)

    def test_outsiders_get_403_and_hidden_or_missing_threads_404(self):
        self.assertError(self.reply(user=self.outsider), 403, "not_enrolled")
        draft_thread = factories.DiscussionThreadFactory(course__is_published=False)
        response = self.reply(thread_id=draft_thread.pk, user=self.outsider)
        self.assertError(response, 404, "not_found")
        self.assertError(self.reply(thread_id=self.thread.pk + 1000), 404, "not_found")
        self.assertError(self.client_for(None).post(self.url(), {}), 403, "not_authenticated")
        self.assertFalse(DiscussionReply.objects.exists())


# --- PATCH/DELETE /api/v1/replies/<id>/


class ReplyDetailApiTestCase(DiscussionApiTestCase):
    def setUp(self):
        super().setUp()
        self.reply = self.post_reply(self.other_student, "Use a set.")

    def post_reply(self, user, body):
        response = self.client_for(user).post(
            reverse("api:thread-replies", args=[self.thread.pk]), {"body": body}, format="json"
        )
        self.assertEqual(response.status_code, 201, response.content)
        return DiscussionReply.objects.get(pk=response.json()["id"])

    def url(self, reply_id=None):
        return reverse("api:reply-detail", args=[reply_id or self.reply.pk])

    def test_the_author_edits_their_reply_marked_edited_and_counters_stay(self):
        before = self.reload()
        response = self.client_for(self.other_student).patch(
            self.url(), {"body": " Use a dict. "}, format="json"
        )
        self.assertEqual(response.status_code, 200, response.content)
        reply = DiscussionReply.objects.get(pk=self.reply.pk)
        self.assertEqual((response.json()["body"], reply.body), ("Use a dict.", "Use a dict."))
        self.assertIsNotNone(reply.edited_at)
        self.assertEqual(
            response.json()["edited_at"], reply.edited_at.isoformat().replace("+00:00", "Z")
        )
        after = self.reload()
        self.assertEqual(after.reply_count, before.reply_count)
        self.assertEqual(after.last_activity_at, before.last_activity_at)

    def test_an_author_may_still_edit_and_delete_in_a_closed_thread(self):
        DiscussionThread.objects.filter(pk=self.thread.pk).update(is_closed=True)
        client = self.client_for(self.other_student)
        self.assertEqual(client.patch(self.url(), {"body": "x"}, format="json").status_code, 200)
        self.assertEqual(client.delete(self.url()).status_code, 204)

    def test_nobody_else_edits_a_reply_staff_included(self):
        for user in (self.student, self.assistant, self.instructor):
            with self.subTest(user=user.username):
                response = self.client_for(user).patch(self.url(), {"body": "x"}, format="json")
                self.assertError(response, 403, "permission_denied")
        self.assertEqual(DiscussionReply.objects.get(pk=self.reply.pk).body, "Use a set.")

    def test_bad_bodies_are_400_naming_body(self):
        client = self.client_for(self.other_student)
        for data in ({}, {"body": ""}, {"body": 3}, {"body": "x" * (BODY_MAX_CHARS + 1)}):
            with self.subTest(data=str(data)[:30]):
                response = client.patch(self.url(), data, format="json")
                self.assertError(response, 400, "invalid_input", fields={"body"})
        self.assertIsNone(DiscussionReply.objects.get(pk=self.reply.pk).edited_at)

    def test_the_author_deletes_their_reply_and_the_count_drops_but_activity_stays(self):
        self.post_reply(self.student, "Thanks")
        before = self.reload()
        self.assertEqual(before.reply_count, 2)
        self.assertEqual(self.client_for(self.other_student).delete(self.url()).status_code, 204)
        after = self.reload()
        self.assertFalse(DiscussionReply.objects.filter(pk=self.reply.pk).exists())
        self.assertEqual(after.reply_count, 1)
        self.assertEqual(after.last_activity_at, before.last_activity_at)

    def test_staff_delete_any_reply(self):
        for moderator in (self.assistant, self.instructor):
            reply = self.post_reply(self.other_student, "spam")
            with self.subTest(moderator=moderator.username):
                response = self.client_for(moderator).delete(self.url(reply.pk))
                self.assertEqual(response.status_code, 204)
        self.assertEqual(self.reload().reply_count, 1)

    def test_the_count_never_drops_below_zero(self):
        DiscussionThread.objects.filter(pk=self.thread.pk).update(reply_count=0)
        self.assertEqual(self.client_for(self.other_student).delete(self.url()).status_code, 204)
        self.assertEqual(self.reload().reply_count, 0)

    def test_failures(self):
        client = self.client_for(self.student)
        self.assertError(client.delete(self.url()), 403, "permission_denied")
        self.assertError(self.client_for(self.outsider).delete(self.url()), 403, "not_enrolled")
        response = self.client_for(self.outsider).patch(self.url(), {"body": "x"}, format="json")
        self.assertError(response, 403, "not_enrolled")
        self.assertError(client.delete(self.url(self.reply.pk + 1000)), 404, "not_found")
        self.assertError(client.patch(self.url(self.reply.pk + 1000), {}), 404, "not_found")
        self.assertError(self.client_for(None).delete(self.url()), 403, "not_authenticated")
        hidden = factories.DiscussionReplyFactory(thread__course__is_published=False)
        self.assertError(
            self.client_for(self.outsider).delete(self.url(hidden.pk)), 404, "not_found"
        )
        self.assertEqual(self.reload().reply_count, 1)


# --- Threads of an open exam's problems


class ExamHiddenThreadsApiTestCase(DiscussionApiTestCase):
    """While an exam that includes a thread's problem is open, students cannot find the thread."""

    def setUp(self):
        super().setUp()
        self.reply = factories.DiscussionReplyFactory(thread=self.thread, author=self.student)
        self.general = factories.DiscussionThreadFactory(course=self.course, problem=None)

    def requests(self):
        """Every operation on the thread, its replies and its problem: (name, call(client))."""
        thread, reply = self.thread.pk, self.reply.pk
        return [
            ("detail", lambda c: c.get(reverse("api:thread-detail", args=[thread]))),
            ("replies", lambda c: c.get(reverse("api:thread-replies", args=[thread]))),
            (
                "reply",
                lambda c: c.post(
                    reverse("api:thread-replies", args=[thread]), {"body": "b"}, format="json"
                ),
            ),
            (
                "edit",
                lambda c: c.patch(
                    reverse("api:thread-detail", args=[thread]), {"title": "t"}, format="json"
                ),
            ),
            (
                "edit reply",
                lambda c: c.patch(
                    reverse("api:reply-detail", args=[reply]), {"body": "b"}, format="json"
                ),
            ),
            (
                "create",
                lambda c: c.post(
                    reverse("api:thread-list", args=[self.course.pk]),
                    {"title": "t", "body": "b", "problem": self.problem.pk},
                    format="json",
                ),
            ),
        ]

    def listed(self, user, **query):
        url = reverse("api:thread-list", args=[self.course.pk])
        return [t["id"] for t in self.assertPage(self.client_for(user).get(url, query))]

    def test_students_do_not_find_the_thread_while_the_exam_is_open(self):
        self.open_exam_with(self.problem)
        for user in (self.student, self.other_student):
            self.assertEqual(self.listed(user), [self.general.pk])
            self.assertEqual(self.listed(user, problem=self.problem.pk), [])
            for name, call in self.requests():
                with self.subTest(user=user.username, operation=name):
                    self.assertError(call(self.client_for(user)), 404, "not_found")
        deletions = (
            self.client_for(self.student).delete(reverse("api:reply-detail", args=[self.reply.pk])),
            self.client_for(self.student).delete(
                reverse("api:thread-detail", args=[self.thread.pk])
            ),
        )
        for response in deletions:
            self.assertError(response, 404, "not_found")
        self.assertEqual(self.reload().reply_count, 1)

    def test_staff_see_and_use_the_thread_while_the_exam_is_open(self):
        self.open_exam_with(self.problem)
        for user in (self.assistant, self.instructor):
            self.assertEqual(set(self.listed(user)), {self.general.pk, self.thread.pk})
            client = self.client_for(user)
            self.assertEqual(
                client.get(reverse("api:thread-detail", args=[self.thread.pk])).status_code, 200
            )
            response = client.post(
                reverse("api:thread-replies", args=[self.thread.pk]), {"body": "b"}, format="json"
            )
            self.assertEqual(response.status_code, 201)

    def test_exams_not_open_now_hide_nothing(self):
        now = timezone.now()
        self.open_exam_with(
            self.problem, opens_at=now - timedelta(days=2), closes_at=now - timedelta(days=1)
        )
        self.open_exam_with(
            self.problem, opens_at=now + timedelta(days=1), closes_at=now + timedelta(days=2)
        )
        self.assertEqual(set(self.listed(self.student)), {self.general.pk, self.thread.pk})
        for name, call in self.requests():
            with self.subTest(operation=name):
                self.assertLess(call(self.client_for(self.student)).status_code, 300)

    def test_another_problems_exam_hides_nothing_here(self):
        self.open_exam_with(factories.ProblemFactory(chapter=self.chapter))
        self.assertEqual(set(self.listed(self.student)), {self.general.pk, self.thread.pk})

    def test_a_draft_problems_threads_are_hidden_from_students(self):
        type(self.problem).objects.filter(pk=self.problem.pk).update(is_visible=False)
        self.assertEqual(self.listed(self.student), [self.general.pk])
        response = self.client_for(self.student).get(
            reverse("api:thread-detail", args=[self.thread.pk])
        )
        self.assertError(response, 404, "not_found")
        self.assertEqual(set(self.listed(self.assistant)), {self.general.pk, self.thread.pk})

    def test_the_window_boundaries_over_http(self):
        """``[opens_at, closes_at)``: hidden from the opening instant, found again at closing."""
        opens_at = timezone.now() + timedelta(hours=1)
        closes_at = opens_at + timedelta(hours=2)
        self.open_exam_with(self.problem, opens_at=opens_at, closes_at=closes_at)
        tick = timedelta(microseconds=1)
        detail = reverse("api:thread-detail", args=[self.thread.pk])
        for instant, status in (
            (opens_at - tick, 200),
            (opens_at, 404),
            (closes_at - tick, 404),
            (closes_at, 200),
        ):
            with (
                self.subTest(instant=instant),
                mock.patch.object(timezone, "now", return_value=instant),
            ):
                self.assertEqual(self.client_for(self.student).get(detail).status_code, status)
                self.assertEqual(self.thread.pk in self.listed(self.student), status == 200)


class ExamHiddenThreadsSelectorTestCase(DiscussionApiTestCase):
    """The same boundaries at the selectors, which take ``now`` from their caller."""

    def test_the_window_is_closed_at_opening_and_open_at_closing(self):
        now = timezone.now()
        exam = self.open_exam_with(self.problem, opens_at=now, closes_at=now + timedelta(hours=1))
        tick = timedelta(microseconds=1)
        for instant, hidden in (
            (exam.opens_at - tick, False),
            (exam.opens_at, True),
            (exam.closes_at - tick, True),
            (exam.closes_at, False),
        ):
            with self.subTest(instant=instant):
                listed = selectors.threads_for_member(
                    user=self.student, course_id=self.course.pk, now=instant
                )
                self.assertEqual(list(listed) == [], hidden)
                if hidden:
                    with self.assertRaises(NotFound):
                        selectors.thread_for_member(
                            user=self.student, thread_id=self.thread.pk, now=instant
                        )
                    with self.assertRaises(NotFound):
                        selectors.thread_problem_for_author(
                            user=self.student,
                            course=self.course,
                            problem_id=self.problem.pk,
                            now=instant,
                        )
                else:
                    selectors.thread_for_member(
                        user=self.student, thread_id=self.thread.pk, now=instant
                    )
                staff = selectors.threads_for_member(
                    user=self.assistant, course_id=self.course.pk, now=instant
                )
                self.assertEqual(list(staff), [self.thread])
