"""``manage.py export_course SLUG [-o FILE]``: a course as a package zip (package-format.md)."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from courses.management.commands._package_progress import StepBars
from courses.models import Course
from courses.services.errors import ServiceError
from courses.services.packages import package_export_course, package_filename


class Command(BaseCommand):
    help = (
        "Write a course (chapters, problems, statements, cases, reference solutions, exams) as "
        "a package zip; the same course always gives the same bytes."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug", help="The course's slug.")
        parser.add_argument(
            "-o", "--output", help="The zip to write (default: SLUG.codecourses.zip); - for stdout."
        )

    def handle(self, *args, slug: str, output: str | None, **options) -> None:
        course = Course.objects.filter(slug=slug).first()
        if course is None:
            raise CommandError(f"No course with the slug {slug!r}.")
        bars = StepBars(self.stderr._out)
        try:
            data = package_export_course(course=course, progress=bars)
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        finally:
            bars.close()
        if output == "-":
            sys.stdout.buffer.write(data)
            return
        path = Path(output or package_filename(slug))
        path.write_bytes(data)
        self.stdout.write(f"Wrote {path} ({len(data)} bytes).")
