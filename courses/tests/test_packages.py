"""Course and problem packages (docs/package-format.md): the format, export, import, refusals.

- The TOML writer: whatever it writes, ``tomllib`` reads back as the same values (property).
- Export is deterministic (same course, same bytes) and import → export is byte-identical.
- The demo course's round trip goes through the commands and the real local sandbox: export,
  empty the database, import (every reference solution judged for real), export: same bytes.
- Hostile or broken packages are refused with ``invalid_package`` (or 413) naming the file at
  fault, and nothing is written; a taken slug asks for a new one.
"""

from __future__ import annotations

import io
import stat
import tempfile
import tomllib
import warnings
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from unittest import mock

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import SimpleTestCase, TestCase, override_settings
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from courses import demo
from courses.models import (
    Course,
    Exam,
    Problem,
    ProblemTestCase,
    ReferenceSolution,
)
from courses.packages import archive, schema, toml
from courses.services import packages
from courses.services.errors import AlreadyExists, InvalidInput, InvalidPackage, PayloadTooLarge
from courses.tests import factories
from courses.tests.sandbox_fixtures import requires_sandbox

# --- Helpers ----------------------------------------------------------------------------------


def unzip(data: bytes) -> dict[str, bytes]:
    return archive.read_zip(data, packages.package_limits())


def rezip(files: dict[str, bytes]) -> bytes:
    return archive.write_zip(files)


def content_counts() -> dict[str, int]:
    """Rows of every model of the app, and users: "nothing written" means these do not move."""
    counts = {
        m._meta.label: m._default_manager.count()
        for m in apps.get_app_config("courses").get_models()
    }
    counts["users"] = get_user_model().objects.count()
    return counts


def small_course(slug: str = "small") -> Course:
    """A course with one of everything a package holds (two problem kinds, an exam)."""
    course = factories.CourseFactory(
        slug=slug, title="Small", description="Some *markdown*\n", time_zone="Europe/Paris"
    )
    chapter = factories.ChapterFactory(
        course=course, order=0, title="One", due_at=datetime(2026, 3, 1, 22, 59, tzinfo=UTC)
    )
    function = factories.ProblemFactory(
        chapter=chapter,
        order=0,
        title="Add",
        statement="Write `add(a, b)`.",
        io_mode="function",
        entry_point="add",
        checker="json",
        allowed_languages=["python"],
        starter_code={"python": "def add(a, b):\n    pass\n"},
    )
    factories.ProblemTestCaseFactory(
        problem=function, order=0, input="[1, 2]", expected_output="3", is_sample=True
    )
    factories.ProblemTestCaseFactory(
        problem=function, order=1, input="[2, 2]", expected_output="4", weight=3
    )
    factories.ReferenceSolutionFactory(
        problem=function, language="python", code="def add(a, b):\n    return a + b\n"
    )
    stdio = factories.ProblemFactory(
        chapter=chapter,
        order=1,
        title='Echo "quoted" \\ and tab\t',
        io_mode="stdio",
        checker="float",
        float_abs_tolerance=0.001,
        float_rel_tolerance=0.0,
        allowed_languages=["python"],
    )
    factories.ProblemTestCaseFactory(problem=stdio, order=0, input="1.5\n", expected_output="1.5\n")
    factories.ReferenceSolutionFactory(problem=stdio, language="python", code="print(input())\n")
    exam = factories.ExamFactory(course=course, title="Quiz", instructions="No notes.")
    factories.ExamProblemFactory(exam=exam, problem=function, score="7.50", order=0)
    return course


class PackageTestMixin:
    def assertRefused(self, data: bytes, *fragments: str, error=InvalidPackage, **kwargs):
        """Import refused with ``error``, its message naming every fragment; nothing written."""
        before = content_counts()
        with self.assertRaises(error) as caught:
            packages.package_import_course(data=data, **{"judge": False, **kwargs})
        for fragment in fragments:
            self.assertIn(fragment, caught.exception.message)
        if error is InvalidPackage:
            self.assertIn("package", caught.exception.fields)
        self.assertEqual(content_counts(), before, "something was written")
        return caught.exception


# --- The TOML writer ----------------------------------------------------------------------------

#: Any text but lone surrogates (UTF-8 cannot hold them; the writer refuses them).
texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)))
scalars = st.one_of(
    texts,
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.booleans(),
    st.floats(allow_nan=False),
    st.datetimes(timezones=st.just(UTC)),
)
keys = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=8)
tables = st.recursive(
    st.dictionaries(keys, st.one_of(scalars, st.lists(scalars)), max_size=4),
    lambda children: st.dictionaries(
        keys, st.one_of(scalars, children, st.lists(children, min_size=1, max_size=3)), max_size=4
    ),
    max_leaves=12,
)


def _without_empty_tables(value):
    """What TOML keeps of a document: an empty array of tables cannot be told from no key."""
    if isinstance(value, dict):
        return {k: _without_empty_tables(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_empty_tables(v) for v in value]
    return value


class TomlWriterTestCase(SimpleTestCase):
    @hypothesis_settings(max_examples=300, derandomize=True, deadline=None)
    @given(tables)
    def test_tomllib_reads_back_what_was_written(self, document):
        text = toml.dumps(document)
        self.assertEqual(tomllib.loads(text), _without_empty_tables(document))
        self.assertEqual(toml.dumps(document), text)

    def test_strings_keep_every_character(self):
        value = 'quote " backslash \\ tab \t cr \r nul \x00 del \x7f é 💡 \u2028'
        self.assertEqual(tomllib.loads(toml.dumps({"s": value}))["s"], value)

    def test_datetimes_need_an_offset_and_are_written_in_utc(self):
        with self.assertRaises(toml.TomlWriteError):
            toml.dumps({"at": datetime(2026, 1, 1)})
        self.assertIn(
            "at = 2026-01-01T00:00:00Z", toml.dumps({"at": datetime(2026, 1, 1, tzinfo=UTC)})
        )

    def test_a_key_ending_in_a_newline_is_quoted(self):
        # Found by the property above: ``$`` matches before a final newline.
        self.assertEqual(tomllib.loads(toml.dumps({"0\n": ""})), {"0\n": ""})


class SchemaCoverageTestCase(SimpleTestCase):
    def test_every_model_field_is_carried_or_listed_as_not_carried(self):
        """A field added to a model (issue 14a's checker, subtasks, ...) must be added to
        ``courses/packages/schema.py`` or listed in ``NOT_CARRIED``: never dropped silently."""
        for name, fields in schema.CARRIED.items():
            with self.subTest(model=name):
                model = apps.get_model("courses", name)
                concrete = {f.name for f in model._meta.concrete_fields}
                carried = {f.name for f in fields}
                self.assertEqual(concrete - carried - schema.NOT_CARRIED[name], set())
                self.assertEqual(carried - concrete, set())


# --- Export and round trips without judging ---------------------------------------------------


class ExportTestCase(PackageTestMixin, TestCase):
    def test_the_same_course_gives_the_same_bytes(self):
        course = small_course()
        first = packages.package_export_course(course=course)
        self.assertEqual(packages.package_export_course(course=course), first)

    def test_zip_entries_are_fixed_sorted_regular_files(self):
        data = packages.package_export_course(course=small_course())
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
        self.assertEqual([i.filename for i in infos], sorted(i.filename for i in infos))
        for info in infos:
            self.assertEqual(info.date_time, archive.FIXED_DATE)
            self.assertEqual(info.external_attr >> 16, archive.FILE_MODE)

    def test_the_manifest_and_files_hold_every_listed_field(self):
        files = unzip(packages.package_export_course(course=small_course()))
        manifest = tomllib.loads(files["manifest.toml"].decode())
        self.assertEqual(manifest["format_version"], schema.FORMAT_VERSION)
        self.assertEqual(manifest["kind"], "course")
        self.assertEqual(
            set(manifest["course"]), {f.name for f in schema.toml_fields(schema.COURSE)}
        )
        self.assertEqual(manifest["chapters"][0]["problems"], ["001", "002"])
        self.assertEqual(
            manifest["exams"][0]["problems"], [{"problem": "001", "score": "7.50", "order": 0}]
        )
        problem = tomllib.loads(files["problems/001/problem.toml"].decode())
        self.assertEqual(
            set(problem),
            {f.name for f in schema.toml_fields(schema.PROBLEM) if not f.optional} | {"cases"},
        )
        self.assertEqual(problem["cases"][1], {"order": 1, "is_sample": False, "weight": 3})
        self.assertEqual(files["problems/001/cases/002.in"], b"[2, 2]")
        self.assertEqual(
            files["problems/001/solutions/python.py"], b"def add(a, b):\n    return a + b\n"
        )
        self.assertEqual(files["problems/001/starter/python.py"], b"def add(a, b):\n    pass\n")
        self.assertEqual(files["exams/01/instructions.md"], b"No notes.")
        self.assertEqual(files["description.md"], b"Some *markdown*\n")

    def test_import_then_export_is_byte_identical(self):
        course = small_course()
        first = packages.package_export_course(course=course)
        Course.objects.all().delete()
        result = packages.package_import_course(data=first, judge=False)
        self.assertEqual(packages.package_export_course(course=result.course), first)
        exam = Exam.objects.get(course=result.course)
        self.assertEqual(str(exam.total_score), "7.50")

    def test_a_failure_while_writing_leaves_nothing(self):
        data = packages.package_export_course(course=small_course())
        Course.objects.all().delete()
        before = content_counts()
        with (
            mock.patch.object(
                packages, "exam_recompute_scores", side_effect=RuntimeError("disk full")
            ),
            self.assertRaises(RuntimeError),
        ):
            packages.package_import_course(data=data, judge=False)
        self.assertEqual(content_counts(), before)

    def test_a_problem_package_imports_at_the_end_of_a_chapter(self):
        course = small_course()
        problem = Problem.objects.get(title="Add")
        data = packages.package_export_problem(problem=problem)
        self.assertEqual(
            tomllib.loads(unzip(data)["manifest.toml"].decode()),
            {"format_version": schema.FORMAT_VERSION, "kind": "problem"},
        )
        chapter = course.chapters.get()
        copy = packages.package_import_problem(data=data, chapter=chapter, judge=False)
        self.assertEqual(copy.order, 2)
        self.assertEqual(
            list(copy.test_cases.values_list("input", "weight")), [("[1, 2]", 1), ("[2, 2]", 3)]
        )
        # A problem package is not a course package, and the other way round.
        self.assertRefused(data, "This is a problem package")
        with self.assertRaises(InvalidPackage):
            packages.package_import_problem(
                data=packages.package_export_course(course=course), chapter=chapter, judge=False
            )

    def test_a_taken_slug_asks_for_a_new_one(self):
        data = packages.package_export_course(course=small_course())
        error = self.assertRefused(data, "'small'", "--slug", error=AlreadyExists)
        self.assertEqual(set(error.fields), {"slug"})
        # A slug given to replace the package's is the caller's input: its error names it.
        error = self.assertRefused(data, "'not a slug!'", error=InvalidInput, slug="not a slug!")
        self.assertEqual(set(error.fields), {"slug"})
        files = unzip(data)  # the package's own slug is the package's fault
        files["manifest.toml"] = files["manifest.toml"].replace(b'"small"', b'"not a slug!"')
        self.assertRefused(rezip(files), "manifest.toml: course.slug")
        result = packages.package_import_course(data=data, slug="small-2", judge=False)
        self.assertEqual(result.course.slug, "small-2")
        self.assertEqual(result.course.title, "Small")


# --- Hostile and broken packages -----------------------------------------------------------------


def raw_zip(entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        warnings.simplefilter("ignore", UserWarning)  # a duplicate name, on purpose
        for info, content in entries:
            zf.writestr(info, content)
    return buffer.getvalue()


class HostilePackageTestCase(PackageTestMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.files = unzip(packages.package_export_course(course=small_course("base")))

    def mutated(self, **changes) -> bytes:
        """The base package with files replaced (bytes), added, or removed (None)."""
        files = {**self.files}
        for path, content in changes.items():
            path = path.replace("__", "/").replace("_DOT_", ".")
            if content is None:
                files.pop(path)
            else:
                files[path] = content.encode() if isinstance(content, str) else content
        return rezip(files)

    def edit(self, path: str, old: str, new: str) -> bytes:
        text = self.files[path].decode()
        self.assertIn(old, text)
        return rezip({**self.files, path: text.replace(old, new, 1).encode()})

    def test_the_base_package_imports(self):
        # The control: every refusal below comes from its one change.
        packages.package_import_course(data=rezip(self.files), slug="control", judge=False)

    def test_not_a_zip(self):
        self.assertRefused(b"PK\x03\x04 not really", "not a readable zip")

    def test_dot_dot_and_absolute_paths(self):
        for name in ("../evil.txt", "problems/../../evil.txt", "/etc/passwd", "C:evil"):
            with self.subTest(name=name):
                data = raw_zip([("manifest.toml", self.files["manifest.toml"]), (name, b"x")])
                self.assertRefused(data, name)

    def test_symbolic_links(self):
        link = zipfile.ZipInfo("problems/001/statement.md")
        link.create_system = 3
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        data = raw_zip([("manifest.toml", self.files["manifest.toml"]), (link, b"/etc/passwd")])
        self.assertRefused(data, "Symbolic links")

    def test_a_path_given_twice(self):
        data = raw_zip([("manifest.toml", self.files["manifest.toml"])] * 2)
        self.assertRefused(data, "appears twice")

    @override_settings(COURSES_PACKAGE_MAX_UNCOMPRESSED_BYTES=2 * 1024 * 1024)
    def test_a_zip_bomb_is_stopped_while_decompressing(self):
        bomb = [(f"bomb/{i}.bin", b"\0" * (1024 * 1024)) for i in range(1, 4)]
        data = raw_zip([*self.files.items(), *bomb])
        self.assertLess(len(data), 20_000)  # 3 MiB of zeros in a few kB
        self.assertRefused(data, "uncompressed", error=PayloadTooLarge)

    @override_settings(COURSES_PACKAGE_MAX_FILE_BYTES=1000)
    def test_an_oversized_file(self):
        data = self.mutated(problems__001__cases__001_DOT_in="[1, 2]" + " " * 2000)
        self.assertRefused(
            data, "problems/001/cases/001.in", "larger than 1000", error=PayloadTooLarge
        )

    @override_settings(COURSES_PACKAGE_MAX_BYTES=1000)
    def test_an_oversized_zip(self):
        self.assertRefused(rezip(self.files), "larger than 1000", error=PayloadTooLarge)

    @override_settings(COURSES_PACKAGE_MAX_FILES=5)
    def test_too_many_entries(self):
        self.assertRefused(rezip(self.files), "at most 5")

    def test_manifest_missing_or_unreadable(self):
        self.assertRefused(self.mutated(manifest_DOT_toml=None), "manifest.toml", "missing")
        self.assertRefused(
            self.mutated(manifest_DOT_toml="kind = "), "manifest.toml", "Not valid TOML"
        )
        self.assertRefused(self.mutated(manifest_DOT_toml=b"\xff\xfe"), "manifest.toml", "UTF-8")

    def test_toml_nested_too_deeply_is_refused_not_a_crash(self):
        """``tomllib`` parses nesting recursively: deeper than Python's recursion limit, it
        raises ``RecursionError``, not ``TOMLDecodeError``."""
        arrays = "x = " + "[" * 5000 + "]" * 5000 + "\n"
        tables = "x = " + "{a=" * 3000 + "1" + "}" * 3000 + "\n"
        for deep in (arrays, tables):
            with self.subTest(deep=deep[:8]):
                self.assertRefused(
                    self.mutated(manifest_DOT_toml=deep), "manifest.toml", "nested too deeply"
                )
                self.assertRefused(
                    self.mutated(problems__001__problem_DOT_toml=deep),
                    "problems/001/problem.toml",
                    "nested too deeply",
                )
        # A problem package reads its TOML the same way.
        chapter = factories.ChapterFactory()
        problem = packages.package_export_problem(problem=Problem.objects.get(title="Add"))
        for path in ("manifest.toml", "problem/problem.toml"):
            with self.subTest(path=path):
                before = content_counts()
                with self.assertRaisesMessage(InvalidPackage, f"{path}: Not readable TOML"):
                    packages.package_import_problem(
                        data=rezip({**unzip(problem), path: arrays.encode()}),
                        chapter=chapter,
                        judge=False,
                    )
                self.assertEqual(content_counts(), before)

    def test_manifest_versions(self):
        manifest = "manifest.toml"
        current = f"format_version = {schema.FORMAT_VERSION}"
        self.assertRefused(self.edit(manifest, current + "\n", ""), "format_version is missing")
        self.assertRefused(
            self.edit(manifest, current, f"format_version = {schema.FORMAT_VERSION + 1}"),
            f"format version {schema.FORMAT_VERSION + 1}",
            f"reads versions 1 to {schema.FORMAT_VERSION}",
        )
        self.assertRefused(self.edit(manifest, current, "format_version = 0"), "format version 0")
        self.assertRefused(
            self.edit(manifest, current, 'format_version = "1"'), "must be an integer"
        )
        self.assertRefused(self.edit(manifest, 'kind = "course"', 'kind = "zip"'), "kind must be")

    def test_bad_types_name_the_file_and_key(self):
        problem = "problems/001/problem.toml"
        for old, new, fragment in (
            (
                "time_limit_ms = 1000",
                'time_limit_ms = "fast"',
                "time_limit_ms: expected an integer",
            ),
            ("time_limit_ms = 1000", "time_limit_ms = 1000.0", "expected an integer, got a float"),
            ("is_visible = true", "is_visible = 1", "is_visible: expected true or false"),
            (
                'allowed_languages = ["python"]',
                'allowed_languages = "python"',
                "an array of strings",
            ),
            ("weight = 3", "weight = 0", "cases[1].weight"),
            ("time_limit_ms = 1000", "time_limit_ms = 0", "an integer from 1 to 60000"),
            ('checker = "json"', 'checker = "regex"', "checker"),
            (
                'allowed_languages = ["python"]',
                'allowed_languages = ["cobol"]',
                "allowed_languages",
            ),
            ("order = 1\n", "order = 0\n", "Order 0 is used twice"),
            ("weight = 3", "weight = 3\nsecret = 1", "Unknown key 'secret'"),
            ("title = ", "titel = ", "Unknown key 'titel'"),
        ):
            with self.subTest(new=new):
                self.assertRefused(self.edit(problem, old, new), problem, fragment)
        manifest = "manifest.toml"
        for old, new, fragment in (
            (
                'late_penalty_percent_per_day = "10.00"',
                "late_penalty_percent_per_day = 10",
                "a decimal",
            ),
            (
                'late_penalty_percent_per_day = "10.00"',
                'late_penalty_percent_per_day = "NaN"',
                "finite",
            ),
            (
                'late_penalty_percent_per_day = "10.00"',
                'late_penalty_percent_per_day = "ten"',
                "a decimal",
            ),
            ('time_zone = "Europe/Paris"', 'time_zone = "Mars/Olympus"', "IANA"),
            ("due_at = 2026-03-01T22:59:00Z", "due_at = 2026-03-01T22:59:00", "no offset"),
            ("duration_minutes = ", "duration_minutes = -", "duration_minutes"),
            ('problem = "001"', 'problem = "009"', "'009' is not the key of a problem"),
            ('problems = ["001", "002"]', 'problems = ["001", "002", "001"]', "listed twice"),
            ('problems = ["001", "002"]', 'problems = ["../x"]', "not a problem key"),
        ):
            with self.subTest(new=new):
                self.assertRefused(self.edit(manifest, old, new), manifest, fragment)

    def test_datetimes_outside_the_supported_range_are_refused_naming_the_key(self):
        """The instants people may set (``courses.instant_range``): the first two have no UTC
        value at all (Django's save would raise ``OverflowError``); the last one has, but no
        course zone east of UTC can show it."""
        manifest, problem = "manifest.toml", "problems/001/problem.toml"
        refused = ("9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59Z")
        for value in refused:
            with self.subTest(value=value):
                self.assertRefused(
                    self.edit(manifest, "due_at = 2026-03-01T22:59:00Z", f"due_at = {value}"),
                    "manifest.toml: chapters[0].due_at",
                    "Must be from 1900-01-01",
                    slug="probe",
                )
                self.assertRefused(
                    self.edit(problem, "points = 100", f"points = 100\ndue_at = {value}"),
                    "problems/001/problem.toml: due_at",
                    "Must be from 1900-01-01",
                    slug="probe",
                )
        # The last instant of the range imports.
        data = self.edit(manifest, "due_at = 2026-03-01T22:59:00Z", "due_at = 9000-12-31T23:59:59Z")
        result = packages.package_import_course(data=data, slug="edge", judge=False)
        self.assertEqual(
            result.course.chapters.get().due_at, datetime(9000, 12, 31, 23, 59, 59, tzinfo=UTC)
        )

    def test_the_authoring_apis_limits_apply_naming_the_key(self):
        """What the JSON API refuses, a package cannot store either: the same numbers, from
        ``courses/services/authoring_limits.py`` (a stored ``duration_minutes`` of 99999999999
        made starting an attempt fail)."""
        problem, manifest = "problems/001/problem.toml", "manifest.toml"
        for number, (path, old, new, key) in enumerate(
            (
                (problem, "time_limit_ms = 1000", "time_limit_ms = 60001", "time_limit_ms"),
                (
                    problem,
                    "memory_limit_kb = 131072",
                    "memory_limit_kb = 2097153",
                    "memory_limit_kb",
                ),
                (problem, "output_limit_kb = 64", "output_limit_kb = 16385", "output_limit_kb"),
                (problem, "points = 100", "points = 1000000000", "points"),
                (problem, "order = 0", "order = 2147483648", "order"),
                (problem, "weight = 3", "weight = 1000000000", "cases[1].weight"),
                (
                    manifest,
                    "order = 0\ndue_at",
                    "order = 9223372036854775807\ndue_at",
                    "chapters[0].order",
                ),
                (
                    manifest,
                    "max_attempts = 1\n",
                    "max_attempts = 1000000000000\n",
                    "exams[0].max_attempts",
                ),
                (
                    manifest,
                    "duration_minutes = 60",
                    "duration_minutes = 99999999999",
                    "exams[0].duration_minutes",
                ),
                (
                    manifest,
                    '"7.50"\norder = 0',
                    '"7.50"\norder = 2147483648',
                    "exams[0].problems[0].order",
                ),
            )
        ):
            with self.subTest(key=key):
                self.assertRefused(
                    self.edit(path, old, new),
                    f"{path}: {key}: expected an integer from",
                    slug=f"probe-{number}",
                )
        # A subtask's points (the base package has none: every case of problem 001 in one).
        text = self.files[problem].decode().replace("weight = ", "subtask = 1\nweight = ")
        text += '\n[[subtasks]]\norder = 1\nname = "all"\npoints = 1000001\n'
        text += 'scoring = "minimum"\nshort_circuit = false\n'
        with self.subTest(key="subtasks[0].points"):
            self.assertRefused(
                rezip({**self.files, problem: text.encode()}),
                f"{problem}: subtasks[0].points: expected an integer from 1 to 1000000",
                slug="probe-subtask",
            )
        texts = (
            ("problems/001/statement.md", 100_000),
            ("problems/001/checker.txt", 64 * 1024),
            ("description.md", 50_000),
            ("exams/01/instructions.md", 50_000),
        )
        for number, (path, size) in enumerate(texts):
            with self.subTest(path=path):
                self.assertRefused(
                    rezip({**self.files, path: b"x" * (size + 1)}),
                    f"{path}: At most {size} characters",
                    slug=f"probe-text-{number}",
                )

    def test_what_the_authoring_api_refuses_of_a_problem_is_refused_naming_the_key(self):
        # The report: a language listed twice imported, where the API refuses it.
        self.assertRefused(
            self.edit(
                "problems/001/problem.toml",
                'allowed_languages = ["python"]',
                'allowed_languages = ["python", "python"]',
            ),
            "problems/001/problem.toml: allowed_languages: A language is listed twice.",
            slug="twice",
        )

    def test_values_at_the_authoring_limits_import(self):
        problem, manifest = "problems/001/problem.toml", "manifest.toml"
        files = {**self.files, "problems/001/statement.md": b"x" * 100_000}
        for path, old, new in (
            (problem, "time_limit_ms = 1000", "time_limit_ms = 60000"),
            (problem, "points = 100", "points = 1000000"),
            (problem, "weight = 3", "weight = 1000000"),
            (manifest, "order = 0\ndue_at", "order = 2147483647\ndue_at"),
            (manifest, "max_attempts = 1\n", "max_attempts = 1000\n"),
            (manifest, "duration_minutes = 60", "duration_minutes = 10080"),
        ):
            text = files[path].decode()
            self.assertIn(old, text)
            files[path] = text.replace(old, new, 1).encode()
        course = packages.package_import_course(data=rezip(files), slug="edge", judge=False).course
        self.assertEqual(course.chapters.get().order, 2**31 - 1)
        self.assertEqual(course.exams.get().duration_minutes, 7 * 24 * 60)
        self.assertEqual(
            Problem.objects.filter(chapter__course=course, points=1_000_000).count(), 1
        )

    def test_test_data_and_code_are_checked(self):
        self.assertRefused(
            self.mutated(problems__001__cases__001_DOT_in="not json"),
            "problems/001/cases/001.in",
            "JSON array",
        )
        self.assertRefused(
            self.mutated(problems__001__cases__002_DOT_out=None),
            "problems/001/cases/002.out",
            "missing",
        )
        self.assertRefused(self.mutated(problems__001__statement_DOT_md=b"bad \x00 nul"), "NUL")
        self.assertRefused(
            self.mutated(problems__001__solutions__python_DOT_py="   "),
            "solutions/python.py",
            "empty",
        )

    def test_unknown_files_are_refused_not_dropped(self):
        self.assertRefused(
            self.mutated(problems__001__notes_DOT_txt="hi"), "problems/001/notes.txt", "not part"
        )
        self.assertRefused(
            self.mutated(problems__001__solutions__cobol_DOT_cob="x"),
            "solutions/cobol.cob",
            "python.py",
        )
        self.assertRefused(
            self.mutated(problems__003__problem_DOT_toml=self.files["problems/001/problem.toml"]),
            "problems/003/problem.toml",
        )

    def test_a_package_in_one_folder_is_fine_and_metadata_is_skipped(self):
        files = {f"small/{path}": content for path, content in self.files.items()}
        files["__MACOSX/._manifest.toml"] = b"junk"
        result = packages.package_import_course(data=rezip(files), slug="folder", judge=False)
        self.assertEqual(result.problems, 2)


# --- Through the real sandbox --------------------------------------------------------------------


@requires_sandbox
class DemoRoundTripTestCase(PackageTestMixin, TestCase):
    """The demo course: export, empty database, import (judged for real), export: same bytes."""

    def test_the_demo_course_round_trips_byte_identical_through_the_commands(self):
        call_command("seed_demo", stdout=io.StringIO())
        with tempfile.TemporaryDirectory(prefix="codecourses-14b-") as folder:
            first = Path(folder, "first.zip")
            second = Path(folder, "second.zip")
            err = io.StringIO()
            call_command(
                "export_course",
                demo.COURSE["slug"],
                "-o",
                str(first),
                stdout=io.StringIO(),
                stderr=err,
            )
            self.assertIn("problems: 100%", err.getvalue())  # the progress bar
            # An empty database: no course content, no users.
            Course.objects.all().delete()
            get_user_model().objects.all().delete()
            self.assertEqual({k: v for k, v in content_counts().items() if v}, {})
            out, err = io.StringIO(), io.StringIO()
            call_command("import_course", str(first), stdout=out, stderr=err)
            self.assertIn("judging: 100%", err.getvalue())
            self.assertIn(f"{len(demo.PROBLEMS)} problems", out.getvalue())
            call_command(
                "export_course",
                demo.COURSE["slug"],
                "-o",
                str(second),
                stdout=io.StringIO(),
                stderr=io.StringIO(),
            )
            self.assertEqual(second.read_bytes(), first.read_bytes())
        # Every reference solution was judged on import, and accepted (C and C++ included).
        statuses = set(ReferenceSolution.objects.values_list("language", "validation_status"))
        self.assertEqual(statuses, {("python", "accepted"), ("c", "accepted"), ("cpp", "accepted")})
        self.assertEqual(ProblemTestCase.objects.count(), sum(len(p.cases) for p in demo.PROBLEMS))
        # Importing it again needs a new slug; the command says so.
        with self.assertRaisesMessage(CommandError, "--slug"):
            self._import_again()

    def _import_again(self):
        data = packages.package_export_course(course=Course.objects.get())
        with tempfile.NamedTemporaryFile(suffix=".zip", prefix="codecourses-14b-") as handle:
            handle.write(data)
            handle.flush()
            call_command("import_course", handle.name, stdout=io.StringIO(), stderr=io.StringIO())

    def test_a_wrong_reference_solution_refuses_the_package(self):
        files = unzip(packages.package_export_course(course=small_course("judged")))
        Course.objects.all().delete()
        files["problems/001/solutions/python.py"] = b"def add(a, b):\n    return a - b\n"
        self.assertRefused(
            rezip(files), "problems/001/solutions/python.py", "wrong_answer on case 1", judge=True
        )
        # The right one is judged and imported, with its validation stored.
        files["problems/001/solutions/python.py"] = b"def add(a, b):\n    return a + b\n"
        packages.package_import_course(data=rezip(files))
        reference = ReferenceSolution.objects.get(problem__title="Add")
        self.assertEqual(reference.validation_status, "accepted")
        self.assertEqual(reference.validation_details["passed_cases"], 2)
