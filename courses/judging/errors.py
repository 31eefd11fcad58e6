"""Infrastructure failures of judging. Wrong answers are values (``Outcome``), never exceptions.

Every error carries two flags:

- ``retryable``: trying the same call again soon may work (the API answers 503 with
  ``Retry-After`` to a "Run code" that failed so; the validation task retries it);
- ``outage``: the judge is unavailable or misbehaving, not the submission at fault. A graded
  submission that fails so stays queued with a ``retry_at`` and is judged when the judge is back
  (``courses.services.submissions.submission_retry_later``); the others end ``internal_error``
  at once with the reason.
"""

from __future__ import annotations


class JudgeError(Exception):
    """Base class: judging could not happen for a reason that is not the student's code."""

    retryable = False
    outage = False

    def __init__(self, message: str, *, cause: BaseException | None = None) -> None:
        super().__init__(message)
        self.message = message
        if cause is not None:
            self.__cause__ = cause


class BackendUnavailable(JudgeError):
    """The backend cannot be reached now (refused, DNS, timeout, 5xx, queue full, rate limited)."""

    retryable = True
    outage = True

    def __init__(
        self,
        message: str,
        *,
        cause: BaseException | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(message, cause=cause)
        self.retry_after_s = retry_after_s


class AnswerLost(BackendUnavailable):
    """A request that creates work went out and no usable answer came back (cut connection,
    timeout while reading, 504, a garbled 201): the work may exist without our knowing its
    token. Never repeated in the same call: the next scheduled try creates it again (the Judge0
    backend's bound on duplicates)."""


class SubmissionsForgotten(BackendUnavailable):
    """The backend answered that it does not know work it created (Judge0: ``null`` or 404 for a
    token; its database was reset, or its servers do not share one). The work is created again at
    the next try. The backend did answer: for the circuit breaker this is a success.
    """


class BackendConfigurationError(JudgeError):
    """Wrong URL, credentials, TLS trust or language set: retrying now cannot help.

    Still an outage for graded work: once the deployment is fixed, queued submissions are judged.
    """

    outage = True


class BackendProtocolError(JudgeError):
    """The backend answered something we cannot understand (invalid JSON, missing fields, types)."""

    outage = True


class ResponseTooLarge(BackendProtocolError):
    """An answer larger than the configured cap: reading stopped there (memory stays bounded)."""


class BackendInconsistent(JudgeError):
    """The backend keeps losing the work it creates (Judge0 forgot the same submission three times
    in one judging): a deployment fault that waiting does not heal.

    Not an outage: the submission ends ``internal_error`` with a message an administrator can act
    on, and the course's staff requeue it once the deployment is fixed.
    """


class BackendRejected(JudgeError):
    """The backend refused the request itself (HTTP 400/422), with its field messages."""

    def __init__(
        self, message: str, *, fields: dict | None = None, cause: BaseException | None = None
    ) -> None:
        super().__init__(message, cause=cause)
        self.fields = fields or {}


class SandboxUnavailable(JudgeError):
    """No usable local sandbox on this host; the message says what is missing."""

    outage = True


class ExecutorBusy(JudgeError):
    """Every slot for free runs on this host is taken; the API turns this into 503."""

    retryable = True


class UnknownLanguage(JudgeError):
    """The language is not in the language table or not installed on this host."""


class BackendInternalError(JudgeError):
    """The backend failed while running the program (Judge0 status 13 "Internal Error" or 14
    "Exec Format Error", a box error).

    Often transient (an exception in a Judge0 worker), sometimes a broken host (cgroup v2): an
    outage, never the student's verdict. Only the failed runs are made again, on the next try.
    """

    retryable = True
    outage = True
