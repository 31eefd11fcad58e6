"""Prometheus metrics (``GET /metrics``): what judging did, and what waits now.

Two kinds, each counted where it is exact:

- **Events** (verdicts, judging time, queue wait, judging failures, "Run code" runs) are counted
  by the process where they happen — a Celery worker, a gunicorn worker, ``runserver`` — with
  ``prometheus-client``. Several processes on one host share them through its *multiprocess
  mode*: every process of the host runs with the same ``PROMETHEUS_MULTIPROC_DIR`` (``make
  stack`` sets and empties it at start), and ``/metrics`` adds up the files of that directory.
  Each host is scraped on its own (a worker host runs ``manage.py serve_metrics``); Prometheus
  sums the hosts. Without the variable (the embedded default) they live in the process itself.
- **State** (queue lengths, submissions waiting and the oldest one's wait, workers seen) is read
  at scrape time from the database, the broker and the workers' heartbeats
  (``courses.services.operations``): the same answer on every host, never double-counted
  across processes. Every state query is a count on an indexed column.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

__all__ = ["CONTENT_TYPE_LATEST", "render"]

#: Seconds: from a quarter second to an hour (a rush, or a rejudge of thousands).
WAIT_BUCKETS = (0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900, 3600)
#: Seconds of one judging or one run: from 50 ms (a small Python batch) to the lease's scale.
RUN_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 60, 300)

QUEUE_WAIT = Histogram(
    "codecourses_judge_queue_wait_seconds",
    "From a submission's (re)queueing by a person to a worker claiming it, per lane.",
    ["lane"],
    buckets=WAIT_BUCKETS,
)
JUDGING_TIME = Histogram(
    "codecourses_judging_seconds",
    "From a worker's claim to the saved verdict of one submission, per backend.",
    ["backend"],
    buckets=RUN_BUCKETS,
)
VERDICTS = Counter(
    "codecourses_verdicts_total", "Submissions judged, by their saved verdict.", ["verdict"]
)
JUDGING_FAILURES = Counter(
    "codecourses_judging_failures_total",
    "Judgings that ended without a verdict of the code, by backend, kind (outage: the submission "
    "waits for a retry; error: internal_error; claim_lost: another worker owns it; bug: an "
    "unexpected exception) and error class (SandboxUnavailable, BackendUnavailable, ...).",
    ["backend", "kind", "error"],
)
CODE_RUNS = Counter(
    "codecourses_code_runs_total",
    '"Run code" requests, by where they ran (inline, worker) and how they ended.',
    ["where", "outcome"],
)
RUN_TIME = Histogram(
    "codecourses_code_run_seconds",
    '"Run code" as the person waits for it, queue included, by where it ran.',
    ["where"],
    buckets=RUN_BUCKETS,
)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class StateCollector:
    """Gauges read at scrape time (``courses.services.operations.state``)."""

    def collect(self):
        from courses.services.operations import platform_state

        state = platform_state()
        queue = GaugeMetricFamily(
            "codecourses_queue_length",
            "Messages waiting in each Celery queue (lane) of the broker.",
            labels=["lane"],
        )
        for lane, length in state.queue_lengths.items():
            queue.add_metric([lane], length)
        yield queue
        waiting = GaugeMetricFamily(
            "codecourses_submissions_waiting",
            "Submissions not judged yet, by status and lane (from the database).",
            labels=["status", "lane"],
        )
        for (status, lane), count in state.waiting.items():
            waiting.add_metric([status, lane], count)
        yield waiting
        oldest = GaugeMetricFamily(
            "codecourses_oldest_pending_wait_seconds",
            "How long the oldest pending submission of each lane has waited since its queueing.",
            labels=["lane"],
        )
        for lane, seconds in state.oldest_pending_s.items():
            oldest.add_metric([lane], seconds)
        yield oldest
        workers = GaugeMetricFamily(
            "codecourses_workers_seen",
            "Celery workers whose heartbeat is recent, per lane they consume.",
            labels=["lane"],
        )
        for lane, count in state.workers_per_lane.items():
            workers.add_metric([lane], count)
        yield workers


def render() -> bytes:
    """The exposition text: this host's events, then the platform's state."""
    if multiprocess_dir():
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        text = generate_latest(registry)
    else:
        text = generate_latest(REGISTRY)
    state = CollectorRegistry()
    state.register(StateCollector())
    return text + generate_latest(state)


def render_events() -> bytes:
    """This host's events only (``manage.py serve_metrics`` on a worker host: no database)."""
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    return generate_latest(registry)
