"""Rows of the submissions and runs area (C): submit, list and read your own, run code.

Columns: anonymous student other_student non_member assistant other_instructor instructor
superuser. The matrix runs in a ``TestCase``, where on_commit never runs: a new submission stays
pending, so submitting answers 202.
"""

from courses.tests.api_support import ADD
from courses.tests.matrix import Row


def _submit(world):
    return {"language": "python", "code": ADD}


ROWS = [
    Row(
        "submission-create",
        "POST",
        "403 202 202 403 202 403 202 202",
        kwargs=lambda w: {"problem_id": w.problem.pk},
        body=_submit,
    ),
    Row(
        "submission-create",
        "POST",
        "403 404 404 404 202 404 202 202",
        kwargs=lambda w: {"problem_id": w.draft_problem.pk},
        body=_submit,
        note="a draft problem: only the course's staff may try it",
    ),
    Row(
        "submission-create",
        "POST",
        "403 404 404 404 202 404 202 202",
        kwargs=lambda w: {"problem_id": w.exam_only_problem.pk},
        body=_submit,
        note="an exam-only problem: students submit it through an attempt; staff try it here",
    ),
    Row("submission-list", "GET", "403 200 200 200 200 200 200 200"),
    Row(
        "submission-list",
        "GET",
        "403 200 200 200 200 200 200 200",
        query={"problem": "1", "status": "accepted"},
        note="filtered",
    ),
    Row(
        "submission-detail",
        "GET",
        "403 200 404 404 404 404 404 404",
        kwargs=lambda w: {"submission_id": w.submission.pk},
    ),
    Row(
        "submission-detail",
        "GET",
        "403 200 404 404 404 404 404 404",
        kwargs=lambda w: {"submission_id": w.exam_submission.pk},
        note="an exam submission",
    ),
    Row("code-run", "POST", "403 200 200 200 200 200 200 200", body=lambda w: {"code": "print(1)"}),
    Row(
        "code-run",
        "POST",
        "403 200 200 403 200 403 200 200",
        body=lambda w: {"problem": w.problem.pk, "language": "python", "code": ADD},
        note="against a problem, on its samples",
    ),
    Row(
        "code-run",
        "POST",
        "403 404 404 404 200 404 200 200",
        body=lambda w: {
            "problem": w.draft_problem.pk,
            "language": "python",
            "code": ADD,
            "stdin": "[1, 2]",
        },
        note="against a draft problem, on a given input",
    ),
]
