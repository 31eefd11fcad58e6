"""``LocalSandboxBackend``: runs a submission's cases in local sandboxes (sandbox.md §5, issue 11).

Every sandbox comes from this worker's sandbox service (``service.py``, started once, restarted if
it dies) and has the runner (``harness_program.py``) as its pid 1, which runs the cases one after
the other, each in a fresh fork, under its own limits. Per batch (one language, one source):

- Python: one sandbox for the whole batch (up to ``parallel`` sandboxes sharing its cases only
  when they are many), from the service's pool of pre-started sandboxes: the runner compiles the
  source first (a syntax error is a compilation error for every case) and runs each case in a
  fork of itself. If a runner fails in any way, each of its cases runs again in a sandbox of its
  own. With ``one_process=False`` (the reference path of tests and benchmarks) every case runs
  as a fresh ``python3 main.py`` in a sandbox of its own, after a sandboxed syntax check.
- Languages without a compile step and without extra mounts (JavaScript): the same, with the
  runner executing the interpreter for each case.
- Compiled languages: a uid is leased and a box (tmpfs) made for the batch; the compiler runs in
  a sandbox with the box writable; then the cases run, executing the binary, in sandboxes that
  mount the box read-only; the box is removed and the uid released at the end.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from courses.judging import templates
from courses.judging.backends.base import check_single_program
from courses.judging.errors import ExecutorBusy, JudgeError, SandboxUnavailable, UnknownLanguage
from courses.judging.languages import Language, get_language
from courses.judging.types import COMPILE_LIMITS, Outcome, RunRequest, RunResult

from . import harness, harness_program, isolation, sandbox, seccomp, sweep, uids
from .boxes import Box, prepare_dirs
from .client import ServiceClient

logger = logging.getLogger(__name__)

COMPILE_LOG_BYTES = 64 << 10
BOX_BYTES = 64 << 20
#: A batch is split over several sandboxes only when each still gets this many cases.
MIN_CASES_PER_SANDBOX = 16
#: Pre-started sandboxes per worker process (``COURSES_SANDBOX_POOL``).
DEFAULT_POOL_SIZE = 2
#: A pre-started sandbox's limits until it is given work (then the request's apply).
POOL_LIMITS = {"memory_bytes": 256 << 20, "pids": 64 + sandbox.SANDBOX_PROCESSES}
#: A syntax check that prints only what the runner prints for the same error.
PY_SYNTAX_CHECK = (
    "import sys, traceback\n"
    "try:\n"
    "    compile(open('main.py', 'rb').read(), '/box/main.py', 'exec', dont_inherit=True)\n"
    "except BaseException as exc:\n"
    "    sys.stderr.write(''.join(traceback.format_exception_only(type(exc), exc)))\n"
    "    sys.exit(1)\n"
)
#: Not /var/lib/codecourses itself: sweeps of earlier versions remove any box in its boxes/.
DEFAULT_STATE_DIR = "/var/lib/codecourses/sandbox"

_swept: set[str] = set()
_sweep_lock = threading.Lock()
_detected: dict[bool | None, isolation.Isolation] = {}


def detect_isolation(allow_unsandboxed: bool | None = None) -> isolation.Isolation:
    """Detect once per process (and per setting): start-up only, the answer does not change."""
    with _sweep_lock:
        if allow_unsandboxed not in _detected:
            _detected[allow_unsandboxed] = isolation.detect(allow_unsandboxed)
        return _detected[allow_unsandboxed]


def _ro_binds(lang: Language) -> list[tuple[str, str]]:
    """Read-only extras a language needs outside /usr (Debian's JDK links its conf into /etc)."""
    binds = []
    if lang.key == "java":
        for path in ("/etc/java-17-openjdk", "/etc/java-21-openjdk"):
            if os.path.isdir(path):
                binds.append((path, path))
    return binds


def _default_state_dir() -> str:
    if os.geteuid() == 0:
        return DEFAULT_STATE_DIR
    path = os.path.expanduser("~/.local/state/codecourses-sandbox")
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        return path
    except OSError:
        return tempfile.mkdtemp(prefix="codecourses-sandbox-")


def _real_argv(lang: Language, template: tuple[str, ...]) -> list[str]:
    argv = lang.argv(template)
    if os.path.isabs(argv[0]):
        argv[0] = os.path.realpath(argv[0])
    return argv


def _run_argv(lang: Language, requests: list[RunRequest]) -> list[str]:
    """The command that runs each case, with the runtime's heap held under the batch's
    smallest memory limit (``Language.heap_argv``)."""
    argv = _real_argv(lang, lang.run_argv)
    argv[1:1] = lang.heap_argv(min(request.limits.memory_kb for request in requests))
    return argv


def sweep_host(*, uid_first: int = uids.UID_FIRST, uid_count: int = uids.UID_COUNT) -> dict:
    """One sweep of this host's sandbox leftovers, without starting a sandbox service."""
    iso = detect_isolation()
    if not iso.usable or not iso.switch_uid:
        return {}
    state_dir = os.environ.get("COURSES_SANDBOX_DIR") or DEFAULT_STATE_DIR
    uid_list, _ = uids.usable_uids(uid_first, uid_count)
    return sweep.sweep(
        lock_dir=uids.HOST_LOCK_DIR,
        boxes_dir=os.path.join(state_dir, "boxes"),
        layout=iso.layout,
        uid_list=uid_list,
    )


class LocalSandboxBackend:
    """Runs code in bubblewrap sandboxes on this host (see the module docstring).

    ``one_process`` selects the runner's in-process path for Python batches (the default; the
    benchmarks compare both). ``harness_as_init=False`` starts the first runner of a Python
    batch below bubblewrap's own init, where student code can kill it: only tests use it, to
    exercise the fallback. ``pool_size`` pre-started sandboxes are kept ready (0: none).
    """

    name = "local"

    def __init__(
        self,
        one_process: bool = True,
        *,
        parallel: int | None = None,
        allow_unsandboxed: bool | None = None,
        state_dir: str | None = None,
        harness_as_init: bool = True,
        uid_first: int = uids.UID_FIRST,
        uid_count: int = uids.UID_COUNT,
        isolation_override: isolation.Isolation | None = None,
        pool_size: int | None = None,
        sweep_interval_s: float = sweep.SWEEP_INTERVAL_S,
    ) -> None:
        self.one_process = one_process
        self.harness_as_init = harness_as_init
        self.uid_first = uid_first
        self.uid_count = uid_count
        # Detected from the host; given only to run a weaker mode on a host that has more.
        self.isolation = isolation_override or detect_isolation(allow_unsandboxed)
        self.parallel = max(1, parallel or os.cpu_count() or 1)
        if self.isolation.mode != isolation.FULL:
            self.parallel = 1  # without cgroups, concurrent runs of one uid would share limits
        self.state_dir = state_dir or os.environ.get("COURSES_SANDBOX_DIR") or _default_state_dir()
        self.switch_uid = self.isolation.switch_uid
        self.lock_dir = (
            uids.HOST_LOCK_DIR if self.switch_uid else os.path.join(self.state_dir, "locks")
        )
        self.boxes_dir = os.path.join(self.state_dir, "boxes")
        if self.switch_uid:
            self.uid_list, self.excluded_uids = uids.usable_uids(uid_first, uid_count)
        else:  # no uid switch: leases only name the runs (processes run as the worker's uid)
            self.uid_list, self.excluded_uids = list(range(uid_first, uid_first + uid_count)), {}
        if self.excluded_uids:
            logger.warning(
                "sandbox uids left out (host accounts): %s",
                ", ".join(f"{uid} ({why})" for uid, why in sorted(self.excluded_uids.items())),
            )
        self.harness_fallbacks = 0
        self.pool_size = DEFAULT_POOL_SIZE if pool_size is None else pool_size
        self.client: ServiceClient | None = None
        if self.isolation.usable:
            self._prepare_state_dir()
            self.client = ServiceClient(
                self._service_config(sweep_interval_s), self.isolation.python
            )
            self.client.start()  # its pre-started sandboxes are ready by the first run

    @classmethod
    def from_settings(cls) -> LocalSandboxBackend:
        from django.conf import settings

        return cls(
            pool_size=getattr(settings, "COURSES_SANDBOX_POOL", DEFAULT_POOL_SIZE),
            uid_first=getattr(settings, "COURSES_SANDBOX_UID_FIRST", uids.UID_FIRST),
            uid_count=getattr(settings, "COURSES_SANDBOX_UID_COUNT", uids.UID_COUNT),
        )

    @property
    def mode(self) -> str | None:
        return self.isolation.mode

    def _service_config(self, sweep_interval_s: float) -> dict:
        iso = self.isolation
        return {
            "mode": iso.mode,
            "bwrap": iso.bwrap,
            "python": iso.python,
            "layout": iso.layout.to_json() if iso.layout is not None else None,
            "switch_uid": self.switch_uid,
            "state_dir": self.state_dir,
            "boxes_dir": self.boxes_dir,
            "lock_dir": self.lock_dir,
            "uids": self.uid_list,
            "seccomp": seccomp.filter_bpf() if iso.mode != isolation.NONE else b"",
            "runner": harness.program_text(),
            "pool_size": self.pool_size,
            "pool_limits": POOL_LIMITS,
            "sweep_interval_s": sweep_interval_s,
        }

    def _prepare_state_dir(self) -> None:
        prepare_dirs(self.state_dir)
        uids.prepare_lock_dir(self.lock_dir)
        with _sweep_lock:
            if self.state_dir in _swept:
                return
            _swept.add(self.state_dir)
        self.sweep()

    def sweep(self) -> dict[str, int]:
        """Remove what dead runs left behind (the service also does it on its own)."""
        return sweep.sweep(
            lock_dir=self.lock_dir,
            boxes_dir=self.boxes_dir,
            layout=self.isolation.layout,
            uid_list=self.uid_list,
            kill_processes=self.switch_uid,
        )

    def close(self, *, wait: bool = False) -> None:
        """Stop this backend's sandbox service (and its pre-started sandboxes); ``wait`` until
        it has exited."""
        if self.client is not None:
            self.client.close(wait=wait)

    def __del__(self, _finalizing=sys.is_finalizing) -> None:
        # At interpreter exit the service sees its control socket close and tears its
        # sandboxes down by itself; module globals (``os``) may already be gone by then.
        if _finalizing():
            return
        client = getattr(self, "client", None)
        if client is not None:
            client.close()

    def guarantees(self) -> list[tuple[bool | None, str]]:
        """What this host's isolation guarantees, and what it does not (``judge_check``).

        None marks what does not apply to this host (cgroup v2 on a v1 host).
        """
        iso = self.isolation
        if not iso.usable:
            return [(False, "no sandbox: " + iso.detail)]
        sandboxed = iso.mode != isolation.NONE
        cgroup = iso.layout is not None
        v2 = cgroup and iso.layout.version == 2
        first, last = self.uid_first, self.uid_first + self.uid_count - 1
        if self.switch_uid:
            uid_text = (
                f"untrusted code runs under a uid of its own, never root: {len(self.uid_list)}"
                f" usable uids of {first}-{last}"
            )
            if self.excluded_uids:
                left_out = sorted(self.excluded_uids.items())
                uid_text += " (left out: " + ", ".join(f"{u} {why}" for u, why in left_out) + ")"
        else:
            uid_text = (
                "untrusted code runs under a uid of its own: no, under the worker's uid in a user"
                " namespace (run the worker as root)"
            )
        if cgroup:
            memory_text = (
                "memory limit per case enforced by the kernel (memory cgroup), tmpfs and socket"
                " buffers included"
            )
        else:
            memory_text = (
                "memory limit per case: RLIMIT_AS per process, the case's PSS and tmpfs use polled"
                " (no memory cgroup: not enforced by the kernel)"
            )
        processes_text = "process limit per case (RLIMIT_NPROC in the sandbox's user namespace"
        processes_text += ", pids cgroup)" if cgroup else ")"
        cpu_source = "cgroup CPU counter" if cgroup else "rusage and /proc"
        return [
            (self.switch_uid, uid_text),
            (
                sandboxed,
                "namespaces: no network (loopback only), own pids, mounts and IPC; only /usr"
                " (read-only), a sized /tmp and /dev/shm and the box are mounted",
            ),
            (
                sandboxed,
                f"seccomp filter (errno {seccomp.DENIED_ERRNO}): ptrace and other processes,"
                " mounts, namespaces, inotify/fanotify, file locks, SysV IPC and message queues,"
                " sockets other than AF_UNIX, io_uring and Linux AIO, bpf, keyrings",
            ),
            (sandboxed, "the sandbox's pid 1 is the runner: not dumpable, cannot be signalled"),
            (cgroup, memory_text),
            (sandboxed, processes_text),
            (
                True,
                f"CPU time limit per case ({cpu_source}); the wall limit does not count the time"
                f" spent waiting for a CPU, up to {harness_program.WALL_BACKSTOP} times the limit",
            ),
            (
                True,
                "output limit per case (stdout watched and cut at its cap by the runner);"
                f" no file past {harness.SCRATCH_FILE_BYTES >> 20} MiB (RLIMIT_FSIZE)",
            ),
            (sandboxed, "boxes 0700, owned by the sandbox's uid, their path in no argument"),
            (
                True,
                "clean-up: the sandbox service dies with its worker and sweeps dead runs every"
                f" {sweep.SWEEP_INTERVAL_S:.0f} s; uid locks host-wide ({self.lock_dir})",
            ),
            (
                False if v2 else None,
                "cgroup v2 enforcement is unverified: its file protocol is tested on a fake"
                " cgroup tree only (the project's hosts bind memory, pids and cpu to v1)",
            ),
        ]

    def _lease(self) -> uids.UidLease:
        try:
            return uids.acquire(self.lock_dir, self.uid_list)
        except uids.UidsExhausted as exc:
            raise ExecutorBusy(f"sandbox uids: {exc}") from exc

    # ---- the protocol ---------------------------------------------------------------------
    def run_batch(self, requests: Sequence[RunRequest]) -> list[RunResult]:
        check_single_program(requests)
        if not requests:
            return []
        if not self.isolation.usable or self.client is None:
            raise SandboxUnavailable(self.isolation.detail)
        if not self.uid_list:
            raise SandboxUnavailable(
                f"no usable sandbox uid in {self.uid_first}-{self.uid_first + self.uid_count - 1}:"
                " every one belongs to a host account"
            )
        lang = get_language(requests[0].language)
        if not lang.is_installed:
            raise UnknownLanguage(f"{lang.display_name} is not installed on this host")
        requests = list(requests)
        if lang.key == "python":
            return self._python(requests)
        if lang.compile_argv is None and not _ro_binds(lang):
            files = {lang.source_filename: requests[0].source.encode("utf-8")}
            argv = _run_argv(lang, requests)
            return self._cases(requests, lambda **kw: sandbox.Work(argv=argv, files=files, **kw))
        return self._with_box(lang, requests)

    def _map(self, func, items: list) -> list:
        if len(items) <= 1 or self.parallel == 1:
            return [func(item) for item in items]
        with ThreadPoolExecutor(max_workers=min(self.parallel, len(items))) as pool:
            return list(pool.map(func, items))

    def _cases(self, requests: list[RunRequest], make_work, *, first_as_init=True) -> list:
        """Run every case: in up to ``parallel`` sandboxes that share the batch (each runner
        takes the next case nobody has taken, ``sandbox.SharedCases``), or one per case.

        The cases a failed runner took are run again one case per sandbox; a failure there is
        an infrastructure failure (``JudgeError``).
        """
        n = len(requests)
        shared = None
        if self.one_process:
            chunks = sandbox.batch_chunks(n, self.parallel, MIN_CASES_PER_SANDBOX)
        else:
            chunks = [[i] for i in range(n)]

        def work_for(chunk: list[int], as_init: bool) -> sandbox.Work:
            return make_work(
                stdins=[requests[i].stdin for i in chunk],
                limits=[requests[i].limits for i in chunk],
                as_init=as_init,
            )

        if self.one_process and len(chunks) > 1:
            try:
                shared = sandbox.share(self.isolation, work_for(list(range(n)), first_as_init))
            except OSError as exc:  # no room for the queue: the chunks stay cut in advance
                logger.warning("cases of a batch not shared between its sandboxes: %s", exc)
            else:
                chunks = [list(range(n))] * len(chunks)

        def attempt(chunk: list[int]) -> list[RunResult | None] | None:
            work = work_for(chunk, first_as_init)
            try:
                return sandbox.run(self.client, self.isolation, work, shared)
            except harness.HarnessFailed as exc:
                logger.warning("sandbox runner failed for %d case(s): %s", len(chunk), exc)
                return None

        results: list[RunResult | None] = [None] * n
        try:
            outcomes = self._map(attempt, chunks)
        finally:
            if shared is not None:
                shared.close()
        for chunk, outcome in zip(chunks, outcomes, strict=True):
            for index, result in zip(chunk, outcome or [None] * len(chunk), strict=True):
                if result is None:
                    continue
                if result.outcome == Outcome.COMPILATION_ERROR:
                    return [result] * n
                results[index] = result
        pending = [index for index in range(n) if results[index] is None]
        if pending:
            self.harness_fallbacks += 1

            def again(index: int) -> RunResult:
                try:
                    (result,) = sandbox.run(self.client, self.isolation, work_for([index], True))
                except harness.HarnessFailed as exc:
                    raise JudgeError(f"the sandbox runner failed: {exc}") from exc
                return result

            for index, result in zip(pending, self._map(again, pending), strict=True):
                results[index] = result
            if any(r.outcome == Outcome.COMPILATION_ERROR for r in results if r is not None):
                first = next(r for r in results if r.outcome == Outcome.COMPILATION_ERROR)
                return [first] * n
        return results  # type: ignore[return-value]

    # ---- Python ---------------------------------------------------------------------------
    def _python(self, requests: list[RunRequest]) -> list[RunResult]:
        source = requests[0].source
        files = {"main.py": source.encode("utf-8")}
        python = get_language("python")
        if self.one_process:
            # The launcher's prelude (compile, __main__ ready) runs once per sandbox, not per case.
            launcher = templates.is_python_launcher(source)
            prelude_end = templates.PYTHON_PRELUDE_END if launcher else None
            return self._cases(
                requests,
                lambda **kw: sandbox.Work(
                    source=source, files=files, prelude_end=prelude_end, **kw
                ),
                first_as_init=self.harness_as_init,
            )
        check = sandbox.Work(
            stdins=[b""],
            limits=[COMPILE_LIMITS],
            argv=[python.run_argv[0], "-S", "-B", "-c", PY_SYNTAX_CHECK],
            files=files,
            stdout_cap=COMPILE_LOG_BYTES,
        )
        failure = self._compile_failure(check)
        if failure is not None:
            return [failure] * len(requests)
        argv = _real_argv(python, python.run_argv)
        return self._cases(requests, lambda **kw: sandbox.Work(argv=argv, files=files, **kw))

    # ---- compiled languages ---------------------------------------------------------------
    def _with_box(self, lang: Language, requests: list[RunRequest]) -> list[RunResult]:
        lease = self._lease()
        try:
            owner = lease.uid if self.switch_uid else None
            box = Box(self.boxes_dir, lease.uid, owner=owner, size_bytes=BOX_BYTES)
            try:
                box.write(lang.source_filename, requests[0].source.encode("utf-8"))
                binds = _ro_binds(lang)
                if lang.compile_argv is not None:
                    compile_work = sandbox.Work(
                        stdins=[b""],
                        limits=[COMPILE_LIMITS],
                        argv=_real_argv(lang, lang.compile_argv),
                        box=box,
                        lease=lease,
                        writable=True,
                        ro_binds=binds,
                        stdout_cap=COMPILE_LOG_BYTES,
                    )
                    failure = self._compile_failure(compile_work)
                    if failure is not None:
                        return [failure] * len(requests)
                box.seal()
                argv = _run_argv(lang, requests)
                return self._cases(
                    requests,
                    lambda **kw: sandbox.Work(
                        argv=argv, box=box, lease=lease, ro_binds=binds, **kw
                    ),
                )
            finally:
                box.destroy()
        finally:
            lease.release()

    def _compile_failure(self, work: sandbox.Work) -> RunResult | None:
        """Compile (or syntax-check) once; a ``COMPILATION_ERROR`` result, or None if fine."""
        try:
            (result,) = sandbox.run(self.client, self.isolation, work)
        except harness.HarnessFailed as exc:
            raise JudgeError(f"the sandbox runner failed while compiling: {exc}") from exc
        if result.outcome == Outcome.OK:
            return None
        log = (result.stdout + result.stderr).decode("utf-8", errors="replace")
        if result.stdout_truncated or result.stderr_truncated:
            log += "\n[compiler output truncated]"
        if result.outcome == Outcome.TIME_LIMIT:
            log += "\n[compilation exceeded the time limit]"
        elif result.outcome == Outcome.MEMORY_LIMIT:
            log += "\n[compilation exceeded the memory limit]"
        elif result.outcome == Outcome.OUTPUT_LIMIT:
            log += "\n[compilation output exceeded the limit]"
        return harness.compile_error_result(log.strip())
