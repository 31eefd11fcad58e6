"""A ``Content-Type`` charset that is a codec but no text encoding (``rot13``, ``base64``...).

Django decoded the query string with it while building the request, before any middleware:
``LookupError``, and the server's plain-text 500. These tests call the WSGI application that
``runserver`` and gunicorn serve (``config.wsgi.application``) with a WSGI environ, as a server
does: Django's test client builds its own ``WSGIRequest`` and would not run the app's.
"""

from __future__ import annotations

import io
import json
import wsgiref.util

from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client, TestCase

from config.wsgi import application
from courses.tests import factories

UNUSABLE = ("rot13", "base64", "hex", "zlib", "uu")


class UnusableCharsetTestCase(TestCase):
    def setUp(self):
        factories.CourseFactory()
        # As Django's test client does: a request's start and end must not close the
        # connection that holds the test's transaction.
        for signal in (request_started, request_finished):
            signal.disconnect(close_old_connections)
            self.addCleanup(signal.connect, close_old_connections)

    def serve(self, path, *, query="", content_type="", method="GET", body=b""):
        """``(status, headers, body)`` of the served application for one request."""
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_TYPE": content_type,
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
            "HTTP_HOST": "testserver",
        }
        wsgiref.util.setup_testing_defaults(environ)
        started = {}

        def start_response(status, headers, exc_info=None):
            started.update(status=int(status.split()[0]), headers=dict(headers))

        result = application(environ, start_response)
        try:
            content = b"".join(result)
        finally:
            result.close()
        return started["status"], started["headers"], content

    def test_the_api_answers_415_in_the_error_shape(self):
        for charset in UNUSABLE:
            with self.subTest(charset=charset):
                status, headers, content = self.serve(
                    "/api/v1/courses/",
                    query="q=x",
                    content_type=f"application/json; charset={charset}",
                )
                self.assertEqual(status, 415)
                self.assertEqual(headers["Content-Type"], "application/json")
                error = json.loads(content)["error"]
                self.assertEqual((error["code"], error["fields"]), ("unsupported_media_type", {}))
                self.assertIn(f'"{charset}" is not a text encoding', error["message"])

    def test_a_body_sent_with_such_a_charset_is_refused_too(self):
        status, _, content = self.serve(
            "/api/v1/auth/token/",
            method="POST",
            query="next=x",
            content_type="application/json; charset=rot13",
            body=b'{"username": "a", "password": "b"}',
        )
        self.assertEqual(status, 415)
        self.assertEqual(json.loads(content)["error"]["code"], "unsupported_media_type")

    def test_the_site_answers_its_400_page(self):
        for path in ("/", "/accounts/login/"):
            with self.subTest(path=path):
                status, headers, content = self.serve(
                    path, query="next=x", content_type="text/plain; charset=base64"
                )
                self.assertEqual(status, 400)
                self.assertTrue(headers["Content-Type"].startswith("text/html"))
                self.assertIn(b"is not a text encoding", content)

    def test_text_encodings_and_unknown_names_are_served_as_before(self):
        for charset in ("utf-8", "latin-1", "bogus"):
            with self.subTest(charset=charset):
                status, _, content = self.serve(
                    "/api/v1/courses/",
                    query="q=x",
                    content_type=f"application/json; charset={charset}",
                )
                self.assertEqual(status, 200, content)
                self.assertEqual(json.loads(content)["count"], 0)

    def test_djangos_test_client_builds_its_own_request_so_cannot_show_this(self):
        """Why these tests call the served application: the test client's handler builds a
        plain ``WSGIRequest``, which still fails before any of the app's code runs."""
        with self.assertRaises(LookupError):
            Client().get("/api/v1/courses/?q=x", CONTENT_TYPE="application/json; charset=rot13")
