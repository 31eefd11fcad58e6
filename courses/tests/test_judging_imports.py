"""The judging package imports no ORM, and backends are chosen lazily by name or path."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import unittest
from pathlib import Path
from unittest import mock

from django.test import SimpleTestCase, override_settings

import courses.judging
from courses.judging import backends
from courses.judging.backends import BACKENDS, backend_class, get_backend
from courses.judging.errors import BackendConfigurationError
from courses.judging.types import RunResult
from courses.tests.scripted_backend import ScriptedBackend

PACKAGE_DIR = Path(courses.judging.__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parents[1]
FORBIDDEN = ("django.db", "courses.models")


def package_of(path: Path) -> str:
    """The package a source file's relative imports are resolved against."""
    dotted = ".".join(path.relative_to(REPO_ROOT).with_suffix("").parts)
    return (
        dotted.removesuffix(".__init__")
        if path.name == "__init__.py"
        else dotted.rpartition(".")[0]
    )


def imported_modules(source: str, package: str) -> list[str]:
    """Absolute names of every module imported by ``source``, relative imports resolved."""
    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            names.append(base)
            names.extend(f"{base}.{alias.name}" for alias in node.names)
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            names.append(str(node.args[0].value))
    return names


def is_forbidden(name: str) -> bool:
    return any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN)


class NoOrmImportsTestCase(unittest.TestCase):
    def test_the_checker_itself_sees_forbidden_imports(self):
        self.assertTrue(is_forbidden("django.db.models"))
        self.assertTrue(is_forbidden("courses.models"))
        self.assertFalse(is_forbidden("django.dbx"))
        self.assertFalse(is_forbidden("django.conf"))

    def test_relative_and_from_imports_are_resolved(self):
        source = (
            "from ... import models\n"
            "from django import db\n"
            "import importlib\n"
            "importlib.import_module('courses.models.problem')\n"
        )
        names = imported_modules(source, "courses.judging.backends")
        self.assertIn("courses.models", names)
        self.assertIn("django.db", names)
        self.assertIn("courses.models.problem", names)
        self.assertEqual(
            package_of(PACKAGE_DIR / "backends" / "__init__.py"), "courses.judging.backends"
        )
        self.assertEqual(package_of(PACKAGE_DIR / "types.py"), "courses.judging")

    def test_no_source_file_of_the_package_imports_the_orm(self):
        files = sorted(PACKAGE_DIR.rglob("*.py"))
        self.assertGreater(len(files), 8)
        for path in files:
            with self.subTest(file=str(path.relative_to(REPO_ROOT))):
                names = imported_modules(path.read_text(encoding="utf-8"), package_of(path))
                self.assertEqual([name for name in names if is_forbidden(name)], [])

    def test_importing_every_module_loads_no_orm(self):
        """In a fresh interpreter without django.setup(), import every module of the package."""
        modules = sorted(
            ".".join(p.relative_to(REPO_ROOT).with_suffix("").parts).removesuffix(".__init__")
            for p in PACKAGE_DIR.rglob("*.py")
        )
        script = (
            "import importlib, json, sys\n"
            f"for name in {modules!r}:\n"
            "    importlib.import_module(name)\n"
            "print(json.dumps(sorted(sys.modules)))\n"
        )
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
        proc = subprocess.run(
            [sys.executable, "-c", script],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        self.assertEqual(proc.returncode, 0, proc.stderr)
        loaded = json.loads(proc.stdout)
        self.assertIn("courses.judging.verdicts", loaded)
        self.assertEqual([name for name in loaded if is_forbidden(name)], [])

    def test_choosing_a_backend_module_is_lazy(self):
        script = (
            "import sys\n"
            "import courses.judging.backends\n"
            "print(sorted(m for m in sys.modules if m.startswith('courses.judging.backends.')))\n"
        )
        proc = subprocess.run(
            [sys.executable, "-c", script],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout.strip(), "['courses.judging.backends.base']")


class FromSettingsBackend(ScriptedBackend):
    built_with = None

    @classmethod
    def from_settings(cls):
        backend = cls(RunResult("ok", stdout=b"configured"))
        backend.built_with = "from_settings"
        return backend


class NotABackend:
    pass


class GetBackendTestCase(SimpleTestCase):
    def test_names_map_to_the_two_real_backends(self):
        self.assertEqual(
            BACKENDS,
            {
                "local": "courses.judging.backends.local.LocalSandboxBackend",
                "judge0": "courses.judging.backends.judge0.Judge0Backend",
            },
        )

    @override_settings(COURSES_JUDGE_BACKEND="courses.tests.scripted_backend.ScriptedBackend")
    def test_settings_choose_the_backend_when_no_name_is_given(self):
        self.assertIsInstance(get_backend(), ScriptedBackend)

    def test_a_dotted_path_can_inject_a_backend(self):
        backend = get_backend(f"{__name__}.FromSettingsBackend")
        self.assertEqual(backend.built_with, "from_settings")
        self.assertIsInstance(
            get_backend("courses.tests.scripted_backend.ScriptedBackend"), ScriptedBackend
        )

    def test_a_short_name_is_resolved_through_the_table(self):
        with mock.patch.dict(backends.BACKENDS, {"local": f"{__name__}.FromSettingsBackend"}):
            self.assertIs(backend_class("local"), FromSettingsBackend)
            with override_settings(COURSES_JUDGE_BACKEND="local"):
                self.assertEqual(get_backend().built_with, "from_settings")

    def test_unknown_names_are_configuration_errors(self):
        for name in ("", "docker", "courses.judging.backends.nope.Backend", f"{__name__}.Missing"):
            with self.subTest(name=name), self.assertRaises(BackendConfigurationError) as caught:
                get_backend(name)
            self.assertIn(repr(name), str(caught.exception))

    def test_a_class_that_is_not_a_backend_is_refused(self):
        with self.assertRaisesRegex(BackendConfigurationError, "JudgeBackend"):
            get_backend(f"{__name__}.NotABackend")
