"""In a real browser: an instructor authors a problem in the admin. They log in, open the
problem, edit its starter code in the ACE editor, preview the statement, upload a zip of test
cases and validate the problem on the real sandbox, seeing the reference solution accepted
case by case. Screenshots: admin-problem, admin-validate."""

from __future__ import annotations

import io
import re
import zipfile

from django.contrib.auth.models import Permission

from courses.models import Enrollment
from courses.tests import factories
from courses.tests.browser.support import BrowserTestCase
from courses.tests.sandbox_fixtures import requires_sandbox
from courses.tests.signals.support import FreshCacheMixin

ADD = "def add(a, b):\n    return a + b\n"
#: Django's tabular inlines start their header row with an empty cell (axe: empty-table-header).
DJANGO_TABULAR_HEADERS = [
    ["#test_cases-group thead th.original"],
    ["#subtasks-group thead th.original"],
]


def cases_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, given, expected in (
            ("sample1", "[1, 2]", "3"),
            ("2", "[10, 20]", "30"),
            ("10", "[-5, 5]", "0"),
        ):
            archive.writestr(f"cases/{name}.in", given)
            archive.writestr(f"cases/{name}.out", expected)
    return buffer.getvalue()


@requires_sandbox
def admin_instructor(course):
    """``teacher`` / ``password``: staff with the courses app's permissions, the course's
    instructor."""
    instructor = factories.UserFactory(username="teacher", is_staff=True)
    instructor.user_permissions.add(*Permission.objects.filter(content_type__app_label="courses"))
    factories.EnrollmentFactory(user=instructor, course=course, role=Enrollment.Role.INSTRUCTOR)
    return instructor


def log_in_to_admin(test) -> None:
    test.open("/admin/login/?next=/admin/")
    test.page.get_by_label("Username").fill("teacher")
    test.page.get_by_label("Password").fill("password")
    test.page.get_by_role("button", name="Log in").click()


class AdminAuthoringBrowserTestCase(FreshCacheMixin, BrowserTestCase):
    def setUp(self):
        super().setUp()
        self.course = factories.CourseFactory(title="Python basics", time_zone="Europe/Paris")
        chapter = factories.ChapterFactory(course=self.course, title="Functions")
        self.problem = factories.ProblemFactory(
            chapter=chapter,
            title="Add two numbers",
            statement="Write `add(a, b)`.",
            allowed_languages=["python"],
            entry_point="add",
        )
        factories.ReferenceSolutionFactory(problem=self.problem, language="python", code=ADD)
        self.instructor = admin_instructor(self.course)

    def test_an_instructor_edits_uploads_validates_and_previews(self):
        page = self.page
        log_in_to_admin(self)
        page.get_by_role("link", name="Problems").click()
        # Django's own pages ask for /favicon.ico, which is not there; the pages added here
        # do not (they are checked below).
        self.console_errors.clear()
        page.get_by_role("link", name="Add two numbers").click()
        page.get_by_role("heading", name="Starter code", exact=True).wait_for()
        self.assert_accessible_except_djangos()

        # Starter code, typed in ACE by keyboard: Tab reaches the editor named after its field,
        # Enter starts editing (ACE indents after the colon), Escape leaves it.
        editor = page.get_by_role("group", name="Starter code (python): editor content")
        editor.focus()
        page.keyboard.press("Enter")
        page.keyboard.type("def add(a, b):\n")
        page.keyboard.type("return 0")
        self.assertTrue(
            page.evaluate("!!document.activeElement.closest('.field-starter_code__python')")
        )
        page.keyboard.press("Escape")
        self.screenshot("admin-problem")

        # The statement's preview: sanitised, under the field.
        statement = page.get_by_role("textbox", name="Statement:")
        statement.fill(
            "# Adding\n\nWrite `add(a, b)`.\n\n```python\nprint(add(1, 2))\n```\n\n"
            "<script>window.hacked = true</script>"
        )
        page.get_by_role("button", name="Preview statement").click()
        preview = page.get_by_role("region", name="Statement preview")
        preview.get_by_role("heading", name="Adding").wait_for()
        self.assertIn("print", preview.locator("pre.highlight").inner_text())
        self.assertIsNone(page.evaluate("window.hacked"))
        self.assertEqual(preview.locator("script").count(), 0)
        self.assert_accessible_except_djangos()

        page.get_by_role("button", name="Save and continue editing").first.click()
        page.get_by_text("was changed successfully").wait_for()
        self.problem.refresh_from_db()
        self.assertEqual(self.problem.starter_code, {"python": "def add(a, b):\n    return 0"})

        # A zip of cases, replacing the problem's.
        page.get_by_role("link", name="Upload test cases (zip)").click()
        page.get_by_label("Zip archive").set_input_files(
            files=[{"name": "cases.zip", "mimeType": "application/zip", "buffer": cases_zip()}]
        )
        page.get_by_label("Replace: these become the problem's only cases").check()
        self.assert_accessible()
        page.get_by_role("button", name="Upload").click()
        imported = page.get_by_role("table", name="Cases created from the archive (replace)")
        imported.wait_for()
        self.assertEqual(imported.locator("tbody th").all_inner_texts(), ["sample1", "2", "10"])
        page.get_by_text("3 test cases imported").wait_for()
        self.assert_accessible()

        # Validate: the real sandbox judges the reference solution on every case.
        page.get_by_role("link", name="Back to the problem").first.click()
        page.get_by_role("button", name="Validate").click()
        page.get_by_text("Add two numbers validated.").wait_for()
        cases = page.get_by_role("table", name="Verdicts per case (python)")
        self.assertEqual(cases.locator("tbody tr").count(), 3)
        self.assertEqual(set(cases.locator(".verdict").all_inner_texts()), {"Accepted"})
        page.get_by_text("State: Done").wait_for()
        self.assert_accessible_except_djangos()
        page.locator("#validation").scroll_into_view_if_needed()
        self.screenshot("admin-validate")

        # A second reference solution gets its editor too, named and following its language.
        page.get_by_role("button", name="Add another Reference solution").click()
        page.get_by_label("Language:", exact=True).nth(1).select_option("c")
        # (Anchored: "Setup code: editor content" and "Checker code: ..." contain the words too.)
        page.get_by_role("group", name=re.compile("^Code: editor content")).nth(1).wait_for()
        mode = page.evaluate(
            "document.querySelectorAll('#reference_solutions-group .django-ace-widget')[1]"
            ".editor.session.getMode().$id"
        )
        self.assertEqual(mode, "ace/mode/c_cpp")
        self.assert_accessible_except_djangos()

    maxDiff = None

    def assert_accessible_except_djangos(self) -> None:
        """axe-core on the problem's page, leaving out the one thing Django's own markup fails:
        the empty first header cell of its tabular inline (the test cases); everything added
        here (editors, preview, help, validation) and the rest of the page is checked."""
        from axe_playwright_python.sync_playwright import Axe

        results = Axe().run(self.page, context={"exclude": DJANGO_TABULAR_HEADERS})
        self.assertEqual(
            [
                f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']]}"
                for v in results.response["violations"]
            ],
            [],
            f"accessibility violations on {self.page.url}",
        )
        self.assertEqual(self.console_errors, [], f"script errors on {self.page.url}")


@requires_sandbox
class AdminTestsAsCodeBrowserTestCase(FreshCacheMixin, BrowserTestCase):
    """Issue 14: an instructor writes tests as code in the admin and sees how they were split.
    Screenshot: admin-tests-as-code."""

    def setUp(self):
        super().setUp()
        self.course = factories.CourseFactory(title="Python basics", time_zone="Europe/Paris")
        chapter = factories.ChapterFactory(course=self.course, title="Functions")
        self.problem = factories.ProblemFactory(
            chapter=chapter,
            title="Mean and span",
            statement="Write `mean(xs)` and `span(xs)`.",
            io_mode="tests",
            allowed_languages=["python"],
            entry_point="",
        )
        self.instructor = admin_instructor(self.course)

    def test_tests_as_code_are_written_split_and_shown(self):
        page = self.page
        log_in_to_admin(self)
        self.open(f"/admin/courses/problem/{self.problem.pk}/change/")
        self.console_errors.clear()
        page.get_by_text("Tests written as code (io mode: tests)").click()
        for name, text in (
            ("setup_code", "import math\n"),
            (
                "test_code",
                "assert mean([1, 2, 3]) == 2.0  # sample\n"
                "assert span([3, 1, 2]) == (1, 3)  # sample\n"
                "assert span([-1]) == (-1, -1)\n",
            ),
        ):
            page.evaluate(
                "([name, text]) => document.querySelector(`.field-${name} .django-ace-widget`)"
                ".editor.setValue(text, 1)",
                [name, text],
            )
        # Before saving, the split shows under the field, without leaving the page.
        page.evaluate("window.__samePage = true")
        page.get_by_role("button", name="Preview the split").click()
        split = page.get_by_role("region", name="Tests as code: the split")
        split.get_by_text("3 cases").wait_for()
        self.assertEqual(split.get_by_role("row").count(), 4)  # the header and 3 cases
        self.assertTrue(page.evaluate("window.__samePage === true"))
        self.assertFalse(self.problem.test_cases.exists())
        page.locator(".field-test_code").scroll_into_view_if_needed()
        self.screenshot("admin-tests-as-code")
        page.get_by_role("button", name="Save and continue editing").first.click()
        page.get_by_text("Tests as code split into 3 cases").wait_for()
        self.assertEqual(
            list(self.problem.test_cases.values_list("input", "expected_output", "is_sample")),
            [
                ("mean([1, 2, 3])", "2.0", True),
                ("span([3, 1, 2])", "(1, 3)", True),
                ("span([-1])", "(-1, -1)", False),
            ],
        )
        self.assert_accessible_except_djangos()

    assert_accessible_except_djangos = (
        AdminAuthoringBrowserTestCase.assert_accessible_except_djangos
    )
