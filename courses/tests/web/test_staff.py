"""The course staff's pages: who may open each (as the API decides), the roster with progress
and its changes, exam attempts (extra time, reopening), the gradebook and its CSV, the
submissions browser and its filters, the staff submission page (the one page with hidden-case
data), rejudging with its progress, and the enrollment import.

Rejudges that must be judged go through scripted backends in a ``TransactionTestCase`` (judging
is enqueued on commit); the others look at what was reset before judging.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase, TransactionTestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from courses.judging.types import Verdict
from courses.models import Enrollment, ExamAttempt, ProblemProgress, Submission
from courses.services.progress import progress_recompute
from courses.services.submissions import submission_create
from courses.tests import factories
from courses.tests.api_support import (
    ADD,
    AcceptingBackend,
    ApiAssertions,
    RoleWorld,
    WrongBackend,
    backend_path,
    judged_submission,
    judging_queued,
    problem_with_cases,
)
from courses.tests.signals.support import FreshCacheMixin
from courses.tests.test_api_grading import GradebookWorld

#: What ``judged_submission`` stores for the hidden case of ``problem_with_cases``: its input,
#: and what the program printed on it. Only the staff submission page may show them.
HIDDEN_MARKERS = ("[1, 2] hidden", "output of case 1", "stderr of case 1")


class StaffPageTestMixin(FreshCacheMixin, ApiAssertions):
    def as_role(self, role: str):
        self.client.logout()
        if role != "anonymous":
            self.client.force_login(self.w.users[role])
        return self.client

    def html(self, response) -> str:
        return response.content.decode()


def staff_urls(w: RoleWorld) -> dict[str, str]:
    """Every staff page of the world's course (GET)."""
    course = w.course.pk
    return {
        "dashboard": reverse("web:staff-course", args=[course]),
        "gradebook": reverse("web:staff-gradebook", args=[course]),
        "csv": reverse("web:staff-gradebook-csv", args=[course]),
        "submissions": reverse("web:staff-submissions", args=[course]),
        "submission": reverse("web:staff-submission", args=[w.submission.pk]),
        "attempts": reverse("web:staff-exam-attempts", args=[w.exam.pk]),
        "import": reverse("web:staff-import", args=[course]),
    }


# --- Who may open what -------------------------------------------------------------------------


class StaffAccessTestCase(StaffPageTestMixin, TestCase):
    """As the API: students and other courses' staff get 403 on a published course's pages; an
    object inside the course (a submission, an exam) is 404 for whoever is not a member and 403
    for its own author; a draft course is 404 for outsiders; the import is for instructors."""

    @classmethod
    def setUpTestData(cls):
        cls.w = RoleWorld(name="access")

    def test_every_page_answers_each_role_as_the_api_does(self):
        expected = {
            # role: {page: status}, pages not named: the role's default (first value)
            "student": (403, {"submission": 403, "attempts": 403}),
            "other_student": (403, {"submission": 404, "attempts": 403}),
            "non_member": (403, {"submission": 404, "attempts": 404}),
            "other_instructor": (403, {"submission": 404, "attempts": 404}),
            "assistant": (200, {"import": 403}),
            "instructor": (200, {}),
            "superuser": (200, {}),
        }
        for role, (default, exceptions) in expected.items():
            client = self.as_role(role)
            for page, url in staff_urls(self.w).items():
                with self.subTest(role=role, page=page):
                    response = client.get(url)
                    self.assertEqual(response.status_code, exceptions.get(page, default))
                    if response.status_code == 403:
                        self.assertContains(response, "Only the course", status_code=403)

    def test_anonymous_visitors_are_sent_to_the_login_page(self):
        self.client.logout()
        for page, url in staff_urls(self.w).items():
            with self.subTest(page=page):
                self.assertRedirects(
                    self.client.get(url),
                    f"{reverse('web:login')}?next={url}",
                    fetch_redirect_response=False,
                )

    def test_a_draft_course_is_not_found_for_outsiders_and_refused_to_its_students(self):
        url = reverse("web:staff-course", args=[self.w.draft_course.pk])
        for role, status in (
            ("non_member", 404),
            ("other_instructor", 404),
            ("assistant", 404),  # assistant of the published course only
            ("student", 403),
            ("instructor", 200),
        ):
            with self.subTest(role=role):
                self.assertEqual(self.as_role(role).get(url).status_code, status)

    def test_writes_are_refused_like_the_pages(self):
        w = self.w
        rejudge = reverse("web:staff-rejudge", args=[w.course.pk])
        one = {"target": "submission", "submission": w.submission.pk}
        for role in ("student", "other_student", "other_instructor"):
            with self.subTest(role=role):
                self.assertEqual(self.as_role(role).post(rejudge, one).status_code, 403)
        change = reverse("web:staff-enrollment", args=[w.enrollment.pk])
        self.assertEqual(self.as_role("assistant").post(change, {"role": "ta"}).status_code, 403)
        self.assertEqual(self.as_role("student").post(change, {"role": "ta"}).status_code, 403)
        self.assertEqual(
            self.as_role("other_instructor").post(change, {"role": "assistant"}).status_code, 404
        )
        extra = reverse("web:staff-attempt-extra-time", args=[w.attempt.pk])
        self.assertEqual(self.as_role("student").post(extra, {"minutes": 5}).status_code, 403)
        self.assertEqual(self.as_role("other_student").post(extra, {"minutes": 5}).status_code, 404)
        upload = SimpleUploadedFile("names.csv", b"access-non-member\n", "text/csv")
        response = self.as_role("assistant").post(
            reverse("web:staff-import", args=[w.course.pk]), {"file": upload, "role": "student"}
        )
        self.assertEqual(response.status_code, 403)
        self.assertFalse(Submission.objects.filter(status=Verdict.PENDING).exists())
        self.assertEqual(Enrollment.objects.get(pk=w.enrollment.pk).role, "student")
        self.assertFalse(Enrollment.objects.filter(user=w.users["non_member"]).exists())
        w.attempt.refresh_from_db()
        self.assertEqual(w.attempt.extra_time_minutes, 0)

    def test_the_staff_links_follow_the_role(self):
        import_url = reverse("web:staff-import", args=[self.w.course.pk])
        self.assertContains(
            self.as_role("instructor").get(staff_urls(self.w)["dashboard"]), import_url
        )
        self.assertNotContains(
            self.as_role("assistant").get(staff_urls(self.w)["dashboard"]), import_url
        )


# --- Dashboard: roster and progress ------------------------------------------------------------


class DashboardTestCase(StaffPageTestMixin, TestCase):
    def setUp(self):
        super().setUp()
        self.w = RoleWorld(name="dash")
        self.url = reverse("web:staff-course", args=[self.w.course.pk])

    def roster_names(self, html: str) -> list[str]:
        table = html.split('aria-label="Roster table"', 1)[1]
        return [
            name for name in (u.username for u in self.w.users.values()) if f">{name}</a>" in table
        ]

    def test_the_roster_shows_each_members_progress(self):
        w = self.w
        student = w.users["student"]
        progress_recompute(user_id=student.pk, problem_id=w.problem.pk)
        tried = problem_with_cases(chapter=w.chapter, order=7, points=40)
        judged_submission(student, tried, verdict=Verdict.WRONG_ANSWER)
        progress_recompute(user_id=student.pk, problem_id=tried.pk)
        html = self.html(self.as_role("assistant").get(self.url))
        row = html.split(f">{student.username}</a>", 1)[1].split("</tr>", 1)[0]
        cells = [cell.split("</td>")[0] for cell in row.split("<td>")[1:]]
        # role, status, solved, attempted, points
        self.assertEqual(cells[:5], ["Student", "Active", "1", "2", "100.00"])
        self.assertIn("4 members", html)
        self.assertIn(reverse("web:staff-exam-attempts", args=[w.exam.pk]), html)

    def test_search_role_and_status_filter_the_roster(self):
        w = self.w
        client = self.as_role("instructor")
        Enrollment.objects.filter(user=w.users["other_student"]).update(status="dropped")
        html = self.html(client.get(self.url, {"search": "OTHER"}))
        self.assertEqual(self.roster_names(html), [w.users["other_student"].username])
        html = self.html(client.get(self.url, {"role": "assistant"}))
        self.assertEqual(self.roster_names(html), [w.users["assistant"].username])
        html = self.html(client.get(self.url, {"role": "student", "status": "active"}))
        self.assertEqual(self.roster_names(html), [w.users["student"].username])

    def test_bad_filter_values_are_shown_next_to_their_fields(self):
        response = self.as_role("instructor").get(self.url, {"role": "boss", "status": "gone"})
        self.assertEqual(response.status_code, 400)  # as the API answers them
        html = self.html(response)
        self.assertIn('id="id_role_error"', html)
        self.assertIn('id="id_status_error"', html)
        self.assertIn("Select a valid choice. boss is not one of the available choices.", html)
        self.assertIn("Correct the filters above", html)
        self.assertNotIn('aria-label="Roster table"', html)

    def test_the_roster_is_paginated_with_its_filters_kept(self):
        for _ in range(30):
            factories.EnrollmentFactory(user=factories.UserFactory(), course=self.w.course)
        html = self.html(self.as_role("instructor").get(self.url, {"role": "student"}))
        self.assertIn("32 members, 1–25 shown", html)
        self.assertIn("?role=student&amp;page=2", html)

    def test_instructors_see_the_roster_controls_and_assistants_do_not(self):
        change = reverse("web:staff-enrollment", args=[self.w.enrollment.pk])
        self.assertContains(self.as_role("instructor").get(self.url), change)
        self.assertNotContains(self.as_role("assistant").get(self.url), change)

    def test_an_instructor_changes_a_role_removes_and_brings_back(self):
        w = self.w
        client = self.as_role("instructor")
        change = reverse("web:staff-enrollment", args=[w.enrollment.pk])
        response = client.post(f"{change}?search=dash&page=1", {"role": "assistant"})
        self.assertRedirects(response, f"{self.url}?search=dash&page=1")
        self.assertEqual(Enrollment.objects.get(pk=w.enrollment.pk).role, "assistant")
        response = client.post(change, {"status": "removed"}, follow=True)
        self.assertContains(response, "is now Assistant (Removed)")
        self.assertEqual(Enrollment.objects.get(pk=w.enrollment.pk).status, "removed")
        self.assertContains(response, "Reactivate")
        client.post(change, {"status": "active", "role": "student"})
        enrollment = Enrollment.objects.get(pk=w.enrollment.pk)
        self.assertEqual((enrollment.role, enrollment.status), ("student", "active"))

    def test_the_last_instructor_is_kept_with_the_apis_message_next_to_the_row(self):
        w = self.w
        own = Enrollment.objects.get(user=w.users["instructor"], course=w.course)
        change = reverse("web:staff-enrollment", args=[own.pk])
        for data in ({"role": "student"}, {"status": "removed"}):
            with self.subTest(data=data):
                response = self.as_role("instructor").post(change, data)
                self.assertEqual(response.status_code, 409)  # the API's status
                html = self.html(response)
                self.assertIn(
                    "A course needs at least one active instructor: make someone else "
                    "instructor first.",
                    html,
                )
                self.assertIn(f'id="change-{own.pk}-error"', html)
                own.refresh_from_db()
                self.assertEqual((own.role, own.status), ("instructor", "active"))

    def test_a_bad_role_or_an_empty_change_is_refused_next_to_the_row(self):
        change = reverse("web:staff-enrollment", args=[self.w.enrollment.pk])
        for data, text in (
            ({"role": "owner"}, "role: Select a valid choice."),
            ({"status": "dropped"}, "status: Select a valid choice."),
            ({}, "Give a role, a status, or both."),
        ):
            with self.subTest(data=data):
                response = self.as_role("instructor").post(change, data)
                self.assertContains(response, text, status_code=400)
        enrollment = Enrollment.objects.get(pk=self.w.enrollment.pk)
        self.assertEqual((enrollment.role, enrollment.status), ("student", "active"))

    def test_queries_are_the_same_for_2_and_30_students(self):
        def count(students: int) -> int:
            course = factories.CourseFactory()
            chapter = factories.ChapterFactory(course=course)
            problems = [problem_with_cases(chapter=chapter, order=n) for n in range(3)]
            teacher = factories.UserFactory()
            factories.EnrollmentFactory(user=teacher, course=course, role="instructor")
            factories.ExamFactory(course=course)
            for _ in range(students):
                user = factories.UserFactory()
                factories.EnrollmentFactory(user=user, course=course)
                judged_submission(user, problems[0])
                progress_recompute(user_id=user.pk, problem_id=problems[0].pk)
            self.client.force_login(teacher)
            url = reverse("web:staff-course", args=[course.pk])
            self.client.get(url)  # warm the cached roles
            return self.count_queries(
                lambda: self.assertEqual(self.client.get(url).status_code, 200)
            )

        self.assertEqual(count(2), count(30))


# --- Exam attempts: extra time and reopening -------------------------------------------------


class ExamAttemptsTestCase(StaffPageTestMixin, TestCase):
    def setUp(self):
        super().setUp()
        self.w = RoleWorld(name="attempts")
        self.url = reverse("web:staff-exam-attempts", args=[self.w.exam.pk])
        self.attempt = self.w.attempt
        self.extra = reverse("web:staff-attempt-extra-time", args=[self.attempt.pk])
        self.reopen = reverse("web:staff-attempt-reopen", args=[self.attempt.pk])

    def test_the_list_shows_each_attempt_with_the_form_its_state_allows(self):
        html = self.html(self.as_role("assistant").get(self.url))
        self.assertIn(self.w.users["student"].username, html)
        self.assertIn("Running", html)
        self.assertIn(self.extra, html)
        self.assertNotIn(self.reopen, html)
        ExamAttempt.objects.filter(pk=self.attempt.pk).update(finished_at=timezone.now())
        html = self.html(self.as_role("assistant").get(self.url))
        self.assertIn("Finished", html)
        self.assertIn(self.reopen, html)
        self.assertNotIn(self.extra, html)

    def test_an_assistant_gives_extra_time_and_the_deadline_moves(self):
        deadline = self.attempt.deadline
        response = self.as_role("assistant").post(self.extra, {"minutes": "15"}, follow=True)
        self.assertContains(response, "has 15 more minute(s)")
        self.attempt.refresh_from_db()
        self.assertEqual(self.attempt.deadline, deadline + timedelta(minutes=15))
        self.assertEqual(self.attempt.extra_time_minutes, 15)

    def test_bad_minutes_are_refused_in_the_apis_words_next_to_the_field(self):
        for minutes, text, status in (
            ("0", "Give a whole number of minutes from 1 to 10080.", 400),
            ("99999", "Give a whole number of minutes from 1 to 10080.", 400),
            ("soon", "Enter a whole number.", 400),
        ):
            with self.subTest(minutes=minutes):
                response = self.as_role("instructor").post(self.extra, {"minutes": minutes})
                self.assertEqual(response.status_code, status)
                html = self.html(response)
                self.assertIn(text, html)
                self.assertIn(f'id="extra-time-{self.attempt.pk}-error"', html)
        self.attempt.refresh_from_db()
        self.assertEqual(self.attempt.extra_time_minutes, 0)

    def test_finished_attempts_are_reopened_not_extended_and_running_ones_the_reverse(self):
        response = self.as_role("instructor").post(self.reopen, {"minutes": "10"})
        self.assertContains(response, "give it extra time instead", status_code=409)
        ExamAttempt.objects.filter(pk=self.attempt.pk).update(
            finished_at=timezone.now(), score=Decimal("3"), passed=False
        )
        response = self.as_role("instructor").post(self.extra, {"minutes": "10"})
        self.assertContains(response, "reopen it instead", status_code=409)
        before = timezone.now()
        response = self.as_role("assistant").post(self.reopen, {"minutes": "10"}, follow=True)
        self.assertContains(response, "is open for 10 minute(s)")
        self.attempt.refresh_from_db()
        self.assertIsNone(self.attempt.finished_at)
        self.assertGreaterEqual(self.attempt.deadline, before + timedelta(minutes=10))


# --- Gradebook and its CSV -----------------------------------------------------------------------


class GradebookPageTestCase(StaffPageTestMixin, TestCase):
    def setUp(self):
        super().setUp()
        self.g = GradebookWorld()
        self.client.force_login(self.g.instructor)
        self.url = reverse("web:staff-gradebook", args=[self.g.course.pk])
        self.csv_url = reverse("web:staff-gradebook-csv", args=[self.g.course.pk])

    def test_students_by_problems_and_exams_with_points_late_marks_and_totals(self):
        g = self.g
        g.submit(g.ann, g.p1, "1", late_days=1)
        g.attempt(g.ann, g.midterm, "15", True)
        g.attempt(g.bob, g.midterm, "5", False)
        html = self.html(self.client.get(self.url))
        header = html.split("<thead>", 1)[1].split("</thead>", 1)[0]
        self.assertLess(header.index("Sums"), header.index("Loops"))
        self.assertLess(header.index("Loops"), header.index("Midterm"))
        self.assertNotIn("Draft", header)
        ann = html.split(">ann</a>", 1)[1].split("</tr>", 1)[0]
        self.assertIn('90.00 <span class="late">late</span>', ann)
        self.assertIn("15.00", ann)
        self.assertIn("passed", ann)
        self.assertIn("<strong>105.00</strong>", ann)
        bob = html.split(">bob</a>", 1)[1].split("</tr>", 1)[0]
        self.assertIn("not passed", bob)
        self.assertIn("not judged", bob)
        self.assertNotIn(">dan</a>", html)  # dropped
        self.assertIn(self.csv_url, html)

    def test_the_csv_is_the_apis_file(self):
        g = self.g
        g.submit(g.ann, g.p1, "1", late_days=1)
        g.attempt(g.ann, g.midterm, "15", True)
        response = self.client.get(self.csv_url)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "text/csv; charset=utf-8")
        today = timezone.now().strftime("%Y-%m-%d")
        self.assertEqual(
            response["Content-Disposition"], f'attachment; filename="gradebook-intro-{today}.csv"'
        )
        api = self.client.get(reverse("api:staff-gradebook-csv", args=[g.course.pk]))
        self.assertEqual(response.content, api.content)
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        self.assertEqual(rows[0][:2], ["username", "email"])
        self.assertEqual(rows[1][:4], ["ann", "ann@example.com", "90.00", "late"])

    def test_formulas_in_the_csv_are_neutralised(self):
        g = self.g
        user = factories.UserFactory(username="=HYPERLINK(1)", email="+1@example.com")
        factories.EnrollmentFactory(user=user, course=g.course)
        g.p1.title = "@SUM(A1)"
        g.p1.save()
        rows = list(csv.reader(io.StringIO(self.client.get(self.csv_url).content.decode())))
        self.assertEqual(rows[0][2], f"'@SUM(A1) (#{g.p1.pk})")
        self.assertIn(["'=HYPERLINK(1)", "'+1@example.com"], [row[:2] for row in rows])
        for row in rows:
            for cell in row:
                self.assertFalse(cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell)

    def test_the_csv_is_refused_like_the_page(self):
        self.client.force_login(self.g.ann)
        self.assertEqual(self.client.get(self.csv_url).status_code, 403)
        self.assertEqual(self.client.get(self.url).status_code, 403)

    def test_queries_are_the_same_for_2_and_30_students_and_more_problems(self):
        g = self.g

        def measure() -> int:
            return self.count_queries(
                lambda: self.assertEqual(self.client.get(self.url).status_code, 200)
            )

        self.client.get(self.url)  # warm the cached roles
        small = measure()
        chapter = g.p1.chapter
        problems = [factories.ProblemFactory(chapter=chapter, order=10 + n) for n in range(20)]
        for n in range(28):
            user = g.student(f"s{n:02}")
            g.submit(user, g.p1, "1")
            g.submit(user, problems[n % 20], "0")
            g.attempt(user, g.midterm, "12", True)
        self.assertEqual(measure(), small)


# --- Submissions browser -----------------------------------------------------------------------


def set_created_at(submission, when):
    Submission.objects.filter(pk=submission.pk).update(created_at=when)


class SubmissionsBrowserTestCase(StaffPageTestMixin, TestCase):
    def setUp(self):
        super().setUp()
        self.w = RoleWorld(name="browse")
        w = self.w
        self.url = reverse("web:staff-submissions", args=[w.course.pk])
        self.wrong = judged_submission(
            w.users["other_student"], w.problem, verdict=Verdict.WRONG_ANSWER
        )
        self.foreign = judged_submission(w.users["student"], problem_with_cases())
        self.as_role("assistant")

    def listed(self, **query) -> list[int]:
        response = self.client.get(self.url, query)
        self.assertEqual(response.status_code, 200)
        html = self.html(response)
        return [int(part.split("/", 1)[0]) for part in html.split('href="/staff/submissions/')[1:]]

    def test_every_submission_of_the_course_newest_first(self):
        w = self.w
        self.assertEqual(self.listed(), [self.wrong.pk, w.exam_submission.pk, w.submission.pk])

    def test_an_exam_submission_shows_the_exam_points_out_of_its_worth_there(self):
        w = self.w
        html = self.html(self.client.get(self.url))
        row = html.split(f'href="/staff/submissions/{w.exam_submission.pk}/"')[1].split("</tr>")[0]
        self.assertIn("10.00 / 10", row)
        self.assertIn("exam", row)
        page = self.client.get(reverse("web:staff-submission", args=[w.exam_submission.pk]))
        self.assertIn("10.00 / 10 (", self.html(page))

    def test_each_filter_selects_its_submissions(self):
        w = self.w
        student = w.users["student"].username
        self.assertEqual(self.listed(student=student), [w.exam_submission.pk, w.submission.pk])
        self.assertEqual(self.listed(problem=w.problem.pk), [self.wrong.pk, w.submission.pk])
        self.assertEqual(self.listed(status="wrong_answer"), [self.wrong.pk])
        self.assertEqual(self.listed(student="nobody"), [])

    def test_days_are_read_on_the_courses_clocks_both_included(self):
        w = self.w
        w.course.time_zone = "Pacific/Auckland"  # UTC+13 in January
        w.course.save()
        # 1 Jan 2026, 23:30 in Auckland is 1 Jan, 10:30 UTC; its midnight is 31 Dec, 11:00 UTC.
        set_created_at(w.submission, datetime(2026, 1, 1, 10, 30, tzinfo=UTC))
        set_created_at(w.exam_submission, datetime(2026, 1, 1, 11, 30, tzinfo=UTC))  # 2 Jan
        set_created_at(self.wrong, datetime(2025, 12, 31, 10, 59, tzinfo=UTC))  # 31 Dec
        self.assertEqual(self.listed(since="2026-01-01", until="2026-01-01"), [w.submission.pk])
        self.assertEqual(self.listed(since="2026-01-01"), [w.exam_submission.pk, w.submission.pk])
        self.assertEqual(self.listed(until="2025-12-31"), [self.wrong.pk])
        html = self.html(self.client.get(self.url))
        self.assertIn("1 Jan 2026, 23:30 NZDT (Pacific/Auckland)", html)

    def test_bad_values_are_shown_next_to_their_fields_and_list_nothing(self):
        other_problem = self.foreign.problem.pk
        cases = [
            ({"problem": "abc"}, "problem", "Select a valid choice."),
            ({"problem": other_problem}, "problem", "Select a valid choice."),
            ({"status": "solved"}, "status", "Select a valid choice."),
            ({"since": "yesterday"}, "since", "Enter a valid date."),
            ({"since": "2026-02-02", "until": "2026-02-01"}, "until", "Must not be before"),
            ({"student": "x" * 151}, "student", "Ensure this value has at most 150"),
            # The next day's midnight of 9999-12-31 is no datetime (a 500 before).
            ({"until": "9999-12-31"}, "until", "Must be a day from 1900-01-01 to 9000-12-31"),
            ({"since": "0001-01-01"}, "since", "Must be a day from 1900-01-01 to 9000-12-31"),
        ]
        for query, field, text in cases:
            with self.subTest(query=query):
                response = self.client.get(self.url, query)
                self.assertEqual(response.status_code, 400)  # as the API answers them
                html = self.html(response)
                error = html.split(f'id="id_{field}_error"', 1)[1].split("</ul>", 1)[0]
                self.assertIn(text, error)
                self.assertIn('aria-invalid="true"', html)
                self.assertIn("Correct the filters above", html)
                self.assertNotIn('href="/staff/submissions/', html)
                self.assertNotIn("Rejudge the", html)

    def test_pages_of_25_keep_the_filters(self):
        for _ in range(30):
            judged_submission(self.w.users["other_student"], self.w.problem)
        listed = self.listed(problem=self.w.problem.pk)
        self.assertEqual(len(listed), 25)
        html = self.html(self.client.get(self.url, {"problem": self.w.problem.pk}))
        self.assertIn(f"?problem={self.w.problem.pk}&amp;page=2", html)
        self.assertEqual(len(self.listed(problem=self.w.problem.pk, page=2)), 7)

    def test_no_hidden_case_data_on_the_list(self):
        html = self.html(self.client.get(self.url))
        for marker in HIDDEN_MARKERS:
            self.assertNotIn(marker, html)
        self.assertNotIn("def solve", html)

    def test_queries_are_the_same_for_2_and_30_submissions(self):
        course = factories.CourseFactory()
        chapter = factories.ChapterFactory(course=course)
        problems = [problem_with_cases(chapter=chapter, order=n) for n in range(3)]
        teacher = factories.UserFactory()
        factories.EnrollmentFactory(user=teacher, course=course, role="assistant")
        students = [factories.UserFactory() for _ in range(3)]
        for user in students:
            factories.EnrollmentFactory(user=user, course=course)
        self.client.force_login(teacher)
        url = reverse("web:staff-submissions", args=[course.pk])

        def measure() -> int:
            return self.count_queries(
                lambda: self.assertEqual(self.client.get(url).status_code, 200)
            )

        for n in range(2):
            judged_submission(students[n], problems[n])
        self.client.get(url)  # warm the cached roles and roster
        small = measure()
        for n in range(28):
            judged_submission(students[n % 3], problems[n % 3], verdict=Verdict.WRONG_ANSWER)
        self.assertEqual(measure(), small)


# --- The staff submission page: the one place with hidden-case data ---------------------------


class StaffSubmissionPageTestCase(StaffPageTestMixin, TestCase):
    def setUp(self):
        super().setUp()
        self.w = RoleWorld(name="detail")
        self.url = reverse("web:staff-submission", args=[self.w.submission.pk])

    def test_the_code_highlighted_and_every_case_with_its_data(self):
        w = self.w
        Submission.objects.filter(pk=w.submission.pk).update(
            error_text="sandbox: cgroup setup failed", compile_output="warning: unused"
        )
        html = self.html(self.as_role("assistant").get(self.url))
        self.assertIn('<pre class="highlight"><code>', html)
        self.assertIn('<span class="k">def</span>', html)
        for marker in (*HIDDEN_MARKERS, "output of case 0", "stderr of case 0"):
            self.assertIn(marker, html)
        self.assertIn("(hidden, weight 1)", html)
        self.assertIn("(sample, weight 1)", html)
        self.assertIn("sandbox: cgroup setup failed", html)
        self.assertIn("warning: unused", html)

    def test_a_failure_is_named_for_what_it_is(self):
        # The report: an ordinary wrong answer's text was shown under "Judging error", as an
        # infrastructure failure's reason.
        w = self.w
        for status, heading, other in (
            ("wrong_answer", "<h2>First failure</h2>", "<h2>Judging error</h2>"),
            ("internal_error", "<h2>Judging error</h2>", "<h2>First failure</h2>"),
        ):
            with self.subTest(status=status):
                Submission.objects.filter(pk=w.submission.pk).update(
                    status=status, error_text="wrong answer on hidden test case 2"
                )
                html = self.html(self.as_role("assistant").get(self.url))
                self.assertIn(heading, html)
                self.assertNotIn(other, html)
                self.assertIn('<pre class="failure-text" tabindex="0">wrong answer on', html)
                self.assertIn("% of the cases' weight)", html)
                self.assertIn("<dt>Language</dt><dd>Python 3</dd>", html)  # as the editor names it
        Submission.objects.filter(pk=w.submission.pk).update(
            subtask_results=[
                {"order": 1, "name": "", "points": 5, "earned": "5", "status": "passed"}
            ]
        )
        html = self.html(self.as_role("assistant").get(self.url))
        self.assertIn("% of the subtasks' points)", html)
        # Rounded down as the points are: 66.66 points are 66 %, never 67 (outside walk-through).
        Submission.objects.filter(pk=w.submission.pk).update(score=Decimal("0.6666"))
        html = self.html(self.as_role("assistant").get(self.url))
        self.assertIn("(66 % of the subtasks' points)", html)

    def test_the_queue_wait_and_the_judging_time_are_shown(self):
        """Issue 13: staff see how long it waited for a worker, in which queue, and how long
        judging took."""
        queued = timezone.now() - timedelta(minutes=10)
        Submission.objects.filter(pk=self.w.submission.pk).update(
            enqueued_at=queued,
            judging_started_at=queued + timedelta(seconds=75),
            judged_at=queued + timedelta(seconds=75, milliseconds=1250),
            lane="bulk",
        )
        html = self.html(self.as_role("assistant").get(self.url))
        self.assertIn("<dt>Queue wait</dt><dd>1 min 15 s (bulk queue)</dd>", html)
        self.assertIn("<dt>Judging time</dt><dd>1.25 s</dd>", html)
        Submission.objects.filter(pk=self.w.submission.pk).update(
            status="pending", judging_started_at=None, judged_at=None, lane="live"
        )
        html = self.html(self.as_role("assistant").get(self.url))
        self.assertIn("<dt>Queue wait</dt><dd>waiting in the live queue</dd>", html)
        self.assertIn("<dt>Judging time</dt><dd>not judged yet</dd>", html)

    def test_the_programs_text_is_escaped(self):
        result = self.w.submission.test_results.get(order=1)
        result.output = "<script>alert(1)</script>"
        result.save()
        html = self.html(self.as_role("instructor").get(self.url))
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt;", html)
        self.assertNotIn("<script>alert(1)", html)

    def test_hidden_case_data_appears_on_no_other_page(self):
        w = self.w
        urls = [url for page, url in staff_urls(w).items() if page != "submission"]
        urls += [
            reverse("web:home"),
            reverse("web:course", args=[w.course.pk]),
            reverse("web:problem", args=[w.problem.pk]),
            reverse("web:submission", args=[w.submission.pk]),  # the student's own page
            f"{staff_urls(w)['submissions']}?student={w.users['student'].username}",
        ]
        for role in ("student", "assistant", "instructor"):
            client = self.as_role(role)
            for url in urls:
                with self.subTest(role=role, url=url):
                    html = self.html(client.get(url))
                    for marker in HIDDEN_MARKERS:
                        self.assertNotIn(marker, html)

    def test_queries_do_not_grow_with_the_number_of_cases(self):
        w = self.w
        self.as_role("instructor").get(self.url)

        def measure() -> int:
            return self.count_queries(
                lambda: self.assertEqual(self.client.get(self.url).status_code, 200)
            )

        small = measure()
        for order in range(2, 30):
            case = factories.ProblemTestCaseFactory(problem=w.problem, order=order)
            w.submission.test_results.create(test_case=case, order=order, verdict="accepted")
        self.assertEqual(measure(), small)


# --- Rejudge -------------------------------------------------------------------------------------


class RejudgeTestCase(StaffPageTestMixin, TestCase):
    """What a rejudge resets and where it leads (``TestCase`` never commits: nothing is judged
    here; ``RejudgeJudgingTestCase`` judges)."""

    def setUp(self):
        super().setUp()
        self.w = RoleWorld(name="rejudge")
        w = self.w
        self.url = reverse("web:staff-rejudge", args=[w.course.pk])
        self.wrong = judged_submission(
            w.users["other_student"], w.problem, verdict=Verdict.WRONG_ANSWER
        )
        self.foreign = judged_submission(w.users["student"], problem_with_cases())
        self.as_role("assistant")

    def pending(self) -> set[int]:
        return set(Submission.objects.filter(status="pending").values_list("pk", flat=True))

    def token(self, response) -> str:
        return response["Location"].split("rejudge=", 1)[1]

    def test_an_assistant_rejudges_one_submission_and_follows_it(self):
        w = self.w
        with self.captureOnCommitCallbacks() as callbacks:
            response = self.client.post(
                self.url, {"target": "submission", "submission": w.submission.pk}
            )
        self.assertEqual(len(callbacks), 1)
        page = reverse("web:staff-submission", args=[w.submission.pk])
        self.assertTrue(response["Location"].startswith(f"{page}?rejudge="))
        self.assertEqual(self.pending(), {w.submission.pk})
        self.assertFalse(w.submission.test_results.exists())
        html = self.html(self.client.get(response["Location"]))
        self.assertIn("0 of 1 judged", html)
        self.assertIn('hx-trigger="every 2s"', html)

    def test_a_problem_is_rejudged_whole(self):
        w = self.w
        response = self.client.post(self.url, {"target": "problem", "problem": w.problem.pk})
        self.assertEqual(self.pending(), {w.submission.pk, self.wrong.pk})
        self.assertIn(f"problem={w.problem.pk}", response["Location"])

    def test_the_filtered_set_is_rejudged(self):
        w = self.w
        response = self.client.post(
            self.url, {"target": "filtered", "status": "wrong_answer", "problem": w.problem.pk}
        )
        self.assertEqual(self.pending(), {self.wrong.pk})
        location = response["Location"]
        self.assertIn("status=wrong_answer", location)
        html = self.html(self.client.get(location))
        self.assertIn("0 of 1 judged", html)

    def test_the_whole_course_needs_the_confirmation(self):
        w = self.w
        response = self.client.post(self.url, {"target": "filtered"})
        self.assertEqual(response.status_code, 400)
        html = self.html(response)
        error = html.split('id="id_all_error"', 1)[1].split("</ul>", 1)[0]
        self.assertIn("Tick this box to rejudge the whole course", error)
        self.assertEqual(self.pending(), set())
        self.client.post(self.url, {"target": "filtered", "all": "on"})
        self.assertEqual(self.pending(), {w.submission.pk, w.exam_submission.pk, self.wrong.pk})
        self.assertEqual(Submission.objects.get(pk=self.foreign.pk).status, "accepted")

    def test_the_list_offers_the_rejudges_its_filters_allow(self):
        w = self.w
        submissions = reverse("web:staff-submissions", args=[w.course.pk])
        html = self.html(self.client.get(submissions))
        self.assertIn("Rejudge the whole course", html)
        self.assertIn('name="all"', html)
        html = self.html(self.client.get(submissions, {"problem": w.problem.pk}))
        self.assertIn(f"Rejudge every submission of {w.problem.title}", html)
        self.assertIn("Rejudge the 2 submissions matching these filters", html)
        self.assertNotIn('name="all"', html)
        html = self.html(self.client.get(submissions, {"student": "nobody-at-all"}))
        self.assertNotIn("matching these filters</button>", html)
        self.assertIn("No submission matches these filters", html)

    def test_filters_and_targets_are_checked(self):
        for data in (
            {"target": "filtered", "status": "solved"},
            {"target": "filtered", "status": "accepted", "all": "on"},
            {"target": "problem", "problem": self.foreign.problem.pk},
            {"target": "submission"},
            {"target": "everything"},
        ):
            with self.subTest(data=data):
                response = self.client.post(self.url, data)
                self.assertContains(response, "Nothing was rejudged", status_code=400)
        response = self.client.post(
            self.url, {"target": "submission", "submission": self.foreign.pk}
        )
        self.assertEqual(response.status_code, 404)
        self.assertEqual(self.pending(), set())

    def test_nothing_to_rejudge_says_so(self):
        response = self.client.post(
            self.url, {"target": "filtered", "student": "nobody"}, follow=True
        )
        self.assertContains(response, "No submission matches: nothing was rejudged.")
        self.assertNotContains(response, "rejudge-progress")

    def test_the_status_stops_polling_when_done_and_for_an_unknown_rejudge(self):
        w = self.w
        response = self.client.post(self.url, {"target": "submission", "submission": self.wrong.pk})
        status = reverse("web:staff-rejudge-status", args=[w.course.pk, self.token(response)])
        html = self.html(self.client.get(status, HTTP_HX_REQUEST="true"))
        self.assertIn("0 of 1 judged", html)
        self.assertIn(f'hx-get="{status}"', html)
        Submission.objects.filter(pk=self.wrong.pk).update(status="accepted")
        html = self.html(self.client.get(status, HTTP_HX_REQUEST="true"))
        self.assertIn("1 of 1 judged — done.", html)
        self.assertNotIn("hx-trigger", html)
        unknown = reverse("web:staff-rejudge-status", args=[w.course.pk, "unknown"])
        html = self.html(self.client.get(unknown))
        self.assertIn("no longer followed", html)
        self.assertNotIn("hx-trigger", html)
        # Another user's session does not follow it (nor may a student ask).
        self.as_role("instructor")
        self.assertIn("no longer followed", self.html(self.client.get(status)))
        self.as_role("student")
        self.assertEqual(self.client.get(status).status_code, 403)

    def test_the_status_costs_the_same_for_1_and_40_submissions(self):
        from courses.selectors import rejudge_progress

        for _ in range(40):
            judged_submission(self.w.users["student"], self.w.problem)
        ids = list(Submission.objects.values_list("pk", flat=True))
        self.assertEqual(self.count_queries(lambda: rejudge_progress(submission_ids=ids[:1])), 1)
        self.assertEqual(self.count_queries(lambda: rejudge_progress(submission_ids=ids)), 1)


@override_settings(COURSES_JUDGE_BACKEND=backend_path(AcceptingBackend))
class RejudgeJudgingTestCase(StaffPageTestMixin, TransactionTestCase):
    """Judged on commit: inline (the embedded default) and through a queue (at scale)."""

    def setUp(self):
        super().setUp()
        self.student = factories.UserFactory(username="pupil")
        self.assistant = factories.UserFactory(username="helper")
        self.problem = problem_with_cases()
        self.course = self.problem.chapter.course
        factories.EnrollmentFactory(user=self.student, course=self.course)
        factories.EnrollmentFactory(user=self.assistant, course=self.course, role="assistant")
        self.client.force_login(self.assistant)
        self.url = reverse("web:staff-rejudge", args=[self.course.pk])

    def submit(self):
        return submission_create(
            user=self.student, problem=self.problem, language="python", code=ADD
        )

    def test_a_rejudge_that_lowers_verdicts_lowers_progress_and_reports_done(self):
        first, second = self.submit(), self.submit()
        self.assertEqual(
            ProblemProgress.objects.get(user=self.student, problem=self.problem).status, "solved"
        )
        with override_settings(COURSES_JUDGE_BACKEND=backend_path(WrongBackend)):
            response = self.client.post(self.url, {"target": "problem", "problem": self.problem.pk})
        statuses = set(Submission.objects.values_list("status", flat=True))
        self.assertEqual(statuses, {Verdict.WRONG_ANSWER})
        progress = ProblemProgress.objects.get(user=self.student, problem=self.problem)
        self.assertEqual(progress.status, "attempted")
        html = self.html(self.client.get(response["Location"]))
        self.assertIn("2 of 2 judged — done.", html)
        self.assertNotIn("hx-trigger", html)
        self.assertIn("Wrong answer", html)
        self.assertEqual(
            {first.pk, second.pk}, set(Submission.objects.values_list("pk", flat=True))
        )

    def test_with_a_queue_the_status_counts_up_as_workers_judge(self):
        first, second = self.submit(), self.submit()
        with judging_queued() as queue:
            response = self.client.post(
                self.url, {"target": "filtered", "student": self.student.username}
            )
            token = response["Location"].split("rejudge=", 1)[1]
            status = reverse("web:staff-rejudge-status", args=[self.course.pk, token])
            html = self.html(self.client.get(status, HTTP_HX_REQUEST="true"))
            self.assertIn("0 of 2 judged; 2 waiting or being judged.", html)
            self.assertIn('hx-trigger="every 2s"', html)
            self.assertEqual(sorted(queue.release()), sorted([first.pk, second.pk]))
        html = self.html(self.client.get(status, HTTP_HX_REQUEST="true"))
        self.assertIn("2 of 2 judged — done.", html)
        self.assertNotIn("hx-trigger", html)


# --- Enrollment import -----------------------------------------------------------------------


class ImportPageTestCase(StaffPageTestMixin, TestCase):
    def setUp(self):
        super().setUp()
        self.w = RoleWorld(name="import")
        self.url = reverse("web:staff-import", args=[self.w.course.pk])
        self.as_role("instructor")
        self.new = factories.UserFactory(username="newcomer", email="New@Example.com")
        self.back = factories.UserFactory(username="returning")
        factories.EnrollmentFactory(user=self.back, course=self.w.course, status="dropped")

    def upload(self, content: bytes, **data):
        upload = SimpleUploadedFile("names.csv", content, "text/csv")
        return self.client.post(self.url, {"file": upload, "role": "student", **data})

    def enrollments(self) -> set[tuple[str, str, str]]:
        return set(
            Enrollment.objects.filter(course=self.w.course).values_list(
                "user__username", "role", "status"
            )
        )

    def report(self, html: str) -> dict[str, str]:
        section = html.split('id="report-heading"', 1)[1].split("</dl>", 1)[0]
        entries = {}
        for item in section.split("<dt>")[1:]:
            label = item.split(":", 1)[0]
            entries[label] = item.split("<dd>", 1)[1].split("</dd>", 1)[0]
        return entries

    def test_the_report_says_what_happened_to_each_name(self):
        student = self.w.users["student"].username
        content = f"username\nnew@example.com\nreturning\n{student}\n".encode()
        response = self.upload(content)
        self.assertEqual(response.status_code, 200)
        report = self.report(self.html(response))
        self.assertEqual(report["Imported"], "new@example.com")
        self.assertEqual(report["Reactivated"], "returning")
        self.assertEqual(report["Already enrolled"], student)
        self.assertIn("none", report["Unknown (skipped)"])
        enrollments = self.enrollments()
        self.assertIn(("newcomer", "student", "active"), enrollments)
        self.assertIn(("returning", "student", "active"), enrollments)

    def test_unknown_names_refuse_the_import_and_nothing_is_written(self):
        before = self.enrollments()
        response = self.upload(b"newcomer\nghost\nreturning\nnobody@example.com\n")
        self.assertEqual(response.status_code, 400)
        html = self.html(response)
        self.assertIn("2 unknown user(s): nothing was imported.", html)
        self.assertIn("unknown: ghost, nobody@example.com", html)
        self.assertNotIn('id="report-heading"', html)
        self.assertEqual(self.enrollments(), before)

    def test_skip_unknown_imports_the_rest_and_lists_the_unknown(self):
        response = self.upload(b"newcomer\nghost\n", skip_unknown="on", role="assistant")
        report = self.report(self.html(response))
        self.assertEqual(report["Imported"], "newcomer")
        self.assertEqual(report["Unknown (skipped)"], "ghost")
        self.assertIn(("newcomer", "assistant", "active"), self.enrollments())

    def test_bad_files_are_refused_next_to_the_field(self):
        before = self.enrollments()
        cases = [
            (b"\xff\xfe\x00bad", "The CSV is not valid utf-8 text", "can&#x27;t decode byte"),
            (b"username\n\n", "There is no username or email to import.", "No names in the file."),
        ]
        for content, message, text in cases:
            with self.subTest(content=content):
                response = self.upload(content)
                self.assertEqual(response.status_code, 400)
                html = self.html(response)
                self.assertIn(message, html.split('id="id_file"', 1)[0])  # on top of the form
                error = html.split('id="id_file_error"', 1)[1].split("</ul>", 1)[0]
                self.assertIn(text, error)
        with override_settings(COURSES_API_MAX_CSV_BYTES=10):
            response = self.upload(b"newcomer\nreturning\n")
        self.assertContains(response, "The CSV file is larger than 10 bytes.", status_code=400)
        response = self.client.post(self.url, {"role": "student"})
        self.assertContains(response, "This field is required.", status_code=400)
        response = self.upload(b"newcomer\n", role="owner")
        self.assertContains(response, "Select a valid choice.", status_code=400)
        self.assertEqual(self.enrollments(), before)
