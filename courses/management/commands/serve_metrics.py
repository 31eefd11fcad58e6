"""``python manage.py serve_metrics``: this host's judging metrics, for Prometheus.

A worker host has no web server, yet its Celery workers count the verdicts, judging times and
failures (``courses.metrics``, in prometheus-client's multiprocess mode). This serves the sum of
this host's ``PROMETHEUS_MULTIPROC_DIR`` over HTTP (``/metrics``, no authentication: bind it to an
address only Prometheus reaches; 127.0.0.1 by default). ``--once`` prints it instead.
Web hosts serve the same, plus the platform's state, at ``/metrics`` of the app.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from courses import metrics


class Command(BaseCommand):
    help = "Serve (or print, with --once) this host's Celery workers' metrics for Prometheus."
    requires_system_checks: list = []

    def add_arguments(self, parser) -> None:
        parser.add_argument("--port", type=int, default=9808)
        parser.add_argument("--address", default="127.0.0.1")
        parser.add_argument("--once", action="store_true", help="print the metrics and exit")

    def handle(self, *args, port: int, address: str, once: bool, **options) -> None:
        if not metrics.multiprocess_dir():
            raise CommandError("PROMETHEUS_MULTIPROC_DIR is not set: the workers count nothing")
        if once:
            self.stdout.write(metrics.render_events().decode())
            return
        from prometheus_client import CollectorRegistry, start_http_server
        from prometheus_client.multiprocess import MultiProcessCollector

        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        start_http_server(port, addr=address, registry=registry)
        self.stdout.write(f"serving this host's metrics at http://{address}:{port}/metrics")
        while True:
            time.sleep(3600)
