"""The Celery app. Without REDIS_URL, tasks run inline (CELERY_TASK_ALWAYS_EAGER).

A worker process keeps its database connection between tasks (``CELERY_DB_REUSE_MAX``) and
checks it before and after each task as Django checks a web request's: closed once older than
``DATABASE_CONN_MAX_AGE`` or broken, health-checked before its next use (a restarted PostgreSQL
costs one reconnect). Inline (eager) tasks run inside the request's connection: left alone.

A worker's main process writes a heartbeat (its lanes and sandbox mode) that the health
endpoint and the metrics read as "workers seen" (``courses.services.operations``).
"""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun, worker_ready, worker_shutdown

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("codecourses")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

_heartbeat = []


@task_prerun.connect
@task_postrun.connect
def check_database_connections(sender=None, **kwargs) -> None:
    if not getattr(getattr(sender, "request", None), "is_eager", False):
        from django.db import close_old_connections

        close_old_connections()


@worker_ready.connect
def start_heartbeat(sender, **kwargs) -> None:
    from django.conf import settings

    from courses.services.operations import Heartbeat, sandbox_mode

    queues = set(sender.app.amqp.queues.consume_from or sender.app.amqp.queues)
    lanes = [lane for lane, queue in settings.COURSES_QUEUES.items() if queue in queues]
    beat = Heartbeat(name=sender.hostname, lanes=lanes, sandbox=sandbox_mode())
    beat.start()
    _heartbeat.append(beat)


@worker_shutdown.connect
def stop_heartbeat(sender, **kwargs) -> None:
    while _heartbeat:
        _heartbeat.pop().stop()
