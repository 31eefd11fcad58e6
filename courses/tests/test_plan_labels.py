"""The test plan's `manage.py test <label>` commands work, and pytest runs every test once.

The plan (spec/test-plan.md, in the shared folder beside the repository) names the labels later
issues must provide. A label that resolves must load at least one test under Django's runner; a
label in ``REQUIRED_LABELS`` must resolve. Extend ``REQUIRED_LABELS`` as each issue lands.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
import subprocess
import sys
import unittest
from collections import defaultdict
from pathlib import Path

from django.conf import settings
from django.test import SimpleTestCase
from django.test.runner import DiscoverRunner

#: Labels of the test plan that must exist; add each one as its issue lands.
REQUIRED_LABELS: list[str] = [
    "courses.tests.test_services.CodeExecutorServiceTestCase",
    "courses.tests.test_services.run_freely",
    "courses.tests.test_services.ExternalIntegrationTestCase",
    "courses.tests.test_services.DatabaseUpdateTestCase",
    "courses.tests.test_services.TimeBasedTestCase",
    "courses.tests.test_signals.DiscussionSignalTestCase",
    "courses.tests.test_signals.ProgressSignalTestCase",
    "courses.tests.test_signals.ExamSignalTestCase",
    "courses.tests.test_signals.EnrollmentSignalTestCase",
    "courses.tests.test_signals.ErrorRecoveryTestCase",
    "courses.tests.test_signals.ConcurrencyTestCase",
]

TEST_PLAN = Path(__file__).resolve().parents[3] / "shared" / "spec" / "test-plan.md"
LABEL = re.compile(r"manage\.py test ([\w.]+)")


def plan_labels() -> list[str]:
    return list(dict.fromkeys(LABEL.findall(TEST_PLAN.read_text(encoding="utf-8"))))


def resolve(label: str) -> object | None:
    """The object a dotted label names, or None when it does not exist (yet)."""
    parts = label.split(".")
    for split in range(len(parts), 0, -1):
        module_name = ".".join(parts[:split])
        try:
            spec = importlib.util.find_spec(module_name)
        except ModuleNotFoundError:
            spec = None
        if spec is None:
            continue
        obj: object = importlib.import_module(module_name)
        for attribute in parts[split:]:
            obj = getattr(obj, attribute, None)
            if obj is None:
                return None
        return obj
    return None


def count_loaded_tests(label: str) -> tuple[int, list[str]]:
    """How many tests Django's runner builds for ``label``, and the loader's failures."""
    suite = DiscoverRunner(verbosity=0).build_suite([label])
    tests, failures = 0, []
    stack: list = [suite]
    while stack:
        item = stack.pop()
        if isinstance(item, unittest.TestSuite):
            stack.extend(item)
        elif type(item).__name__ in {"_FailedTest", "_ErrorHolder"}:
            failures.append(str(item))
        else:
            tests += 1
    return tests, failures


class TestPlanLabelsTestCase(SimpleTestCase):
    def setUp(self):
        if not TEST_PLAN.exists():
            self.skipTest(f"test plan not found at {TEST_PLAN} (../shared beside the repo)")

    def test_the_plan_names_labels_of_the_courses_tests(self):
        labels = plan_labels()
        self.assertGreaterEqual(len(labels), 3)
        for label in labels:
            self.assertTrue(label.startswith("courses.tests."), label)

    def test_every_label_that_exists_loads_at_least_one_test(self):
        for label in plan_labels():
            with self.subTest(label=label):
                try:
                    target = resolve(label)
                except Exception as exc:
                    if label in REQUIRED_LABELS:
                        raise
                    # Work in progress; pytest's collection and Django's runner report it.
                    self.skipTest(f"{label}: its module does not import yet ({exc!r})")
                if target is None:
                    self.skipTest(f"{label}: not built yet")
                tests, failures = count_loaded_tests(label)
                self.assertEqual(failures, [], f"{label} does not load cleanly")
                self.assertGreaterEqual(tests, 1, f"{label} loads no test")

    def test_required_labels_exist_and_are_in_the_plan(self):
        labels = plan_labels()
        for label in REQUIRED_LABELS:
            with self.subTest(label=label):
                self.assertIn(label, labels)
                self.assertIsNotNone(resolve(label), f"{label} does not exist")
                tests, failures = count_loaded_tests(label)
                self.assertEqual(failures, [])
                self.assertGreaterEqual(tests, 1)

    def test_a_missing_label_is_not_mistaken_for_an_existing_one(self):
        # unittest turns an unknown name into a "_FailedTest" that counts as one test;
        # resolve() and count_loaded_tests() must not be fooled by it.
        missing = "courses.tests.test_plan_labels.NoSuchTestCase"
        self.assertIsNone(resolve(missing))
        _tests, failures = count_loaded_tests(missing)
        self.assertNotEqual(failures, [])
        self.assertIsNotNone(resolve("courses.tests.test_plan_labels.TestPlanLabelsTestCase"))


class PytestCollectsEachTestOnceTestCase(SimpleTestCase):
    def test_no_test_class_is_collected_twice_under_pytest(self):
        try:
            import pytest  # noqa: F401
        except ImportError:
            self.skipTest("pytest is not installed")
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "--collect-only", "-q"],
            cwd=settings.BASE_DIR,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
            capture_output=True,
            text=True,
            timeout=300,
        )
        # 0: collected; 2: some module failed to import, which pytest itself reports (the
        # duplicates among what did import are still checked here).
        self.assertIn(result.returncode, (0, 2), result.stdout[-3000:] + result.stderr)
        modules_by_test: dict[str, set[str]] = defaultdict(set)
        for line in result.stdout.splitlines():
            parts = line.strip().split("::")
            if len(parts) >= 3:  # path::Class::method (module-level functions have no class)
                modules_by_test["::".join(parts[1:])].add(parts[0])
        self.assertGreater(len(modules_by_test), 0, result.stdout[-3000:])
        self.assertIn(
            "PytestCollectsEachTestOnceTestCase::test_no_test_class_is_collected_twice_under_pytest",
            modules_by_test,
        )
        duplicates = {
            test: sorted(modules) for test, modules in modules_by_test.items() if len(modules) > 1
        }
        self.assertEqual(duplicates, {}, "collected in more than one module")
