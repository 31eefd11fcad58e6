"""Errors a service raises for bad input; the API renders each in the one error shape.

``{"error": {"code": "...", "message": "...", "fields": {...}}}`` — ``code`` is stable and
machine-readable, ``message`` is for people, ``fields`` maps input names to their problems.
Infrastructure failures of judging are ``courses.judging.errors.JudgeError`` instead.
"""

from __future__ import annotations


class ServiceError(Exception):
    code = "invalid_input"
    http_status = 400
    #: Seconds to wait before trying again (the ``Retry-After`` header), when waiting helps.
    retry_after_s: float | None = None

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


class UnknownLanguage(ServiceError):
    """The language is not in the platform's table (``courses.judging.languages.LANGUAGES``)."""

    code = "unknown_language"


class LanguageNotAllowed(ServiceError):
    """The language is in the platform's table, but the problem does not allow it."""

    code = "language_not_allowed"


class TooManyPending(ServiceError):
    """The user already has ``COURSES_MAX_PENDING_SUBMISSIONS`` submissions awaiting a verdict."""

    code = "too_many_pending"
    http_status = 429
    retry_after_s = 5


class TooManyRuns(ServiceError):
    """The user already has ``COURSES_MAX_RUNS_IN_FLIGHT`` "Run code" requests in progress."""

    code = "too_many_runs"
    http_status = 429
    retry_after_s = 2


class Conflict(ServiceError):
    """The request is valid, but the current state of the data refuses it (HTTP 409)."""

    code = "conflict"
    http_status = 409


class AlreadyEnrolled(Conflict):
    code = "already_enrolled"


class ThreadClosed(Conflict):
    code = "thread_closed"


class ThreadHasReplies(Conflict):
    """An author may delete their own thread only until someone else has replied in it."""

    code = "thread_has_replies"


# --- Accounts and enrollment (courses/services/accounts.py, enrollments.py) ------------------


class InvalidCredentials(ServiceError):
    """Wrong username or password, or an inactive account (never said which)."""

    code = "invalid_credentials"


class InvalidResetLink(ServiceError):
    """A password-reset uid/token pair that is malformed, unknown, expired or already used."""

    code = "invalid_reset_link"


class MalformedCsv(ServiceError):
    """A CSV body or file that cannot be read (encoding, NUL bytes, broken quoting)."""

    code = "malformed_csv"


class LastInstructor(Conflict):
    """The change would leave the course without an active instructor."""

    code = "last_instructor"


class ImportRefused(ServiceError):
    """An enrollment import naming unknown users or ambiguous emails, asked not to skip them.

    ``code`` is ``unknown_users`` when any name is unknown, else ``ambiguous_users``; ``fields``
    lists them under ``unknown`` and ``ambiguous``. Nothing was written.
    """

    code = "unknown_users"

    def __init__(self, message: str, *, fields: dict[str, str], code: str) -> None:
        super().__init__(message, fields=fields)
        self.code = code


# --- Exam attempts (courses/services/exam_attempts.py): refusals of the exam's state, HTTP 409 --


class ExamNotOpen(Conflict):
    code = "exam_not_open"


class ExamClosed(Conflict):
    """The exam (or, as ``AttemptExpired``, the student's own attempt) no longer takes work."""

    code = "exam_closed"


class AttemptExpired(ExamClosed):
    code = "attempt_expired"


class AttemptFinished(Conflict):
    code = "attempt_finished"


class AttemptLimitReached(Conflict):
    code = "attempt_limit_reached"


class AttemptAlreadyRunning(Conflict):
    code = "attempt_already_running"


class AttemptRunning(Conflict):
    """The attempt is still running: it cannot be reopened (give it extra time instead)."""

    code = "attempt_running"


class AttemptNotFinished(Conflict):
    """The attempt has no results yet: it is running, or ran out and is not finished yet."""

    code = "attempt_not_finished"


class ResultsNotReleased(Conflict):
    code = "results_not_released"


class NotFound(ServiceError):
    """The object does not exist, or this user may not know that it does (404, not 403)."""

    code = "not_found"
    http_status = 404


class Forbidden(ServiceError):
    """The user can see the object but their role does not allow this action."""

    code = "permission_denied"
    http_status = 403


class SignupClosed(Forbidden):
    code = "signup_closed"


class EnrollmentRemoved(Forbidden):
    """The course's staff removed this user; only they can bring them back."""

    code = "enrollment_removed"


class NotEnrolled(ServiceError):
    """The object is visible, but acting on it needs an active enrollment in its course."""

    code = "not_enrolled"
    http_status = 403


# --- Authoring (courses/services/authoring.py, testdata.py, validation.py, exams.py) -----------


class AlreadyExists(Conflict):
    """A value that must be unique is taken (a slug, an order, a language); ``fields`` names it."""

    code = "already_exists"


class HasStudentWork(Conflict):
    """Deleting this would delete students' submissions or attempts (docs/deletion-policy.md)."""

    code = "has_student_work"


class InExam(Conflict):
    """A problem that an exam uses cannot be deleted; remove it from the exam first."""

    code = "in_exam"


class InvalidArchive(ServiceError):
    """A test-case archive that cannot be imported; ``fields["archive"]`` names the file."""

    code = "invalid_archive"


class InvalidPackage(ServiceError):
    """A course or problem package that cannot be imported (or exported);
    ``fields["package"]`` names the file (and key) at fault (docs/package-format.md)."""

    code = "invalid_package"


class NothingToValidate(Conflict):
    """A problem without test cases or without reference solutions cannot be validated."""

    code = "nothing_to_validate"
