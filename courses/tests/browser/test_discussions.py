"""In a real browser: a student opens the course's discussions, opens a thread, replies and edits
the reply in place (htmx); an instructor pins and closes the thread; the student finds it closed.
Every page passes axe-core. Screenshots: discussions, thread."""

from __future__ import annotations

from courses.models import DiscussionReply, DiscussionThread, Enrollment
from courses.tests import factories
from courses.tests.browser.support import BrowserTestCase


class DiscussionBrowserTestCase(BrowserTestCase):
    def setUp(self):
        super().setUp()
        self.course = factories.CourseFactory(
            title="Introduction to Python", time_zone="Europe/Paris"
        )
        chapter = factories.ChapterFactory(course=self.course, title="First steps")
        problem = factories.ProblemFactory(chapter=chapter, title="Add two numbers")
        self.student = factories.UserFactory(username="ada")
        self.instructor = factories.UserFactory(username="grace")
        asker = factories.UserFactory(username="linus")
        for user, role in (
            (self.student, Enrollment.Role.STUDENT),
            (asker, Enrollment.Role.STUDENT),
            (self.instructor, Enrollment.Role.INSTRUCTOR),
        ):
            factories.EnrollmentFactory(user=user, course=self.course, role=role)
        self.thread = factories.DiscussionThreadFactory(
            course=self.course,
            problem=problem,
            author=asker,
            title="How do I read two numbers?",
            body="I tried this:\n\n```python\na = input()\n```\n\nIt gives me **a string**.",
        )
        factories.DiscussionThreadFactory(
            course=self.course, author=self.instructor, title="Office hours on Friday"
        )

    def log_out(self) -> None:
        self.page.get_by_role("button", name="Log out").click()
        self.page.wait_for_load_state()

    def test_a_student_replies_and_edits_then_an_instructor_pins_and_closes(self):
        page = self.page
        self.log_in("ada", "password")
        self.open(f"/courses/{self.course.pk}/")
        page.get_by_role("link", name="Discussions").click()
        page.get_by_role("heading", name="Discussions").wait_for()
        self.assertTrue(page.get_by_role("cell", name="Add two numbers").is_visible())
        self.assert_accessible()
        self.screenshot("discussions")

        # The problem filter keeps that problem's threads.
        page.get_by_label("Problem").select_option(label="Add two numbers")
        page.get_by_role("button", name="Show").click()
        page.get_by_role("heading", name="Discussions about Add two numbers").wait_for()
        self.assertEqual(page.get_by_text("Office hours on Friday").count(), 0)

        # Starting a thread from there: the problem is chosen, errors sit next to the fields.
        page.get_by_role("link", name="Start a thread").click()
        page.get_by_role("heading", name="Start a thread").wait_for()
        self.assertEqual(
            page.get_by_label("Problem").evaluate("el => el.selectedOptions[0].text"),
            "Add two numbers",
        )
        page.get_by_role("button", name="Post the thread").click()
        page.get_by_text("The title cannot be empty.").wait_for()
        self.assertEqual(page.locator("#id_title_error").inner_text(), "This field is required.")
        self.assert_accessible()
        page.get_by_label("Title").fill("Is the input always two numbers?")
        page.get_by_label("Question").fill("Or can a line be *empty*?")
        page.get_by_role("button", name="Post the thread").click()
        page.get_by_text("Your thread is posted.").wait_for()
        # On second thoughts, its author deletes it (nobody replied), after confirming.
        page.get_by_role("link", name="Delete the thread").click()
        page.get_by_role(
            "heading", name="Delete the thread “Is the input always two numbers?”?"
        ).wait_for()
        self.assert_accessible()
        page.get_by_role("button", name="Delete the thread").click()
        page.get_by_text("is deleted.").wait_for()
        self.assertFalse(
            DiscussionThread.objects.filter(title="Is the input always two numbers?").exists()
        )

        page.get_by_label("Problem").select_option(label="Add two numbers")
        page.get_by_role("button", name="Show").click()
        page.get_by_role("link", name="How do I read two numbers?").click()
        page.get_by_role("heading", name="How do I read two numbers?", level=1).wait_for()
        self.assertEqual(page.locator(".post-body strong").inner_text(), "a string")
        self.assert_accessible()

        page.get_by_label("Your reply").fill("Convert it: `int(input())`.")
        page.get_by_role("button", name="Post the reply").click()
        page.get_by_text("Your reply is posted.").wait_for()
        page.get_by_role("heading", name="1 reply").wait_for()
        reply = DiscussionReply.objects.get(thread=self.thread)
        article = page.locator(f"#reply-{reply.pk}")
        self.assertEqual(article.locator("code").inner_text(), "int(input())")

        # Edit in place: the reply swaps to a form (focused) and back, without a page load.
        page.evaluate("window.__samePage = true")
        article.get_by_role("link", name="Edit").click()
        editor = page.get_by_label("Edit your reply")
        editor.wait_for()
        # htmx moves the focus once the swap settles, a moment after the form appears:
        # wait for it (a timeout here means the form never took the focus).
        page.wait_for_function(
            "() => document.activeElement && document.activeElement.matches('textarea[autofocus]')"
        )
        self.assertTrue(editor.evaluate("el => el === document.activeElement"))
        self.assert_accessible()
        editor.fill("Convert each: `a, b = map(int, input().split())`.")
        page.get_by_role("button", name="Save the reply").click()
        article.get_by_text("edited").wait_for()
        self.assertIn("map(int", article.locator("code").inner_text())
        self.assertTrue(page.evaluate("window.__samePage === true"))
        reply.refresh_from_db()
        self.assertIsNotNone(reply.edited_at)
        self.assertEqual(page.get_by_role("button", name="Pin").count(), 0)  # no moderation
        self.assert_accessible()
        self.screenshot("thread")

        # The instructor pins and closes it.
        self.log_out()
        self.log_in("grace", "password")
        self.open(f"/threads/{self.thread.pk}/")
        page.get_by_role("button", name="Pin").click()
        page.get_by_text("The thread is pinned.").wait_for()
        page.get_by_role("button", name="Close").click()
        page.get_by_text("The thread is closed.").wait_for()
        self.assertTrue(page.get_by_role("button", name="Reopen").is_visible())
        self.assert_accessible()
        self.screenshot("thread-moderation")
        thread = DiscussionThread.objects.get(pk=self.thread.pk)
        self.assertEqual((thread.is_pinned, thread.is_closed), (True, True))

        # The student finds it pinned first and closed, with no reply form.
        self.log_out()
        self.log_in("ada", "password")
        self.open(f"/courses/{self.course.pk}/discussions/")
        first_row = page.locator("tbody tr").first
        self.assertIn("How do I read two numbers?", first_row.inner_text())
        self.assertIn("Pinned", first_row.inner_text())
        self.assertIn("Closed", first_row.inner_text())
        first_row.get_by_role("link", name="How do I read two numbers?").click()
        page.get_by_text("This thread is closed.").wait_for()
        self.assertEqual(page.get_by_label("Your reply").count(), 0)
        self.assert_accessible()

    def test_a_title_of_one_long_word_does_not_widen_the_page(self):
        # The report: a title of one long word made the threads page 3,897 px wide; on a phone the
        # table scrolls in its own box.
        long_title = "w" * 200  # the longest a title may be
        factories.DiscussionThreadFactory(course=self.course, author=self.student, title=long_title)
        self.log_in("ada", "password")
        for width in (1280, 390):
            with self.subTest(width=width):
                self.page.set_viewport_size({"width": width, "height": 844})
                self.open(f"/courses/{self.course.pk}/discussions/")
                self.page.get_by_role("link", name=long_title).wait_for()
                overflow = self.page.evaluate(
                    "document.documentElement.scrollWidth - window.innerWidth"
                )
                self.assertLessEqual(overflow, 0)
                if width == 1280:  # the title breaks: even the table fits, with no scrolling
                    table = self.page.locator(".table-scroll")
                    self.assertLessEqual(table.evaluate("t => t.scrollWidth - t.clientWidth"), 0)
