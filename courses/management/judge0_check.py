"""``judge_check`` for Judge0: reachable, what it allows, and the problems it cannot run."""

from __future__ import annotations

import time

from django.core.management.base import CommandError
from django.db import DatabaseError

from courses.judging.backends.judge0 import Judge0Backend
from courses.judging.errors import JudgeError
from courses.judging.languages import REQUIRED_LANGUAGES
from courses.judging.types import Limits, Outcome, RunRequest


def check_judge0(out, hello: dict[str, str], limits: Limits) -> None:
    """Write the report to ``out``; ``CommandError`` when Judge0 cannot judge or a problem's
    limits are over its maxima (the same refusal as at save, ``authoring.judge_limit_errors``)."""
    from courses.services.authoring import problems_over_judge_limits

    backend = Judge0Backend.from_settings()
    failed: list[str] = []
    try:
        about = backend.client.get("/about", deadline=time.monotonic() + 10)
        deployment = backend.deployment()
    except JudgeError as error:
        raise CommandError(f"Judge0 at {backend.base_url}: {error}") from error
    version = about.get("version") if isinstance(about, dict) else None
    out.write(f"backend: judge0 at {backend.base_url} (version {version or 'unknown'})")
    batches = f"batches of {deployment.batch_size}" if deployment.batched else "no batches"
    out.write(
        f"deployment: {batches}; at most {deployment.max_cpu_time_s} s CPU, "
        f"{deployment.max_wall_time_s} s wall, {deployment.max_memory_kb} KB memory, "
        f"{deployment.max_file_size_kb} KB output"
        + ("" if deployment.read else " (Judge0's defaults: /config_info unreadable)")
    )
    for key in sorted(REQUIRED_LANGUAGES):
        started = time.monotonic()
        try:
            (result,) = backend.run_batch([RunRequest(key, hello[key], b"", limits)])
            ok = result.outcome == Outcome.OK and result.stdout == b"hello, world\n"
            detail = "ok" if ok else result.outcome.value
        except JudgeError as error:
            ok, detail = False, f"error {error.message[:300]}"
        out.write(f"{key}: hello-world {detail} in {(time.monotonic() - started) * 1000:.0f} ms")
        if not ok:
            failed.append(f"hello-world in {key}")
    try:
        over = problems_over_judge_limits()
    except DatabaseError as error:
        out.write(f"problems: not checked (database unavailable: {error})")
        over = []
    for problem, errors in over:
        out.write(f"problem #{problem.pk} {problem.title!r}: " + "; ".join(errors.values()))
    if over:
        failed.append(f"{len(over)} problem(s) with limits over this Judge0's maxima")
    if failed:
        raise CommandError("judge_check failed: " + ", ".join(failed))
