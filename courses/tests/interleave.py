"""Forcing one interleaving of real transactions, every run: threads meet at chosen statements.

Threads released together by a barrier race only sometimes: whether two transactions both read
before either writes depends on the scheduler, so a test of a lock catches its absence 1 run in
10. Here each thread (a *party*) installs a hook on its own database connection (Django's
``connection.execute_wrapper``: the code under test is not touched) that stops it just before, or
just after, the first statement matching a regular expression, at a *meeting point*. A party at
the meeting point goes on once every other party is there too, is past it, has finished, or is
**waiting for a lock**: a lock wait is the very thing a correct lock produces, and a party held
by one can never arrive. So a check-then-update claim has every reader read before any writer
writes, every run; a correct one makes the late party wait for the lock, and the meeting lets
the holder go on.

Lock waits are read from PostgreSQL itself (``pg_stat_activity.wait_event_type = 'Lock'`` on the
party's backend pid, through a monitoring connection of its own). SQLite cannot say; there a party
that has been inside one statement for ``SQLITE_BLOCKED_AFTER_S`` counts as waiting (it is in the
busy handler: SQLite statements of these tests take microseconds). With correct code every
interleaving is correct, so counting a slow party as waiting can only let a broken lock slip, never
fail a correct one.
"""

from __future__ import annotations

import contextlib
import functools
import re
import threading
import time
import warnings
from collections.abc import Iterator

from django.db import connection

#: On SQLite, a party this long inside one statement is taken to wait for the database lock.
SQLITE_BLOCKED_AFTER_S = 0.25
#: How often a waiting party looks at the others (a query on PostgreSQL).
POLL_S = 0.01

RUNNING, ARRIVED, PASSED, DONE = "running", "arrived", "passed", "done"


class Choreography:
    """The parties of one forced interleaving, by name. Use in a ``with`` block (or ``close()``).

    In each party's thread: ``with choreography.party(name, before=regex)`` (or ``after=``) around
    the code under test. ``reached(name)`` waits until that party got to its meeting point (to
    start another party only then).
    """

    def __init__(self, *names: str, timeout: float = 20) -> None:
        self.timeout = timeout
        self.states = {name: RUNNING for name in names}
        self.pids: dict[str, int] = {}
        self.in_statement_since: dict[str, float] = {}
        self.changed = threading.Condition()
        self._monitor = None
        self._monitor_lock = threading.Lock()
        self.vendor = connection.vendor

    def __enter__(self) -> Choreography:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        with self._monitor_lock:
            if self._monitor is not None:
                self._monitor.close()
                self._monitor = None

    # In a party's thread ------------------------------------------------------------------------

    @contextlib.contextmanager
    def party(
        self, name: str, *, before: str | None = None, after: str | None = None
    ) -> Iterator[None]:
        """Run the block as ``name``: meet the others at the first statement matching ``before``
        (before it runs) or ``after`` (once it ran). ``None`` for both: no meeting point, the
        party is only watched (its lock waits let the others go on)."""
        if name not in self.states:
            raise KeyError(name)
        pattern = re.compile(before or after, re.IGNORECASE) if (before or after) else None
        met = [pattern is None]

        def hook(execute, sql, params, many, context):
            self._note_pid(name, context["connection"])
            matches = not met[0] and bool(pattern.search(sql))
            if matches and before:
                met[0] = True
                self.meet(name)
            self.in_statement_since[name] = time.monotonic()
            try:
                result = execute(sql, params, many, context)
            finally:
                self.in_statement_since.pop(name, None)
            if matches and after:
                met[0] = True
                self.meet(name)
            return result

        try:
            with connection.execute_wrapper(hook):
                yield
        finally:
            with self.changed:
                self.states[name] = DONE
                self.changed.notify_all()

    def meet(self, name: str) -> None:
        """Wait until every other party is here, past here, finished, or waiting for a lock."""
        with self.changed:
            self.states[name] = ARRIVED
            self.changed.notify_all()
        deadline = time.monotonic() + self.timeout
        while True:
            others = [n for n in self.states if n != name]
            pending = [n for n in others if self.states[n] == RUNNING]
            if pending:
                waiting = self.waiting_for_a_lock(pending)
                pending = [n for n in pending if n not in waiting]
            if not pending:
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"{name}: parties {pending} never came to the meeting point")
            with self.changed:
                self.changed.wait(POLL_S)
        with self.changed:
            self.states[name] = PASSED
            self.changed.notify_all()

    # From any thread ----------------------------------------------------------------------------

    def reached(self, name: str) -> None:
        """Wait until ``name`` is at its meeting point, past it, or finished."""
        with self.changed:
            if not self.changed.wait_for(lambda: self.states[name] != RUNNING, self.timeout):
                raise AssertionError(f"{name} never reached its meeting point")

    def waiting_for_a_lock(self, names: list[str]) -> set[str]:
        """Which of ``names`` wait for a lock right now (see the module's docstring)."""
        if self.vendor != "postgresql":
            now = time.monotonic()
            return {
                n
                for n in names
                if now - self.in_statement_since.get(n, now) >= SQLITE_BLOCKED_AFTER_S
            }
        pids = {self.pids[n]: n for n in names if n in self.pids}
        if not pids:
            return set()
        with self._monitor_lock:
            if self._monitor is None:
                self._monitor = connection.get_new_connection(connection.get_connection_params())
                self._monitor.autocommit = True  # a fresh pg_stat_activity snapshot each query
            with self._monitor.cursor() as cursor:
                cursor.execute(
                    "SELECT pid FROM pg_stat_activity "
                    "WHERE wait_event_type = 'Lock' AND pid = ANY(%s)",
                    [list(pids)],
                )
                return {pids[row[0]] for row in cursor.fetchall()}

    def _note_pid(self, name: str, wrapper) -> None:
        if wrapper.vendor == "postgresql":
            self.pids[name] = wrapper.connection.info.backend_pid


# What a concurrency test can prove on each database ---------------------------------------------

#: Why SQLite cannot show a race: its writers take turns.
SQLITE_SERIALIZES = (
    "SQLite lets one writer at a time (BEGIN IMMEDIATE) and ignores SELECT ... FOR UPDATE"
)


class SerialOnSqlite(UserWarning):
    """A concurrency test ran on SQLite, where it checks serial behaviour only."""


def serial_on_sqlite(test):
    """A race test that also runs on SQLite, where it proves less, and says so.

    On PostgreSQL it proves the race is handled. On SQLite the same threads run, but their
    writers take turns, so it checks only that the outcome of serialized writers is right (and
    that nobody fails waiting): each run says so in a ``SerialOnSqlite`` warning naming the test
    (pytest's warnings summary; stderr under ``manage.py test``). The race is proven on
    PostgreSQL, in CI's second run.
    """

    @functools.wraps(test)
    def run(self, *args, **kwargs):
        if connection.vendor == "sqlite":
            code = test.__code__
            warnings.warn_explicit(
                f"{type(self).__name__}.{test.__name__} checks serial behaviour only on SQLite "
                f"({SQLITE_SERIALIZES}); the race is proven on PostgreSQL.",
                SerialOnSqlite,
                code.co_filename,
                code.co_firstlineno,
            )
        return test(self, *args, **kwargs)

    return run


def postgresql_only(test):
    """A test of a lock that only matters when writers overlap: skipped on SQLite, with why."""

    @functools.wraps(test)
    def run(self, *args, **kwargs):
        if connection.vendor != "postgresql":
            self.skipTest(
                f"{SQLITE_SERIALIZES}: the interleaving this lock prevents cannot happen there. "
                "Proven on PostgreSQL (CI's second run, DATABASE_URL)."
            )
        return test(self, *args, **kwargs)

    return run
