"""Test settings: the same as base, with a fixed key and fast password hashing."""

import atexit
import contextlib
import os
import shutil
import tempfile

os.environ.setdefault("SECRET_KEY", "test-only-secret-key")
# The application's own lock timeout, shorter than in production so that the test of a lock wait
# giving up (ConcurrencyTestCase, step 6) waits 5 s rather than 10; every lock any other test
# waits for is held for milliseconds (or, on purpose, at most 1 s).
os.environ.setdefault("DATABASE_LOCK_TIMEOUT_SECONDS", "5")

from config.settings.base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Whatever the environment says: tests that need sign-up open turn it on themselves.
COURSES_SIGNUP_OPEN = False

# Tests judge inline whatever REDIS_URL says; a test that needs a real worker starts one itself
# (courses/tests/stack/), and so do "Run code" requests.
CELERY_TASK_ALWAYS_EAGER = True
COURSES_RUN_CODE_ON_WORKERS = False

#: This test process's namespace: its own cache keys, Celery queue, "Run code" slots and SQLite
#: test database, so that test processes side by side (pytest-xdist workers, a second run on the
#: same host, a subprocess of a test) never see each other's. The xdist worker's name (gw0, gw1)
#: for the humans, the pid for uniqueness; a test checks two processes never share it
#: (ConcurrencyTestCase, step 7).
TEST_NAMESPACE = f"test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-{os.getpid()}"

CACHES = {"default": {**CACHES["default"], "KEY_PREFIX": TEST_NAMESPACE}}  # noqa: F405
if CACHES["default"]["BACKEND"].endswith("LocMemCache"):
    CACHES["default"]["LOCATION"] = TEST_NAMESPACE
CELERY_TASK_DEFAULT_QUEUE = f"codecourses-{TEST_NAMESPACE}"

_created_here: list[str] = []
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    # Two runs on one server (two people, two CI jobs) must not create, or destroy, each other's
    # test database; Django destroys this one at the end of the run.
    _name = f"test_{DATABASES['default']['NAME']}_{TEST_NAMESPACE}".replace("-", "_")  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": _name}  # noqa: F405
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not Django's shared-cache in-memory database: shared cache has table locks that
    # fail at once ("database table is locked") instead of waiting, so tests with real threads
    # could not show how the file-based SQLite of the embedded default behaves.
    _sqlite = os.path.join(tempfile.gettempdir(), f"codecourses-{TEST_NAMESPACE}.sqlite3")
    # Django's engine, cloning a WAL-mode database whole (``manage.py test --parallel``).
    DATABASES["default"]["ENGINE"] = "courses.tests.sqlite_wal"  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": _sqlite}  # noqa: F405
    # pytest-django gives each xdist worker's database a suffix of its name.
    _suffix = f"_{os.environ['PYTEST_XDIST_WORKER']}" if "PYTEST_XDIST_WORKER" in os.environ else ""
    for _name in {_sqlite, _sqlite + _suffix}:
        _created_here += [_name + ending for ending in ("", "-journal", "-wal", "-shm")]

# Each test process counts its own "Run code" slots: a test that fills them must not make another
# test run on the same host answer "busy".
COURSES_FREE_RUN_SLOTS_DIR = os.path.join(
    tempfile.gettempdir(), f"codecourses-{TEST_NAMESPACE}-slots"
)
_created_here.append(COURSES_FREE_RUN_SLOTS_DIR)


def _remove_what_this_process_created(paths: list[str], pid: int) -> None:
    """At exit, remove this process's slot folder and SQLite files, by their exact paths.

    Django deletes a test database it destroys, but not one a killed or interrupted run left,
    nor its journal; nobody deleted the slot folders. A forked child (Django's ``--parallel``
    workers) inherits this handler: only the process that named the paths removes them.
    """
    if os.getpid() != pid:
        return
    for path in paths:
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        elif os.path.lexists(path):
            with contextlib.suppress(OSError):
                os.remove(path)


atexit.register(_remove_what_this_process_created, list(_created_here), os.getpid())

# Pages render with the plain storage: tests do not run `collectstatic` (test_static.py runs it,
# with the production storage, into a folder of its own).
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
