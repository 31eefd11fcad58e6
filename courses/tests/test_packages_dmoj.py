"""DMOJ problems (``init.yml``, DMOJ's documented format) imported as problems of a chapter.

Layouts as DMOJ's docs describe them: cases listed in ``test_cases`` (normal ``{in, out,
points}`` or ``{points, batched: [...]}``), the data in the zip named by ``archive`` or next to
``init.yml``, a ``checker`` by name or ``{name, args}``. Batches become subtasks (all or nothing,
stopping at the first failure, with their dependencies); a problem without batches keeps flat
cases weighing their points. The imported problem is judged for real.
"""

from __future__ import annotations

import io
import zipfile

from django.test import TestCase
from django.urls import reverse

from courses.models import Problem
from courses.services import packages
from courses.services.code_executor import CodeExecutorService
from courses.services.errors import InvalidPackage
from courses.tests import factories
from courses.tests.api_support import ApiTestMixin, RoleWorld
from courses.tests.sandbox_fixtures import requires_sandbox
from courses.tests.test_packages import content_counts


def make_zip(files: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in files.items():
            zf.writestr(name, content)
    return buffer.getvalue()


SUM_CASES = {"sum.1.in": "1 2\n", "sum.1.out": "3\n", "sum.2.in": "-7 7\n", "sum.2.out": "0\n"}
SUM_CASES |= {"sum.3.in": "3000000000 4000000000\n", "sum.3.out": "7000000000\n"}

FLAT_INIT = """\
archive: sum.zip
test_cases:
- {in: sum.1.in, out: sum.1.out, points: 5}
- {in: sum.2.in, out: sum.2.out, points: 20}
- {in: sum.3.in, out: sum.3.out, points: 75}
"""

BATCHED_INIT = """\
test_cases:
- {points: 0, in: p.0.in, out: p.0.out}
- points: 5
  batched:
  - {in: p.1a.in, out: p.1a.out}
  - {in: p.1b.in, out: p.1b.out}
  - {in: p.1c.in, out: p.1c.out}
- points: 20
  batched:
  - {in: p.2a.in, out: p.2a.out}
  - {in: p.2b.in, out: p.2b.out}
  - {in: p.2c.in, out: p.2c.out}
  - {in: p.2d.in, out: p.2d.out}
  dependencies: [1]
checker:
  name: floats
  args: {precision: 3}
"""


def batched_zip(init: str = BATCHED_INIT) -> bytes:
    names = ["0", "1a", "1b", "1c", "2a", "2b", "2c", "2d"]
    data = {f"p.{n}.in": f"{i}\n" for i, n in enumerate(names)}
    data |= {f"p.{n}.out": f"{i}.0\n" for i, n in enumerate(names)}
    return make_zip({"problem/init.yml": init, **{f"problem/{k}": v for k, v in data.items()}})


class DmojImportTestCase(ApiTestMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.chapter = factories.ChapterFactory()

    def import_(self, data: bytes, **kwargs):
        options = {"title": "Imported", "languages": ["python"], **kwargs}
        return packages.dmoj_import_problem(data=data, chapter=self.chapter, **options)

    def refused(self, data: bytes, *fragments: str):
        before = content_counts()
        with self.assertRaises(InvalidPackage) as caught:
            self.import_(data)
        for fragment in fragments:
            self.assertIn(fragment, caught.exception.message)
        self.assertEqual(content_counts(), before, "something was written")

    def test_flat_cases_from_the_archive_keep_their_points_as_weights(self):
        data = make_zip({"init.yml": FLAT_INIT, "sum.zip": make_zip(SUM_CASES)})
        result = self.import_(data, time_limit_ms=1500)
        problem = result.problem
        self.assertEqual(result.warnings, [])
        self.assertEqual(
            list(problem.test_cases.values_list("input", "expected_output", "weight")),
            [
                ("1 2\n", "3\n", 5),
                ("-7 7\n", "0\n", 20),
                (SUM_CASES["sum.3.in"], "7000000000\n", 75),
            ],
        )
        self.assertEqual(
            (problem.io_mode, problem.checker, problem.time_limit_ms, problem.is_visible),
            ("stdio", "tokens", 1500, False),
        )

    def test_batches_become_subtasks_with_their_dependencies(self):
        result = self.import_(batched_zip())
        problem = result.problem
        subtasks = list(problem.subtasks.order_by("order"))
        self.assertEqual(
            [(t.order, t.name, t.points, t.scoring, t.short_circuit) for t in subtasks],
            [
                (0, "Case 1", 1, "all_or_nothing", True),
                (1, "Batch 1", 5, "all_or_nothing", True),
                (2, "Batch 2", 20, "all_or_nothing", True),
            ],
        )
        # DMOJ's "dependencies: [1]" is its first batch: the subtask of order 1.
        self.assertEqual([d.order for d in subtasks[2].depends_on.all()], [1])
        self.assertEqual(
            list(problem.test_cases.order_by("order").values_list("subtask__order", "weight")),
            [(0, 1), (1, 1), (1, 1), (1, 1), (2, 1), (2, 1), (2, 1), (2, 1)],
        )
        self.assertEqual(len(result.warnings), 1)
        self.assertIn("0 points", result.warnings[0])
        self.assertEqual(
            (problem.checker, problem.float_abs_tolerance, problem.float_rel_tolerance),
            ("float", 0.001, 0.001),
        )

    def test_dependencies_must_name_earlier_batches(self):
        for dependencies in ("[2]", "[0]", "[1, 3]", "yes"):
            with self.subTest(dependencies=dependencies):
                init = BATCHED_INIT.replace("dependencies: [1]", f"dependencies: {dependencies}")
                self.refused(batched_zip(init), "earlier batches")

    def test_checkers_map_or_are_refused_by_name(self):
        for checker, expected in (
            ("standard", ("tokens", 1e-6, 1e-6)),
            ("identical", ("exact", 1e-6, 1e-6)),
            ("floatsabs", ("float", 1e-6, 0.0)),
            ("{name: floatsrel, args: {precision: 2}}", ("float", 0.0, 0.01)),
            ("{name: floats, args: {precision: 4, error_mode: absolute}}", ("float", 1e-4, 0.0)),
        ):
            with self.subTest(checker=checker):
                init = FLAT_INIT.replace("archive: sum.zip\n", f"checker: {checker}\n")
                problem = self.import_(make_zip({"init.yml": init, **SUM_CASES})).problem
                got = (problem.checker, problem.float_abs_tolerance, problem.float_rel_tolerance)
                self.assertEqual(got, expected)
        init = FLAT_INIT.replace("archive: sum.zip\n", "checker: sorted\n")
        self.refused(make_zip({"init.yml": init, **SUM_CASES}), "init.yml: checker", "'sorted'")
        init = FLAT_INIT.replace("archive: sum.zip\n", "checker: {name: checker.py}\n")
        self.refused(make_zip({"init.yml": init, **SUM_CASES}), "'checker.py'")
        # Not a name at all (a list is not even hashable): refused, not a crash.
        for checker in ("[1, 2]", "{name: [1, 2]}", "{name: {a: 1}}", "7", "null"):
            with self.subTest(checker=checker):
                init = FLAT_INIT.replace("archive: sum.zip\n", f"checker: {checker}\n")
                self.refused(
                    make_zip({"init.yml": init, **SUM_CASES}), "init.yml: checker", "a name"
                )

    def test_what_cannot_be_imported_is_refused_by_name(self):
        ok = {"init.yml": FLAT_INIT, "sum.zip": make_zip(SUM_CASES)}
        self.refused(make_zip(SUM_CASES), "no init.yml")
        self.refused(make_zip({**ok, "init.yml": "test_cases: [\n"}), "init.yml", "YAML")
        self.refused(make_zip({**ok, "init.yml": "- a list\n"}), "init.yml", "mapping")
        regex = "test_cases:\n  input_format: 'x(\\d+).in'\n  output_format: 'x(\\d+).out'\n"
        self.refused(make_zip({**ok, "init.yml": regex}), "regexes")
        self.refused(make_zip({**ok, "init.yml": FLAT_INIT + "generator: gen.py\n"}), "'generator'")
        self.refused(make_zip({**ok, "init.yml": FLAT_INIT + "interactive: {}\n"}), "'interactive'")
        self.refused(
            make_zip({**ok, "init.yml": FLAT_INIT.replace("points: 5", "points: -1")}), "from 0 to"
        )
        self.refused(
            make_zip({**ok, "init.yml": FLAT_INIT.replace("points: 5}", "points: 5, x: 1}")}),
            "'x' is not supported",
        )
        self.refused(
            make_zip({**ok, "init.yml": FLAT_INIT.replace("sum.2.in", "missing.in")}),
            "'missing.in' is not in the test data",
        )
        self.refused(make_zip({"init.yml": FLAT_INIT}), "The archive 'sum.zip' is not in the zip")
        # The inner archive is as untrusted as the outer one.
        evil = make_zip({**SUM_CASES, "../../etc/evil": "x"})
        self.refused(make_zip({**ok, "sum.zip": evil}), "../../etc/evil")
        # Test data the problem cannot hold names the DMOJ file.
        self.refused(
            make_zip({**ok, "sum.zip": make_zip({**SUM_CASES, "sum.2.out": b"\xff"})}),
            "sum.2.out",
            "UTF-8",
        )

    def test_a_key_given_twice_is_refused_not_the_last_one_kept(self):
        ok = {"sum.zip": make_zip(SUM_CASES)}
        twice = "test_cases: []\n" + FLAT_INIT
        self.refused(make_zip({**ok, "init.yml": twice}), "init.yml", "'test_cases' is given twice")
        nested = FLAT_INIT.replace("points: 5}", "points: 5, points: 50}")
        self.refused(make_zip({**ok, "init.yml": nested}), "'points' is given twice (lines 3 and")
        checker = FLAT_INIT + "checker:\n  name: floats\n  name: identical\n"
        self.refused(make_zip({**ok, "init.yml": checker}), "'name' is given twice (lines 7 and 8)")
        # A merge may be overridden: that is what it is for.
        merged = FLAT_INIT.replace(
            "- {in: sum.1.in, out: sum.1.out, points: 5}",
            "- &one {in: sum.1.in, out: sum.1.out, points: 5}\n- {<<: *one, points: 7}",
        )
        problem = self.import_(make_zip({**ok, "init.yml": merged})).problem
        self.assertEqual(
            list(problem.test_cases.order_by("order").values_list("weight", flat=True)),
            [5, 7, 20, 75],
        )

    def test_points_beyond_the_authoring_limits_are_refused(self):
        """Points become weights, or subtask points: the authoring API's bounds apply (and a
        number beyond 64 bits cannot even be written into the converted TOML)."""
        for points in ("99999999999999999999999", "1000001"):
            with self.subTest(points=points):
                flat = FLAT_INIT.replace("points: 20", f"points: {points}")
                self.refused(
                    make_zip({"init.yml": flat, "sum.zip": make_zip(SUM_CASES)}),
                    "init.yml: test_cases[2]",
                    "from 0 to 1000000",
                )
                self.refused(
                    batched_zip(BATCHED_INIT.replace("points: 20", f"points: {points}")),
                    "init.yml: test_cases[3]",
                    "from 0 to 1000000",
                )
        flat = FLAT_INIT.replace("points: 20", "points: 1000000")
        problem = self.import_(make_zip({"init.yml": flat, "sum.zip": make_zip(SUM_CASES)})).problem
        self.assertEqual(problem.test_cases.get(order=1).weight, 1_000_000)

    def test_init_yml_nested_too_deeply_is_refused_not_a_crash(self):
        """PyYAML composes nesting recursively: deeper than Python's recursion limit, it raises
        ``RecursionError``, not a ``YAMLError``."""
        for deep in ("[" * 5000 + "]" * 5000, "{a: " * 3000 + "1" + "}" * 3000):
            with self.subTest(deep=deep[:4]):
                init = f"test_cases: {deep}\n"
                self.refused(make_zip({"init.yml": init, **SUM_CASES}), "init.yml", "too deeply")

    def test_the_api_imports_for_the_chapters_instructor_with_warnings(self):
        world = RoleWorld()
        url = reverse("api:staff-dmoj-import", kwargs={"chapter_id": world.chapter.pk})
        data = batched_zip()
        for role, status in (("assistant", 403), ("student", 403)):
            response = self.client_for(world.user(role)).post(
                url + "?title=X", data=data, content_type="application/zip"
            )
            self.assertEqual(response.status_code, status)
        client = self.client_for(world.users["instructor"])
        missing_title = client.post(url, data=data, content_type="application/zip")
        self.assertEqual(missing_title.status_code, 400)
        response = client.post(
            url + "?title=Batched&languages=python,cpp,python&time_limit_ms=3000",  # one of each
            data=data,
            content_type="application/zip",
        )
        self.assertEqual(response.status_code, 201, response.content)
        body = response.json()
        self.assertEqual(len(body["warnings"]), 1)
        problem = Problem.objects.get(pk=body["problem"]["id"])
        self.assertEqual(
            (problem.title, problem.allowed_languages, problem.time_limit_ms),
            ("Batched", ["python", "cpp"], 3000),
        )
        broken = client.post(url + "?title=B", data=b"nope", content_type="application/zip")
        self.assertError(broken, 400, "invalid_package", fields={"package"})

    def test_the_api_answers_a_broken_init_yml_with_400_naming_it(self):
        """Each of these was a 500 (TypeError, TomlWriteError, RecursionError)."""
        world = RoleWorld()
        url = reverse("api:staff-dmoj-import", kwargs={"chapter_id": world.chapter.pk})
        client = self.client_for(world.users["instructor"])
        for init, where in (
            (FLAT_INIT + "checker: [1, 2]\n", "init.yml: checker"),
            (FLAT_INIT.replace("points: 20", "points: 99999999999999999999999"), "test_cases[2]"),
            ("test_cases: " + "[" * 5000 + "]" * 5000 + "\n", "init.yml: Not readable YAML"),
            (ALIAS_BOMB, "init.yml: test_cases: More than 10000 cases"),
        ):
            with self.subTest(where=where):
                before = content_counts()
                response = client.post(
                    url + "?title=Probe&languages=python",
                    data=make_zip({"init.yml": init, "sum.zip": make_zip(SUM_CASES)}),
                    content_type="application/zip",
                )
                error = self.assertError(response, 400, "invalid_package", fields={"package"})
                self.assertIn(where, error["message"])
                self.assertEqual(content_counts(), before)


#: 4 KB of YAML naming 40,000 cases: a batch of 200 aliases of one case, used 200 times.
ALIAS_BOMB = (
    "test_cases: [{batched: &batch [&case {in: 1.in, out: 1.out}"
    + ", *case" * 199
    + "]}"
    + ", {batched: *batch}" * 199
    + "]\n"
)


@requires_sandbox
class DmojJudgedTestCase(TestCase):
    def test_an_imported_problem_judges_with_its_weights(self):
        data = make_zip({"init.yml": FLAT_INIT, "sum.zip": make_zip(SUM_CASES)})
        chapter = factories.ChapterFactory()
        problem = packages.dmoj_import_problem(
            data=data, chapter=chapter, title="Sum", languages=["python"]
        ).problem
        cases = list(problem.test_cases.order_by("order"))
        executor = CodeExecutorService()
        right = "a, b = map(int, input().split())\nprint(a + b)\n"
        evaluation = executor.evaluate(problem, "python", right, cases)
        self.assertEqual(evaluation.summary.verdict.value, "accepted")
        # Wrong on the 75-point case only (a 32-bit overflow, as in C): 25 of 100.
        wrong = "a, b = map(int, input().split())\ns = (a + b + 2**31) % 2**32 - 2**31\nprint(s)\n"
        evaluation = executor.evaluate(problem, "python", wrong, cases)
        self.assertEqual(evaluation.summary.verdict.value, "wrong_answer")
        self.assertEqual(str(evaluation.summary.score), "0.2500")

    def test_a_failed_batch_scores_nothing_and_its_dependents_are_not_run(self):
        chapter = factories.ChapterFactory()
        problem = packages.dmoj_import_problem(
            data=batched_zip(), chapter=chapter, title="Batched", languages=["python"]
        ).problem
        cases = list(problem.test_cases.order_by("order"))
        executor = CodeExecutorService()
        right = "print(float(input()))\n"
        evaluation = executor.evaluate(problem, "python", right, cases)
        self.assertEqual(evaluation.summary.verdict.value, "accepted")
        # Wrong on the second case of batch 1 (input 2): batch 1 earns nothing and stops there,
        # batch 2 (which depends on it) is not run; the pretest's point remains: 1 of 26.
        wrong = "x = int(input())\nprint(-1.0 if x == 2 else float(x))\n"
        evaluation = executor.evaluate(problem, "python", wrong, cases)
        self.assertEqual(evaluation.summary.verdict.value, "wrong_answer")
        self.assertEqual(
            [judged.verdict.value for judged in evaluation.judged],
            ["accepted", "accepted", "wrong_answer", "skipped"] + ["skipped"] * 4,
        )
        self.assertAlmostEqual(float(evaluation.summary.score), 1 / 26, places=3)  # 4 digits
