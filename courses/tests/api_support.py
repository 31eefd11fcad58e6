"""What the API tests share: the error-shape assertion, clients, scripted backends and a course
with one user of every role.

Judging in API tests goes through scripted backends named in settings by dotted path
(``backend_path``): no code runs (the sandbox has its own suites, and the end-to-end test runs
the real one). Each test reads the configured cache (local memory, or Redis under
``REDIS_URL``) in a fresh key prefix (``ApiTestMixin``).
"""

from __future__ import annotations

from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from courses.judging.errors import BackendUnavailable, ExecutorBusy
from courses.judging.types import Outcome, RunResult
from courses.models import Enrollment
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
    """A published course with a problem (a sample and a hidden case) and a user of every role.

    - ``student`` and ``other_student``: active students of the course;
    - ``non_member``: a user with no enrollment anywhere;
    - ``assistant`` and ``instructor``: the course's staff;
    - ``other_instructor``: instructor of ``other_course`` only (no rights here);
    - ``superuser``.

    ``user(role)`` gives the user of a role (``None`` for ``anonymous``).
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
        creator = Permission.objects.get(codename="add_course", content_type__app_label="courses")
        for role_name in ("instructor", "other_instructor"):
            self.users[role_name].user_permissions.add(creator)

    def user(self, role: str):
        return None if role == "anonymous" else self.users[role]
