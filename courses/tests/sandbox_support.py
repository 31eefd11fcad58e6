"""Helpers for tests that run code in the real local sandbox.

Without a usable sandbox (no bubblewrap, not root, no cgroups) such tests are skipped with the
reason printed, unless ``COURSES_REQUIRE_SANDBOX=1`` (CI sets it): then they fail, so CI cannot
skip them silently.
"""

from __future__ import annotations

import functools
import os
import unittest

from courses.judging.backends.local import LocalSandboxBackend, detect_isolation


@functools.cache
def local_backend() -> LocalSandboxBackend:
    """One backend per test process: start-up sweeps and probes run once."""
    return LocalSandboxBackend()


def sandbox_skip_reason() -> str | None:
    isolation = detect_isolation(allow_unsandboxed=False)
    if isolation.usable:
        return None
    reason = f"no usable local sandbox: {isolation.detail}"
    if os.environ.get("COURSES_REQUIRE_SANDBOX") == "1":
        raise RuntimeError(f"COURSES_REQUIRE_SANDBOX=1 but {reason}")
    return reason


def requires_sandbox(test_item):
    """Skip (or, under COURSES_REQUIRE_SANDBOX=1, fail) a test or class without a sandbox."""
    reason = sandbox_skip_reason()
    return unittest.skip(reason)(test_item) if reason else test_item
