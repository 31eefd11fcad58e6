"""Discussion services: threads, replies, and the thread counters that the reply signals keep.

Lock order: the thread's row, then its replies' rows. ``reply_create``, ``reply_delete`` and
``thread_delete`` take the thread's row first, so a reply cannot slip into a thread while its
author deletes it, a reply cannot be counted out twice, and none of them can deadlock with
another on PostgreSQL. Who may call which is the selectors' to decide
(``courses.selectors.discussions``); these functions enforce the rules of the data.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import DateTimeField, F, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from courses.models import DiscussionReply, DiscussionThread, Problem
from courses.services.errors import InvalidInput, NotFound, ThreadClosed, ThreadHasReplies

TITLE_MAX_CHARS = DiscussionThread._meta.get_field("title").max_length
#: Thread and reply bodies: a long question with its code fits; a pasted log does not.
BODY_MAX_CHARS = 20_000


# --- Counters (called by the receivers of courses/signals.py) --------------------------------


def thread_record_reply(*, thread_id: int, created_at: datetime) -> bool:
    """Count a new reply on its thread, in one race-free ``UPDATE``.

    ``reply_count`` is incremented in the database, so concurrent replies never lose a count,
    and ``last_activity_at`` only moves forward (``GREATEST``): a reply that commits after a newer
    one does not move it back. Returns whether the thread still existed; a thread deleted meanwhile
    is not an error. Database errors propagate, so the reply that fired this fails with it.
    """
    updated = DiscussionThread.objects.filter(pk=thread_id).update(
        reply_count=F("reply_count") + 1,
        last_activity_at=Greatest(
            F("last_activity_at"), Value(created_at, output_field=DateTimeField())
        ),
    )
    return bool(updated)


def thread_record_reply_removed(*, thread_id: int) -> bool:
    """Count a deleted reply out of its thread, in one race-free ``UPDATE``, never below zero.

    The decrement happens in the database (``reply_count - 1 WHERE reply_count > 0``), so
    concurrent deletions of different replies each count once. ``last_activity_at`` stays: the
    thread was active then, whatever was removed since. Returns whether a count was removed.
    """
    updated = DiscussionThread.objects.filter(pk=thread_id, reply_count__gt=0).update(
        reply_count=F("reply_count") - 1
    )
    return bool(updated)


# --- Text --------------------------------------------------------------------------------------


def _clean_text(value: str, *, field: str, max_chars: int) -> str:
    """Trimmed text, refused when empty or too long, naming ``field``."""
    value = value.strip()
    if not value:
        raise InvalidInput(
            f"The {field} cannot be empty.", fields={field: "This field is required."}
        )
    if len(value) > max_chars:
        raise InvalidInput(
            f"The {field} is too long.",
            fields={field: f"Ensure this field has no more than {max_chars} characters."},
        )
    return value


def _clean_body(body: str) -> str:
    return _clean_text(body, field="body", max_chars=BODY_MAX_CHARS)


#: A thread's texts and their bounds, in the order their problems are told.
POST_TEXTS = (("title", TITLE_MAX_CHARS), ("body", BODY_MAX_CHARS))


def _clean_post(*, refused: InvalidInput | None = None, **texts: str | None) -> dict[str, str]:
    """A thread's ``title`` and ``body``, each cleaned when given (``None``: not given), with
    every problem reported at once, ``refused`` (found before) first: an empty title and an
    empty body are two errors, not one after the other."""
    problems = [refused] if refused is not None else []
    cleaned = {}
    for name, max_chars in POST_TEXTS:
        if texts.get(name) is None:
            continue
        try:
            cleaned[name] = _clean_text(texts[name], field=name, max_chars=max_chars)
        except InvalidInput as exc:
            problems.append(exc)
    if problems:
        raise InvalidInput(
            " ".join(exc.message for exc in problems),
            fields={name: text for exc in problems for name, text in exc.fields.items()},
        )
    return cleaned


def _locked_thread(thread_id: int) -> DiscussionThread:
    """The thread's row, locked until the end of the transaction; ``NotFound`` once deleted."""
    thread = DiscussionThread.objects.select_for_update().filter(pk=thread_id).first()
    if thread is None:
        raise NotFound("No such thread.")
    return thread


# --- Threads -----------------------------------------------------------------------------------


def thread_create(
    *, course, author, title: str, body: str, problem: Problem | None = None
) -> DiscussionThread:
    """Start a thread in ``course``, about ``problem`` when given (a problem of that course).
    Every problem of the input is reported at once (``_clean_post``)."""
    refused = None
    if problem is not None and problem.chapter.course_id != course.pk:
        refused = InvalidInput(
            "The problem is not in this course.",
            fields={"problem": "Not a problem of this course."},
        )
    text = _clean_post(refused=refused, title=title, body=body)
    return DiscussionThread.objects.create(course=course, problem=problem, author=author, **text)


def thread_update(
    *,
    thread: DiscussionThread,
    title: str | None = None,
    body: str | None = None,
    is_pinned: bool | None = None,
    is_closed: bool | None = None,
) -> DiscussionThread:
    """Change what is given (``None``: unchanged); ``NotFound`` if the thread is gone meanwhile.

    Only the given columns are written, in one ``UPDATE``: a reply counted meanwhile is not
    overwritten, and the counters and the activity time stay as they are.
    """
    changes: dict = _clean_post(title=title, body=body)
    if is_pinned is not None:
        changes["is_pinned"] = is_pinned
    if is_closed is not None:
        changes["is_closed"] = is_closed
    if changes:
        if not DiscussionThread.objects.filter(pk=thread.pk).update(**changes):
            raise NotFound("No such thread.")
        for field, value in changes.items():
            setattr(thread, field, value)
    return thread


def thread_delete(*, thread: DiscussionThread, only_if_unanswered: bool) -> None:
    """Delete a thread with its replies.

    With ``only_if_unanswered`` (its author deleting it, not a moderator) it is refused with
    ``ThreadHasReplies`` once anyone else has replied: the check runs under the thread's row lock,
    which ``reply_create`` takes too, so no reply lands between the check and the deletion.
    The author's own replies do not count; a deleted user's do.
    """
    with transaction.atomic():
        locked = _locked_thread(thread.pk)
        if only_if_unanswered:
            others = locked.replies.exclude(author_id=locked.author_id)
            if others.exists():
                raise ThreadHasReplies(
                    "Others have replied in this thread; ask the course's staff to remove it."
                )
        locked.delete()


# --- Replies -----------------------------------------------------------------------------------


def reply_create(*, thread: DiscussionThread, author, body: str) -> DiscussionReply:
    """Post a reply; the thread's counters follow in the same transaction (post_save signal).

    The thread is read again under its row lock: a thread closed or deleted since the caller
    loaded it refuses the reply (``ThreadClosed``, ``NotFound``).
    """
    with transaction.atomic():
        locked = _locked_thread(thread.pk)
        if locked.is_closed:
            raise ThreadClosed("This thread is closed to new replies.")
        return DiscussionReply.objects.create(thread=locked, author=author, body=_clean_body(body))


def reply_edit(*, reply: DiscussionReply, body: str) -> DiscussionReply:
    """Change a reply's text; it is marked edited, and the thread's counters do not move.

    One ``UPDATE`` of the reply's row (no save signal: an edit counts nothing); ``NotFound`` if
    the reply was deleted meanwhile.
    """
    body = _clean_body(body)
    edited_at = timezone.now()
    if not DiscussionReply.objects.filter(pk=reply.pk).update(body=body, edited_at=edited_at):
        raise NotFound("No such reply.")
    reply.body, reply.edited_at = body, edited_at
    return reply


def reply_delete(*, reply: DiscussionReply) -> None:
    """Delete a reply; its thread counts it out in the same transaction (post_delete signal).

    The thread's row, then the reply's, are locked first: of two concurrent deletions of one
    reply only one finds it (the other is ``NotFound``), so the count drops once.
    """
    with transaction.atomic():
        _locked_thread(reply.thread_id)
        locked = DiscussionReply.objects.select_for_update().filter(pk=reply.pk).first()
        if locked is None:
            raise NotFound("No such reply.")
        locked.delete()
