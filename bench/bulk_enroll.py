"""Benchmark: the enrollment import service against a plain ``bulk_create`` (issue 9, Acceptance).

Usage: ``.venv/bin/python bench/bulk_enroll.py [--rows 10000] [--repeat 3]``
(on PostgreSQL: ``DATABASE_URL=postgres://... REDIS_URL=redis://...`` in front).

On whatever ``DATABASE_URL`` says (SQLite by default), in a test database this script creates and
destroys itself (Django's ``create_test_db``: ``test_<name>`` on PostgreSQL, a temporary file on
SQLite), never the real database; the cache is the configured one under a key prefix of its own.
``--rows`` users are created first (not timed) and a CSV of their usernames is built. Then, each
on a new course, best of ``--repeat``, in alternating order:

- the service: ``rows_from_csv`` + ``identifiers_from_rows`` + ``enrollments_import_identifiers``
  (what ``POST .../enrollments/import/`` runs after reading the body), its transaction, and the
  cache invalidation after commit;
- the baseline: parse the same CSV with ``csv.reader``, look the users up
  (``username__in``), build the ``Enrollment`` rows, ``Enrollment.objects.bulk_create``.

Prints both times, the ratio service / baseline (target <= 1.3), and the query count and cache
operation count of one more service run.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import platform
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.cache import caches  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402

from courses.models import Course, Enrollment  # noqa: E402
from courses.services.enrollment_import import (  # noqa: E402
    enrollments_import_identifiers,
    identifiers_from_rows,
    rows_from_csv,
)

CACHE_METHODS = ("get", "get_many", "set", "set_many", "add", "delete", "delete_many", "incr")


def make_users(count: int) -> list[str]:
    """``count`` users (unusable passwords: hashing is not what is measured); their usernames."""
    names = [f"bench{i:06d}" for i in range(count)]
    get_user_model().objects.bulk_create(
        get_user_model()(username=name, email=f"{name}@example.com", password="!") for name in names
    )
    return names


def new_course() -> Course:
    suffix = uuid.uuid4().hex[:12]
    return Course.objects.create(title=f"Bench {suffix}", slug=f"bench-{suffix}", is_published=True)


def run_service(course: Course, csv_text: str) -> int:
    names = identifiers_from_rows(rows_from_csv(csv_text))
    report = enrollments_import_identifiers(course=course, identifiers=names)
    return len(report.imported)


def run_baseline(course: Course, csv_text: str) -> int:
    reader = csv.reader(io.StringIO(csv_text))
    next(reader)  # the header
    names = [row[0] for row in reader if row]
    user_ids = get_user_model().objects.filter(username__in=names).values_list("pk", flat=True)
    rows = [Enrollment(user_id=user_id, course=course) for user_id in user_ids]
    return len(Enrollment.objects.bulk_create(rows))


def timed(run, csv_text: str, rows: int) -> float:
    course = new_course()
    started = time.perf_counter()
    enrolled = run(course, csv_text)
    elapsed = time.perf_counter() - started
    assert enrolled == rows, f"{run.__name__} enrolled {enrolled} of {rows}"
    assert Enrollment.objects.filter(course=course, status="active").count() == rows
    return elapsed


class CacheCounter:
    """Counts calls made to the default cache backend from outside it (locmem's ``delete_many``
    calls its own ``delete``: that is one operation, as it is one round trip on Redis)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.depth = 0

    def __enter__(self) -> CacheCounter:
        self.backend = caches["default"]
        for name in CACHE_METHODS:
            original = getattr(self.backend, name)

            def call(*args, _name=name, _original=original, **kwargs):
                if self.depth == 0:
                    self.counts[_name] += 1
                self.depth += 1
                try:
                    return _original(*args, **kwargs)
                finally:
                    self.depth -= 1

            setattr(self.backend, name, call)
        return self

    def __exit__(self, *exc_info) -> None:
        for name in CACHE_METHODS:
            delattr(self.backend, name)


def bench(rows: int, repeat: int) -> None:
    names = make_users(rows)
    csv_text = "username\n" + "\n".join(names) + "\n"
    service_times, baseline_times = [], []
    for i in range(repeat):
        pair = [(run_service, service_times), (run_baseline, baseline_times)]
        for run, times in pair if i % 2 == 0 else reversed(pair):
            times.append(timed(run, csv_text, rows))
    service, baseline = min(service_times), min(baseline_times)
    course = new_course()
    with CacheCounter() as cache_calls, CaptureQueriesContext(connection) as queries:
        run_service(course, csv_text)
    statements = Counter(q["sql"].split(None, 1)[0].upper() for q in queries.captured_queries)
    calls = ", ".join(f"{name} {n}" for name, n in sorted(cache_calls.counts.items()))
    print(f"service:  {service:.3f} s   (runs: {', '.join(f'{t:.3f}' for t in service_times)})")
    print(f"baseline: {baseline:.3f} s   (runs: {', '.join(f'{t:.3f}' for t in baseline_times)})")
    print(f"ratio service/baseline: {service / baseline:.2f}  (target <= 1.3)")
    kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(statements.items()))
    print(f"service run: {len(queries)} queries ({kinds}), "
          f"{sum(cache_calls.counts.values())} cache operations ({calls})")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    cache_config = {**settings.CACHES["default"], "KEY_PREFIX": f"bench-{uuid.uuid4().hex}"}
    if cache_config["BACKEND"].endswith("LocMemCache"):
        cache_config["LOCATION"] = cache_config["KEY_PREFIX"]
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        print(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
              f"python {platform.python_version()}; database: {connection.vendor} "
              f"{connection.settings_dict['NAME']}; cache: {cache_config['BACKEND']}")  # fmt: skip
        print(f"{args.rows} usernames in a CSV, best of {args.repeat}")
        with override_settings(CACHES={**settings.CACHES, "default": cache_config}):
            bench(args.rows, args.repeat)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
