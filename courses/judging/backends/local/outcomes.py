"""From measured facts to an ``Outcome``: one order for every execution path.

Both the one-process-per-case path (supervisor + cgroups) and the one-process harness reduce a
run to the same facts, and this function alone decides, so that a submission gets the same
verdicts on both paths. Order: TLE (our CPU kill, SIGXCPU, CPU over the limit, or our wall kill)
> OLE (stdout over its cap, or our output kill) > MLE (OOM kill, our memory kill) > RE (non-zero
exit or a signal) > OK.

OLE before MLE (sandbox.md §5.8 had them the other way): stdout is a file in memory, charged to
the case, and the runner looks at its size every tick, so a program printing without end could
reach a small memory limit before the runner's next look and be judged MLE, now and then. Its
output passed the cap first: with the cap as a hard stop, as on Judge0, it would have died
there. SIGXFSZ alone is no OLE: RLIMIT_FSIZE holds for every file, and a program that dies of
it writing a scratch file while its stdout is within the cap is a runtime error, told so.
"""

from __future__ import annotations

import signal as _signal
from dataclasses import dataclass

from courses.judging.types import Limits, Outcome, RunResult


@dataclass(frozen=True)
class Facts:
    killed: str | None  # "cpu" | "wall" | "memory" | "output" | None: what *we* killed it for
    exit_code: int | None
    signal: int | None
    cpu_ms: int
    wall_ms: int
    memory_kb: int
    oom: bool  # the kernel (or our memory watch) ended it for memory
    stdout: bytes
    stderr: bytes
    stdout_overflow: bool
    stderr_truncated: bool
    file_size: int | None = None  # the RLIMIT_FSIZE of the run, when known


def file_size_note(file_size: int | None) -> bytes:
    """What a runtime error by SIGXFSZ adds to the error output (the program may print nothing)."""
    limit = f" of {file_size >> 20} MiB" if file_size and not file_size % (1 << 20) else ""
    return f"File size limit exceeded: a file reached the size limit{limit} (SIGXFSZ)\n".encode()


def classify(facts: Facts, limits: Limits) -> RunResult:
    wall_timed_out = False
    if (
        facts.killed == "cpu"
        or facts.signal == _signal.SIGXCPU
        or facts.cpu_ms > limits.cpu_time_ms
    ):
        outcome = Outcome.TIME_LIMIT
    elif facts.killed == "wall":
        outcome = Outcome.TIME_LIMIT
        wall_timed_out = True
    elif facts.killed == "output" or facts.stdout_overflow:
        outcome = Outcome.OUTPUT_LIMIT
    elif facts.oom or facts.killed == "memory":
        outcome = Outcome.MEMORY_LIMIT
    elif facts.signal is not None or (facts.exit_code or 0) != 0:
        outcome = Outcome.RUNTIME_ERROR
    else:
        outcome = Outcome.OK
    stderr = facts.stderr
    if outcome == Outcome.RUNTIME_ERROR and facts.signal == _signal.SIGXFSZ:
        stderr += (b"\n" if stderr and not stderr.endswith(b"\n") else b"") + file_size_note(
            facts.file_size
        )
    return RunResult(
        outcome=outcome,
        stdout=facts.stdout[: limits.output_bytes],
        stderr=stderr,
        cpu_time_ms=facts.cpu_ms,
        wall_time_ms=facts.wall_ms,
        memory_kb=facts.memory_kb,
        exit_code=facts.exit_code,
        signal=facts.signal,
        stdout_truncated=facts.stdout_overflow,
        stderr_truncated=facts.stderr_truncated,
        wall_timed_out=wall_timed_out,
    )
