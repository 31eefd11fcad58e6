"""Start-up sweep: remove what killed workers left behind (processes, cgroups, boxes).

Everything a run creates is named after a uid (``u<uid>-...``) whose lock its owner holds for the
run's whole life (see ``uids``). The sweep takes that lock before touching anything, so it never
races a live run: a free lock proves the owner is gone, and holding it keeps a new run of that uid
from starting while the leftovers are removed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import time
from collections.abc import Iterator

from . import cgroups, uids
from .boxes import remove_box

logger = logging.getLogger(__name__)


def _processes_by_uid(first: int, count: int) -> dict[int, list[int]]:
    """Live processes of the sandbox uids; zombies are dead already and only await their reaper."""
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
                        if first <= uid < first + count:
                            found.setdefault(uid, []).append(int(entry))
                        break
        except (OSError, ValueError, IndexError):
            continue
    return found


def kill_uid(uid: int, timeout_s: float = 5.0) -> None:
    """SIGKILL every process whose real uid is ``uid`` until none is left (lock held by caller)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        pids = _processes_by_uid(uid, 1).get(uid, [])
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


def _by_uid(names: list[str]) -> dict[int, list[str]]:
    grouped: dict[int, list[str]] = {}
    for name in names:
        uid = uids.uid_of_name(name)
        if uid is not None:
            grouped.setdefault(uid, []).append(name)
    return grouped


def sweep(
    *,
    lock_dir: str,
    boxes_dir: str,
    layout: cgroups.Layout | None,
    first: int = uids.UID_FIRST,
    count: int = uids.UID_COUNT,
) -> dict[str, int]:
    """Remove leftovers of dead runs; returns counts of what was removed."""
    removed = {"processes": 0, "cgroups": 0, "boxes": 0}
    for uid, pids in _orphans(lock_dir, _processes_by_uid(first, count)):
        kill_uid(uid)
        removed["processes"] += len(pids)
    cgroup_names = layout.names() if layout is not None else []
    for _, names in _orphans(lock_dir, _by_uid(cgroup_names)):
        for name in names:
            run = layout.run(name)
            run.kill_all()
            if run.remove():
                removed["cgroups"] += 1
    try:
        boxes = os.listdir(boxes_dir)
    except OSError:
        boxes = []
    for _, names in _orphans(lock_dir, _by_uid(boxes)):
        for name in names:
            try:
                remove_box(os.path.join(boxes_dir, name))
                removed["boxes"] += 1
            except OSError as exc:
                logger.warning("cannot remove stale box %s: %s", name, exc)
    return removed
