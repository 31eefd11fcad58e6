"""``Judge0Backend``: the ``JudgeBackend`` protocol over a Judge0 server.

Two paths for a batch (one source, many stdins):

- **Harness** (Python, more than one case): the cases of a chunk travel inside *one* Judge0
  submission, the self-contained one-process harness of the local backend
  (``build_harness_program``), whose stdout is one JSON report. Each case is then classified by
  the same rules as on the local sandbox (``harness.case_result``), so both backends agree.
  Chunks are sized so that, even if every case used its whole limits, a submission stays within
  Judge0's maxima (15 s CPU, 20 s wall, 4096 KB of output); the chunks of a batch run in
  parallel on Judge0's workers. A chunk whose submission does not come back as a valid report
  (the harness was killed, Judge0 forbids something it needs...) falls back to the per-case path.
- **Per case** (every other language, and the fallback): one submission per case, created with
  ``POST /submissions/batch`` in chunks of 20 and polled with ``GET /submissions/batch``.

Polls come every ``poll_min_interval_s`` (100 ms, as Judge0's own SDK) for the first
``poll_fast_s`` seconds, when most runs end, then back off (x1.5 up to ``poll_max_interval_s``)
while nothing changes. Polling uses the batch route even for a single token: Judge0 caches
``GET /submissions/{token}`` for a second (``SUBMISSION_CACHE_DURATION``) and does not cache the
batch route, so the batch route sees a finished run up to a second earlier. A token Judge0 no
longer knows (``null`` in a batch answer, 404 alone) is resubmitted once.

Results are ``RunResult``: Judge0's status ids go through ``courses.judging.verdicts`` (the one
status table, with the derived memory and output limit rules). Nothing is sent as
``expected_output``: our checkers decide right or wrong, identically on every backend.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from courses.judging.backends.base import check_single_program
from courses.judging.errors import (
    BackendConfigurationError,
    BackendProtocolError,
    BackendRejected,
    BackendUnavailable,
)
from courses.judging.languages import Language, get_language
from courses.judging.types import Limits, Outcome, RunRequest, RunResult
from courses.judging.verdicts import result_from_judge0_status

from .circuit import CircuitBreaker
from .client import Judge0Client, Judge0NotFound, RetryPolicy, Timeouts
from .harness_chunks import plan_harness_chunks, read_harness_chunk
from .protocol import (
    MAX_BATCH,
    RESULT_FIELDS,
    Submission,
    b64encode,
    choose_language_id,
    limit_fields,
    parse_submission,
)

B64 = {"base64_encoded": "true"}
#: Language ids per base URL: ``/languages`` rarely changes, and every batch needs an id.
_LANGUAGE_IDS: dict[tuple[str, str], tuple[float, int]] = {}
_LANGUAGE_LOCK = threading.Lock()
LANGUAGE_CACHE_S = 3600.0


def clear_language_cache() -> None:
    with _LANGUAGE_LOCK:
        _LANGUAGE_IDS.clear()


@dataclass(frozen=True, slots=True)
class _Job:
    """One Judge0 submission to make: its body, and what to do with its result."""

    body: dict
    memory_limit_kb: int


class Judge0Backend:
    """Runs programs on a Judge0 server (self-hosted with ``X-Auth-Token``, or through RapidAPI).

    ``circuit`` is a ``CircuitBreaker``, ``None`` for the default one (shared through the cache,
    keyed by ``base_url``), or ``False`` for none. ``max_wait_s`` bounds how long one batch may
    wait for Judge0 to finish; past it the batch fails with ``BackendUnavailable`` (retryable).
    ``harness_parallelism``: a Python batch is cut into at least that many harness submissions
    (of at least 8 cases each), which Judge0's workers run in parallel; 1 uses as few
    submissions as the limits allow. ``connect_timeout_s``, ``read_timeout_s`` and
    ``max_retry_time_s`` are shorthands for fields of ``timeouts`` and ``retry`` (``budget_s``).
    """

    name = "judge0"

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
        max_wait_s: float = 300.0,
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
            timeouts = dataclasses.replace(timeouts, read_s=read_timeout_s)
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
            circuit=circuit,
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
        #: Counters for tests and the benchmark (submissions created, harness chunks that failed).
        self.stats = {"submissions": 0, "harness_chunks": 0, "harness_fallbacks": 0}

    @classmethod
    def from_settings(cls) -> Judge0Backend:
        """Build from ``JUDGE0_URL``, ``JUDGE0_AUTH_TOKEN``, ``JUDGE0_RAPIDAPI_KEY/HOST``.

        ``JUDGE0_CA_BUNDLE`` (optional) names a CA file to trust instead of the system store.
        """
        from django.conf import settings

        url = getattr(settings, "JUDGE0_URL", "")
        if not url:
            raise BackendConfigurationError("JUDGE0_URL is not set")
        return cls(
            url,
            auth_token=getattr(settings, "JUDGE0_AUTH_TOKEN", "") or None,
            rapidapi_key=getattr(settings, "JUDGE0_RAPIDAPI_KEY", "") or None,
            rapidapi_host=getattr(settings, "JUDGE0_RAPIDAPI_HOST", "") or None,
            verify=getattr(settings, "JUDGE0_CA_BUNDLE", "") or True,
        )

    def close(self) -> None:
        self.client.close()

    # -- languages --------------------------------------------------------------------------------
    def language_id(self, language: Language) -> int:
        """Judge0's id for ``language``, from ``/languages`` (cached per base URL for an hour)."""
        key = (self.base_url, language.key)
        now = time.monotonic()
        with _LANGUAGE_LOCK:
            cached = _LANGUAGE_IDS.get(key)
        if cached is not None and now - cached[0] < LANGUAGE_CACHE_S:
            return cached[1]
        try:
            languages = self.client.get("/languages")
        except Judge0NotFound as error:
            raise BackendConfigurationError(
                f"{self.base_url}/languages is not found: is JUDGE0_URL the root of a Judge0?",
                cause=error,
            ) from error
        language_id = choose_language_id(languages, language.judge0_names)
        with _LANGUAGE_LOCK:
            _LANGUAGE_IDS[key] = (now, language_id)
        return language_id

    # -- JudgeBackend -----------------------------------------------------------------------------
    def run_batch(self, requests: Sequence[RunRequest]) -> list[RunResult]:
        check_single_program(requests)
        if not requests:
            return []
        language = get_language(requests[0].language)
        language_id = self.language_id(language)
        results: list[RunResult | None] = [None] * len(requests)
        pending = list(range(len(requests)))
        if self.use_harness and language.key == "python" and len(requests) > 1:
            pending = self._run_harness(requests, language_id, results)
        if pending:
            jobs = [self._case_job(requests[i], language_id) for i in pending]
            for index, result in zip(pending, self._run_jobs(jobs), strict=True):
                results[index] = _cap_stdout(result, requests[index].limits)
        assert all(r is not None for r in results)
        return results  # type: ignore[return-value]

    def _case_job(self, request: RunRequest, language_id: int) -> _Job:
        fields = limit_fields(request.limits)
        body = {
            "language_id": language_id,
            "source_code": b64encode(request.source),
            "stdin": b64encode(request.stdin),
            **fields,
        }
        return _Job(body, fields["memory_limit"])

    def _run_harness(
        self, requests: Sequence[RunRequest], language_id: int, results: list
    ) -> list[int]:
        """Fill ``results`` through harness chunks; return the indices left to run one by one."""
        chunks = plan_harness_chunks(requests, parallelism=self.harness_parallelism)
        if not chunks:
            return list(range(len(requests)))
        jobs = [
            _Job(
                {
                    "language_id": language_id,
                    "source_code": b64encode(c.program),
                    "stdin": "",
                    **c.fields,
                },
                c.fields["memory_limit"],
            )
            for c in chunks
        ]
        self.stats["harness_chunks"] += len(chunks)
        submissions = self._submit_and_wait(jobs)
        covered: set[int] = set()
        for chunk, submission in zip(chunks, submissions, strict=True):
            chunk_results = read_harness_chunk(chunk, submission)
            if chunk_results is None:
                self.stats["harness_fallbacks"] += 1
                continue
            for index, result in zip(chunk.indices, chunk_results, strict=True):
                results[index] = result
                covered.add(index)
        return [i for i in range(len(requests)) if i not in covered]

    def _run_jobs(self, jobs: list[_Job]) -> list[RunResult]:
        submissions = self._submit_and_wait(jobs)
        return [
            _to_result(submission, job.memory_limit_kb)
            for job, submission in zip(jobs, submissions, strict=True)
        ]

    # -- create and poll --------------------------------------------------------------------------
    def _submit_and_wait(self, jobs: list[_Job]) -> list[Submission]:
        """Create every job's submission, poll until all are final; results in job order."""
        started = time.monotonic()
        deadline = started + self.max_wait_s
        tokens = self._create(jobs)
        finished: dict[int, Submission] = {}
        resubmitted: set[int] = set()
        interval = self.poll_min_interval_s
        while True:
            waiting = [i for i in range(len(jobs)) if i not in finished]
            if not waiting:
                break
            if time.monotonic() >= deadline:
                raise BackendUnavailable(
                    f"Judge0 at {self.base_url} did not finish {len(waiting)} submission(s) "
                    f"within {self.max_wait_s:.0f} s"
                )
            time.sleep(min(interval, max(0.0, deadline - time.monotonic())))
            fetched = self._fetch([tokens[i] for i in waiting])
            progress = False
            lost: list[int] = []
            for index, submission in zip(waiting, fetched, strict=True):
                if submission is None:
                    lost.append(index)
                elif submission.token != tokens[index]:
                    raise BackendProtocolError(
                        f"Judge0 answered token {submission.token} for {tokens[index]}"
                    )
                elif submission.is_final:
                    finished[index] = submission
                    progress = True
            if lost:
                again = [i for i in lost if i in resubmitted]
                if again:
                    raise BackendUnavailable(
                        f"Judge0 at {self.base_url} lost submission {tokens[again[0]]} twice"
                    )
                for index, token in zip(lost, self._create([jobs[i] for i in lost]), strict=True):
                    tokens[index] = token
                    resubmitted.add(index)
                progress = True
            waited = time.monotonic() - started
            if progress or waited < self.poll_fast_s:
                interval = self.poll_min_interval_s
            else:
                interval = min(self.poll_max_interval_s, interval * 1.5)
        return [finished[i] for i in range(len(jobs))]

    def _parallel(self, function, chunks: list) -> list:
        if len(chunks) == 1:
            return [function(chunks[0])]
        workers = min(self.max_parallel_requests, len(chunks))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="judge0") as pool:
            return list(pool.map(function, chunks))

    def _create(self, jobs: list[_Job]) -> list[str]:
        chunks = [jobs[i : i + MAX_BATCH] for i in range(0, len(jobs), MAX_BATCH)]
        tokens = [t for part in self._parallel(self._create_chunk, chunks) for t in part]
        self.stats["submissions"] += len(tokens)
        return tokens

    def _create_chunk(self, jobs: list[_Job]) -> list[str]:
        answer = self.client.post(
            "/submissions/batch", {"submissions": [job.body for job in jobs]}, params=B64
        )
        if not isinstance(answer, list) or len(answer) != len(jobs):
            raise BackendProtocolError(
                f"Judge0 batch create: expected a list of {len(jobs)} entries, got {answer!r:.200}"
            )
        tokens = []
        for entry in answer:
            if not isinstance(entry, dict):
                raise BackendProtocolError(f"Judge0 batch create: entry {entry!r:.100}")
            token = entry.get("token")
            if isinstance(token, str) and token:
                tokens.append(token)
                continue
            if entry:  # the entry's own 422-style field map
                raise BackendRejected(f"Judge0 rejected a submission: {entry}", fields=entry)
            raise BackendProtocolError("Judge0 batch create: an entry has no token")
        return tokens

    def _fetch(self, tokens: list[str]) -> list[Submission | None]:
        chunks = [tokens[i : i + MAX_BATCH] for i in range(0, len(tokens), MAX_BATCH)]
        return [s for part in self._parallel(self._fetch_chunk, chunks) for s in part]

    def _fetch_chunk(self, tokens: list[str]) -> list[Submission | None]:
        answer = self.client.get(
            "/submissions/batch",
            {"tokens": ",".join(tokens), "fields": ",".join(RESULT_FIELDS), **B64},
        )
        entries = answer.get("submissions") if isinstance(answer, dict) else None
        if not isinstance(entries, list) or len(entries) != len(tokens):
            raise BackendProtocolError(
                f"Judge0 batch show: expected {{'submissions': [{len(tokens)} entries]}}, "
                f"got {answer!r:.200}"
            )
        return [None if entry is None else parse_submission(entry) for entry in entries]


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
