"""The seccomp filter of every sandboxed run, built once outside the sandbox.

pyseccomp cannot load inside the minimal sandbox (``find_library`` needs /etc/ld.so.cache,
sandbox.md §4d), so the backend compiles the filter here, exports the BPF program and hands its
bytes to the sandbox service, which puts them in a fresh memfd for each sandbox and passes it to
``bwrap --seccomp 3`` (bwrap reads the fd to EOF, so a shared, unrewound fd fails every later run).

Policy: default allow, because namespaces, a separate uid, rlimits and cgroups are the boundary;
the filter removes kernel attack surface and channels that those do not cover:
- other processes and namespaces: ptrace, process_vm_*, pidfd_getfd, kcmp, process_madvise,
  mount and friends, unshare/setns, clone with namespace flags, clone3 (see below);
- channels between concurrent boxes through what they share (the read-only ``/usr``, the page
  cache): file locks (flock, fcntl locks, leases), ``inotify``/``fanotify``/``F_NOTIFY`` watches,
  ``cachestat`` (isolate 2.4-2.6, issue 11), reads that only probe the cache (``RWF_NOWAIT``
  on ``preadv2``/``pwritev2``, and Linux AIO as a whole, whose requests can carry it too), and
  evicting it (``POSIX_FADV_DONTNEED``, ``MADV_COLD``/``MADV_PAGEOUT``); a command argument
  the kernel reads as 32 bits (fcntl's, ioctl's, advice) is compared on its low 32 bits;
- state that would outlive a case inside one sandbox: System V IPC and POSIX message queues;
- kernel memory a memory cgroup v1 does not charge: sockets of every family but ``AF_UNIX``
  (a judged program has no network: its namespace holds only a loopback, issue 11 gap 1);
- terminal injection (TIOCSTI/TIOCLINUX: CVE-2017-5226, CVE-2019-10063),
  keyrings, BPF, io_uring, perf, userfaultfd, modules, kexec, reboot and other administration.
Only the native architecture is allowed: 32-bit and x32 syscalls kill the process (bad-arch action).

Every denied call fails with ``DENIED_ERRNO`` (ENOSYS, "function not implemented"): no kernel path
returns it for these calls on the supported kernels, so a test can tell the filter's refusal
from the kernel's own (EPERM for lack of privilege, ENOSPC for a disabled user namespace), and
programs and runtimes treat the feature as absent (glibc falls back from clone3 to clone).
"""

from __future__ import annotations

import errno
import functools
import tempfile

DENIED_ERRNO = errno.ENOSYS

#: Denied outright.
DENIED_SYSCALLS = (
    # other processes
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "pidfd_getfd",
    "process_madvise",
    "kcmp",
    # namespaces and mounts
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
    # channels through shared files and the page cache
    "flock",
    "inotify_init",
    "inotify_init1",
    "inotify_add_watch",
    "inotify_rm_watch",
    "fanotify_init",
    "fanotify_mark",
    "cachestat",
    # Linux AIO: a request's ``aio_rw_flags`` may say RWF_NOWAIT, in a struct BPF cannot read
    # (an outside probe told cached pages from others with it, as with preadv2). glibc's POSIX
    # aio_* use threads, not these calls; no runtime the sandbox runs needs them.
    "io_setup",
    "io_destroy",
    "io_submit",
    "io_cancel",
    "io_getevents",
    "io_pgetevents",
    # state that outlives a process: System V IPC, POSIX message queues
    "shmget",
    "shmat",
    "shmdt",
    "shmctl",
    "msgget",
    "msgsnd",
    "msgrcv",
    "msgctl",
    "semget",
    "semop",
    "semtimedop",
    "semctl",
    "mq_open",
    "mq_unlink",
    "mq_timedsend",
    "mq_timedreceive",
    "mq_notify",
    "mq_getsetattr",
    # kernel attack surface and administration
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
LOW_32_BITS = 0xFFFFFFFF
RWF_NOWAIT = 0x08
FADV_DONTNEED = 4
#: Advice that evicts pages of a file mapping from the page cache (MADV_COLD, MADV_PAGEOUT).
MADVISE_DENIED = (20, 21)
TIOCSTI = 0x5412
TIOCLINUX = 0x541C
AF_UNIX = 1
#: fcntl record locks, leases and directory notifications: a lock on a shared read-only file
#: (say under /usr/lib) is a channel between boxes (isolate 2.4).
FCNTL_DENIED = (
    6,  # F_SETLK
    7,  # F_SETLKW
    36,  # F_OFD_GETLK
    37,  # F_OFD_SETLK
    38,  # F_OFD_SETLKW
    1024,  # F_SETLEASE
    1026,  # F_NOTIFY
)


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
        deny = sc.ERRNO(DENIED_ERRNO)
        for name in DENIED_SYSCALLS:
            flt.add_rule(deny, name)
        # BPF cannot read clone3's struct argument, so namespace flags could slip through it;
        # ENOSYS makes glibc fall back to clone(2), whose flags are checked below.
        flt.add_rule(deny, "clone3")
        for flag in CLONE_NAMESPACE_FLAGS:
            flt.add_rule(deny, "clone", sc.Arg(0, sc.MASKED_EQ, flag, flag))
        # The kernel reads ioctl's request and fcntl's cmd as 32-bit values: compare the low
        # 32 bits only, or setting a high bit slips past an equality (CVE-2019-10063).
        for request in (TIOCSTI, TIOCLINUX):
            flt.add_rule(deny, "ioctl", sc.Arg(1, sc.MASKED_EQ, LOW_32_BITS, request))
        flt.add_rule(deny, "socket", sc.Arg(0, sc.NE, AF_UNIX))
        flt.add_rule(deny, "socketpair", sc.Arg(0, sc.NE, AF_UNIX))
        for cmd in FCNTL_DENIED:
            flt.add_rule(deny, "fcntl", sc.Arg(1, sc.MASKED_EQ, LOW_32_BITS, cmd))
        # The page cache of the shared /usr as a channel: probing what is cached without
        # reading it (RWF_NOWAIT), and evicting it on purpose (which also charges the next
        # reader's memory for the re-read: a correct program judged over its memory limit).
        for call in ("preadv2", "pwritev2"):
            flt.add_rule(deny, call, sc.Arg(5, sc.MASKED_EQ, RWF_NOWAIT, RWF_NOWAIT))
        flt.add_rule(deny, "fadvise64", sc.Arg(3, sc.MASKED_EQ, LOW_32_BITS, FADV_DONTNEED))
        for advice in MADVISE_DENIED:
            flt.add_rule(deny, "madvise", sc.Arg(2, sc.MASKED_EQ, LOW_32_BITS, advice))
        with tempfile.TemporaryFile() as f:
            flt.export_bpf(f)
            f.seek(0)
            program = f.read()
    except Exception as exc:
        raise SeccompUnavailable(f"cannot build the seccomp filter: {exc}") from exc
    if not program or len(program) % 8:
        raise SeccompUnavailable("libseccomp exported an invalid BPF program")
    return program
