"""pytest only (``manage.py test`` never reads this): the parallel run's groups.

CI runs the suite with pytest-xdist, ``-n auto --dist loadgroup`` (the Makefile's ``test``). Tests
that run code against time limits, on the local sandbox or through the fake Judge0 (which runs
programs too), carry the ``xdist_group("sandbox")`` marker: xdist sends the whole group to one
worker, where they run one at a time, as in a serial run, so the load of a parallel run cannot
flip a verdict. A class joins the group by its ``xdist_group`` attribute (set by
``sandbox_fixtures.requires_sandbox`` and ``SandboxTestMixin``), a module by ``MODULE_GROUPS``.
Each worker has its own test database, cache namespace, Celery queue and "Run code" slots
(``config/settings/test.py``).
"""

from __future__ import annotations

import dataclasses

import pytest
from _pytest._io.saferepr import saferepr

from courses.tests.sandbox_fixtures import SANDBOX_GROUP

#: Modules whose every test belongs to a group (by the module that defines the test).
MODULE_GROUPS = {
    "courses.tests.services.judge0_integration": SANDBOX_GROUP,
    "courses.tests.test_judge0_reliability": SANDBOX_GROUP,
    "courses.tests.test_judge0_fault_table": SANDBOX_GROUP,
    "courses.tests.test_judge0_sdk_conformance": SANDBOX_GROUP,
    "courses.tests.test_judging_templates": SANDBOX_GROUP,
}


def pytest_configure(config):
    # Registered here too, so that --strict-markers accepts it when xdist is not loaded.
    config.addinivalue_line("markers", "xdist_group(name): run in one xdist worker, in turn")


def group_of(item) -> str | None:
    cls = getattr(item, "cls", None)
    if cls is not None and getattr(cls, "xdist_group", None):
        return cls.xdist_group
    module = cls.__module__ if cls is not None else getattr(item.module, "__name__", "")
    return MODULE_GROUPS.get(module)


def pytest_collection_modifyitems(config, items):
    for item in items:
        group = group_of(item)
        if group:
            item.add_marker(pytest.mark.xdist_group(group))


PLAIN = (str, int, float, bool, type(None))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_logreport(report):
    """A worker sends each report to the controller through execnet, which cannot serialize a
    subtest's ``subTest(when=datetime(...))`` values: send their repr (what the report shows)."""
    context = getattr(report, "context", None)
    kwargs = getattr(context, "kwargs", None)
    # By exact type: a str or int enum (Django's choices) is an instance of str, and still
    # cannot be serialized.
    if kwargs and any(type(value) not in PLAIN for value in kwargs.values()):
        plain = {k: v if type(v) in PLAIN else saferepr(v) for k, v in kwargs.items()}
        report.context = dataclasses.replace(context, kwargs=plain)
