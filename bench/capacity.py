"""The capacity model of ``docs/capacity.md``: checked against a load run, then sized for a rush.

Usage: ``.venv/bin/python bench/capacity.py FIGURES.json`` where the file is what
``bench/load.py --workers 1 2 --json FIGURES.json`` wrote (one run, both worker counts).

The model (``docs/capacity.md`` explains each term):

- a judging process is busy ``S(c) = t(c) + o`` per submission: ``t(c)`` the wall time of one
  bare sandboxed judging when ``c`` run at once on the host (``c / bare rate(c)``, the per-core
  judging rate measured in the same run) and ``o`` the platform's own time around it (claim,
  saves, Celery and the broker), one constant;
- the host's cores bound it too: ``X <= cores / D``, with ``D`` the CPU time of everything per
  judged submission (``bench/load.py``'s CPU table);
- so ``X(c) = min(c / S(c), cores / D)``;
- N students who each submit again as soon as they see their verdict (polling every second)
  wait ``N / X`` on average (Little's law); p95 adds the polling interval: ``N / X + 1 s``.

Checked without circularity: ``o`` and ``D`` are calibrated on one worker count and predict the
other (and the other way round). Then the rush: ``--students``, ``--submissions`` each in the
last hour, ``--peak`` times the hour's mean rate at the end, the ``--rejudge`` size, worker hosts
of ``--cores`` cores.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

POLL_S = 1.0


def constants(run: dict) -> tuple[float, float]:
    """``o`` and ``D`` of one run: the overhead per judging and the CPU per judged submission."""
    c = run["workers"]
    t = c / run["bare"]["rate"]
    overhead = c / run["throughput"] - t
    cpu = sum(run["cpu_per_judged_s"].values())
    return overhead, cpu


def predict(run: dict, overhead: float, cpu: float, cores: int) -> tuple[float, float]:
    """Throughput and p95 submit-to-verdict of ``run``'s set-up, from the other run's constants."""
    c = run["workers"]
    service = c / run["bare"]["rate"] + overhead
    throughput = min(c / service, cores / cpu)
    return throughput, run["students"] / throughput + POLL_S


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("figures")
    parser.add_argument("--cores", type=int, default=2, help="cores of the host of the run")
    parser.add_argument("--students", type=int, default=10_000)
    parser.add_argument("--submissions", type=int, default=3, help="each, in the last hour")
    parser.add_argument("--peak", type=float, default=3.0, help="peak rate / the hour's mean")
    parser.add_argument("--rejudge", type=int, default=50_000)
    parser.add_argument("--host-cores", type=int, default=4, help="cores of a worker host")
    parser.add_argument("--utilisation", type=float, default=0.7, help="at the peak")
    args = parser.parse_args()
    runs = {run["workers"]: run for run in json.loads(Path(args.figures).read_text())}
    if set(runs) != {1, 2}:
        print("need one run at 1 and one at 2 workers (bench/load.py --workers 1 2)")
        return 2

    print("| judging processes | calibrated on | o (ms) | D (ms) | throughput predicted | "
          "measured | error | p95 predicted | measured (client) | error |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|")
    for c, other in ((1, 2), (2, 1)):
        overhead, cpu = constants(runs[other])
        throughput, latency = predict(runs[c], overhead, cpu, args.cores)
        measured = runs[c]["throughput"]
        measured_p95 = p95(runs[c]["latency_client_s"])
        error, p95_error = throughput / measured - 1, latency / measured_p95 - 1
        print(f"| {c} | {other} worker(s) | {1000 * overhead:.0f} | {1000 * cpu:.0f} | "
              f"{throughput:.2f}/s | {measured:.2f}/s | {100 * error:+.0f} % | "
              f"{latency:.2f} s | {measured_p95:.2f} s | {100 * p95_error:+.0f} % |")  # fmt: skip

    # --- the rush, with the constants of the 2-process run (every core judging) -----------------
    two = runs[2]
    overhead, _ = constants(two)
    judging_s = 2 / two["bare"]["rate"]  # one bare judging, every core busy
    per_core = 1 / (judging_s + overhead)
    cpu = two["cpu_per_judged_s"]
    total = args.students * args.submissions
    mean = total / 3600
    peak = args.peak * mean
    cores = math.ceil(peak / (per_core * args.utilisation))
    hosts = math.ceil(cores / args.host_cores)
    print(f"\nper-core judging rate on the platform: {per_core:.2f}/s (bare judging "
          f"{1000 * judging_s:.0f} ms, every core busy, + o {1000 * overhead:.0f} ms)")  # fmt: skip
    print(f"rush: {total} submissions in the last hour, mean {mean:.1f}/s, peak {peak:.1f}/s")
    print(f"live lane: {cores} judging cores at {args.utilisation:.0%} at the peak = {hosts} "
          f"worker hosts of {args.host_cores} cores (-c {args.host_cores} each)")  # fmt: skip
    for bulk_cores in (args.host_cores, 2 * args.host_cores, 4 * args.host_cores):
        hours = args.rejudge / (per_core * bulk_cores) / 3600
        print(f"rejudge of {args.rejudge}: {hours:.1f} h on {bulk_cores} bulk cores")
    web_ms = 1000 * cpu["web"]
    pg_ms = 1000 * cpu["postgres"]
    print(f"web CPU per judged submission {web_ms:.0f} ms ({two['polls']:.1f} polls each): "
          f"{peak * cpu['web']:.1f} cores at the peak; PostgreSQL {pg_ms:.0f} ms: "
          f"{peak * cpu['postgres']:.1f} cores; Redis {1000 * cpu['redis']:.1f} ms: "
          f"{peak * cpu['redis']:.2f} cores")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
