"""factory_boy factories for every model; the defaults make a valid, visible Python problem."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from courses import models


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("password")


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Course

    title = factory.Sequence(lambda n: f"Course {n}")
    slug = factory.Sequence(lambda n: f"course-{n}")
    is_published = True


class ChapterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Chapter

    course = factory.SubFactory(CourseFactory)
    title = factory.Sequence(lambda n: f"Chapter {n}")
    order = factory.Sequence(lambda n: n)


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Enrollment

    user = factory.SubFactory(UserFactory)
    course = factory.SubFactory(CourseFactory)


class ProblemFactory(factory.django.DjangoModelFactory):
    """A function-style Python problem ``solve(a, b) -> a + b`` checked as JSON."""

    class Meta:
        model = models.Problem

    chapter = factory.SubFactory(ChapterFactory)
    title = factory.Sequence(lambda n: f"Problem {n}")
    statement = "Return a + b."
    is_visible = True
    io_mode = models.Problem.IoMode.FUNCTION
    entry_point = "solve"
    checker = models.Problem.Checker.JSON
    allowed_languages = factory.LazyFunction(lambda: ["python", "c", "cpp"])
    time_limit_ms = 1000
    memory_limit_kb = 128 * 1024


class ProblemTestCaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.ProblemTestCase

    problem = factory.SubFactory(ProblemFactory)
    order = factory.Sequence(lambda n: n)
    input = factory.Sequence(lambda n: json.dumps([n, 1]))
    expected_output = factory.Sequence(lambda n: json.dumps(n + 1))
    weight = 1


class ReferenceSolutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.ReferenceSolution

    problem = factory.SubFactory(ProblemFactory)
    language = "python"
    code = "def solve(a, b):\n    return a + b\n"


class SubmissionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Submission

    user = factory.SubFactory(UserFactory)
    problem = factory.SubFactory(ProblemFactory)
    language = "python"
    code = "def solve(a, b):\n    return a + b\n"


class ProblemProgressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.ProblemProgress

    user = factory.SubFactory(UserFactory)
    problem = factory.SubFactory(ProblemFactory)


class DiscussionThreadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.DiscussionThread

    course = factory.SubFactory(CourseFactory)
    author = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Thread {n}")
    body = "A question."


class DiscussionReplyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.DiscussionReply

    thread = factory.SubFactory(DiscussionThreadFactory)
    author = factory.SubFactory(UserFactory)
    body = "An answer."


class ExamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Exam

    course = factory.SubFactory(CourseFactory)
    title = factory.Sequence(lambda n: f"Exam {n}")
    opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))
    closes_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))
    duration_minutes = 60


class ExamProblemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.ExamProblem

    exam = factory.SubFactory(ExamFactory)
    problem = factory.SubFactory(ProblemFactory)
    score = Decimal("10")
    order = factory.Sequence(lambda n: n)


class ExamAttemptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.ExamAttempt

    exam = factory.SubFactory(ExamFactory)
    user = factory.SubFactory(UserFactory)
    started_at = factory.LazyFunction(timezone.now)
    deadline = factory.LazyAttribute(lambda a: a.started_at + timedelta(minutes=60))


def course_with_progress(size: int) -> tuple[models.Course, object]:
    """A published course of ``size`` practice problems in 10 chapters, an exam, and a student
    who attempted a third of them, solved a sixth and made one late submission: what the course
    page and progress reads are measured on (``test_read_queries.py``, ``bench/progress_read.py``).
    """
    student = UserFactory()
    course = CourseFactory(late_policy="penalty", late_penalty_percent_per_day=10)
    chapters = models.Chapter.objects.bulk_create(
        [models.Chapter(course=course, title=f"Chapter {i}", order=i) for i in range(10)]
    )
    problems = models.Problem.objects.bulk_create(
        [
            models.Problem(chapter=chapters[i % 10], title=f"P{i}", order=i, is_visible=True)
            for i in range(size)
        ]
    )
    models.Enrollment.objects.create(user=student, course=course)
    now = timezone.now()
    models.ProblemProgress.objects.bulk_create(
        [
            models.ProblemProgress(
                user=student,
                problem=p,
                status="solved" if i % 6 == 0 else "attempted",
                attempts=1,
                best_score=Decimal(1 if i % 6 == 0 else 0),
                first_solved_at=now if i % 6 == 0 else None,
                last_submitted_at=now,
            )
            for i, p in enumerate(problems)
            if i % 3 == 0
        ]
    )
    models.Submission.objects.create(
        user=student, problem=problems[0], code="x", status="accepted", score=1, late_days=2
    )
    models.Exam.objects.create(
        course=course,
        title="Midterm",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=1),
        duration_minutes=60,
    )
    return course, student
