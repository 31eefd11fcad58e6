"""Really run a submission, and report it as a Judge0 worker would (research/judge0-api.md §2).

Like isolate, the program runs unprivileged (``nobody`` when we are root) with ``RLIMIT_FSIZE``
set soft *and* hard to ``max_file_size``, so it cannot raise it; CPU, wall clock and memory are
watched from outside and the process group is killed at a limit. Like Judge0, whose programs run
as children of ``/bin/bash run``, a program killed by signal N shows as 11 NZEC with exit code
128 + N (``bash_wrapper=False`` gives the direct signal statuses 7 to 10 and 12 instead); the
memory limit is therefore 11 NZEC, exit code 137, memory near the limit; there is no MLE status.
This runs trusted test programs: it is a fake of a remote judge, not a sandbox.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass

#: id -> (name, kind): Judge0 1.14.0's ids and names for these languages (as hosted); the fake's
#: ``/about`` says 1.14.0, so a client mapping names to ids per version (the official SDK) agrees.
#: Older versions stay listed next to newer ones, as on the hosted service: clients must resolve
#: names, never hard-code ids. ``VERSION_1_14_ONLY`` are absent when the fake plays 1.13.1.
LANGUAGES: dict[int, tuple[str, str]] = {
    70: ("Python (2.7.17)", "python2"),
    71: ("Python (3.8.1)", "python"),
    113: ("Python (3.12.5)", "python"),
    50: ("C (GCC 9.2.0)", "c"),
    103: ("C (GCC 14.1.0)", "c"),
    52: ("C++ (GCC 7.4.0)", "cpp"),
    54: ("C++ (GCC 9.2.0)", "cpp"),
    105: ("C++ (GCC 14.1.0)", "cpp"),
    63: ("JavaScript (Node.js 12.14.0)", "javascript"),
    102: ("JavaScript (Node.js 22.08.0)", "javascript"),
    43: ("Plain Text", "text"),
}
VERSION_1_14_ONLY = frozenset({102, 103, 105, 113})
#: Archived languages: served by ``/languages/all`` and ``/languages/{id}``, refused on create.
ARCHIVED: dict[int, tuple[str, str]] = {36: ("Python (2.7.9)", "python2")}

PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else shutil.which("python3")
UNPRIVILEGED = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")
SIGNAL_STATUSES = {11: 7, 25: 8, 8: 9, 6: 10}
#: How often the run is reaped (cheap) and measured (a scan of /proc, not cheap).
POLL_S = 0.005
SCAN_S = 0.03


@dataclass
class RunSpec:
    kind: str
    source: bytes
    stdin: bytes
    cpu_s: float
    cpu_extra_s: float
    wall_s: float
    memory_kb: int
    max_file_kb: int
    expected_output: bytes | None = None
    bash_wrapper: bool = True


def _strip(data: bytes) -> bytes:
    """Judge0's comparison normalisation: rstrip every line, then the whole text."""
    return b"\n".join(line.rstrip() for line in data.split(b"\n")).rstrip()


def _result(status_id: int, **fields) -> dict:
    base = {
        "status_id": status_id,
        "stdout": b"",
        "stderr": b"",
        "compile_output": b"",
        "message": b"",
        "time": None,
        "wall_time": None,
        "memory": None,
        "exit_code": None,
        "exit_signal": None,
    }
    base.update(fields)
    return base


def _pgroup_usage(pgid: int) -> tuple[float, int]:
    """CPU seconds (live processes, plus their reaped children) and RSS in KB of a group."""
    hz = os.sysconf("SC_CLK_TCK")
    page_kb = os.sysconf("SC_PAGE_SIZE") // 1024
    ticks = rss = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) != pgid:
            continue
        ticks += sum(int(x) for x in fields[11:15])
        rss += int(fields[21]) * page_kb
    return ticks / hz, rss


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


def _compile(kind: str, box: str) -> tuple[list[str], dict | None]:
    if kind in ("python", "python2"):
        return [PYTHON, "main.py"], None
    if kind == "javascript":
        return [shutil.which("node") or "/usr/bin/node", "main.js"], None
    if kind == "text":
        return ["/bin/cat", "main.txt"], None
    compiler = {
        "c": ["gcc", "-O2", "-o", "main", "main.c", "-lm"],
        "cpp": ["g++", "-O2", "-o", "main", "main.cpp"],
    }[kind]
    try:
        done = subprocess.run(compiler, cwd=box, capture_output=True, timeout=20)
    except subprocess.TimeoutExpired:
        return [], _result(6, compile_output=b"Compilation time limit exceeded.\n")
    if done.returncode != 0:
        return [], _result(6, compile_output=done.stdout + done.stderr)
    return ["./main"], None


SOURCE_NAMES = {
    "python": "main.py",
    "python2": "main.py",
    "javascript": "main.js",
    "text": "main.txt",
    "c": "main.c",
    "cpp": "main.cpp",
}


#: Runs the program as its own child and reports the child's rusage on fd ``argv[1]``.
#: ``ru_maxrss`` is a high-water mark that survives exec and includes the memory of the process
#: that forked (or vforked) it: spawned straight from the test process, a 1 MB C program would
#: report the test process's hundreds of MB. Forked from this small launcher instead, it reports
#: what Judge0's cgroup would: its own peak. The launcher ends as its child did.
LAUNCHER = """
import os, signal, sys
fd = int(sys.argv[1])
os.set_inheritable(fd, False)
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
os.write(fd, ("%d %d" % (usage.ru_maxrss, usage.ru_utime * 1e6 + usage.ru_stime * 1e6)).encode())
if os.WIFSIGNALED(status):
    signal.signal(os.WTERMSIG(status), signal.SIG_DFL)
    os.kill(os.getpid(), os.WTERMSIG(status))
sys.exit(os.WEXITSTATUS(status))
"""


def execute(spec: RunSpec) -> dict:
    """Run one submission for real; the dict holds Judge0's result fields (outputs as bytes)."""
    box = tempfile.mkdtemp(prefix="fake-judge0-")
    try:
        return _execute(spec, box)
    finally:
        shutil.rmtree(box, ignore_errors=True)


def _execute(spec: RunSpec, box: str) -> dict:
    os.chmod(box, 0o777)
    with open(os.path.join(box, SOURCE_NAMES[spec.kind]), "wb") as f:
        f.write(spec.source)
    argv, failed = _compile(spec.kind, box)
    if failed is not None:
        return failed
    for name in os.listdir(box):
        os.chmod(os.path.join(box, name), 0o777)
    fsize = spec.max_file_kb * 1024
    report_read, report_write = os.pipe()
    prefix = [
        *(UNPRIVILEGED if os.geteuid() == 0 else ()),
        "prlimit",
        f"--fsize={fsize}",
        "--",
        "/usr/bin/python3",
        "-I",
        "-S",
        "-c",
        LAUNCHER,
        str(report_write),
    ]
    # isolate gives each box its own /tmp; this fake cannot hide the host's, so it names one.
    scratch = os.path.join(box, "tmp")
    os.mkdir(scratch, 0o777)
    os.chmod(scratch, 0o777)
    paths = {name: os.path.join(box, name) for name in ("stdin", "stdout", "stderr")}
    with open(paths["stdin"], "wb") as f:
        f.write(spec.stdin)
    with (
        open(paths["stdin"], "rb") as stdin,
        open(paths["stdout"], "wb") as stdout,
        open(paths["stderr"], "wb") as stderr,
    ):
        started = time.monotonic()
        process = subprocess.Popen(
            [*prefix, *argv],
            cwd=box,
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
            env={"PATH": "/usr/bin:/bin", "HOME": box, "LANG": "C.UTF-8", "TMPDIR": scratch},
            pass_fds=[report_write],
        )
    os.close(report_write)
    pid = process.pid
    killed = None
    peak_kb = 0
    status = usage = None
    next_scan = started + POLL_S
    while True:
        got, status, usage = os.wait4(pid, os.WNOHANG)
        if got == pid:
            break
        now = time.monotonic()
        if now < next_scan:  # reaping is cheap, scanning /proc is not: do it every SCAN_S
            time.sleep(POLL_S)
            continue
        next_scan = now + SCAN_S
        cpu_s, rss_kb = _pgroup_usage(pid)
        peak_kb = max(peak_kb, rss_kb)
        if time.monotonic() - started > spec.wall_s:
            killed = "wall"
        elif cpu_s > spec.cpu_s + spec.cpu_extra_s:
            killed = "cpu"
        elif rss_kb > spec.memory_kb:
            killed = "memory"
        if killed:
            _kill_group(pid)
            _, status, usage = os.wait4(pid, 0)
            break
        time.sleep(POLL_S)
    process.returncode = -1  # reaped here; keep Popen from waiting again
    wall = time.monotonic() - started
    _kill_group(pid)
    with os.fdopen(report_read, "rb") as report:
        reported = report.read().split()
    if len(reported) == 2:  # the program's own figures; absent when we killed the group
        memory, cpu = max(peak_kb, int(reported[0])), int(float(reported[1])) / 1e6
    else:
        memory, cpu = peak_kb, usage.ru_utime + usage.ru_stime
    with open(paths["stdout"], "rb") as f:
        out = f.read()
    with open(paths["stderr"], "rb") as f:
        err = f.read()
    common = {
        "stdout": out,
        "stderr": err,
        "time": f"{cpu:.3f}",
        "wall_time": f"{wall:.3f}",
        "memory": memory,
    }
    if killed == "wall" or killed == "cpu" or cpu > spec.cpu_s:
        message = (
            b"Time limit exceeded (wall clock)" if killed == "wall" else b"Time limit exceeded"
        )
        return _result(5, message=message, exit_code=0, exit_signal=9, **common)
    sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
    if sig is not None:
        if spec.bash_wrapper:
            code = 128 + sig
            message = f"Exited with error status {code}".encode()
            return _result(11, message=message, exit_code=code, **common)
        message = f"Caught fatal signal {sig}".encode()
        return _result(
            SIGNAL_STATUSES.get(sig, 12), message=message, exit_code=0, exit_signal=sig, **common
        )
    if code:
        message = f"Exited with error status {code}".encode()
        return _result(11, message=message, exit_code=code, **common)
    if spec.expected_output is not None and _strip(out) != _strip(spec.expected_output):
        return _result(4, exit_code=0, **common)
    return _result(3, exit_code=0, **common)
