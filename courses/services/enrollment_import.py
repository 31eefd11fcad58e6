"""Enrollment import: a list of usernames or emails (a CSV file, one per row) into one course.

Set-based: whatever the number of rows, the same handful of queries (users by username, users by
email, the course's enrollments of those users, one ``UPDATE`` of those to bring back, one
``INSERT`` of the new ones; ``courses.services.value_sets``), in one transaction, and one cache
invalidation after the outer commit. The ``import_enrollments`` command and
``POST /api/v1/staff/courses/<id>/enrollments/import/`` both call
``enrollments_import_identifiers``.

Matching a name (docs/decisions.md, "API: accounts and enrollment"): a user whose username is the
name exactly (usernames are unique); otherwise, when it contains ``@``, the users whose email is
the name ignoring case: one is that user, several make it *ambiguous*; none, *unknown*. Unknown
or ambiguous names abort the whole import (``ImportRefused``, nothing written) unless the caller
asks to skip them. A user named twice counts once, under the first name given.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from courses import cache
from courses.models import Course, Enrollment
from courses.services.enrollments import check_role
from courses.services.errors import ImportRefused, InvalidInput, MalformedCsv
from courses.services.value_sets import insert_ignoring_conflicts, value_set

Role = Enrollment.Role
Status = Enrollment.Status

#: A first row whose first cell is one of these (ignoring case) names the column: a header.
HEADER_NAMES = frozenset({"username", "usernames", "email", "emails", "e-mail", "user", "login"})
#: The steps ``progress`` is told about, in order.
STEPS = ("match users", "read enrollments", "write enrollments")


@dataclass(frozen=True)
class ImportReport:
    """What happened to each name given (as given, in the order given)."""

    imported: tuple[str, ...]
    reactivated: tuple[str, ...]
    already_enrolled: tuple[str, ...]
    unknown: tuple[str, ...]
    ambiguous: tuple[str, ...]


def rows_from_csv(text: str) -> list[list[str]]:
    """The rows of a CSV text; the delimiter is the first of ``,`` ``;`` tab in its first line
    (spreadsheets export all three), else ``,``. ``MalformedCsv`` when it cannot be read."""
    first_line = text.lstrip("\ufeff").split("\n", 1)[0]
    delimiter = next((d for d in (",", ";", "\t") if d in first_line), ",")
    try:
        rows = csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter, strict=True)
        return list(rows)
    except csv.Error as exc:
        raise MalformedCsv(f"The CSV cannot be read: {exc}.", fields={"file": str(exc)}) from None


def rows_from_csv_bytes(raw: bytes, *, charset: str = "utf-8") -> list[list[str]]:
    """The rows of an uploaded CSV file or body: decoded with ``charset`` (UTF-8 by default, a
    byte order mark dropped), then ``rows_from_csv``. ``MalformedCsv`` when it cannot be decoded
    or read. The API's CSV parser and the site's import form both read files with this."""
    try:
        text = raw.decode("utf-8-sig" if charset.lower() in ("utf-8", "utf8") else charset)
    except (LookupError, UnicodeDecodeError) as exc:
        raise MalformedCsv(
            f"The CSV is not valid {charset} text: {exc}", fields={"file": str(exc)}
        ) from None
    return rows_from_csv(text)


def identifiers_from_rows(rows: Iterable[Sequence[str]]) -> list[str]:
    """The names of a CSV file's rows: the first cell of each, trimmed; blank rows skipped.

    A first row naming the column (``username``, ``email``...) is a header, not a name. Any
    further columns (a spreadsheet's names, groups) are ignored.
    """
    names: list[str] = []
    first = True
    for row in rows:
        name = row[0].strip() if row else ""
        if not name:
            continue
        if first:
            first = False
            if name.lower() in HEADER_NAMES:
                continue
        names.append(name)
    return names


def enrollments_import_identifiers(
    *,
    course: Course,
    identifiers: Iterable[str],
    role: str = Role.STUDENT,
    skip_unknown: bool = False,
    progress: Callable[[str], None] | None = None,
) -> ImportReport:
    """Enroll the users named in ``identifiers`` (usernames or emails) in ``course`` as ``role``.

    New users are enrolled; dropped and removed ones are brought back (as ``role``); active ones
    are left as they are (role changes are a separate action). Unknown or ambiguous names:
    ``ImportRefused`` before anything is written, unless ``skip_unknown`` (then only reported).
    ``progress(step)`` is called after each of ``STEPS``.
    """
    check_role(role)
    names = list(dict.fromkeys(identifiers))
    if not names:
        raise InvalidInput(
            "There is no username or email to import.", fields={"file": "No names in the file."}
        )
    step = progress or (lambda name: None)
    with transaction.atomic():
        user_ids, unknown, ambiguous = _match_users(names)
        step(STEPS[0])
        if (unknown or ambiguous) and not skip_unknown:
            raise _refusal(unknown, ambiguous)
        name_of = {user_id: name for name, user_id in user_ids.items()}
        existing = dict(
            Enrollment.objects.filter(
                course=course, user_id__in=value_set(list(name_of), kind="bigint")
            ).values_list("user_id", "status")
        )
        step(STEPS[1])
        to_reactivate = [u for u, status in existing.items() if status != Status.ACTIVE]
        if to_reactivate:
            Enrollment.objects.filter(
                course=course,
                user_id__in=value_set(to_reactivate, kind="bigint"),
                status__in=[Status.DROPPED, Status.REMOVED],
            ).update(status=Status.ACTIVE, role=role)
        to_insert = [u for u in name_of if u not in existing]
        inserted = _insert(course, to_insert, role) if to_insert else []
        step(STEPS[2])
        changed = [*to_reactivate, *inserted]
        if changed:
            cache.enrollments_invalidate_on_commit(course_ids=[course.pk], user_ids=changed)
    new, back = set(inserted), set(to_reactivate)
    return ImportReport(
        imported=tuple(name_of[u] for u in name_of if u in new),
        reactivated=tuple(name_of[u] for u in name_of if u in back),
        # Active before, or enrolled concurrently between our read and our insert.
        already_enrolled=tuple(name_of[u] for u in name_of if u not in new and u not in back),
        unknown=tuple(unknown),
        ambiguous=tuple(ambiguous),
    )


def _match_users(names: list[str]) -> tuple[dict[str, int], list[str], list[str]]:
    """``({name: user id}, unknown names, ambiguous names)``; a user's first name only."""
    users = get_user_model()._default_manager
    by_username = dict(
        users.filter(username__in=value_set(names, kind="text")).values_list("username", "pk")
    )
    emails = sorted({n.lower() for n in names if n not in by_username and "@" in n})
    by_email: dict[str, list[int]] = defaultdict(list)
    if emails:
        rows = (
            users.annotate(email_lower=Lower("email"))
            .filter(email_lower__in=value_set(emails, kind="text"))
            .values_list("email_lower", "pk")
            .order_by("pk")
        )
        for email, pk in rows:
            by_email[email].append(pk)
    matched: dict[str, int] = {}
    seen: set[int] = set()
    unknown: list[str] = []
    ambiguous: list[str] = []
    for name in names:
        if name in by_username:
            user_id = by_username[name]
        else:
            candidates = by_email.get(name.lower(), []) if "@" in name else []
            if len(candidates) > 1:
                ambiguous.append(name)
                continue
            if not candidates:
                unknown.append(name)
                continue
            user_id = candidates[0]
        if user_id not in seen:
            seen.add(user_id)
            matched[name] = user_id
    return matched, unknown, ambiguous


def _insert(course: Course, user_ids: list[int], role: str) -> list[int]:
    """Insert active enrollments; the user ids inserted (a concurrent enrollment is skipped)."""
    values = {"course": course.pk, "role": role, "status": Status.ACTIVE}
    values["enrolled_at"] = timezone.now()  # what auto_now_add would set
    inserted = insert_ignoring_conflicts(
        Enrollment,
        values=values,
        key_column=Enrollment._meta.get_field("user").column,
        keys=user_ids,
        conflict=[Enrollment._meta.get_field(f).column for f in ("user", "course")],
    )
    if inserted is None:  # another database: Django's batches
        Enrollment.objects.bulk_create(
            [Enrollment(user_id=u, course=course, role=role) for u in user_ids],
            ignore_conflicts=True,
        )
        inserted = user_ids
    return inserted


def _refusal(unknown: list[str], ambiguous: list[str]) -> ImportRefused:
    parts, fields = [], {}
    if unknown:
        parts.append(f"{len(unknown)} unknown user(s)")
        fields["unknown"] = ", ".join(unknown)
    if ambiguous:
        parts.append(f"{len(ambiguous)} email(s) of several accounts")
        fields["ambiguous"] = ", ".join(ambiguous)
    return ImportRefused(
        f"{' and '.join(parts)}: nothing was imported. Correct the file, name those users by "
        "username, or import again skipping unknown users (skip_unknown in the API) to "
        "leave them out.",
        fields=fields,
        code="unknown_users" if unknown else "ambiguous_users",
    )
