"""The verdict tables, each in exactly one place.

1. ``JUDGE0_STATUSES``: Judge0 status id -> raw run ``Outcome`` (``outcome_from_judge0`` adds the
   derived memory and output limit rules). We never send ``expected_output`` to Judge0: our own
   checkers decide right or wrong, so every backend gives the same verdict. Judge0's "Accepted"
   therefore only means "ran cleanly" (``Outcome.OK``).
2. ``OUTCOME_VERDICTS``: a run ``Outcome`` that is not OK -> ``Verdict`` (OK needs a checker).
3. ``api_status_for``: a ``Verdict`` or an exception -> API status string and HTTP status code,
   the "Status mapping (Judge0 -> DRF)" of the test plan.

Facts and derivations are from ``research/judge0-api.md`` (section 2): Judge0 has no memory or
output limit status. A program killed by the OOM killer shows as 11 NZEC with exit code 137
(bash's 128 + SIGKILL; the program runs as a child of ``bash run``), or as 12 with signal 9 when
the top-level process itself was killed; memory is then at the limit. An output file over
``max_file_size`` gets SIGXFSZ (25): status 8, or 11 NZEC with exit code 153 (128 + 25) through
bash.
"""

from __future__ import annotations

import signal as _signal
from dataclasses import dataclass

from courses.judging import errors
from courses.judging.checkers import InvalidExpectedOutput
from courses.judging.templates import SourceTooLarge, TemplateError
from courses.judging.types import Outcome, RunResult, Verdict

SIGKILL = int(_signal.SIGKILL)  # 9
SIGXFSZ = int(_signal.SIGXFSZ)  # 25
#: bash's exit status for a child killed by signal N is 128 + N.
BASH_SIGNAL_EXIT_BASE = 128
#: A SIGKILL counts as a memory limit kill when peak memory is at least this share of the limit:
#: the cgroup counter is read in KB after the kill and can land a little under the exact limit.
MLE_NEAR_LIMIT_FRACTION = 0.9


@dataclass(frozen=True, slots=True)
class Judge0Status:
    id: int
    description: str
    #: The raw outcome of a final run status, before the derived rules; None if not an outcome.
    outcome: Outcome | None
    final: bool = True
    #: The run failed inside Judge0 itself: an infrastructure failure, not a verdict.
    internal: bool = False


#: Judge0 ``app/enumerations/status.rb``, ids 1..14.
JUDGE0_STATUSES: dict[int, Judge0Status] = {
    status.id: status
    for status in (
        Judge0Status(1, "In Queue", None, final=False),
        Judge0Status(2, "Processing", None, final=False),
        Judge0Status(3, "Accepted", Outcome.OK),
        # Only produced when expected_output is sent, which we never do; the run was clean.
        Judge0Status(4, "Wrong Answer", Outcome.OK),
        Judge0Status(5, "Time Limit Exceeded", Outcome.TIME_LIMIT),
        Judge0Status(6, "Compilation Error", Outcome.COMPILATION_ERROR),
        Judge0Status(7, "Runtime Error (SIGSEGV)", Outcome.RUNTIME_ERROR),
        Judge0Status(8, "Runtime Error (SIGXFSZ)", Outcome.OUTPUT_LIMIT),
        Judge0Status(9, "Runtime Error (SIGFPE)", Outcome.RUNTIME_ERROR),
        Judge0Status(10, "Runtime Error (SIGABRT)", Outcome.RUNTIME_ERROR),
        Judge0Status(11, "Runtime Error (NZEC)", Outcome.RUNTIME_ERROR),
        Judge0Status(12, "Runtime Error (Other)", Outcome.RUNTIME_ERROR),
        Judge0Status(13, "Internal Error", None, internal=True),
        # isolate could not exec the program (a box error): Judge0's failure, never the
        # student's. Programs run through ``bash run``, so a student cannot cause it.
        Judge0Status(14, "Exec Format Error", None, internal=True),
    )
}


def judge0_status(status_id: int) -> Judge0Status:
    """The table row of a status id; ``BackendProtocolError`` for an id Judge0 does not define."""
    try:
        return JUDGE0_STATUSES[status_id]
    except (KeyError, TypeError):
        raise errors.BackendProtocolError(f"unknown Judge0 status id {status_id!r}") from None


def is_judge0_final(status_id: int) -> bool:
    """False while a submission is In Queue (1) or Processing (2): keep polling."""
    return judge0_status(status_id).final


def outcome_from_judge0(
    status_id: int,
    *,
    exit_code: int | None = None,
    exit_signal: int | None = None,
    memory_kb: int | None = None,
    memory_limit_kb: int | None = None,
    message: str | None = None,
) -> Outcome:
    """The raw ``Outcome`` of a finished Judge0 run, with the derived MLE and OLE rules.

    - OLE: status 8, or a runtime error whose signal is SIGXFSZ or whose exit code is 153.
    - MLE: a runtime error killed by SIGKILL (signal 9, or exit code 137 through bash) with peak
      memory at least ``MLE_NEAR_LIMIT_FRACTION`` of the limit; or any runtime error with peak
      memory at or over the limit (the program hit its ceiling, whatever then killed it).
      A SIGKILL far under the limit stays a runtime error.

    Raises ``ValueError`` for a non-final status (1, 2) — the caller polls until final — and
    ``BackendInternalError`` for 13 and 14, Judge0's own failures (``message`` is its text).
    """
    status = judge0_status(status_id)
    if status.internal:
        raise errors.BackendInternalError(
            f"Judge0 {status.description.lower()}: {message or 'no message'}".rstrip()
        )
    if not status.final or status.outcome is None:
        raise ValueError(f"Judge0 status {status_id} ({status.description}) is not final")
    if status.outcome is not Outcome.RUNTIME_ERROR:
        return status.outcome

    if exit_signal == SIGXFSZ or exit_code == BASH_SIGNAL_EXIT_BASE + SIGXFSZ:
        return Outcome.OUTPUT_LIMIT
    if memory_kb is not None and memory_limit_kb:
        killed = exit_signal == SIGKILL or exit_code == BASH_SIGNAL_EXIT_BASE + SIGKILL
        if memory_kb >= memory_limit_kb or (
            killed and memory_kb >= MLE_NEAR_LIMIT_FRACTION * memory_limit_kb
        ):
            return Outcome.MEMORY_LIMIT
    return Outcome.RUNTIME_ERROR


def result_from_judge0_status(
    status_id: int,
    *,
    stdout: bytes = b"",
    stderr: bytes = b"",
    compile_output: str = "",
    cpu_time_ms: int = 0,
    wall_time_ms: int = 0,
    memory_kb: int | None = None,
    memory_limit_kb: int | None = None,
    exit_code: int | None = None,
    exit_signal: int | None = None,
    message: str | None = None,
) -> RunResult:
    """A ``RunResult`` from the fields of a finished Judge0 submission (already decoded).

    Same errors as ``outcome_from_judge0``. Judge0 sends null for empty outputs and memory;
    callers pass ``b""`` and ``None``. A TLE whose message names the wall clock sets
    ``wall_timed_out``.
    """
    outcome = outcome_from_judge0(
        status_id,
        exit_code=exit_code,
        exit_signal=exit_signal,
        memory_kb=memory_kb,
        memory_limit_kb=memory_limit_kb,
        message=message,
    )
    return RunResult(
        outcome=outcome,
        stdout=stdout,
        stderr=stderr,
        compile_output=compile_output,
        cpu_time_ms=cpu_time_ms,
        wall_time_ms=wall_time_ms,
        memory_kb=memory_kb or 0,
        exit_code=exit_code,
        signal=exit_signal,
        wall_timed_out=outcome is Outcome.TIME_LIMIT and "wall clock" in (message or ""),
    )


#: Verdict of a run that did not end cleanly. ``Outcome.OK`` is absent: a checker decides it.
OUTCOME_VERDICTS: dict[Outcome, Verdict] = {
    Outcome.TIME_LIMIT: Verdict.TIME_LIMIT_EXCEEDED,
    Outcome.MEMORY_LIMIT: Verdict.MEMORY_LIMIT_EXCEEDED,
    Outcome.OUTPUT_LIMIT: Verdict.OUTPUT_LIMIT_EXCEEDED,
    Outcome.RUNTIME_ERROR: Verdict.RUNTIME_ERROR,
    Outcome.COMPILATION_ERROR: Verdict.COMPILATION_ERROR,
}


def verdict_for_outcome(outcome: Outcome) -> Verdict | None:
    """The verdict an outcome decides alone; ``None`` for ``Outcome.OK`` (a checker decides)."""
    return OUTCOME_VERDICTS.get(Outcome(outcome))


@dataclass(frozen=True, slots=True)
class ApiStatus:
    """What the API says: ``code`` is the status string (``error.code`` for failures)."""

    code: str
    http_status: int
    #: Seconds the client should wait before retrying (the ``Retry-After`` header), if known.
    retry_after_s: float | None = None


#: Failure -> API status. Looked up along the exception's MRO, so the most specific class wins.
ERROR_API_STATUSES: dict[type[BaseException], ApiStatus] = {
    errors.ExecutorBusy: ApiStatus("busy", 503),
    errors.BackendUnavailable: ApiStatus("judge_unavailable", 503),
    errors.SandboxUnavailable: ApiStatus("judge_unavailable", 503),
    errors.BackendConfigurationError: ApiStatus("judge_error", 502),
    errors.BackendProtocolError: ApiStatus("judge_error", 502),
    errors.BackendRejected: ApiStatus("judge_error", 502),
    errors.BackendInconsistent: ApiStatus("judge_error", 502),
    errors.BackendInternalError: ApiStatus("judge_error", 502),
    errors.UnknownLanguage: ApiStatus("unknown_language", 400),
    InvalidExpectedOutput: ApiStatus("invalid_test_data", 500),
    SourceTooLarge: ApiStatus("code_too_large", 413),
    TemplateError: ApiStatus("invalid_template", 400),
    errors.JudgeError: ApiStatus("internal_error", 500),
}
INTERNAL_ERROR_STATUS = ApiStatus("internal_error", 500)


def api_status_for(subject: Verdict | str | BaseException, *, created: bool = False) -> ApiStatus:
    """The API status of a submission's verdict, or of a failure to judge it.

    A submission is a value whatever its verdict: 200, with the verdict as the status string — a
    wrong answer is not an HTTP error. When ``created``: 201 if the verdict is already final
    (judged inline), 202 while it is ``pending`` or ``judging`` (poll the submission). Failures
    map through ``ERROR_API_STATUSES``; anything unknown is a 500 ``internal_error``.
    """
    if isinstance(subject, str):  # a Verdict, or a status read back from the database
        verdict = Verdict(subject)
        if not created:
            return ApiStatus(verdict.value, 200)
        return ApiStatus(verdict.value, 201 if verdict.is_final else 202)
    if isinstance(subject, BaseException):
        for cls in type(subject).__mro__:
            status = ERROR_API_STATUSES.get(cls)
            if status is not None:
                retry_after = getattr(subject, "retry_after_s", None)
                if retry_after is not None:
                    return ApiStatus(status.code, status.http_status, retry_after)
                return status
        return INTERNAL_ERROR_STATUS
    raise TypeError(f"expected a verdict or an exception, not {type(subject).__name__}")
