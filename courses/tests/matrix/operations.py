"""Rows of the operators' endpoints (``health/``): public, the same answer for everyone.

Columns: anonymous student other_student non_member assistant other_instructor instructor
superuser. ``GET /metrics`` is not an API route (a bearer token, not a role, opens it): its
tests are in ``test_operations``.
"""

from courses.tests.matrix import Row

ROWS = [
    Row("health", "GET", "200 200 200 200 200 200 200 200"),
]
