"""What the signal tests share: a fresh namespace of the real cache, a call counter, threads."""

from __future__ import annotations

import threading
import uuid
from collections import Counter

from celery import _state as celery_state
from django.conf import settings
from django.core.cache import caches
from django.db import connections
from django.test import override_settings

#: A Redis nobody listens on: every call fails fast with a connection error.
UNREACHABLE_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
}


class FreshCacheMixin:
    """Each test gets the configured cache (locmem, or Redis under REDIS_URL) in a new namespace.

    A new key prefix (and, for locmem, a new store) instead of ``cache.clear()``: clearing would
    flush a Redis database that other test runs may share, and on SQLite ids repeat between tests.
    """

    def setUp(self):
        super().setUp()
        config = dict(settings.CACHES["default"])
        config["KEY_PREFIX"] = f"test-{uuid.uuid4().hex}"
        if config["BACKEND"].endswith("LocMemCache"):
            config["LOCATION"] = config["KEY_PREFIX"]
            # No culling (locmem drops a third of its keys past 300): a test that checks what
            # is cached must not see entries vanish for want of room, which Redis never does.
            config["OPTIONS"] = {**config.get("OPTIONS", {}), "MAX_ENTRIES": 1_000_000}
        override = override_settings(CACHES={**settings.CACHES, "default": config})
        override.enable()
        self.addCleanup(override.disable)


class CacheCalls:
    """Counts the calls made to this thread's cache backend, passing each one through.

    Only calls made from outside the backend count (LocMemCache's ``delete_many`` calls its own
    ``delete``; that is one call). Not a mock: every call still reaches the real cache.
    """

    METHODS = ("get", "get_many", "set", "set_many", "add", "delete", "delete_many", "incr")

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.deleted: list[list[str]] = []
        self._depth = 0

    def __enter__(self) -> CacheCalls:
        self.backend = caches["default"]
        for name in self.METHODS:
            setattr(self.backend, name, self._wrap(name, getattr(self.backend, name)))
        return self

    def __exit__(self, *exc_info) -> None:
        for name in self.METHODS:
            delattr(self.backend, name)

    def _wrap(self, name, original):
        def call(*args, **kwargs):
            if self._depth == 0:
                self.counts[name] += 1
                if name == "delete_many":
                    self.deleted.append(sorted(args[0]))
                elif name == "delete":
                    self.deleted.append([args[0]])
            self._depth += 1
            try:
                return original(*args, **kwargs)
            finally:
                self._depth -= 1

        return call

    @property
    def writes(self) -> int:
        """Calls that change the cache (reads and version minting aside)."""
        return sum(self.counts[n] for n in ("set", "set_many", "delete", "delete_many", "incr"))


def run_concurrently(target, jobs, timeout: float = 60) -> list[BaseException]:
    """Run ``target(*job)`` for every job in its own thread, released together by a barrier.

    Returns the exceptions raised. Each thread closes its database connections when done.
    """
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(job):
        try:
            barrier.wait(timeout)
            target(*job)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    # Celery's eager apply() saves and restores a process-wide "joining would block" flag around
    # each task; threads applying tasks at once can leave it set, and a later test's
    # result.get() then refuses to run. Put it back as it was.
    join_will_block = celery_state.task_join_will_block()
    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    celery_state._set_task_join_will_block(join_will_block)
    if any(thread.is_alive() for thread in threads):
        errors.append(TimeoutError("a thread did not finish"))
    return errors
