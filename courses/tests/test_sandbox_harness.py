"""The one-process harness: same verdicts as one process per case, and attacks on the harness."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import tempfile
import threading
from unittest import mock

from django.test import SimpleTestCase

from courses.judging import python_compile, templates
from courses.judging.backends.local import (
    LocalSandboxBackend,
    build_harness_program,
    case_result,
    client,
    harness,
    harness_program,
    parse_report,
    sandbox,
)
from courses.judging.backends.local.client import ServiceFailed
from courses.judging.backends.local.harness import HarnessFailed
from courses.judging.types import WALL_STARVATION_FACTOR, Limits, Outcome, RunRequest, RunResult

from .sandbox_fixtures import SandboxTestMixin

LIMITS = Limits(cpu_time_ms=500, wall_time_ms=1500, memory_kb=64 * 1024, output_bytes=4096)

#: One source whose behaviour depends on its input: a batch covering every outcome.
DISPATCH = r"""
import os, sys, time
cmd = sys.stdin.readline().strip()
if cmd == "ok":
    print(sum(range(10)))
elif cmd == "cpu":
    while True: pass
elif cmd == "wall":
    time.sleep(100)
elif cmd == "memory":
    x = bytearray(300 << 20)
elif cmd == "output":
    while True: sys.stdout.write("y" * 1000)
elif cmd == "exit":
    sys.exit(4)
elif cmd == "raise":
    raise KeyError("k")
elif cmd == "abort":
    os.abort()
elif cmd == "exit137":
    sys.exit(137)
elif cmd == "fork":
    if os.fork() == 0:
        while True: pass
    print("parent")
elif cmd == "stderr":
    print("to stderr", file=sys.stderr); print("out")
elif cmd == "binary":
    sys.stdout.buffer.write(b"\xff\x00\n")
elif cmd == "unflushed":
    sys.stdout.write("no newline")
    os._exit(0)
"""
CASES = [
    "ok", "cpu", "wall", "memory", "output", "exit", "raise", "abort", "exit137", "fork",
    "stderr", "binary", "unflushed", "ok",
]  # fmt: skip


def batch(source, stdins, limits=LIMITS):
    return [RunRequest("python", source, stdin, limits) for stdin in stdins]


class HarnessEquivalenceTestCase(SandboxTestMixin, SimpleTestCase):
    one_process = True

    def test_same_batch_gives_same_outcomes_on_both_paths(self):
        requests = batch(DISPATCH, [c.encode() + b"\n" for c in CASES])
        harness_results = self.backend.run_batch(requests)
        self.assertEqual(self.backend.harness_fallbacks, 0)
        per_process = LocalSandboxBackend(one_process=False).run_batch(requests)
        for name, one, ref in zip(CASES, harness_results, per_process, strict=True):
            with self.subTest(case=name):
                self.assertEqual(one.outcome, ref.outcome, (one, ref))
                if one.outcome == Outcome.OK:
                    self.assertEqual(one.stdout, ref.stdout)
                    self.assertEqual(one.stderr, ref.stderr)
                if one.outcome == Outcome.RUNTIME_ERROR and name != "exit137":
                    self.assertEqual((one.exit_code, one.signal), (ref.exit_code, ref.signal))
        expected = {
            "ok": Outcome.OK, "cpu": Outcome.TIME_LIMIT, "wall": Outcome.TIME_LIMIT,
            "memory": Outcome.MEMORY_LIMIT, "output": Outcome.OUTPUT_LIMIT,
            "exit": Outcome.RUNTIME_ERROR, "abort": Outcome.RUNTIME_ERROR,
        }  # fmt: skip
        for name, result in zip(CASES, harness_results, strict=True):
            if name in expected:
                self.assertEqual(result.outcome, expected[name], name)

    def test_exception_traceback_matches_a_fresh_interpreter(self):
        requests = batch("def f():\n    raise KeyError('k')\nf()\n", [b""])
        (one,) = self.backend.run_batch(requests)
        (ref,) = LocalSandboxBackend(one_process=False).run_batch(requests)
        self.assertEqual(one.stderr, ref.stderr)
        self.assertNotIn(b"harness", one.stderr)

    def test_syntax_error_is_a_compilation_error_on_both_paths(self):
        requests = batch("print('a'\n", [b"", b""])
        for backend in (self.backend, LocalSandboxBackend(one_process=False)):
            results = backend.run_batch(requests)
            self.assertEqual([r.outcome for r in results], [Outcome.COMPILATION_ERROR] * 2)
            self.assertIn("SyntaxError", results[0].compile_output)


class HarnessAttacksTestCase(SandboxTestMixin, SimpleTestCase):
    one_process = True

    def test_patching_time_functions_does_not_fool_the_harness(self):
        source = (
            "import time, os\n"
            "time.time = time.monotonic = time.perf_counter = time.process_time = lambda: 0.0\n"
            "os.times = lambda: os.times_result((0, 0, 0, 0, 0))\n"
            "while True: pass\n"
        )
        results = self.backend.run_batch(batch(source, [b"", b""]))
        self.assertEqual([r.outcome for r in results], [Outcome.TIME_LIMIT] * 2)

    def test_threads_that_make_each_other_wait_do_not_stretch_the_wall_limit(self):
        # The probe: 60 threads spinning 150 ms, then a 5.5 s sleep, was accepted against a
        # 2 s wall limit: the waits of the threads, added up, were taken off the wall clock.
        source = (
            "import os, time\n"
            "for _ in range(40):\n"
            "    if os.fork() == 0:\n"
            "        end = time.monotonic() + 0.15\n"
            "        while time.monotonic() < end:\n"
            "            pass\n"
            "        time.sleep(60)\n"
            "time.sleep(5.5)\n"
            "print('slept')\n"
        )
        limits = Limits(cpu_time_ms=2000, wall_time_ms=2000, memory_kb=256 * 1024)
        (result,) = self.backend.run_batch([RunRequest("python", source, b"", limits)])
        self.assertEqual(result.outcome, Outcome.TIME_LIMIT, result)
        self.assertTrue(result.wall_timed_out, result)
        self.assertNotIn(b"slept", result.stdout)
        self.assertLess(result.wall_time_ms, 5000, result)

    def test_global_state_does_not_leak_between_cases(self):
        source = (
            "import json, builtins\n"
            "json.counter = getattr(json, 'counter', 0) + 1\n"
            "builtins.seen = getattr(builtins, 'seen', 0) + 1\n"
            "counter = globals().get('counter', 0) + 1\n"
            "print(json.counter, builtins.seen, counter)\n"
        )
        results = self.backend.run_batch(batch(source, [b""] * 6))
        self.assertEqual([r.stdout for r in results], [b"1 1 1\n"] * 6)

    def test_killing_the_parent_as_init_changes_nothing(self):
        source = (
            "import os, signal, sys\n"
            "for sig in (signal.SIGKILL, signal.SIGTERM, signal.SIGSTOP):\n"
            "    try: os.kill(os.getppid(), sig)\n"
            "    except OSError: pass\n"
            "print(sys.stdin.read().strip())\n"
        )
        results = self.backend.run_batch(batch(source, [b"a", b"b", b"c"]))
        self.assertEqual([r.stdout for r in results], [b"a\n", b"b\n", b"c\n"])
        self.assertTrue(all(r.outcome == Outcome.OK for r in results))

    def test_killing_the_parent_falls_back_to_one_process_per_case(self):
        backend = LocalSandboxBackend(one_process=True, harness_as_init=False, parallel=1)
        source = "import os, sys\nos.kill(os.getppid(), 9)\nprint(sys.stdin.read().strip())\n"
        results = backend.run_batch(batch(source, [b"a", b"b", b"c"]))
        self.assertEqual(backend.harness_fallbacks, 1)
        self.assertEqual([r.outcome for r in results], [Outcome.OK] * 3)
        self.assertEqual([r.stdout for r in results], [b"a\n", b"b\n", b"c\n"])

    def test_fake_results_cannot_reach_the_channel(self):
        fake = '{"harness":1,"compile_error":null,"cases":[]}'
        source = (
            "import os, sys\n"
            f"fake = {fake!r}.encode() + b'\\n'\n"
            "for fd in range(3, 300):\n"
            "    try: os.write(fd, fake); print('wrote fd', fd)\n"
            "    except OSError: pass\n"
            "for path in ['/proc/1/fd/1', f'/proc/{os.getppid()}/fd/1', '/proc/1/mem']:\n"
            "    try:\n"
            "        with open(path, 'wb') as f: f.write(fake)\n"
            "        print('wrote', path)\n"
            "    except OSError: pass\n"
            "print('case', sys.stdin.read().strip())\n"
        )
        results = self.backend.run_batch(batch(source, [b"1", b"2"]))
        self.assertEqual(self.backend.harness_fallbacks, 0)
        self.assertEqual([r.stdout for r in results], [b"case 1\n", b"case 2\n"])

    def test_a_case_cannot_read_other_cases_inputs(self):
        source = (
            "import os, sys\n"
            "mine = sys.stdin.read()\n"
            "found = []\n"
            "for root in ('/proc', '/box', '/tmp', '/dev/shm'):\n"
            "    for dirpath, dirs, files in os.walk(root):\n"
            "        if dirpath.count('/') > 4 or '/task' in dirpath: dirs[:] = []\n"
            "        for name in files:\n"
            "            try:\n"
            "                data = open(os.path.join(dirpath, name), 'rb').read(1 << 20)\n"
            "            except Exception: continue\n"
            "            hit = b'HIDDEN' + b'-INPUT' in data\n"
            "            if hit and not dirpath.startswith('/proc/self'):\n"
            "                found.append(os.path.join(dirpath, name))\n"
            "import ctypes\n"
            "print(mine.strip() if 'HIDDEN' not in mine else 'self', sorted(set(found)))\n"
        )
        limits = Limits(cpu_time_ms=3000, wall_time_ms=6000, memory_kb=64 * 1024)
        results = self.backend.run_batch(
            batch(source, [b"visible", b"HIDDEN-INPUT-1", b"HIDDEN-INPUT-2"], limits)
        )
        self.assertEqual(results[0].outcome, Outcome.OK, results[0])
        self.assertEqual(results[0].stdout, b"visible []\n")


class EmbeddedHarnessProgramTestCase(SimpleTestCase):
    """``build_harness_program`` (for Judge0): self-contained, deletes itself, one JSON line."""

    def test_program_runs_standalone_and_reports_every_case(self):
        source = "import sys\nn = int(sys.stdin.read())\nprint(n * 2)\nsys.exit(n % 2)\n"
        stdins = [b"1", b"2", b"21"]
        text = build_harness_program(source, stdins, LIMITS)
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "main.py")
            with open(path, "w") as f:
                f.write(text)
            proc = subprocess.run(
                ["/usr/bin/python3", path], capture_output=True, timeout=30, cwd=directory
            )
            self.assertFalse(os.path.exists(path), "the program must delete its own file")
        report = parse_report(proc.stdout, len(stdins))
        results = [case_result(case, LIMITS) for case in report.cases]
        self.assertEqual([r.stdout for r in results], [b"2\n", b"4\n", b"42\n"])
        self.assertEqual(
            [r.outcome for r in results],
            [Outcome.RUNTIME_ERROR, Outcome.OK, Outcome.RUNTIME_ERROR],
        )


class RunnerRulesTestCase(SimpleTestCase):
    """Rules of the runner that hold without a sandbox."""

    def test_scratch_directories_are_never_emptied_outside_a_sandbox(self):
        """Run on the host (not the init of its own pid namespace, or as root), the runner
        empties nothing, whatever it is asked: /tmp is everybody's there."""
        self.assertEqual(harness_program.scratch_dirs(["/tmp", "/dev/shm"]), [])
        self.assertEqual(harness_program.scratch_dirs([]), [])

    def test_the_wipe_reads_each_entry_once_with_few_directories_open(self):
        """An outside probe: the wipe read a directory again after each subdirectory it
        removed, so 5,000 empty directories in /tmp cost 12.5 million reads (4.8 s)."""
        real_scandir = os.scandir
        reads, open_fds = [0], [0]

        @contextlib.contextmanager
        def counting_scandir(fd):
            open_fds[0] = max(open_fds[0], len(os.listdir("/proc/self/fd")))
            with real_scandir(fd) as entries:

                def counted():
                    for entry in entries:
                        reads[0] += 1
                        yield entry

                yield counted()

        with tempfile.TemporaryDirectory() as scratch:
            made = 0
            for i in range(3000):  # empty directories, files, directories holding a file
                os.mkdir(f"{scratch}/e{i}")
                with open(f"{scratch}/f{i}", "w"):
                    pass
                os.mkdir(f"{scratch}/d{i}")
                with open(f"{scratch}/d{i}/x", "w"):
                    pass
                made += 4
            path = scratch
            for _ in range(1000):  # a chain, deeper than the directories the wipe keeps open
                path = os.path.join(path, "c")
                os.mkdir(path)
                made += 1
            with open(os.path.join(path, "bottom"), "w"):
                pass
            made += 1
            os.chmod(f"{scratch}/d0", 0)
            before = len(os.listdir("/proc/self/fd"))
            with mock.patch.object(harness_program.os, "scandir", counting_scandir):
                harness_program._wipe(scratch)
            self.assertEqual(os.listdir(scratch), [])
            self.assertEqual(len(os.listdir("/proc/self/fd")), before)
        self.assertEqual(reads[0], made)
        self.assertLessEqual(open_fds[0] - before, harness_program.WIPE_OPEN_DIRS + 1)

    def test_the_wipe_stops_when_its_cpu_is_spent(self):
        with tempfile.TemporaryDirectory() as scratch:
            for i in range(2 * harness_program.WIPE_CHECK_EVERY):
                with open(f"{scratch}/{i}", "w"):
                    pass
            with self.assertRaises(harness_program.WipeBudgetSpent):
                harness_program._wipe(scratch, harness_program._WipeBudget(0))
            left = len(os.listdir(scratch))
        self.assertEqual(left, harness_program.WIPE_CHECK_EVERY + 1)

    def test_the_case_record_is_the_size_the_runner_reads(self):
        self.assertEqual(harness.CASE_RECORD.size, harness_program.CASE_RECORD_BYTES)

    def test_the_runners_wall_backstop_is_the_one_leases_are_computed_with(self):
        self.assertEqual(harness_program.WALL_BACKSTOP, WALL_STARVATION_FACTOR)


class SharedBatchTestCase(SandboxTestMixin, SimpleTestCase):
    """The sandboxes of one batch share its cases (issue 11): each runner takes the next case
    nobody has taken, instead of a half cut in advance that the batch waited for."""

    one_process = True

    def backend_for(self, **options) -> LocalSandboxBackend:
        backend = LocalSandboxBackend(one_process=True, parallel=2, **options)
        self.addCleanup(backend.close, wait=True)
        return backend

    def test_both_sandboxes_take_the_slow_cases(self):
        # The first half sleeps, the second does not: cut in halves, one sandbox (one uid) would
        # run every slow case. Shared, the other takes slow ones too, unless it started more
        # than 16 x 0.5 s late. Each case prints its own input, then its sandbox's uid.
        source = (
            "import os, sys, time\n"
            "line = sys.stdin.read().strip()\n"
            "if line.startswith('slow'):\n"
            "    time.sleep(0.5)\n"
            "print(line, os.getuid())\n"
        )
        stdins = [f"{'slow' if i < 16 else 'fast'} {i}\n".encode() for i in range(32)]
        backend = self.backend_for()
        results = backend.run_batch(batch(source, stdins))
        self.assertEqual(backend.harness_fallbacks, 0)
        lines = [result.stdout.decode().split() for result in results]
        self.assertEqual([line[:2] for line in lines], [s.decode().split() for s in stdins])
        self.assertEqual(len({line[2] for line in lines[:16]}), 2, lines)

    def test_the_cases_a_failed_runner_took_are_run_again_alone(self):
        # Not the sandbox's init, the runner can be killed by a case: the cases it had taken
        # are lost with it; the other sandbox goes on with the rest of the queue.
        source = (
            "import os, sys\n"
            "line = sys.stdin.read().strip()\n"
            "if line == '5':\n"
            "    os.kill(os.getppid(), 9)\n"
            "print(line)\n"
        )
        stdins = [f"{i}\n".encode() for i in range(32)]
        backend = self.backend_for(harness_as_init=False)
        results = backend.run_batch(batch(source, stdins))
        self.assertEqual(backend.harness_fallbacks, 1)
        self.assertEqual([r.outcome for r in results], [Outcome.OK] * 32)
        self.assertEqual([r.stdout for r in results], stdins)


def raw_report(indices: list[int], stopped: str | None = None) -> bytes:
    fields = {
        "exit_code": 0, "signal": None, "killed": None, "cpu_ms": 1, "wall_ms": 1,
        "memory_kb": 1, "oom": False, "stdout_bytes": 0, "stderr_bytes": 0, "stdout_len": 0,
        "stderr_len": 0,
    }  # fmt: skip
    cases = [dict(fields, index=index) for index in indices]
    doc = {"harness": 1, "compile_error": None, "raw": True, "cases": cases, "stopped": stopped}
    return json.dumps(doc).encode()


class CaseVerdictTestCase(SimpleTestCase):
    """``case_result``: what a case's measured facts are judged, on every path."""

    def judge(self, **facts) -> RunResult:
        case = {
            "exit_code": None, "signal": None, "killed": None, "cpu_ms": 5, "wall_ms": 5,
            "memory_kb": 1024, "oom": False, "stdout_bytes": 0, "stderr_bytes": 0,
            "stdout": b"", "stderr": b"",
        }  # fmt: skip
        case.update(facts)
        return case_result(case, LIMITS, file_size=harness.file_size_limit(LIMITS.output_bytes))

    def test_output_past_its_cap_is_output_limit_even_when_memory_ran_out_too(self):
        # Stdout is a file in memory, charged to the case: a program printing without end could
        # reach a small memory limit before the runner's next look at its size.
        over = LIMITS.output_bytes + 1
        result = self.judge(signal=9, oom=True, stdout_bytes=over, stdout=b"y" * over)
        self.assertEqual(result.outcome, Outcome.OUTPUT_LIMIT)
        self.assertEqual(self.judge(signal=9, oom=True).outcome, Outcome.MEMORY_LIMIT)
        self.assertEqual(
            self.judge(signal=9, killed="cpu", oom=True, stdout_bytes=over).outcome,
            Outcome.TIME_LIMIT,
        )

    def test_the_file_size_limit_is_output_limit_only_when_stdout_went_past_its_cap(self):
        over = LIMITS.output_bytes + 1
        self.assertEqual(
            self.judge(signal=25, stdout_bytes=over, stdout=b"y" * over).outcome,
            Outcome.OUTPUT_LIMIT,
        )
        result = self.judge(signal=25, stdout=b"partial", stdout_bytes=7, stderr=b"no newline")
        self.assertEqual(result.outcome, Outcome.RUNTIME_ERROR)
        self.assertEqual(
            result.stderr,
            b"no newline\nFile size limit exceeded: a file reached the size limit of 64 MiB"
            b" (SIGXFSZ)\n",
        )
        self.assertEqual(harness.case_limits(LIMITS)["fsize"], 64 << 20)
        self.assertEqual(
            harness.case_limits(LIMITS, stdout_cap=100 << 20)["fsize"], (100 << 20) + 1
        )


class ReportIndexTestCase(SimpleTestCase):
    def test_a_shared_runner_reports_the_cases_it_took_once_each(self):
        report = parse_report(raw_report([3, 0]) + b"\n", 4, shared=True)
        self.assertEqual([case["index"] for case in report.cases], [3, 0])
        for indices in ([0, 0], [4], [-1], [0, 1, 2, 3, 1]):
            with self.subTest(indices=indices), self.assertRaises(HarnessFailed):
                parse_report(raw_report(indices) + b"\n", 4, shared=True)

    def test_an_unshared_runner_reports_every_case_in_order(self):
        self.assertEqual(len(parse_report(raw_report([0, 1]) + b"\n", 2).cases), 2)
        for indices in ([1, 0], [0]):
            with self.subTest(indices=indices), self.assertRaises(HarnessFailed):
                parse_report(raw_report(indices) + b"\n", 2)

    def test_a_runner_that_stopped_reports_the_first_cases_and_why(self):
        report = parse_report(raw_report([0], stopped="/tmp: not empty") + b"\n", 3)
        self.assertEqual(
            ([case["index"] for case in report.cases], report.stopped), ([0], "/tmp: not empty")
        )
        for indices, stopped in (([1], "why"), ([0, 2], "why"), ([0], 1)):
            with self.subTest(indices=indices), self.assertRaises(HarnessFailed):
                parse_report(raw_report(indices, stopped) + b"\n", 3)


MARK = templates.PYTHON_PRELUDE_END


def run_runner(payload: bytes) -> subprocess.CompletedProcess:
    """The runner on its own, outside any sandbox, reading ``payload`` from its stdin file."""
    with tempfile.TemporaryFile() as stdin:
        stdin.write(payload)
        stdin.seek(0)
        return subprocess.run(
            ["/usr/bin/python3", str(harness.PROGRAM_PATH)],
            stdin=stdin,
            capture_output=True,
            timeout=30,
        )


class PreludeTestCase(SandboxTestMixin, SimpleTestCase):
    """A launcher's prelude (compile, ``__main__`` made ready) runs once per sandbox."""

    one_process = True

    def test_the_prelude_runs_once_in_the_runner_and_each_case_from_its_end(self):
        source = f"import os\nos.write(2, b'prelude\\n')\nn = [0]\n{MARK}\nn[0] += 1\nprint(n[0])\n"
        stdins = [b"", b"", b""]
        for prelude_end, runner_err, case_err in (
            (MARK, b"prelude\n", b""),
            (None, b"", b"prelude\n"),
        ):
            with self.subTest(prelude_end=prelude_end):
                payload = b"".join(
                    harness.payload_parts(source, stdins, LIMITS, prelude_end=prelude_end)
                )
                proc = run_runner(payload)
                report = parse_report(proc.stdout, len(stdins))
                self.assertEqual(proc.stderr, runner_err)
                self.assertEqual([c["stdout"] for c in report.cases], [b"1\n"] * 3)
                self.assertEqual([c["stderr"] for c in report.cases], [case_err] * 3)

    def test_a_failing_prelude_leaves_the_whole_program_to_each_case(self):
        source = f"raise ValueError('in the prelude')\n{MARK}\nprint(1)\n"
        payload = b"".join(harness.payload_parts(source, [b"", b""], LIMITS, prelude_end=MARK))
        proc = run_runner(payload)
        report = parse_report(proc.stdout, 2)
        self.assertEqual(proc.stderr, b"")
        for case in report.cases:
            self.assertEqual(case["exit_code"], 1)
            self.assertIn(b"ValueError: in the prelude", case["stderr"])

    def test_a_program_of_its_own_never_runs_in_the_runner(self):
        # The marker line in a program that is not the launcher: nothing of it may run in the
        # runner (the sandbox's init, which holds every case's input); each case runs it all.
        source = (
            f"import os, sys\nprint('top', os.getpid() == 1)\n{MARK}\n"
            "print('bottom', sys.stdin.read())\n"
        )
        results = self.backend.run_batch(batch(source, [b"1", b"2"]))
        self.assertEqual(self.backend.harness_fallbacks, 0)
        self.assertEqual(
            [r.stdout for r in results], [b"top False\nbottom 1\n", b"top False\nbottom 2\n"]
        )

    def test_the_backend_asks_for_the_prelude_of_its_own_launcher_only(self):
        launcher = templates.wrap_stdio("python", "print(input())\n")
        of_its_own = f"print(input())\n{MARK}\nprint(2)\n"
        for source, expected in ((launcher, MARK), (of_its_own, None)):
            with (
                self.subTest(launcher=source is launcher),
                mock.patch.object(
                    harness, "payload_parts", wraps=harness.payload_parts
                ) as payload_parts,
            ):
                self.backend.run_batch(batch(source, [b"1\n"]))
                self.assertEqual(payload_parts.call_args.kwargs["prelude_end"], expected)

    def test_through_the_launcher_tracebacks_and_syntax_errors_are_a_fresh_interpreters(self):
        programs = [
            templates.wrap_stdio("python", "def f():\n    raise KeyError('k')\nf()\n"),
            templates.wrap_stdio("python", "print('a'\n"),
            templates.wrap("python", "def solve(a):\n    return a + 1\n", "solve"),
        ]
        per_process = LocalSandboxBackend(one_process=False)
        self.addCleanup(per_process.close, wait=True)
        for program in programs:
            requests = batch(program, [b"[1]", b"[2]"])
            one = [
                python_compile.postprocess("python", r, program)
                for r in self.backend.run_batch(requests)
            ]
            ref = [
                python_compile.postprocess("python", r, program)
                for r in per_process.run_batch(requests)
            ]
            with self.subTest(program=program[:40]):
                self.assertEqual(
                    [(r.outcome, r.stdout, r.stderr, r.compile_output) for r in one],
                    [(r.outcome, r.stdout, r.stderr, r.compile_output) for r in ref],
                )


class ServiceReplyTestCase(SimpleTestCase):
    """The worker reads the service's reply (header line, then a body of the announced length)
    into one buffer; anything else is the service's failure, never a short or padded result."""

    def read(self, data: bytes, size: int | None = None) -> tuple[bytes, bytes]:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        writer = threading.Thread(target=lambda: (theirs.sendall(data), theirs.close()))
        writer.start()
        try:
            reply = client._Reply(ours, 10.0)
            head = reply.line()
            body = reply.rest(json.loads(head)["size"] if size is None else size)
            return head, bytes(body)
        finally:
            writer.join()
            ours.close()

    def test_a_whole_reply_is_read_into_one_buffer(self):
        big = os.urandom(5 << 20)
        self.assertEqual(self.read(b'{"size": 3}\nabc'), (b'{"size": 3}', b"abc"))
        self.assertEqual(self.read(b'{"size": 0}\n'), (b'{"size": 0}', b""))
        self.assertEqual(self.read(b'{"size": %d}\n' % len(big) + big)[1], big)

    def test_a_short_padded_or_headless_reply_is_the_services_failure(self):
        for data, message in (
            (b'{"size": 4}\nabc', "truncated"),
            (b'{"size": 2}\nabc', "unexpected bytes"),
            (b'{"size": 2', "stopped before the run ended"),
            (b"", "stopped before the run ended"),
        ):
            with self.subTest(data=data), self.assertRaisesMessage(ServiceFailed, message):
                self.read(data)


class SmallPipeTestCase(SandboxTestMixin, SimpleTestCase):
    """The case queue is written before any runner reads it. A pipe may hold only 4 KiB (a user
    over ``pipe-user-pages-soft``): a blocking write of 4,400 bytes there never returned."""

    one_process = True

    def test_a_queue_that_does_not_fit_falls_back_to_halves(self):
        real_pipe2, real_fcntl = os.pipe2, sandbox.fcntl.fcntl

        def small_pipe2(flags):
            read_fd, write_fd = real_pipe2(flags)
            real_fcntl(write_fd, sandbox.fcntl.F_SETPIPE_SZ, 4096)
            return read_fd, write_fd

        def claims_room(fd, command, *args):  # the pipe says it is large enough
            if command == sandbox.fcntl.F_GETPIPE_SZ:
                return 1 << 20
            return real_fcntl(fd, command, *args)

        stdins = [f"{i}\n".encode() for i in range(1100)]
        backend = LocalSandboxBackend(one_process=True, parallel=2)
        self.addCleanup(backend.close, wait=True)
        done: list = []
        with (
            mock.patch.object(sandbox.os, "pipe2", small_pipe2),
            mock.patch.object(sandbox.fcntl, "fcntl", claims_room),
        ):
            runner = threading.Thread(
                target=lambda: done.append(backend.run_batch(batch("print(input())\n", stdins))),
                daemon=True,  # a regression fails the test instead of hanging the run
            )
            runner.start()
            runner.join(60)
        self.assertFalse(runner.is_alive(), "the batch hung on writing its queue")
        self.assertEqual([r.stdout for r in done[0]], stdins)
        self.assertEqual(backend.harness_fallbacks, 0)
