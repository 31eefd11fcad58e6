"""A circuit breaker whose state lives in the Django cache, shared by the processes sharing it.

Why the cache: Celery workers and web processes each hold their own memory, and a breaker in
process memory would let every one of them keep hammering a dead Judge0 until each had learnt it
alone. The cache is not the ORM, which the judging package never imports. How far the state is
shared is the cache's reach:

- scaled deployment (``REDIS_URL``): Redis, so every web and worker process of every host shares
  one breaker per Judge0 URL; the first failed calls anyone makes open it for all;
- embedded default: Django's local-memory cache, which is per process. ``make run`` runs two
  processes that judge, the web server (inline judging, "Run code") and ``manage.py
  run_periodic`` (the retries), and each keeps a breaker of its own: each learns of an outage
  from its own ``failure_threshold`` failed calls. That costs a few calls more, never a verdict:
  a breaker only saves calls to a Judge0 that is failing anyway.

States, keyed per Judge0 base URL:
- closed: calls go through; consecutive availability failures are counted;
- open (``failure_threshold`` reached): calls fail fast with ``CircuitOpen`` until ``cooldown_s``
  has passed;
- half-open (cool-down over): exactly one caller wins ``cache.add`` on the probe key and goes
  through; the others still fail fast. The probe's success closes the circuit, its failure opens
  it for another cool-down.

The backend decides what counts (``backend.Judge0Backend._record``): failures for want of Judge0
(refused, DNS, timeouts, 5xx, garbage to the end of a call, a refused poll, statuses 13/14);
an answer about the request (a 401, a 422 on a create, tokens Judge0 forgot) proves it up. A
cache that is down counts as a closed circuit (DESIGN.md: a cache failure is a miss).
"""

from __future__ import annotations

import hashlib
import logging
import time

from courses.judging.errors import BackendUnavailable

logger = logging.getLogger(__name__)


class CircuitOpen(BackendUnavailable):
    """Failing fast: the breaker for this Judge0 is open. Retrying inside the call cannot help."""


class CircuitBreaker:
    """Shared breaker for one Judge0 base URL. Cheap to build; all state lives in the cache."""

    def __init__(
        self,
        base_url: str,
        *,
        failure_threshold: int = 5,
        cooldown_s: float = 30.0,
        probe_timeout_s: float = 60.0,
        cache_alias: str = "default",
        clock=time.time,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        digest = hashlib.sha256(base_url.rstrip("/").encode()).hexdigest()[:16]
        self._prefix = f"judging:judge0:circuit:{digest}"
        self.base_url = base_url
        self.failure_threshold = failure_threshold
        self.cooldown_s = cooldown_s
        #: How long a probe may hold the half-open lock before another caller may probe.
        self.probe_timeout_s = probe_timeout_s
        self._cache_alias = cache_alias
        self._clock = clock

    # -- keys and a cache that may fail -----------------------------------------------------------
    @property
    def _cache(self):
        from django.core.cache import caches

        return caches[self._cache_alias]

    def _key(self, name: str) -> str:
        return f"{self._prefix}:{name}"

    def _safe(self, operation, default=None):
        try:
            return operation()
        except Exception:  # a cache outage must never stop judging
            logger.warning("judge0 circuit: cache unavailable", exc_info=True)
            return default

    # -- state ----------------------------------------------------------------------------------
    def opened_until(self) -> float | None:
        """When the current open period ends (epoch seconds), or None while closed."""
        value = self._safe(lambda: self._cache.get(self._key("open_until")))
        return float(value) if isinstance(value, int | float) else None

    @property
    def state(self) -> str:
        until = self.opened_until()
        if until is None:
            return "closed"
        return "open" if self._clock() < until else "half_open"

    def failures(self) -> int:
        value = self._safe(lambda: self._cache.get(self._key("failures")), 0)
        return value if isinstance(value, int) else 0

    def before_call(self) -> None:
        """Let a call through, or raise ``CircuitOpen`` (with ``retry_after_s``)."""
        until = self.opened_until()
        if until is None:
            return
        now = self._clock()
        if now < until:
            raise CircuitOpen(
                f"Judge0 at {self.base_url} is failing; circuit open for {until - now:.1f} s more",
                retry_after_s=until - now,
            )
        won = self._safe(
            lambda: self._cache.add(self._key("probe"), now, timeout=self.probe_timeout_s), True
        )
        if not won:
            raise CircuitOpen(
                f"Judge0 at {self.base_url} is failing; another caller is probing it",
                retry_after_s=self.cooldown_s,
            )

    def record_success(self) -> None:
        if self.opened_until() is None and self.failures() == 0:
            return
        self._safe(
            lambda: self._cache.delete_many(
                [self._key("failures"), self._key("open_until"), self._key("probe")]
            )
        )

    def record_failure(self) -> None:
        """Count an availability failure; open at the threshold, or re-open after a failed probe."""

        def count() -> int:
            cache = self._cache
            key = self._key("failures")
            ttl = max(self.cooldown_s * 10, 60)
            cache.add(key, 0, timeout=ttl)
            try:
                return cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.set(key, 1, timeout=ttl)
                return 1

        failures = self._safe(count, 0)
        half_open = self.opened_until() is not None
        if half_open or failures >= self.failure_threshold:
            until = self._clock() + self.cooldown_s

            def open_() -> None:
                self._cache.set(self._key("open_until"), until, timeout=self.cooldown_s * 10 + 60)
                self._cache.delete(self._key("probe"))

            self._safe(open_)
            logger.warning(
                "judge0 circuit for %s open for %.1f s after %s failures",
                self.base_url,
                self.cooldown_s,
                failures,
            )

    def reset(self) -> None:
        self._safe(
            lambda: self._cache.delete_many(
                [self._key("failures"), self._key("open_until"), self._key("probe")]
            )
        )
