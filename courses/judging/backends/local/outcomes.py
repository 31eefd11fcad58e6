"""From measured facts to an ``Outcome``: one order for every execution path.

Both the one-process-per-case path (supervisor + cgroups) and the one-process harness reduce a
run to the same facts, and this function alone decides, so that a submission gets the same
verdicts on both paths. Order (sandbox.md §5.8): TLE (our CPU kill, SIGXCPU, CPU over the limit,
or our wall kill) > MLE (OOM kill, our memory kill) > OLE (stdout over the cap, SIGXFSZ) > RE
(non-zero exit or a signal) > OK.
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
    elif facts.oom or facts.killed == "memory":
        outcome = Outcome.MEMORY_LIMIT
    elif facts.killed == "output" or facts.stdout_overflow or facts.signal == _signal.SIGXFSZ:
        outcome = Outcome.OUTPUT_LIMIT
    elif facts.signal is not None or (facts.exit_code or 0) != 0:
        outcome = Outcome.RUNTIME_ERROR
    else:
        outcome = Outcome.OK
    return RunResult(
        outcome=outcome,
        stdout=facts.stdout[: limits.output_bytes],
        stderr=facts.stderr,
        cpu_time_ms=facts.cpu_ms,
        wall_time_ms=facts.wall_ms,
        memory_kb=facts.memory_kb,
        exit_code=facts.exit_code,
        signal=facts.signal,
        stdout_truncated=facts.stdout_overflow,
        stderr_truncated=facts.stderr_truncated,
        wall_timed_out=wall_timed_out,
    )
