"""Tests that need a language's toolchain (a compiler, an interpreter) on this host.

A missing toolchain is skipped, saying what to install, the way ``judge_check`` reports it;
under COURSES_REQUIRE_SANDBOX=1 (CI) a missing toolchain of a default language fails instead.
Imports nothing of the local sandbox: Judge0's tests use it too (its fake compiles here).
"""

from __future__ import annotations

import functools
import os
import unittest

from courses.judging.languages import REQUIRED_LANGUAGES, get_language, missing_toolchain


def require_language(key: str) -> None:
    """Skip (saying what to install) when ``key``'s toolchain is absent on this host, like
    ``judge_check`` reports it; under COURSES_REQUIRE_SANDBOX=1 (CI) a default language's
    missing toolchain fails instead."""
    missing = missing_toolchain(key)
    if missing is None:
        return
    reason = f"{get_language(key).display_name} is not installed on this host: {missing}"
    if os.environ.get("COURSES_REQUIRE_SANDBOX") == "1" and key in REQUIRED_LANGUAGES:
        raise AssertionError("COURSES_REQUIRE_SANDBOX=1 but " + reason)
    raise unittest.SkipTest(reason)


def requires_language(*keys: str):
    """Decorator of a test method or class: ``require_language`` for each of ``keys`` first."""

    def decorate(target):
        if isinstance(target, type):
            original = target.__dict__.get("setUpClass")

            def set_up_class(cls) -> None:
                for key in keys:
                    require_language(key)
                if original is not None:
                    original.__func__(cls)
                else:
                    super(target, cls).setUpClass()

            target.setUpClass = classmethod(set_up_class)
            return target

        @functools.wraps(target)
        def method(*args, **kwargs):
            for key in keys:
                require_language(key)
            return target(*args, **kwargs)

        return method

    return decorate
