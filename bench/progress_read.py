"""Benchmark: the queries of the course page and of progress reads, cold and warm (issue 13).

Usage: ``.venv/bin/python bench/progress_read.py [--sizes 10 1000]``
(on PostgreSQL: ``DATABASE_URL=postgres://...`` in front; REDIS_URL for a Redis cache).

In a test database this script creates and destroys itself (Django's ``create_test_db``, as
``bench/bulk_enroll.py``), never the real one; the cache is the configured one, emptied for a
cold read by moving to a key prefix nobody used (never flushed: a Redis may be shared). For
each size, a course with that many practice problems in 10 chapters, an exam, and a student who
attempted a third of them, solved a sixth, and made one late submission (the worst case: late
submissions cost the progress summary a query). Counted with ``CaptureQueriesContext``,
**cold** (an empty cache) and then **warm** (the same read again), for:

- ``course page``: what the course page (``GET /courses/<id>/``, ``courses.web.views.courses``)
  asks of the selectors for a member: ``member_exam_list`` (which also loads the roles),
  ``course_detail``, ``course_progress``;
- ``course API`` and ``progress API``: the selectors behind ``GET /api/v1/courses/<id>/`` and
  ``GET /api/v1/courses/<id>/progress/``;
- ``progress summary``: ``course_progress_summary`` (the cached summary of one course);
- and the whole pages through Django's test client, with the session's and the authentication's
  queries left out (``django_session``, ``auth_user``, ``authtoken_token``).

Target: at most 3 queries cold and 0 warm for each, the same at every size
(``courses/tests/test_read_queries.py`` pins the counts).
"""

from __future__ import annotations

import argparse
import os
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django  # noqa: E402

django.setup()

from django.core.cache import caches  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from courses import selectors  # noqa: E402
from courses.tests.factories import course_with_progress  # noqa: E402

#: Queries of the session and of authenticating the request: not the selectors' (the target).
NOT_COUNTED = ('"django_session"', '"auth_user"', '"authtoken_token"')


def course_page(user, course_id: int) -> None:
    """What ``courses.web.views.courses.course`` asks of the selectors for a member."""
    selectors.member_exam_list(user=user, course_id=course_id)
    detail = selectors.course_detail(user=user, course_id=course_id)
    selectors.course_progress(user_id=user.pk, course=detail.course)


def course_api(user, course_id: int) -> None:
    selectors.course_detail(user=user, course_id=course_id)


def progress_api(user, course_id: int) -> None:
    course = selectors.member_course(user=user, course_id=course_id)
    selectors.course_progress(user_id=user.pk, course=course)


def progress_summary(user, course_id: int) -> None:
    selectors.course_progress_summary(user_id=user.pk, course_id=course_id)


def counted(queries: list[dict]) -> list[str]:
    return [q["sql"] for q in queries if not any(table in q["sql"] for table in NOT_COUNTED)]


def empty_cache() -> None:
    """A key prefix nobody used: an empty cache, without flushing a Redis others may share."""
    caches["default"].key_prefix = f"bench-progress-read-{uuid.uuid4().hex}"


def measure(read, user, course_id: int) -> tuple[int, int, list[str]]:
    """Queries of ``read`` with an empty cache, then of the same read again."""
    empty_cache()
    with CaptureQueriesContext(connection) as cold:
        read(user, course_id)
    with CaptureQueriesContext(connection) as warm:
        read(user, course_id)
    return (
        len(counted(cold.captured_queries)),
        len(counted(warm.captured_queries)),
        counted(warm.captured_queries),
    )


def measure_page(client: Client, path: str) -> tuple[int, int, list[str]]:
    empty_cache()
    with CaptureQueriesContext(connection) as cold:
        answer = client.get(path)
    assert answer.status_code == 200, (path, answer.status_code)
    with CaptureQueriesContext(connection) as warm:
        client.get(path)
    return (
        len(counted(cold.captured_queries)),
        len(counted(warm.captured_queries)),
        counted(warm.captured_queries),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 1000])
    parser.add_argument("-v", "--verbose", action="store_true", help="print the warm queries")
    args = parser.parse_args()
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    print(f"database: {connection.vendor}; cache: {caches['default'].__class__.__name__}")
    rows = []
    try:
        for size in args.sizes:
            course, student = course_with_progress(size)
            client = Client()
            client.force_login(student)
            reads = [
                ("course page (selectors)", course_page),
                ("course API (selectors)", course_api),
                ("progress API (selectors)", progress_api),
                ("progress summary", progress_summary),
            ]
            for name, read in reads:
                rows.append((size, name, *measure(read, student, course.pk)))
            for name, path in (
                ("course page (GET)", f"/courses/{course.pk}/"),
                ("course API (GET)", f"/api/v1/courses/{course.pk}/"),
                ("progress API (GET)", f"/api/v1/courses/{course.pk}/progress/"),
            ):
                rows.append((size, name, *measure_page(client, path)))
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    print(f"{'problems':>8}  {'read':<26} {'cold':>4} {'warm':>4}  target <= 3 cold, 0 warm")
    for size, name, cold, warm, warm_sql in rows:
        met = "met" if cold <= 3 and warm == 0 else "NOT met"
        print(f"{size:>8}  {name:<26} {cold:>4} {warm:>4}  {met}")
        if args.verbose:
            for sql in warm_sql:
                print(f"{'':>12}warm: {sql[:160]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
