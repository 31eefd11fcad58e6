"""Custom checkers (special judges): an instructor's program decides a case.

The checker is a complete program in Python, C or C++, run by the judging backend like any
other program — in the local sandbox, or on Judge0 as a submission of its own — and never in
the worker itself. It runs once per case whose program ended cleanly.

Protocol
--------
stdin
    One header line ``<a> <b> <c>\\n`` (three decimal byte counts), then the case's input
    (``a`` bytes), its expected output (``b`` bytes) and the program's output (``c`` bytes),
    back to back, raw. ``checker_stdin`` builds it.
stdout
    The first line is the verdict: ``accepted``, ``wrong_answer`` or ``partial <score>`` with a
    score in [0, 1] (``partial 1`` is accepted, ``partial 0`` a wrong answer). The rest, cut to
    ``MAX_MESSAGE_CHARS``, is a message: students read it on sample cases, staff on every case.
exit status
    0. Anything else — a crash, a compile error, a time, memory or output limit, an unreadable
    first line — is the checker's failure (``CheckerFailure``): the case ends
    ``internal_error`` with the reason for the staff. That is the instructor's fault, never the
    student's: it is not retried as an infrastructure failure and scores nothing against them
    (the submission is ``internal_error``, which progress does not count; rejudge it once the
    checker is fixed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from courses.judging.types import Limits, Outcome, RunResult

#: Languages a checker may be written in.
CHECKER_LANGUAGES = ("python", "c", "cpp")
#: The longest message kept from a checker.
MAX_MESSAGE_CHARS = 2000
#: How much of a failing checker's stderr the staff see.
MAX_FAILURE_CHARS = 2000
#: Limits of one checker run: generous (a checker may parse big outputs), still bounded.
DEFAULT_CHECKER_LIMITS = Limits(
    cpu_time_ms=5_000, wall_time_ms=10_000, memory_kb=256 * 1024, output_bytes=16 * 1024
)

_VERDICT_RE = re.compile(r"(accepted|wrong_answer|partial\s+(\S+))\s*", re.IGNORECASE)


class CheckerFailure(Exception):
    """The checker did not give a verdict; the message is for the course's staff."""


@dataclass(frozen=True, slots=True)
class CheckerAnswer:
    """What a checker said of one case: its score in [0, 1] and its message."""

    score: Decimal
    message: str

    @property
    def accepted(self) -> bool:
        return self.score == 1


def checker_stdin(input: bytes, expected: bytes, output: bytes) -> bytes:
    """The checker's stdin for one case (module docstring, Protocol)."""
    header = f"{len(input)} {len(expected)} {len(output)}\n".encode()
    return header + input + expected + output


def read_answer(result: RunResult) -> CheckerAnswer:
    """The checker's answer from its (post-processed) run; ``CheckerFailure`` if it gave none."""
    failure = _failure(result)
    if failure:
        stderr = result.stderr.decode("utf-8", errors="replace").strip()
        detail = result.compile_output.strip() or stderr
        raise CheckerFailure(
            f"the checker {failure}" + (f": {detail[-MAX_FAILURE_CHARS:]}" if detail else "")
        )
    text = result.stdout.decode("utf-8", errors="replace")
    first, _, rest = text.partition("\n")
    match = _VERDICT_RE.fullmatch(first)
    if match is None:
        raise CheckerFailure(
            f"the checker's first line {first[:80]!r} is not `accepted`, `wrong_answer` or "
            "`partial <score between 0 and 1>`"
        )
    message = rest.strip()[:MAX_MESSAGE_CHARS]
    word = match.group(1).split()[0].lower()
    if word == "accepted":
        return CheckerAnswer(Decimal(1), message)
    if word == "wrong_answer":
        return CheckerAnswer(Decimal(0), message)
    try:
        score = Decimal(match.group(2))
    except InvalidOperation:
        score = Decimal("NaN")
    if not score.is_finite() or not 0 <= score <= 1:
        raise CheckerFailure(f"the checker's partial score {match.group(2)!r} is not in [0, 1]")
    return CheckerAnswer(score, message)


def _failure(result: RunResult) -> str:
    if result.outcome is Outcome.COMPILATION_ERROR:
        return "does not compile"
    if result.outcome is Outcome.TIME_LIMIT:
        return "exceeded its time limit"
    if result.outcome is Outcome.MEMORY_LIMIT:
        return "exceeded its memory limit"
    if result.outcome is Outcome.OUTPUT_LIMIT or result.stdout_truncated:
        return "wrote more output than allowed"
    if result.outcome is Outcome.RUNTIME_ERROR:
        how = f"signal {result.signal}" if result.signal else f"exit code {result.exit_code}"
        return f"crashed ({how})"
    return ""
