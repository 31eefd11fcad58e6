"""The home page and a course's page: who sees what, states and progress, enroll and drop."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from django.test import TestCase
from django.urls import reverse

from courses.instant_range import EARLIEST, LATEST
from courses.models import Enrollment
from courses.services.progress import progress_recompute
from courses.tests import factories
from courses.tests.api_support import (
    ApiAssertions,
    RoleWorld,
    judged_submission,
    problem_with_cases,
)
from courses.tests.signals.support import FreshCacheMixin


class HomePageTestCase(FreshCacheMixin, ApiAssertions, TestCase):
    def setUp(self):
        super().setUp()
        self.w = RoleWorld(name="home")

    def test_my_courses_with_progress_and_the_rest_of_the_catalogue(self):
        student = self.w.users["student"]
        progress_recompute(user_id=student.pk, problem_id=self.w.problem.pk)
        self.client.force_login(student)
        joinable = factories.CourseFactory(title="Joinable course")
        page = self.client.get(reverse("web:home")).content.decode()
        mine, catalogue = page.split("<h2>Catalogue</h2>")
        self.assertIn(self.w.course.title, mine)
        self.assertIn("1 of 1 solved", mine)  # the student's accepted submission
        self.assertIn(joinable.title, catalogue)
        self.assertNotIn(self.w.course.title, catalogue)
        self.assertIn(reverse("web:course-enroll", args=[joinable.pk]), catalogue)

    def test_visitors_see_the_published_catalogue_only(self):
        draft = factories.CourseFactory(title="Draft course", is_published=False)
        page = self.client.get(reverse("web:home"))
        self.assertContains(page, self.w.course.title)
        self.assertNotContains(page, draft.title)
        self.assertNotContains(page, "course-enroll")
        self.assertContains(page, reverse("web:login"))


class CoursePageTestCase(FreshCacheMixin, ApiAssertions, TestCase):
    def setUp(self):
        super().setUp()
        self.w = RoleWorld(name="page")
        self.url = reverse("web:course", args=[self.w.course.pk])

    def page(self, role: str):
        if role != "anonymous":
            self.client.force_login(self.w.users[role])
        return self.client.get(self.url)

    def test_a_student_sees_states_points_progress_and_exams_in_the_courses_zone(self):
        student = self.w.users["student"]
        progress_recompute(user_id=student.pk, problem_id=self.w.problem.pk)  # accepted
        attempted = problem_with_cases(chapter=self.w.chapter, order=5, title="Tried problem")
        judged_submission(student, attempted, verdict="wrong_answer")
        progress_recompute(user_id=student.pk, problem_id=attempted.pk)
        self.w.course.time_zone = "Europe/Paris"
        self.w.course.save()
        self.w.exam.opens_at = datetime(2026, 1, 10, 8, 0, tzinfo=UTC)
        self.w.exam.save()
        page = self.page("student")
        self.assertEqual(page.status_code, 200)
        html = page.content.decode()
        self.assertIn("Solved", html)
        self.assertIn("Attempted", html)
        self.assertIn("1 of 2 solved", html)
        self.assertIn("10 Jan 2026, 09:00 CET (Europe/Paris)", html)
        self.assertIn(reverse("web:problem", args=[self.w.problem.pk]), html)
        # Drafts and exam-only problems are not listed for students.
        self.assertNotIn(self.w.draft_problem.title, html)
        self.assertNotIn(self.w.exam_only_problem.title, html)

    def test_times_at_the_ends_of_the_supported_range_show_in_any_zone(self):
        # An exam closing at 9999-12-31T23:59:59Z made this page answer 500 in Europe/Paris;
        # the ends of what is accepted now (``instant_range``) show in every zone.
        for zone, first, last in (
            ("Europe/Paris", "1 Jan 1900, 00:09 PMT", "1 Jan 9001, 00:59 CET"),
            ("Pacific/Kiritimati", "31 Dec 1899, 13:30 LMT", "1 Jan 9001, 13:59 +14"),
            ("Pacific/Pago_Pago", "31 Dec 1899, 12:37 LMT", "31 Dec 9000, 12:59 SST"),
        ):
            with self.subTest(zone=zone):
                course = factories.CourseFactory(time_zone=zone)
                student = factories.UserFactory()  # a cold cache: no role read before
                factories.EnrollmentFactory(user=student, course=course)
                chapter = factories.ChapterFactory(course=course, due_at=LATEST)
                factories.ProblemFactory(chapter=chapter, due_at=EARLIEST)
                factories.ExamFactory(course=course, opens_at=EARLIEST, closes_at=LATEST)
                self.client.force_login(student)
                page = self.client.get(reverse("web:course", args=[course.pk]))
                self.assertEqual(page.status_code, 200)
                html = page.content.decode()
                self.assertIn(f"{first} ({zone}) to {last} ({zone})", html)  # the exam
                self.assertIn(f"Due {last} ({zone})", html)  # the chapter
                self.assertIn(f"due {first} ({zone})", html)  # the problem

    def test_the_staff_see_every_problem_with_its_visibility(self):
        html = self.page("instructor").content.decode()
        self.assertIn(self.w.draft_problem.title, html)
        self.assertIn("Draft", html)
        self.assertIn("Exam only", html)
        self.assertIn(reverse("web:staff-course", args=[self.w.course.pk]), html)

    def test_visitors_and_non_members_see_the_outline_without_states(self):
        for role in ("anonymous", "non_member"):
            with self.subTest(role=role):
                self.client.logout()
                html = self.page(role).content.decode()
                self.assertIn(self.w.problem.title, html)
                self.assertNotIn("My state", html)
                self.assertNotIn(reverse("web:problem", args=[self.w.problem.pk]), html)

    def test_an_unpublished_course_is_not_found_for_outsiders(self):
        self.w.course.is_published = False
        self.w.course.save()
        self.assertEqual(self.page("non_member").status_code, 404)
        self.client.logout()
        self.assertEqual(self.page("anonymous").status_code, 404)
        self.assertEqual(self.page("student").status_code, 200)

    def test_no_hidden_case_data_on_the_page(self):
        html = self.page("instructor").content.decode()
        self.assertNotIn("[1, 2] hidden", html)

    def test_queries_do_not_grow_with_the_number_of_problems(self):
        def count(problems: int) -> int:
            course = factories.CourseFactory()
            chapter = factories.ChapterFactory(course=course)
            for order in range(problems):
                factories.ProblemFactory(chapter=chapter, order=order)
            student = factories.UserFactory()
            factories.EnrollmentFactory(user=student, course=course)
            self.client.force_login(student)
            url = reverse("web:course", args=[course.pk])
            self.client.get(url)  # warm the cached roles
            return self.count_queries(lambda: self.client.get(url))

        self.assertEqual(count(10), count(200))


class EnrollmentPagesTestCase(FreshCacheMixin, TestCase):
    def setUp(self):
        super().setUp()
        self.course = factories.CourseFactory(title="Algorithms")
        self.user = factories.UserFactory()
        self.client.force_login(self.user)

    def test_enroll_then_leave_then_come_back_to_the_same_enrollment(self):
        enroll = reverse("web:course-enroll", args=[self.course.pk])
        response = self.client.post(enroll, follow=True)
        self.assertContains(response, "You are enrolled in Algorithms.")
        enrollment = Enrollment.objects.get(user=self.user, course=self.course)
        response = self.client.post(reverse("web:course-drop", args=[self.course.pk]), follow=True)
        self.assertContains(response, "You left Algorithms.")
        enrollment.refresh_from_db()
        self.assertEqual(enrollment.status, "dropped")
        self.assertContains(self.client.post(enroll, follow=True), "Welcome back!")
        enrollment.refresh_from_db()
        self.assertEqual(enrollment.status, "active")

    def test_a_removed_student_is_told_why_and_stays_out(self):
        factories.EnrollmentFactory(user=self.user, course=self.course, status="removed")
        response = self.client.post(
            reverse("web:course-enroll", args=[self.course.pk]), follow=True
        )
        self.assertContains(response, "removed")
        self.assertEqual(
            Enrollment.objects.get(user=self.user, course=self.course).status, "removed"
        )

    def test_enrolling_needs_a_login_a_post_and_a_published_course(self):
        enroll = reverse("web:course-enroll", args=[self.course.pk])
        self.assertEqual(self.client.get(enroll).status_code, 405)
        draft = factories.CourseFactory(is_published=False)
        self.assertEqual(
            self.client.post(reverse("web:course-enroll", args=[draft.pk])).status_code, 404
        )
        self.client.logout()
        self.assertRedirects(self.client.post(enroll), f"{reverse('web:login')}?next={enroll}")
        self.assertFalse(Enrollment.objects.exists())

    def test_points_show_the_share_earned(self):
        chapter = factories.ChapterFactory(course=self.course)
        problem = problem_with_cases(chapter=chapter, points=40)
        factories.EnrollmentFactory(user=self.user, course=self.course)
        submission = judged_submission(self.user, problem, verdict="wrong_answer")
        submission.score = Decimal("0.5")
        submission.save()
        progress_recompute(user_id=self.user.pk, problem_id=problem.pk)
        html = self.client.get(reverse("web:course", args=[self.course.pk])).content.decode()
        self.assertIn("20.00 / 40", html)
