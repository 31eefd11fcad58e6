"""Checkers: does a program's output match the expected output?

Both sides are ``bytes``; a program may print invalid UTF-8 or NUL bytes, and no checker ever
raises because of what the program printed. Every checker first compares the raw bytes and does
its real work only on a mismatch, so the common accepted case costs one ``memcmp``.

``exact``
    Equal after normalising line ends: trailing whitespace of every line (so ``\\r`` of CRLF) and
    trailing blank lines are ignored; leading and inner whitespace count. This is Judge0's own
    normalisation, and what people expect when they say "exact".
``tokens``
    Equal sequences of whitespace-separated tokens (ASCII whitespace): layout does not matter.
``float``
    Token by token: where the expected token is a number, the actual one must be a number with
    ``|actual - expected| <= max(abs_tol, rel_tol * |expected|)``; other tokens must be equal.
    NaN matches only NaN, an infinity only the same infinity, ``-0.0`` equals ``0.0``.
``json``
    One JSON value each side, compared structurally: objects by key set and values, arrays in
    order, numbers with the float rule (two integers exactly), ``true`` is not ``1``. Output that
    is not JSON is a wrong answer.

The expected output is test data, not program output: an expected output that the ``json``
checker cannot parse raises ``InvalidExpectedOutput`` (a ``JudgeError``: not the student's fault),
and ``validate_expected`` lets a model's ``clean()`` refuse it when it is saved.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from enum import StrEnum

from courses.judging.errors import JudgeError

DEFAULT_ABS_TOL = 1e-6
DEFAULT_REL_TOL = 1e-6
#: Units in the last place allowed on top of the tolerance, so that a value printed exactly at
#: the tolerance passes despite the binary rounding of its decimal text.
_ROUNDING_ULPS = 4

_NUMBER_RE = re.compile(
    rb"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|nan|inf|infinity)", re.IGNORECASE
)


class CheckerKind(StrEnum):
    EXACT = "exact"
    TOKENS = "tokens"
    FLOAT = "float"
    JSON = "json"


class InvalidExpectedOutput(JudgeError, ValueError):
    """The expected output of a test case cannot be used by its checker (bad test data)."""


def _as_bytes(data: bytes | str) -> bytes:
    return data.encode("utf-8") if isinstance(data, str) else bytes(data)


def _normalise_lines(data: bytes) -> bytes:
    return b"\n".join(line.rstrip() for line in data.split(b"\n")).rstrip()


def check_exact(expected: bytes, actual: bytes) -> bool:
    return expected == actual or _normalise_lines(expected) == _normalise_lines(actual)


def check_tokens(expected: bytes, actual: bytes) -> bool:
    return expected == actual or expected.split() == actual.split()


def _parse_number(token: bytes) -> float | None:
    if _NUMBER_RE.fullmatch(token) is None:
        return None
    return float(token)


def numbers_close(expected: float, actual: float, *, abs_tol: float, rel_tol: float) -> bool:
    """The float rule shared by the ``float`` and ``json`` checkers."""
    if math.isnan(expected) or math.isnan(actual):
        return math.isnan(expected) and math.isnan(actual)
    if math.isinf(expected) or math.isinf(actual):
        return expected == actual
    tolerance = max(abs_tol, rel_tol * abs(expected))
    rounding = _ROUNDING_ULPS * math.ulp(max(abs(expected), abs(actual)))
    return abs(actual - expected) <= tolerance + rounding


def check_float(
    expected: bytes,
    actual: bytes,
    *,
    abs_tol: float = DEFAULT_ABS_TOL,
    rel_tol: float = DEFAULT_REL_TOL,
) -> bool:
    if expected == actual:
        return True
    expected_tokens, actual_tokens = expected.split(), actual.split()
    if len(expected_tokens) != len(actual_tokens):
        return False
    for want, got in zip(expected_tokens, actual_tokens, strict=True):
        if want == got:
            continue
        want_number = _parse_number(want)
        got_number = _parse_number(got)
        if want_number is None or got_number is None:
            return False
        if not numbers_close(want_number, got_number, abs_tol=abs_tol, rel_tol=rel_tol):
            return False
    return True


def _load_json(data: bytes) -> object:
    """Parse one JSON value; ``ValueError`` when it is not JSON (or nests absurdly deep)."""
    try:
        return json.loads(data)
    except RecursionError as error:
        raise ValueError("JSON nested too deeply") from error


def _float(number: int | float) -> float:
    try:
        return float(number)
    except OverflowError:  # an integer beyond the float range
        return math.inf if number > 0 else -math.inf


def values_equal(expected: object, actual: object, *, abs_tol: float, rel_tol: float) -> bool:
    """Python's ``==`` with float tolerance, bools apart from numbers, lists apart from tuples.

    For JSON values (the json checker) that is JSON's equality with tolerant numbers; tests
    written as code compare Python literals with it too (``tests_as_code``).
    """
    # Iterative, so that a deeply nested value cannot exhaust the interpreter's stack.
    pending = [(expected, actual)]
    while pending:
        want, got = pending.pop()
        if isinstance(want, bool) or isinstance(got, bool):
            if type(want) is not type(got) or want != got:
                return False
        elif isinstance(want, int | float) and isinstance(got, int | float):
            if isinstance(want, int) and isinstance(got, int):
                if want != got:
                    return False
            elif not numbers_close(_float(want), _float(got), abs_tol=abs_tol, rel_tol=rel_tol):
                return False
        elif isinstance(want, list | tuple) and isinstance(got, list | tuple):
            if type(want) is not type(got) or len(want) != len(got):
                return False
            pending.extend(zip(want, got, strict=True))
        elif isinstance(want, dict) and isinstance(got, dict):
            if want.keys() != got.keys():
                return False
            pending.extend((want[key], got[key]) for key in want)
        else:
            if type(want) is not type(got) and not (
                isinstance(want, set | frozenset) and isinstance(got, set | frozenset)
            ):
                return False
            if want != got:
                return False
    return True


def check_json(
    expected: bytes,
    actual: bytes,
    *,
    abs_tol: float = DEFAULT_ABS_TOL,
    rel_tol: float = DEFAULT_REL_TOL,
) -> bool:
    if expected == actual:
        return True
    try:
        want = _load_json(expected)
    except ValueError as error:
        raise InvalidExpectedOutput(f"expected output is not JSON: {error}") from error
    try:
        got = _load_json(actual)
    except (ValueError, OverflowError):
        return False
    return values_equal(want, got, abs_tol=abs_tol, rel_tol=rel_tol)


def _validate_tolerances(abs_tol: float, rel_tol: float) -> None:
    for name, value in (("abs_tol", abs_tol), ("rel_tol", rel_tol)):
        if not (math.isfinite(value) and value >= 0):
            raise ValueError(f"{name} must be a finite number >= 0, not {value!r}")


def check(
    kind: CheckerKind | str,
    expected: bytes | str,
    actual: bytes,
    *,
    abs_tol: float = DEFAULT_ABS_TOL,
    rel_tol: float = DEFAULT_REL_TOL,
) -> bool:
    """Whether ``actual`` matches ``expected`` under checker ``kind`` (``ValueError`` if unknown).

    ``expected`` may be text (it comes from the database); it is compared as UTF-8.
    """
    kind = CheckerKind(kind)
    expected = _as_bytes(expected)
    actual = bytes(actual)
    if kind is CheckerKind.EXACT:
        return check_exact(expected, actual)
    if kind is CheckerKind.TOKENS:
        return check_tokens(expected, actual)
    _validate_tolerances(abs_tol, rel_tol)
    if kind is CheckerKind.FLOAT:
        return check_float(expected, actual, abs_tol=abs_tol, rel_tol=rel_tol)
    return check_json(expected, actual, abs_tol=abs_tol, rel_tol=rel_tol)


def validate_expected(kind: CheckerKind | str, expected: bytes | str) -> None:
    """Raise ``InvalidExpectedOutput`` if ``expected`` cannot serve checker ``kind``."""
    if CheckerKind(kind) is CheckerKind.JSON:
        try:
            _load_json(_as_bytes(expected))
        except ValueError as error:
            raise InvalidExpectedOutput(f"expected output is not JSON: {error}") from error


@dataclass(frozen=True, slots=True)
class Checker:
    """A checker with its tolerances, callable as ``checker(expected, actual) -> bool``."""

    kind: CheckerKind = CheckerKind.EXACT
    abs_tol: float = DEFAULT_ABS_TOL
    rel_tol: float = DEFAULT_REL_TOL

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", CheckerKind(self.kind))
        _validate_tolerances(self.abs_tol, self.rel_tol)

    def __call__(self, expected: bytes | str, actual: bytes) -> bool:
        return check(self.kind, expected, actual, abs_tol=self.abs_tol, rel_tol=self.rel_tol)


def get_checker(
    kind: CheckerKind | str = CheckerKind.EXACT,
    *,
    abs_tol: float | None = None,
    rel_tol: float | None = None,
) -> Checker:
    """A ``Checker`` for ``kind``; ``None`` tolerances mean the defaults."""
    return Checker(
        CheckerKind(kind),
        DEFAULT_ABS_TOL if abs_tol is None else float(abs_tol),
        DEFAULT_REL_TOL if rel_tol is None else float(rel_tol),
    )
