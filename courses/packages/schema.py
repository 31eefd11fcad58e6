"""What a package holds of each model: the ONE list of fields (docs/package-format.md).

Each model that travels in a package has a tuple of ``Field`` here; the exporter writes exactly
these, the importer reads exactly these (and refuses any other key or file). To carry a new model
field (issue 14a's checker, subtasks, tests-as-code, per-language limits):

1. add a ``Field`` to its model's tuple, with ``since=`` the new ``FORMAT_VERSION`` and a
   ``default`` (the value that packages written before it mean);
2. bump ``FORMAT_VERSION``; older packages still import (their missing field takes the default),
   and this platform's older releases refuse the new packages by version, with a clear error;
3. document it in docs/package-format.md.

Kinds (how a value is written, and checked when read):
``str``, ``int``, ``bool``, ``float``, ``decimal`` (a TOML string, exact: ``"10.00"``),
``datetime`` (a TOML offset date-time, written in UTC), ``str_list`` (an array of strings),
``text`` (a UTF-8 file next to the TOML, e.g. ``statement.md``; absent = empty),
``code_map`` (``{language: code}`` as one file per language in a folder, e.g.
``starter/python.py``). ``optional`` fields may be absent (``None``); others are required.

Bounds: an ``int`` field's ``bounds`` and a ``text`` field's ``max_chars`` are the JSON
authoring API's, from ``courses.services.authoring_limits`` (never a number of its own here), so
that a package cannot store what the API refuses. The models check the rest (``max_length``,
choices, constraints).
"""

from __future__ import annotations

import decimal
import math
from dataclasses import dataclass
from datetime import datetime

from courses import instant_range
from courses.services import authoring_limits as limits
from courses.services.authoring_limits import Range

#: The version this platform writes. It reads every version from 1 up to this one.
#: 2 (issue 14): tests written as code (``setup_code``), custom checkers, per-language limits,
#: subtasks (``[[subtasks]]`` and each case's ``subtask``).
FORMAT_VERSION = 2
MISSING = object()


@dataclass(frozen=True)
class Field:
    name: str
    kind: str
    optional: bool = False
    #: The format version that introduced the field; older packages get ``default``.
    since: int = 1
    default: object = MISSING
    #: ``text``: the file's name; ``code_map``: the folder's.
    file: str = ""
    #: ``decimal``: the model's decimal places (exported exactly so: ``"10.00"``).
    places: int = 0
    #: ``int``: the values the authoring API accepts (``None``: the model's own range).
    bounds: Range | None = None
    #: ``text``: the most characters the authoring API accepts (0: no limit).
    max_chars: int = 0


COURSE = (
    Field("title", "str"),
    Field("slug", "str"),
    Field("is_published", "bool"),
    Field("time_zone", "str"),
    Field("late_policy", "str"),
    Field("late_penalty_percent_per_day", "decimal", places=2),
    Field("description", "text", file="description.md", max_chars=limits.COURSE_DESCRIPTION_CHARS),
)

CHAPTER = (
    Field("title", "str"),
    Field("order", "int", bounds=limits.ORDER),
    Field("due_at", "datetime", optional=True),
)

PROBLEM = (
    Field("title", "str"),
    Field("order", "int", bounds=limits.ORDER),
    Field("points", "int", bounds=limits.PROBLEM_POINTS),
    Field("time_limit_ms", "int", bounds=limits.TIME_LIMIT_MS),
    Field("memory_limit_kb", "int", bounds=limits.MEMORY_LIMIT_KB),
    Field("output_limit_kb", "int", bounds=limits.OUTPUT_LIMIT_KB),
    Field("is_visible", "bool"),
    Field("is_exam_only", "bool"),
    Field("is_archived", "bool"),
    Field("due_at", "datetime", optional=True),
    Field("allowed_languages", "str_list"),
    Field("io_mode", "str"),
    Field("entry_point", "str"),
    Field("checker", "str"),
    Field("float_abs_tolerance", "float"),
    Field("float_rel_tolerance", "float"),
    Field("statement", "text", file="statement.md", max_chars=limits.STATEMENT_CHARS),
    Field("starter_code", "code_map", file="starter"),
    Field("template_overrides", "code_map", file="templates"),
    Field(
        "setup_code", "text", since=2, default="", file="setup.py", max_chars=limits.PROGRAM_CHARS
    ),
    Field("checker_language", "str", since=2, default=""),
    Field(
        "checker_code",
        "text",
        since=2,
        default="",
        file="checker.txt",
        max_chars=limits.PROGRAM_CHARS,
    ),
    Field("language_limits", "limits", since=2, default={}),
)

#: A case's input and expected output are the files ``cases/NNN.in`` and ``cases/NNN.out``
#: (NNN: its position in ``[[cases]]``, from 001).
CASE = (
    Field("order", "int", bounds=limits.ORDER),
    Field("is_sample", "bool"),
    Field("weight", "int", bounds=limits.CASE_WEIGHT),
    #: The ``order`` of the case's subtask in ``[[subtasks]]`` (absent: none).
    Field("subtask", "int", optional=True, since=2, default=None),
)

#: A problem's ``[[subtasks]]``, plus ``depends_on``: the orders of earlier subtasks.
SUBTASK = (
    Field("order", "int", since=2, bounds=limits.ORDER),
    Field("name", "str", since=2),
    Field("points", "int", since=2, bounds=limits.SUBTASK_POINTS),
    Field("scoring", "str", since=2),
    Field("short_circuit", "bool", since=2),
)

#: Reference solutions are ``solutions/<language><suffix>`` files (``solutions/python.py``):
#: their language and code, nothing else (validation results are judged again on import).
REFERENCE_FOLDER = "solutions"

EXAM = (
    Field("title", "str"),
    Field("opens_at", "datetime"),
    Field("closes_at", "datetime"),
    Field("duration_minutes", "int", bounds=limits.EXAM_DURATION_MINUTES),
    Field("passing_score", "decimal", places=2),
    Field("passing_percentage", "decimal", optional=True, places=2),
    Field("results_released_at", "datetime", optional=True),
    Field("max_attempts", "int", bounds=limits.EXAM_MAX_ATTEMPTS),
    Field("feedback", "str"),
    Field("instructions", "text", file="instructions.md", max_chars=limits.EXAM_INSTRUCTIONS_CHARS),
)

#: Plus ``problem``: the key of a problem of the same package.
EXAM_PROBLEM = (
    Field("score", "decimal", places=2),
    Field("order", "int", bounds=limits.ORDER),
)


#: The model fields a package does not carry, and why; a test checks that every field of these
#: models is either carried or listed here, so a new model field cannot be forgotten silently.
NOT_CARRIED = {
    "Course": {"id", "created_at", "updated_at"},
    "Chapter": {"id", "course"},
    "Problem": {"id", "chapter", "created_at", "updated_at"},
    "ProblemTestCase": {"id", "problem", "input", "expected_output"},  # the two are files
    # The language and code are the solution's file; validation results are judged again.
    "ReferenceSolution": {
        "id",
        "problem",
        "language",
        "code",
        "validation_status",
        "validation_score",
        "validation_details",
        "validated_at",
    },
    "Exam": {"id", "course", "total_score"},  # total_score is computed from the exam's problems
    "ExamProblem": {"id", "exam", "problem"},  # problem: the key of a problem of the package
    "Subtask": {"id", "problem"},  # depends_on (not a concrete field) travels as orders
}
CARRIED = {
    "Course": COURSE,
    "Chapter": CHAPTER,
    "Problem": PROBLEM,
    "ProblemTestCase": CASE,
    "ReferenceSolution": (),
    "Exam": EXAM,
    "ExamProblem": EXAM_PROBLEM,
    "Subtask": SUBTASK,
}


def toml_fields(fields: tuple[Field, ...]) -> tuple[Field, ...]:
    return tuple(f for f in fields if f.kind not in ("text", "code_map"))


# --- Values: model → TOML, and TOML → model (checked) -------------------------------------------


class BadValue(ValueError):
    pass


def encode(field: Field, value):
    """The TOML value of a model value (``None`` leaves the key out)."""
    if value is None:
        return None
    if field.kind == "decimal":
        quantum = decimal.Decimal(1).scaleb(-field.places)
        return str(decimal.Decimal(value).quantize(quantum))
    if field.kind == "str_list":
        return list(value)
    if field.kind == "limits":
        return {key: dict(sorted(value[key].items())) for key in sorted(value)}
    return value


_KIND_NAMES = {
    "str": "a string",
    "int": "an integer",
    "bool": "true or false",
    "float": "a number",
    "decimal": 'a decimal number written as a string ("10.00")',
    "datetime": "a date-time with an offset (2026-01-31T23:59:00Z)",
    "str_list": "an array of strings",
    "limits": "a table of tables, e.g. [language_limits.java] with time_multiplier = 2.0",
}


def decode(field: Field, value):
    """The model value of a TOML value; ``BadValue`` saying what was expected otherwise."""
    expected = _KIND_NAMES[field.kind]
    kind = field.kind
    ok = (
        (kind == "str" and isinstance(value, str))
        or (kind == "int" and isinstance(value, int) and not isinstance(value, bool))
        or (kind == "bool" and isinstance(value, bool))
        or (kind == "float" and isinstance(value, int | float) and not isinstance(value, bool))
        or (kind == "decimal" and isinstance(value, str))
        or (kind == "datetime" and isinstance(value, datetime))
        or (kind == "str_list" and isinstance(value, list))
        or (kind == "limits" and isinstance(value, dict))
    )
    if not ok:
        raise BadValue(f"expected {expected}, got {_type_name(value)}")
    if kind == "int" and field.bounds is not None and value not in field.bounds:
        low, high = field.bounds.low, field.bounds.high
        raise BadValue(f"expected an integer from {low} to {high}, got {value}")
    if kind == "float":
        value = float(value)
        if not math.isfinite(value):
            raise BadValue("expected a finite number")
    elif kind == "decimal":
        try:
            value = decimal.Decimal(value)
        except decimal.InvalidOperation as exc:
            raise BadValue(f"expected {expected}, got {value!r}") from exc
        if not value.is_finite():
            raise BadValue("expected a finite decimal number")
    elif kind == "datetime" and value.tzinfo is None:
        raise BadValue(f"expected {expected}: this one has no offset")
    elif kind == "datetime" and instant_range.range_error(value):
        raise BadValue(instant_range.range_error(value))
    elif (kind == "str_list" and not all(isinstance(item, str) for item in value)) or (
        kind == "limits" and not all(isinstance(item, dict) for item in value.values())
    ):
        raise BadValue(f"expected {expected}")
    return value


def _type_name(value) -> str:
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a float",
        str: "a string",
        list: "an array",
        dict: "a table",
    }.get(type(value), type(value).__name__)
