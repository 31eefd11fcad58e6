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


def paginated_response(request, view, queryset, serializer_class, **serializer_kwargs) -> Response:
    """One page of ``queryset`` rendered with ``serializer_class``, in the paginated body."""
    paginator = PagePagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    data = serializer_class(page, many=True, **serializer_kwargs).data
    return paginator.get_paginated_response(data)
