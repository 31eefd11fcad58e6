"""Rows of the endpoints that belong to no area: the OpenAPI document and its docs page.

Columns: anonymous student other_student non_member assistant other_instructor instructor
superuser.
"""

from courses.tests.matrix import Row

ROWS = [
    Row("schema", "GET", "200 200 200 200 200 200 200 200"),
    Row("docs", "GET", "200 200 200 200 200 200 200 200"),
]
