"""What the database and time-based service tests share: problems, scripted judging, threads.

Judging here is about what the services write, not about running code, so it uses the scripted
backend: a run prints the right answer exactly when the student's code carries ``# right``.
"""

from __future__ import annotations

import json
import threading
from decimal import Decimal

from django.db import connection, connections

from courses.judging.types import Outcome, RunRequest, RunResult
from courses.models import Enrollment
from courses.services.exam_attempts import exam_attempt_start
from courses.tests import factories
from courses.tests.scripted_backend import ScriptedBackend

RIGHT = "def solve(a, b):\n    return a + b  # right\n"
WRONG = "def solve(a, b):\n    return a - b  # wrong\n"


def answer(request: RunRequest) -> RunResult:
    """``3`` (the answer of the one case ``[1, 2]``) for right code, ``-1`` for wrong code."""
    stdout = b"3\n" if "# right" in request.source else b"-1\n"
    return RunResult(outcome=Outcome.OK, stdout=stdout, cpu_time_ms=4, memory_kb=2048)


def answering_backend() -> ScriptedBackend:
    return ScriptedBackend(answer)


class AnsweringBackend(ScriptedBackend):
    """The same, named in settings by dotted path (``COURSES_JUDGE_BACKEND``)."""

    default_script = staticmethod(answer)


def one_case_problem(cases: int = 1, **kwargs):
    """A function-style problem ``solve(1, 2) == 3``, with ``cases`` identical test cases."""
    problem = factories.ProblemFactory(**kwargs)
    for order in range(cases):
        factories.ProblemTestCaseFactory(
            problem=problem,
            order=order,
            input=json.dumps([1, 2]),
            expected_output="3",
            is_sample=order == 0,
        )
    return problem


def exam_with_problems(*problems, opens_at, closes_at, duration_minutes=60, **kwargs):
    """An exam worth 10 points per problem (kept in ``total_score`` by the ExamProblem signals)."""
    exam = factories.ExamFactory(
        opens_at=opens_at, closes_at=closes_at, duration_minutes=duration_minutes, **kwargs
    )
    for order, problem in enumerate(problems):
        factories.ExamProblemFactory(exam=exam, problem=problem, score=Decimal("10"), order=order)
    return exam


def enroll(user, exam) -> None:
    """Make ``user`` an active student of the exam's course (once)."""
    Enrollment.objects.get_or_create(user=user, course_id=exam.course_id)


def start_attempt(*, exam, user, now=None):
    """``exam_attempt_start`` for an active student of the exam's course, enrolled here first:
    these tests are about time and data, not about who may start (test_services_exams is)."""
    enroll(user, exam)
    return exam_attempt_start(exam=exam, user=user, now=now)


def refuse_progress_with_attempts(testcase) -> None:
    """Make the database refuse any ``ProblemProgress`` row with attempts: a real failure.

    The progress row is the last write of a judging transaction (after the results and the
    verdict), so this fails that transaction at its very end. PostgreSQL: a ``NOT VALID`` CHECK
    constraint (existing rows are not checked); SQLite, which cannot add constraints: triggers.
    """
    table = "courses_problemprogress"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"ALTER TABLE {table} ADD CONSTRAINT courses_test_refuse "
                "CHECK (attempts = 0) NOT VALID"
            )
        else:
            for event in ("INSERT", "UPDATE"):
                cursor.execute(
                    f"CREATE TRIGGER courses_test_refuse_{event.lower()} BEFORE {event} "
                    f"ON {table} WHEN NEW.attempts > 0 "
                    "BEGIN SELECT RAISE(ABORT, 'courses_test_refuse'); END"
                )

    def allow():
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS courses_test_refuse")
            else:
                cursor.execute("DROP TRIGGER IF EXISTS courses_test_refuse_insert")
                cursor.execute("DROP TRIGGER IF EXISTS courses_test_refuse_update")

    testcase.addCleanup(allow)
    return allow


def run_together(target, jobs, timeout: float = 60) -> tuple[list, list[BaseException]]:
    """Run ``target(*job)`` for each job in its own thread, released together by a barrier.

    Returns (results, exceptions); each thread closes its own database connections.
    """
    barrier = threading.Barrier(len(jobs))
    results: list = []
    errors: list[BaseException] = []

    def run(job):
        try:
            barrier.wait(timeout)
            results.append(target(*job))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    if any(thread.is_alive() for thread in threads):
        errors.append(TimeoutError("a thread did not finish"))
    return results, errors
