"""The scaled deployment under faults, with real processes (issue 13): gunicorn, Celery workers
and beat on a real Redis and a real PostgreSQL (``courses.tests.stack_support``).

- a worker SIGKILLed while judging: its lease expires, the periodic sweep sends the submission
  again and another worker judges it, exactly once (counted from the workers' logs);
- Redis stopped mid-run: submitting still answers (202 ``pending``), reads answer from the
  database, logging in works (sessions are in the database), "Run code" answers 503 with
  ``Retry-After``; once Redis is back the sweep sends what waited, and everything is judged;
- PostgreSQL restarted: the next request of every web process and the next task succeed
  (kept connections are health-checked, ``CONN_HEALTH_CHECKS``);
- lanes: a new submission is judged while a rejudge of a problem fills the ``bulk`` lane;
  "Run code" goes to the workers, and answers 503 ``busy`` when no worker takes it in time.

The Judge0 outage on the stack is in ``test_stack_judge0.py``. Each test prints its counts
(``STACK-FIGURES``), which ``docs/reliability.md`` records.
"""

from __future__ import annotations

import signal
import time
import uuid

from courses.tests.stack_support import (
    ADD,
    SLOW_ADD,
    ModuleStack,
    StackTestCase,
    record,
)
from scripts.stack import Worker

MODULE_STACK = ModuleStack()


def setUpModule() -> None:
    StackTestCase.module_stack = MODULE_STACK


def tearDownModule() -> None:
    MODULE_STACK.stop()


def nonce() -> str:
    return uuid.uuid4().hex


class WorkerKilledWhileJudgingTestCase(StackTestCase):
    """Two workers of the live lane; the first is SIGKILLed (its whole process group, as when
    its host dies) while it judges. Each submission must end judged, by exactly one judging."""

    first = Worker("first", ["live"], 1)
    second = Worker("second", ["live"], 1)
    workers = (first,)

    def test_a_killed_workers_submission_is_judged_once_by_another_after_its_lease(self):
        problem = self.make_problem(time_limit_ms=1000)  # wall 3 s; lease 20 s + 3 s
        auth = self.token("instructor")
        count = 6
        ids = []
        with self.http() as client:
            for _ in range(count):
                answer = client.post(
                    f"/api/v1/problems/{problem}/submissions/",
                    headers=auth,
                    json={"language": "python", "code": SLOW_ADD.format(sleep=1.5, nonce=nonce())},
                )
                self.assertEqual(answer.status_code, 202, answer.text)
                ids.append(answer.json()["id"])
        # Wait until the first worker judges one, then kill it mid-run.
        deadline = time.monotonic() + 60
        while "judging" not in self.statuses(ids).values():
            self.assertLess(time.monotonic(), deadline, "the first worker never started judging")
            time.sleep(0.05)
        killed_at = time.monotonic()
        victim = [pk for pk, status in self.statuses(ids).items() if status == "judging"]
        self.stack.worker_stop(self.first, signal.SIGKILL)
        self.start_worker(self.second)
        self.wait_for_worker(self.second)

        statuses = self.wait_until_final(ids, timeout=120)
        recovered_after = time.monotonic() - killed_at
        runs = {pk: [] for pk in ids}
        for worker in (self.first, self.second):
            for pk, outcomes in self.judged_lines(worker).items():
                runs.setdefault(pk, []).extend(outcomes)
        judged = sum(1 for pk in ids if statuses[pk] == "accepted")
        lost = sum(1 for pk in ids if statuses[pk] != "accepted")
        twice = sum(1 for pk in ids if len(runs[pk]) > 1)
        record(
            "worker-kill",
            {
                "submissions": count,
                "judged": judged,
                "lost": lost,
                "judged_twice": twice,
                "killed_while_judging": victim,
                "killed_one_judged_after_s": round(recovered_after, 1),
            },
        )
        self.assertEqual(len(victim), 1)
        self.assertEqual((judged, lost, twice), (count, 0, 0), (statuses, runs))
        self.assertEqual(runs[victim[0]], ["saved"], "judged once, by the second worker")
        self.assertNotIn(victim[0], self.judged_lines(self.first), "the killed run never ended")
        # Its lease (20 s of compile allowance + 3 s for its case) had to expire first.
        self.assertGreater(recovered_after, 15)
        # The verdicts are counted by the processes that judged them (multiprocess metrics).
        text = self.metrics_text()
        self.assertEqual(self.metric(text, "codecourses_verdicts_total", verdict="accepted"), count)


class RedisOutageTestCase(StackTestCase):
    """Redis (cache, broker and result store) stopped while students work, then started again
    empty: nothing may fail that the database alone can answer, and nothing may be lost."""

    workers = (Worker("all", ["live", "run", "bulk"], 1),)

    def test_submitting_and_reading_answer_while_redis_is_down_and_nothing_is_lost(self):
        problem = self.make_problem()
        auth = self.token("instructor")
        failures: list[str] = []
        with self.http(timeout=15) as client:

            def expect(answer, status: int, what: str):
                if answer.status_code != status:
                    failures.append(f"{what}: {answer.status_code} {answer.text[:200]}")
                return answer

            def submit() -> int | None:
                answer = client.post(
                    f"/api/v1/problems/{problem}/submissions/",
                    headers=auth,
                    json={"language": "python", "code": ADD.format(nonce=nonce())},
                )
                expect(answer, 202, "submit")
                return answer.json().get("id") if answer.status_code == 202 else None

            before = submit()
            self.assertEqual(self.wait_until_final([before], 60), {before: "accepted"})

            self.stack.redis_stop()
            self.addCleanup(self.restart_redis)
            down_at = time.monotonic()
            ids, slowest = [], 0.0
            for _ in range(5):
                started = time.monotonic()
                ids.append(submit())
                slowest = max(slowest, time.monotonic() - started)
            for pk in ids:
                body = expect(client.get(f"/api/v1/submissions/{pk}/", headers=auth), 200, "read")
                self.assertEqual(body.json().get("status"), "pending")
            expect(client.get(f"/api/v1/problems/{problem}/", headers=auth), 200, "problem")
            expect(client.get("/api/v1/me/courses/", headers=auth), 200, "my courses")
            expect(client.get("/api/v1/submissions/", headers=auth), 200, "my submissions")
            # A browser logs in: the session is written to the database, not the cache.
            csrf = client.get("/api/v1/auth/csrf/").json()["csrf_token"]
            expect(
                client.post(
                    "/api/v1/auth/session/",
                    json={"username": "student", "password": "student"},
                    headers={"X-CSRFToken": csrf, "Referer": self.stack.url},
                ),
                200,
                "session login",
            )
            expect(client.get("/api/v1/auth/me/"), 200, "me (session)")
            client.cookies.clear()
            run = client.post("/api/v1/run/", headers=auth, json={"code": "print(1)"})
            self.assertEqual(run.status_code, 503, run.text)
            self.assertEqual(run.json()["error"]["code"], "judge_unavailable")
            self.assertIn("Retry-After", run.headers)
            health = client.get("/api/v1/health/")
            self.assertEqual(health.status_code, 200, "the node still serves")
            self.assertEqual(health.json()["status"], "degraded")
            self.assertIn("broker", health.json()["failing"])
            # Students keep reading for a while: every read answers from the database.
            reads = 0
            while time.monotonic() - down_at < 10:
                expect(client.get(f"/api/v1/submissions/{ids[0]}/", headers=auth), 200, "poll")
                expect(client.get("/api/v1/submissions/", headers=auth), 200, "list")
                reads += 2
                time.sleep(0.2)
            self.assertEqual(set(self.statuses(ids).values()), {"pending"})
            down_for = time.monotonic() - down_at

            self.restart_redis()
            back_at = time.monotonic()
            statuses = self.wait_until_final(ids, timeout=90)
            judged_after = time.monotonic() - back_at
            health = client.get("/api/v1/health/")

        lost = sum(1 for status in statuses.values() if status != "accepted")
        record(
            "redis-down",
            {
                "requests_failed": len(failures),
                "requests_while_down": len(ids) * 2 + 6 + reads,
                "submissions_while_down": len(ids),
                "submissions_lost": lost,
                "slowest_submit_while_down_s": round(slowest, 2),
                "redis_down_for_s": round(down_for, 1),
                "all_judged_after_redis_back_s": round(judged_after, 1),
            },
        )
        self.assertEqual(failures, [])
        self.assertEqual(lost, 0, statuses)
        self.assertLess(slowest, 5, "a submission answers within the broker's short timeouts")
        self.assertEqual(health.json()["status"], "ok", health.json())

    def restart_redis(self) -> None:
        if self.stack.pid("redis") is None:
            self.stack.redis_start()


class PostgresRestartTestCase(StackTestCase):
    """PostgreSQL restarted under kept connections (DATABASE_CONN_MAX_AGE=60): the next request
    of every web process and the next task succeed."""

    workers = (Worker("all", ["live", "run", "bulk"], 1),)

    def test_the_next_requests_and_task_after_a_restart_succeed(self):
        problem = self.make_problem()
        auth = self.token("instructor")
        with self.http() as client:

            def submit_and_wait() -> str:
                answer = client.post(
                    f"/api/v1/problems/{problem}/submissions/",
                    headers=auth,
                    json={"language": "python", "code": ADD.format(nonce=nonce())},
                )
                self.assertEqual(answer.status_code, 202, answer.text)
                pk = answer.json()["id"]
                return self.wait_until_final([pk], 60)[pk]

            self.assertEqual(submit_and_wait(), "accepted")  # the worker holds a connection
            # Every gunicorn worker (2 processes, 4 threads each) opens its connections.
            for _ in range(24):
                self.assertEqual(client.get("/api/v1/me/courses/", headers=auth).status_code, 200)

            self.stack.postgres_restart()

            statuses = [
                client.get("/api/v1/me/courses/", headers=auth).status_code for _ in range(24)
            ]
            verdict = submit_and_wait()
        failed = sum(1 for status in statuses if status != 200)
        record("postgres-restart", {"requests_after": len(statuses), "requests_failed": failed})
        self.assertEqual(failed, 0, statuses)
        self.assertEqual(verdict, "accepted", "the worker's next task succeeded")

    def test_a_restart_during_judging_keeps_the_verdict(self):
        # An outside probe: PostgreSQL restarted while a submission ran, its save met the
        # broken connection, and a correct submission ended internal_error for good.
        problem = self.make_problem(time_limit_ms=2000)  # wall 5 s
        auth = self.token("instructor")
        with self.http() as client:
            answer = client.post(
                f"/api/v1/problems/{problem}/submissions/",
                headers=auth,
                json={"language": "python", "code": SLOW_ADD.format(sleep=3, nonce=nonce())},
            )
            self.assertEqual(answer.status_code, 202, answer.text)
        pk = answer.json()["id"]
        deadline = time.monotonic() + 60
        while self.statuses([pk])[pk] != "judging":
            self.assertLess(time.monotonic(), deadline, "the worker never started judging")
            time.sleep(0.05)
        time.sleep(1)  # the claim's own reads are done: the program runs in its sandbox
        self.assertTrue(self.stack.postgres_running())  # `make stack` again starts no second
        self.stack.postgres_restart()  # down and up again while the program sleeps
        # Saved by the same judging (no lease expiry, no second run): well within 60 s.
        final = self.wait_until_final([pk], 60)[pk]
        log = self.worker_log(self.workers[0]).read_text()
        self.assertEqual(final, "accepted", log[-6000:])
        self.assertEqual(self.judged_lines(self.workers[0])[pk], ["saved"])


class LanesTestCase(StackTestCase):
    """One worker per lane: a rejudge of a problem's many submissions waits in ``bulk`` while a
    new submission is judged at once in ``live``; "Run code" goes to the ``run`` worker."""

    live = Worker("live", ["live"], 1)
    runner = Worker("run", ["run"], 1)  # not `run`: that is unittest's
    bulk = Worker("bulk", ["bulk"], 1)
    workers = (live, runner, bulk)

    def test_live_work_does_not_wait_behind_a_rejudge(self):
        problem = self.make_problem(time_limit_ms=1000)
        auth = self.token("instructor")
        with self.http() as client:
            ids = []
            for _ in range(8):
                answer = client.post(
                    f"/api/v1/problems/{problem}/submissions/",
                    headers=auth,
                    json={"language": "python", "code": SLOW_ADD.format(sleep=0.5, nonce=nonce())},
                )
                ids.append(answer.json()["id"])
            self.wait_until_final(ids, timeout=120)
            rejudged = client.post(f"/api/v1/staff/problems/{problem}/rejudge/", headers=auth)
            self.assertEqual(rejudged.status_code, 202, rejudged.text)
            self.assertEqual(rejudged.json()["count"], len(ids))
            time.sleep(0.5)
            self.assertGreater(self.redis().llen("bulk"), 0, "the rejudge waits in bulk")
            started = time.monotonic()
            answer = client.post(
                f"/api/v1/problems/{problem}/submissions/",
                headers=auth,
                json={"language": "python", "code": ADD.format(nonce=nonce())},
            )
            new = answer.json()["id"]
            self.assertEqual(self.wait_until_final([new], 60), {new: "accepted"})
            live_latency = time.monotonic() - started
            still_rejudging = sum(
                1 for status in self.statuses(ids).values() if status not in ("accepted",)
            )
            lanes = dict(
                self.sql(
                    "SELECT id, lane FROM courses_submission WHERE id = ANY(%s)", ([*ids, new],)
                )
            )
        record(
            "lanes",
            {
                "rejudged": len(ids),
                "still_rejudging_when_live_judged": still_rejudging,
                "live_submit_to_verdict_s": round(live_latency, 2),
            },
        )
        self.assertGreater(still_rejudging, 0, "the live submission did not wait for the rejudge")
        self.assertEqual({lanes[pk] for pk in ids}, {"bulk"})
        self.assertEqual(lanes[new], "live")

    def test_run_code_is_answered_by_a_worker_and_503_busy_when_none_takes_it(self):
        auth = self.token("student")
        with self.http() as client:
            answer = client.post("/api/v1/run/", headers=auth, json={"code": "print(6 * 7)"})
            self.assertEqual(answer.status_code, 200, answer.text)
            self.assertEqual(answer.json()["stdout"], "42\n")
            self.stack.worker_stop(self.runner)
            try:
                started = time.monotonic()
                busy = client.post("/api/v1/run/", headers=auth, json={"code": "print(1)"})
                waited = time.monotonic() - started
            finally:
                self.start_worker(self.runner)
                self.wait_for_worker(self.runner)
        self.assertEqual(busy.status_code, 503, busy.text)
        self.assertEqual(busy.json()["error"]["code"], "busy")
        self.assertIn("Retry-After", busy.headers)
        self.assertLess(waited, 3 + 5, "answered after the queue wait (3 s), not a run's budget")
        # The expired message is not run once a worker is back.
        time.sleep(1)
        text = self.metrics_text()
        self.assertEqual(
            self.metric(text, "codecourses_code_runs_total", where="worker", outcome="ok"), 1
        )
        self.assertEqual(
            self.metric(text, "codecourses_code_runs_total", where="worker", outcome="busy"), 1
        )


class StaticFilesTestCase(StackTestCase):
    """gunicorn serves the collected, hashed static files (whitenoise) and the site's pages."""

    workers = ()
    beat = False

    def test_gunicorn_serves_the_pages_and_their_hashed_static_files(self):
        with self.http() as client:
            page = client.get("/accounts/login/")
            self.assertEqual(page.status_code, 200)
            css = next(
                line.split('href="')[1].split('"')[0]
                for line in page.text.splitlines()
                if "app." in line and "stylesheet" in line
            )
            self.assertRegex(css, r"^/static/web/app\.[0-9a-f]{12}\.css$")
            asset = client.get(css, headers={"Accept-Encoding": "gzip"})
        self.assertEqual(asset.status_code, 200)
        self.assertIn("max-age=", asset.headers["Cache-Control"])
        self.assertEqual(asset.headers.get("Content-Encoding"), "gzip")
