"""The per-run supervisor: a small standalone program, one per sandboxed run.

Started by the backend as a fresh program (``/usr/bin/python3 -I -S supervisor.py --request-fd
N``), never forked from the multithreaded web or worker process: forking a threaded process and
running Python in the child can deadlock on locks held by other threads, and a fresh program starts
with a clean, small address space (``ru_maxrss`` of a fork would carry the worker's RSS).

Contract:
- fd ``N``: the request, one JSON object (see ``Request`` in ``sandbox.py``);
- fd 0: the program's stdin (a file; the backend passes a memfd), handed to bubblewrap as is;
- the uid lock fd named in the request is inherited so the uid stays locked for as long as this
  process lives, even if the worker that spawned it dies (the start-up sweep relies on that);
- stdout: one JSON header line, then exactly ``stdout_len`` bytes of the program's stdout and
  ``stderr_len`` bytes of its stderr. Exit status 0 unless the supervisor itself failed.

What it does (sandbox.md §5): becomes a child subreaper, creates the run's cgroups, forks; the
child joins the cgroups, sets rlimits, drops to the run's unprivileged uid and execs bubblewrap
with an empty environment; the parent reads stdout/stderr with caps, waits for bubblewrap to exit
(not for EOF), kills at the CPU/wall/output limits, then kills every process left in the cgroups,
reaps everything, reads the counters and removes the cgroups. It never touches the work directory.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import json
import math
import os
import resource
import select
import signal
import sys
import time

try:  # imported as a package module by the backend and the tests
    from . import cgroups
except ImportError:  # run as a standalone program with -I (no script dir on sys.path)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import cgroups  # type: ignore[no-redef]

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
TICK_S = 0.02
SANDBOX_PATH = "/usr/bin:/bin"
STATUS_FD = 4
SECCOMP_FD = 3


def _prctl(option: int, arg: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(option, ctypes.c_ulong(arg), 0, 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def bwrap_argv(req: dict) -> list[str]:
    """The bubblewrap command line: the whole filesystem and namespace policy in one place.

    No /etc, /home, /var, /root, /run, project or media directory is mounted: only /usr (read
    only, with the merged-/usr symlinks), a private /proc and /dev, a size-limited /tmp, the work
    directory at /box, and the read-only extras the language table names (real paths under /usr
    or language configuration directories).
    """
    argv = [
        req["bwrap"],
        "--unshare-all",
        "--unshare-user",
        "--disable-userns",
        "--die-with-parent",
        "--new-session",
        "--clearenv",
        "--setenv", "PATH", SANDBOX_PATH,
        "--setenv", "HOME", "/tmp",
        "--setenv", "LANG", "C.UTF-8",
        "--ro-bind", "/usr", "/usr",
        "--symlink", "usr/lib", "/lib",
        "--symlink", "usr/lib64", "/lib64",
        "--symlink", "usr/bin", "/bin",
        "--symlink", "usr/sbin", "/sbin",
    ]  # fmt: skip
    for src, dst in req.get("ro_binds", []):
        argv += ["--ro-bind", src, dst]
    argv += [
        "--proc", "/proc",
        "--dev", "/dev",
        "--size", str(req["tmp_bytes"]), "--tmpfs", "/tmp",
        "--bind" if req["box_writable"] else "--ro-bind", req["box"], "/box",
        "--chdir", "/box",
        "--json-status-fd", str(STATUS_FD),
    ]  # fmt: skip
    if req.get("seccomp_fd") is not None:
        argv += ["--seccomp", str(SECCOMP_FD)]
    if req.get("as_pid_1"):
        argv.append("--as-pid-1")
    return [*argv, "--", *req["argv"]]


def _set_rlimits(limits: dict) -> None:
    cpu = int(limits["cpu_s"])
    pairs = {
        resource.RLIMIT_CPU: (cpu, cpu + 1),
        resource.RLIMIT_FSIZE: (limits["fsize"], limits["fsize"]),
        resource.RLIMIT_NOFILE: (limits["nofile"], limits["nofile"]),
        resource.RLIMIT_CORE: (0, 0),
        resource.RLIMIT_STACK: (limits["stack"], limits["stack"]),
        resource.RLIMIT_MEMLOCK: (0, 0),
    }
    if limits.get("nproc"):
        pairs[resource.RLIMIT_NPROC] = (limits["nproc"], limits["nproc"])
    if limits.get("as"):
        pairs[resource.RLIMIT_AS] = (limits["as"], limits["as"])
    for which, value in pairs.items():
        resource.setrlimit(which, value)


def _exec_child(req: dict, cg, out_w: int, err_w: int, status_w: int) -> None:
    """In the forked child: join cgroups, rlimits, drop privileges, exec. Never returns."""
    try:
        if cg is not None:
            cg.attach(0)
        os.setsid()
        # Python ignores SIGPIPE and SIGXFSZ, and ignored signals survive exec: a C program
        # must get the default actions (SIGXFSZ at RLIMIT_FSIZE, SIGPIPE on a closed pipe).
        for sig in (signal.SIGPIPE, signal.SIGXFSZ):
            signal.signal(sig, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        # Arrange fds: 0 stdin (as inherited), 1/2 pipes, 3 seccomp, 4 status; nothing else.
        seccomp_src = req.get("seccomp_fd")
        sources = (("out", out_w), ("err", err_w), ("status", status_w), ("sc", seccomp_src))
        # Park every source above all of them first: the fds inherited from a busy worker can
        # have any number, and a copy must never land on a source not yet copied.
        high = max([100, *(fd for _, fd in sources if fd is not None)]) + 1
        moved = {}
        for name, fd in sources:
            if fd is not None:
                moved[name] = os.dup2(fd, high + len(moved), inheritable=True)
        os.dup2(moved["out"], 1)
        os.dup2(moved["err"], 2)
        os.dup2(moved["status"], STATUS_FD)
        if "sc" in moved:
            os.dup2(moved["sc"], SECCOMP_FD)
            os.lseek(SECCOMP_FD, 0, os.SEEK_SET)  # bwrap reads to EOF: rewind every run
        os.closerange(STATUS_FD + 1, 65536)
        if "sc" not in moved:
            os.closerange(SECCOMP_FD, SECCOMP_FD + 1)
        _set_rlimits(req["rlimits"])
        uid = req.get("uid")
        if uid is not None:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
        if req["mode"] == "none":
            os.chdir(req["box"])
            env = {"PATH": SANDBOX_PATH, "HOME": req["box"], "LANG": "C.UTF-8"}
            argv = list(req["argv"])
            os.execve(argv[0] if os.path.isabs(argv[0]) else os.path.join(req["box"], argv[0]),
                      argv, env)  # fmt: skip
        # An empty environment: bwrap's own pid-1 reaper keeps the environ it was started with,
        # and /proc/1/environ is readable inside (sandbox.md §3 #26); --clearenv is not enough.
        os.execve(req["bwrap"], bwrap_argv(req), {})
    except BaseException as exc:
        try:
            os.write(2, f"supervisor: cannot start sandbox: {exc!r}\n".encode())
        finally:
            os._exit(127)
    os._exit(127)


def _uid_processes(uid: int) -> list[int]:
    """Live processes of ``uid``.

    This program runs with ``-I -S`` and imports nothing of the project, hence its own copy of
    ``sweep._processes_by_uid``. Zombies are dead already: killing them again would only wait
    for whoever reaps them (here, ourselves, after the kill loop).
    """
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status", encoding="utf-8", errors="replace") as f:
                for line in f:
                    if line.startswith("State:") and line.split()[1] == "Z":
                        break
                    if line.startswith("Uid:"):
                        if int(line.split()[1]) == uid:
                            pids.append(int(entry))
                        break
        except (OSError, ValueError, IndexError):
            continue
    return pids


def _proc_cpu_ns(pids: list[int]) -> int:
    """utime+stime of live processes (rlimits mode has no cpuacct)."""
    ticks = 0
    hz = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
        except (OSError, ValueError, IndexError):
            continue
    return ticks * 1_000_000_000 // hz


class Capture:
    """A capped reader of one pipe: keeps the first ``cap`` bytes and counts the rest."""

    def __init__(self, fd: int, cap: int) -> None:
        self.fd = fd
        self.cap = cap
        self.chunks: list[bytes] = []
        self.kept = 0
        self.total = 0
        self.eof = False
        os.set_blocking(fd, False)

    def read(self) -> None:
        while not self.eof:
            try:
                data = os.read(self.fd, 1 << 20)
            except BlockingIOError:
                return
            if not data:
                self.eof = True
                return
            self.total += len(data)
            room = self.cap - self.kept
            if room > 0:
                self.chunks.append(data[:room])
                self.kept += min(room, len(data))

    @property
    def overflow(self) -> bool:
        return self.total > self.cap

    def data(self) -> bytes:
        return b"".join(self.chunks)


def supervise(req: dict) -> tuple[dict, bytes, bytes]:
    """Run one request to completion; returns (header, stdout, stderr)."""
    _prctl(PR_SET_CHILD_SUBREAPER, 1)
    cg = None
    if req.get("cgroup"):
        layout = cgroups.Layout.from_json(req["cgroup"]["layout"])
        cg = layout.run(req["cgroup"]["name"])
        cg.create(memory_bytes=req["memory_bytes"], pids=req["pids"])
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    # Fewer wake-ups for big outputs (the one-process harness sends all cases at once).
    with contextlib.suppress(OSError):
        fcntl.fcntl(out_r, fcntl.F_SETPIPE_SZ, 1 << 20)
    status_r, status_w = os.pipe()
    header: dict = {"killed": None}
    try:
        started = time.monotonic()
        pid = os.fork()
        if pid == 0:
            _exec_child(req, cg, out_w, err_w, status_w)
        for fd in (out_w, err_w, status_w):
            os.close(fd)
        out = Capture(out_r, req["stdout_cap"])
        err = Capture(err_r, req["stderr_cap"])
        status = Capture(status_r, 1 << 16)
        pidfd = os.pidfd_open(pid)
        wait_status = None
        cpu_limit_ns = req["cpu_ms"] * 1_000_000
        wall_limit_s = req["wall_ms"] / 1000
        uid = req.get("uid")
        # Without cpuacct: the CPU seen on live processes. A program killed inside bwrap's pid
        # namespace dies with its reaper, and its rusage never reaches ours.
        seen_cpu_ns = 0
        while wait_status is None:
            fds = [c.fd for c in (out, err, status) if not c.eof] + [pidfd]
            ready, _, _ = select.select(fds, [], [], TICK_S)
            for capture in (out, err, status):
                if capture.fd in ready:
                    capture.read()
            if out.overflow and header["killed"] is None:
                header["killed"] = "output"
            if pidfd in ready:
                _, wait_status = os.waitpid(pid, 0)
                break
            if header["killed"] is None:
                if time.monotonic() - started > wall_limit_s:
                    header["killed"] = "wall"
                elif cg is not None:
                    if cg.cpu_ns() > cpu_limit_ns:
                        header["killed"] = "cpu"
                elif uid is not None:
                    seen_cpu_ns = max(seen_cpu_ns, _proc_cpu_ns(_uid_processes(uid)))
                    if seen_cpu_ns > cpu_limit_ns:
                        header["killed"] = "cpu"
            if header["killed"] is not None:
                _kill_run(pid, cg, uid)
        wall_ns = int((time.monotonic() - started) * 1e9)
        _kill_run(None, cg, uid)
        _reap_all()
        # Every writer is dead now; what is left in the pipes is bounded by their capacity.
        for capture in (out, err, status):
            _drain(capture)
        os.close(pidfd)
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        header.update(
            setup_ok=b'"child-pid"' in status.data() or req["mode"] == "none",
            exit_code=os.waitstatus_to_exitcode(wait_status),
            wall_ns=wall_ns,
            stdout_len=out.kept,
            stderr_len=err.kept,
            stdout_total=out.total,
            stdout_truncated=out.overflow,
            stderr_truncated=err.overflow,
        )
        if cg is not None:
            header.update(
                cpu_ns=cg.cpu_ns(),
                peak_bytes=cg.peak_bytes(),
                oom_kills=cg.oom_kills(),
                pids_peak=cg.pids_peak(),
            )
        else:
            header.update(
                cpu_ns=max(seen_cpu_ns, int((usage.ru_utime + usage.ru_stime) * 1e9)),
                peak_bytes=usage.ru_maxrss * 1024,
                oom_kills=0,
            )
        if out.overflow and header["killed"] in (None, "output"):
            header["killed"] = "output"
        return header, out.data(), err.data()
    finally:
        for fd in (out_r, err_r, status_r):
            with contextlib.suppress(OSError):
                os.close(fd)
        if cg is not None:
            header["leftover"] = not cg.kill_all()
            header["cgroup_removed"] = cg.remove()


def _kill_run(pid: int | None, cg, uid: int | None) -> None:
    if pid is not None:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    if cg is not None:
        cg.kill_all()
    elif uid is not None:
        deadline = time.monotonic() + 5
        while (pids := _uid_processes(uid)) and time.monotonic() < deadline:
            for p in pids:
                with contextlib.suppress(OSError):
                    os.kill(p, signal.SIGKILL)
            time.sleep(0.001)


def _reap_all() -> None:
    """Reap every child and orphan adopted as subreaper (bwrap does not reap its pid 1)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            time.sleep(0.001)


def _drain(capture: Capture) -> None:
    deadline = time.monotonic() + 1.0
    while not capture.eof and time.monotonic() < deadline:
        select.select([capture.fd], [], [], 0.05)
        capture.read()


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[1] != "--request-fd":
        sys.stderr.write("usage: supervisor.py --request-fd N\n")
        return 2
    parent = os.getppid()
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the worker died before we armed PDEATHSIG
        return 3
    fd = int(argv[2])
    chunks = []
    while data := os.read(fd, 1 << 16):
        chunks.append(data)
    os.close(fd)
    req = json.loads(b"".join(chunks))
    lock_fd = req.get("lock_fd")
    if lock_fd is not None:
        os.set_inheritable(lock_fd, False)
    header, out, err = supervise(req)
    sys.stdout.buffer.write(json.dumps(header).encode() + b"\n" + out + err)
    sys.stdout.buffer.flush()
    return 0


def cpu_rlimit_seconds(cpu_ms: int) -> int:
    """Soft RLIMIT_CPU for a run: ceil(limit)+1 s (hard = soft+1), the cgroup poll kills first."""
    return math.ceil(cpu_ms / 1000) + 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
