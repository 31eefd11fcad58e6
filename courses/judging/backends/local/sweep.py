"""Sweep: remove what dead runs left behind (processes, cgroups, boxes).

Everything a sandbox creates is named after a uid (``u<uid>-...``) whose host-wide lock its owner
holds for the run's whole life (see ``uids``). The sweep takes that lock before touching anything,
so it never races a live run: a free lock proves the owner is gone, and holding it keeps a new
run of that uid from starting while the leftovers are removed.

Who sweeps, so that nothing waits for another process to start: each worker's sandbox service
sweeps when it starts, every ``SWEEP_INTERVAL_S`` while it lives, after any of its supervisors
died abnormally, and last of all when its worker died (the runs it killed); in the scaled
deployment Celery beat also runs ``courses.tasks.sweep_sandbox`` on the workers.

Stdlib only, no package-relative imports: the sandbox service (a standalone program) imports it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Collection, Iterator

try:  # imported as a package module by the backend, by path by the standalone service
    from . import cgroups, uids
    from .boxes import remove_box
except ImportError:
    import cgroups  # type: ignore[no-redef]
    import uids  # type: ignore[no-redef]
    from boxes import remove_box  # type: ignore[no-redef]

SWEEP_INTERVAL_S = 60.0


def _warn(message: str, *args: object) -> None:
    """Log a warning; ``logging`` is imported only then, not by the sandbox service at start
    (its forks copy its memory: ``logging`` and what it imports are about 2 MiB)."""
    import logging

    logging.getLogger(__name__).warning(message, *args)


def processes_by_uid(wanted: Collection[int]) -> dict[int, list[int]]:
    """Live processes of the given uids; zombies are dead already and only await their reaper."""
    wanted = set(wanted)
    found: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status", encoding="utf-8", errors="replace") as f:
                for line in f:
                    if line.startswith("State:") and line.split()[1] == "Z":
                        break
                    if line.startswith("Uid:"):
                        uid = int(line.split()[1])
                        if uid in wanted:
                            found.setdefault(uid, []).append(int(entry))
                        break
        except (OSError, ValueError, IndexError):
            continue
    return found


def kill_uid(uid: int, timeout_s: float = 5.0) -> None:
    """SIGKILL every process whose real uid is ``uid`` until none is left (lock held by caller)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        pids = processes_by_uid([uid]).get(uid, [])
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.002)


def _orphans(lock_dir: str, items: dict[int, list]) -> Iterator[tuple[int, list]]:
    """The items of uids whose lock nobody holds (a dead run's), each yielded under that lock."""
    for uid, things in items.items():
        lease = uids.try_lock(lock_dir, uid)
        if lease is None:
            continue
        with lease:
            yield uid, things


def _by_uid(names: list[str], allowed: Collection[int]) -> dict[int, list[str]]:
    grouped: dict[int, list[str]] = {}
    for name in names:
        uid = uids.uid_of_name(name)
        if uid is not None and uid in allowed:
            grouped.setdefault(uid, []).append(name)
    return grouped


def sweep(
    *,
    lock_dir: str,
    boxes_dir: str,
    layout: cgroups.Layout | None,
    uid_list: Collection[int],
    kill_processes: bool = True,
) -> dict[str, int]:
    """Remove leftovers of dead runs among ``uid_list``; returns counts of what was removed.

    ``kill_processes`` is off when the sandbox cannot switch uids (then "uids" only name
    leases, and processes run as the worker's own uid: they die with their sandbox's
    bubblewrap, never by uid).
    """
    allowed = set(uid_list)
    removed = {"processes": 0, "cgroups": 0, "boxes": 0}
    if kill_processes:
        for uid, pids in _orphans(lock_dir, processes_by_uid(allowed)):
            kill_uid(uid)
            removed["processes"] += len(pids)
    cgroup_names = layout.names() if layout is not None else []
    for _, names in _orphans(lock_dir, _by_uid(cgroup_names, allowed)):
        for name in names:
            run = layout.run(name)
            run.kill_all()
            if run.remove():
                removed["cgroups"] += 1
    try:
        boxes = os.listdir(boxes_dir)
    except OSError:
        boxes = []
    for _, names in _orphans(lock_dir, _by_uid(boxes, allowed)):
        for name in names:
            try:
                remove_box(os.path.join(boxes_dir, name))
                removed["boxes"] += 1
            except OSError as exc:
                _warn("cannot remove stale box %s: %s", name, exc)
    return removed
