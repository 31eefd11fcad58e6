"""Service errors that reach a page become the site's error pages, as they become the API's
error shape in ``courses/api/errors.py``.

A view handles the errors it expects (a form shows them next to its fields); what escapes is an
access refusal or an object that is not there: ``NotFound`` is the 404 page, ``NotEnrolled``
and ``Forbidden`` the 403 page with the service's message, any other ``ServiceError`` a 400 page
with it. The API never gets here: DRF renders its own errors first.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.views import defaults

from courses.services.errors import Forbidden, NotEnrolled, NotFound, ServiceError


class ServiceErrorPagesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, ServiceError):
            return None
        if isinstance(exception, NotFound):
            return defaults.page_not_found(request, Http404(exception.message))
        if isinstance(exception, NotEnrolled | Forbidden):
            return defaults.permission_denied(request, PermissionDenied(exception.message))
        return render(request, "400.html", {"exception": exception.message}, status=400)
