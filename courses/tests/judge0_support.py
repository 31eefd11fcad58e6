"""Shared pieces of the Judge0 tests: the fake Judge0 started once per class with backends to
it (``FakeJudge0Mixin``), and for the reliability tests (issue 12) a quick backend, a checkpoint
in memory, a graded problem, and settling a submission through the periodic requeue."""

from __future__ import annotations

import json
import time

from django.conf import settings

from courses.judging import templates
from courses.judging.backends.judge0 import CircuitBreaker, Judge0Backend, clear_language_cache
from courses.judging.types import Limits, RunRequest, Verdict
from courses.models import Submission
from courses.tasks import requeue_stale_submissions
from courses.tests import factories
from courses.tests.fakes.judge0 import FakeJudge0

TOKEN = "s3cret-token"
FAST = Limits(cpu_time_ms=1000, wall_time_ms=2000, memory_kb=128 * 1024, output_bytes=64 * 1024)
ADD = "def add(a, b):\n    return a + b\n"
SOLVE = "def solve(a, b):\n    return a + b\n"
C_SUM = (
    '#include <stdio.h>\nint main(void){long a,b;scanf("%ld %ld",&a,&b);printf("%ld\\n",a+b);}\n'
)
BATCH_GET = "GET /submissions/batch"
BATCH_POST = "POST /submissions/batch"
FINAL = {v.value for v in Verdict if v.is_final}


class FakeJudge0Mixin:
    """A test class's fake Judge0, started once and reset before each test, and ``backend()``:
    a ``Judge0Backend`` to it (closed after the test) with the class's ``backend_defaults``."""

    fake: FakeJudge0

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fake = FakeJudge0(auth_token=TOKEN).start()

    @classmethod
    def tearDownClass(cls):
        cls.fake.close()
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        clear_language_cache()
        self.fake.reset_script()
        self.fake.start()
        self._backends: list[Judge0Backend] = []

    def tearDown(self):
        for backend in self._backends:
            backend.close()
        super().tearDown()

    def backend_defaults(self) -> dict:
        """Options every backend of the class gets unless the test gives its own."""
        return {}

    def backend(self, url: str | None = None, **options) -> Judge0Backend:
        """A backend to ``url`` (the fake's by default), with a fresh circuit breaker that a
        test's faults will not open by accident (``circuit=None``: none)."""
        url = url or self.fake.url
        options = {"auth_token": TOKEN, "max_wait_s": 20.0, **self.backend_defaults(), **options}
        if "circuit" not in options:
            options["circuit"] = CircuitBreaker(url, failure_threshold=50, cooldown_s=0.4)
        if options["circuit"]:
            options["circuit"].reset()
        backend = Judge0Backend(url, **options)
        self._backends.append(backend)
        return backend


#: Ten cases under these limits fit one harness submission (worst case within Judge0's maxima).
SMALL = Limits(cpu_time_ms=250, wall_time_ms=1500, memory_kb=128 * 1024, output_bytes=64 * 1024)


def add_requests(count: int, limits: Limits = SMALL) -> list[RunRequest]:
    source = templates.wrap("python", ADD, "add")
    return [RunRequest("python", source, f"[{i}, 1]".encode(), limits) for i in range(count)]


def print_requests(count: int) -> list[RunRequest]:
    return [RunRequest("python", "print(input())", f"{i}\n".encode(), FAST) for i in range(count)]


class MemoryCheckpoint:
    """A ``Checkpoint`` kept in memory, as the service keeps one on the submission row."""

    def __init__(self) -> None:
        self.state: dict | None = None
        self.saves = 0

    def load(self) -> dict | None:
        return self.state

    def save(self, state: dict) -> None:
        self.state = json.loads(json.dumps(state))  # JSON-able, as a JSONField stores it
        self.saves += 1


class QuickJudge0(Judge0Backend):
    """Judge0 as the Celery task builds it (from settings), with the tests' short limits.

    Its wait budget is the test setting ``JUDGE0_TEST_WAIT_SECONDS``: named ``JUDGE0_*`` so that
    a test overriding it gets a backend of its own (``shared_backend`` keys on those settings;
    under another name the first test of a class fixed the budget for the others).
    """

    @classmethod
    def from_settings(cls) -> QuickJudge0:
        url = settings.JUDGE0_URL
        return cls(
            url,
            auth_token=TOKEN,
            connect_timeout_s=1.0,
            read_timeout_s=2.0,
            max_retry_time_s=2.0,
            max_wait_s=getattr(settings, "JUDGE0_TEST_WAIT_SECONDS", 10.0),
            circuit=CircuitBreaker(url, failure_threshold=50, cooldown_s=0.5),
        )


QUICK_JUDGE0 = f"{__name__}.QuickJudge0"


def graded_problem(cases: int = 10, language: str = "python", **fields):
    """A problem of ``cases`` cases adding two numbers: function-style Python, or stdio C.

    Its 250 ms time limit lets ten Python cases travel in one harness submission on Judge0, so
    one set of tokens is one token; in C every case is a submission of its own.
    """
    fields.setdefault("time_limit_ms", 250)
    if language == "c":
        fields.update(io_mode="stdio", checker="tokens", allowed_languages=["c"])
    problem = factories.ProblemFactory(**fields)
    for order in range(cases):
        factories.ProblemTestCaseFactory(
            problem=problem,
            order=order,
            input=f"{order} 1" if language == "c" else json.dumps([order, 1]),
            expected_output=str(order + 1),
            is_sample=order == 0,
        )
    return problem


def settle(submission_id: int, *, timeout_s: float, step_s: float = 0.2) -> Submission:
    """Run the periodic requeue until the submission is final (or ``timeout_s`` passes)."""
    deadline = time.monotonic() + timeout_s
    while True:
        submission = Submission.objects.get(pk=submission_id)
        if submission.status in FINAL or time.monotonic() >= deadline:
            return submission
        time.sleep(step_s)
        requeue_stale_submissions.apply()
