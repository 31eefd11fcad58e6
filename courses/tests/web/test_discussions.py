"""Discussion pages: a course's threads, a thread with its replies, replying, editing and
deleting one's own text, moderation, closed and exam-hidden threads, per role.

The rules are the API's (``courses.selectors.discussions``); these tests pin that the pages
apply them, show the services' errors next to the fields, save nothing on bad input, and read
in a number of queries that does not grow with the threads or replies.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from courses import selectors
from courses.models import DiscussionReply, DiscussionThread, Enrollment
from courses.services.errors import NotFound
from courses.tests import factories
from courses.tests.api_support import ApiAssertions, RoleWorld
from courses.tests.signals.support import FreshCacheMixin

Role = Enrollment.Role
#: Roles that read a course's discussions, and those refused with the 403 page.
READERS = ("student", "other_student", "assistant", "instructor", "superuser")
OUTSIDERS = ("non_member", "other_instructor")
HTMX = {"HTTP_HX_REQUEST": "true"}


def field_errors(response, field: str) -> str:
    """The text of the error list under one field (its id ends with ``<field>_error``)."""
    match = re.search(
        rf'id="id_(?:reply_\d+_)?{field}_error">(.*?)</ul>', response.content.decode(), flags=re.S
    )
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip() if match else ""


class DiscussionPagesTestCase(FreshCacheMixin, ApiAssertions, TestCase):
    """``RoleWorld``: ``thread`` is the student's, about ``problem``, with the student's
    ``reply``; the course's ``exam`` is open now with ``exam_only_problem``."""

    def setUp(self):
        super().setUp()
        self.w = RoleWorld(name="disc")
        self.course = self.w.course
        self.thread = self.w.thread
        self.reply = self.w.reply

    def as_role(self, role: str) -> None:
        self.client.logout()
        if role != "anonymous":
            self.client.force_login(self.w.users[role])

    def assertLoginRedirect(self, response, url: str) -> None:
        self.assertRedirects(
            response, f"{reverse('web:login')}?next={url}", fetch_redirect_response=False
        )

    def assertForbiddenPage(self, response, text: str = "") -> None:
        self.assertEqual(response.status_code, 403, response.content[:300])
        self.assertContains(response, "Not allowed", status_code=403)
        if text:
            self.assertContains(response, text, status_code=403)

    def assertGetPerRole(self, url: str, *, allowed, refused=OUTSIDERS, not_found=()) -> None:
        """Anonymous users go to the login page; ``allowed`` roles get the page; ``refused``
        roles the 403 page; ``not_found`` roles the 404 page."""
        self.as_role("anonymous")
        self.assertLoginRedirect(self.client.get(url), url)
        for role in allowed:
            with self.subTest(role=role):
                self.as_role(role)
                self.assertEqual(self.client.get(url).status_code, 200)
        for role in refused:
            with self.subTest(role=role):
                self.as_role(role)
                self.assertForbiddenPage(self.client.get(url))
        for role in not_found:
            with self.subTest(role=role):
                self.as_role(role)
                self.assertEqual(self.client.get(url).status_code, 404)

    def open_exam_with(self, problem, *, closes_in=timedelta(hours=1)):
        now = timezone.now()
        exam = factories.ExamFactory(
            course=self.course, opens_at=now - timedelta(hours=1), closes_at=now + closes_in
        )
        factories.ExamProblemFactory(exam=exam, problem=problem)
        return exam

    def reload(self, thread=None) -> DiscussionThread:
        return DiscussionThread.objects.get(pk=(thread or self.thread).pk)


# --- courses/<id>/discussions/ ----------------------------------------------------------------


class ThreadListPageTestCase(DiscussionPagesTestCase):
    def url(self, **query) -> str:
        url = reverse("web:threads", args=[self.course.pk])
        return f"{url}?{'&'.join(f'{k}={v}' for k, v in query.items())}" if query else url

    def test_members_read_outsiders_get_403_and_visitors_log_in(self):
        self.assertGetPerRole(self.url(), allowed=READERS)
        self.as_role("non_member")
        self.assertForbiddenPage(self.client.get(self.url()), "enrolled")

    def test_an_unpublished_courses_discussions_are_not_found_for_outsiders(self):
        url = reverse("web:threads", args=[self.w.draft_course.pk])
        self.assertGetPerRole(
            url, allowed=("student", "instructor"), refused=(), not_found=OUTSIDERS
        )

    def test_pinned_first_then_by_last_activity_with_marks_counts_authors_and_zone(self):
        self.course.time_zone = "Europe/Paris"
        self.course.save()
        now = datetime(2026, 1, 10, 8, 0, tzinfo=UTC)
        old = factories.DiscussionThreadFactory(
            course=self.course, title="Old question", author=self.w.users["other_student"]
        )
        pinned = factories.DiscussionThreadFactory(
            course=self.course,
            title="Read me first",
            is_pinned=True,
            is_closed=True,
            author=self.w.users["instructor"],
        )
        DiscussionThread.objects.filter(pk=old.pk).update(last_activity_at=now - timedelta(days=2))
        DiscussionThread.objects.filter(pk=pinned.pk).update(
            last_activity_at=now - timedelta(days=9)
        )
        DiscussionThread.objects.filter(pk=self.thread.pk).update(last_activity_at=now)
        factories.DiscussionThreadFactory(title="Elsewhere")  # another course's
        self.as_role("student")
        html = self.client.get(self.url()).content.decode()
        self.assertLess(html.index("Read me first"), html.index(self.thread.title))
        self.assertLess(html.index(self.thread.title), html.index("Old question"))
        self.assertNotIn("Elsewhere", html)
        row = html[html.index("Read me first") : html.index("</tr>", html.index("Read me first"))]
        self.assertIn("Pinned", row)
        self.assertIn("Closed", row)
        self.assertIn(self.w.users["instructor"].username, row)
        mine = html[html.index(self.thread.title) :]
        mine = mine[: mine.index("</tr>")]
        self.assertIn(self.w.problem.title, mine)
        self.assertIn("<td>1</td>", mine)  # one reply
        self.assertIn("10 Jan 2026, 09:00 CET (Europe/Paris)", mine)
        thread_url = reverse("web:thread", args=[self.thread.pk])
        self.assertIn(f'<a href="{thread_url}">{self.thread.title}</a>', html)
        self.assertIn(reverse("web:thread-new", args=[self.course.pk]), html)

    def test_a_deleted_authors_thread_says_so(self):
        factories.DiscussionThreadFactory(course=self.course, title="Orphan", author=None)
        self.as_role("student")
        self.assertContains(self.client.get(self.url()), "a deleted user")

    def test_the_problem_filter_keeps_that_problems_threads_and_links_a_new_one_to_it(self):
        factories.DiscussionThreadFactory(course=self.course, title="General chat")
        self.as_role("student")
        response = self.client.get(self.url(problem=self.w.problem.pk))
        self.assertContains(response, self.thread.title)
        self.assertNotContains(response, "General chat")
        self.assertContains(response, f"Discussions about {self.w.problem.title}")
        new = reverse("web:thread-new", args=[self.course.pk])
        self.assertContains(response, f"{new}?problem={self.w.problem.pk}")
        self.assertContains(response, f'<option value="{self.w.problem.pk}" selected>')
        everything = self.client.get(self.url())
        self.assertContains(everything, "General chat")
        self.assertContains(everything, self.thread.title)

    def test_the_filter_offers_the_problems_whose_threads_the_user_may_see(self):
        for role, hidden in (("student", True), ("assistant", False)):
            with self.subTest(role=role):
                self.as_role(role)
                html = self.client.get(self.url()).content.decode()
                self.assertIn(f'<option value="{self.w.problem.pk}"', html)
                self.assertIn(f'<optgroup label="{self.w.chapter.title}">', html)
                for problem in (self.w.draft_problem, self.w.exam_only_problem):
                    self.assertEqual(hidden, f'<option value="{problem.pk}"' not in html)

    def test_the_filter_offers_a_problem_exactly_when_its_threads_are_visible(self):
        """``discussion_problems`` states ``hidden_from_students`` on problems: a problem is
        offered iff a thread about it is listed, for every kind of problem."""
        chapter = self.w.chapter
        closed_exam = factories.ExamFactory(
            course=self.course,
            opens_at=timezone.now() - timedelta(days=2),
            closes_at=timezone.now() - timedelta(days=1),
        )
        after_exam = factories.ProblemFactory(chapter=chapter, is_exam_only=True)
        factories.ExamProblemFactory(exam=closed_exam, problem=after_exam)
        in_open_exam = factories.ProblemFactory(chapter=chapter)
        self.open_exam_with(in_open_exam)
        archived = factories.ProblemFactory(chapter=chapter, is_archived=True)
        problems = [
            self.w.draft_problem,
            self.w.exam_only_problem,
            after_exam,
            in_open_exam,
            archived,
        ]
        for problem in problems:
            factories.DiscussionThreadFactory(course=self.course, problem=problem)
        for role in ("student", "assistant"):
            user = self.w.users[role]
            offered = set(
                selectors.discussion_problems(user=user, course=self.course).values_list(
                    "pk", flat=True
                )
            )
            listed = set(
                selectors.threads_for_member(user=user, course_id=self.course.pk).values_list(
                    "problem_id", flat=True
                )
            )
            for problem in [self.w.problem, *problems]:
                with self.subTest(role=role, problem=problem.title):
                    self.assertEqual(problem.pk in offered, problem.pk in listed)
        student = self.w.users["student"]
        offered = selectors.discussion_problems(user=student, course=self.course)
        self.assertEqual(set(offered), {self.w.problem, after_exam, archived})

    def test_a_problem_the_user_may_not_see_is_refused_next_to_the_filter_and_lists_nothing(self):
        factories.DiscussionThreadFactory(
            course=self.course, problem=self.w.draft_problem, title="Draft talk"
        )
        other = factories.DiscussionThreadFactory(title="Other course")
        self.as_role("student")
        for problem_id in (self.w.draft_problem.pk, other.course_id * 1000, "abc"):
            with self.subTest(problem=problem_id):
                response = self.client.get(self.url(problem=problem_id))
                self.assertEqual(response.status_code, 200)
                self.assertTrue(field_errors(response, "problem"))
                self.assertNotContains(response, "Draft talk")
                self.assertNotContains(response, self.thread.title)
        response = self.client.get(self.url(problem=self.w.draft_problem.pk))
        self.assertEqual(field_errors(response, "problem"), "No such problem in this course.")
        self.as_role("instructor")
        self.assertContains(
            self.client.get(self.url(problem=self.w.draft_problem.pk)), "Draft talk"
        )

    def test_the_list_is_paginated(self):
        for n in range(24):
            factories.DiscussionThreadFactory(course=self.course, title=f"Question {n:02}")
        self.as_role("student")
        first = self.client.get(self.url())
        self.assertContains(first, "Page 1 of 2")
        self.assertContains(first, 'href="?page=2"')
        second = self.client.get(self.url(page=2))
        self.assertContains(second, "Page 2 of 2")
        rows = '<td class="thread-title">\n        <a href="/threads/'
        self.assertEqual(second.content.decode().count(rows), 5)
        filtered = self.client.get(self.url(problem=self.w.problem.pk))
        self.assertNotContains(filtered, "Page 1 of")

    def test_the_query_count_is_the_same_for_two_and_thirty_threads(self):
        def count(threads: int) -> int:
            course = factories.CourseFactory()
            chapter = factories.ChapterFactory(course=course)
            problem = factories.ProblemFactory(chapter=chapter)
            student = factories.UserFactory()
            factories.EnrollmentFactory(user=student, course=course)
            for n in range(threads):
                thread = factories.DiscussionThreadFactory(
                    course=course, problem=problem if n % 2 else None, is_pinned=n == 3
                )
                factories.DiscussionReplyFactory(thread=thread)
            self.client.force_login(student)
            url = reverse("web:threads", args=[course.pk])
            self.client.get(url)  # warm the cached roles
            return self.count_queries(lambda: self.client.get(url))

        self.assertEqual(count(2), count(30))


# --- courses/<id>/discussions/new/ ------------------------------------------------------------


class ThreadNewPageTestCase(DiscussionPagesTestCase):
    def setUp(self):
        super().setUp()
        self.url = reverse("web:thread-new", args=[self.course.pk])

    def post(self, **changes):
        data = {"title": "How to read input?", "body": "I tried `input()`.", "problem": ""}
        return self.client.post(self.url, {**data, **changes})

    def test_members_open_the_form_outsiders_get_403(self):
        self.assertGetPerRole(self.url, allowed=READERS)

    def test_a_student_starts_a_thread_about_a_problem(self):
        self.as_role("student")
        response = self.post(problem=self.w.problem.pk)
        thread = DiscussionThread.objects.get(title="How to read input?")
        self.assertRedirects(
            response, reverse("web:thread", args=[thread.pk]), fetch_redirect_response=False
        )
        self.assertEqual(thread.problem, self.w.problem)
        self.assertEqual(thread.author, self.w.users["student"])
        self.assertEqual(thread.body, "I tried `input()`.")
        page = self.client.get(response.url)
        self.assertContains(page, "Your thread is posted.")
        self.assertContains(page, "<code>input()</code>", html=True)

    def test_a_thread_about_no_problem(self):
        self.as_role("other_student")
        self.post()
        self.assertIsNone(DiscussionThread.objects.get(title="How to read input?").problem)

    def test_the_problem_link_preselects_it(self):
        self.as_role("student")
        response = self.client.get(f"{self.url}?problem={self.w.problem.pk}")
        self.assertContains(response, f'<option value="{self.w.problem.pk}" selected>')
        self.assertContains(response, '<label for="id_title">')
        self.assertContains(response, '<label for="id_body">')
        self.assertContains(response, '<label for="id_problem">')

    def test_empty_text_is_refused_next_to_each_field_and_nothing_is_saved(self):
        self.as_role("student")
        for changes, field, message in (
            ({"title": "  "}, "title", "The title cannot be empty."),
            ({"body": ""}, "body", "The body cannot be empty."),
        ):
            with self.subTest(field=field):
                response = self.post(**changes)
                self.assertEqual(response.status_code, 200)
                self.assertEqual(field_errors(response, field), "This field is required.")
                self.assertContains(response, message)  # the service's message heads the form
                self.assertContains(response, 'aria-invalid="true"')
        self.assertFalse(DiscussionThread.objects.filter(title="How to read input?").exists())
        self.assertEqual(DiscussionThread.objects.count(), 1)

    def test_an_empty_title_and_body_are_both_reported_at_once(self):
        self.as_role("student")
        response = self.post(title="", body=" ")
        self.assertEqual(field_errors(response, "title"), "This field is required.")
        self.assertEqual(field_errors(response, "body"), "This field is required.")
        self.assertContains(response, "The title cannot be empty. The body cannot be empty.")
        self.assertEqual(DiscussionThread.objects.count(), 1)

    def test_a_title_of_exactly_the_maximum_is_kept_and_one_more_refused(self):
        self.as_role("student")
        response = self.post(title="x" * 201)
        self.assertEqual(
            field_errors(response, "title"), "Ensure this field has no more than 200 characters."
        )
        self.assertEqual(DiscussionThread.objects.count(), 1)
        self.assertContains(response, 'maxlength="200"')
        self.assertEqual(self.post(title="x" * 200).status_code, 302)
        self.assertEqual(DiscussionThread.objects.count(), 2)

    def test_a_problem_a_student_may_not_read_is_refused_next_to_the_field(self):
        self.as_role("student")
        open_problem = factories.ProblemFactory(chapter=self.w.chapter, title="Practice now")
        self.open_exam_with(open_problem)
        other_course_problem = factories.ProblemFactory()
        for problem in (
            self.w.draft_problem,
            self.w.exam_only_problem,
            open_problem,
            other_course_problem,
        ):
            with self.subTest(problem=problem.title):
                response = self.post(problem=problem.pk)
                self.assertEqual(response.status_code, 200)
                self.assertEqual(
                    field_errors(response, "problem"), "No such problem in this course."
                )
                self.assertNotContains(response, f'<option value="{problem.pk}"')
        self.assertEqual(DiscussionThread.objects.count(), 1)

    def test_a_problems_page_links_to_its_discussions_only_while_students_may_read_them(self):
        # The report: the link led a student practising a problem of an open exam to "No such
        # problem in this course."
        problem = factories.ProblemFactory(chapter=self.w.chapter, title="Practice now")
        page = reverse("web:problem", args=[problem.pk])
        link = f'?problem={problem.pk}">Discussions about this problem</a>'
        self.as_role("student")
        self.assertContains(self.client.get(page), link, html=False)
        self.open_exam_with(problem)
        response = self.client.get(page)
        self.assertNotContains(response, link, html=False)
        self.assertContains(response, "closed while an exam that includes it is open")
        self.as_role("assistant")  # the staff read them whatever the exams
        self.assertContains(self.client.get(page), link, html=False)

    def test_the_staff_may_start_a_thread_about_any_problem_of_their_course(self):
        self.as_role("assistant")
        response = self.client.get(self.url)
        self.assertContains(response, f'<option value="{self.w.draft_problem.pk}"')
        self.post(problem=self.w.draft_problem.pk)
        self.assertEqual(
            DiscussionThread.objects.get(title="How to read input?").problem, self.w.draft_problem
        )

    def test_outsiders_post_nothing(self):
        for role in OUTSIDERS:
            with self.subTest(role=role):
                self.as_role(role)
                self.assertForbiddenPage(self.post())
        self.as_role("anonymous")
        self.assertLoginRedirect(self.post(), self.url)
        self.assertEqual(DiscussionThread.objects.count(), 1)

    def test_the_choices_are_exactly_what_the_selector_accepts(self):
        """The select lists a problem iff ``thread_problem_for_author`` accepts it."""
        self.open_exam_with(factories.ProblemFactory(chapter=self.w.chapter))
        factories.ProblemFactory(chapter=self.w.chapter, is_archived=True)
        for role in ("student", "assistant"):
            user = self.w.users[role]
            choices = set(
                selectors.thread_problem_choices(user=user, course=self.course).values_list(
                    "pk", flat=True
                )
            )
            for problem in factories.ProblemFactory._meta.model.objects.filter(
                chapter__course=self.course
            ):
                with self.subTest(role=role, problem=problem.title):
                    try:
                        selectors.thread_problem_for_author(
                            user=user, course=self.course, problem_id=problem.pk
                        )
                        accepted = True
                    except NotFound:
                        accepted = False
                    self.assertEqual(accepted, problem.pk in choices)


# --- threads/<id>/ ----------------------------------------------------------------------------


class ThreadPageTestCase(DiscussionPagesTestCase):
    def setUp(self):
        super().setUp()
        self.url = reverse("web:thread", args=[self.thread.pk])

    def test_members_read_outsiders_get_403(self):
        self.assertGetPerRole(self.url, allowed=READERS)

    def test_a_missing_thread_is_not_found(self):
        self.as_role("student")
        self.assertEqual(self.client.get(reverse("web:thread", args=[999_999])).status_code, 404)

    def test_the_body_is_markdown_sanitised_and_replies_come_oldest_first(self):
        self.course.time_zone = "America/New_York"
        self.course.save()
        DiscussionThread.objects.filter(pk=self.thread.pk).update(
            body="**Bold** move\n\n<script>alert('x')</script>\n\n```python\nprint(1)\n```"
        )
        later = factories.DiscussionReplyFactory(
            thread=self.thread, author=self.w.users["assistant"], body="Second *answer*"
        )
        self.as_role("other_student")
        html = self.client.get(self.url).content.decode()
        self.assertIn("<strong>Bold</strong>", html)
        self.assertNotIn("<script>alert", html)
        self.assertIn('<pre class="highlight">', html)
        self.assertLess(
            html.index(f'id="reply-{self.reply.pk}"'), html.index(f'id="reply-{later.pk}"')
        )
        self.assertIn("<em>answer</em>", html)
        self.assertIn("(America/New_York)", html)
        self.assertIn("2 replies", html)

    def test_the_replies_are_paginated(self):
        for n in range(24):
            factories.DiscussionReplyFactory(thread=self.thread, body=f"Reply number {n:02}")
        self.as_role("student")
        first = self.client.get(self.url)
        self.assertContains(first, "Page 1 of 2")
        self.assertNotContains(first, "Reply number 23")
        second = self.client.get(f"{self.url}?page=2")
        self.assertContains(second, "Reply number 23")
        self.assertNotContains(second, "Reply number 00")

    def test_a_member_replies_and_the_thread_counts_it(self):
        self.as_role("other_student")
        response = self.client.post(self.url, {"body": "Use `sys.stdin`."})
        reply = DiscussionReply.objects.get(body="Use `sys.stdin`.")
        self.assertRedirects(
            response, f"{self.url}#reply-{reply.pk}", fetch_redirect_response=False
        )
        self.assertEqual(self.reload().reply_count, 2)
        page = self.client.get(self.url)
        self.assertContains(page, "Your reply is posted.")
        self.assertContains(page, "<code>sys.stdin</code>", html=True)
        self.assertContains(page, "2 replies")
        listing = self.client.get(reverse("web:threads", args=[self.course.pk]))
        self.assertContains(listing, "<td>2</td>", html=True)

    def test_a_reply_on_a_later_page_is_linked_there(self):
        for _ in range(21):
            factories.DiscussionReplyFactory(thread=self.thread)
        self.as_role("student")
        response = self.client.post(self.url, {"body": "Late to the party"})
        reply = DiscussionReply.objects.get(body="Late to the party")
        self.assertRedirects(response, f"{self.url}?page=2#reply-{reply.pk}")

    def test_an_empty_reply_is_refused_next_to_the_field_and_nothing_is_saved(self):
        self.as_role("student")
        response = self.client.post(self.url, {"body": "   \n"})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(field_errors(response, "body"), "This field is required.")
        self.assertContains(response, "The body cannot be empty.")
        self.assertEqual(self.reload().reply_count, 1)
        self.assertEqual(DiscussionReply.objects.count(), 1)

    def test_outsiders_cannot_reply(self):
        for role in OUTSIDERS:
            with self.subTest(role=role):
                self.as_role(role)
                self.assertForbiddenPage(self.client.post(self.url, {"body": "Hi"}))
        self.as_role("anonymous")
        self.assertLoginRedirect(self.client.post(self.url, {"body": "Hi"}), self.url)
        self.assertEqual(DiscussionReply.objects.count(), 1)

    def test_a_closed_thread_shows_no_form_and_a_post_anyway_shows_the_409_message(self):
        DiscussionThread.objects.filter(pk=self.thread.pk).update(is_closed=True)
        self.as_role("other_student")
        page = self.client.get(self.url)
        self.assertContains(page, "This thread is closed.")
        self.assertNotContains(page, 'name="body"')
        response = self.client.post(self.url, {"body": "Still here?"})
        self.assertContains(response, "This thread is closed to new replies.")
        self.assertContains(response, 'role="alert"')
        self.assertFalse(DiscussionReply.objects.filter(body="Still here?").exists())
        self.assertEqual(self.reload().reply_count, 1)

    def test_each_user_edits_their_own_replies_and_the_staff_delete_any(self):
        theirs = factories.DiscussionReplyFactory(
            thread=self.thread, author=self.w.users["other_student"]
        )
        mine_edit = reverse("web:reply-edit", args=[self.reply.pk])
        mine_delete = reverse("web:reply-delete", args=[self.reply.pk])
        theirs_edit = reverse("web:reply-edit", args=[theirs.pk])
        theirs_delete = reverse("web:reply-delete", args=[theirs.pk])
        self.as_role("student")
        html = self.client.get(self.url).content.decode()
        for url in (mine_edit, mine_delete):
            self.assertIn(url, html)
        for url in (theirs_edit, theirs_delete):
            self.assertNotIn(url, html)
        for role in ("assistant", "instructor"):
            with self.subTest(role=role):
                self.as_role(role)
                html = self.client.get(self.url).content.decode()
                self.assertIn(mine_delete, html)
                self.assertIn(theirs_delete, html)
                self.assertNotIn(mine_edit, html)
                self.assertNotIn(theirs_edit, html)

    def test_students_see_no_moderation_and_the_staff_do(self):
        moderate = reverse("web:thread-moderate", args=[self.thread.pk])
        edit = reverse("web:thread-edit", args=[self.thread.pk])
        delete = reverse("web:thread-delete", args=[self.thread.pk])
        self.as_role("other_student")
        html = self.client.get(self.url).content.decode()
        for url in (moderate, edit, delete):
            self.assertNotIn(url, html)
        self.as_role("student")  # the author: edit and delete, no moderation
        html = self.client.get(self.url).content.decode()
        self.assertNotIn(moderate, html)
        self.assertNotIn("Moderation", html)
        self.assertIn(edit, html)
        self.assertIn(delete, html)
        for role in ("assistant", "instructor", "superuser"):
            with self.subTest(role=role):
                self.as_role(role)
                html = self.client.get(self.url).content.decode()
                self.assertIn(moderate, html)
                self.assertIn('value="pin"', html)
                self.assertIn('value="close"', html)
                self.assertIn(delete, html)
                self.assertNotIn(edit, html)  # the text is its author's

    def test_the_query_count_is_the_same_for_two_and_thirty_replies(self):
        def count(replies: int) -> int:
            thread = factories.DiscussionThreadFactory(
                course=self.course, problem=self.w.problem, author=self.w.users["student"]
            )
            for n in range(replies):
                author = self.w.users["student" if n % 2 else "assistant"]
                factories.DiscussionReplyFactory(thread=thread, author=author)
            url = reverse("web:thread", args=[thread.pk])
            self.client.get(url)  # warm the cached roles
            return self.count_queries(lambda: self.client.get(url))

        for role in ("student", "instructor"):
            with self.subTest(role=role):
                self.as_role(role)
                self.assertEqual(count(2), count(30))


# --- threads/<id>/edit/ and threads/<id>/delete/ ----------------------------------------------


class ThreadEditAndDeletePagesTestCase(DiscussionPagesTestCase):
    def setUp(self):
        super().setUp()
        self.edit = reverse("web:thread-edit", args=[self.thread.pk])
        self.delete = reverse("web:thread-delete", args=[self.thread.pk])

    def test_only_the_author_edits_the_text_staff_included(self):
        self.assertGetPerRole(
            self.edit,
            allowed=("student",),
            refused=(*OUTSIDERS, "other_student", "assistant", "instructor"),
        )
        self.as_role("instructor")
        response = self.client.post(self.edit, {"title": "Mine now", "body": "Edited"})
        self.assertForbiddenPage(response, "You may not change these fields of this thread.")
        self.assertNotEqual(self.reload().title, "Mine now")

    def test_the_author_edits_title_and_body(self):
        self.as_role("student")
        self.assertContains(self.client.get(self.edit), self.thread.title)
        response = self.client.post(self.edit, {"title": "Better title", "body": "Clearer"})
        self.assertRedirects(response, reverse("web:thread", args=[self.thread.pk]))
        thread = self.reload()
        self.assertEqual(
            (thread.title, thread.body, thread.reply_count), ("Better title", "Clearer", 1)
        )

    def test_bad_text_is_refused_next_to_the_field_and_nothing_changes(self):
        self.as_role("student")
        for data, field, message in (
            ({"title": "", "body": "Clearer"}, "title", "This field is required."),
            ({"title": "x" * 201, "body": "Clearer"}, "title", "no more than 200 characters"),
            ({"title": "Fine", "body": " "}, "body", "This field is required."),
        ):
            with self.subTest(field=field, message=message):
                response = self.client.post(self.edit, data)
                self.assertEqual(response.status_code, 200)
                self.assertIn(message, field_errors(response, field))
        thread = self.reload()
        self.assertEqual((thread.title, thread.body), (self.thread.title, self.thread.body))

    def test_the_author_deletes_their_thread_after_confirming_while_only_they_replied(self):
        self.as_role("other_student")
        self.assertForbiddenPage(self.client.get(self.delete))
        self.assertForbiddenPage(self.client.post(self.delete))
        self.as_role("student")
        page = self.client.get(self.delete)
        self.assertContains(page, "Delete the thread")
        self.assertTrue(DiscussionThread.objects.filter(pk=self.thread.pk).exists())
        response = self.client.post(self.delete)
        self.assertRedirects(response, reverse("web:threads", args=[self.course.pk]))
        self.assertFalse(DiscussionThread.objects.filter(pk=self.thread.pk).exists())
        self.assertFalse(DiscussionReply.objects.filter(pk=self.reply.pk).exists())

    def test_once_someone_else_replied_the_author_is_told_so_and_nothing_goes(self):
        factories.DiscussionReplyFactory(thread=self.thread, author=self.w.users["other_student"])
        self.as_role("student")
        response = self.client.post(self.delete)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Others have replied in this thread")
        self.assertTrue(DiscussionThread.objects.filter(pk=self.thread.pk).exists())

    def test_the_staff_delete_any_thread(self):
        factories.DiscussionReplyFactory(thread=self.thread, author=self.w.users["other_student"])
        self.as_role("assistant")
        self.assertRedirects(
            self.client.post(self.delete), reverse("web:threads", args=[self.course.pk])
        )
        self.assertFalse(DiscussionThread.objects.filter(pk=self.thread.pk).exists())

    def test_visitors_log_in_and_outsiders_delete_nothing(self):
        self.as_role("anonymous")
        self.assertLoginRedirect(self.client.post(self.delete), self.delete)
        for role in OUTSIDERS:
            with self.subTest(role=role):
                self.as_role(role)
                self.assertForbiddenPage(self.client.post(self.delete))
        self.assertTrue(DiscussionThread.objects.filter(pk=self.thread.pk).exists())


# --- threads/<id>/moderate/ -------------------------------------------------------------------


class ModerationTestCase(DiscussionPagesTestCase):
    def setUp(self):
        super().setUp()
        self.url = reverse("web:thread-moderate", args=[self.thread.pk])

    def moderate(self, action: str):
        return self.client.post(self.url, {"action": action})

    def test_the_staff_pin_close_reopen_and_unpin(self):
        thread_url = reverse("web:thread", args=[self.thread.pk])
        for role, action, flags, said in (
            ("instructor", "pin", (True, False), "The thread is pinned."),
            ("assistant", "close", (True, True), "The thread is closed."),
            ("superuser", "open", (True, False), "The thread is open again."),
            ("assistant", "unpin", (False, False), "The thread is unpinned."),
        ):
            with self.subTest(action=action):
                self.as_role(role)
                response = self.moderate(action)
                self.assertRedirects(response, thread_url, fetch_redirect_response=False)
                thread = self.reload()
                self.assertEqual((thread.is_pinned, thread.is_closed), flags)
                self.assertContains(self.client.get(thread_url), said)

    def test_the_thread_page_offers_the_opposite_actions(self):
        DiscussionThread.objects.filter(pk=self.thread.pk).update(is_pinned=True, is_closed=True)
        self.as_role("instructor")
        html = self.client.get(reverse("web:thread", args=[self.thread.pk])).content.decode()
        self.assertIn('value="unpin"', html)
        self.assertIn('value="open"', html)
        self.assertNotIn('value="pin"', html)
        self.assertIn("This thread is closed.", html)

    def test_students_even_the_author_get_403_with_the_reason(self):
        for role, reason in (
            ("student", "You may not change these fields of this thread."),
            ("other_student", "Only the thread&#x27;s author and the course&#x27;s staff"),
        ):
            for action in ("pin", "close"):
                with self.subTest(role=role, action=action):
                    self.as_role(role)
                    self.assertForbiddenPage(self.moderate(action), reason)
        for role in OUTSIDERS:
            with self.subTest(role=role):
                self.as_role(role)
                self.assertForbiddenPage(self.moderate("pin"))
        self.as_role("anonymous")
        self.assertLoginRedirect(self.moderate("pin"), self.url)
        thread = self.reload()
        self.assertEqual((thread.is_pinned, thread.is_closed), (False, False))

    def test_only_posts_with_a_known_action(self):
        self.as_role("instructor")
        self.assertEqual(self.client.get(self.url).status_code, 405)
        response = self.moderate("explode")
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "Unknown moderation action", status_code=400)
        self.as_role("student")
        self.assertForbiddenPage(self.moderate("explode"))


# --- replies/<id>/, replies/<id>/edit/, replies/<id>/delete/ ----------------------------------


class ReplyPagesTestCase(DiscussionPagesTestCase):
    def setUp(self):
        super().setUp()
        self.edit = reverse("web:reply-edit", args=[self.reply.pk])
        self.delete = reverse("web:reply-delete", args=[self.reply.pk])
        self.thread_url = reverse("web:thread", args=[self.thread.pk])

    def test_only_the_author_edits_a_reply_staff_included(self):
        self.assertGetPerRole(
            self.edit,
            allowed=("student",),
            refused=(*OUTSIDERS, "other_student", "assistant", "instructor"),
        )
        self.as_role("instructor")
        self.assertForbiddenPage(
            self.client.post(self.edit, {"body": "Words in a mouth"}),
            "Only its author may edit a reply.",
        )
        self.reply.refresh_from_db()
        self.assertEqual(self.reply.body, "An answer.")

    def test_the_author_edits_on_a_page_and_the_reply_is_marked_edited(self):
        self.as_role("student")
        page = self.client.get(self.edit)
        self.assertContains(page, "An answer.")
        self.assertContains(page, "Edit your reply")
        response = self.client.post(self.edit, {"body": "A better answer."})
        self.assertRedirects(response, f"{self.thread_url}#reply-{self.reply.pk}")
        self.reply.refresh_from_db()
        self.assertEqual(self.reply.body, "A better answer.")
        self.assertIsNotNone(self.reply.edited_at)
        self.assertContains(self.client.get(self.thread_url), "edited")
        self.assertEqual(self.reload().reply_count, 1)

    def test_an_empty_edit_is_refused_next_to_the_field(self):
        self.as_role("student")
        for headers in ({}, HTMX):
            with self.subTest(htmx=bool(headers)):
                response = self.client.post(self.edit, {"body": ""}, **headers)
                self.assertEqual(response.status_code, 200)
                self.assertEqual(field_errors(response, "body"), "This field is required.")
        self.reply.refresh_from_db()
        self.assertEqual((self.reply.body, self.reply.edited_at), ("An answer.", None))

    def test_with_htmx_the_reply_swaps_to_a_form_and_back(self):
        self.as_role("student")
        form = self.client.get(self.edit, **HTMX)
        self.assertIn("HX-Request", form["Vary"])
        html = form.content.decode()
        self.assertNotIn("<html", html)
        self.assertIn(f'<article class="reply editing" id="reply-{self.reply.pk}">', html)
        self.assertIn(f'hx-post="{self.edit}"', html)
        self.assertIn("autofocus", html)
        self.assertIn('name="csrfmiddlewaretoken"', html)
        cancel = self.client.get(reverse("web:reply", args=[self.reply.pk]), **HTMX)
        self.assertNotIn("<html", cancel.content.decode())
        self.assertContains(cancel, f'id="reply-{self.reply.pk}"')
        self.assertContains(cancel, "An answer.")
        saved = self.client.post(self.edit, {"body": "Now **bold**"}, **HTMX)
        self.assertNotIn("<html", saved.content.decode())
        self.assertContains(saved, "<strong>bold</strong>")
        self.assertContains(saved, "edited")
        self.assertContains(saved, f'hx-get="{self.edit}"')

    def test_a_replys_address_leads_to_its_place_in_the_thread(self):
        self.as_role("other_student")
        response = self.client.get(reverse("web:reply", args=[self.reply.pk]))
        self.assertRedirects(response, f"{self.thread_url}#reply-{self.reply.pk}")
        self.as_role("non_member")
        self.assertForbiddenPage(self.client.get(reverse("web:reply", args=[self.reply.pk])))

    def test_an_author_may_still_edit_in_a_closed_thread(self):
        DiscussionThread.objects.filter(pk=self.thread.pk).update(is_closed=True)
        self.as_role("student")
        self.client.post(self.edit, {"body": "Corrected"})
        self.reply.refresh_from_db()
        self.assertEqual(self.reply.body, "Corrected")

    def test_the_author_deletes_after_confirming_and_the_count_drops(self):
        self.as_role("student")
        page = self.client.get(self.delete)
        self.assertContains(page, "Delete this reply?")
        self.assertContains(page, "An answer.")
        self.assertEqual(self.reload().reply_count, 1)
        response = self.client.post(self.delete)
        self.assertRedirects(response, self.thread_url)
        self.assertFalse(DiscussionReply.objects.filter(pk=self.reply.pk).exists())
        self.assertEqual(self.reload().reply_count, 0)
        self.assertContains(self.client.get(self.thread_url), "0 replies")

    def test_the_staff_delete_any_reply_and_other_students_none(self):
        self.assertGetPerRole(
            self.delete,
            allowed=("student", "assistant", "instructor"),
            refused=(*OUTSIDERS, "other_student"),
        )
        self.as_role("other_student")
        self.assertForbiddenPage(self.client.post(self.delete), "Only its author and the course")
        self.assertEqual(self.reload().reply_count, 1)
        self.as_role("instructor")
        self.client.post(self.delete)
        self.assertFalse(DiscussionReply.objects.filter(pk=self.reply.pk).exists())
        self.assertEqual(self.reload().reply_count, 0)

    def test_a_missing_reply_is_not_found(self):
        self.as_role("student")
        for name in ("reply", "reply-edit", "reply-delete"):
            with self.subTest(name=name):
                url = reverse(f"web:{name}", args=[999_999])
                self.assertEqual(self.client.get(url).status_code, 404)


# --- Exam-hidden threads ----------------------------------------------------------------------


class ExamHiddenThreadsTestCase(DiscussionPagesTestCase):
    """While an exam that includes the thread's problem is open, students find nothing of it."""

    def setUp(self):
        super().setUp()
        self.exam = self.open_exam_with(self.w.problem)
        self.threads_url = reverse("web:threads", args=[self.course.pk])
        self.urls = [
            reverse("web:thread", args=[self.thread.pk]),
            reverse("web:thread-edit", args=[self.thread.pk]),
            reverse("web:thread-delete", args=[self.thread.pk]),
            reverse("web:reply", args=[self.reply.pk]),
            reverse("web:reply-edit", args=[self.reply.pk]),
            reverse("web:reply-delete", args=[self.reply.pk]),
        ]

    def test_students_do_not_find_the_thread_or_its_replies(self):
        for role in ("student", "other_student"):  # the author included
            self.as_role(role)
            listing = self.client.get(self.threads_url)
            self.assertNotContains(listing, self.thread.title)
            self.assertNotContains(listing, f'<option value="{self.w.problem.pk}"')
            filtered = self.client.get(f"{self.threads_url}?problem={self.w.problem.pk}")
            self.assertNotContains(filtered, self.thread.title)
            for url in self.urls:
                with self.subTest(role=role, url=url):
                    self.assertEqual(self.client.get(url).status_code, 404)
        self.as_role("student")
        self.assertEqual(self.client.post(self.urls[0], {"body": "Psst"}).status_code, 404)
        self.assertEqual(self.client.post(self.urls[5]).status_code, 404)
        self.assertEqual(DiscussionReply.objects.filter(thread=self.thread).count(), 1)

    def test_the_staff_see_and_moderate_it(self):
        for role in ("assistant", "instructor"):
            with self.subTest(role=role):
                self.as_role(role)
                self.assertContains(self.client.get(self.threads_url), self.thread.title)
                self.assertContains(self.client.get(self.urls[0]), self.thread.title)
        self.client.post(reverse("web:thread-moderate", args=[self.thread.pk]), {"action": "pin"})
        self.assertTrue(self.reload().is_pinned)

    def test_the_thread_comes_back_when_the_exam_closes(self):
        self.exam.closes_at = timezone.now() - timedelta(minutes=1)
        self.exam.opens_at = timezone.now() - timedelta(hours=2)
        self.exam.save()
        self.as_role("other_student")
        self.assertContains(self.client.get(self.threads_url), self.thread.title)
        self.assertEqual(self.client.get(self.urls[0]).status_code, 200)
