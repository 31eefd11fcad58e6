"""Thin receivers: counters and cache invalidation, nothing else (DESIGN.md, "Signals").

Receivers that write the database run inside the transaction of the save that fired them and let
its errors propagate, so both fail together. Receivers that touch only the cache never raise: the
helpers of ``courses.cache`` log a failure and the entry heals on its next read.
Bulk paths (``bulk_create``, ``QuerySet.update``) send no signals; their services invalidate or
recompute themselves and say so. Connected in ``CoursesConfig.ready()``.
"""

from __future__ import annotations

from django.db.models import QuerySet

from courses import cache, selectors
from courses.models import (
    Chapter,
    Course,
    DiscussionReply,
    Enrollment,
    Exam,
    ExamProblem,
    Problem,
    ProblemProgress,
)
from courses.services.discussions import thread_record_reply, thread_record_reply_removed
from courses.services.exams import exam_lock, exam_recompute_scores


def reply_saved(sender, instance: DiscussionReply, created: bool, raw: bool = False, **kwargs):
    """A new reply counts on its thread; an edit does not."""
    if created and not raw:
        thread_record_reply(thread_id=instance.thread_id, created_at=instance.created_at)


def reply_deleted(sender, instance: DiscussionReply, origin=None, **kwargs):
    """A deleted reply is counted out of its thread, unless the thread goes in the same deletion.

    Replies are removed only by deleting them (origin: a reply or a queryset of replies: the API's
    ``reply_delete``, the admin) or by deleting their thread, directly or through its course; in
    the second case the thread is about to go and counting down would be wasted work. Django sends
    this for every collected instance, even one a concurrent deletion already removed, so callers
    that can race lock the reply first (``reply_delete`` does).
    """
    origin_model = origin.model if isinstance(origin, QuerySet) else type(origin)
    if origin is not None and origin_model is not DiscussionReply:
        return
    thread_record_reply_removed(thread_id=instance.thread_id)


def progress_saved(sender, instance: ProblemProgress, raw: bool = False, **kwargs):
    """Drop that user's entry for that problem and their summaries in its course, after commit.

    The course is the instance's ``known_course_id`` when whoever saved it knew it
    (``progress_recompute`` from the judge), otherwise looked up.
    """
    if raw:
        return
    course_id = getattr(instance, "known_course_id", None)
    if course_id is None:
        course_id = selectors.problem_course_id(problem_id=instance.problem_id)
    cache.progress_invalidate_on_commit(
        user_id=instance.user_id, problem_id=instance.problem_id, course_id=course_id
    )


def course_saved(sender, instance: Course, raw: bool = False, **kwargs):
    """Its late policy may have changed: its progress summaries go, after commit."""
    if not raw:
        cache.course_content_invalidate_on_commit(course_ids=[instance.pk])


def course_deleted(sender, instance: Course, origin=None, **kwargs):
    """A deleted course's cached row and outline go (they would keep its page up)."""
    cache.course_content_invalidate_on_commit(course_ids=[instance.pk])


def exam_changed(sender, instance: Exam, raw: bool = False, **kwargs):
    """An exam was saved or deleted: its course page's list of exams goes, after commit."""
    if not raw:
        cache.course_exams_invalidate_on_commit(course_id=instance.course_id)


def course_content_will_change(sender, instance: Chapter | Problem, raw: bool = False, **kwargs):
    """Note the course(s) of a chapter or problem about to be saved: moving one changes two.

    ``QuerySet.update`` sends no signal: a bulk change of problems' flags or points calls
    ``cache.course_content_invalidate_on_commit`` itself.
    """
    if not raw:
        instance._content_course_ids = selectors.content_course_ids(instance)


def course_content_changed(sender, instance: Chapter | Problem, raw: bool = False, **kwargs):
    """Which problems count and for how many points may have changed: the summaries go."""
    if not raw:
        course_ids = instance.__dict__.pop("_content_course_ids", set())
        cache.course_content_invalidate_on_commit(course_ids=course_ids)


def course_content_deleted(sender, instance: Chapter | Problem, origin=None, **kwargs):
    """A chapter or problem went. In a cascade, the deletion it started from tells the course
    (a chapter knows its course; a deleted course has nothing left to invalidate)."""
    origin_model = origin.model if isinstance(origin, QuerySet) else type(origin)
    if origin is not None and origin_model is not sender:
        return
    if isinstance(instance, Chapter):
        course_ids = {instance.course_id}
    else:
        course_ids = selectors.content_course_ids(instance)
    cache.course_content_invalidate_on_commit(course_ids=course_ids)


def exam_problem_will_change(sender, instance: ExamProblem, raw: bool = False, **kwargs):
    """Lock the exam before the problem row, the one lock order (``exam_lock``)."""
    if not raw:
        exam_lock(exam_id=instance.exam_id)


def exam_problem_saved(sender, instance: ExamProblem, raw: bool = False, **kwargs):
    if raw or getattr(instance, "skip_signal", False):
        return
    exam_recompute_scores(exam_id=instance.exam_id, missing_ok=True)


def exam_problem_deleted(sender, instance: ExamProblem, origin=None, **kwargs):
    """Recompute, unless bulk work asked not to or the exam goes in the same deletion.

    Exam problems are removed only by deleting them (origin: an ExamProblem or a queryset of
    them) or by deleting their exam (directly or through its course: ``problem`` is RESTRICT, so
    nothing else can cascade to them). In the second case the exam still exists at this point,
    about to be deleted, and recomputing it would be wasted work.
    """
    if getattr(instance, "skip_signal", False):
        return
    origin_model = origin.model if isinstance(origin, QuerySet) else type(origin)
    if origin is not None and origin_model is not ExamProblem:
        return
    exam_recompute_scores(exam_id=instance.exam_id, missing_ok=True)


def enrollment_changed(sender, instance: Enrollment, raw: bool = False, **kwargs):
    """The course's roster and the user's course list go, after commit."""
    if raw:
        return
    cache.enrollments_invalidate_on_commit(
        course_ids=[instance.course_id], user_ids=[instance.user_id]
    )
