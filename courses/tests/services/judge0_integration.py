"""Test plan Task 2.1: the Judge0 backend against a fake Judge0 over real sockets.

The fake (``courses.tests.fakes.judge0``) is a real HTTP(S) server on 127.0.0.1 that speaks
Judge0's protocol as research/judge0-api.md documents it and really runs the programs; nothing
inside httpx or the backend is patched. Faults are scripted on the server, per route, for the next
N requests. Timeouts, retries and the breaker's cool-down are small so that the class stays fast.

Re-exported by ``courses/tests/test_services.py`` (collected there, once), so that
``manage.py test courses.tests.test_services.ExternalIntegrationTestCase`` runs it.
"""

from __future__ import annotations

import socket
import threading
import time

import httpx
from django.test import SimpleTestCase

from courses import demo
from courses.judging import python_compile, templates
from courses.judging.aggregation import aggregate, judge_case
from courses.judging.backends.judge0 import (
    CircuitBreaker,
    CircuitOpen,
    Judge0Backend,
    Judge0NotFound,
    RetryPolicy,
    Timeouts,
    clear_language_cache,
)
from courses.judging.backends.judge0.protocol import b64encode
from courses.judging.errors import (
    AnswerLost,
    BackendConfigurationError,
    BackendInconsistent,
    BackendInternalError,
    BackendProtocolError,
    BackendRejected,
    BackendUnavailable,
    SubmissionsForgotten,
)
from courses.judging.types import Limits, Outcome, RunRequest, Verdict
from courses.judging.verdicts import api_status_for
from courses.tests.fakes.judge0 import FakeJudge0, Fault
from courses.tests.fakes.network import UNRESOLVABLE_HOST, closed_port
from courses.tests.judge0_support import TOKEN, FakeJudge0Mixin, MemoryCheckpoint
from courses.tests.toolchains import requires_language

FAST = Limits(cpu_time_ms=1000, wall_time_ms=2000, memory_kb=128 * 1024, output_bytes=64 * 1024)
RETRY = RetryPolicy(attempts=3, budget_s=3.0, initial_s=0.05, max_s=0.2, jitter_s=0.05)
TIMEOUTS = Timeouts(connect_s=1.0, request_s=2.0)
ADD = "def add(a, b):\n    return a + b\n"
BATCH_GET = "GET /submissions/batch"
BATCH_POST = "POST /submissions/batch"


def causes(error: BaseException) -> list[BaseException]:
    chain = []
    while error is not None and error not in chain:
        chain.append(error)
        error = error.__cause__ or error.__context__
    return chain


def function_requests(code: str, entry: str, args: list[str], limits: Limits = FAST):
    source = templates.wrap("python", code, entry)
    return [RunRequest("python", source, a.encode(), limits) for a in args]


def judge(backend, problem: demo.DemoProblem, code: str):
    """A demo problem judged as the executor does: wrap, run, post-process, check, aggregate."""
    language = problem.language
    if problem.io_mode == "function":
        source = templates.wrap(language, code, problem.entry_point)
    else:
        source = templates.wrap_stdio(language, code)
    requests = [RunRequest(language, source, case.input.encode(), FAST) for case in problem.cases]
    results = [python_compile.postprocess(language, r, source) for r in backend.run_batch(requests)]
    cases = [
        judge_case(result, case.expected_output, problem.checker, weight=case.weight)
        for result, case in zip(results, problem.cases, strict=True)
    ]
    return aggregate(cases), cases


class ExternalIntegrationTestCase(FakeJudge0Mixin, SimpleTestCase):
    """Every step of Task 2.1 (docs/test-plan.md maps steps to methods)."""

    def backend_defaults(self) -> dict:
        return {"retry": RETRY, "timeouts": TIMEOUTS}

    def add_case(self, backend, stdin: bytes = b"[1, 2]"):
        (request,) = function_requests(ADD, "add", [stdin.decode()])
        return backend.run_batch([request])[0]

    # Step 1: successful responses, parsed and mapped ----------------------------------------------

    def test_function_style_cases_travel_in_one_submission_and_are_parsed(self):
        backend = self.backend()
        args = ["[1, 2]", "[-5, 5]", "[1000000000000, 1]", "[0, 0]"]
        results = backend.run_batch(function_requests(ADD, "add", args))
        self.assertEqual([r.outcome for r in results], [Outcome.OK] * 4)
        self.assertEqual([r.stdout for r in results], [b"3\n", b"0\n", b"1000000000001\n", b"0\n"])
        self.assertEqual(len(self.fake.requests_to(BATCH_POST)), 1)
        (body,) = [r["body"] for r in self.fake.requests_to(BATCH_POST)]
        self.assertEqual(len(body["submissions"]), 1, "one harness submission for 4 cases")
        self.assertEqual(backend.stats["harness_fallbacks"], 0)

    def test_every_call_asks_for_base64_and_polls_the_uncached_batch_route(self):
        backend = self.backend(use_harness=False)
        self.add_case(backend)
        for request in self.fake.requests:
            if request["route"] not in ("GET /languages", "GET /config_info"):
                self.assertEqual(request["query"].get("base64_encoded"), "true", request)
        self.assertEqual(self.fake.requests_to("GET /submissions/:token"), [])
        self.assertTrue(self.fake.requests_to(BATCH_GET))

    def test_result_fields_are_parsed_in_their_units(self):
        def exact(doc):
            doc["submissions"][0].update(
                time="0.042", wall_time="0.105", memory=2048, exit_code=0, exit_signal=None
            )
            return doc

        backend = self.backend(use_harness=False)
        self.fake.script(BATCH_GET, Fault(mutate=exact), times=50)
        result = self.add_case(backend)
        self.assertEqual(
            (result.cpu_time_ms, result.wall_time_ms, result.memory_kb), (42, 105, 2048)
        )
        self.assertEqual(result.stdout, b"3\n")

    def test_mime_base64_and_non_utf8_output_survive(self):
        backend = self.backend(use_harness=False)
        code = "import sys\nsys.stdout.buffer.write(b'\\xff\\xfe\\x00' + b'x' * 200)\n"
        (result,) = backend.run_batch([RunRequest("python", code, b"", FAST)])
        self.assertEqual(result.outcome, Outcome.OK)
        self.assertEqual(result.stdout, b"\xff\xfe\x00" + b"x" * 200)

    def test_unknown_response_fields_are_ignored(self):
        def extra(doc):
            for item in doc["submissions"]:
                item.update(post_execution_filesystem="UEsFBg==", queue_host="w1", novel={"a": 1})
            return doc

        backend = self.backend(use_harness=False)
        self.fake.script(BATCH_GET, Fault(mutate=extra), times=50)
        self.assertEqual(self.add_case(backend).outcome, Outcome.OK)

    def test_language_is_chosen_by_name_python3_over_python2(self):
        backend = self.backend(use_harness=False)
        self.add_case(backend)
        (body,) = [r["body"] for r in self.fake.requests_to(BATCH_POST)]
        # The fake offers Python 2.7.17 (70), 3.8.1 (71) and 3.12.5 (113): the newest 3 wins.
        self.assertEqual(body["submissions"][0]["language_id"], 113)
        self.add_case(backend)
        self.assertEqual(len(self.fake.requests_to("GET /languages")), 1, "ids are cached")

    def test_limits_are_sent_in_judge0_units_and_never_clamped_to_its_maxima(self):
        """Below Judge0's minima a limit is raised (that only loosens it); above its maxima the
        run is refused, never clamped: a clamped limit gives verdicts the local sandbox would
        not (issue 12)."""
        backend = self.backend(use_harness=False)
        huge = Limits(
            cpu_time_ms=60_000, wall_time_ms=90_000, memory_kb=4 << 20, output_bytes=64 << 20
        )
        small = Limits(cpu_time_ms=250, wall_time_ms=300, memory_kb=1024, output_bytes=1000)
        with self.assertRaises(BackendRejected) as caught:
            backend.run_batch([RunRequest("python", "print(1)", b"", huge)])
        for limit in ("max_cpu_time_limit", "max_wall_time_limit", "max_memory_limit"):
            self.assertIn(limit, str(caught.exception))
        self.assertEqual(self.fake.requests_to(BATCH_POST), [], "nothing was created")
        backend.run_batch([RunRequest("python", "print(1)", b"", small)])
        (second,) = [r["body"]["submissions"][0] for r in self.fake.requests_to(BATCH_POST)]
        self.assertEqual(
            (second["cpu_time_limit"], second["wall_time_limit"], second["memory_limit"]),
            ("0.250", "1.000", 2048),
        )
        self.assertEqual(second["max_file_size"], 1 + 1)

    def test_batches_are_created_and_polled_in_chunks_of_at_most_20(self):
        backend = self.backend(use_harness=False)
        requests = [
            RunRequest("python", "print(input())", f"{i}\n".encode(), FAST) for i in range(45)
        ]
        results = backend.run_batch(requests)
        self.assertEqual([r.stdout for r in results], [f"{i}\n".encode() for i in range(45)])
        sizes = sorted(len(r["body"]["submissions"]) for r in self.fake.requests_to(BATCH_POST))
        self.assertEqual(sizes, [5, 20, 20])
        for request in self.fake.requests_to(BATCH_GET):
            self.assertLessEqual(len(request["query"]["tokens"].split(",")), 20)

    @requires_language("c")  # the fake Judge0 compiles with this host's gcc
    def test_statuses_map_to_outcomes_verdicts_and_api_statuses(self):
        backend = self.backend(use_harness=False)
        runs = {
            "tle": (
                "python",
                "while True:\n    pass\n",
                Limits(cpu_time_ms=300, wall_time_ms=2000),
            ),
            "wall": ("python", "import time\ntime.sleep(5)\n", Limits(wall_time_ms=1000)),
            "mle": (
                "python",
                "x = bytearray(400 << 20)\nprint(len(x))\n",
                Limits(memory_kb=64 << 10),
            ),
            "ole": ("python", "print('x' * 100000)\n", Limits(output_bytes=2048)),
            "nzec": ("python", "raise SystemExit(4)\n", FAST),
            "ce": ("c", "int main( {\n", FAST),
            "segv": ("c", "int main(void){ return *(volatile int *)0; }\n", FAST),
        }
        got = {}
        for name, (language, source, limits) in runs.items():
            (got[name],) = backend.run_batch([RunRequest(language, source, b"", limits)])
        self.assertEqual(got["tle"].outcome, Outcome.TIME_LIMIT)
        self.assertEqual(got["wall"].outcome, Outcome.TIME_LIMIT)
        self.assertTrue(got["wall"].wall_timed_out)
        self.assertEqual(got["mle"].outcome, Outcome.MEMORY_LIMIT)  # Judge0: 11 NZEC, exit 137
        self.assertEqual(got["ole"].outcome, Outcome.OUTPUT_LIMIT)
        self.assertEqual(got["nzec"].outcome, Outcome.RUNTIME_ERROR)
        self.assertEqual(got["nzec"].exit_code, 4)
        self.assertEqual(got["ce"].outcome, Outcome.COMPILATION_ERROR)
        self.assertIn("error", got["ce"].compile_output)
        self.assertEqual(got["segv"].outcome, Outcome.RUNTIME_ERROR)  # 11 NZEC, exit 139
        # ... and on to the API ("Status mapping (Judge0 -> DRF)").
        tle = judge_case(got["tle"], "", "exact")
        self.assertEqual(tle.verdict, Verdict.TIME_LIMIT_EXCEEDED)
        self.assertEqual(api_status_for(tle.verdict).code, "time_limit_exceeded")
        self.assertEqual(api_status_for(Verdict.ACCEPTED, created=True).http_status, 201)

    @requires_language("c")  # the fake Judge0 compiles with this host's gcc
    def test_direct_signal_statuses_7_to_12_are_runtime_errors(self):
        with FakeJudge0(auth_token=TOKEN, bash_wrapper=False) as fake:
            backend = self.backend(fake.url, use_harness=False)
            source = "#include <signal.h>\nint main(void){ raise(SIGSEGV); return 0; }\n"
            (result,) = backend.run_batch([RunRequest("c", source, b"", FAST)])
            status = fake.submissions[next(iter(fake.submissions))].status_id
        self.assertEqual(status, 7)
        self.assertEqual((result.outcome, result.signal), (Outcome.RUNTIME_ERROR, 11))

    def test_judge0_internal_error_is_a_retryable_infrastructure_failure(self):
        backend = self.backend(use_harness=False)
        self.fake.force_status(13, message="No such file or directory @ rb_sysopen - /box/main.c")
        with self.assertRaises(BackendInternalError) as caught:
            self.add_case(backend)
        self.assertIn("rb_sysopen", str(caught.exception))
        self.assertTrue(caught.exception.retryable)
        self.assertEqual(api_status_for(caught.exception).code, "judge_error")

    def test_python_syntax_error_is_a_compilation_error(self):
        backend = self.backend()
        requests = function_requests(
            "def add(a, b)\n    return a + b\n", "add", ["[1, 2]", "[3, 4]"]
        )
        results = [
            python_compile.postprocess("python", r, q.source)
            for r, q in zip(backend.run_batch(requests), requests, strict=True)
        ]
        self.assertEqual([r.outcome for r in results], [Outcome.COMPILATION_ERROR] * 2)
        self.assertIn("SyntaxError", results[0].compile_output)

    def test_a_failing_harness_chunk_falls_back_to_one_submission_per_case(self):
        backend = self.backend()
        self.fake.force_status(11, message="harness killed")  # the harness submission only
        results = backend.run_batch(function_requests(ADD, "add", ["[1, 2]", "[2, 2]", "[3, 2]"]))
        self.assertEqual([r.stdout for r in results], [b"3\n", b"4\n", b"5\n"])
        self.assertEqual(backend.stats["harness_fallbacks"], 1)
        self.assertEqual(backend.stats["submissions"], 1 + 3)

    def test_judge0s_own_failure_of_a_harness_chunk_is_not_a_harness_failure(self):
        """Status 13 is Judge0's failure: running every case again would multiply it."""
        backend = self.backend()
        self.fake.force_status(13, message="No such file or directory @ rb_sysopen - /box")
        with self.assertRaises(BackendInternalError):
            backend.run_batch(function_requests(ADD, "add", ["[1, 2]", "[2, 2]", "[3, 2]"]))
        self.assertEqual(backend.stats["harness_fallbacks"], 0)
        self.assertEqual(self.fake.created, 1)

    def test_demo_reference_solutions_are_accepted_and_wrong_ones_rejected(self):
        backend = self.backend()
        # Tests as code, custom checkers and subtasks need the executor: test_authoring_judging.
        for problem in [p for p in demo.PROBLEMS if p.is_plain]:
            with self.subTest(problem=problem.title):
                right, _ = judge(backend, problem, problem.reference)
                wrong, _ = judge(backend, problem, problem.wrong)
                self.assertEqual((right.verdict, right.score), (Verdict.ACCEPTED, 1))
                self.assertNotEqual(wrong.verdict, Verdict.ACCEPTED)

    def test_local_sandbox_and_judge0_give_identical_verdicts_and_scores(self):
        try:
            from courses.tests.sandbox_fixtures import local_backend, require_sandbox
        except ImportError as error:  # the local sandbox backend is not installed here
            self.skipTest(f"needs courses.judging.backends.local.LocalSandboxBackend: {error}")
        require_sandbox(type(self))  # skips, or fails under COURSES_REQUIRE_SANDBOX=1 (CI)
        local = local_backend()
        remote = self.backend()
        # Tests as code, custom checkers and subtasks need the executor: test_authoring_judging.
        for problem in [p for p in demo.PROBLEMS if p.is_plain]:
            for code in (problem.reference, problem.wrong):
                with self.subTest(problem=problem.title, reference=code == problem.reference):
                    here, here_cases = judge(local, problem, code)
                    there, there_cases = judge(remote, problem, code)
                    self.assertEqual(
                        [c.verdict for c in here_cases], [c.verdict for c in there_cases]
                    )
                    self.assertEqual((here.verdict, here.score), (there.verdict, there.score))

    # Step 2: error responses ----------------------------------------------------------------------

    def test_400_on_a_create_is_rejected_and_on_a_read_is_garbage_with_judge0s_message(self):
        """A 400 answering a create refuses the request itself: not retried. A 400 answering a
        read (a poll) says nothing of the student's run: it is garbage like an HTML page,
        retried, and reported as a protocol error with Judge0's message."""
        backend = self.backend()
        body = {"submissions": [{"source_code": b64encode("print(1)"), "language_id": 113}] * 21}
        with self.assertRaises(BackendRejected) as caught:
            backend.client.post("/submissions/batch", body, params={"base64_encoded": "true"})
        self.assertIn("less than or equal to 20", str(caught.exception))
        self.assertFalse(caught.exception.retryable)
        self.assertEqual(len(self.fake.requests_to(BATCH_POST)), 1)
        with self.assertRaises(BackendProtocolError) as caught:
            backend.client.get("/submissions/batch", {"tokens": "x", "fields": "token,bogus"})
        self.assertIn("invalid fields: [bogus]", str(caught.exception))
        self.assertEqual(len(self.fake.requests_to(BATCH_GET)), RETRY.attempts)

    def test_422_carries_judge0s_field_messages(self):
        backend = self.backend()
        body = {"source_code": b64encode("print(1)"), "language_id": 113, "cpu_time_limit": 99}
        with self.assertRaises(BackendRejected) as caught:
            backend.client.post("/submissions", body, params={"base64_encoded": "true"})
        self.assertEqual(
            caught.exception.fields, {"cpu_time_limit": ["must be less than or equal to 15"]}
        )
        self.assertEqual(api_status_for(caught.exception).http_status, 502)

    def test_404_for_a_lost_token_is_made_again_at_the_next_try(self):
        """Judge0 forgot the token (``null`` in the batch answer, 404 alone): the call ends as an
        outage without creating again in it; the next call (the next try) makes it again."""
        backend = self.backend(use_harness=False)
        self.fake.script(BATCH_POST, Fault(mutate=lambda doc: (self.fake.forget(), doc)[1]))
        (request,) = function_requests(ADD, "add", ["[1, 2]"])
        checkpoint = MemoryCheckpoint()
        with self.assertRaises(SubmissionsForgotten) as caught:
            backend.run_batch([request], checkpoint=checkpoint)
        self.assertTrue(caught.exception.outage)
        self.assertEqual(len(self.fake.requests_to(BATCH_POST)), 1)
        (result,) = backend.run_batch([request], checkpoint=checkpoint)
        self.assertEqual(result.stdout, b"3\n")
        self.assertEqual(len(self.fake.requests_to(BATCH_POST)), 2)

    def test_a_token_forgotten_three_times_is_an_inconsistent_backend(self):
        """Forgotten at every try: the third time in one judging it is a deployment fault
        (servers that do not share a database), not an outage to wait a day for."""
        backend = self.backend(use_harness=False)
        self.fake.script(BATCH_POST, Fault(mutate=lambda d: (self.fake.forget(), d)[1]), times=3)
        (request,) = function_requests(ADD, "add", ["[1, 2]"])
        checkpoint = MemoryCheckpoint()
        for _ in range(2):
            with self.assertRaises(SubmissionsForgotten):
                backend.run_batch([request], checkpoint=checkpoint)
        with self.assertRaises(BackendInconsistent) as caught:
            backend.run_batch([request], checkpoint=checkpoint)
        self.assertFalse(caught.exception.outage)
        self.assertIn("do all its servers share one database?", str(caught.exception))
        self.assertEqual(len(self.fake.requests_to(BATCH_POST)), 3)

    def test_404_on_a_single_token_and_on_languages(self):
        backend = self.backend()
        with self.assertRaises(Judge0NotFound):
            backend.client.get("/submissions/00000000-0000-4000-8000-000000000000")
        wrong_root = self.backend(self.fake.url + "/api/v1")
        with self.assertRaises(BackendConfigurationError) as caught:
            self.add_case(wrong_root)
        self.assertIn("/languages is not found", str(caught.exception))
        self.assertFalse(caught.exception.retryable)

    def test_429_is_retried_after_retry_after(self):
        backend = self.backend(use_harness=False)
        quota = {"message": "You have exceeded the DAILY quota for Submissions"}
        self.fake.script(BATCH_POST, Fault(status=429, body=quota, headers={"Retry-After": "0.5"}))
        started = time.monotonic()
        self.assertEqual(self.add_case(backend).stdout, b"3\n")
        self.assertGreaterEqual(time.monotonic() - started, 0.5)
        self.assertEqual(len(self.fake.requests_to(BATCH_POST)), 2)

    def test_500_is_retried_then_reported_unavailable(self):
        """A 500 on a read is retried; on a create too: it is Judge0's own request failing (its
        database down), which created nothing. Past the retry budget it is an outage."""
        backend = self.backend(use_harness=False)
        self.fake.script("GET /languages", Fault(status=500, body=b"<h1>oops</h1>"), times=2)
        self.assertEqual(self.add_case(backend).stdout, b"3\n")
        self.assertEqual(len(self.fake.requests_to("GET /languages")), 3)
        self.fake.script("GET /config_info", Fault(status=500), times=RETRY.attempts)
        clear_language_cache()
        with self.assertRaises(BackendUnavailable) as caught:
            self.add_case(backend)
        self.assertIn("500", str(caught.exception))
        self.assertTrue(caught.exception.retryable)
        self.assertEqual(len(self.fake.requests_to("GET /config_info")), 1 + RETRY.attempts)
        posts = len(self.fake.requests_to(BATCH_POST))
        self.fake.script(BATCH_POST, Fault(status=500), times=1)
        self.assertEqual(self.add_case(backend).stdout, b"3\n")
        self.assertEqual(len(self.fake.requests_to(BATCH_POST)) - posts, 2)
        self.fake.script(BATCH_POST, Fault(status=500), times=5)
        with self.assertRaises(BackendUnavailable) as caught:
            self.add_case(backend)
        self.assertNotIsInstance(caught.exception, AnswerLost)
        self.assertEqual(len(self.fake.requests_to(BATCH_POST)) - posts, 2 + RETRY.attempts)

    def test_503_queue_full_is_retryable(self):
        with FakeJudge0(auth_token=TOKEN, max_queue_size=1) as fake:
            backend = self.backend(fake.url, use_harness=False)
            requests = [RunRequest("python", "print(1)", b"", FAST)] * 2
            with self.assertRaises(BackendUnavailable) as caught:
                backend.run_batch(requests)
        self.assertIn("queue is full", str(caught.exception))
        self.assertEqual(api_status_for(caught.exception).http_status, 503)

    # Step 3: network errors -----------------------------------------------------------------------

    def test_connection_refused_is_unavailable_with_its_cause(self):
        backend = self.backend(f"http://127.0.0.1:{closed_port()}")
        with self.assertRaises(BackendUnavailable) as caught:
            self.add_case(backend)
        self.assertIsInstance(caught.exception.__cause__, httpx.ConnectError)
        self.assertIn("cannot connect", str(caught.exception))

    def test_dns_failure_is_unavailable_with_its_cause(self):
        backend = self.backend(f"http://{UNRESOLVABLE_HOST}:8080")
        with self.assertRaises(BackendUnavailable) as caught:
            self.add_case(backend)
        self.assertIsInstance(caught.exception.__cause__, httpx.ConnectError)
        self.assertTrue(any(isinstance(e, socket.gaierror) for e in causes(caught.exception)))

    def test_tls_with_the_trusted_ca_works(self):
        with FakeJudge0(tls="valid", auth_token=TOKEN) as fake:
            backend = self.backend(fake.url, verify=fake.ca_path, use_harness=False)
            self.assertEqual(self.add_case(backend).stdout, b"3\n")

    def test_certificate_problems_are_configuration_errors_and_not_retried(self):
        for kind in ("untrusted", "wrong_host", "expired"):
            with self.subTest(kind), FakeJudge0(tls=kind, auth_token=TOKEN) as fake:
                backend = self.backend(fake.url, verify=fake.ca_path)
                with self.assertRaises(BackendConfigurationError) as caught:
                    self.add_case(backend)
                self.assertIn("certificate verification failed", str(caught.exception))
                self.assertFalse(caught.exception.retryable)
                self.assertEqual(fake.requests, [], "no request went over a bad channel")
        # The test CA is not in the system's trust store.
        with (
            FakeJudge0(tls="valid", auth_token=TOKEN) as fake,
            self.assertRaises(BackendConfigurationError),
        ):
            self.add_case(self.backend(fake.url))

    # Step 4: rate limits and retries --------------------------------------------------------------

    def test_rate_limit_beyond_the_retry_budget_fails_at_once_with_retry_after(self):
        backend = self.backend(use_harness=False)
        self.fake.script("GET /languages", Fault(status=429, headers={"Retry-After": "30"}))
        started = time.monotonic()
        with self.assertRaises(BackendUnavailable) as caught:
            self.add_case(backend)
        self.assertLess(time.monotonic() - started, 1.0)
        self.assertEqual(caught.exception.retry_after_s, 30)
        self.assertEqual(api_status_for(caught.exception).retry_after_s, 30)

    def test_retries_back_off_exponentially_until_success(self):
        backend = self.backend(use_harness=False)
        self.fake.script(
            "GET /languages", Fault(status=503, body={"error": "maintenance"}), times=2
        )
        started = time.monotonic()
        self.assertEqual(self.add_case(backend).stdout, b"3\n")
        self.assertGreaterEqual(time.monotonic() - started, 0.05 + 0.1)
        self.assertEqual(len(self.fake.requests_to("GET /languages")), 3)

    def test_rate_limits_do_not_open_the_circuit(self):
        circuit = CircuitBreaker(self.fake.url, failure_threshold=1, cooldown_s=5)
        backend = self.backend(use_harness=False, circuit=circuit)
        self.fake.script(BATCH_POST, Fault(status=429, headers={"Retry-After": "0"}))
        self.assertEqual(self.add_case(backend).stdout, b"3\n")
        self.assertEqual(circuit.state, "closed")

    # Step 5: invalid response formats -------------------------------------------------------------

    def test_missing_fields_are_protocol_errors(self):
        backend = self.backend(use_harness=False)

        def drop_status(doc):
            del doc["submissions"][0]["status"]
            return doc

        # One such answer while polling is retried within the wait budget; to its end, it fails.
        self.fake.script(BATCH_GET, Fault(mutate=drop_status), seconds=60)
        with self.assertRaises(BackendProtocolError) as caught:
            self.add_case(self.backend(use_harness=False, max_wait_s=1.0))
        self.assertIn("status", str(caught.exception))
        self.fake.reset_script()
        # A 201 without tokens: Judge0 may have created the submission; not asked again in
        # the same call (the next try creates it).
        self.fake.script(BATCH_POST, Fault(status=201, body=[{}]), times=2)
        with self.assertRaises(AnswerLost):
            self.add_case(backend)
        self.assertEqual(len(self.fake.requests_to(BATCH_POST)), 1)

    def test_wrong_types_are_protocol_errors(self):
        backend = self.backend(use_harness=False, max_wait_s=1.0)
        mutations = {
            "status id as a string": lambda s: s["status"].update(id="3"),
            "memory as a string": lambda s: s.update(memory="lots"),
            "time not a number": lambda s: s.update(time="fast"),
            "stdout not base64": lambda s: s.update(stdout="%%%"),
            "stdout a number": lambda s: s.update(stdout=12),
        }
        for name, change in mutations.items():
            with self.subTest(name):

                def mutate(doc, change=change):
                    change(doc["submissions"][0])
                    return doc

                self.fake.reset_script()
                self.fake.script(BATCH_GET, Fault(mutate=mutate), seconds=60)
                with self.assertRaises(BackendProtocolError):
                    self.add_case(backend)
        self.fake.reset_script()
        self.fake.script(BATCH_POST, Fault(status=201, body={"token": "not-a-list"}), times=2)
        with self.assertRaises(AnswerLost):
            self.add_case(self.backend(use_harness=False))
        self.fake.script("GET /languages", Fault(status=200, body={"python": 71}))
        clear_language_cache()
        with self.assertRaises(BackendProtocolError):
            self.add_case(backend)

    def test_invalid_json_is_a_protocol_error_and_not_retried(self):
        """Garbage to the end of the wait budget is a protocol error, not "try again now"."""
        backend = self.backend(use_harness=False, max_wait_s=1.0)
        self.fake.script(BATCH_GET, Fault(status=200, body=b'{"submissions": [{"tok'), seconds=60)
        with self.assertRaises(BackendProtocolError) as caught:
            self.add_case(backend)
        self.assertIn("invalid JSON", str(caught.exception))
        self.assertFalse(caught.exception.retryable)

    # Step 6: the service unavailable, silent or slow ----------------------------------------------

    def test_service_down_then_back_on_the_same_port(self):
        backend = self.backend(use_harness=False)
        self.assertEqual(self.add_case(backend).stdout, b"3\n")
        self.fake.stop()
        with self.assertRaises(BackendUnavailable):
            self.add_case(backend)
        self.fake.start()
        self.assertEqual(self.add_case(backend).stdout, b"3\n")

    def test_no_response_times_out_with_its_cause(self):
        backend = self.backend(
            use_harness=False,
            timeouts=Timeouts(connect_s=1, request_s=0.3),
            retry=RetryPolicy(attempts=2, budget_s=2, initial_s=0.05, max_s=0.1),
        )
        self.fake.script("GET /languages", Fault(hang=True, hang_s=5), times=2)
        started = time.monotonic()
        with self.assertRaises(BackendUnavailable) as caught:
            self.add_case(backend)
        self.assertIsInstance(caught.exception.__cause__, httpx.ReadTimeout)
        self.assertLess(time.monotonic() - started, 2.0)

    def test_slow_response_within_the_timeout_succeeds(self):
        backend = self.backend(use_harness=False, timeouts=Timeouts(connect_s=1, request_s=2))
        self.fake.script("*", Fault(delay_s=0.4), times=3)
        self.assertEqual(self.add_case(backend).stdout, b"3\n")

    def test_a_judge0_that_never_finishes_is_unavailable_after_max_wait(self):
        with FakeJudge0(auth_token=TOKEN, processing_delay_s=1.5, workers=1) as fake:
            backend = self.backend(fake.url, use_harness=False, max_wait_s=0.5)
            with self.assertRaises(BackendUnavailable) as caught:
                self.add_case(backend)
        self.assertIn("did not finish", str(caught.exception))

    def test_open_circuit_fails_fast_then_one_probe_and_recovery(self):
        circuit = CircuitBreaker(self.fake.url, failure_threshold=3, cooldown_s=0.4)
        backend = self.backend(use_harness=False, circuit=circuit)
        self.fake.stop()
        with self.assertRaises(BackendUnavailable):  # 3 requests in one call: one failure
            self.add_case(backend)
        self.assertEqual((circuit.state, circuit.failures()), ("closed", 1))
        for _ in range(2):  # the third failed call opens it
            with self.assertRaises(BackendUnavailable):
                self.add_case(backend)
        self.assertEqual(circuit.state, "open")
        started = time.monotonic()
        with self.assertRaises(CircuitOpen) as caught:
            self.add_case(backend)
        self.assertLess(time.monotonic() - started, 0.1)
        self.assertGreater(caught.exception.retry_after_s, 0)

        time.sleep(0.45)  # cool-down over, server still down: the probe fails and re-opens
        with self.assertRaises(BackendUnavailable):
            self.add_case(backend)
        self.assertEqual(circuit.state, "open")

        self.fake.start()
        time.sleep(0.45)
        self.assertEqual(self.add_case(backend).stdout, b"3\n")  # the probe closes it
        self.assertEqual(circuit.state, "closed")
        self.assertEqual(circuit.failures(), 0)

    def test_half_open_circuit_lets_exactly_one_probe_through(self):
        clock = [1000.0]
        circuit = CircuitBreaker(
            self.fake.url + "/probe", failure_threshold=1, cooldown_s=10, clock=lambda: clock[0]
        )
        circuit.reset()
        circuit.record_failure()
        clock[0] += 11
        winners, errors = [], []

        def call():
            try:
                circuit.before_call()
                winners.append(1)
            except CircuitOpen as error:
                errors.append(error)

        threads = [threading.Thread(target=call) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual((len(winners), len(errors)), (1, 7))

    def test_circuit_state_is_shared_by_every_breaker_of_the_same_url(self):
        """Another process builds its own breaker; the state lives in the shared cache."""
        first = CircuitBreaker(self.fake.url + "/shared", failure_threshold=2, cooldown_s=30)
        first.reset()
        first.record_failure()
        first.record_failure()
        other = CircuitBreaker(self.fake.url + "/shared", failure_threshold=2, cooldown_s=30)
        self.assertEqual(other.state, "open")
        with self.assertRaises(CircuitOpen):
            other.before_call()
        unrelated = CircuitBreaker(self.fake.url + "/elsewhere")
        unrelated.reset()
        self.assertEqual(unrelated.state, "closed")
        first.reset()

    # Step 7: authentication -----------------------------------------------------------------------

    def test_valid_auth_token_is_accepted(self):
        backend = self.backend(use_harness=False)
        self.assertEqual(self.add_case(backend).stdout, b"3\n")
        for request in self.fake.requests:
            self.assertEqual(request["headers"].get("X-Auth-Token"), TOKEN)

    def test_invalid_or_missing_auth_token_is_a_configuration_error_not_retried(self):
        for token in ("wrong", None):
            with self.subTest(token=token):
                self.fake.reset_script()
                clear_language_cache()
                backend = self.backend(auth_token=token)
                with self.assertRaises(BackendConfigurationError) as caught:
                    self.add_case(backend)
                self.assertIn("401", str(caught.exception))
                self.assertFalse(caught.exception.retryable)
                self.assertEqual(len(self.fake.requests), 1)

    def test_rapidapi_key_and_host_valid_and_invalid(self):
        host = "judge0-ce.p.rapidapi.com"
        with FakeJudge0(rapidapi_key="rk-1", rapidapi_host=host) as fake:
            good = self.backend(fake.url, auth_token=None, rapidapi_key="rk-1", rapidapi_host=host)
            self.assertEqual(self.add_case(good).stdout, b"3\n")
            self.assertEqual(fake.requests[0]["headers"].get("X-RapidAPI-Host"), host)
            clear_language_cache()
            bad_key = self.backend(
                fake.url, auth_token=None, rapidapi_key="nope", rapidapi_host=host
            )
            with self.assertRaises(BackendConfigurationError) as caught:
                self.add_case(bad_key)
            self.assertIn("Invalid API key", str(caught.exception))
            bad_host = self.backend(
                fake.url, auth_token=None, rapidapi_key="rk-1", rapidapi_host="other.example"
            )
            with self.assertRaises(BackendConfigurationError) as caught:
                self.add_case(bad_host)
            self.assertIn("403", str(caught.exception))

    def test_from_settings_reads_the_url_and_both_credential_styles(self):
        with self.settings(JUDGE0_URL=self.fake.url, JUDGE0_AUTH_TOKEN=TOKEN):
            backend = Judge0Backend.from_settings()
            self._backends.append(backend)
            backend.client.retry = RETRY
            self.assertEqual(self.add_case(backend).stdout, b"3\n")
        with self.settings(
            JUDGE0_URL="https://judge0-ce.p.rapidapi.com",
            JUDGE0_RAPIDAPI_KEY="k",
            JUDGE0_RAPIDAPI_HOST="judge0-ce.p.rapidapi.com",
        ):
            backend = Judge0Backend.from_settings()
            self._backends.append(backend)
            self.assertEqual(backend.client._http.headers["X-RapidAPI-Key"], "k")
        with self.settings(JUDGE0_URL=""), self.assertRaises(BackendConfigurationError):
            Judge0Backend.from_settings()
