"""The HTTP API (``courses/api``): each endpoint's success, authentication, permissions, and every
bad input answered in the one error shape ``{"error": {"code", "message", "fields"}}``.

Submissions and runs have their own modules (``test_api_submissions.py``, ``test_api_runs.py``).
Each test reads the configured cache (local memory, or Redis under ``REDIS_URL``) in a fresh key
prefix.
"""

from __future__ import annotations

import json
import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from django.test import SimpleTestCase, TestCase
from django.urls import reverse
from rest_framework import exceptions

from courses import selectors
from courses.api.errors import exception_handler
from courses.judging.errors import (
    BackendRejected,
    BackendUnavailable,
    UnknownLanguage,
)
from courses.models import Enrollment
from courses.services.errors import TooManyPending
from courses.tests import factories
from courses.tests.api_support import (
    ApiAssertions,
    ApiTestMixin,
)

# --- POST /api/v1/courses/<id>/enrollments/


class EnrollmentCreateApiTestCase(ApiTestMixin, TestCase):
    def setUp(self):
        super().setUp()
        self.user = factories.UserFactory()
        self.course = factories.CourseFactory()
        self.client = self.client_for(self.user)

    def url(self, course_id=None):
        return reverse("api:course-enrollment", args=[course_id or self.course.pk])

    def enroll(self, data=None, course_id=None):
        return self.client.post(self.url(course_id), data or {}, format="json")

    def test_self_enrollment_is_201_as_a_student_and_shows_on_the_roster(self):
        selectors.course_roster(course_id=self.course.pk)  # cached, empty
        with self.captureOnCommitCallbacks(execute=True):
            response = self.enroll({"role": "instructor"})  # the body cannot choose the role
        self.assertEqual(response.status_code, 201, response.content)
        body = response.json()
        enrollment = Enrollment.objects.get()
        self.assertEqual(body["id"], enrollment.pk)
        self.assertEqual((body["role"], body["status"]), ("student", "active"))
        roster = selectors.course_roster(course_id=self.course.pk)
        self.assertEqual([entry.user_id for entry in roster], [self.user.pk])

    def test_enrolling_twice_is_409_already_enrolled_but_after_dropping_it_reactivates(self):
        self.assertEqual(self.enroll().status_code, 201)
        self.assertError(self.enroll(), 409, "already_enrolled", fields={"user"})
        Enrollment.objects.update(status=Enrollment.Status.DROPPED)
        response = self.enroll()
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(response.json()["status"], "active")
        self.assertEqual(Enrollment.objects.count(), 1)

    def test_draft_and_missing_courses_are_404(self):
        draft = factories.CourseFactory(is_published=False)
        self.assertError(self.enroll(course_id=draft.pk), 404, "not_found")
        self.assertError(self.enroll(course_id=self.course.pk + 1000), 404, "not_found")
        self.assertFalse(Enrollment.objects.exists())

    def test_logged_out_users_get_403_not_authenticated(self):
        self.client = self.client_for(None)
        self.assertError(self.enroll(), 403, "not_authenticated")
        self.assertFalse(Enrollment.objects.exists())


# --- The exception handler itself ----------------------------------------------------------------


class ApiErrorHandlerTestCase(ApiAssertions, SimpleTestCase):
    """Failures no endpoint above raises today, rendered by the handler all the same."""

    def render(self, exc):
        response = exception_handler(exc, {})
        response["Content-Type"] = "application/json"  # what the renderer would set
        return _Rendered(response)

    def test_every_failure_kind_has_the_one_shape(self):
        cases = [
            (exceptions.Throttled(wait=12.2), 429, "throttled"),
            (Http404("gone"), 404, "not_found"),
            (exceptions.NotFound(), 404, "not_found"),
            (DjangoPermissionDenied(), 403, "permission_denied"),
            (exceptions.PermissionDenied(), 403, "permission_denied"),
            (exceptions.NotAuthenticated(), 401, "not_authenticated"),
            (exceptions.ParseError(), 400, "malformed_json"),
            (RequestDataTooBig("too big"), 413, "payload_too_large"),
            (UnknownLanguage("unknown language 'cobol'"), 400, "unknown_language"),
            (BackendRejected("judge0 says 422", fields={"x": "y"}), 502, "judge_error"),
            (BackendUnavailable("429", retry_after_s=7.5), 503, "judge_unavailable"),
            (TooManyPending("3 waiting"), 429, "too_many_pending"),
            (exceptions.APIException(), 500, "error"),
        ]
        for exc, http_status, code in cases:
            with self.subTest(exc=repr(exc)):
                self.assertError(self.render(exc), http_status, code)

    def test_retry_after_comes_from_the_failure_rounded_up(self):
        self.assertEqual(self.render(exceptions.Throttled(wait=12.2))["Retry-After"], "13")
        response = self.render(BackendUnavailable("429", retry_after_s=7.5))
        self.assertEqual(response["Retry-After"], "8")
        response = self.render(TooManyPending("3 waiting"))
        self.assertEqual(response["Retry-After"], str(TooManyPending.retry_after_s))
        self.assertFalse(self.render(exceptions.NotFound())._response.has_header("Retry-After"))

    def test_judge_internals_stay_out_of_the_message(self):
        response = self.render(BackendRejected("judge0 says 422", fields={"x": "y"}))
        error = response.json()["error"]
        self.assertNotIn("422", error["message"])
        self.assertEqual(error["fields"], {})

    def test_nested_field_errors_are_flattened_and_non_field_errors_become_the_message(self):
        exc = exceptions.ValidationError(
            {
                "items": [{}, {"score": ["Must be ≥ 0.", "Too big."]}],
                "title": ["Required."],
                "non_field_errors": ["Problems must differ."],
            }
        )
        error = self.assertError(self.render(exc), 400, "invalid_input")
        self.assertEqual(error["message"], "Problems must differ.")
        self.assertEqual(
            error["fields"], {"items.1.score": "Must be ≥ 0. Too big.", "title": "Required."}
        )

    def test_an_unexpected_error_is_a_logged_500_in_the_shape(self):
        with self.assertLogs("courses.api.errors", logging.ERROR) as logs:
            response = self.render(RuntimeError("secret detail"))
        error = self.assertError(response, 500, "internal_error", fields={})
        self.assertNotIn("secret", error["message"])
        self.assertIn("secret detail", "\n".join(logs.output))

    def test_the_handler_is_the_configured_one(self):
        from rest_framework.settings import api_settings

        self.assertIs(api_settings.EXCEPTION_HANDLER, exception_handler)


class _Rendered:
    """A handler's ``Response`` read like a test client's: ``.json()``, headers, status."""

    def __init__(self, response) -> None:
        self._response = response
        self.status_code = response.status_code
        self.content = json.dumps(response.data).encode()

    def json(self):
        return json.loads(self.content)

    def __getitem__(self, header: str) -> str:
        return self._response[header]
