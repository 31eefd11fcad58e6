"""One sandboxed run: build the supervisor's request, spawn it as a fresh program, read its reply.

This is the only place that starts the supervisor. It is safe to call from many threads at
once: each call has its own uid lease, memfds and pipes, and ``subprocess`` spawns a new
program (no Python runs between fork and exec).
"""

from __future__ import annotations

import json
import math
import os
import secrets
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from courses.judging.errors import JudgeError

from .isolation import FULL, NONE, Isolation
from .seccomp import filter_memfd
from .uids import UidLease

SUPERVISOR = str(Path(__file__).with_name("supervisor.py"))
#: The cgroup limit is the memory limit plus this much (sandbox.md §5.5): room for bwrap itself.
MEMORY_SLACK_BYTES = 8 << 20
TMP_BYTES = 64 << 20
FSIZE_BYTES = 16 << 20
NOFILE = 256
#: bwrap's own processes (monitor, pid-1 reaper) count against pids.max and RLIMIT_NPROC.
BWRAP_PROCESSES = 3
SUPERVISOR_GRACE_S = 15


@dataclass
class Spec:
    """Everything about one run, in absolute numbers."""

    argv: list[str]
    box: str
    box_writable: bool
    cpu_ms: int
    wall_ms: int
    memory_bytes: int
    processes: int
    stdout_cap: int
    stderr_cap: int
    rlimit_cpu_s: int
    nofile: int = NOFILE
    fsize: int = FSIZE_BYTES
    as_pid_1: bool = False
    ro_binds: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class RawRun:
    header: dict
    stdout: bytes
    stderr: bytes

    @property
    def killed(self) -> str | None:
        return self.header.get("killed")


def rlimit_cpu_seconds(cpu_ms: int) -> int:
    """Soft RLIMIT_CPU: ceil(limit)+1 s; hard is soft+1 (SIGKILL for who ignores SIGXCPU)."""
    return math.ceil(cpu_ms / 1000) + 1


def _memfd(name: str, data: bytes) -> int:
    fd = os.memfd_create(name, os.MFD_CLOEXEC)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.lseek(fd, 0, os.SEEK_SET)
    except BaseException:
        os.close(fd)
        raise
    return fd


def execute(iso: Isolation, spec: Spec, stdin: bytes, lease: UidLease | None) -> RawRun:
    """Run ``spec`` in the sandbox with ``stdin``; raise ``JudgeError`` if the sandbox failed."""
    cgroup = None
    if iso.layout is not None and lease is not None:
        cgroup = {
            "layout": iso.layout.to_json(),
            "name": f"u{lease.uid}-{secrets.token_hex(6)}",
        }
    use_uid = iso.switch_uid and lease is not None and iso.mode != NONE
    seccomp_fd = filter_memfd() if iso.mode != NONE else None
    request = {
        "mode": iso.mode,
        "bwrap": iso.bwrap,
        "argv": spec.argv,
        "box": spec.box,
        "box_writable": spec.box_writable,
        "ro_binds": spec.ro_binds,
        "uid": lease.uid if use_uid else None,
        "cgroup": cgroup,
        "memory_bytes": spec.memory_bytes,
        "pids": spec.processes + BWRAP_PROCESSES,
        "rlimits": {
            "cpu_s": spec.rlimit_cpu_s,
            "fsize": spec.fsize,
            "nofile": spec.nofile,
            "nproc": spec.processes + BWRAP_PROCESSES if use_uid else 0,
            "stack": spec.memory_bytes,
            "as": None if iso.mode == FULL else spec.memory_bytes + (64 << 20),
        },
        "cpu_ms": spec.cpu_ms,
        "wall_ms": spec.wall_ms,
        "stdout_cap": spec.stdout_cap,
        "stderr_cap": spec.stderr_cap,
        "tmp_bytes": TMP_BYTES,
        "as_pid_1": spec.as_pid_1,
        "seccomp_fd": seccomp_fd,
        "lock_fd": lease.fd if lease is not None else None,
    }
    request_fd = _memfd("codecourses-request", json.dumps(request).encode())
    stdin_fd = _memfd("codecourses-stdin", stdin)
    pass_fds = [request_fd] + [fd for fd in (seccomp_fd, request["lock_fd"]) if fd is not None]
    try:
        proc = subprocess.Popen(
            [iso.python, "-I", "-S", SUPERVISOR, "--request-fd", str(request_fd)],
            stdin=stdin_fd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=pass_fds,
            env={},
            close_fds=True,
        )
    finally:
        for fd in [request_fd, stdin_fd, *([seccomp_fd] if seccomp_fd is not None else [])]:
            os.close(fd)
    try:
        out, err = proc.communicate(timeout=spec.wall_ms / 1000 + SUPERVISOR_GRACE_S)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        _cleanup_cgroup(iso, cgroup)
        raise JudgeError("the sandbox supervisor did not finish in time") from None
    if proc.returncode != 0:
        _cleanup_cgroup(iso, cgroup)
        raise JudgeError(
            f"the sandbox supervisor failed (exit {proc.returncode}): "
            + err.decode(errors="replace")[-2000:]
        )
    head, sep, body = out.partition(b"\n")
    try:
        header = json.loads(head)
        n_out, n_err = header["stdout_len"], header["stderr_len"]
    except (ValueError, KeyError, TypeError) as exc:
        raise JudgeError(f"unreadable reply from the sandbox supervisor: {exc}") from exc
    if not sep or len(body) != n_out + n_err:
        raise JudgeError("truncated reply from the sandbox supervisor")
    if header.get("leftover") or header.get("cgroup_removed") is False:
        raise JudgeError("the sandbox could not be torn down (processes or cgroups left)")
    return RawRun(header, body[:n_out], body[n_out:])


def _cleanup_cgroup(iso: Isolation, cgroup: dict | None) -> None:
    if iso.layout is None or cgroup is None:
        return
    run = iso.layout.run(cgroup["name"])
    run.kill_all()
    run.remove()


def signal_of(raw: RawRun, mode: str | None) -> tuple[int | None, int | None]:
    """(exit_code, signal) of the program from bwrap's exit status.

    bwrap exits with 128+signal when its child was killed by one; a program calling
    ``exit(137)`` is indistinguishable from SIGKILL there, which is why MLE comes from the cgroup's
    OOM counter and never from this number. A negative status means we killed bwrap itself.
    """
    code = raw.header["exit_code"]
    if code < 0:
        return None, -code
    if code > 128 and mode != NONE:
        return None, code - 128
    return code, None
