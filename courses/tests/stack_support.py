"""Real processes for the resilience tests (issue 13): one stack per test module.

``StackTestCase`` starts, once per module, a stack of its own (``scripts/stack.py``): a
PostgreSQL cluster and a Redis on free loopback ports, in a temporary directory made for it,
migrated and loaded with the demo course. Each test class then starts the app's processes it
needs (gunicorn, Celery workers per lane, beat) with its own settings, and stops them at its
end; the module's end stops PostgreSQL and Redis and removes the directory (by its exact path).

The tests talk to the stack as its users and operators do: HTTP to gunicorn (the API), and SQL
to its database for the counts (``rows``). They need Debian's ``postgresql`` and
``redis-server`` and root (PostgreSQL runs as ``postgres``, the workers as root for the sandbox);
without them they skip saying why, and fail instead under ``COURSES_REQUIRE_STACK=1`` (CI).

Settings are small so that a lease expires within seconds (``STACK_TEST_SETTINGS``).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import tempfile
import time
import unittest
import uuid
from pathlib import Path

import httpx
import psycopg
import redis

from scripts.stack import DB_NAME, DB_USER, Stack, Worker, free_port, missing_packages

#: Settings of every process of a test stack: leases of seconds, a sweep every second.
STACK_TEST_SETTINGS = {
    "COURSES_JUDGING_LEASE_SECONDS": "5",
    "COURSES_JUDGING_LEASE_MARGIN_SECONDS": "0",
    "COURSES_REQUEUE_INTERVAL_SECONDS": "1",
    "COURSES_PENDING_REQUEUE_SECONDS": "20",
    "COURSES_MAX_PENDING_SUBMISSIONS": "1000",
    "COURSES_WORKER_HEARTBEAT_SECONDS": "1",
    "COURSES_RUN_QUEUE_WAIT_SECONDS": "3",
    "COURSES_API_RUN_RATE": "1000/min",
    "COURSES_JUDGE_RETRY_FIRST_DELAY_SECONDS": "1",
    "COURSES_JUDGE_RETRY_MAX_DELAY_SECONDS": "2",
    "LOG_LEVEL": "INFO",
}
#: One case whose program sleeps, so that a worker can be killed while it judges.
SLOW_ADD = "import time\n\ndef add(a, b):\n    time.sleep({sleep})\n    return a + b\n# {nonce}\n"
ADD = "def add(a, b):\n    return a + b\n# {nonce}\n"
FINAL = {
    "accepted",
    "wrong_answer",
    "time_limit_exceeded",
    "memory_limit_exceeded",
    "output_limit_exceeded",
    "runtime_error",
    "compilation_error",
    "internal_error",
}


def stack_unavailable() -> str:
    """Why this host cannot run a stack; empty when it can."""
    if os.geteuid() != 0:
        return "the stack needs root (PostgreSQL runs as postgres, workers as root)"
    missing = missing_packages()
    if missing:
        return f"missing Debian packages: {' '.join(missing)} (make system-deps-stack)"
    from courses.judging.backends.local import detect_isolation

    isolation = detect_isolation()
    if isolation.mode != "full":
        return f"the workers judge with the local sandbox, not available here: {isolation.detail}"
    return ""


def require_stack(testcase: type) -> None:
    if os.environ.get("COURSES_STACK_TESTS_DONE") == "1":
        # CI's second pass (the suite on PostgreSQL + Redis): these tests bring their own
        # servers whatever the suite runs on, and ran in the first pass.
        raise unittest.SkipTest("the stack tests ran in CI's first pass")
    reason = stack_unavailable()
    if not reason:
        return
    if os.environ.get("COURSES_REQUIRE_STACK") == "1":
        raise AssertionError("COURSES_REQUIRE_STACK=1 but " + reason)
    print(f"\nSKIPPED {testcase.__name__}: {reason}", file=sys.stderr)
    raise unittest.SkipTest(reason)


class ModuleStack:
    """PostgreSQL and Redis for one test module, started on first use."""

    def __init__(self) -> None:
        self.stack: Stack | None = None
        self.root: Path | None = None

    def get(self) -> Stack:
        if self.stack is None:
            self.root = Path(tempfile.mkdtemp(prefix="codecourses-stack-test-"))
            stack = Stack(
                self.root,
                web_port=free_port(),
                pg_port=free_port(),
                redis_port=free_port(),
                web_workers=2,
                settings=dict(STACK_TEST_SETTINGS),
                fast_postgres=True,
            )
            self.stack = stack
            stack.postgres_start()
            stack.redis_start()
            stack.prepare(seed=True)
        return self.stack

    def stop(self) -> None:
        if self.stack is not None:
            with contextlib.suppress(Exception):
                self.stack.stop()
            self.stack = None
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None


class StackTestCase(unittest.TestCase):
    """A test class on the module's stack, with the app processes it declares.

    ``workers``: the Celery workers to start; ``web`` and ``beat``: whether to start gunicorn and
    beat; ``settings``: extra settings of those processes.
    """

    module_stack: ModuleStack  # set by each test module (``setUpModule``/``tearDownModule``)
    workers: tuple[Worker, ...] = (Worker("all", ["live", "run", "bulk"], 1),)
    web = True
    beat = True
    settings: dict[str, str] = {}

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        require_stack(cls)
        cls.stack = cls.module_stack.get()
        if cls.stack.pid("redis") is None:  # an earlier class stopped it and failed
            cls.stack.redis_start()
        cls.stack.settings = {**STACK_TEST_SETTINGS, **cls.settings_for_class()}
        cls.stack.clear_metrics()
        cls.addClassCleanup(cls.stop_processes)
        for worker in cls.workers:
            cls.start_worker(worker)
        if cls.beat:
            cls.stack.beat_start()
        if cls.web:
            cls.stack.web_start()
        for worker in cls.workers:
            cls.wait_for_worker(worker)

    @classmethod
    def settings_for_class(cls) -> dict[str, str]:
        return dict(cls.settings)

    @classmethod
    def stop_processes(cls) -> None:
        cls.stack.kill("web")
        cls.stack.kill("beat")
        for pid_file in sorted((cls.stack.root / "run").glob("worker-*.pid")):
            cls.stack.kill(pid_file.stem)
        with contextlib.suppress(Exception):
            cls.redis().flushall()

    # --- processes -----------------------------------------------------------------------------

    @classmethod
    def start_worker(cls, worker: Worker) -> None:
        log = cls.worker_log(worker)
        if log.exists():
            log.unlink()
        cls.stack.worker_start(worker)

    @classmethod
    def worker_log(cls, worker: Worker) -> Path:
        return cls.stack.root / "logs" / f"worker-{worker.name}.log"

    @classmethod
    def wait_for_worker(cls, worker: Worker, timeout: float = 90) -> None:
        """Until the worker's heartbeat is in Redis (it is connected and consuming)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(redis.RedisError):
                names = {n.decode() for n in cls.redis().hkeys("codecourses:workers")}
                if any(name.startswith(f"{worker.name}@") for name in names):
                    return
            if cls.stack.pid(f"worker-{worker.name}") is None:
                raise AssertionError(f"worker {worker.name} died:\n{cls.tail(worker)}")
            time.sleep(0.2)
        raise AssertionError(f"worker {worker.name} not ready in {timeout} s:\n{cls.tail(worker)}")

    @classmethod
    def tail(cls, worker: Worker, lines: int = 40) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(cls.worker_log(worker).read_text().splitlines()[-lines:])
        return ""

    @classmethod
    def redis(cls) -> redis.Redis:
        return redis.Redis(
            host="127.0.0.1", port=cls.stack.redis_port, socket_timeout=2, socket_connect_timeout=2
        )

    # --- HTTP, as the stack's users --------------------------------------------------------------

    @classmethod
    def http(cls, timeout: float = 30) -> httpx.Client:
        return httpx.Client(base_url=cls.stack.url, timeout=timeout)

    @classmethod
    def token(cls, username: str, password: str | None = None) -> dict[str, str]:
        with cls.http() as client:
            answer = client.post(
                "/api/v1/auth/token/",
                json={"username": username, "password": password or username},
            )
        answer.raise_for_status()
        return {"Authorization": f"Token {answer.json()['token']}"}

    @classmethod
    def make_problem(cls, *, time_limit_ms: int = 500, cases: int = 1) -> int:
        """A course of the demo instructor's with one function-style Python problem; its id."""
        auth = cls.token("instructor")
        slug = f"stack-{uuid.uuid4().hex[:10]}"
        with cls.http() as client:
            course = client.post(
                "/api/v1/staff/courses/",
                headers=auth,
                json={"title": slug, "slug": slug, "time_zone": "UTC"},
            )
            course.raise_for_status()
            chapter = client.post(
                f"/api/v1/staff/courses/{course.json()['id']}/chapters/",
                headers=auth,
                json={"title": "Resilience"},
            )
            chapter.raise_for_status()
            problem = client.post(
                f"/api/v1/staff/chapters/{chapter.json()['id']}/problems/",
                headers=auth,
                json={
                    "title": "Add",
                    "io_mode": "function",
                    "entry_point": "add",
                    "checker": "json",
                    "allowed_languages": ["python"],
                    "is_visible": True,
                    "time_limit_ms": time_limit_ms,
                    "test_cases": [
                        {"input": f"[{i}, 1]", "expected_output": str(i + 1)} for i in range(cases)
                    ],
                },
            )
            problem.raise_for_status()
        return problem.json()["id"]

    # --- SQL, for the counts ----------------------------------------------------------------------

    @classmethod
    def sql(cls, query: str, params: tuple = ()) -> list[tuple]:
        password = cls.stack.secret("db-password")
        with psycopg.connect(
            host="127.0.0.1",
            port=cls.stack.pg_port,
            user=DB_USER,
            password=password,
            dbname=DB_NAME,
            connect_timeout=5,
        ) as conn:
            return conn.execute(query, params).fetchall()

    @classmethod
    def statuses(cls, ids: list[int]) -> dict[int, str]:
        rows = cls.sql("SELECT id, status FROM courses_submission WHERE id = ANY(%s)", (ids,))
        return dict(rows)

    def wait_until_final(self, ids: list[int], timeout: float) -> dict[int, str]:
        deadline = time.monotonic() + timeout
        while True:
            statuses = self.statuses(ids)
            if all(status in FINAL for status in statuses.values()) or time.monotonic() > deadline:
                return statuses
            time.sleep(0.25)

    @classmethod
    def judged_lines(cls, worker: Worker) -> dict[int, list[str]]:
        """``submission id -> outcomes`` of every judging this worker ran to its end (the
        service's log line "submission N judged V in S s: saved|dropped")."""
        found: dict[int, list[str]] = {}
        with contextlib.suppress(OSError):
            for line in cls.worker_log(worker).read_text().splitlines():
                if " judged " not in line or "submission " not in line:
                    continue
                words = line.split("submission ", 1)[1].split()
                with contextlib.suppress(ValueError, IndexError):
                    found.setdefault(int(words[0]), []).append(line.rsplit(": ", 1)[1])
        return found

    @classmethod
    def metrics_text(cls) -> str:
        with cls.http() as client:
            answer = client.get(
                "/metrics",
                headers={"Authorization": f"Bearer {cls.stack.secret('metrics-token')}"},
            )
        answer.raise_for_status()
        return answer.text

    @staticmethod
    def metric(text: str, name: str, **labels: str) -> float:
        """The sum of the samples of ``name`` whose labels include ``labels``."""
        total = 0.0
        for line in text.splitlines():
            if not line.startswith(name + "{") and not line.startswith(name + " "):
                continue
            head, value = line.rsplit(" ", 1)
            if all(f'{k}="{v}"' in head for k, v in labels.items()):
                total += float(value)
        return total


def record(name: str, figures: dict) -> None:
    """Print the figures a test measured (docs/reliability.md quotes them), one JSON line."""
    print(f"\nSTACK-FIGURES {name} {json.dumps(figures, sort_keys=True)}", file=sys.stderr)
