"""A host-wide bound on concurrent work, across processes and threads, with lock files.

Each slot is a file under a directory; holding the slot is holding an exclusive ``flock`` on it.
The kernel drops the lock when the holder dies, so a killed process never leaks a slot.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from courses.judging.errors import ExecutorBusy


class HostSlots:
    def __init__(self, name: str, count: int, directory: str | os.PathLike | None = None) -> None:
        if count <= 0:
            raise ValueError("count must be positive")
        base = Path(directory or tempfile.gettempdir()) / f"codecourses-slots-{name}"
        base.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.paths = [base / f"slot-{i}.lock" for i in range(count)]

    @contextlib.contextmanager
    def acquire(self) -> Iterator[int]:
        """Hold a free slot for the block; raise ``ExecutorBusy`` at once when none is free."""
        for index, path in enumerate(self.paths):
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            try:
                yield index
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)
            return
        raise ExecutorBusy(
            f"All {len(self.paths)} run slots of this host are busy; try again in a moment."
        )
