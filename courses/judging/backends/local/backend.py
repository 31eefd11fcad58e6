"""``LocalSandboxBackend``: runs a submission's cases in local sandboxes (sandbox.md §5).

Per batch (one language, one source, many stdins):
1. lock an owner uid and create a fresh box named after it; write the source (and, for the
   one-process path, the harness program) into it — the only writes the host ever makes there;
2. Python on the one-process path: run every case through the harness, in up to ``parallel``
   sandboxes with a share of the cases each; if a harness run fails in any way, its cases fall
   back to step 3-4;
3. compile once under ``COMPILE_LIMITS`` (for Python: a sandboxed syntax check, so a syntax error
   is a compilation error on both paths); a compilation error ends the batch;
4. run the cases, one sandbox each, ``parallel`` at a time (default: the number of cores);
5. remove the box (tmpfs unmount, or link-safe removal) and release the owner uid.
"""

from __future__ import annotations

import logging
import math
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from courses.judging.backends.base import check_single_program
from courses.judging.errors import JudgeError, SandboxUnavailable, UnknownLanguage
from courses.judging.languages import Language, get_language
from courses.judging.types import COMPILE_LIMITS, Limits, Outcome, RunRequest, RunResult

from . import harness, isolation, sweep, uids
from .boxes import Box
from .outcomes import Facts, classify
from .sandbox import MEMORY_SLACK_BYTES, Spec, execute, rlimit_cpu_seconds, signal_of

logger = logging.getLogger(__name__)

COMPILE_LOG_BYTES = 64 << 10
STDERR_CAP_BYTES = 64 << 10
BOX_BYTES = 64 << 20
#: Room in a harness sandbox for the harness parent and the cases' captured outputs.
HARNESS_MEMORY_BUDGET = 64 << 20
#: A syntax check that prints only what the harness prints for the same error.
PY_SYNTAX_CHECK = (
    "import sys, traceback\n"
    "try:\n"
    "    compile(open('main.py', 'rb').read(), '/box/main.py', 'exec', dont_inherit=True)\n"
    "except BaseException as exc:\n"
    "    sys.stderr.write(''.join(traceback.format_exception_only(type(exc), exc)))\n"
    "    sys.exit(1)\n"
)
DEFAULT_STATE_DIR = "/var/lib/codecourses"

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


class LocalSandboxBackend:
    """Runs code in bubblewrap sandboxes on this host (see the module docstring).

    ``one_process`` selects the one-process harness for Python batches (the default; the
    benchmarks compare both). ``harness_as_init`` runs the harness as its sandbox's pid 1, where
    student code cannot signal it; turning it off exercises the fallback path.
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
    ) -> None:
        self.one_process = one_process
        self.parallel = max(1, parallel or os.cpu_count() or 1)
        self.harness_as_init = harness_as_init
        self.uid_first = uid_first
        self.uid_count = uid_count
        # Detected from the host; given only to run a weaker mode on a host that has more.
        self.isolation = isolation_override or detect_isolation(allow_unsandboxed)
        self.state_dir = state_dir or os.environ.get("COURSES_SANDBOX_DIR") or DEFAULT_STATE_DIR
        self.lock_dir = os.path.join(self.state_dir, "locks")
        self.boxes_dir = os.path.join(self.state_dir, "boxes")
        self.harness_fallbacks = 0
        if self.isolation.usable:
            self._prepare_state_dir()

    @property
    def mode(self) -> str | None:
        return self.isolation.mode

    def _prepare_state_dir(self) -> None:
        os.makedirs(self.lock_dir, mode=0o700, exist_ok=True)
        os.makedirs(self.boxes_dir, mode=0o711, exist_ok=True)
        # Run uids must traverse (never list) the path to their box.
        os.chmod(self.state_dir, 0o711)
        os.chmod(self.boxes_dir, 0o711)
        os.chmod(self.lock_dir, 0o700)
        with _sweep_lock:
            if self.state_dir in _swept:
                return
            _swept.add(self.state_dir)
        self.sweep()

    def sweep(self) -> dict[str, int]:
        return sweep.sweep(
            lock_dir=self.lock_dir,
            boxes_dir=self.boxes_dir,
            layout=self.isolation.layout,
            first=self.uid_first,
            count=self.uid_count,
        )

    def _lease(self) -> uids.UidLease:
        return uids.acquire(self.lock_dir, first=self.uid_first, count=self.uid_count)

    # ---- the protocol ---------------------------------------------------------------------
    def run_batch(self, requests: Sequence[RunRequest]) -> list[RunResult]:
        check_single_program(requests)
        if not requests:
            return []
        if not self.isolation.usable:
            raise SandboxUnavailable(self.isolation.detail)
        lang = get_language(requests[0].language)
        if not lang.is_installed:
            raise UnknownLanguage(f"{lang.display_name} is not installed on this host")
        owner = self._lease()
        try:
            box = Box(self.boxes_dir, owner.uid, size_bytes=BOX_BYTES)
            try:
                return self._judge(lang, list(requests), box, owner)
            finally:
                box.destroy()
        finally:
            owner.release()

    def _judge(
        self, lang: Language, requests: list[RunRequest], box: Box, owner: uids.UidLease
    ) -> list[RunResult]:
        box.write(lang.source_filename, requests[0].source.encode("utf-8"))
        results: list[RunResult | None] = [None] * len(requests)
        pending = list(range(len(requests)))
        if lang.key == "python" and self.one_process:
            box.write("harness.py", harness.program_text().encode())
            box.seal()
            done = self._run_harness(requests, box)
            if isinstance(done, RunResult):  # a compilation error
                return [done] * len(requests)
            for index, result in done.items():
                results[index] = result
            pending = [i for i in pending if results[i] is None]
            if not pending:
                return results  # type: ignore[return-value]
            self.harness_fallbacks += 1
            logger.warning("harness failed for %d case(s): one process per case", len(pending))
        failure = self._compile(lang, box, owner)
        if failure is not None:
            return [failure] * len(requests)
        box.seal()
        runs = self._map(lambda i: self._run_one(lang, requests[i], box), pending)
        for index, result in zip(pending, runs, strict=True):
            results[index] = result
        return results  # type: ignore[return-value]

    def _map(self, func, items: list) -> list:
        if len(items) <= 1 or self.parallel == 1:
            return [func(item) for item in items]
        with ThreadPoolExecutor(max_workers=min(self.parallel, len(items))) as pool:
            return list(pool.map(func, items))

    # ---- compile ----------------------------------------------------------------------------
    def _compile(self, lang: Language, box: Box, owner: uids.UidLease) -> RunResult | None:
        """Compile (or syntax-check) once; a ``COMPILATION_ERROR`` result, or None if fine."""
        if lang.key == "python":
            argv = [lang.run_argv[0], "-S", "-B", "-c", PY_SYNTAX_CHECK]
            writable = False
        elif lang.compile_argv is not None:
            argv = lang.argv(lang.compile_argv)
            argv[0] = os.path.realpath(argv[0])
            box.give_to(owner.uid)
            writable = True
        else:
            return None
        box.seal()
        spec = self._spec(argv, box, writable, COMPILE_LIMITS, stdout_cap=COMPILE_LOG_BYTES,
                          lang=lang)  # fmt: skip
        raw = execute(self.isolation, spec, b"", owner)
        result = self._result(raw, COMPILE_LIMITS)
        if result.outcome == Outcome.OK:
            return None
        log = (raw.stdout + raw.stderr).decode("utf-8", errors="replace")
        if raw.header.get("stdout_truncated") or raw.header.get("stderr_truncated"):
            log += "\n[compiler output truncated]"
        if result.outcome == Outcome.TIME_LIMIT:
            log += "\n[compilation exceeded the time limit]"
        elif result.outcome == Outcome.MEMORY_LIMIT:
            log += "\n[compilation exceeded the memory limit]"
        elif result.outcome == Outcome.OUTPUT_LIMIT:
            log += "\n[compilation output exceeded the limit]"
        return harness.compile_error_result(log.strip())

    # ---- one process per case ---------------------------------------------------------------
    def _spec(
        self,
        argv: list[str],
        box: Box,
        writable: bool,
        limits: Limits,
        *,
        stdout_cap: int | None = None,
        lang: Language | None = None,
    ) -> Spec:
        return Spec(
            argv=argv,
            box=box.path,
            box_writable=writable,
            cpu_ms=limits.cpu_time_ms,
            wall_ms=limits.wall_time_ms,
            memory_bytes=limits.memory_kb * 1024 + MEMORY_SLACK_BYTES,
            processes=limits.processes,
            stdout_cap=stdout_cap if stdout_cap is not None else limits.output_bytes,
            stderr_cap=STDERR_CAP_BYTES,
            rlimit_cpu_s=rlimit_cpu_seconds(limits.cpu_time_ms),
            ro_binds=_ro_binds(lang) if lang is not None else [],
        )

    def _run_one(self, lang: Language, request: RunRequest, box: Box) -> RunResult:
        argv = lang.argv(lang.run_argv)
        if os.path.isabs(argv[0]):
            argv[0] = os.path.realpath(argv[0])
        spec = self._spec(argv, box, False, request.limits, lang=lang)
        with self._lease() as lease:
            raw = execute(self.isolation, spec, request.stdin, lease)
        return self._result(raw, request.limits)

    def _result(self, raw, limits: Limits) -> RunResult:
        header = raw.header
        if not header.get("setup_ok") and header.get("killed") is None:
            raise JudgeError(
                "the sandbox could not start: " + raw.stderr.decode(errors="replace")[-2000:]
            )
        exit_code, sig = signal_of(raw, self.isolation.mode)
        oom = header.get("oom_kills", 0) > 0
        if self.isolation.mode != isolation.FULL and exit_code == 1:
            oom = raw.stderr.rstrip().endswith(b"MemoryError")  # RLIMIT_AS in Python
        facts = Facts(
            killed=header.get("killed"),
            exit_code=exit_code,
            signal=sig,
            cpu_ms=header.get("cpu_ns", 0) // 1_000_000,
            wall_ms=header.get("wall_ns", 0) // 1_000_000,
            memory_kb=header.get("peak_bytes", 0) // 1024,
            oom=oom,
            stdout=raw.stdout,
            stderr=raw.stderr,
            stdout_overflow=bool(header.get("stdout_truncated")),
            stderr_truncated=bool(header.get("stderr_truncated")),
        )
        return classify(facts, limits)

    # ---- the one-process path ---------------------------------------------------------------
    def _run_harness(
        self, requests: list[RunRequest], box: Box
    ) -> dict[int, RunResult] | RunResult:
        """Results by case index for every harness run that succeeded, or a CE result."""
        n = len(requests)
        chunks_count = min(self.parallel, math.ceil(n / 4))
        size = math.ceil(n / chunks_count)
        chunks = [list(range(i, min(i + size, n))) for i in range(0, n, size)]
        outcomes = self._map(lambda chunk: self._harness_chunk(requests, chunk, box), chunks)
        done: dict[int, RunResult] = {}
        for chunk, outcome in zip(chunks, outcomes, strict=True):
            if isinstance(outcome, RunResult):
                return outcome
            if outcome is not None:
                done.update(zip(chunk, outcome, strict=True))
        return done

    def _harness_chunk(
        self, requests: list[RunRequest], chunk: list[int], box: Box
    ) -> list[RunResult] | RunResult | None:
        cases = [requests[i] for i in chunk]
        limits = [r.limits for r in cases]
        payload = harness.build_payload(cases[0].source, [r.stdin for r in cases], limits, raw=True)
        per_case_out = sum(lim.output_bytes + harness.STDERR_CAP_BYTES for lim in limits)
        spec = Spec(
            argv=[get_language("python").run_argv[0], "-S", "-B", "harness.py"],
            box=box.path,
            box_writable=False,
            cpu_ms=sum(rlimit_cpu_seconds(lim.cpu_time_ms) * 1000 for lim in limits) + 2000,
            wall_ms=sum(lim.wall_time_ms + 100 for lim in limits) + 5000,
            memory_bytes=max(lim.memory_kb for lim in limits) * 1024
            + MEMORY_SLACK_BYTES
            + HARNESS_MEMORY_BUDGET
            + per_case_out,
            processes=max(lim.processes for lim in limits) + 2,
            stdout_cap=per_case_out + 1024 * len(cases) + 4096,
            stderr_cap=STDERR_CAP_BYTES,
            rlimit_cpu_s=rlimit_cpu_seconds(
                sum(rlimit_cpu_seconds(lim.cpu_time_ms) * 1000 for lim in limits) + 2000
            ),
            nofile=max(harness.CASE_NOFILE, 64 + 3 * len(cases)),
            fsize=max(harness.FSIZE_BYTES, max(lim.output_bytes for lim in limits) + 1),
            as_pid_1=self.harness_as_init,
        )
        with self._lease() as lease:
            raw = execute(self.isolation, spec, payload, lease)
        exit_code, sig = signal_of(raw, self.isolation.mode)
        if raw.killed or exit_code != 0 or sig is not None:
            logger.warning(
                "harness run failed (killed=%s exit=%s signal=%s): %s",
                raw.killed, exit_code, sig, raw.stderr.decode(errors="replace")[-500:],
            )  # fmt: skip
            return None
        try:
            report = harness.parse_report(raw.stdout, len(cases))
            if report.compile_error is not None:
                return harness.compile_error_result(report.compile_error)
            return [
                harness.case_result(case, lim)
                for case, lim in zip(report.cases, limits, strict=True)
            ]
        except harness.HarnessFailed as exc:
            logger.warning("harness report rejected: %s", exc)
            return None
