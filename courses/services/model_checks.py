"""Model validation in the services' words: every refusal names the input at fault.

Authoring services change models field by field; these helpers run the model's own validation
(field validators, ``clean()``, unique fields) and turn Django's ``ValidationError`` into a
``ServiceError`` with ``fields``, map a lost race on a database constraint to a 409 instead of
a 500, and turn a refused deletion (``PROTECT``/``RESTRICT``, docs/deletion-policy.md) into a
409 that says what to do instead.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DataError, IntegrityError, models, transaction
from django.db.models import Max

from courses.services.errors import (
    AlreadyExists,
    Conflict,
    HasStudentWork,
    InExam,
    InvalidInput,
)


def clean_fields(instance: models.Model, *, exclude: Iterable[str] = ()) -> None:
    """``full_clean`` without the database constraints (the services check those by name).

    A taken unique field (a course's slug) is ``AlreadyExists`` (409); anything else is
    ``InvalidInput`` (400); both name the fields.
    """
    try:
        instance.full_clean(exclude=list(exclude), validate_constraints=False)
    except ValidationError as exc:
        raise service_error(exc) from exc


def service_error(exc: ValidationError) -> InvalidInput | AlreadyExists:
    errors = exc.error_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.error_list}
    fields = {
        name: " ".join(message for error in errs for message in error.messages)
        for name, errs in errors.items()
        if name != NON_FIELD_ERRORS
    }
    general = " ".join(
        message for error in errors.get(NON_FIELD_ERRORS, []) for message in error.messages
    )
    message = general or next(iter(fields.values()), "The input is not valid.")
    unique = any(error.code == "unique" for errs in errors.values() for error in errs)
    return (AlreadyExists if unique else InvalidInput)(message, fields=fields)


def next_order(siblings: models.QuerySet) -> int:
    """The order after the last of ``siblings`` (1 for the first): new items go at the end."""
    last = siblings.aggregate(last=Max("order"))["last"]
    return 1 if last is None else last + 1


def require_order_free(siblings: models.QuerySet, order: int, *, exclude_pk=None) -> None:
    taken = siblings.filter(order=order)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise AlreadyExists(
            f"Order {order} is taken here; choose another or leave it out to append.",
            fields={"order": f"{order} is already used."},
        )


def save(instance: models.Model, *, update_fields: Iterable[str] | None = None) -> None:
    """Save in a savepoint; a constraint that a concurrent write broke is a 409, a value the
    database cannot hold (checked before, so only a last resort) a 400, never a 500."""
    try:
        with transaction.atomic():
            instance.save(update_fields=None if update_fields is None else list(update_fields))
    except IntegrityError as exc:
        raise Conflict(
            "This change conflicts with another one made at the same time; reload and retry."
        ) from exc
    except DataError as exc:
        raise InvalidInput("A value is out of the range the database can store.") from exc


def delete(instance: models.Model, *, instead: str) -> None:
    """Delete, or refuse with a 409 when students' work (or an exam) depends on it.

    ``instead`` tells people what to do rather than delete (archive, unpublish, ...).
    """
    try:
        with transaction.atomic():
            instance.delete()
    except models.ProtectedError as exc:
        raise HasStudentWork(
            f"{_name(instance)} cannot be deleted: students' submissions or exam attempts "
            f"depend on it. {instead}"
        ) from exc
    except models.RestrictedError as exc:
        exams = sorted({str(row.exam) for row in exc.restricted_objects if hasattr(row, "exam")})
        raise InExam(
            f"{_name(instance)} cannot be deleted: it is used by the exam(s) "
            f"{', '.join(repr(e) for e in exams)}. Remove it from the exam(s) first.",
        ) from exc


def _name(instance: models.Model) -> str:
    return f"This {instance._meta.verbose_name}"
