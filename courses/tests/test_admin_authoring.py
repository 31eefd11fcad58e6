"""Problem authoring in the admin, made pleasant (issue 10, "Instructors and assistants").

- Code per language in editors: starter code and template overrides are one ACE field per
  language of the platform, assembled into their JSON fields (and back); unknown languages are
  refused; reference solutions have an editor and a language select.
- The statement's preview is the site's sanitised Markdown, for staff only, behind CSRF.
- The zip upload of cases goes through the API's service: a good archive shows the cases made,
  a hostile one the service's words, and nothing is written.
- Validate judges the reference solutions and shows verdicts per case, pending until done.
- Times on the course's clocks (``courses.local_times``, and the forms that use it): a time
  skipped by a DST change is refused, a repeated one asks which.
- Who may: an assistant edits no content, a non-staff user never reaches the admin.
- Help text on every field that confuses.
"""

from __future__ import annotations

import html
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.contrib.messages import get_messages
from django.test import Client, SimpleTestCase, TestCase, TransactionTestCase, override_settings
from django.urls import reverse

from courses.instant_range import EARLIEST, LATEST, RANGE
from courses.judging.types import RunResult
from courses.local_times import (
    AmbiguousLocalTime,
    NonexistentLocalTime,
    is_ambiguous,
    to_local,
    to_utc,
)
from courses.models import Chapter, Enrollment, Exam, Problem, ReferenceSolution
from courses.models.exam import MAX_DURATION_MINUTES
from courses.services import judging_authoring
from courses.services.exam_attempts import exam_attempt_start
from courses.tests import factories, test_admin
from courses.tests.api_support import ApiAssertions, WrongBackend, backend_path
from courses.tests.scripted_backend import ScriptedBackend, ok
from courses.tests.signals.support import FreshCacheMixin
from courses.tests.test_admin import (
    change,
    changelist,
    inline_errors,
    make_instructor,
    post_with_rows,
)

PARIS = "Europe/Paris"
ADD = "def solve(a, b):\n    return a + b\n"


def print_sum(request) -> RunResult:
    return ok(f"{sum(json.loads(request.stdin or b'[]'))}\n", cpu_time_ms=4, memory_kb=800)


class EchoSumBackend(ScriptedBackend):
    """Prints the sum of the JSON arguments it is given: what a correct ``solve(a, b)`` does."""

    default_script = staticmethod(print_sum)


def form_data(response) -> dict:
    """The change form as shown, as a browser posts it back (the admin tests' helper; imported
    through its module, so that pytest does not collect its test class here too)."""
    return test_admin.AdminScopeTestCase.change_form_data(response)


def make_zip(entries: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in entries.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def upload(data: bytes, name: str = "cases.zip"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="application/zip")


# --- The conversion: pure functions ------------------------------------------------------------


class LocalTimesTestCase(SimpleTestCase):
    def test_a_normal_time_is_one_instant(self):
        self.assertEqual(
            to_utc(datetime(2026, 7, 1, 9, 0), PARIS), datetime(2026, 7, 1, 7, 0, tzinfo=UTC)
        )
        self.assertEqual(
            to_utc(datetime(2026, 1, 15, 9, 0), PARIS), datetime(2026, 1, 15, 8, 0, tzinfo=UTC)
        )
        self.assertEqual(
            to_utc(datetime(2026, 1, 15, 9, 0), "UTC"), datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
        )

    def test_a_time_skipped_by_the_clocks_going_forward_is_refused_naming_the_jump(self):
        with self.assertRaises(NonexistentLocalTime) as caught:
            to_utc(datetime(2026, 3, 29, 2, 30), PARIS)
        message = str(caught.exception)
        self.assertIn("2026-03-29 02:30 does not exist in Europe/Paris", message)
        self.assertIn("from 02:00 CET to 03:00 CEST", message)
        # A fold does not make a skipped time exist.
        with self.assertRaises(NonexistentLocalTime):
            to_utc(datetime(2026, 3, 29, 2, 30), PARIS, fold=1)
        # The minutes either side of the gap are fine.
        self.assertEqual(
            to_utc(datetime(2026, 3, 29, 1, 59), PARIS), datetime(2026, 3, 29, 0, 59, tzinfo=UTC)
        )
        self.assertEqual(
            to_utc(datetime(2026, 3, 29, 3, 0), PARIS), datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
        )

    def test_a_repeated_time_asks_which_and_takes_the_answer(self):
        local = datetime(2026, 10, 25, 2, 30)
        with self.assertRaises(AmbiguousLocalTime) as caught:
            to_utc(local, PARIS)
        self.assertEqual(
            [option.label for option in caught.exception.options],
            ["the first (02:30 CEST, UTC+02:00)", "the second (02:30 CET, UTC+01:00)"],
        )
        self.assertIn("happens twice in Europe/Paris", str(caught.exception))
        self.assertEqual(to_utc(local, PARIS, fold=0), datetime(2026, 10, 25, 0, 30, tzinfo=UTC))
        self.assertEqual(to_utc(local, PARIS, fold=1), datetime(2026, 10, 25, 1, 30, tzinfo=UTC))
        self.assertTrue(is_ambiguous(local, PARIS))
        self.assertFalse(is_ambiguous(datetime(2026, 3, 29, 2, 30), PARIS))

    def test_southern_and_western_zones(self):
        # New York springs forward at 02:00 on the second Sunday of March.
        with self.assertRaises(NonexistentLocalTime):
            to_utc(datetime(2026, 3, 8, 2, 15), "America/New_York")
        # Sydney goes back on the first Sunday of April: 02:30 happens twice.
        with self.assertRaises(AmbiguousLocalTime):
            to_utc(datetime(2026, 4, 5, 2, 30), "Australia/Sydney")

    def test_to_local_round_trips_with_its_fold(self):
        for instant in (
            datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
            datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
            datetime(2026, 3, 29, 1, 0, tzinfo=UTC),
        ):
            local = to_local(instant, PARIS)
            self.assertIsNone(local.tzinfo)
            self.assertEqual(to_utc(local, PARIS, fold=local.fold), instant)

    def test_naive_and_aware_inputs_are_told_apart(self):
        with self.assertRaises(ValueError):
            to_utc(datetime(2026, 7, 1, 9, 0, tzinfo=UTC), PARIS)
        with self.assertRaises(ValueError):
            to_local(datetime(2026, 7, 1, 9, 0), PARIS)


# --- The admin ---------------------------------------------------------------------------------


class AuthoringWorld:
    """A course in Paris with an instructor, an assistant (staff, every permission, but the
    assistant's role), a student, and a problem with two cases and a Python reference."""

    def __init__(self):
        self.course = factories.CourseFactory(title="Paris course", time_zone=PARIS)
        self.chapter = factories.ChapterFactory(course=self.course, title="Basics", order=1)
        self.problem = factories.ProblemFactory(
            chapter=self.chapter,
            title="Add",
            allowed_languages=["python", "c"],
            starter_code={"python": "def solve(a, b):\n    pass\n"},
            checker="exact",
        )
        self.sample = factories.ProblemTestCaseFactory(
            problem=self.problem, order=1, input="[1, 2]", expected_output="3", is_sample=True
        )
        self.hidden = factories.ProblemTestCaseFactory(
            problem=self.problem, order=2, input="[20, 22]", expected_output="42"
        )
        self.reference = factories.ReferenceSolutionFactory(problem=self.problem, code=ADD)
        self.instructor = make_instructor("teacher")
        self.assistant = make_instructor("helper")
        self.student = factories.UserFactory(username="pupil")
        for user, role in (
            (self.instructor, Enrollment.Role.INSTRUCTOR),
            (self.assistant, Enrollment.Role.ASSISTANT),
            (self.student, Enrollment.Role.STUDENT),
        ):
            factories.EnrollmentFactory(user=user, course=self.course, role=role)
        self.other_instructor = make_instructor("stranger")
        factories.EnrollmentFactory(
            user=self.other_instructor,
            course=factories.CourseFactory(title="Elsewhere"),
            role=Enrollment.Role.INSTRUCTOR,
        )


class AuthoringTestCase(FreshCacheMixin, ApiAssertions, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.w = AuthoringWorld()

    def setUp(self):
        super().setUp()
        self.client.force_login(self.w.instructor)

    @property
    def problem_url(self) -> str:
        return change("problem", self.w.problem.pk)

    def post_problem(self, **changes):
        return post_with_rows(self.client, self.problem_url, "test_cases", **changes)


class CodeFieldsTestCase(AuthoringTestCase):
    def test_each_language_has_an_editor_with_its_code_as_written(self):
        response = self.client.get(self.problem_url)
        form = response.context["adminform"].form
        for key in ("python", "c", "cpp", "javascript", "java"):
            self.assertIn(f"starter_code__{key}", form.fields)
            self.assertIn(f"template_override__{key}", form.fields)
        self.assertNotIn("starter_code", form.fields)
        self.assertNotIn("template_overrides", form.fields)
        self.assertContains(response, '<label for="id_starter_code__python">Starter code (python)')
        self.assertContains(response, 'class="django-ace-widget loading"')
        self.assertContains(response, 'data-mode="c_cpp"')
        # The code itself in the textarea under the editor (what works without JavaScript),
        # with real line breaks, not a JSON string with \n escapes.
        self.assertContains(response, "def solve(a, b):\n    pass\n</textarea>")
        self.assertNotContains(response, "\\n    pass")
        self.assertContains(response, "django_ace/ace/ace.js")
        self.assertContains(response, "courses/admin/authoring.js")

    def test_the_fields_are_assembled_into_the_json_fields_and_back(self):
        response = self.post_problem(
            starter_code__python="def solve(a, b):\r\n    return 0  \r\n",
            starter_code__c="void solve(void) {}\n",
            starter_code__java="   \r\n",  # blank: no starter code in Java
            template_override__python="# harness\r\n{{user_code}}\r\nprint({{entry_point}}())\r\n",
        )
        self.assertRedirects(response, changelist("problem"))
        problem = Problem.objects.get(pk=self.w.problem.pk)
        # Line breaks as LF (browsers send CRLF); trailing spaces kept; blanks left out.
        self.assertEqual(
            problem.starter_code,
            {"python": "def solve(a, b):\n    return 0  \n", "c": "void solve(void) {}\n"},
        )
        self.assertEqual(
            problem.template_overrides,
            {"python": "# harness\n{{user_code}}\nprint({{entry_point}}())\n"},
        )
        # And back: the page shows each language's text in its own field.
        form = self.client.get(self.problem_url).context["adminform"].form
        self.assertEqual(form.initial["starter_code__c"], "void solve(void) {}\n")
        self.assertEqual(
            form.initial["template_override__python"],
            "# harness\n{{user_code}}\nprint({{entry_point}}())\n",
        )
        self.assertNotIn("starter_code__java", form.initial)

    def test_a_new_problem_gets_its_code_and_due_date_from_the_add_page(self):
        url = reverse("admin:courses_problem_add")
        response = self.client.get(url)
        self.assertContains(response, "Due at (the course&#x27;s time zone)")
        data = form_data(response)
        data.update(
            {
                "chapter": self.w.chapter.pk,
                "title": "Double",
                "allowed_languages": ["python", "javascript"],
                "entry_point": "double",
                "starter_code__python": "def double(x):\r\n    pass\r\n",
                "starter_code__javascript": "function double(x) {}\r\n",
                "due_at_0": "2026-12-24",
                "due_at_1": "18:00",
                "test_cases-TOTAL_FORMS": "1",
                "test_cases-0-input": "[2]",
                "test_cases-0-expected_output": "4",
                "test_cases-0-weight": "1",
            }
        )
        self.assertRedirects(self.client.post(url, data), changelist("problem"))
        problem = Problem.objects.get(title="Double")
        self.assertEqual(
            problem.starter_code,
            {"python": "def double(x):\n    pass\n", "javascript": "function double(x) {}\n"},
        )
        self.assertEqual(problem.due_at, datetime(2026, 12, 24, 17, 0, tzinfo=UTC))
        self.assertEqual(list(problem.test_cases.values_list("order", flat=True)), [1])

    def test_emptying_a_field_removes_its_language(self):
        response = self.post_problem(starter_code__python="")
        self.assertRedirects(response, changelist("problem"))
        self.assertEqual(Problem.objects.get(pk=self.w.problem.pk).starter_code, {})

    def test_a_bad_template_is_refused_on_its_language_and_nothing_is_saved(self):
        response = self.post_problem(
            template_override__cpp="int main() { return 0; }", title="Renamed"
        )
        self.assertEqual(response.status_code, 200)
        errors = response.context["adminform"].form.errors
        self.assertEqual(set(errors), {"template_override__cpp"})
        self.assertIn("{{user_code}}", errors["template_override__cpp"][0])
        problem = Problem.objects.get(pk=self.w.problem.pk)
        self.assertEqual((problem.title, problem.template_overrides), ("Add", {}))

    def test_the_authoring_apis_bounds_hold_in_the_admin(self):
        # The report: the admin stored a time limit of 999999999 ms (11 days of a sandbox for
        # one looping submission), which the API and a package refuse.
        for name, value, bound in (
            ("time_limit_ms", "60001", "less than or equal to 60000"),
            ("memory_limit_kb", "2097153", "less than or equal to 2097152"),
            ("output_limit_kb", "0", "greater than or equal to 1"),
            ("points", "1000001", "less than or equal to 1000000"),
            ("statement", "x" * 100_001, "at most 100000 characters"),
            ("setup_code", "x" * 65_537, "at most 65536 characters"),
        ):
            with self.subTest(name=name):
                response = self.post_problem(**{name: value})
                self.assertEqual(response.status_code, 200)
                errors = response.context["adminform"].form.errors
                self.assertIn(bound, " ".join(errors.get(name, [])), errors)
        problem = Problem.objects.get(pk=self.w.problem.pk)
        self.assertEqual(problem.time_limit_ms, self.w.problem.time_limit_ms)
        row = {"input": "[1, 2]", "expected_output": "3", "weight": "1000001"}
        response = post_with_rows(self.client, self.problem_url, "test_cases", [row])
        weight_errors = inline_errors(response, "problemtestcase")[-1].get("weight", [])
        self.assertIn("less than or equal to 1000000", " ".join(weight_errors))
        page = self.client.get(self.problem_url).content.decode()
        self.assertIn('max="60000"', page)
        response = self.post_problem(time_limit_ms="60000")
        self.assertRedirects(response, changelist("problem"))
        self.assertEqual(Problem.objects.get(pk=self.w.problem.pk).time_limit_ms, 60000)

    def test_unknown_languages_are_refused(self):
        # No field exists for a language the platform does not have: nothing is stored.
        response = self.post_problem(starter_code__cobol="DISPLAY 3.")
        self.assertRedirects(response, changelist("problem"))
        self.assertNotIn("cobol", Problem.objects.get(pk=self.w.problem.pk).starter_code)
        # Allowed languages are the platform's, as checkboxes.
        response = self.post_problem(allowed_languages=["python", "cobol"])
        self.assertEqual(response.status_code, 200)
        self.assertEqual(set(response.context["adminform"].form.errors), {"allowed_languages"})
        # A reference solution's language is one of the platform's.
        row = {"language": "cobol", "code": "DISPLAY 3."}
        response = post_with_rows(self.client, self.problem_url, "reference_solutions", [row])
        self.assertEqual(response.status_code, 200)
        formset = next(
            inline.formset
            for inline in response.context["inline_admin_formsets"]
            if inline.opts.model is ReferenceSolution
        )
        self.assertEqual(set(formset.forms[-1].errors), {"language"})
        self.assertEqual(self.w.problem.reference_solutions.count(), 1)

    def test_allowed_languages_are_checkboxes_saved_as_a_list(self):
        response = self.client.get(self.problem_url)
        self.assertContains(response, 'type="checkbox" name="allowed_languages" value="cpp"')
        response = self.post_problem(allowed_languages=["python", "cpp"])
        self.assertRedirects(response, changelist("problem"))
        self.assertEqual(
            Problem.objects.get(pk=self.w.problem.pk).allowed_languages, ["python", "cpp"]
        )

    def test_reference_solutions_are_edited_in_an_editor_with_a_language_select(self):
        response = self.client.get(self.problem_url)
        self.assertContains(response, '<select name="reference_solutions-0-language"')
        self.assertContains(response, ">Python 3 (python)</option>")
        self.assertContains(response, "def solve(a, b):\n    return a + b\n</textarea>")
        data = form_data(response)
        data["reference_solutions-0-code"] = "def solve(a, b):\r\n    return b + a\r\n"
        self.assertRedirects(self.client.post(self.problem_url, data), changelist("problem"))
        self.w.reference.refresh_from_db()
        self.assertEqual(self.w.reference.code, "def solve(a, b):\n    return b + a\n")

    def test_a_template_change_judges_again_and_a_starter_code_change_does_not(self):
        ReferenceSolution.objects.filter(pk=self.w.reference.pk).update(
            validation_status="accepted"
        )
        self.assertRedirects(
            self.post_problem(starter_code__python="# go\n"), changelist("problem")
        )
        self.w.reference.refresh_from_db()
        self.assertEqual(self.w.reference.validation_status, "accepted")
        self.assertRedirects(
            self.post_problem(template_override__python="{{user_code}}\n"),
            changelist("problem"),
        )
        self.w.reference.refresh_from_db()
        self.assertEqual(self.w.reference.validation_status, "")  # judged again after commit

    def test_test_data_typed_in_the_form_keeps_lf_line_breaks(self):
        problem = factories.ProblemFactory(chapter=self.w.chapter, io_mode="stdio", checker="exact")
        url = change("problem", problem.pk)
        row = {"input": "1 2\r\n3 4\r\n", "expected_output": "3\r\n7\r\n", "weight": "1"}
        self.assertRedirects(
            post_with_rows(self.client, url, "test_cases", [row]), changelist("problem")
        )
        case = problem.test_cases.get()
        self.assertEqual((case.input, case.expected_output), ("1 2\n3 4\n", "3\n7\n"))


class StatementPreviewTestCase(AuthoringTestCase):
    url = reverse("admin:courses_problem_preview")
    HOSTILE = (
        "# Title\n\nSee [this](javascript:alert(1)).\n\n<script>alert(1)</script>\n\n"
        '<img src=x onerror="alert(2)">\n\n```python\nprint(1)\n```\n'
    )

    def test_the_preview_is_the_sites_sanitised_markdown(self):
        response = self.client.post(
            self.url, {"statement": self.HOSTILE}, headers={"X-Requested-With": "XMLHttpRequest"}
        )
        self.assertEqual(response.status_code, 200)
        body = response.content.decode()
        self.assertIn("<h1>Title</h1>", body)
        self.assertIn('<pre class="highlight"><code class="language-python">', body)
        for forbidden in ("<script", 'href="javascript:', "<a ", "<img", "<html"):
            self.assertNotIn(forbidden, body)
        self.assertIn("&lt;script&gt;", body)  # shown as text, never a tag

    def test_without_javascript_the_preview_is_a_page_of_its_own(self):
        response = self.client.post(self.url, {"statement": "Hello *world*", "title": "x"})
        self.assertContains(response, "<em>world</em>")
        self.assertContains(response, "<html")
        self.assertContains(response, "Statement preview")

    def test_the_statement_field_has_the_preview_button(self):
        response = self.client.get(self.problem_url)
        self.assertContains(response, f'formaction="{self.url}"')
        self.assertContains(response, "Preview statement</button>")

    def test_only_staff_with_problem_rights_may_preview_and_only_by_post(self):
        self.assertEqual(self.client.get(self.url).status_code, 405)
        for user in (None, self.w.student):
            client = Client()
            if user is not None:
                client.force_login(user)
            response = client.post(self.url, {"statement": "x"})
            self.assertRedirects(
                response, f"{reverse('admin:login')}?next={self.url}", fetch_redirect_response=False
            )
        bare = factories.UserFactory(username="bare-staff", is_staff=True)
        client = Client()
        client.force_login(bare)
        self.assertEqual(client.post(self.url, {"statement": "x"}).status_code, 403)

    def test_the_preview_needs_the_csrf_token(self):
        client = Client(enforce_csrf_checks=True)
        client.force_login(self.w.instructor)
        self.assertEqual(client.post(self.url, {"statement": "x"}).status_code, 403)


class CaseUploadTestCase(AuthoringTestCase):
    GOOD = {
        "tests/sample1.in": "[1, 2]",
        "tests/sample1.out": "3",
        "tests/10.in": "[5, 5]",
        "tests/10.out": "10",
        "tests/2.in": "[2, 2]",
        "tests/2.out": "4",
    }

    @property
    def url(self) -> str:
        return reverse("admin:courses_problem_cases_upload", args=[self.w.problem.pk])

    def cases(self) -> list[tuple]:
        return list(
            self.w.problem.test_cases.order_by("order").values_list("order", "input", "is_sample")
        )

    def test_the_problem_page_links_to_the_upload_form(self):
        self.assertContains(self.client.get(self.problem_url), f'href="{self.url}"')
        response = self.client.get(self.url)
        self.assertContains(response, '<label for="id_archive">Zip archive')
        self.assertContains(response, 'name="csrfmiddlewaretoken"')
        self.assertContains(response, 'enctype="multipart/form-data"')

    def test_a_good_archive_replaces_the_cases_and_shows_them(self):
        response = self.client.post(
            self.url, {"archive": upload(make_zip(self.GOOD)), "mode": "replace"}
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            self.cases(), [(1, "[1, 2]", True), (2, "[2, 2]", False), (3, "[5, 5]", False)]
        )
        created = [(item.name, item.case.order) for item in response.context["result"].created]
        self.assertEqual(created, [("sample1", 1), ("2", 2), ("10", 3)])
        self.assertContains(response, "3 test cases imported, replacing 2 earlier ones.")
        self.assertContains(response, '<th scope="row">sample1</th><td>1</td><td>sample</td>')

    def test_append_puts_them_after_the_existing_ones(self):
        response = self.client.post(
            self.url, {"archive": upload(make_zip(self.GOOD)), "mode": "append"}
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual([order for order, *_ in self.cases()], [1, 2, 3, 4, 5])

    def assertRefused(self, response, words: str):
        """The service's words next to the archive field, and no case written."""
        self.assertEqual(response.status_code, 200)
        form = response.context["form"]
        self.assertIn(words, " ".join(form.errors.get("archive", [])))
        self.assertContains(response, html.escape(words))
        self.assertEqual(self.cases(), [(1, "[1, 2]", True), (2, "[20, 22]", False)])

    def test_a_hostile_archive_is_refused_in_the_services_words_and_nothing_is_written(self):
        for entries, words in (
            ({"../evil.in": "[1]", "../evil.out": "1"}, "Paths may not contain empty, '.' or '..'"),
            ({"/etc/passwd.in": "[1]", "/etc/passwd.out": "1"}, "Absolute paths are not allowed"),
            ({"1.in": "[1, 2]"}, "1.in has no 1.out to pair with"),
            ({"run.sh": "rm -rf /"}, "Only NAME.in and NAME.out files are allowed"),
            ({"1.in": "1 2", "1.out": "3"}, "a function-style problem takes a JSON array"),
        ):
            with self.subTest(words=words):
                response = self.client.post(
                    self.url, {"archive": upload(make_zip(entries)), "mode": "replace"}
                )
                self.assertRefused(response, words)

    def test_a_problem_with_subtasks_takes_no_archive(self):
        # The report: the zip's cases landed in no subtask, and every submission to the
        # problem (and its reference solution) was then judged internal_error.
        judging_authoring.subtask_create(problem=self.w.problem, points=10)
        for mode in ("append", "replace"):
            with self.subTest(mode=mode):
                response = self.client.post(
                    self.url, {"archive": upload(make_zip(self.GOOD)), "mode": mode}
                )
                self.assertRefused(response, "The problem has subtasks and every case belongs")
        self.assertFalse(self.w.problem.test_cases.filter(subtask__isnull=True).exists())

    def test_a_file_that_is_no_zip_is_refused(self):
        response = self.client.post(
            self.url, {"archive": upload(b"PK? not really", "x.zip"), "mode": "replace"}
        )
        self.assertRefused(response, "This is not a readable zip archive")

    @override_settings(COURSES_CASE_ARCHIVE_MAX_BYTES=64)
    def test_an_archive_over_the_size_limit_is_refused(self):
        response = self.client.post(
            self.url, {"archive": upload(make_zip(self.GOOD)), "mode": "append"}
        )
        self.assertRefused(response, "The archive is larger than 64 bytes.")

    def test_a_mode_is_required(self):
        response = self.client.post(self.url, {"archive": upload(make_zip(self.GOOD))})
        self.assertEqual(set(response.context["form"].errors), {"mode"})
        self.assertEqual(len(self.cases()), 2)

    def test_only_the_courses_instructors_upload(self):
        data = make_zip(self.GOOD)
        for user, status in (
            (self.w.assistant, 403),  # staff of the course, but not its instructor (as the API)
            (self.w.other_instructor, 404),  # not a member: the problem is not found
        ):
            with self.subTest(user=user.username):
                self.client.force_login(user)
                response = self.client.post(self.url, {"archive": upload(data), "mode": "replace"})
                self.assertEqual(response.status_code, status)
        for user in (None, self.w.student):
            client = Client()
            if user is not None:
                client.force_login(user)
            self.assertRedirects(
                client.get(self.url),
                f"{reverse('admin:login')}?next={self.url}",
                fetch_redirect_response=False,
            )
        self.assertEqual(len(self.cases()), 2)

    def test_the_upload_page_costs_the_same_whatever_the_number_of_cases(self):
        def count() -> int:
            return self.count_queries(lambda: self.client.get(self.url))

        count()  # the roles' cache filled
        before = count()
        for order in range(10, 40):
            factories.ProblemTestCaseFactory(problem=self.w.problem, order=order, input="[1, 1]")
        self.assertEqual(count(), before)


@override_settings(COURSES_JUDGE_BACKEND=backend_path(EchoSumBackend))
class ValidateTestCase(AuthoringTestCase):
    @property
    def url(self) -> str:
        return reverse("admin:courses_problem_validate", args=[self.w.problem.pk])

    def test_validate_judges_and_shows_the_verdict_of_every_case(self):
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(self.url)
        self.assertRedirects(response, self.problem_url + "#validation")
        page = self.client.get(self.problem_url)
        report = page.context["validation"]
        self.assertEqual(report.state, "done")
        self.assertContains(page, "State:</strong> Done")
        self.assertContains(page, "<caption>Verdicts per case (python)</caption>")
        html = page.content.decode()
        table = html[html.index("Verdicts per case (python)") :]
        accepted = '<span class="verdict verdict-good">Accepted</span>'
        self.assertIn(f'<th scope="row">1</th><td>sample</td><td>{accepted}', table)
        self.assertIn(f'<th scope="row">2</th><td>hidden</td><td>{accepted}', table)
        self.assertContains(page, "2 of 2 cases passed")
        self.assertContains(page, "(Europe/Paris)")  # when, on the course's clocks

    @override_settings(COURSES_JUDGE_BACKEND=backend_path(WrongBackend))
    def test_a_failing_reference_shows_its_first_failure(self):
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(self.url)
        page = self.client.get(self.problem_url)
        self.assertContains(page, '<span class="verdict verdict-bad">Wrong answer</span>')
        self.assertContains(page, "First failing case: 1")
        self.assertContains(page, "0 of 2 cases passed")
        # The state says so: it said "Done" over a failing reference (outside walk-through).
        self.assertEqual(page.context["validation"].state, "failing")
        self.assertContains(page, "State:</strong> Judged, with a problem: 1 of 1 reference")

    def test_until_the_judge_has_run_the_state_is_pending(self):
        # In a test transaction nothing is committed, so the judging task never runs.
        response = self.client.post(self.url, follow=True)
        self.assertEqual(response.context["validation"].state, "pending")
        self.assertContains(response, "State:</strong> Pending")
        self.assertContains(response, "validation is running")
        self.assertContains(response, "Not judged since the problem")

    def test_nothing_to_validate_is_said_in_the_services_words(self):
        ReferenceSolution.objects.filter(problem=self.w.problem).delete()
        response = self.client.post(self.url, follow=True)
        self.assertContains(
            response, "The problem has no reference solution; add one to validate its test data."
        )
        self.assertEqual(response.context["validation"].state, "nothing")
        self.assertContains(response, "Nothing to validate yet: add a reference solution.")
        self.w.problem.test_cases.all().delete()
        factories.ReferenceSolutionFactory(problem=self.w.problem, code=ADD)
        response = self.client.get(self.problem_url)
        self.assertContains(response, "Nothing to validate yet: add test cases.")

    def test_validate_is_a_post_with_csrf_for_the_courses_staff(self):
        self.assertEqual(self.client.get(self.url).status_code, 405)
        client = Client(enforce_csrf_checks=True)
        client.force_login(self.w.instructor)
        self.assertEqual(client.post(self.url).status_code, 403)
        self.client.force_login(self.w.other_instructor)
        self.assertEqual(self.client.post(self.url).status_code, 404)
        # Assistants may validate (it judges, it edits nothing: as in the API), but the admin
        # shows them no content, so they land on its index.
        self.client.force_login(self.w.assistant)
        self.assertRedirects(self.client.post(self.url), reverse("admin:index"))
        student = Client()
        student.force_login(self.w.student)
        self.assertRedirects(
            student.post(self.url),
            f"{reverse('admin:login')}?next={self.url}",
            fetch_redirect_response=False,
        )

    def test_the_problem_page_costs_the_same_whatever_the_number_of_cases_and_solutions(self):
        def count() -> int:
            return self.count_queries(lambda: self.client.get(self.problem_url))

        count()  # the roles' cache filled
        before = count()
        for order in range(10, 40):
            factories.ProblemTestCaseFactory(problem=self.w.problem, order=order, input="[1, 1]")
        for title in ("More", "And more"):
            factories.ChapterFactory(course=self.w.course, title=title)
        for language in ("c", "cpp", "java"):
            factories.ReferenceSolutionFactory(problem=self.w.problem, language=language, code="x")
        self.assertEqual(count(), before)


@override_settings(COURSES_JUDGE_BACKEND=backend_path(EchoSumBackend))
class ValidateCommittedTestCase(FreshCacheMixin, TransactionTestCase):
    """As in production: the request commits, judging runs (inline here) and the message says
    how it went."""

    def setUp(self):
        super().setUp()
        self.w = AuthoringWorld()
        self.client.force_login(self.w.instructor)

    def test_validate_says_the_verdicts_once_judged(self):
        url = reverse("admin:courses_problem_validate", args=[self.w.problem.pk])
        response = self.client.post(url, follow=True)
        messages = [str(m) for m in response.context["messages"]]
        self.assertEqual(messages, ["Add validated. python: Accepted (2 of 2 cases passed)."])
        self.assertEqual(response.context["validation"].state, "done")

    def test_the_changelist_action_validates_the_selected_problems(self):
        response = self.client.post(
            changelist("problem"),
            {"action": "validate_selected", "_selected_action": [self.w.problem.pk]},
            follow=True,
        )
        self.assertContains(response, "Add validated. python: Accepted (2 of 2 cases passed).")
        self.w.reference.refresh_from_db()
        self.assertEqual(self.w.reference.validation_status, "accepted")


class CourseTimesTestCase(AuthoringTestCase):
    """Exam times and due dates on the course's clocks, whatever the server's zone (UTC)."""

    def setUp(self):
        super().setUp()
        self.exam = factories.ExamFactory(
            course=self.w.course,
            title="Midterm",
            opens_at=datetime(2026, 6, 1, 7, 0, tzinfo=UTC),
            closes_at=datetime(2026, 6, 1, 9, 0, tzinfo=UTC),
        )
        self.url = change("exam", self.exam.pk)

    def post_exam(self, **local):
        """The exam's form as shown, with ``name=(date, time)`` typed in."""
        data = form_data(self.client.get(self.url))
        for name, value in local.items():
            if isinstance(value, tuple):
                data[f"{name}_0"], data[f"{name}_1"] = value
            else:
                data[name] = value
        return self.client.post(self.url, data)

    def test_exam_times_are_shown_on_the_courses_clocks_with_the_zone_named(self):
        response = self.client.get(self.url)
        self.assertContains(response, "Opens at (Europe/Paris)")
        self.assertContains(response, "Closes at (Europe/Paris)")
        self.assertContains(response, "Results released at (Europe/Paris)")
        # 07:00 UTC is 09:00 in Paris in June.
        self.assertContains(response, 'name="opens_at_0" value="2026-06-01"')
        self.assertContains(response, 'name="opens_at_1" value="09:00:00"')

    def test_list_pages_show_times_on_the_courses_clocks_with_the_zone_named(self):
        self.exam.opens_at = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)  # 00:00 in Paris
        self.exam.closes_at = datetime(2026, 12, 1, 1, 30, tzinfo=UTC)
        self.exam.save()
        attempt = exam_attempt_start(
            exam=self.exam, user=self.w.student, now=datetime(2026, 11, 30, 23, 5, tzinfo=UTC)
        )
        exams = self.client.get(changelist("exam"))
        self.assertContains(exams, "1 Dec 2026, 00:00 CET (Europe/Paris)")  # opens
        self.assertContains(exams, "1 Dec 2026, 02:30 CET (Europe/Paris)")  # closes
        self.assertNotContains(exams, "11 p.m.")
        for url in (changelist("examattempt"), change("examattempt", attempt.pk)):
            with self.subTest(url=url):
                page = self.client.get(url)
                self.assertContains(page, "1 Dec 2026, 00:05 CET (Europe/Paris)")  # started
                self.assertContains(page, "1 Dec 2026, 01:05 CET (Europe/Paris)")  # deadline
                self.assertNotContains(page, "11:05 p.m.")
        # Still sorted by the instant.
        self.assertEqual(self.client.get(changelist("examattempt"), {"o": "3"}).status_code, 200)

    def test_a_normal_local_time_is_saved_in_utc(self):
        response = self.post_exam(
            opens_at=("2026-01-10", "09:00"), closes_at=("2026-01-10", "11:30:00")
        )
        self.assertRedirects(response, changelist("exam"))
        self.exam.refresh_from_db()
        self.assertEqual(self.exam.opens_at, datetime(2026, 1, 10, 8, 0, tzinfo=UTC))
        self.assertEqual(self.exam.closes_at, datetime(2026, 1, 10, 10, 30, tzinfo=UTC))

    def test_a_time_that_does_not_exist_is_refused_with_a_clear_message(self):
        response = self.post_exam(
            opens_at=("2026-03-29", "02:30"), closes_at=("2026-03-29", "05:00")
        )
        self.assertEqual(response.status_code, 200)
        errors = response.context["adminform"].form.errors
        self.assertEqual(set(errors), {"opens_at"})
        self.assertIn("2026-03-29 02:30 does not exist in Europe/Paris", errors["opens_at"][0])
        self.assertContains(response, "the clocks jump from 02:00 CET to 03:00 CEST")
        self.exam.refresh_from_db()
        self.assertEqual(self.exam.opens_at, datetime(2026, 6, 1, 7, 0, tzinfo=UTC))

    def test_an_ambiguous_time_asks_which_and_only_then(self):
        response = self.client.get(self.url)
        self.assertContains(response, 'type="hidden" name="opens_at_fold"')
        self.assertNotContains(response, "the first (02:30 CEST")
        response = self.post_exam(
            opens_at=("2026-10-25", "02:30"), closes_at=("2026-10-25", "06:00")
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn(
            "happens twice in Europe/Paris",
            response.context["adminform"].form.errors["opens_at"][0],
        )
        self.assertContains(response, 'type="radio" name="opens_at_fold" value="0"')
        self.assertContains(response, "the first (02:30 CEST, UTC+02:00)")
        self.assertContains(response, "the second (02:30 CET, UTC+01:00)")
        self.assertContains(response, "Which 02:30 on 2026-10-25 (opens at)?")
        self.exam.refresh_from_db()
        self.assertEqual(self.exam.opens_at, datetime(2026, 6, 1, 7, 0, tzinfo=UTC))
        for fold, instant in (
            ("0", datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
            ("1", datetime(2026, 10, 25, 1, 30, tzinfo=UTC)),
        ):
            with self.subTest(fold=fold):
                response = self.post_exam(
                    opens_at=("2026-10-25", "02:30"),
                    opens_at_fold=fold,
                    closes_at=("2026-10-25", "06:00"),
                )
                self.assertRedirects(response, changelist("exam"))
                self.exam.refresh_from_db()
                self.assertEqual(self.exam.opens_at, instant)

    def test_a_saved_repeated_time_shows_which_it_is_and_keeps_its_instant(self):
        second = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # the second 02:30 (CET)
        Exam.objects.filter(pk=self.exam.pk).update(
            opens_at=second, closes_at=second + timedelta(hours=3)
        )
        response = self.client.get(self.url)
        self.assertContains(
            response, 'type="radio" name="opens_at_fold" value="1" id="id_opens_at_fold_1" checked'
        )
        self.assertContains(response, 'type="hidden" name="closes_at_fold"')  # 05:30: once
        response = self.post_exam(title="Renamed")
        self.assertRedirects(response, changelist("exam"))
        self.exam.refresh_from_db()
        self.assertEqual((self.exam.title, self.exam.opens_at), ("Renamed", second))
        # The other one, by choosing it.
        self.assertRedirects(self.post_exam(opens_at_fold="0"), changelist("exam"))
        self.exam.refresh_from_db()
        self.assertEqual(self.exam.opens_at, second - timedelta(hours=1))

    def test_times_outside_the_supported_range_are_refused_on_their_field(self):
        for opens, closes, refused in (
            # Years the conversion to UTC cannot even reach (a crash before), then years it can.
            (("0001-01-01", "00:00"), ("9999-12-31", "23:59:59"), {"opens_at", "closes_at"}),
            (("1900-01-01", "00:09:20"), ("2026-01-10", "10:00"), {"opens_at"}),  # 1899 in UTC
            (("2026-01-10", "09:00"), ("9001-01-01", "01:00"), {"closes_at"}),
        ):
            with self.subTest(opens=opens, closes=closes):
                response = self.post_exam(opens_at=opens, closes_at=closes)
                self.assertEqual(response.status_code, 200)
                errors = response.context["adminform"].form.errors
                self.assertEqual(set(errors), refused)
                for field in refused:
                    self.assertIn(RANGE, errors[field][0])
        self.exam.refresh_from_db()
        self.assertEqual(self.exam.opens_at, datetime(2026, 6, 1, 7, 0, tzinfo=UTC))
        response = self.post_exam(duration_minutes=str(MAX_DURATION_MINUTES + 1))
        self.assertEqual(set(response.context["adminform"].form.errors), {"duration_minutes"})
        # The ends of the range, on Paris's clocks of the time (PMT, then CET).
        response = self.post_exam(
            opens_at=("1900-01-01", "00:09:21"),
            closes_at=("9001-01-01", "00:59:59"),
            results_released_at=("9001-01-01", "00:59:59"),
            duration_minutes=str(MAX_DURATION_MINUTES),
        )
        self.assertRedirects(response, changelist("exam"))
        self.exam.refresh_from_db()
        self.assertEqual(self.exam.opens_at, EARLIEST)
        self.assertEqual(self.exam.closes_at, LATEST.replace(microsecond=0))

    def test_a_stored_time_the_zone_cannot_show_keeps_the_form_usable(self):
        # Saved before the range was enforced: the form opens, and asks for a time in range.
        Exam.objects.filter(pk=self.exam.pk).update(
            closes_at=datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
        )
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 200)
        response = self.post_exam(title="Renamed")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(set(response.context["adminform"].form.errors), {"closes_at"})
        response = self.post_exam(closes_at=("2026-06-01", "12:00"))
        self.assertRedirects(response, changelist("exam"))
        self.exam.refresh_from_db()
        self.assertEqual(self.exam.closes_at, datetime(2026, 6, 1, 10, 0, tzinfo=UTC))

    def test_chapter_and_problem_due_dates_outside_the_range_are_refused(self):
        url = change("chapter", self.w.chapter.pk)
        data = form_data(self.client.get(url))
        data.update({"due_at_0": "9999-12-31", "due_at_1": "23:59"})
        response = self.client.post(url, data)
        self.assertIn(RANGE, response.context["adminform"].form.errors["due_at"][0])
        response = self.post_problem(due_at_0="1899-06-01", due_at_1="12:00")
        self.assertIn(RANGE, response.context["adminform"].form.errors["due_at"][0])
        self.assertIsNone(Chapter.objects.get(pk=self.w.chapter.pk).due_at)
        self.assertIsNone(Problem.objects.get(pk=self.w.problem.pk).due_at)

    def test_closing_an_exam_earlier_here_ends_the_running_attempts_by_then(self):
        attempt = exam_attempt_start(
            exam=self.exam, user=self.w.student, now=datetime(2026, 6, 1, 7, 10, tzinfo=UTC)
        )
        self.assertEqual(attempt.deadline, datetime(2026, 6, 1, 8, 10, tzinfo=UTC))
        response = self.post_exam(title="Renamed")  # the window as it was: nothing moves
        self.assertRedirects(response, changelist("exam"))
        attempt.refresh_from_db()
        self.assertEqual(attempt.deadline, datetime(2026, 6, 1, 8, 10, tzinfo=UTC))
        response = self.post_exam(closes_at=("2026-06-01", "09:30"))  # 07:30 UTC
        self.assertRedirects(response, changelist("exam"))
        attempt.refresh_from_db()
        self.assertEqual(attempt.deadline, datetime(2026, 6, 1, 7, 30, tzinfo=UTC))

    def test_an_exam_must_close_after_it_opens(self):
        response = self.post_exam(
            opens_at=("2026-01-10", "11:00"), closes_at=("2026-01-10", "10:00")
        )
        self.assertEqual(set(response.context["adminform"].form.errors), {"closes_at"})

    def test_a_new_exam_takes_the_zone_of_the_course_chosen(self):
        response = self.client.get(reverse("admin:courses_exam_add"))
        self.assertContains(response, "Opens at (the course&#x27;s time zone)")
        data = form_data(response)
        data.update(
            {
                "course": self.w.course.pk,
                "title": "Final",
                "opens_at_0": "2026-12-01",
                "opens_at_1": "08:00",
                "closes_at_0": "2026-12-01",
                "closes_at_1": "10:00",
                "duration_minutes": "60",
            }
        )
        response = self.client.post(reverse("admin:courses_exam_add"), data)
        self.assertRedirects(response, changelist("exam"))
        final = Exam.objects.get(title="Final")
        self.assertEqual(final.opens_at, datetime(2026, 12, 1, 7, 0, tzinfo=UTC))

    def test_a_passing_percentage_set_here_moves_the_passing_score(self):
        factories.ExamProblemFactory(exam=self.exam, problem=self.w.problem, score=Decimal("40"))
        response = self.post_exam(passing_percentage="50")
        self.assertRedirects(response, changelist("exam"))
        self.exam.refresh_from_db()
        self.assertEqual(self.exam.passing_score, Decimal("20.00"))

    def test_chapter_due_dates_are_on_the_courses_clocks(self):
        url = change("chapter", self.w.chapter.pk)
        response = self.client.get(url)
        self.assertContains(response, "Due at (Europe/Paris)")
        data = form_data(response)
        data.update({"due_at_0": "2026-03-29", "due_at_1": "02:30"})
        response = self.client.post(url, data)
        self.assertIn(
            "does not exist in Europe/Paris", response.context["adminform"].form.errors["due_at"][0]
        )
        data.update({"due_at_0": "2026-11-02", "due_at_1": "23:59"})
        self.assertRedirects(self.client.post(url, data), changelist("chapter"))
        self.assertEqual(
            Chapter.objects.get(pk=self.w.chapter.pk).due_at,
            datetime(2026, 11, 2, 22, 59, tzinfo=UTC),
        )

    def test_chapter_due_dates_on_the_course_page_too(self):
        url = change("course", self.w.course.pk)
        response = self.client.get(url)
        self.assertContains(response, "Due at (Europe/Paris)")
        data = form_data(response)
        data.update({"chapters-0-due_at_0": "2026-10-25", "chapters-0-due_at_1": "02:30"})
        response = self.client.post(url, data)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "happens twice in Europe/Paris")
        data["chapters-0-due_at_fold"] = "1"
        self.assertRedirects(self.client.post(url, data), changelist("course"))
        self.assertEqual(
            Chapter.objects.get(pk=self.w.chapter.pk).due_at,
            datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
        )

    def test_problem_due_dates_are_on_the_courses_clocks(self):
        response = self.client.get(self.problem_url)
        self.assertContains(response, "Due at (Europe/Paris)")
        response = self.post_problem(due_at_0="2026-07-14", due_at_1="12:00")
        self.assertRedirects(response, changelist("problem"))
        self.assertEqual(
            Problem.objects.get(pk=self.w.problem.pk).due_at,
            datetime(2026, 7, 14, 10, 0, tzinfo=UTC),
        )


class ExamPracticeWarningTestCase(AuthoringTestCase):
    """A practice problem in an exam stays open for practice during it: the exam's page says so."""

    def setUp(self):
        super().setUp()
        self.exam = factories.ExamFactory(course=self.w.course, title="Midterm")
        self.own = factories.ProblemFactory(
            chapter=self.w.chapter, title="Exam only one", is_exam_only=True
        )
        factories.ExamProblemFactory(exam=self.exam, problem=self.w.problem, order=1)
        factories.ExamProblemFactory(exam=self.exam, problem=self.own, order=2)
        self.url = change("exam", self.exam.pk)

    def warnings(self, response) -> list[str]:
        return [str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "warning"]

    def test_the_exam_page_warns_which_problems_are_open_for_practice(self):
        response = self.client.get(self.url)
        self.assertEqual(
            self.warnings(response),
            [
                "Open for practice: “Add”. Students can submit them for practice, with full "
                "feedback, during the exam: mark them “exam only” (the problem's “Is exam "
                "only” box)."
            ],
        )
        self.assertContains(response, "Open for practice")  # the column of its problems
        self.assertContains(response, "Yes: students can submit it for practice")
        # Saved and left for the list: said again, since the list does not show it.
        response = self.client.post(self.url, form_data(self.client.get(self.url)), follow=True)
        self.assertRedirects(response, changelist("exam"))
        self.assertContains(response, "Open for practice: “Add”.")

    def test_an_exam_of_exam_only_problems_has_no_warning(self):
        Problem.objects.filter(pk=self.w.problem.pk).update(is_exam_only=True)
        response = self.client.get(self.url)
        self.assertEqual(self.warnings(response), [])
        self.assertNotContains(response, "Yes: students can submit it for practice")


class AdminAccessTestCase(AuthoringTestCase):
    def test_an_assistant_cannot_edit_content(self):
        self.client.force_login(self.w.assistant)
        for url in (
            self.problem_url,
            change("exam", factories.ExamFactory(course=self.w.course).pk),
        ):
            with self.subTest(url=url):
                response = self.client.get(url)
                self.assertRedirects(response, reverse("admin:index"))
        response = self.client.post(
            self.problem_url, {"title": "Hijacked", "chapter": self.w.chapter.pk}
        )
        self.assertRedirects(response, reverse("admin:index"))
        self.assertEqual(Problem.objects.get(pk=self.w.problem.pk).title, "Add")
        preview = reverse("admin:courses_problem_preview")
        # Previewing text reveals nothing and changes nothing: staff with the rights may.
        self.assertEqual(self.client.post(preview, {"statement": "x"}).status_code, 200)

    def test_a_non_staff_user_cannot_reach_the_admin(self):
        for user in (self.w.student, factories.UserFactory(username="nobody")):
            client = Client()
            client.force_login(user)
            for url in (reverse("admin:index"), self.problem_url):
                with self.subTest(user=user.username, url=url):
                    response = client.get(url)
                    self.assertRedirects(
                        response,
                        f"{reverse('admin:login')}?next={url}",
                        fetch_redirect_response=False,
                    )


class HelpTextTestCase(AuthoringTestCase):
    def test_the_problem_page_explains_what_confuses(self):
        response = self.client.get(self.problem_url)
        for words in (
            "JSON array of the arguments",  # io mode: what "function" expects as input
            "<b>stdio</b>: students write a whole program",
            "<code>{{user_code}}</code> exactly once",  # template overrides and placeholders
            "<code>{{entry_point}}</code>",
            "<b>tokens</b>: the same words and numbers",  # the checkers
            "<b>float</b>: numbers equal within the tolerances",
            "<b>json</b>: the same JSON value",
            "at least 1",  # a case's weight
            "Samples are shown to students",
            "This problem's own due date",
            "a function-style problem calls",  # entry point
        ):
            with self.subTest(words=words):
                self.assertContains(response, words)

    def test_the_exam_page_explains_passing_score_feedback_and_times(self):
        exam = factories.ExamFactory(course=self.w.course)
        response = self.client.get(change("exam", exam.pk))
        for words in (
            "Ignored when a passing percentage is set",
            "When set it wins: the passing score becomes this share of the total",
            "<b>Sample cases only</b>",
            "<b>Nothing</b>: only that the submission was received",
            "From when students see their scores",
            "whichever comes first",
        ):
            with self.subTest(words=words):
                self.assertContains(response, words)

    def test_the_course_page_explains_the_late_policy_zone_and_due_dates(self):
        response = self.client.get(change("course", self.w.course.pk))
        for words in (
            "<b>Penalty per day late</b>",
            "<b>Not counted</b>",
            "one minute late is one day",
            "An IANA name such as <code>Europe/Paris</code>",
        ):
            with self.subTest(words=words):
                self.assertContains(response, words)
        response = self.client.get(change("chapter", self.w.chapter.pk))
        self.assertContains(response, "a problem's own due date wins")
