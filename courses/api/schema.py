"""OpenAPI 3 for the API (drf-spectacular), read from the views' own conventions.

Every view is an ``APIView`` with nested serializers (DESIGN.md, "Conventions"); this schema
class reads them, so a view needs ``@extend_schema`` only where it departs from them:

- ``InputSerializer``: the request body of POST, PUT and PATCH.
- ``FilterSerializer``: the query parameters of GET.
- ``OutputSerializer``: the response body; with ``paginated = True`` a GET answers one page of
  them (``courses.api.pagination``).
- ``success_statuses``: ``{"POST": 201}`` and the like; by default POST answers 201, DELETE 204
  and every other method 200.

Every operation documents the one error shape (``ErrorResponse``) for its failures: 400, 403,
404 and 429 explicitly, every other status through the ``default`` response.
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from courses.api.pagination import PagePagination

BODY_METHODS = ("POST", "PUT", "PATCH")
DEFAULT_SUCCESS = {"POST": 201, "DELETE": 204}
DOCUMENTED_ERRORS = {
    "400": "Invalid input, malformed JSON, or an unknown language.",
    "403": "Not logged in, not enrolled, or not allowed.",
    "404": "No such object, or one this user may not know exists.",
    "429": "Too many requests; see Retry-After.",
    "default": "Any other failure, in the same shape.",
}


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable, machine-readable: invalid_input, not_found…")
    message = serializers.CharField(help_text="For people.")
    fields = serializers.DictField(
        child=serializers.CharField(),
        help_text="Input names at fault (dotted for nested input), each with its problem.",
    )


class ErrorResponseSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()

    class Meta:
        ref_name = "ErrorResponse"


class ApiAutoSchema(AutoSchema):
    def get_request_serializer(self):
        if self.method in BODY_METHODS:
            return getattr(self.view, "InputSerializer", None)
        return None

    def get_serializer_name(self, serializer, direction) -> str:
        """``SubmissionCreateApi.InputSerializer`` is the component ``SubmissionCreateInput``.

        Nested serializers share their short names from view to view; the view's name keeps
        each component's name unique.
        """
        cls = serializer if isinstance(serializer, type) else type(serializer)
        outer, _, inner = cls.__qualname__.rpartition(".")
        if outer:
            return outer.removesuffix("Api") + inner.removesuffix("Serializer")
        return super().get_serializer_name(serializer, direction)

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if self.method == "GET" and hasattr(self.view, "FilterSerializer"):
            parameters = [*parameters, self.view.FilterSerializer]
        return parameters

    def get_response_serializers(self):
        if self.method == "DELETE":
            return None
        return getattr(self.view, "OutputSerializer", None)

    def _is_list_view(self, serializer=None) -> bool:
        if getattr(self.view, "paginated", False):
            return self.method == "GET"
        return super()._is_list_view(serializer)

    def _get_paginator(self):
        if getattr(self.view, "paginated", False) and self.method == "GET":
            return PagePagination()
        return super()._get_paginator()

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        custom = getattr(self.view, "success_statuses", {}).get(self.method)
        default = DEFAULT_SUCCESS.get(self.method, 200)
        wanted = str(custom or default)
        success = [code for code in responses if code.startswith("2")]
        if len(success) == 1 and success[0] != wanted:
            body = responses.pop(success[0])
            if wanted == "204":
                body = {"description": "No response body"}
            responses[wanted] = body
        for code, description in DOCUMENTED_ERRORS.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(response=ErrorResponseSerializer, description=description),
                    code,
                    direction=direction,
                )
        return responses
