"""Judge0 stopped and restarted under the scaled deployment, with real processes (issue 13):
gunicorn and a Celery worker on a real Redis and PostgreSQL (``courses.tests.stack_support``),
judging on the fake Judge0 (a real HTTP server in this test process, which the worker reaches
over loopback).

Submissions made while Judge0 is down wait ``pending`` with a ``retry_at`` (issue 12's outage
rule); once it is back, the periodic sweep (beat) sends them again and each is judged. Its
counts are printed (``STACK-FIGURES``) for ``docs/reliability.md``.
"""

from __future__ import annotations

import time
import uuid

from courses.tests.fakes.judge0 import FakeJudge0
from courses.tests.stack_support import ADD, ModuleStack, StackTestCase, record
from scripts.stack import Worker

MODULE_STACK = ModuleStack()
TOKEN = "stack-judge0-token"


def setUpModule() -> None:
    StackTestCase.module_stack = MODULE_STACK


def tearDownModule() -> None:
    MODULE_STACK.stop()


class Judge0OutageTestCase(StackTestCase):
    workers = (Worker("judge0", ["live", "run", "bulk"], 2),)

    @classmethod
    def setUpClass(cls) -> None:
        cls.fake = FakeJudge0(auth_token=TOKEN).start()
        try:
            super().setUpClass()
        except BaseException:
            cls.fake.stop()
            raise
        cls.addClassCleanup(cls.fake.stop)

    @classmethod
    def settings_for_class(cls) -> dict[str, str]:
        return {
            "COURSES_JUDGE_BACKEND": "judge0",
            "JUDGE0_URL": cls.fake.url,
            "JUDGE0_AUTH_TOKEN": TOKEN,
            "JUDGE0_WAIT_SECONDS": "6",
            "JUDGE0_REQUEST_TIMEOUT_SECONDS": "2",
            "JUDGE0_CONNECT_TIMEOUT_SECONDS": "1",
            "JUDGE0_CIRCUIT_COOLDOWN_SECONDS": "1",
            # Judge0's deadlines must stay below the lease (the backend refuses otherwise).
            "COURSES_JUDGING_LEASE_SECONDS": "30",
        }

    def test_submissions_queued_while_judge0_is_down_complete_once_it_is_back(self):
        problem = self.make_problem(cases=3)
        auth = self.token("instructor")
        with self.http() as client:

            def submit() -> int:
                answer = client.post(
                    f"/api/v1/problems/{problem}/submissions/",
                    headers=auth,
                    json={"language": "python", "code": ADD.format(nonce=uuid.uuid4().hex)},
                )
                self.assertEqual(answer.status_code, 202, answer.text)
                return answer.json()["id"]

            first = submit()
            self.assertEqual(self.wait_until_final([first], 60), {first: "accepted"})

            self.fake.stop()
            stopped_at = time.monotonic()
            ids = [submit() for _ in range(6)]
            # Each is tried, fails for want of Judge0, and waits for its retry (issue 12).
            deadline = time.monotonic() + 60
            while True:
                waiting = self.sql(
                    "SELECT count(*) FROM courses_submission WHERE id = ANY(%s) "
                    "AND status = 'pending' AND judge_failures > 0",
                    (ids,),
                )[0][0]
                if waiting == len(ids) or time.monotonic() > deadline:
                    break
                time.sleep(0.25)
            self.assertEqual(waiting, len(ids), "every submission waits after its failed try")
            self.assertEqual(set(self.statuses(ids).values()), {"pending"})
            down_for = time.monotonic() - stopped_at

            self.fake.start()
            back_at = time.monotonic()
            statuses = self.wait_until_final(ids, timeout=120)
            judged_after = time.monotonic() - back_at
        failures = dict(
            self.sql("SELECT id, judge_failures FROM courses_submission WHERE id = ANY(%s)", (ids,))
        )
        lost = sum(1 for status in statuses.values() if status != "accepted")
        record(
            "judge0-outage",
            {
                "submissions_while_down": len(ids),
                "submissions_lost": lost,
                "judge0_down_for_s": round(down_for, 1),
                "all_judged_after_judge0_back_s": round(judged_after, 1),
                "failed_tries_per_submission_max": max(failures.values()),
            },
        )
        self.assertEqual(lost, 0, statuses)
        text = self.metrics_text()
        self.assertGreaterEqual(
            self.metric(text, "codecourses_judging_failures_total", kind="outage"), len(ids)
        )
        self.assertEqual(
            self.metric(text, "codecourses_verdicts_total", verdict="accepted"), len(ids) + 1
        )
