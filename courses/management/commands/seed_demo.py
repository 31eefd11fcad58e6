"""Load the demo course idempotently: running it twice changes nothing."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from courses import demo
from courses.models import (
    Chapter,
    Course,
    DiscussionThread,
    Enrollment,
    Exam,
    ExamProblem,
    Problem,
    ProblemTestCase,
    ReferenceSolution,
    Subtask,
)
from courses.services.accounts import course_creator_set
from courses.services.discussions import reply_create
from courses.services.exams import exam_recompute_scores

#: A fixed exam window, long enough to stay open for years.
EXAM_OPENS_AT = datetime(2025, 1, 1, tzinfo=UTC)
EXAM_CLOSES_AT = datetime(2100, 1, 1, tzinfo=UTC)


def ensure_user(username: str, password: str, *, is_staff: bool = False):
    user, created = get_user_model().objects.get_or_create(
        username=username, defaults={"is_staff": is_staff, "email": f"{username}@example.com"}
    )
    if created:
        user.set_password(password)
        user.save(update_fields=["password"])
    return user


def homework_due_at(course: Course) -> datetime:
    """``HOMEWORK_DUE_IN_DAYS`` from today, at 23:59 where the course is taught."""
    zone = zoneinfo.ZoneInfo(course.time_zone)
    day = timezone.now().astimezone(zone).date() + timedelta(days=demo.HOMEWORK_DUE_IN_DAYS)
    return datetime.combine(day, time(23, 59), tzinfo=zone)


class Command(BaseCommand):
    help = (
        "Create the demo course (a homework chapter with a due date, a late penalty), its users "
        "(instructor, assistant, student, student2: password = username) and exam."
    )

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        instructor = ensure_user("instructor", "instructor", is_staff=True)
        instructor.user_permissions.add(
            *Permission.objects.filter(content_type__app_label="courses"),
            *Permission.objects.filter(codename="view_user"),
        )
        course_creator_set(user=instructor, allowed=True)
        assistant = ensure_user("assistant", "assistant")
        student = ensure_user("student", "student")
        student2 = ensure_user("student2", "student2")

        course, _ = Course.objects.update_or_create(
            slug=demo.COURSE["slug"],
            defaults={**demo.COURSE, "is_published": True},
        )
        for user, role in (
            (instructor, "instructor"),
            (assistant, "assistant"),
            (student, "student"),
            (student2, "student"),
        ):
            Enrollment.objects.get_or_create(user=user, course=course, defaults={"role": role})
        chapters = [
            Chapter.objects.update_or_create(course=course, order=i, defaults={"title": title})[0]
            for i, title in enumerate(demo.CHAPTERS)
        ]
        homework = chapters[demo.HOMEWORK_CHAPTER]
        if homework.due_at is None:  # set once: running again must not move the deadline
            homework.due_at = homework_due_at(course)
            homework.save(update_fields=["due_at"])
        due = homework.due_at.astimezone(zoneinfo.ZoneInfo(course.time_zone))
        problems = {}
        for order, spec in enumerate(demo.PROBLEMS):
            problem, _ = Problem.objects.update_or_create(
                chapter=chapters[spec.chapter],
                title=spec.title,
                defaults={
                    "statement": spec.statement,
                    "order": order,
                    "io_mode": spec.io_mode,
                    "entry_point": spec.entry_point,
                    "checker": spec.checker,
                    "allowed_languages": [spec.language],
                    "starter_code": {spec.language: spec.starter_code} if spec.starter_code else {},
                    "setup_code": spec.setup_code,
                    "checker_language": spec.checker_language,
                    "checker_code": spec.checker_code,
                    "is_visible": True,
                    "is_exam_only": spec.exam_only,
                },
            )
            subtask_of_case = seed_subtasks(problem, spec)
            for case_order, case in enumerate(spec.cases):
                ProblemTestCase.objects.update_or_create(
                    problem=problem,
                    order=case_order,
                    defaults={
                        "input": case.input,
                        "expected_output": case.expected_output,
                        "is_sample": case.is_sample,
                        "weight": case.weight,
                        "subtask": subtask_of_case.get(case_order),
                    },
                )
            ReferenceSolution.objects.update_or_create(
                problem=problem, language=spec.language, defaults={"code": spec.reference}
            )
            problems[spec.title] = problem

        exam, _ = Exam.objects.update_or_create(
            course=course,
            title="Midterm",
            defaults={
                "opens_at": EXAM_OPENS_AT,
                "closes_at": EXAM_CLOSES_AT,
                "duration_minutes": 90,
                "passing_percentage": Decimal("50"),
            },
        )
        in_exam = [problems[title] for title in demo.EXAM_PROBLEMS]
        # Seeding again over an older demo: its exam used practice problems, which leave it.
        ExamProblem.objects.filter(exam=exam).exclude(problem__in=in_exam).delete()
        for order, problem in enumerate(in_exam):
            ExamProblem.objects.update_or_create(
                exam=exam, problem=problem, defaults={"order": order, "score": Decimal("10")}
            )
        exam_recompute_scores(exam_id=exam.pk)

        # About a practice problem (an exam's problems are not discussed while it is open).
        thread, created = DiscussionThread.objects.get_or_create(
            course=course,
            title="How do I read input?",
            defaults={
                "author": student,
                "problem": problems["Average"],
                "body": "In Average, how do I read the numbers on the line?",
            },
        )
        if created:
            # The reply signal keeps the thread's reply_count and last_activity_at.
            for author, body in (
                (instructor, "Use `input().split()` and convert each piece with `float`."),
                (student, "Thanks, that worked!"),
            ):
                reply_create(thread=thread, author=author, body=body)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo course '{course.title}': {len(problems)} problems, exam '{exam.title}', "
                f"homework '{homework.title}' due {due:%Y-%m-%d %H:%M %Z}. Log in as "
                "instructor/instructor, assistant/assistant, student/student or "
                "student2/student2."
            )
        )


def seed_subtasks(problem: Problem, spec: demo.DemoProblem) -> dict[int, Subtask]:
    """The problem's subtasks as the spec says; ``{case index: subtask}``."""
    made: list[Subtask] = []
    of_case: dict[int, Subtask] = {}
    for order, sub in enumerate(spec.subtasks, start=1):
        subtask, _ = Subtask.objects.update_or_create(
            problem=problem,
            order=order,
            defaults={
                "name": sub.name,
                "points": sub.points,
                "scoring": sub.scoring,
                "short_circuit": sub.short_circuit,
            },
        )
        subtask.depends_on.set([made[index] for index in sub.depends_on])
        made.append(subtask)
        of_case.update((index, subtask) for index in sub.cases)
    return of_case
