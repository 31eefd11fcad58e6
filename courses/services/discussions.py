"""Discussion services: replies, and the thread counters that the reply signal keeps."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import DateTimeField, F, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from courses.models import DiscussionReply, DiscussionThread
from courses.services.errors import InvalidInput, ThreadClosed


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


def _clean_body(body: str) -> str:
    body = body.strip()
    if not body:
        raise InvalidInput("A reply cannot be empty.", fields={"body": "This field is required."})
    return body


def reply_create(*, thread: DiscussionThread, author, body: str) -> DiscussionReply:
    """Post a reply; the thread's counters follow in the same transaction (post_save signal)."""
    if thread.is_closed:
        raise ThreadClosed("This thread is closed to new replies.")
    with transaction.atomic():
        return DiscussionReply.objects.create(thread=thread, author=author, body=_clean_body(body))


def reply_edit(*, reply: DiscussionReply, body: str) -> DiscussionReply:
    """Change a reply's text; it is marked edited, and the thread's counters do not move."""
    reply.body = _clean_body(body)
    reply.edited_at = timezone.now()
    reply.save(update_fields=["body", "edited_at"])
    return reply
