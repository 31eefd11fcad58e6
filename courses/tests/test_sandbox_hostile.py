"""Hostile programs of sandbox.md §3 through the real sandbox: verdict, and the host unharmed.

Every test also ends with ``SandboxTestMixin.tearDown``: no process, cgroup or box of a dead run.
Numbers in test names refer to the table rows of sandbox.md §3.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from django.test import SimpleTestCase

from courses.judging.backends.local.seccomp import DENIED_ERRNO
from courses.judging.types import Limits, Outcome, RunRequest

from .sandbox_fixtures import SMALL, TIME, SandboxTestMixin, leftovers, requires_language

PROJECT_DIR = Path(__file__).resolve().parents[2]
SECRET = "codecourses-test-secret-0123456789abcdef"
ALLOWED_ROOT_ENTRIES = {"usr", "lib", "lib64", "bin", "sbin", "proc", "dev", "tmp", "box"}
C_FORK_BOMB = "#include <unistd.h>\nint main(void){for(;;)fork();}\n"
PY_ERRNO_OF = """
import ctypes, ctypes.util, os
libc = ctypes.CDLL(None, use_errno=True)
def errno_of(result):
    return 'ok' if result >= 0 else os.strerror(ctypes.get_errno())
"""


class HostileProcessesTestCase(SandboxTestMixin, SimpleTestCase):
    def assertHostCanFork(self):
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)

    @requires_language("c")
    def test_01_fork_bomb_is_contained(self):
        result = self.run_one("c", C_FORK_BOMB, limits=TIME)
        # Held at the pids cap; 64 processes' kernel memory may fill a 64 MiB cgroup first.
        self.assertIn(
            result.outcome, (Outcome.TIME_LIMIT, Outcome.RUNTIME_ERROR, Outcome.MEMORY_LIMIT)
        )
        self.assertHostCanFork()

    def test_02_endless_threads_end_in_an_error(self):
        source = (
            "import threading, time\n"
            "while True:\n"
            "    threading.Thread(target=time.sleep, args=(100,), daemon=True).start()\n"
        )
        result = self.run_one("python", source, limits=TIME)
        self.assertIn(result.outcome, (Outcome.RUNTIME_ERROR, Outcome.TIME_LIMIT))
        if result.outcome == Outcome.RUNTIME_ERROR:
            self.assertIn(b"can't start new thread", result.stderr)

    def test_05_unbounded_python_recursion_is_memory_limit_or_runtime_error(self):
        source = "import sys\nsys.setrecursionlimit(10**7)\ndef f(n): return f(n+1)+1\nf(0)\n"
        result = self.run_one("python", source)
        self.assertIn(result.outcome, (Outcome.MEMORY_LIMIT, Outcome.RUNTIME_ERROR))

    @requires_language("c")
    def test_06_c_deep_recursion_is_not_a_time_limit(self):
        source = (
            "int f(int n){volatile char pad[64]; pad[0]=n; return n? f(n-1)+pad[0] : 0;}\n"
            "int main(void){return f(10000000) & 1;}\n"
        )
        result = self.run_one("c", source)
        self.assertIn(result.outcome, (Outcome.RUNTIME_ERROR, Outcome.MEMORY_LIMIT), result)

    def test_09_ignoring_sigxcpu_does_not_escape_the_time_limit(self):
        source = (
            "import signal\nsignal.signal(signal.SIGXCPU, signal.SIG_IGN)\nwhile True:\n    pass\n"
        )
        self.assertEqual(self.run_one("python", source, limits=TIME).outcome, Outcome.TIME_LIMIT)

    def test_10_11_orphans_and_daemons_die_with_the_run(self):
        source = (
            "import os\n"
            "if os.fork() == 0:\n"
            "    os.setsid()\n"
            "    if os.fork() == 0:\n"
            "        while True: pass\n"
            "    os._exit(0)\n"
            "print('parent done')\n"
        )
        result = self.run_one("python", source, limits=TIME)
        self.assertEqual(result.outcome, Outcome.OK, result)
        self.assertEqual(result.stdout, b"parent done\n")

    @requires_language("c")
    def test_12_spinning_threads_are_timed_by_summed_cpu(self):
        source = (
            "#include <pthread.h>\nvoid*spin(void*a){volatile long x=0;for(;;)x++;}\n"
            "int main(void){pthread_t t[8];for(int i=0;i<8;i++)pthread_create(&t[i],0,spin,0);"
            "spin(0);}\n"
        )
        limits = Limits(cpu_time_ms=500, wall_time_ms=5000, memory_kb=64 * 1024)
        started = time.monotonic()
        result = self.run_one("c", source, limits=limits)
        self.assertEqual(result.outcome, Outcome.TIME_LIMIT)
        self.assertFalse(result.wall_timed_out)
        self.assertLess(time.monotonic() - started, 4)

    def test_25_kill_everything_hurts_nobody_outside(self):
        result = self.run_one("python", "import os\nos.kill(-1, 9)\n")
        self.assertEqual(result.outcome, Outcome.RUNTIME_ERROR)
        self.assertHostCanFork()

    def test_28_closing_stdout_does_not_end_the_run(self):
        result = self.run_one("python", "import os\nos.close(1)\nwhile True: pass\n", limits=TIME)
        self.assertEqual(result.outcome, Outcome.TIME_LIMIT)

    def test_30_reading_stdin_forever_gets_eof(self):
        source = "import sys\ndata = sys.stdin.buffer.read()\nprint(len(data), sys.stdin.read())\n"
        result = self.run_one("python", source, stdin=b"abc")
        self.assertEqual(result.stdout, b"3 \n")

    def test_31_signals_are_runtime_errors(self):
        result = self.run_one("python", "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n")
        self.assertEqual((result.outcome, result.signal), (Outcome.RUNTIME_ERROR, 11))

    def test_32_exit_137_is_not_a_memory_limit(self):
        result = self.run_one("python", "import sys\nsys.exit(137)\n")
        self.assertEqual(result.outcome, Outcome.RUNTIME_ERROR)

    def test_38_busy_waiting_on_the_clock_is_judged_on_cpu(self):
        """Spinning on the clock for 3 s of wall time: the verdict follows the CPU it used.

        On a quiet host that is 3 s of CPU, past the 1 s limit: TLE by CPU. On a loaded one
        the program may get less than a third of a CPU and finish within its CPU limit: then
        it is accepted, and the CPU time reported is the one it measured itself.
        """
        source = (
            "import time\nt = time.monotonic()\nwhile time.monotonic() - t < 3: pass\n"
            "print(time.process_time())\n"
        )
        limits = Limits(cpu_time_ms=1000, wall_time_ms=5000, memory_kb=64 * 1024)
        result = self.run_one("python", source, limits=limits)
        if result.outcome == Outcome.TIME_LIMIT:
            self.assertFalse(result.wall_timed_out, result)
            self.assertGreaterEqual(result.cpu_time_ms, limits.cpu_time_ms, result)
        else:
            self.assertEqual(result.outcome, Outcome.OK, result)
            own_cpu_ms = float(result.stdout) * 1000
            self.assertLess(result.cpu_time_ms, limits.cpu_time_ms, result)
            self.assertAlmostEqual(result.cpu_time_ms, own_cpu_ms, delta=100)


class HostileOutputTestCase(SandboxTestMixin, SimpleTestCase):
    def test_13_one_gib_of_output_is_stopped_quickly(self):
        source = (
            "import sys\nb = b'x' * (1 << 20)\nfor _ in range(1024): sys.stdout.buffer.write(b)\n"
        )
        started = time.monotonic()
        result = self.run_one("python", source)
        self.assertEqual(result.outcome, Outcome.OUTPUT_LIMIT)
        self.assertLess(time.monotonic() - started, 2)

    def test_14_one_huge_line_is_output_limit(self):
        source = "import sys\nfor _ in range(100): sys.stdout.write('z' * 1_000_000)\n"
        self.assertEqual(self.run_one("python", source).outcome, Outcome.OUTPUT_LIMIT)

    def test_15_filling_tmp_fails_inside_the_sandbox(self):
        source = "with open('/tmp/big', 'wb') as f:\n    while True: f.write(b'x' * (1 << 20))\n"
        result = self.run_one("python", source)
        self.assertIn(
            result.outcome, (Outcome.RUNTIME_ERROR, Outcome.MEMORY_LIMIT, Outcome.OUTPUT_LIMIT)
        )

    @requires_language("c")
    def test_16_writing_past_the_file_size_limit(self):
        source = (
            '#include <stdio.h>\nint main(void){FILE*f=fopen("/tmp/f","w");static char b[1<<20];'
            "for(int i=0;i<100;i++)fwrite(b,1,sizeof b,f);fclose(f);return 0;}\n"
        )
        result = self.run_one("c", source)
        self.assertIn(
            result.outcome, (Outcome.OUTPUT_LIMIT, Outcome.RUNTIME_ERROR, Outcome.MEMORY_LIMIT)
        )

    def test_a_scratch_file_may_be_as_large_as_tmp(self):
        # An outside probe: RLIMIT_FSIZE was 16 MiB for every file, so a 20 MiB scratch file in
        # the 64 MiB /tmp was a runtime error (EFBIG). Its memory is the case's, as always.
        source = (
            "import os\n"
            "with open('/tmp/scratch', 'wb') as f:\n"
            "    f.write(b'\\0' * (20 << 20))\n"
            "print(os.path.getsize('/tmp/scratch') >> 20)\n"
        )
        limits = Limits(cpu_time_ms=1000, wall_time_ms=3000, memory_kb=128 * 1024)
        result = self.run_one("python", source, limits=limits)
        self.assertEqual((result.outcome, result.stdout), (Outcome.OK, b"20\n"), result)
        self.assertGreaterEqual(result.memory_kb, 20 * 1024, result)

    @requires_language("c")
    def test_dying_of_the_file_size_limit_is_output_limit_only_for_stdout(self):
        # An outside probe: a C program killed by SIGXFSZ writing a scratch file was judged
        # output_limit with an empty stdout. Past the limit (a sparse file needs no memory),
        # it is a runtime error that says which limit; printing without end stays OLE.
        source = (
            "#include <fcntl.h>\n#include <stdio.h>\n#include <string.h>\n#include <unistd.h>\n"
            "static char block[1 << 20];\n"
            "int main(void){\n"
            "  char how[16] = {0}; if (scanf('%15s', how) != 1) return 2;\n"
            "  if (!strcmp(how, 'print')) for (;;) fwrite(block, 1, sizeof block, stdout);\n"
            "  int fd = open('/tmp/f', O_WRONLY | O_CREAT, 0600);\n"
            "  if (!strcmp(how, 'sparse')) lseek(fd, 100 << 20, SEEK_SET);\n"
            "  for (int i = 0; i < 20; i++) write(fd, block, sizeof block);\n"
            "  printf('%ld', (long) lseek(fd, 0, SEEK_END) >> 20); return 0;\n"
            "}\n"
        ).replace("'", '"')
        limits = Limits(cpu_time_ms=1000, wall_time_ms=3000, memory_kb=128 * 1024)
        scratch, sparse, printing = self.backend.run_batch(
            [RunRequest("c", source, how, limits) for how in (b"file", b"sparse", b"print")]
        )
        self.assertEqual((scratch.outcome, scratch.stdout), (Outcome.OK, b"20"), scratch)
        self.assertEqual((sparse.outcome, sparse.signal), (Outcome.RUNTIME_ERROR, 25), sparse)
        self.assertEqual(sparse.stdout, b"")
        self.assertEqual(
            sparse.stderr,
            b"File size limit exceeded: a file reached the size limit of 64 MiB (SIGXFSZ)\n",
        )
        self.assertEqual(printing.outcome, Outcome.OUTPUT_LIMIT, printing)

    def test_printing_without_end_under_a_small_memory_limit_is_output_limit(self):
        # Stdout is a file in memory, charged to the case, that may grow up to the file size
        # limit (64 MiB) between two looks of the runner: past a small memory limit, the kernel
        # killed some of these programs first (one run in ten or so), and they were judged MLE.
        # Their output went past its cap first, and that is what they are judged on (the rule
        # itself: ``CaseVerdictTestCase``).
        source = "import sys\nb = b'x' * (1 << 20)\nwhile True: sys.stdout.buffer.write(b)\n"
        limits = Limits(cpu_time_ms=1000, wall_time_ms=3000, memory_kb=16 * 1024)
        results = self.backend.run_batch([RunRequest("python", source, b"", limits)] * 8)
        self.assertEqual([r.outcome for r in results], [Outcome.OUTPUT_LIMIT] * 8, results)

    def test_17_many_small_files_fail_inside_the_sandbox(self):
        source = "i = 0\nwhile True:\n    open(f'/tmp/{i}', 'w').close()\n    i += 1\n"
        result = self.run_one("python", source, limits=TIME)
        self.assertNotEqual(result.outcome, Outcome.OK)

    def test_29_invalid_utf8_and_nul_bytes_come_back_as_bytes(self):
        result = self.run_one(
            "python", "import sys\nsys.stdout.buffer.write(b'\\xff\\x00\\xfe\\n')\n"
        )
        self.assertEqual((result.outcome, result.stdout), (Outcome.OK, b"\xff\x00\xfe\n"))

    def test_22_23_links_planted_in_the_box_touch_nothing(self):
        before = hashlib.sha256(Path("/etc/passwd").read_bytes()).hexdigest()
        source = (
            "import os\n"
            "for make in (lambda: os.symlink('/etc/passwd', '/box/out'),\n"
            "             lambda: os.symlink('/etc/passwd', '/tmp/out'),\n"
            "             lambda: os.link('/usr/bin/python3', '/tmp/py'),\n"
            "             lambda: os.link('/usr/bin/python3', '/box/py')):\n"
            "    try: make(); print('made')\n"
            "    except OSError as e: print(e.errno)\n"
            "open('/tmp/out', 'w').write('pwned')\n"
        )
        result = self.run_one("python", source)
        lines = result.stdout.split()
        self.assertEqual(lines[0], b"30")  # EROFS: the box is read-only while cases run
        self.assertEqual(lines[2], b"18")  # EXDEV: no hard link across mounts
        self.assertEqual(hashlib.sha256(Path("/etc/passwd").read_bytes()).hexdigest(), before)


class SecretsTestCase(SandboxTestMixin, SimpleTestCase):
    """Rows 18, 19, 26, 27: nothing of the host is readable from inside."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        os.environ["CODECOURSES_TEST_SECRET"] = SECRET
        cls.created = []
        for name in ("db.sqlite3", "codecourses_test_settings_secret.py", ".env"):
            path = PROJECT_DIR / name
            if not path.exists():
                path.write_text(f"SECRET_KEY = '{SECRET}'\n")
                cls.created.append(path)

    @classmethod
    def tearDownClass(cls):
        os.environ.pop("CODECOURSES_TEST_SECRET", None)
        for path in cls.created:
            path.unlink(missing_ok=True)
        super().tearDownClass()

    def test_18_host_files_are_not_visible(self):
        paths = [
            "/etc/shadow", "/etc/passwd", "/root/.ssh/id_rsa", "/root/.bash_history",
            str(PROJECT_DIR / "db.sqlite3"),
            str(PROJECT_DIR / "codecourses_test_settings_secret.py"),
            str(PROJECT_DIR / ".env"), str(PROJECT_DIR / "config/settings/base.py"),
            "/proc/1/root/etc/shadow", "/var/lib/codecourses/boxes", "/var/lib/codecourses/sandbox",
        ]  # fmt: skip
        source = (
            "import sys\n"
            f"for p in {paths!r}:\n"
            "    try:\n"
            "        print(p, 'READ', open(p, 'rb').read()[:100])\n"
            "    except OSError as e:\n"
            "        print(p, 'denied', e.errno)\n"
        )
        result = self.run_one("python", source)
        self.assertEqual(result.outcome, Outcome.OK, result)
        self.assertNotIn(b"READ", result.stdout)
        self.assertNotIn(SECRET.encode(), result.stdout)

    def test_19_root_holds_only_the_sandbox_entries(self):
        result = self.run_one("python", "import os\nprint(sorted(os.listdir('/')))\n")
        self.assertLessEqual(set(eval(result.stdout)), ALLOWED_ROOT_ENTRIES)

    def test_26_27_environment_is_empty_everywhere(self):
        source = (
            "import os\nprint(sorted(os.environ))\n"
            "for pid in os.listdir('/proc'):\n"
            "    if pid.isdigit():\n"
            "        for f in ('environ', 'cmdline'):\n"
            "            try: print(open(f'/proc/{pid}/{f}', 'rb').read())\n"
            "            except OSError: pass\n"
        )
        result = self.run_one("python", source)
        self.assertEqual(result.outcome, Outcome.OK, result)
        self.assertNotIn(SECRET.encode(), result.stdout)
        self.assertNotIn(b"SECRET", result.stdout)
        first_line = result.stdout.split(b"\n", 1)[0]
        # bwrap sets PWD (/box) after --chdir; nothing else may be there.
        self.assertLessEqual(set(eval(first_line)), {"PATH", "HOME", "LANG", "PWD"})

    def test_19_concurrent_runs_do_not_see_each_other(self):
        writer = "open('/tmp/marker-of-run-a', 'w').write('a')\nimport time\ntime.sleep(1)\n"
        reader = (
            "import os, time\ntime.sleep(0.3)\n"
            "print(os.path.exists('/tmp/marker-of-run-a'), os.listdir('/tmp'),\n"
            "      os.listdir('/box'))\n"
        )
        with ThreadPoolExecutor(2) as pool:
            a = pool.submit(self.run_one, "python", writer)
            b = pool.submit(self.run_one, "python", reader)
            self.assertEqual(a.result().outcome, Outcome.OK)
            self.assertEqual(b.result().stdout, b"False [] ['main.py']\n")


class NetworkTestCase(SandboxTestMixin, SimpleTestCase):
    """Rows 20, 21: no network at all, not even loopback or the host's Unix sockets."""

    def test_20_loopback_to_a_listening_host_socket_is_unreachable(self):
        with socket.socket() as server:
            server.bind(("127.0.0.1", 0))
            server.listen()
            port = server.getsockname()[1]
            source = (
                "import socket\n"
                f"for host in ('127.0.0.1', 'localhost', 'example.com'):\n"
                "    try:\n"
                f"        socket.create_connection((host, {port}), timeout=1); print('CONNECTED')\n"
                "    except OSError as e: print(type(e).__name__)\n"
            )
            result = self.run_one("python", source)
            server.setblocking(False)
            with self.assertRaises(BlockingIOError):
                server.accept()
        self.assertEqual(result.outcome, Outcome.OK, result)
        self.assertNotIn(b"CONNECTED", result.stdout)

    def test_21_unix_sockets_of_the_host_are_unreachable(self):
        directory = tempfile.mkdtemp(prefix="codecourses-test-", dir="/run")
        path = os.path.join(directory, "redis.sock")
        try:
            with socket.socket(socket.AF_UNIX) as server:
                server.bind(path)
                os.chmod(directory, 0o755)
                os.chmod(path, 0o777)
                server.listen()
                candidates = [path, "/run/postgresql/.s.PGSQL.5432", "/var/run/redis/redis.sock"]
                source = (
                    "import socket\n"
                    f"for p in {candidates!r}:\n"
                    "    s = socket.socket(socket.AF_UNIX)\n"
                    "    try: s.connect(p); print('CONNECTED')\n"
                    "    except OSError as e: print(type(e).__name__)\n"
                )
                result = self.run_one("python", source)
                server.setblocking(False)
                with self.assertRaises(BlockingIOError):
                    server.accept()
        finally:
            shutil.rmtree(directory, ignore_errors=True)
        self.assertEqual(result.outcome, Outcome.OK, result)
        self.assertNotIn(b"CONNECTED", result.stdout)


class KernelSurfaceTestCase(SandboxTestMixin, SimpleTestCase):
    """Rows 24, 36, 37, 39 and the rest of the seccomp policy."""

    def test_seccomp_denies_dangerous_syscalls(self):
        """Each denied call fails with the filter's own errno (ENOSYS), never the kernel's
        answer for lack of privilege: without the filter this test fails (issue 11)."""
        source = PY_ERRNO_OF + (
            "import socket\n"
            "print('ptrace', errno_of(libc.ptrace(16, 1, 0, 0)))\n"
            "print('ptrace_traceme', errno_of(libc.ptrace(0, 0, 0, 0)))\n"
            "print('unshare', errno_of(libc.unshare(0x10000000)))\n"
            "print('mount', errno_of(libc.mount(b'none', b'/tmp', b'tmpfs', 0, None)))\n"
            "print('clone3', errno_of(libc.syscall(435, 0, 0)))\n"
            "print('io_uring', errno_of(libc.syscall(425, 1, 0)))\n"
            "print('bpf', errno_of(libc.syscall(321, 0, 0, 0)))\n"
            "print('keyctl', errno_of(libc.syscall(250, 0, 0)))\n"
            "print('userfaultfd', errno_of(libc.syscall(323, 0)))\n"
            "print('perf', errno_of(libc.syscall(298, 0, 0, -1, -1, 0)))\n"
            "print('tiocsti', errno_of(libc.ioctl(0, 0x5412, b'x')))\n"
            # ctypes masks a plain int to a C int: the high bits only reach the kernel as longs.
            "print('tiocsti_high', errno_of(libc.ioctl(0, ctypes.c_ulong(0x100005412), b'x')))\n"
            "usr_fd = os.open('/usr/bin/python3', os.O_RDONLY)\n"
            "fl = ctypes.create_string_buffer(32)\n"
            "for cmd, name in ((6, 'setlk'), (37, 'ofd_setlk'), (1026, 'notify')):\n"
            "    for high, suffix in ((0, ''), (1 << 32, '_high')):\n"
            "        request = ctypes.c_long(cmd | high)\n"
            "        result = libc.syscall(72, usr_fd, request, 1 if cmd == 1026 else fl)\n"
            "        print('fcntl_' + name + suffix, errno_of(result))\n"
            "buf = ctypes.create_string_buffer(4096)\n"
            "iov = (ctypes.c_void_p * 2)(ctypes.addressof(buf), 4096)\n"
            "nowait = libc.syscall(327, usr_fd, iov, 1, 0, 0, ctypes.c_int(8))\n"
            "print('preadv2_nowait', errno_of(nowait))\n"
            "print('preadv2', errno_of(libc.syscall(327, usr_fd, iov, 1, 0, 0, 0)))\n"
            "print('fadvise_dontneed', errno_of(libc.syscall(221, usr_fd, 0, 0, 4)))\n"
            "print('fadvise_willneed', errno_of(libc.syscall(221, usr_fd, 0, 0, 3)))\n"
            "libc.mmap.restype = ctypes.c_void_p\n"
            "page = ctypes.c_void_p(libc.mmap(None, 4096, 1, 2, usr_fd, 0))\n"
            "print('madvise_pageout', errno_of(libc.madvise(page, 4096, 21)))\n"
            "print('madvise_cold', errno_of(libc.madvise(page, 4096, 20)))\n"
            "print('madvise_dontneed', errno_of(libc.madvise(page, 4096, 4)))\n"
            "print('flock', errno_of(libc.flock(os.open('/usr/bin/python3', os.O_RDONLY), 2)))\n"
            "print('inotify', errno_of(libc.inotify_init1(0)))\n"
            "print('fanotify', errno_of(libc.syscall(300, 0, 0)))\n"
            "print('cachestat', errno_of(libc.syscall(451, 0, 0, 0, 0)))\n"
            # Linux AIO: io_setup succeeds without the filter, the others fail with EINVAL on
            # a context that does not exist (an RWF_NOWAIT request probes the page cache).
            "ctx = ctypes.c_ulong(0)\n"
            "print('io_setup', errno_of(libc.syscall(206, 1, ctypes.byref(ctx))))\n"
            "print('io_destroy', errno_of(libc.syscall(207, ctx)))\n"
            "print('io_getevents', errno_of(libc.syscall(208, 0, 0, 1, 0, 0)))\n"
            "print('io_submit', errno_of(libc.syscall(209, 0, 1, 0)))\n"
            "print('io_cancel', errno_of(libc.syscall(210, 0, 0, 0)))\n"
            "print('io_pgetevents', errno_of(libc.syscall(333, 0, 0, 1, 0, 0, 0)))\n"
            "print('pidfd_getfd', errno_of(libc.syscall(438, 0, 0, 0)))\n"
            "print('process_vm_readv', errno_of(libc.syscall(310, os.getpid(), 0, 0, 0, 0, 0)))\n"
            "print('shmget', errno_of(libc.syscall(29, 0, 4096, 0o1600)))\n"
            "print('msgget', errno_of(libc.syscall(68, 0, 0o1600)))\n"
            "print('semget', errno_of(libc.syscall(64, 0, 1, 0o1600)))\n"
            "print('mq_open', errno_of(libc.syscall(240, b'q', 0o100, 0o600, 0)))\n"
            "for family, name in ((2, 'inet'), (10, 'inet6'), (16, 'netlink'), (40, 'vsock')):\n"
            "    try: socket.socket(family, socket.SOCK_DGRAM); print(name, 'ok')\n"
            "    except OSError as e: print(name, os.strerror(e.errno))\n"
            "try: socket.socketpair(socket.AF_INET); print('socketpair_inet ok')\n"
            "except OSError as e: print('socketpair_inet', os.strerror(e.errno))\n"
            "a, b = socket.socketpair(); a.send(b'x'); print('unix', b.recv(1).decode())\n"
            "print('fork', 'ok' if os.fork() or os._exit(0) else '')\n"
        )
        result = self.run_one("python", source)
        self.assertEqual(result.outcome, Outcome.OK, result)
        lines = dict(line.split(" ", 1) for line in result.stdout.decode().splitlines())
        denied = os.strerror(DENIED_ERRNO)
        for name in (
            "ptrace", "ptrace_traceme", "unshare", "mount", "clone3", "io_uring", "bpf", "keyctl",
            "userfaultfd", "perf", "tiocsti", "tiocsti_high", "flock", "inotify", "fanotify",
            "cachestat", "pidfd_getfd", "process_vm_readv", "shmget", "msgget", "semget",
            "mq_open", "inet", "inet6", "netlink", "vsock", "socketpair_inet",
            "fcntl_setlk", "fcntl_setlk_high", "fcntl_ofd_setlk", "fcntl_ofd_setlk_high",
            "fcntl_notify", "fcntl_notify_high", "preadv2_nowait", "fadvise_dontneed",
            "madvise_pageout", "madvise_cold", "io_setup", "io_destroy", "io_getevents",
            "io_submit", "io_cancel", "io_pgetevents",
        ):  # fmt: skip
            with self.subTest(call=name):
                self.assertEqual(lines[name], denied)
        self.assertEqual(lines["unix"], "x")  # AF_UNIX stays (asyncio, multiprocessing)
        for allowed in ("preadv2", "fadvise_willneed", "madvise_dontneed"):  # what runtimes use
            self.assertEqual(lines[allowed], "ok", allowed)
        self.assertEqual(lines["fork"], "ok")

    @requires_language("c")
    def test_24_ptrace_of_the_sandbox_init_from_c(self):
        source = (
            "#include <sys/ptrace.h>\n#include <errno.h>\n#include <stdio.h>\n"
            'int main(void){long r=ptrace(PTRACE_ATTACH,1,0,0);printf("%ld %d\\n",r,errno);}\n'
        )
        result = self.run_one("c", source)
        self.assertEqual(result.stdout, f"-1 {DENIED_ERRNO}\n".encode())  # the filter's errno


class ConcurrentHostileRunsTestCase(SandboxTestMixin, SimpleTestCase):
    @requires_language("c")
    def test_twenty_hostile_runs_at_once_leave_host_and_later_runs_intact(self):
        hostile = [
            ("c", C_FORK_BOMB),
            ("python", "x = bytearray(300 << 20)\n"),
            ("python", "while True: pass\n"),
            ("python", "import sys\nwhile True: sys.stdout.write('y' * 65536)\n"),
            ("python", "import time\ntime.sleep(100)\n"),
        ]
        limits = Limits(cpu_time_ms=1000, wall_time_ms=3000, memory_kb=64 * 1024)
        batches = [hostile[i % len(hostile)] for i in range(20)]
        with ThreadPoolExecutor(20) as pool:
            results = list(
                pool.map(
                    lambda item: self.backend.run_batch(
                        [RunRequest(item[0], item[1], b"", limits)]
                    ),
                    batches,
                )
            )
        for (_lang, _src), (result,) in zip(batches, results, strict=True):
            self.assertNotEqual(result.outcome, Outcome.OK)
        self.assertEqual(leftovers(self.backend), [])
        later = self.run_one("python", "print('still fine')\n", limits=SMALL)
        self.assertEqual((later.outcome, later.stdout), (Outcome.OK, b"still fine\n"))
