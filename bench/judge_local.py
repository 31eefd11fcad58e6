"""Benchmark: the local sandbox backend against a bare Python run (issue 4, Acceptance).

Usage: ``.venv/bin/python bench/judge_local.py [--cases 100] [--size 10000] [--repeat 5]``

A function-style Python problem (``solve(a) -> sorted(a)``) with 100 cases of 10,000 random
integers is wrapped by the default template, judged through ``LocalSandboxBackend`` and a checker
(``--checker``, default exact; no database), once on the one-process path and once with one
process per case. Inputs and expected outputs are prepared before timing (a judge reads them
from storage). The baseline is ``bench/reference_harness.py`` run bare by ``/usr/bin/python3``
over the same inputs (the interpreter the sandbox runs). Printed ratios are our wall time / the
baseline's, best of ``--repeat`` runs each, the reference and the one-process path taking turns
after one warm-up run. Target (issue 11): <= 1.25 on the one-process path.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from courses.judging import python_compile, templates  # noqa: E402
from courses.judging.backends.local import LocalSandboxBackend  # noqa: E402
from courses.judging.checkers import get_checker  # noqa: E402
from courses.judging.types import Limits, Outcome, RunRequest  # noqa: E402

SOLUTION = "def solve(a):\n    return sorted(a)\n"
PYTHON = "/usr/bin/python3"


def make_cases(count: int, size: int, seed: int = 4) -> list[list[int]]:
    rng = random.Random(seed)
    return [[rng.randint(-(10**9), 10**9) for _ in range(size)] for _ in range(count)]


def time_reference(cases: list[list[int]]) -> float:
    with tempfile.TemporaryDirectory() as directory:
        solution = os.path.join(directory, "solution.py")
        Path(solution).write_text(SOLUTION)
        inputs = os.path.join(directory, "inputs")
        os.mkdir(inputs)
        for i, case in enumerate(cases):
            Path(inputs, f"{i:04d}.json").write_text(json.dumps([case]))
        started = time.perf_counter()
        proc = subprocess.run(
            [PYTHON, str(ROOT / "bench" / "reference_harness.py"), solution, "solve", inputs],
            capture_output=True,
            check=True,
        )
        elapsed = time.perf_counter() - started
    lines = proc.stdout.decode().splitlines()
    assert len(lines) == len(cases) and json.loads(lines[0]) == sorted(cases[0])
    return elapsed


def prepare(cases: list[list[int]]) -> tuple[list[RunRequest], list[str]]:
    """Requests and expected outputs, as a judge finds them stored (not timed)."""
    limits = Limits(cpu_time_ms=2000, wall_time_ms=5000, memory_kb=256 * 1024, output_bytes=1 << 20)
    program = templates.wrap("python", SOLUTION, "solve")
    requests = [RunRequest("python", program, json.dumps([c]).encode(), limits) for c in cases]
    expected = [json.dumps(sorted(c)) + "\n" for c in cases]
    return requests, expected


def time_backend(
    backend: LocalSandboxBackend, requests: list[RunRequest], expected: list[str], checker_kind: str
) -> tuple[float, int]:
    """Run and check every case; returns (seconds, accepted count)."""
    checker = get_checker(checker_kind)
    started = time.perf_counter()
    results = [
        python_compile.postprocess("python", r, q.source)
        for r, q in zip(backend.run_batch(requests), requests, strict=True)
    ]
    accepted = sum(
        r.outcome == Outcome.OK and checker(exp, r.stdout)
        for r, exp in zip(results, expected, strict=True)
    )
    return time.perf_counter() - started, accepted


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--checker", default="exact", choices=["exact", "tokens", "json"])
    args = parser.parse_args()
    cases = make_cases(args.cases, args.size)
    requests, expected = prepare(cases)
    one = LocalSandboxBackend(one_process=True)
    per_case = LocalSandboxBackend(one_process=False)
    print(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
          f"kernel {platform.release()}, python {platform.python_version()} (bench), "
          f"isolation: {one.mode}")  # fmt: skip
    print(f"problem: {args.cases} cases x {args.size} integers, sorted; checker {args.checker}; "
          f"best of {args.repeat}")  # fmt: skip
    time_backend(one, requests, expected, args.checker)  # warm-up: the service starts
    # The reference and the one-process path alternate, so that a host whose speed drifts
    # (a VM's neighbours) weighs on both sides alike.
    reference_runs, one_runs = [], []
    for _ in range(args.repeat):
        reference_runs.append(time_reference(cases))
        one_runs.append(time_backend(one, requests, expected, args.checker))
    reference = min(reference_runs)
    per_case_runs = [
        time_backend(per_case, requests, expected, args.checker) for _ in range(args.repeat)
    ]
    figures = {}
    for label, runs in (("one-process", one_runs), ("process-per-case", per_case_runs)):
        accepted = {count for _, count in runs}
        assert accepted == {args.cases}, f"{label}: accepted {accepted} of {args.cases}"
        figures[label] = min(seconds for seconds, _ in runs)
    print(f"reference (bare {PYTHON} reference_harness.py): {reference:.3f} s")
    for label, seconds in figures.items():
        print(f"{label:>16}: {seconds:.3f} s  ratio {seconds / reference:.2f}  "
              f"({1000 * seconds / args.cases:.1f} ms/case)")  # fmt: skip
    print(f"harness fallbacks: {one.harness_fallbacks}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
