from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models

from courses.instant_range import validate_in_range
from courses.judging.languages import LANGUAGES
from courses.models.course import Chapter

#: What a problem may say per language in ``language_limits``, and the bounds.
LANGUAGE_LIMIT_KEYS = frozenset({"time_multiplier", "memory_extra_kb"})
MAX_TIME_MULTIPLIER = 10.0
MAX_MEMORY_EXTRA_KB = 1024 * 1024


def default_allowed_languages() -> list[str]:
    return ["python"]


class Problem(models.Model):
    class IoMode(models.TextChoices):
        #: LeetCode-style: a per-language template calls the student's function with JSON arguments.
        FUNCTION = "function"
        STDIO = "stdio"
        #: Tests written as code (Python): a case is ``EXPR == LITERAL``; EXPR is its input,
        #: LITERAL its expected output (``courses.judging.tests_as_code``).
        TESTS = "tests", "Tests written as code (Python)"

    class Checker(models.TextChoices):
        EXACT = "exact"
        TOKENS = "tokens", "Tokens (whitespace-insensitive)"
        FLOAT = "float", "Floats with tolerance"
        JSON = "json", "JSON values"
        #: The instructor's own checker program (``courses.judging.custom_checkers``).
        CUSTOM = "custom", "Custom checker program"

    class CheckerLanguage(models.TextChoices):
        PYTHON = "python", "Python"
        C = "c", "C"
        CPP = "cpp", "C++"

    chapter = models.ForeignKey(Chapter, on_delete=models.CASCADE, related_name="problems")
    title = models.CharField(max_length=200)
    statement = models.TextField(blank=True)
    order = models.PositiveIntegerField(default=0)
    points = models.PositiveIntegerField(default=100)
    time_limit_ms = models.PositiveIntegerField(default=2000)
    memory_limit_kb = models.PositiveIntegerField(default=256 * 1024)
    output_limit_kb = models.PositiveIntegerField(default=64)
    is_visible = models.BooleanField(default=False, help_text="Draft problems are not visible.")
    is_exam_only = models.BooleanField(default=False)
    is_archived = models.BooleanField(
        default=False, help_text="Archive instead of deleting a problem that has submissions."
    )
    #: Homework due date; when empty the chapter's applies (``effective_due_at``).
    due_at = models.DateTimeField(null=True, blank=True, validators=[validate_in_range])
    allowed_languages = models.JSONField(default=default_allowed_languages)
    io_mode = models.CharField(max_length=16, choices=IoMode.choices, default=IoMode.FUNCTION)
    entry_point = models.CharField(max_length=100, blank=True, default="solve")
    #: {language: starter code shown in the editor}
    starter_code = models.JSONField(default=dict, blank=True)
    #: {language: wrapping template}, overriding the language's default function template.
    template_overrides = models.JSONField(default=dict, blank=True)
    checker = models.CharField(max_length=16, choices=Checker.choices, default="exact")
    float_abs_tolerance = models.FloatField(default=1e-6)
    float_rel_tolerance = models.FloatField(default=1e-6)
    #: Tests written as code: run before each case (imports, helpers, a seeded random); it
    #: decides no verdict.
    setup_code = models.TextField(blank=True)
    #: The custom checker (``checker == "custom"``): a program run in the sandbox.
    checker_language = models.CharField(
        max_length=16, choices=CheckerLanguage.choices, blank=True, default=""
    )
    checker_code = models.TextField(blank=True)
    #: Per-language overrides of the site's ``COURSES_LANGUAGE_LIMITS``:
    #: ``{language: {"time_multiplier": float, "memory_extra_kb": int}}``.
    language_limits = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["chapter", "order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(time_limit_ms__gt=0)
                & models.Q(memory_limit_kb__gt=0)
                & models.Q(output_limit_kb__gt=0),
                name="problem_limits_positive",
                violation_error_message="Time, memory and output limits must be positive.",
            ),
            models.CheckConstraint(
                condition=models.Q(float_abs_tolerance__gte=0)
                & models.Q(float_rel_tolerance__gte=0),
                name="problem_tolerances_not_negative",
                violation_error_message="Float tolerances cannot be negative.",
            ),
        ]
        indexes = [models.Index(fields=["chapter", "is_visible", "order"])]

    def __str__(self) -> str:
        return self.title

    @property
    def effective_due_at(self):
        """The problem's own due date, else its chapter's; ``None`` when there is none."""
        return self.due_at or self.chapter.due_at

    def clean(self) -> None:
        from courses.judging.templates import (
            TemplateError,
            validate_entry_point,
            validate_template,
        )

        unknown = [lang for lang in self.allowed_languages or [] if lang not in LANGUAGES]
        if unknown or not self.allowed_languages:
            raise ValidationError(
                {"allowed_languages": f"Unknown or no languages: {unknown or 'empty list'}."}
            )
        if self.io_mode == self.IoMode.FUNCTION:
            if not self.entry_point:
                message = "Function-style problems need an entry point."
                raise ValidationError({"entry_point": message})
            try:
                validate_entry_point(self.entry_point)
            except TemplateError as exc:
                raise ValidationError({"entry_point": str(exc)}) from exc
        for language, template in (self.template_overrides or {}).items():
            if language not in LANGUAGES:
                raise ValidationError({"template_overrides": f"Unknown language {language!r}."})
            try:
                validate_template(template)
            except TemplateError as exc:
                raise ValidationError({"template_overrides": f"{language}: {exc}"}) from exc
        self._clean_tests_as_code()
        self._clean_checker()
        self._clean_language_limits()

    def _clean_tests_as_code(self) -> None:
        from courses.judging.tests_as_code import TestCodeError, validate_setup

        if self.io_mode != self.IoMode.TESTS:
            return
        if list(self.allowed_languages) != ["python"]:
            raise ValidationError(
                {"allowed_languages": "Tests written as code run Python only: allow just python."}
            )
        if self.checker == self.Checker.CUSTOM:
            raise ValidationError(
                {"checker": "Tests written as code compare values themselves: no custom checker."}
            )
        try:
            validate_setup(self.setup_code)
        except TestCodeError as exc:
            raise ValidationError({"setup_code": str(exc)}) from exc

    def _clean_checker(self) -> None:
        if self.checker != self.Checker.CUSTOM:
            return
        if self.checker_language not in self.CheckerLanguage.values:
            known = ", ".join(self.CheckerLanguage.values)
            raise ValidationError(
                {"checker_language": f"A custom checker is written in one of: {known}."}
            )
        if not self.checker_code.strip():
            raise ValidationError({"checker_code": "A custom checker needs its program."})
        if self.checker_language == self.CheckerLanguage.PYTHON:
            try:
                compile(self.checker_code, "checker.py", "exec", dont_inherit=True)
            except (SyntaxError, ValueError) as exc:
                raise ValidationError(
                    {"checker_code": f"The checker does not compile: {exc}"}
                ) from exc

    def _clean_language_limits(self) -> None:
        limits = self.language_limits or {}
        if not isinstance(limits, dict):
            raise ValidationError({"language_limits": "A map {language: {...}}."})
        for language, values in limits.items():
            if language not in LANGUAGES:
                raise ValidationError({"language_limits": f"Unknown language {language!r}."})
            if not isinstance(values, dict) or not values or set(values) - LANGUAGE_LIMIT_KEYS:
                raise ValidationError(
                    {
                        "language_limits": f"{language}: give time_multiplier and/or "
                        "memory_extra_kb, nothing else."
                    }
                )
            multiplier = values.get("time_multiplier", 1.0)
            if (
                isinstance(multiplier, bool)
                or not isinstance(multiplier, int | float)
                or not 0.1 <= multiplier <= MAX_TIME_MULTIPLIER
            ):
                raise ValidationError(
                    {
                        "language_limits": f"{language}: time_multiplier is a number from 0.1 "
                        f"to {MAX_TIME_MULTIPLIER}."
                    }
                )
            extra = values.get("memory_extra_kb", 0)
            if (
                isinstance(extra, bool)
                or not isinstance(extra, int)
                or not 0 <= extra <= MAX_MEMORY_EXTRA_KB
            ):
                raise ValidationError(
                    {
                        "language_limits": f"{language}: memory_extra_kb is a whole number of KB "
                        f"from 0 to {MAX_MEMORY_EXTRA_KB}."
                    }
                )


class Subtask(models.Model):
    """A group of a problem's cases scored together (issue 14; ``judging.subtasks``).

    When a problem has subtasks, its score is the points of the subtasks earned over their
    total, and every case belongs to one. ``all_or_nothing`` earns the points only if every case
    passes; ``minimum`` earns them times the lowest case score (a custom checker's partial
    scores). A subtask counts only if every subtask it ``depends_on`` (earlier ones) earned all
    its points; otherwise its cases are not run (``skipped``). With ``short_circuit``, its cases
    after the first failing one are not run either.
    """

    class Scoring(models.TextChoices):
        ALL_OR_NOTHING = "all_or_nothing", "All or nothing"
        MINIMUM = "minimum", "Minimum of the cases' scores"

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="subtasks")
    order = models.PositiveIntegerField(default=0)
    name = models.CharField(max_length=100, blank=True)
    points = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1)])
    scoring = models.CharField(
        max_length=16, choices=Scoring.choices, default=Scoring.ALL_OR_NOTHING
    )
    short_circuit = models.BooleanField(
        default=True, help_text="Stop running the subtask's cases at its first failure."
    )
    depends_on = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="dependents"
    )

    class Meta:
        ordering = ["problem", "order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["problem", "order"],
                name="subtask_unique_order_in_problem",
                violation_error_message="A subtask with this order already exists.",
            ),
            models.CheckConstraint(
                condition=models.Q(points__gte=1),
                name="subtask_points_positive",
                violation_error_message="A subtask is worth at least 1 point.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.problem} subtask {self.order}" + (f" ({self.name})" if self.name else "")


class ProblemTestCase(models.Model):
    """One test case. Samples are shown to students; the others never are (DESIGN.md)."""

    #: Not a unittest class, whatever its name says to pytest's collector.
    __test__ = False

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="test_cases")
    input = models.TextField(blank=True)
    expected_output = models.TextField(blank=True)
    #: How much the case counts in the score; at least 1 (a case that counts for nothing could
    #: fail while the score says everything passed).
    weight = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1)])
    order = models.PositiveIntegerField(default=0)
    is_sample = models.BooleanField(default=False)
    subtask = models.ForeignKey(
        Subtask, on_delete=models.RESTRICT, null=True, blank=True, related_name="test_cases"
    )

    class Meta:
        ordering = ["problem", "order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["problem", "order"],
                name="testcase_unique_order_in_problem",
                violation_error_message="A test case with this order already exists.",
            ),
            models.CheckConstraint(
                condition=models.Q(weight__gte=1),
                name="testcase_weight_positive",
                violation_error_message="A test case's weight is at least 1.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.problem} #{self.order}"


class ReferenceSolution(models.Model):
    """An instructor's solution, judged to prove the problem and the judge agree.

    Saving a problem or its cases judges every reference solution in the background
    (``courses.services.validation``); the outcome is kept here for the course's staff.
    ``validation_status`` is a verdict, or empty when the solution has not been judged since
    its problem last changed.
    """

    problem = models.ForeignKey(
        Problem, on_delete=models.CASCADE, related_name="reference_solutions"
    )
    language = models.CharField(max_length=32)
    code = models.TextField()
    validation_status = models.CharField(max_length=32, blank=True, default="")
    validation_score = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)
    #: Per case: ``[{"order", "verdict", "time_ms", "memory_kb"}]`` and any error text.
    validation_details = models.JSONField(default=dict, blank=True)
    validated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["problem", "language"], name="reference_solution_one_per_language"
            )
        ]

    def __str__(self) -> str:
        return f"{self.problem} ({self.language})"
