"""gunicorn's settings for the web hosts of the scaled deployment (``make stack``, README).

Everything can be overridden on the command line or with ``GUNICORN_CMD_ARGS``. Sync workers:
requests are short, except "Run code", which waits for a worker of the ``run`` lane (at most
COURSES_RUN_QUEUE_WAIT_SECONDS plus the run's budget), hence a few threads per process.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 4))
worker_class = "gthread"
# Longer than the longest request ("Run code": queue wait plus the run's budget).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 90))
graceful_timeout = 20
keepalive = 5
max_requests = 2000
max_requests_jitter = 200
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
wsgi_app = "config.wsgi:application"
# gunicorn's control socket would be one path per user ($HOME/.gunicorn), shared by every
# instance on the host; nothing here uses it.
control_socket_disable = True


def child_exit(server, worker) -> None:
    """A worker that exits leaves its metric files behind for the others' sums (counters keep
    counting); prometheus-client is told so that live gauges of the dead process are dropped."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
