"""Tests written as code: ``EXPR == LITERAL`` cases for Python function problems.

An instructor writes ``add(2, 3) == 5``, or a block of ``assert`` statements that is split into
one case per assert (``split_test_code``). A case stores EXPR as its input and LITERAL as its
expected output. Why this cannot be gamed:

- Only EXPR enters the box (as the run's stdin). LITERAL is parsed outside with
  ``ast.literal_eval`` (``parse_literal``) and never sent anywhere, so nothing in the box — the
  student's code, its files, its environment, its stdin — holds the expected value.
- The harness (``expression_program``) reads EXPR before the student's code runs, points the
  student's file descriptor 1 at stderr, runs the code, the problem's setup code and EXPR, and
  reports the value of EXPR on a descriptor of its own as ``V<literal>`` (or ``X<why>`` when the
  value is not a literal: an object, NaN, a cycle). The value is written with the builtin types'
  own ``__repr__`` slots, captured before the student's code ran, and only for exact builtin
  types: a subclass of ``int`` with a lying ``__repr__`` is reported as not a literal.
- The comparison happens outside (``compare``): the report is parsed with ``ast.literal_eval``
  and compared with LITERAL under the problem's float tolerance. A run with no report (the
  program exited early), two reports, or anything else on stdout is a wrong answer; an
  exception is a runtime error. Forging a pass therefore takes the right value: the same as
  solving the case (or hard-coding its answer, which no judge can tell from solving).

Equality is Python's, with three deliberate differences: floats (and ints against floats)
compare with the problem's tolerance (``checkers.numbers_close``); ``True`` is not ``1`` (a bool
equals only a bool); a list is not a tuple (Python agrees). Sets and dict keys compare exactly.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from courses.judging.checkers import DEFAULT_ABS_TOL, DEFAULT_REL_TOL, values_equal
from courses.judging.templates import (
    MAX_USER_CODE_BYTES,
    PYTHON_COMPILE_ERROR_EXIT,
    PYTHON_COMPILE_ERROR_MARKER,
    PYTHON_FILENAME,
    SourceTooLarge,
)

#: The file names setup code and a case's expression have in tracebacks.
SETUP_FILENAME = "setup.py"
TEST_FILENAME = "test.py"
#: Deepest nesting of a reported value; deeper (or cyclic) values are not reported.
MAX_VALUE_DEPTH = 100
_SAMPLE_RE = re.compile(r"#\s*sample\s*$", re.IGNORECASE)
#: Largest EXPR or LITERAL of one case, in characters.
MAX_CASE_CHARS = 10_000


class TestCodeError(ValueError):
    """Test code that cannot be used; ``line`` (1-based, in the block) says where, if known."""

    __test__ = False  # not a test class, whatever pytest thinks of its name

    def __init__(self, message: str, *, line: int | None = None) -> None:
        super().__init__(f"line {line}: {message}" if line else message)
        self.line = line


@dataclass(frozen=True, slots=True)
class TestExpression:
    """One case of a block: ``expr`` runs in the box, ``literal`` stays outside."""

    __test__ = False

    expr: str
    literal: str
    line: int
    #: Marked ``# sample`` at the end of its line: students see the case, and its message.
    is_sample: bool = False


def parse_literal(text: str) -> object:
    """The value of a LITERAL (``TestCodeError`` unless ``ast.literal_eval`` accepts it)."""
    if len(text) > MAX_CASE_CHARS:
        raise TestCodeError(f"the expected value is longer than {MAX_CASE_CHARS} characters")
    try:
        return ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as error:
        raise TestCodeError(
            f"the expected value {text.strip()[:80]!r} is not a Python literal (numbers, strings, "
            "bytes, True/False/None, and tuples, lists, sets and dicts of them)"
        ) from error


def validate_expression(text: str) -> None:
    """Raise ``TestCodeError`` unless ``text`` is one Python expression."""
    if not text.strip():
        raise TestCodeError("the expression is empty")
    if len(text) > MAX_CASE_CHARS:
        raise TestCodeError(f"the expression is longer than {MAX_CASE_CHARS} characters")
    try:
        ast.parse(text.strip(), TEST_FILENAME, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
        raise TestCodeError(f"the expression {text.strip()[:80]!r} is not valid Python") from error


def validate_setup(text: str) -> None:
    """Raise ``TestCodeError`` unless the setup code compiles."""
    try:
        compile(text, SETUP_FILENAME, "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
        line = getattr(error, "lineno", None)
        raise TestCodeError(f"the setup code does not compile: {error}", line=line) from error


def split_test_code(block: str) -> list[TestExpression]:
    """Split a block of ``assert EXPR == LITERAL`` (or bare ``EXPR == LITERAL``) into cases.

    Every statement must be one of those two forms, with a literal right-hand side; anything
    else (imports, definitions, other comparisons) is refused naming its line: imports and
    helpers belong in the problem's setup code, which runs before every case and decides no
    verdict. An assert's message, if any, is dropped. A test whose last line ends with the
    comment ``# sample`` is a sample case.
    """
    try:
        tree = ast.parse(block, TEST_FILENAME, mode="exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
        raise TestCodeError(
            f"the tests are not valid Python: {getattr(error, 'msg', error)}",
            line=getattr(error, "lineno", None),
        ) from error
    cases = []
    lines = block.splitlines()
    for statement in tree.body:
        if isinstance(statement, ast.Assert):
            test = statement.test
        elif isinstance(statement, ast.Expr):
            test = statement.value
        else:
            raise TestCodeError(
                f"only `assert EXPR == LITERAL` lines are tests; {_kind(statement)} belongs in "
                "the setup code",
                line=statement.lineno,
            )
        if not (
            isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)
        ):
            raise TestCodeError(
                "a test is `EXPR == LITERAL` (one `==`, the expected value on the right)",
                line=statement.lineno,
            )
        expr = ast.get_source_segment(block, test.left)
        literal = ast.get_source_segment(block, test.comparators[0])
        if expr is None or literal is None:  # pragma: no cover - ast always has positions here
            raise TestCodeError("cannot read this test", line=statement.lineno)
        try:
            parse_literal(literal)
            validate_expression(expr)
        except TestCodeError as error:
            raise TestCodeError(str(error), line=statement.lineno) from error
        last_line = lines[(statement.end_lineno or statement.lineno) - 1]
        is_sample = _SAMPLE_RE.search(last_line) is not None
        cases.append(TestExpression(expr, literal, statement.lineno, is_sample))
    if not cases:
        raise TestCodeError("there is no test: write lines like `assert add(2, 3) == 5`")
    return cases


def _kind(statement: ast.stmt) -> str:
    names = {
        ast.Import: "an import",
        ast.ImportFrom: "an import",
        ast.FunctionDef: "a function definition",
        ast.AsyncFunctionDef: "a function definition",
        ast.ClassDef: "a class definition",
        ast.Assign: "an assignment",
        ast.AugAssign: "an assignment",
        ast.AnnAssign: "an assignment",
    }
    return names.get(type(statement), "a " + type(statement).__name__.lower() + " statement")


# --- The harness in the box -----------------------------------------------------------------

_HARNESS = r"""import sys


def _codecourses_tests(user_source, setup_source):
    import os
    import traceback

    exact_type = type
    write = os.write
    int_repr, float_repr, complex_repr = int.__repr__, float.__repr__, complex.__repr__
    str_repr, bytes_repr, bool_repr = str.__repr__, bytes.__repr__, bool.__repr__
    join, append, float_ne, float_abs = str.join, list.append, float.__ne__, float.__abs__
    items, length = dict.items, len
    max_depth = __MAX_DEPTH__

    class Unreportable(Exception):
        pass

    def literal(value, depth):
        kind = exact_type(value)
        if depth > max_depth:
            raise Unreportable("a value nested more than %d deep (or a cycle)" % max_depth)
        if value is None:
            return "None"
        if kind is bool:
            return bool_repr(value)
        if kind is int:
            return int_repr(value)
        if kind is float:
            if float_ne(value, value):
                raise Unreportable("nan")
            if float_abs(value) == 1e999:
                return "1e999" if value > 0 else "-1e999"
            return float_repr(value)
        if kind is complex:
            return complex_repr(value)
        if kind is str:
            return str_repr(value)
        if kind is bytes:
            return bytes_repr(value)
        if kind is list or kind is tuple or kind is set or kind is frozenset:
            parts = []
            for item in value:
                append(parts, literal(item, depth + 1))
            text = join(", ", parts)
            if kind is list:
                return "[" + text + "]"
            if kind is tuple:
                return "(" + text + ("," if length(parts) == 1 else "") + ")"
            return "{" + text + "}" if parts else "set()"
        if kind is dict:
            parts = []
            for key, item in items(value):
                append(parts, literal(key, depth + 1) + ": " + literal(item, depth + 1))
            return "{" + join(", ", parts) + "}"
        try:
            name = str_repr(type.__dict__["__name__"].__get__(kind))
        except Exception:
            name = "object"
        raise Unreportable("a value of type " + name)

    expr_source = sys.stdin.buffer.read().decode("utf-8")
    report = os.dup(1)
    os.dup2(2, 1)  # whatever the student's code writes to stdout goes to stderr
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    try:
        user_code = compile(user_source, __SOLUTION__, "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError) as error:
        sys.stderr.write(__MARKER__ + "\n")
        sys.stderr.write("".join(traceback.format_exception_only(type(error), error)))
        sys.stderr.flush()
        sys.exit(__COMPILE_EXIT__)
    setup_code = compile(setup_source, __SETUP__, "exec", dont_inherit=True)
    expr_code = compile(expr_source, __TEST__, "eval", dont_inherit=True)
    del user_source, setup_source, expr_source
    main = type(sys)("__main__")
    main.__file__ = __SOLUTION__
    main.__builtins__ = __builtins__
    sys.modules["__main__"] = main
    try:
        exec(user_code, main.__dict__)
        exec(setup_code, main.__dict__)
        value = eval(expr_code, main.__dict__)
    except SystemExit:
        raise
    except BaseException as error:
        # The traceback from the first frame of the student's code, the setup or the test:
        # this harness's own frames hold the sources, the setup code included.
        tb = error.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename not in (
            __SOLUTION__, __SETUP__, __TEST__
        ):
            tb = tb.tb_next
        traceback.print_exception(type(error), error, tb)
        sys.exit(1)
    try:
        line = "V" + literal(value, 0)
    except Unreportable as why:
        line = "X" + str(why)
    except RecursionError:
        line = "X" + "a value nested too deeply"
    data = (line + "\n").encode("utf-8", "backslashreplace")
    while data:
        data = data[write(report, data):]


_codecourses_tests(__USER__, __SETUP_SOURCE__)
"""


def expression_program(user_code: str, setup_code: str = "") -> str:
    """The complete Python program of a tests-as-code problem (its stdin is one case's EXPR).

    Pure ASCII (the sources are embedded with ``ascii()``). A syntax error in the student's code
    is reported the way the Python launcher reports it (``python_compile.postprocess`` turns it into
    a compilation error); the harness runs before any student code.
    """
    if len(user_code.encode("utf-8", "surrogatepass")) > MAX_USER_CODE_BYTES:
        raise SourceTooLarge(f"the code is larger than {MAX_USER_CODE_BYTES} bytes")
    replacements = {
        "__MAX_DEPTH__": str(MAX_VALUE_DEPTH),
        "__SOLUTION__": repr(PYTHON_FILENAME),
        "__SETUP__": repr(SETUP_FILENAME),
        "__TEST__": repr(TEST_FILENAME),
        "__MARKER__": repr(PYTHON_COMPILE_ERROR_MARKER),
        "__COMPILE_EXIT__": str(PYTHON_COMPILE_ERROR_EXIT),
        "__USER__": ascii(user_code),
        "__SETUP_SOURCE__": ascii(setup_code),
    }
    program = _HARNESS
    # The sources go last: nothing inserted is scanned again (the student's code may contain
    # the other markers).
    for marker, value in replacements.items():
        program = program.replace(marker, value)
    return program


def embedded_user_code(program: str) -> str | None:
    """The student's code ``program`` is ``expression_program`` of; None if it is not exactly
    that (its last line calls the harness with the two sources as literals)."""
    call = program.rstrip("\n").rpartition("\n")[2]
    try:
        node = ast.parse(call, mode="eval").body
        user_code, setup_code = (ast.literal_eval(arg) for arg in node.args)
    except (ValueError, TypeError, SyntaxError, AttributeError, MemoryError, RecursionError):
        return None
    if not isinstance(user_code, str) or not isinstance(setup_code, str):
        return None
    try:
        if expression_program(user_code, setup_code) == program:
            return user_code
    except SourceTooLarge:
        pass
    return None


# --- Outside the box: read the report, compare ----------------------------------------------


@dataclass(frozen=True, slots=True)
class Comparison:
    """Whether a case passed, and what a student may read about it (on sample cases)."""

    passed: bool
    message: str


def _report(stdout: bytes) -> tuple[bytes, bytes] | None:
    """The harness's one report line as (``V`` or ``X``, the rest); None for any other stdout."""
    lines = stdout.split(b"\n")
    if len(lines) != 2 or lines[1] != b"" or lines[0][:1] not in (b"V", b"X"):
        return None
    return lines[0][:1], lines[0][1:]


def shown_output(stdout: bytes) -> bytes:
    """What a person reads of a run's report: ``V<literal>`` is the value, ``X<why>`` says why
    there is none; anything else (a report the program broke) is shown as it is."""
    report = _report(stdout)
    if report is None:
        return stdout
    kind, text = report
    return (text if kind == b"V" else b"(no literal value: " + text + b")") + b"\n"


def compare(
    stdout: bytes,
    expr: str,
    literal: str,
    *,
    abs_tol: float = DEFAULT_ABS_TOL,
    rel_tol: float = DEFAULT_REL_TOL,
) -> Comparison:
    """Judge a clean run's stdout (the harness's report) against the case's LITERAL."""
    expected = parse_literal(literal)
    report = _report(stdout)
    if report is None:
        if not stdout:
            return Comparison(False, f"{expr} produced no value: the program ended before it")
        return Comparison(False, f"{expr}: the program wrote something other than its value")
    kind, raw = report
    text = raw.decode("utf-8", errors="replace")
    if kind == b"X":
        return Comparison(False, f"{expr} returned {text}, not a literal value")
    try:
        actual = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return Comparison(False, f"{expr}: the program wrote something other than its value")
    if values_equal(expected, actual, abs_tol=abs_tol, rel_tol=rel_tol):
        return Comparison(True, "")
    shown = text if len(text) <= 200 else text[:200] + "…"
    return Comparison(False, f"{expr} returned {shown}, expected {literal.strip()}")
