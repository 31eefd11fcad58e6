"""Ids in addresses: a number beyond the 64-bit key range is a 404 like any unknown address.

SQLite raised ``OverflowError`` on such a number in a foreign-key lookup, so the course's outline
(``/api/v1/courses/<id>/``, its ``progress/`` and the course page) answered 500.
"""

from __future__ import annotations

from django.test import TestCase
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter

from courses.ids import MAX_ID, IdConverter
from courses.tests import factories
from courses.tests.api_support import ApiAssertions

BEYOND = "99999999999999999999999"  # 2**76 and more


def routes(resolver=None, prefix=""):
    """``(route, pattern)`` of every URL pattern, included ones too."""
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from routes(entry, route)
        elif isinstance(entry, URLPattern):
            yield route, entry.pattern


class IdsBeyondTheKeyRangeTestCase(ApiAssertions, TestCase):
    def setUp(self):
        self.student = factories.UserFactory()
        factories.EnrollmentFactory(user=self.student)

    def test_the_course_and_its_progress_in_the_api_are_404_in_the_error_shape(self):
        for user in (None, self.student):
            client = self.client_for(user)
            for url in (f"/api/v1/courses/{BEYOND}/", f"/api/v1/courses/{BEYOND}/progress/"):
                with self.subTest(url=url, user=user):
                    self.assertError(client.get(url), 404, "not_found")

    def test_the_course_page_is_404(self):
        self.client.force_login(self.student)
        self.assertEqual(self.client.get(f"/courses/{BEYOND}/").status_code, 404)

    def test_the_largest_key_is_still_an_id_and_one_more_is_not(self):
        converter = IdConverter()
        self.assertEqual(converter.to_python(str(MAX_ID)), MAX_ID)
        for value in (str(MAX_ID + 1), "0"):
            with self.subTest(value=value), self.assertRaises(ValueError):
                converter.to_python(value)

    def test_no_route_takes_an_unbounded_integer(self):
        unbounded = [
            route
            for route, pattern in routes()
            for name, converter in getattr(pattern, "converters", {}).items()
            if isinstance(converter, IntConverter)
        ]
        self.assertEqual(unbounded, [])
