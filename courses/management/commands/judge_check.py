"""``python manage.py judge_check``: can this host judge code, and how well isolated?

Prints the backend, the isolation mode (``full``, ``rlimits``, ``none``) with what it is made
of or what is missing, which of the sandbox's guarantees hold on this host (and which do not),
each installed language's version, and a hello-world run per language with its outcome and
time. A language whose toolchain is absent is reported with what to install. Exits non-zero
when an installed language cannot run hello-world (a broken sandbox), and, under
``COURSES_REQUIRE_SANDBOX=1`` (CI), when the toolchain of a default language (python, c, cpp)
is missing; deployment scripts and CI gate on it. Needs no database.

With ``COURSES_JUDGE_BACKEND=judge0`` it checks the configured Judge0 instead (``judge0_check``):
its version and ``/config_info`` (batches, maxima), a hello-world per required language, and
every problem whose limits that Judge0 cannot run, which fails the check as it fails a save.
"""

from __future__ import annotations

import os
import subprocess
import time

from django.core.management.base import BaseCommand, CommandError

from courses.judging.backends.local import LocalSandboxBackend
from courses.judging.errors import JudgeError
from courses.judging.languages import LANGUAGES, REQUIRED_LANGUAGES, missing_toolchain
from courses.judging.types import Limits, Outcome, RunRequest

HELLO = {
    "python": 'print("hello, world")\n',
    "c": '#include <stdio.h>\nint main(void){puts("hello, world");return 0;}\n',
    "cpp": '#include <iostream>\nint main(){std::cout<<"hello, world"<<std::endl;}\n',
    "javascript": 'console.log("hello, world");\n',
    "java": "public class Main { public static void main(String[] a) "
    '{ System.out.println("hello, world"); } }\n',
}
LIMITS = Limits(cpu_time_ms=5000, wall_time_ms=10000, memory_kb=512 * 1024)


def _version(argv: tuple[str, ...]) -> str:
    try:
        proc = subprocess.run(list(argv), capture_output=True, timeout=20, env={})
    except (OSError, subprocess.SubprocessError) as exc:
        return f"unavailable ({exc})"
    text = (proc.stdout or proc.stderr).decode(errors="replace").strip()
    return text.splitlines()[0] if text else f"exit {proc.returncode}"


class Command(BaseCommand):
    help = "Report the judging backend, sandbox isolation and a hello-world run per language."
    requires_system_checks: list = []
    requires_migrations_checks = False

    def handle(self, *args, **options) -> None:
        from django.conf import settings

        if getattr(settings, "COURSES_JUDGE_BACKEND", "local") == "judge0":
            from courses.management.judge0_check import check_judge0

            check_judge0(self.stdout, HELLO, LIMITS)
            return
        backend = LocalSandboxBackend(one_process=False, pool_size=0)
        iso = backend.isolation
        self.stdout.write(f"backend: {backend.name}")
        self.stdout.write(f"isolation: {iso.mode or 'unavailable'} ({iso.detail})")
        self.stdout.write("guarantees on this host:")
        for holds, text in backend.guarantees():
            mark = "n/a" if holds is None else "yes" if holds else "no "
            self.stdout.write(f"  [{mark}] {text}")
        failed = []
        required = os.environ.get("COURSES_REQUIRE_SANDBOX") == "1"
        for key, lang in LANGUAGES.items():
            missing = missing_toolchain(key)
            if missing:
                self.stdout.write(f"{key}: not installed: {missing}")
                if key in REQUIRED_LANGUAGES and required:
                    failed.append(key)
                continue
            version = _version(lang.version_argv)
            started = time.monotonic()
            try:
                (result,) = backend.run_batch([RunRequest(key, HELLO[key], b"", LIMITS)])
                ok = result.outcome == Outcome.OK and result.stdout == b"hello, world\n"
                verdict = result.outcome.value if not ok else "ok"
                detail = "" if ok else " " + (result.compile_output or result.stderr.decode(
                    errors="replace"))[:300].replace("\n", " | ")  # fmt: skip
            except JudgeError as exc:
                ok, verdict, detail = False, "error", f" {exc.message[:300]}"
            elapsed_ms = (time.monotonic() - started) * 1000
            self.stdout.write(
                f"{key}: {version}; hello-world {verdict} in {elapsed_ms:.0f} ms{detail}"
            )
            if not ok and key in REQUIRED_LANGUAGES:
                failed.append(key)
        backend.close()
        if failed:
            raise CommandError("hello-world failed for: " + ", ".join(failed))
