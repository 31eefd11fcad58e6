"""Rate limits of the API, read from settings at request time (so tests can change them)."""

from __future__ import annotations

import logging

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle, UserRateThrottle

logger = logging.getLogger(__name__)


class CodeRunThrottle(UserRateThrottle):
    """Free runs per user: each one occupies a sandbox slot for up to its wall-clock limit.

    ``COURSES_API_RUN_RATE`` as DRF writes rates (``"30/min"``); ``None`` turns it off.
    """

    scope = "run"

    def get_rate(self) -> str | None:
        return settings.COURSES_API_RUN_RATE

    def allow_request(self, request, view) -> bool:
        # As AddressRateThrottle: a cache outage must not turn every run into a 500.
        try:
            return super().allow_request(request, view)
        except Exception as exc:
            logger.error("throttle run: the cache failed, request let through: %r", exc)
            return True


class AddressRateThrottle(SimpleRateThrottle):
    """Requests per client address (``REMOTE_ADDR``, or per ``NUM_PROXIES``), whoever is logged in.

    Counted in the default cache, shared by every web process (Redis at scale). A cache that
    fails lets the request through and logs it: a Redis outage must not lock everyone out of
    logging in (DESIGN.md, "Cache": the cache is never a source of truth).
    """

    #: The setting holding the rate, read at request time.
    rate_setting = ""

    def get_rate(self) -> str | None:
        return getattr(settings, self.rate_setting)

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def allow_request(self, request, view) -> bool:
        try:
            return super().allow_request(request, view)
        except Exception as exc:
            logger.error("throttle %s: the cache failed, request let through: %r", self.scope, exc)
            return True


class LoginThrottle(AddressRateThrottle):
    """Password checks (session and token logins, password change, reset confirmation)."""

    scope = "login"
    rate_setting = "COURSES_API_LOGIN_RATE"


class SignupThrottle(AddressRateThrottle):
    scope = "signup"
    rate_setting = "COURSES_API_SIGNUP_RATE"


class PasswordResetThrottle(AddressRateThrottle):
    """Reset emails requested; at the sign-up rate, in a bucket of their own."""

    scope = "password_reset"
    rate_setting = "COURSES_API_SIGNUP_RATE"
