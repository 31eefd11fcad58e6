"""The authorization matrix over every API operation (``courses/tests/matrix``).

Every role gets the exact status its row says, and every route and method of the URL conf has
a row: an endpoint added without one fails here.
"""

from __future__ import annotations

import json
import uuid
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.test import TestCase, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from courses.tests.api_support import AcceptingBackend, ApiAssertions, RoleWorld, backend_path
from courses.tests.matrix import all_rows

HTTP_METHODS = ("get", "post", "put", "patch", "delete")


class _RolledBack(Exception):
    pass


def api_operations() -> set[tuple[str, str]]:
    """``(route name, METHOD)`` for every view under the ``api`` namespace."""
    operations = set()
    resolver = get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver) and pattern.namespace == "api":
            for inner in pattern.url_patterns:
                assert isinstance(inner, URLPattern), inner
                view = inner.callback.view_class
                for method in HTTP_METHODS:
                    if hasattr(view, method):
                        operations.add((inner.name, method.upper()))
    return operations


@override_settings(COURSES_JUDGE_BACKEND=backend_path(AcceptingBackend))
class AuthorizationMatrixTestCase(ApiAssertions, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = RoleWorld()

    def request_as(self, role: str, row):
        client = self.client_for(self.world.user(role))
        url = reverse(f"api:{row.route}", kwargs=row.kwargs(self.world))
        call = getattr(client, row.method.lower())
        if row.upload is not None:
            data, content_type = row.upload(self.world)
            query = urlencode(row.query)
            return call(url, data=data, content_type=content_type, QUERY_STRING=query)
        if row.body is not None:
            return call(url, data=json.dumps(row.body(self.world)), content_type="application/json")
        return call(url, data=row.query or None)

    def fresh_cache(self):
        """A new cache namespace per request: a rolled-back write must not leave cached reads."""
        config = dict(settings.CACHES["default"])
        config["KEY_PREFIX"] = f"matrix-{uuid.uuid4().hex}"
        if config["BACKEND"].endswith("LocMemCache"):
            config["LOCATION"] = config["KEY_PREFIX"]
        return override_settings(CACHES={**settings.CACHES, "default": config})

    def test_every_api_operation_has_a_row(self):
        rows = {(row.route, row.method) for row in all_rows()}
        missing = sorted(api_operations() - rows)
        self.assertEqual(missing, [], "API operations without a row in courses/tests/matrix")
        unknown = sorted(rows - api_operations())
        self.assertEqual(unknown, [], "rows for operations the URL conf does not have")

    def test_every_role_gets_exactly_its_status(self):
        for row in all_rows():
            for role, expected in row.expected().items():
                with self.subTest(route=row.route, method=row.method, note=row.note, role=role):
                    with self.fresh_cache():
                        try:
                            with transaction.atomic():
                                response = self.request_as(role, row)
                                raise _RolledBack
                        except _RolledBack:
                            pass
                    self.assertEqual(
                        response.status_code,
                        expected,
                        f"{row.method} {row.route} as {role}: {response.content[:300]!r}",
                    )
                    if response.status_code >= 400:
                        self.assertEqual(response["Content-Type"], "application/json")
                        self.assertEqual(set(response.json()), {"error"})
