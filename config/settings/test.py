"""Test settings: the same as base, with a fixed key and fast password hashing."""

import os
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

# Tests judge inline whatever REDIS_URL says; a test that needs a real worker starts one itself.
CELERY_TASK_ALWAYS_EAGER = True

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not Django's shared-cache in-memory database: shared cache has table locks that
    # fail at once ("database table is locked") instead of waiting, so tests with real threads
    # could not show how the file-based SQLite of the embedded default behaves.
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"codecourses-test-{os.getpid()}.sqlite3")
    }

# Each test process counts its own "Run code" slots: a test that fills them must not make another
# test run on the same host answer "busy".
COURSES_FREE_RUN_SLOTS_DIR = os.path.join(
    tempfile.gettempdir(), f"codecourses-test-slots-{os.getpid()}"
)

# Pages render with the plain storage: tests do not run `collectstatic` (test_static.py runs it,
# with the production storage, into a folder of its own).
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
