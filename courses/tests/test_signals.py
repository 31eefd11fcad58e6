"""The test plan's signal labels (spec/test-plan.md), each backed by a module in signals/.

``manage.py test courses.tests.test_signals.<Label>`` works for every label, and pytest
collects each class exactly once, here: the modules behind them are not named ``test_*``.
"""

from courses.tests.signals.concurrency import ConcurrencyTestCase
from courses.tests.signals.discussion import DiscussionSignalTestCase
from courses.tests.signals.enrollment import EnrollmentSignalTestCase
from courses.tests.signals.error_recovery import ErrorRecoveryTestCase
from courses.tests.signals.exam import ExamSignalTestCase
from courses.tests.signals.progress import ProgressSignalTestCase

__all__ = [
    "ConcurrencyTestCase",
    "DiscussionSignalTestCase",
    "EnrollmentSignalTestCase",
    "ErrorRecoveryTestCase",
    "ExamSignalTestCase",
    "ProgressSignalTestCase",
]
