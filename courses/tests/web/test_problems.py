"""The problem page, Run and Submit, a submission's page and its polling partial.

Who may open what (the API's rules, through the same selectors), what Run and Submit show with
and without htmx, errors next to the fields in the API's words, the polling and its stop,
the exam feedback rule, no hidden test data in any HTML, and bounded query counts.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.test import TestCase, TransactionTestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from courses.judging.types import Outcome, RunResult
from courses.models import Submission
from courses.services.code_executor import CodeExecutorService
from courses.tests import factories
from courses.tests.api_support import (
    ADD,
    AcceptingBackend,
    ApiAssertions,
    BusyBackend,
    RoleWorld,
    UnreachableBackend,
    WrongBackend,
    backend_path,
    code_of_bytes,
    judged_submission,
    problem_with_cases,
)
from courses.tests.sandbox_fixtures import requires_sandbox
from courses.tests.scripted_backend import ScriptedBackend
from courses.tests.signals.support import FreshCacheMixin
from courses.web.coding import poll_delay_s

HTMX = {"HTTP_HX_REQUEST": "true"}
#: What only the hidden case of ``problem_with_cases`` and ``judged_submission`` hold.
HIDDEN_TEXTS = ("[1, 2] hidden", "output of case 1", "stderr of case 1")


def field_errors(response, field: str) -> str:
    """The text of the error list next to one field of the editor, as the page renders it."""
    match = re.search(
        rf'id="id_{field}-errors"[^>]*>(.*?)</div>', response.content.decode(), flags=re.S
    )
    return re.sub(r"<[^>]+>", " ", match.group(1)).strip() if match else ""


class ProblemsTestCase(FreshCacheMixin, ApiAssertions, TestCase):
    def setUp(self):
        super().setUp()
        self.w = RoleWorld(name="problems")
        self.student = self.w.users["student"]
        self.problem = self.w.problem

    def login(self, role: str = "student"):
        self.client.logout()
        if role != "anonymous":
            self.client.force_login(self.w.users[role])

    def problem_url(self, problem=None, name="web:problem"):
        return reverse(name, args=[(problem or self.problem).pk])

    def post_code(self, name, *, problem=None, htmx=False, **data):
        body = {"language": "python", "code": ADD, "stdin": "", **data}
        return self.client.post(self.problem_url(problem, name), body, **(HTMX if htmx else {}))

    def assertNoHiddenData(self, response):
        html = response.content.decode()
        for text in HIDDEN_TEXTS:
            self.assertNotIn(text, html)


# --- Who may open what --------------------------------------------------------------------------


class AccessTestCase(ProblemsTestCase):
    def test_anonymous_visitors_are_sent_to_the_login_page(self):
        self.login("anonymous")
        submission = reverse("web:submission", args=[self.w.submission.pk])
        status = reverse("web:submission-status", args=[self.w.submission.pk])
        for method, url in (
            ("get", self.problem_url()),
            ("post", self.problem_url(name="web:problem-run")),
            ("post", self.problem_url(name="web:problem-submit")),
            ("get", submission),
            ("get", status),
        ):
            with self.subTest(url=url):
                response = getattr(self.client, method)(url)
                self.assertRedirects(
                    response, f"{reverse('web:login')}?next={url}", fetch_redirect_response=False
                )
        self.assertEqual(Submission.objects.count(), 2)  # RoleWorld's own

    def test_a_non_member_gets_the_403_page_with_the_not_enrolled_message(self):
        for role in ("non_member", "other_instructor"):
            with self.subTest(role=role):
                self.login(role)
                response = self.client.get(self.problem_url())
                self.assertEqual(response.status_code, 403)
                self.assertContains(
                    response, "You need to be enrolled in this course.", status_code=403
                )
                run = self.post_code("web:problem-run")
                self.assertEqual(run.status_code, 403)

    def test_members_open_visible_problems(self):
        for role in ("student", "other_student", "assistant", "instructor", "superuser"):
            with self.subTest(role=role):
                self.login(role)
                self.assertEqual(self.client.get(self.problem_url()).status_code, 200)

    def test_drafts_and_exam_only_problems_are_not_found_for_students_but_open_for_staff(self):
        for problem in (self.w.draft_problem, self.w.exam_only_problem):
            for role, expected in (("student", 404), ("assistant", 200), ("instructor", 200)):
                with self.subTest(problem=problem.title, role=role):
                    self.login(role)
                    response = self.client.get(self.problem_url(problem))
                    self.assertEqual(response.status_code, expected)
                    if expected == 200:
                        self.assertContains(response, "Students do not see this problem here")
                    submit = self.post_code("web:problem-submit", problem=problem)
                    self.assertEqual(submit.status_code, 404 if expected == 404 else 302)

    def test_a_problem_of_an_unpublished_course_is_not_found_for_its_student(self):
        self.login("student")
        self.assertEqual(
            self.client.get(self.problem_url(self.w.draft_course_problem)).status_code, 404
        )

    def test_only_the_owner_opens_a_submission_others_get_404_as_in_the_api(self):
        for name in ("web:submission", "web:submission-status"):
            url = reverse(name, args=[self.w.submission.pk])
            for role in ("other_student", "assistant", "instructor", "non_member"):
                with self.subTest(name=name, role=role):
                    self.login(role)
                    self.assertEqual(self.client.get(url, **HTMX).status_code, 404)
        self.login("student")
        self.assertEqual(
            self.client.get(reverse("web:submission", args=[self.w.submission.pk])).status_code,
            200,
        )

    def test_only_my_submission_of_this_problem_loads_into_the_editor(self):
        others = judged_submission(self.w.users["other_student"], self.problem)
        mine_elsewhere = judged_submission(
            self.student, problem_with_cases(chapter=self.w.chapter, order=7)
        )
        self.login("student")
        for source in (others.pk, mine_elsewhere.pk, "abc", 999999):
            with self.subTest(source=source):
                response = self.client.get(self.problem_url(), {"from": source})
                self.assertEqual(response.status_code, 404)

    def test_run_and_submit_need_a_post(self):
        self.login("student")
        self.assertEqual(self.client.get(self.problem_url(name="web:problem-run")).status_code, 405)
        self.assertEqual(
            self.client.get(self.problem_url(name="web:problem-submit")).status_code, 405
        )


# --- The problem page ----------------------------------------------------------------------------


class ProblemPageTestCase(ProblemsTestCase):
    def test_statement_limits_due_date_policy_samples_state_and_the_editor(self):
        course = self.w.course
        course.time_zone = "Europe/Paris"
        course.late_policy = "penalty"
        course.late_penalty_percent_per_day = Decimal("10")
        course.save()
        self.problem.statement = "Add them.\n\n```python\nprint(1 + 2)\n```\n\n<script>x()</script>"
        self.problem.due_at = datetime(2026, 1, 10, 8, 0, tzinfo=UTC)
        self.problem.allowed_languages = ["cpp", "python"]
        self.problem.starter_code = {
            "python": "def solve(a, b):\n    pass\n",
            "cpp": "// </script>",
        }
        self.problem.time_limit_ms = 1500
        self.problem.save()
        self.login("student")
        response = self.client.get(self.problem_url())
        self.assertEqual(response.status_code, 200)
        html = response.content.decode()
        # The statement: Markdown, highlighted code, no raw HTML.
        self.assertIn('<pre class="highlight"><code class="language-python">', html)
        self.assertIn('<span class="nb">print</span>', html)
        self.assertNotIn("<script>x()", html)
        # Limits, the due date in the course's zone with the zone named, the late policy.
        self.assertIn("1.5 s per case (CPU)", html)
        self.assertIn("128 MiB", html)
        self.assertIn("64 KiB", html)
        self.assertIn("10 Jan 2026, 09:00 CET (Europe/Paris)", html)
        self.assertIn("loses 10 % of its score per day late", html)
        # Samples, and of the hidden case only that it exists.
        self.assertIn("<pre>[1, 2]</pre>", html)
        self.assertIn("1 hidden case", html)
        self.assertNoHiddenData(response)
        # The editor: the problem's languages in its order, the draft scope, the starter code.
        self.assertRegex(
            html, r'<option value="cpp" selected>C\+\+[^<]*</option>\s*<option value="python">'
        )
        self.assertIn(f'data-draft-scope="problem:{self.problem.pk}"', html)
        self.assertIn('data-language-select="#id_language"', html)
        self.assertNotIn("data-keep-value", html)
        self.assertIn("// &lt;/script&gt;</textarea>", html)  # the starter code, also without JS
        self.assertIn('<script id="starter-code" type="application/json">', html)
        self.assertIn('"python": "def solve(a, b):\\n    pass\\n"', html)
        self.assertIn("\\u003C/script\\u003E", html)  # json_script escapes it
        self.assertIn('aria-live="polite"', html)
        self.assertIn(self.problem_url(name="web:problem-run"), html)
        self.assertIn(self.problem_url(name="web:problem-submit"), html)

    def test_a_function_problem_explains_only_its_own_languages(self):
        # The report: a Python-only problem explained how C, C++ and Java read their input.
        self.login("student")
        for languages, present, absent in (
            (["python"], ["In Python 3 it gets the case's input"], ["standard input", "Java"]),
            (
                ["python", "cpp", "c"],
                [
                    "In Python 3 it gets",
                    "In C++ (g++, C++17) and C (gcc, C17) it takes no arguments",
                ],
                ["Java"],
            ),
        ):
            with self.subTest(languages=languages):
                self.problem.allowed_languages = languages
                self.problem.save()
                html = self.client.get(self.problem_url()).content.decode()
                for text in present:
                    self.assertIn(text, html)
                explained = html.split("the judge calls it once per case.")[1].split("</p>")[0]
                for text in absent:
                    self.assertNotIn(text, explained)

    def test_my_state_points_and_submissions_newest_first_each_openable(self):
        older = self.w.submission
        newer = judged_submission(self.student, self.problem, verdict="wrong_answer")
        judged_submission(self.w.users["other_student"], self.problem)
        from courses.services.progress import progress_recompute

        progress_recompute(user_id=self.student.pk, problem_id=self.problem.pk)
        self.login("student")
        html = self.client.get(self.problem_url()).content.decode()
        self.assertIn("Solved", html)
        self.assertIn("100.00 of 100 points", html)
        listed = re.findall(r'href="/submissions/(\d+)/"', html.split("My submissions")[1])
        self.assertEqual([int(i) for i in listed], [newer.pk, older.pk])

    def test_an_exam_submission_in_my_submissions_shows_the_exam_points_marked_exam(self):
        exam = factories.ExamFactory(course=self.problem.chapter.course, feedback="full")
        factories.ExamProblemFactory(exam=exam, problem=self.problem, score=Decimal("10"))
        attempt = factories.ExamAttemptFactory(exam=exam, user=self.student)
        in_exam = judged_submission(self.student, self.problem, exam_attempt=attempt)
        self.login("student")
        html = self.client.get(self.problem_url()).content.decode()
        row = html.split(f'href="/submissions/{in_exam.pk}/"')[1].split("</tr>")[0]
        self.assertIn("exam", row)
        self.assertIn("10.00", row)
        self.assertNotIn("100.00", row)

    def test_my_submissions_are_paginated(self):
        for _ in range(11):
            judged_submission(self.student, self.problem)
        self.login("student")
        first = self.client.get(self.problem_url()).content.decode()
        self.assertIn("Page 1 of 2", first)
        self.assertIn('href="?page=2#my-submissions"', first)
        second = self.client.get(self.problem_url(), {"page": 2}).content.decode()
        self.assertIn("Page 2 of 2", second)
        self.assertEqual(len(re.findall(r'href="/submissions/\d+/"', second)), 2)

    def test_a_loaded_submission_fills_the_editor_and_wins_over_the_draft(self):
        loaded = judged_submission(
            self.student, self.problem, code="#include <x>\nint main(){}", language="c"
        )
        self.login("student")
        response = self.client.get(self.problem_url(), {"from": loaded.pk})
        html = response.content.decode()
        self.assertIn("#include &lt;x&gt;\nint main(){}</textarea>", html)
        self.assertIn('data-keep-value="1"', html)
        self.assertIn('<option value="c" selected>', html)
        self.assertIn(f"submission #{loaded.pk}</a>", html)
        self.assertIn("back to my draft", html)

    def test_queries_do_not_grow_with_cases_or_submissions(self):
        def count(cases: int) -> int:
            problem = factories.ProblemFactory(chapter=self.w.chapter, order=10 + cases)
            for order in range(cases):
                factories.ProblemTestCaseFactory(problem=problem, order=order, is_sample=order < 2)
            for _ in range(cases):
                judged_submission(self.student, problem)
            url = self.problem_url(problem)
            self.client.get(url)  # warm the cached roles
            return self.count_queries(
                lambda: self.assertEqual(self.client.get(url).status_code, 200)
            )

        self.login("student")
        self.assertEqual(count(2), count(50))


# --- Run --------------------------------------------------------------------------------------


@override_settings(COURSES_JUDGE_BACKEND=backend_path(WrongBackend))
class RunTestCase(ProblemsTestCase):
    def setUp(self):
        super().setUp()
        self.login("student")

    def test_htmx_run_on_the_samples_answers_the_partial_with_each_samples_verdict(self):
        response = self.post_code("web:problem-run", htmx=True)
        self.assertEqual(response.status_code, 200)
        html = response.content.decode()
        self.assertNotIn("<html", html)
        self.assertIn("Wrong answer", html)
        self.assertIn("0 of 1 sample case passed.", html)
        self.assertIn("<pre>[1, 2]</pre>", html)  # the sample's input
        self.assertIn("<pre>4\n</pre>", html)  # the program's output
        self.assertIn('id="id_code-errors" class="field-errors" hx-swap-oob="true"', html)
        self.assertNoHiddenData(response)
        self.assertEqual(Submission.objects.count(), 2)  # nothing saved

    def test_without_htmx_the_page_re_renders_with_the_result_and_the_code(self):
        response = self.post_code("web:problem-run", code="print('hé')  # mine\n")
        self.assertEqual(response.status_code, 200)
        html = response.content.decode()
        self.assertIn("<html", html)
        self.assertIn("0 of 1 sample case passed.", html)
        self.assertIn("print(&#x27;hé&#x27;)  # mine\n</textarea>", html)
        self.assertIn('data-keep-value="1"', html)
        self.assertNoHiddenData(response)

    def test_a_custom_input_runs_once_on_it(self):
        response = self.post_code("web:problem-run", htmx=True, stdin="[5, 6]")
        html = response.content.decode()
        self.assertIn("Ran on your input", html)
        self.assertIn("<pre>4\n</pre>", html)
        self.assertNotIn("sample case", html)

    def test_a_custom_input_that_is_not_the_arguments_says_so_next_to_the_field(self):
        response = self.post_code("web:problem-run", htmx=True, stdin="5 7")
        self.assertIn("must be a JSON array of the function", field_errors(response, "stdin"))
        self.assertNotIn("Traceback", response.content.decode())

    def test_the_custom_input_help_says_to_type_the_arguments_as_a_json_list(self):
        self.problem.allowed_languages = ["python", "c"]
        self.problem.save()
        html = self.client.get(self.problem_url()).content.decode()
        self.assertIn(
            "In Python 3, type the arguments of solve as a JSON list: [1, 2] calls solve(1, 2) "
            "(the first sample). In C (gcc, C17), type what the program reads.",
            html,
        )
        # Without a sample to build it from, a made-up example says the same.
        bare = factories.ProblemFactory(chapter=self.w.chapter, order=9)
        html = self.client.get(self.problem_url(bare)).content.decode()
        self.assertIn("type the arguments of solve as a JSON list: [[1, 2], 3] calls", html)
        stdio = factories.ProblemFactory(chapter=self.w.chapter, order=10, io_mode="stdio")
        html = self.client.get(self.problem_url(stdio)).content.decode()
        self.assertIn("Run only: leave it empty to run on the sample cases.</p>", html)

    def test_a_problem_without_samples_asks_for_an_input_next_to_the_field(self):
        problem = factories.ProblemFactory(chapter=self.w.chapter, order=9)
        factories.ProblemTestCaseFactory(problem=problem, is_sample=False)
        response = self.post_code("web:problem-run", problem=problem, htmx=True)
        self.assertIn("required: the problem has no sample cases", field_errors(response, "stdin"))
        self.assertIn("This problem has no sample cases", response.content.decode())

    def test_language_and_size_errors_show_next_to_their_fields_in_the_apis_words(self):
        cases = (
            ({"language": "cobol"}, "language", "unknown language; known:", 400),
            ({"language": "java"}, "language", "allowed: python, c, cpp", 400),
            ({"code": code_of_bytes(64 * 1024 + 1)}, "code", "at most 65536 bytes", 413),
            ({"code": "   "}, "code", "required", 400),
        )
        for data, field, text, status in cases:
            for htmx in (True, False):
                with self.subTest(data=str(data)[:40], htmx=htmx):
                    response = self.post_code("web:problem-run", htmx=htmx, **data)
                    self.assertEqual(response.status_code, 200 if htmx else status)
                    self.assertIn(text, field_errors(response, field))
                    self.assertIn('role="alert"', response.content.decode())

    def test_judge_failures_show_the_apis_message_not_the_infrastructures(self):
        for backend, text, status in (
            (BusyBackend, "Every code runner is busy; try again in a moment.", 503),
            (UnreachableBackend, "The judge is unavailable right now", 503),
        ):
            with (
                self.subTest(backend=backend.__name__),
                override_settings(COURSES_JUDGE_BACKEND=backend_path(backend)),
            ):
                page = self.post_code("web:problem-run")
                self.assertEqual(page.status_code, status)
                self.assertContains(page, text, status_code=status)
                self.assertNotContains(page, "connection refused", status_code=status)
                partial = self.post_code("web:problem-run", htmx=True)
                self.assertContains(partial, text)

    @override_settings(COURSES_API_RUN_RATE="1/min")
    def test_runs_share_the_apis_throttle(self):
        self.assertContains(self.post_code("web:problem-run", htmx=True), "Wrong answer")
        response = self.post_code("web:problem-run", htmx=True)
        self.assertContains(response, "Request was throttled.")
        self.assertEqual(self.post_code("web:problem-run").status_code, 429)


@requires_sandbox
@override_settings(COURSES_JUDGE_BACKEND="local")
class SandboxRunTestCase(ProblemsTestCase):
    """Run on the real sandbox: what a student reads of their program's failure."""

    def setUp(self):
        super().setUp()
        self.login("student")

    def test_a_traceback_shows_only_the_students_own_lines_from_a_real_run(self):
        """On the real sandbox: the harness that calls ``solve`` is not the student's program,
        and its lines (after the student's) are not in their editor."""
        one_list = "def solve(xs):\n    return max(xs)\n"
        response = self.post_code("web:problem-run", htmx=True, code=one_list, stdin="[1, 5, 3]")
        html = response.content.decode()
        self.assertIn("TypeError: solve() takes 1 positional argument but 3 were given", html)
        self.assertNotIn("_codecourses_harness", html)
        self.assertNotIn("Traceback", html)  # no frame of the student's was reached
        failing = "def solve(a, b):\n    return half(a) + b\n\ndef half(a):\n    return a / 0\n"
        response = self.post_code("web:problem-run", htmx=True, code=failing, stdin="[1, 2]")
        html = response.content.decode()
        self.assertIn("ZeroDivisionError: division by zero", html)
        frames = re.findall(r"File &quot;solution.py&quot;, line (\d+), in (\w+)", html)
        self.assertEqual(frames, [("2", "solve"), ("5", "half")])
        self.assertNotIn("_codecourses_harness", html)


# --- Submit and the result partial ----------------------------------------------------------------


@override_settings(COURSES_JUDGE_BACKEND=backend_path(AcceptingBackend))
class SubmitTestCase(ProblemsTestCase):
    """A ``TestCase``: judging is enqueued on commit, which runs only when a test asks for it."""

    def setUp(self):
        super().setUp()
        self.login("student")

    def newest(self) -> Submission:
        return Submission.objects.filter(user=self.student).latest("id")

    def test_without_htmx_submit_redirects_to_the_submission_page_which_refreshes_by_link(self):
        response = self.post_code("web:problem-submit")
        submission = self.newest()
        url = reverse("web:submission", args=[submission.pk])
        self.assertRedirects(response, url)
        page = self.client.get(url)
        self.assertContains(page, "Pending")
        self.assertContains(page, f'<a href="{url}">refresh</a>', html=False)
        self.assertContains(page, "load delay:1s")  # with htmx it polls as well

    def test_htmx_submit_shows_pending_then_polls_with_backoff_until_the_verdict(self):
        response = self.post_code("web:problem-submit", htmx=True)
        submission = self.newest()
        status_url = reverse("web:submission-status", args=[submission.pk]) + "?on=problem"
        html = response.content.decode()
        self.assertIn("Pending", html)
        self.assertIn(f'hx-get="{status_url}"', html)
        self.assertIn('hx-trigger="load delay:1s"', html)
        self.assertIn('id="my-submissions" hx-swap-oob="true"', html)  # the list has it
        self.assertIn(f"#{submission.pk}</a>", html)
        self.assertNotIn("my-state", html)  # my standing waits for the verdict

        # Still waiting after 9 s: the next poll comes 3 s later.
        Submission.objects.filter(pk=submission.pk).update(
            created_at=timezone.now() - timedelta(seconds=9)
        )
        poll = self.client.get(status_url, **HTMX)
        self.assertContains(poll, 'hx-trigger="load delay:3s"')
        self.assertNotContains(poll, "my-submissions")  # the list waits for the verdict

        CodeExecutorService(AcceptingBackend()).judge_submission(submission.pk)
        final = self.client.get(status_url, **HTMX)
        html = final.content.decode()
        self.assertIn("Accepted", html)
        self.assertNotIn("hx-get", html.split('id="my-submissions"')[0])  # polling stops
        self.assertNotIn("hx-trigger", html)
        self.assertIn("100.00 of 100 points", html)
        self.assertIn('<table class="cases">', html)
        self.assertIn("Hidden case", html)
        self.assertIn('id="my-submissions" hx-swap-oob="true"', html)
        self.assertIn('id="my-state" hx-swap-oob="true"', html)
        self.assertIn("Solved", html.split('id="my-state"')[1])
        self.assertNoHiddenData(final)

    def test_a_poll_from_the_submission_page_carries_no_list(self):
        self.post_code("web:problem-submit")
        submission = self.newest()
        CodeExecutorService(AcceptingBackend()).judge_submission(submission.pk)
        poll = self.client.get(reverse("web:submission-status", args=[submission.pk]), **HTMX)
        self.assertContains(poll, "Accepted")
        self.assertNotContains(poll, "my-submissions")

    def test_the_status_partial_without_htmx_goes_to_the_page(self):
        url = reverse("web:submission-status", args=[self.w.submission.pk])
        self.assertRedirects(
            self.client.get(url), reverse("web:submission", args=[self.w.submission.pk])
        )

    def test_refusals_show_next_to_the_fields_and_save_nothing(self):
        before = Submission.objects.count()
        cases = (
            ({"language": "cobol"}, "language", "unknown language; known:", 400),
            ({"language": "java"}, "language", "allowed: python, c, cpp", 400),
            ({"code": code_of_bytes(64 * 1024 + 1)}, "code", "at most 65536 bytes", 413),
            ({"code": ""}, "code", "required", 400),
        )
        for data, field, text, status in cases:
            for htmx in (True, False):
                with self.subTest(data=str(data)[:40], htmx=htmx):
                    response = self.post_code("web:problem-submit", htmx=htmx, **data)
                    self.assertEqual(response.status_code, 200 if htmx else status)
                    self.assertIn(text, field_errors(response, field))
        self.assertEqual(Submission.objects.count(), before)

    @override_settings(COURSES_MAX_PENDING_SUBMISSIONS=1)
    def test_the_pending_cap_is_refused_in_the_apis_words(self):
        self.post_code("web:problem-submit")  # pending: on_commit never runs here
        count = Submission.objects.count()
        response = self.post_code("web:problem-submit", htmx=True)
        self.assertContains(response, "You already have 1 submission(s) waiting for a verdict")
        self.assertContains(response, 'role="alert"')
        page = self.post_code("web:problem-submit")
        self.assertContains(page, "waiting for a verdict", status_code=429)
        self.assertIn('data-keep-value="1"', page.content.decode())  # the code stays
        self.assertEqual(Submission.objects.count(), count)

    def test_the_backoff_grows_to_five_seconds(self):
        start = datetime(2026, 1, 1, tzinfo=UTC)
        delays = [poll_delay_s(start, start + timedelta(seconds=s)) for s in (0, 3, 4, 9, 15, 60)]
        self.assertEqual(delays, [1, 1, 2, 3, 4, 5])


@override_settings(COURSES_JUDGE_BACKEND=backend_path(AcceptingBackend))
class InlineJudgingTestCase(FreshCacheMixin, TransactionTestCase):
    """The embedded setup judges on commit, inside the request: no polling at all."""

    def test_judged_inline_the_verdict_comes_with_the_answer(self):
        problem = problem_with_cases()
        student = factories.UserFactory()
        factories.EnrollmentFactory(user=student, course=problem.chapter.course)
        self.client.force_login(student)
        url = reverse("web:problem-submit", args=[problem.pk])
        response = self.client.post(url, {"language": "python", "code": ADD}, **HTMX)
        html = response.content.decode()
        self.assertIn("Accepted", html)
        self.assertNotIn("hx-trigger", html)
        self.assertIn('<table class="cases">', html)


# --- A submission's page --------------------------------------------------------------------------


class SubmissionPageTestCase(ProblemsTestCase):
    def setUp(self):
        super().setUp()
        self.login("student")

    def page(self, submission):
        return self.client.get(reverse("web:submission", args=[submission.pk]))

    def test_code_highlighted_verdict_points_cases_and_the_load_link(self):
        response = self.page(self.w.submission)
        html = response.content.decode()
        self.assertIn('<pre class="highlight"><code><span class="k">def</span>', html)
        self.assertIn("Accepted", html)
        self.assertIn("100.00 of 100 points", html)
        self.assertIn("<pre>output of case 0</pre>", html)  # the sample's output
        self.assertIn("Hidden case", html)
        self.assertIn(f"{self.problem_url()}?from={self.w.submission.pk}", html)
        self.assertNotIn("hx-get", html)
        self.assertNoHiddenData(response)

    def test_a_late_submission_says_so_with_what_it_counts_for(self):
        course = self.w.course
        course.late_policy = "penalty"
        course.late_penalty_percent_per_day = Decimal("25")
        course.save()
        late = judged_submission(self.student, self.problem, is_late=True, late_days=2)
        html = self.page(late).content.decode()
        self.assertIn("late by 2 days", html)
        self.assertIn("100.00 of 100 points", html)
        self.assertIn("counts for 50.00 under the course", html)
        self.assertIn("loses 25 % of its score per day late", html)

    def test_compile_errors_show_as_the_compiler_wrote_them(self):
        message = "main.c:1:10: error: expected ';' before '}' token\n  int x = <y>"
        submission = judged_submission(
            self.student,
            self.problem,
            verdict="compilation_error",
            language="c",
            compile_output=message,
        )
        html = self.page(submission).content.decode()
        self.assertIn("Compilation error", html)
        self.assertIn(
            '<pre class="compile-output">main.c:1:10: error: expected &#x27;;&#x27; before '
            "&#x27;}&#x27; token\n  int x = &lt;y&gt;</pre>",
            html,
        )
        # No case ran: no table repeating "Compilation error" once per case.
        self.assertGreater(submission.test_results.count(), 1)
        self.assertEqual(html.count("Compilation error"), 1)
        self.assertNotIn("Table of the judged cases", html)

    def test_queries_do_not_grow_with_the_cases(self):
        def count(cases: int) -> int:
            problem = factories.ProblemFactory(chapter=self.w.chapter, order=20 + cases)
            for order in range(cases):
                factories.ProblemTestCaseFactory(problem=problem, order=order, is_sample=order < 2)
            submission = judged_submission(self.student, problem)
            self.page(submission)
            return self.count_queries(lambda: self.page(submission))

        self.assertEqual(count(2), count(50))


class ExamSubmissionPageTestCase(ProblemsTestCase):
    """The exam feedback rule, exactly as the API's serializer applies it."""

    def setUp(self):
        super().setUp()
        self.login("student")
        self.exam = self.w.exam
        self.submission = self.w.exam_submission  # accepted, a result per case

    def page(self):
        return self.client.get(reverse("web:submission", args=[self.submission.pk]))

    def set_exam(self, feedback, released_at=None):
        self.exam.feedback = feedback
        self.exam.results_released_at = released_at
        self.exam.save()

    def test_samples_feedback_withholds_the_verdict_points_and_hidden_cases(self):
        self.set_exam("samples")
        response = self.page()
        html = response.content.decode()
        self.assertIn("Judged (verdict after the results are released)", html)
        self.assertIn("only the sample cases", html)
        self.assertNotIn("Accepted</span>\n", html.split("<table")[0])
        self.assertNotIn("points", html.split('id="code-heading"')[0].split("Result")[1])
        self.assertIn("<pre>output of case 0</pre>", html)
        self.assertNotIn("Hidden case", html)
        self.assertNotIn("?from=", html)  # exam code goes back through the exam's pages
        self.assertIn(reverse("web:exam", args=[self.exam.pk]), html)

    def test_none_feedback_shows_that_it_was_received_only(self):
        self.set_exam("none")
        html = self.page().content.decode()
        self.assertIn("Received", html)
        self.assertNotIn("Accepted", html)
        self.assertNotIn('<table class="cases">', html)
        self.assertNotIn("Judged", html)
        poll = self.client.get(reverse("web:submission-status", args=[self.submission.pk]), **HTMX)
        self.assertNotContains(poll, "hx-trigger")  # nothing to wait for that it could show

    def test_released_results_show_everything(self):
        self.set_exam("none", released_at=timezone.now() - timedelta(minutes=1))
        html = self.page().content.decode()
        self.assertIn("Accepted", html)
        self.assertIn("Hidden case", html)
        # The points are the exam's (what the problem is worth there), not the problem's.
        self.assertIn("10.00 of 10.00 points in this exam", " ".join(html.split()))


class ScriptedRunTestCase(ProblemsTestCase):
    """A runtime error on a sample shows the program's error output there (it is the student's)."""

    @override_settings(COURSES_JUDGE_BACKEND=backend_path(ScriptedBackend))
    def test_a_samples_error_output_is_shown(self):
        ScriptedBackend.default_script = RunResult(
            outcome=Outcome.RUNTIME_ERROR, stderr=b"ZeroDivisionError: division by zero"
        )
        self.addCleanup(setattr, ScriptedBackend, "default_script", None)
        self.login("student")
        response = self.post_code("web:problem-run", htmx=True)
        self.assertContains(response, "Runtime error")
        self.assertContains(response, "ZeroDivisionError: division by zero")
