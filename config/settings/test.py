"""Test settings: the same as base, with a fixed key and fast password hashing."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key")

from config.settings.base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Tests judge inline whatever REDIS_URL says; a test that needs a real worker starts one itself.
CELERY_TASK_ALWAYS_EAGER = True
