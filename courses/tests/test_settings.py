"""Settings come from the environment, with safe embedded defaults (README, Configuration).

Start-up behaviour is tested in a subprocess with a clean environment, because settings are read
once per process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import SimpleTestCase, TestCase

from courses.tests import factories

PRINT_SETTINGS = (
    "import json, django; django.setup(); from django.conf import settings; "
    "print(json.dumps({"
    "'engine': settings.DATABASES['default']['ENGINE'], "
    "'name': str(settings.DATABASES['default']['NAME']), "
    "'host': settings.DATABASES['default'].get('HOST', ''), "
    "'cache': settings.CACHES['default']['BACKEND'], "
    "'cache_location': settings.CACHES['default'].get('LOCATION', ''), "
    "'broker': settings.CELERY_BROKER_URL, "
    "'eager': settings.CELERY_TASK_ALWAYS_EAGER, "
    "'debug': settings.DEBUG}))"
)


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    """Run ``python -c code`` in the repository with only ``env`` (plus PATH) set."""
    clean_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env=clean_env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def settings_under(**env: str) -> dict:
    result = run_python(PRINT_SETTINGS, DJANGO_SETTINGS_MODULE="config.settings.base", **env)
    if result.returncode != 0:
        raise AssertionError(f"settings failed to load:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


class SecretKeyStartupTestCase(SimpleTestCase):
    def test_start_up_fails_clearly_without_secret_key_when_debug_is_off(self):
        result = run_python(
            "import django; django.setup()", DJANGO_SETTINGS_MODULE="config.settings.base"
        )
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("ImproperlyConfigured", result.stderr)
        self.assertIn("SECRET_KEY is not set", result.stderr)

    def test_empty_secret_key_with_debug_explicitly_off_also_fails(self):
        result = run_python(
            "import django; django.setup()",
            DJANGO_SETTINGS_MODULE="config.settings.base",
            SECRET_KEY="",
            DEBUG="0",
        )
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("SECRET_KEY", result.stderr)

    def test_manage_py_check_fails_without_secret_key(self):
        result = subprocess.run(
            [sys.executable, "manage.py", "check"],
            cwd=settings.BASE_DIR,
            env={
                "PATH": os.environ.get("PATH", ""),
                "DJANGO_SETTINGS_MODULE": "config.settings.base",
            },
            capture_output=True,
            text=True,
            timeout=60,
        )
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("SECRET_KEY", result.stderr)

    def test_debug_without_secret_key_starts_with_a_development_key(self):
        loaded = settings_under(DEBUG="1")
        self.assertTrue(loaded["debug"])

    def test_secret_key_lets_production_settings_start(self):
        loaded = settings_under(SECRET_KEY="a-real-secret")
        self.assertFalse(loaded["debug"])


class EnvironmentUrlsTestCase(SimpleTestCase):
    def test_embedded_default_is_sqlite_and_local_memory_cache_with_inline_celery(self):
        loaded = settings_under(SECRET_KEY="x")
        self.assertEqual(loaded["engine"], "django.db.backends.sqlite3")
        self.assertTrue(loaded["name"].endswith("db.sqlite3"))
        self.assertEqual(loaded["cache"], "django.core.cache.backends.locmem.LocMemCache")
        self.assertTrue(loaded["eager"])

    def test_database_url_selects_postgresql(self):
        loaded = settings_under(
            SECRET_KEY="x", DATABASE_URL="postgres://u:p@db.example:5433/platform"
        )
        self.assertEqual(loaded["engine"], "django.db.backends.postgresql")
        self.assertEqual((loaded["name"], loaded["host"]), ("platform", "db.example"))

    def test_redis_url_selects_the_redis_cache_and_the_celery_broker(self):
        loaded = settings_under(SECRET_KEY="x", REDIS_URL="redis://cache.example:6380/2")
        self.assertEqual(loaded["cache"], "django.core.cache.backends.redis.RedisCache")
        self.assertEqual(loaded["cache_location"], "redis://cache.example:6380/2")
        self.assertEqual(loaded["broker"], "redis://cache.example:6380/2")
        self.assertFalse(loaded["eager"])


class DatabaseLockTimeoutTestCase(SimpleTestCase):
    """Every connection of every process waits at most ``DATABASE_LOCK_TIMEOUT_SECONDS`` for a
    lock (docs/decisions.md); ConcurrencyTestCase shows a real wait giving up at it."""

    def options_under(self, **env: str) -> dict:
        code = (
            "import json, django; django.setup(); from django.conf import settings; "
            "print(json.dumps(settings.DATABASES['default']['OPTIONS']))"
        )
        result = run_python(
            code, DJANGO_SETTINGS_MODULE="config.settings.base", SECRET_KEY="x", **env
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        return json.loads(result.stdout.strip().splitlines()[-1])

    def test_postgresql_connections_start_with_a_lock_timeout_of_10_s(self):
        url = "postgres://u:p@db.example:5433/platform"
        self.assertEqual(self.options_under(DATABASE_URL=url)["options"], "-c lock_timeout=10000")
        tuned = self.options_under(DATABASE_URL=url, DATABASE_LOCK_TIMEOUT_SECONDS="2.5")
        self.assertEqual(tuned["options"], "-c lock_timeout=2500")

    def test_sqlite_waits_as_long_for_the_write_lock(self):
        self.assertEqual(self.options_under()["timeout"], 10)
        self.assertEqual(self.options_under(DATABASE_LOCK_TIMEOUT_SECONDS="2.5")["timeout"], 2.5)


class SqliteJournalTestCase(TestCase):
    """The embedded default's SQLite runs in WAL mode with ``synchronous=NORMAL``
    (docs/decisions.md, "SQLite in WAL mode"): the suite's connections carry the same options."""

    def test_the_database_is_in_wal_mode_and_commits_without_a_sync(self):
        if connection.vendor != "sqlite":
            self.skipTest("SQLite only: PostgreSQL has its own write-ahead log")
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            self.assertEqual(cursor.fetchone()[0], "wal")
            cursor.execute("PRAGMA synchronous")
            self.assertEqual(cursor.fetchone()[0], 1)  # NORMAL


class TimeAndSessionSettingsTestCase(TestCase):
    def test_time_zone_aware_in_utc(self):
        self.assertTrue(settings.USE_TZ)
        self.assertEqual(settings.TIME_ZONE, "UTC")

    def test_sessions_are_stored_in_the_database(self):
        self.assertEqual(settings.SESSION_ENGINE, "django.contrib.sessions.backends.db")
        user = factories.UserFactory()
        self.assertFalse(Session.objects.exists())
        self.client.force_login(user)
        session = Session.objects.get()
        self.assertEqual(session.get_decoded()["_auth_user_id"], str(user.pk))
