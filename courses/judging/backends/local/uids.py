"""Host-wide allocation of one unprivileged uid per concurrent run.

Why a uid per run: RLIMIT_NPROC counts processes per real uid and does not hold for root at all
(sandbox.md §4b), files and signals are guarded by uid, and a uid nobody else uses lets a sweep
find every stray process of a dead run. Runs share nothing, so two concurrent runs never share
a uid, whatever process or thread started them.

Allocation is a ``flock`` on ``<lock dir>/uid-<n>.lock``. flock locks belong to an open file
description, so they exclude other threads of the same process as well as other processes
(Celery workers, web processes, parallel test runs), and the kernel drops them when the holder
dies. The lock fd is inherited by the run's supervisor, so the uid stays taken while either the
worker or the supervisor lives; a free lock therefore proves that nothing of that run is alive
except stray processes, which the sweep kills while holding the lock.
"""

from __future__ import annotations

import fcntl
import os
import random
import time
from dataclasses import dataclass

from courses.judging.errors import ExecutorBusy

UID_FIRST = 60000
UID_COUNT = 1000


@dataclass
class UidLease:
    uid: int
    fd: int

    def release(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)  # closing the last fd of the description drops the flock
            self.fd = -1

    def __enter__(self) -> UidLease:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


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


def acquire(
    lock_dir: str,
    *,
    first: int = UID_FIRST,
    count: int = UID_COUNT,
    timeout_s: float = 30.0,
) -> UidLease:
    """Lock a free uid of ``[first, first+count)``; ``ExecutorBusy`` if none frees up in time.

    The scan starts at a random offset so that concurrent allocators rarely race for one lock.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        start = random.randrange(count)
        for i in range(count):
            uid = first + (start + i) % count
            lease = try_lock(lock_dir, uid)
            if lease is not None:
                return lease
        if time.monotonic() > deadline:
            raise ExecutorBusy(f"all {count} sandbox uids from {first} are in use")
        time.sleep(0.05)


def uid_of_name(name: str) -> int | None:
    """The uid encoded in a run or box name ``u<uid>-...``, or None."""
    if not name.startswith("u"):
        return None
    head = name[1:].split("-", 1)[0]
    return int(head) if head.isdigit() else None
