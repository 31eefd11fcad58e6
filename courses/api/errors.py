"""The one place that turns exceptions into HTTP: ``REST_FRAMEWORK["EXCEPTION_HANDLER"]``.

Every failure of the API has one shape (DESIGN.md, "Conventions"):

    {"error": {"code": "...", "message": "...", "fields": {"<input name>": "<problem>"}}}

``code`` is stable and machine-readable, ``message`` is for people, ``fields`` maps input names
(dotted for nested input: ``items.0.score``) to one text each, and is ``{}`` when no single input
is to blame. Sources, most specific first:

- ``ServiceError``: its own ``code``, ``http_status``, ``fields`` and ``retry_after_s``.
- ``JudgeError``: ``courses.judging.verdicts.api_status_for`` (the one table of judging statuses).
  A 503 always carries ``Retry-After``: the failure's own hint, else ``DEFAULT_RETRY_AFTER_S``.
  Infrastructure failures (5xx) show people a generic message; the detail goes to the log.
- DRF's ``APIException`` family (validation, malformed JSON, authentication, permissions, not
  found, throttling, methods, media types) and Django's ``Http404``/``PermissionDenied``.
- Django's ``RequestDataTooBig``: 413 ``payload_too_large``.
- Anything else is a bug: logged with its traceback, rendered as 500 ``internal_error``.

Every error response rolls back the request's atomic block, as DRF's own handler does.
"""

from __future__ import annotations

import logging
import math

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from courses.api.parsers import PayloadTooLarge
from courses.judging.errors import JudgeError, UnknownLanguage
from courses.judging.verdicts import api_status_for
from courses.services.errors import ServiceError

logger = logging.getLogger(__name__)

#: ``Retry-After`` of a 503 whose failure gave no hint (a full host, an unreachable judge).
DEFAULT_RETRY_AFTER_S = 5

#: DRF exception classes -> our code. The HTTP status is the exception's own.
DRF_CODES: dict[type[exceptions.APIException], str] = {
    exceptions.ValidationError: "invalid_input",
    exceptions.ParseError: "malformed_json",
    exceptions.AuthenticationFailed: "not_authenticated",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
}

#: What people read when judging infrastructure fails; the exception's text is logged instead.
JUDGE_FAILURE_MESSAGES = {
    "busy": "Every code runner is busy; try again in a moment.",
    "judge_unavailable": "The judge is unavailable right now; try again in a moment.",
    "judge_error": "The judge failed to run the code; try again later.",
}


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def error_response(
    code: str,
    message: str,
    http_status: int,
    *,
    fields: dict | None = None,
    retry_after_s: float | None = None,
) -> Response:
    headers = {}
    if retry_after_s is None and http_status == status.HTTP_503_SERVICE_UNAVAILABLE:
        retry_after_s = DEFAULT_RETRY_AFTER_S
    if retry_after_s is not None:
        headers["Retry-After"] = str(max(1, math.ceil(retry_after_s)))
    return Response(error_body(code, message, fields), status=http_status, headers=headers)


def exception_handler(exc: Exception, context: dict) -> Response:
    """Render ``exc`` in the one error shape; never returns ``None`` (no HTML error pages)."""
    set_rollback()
    if isinstance(exc, ServiceError):
        return error_response(
            exc.code,
            exc.message,
            exc.http_status,
            fields=exc.fields,
            retry_after_s=exc.retry_after_s,
        )
    if isinstance(exc, JudgeError):
        return _judge_error_response(exc)
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.APIException):
        return _api_exception_response(exc)
    logger.error("unhandled error in %s", _view_name(context), exc_info=exc)
    return error_response(
        "internal_error", "Something went wrong on our side; it has been logged.", 500
    )


def _judge_error_response(exc: JudgeError) -> Response:
    api_status = api_status_for(exc)
    fields = {}
    if isinstance(exc, UnknownLanguage):
        fields = {"language": exc.message}
    if api_status.http_status >= 500:
        logger.warning("judging failed (%s): %s", api_status.code, exc)
        message = JUDGE_FAILURE_MESSAGES.get(api_status.code, "Judging failed; it has been logged.")
    else:
        message = exc.message
    return error_response(
        api_status.code,
        message,
        api_status.http_status,
        fields=fields,
        retry_after_s=api_status.retry_after_s,
    )


def _api_exception_response(exc: exceptions.APIException) -> Response:
    code = next(
        (DRF_CODES[cls] for cls in type(exc).__mro__ if cls in DRF_CODES),
        None,
    )
    if code is None:
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
    fields: dict[str, str] = {}
    if isinstance(exc, exceptions.ValidationError):
        fields = flatten_field_errors(exc.detail)
        message = fields.pop("non_field_errors", None) or "The input is not valid."
    else:
        message = str(exc.detail)
    retry_after = exc.wait if isinstance(exc, exceptions.Throttled) else None
    response = error_response(
        code, message, exc.status_code, fields=fields, retry_after_s=retry_after
    )
    # DRF sets the challenge of a 401 on the exception (APIView.handle_exception).
    if getattr(exc, "auth_header", None):
        response["WWW-Authenticate"] = exc.auth_header
    return response


def flatten_field_errors(detail, prefix: str = "") -> dict[str, str]:
    """DRF's nested error detail as ``{"dotted.name": "message message"}``."""
    if isinstance(detail, dict):
        flat: dict[str, str] = {}
        for key, value in detail.items():
            flat.update(flatten_field_errors(value, f"{prefix}{key}."))
        return flat
    if isinstance(detail, list) and any(isinstance(item, dict | list) for item in detail):
        flat = {}
        for index, item in enumerate(detail):
            flat.update(flatten_field_errors(item, f"{prefix}{index}."))
        return flat
    items = detail if isinstance(detail, list) else [detail]
    name = prefix.rstrip(".") or "non_field_errors"
    return {name: " ".join(str(item) for item in items)} if items else {}


def _view_name(context: dict) -> str:
    view = context.get("view")
    return type(view).__name__ if view is not None else "an API view"
