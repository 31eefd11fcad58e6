"""Test plan Task 10.1: concurrency, with real threads on the real database and cache.

A ``TransactionTestCase``: every thread has its own connection and its own transactions. On SQLite
the test database is a file and transactions start with ``BEGIN IMMEDIATE``, so writers wait for
each other (up to the connection's busy timeout) instead of failing; on PostgreSQL rows are locked
one by one under read committed. Where the two databases behave differently by design (isolation
level, whether a circular wait can even form), each test asserts what its database guarantees.
Judging runs inline through a scripted backend named in settings: no code runs here.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.cache import caches
from django.db import OperationalError, connection, transaction
from django.db.models import Max
from django.db.models.signals import post_save
from django.test import TransactionTestCase, override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from courses import selectors
from courses.judging.types import Outcome, RunRequest, RunResult, Verdict
from courses.models import (
    DiscussionReply,
    DiscussionThread,
    Enrollment,
    Exam,
    ExamProblem,
    ProblemProgress,
    Submission,
)
from courses.services.discussions import reply_create
from courses.services.enrollments import enrollment_create
from courses.services.exams import ExamProblemItem, exam_problems_set, exam_recompute_scores
from courses.services.progress import progress_recompute
from courses.services.submissions import submission_create
from courses.tests import factories
from courses.tests.interleave import Choreography, postgresql_only, serial_on_sqlite
from courses.tests.scripted_backend import ScriptedBackend
from courses.tests.signals.support import FreshCacheMixin, run_concurrently

D = Decimal
RIGHT = "def solve(a, b):\n    return a + b\n"
WRONG = "def solve(a, b):\n    return a - b  # WRONG\n"
#: Every concurrent test must finish well inside this; a deadlock would hit it.
JOIN_TIMEOUT_S = 30


def _answer(request: RunRequest) -> RunResult:
    """``3`` (right for the ``[1, 2]`` case) unless the student's code says WRONG."""
    stdout = b"-1\n" if "WRONG" in request.source else b"3\n"
    return RunResult(outcome=Outcome.OK, stdout=stdout, cpu_time_ms=3, memory_kb=800)


class ConcurrentJudgeBackend(ScriptedBackend):
    """Thread-safe (``ScriptedBackend`` locks around every batch)."""

    default_script = staticmethod(_answer)


def judged_problem(**kwargs):
    problem = factories.ProblemFactory(**kwargs)
    factories.ProblemTestCaseFactory(
        problem=problem, order=0, input="[1, 2]", expected_output="3", is_sample=True
    )
    return problem


#: One student submitting from many threads at once: the pending cap (429) is not under test here.
UNCAPPED = 1000


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


@override_settings(COURSES_JUDGE_BACKEND=f"{__name__}.ConcurrentJudgeBackend")
class ConcurrencyTestCase(FreshCacheMixin, TransactionTestCase):
    def run_threads(self, target, jobs) -> float:
        """Run the jobs together; fail on any error or a thread still alive. Returns seconds."""
        started = time.monotonic()
        errors = run_concurrently(target, jobs, timeout=JOIN_TIMEOUT_S)
        elapsed = time.monotonic() - started
        self.assertEqual(errors, [])
        self.assertLess(elapsed, JOIN_TIMEOUT_S)
        return elapsed

    # Step 1: signal handler race conditions ----------------------------------------------------

    @serial_on_sqlite
    def test_replies_from_many_threads_at_once_are_each_counted_exactly(self):
        thread = factories.DiscussionThreadFactory()
        authors = [factories.UserFactory() for _ in range(8)]

        def post_replies(author):
            for n in range(5):
                fresh = DiscussionThread.objects.get(pk=thread.pk)
                reply_create(thread=fresh, author=author, body=f"reply {n}")

        self.run_threads(post_replies, [(author,) for author in authors])
        thread.refresh_from_db()
        self.assertEqual(DiscussionReply.objects.filter(thread=thread).count(), 40)
        self.assertEqual(thread.reply_count, 40)
        latest = DiscussionReply.objects.aggregate(latest=Max("created_at"))["latest"]
        self.assertEqual(thread.last_activity_at, latest)

    @serial_on_sqlite
    def test_exam_problem_saves_from_many_threads_give_the_exact_total(self):
        exam = factories.ExamFactory(passing_percentage=D("50"))
        problems = [factories.ProblemFactory(chapter__course=exam.course) for _ in range(12)]
        existing = [
            factories.ExamProblemFactory(exam=exam, problem=problem, score=D("1"))
            for problem in problems[:6]
        ]

        def add(problem, score):  # autocommit: the insert, then its own recompute transaction
            ExamProblem.objects.create(exam=exam, problem=problem, score=score)

        def change(row, score):
            with transaction.atomic():  # the update and its recompute commit together
                row.score = score
                row.save(update_fields=["score"])

        jobs = [(add, problem, D("2.5")) for problem in problems[6:]]
        jobs += [(change, row, D("10.01")) for row in existing]
        self.run_threads(lambda fn, *args: fn(*args), jobs)
        exam.refresh_from_db()
        self.assertEqual(exam.total_score, D("75.06"))  # 6 × 2.5 + 6 × 10.01
        self.assertEqual(exam.passing_score, D("37.53"))
        self.assertEqual(ExamProblem.objects.filter(exam=exam).count(), 12)

    # Step 2: concurrent API calls ---------------------------------------------------------------

    @serial_on_sqlite
    def test_many_users_enroll_submit_and_reply_through_the_api_at_once(self):
        problem = judged_problem()
        course = problem.chapter.course
        thread = factories.DiscussionThreadFactory(course=course)
        users = [factories.UserFactory() for _ in range(6)]
        clients = []
        for user in users:
            client = APIClient()
            client.force_login(user)
            clients.append(client)
        statuses: list[tuple[int, int, int, str]] = []

        def act(client):
            enrolled = client.post(reverse("api:course-enrollment", args=[course.pk]))
            submitted = client.post(
                reverse("api:submission-create", args=[problem.pk]),
                {"language": "python", "code": RIGHT},
                format="json",
            )
            replied = client.post(
                reverse("api:thread-replies", args=[thread.pk]),
                {"body": "Same here."},
                format="json",
            )
            statuses.append(
                (
                    enrolled.status_code,
                    submitted.status_code,
                    replied.status_code,
                    submitted.json().get("status"),
                )
            )

        self.run_threads(act, [(client,) for client in clients])
        self.assertEqual(statuses, [(201, 201, 201, Verdict.ACCEPTED.value)] * len(users))
        self.assertEqual(Enrollment.objects.filter(course=course).count(), 6)
        self.assertEqual(Submission.objects.filter(status=Verdict.ACCEPTED).count(), 6)
        self.assertEqual(
            ProblemProgress.objects.filter(problem=problem, status="solved", attempts=1).count(),
            6,
        )
        thread.refresh_from_db()
        self.assertEqual(thread.reply_count, 6)
        roster = selectors.course_roster(course_id=course.pk)
        self.assertEqual(sorted(e.user_id for e in roster), sorted(u.pk for u in users))
        for client in clients:
            progress = client.get(reverse("api:course-progress", args=[course.pk])).json()
            self.assertEqual((progress["solved"], progress["attempted"]), (1, 1))

    # Step 3: transaction isolation --------------------------------------------------------------

    def test_the_isolation_level_is_read_committed_on_postgresql_and_stricter_on_sqlite(self):
        """PostgreSQL runs at read committed; SQLite has no such level: it is serializable
        (one writer at a time) and never reads uncommitted data (``read_uncommitted`` is off)."""
        with transaction.atomic(), connection.cursor() as cursor:
            if is_postgresql():
                cursor.execute("SHOW transaction_isolation")
                self.assertEqual(cursor.fetchone()[0], "read committed")
            else:
                cursor.execute("PRAGMA read_uncommitted")
                self.assertEqual(cursor.fetchone()[0], 0)
                self.assertEqual(
                    settings.DATABASES["default"]["OPTIONS"]["transaction_mode"], "IMMEDIATE"
                )

    def test_an_uncommitted_write_is_never_seen_by_another_connection(self):
        thread = factories.DiscussionThreadFactory(title="Before")
        author = factories.UserFactory()

        def seen_elsewhere() -> tuple[str, int]:
            """What a second connection, in another thread, reads right now."""
            result: list[tuple[str, int]] = []

            def read():
                row = DiscussionThread.objects.get(pk=thread.pk)
                result.append((row.title, DiscussionReply.objects.count()))

            self.run_threads(read, [()])
            return result[0]

        for outcome in ("rollback", "commit"):
            with self.subTest(outcome), transaction.atomic():
                DiscussionThread.objects.filter(pk=thread.pk).update(title=f"After {outcome}")
                reply_create(thread=thread, author=author, body="uncommitted")
                self.assertEqual(seen_elsewhere(), ("Before", 0))  # no dirty read
                if outcome == "rollback":
                    transaction.set_rollback(True)
            expected = ("Before", 0) if outcome == "rollback" else ("After commit", 1)
            self.assertEqual(seen_elsewhere(), expected)

    def test_a_transaction_sees_what_others_committed_since_its_last_statement(self):
        """Read committed on PostgreSQL: the next statement sees a concurrent commit
        (non-repeatable read). On SQLite the writer waits until our transaction ends."""
        thread = factories.DiscussionThreadFactory(title="Before")
        writer_done = threading.Event()

        def write():
            DiscussionThread.objects.filter(pk=thread.pk).update(title="After")
            writer_done.set()

        writer = threading.Thread(target=run_concurrently, args=(write, [()], 10))
        with transaction.atomic():
            self.assertEqual(DiscussionThread.objects.get(pk=thread.pk).title, "Before")
            writer.start()
            # PostgreSQL: the writer is not held, however loaded the host (10 s to get there).
            finished_inside = writer_done.wait(timeout=10 if is_postgresql() else 0.5)
            title_inside = DiscussionThread.objects.get(pk=thread.pk).title
        writer.join(JOIN_TIMEOUT_S)
        self.assertTrue(writer_done.is_set())
        if is_postgresql():
            self.assertTrue(finished_inside)
            self.assertEqual(title_inside, "After")
        else:
            self.assertFalse(finished_inside)  # the writer waited for our transaction
            self.assertEqual(title_inside, "Before")
        self.assertEqual(DiscussionThread.objects.get(pk=thread.pk).title, "After")

    # Step 4: cache coherency --------------------------------------------------------------------

    @contextlib.contextmanager
    def a_reader_inside_every_write(self, model, read):
        """After each save of ``model`` in a transaction (after the app's own receivers, so after
        it asked for its invalidation), a reader in another thread reads through the cache while
        the writer's transaction is still open: it sees, and caches, only what was committed
        before. An invalidation that does not wait for the commit leaves that entry stale, on
        every run; one that waits removes it."""
        forced: list[int] = []

        def receiver(sender, instance, **kwargs):
            if transaction.get_connection().in_atomic_block:
                self.assertEqual(run_concurrently(read, [()], timeout=JOIN_TIMEOUT_S), [])
                forced.append(instance.pk)

        uid = f"test-reader-inside-{model.__name__}"
        post_save.connect(receiver, sender=model, weak=False, dispatch_uid=uid)
        try:
            yield forced
        finally:
            post_save.disconnect(sender=model, dispatch_uid=uid)

    @override_settings(COURSES_MAX_PENDING_SUBMISSIONS=UNCAPPED)
    def test_the_cached_progress_summary_matches_the_database_after_concurrent_judging(self):
        """12 judgings and 4 readers at once, and a reader inside every judging's transaction.
        Each judging is a new problem's first, so each changes the summary: whichever commits
        last, a stale entry cached inside it differs from the truth."""
        student = factories.UserFactory()
        chapter = factories.ChapterFactory()
        problems = [judged_problem(chapter=chapter, points=10 * (i + 1)) for i in range(12)]
        factories.EnrollmentFactory(user=student, course=chapter.course)
        writers_done = threading.Event()
        writers_left = [len(problems)]
        lock = threading.Lock()

        def read():
            selectors.course_progress_summary(user_id=student.pk, course_id=chapter.course_id)

        def job(kind, index):
            if kind == "read":
                while not writers_done.is_set():
                    read()
                return
            try:
                code = WRONG if index % 2 else RIGHT
                submission_create(
                    user=student, problem=problems[index], language="python", code=code
                )
            finally:
                with lock:
                    writers_left[0] -= 1
                    if writers_left[0] == 0:
                        writers_done.set()

        jobs = [("write", i) for i in range(len(problems))] + [("read", 0)] * 4
        with self.a_reader_inside_every_write(ProblemProgress, read) as forced:
            self.run_threads(job, jobs)
        self.assertGreaterEqual(len(forced), 12)  # every judging saved its progress row
        cached = selectors.course_progress_summary(user_id=student.pk, course_id=chapter.course_id)
        self.assertEqual(cached, self.summary_from_submissions(student, chapter.course_id))
        self.assertEqual((cached.solved, cached.attempted), (6, 12))
        self.assertEqual(cached.total_points, D("360.00"))  # even problems: 10 + 30 + ... + 110

    def summary_from_submissions(self, user, course_id) -> selectors.ProgressSummary:
        """The summary computed afresh from the submissions themselves, bypassing the cache."""
        solved = attempted = 0
        points = D("0")
        for problem_id in (
            Submission.objects.filter(user=user, problem__chapter__course_id=course_id)
            .order_by()
            .values_list("problem_id", flat=True)
            .distinct()
        ):
            rows = Submission.objects.filter(user=user, problem_id=problem_id)
            solved += rows.filter(status=Verdict.ACCEPTED).exists()
            attempted += 1
            best = rows.aggregate(best=Max("score"))["best"]
            points += best * rows.first().problem.points
        return selectors.ProgressSummary(solved, attempted, points.quantize(D("0.01")))

    def test_the_cached_roster_matches_the_database_after_concurrent_enrollments(self):
        """8 joins, 3 drops and 4 readers at once, and a reader inside every write's transaction."""
        course = factories.CourseFactory()
        leaving = [factories.EnrollmentFactory(course=course) for _ in range(3)]
        joining = [factories.UserFactory() for _ in range(8)]
        selectors.course_roster(course_id=course.pk)  # cached before the storm
        writers_done = threading.Event()
        writers_left = [len(leaving) + len(joining)]
        lock = threading.Lock()

        def read():
            selectors.course_roster(course_id=course.pk)

        def job(kind, subject):
            if kind == "read":
                while not writers_done.is_set():
                    read()
                return
            try:
                if kind == "join":
                    enrollment_create(user=subject, course=course)
                else:
                    with transaction.atomic():
                        subject.status = Enrollment.Status.DROPPED
                        subject.save(update_fields=["status"])
            finally:
                with lock:
                    writers_left[0] -= 1
                    if writers_left[0] == 0:
                        writers_done.set()

        jobs = [("join", user) for user in joining] + [("drop", e) for e in leaving]
        jobs += [("read", None)] * 4
        with self.a_reader_inside_every_write(Enrollment, read) as forced:
            self.run_threads(job, jobs)
        self.assertEqual(len(forced), 11)
        cached = [entry.user_id for entry in selectors.course_roster(course_id=course.pk)]
        fresh = list(
            Enrollment.objects.filter(course=course, status=Enrollment.Status.ACTIVE)
            .order_by("user__username")
            .values_list("user_id", flat=True)
        )
        self.assertEqual(cached, fresh)
        self.assertEqual(sorted(fresh), sorted(user.pk for user in joining))

    # Step 5: lock contention --------------------------------------------------------------------

    @serial_on_sqlite
    def test_many_threads_recomputing_one_exam_finish_in_time_with_the_right_scores(self):
        exam = factories.ExamFactory(passing_percentage=D("40"))
        problems = [factories.ProblemFactory(chapter__course=exam.course) for _ in range(4)]
        items = [ExamProblemItem(problem, D("7.5")) for problem in problems]
        exam_problems_set(exam=exam, items=[ExamProblemItem(p, D("1")) for p in problems])
        rows = list(ExamProblem.objects.filter(exam=exam))

        def job(kind, index):
            if kind == "recompute":
                exam_recompute_scores(exam_id=exam.pk)
            elif kind == "set":
                exam_problems_set(exam=Exam.objects.get(pk=exam.pk), items=items)
            else:  # a single row through its signal, in autocommit
                row = ExamProblem.objects.get(pk=rows[index % len(rows)].pk)
                row.score = D("7.5")
                row.save(update_fields=["score"])

        jobs = [(kind, i) for i in range(6) for kind in ("recompute", "set", "row")]
        self.run_threads(job, jobs)
        exam.refresh_from_db()
        self.assertEqual((exam.total_score, exam.passing_score), (D("30.00"), D("12.00")))

    @override_settings(COURSES_MAX_PENDING_SUBMISSIONS=UNCAPPED)
    @serial_on_sqlite
    def test_many_threads_recomputing_one_users_progress_on_one_problem(self):
        student = factories.UserFactory()
        problem = judged_problem()

        def job(kind, index):
            if kind == "judge":
                code = WRONG if index % 2 else RIGHT
                submission_create(user=student, problem=problem, language="python", code=code)
            else:
                progress_recompute(user_id=student.pk, problem_id=problem.pk)

        jobs = [("judge", i) for i in range(4)] + [("recompute", i) for i in range(12)]
        self.run_threads(job, jobs)
        (progress,) = ProblemProgress.objects.filter(user=student, problem=problem)
        self.assertEqual(progress.attempts, 4)
        self.assertEqual(progress.status, ProblemProgress.Status.SOLVED)
        self.assertEqual(progress.best_score, D("1"))
        first_right = Submission.objects.filter(status=Verdict.ACCEPTED).earliest("created_at")
        self.assertEqual(progress.first_solved_at, first_right.created_at)

    # Step 6: deadlock prevention and timeouts ---------------------------------------------------

    @serial_on_sqlite
    def test_opposite_lock_orders_deadlock_is_detected_on_postgresql_impossible_on_sqlite(self):
        """Two transactions lock rows A and B in opposite orders. On PostgreSQL both take their
        first row before either asks for its second (a forced interleaving), so the wait is
        circular: PostgreSQL aborts exactly one (``deadlock detected``) and the other commits
        whole. No test-set timeout: the application's own lock timeout is the safety net. On
        SQLite a transaction holds the database's one write lock from BEGIN, so the second never
        holds a row while the first waits: no circle can form, and both commit."""
        exams = [factories.ExamFactory(title="A"), factories.ExamFactory(title="B")]
        failures: list[BaseException] = []
        holding_both_first = [False, False]

        def lock_both(me: int):
            first, second = (exams[0], exams[1]) if me == 0 else (exams[1], exams[0])
            try:
                with race.party(f"t{me}", after=r'^UPDATE "courses_exam"'), transaction.atomic():
                    Exam.objects.select_for_update().get(pk=first.pk)
                    Exam.objects.filter(pk=first.pk).update(title=f"{first.title} by {me}")
                    # Past the meeting point: the other holds its first row too, or waits.
                    holding_both_first[me] = race.states[f"t{1 - me}"] in ("arrived", "passed")
                    Exam.objects.select_for_update().get(pk=second.pk)
                    Exam.objects.filter(pk=second.pk).update(title=f"{second.title} by {me}")
            except OperationalError as exc:
                failures.append(exc)

        with Choreography("t0", "t1") as race:
            self.run_threads(lock_both, [(0,), (1,)])
        titles = sorted(Exam.objects.values_list("title", flat=True))
        if is_postgresql():
            self.assertEqual(holding_both_first, [True, True])
            self.assertEqual(len(failures), 1, failures)
            self.assertIn("deadlock detected", str(failures[0]))
            winner = titles[0].rsplit(" ", 1)[1]
            self.assertEqual(titles, [f"A by {winner}", f"B by {winner}"])
        else:
            self.assertEqual(failures, [])
            self.assertEqual(holding_both_first, [False, False])  # one after the other
            self.assertEqual(len({title.rsplit(" ", 1)[1] for title in titles}), 1)

    @serial_on_sqlite
    def test_exam_services_lock_the_exam_first_so_opposite_row_orders_never_deadlock(self):
        """Writers that save the same exam's rows in opposite orders would deadlock on the rows;
        ``exam_problems_set`` locks the exam row first, so they queue on it instead."""
        exam = factories.ExamFactory()
        problems = [factories.ProblemFactory(chapter__course=exam.course) for _ in range(5)]
        exam_problems_set(exam=exam, items=[ExamProblemItem(p, D("1")) for p in problems])

        def replace(index):
            ordered = problems if index % 2 else list(reversed(problems))
            score = D(str(index + 2))
            exam_problems_set(
                exam=Exam.objects.get(pk=exam.pk),
                items=[ExamProblemItem(p, score) for p in ordered],
            )

        self.run_threads(replace, [(i,) for i in range(8)])
        exam.refresh_from_db()
        scores = set(ExamProblem.objects.filter(exam=exam).values_list("score", flat=True))
        self.assertEqual(len(scores), 1)  # one writer's whole set won, not a mix
        self.assertEqual(exam.total_score, 5 * scores.pop())

    @postgresql_only
    def test_an_exam_problem_saved_in_a_transaction_locks_its_exam_before_its_row(self):
        """A plain ``ExamProblem.save()`` in a transaction takes the exam lock first (its
        pre_save receiver), the order ``exam_problems_set`` uses. Forced: the save has written
        its row when ``exam_problems_set`` starts. Without the exam lock taken first, the set
        holds the exam and waits for the row while the save's recompute waits for the exam:
        PostgreSQL aborts one of them (``deadlock detected``)."""
        exam = factories.ExamFactory()
        problems = [factories.ProblemFactory(chapter__course=exam.course) for _ in range(3)]
        exam_problems_set(exam=exam, items=[ExamProblemItem(p, D("1")) for p in problems])
        row = ExamProblem.objects.get(exam=exam, problem=problems[0])

        def save_row():
            with race.party("row", after=r'^UPDATE "courses_examproblem"'), transaction.atomic():
                row.score = D("4")
                row.save(update_fields=["score"])

        def set_all():
            race.reached("row")
            with race.party("set"):
                exam_problems_set(
                    exam=Exam.objects.get(pk=exam.pk),
                    items=[ExamProblemItem(p, D("2")) for p in problems],
                )

        with Choreography("row", "set") as race:
            self.run_threads(lambda job: job(), [(save_row,), (set_all,)])
        exam.refresh_from_db()
        self.assertEqual(exam.total_score, D("6"))  # the set came second and won whole
        self.assertEqual(set(ExamProblem.objects.values_list("score", flat=True)), {D("2")})

    def test_a_lock_wait_gives_up_at_the_applications_lock_timeout(self):
        """The application's own timeout (``DATABASE_LOCK_TIMEOUT_SECONDS`` in settings, on every
        connection it opens: PostgreSQL's ``lock_timeout``, SQLite's busy timeout), nothing the
        test sets: a transaction waiting for a held row fails with ``OperationalError`` once it
        passes, and not before."""
        timeout_s = settings.DATABASE_LOCK_TIMEOUT_SECONDS
        exam = factories.ExamFactory()
        held, release = threading.Event(), threading.Event()
        outcome: dict[str, object] = {}

        def hold():
            with transaction.atomic():
                Exam.objects.select_for_update().get(pk=exam.pk)
                Exam.objects.filter(pk=exam.pk).update(title="held")
                held.set()
                release.wait(timeout=timeout_s + 20)

        def wait_for_it():
            held.wait(timeout=10)
            if is_postgresql():
                with connection.cursor() as cursor:
                    cursor.execute("SELECT setting FROM pg_settings WHERE name = 'lock_timeout'")
                    outcome["setting"] = cursor.fetchone()[0]  # in milliseconds
            started = time.monotonic()
            try:
                with transaction.atomic():
                    Exam.objects.select_for_update().get(pk=exam.pk)
                    Exam.objects.filter(pk=exam.pk).update(title="waited")
            except OperationalError as exc:
                outcome["error"] = exc
            finally:
                outcome["seconds"] = time.monotonic() - started
                release.set()

        self.run_threads(lambda fn: fn(), [(hold,), (wait_for_it,)])
        if is_postgresql():
            self.assertEqual(outcome["setting"], str(round(timeout_s * 1000)))
        self.assertIsInstance(outcome.get("error"), OperationalError)
        expected = "lock timeout" if is_postgresql() else "database is locked"
        self.assertIn(expected, str(outcome["error"]))
        self.assertGreaterEqual(outcome["seconds"], timeout_s - 0.1)
        self.assertLess(outcome["seconds"], timeout_s + 5)  # a loaded host: late, never hanging
        self.assertEqual(Exam.objects.get(pk=exam.pk).title, "held")

    # Step 7: parallel test execution ------------------------------------------------------------

    def test_each_test_starts_empty_and_has_its_own_cache_namespace(self):
        for model in (Submission, Enrollment, DiscussionReply, ExamProblem, ProblemProgress):
            self.assertFalse(model.objects.exists(), model.__name__)
        prefix = settings.CACHES["default"]["KEY_PREFIX"]
        self.assertTrue(prefix.startswith("test-"))
        key = "courses:concurrency-probe"
        caches["default"].set(key, "mine", 60)
        # Another test (or another process of a parallel run) gets another namespace.
        other = {**settings.CACHES["default"], "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
        if other["BACKEND"].endswith("LocMemCache"):
            other["LOCATION"] = other["KEY_PREFIX"]
        with override_settings(CACHES={**settings.CACHES, "default": other}):
            self.assertIsNone(caches["default"].get(key))
            caches["default"].set(key, "theirs", 60)
        self.assertEqual(caches["default"].get(key), "mine")

    def test_two_test_processes_never_share_a_namespace(self):
        """Another test process, started with this one's environment (the same xdist worker
        name included), gets its own cache key prefix, Celery queue, "Run code" slot folder and
        test database: parallel workers, or two runs on one host, cannot see each other's."""
        from config.settings import test as ours

        code = (
            "import json, django; django.setup(); from django.conf import settings as s; "
            "print(json.dumps([s.CACHES['default']['KEY_PREFIX'], s.CELERY_TASK_DEFAULT_QUEUE, "
            "s.COURSES_FREE_RUN_SLOTS_DIR, s.DATABASES['default']['TEST']['NAME']]))"
        )
        completed = subprocess.run(
            [sys.executable, "-c", code],
            cwd=settings.BASE_DIR,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
            capture_output=True,
            text=True,
            timeout=60,
        )
        self.assertEqual(completed.returncode, 0, completed.stderr[-3000:])
        theirs = json.loads(completed.stdout.strip().splitlines()[-1])
        mine = [
            ours.CACHES["default"]["KEY_PREFIX"],
            ours.CELERY_TASK_DEFAULT_QUEUE,
            ours.COURSES_FREE_RUN_SLOTS_DIR,
            ours.DATABASES["default"]["TEST"]["NAME"],
        ]
        for what, own, other in zip(
            ["cache", "queue", "slots", "database"], mine, theirs, strict=True
        ):
            with self.subTest(what):
                self.assertIn(str(os.getpid()), own)
                self.assertNotEqual(own, other)

    def test_a_test_process_leaves_nothing_behind_in_the_temporary_folder(self):
        """A test process that made its "Run code" slots and its SQLite test database, and then
        exits without tearing anything down (an interrupted run), removes both at exit."""
        code = (
            "import os, django; django.setup(); from django.db import connection; "
            "from courses.services.code_executor import free_run_slots; free_run_slots(); "
            "connection.creation.create_test_db(verbosity=0, autoclobber=True) "
            "if connection.vendor == 'sqlite' else None; "
            "print(sorted(os.listdir(os.environ['TMPDIR'])))"
        )
        with tempfile.TemporaryDirectory() as folder:
            env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "TMPDIR": folder}
            env.pop("DATABASE_URL", None)  # SQLite: its test database is a file in TMPDIR
            completed = subprocess.run(
                [sys.executable, "-c", code],
                cwd=settings.BASE_DIR,
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            self.assertEqual(completed.returncode, 0, completed.stderr[-3000:])
            made = completed.stdout.strip().splitlines()[-1]
            self.assertIn("-slots", made)
            self.assertIn(".sqlite3", made)
            self.assertEqual(os.listdir(folder), [])

    def test_a_parallel_run_sends_the_time_limit_group_to_one_worker(self):
        """pytest-xdist groups by a marker our conftest adds at collection; added after xdist
        read the markers, it would group nothing and time-limit tests would run side by side
        (xdist then shows no ``@sandbox`` suffix on their node ids)."""
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
        grouped = "courses/tests/test_judging_templates.py::ValidateTemplateTestCase"
        plain = "courses/tests/test_settings.py::SecretKeyStartupTestCase"
        completed = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-p",
                "no:cacheprovider",
                "-n",
                "2",
                "--dist",
                "loadgroup",
                "-v",
                grouped,
                plain,
            ],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        output = completed.stdout + completed.stderr
        self.assertEqual(completed.returncode, 0, output[-3000:])
        grouped_ids = re.findall(r"ValidateTemplateTestCase::\w+(@\w+)?", output)
        self.assertTrue(grouped_ids, output[-3000:])
        self.assertEqual(set(grouped_ids), {"@sandbox"}, output[-3000:])
        self.assertNotIn(
            "SecretKeyStartupTestCase::test_debug_without_secret_key_starts_with_a_development_key@",
            output,
        )

    def test_a_subset_of_the_suite_passes_in_two_parallel_processes_on_sqlite(self):
        """``manage.py test --parallel 2``: each worker gets its own clone of the SQLite test
        database and its own cache namespaces; tests that write the same rows and cache keys
        (rosters, reply counters) pass side by side."""
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
        labels = [
            "courses.tests.test_api.EnrollmentCreateApiTestCase",
            "courses.tests.test_api_discussions.ThreadRepliesApiTestCase",
        ]
        started = time.monotonic()
        completed = subprocess.run(
            [sys.executable, "manage.py", "test", "--parallel", "2", "--noinput", *labels],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        elapsed = time.monotonic() - started
        output = completed.stdout + completed.stderr
        self.assertEqual(completed.returncode, 0, output[-3000:])
        self.assertIn("Cloning test database", output)  # the workers really ran in parallel
        ran = re.search(r"Ran (\d+) tests", output)
        self.assertIsNotNone(ran, output[-3000:])
        self.assertGreaterEqual(int(ran.group(1)), 8)
        self.assertRegex(output, r"\nOK\b")
        self.assertLess(elapsed, 30)
