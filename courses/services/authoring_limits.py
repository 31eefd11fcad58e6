"""What authoring accepts of a field beyond its type: the one list of the numbers.

The JSON authoring API's input serializers and the package importer (``courses.packages.schema``)
both read these, so a value the API refuses is refused in a package too (a problem's time limit,
an exam's duration: a stored ``duration_minutes`` of 99999999999 makes starting an attempt fail).
The models' own rules (``max_length``, check constraints) stay on the models; these are the
bounds that exist only as input rules. Integer bounds are inclusive; text is counted in
characters.
"""

from __future__ import annotations

from dataclasses import dataclass

from courses.models.exam import MAX_DURATION_MINUTES


@dataclass(frozen=True)
class Range:
    """The inclusive bounds of an integer field."""

    low: int
    high: int

    def __contains__(self, value: int) -> bool:
        return self.low <= value <= self.high


#: Every ``order`` (chapters, problems, cases, subtasks, exam problems): a 32-bit column anywhere.
ORDER = Range(0, 2**31 - 1)

# Problems. The limits are generous for exercises, and they bound judging leases.
PROBLEM_POINTS = Range(0, 1_000_000)
TIME_LIMIT_MS = Range(1, 60_000)
MEMORY_LIMIT_KB = Range(1, 2 * 1024 * 1024)
OUTPUT_LIMIT_KB = Range(1, 16 * 1024)
STATEMENT_CHARS = 100_000
#: A problem's own programs: its setup code (tests written as code) and its custom checker.
PROGRAM_CHARS = 64 * 1024

# Test data.
CASE_WEIGHT = Range(1, 1_000_000)
SUBTASK_POINTS = Range(1, 1_000_000)

# Courses and exams.
COURSE_DESCRIPTION_CHARS = 50_000
EXAM_INSTRUCTIONS_CHARS = 50_000
EXAM_DURATION_MINUTES = Range(1, MAX_DURATION_MINUTES)  # the model's own cap
EXAM_MAX_ATTEMPTS = Range(1, 1000)

#: The bounds above by (``model_name``, field name), for the forms that edit the models directly
#: (the admin): a ``Range`` for an integer, the most characters for a text.
MODEL_FIELDS: dict[tuple[str, str], Range | int] = {
    ("chapter", "order"): ORDER,
    ("problem", "order"): ORDER,
    ("problem", "points"): PROBLEM_POINTS,
    ("problem", "time_limit_ms"): TIME_LIMIT_MS,
    ("problem", "memory_limit_kb"): MEMORY_LIMIT_KB,
    ("problem", "output_limit_kb"): OUTPUT_LIMIT_KB,
    ("problem", "statement"): STATEMENT_CHARS,
    ("problem", "setup_code"): PROGRAM_CHARS,
    ("problem", "checker_code"): PROGRAM_CHARS,
    ("problemtestcase", "order"): ORDER,
    ("problemtestcase", "weight"): CASE_WEIGHT,
    ("subtask", "order"): ORDER,
    ("subtask", "points"): SUBTASK_POINTS,
    ("course", "description"): COURSE_DESCRIPTION_CHARS,
    ("exam", "duration_minutes"): EXAM_DURATION_MINUTES,
    ("exam", "max_attempts"): EXAM_MAX_ATTEMPTS,
    ("exam", "instructions"): EXAM_INSTRUCTIONS_CHARS,
    ("examproblem", "order"): ORDER,
}
