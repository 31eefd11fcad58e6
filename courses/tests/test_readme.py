"""The README's curl blocks work as written, against a live server with the demo data.

Every ```sh block between ``<!-- readme-replay:start -->`` and ``<!-- readme-replay:end -->``
runs, in order, in one bash process (variables carry from block to block, as in a reader's
shell), with only the server's address changed: the live server's instead of
``http://127.0.0.1:8000``. Judging is the embedded default's: inline, on the real local sandbox.
Every curl of the README uses ``--fail-with-body``, so any 4xx or 5xx stops the replay.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.test import LiveServerTestCase, override_settings

from courses.tests.sandbox_fixtures import requires_sandbox

README = Path(settings.BASE_DIR) / "README.md"
MAKE_RUN_ADDRESS = "http://127.0.0.1:8000"
BLOCK = re.compile(r"```sh\n(.*?)```", re.S)


def replayed_script() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("<!-- readme-replay:start -->")
    end = text.index("<!-- readme-replay:end -->")
    return "\n".join(BLOCK.findall(text[start:end]))


class ReadmeFilesTestCase(unittest.TestCase):
    def test_every_image_and_document_the_readme_names_exists(self):
        text = README.read_text(encoding="utf-8")
        paths = re.findall(r"\]\(((?:docs|bench)/[^)\s]+)\)", text)
        paths += re.findall(r"`((?:docs|bench)/[\w./-]+\.(?:md|py|png))`", text)
        self.assertTrue(paths)
        for path in paths:
            with self.subTest(path=path):
                self.assertTrue((README.parent / path).is_file(), f"README names {path}")


class ReadmeScriptTestCase(unittest.TestCase):
    def test_the_replayed_blocks_are_there_and_speak_to_make_run(self):
        script = replayed_script()
        self.assertIn(f"API={MAKE_RUN_ADDRESS}/api/v1", script)
        self.assertGreater(script.count("curl "), 30)
        self.assertEqual(script.count("curl -sS --fail-with-body"), script.count("curl "))


@requires_sandbox
@override_settings(COURSES_SIGNUP_OPEN=True)
class ReadmeReplayTestCase(LiveServerTestCase):
    def setUp(self):
        super().setUp()
        missing = [tool for tool in ("bash", "curl", "jq") if shutil.which(tool) is None]
        if missing:
            self.fail(f"the README's commands need {missing} (make test installs them)")
        call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115

    def test_the_readme_curl_blocks_run_against_make_runs_demo_data(self):
        script = replayed_script().replace(MAKE_RUN_ADDRESS, self.live_server_url)
        with tempfile.TemporaryDirectory() as workdir:
            done = subprocess.run(
                ["bash", "-c", "set -euo pipefail\n" + script],
                cwd=workdir,
                capture_output=True,
                text=True,
                timeout=600,
            )
            gradebook = (Path(workdir) / "gradebook.csv").read_text(encoding="utf-8")
        self.assertEqual(done.returncode, 0, f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}")
        out = done.stdout
        # The wrong solution fails on the samples and as a submission; the right one passes.
        self.assertIn('"status": "wrong_answer"', out)
        self.assertIn('"status": "accepted"', out)
        self.assertIn('"solved": 1', out)
        # The instructor's zip made a sample and two hidden cases, and the reference solution
        # was judged accepted on them.
        self.assertIn('"name": "sample1"', out)
        self.assertRegex(out, r'"language": "python",\s*"status": "accepted"')
        self.assertTrue(gradebook.startswith("username,"), gradebook[:200])
