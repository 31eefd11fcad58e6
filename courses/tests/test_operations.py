"""Operators and the scaled path without servers (issue 13): the health endpoint, the metrics
endpoint, the lanes a submission is sent to, a broker that refuses a message, the sweep that
sends a stale submission once per period, "Run code" sent to the workers, and the per-user cap
on runs in flight. The same behaviours on real processes: ``test_stack_resilience.py``.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import threading
from datetime import timedelta
from unittest import mock

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.test import TestCase, TransactionTestCase, override_settings
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from courses import metrics
from courses.cache import runs_in_flight_key
from courses.judging.errors import ExecutorBusy, SandboxUnavailable
from courses.judging.types import Outcome, RunResult, Verdict
from courses.models import Submission
from courses.services import remote_runs
from courses.services.code_executor import CodeExecutorService, free_run_slots
from courses.services.errors import TooManyRuns
from courses.services.remote_runs import in_flight_lifetime_s, run_in_flight
from courses.services.submissions import rejudge, submission_create
from courses.tasks import judge_submission, requeue_stale_submissions, run_code
from courses.tests import factories
from courses.tests.scripted_backend import ScriptedBackend

ADD = "def solve(a, b):\n    return a + b\n"
CLEAN = f"{__name__}.CleanBackend"


class CleanBackend(ScriptedBackend):
    default_script = RunResult(outcome=Outcome.OK, stdout=b"3\n")


class ClockedLocMemCache(LocMemCache):
    """Django's local-memory cache on a clock the test moves: lifetimes are the subject, and
    waiting them out for real would take minutes."""

    now = [1_000_000.0]

    def get_backend_timeout(self, timeout=DEFAULT_TIMEOUT):
        if timeout == DEFAULT_TIMEOUT:
            timeout = self.default_timeout
        elif timeout == 0:
            timeout = -1
        return None if timeout is None else self.now[0] + timeout

    def _has_expired(self, key):
        expires = self._expire_info.get(key, -1)
        return expires is not None and expires <= self.now[0]


def one_case_problem(**fields):
    problem = factories.ProblemFactory(**fields)
    factories.ProblemTestCaseFactory(problem=problem, order=0, input="[1, 2]", expected_output="3")
    return problem


class Sent:
    """Records ``judge_submission.apply_async`` calls instead of sending (or running) them."""

    def __init__(self, fail: Exception | None = None) -> None:
        self.calls: list[tuple[int, str]] = []
        self.fail = fail

    def __call__(self, args, queue=None, **kwargs):
        if self.fail is not None:
            raise self.fail
        self.calls.append((args[0], queue))

    @contextlib.contextmanager
    def patched(self):
        with mock.patch.object(judge_submission, "apply_async", self):
            yield self


# --- Health ------------------------------------------------------------------------------------


class HealthTestCase(TestCase):
    url = "/api/v1/health/"

    def test_the_embedded_node_is_ok_for_anyone_with_each_part_named(self):
        answer = self.client.get(self.url)
        self.assertEqual(answer.status_code, 200)
        body = answer.json()
        self.assertEqual((body["status"], body["failing"]), ("ok", []))
        self.assertEqual(set(body["checks"]), {"database", "cache", "broker", "workers", "sandbox"})
        self.assertEqual(body["checks"]["broker"]["mode"], "inline")
        self.assertEqual(body["checks"]["workers"]["mode"], "inline")
        self.assertEqual(answer["Cache-Control"], "no-store")

    @override_settings(
        CACHES={
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": "redis://127.0.0.1:1/0",
                "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
            }
        }
    )
    def test_a_failing_cache_is_degraded_not_unavailable(self):
        """Shared parts (cache, broker, workers) never take a node out of the load balancer:
        every node shares them, and reads still answer from the database."""
        answer = self.client.get(self.url)
        self.assertEqual(answer.status_code, 200)
        self.assertEqual(
            (answer.json()["status"], answer.json()["failing"]), ("degraded", ["cache"])
        )

    def test_a_failing_database_is_503_naming_it_and_nothing_secret(self):
        secret = "postgres://codecourses:hunter2@db.internal:5432/codecourses"

        def broken():
            raise OperationalError(f"could not connect to {secret}")

        with mock.patch("courses.services.operations._database", broken):
            answer = self.client.get(self.url)
        self.assertEqual(answer.status_code, 503)
        self.assertEqual(answer.json()["status"], "unavailable")
        self.assertEqual(answer.json()["failing"], ["database"])
        text = answer.content.decode()
        for leak in ("hunter2", "db.internal", "5432", settings.SECRET_KEY):
            self.assertNotIn(leak, text)


# --- Metrics -----------------------------------------------------------------------------------


class MetricsTestCase(TransactionTestCase):
    url = "/metrics"

    def get(self, token: str | None = None):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        return self.client.get(self.url, **headers)

    def test_off_without_a_token_and_refused_with_a_wrong_one(self):
        self.assertEqual(self.get("anything").status_code, 404)
        with override_settings(COURSES_METRICS_TOKEN="right"):
            self.assertEqual(self.get().status_code, 403)
            self.assertEqual(self.get("wrong").status_code, 403)

    @override_settings(COURSES_METRICS_TOKEN="right", COURSES_JUDGE_BACKEND=CLEAN)
    def test_verdicts_judging_time_queue_wait_and_waiting_submissions(self):
        before = metrics.VERDICTS.labels("accepted")._value.get()
        problem = one_case_problem()
        user = factories.UserFactory()
        submission_create(user=user, problem=problem, language="python", code=ADD)
        factories.SubmissionFactory(user=user, problem=problem)  # pending, never sent
        answer = self.get("right")
        self.assertEqual(answer.status_code, 200)
        self.assertTrue(answer["Content-Type"].startswith("text/plain"))
        text = answer.content.decode()
        self.assertEqual(metrics.VERDICTS.labels("accepted")._value.get(), before + 1)
        for name in (
            "codecourses_verdicts_total",
            "codecourses_judging_seconds_bucket",
            "codecourses_judge_queue_wait_seconds_bucket",
            "codecourses_judging_failures_total",
            "codecourses_code_runs_total",
        ):
            self.assertIn(name, text)
        self.assertIn('codecourses_submissions_waiting{lane="live",status="pending"} 1.0', text)
        self.assertIn('codecourses_oldest_pending_wait_seconds{lane="live"}', text)


class SandboxDown(ScriptedBackend):
    default_script = SandboxUnavailable("bubblewrap cannot create its sandbox")


class JudgingFailuresTestCase(TransactionTestCase):
    @override_settings(COURSES_JUDGE_BACKEND=f"{__name__}.SandboxDown")
    def test_a_sandbox_failure_is_counted_by_kind_and_class(self):
        failures = metrics.JUDGING_FAILURES.labels("scripted", "outage", "SandboxUnavailable")
        before = failures._value.get()
        problem = one_case_problem()
        submission = submission_create(
            user=factories.UserFactory(), problem=problem, language="python", code=ADD
        )
        submission.refresh_from_db()
        self.assertEqual(submission.status, Verdict.PENDING, "waits for the sandbox (issue 12)")
        self.assertEqual(failures._value.get(), before + 1)


# --- Lanes, enqueue failures, the sweep ----------------------------------------------------


@override_settings(COURSES_JUDGE_BACKEND=CLEAN)
class LanesTestCase(TransactionTestCase):
    def setUp(self) -> None:
        self.user = factories.UserFactory()
        self.problem = one_case_problem()

    def create(self) -> Submission:
        return submission_create(user=self.user, problem=self.problem, language="python", code=ADD)

    def test_new_work_and_single_rejudges_go_live_and_bigger_rejudges_go_bulk(self):
        with Sent().patched() as sent:
            first, second = self.create(), self.create()
            rejudge(submission=first)
            rejudge(problem=self.problem)
            rejudge(submission_ids=[second.pk])
        live, bulk = settings.COURSES_QUEUES["live"], settings.COURSES_QUEUES["bulk"]
        self.assertEqual(
            sent.calls,
            [
                (first.pk, live),
                (second.pk, live),
                (first.pk, live),
                (first.pk, bulk),
                (second.pk, bulk),
                (second.pk, bulk),
            ],
        )
        self.assertEqual(Submission.objects.get(pk=first.pk).lane, "bulk")

    def test_a_broker_that_refuses_leaves_the_submission_pending_and_due(self):
        """The request that submits never fails for the broker: the row is committed, marked
        due, and the sweep sends it (to its lane) once the broker takes messages again."""
        with Sent(fail=OperationalError("Error 111 connecting to 127.0.0.1:6379")).patched():
            submission = self.create()
        submission.refresh_from_db()
        self.assertEqual(submission.status, Verdict.PENDING)
        self.assertIsNone(submission.sent_at)
        self.assertLessEqual(submission.retry_at, timezone.now())
        self.assertIn("queue was unreachable", submission.retry_reason)
        with Sent().patched() as sent:
            self.assertEqual(requeue_stale_submissions.apply().get(), 1)
        self.assertEqual(sent.calls, [(submission.pk, settings.COURSES_QUEUES["live"])])

    @override_settings(COURSES_PENDING_REQUEUE_SECONDS=60)
    def test_the_sweep_sends_a_stale_submission_once_per_period_not_at_every_run(self):
        """A backlog longer than the sweep's interval is not multiplied by it: before, every
        run sent every submission pending for 2 minutes again (a rush of 10,000 made 10,000
        more messages every 15 s)."""
        with Sent().patched():
            submission = self.create()
        old = timezone.now() - timedelta(seconds=120)
        Submission.objects.filter(pk=submission.pk).update(created_at=old, sent_at=old)
        with Sent().patched() as sent:
            self.assertEqual(requeue_stale_submissions.apply().get(), 1)
            self.assertEqual(requeue_stale_submissions.apply().get(), 0)
            self.assertEqual(requeue_stale_submissions.apply().get(), 0)
        self.assertEqual(len(sent.calls), 1)
        Submission.objects.filter(pk=submission.pk).update(sent_at=old)
        with Sent().patched() as sent:
            self.assertEqual(requeue_stale_submissions.apply().get(), 1, "a period later")

    def test_an_expired_lease_is_sent_again_once(self):
        with Sent().patched():
            submission = self.create()
        now = timezone.now()
        Submission.objects.filter(pk=submission.pk).update(  # sent, claimed, then the worker died
            status=Verdict.JUDGING,
            sent_at=now - timedelta(seconds=10),
            lease_expires_at=now - timedelta(seconds=1),
        )
        with Sent().patched() as sent:
            self.assertEqual(requeue_stale_submissions.apply().get(), 1)
            self.assertEqual(requeue_stale_submissions.apply().get(), 0)
        self.assertEqual(len(sent.calls), 1)

    def test_the_api_answers_202_while_the_broker_is_down(self):
        factories.EnrollmentFactory(user=self.user, course=self.problem.chapter.course)
        self.problem.is_visible = True
        self.problem.save()
        self.client.force_login(self.user)
        with Sent(fail=OperationalError("connection refused")).patched():
            answer = self.client.post(
                reverse("api:submission-create", args=[self.problem.pk]),
                {"language": "python", "code": ADD},
                content_type="application/json",
            )
        self.assertEqual(answer.status_code, 202, answer.content)
        self.assertEqual(answer.json()["status"], "pending")


# --- "Run code" on the workers, runs in flight -----------------------------------------------


@override_settings(COURSES_JUDGE_BACKEND=CLEAN, COURSES_RUN_CODE_ON_WORKERS=True)
class RunOnWorkersTestCase(TestCase):
    """Tests run Celery eagerly: ``run_code`` runs in this process, through its JSON answer."""

    def test_the_web_side_never_builds_a_backend_and_gets_the_workers_answer(self):
        service = CodeExecutorService()
        self.assertTrue(service.on_workers)
        result = service.run_freely("print(3)", stdin="")
        self.assertEqual((result["status"], result["stdout"]), ("accepted", "3\n"))
        self.assertIsNone(service._backend, "no sandbox (root) needed on a web host")

    def test_a_failure_on_the_worker_is_raised_as_the_same_error(self):
        with free_run_slots().acquire(), free_run_slots().acquire():
            slots = [free_run_slots().acquire() for _ in range(settings.COURSES_FREE_RUN_SLOTS - 2)]
            with contextlib.ExitStack() as held:
                for slot in slots:
                    held.enter_context(slot)
                with self.assertRaises(ExecutorBusy):
                    CodeExecutorService().run_freely("print(3)")

    @override_settings(COURSES_RUN_QUEUE_WAIT_SECONDS=0.3)
    def test_a_run_no_worker_takes_is_busy_after_the_queue_wait_and_revoked(self):
        never_taken = mock.Mock(state="PENDING")
        with (
            mock.patch.object(run_code, "apply_async", return_value=never_taken) as send,
            self.assertRaisesMessage(ExecutorBusy, "no runner took the run within 0.3 s"),
        ):
            CodeExecutorService().run_freely("print(3)")
        self.assertEqual(send.call_args.kwargs["expires"], 0.3, "a late worker drops it")
        self.assertEqual(send.call_args.kwargs["queue"], settings.COURSES_QUEUES["run"])
        never_taken.revoke.assert_called_once()

    def test_an_unreachable_broker_is_judge_unavailable_with_retry_after(self):
        user = factories.UserFactory()
        self.client.force_login(user)
        with mock.patch.object(run_code, "apply_async", side_effect=OperationalError("refused")):
            answer = self.client.post(
                reverse("api:code-run"), {"code": "print(1)"}, content_type="application/json"
            )
        self.assertEqual(answer.status_code, 503)
        self.assertEqual(answer.json()["error"]["code"], "judge_unavailable")
        self.assertEqual(answer["Retry-After"], "5")


@override_settings(COURSES_JUDGE_BACKEND=CLEAN, COURSES_MAX_RUNS_IN_FLIGHT=2)
class RunsInFlightTestCase(TestCase):
    def setUp(self) -> None:
        cache.clear()

    def test_a_users_runs_beyond_the_cap_are_refused_and_places_come_back(self):
        with run_in_flight(7), run_in_flight(7):
            with self.assertRaises(TooManyRuns), run_in_flight(7):
                pass
            with run_in_flight(8):  # another user's places are their own
                pass
        with run_in_flight(7), run_in_flight(7):
            pass

    def test_the_cap_holds_across_threads(self):
        """Counted in the shared cache (Redis when scaled): every web process sees it."""
        entered, release = threading.Barrier(3), threading.Event()

        def hold():
            with run_in_flight(9):
                entered.wait(5)
                release.wait(5)

        threads = [threading.Thread(target=hold) for _ in range(2)]
        for thread in threads:
            thread.start()
        entered.wait(5)
        try:
            with self.assertRaises(TooManyRuns), run_in_flight(9):
                pass
        finally:
            release.set()
            for thread in threads:
                thread.join(5)

    @override_settings(COURSES_MAX_RUNS_IN_FLIGHT=1)
    def test_the_api_answers_429_too_many_runs(self):
        user = factories.UserFactory()
        self.client.force_login(user)
        with run_in_flight(user.pk):
            answer = self.client.post(
                reverse("api:code-run"), {"code": "print(1)"}, content_type="application/json"
            )
        self.assertEqual(answer.status_code, 429)
        self.assertEqual(answer.json()["error"]["code"], "too_many_runs")
        self.assertEqual(answer["Retry-After"], "2")
        answer = self.client.post(
            reverse("api:code-run"), {"code": "print(1)"}, content_type="application/json"
        )
        self.assertEqual(answer.status_code, 200, answer.content)

    @override_settings(
        CACHES={"default": {"BACKEND": f"{__name__}.ClockedLocMemCache", "LOCATION": "clocked"}}
    )
    def test_back_to_back_runs_keep_their_count_past_the_first_runs_lifetime(self):
        """A user's runs one after another, each 30 s (free runs timing out on a stuck Judge0):
        the count's lifetime ran from the first one's start, so it expired under a later run,
        whose release logged "not released: ValueError(Key ... not found)" and whose place the
        cap no longer counted. Each run's start now renews it."""
        clock = ClockedLocMemCache.now
        key = runs_in_flight_key(7)
        runs = in_flight_lifetime_s() // 30 + 2
        with self.assertNoLogs("courses.services.remote_runs", "WARNING"):
            for _ in range(runs):
                with run_in_flight(7):
                    self.assertEqual(cache.get(key), 1)
                    clock[0] += 30
        self.assertEqual(cache.get(key), 0)
        clock[0] += in_flight_lifetime_s() + 1  # and it still expires once the user stops
        self.assertIsNone(cache.get(key))

    def test_a_failing_cache_lets_runs_through(self):
        with mock.patch.object(remote_runs, "cache") as broken:
            broken.add.side_effect = ConnectionError("refused")
            with run_in_flight(5), run_in_flight(5), run_in_flight(5):
                pass


class WorkerHostMetricsTestCase(TestCase):
    def test_serve_metrics_adds_up_what_every_process_of_the_host_counted(self):
        """prometheus-client's multiprocess mode: two processes count, a third sums them."""
        with tempfile.TemporaryDirectory() as directory:
            env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": directory}
            count = (
                "import django; django.setup(); from courses import metrics; "
                "metrics.VERDICTS.labels('accepted').inc()"
            )
            for _ in range(2):
                subprocess.run([sys.executable, "-c", count], env=env, check=True, timeout=60)
            printed = subprocess.run(
                [sys.executable, "manage.py", "serve_metrics", "--once"],
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
                check=True,
            ).stdout
        self.assertIn('codecourses_verdicts_total{verdict="accepted"} 2.0', printed)


def database_url_of_this_test() -> str:
    """A ``DATABASE_URL`` naming the database this test runs on (SQLite file or PostgreSQL)."""
    from urllib.parse import quote

    from django.db import connection

    given = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{given['NAME']}"
    user, password = quote(given["USER"] or "", safe=""), quote(given["PASSWORD"] or "", safe="")
    where = f"{given['HOST'] or 'localhost'}:{given['PORT'] or 5432}"
    return f"postgres://{user}:{password}@{where}/{given['NAME']}"


class RunPeriodicProcessTestCase(TransactionTestCase):
    """``manage.py run_periodic`` as ``make run`` starts it: a fresh process, which has imported
    nothing of the tasks (a test process has, which hid that no job could run)."""

    def test_a_fresh_run_periodic_finishes_an_expired_exam_attempt(self):
        attempt = factories.ExamAttemptFactory(
            started_at=timezone.now() - timedelta(hours=2),
            deadline=timezone.now() - timedelta(hours=1),
        )
        env = {**os.environ, "DATABASE_URL": database_url_of_this_test()}
        ran = subprocess.run(
            [sys.executable, "manage.py", "run_periodic", "--duration", "1"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        self.assertEqual(ran.returncode, 0, ran.stderr)
        self.assertNotIn("failed", ran.stderr)
        attempt.refresh_from_db()
        self.assertIsNotNone(attempt.finished_at, ran.stderr)
