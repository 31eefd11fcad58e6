"""Rows of the discussions area (D): threads, replies, moderation.

Columns: anonymous student other_student non_member assistant other_instructor instructor
superuser. ``w.thread`` is the student's, about ``w.problem``, with one reply of the student's
(``w.reply``), so its author may still delete it. ``w.exam`` is open and includes
``w.exam_only_problem``: threads about it are not found for students.
"""

from courses.tests import factories
from courses.tests.matrix import Row


def thread(w) -> dict:
    return {"thread_id": w.thread.pk}


def reply(w) -> dict:
    return {"reply_id": w.reply.pk}


def course(w) -> dict:
    return {"course_id": w.course.pk}


def exam_thread(w) -> dict:
    """A staff thread about the open exam's problem, made inside the request's rolled-back
    transaction (so ``RoleWorld`` stays as every other area knows it)."""
    made = factories.DiscussionThreadFactory(
        course=w.course, problem=w.exam_only_problem, author=w.users["instructor"]
    )
    return {"thread_id": made.pk}


def answered_thread(w) -> dict:
    """The student's thread once the other student has replied in it."""
    factories.DiscussionReplyFactory(thread=w.thread, author=w.users["other_student"])
    return {"thread_id": w.thread.pk}


ROWS = [
    Row("thread-list", "GET", "403 200 200 403 200 403 200 200", kwargs=course),
    Row(
        "thread-list",
        "GET",
        "403 200 200 403 200 403 200 200",
        kwargs=course,
        query={"problem": "1"},
        note="filtered by problem",
    ),
    Row(
        "thread-list",
        "POST",
        "403 201 201 403 201 403 201 201",
        kwargs=course,
        body=lambda w: {"title": "Stuck", "body": "Why?", "problem": w.problem.pk},
    ),
    Row(
        "thread-list",
        "POST",
        "403 404 404 403 201 403 201 201",
        kwargs=course,
        body=lambda w: {"title": "Q2?", "body": "Hint?", "problem": w.exam_only_problem.pk},
        note="about the open exam's problem",
    ),
    Row("thread-detail", "GET", "403 200 200 403 200 403 200 200", kwargs=thread),
    Row(
        "thread-detail",
        "GET",
        "403 404 404 403 200 403 200 200",
        kwargs=exam_thread,
        note="about the open exam's problem",
    ),
    Row(
        "thread-detail",
        "PATCH",
        "403 200 403 403 403 403 403 403",
        kwargs=thread,
        body=lambda w: {"title": "Solved, thanks"},
        note="text: its author only",
    ),
    Row(
        "thread-detail",
        "PATCH",
        "403 403 403 403 200 403 200 200",
        kwargs=thread,
        body=lambda w: {"is_pinned": True, "is_closed": True},
        note="moderation: the staff only",
    ),
    Row("thread-detail", "DELETE", "403 204 403 403 204 403 204 204", kwargs=thread),
    Row(
        "thread-detail",
        "DELETE",
        "403 409 403 403 204 403 204 204",
        kwargs=answered_thread,
        note="someone else replied",
    ),
    Row("thread-replies", "GET", "403 200 200 403 200 403 200 200", kwargs=thread),
    Row(
        "thread-replies",
        "GET",
        "403 404 404 403 200 403 200 200",
        kwargs=exam_thread,
        note="about the open exam's problem",
    ),
    Row(
        "thread-replies",
        "POST",
        "403 201 201 403 201 403 201 201",
        kwargs=thread,
        body=lambda w: {"body": "A reply."},
    ),
    Row(
        "reply-detail",
        "PATCH",
        "403 200 403 403 403 403 403 403",
        kwargs=reply,
        body=lambda w: {"body": "Edited."},
    ),
    Row("reply-detail", "DELETE", "403 204 403 403 204 403 204 204", kwargs=reply),
]
