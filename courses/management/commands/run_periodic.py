"""``python manage.py run_periodic``: Celery beat's schedule, in one small process.

The embedded default has no worker and no beat (Celery runs eagerly, inside the request), so the
periodic jobs of ``CELERY_BEAT_SCHEDULE`` — the requeue that judges submissions queued by an
outage once the judge is back, the end of expired exam attempts — would never run. ``make run``
starts this command beside the server. Each job runs in this process at its interval (the first
time at start), one after another; a failing job is logged and tried again at its next turn.
A scaled deployment runs ``celery beat`` instead; both at once is harmless (every job is).
"""

from __future__ import annotations

import logging
import time

from celery import current_app
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

logger = logging.getLogger(__name__)


def scheduled_jobs() -> list[tuple[str, str, float]]:
    """``(name, task name, interval in seconds)`` of every entry of ``CELERY_BEAT_SCHEDULE``."""
    jobs = []
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        schedule = entry["schedule"]
        seconds = schedule.total_seconds() if hasattr(schedule, "total_seconds") else schedule
        jobs.append((name, entry["task"], float(seconds)))
    return jobs


def scheduled_tasks() -> dict[str, object]:
    """The Celery task of each scheduled job, by job name.

    The tasks modules are imported first, as a worker or beat does at its start: the app finds
    them lazily (``autodiscover_tasks``), so a fresh process that never imported
    ``courses.tasks`` has none registered. A job whose task does not exist fails here, at once
    (``NotRegistered``), not at each of its turns.
    """
    current_app.loader.import_default_modules()
    return {name: current_app.tasks[task_name] for name, task_name, _ in scheduled_jobs()}


def run_periodic(*, duration: float | None = None, stop=None) -> None:
    """Run the scheduled jobs until ``duration`` seconds pass or ``stop`` (an Event) is set."""
    jobs = scheduled_jobs()
    tasks = scheduled_tasks()
    started = time.monotonic()
    due = {name: started for name, _, _ in jobs}

    def running() -> bool:
        if stop is not None and stop.is_set():
            return False
        return duration is None or time.monotonic() - started < duration

    while running():
        now = time.monotonic()
        for name, _, every in jobs:
            if now < due[name]:
                continue
            due[name] = now + every
            close_old_connections()
            try:
                tasks[name].apply(throw=True)
            except Exception:
                logger.exception("periodic job %s failed", name)
        close_old_connections()
        pause = min(1.0, min(due.values()) - time.monotonic())
        if stop is not None:
            stop.wait(max(0.05, pause))
        else:
            time.sleep(max(0.05, pause))


class Command(BaseCommand):
    help = "Run the periodic jobs of CELERY_BEAT_SCHEDULE in this process (no beat needed)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--duration", type=float, default=None, help="stop after this many seconds"
        )

    def handle(self, *args, duration: float | None = None, **options) -> None:
        jobs = scheduled_jobs()
        self.stdout.write(
            "periodic jobs: " + ", ".join(f"{name} every {every:g} s" for name, _, every in jobs)
        )
        run_periodic(duration=duration)
