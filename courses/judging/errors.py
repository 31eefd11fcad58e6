"""Infrastructure failures of judging. Wrong answers are values (``Outcome``), never exceptions.

Every error carries ``retryable``: the Celery task retries those with backoff, and ends the
submission ``internal_error`` with the message once retries are exhausted or for the others.
"""

from __future__ import annotations


class JudgeError(Exception):
    """Base class: judging could not happen for a reason that is not the student's code."""

    retryable = False

    def __init__(self, message: str, *, cause: BaseException | None = None) -> None:
        super().__init__(message)
        self.message = message
        if cause is not None:
            self.__cause__ = cause


class BackendUnavailable(JudgeError):
    """The backend cannot be reached now (refused, DNS, timeout, 5xx, queue full, rate limited)."""

    retryable = True

    def __init__(
        self,
        message: str,
        *,
        cause: BaseException | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(message, cause=cause)
        self.retry_after_s = retry_after_s


class BackendConfigurationError(JudgeError):
    """Wrong URL, credentials, TLS trust or language set: retrying cannot help."""


class BackendProtocolError(JudgeError):
    """The backend answered something we cannot understand (invalid JSON, missing fields, types)."""


class BackendRejected(JudgeError):
    """The backend refused the request itself (HTTP 400/422), with its field messages."""

    def __init__(
        self, message: str, *, fields: dict | None = None, cause: BaseException | None = None
    ) -> None:
        super().__init__(message, cause=cause)
        self.fields = fields or {}


class SandboxUnavailable(JudgeError):
    """No usable local sandbox on this host; the message says what is missing."""


class ExecutorBusy(JudgeError):
    """Every slot for free runs on this host is taken; the API turns this into 503."""

    retryable = True


class UnknownLanguage(JudgeError):
    """The language is not in the language table or not installed on this host."""


class BackendInternalError(JudgeError):
    """The backend failed while running the program (Judge0 status 13 "Internal Error").

    Often transient (an exception in a Judge0 worker), sometimes a broken host (cgroup v2), so it
    is retried and, if it persists, ends the submission ``internal_error`` with the message.
    """

    retryable = True
