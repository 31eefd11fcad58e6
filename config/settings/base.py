"""Settings from environment variables, with safe embedded defaults (README, Configuration).

Embedded default: SQLite file, local-memory cache, Celery eager (inline judging), local sandbox.
Scaled: DATABASE_URL=postgres://..., REDIS_URL=redis://... (cache and Celery broker), Judge0.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY in the environment, or DEBUG=1 for development "
            "(then an insecure development key is used)."
        )
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_ace",
    "courses",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before anything reads the request: a charset its request class could not use (wsgi.py).
    "courses.wsgi.UnusableCharsetMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "courses.web.middleware.ServiceErrorPagesMiddleware",
]
if not DEBUG:
    # Static files from the app servers themselves (no CDN): collected by `collectstatic`,
    # compressed and served with far-future caching. In the embedded default (DEBUG) runserver
    # serves them from the apps' folders instead.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "courses.web.context.site",
            ]
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
        # A kept connection (DATABASE_CONN_MAX_AGE > 0) is checked before its first use in each
        # request and task, so a restarted PostgreSQL costs a reconnect, not a failed request.
        conn_health_checks=env_bool("DATABASE_CONN_HEALTH_CHECKS", True),
    )
}
#: The longest a statement waits for a lock held by another transaction before it fails with
#: ``OperationalError``, in every process (web requests, Celery tasks, commands): PostgreSQL's
#: ``lock_timeout`` for each connection, SQLite's busy timeout. The platform's transactions hold
#: their locks for milliseconds (no code runs inside one), so a wait this long means something is
#: stuck: the request fails well inside gunicorn's timeout, the task is retried, and no worker
#: hangs on a lock forever (docs/decisions.md, "Database lock timeout").
DATABASE_LOCK_TIMEOUT_SECONDS = float(os.environ.get("DATABASE_LOCK_TIMEOUT_SECONDS", 10))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # BEGIN IMMEDIATE: a transaction that reads then writes waits for the write lock instead of
    # failing with "database is locked" when another writer got there first.
    # WAL with synchronous=NORMAL (SQLite's advice for this use): readers never wait for the
    # writer, and a commit appends to the log without an fsync (checkpoints sync it), instead of
    # the rollback journal's several fsyncs per commit, which cost more than judging a small
    # submission (docs/performance.md). A crash of the program loses nothing; a power cut may
    # lose the last commits, never consistency (docs/decisions.md, "SQLite in WAL mode").
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": DATABASE_LOCK_TIMEOUT_SECONDS,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        }
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A startup parameter, so it holds from the connection's first statement on.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        f"-c lock_timeout={round(DATABASE_LOCK_TIMEOUT_SECONDS * 1000)}"
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "codecourses"),
            # A Redis that stops answering must be a miss, not a hung request (DESIGN.md, Cache).
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Sessions live in the database, never in the cache: a Redis outage must not log anyone out.
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# Django's four: not like the username or email, at least 8 characters, not one of the
# 20,000 most common passwords, not all digits.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed names (cache busting) and compressed copies, once `collectstatic` ran; the
        # embedded default serves the files as they are.
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# The site (courses/web): Django's session login, pages under /.
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:home"

REST_FRAMEWORK = {
    # Browsers use the session (with CSRF on unsafe methods); scripts use a token
    # (``Authorization: Token <key>`` from POST /api/v1/auth/token/). README, "API".
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # DRF's, with a failed CSRF check answered 403 ``csrf_failed`` (courses/api/auth.py).
        "courses.api.auth.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["courses.api.parsers.BoundedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "courses.api.pagination.PagePagination",
    "DEFAULT_SCHEMA_CLASS": "courses.api.schema.ApiAutoSchema",
    # Every failure in one shape: {"error": {"code", "message", "fields"}} (courses/api/errors.py).
    "EXCEPTION_HANDLER": "courses.api.errors.exception_handler",
    # Per-address throttles (logins, sign-ups) count REMOTE_ADDR; behind N trusted proxies set
    # COURSES_NUM_PROXIES=N to take the client's address from X-Forwarded-For. Never trust a
    # client-sent X-Forwarded-For otherwise: anyone could give every request a new address.
    "NUM_PROXIES": env_int("COURSES_NUM_PROXIES", 0),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CodeCourses API",
    "DESCRIPTION": (
        "Programming courses with automatically judged exercises. Every failure has one shape: "
        '{"error": {"code", "message", "fields"}}.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The interactive docs' assets come from the drf-spectacular-sidecar package, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "VerdictEnum": "courses.judging.types.Verdict",
        "EnrollmentRoleEnum": "courses.models.enrollment.Enrollment.Role",
        "EnrollmentStatusEnum": "courses.models.enrollment.Enrollment.Status",
        "ProgressStatusEnum": "courses.models.progress.ProblemProgress.Status",
        "LatePolicyEnum": "courses.models.course.Course.LatePolicy",
        "IoModeEnum": "courses.models.problem.Problem.IoMode",
    },
    # Ids in paths (``<id:...>``, courses/ids.py): integers from 1 to the largest 64-bit key.
    "PATH_CONVERTER_OVERRIDES": {
        "id": {"type": "integer", "format": "int64", "minimum": 1, "maximum": 2**63 - 1}
    },
}
#: The largest API request body; larger ones get 413 ``payload_too_large`` before parsing. Room
#: for the 64 KiB source and 64 KiB stdin limits even when JSON escaping inflates them.
COURSES_API_MAX_BODY_BYTES = env_int("COURSES_API_MAX_BODY_BYTES", 256 * 1024)
#: Form bodies (the admin, where instructors paste test data) stay at Django's own bound: test
#: inputs can be larger than any API body. DRF's JSON parsing never reads this one.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 5 * 1024 * 1024 // 2)
#: Free runs ("Run code") per user, as DRF writes rates; each occupies a sandbox slot.
COURSES_API_RUN_RATE = os.environ.get("COURSES_API_RUN_RATE", "30/min")
#: Sign-ups and password-reset requests per client address (DRF rate syntax).
COURSES_API_SIGNUP_RATE = os.environ.get("COURSES_API_SIGNUP_RATE", "10/hour")
#: Failed and successful logins per client address (session and token), against guessing.
COURSES_API_LOGIN_RATE = os.environ.get("COURSES_API_LOGIN_RATE", "30/min")
#: The largest CSV body of an enrollment import (POST .../enrollments/import/): 2 MiB is some
#: 50,000 emails.
COURSES_API_MAX_CSV_BYTES = env_int("COURSES_API_MAX_CSV_BYTES", 2 * 1024 * 1024)
#: Where people reach the site: links in emails (password reset) are built from it.
COURSES_SITE_URL = os.environ.get("COURSES_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
#: Whether anyone may create a student account (POST /api/v1/auth/signup/, the sign-up page).
COURSES_SIGNUP_OPEN = env_bool("COURSES_SIGNUP_OPEN", False)
#: Submissions one user may have pending or judging at once (429 beyond; never in an exam).
COURSES_MAX_PENDING_SUBMISSIONS = env_int("COURSES_MAX_PENDING_SUBMISSIONS", 3)
#: How much of each case's output and error text is stored for the course's staff, in bytes.
COURSES_STORED_OUTPUT_BYTES = env_int("COURSES_STORED_OUTPUT_BYTES", 64 * 1024)

# --- Mail (password reset) -----------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "CodeCourses <noreply@localhost>")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# --- Celery: Redis broker when REDIS_URL is set, inline (eager) otherwise -----------------------
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
# Inline judging never fails the request that enqueued it: the submission records the outcome.
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A message not acknowledged within this time is redelivered; it must exceed the judging lease.
# The socket timeouts keep a Redis that stops answering from hanging a request that enqueues.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    "socket_timeout": 2,
    "socket_connect_timeout": 1,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing gives up after about a second: a submission whose enqueue failed stays pending and
# the periodic requeue enqueues it once the broker is back (courses.services.submissions).
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.25,
    "interval_max": 0.5,
}
# Only "Run code" has results (the web process waits for them); nothing else stores one. A
# Redis that is down must fail a run within a second or two, not after the backend's 20 retries.
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {
    "retry_policy": {
        "max_retries": 1,
        "interval_start": 0,
        "interval_step": 0.2,
        "interval_max": 0.2,
    }
}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 1
CELERY_REDIS_SOCKET_TIMEOUT = 5
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_EXPIRES = 300
CELERY_WORKER_SEND_TASK_EVENTS = False
# Celery's Django fixup closes every database connection before and after each task unless told
# to reuse them: a new PostgreSQL connection (a forked backend, SCRAM authentication) for each
# judged submission, 10-12 ms of PostgreSQL and worker CPU each (docs/performance.md, "Load").
# Workers keep theirs as web processes do: config/celery.py checks it at each task's
# start and end (DATABASE_CONN_MAX_AGE, health checks), and the fixup still closes it every
# CELERY_DB_REUSE_MAX tasks.
CELERY_DB_REUSE_MAX = 1000

#: The queues ("lanes") of the scaled deployment, so that live work never waits behind a rejudge
#: of thousands: ``live`` (new submissions, single rejudges, validation, periodic jobs), ``run``
#: ("Run code", answered while the person waits) and ``bulk`` (rejudges of a problem or a course).
#: Workers can be dedicated to lanes with ``celery worker -Q`` (README, "Running at scale").
#: ``COURSES_QUEUE_PREFIX`` names them apart when several deployments share one Redis.
COURSES_QUEUE_PREFIX = os.environ.get("COURSES_QUEUE_PREFIX", "")
COURSES_LANES = ("live", "run", "bulk")
COURSES_QUEUES = {lane: f"{COURSES_QUEUE_PREFIX}{lane}" for lane in COURSES_LANES}
CELERY_TASK_DEFAULT_QUEUE = COURSES_QUEUES["live"]
CELERY_TASK_ROUTES = {
    "courses.tasks.judge_submission": {"queue": COURSES_QUEUES["live"]},
    "courses.tasks.run_code": {"queue": COURSES_QUEUES["run"]},
    "courses.tasks.validate_problem": {"queue": COURSES_QUEUES["live"]},
    "courses.tasks.requeue_stale_submissions": {"queue": COURSES_QUEUES["live"]},
    "courses.tasks.finish_expired_attempts": {"queue": COURSES_QUEUES["live"]},
}
#: How often each worker writes its heartbeat (its lanes and sandbox mode) to Redis, which the
#: health endpoint and the metrics read as "workers seen"; one is forgotten after 3 missed beats.
COURSES_WORKER_HEARTBEAT_SECONDS = float(os.environ.get("COURSES_WORKER_HEARTBEAT_SECONDS", 10))

#: How often the periodic requeue looks for submissions due again (retries after an outage, lost
#: workers, failed enqueues). Celery beat runs it when scaled; ``manage.py run_periodic``, which
#: ``make run`` starts beside the server, runs the same schedule in the embedded default.
COURSES_REQUEUE_INTERVAL_SECONDS = float(os.environ.get("COURSES_REQUEUE_INTERVAL_SECONDS", 15))
CELERY_BEAT_SCHEDULE = {
    "requeue-stale-submissions": {
        "task": "courses.tasks.requeue_stale_submissions",
        "schedule": COURSES_REQUEUE_INTERVAL_SECONDS,
    }
}

# --- Judging -------------------------------------------------------------------------------------
COURSES_JUDGE_BACKEND = os.environ.get("COURSES_JUDGE_BACKEND", "local")
JUDGE0_URL = os.environ.get("JUDGE0_URL", "")
JUDGE0_AUTH_TOKEN = os.environ.get("JUDGE0_AUTH_TOKEN", "")
JUDGE0_RAPIDAPI_KEY = os.environ.get("JUDGE0_RAPIDAPI_KEY", "")
JUDGE0_RAPIDAPI_HOST = os.environ.get("JUDGE0_RAPIDAPI_HOST", "")
#: A CA file to trust for JUDGE0_URL (a private CA). Unset: the system store, which honours
#: SSL_CERT_FILE and SSL_CERT_DIR from the environment.
JUDGE0_CA_BUNDLE = os.environ.get("JUDGE0_CA_BUNDLE", "")
#: The wait budget of one judging call (creating, polling, retrying): past it the call fails and
#: a graded submission waits for its next try, its Judge0 tokens kept. Below the judging lease.
JUDGE0_WAIT_SECONDS = float(os.environ.get("JUDGE0_WAIT_SECONDS", 120))
#: One HTTP request to Judge0, from connecting to its answer's last byte (slow bodies included).
JUDGE0_REQUEST_TIMEOUT_SECONDS = float(os.environ.get("JUDGE0_REQUEST_TIMEOUT_SECONDS", 30))
JUDGE0_CONNECT_TIMEOUT_SECONDS = float(os.environ.get("JUDGE0_CONNECT_TIMEOUT_SECONDS", 5))
#: The largest answer read from Judge0; reading stops there (memory stays bounded). Polls are
#: sized so that legitimate answers (4 MB output files at most, base64) stay well under it.
JUDGE0_MAX_RESPONSE_BYTES = env_int("JUDGE0_MAX_RESPONSE_BYTES", 16 * 1024 * 1024)
#: The breaker: this many failed judging calls in a row open it for the cool-down.
JUDGE0_CIRCUIT_FAILURES = env_int("JUDGE0_CIRCUIT_FAILURES", 5)
JUDGE0_CIRCUIT_COOLDOWN_SECONDS = float(os.environ.get("JUDGE0_CIRCUIT_COOLDOWN_SECONDS", 30))
# Development only: run code with no sandbox at all when no sandbox is usable.
COURSES_ALLOW_UNSANDBOXED = env_bool("COURSES_ALLOW_UNSANDBOXED", False)
#: Local sandbox: sandboxes each worker process keeps pre-started (0: start one per run), and
#: the host's reserved uid range (uids of host accounts in it are left out; see judge_check).
COURSES_SANDBOX_POOL = env_int("COURSES_SANDBOX_POOL", 2)
COURSES_SANDBOX_UID_FIRST = env_int("COURSES_SANDBOX_UID_FIRST", 61000)
COURSES_SANDBOX_UID_COUNT = env_int("COURSES_SANDBOX_UID_COUNT", 1000)

# Limits of the "Run code" button (CodeExecutorService.run_freely) and of submissions.
COURSES_MAX_SOURCE_BYTES = env_int("COURSES_MAX_SOURCE_BYTES", 64 * 1024)
COURSES_MAX_STDIN_BYTES = env_int("COURSES_MAX_STDIN_BYTES", 64 * 1024)
COURSES_FREE_RUN_LIMITS = {
    "cpu_time_ms": 5_000,
    "wall_time_ms": 10_000,
    "memory_kb": 256 * 1024,
    "output_bytes": 64 * 1024,
    "processes": 64,
}
#: Per-language limits of judged runs (issue 14): a problem's time limit is multiplied by
#: ``time_multiplier`` and ``memory_extra_kb`` is added to its memory limit. A problem overrides
#: either value per language (``Problem.language_limits``); students see the result. The JVM
#: starts slower and needs room for its own heap; a language not listed gets 1.0 and 0.
COURSES_LANGUAGE_LIMITS = {
    "python": {"time_multiplier": 1.0, "memory_extra_kb": 0},
    "c": {"time_multiplier": 1.0, "memory_extra_kb": 0},
    "cpp": {"time_multiplier": 1.0, "memory_extra_kb": 0},
    "javascript": {"time_multiplier": 1.0, "memory_extra_kb": 0},
    "java": {"time_multiplier": 2.0, "memory_extra_kb": 64 * 1024},
}
#: Limits of one run of a custom checker (``courses.judging.custom_checkers``).
COURSES_CHECKER_LIMITS = {
    "cpu_time_ms": 5_000,
    "wall_time_ms": 10_000,
    "memory_kb": 256 * 1024,
    "output_bytes": 16 * 1024,
    "processes": 64,
}
#: How many free runs may run at once on one host; beyond it callers get ExecutorBusy (503).
COURSES_FREE_RUN_SLOTS = env_int("COURSES_FREE_RUN_SLOTS", 4)
#: Where the slots' lock files live; every process of the host must share it. Default: the
#: system temporary directory.
COURSES_FREE_RUN_SLOTS_DIR = os.environ.get("COURSES_FREE_RUN_SLOTS_DIR") or None
#: "Run code" on the workers: with Redis (the scaled deployment) a run goes to the ``run`` lane
#: and the web process waits for its answer, so web processes never need root or the sandbox;
#: without Redis (the embedded default) it runs inline. COURSES_RUN_CODE_ON_WORKERS=0 keeps runs
#: inline on a scaled web host that has a sandbox of its own.
COURSES_RUN_CODE_ON_WORKERS = env_bool("COURSES_RUN_CODE_ON_WORKERS", bool(REDIS_URL))
#: How long a run may wait in the ``run`` queue for a worker to take it: past it the web answers
#: 503 ``busy`` (with Retry-After) and the message expires unrun.
COURSES_RUN_QUEUE_WAIT_SECONDS = float(os.environ.get("COURSES_RUN_QUEUE_WAIT_SECONDS", 5))
#: "Run code" requests of one user in flight at once, across every web process and host (counted
#: in the shared cache); 429 ``too_many_runs`` beyond. The pending cap
#: (COURSES_MAX_PENDING_SUBMISSIONS, counted in the database) bounds graded submissions instead.
COURSES_MAX_RUNS_IN_FLIGHT = env_int("COURSES_MAX_RUNS_IN_FLIGHT", 2)
#: The shortest judging lease. Each submission's lease is computed to outlast its longest possible
#: judging run (compile, then every case at its wall limit); it must stay under the broker's
#: visibility timeout so that a message is redelivered only once its lease has expired.
COURSES_JUDGING_LEASE_SECONDS = env_int("COURSES_JUDGING_LEASE_SECONDS", 300)
#: Added to a submission's longest possible judging run to make its lease.
COURSES_JUDGING_LEASE_MARGIN_SECONDS = env_int("COURSES_JUDGING_LEASE_MARGIN_SECONDS", 60)
#: A submission still pending after this long is enqueued again by the periodic task.
COURSES_PENDING_REQUEUE_SECONDS = env_int("COURSES_PENDING_REQUEUE_SECONDS", 120)
#: A graded submission whose judging failed for want of a judge (an outage) stays pending with a
#: ``retry_at``: the first retry after this delay, each next one after twice the previous, at most
#: COURSES_JUDGE_RETRY_MAX_DELAY_SECONDS apart, for COURSES_JUDGE_RETRY_MAX_AGE_SECONDS after it
#: was submitted (or requeued); past that it ends internal_error with the reason, and its course's
#: staff can requeue it (rejudge).
COURSES_JUDGE_RETRY_FIRST_DELAY_SECONDS = float(
    os.environ.get("COURSES_JUDGE_RETRY_FIRST_DELAY_SECONDS", 30)
)
COURSES_JUDGE_RETRY_MAX_DELAY_SECONDS = float(
    os.environ.get("COURSES_JUDGE_RETRY_MAX_DELAY_SECONDS", 900)
)
COURSES_JUDGE_RETRY_MAX_AGE_SECONDS = float(
    os.environ.get("COURSES_JUDGE_RETRY_MAX_AGE_SECONDS", 24 * 3600)
)
#: How long "Run code" (free runs and sample runs) waits for a remote judge before answering
#: 503: a stuck Judge0 queue must not hold a free-run slot for the whole judging budget.
COURSES_FREE_RUN_WAIT_SECONDS = float(os.environ.get("COURSES_FREE_RUN_WAIT_SECONDS", 30))
#: How long judging inline (Celery eager: the embedded default without Redis, where a Submit
#: request, or ``run_periodic``, judges the submission itself) waits for a remote judge. Past it
#: the submission answers ``pending`` with its Judge0 tokens kept, and the periodic requeue polls
#: them later, so a slow Judge0 never holds a request for JUDGE0_WAIT_SECONDS. Celery workers
#: keep the whole JUDGE0_WAIT_SECONDS.
COURSES_INLINE_JUDGE_WAIT_SECONDS = float(os.environ.get("COURSES_INLINE_JUDGE_WAIT_SECONDS", 10))

# --- Operations ----------------------------------------------------------------------------------
#: The bearer token Prometheus sends to ``GET /metrics`` (``Authorization: Bearer ...``). Unset:
#: the endpoint answers 404, so nothing about the platform's load is public by accident.
COURSES_METRICS_TOKEN = os.environ.get("COURSES_METRICS_TOKEN", "")

# --- Cache ---------------------------------------------------------------------------------------
#: How long a cached read (progress, summaries, rosters; courses/selectors.py) lives. Signals
#: invalidate entries after commit, so this bounds staleness only when an invalidation is lost.
COURSES_CACHE_TTL_SECONDS = env_int("COURSES_CACHE_TTL_SECONDS", 300)

# --- Exams ---------------------------------------------------------------------------------------
#: Attempts whose deadline passed are finished and scored by this periodic task. finished_at is
#: the deadline itself, so the interval only bounds how soon a score appears.
CELERY_BEAT_SCHEDULE["finish-expired-exam-attempts"] = {
    "task": "courses.tasks.finish_expired_attempts",
    "schedule": 60.0,
}
# What dead local-sandbox runs left behind (each worker's sandbox service also sweeps by itself).
CELERY_BEAT_SCHEDULE["sweep-sandbox"] = {
    "task": "courses.tasks.sweep_sandbox",
    "schedule": 60.0,
}

# --- Test-case archives (POST /api/v1/staff/problems/<id>/cases/archive/) -------------------------
#: The largest zip accepted, as uploaded (413 beyond, before it is opened).
COURSES_CASE_ARCHIVE_MAX_BYTES = env_int("COURSES_CASE_ARCHIVE_MAX_BYTES", 8 * 1024 * 1024)
#: The most its files may add up to once decompressed, counted while reading (zip bombs lie).
COURSES_CASE_ARCHIVE_MAX_UNCOMPRESSED_BYTES = env_int(
    "COURSES_CASE_ARCHIVE_MAX_UNCOMPRESSED_BYTES", 64 * 1024 * 1024
)
#: The most entries (files and folders) it may hold: 500 NAME.in/NAME.out pairs by default.
COURSES_CASE_ARCHIVE_MAX_FILES = env_int("COURSES_CASE_ARCHIVE_MAX_FILES", 1000)

# --- Course and problem packages (docs/package-format.md) -------------------------------------
#: The largest package zip accepted, as uploaded (413 beyond, before it is opened).
COURSES_PACKAGE_MAX_BYTES = env_int("COURSES_PACKAGE_MAX_BYTES", 32 * 1024 * 1024)
#: The most its files may add up to once decompressed, counted while reading (zip bombs lie).
COURSES_PACKAGE_MAX_UNCOMPRESSED_BYTES = env_int(
    "COURSES_PACKAGE_MAX_UNCOMPRESSED_BYTES", 256 * 1024 * 1024
)
#: The most entries (files and folders) it may hold.
COURSES_PACKAGE_MAX_FILES = env_int("COURSES_PACKAGE_MAX_FILES", 20_000)
#: The largest single file once decompressed (a test case's input, say).
COURSES_PACKAGE_MAX_FILE_BYTES = env_int("COURSES_PACKAGE_MAX_FILE_BYTES", 16 * 1024 * 1024)
