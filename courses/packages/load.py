"""Reading package files into unsaved model instances, checking everything on the way.

``load_course(files)`` / ``load_problem(files)`` take ``{path: bytes}`` (from
``courses.packages.archive.read_zip``) and return a plan of unsaved instances, or raise
``PackageError`` naming the file (and key) at fault. Checked here: the manifest's version and
kind, every key (unknown keys and files are refused: a typo must not silently drop data), every
value's type, the model's own validation (validators, choices, ``clean()``, check constraints),
test data against its problem (``testdata.case_errors``), reference code (``validate_source``),
unique orders and languages, and references between problems and exams. Reading queries the
database only for the model checks; it writes nothing. Judging the reference solutions is the
service's (``courses.services.packages``).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from courses.judging.languages import LANGUAGES
from courses.models import (
    Chapter,
    Course,
    Exam,
    ExamProblem,
    Problem,
    ProblemTestCase,
    ReferenceSolution,
    Subtask,
)
from courses.packages import layout, schema
from courses.services.errors import ServiceError
from courses.services.submissions import validate_source
from courses.services.testdata import case_errors

#: The largest TOML file read (a manifest listing hundreds of problems is a few kB).
MAX_TOML_BYTES = 1024 * 1024


class PackageError(ValueError):
    """The package cannot be imported: ``file`` (and ``key``) name what is at fault."""

    def __init__(self, message: str, *, file: str = "", key: str = "") -> None:
        where = f"{file}: {key}" if key else file
        super().__init__(f"{where}: {message}" if where else message)
        self.file = file
        self.key = key
        self.reason = message


@dataclass
class ProblemPlan:
    key: str
    folder: str
    problem: Problem
    cases: list[ProblemTestCase]
    references: list[ReferenceSolution]
    #: (unsaved subtask, the orders of the subtasks it depends on)
    subtasks: list[tuple[Subtask, list[int]]] = field(default_factory=list)
    #: Per case (same positions as ``cases``): the order of its subtask, or None.
    case_subtasks: list[int | None] = field(default_factory=list)


@dataclass
class ChapterPlan:
    chapter: Chapter
    problems: list[ProblemPlan]


@dataclass
class ExamPlan:
    exam: Exam
    #: (unsaved row, the key of its problem)
    rows: list[tuple[ExamProblem, str]]


@dataclass
class CoursePlan:
    course: Course
    chapters: list[ChapterPlan] = field(default_factory=list)
    exams: list[ExamPlan] = field(default_factory=list)

    @property
    def problems(self) -> list[ProblemPlan]:
        return [p for chapter in self.chapters for p in chapter.problems]


class _Reader:
    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files
        self.claimed: set[str] = set()
        self.version = 0

    # --- Files ---

    def text(self, path: str, *, required: bool = False) -> str | None:
        if path not in self.files:
            if required:
                raise PackageError("This file is missing.", file=path)
            return None
        self.claimed.add(path)
        try:
            text = self.files[path].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PackageError(
                f"Not UTF-8 text (byte {exc.start} is invalid); save it as UTF-8.", file=path
            ) from exc
        if "\x00" in text:
            raise PackageError("NUL characters cannot be stored.", file=path)
        return text

    def toml(self, path: str) -> dict:
        if path in self.files and len(self.files[path]) > MAX_TOML_BYTES:
            raise PackageError(f"Larger than {MAX_TOML_BYTES} bytes.", file=path)
        text = self.text(path, required=True)
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise PackageError(f"Not valid TOML ({exc}).", file=path) from exc
        except RecursionError as exc:
            # tomllib reads arrays and inline tables recursively; no package nests that deep.
            raise PackageError(
                "Not readable TOML: arrays or tables are nested too deeply.", file=path
            ) from exc

    def folder_files(self, folder: str) -> list[str]:
        prefix = f"{folder}/"
        return sorted(p for p in self.files if p.startswith(prefix))

    def check_all_claimed(self) -> None:
        for path in sorted(set(self.files) - self.claimed):
            raise PackageError(
                "This file is not part of the package format (docs/package-format.md).",
                file=path,
            )

    # --- Tables ---

    def fields(self, table, fields, *, file: str, where: str, extra=()) -> dict:
        """The values of ``fields`` (TOML kinds only) in ``table``, checked."""
        if not isinstance(table, dict):
            raise PackageError("Expected a table.", file=file, key=where)
        known = {f.name for f in schema.toml_fields(fields)} | set(extra)
        for key in table:
            if key not in known:
                raise PackageError(
                    f"Unknown key {key!r} (known: {', '.join(sorted(known))}).",
                    file=file,
                    key=where,
                )
        values = {}
        for f in schema.toml_fields(fields):
            name = f"{where}.{f.name}" if where else f.name
            if f.name in table:
                try:
                    values[f.name] = schema.decode(f, table[f.name])
                except schema.BadValue as exc:
                    raise PackageError(str(exc), file=file, key=name) from exc
            elif self.version < f.since:
                values[f.name] = f.default
            elif f.optional:
                values[f.name] = None
            else:
                raise PackageError("This key is required.", file=file, key=name)
        return values

    def file_fields(self, fields, folder: str) -> dict:
        """The ``text`` and ``code_map`` fields, from their files under ``folder``."""
        prefix = f"{folder}/" if folder else ""
        values = {}
        for f in fields:
            if f.kind == "text":
                path = f"{prefix}{f.file}"
                values[f.name] = self.text(path) or ""
                if f.max_chars and len(values[f.name]) > f.max_chars:
                    raise PackageError(
                        f"At most {f.max_chars} characters (this file has {len(values[f.name])}).",
                        file=path,
                    )
            elif f.kind == "code_map":
                values[f.name] = self.code_files(f"{prefix}{f.file}")
        return values

    def code_files(self, folder: str) -> dict[str, str]:
        code = {}
        for path in self.folder_files(folder):
            language = layout.language_of(path.removeprefix(f"{folder}/"))
            if language is None:
                names = ", ".join(
                    f"{lang}{layout.language_suffix(lang)}" for lang in sorted(LANGUAGES)
                )
                raise PackageError(f"Expected one file per language, named {names}.", file=path)
            code[language] = self.text(path)
        return code

    def array(self, table: dict, key: str, *, file: str) -> list:
        value = table.get(key, [])
        if not isinstance(value, list):
            raise PackageError("Expected an array.", file=file, key=key)
        return value


def _model_check(instance, *, exclude: list[str], file: str, where: str = "") -> None:
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
        name, messages = next(iter(errors.items()))
        key = f"{where}.{name}" if where and name not in ("", "__all__") else (where or name)
        key = "" if key == "__all__" else key
        raise PackageError(" ".join(messages), file=file, key=key) from exc


def _manifest(reader: _Reader, kind: str) -> dict:
    manifest = reader.toml(layout.MANIFEST)
    version = manifest.get("format_version")
    if version is None:
        raise PackageError(
            "format_version is missing; this platform reads format versions 1 to "
            f"{schema.FORMAT_VERSION}.",
            file=layout.MANIFEST,
            key="format_version",
        )
    if not isinstance(version, int) or isinstance(version, bool):
        raise PackageError(
            "format_version must be an integer.", file=layout.MANIFEST, key="format_version"
        )
    if not 1 <= version <= schema.FORMAT_VERSION:
        raise PackageError(
            f"This package is format version {version}; this platform reads versions 1 to "
            f"{schema.FORMAT_VERSION} (a newer CodeCourses wrote it?).",
            file=layout.MANIFEST,
            key="format_version",
        )
    reader.version = version
    found = manifest.get("kind")
    if found not in layout.KINDS:
        raise PackageError(
            f"kind must be one of {', '.join(layout.KINDS)}.", file=layout.MANIFEST, key="kind"
        )
    if found != kind:
        raise PackageError(
            f"This is a {found} package; import it as a {found}.",
            file=layout.MANIFEST,
            key="kind",
        )
    return manifest


# --- Problems ---------------------------------------------------------------------------------


def _problem(reader: _Reader, key: str, folder: str) -> ProblemPlan:
    file = f"{folder}/{layout.PROBLEM_TOML}"
    table = reader.toml(file)
    values = reader.fields(table, schema.PROBLEM, file=file, where="", extra=("cases", "subtasks"))
    values.update(reader.file_fields(schema.PROBLEM, folder))
    problem = Problem(**values)
    _model_check(problem, exclude=["chapter"], file=file)
    subtasks = _subtasks(reader, table, file=file)
    case_subtasks: list[int | None] = []
    cases = []
    orders: set[int] = set()
    for index, row in enumerate(reader.array(table, "cases", file=file)):
        where = f"cases[{index}]"
        case_values = reader.fields(row, schema.CASE, file=file, where=where)
        subtask_order = case_values.pop("subtask", None)
        if subtasks and subtask_order not in {s.order for s, _ in subtasks}:
            raise PackageError(
                "With [[subtasks]], every case names the order of its subtask.",
                file=file,
                key=f"{where}.subtask",
            )
        if not subtasks and subtask_order is not None:
            raise PackageError("There is no [[subtasks]] entry.", file=file, key=f"{where}.subtask")
        case_subtasks.append(subtask_order)
        case = ProblemTestCase(**case_values)
        if case.order in orders:
            raise PackageError(f"Order {case.order} is used twice.", file=file, key=where)
        orders.add(case.order)
        in_path = f"{folder}/{layout.case_file(index, 'in')}"
        out_path = f"{folder}/{layout.case_file(index, 'out')}"
        case.input = reader.text(in_path, required=True)
        case.expected_output = reader.text(out_path, required=True)
        errors = case_errors(problem, input=case.input, expected_output=case.expected_output)
        if errors:
            name, text = next(iter(errors.items()))
            raise PackageError(text, file=in_path if name == "input" else out_path)
        _model_check(case, exclude=["problem"], file=file, where=where)
        cases.append(case)
    references = []
    for language, code in reader.code_files(f"{folder}/{schema.REFERENCE_FOLDER}").items():
        path = layout.language_file(f"{folder}/{schema.REFERENCE_FOLDER}", language)
        try:
            validate_source(code)
        except ServiceError as exc:
            raise PackageError(exc.message, file=path) from exc
        reference = ReferenceSolution(language=language, code=code)
        _model_check(reference, exclude=["problem"], file=path)
        references.append(reference)
    return ProblemPlan(
        key=key,
        folder=folder,
        problem=problem,
        cases=cases,
        references=references,
        subtasks=subtasks,
        case_subtasks=case_subtasks,
    )


def _subtasks(reader: _Reader, table: dict, *, file: str) -> list[tuple[Subtask, list[int]]]:
    """``[[subtasks]]``: each checked; dependencies name earlier subtasks by order."""
    subtasks: list[tuple[Subtask, list[int]]] = []
    for index, row in enumerate(reader.array(table, "subtasks", file=file)):
        where = f"subtasks[{index}]"
        values = reader.fields(row, schema.SUBTASK, file=file, where=where, extra=("depends_on",))
        depends_on = row.get("depends_on", [])
        earlier = {s.order for s, _ in subtasks}
        if not isinstance(depends_on, list) or not all(
            isinstance(order, int) and not isinstance(order, bool) and order in earlier
            for order in depends_on
        ):
            raise PackageError(
                "Expected the orders of earlier [[subtasks]] entries.",
                file=file,
                key=f"{where}.depends_on",
            )
        if values["order"] in earlier or (subtasks and values["order"] <= subtasks[-1][0].order):
            raise PackageError(
                "Subtasks are listed by increasing order.", file=file, key=f"{where}.order"
            )
        subtask = Subtask(**values)
        _model_check(subtask, exclude=["problem"], file=file, where=where)
        subtasks.append((subtask, list(depends_on)))
    return subtasks


def load_problem(files: dict[str, bytes]) -> ProblemPlan:
    reader = _Reader(files)
    manifest = _manifest(reader, "problem")
    reader.fields(manifest, (), file=layout.MANIFEST, where="", extra=("format_version", "kind"))
    plan = _problem(reader, layout.SINGLE_PROBLEM_DIR, layout.SINGLE_PROBLEM_DIR)
    reader.check_all_claimed()
    return plan


# --- Courses ----------------------------------------------------------------------------------


def load_course(files: dict[str, bytes], *, slug: str = "") -> CoursePlan:
    """The course's plan; ``slug`` (when given) replaces the package's."""
    reader = _Reader(files)
    manifest = _manifest(reader, "course")
    reader.fields(
        manifest,
        (),
        file=layout.MANIFEST,
        where="",
        extra=("format_version", "kind", "course", "chapters", "exams"),
    )
    if "course" not in manifest:
        raise PackageError("The [course] table is missing.", file=layout.MANIFEST, key="course")
    values = reader.fields(manifest["course"], schema.COURSE, file=layout.MANIFEST, where="course")
    values.update(reader.file_fields(schema.COURSE, ""))
    if slug:
        values["slug"] = slug
    course = Course(**values)
    # The slug's uniqueness is the service's to check (a clash asks for a new slug); its form here.
    _model_check(course, exclude=["slug"], file=layout.MANIFEST, where="course")
    try:
        Course._meta.get_field("slug").clean(course.slug, course)
    except ValidationError as exc:
        raise PackageError(" ".join(exc.messages), file=layout.MANIFEST, key="course.slug") from exc
    plan = CoursePlan(course=course)
    problems: dict[str, ProblemPlan] = {}
    chapter_orders: set[int] = set()
    for index, row in enumerate(reader.array(manifest, "chapters", file=layout.MANIFEST)):
        where = f"chapters[{index}]"
        values = reader.fields(
            row, schema.CHAPTER, file=layout.MANIFEST, where=where, extra=("problems",)
        )
        chapter = Chapter(**values)
        _model_check(chapter, exclude=["course"], file=layout.MANIFEST, where=where)
        if chapter.order in chapter_orders:
            raise PackageError(
                f"Order {chapter.order} is used twice.", file=layout.MANIFEST, key=where
            )
        chapter_orders.add(chapter.order)
        keys = row.get("problems", [])
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise PackageError(
                "Expected an array of problem keys.", file=layout.MANIFEST, key=f"{where}.problems"
            )
        chapter_plan = ChapterPlan(chapter=chapter, problems=[])
        for key in keys:
            if not layout.PROBLEM_KEY.fullmatch(key) or key in problems:
                raise PackageError(
                    f"{key!r} is not a problem key (letters, digits, - and _) or is listed twice.",
                    file=layout.MANIFEST,
                    key=f"{where}.problems",
                )
            folder = f"{layout.PROBLEMS_DIR}/{key}"
            problems[key] = _problem(reader, key, folder)
            chapter_plan.problems.append(problems[key])
        plan.chapters.append(chapter_plan)
    for index, row in enumerate(reader.array(manifest, "exams", file=layout.MANIFEST)):
        plan.exams.append(_exam(reader, row, index, problems))
    reader.check_all_claimed()
    return plan


def _exam(reader: _Reader, row, index: int, problems: dict[str, ProblemPlan]) -> ExamPlan:
    where = f"exams[{index}]"
    file = layout.MANIFEST
    values = reader.fields(row, schema.EXAM, file=file, where=where, extra=("problems",))
    values.update(reader.file_fields(schema.EXAM, layout.exam_dir(index)))
    exam = Exam(**values)
    _model_check(exam, exclude=["course"], file=file, where=where)
    plan = ExamPlan(exam=exam, rows=[])
    seen: set[str] = set()
    for number, item in enumerate(reader.array(row, "problems", file=file)):
        item_where = f"{where}.problems[{number}]"
        values = reader.fields(
            item, schema.EXAM_PROBLEM, file=file, where=item_where, extra=("problem",)
        )
        key = item.get("problem")
        if key not in problems:
            raise PackageError(
                f"{key!r} is not the key of a problem of this package.",
                file=file,
                key=f"{item_where}.problem",
            )
        if key in seen:
            raise PackageError("This problem is in the exam twice.", file=file, key=item_where)
        seen.add(key)
        exam_problem = ExamProblem(**values)
        _model_check(exam_problem, exclude=["exam", "problem"], file=file, where=item_where)
        plan.rows.append((exam_problem, key))
    return plan
