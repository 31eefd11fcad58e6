"""``Judge0Backend``: the ``JudgeBackend`` protocol over a Judge0 server.

Two paths for a batch (one source, many stdins):

- **Harness** (Python, more than one case): the cases of a chunk travel inside *one* Judge0
  submission, the self-contained one-process harness of the local backend
  (``build_harness_program``), whose stdout is one JSON report. Each case is then classified by
  the same rules as on the local sandbox (``harness.case_result``), so both backends agree.
  Chunks are sized so that, even if every case used its whole limits, a submission stays within
  the deployment's maxima; the chunks of a batch run in parallel on Judge0's workers. A chunk
  whose *harness* fails (killed, over its limits, an unreadable report) falls back to one
  submission per case, once: the ledger remembers it, so a retry never runs that chunk again.
  Judge0's own failures (13, 14) are infrastructure failures and never fall back.
- **Per case** (every other language, and the fallback): one submission per case, created in
  batches of the deployment's ``max_submission_batch_size``, or one by one when it has batches
  off.

So a batch of N cases costs at most its chunks plus N submissions per try, each created at most
once in a try (``jobs``: the ledger, and a lost create answer ends the try).

**Deadlines.** One call (``run_batch``) has one wait budget, ``max_wait_s``
(``JUDGE0_WAIT_SECONDS``, or a caller's shorter one: "Run code", judging inline in a request);
every HTTP request has its own overall deadline (``Timeouts.request_s``), never past the call's.
Both stay below the judging lease (``from_settings`` refuses otherwise), so a claim cannot expire
under a running call.

**The deployment.** ``/config_info`` is read once per base URL (cached an hour; Judge0's defaults
when it cannot be read): batch support and size, and the maxima. A request whose limits exceed
them is refused with ``BackendRejected``, never clamped (``limit_problems`` says why; the
authoring services and ``judge_check`` ask it first).

**The breaker** counts calls: a call that fails for want of Judge0 (unreachable, garbage,
Judge0's own errors) is one failure, however many requests and retries it made; a call that
ends, or in which Judge0 answered (a refused request, tokens it forgot), is one success. A call
let in keeps polling even if other calls open the breaker meanwhile.

Results are ``RunResult``: Judge0's status ids go through ``courses.judging.verdicts`` (the one
status table, with the derived memory and output limit rules). Nothing is sent as
``expected_output``: our checkers decide right or wrong, identically on every backend.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Sequence

from courses.judging.backends.base import Checkpoint, check_single_program
from courses.judging.errors import (
    BackendConfigurationError,
    BackendInternalError,
    BackendProtocolError,
    BackendRejected,
    BackendUnavailable,
    JudgeError,
    SubmissionsForgotten,
)
from courses.judging.languages import Language, get_language
from courses.judging.types import Limits, Outcome, RunRequest, RunResult
from courses.judging.verdicts import result_from_judge0_status

from .circuit import CircuitBreaker, CircuitOpen
from .client import DEFAULT_MAX_RESPONSE_BYTES, Judge0Client, Judge0NotFound, RetryPolicy, Timeouts
from .harness_chunks import plan_harness_chunks, read_harness_chunk
from .jobs import Job, JobRunner, Ledger, make_jobs
from .protocol import (
    Deployment,
    Submission,
    b64encode,
    choose_language_id,
    limit_fields,
    limit_problems,
    parse_config,
)

logger = logging.getLogger(__name__)

#: Per base URL: language ids and the deployment. Both rarely change, and every call needs them.
_CACHE: dict[tuple[str, str], tuple[float, object]] = {}
_CACHE_LOCK = threading.Lock()
CACHE_S = 3600.0
#: How long Judge0's defaults stand in for a ``/config_info`` that could not be read.
UNREAD_CONFIG_CACHE_S = 60.0
#: The budget of a deployment read made outside a call (problem save, ``judge_check``).
DEPLOYMENT_READ_S = 5.0


def clear_language_cache() -> None:
    """Forget language ids and deployments (tests; a changed Judge0)."""
    with _CACHE_LOCK:
        _CACHE.clear()


def _cached(key: tuple[str, str]):
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
    return hit[1] if hit is not None and hit[0] > time.monotonic() else None


def _remember(key: tuple[str, str], value, seconds: float) -> None:
    with _CACHE_LOCK:
        _CACHE[key] = (time.monotonic() + seconds, value)


class Judge0Backend:
    """Runs programs on a Judge0 server (self-hosted with ``X-Auth-Token``, or through RapidAPI).

    ``circuit`` is a ``CircuitBreaker``, ``None`` for the default one (shared through the cache,
    keyed by ``base_url``), or ``False`` for none. ``max_wait_s`` is a call's wait budget (see the
    module docstring). ``harness_parallelism``: a Python batch is cut into at least that many
    harness submissions (of at least 8 cases each), which Judge0's workers run in parallel.
    ``connect_timeout_s``, ``read_timeout_s`` (the whole request) and ``max_retry_time_s`` are
    shorthands for fields of ``timeouts`` and ``retry`` (``budget_s``).
    """

    name = "judge0"
    #: The options of ``run_batch`` beyond the protocol (``courses.judging.backends.base``).
    run_options = frozenset({"checkpoint", "max_wait_s"})

    def __init__(
        self,
        base_url: str,
        *,
        auth_token: str | None = None,
        rapidapi_key: str | None = None,
        rapidapi_host: str | None = None,
        verify=True,
        timeouts: Timeouts | None = None,
        retry: RetryPolicy | None = None,
        circuit: CircuitBreaker | bool | None = None,
        poll_min_interval_s: float = 0.1,
        poll_max_interval_s: float = 1.0,
        poll_fast_s: float = 2.0,
        max_wait_s: float = 120.0,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        use_harness: bool = True,
        harness_parallelism: int = 2,
        max_parallel_requests: int = 8,
        connect_timeout_s: float | None = None,
        read_timeout_s: float | None = None,
        max_retry_time_s: float | None = None,
    ) -> None:
        timeouts = timeouts or Timeouts()
        if connect_timeout_s is not None:
            timeouts = dataclasses.replace(timeouts, connect_s=connect_timeout_s)
        if read_timeout_s is not None:
            timeouts = dataclasses.replace(timeouts, request_s=read_timeout_s)
        retry = retry or RetryPolicy()
        if max_retry_time_s is not None:
            retry = dataclasses.replace(retry, budget_s=max_retry_time_s)
        if circuit is None or circuit is True:
            circuit = CircuitBreaker(base_url)
        elif circuit is False:
            circuit = None
        self.client = Judge0Client(
            base_url,
            auth_token=auth_token,
            rapidapi_key=rapidapi_key,
            rapidapi_host=rapidapi_host,
            verify=verify,
            timeouts=timeouts,
            retry=retry,
            max_response_bytes=max_response_bytes,
        )
        self.base_url = self.client.base_url
        self.circuit = circuit
        self.poll_min_interval_s = max(0.1, poll_min_interval_s)
        self.poll_max_interval_s = max(self.poll_min_interval_s, poll_max_interval_s)
        self.poll_fast_s = poll_fast_s
        self.max_wait_s = max_wait_s
        self.use_harness = use_harness
        self.harness_parallelism = max(1, harness_parallelism)
        self.max_parallel_requests = max(1, max_parallel_requests)
        #: Counters for tests and benchmarks: submissions created, answers lost, failed polls,
        #: harness chunks run and fallen back.
        self.stats = {
            "submissions": 0,
            "answers_lost": 0,
            "poll_errors": 0,
            "harness_chunks": 0,
            "harness_fallbacks": 0,
        }

    @classmethod
    def from_settings(cls) -> Judge0Backend:
        """Build from the ``JUDGE0_*`` settings (README, Configuration).

        ``JUDGE0_CA_BUNDLE`` names a CA file to trust; without it the system store is used, which
        honours ``SSL_CERT_FILE``. The wait budget and the request deadline must stay below the
        judging lease (``COURSES_JUDGING_LEASE_SECONDS``): a call must end before its claim can.
        """
        from django.conf import settings

        url = getattr(settings, "JUDGE0_URL", "")
        if not url:
            raise BackendConfigurationError("JUDGE0_URL is not set")
        wait = float(settings.JUDGE0_WAIT_SECONDS)
        request = float(settings.JUDGE0_REQUEST_TIMEOUT_SECONDS)
        lease = float(settings.COURSES_JUDGING_LEASE_SECONDS)
        if not request <= wait < lease:
            raise BackendConfigurationError(
                f"JUDGE0_REQUEST_TIMEOUT_SECONDS ({request:g}) <= JUDGE0_WAIT_SECONDS "
                f"({wait:g}) < COURSES_JUDGING_LEASE_SECONDS ({lease:g}) must hold: a judging "
                "call must end before its lease does, or a second worker judges it too"
            )
        circuit = CircuitBreaker(
            url,
            failure_threshold=int(settings.JUDGE0_CIRCUIT_FAILURES),
            cooldown_s=float(settings.JUDGE0_CIRCUIT_COOLDOWN_SECONDS),
        )
        return cls(
            url,
            auth_token=getattr(settings, "JUDGE0_AUTH_TOKEN", "") or None,
            rapidapi_key=getattr(settings, "JUDGE0_RAPIDAPI_KEY", "") or None,
            rapidapi_host=getattr(settings, "JUDGE0_RAPIDAPI_HOST", "") or None,
            verify=getattr(settings, "JUDGE0_CA_BUNDLE", "") or True,
            timeouts=Timeouts(
                connect_s=float(settings.JUDGE0_CONNECT_TIMEOUT_SECONDS), request_s=request
            ),
            circuit=circuit,
            max_wait_s=wait,
            max_response_bytes=int(settings.JUDGE0_MAX_RESPONSE_BYTES),
        )

    def close(self) -> None:
        self.client.close()

    # -- what this Judge0 offers ------------------------------------------------------------------
    def language_id(self, language: Language, deadline: float | None = None) -> int:
        """Judge0's id for ``language``, from ``/languages`` (cached per base URL for an hour)."""
        key = (self.base_url, f"language:{language.key}")
        cached = _cached(key)
        if cached is not None:
            return cached  # type: ignore[return-value]
        try:
            languages = self.client.get("/languages", deadline=deadline)
        except Judge0NotFound as error:
            raise BackendConfigurationError(
                f"{self.base_url}/languages is not found: is JUDGE0_URL the root of a Judge0?",
                cause=error,
            ) from error
        language_id = choose_language_id(languages, language.judge0_names)
        _remember(key, language_id, CACHE_S)
        return language_id

    def deployment(self, deadline: float | None = None) -> Deployment:
        """What this Judge0 allows (``/config_info``), cached per base URL for an hour.

        When it cannot be read (a proxy that hides it, garbage), Judge0's defaults stand in for a
        minute and a warning is logged; when Judge0 cannot be reached at all that is raised.
        """
        key = (self.base_url, "config")
        cached = _cached(key)
        if cached is not None:
            return cached  # type: ignore[return-value]
        if deadline is None:
            deadline = time.monotonic() + DEPLOYMENT_READ_S
        try:
            deployment = parse_config(self.client.get("/config_info", deadline=deadline))
            seconds = CACHE_S
        except (Judge0NotFound, BackendProtocolError) as error:
            logger.warning("Judge0 /config_info unreadable, using Judge0's defaults: %s", error)
            deployment, seconds = Deployment(read=False), UNREAD_CONFIG_CACHE_S
        _remember(key, deployment, seconds)
        return deployment

    def language_problem(self, language_key: str) -> str | None:
        """Why this Judge0 cannot run ``language_key`` (it offers no such language), or None.

        An unreachable Judge0 answers None: an author is never blocked by an outage.
        """
        try:
            self.language_id(get_language(language_key))
        except BackendConfigurationError as error:
            return str(error)
        except JudgeError as error:
            logger.warning("Judge0 unreachable, not checking language %s: %s", language_key, error)
        return None

    def limit_problems(self, limits: Limits) -> list[tuple[str, str]]:
        """Which of ``limits`` this Judge0 cannot honour (``(Limits field, why)``; [] if none).

        Used before saving a problem and by ``judge_check``. When Judge0 cannot be reached, its
        documented default maxima are used, so an author is never blocked by an outage.
        """
        try:
            deployment = self.deployment()
        except JudgeError as error:
            logger.warning("Judge0 unreachable, checking limits against its defaults: %s", error)
            deployment = Deployment(read=False)
        return limit_problems(limits, deployment)

    # -- JudgeBackend -----------------------------------------------------------------------------
    def run_batch(
        self,
        requests: Sequence[RunRequest],
        *,
        checkpoint: Checkpoint | None = None,
        max_wait_s: float | None = None,
    ) -> list[RunResult]:
        """Run ``requests`` within ``max_wait_s`` (the backend's budget, or a shorter one: a
        caller may only shorten it, which keeps it below the judging lease), resuming from and
        saving to ``checkpoint`` when given (see ``jobs``)."""
        check_single_program(requests)
        if not requests:
            return []
        budget = self.max_wait_s if max_wait_s is None else min(max_wait_s, self.max_wait_s)
        deadline = time.monotonic() + budget
        if self.circuit is not None:
            self.circuit.before_call()
        try:
            results = self._run(requests, checkpoint, deadline, budget)
        except JudgeError as error:
            self._record(error)
            raise
        if self.circuit is not None:
            self.circuit.record_success()
        return results

    def _record(self, error: JudgeError) -> None:
        if self.circuit is None or isinstance(error, CircuitOpen):
            return
        # Tokens Judge0 forgot: it answered, so a half-open probe is won, not lost again.
        availability = BackendUnavailable | BackendProtocolError | BackendInternalError
        forgot = isinstance(error, SubmissionsForgotten)
        judge0_at_fault = isinstance(error, availability) and not forgot
        if judge0_at_fault and getattr(error, "counts_as_failure", True):
            self.circuit.record_failure()
        elif not judge0_at_fault:  # Judge0 answered, whatever it thought of the request
            self.circuit.record_success()

    def _run(
        self, requests: Sequence[RunRequest], checkpoint, deadline: float, budget: float
    ) -> list[RunResult]:
        language = get_language(requests[0].language)
        language_id = self.language_id(language, deadline)
        deployment = self.deployment(deadline)
        for limits in {request.limits for request in requests}:
            problems = limit_problems(limits, deployment)
            if problems:
                raise BackendRejected(
                    "limits above this Judge0's maxima (not clamped: that would change "
                    "verdicts): " + "; ".join(why for _, why in problems)
                )
        ledger = Ledger(checkpoint, self.base_url)
        runner = JobRunner(
            self.client,
            deployment,
            ledger,
            deadline=deadline,
            budget_s=budget,
            poll_min_interval_s=self.poll_min_interval_s,
            poll_max_interval_s=self.poll_max_interval_s,
            poll_fast_s=self.poll_fast_s,
            max_parallel_requests=self.max_parallel_requests,
            stats=self.stats,
        )
        try:
            return self._run_jobs(requests, language, language_id, deployment, ledger, runner)
        finally:
            if runner.deployment.batched != deployment.batched:
                _remember((self.base_url, "config"), runner.deployment, CACHE_S)

    def _run_jobs(self, requests, language, language_id, deployment, ledger, runner):
        results: list[RunResult | None] = [None] * len(requests)
        chunks = []
        if self.use_harness and language.key == "python" and len(requests) > 1:
            chunks = plan_harness_chunks(requests, deployment, parallelism=self.harness_parallelism)
        chunk_jobs = make_jobs(
            [
                (
                    {
                        "language_id": language_id,
                        "source_code": b64encode(c.program),
                        "stdin": "",
                        **c.fields,
                    },
                    c.fields["memory_limit"],
                    f"chunk {c.indices[0]}-{c.indices[-1]}",
                )
                for c in chunks
            ]
        )
        live = [
            (chunk, job)
            for chunk, job in zip(chunks, chunk_jobs, strict=True)
            if not ledger.fell_back(job.key)
        ]
        harnessed = {index for chunk, _ in live for index in chunk.indices}
        single = [i for i in range(len(requests)) if i not in harnessed]
        case_jobs = self._case_jobs(requests, single, language_id, deployment)
        self.stats["harness_chunks"] += len(live)
        done = runner.run([job for _, job in live] + case_jobs)
        for (chunk, job), submission in zip(live, done[: len(live)], strict=True):
            chunk_results = read_harness_chunk(chunk, submission)
            if chunk_results is None:
                ledger.fall_back(job.key)
                self.stats["harness_fallbacks"] += 1
                continue
            for index, result in zip(chunk.indices, chunk_results, strict=True):
                results[index] = result
        self._fill(results, requests, single, case_jobs, done[len(live) :])
        fallback = [i for i in range(len(requests)) if results[i] is None]
        if fallback:
            ledger.save()
            jobs = self._case_jobs(requests, fallback, language_id, deployment)
            self._fill(results, requests, fallback, jobs, runner.run(jobs))
        assert all(r is not None for r in results)
        return results  # type: ignore[return-value]

    def _case_jobs(self, requests, indices, language_id, deployment) -> list[Job]:
        bodies = []
        for index in indices:
            request = requests[index]
            fields = limit_fields(request.limits, deployment)
            body = {
                "language_id": language_id,
                "source_code": b64encode(request.source),
                "stdin": b64encode(request.stdin),
                **fields,
            }
            bodies.append((body, fields["memory_limit"], f"case {index}"))
        return make_jobs(bodies)

    @staticmethod
    def _fill(results, requests, indices, jobs: list[Job], submissions: list[Submission]):
        for index, job, submission in zip(indices, jobs, submissions, strict=True):
            results[index] = _cap_stdout(
                _to_result(submission, job.memory_limit_kb), requests[index].limits
            )


def _to_result(submission: Submission, memory_limit_kb: int) -> RunResult:
    return result_from_judge0_status(
        submission.status_id,
        stdout=submission.stdout,
        stderr=submission.stderr,
        compile_output=submission.compile_output.decode("utf-8", "replace"),
        cpu_time_ms=submission.cpu_time_ms,
        wall_time_ms=submission.wall_time_ms,
        memory_kb=submission.memory_kb,
        memory_limit_kb=memory_limit_kb,
        exit_code=submission.exit_code,
        exit_signal=submission.exit_signal,
        message=submission.message,
    )


def _cap_stdout(result: RunResult, limits: Limits) -> RunResult:
    """Judge0 caps stdout in whole KB; cap at our byte limit, as the local sandbox does (OLE)."""
    if len(result.stdout) <= limits.output_bytes:
        return result
    outcome = result.outcome
    if outcome in (Outcome.OK, Outcome.RUNTIME_ERROR):
        outcome = Outcome.OUTPUT_LIMIT
    return dataclasses.replace(
        result,
        outcome=outcome,
        stdout=result.stdout[: limits.output_bytes],
        stdout_truncated=True,
    )
