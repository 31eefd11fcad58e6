"""What operators ask of a node: its health (for load balancers), the platform's state (for the
metrics), and the workers' heartbeats that both read.

Nothing here names a host, a URL or an error text: the health answer is public.

Workers: each Celery worker's main process writes a heartbeat every
``COURSES_WORKER_HEARTBEAT_SECONDS`` into one Redis hash (field: the worker's name; value: its
lanes, sandbox mode and time), and removes it when it stops (``config/celery.py``). A worker
whose heartbeat is older than three beats is not seen (killed, or its host lost). One hash read
answers "workers seen" however many workers there are; nothing scans Redis.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.db.models import Count, Min
from django.db.models.functions import Coalesce
from django.utils import timezone

logger = logging.getLogger(__name__)

_client_lock = threading.Lock()
_clients: dict[str, object] = {}


def redis_client():
    """A Redis client on ``REDIS_URL`` with short timeouts (one per process); None without."""
    url = settings.REDIS_URL
    if not url:
        return None
    with _client_lock:
        if url not in _clients:
            import redis

            _clients[url] = redis.Redis.from_url(
                url, socket_timeout=1, socket_connect_timeout=1, health_check_interval=10
            )
        return _clients[url]


def workers_key() -> str:
    return f"{settings.COURSES_QUEUE_PREFIX}codecourses:workers"


# --- Worker heartbeats ------------------------------------------------------------------------


def worker_heartbeat(*, name: str, lanes: list[str], sandbox: str) -> None:
    """Record that worker ``name`` is alive, consuming ``lanes``, with ``sandbox`` isolation."""
    client = redis_client()
    if client is None:
        return
    value = json.dumps({"lanes": sorted(lanes), "sandbox": sandbox, "at": time.time()})
    client.hset(workers_key(), name, value)


def worker_gone(*, name: str) -> None:
    client = redis_client()
    if client is not None:
        client.hdel(workers_key(), name)


def workers_seen(*, now: float | None = None) -> list[dict]:
    """The workers whose heartbeat is recent: ``{"lanes", "sandbox", "age_s"}`` each.

    Raises what Redis raises when it cannot answer. Stale entries are removed as they are read.
    """
    client = redis_client()
    if client is None:
        return []
    now = now or time.time()
    horizon = 3 * settings.COURSES_WORKER_HEARTBEAT_SECONDS
    seen, stale = [], []
    for name, raw in client.hgetall(workers_key()).items():
        try:
            beat = json.loads(raw)
            age = now - float(beat["at"])
        except (ValueError, KeyError, TypeError):
            stale.append(name)
            continue
        if age > horizon:
            stale.append(name)
        else:
            seen.append({"lanes": beat.get("lanes", []), "sandbox": beat.get("sandbox", "")})
    if stale:
        client.hdel(workers_key(), *stale)
    return seen


class Heartbeat(threading.Thread):
    """The worker's heartbeat thread: a failed beat (Redis down) is logged and tried again."""

    def __init__(self, *, name: str, lanes: list[str], sandbox: str) -> None:
        super().__init__(name="codecourses-heartbeat", daemon=True)
        self.worker_name, self.lanes, self.sandbox = name, lanes, sandbox
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                worker_heartbeat(name=self.worker_name, lanes=self.lanes, sandbox=self.sandbox)
            except Exception as exc:
                logger.warning("worker heartbeat failed: %r", exc)
            self.stopped.wait(settings.COURSES_WORKER_HEARTBEAT_SECONDS)

    def stop(self) -> None:
        self.stopped.set()
        try:
            worker_gone(name=self.worker_name)
        except Exception as exc:
            logger.warning("worker heartbeat removal failed: %r", exc)


def sandbox_mode() -> str:
    """This process's judging: ``judge0``, or the local sandbox's isolation (``full``,
    ``rlimits``, ``none``, ``unavailable``), or the dotted backend a test configured."""
    name = settings.COURSES_JUDGE_BACKEND
    if name != "local":
        return name if name == "judge0" else "custom"
    from courses.judging.backends.local import detect_isolation

    return detect_isolation().mode or "unavailable"


# --- Health ------------------------------------------------------------------------------------


def judging_inline() -> bool:
    """Whether this node judges in its own processes (the embedded default: Celery eager)."""
    return bool(settings.CELERY_TASK_ALWAYS_EAGER)


def _timed(check) -> dict:
    started = time.monotonic()
    try:
        result = check() or {}
        ok = result.pop("ok", True)
    except Exception as exc:
        logger.warning("health check %s failed: %r", check.__name__, exc)
        result, ok = {}, False
    return {"ok": ok, "ms": round((time.monotonic() - started) * 1000, 1), **result}


def _database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"engine": connection.vendor}


def _cache() -> dict:
    from django.core.cache import cache

    key = f"courses:health:{socket.gethostname()}"
    token = str(time.time_ns())
    cache.set(key, token, 30)
    return {"ok": cache.get(key) == token}


def _broker() -> dict:
    if judging_inline():
        return {"mode": "inline"}
    client = redis_client()
    if client is None:
        return {"mode": "unknown", "ok": False}
    client.ping()
    return {"mode": "redis"}


def _workers() -> dict:
    if judging_inline():
        return {"mode": "inline", "count": 0, "lanes": {}}
    seen = workers_seen()
    lanes = {lane: sum(lane in w["lanes"] for w in seen) for lane in settings.COURSES_LANES}
    # Every lane needs a worker, or its work waits (live and run: a person waits for it).
    return {"mode": "celery", "count": len(seen), "lanes": lanes, "ok": all(lanes.values())}


def _sandbox() -> dict:
    """Inline, this node runs code: its own sandbox must work. Scaled, the workers run it."""
    if judging_inline():
        mode = sandbox_mode()
        return {"where": "this node", "modes": [mode], "ok": mode != "unavailable"}
    modes = sorted({w["sandbox"] for w in workers_seen()})
    return {"where": "workers", "modes": modes, "ok": bool(modes) and "unavailable" not in modes}


#: The parts without which this node cannot serve: a load balancer takes it out (503).
REQUIRED = ("database",)


def health() -> tuple[bool, dict]:
    """``(serving, answer)``: each part's state, and which parts fail.

    Only the database is required: without it nothing can be served. The cache, the broker and
    the workers are shared by every node, so taking nodes out for them would turn a partial
    outage (submissions wait ``pending``, reads answer from the database) into a total one;
    they make the answer ``degraded`` instead, for the operator's alerts.
    """
    checks = {
        "database": _timed(_database),
        "cache": _timed(_cache),
        "broker": _timed(_broker),
        "workers": _timed(_workers),
        "sandbox": _timed(_sandbox),
    }
    checks["sandbox"]["backend"] = (
        settings.COURSES_JUDGE_BACKEND
        if settings.COURSES_JUDGE_BACKEND in ("local", "judge0")
        else "custom"
    )
    failing = [name for name, check in checks.items() if not check["ok"]]
    serving = not any(name in REQUIRED for name in failing)
    status = "unavailable" if not serving else ("degraded" if failing else "ok")
    return serving, {"status": status, "failing": failing, "checks": checks}


# --- State for the metrics ---------------------------------------------------------------------


@dataclass
class PlatformState:
    queue_lengths: dict[str, int] = field(default_factory=dict)
    waiting: dict[tuple[str, str], int] = field(default_factory=dict)
    oldest_pending_s: dict[str, float] = field(default_factory=dict)
    workers_per_lane: dict[str, int] = field(default_factory=dict)


def platform_state() -> PlatformState:
    """Queue lengths (broker), waiting submissions (database), workers seen (heartbeats).

    A part that cannot be read is left out (logged), so a scrape during an outage still answers.
    """
    from courses.judging.types import Verdict
    from courses.models import Submission

    state = PlatformState()
    waiting = Submission.objects.filter(status__in=[Verdict.PENDING, Verdict.JUDGING])
    try:
        for row in waiting.values("status", "lane").annotate(count=Count("pk")).order_by():
            state.waiting[(row["status"], row["lane"])] = row["count"]
        now = timezone.now()
        oldest = (
            waiting.filter(status=Verdict.PENDING)
            .values("lane")
            .annotate(first=Min(Coalesce("enqueued_at", "created_at")))
            .order_by()
        )
        for row in oldest:
            if row["first"] is not None:
                state.oldest_pending_s[row["lane"]] = (now - row["first"]).total_seconds()
    except Exception as exc:
        logger.warning("metrics: the database could not be read: %r", exc)
    if judging_inline():
        return state
    try:
        client = redis_client()
        for lane, queue in settings.COURSES_QUEUES.items():
            state.queue_lengths[lane] = int(client.llen(queue))
        seen = workers_seen()
        for lane in settings.COURSES_LANES:
            state.workers_per_lane[lane] = sum(lane in w["lanes"] for w in seen)
    except Exception as exc:
        logger.warning("metrics: the broker could not be read: %r", exc)
    return state
