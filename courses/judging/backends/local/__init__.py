"""The local sandbox backend: bubblewrap + seccomp + cgroups + a per-sandbox uid (sandbox.md §5).

Public API:
- ``LocalSandboxBackend(one_process=True, *, parallel=None, allow_unsandboxed=None, ...)``:
  the ``JudgeBackend``; ``.isolation`` / ``.mode`` report what this host gives.
- ``detect_isolation()``: the isolation mode of this host (``full``, ``rlimits``, ``none``, None).
- ``sweep_host()``: remove what dead runs left behind (the periodic ``sweep_sandbox`` task).
- ``build_harness_program(source, stdins, limits)``: a self-contained Python program running
  ``source`` once per stdin in fresh children, printing one JSON line (for Judge0 batching);
  ``parse_report`` and ``case_result`` read that line back into ``RunResult``s.

Inside: ``client`` (the worker's side) talks to ``service`` (one long-lived program per worker),
which forks a ``supervisor`` per sandbox; the sandbox's pid 1 is the runner, ``harness_program``.
"""

from .backend import LocalSandboxBackend, detect_isolation, sweep_host
from .harness import HarnessFailed, build_harness_program, case_result, parse_report

__all__ = [
    "HarnessFailed",
    "LocalSandboxBackend",
    "build_harness_program",
    "case_result",
    "detect_isolation",
    "parse_report",
    "sweep_host",
]
