"""The runtime dependencies of pyproject.toml are enough to run every process of a deployment.

The test suite runs on the dev install, whose tools bring packages of their own (pytest brings
``packaging``): a module the app imports only through them works here and fails on a production
install. An outside probe found exactly that: kombu's Redis transport imports ``packaging``
without declaring it, so ``make install && make stack`` started Celery workers that died at once.
This test imports what each process imports in a child interpreter that may load nothing from
an installed distribution outside the closure of the declared runtime requirements.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from django.test import SimpleTestCase
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]

#: What the deployment's processes load: the web app (gunicorn), the Celery app and its Redis
#: transport (workers, beat), the local sandbox and the Judge0 client.
ENTRY_MODULES = (
    "config.wsgi",
    "config.celery",
    "gunicorn.app.wsgiapp",
    "kombu.transport.redis",
    "celery.bin.celery",
    "courses.judging.backends.local",
    "courses.judging.backends.judge0",
    "courses.tasks",
)

#: Runs in the child: refuses top-level modules of installed distributions outside the closure.
CHILD = """
import importlib, importlib.abc, json, os, sys
allowed, owned = json.loads(sys.argv[1]), json.loads(sys.argv[2])

class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        top = name.partition(".")[0]
        if top in owned and owned[top] not in allowed:
            raise ModuleNotFoundError(
                f"{name} comes from {owned[top]}, not a runtime dependency", name=name)
        return None

sys.meta_path.insert(0, Refuse())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
import django
django.setup()
for module in sys.argv[3:]:
    importlib.import_module(module)
"""


def canonical(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def runtime_closure() -> set[str]:
    """The distributions pyproject's ``dependencies`` need, with theirs (markers evaluated,
    extras only where a requirement asks for them)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    seen: set[str] = {canonical(project["name"])}  # this app itself
    todo = [(Requirement(text), frozenset()) for text in project["dependencies"]]
    while todo:
        requirement, extras = todo.pop()
        if requirement.marker is not None and not any(
            requirement.marker.evaluate({"extra": extra}) for extra in (extras or {""})
        ):
            continue
        name = canonical(requirement.name)
        if name in seen:
            continue
        seen.add(name)
        wanted = frozenset(requirement.extras)
        for text in metadata.distribution(requirement.name).requires or ():
            todo.append((Requirement(text), wanted))
    return seen


def owners() -> dict[str, str]:
    """Top-level module name -> the installed distribution that provides it."""
    found: dict[str, str] = {}
    for dist in metadata.distributions():
        name = canonical(dist.metadata["Name"])
        for file in dist.files or ():
            top = file.parts[0]
            if top.endswith((".dist-info", ".data")) or top in ("..", "__pycache__"):
                continue
            module = top.removesuffix(".py").partition(".")[0]
            if module.isidentifier():
                found.setdefault(module, name)
    return found


class RuntimeDependenciesTestCase(SimpleTestCase):
    def test_every_process_imports_with_the_runtime_dependencies_alone(self):
        owned = {module: dist for module, dist in owners().items() if module != "courses"}
        proc = subprocess.run(
            [
                sys.executable,
                "-c",
                CHILD,
                json.dumps(sorted(runtime_closure())),
                json.dumps(owned),
                *ENTRY_MODULES,
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        self.assertEqual(proc.returncode, 0, proc.stderr[-3000:])

    def test_the_check_refuses_a_dev_only_package(self):
        # The guard itself: pytest is installed here but no runtime dependency.
        owned = owners()
        self.assertEqual(owned.get("pytest"), "pytest")
        proc = subprocess.run(
            [sys.executable, "-c", CHILD, json.dumps(sorted(runtime_closure())),
             json.dumps(owned), "pytest"],
            cwd=ROOT, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("not a runtime dependency", proc.stderr)
