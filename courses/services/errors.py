"""Errors a service raises for bad input; the API renders each in the one error shape.

``{"error": {"code": "...", "message": "...", "fields": {...}}}`` — ``code`` is stable and
machine-readable, ``message`` is for people, ``fields`` maps input names to their problems.
Infrastructure failures of judging are ``courses.judging.errors.JudgeError`` instead.
"""

from __future__ import annotations


class ServiceError(Exception):
    code = "invalid_input"
    http_status = 400

    def __init__(self, message: str, *, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}

    def as_dict(self) -> dict:
        return {"error": {"code": self.code, "message": self.message, "fields": self.fields}}


class InvalidInput(ServiceError):
    pass


class PayloadTooLarge(ServiceError):
    code = "payload_too_large"
    http_status = 413


class LanguageNotAllowed(ServiceError):
    code = "language_not_allowed"


class AlreadyEnrolled(ServiceError):
    code = "already_enrolled"
    http_status = 409


class ThreadClosed(ServiceError):
    code = "thread_closed"
    http_status = 409
