"""Test plan Task 1.1: CodeExecutorService.run_all_test_cases, on the real local sandbox.

Connection failures use the real Judge0 client pointed at a closed port, an unresolvable
``.invalid`` host and a server that never answers. Aggregation-only checks use the scripted
in-memory backend. Concurrency uses real threads, hence ``TransactionTestCase``.
"""

from __future__ import annotations

import ast
import io
import json
import socket
import threading
from datetime import timedelta
from decimal import Decimal

from django.core.management import call_command
from django.test import TransactionTestCase, override_settings
from django.utils import timezone

from courses import demo
from courses.api.submissions import SubmissionOutputSerializer
from courses.judging import templates, verdicts
from courses.judging.backends import shared_backend
from courses.judging.backends.judge0 import Judge0Backend
from courses.judging.errors import BackendUnavailable
from courses.judging.types import Outcome, RunResult, Verdict
from courses.models import Problem, ProblemProgress, Submission, SubmissionTestResult
from courses.services.code_executor import CodeExecutorService
from courses.services.errors import LanguageNotAllowed, PayloadTooLarge, UnknownLanguage
from courses.services.submissions import (
    rejudge,
    submission_claim,
    submission_create,
    submission_fail,
)
from courses.tasks import judge_submission, requeue_stale_submissions
from courses.tests import factories
from courses.tests.fakes.network import UNRESOLVABLE_HOST, closed_port
from courses.tests.interleave import Choreography
from courses.tests.sandbox_fixtures import local_backend, requires_language, requires_sandbox
from courses.tests.scripted_backend import ScriptedBackend
from courses.tests.services.db_fixtures import run_together

ADD = "def solve(a, b):\n    return a + b\n"


def add_problem(cases=((1, 2), (3, 4), (10, -10), (100, 1)), weights=None, **kwargs):
    problem = factories.ProblemFactory(**kwargs)
    for order, (a, b) in enumerate(cases):
        factories.ProblemTestCaseFactory(
            problem=problem,
            order=order,
            input=json.dumps([a, b]),
            expected_output=json.dumps(a + b),
            weight=(weights or [1] * len(cases))[order],
            is_sample=order == 0,
        )
    return problem


def ok(stdout: bytes) -> RunResult:
    return RunResult(outcome=Outcome.OK, stdout=stdout, cpu_time_ms=5, memory_kb=1000)


def embedded_python_program(launcher: str) -> str:
    """The program a Python launcher compiles: the string literal it assigns to ``_source``."""
    for node in ast.parse(launcher).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "_source":
            return ast.literal_eval(node.value)
    raise AssertionError("no _source in the launcher")


@requires_sandbox
class CodeExecutorServiceTestCase(TransactionTestCase):
    def setUp(self):
        self.user = factories.UserFactory()
        self.service = CodeExecutorService(backend=local_backend())

    def judge(self, problem, code, language="python"):
        return self.service.run_all_test_cases(self.user, problem, code, language)

    # Step 2: successful execution -------------------------------------------------------------

    def test_all_cases_pass_gives_accepted_with_full_score(self):
        problem = add_problem()
        submission = self.judge(problem, ADD)
        self.assertEqual(submission.status, Verdict.ACCEPTED)
        self.assertEqual(submission.score, Decimal("1"))
        verdicts_ = list(submission.test_results.values_list("verdict", flat=True))
        self.assertEqual(verdicts_, [Verdict.ACCEPTED] * 4)

    def test_results_are_saved_with_time_memory_and_timestamps(self):
        submission = self.judge(add_problem(), ADD)
        self.assertIsNotNone(submission.judged_at)
        self.assertGreaterEqual(submission.judged_at, submission.judging_started_at)
        self.assertGreater(submission.peak_memory_kb, 0)
        self.assertIsNotNone(submission.max_cpu_time_ms)
        self.assertIsNone(submission.claim_id)
        rows = SubmissionTestResult.objects.filter(submission=submission)
        self.assertEqual(rows.count(), 4)
        self.assertTrue(all(r.memory_kb > 0 for r in rows))
        # Every case keeps its output, for the course's staff (students see samples' only).
        self.assertEqual(rows.get(order=0).output.strip(), "3")
        self.assertEqual(
            [r.output.strip() for r in rows.order_by("order")],
            ["3", "7", "0", "101"],
        )

    def test_status_maps_from_judge0_status_to_api_status(self):
        """A finished Judge0 run becomes a submission verdict and an API status string."""
        problem = add_problem(cases=((1, 2),))
        expected = {
            3: "accepted",  # ran cleanly; our checker found "3" right
            4: "accepted",  # Judge0's own comparison is ignored: we send no expected output
            5: "time_limit_exceeded",
            6: "compilation_error",
            7: "runtime_error",  # SIGSEGV
            8: "output_limit_exceeded",  # SIGXFSZ: Judge0 has no OLE status
            9: "runtime_error",  # SIGFPE
            10: "runtime_error",  # SIGABRT
            11: "runtime_error",  # NZEC
            12: "runtime_error",
        }
        for status_id, status in expected.items():
            with self.subTest(status_id=status_id):
                result = verdicts.result_from_judge0_status(
                    status_id, stdout=b"3\n", exit_code=0 if status_id in (3, 4) else 1
                )
                service = CodeExecutorService(backend=ScriptedBackend([result]))
                submission = service.run_all_test_cases(self.user, problem, ADD)
                self.assertEqual(submission.status, status)
                api = verdicts.api_status_for(Verdict(submission.status), created=True)
                self.assertEqual((api.code, api.http_status), (status, 201))

    # Step 3: backend connection failures ------------------------------------------------------

    def assert_waits_for_the_judge(self, backend, reason_fragment):
        """An unreachable judge is an outage, not a verdict: the submission stays queued with a
        ``retry_at`` and the reason for the staff (issue 12), nothing partial kept."""
        problem = add_problem()
        submission = CodeExecutorService(backend=backend).run_all_test_cases(
            self.user, problem, ADD
        )
        self.assertEqual(submission.status, Verdict.PENDING)
        self.assertIsNotNone(submission.retry_at)
        self.assertGreater(submission.retry_at, timezone.now())
        self.assertIn(reason_fragment, submission.retry_reason.lower())
        self.assertEqual(submission.error_text, "")
        self.assertFalse(submission.test_results.exists())
        self.assertEqual(submission.score, 0)
        self.assertIsNone(submission.claim_id)

    def test_connection_refused_queues_the_submission_with_reason(self):
        backend = Judge0Backend(f"http://127.0.0.1:{closed_port()}", max_retry_time_s=0.5)
        self.assert_waits_for_the_judge(backend, "connect")

    def test_dns_failure_queues_the_submission_with_reason(self):
        backend = Judge0Backend(f"http://{UNRESOLVABLE_HOST}", max_retry_time_s=0.5)
        self.assert_waits_for_the_judge(backend, ".invalid")

    def test_network_timeout_queues_the_submission_with_reason(self):
        with socket.socket() as silent:
            silent.bind(("127.0.0.1", 0))
            silent.listen(8)  # accepts connections, never answers
            url = f"http://127.0.0.1:{silent.getsockname()[1]}"
            backend = Judge0Backend(url, read_timeout_s=0.3, max_retry_time_s=0.5)
            self.assert_waits_for_the_judge(backend, "deadline")

    # Steps 4 and 10: failures and partial failures --------------------------------------------

    def test_one_failing_case_gives_wrong_answer_and_partial_score(self):
        code = "def solve(a, b):\n    return a + b if a != 3 else 0\n"
        submission = self.judge(add_problem(), code)
        self.assertEqual(submission.status, Verdict.WRONG_ANSWER)
        self.assertEqual(submission.score, Decimal("0.75"))
        by_order = dict(submission.test_results.values_list("order", "verdict"))
        self.assertEqual(by_order[1], Verdict.WRONG_ANSWER)
        self.assertEqual([by_order[i] for i in (0, 2, 3)], [Verdict.ACCEPTED] * 3)

    def test_multiple_failing_cases_report_the_first_in_order(self):
        code = "def solve(a, b):\n    if a == 10:\n        raise ValueError(a)\n    return a * b\n"
        submission = self.judge(add_problem(), code)
        # Case 0 (1*2=2 != 3) fails first with WA; case 2 raises; case 3 (100*1) fails too.
        self.assertEqual(submission.status, Verdict.WRONG_ANSWER)
        self.assertEqual(submission.score, Decimal("0"))
        by_order = dict(submission.test_results.values_list("order", "verdict"))
        self.assertEqual(by_order[2], Verdict.RUNTIME_ERROR)
        self.assertEqual(by_order[1], Verdict.WRONG_ANSWER)

    def test_some_pass_some_fail_keeps_each_case_verdict(self):
        code = "def solve(a, b):\n    return 7\n"  # only 3 + 4 == 7
        submission = self.judge(add_problem(), code)
        self.assertEqual(submission.status, Verdict.WRONG_ANSWER)
        self.assertEqual(submission.score, Decimal("0.25"))
        self.assertEqual(
            list(submission.test_results.order_by("order").values_list("verdict", flat=True)),
            [Verdict.WRONG_ANSWER, Verdict.ACCEPTED, Verdict.WRONG_ANSWER, Verdict.WRONG_ANSWER],
        )

    # Step 5: resource limits --------------------------------------------------------------------

    def test_infinite_loop_is_time_limit_exceeded(self):
        problem = add_problem(cases=((1, 2),), time_limit_ms=500)
        submission = self.judge(problem, "def solve(a, b):\n    while True:\n        pass\n")
        self.assertEqual(submission.status, Verdict.TIME_LIMIT_EXCEEDED)
        self.assertEqual(submission.score, 0)

    def test_memory_hog_is_memory_limit_exceeded(self):
        problem = add_problem(cases=((1, 2),), memory_limit_kb=64 * 1024)
        code = "def solve(a, b):\n    x = bytearray(300 << 20)\n    return len(x)\n"
        submission = self.judge(problem, code)
        self.assertEqual(submission.status, Verdict.MEMORY_LIMIT_EXCEEDED)

    # Step 6: compilation errors -----------------------------------------------------------------

    def test_python_syntax_error_is_compilation_error_with_message(self):
        submission = self.judge(add_problem(), "def solve(a, b)\n    return a + b\n")
        self.assertEqual(submission.status, Verdict.COMPILATION_ERROR)
        self.assertIn("SyntaxError", submission.compile_output)
        self.assertEqual(submission.score, 0)

    def test_a_faked_compilation_error_shows_no_hidden_input(self):
        # An outside probe: a case wrote the launcher's marker and its stdin to stderr and
        # exited 3; the first (hidden) case's input became the "compiler output" its student
        # reads, in every feedback mode but "none".
        problem = factories.ProblemFactory(io_mode="stdio", checker="tokens")
        for order, (text, sample) in enumerate((("HIDDEN-INPUT 42", False), ("1 2", True))):
            factories.ProblemTestCaseFactory(
                problem=problem, order=order, input=text, expected_output="3", is_sample=sample
            )
        faker = (
            "import sys\n"
            "data = sys.stdin.read()\n"
            "if not data.startswith('1 2'):\n"
            f"    sys.stderr.write({templates.PYTHON_COMPILE_ERROR_MARKER!r} + '\\n' + data)\n"
            "    sys.exit(3)\n"
            "print(3)\n"
        )
        submission = self.judge(problem, faker)
        self.assertEqual(submission.status, Verdict.RUNTIME_ERROR)
        self.assertEqual(submission.compile_output, "")
        shown = json.dumps(SubmissionOutputSerializer(submission).data)
        self.assertNotIn("HIDDEN-INPUT", shown)
        rows = submission.test_results.order_by("order")
        self.assertEqual(
            list(rows.values_list("verdict", flat=True)),
            [Verdict.RUNTIME_ERROR, Verdict.ACCEPTED],
        )

    @requires_language("c", "cpp")
    def test_c_and_cpp_compile_errors_are_compilation_errors(self):
        for language, code in (
            ("c", "int main(void) { return undefined_name; }\n"),
            ("cpp", "int main() { std::vector<int> v; }\n"),
        ):
            with self.subTest(language=language):
                problem = factories.ProblemFactory(
                    io_mode="stdio", checker="tokens", allowed_languages=[language]
                )
                factories.ProblemTestCaseFactory(problem=problem, input="", expected_output="")
                submission = self.judge(problem, code, language)
                self.assertEqual(submission.status, Verdict.COMPILATION_ERROR)
                self.assertIn("error", submission.compile_output)

    def test_import_error_is_runtime_error(self):
        code = "import no_such_module_here\n\ndef solve(a, b):\n    return a + b\n"
        submission = self.judge(add_problem(), code)
        self.assertEqual(submission.status, Verdict.RUNTIME_ERROR)
        # Case 0 is a sample: its error text is shown.
        self.assertIn("ModuleNotFoundError", submission.error_text)

    def test_type_error_is_runtime_error(self):
        submission = self.judge(add_problem(), "def solve(a, b):\n    return a + 'x'\n")
        self.assertEqual(submission.status, Verdict.RUNTIME_ERROR)
        self.assertIn("TypeError", submission.error_text)

    # Step 7: wrapping with the template ---------------------------------------------------------

    def test_code_is_wrapped_and_the_entry_point_substituted(self):
        problem = add_problem(cases=((1, 2),), entry_point="add_them")
        backend = ScriptedBackend([ok(b"3\n")])
        code = "def add_them(a, b):\n    return a + b  # {{entry_point}} ${user_code} %s {x}\n"
        CodeExecutorService(backend=backend).run_all_test_cases(self.user, problem, code)
        (batch,) = backend.batches
        program = embedded_python_program(batch[0].source)
        self.assertIn(code, program)  # student code verbatim, placeholders in it untouched
        self.assertIn("add_them(*args)", program.replace(code, ""))
        self.assertNotIn("{{", program.replace(code, ""))
        self.assertEqual(batch[0].stdin, b"[1, 2]")

    def test_problem_template_override_is_used_and_runs(self):
        template = templates.default_template("python").replace(
            "{{user_code}}", "OFFSET = 1000\n{{user_code}}"
        )
        problem = add_problem(cases=((1, 2),), template_overrides={"python": template})
        problem.full_clean()
        code = "def solve(a, b):\n    return a + b + OFFSET - 1000\n"
        submission = self.judge(problem, code)
        self.assertEqual(submission.status, Verdict.ACCEPTED)

    # Step 8: result aggregation -----------------------------------------------------------------

    def test_score_is_the_weighted_share_of_passed_cases(self):
        problem = add_problem(weights=[1, 2, 3, 4])
        code = "def solve(a, b):\n    return a + b if a in (3, 100) else -1\n"
        submission = self.judge(problem, code)
        self.assertEqual(submission.score, Decimal("0.6"))  # (2 + 4) / 10
        self.assertEqual(submission.status, Verdict.WRONG_ANSWER)
        self.assertEqual(submission.points, Decimal("0.6") * problem.points)

    def test_the_returned_submission_holds_what_the_database_holds(self):
        # The judge returns the row as its save left it, without reading it again: each field
        # must equal a fresh read, type included (a Verdict member where the database gives a
        # str, or a score with other places, would differ in the API and in comparisons).
        problem = add_problem(weights=[1, 2, 3, 4])
        partial = "def solve(a, b):\n    return a + b if a in (3, 100) else -1\n"
        for code in (ADD, partial, "def solve(a, b)\n"):
            with self.subTest(code=code):
                submission = self.judge(problem, code)
                fresh = Submission.objects.get(pk=submission.pk)
                for field in Submission._meta.concrete_fields:
                    mine = getattr(submission, field.attname)
                    theirs = getattr(fresh, field.attname)
                    self.assertEqual((type(mine), mine), (type(theirs), theirs), field.name)

    def test_progress_follows_the_judged_submissions(self):
        problem = add_problem()
        self.judge(problem, "def solve(a, b):\n    return 0\n")
        first = self.judge(problem, ADD)
        self.judge(problem, "def solve(a, b):\n    return 0\n")
        progress = ProblemProgress.objects.get(user=self.user, problem=problem)
        self.assertEqual(progress.attempts, 3)
        self.assertEqual(progress.status, ProblemProgress.Status.SOLVED)
        self.assertEqual(progress.best_score, Decimal("1"))
        self.assertEqual(progress.first_solved_at, first.created_at)

    # Step 9: concurrent execution ---------------------------------------------------------------

    def test_concurrent_submissions_are_all_judged_and_counted(self):
        problem = add_problem()
        users = [factories.UserFactory() for _ in range(3)]
        codes = [ADD, "def solve(a, b):\n    return 0\n", ADD, ADD]
        results, errors = {}, []

        def submit(index, user, code):
            try:
                results[index] = CodeExecutorService(backend=local_backend()).run_all_test_cases(
                    user, problem, code
                )
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)

        jobs = [(i, users[i % 3], c) for i, c in enumerate(codes)] + [(4, self.user, ADD)]
        threads = [threading.Thread(target=submit, args=job) for job in jobs]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        self.assertEqual(errors, [])
        self.assertEqual(results[1].status, Verdict.WRONG_ANSWER)
        self.assertTrue(all(results[i].status == Verdict.ACCEPTED for i in (0, 2, 3, 4)))
        self.assertEqual(SubmissionTestResult.objects.count(), 5 * 4)
        progress = ProblemProgress.objects.get(user=users[0], problem=problem)
        self.assertEqual(progress.attempts, 2)  # submissions 0 and 3
        self.assertEqual(ProblemProgress.objects.get(user=users[1], problem=problem).attempts, 1)

    def test_two_workers_racing_for_one_submission_judge_it_once(self):
        """Both workers read the submission before either claims it, every run (a forced
        interleaving): a check-then-update claim would have both judge it."""
        problem = add_problem()
        submission = factories.SubmissionFactory(user=self.user, problem=problem, code=ADD)
        backend = ScriptedBackend(lambda request: ok(b"0\n"))

        def worker(name):
            with race.party(name, before=r'^UPDATE "courses_submission"'):
                return CodeExecutorService(backend=backend).judge_submission(submission.pk)

        with Choreography("first", "second") as race:
            _, errors = run_together(worker, [("first",), ("second",)])
        self.assertEqual(errors, [])
        self.assertEqual(len(backend.batches), 1)
        self.assertEqual(submission.test_results.count(), 4)
        self.assertEqual(ProblemProgress.objects.get(user=self.user).attempts, 1)

    # The claim and lease ------------------------------------------------------------------------

    def test_a_judged_submission_is_never_judged_again(self):
        submission = self.judge(add_problem(), ADD)
        backend = ScriptedBackend(lambda request: ok(b"0\n"))
        again = CodeExecutorService(backend=backend).judge_submission(submission.pk)
        self.assertEqual(backend.batches, [])
        self.assertEqual(again.status, Verdict.ACCEPTED)

    def test_a_lost_claim_cannot_save_and_an_expired_lease_is_claimed_again(self):
        problem = add_problem()
        submission = factories.SubmissionFactory(user=self.user, problem=problem, code=ADD)
        first_claim = submission_claim(submission_id=submission.pk, lease=timedelta(minutes=5))
        self.assertIsNotNone(first_claim)
        # While the lease holds, nobody else may claim it.
        self.assertIsNone(submission_claim(submission_id=submission.pk, lease=timedelta(0)))
        # The first worker is lost; once its lease expires the next worker judges it.
        Submission.objects.filter(pk=submission.pk).update(
            lease_expires_at=timezone.now() - timedelta(seconds=1)
        )
        judged = CodeExecutorService(backend=local_backend()).judge_submission(submission.pk)
        self.assertEqual(judged.status, Verdict.ACCEPTED)
        self.assertEqual(judged.test_results.count(), 4)
        # The lost worker comes back: its claim no longer holds, so its write is ignored.
        self.assertFalse(
            submission_fail(submission_id=submission.pk, claim_id=first_claim, reason="late")
        )
        judged.refresh_from_db()
        self.assertEqual(judged.status, Verdict.ACCEPTED)

    # What a student may see ---------------------------------------------------------------------

    def test_hidden_case_output_is_stored_for_staff_and_the_error_text_stays_generic(self):
        """Staff see why a hidden case failed; the submission's own text names no hidden data.

        What students may read is the serializers' business (the API's hidden-data tests).
        """
        problem = add_problem(cases=((1, 2), (31337, 1)))
        code = (
            "import sys\n"
            "def solve(a, b):\n"
            "    print('LEAK', a, b)\n"
            "    print('LEAK', a, file=sys.stderr)\n"
            "    raise RuntimeError(f'secret {a}')\n"
        )
        submission = self.judge(problem, code)
        self.assertEqual(submission.status, Verdict.RUNTIME_ERROR)
        hidden = submission.test_results.get(order=1)
        # While the entry point runs, the student's prints go to stderr (templates.py).
        self.assertIn("LEAK 31337 1", hidden.error_output)
        self.assertIn("secret 31337", hidden.error_output)
        student_facing = json.dumps(
            list(Submission.objects.filter(pk=submission.pk).values()), default=str
        )
        self.assertNotIn("31337", student_facing)

    # Validation and reference solutions ---------------------------------------------------------

    def test_invalid_input_is_rejected_before_anything_is_saved(self):
        problem = add_problem()
        with self.assertRaises(LanguageNotAllowed):
            self.judge(problem, ADD, language="java")
        with self.assertRaises(UnknownLanguage):
            self.judge(problem, ADD, language="cobol")
        with self.assertRaises(PayloadTooLarge):
            self.judge(problem, "x = 1\n" * 20000)
        self.assertFalse(Submission.objects.exists())

    def test_demo_reference_solutions_are_accepted_and_wrong_variants_are_not(self):
        call_command("seed_demo", stdout=io.StringIO())

        for spec in demo.PROBLEMS:
            problem = Problem.objects.get(title=spec.title)
            with self.subTest(problem=spec.title):
                good = self.judge(problem, spec.reference, spec.language)
                self.assertEqual(good.status, Verdict.ACCEPTED, good.error_text)
                self.assertEqual(good.score, Decimal("1"))
                bad = self.judge(problem, spec.wrong, spec.language)
                self.assertNotEqual(bad.status, Verdict.ACCEPTED)
                self.assertLess(bad.score, Decimal("1"))


class FailingBackend(ScriptedBackend):
    """Named in settings by dotted path: every batch fails as an unreachable Judge0 would."""

    default_script = BackendUnavailable("judge0 is unreachable: connection refused")


class CleanBackend(ScriptedBackend):
    """Named in settings by dotted path: every run is clean and prints ``3``."""

    default_script = RunResult(outcome=Outcome.OK, stdout=b"3\n")


class JudgingQueueTestCase(TransactionTestCase):
    """The inline (eager) Celery path: enqueue on commit, retries, and the periodic requeue."""

    def setUp(self):
        self.user = factories.UserFactory()
        self.problem = add_problem(cases=((1, 2),))

    @override_settings(COURSES_JUDGE_BACKEND=f"{__name__}.CleanBackend")
    def test_a_created_submission_is_judged_once_committed(self):
        submission = submission_create(
            user=self.user, problem=self.problem, language="python", code=ADD
        )
        submission.refresh_from_db()
        self.assertEqual(submission.status, Verdict.ACCEPTED)
        self.assertIsNotNone(submission.enqueued_at)

    @override_settings(
        COURSES_JUDGE_BACKEND=f"{__name__}.FailingBackend",
        COURSES_JUDGE_RETRY_FIRST_DELAY_SECONDS=10,
        COURSES_JUDGE_RETRY_MAX_DELAY_SECONDS=40,
        COURSES_JUDGE_RETRY_MAX_AGE_SECONDS=100,
    )
    def test_outages_queue_the_submission_with_growing_delays_then_end_internal_error(self):
        """No Celery retries back to back: each outage puts the submission back with a later
        ``retry_at`` (10, 20, 40, 40 s...), the last one at the maximum age; a try that fails
        there ends it ``internal_error`` with the reason, which the staff can requeue (issue
        12). A delay never ends it early: the last try comes at the deadline."""
        backend = shared_backend()
        calls_before = len(backend.batches)
        pending = factories.SubmissionFactory(user=self.user, problem=self.problem)
        Submission.objects.filter(pk=pending.pk).update(enqueued_at=timezone.now())
        delays = []
        for _ in range(3):
            before = timezone.now()
            self.assertEqual(judge_submission.apply(args=[pending.pk]).get(), Verdict.PENDING)
            pending.refresh_from_db()
            delays.append(round((pending.retry_at - before).total_seconds()))
            self.assertIn("connection refused", pending.retry_reason)
        self.assertEqual(delays, [10, 20, 40])
        self.assertEqual(pending.judge_failures, 3)
        self.assertEqual(requeue_stale_submissions.apply().get(), 0, "none is due yet")
        # 70 s after it was submitted, the next try (40 s later) would be too old: it comes at
        # the deadline instead, 30 s later.
        Submission.objects.filter(pk=pending.pk).update(
            enqueued_at=timezone.now() - timedelta(seconds=70)
        )
        before = timezone.now()
        self.assertEqual(judge_submission.apply(args=[pending.pk]).get(), Verdict.PENDING)
        pending.refresh_from_db()
        self.assertAlmostEqual((pending.retry_at - before).total_seconds(), 30, delta=2)
        # That last try, at the deadline, fails too: the submission ends.
        Submission.objects.filter(pk=pending.pk).update(
            enqueued_at=timezone.now() - timedelta(seconds=100)
        )
        self.assertEqual(judge_submission.apply(args=[pending.pk]).get(), Verdict.INTERNAL_ERROR)
        self.assertEqual(len(backend.batches) - calls_before, 5)
        submission = Submission.objects.get()
        self.assertIn("connection refused", submission.error_text)
        self.assertIn("requeue", submission.error_text)
        self.assertFalse(submission.test_results.exists())

    @override_settings(
        COURSES_JUDGE_BACKEND=f"{__name__}.CleanBackend", COURSES_PENDING_REQUEUE_SECONDS=0
    )
    def test_stale_submissions_are_enqueued_again_and_judged(self):
        lost = factories.SubmissionFactory(user=self.user, problem=self.problem)
        expired = factories.SubmissionFactory(user=self.user, problem=self.problem)
        Submission.objects.filter(pk=expired.pk).update(
            status=Verdict.JUDGING, lease_expires_at=timezone.now() - timedelta(seconds=1)
        )
        judged = factories.SubmissionFactory(
            user=self.user, problem=self.problem, status=Verdict.WRONG_ANSWER
        )
        self.assertEqual(requeue_stale_submissions.apply().get(), 2)
        statuses = dict(Submission.objects.values_list("pk", "status"))
        self.assertEqual(statuses[lost.pk], Verdict.ACCEPTED)
        self.assertEqual(statuses[expired.pk], Verdict.ACCEPTED)
        self.assertEqual(statuses[judged.pk], Verdict.WRONG_ANSWER)

    @override_settings(COURSES_JUDGE_BACKEND=f"{__name__}.CleanBackend")
    def test_rejudge_that_lowers_a_result_lowers_progress(self):
        service = CodeExecutorService()
        submission = service.run_all_test_cases(self.user, self.problem, ADD)
        progress = ProblemProgress.objects.get(user=self.user, problem=self.problem)
        self.assertEqual(progress.status, ProblemProgress.Status.SOLVED)
        # The instructor fixes the expected output; the old answer is now wrong.
        self.problem.test_cases.update(expected_output="4")
        self.assertEqual(rejudge(problem=self.problem), [submission.pk])
        submission.refresh_from_db()
        self.assertEqual(submission.status, Verdict.WRONG_ANSWER)
        progress.refresh_from_db()
        self.assertEqual(progress.status, ProblemProgress.Status.ATTEMPTED)
        self.assertIsNone(progress.first_solved_at)
        self.assertEqual(progress.best_score, 0)
        self.assertEqual(progress.attempts, 1)
