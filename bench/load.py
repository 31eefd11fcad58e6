"""Load benchmark of the scaled deployment (issue 13, Acceptance): students submitting at once.

Usage (as root, PostgreSQL and Redis from Debian's packages, as for ``make stack``)::

    .venv/bin/python bench/load.py                       # --students 24 --rounds 10 --workers 1 2

It starts a stack of its own with ``scripts/stack.py`` (the code of ``make stack``: PostgreSQL,
Redis, gunicorn with 2 processes, beat, one Celery worker) in ``.stack-load/`` on ports 8130,
5472 and 6419 (``--stack-dir``, ``--ports``), and stops it at the end (``--keep`` leaves it up).
The only setting that differs from ``make stack`` is the login rate (``COURSES_API_LOGIN_RATE``):
every simulated student logs in from 127.0.0.1, and 30 logins a minute from one address would
throttle the set-up, not the platform.

The workload, fixed: ``--students`` simulated students (enrolled in the demo course by the
set-up) each log in through the API (``POST /api/v1/auth/token/``), then, ``--rounds`` times
each, submit the reference solution of the demo problem **"Add two numbers"** (function-style
Python, ``add(a, b)``, 4 cases, the json checker) and poll the submission every second until it
has a verdict; then submit again. One async HTTP client (httpx) on loopback; the whole run is
bounded by ``--timeout``. For each worker concurrency in ``--workers`` (the one Celery worker is
restarted with ``-c N``: N judging processes), in the same run and on the same cores:

1. a warm-up submission per judging process (not counted);
2. the **bare** rate: the same program and cases judged directly through
   ``LocalSandboxBackend.run_batch`` and the problem's checker, in N processes at once (each
   with its own backend, as each judging process has), on the stack's own sandbox directory,
   the stack idle: ``--bare`` judgings, half just before the load and half just after (a burst
   of other work on a shared host then weighs on both sides of the ratio);
3. the load: CPU time of every process tree read from ``/proc/<pid>/stat`` before and after (the
   stack idle at both reads), then the students' rounds.

It prints judged submissions per second (server clock: first ``created_at`` to last
``judged_at``), the throughput divided by the bare rate, p50/p95 of submit-to-verdict (as the
student saw it, polling every second, and on the server clock) and of the queue wait (the staff
API's ``queue_wait_ms``; ``judging_time_ms`` too), and the CPU time per judged submission of each
process kind: web (gunicorn), worker (the Celery processes' own time), sandbox (everything the
judging processes started, live or reaped: the sandbox service, its supervisors, bubblewrap,
the harness, the code), PostgreSQL, Redis, beat and the load generator (this process). Target: the
platform's own CPU (web + worker + PostgreSQL + Redis) per judged submission <= the sandbox's.
``--json FILE`` writes the figures for ``docs/capacity.md``'s model (``bench/capacity.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import resource
import signal
import statistics
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from courses import demo  # noqa: E402
from courses.judging import checkers, python_compile, templates  # noqa: E402
from courses.judging.backends.local import LocalSandboxBackend  # noqa: E402
from courses.judging.types import Limits, Outcome, RunRequest  # noqa: E402
from scripts.stack import Stack, Worker  # noqa: E402

PROBLEM_TITLE = "Add two numbers"
PROBLEM = next(p for p in demo.PROBLEMS if p.title == PROBLEM_TITLE)
STUDENT = "load-student-{:03d}"
PASSWORD = "load-student-password"
WORKER = "load"
TICK = os.sysconf("SC_CLK_TCK")

# Run by `manage.py shell` in the stack's environment: N students enrolled (one password hash
# for all: set-up time, not the bench's), the problem's id and limits, the instructor's name.
SETUP = textwrap.dedent(
    """
    import json
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from courses.models import Course, Problem
    from courses.services.enrollments import enrollments_import
    User = get_user_model()
    names = [{template!r}.format(i) for i in range({count})]
    hashed = make_password({password!r})
    User.objects.bulk_create(
        [User(username=n, password=hashed, email=n + "@example.com") for n in names],
        ignore_conflicts=True,
    )
    course = Course.objects.get(slug={slug!r})
    enrollments_import(course=course, users=User.objects.filter(username__in=names))
    problem = Problem.objects.get(chapter__course=course, title={title!r})
    print(json.dumps({{"course": course.pk, "problem": problem.pk,
        "limits": [problem.time_limit_ms, problem.memory_limit_kb, problem.output_limit_kb]}}))
    """
)


# --- CPU accounting from /proc -------------------------------------------------------------------


@dataclass
class Proc:
    pid: int
    ppid: int
    pgrp: int
    start: int
    own: int  # utime + stime, ticks
    children: int  # cutime + cstime: reaped descendants, ticks


def processes() -> dict[int, Proc]:
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            text = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = text.rsplit(")", 1)[1].split()
        found[int(entry)] = Proc(
            pid=int(entry),
            ppid=int(fields[1]),
            pgrp=int(fields[2]),
            start=int(fields[19]),
            own=int(fields[11]) + int(fields[12]),
            children=int(fields[13]) + int(fields[14]),
        )
    return found


def host_busy_seconds() -> float:
    """CPU seconds the whole host has spent busy so far (every process, every core)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / TICK


def postmaster_pid(stack: Stack) -> int:
    return int((stack.pg_data / "postmaster.pid").read_text().split()[0])


def descendants(procs: dict[int, Proc], root: int) -> list[Proc]:
    """The live processes under ``root`` (not ``root`` itself), whatever their session."""
    children: dict[int, list[Proc]] = {}
    for proc in procs.values():
        children.setdefault(proc.ppid, []).append(proc)
    found, todo = [], list(children.get(root, []))
    while todo:
        proc = todo.pop()
        found.append(proc)
        todo.extend(children.get(proc.pid, []))
    return found


def tree_ticks(procs: dict[int, Proc], root: int | None) -> int:
    """CPU ticks of ``root`` and everything under it, live or reaped."""
    if root is None or root not in procs:
        return 0
    return sum(p.own + p.children for p in [procs[root], *descendants(procs, root)])


def cpu_by_kind(stack: Stack) -> dict[str, float]:
    """Seconds of CPU so far of each kind of process of the stack (and of this process).

    A process's ``own`` time plus its reaped descendants' (``children``) counts everything its
    tree did except what live descendants did: summing that over a tree's live processes counts
    each CPU second once. Trees by parentage, not process group: the sandbox service each judging
    process starts lives in a session of its own. Sandbox = everything under the judging (pool)
    processes, live (the service, its pre-started sandboxes) or reaped (their ``children``);
    worker = the Celery processes' own time.
    """
    procs = processes()
    ticks = {
        "web": tree_ticks(procs, stack.pid("web")),
        "worker": 0,
        "sandbox": 0,
        "postgres": tree_ticks(procs, postmaster_pid(stack)),
        "redis": tree_ticks(procs, stack.pid("redis")),
        "beat": tree_ticks(procs, stack.pid("beat")),
    }
    main = procs.get(stack.pid(f"worker-{WORKER}") or -1)
    if main is not None:
        ticks["worker"] += main.own + main.children  # its reaped pool processes, if any
        for pool in (p for p in procs.values() if p.ppid == main.pid):
            ticks["worker"] += pool.own
            ticks["sandbox"] += pool.children + sum(
                p.own + p.children for p in descendants(procs, pool.pid)
            )
    seconds = {kind: n / TICK for kind, n in ticks.items()}
    usage = resource.getrusage(resource.RUSAGE_SELF)
    seconds["load generator"] = usage.ru_utime + usage.ru_stime
    return seconds


def own_sandbox_seconds(stack: Stack) -> float:
    """CPU so far of the sandboxes of the bare runs: everything under this process's judging
    processes (not the stack's processes, which are this process's children too)."""
    procs = processes()
    stack_pids = {stack.pid(name) for name in ("web", "beat", "redis", f"worker-{WORKER}")}
    ticks = 0
    for judging in (p for p in procs.values() if p.ppid == os.getpid()):
        if judging.pid not in stack_pids:
            ticks += judging.children + sum(
                p.own + p.children for p in descendants(procs, judging.pid)
            )
    return ticks / TICK


# --- the bare rate -------------------------------------------------------------------------------


def bare_requests(limits: list[int]) -> list[RunRequest]:
    """The judging's own requests, built as ``code_executor.evaluate`` builds them."""
    time_ms, memory_kb, output_kb = limits
    run_limits = Limits(
        cpu_time_ms=time_ms,
        wall_time_ms=2 * time_ms + 1000,
        memory_kb=memory_kb,
        output_bytes=output_kb * 1024,
    )
    source = templates.wrap("python", PROBLEM.reference, entry_point=PROBLEM.entry_point)
    return [RunRequest("python", source, case.input.encode(), run_limits) for case in PROBLEM.cases]


def bare_judge_process(state_dir: str, limits: list[int], count: int, start_at: float) -> tuple:
    """In a process of its own, as a judging process: one backend (its own sandbox service),
    a first judging (start-up), then ``count`` judgings from ``start_at`` (wall clock)."""
    backend = LocalSandboxBackend(state_dir=state_dir)
    requests = bare_requests(limits)
    checker = checkers.get_checker(PROBLEM.checker)

    def judge() -> bool:
        results = [
            python_compile.postprocess("python", r, q.source)
            for r, q in zip(backend.run_batch(requests), requests, strict=True)
        ]
        return all(
            r.outcome == Outcome.OK and checker(case.expected_output.encode(), r.stdout)
            for r, case in zip(results, PROBLEM.cases, strict=True)
        )

    judge()
    time.sleep(max(0.0, start_at - time.time()))
    started = time.time()
    accepted = sum(judge() for _ in range(count))
    return started, time.time(), accepted


def bare_rate(stack: Stack, limits: list[int], concurrency: int, count: int) -> dict:
    """Judgings per second of the same program and cases through ``LocalSandboxBackend``, in
    ``concurrency`` processes at once (as many as the worker has judging processes, each with
    its own backend), with no web, queue or database; and the sandbox's CPU per judging."""
    share = count // concurrency
    start_at = time.time() + 10  # every process started and warmed up by then
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(concurrency, mp_context=context) as pool:
        futures = [
            pool.submit(bare_judge_process, str(stack.root / "sandbox"), limits, share, start_at)
            for _ in range(concurrency)
        ]
        time.sleep(max(0.0, start_at - time.time() - 0.3))
        before = own_sandbox_seconds(stack)
        outcomes = [future.result() for future in futures]
        settle(lambda: own_sandbox_seconds(stack))
        sandbox_cpu = own_sandbox_seconds(stack) - before
    done = share * concurrency
    accepted = sum(outcome[2] for outcome in outcomes)
    if accepted != done:
        raise RuntimeError(f"bare runs: {accepted} of {done} accepted")
    elapsed = max(o[1] for o in outcomes) - min(o[0] for o in outcomes)
    return {
        "count": done,
        "seconds": elapsed,
        "rate": done / elapsed,
        "sandbox_cpu_per_judging": sandbox_cpu / done,
    }


def combined(first: dict, second: dict) -> dict:
    count = first["count"] + second["count"]
    seconds = first["seconds"] + second["seconds"]
    sandbox = (
        first["sandbox_cpu_per_judging"] * first["count"]
        + second["sandbox_cpu_per_judging"] * second["count"]
    )
    return {
        "count": count,
        "seconds": seconds,
        "rate": count / seconds,
        "sandbox_cpu_per_judging": sandbox / count,
        "rates": [first["rate"], second["rate"]],
    }


# --- the students ---------------------------------------------------------------------------------


@dataclass
class Done:
    submission: int
    verdict: str
    submitted: float  # perf_counter before the POST
    seen: float  # perf_counter of the poll that saw the verdict
    polls: int


@dataclass
class Run:
    url: str
    problem: int
    tokens: list[str] = field(default_factory=list)


async def login(client: httpx.AsyncClient, username: str) -> str:
    answer = await client.post(
        "/api/v1/auth/token/", json={"username": username, "password": PASSWORD}
    )
    answer.raise_for_status()
    return answer.json()["token"]


async def student(client: httpx.AsyncClient, run: Run, token: str, rounds: int) -> list[Done]:
    headers = {"Authorization": f"Token {token}"}
    done = []
    body = {"language": "python", "code": PROBLEM.reference}
    for _ in range(rounds):
        submitted = time.perf_counter()
        answer = await client.post(
            f"/api/v1/problems/{run.problem}/submissions/", json=body, headers=headers
        )
        if answer.status_code not in (201, 202):
            raise RuntimeError(f"submit answered {answer.status_code}: {answer.text[:300]}")
        submission = answer.json()
        polls = 0
        while submission["status"] in ("pending", "judging"):
            await asyncio.sleep(1.0)
            polls += 1
            answer = await client.get(f"/api/v1/submissions/{submission['id']}/", headers=headers)
            answer.raise_for_status()
            submission = answer.json()
        done.append(
            Done(submission["id"], submission["status"], submitted, time.perf_counter(), polls)
        )
    return done


async def drive(run: Run, rounds: int, students: int, timeout: float) -> list[Done]:
    # Idle connections are dropped before gunicorn's keep-alive (5 s) closes them: reusing one
    # the server is closing at that moment fails the request (httpx.ReadError), a client's race.
    limits = httpx.Limits(
        max_connections=students + 4, max_keepalive_connections=students + 4, keepalive_expiry=2
    )
    async with httpx.AsyncClient(base_url=run.url, limits=limits, timeout=60) as client:
        tasks = [student(client, run, run.tokens[i], rounds) for i in range(students)]
        results = await asyncio.wait_for(asyncio.gather(*tasks), timeout)
    return [d for per_student in results for d in per_student]


async def login_all(url: str, count: int) -> list[str]:
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        return list(await asyncio.gather(*(login(client, STUDENT.format(i)) for i in range(count))))


async def staff_rows(url: str, ids: list[int]) -> list[dict]:
    """Each submission as the staff API shows it (queue wait, judging time, server times)."""
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        token = await client.post(
            "/api/v1/auth/token/", json={"username": "instructor", "password": "instructor"}
        )
        token.raise_for_status()
        headers = {"Authorization": f"Token {token.json()['token']}"}
        semaphore = asyncio.Semaphore(8)

        async def one(pk: int) -> dict:
            async with semaphore:
                answer = await client.get(f"/api/v1/staff/submissions/{pk}/", headers=headers)
                answer.raise_for_status()
                return answer.json()

        return list(await asyncio.gather(*(one(pk) for pk in ids)))


# --- profiles (--profile): py-spy on the web and judging processes during the load --------------


def start_profiles(stack: Stack, directory: Path, concurrency: int) -> list[subprocess.Popen]:
    """py-spy (collapsed stacks) on gunicorn and its workers, and on each judging process."""
    directory.mkdir(parents=True, exist_ok=True)
    group = stack.pid(f"worker-{WORKER}")
    pool = [p.pid for p in processes().values() if p.ppid == group and p.pgrp == group]
    targets = [("web", stack.pid("web"), ["--subprocesses"])]
    targets += [(f"judging{i}", pid, []) for i, pid in enumerate(pool)]
    spies = []
    for name, pid, extra in targets:
        out = directory / f"{name}-c{concurrency}.txt"
        argv = [str(Path(sys.executable).parent / "py-spy"), "record", "--nonblocking", "--gil",
                "-r", "100", "-f", "raw", "-o", str(out), "-p", str(pid), *extra]  # fmt: skip
        spies.append(subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    time.sleep(1)  # attached
    return spies


def stop_profiles(spies: list[subprocess.Popen]) -> None:
    for spy in spies:
        spy.send_signal(signal.SIGINT)
    for spy in spies:
        spy.wait(30)


def profile_summary(path: Path, top: int = 12) -> str:
    """Where the samples of a collapsed-stacks file went: the share of samples under each of
    the project's functions (inclusive) and of the libraries' top entry points from the
    project's code, and the functions the samples were in (self)."""
    inclusive: dict[str, int] = {}
    leaves: dict[str, int] = {}
    total = 0
    for line in path.read_text().splitlines():
        stack_text, _, count = line.rpartition(" ")
        samples = int(count)
        total += samples
        frames = stack_text.split(";")
        leaves[frames[-1]] = leaves.get(frames[-1], 0) + samples
        for frame in set(frames):
            if "(courses/" in frame or "(config/" in frame:
                inclusive[frame] = inclusive.get(frame, 0) + samples
    lines = [f"{path.name}: {total} samples (GIL held)"]
    for title, counts in (("in the project's functions", inclusive), ("self", leaves)):
        lines.append(f"  {title}:")
        for frame, samples in sorted(counts.items(), key=lambda kv: -kv[1])[:top]:
            lines.append(f"    {100 * samples / max(total, 1):5.1f}%  {frame}")
    return "\n".join(lines)


# --- one phase: one worker concurrency ----------------------------------------------------------


def wait_for_workers(stack: Stack, concurrency: int, timeout: float = 90) -> None:
    """Until the health check sees the restarted worker (its heartbeat names its lanes)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            health = httpx.get(f"{stack.url}/api/v1/health/", timeout=5).json()
            if not health.get("failing") or "workers" not in health["failing"]:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError("the worker did not report within 90 s")


def settle(read, quiet_s: float = 0.5, timeout_s: float = 15) -> None:
    """Until ``read()`` (CPU seconds of some processes) stops growing for ``quiet_s``: the
    sandboxes pre-started after the last run are up and waiting."""
    deadline = time.monotonic() + timeout_s
    last = read()
    while time.monotonic() < deadline:
        time.sleep(quiet_s)
        now = read()
        if now - last < 0.005:
            return
        last = now
    time.sleep(quiet_s)


def wait_idle(stack: Stack) -> None:
    """Until the judging processes and their sandboxes have stopped working."""
    settle(lambda: sum(cpu_by_kind(stack)[kind] for kind in ("worker", "sandbox")))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[round(q) - 1]


def parse_time(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def phase(stack: Stack, run: Run, concurrency: int, args: argparse.Namespace, limits) -> dict:
    worker = Worker(WORKER, ["live", "run", "bulk"], concurrency)
    stack.worker_stop(worker)
    stack.worker_start(worker)
    wait_for_workers(stack, concurrency)
    # Warm-up: every judging process imports, detects the sandbox and connects once.
    asyncio.run(drive(run, 1, concurrency, args.timeout))
    wait_idle(stack)
    # Half the bare judgings just before the load and half just after: a burst of other work on
    # a shared host then weighs on both sides of the ratio alike.
    bare_before = bare_rate(stack, limits, concurrency, args.bare // 2)
    wait_idle(stack)
    spies = start_profiles(stack, Path(args.profile), concurrency) if args.profile else []
    before, host_before = cpu_by_kind(stack), host_busy_seconds()
    started = time.perf_counter()
    done = asyncio.run(drive(run, args.rounds, args.students, args.timeout))
    wall = time.perf_counter() - started
    # What other work on the host took while the load ran (a shared host): the cores left.
    ours = sum(cpu_by_kind(stack).values()) - sum(before.values())
    others_cores = max(0.0, (host_busy_seconds() - host_before - ours) / wall)
    wait_idle(stack)
    after = cpu_by_kind(stack)
    stop_profiles(spies)
    bare_after = bare_rate(stack, limits, concurrency, args.bare // 2)
    bare = combined(bare_before, bare_after)
    rows = asyncio.run(staff_rows(run.url, [d.submission for d in done]))
    verdicts = {}
    for d in done:
        verdicts[d.verdict] = verdicts.get(d.verdict, 0) + 1
    judged = len(done)
    created = [parse_time(r["created_at"]) for r in rows]
    judged_at = [parse_time(r["judged_at"]) for r in rows]
    span = max(judged_at) - min(created)
    cpu = {kind: (after[kind] - before[kind]) / judged for kind in after}
    platform_cpu = sum(cpu[k] for k in ("web", "worker", "postgres", "redis"))
    return {
        "workers": concurrency,
        "students": args.students,
        "rounds": args.rounds,
        "judged": judged,
        "verdicts": verdicts,
        "wall_s": wall,
        "span_s": span,
        "throughput": judged / span,
        "bare": bare,
        "ratio": (judged / span) / bare["rate"],
        "latency_client_s": [d.seen - d.submitted for d in done],
        "latency_server_s": [j - c for c, j in zip(created, judged_at, strict=True)],
        "queue_wait_s": [r["queue_wait_ms"] / 1000 for r in rows],
        "judging_time_s": [r["judging_time_ms"] / 1000 for r in rows],
        "polls": sum(d.polls for d in done) / judged,
        "cpu_per_judged_s": cpu,
        "platform_cpu_per_judged_s": platform_cpu,
        "cpu_total_s": {kind: after[kind] - before[kind] for kind in after},
        "cores": os.cpu_count(),
        "others_cores": others_cores,
    }


def report(figures: dict) -> None:
    def ms(values: list[float]) -> str:
        p50, p95 = percentile(values, 50), percentile(values, 95)
        return f"p50 {1000 * p50:.0f} ms, p95 {1000 * p95:.0f} ms"

    bare = figures["bare"]
    cpu = figures["cpu_per_judged_s"]
    sandbox = cpu["sandbox"]
    print(f"\n== {figures['workers']} judging process(es): {figures['students']} students x "
          f"{figures['rounds']} rounds, {figures['judged']} judged {figures['verdicts']}, "
          f"{figures['wall_s']:.1f} s")  # fmt: skip
    span = figures["span_s"]
    print(f"throughput: {figures['throughput']:.2f} judged/s (server clock, {span:.1f} s)")
    before, after = bare["rates"]
    print(f"bare sandboxed judgings, {figures['workers']} at a time: {bare['rate']:.2f} /s "
          f"({bare['count']} in {bare['seconds']:.1f} s: {before:.2f} /s before the load, "
          f"{after:.2f} /s after; sandbox CPU {1000 * bare['sandbox_cpu_per_judging']:.1f} ms "
          "each)")  # fmt: skip
    print(f"throughput / bare rate: {figures['ratio']:.2f}")
    print(f"other work on the host meanwhile: {figures['others_cores']:.2f} of "
          f"{figures['cores']} cores")  # fmt: skip
    print(f"submit-to-verdict, as polled every second: {ms(figures['latency_client_s'])} "
          f"({figures['polls']:.1f} polls per submission)")  # fmt: skip
    print(f"submit-to-verdict, server clock:          {ms(figures['latency_server_s'])}")
    print(f"queue wait (staff API):                    {ms(figures['queue_wait_s'])}")
    print(f"judging time (staff API):                  {ms(figures['judging_time_s'])}")
    print("CPU per judged submission:")
    for kind, seconds in cpu.items():
        print(f"  {kind:>15}: {1000 * seconds:7.1f} ms")
    platform_cpu = figures["platform_cpu_per_judged_s"]
    verdict = "met" if platform_cpu <= sandbox else "NOT met"
    print(f"platform (web + worker + postgres + redis): {1000 * platform_cpu:.1f} ms vs sandbox "
          f"{1000 * sandbox:.1f} ms: ratio {platform_cpu / sandbox:.2f}, "
          f"target <= 1 {verdict}")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=24)
    # 10 rounds (240 judgings a phase, about 25 s): with 5, one phase's CPU per judging moved by
    # up to 20 % from run to run on a quiet host, and the capacity check with it.
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2],
                        help="judging processes of the Celery worker, a phase each")  # fmt: skip
    parser.add_argument("--bare", type=int, default=60, help="bare judgings per phase")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=600, help="seconds, per phase")
    parser.add_argument("--stack-dir", default=str(ROOT / ".stack-load"))
    parser.add_argument("--ports", default="8130,5472,6419", help="web,postgres,redis")
    parser.add_argument("--keep", action="store_true", help="leave the stack running")
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument("--profile", help="a directory: py-spy samples the web and judging "
                        "processes during each load (costs CPU: not for the figures)")  # fmt: skip
    args = parser.parse_args()
    web_port, pg_port, redis_port = (int(p) for p in args.ports.split(","))
    stack = Stack(
        root=Path(args.stack_dir),
        web_port=web_port,
        pg_port=pg_port,
        redis_port=redis_port,
        web_workers=args.web_workers,
        workers=[],
        settings={"COURSES_JUDGE_BACKEND": "local", "COURSES_API_LOGIN_RATE": "100000/min"},
    )
    print(f"machine: {platform.node()}, {os.cpu_count()} cores, kernel {platform.release()}, "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")  # fmt: skip
    print(f"problem: {PROBLEM_TITLE!r} (function-style Python, {len(PROBLEM.cases)} cases, "
          f"reference solution); stack {stack.url} in {stack.root}")  # fmt: skip
    try:
        stack.start()
        setup = json.loads(
            stack.manage(
                "shell", "-c",
                SETUP.format(template=STUDENT, count=args.students, password=PASSWORD,
                             slug=demo.COURSE["slug"], title=PROBLEM_TITLE),
            ).strip().splitlines()[-1]
        )  # fmt: skip
        run = Run(stack.url, setup["problem"])
        before = cpu_by_kind(stack)
        started = time.perf_counter()
        run.tokens = asyncio.run(login_all(stack.url, args.students))
        after = cpu_by_kind(stack)
        print(f"{args.students} logins in {time.perf_counter() - started:.1f} s, web CPU "
              f"{1000 * (after['web'] - before['web']) / args.students:.0f} ms each "
              "(password hashing; not counted below)")  # fmt: skip
        results = []
        for concurrency in args.workers:
            figures = phase(stack, run, concurrency, args, setup["limits"])
            report(figures)
            results.append(figures)
            for path in sorted(Path(args.profile or ".").glob(f"*-c{concurrency}.txt")):
                if args.profile:
                    print(profile_summary(path))
        print(f"\nload average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=1))
    finally:
        if not args.keep:
            stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
