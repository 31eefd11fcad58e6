"""The capacity model of ``docs/capacity.md``: checked against a load run, then sized for a rush.

Usage: ``.venv/bin/python bench/capacity.py FIGURES.json [--peak 3 ...]`` where the file is what
``bench/load.py --workers 1 2 --json FIGURES.json`` wrote (one run, both worker counts).

The model (``docs/capacity.md`` explains it):

- judging is CPU work: each judged submission costs ``D`` CPU-seconds over every process that
  takes part (sandbox, worker, web, PostgreSQL, Redis, and here the load generator), measured
  by ``bench/load.py``; ``K`` free cores judge at most ``K / D`` per second;
- and ``c`` judging processes at most ``c / (t + w)`` per second: each is busy for the sandbox's
  wall time ``t`` (one bare judging with ``c`` running at once: ``c / bare rate(c)``, the
  per-core judging rate measured in the same run) plus the worker's own CPU ``w`` around it;
- so ``X(c) = min(c / (t(c) + w), K / D)``;
- N students who each submit again as soon as they see their verdict (polling every second)
  wait ``N / X`` on average (Little's law); the p95 adds one polling interval: ``N / X + 1 s``.

Checked without circularity: ``D`` and ``w`` come from the *other* worker count's phase; ``t``
and ``K`` (the cores not taken by other work on the shared host during the phase, measured from
``/proc/stat``) from the phase itself: they describe the host, not the platform.

Then the rush: ``--students`` × ``--submissions`` each in the last hour, ``--peak`` times the
hour's mean rate at its busiest, a rejudge of ``--rejudge``, worker hosts of ``--host-cores``;
``--sandbox-cpu`` replaces the bench problem's sandbox CPU by a heavier problem mix's.
Queue waits at the peak from Erlang's C formula (Poisson arrivals, exponential service: a
pessimistic stand-in for judgings of nearly constant length).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

POLL_S = 1.0
PLATFORM = ("web", "worker", "postgres", "redis")


def cpu_per_judged(run: dict) -> float:
    return sum(run["cpu_per_judged_s"].values())


def predict(run: dict, other: dict) -> tuple[float, float, float]:
    """Throughput, p95 submit-to-verdict and the cores used, for ``run``'s set-up, with the
    platform's costs measured in ``other``."""
    c = run["workers"]
    t = c / run["bare"]["rate"]
    w = other["cpu_per_judged_s"]["worker"]
    free = run["cores"] - run["others_cores"]
    throughput = min(c / (t + w), free / cpu_per_judged(other))
    return throughput, run["students"] / throughput + POLL_S, free


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


def erlang_c_wait(arrivals: float, service_rate: float, servers: int) -> float:
    """Mean wait in queue (seconds) of an M/M/c queue; ``inf`` when it cannot keep up."""
    load = arrivals / service_rate
    if load >= servers:
        return math.inf
    term, total = 1.0, 1.0
    for k in range(1, servers):
        term *= load / k
        total += term
    last = term * load / servers / (1 - load / servers)
    waiting = last / (total + last)
    return waiting / (servers * service_rate - arrivals)


def check(runs: dict[int, dict]) -> None:
    print("| judging processes | free cores | D from the other phase | throughput predicted | "
          "measured | error | p95 predicted | measured | error |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    for c, other in ((1, 2), (2, 1)):
        run = runs[c]
        throughput, latency, free = predict(run, runs[other])
        measured, measured_p95 = run["throughput"], p95(run["latency_client_s"])
        error, p95_error = throughput / measured - 1, latency / measured_p95 - 1
        print(f"| {c} | {free:.2f} | {1000 * cpu_per_judged(runs[other]):.0f} ms | "
              f"{throughput:.2f}/s | {measured:.2f}/s | {100 * error:+.0f} % | "
              f"{latency:.2f} s | {measured_p95:.2f} s | {100 * p95_error:+.0f} % |")  # fmt: skip


def rush(run: dict, args: argparse.Namespace) -> None:
    cpu = run["cpu_per_judged_s"]
    sandbox = args.sandbox_cpu if args.sandbox_cpu is not None else cpu["sandbox"]
    per_core = 1 / (sandbox + cpu["worker"])  # a worker host's CPU per judging
    total = args.students * args.submissions
    mean = total / 3600
    peak = args.peak * mean
    print(f"\nper-core judging rate: {per_core:.1f}/s (sandbox {1000 * sandbox:.0f} ms + "
          f"worker {1000 * cpu['worker']:.0f} ms of CPU per judged submission)")  # fmt: skip
    print(f"rush: {total} submissions in the last hour: mean {mean:.1f}/s, peak {peak:.1f}/s")
    cores = math.ceil(peak / (per_core * args.utilisation))
    hosts = math.ceil(cores / args.host_cores)
    cores = hosts * args.host_cores
    wait = erlang_c_wait(peak, per_core, cores)
    print(f"live lane: {hosts} worker hosts x {args.host_cores} cores (celery -c "
          f"{args.host_cores}): {cores} judging processes, {peak / (cores * per_core):.0%} busy "
          f"at the peak, mean queue wait {1000 * wait:.0f} ms")  # fmt: skip
    for hosts_then in range(1, hosts):
        n = hosts_then * args.host_cores
        wait = erlang_c_wait(peak, per_core, n)
        backlog = (peak - n * per_core) * 600 if peak > n * per_core else 0
        print(f"  with {hosts_then} host(s): "
              + (f"mean wait {1000 * wait:.0f} ms" if backlog == 0 else
                 f"cannot keep up: +{backlog:.0f} waiting after 10 min at the peak"))  # fmt: skip
    for bulk_cores in (args.host_cores, 2 * args.host_cores, 4 * args.host_cores):
        minutes = args.rejudge / (per_core * bulk_cores) / 60
        print(f"rejudge of {args.rejudge} on {bulk_cores} bulk cores: {minutes:.0f} min")
    print(f"per judged submission: web {1000 * cpu['web']:.0f} ms ({run['polls']:.1f} polls), "
          f"PostgreSQL {1000 * cpu['postgres']:.0f} ms, Redis {1000 * cpu['redis']:.1f} ms of "
          f"CPU; at the peak: web {peak * cpu['web']:.1f} cores, PostgreSQL "
          f"{peak * cpu['postgres']:.1f}, Redis {peak * cpu['redis']:.2f}")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("figures")
    parser.add_argument("--students", type=int, default=10_000)
    parser.add_argument("--submissions", type=int, default=3, help="each, in the last hour")
    parser.add_argument("--peak", type=float, default=3.0, help="busiest rate / the hour's mean")
    parser.add_argument("--rejudge", type=int, default=50_000)
    parser.add_argument("--host-cores", type=int, default=4, help="cores of a worker host")
    parser.add_argument("--utilisation", type=float, default=0.7, help="at the peak, at most")
    parser.add_argument("--sandbox-cpu", type=float, help="seconds of sandbox CPU per judged "
                        "submission, for a heavier problem mix than the bench's")  # fmt: skip
    args = parser.parse_args()
    runs = {run["workers"]: run for run in json.loads(Path(args.figures).read_text())}
    if set(runs) != {1, 2}:
        print("need one phase at 1 and one at 2 workers (bench/load.py --workers 1 2)")
        return 2
    check(runs)
    rush(runs[2], args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
