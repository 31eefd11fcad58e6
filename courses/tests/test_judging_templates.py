"""Wrapping templates: placeholders, injection safety, and the harnesses actually running."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from courses.judging import python_compile, templates
from courses.judging import tests_as_code as tac
from courses.judging.errors import UnknownLanguage
from courses.judging.languages import LANGUAGES, get_language
from courses.judging.templates import (
    PYTHON_COMPILE_ERROR_EXIT,
    PYTHON_COMPILE_ERROR_MARKER,
    SourceTooLarge,
    TemplateError,
    render,
    validate_entry_point,
    validate_template,
    wrap,
    wrap_stdio,
)
from courses.judging.types import Outcome, RunResult

#: Text that breaks naive substitution: str.format, %-formatting, string.Template, re.sub
#: replacement escapes, template syntax and non-ASCII.
INJECTIONS = (
    "{user_code}",
    "{{user_code}}",
    "{{ entry_point }}",
    "${entry}",
    "$entry_point",
    "{{ }}",
    "{0}",
    "%s %d %%",
    "\\1 \\g<0> \\n \\\\",
    "é ß 漢字 🙂",
)

PYTHON = "/usr/bin/python3"


def run_program(language: str, source: str, stdin: bytes = b"") -> subprocess.CompletedProcess:
    """Write ``source`` as the language's file, compile it if needed, and run it."""
    lang = get_language(language)
    with tempfile.TemporaryDirectory() as work:
        with open(os.path.join(work, lang.source_filename), "w", encoding="utf-8") as f:
            f.write(source)
        if lang.compile_argv:
            subprocess.run(
                lang.argv(lang.compile_argv), cwd=work, check=True, capture_output=True, timeout=120
            )
        proc = subprocess.run(
            lang.argv(lang.run_argv), cwd=work, input=stdin, capture_output=True, timeout=60
        )
    proc.program = source
    return proc


def postprocess(language: str, proc: subprocess.CompletedProcess) -> RunResult:
    """The run of ``run_program`` as the executor reads it (``python_compile.postprocess``)."""
    return python_compile.postprocess(language, as_result(proc), proc.program)


def as_result(proc: subprocess.CompletedProcess) -> RunResult:
    """What a backend would report for a finished process (outcome from its exit status)."""
    return RunResult(
        outcome=Outcome.OK if proc.returncode == 0 else Outcome.RUNTIME_ERROR,
        stdout=proc.stdout,
        stderr=proc.stderr,
        exit_code=proc.returncode,
    )


class ValidateTemplateTestCase(unittest.TestCase):
    def test_default_templates_are_valid_for_every_language(self):
        for key in LANGUAGES:
            with self.subTest(language=key):
                validate_template(templates.default_template(key))
                self.assertEqual(
                    get_language(key).default_template, templates.DEFAULT_TEMPLATES[key]
                )

    def test_missing_user_code_is_rejected_with_a_clear_message(self):
        with self.assertRaises(TemplateError) as caught:
            validate_template("print({{entry_point}}())\n")
        self.assertIn("{{user_code}}", str(caught.exception))
        self.assertIn("missing", str(caught.exception))

    def test_template_error_is_a_value_error(self):
        self.assertTrue(issubclass(TemplateError, ValueError))

    def test_unknown_placeholder_is_rejected_and_named(self):
        with self.assertRaises(TemplateError) as caught:
            validate_template("{{user_code}}\n{{entrypoint}}()\n")
        message = str(caught.exception)
        self.assertIn("{{entrypoint}}", message)
        self.assertIn("{{entry_point}}", message)  # the allowed list is shown

    def test_user_code_twice_is_rejected(self):
        with self.assertRaisesRegex(TemplateError, "2 times"):
            validate_template("{{user_code}}\n{{ user_code }}\n")

    def test_spaces_inside_braces_are_allowed(self):
        validate_template("{{ user_code }}\n{{  entry_point }}()\n")

    def test_braces_around_non_identifiers_are_plain_text(self):
        template = "int a[2][2] = {{1, 2}, {3, 4}};\n{{user_code}}\nint b{ {n} };\n"
        validate_template(template)
        out = render(template, {"user_code": "X", "entry_point": "f"})
        self.assertEqual(out, "int a[2][2] = {{1, 2}, {3, 4}};\nX\nint b{ {n} };\n")

    def test_entry_point_must_be_an_identifier(self):
        validate_entry_point("solve_2")
        for bad in ("", "2solve", "a.b", "solve()", "so lve", "sölve", "x;import os"):
            with self.subTest(entry_point=bad), self.assertRaises(TemplateError):
                validate_entry_point(bad)

    def test_wrap_rejects_a_bad_override_and_a_bad_entry_point(self):
        with self.assertRaises(TemplateError):
            wrap("c", "int x;", "solve", template="{{code}}")
        with self.assertRaises(TemplateError):
            wrap("c", "int x;", 'solve; system("rm")')


class SubstitutionTestCase(unittest.TestCase):
    def test_render_inserts_values_verbatim_in_one_pass(self):
        for text in INJECTIONS:
            with self.subTest(text=text):
                out = render(
                    "<{{user_code}}|{{entry_point}}>", {"user_code": text, "entry_point": "f"}
                )
                self.assertEqual(out, f"<{text}|f>")

    def test_student_code_reaches_compiled_languages_unchanged(self):
        for language in ("c", "cpp", "java", "javascript"):
            for text in INJECTIONS:
                code = f"// {text}\n"
                with self.subTest(language=language, text=text):
                    program = wrap(language, code, "solve")
                    self.assertEqual(program.count(code), 1)
                    self.assertTrue(program.startswith(code))
                    self.assertIn("solve()" if language != "javascript" else "solve(", program)
                    self.assertNotIn("{{", program.replace(code, ""))

    def test_python_program_is_ascii_and_embeds_code_losslessly(self):
        code = "def solve():\n    return " + repr(" ".join(INJECTIONS)) + "\n"
        program = wrap("python", code, "solve")
        program.encode("ascii")  # raises if not pure ASCII
        (embedded,) = [
            node.value.value
            for node in ast.parse(program).body
            if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "_source"
        ]
        self.assertTrue(embedded.startswith(code))
        self.assertEqual(
            embedded,
            render(
                templates.default_template("python"), {"user_code": code, "entry_point": "solve"}
            ),
        )

    def test_stdio_mode_ignores_template_and_entry_point(self):
        self.assertEqual(wrap("c", "int main(){}", io_mode="stdio"), "int main(){}")
        self.assertEqual(wrap_stdio("cpp", "{{user_code}}"), "{{user_code}}")

    def test_unknown_language_and_oversized_code_are_refused(self):
        with self.assertRaises(UnknownLanguage):
            wrap("cobol", "x", "solve")
        with self.assertRaises(SourceTooLarge):
            wrap("python", "#" * (templates.MAX_USER_CODE_BYTES + 1), "solve")
        wrap("python", "#" * templates.MAX_USER_CODE_BYTES, "solve")


@unittest.skipUnless(os.access(PYTHON, os.X_OK), "needs /usr/bin/python3")
class PythonHarnessTestCase(unittest.TestCase):
    """The wrapped Python program, run for real with the system interpreter."""

    def run_function(self, code: str, args, entry_point: str = "solve", template=None):
        program = wrap("python", code, entry_point, template=template)
        stdin = b"" if args is None else json.dumps(args).encode()
        return run_program("python", program, stdin)

    def test_json_arguments_in_json_result_out(self):
        proc = self.run_function(
            "def solve(a, b):\n    return {'sum': a + b, 'xs': [a, b]}\n", [2, 3]
        )
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(json.loads(proc.stdout), {"sum": 5, "xs": [2, 3]})
        self.assertTrue(proc.stdout.endswith(b"\n"))

    def test_empty_stdin_means_no_arguments(self):
        proc = self.run_function("def solve():\n    return None\n", None)
        self.assertEqual((proc.returncode, proc.stdout), (0, b"null\n"))

    def test_prints_inside_the_entry_point_go_to_stderr(self):
        proc = self.run_function("def solve(x):\n    print('debug', x)\n    return x * 2\n", [21])
        self.assertEqual(proc.stdout, b"42\n")
        self.assertIn(b"debug 21", proc.stderr)

    def test_injection_text_round_trips_through_the_program(self):
        text = " ".join(INJECTIONS)
        code = f"def solve(s):\n    return s + {text!r}\n"
        proc = self.run_function(code, ["<"])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(json.loads(proc.stdout), "<" + text)

    def test_syntax_error_is_a_compilation_error(self):
        proc = self.run_function("def solve(a, b):\n    return a +\n", [1, 2])
        self.assertEqual(proc.returncode, PYTHON_COMPILE_ERROR_EXIT)
        self.assertTrue(proc.stderr.startswith(PYTHON_COMPILE_ERROR_MARKER.encode() + b"\n"))
        result = postprocess("python", proc)
        self.assertIs(result.outcome, Outcome.COMPILATION_ERROR)
        self.assertIn("SyntaxError", result.compile_output)
        self.assertIn('File "solution.py", line 2', result.compile_output)
        self.assertNotIn(PYTHON_COMPILE_ERROR_MARKER, result.compile_output)
        self.assertEqual((result.stdout, result.stderr), (b"", b""))

    def test_indentation_and_null_byte_errors_are_compilation_errors(self):
        for code in ("def solve():\nreturn 1\n", "x = 1\0\n"):
            with self.subTest(code=code):
                proc = self.run_function(code, [])
                self.assertIs(postprocess("python", proc).outcome, Outcome.COMPILATION_ERROR)

    def test_syntax_error_in_stdio_mode_is_a_compilation_error(self):
        proc = run_program("python", wrap_stdio("python", "print('hi'\n"))
        self.assertIs(postprocess("python", proc).outcome, Outcome.COMPILATION_ERROR)

    def test_import_error_stays_a_runtime_error(self):
        proc = self.run_function("import no_such_module_xyz\n\ndef solve():\n    return 1\n", [])
        self.assertEqual(proc.returncode, 1)
        result = postprocess("python", proc)
        self.assertIs(result.outcome, Outcome.RUNTIME_ERROR)
        self.assertIn(b"ModuleNotFoundError", result.stderr)
        self.assertIn(b'File "solution.py", line 1', result.stderr)

    def test_type_error_stays_a_runtime_error_and_the_traceback_shows_student_lines(self):
        proc = self.run_function("def solve(a):\n    return a + 'x'\n", [1])
        result = postprocess("python", proc)
        self.assertIs(result.outcome, Outcome.RUNTIME_ERROR)
        self.assertIn(b"TypeError", result.stderr)
        self.assertIn(b"return a + 'x'", result.stderr)  # source line shown from solution.py
        self.assertNotIn(b"main.py", result.stderr)  # launcher frames are hidden

    def test_wrong_argument_count_is_a_runtime_error(self):
        proc = self.run_function("def solve(a, b):\n    return a\n", [1])
        self.assertIs(postprocess("python", proc).outcome, Outcome.RUNTIME_ERROR)

    def test_student_code_runs_as_main_with_future_imports_and_dataclasses(self):
        code = (
            "from __future__ import annotations\n"
            "from dataclasses import dataclass\n"
            "@dataclass\n"
            "class P:\n"
            "    x: int\n"
            "def solve(n):\n"
            "    return [P(n).x, __name__, __file__]\n"
        )
        proc = self.run_function(code, [7])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(json.loads(proc.stdout), [7, "__main__", "solution.py"])

    def test_stdio_program_runs_as_is(self):
        code = (
            "import sys\n"
            "nums = [int(t) for t in sys.stdin.read().split()]\n"
            "if __name__ == '__main__':\n"
            "    print(sum(nums), 'é')\n"
        )
        proc = run_program("python", wrap_stdio("python", code), b"1 2 3\n")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout.decode(), "6 é\n")

    def test_student_exit_code_3_without_marker_stays_a_runtime_error(self):
        proc = run_program("python", wrap_stdio("python", "import sys\nsys.exit(3)\n"))
        self.assertEqual(proc.returncode, 3)
        self.assertIs(postprocess("python", proc).outcome, Outcome.RUNTIME_ERROR)

    def test_override_template_is_used(self):
        template = "OFFSET = 100\n{{user_code}}\nprint({{entry_point}}(int(input())))\n"
        proc = self.run_function("def twice(x):\n    return 2 * x + OFFSET\n", 5, "twice", template)
        self.assertEqual(proc.stdout, b"110\n")


class ClaimedCompileErrorTestCase(unittest.TestCase):
    """A run's claim to a compilation error counts only when the worker cannot compile the code
    either: the student's code can write the marker too."""

    marker = PYTHON_COMPILE_ERROR_MARKER.encode() + b"\n"

    def claim(self, **fields) -> RunResult:
        defaults = {
            "outcome": Outcome.RUNTIME_ERROR,
            "exit_code": PYTHON_COMPILE_ERROR_EXIT,
            "stderr": self.marker + b"leaked: HIDDEN INPUT 42\n",
        }
        return RunResult(**{**defaults, **fields})

    def test_a_confirmed_claim_shows_the_workers_text_not_the_runs(self):
        program = wrap_stdio("python", "print('hi'\n")
        out = python_compile.postprocess("python", self.claim(stdout=b"x"), program)
        self.assertIs(out.outcome, Outcome.COMPILATION_ERROR)
        self.assertIn("SyntaxError", out.compile_output)
        self.assertIn('File "solution.py", line 1', out.compile_output)
        self.assertNotIn("HIDDEN", out.compile_output)
        self.assertEqual((out.stdout, out.stderr), (b"", b""))

    def test_a_program_that_compiles_keeps_its_run_whatever_it_wrote(self):
        faker = "import sys\nsys.stderr.write(%r + sys.stdin.read())\nsys.exit(3)\n" % (
            PYTHON_COMPILE_ERROR_MARKER + "\n"
        )
        program = wrap_stdio("python", faker)
        proc = run_program("python", program, b"HIDDEN INPUT 42")
        self.assertTrue(python_compile.claims_compile_error(as_result(proc)))
        out = postprocess("python", proc)
        self.assertIs(out.outcome, Outcome.RUNTIME_ERROR)
        self.assertEqual(out.compile_output, "")

    def test_tests_as_code_programs_are_checked_the_same_way(self):
        broken = tac.expression_program("def f(:\n    pass\n")
        fine = tac.expression_program("def f():\n    return 1\n", "X = 1\n")
        self.assertIn("SyntaxError", python_compile.compile_error(broken))
        self.assertIsNone(python_compile.compile_error(fine))
        self.assertIs(python_compile.postprocess("python", self.claim(), fine).outcome,
                      Outcome.RUNTIME_ERROR)  # fmt: skip

    def test_a_program_not_of_ours_never_claims_one(self):
        for program in ("print(1)\n", wrap_stdio("python", "x = (\n") + "# edited\n"):
            with self.subTest(program=program[:30]):
                self.assertIsNone(python_compile.compile_error(program))
                claim = self.claim()
                self.assertIs(python_compile.postprocess("python", claim, program), claim)

    def test_anything_less_than_a_claim_is_left_alone(self):
        program = wrap_stdio("python", "x = (\n")
        for fields in (
            {"exit_code": 1},
            {"stderr": b"SyntaxError: bad\n"},
            {"stderr": b"noise\n" + self.marker},
            {"outcome": Outcome.TIME_LIMIT},
            {"outcome": Outcome.OK, "exit_code": 0},
        ):
            with self.subTest(fields=fields):
                result = self.claim(**fields)
                self.assertIs(python_compile.postprocess("python", result, program), result)

    def test_only_python_results_are_reclassified(self):
        program = wrap_stdio("python", "x = (\n")
        result = self.claim()
        self.assertIs(python_compile.postprocess("c", result, program), result)
        out = python_compile.postprocess("python", result, program)
        self.assertIs(out.outcome, Outcome.COMPILATION_ERROR)


def installed(language: str) -> bool:
    return get_language(language).is_installed and (
        language != "javascript" or shutil.which(get_language(language).run_argv[0]) is not None
    )


class CompiledHarnessTestCase(unittest.TestCase):
    """The C, C++, JavaScript and Java conventions compile and call the entry point."""

    tricky = "{{user_code}} ${entry} %s {0} \\\\ é"

    @unittest.skipUnless(installed("c"), "needs gcc")
    def test_c(self):
        code = (
            "#include <stdio.h>\n"
            "void solve(void) {\n"
            "    int a, b;\n"
            '    if (scanf("%d %d", &a, &b) == 2) printf("%d\\n", a + b);\n'
            f'    puts("{self.tricky}");\n'
            "}\n"
        )
        proc = run_program("c", wrap("c", code, "solve"), b"2 40\n")
        self.assertEqual(proc.stdout.decode(), f"42\n{self.tricky.replace(chr(92) * 2, chr(92))}\n")

    @unittest.skipUnless(installed("cpp"), "needs g++")
    def test_cpp(self):
        code = (
            "#include <iostream>\n"
            "void solve() { long long a, b; std::cin >> a >> b; std::cout << a * b << '\\n'; }\n"
        )
        proc = run_program("cpp", wrap("cpp", code, "solve"), b"6 7\n")
        self.assertEqual(proc.stdout, b"42\n")

    @unittest.skipUnless(installed("javascript"), "needs node")
    def test_javascript_json_in_json_out(self):
        code = (
            f"// {self.tricky}\n"
            "function solve(xs, k) {\n  console.log('debug');\n  return xs.map((x) => x * k);\n}\n"
        )
        proc = run_program("javascript", wrap("javascript", code, "solve"), b"[[1, 2, 3], 2]")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(json.loads(proc.stdout), [2, 4, 6])
        self.assertIn(b"debug", proc.stderr)

    @unittest.skipUnless(installed("javascript"), "needs node")
    def test_javascript_async_entry_point(self):
        code = "async function solve(a) { return {a}; }\n"
        proc = run_program("javascript", wrap("javascript", code, "solve"), b"[1]")
        self.assertEqual(json.loads(proc.stdout), {"a": 1})

    @unittest.skipUnless(installed("java"), "needs a JDK")
    def test_java(self):
        code = (
            "import java.util.Scanner;\n"
            "class Solution {\n"
            "    static void solve() {\n"
            "        Scanner in = new Scanner(System.in);\n"
            "        System.out.println(in.nextInt() - in.nextInt());\n"
            "    }\n"
            "}\n"
        )
        proc = run_program("java", wrap("java", code, "solve"), b"50 8\n")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout, b"42\n")


class LauncherRecognitionTestCase(unittest.TestCase):
    """A runner may run a launcher's prelude outside a case's process: only a real launcher."""

    def test_the_launchers_of_every_io_mode_are_recognised(self):
        for program in (
            templates.wrap("python", "def solve(a):\n    return a\n", "solve"),
            templates.wrap_stdio("python", "print(input())\n"),
            # The marker inside the student's code stays inside its one-line literal.
            templates.wrap_stdio("python", f"x = '''\n{templates.PYTHON_PRELUDE_END}\n'''\n"),
        ):
            with self.subTest(program=program[:60]):
                self.assertTrue(templates.is_python_launcher(program))
                self.assertEqual(program.count(f"\n{templates.PYTHON_PRELUDE_END}\n"), 1)

    def test_anything_else_is_not(self):
        launcher = templates.wrap_stdio("python", "print(1)\n")
        marker = templates.PYTHON_PRELUDE_END
        for program in (
            f"import os\nprint(os.getpid())\n{marker}\nprint(2)\n",  # a program of its own
            launcher + "print('more')\n",
            "# comment\n" + launcher,
            launcher.replace("_source = 'print(1)\\n'", "_source = str(__import__('os').getpid())"),
            launcher.replace("sys.excepthook = _codecourses_excepthook", "pass"),
            "import sys\n_source = (\n",
            "",
        ):
            with self.subTest(program=program[:60]):
                self.assertFalse(templates.is_python_launcher(program))
