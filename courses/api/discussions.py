"""Discussions: a course's threads, a thread, its replies, a reply.

Who may read and change what is ``courses.selectors.discussions``'s (its docstring has the
rules): members read, authors edit their own text, the course's staff pin, close and delete.
Threads about an open exam's problems are not found for students.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from courses import selectors
from courses.api.fields import (
    IdField,
    StrictBooleanField,
    StrictCharField,
    StrictIdField,
)
from courses.api.pagination import paginated_response
from courses.api.refs import ProblemRefSerializer
from courses.services.discussions import (
    BODY_MAX_CHARS,
    TITLE_MAX_CHARS,
    reply_create,
    reply_delete,
    reply_edit,
    thread_create,
    thread_delete,
    thread_update,
)


def _body_field(**kwargs) -> StrictCharField:
    # Blank text is the service's to refuse, with the same message everywhere.
    return StrictCharField(allow_blank=True, max_length=BODY_MAX_CHARS, **kwargs)


class ThreadOutputSerializer(serializers.Serializer):
    """A thread in a list. ``author`` is ``null`` once the author's account is deleted."""

    id = serializers.IntegerField()
    title = serializers.CharField()
    problem = ProblemRefSerializer(allow_null=True)
    author = serializers.CharField(source="author.get_username", allow_null=True)
    reply_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    last_activity_at = serializers.DateTimeField()
    is_pinned = serializers.BooleanField()
    is_closed = serializers.BooleanField()


class ThreadDetailOutputSerializer(ThreadOutputSerializer):
    course = serializers.IntegerField(source="course_id")
    body = serializers.CharField()


class ReplyOutputSerializer(serializers.Serializer):
    """A reply. ``edited_at`` is set once its author edits it; ``author`` as for threads."""

    id = serializers.IntegerField()
    thread = serializers.IntegerField(source="thread_id")
    author = serializers.CharField(source="author.get_username", allow_null=True)
    body = serializers.CharField()
    created_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)


class ThreadListApi(APIView):
    """``GET/POST /api/v1/courses/<id>/threads/``: a course's threads; start one.

    GET: pinned first, then the most recently active; ``?problem=<id>`` keeps one problem's.
    POST: for members; ``problem`` (optional) must be a problem of the course that the author
    may read (students: one open for practice and in no open exam), else 404 naming it.
    """

    paginated = True

    class FilterSerializer(serializers.Serializer):
        problem = IdField(required=False)

    class InputSerializer(serializers.Serializer):
        title = StrictCharField(allow_blank=True, max_length=TITLE_MAX_CHARS)
        body = _body_field()
        problem = StrictIdField(required=False, allow_null=True)

    OutputSerializer = ThreadOutputSerializer

    def get(self, request, course_id: int) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        threads = selectors.threads_for_member(
            user=request.user, course_id=course_id, problem_id=filters.validated_data.get("problem")
        )
        return paginated_response(request, self, threads, self.OutputSerializer)

    @extend_schema(responses={201: ThreadDetailOutputSerializer})
    def post(self, request, course_id: int) -> Response:
        course = selectors.course_for_member(user=request.user, course_id=course_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        problem = selectors.thread_problem_for_author(
            user=request.user, course=course, problem_id=data.get("problem")
        )
        thread = thread_create(
            course=course,
            author=request.user,
            title=data["title"],
            body=data["body"],
            problem=problem,
        )
        return Response(ThreadDetailOutputSerializer(thread).data, status=status.HTTP_201_CREATED)


class ThreadDetailApi(APIView):
    """``GET/PATCH/DELETE /api/v1/threads/<id>/``: a thread with its body (replies: separate).

    PATCH: its author edits ``title`` and ``body``; the course's staff set ``is_pinned`` and
    ``is_closed`` (anyone else: 403 ``permission_denied`` naming the fields). DELETE: the staff,
    or its author until someone else has replied (409 ``thread_has_replies``); replies go too.
    """

    class InputSerializer(serializers.Serializer):
        title = StrictCharField(required=False, allow_blank=True, max_length=TITLE_MAX_CHARS)
        body = _body_field(required=False)
        is_pinned = StrictBooleanField(required=False)
        is_closed = StrictBooleanField(required=False)

    OutputSerializer = ThreadDetailOutputSerializer

    def get(self, request, thread_id: int) -> Response:
        thread = selectors.thread_for_member(user=request.user, thread_id=thread_id)
        return Response(self.OutputSerializer(thread).data)

    def patch(self, request, thread_id: int) -> Response:
        thread = selectors.thread_for_member(user=request.user, thread_id=thread_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        changes = serializer.validated_data
        selectors.require_thread_change(user=request.user, thread=thread, changes=changes.keys())
        thread = thread_update(thread=thread, **changes)
        return Response(self.OutputSerializer(thread).data)

    def delete(self, request, thread_id: int) -> Response:
        deletion = selectors.thread_for_deletion(user=request.user, thread_id=thread_id)
        thread_delete(thread=deletion.thread, only_if_unanswered=deletion.only_if_unanswered)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ThreadRepliesApi(APIView):
    """``GET/POST /api/v1/threads/<id>/replies/``: a thread's replies, oldest first; reply.

    A closed thread answers 409 ``thread_closed``; the thread's counters follow in the reply's
    transaction (the post_save signal).
    """

    paginated = True

    class InputSerializer(serializers.Serializer):
        body = _body_field()

    OutputSerializer = ReplyOutputSerializer

    def get(self, request, thread_id: int) -> Response:
        replies = selectors.thread_replies(user=request.user, thread_id=thread_id)
        return paginated_response(request, self, replies, self.OutputSerializer)

    def post(self, request, thread_id: int) -> Response:
        thread = selectors.thread_for_member(user=request.user, thread_id=thread_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reply = reply_create(thread=thread, author=request.user, **serializer.validated_data)
        return Response(self.OutputSerializer(reply).data, status=status.HTTP_201_CREATED)


class ReplyDetailApi(APIView):
    """``PATCH/DELETE /api/v1/replies/<id>/``: edit your own reply; delete yours (or, staff, any).

    An edit sets ``edited_at`` and moves no counter; a deletion counts the reply out of its
    thread (``reply_count`` drops by one; ``last_activity_at`` stays).
    """

    class InputSerializer(serializers.Serializer):
        body = _body_field()

    OutputSerializer = ReplyOutputSerializer

    def patch(self, request, reply_id: int) -> Response:
        reply = selectors.reply_for_author(user=request.user, reply_id=reply_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reply = reply_edit(reply=reply, **serializer.validated_data)
        return Response(self.OutputSerializer(reply).data)

    def delete(self, request, reply_id: int) -> Response:
        reply = selectors.reply_for_deletion(user=request.user, reply_id=reply_id)
        reply_delete(reply=reply)
        return Response(status=status.HTTP_204_NO_CONTENT)
