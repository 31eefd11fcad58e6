"""Python's compilation errors, told apart from a program that only claims one.

Python has no compile step of its own: the launcher (``templates.python_launcher``) and the
tests-as-code harness compile the student's code inside the run and, when that fails, write
``PYTHON_COMPILE_ERROR_MARKER`` and the error to stderr and exit ``PYTHON_COMPILE_ERROR_EXIT``
(the module docstring of ``templates``). The student's own code can write the same three things:
a case that did so with its stdin after the marker turned a hidden input into the submission's
"compiler output", which every student sees (an outside probe, 2026-12-01).

So a claim is believed only when the worker, compiling the same code itself, fails too. The text
shown is then the worker's: it holds the code and nothing of any case. ``compile()`` runs none
of the code, and the worker only compiles code that the run's own interpreter already compiled
or refused without crashing. A program that claims a compilation error and compiles here keeps
its run as it was: a runtime error with its own stderr (hidden for a hidden case).

Where the judge's Python differs from the worker's (Judge0's), code that only one of them
accepts is judged by the run: a syntax only newer Pythons know runs into a runtime error on an
older judge, its message in the case's stderr.
"""

from __future__ import annotations

import dataclasses
import functools
import traceback

from courses.judging import tests_as_code
from courses.judging.templates import (
    PYTHON_COMPILE_ERROR_EXIT,
    PYTHON_COMPILE_ERROR_MARKER,
    PYTHON_FILENAME,
    launcher_source,
)
from courses.judging.types import Outcome, RunResult

#: What the launcher and the harness report as a compilation error (the same tuple as theirs).
COMPILE_FAILURES = (SyntaxError, ValueError, RecursionError)


def postprocess(language_key: str, result: RunResult, program: str) -> RunResult:
    """Language-specific reading of a raw ``result`` of ``program``, the same for every backend.

    Python: a claimed compilation error that the worker confirms becomes
    ``Outcome.COMPILATION_ERROR`` with the worker's text as ``compile_output`` and no output (no
    student code ran); anything else is returned as it is.
    """
    if language_key != "python" or not claims_compile_error(result):
        return result
    text = compile_error(program)
    if text is None:
        return result
    return dataclasses.replace(
        result,
        outcome=Outcome.COMPILATION_ERROR,
        compile_output=text,
        stdout=b"",
        stderr=b"",
        stdout_truncated=False,
        stderr_truncated=False,
    )


def claims_compile_error(result: RunResult) -> bool:
    """Whether the run ended the way the launcher ends when the code does not compile."""
    return (
        result.outcome is Outcome.RUNTIME_ERROR
        and result.exit_code == PYTHON_COMPILE_ERROR_EXIT
        and result.stderr.startswith(PYTHON_COMPILE_ERROR_MARKER.encode() + b"\n")
    )


@functools.lru_cache(maxsize=16)
def compile_error(program: str) -> str | None:
    """The error compiling the student's code embedded in ``program`` reports, as the launcher
    writes it; None if it compiles, or if ``program`` is not a launcher or tests-as-code program
    of ours (then no run of it may claim a compilation error).

    Cached: every case of a batch that does not compile asks for the same program.
    """
    code = launcher_source(program)
    if code is None:
        code = tests_as_code.embedded_user_code(program)
    if code is None:
        return None
    try:
        compile(code, PYTHON_FILENAME, "exec", dont_inherit=True)
    except COMPILE_FAILURES as error:
        return "".join(traceback.format_exception_only(type(error), error))
    except MemoryError:
        return None
    return None
