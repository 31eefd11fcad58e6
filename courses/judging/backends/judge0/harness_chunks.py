"""Many Python cases in one Judge0 submission: the local backend's one-process harness.

Judge0 compiles and starts a fresh box for every submission (hundreds of milliseconds each, and a
batch of N cases costs N of them; research/judge0-api.md §7 item 2). The harness program runs all
cases of a chunk in one submission, each in a fresh fork, measured and limited per case by the
harness itself, and prints one JSON report.

Chunk sizing is worst-case: a chunk's cases, each using its whole CPU and wall limits and
printing its whole output cap, still fit the deployment's maxima (``/config_info``; by default
15 s CPU, 20 s wall, 4096 KB of stdout), so a chunk can only fail for a reason that also needs
the fallback. The report carries
every case's stdout and stderr in base64, capped by the harness (output limit, 64 KB of stderr).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from courses.judging.backends.local import harness as _harness
from courses.judging.types import Limits, RunRequest, RunResult

from .protocol import Deployment, Submission, limit_fields

#: Start-up of the harness (interpreter, payload decoding), once per chunk.
CHUNK_CPU_OVERHEAD_MS = 1000
CHUNK_WALL_OVERHEAD_MS = 1500
#: Fork, measurement and clean-up around each case, on top of the case's own limits.
CASE_CPU_OVERHEAD_MS = 50
CASE_WALL_OVERHEAD_MS = 100
#: The harness parent's own memory, on top of one case's cgroup-sized limit.
PARENT_MEMORY_KB = 64 * 1024
#: A chunk split off for parallelism carries at least this many cases.
MIN_CASES_PER_CHUNK = 8
#: JSON keys and numbers of one case in the report.
CASE_REPORT_OVERHEAD_BYTES = 512
#: Room left in the output file for the report's own JSON.
REPORT_SLACK_BYTES = 4096


@dataclass(frozen=True)
class HarnessChunk:
    indices: tuple[int, ...]
    limits: Limits
    program: str
    #: Judge0 limit fields for the whole submission.
    fields: dict


def _b64_len(size: int) -> int:
    return 4 * math.ceil(size / 3)


def _case_costs(limits: Limits) -> tuple[int, int, int]:
    cpu = limits.cpu_time_ms + CASE_CPU_OVERHEAD_MS
    wall = limits.wall_time_ms + CASE_WALL_OVERHEAD_MS
    report = (
        _b64_len(limits.output_bytes)
        + _b64_len(_harness.STDERR_CAP_BYTES)
        + CASE_REPORT_OVERHEAD_BYTES
    )
    return cpu, wall, report


def _box_memory_kb(limits: Limits) -> int:
    slack = _harness.MEMORY_SLACK_BYTES // 1024
    return limits.memory_kb + slack + PARENT_MEMORY_KB


def _max_per_chunk(limits: Limits, deployment: Deployment) -> int:
    """How many cases with these limits fit one submission in the worst case (0: not even one)."""
    if _box_memory_kb(limits) > deployment.max_memory_kb:
        return 0
    if limits.processes + 4 > deployment.max_processes:
        return 0
    cpu, wall, report = _case_costs(limits)
    cpu_budget = int(deployment.max_cpu_time_s * 1000) - CHUNK_CPU_OVERHEAD_MS
    wall_budget = int(deployment.max_wall_time_s * 1000) - CHUNK_WALL_OVERHEAD_MS
    stdout_budget = deployment.max_file_size_kb * 1024 - REPORT_SLACK_BYTES
    return max(0, min(cpu_budget // cpu, wall_budget // wall, stdout_budget // report))


def plan_harness_chunks(
    requests: Sequence[RunRequest], deployment: Deployment, *, parallelism: int = 1
) -> list[HarnessChunk]:
    """Split a batch into worst-case-safe chunks of consecutive cases sharing their limits.

    A run of cases that needs k chunks is cut into k chunks of (nearly) equal size: the chunks
    run in parallel on Judge0's workers, so the batch takes as long as its largest chunk.
    ``parallelism`` asks for at least that many chunks when each still gets
    ``MIN_CASES_PER_CHUNK`` cases: latency traded for a few more Judge0 submissions.
    Cases that cannot fit a chunk even alone are left out; the caller runs them one by one.
    """
    if not requests:
        return []
    source = requests[0].source
    runs: list[list[int]] = []
    for index, request in enumerate(requests):
        if _max_per_chunk(request.limits, deployment) < 1:
            continue
        if runs and runs[-1][-1] == index - 1 and requests[index - 1].limits == request.limits:
            runs[-1].append(index)
        else:
            runs.append([index])
    groups: list[list[int]] = []
    for run in runs:
        count = math.ceil(len(run) / _max_per_chunk(requests[run[0]].limits, deployment))
        count = max(count, min(parallelism, len(run) // MIN_CASES_PER_CHUNK))
        size, extra = divmod(len(run), count)
        start = 0
        for number in range(count):
            end = start + size + (1 if number < extra else 0)
            groups.append(run[start:end])
            start = end
    chunks = []
    for group in groups:
        if len(group) < 2:
            continue  # one case gains nothing from the harness
        limits = requests[group[0]].limits
        cpu, wall, _ = _case_costs(limits)
        program = _harness.build_harness_program(source, [requests[i].stdin for i in group], limits)
        fields = limit_fields(
            limits,
            deployment,
            cpu_ms=CHUNK_CPU_OVERHEAD_MS + cpu * len(group),
            wall_ms=CHUNK_WALL_OVERHEAD_MS + wall * len(group),
            memory_kb=_box_memory_kb(limits),
        )
        fields["max_file_size"] = deployment.max_file_size_kb
        fields["max_processes_and_or_threads"] = limits.processes + 4
        chunks.append(HarnessChunk(tuple(group), limits, program, fields))
    return chunks


def read_harness_chunk(chunk: HarnessChunk, submission: Submission) -> list[RunResult] | None:
    """The chunk's per-case results, or None when the chunk must fall back to one run per case.

    Only a failure of the harness itself falls back (killed, over its limits, an unreadable
    report). Judge0's own failures (status 13, 14) never reach here: they are infrastructure
    failures, and running every case again on a broken host would multiply them.
    """
    if submission.status_id != 3:  # the harness itself must have exited cleanly
        return None
    try:
        report = _harness.parse_report(submission.stdout, len(chunk.indices))
        if report.compile_error is not None:
            return [_harness.compile_error_result(report.compile_error)] * len(chunk.indices)
        return [_harness.case_result(case, chunk.limits) for case in report.cases]
    except _harness.HarnessFailed:
        return None
