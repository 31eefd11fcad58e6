"""The seccomp filter of every sandboxed run, built once outside the sandbox.

pyseccomp cannot load inside the minimal sandbox (``find_library`` needs /etc/ld.so.cache,
sandbox.md §4d), so the backend compiles the filter here, exports the BPF program and hands its
bytes to each run; the supervisor puts them in a fresh memfd, rewinds it and passes it to
``bwrap --seccomp 3`` (bwrap reads the fd to EOF, so a shared, unrewound fd fails every later run).

Policy: default allow, because namespaces, a separate uid, rlimits and cgroups are the boundary;
the filter removes kernel attack surface and cross-box side channels that those do not cover
(isolate 2.4-2.6, CVE-2017-5226/CVE-2019-10063, sandlock #240). Only the native architecture is
allowed: 32-bit and x32 syscalls kill the process (the filter's bad-arch action).
"""

from __future__ import annotations

import errno
import functools
import os
import tempfile

#: Denied with EPERM: debugging other processes, namespaces and mounts, keyrings, BPF, io_uring,
#: perf, userfaultfd, kernel modules and other administration calls.
EPERM_SYSCALLS = (
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "mount",
    "umount2",
    "unshare",
    "setns",
    "pivot_root",
    "chroot",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "open_tree",
    "move_mount",
    "mount_setattr",
    "open_by_handle_at",
    "name_to_handle_at",
    "keyctl",
    "add_key",
    "request_key",
    "bpf",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "perf_event_open",
    "userfaultfd",
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "swapon",
    "swapoff",
    "reboot",
    "acct",
    "syslog",
    "quotactl",
    "lookup_dcookie",
    "flock",
)

CLONE_NAMESPACE_FLAGS = (
    0x00020000,  # CLONE_NEWNS
    0x02000000,  # CLONE_NEWCGROUP
    0x04000000,  # CLONE_NEWUTS
    0x08000000,  # CLONE_NEWIPC
    0x10000000,  # CLONE_NEWUSER
    0x20000000,  # CLONE_NEWPID
    0x40000000,  # CLONE_NEWNET
)
TIOCSTI = 0x5412
TIOCLINUX = 0x541C
AF_VSOCK = 40
#: fcntl record locks, leases and directory notifications: a lock on a shared read-only file
#: (say under /usr/lib) is a channel between boxes (isolate 2.4).
FCNTL_DENIED = (
    6,
    7,
    36,
    37,
    38,
    1024,
    1026,
)  # F_SETLK, F_SETLKW, F_OFD_GETLK..SETLKW, lease, notify


class SeccompUnavailable(RuntimeError):
    """pyseccomp or libseccomp is missing or refused to build the filter."""


@functools.cache
def filter_bpf() -> bytes:
    """The exported BPF program (cached per process: about 0.1 ms to build, never changes)."""
    try:
        import pyseccomp as sc
    except Exception as exc:  # ImportError, or OSError/RuntimeError when libseccomp is missing
        raise SeccompUnavailable(f"pyseccomp is not usable: {exc}") from exc
    try:
        flt = sc.SyscallFilter(sc.ALLOW)
        flt.set_attr(sc.Attr.ACT_BADARCH, sc.KILL_PROCESS)
        eperm = sc.ERRNO(errno.EPERM)
        for name in EPERM_SYSCALLS:
            flt.add_rule(eperm, name)
        # BPF cannot read clone3's struct argument, so namespace flags could slip through it;
        # ENOSYS makes glibc fall back to clone(2), whose flags are checked below.
        flt.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
        for flag in CLONE_NAMESPACE_FLAGS:
            flt.add_rule(eperm, "clone", sc.Arg(0, sc.MASKED_EQ, flag, flag))
        # Masked compare on the low 32 bits: an unmasked one is bypassed (CVE-2019-10063).
        for request in (TIOCSTI, TIOCLINUX):
            flt.add_rule(eperm, "ioctl", sc.Arg(1, sc.MASKED_EQ, 0xFFFFFFFF, request))
        flt.add_rule(eperm, "socket", sc.Arg(0, sc.EQ, AF_VSOCK))
        flt.add_rule(eperm, "socketpair", sc.Arg(0, sc.EQ, AF_VSOCK))
        for cmd in FCNTL_DENIED:
            flt.add_rule(eperm, "fcntl", sc.Arg(1, sc.EQ, cmd))
        with tempfile.TemporaryFile() as f:
            flt.export_bpf(f)
            f.seek(0)
            program = f.read()
    except Exception as exc:
        raise SeccompUnavailable(f"cannot build the seccomp filter: {exc}") from exc
    if not program or len(program) % 8:
        raise SeccompUnavailable("libseccomp exported an invalid BPF program")
    return program


def filter_memfd() -> int:
    """A fresh memfd holding the filter, positioned at 0 (one per run: no shared file offset)."""
    fd = os.memfd_create("codecourses-seccomp", os.MFD_CLOEXEC)
    try:
        os.write(fd, filter_bpf())
        os.lseek(fd, 0, os.SEEK_SET)
    except BaseException:
        os.close(fd)
        raise
    return fd
