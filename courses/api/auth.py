"""Session authentication and CSRF for the API (README, "API": CSRF rules for session clients).

Browsers (and any session client) get a ``csrftoken`` cookie from ``GET /api/v1/auth/csrf/`` and
send its value back in the ``X-CSRFToken`` header of every unsafe request (POST, PUT, PATCH,
DELETE). Token clients (``Authorization: Token <key>``) need no CSRF token: a browser never
adds that header by itself.

DRF checks CSRF only for users its ``SessionAuthentication`` has authenticated; logging in is the
one unsafe request a session client makes before that, so the login view calls
``enforce_csrf`` itself (login CSRF: a foreign page must not log a visitor into an account of
the attacker's choosing). A failed check is 403 ``csrf_failed`` in the one error shape.
"""

from __future__ import annotations

from drf_spectacular import authentication as drf_spectacular_authentication
from rest_framework import authentication, status
from rest_framework.exceptions import APIException


class CsrfFailed(APIException):
    status_code = status.HTTP_403_FORBIDDEN
    default_detail = "CSRF check failed."
    default_code = "csrf_failed"


def enforce_csrf(request) -> None:
    """Django's CSRF check of ``request`` (cookie and ``X-CSRFToken`` header); ``CsrfFailed``.

    The same check as ``CsrfViewMiddleware`` (and Django's test clients skip it the same way,
    unless built with ``enforce_csrf_checks=True``).
    """

    def no_response(request):  # pragma: no cover - never called by the check
        return None

    check = authentication.CSRFCheck(no_response)
    check.process_request(request)  # reads the cookie into request.META["CSRF_COOKIE"]
    reason = check.process_view(request, None, (), {})
    if reason:
        raise CsrfFailed(f"CSRF check failed: {reason} Get a token from GET /api/v1/auth/csrf/.")


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's session authentication, whose CSRF failures are ``csrf_failed``, not a bare 403.

    DRF takes the challenge of a failed authentication from the first class, this one, which
    has none: every such answer would be 403. A request that sent credentials in an
    ``Authorization`` header is a token client's, and a wrong or revoked token is answered 401
    with the token scheme's challenge, so that a script can tell "log in again" from "not
    allowed". Requests without that header (browsers, the logged out) stay 403.
    """

    def enforce_csrf(self, request) -> None:
        enforce_csrf(request)

    def authenticate_header(self, request) -> str | None:
        if request.META.get("HTTP_AUTHORIZATION"):
            return authentication.TokenAuthentication().authenticate_header(request)
        return None


class SessionScheme(drf_spectacular_authentication.SessionScheme):
    """The OpenAPI security scheme of our session authentication: drf-spectacular's own."""

    target_class = "courses.api.auth.SessionAuthentication"
