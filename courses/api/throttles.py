"""Rate limits of the API, read from settings at request time (so tests can change them)."""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import UserRateThrottle


class CodeRunThrottle(UserRateThrottle):
    """Free runs per user: each one occupies a sandbox slot for up to its wall-clock limit.

    ``COURSES_API_RUN_RATE`` as DRF writes rates (``"30/min"``); ``None`` turns it off.
    """

    scope = "run"

    def get_rate(self) -> str | None:
        return settings.COURSES_API_RUN_RATE
