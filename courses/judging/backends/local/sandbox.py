"""One sandbox run seen from the worker: the request to the service, and its reply as results.

A sandbox runs one program (Python source run in forks of the runner, or an ``argv`` executed
per case) on one or more cases, one after the other, each under its own limits. The sandbox as a
whole gets limits that bound the worst case of all its cases (outer limits, enforced by its
supervisor and its cgroup): the runner's own memory and the cases' captured outputs on top of the
largest case, every case's CPU and wall time one after the other.
"""

from __future__ import annotations

import fcntl
import logging
import math
import os
from dataclasses import dataclass, field

from courses.judging.types import Limits, RunResult

from . import harness
from .boxes import Box
from .client import ServiceClient, ServiceFailed
from .harness_program import WALL_BACKSTOP, WIPE_MIN_CPU_S
from .isolation import FULL, RLIMITS, Isolation
from .uids import UidLease

logger = logging.getLogger(__name__)

#: The runner's own memory and the transient output of a case killed at its cap.
RUNNER_MEMORY_BYTES = 64 << 20
#: Start-up of the runner, fork and clean-up around each case.
SANDBOX_CPU_OVERHEAD_MS = 2000
SANDBOX_WALL_OVERHEAD_MS = 5000
CASE_WALL_OVERHEAD_MS = 100
WIPE_CPU_MS = int(WIPE_MIN_CPU_S * 1000)
#: bubblewrap's monitor and the runner count against the sandbox's process cap.
SANDBOX_PROCESSES = 3
REPORT_BYTES_PER_CASE = 1024
_SEALS = fcntl.F_SEAL_SEAL | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_WRITE


@dataclass
class Work:
    """What one sandbox must run."""

    stdins: list[bytes]
    limits: list[Limits]
    source: str = ""
    argv: list[str] | None = None  # None: Python source run by the runner itself
    #: The batch's box (compiled languages), else the sandbox's own box gets ``files``.
    box: Box | None = None
    lease: UidLease | None = None
    files: dict[str, bytes] = field(default_factory=dict)
    writable: bool = False
    ro_binds: list[tuple[str, str]] = field(default_factory=list)
    stdout_cap: int | None = None  # a compilation's log cap instead of the output limit
    as_init: bool = True
    filename: str = "/box/main.py"
    #: The end of the prelude of a Python ``source`` that is the launcher (``payload_parts``).
    prelude_end: str | None = None


def rlimit_cpu_seconds(cpu_ms: int) -> int:
    """Soft RLIMIT_CPU of a case: ceil(limit)+1 s; hard is soft+1 (the runner kills first)."""
    return math.ceil(cpu_ms / 1000) + 1


def _memfd(name: str, pieces: list[bytes], *, sealed: bool = False) -> int:
    """A memfd holding ``pieces`` one after the other; ``sealed``: nobody can change it any more
    (a payload)."""
    fd = os.memfd_create(name, os.MFD_CLOEXEC | (os.MFD_ALLOW_SEALING if sealed else 0))
    try:
        for piece in pieces:
            view = memoryview(piece)
            while view:
                view = view[os.write(fd, view) :]
        os.lseek(fd, 0, os.SEEK_SET)
        if sealed:
            fcntl.fcntl(fd, fcntl.F_ADD_SEALS, _SEALS)
    except BaseException:
        os.close(fd)
        raise
    return fd


@dataclass
class SharedCases:
    """One batch's cases, run by several sandboxes together (``share``).

    Every runner takes the next case nobody has taken from ``queue_fd`` (the read end of a pipe
    holding each case's index), so a sandbox that starts later or runs slower simply takes fewer
    cases, and the batch ends when its last case does: with halves cut in advance, it waited
    for the slower half. The payload, sealed, is built once for all of them.
    """

    payload_fd: int
    queue_fd: int

    def close(self) -> None:
        os.close(self.payload_fd)
        os.close(self.queue_fd)


def share(iso: Isolation, work: Work) -> SharedCases:
    """The payload and the case queue of ``work``.

    ``OSError`` when the queue cannot hold every index at once, which the caller answers by
    cutting the batch in advance: the queue is written before any runner reads it, and a pipe
    holds 64 KiB (16,384 cases) unless grown, or only 4 KiB for a user over
    ``pipe-user-pages-soft``, so a blocking write there would wait for ever.
    """
    records = b"".join(index.to_bytes(4, "big") for index in range(len(work.stdins)))
    read_fd, write_fd = os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK)
    try:
        if fcntl.fcntl(write_fd, fcntl.F_GETPIPE_SZ) < len(records):
            fcntl.fcntl(write_fd, fcntl.F_SETPIPE_SZ, len(records))
        view = memoryview(records)
        while view:
            view = view[os.write(write_fd, view) :]  # BlockingIOError: no room
        os.set_blocking(read_fd, True)  # the runners wait for nothing: it is all there
        payload_fd = _memfd("codecourses-payload", _payload(iso, work), sealed=True)
    except BaseException:
        os.close(read_fd)
        raise
    finally:
        os.close(write_fd)  # the runners read until the queue is empty and closed
    return SharedCases(payload_fd, read_fd)


def _payload(iso: Isolation, work: Work) -> list[bytes]:
    local = iso.mode in (FULL, RLIMITS)
    case_limits = [
        harness.case_limits(
            lim,
            stdout_cap=work.stdout_cap,
            local=local,
            address_space=iso.layout is None,
        )
        for lim in work.limits
    ]
    return harness.payload_parts(
        work.source,
        work.stdins,
        case_limits,
        raw=True,
        argv=work.argv,
        filename=work.filename,
        prelude_end=work.prelude_end,
    )


def sandbox_limits(iso: Isolation, work: Work) -> dict:
    """Outer limits of the sandbox: the worst case of all its cases, one after the other."""
    n = len(work.limits)
    out_caps = [work.stdout_cap or lim.output_bytes for lim in work.limits]
    captured = sum(cap + harness.STDERR_CAP_BYTES for cap in out_caps)
    largest = max(lim.memory_kb * 1024 + harness.MEMORY_SLACK_BYTES for lim in work.limits)
    processes = max(lim.processes for lim in work.limits)
    return {
        "memory_bytes": RUNNER_MEMORY_BYTES + largest + captured,
        "pids": processes + SANDBOX_PROCESSES,
        # A case's CPU up to its RLIMIT_CPU, then the wipe of what it left: up to what it has
        # left of its limit (within the first), or WIPE_MIN_CPU_S.
        "cpu_ms": sum(
            rlimit_cpu_seconds(lim.cpu_time_ms) * 1000 + WIPE_CPU_MS for lim in work.limits
        )
        + SANDBOX_CPU_OVERHEAD_MS,
        "wall_ms": sum(
            WALL_BACKSTOP * lim.wall_time_ms + CASE_WALL_OVERHEAD_MS + WIPE_CPU_MS
            for lim in work.limits
        )
        + SANDBOX_WALL_OVERHEAD_MS,
        "stdout_cap": captured + REPORT_BYTES_PER_CASE * n + 4096,
        "stderr_cap": harness.STDERR_CAP_BYTES,
        # Without a pids cgroup, as root: the uid is this sandbox's alone, cap its processes.
        "nproc": processes + SANDBOX_PROCESSES + 1 if iso.mode == RLIMITS and iso.switch_uid else 0,
    }


def run(
    client: ServiceClient, iso: Isolation, work: Work, shared: SharedCases | None = None
) -> list[RunResult | None]:
    """Run ``work`` in one sandbox; one result per case (None for a case of a ``shared`` batch
    that another sandbox took).

    ``harness.HarnessFailed`` when the runner did not report (the caller may retry the cases in
    sandboxes of their own); ``ServiceFailed`` (a ``JudgeError``) when the sandbox itself failed.
    With ``shared``, the limits are those of the whole batch: this sandbox may run all of it.
    A runner that could not empty a scratch mount after a case runs no case after it: the cases
    it did not run are None too, for the caller to run in fresh sandboxes.
    """
    limits = sandbox_limits(iso, work)
    request: dict = {
        "op": "run",
        "limits": limits,
        "box_writable": work.writable,
        "ro_binds": [list(pair) for pair in work.ro_binds],
        "as_init": work.as_init,
    }
    fds: list[int] = []
    try:
        if shared is None:
            fds.append(_memfd("codecourses-payload", _payload(iso, work), sealed=True))
        else:
            fds.extend([os.dup(shared.payload_fd), os.dup(shared.queue_fd)])
            request["queue"] = True
        if work.lease is not None:
            request.update(lease=True, uid=work.lease.uid)
            fds.append(os.dup(work.lease.fd))
        if work.box is not None:
            request["box"] = work.box.path
        else:
            request["files"] = list(work.files)
            fds.extend(_memfd("codecourses-file", [data]) for data in work.files.values())
        request["poolable"] = work.box is None and not work.ro_binds and work.as_init
        timeout = limits["wall_ms"] / 1000 + 30
        header, stdout, stderr = client.call(request, fds, timeout)
    finally:
        for fd in fds:
            os.close(fd)
    if header.get("error"):
        raise ServiceFailed("the sandbox could not run: " + header["error"])
    if header.get("leftover") or header.get("cgroup_removed") is False:
        raise ServiceFailed("the sandbox could not be torn down (processes or cgroups left)")
    if header.get("killed") or header.get("exit_code") != 0:
        raise harness.HarnessFailed(
            f"runner ended with {header.get('exit_code')} (killed: {header.get('killed')}): "
            + stderr.decode(errors="replace")[-500:]
        )
    report = harness.parse_report(stdout, len(work.stdins), shared=shared is not None)
    if report.stopped is not None:
        logger.warning(
            "sandbox runner stopped after %d case(s): %s", len(report.cases), report.stopped
        )
    if report.compile_error is not None:
        return [harness.compile_error_result(report.compile_error)] * len(work.stdins)
    results: list[RunResult | None] = [None] * len(work.stdins)
    for case in report.cases:
        index = case["index"]
        lim = work.limits[index]
        results[index] = harness.case_result(
            case,
            lim,
            stdout_cap=work.stdout_cap,
            file_size=harness.file_size_limit(
                lim.output_bytes if work.stdout_cap is None else work.stdout_cap
            ),
        )
    return results


def batch_chunks(count: int, parallel: int, min_per_chunk: int) -> list[list[int]]:
    """Cut ``count`` cases into consecutive chunks: one unless there are many."""
    chunks_count = max(1, min(parallel, count // min_per_chunk))
    size, extra = divmod(count, chunks_count)
    chunks, start = [], 0
    for number in range(chunks_count):
        end = start + size + (1 if number < extra else 0)
        chunks.append(list(range(start, end)))
        start = end
    return [c for c in chunks if c]
