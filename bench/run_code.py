"""Benchmark: "Run code" on ``print(1)``, sandboxed, against a bare interpreter (issue 11).

Usage: ``.venv/bin/python bench/run_code.py [--runs 40]``

The sandboxed side is ``CodeExecutorService.run_freely("print(1)")`` in this process with the
configured backend (the local sandbox by default): exactly what the page's and the API's "Run
code" does in the embedded default, minus HTTP (validation, the in-flight and slot counters, the
stdio template, the sandbox service's run, the output decoding). The bare side is
``/usr/bin/python3 -c 'print(1)'`` through ``subprocess.run``. The two alternate, run after run,
so that a change of load affects both; the medians and their ratio are printed (target <= 2.0).
No database is touched.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django  # noqa: E402

django.setup()

from courses.judging.backends import shared_backend  # noqa: E402
from courses.services.code_executor import CodeExecutorService  # noqa: E402

PYTHON = "/usr/bin/python3"


def bare_once() -> float:
    started = time.perf_counter()
    done = subprocess.run([PYTHON, "-c", "print(1)"], capture_output=True, check=True)
    elapsed = time.perf_counter() - started
    assert done.stdout == b"1\n", done.stdout
    return elapsed


def sandboxed_once(service: CodeExecutorService) -> float:
    started = time.perf_counter()
    result = service.run_freely("print(1)", "python")
    elapsed = time.perf_counter() - started
    assert result["stdout"] == "1\n" and result["status"] == "accepted", result
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    service = CodeExecutorService(shared_backend(), on_workers=False)
    for _ in range(3):  # warm-up: the sandbox service and its pre-started sandboxes are up
        sandboxed_once(service)
        bare_once()
    time.sleep(0.5)
    bare, sandboxed = [], []
    for index in range(args.runs):
        if index % 2:
            bare.append(bare_once())
            sandboxed.append(sandboxed_once(service))
        else:
            sandboxed.append(sandboxed_once(service))
            bare.append(bare_once())
    backend = service.backend
    print(
        f"machine: {platform.node() or 'host'} {platform.machine()}, {os.cpu_count()} cores, "
        f"kernel {platform.release()}; backend: {backend.name} "
        f"({getattr(backend, 'mode', '')}); {args.runs} runs each, alternating"
    )
    for name, times in (("bare python3 -c 'print(1)'", bare), ("sandboxed Run code", sandboxed)):
        ms = sorted(t * 1000 for t in times)
        print(
            f"{name}: median {statistics.median(ms):.1f} ms "
            f"(p10 {ms[len(ms) // 10]:.1f}, p90 {ms[len(ms) * 9 // 10]:.1f})"
        )
    ratio = statistics.median(sandboxed) / statistics.median(bare)
    print(f"ratio sandboxed/bare: {ratio:.2f}  (target <= 2.0)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
