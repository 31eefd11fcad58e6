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

from . import cgroups, uids
from .boxes import remove_box

logger = logging.getLogger(__name__)


def _processes_by_uid(first: int, count: int) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status", encoding="utf-8", errors="replace") as f:
                for line in f:
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
    for uid, pids in _processes_by_uid(first, count).items():
        lease = uids.try_lock(lock_dir, uid)
        if lease is None:
            continue
        with lease:
            kill_uid(uid)
            removed["processes"] += len(pids)
    names = layout.names() if layout is not None else []
    for name in names:
        uid = uids.uid_of_name(name)
        if uid is None:
            continue
        lease = uids.try_lock(lock_dir, uid)
        if lease is None:
            continue
        with lease:
            run = layout.run(name)
            run.kill_all()
            if run.remove():
                removed["cgroups"] += 1
    try:
        boxes = os.listdir(boxes_dir)
    except OSError:
        boxes = []
    for name in boxes:
        uid = uids.uid_of_name(name)
        if uid is None:
            continue
        lease = uids.try_lock(lock_dir, uid)
        if lease is None:
            continue
        with lease:
            try:
                remove_box(os.path.join(boxes_dir, name))
                removed["boxes"] += 1
            except OSError as exc:
                logger.warning("cannot remove stale box %s: %s", name, exc)
    if any(removed.values()):
        logger.warning("sandbox sweep removed leftovers of dead runs: %s", removed)
    return removed
