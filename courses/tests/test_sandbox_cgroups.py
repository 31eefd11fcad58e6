"""The cgroup v2 file protocol, against a fake cgroup tree (issue 11).

The project's hosts bind the memory, pids and cpu controllers to cgroup v1, so v2 enforcement
cannot run here (``judge_check`` says it is unverified). What can be checked is the protocol:
which directories are made, which files are written with what, which are read and how, what
is delegated to the sandbox's uid, and what the runner writes and parses. The fake tree is a
temporary directory where a new directory gets the interface files of a v2 cgroup, as cgroupfs
would give it, and removing one removes them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from unittest import mock

from django.test import SimpleTestCase

from courses.judging.backends.local import cgroups, harness_program

V2_FILES = {
    "cgroup.procs": "",
    "cgroup.subtree_control": "",
    "cgroup.controllers": "memory pids cpu",
    "cgroup.kill": "",
    "memory.max": "max",
    "memory.swap.max": "max",
    "memory.current": "0",
    "memory.peak": "0",
    "memory.events": "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n",
    "pids.max": "max",
    "cpu.stat": "usage_usec 0\nuser_usec 0\nsystem_usec 0\n",
}


class FakeCgroupTree:
    """os.mkdir/os.rmdir inside ``root`` behave as on cgroupfs."""

    def __init__(self) -> None:
        self.root = tempfile.mkdtemp(prefix="fake-cgroup2-")
        for name, text in V2_FILES.items():
            Path(self.root, name).write_text(text)
        self.real_mkdir, self.real_rmdir = os.mkdir, os.rmdir

    def mkdir(self, path, mode=0o777, **kwargs):
        self.real_mkdir(path, mode, **kwargs)
        if str(path).startswith(self.root):
            for name, text in V2_FILES.items():
                if name != "cgroup.controllers":
                    Path(path, name).write_text(text)

    def rmdir(self, path, **kwargs):
        if str(path).startswith(self.root):
            for entry in os.scandir(path):
                if entry.is_dir():
                    raise OSError(16, "Device or resource busy")  # cgroupfs: children first
            for entry in os.scandir(path):
                os.unlink(entry.path)
        self.real_rmdir(path, **kwargs)

    def __enter__(self) -> FakeCgroupTree:
        self.patches = [mock.patch("os.mkdir", self.mkdir), mock.patch("os.rmdir", self.rmdir)]
        for patch in self.patches:
            patch.start()
        return self

    def __exit__(self, *exc) -> None:
        for patch in self.patches:
            patch.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def read(path) -> str:
    return Path(path).read_text()


class CgroupV2ProtocolTestCase(SimpleTestCase):
    def test_a_cgroup2_mount_with_memory_and_pids_is_chosen_when_v1_lacks_controllers(self):
        with FakeCgroupTree() as tree:
            mounts = [(tree.root, "cgroup2", {"rw"})]
            with (
                mock.patch.object(cgroups, "_mounts", return_value=mounts),
                mock.patch("os.geteuid", return_value=0),
            ):
                layout, detail = cgroups.detect()
            self.assertEqual(layout.version, 2)
            parent = os.path.join(tree.root, cgroups.PARENT)
            self.assertEqual(layout.roots, {"unified": parent})
            self.assertIn("cgroup v2", detail)
            self.assertEqual(read(Path(tree.root, "cgroup.subtree_control")), "+memory +pids")
            self.assertEqual(read(Path(parent, "cgroup.subtree_control")), "+memory +pids")

    def test_a_sandbox_cgroup_is_made_limited_measured_and_removed(self):
        with FakeCgroupTree() as tree:
            parent = os.path.join(tree.root, cgroups.PARENT)
            os.mkdir(parent)
            run = cgroups.Layout(2, {"unified": parent}).run("u61234-abc")
            top = Path(parent, "u61234-abc")
            run.create(memory_bytes=300 << 20, pids=67)
            # The sandbox's cgroup holds no process itself (v2's rule): the whole sandbox (bwrap,
            # the runner, every case) lives in its `case` child, born there, never moved.
            self.assertEqual(read(top / "cgroup.subtree_control"), "+memory +pids")
            self.assertEqual(read(top / "memory.max"), str(300 << 20))
            self.assertEqual(read(top / "case" / "memory.max"), str(300 << 20))
            self.assertEqual(read(top / "pids.max"), "67")
            self.assertEqual(read(top / "memory.swap.max"), "0")
            self.assertEqual(read(top / "case" / "memory.swap.max"), "0")
            # Nothing is handed to the sandbox's uid: the runner writes through fds opened for it.
            for name in ("cgroup.procs", "memory.max", "case/cgroup.procs", "case/memory.max"):
                self.assertEqual((top / name).stat().st_uid, os.geteuid(), name)
            run.attach(4242)
            self.assertEqual(read(top / "case" / "cgroup.procs"), "4242")
            (top / "case" / "cgroup.procs").write_text("")  # never signal a host's pid 4242
            run.set_limits(memory_bytes=100 << 20, pids=10)
            self.assertEqual(read(top / "memory.max"), str(100 << 20))
            self.assertEqual(read(top / "pids.max"), "10")
            roles = run.runner_files()
            self.assertNotIn("procs", roles)  # the runner never moves a process
            self.assertEqual(roles["limit"][0], str(top / "case" / "memory.max"))
            self.assertEqual(roles["peak"][0], str(top / "case" / "memory.peak"))
            self.assertEqual(roles["usage"][0], str(top / "case" / "memory.current"))
            self.assertEqual(roles["events"][0], str(top / "case" / "memory.events"))
            self.assertEqual(roles["cpu"][0], str(top / "cpu.stat"))
            (top / "cpu.stat").write_text("usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n")
            (top / "memory.peak").write_text(str(77 << 20))
            (top / "memory.events").write_text("low 0\nhigh 0\nmax 2\noom 1\noom_kill 1\n")
            self.assertEqual(run.cpu_ns(), 1_500_000)
            self.assertEqual(run.peak_bytes(), 77 << 20)
            self.assertEqual(run.oom_kills(), 1)
            self.assertTrue(run.kill_all())  # nothing listed: nothing signalled
            self.assertEqual(read(top / "cgroup.kill"), "1")
            self.assertTrue(run.remove())
            self.assertFalse(top.exists())

    def test_the_runner_speaks_the_same_protocol(self):
        with FakeCgroupTree() as tree:
            parent = os.path.join(tree.root, cgroups.PARENT)
            os.mkdir(parent)
            run = cgroups.Layout(2, {"unified": parent}).run("u61235-def")
            run.create(memory_bytes=300 << 20, pids=67)
            fds = run.open_runner_fds()
            try:
                runner = harness_program.Cgroup(fds)
                case = Path(parent, "u61235-def", "case")
                self.assertEqual(runner.set_case_limit(64 << 20), 0)  # what it holds: none
                self.assertEqual(read(case / "memory.max"), f"{64 << 20}\n")
                # Page cache charged from earlier cases: the limit stops at the sandbox's (300
                # MiB, read before the first case's was set), and memory.max is never written
                # below the usage (v2 would call the OOM killer on the runner).
                (case / "memory.current").write_text(str(280 << 20))
                with mock.patch.object(runner, "set_limit", wraps=runner.set_limit) as written:
                    self.assertEqual(runner.set_case_limit(64 << 20), 280 << 20)
                self.assertEqual(written.call_args_list, [mock.call(300 << 20)])
                self.assertEqual(read(case / "memory.max"), f"{300 << 20}\n")
                self.assertTrue(runner.reset_peak())
                self.assertEqual(read(case / "memory.peak"), "reset\n")  # 6.12+: per-fd reset
                (case / "memory.peak").write_text(str(5 << 20))
                (case / "memory.current").write_text(str(3 << 20))
                (case / "memory.events").write_text("max 1\noom 1\noom_kill 3\n")
                Path(parent, "u61235-def", "cpu.stat").write_text("usage_usec 2500000\n")
                self.assertEqual(runner.peak(), 5 << 20)
                self.assertEqual(runner.usage(), 3 << 20)
                self.assertEqual(runner.oom_kills(), 3)
                self.assertEqual(runner.cpu_s(), 2.5)
            finally:
                for role, fd in fds.items():
                    if role != "version":
                        os.close(fd)
            self.assertTrue(run.remove())
