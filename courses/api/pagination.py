"""Every list of the API is paginated the same way: ``?page=N&page_size=M``.

The body is ``{"count", "next", "previous", "results"}``. A page past the end is 404
``not_found`` (DRF's rule), in the one error shape like every other failure.
"""

from __future__ import annotations

from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response


class PagePagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


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
