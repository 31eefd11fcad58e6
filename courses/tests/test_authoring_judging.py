"""Issue 14 (14a): tests written as code, custom checkers, subtasks, per-language limits.

Every feature is judged for real: through the local sandbox, and through the Judge0 fake (real
sockets, real programs) with the same verdicts (``SameVerdictsOnJudge0TestCase``). The attacks
on tests written as code are the issue's: the forged ``OK``, exiting early, printing the
expected value, monkeypatching the harness, reading the tests from the box.
"""

from __future__ import annotations

import io
from decimal import Decimal

from django.core.management import call_command
from django.test import TestCase, override_settings
from django.urls import reverse

from courses import demo
from courses.judging.types import Verdict
from courses.models import Problem, ProblemProgress, Submission, Subtask
from courses.services import judging_authoring
from courses.services.code_executor import CodeExecutorService
from courses.services.evaluation import problem_limits
from courses.tests import factories, test_admin, test_admin_authoring
from courses.tests.api_support import AcceptingBackend, WrongBackend
from courses.tests.fakes.judge0 import FakeJudge0
from courses.tests.judge0_support import TOKEN, QuickJudge0
from courses.tests.sandbox_fixtures import local_backend, requires_sandbox
from courses.tests.test_api_authoring import AuthoringTestCase

AC, WA, RE, CE, IE, SKIP = (
    Verdict.ACCEPTED,
    Verdict.WRONG_ANSWER,
    Verdict.RUNTIME_ERROR,
    Verdict.COMPILATION_ERROR,
    Verdict.INTERNAL_ERROR,
    Verdict.SKIPPED,
)

ADD = "def add(a, b):\n    return a + b\n"
ADD_SOLVE = "def solve(a, b):\n    return a + b\n"
#: The tests of the tests-as-code problem; 271828 is the value no box may ever hold.
TESTS = """\
assert add(2, 3) == 5  # sample
assert add(0.1, 0.2) == 0.3
assert add((1,), (2,)) == (1, 2)
assert add(271000, 828) == 271828
"""
SETUP = "import math\n"


def verdicts(submission: Submission) -> list[str]:
    return [r.verdict for r in submission.test_results.order_by("order")]


class JudgingMixin:
    """The tests, for any backend: ``make_service`` gives the executor."""

    def setUp(self):
        super().setUp()
        self.user = factories.UserFactory()
        self.service = self.make_service()

    def judge(self, problem, code, language="python") -> Submission:
        return self.service.run_all_test_cases(self.user, problem, code, language)

    # --- tests written as code ---------------------------------------------------------------

    def asserts_problem(self, **fields) -> Problem:
        problem = factories.ProblemFactory(
            io_mode=Problem.IoMode.TESTS,
            allowed_languages=["python"],
            checker=Problem.Checker.EXACT,
            setup_code=SETUP,
            **fields,
        )
        judging_authoring.test_code_import(problem=problem, code=TESTS)
        return problem

    def test_tests_as_code_accept_a_right_solution_within_float_tolerance(self):
        submission = self.judge(self.asserts_problem(), ADD)
        self.assertEqual((submission.status, submission.score), (AC, Decimal(1)))
        self.assertEqual(verdicts(submission), [AC] * 4)

    def test_tests_as_code_wrong_value_is_a_wrong_answer_with_a_message_on_samples(self):
        submission = self.judge(self.asserts_problem(), "def add(a, b):\n    return a - b\n")
        self.assertEqual(submission.status, WA)
        first = submission.test_results.get(order=1)
        self.assertEqual(first.message, "add(2, 3) returned -1, expected 5")
        self.assertIn("add(2, 3) returned -1, expected 5", submission.error_text)
        # Its output is the value, not the harness's report ("V-1"): an outside walk-through.
        self.assertEqual(first.output, "-1\n")

    def test_tests_as_code_exception_is_a_runtime_error_and_syntax_a_compilation_error(self):
        problem = self.asserts_problem()
        failed = self.judge(problem, "def add(a, b):\n    1 / 0\n")
        self.assertEqual(failed.status, RE)
        # The traceback starts in the test and the student's code: the harness's frames held
        # every source (the setup code too), an outside walk-through found.
        error = failed.test_results.get(order=1).error_output
        self.assertIn('File "test.py", line 1', error)
        self.assertIn('File "solution.py", line 2, in add', error)
        self.assertIn("ZeroDivisionError: division by zero", error)
        self.assertNotIn("_codecourses_tests", error)
        self.assertNotIn("1 / 0", error.split("Traceback")[0])
        self.assertEqual(self.judge(problem, "def add(a, b:\n").status, CE)

    def assert_never_accepted(self, code: str) -> Submission:
        submission = self.judge(self.asserts_problem(), code)
        self.assertNotEqual(submission.status, AC, code)
        # The secret case never passes: its value is nowhere in the box.
        self.assertNotEqual(submission.test_results.get(order=4).verdict, AC, code)
        return submission

    def test_forged_ok_and_early_exit_fail(self):
        for code in (
            'print("OK")\nimport sys\nsys.exit(0)\n',
            'import os\nos.write(1, b"OK\\n")\nos._exit(0)\n',
            'print("True")\nraise SystemExit\n',
            # Forged reports on every descriptor the harness might use, then a quiet exit.
            "import os\ndef add(a, b):\n    for fd in range(1, 10):\n        try:\n"
            '            os.write(fd, b"V5\\n")\n        except OSError:\n            pass\n'
            "    os._exit(0)\n",
        ):
            with self.subTest(code=code):
                self.assert_never_accepted(code)

    def test_printing_the_expected_value_fails(self):
        # Whatever the code prints goes to stderr: stdout is the harness's alone.
        code = 'def add(a, b):\n    print("V271828"); print(271828); print("V5")\n'
        submission = self.assert_never_accepted(code)
        self.assertEqual(verdicts(submission), [WA] * 4)

    def test_monkeypatching_the_harness_fails(self):
        attacks = [
            # Lying values: an int subclass whose repr and == say what the tests want.
            "class Liar(int):\n    __eq__ = lambda self, other: True\n"
            "    __repr__ = lambda self: '271828'\n"
            "def add(a, b):\n    return Liar(0)\n",
            # Replacing builtins the harness might use.
            "import builtins\nbuiltins.repr = lambda v: '271828'\n"
            "builtins.type = lambda v: int\nbuiltins.str = lambda v: '271828'\n"
            "def add(a, b):\n    return None\n",
            # Rewriting the harness's own functions through the interpreter.
            "import gc, sys\n"
            "for f in [o for o in gc.get_objects() if callable(o)]:\n"
            "    try:\n        f.__code__ = (lambda *a, **k: None).__code__\n"
            "    except Exception:\n        pass\n"
            "def add(a, b):\n    return 0\n",
        ]
        for code in attacks:
            with self.subTest(code=code.splitlines()[0]):
                self.assert_never_accepted(code)

    def test_reading_the_tests_from_the_box_finds_no_expected_value(self):
        # The code searches its stdin, files, environment, argv, /proc and the harness's frames
        # for the secret value, and returns it if found. Only EXPR is in the box, never LITERAL.
        # Its scratch directory is /tmp in our sandbox and in Judge0's; the Judge0 fake, which is
        # no sandbox, names its own (TMPDIR): the host's /tmp holds anyone's files.
        code = """\
import os, sys, tempfile
NEEDLE = "2718" + "28"
found = []
def look(text):
    if isinstance(text, bytes):
        text = text.decode("latin-1")
    if isinstance(text, str) and NEEDLE in text and text is not NEEDLE:
        found.append(text)
try:
    look(sys.stdin.buffer.read())
except Exception:
    pass
look(repr(os.environ)); look(repr(sys.argv))
for root in (".", "/box", tempfile.gettempdir(), "/proc/self"):
    for base, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in ("task", "net", "sys")] if "proc" in base else dirs
        for name in files:
            try:
                with open(os.path.join(base, name), "rb") as handle:
                    look(handle.read(1 << 20))
            except Exception:
                pass
frame = sys._getframe()
while frame is not None:
    for value in list(frame.f_locals.values()) + list(frame.f_globals.values()):
        if value is not NEEDLE and not isinstance(value, list):
            look(value if isinstance(value, (str, bytes)) else "")
    frame = frame.f_back
def add(a, b):
    return int(NEEDLE) if found else None
"""
        self.assert_never_accepted(code)

    # --- custom checkers ---------------------------------------------------------------------

    def checker_problem(self, language: str, code: str, **fields) -> Problem:
        problem = factories.ProblemFactory(
            io_mode=Problem.IoMode.STDIO,
            allowed_languages=["python"],
            checker=Problem.Checker.CUSTOM,
            checker_language=language,
            checker_code=code,
            **fields,
        )
        # Any two numbers summing to the input: several right answers.
        for order, (text, sample) in enumerate((("10", True), ("7", False), ("4", False)), 1):
            factories.ProblemTestCaseFactory(
                problem=problem, order=order, input=text, expected_output=text, is_sample=sample
            )
        return problem

    PY_CHECKER = """\
import sys
data = sys.stdin.buffer.read()
header, _, rest = data.partition(b"\\n")
a, b, c = map(int, header.split())
target = int(rest[:a])
output = rest[a + b : a + b + c].split()
try:
    x, y = map(int, output)
except ValueError:
    print("wrong_answer"); print("print two integers"); sys.exit(0)
if x + y == target and x >= 0 and y >= 0:
    print("accepted")
elif x + y == target:
    print("partial 0.5"); print("negative numbers earn half")
else:
    print("wrong_answer"); print(f"{x} + {y} is not {target}")
"""

    C_CHECKER = """\
#include <stdio.h>
#include <stdlib.h>
int main(void) {
    long a, b, c; if (scanf("%ld %ld %ld", &a, &b, &c) != 3) return 2; getchar();
    char *buf = malloc(a + b + c + 1); fread(buf, 1, a + b + c, stdin); buf[a + b + c] = 0;
    char kept = buf[a]; buf[a] = 0; long target = atol(buf), x, y; buf[a] = kept;
    if (sscanf(buf + a + b, "%ld %ld", &x, &y) == 2 && x + y == target) puts("accepted");
    else { puts("wrong_answer"); puts("not a pair with that sum"); }
    return 0;
}
"""

    CPP_CHECKER = """\
#include <iostream>
#include <sstream>
#include <string>
int main() {
    std::size_t a, b, c; std::cin >> a >> b >> c; std::cin.get();
    std::string all(a + b + c, '\\0'); std::cin.read(&all[0], a + b + c);
    long target = std::stol(all.substr(0, a)); long x, y;
    std::istringstream out(all.substr(a + b));
    if (out >> x >> y && x + y == target) std::cout << "accepted\\n";
    else std::cout << "wrong_answer\\nnot a pair with that sum\\n";
}
"""

    SPLIT = "n = int(input())\nprint(n - 1, 1)\n"

    def test_python_checker_accepts_any_right_answer_and_explains_wrong_ones(self):
        problem = self.checker_problem("python", self.PY_CHECKER)
        submission = self.judge(problem, self.SPLIT)
        self.assertEqual((submission.status, submission.score), (AC, Decimal(1)))
        wrong = self.judge(problem, "n = int(input())\nprint(n, 1)\n")
        self.assertEqual(wrong.status, WA)
        self.assertEqual(wrong.test_results.get(order=1).message, "10 + 1 is not 10")

    def test_partial_scores_count_and_the_verdict_is_a_wrong_answer(self):
        problem = self.checker_problem("python", self.PY_CHECKER)
        code = "n = int(input())\nprint(n + 1, -1) if n == 4 else print(n, 0)\n"
        submission = self.judge(problem, code)
        self.assertEqual(submission.status, WA)
        self.assertEqual(submission.score, Decimal("0.8333"))  # (1 + 1 + 0.5) / 3, rounded down
        last = submission.test_results.get(order=3)
        self.assertEqual((last.score, last.message), (Decimal("0.5"), "negative numbers earn half"))

    def test_c_and_cpp_checkers(self):
        for language, checker in (("c", self.C_CHECKER), ("cpp", self.CPP_CHECKER)):
            with self.subTest(language=language):
                problem = self.checker_problem(language, checker)
                self.assertEqual(self.judge(problem, self.SPLIT).status, AC)
                wrong = self.judge(problem, "print(0, 0)\n")
                self.assertEqual(wrong.status, WA)
                message = wrong.test_results.get(order=1).message
                self.assertEqual(message, "not a pair with that sum")

    def assert_blamed_on_the_instructor(self, checker: str, reason: str) -> Submission:
        problem = self.checker_problem("python", checker)
        submission = self.judge(problem, self.SPLIT)
        self.assertEqual((submission.status, submission.score), (IE, Decimal(0)))
        # Never retried as an outage, never counted against the student.
        self.assertEqual((submission.retry_at, submission.judge_failures), (None, 0))
        self.assertFalse(
            ProblemProgress.objects.filter(user=self.user, problem=problem, attempts__gt=0).exists()
        )
        self.assertIn(
            "The custom checker failed on test case 1: the checker" + reason, submission.error_text
        )
        self.assertEqual(submission.test_results.get(order=1).verdict, IE)
        return submission

    def test_a_crashing_checker_is_the_instructors_fault(self):
        submission = self.assert_blamed_on_the_instructor(
            "raise RuntimeError('checker bug')\n", " crashed (exit code 1)"
        )
        self.assertIn("RuntimeError: checker bug", submission.test_results.first().message)
        # Visible to the staff, with the reason; the student reads that it was not their code.
        course = submission.problem.chapter.course
        teacher = factories.UserFactory()
        factories.EnrollmentFactory(user=teacher, course=course, role="instructor")
        factories.EnrollmentFactory(user=self.user, course=course)
        self.client.force_login(teacher)
        page = self.client.get(reverse("web:staff-submission", args=[submission.pk]))
        self.assertContains(page, "Checker failure (the instructor")
        self.assertContains(page, "RuntimeError: checker bug")
        self.client.force_login(self.user)
        mine = self.client.get(f"/api/v1/submissions/{submission.pk}/").json()
        self.assertNotIn("checker bug", str(mine))
        self.assertEqual(mine["status"], "internal_error")

    def test_a_looping_checker_is_contained(self):
        with override_settings(COURSES_CHECKER_LIMITS={"cpu_time_ms": 300, "wall_time_ms": 1000}):
            self.assert_blamed_on_the_instructor("while True:\n    pass\n", " exceeded its time")

    def test_a_flooding_checker_is_contained(self):
        self.assert_blamed_on_the_instructor(
            "import sys\nwhile True:\n    sys.stdout.write('accepted' * 1000)\n",
            " wrote more output than allowed",
        )

    def test_a_checker_answering_nonsense_is_the_instructors_fault(self):
        self.assert_blamed_on_the_instructor("print('yes')\n", "'s first line 'yes'")

    # --- subtasks ----------------------------------------------------------------------------

    def subtask_problem(self) -> Problem:
        problem = factories.ProblemFactory(checker=Problem.Checker.JSON)
        for order in range(1, 7):
            factories.ProblemTestCaseFactory(
                problem=problem,
                order=order,
                input=f"[{order}, {order * 10}]",
                expected_output=str(order * 11),
                is_sample=order == 1,
            )
        create = judging_authoring.subtask_create
        first = create(problem=problem, name="small", points=20)  # every case, to begin with
        second = create(problem=problem, name="medium", points=30, cases=[3, 4, 5])
        create(
            problem=problem,
            name="all",
            points=50,
            cases=[6],
            depends_on=[first.pk, second.pk],
        )
        return problem

    def test_subtasks_short_circuit_skip_dependents_and_score_points(self):
        problem = self.subtask_problem()
        # Wrong from a = 3 on: subtask 2 fails at its first case, 3 depends on it.
        code = "def solve(a, b):\n    return a + b if a < 3 else 0\n"
        submission = self.judge(problem, code)
        self.assertEqual(verdicts(submission), [AC, AC, WA, SKIP, SKIP, SKIP])
        self.assertEqual((submission.status, submission.score), (WA, Decimal("0.2")))
        self.assertEqual(
            [(s["name"], s["earned"], s["status"]) for s in submission.subtask_results],
            [("small", "20", "passed"), ("medium", "0", "failed"), ("all", "0", "skipped")],
        )
        right = self.judge(problem, "def solve(a, b):\n    return a + b\n")
        self.assertEqual((right.status, right.score), (AC, Decimal(1)))

    def test_the_submission_page_shows_subtasks_and_cases_not_run(self):
        problem = self.subtask_problem()
        factories.EnrollmentFactory(user=self.user, course=problem.chapter.course)
        submission = self.judge(problem, "def solve(a, b):\n    return a + b if a < 3 else 0\n")
        self.client.force_login(self.user)
        page = self.client.get(reverse("web:submission", args=[submission.pk]))
        self.assertContains(page, "<caption>Subtasks</caption>", html=False)
        self.assertContains(page, "20 / 20")
        self.assertContains(page, "Not run: an earlier case of its subtask")

    def test_without_short_circuit_every_case_of_the_subtask_runs(self):
        problem = self.subtask_problem()
        problem.subtasks.filter(order=2).update(short_circuit=False)
        code = "def solve(a, b):\n    return a + b if a != 3 else 0\n"
        submission = self.judge(problem, code)
        self.assertEqual(verdicts(submission), [AC, AC, WA, AC, AC, SKIP])

    # --- the demo course's problems of each kind ----------------------------------------------

    def test_the_demo_problems_of_each_new_kind(self):
        call_command("seed_demo", stdout=io.StringIO())
        wrong_cases = {
            "Mean and span": [AC, AC, WA, WA, WA],
            "Two parts": [WA, WA, WA],
            "Counting primes": [WA, SKIP, SKIP, SKIP, SKIP],
        }
        for spec in [p for p in demo.PROBLEMS if not p.is_plain]:
            problem = Problem.objects.get(title=spec.title)
            with self.subTest(problem=spec.title):
                good = self.judge(problem, spec.reference, spec.language)
                self.assertEqual((good.status, good.score), (AC, Decimal(1)), good.error_text)
                bad = self.judge(problem, spec.wrong, spec.language)
                self.assertEqual(verdicts(bad), wrong_cases[spec.title])
        # A number too long for int() is a wrong answer, not the checker's crash (an outside
        # probe made every submission internal_error so).
        problem = Problem.objects.get(title="Two parts")
        hostile = self.judge(problem, "print('1' * 5000, 1)\n")
        self.assertEqual(verdicts(hostile), [WA, WA, WA], hostile.error_text)

    # --- per-language limits -----------------------------------------------------------------

    def test_a_language_time_multiplier_turns_a_time_limit_into_a_pass(self):
        problem = factories.ProblemFactory(time_limit_ms=150, checker=Problem.Checker.JSON)
        factories.ProblemTestCaseFactory(problem=problem, input="[1, 2]", expected_output="3")
        # 0.4 s of CPU: over 150 ms, well under 150 ms x 10.
        code = (
            "import time\n"
            "def solve(a, b):\n"
            "    while time.process_time() < 0.4:\n"
            "        pass\n"
            "    return a + b\n"
        )
        self.assertEqual(self.judge(problem, code).status, Verdict.TIME_LIMIT_EXCEEDED)
        problem.language_limits = {"python": {"time_multiplier": 10}}
        problem.save()
        self.assertEqual(self.judge(problem, code).status, AC)


@requires_sandbox
class LocalSandboxJudgingTestCase(JudgingMixin, TestCase):
    """Through the real local sandbox."""

    def make_service(self):
        return CodeExecutorService(backend=local_backend())


@requires_sandbox  # the fake runs real programs too; the group keeps timing tests apart
class SameVerdictsOnJudge0TestCase(JudgingMixin, TestCase):
    """The same tests through the Judge0 fake: the same verdicts (checkers as submissions)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fake = FakeJudge0(auth_token=TOKEN).start()
        cls.addClassCleanup(cls.fake.stop)

    def make_service(self):
        settings = override_settings(JUDGE0_URL=self.fake.url, JUDGE0_TEST_WAIT_SECONDS=20.0)
        settings.enable()
        self.addCleanup(settings.disable)
        backend = QuickJudge0.from_settings()
        self.addCleanup(backend.close)
        return CodeExecutorService(backend=backend)


class ProblemLimitsTestCase(TestCase):
    def test_site_defaults_then_problem_overrides(self):
        problem = factories.ProblemFactory(time_limit_ms=1000, memory_limit_kb=100_000)
        with override_settings(
            COURSES_LANGUAGE_LIMITS={"java": {"time_multiplier": 2.0, "memory_extra_kb": 5000}}
        ):
            java = problem_limits(problem, "java")
            self.assertEqual((java.cpu_time_ms, java.memory_kb), (2000, 105_000))
            self.assertEqual(java.wall_time_ms, 5000)
            problem.language_limits = {"java": {"time_multiplier": 1.5}}
            java = problem_limits(problem, "java")
            self.assertEqual((java.cpu_time_ms, java.memory_kb), (1500, 105_000))
            python = problem_limits(problem, "python")
            self.assertEqual((python.cpu_time_ms, python.memory_kb), (1000, 100_000))


class AuthoringApiTestCase(AuthoringTestCase):
    """The authoring fields of the API: refused at save with the field named."""

    def asserts_problem(self) -> Problem:
        response = self.post(
            "staff-problem-list",
            {
                "title": "Add, as asserts",
                "io_mode": "tests",
                "allowed_languages": ["python"],
                "setup_code": "import math\n",
            },
            chapter_id=self.w.chapter.pk,
        )
        self.assertEqual(response.status_code, 201, response.content)
        return Problem.objects.get(pk=response.json()["id"])

    def test_test_code_preview_shows_the_split_and_writes_nothing(self):
        problem = self.asserts_problem()
        response = self.post(
            "staff-test-code", {"code": TESTS, "preview": True}, problem_id=problem.pk
        )
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(
            response.json()["cases"][:2],
            [
                {"line": 1, "input": "add(2, 3)", "expected_output": "5", "is_sample": True},
                {"line": 2, "input": "add(0.1, 0.2)", "expected_output": "0.3", "is_sample": False},
            ],
        )
        self.assertFalse(problem.test_cases.exists())
        response = self.post("staff-test-code", {"code": TESTS}, problem_id=problem.pk)
        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual(
            list(problem.test_cases.values_list("input", "expected_output", "is_sample")),
            [
                ("add(2, 3)", "5", True),
                ("add(0.1, 0.2)", "0.3", False),
                ("add((1,), (2,))", "(1, 2)", False),
                ("add(271000, 828)", "271828", False),
            ],
        )

    def test_other_forms_are_refused_naming_the_line_and_nothing_is_written(self):
        problem = self.asserts_problem()
        for code, words in (
            ("assert add(1, 1) == 2\nimport os\n", "line 2: only `assert EXPR == LITERAL`"),
            ("assert add(1, 1) != 2\n", "line 1: a test is `EXPR == LITERAL`"),
            ("assert add(1, 1) == two()\n", "is not a Python literal"),
            ('print("OK")\n', "line 1: a test is"),
        ):
            with self.subTest(code=code):
                response = self.post("staff-test-code", {"code": code}, problem_id=problem.pk)
                error = self.assertError(response, 400, "invalid_input", fields={"code"})
                self.assertIn(words, error["fields"]["code"])
        self.assertFalse(problem.test_cases.exists())
        # A case added one by one obeys the same rule.
        response = self.post(
            "staff-case-list",
            {"input": "add(1, 1)", "expected_output": "OK"},
            problem_id=problem.pk,
        )
        self.assertError(response, 400, "invalid_input", fields={"expected_output"})

    def test_a_custom_checker_is_checked_at_save(self):
        problem = self.w.problem
        for data, field in (
            ({"checker": "custom"}, "checker_language"),
            ({"checker": "custom", "checker_language": "python"}, "checker_code"),
            (
                {"checker": "custom", "checker_language": "python", "checker_code": "def ("},
                "checker_code",
            ),
        ):
            with self.subTest(data=data):
                response = self.patch("staff-problem-detail", data, problem_id=problem.pk)
                self.assertError(response, 400, "invalid_input", fields={field})
        response = self.patch(
            "staff-problem-detail",
            {"checker": "custom", "checker_language": "python", "checker_code": "print(1)\n"},
            problem_id=problem.pk,
        )
        self.assertEqual(response.status_code, 200, response.content)

    @override_settings(COURSES_JUDGE_BACKEND="judge0")
    def test_on_judge0_a_checker_language_it_lacks_is_refused_at_save(self):
        with FakeJudge0(auth_token=TOKEN) as fake:
            fake.languages = {k: v for k, v in fake.languages.items() if v[1] != "cpp"}
            with override_settings(JUDGE0_URL=fake.url, JUDGE0_AUTH_TOKEN=TOKEN):
                response = self.patch(
                    "staff-problem-detail",
                    {"checker": "custom", "checker_language": "cpp", "checker_code": "int x;"},
                    problem_id=self.w.problem.pk,
                )
        error = self.assertError(response, 400, "invalid_input", fields={"checker_language"})
        self.assertIn("cannot run a cpp checker", error["message"])

    def test_language_limits_are_checked_and_shown_to_students(self):
        problem = self.w.problem
        for bad in (
            {"cobol": {"time_multiplier": 2}},
            {"python": {"time_multiplier": 0}},
            {"python": {"time_multiplier": 2, "stack_kb": 1}},
            {"python": {"memory_extra_kb": -1}},
        ):
            with self.subTest(limits=bad):
                response = self.patch(
                    "staff-problem-detail", {"language_limits": bad}, problem_id=problem.pk
                )
                self.assertError(response, 400, "invalid_input", fields={"language_limits"})
        response = self.patch(
            "staff-problem-detail",
            {"language_limits": {"python": {"time_multiplier": 2.5, "memory_extra_kb": 1024}}},
            problem_id=problem.pk,
        )
        self.assertEqual(response.status_code, 200, response.content)
        problem.refresh_from_db()
        body = self.client_for(self.w.student).get(f"/api/v1/problems/{problem.pk}/").json()
        python = next(lang for lang in body["languages"] if lang["key"] == "python")
        self.assertEqual(
            (python["time_limit_ms"], python["memory_limit_kb"]),
            (round(problem.time_limit_ms * 2.5), problem.memory_limit_kb + 1024),
        )
        self.client.force_login(self.w.student)
        page = self.client.get(reverse("web:problem", args=[problem.pk]))
        seconds = round(problem.time_limit_ms * 2.5) / 1000
        megabytes = (problem.memory_limit_kb + 1024) / 1024
        self.assertContains(page, f"{seconds:g} s per case, {megabytes:g} MiB")

    def test_a_template_with_an_unknown_placeholder_names_it_and_the_known_ones(self):
        response = self.patch(
            "staff-problem-detail",
            {"template_overrides": {"python": "{{user_code}}\n{{entrypoint}}()\n"}},
            problem_id=self.w.problem.pk,
        )
        error = self.assertError(response, 400, "invalid_input", fields={"template_overrides"})
        self.assertIn("{{entrypoint}}", error["fields"]["template_overrides"])
        for known in ("{{user_code}}", "{{entry_point}}", "{{open_braces}}", "{{close_braces}}"):
            self.assertIn(known, error["fields"]["template_overrides"])

    def test_subtasks_through_the_api(self):
        problem = self.w.problem
        orders = sorted(problem.test_cases.values_list("order", flat=True))
        first = self.post(
            "staff-subtask-list", {"name": "small", "points": 40}, problem_id=problem.pk
        )
        self.assertEqual(first.status_code, 201, first.content)
        self.assertEqual(first.json()["cases"], orders)  # the first subtask takes every case
        second = self.post(
            "staff-subtask-list",
            {
                "name": "rest",
                "points": 60,
                "scoring": "minimum",
                "short_circuit": False,
                "cases": orders[1:],
                "depends_on": [first.json()["id"]],
            },
            problem_id=problem.pk,
        )
        self.assertEqual(second.status_code, 201, second.content)
        self.assertEqual(second.json()["depends_on"], [first.json()["id"]])
        # A dependency on a later subtask (a cycle in the making) is refused.
        response = self.patch(
            "staff-subtask-detail",
            {"depends_on": [second.json()["id"]]},
            subtask_id=first.json()["id"],
        )
        self.assertError(response, 400, "invalid_input", fields={"depends_on"})
        detail = self.get("staff-problem-detail", problem_id=problem.pk).json()
        self.assertEqual(
            [(s["name"], s["cases"]) for s in detail["subtasks"]],
            [("small", orders[:1]), ("rest", orders[1:])],
        )
        # With subtasks, a case must be in one.
        response = self.post(
            "staff-case-list", {"input": "[1, 1]", "expected_output": "2"}, problem_id=problem.pk
        )
        self.assertError(response, 400, "invalid_input", fields={"subtask"})
        response = self.post(
            "staff-case-list",
            {"input": "[1, 1]", "expected_output": "2", "subtask": second.json()["id"]},
            problem_id=problem.pk,
        )
        self.assertEqual(response.status_code, 201, response.content)

    def four_case_problem(self) -> Problem:
        """A problem with cases 1 to 4 and no subtask, each ``solve(1, 2) == 3``."""
        problem = factories.ProblemFactory(chapter=self.w.chapter, title="Four cases")
        for order in range(1, 5):
            factories.ProblemTestCaseFactory(
                problem=problem, order=order, input="[1, 2]", expected_output="3"
            )
        return problem

    def judged(self, problem) -> Submission:
        """A right submission, judged by a backend that answers 3 to every case."""
        service = CodeExecutorService(backend=AcceptingBackend())
        return service.run_all_test_cases(self.w.student, problem, ADD_SOLVE, "python")

    def test_a_subtask_that_would_leave_a_case_in_no_subtask_is_refused(self):
        # The report: this answered 201, and every submission was then judged internal_error
        # ("test case 2 belongs to no subtask of its problem").
        problem = self.four_case_problem()
        for cases, loose in (([1], [2, 3, 4]), ([], [1, 2, 3, 4])):
            with self.subTest(cases=cases):
                response = self.post(
                    "staff-subtask-list", {"points": 1, "cases": cases}, problem_id=problem.pk
                )
                error = self.assertError(response, 400, "invalid_input", fields={"cases"})
                self.assertIn(f"cases {loose} would be in no subtask", error["fields"]["cases"])
                self.assertIn("first subtask takes every case", error["message"])
        self.assertFalse(problem.subtasks.exists())
        self.assertFalse(problem.test_cases.filter(subtask__isnull=False).exists())
        submission = self.judged(problem)
        self.assertEqual((submission.status, submission.score), (AC, Decimal(1)))

    def test_a_first_subtask_takes_every_case_and_later_ones_take_theirs_from_it(self):
        problem = self.four_case_problem()
        first = self.post("staff-subtask-list", {"points": 5}, problem_id=problem.pk)
        self.assertEqual(first.status_code, 201, first.content)
        self.assertEqual(first.json()["cases"], [1, 2, 3, 4])
        submission = self.judged(problem)
        self.assertEqual((submission.status, submission.score), (AC, Decimal(1)))
        second = self.post(
            "staff-subtask-list", {"points": 5, "cases": [3, 4]}, problem_id=problem.pk
        )
        self.assertEqual(second.status_code, 201, second.content)
        listed = self.assertPage(self.get("staff-subtask-list", problem_id=problem.pk), count=2)
        self.assertEqual([s["cases"] for s in listed], [[1, 2], [3, 4]])
        submission = self.judged(problem)
        self.assertEqual((submission.status, submission.score), (AC, Decimal(1)))
        self.assertEqual([s["earned"] for s in submission.subtask_results], ["5", "5"])

    def test_the_subtask_list_is_paginated_like_every_list(self):
        problem = self.four_case_problem()
        first = self.post("staff-subtask-list", {"points": 5}, problem_id=problem.pk).json()
        self.post("staff-subtask-list", {"points": 5, "cases": [3, 4]}, problem_id=problem.pk)
        response = self.get("staff-subtask-list", problem_id=problem.pk, data={"page_size": 1})
        (shown,) = self.assertPage(response, count=2)
        self.assertEqual((shown["id"], shown["cases"]), (first["id"], [1, 2]))
        self.assertIsNotNone(response.json()["next"])
        response = self.get("staff-subtask-list", problem_id=problem.pk, data={"page": 0})
        self.assertError(response, 400, "invalid_input", fields={"page"})

        def add_rows():
            Subtask.objects.bulk_create(
                Subtask(problem=problem, order=order, points=1) for order in range(3, 25)
            )

        self.assertListQueriesDoNotGrow("staff-subtask-list", add_rows, problem_id=problem.pk)

    def test_the_first_failure_names_the_case_as_the_case_tables_number_it(self):
        # The report: "wrong answer on hidden test case 2" beside a table whose row 3 failed:
        # the message used the case's order (from 0 in the demo), the tables count from 1.
        problem = factories.ProblemFactory(chapter=self.w.chapter, title="Orders")
        for order, expected in ((0, "3"), (5, "3"), (9, "4")):
            factories.ProblemTestCaseFactory(
                problem=problem, order=order, input="[1, 2]", expected_output=expected
            )
        submission = self.judged(problem)
        self.assertEqual(submission.status, WA)
        self.assertEqual(submission.error_text, "wrong answer on hidden test case 3")

    def test_a_subtask_left_without_cases_earns_nothing(self):
        # The report: a subtask whose cases all moved to another one earned its points for
        # free, so every submission, even one that passed nothing, got them.
        problem = self.four_case_problem()
        first = self.post("staff-subtask-list", {"points": 5}, problem_id=problem.pk).json()
        second = self.post(
            "staff-subtask-list", {"points": 5, "cases": [3, 4]}, problem_id=problem.pk
        ).json()
        taken = self.patch("staff-subtask-detail", {"cases": [1, 2, 3, 4]}, subtask_id=first["id"])
        self.assertEqual(taken.status_code, 200, taken.content)
        listed = self.assertPage(self.get("staff-subtask-list", problem_id=problem.pk))
        self.assertEqual([s["cases"] for s in listed], [[1, 2, 3, 4], []])
        submission = self.judged(problem)
        self.assertEqual((submission.status, submission.score), (AC, Decimal("0.5")))
        self.assertEqual(
            [(s["earned"], s["status"]) for s in submission.subtask_results],
            [("5", "passed"), ("0", "skipped")],
        )
        service = CodeExecutorService(backend=WrongBackend())
        wrong = service.run_all_test_cases(self.w.student, problem, ADD_SOLVE, "python")
        self.assertEqual((wrong.status, wrong.score), (WA, Decimal(0)))
        self.assertEqual(second["points"], 5)

    def test_a_change_that_leaves_a_case_in_no_subtask_is_refused_one_that_fixes_it_is_not(self):
        # A problem saved in that state before the rule was enforced.
        problem = self.four_case_problem()
        subtask = Subtask.objects.create(problem=problem, order=1, points=1)
        problem.test_cases.filter(order__in=[1, 2]).update(subtask=subtask)
        self.assertEqual(self.judged(problem).status, IE)
        url = {"subtask_id": subtask.pk}
        response = self.patch("staff-subtask-detail", {"points": 2}, **url)
        error = self.assertError(response, 400, "invalid_input", fields={"cases"})
        self.assertIn("cases [3, 4] would be in no subtask", error["fields"]["cases"])
        subtask.refresh_from_db()
        self.assertEqual(subtask.points, 1)
        response = self.patch("staff-subtask-detail", {"points": 2, "cases": [3, 4]}, **url)
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(response.json()["cases"], [1, 2, 3, 4])
        self.assertEqual(self.judged(problem).status, AC)


class AdminAuthoringTestCase(test_admin_authoring.AuthoringTestCase):
    """The admin's problem form: tests as code split on save, subtasks inline, checker fields."""

    def test_tests_as_code_are_split_on_save_and_the_message_shows_the_split(self):
        problem = factories.ProblemFactory(
            chapter=self.w.chapter, io_mode="tests", allowed_languages=["python"]
        )
        url = test_admin.change("problem", problem.pk)
        response = test_admin.post_with_rows(
            self.client, url, "test_cases", test_code=TESTS, setup_code=SETUP
        )
        self.assertRedirects(response, test_admin.changelist("problem"))
        self.assertEqual(problem.test_cases.count(), 4)
        shown = [str(m) for m in response.wsgi_request._messages]
        self.assertTrue(
            any("split into 4 cases: line 1: add(2, 3) → 5 (sample)" in m for m in shown), shown
        )

    def test_the_split_is_previewed_before_saving_and_a_bad_line_named(self):
        url = reverse("admin:courses_problem_tests_preview")
        ajax = {"X-Requested-With": "XMLHttpRequest"}
        response = self.client.post(url, {"test_code": TESTS}, headers=ajax)
        self.assertEqual(response.status_code, 200)
        body = response.content.decode()
        self.assertIn("4 cases", body)
        self.assertIn("<code>add(2, 3)</code>", body)
        self.assertIn("<code>(1, 2)</code>", body)
        self.assertNotIn("<html", body)
        refused = self.client.post(url, {"test_code": "assert add(1, 1) == 2\nimport os\n"})
        self.assertContains(refused, "line 2: only `assert EXPR == LITERAL` lines are tests")
        self.assertContains(refused, "<html")  # without JavaScript: a page of its own
        hostile = self.client.post(url, {"test_code": "assert f('<b>') == '<i>'\n"}, headers=ajax)
        self.assertNotIn("<b>", hostile.content.decode())  # shown as text, never markup
        # The button sits under the field; nothing is saved by previewing.
        problem = factories.ProblemFactory(
            chapter=self.w.chapter, io_mode="tests", allowed_languages=["python"]
        )
        page = self.client.get(test_admin.change("problem", problem.pk))
        self.assertContains(page, f'formaction="{url}"')
        self.assertContains(page, "Preview the split</button>")
        self.assertFalse(problem.test_cases.exists())
        self.assertEqual(self.client.get(url).status_code, 405)
        self.client.force_login(self.w.student)
        self.assertEqual(self.client.post(url, {"test_code": TESTS}).status_code, 302)

    def test_a_bad_line_is_refused_on_the_field_naming_it(self):
        problem = factories.ProblemFactory(
            chapter=self.w.chapter, io_mode="tests", allowed_languages=["python"]
        )
        url = test_admin.change("problem", problem.pk)
        response = test_admin.post_with_rows(
            self.client, url, "test_cases", test_code="assert add(1, 1) == 2\nimport os\n"
        )
        self.assertEqual(response.status_code, 200)
        errors = response.context["adminform"].form.errors["test_code"]
        self.assertIn("line 2: only `assert EXPR == LITERAL` lines are tests", errors[0])
        self.assertFalse(problem.test_cases.exists())

    def test_with_subtasks_a_case_row_without_one_is_refused(self):
        problem = self.w.problem
        judging_authoring.subtask_create(
            problem=problem,
            points=10,
            cases=list(problem.test_cases.values_list("order", flat=True)),
        )
        response = test_admin.post_with_rows(
            self.client,
            self.problem_url,
            "test_cases",
            [{"input": "[1, 1]", "expected_output": "2", "weight": "1"}],
        )
        self.assertEqual(response.status_code, 200)
        errors = test_admin.inline_errors(response, "problemtestcase")
        self.assertIn("every case belongs to one", str(errors[-1]["subtask"]))

    def test_the_first_subtask_added_here_takes_every_case_and_none_is_ever_left_out(self):
        # A case row cannot name a subtask saved in the same request: before, adding subtasks
        # left every case in none, and every submission was judged internal_error.
        problem = self.w.problem
        row = {"order": "1", "name": "small", "points": "40", "scoring": "all_or_nothing"}
        response = test_admin.post_with_rows(self.client, self.problem_url, "subtasks", [row])
        self.assertRedirects(response, test_admin.changelist("problem"))
        small = problem.subtasks.get()
        self.assertEqual(sorted(small.test_cases.values_list("order", flat=True)), [1, 2])
        shown = [str(m) for m in response.wsgi_request._messages]
        self.assertTrue(any("The subtask 1 (small) takes cases [1, 2]" in m for m in shown), shown)
        # A later one starts empty; the case rows move cases to it on the next save.
        rest = {**row, "order": "2", "name": "rest", "points": "60"}
        response = test_admin.post_with_rows(self.client, self.problem_url, "subtasks", [rest])
        self.assertRedirects(response, test_admin.changelist("problem"))
        self.assertEqual(small.test_cases.count(), 2)
        later = problem.subtasks.get(name="rest")
        response = test_admin.post_with_rows(
            self.client, self.problem_url, "test_cases", **{"test_cases-1-subtask": later.pk}
        )
        self.assertRedirects(response, test_admin.changelist("problem"))
        self.assertEqual(
            list(problem.test_cases.order_by("order").values_list("subtask__name", flat=True)),
            ["small", "rest"],
        )
        judging_authoring.subtasks_check(problem=problem)

    def test_a_subtask_depends_only_on_earlier_ones_here_too(self):
        # The report: the admin saved a subtask depending on itself, or on a later one, and
        # every submission to the problem was then judged internal_error.
        problem = self.w.problem
        first = judging_authoring.subtask_create(problem=problem, points=40)
        second = judging_authoring.subtask_create(problem=problem, points=60, cases=[2])
        url = self.problem_url
        for row, depends_on in ((1, second.pk), (0, first.pk), (0, second.pk)):
            with self.subTest(row=row, depends_on=depends_on):
                response = test_admin.post_with_rows(
                    self.client, url, "test_cases", **{f"subtasks-{row}-depends_on": depends_on}
                )
                self.assertEqual(response.status_code, 200)
                errors = test_admin.inline_errors(response, "subtask")[row]
                self.assertIn("depends only on earlier subtasks", str(errors.get("depends_on")))
        self.assertFalse(first.depends_on.exists() or second.depends_on.exists())
        # Moving the later one first in the same save is judged on the new orders.
        response = test_admin.post_with_rows(
            self.client,
            url,
            "test_cases",
            **{"subtasks-0-order": "3", "subtasks-0-depends_on": second.pk},
        )
        self.assertRedirects(response, test_admin.changelist("problem"))
        self.assertEqual(list(first.depends_on.all()), [second])
        # Judged, not internal_error: "3" everywhere fails case 2 (subtask 2), so subtask 3,
        # which depends on it, is skipped.
        service = CodeExecutorService(backend=AcceptingBackend())
        submission = service.run_all_test_cases(self.w.student, problem, ADD_SOLVE, "python")
        self.assertEqual(
            (submission.status, [s["status"] for s in submission.subtask_results]),
            (WA, ["failed", "skipped"]),
        )

    def test_the_form_has_the_new_fields_and_the_subtask_inline(self):
        response = self.client.get(self.problem_url)
        form = response.context["adminform"].form
        for name in ("setup_code", "test_code", "checker_language", "checker_code"):
            self.assertIn(name, form.fields)
        self.assertIn("language_limits", form.fields)
        models = [inline.opts.model for inline in response.context["inline_admin_formsets"]]
        self.assertIn(Subtask, models)


def without_order(package: bytes) -> dict:
    """A problem package's files, its problem's own ``order`` (its place) left out."""
    import tomllib
    import zipfile

    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    document = tomllib.loads(files.pop("problem/problem.toml").decode())
    document.pop("order")
    return {**files, "problem/problem.toml": document}


class PackageRoundTripTestCase(TestCase):
    """Format version 2 carries the kinds of issue 14 (docs/package-format.md)."""

    def test_the_new_kinds_travel_in_a_problem_package(self):
        from courses.services import packages

        call_command("seed_demo", stdout=io.StringIO())
        chapter = factories.ChapterFactory()
        for title in ("Mean and span", "Two parts", "Counting primes"):
            with self.subTest(problem=title):
                original = Problem.objects.get(title=title)
                original.language_limits = {"python": {"time_multiplier": 2.5}}
                original.save()
                data = packages.package_export_problem(problem=original)
                copy = packages.package_import_problem(data=data, chapter=chapter, judge=False)
                for name in (
                    "io_mode",
                    "setup_code",
                    "checker",
                    "checker_language",
                    "checker_code",
                    "language_limits",
                ):
                    self.assertEqual(getattr(copy, name), getattr(original, name), name)
                self.assertEqual(
                    list(copy.test_cases.values_list("order", "subtask__order")),
                    list(original.test_cases.values_list("order", "subtask__order")),
                )
                self.assertEqual(subtask_rows(copy), subtask_rows(original))
                again = packages.package_export_problem(problem=copy)
                self.assertEqual(without_order(again), without_order(data))


def subtask_rows(problem) -> list[tuple]:
    """A problem's subtasks as comparable rows, their dependencies by order."""
    return [
        (
            s.order,
            s.name,
            s.points,
            s.scoring,
            s.short_circuit,
            [d.order for d in s.depends_on.all()],
        )
        for s in problem.subtasks.all()
    ]
