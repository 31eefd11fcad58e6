"""A scripted in-memory judging backend for tests: what Django's locmem backend is to email.

It runs nothing. It records every batch it receives (``batches``) and answers from a script:

- ``None``: every run is a clean run with empty output;
- a ``RunResult``: that result for every run;
- a ``JudgeError`` instance: every batch raises it (the backend is down, busy, ...);
- a sequence of ``RunResult`` or ``JudgeError`` items: consumed one per run, across batches, in
  order; an exception item is raised when its turn comes (a whole batch fails, as a real backend
  fails); running out of items fails the test loudly;
- a callable ``(RunRequest) -> RunResult``, which may raise.

Pass an instance to the code under test, or name the class in settings
(``COURSES_JUDGE_BACKEND="courses.tests.scripted_backend.ScriptedBackend"``) with
``ScriptedBackend.default_script`` set.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import ClassVar

from courses.judging.backends.base import check_single_program
from courses.judging.errors import JudgeError
from courses.judging.types import Outcome, RunRequest, RunResult

ScriptItem = RunResult | JudgeError
Script = None | ScriptItem | Sequence[ScriptItem] | Callable[[RunRequest], RunResult]


def ok(stdout: bytes | str = b"", **fields) -> RunResult:
    """A clean run printing ``stdout``."""
    if isinstance(stdout, str):
        stdout = stdout.encode()
    return RunResult(outcome=Outcome.OK, stdout=stdout, **fields)


def failed(outcome: Outcome, **fields) -> RunResult:
    """A run that ended with ``outcome``."""
    return RunResult(outcome=outcome, **fields)


class ScriptedBackend:
    """A ``JudgeBackend`` that answers from a script and remembers what it was asked."""

    name = "scripted"
    #: Used by ``get_backend`` (no arguments) when a test names this class in settings.
    default_script: ClassVar[Script] = None

    def __init__(self, script: Script = None, *, error: JudgeError | None = None) -> None:
        """``error`` is shorthand for a script that raises it for every batch."""
        self._lock = threading.Lock()
        self.batches: list[list[RunRequest]] = []
        if error is not None:
            script = error
        self._script = script if script is not None else type(self).default_script
        self._queue: list[ScriptItem] | None = None
        if isinstance(self._script, Sequence) and not isinstance(self._script, str | bytes):
            self._queue = list(self._script)

    @property
    def requests(self) -> list[RunRequest]:
        """Every request received, across batches, in order."""
        with self._lock:
            return [request for batch in self.batches for request in batch]

    @property
    def remaining(self) -> int:
        """How many scripted items are left (only for a sequence script)."""
        return len(self._queue) if self._queue is not None else 0

    def run_batch(self, requests: Sequence[RunRequest]) -> list[RunResult]:
        check_single_program(requests)
        with self._lock:
            self.batches.append(list(requests))
            return [self._answer(request) for request in requests]

    def _answer(self, request: RunRequest) -> RunResult:
        script = self._script
        if script is None:
            return RunResult(outcome=Outcome.OK)
        if isinstance(script, RunResult):
            return script
        if isinstance(script, JudgeError):
            raise script
        if self._queue is not None:
            if not self._queue:
                raise AssertionError("ScriptedBackend ran out of scripted results")
            item = self._queue.pop(0)
            if isinstance(item, JudgeError):
                raise item
            return item
        return script(request)
