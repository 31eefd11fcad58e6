"""Writing a course or a problem as package files (``{path: bytes}``), field lists from ``schema``.

Deterministic: chapters, problems, cases and exams in their display order (``order``, then id),
languages sorted, TOML from ``courses.packages.toml``. Nothing here writes the database.
"""

from __future__ import annotations

from collections.abc import Callable

from courses.models import Course, Exam, Problem
from courses.packages import layout, schema, toml

Progress = Callable[[str, int, int], None]


class ExportError(ValueError):
    """The course cannot be written as a package (e.g. an exam uses another course's problem)."""


def _fields(instance, fields) -> dict:
    return {f.name: schema.encode(f, getattr(instance, f.name)) for f in schema.toml_fields(fields)}


def _text_files(instance, fields, folder: str) -> dict[str, bytes]:
    """The ``text`` fields (when not empty) and ``code_map`` fields (a file per language)."""
    files = {}
    prefix = f"{folder}/" if folder else ""
    for field in fields:
        value = getattr(instance, field.name)
        if field.kind == "text" and value:
            files[f"{prefix}{field.file}"] = value.encode("utf-8")
        elif field.kind == "code_map":
            for language in sorted(value or {}):
                path = layout.language_file(f"{prefix}{field.file}", language)
                files[path] = value[language].encode("utf-8")
    return files


def _case(case) -> dict:
    row = {
        f.name: schema.encode(f, getattr(case, f.name))
        for f in schema.toml_fields(schema.CASE)
        if f.name != "subtask"
    }
    row["subtask"] = case.subtask.order if case.subtask_id is not None else None
    return row


def problem_files(problem: Problem, folder: str) -> dict[str, bytes]:
    cases = list(problem.test_cases.order_by("order", "id").select_related("subtask"))
    document = _fields(problem, schema.PROBLEM)
    document["cases"] = [_case(case) for case in cases]
    subtasks = list(problem.subtasks.order_by("order", "id").prefetch_related("depends_on"))
    document["subtasks"] = [
        {
            **_fields(subtask, schema.SUBTASK),
            "depends_on": sorted(d.order for d in subtask.depends_on.all()),
        }
        for subtask in subtasks
    ] or None
    files = {f"{folder}/{layout.PROBLEM_TOML}": toml.dumps(document).encode("utf-8")}
    files.update(_text_files(problem, schema.PROBLEM, folder))
    for index, case in enumerate(cases):
        files[f"{folder}/{layout.case_file(index, 'in')}"] = case.input.encode("utf-8")
        files[f"{folder}/{layout.case_file(index, 'out')}"] = case.expected_output.encode("utf-8")
    for reference in problem.reference_solutions.order_by("language"):
        path = layout.language_file(f"{folder}/{schema.REFERENCE_FOLDER}", reference.language)
        files[path] = reference.code.encode("utf-8")
    return files


def export_problem(problem: Problem) -> dict[str, bytes]:
    manifest = {"format_version": schema.FORMAT_VERSION, "kind": "problem"}
    files = {layout.MANIFEST: toml.dumps(manifest).encode("utf-8")}
    files.update(problem_files(problem, layout.SINGLE_PROBLEM_DIR))
    return files


def export_course(course: Course, progress: Progress | None = None) -> dict[str, bytes]:
    progress = progress or (lambda step, done, total: None)
    chapters = list(course.chapters.order_by("order", "id"))
    problems = [
        (chapter, problem)
        for chapter in chapters
        for problem in chapter.problems.order_by("order", "id")
    ]
    keys = {problem.pk: layout.problem_key(i) for i, (_, problem) in enumerate(problems)}
    files: dict[str, bytes] = {}
    for done, (_, problem) in enumerate(problems, start=1):
        files.update(problem_files(problem, f"{layout.PROBLEMS_DIR}/{keys[problem.pk]}"))
        progress("problems", done, len(problems))
    manifest = {
        "format_version": schema.FORMAT_VERSION,
        "kind": "course",
        "course": _fields(course, schema.COURSE),
        "chapters": [
            {
                **_fields(chapter, schema.CHAPTER),
                "problems": [keys[p.pk] for c, p in problems if c.pk == chapter.pk],
            }
            for chapter in chapters
        ],
        "exams": [],
    }
    files.update(_text_files(course, schema.COURSE, ""))
    exams = list(course.exams.order_by("opens_at", "id"))
    for index, exam in enumerate(exams):
        manifest["exams"].append(_exam(exam, keys))
        files.update(_text_files(exam, schema.EXAM, layout.exam_dir(index)))
        progress("exams", index + 1, len(exams))
    files[layout.MANIFEST] = toml.dumps(manifest).encode("utf-8")
    return files


def _exam(exam: Exam, keys: dict[int, str]) -> dict:
    rows = []
    for row in exam.exam_problems.order_by("order", "id"):
        if row.problem_id not in keys:
            raise ExportError(
                f"The exam {exam.title!r} uses the problem {row.problem} of another course; "
                "remove it from the exam to export this course."
            )
        rows.append({"problem": keys[row.problem_id], **_fields(row, schema.EXAM_PROBLEM)})
    return {**_fields(exam, schema.EXAM), "problems": rows}
