"""Issue 11: a language whose toolchain is absent is reported and skipped, never a failure
(except a default language's under COURSES_REQUIRE_SANDBOX=1, in CI)."""

from __future__ import annotations

import io
import os
import unittest
from unittest import mock

from django.core.management import CommandError, call_command
from django.test import SimpleTestCase

from courses.judging.languages import Language, missing_toolchain
from courses.tests.sandbox_fixtures import require_sandbox
from courses.tests.toolchains import require_language


def without(*keys: str):
    """This host as if the toolchains of ``keys`` were not installed."""
    return mock.patch.object(Language, "is_installed", property(lambda lang: lang.key not in keys))


class MissingToolchainTestCase(SimpleTestCase):
    def test_missing_toolchain_says_what_to_install(self):
        with without("cpp"):
            self.assertIn("apt-get install g++", missing_toolchain("cpp"))
            self.assertIsNone(missing_toolchain("c"))

    def test_tests_of_a_missing_toolchain_skip_and_fail_only_in_ci_for_a_default_language(self):
        with without("cpp", "java"), mock.patch.dict(os.environ):
            os.environ.pop("COURSES_REQUIRE_SANDBOX", None)
            with self.assertRaises(unittest.SkipTest) as skipped:
                require_language("cpp")
            self.assertIn("apt-get install g++", str(skipped.exception))
            os.environ["COURSES_REQUIRE_SANDBOX"] = "1"
            with self.assertRaises(AssertionError):
                require_language("cpp")  # a default language: CI must have it
            with self.assertRaises(unittest.SkipTest):
                require_language("java")  # optional everywhere
            require_language("c")  # installed: nothing happens


class JudgeCheckTestCase(SimpleTestCase):
    """``judge_check`` reports the isolation mode, the guarantees that hold, and languages."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        require_sandbox(cls)

    def check(self) -> str:
        out = io.StringIO()
        with mock.patch.dict(os.environ, {"DEBUG": "1"}):
            call_command("judge_check", stdout=out)
        return out.getvalue()

    def test_a_missing_toolchain_is_reported_not_failed_outside_ci(self):
        with without("cpp", "java"), mock.patch.dict(os.environ):
            os.environ.pop("COURSES_REQUIRE_SANDBOX", None)
            report = self.check()
            os.environ["COURSES_REQUIRE_SANDBOX"] = "1"
            with self.assertRaises(CommandError) as failed:
                self.check()
        self.assertIn("isolation: full", report)
        self.assertIn("cpp: not installed: ", report)
        self.assertIn("(apt-get install g++)", report)
        self.assertIn("c: gcc", report)
        self.assertIn("hello-world ok", report)
        self.assertIn("cpp", str(failed.exception))

    def test_the_guarantees_that_hold_on_this_host_are_listed(self):
        with without("c", "cpp", "java", "javascript"), mock.patch.dict(os.environ):
            os.environ.pop("COURSES_REQUIRE_SANDBOX", None)
            report = self.check()
        self.assertIn("guarantees on this host:", report)
        for line in (
            "[yes] untrusted code runs under a uid of its own, never root",
            "[yes] seccomp filter (errno 38)",
            "[yes] the sandbox's pid 1 is the runner",
            "[yes] memory limit per case enforced by the kernel",
            "[yes] boxes 0700",
            "cgroup v2 enforcement is unverified",
        ):
            self.assertIn(line, report)
