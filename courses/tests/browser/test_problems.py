"""In a real browser: a student runs a wrong solution on the samples, submits it and watches the
verdict arrive without a reload (judging queued, released by the test after the page showed
"Pending"), submits a right one, finds the draft after a reload and not after logging out and in.

The code is typed into the ACE editor with the keyboard, as a person does (click, select all,
type); the editor's auto-indent supplies the function body's indentation. Screenshots: problem,
problem-verdict, submission.
"""

from __future__ import annotations

from django.test import override_settings

from courses.judging.types import Outcome, RunRequest, RunResult
from courses.models import Submission
from courses.tests import factories
from courses.tests.api_support import backend_path, judging_queued, problem_with_cases
from courses.tests.browser.support import BrowserTestCase
from courses.tests.scripted_backend import ScriptedBackend

STARTER = "def solve(a, b):\n    pass\n"


def answer_by_code(request: RunRequest) -> RunResult:
    """``3`` (right on every case) when the code adds, ``4`` otherwise."""
    right = "a + b" in request.source
    return RunResult(outcome=Outcome.OK, stdout=b"3\n" if right else b"4\n", cpu_time_ms=7)


class ByCodeBackend(ScriptedBackend):
    default_script = staticmethod(answer_by_code)


@override_settings(COURSES_JUDGE_BACKEND=backend_path(ByCodeBackend))
class ProblemBrowserTestCase(BrowserTestCase):
    def setUp(self):
        super().setUp()
        course = factories.CourseFactory(title="Introduction to Python", time_zone="Europe/Paris")
        chapter = factories.ChapterFactory(course=course, title="First steps")
        self.problem = problem_with_cases(
            chapter=chapter,
            title="Add two numbers",
            statement="Return the sum of `a` and `b`.\n\n```python\nsolve(1, 2)  # 3\n```\n",
            starter_code={"python": STARTER},
            allowed_languages=["python", "c"],
        )
        self.student = factories.UserFactory(username="ada")
        factories.EnrollmentFactory(user=self.student, course=course)

    def open_problem(self):
        self.open(f"/problems/{self.problem.pk}/")
        self.page.locator(".editor .ace_content").wait_for()

    def type_code(self, first_line: str, body: str) -> None:
        """Replace the editor's text by typing: the body line is indented by the editor."""
        editor = self.page.locator(".editor .ace_content")
        editor.click()
        self.page.keyboard.press("Control+A")
        self.page.keyboard.press("Delete")
        self.page.keyboard.type(first_line)
        self.page.keyboard.press("Enter")
        self.page.keyboard.type(body)

    def editor_text(self) -> str:
        """What the form will post: app.js keeps the textarea in step with the editor."""
        return self.page.locator("#id_code").input_value()

    def test_run_submit_watch_the_verdict_arrive_and_keep_the_draft_until_logout(self):
        page = self.page
        self.log_in("ada", "password")
        self.open_problem()
        self.assertEqual(self.editor_text(), STARTER)  # the starter code, no draft yet
        page.get_by_role("heading", name="Sample cases").wait_for()
        self.assert_accessible()
        self.screenshot("problem")

        # An empty editor is refused in the API's words, next to the field, accessibly.
        page.locator(".editor .ace_content").click()
        page.keyboard.press("Control+A")
        page.keyboard.press("Delete")
        page.get_by_role("button", name="Submit").click()
        page.locator("#submission-region").get_by_text("The code is empty.").wait_for()
        self.assertEqual(page.locator("#id_code-errors").inner_text().strip(), "required")
        self.assert_accessible()

        # Run a wrong solution on the samples: the sample's verdict shows in place.
        self.type_code("def solve(a, b):", "return a - b")
        self.assertEqual(self.editor_text(), "def solve(a, b):\n    return a - b")
        page.evaluate("window.stillTheSamePage = true")
        page.get_by_role("button", name="Run").click()
        run = page.locator("#run-result")
        run.get_by_text("0 of 1 sample case passed.").wait_for()
        self.assertEqual(page.locator("#id_code-errors").inner_text().strip(), "")
        self.assertIn("Wrong answer", run.inner_text())
        self.assertIn("4", run.locator("pre").last.inner_text())

        # Submit it with judging queued: the page shows Pending, then the verdict by itself.
        result = page.locator("#submission-region")
        with judging_queued() as queue:
            page.get_by_role("button", name="Submit").click()
            result.get_by_text("Pending").wait_for()
            self.assertIn("Waiting for the judge", result.inner_text())
            submission = Submission.objects.get(user=self.student)
            self.assertEqual(submission.status, "pending")
            self.assertEqual(queue.release(), [submission.pk])
        result.locator(".result-summary").get_by_text("Wrong answer").wait_for()
        self.assertTrue(page.evaluate("window.stillTheSamePage === true"))  # no reload
        self.assertNotIn("Waiting for the judge", result.inner_text())
        self.assert_accessible()

        # A right solution, judged inline: Accepted and the per-case table.
        self.type_code("def solve(a, b):", "return a + b")
        page.get_by_role("button", name="Submit").click()
        result.locator(".result-summary").get_by_text("Accepted").wait_for()
        cases = result.locator("table.cases")
        self.assertEqual(cases.locator("tbody tr").count(), 2)
        self.assertIn("Hidden case", cases.inner_text())
        self.assertNotIn("[1, 2] hidden", page.content())
        self.assertIn("Solved", page.locator("#my-state").inner_text())
        self.assertTrue(page.evaluate("window.stillTheSamePage === true"))
        # My submissions refreshed in place: both, newest first.
        mine = page.locator("#my-submissions")
        mine.get_by_text("Wrong answer").first.wait_for()
        self.assertEqual(mine.locator("tbody tr").count(), 2)
        self.assert_accessible()
        self.screenshot("problem-verdict")

        # The draft survives a reload.
        page.reload()
        page.locator(".editor .ace_content").wait_for()
        self.assertEqual(self.editor_text(), "def solve(a, b):\n    return a + b")
        self.assertIn("return a + b", page.locator(".editor").inner_text())

        # The submission's page, from my submissions.
        accepted = Submission.objects.filter(user=self.student).latest("id")
        page.locator("#my-submissions").get_by_role("link", name=f"#{accepted.pk}").click()
        page.get_by_role("heading", name=f"Submission #{accepted.pk}: Add two numbers").wait_for()
        self.assertIn("return a + b", page.locator("pre.highlight").inner_text())
        self.assert_accessible()
        self.screenshot("submission")

        # An earlier submission's code loads into the editor; the draft is kept until edited.
        wrong = Submission.objects.filter(user=self.student).earliest("id")
        self.open(f"/submissions/{wrong.pk}/")
        page.get_by_role("link", name="Load this code into the editor").click()
        page.locator(".editor .ace_content").wait_for()
        self.assertEqual(self.editor_text(), "def solve(a, b):\n    return a - b")
        self.assert_accessible()
        page.get_by_role("link", name="back to my draft").click()
        page.locator(".editor .ace_content").wait_for()
        self.assertEqual(self.editor_text(), "def solve(a, b):\n    return a + b")

        # Logging out clears the drafts: logged back in, the editor has the starter code.
        page.get_by_role("button", name="Log out").click()
        page.wait_for_load_state()
        self.assertEqual(
            page.evaluate(
                "Object.keys(localStorage).filter(k => k.startsWith('codecourses:draft:')).length"
            ),
            0,
        )
        self.log_in("ada", "password")
        self.open_problem()
        self.assertEqual(self.editor_text(), STARTER)
        self.assertNotIn("a + b", page.locator(".editor").inner_text())

    def test_a_flood_of_output_in_the_first_failure_scrolls_in_its_box(self):
        # The report: 64 KB of a program's output made the result tens of thousands of pixels
        # tall, the subtask and case tables out of reach below it.
        submission = factories.SubmissionFactory(
            user=self.student,
            problem=self.problem,
            status="wrong_answer",
            error_text="".join(f"{n}\n" for n in range(1200)),
        )
        self.log_in("ada", "password")
        self.open(f"/submissions/{submission.pk}/")
        box = self.page.locator("pre.failure-text")
        box.wait_for()
        height, scrolls = box.evaluate("b => [b.clientHeight, b.scrollHeight > b.clientHeight]")
        self.assertLessEqual(height, 24 * 16 + 40)  # 24rem and its padding
        self.assertTrue(scrolls)
        self.assertLess(self.page.evaluate("document.documentElement.scrollHeight"), 3000)
        self.assert_accessible()

    def test_on_a_phone_no_page_is_wider_than_the_screen(self):
        # The report: at 390 px the course, problem and submission pages scrolled sideways
        # (tables and a long line of output wider than the screen).
        submission = factories.SubmissionFactory(
            user=self.student,
            problem=self.problem,
            status="wrong_answer",
            error_text="x" * 400,
        )
        self.log_in("ada", "password")
        self.page.set_viewport_size({"width": 390, "height": 844})
        course = self.problem.chapter.course_id
        for path in (f"/courses/{course}/", f"/problems/{self.problem.pk}/",
                     f"/submissions/{submission.pk}/"):  # fmt: skip
            with self.subTest(path=path):
                self.open(path)
                self.page.locator("main h1").wait_for()
                overflow = self.page.evaluate(
                    "document.documentElement.scrollWidth - window.innerWidth"
                )
                self.assertLessEqual(overflow, 0)
        self.assert_accessible()
