"""Test plan Task 3.1: what the services write to the database, on SQLite and on PostgreSQL.

A ``TransactionTestCase``: the steps need real commits (judging is enqueued on commit, foreign
keys are checked at commit) and real threads. Failures are provoked in the database itself (a
CHECK constraint on PostgreSQL, a trigger on SQLite, a duplicate row, a missing parent), never
mocked. Judging uses the scripted backend: these tests are about what is saved, not how code runs.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F, ProtectedError
from django.test import TransactionTestCase, override_settings
from django.utils import timezone

from courses.judging.backends import shared_backend
from courses.judging.errors import BackendRejected
from courses.judging.types import Verdict
from courses.models import (
    ExamAttempt,
    Problem,
    ProblemProgress,
    ProblemTestCase,
    ReferenceSolution,
    Submission,
    SubmissionTestResult,
)
from courses.services.code_executor import CodeExecutorService
from courses.services.errors import AttemptAlreadyRunning, AttemptExpired, InvalidInput
from courses.services.exam_attempts import (
    exam_attempt_finish,
    exam_attempt_grant_extra_time,
    exam_attempt_start,
    exam_attempts_finish_expired,
)
from courses.services.submissions import rejudge, submission_claim, submission_create
from courses.tests import factories
from courses.tests.interleave import Choreography, postgresql_only, serial_on_sqlite
from courses.tests.scripted_backend import ScriptedBackend
from courses.tests.services.db_fixtures import (
    RIGHT,
    WRONG,
    answer,
    answering_backend,
    enroll,
    exam_with_problems,
    one_case_problem,
    refuse_progress_with_attempts,
    run_together,
    start_attempt,
)

SETTINGS_BACKEND = "courses.tests.services.db_fixtures.AnsweringBackend"


class DatabaseUpdateTestCase(TransactionTestCase):
    def setUp(self):
        self.user = factories.UserFactory()
        self.problem = one_case_problem()
        self.service = CodeExecutorService(backend=answering_backend())

    def create(self, code=RIGHT, user=None, **kwargs) -> Submission:
        return submission_create(
            user=user or self.user,
            problem=kwargs.pop("problem", self.problem),
            language="python",
            code=code,
            enqueue=kwargs.pop("enqueue", False),
            **kwargs,
        )

    def judged(self, code=RIGHT, user=None, **kwargs) -> Submission:
        return self.service.judge_submission(self.create(code, user, **kwargs).pk)

    def open_exam(self, *problems, **kwargs):
        now = timezone.now()
        return exam_with_problems(
            *problems,
            opens_at=now - timedelta(hours=1),
            closes_at=now + timedelta(days=1),
            **kwargs,
        )

    # Step 1: submission record creation --------------------------------------------------------

    def test_a_created_submission_is_a_pending_row_of_its_user_and_problem(self):
        before = timezone.now()
        submission = self.create()
        row = Submission.objects.select_related("user", "problem").get(pk=submission.pk)
        self.assertEqual(row.status, Verdict.PENDING)
        self.assertEqual((row.user, row.problem), (self.user, self.problem))
        self.assertEqual(list(self.user.submissions.all()), [row])
        self.assertEqual(list(self.problem.submissions.all()), [row])
        self.assertEqual((row.language, row.code), ("python", RIGHT))
        self.assertIsNone(row.exam_attempt)
        self.assertEqual(row.score, Decimal("0"))
        self.assertTrue(before <= row.created_at <= timezone.now())
        for unset in ("enqueued_at", "judging_started_at", "judged_at", "claim_id"):
            self.assertIsNone(getattr(row, unset), unset)
        self.assertFalse(row.test_results.exists())
        self.assertFalse(ProblemProgress.objects.exists())

    @override_settings(COURSES_JUDGE_BACKEND=SETTINGS_BACKEND)
    def test_an_enqueued_submission_stays_pending_until_its_row_is_committed(self):
        backend = shared_backend()
        runs_before = len(backend.batches)
        with transaction.atomic():
            submission = self.create(enqueue=True)
            row = Submission.objects.get(pk=submission.pk)
            self.assertEqual(row.status, Verdict.PENDING)
            self.assertIsNotNone(row.enqueued_at)
            self.assertEqual(len(backend.batches), runs_before, "judged before the commit")
        submission.refresh_from_db()
        self.assertEqual(submission.status, Verdict.ACCEPTED)
        self.assertEqual(len(backend.batches), runs_before + 1)
        self.assertGreaterEqual(submission.judging_started_at, submission.enqueued_at)

    # Step 2: status persistence and timestamps -------------------------------------------------

    def test_each_stage_of_judging_is_saved_with_its_timestamps(self):
        submission = self.create()
        during = {}

        def observe(request):
            row = Submission.objects.get(pk=submission.pk)
            during.update(
                status=row.status,
                claim_id=row.claim_id,
                judging_started_at=row.judging_started_at,
                lease_expires_at=row.lease_expires_at,
                judged_at=row.judged_at,
                in_transaction=connection.in_atomic_block,
            )
            return answer(request)

        CodeExecutorService(backend=ScriptedBackend(observe)).judge_submission(submission.pk)
        # While the code ran, the claim was committed and no transaction was held open.
        self.assertEqual(during["status"], Verdict.JUDGING)
        self.assertIsNotNone(during["claim_id"])
        self.assertGreaterEqual(during["judging_started_at"], submission.created_at)
        self.assertGreater(during["lease_expires_at"], during["judging_started_at"])
        self.assertIsNone(during["judged_at"])
        self.assertFalse(during["in_transaction"])
        row = Submission.objects.get(pk=submission.pk)
        self.assertEqual(row.status, Verdict.ACCEPTED)
        self.assertEqual(row.score, Decimal("1"))
        self.assertEqual(row.judging_started_at, during["judging_started_at"])
        self.assertGreaterEqual(row.judged_at, row.judging_started_at)
        self.assertIsNone(row.claim_id)
        self.assertIsNone(row.lease_expires_at)
        self.assertEqual((row.max_cpu_time_ms, row.peak_memory_kb), (4, 2048))
        self.assertEqual(row.judged_at.utcoffset(), timedelta(0))

    def test_a_judging_failure_is_saved_as_internal_error_and_not_counted(self):
        refused = BackendRejected("the judge refused the run")  # not an outage: no retry
        down = CodeExecutorService(backend=ScriptedBackend(error=refused))
        submission = down.judge_submission(self.create().pk)
        row = Submission.objects.get(pk=submission.pk)
        self.assertEqual(row.status, Verdict.INTERNAL_ERROR)
        self.assertIn("refused the run", row.error_text)
        self.assertIsNotNone(row.judged_at)
        self.assertIsNone(row.claim_id)
        self.assertFalse(row.test_results.exists())
        self.assertFalse(ProblemProgress.objects.filter(attempts__gt=0).exists())

    # Step 3: transaction atomicity -------------------------------------------------------------

    def test_a_failure_in_the_last_write_of_judging_leaves_nothing_half_saved(self):
        allow = refuse_progress_with_attempts(self)
        submission = self.create()
        with self.assertRaisesMessage(DatabaseError, "courses_test_refuse"):
            self.service.judge_submission(submission.pk)
        row = Submission.objects.get(pk=submission.pk)
        # Results and verdict were written before the progress row failed: all rolled back,
        # and the submission ends internal_error in a write of its own instead of staying claimed.
        self.assertFalse(SubmissionTestResult.objects.exists())
        self.assertFalse(ProblemProgress.objects.exists())
        self.assertEqual(row.status, Verdict.INTERNAL_ERROR)
        self.assertIn("could not be saved", row.error_text)
        self.assertIsNone(row.claim_id)
        self.assertEqual(row.score, Decimal("0"))
        # Once the database accepts writes again, a rejudge saves it all.
        allow()
        rejudge(submission=row)
        judged = self.service.judge_submission(row.pk)
        self.assertEqual(judged.status, Verdict.ACCEPTED)
        self.assertEqual(judged.test_results.count(), 1)
        self.assertEqual(ProblemProgress.objects.get().attempts, 1)

    def test_finishing_an_attempt_saves_its_end_score_and_pass_together(self):
        second = one_case_problem()
        exam = self.open_exam(self.problem, second, passing_percentage=Decimal("60"))
        attempt = start_attempt(exam=exam, user=self.user)
        self.judged(WRONG, exam_attempt=attempt)
        self.judged(RIGHT, exam_attempt=attempt)  # the best of the problem's submissions counts
        self.judged(WRONG, exam_attempt=attempt)
        factories.SubmissionFactory(
            user=self.user, problem=self.problem, exam_attempt=attempt, score=Decimal("0.5")
        )
        factories.SubmissionFactory(
            user=self.user, problem=second, exam_attempt=attempt, score=Decimal("0.2500")
        )
        factories.SubmissionFactory(user=self.user, problem=second, score=1)  # practice: ignored
        finished = exam_attempt_finish(attempt=attempt)
        row = ExamAttempt.objects.get(pk=attempt.pk)
        # 1 × 10 + 0.25 × 10 = 12.50 of 20; passing is 60 % = 12.00.
        self.assertEqual(exam.exam_problems.count(), 2)
        self.assertEqual(
            (row.finished_at, row.score, row.passed),
            (finished.finished_at, Decimal("12.50"), True),
        )

    # Step 4: concurrent updates ----------------------------------------------------------------

    def test_racing_workers_claim_one_submission_exactly_once(self):
        """Every worker reads whatever it reads before any of them writes (a forced interleaving,
        not a lucky one): a check-then-update claim gives the submission to all six, every run.
        Proven on both databases: SQLite's autocommit reads interleave just the same."""
        submission = self.create()
        workers = [f"worker {n}" for n in range(6)]

        def claim(name):
            with race.party(name, before=r'^UPDATE "courses_submission"'):
                return submission_claim(submission_id=submission.pk, lease=timedelta(minutes=5))

        with Choreography(*workers) as race:
            claims, errors = run_together(claim, [(name,) for name in workers])
        self.assertEqual(errors, [])
        winners = [claim for claim in claims if claim is not None]
        self.assertEqual(len(winners), 1, claims)
        row = Submission.objects.get(pk=submission.pk)
        self.assertEqual((row.status, row.claim_id), (Verdict.JUDGING, winners[0]))

    @serial_on_sqlite
    def test_one_students_submissions_judged_at_once_give_exact_progress(self):
        codes = [RIGHT, WRONG, WRONG, RIGHT, WRONG, RIGHT]
        submissions = [self.create(code) for code in codes]
        service = CodeExecutorService(backend=answering_backend())
        _, errors = run_together(service.judge_submission, [(s.pk,) for s in submissions])
        self.assertEqual(errors, [])
        statuses = [Submission.objects.get(pk=s.pk).status for s in submissions]
        expected = [Verdict.ACCEPTED if c == RIGHT else Verdict.WRONG_ANSWER for c in codes]
        self.assertEqual(statuses, expected)
        progress = ProblemProgress.objects.get()  # one row, however the threads interleaved
        self.assertEqual(progress.attempts, 6)
        self.assertEqual(progress.best_score, Decimal("1"))
        self.assertEqual(progress.status, ProblemProgress.Status.SOLVED)
        self.assertEqual(progress.first_solved_at, submissions[0].created_at)
        self.assertEqual(progress.last_submitted_at, submissions[-1].created_at)
        self.assertEqual(SubmissionTestResult.objects.count(), 6)

    @serial_on_sqlite
    def test_simultaneous_starts_of_one_exam_leave_one_running_attempt(self):
        exam = self.open_exam(self.problem, max_attempts=10)
        enroll(self.user, exam)
        started, errors = run_together(
            lambda: exam_attempt_start(exam=exam, user=self.user), [()] * 6
        )
        self.assertEqual(len(started), 1, errors)
        self.assertEqual([type(e) for e in errors], [AttemptAlreadyRunning] * 5)
        self.assertEqual(ExamAttempt.objects.get().pk, started[0].pk)

    # Step 4, the locks behind it, on PostgreSQL: each test forces the one interleaving its lock
    # exists for (courses/tests/interleave.py), so removing the lock fails it on every run.

    def judge_meeting_before(self, statement: str, first, second) -> ProblemProgress:
        """Judge ``first`` and ``second`` in two threads that both reach the first statement
        matching ``statement`` before either runs it; the one progress row afterwards."""

        def judge(name, submission):
            with race.party(name, before=statement):
                self.service.judge_submission(submission.pk)

        with Choreography("first", "second") as race:
            _, errors = run_together(judge, [("first", first), ("second", second)])
        self.assertEqual(errors, [])
        return ProblemProgress.objects.get()

    @postgresql_only
    def test_judgings_of_one_problem_wait_for_the_progress_row_and_count_each_other(self):
        """``progress_recompute`` locks the progress row before it aggregates. Without the lock,
        two judgings both aggregate before either writes the row (forced here), and the second
        write keeps only its own verdict: one attempt lost."""
        self.judged(WRONG)  # the row exists: a first judging creates it
        first, second = self.create(RIGHT), self.create(WRONG)
        progress = self.judge_meeting_before(r'^UPDATE "courses_problemprogress"', first, second)
        self.assertEqual(progress.attempts, 3)
        self.assertEqual(progress.status, ProblemProgress.Status.SOLVED)
        self.assertEqual(progress.first_solved_at, first.created_at)

    @postgresql_only
    def test_first_verdicts_of_one_problem_both_count_when_their_inserts_meet(self):
        """Without a progress row, ``progress_recompute`` counts, then inserts the row. Two
        first judgings both count before either inserts (forced here): the second insert waits
        for the first's commit and fails, and the second judging must then lock the row and
        count again. Keeping the row of the first alone would lose an attempt."""
        first, second = self.create(RIGHT), self.create(WRONG)
        progress = self.judge_meeting_before(
            r'^INSERT INTO "courses_problemprogress"', first, second
        )
        self.assertEqual(progress.attempts, 2)
        self.assertEqual(progress.status, ProblemProgress.Status.SOLVED)
        self.assertEqual(progress.first_solved_at, first.created_at)

    @postgresql_only
    def test_extra_time_granted_while_the_periodic_task_finishes_the_attempt_is_kept(self):
        """Staff give an expired, unfinished attempt (a crash) 30 minutes just as the periodic
        task finishes expired attempts. The grant reads the attempt first (forced), so it wins:
        the task, waiting for the attempt's lock, sees the new deadline and leaves it running.
        Without the grant's lock the task finishes the attempt under it, and the grant then
        "succeeds" on a finished attempt; without the task's, it finishes a running one."""
        now = timezone.now()
        exam = self.open_exam(self.problem, duration_minutes=30)
        attempt = start_attempt(exam=exam, user=self.user, now=now - timedelta(minutes=50))
        expired_at = attempt.deadline
        outcome = {}

        def grant():
            with race.party("grant", after=r'FROM "courses_examattempt"'):
                outcome["granted"] = exam_attempt_grant_extra_time(attempt=attempt, minutes=30)

        def finish():
            race.reached("grant")
            with race.party("finish"):
                outcome["finished"] = exam_attempts_finish_expired()

        with Choreography("grant", "finish") as race:
            _, errors = run_together(lambda job: job(), [(grant,), (finish,)])
        self.assertEqual(errors, [])
        row = ExamAttempt.objects.get(pk=attempt.pk)
        self.assertEqual(outcome["finished"], 0)
        self.assertIsNone(row.finished_at)
        self.assertEqual(
            (row.deadline, row.extra_time_minutes), (expired_at + timedelta(minutes=30), 30)
        )
        self.assertEqual(outcome["granted"].deadline, row.deadline)

    @postgresql_only
    def test_an_exam_submission_keeps_its_attempt_locked_until_it_commits(self):
        """The attempt stays locked from the submission's admission to its commit, so a finish
        that comes meanwhile waits, then scores with the submission in. Forced: the submission
        is admitted, and the finish starts, before the submission's row is written. Without the
        lock the finish scores the attempt without it and the submission lands in a finished
        attempt."""
        exam = self.open_exam(self.problem)
        attempt = start_attempt(exam=exam, user=self.user)
        seen_by_finish: list[int] = []

        def count_once_locked(execute, sql, params, many, context):
            result = execute(sql, params, many, context)
            if not seen_by_finish and re.search(r'"courses_examattempt".*FOR UPDATE', sql, re.S):
                with context["connection"].connection.cursor() as cursor:  # the same transaction
                    cursor.execute(
                        "SELECT count(*) FROM courses_submission WHERE exam_attempt_id = %s",
                        [attempt.pk],
                    )
                    seen_by_finish.append(cursor.fetchone()[0])
            return result

        def submit():
            with race.party("submit", before=r'^INSERT INTO "courses_submission"'):
                self.create(exam_attempt=attempt)

        def finish():
            race.reached("submit")
            with race.party("finish"), connection.execute_wrapper(count_once_locked):
                exam_attempt_finish(attempt=attempt)

        with Choreography("submit", "finish") as race:
            _, errors = run_together(lambda job: job(), [(submit,), (finish,)])
        self.assertEqual(errors, [])
        self.assertEqual(seen_by_finish, [1])  # the finish got the lock after the commit
        self.assertIsNotNone(ExamAttempt.objects.get(pk=attempt.pk).finished_at)
        self.assertEqual(Submission.objects.filter(exam_attempt=attempt).count(), 1)

    # Step 5: data consistency ------------------------------------------------------------------

    def test_a_dangling_foreign_key_is_refused_and_nothing_is_kept(self):
        missing = (Problem.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 99
        rows = {
            "submission.problem": lambda: Submission(
                user=self.user, problem_id=missing, language="python", code=RIGHT
            ),
            "progress.user": lambda: ProblemProgress(user_id=missing, problem=self.problem),
            "test_case.problem": lambda: ProblemTestCase(problem_id=missing, order=5),
        }
        # Both databases check foreign keys at commit (they are DEFERRABLE INITIALLY DEFERRED):
        # the error comes when the transaction ends, and nothing is kept.
        for name, build in rows.items():
            with (
                self.subTest(foreign_key=name),
                self.assertRaises(IntegrityError),
                transaction.atomic(),
            ):
                build().save()
        self.assertEqual(Submission.objects.count(), 0)
        self.assertEqual(ProblemProgress.objects.count(), 0)
        self.assertEqual(ProblemTestCase.objects.count(), 1)

    def test_judged_rows_point_at_existing_related_objects(self):
        problem = one_case_problem(cases=3)
        exam = self.open_exam(problem)
        attempt = start_attempt(exam=exam, user=self.user)
        submission = self.judged(RIGHT, problem=problem, exam_attempt=attempt)
        results = SubmissionTestResult.objects.filter(submission=submission)
        self.assertEqual(results.count(), 3)
        self.assertFalse(
            results.exclude(test_case__problem_id=F("submission__problem_id")).exists()
        )
        self.assertEqual(submission.exam_attempt.user, submission.user)
        self.assertEqual(submission.exam_attempt.exam.exam_problems.get().problem, problem)
        progress = ProblemProgress.objects.select_related("user", "problem").get()
        self.assertEqual((progress.user, progress.problem), (self.user, problem))
        connection.check_constraints()  # raises IntegrityError on any dangling foreign key

    def test_an_exam_submission_must_be_the_students_own_and_for_an_exam_problem(self):
        exam = self.open_exam(self.problem)
        attempt = start_attempt(exam=exam, user=self.user)
        with self.assertRaisesMessage(InvalidInput, "belongs to another student"):
            self.create(user=factories.UserFactory(), exam_attempt=attempt)
        with self.assertRaisesMessage(InvalidInput, "not part of the exam"):
            self.create(problem=one_case_problem(), exam_attempt=attempt)
        self.assertFalse(Submission.objects.exists())

    # Step 6: rollback on failure ---------------------------------------------------------------

    @override_settings(COURSES_JUDGE_BACKEND=SETTINGS_BACKEND)
    def test_a_database_error_rolls_back_the_transaction_and_its_enqueue(self):
        backend = shared_backend()
        runs_before = len(backend.batches)
        with self.assertRaises(IntegrityError), transaction.atomic():
            self.create(enqueue=True)
            ProblemProgress.objects.create(user=self.user, problem=self.problem)
            ProblemProgress.objects.create(user=self.user, problem=self.problem)  # unique
        self.assertFalse(Submission.objects.exists())
        self.assertFalse(ProblemProgress.objects.exists())
        self.assertEqual(len(backend.batches), runs_before, "a rolled-back row was judged")

    def test_a_failed_savepoint_rolls_back_only_its_own_writes(self):
        exam = self.open_exam(self.problem)
        with transaction.atomic():
            kept = self.create()
            with self.assertRaises(IntegrityError), transaction.atomic():
                start_attempt(exam=exam, user=self.user)
                ProblemProgress.objects.create(user=self.user, problem=self.problem)
                ProblemProgress.objects.create(user=self.user, problem=self.problem)
        self.assertEqual(list(Submission.objects.values_list("pk", flat=True)), [kept.pk])
        self.assertFalse(ExamAttempt.objects.exists())
        self.assertFalse(ProblemProgress.objects.exists())
        # No unfinished attempt was left behind to block the student.
        self.assertEqual(start_attempt(exam=exam, user=self.user).user, self.user)

    def test_a_refused_exam_submission_saves_nothing(self):
        now = timezone.now()
        exam = exam_with_problems(
            self.problem, opens_at=now - timedelta(hours=3), closes_at=now + timedelta(hours=3)
        )
        attempt = start_attempt(exam=exam, user=self.user, now=now - timedelta(hours=2))
        with self.assertRaises(AttemptExpired):
            self.create(exam_attempt=attempt)
        self.assertFalse(Submission.objects.exists())
        self.assertIsNone(ExamAttempt.objects.get().finished_at)

    # Step 7: cascade deletion ------------------------------------------------------------------

    def test_a_problem_with_submissions_cannot_be_deleted_and_keeps_everything(self):
        self.judged(RIGHT)
        counts = self.counts()
        with self.assertRaises(ProtectedError):
            self.problem.delete()
        self.assertEqual(self.counts(), counts)
        self.assertEqual(counts[ProblemTestCase], 1)

    def test_a_problem_without_submissions_deletes_with_its_test_data(self):
        other = one_case_problem(cases=2)
        ReferenceSolution.objects.create(problem=self.problem, language="python", code=RIGHT)
        self.problem.delete()
        self.assertEqual(
            list(ProblemTestCase.objects.values_list("problem_id", flat=True)),
            [other.pk, other.pk],
        )
        self.assertFalse(ReferenceSolution.objects.exists())
        connection.check_constraints()

    def test_deleting_a_user_deletes_their_work_and_only_theirs(self):
        other = factories.UserFactory()
        exam = self.open_exam(self.problem)
        attempt = start_attempt(exam=exam, user=self.user)
        self.judged(RIGHT, exam_attempt=attempt)
        exam_attempt_finish(attempt=attempt)
        self.judged(WRONG)
        kept = self.judged(RIGHT, user=other)
        self.assertEqual(Submission.objects.count(), 3)

        self.user.delete()

        self.assertEqual(list(Submission.objects.values_list("pk", flat=True)), [kept.pk])
        self.assertEqual(
            list(SubmissionTestResult.objects.values_list("submission_id", flat=True)), [kept.pk]
        )
        progress_owners = list(ProblemProgress.objects.values_list("user_id", flat=True))
        self.assertEqual(progress_owners, [other.pk])
        self.assertFalse(ExamAttempt.objects.exists())
        exam.refresh_from_db()  # the exam and the problem stay, with their test data
        self.assertEqual(ProblemTestCase.objects.filter(problem=self.problem).count(), 1)
        connection.check_constraints()

    def test_deleting_the_only_submitter_lets_the_problem_go(self):
        self.judged(RIGHT)
        self.user.delete()
        self.problem.delete()
        self.assertFalse(Problem.objects.filter(pk=self.problem.pk).exists())
        self.assertFalse(ProblemTestCase.objects.exists())
        self.assertFalse(ProblemProgress.objects.exists())

    def counts(self) -> dict:
        models = (Problem, ProblemTestCase, Submission, SubmissionTestResult, ProblemProgress)
        return {model: model.objects.count() for model in models}
