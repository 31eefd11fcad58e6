"""The test plan's service labels (spec/test-plan.md), each backed by a module in services/.

``manage.py test courses.tests.test_services.<Label>`` works for every label, and pytest
collects each class exactly once, here: the modules behind them are not named ``test_*``.
"""

import unittest

from courses.tests.services.database import DatabaseUpdateTestCase
from courses.tests.services.executor import CodeExecutorServiceTestCase, JudgingQueueTestCase
from courses.tests.services.judge0_integration import ExternalIntegrationTestCase
from courses.tests.services.run_freely import RunFreelyTestCase
from courses.tests.services.time_based import TimeBasedTestCase

__all__ = [
    "CodeExecutorServiceTestCase",
    "DatabaseUpdateTestCase",
    "ExternalIntegrationTestCase",
    "JudgingQueueTestCase",
    "RunFreelyTestCase",
    "TimeBasedTestCase",
    "run_freely",
]


def run_freely() -> unittest.TestSuite:
    """Task 1.2's label: ``manage.py test courses.tests.test_services.run_freely``."""
    return unittest.defaultTestLoader.loadTestsFromTestCase(RunFreelyTestCase)
