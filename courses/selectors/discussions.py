"""Discussion reads, and who may see and change threads and replies (built on ``access``).

- Threads are read by the course's active members (superusers included); an unpublished course's
  threads are not found for others, a published one's are 403 ``not_enrolled``.
- **Hidden from students**: a thread about a draft problem, and a thread about a problem of an
  exam that is open now (any exam including the problem whose window ``[opens_at, closes_at)``
  contains now), so nobody discusses an exam while it runs. For students such a thread, its
  replies and a new thread about that problem are not found; the course's staff see them.
- A thread's title and body, and a reply's body, are edited by their author only (authorship is
  not a role). The course's staff moderate: pin, close, delete any thread or reply. An author may
  delete their own thread until someone else replies (then it is the others' conversation too),
  and their own replies at any time.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from courses.models import Course, DiscussionReply, DiscussionThread, ExamProblem, Problem
from courses.selectors.access import (
    course_for_member,
    is_course_member,
    is_course_staff,
    problem_for_submission,
    require_member,
)
from courses.selectors.courses import practice
from courses.services.errors import Forbidden, NotFound

#: What a thread's author may change, and what the course's staff may.
THREAD_TEXT_FIELDS = frozenset({"title", "body"})
THREAD_MODERATION_FIELDS = frozenset({"is_pinned", "is_closed"})

NO_SUCH_PROBLEM = "No such problem in this course."


# --- The rule of hidden threads --------------------------------------------------------------


def open_exam_problems(*, now: datetime) -> QuerySet[ExamProblem]:
    """Exam problems whose exam's window ``[opens_at, closes_at)`` contains ``now``."""
    return ExamProblem.objects.filter(exam__opens_at__lte=now, exam__closes_at__gt=now)


def hidden_from_students(*, now: datetime) -> Q:
    """Threads students do not see at ``now``: about a draft problem, or an open exam's problem."""
    in_open_exam = Exists(open_exam_problems(now=now).filter(problem_id=OuterRef("problem_id")))
    return Q(problem__isnull=False) & (Q(problem__is_visible=False) | Q(in_open_exam))


def _in_open_exam(*, now: datetime) -> Exists:
    """For a ``Problem`` queryset: the problem is in an exam open at ``now``."""
    return Exists(open_exam_problems(now=now).filter(problem_id=OuterRef("pk")))


def _course_problems(course: Course) -> QuerySet[Problem]:
    """A course's problems with their chapters, in the outline's order."""
    return (
        Problem.objects.filter(chapter__course_id=course.pk)
        .select_related("chapter")
        .order_by("chapter__order", "chapter_id", "order", "id")
    )


def discussion_problems(*, user, course: Course, now: datetime | None = None) -> QuerySet[Problem]:
    """The course's problems whose threads the user may see, in the outline's order (the choices
    of the pages' ``?problem=`` filter), with their chapters, in one query.

    The course's staff: every problem. Students: those ``hidden_from_students`` does not hide,
    the same rule on problems: visible, and in no exam open at ``now`` (archived and exam-only
    problems keep their threads once their exams close).
    """
    problems = _course_problems(course)
    if is_course_staff(user, course.pk):
        return problems
    return problems.filter(is_visible=True).exclude(_in_open_exam(now=now or timezone.now()))


def problem_discussable(*, user, problem: Problem, now: datetime | None = None) -> bool:
    """Whether ``user`` may read the threads about ``problem`` (``discussion_problems``): not a
    student while an exam that includes it is open."""
    course = problem.chapter.course
    return discussion_problems(user=user, course=course, now=now).filter(pk=problem.pk).exists()


def thread_problem_choices(
    *, user, course: Course, now: datetime | None = None
) -> QuerySet[Problem]:
    """The problems a new thread by ``user`` in ``course`` may be about: exactly those
    ``thread_problem_for_author`` accepts, in the outline's order, with their chapters.

    The course's staff: every problem. Students: practice problems (``problem_for_submission``:
    visible, not archived, not exam-only, in a published course) in no exam open at ``now``.
    """
    problems = _course_problems(course)
    if is_course_staff(user, course.pk):
        return problems
    if not course.is_published:
        return problems.none()
    return problems.filter(practice()).exclude(_in_open_exam(now=now or timezone.now()))


def _visible_threads(user, course_id: int, threads: QuerySet, now: datetime | None) -> QuerySet:
    if is_course_staff(user, course_id):
        return threads
    return threads.exclude(hidden_from_students(now=now or timezone.now()))


def _require_thread_readable(user, thread: DiscussionThread, now, *, missing: str) -> None:
    """Raise unless ``user`` may read ``thread``: ``NotFound(missing)`` or ``NotEnrolled``."""
    course = thread.course
    if not (course.is_published or is_course_member(user, course.pk)):
        raise NotFound(missing)
    require_member(user=user, course_id=course.pk)
    same = DiscussionThread.objects.filter(pk=thread.pk)
    if not _visible_threads(user, course.pk, same, now).exists():
        raise NotFound(missing)


# --- Threads ---------------------------------------------------------------------------------


def threads_for_member(
    *, user, course_id: int, problem_id: int | None = None, now: datetime | None = None
) -> QuerySet[DiscussionThread]:
    """A course's threads the user may see: pinned first, then the most recently active.

    ``problem_id`` keeps the threads about that problem (none for one the user may not see).
    """
    course = course_for_member(user=user, course_id=course_id)
    threads = DiscussionThread.objects.filter(course=course).select_related("problem", "author")
    if problem_id is not None:
        threads = threads.filter(problem_id=problem_id)
    threads = _visible_threads(user, course.pk, threads, now)
    return threads.order_by("-is_pinned", "-last_activity_at", "-id")


def thread_for_member(*, user, thread_id: int, now: datetime | None = None) -> DiscussionThread:
    """A thread the user may read (see the module's rules), with its course, problem and author."""
    thread = (
        DiscussionThread.objects.select_related("course", "problem", "author")
        .filter(pk=thread_id)
        .first()
    )
    if thread is None:
        raise NotFound("No such thread.")
    _require_thread_readable(user, thread, now, missing="No such thread.")
    return thread


def thread_problem_for_author(
    *, user, course: Course, problem_id: int | None, now: datetime | None = None
) -> Problem | None:
    """The problem a new thread in ``course`` may be about, for ``user`` (a member of it).

    ``None`` for no problem. Staff: any problem of the course. Students: one they may read for
    practice (``problem_for_submission``) that no open exam includes. Anything else, another
    course's problem included, is ``NotFound`` naming the ``problem`` field.
    """
    if problem_id is None:
        return None
    problem = (
        Problem.objects.select_related("chapter__course")
        .filter(pk=problem_id, chapter__course_id=course.pk)
        .first()
    )
    if problem is None:
        raise NotFound(NO_SUCH_PROBLEM, fields={"problem": NO_SUCH_PROBLEM})
    if is_course_staff(user, course.pk):
        return problem
    try:
        problem_for_submission(user=user, problem_id=problem.pk)
    except NotFound:
        raise NotFound(NO_SUCH_PROBLEM, fields={"problem": NO_SUCH_PROBLEM}) from None
    if open_exam_problems(now=now or timezone.now()).filter(problem_id=problem.pk).exists():
        raise NotFound(NO_SUCH_PROBLEM, fields={"problem": NO_SUCH_PROBLEM})
    return problem


def require_thread_change(*, user, thread: DiscussionThread, changes: Collection[str]) -> None:
    """Raise ``Forbidden`` unless the user may change the fields ``changes`` of ``thread``.

    Only its author edits the title and body; only the course's staff pin and close; the refused
    fields are named. Anyone else is refused whatever they send, an empty change included.
    """
    is_author = thread.author_id == user.pk
    is_moderator = is_course_staff(user, thread.course_id)
    if not (is_author or is_moderator):
        raise Forbidden("Only the thread's author and the course's staff may change it.")
    refused = {}
    if not is_author:
        refused |= {f: "Only the thread's author may edit this." for f in THREAD_TEXT_FIELDS}
    if not is_moderator:
        refused |= {f: "Only the course's staff may set this." for f in THREAD_MODERATION_FIELDS}
    refused = {field: text for field, text in refused.items() if field in changes}
    if refused:
        raise Forbidden("You may not change these fields of this thread.", fields=refused)


@dataclass(frozen=True)
class ThreadDeletion:
    thread: DiscussionThread
    #: Its author deleting it, not a moderator: only while nobody else has replied.
    only_if_unanswered: bool


def thread_for_deletion(*, user, thread_id: int, now: datetime | None = None) -> ThreadDeletion:
    """A thread the user may delete: the course's staff any, its author their own."""
    thread = thread_for_member(user=user, thread_id=thread_id, now=now)
    if is_course_staff(user, thread.course_id):
        return ThreadDeletion(thread, only_if_unanswered=False)
    if thread.author_id == user.pk:
        return ThreadDeletion(thread, only_if_unanswered=True)
    raise Forbidden("Only the thread's author and the course's staff may delete it.")


# --- Replies ---------------------------------------------------------------------------------


def thread_replies(
    *, user, thread_id: int, now: datetime | None = None
) -> QuerySet[DiscussionReply]:
    """The replies of a thread the user may read, oldest first."""
    thread = thread_for_member(user=user, thread_id=thread_id, now=now)
    return replies_of_thread(thread)


def replies_of_thread(thread: DiscussionThread) -> QuerySet[DiscussionReply]:
    """The replies of a thread already checked (``thread_for_member``), oldest first."""
    return thread.replies.select_related("author").order_by("created_at", "id")


def reply_position(reply: DiscussionReply) -> int:
    """How many replies of its thread come before ``reply`` (oldest first): where it is listed."""
    earlier = Q(created_at__lt=reply.created_at) | Q(created_at=reply.created_at, id__lt=reply.pk)
    return DiscussionReply.objects.filter(earlier, thread_id=reply.thread_id).count()


def reply_for_member(*, user, reply_id: int, now: datetime | None = None) -> DiscussionReply:
    """A reply in a thread the user may read, with its author, thread, course and problem."""
    reply = (
        DiscussionReply.objects.select_related("author", "thread__course", "thread__problem")
        .filter(pk=reply_id)
        .first()
    )
    if reply is None:
        raise NotFound("No such reply.")
    _require_thread_readable(user, reply.thread, now, missing="No such reply.")
    return reply


def reply_for_author(*, user, reply_id: int, now: datetime | None = None) -> DiscussionReply:
    """One of the user's own replies, in a thread they may read, to edit."""
    reply = reply_for_member(user=user, reply_id=reply_id, now=now)
    if reply.author_id != user.pk:
        raise Forbidden("Only its author may edit a reply.")
    return reply


def reply_for_deletion(*, user, reply_id: int, now: datetime | None = None) -> DiscussionReply:
    """A reply the user may delete: their own, or any in a course they are staff of."""
    reply = reply_for_member(user=user, reply_id=reply_id, now=now)
    if reply.author_id != user.pk and not is_course_staff(user, reply.thread.course_id):
        raise Forbidden("Only its author and the course's staff may delete a reply.")
    return reply
