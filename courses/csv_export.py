"""CSV files that the API and the site both serve: cells safe to open in a spreadsheet, and the
gradebook laid out as rows.

Both ``courses/api`` (``StaffGradebookCsvApi``) and ``courses/web`` (the staff gradebook page)
write their files with these, so a download is the same file whichever way it is asked for
(docs/decisions.md, "API: grading" and "Web: staff").
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime

#: A spreadsheet reads a cell starting with one of these as a formula (OWASP, "CSV Injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """``value`` as text that a spreadsheet shows as text: a formula trigger gets a ``'`` first.

    Applied to every cell, so no user-controlled text (usernames, emails, titles) can run as a
    formula; the numbers written here are never negative, so none is changed.
    """
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_TRIGGERS) else text


def csv_text(rows: Iterable[Iterable]) -> str:
    """The rows as CSV (RFC 4180: CRLF line ends, quotes where needed), every cell made safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return buffer.getvalue()


def gradebook_table(gradebook) -> list[list]:
    """The gradebook (``selectors.Gradebook``) as CSV rows: a header, then one row per student.

    Per problem a points cell (empty: never submitted) and a late cell (``late`` or empty); per
    exam a score cell (empty: no finished attempt) and a passed cell (``yes``, ``no`` or empty).
    """
    header = ["username", "email"]
    for problem in gradebook.problems:
        header += [f"{problem.title} (#{problem.id})", f"{problem.title} (#{problem.id}) late"]
    for exam in gradebook.exams:
        header += [f"{exam.title} (exam #{exam.id})", f"{exam.title} (exam #{exam.id}) passed"]
    header += ["problem points", "exam points", "total"]
    table = [header]
    for row in gradebook.all_rows():
        cells = [row.username, row.email]
        for grade in row.problems:
            cells += [grade.points, "late" if grade.late else ""]
        for grade in row.exams:
            cells += [grade.score, {True: "yes", False: "no", None: ""}[grade.passed]]
        cells += [row.problem_points, row.exam_points, row.total]
        table.append(cells)
    return table


def gradebook_filename(course, now: datetime) -> str:
    """``gradebook-<course slug>-<UTC date>.csv``."""
    return f"gradebook-{course.slug}-{now:%Y-%m-%d}.csv"
