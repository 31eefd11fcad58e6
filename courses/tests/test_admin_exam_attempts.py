"""Exam attempts in the admin: no adding by hand, extra time through the service (the stored
deadline follows), and the "grant 15 more minutes" and "reopen" actions."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

from django.contrib.messages import get_messages
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from courses.models import Enrollment, ExamAttempt
from courses.services.exam_attempts import exam_attempt_finish, exam_attempt_start
from courses.tests import factories
from courses.tests.signals.support import FreshCacheMixin
from courses.tests.test_admin import make_instructor

CHANGELIST = reverse("admin:courses_examattempt_changelist")
ADD = reverse("admin:courses_examattempt_add")


def change(attempt) -> str:
    return reverse("admin:courses_examattempt_change", args=[attempt.pk])


def minutes(n: int) -> timedelta:
    return timedelta(minutes=n)


class ExamAttemptAdminTestCase(FreshCacheMixin, TestCase):
    def setUp(self):
        super().setUp()
        self.t0 = timezone.now().replace(microsecond=0)
        self.course = factories.CourseFactory()
        self.exam = factories.ExamFactory(
            course=self.course,
            opens_at=self.t0 - timedelta(hours=1),
            closes_at=self.t0 + timedelta(days=1),
            duration_minutes=60,
        )
        self.instructor = make_instructor()
        factories.EnrollmentFactory(
            user=self.instructor, course=self.course, role=Enrollment.Role.INSTRUCTOR
        )
        self.student = factories.UserFactory(username="student")
        factories.EnrollmentFactory(user=self.student, course=self.course)
        self.attempt = exam_attempt_start(exam=self.exam, user=self.student, now=self.t0)
        self.client.force_login(self.instructor)

    def messages(self, response) -> list[str]:
        return [str(m) for m in get_messages(response.wsgi_request)]

    def post_change(self, attempt, extra_time_minutes):
        return self.client.post(change(attempt), {"extra_time_minutes": extra_time_minutes})

    # Adding ------------------------------------------------------------------------------------

    def test_attempts_cannot_be_added_by_hand_and_the_add_page_says_why(self):
        response = self.client.get(CHANGELIST)
        self.assertEqual(response.status_code, 200)
        self.assertFalse(response.context["has_add_permission"])
        self.assertNotContains(response, ADD)
        for send in (self.client.get, self.client.post):
            with self.subTest(method=send.__name__):
                data = {"exam": self.exam.pk, "user": self.student.pk, "extra_time_minutes": 0}
                response = send(ADD, data, follow=True)
                self.assertRedirects(response, CHANGELIST)
                self.assertTrue(
                    any("started by students" in m for m in self.messages(response)),
                    self.messages(response),
                )
        self.assertEqual(ExamAttempt.objects.count(), 1)

    # Extra time in the change form -------------------------------------------------------------

    def test_the_change_form_edits_only_extra_time(self):
        response = self.client.get(change(self.attempt))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(list(response.context["adminform"].form.fields), ["extra_time_minutes"])

    def test_extra_time_set_in_the_form_moves_the_stored_deadline(self):
        response = self.post_change(self.attempt, 15)
        self.assertRedirects(response, CHANGELIST)
        self.attempt.refresh_from_db()
        self.assertEqual(
            (self.attempt.extra_time_minutes, self.attempt.deadline), (15, self.t0 + minutes(75))
        )
        self.post_change(self.attempt, 20)  # 5 more
        self.attempt.refresh_from_db()
        self.assertEqual(
            (self.attempt.extra_time_minutes, self.attempt.deadline), (20, self.t0 + minutes(80))
        )
        self.post_change(self.attempt, 20)  # unchanged: nothing granted
        self.attempt.refresh_from_db()
        self.assertEqual(self.attempt.deadline, self.t0 + minutes(80))

    def test_extra_time_cannot_shrink_nor_be_given_to_a_finished_attempt(self):
        self.post_change(self.attempt, 15)
        response = self.post_change(self.attempt, 10)
        self.assertEqual(response.status_code, 200)  # the form again, with the error
        self.assertIn("can only be added", str(response.context["adminform"].form.errors))
        exam_attempt_finish(attempt=self.attempt, now=self.t0 + minutes(5))
        response = self.post_change(self.attempt, 30)
        self.assertEqual(response.status_code, 200)
        self.assertIn("finished", str(response.context["adminform"].form.errors))
        self.attempt.refresh_from_db()
        self.assertEqual(
            (self.attempt.extra_time_minutes, self.attempt.deadline), (15, self.t0 + minutes(75))
        )

    # Actions -----------------------------------------------------------------------------------

    def act(self, action, *attempts):
        return self.client.post(
            CHANGELIST,
            {"action": action, "_selected_action": [a.pk for a in attempts]},
            follow=True,
        )

    def test_the_grant_action_gives_15_minutes_to_each_unfinished_attempt(self):
        other = factories.UserFactory()
        factories.EnrollmentFactory(user=other, course=self.course)
        finished = exam_attempt_start(exam=self.exam, user=other, now=self.t0)
        exam_attempt_finish(attempt=finished, now=self.t0 + minutes(1))
        response = self.act("grant_15_minutes", self.attempt, finished)
        self.attempt.refresh_from_db()
        self.assertEqual(
            (self.attempt.extra_time_minutes, self.attempt.deadline), (15, self.t0 + minutes(75))
        )
        finished.refresh_from_db()
        self.assertEqual(finished.deadline, self.t0 + minutes(60))
        messages = self.messages(response)
        self.assertIn("1 attempt(s) given 15 more minutes.", messages)
        self.assertTrue(any("is finished" in m for m in messages), messages)

    def test_the_reopen_action_reopens_finished_attempts_for_30_minutes(self):
        exam_attempt_finish(attempt=self.attempt, now=self.t0 + minutes(10))
        now = self.t0 + timedelta(hours=2)
        with mock.patch("django.utils.timezone.now", return_value=now):
            response = self.act("reopen_for_30_minutes", self.attempt)
        self.assertIn("1 attempt(s) reopened for 30 minutes.", self.messages(response))
        self.attempt.refresh_from_db()
        self.assertEqual(
            (self.attempt.finished_at, self.attempt.deadline), (None, now + minutes(30))
        )
        # Reopening a running attempt is refused with the service's reason.
        response = self.act("reopen_for_30_minutes", self.attempt)
        self.assertTrue(any("still running" in m for m in self.messages(response)))

    def test_instructors_act_only_on_their_own_courses_attempts(self):
        theirs = factories.ExamAttemptFactory(started_at=self.t0, deadline=self.t0 + minutes(60))
        self.act("grant_15_minutes", theirs)
        theirs.refresh_from_db()
        self.assertEqual(theirs.extra_time_minutes, 0)
        response = self.post_change(theirs, 15)
        self.assertRedirects(response, reverse("admin:index"))
        theirs.refresh_from_db()
        self.assertEqual(theirs.deadline, self.t0 + minutes(60))
