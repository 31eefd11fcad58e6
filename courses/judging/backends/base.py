"""The one protocol every judging backend implements, and how the configured one is chosen."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from courses.judging.types import RunRequest, RunResult


@runtime_checkable
class JudgeBackend(Protocol):
    """Runs programs; knows nothing of problems, checkers or the database.

    Batch-first: ``run_batch`` takes the run requests of one submission — one language and one
    source, many stdins — and returns one ``RunResult`` per request, in order. That lets a backend
    compile once, run cases in parallel, or run every case inside one process (the one-process
    harness) without the caller knowing. A compilation error is reported as a result with
    ``Outcome.COMPILATION_ERROR`` for every request. Infrastructure failures raise
    ``courses.judging.errors.JudgeError`` subclasses.
    """

    name: str

    def run_batch(self, requests: Sequence[RunRequest]) -> list[RunResult]: ...


def check_single_program(requests: Sequence[RunRequest]) -> None:
    """Raise ``ValueError`` unless every request of a batch shares language and source."""
    if not requests:
        return
    first = requests[0]
    for request in requests[1:]:
        if request.language != first.language or request.source != first.source:
            raise ValueError("a batch must hold one language and one source")
