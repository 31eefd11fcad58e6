"""Operators' endpoints: ``GET /api/v1/health/`` (can this node serve? for load balancers;
public) and ``GET /metrics`` (Prometheus; behind a token).

The health answer names parts and states, never hosts, addresses or error texts
(``courses.services.operations.health``).
"""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import Http404, HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from courses import metrics
from courses.services.operations import health


class CheckSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    ms = serializers.FloatField(help_text="How long the check took.")


class HealthSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=["ok", "degraded", "unavailable"],
        help_text="ok; degraded: serving, some shared part fails; unavailable: 503.",
    )
    failing = serializers.ListField(child=serializers.CharField())
    checks = serializers.DictField(
        child=CheckSerializer(),
        help_text=(
            "database, cache, broker (mode inline or redis), workers (count and per lane), "
            "sandbox (backend, where code runs, isolation modes)."
        ),
    )


class HealthApi(APIView):
    """``GET /api/v1/health/``: 200 while this node can serve (its database answers), 503
    ``unavailable`` otherwise, listing the failing parts either way. The cache, the broker and
    the workers are shared by every node: their failure is ``degraded`` (200), since taking
    every node out would turn a partial outage into a total one."""

    authentication_classes = []
    permission_classes = [AllowAny]
    success_statuses = {"GET": 200}

    @extend_schema(responses={200: HealthSerializer, 503: HealthSerializer})
    def get(self, request) -> Response:
        serving, answer = health()
        return Response(
            answer, status=200 if serving else 503, headers={"Cache-Control": "no-store"}
        )


def metrics_view(request) -> HttpResponse:
    """``GET /metrics``: the Prometheus exposition (``courses.metrics``), for the holder of
    ``COURSES_METRICS_TOKEN`` (``Authorization: Bearer ...``); 404 while no token is set, 403 for
    a wrong one. A plain Django view: Prometheus reads text, not the API's JSON."""
    expected = settings.COURSES_METRICS_TOKEN
    if not expected:
        raise Http404("metrics are off: set COURSES_METRICS_TOKEN")
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), expected.encode()):
        return HttpResponse("forbidden\n", status=403, content_type="text/plain")
    return HttpResponse(metrics.render(), content_type=metrics.CONTENT_TYPE_LATEST)
