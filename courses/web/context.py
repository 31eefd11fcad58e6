"""What every page's template needs."""

from __future__ import annotations

from django.conf import settings


def site(request) -> dict:
    return {"signup_open": settings.COURSES_SIGNUP_OPEN}
