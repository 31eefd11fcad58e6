"""The capacity model of ``docs/capacity.md``: checked against a load run, then sized for a rush.

Usage: ``.venv/bin/python bench/capacity.py FIGURES.json [--peak 3 ...]`` where the file is what
``bench/load.py --workers 1 2 --json FIGURES.json`` wrote (one run, both worker counts).

The model (``docs/capacity.md`` explains it). Judging is CPU work, in two parts measured by
``bench/load.py``: each judged submission costs ``J`` CPU-seconds (sandbox, worker, PostgreSQL,
Redis, beat) and each HTTP request ``R`` (the web process and, on the bench's host, the load
generator). A student who polls every second makes one request a second while waiting and
resubmits at once: ``N`` of them cost ``N·R`` of CPU each second whatever the throughput. So
on ``K`` free cores:

- ``X <= (K - N·R) / J`` (the cores), and
- ``X <= c / (t(c) + w)`` (the ``c`` judging processes: each is busy for the sandbox's wall time
  ``t(c)``, one bare judging with ``c`` at once, ``c / bare rate(c)``, the per-core judging rate
  measured in the same run, plus the worker's own CPU ``w``);
- submit-to-verdict: ``N / X`` on average (Little's law); the p95 adds one polling interval.

Checked without circularity: ``J``, ``R`` and ``w`` come from the *other* worker count's phase,
as multiples of that phase's bare judging CPU (the sandbox's CPU for one judging with no
platform around it: the per-core judging rate), applied to this phase's; ``t``, ``K`` (the
cores not taken by other work on the shared host during the load, from ``/proc/stat``) and the
bare judging CPU come from the phase itself: they describe the host at that moment (on a
shared VM the CPU time of the same work moves by 10-20 % from minute to minute), not the
platform.

Then the rush: ``--students`` × ``--submissions`` each in the last hour, ``--peak`` times the
hour's mean rate at its busiest, a rejudge of ``--rejudge``, worker hosts of ``--host-cores``;
``--sandbox-cpu`` replaces the bench problem's sandbox CPU by a heavier problem mix's. Queue
waits at the peak from Erlang's C formula (Poisson arrivals, exponential service: pessimistic
for judgings of nearly constant length).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

POLL_S = 1.0
PLATFORM = ("web", "worker", "postgres", "redis")


def costs(run: dict) -> tuple[float, float, float]:
    """``J`` (CPU per judged submission), ``R`` (CPU per request) and ``w`` of a phase, each in
    units of the phase's bare judging CPU (the sandbox's CPU for one judging, no platform)."""
    cpu = run["cpu_per_judged_s"]
    unit = run["bare"]["sandbox_cpu_per_judging"]
    judged = sum(cpu[kind] for kind in ("sandbox", "worker", "postgres", "redis", "beat"))
    per_request = (cpu["web"] + cpu["load generator"]) / (1 + run["polls"])
    return judged / unit, per_request / unit, cpu["worker"] / unit


def predict(run: dict, other: dict) -> tuple[float, float, float, tuple[float, ...]]:
    """Throughput, p95 submit-to-verdict, the free cores and ``J, R, w`` (seconds), for
    ``run``'s set-up, with the platform's costs measured in ``other``."""
    unit = run["bare"]["sandbox_cpu_per_judging"]
    judged, per_request, worker = (x * unit for x in costs(other))
    c, students = run["workers"], run["students"]
    free = run["cores"] - run["others_cores"]
    t = c / run["bare"]["rate"]
    throughput = min(c / (t + worker), (free - students * per_request) / judged)
    return throughput, students / throughput + POLL_S, free, (judged, per_request, worker)


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
    print("| judging processes | free cores K | J, R, w | throughput predicted | measured | "
          "error | p95 predicted | measured | error |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    for c, other in ((1, 2), (2, 1)):
        run = runs[c]
        throughput, latency, free, (judged, per_request, worker) = predict(run, runs[other])
        measured, measured_p95 = run["throughput"], p95(run["latency_client_s"])
        error, p95_error = throughput / measured - 1, latency / measured_p95 - 1
        print(f"| {c} | {free:.2f} | {1000 * judged:.0f}, {1000 * per_request:.1f}, "
              f"{1000 * worker:.0f} ms | {throughput:.2f}/s | {measured:.2f}/s | "
              f"{100 * error:+.0f} % | {latency:.2f} s | {measured_p95:.2f} s | "
              f"{100 * p95_error:+.0f} % |")  # fmt: skip


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
    if hosts > 1:  # one host fewer: what the utilisation margin buys
        fewer = (hosts - 1) * args.host_cores
        wait = erlang_c_wait(peak, per_core, fewer)
        backlog = (peak - fewer * per_core) * 600
        print(f"  with {hosts - 1} host(s): "
              + (f"mean wait {1000 * wait:.0f} ms" if backlog <= 0 else
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
