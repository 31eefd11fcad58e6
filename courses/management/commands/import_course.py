"""``manage.py import_course FILE [--slug NEW] [--instructor USERNAME] [--no-judge]``."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from courses.judging.errors import JudgeError
from courses.management.commands._package_progress import StepBars
from courses.services.errors import ServiceError
from courses.services.packages import package_import_course


class Command(BaseCommand):
    help = (
        "Import a course package as a new course. Everything is checked and every reference "
        "solution judged before anything is written, in one transaction; a taken slug needs "
        "--slug."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="The package zip.")
        parser.add_argument("--slug", default="", help="Import under this slug instead.")
        parser.add_argument(
            "--instructor", default="", help="A username to make the course's instructor."
        )
        parser.add_argument(
            "--no-judge",
            action="store_true",
            help="Do not wait for the reference solutions' judging: they are judged in the "
            "background after the import, as after an edit (for hosts without a sandbox).",
        )

    def handle(self, *args, file: str, slug: str, instructor: str, no_judge: bool, **options):
        user = None
        if instructor:
            user = get_user_model().objects.filter(username=instructor).first()
            if user is None:
                raise CommandError(f"No user named {instructor!r}.")
        try:
            data = Path(file).read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from exc
        bars = StepBars(self.stderr._out)
        try:
            result = package_import_course(
                data=data, user=user, slug=slug, judge=not no_judge, progress=bars
            )
        except ServiceError as exc:
            raise CommandError(f"{exc.code}: {exc.message} Nothing was imported.") from exc
        except JudgeError as exc:
            raise CommandError(
                f"The judge could not run the reference solutions ({exc.message}); nothing was "
                "imported. Try again, or pass --no-judge."
            ) from exc
        finally:
            bars.close()
        course = result.course
        self.stdout.write(
            f"Imported {course.slug!r} (id {course.pk}): {result.problems} problems, "
            f"{result.cases} cases, {result.reference_solutions} reference solutions "
            f"({'judged: all accepted' if result.judged else 'judging in the background'}), "
            f"{result.exams} exams."
        )
