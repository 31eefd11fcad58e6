"""Benchmark: many small submissions judged end to end, against a bare run of each (issue 11).

Usage: ``.venv/bin/python bench/submissions.py [--problems 150] [--repeat 3] [--seed 11]``

150 small function-style Python problems (the common case of a course), with 1 to 20 test cases
each, made in a test database this script creates and destroys (never the real one). Each
problem is judged as its own submission through ``CodeExecutorService.run_all_test_cases``: the
submission saved, claimed, wrapped by the default template, run in the configured backend's
sandbox (the local one by default), checked, and its results, verdict and progress saved. The
baseline does the same work bare: for each problem, one ``/usr/bin/python3`` process running
``bench/reference_harness.py`` (fixed, untuned) over that problem's inputs, with no database, no
sandbox, no limits and no checker. Inputs and expected outputs are prepared before timing.

Prints both totals (median of ``--repeat`` runs each, in alternating order) and the ratio
service / bare (target <= 2.0).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402

from courses.judging.backends import shared_backend  # noqa: E402
from courses.judging.types import Verdict  # noqa: E402
from courses.models import Chapter, Course, Problem, ProblemTestCase  # noqa: E402
from courses.services.code_executor import CodeExecutorService  # noqa: E402

PYTHON = "/usr/bin/python3"

#: Small tasks of a first programming course: (solution, input maker, answer).
TASKS = [
    ("def solve(a, b):\n    return a + b\n",
     lambda r: [r.randint(-999, 999), r.randint(-999, 999)], lambda a, b: a + b),
    ("def solve(xs):\n    return sum(xs)\n",
     lambda r: [[r.randint(-99, 99) for _ in range(r.randint(0, 50))]], lambda xs: sum(xs)),
    ("def solve(xs):\n    return max(xs)\n",
     lambda r: [[r.randint(-99, 99) for _ in range(r.randint(1, 50))]], lambda xs: max(xs)),
    ("def solve(s):\n    return s[::-1]\n",
     lambda r: ["".join(r.choice("abcdef") for _ in range(r.randint(0, 30)))], lambda s: s[::-1]),
    ("def solve(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n"
     "    return a\n", lambda r: [r.randint(0, 60)], None),
    ("def solve(n):\n    if n < 2:\n        return False\n    d = 2\n    while d * d <= n:\n"
     "        if n % d == 0:\n            return False\n        d += 1\n    return True\n",
     lambda r: [r.randint(0, 100000)], None),
    ("def solve(xs):\n    return sorted(xs)\n",
     lambda r: [[r.randint(-999, 999) for _ in range(r.randint(0, 100))]], lambda xs: sorted(xs)),
    ("def solve(s):\n    return len(s.split())\n",
     lambda r: [" ".join("w" * r.randint(1, 5) for _ in range(r.randint(0, 20)))],
     lambda s: len(s.split())),
]  # fmt: skip


def answer(solution: str, args: list):
    namespace: dict = {}
    exec(solution, namespace)
    return namespace["solve"](*args)


def make_problems(count: int, seed: int) -> list[tuple[Problem, str, list[str]]]:
    """``count`` problems with 1-20 cases each: (problem, solution, inputs)."""
    rng = random.Random(seed)
    suffix = uuid.uuid4().hex[:8]
    course = Course.objects.create(
        title=f"Bench {suffix}", slug=f"bench-{suffix}", is_published=True
    )
    chapter = Chapter.objects.create(course=course, title="Bench", order=1)
    made = []
    for number in range(count):
        solution, make_input, _ = TASKS[number % len(TASKS)]
        problem = Problem.objects.create(
            chapter=chapter, title=f"Bench {number}", statement="-", is_visible=True,
            io_mode=Problem.IoMode.FUNCTION, entry_point="solve", checker=Problem.Checker.JSON,
            allowed_languages=["python"], time_limit_ms=2000, memory_limit_kb=128 * 1024,
        )  # fmt: skip
        inputs = [make_input(rng) for _ in range(rng.randint(1, 20))]
        ProblemTestCase.objects.bulk_create(
            ProblemTestCase(problem=problem, order=i, input=json.dumps(args),
                            expected_output=json.dumps(answer(solution, args)), weight=1)
            for i, args in enumerate(inputs)
        )  # fmt: skip
        made.append((problem, solution, [json.dumps(args) for args in inputs]))
    return made


def write_bare_inputs(made, directory: str) -> list[tuple[str, str]]:
    """Each problem's solution file and input directory, for the bare runs (not timed)."""
    paths = []
    for number, (_problem, solution, inputs) in enumerate(made):
        base = Path(directory, f"p{number:03d}")
        (base / "in").mkdir(parents=True)
        (base / "solution.py").write_text(solution)
        for i, text in enumerate(inputs):
            (base / "in" / f"{i:04d}.json").write_text(text)
        paths.append((str(base / "solution.py"), str(base / "in")))
    return paths


def time_bare(paths) -> float:
    harness = str(ROOT / "bench" / "reference_harness.py")
    started = time.perf_counter()
    for solution, inputs in paths:
        subprocess.run([PYTHON, harness, solution, "solve", inputs], check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
    return time.perf_counter() - started


def time_service(service, user, made) -> float:
    started = time.perf_counter()
    verdicts = [
        service.run_all_test_cases(user, problem, solution, "python").status
        for problem, solution, _ in made
    ]
    elapsed = time.perf_counter() - started
    wrong = [v for v in verdicts if v != Verdict.ACCEPTED]
    assert not wrong, f"{len(wrong)} submissions not accepted: {wrong[:5]}"
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=int, default=150)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        backend = shared_backend()
        print(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
              f"kernel {platform.release()}, python {platform.python_version()} (bench); "
              f"database: {connection.vendor}; backend: {backend.name} "
              f"({getattr(backend, 'mode', '-')})")  # fmt: skip
        user = get_user_model().objects.create(username=f"bench-{uuid.uuid4().hex[:8]}")
        made = make_problems(args.problems, args.seed)
        cases = sum(len(inputs) for _, _, inputs in made)
        print(f"{len(made)} problems, {cases} cases (1-20 each); median of {args.repeat}")
        service = CodeExecutorService(backend=backend)
        service.run_all_test_cases(user, made[0][0], made[0][1], "python")  # warm-up
        time.sleep(1)  # the backend's pre-started sandboxes are up
        with tempfile.TemporaryDirectory() as directory:
            paths = write_bare_inputs(made, directory)
            time_bare(paths[:5])  # warm-up: the interpreter's files in the page cache
            bare, judged = [], []
            for i in range(args.repeat):
                pair = [(lambda: time_bare(paths), bare),
                        (lambda: time_service(service, user, made), judged)]  # fmt: skip
                for run, times in pair if i % 2 == 0 else reversed(pair):
                    times.append(run())
        bare_s, judged_s = statistics.median(bare), statistics.median(judged)
        print(f"bare ({PYTHON} reference_harness.py per submission): {bare_s:.3f} s "
              f"(runs: {', '.join(f'{t:.3f}' for t in bare)})")  # fmt: skip
        print(f"service (database + sandbox per submission): {judged_s:.3f} s "
              f"(runs: {', '.join(f'{t:.3f}' for t in judged)}; "
              f"{1000 * judged_s / len(made):.1f} ms per submission)")  # fmt: skip
        print(f"ratio service/bare: {judged_s / bare_s:.2f}  (target <= 2.0)")
        if hasattr(backend, "close"):
            backend.close()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
