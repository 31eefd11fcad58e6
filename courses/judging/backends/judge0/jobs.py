"""Creating Judge0 submissions at most once per try, and polling them until they are final.

**The ledger.** Every Judge0 submission a batch needs is a *job*, named by a digest of its body
(language, source, stdin, limits), so the same batch always names the same jobs. The ledger maps
each job to its token as soon as Judge0 returns it, and is saved through the caller's
``Checkpoint`` (``courses.judging.backends.base``): a retry, a Celery retry or another worker
finds the tokens and polls them instead of creating again.

**A failed create is an outage.** A create whose answer is lost (``AnswerLost``: a read timeout,
a connection cut mid-answer, 504, a garbled 201) may have created the jobs without our learning
their tokens, and Judge0 offers no idempotency key and no way to list what exists
(``GET /submissions`` needs an authorization token deployments rarely give). Such a create is
never repeated within the call: the call fails (an outage: a graded submission waits for its next
scheduled try), and the next try creates the jobs that still have no token. Hence the bound:
**each job is created at most once per try** (``run_batch`` call); the tries of a graded
submission are spaced by the outage schedule (30 s, doubling to 15 min, for a day), so a Judge0
that loses every answer costs one duplicate set per try, never a burst. A create refused before
it reached Judge0, or that Judge0 says it did not act on (no connection, 429, 500: Judge0's own
request failed, 502, 503), created nothing; the client may repeat it within its retry budget.

**Polling** goes to the batch route, which Judge0 does not cache (``GET /submissions/{token}``
is cached for a second), or to the single route when the deployment has batches off. Polls come
every ``poll_min_interval_s`` for the first ``poll_fast_s`` seconds, then back off (×1.5 up to
``poll_max_interval_s``) while nothing changes. A failed poll (refused, 502/503, 400/422, an HTML
page, a truncated answer, a result out of range) is no progress, retried with backoff until the
call's deadline; only then does the call fail, with the last error. Tokens are fetched in groups
whose worst-case answer fits the client's response cap, so a legitimate answer is never cut. A job
that ends with status 13 or 14 (Judge0's own failure) ends the call with ``BackendInternalError``
at once; its token is dropped from the ledger, so the next try makes that job alone again and
polls the others.

**A token Judge0 no longer knows** (``null`` in a batch answer, 404 alone: its database was
reset, or its servers do not share one) ends the call like a lost answer
(``SubmissionsForgotten``, an outage): the token is dropped and the next try makes that job
again. Forgotten ``MAX_FORGOTTEN`` times in one judging (the ledger counts it per job), it is no
fluke but a deployment fault: the call ends with ``BackendInconsistent`` (``internal_error``, with
what to check) rather than let the submission wait a day for a Judge0 that never keeps it.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from courses.judging.errors import (
    AnswerLost,
    BackendInconsistent,
    BackendInternalError,
    BackendProtocolError,
    BackendRejected,
    BackendUnavailable,
    JudgeError,
    ResponseTooLarge,
    SubmissionsForgotten,
)
from courses.judging.verdicts import judge0_status

from .client import Judge0Client, Judge0NotFound
from .protocol import RESULT_FIELDS, Deployment, Submission, parse_submission

B64 = {"base64_encoded": "true"}
LEDGER_VERSION = 1
#: How often Judge0 may forget the same job in one judging before it is a deployment fault.
MAX_FORGOTTEN = 3
#: Compile output Judge0 may return on top of the output files (it caps it itself).
COMPILE_OUTPUT_ALLOWANCE = 64 * 1024
BATCHES_OFF = "batched submissions are not allowed"


@dataclass(frozen=True, slots=True)
class Job:
    """One Judge0 submission to make: its body, its name in the ledger, its answer's weight."""

    key: str
    body: dict
    memory_limit_kb: int

    @property
    def worst_answer_bytes(self) -> int:
        """stdout and stderr at ``max_file_size`` each plus compile output, base64 with MIME
        newlines (× 4/3 × 61/60), plus the JSON around them."""
        raw = 2 * int(self.body.get("max_file_size", 1024)) * 1024 + COMPILE_OUTPUT_ALLOWANCE
        return math.ceil(raw * 4 / 3 * 61 / 60) + 2048


def make_jobs(bodies: Sequence[tuple[dict, int, str]]) -> list[Job]:
    """Jobs for ``(body, memory limit, slot)``; ``slot`` names its place in the batch ("case 3",
    "chunk 0"), so equal bodies at different places stay distinct and a place keeps its key."""
    jobs = []
    for body, memory, slot in bodies:
        digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:24]
        jobs.append(Job(f"{slot}:{digest}", body, memory))
    return jobs


class Ledger:
    """What was created for one batch, kept through the caller's checkpoint (module docstring).

    State: ``{"v", "url", "jobs": {key: {"token", "remade"}}, "fallback": [chunk keys]}``.
    Without a checkpoint it lives only as long as the call. (Ledgers saved by earlier versions
    may carry ``lost`` and ``inflight`` marks: they are ignored, a job without a token is
    created at the next try.)
    """

    def __init__(self, checkpoint, base_url: str) -> None:
        self.checkpoint = checkpoint
        self.state = {"v": LEDGER_VERSION, "url": base_url, "jobs": {}, "fallback": []}
        loaded = checkpoint.load() if checkpoint is not None else None
        if (
            isinstance(loaded, dict)
            and loaded.get("v") == LEDGER_VERSION
            and loaded.get("url") == base_url
            and isinstance(loaded.get("jobs"), dict)
        ):
            self.state = copy.deepcopy(loaded)
            self.state.setdefault("fallback", [])

    def _record(self, key: str) -> dict:
        return self.state["jobs"].setdefault(key, {"token": None, "remade": 0})

    def token(self, key: str) -> str | None:
        record = self.state["jobs"].get(key)
        return record.get("token") if record else None

    def created(self, pairs: Sequence[tuple[str, str]]) -> None:
        for key, token in pairs:
            self._record(key)["token"] = token

    def forget(self, key: str, *, remade: bool) -> None:
        """Drop a token (Judge0 lost it, or its run failed in Judge0): the job is made anew."""
        record = self._record(key)
        record["token"] = None
        if remade:
            record["remade"] = record.get("remade", 0) + 1

    def remade(self, key: str) -> int:
        return self._record(key).get("remade", 0)

    def fell_back(self, chunk_key: str) -> bool:
        return chunk_key in self.state["fallback"]

    def fall_back(self, chunk_key: str) -> None:
        if chunk_key not in self.state["fallback"]:
            self.state["fallback"].append(chunk_key)

    def save(self) -> None:
        if self.checkpoint is not None:
            self.checkpoint.save(copy.deepcopy(self.state))


def parallel(function: Callable, items: list, workers: int) -> list:
    """``function`` over ``items`` in threads; each result is a value or the exception raised."""

    def safe(item):
        try:
            return function(item)
        except Exception as error:  # handed back to the caller, which decides
            return error

    if len(items) <= 1:
        return [safe(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(workers, len(items)), thread_name_prefix="judge0") as p:
        return list(p.map(safe, items))


class JobRunner:
    """Creates and polls the jobs of one ``run_batch`` call, within its deadline."""

    def __init__(
        self,
        client: Judge0Client,
        deployment: Deployment,
        ledger: Ledger,
        *,
        deadline: float,
        budget_s: float,
        poll_min_interval_s: float,
        poll_max_interval_s: float,
        poll_fast_s: float,
        max_parallel_requests: int,
        stats: dict,
    ) -> None:
        self.client = client
        self.deployment = deployment
        self.ledger = ledger
        self.deadline = deadline
        self.budget_s = budget_s
        self.poll_min_interval_s = poll_min_interval_s
        self.poll_max_interval_s = poll_max_interval_s
        self.poll_fast_s = poll_fast_s
        self.workers = max_parallel_requests
        self.stats = stats

    @property
    def where(self) -> str:
        return f"Judge0 at {self.client.base_url}"

    # -- create -----------------------------------------------------------------------------------
    def create(self, jobs: list[Job]) -> None:
        """Make every job that has no token yet, each at most once in this call (module
        docstring); its token is in the ledger when this returns. Any failed create raises,
        after the tokens of the creates that worked are saved."""
        todo = [job for job in jobs if self.ledger.token(job.key) is None]
        failures: list[tuple[list[Job], Exception]] = []
        while todo:
            groups = self._groups(todo)
            outcomes = parallel(self._post, groups, self.workers)
            created, unbatched = False, []
            for group, outcome in zip(groups, outcomes, strict=True):
                if not isinstance(outcome, Exception):
                    keys = [job.key for job in group]
                    self.ledger.created(list(zip(keys, outcome, strict=True)))
                    self.stats["submissions"] += len(outcome)
                    created = True
                elif _batches_off(outcome) and self.deployment.batched:
                    unbatched += group  # refused whole: nothing was created
                else:
                    if isinstance(outcome, AnswerLost):
                        self.stats["answers_lost"] += 1
                    failures.append((group, outcome))
            if created:
                self.ledger.save()
            todo = unbatched
            if unbatched:
                # The deployment turned batches off since we read /config_info.
                self.deployment = _without_batches(self.deployment)
        if failures:
            raise self._create_failed(failures)

    def _create_failed(self, failures: list[tuple[list[Job], Exception]]) -> JudgeError:
        """The error a failed create ends the call with: a refusal of the request itself first
        (it ends the submission), else the outage, a lost answer saying what it may have made."""
        errors = [error for _, error in failures]
        refused = [e for e in errors if not getattr(e, "outage", False)]
        if refused:
            return refused[0]
        lost = [(group, e) for group, e in failures if isinstance(e, AnswerLost)]
        if not lost:
            return errors[0]
        count = sum(len(group) for group, _ in lost)
        first = lost[0][1]
        return AnswerLost(
            f"{first}; Judge0 may have created {count} submission(s) without our learning "
            "their tokens: they are created again at the next try, never twice in one",
            cause=first,
            retry_after_s=first.retry_after_s,
        )

    def _groups(self, jobs: list[Job]) -> list[list[Job]]:
        if not self.deployment.batched:
            return [[job] for job in jobs]
        size = max(1, self.deployment.batch_size)
        return [jobs[i : i + size] for i in range(0, len(jobs), size)]

    def _post(self, group: list[Job]) -> list[str]:
        if not self.deployment.batched:
            answer = self.client.post(
                "/submissions", group[0].body, params=B64, deadline=self.deadline
            )
            token = answer.get("token") if isinstance(answer, dict) else None
            if not isinstance(token, str) or not token:
                raise AnswerLost(f"{self.where}: create answered without a token: {answer!r:.200}")
            return [token]
        answer = self.client.post(
            "/submissions/batch",
            {"submissions": [job.body for job in group]},
            params=B64,
            deadline=self.deadline,
        )
        if not isinstance(answer, list) or len(answer) != len(group):
            # Judge0 created something (201) but the answer is not one we can read.
            raise AnswerLost(
                f"{self.where}: batch create: expected a list of {len(group)} entries, "
                f"got {answer!r:.200}"
            )
        tokens = []
        for entry in answer:
            token = entry.get("token") if isinstance(entry, dict) else None
            if isinstance(token, str) and token:
                tokens.append(token)
            elif isinstance(entry, dict) and entry:  # the entry's own 422-style field map
                raise BackendRejected(f"Judge0 rejected a submission: {entry}", fields=entry)
            else:
                raise AnswerLost(f"{self.where}: batch create: an entry without a token")
        return tokens

    # -- poll -------------------------------------------------------------------------------------
    def run(self, jobs: list[Job]) -> list[Submission]:
        """Create what is missing, then poll until every job is final; results in job order."""
        self.create(jobs)
        started = time.monotonic()
        finished: dict[int, Submission] = {}
        interval = self.poll_min_interval_s
        last_error: Exception | None = None
        while len(finished) < len(jobs):
            now = time.monotonic()
            if now >= self.deadline:
                waiting = len(jobs) - len(finished)
                message = (
                    f"{self.where} did not finish {waiting} submission(s) within the wait budget "
                    f"of {self.budget_s:g} s"
                )
                if isinstance(last_error, BackendProtocolError):  # garbage to the end
                    raise BackendProtocolError(f"{message}; its last answer: {last_error}")
                detail = f"; last error: {last_error}" if last_error else ""
                raise BackendUnavailable(message + detail)
            time.sleep(min(interval, self.deadline - now))
            if time.monotonic() >= self.deadline:
                continue
            waiting = [i for i in range(len(jobs)) if i not in finished]
            try:
                fetched = self._fetch(
                    [(self.ledger.token(jobs[i].key), jobs[i].worst_answer_bytes) for i in waiting]
                )
            except ResponseTooLarge:
                raise
            except (BackendUnavailable, BackendProtocolError) as error:
                if last_error is None or time.monotonic() < self.deadline:
                    last_error = error  # (a poll cut by the deadline itself says nothing new)
                self.stats["poll_errors"] += 1
                interval = min(self.poll_max_interval_s, max(interval * 2, 0.25))
                continue
            last_error = None
            progress, lost, broken = False, [], []
            for index, submission in zip(waiting, fetched, strict=True):
                token = self.ledger.token(jobs[index].key)
                if submission is None:
                    lost.append(index)
                elif submission.token != token:
                    raise BackendProtocolError(
                        f"{self.where} answered token {submission.token} for {token}"
                    )
                elif submission.is_final:
                    if judge0_status(submission.status_id).internal:
                        broken.append((index, submission))
                    finished[index] = submission
                    progress = True
            if broken:
                self._fail_broken(jobs, broken)
            if lost:
                self._forgotten([jobs[i] for i in lost])
            if progress or time.monotonic() - started < self.poll_fast_s:
                interval = self.poll_min_interval_s
            else:
                interval = min(self.poll_max_interval_s, interval * 1.5)
        return [finished[i] for i in range(len(jobs))]

    def _fail_broken(self, jobs: list[Job], broken: list[tuple[int, Submission]]) -> None:
        for index, _ in broken:
            self.ledger.forget(jobs[index].key, remade=False)
        self.ledger.save()
        index, submission = broken[0]
        message = submission.message or "no message"
        # The name from Judge0's status table, never the reply's own (it may say "Accepted").
        name = judge0_status(submission.status_id).description
        raise BackendInternalError(
            f"Judge0 status {submission.status_id} ({name}) "
            f"for {len(broken)} of {len(jobs)} submission(s): {message}".rstrip()
        )

    def _forgotten(self, jobs: list[Job]) -> None:
        """Judge0 no longer knows these tokens: drop them, so the next try makes each job again;
        the ``MAX_FORGOTTEN``-th time for a job it is a deployment fault (module docstring)."""
        tokens = [self.ledger.token(job.key) for job in jobs]
        for job in jobs:
            self.ledger.forget(job.key, remade=True)
        self.ledger.save()
        times = max(self.ledger.remade(job.key) for job in jobs)
        if times >= MAX_FORGOTTEN:
            raise BackendInconsistent(
                "Judge0 keeps forgetting its submissions: do all its servers share one database? "
                f"{self.where} forgot submission(s) it had created {times} times in this judging "
                f"(last: {', '.join(map(str, tokens[:3]))}). Requeue the submission once fixed."
            )
        raise SubmissionsForgotten(
            f"{self.where} no longer knows {len(jobs)} submission(s) it created "
            f"({', '.join(map(str, tokens[:3]))}): its database was reset, or its servers do not "
            "share one; they are created again at the next try"
        )

    def _fetch(self, pairs: list[tuple[str, int]]) -> list[Submission | None]:
        """Read ``(token, worst answer size)`` pairs, in order; the first failure is raised."""
        if not self.deployment.batched:
            answers = parallel(self._fetch_one, [token for token, _ in pairs], self.workers)
        else:
            answers = parallel(self._fetch_group, self._fetch_groups(pairs), self.workers)
        for answer in answers:
            if isinstance(answer, Exception):
                raise answer
        if not self.deployment.batched:
            return answers
        return [s for part in answers for s in part]

    def _fetch_groups(self, pairs: list[tuple[str, int]]) -> list[list[str]]:
        """Tokens per GET: at most the batch size, and answers that fit the response cap."""
        room = self.client.max_response_bytes * 9 // 10
        groups: list[list[str]] = []
        size = 0
        for token, weight in pairs:
            full = groups and len(groups[-1]) >= self.deployment.batch_size
            if not groups or full or size + weight > room:
                groups.append([])
                size = 0
            groups[-1].append(token)
            size += weight
        return groups

    def _fetch_group(self, tokens: list[str]) -> list[Submission | None]:
        answer = self.client.get(
            "/submissions/batch",
            {"tokens": ",".join(tokens), "fields": ",".join(RESULT_FIELDS), **B64},
            deadline=self.deadline,
        )
        entries = answer.get("submissions") if isinstance(answer, dict) else None
        if not isinstance(entries, list) or len(entries) != len(tokens):
            raise BackendProtocolError(
                f"Judge0 batch show: expected {{'submissions': [{len(tokens)} entries]}}, "
                f"got {answer!r:.200}"
            )
        return [None if entry is None else parse_submission(entry) for entry in entries]

    def _fetch_one(self, token: str) -> Submission | None:
        try:
            answer = self.client.get(
                f"/submissions/{token}",
                {"fields": ",".join(RESULT_FIELDS), **B64},
                deadline=self.deadline,
            )
        except Judge0NotFound:
            return None
        return parse_submission(answer)


def _batches_off(error: Exception) -> bool:
    return isinstance(error, BackendRejected) and BATCHES_OFF in str(error)


def _without_batches(deployment: Deployment) -> Deployment:
    return dataclasses.replace(deployment, batched=False)
