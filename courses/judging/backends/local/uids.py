"""Host-wide allocation of one unprivileged uid per sandbox (or per batch sharing a box).

Why a uid per sandbox: RLIMIT_NPROC counts processes per real uid and does not hold for root at
all (sandbox.md §4b), files and signals are guarded by uid, and a uid nobody else uses lets a sweep
find every stray process of a dead run. Runs share nothing, so two concurrent runs of different
submissions never share a uid, whatever process or thread started them.

The range (``UID_FIRST``, ``UID_COUNT``; settings ``COURSES_SANDBOX_UID_FIRST/COUNT``) is reserved
for the sandbox: ``usable_uids`` leaves out every uid that is a host account, a group id, or part
of a subordinate range of ``/etc/subuid``/``/etc/subgid`` (a rootless container's processes run
under those), because a sweep kills whatever runs under a free uid of the range.

Allocation is a ``flock`` on ``<lock dir>/uid-<n>.lock`` in ONE directory for the whole host
(``HOST_LOCK_DIR``), whatever the installation's state directory: two installations on one host
never lease the same uid, and neither's sweep touches the other's runs. flock locks belong to an
open file description, so they exclude other threads of the same process as well as other
processes, and the kernel drops them when the holder dies. The lock fd is held by whoever owns the
sandbox (its supervisor, and the worker for a batch's box), so a free lock proves that nothing of
that run is alive except stray processes, which the sweep kills while holding the lock.

Stdlib only, no package-relative imports: the sandbox service (a standalone program) imports it.
"""

from __future__ import annotations

import fcntl
import os
import random
import time
from collections.abc import Sequence

#: Earlier versions (before issue 11) used 60000-60999 with locks per state directory, and their
#: sweeps kill every process of a uid of that range whose lock they find free: the range moved,
#: so that a host running both versions during an upgrade never has one kill the other's runs.
UID_FIRST = 61000
UID_COUNT = 1000
HOST_LOCK_DIR = "/run/codecourses/sandbox-uids"


class UidsExhausted(RuntimeError):
    """No uid of the range freed up in time (every one is leased)."""


class UidLease:
    """A leased uid and the fd of its lock. A plain class: ``dataclasses`` would cost the
    sandbox service, whose forks copy its memory, about 2.5 MiB (``inspect`` and more)."""

    def __init__(self, uid: int, fd: int) -> None:
        self.uid = uid
        self.fd = fd

    def release(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)  # closing the last fd of the description drops the flock
            self.fd = -1

    def __enter__(self) -> UidLease:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _ranges(path: str) -> list[tuple[str, int, int]]:
    found = []
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                parts = line.strip().split(":")
                if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
                    found.append((parts[0], int(parts[1]), int(parts[2])))
    except OSError:
        pass
    return found


def host_accounts(first: int, count: int) -> dict[int, str]:
    """Ids of ``[first, first+count)`` the host uses: accounts, groups, subordinate ranges."""
    import grp
    import pwd

    used: dict[int, str] = {}
    end = first + count
    for entry in pwd.getpwall():
        if first <= entry.pw_uid < end:
            used.setdefault(entry.pw_uid, f"user {entry.pw_name}")
    for group in grp.getgrall():
        if first <= group.gr_gid < end:
            used.setdefault(group.gr_gid, f"group {group.gr_name}")
    for path in ("/etc/subuid", "/etc/subgid"):
        for owner, start, length in _ranges(path):
            for uid in range(max(first, start), min(end, start + length)):
                used.setdefault(uid, f"{os.path.basename(path)} range of {owner}")
    return used


def usable_uids(first: int, count: int) -> tuple[list[int], dict[int, str]]:
    """The uids of the range the sandbox may use, and the excluded ones with the reason."""
    excluded = host_accounts(first, count)
    return [uid for uid in range(first, first + count) if uid not in excluded], excluded


def prepare_lock_dir(lock_dir: str) -> None:
    os.makedirs(lock_dir, mode=0o700, exist_ok=True)
    os.chmod(lock_dir, 0o700)


def _lock_path(lock_dir: str, uid: int) -> str:
    return os.path.join(lock_dir, f"uid-{uid}.lock")


def try_lock(lock_dir: str, uid: int) -> UidLease | None:
    """Take the lock of ``uid`` without waiting; None if someone holds it."""
    fd = os.open(_lock_path(lock_dir, uid), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    return UidLease(uid, fd)


def acquire(lock_dir: str, uids: Sequence[int], *, timeout_s: float = 30.0) -> UidLease:
    """Lock a free uid of ``uids``; ``UidsExhausted`` if none frees up in time.

    The scan starts at a random offset so that concurrent allocators rarely race for one lock.
    """
    if not uids:
        raise UidsExhausted("no usable sandbox uid is configured")
    deadline = time.monotonic() + timeout_s
    while True:
        start = random.randrange(len(uids))
        for i in range(len(uids)):
            lease = try_lock(lock_dir, uids[(start + i) % len(uids)])
            if lease is not None:
                return lease
        if time.monotonic() > deadline:
            raise UidsExhausted(f"all {len(uids)} sandbox uids are in use")
        time.sleep(0.05)


def uid_of_name(name: str) -> int | None:
    """The uid encoded in a sandbox's cgroup or box name ``u<uid>-...``, or None."""
    if not name.startswith("u"):
        return None
    head = name[1:].split("-", 1)[0]
    return int(head) if head.isdigit() else None
