"""Discussion replies."""

from __future__ import annotations

from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from courses import selectors
from courses.services.discussions import reply_create


class ThreadReplyCreateApi(APIView):
    """``POST /api/v1/threads/<id>/replies/``: reply in a thread of a course you are in.

    A closed thread answers 409 ``thread_closed``; the thread's counters follow in the reply's
    transaction (the post_save signal).
    """

    class InputSerializer(serializers.Serializer):
        # Blank bodies are the service's to refuse, with the same message everywhere.
        body = serializers.CharField(allow_blank=True, max_length=20_000)

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        thread = serializers.IntegerField(source="thread_id")
        author = serializers.CharField(source="author.get_username")
        body = serializers.CharField()
        created_at = serializers.DateTimeField()

    def post(self, request, thread_id: int) -> Response:
        thread = selectors.thread_for_member(user=request.user, thread_id=thread_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reply = reply_create(thread=thread, author=request.user, **serializer.validated_data)
        return Response(self.OutputSerializer(reply).data, status=status.HTTP_201_CREATED)
