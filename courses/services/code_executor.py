"""CodeExecutorService: judge submissions against every test case, and run code freely.

Judging never holds a database transaction while code runs: the submission is committed as
``pending``, claimed with a lease, the cases run, and then results, verdict and progress are
saved in one short transaction that counts only if the claim still holds.

A backend that creates remote work (Judge0) saves what it created through a checkpoint kept on
the submission under the claim (``SubmissionCheckpoint``), so a retry resumes it. An outage
leaves a graded submission queued for a later try (``submission_retry_later``); any other
judging failure ends it ``internal_error`` with the reason.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from courses import metrics
from courses.judging import aggregation, python_compile, templates
from courses.judging.backends import shared_backend
from courses.judging.backends.base import JudgeBackend, run_batch
from courses.judging.errors import JudgeError
from courses.judging.types import Limits, RunRequest, RunResult, Verdict
from courses.models import Problem, ProblemTestCase, Submission, SubmissionTestResult, Subtask
from courses.services.errors import InvalidInput, PayloadTooLarge
from courses.services.evaluation import (
    Evaluation,
    JudgedCase,
    evaluate,
    language_takes_json_arguments,
    problem_limits,
    problem_program,
    shown_result,
)
from courses.services.exam_attempts import exam_attempt_rescore
from courses.services.host_slots import HostSlots
from courses.services.progress import progress_recompute
from courses.services.remote_runs import counted_run, run_in_flight, run_on_worker
from courses.services.submissions import (
    ClaimLost,
    judging_lease,
    language_validate,
    submission_checkpoint_load,
    submission_checkpoint_save,
    submission_claim,
    submission_create,
    submission_fail,
    submission_retry_later,
    validate_source,
)

logger = logging.getLogger(__name__)

#: What a database that went away raises (a restart, a failover, a cut connection); an
#: ``IntegrityError`` or a ``DataError`` is a bug, never waited out.
DATABASE_GONE = (OperationalError, InterfaceError)
#: Pauses between tries of a verdict's save while the database is away (about 15 s in all).
SAVE_RETRY_DELAYS_S = (0.5, 1.0, 2.0, 4.0, 8.0)

#: How much of a failing sample's error text a student sees in the submission's ``error_text``.
ERROR_TEXT_CHARS = 4096


class SubmissionCheckpoint:
    """A backend's checkpoint (``courses.judging.backends.base.Checkpoint``) on a submission row,
    written only while the judging claim holds; ``save`` raises ``ClaimLost`` once it does not."""

    def __init__(self, submission_id: int, claim_id: uuid.UUID) -> None:
        self.submission_id = submission_id
        self.claim_id = claim_id

    def load(self) -> dict | None:
        return submission_checkpoint_load(submission_id=self.submission_id)

    def save(self, state: dict) -> None:
        submission_checkpoint_save(
            submission_id=self.submission_id, claim_id=self.claim_id, state=state
        )


class CodeExecutorService:
    """The one entry point for running student code, whatever the backend."""

    def __init__(
        self, backend: JudgeBackend | None = None, *, on_workers: bool | None = None
    ) -> None:
        """``backend``: the one to run code with (the configured one by default, built on first
        use, so a web process that sends its runs to the workers never builds a sandbox).
        ``on_workers``: send "Run code" to the workers' ``run`` lane instead of running it here;
        by default ``COURSES_RUN_CODE_ON_WORKERS``, unless a backend is given."""
        self._backend = backend
        if on_workers is None:
            on_workers = backend is None and settings.COURSES_RUN_CODE_ON_WORKERS
        self.on_workers = on_workers

    @property
    def backend(self) -> JudgeBackend:
        if self._backend is None:
            self._backend = shared_backend()
        return self._backend

    # --- judging ---------------------------------------------------------------------------

    def run_all_test_cases(self, user, problem: Problem, code: str, language: str = "python"):
        """Judge ``code`` against every test case of ``problem`` now; return the Submission.

        Validation errors raise ``ServiceError`` before anything is saved. When the judge is
        unavailable the submission stays ``pending`` with a ``retry_at`` (the periodic requeue
        judges it later); another judging failure ends it ``internal_error`` with the reason.
        """
        submission = submission_create(
            user=user, problem=problem, language=language, code=code, enqueue=False
        )
        return self._judge(submission)

    def judge_submission(
        self, submission_id: int, *, max_wait_s: float | None = None
    ) -> Submission:
        """Judge an existing submission under a claim; a judged one is returned untouched.

        An outage (``JudgeError.outage``) gives it back to the queue with a ``retry_at``
        (``submission_retry_later``), the backend's checkpoint kept; any other ``JudgeError``
        ends it ``internal_error`` with the reason. Nothing is raised for either: the
        submission says what happened. A claim lost meanwhile leaves it to its new owner.
        ``max_wait_s`` shortens a remote judge's wait budget (judging inline, in a request):
        past it the judge is too slow for now, an outage like the others.
        """
        # The chapter for its course id: the verdict's progress save names the course's caches.
        return self._judge(
            Submission.objects.select_related("problem__chapter").get(pk=submission_id),
            max_wait_s=max_wait_s,
        )

    def _judge(self, submission: Submission, *, max_wait_s: float | None = None) -> Submission:
        """``judge_submission`` of a submission already loaded (its problem's chapter too,
        or it is fetched once), or just created by ``run_all_test_cases``."""
        submission_id = submission.pk
        problem = submission.problem
        cases = list(problem.test_cases.order_by("order", "id"))
        lease = judging_lease(
            limits=problem_limits(problem, submission.language), case_count=len(cases)
        )
        claim_id = submission_claim(submission_id=submission_id, lease=lease)
        if claim_id is None:
            submission.refresh_from_db()
            return submission
        started = time.monotonic()
        queued_at = submission.enqueued_at or submission.created_at
        metrics.QUEUE_WAIT.labels(submission.lane).observe(
            max(0.0, (timezone.now() - queued_at).total_seconds())
        )
        if not cases:
            submission_fail(
                submission_id=submission_id,
                claim_id=claim_id,
                reason="The problem has no test cases; ask the instructor to add some.",
            )
            submission.refresh_from_db()
            return submission
        checkpoint = SubmissionCheckpoint(submission_id, claim_id)
        try:
            evaluation = self.evaluate(
                problem,
                submission.language,
                submission.code,
                cases,
                checkpoint=checkpoint,
                max_wait_s=max_wait_s,
            )
        except ClaimLost:
            logger.info(
                "claim on submission %s was lost while judging; left to its owner", submission_id
            )
            self._failed("claim_lost", "ClaimLost")
            submission.refresh_from_db()
            return submission
        except JudgeError as exc:
            self._failed("outage" if exc.outage else "error", type(exc).__name__)
            if exc.outage:
                logger.warning("judging submission %s postponed: %s", submission_id, exc)
                submission_retry_later(
                    submission_id=submission_id,
                    claim_id=claim_id,
                    reason=str(exc),
                    retry_after_s=getattr(exc, "retry_after_s", None),
                )
            else:
                logger.warning("judging submission %s failed: %s", submission_id, exc)
                submission_fail(submission_id=submission_id, claim_id=claim_id, reason=str(exc))
            submission.refresh_from_db()
            return submission
        except DATABASE_GONE as exc:  # a backend's checkpoint write (Judge0's tokens)
            self._postpone_for_database(submission_id, claim_id, exc)
            return submission
        except Exception:
            # A bug, not a verdict: end the submission now rather than let every later lease
            # expiry run into it again, and let the error reach the logs and the caller.
            self._failed("bug", "Exception")
            submission_fail(
                submission_id=submission_id,
                claim_id=claim_id,
                reason="An unexpected error stopped judging; it has been logged.",
            )
            raise
        try:
            saved = self._save_through_blips(submission, claim_id, evaluation)
        except DATABASE_GONE as exc:
            self._postpone_for_database(submission_id, claim_id, exc)
            return submission
        except Exception:
            # Nothing of the save remains (one transaction). End the submission now, in a write
            # of its own, rather than leave it to loop through lease expiries; if the database
            # is down this write fails too and the periodic requeue takes it up later.
            submission_fail(
                submission_id=submission_id,
                claim_id=claim_id,
                reason="The results could not be saved; the error has been logged.",
            )
            raise
        elapsed = time.monotonic() - started
        verdict = evaluation.summary.verdict.value
        if saved is not None:
            metrics.VERDICTS.labels(verdict).inc()
            metrics.JUDGING_TIME.labels(self.backend.name).observe(elapsed)
        else:
            self._failed("claim_lost", "ClaimLost")
        # One line per judging run to its end, saved or dropped: the worker-kill test counts them.
        logger.info(
            "submission %s judged %s in %.3f s: %s",
            submission_id,
            verdict,
            elapsed,
            "saved" if saved is not None else "dropped (claim lost)",
        )
        if saved is None:
            submission.refresh_from_db()
        else:  # the row as the save left it: read and written under its lock, nothing to reread
            for field in Submission._meta.concrete_fields:
                setattr(submission, field.attname, getattr(saved, field.attname))
        return submission

    def _postpone_for_database(self, submission_id: int, claim_id: uuid.UUID, exc) -> None:
        """The database is away longer than a blip: judge again later (nothing of the verdict
        was saved, so only the run is lost). If even that write fails, the lease's expiry gives
        the submission back to the queue."""
        self._failed("outage", type(exc).__name__)
        logger.warning("submission %s not saved, database unavailable: %s", submission_id, exc)
        if transaction.get_connection().in_atomic_block:
            raise exc
        with contextlib.suppress(*DATABASE_GONE):
            through_blips(
                lambda: submission_retry_later(
                    submission_id=submission_id,
                    claim_id=claim_id,
                    reason=f"The database was unavailable while judging: {exc}",
                ),
                first_close=True,
            )

    def _failed(self, kind: str, error: str) -> None:
        metrics.JUDGING_FAILURES.labels(self.backend.name, kind, error).inc()

    def evaluate(
        self,
        problem: Problem,
        language: str,
        code: str,
        cases: list[ProblemTestCase],
        *,
        checkpoint: SubmissionCheckpoint | None = None,
        max_wait_s: float | None = None,
        by_subtasks: bool = True,
    ) -> Evaluation:
        """Run ``code`` on ``cases`` of ``problem`` and check each; nothing is written.

        The one path from code to verdict, for submissions and for instructors' reference
        solutions alike (``courses.services.evaluation.evaluate``). ``JudgeError`` for
        infrastructure failures; ``cases`` must not be empty. ``checkpoint`` and ``max_wait_s``
        go to backends that take them (``base.run_batch``); ``by_subtasks=False`` judges the
        cases without the problem's subtasks (the samples alone).
        """
        return evaluate(
            self.backend,
            problem,
            language,
            code,
            cases,
            checkpoint=checkpoint,
            max_wait_s=max_wait_s,
            by_subtasks=by_subtasks,
        )

    def _save_through_blips(
        self, submission: Submission, claim_id: uuid.UUID, evaluation: Evaluation
    ) -> Submission | None:
        """``_save``, made again on a new connection while the database is briefly away.

        A restart or a failover of PostgreSQL under a running judging broke the save's
        connection, and the verdict the code had earned became ``internal_error`` (an outside
        probe). Nothing of a failed save remains (one transaction), so it is simply made again.
        """
        return through_blips(lambda: self._save(submission, claim_id, evaluation))

    def _save(
        self, submission: Submission, claim_id: uuid.UUID, evaluation: Evaluation
    ) -> Submission | None:
        """Save the verdict while ``claim_id`` holds: the row as saved, or None if it did not.

        Every value is set as the database gives it back (the score has its four places
        already, the verdict its plain string), so the caller need not read the row again.
        """
        judged, summary = evaluation.judged, evaluation.summary
        with transaction.atomic():
            locked = Submission.objects.select_for_update().get(pk=submission.pk)
            if locked.claim_id != claim_id or locked.status != Verdict.JUDGING:
                logger.info("claim on submission %s was lost; result dropped", submission.pk)
                return None
            cases, subtasks = surviving_links(locked.problem_id, judged)
            # Results only exist with a judged_at, written in the same transaction (a rejudge
            # deletes both): a first judging has none to replace, and skips the statement.
            if locked.judged_at is not None:
                SubmissionTestResult.objects.filter(submission=locked).delete()
            SubmissionTestResult.objects.bulk_create(
                [
                    SubmissionTestResult(
                        submission=locked,
                        test_case_id=j.test_case.pk if j.test_case.pk in cases else None,
                        order=j.test_case.order,
                        verdict=j.verdict,
                        score=j.score,
                        message=j.message,
                        subtask_id=(
                            j.test_case.subtask_id if j.test_case.subtask_id in subtasks else None
                        ),
                        cpu_time_ms=j.result.cpu_time_ms,
                        memory_kb=j.result.memory_kb,
                        # Kept for every case, for the staff; students see a hidden case's
                        # verdict, time and memory only (the serializers decide, DESIGN.md).
                        output=stored_text(j.result.stdout),
                        error_output=stored_text(j.result.stderr),
                    )
                    for j in judged
                ]
            )
            locked.status = summary.verdict.value
            locked.score = summary.score
            locked.subtask_results = (
                None if evaluation.subtasks is None else [r.as_dict() for r in evaluation.subtasks]
            )
            locked.max_cpu_time_ms = summary.max_cpu_time_ms
            locked.peak_memory_kb = summary.peak_memory_kb
            locked.compile_output = judged[0].result.compile_output
            locked.error_text = error_text_for(evaluation)
            locked.judged_at = timezone.now()
            locked.claim_id = None
            locked.lease_expires_at = None
            locked.retry_at = None
            locked.retry_reason = ""
            locked.judge_checkpoint = None
            locked.save(
                update_fields=[
                    "retry_at",
                    "retry_reason",
                    "judge_checkpoint",
                    "status",
                    "score",
                    "subtask_results",
                    "max_cpu_time_ms",
                    "peak_memory_kb",
                    "compile_output",
                    "error_text",
                    "judged_at",
                    "claim_id",
                    "lease_expires_at",
                ]
            )
            progress_recompute(
                user_id=locked.user_id,
                problem_id=locked.problem_id,
                course_id=submission.problem.chapter.course_id,
            )
            if locked.exam_attempt_id is not None:
                exam_attempt_rescore(attempt_id=locked.exam_attempt_id)
        return locked

    # --- the "Run code" button ---------------------------------------------------------------

    def run_freely(
        self, code: str, language: str = "python", stdin: str = "", *, user_id: int | None = None
    ) -> dict:
        """Run any code once with an optional stdin; no test cases, no submission row.

        Raises ``ServiceError`` for bad input (before anything runs), ``TooManyRuns`` when
        ``user_id`` has ``COURSES_MAX_RUNS_IN_FLIGHT`` runs in progress, ``ExecutorBusy`` when
        every free-run slot of the host (or every runner of the ``run`` lane) is taken, and
        ``JudgeError`` for infrastructure failures. Scaled, it runs on a worker
        (``courses.services.remote_runs``).
        """
        language_validate(language=language)
        validate_source(code)
        stdin_bytes = validated_stdin(stdin)
        with run_in_flight(user_id), counted_run(self._where()):
            if self.on_workers:
                return run_on_worker("run_freely", code=code, language=language, stdin=stdin)
            request = RunRequest(
                language=language,
                source=templates.wrap_stdio(language, code),
                stdin=stdin_bytes,
                limits=Limits(**settings.COURSES_FREE_RUN_LIMITS),
            )
            return run_output(language, self._run_one(request))

    def run_on_problem(
        self,
        problem: Problem,
        language: str,
        code: str,
        stdin: str | None = None,
        *,
        user_id: int | None = None,
    ) -> dict:
        """Run code the way ``problem`` judges it, without its hidden cases and without saving.

        The code goes into the problem's wrapper (its function-style template, or as is for a
        stdio problem) under the problem's limits. With ``stdin`` it runs once on that input and
        answers like ``run_freely``; without, it runs on each sample case and answers
        ``run_samples``. The caller decides who may read ``problem``; the language must be one
        it allows. Same errors as ``run_freely``, counted against the same free-run slots.
        """
        language_validate(language=language, problem=problem)
        validate_source(code)
        if stdin is None:
            return self.run_samples(problem, language, code, user_id=user_id)
        stdin_bytes = validated_stdin(stdin)
        check_custom_arguments(problem, language, stdin)
        with run_in_flight(user_id), counted_run(self._where()):
            if self.on_workers:
                return run_on_worker(
                    "run_on_problem",
                    problem_id=problem.pk,
                    language=language,
                    code=code,
                    stdin=stdin,
                )
            request = RunRequest(
                language=language,
                source=problem_program(problem, language, code),
                stdin=stdin_bytes,
                limits=problem_limits(problem, language),
            )
            return run_output(language, shown_result(problem, self._run_one(request)))

    def run_samples(
        self, problem: Problem, language: str, code: str, *, user_id: int | None = None
    ) -> dict:
        """Run and check code on ``problem``'s sample cases only: never a hidden case.

        The overall ``status`` is the verdict the samples alone would give (the first failing
        sample's, ``accepted`` when every one passes). A problem without samples needs a
        ``stdin`` instead (``InvalidInput``).
        """
        language_validate(language=language, problem=problem)
        validate_source(code)
        samples = list(problem.test_cases.filter(is_sample=True).order_by("order", "id"))
        if not samples:
            raise InvalidInput(
                "This problem has no sample cases; give an input to run the code on.",
                fields={"stdin": "required: the problem has no sample cases"},
            )
        with run_in_flight(user_id), counted_run(self._where()):
            if self.on_workers:
                return run_on_worker(
                    "run_samples", problem_id=problem.pk, language=language, code=code
                )
            return self._run_samples_here(problem, language, code, samples)

    def _run_samples_here(
        self, problem: Problem, language: str, code: str, samples: list[ProblemTestCase]
    ) -> dict:
        with free_run_slots().acquire():
            evaluation = self.evaluate(
                problem,
                language,
                code,
                samples,
                max_wait_s=settings.COURSES_FREE_RUN_WAIT_SECONDS,
                by_subtasks=False,
            )
        summary = evaluation.summary
        return {
            "problem": problem.pk,
            "status": summary.verdict.value,
            "passed": summary.passed_cases,
            "total": summary.total_cases,
            "compile_output": evaluation.judged[0].result.compile_output,
            "samples": [
                {
                    "order": judged.test_case.order,
                    "input": judged.test_case.input,
                    "expected_output": judged.test_case.expected_output,
                    "status": judged.verdict.value,
                    "message": sample_message(judged),
                    "stdout": visible_text(judged.result.stdout),
                    "stderr": visible_text(judged.result.stderr),
                    "time_ms": judged.result.cpu_time_ms,
                    "memory_kb": judged.result.memory_kb,
                    "truncated": judged.result.stdout_truncated or judged.result.stderr_truncated,
                }
                for judged in evaluation.judged
            ],
        }

    #: Whether this service counts its "Run code" requests (``courses.metrics``).
    counts_runs = True

    def _where(self) -> str | None:
        if not self.counts_runs:
            return None
        return "worker" if self.on_workers else "inline"

    def _run_one(self, request: RunRequest) -> RunResult:
        with free_run_slots().acquire():
            (result,) = run_batch(
                self.backend, [request], max_wait_s=settings.COURSES_FREE_RUN_WAIT_SECONDS
            )
        return python_compile.postprocess(request.language, result, request.source)


def through_blips(write, *, first_close: bool = False):
    """``write()``, made again on a new connection while the database is away (a restart, a
    failover), over ``SAVE_RETRY_DELAYS_S``; then ``DATABASE_GONE`` reaches the caller. Only
    outside a transaction: a caller's connection is not ours to drop. ``first_close`` drops the
    connection first (it just failed)."""
    if transaction.get_connection().in_atomic_block:
        return write()
    if first_close:
        connection.close()
    for delay in (*SAVE_RETRY_DELAYS_S, None):
        try:
            return write()
        except DATABASE_GONE:
            if delay is None:
                raise
            connection.close()
            time.sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


def surviving_links(problem_id: int, judged: list[JudgedCase]) -> tuple[set[int], set[int]]:
    """The ids of the judged cases, and of their subtasks, that still exist: locked till commit.

    Nothing is locked while the code runs, so the instructor may delete or replace cases, or
    delete a subtask, meanwhile. Their results are saved with an empty link, as ``SET_NULL``
    leaves the results of a deletion made just after the verdict (docs/decisions.md, Judging):
    linking them would break the foreign key at commit and lose a verdict the code earned.

    Call in the save's transaction. On PostgreSQL no deletion may land between this read and
    the commit: the problem row is locked first, as every service writing test data locks it
    first (``FOR NO KEY UPDATE``, which rows referencing the problem do not wait for), so such a
    deletion waits and then finds these results to unlink; the cases and subtasks read are
    locked too, against any other deletion. On SQLite, BEGIN IMMEDIATE already makes writers
    take turns.
    """
    case_ids = sorted({j.test_case.pk for j in judged})
    subtask_ids = sorted({j.test_case.subtask_id for j in judged} - {None})
    list(Problem.objects.select_for_update(no_key=True).filter(pk=problem_id).values_list("pk"))
    cases = ProblemTestCase.objects.select_for_update(no_key=True).filter(pk__in=case_ids)
    subtasks = Subtask.objects.select_for_update(no_key=True).filter(pk__in=subtask_ids)
    return (
        set(cases.order_by("pk").values_list("pk", flat=True)),
        set(subtasks.order_by("pk").values_list("pk", flat=True)) if subtask_ids else set(),
    )


def validated_stdin(stdin: str) -> bytes:
    """A run's stdin as bytes: text of at most ``COURSES_MAX_STDIN_BYTES`` UTF-8 bytes."""
    if not isinstance(stdin, str):
        raise InvalidInput("stdin must be text.", fields={"stdin": "must be text"})
    stdin_bytes = stdin.encode("utf-8", errors="surrogatepass")
    max_stdin = settings.COURSES_MAX_STDIN_BYTES
    if len(stdin_bytes) > max_stdin:
        raise PayloadTooLarge(
            f"The input is larger than {max_stdin} bytes.",
            fields={"stdin": f"at most {max_stdin} bytes"},
        )
    return stdin_bytes


def check_custom_arguments(problem: Problem, language: str, stdin: str) -> None:
    """Refuse a custom input that the problem's harness cannot read, before anything runs.

    A function-style problem's Python and JavaScript harnesses read a JSON array of arguments
    (``language_takes_json_arguments``, the rule its test data is saved under); any other input
    would only show the harness's own traceback, which says nothing about the input to type.
    """
    if not language_takes_json_arguments(problem, language):
        return
    try:
        templates.check_function_arguments(stdin)
    except templates.TemplateError as exc:
        message = f"The input must be a JSON array of the function's arguments, like [1, 2]: {exc}."
        raise InvalidInput(message, fields={"stdin": message}) from None


def run_output(language: str, result: RunResult) -> dict:
    """What a single run shows: the whole of its output and error text (no hidden data in it)."""
    return {
        "status": aggregation.run_verdict(result).value,
        "stdout": visible_text(result.stdout),
        "stderr": visible_text(result.stderr),
        "compile_output": result.compile_output,
        "time_ms": result.cpu_time_ms,
        "wall_time_ms": result.wall_time_ms,
        "memory_kb": result.memory_kb,
        "exit_code": result.exit_code,
        "signal": result.signal,
        "truncated": result.stdout_truncated or result.stderr_truncated,
    }


def free_run_slots() -> HostSlots:
    return HostSlots(
        "free-run", settings.COURSES_FREE_RUN_SLOTS, settings.COURSES_FREE_RUN_SLOTS_DIR
    )


def visible_text(data: bytes, limit: int | None = None) -> str:
    """Program output as text for people: invalid UTF-8 replaced, never a crash."""
    text = data.decode("utf-8", errors="replace")
    return text if limit is None else text[:limit]


def stored_text(data: bytes) -> str:
    """A case's output as stored: its first ``COURSES_STORED_OUTPUT_BYTES`` bytes, as text.

    NUL characters are dropped (PostgreSQL text cannot hold them); invalid UTF-8 is replaced.
    """
    cut = data[: settings.COURSES_STORED_OUTPUT_BYTES]
    return cut.decode("utf-8", errors="replace").replace("\x00", "")


def sample_message(judged: JudgedCase) -> str:
    """A sample case's message for the student: the checker's or harness's, never a failed
    checker's error (that one is for the staff)."""
    return "" if judged.verdict is Verdict.INTERNAL_ERROR else judged.message


def error_text_for(evaluation: Evaluation) -> str:
    """Why the first failing case failed, as stored.

    A sample's message (a checker's or the tests-as-code comparison's) and stderr; a hidden
    case's verdict only, naming the case by its number in the pages' case tables. A failed
    custom checker's reason is stored for the staff (the API shows students only that judging
    failed, not through their code).
    """
    failing = evaluation.first_failing
    if failing is None or failing.verdict is Verdict.COMPILATION_ERROR:
        return ""
    number = evaluation.position_of(failing)
    if failing.verdict is Verdict.INTERNAL_ERROR:
        return f"The custom checker failed on test case {number}: {failing.message}"
    if failing.test_case.is_sample:
        stderr = visible_text(failing.result.stderr, ERROR_TEXT_CHARS)
        text = "\n".join(part for part in (failing.message, stderr) if part)
        return text[:ERROR_TEXT_CHARS].replace("\x00", "")
    label = failing.verdict.value.replace("_", " ")
    return f"{label} on hidden test case {number}"
