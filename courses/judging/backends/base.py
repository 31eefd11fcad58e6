"""The one protocol every judging backend implements, and how the configured one is chosen."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from courses.judging.types import Limits, RunRequest, RunResult


@runtime_checkable
class JudgeBackend(Protocol):
    """Runs programs; knows nothing of problems, checkers or the database.

    Batch-first: ``run_batch`` takes the run requests of one submission — one language and one
    source, many stdins — and returns one ``RunResult`` per request, in order. That lets a backend
    compile once, run cases in parallel, or run every case inside one process (the one-process
    harness) without the caller knowing. A compilation error is reported as a result with
    ``Outcome.COMPILATION_ERROR`` for every request. Infrastructure failures raise
    ``courses.judging.errors.JudgeError`` subclasses.

    Optional, for backends that need them (callers go through ``run_batch`` below):

    - ``run_options``: the keyword options its ``run_batch`` accepts beyond the protocol:
      ``checkpoint`` (a ``Checkpoint``) and ``max_wait_s`` (give up after that many seconds);
    - ``limit_problems(limits) -> [(Limits field, why)]``: limits it cannot honour.
    """

    name: str

    def run_batch(self, requests: Sequence[RunRequest]) -> list[RunResult]: ...


class Checkpoint(Protocol):
    """Durable memory of one judging, kept by the caller across retries, workers and restarts.

    A backend that creates remote work (Judge0's tokens) saves what it created through it as soon
    as it knows, and on a later call for the same work loads it and resumes instead of creating
    again. The state is a JSON-able dict that only the backend reads. ``save`` may raise (the
    caller lost its claim on the work): the backend stops at once and lets that exception through.
    """

    def load(self) -> dict | None: ...

    def save(self, state: dict) -> None: ...


def run_batch(
    backend: JudgeBackend,
    requests: Sequence[RunRequest],
    *,
    checkpoint: Checkpoint | None = None,
    max_wait_s: float | None = None,
) -> list[RunResult]:
    """``backend.run_batch(requests)`` with the options the backend declares in ``run_options``;
    a backend without them is called exactly as the protocol says."""
    options = getattr(backend, "run_options", frozenset())
    kwargs: dict = {}
    if checkpoint is not None and "checkpoint" in options:
        kwargs["checkpoint"] = checkpoint
    if max_wait_s is not None and "max_wait_s" in options:
        kwargs["max_wait_s"] = max_wait_s
    return backend.run_batch(requests, **kwargs)


def limit_problems(backend: JudgeBackend, limits: Limits) -> list[tuple[str, str]]:
    """The ``(Limits field, why)`` pairs ``backend`` cannot honour; [] for a backend with no
    maxima of its own (the local sandbox applies any limit)."""
    check = getattr(backend, "limit_problems", None)
    return list(check(limits)) if callable(check) else []


def check_single_program(requests: Sequence[RunRequest]) -> None:
    """Raise ``ValueError`` unless every request of a batch shares language and source."""
    if not requests:
        return
    first = requests[0]
    for request in requests[1:]:
        if request.language != first.language or request.source != first.source:
            raise ValueError("a batch must hold one language and one source")
