"""Issue 12's acceptance count: Judge0 submissions created per graded submission under each fault,
and graded submissions lost, in one test run (written to docs/reliability.md).

Each row judges one graded 10-case C submission (one Judge0 submission per case: a set is 10
tokens) through the real path — ``submission_create``, the inline queue, the periodic requeue,
the Judge0 backend — on the fake Judge0 with one fault scripted. "Lost" is a submission not
``accepted`` once the fault is over and the requeue has run; no row needs the staff. The bound
is one set per try (``jobs``), and each row's expected tries give its bound in sets.
``JUDGE0_RELIABILITY_TABLE=<path>`` writes the table there; it is printed too.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.test import TransactionTestCase, override_settings

from courses.judging.backends.judge0 import CircuitBreaker, clear_language_cache
from courses.judging.types import Verdict
from courses.services.submissions import submission_create
from courses.tests import factories
from courses.tests.fakes.judge0 import FakeJudge0, Fault
from courses.tests.judge0_support import (
    BATCH_GET,
    BATCH_POST,
    C_SUM,
    QUICK_JUDGE0,
    TOKEN,
    graded_problem,
    settle,
)

CASES = 10
HTML = "<!DOCTYPE html><html><body><h1>We're sorry, but something went wrong.</h1></body></html>"


@dataclass
class Row:
    fault: str
    #: How many sets of tokens this fault may cost at most: one per try it takes.
    bound_sets: int
    arrange: Callable[[FakeJudge0], None]
    created: int = 0
    tries: int = 0
    status: str = ""


def _config(**changes) -> Callable[[FakeJudge0], None]:
    def arrange(fake: FakeJudge0) -> None:
        fake.config.update(changes)

    return arrange


def _script(route: str, fault: Fault, times: int | None = 1, seconds: float | None = None):
    def arrange(fake: FakeJudge0) -> None:
        fake.script(route, fault, times, seconds=seconds)

    return arrange


def _forget_after_create(fake: FakeJudge0) -> None:
    fake.script(BATCH_POST, Fault(mutate=lambda doc: (fake.forget(), doc)[1]))


def _every(change: Callable[[dict], None]) -> Callable[[dict], dict]:
    def mutate(doc: dict) -> dict:
        for entry in doc["submissions"]:
            change(entry)
        return doc

    return mutate


ROWS = [
    Row("none", 1, lambda fake: None),
    Row("lost answer to a create (once)", 2, _script(BATCH_POST, Fault(drop_after=True))),
    Row(
        "lost answer to a create (3 tries in a row)",
        4,
        _script(BATCH_POST, Fault(drop_after=True), times=3),
    ),
    Row(
        "a create that hangs past the request deadline (twice)",
        1,
        _script(BATCH_POST, Fault(hang=True), times=2),
    ),
    Row(
        "504 answering a create Judge0 made (twice)",
        3,
        _script(BATCH_POST, Fault(status=504, body=HTML, content_type="text/html", acted=True), 2),
    ),
    Row(
        "HTML page with 200 answering a create (twice)",
        1,
        _script(BATCH_POST, Fault(status=200, body=HTML, content_type="text/html"), times=2),
    ),
    Row("trickled create answer (twice)", 3, _script(BATCH_POST, Fault(trickle_s=0.25), 2)),
    Row(
        "500 answering a create (5 times: past the client's retries)",
        1,
        _script(BATCH_POST, Fault(status=500, body=HTML), times=5),
    ),
    Row(
        "429 with Retry-After: 3600 on a create",
        1,
        _script(BATCH_POST, Fault(status=429, headers={"Retry-After": "3600"})),
    ),
    Row("Judge0's queue stuck past the wait budget (the retry)", 1, lambda fake: fake.pause()),
    Row(
        "status 13 on every run for 2 tries",
        3,
        lambda fake: fake.force_status(13, times=2 * CASES, message="rb_sysopen - /box"),
    ),
    Row("status 14 once", 2, lambda fake: fake.force_status(14, message="Exec format error")),
    Row("10-second outage", 1, lambda fake: fake.outage(10)),
    Row(
        "HTML error pages while polling (3)",
        1,
        _script(BATCH_GET, Fault(status=200, body=HTML, content_type="text/html"), times=3),
    ),
    Row(
        "502s for 8 s while polling",
        1,
        _script(BATCH_GET, Fault(status=502, body=HTML, content_type="text/html"), seconds=8),
    ),
    Row(
        "400 answering polls (3)",
        1,
        _script(BATCH_GET, Fault(status=400, body={"error": "x"}), times=3),
    ),
    Row(
        "memory -5 in results (3 polls)",
        1,
        _script(BATCH_GET, Fault(mutate=_every(lambda e: e.update(memory=-5))), times=3),
    ),
    Row("truncated poll answer", 1, _script(BATCH_GET, Fault(truncate=20))),
    Row("trickled poll answer", 1, _script(BATCH_GET, Fault(trickle_s=0.25))),
    Row("Judge0 forgot the tokens (database reset)", 2, _forget_after_create),
    Row("batches disabled", 1, _config(enable_batched_submissions=False)),
    Row("batches of at most 10", 1, _config(max_submission_batch_size=10)),
]


@override_settings(
    COURSES_JUDGE_BACKEND=QUICK_JUDGE0,
    JUDGE0_TEST_WAIT_SECONDS=4.0,
    COURSES_JUDGE_RETRY_FIRST_DELAY_SECONDS=0.3,
    COURSES_JUDGE_RETRY_MAX_DELAY_SECONDS=1.0,
    COURSES_PENDING_REQUEUE_SECONDS=3600,
)
class Judge0FaultTableTestCase(TransactionTestCase):
    def test_judge0_submissions_per_graded_submission_under_each_fault(self):
        user = factories.UserFactory()
        problem = graded_problem(CASES, language="c")
        for row in ROWS:
            with self.subTest(fault=row.fault):
                self.run_row(row, user, problem)
        table = self.table()
        print("\n" + table)
        path = os.environ.get("JUDGE0_RELIABILITY_TABLE")
        if path:
            with open(path, "w", encoding="utf-8") as out:
                out.write(table + "\n")
        self.assertEqual([r.fault for r in ROWS if r.status != Verdict.ACCEPTED], [], "lost")
        for row in ROWS:
            self.assertLessEqual(row.created, row.tries * CASES, f"{row.fault}: one set per try")
            self.assertLessEqual(row.created, row.bound_sets * CASES, row.fault)
        self.assertEqual(ROWS[0].created, CASES)

    def run_row(self, row: Row, user, problem) -> None:
        with FakeJudge0(auth_token=TOKEN) as fake, self.settings(JUDGE0_URL=fake.url):
            clear_language_cache()
            CircuitBreaker(fake.url).reset()
            row.arrange(fake)
            submission = submission_create(user=user, problem=problem, language="c", code=C_SUM)
            if row.fault.startswith("Judge0's queue stuck"):
                time.sleep(0.5)
                fake.resume()
            judged = settle(submission.pk, timeout_s=40)
            row.created, row.status = fake.created, judged.status
            row.tries = judged.judge_failures + 1

    @staticmethod
    def table() -> str:
        lines = [
            f"| fault (one graded {CASES}-case C submission) | Judge0 submissions created "
            "| sets of tokens | tries | bound (sets) | final status |",
            "|---|---|---|---|---|---|",
        ]
        for row in ROWS:
            lines.append(
                f"| {row.fault} | {row.created} | {row.created / CASES:g} | {row.tries} "
                f"| {row.bound_sets} | {row.status} |"
            )
        lost = sum(1 for row in ROWS if row.status != Verdict.ACCEPTED)
        lines.append(f"\nGraded submissions lost: {lost} of {len(ROWS)}.")
        return "\n".join(lines)
