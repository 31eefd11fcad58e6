"""`manage.py seed_demo`: the demo course the quick start promises, loaded idempotently."""

from __future__ import annotations

import io
import zoneinfo
from datetime import timedelta

from django.apps import apps
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from courses import demo
from courses.judging.languages import LANGUAGES
from courses.models import (
    Chapter,
    Course,
    DiscussionThread,
    Enrollment,
    Exam,
    ExamProblem,
    Problem,
    ReferenceSolution,
)
from courses.selectors import can_create_courses


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    counts = {
        model._meta.label: model._default_manager.count()
        for model in apps.get_app_config("courses").get_models()
    }
    user_model = get_user_model()
    counts[user_model._meta.label] = user_model.objects.count()
    counts["user permissions"] = user_model.user_permissions.through.objects.count()
    return counts


class SeedDemoIdempotenceTestCase(TestCase):
    def test_running_twice_leaves_the_same_row_counts_for_every_model(self):
        seed()
        first = row_counts()
        seed()
        self.assertEqual(row_counts(), first)
        # The counts cover every model of the app and are not trivially empty.
        self.assertEqual(len(first), len(list(apps.get_app_config("courses").get_models())) + 2)
        for label in ("courses.Problem", "courses.ProblemTestCase", "courses.DiscussionReply"):
            self.assertGreater(first[label], 0, label)

    def test_running_twice_keeps_the_same_rows(self):
        seed()
        problems = set(Problem.objects.values_list("pk", "title", "order"))
        course = Course.objects.get()
        seed()
        self.assertEqual(set(Problem.objects.values_list("pk", "title", "order")), problems)
        self.assertEqual(Course.objects.get().pk, course.pk)

    def test_running_twice_keeps_the_homework_due_date_and_the_roles(self):
        seed()
        chapter = Chapter.objects.get(order=demo.HOMEWORK_CHAPTER)
        roles = set(Enrollment.objects.values_list("user__username", "role", "status"))
        seed()
        chapter_again = Chapter.objects.get(order=demo.HOMEWORK_CHAPTER)
        self.assertEqual(chapter_again.due_at, chapter.due_at)
        self.assertEqual(
            set(Enrollment.objects.values_list("user__username", "role", "status")), roles
        )

    def test_rerun_does_not_reset_a_changed_password(self):
        seed()
        student = get_user_model().objects.get(username="student")
        student.set_password("changed-by-student")
        student.save()
        seed()
        self.assertIsNotNone(authenticate(username="student", password="changed-by-student"))


class SeedDemoContentTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.output = seed()
        cls.course = Course.objects.get(slug=demo.COURSE["slug"])

    def test_course_is_published_with_two_chapters(self):
        self.assertEqual(self.course.title, "Introduction to Python")
        self.assertTrue(self.course.is_published)
        self.assertEqual(self.course.chapters.count(), 2)
        self.course.full_clean()

    def test_at_least_six_problems_of_every_io_mode(self):
        problems = Problem.objects.filter(chapter__course=self.course)
        self.assertGreaterEqual(problems.count(), 6)
        modes = set(problems.values_list("io_mode", flat=True))
        self.assertEqual(modes, set(Problem.IoMode.values))

    def test_a_problem_of_each_kind_of_issue_14(self):
        problems = Problem.objects.filter(chapter__course=self.course)
        tests = problems.get(io_mode=Problem.IoMode.TESTS)
        self.assertEqual(tests.test_cases.count(), 5)
        checker = problems.get(checker=Problem.Checker.CUSTOM)
        self.assertEqual(checker.checker_language, "python")
        with_subtasks = problems.filter(subtasks__isnull=False).distinct().get()
        self.assertEqual(
            [
                (s.points, [d.order for d in s.depends_on.all()])
                for s in with_subtasks.subtasks.all()
            ],
            [(30, []), (70, [1])],
        )
        self.assertFalse(with_subtasks.test_cases.filter(subtask__isnull=True).exists())
        for problem in problems:
            with self.subTest(problem=problem.title):
                problem.full_clean()
                self.assertTrue(problem.is_visible)
                if problem.io_mode == Problem.IoMode.FUNCTION:
                    self.assertTrue(problem.entry_point)

    def test_there_is_one_c_and_one_cpp_problem(self):
        languages = [
            p.allowed_languages for p in Problem.objects.filter(chapter__course=self.course)
        ]
        self.assertEqual(languages.count(["c"]), 1)
        self.assertEqual(languages.count(["cpp"]), 1)
        self.assertIn(["python"], languages)

    def test_every_problem_has_a_reference_solution_in_its_language(self):
        for problem in Problem.objects.filter(chapter__course=self.course):
            with self.subTest(problem=problem.title):
                solutions = list(problem.reference_solutions.all())
                self.assertEqual(len(solutions), 1)
                self.assertIn(solutions[0].language, problem.allowed_languages)
                self.assertIn(solutions[0].language, LANGUAGES)
                self.assertTrue(solutions[0].code.strip())
        self.assertEqual(
            ReferenceSolution.objects.count(),
            Problem.objects.filter(chapter__course=self.course).count(),
        )

    def test_reference_solutions_are_the_demo_references_not_the_wrong_variants(self):
        specs = {spec.title: spec for spec in demo.PROBLEMS}
        for solution in ReferenceSolution.objects.select_related("problem"):
            with self.subTest(problem=solution.problem.title):
                spec = specs[solution.problem.title]
                self.assertEqual(solution.code, spec.reference)
                self.assertNotEqual(solution.code, spec.wrong)

    def test_every_problem_has_sample_and_hidden_cases(self):
        for problem in Problem.objects.filter(chapter__course=self.course):
            with self.subTest(problem=problem.title):
                samples = problem.test_cases.filter(is_sample=True).count()
                hidden = problem.test_cases.filter(is_sample=False).count()
                self.assertGreaterEqual(samples, 1)
                self.assertGreaterEqual(hidden, 1)

    def test_exam_over_three_problems_is_open_now_and_for_years(self):
        exam = Exam.objects.get(course=self.course)
        now = timezone.now()
        self.assertLessEqual(exam.opens_at, now)
        self.assertGreater(exam.closes_at - now, timedelta(days=365))
        problems = [ep.problem.title for ep in exam.exam_problems.select_related("problem")]
        self.assertEqual(len(problems), 3)
        self.assertEqual(set(problems), set(demo.EXAM_PROBLEMS))
        # Its problems are its own: exam-only, so the practice problems are in no open exam
        # (practised with full feedback, discussed) and the exam's are neither while it is open.
        self.assertTrue(all(ep.problem.is_exam_only for ep in exam.exam_problems.all()))
        practice = Problem.objects.filter(chapter__course=self.course, is_exam_only=False)
        self.assertFalse(ExamProblem.objects.filter(problem__in=practice).exists())
        self.assertEqual(practice.count(), len(demo.PROBLEMS) - len(demo.EXAM_PROBLEMS))
        self.assertEqual(exam.total_score, sum(ep.score for ep in exam.exam_problems.all()))
        self.assertGreater(exam.total_score, 0)

    def test_thread_with_replies(self):
        thread = DiscussionThread.objects.get(course=self.course)
        self.assertGreaterEqual(thread.replies.count(), 2)
        self.assertEqual(thread.reply_count, thread.replies.count())

    def test_users_can_log_in_with_their_passwords(self):
        for username in ("instructor", "assistant", "student", "student2"):
            with self.subTest(username=username):
                user = authenticate(username=username, password=username)
                self.assertIsNotNone(user)
                self.assertEqual(user.username, username)
                self.assertIsNone(authenticate(username=username, password="wrong"))

    def test_instructor_teaches_and_student_attends_the_course(self):
        roles = dict(
            Enrollment.objects.filter(course=self.course).values_list("user__username", "role")
        )
        self.assertEqual(roles["instructor"], Enrollment.Role.INSTRUCTOR)
        self.assertEqual(roles["student"], Enrollment.Role.STUDENT)
        self.assertFalse(get_user_model().objects.get(username="instructor").is_superuser)
        self.assertFalse(get_user_model().objects.get(username="student").is_staff)

    def test_every_role_is_there(self):
        roles = dict(
            Enrollment.objects.filter(course=self.course).values_list("user__username", "role")
        )
        self.assertEqual(
            roles,
            {
                "instructor": Enrollment.Role.INSTRUCTOR,
                "assistant": Enrollment.Role.ASSISTANT,
                "student": Enrollment.Role.STUDENT,
                "student2": Enrollment.Role.STUDENT,
            },
        )
        users = get_user_model().objects
        self.assertTrue(can_create_courses(users.get(username="instructor")))
        for username in ("assistant", "student", "student2"):
            with self.subTest(username=username):
                user = users.get(username=username)
                self.assertFalse(can_create_courses(user))
                self.assertFalse(user.is_staff or user.is_superuser)

    def test_a_homework_chapter_is_due_in_the_future_with_a_late_penalty(self):
        chapters = list(self.course.chapters.order_by("order"))
        homework = chapters[demo.HOMEWORK_CHAPTER]
        self.assertGreater(homework.due_at, timezone.now() + timedelta(days=7))
        local = homework.due_at.astimezone(zoneinfo.ZoneInfo(self.course.time_zone))
        self.assertEqual((local.hour, local.minute), (23, 59))
        self.assertEqual([c.due_at for c in chapters if c != homework], [None])
        self.assertEqual(self.course.late_policy, Course.LatePolicy.PENALTY)
        self.assertEqual(self.course.late_penalty_percent_per_day, 10)

    def test_command_says_how_to_log_in(self):
        for pair in ("instructor/instructor", "assistant/assistant", "student2/student2"):
            self.assertIn(pair, self.output)

    def test_instructor_logs_into_the_admin_and_sees_the_demo_course(self):
        response = self.client.post(
            reverse("admin:login"),
            {"username": "instructor", "password": "instructor", "next": reverse("admin:index")},
        )
        self.assertRedirects(response, reverse("admin:index"))
        response = self.client.get(reverse("admin:courses_course_changelist"))
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Introduction to Python")
        self.assertEqual(list(response.context["cl"].result_list), [self.course])
        response = self.client.get(reverse("admin:courses_problem_changelist"))
        self.assertContains(response, "Maximum in C++")

    def test_student_cannot_log_into_the_admin(self):
        response = self.client.post(
            reverse("admin:login"), {"username": "student", "password": "student"}
        )
        self.assertEqual(response.status_code, 200)
        self.assertFalse(response.wsgi_request.user.is_authenticated)
