"""One sandbox from start to teardown: run by a supervisor process the sandbox service forks.

Stdlib only, no package-relative imports: it runs inside the standalone service (``service.py``,
started as ``python3 -I -S``), never in the multithreaded worker.

Life of a sandbox (sandbox.md §5, issue 11):
1. ``Sandbox.start``: lease a uid (or use the batch's), make its box (or use the batch's), create
   its cgroups, fork a child that joins them, resets every resource limit and scheduling setting
   it could inherit, drops to the uid and executes bubblewrap with an empty environment; inside,
   the runner (``harness_program.py``) is pid 1 (``--as-pid-1``): a non-dumpable init that no case
   can signal, trace or write. The runner says ``ready`` once started.
   A pre-started sandbox stops here and waits (the service's pool) until it is given work.
2. ``Sandbox.run``: apply the request's limits, write the request's files into its own box, hand
   the payload (a memfd) to the runner, then watch it: outputs read with caps, an outer wall clock,
   CPU and output budget for the whole sandbox (each case has its own limits inside the runner).
3. ``Sandbox.close``: kill every process left (cgroup), reap, read the counters, remove cgroups
   and box, release the uid. Runs on every path, also when the service tells it to stop (SIGTERM:
   the worker died) or dies (``PR_SET_PDEATHSIG`` = SIGTERM).

Reply to the worker (on the request's reply socket): one JSON header line, then ``stdout_len``
bytes of the runner's stdout (its report) and ``stderr_len`` bytes of its stderr.
"""

from __future__ import annotations

import array
import contextlib
import ctypes
import fcntl
import json
import os
import resource
import select
import signal
import socket
import time

try:  # imported as a package module by tests, by path by the standalone service
    from . import cgroups, uids
    from .boxes import Box, remove_box
except ImportError:
    import cgroups  # type: ignore[no-redef]
    import uids  # type: ignore[no-redef]
    from boxes import Box, remove_box  # type: ignore[no-redef]

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
TICK_S = 0.02
SANDBOX_PATH = "/usr/bin:/bin"
#: Where things sit in the sandboxed child before bubblewrap runs.
CONTROL_FD, OUT_FD, ERR_FD, SECCOMP_FD, BOX_FD, RUNNER_FD = 0, 1, 2, 3, 4, 5
CGROUP_FDS = {"limit": 6, "peak": 7, "usage": 8, "events": 9, "cpu": 10}
TMP_BYTES = 64 << 20
SHM_BYTES = 64 << 20
#: The runner's own limits (each case lowers them for itself).
RUNNER_NOFILE = 4096
RUNNER_FSIZE = 1 << 30
READY_TIMEOUT_S = 30
#: Set as root, so that it is also the lowest a case can go back to (it cannot go below it).
RUNNER_OOM_SCORE_ADJ = -999
#: Resource limits every sandbox gets whatever the worker has (issue 11 gap 10).
STATIC_RLIMITS = {
    "RLIMIT_CORE": 0,
    "RLIMIT_MEMLOCK": 0,
    "RLIMIT_MSGQUEUE": 0,
    "RLIMIT_RTPRIO": 0,
    "RLIMIT_RTTIME": 0,
    "RLIMIT_NICE": 0,
    "RLIMIT_SIGPENDING": 1024,
}


class SandboxFailed(Exception):
    """The sandbox could not be prepared or did not behave; the message says why."""


class Stopped(BaseException):
    """SIGTERM: the service wants every sandbox torn down now (its worker is gone)."""


def _prctl(option: int, arg: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(option, ctypes.c_ulong(arg), 0, 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def _on_sigterm(signum, frame):
    raise Stopped()


@contextlib.contextmanager
def stop_deferred():
    """SIGTERM waits for the end of the block, then raises ``Stopped`` as usual.

    Around everything ``start`` creates: a ``Stopped`` raised between making a thing (a box's
    directory, a child) and recording it on the ``Sandbox`` would leave it where ``close``
    cannot find it, and the uid lock, released when the supervisor exits, would no longer say
    that it is in use (the start-up sweep of some later service would be the first to see it).
    """
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})


def arm_stop_signal() -> None:
    """In a supervisor: SIGTERM tears the sandbox down, and the service's death sends it."""
    signal.signal(signal.SIGTERM, _on_sigterm)
    parent = os.getppid()
    _prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:
        raise Stopped()


def bwrap_argv(
    cfg: dict, box_writable: bool, ro_binds: list, runner_config: dict, as_init: bool = True
) -> list[str]:
    """The bubblewrap command line: the whole filesystem and namespace policy in one place.

    No /etc, /home, /var, /root, /run, project or media directory is mounted: only /usr (read
    only, with the merged-/usr symlinks), a private /proc, a read-only /dev with a sized /dev/shm,
    a sized /tmp, the box at /box (given as an fd), and the read-only extras the language table
    names. The root itself is read-only: nothing written outside /tmp, /dev/shm (and a compile's
    box) can persist from one case to the next.
    """
    argv = [
        cfg["bwrap"],
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
    for src, dst in ro_binds:
        argv += ["--ro-bind", src, dst]
    argv += [
        "--proc", "/proc",
        "--dev", "/dev",
        "--size", str(SHM_BYTES), "--tmpfs", "/dev/shm",
        "--remount-ro", "/dev",
        "--size", str(TMP_BYTES), "--tmpfs", "/tmp",
        "--bind-fd" if box_writable else "--ro-bind-fd", str(BOX_FD), "/box",
        "--remount-ro", "/",
        "--chdir", "/box",
        "--seccomp", str(SECCOMP_FD),
    ]  # fmt: skip
    if as_init:  # the runner is the namespace's init; off only in tests of the fallback path
        argv.append("--as-pid-1")
    return [*argv, "--", *runner_argv(cfg, runner_config)]


def runner_argv(cfg: dict, runner_config: dict) -> list[str]:
    return [
        cfg["python"], "-S", "-B", f"/proc/self/fd/{RUNNER_FD}",
        "--local", json.dumps(runner_config, separators=(",", ":")),
    ]  # fmt: skip


def _memfd(name: str, data: bytes) -> int:
    fd = os.memfd_create(name, os.MFD_CLOEXEC)
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def _set_rlimits(limits: dict) -> None:
    for name, value in STATIC_RLIMITS.items():
        which = getattr(resource, name, None)
        if which is not None:
            resource.setrlimit(which, (value, value))
    pairs = {
        resource.RLIMIT_NOFILE: RUNNER_NOFILE,
        resource.RLIMIT_FSIZE: RUNNER_FSIZE,
        resource.RLIMIT_STACK: 8 << 20,
    }
    if limits.get("nproc"):
        pairs[resource.RLIMIT_NPROC] = limits["nproc"]
    for which, value in pairs.items():
        hard = resource.getrlimit(which)[1]
        if hard != resource.RLIM_INFINITY:  # raising a hard limit needs CAP_SYS_RESOURCE
            value = min(value, hard)
        resource.setrlimit(which, (value, value))
    # CPU, address space and data are per case (the runner sets them); none for the runner.
    for which in (resource.RLIMIT_CPU, resource.RLIMIT_AS, resource.RLIMIT_DATA):
        # An unprivileged worker cannot raise a hard limit it was given: then it stays.
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(which, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))


def reset_scheduling() -> None:
    """Nice 0 and the normal policy, whatever the worker runs with (only root can lower nice)."""
    with contextlib.suppress(OSError, AttributeError):
        os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, 0, 0)


def _arrange_fds(wanted: dict[int, int]) -> None:
    """Make ``wanted[target] = source`` hold, then close everything else.

    Every source is first parked above all targets and sources: the fds inherited from a busy
    worker can have any number, and a copy must never land on a source not yet copied.
    """
    high = max([64, *wanted.keys(), *wanted.values()]) + 1
    parked = {}
    for target, source in wanted.items():
        parked[target] = os.dup2(source, high + len(parked), inheritable=True)
    for target, source in parked.items():
        os.dup2(source, target, inheritable=True)
    keep = set(wanted)
    for fd in range(0, max(keep) + 1):
        if fd not in keep:
            with contextlib.suppress(OSError):
                os.close(fd)
    os.closerange(max(keep) + 1, 65536)


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


class Sandbox:
    """One sandbox: ``start`` (maybe long before the work arrives), ``run``, ``close``."""

    def __init__(self, cfg: dict) -> None:
        self.cfg = cfg
        self.lease = None
        self.own_lease = False
        self.box = None
        self.own_box = False
        self.cg = None
        self.pid = None
        self.pidfd = None
        self.control = None
        self.out = self.err = None
        self.ready = False
        self.closed: dict | None = None

    # -- 1. start -----------------------------------------------------------------------------
    def start(self, request: dict | None, lease_fd: int | None, box_fd_path: str | None) -> None:
        """Prepare and start the sandbox up to the runner's ``ready`` (``request`` None: pool)."""
        with stop_deferred():
            self._launch(request, lease_fd, box_fd_path)
        self._wait_ready()

    def _launch(self, request: dict | None, lease_fd: int | None, box_fd_path: str | None) -> None:
        """Lease, box, cgroups, pipes and the bubblewrap child, each recorded as it is made."""
        cfg = self.cfg
        request = request or {}
        if lease_fd is not None:
            self.lease = uids.UidLease(int(request["uid"]), lease_fd)
        else:
            try:
                self.lease = uids.acquire(cfg["lock_dir"], cfg["uids"])
            except uids.UidsExhausted as exc:
                raise SandboxFailed(str(exc)) from exc
            self.own_lease = True
        switch = cfg["switch_uid"]
        uid = self.lease.uid if switch else None
        if box_fd_path is not None:
            self.box_path = box_fd_path
        else:
            self.box = Box(cfg["boxes_dir"], self.lease.uid, owner=uid)
            self.box_path = self.box.path
            self.own_box = True
        limits = request.get("limits") or cfg["pool_limits"]
        runner_config: dict = {
            "control_fd": CONTROL_FD,
            "close": [BOX_FD, RUNNER_FD, SECCOMP_FD],
            "scratch": ["/tmp", "/dev/shm"] if cfg["mode"] != "none" else [],
            "count_tmpfs": cfg["layout"] is None and cfg["mode"] != "none",
            "wall_excludes_wait": True,
        }
        cg_fds = None
        if cfg["layout"] is not None:
            layout = cgroups.Layout.from_json(cfg["layout"])
            self.cg = layout.run(f"u{self.lease.uid}-{os.urandom(6).hex()}")
            try:
                self.cg.create(memory_bytes=limits["memory_bytes"], pids=limits["pids"])
                cg_fds = self.cg.open_runner_fds()
            except cgroups.CgroupError as exc:
                raise SandboxFailed(str(exc)) from exc
            runner_config["cgroup"] = {"version": cg_fds["version"], **CGROUP_FDS}
        control_parent, control_child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        with contextlib.suppress(OSError):  # fewer wake-ups for big reports
            fcntl.fcntl(out_r, fcntl.F_SETPIPE_SZ, 1 << 20)
        box_fd = os.open(self.box_path, os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
        seccomp_fd = _memfd("seccomp", cfg["seccomp"]) if cfg["mode"] != "none" else None
        runner_fd = _memfd("runner", cfg["runner"])
        wanted = {CONTROL_FD: control_child.fileno(), OUT_FD: out_w, ERR_FD: err_w,
                  BOX_FD: box_fd, RUNNER_FD: runner_fd}  # fmt: skip
        if seccomp_fd is not None:
            wanted[SECCOMP_FD] = seccomp_fd
        if cg_fds is not None:
            wanted.update({CGROUP_FDS[role]: cg_fds[role] for role in CGROUP_FDS})
        writable = bool(request.get("box_writable"))
        ro_binds = request.get("ro_binds", [])
        if cfg["mode"] == "none":
            runner_config["close"] = [BOX_FD, RUNNER_FD]
            argv = runner_argv(cfg, runner_config)
        else:
            argv = bwrap_argv(cfg, writable, ro_binds, runner_config, request.get("as_init", True))
        try:
            self.pid = os.fork()
            if self.pid == 0:
                self._exec_child(argv, wanted, limits, uid)
        finally:
            for fd in (out_w, err_w, box_fd, runner_fd, *([seccomp_fd] if seccomp_fd else [])):
                os.close(fd)
            control_child.close()
            for role, fd in (cg_fds or {}).items():
                if role != "version":
                    os.close(fd)
        self.control = control_parent
        self.pidfd = os.pidfd_open(self.pid)
        self.out = Capture(out_r, 1 << 16)
        self.err = Capture(err_r, 64 << 10)

    def _exec_child(self, argv, wanted, limits, uid) -> None:
        """In the forked child: cgroups, limits, fds, uid, exec. Never returns."""
        try:
            if self.cg is not None:
                self.cg.attach(0)
            os.setsid()
            # Python ignores SIGPIPE and SIGXFSZ, and ignored signals survive exec.
            for sig in (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGTERM):
                signal.signal(sig, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_SETMASK, [])
            reset_scheduling()
            # The runner is the OOM killer's last choice in its sandbox (cases ask to be first);
            # lowering it needs CAP_SYS_RESOURCE, which some container hosts withhold from root.
            with contextlib.suppress(OSError):
                fd = os.open("/proc/self/oom_score_adj", os.O_WRONLY)
                try:
                    os.write(fd, str(RUNNER_OOM_SCORE_ADJ).encode())
                finally:
                    os.close(fd)
            _set_rlimits(limits)
            _arrange_fds(wanted)
            if uid is not None:
                os.setgroups([])
                os.setresgid(uid, uid, uid)
                os.setresuid(uid, uid, uid)
            if self.cfg["mode"] == "none":
                os.chdir(self.box_path)
                env = {"PATH": SANDBOX_PATH, "HOME": self.box_path, "LANG": "C.UTF-8"}
                os.execve(argv[0], argv, env)
            # An empty environment: --clearenv is applied inside; nothing of the worker's
            # environment may reach /proc/*/environ of anything in the sandbox.
            os.execve(argv[0], argv, {})
        except BaseException as exc:
            try:
                os.write(2, f"supervisor: cannot start sandbox: {exc!r}\n".encode())
            finally:
                os._exit(127)
        os._exit(127)

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while b"\n" not in self.out.data():
            if time.monotonic() > deadline:
                raise SandboxFailed("the sandbox did not start in time")
            ready, _, _ = select.select([self.out.fd, self.err.fd, self.pidfd], [], [], 1.0)
            if self.out.fd in ready:
                self.out.read()
            if self.err.fd in ready:
                self.err.read()
            if self.pidfd in ready and b"\n" not in self.out.data():
                self.out.read()
                self.err.read()
                if b"\n" not in self.out.data():
                    raise SandboxFailed(
                        "the sandbox could not start: "
                        + self.err.data().decode(errors="replace")[-2000:]
                    )
            if self.out.eof and b"\n" not in self.out.data():
                raise SandboxFailed("the runner closed its output before starting")
        line, _, rest = self.out.data().partition(b"\n")
        if json.loads(line) != {"ready": 1} or rest:
            raise SandboxFailed("the runner did not start properly")
        self.ready = True

    # -- 2. run -------------------------------------------------------------------------------
    def run(
        self,
        request: dict,
        payload_fd: int,
        files: list[tuple[str, int]],
        queue_fd: int | None = None,
    ) -> tuple:
        """Give the runner its work (the payload, and the batch's case queue when sandboxes
        share it) and watch it; (header, stdout, stderr) for the reply."""
        limits = request["limits"]
        if self.cg is not None:
            try:
                self.cg.set_limits(memory_bytes=limits["memory_bytes"], pids=limits["pids"])
            except OSError as exc:
                raise SandboxFailed(f"cannot set the sandbox's limits: {exc}") from exc
        if self.own_box:
            for name, fd in files:
                self.box.write(name, _read_all(fd))
        if self.box is not None:
            self.box.seal()
        out = Capture(self.out.fd, limits["stdout_cap"])
        err = Capture(self.err.fd, limits["stderr_cap"])
        header: dict = {"killed": None, "setup_ok": True}
        started = time.monotonic()
        fds = array.array("i", [payload_fd] if queue_fd is None else [payload_fd, queue_fd])
        self.control.sendmsg([b"go"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds.tobytes())])
        self.control.close()
        self.control = None
        wall_limit = limits["wall_ms"] / 1000
        cpu_limit_ns = limits["cpu_ms"] * 1_000_000
        cpu0 = self.cg.cpu_ns() if self.cg is not None else 0
        wait_status = None
        while wait_status is None:
            fds_ = [c.fd for c in (out, err) if not c.eof] + [self.pidfd]
            ready, _, _ = select.select(fds_, [], [], TICK_S)
            for capture in (out, err):
                if capture.fd in ready:
                    capture.read()
            if out.overflow and header["killed"] is None:
                header["killed"] = "output"
            if self.pidfd in ready:
                _, wait_status = os.waitpid(self.pid, 0)
                self.pid = None
                break
            if header["killed"] is None:
                if time.monotonic() - started > wall_limit:
                    header["killed"] = "wall"
                elif self.cg is not None and self.cg.cpu_ns() - cpu0 > cpu_limit_ns:
                    header["killed"] = "cpu"
            if header["killed"] is not None:
                self.kill()
        header["wall_ns"] = int((time.monotonic() - started) * 1e9)
        if not (out.eof and err.eof):  # nothing may keep them open while they are drained
            self.kill()
        _reap_all()
        for capture in (out, err):
            _drain(capture)
        header.update(
            exit_code=os.waitstatus_to_exitcode(wait_status),
            stdout_len=out.kept,
            stderr_len=err.kept,
            stdout_total=out.total,
            stdout_truncated=out.overflow,
            stderr_truncated=err.overflow,
        )
        if self.cg is not None:
            header.update(
                cpu_ns=self.cg.cpu_ns() - cpu0,
                peak_bytes=self.cg.peak_bytes(),
                oom_kills=self.cg.oom_kills(),
            )
        return header, out.chunks, err.data()  # a large report is sent as read, not joined

    def kill(self) -> bool:
        """SIGKILL every process of the sandbox; True when its cgroup is empty (always True
        without a cgroup: nothing to check with)."""
        if self.pid is not None:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
        if self.cg is not None:
            return self.cg.kill_all()
        return True

    # -- 3. close -----------------------------------------------------------------------------
    def close(self) -> dict:
        """Tear everything down; what could not be removed is reported (the sweep retries).

        Idempotent: every path calls it, some twice. The service ends a pre-started sandbox's
        link and then sends SIGTERM: a teardown begun on the link's end can meet the signal's
        ``Stopped`` before it ignores SIGTERM, and then starts again rather than stop halfway
        (the uid lock, released as the supervisor exits, would hide what was left).
        """
        while True:
            try:
                return self._close()
            except Stopped:
                continue

    def _close(self) -> dict:
        if self.closed is not None:
            return self.closed
        # A second SIGTERM (the service's, then its death's) must not stop the teardown halfway.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        result = {"leftover": False, "cgroup_removed": True}
        self.closed = result
        gone = self.kill()
        if self.pid is not None:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)
            self.pid = None
        _reap_all()
        for fd in (self.pidfd, *(c.fd for c in (self.out, self.err) if c is not None)):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        if self.control is not None:
            self.control.close()
        if self.cg is not None:
            result["leftover"] = not (gone or self.cg.kill_all())  # a second try after reaping
            result["cgroup_removed"] = self.cg.remove()
        if self.own_box and self.box is not None:
            with contextlib.suppress(OSError):
                remove_box(self.box.path)
        if self.lease is not None:
            self.lease.release()
        return result


def _read_all(fd: int) -> bytes:
    chunks, offset = [], 0
    while data := os.pread(fd, 1 << 20, offset):
        chunks.append(data)
        offset += len(data)
    return b"".join(chunks)


def _reap_all() -> None:
    """Reap every child and orphan adopted as subreaper (bwrap does not reap everything)."""
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


def reply(
    sock: socket.socket, header: dict, stdout: bytes | list[bytes] = b"", stderr: bytes = b""
) -> None:
    """The reply: the header line, then stdout (bytes, or the pieces it was read in), stderr."""
    pieces = [stdout] if isinstance(stdout, bytes) else stdout
    header = dict(header, stdout_len=sum(map(len, pieces)), stderr_len=len(stderr))
    with contextlib.suppress(OSError):
        for piece in (json.dumps(header).encode() + b"\n", *pieces, stderr):
            sock.sendall(piece)


def serve(cfg: dict, sandbox: Sandbox, request: dict, fds: dict) -> int:
    """Run ``request`` in a started ``sandbox``, reply, tear down; the exit status."""
    reply_sock = socket.socket(fileno=fds["reply"])
    status = 0
    try:
        header, out, err = sandbox.run(
            request, fds["payload"], fds.get("files", []), fds.get("queue")
        )
        # Every process of the sandbox is dead (checked) before the reply; removing its
        # cgroups and box comes after, off the caller's path (the sweep retries a failure).
        header["leftover"] = not sandbox.kill()
        reply(reply_sock, header, out, err)
        reply_sock.close()
        sandbox.close()
    except SandboxFailed as exc:
        header = {"error": str(exc)}
        header.update(sandbox.close())
        reply(reply_sock, header)
        status = 1
    finally:
        reply_sock.close()
    return status


def become_supervisor() -> None:
    """The first steps of every supervisor after the service forked it."""
    arm_stop_signal()
    _prctl(PR_SET_CHILD_SUBREAPER, 1)
