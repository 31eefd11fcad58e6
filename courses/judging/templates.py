"""Wrapping templates: turn a student's code into the complete program a backend runs.

Placeholders
------------
A template is plain text with placeholders written ``{{name}}`` (spaces inside the braces are
allowed: ``{{ name }}``). The list is fixed:

``{{user_code}}``
    The student's code, verbatim. Required, exactly once.
``{{entry_point}}``
    The name of the function the harness calls (an ASCII identifier). Optional, any number of times.
``{{open_braces}}`` and ``{{close_braces}}``
    The escape: they become a literal ``{{`` and ``}}``. A program that must print the text
    ``{{user_code}}`` (a Mustache or Jinja string, say) writes
    ``{{open_braces}}user_code{{close_braces}}``.

Anything else of the form ``{{identifier}}`` is an unknown placeholder and the template is rejected
(``validate_template``) with a message naming it and listing the known ones, so a typo fails when
the template is saved, not when a student submits.
Braces that do not enclose a bare identifier (``{{1, 2}}``, ``{ {n} }``) are ordinary text; write
C++ brace initialisers that way.

Substitution is one pass of one regular expression over the *template*; every inserted value is
copied verbatim and never scanned again. Student code containing ``{{user_code}}``, ``${entry}``,
``{x}``, ``%s`` or backslashes therefore reaches the program unchanged and cannot inject anything
into the template. (No ``str.format``, ``%`` or ``string.Template``: each of those interprets
something in its input.)

Function-style harnesses (the defaults)
---------------------------------------
``python`` and ``javascript``: stdin holds a JSON array of positional arguments (empty stdin means
no arguments); the harness calls ``entry_point(*args)`` and prints ``json.dumps`` of the return
value and a newline. While the entry point runs, the student's own prints go to stderr, so stdout
carries only the JSON (prints at the top level of the student's code run before the harness and
do reach stdout). A JavaScript entry point may return a promise.

``c``, ``cpp`` and ``java`` have no JSON in their standard libraries, so their convention is
honest and small: the student writes a function taking no arguments that reads stdin and writes
stdout itself — ``void solve(void)`` in C, ``void solve()`` in C++, and a non-public
``class Solution`` with ``static void solve()`` in Java — and the harness's ``main`` calls it.
The student must not define ``main`` (nor, in Java, a class ``Main``).

The student's code always comes first, so its line numbers in error messages are its own and
Python's ``from __future__`` imports and Java's ``import`` lines stay legal. A Python traceback
starts after the harness's call of the entry point (the launcher's excepthook): the harness's
lines, which are not in the student's program, are never shown.

``stdio`` io mode runs the student's program as it is, without a template.

Python: compile first
---------------------
Python has no compile step, so on Judge0 a syntax error is a runtime error. To give every backend
the same verdict, every Python program — function-style or stdio — is wrapped once more in a small
launcher (pure ASCII: the program is embedded as an ``ascii()`` literal). The launcher compiles
the program as ``solution.py``; on failure it writes ``PYTHON_COMPILE_ERROR_MARKER`` and the syntax
error to stderr and exits with ``PYTHON_COMPILE_ERROR_EXIT`` before any student code ran.
Otherwise it runs the code as module ``__main__``. ``python_compile.postprocess`` turns such a
run into ``Outcome.COMPILATION_ERROR`` once the worker, compiling the same code, fails too (the
student's code could write the marker itself); the executor applies it to every result of every
backend. Import and type errors happen while the
program runs, so they stay runtime errors. The local sandbox runs the launcher's prelude (the
compilation, ``__main__`` made ready) once per batch rather than in every case.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Mapping
from enum import StrEnum

from courses.judging.languages import get_language

#: ``{{name}}`` with optional spaces; the name is what group 1 captures.
PLACEHOLDER_RE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")

USER_CODE = "user_code"
ENTRY_POINT = "entry_point"
OPEN_BRACES = "open_braces"
CLOSE_BRACES = "close_braces"
#: What the escape placeholders stand for.
ESCAPES = {OPEN_BRACES: "{{", CLOSE_BRACES: "}}"}
#: Every placeholder a template may use.
PLACEHOLDERS = (USER_CODE, ENTRY_POINT, OPEN_BRACES, CLOSE_BRACES)
#: Placeholders a template must contain.
REQUIRED_PLACEHOLDERS = (USER_CODE,)

ENTRY_POINT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

#: Largest student source accepted, in UTF-8 bytes: what a human writes for one exercise, with
#: room to spare; beyond it the code is refused before anything runs.
MAX_USER_CODE_BYTES = 64 * 1024

#: Exit status of the Python launcher when the program does not compile (Python itself uses 1 for
#: an uncaught exception and 2 for a command-line error).
PYTHON_COMPILE_ERROR_EXIT = 3
#: First line of the launcher's stderr when the program does not compile. The student's own code
#: can write it too: ``python_compile.postprocess`` believes it only when the program does not
#: compile in the worker either.
PYTHON_COMPILE_ERROR_MARKER = "@@codecourses:compilation-error@@"
#: The file name the student's Python code has in tracebacks and syntax errors.
PYTHON_FILENAME = "solution.py"
#: The function of the default function-style template that calls the entry point. Its frames,
#: and those that led to it, are not the student's: the launcher's excepthook cuts a traceback
#: to what comes after it (no frames at all for a call with the wrong arguments).
PYTHON_HARNESS = "_codecourses_harness"
#: The line that ends the launcher's prelude (``python_launcher``).
PYTHON_PRELUDE_END = "# ---- codecourses: each run from here ----"


class TemplateError(ValueError):
    """A template or an entry point is unusable; the message says why, for the person editing it."""


class SourceTooLarge(ValueError):
    """The student's code is larger than ``MAX_USER_CODE_BYTES``."""


class IoMode(StrEnum):
    """How a problem talks to the program: through a function call, or stdin/stdout as is."""

    FUNCTION = "function"
    STDIO = "stdio"


_PYTHON_FUNCTION = """\
{{user_code}}


def _codecourses_harness():
    import json
    import sys

    raw = sys.stdin.buffer.read()
    args = json.loads(raw) if raw.strip() else []
    if not isinstance(args, list):
        raise TypeError("the input must be a JSON array of arguments")
    out, sys.stdout = sys.stdout, sys.stderr
    try:
        result = {{entry_point}}(*args)
    finally:
        sys.stdout = out
    out.write(json.dumps(result) + "\\n")


_codecourses_harness()
"""

_JAVASCRIPT_FUNCTION = """\
{{user_code}}
;(function codecourses_harness() {
  const raw = require("fs").readFileSync(0, "utf8");
  const args = raw.trim() === "" ? [] : JSON.parse(raw);
  if (!Array.isArray(args)) throw new TypeError("the input must be a JSON array of arguments");
  const log = console.log;
  console.log = (...values) => console.error(...values);
  let result;
  try {
    result = {{entry_point}}(...args);
  } finally {
    console.log = log;
  }
  Promise.resolve(result).then((value) => {
    process.stdout.write(JSON.stringify(value === undefined ? null : value) + "\\n");
  }, (error) => {
    console.error(error);
    process.exitCode = 1;
  });
})();
"""

_C_FUNCTION = """\
{{user_code}}

int main(void) {
    {{entry_point}}();
    return 0;
}
"""

_CPP_FUNCTION = """\
{{user_code}}

int main() {
    {{entry_point}}();
    return 0;
}
"""

_JAVA_FUNCTION = """\
{{user_code}}

public class Main {
    public static void main(String[] args) throws Exception {
        Solution.{{entry_point}}();
        System.out.flush();
    }
}
"""

#: The default function-style template of each language.
DEFAULT_TEMPLATES: Mapping[str, str] = {
    "python": _PYTHON_FUNCTION,
    "javascript": _JAVASCRIPT_FUNCTION,
    "c": _C_FUNCTION,
    "cpp": _CPP_FUNCTION,
    "java": _JAVA_FUNCTION,
}

_PYTHON_LAUNCHER = """\
import sys
_source = {source_literal}
try:
    _code = compile(_source, {filename!r}, "exec")
except (SyntaxError, ValueError, RecursionError) as _error:
    _code = _error


def _codecourses_excepthook(kind, error, tb, _source=_source, _launcher=__file__):
    import linecache
    import traceback
    linecache.cache[{filename!r}] = (len(_source), None, _source.splitlines(True), {filename!r})
    while tb is not None and tb.tb_frame.f_code.co_filename == _launcher:
        tb = tb.tb_next
    frame = tb
    while frame is not None:
        if frame.tb_frame.f_code.co_name == {harness!r}:
            tb = frame.tb_next
            break
        frame = frame.tb_next
    traceback.print_exception(kind, error, tb)


sys.excepthook = _codecourses_excepthook
_main = type(sys)("__main__")
_main.__file__ = {filename!r}
_main.__builtins__ = __builtins__
_launcher_module, sys.modules["__main__"] = sys.modules["__main__"], _main
del _source
{prelude_end}
if isinstance(_code, BaseException):
    import traceback
    sys.stderr.write({marker!r} + "\\n")
    sys.stderr.write("".join(traceback.format_exception_only(type(_code), _code)))
    sys.stderr.flush()
    sys.exit({exit_code})
exec(_code, _main.__dict__)
"""


#: Languages whose default function-style template reads a JSON array of arguments from stdin
#: (the others' ``solve()`` reads stdin itself, so any text is a valid input for them).
JSON_ARGUMENT_LANGUAGES = frozenset({"python", "javascript"})


def check_function_arguments(text: str) -> None:
    """Raise ``TemplateError`` unless ``text`` is an input the JSON-argument harnesses accept.

    That is blank (no arguments) or one JSON array (RFC 8259: no NaN or Infinity, which
    JavaScript's ``JSON.parse`` refuses). Test data is checked with this when it is saved, so a
    bad input is the instructor's error at once instead of every student's runtime error later.
    """
    if not text.strip():
        return
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError as error:
        raise TemplateError("the input is a JSON array nested too deeply") from error
    except ValueError as error:
        raise TemplateError(f"the input is not JSON: {error}") from error
    if not isinstance(value, list):
        raise TemplateError(
            f"the input must be a JSON array of arguments, like [1, 2], not a {_json_kind(value)}"
        )


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _json_kind(value: object) -> str:
    if isinstance(value, dict):
        return "JSON object"
    if isinstance(value, str):
        return "JSON string"
    if value is None or isinstance(value, bool):
        return "JSON literal"
    return "JSON number"


def default_template(language_key: str) -> str:
    """The default function-style template of a language (``UnknownLanguage`` if none)."""
    get_language(language_key)
    return DEFAULT_TEMPLATES[language_key]


def validate_template(text: str) -> None:
    """Raise ``TemplateError`` unless ``text`` is a usable template.

    Called by a model's ``clean()`` when a per-language template override is saved.
    """
    names = [match.group(1) for match in PLACEHOLDER_RE.finditer(text)]
    unknown = sorted({name for name in names if name not in PLACEHOLDERS})
    if unknown:
        shown = ", ".join(f"{{{{{name}}}}}" for name in unknown)
        allowed = ", ".join(f"{{{{{name}}}}}" for name in PLACEHOLDERS)
        raise TemplateError(f"unknown placeholder(s) {shown}; the placeholders are {allowed}")
    for name in REQUIRED_PLACEHOLDERS:
        count = names.count(name)
        if count != 1:
            problem = "is missing" if count == 0 else f"appears {count} times"
            raise TemplateError(
                f"the template must contain {{{{{name}}}}} exactly once; it {problem}"
            )


def validate_entry_point(entry_point: str) -> None:
    """Raise ``TemplateError`` unless ``entry_point`` is an ASCII identifier."""
    if not ENTRY_POINT_RE.fullmatch(entry_point):
        raise TemplateError(
            f"entry point {entry_point!r} must be an identifier: letters, digits, underscores"
        )


def render(template: str, values: Mapping[str, str]) -> str:
    """Substitute placeholders in one pass over ``template``; inserted text is never re-read."""
    validate_template(template)
    values = {**ESCAPES, **values}
    return PLACEHOLDER_RE.sub(lambda match: values[match.group(1)], template)


def wrap(
    language_key: str,
    user_code: str,
    entry_point: str = "",
    template: str | None = None,
    *,
    io_mode: IoMode | str = IoMode.FUNCTION,
) -> str:
    """The complete program to run for ``user_code``.

    ``FUNCTION`` mode substitutes into ``template`` (the language's default when ``None``);
    ``STDIO`` mode takes the code as it is and ignores ``template`` and ``entry_point``. Python
    programs then go into the compile-first launcher (module docstring).
    """
    language = get_language(language_key)
    io_mode = IoMode(io_mode)
    if len(user_code.encode("utf-8", "surrogatepass")) > MAX_USER_CODE_BYTES:
        raise SourceTooLarge(f"the code is larger than {MAX_USER_CODE_BYTES} bytes")
    if io_mode is IoMode.STDIO:
        program = user_code
    else:
        validate_entry_point(entry_point)
        chosen = default_template(language.key) if template is None else template
        program = render(chosen, {USER_CODE: user_code, ENTRY_POINT: entry_point})
    if language.key == "python":
        return python_launcher(program)
    return program


def wrap_stdio(language_key: str, user_code: str) -> str:
    """The program for a stdio problem or a free run: the code as is (Python: in the launcher)."""
    return wrap(language_key, user_code, io_mode=IoMode.STDIO)


def python_launcher(program: str) -> str:
    """A pure-ASCII Python program that compiles ``program`` first, then runs it as ``__main__``.

    Everything before ``PYTHON_PRELUDE_END`` is its prelude: it compiles the program and
    prepares ``__main__`` but runs none of it, so a runner that forks a process per case may run
    the prelude once and each case only the rest (``is_python_launcher``).
    """
    return _PYTHON_LAUNCHER.format(
        source_literal=ascii(program),
        filename=PYTHON_FILENAME,
        marker=PYTHON_COMPILE_ERROR_MARKER,
        exit_code=PYTHON_COMPILE_ERROR_EXIT,
        prelude_end=PYTHON_PRELUDE_END,
        harness=PYTHON_HARNESS,
    )


def is_python_launcher(program: str) -> bool:
    """Whether ``program`` is exactly ``python_launcher`` of some code.

    Only then may its prelude run outside a case's own process: every character of it but the
    code, which is one ``ascii()`` string literal on one line, is written here.
    """
    return launcher_source(program) is not None


def launcher_source(program: str) -> str | None:
    """The code ``program`` is ``python_launcher`` of; None if it is not exactly that."""
    head, _, rest = program.partition("\n")
    if head != "import sys" or not rest.startswith("_source = "):
        return None
    literal = rest[len("_source = ") :].partition("\n")[0]
    try:
        code = ast.literal_eval(literal)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    if isinstance(code, str) and python_launcher(code) == program:
        return code
    return None
