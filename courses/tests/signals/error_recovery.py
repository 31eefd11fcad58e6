"""Test plan Task 8.1: error recovery across judging, the database, the cache and the signals.

Real components only: Judge0 is ``courses.tests.fakes.judge0.FakeJudge0``, a real HTTP server on
127.0.0.1 that really runs the programs and is stopped and restarted on the same port; the cache
is the configured one (local memory, or Redis under ``REDIS_URL``) in a fresh key prefix per test,
and a cache that is down is a Redis on a closed port; database failures are refused by the
database itself (a ``CHECK ... NOT VALID`` constraint on PostgreSQL, a trigger on SQLite, or a
foreign key that only fails at commit). Nothing in the code under test is patched.

A ``TransactionTestCase``: rollbacks, ``on_commit`` invalidation and failures at commit time
need real transactions. Retries, timeouts and the breaker's cool-down are small so that the class
stays fast; the breaker lives in the cache, so each test starts with a closed one.

Re-exported by ``courses/tests/test_signals.py``, so that
``manage.py test courses.tests.test_signals.ErrorRecoveryTestCase`` runs it.
"""

from __future__ import annotations

import time
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.db import DatabaseError, IntegrityError, connection
from django.test import TransactionTestCase, override_settings

from courses import cache
from courses.judging.backends.judge0 import (
    CircuitBreaker,
    CircuitOpen,
    Judge0Backend,
    RetryPolicy,
    Timeouts,
    clear_language_cache,
)
from courses.judging.errors import BackendUnavailable
from courses.judging.types import Verdict
from courses.judging.verdicts import api_status_for
from courses.models import (
    DiscussionReply,
    DiscussionThread,
    Enrollment,
    ExamProblem,
    Problem,
    ProblemProgress,
    Submission,
    SubmissionTestResult,
)
from courses.selectors import (
    ProgressEntry,
    ProgressSummary,
    RosterEntry,
    course_progress_summary,
    course_roster,
    progress_get,
    user_course_ids,
)
from courses.services.code_executor import CodeExecutorService
from courses.services.discussions import reply_create
from courses.services.enrollments import enrollment_create, enrollments_import
from courses.services.errors import InvalidInput
from courses.services.exams import ExamProblemItem, exam_problems_set
from courses.services.submissions import rejudge, submission_create
from courses.tasks import judge_submission, requeue_stale_submissions
from courses.tests import factories
from courses.tests.fakes.judge0 import FakeJudge0, Fault
from courses.tests.signals.support import UNREACHABLE_REDIS, CacheCalls, FreshCacheMixin

ADD = "def solve(a, b):\n    return a + b\n"
#: Right on the first case only: a wrong answer worth half the points.
HALF = "def solve(a, b):\n    return a + b if a == 0 else 0\n"
RETRY = RetryPolicy(attempts=3, budget_s=2.0, initial_s=0.05, max_s=0.2, jitter_s=0.05)
TIMEOUTS = Timeouts(connect_s=1.0, request_s=3.0)
#: The breaker counts failed judging calls, not the requests and retries inside one.
FAILURE_THRESHOLD = 4
#: Long enough that "still open" is still open on a loaded host, short enough to wait for.
COOLDOWN_S = 2.0
BATCH_POST = "POST /submissions/batch"
SOLVED = ProblemProgress.Status.SOLVED
ATTEMPTED = ProblemProgress.Status.ATTEMPTED


def breaker(url: str) -> CircuitBreaker:
    return CircuitBreaker(url, failure_threshold=FAILURE_THRESHOLD, cooldown_s=COOLDOWN_S)


class QuickJudge0Backend(Judge0Backend):
    """Judge0 built from settings, as the Celery task builds it, with the test's short limits."""

    @classmethod
    def from_settings(cls) -> QuickJudge0Backend:
        from django.conf import settings

        url = settings.JUDGE0_URL
        return cls(url, retry=RETRY, timeouts=TIMEOUTS, circuit=breaker(url), max_wait_s=20.0)


QUICK_BACKEND = f"{__name__}.QuickJudge0Backend"


class ErrorRecoveryTestCase(FreshCacheMixin, TransactionTestCase):
    """Every step of Task 8.1 (docs/test-plan.md maps steps to methods)."""

    fake: FakeJudge0

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fake = FakeJudge0().start()

    @classmethod
    def tearDownClass(cls):
        cls.fake.close()
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        clear_language_cache()
        self.fake.reset_script()
        self.fake.start()  # a test that stopped it may have failed before restarting it
        # The Celery task (inline), a rejudge and ``CodeExecutorService()`` judge on the fake too.
        # Free-run slots are host-wide lock files: room beyond the few that other test runs on
        # this host may hold, since the host's bound is not what this class is about.
        queue = override_settings(
            COURSES_JUDGE_BACKEND=QUICK_BACKEND,
            JUDGE0_URL=self.fake.url,
            COURSES_FREE_RUN_SLOTS=64,
        )
        queue.enable()
        self.addCleanup(queue.disable)
        self.circuit = breaker(self.fake.url)
        self.backend = Judge0Backend(
            self.fake.url, retry=RETRY, timeouts=TIMEOUTS, circuit=self.circuit, max_wait_s=20.0
        )
        self.addCleanup(self.backend.close)
        self.service = CodeExecutorService(backend=self.backend)
        self.user = factories.UserFactory()
        self.course = factories.CourseFactory()
        self.problem = factories.ProblemFactory(chapter__course=self.course, points=100)
        factories.ProblemTestCaseFactory(
            problem=self.problem, order=0, input="[0, 1]", expected_output="1", is_sample=True
        )
        factories.ProblemTestCaseFactory(
            problem=self.problem, order=1, input="[2, 3]", expected_output="5"
        )

    # --- helpers -----------------------------------------------------------------------------

    def judge(self, code: str = ADD) -> Submission:
        return self.service.run_all_test_cases(self.user, self.problem, code)

    def pending(self, code: str = ADD) -> Submission:
        """A committed submission that nothing has enqueued (as after a lost enqueue)."""
        return submission_create(
            user=self.user, problem=self.problem, language="python", code=code, enqueue=False
        )

    def progress(self) -> ProblemProgress | None:
        return ProblemProgress.objects.filter(user=self.user, problem=self.problem).first()

    def raw(self, key: str):
        return caches["default"].get(key)

    def wait_for_cooldown(self, circuit: CircuitBreaker) -> None:
        until = circuit.opened_until()
        self.assertIsNotNone(until, "the circuit should be open")
        time.sleep(max(0.0, until - time.time()) + 0.05)
        self.assertEqual(circuit.state, "half_open")

    def assert_no_results(self, submission: Submission) -> None:
        self.assertEqual(submission.score, 0)
        self.assertFalse(SubmissionTestResult.objects.filter(submission=submission).exists())

    def assert_untouched(self, submission: Submission, status: Verdict) -> None:
        """Nothing of a judging that did not count: no verdict, score, timings or results."""
        submission.refresh_from_db()
        self.assertEqual(submission.status, status)
        self.assertEqual(submission.score, 0)
        self.assertIsNone(submission.judged_at)
        self.assertIsNone(submission.max_cpu_time_ms)
        self.assertIsNone(submission.peak_memory_kb)
        self.assertEqual((submission.error_text, submission.compile_output), ("", ""))
        self.assertFalse(SubmissionTestResult.objects.filter(submission=submission).exists())

    def refuse(self, model, name: str, *, allowed_sql: str, refused_sqlite: str) -> None:
        """Make the database refuse some UPDATEs of ``model``'s table: a real error, no mock.

        PostgreSQL: ``CHECK (allowed_sql) NOT VALID`` (existing rows are not checked, every
        written row is). SQLite, which cannot add a constraint to a table: a ``BEFORE UPDATE``
        trigger ``WHEN refused_sqlite``. Removed at cleanup, or earlier with ``allow``.
        """
        table = model._meta.db_table
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    f"ALTER TABLE {table} ADD CONSTRAINT {name} CHECK ({allowed_sql}) NOT VALID"
                )
            else:
                cursor.execute(
                    f"CREATE TRIGGER {name} BEFORE UPDATE ON {table} WHEN {refused_sqlite} "
                    f"BEGIN SELECT RAISE(ABORT, '{name}'); END"
                )
        self.addCleanup(self.allow, model, name)

    def allow(self, model, name: str) -> None:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    f"ALTER TABLE {model._meta.db_table} DROP CONSTRAINT IF EXISTS {name}"
                )
            else:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")

    # Step 1: service restart -------------------------------------------------------------------

    @override_settings(COURSES_JUDGE_RETRY_FIRST_DELAY_SECONDS=0.3)
    def test_judge0_restarting_on_the_same_port_queues_judging_then_judging_resumes(self):
        """While Judge0 is down, submissions wait (``pending`` with a ``retry_at`` and the
        reason for the staff) and the breaker opens after enough failed calls; once Judge0 is
        back on the same port and the cool-down has passed, one probe goes through and closes
        the circuit, and the periodic requeue judges every waiting submission (issue 12)."""
        url = self.fake.url
        self.assertEqual(self.judge().status, Verdict.ACCEPTED)

        self.fake.stop()
        refused = self.judge()
        self.assertEqual(refused.status, Verdict.PENDING)
        self.assertIsNotNone(refused.retry_at)
        self.assertIn("cannot connect", refused.retry_reason)
        self.assertIn(url, refused.retry_reason)
        self.assertEqual(refused.error_text, "", "nothing for the student to read")
        self.assert_no_results(refused)
        self.assertEqual(self.circuit.failures(), 1, "one call, however many requests")
        for _ in range(FAILURE_THRESHOLD - 1):
            self.judge()
        self.assertEqual(self.circuit.state, "open")
        fast = self.judge()  # no more calls until the cool-down
        self.assertEqual(fast.status, Verdict.PENDING)
        self.assertIn("circuit open", fast.retry_reason)

        self.fake.start()
        self.assertEqual(self.fake.url, url, "restarted on the same port")
        posts = len(self.fake.requests_to(BATCH_POST))
        still_open = self.judge()
        self.assertEqual(still_open.status, Verdict.PENDING)
        self.assertIn("circuit open", still_open.retry_reason)
        self.assertEqual(len(self.fake.requests_to(BATCH_POST)), posts, "failed fast, no call")

        self.wait_for_cooldown(self.circuit)
        self.assertEqual(self.judge().status, Verdict.ACCEPTED)
        self.assertEqual((self.circuit.state, self.circuit.failures()), ("closed", 0))
        waiting = Submission.objects.filter(status=Verdict.PENDING).count()
        self.assertEqual(waiting, FAILURE_THRESHOLD + 2)
        time.sleep(0.35)  # every retry_at has come
        self.assertEqual(requeue_stale_submissions.apply().get(), waiting)
        self.assertFalse(Submission.objects.exclude(status=Verdict.ACCEPTED).exists())
        progress = self.progress()
        # Every submission counted once it was judged: none was lost to the outage.
        self.assertEqual((progress.status, progress.attempts), (SOLVED, 2 + waiting))

    @override_settings(
        COURSES_PENDING_REQUEUE_SECONDS=0, COURSES_JUDGE_RETRY_FIRST_DELAY_SECONDS=0.2
    )
    def test_the_queue_gets_the_submission_back_while_judge0_is_down_and_judges_it_after(self):
        """The task's path: an outage gives the submission back (``pending``, no claim, a
        ``retry_at``) instead of ending it; once Judge0 is back, the periodic requeue judges it."""
        submission = self.pending()
        self.fake.stop()
        self.assertEqual(judge_submission.apply(args=[submission.pk]).get(), Verdict.PENDING)
        submission.refresh_from_db()
        self.assertEqual(submission.status, Verdict.PENDING)
        self.assertIsNone(submission.claim_id)
        self.assertIsNotNone(submission.retry_at)
        self.assert_untouched(submission, Verdict.PENDING)
        self.assertEqual(requeue_stale_submissions.apply().get(), 0, "not before its retry_at")

        self.fake.start()
        time.sleep(0.25)
        self.assertEqual(requeue_stale_submissions.apply().get(), 1)
        submission.refresh_from_db()
        self.assertEqual(submission.status, Verdict.ACCEPTED)
        self.assertIsNone(submission.retry_at)
        self.assertEqual(submission.test_results.count(), 2)
        self.assertEqual(self.progress().status, SOLVED)

    # Step 2: database rollback -----------------------------------------------------------------

    def refuse_second_attempt(self) -> None:
        """The final judging transaction fails at its last write, the progress UPDATE."""
        self.refuse(
            ProblemProgress,
            "courses_test_refuse_progress",
            allowed_sql="attempts <= 1",
            refused_sqlite="NEW.attempts > 1",
        )

    def fail_final_save(self) -> tuple[Submission, ProgressEntry]:
        """A half-right first submission, then a right one whose final transaction fails."""
        first = self.judge(HALF)
        self.assertEqual((first.status, first.score), (Verdict.WRONG_ANSWER, Decimal("0.5")))
        cached = progress_get(user_id=self.user.pk, problem_id=self.problem.pk)
        self.assertEqual((cached.status, cached.attempts), (ATTEMPTED, 1))
        self.refuse_second_attempt()
        submission = self.pending()
        with self.assertRaisesMessage(IntegrityError, "courses_test_refuse_progress"):
            self.service.judge_submission(submission.pk)
        return submission, cached

    def test_a_failure_in_the_final_judging_transaction_leaves_nothing_behind(self):
        """Results, verdict and progress are one transaction: the progress write failing last
        takes the saved results and the submission's new fields back with it, and the cache is
        not invalidated for changes that never committed."""
        with CacheCalls() as calls:
            submission, cached = self.fail_final_save()
        self.assertEqual(calls.counts["delete_many"], 1, "only the first judging invalidated")
        submission.refresh_from_db()
        # The failed save left nothing; a write of its own then ended the submission.
        self.assertEqual(submission.status, Verdict.INTERNAL_ERROR)
        self.assertIn("could not be saved", submission.error_text)
        self.assertIsNone(submission.claim_id)
        self.assertEqual(submission.score, 0)
        self.assertIsNone(submission.max_cpu_time_ms)
        self.assertFalse(SubmissionTestResult.objects.filter(submission=submission).exists())
        progress = self.progress()
        self.assertEqual(
            (progress.status, progress.attempts, progress.best_score),
            (ATTEMPTED, 1, Decimal("0.5")),
        )
        self.assertEqual(self.raw(cache.progress_key(self.user.pk, self.problem.pk)), cached)
        self.assertEqual(SubmissionTestResult.objects.count(), 2, "the first submission's only")

    def test_after_a_failed_final_transaction_a_rejudge_recovers(self):
        """The failed submission is final (``internal_error``), so the periodic requeue leaves it
        alone; once the database accepts the write again, a rejudge judges it fully."""
        submission, _ = self.fail_final_save()
        self.allow(ProblemProgress, "courses_test_refuse_progress")
        self.assertEqual(requeue_stale_submissions.apply().get(), 0)
        self.assertEqual(rejudge(submission=submission), [submission.pk])
        submission.refresh_from_db()
        self.assertEqual((submission.status, submission.score), (Verdict.ACCEPTED, 1))
        self.assertEqual(submission.test_results.count(), 2)
        entry = progress_get(user_id=self.user.pk, problem_id=self.problem.pk)
        self.assertEqual((entry.status, entry.attempts, entry.best_score), (SOLVED, 2, 1))

        self.assertEqual(rejudge(submission=submission), [submission.pk])
        submission.refresh_from_db()
        self.assertEqual(submission.status, Verdict.ACCEPTED)
        self.assertEqual(submission.test_results.count(), 2)
        self.assertEqual(self.progress().attempts, 2)

    # Step 3: cache recovery --------------------------------------------------------------------

    def warm(self) -> dict[str, object]:
        """Fill every cached read; return the values the database gives."""
        enrollment_create(user=self.user, course=self.course)
        self.judge()
        return self.read_all()

    def read_all(self) -> dict[str, object]:
        return {
            "entry": progress_get(user_id=self.user.pk, problem_id=self.problem.pk),
            "summary": course_progress_summary(user_id=self.user.pk, course_id=self.course.pk),
            "roster": course_roster(course_id=self.course.pk),
            "courses": user_course_ids(user_id=self.user.pk),
        }

    def version_keys(self) -> list[str]:
        return [
            cache.progress_summary_version_key(self.user.pk, self.course.pk),
            cache.roster_version_key(self.course.pk),
            cache.user_courses_version_key(self.user.pk),
        ]

    def entry_keys(self) -> list[str]:
        versions = [cache.current_version(key) for key in self.version_keys()]
        return [
            cache.progress_key(self.user.pk, self.problem.pk),
            cache.progress_summary_key(self.user.pk, self.course.pk, versions[0]),
            cache.roster_key(self.course.pk, versions[1]),
            cache.user_courses_key(self.user.pk, versions[2]),
        ]

    def assert_recovered(self, expected: dict[str, object]) -> None:
        """The cache holds well-typed values again: a second read needs no query at all."""
        self.assertEqual([type(self.raw(key)).__name__ for key in self.version_keys()], ["int"] * 3)
        self.assertEqual(
            [type(self.raw(key)).__name__ for key in self.entry_keys()],
            ["ProgressEntry", "ProgressSummary", "_Roster", "UserRoles"],
        )
        with self.assertNumQueries(0):
            self.assertEqual(self.read_all(), expected)

    def test_entries_of_the_wrong_type_are_logged_misses_and_recached_with_correct_values(self):
        """A foreign value under our key (another writer, a schema change) is never served."""
        expected = self.warm()
        self.assertEqual(expected["summary"], ProgressSummary(1, 1, Decimal("100.00")))
        self.assertEqual(
            expected["roster"], (RosterEntry(self.user.pk, self.user.username, "student"),)
        )
        backend = caches["default"]
        garbage = ["garbage", 42, [1, 2], {"course_ids": [999]}]
        for key, value in zip(self.entry_keys(), garbage, strict=True):
            backend.set(key, value)
        with self.assertLogs("courses.cache", "ERROR") as logs:
            self.assertEqual(self.read_all(), expected)
        self.assertEqual(sum("treated as a miss" in line for line in logs.output), 4)
        self.assert_recovered(expected)

    def test_wrong_version_values_are_replaced_by_fresh_versions(self):
        """A version that is not an int (a bool is not one either) is re-minted, so the group's
        entries are looked up under a fresh key and rebuilt from the database."""
        expected = self.warm()
        backend = caches["default"]
        for key, value in zip(self.version_keys(), ["v?", True, 1.5], strict=True):
            backend.set(key, value)
        with self.assertLogs("courses.cache", "ERROR") as logs:
            self.assertEqual(self.read_all(), expected)
        self.assertEqual(sum("holds garbage" in line for line in logs.output), 3)
        self.assert_recovered(expected)

    def store_undecodable(self, key: str) -> None:
        """Put bytes that no cache client can decode under ``key`` (e.g. written by a deploy
        whose pickled classes no longer exist). Reaches into the backend: no public call
        stores undecodable data."""
        backend = caches["default"]
        raw_key = backend.make_and_validate_key(key)
        if hasattr(backend, "_expire_info"):  # LocMemCache: pickled bytes in a dict
            with backend._lock:
                backend._cache[raw_key] = b"\x80\x05garbage"
                backend._expire_info[raw_key] = None
        else:  # RedisCache: raw bytes in Redis (digits would decode as an int)
            backend._cache.get_client(raw_key, write=True).set(raw_key, b"\x80\x05garbage")

    def test_undecodable_entries_and_versions_are_logged_misses_and_recached(self):
        """Bytes that fail to unpickle make ``get`` raise as a dead cache would; they must still
        be overwritten on the next read, version keys included (they used to stay, uncached
        reads for ever: the fix in ``cache.current_version``)."""
        expected = self.warm()
        for key in self.entry_keys():
            self.store_undecodable(key)
        with self.assertLogs("courses.cache", "ERROR"):
            self.assertEqual(self.read_all(), expected)
        self.assert_recovered(expected)
        for key in self.version_keys():
            self.store_undecodable(key)
        with self.assertLogs("courses.cache", "ERROR"):
            self.assertEqual(self.read_all(), expected)
        self.assert_recovered(expected)

    # Step 4: external service recovery ---------------------------------------------------------

    def test_judge0_answering_503_then_healthy_is_retried_within_the_retry_budget(self):
        """Two 503s then a healthy Judge0: the client's bounded retries absorb them, the
        submission is judged normally and the breaker forgets the failures."""
        self.fake.script(BATCH_POST, Fault(status=503, body={"error": "queue is full"}), times=2)
        started = time.monotonic()
        submission = self.judge()
        self.assertLess(time.monotonic() - started, RETRY.budget_s + 5.0)
        self.assertEqual((submission.status, submission.score), (Verdict.ACCEPTED, 1))
        self.assertEqual(len(self.fake.requests_to(BATCH_POST)), 3)
        self.assertEqual((self.circuit.state, self.circuit.failures()), ("closed", 0))

    def test_a_500_answering_a_create_created_nothing_and_a_run_of_them_is_waited_out(self):
        """Judge0's 500 is its own request failing (its database down): nothing was created, so
        the client repeats the create within its retry budget. 500s past that budget are an
        outage: the submission waits (never internal_error, as it did after a second 500), and
        the next try, once Judge0 is back, judges it."""
        self.fake.script(BATCH_POST, Fault(status=500, body=b"<h1>oops</h1>"), times=1)
        submission = self.pending()
        self.assertEqual(judge_submission.apply(args=[submission.pk]).get(), Verdict.ACCEPTED)
        self.assertEqual(len(self.fake.requests_to(BATCH_POST)), 2)
        submission.refresh_from_db()
        self.assertEqual(submission.test_results.count(), 2)

        self.fake.script(BATCH_POST, Fault(status=500, body=b"<h1>oops</h1>"), times=1000)
        again = self.pending()
        self.assertEqual(judge_submission.apply(args=[again.pk]).get(), Verdict.PENDING)
        self.assertLessEqual(len(self.fake.requests_to(BATCH_POST)), 2 + RETRY.attempts)
        again.refresh_from_db()
        self.assertIn("500", again.retry_reason)
        self.fake.reset_script()  # healthy again (and its counters at 0)
        self.assertEqual(judge_submission.apply(args=[again.pk]).get(), Verdict.ACCEPTED)
        self.assertEqual(self.fake.created, 1)

    def test_after_the_circuit_opened_and_the_cool_down_passed_judging_continues(self):
        """Persistent 503s open the circuit after enough failed calls; while open, judging fails
        fast without a request (a retryable 503 for the API); after the cool-down the probe
        succeeds and closes it."""
        self.fake.script(BATCH_POST, Fault(status=503, body={"error": "queue is full"}), times=1000)
        first = self.judge()
        self.assertEqual(first.status, Verdict.PENDING)
        self.assertIn("503", first.retry_reason)
        self.assertEqual((self.circuit.state, self.circuit.failures()), ("closed", 1))
        for _ in range(FAILURE_THRESHOLD - 1):
            self.judge()
        self.assertEqual(self.circuit.state, "open")

        self.fake.reset_script()  # healthy again, but the breaker does not know yet
        with self.assertRaises(CircuitOpen) as caught:
            self.service.run_freely("print(1)")
        self.assertEqual(api_status_for(caught.exception).http_status, 503)
        self.assertGreater(api_status_for(caught.exception).retry_after_s, 0)
        self.assertEqual(self.fake.requests, [])

        self.wait_for_cooldown(self.circuit)
        self.assertEqual(self.judge().status, Verdict.ACCEPTED)
        self.assertEqual((self.circuit.state, self.circuit.failures()), ("closed", 0))
        self.assertEqual(self.service.run_freely("print(6 * 7)")["stdout"], "42\n")

    # Step 5: transaction rollback on failure ---------------------------------------------------

    def test_an_import_failing_at_commit_enrolls_nobody_and_invalidates_nothing(self):
        """A user deleted meanwhile is a foreign key the database refuses at commit, after the
        invalidation was queued: the rollback drops it with the rows, and the caches (still
        right) stay; the import works once the row is fixed."""
        other = factories.UserFactory()
        ghost = factories.UserFactory()
        get_user_model().objects.filter(pk=ghost.pk).delete()
        self.assertEqual(course_roster(course_id=self.course.pk), ())
        self.assertEqual(user_course_ids(user_id=other.pk), frozenset())
        keys = [cache.roster_version_key(self.course.pk), cache.user_courses_version_key(other.pk)]
        versions = [self.raw(key) for key in keys]
        with CacheCalls() as calls, self.assertRaises(IntegrityError):
            enrollments_import(course=self.course, users=[other, ghost])
        self.assertFalse(Enrollment.objects.exists())
        self.assertEqual(calls.writes, 0)
        self.assertEqual([self.raw(key) for key in keys], versions)

        self.assertEqual(enrollments_import(course=self.course, users=[other]), 1)
        self.assertEqual([e.user_id for e in course_roster(course_id=self.course.pk)], [other.pk])
        self.assertEqual(user_course_ids(user_id=other.pk), frozenset({self.course.pk}))

    def test_exam_problems_set_failing_midway_or_at_commit_leaves_the_exam_as_it_was(self):
        """A duplicate is refused before any write; a problem deleted meanwhile fails at commit,
        after rows were updated, inserted and deleted and the total recomputed: all of it goes."""
        exam = factories.ExamFactory(course=self.course, passing_percentage=Decimal("50"))
        p1, p2, p3 = (factories.ProblemFactory(chapter__course=self.course) for _ in range(3))
        exam = exam_problems_set(
            exam=exam,
            items=[ExamProblemItem(p1, Decimal("10")), ExamProblemItem(p2, Decimal("20"))],
        )
        before = sorted(ExamProblem.objects.values_list("problem_id", "score", "order"))
        totals = (exam.total_score, exam.passing_score)
        self.assertEqual(totals, (Decimal("30"), Decimal("15")))
        gone = factories.ProblemFactory(chapter__course=self.course)
        Problem.objects.filter(pk=gone.pk).delete()

        attempts = {
            "duplicate": (InvalidInput, [ExamProblemItem(p1, 5), ExamProblemItem(p1, 6)]),
            "deleted problem": (
                IntegrityError,
                [ExamProblemItem(p1, 15), ExamProblemItem(p3, 5), ExamProblemItem(gone, 7)],
            ),
        }
        for name, (error, items) in attempts.items():
            with self.subTest(name), self.assertRaises(error):
                exam_problems_set(exam=exam, items=items)
            exam.refresh_from_db()
            self.assertEqual((exam.total_score, exam.passing_score), totals)
            self.assertEqual(
                sorted(ExamProblem.objects.values_list("problem_id", "score", "order")), before
            )
        exam = exam_problems_set(exam=exam, items=[ExamProblemItem(p3, Decimal("8"))])
        self.assertEqual((exam.total_score, exam.passing_score), (Decimal("8"), Decimal("4")))

    # Step 6: signal handler errors -------------------------------------------------------------

    def test_with_the_cache_down_judging_and_enrolling_commit_and_the_receivers_log(self):
        """The progress and enrollment receivers only touch the cache: with Redis unreachable
        they log and the writes commit (the breaker, in the cache too, counts as closed)."""
        with (
            override_settings(CACHES=UNREACHABLE_REDIS),
            self.assertLogs("courses.cache", "ERROR") as logs,
            self.assertLogs("courses.judging", "WARNING") as breaker_logs,
        ):
            submission = self.judge()
            enrollment = enrollment_create(user=self.user, course=self.course)
            enrollment.status = Enrollment.Status.DROPPED
            enrollment.save(update_fields=["status"])
            entry = progress_get(user_id=self.user.pk, problem_id=self.problem.pk)
            roster = course_roster(course_id=self.course.pk)
        self.assertEqual(submission.status, Verdict.ACCEPTED)
        self.assertEqual(self.progress().status, SOLVED)
        self.assertEqual(entry.status, SOLVED)
        self.assertEqual(Enrollment.objects.get().status, Enrollment.Status.DROPPED)
        self.assertEqual(roster, ())
        self.assertGreaterEqual(sum("invalidation" in line for line in logs.output), 3)
        self.assertTrue(any("cache unavailable" in line for line in breaker_logs.output))

    def test_a_failing_reply_counter_rolls_back_the_reply_and_replies_resume(self):
        """The reply receiver writes the database: its failure is the reply's failure."""
        thread = factories.DiscussionThreadFactory(course=self.course)
        self.refuse(
            DiscussionThread,
            "courses_test_refuse_thread",
            allowed_sql="reply_count = 0",
            refused_sqlite="NEW.reply_count > 0",
        )
        with self.assertRaisesMessage(DatabaseError, "courses_test_refuse_thread"):
            reply_create(thread=thread, author=self.user, body="lost")
        self.assertFalse(DiscussionReply.objects.exists())
        self.assertEqual(DiscussionThread.objects.get(pk=thread.pk).reply_count, 0)

        self.allow(DiscussionThread, "courses_test_refuse_thread")
        reply_create(thread=thread, author=self.user, body="kept")
        self.assertEqual(DiscussionThread.objects.get(pk=thread.pk).reply_count, 1)
        self.assertEqual(list(DiscussionReply.objects.values_list("body", flat=True)), ["kept"])

    # Step 7: graceful degradation --------------------------------------------------------------

    def test_run_freely_with_judge0_down_raises_a_retryable_error_answered_503(self):
        """ "Run code" has no row to fail: the typed error reaches the API, which says 503."""
        self.fake.stop()
        with self.assertRaises(BackendUnavailable) as caught:
            self.service.run_freely("print(1)")
        error = caught.exception
        self.assertTrue(error.retryable)
        self.assertIn("cannot connect", str(error))
        self.assertEqual(
            (api_status_for(error).code, api_status_for(error).http_status),
            ("judge_unavailable", 503),
        )

    def test_a_submission_judged_while_judge0_is_down_waits_and_ends_readably(self):
        """Not a verdict on the student's code: no score, no results, not an attempt. It waits
        for the judge (``pending`` with a ``retry_at``) until the maximum age, then ends
        ``internal_error`` with the reason for the staff (issue 12)."""
        self.fake.stop()
        submission = self.judge()
        self.assertEqual(submission.status, Verdict.PENDING)
        self.assertIn(self.fake.url, submission.retry_reason)
        self.assert_no_results(submission)
        self.assertIsNone(submission.judged_at)
        with override_settings(COURSES_JUDGE_RETRY_MAX_AGE_SECONDS=0):
            submission = self.service.judge_submission(submission.pk)
        self.assertEqual(submission.status, Verdict.INTERNAL_ERROR)
        self.assertIn(self.fake.url, submission.error_text)
        self.assertIn("cannot connect", submission.error_text)
        self.assertIn("requeue", submission.error_text)
        self.assert_no_results(submission)
        self.assertIsNotNone(submission.judged_at)
        self.assertEqual(api_status_for(submission.status).http_status, 200)
        progress = self.progress()
        self.assertTrue(progress is None or progress.attempts == 0)

    def test_selectors_answer_from_the_database_while_the_cache_is_down(self):
        """Same answers as with a warm cache, one query each, one logged miss per group."""
        expected = self.warm()
        with (
            override_settings(CACHES=UNREACHABLE_REDIS),
            self.assertLogs("courses.cache", "ERROR") as logs,
            self.assertNumQueries(4),  # one query per read: each went to the database
        ):
            self.assertEqual(self.read_all(), expected)
        self.assertEqual(sum("reading uncached" in line for line in logs.output), 3)
