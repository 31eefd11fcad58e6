"""``manage.py import_enrollments FILE --course ID [--skip-unknown] [--role ROLE]``."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from courses.models import Course, Enrollment
from courses.services.enrollment_import import (
    STEPS,
    enrollments_import_identifiers,
    identifiers_from_rows,
    rows_from_csv,
)
from courses.services.errors import ServiceError


class Command(BaseCommand):
    help = (
        "Enroll the users of a CSV file (one username or email per row, an optional header) in "
        "a course, as the API's enrollment import does: unknown users or ambiguous emails abort "
        "it unless --skip-unknown; dropped and removed users are brought back."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="The CSV file (UTF-8), or - for standard input.")
        parser.add_argument("--course", type=int, required=True, help="The course's id.")
        parser.add_argument(
            "--role", default=Enrollment.Role.STUDENT, choices=Enrollment.Role.values
        )
        parser.add_argument(
            "--skip-unknown",
            action="store_true",
            help="Enroll the users found and list the others, instead of importing nothing.",
        )

    def handle(self, *args, file: str, course: int, role: str, skip_unknown: bool, **options):
        target = Course.objects.filter(pk=course).first()
        if target is None:
            raise CommandError(f"No course with id {course}.")
        text = self._read(file)
        # The bar writes raw ``\r`` updates: to the stream under Django's line-ending wrapper.
        stream = self.stderr._out
        with tqdm(total=len(STEPS), desc="import", unit="step", file=stream, leave=False) as bar:

            def progress(step: str) -> None:
                bar.set_postfix_str(step)
                bar.update()

            try:
                names = identifiers_from_rows(rows_from_csv(text))
                bar.set_description(f"import of {len(names)} names")
                report = enrollments_import_identifiers(
                    course=target,
                    identifiers=names,
                    role=role,
                    skip_unknown=skip_unknown,
                    progress=progress,
                )
            except ServiceError as exc:
                raise CommandError(_describe(exc)) from None
        for label, names in (
            ("imported", report.imported),
            ("reactivated", report.reactivated),
            ("already enrolled", report.already_enrolled),
            ("unknown (skipped)", report.unknown),
            ("ambiguous (skipped)", report.ambiguous),
        ):
            line = f"{label}: {len(names)}"
            if names and label != "imported":
                line += " (" + ", ".join(names) + ")"
            self.stdout.write(line)
        self.stdout.write(
            self.style.SUCCESS(f"Done: {target.title} (course {target.pk}), {role}s.")
        )

    def _read(self, file: str) -> str:
        if file == "-":
            return sys.stdin.read()
        try:
            with open(file, encoding="utf-8-sig", newline="") as handle:
                return handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from None


def _describe(exc: ServiceError) -> str:
    lines = [exc.message]
    lines += [f"  {name}: {problem}" for name, problem in exc.fields.items()]
    return "\n".join(lines)
