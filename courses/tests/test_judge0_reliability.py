"""Issue 12: no lost or duplicated Judge0 work through outages and faults.

Every finding of the issue is a test here, on the fake Judge0 (``courses.tests.fakes.judge0``)
over real sockets; each failed on the code before the fix (docs/reliability.md says how it was
checked). Nothing in httpx, the backend or the services is patched: faults are scripted on the
fake (lost answers, HTML pages, runs of 502s, trickled bodies, a paused queue, statuses 13/14,
a scheduled restart), and timings are small settings, never long sleeps.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
import time
import tracemalloc
from datetime import timedelta

from django.core.management import call_command
from django.core.management.base import CommandError
from django.forms import modelform_factory
from django.test import SimpleTestCase, TransactionTestCase, override_settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from courses.admin_forms import ProblemForm
from courses.judging.backends.judge0 import (
    CircuitBreaker,
    CircuitOpen,
    Judge0Backend,
    clear_language_cache,
)
from courses.judging.errors import (
    AnswerLost,
    BackendInternalError,
    BackendProtocolError,
    BackendRejected,
    BackendUnavailable,
    JudgeError,
    SubmissionsForgotten,
)
from courses.judging.types import Limits, Outcome, RunRequest, Verdict
from courses.models import Course, ExamAttempt, Problem, Submission
from courses.services.authoring import problem_create, problem_update
from courses.services.code_executor import CodeExecutorService
from courses.services.errors import InvalidInput, InvalidPackage
from courses.services.exam_attempts import exam_attempts_finish_expired
from courses.services.packages import package_export_course, package_import_course
from courses.services.submissions import rejudge, submission_create
from courses.tests import factories
from courses.tests.fakes.judge0 import FakeJudge0, Fault
from courses.tests.judge0_support import (
    BATCH_GET,
    BATCH_POST,
    C_SUM,
    QUICK_JUDGE0,
    SOLVE,
    TOKEN,
    FakeJudge0Mixin,
    MemoryCheckpoint,
    add_requests,
    graded_problem,
    print_requests,
    settle,
)
from courses.tests.test_packages import rezip, small_course, unzip

HTML_502 = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
HTML_504 = "<html><head><title>504 Gateway Time-out</title></head><body>nginx</body></html>"
HTML_500 = "<html><body><h1>We're sorry, but something went wrong.</h1></body></html>"
#: Numbers out of range in a result (the probe's, and their kin): each is garbage.
OUT_OF_RANGE = {
    "memory -5": lambda entry: entry.update(memory=-5),
    "memory 10**30": lambda entry: entry.update(memory=10**30),
    "time 1e30": lambda entry: entry.update(time="1e30"),
    "wall_time -1": lambda entry: entry.update(wall_time="-1"),
    "exit_code -1": lambda entry: entry.update(exit_code=-1),
    "exit_code 2**40": lambda entry: entry.update(exit_code=2**40),
    "exit_signal 4096": lambda entry: entry.update(exit_signal=4096),
    "status id 99": lambda entry: entry["status"].update(id=99),
}
#: The shapes of a lost answer to a create after which Judge0 may have created the work (the
#: probe's, docs/reliability.md): each leaves the call with ``AnswerLost``.
LOST_CREATE_ANSWERS = {
    "connection cut after the create": Fault(drop_after=True),
    "answer cut mid-body": Fault(truncate=12),
    "a proxy's 504 after the create": Fault(
        status=504, body=HTML_504, content_type="text/html", acted=True
    ),
    "an HTML page with 200": Fault(status=200, body=HTML_500, content_type="text/html"),
    "a trickled answer": Fault(trickle_s=0.5),
    "no answer (read timeout)": Fault(hang=True, hang_s=6),
}


class BackendFaultsTestCase(FakeJudge0Mixin, SimpleTestCase):
    """The backend alone: what it creates, how long it waits, what it refuses."""

    def backend_defaults(self) -> dict:
        return {"connect_timeout_s": 1.0, "read_timeout_s": 2.0, "max_retry_time_s": 3.0}

    # Duplicates -----------------------------------------------------------------------------------

    def test_a_lost_create_answer_ends_the_call_and_only_the_next_try_creates_again(self):
        """Every shape of a lost answer to a batch create (Judge0 may have created it): the call
        fails at once as an outage, with one POST (issue 12 re-POSTed at once and ended the work
        ``NotRepeated`` at the second loss); the next call (the next scheduled try) creates the
        jobs without a token, once, and judges them."""
        for name, fault in LOST_CREATE_ANSWERS.items():
            with self.subTest(name):
                self.fake.reset_script()
                self.fake.script(BATCH_POST, fault, times=1)
                backend = self.backend(use_harness=False)
                checkpoint = MemoryCheckpoint()
                started = time.monotonic()
                with self.assertRaises(AnswerLost) as caught:
                    backend.run_batch(print_requests(5), checkpoint=checkpoint)
                self.assertLess(time.monotonic() - started, 5.0)
                self.assertTrue(caught.exception.outage)
                self.assertIn("created again at the next try", str(caught.exception))
                self.assertEqual(len(self.fake.requests_to(BATCH_POST)), 1, "never re-POSTed")
                results = backend.run_batch(print_requests(5), checkpoint=checkpoint)
                self.assertEqual([r.stdout for r in results], [f"{i}\n".encode() for i in range(5)])
                self.assertEqual(len(self.fake.requests_to(BATCH_POST)), 2)
                self.assertLessEqual(self.fake.created, 2 * 5, "at most one set per try")

    def test_a_500_answering_a_create_created_nothing_and_is_not_a_lost_answer(self):
        """Judge0's 500 is its own request failing: repeated within the client's retry budget,
        and past it an outage that says nothing was created (not ``AnswerLost``)."""
        backend = self.backend(use_harness=False)
        self.fake.script(BATCH_POST, Fault(status=500, body={"error": "PG::ConnectionBad"}))
        results = backend.run_batch(print_requests(2))
        self.assertEqual([r.stdout for r in results], [b"0\n", b"1\n"])
        self.assertEqual(self.fake.created, 2)
        self.fake.script(BATCH_POST, Fault(status=500, body={"error": "PG::ConnectionBad"}), 99)
        with self.assertRaises(BackendUnavailable) as caught:
            backend.run_batch(print_requests(2))
        self.assertNotIsInstance(caught.exception, AnswerLost)
        self.assertEqual(backend.stats["answers_lost"], 0)

    def test_a_retried_call_polls_the_tokens_it_created_instead_of_creating_again(self):
        """A Celery retry (or another worker) after the first call created its submissions:
        the checkpoint gives it the tokens, and it polls them."""
        backend = self.backend(use_harness=False, max_wait_s=0.8)
        checkpoint = MemoryCheckpoint()
        self.fake.pause()  # Judge0's queue is stuck: the first call runs out of its budget
        with self.assertRaises(BackendUnavailable):
            backend.run_batch(print_requests(5), checkpoint=checkpoint)
        self.assertEqual(self.fake.created, 5)
        self.fake.resume()
        results = self.backend(use_harness=False).run_batch(
            print_requests(5), checkpoint=checkpoint
        )
        self.assertEqual([r.outcome for r in results], [Outcome.OK] * 5)
        self.assertEqual(self.fake.created, 5, "the same tokens, polled")

    def test_forgotten_tokens_win_the_breakers_probe_instead_of_keeping_it_open(self):
        """Judge0 forgot the tokens (twice): it answered, so the half-open probe closes the
        circuit (issue 12's code counted the second forget as a failure and re-opened it, so a
        submission Judge0 kept forgetting kept winning and losing every probe)."""
        circuit = CircuitBreaker(self.fake.url, failure_threshold=1, cooldown_s=0.2)
        backend = self.backend(use_harness=False, circuit=circuit)
        circuit.record_failure()
        time.sleep(0.3)
        self.assertEqual(circuit.state, "half_open")
        forget = Fault(mutate=lambda doc: (self.fake.forget(), doc)[1])
        self.fake.script(BATCH_POST, forget, times=2)
        with self.assertRaises(SubmissionsForgotten):
            backend.run_batch(print_requests(1), checkpoint=MemoryCheckpoint())
        self.assertEqual((circuit.state, circuit.failures()), ("closed", 0))

    def test_a_status_13_storm_costs_one_submission_per_try_and_never_falls_back(self):
        """Judge0's own failure (13) on the harness submission: no per-case fallback (which
        made a 10-case submission cost 72 runs), no retry inside the call; the next call makes
        that one submission again, and polls nothing it already has."""
        backend = self.backend()
        checkpoint = MemoryCheckpoint()
        self.fake.force_status(13, times=3, message="No such file or directory @ rb_sysopen")
        for attempt in range(1, 4):
            with self.assertRaises(BackendInternalError):
                backend.run_batch(add_requests(10), checkpoint=checkpoint)
            self.assertEqual(self.fake.created, attempt)
        results = backend.run_batch(add_requests(10), checkpoint=checkpoint)
        self.assertEqual([r.stdout for r in results], [f"{i + 1}\n".encode() for i in range(10)])
        self.assertEqual(self.fake.created, 4)
        self.assertEqual(backend.stats["harness_fallbacks"], 0)

    def test_a_status_13_is_named_from_the_status_table_not_from_the_reply(self):
        """The reason read "status 13 (Accepted)" when the reply's description said so: the
        staff read a failure as a success. The name now comes from Judge0's status table."""
        backend = self.backend(use_harness=False)
        self.fake.force_status(13, message="rb_sysopen - /box/script.py")

        def lie(doc):
            for entry in doc["submissions"]:
                entry["status"]["description"] = "Accepted"
            return doc

        self.fake.script(BATCH_GET, Fault(mutate=lie), seconds=30)
        with self.assertRaises(BackendInternalError) as caught:
            backend.run_batch(print_requests(1))
        self.assertIn("Judge0 status 13 (Internal Error) for 1 of 1", str(caught.exception))
        self.assertNotIn("Accepted", str(caught.exception))

    def test_status_14_is_judge0s_failure_not_the_students_runtime_error(self):
        backend = self.backend(use_harness=False)
        self.fake.force_status(14, message="Exec format error")
        with self.assertRaises(BackendInternalError) as caught:
            backend.run_batch(print_requests(1))
        self.assertTrue(caught.exception.outage)

    # Transient garbage and outages while polling --------------------------------------------------

    def test_html_pages_and_truncated_answers_while_polling_are_retried(self):
        """An HTML error page with 200 or 503, a truncated body: no progress this poll, not a
        failed run; and no failure counted by the breaker once the call succeeds."""
        circuit = CircuitBreaker(self.fake.url, failure_threshold=1, cooldown_s=30)
        backend = self.backend(use_harness=False, circuit=circuit)
        page = "<!DOCTYPE html><html><body><h1>We're sorry, but something went wrong.</h1>"
        self.fake.script(BATCH_GET, Fault(status=200, body=page, content_type="text/html"))
        self.fake.script(BATCH_GET, Fault(truncate=12))
        self.fake.script(BATCH_GET, Fault(status=503, body=page, content_type="text/html"))
        results = backend.run_batch(print_requests(3))
        self.assertEqual([r.stdout for r in results], [b"0\n", b"1\n", b"2\n"])
        self.assertGreaterEqual(len(self.fake.requests_to(BATCH_GET)), 4)
        self.assertEqual((circuit.state, circuit.failures()), ("closed", 0))

    def test_json_nested_past_the_parsers_recursion_while_polling_is_garbage_retried(self):
        """A well-formed but absurdly deep JSON answer (the parser's RecursionError, not a
        ValueError) is one more unreadable answer: retried, never an unexpected crash."""
        backend = self.backend(use_harness=False)
        deep = "[" * 100_000 + "]" * 100_000
        self.fake.script(BATCH_GET, Fault(status=200, body=deep, content_type="application/json"))
        results = backend.run_batch(print_requests(2))
        self.assertEqual([r.stdout for r in results], [b"0\n", b"1\n"])

    def test_garbage_to_the_end_is_a_failure_for_the_breaker_not_a_success(self):
        circuit = CircuitBreaker(self.fake.url, failure_threshold=5, cooldown_s=30)
        # A budget that leaves room for at least one answer on a loaded host: with 1 s, a CI run
        # saw its create and first poll take all of it, and no garbage was ever read.
        backend = self.backend(use_harness=False, circuit=circuit, max_wait_s=3.0)
        self.fake.script(BATCH_GET, Fault(status=200, body="<html>maintenance</html>"), seconds=30)
        with self.assertRaises(BackendProtocolError):
            backend.run_batch(print_requests(1))
        self.assertEqual(circuit.failures(), 1)

    def test_a_run_of_502s_while_judge0s_api_restarts_is_waited_out(self):
        """Eight seconds of 502 pages from the proxy while polling, with the production breaker
        (5 failures, 30 s): the run waits them out and the breaker stays closed."""
        backend = self.backend(use_harness=False, circuit=CircuitBreaker(self.fake.url))
        self.fake.script(
            BATCH_GET, Fault(status=502, body=HTML_502, content_type="text/html"), seconds=8
        )
        started = time.monotonic()
        results = backend.run_batch(print_requests(3))
        self.assertGreaterEqual(time.monotonic() - started, 7.5)
        self.assertEqual([r.outcome for r in results], [Outcome.OK] * 3)
        self.assertEqual(backend.circuit.state, "closed")
        self.assertEqual(self.fake.created, 3)

    # Deadlines ----------------------------------------------------------------------------------

    def test_a_trickling_answer_is_cut_at_the_request_deadline(self):
        """A poll answer trickling 4 bytes every 0.25 s (some 25 s in all) is cut at the
        request's 2 s deadline however regularly bytes arrive, then polled again."""
        backend = self.backend(use_harness=False, read_timeout_s=2.0)
        self.fake.script(BATCH_GET, Fault(trickle_s=0.25), times=1)
        started = time.monotonic()
        (result,) = backend.run_batch(print_requests(1))
        self.assertLess(time.monotonic() - started, 6.0)
        self.assertEqual(result.stdout, b"0\n")
        self.assertGreaterEqual(len(self.fake.requests_to(BATCH_GET)), 2, "cut, then again")

    def test_the_wait_budget_holds_during_a_poll(self):
        """A poll that hangs ends at the call's wait budget, not at its own timeout."""
        backend = self.backend(use_harness=False, read_timeout_s=30.0, max_wait_s=1.5)
        self.fake.script(BATCH_GET, Fault(hang=True, hang_s=20), times=5)
        started = time.monotonic()
        with self.assertRaises(BackendUnavailable):
            backend.run_batch(print_requests(1))
        self.assertLess(time.monotonic() - started, 3.0)

    # Deployments --------------------------------------------------------------------------------

    def test_a_deployment_with_batches_off_gets_single_submissions(self):
        config = {"enable_batched_submissions": False}
        with FakeJudge0(auth_token=TOKEN, config=config) as fake:
            backend = self.backend(fake.url, use_harness=False)
            results = backend.run_batch(print_requests(3))
            self.assertEqual([r.stdout for r in results], [b"0\n", b"1\n", b"2\n"])
            self.assertEqual(len(fake.requests_to("POST /submissions")), 3)
            self.assertEqual(fake.requests_to(BATCH_POST), [])
            self.assertEqual(fake.requests_to(BATCH_GET), [])
            self.assertTrue(fake.requests_to("GET /submissions/:token"))
            harness = self.backend(fake.url).run_batch(add_requests(4))
            self.assertEqual([r.stdout for r in harness][-1], b"4\n")

    def test_a_deployment_with_batches_of_10_gets_batches_of_10(self):
        with FakeJudge0(auth_token=TOKEN, config={"max_submission_batch_size": 10}) as fake:
            backend = self.backend(fake.url, use_harness=False)
            results = backend.run_batch(print_requests(25))
            self.assertEqual([r.stdout for r in results], [f"{i}\n".encode() for i in range(25)])
            sizes = sorted(len(r["body"]["submissions"]) for r in fake.requests_to(BATCH_POST))
            self.assertEqual(sizes, [5, 10, 10])
            for request in fake.requests_to(BATCH_GET):
                self.assertLessEqual(len(request["query"]["tokens"].split(",")), 10)

    def test_a_private_ca_from_the_environment_is_trusted(self):
        """``SSL_CERT_FILE`` names the private CA (as for every OpenSSL client); no setting."""
        with FakeJudge0(tls="valid", auth_token=TOKEN) as fake:
            previous = os.environ.get("SSL_CERT_FILE")
            os.environ["SSL_CERT_FILE"] = fake.ca_path
            try:
                with self.settings(JUDGE0_URL=fake.url, JUDGE0_AUTH_TOKEN=TOKEN):
                    backend = Judge0Backend.from_settings()
                    self._backends.append(backend)
                    (result,) = backend.run_batch(print_requests(1))
            finally:
                if previous is None:
                    os.environ.pop("SSL_CERT_FILE", None)
                else:
                    os.environ["SSL_CERT_FILE"] = previous
            self.assertEqual(result.stdout, b"0\n")
            with self.settings(
                JUDGE0_URL=fake.url, JUDGE0_AUTH_TOKEN=TOKEN, JUDGE0_CA_BUNDLE=fake.ca_path
            ):
                backend = Judge0Backend.from_settings()
                self._backends.append(backend)
                self.assertEqual(backend.run_batch(print_requests(1))[0].stdout, b"0\n")

    def test_judge0_ca_bundle_is_a_setting_read_from_the_environment(self):
        code = "import config.settings.base as s; print(s.JUDGE0_CA_BUNDLE)"
        env = {**os.environ, "JUDGE0_CA_BUNDLE": "/etc/ssl/private-ca.pem", "DEBUG": "1"}
        done = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
        )
        self.assertEqual(done.stdout.strip(), "/etc/ssl/private-ca.pem", done.stderr)

    def test_a_50_mb_answer_is_refused_without_being_read(self):
        """Announced or chunked, an answer over the cap (16 MiB by default) is cut there: what
        is held stays under the cap and a margin, not the 50 MB sent."""
        backend = self.backend(use_harness=False)
        body = b'{"submissions": [{"token": "' + b"x" * (50 << 20) + b'"}]}'
        for chunked in (False, True):
            with self.subTest(chunked=chunked):
                self.fake.reset_script()
                self.fake.script(BATCH_GET, Fault(status=200, body=body, chunked=chunked))
                tracemalloc.start()
                try:
                    with self.assertRaises(BackendProtocolError) as caught:
                        backend.run_batch(print_requests(1))
                    peak = tracemalloc.get_traced_memory()[1]
                finally:
                    tracemalloc.stop()
                self.assertIn("cap", str(caught.exception))
                self.assertLess(peak, 24 << 20, f"{peak} bytes held")

    def test_limits_above_the_deployments_maxima_are_refused_not_clamped(self):
        config = {"max_memory_limit": 256000, "max_cpu_time_limit": 5.0}
        with FakeJudge0(auth_token=TOKEN, config=config) as fake:
            backend = self.backend(fake.url, use_harness=False)
            big = Limits(cpu_time_ms=6000, wall_time_ms=8000, memory_kb=300_000)
            with self.assertRaises(BackendRejected) as caught:
                backend.run_batch([RunRequest("python", "print(1)", b"", big)])
            self.assertIn("max_memory_limit", str(caught.exception))
            self.assertIn("max_cpu_time_limit", str(caught.exception))
            self.assertEqual(fake.created, 0)
            fits = Limits(cpu_time_ms=5000, wall_time_ms=8000, memory_kb=256_000)
            self.assertEqual(backend.limit_problems(fits), [])
            self.assertEqual(
                [field for field, _ in backend.limit_problems(big)], ["cpu_time_ms", "memory_kb"]
            )


@override_settings(
    COURSES_JUDGE_BACKEND=QUICK_JUDGE0,
    COURSES_JUDGE_RETRY_FIRST_DELAY_SECONDS=0.2,
    COURSES_JUDGE_RETRY_MAX_DELAY_SECONDS=0.5,
    COURSES_PENDING_REQUEUE_SECONDS=3600,
    COURSES_FREE_RUN_SLOTS=64,
)
class GradedSubmissionFaultsTestCase(FakeJudge0Mixin, TransactionTestCase):
    """Graded submissions through the service, the inline queue and the periodic requeue."""

    def setUp(self):
        super().setUp()
        url = override_settings(JUDGE0_URL=self.fake.url)
        url.enable()
        self.addCleanup(url.disable)
        CircuitBreaker(self.fake.url).reset()
        self.user = factories.UserFactory()
        self.problem = graded_problem(10)

    def submit(self, **fields) -> Submission:
        return submission_create(
            user=self.user, problem=self.problem, language="python", code=SOLVE, **fields
        )

    @override_settings(JUDGE0_TEST_WAIT_SECONDS=1.0)
    def test_a_celery_retry_polls_the_same_tokens(self):
        """The first try runs out of its wait budget (Judge0's queue stuck): the submission
        waits with its tokens; the retry, once Judge0 moves, polls them. One set in all."""
        self.fake.pause()
        submission = self.submit()
        submission.refresh_from_db()
        self.assertEqual(submission.status, Verdict.PENDING)
        self.assertIsNotNone(submission.judge_checkpoint)
        self.assertEqual(self.fake.created, 1)
        self.fake.resume()
        judged = settle(submission.pk, timeout_s=20)
        self.assertEqual((judged.status, judged.score), (Verdict.ACCEPTED, 1))
        self.assertEqual(self.fake.created, 1, "no second set")
        self.assertIsNone(judged.judge_checkpoint)

    def test_a_status_13_storm_on_a_graded_submission(self):
        self.fake.force_status(13, times=3, message="No such file or directory @ rb_sysopen")
        submission = self.submit()
        judged = settle(submission.pk, timeout_s=30)
        self.assertEqual(judged.status, Verdict.ACCEPTED)
        self.assertEqual(self.fake.created, 3 + 1, "one submission per try, no fallback")
        self.assertEqual(judged.judge_failures, 3)

    def test_status_14_never_becomes_a_runtime_error(self):
        self.fake.force_status(14, message="Exec format error")
        submission = self.submit()
        submission.refresh_from_db()
        self.assertEqual(submission.status, Verdict.PENDING)
        self.assertIn("Exec Format Error", submission.retry_reason)
        self.assertEqual(settle(submission.pk, timeout_s=20).status, Verdict.ACCEPTED)

    def test_outage_shapes_on_a_create_leave_graded_work_pending_never_internal_error(self):
        """The probe's shapes (a create that hangs, a 504 or an HTML page or a trickle after
        Judge0 created it, a cut answer, a run of 500s): issue 12 ended the submission
        internal_error within seconds. Now the submit answers pending within the request's
        deadline, and the next scheduled try judges it, with one create per try."""
        shapes = {**LOST_CREATE_ANSWERS, "500s past the retry budget": Fault(status=500)}
        for name, fault in shapes.items():
            with self.subTest(name):
                self.fake.reset_script()
                self.fake.script(BATCH_POST, fault, times=1 if fault.status != 500 else 20)
                started = time.monotonic()
                submission = self.submit()
                self.assertLess(time.monotonic() - started, 8.0)
                submission.refresh_from_db()
                self.assertEqual(submission.status, Verdict.PENDING)
                self.assertEqual(submission.judge_failures, 1)
                if name in LOST_CREATE_ANSWERS:
                    self.assertEqual(len(self.fake.requests_to(BATCH_POST)), 1, "no re-POST")
                self.fake.reset_script()  # healthy again, its counters at 0
                judged = settle(submission.pk, timeout_s=20)
                self.assertEqual((judged.status, judged.score), (Verdict.ACCEPTED, 1))
                self.assertEqual(len(self.fake.requests_to(BATCH_POST)), 1, "one create")
                self.assertEqual(self.fake.created, 1)

    def test_lost_create_answers_never_end_graded_work_and_cost_one_set_per_try(self):
        """Three lost answers in a row (issue 12: internal_error at the second): three tries
        that each create once, then the fourth is judged. One set per try, never two."""
        self.fake.script(BATCH_POST, Fault(drop_after=True), times=3)
        judged = settle(self.submit().pk, timeout_s=30)
        self.assertEqual((judged.status, judged.score), (Verdict.ACCEPTED, 1))
        self.assertEqual(judged.judge_failures, 3)
        self.assertEqual(len(self.fake.requests_to(BATCH_POST)), 4, "one create per try")
        self.assertEqual(self.fake.created, 4)

    def test_a_judge0_that_keeps_forgetting_ends_the_work_with_what_to_check(self):
        """Every token forgotten as soon as created (servers not sharing a database): issue 12
        left the submission pending for 24 h. Now each try creates once, and the third forget
        ends it internal_error with a message an administrator can act on."""
        forget = Fault(mutate=lambda doc: (self.fake.forget(), doc)[1])
        self.fake.script(BATCH_POST, forget, times=100)
        submission = self.submit()
        submission.refresh_from_db()
        self.assertEqual(submission.status, Verdict.PENDING)
        self.assertIn("no longer knows", submission.retry_reason)
        judged = settle(submission.pk, timeout_s=20)
        self.assertEqual(judged.status, Verdict.INTERNAL_ERROR)
        self.assertIn("do all its servers share one database?", judged.error_text)
        self.assertEqual(len(self.fake.requests_to(BATCH_POST)), 3, "one create per try")
        self.fake.reset_script()
        rejudge(submission=judged)  # the staff requeue it once Judge0 is fixed
        self.assertEqual(settle(submission.pk, timeout_s=20).status, Verdict.ACCEPTED)

    def test_a_long_retry_after_on_a_create_never_ends_or_parks_graded_work(self):
        """A 429 whose ``Retry-After`` is a day (the probe's) ended the submission at once, one
        of an hour parked it for the hour; unreadable ones (``inf``) could not be scheduled.
        Now the delay is capped by the schedule's maximum (0.5 s here) and the work is judged."""
        later = (timezone.now() + timedelta(days=400)).strftime("%a, %d %b %Y %H:%M:%S GMT")
        for value in ("86400", "3600", "1e400", "inf", "soon", later):
            with self.subTest(retry_after=value):
                self.fake.reset_script()
                quota = Fault(status=429, body={"message": "quota"}, headers={"Retry-After": value})
                self.fake.script(BATCH_POST, quota, times=20)  # past the client's own retries
                submission = self.submit()
                submission.refresh_from_db()
                self.assertEqual(submission.status, Verdict.PENDING)
                waits = (submission.retry_at - timezone.now()).total_seconds()
                self.assertLessEqual(waits, 0.5)
                self.fake.reset_script()
                self.assertEqual(settle(submission.pk, timeout_s=10).status, Verdict.ACCEPTED)

    @override_settings(COURSES_JUDGE_RETRY_MAX_AGE_SECONDS=3600)
    def test_the_last_try_happens_at_the_deadline_and_only_a_failure_there_ends_the_work(self):
        """A delay that would pass the retry deadline is cut to it (it used to end the work at
        once); a failure at the deadline ends it internal_error with the reason."""
        self.fake.stop()
        submission = submission_create(
            user=self.user, problem=self.problem, language="python", code=SOLVE, enqueue=False
        )
        # The first try fails within the client's retry budget (2 s), before the deadline.
        deadline = timezone.now() + timedelta(seconds=4)
        Submission.objects.filter(pk=submission.pk).update(
            enqueued_at=deadline - timedelta(seconds=3600)
        )
        with override_settings(
            COURSES_JUDGE_RETRY_FIRST_DELAY_SECONDS=600, COURSES_JUDGE_RETRY_MAX_DELAY_SECONDS=900
        ):
            CodeExecutorService().judge_submission(submission.pk)
        submission.refresh_from_db()
        self.assertEqual(submission.status, Verdict.PENDING)
        self.assertEqual(submission.retry_at, deadline)
        time.sleep(max(0.0, (deadline - timezone.now()).total_seconds()))
        CodeExecutorService().judge_submission(submission.pk)
        submission.refresh_from_db()
        self.assertEqual(submission.status, Verdict.INTERNAL_ERROR)
        self.assertIn("The judge was unavailable for 2 tries", submission.error_text)

    @override_settings(JUDGE0_TEST_WAIT_SECONDS=1.5, COURSES_FREE_RUN_WAIT_SECONDS=1.0)
    def test_numbers_out_of_range_in_a_result_are_garbage_never_a_failed_save(self):
        """``memory: -5`` broke the database's check, ``time: "1e30"`` and ``memory: 10**30``
        overflowed its integer: the save failed and the submission ended internal_error, and
        "Run code" showed them as they came. Now they are garbage: waited out, then the try is
        an outage; once Judge0 answers sanely the submission is judged."""
        service = CodeExecutorService()
        problem = graded_problem(2, language="c")  # one Judge0 submission per case: its numbers
        for name, change in OUT_OF_RANGE.items():
            with self.subTest(name):
                self.fake.reset_script()

                def mutate(doc, change=change):
                    for entry in doc["submissions"]:
                        change(entry)
                    return doc

                self.fake.script(BATCH_GET, Fault(mutate=mutate), seconds=60)
                submission = submission_create(
                    user=self.user, problem=problem, language="c", code=C_SUM
                )
                submission.refresh_from_db()
                self.assertEqual(submission.status, Verdict.PENDING)
                self.assertIn("its last answer: Judge0", submission.retry_reason)
                with self.assertRaises(BackendProtocolError):
                    service.run_freely("print(1)")
                self.fake.reset_script()  # sane again, its counters at 0
                judged = settle(submission.pk, timeout_s=10)
                self.assertEqual((judged.status, judged.score), (Verdict.ACCEPTED, 1))
                self.assertEqual(self.fake.created, 0, "the same tokens, polled")

    @override_settings(JUDGE0_TEST_WAIT_SECONDS=1.5)
    def test_a_refused_poll_is_waited_out_and_counted_a_failure_never_the_end_of_the_work(self):
        """A 400 (or 422) answering a poll ended the submission internal_error as if Judge0
        had refused the student's run, and counted a success for the breaker. It says nothing
        about the run: garbage, waited out; to the end of the budget an outage (the submission
        waits) and one failure for the breaker."""
        circuit = CircuitBreaker(self.fake.url)  # the shared state of the task's breaker
        for status in (400, 422):
            with self.subTest(status=status):
                self.fake.reset_script()
                refused = Fault(status=status, body={"error": "some attributes cannot be read"})
                self.fake.script(BATCH_GET, refused, times=2)
                judged = settle(self.submit().pk, timeout_s=10)
                self.assertEqual((judged.status, judged.judge_failures), (Verdict.ACCEPTED, 0))

                self.fake.script(BATCH_GET, refused, seconds=60)
                submission = self.submit()
                submission.refresh_from_db()
                self.assertEqual(submission.status, Verdict.PENDING)
                self.assertIn(f"{status}: some attributes", submission.retry_reason)
                self.assertEqual(circuit.failures(), 1)
                self.fake.reset_script()
                self.assertEqual(settle(submission.pk, timeout_s=10).status, Verdict.ACCEPTED)

    @override_settings(JUDGE0_TEST_WAIT_SECONDS=20.0, COURSES_INLINE_JUDGE_WAIT_SECONDS=1.0)
    def test_an_inline_submit_answers_pending_within_its_short_budget_on_a_slow_judge0(self):
        """The embedded default judges inside the Submit request: with Judge0's queue stuck it
        held the request for the whole wait budget (120 s by default, 20 s here). It now waits
        COURSES_INLINE_JUDGE_WAIT_SECONDS, answers 202 pending with its tokens kept, and a
        later try polls them."""
        factories.EnrollmentFactory(user=self.user, course=self.problem.chapter.course)
        client = APIClient()
        client.force_authenticate(self.user)
        self.fake.pause()
        started = time.monotonic()
        answer = client.post(
            reverse("api:submission-create", args=[self.problem.pk]),
            {"language": "python", "code": SOLVE},
            format="json",
        )
        self.assertLess(time.monotonic() - started, 5.0)
        self.assertEqual((answer.status_code, answer.json()["status"]), (202, "pending"))
        submission = Submission.objects.get(pk=answer.json()["id"])
        self.assertIn("wait budget of 1 s", submission.retry_reason)
        tokens = [job["token"] for job in submission.judge_checkpoint["jobs"].values()]
        self.assertEqual(len(tokens), 1)
        self.fake.resume()
        judged = settle(submission.pk, timeout_s=20)
        self.assertEqual((judged.status, judged.score), (Verdict.ACCEPTED, 1))
        self.assertEqual(self.fake.created, 1, "the kept token, polled")

    @override_settings(JUDGE0_TEST_WAIT_SECONDS=3.0, COURSES_INLINE_JUDGE_WAIT_SECONDS=0.5)
    def test_a_celery_worker_keeps_the_whole_wait_budget(self):
        """The short budget is for inline judging only: the task run by a worker (not eager)
        waits the backend's whole budget."""
        from courses.tasks import judge_submission

        self.fake.pause()
        timings = {}
        for how in ("inline", "worker"):
            submission = submission_create(
                user=self.user, problem=self.problem, language="python", code=SOLVE, enqueue=False
            )
            started = time.monotonic()
            if how == "inline":
                judge_submission.apply(args=[submission.pk])
            else:
                judge_submission(submission.pk)  # the task's body, as a worker runs it
            timings[how] = time.monotonic() - started
            submission.refresh_from_db()
            self.assertEqual(submission.status, Verdict.PENDING)
        self.assertLess(timings["inline"], 2.0)
        self.assertGreaterEqual(timings["worker"], 2.9)

    def test_staff_see_why_a_submission_waits_and_its_student_only_that_it_is_pending(self):
        """The staff API and page showed a waiting submission as "pending" with no reason;
        they now give the last failure, the next try and the failed tries. The student's own
        view stays "pending" without them (the reason may name Judge0's hosts)."""
        course = self.problem.chapter.course
        staff = factories.UserFactory()
        factories.EnrollmentFactory(user=staff, course=course, role="instructor")
        factories.EnrollmentFactory(user=self.user, course=course)
        self.fake.stop()
        submission = self.submit()
        staff_api = APIClient()
        staff_api.force_authenticate(staff)
        detail = staff_api.get(reverse("api:staff-submission-detail", args=[submission.pk]))
        self.assertEqual(detail.status_code, 200)
        self.assertEqual((detail.json()["status"], detail.json()["judge_failures"]), ("pending", 1))
        self.assertIn("cannot connect", detail.json()["retry_reason"])
        self.assertIsNotNone(detail.json()["retry_at"])
        self.client.force_login(staff)
        page = self.client.get(reverse("web:staff-submission", args=[submission.pk]))
        self.assertContains(page, "Waiting for the judge")
        self.assertContains(page, "1 try failed for want of a judge")
        self.assertContains(page, "cannot connect")
        student = APIClient()
        student.force_authenticate(self.user)
        shown = student.get(reverse("api:submission-detail", args=[submission.pk]))
        self.assertEqual(shown.json()["status"], "pending")
        for hidden in ("retry_reason", "retry_at", "judge_failures", "cannot connect"):
            self.assertNotIn(hidden, shown.content.decode())

    def test_an_exam_submission_queued_by_an_outage_before_its_deadline_counts_in_time(self):
        exam = factories.ExamFactory(course=self.problem.chapter.course, passing_score=0)
        factories.ExamProblemFactory(exam=exam, problem=self.problem, score=10)
        factories.EnrollmentFactory(user=self.user, course=exam.course)
        now = timezone.now()
        attempt = ExamAttempt.objects.create(
            exam=exam, user=self.user, started_at=now, deadline=now + timedelta(seconds=2)
        )
        self.fake.stop()
        submission = self.submit(exam_attempt=attempt)
        submission.refresh_from_db()
        self.assertEqual(submission.status, Verdict.PENDING, "waiting, not internal_error")
        # The deadline passes while Judge0 is down: the attempt ends with what is judged.
        self.assertEqual(exam_attempts_finish_expired(now=now + timedelta(seconds=3)), 1)
        attempt.refresh_from_db()
        self.assertEqual(attempt.score, 0)
        self.fake.start()
        self.assertEqual(settle(submission.pk, timeout_s=20).status, Verdict.ACCEPTED)
        attempt.refresh_from_db()
        self.assertEqual(attempt.score, 10, "made before the deadline: it counts")

    @override_settings(COURSES_FREE_RUN_WAIT_SECONDS=1.0)
    def test_run_code_on_a_stuck_queue_gives_up_within_its_own_budget(self):
        """A free run waits at most COURSES_FREE_RUN_WAIT_SECONDS (not the judging budget),
        with a bounded number of polls, and frees its slot."""
        service = CodeExecutorService()
        self.fake.pause()
        started = time.monotonic()
        with self.assertRaises(BackendUnavailable):
            service.run_freely("print(1)")
        self.assertLess(time.monotonic() - started, 3.0)
        self.assertLessEqual(len(self.fake.requests_to(BATCH_GET)), 15)
        self.fake.resume()
        with override_settings(COURSES_FREE_RUN_SLOTS=1):  # the slot was given back
            self.assertEqual(service.run_freely("print(6 * 7)")["stdout"], "42\n")

    def test_judge0s_500_with_an_internal_message_never_reaches_a_student(self):
        """Judge0's 500 names its database host: "Run code" answers a generic 503, and a
        graded submission that ends internal_error shows the student the generic text only."""
        leak = "PG::ConnectionBad: could not connect to server at 10.9.8.7:5432"
        self.fake.script("*", Fault(status=500, body={"error": leak}), seconds=60)
        factories.EnrollmentFactory(user=self.user, course=self.problem.chapter.course)
        client = APIClient()
        client.force_authenticate(self.user)
        with override_settings(COURSES_FREE_RUN_WAIT_SECONDS=1.0):
            run = client.post(
                reverse("api:code-run"), {"code": "print(1)", "language": "python"}, format="json"
            )
        self.assertEqual(run.status_code, 503)
        with override_settings(COURSES_JUDGE_RETRY_MAX_AGE_SECONDS=0):
            submission = self.submit()
        submission.refresh_from_db()
        self.assertEqual(submission.status, Verdict.INTERNAL_ERROR)
        self.assertIn("10.9.8.7", submission.error_text, "kept for the staff")
        shown = client.get(reverse("api:submission-detail", args=[submission.pk]))
        self.assertEqual(shown.status_code, 200)
        for answer in (run, shown):
            self.assertNotIn("10.9.8.7", answer.content.decode())
            self.assertNotIn("PG::", answer.content.decode())

    @override_settings(COURSES_JUDGE_BACKEND="judge0", JUDGE0_AUTH_TOKEN=TOKEN)
    def test_limits_above_judge0s_maxima_are_refused_at_save_and_by_judge_check(self):
        config = {"max_memory_limit": 280_000}  # the default 256 MiB problem fits
        with (
            FakeJudge0(auth_token=TOKEN, config=config) as fake,
            self.settings(JUDGE0_URL=fake.url),
        ):
            chapter = self.problem.chapter
            with self.assertRaises(InvalidInput) as caught:
                problem_create(chapter=chapter, title="Big", memory_limit_kb=300_000)
            self.assertIn("memory_limit_kb", caught.exception.fields)
            with self.assertRaises(InvalidInput) as caught:  # wall clock 2 × 10 s + 1 s > 20 s
                problem_create(chapter=chapter, title="Slow", time_limit_ms=10_000)
            self.assertIn("time_limit_ms", caught.exception.fields)
            fine = problem_create(chapter=chapter, title="Fine", time_limit_ms=9_500)
            with self.assertRaises(InvalidInput):
                problem_update(problem=fine, memory_limit_kb=512_000)
            fields = ["time_limit_ms", "memory_limit_kb", "output_limit_kb"]
            form_class = modelform_factory(Problem, form=ProblemForm, fields=fields)  # the admin's
            form = form_class(
                data={"time_limit_ms": 1000, "memory_limit_kb": 300_000, "output_limit_kb": 64}
            )
            self.assertFalse(form.is_valid())
            self.assertIn("max_memory_limit", str(form.errors.get("memory_limit_kb")))
            # A problem saved before (or under another judge) is named by judge_check.
            Problem.objects.filter(pk=fine.pk).update(memory_limit_kb=300_000)
            out = io.StringIO()
            with self.assertRaises(CommandError) as failed:
                call_command("judge_check", stdout=out)
            self.assertIn(f"problem #{fine.pk}", out.getvalue())
            self.assertIn("over this Judge0's maxima", str(failed.exception))
            # Nor can a package store what the API refuses.
            files = unzip(package_export_course(course=small_course("judge0-limits")))
            path = "problems/001/problem.toml"
            text = files[path].decode()
            self.assertIn("memory_limit_kb = 131072", text)
            files[path] = text.replace("memory_limit_kb = 131072", "memory_limit_kb = 300000")
            with self.assertRaises(InvalidPackage) as refused:
                package_import_course(data=rezip(files), slug="judge0-limits-2", judge=False)
            message = refused.exception.message
            self.assertIn(f"{path}: memory_limit_kb: The configured judge", message)
            self.assertFalse(Course.objects.filter(slug="judge0-limits-2").exists())


class EmbeddedOutageTestCase(TransactionTestCase):
    """The embedded default (inline Celery, no worker, no beat): a graded submission made
    during a 10-second Judge0 outage is judged once Judge0 is back, by the periodic jobs that
    ``make run`` runs beside the server (``run_periodic``), with no duplicate."""

    def test_a_submission_queued_during_a_10_second_outage_is_judged_when_judge0_returns(self):
        with FakeJudge0(auth_token=TOKEN) as fake:
            schedule = {
                "requeue-stale-submissions": {
                    "task": "courses.tasks.requeue_stale_submissions",
                    "schedule": 0.5,
                }
            }
            embedded = override_settings(
                CELERY_TASK_ALWAYS_EAGER=True,
                CELERY_BEAT_SCHEDULE=schedule,
                COURSES_JUDGE_BACKEND="judge0",
                JUDGE0_URL=fake.url,
                JUDGE0_AUTH_TOKEN=TOKEN,
                JUDGE0_WAIT_SECONDS=3,
                JUDGE0_REQUEST_TIMEOUT_SECONDS=1,
                JUDGE0_CONNECT_TIMEOUT_SECONDS=0.5,
                JUDGE0_CIRCUIT_COOLDOWN_SECONDS=1,
                COURSES_JUDGE_RETRY_FIRST_DELAY_SECONDS=0.5,
                COURSES_JUDGE_RETRY_MAX_DELAY_SECONDS=2,
            )
            embedded.enable()
            self.addCleanup(embedded.disable)
            clear_language_cache()
            CircuitBreaker(fake.url).reset()
            user = factories.UserFactory()
            problem = graded_problem(10)
            fake.outage(10)
            started = time.monotonic()
            submission = submission_create(
                user=user, problem=problem, language="python", code=SOLVE
            )
            submission.refresh_from_db()
            self.assertEqual(submission.status, Verdict.PENDING)
            self.assertIsNotNone(submission.retry_at)
            from courses.management.commands.run_periodic import run_periodic

            stop = threading.Event()
            scheduler = threading.Thread(target=run_periodic, kwargs={"stop": stop})
            scheduler.start()
            try:
                while time.monotonic() - started < 30:
                    submission.refresh_from_db()
                    if submission.status != Verdict.PENDING and (
                        submission.status != Verdict.JUDGING
                    ):
                        break
                    time.sleep(0.2)
            finally:
                stop.set()
                scheduler.join(30)
            self.assertEqual((submission.status, submission.score), (Verdict.ACCEPTED, 1))
            self.assertGreaterEqual(time.monotonic() - started, 9.5, "judged after the outage")
            self.assertGreaterEqual(submission.judge_failures, 2)
            self.assertEqual(fake.created, 1, "one harness submission, no duplicate")

    def test_run_periodic_runs_the_beat_schedule(self):
        schedule = {"tick": {"task": "courses.tasks.requeue_stale_submissions", "schedule": 0.1}}
        out = io.StringIO()
        with override_settings(CELERY_BEAT_SCHEDULE=schedule):
            call_command("run_periodic", duration=0.3, stdout=out)
        self.assertIn("tick every 0.1 s", out.getvalue())


class ReplyParsingEdgesTestCase(SimpleTestCase):
    """Edges no test pinned before issue 12 (parsing, the breaker's boundaries)."""

    def test_times_parse_exactly_and_refuse_booleans_and_negatives(self):
        from courses.judging.backends.judge0.protocol import parse_submission

        base = {"token": "t", "status": {"id": 3, "description": "Accepted"}}
        # 1.234 s is 1234 ms: a ×1001 or a float round trip would give 1235.
        self.assertEqual(parse_submission({**base, "time": "1.234"}).cpu_time_ms, 1234)
        self.assertEqual(parse_submission({**base, "wall_time": "0.001"}).wall_time_ms, 1)
        for bad in (True, False, "-0.5", -1, "NaN", "Infinity"):
            with self.subTest(time=bad), self.assertRaises(BackendProtocolError):
                parse_submission({**base, "time": bad})
        for token in ("", None, 7):
            with self.subTest(token=token), self.assertRaises(BackendProtocolError):
                parse_submission({**base, "token": token})

    def test_result_numbers_are_bounded_to_what_the_database_holds(self):
        from courses.judging.backends.judge0.protocol import parse_submission

        base = {"token": "t", "status": {"id": 3, "description": "Accepted"}}
        edge = {"time": "86400", "memory": 2**30, "exit_code": 255, "exit_signal": 64}
        parsed = parse_submission({**base, **edge})
        self.assertEqual((parsed.cpu_time_ms, parsed.memory_kb), (86_400_000, 2**30))
        self.assertIsNone(parse_submission({**base, "exit_signal": 0}).exit_signal)
        for field, bad in [
            ("time", "86400.001"), ("memory", 2**30 + 1), ("memory", -1), ("exit_code", 256),
            ("exit_signal", 65), ("exit_signal", -9),
        ]:  # fmt: skip
            with self.subTest(field=field, value=bad), self.assertRaises(BackendProtocolError):
                parse_submission({**base, field: bad})

    def test_retry_after_is_seconds_or_a_date_and_anything_else_is_ignored(self):
        from courses.judging.backends.judge0.protocol import parse_retry_after

        self.assertEqual(parse_retry_after("120"), 120.0)
        self.assertEqual(parse_retry_after(" 0.5 "), 0.5)
        self.assertEqual(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), 0.0)
        self.assertEqual(parse_retry_after("99999999"), 86_400.0)
        self.assertEqual(parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT"), 86_400.0)
        for garbage in ("", None, "-5", "inf", "NaN", "1e400", "9" * 400, "1_000", "soon",
                        "Mon, 01 Jan 99999 00:00:00 GMT", "\u0663"):  # fmt: skip
            with self.subTest(garbage=garbage):
                self.assertIsNone(parse_retry_after(garbage))

    def test_a_breaker_threshold_of_0_is_refused(self):
        with self.assertRaises(ValueError):
            CircuitBreaker("http://judge0.invalid", failure_threshold=0)
        with (
            self.settings(JUDGE0_URL="http://judge0.invalid", JUDGE0_CIRCUIT_FAILURES=0),
            self.assertRaises(ValueError),
        ):
            Judge0Backend.from_settings()

    def test_the_breaker_turns_half_open_exactly_at_its_deadline(self):
        clock = [1000.0]
        circuit = CircuitBreaker(
            "http://judge0.invalid/edge", failure_threshold=1, cooldown_s=10, clock=lambda: clock[0]
        )
        circuit.reset()
        circuit.record_failure()
        clock[0] = 1009.999
        self.assertEqual(circuit.state, "open")
        with self.assertRaises(CircuitOpen):
            circuit.before_call()
        clock[0] = 1010.0
        self.assertEqual(circuit.state, "half_open")
        circuit.before_call()  # the probe goes through at the deadline itself
        circuit.reset()

    def test_the_deadlines_derived_from_the_settings_stay_below_the_judging_lease(self):
        from django.conf import settings

        with self.settings(JUDGE0_URL="http://judge0.invalid"):
            backend = Judge0Backend.from_settings()
        request = backend.client.timeouts.request_s
        self.assertLess(request, backend.max_wait_s)
        self.assertLess(backend.max_wait_s, settings.COURSES_JUDGING_LEASE_SECONDS)
        self.assertLess(settings.COURSES_FREE_RUN_WAIT_SECONDS, backend.max_wait_s)
        with (
            self.settings(JUDGE0_URL="http://judge0.invalid", JUDGE0_WAIT_SECONDS=300),
            self.assertRaises(JudgeError),
        ):
            Judge0Backend.from_settings()
