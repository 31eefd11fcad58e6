"""Judge0 path latency: a 50-case problem against the fake Judge0 (200 ms per submission).

Prints, from one run, our wall time divided by the latency of one submission (one case, created
and polled alone) for three ways of judging the same 50 cases:

- one submission: the one-process harness carries the cases (target <= 1.5);
- one submission per case, created in batches of 20 and polled concurrently (its floor is
  cases / the fake's workers, since each worker runs one submission at a time);
- one submission per case, one at a time: create, poll until done, next (about 50).

The fake (``courses.tests.fakes.judge0``) really runs every program on 127.0.0.1 after sleeping
``--delay`` seconds, as a Judge0 worker spends time setting up its box. Usage:
``.venv/bin/python bench/judge0_latency.py [--cases 50] [--delay 0.2] [--repeat 5]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

from courses.judging import templates
from courses.judging.backends.judge0 import Judge0Backend
from courses.judging.types import Limits, Outcome, RunRequest
from courses.tests.fakes.judge0 import FakeJudge0

#: Tight limits of a small function-style problem: 50 cases fit in few worst-case-safe chunks.
LIMITS = Limits(cpu_time_ms=250, wall_time_ms=350, memory_kb=128 * 1024, output_bytes=4096)
CODE = "def add(a, b):\n    return a + b\n"


def timed(function) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=50)
    parser.add_argument("--delay", type=float, default=0.2)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    source = templates.wrap("python", CODE, "add")
    requests = [
        RunRequest("python", source, f"[{i}, 1]".encode(), LIMITS) for i in range(args.cases)
    ]
    expected = [f"{i + 1}\n".encode() for i in range(args.cases)]

    with FakeJudge0(processing_delay_s=args.delay, cache_s=1.0) as fake:
        harness = Judge0Backend(fake.url, circuit=False)
        per_case = Judge0Backend(fake.url, circuit=False, use_harness=False)

        def check(results) -> None:
            assert [r.outcome for r in results] == [Outcome.OK] * len(results), results
            assert [r.stdout for r in results] == expected[: len(results)]

        def single() -> None:
            check(per_case.run_batch(requests[:1]))

        def harness_path() -> None:
            check(harness.run_batch(requests))

        def batched_path() -> None:
            check(per_case.run_batch(requests))

        def one_at_a_time() -> None:
            results = []
            for request in requests:
                results.extend(per_case.run_batch([request]))
            check(results)

        single()  # warm-up: language ids, connections
        latency = statistics.median(timed(single) for _ in range(max(5, args.repeat)))
        runs = {
            name: [timed(run) for _ in range(args.repeat if name != "sequential" else 1)]
            for name, run in (
                ("harness", harness_path),
                ("batched", batched_path),
                ("sequential", one_at_a_time),
            )
        }
        chunks = harness.stats["harness_chunks"] // args.repeat
        fallbacks = harness.stats["harness_fallbacks"]
        workers = fake.worker_count

    print(f"fake Judge0: {workers} workers, {args.delay * 1000:.0f} ms processing per submission")
    print(f"one submission (one case, create + poll): {latency * 1000:.0f} ms (median)")
    print(f"{args.cases} cases, {args.repeat} runs each (one-at-a-time: one run); median, best:")
    rows = (
        ("one submission (harness)", runs["harness"], f"{chunks} chunk(s), {fallbacks} fallbacks"),
        ("per case, batches + polling", runs["batched"], f"floor {args.cases / workers:.1f}"),
        ("per case, one at a time", runs["sequential"], f"about {args.cases}"),
    )
    for name, seconds, note in rows:
        median, best = statistics.median(seconds), min(seconds)
        print(
            f"  {name:<28} {median:6.2f} s  ratio {median / latency:6.2f}"
            f"  (best {best / latency:5.2f})  {note}"
        )
    ratio = statistics.median(runs["harness"]) / latency
    print(
        f"harness median ratio, target <= 1.5: {ratio:.2f} ({'met' if ratio <= 1.5 else 'MISSED'})"
    )


if __name__ == "__main__":
    main()
