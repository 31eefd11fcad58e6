"""Value types shared by every judging backend.

Units are part of every name (``_ms``, ``_kb``, ``_bytes``) so that a Judge0 reply in seconds and
kilobytes, or a cgroup counter in nanoseconds and bytes, is converted exactly once, at the edge.
Program output is kept as ``bytes``: students may print invalid UTF-8 or NUL bytes and checkers
compare bytes first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Verdict(StrEnum):
    """A submission's or a test case's verdict (DESIGN.md, Judging).

    ``SKIPPED`` is a case state only, never a submission's verdict: a case of a subtask that was
    not run because an earlier case of the subtask (with short-circuit) or a subtask it depends
    on failed (``SUBMISSION_VERDICTS`` leaves it out).
    """

    PENDING = "pending"
    JUDGING = "judging"
    ACCEPTED = "accepted"
    WRONG_ANSWER = "wrong_answer"
    TIME_LIMIT_EXCEEDED = "time_limit_exceeded"
    MEMORY_LIMIT_EXCEEDED = "memory_limit_exceeded"
    OUTPUT_LIMIT_EXCEEDED = "output_limit_exceeded"
    RUNTIME_ERROR = "runtime_error"
    COMPILATION_ERROR = "compilation_error"
    INTERNAL_ERROR = "internal_error"
    SKIPPED = "skipped"

    @property
    def is_final(self) -> bool:
        return self not in (Verdict.PENDING, Verdict.JUDGING)


#: Every verdict a submission can have (``Verdict.SKIPPED`` is for cases only).
SUBMISSION_VERDICTS = tuple(verdict for verdict in Verdict if verdict is not Verdict.SKIPPED)


class Outcome(StrEnum):
    """What happened to one run, before any checker looked at its output.

    ``OK`` means the program exited with status 0 within every limit; whether its output is right
    is the checker's business. Infrastructure failures are not outcomes: backends raise
    ``courses.judging.errors.JudgeError`` for those.
    """

    OK = "ok"
    TIME_LIMIT = "time_limit"
    MEMORY_LIMIT = "memory_limit"
    OUTPUT_LIMIT = "output_limit"
    RUNTIME_ERROR = "runtime_error"
    COMPILATION_ERROR = "compilation_error"


@dataclass(frozen=True, slots=True)
class Limits:
    """Resource limits of one run. ``wall_time_ms`` guards against sleeping or blocked programs."""

    cpu_time_ms: int = 2_000
    wall_time_ms: int = 5_000
    memory_kb: int = 256 * 1024
    output_bytes: int = 64 * 1024
    processes: int = 64

    def __post_init__(self) -> None:
        for name in ("cpu_time_ms", "wall_time_ms", "memory_kb", "output_bytes", "processes"):
            if getattr(self, name) <= 0:
                raise ValueError(f"Limits.{name} must be positive")


#: On a loaded host a program may wait for a CPU; the local sandbox does not count that wait
#: against ``wall_time_ms`` (a CPU-bound program is judged on its CPU time), but never lets a run
#: last longer than this many times its wall limit (issue 11, ``harness_program.WALL_BACKSTOP``).
WALL_STARVATION_FACTOR = 3

#: Limits for compiling, whatever the problem says: a compile bomb must end in bounded time.
COMPILE_LIMITS = Limits(
    cpu_time_ms=10_000,
    wall_time_ms=20_000,
    memory_kb=512 * 1024,
    output_bytes=64 * 1024,
    processes=64,
)


@dataclass(frozen=True, slots=True)
class RunRequest:
    """One program run: a complete source (already wrapped by its template) and one stdin."""

    language: str
    source: str
    stdin: bytes = b""
    limits: Limits = field(default_factory=Limits)


@dataclass(frozen=True, slots=True)
class RunResult:
    """The raw result of one run.

    ``wall_timed_out`` tells a wall-clock TLE (sleeping, blocked on input) from a CPU one.
    ``signal`` is set when the program was killed by a signal; ``exit_code`` otherwise.
    """

    outcome: Outcome
    stdout: bytes = b""
    stderr: bytes = b""
    compile_output: str = ""
    cpu_time_ms: int = 0
    wall_time_ms: int = 0
    memory_kb: int = 0
    exit_code: int | None = None
    signal: int | None = None
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    wall_timed_out: bool = False
