"""CodeCourses sandbox runner: run one program on many inputs inside ONE sandbox, case by case.

This file is a self-contained program (stdlib only, Python >= 3.8 syntax). The local backend
starts it as the pid 1 of every sandbox (``bwrap --as-pid-1``), and
``harness.build_harness_program`` embeds it, with its payload, in a single program text for
backends such as Judge0. Nothing here may import the project.

Two kinds of cases (the payload header's ``kind``):
- ``python``: the source is compiled once (any exception is a compilation error for all cases);
  each case is a fork of this process that runs the compiled code as a fresh ``python3 main.py``
  would (a global counter or a patched ``time`` does not leak: every fork starts from the same
  clean state, which never ran student code).
- ``exec``: each case is a fork that executes ``argv`` (a compiler, ``./main``, ``node main.js``).

Why cases cannot reach each other or the runner:
- The runner is not dumpable (``PR_SET_DUMPABLE 0``): cases cannot open ``/proc/1/mem`` or
  ``/proc/1/fd``, nor take its fds with ``pidfd_getfd``; as the pid 1 of its pid namespace it
  cannot even be signalled by them. Its results go to its fd 1, written only at the very end.
- Inputs never sit in the runner's memory, which every case inherits: each case's stdin is
  copied by the kernel from the payload fd into a fresh memfd, created just before its fork.
  Outputs go to memfds the runner reads only after the last case. A case child replaces fds
  0/1/2 and closes every other fd before running any code.
- Nor does what the runner knows of the other cases: a case's stdin offset, length and limits
  are read from the payload's case table when that case is next, and a case's fork drops that
  record (its offset adds up the inputs before it) and, for Python, the runner's list of
  finished cases (their exit codes, output sizes) before its code runs.
  What stays is freed memory a program could only scan byte by byte (ctypes), holding the
  earlier cases' figures: the ones students see anyway (verdict, time, memory) and their output
  sizes, never an input or an output.
- Every process of a case is killed and reaped when it ends, and then ``/tmp`` and ``/dev/shm``
  are emptied (only the sandbox's own tmpfs mounts, never outside a sandbox: ``scratch_dirs``),
  the wipe's CPU charged to the case. If one cannot be emptied, no later case runs in this
  sandbox: the report says why (``stopped``) and lists only the cases that ran.

Measurement, per case:
- CPU: the rusage of every reaped process of the case (as pid 1 or subreaper, the runner reaps
  every orphan). While it runs: the sandbox's cgroup CPU counter minus the runner's own (local
  backend), or the CPU of the case's live processes in ``/proc`` (elsewhere). Killed past the limit.
- Wall: monotonic. With ``wall_excludes_wait`` (local backend), the longest time one of the case's
  threads spent waiting for a CPU on a loaded host is not counted against its wall limit, up to
  twice the limit: a CPU-bound program is judged on its CPU time, and the wall limit catches
  sleeping or blocked programs. Killed past the limit.
- Memory, with the sandbox's cgroup files (local backend): the kernel's peak of the cgroup during
  the case (the watermark is reset before each case) minus what the runner held before it, and the
  cgroup's OOM-kill counter. Each page counts once, tmpfs and kernel memory included. Without them:
  the proportional set size (PSS) of the case's processes, summed (shared pages split, never
  counted twice), plus the case's use of the sized tmpfs mounts, polled and killed past the limit;
  and at least the largest peak RSS of one process of the case.
- Output: killed when stdout grows past its cap; outputs are cut to their caps afterwards.

Payload (binary: from the control socket on fd 0 as a memfd in ``--local`` mode, or base64 in
comment lines after ``PAYLOAD_MARKER`` when embedded): ``b"CCH2"``, 8-byte big-endian header length,
header JSON (the program, ``case_count`` and the distinct ``limits``), the case table (per case,
big-endian: its stdin's offset and length, 8 bytes each, and the position of its limits in
``limits``, 4 bytes), source bytes, stdin bytes of each case. The runner reads a case's record
only when that case is next, so no case's fork holds the offsets and lengths of the cases after
it (a sample case could print the hidden inputs' lengths when the header listed them). With the
payload may come a case queue (``--local`` only): when several sandboxes run one batch, each
runner takes the next index nobody has taken (``_case_order``) instead of every case. Output: one
JSON line ``{"harness": 1, "compile_error": str|null, "raw": bool, "cases": [...], "stopped":
str|null}``; each case has its ``index`` in the payload, exit_code, signal, cpu_ms, wall_ms,
memory_kb, killed ("cpu"|"wall"|"memory"|"output"|null), the full sizes of its outputs, and either
stdout/stderr (base64, capped) or, when the header asked for ``raw``, stdout_len/stderr_len: the
capped raw bytes then follow the line, case by case, stdout then stderr. In ``--local`` mode a
line ``{"ready": 1}`` comes first, once the runner is ready for its payload (a pre-started sandbox
waits there until it is given work).
"""

# Every sandbox starts a fresh runner, so each import costs every run its CPU: the C modules
# ``_signal`` and ``_ctypes`` stand in for ``signal`` and ``ctypes`` (their enums and types), and
# ``_suppress`` for ``contextlib`` (about 4 ms less per start, measured). ``json`` stays: the
# default templates import it in every case, which then finds it loaded.
import _signal as signal
import _socket
import atexit
import builtins
import json
import math
import os
import resource
import select
import sys
import time
import types

MAGIC = b"CCH2"
PAYLOAD_MARKER = "# ---- codecourses harness payload ----"
PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36
#: Room for the interpreter's own mappings in RLIMIT_AS (only set when there is no cgroup).
AS_SLACK_BYTES = 64 << 20
#: A case's wall clock never runs longer than this many times its limit, however loaded the host.
WALL_BACKSTOP = 3
CATCHABLE = [
    s
    for s in (
        "SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGALRM", "SIGTSTP",
        "SIGTTIN", "SIGTTOU", "SIGPIPE", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGCHLD",
    )
    if hasattr(signal, s)
]  # fmt: skip


class _suppress:
    """``contextlib.suppress``, which this runner does not import."""

    def __init__(self, *kinds):
        self.kinds = kinds

    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        return kind is not None and issubclass(kind, self.kinds)


_PRCTL = []


def _prctl(option, arg):
    """prctl(2), looked up once: a case child only calls it (no allocations). Through
    ``_ctypes``, the C half of ``ctypes``, with the two C types it needs."""
    try:
        if not _PRCTL:
            import _ctypes

            class CInt(_ctypes._SimpleCData):
                _type_ = "i"

            class CULong(_ctypes._SimpleCData):
                _type_ = "L"

            class CFunction(_ctypes.CFuncPtr):
                _flags_ = _ctypes.FUNCFLAG_CDECL | _ctypes.FUNCFLAG_USE_ERRNO
                _restype_ = CInt

            function = CFunction(_ctypes.dlsym(_ctypes.dlopen(None, _ctypes.RTLD_LOCAL), "prctl"))
            function.argtypes = (CInt, CULong, CULong, CULong, CULong)
            _PRCTL.append(function)
        return _PRCTL[0](option, arg, 0, 0, 0) == 0
    except Exception:
        return False


# ---- payload ------------------------------------------------------------------------------------
def _embedded_payload_fd():
    """Decode the embedded payload into a memfd in a throw-away child, then delete our file.

    The decoding happens in a child so that no byte of any input transits through the parent's
    heap, which every case child inherits.
    """
    path = os.path.abspath(sys.argv[0])
    fd = os.memfd_create("payload")
    pid = os.fork()
    if pid == 0:
        try:
            import base64  # only an embedded runner needs it

            found = False
            with open(path, "rb") as f:
                for line in f:
                    if not found:
                        found = line.rstrip(b"\r\n") == PAYLOAD_MARKER.encode()
                        continue
                    if line.startswith(b"#"):
                        os.write(fd, base64.b64decode(line[1:].strip()))
            with _suppress(OSError):
                os.unlink(path)
            os._exit(0 if found else 1)
        except BaseException:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    if status != 0:
        raise RuntimeError("embedded payload missing or corrupt")
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def _received_fds(control_fd):
    """Wait on the control socket for the work: one message carrying the payload's memfd and,
    when the sandboxes of one batch share its cases, the read end of their queue.

    Through ``_socket``: the ``socket`` module would cost every sandbox's start 2 ms of CPU
    (its enums and ``selectors``) for this one call.
    """
    sock = _socket.socket(fileno=control_fd)
    size = 4  # a C int
    fds = []
    try:
        msg, ancdata, _flags, _addr = sock.recvmsg(16, _socket.CMSG_LEN(2 * size))
        for level, kind, data in ancdata:
            if level == _socket.SOL_SOCKET and kind == _socket.SCM_RIGHTS:
                fds += [
                    int.from_bytes(data[at : at + size], sys.byteorder, signed=True)
                    for at in range(0, len(data) - len(data) % size, size)
                ]
    finally:
        sock.close()
    if msg != b"go" or len(fds) not in (1, 2):
        for fd in fds:
            with _suppress(OSError):
                os.close(fd)
        raise RuntimeError("no payload on the control socket")
    return fds[0], (fds[1] if len(fds) == 2 else None)


def _case_order(count, queue_fd):
    """The indices of the cases this runner runs: all of them in order, or the next one nobody
    has taken from the queue shared by the sandboxes of one batch, until it is empty.

    The queue is a pipe holding every index as a 4-byte record, written whole before any
    sandbox got it: reads from a pipe are serialised, so each index reaches exactly one runner.
    """
    if queue_fd is None:
        yield from range(count)
        return
    while True:
        record = os.read(queue_fd, 4)
        if not record:
            return
        index = int.from_bytes(record, "big")
        if len(record) != 4 or index >= count:
            raise RuntimeError("bad record in the case queue")
        yield index


def _read_exact(fd, size, offset):
    chunks, done = [], 0
    while done < size:
        data = os.pread(fd, size - done, offset + done)
        if not data:
            raise RuntimeError("payload truncated")
        chunks.append(data)
        done += len(data)
    return b"".join(chunks)


CASE_RECORD_BYTES = 20


def _load(fd):
    """(header, source, where the case table starts, where the stdins start)."""
    if _read_exact(fd, 4, 0) != MAGIC:
        raise RuntimeError("not a harness payload")
    hlen = int.from_bytes(_read_exact(fd, 8, 4), "big")
    header = json.loads(_read_exact(fd, hlen, 12).decode("utf-8"))
    table = 12 + hlen
    base = table + CASE_RECORD_BYTES * header["case_count"]
    source = _read_exact(fd, header["source_len"], base)
    return header, source, table, base + header["source_len"]


def _case_spec(fd, table, index, header, stdin_base):
    """Case ``index``'s stdin (offset in the payload, length) and limits, read from its record."""
    record = _read_exact(fd, CASE_RECORD_BYTES, table + CASE_RECORD_BYTES * index)
    limits = header["limits"][int.from_bytes(record[16:20], "big")]
    offset = stdin_base + int.from_bytes(record[0:8], "big")
    return {"offset": offset, "length": int.from_bytes(record[8:16], "big"), "limits": limits}


def _stdin_memfd(payload_fd, offset, length):
    """A fresh memfd holding one case's stdin, copied by the kernel (never via our heap)."""
    fd = os.memfd_create("stdin")
    done = 0
    while done < length:
        try:
            n = os.copy_file_range(payload_fd, fd, length - done, offset + done)
        except OSError:
            n = os.sendfile(fd, payload_fd, offset + done, length - done)
        if n <= 0:
            raise RuntimeError("payload truncated")
        done += n
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


# ---- the case's cgroup, seen through fds the supervisor opened for us ----------------------------
class Cgroup:
    """The memory cgroup the runner and its cases run in (below the sandbox's own cgroup), and
    the sandbox's CPU counter.

    Before each case the runner sets the limit to what it holds (itself, earlier outputs) plus
    the case's limit, and resets the peak: the kernel then limits and measures the case alone.
    The sandbox's cgroup above caps everything together, whatever is written here.
    """

    def __init__(self, spec):
        self.version = spec["version"]
        self.fds = {role: spec[role] for role in ("limit", "peak", "usage", "events", "cpu")}
        self.cap = None  # the sandbox's own limit: the case cgroup's, until a case's is set

    def _read(self, role):
        return os.pread(self.fds[role], 4096, 0).decode("ascii", "replace")

    def usage(self):
        return int(self._read("usage").strip() or 0)

    def set_limit(self, limit):
        os.pwrite(self.fds["limit"], str(limit).encode() + b"\n", 0)

    def set_case_limit(self, case_bytes):
        """Limit the next case to what the cgroup holds now plus ``case_bytes``; returns what
        it holds (the base of the case's measured peak).

        Page cache an earlier case read (files under /usr) stays charged here. When it would
        put the limit over the sandbox's own, which cgroup v1 refuses, it is reclaimed first:
        lowering a v1 limit to what the case leaves makes the kernel drop it (EBUSY if some
        cannot go; the case then gets what is left under the sandbox's limit). Never on v2,
        where a ``memory.max`` below the usage calls the OOM killer on the runner, and a
        limit over the parent's is accepted (the parent's still holds).
        """
        if self.cap is None:
            text = self._read("limit").strip()
            self.cap = 1 << 62 if text == "max" else int(text)
        base = self.usage()
        if self.version == 1 and base + case_bytes > self.cap:
            with _suppress(OSError):
                self.set_limit(max(self.cap - case_bytes, 0))
            base = self.usage()
        self.set_limit(min(base + case_bytes, self.cap))
        return base

    def lift_case_limit(self):
        """Back to the sandbox's own limit, between cases (the next one sets its own)."""
        if self.cap is not None:
            with _suppress(OSError):
                self.set_limit(self.cap)

    def reset_peak(self):
        """Start a new watermark at the current usage; False if this kernel cannot."""
        try:
            os.pwrite(self.fds["peak"], b"0\n" if self.version == 1 else b"reset\n", 0)
            return True
        except OSError:
            return False

    def peak(self):
        return int(self._read("peak").strip() or 0)

    def oom_kills(self):
        for line in self._read("events").splitlines():
            name, _, value = line.partition(" ")
            if name == "oom_kill":
                return int(value)
        return 0

    def cpu_s(self):
        text = self._read("cpu")
        if self.version == 1:
            return int(text.strip() or 0) / 1e9
        for line in text.splitlines():
            name, _, value = line.partition(" ")
            if name == "usage_usec":
                return int(value) / 1e6
        return 0.0


# ---- a case child: a fresh "python3 main.py", or an exec -----------------------------------------
class _Startup:
    """What a fresh interpreter would have: the signal dispositions set at start-up."""

    def __init__(self):
        self.signals = {}
        for name in CATCHABLE:
            sig = getattr(signal, name)
            self.signals[sig] = signal.getsignal(sig)


def _lower_rlimit(kind, soft, hard):
    """Set a limit no higher than the hard limit the box already imposes.

    Unprivileged code cannot raise a hard limit: Judge0's isolate sets RLIMIT_FSIZE soft and
    hard to its max_file_size, and asking for more would fail every case before student code.
    """
    current_hard = resource.getrlimit(kind)[1]
    if current_hard != resource.RLIM_INFINITY:
        hard = min(hard, current_hard)
    resource.setrlimit(kind, (min(soft, hard), hard))


def _case_setup(limits, fds, local):
    """In the case child, before any of its code: fds, limits, the OOM killer's pick."""
    stdin_fd, out_fd, err_fd = fds
    for target, source in enumerate((stdin_fd, out_fd, err_fd)):
        if source != target:
            os.dup2(source, target)  # inheritable
        else:
            os.set_inheritable(target, True)
    os.closerange(3, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
    # Dumpable again: its own /proc files become its own (and readable to the runner, for PSS);
    # nothing of the runner's is reachable through them.
    _prctl(PR_SET_DUMPABLE, 1)
    try:  # the OOM killer picks a case first
        fd = os.open("/proc/self/oom_score_adj", os.O_WRONLY)
        os.write(fd, b"1000")
        os.close(fd)
    except OSError:
        pass
    cpu = math.ceil(limits["cpu_ms"] / 1000) + 1
    _lower_rlimit(resource.RLIMIT_CPU, cpu, cpu + 1)
    _lower_rlimit(resource.RLIMIT_FSIZE, limits["fsize"], limits["fsize"])
    _lower_rlimit(resource.RLIMIT_NOFILE, limits["nofile"], limits["nofile"])
    if local:
        # RLIMIT_NPROC counts per user namespace: the runner and the case's own processes.
        nproc = limits.get("processes")
        if nproc:
            _lower_rlimit(resource.RLIMIT_NPROC, nproc + 1, nproc + 1)
        stack = limits.get("stack")
        if stack:
            _lower_rlimit(resource.RLIMIT_STACK, stack, stack)
    if limits.get("address_space"):
        _lower_rlimit(resource.RLIMIT_AS, limits["address_space"], limits["address_space"])


def _python_child(run, limits, fds):
    """Never returns. Mirrors CPython's start-up and shutdown around running ``code``."""
    code, startup, module = run["code"], run["startup"], run["module"]
    # What the runner measured of the earlier cases is no business of this one (their exit
    # codes, output sizes): dropped from this fork's copy before any of its code runs.
    run["finished"].clear()
    status = 1
    try:
        _case_setup(limits, fds, run["local"])
        if run["signals_changed"]:
            for sig, handler in startup.signals.items():
                if handler is not None:
                    signal.signal(sig, handler)
        try:
            exec(code, module.__dict__)
            status = 0
        except SystemExit as exc:
            status = _exit_status(exc.code)
        except BaseException:
            etype, value, tb = sys.exc_info()
            tb = tb.tb_next if tb is not None else tb  # hide the harness's own frame
            try:
                if value is not None:
                    value.__traceback__ = tb
                sys.excepthook(etype, value, tb)
            except BaseException:
                pass
            status = 1
        status = _finalize(status)
    except BaseException as exc:  # the harness's own failure, before or after the code ran
        with _suppress(BaseException):
            os.write(2, (f"harness: {exc!r}\n").encode())
        status = 1
    finally:
        os._exit(status)


def _as_fresh_start(header):
    """What ``python3 main.py`` would find, set once in the runner: every case's fork inherits it.

    A fresh ``__main__`` module that never ran code, the script's argv and path, the std streams
    of fds 0-2 (the case's, once its child has replaced them: the runner itself only uses
    ``os.write``), no blocked signal.
    """
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    sys.stdin, sys.stdout, sys.stderr = sys.__stdin__, sys.__stdout__, sys.__stderr__
    sys.argv = [header["argv0"]]
    if sys.path:  # as for "python3 /box/main.py": the script's directory comes first
        sys.path[0] = os.path.dirname(header["filename"])
    module = types.ModuleType("__main__")
    module.__file__ = header["filename"]
    module.__builtins__ = builtins
    sys.modules["__main__"] = module
    return module


def _after_prelude(source, header, module):
    """Run the program's prelude here, once: (the code each case then runs, its module).

    Only for a program the caller checked is its own launcher (``prelude_end`` in the header):
    the lines before ``prelude_end`` compile the student's code and make ``__main__`` ready but
    run none of it, so every case's fork starts from that state instead of doing it again. Without
    that line, or on any error in it, the code is None (each case then runs the whole program, as
    it would anyway) and the module a fresh one.
    """
    head, found, tail = source.decode("utf-8").partition("\n" + header["prelude_end"] + "\n")
    if not found:
        return None, module
    hook = sys.excepthook
    try:
        prelude = compile(head + "\n", header["filename"], "exec", dont_inherit=True)
        # Blank lines first: the rest keeps its line numbers.
        rest = "\n" * (head.count("\n") + 2) + tail
        per_case = compile(rest, header["filename"], "exec", dont_inherit=True)
        exec(prelude, module.__dict__)
    except BaseException:
        sys.excepthook = hook
        return None, _as_fresh_start(header)
    return per_case, module


def _exec_child(run, limits, fds):
    """Never returns: execute the case's program as a fresh process would start."""
    header = run["header"]
    try:
        _case_setup(limits, fds, run["local"])
        for name in CATCHABLE:  # ignored signals stay ignored across exec: restore defaults
            if signal.getsignal(getattr(signal, name)) == signal.SIG_IGN:
                signal.signal(getattr(signal, name), signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        argv = header["argv"]
        os.execve(argv[0], argv, header.get("env") or dict(os.environ))
    except BaseException as exc:
        with _suppress(BaseException):
            os.write(2, (f"cannot execute {header.get('argv', ['?'])[0]}: {exc}\n").encode())
    os._exit(127)


def _exit_status(code):
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    with _suppress(BaseException):
        sys.stderr.write(str(code) + "\n")
    return 1


def _finalize(status):
    """Py_FinalizeEx's order: join non-daemon threads, atexit, flush stdio (120 if it fails)."""
    threading = sys.modules.get("threading")
    if threading is not None:
        with _suppress(BaseException):
            threading._shutdown()
    try:
        atexit._run_exitfuncs()
    except SystemExit as exc:
        status = _exit_status(exc.code)
    except BaseException:
        pass
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            if stream is sys.stdout:
                status = 120
    return status


# ---- the case's processes, seen from the runner -------------------------------------------------
def _case_pids(children):
    """Live pids of the current case: every process in the sandbox but us when we are its pid 1;
    otherwise our descendants, found through the ``children`` files (as a subreaper we adopt every
    orphan, so the case's processes are always below us). Zombies are left out.
    """
    if os.getpid() == 1:
        return [p for p in _live_pids(int(e) for e in os.listdir("/proc") if e.isdigit()) if p != 1]
    found, stack = [], [*children, *_children_of(os.getpid())]
    seen = set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        if _live_pids([pid]):
            found.append(pid)
        stack.extend(_children_of(pid))
    return found


def _children_of(pid):
    pids = []
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return pids
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", "rb") as f:
                pids.extend(int(x) for x in f.read().split())
        except (OSError, ValueError):
            continue
    return pids


def _live_pids(pids):
    live = []
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                state = f.read().rsplit(b")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state != b"Z":
            live.append(pid)
    return live


def _proc_cpu_s(pids):
    hz = os.sysconf("SC_CLK_TCK")
    ticks = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
        except (OSError, ValueError, IndexError):
            continue
    return ticks / hz


def _proc_memory(pids):
    """Memory of the case's processes: proportional set sizes (shared pages split between their
    sharers), falling back to anonymous + shmem RSS where smaps_rollup cannot be read."""
    total = 0
    for pid in pids:
        found = False
        try:
            with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
                for line in f:
                    if line.startswith((b"Pss_Anon:", b"Pss_Shmem:")):
                        total += int(line.split()[1]) * 1024
                        found = True
        except (OSError, ValueError, IndexError):
            pass
        if found:
            continue
        try:
            with open(f"/proc/{pid}/status", "rb") as f:
                for line in f:
                    if line.startswith((b"RssAnon:", b"RssShmem:")):
                        total += int(line.split()[1]) * 1024
        except (OSError, ValueError, IndexError):
            continue
    return total


def _tmpfs_used(paths):
    used = 0
    for path in paths:
        try:
            st = os.statvfs(path)
        except OSError:
            continue
        used += (st.f_blocks - st.f_bfree) * st.f_frsize
    return used


class _WaitTracker:
    """How long the host kept the case waiting for a CPU: the longest time any one of its threads
    spent runnable but not running (``/proc/*/schedstat``).

    The longest, not the sum: a program's own threads make each other wait, and their waits
    added up grew with their number (60 threads spinning 150 ms stretched a 2 s wall limit to
    its 3x backstop, an outside probe found). One thread waits only while others hold every
    core, so what a program can make a thread wait is bounded by the CPU it burns for it.
    """

    def __init__(self):
        self.seen = {}

    def total_s(self, pids):
        for pid in pids:
            try:
                tids = os.listdir(f"/proc/{pid}/task")
            except OSError:
                continue
            for tid in tids:
                try:
                    with open(f"/proc/{pid}/task/{tid}/schedstat", "rb") as f:
                        waited = int(f.read().split()[1])
                except (OSError, ValueError, IndexError):
                    continue
                key = (pid, tid)
                self.seen[key] = max(self.seen.get(key, 0), waited)
        return max(self.seen.values(), default=0) / 1e9


def _kill_case(children):
    if os.getpid() == 1:
        # As the init of the sandbox's pid namespace, kill(-1) reaches every other process in it,
        # zombies included: "no such process" proves the case's processes are all dead and reaped
        # (the common end of a case), without listing /proc.
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            return
    for _ in range(1000):
        pids = _case_pids(children)
        if os.getpid() == 1:
            with _suppress(OSError):
                os.kill(-1, signal.SIGKILL)
        for pid in pids:
            with _suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        if not pids:
            return
        time.sleep(0.001)


def _tmpfs_mounts():
    """Mount points of tmpfs file systems in our mount namespace."""
    found = set()
    try:
        with open("/proc/self/mountinfo", "rb") as f:
            for line in f:
                fields = line.split()
                dash = fields.index(b"-")
                if fields[dash + 1] == b"tmpfs":
                    found.add(fields[4].decode())
    except (OSError, ValueError, IndexError):
        pass
    return found


def scratch_dirs(requested):
    """The scratch directories this runner may empty before each case: only inside a sandbox.

    Emptying ``/tmp`` is only ever right in a sandbox's own private tmpfs. So a directory is
    wiped only when the supervisor asked for it (``--local``), the runner is the init of its own
    pid namespace, it is not root, and the directory is a tmpfs mount point; anything else
    (Judge0's box, a development run, a wrong configuration) wipes nothing.
    """
    if not requested or os.getpid() != 1 or os.geteuid() == 0 or os.getuid() == 0:
        return []
    mounts = _tmpfs_mounts()
    return [path for path in requested if path in mounts]


#: The CPU the runner may always spend emptying the scratch mounts after a case, beyond what is
#: left of the case's own CPU limit (one that used all of it still has its files removed). The
#: wipe's CPU is charged to the case, and the sandbox's CPU budget counts this much per case.
WIPE_MIN_CPU_S = 0.5
#: Directories the wipe keeps open on its way down; a deeper one reaches its parent through "..".
WIPE_OPEN_DIRS = 64
#: Names of directories still to empty the wipe may hold (its memory: at most a few MiB).
WIPE_MAX_NAMES = 20000
#: Entries removed between two looks at the wipe's CPU.
WIPE_CHECK_EVERY = 256


class WipeUnfinished(Exception):
    """A scratch directory is not empty after the wipe: no case may run after it here."""


class WipeBudgetSpent(WipeUnfinished):
    """The wipe used the CPU the case had left (``WIPE_MIN_CPU_S`` at least)."""


class _WipeBudget:
    """The runner's CPU a wipe may use, looked at every ``WIPE_CHECK_EVERY`` entries;
    ``entries`` counts every entry read or removed."""

    def __init__(self, cpu_s):
        self.until = _self_cpu_s() + cpu_s
        self.entries = 0

    def spend(self):
        self.entries += 1
        if self.entries % WIPE_CHECK_EVERY == 0 and _self_cpu_s() > self.until:
            raise WipeBudgetSpent(f"the wipe's CPU ran out after {self.entries} entries")


def _remove_entries(fd, budget):
    """One pass over directory ``fd``: its files and empty subdirectories are removed as they
    are read; returns the names of the subdirectories that are not empty."""
    full = []
    with os.scandir(fd) as entries:
        for entry in entries:
            budget.spend()
            if entry.is_dir(follow_symlinks=False):
                try:
                    os.rmdir(entry.name, dir_fd=fd)
                except OSError:  # not empty (anything else fails again once it is emptied)
                    full.append(entry.name)
            else:
                os.unlink(entry.name, dir_fd=fd)
    return full


def _wipe(path, budget=None):
    """Empty a scratch directory (the case's processes are all dead): nothing survives a case.

    Linear: every directory is read once. Its files and empty subdirectories go as they are
    read; the others are remembered and emptied one after the other. (The runner used to read a
    directory again after each subdirectory it removed: 5,000 empty ones in /tmp cost 4.8 s of
    CPU, 10,000 got the sandbox killed, an outside probe found.) Iterative and fd-relative: a
    case may leave a chain of directories thousands deep, deeper than Python's recursion limit
    and than PATH_MAX. Each directory is opened from its parent's fd; the deepest
    ``WIPE_OPEN_DIRS`` levels stay open, and a level above them is reached again through "..",
    which nothing can move while no process of the case is alive. A directory a case made
    unreadable is opened up first (same uid). ``WipeUnfinished`` when the names still to empty
    would pass ``WIPE_MAX_NAMES`` or the ``budget`` (``_WipeBudget``) runs out.
    """
    budget = budget or _WipeBudget(math.inf)
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
    fds = {0: os.open(path, flags)}  # depth -> an open fd of the directory at that depth
    names = []  # the way down: names[i] is the directory at depth i + 1, in its parent
    todo = {}  # depth -> the non-empty subdirectories still to empty there
    held = 0  # names in ``names`` and ``todo``
    try:
        depth = 0
        found = _remove_entries(fds[0], budget)
        while True:
            if found:
                todo[depth] = found
                held += len(found)
                if held > WIPE_MAX_NAMES:
                    raise WipeUnfinished(f"more than {WIPE_MAX_NAMES} directories to empty")
            found = None
            rest = todo.get(depth)
            if rest:
                name = rest.pop()
                if not rest:
                    del todo[depth]
                with _suppress(OSError):
                    os.chmod(name, 0o700, dir_fd=fds[depth])  # a directory: no link to follow
                below = os.open(name, flags, dir_fd=fds[depth])
                names.append(name)
                depth += 1
                fds[depth] = below
                if depth - WIPE_OPEN_DIRS in fds:
                    os.close(fds.pop(depth - WIPE_OPEN_DIRS))
                found = _remove_entries(below, budget)
                continue
            if depth == 0:
                return
            if depth - 1 not in fds:
                fds[depth - 1] = os.open("..", flags, dir_fd=fds[depth])
            os.close(fds.pop(depth))
            depth -= 1
            os.rmdir(names.pop(), dir_fd=fds[depth])
            held -= 1
            budget.spend()
    finally:
        for fd in fds.values():
            os.close(fd)


def _wipe_scratch(scratch, cpu_s):
    """Empty every scratch mount after a case: (the runner's CPU it took, why one is not empty
    or None). Never raises: a mount left unemptied ends this runner's cases (``main``).

    Each root first gets back the mode it had before any case: a case owns it too, and
    ``chmod 0500 /tmp`` made every wipe fail and the runner exit (an outside probe).
    """
    started = _self_cpu_s()
    budget = _WipeBudget(cpu_s)
    failure = None
    for path, mode in scratch.items():
        try:
            os.chmod(path, mode)
            _wipe(path, budget)
        except Exception as exc:  # whatever it is, no later case may find what is left
            failure = exc if isinstance(exc, WipeUnfinished) else WipeUnfinished(f"{path}: {exc!r}")
            break
    return _self_cpu_s() - started, failure


class _Case:
    def __init__(self):
        self.status = None
        self.cpu_s = 0.0
        self.seen_cpu_s = 0.0  # the most seen while it ran (the figure a CPU kill is based on)
        self.maxrss_kb = 0
        self.peak_bytes = 0
        self.wipe_s = 0.0  # the runner's CPU emptying what the case left, charged to it

    def reap(self, pid, block):
        """Reap children (and adopted orphans); True if something was reaped."""
        try:
            got, status, usage = os.wait4(-1, 0 if block else os.WNOHANG)
        except ChildProcessError:
            return False
        if got == 0:
            return False
        self.cpu_s += usage.ru_utime + usage.ru_stime
        self.maxrss_kb = max(self.maxrss_kb, usage.ru_maxrss)
        if got == pid:
            self.status = status
        return True


def _self_cpu_s():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _run_case(run, spec):
    """Run one case to its end; the measured ``_Case`` and what it was killed for."""
    limits = spec["limits"]
    header = run["header"]
    stdin_fd = _stdin_memfd(run["payload_fd"], spec["offset"], spec["length"])
    out_fd = os.memfd_create("stdout")
    err_fd = os.memfd_create("stderr")
    cg = run["cgroup"]
    memory_limit = limits["memory_bytes"]
    # What the case may add to what the runner and earlier cases' outputs still hold.
    base_usage = cg.set_case_limit(memory_limit) if cg is not None else 0
    measured_peak = cg is not None and cg.reset_peak()
    base_ooms = cg.oom_kills() if cg is not None else 0
    cpu0 = cg.cpu_s() if cg is not None else 0.0
    self0 = _self_cpu_s()
    tick = limits.get("tick_ms", 10) / 1000
    wall_limit = limits["wall_ms"] / 1000
    cpu_limit = limits["cpu_ms"] / 1000
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:
        # Its stdin's offset in the payload is the length of every input before it.
        spec.clear()
        fds = (stdin_fd, out_fd, err_fd)
        if header.get("kind", "python") == "python":
            _python_child(run, limits, fds)
        _exec_child(run, limits, fds)
    os.close(stdin_fd)
    case = _Case()
    killed = None
    waits = _WaitTracker()
    pidfd = os.pidfd_open(pid) if hasattr(os, "pidfd_open") else None
    poller = select.poll()
    if pidfd is not None:
        poller.register(pidfd, select.POLLIN)
    while True:
        poller.poll(tick * 1000 if pidfd is not None else 1)
        while case.reap(pid, block=False):
            pass
        if case.status is not None:
            break
        elapsed = time.monotonic() - started
        pids = None
        if elapsed > wall_limit:
            if not run["wall_excludes_wait"]:
                killed = "wall"
                break
            pids = _case_pids([pid])
            if elapsed - waits.total_s(pids) > wall_limit or elapsed > WALL_BACKSTOP * wall_limit:
                killed = "wall"
                break
        if cg is not None:
            live_cpu = cg.cpu_s() - cpu0 - (_self_cpu_s() - self0)
        else:
            pids = pids if pids is not None else _case_pids([pid])
            live_cpu = case.cpu_s + _proc_cpu_s(pids)
            memory = _proc_memory(pids) + _tmpfs_used(run["scratch"] if run["count_tmpfs"] else [])
            case.peak_bytes = max(case.peak_bytes, memory)
            if memory > memory_limit:
                killed = "memory"
                break
        case.seen_cpu_s = max(case.seen_cpu_s, live_cpu)
        if live_cpu > cpu_limit:
            killed = "cpu"
            break
        if os.fstat(out_fd).st_size > limits["output_bytes"]:
            killed = "output"
            break
    wall_s = time.monotonic() - started
    _kill_case([pid])
    while case.reap(pid, block=True):
        pass
    if pidfd is not None:
        os.close(pidfd)
    oom = False
    if cg is not None:
        oom = cg.oom_kills() > base_ooms
        if measured_peak:
            case.peak_bytes = max(0, cg.peak() - base_usage)
        if oom or case.peak_bytes >= memory_limit:
            killed = killed or "memory"
    if not measured_peak:
        case.peak_bytes = max(case.peak_bytes, case.maxrss_kb * 1024)
    # Keep only what will be reported: memory held for outputs stays bounded by the caps.
    sizes = (os.fstat(out_fd).st_size, os.fstat(err_fd).st_size)
    if sizes[0] > limits["output_bytes"]:
        os.ftruncate(out_fd, limits["output_bytes"])
    if sizes[1] > limits["stderr_bytes"]:
        os.ftruncate(err_fd, limits["stderr_bytes"])
    # What the case left in the scratch tmpfs mounts goes now (the next case must find them
    # empty), at the case's expense: the CPU of the wipe is the case's, up to what it has left.
    # The wipe's own memory (names of directories to empty) is the runner's, under the
    # sandbox's limit rather than the case's, which the case's files may fill.
    if cg is not None:
        cg.lift_case_limit()
    used = max(case.cpu_s, case.seen_cpu_s)
    case.wipe_s, unwiped = _wipe_scratch(run["scratch"], max(cpu_limit - used, WIPE_MIN_CPU_S))
    if unwiped is not None:
        run["unwiped"] = str(unwiped)
        if isinstance(unwiped, WipeBudgetSpent):
            killed = killed or "cpu"
    return case, killed, wall_s, out_fd, err_fd, oom, sizes


def _report(case, killed, wall_s, out_fd, err_fd, oom, limits, raw, sizes):
    """One case's result; with ``raw``, outputs are sent after the JSON line (see ``main``)."""
    status = case.status
    exit_code = sig = None
    if status is not None:
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
        else:
            exit_code = os.WEXITSTATUS(status)
    out_size, err_size = sizes
    result = {
        "exit_code": exit_code,
        "signal": sig,
        "killed": killed,
        "cpu_ms": int((max(case.cpu_s, case.seen_cpu_s) + case.wipe_s) * 1000),
        "wall_ms": int(wall_s * 1000),
        "memory_kb": case.peak_bytes // 1024,
        "oom": oom,
        "stdout_bytes": out_size,
        "stderr_bytes": err_size,
    }
    if raw:
        result["stdout_len"] = min(out_size, limits["output_bytes"])
        result["stderr_len"] = min(err_size, limits["stderr_bytes"])
    else:
        import base64

        result["stdout"] = base64.b64encode(os.pread(out_fd, limits["output_bytes"], 0)).decode()
        result["stderr"] = base64.b64encode(os.pread(err_fd, limits["stderr_bytes"], 0)).decode()
        os.close(out_fd)
        os.close(err_fd)
    return result


def _send(fd, length):
    """Copy the first ``length`` bytes of memfd ``fd`` to the channel, in the kernel."""
    offset = 0
    while offset < length:
        try:
            sent = os.sendfile(1, fd, offset, length - offset)
        except OSError:
            sent = os.write(1, os.pread(fd, min(length - offset, 1 << 20), offset))
        if sent <= 0:
            raise RuntimeError("channel closed")
        offset += sent
    os.close(fd)


def _emit(document):
    data = (json.dumps(document, separators=(",", ":")) + "\n").encode()
    view = memoryview(data)
    while view:
        view = view[os.write(1, view) :]


#: Compiled (never run) by a local runner before it says it is ready, so while a pre-started
#: sandbox waits for work: a process's first compilation costs about 1 ms more than the next ones
#: (the parser's first allocations), which the run itself would otherwise pay. It has the shapes
#: of the Python launcher's prelude (``templates.python_launcher``).
_WARM_UP = """
import sys
_source = 'def f(a):\\n    return sorted(a)\\n'
try:
    _code = compile(_source, 'warm-up', "exec")
except (SyntaxError, ValueError) as _error:
    _code = _error


def _hook(kind, error, tb, _source=_source):
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
"""


def _parse_args(argv):
    """``--local CONFIG_JSON``: fd numbers given by the local supervisor; nothing when embedded."""
    if len(argv) >= 3 and argv[1] == "--local":
        return json.loads(argv[2])
    return None


def main(embedded):
    _prctl(PR_SET_DUMPABLE, 0)
    if os.getpid() != 1:
        _prctl(PR_SET_CHILD_SUBREAPER, 1)
    config = None if embedded else _parse_args(sys.argv)
    local = config is not None
    startup = _Startup()
    # Not killable by a case: as its pid namespace's init, the kernel drops every signal from
    # inside it that has no handler; anywhere else, ignore what a case could send.
    signals_changed = os.getpid() != 1
    if signals_changed:
        for name in CATCHABLE:
            sig = getattr(signal, name)
            if sig not in (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGCHLD):
                signal.signal(sig, signal.SIG_IGN)
    cgroup = None
    if local:
        if config.get("cgroup"):
            cgroup = Cgroup(config["cgroup"])
        for fd in config.get("close", []):
            with _suppress(OSError):
                os.close(fd)
        compile(_WARM_UP, "<warm-up>", "exec", dont_inherit=True)
        _emit({"ready": 1})
        payload_fd, queue_fd = _received_fds(config["control_fd"])
        null = os.open(os.devnull, os.O_RDONLY)  # fds 0-2 stay taken: memfds land above
        if null != 0:
            os.dup2(null, 0)
            os.close(null)
    elif embedded:
        payload_fd, queue_fd = _embedded_payload_fd(), None
    else:
        payload_fd, queue_fd = 0, None
    header, source, table, stdin_base = _load(payload_fd)
    code = module = None
    if header.get("kind", "python") == "python":
        module = _as_fresh_start(header)
        if header.get("prelude_end"):  # the whole program is compiled only if it must run
            code, module = _after_prelude(source, header, module)
        if code is None:
            try:
                code = compile(source, header["filename"], "exec", dont_inherit=True)
            except BaseException as exc:
                import traceback

                message = "".join(traceback.format_exception_only(type(exc), exc))
                _emit({"harness": 1, "compile_error": message, "cases": []})
                return 0
    config = config or {}
    del source
    run = {
        "header": header,
        "local": local,
        "code": code,
        "module": module,
        "startup": startup,
        "payload_fd": payload_fd,
        "cgroup": cgroup,
        # Each with the mode it has before any case: a case may change it (``_wipe_scratch``).
        "scratch": {
            path: os.stat(path).st_mode & 0o7777 for path in scratch_dirs(config.get("scratch"))
        },
        "count_tmpfs": bool(config.get("count_tmpfs")),
        "wall_excludes_wait": bool(config.get("wall_excludes_wait")),
        "signals_changed": signals_changed,
    }
    finished = run["finished"] = []
    run["unwiped"] = None
    for index in _case_order(header["case_count"], queue_fd):
        spec = _case_spec(payload_fd, table, index, header, stdin_base)
        # Straight into ``finished``: no local of this loop holds a result while the next
        # case's fork runs (each fork drops ``finished``, ``_python_child``).
        finished.append((*_run_case(run, spec), spec["limits"], index))
        if run["unwiped"] is not None:
            # A scratch mount still holds what that case left: no later case may run here. The
            # caller runs the cases this runner did not report in fresh sandboxes; with a shared
            # queue, the other sandboxes go on taking them.
            break
    raw = bool(header.get("raw"))
    cases = [
        dict(_report(case, killed, wall_s, out_fd, err_fd, oom, limits, raw, sizes), index=index)
        for case, killed, wall_s, out_fd, err_fd, oom, sizes, limits, index in finished
    ]
    _emit(
        {
            "harness": 1,
            "compile_error": None,
            "raw": raw,
            "cases": cases,
            "stopped": run["unwiped"],
        }
    )
    if raw:
        for item, result in zip(finished, cases):  # noqa: B905 - Python 3.8 has no strict
            _send(item[3], result["stdout_len"])
            _send(item[4], result["stderr_len"])
    return 0


_EMBEDDED = False

if __name__ == "__main__":
    status = main(_EMBEDDED)
    if not _EMBEDDED:  # nothing left to flush: skip the interpreter's shutdown
        os._exit(status)
    sys.exit(status)
