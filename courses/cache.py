"""Every cache key of the courses app, safe cache calls, and invalidation after commit.

Contracts (DESIGN.md, "Cache"):

- Keys come only from the builders below; no call site formats a key itself.
- A group of entries (all of one user's progress summaries in one course, one course's roster,
  one user's courses) shares a *version number* stored under its own key and written into each
  entry's key. Invalidating the group deletes that version key: the next reader mints a fresh
  number (the current time in nanoseconds, never reused for that key), so every old entry becomes
  unreachable and simply expires. It costs one key per group on any backend, many groups go in one
  ``delete_many`` round trip, and nothing ever scans the key space. An evicted or expired version
  key is harmless for the same reason.
- The cache is an optimisation, never a source of truth: a backend that is down, or a value of the
  wrong type, is a miss (logged), and the caller reads the database.
- Invalidation waits for the commit (``invalidate_on_commit``): clearing earlier would let a
  concurrent reader cache rows that are not committed yet, or that are about to roll back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import caches
from django.db import DEFAULT_DB_ALIAS, transaction

logger = logging.getLogger(__name__)

T = TypeVar("T")

CACHE_ALIAS = "default"
#: A version key outlives its entries so that re-minting (a burst of misses) stays rare; any
#: lifetime would be correct.
MIN_VERSION_TIMEOUT_SECONDS = 24 * 3600
_PENDING_ATTR = "_courses_cache_pending_invalidation"


# --- Key builders --------------------------------------------------------------------------------


def progress_key(user_id: int, problem_id: int) -> str:
    """One user's progress on one problem (deleted, not versioned: it is a single entry)."""
    return f"courses:progress:u{user_id}:p{problem_id}"


def progress_summary_version_key(user_id: int, course_id: int) -> str:
    return f"courses:progress-summary-version:u{user_id}:c{course_id}"


def progress_summary_key(user_id: int, course_id: int, version: int) -> str:
    """A user's progress summary in a course, built from their ProblemProgress rows there."""
    return f"courses:progress-summary:u{user_id}:c{course_id}:v{version}"


def course_content_version_key(course_id: int) -> str:
    """What a course's progress summaries are built from besides each user's results: its late
    policy and its problems (which count, and their points). A summary remembers the version it
    was built under, and one built under another is a miss (``selectors.progress``)."""
    return f"courses:course-content-version:c{course_id}"


def course_outline_key(course_id: int, version: int) -> str:
    """A course's row, chapters and problems (``selectors.outline``), under its content version."""
    return f"courses:course-outline:c{course_id}:v{version}"


def course_row_key(course_id: int, version: int) -> str:
    """A course's row alone (``selectors.outline.cached_course``), under its content version."""
    return f"courses:course-row:c{course_id}:v{version}"


def standings_key(user_id: int, course_id: int, version: int) -> str:
    """A member's standing on each problem of a course, under their summary version (the same
    group as their progress summaries there: it changes when their progress does)."""
    return f"courses:standings:u{user_id}:c{course_id}:v{version}"


def course_exams_version_key(course_id: int) -> str:
    return f"courses:course-exams-version:c{course_id}"


def course_exams_key(course_id: int, version: int) -> str:
    """A course's exams, as the course page lists them."""
    return f"courses:course-exams:c{course_id}:v{version}"


def roster_version_key(course_id: int) -> str:
    return f"courses:roster-version:c{course_id}"


def roster_key(course_id: int, version: int) -> str:
    """The course's roster: its active enrollments."""
    return f"courses:roster:c{course_id}:v{version}"


def user_courses_version_key(user_id: int) -> str:
    return f"courses:user-courses-version:u{user_id}"


def user_courses_key(user_id: int, version: int) -> str:
    """The ids of the courses a user is actively enrolled in."""
    return f"courses:user-courses:u{user_id}:v{version}"


def runs_in_flight_key(user_id: int) -> str:
    """How many "Run code" requests of a user are in progress (``services.remote_runs``)."""
    return f"courses:runs-in-flight:u{user_id}"


# --- Safe calls: a failing or confused cache is a miss -------------------------------------------


def entry_timeout() -> int:
    return settings.COURSES_CACHE_TTL_SECONDS


def _backend():
    return caches[CACHE_ALIAS]


def safe_get(key: str, expected: type[T] | tuple[type, ...]) -> T | None:
    """The cached value if it is an instance of ``expected``; ``None`` (a miss) otherwise."""
    try:
        value = _backend().get(key)
    except Exception as exc:
        logger.error("cache get of %s failed, treated as a miss: %r", key, exc)
        return None
    if value is None:
        return None
    if not isinstance(value, expected):
        logger.error("cache entry %s holds a %s, treated as a miss", key, type(value).__name__)
        return None
    return value


def safe_set(key: str, value: Any, timeout: int) -> None:
    try:
        _backend().set(key, value, timeout)
    except Exception as exc:
        logger.error("cache set of %s failed: %r", key, exc)


def _is_version(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def current_version(version_key: str) -> int | None:
    """The group's version number, minted when missing; ``None`` when the cache cannot say.

    ``add`` is atomic on every backend, so readers racing to mint end up reading one number.
    A value that cannot even be decoded (a truncated or foreign pickle) is garbage too: the
    failing ``get`` cannot tell it from a cache that is down, so a new version is written over
    it, which heals the first case and fails again, as a miss, in the second.
    """
    timeout = max(MIN_VERSION_TIMEOUT_SECONDS, entry_timeout())
    try:
        backend = _backend()
        try:
            version = backend.get(version_key)
        except Exception as exc:
            backend.set(version_key, time.time_ns(), timeout)
            logger.error("cache version %s unreadable (%r), minted a new one", version_key, exc)
            version = backend.get(version_key)
        if not _is_version(version):
            if version is None:
                backend.add(version_key, time.time_ns(), timeout)
            else:
                logger.error("cache version %s holds garbage, minting a new one", version_key)
                backend.set(version_key, time.time_ns(), timeout)
            version = backend.get(version_key)
    except Exception as exc:
        logger.error("cache version %s unavailable, reading uncached: %r", version_key, exc)
        return None
    return version if _is_version(version) else None


def read_through(key: str, expected: type[T], compute: Callable[[], T]) -> T:
    """``compute()`` on a miss, stored for ``COURSES_CACHE_TTL_SECONDS``."""
    value = safe_get(key, expected)
    if value is None:
        value = compute()
        safe_set(key, value, entry_timeout())
    return value


def read_versioned(
    version_key: str, key_for: Callable[[int], str], expected: type[T], compute: Callable[[], T]
) -> T:
    """``read_through`` under the group's current version; uncached when there is none."""
    version = current_version(version_key)
    if version is None:
        return compute()
    return read_through(key_for(version), expected, compute)


def delete_now(keys: Iterable[str]) -> None:
    """Delete ``keys`` in one round trip; a failure is logged, the cache heals by TTL."""
    keys = sorted(set(keys))
    if not keys:
        return
    try:
        _backend().delete_many(keys)
    except Exception as exc:
        logger.error("cache invalidation of %d keys failed: %r (%s)", len(keys), exc, keys[:5])


# --- Invalidation after commit, once per transaction ---------------------------------------------


class _PendingInvalidation:
    """The keys one transaction will invalidate, flushed by one ``on_commit`` callback."""

    def __init__(self) -> None:
        self.keys: set[str] = set()
        self.flushed = False
        self.callback = self.flush  # one bound method, so it can be found by identity

    def flush(self) -> None:
        if self.flushed:
            return
        self.flushed = True
        delete_now(self.keys)

    def is_registered(self, connection) -> bool:
        """Whether our callback is still queued (a rolled-back savepoint drops it)."""
        return not self.flushed and any(
            hook[1] is self.callback for hook in connection.run_on_commit
        )


def invalidate_on_commit(*keys: str, using: str = DEFAULT_DB_ALIAS, batch: str = "") -> None:
    """Delete ``keys`` once the current transaction commits; at once outside a transaction.

    However many times it is called in one transaction, the keys are gathered in a per-connection
    set and deleted by a single ``on_commit`` callback with one ``delete_many``. Keys added in a
    savepoint that later rolls back may still be deleted with the rest: deleting too much is only
    a miss, deleting too little would serve stale data. If the callback itself was dropped (it was
    registered inside a rolled-back savepoint, or the whole transaction rolled back), a new one
    starts. That check reads ``connection.run_on_commit``, the queue of ``(savepoint ids,
    callback, robust)`` that Django's own ``TestCase.captureOnCommitCallbacks`` reads too.

    ``batch`` names a batch of its own, flushed by its own callback: edits of a course's content
    (``course_content_invalidate_on_commit``) then never hold back, in a callback registered
    earlier in the transaction, the invalidations of what people do later in it.
    """
    connection = transaction.get_connection(using)
    if not connection.in_atomic_block:
        delete_now(keys)
        return
    attribute = f"{_PENDING_ATTR}_{batch}" if batch else _PENDING_ATTR
    pending = getattr(connection, attribute, None)
    if pending is None or not pending.is_registered(connection):
        pending = _PendingInvalidation()
        setattr(connection, attribute, pending)
        transaction.on_commit(pending.callback, using=using, robust=True)
    pending.keys.update(keys)


def progress_invalidate_on_commit(*, user_id: int, problem_id: int, course_id: int | None) -> None:
    """A progress row changed: its entry and that user's summaries in its course go."""
    keys = [progress_key(user_id, problem_id)]
    if course_id is not None:
        keys.append(progress_summary_version_key(user_id, course_id))
    invalidate_on_commit(*keys)


def course_content_invalidate_on_commit(*, course_ids: Iterable[int]) -> None:
    """A course's late policy or problems changed: every progress summary built on it goes."""
    invalidate_on_commit(
        *(course_content_version_key(c) for c in set(course_ids) if c is not None),
        batch="course-content",
    )


def course_exams_invalidate_on_commit(*, course_id: int) -> None:
    """An exam of the course was saved or deleted: the course page's list of exams goes."""
    invalidate_on_commit(course_exams_version_key(course_id))


def enrollments_invalidate_on_commit(*, course_ids: Iterable[int], user_ids: Iterable[int]) -> None:
    """Enrollments changed: the courses' rosters and the users' course lists go."""
    invalidate_on_commit(
        *(roster_version_key(c) for c in set(course_ids)),
        *(user_courses_version_key(u) for u in set(user_ids)),
    )
