"""What the API tests share: the error-shape assertion, clients, scripted backends and a course
with one user of every role.

Judging in API tests goes through scripted backends named in settings by dotted path
(``backend_path``): no code runs (the sandbox has its own suites, and the end-to-end test runs
the real one). Each test reads the configured cache (local memory, or Redis under
``REDIS_URL``) in a fresh key prefix (``ApiTestMixin``).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from courses.judging.errors import BackendUnavailable, ExecutorBusy
from courses.judging.types import Outcome, RunResult, Verdict
from courses.models import Enrollment, Submission, SubmissionTestResult
from courses.tests import factories
from courses.tests.scripted_backend import ScriptedBackend
from courses.tests.signals.support import FreshCacheMixin

ADD = "def solve(a, b):\n    return a + b\n"


class AcceptingBackend(ScriptedBackend):
    """Every run is clean and prints ``3`` (the answer of the ``[1, 2]`` cases below)."""

    default_script = RunResult(outcome=Outcome.OK, stdout=b"3\n", cpu_time_ms=7, memory_kb=900)


class WrongBackend(ScriptedBackend):
    default_script = RunResult(outcome=Outcome.OK, stdout=b"4\n", cpu_time_ms=7, memory_kb=900)


class UnreachableBackend(ScriptedBackend):
    default_script = BackendUnavailable("judge0 is unreachable: connection refused")


class BusyBackend(ScriptedBackend):
    """Every sandbox slot of the host is taken (the local backend's own ``ExecutorBusy``)."""

    default_script = ExecutorBusy("all 64 sandbox uids from 60000 are in use")


def backend_path(cls: type) -> str:
    """The dotted path ``COURSES_JUDGE_BACKEND`` takes for a backend class."""
    return f"{cls.__module__}.{cls.__qualname__}"


class ApiAssertions:
    def assertError(self, response, http_status: int, code: str, fields=None):
        """The one error shape, exactly; ``fields`` (when given) the exact field names."""
        self.assertEqual(response.status_code, http_status, response.content)
        self.assertEqual(response["Content-Type"], "application/json")
        body = response.json()
        self.assertEqual(set(body), {"error"})
        self.assertEqual(set(body["error"]), {"code", "message", "fields"})
        self.assertEqual(body["error"]["code"], code)
        self.assertIsInstance(body["error"]["message"], str)
        self.assertTrue(body["error"]["message"])
        self.assertIsInstance(body["error"]["fields"], dict)
        if fields is not None:
            self.assertEqual(set(body["error"]["fields"]), set(fields))
        return body["error"]

    def assertPage(self, response, count: int | None = None) -> list:
        """A 200 page of a paginated list; returns its results."""
        self.assertEqual(response.status_code, 200, response.content)
        body = response.json()
        self.assertEqual(set(body), {"count", "next", "previous", "results"})
        if count is not None:
            self.assertEqual(body["count"], count)
        return body["results"]

    def client_for(self, user=None) -> APIClient:
        """A session client logged in as ``user`` (anonymous with ``None``)."""
        client = APIClient()
        if user is not None:
            client.force_login(user)
        return client

    def token_client_for(self, user) -> APIClient:
        """A client authenticated by ``Authorization: Token <key>``, as scripts are."""
        token, _ = Token.objects.get_or_create(user=user)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    def count_queries(self, func) -> int:
        with CaptureQueriesContext(connection) as queries:
            func()
        return len(queries)


class ApiTestMixin(FreshCacheMixin, ApiAssertions):
    pass


class JudgingQueue:
    """The tasks enqueued while ``judging_queued`` is on, waiting in an in-memory broker."""

    def __init__(self, app) -> None:
        self.app = app

    def take(self) -> list[tuple[str, tuple]]:
        """Remove and return every queued message as ``(task name, args)``, lane by lane
        (``live``, ``run``, ``bulk``), oldest first in each."""
        from django.conf import settings

        messages = []
        with self.app.connection_for_read() as connection:
            for name in settings.COURSES_QUEUES.values():
                queue = connection.SimpleQueue(name, no_ack=True)
                try:
                    while True:
                        try:
                            message = queue.get(timeout=0.05)
                        except queue.Empty:
                            break
                        args, _kwargs, _embed = message.payload
                        messages.append((message.headers["task"], tuple(args)))
                finally:
                    queue.close()
        return messages

    def release(self) -> list[int]:
        """Run every queued judging task now, as a worker would; the submission ids judged."""
        from courses.tasks import judge_submission

        released = []
        for task, args in self.take():
            assert task == judge_submission.name, task
            judge_submission.apply(args=args)
            released.append(args[0])
        return released


@contextmanager
def judging_queued() -> Iterator[JudgingQueue]:
    """Judging as at scale, with no worker running: enqueued tasks wait until ``release()``.

    Celery stops being eager and sends to an in-memory broker (whatever ``REDIS_URL`` says, so
    no real worker can take the message). Use in a ``TransactionTestCase``: tasks are enqueued
    on commit. Celery reads its configuration once, so the app's own settings and connection
    pools are switched, then put back.
    """
    from config.celery import app

    saved_conf = {
        "task_always_eager": app.conf.task_always_eager,
        "broker_url": app.conf.broker_url,
    }
    saved_pools = (app._pool, app.amqp._producer_pool)
    # Fresh pools for the in-memory broker; the saved ones are put back untouched (closing them
    # would close pools kombu shares by broker URL with every later eager task).
    app._pool = app.amqp._producer_pool = None
    app.conf.update(task_always_eager=False, broker_url="memory://")
    queue = JudgingQueue(app)
    try:
        yield queue
    finally:
        queue.take()  # nothing left for the next test
        app.conf.update(**saved_conf)
        app._pool, app.amqp._producer_pool = saved_pools


def code_of_bytes(size: int) -> str:
    """Valid Python of exactly ``size`` UTF-8 bytes, mostly two-byte characters.

    Two-byte characters make a limit counted in characters (not bytes) accept too much.
    """
    head = ADD + "#"
    room = size - len(head.encode())
    code = head + "é" * (room // 2) + "x" * (room % 2)
    assert len(code.encode("utf-8")) == size
    return code


def problem_with_cases(**kwargs):
    """A problem with a sample case and a hidden case, both ``[1, 2] -> 3``."""
    problem = factories.ProblemFactory(**kwargs)
    factories.ProblemTestCaseFactory(
        problem=problem, order=0, input="[1, 2]", expected_output="3", is_sample=True
    )
    factories.ProblemTestCaseFactory(
        problem=problem, order=1, input="[1, 2] hidden", expected_output="3", is_sample=False
    )
    return problem


def judged_submission(user, problem, *, verdict=Verdict.ACCEPTED, **kwargs) -> Submission:
    """A submission already judged ``verdict`` on every case of ``problem``, with outputs."""
    submission = factories.SubmissionFactory(
        user=user,
        problem=problem,
        status=verdict,
        score=Decimal("1") if verdict == Verdict.ACCEPTED else Decimal("0"),
        judged_at=timezone.now(),
        **kwargs,
    )
    SubmissionTestResult.objects.bulk_create(
        SubmissionTestResult(
            submission=submission,
            test_case=case,
            order=case.order,
            verdict=verdict,
            score=Decimal("1") if verdict == Verdict.ACCEPTED else Decimal("0"),
            cpu_time_ms=5,
            memory_kb=1000,
            output=f"output of case {case.order}",
            error_output=f"stderr of case {case.order}",
        )
        for case in problem.test_cases.all()
    )
    return submission


#: Every role the authorization matrix checks, in its column order.
ROLES = (
    "anonymous",
    "student",
    "other_student",
    "non_member",
    "assistant",
    "other_instructor",
    "instructor",
    "superuser",
)


class RoleWorld:
    """A published course with one of everything, and a user of every role.

    Users:

    - ``student`` and ``other_student``: active students of the course;
    - ``non_member``: a user with no enrollment anywhere;
    - ``assistant`` and ``instructor``: the course's staff;
    - ``other_instructor``: instructor of ``other_course`` only (no rights here);
    - ``superuser``.

    ``user(role)`` gives the user of a role (``None`` for ``anonymous``).

    Objects: ``chapter``; ``problem`` (visible, a sample and a hidden case, a Python reference
    solution ``reference``); ``draft_problem`` (not visible); ``exam_only_problem``; ``exam``
    (open now, with ``exam_problem`` for ``exam_only_problem``); ``attempt`` (the student's,
    running); ``submission`` (the student's, accepted, with a result per case);
    ``exam_submission`` (the student's, in the attempt); ``thread`` (the student's, on
    ``problem``) and ``reply`` (the student's, in it); ``enrollment`` (the student's).

    ``draft_course``: an unpublished course where only ``student`` (a student) and
    ``instructor`` (its instructor) are enrolled, with a visible ``draft_course_problem``.
    """

    def __init__(self, *, name: str = "w", published: bool = True):
        self.course = factories.CourseFactory(
            title=f"Course {name}", slug=f"course-{name}", is_published=published
        )
        self.chapter = factories.ChapterFactory(course=self.course, order=0)
        self.problem = problem_with_cases(chapter=self.chapter, order=0)
        self.other_course = factories.CourseFactory(title=f"Other {name}", slug=f"other-{name}")
        self.users = {
            "student": factories.UserFactory(username=f"{name}-student"),
            "other_student": factories.UserFactory(username=f"{name}-other-student"),
            "non_member": factories.UserFactory(username=f"{name}-non-member"),
            "assistant": factories.UserFactory(username=f"{name}-assistant"),
            "other_instructor": factories.UserFactory(username=f"{name}-other-instructor"),
            "instructor": factories.UserFactory(username=f"{name}-instructor"),
            "superuser": factories.UserFactory(
                username=f"{name}-superuser", is_superuser=True, is_staff=True
            ),
        }
        Role = Enrollment.Role
        for role_name, role in (
            ("student", Role.STUDENT),
            ("other_student", Role.STUDENT),
            ("assistant", Role.ASSISTANT),
            ("instructor", Role.INSTRUCTOR),
        ):
            factories.EnrollmentFactory(user=self.users[role_name], course=self.course, role=role)
        factories.EnrollmentFactory(
            user=self.users["other_instructor"], course=self.other_course, role=Role.INSTRUCTOR
        )
        self.draft_course = factories.CourseFactory(
            title=f"Draft {name}", slug=f"draft-{name}", is_published=False
        )
        self.draft_course_problem = problem_with_cases(
            chapter=factories.ChapterFactory(course=self.draft_course, order=0), order=0
        )
        for role_name, role in (("student", Role.STUDENT), ("instructor", Role.INSTRUCTOR)):
            factories.EnrollmentFactory(
                user=self.users[role_name], course=self.draft_course, role=role
            )
        creator = Permission.objects.get(codename="add_course", content_type__app_label="courses")
        for role_name in ("instructor", "other_instructor"):
            self.users[role_name].user_permissions.add(creator)
        self._add_objects()

    def _add_objects(self) -> None:
        student = self.users["student"]
        self.enrollment = Enrollment.objects.get(user=student, course=self.course)
        self.reference = factories.ReferenceSolutionFactory(problem=self.problem, code=ADD)
        self.draft_problem = problem_with_cases(chapter=self.chapter, order=1, is_visible=False)
        self.exam_only_problem = problem_with_cases(
            chapter=self.chapter, order=2, is_exam_only=True
        )
        self.exam = factories.ExamFactory(course=self.course)
        self.exam_problem = factories.ExamProblemFactory(
            exam=self.exam, problem=self.exam_only_problem
        )
        self.attempt = factories.ExamAttemptFactory(exam=self.exam, user=student)
        self.submission = judged_submission(student, self.problem)
        self.exam_submission = judged_submission(
            student, self.exam_only_problem, exam_attempt=self.attempt
        )
        self.thread = factories.DiscussionThreadFactory(
            course=self.course, problem=self.problem, author=student
        )
        self.reply = factories.DiscussionReplyFactory(thread=self.thread, author=student)

    def user(self, role: str):
        return None if role == "anonymous" else self.users[role]


def cases_zip(pairs: dict[str, tuple[str, str]]) -> bytes:
    """A case archive as instructors upload it: ``NAME.in`` and ``NAME.out`` per pair."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, (given, expected) in pairs.items():
            archive.writestr(f"{name}.in", given)
            archive.writestr(f"{name}.out", expected)
    return buffer.getvalue()
