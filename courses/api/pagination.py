"""Every list of the API is paginated the same way: ``?page=N&page_size=M``.

The body is ``{"count", "next", "previous", "results"}``. A malformed ``page`` or ``page_size``
(``abc``, 0, -1, a size over 100) is 400 ``invalid_input`` naming the parameter, on every list
alike (DRF alone would answer 404 for the page and silently ignore the size); a well-formed page
past the end is 404 ``not_found`` (DRF's rule), in the one error shape like every other failure.
"""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from courses.api.fields import IdField

MAX_PAGE_SIZE = 100


class PageQuerySerializer(serializers.Serializer):
    """``?page`` and ``?page_size`` of a list (also what the schema documents for them)."""

    page = IdField(required=False)
    page_size = serializers.IntegerField(min_value=1, max_value=MAX_PAGE_SIZE, required=False)


class PagePagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def paginate_queryset(self, queryset, request, view=None):
        """DRF's pagination, once the page parameters are known to be well-formed."""
        query = request.query_params
        given = {name: query[name] for name in PageQuerySerializer().fields if name in query}
        PageQuerySerializer(data=given).is_valid(raise_exception=True)
        return super().paginate_queryset(queryset, request, view=view)


def paginated_response(
    request, view, queryset, serializer_class, *, prepare=None, **serializer_kwargs
) -> Response:
    """One page of ``queryset`` rendered with ``serializer_class``, in the paginated body.

    ``prepare`` (a selector) turns the page's rows into what is rendered, when a row needs more
    than its queryset can carry: set-based, for the whole page at once.
    """
    paginator = PagePagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    if prepare is not None:
        page = prepare(page)
    data = serializer_class(page, many=True, **serializer_kwargs).data
    return paginator.get_paginated_response(data)
