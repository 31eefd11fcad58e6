"""The OpenAPI document: valid, complete, and true of the API it describes.

- ``manage.py spectacular --validate --fail-on-warn`` is clean.
- A property-based run over every operation of the schema (schemathesis, with hypothesis
  derandomized, a fixed number of examples per operation and no deadline per example) finds no
  5xx and no response that breaks the schema: undocumented status codes, bodies that do not match
  their declared shape, wrong content types. Each operation is tried with generated path
  parameters (mostly objects that do not exist) and with the ids of real objects of a
  ``RoleWorld``, as the course's instructor and as a student; every request is rolled back, so
  a generated DELETE cannot empty the world for the examples after it.
"""

from __future__ import annotations

import io
import json
import uuid

import schemathesis
from django.conf import settings
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import SimpleTestCase, TestCase, override_settings
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from courses.tests.api_support import AcceptingBackend, RoleWorld, backend_path
from courses.wsgi import WSGIHandler

# Raw uploads (test-case archives) are bytes on the wire, as schemathesis sends octet streams.
schemathesis.serializer.alias("application/zip", "application/octet-stream")

#: Examples per operation, per identity and per kind of path parameters.
EXAMPLES = 8
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


class _RolledBack(Exception):
    pass


class SchemaValidationTestCase(SimpleTestCase):
    def test_spectacular_validates_the_schema_without_warnings(self):
        out = io.StringIO()
        call_command("spectacular", "--validate", "--fail-on-warn", stdout=out, stderr=out)
        self.assertIn("openapi: 3", out.getvalue())


def real_path_parameters(world: RoleWorld) -> dict[str, int]:
    """A real object for every path parameter name the API uses."""
    return {
        "course_id": world.course.pk,
        "chapter_id": world.chapter.pk,
        "problem_id": world.problem.pk,
        "submission_id": world.submission.pk,
        "thread_id": world.thread.pk,
        "reply_id": world.reply.pk,
        "exam_id": world.exam.pk,
        "attempt_id": world.attempt.pk,
        "enrollment_id": world.enrollment.pk,
        "case_id": world.problem.test_cases.first().pk,
        "reference_id": world.reference.pk,
        "exam_problem_id": world.exam_problem.pk,
    }


@override_settings(
    COURSES_JUDGE_BACKEND=backend_path(AcceptingBackend),
    COURSES_API_RUN_RATE=None,
    COURSES_API_LOGIN_RATE=None,
    COURSES_API_SIGNUP_RATE=None,
    COURSES_SIGNUP_OPEN=True,
)
class ApiPropertyTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = RoleWorld(name="prop")

    def setUp(self):
        config = dict(settings.CACHES["default"])
        config["KEY_PREFIX"] = f"prop-{uuid.uuid4().hex}"
        if config["BACKEND"].endswith("LocMemCache"):
            config["LOCATION"] = config["KEY_PREFIX"]
        override = override_settings(CACHES={**settings.CACHES, "default": config})
        override.enable()
        self.addCleanup(override.disable)
        document = SchemaGenerator().get_schema(request=None, public=True)
        self.schema = schemathesis.openapi.from_dict(json.loads(json.dumps(document, default=str)))
        self.app = WSGIHandler()  # the handler served (config/wsgi.py)
        # As Django's test client does: a request's start and end must not close the
        # connection that holds the test's transaction.
        for signal in (request_started, request_finished):
            signal.disconnect(close_old_connections)
            self.addCleanup(signal.connect, close_old_connections)

    def headers_for(self, role: str) -> dict[str, str]:
        token, _ = Token.objects.get_or_create(user=self.world.users[role])
        return {"Authorization": f"Token {token.key}"}

    def call(self, case, headers) -> None:
        try:
            with transaction.atomic():
                case.call_and_validate(app=self.app, headers=headers, checks=CHECKS)
                raise _RolledBack
        except _RolledBack:
            pass

    def test_no_operation_answers_5xx_or_breaks_its_schema(self):
        real = real_path_parameters(self.world)
        operations = [result.ok() for result in self.schema.get_all_operations()]
        self.assertGreater(len(operations), 50)
        for operation in operations:
            for role in ("instructor", "student"):
                headers = self.headers_for(role)
                for kind in ("generated", "real"):
                    with self.subTest(operation=operation.label, role=role, ids=kind):
                        strategy = operation.as_strategy()
                        if kind == "real":
                            strategy = strategy.map(lambda case: with_real_ids(case, real))
                        self.run_examples(strategy, headers)

    def run_examples(self, strategy, headers) -> None:
        @given(case=strategy, data=st.data())
        @hypothesis_settings(
            max_examples=EXAMPLES,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case, data):
            self.call(case, headers)

        check()


def with_real_ids(case, real: dict[str, int]):
    if case.path_parameters:
        case.path_parameters = {
            name: real.get(name, value) for name, value in case.path_parameters.items()
        }
    return case
