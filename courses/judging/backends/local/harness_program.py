"""CodeCourses one-process harness: run one Python program on many inputs inside ONE sandbox.

This file is a self-contained program (stdlib only, Python >= 3.8 syntax): the local backend
copies it into the box and runs it, and ``harness.build_harness_program`` embeds it, with its
payload, in a single program text for backends such as Judge0. Nothing here may import the
project.

Why it is safe to run every case in one sandbox:
- The parent never runs student code. It compiles the source once (any exception is a
  compilation error for all cases), then forks one child per case, sequentially. Each child is a
  fork of a parent that never ran student code, so every case starts from the same clean state,
  as a fresh ``python3 main.py`` would (a global counter or a patched ``time`` does not leak).
- The parent is not dumpable (``PR_SET_DUMPABLE 0``): children cannot open ``/proc/<parent>/fd``
  or ``/proc/<parent>/mem``. When it is the pid-1 of its pid namespace (``bwrap --as-pid-1``),
  children cannot even signal it; elsewhere a child that kills it makes the harness output
  invalid and the caller falls back to one process per case.
- Results go to the parent's fd 1 (the channel), as one JSON line at the very end. Children
  replace fds 0/1/2 and close every other fd before running the code, so they cannot write to it.
- Inputs never sit in the parent's memory: each case's stdin is copied in the kernel from the
  payload fd into a fresh memfd (children inherit the parent's memory, and a hidden case's input
  must not be readable by a visible one). Outputs go to memfds the parent reads only after the
  last child exited, for the same reason.
- The parent measures each case: CPU of every process of the case (``/proc`` while running,
  ``wait4`` rusage once reaped), wall time (monotonic), memory (anonymous+shmem RSS while
  running, ``ru_maxrss`` once reaped), and kills the case at the CPU, wall, memory or output
  limit. After each case it kills and reaps every remaining process of the case.

Payload (binary, on fd 0, or base64 in comment lines after ``PAYLOAD_MARKER`` when embedded):
``b"CCH1"``, 8-byte big-endian header length, header JSON, source bytes, stdin bytes of each case
at the offsets the header gives. Output: one JSON line ``{"harness": 1, "compile_error": str|null,
"raw": bool, "cases": [...]}``; each case has exit_code, signal, cpu_ms, wall_ms, memory_kb, killed
("cpu"|"wall"|"memory"|"output"|null), the full sizes of its outputs, and either stdout/stderr
(base64, capped) or, when the header asked for ``raw``, stdout_len/stderr_len: the capped raw
bytes then follow the line, case by case, stdout then stderr (no base64 work for local runs).
"""

import base64
import builtins
import contextlib
import io
import json
import math
import os
import resource
import select
import signal
import sys
import time
import traceback
import types

MAGIC = b"CCH1"
PAYLOAD_MARKER = "# ---- codecourses harness payload ----"
PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36
FALLBACK_FSIZE = 16 << 20
CATCHABLE = [
    s
    for s in (
        "SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGALRM", "SIGTSTP",
        "SIGTTIN", "SIGTTOU", "SIGPIPE", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF",
    )
    if hasattr(signal, s)
]  # fmt: skip


def _prctl(option, arg):
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(option, ctypes.c_ulong(arg), 0, 0, 0) == 0
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
            found = False
            with open(path, "rb") as f:
                for line in f:
                    if not found:
                        found = line.rstrip(b"\r\n") == PAYLOAD_MARKER.encode()
                        continue
                    if line.startswith(b"#"):
                        os.write(fd, base64.b64decode(line[1:].strip()))
            with contextlib.suppress(OSError):
                os.unlink(path)
            os._exit(0 if found else 1)
        except BaseException:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    if status != 0:
        raise RuntimeError("embedded payload missing or corrupt")
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def _read_exact(fd, size, offset):
    chunks, done = [], 0
    while done < size:
        data = os.pread(fd, size - done, offset + done)
        if not data:
            raise RuntimeError("payload truncated")
        chunks.append(data)
        done += len(data)
    return b"".join(chunks)


def _load(fd):
    if _read_exact(fd, 4, 0) != MAGIC:
        raise RuntimeError("not a harness payload")
    hlen = int.from_bytes(_read_exact(fd, 8, 4), "big")
    header = json.loads(_read_exact(fd, hlen, 12).decode("utf-8"))
    base = 12 + hlen
    source = _read_exact(fd, header["source_len"], base)
    return header, source, base + header["source_len"]


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


# ---- the child: a fresh "python3 main.py" ------------------------------------------------------
class _Startup:
    """What a fresh interpreter would have: std stream settings and signal dispositions."""

    def __init__(self):
        self.streams = []
        for stream in (sys.stdin, sys.stdout, sys.stderr):
            self.streams.append(
                (stream.encoding, stream.errors, stream.line_buffering, stream.write_through)
            )
        self.signals = {}
        for name in CATCHABLE:
            sig = getattr(signal, name)
            self.signals[sig] = signal.getsignal(sig)


def _stream(fd, mode, settings):
    encoding, errors, line_buffering, write_through = settings
    raw = io.FileIO(fd, mode, closefd=False)
    buffered = io.BufferedReader(raw) if mode == "r" else io.BufferedWriter(raw)
    return io.TextIOWrapper(
        buffered,
        encoding=encoding,
        errors=errors,
        newline="\n",
        line_buffering=line_buffering,
        write_through=write_through,
    )


def _lower_rlimit(kind, soft, hard):
    """Set a limit no higher than the hard limit the box already imposes.

    Unprivileged code cannot raise a hard limit: Judge0's isolate sets RLIMIT_FSIZE soft and
    hard to its max_file_size, and asking for more would fail every case before student code.
    """
    current_hard = resource.getrlimit(kind)[1]
    if current_hard != resource.RLIM_INFINITY:
        hard = min(hard, current_hard)
    resource.setrlimit(kind, (min(soft, hard), hard))


def _child(code, header, limits, startup, fds):
    """Never returns. Mirrors CPython's start-up and shutdown around running ``code``."""
    status = 1
    try:
        stdin_fd, out_fd, err_fd = fds
        os.dup2(stdin_fd, 0)
        os.dup2(out_fd, 1)
        os.dup2(err_fd, 2)
        os.closerange(3, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
        for sig, handler in startup.signals.items():
            if handler is not None:
                signal.signal(sig, handler)
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        try:
            with open("/proc/self/oom_score_adj", "w") as f:  # the OOM killer picks a case first
                f.write("1000")
        except OSError:
            pass
        cpu = math.ceil(limits["cpu_ms"] / 1000) + 1
        _lower_rlimit(resource.RLIMIT_CPU, cpu, cpu + 1)
        _lower_rlimit(resource.RLIMIT_FSIZE, limits["fsize"], limits["fsize"])
        _lower_rlimit(resource.RLIMIT_NOFILE, limits["nofile"], limits["nofile"])
        sys.stdin = sys.__stdin__ = _stream(0, "r", startup.streams[0])
        sys.stdout = sys.__stdout__ = _stream(1, "w", startup.streams[1])
        sys.stderr = sys.__stderr__ = _stream(2, "w", startup.streams[2])
        sys.argv = [header["argv0"]]
        module = types.ModuleType("__main__")
        module.__file__ = header["filename"]
        module.__builtins__ = builtins
        sys.modules["__main__"] = module
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
        with contextlib.suppress(BaseException):
            os.write(2, (f"harness: {exc!r}\n").encode())
        status = 1
    finally:
        os._exit(status)


def _exit_status(code):
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    with contextlib.suppress(BaseException):
        sys.stderr.write(str(code) + "\n")
    return 1


def _finalize(status):
    """Py_FinalizeEx's order: join non-daemon threads, atexit, flush stdio (120 if it fails)."""
    threading = sys.modules.get("threading")
    if threading is not None:
        with contextlib.suppress(BaseException):
            threading._shutdown()
    try:
        import atexit

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


# ---- the parent ---------------------------------------------------------------------------------
def _case_pids(children):
    """Live pids of the current case: every process in the sandbox but us when we are its pid 1;
    otherwise our descendants, found through the ``children`` files (as a subreaper we adopt every
    orphan, so the case's processes are always below us), which costs O(case processes) rather
    than a scan of the host's /proc. Zombies are left out: they are dead and only need reaping.
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


def _proc_cpu_and_memory(pids):
    hz = os.sysconf("SC_CLK_TCK")
    ticks, memory = 0, 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
            with open(f"/proc/{pid}/status", "rb") as f:
                for line in f:
                    if line.startswith((b"RssAnon:", b"RssShmem:")):
                        memory += int(line.split()[1]) * 1024
        except (OSError, ValueError, IndexError):
            continue
    return ticks / hz, memory


def _kill_case(children):
    for _ in range(1000):
        pids = _case_pids(children)
        if os.getpid() == 1:
            with contextlib.suppress(OSError):
                os.kill(-1, signal.SIGKILL)
        for pid in pids:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        if not pids:
            return
        time.sleep(0.001)


class _Case:
    def __init__(self):
        self.status = None
        self.cpu_s = 0.0
        self.maxrss_kb = 0
        self.peak_bytes = 0

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


def _run_case(code, header, limits, startup, payload_fd, spec):
    stdin_fd = _stdin_memfd(payload_fd, spec["offset"], spec["length"])
    out_fd = os.memfd_create("stdout")
    err_fd = os.memfd_create("stderr")
    tick = limits.get("tick_ms", 10) / 1000
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:
        _child(code, header, limits, startup, (stdin_fd, out_fd, err_fd))
    os.close(stdin_fd)
    case = _Case()
    killed = None
    pidfd = os.pidfd_open(pid) if hasattr(os, "pidfd_open") else None
    poller = select.poll()
    if pidfd is not None:
        poller.register(pidfd, select.POLLIN)
    memory_limit = limits["memory_bytes"]
    while True:
        poller.poll(tick * 1000 if pidfd is not None else 1)
        while case.reap(pid, block=False):
            pass
        if case.status is not None:
            break
        if time.monotonic() - started > limits["wall_ms"] / 1000:
            killed = "wall"
            break
        cpu_s, memory = _proc_cpu_and_memory(_case_pids([pid]))
        case.peak_bytes = max(case.peak_bytes, memory)
        if case.cpu_s + cpu_s > limits["cpu_ms"] / 1000:
            killed = "cpu"
            break
        if memory > memory_limit:
            killed = "memory"
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
    return case, killed, wall_s, out_fd, err_fd


def _report(case, killed, wall_s, out_fd, err_fd, limits, raw):
    """One case's result; with ``raw``, outputs are sent after the JSON line (see ``main``)."""
    status = case.status
    exit_code = sig = None
    if status is not None:
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
        else:
            exit_code = os.WEXITSTATUS(status)
    out_size = os.fstat(out_fd).st_size
    err_size = os.fstat(err_fd).st_size
    result = {
        "exit_code": exit_code,
        "signal": sig,
        "killed": killed,
        "cpu_ms": int(case.cpu_s * 1000),
        "wall_ms": int(wall_s * 1000),
        "memory_kb": max(case.maxrss_kb, case.peak_bytes // 1024),
        "stdout_bytes": out_size,
        "stderr_bytes": err_size,
    }
    if raw:
        result["stdout_len"] = min(out_size, limits["output_bytes"])
        result["stderr_len"] = min(err_size, limits["stderr_bytes"])
    else:
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


def main(embedded):
    _prctl(PR_SET_DUMPABLE, 0)
    if os.getpid() != 1:
        _prctl(PR_SET_CHILD_SUBREAPER, 1)
    startup = _Startup()
    for name in CATCHABLE:
        sig = getattr(signal, name)
        if sig not in (signal.SIGPIPE, signal.SIGXFSZ):
            signal.signal(sig, signal.SIG_IGN)
    payload_fd = _embedded_payload_fd() if embedded else 0
    header, source, stdin_base = _load(payload_fd)
    try:
        code = compile(source, header["filename"], "exec", dont_inherit=True)
    except BaseException as exc:
        message = "".join(traceback.format_exception_only(type(exc), exc))
        _emit({"harness": 1, "compile_error": message, "cases": []})
        return 0
    del source
    finished = []
    for spec in header["cases"]:
        limits = spec["limits"]
        spec = dict(spec, offset=stdin_base + spec["offset"])
        finished.append((_run_case(code, header, limits, startup, payload_fd, spec), limits))
    raw = bool(header.get("raw"))
    cases = [_report(*outcome, limits, raw) for outcome, limits in finished]
    _emit({"harness": 1, "compile_error": None, "raw": raw, "cases": cases})
    if raw:
        for ((_c, _k, _w, out_fd, err_fd), _l), result in zip(finished, cases):  # noqa: B905 - Python 3.8 has no strict
            _send(out_fd, result["stdout_len"])
            _send(err_fd, result["stderr_len"])
    return 0


_EMBEDDED = False

if __name__ == "__main__":
    sys.exit(main(_EMBEDDED))
