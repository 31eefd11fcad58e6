"""The queries of the course page and of progress reads, cold and warm, at 10 and 1,000 problems
(issue 13; ``bench/progress_read.py`` prints the same counts, ``docs/performance.md``).

Counted with the session's and the authentication's queries left out: what the selectors ask
(``selectors.outline``). A member with progress on a third of the problems and a late
submission (the worst case for standings). Cold: a cache namespace nobody used; warm: the
same read again. Then that the cached reads follow the changes they depend on, committed for
real (a ``TransactionTestCase``: invalidation waits for the commit).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.core.cache import caches
from django.db import connection
from django.test import TestCase, TransactionTestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from courses import selectors
from courses.models import (
    Enrollment,
    Exam,
    Submission,
    SubmissionTestResult,
)
from courses.services.progress import progress_recompute
from courses.tests import factories
from courses.tests.signals.support import FreshCacheMixin

#: Queries of the session and of authenticating the request: not the selectors'.
NOT_COUNTED = ('"django_session"', '"auth_user"', '"authtoken_token"')


def new_cache_namespace() -> None:
    """An empty cache for what follows, without clearing one others may share (Redis)."""
    caches["default"].key_prefix = f"test-cold-{uuid.uuid4().hex}"


class ReadQueriesTestCase(FreshCacheMixin, TestCase):
    """Cold at most 3 for each read, warm 0, the same at 10 and at 1,000 problems."""

    def counted(self, read) -> int:
        with CaptureQueriesContext(connection) as queries:
            read()
        return sum(not any(t in q["sql"] for t in NOT_COUNTED) for q in queries.captured_queries)

    def cold_and_warm(self, read) -> tuple[int, int]:
        new_cache_namespace()
        return self.counted(read), self.counted(read)

    def test_cold_and_warm_queries_at_10_and_1000_problems(self):
        for size in (10, 1000):
            course, student = factories.course_with_progress(size)
            client = APIClient()
            client.force_login(student)

            def get(path, client=client):
                answer = client.get(path)
                self.assertEqual(answer.status_code, 200, answer.content[:300])

            reads = {
                "course API": lambda c=course: get(f"/api/v1/courses/{c.pk}/"),
                "progress API": lambda c=course: get(f"/api/v1/courses/{c.pk}/progress/"),
                "course page": lambda c=course: get(f"/courses/{c.pk}/"),
                "progress summary": lambda c=course, s=student: selectors.course_progress_summary(
                    user_id=s.pk, course_id=c.pk
                ),
            }
            expected = {
                # roles, outline (course, chapters, problems), standings
                "course API": (3, 0),
                # the same, the outline's course row serving the membership check
                "progress API": (3, 0),
                # the same, the course's exams loaded with the roles
                "course page": (3, 0),
                # progress with the standings' late scores
                "progress summary": (2, 0),
            }
            for name, read in reads.items():
                with self.subTest(size=size, read=name):
                    self.assertEqual(self.cold_and_warm(read), expected[name])


class SubmissionPollTestCase(FreshCacheMixin, TestCase):
    """A student polls their submission every second until its verdict: while it waits, one
    query (the row with its problem, course and exam); its results only once it has them."""

    def test_a_poll_of_a_waiting_submission_is_one_query_and_a_judged_one_shows_its_results(self):
        problem = factories.ProblemFactory(is_visible=True)
        student = factories.UserFactory()
        Enrollment.objects.create(user=student, course=problem.chapter.course)
        submission = Submission.objects.create(user=student, problem=problem, code="x")
        client = APIClient()
        client.force_login(student)
        url = f"/api/v1/submissions/{submission.pk}/"
        counts = []
        for status in ("pending", "judging"):
            Submission.objects.filter(pk=submission.pk).update(status=status)
            with CaptureQueriesContext(connection) as queries:
                self.assertEqual(client.get(url).json()["results"], [])
            counts.append(
                sum(not any(t in q["sql"] for t in NOT_COUNTED) for q in queries.captured_queries)
            )
        self.assertEqual(counts, [1, 1])
        case = factories.ProblemTestCaseFactory(problem=problem, is_sample=True)
        SubmissionTestResult.objects.create(
            submission=submission, test_case=case, order=0, verdict="accepted"
        )
        Submission.objects.filter(pk=submission.pk).update(status="accepted", score=1)
        self.assertEqual([r["verdict"] for r in client.get(url).json()["results"]], ["accepted"])


class CachedReadsFollowChangesTestCase(FreshCacheMixin, TransactionTestCase):
    """Each cached read changes once what it depends on changes and commits."""

    def setUp(self):
        super().setUp()
        self.course = factories.CourseFactory(
            late_policy="penalty", late_penalty_percent_per_day=10
        )
        self.problem = factories.ProblemFactory(
            chapter__course=self.course, is_visible=True, points=100
        )
        self.student = factories.UserFactory()
        Enrollment.objects.create(user=self.student, course=self.course)
        self.client = APIClient()
        self.client.force_login(self.student)

    def outline(self) -> dict:
        return self.client.get(f"/api/v1/courses/{self.course.pk}/").json()

    def progress(self) -> dict:
        return self.client.get(f"/api/v1/courses/{self.course.pk}/progress/").json()

    def judged(self, score, late_days=0) -> None:
        Submission.objects.create(
            user=self.student,
            problem=self.problem,
            code="x",
            status="accepted" if score == 1 else "wrong_answer",
            score=score,
            late_days=late_days,
        )
        progress_recompute(user_id=self.student.pk, problem_id=self.problem.pk)

    def test_a_judging_shows_in_the_outline_and_the_progress(self):
        self.assertEqual(self.outline()["chapters"][0]["problems"][0]["my"]["state"], "not_started")
        self.assertEqual(self.progress()["solved"], 0)
        self.judged(1)
        self.assertEqual(self.outline()["chapters"][0]["problems"][0]["my"]["state"], "solved")
        self.assertEqual(self.progress()["solved"], 1)

    def test_a_recompute_told_its_course_invalidates_it_without_looking_it_up(self):
        """The judge passes the problem's course to ``progress_recompute``: the progress signal
        uses it (no query for it) and the member's summary still changes."""
        self.assertEqual(self.progress()["solved"], 0)  # cached
        self.judged(0)  # the progress row exists now, as for any resubmission
        Submission.objects.create(
            user=self.student, problem=self.problem, code="x", status="accepted", score=1
        )
        with CaptureQueriesContext(connection) as queries:
            progress_recompute(
                user_id=self.student.pk, problem_id=self.problem.pk, course_id=self.course.pk
            )
        statements = [q["sql"] for q in queries.captured_queries]
        self.assertFalse([sql for sql in statements if "courses_chapter" in sql], statements)
        self.assertEqual(self.progress()["solved"], 1)

    def test_a_new_late_policy_changes_the_points_of_a_late_submission(self):
        self.judged(1, late_days=2)
        self.assertEqual(self.progress()["total_points"], "80.00")
        self.course.late_policy = "not_counted"
        self.course.save()
        self.assertEqual(self.progress()["total_points"], "0.00")
        self.assertEqual(self.outline()["late_policy"]["policy"], "not_counted")

    def test_problems_added_hidden_or_moved_show_in_the_outline(self):
        added = factories.ProblemFactory(chapter=self.problem.chapter, is_visible=True, order=9)
        self.assertEqual(len(self.outline()["chapters"][0]["problems"]), 2)
        added.is_visible = False
        added.save()
        self.assertEqual(len(self.outline()["chapters"][0]["problems"]), 1)
        other = factories.ChapterFactory(course=self.course, order=self.problem.chapter.order + 1)
        self.problem.chapter = other
        self.problem.save()
        self.assertEqual(
            [len(chapter["problems"]) for chapter in self.outline()["chapters"]], [0, 1]
        )

    def test_an_unpublished_or_deleted_course_is_gone(self):
        outsider = APIClient()
        outsider.force_login(factories.UserFactory())
        url = f"/api/v1/courses/{self.course.pk}/"
        self.assertEqual(outsider.get(url).status_code, 200)
        self.course.is_published = False
        self.course.save()
        self.assertEqual(outsider.get(url).status_code, 404)
        self.assertEqual(self.client.get(url).status_code, 200)  # a member still sees it
        self.course.is_published = True
        self.course.save()
        self.assertEqual(outsider.get(url).status_code, 200)
        self.course.delete()
        self.assertEqual(outsider.get(url).status_code, 404)

    def test_a_new_exam_shows_on_the_course_page(self):
        page = f"/courses/{self.course.pk}/"
        self.assertNotContains(self.client.get(page), "Final exam")
        now = timezone.now()
        exam = Exam.objects.create(
            course=self.course,
            title="Final exam",
            opens_at=now,
            closes_at=now + timedelta(days=1),
            duration_minutes=30,
        )
        self.assertContains(self.client.get(page), "Final exam")
        exam.delete()
        self.assertNotContains(self.client.get(page), "Final exam")

    def exam(self, course, title: str) -> Exam:
        now = timezone.now()
        return Exam.objects.create(
            course=course,
            title=title,
            opens_at=now,
            closes_at=now + timedelta(days=1),
            duration_minutes=30,
        )

    def test_the_roles_and_exams_loaded_together_are_what_each_read_loads_alone(self):
        """``member_exam_list`` on a cold cache fills the roles and the exam list in one query:
        the entries must equal what ``user_course_roles`` and ``course_exam_list`` load."""
        other = factories.CourseFactory()
        Enrollment.objects.create(user=self.student, course=other, role="assistant")
        self.exam(other, "Other course's exam")
        later = self.exam(self.course, "Later")
        later.opens_at += timedelta(hours=1)
        later.save()
        first = self.exam(self.course, "First")
        new_cache_namespace()
        with CaptureQueriesContext(connection) as queries:
            exams = selectors.member_exam_list(user=self.student, course_id=self.course.pk)
        self.assertEqual(len(queries.captured_queries), 1)
        self.assertEqual([e.pk for e in exams], [first.pk, later.pk])
        with CaptureQueriesContext(connection) as queries:  # both served from the cache now
            roles = selectors.user_course_roles(user_id=self.student.pk)
            cached = selectors.course_exam_list(course_id=self.course.pk)
        self.assertEqual(len(queries.captured_queries), 0)
        self.assertEqual(roles, {self.course.pk: "student", other.pk: "assistant"})
        self.assertEqual([e.pk for e in cached], [first.pk, later.pk])
        self.assertEqual(cached[0].title, "First")

    def test_a_non_members_cold_read_caches_no_exam_list(self):
        """For a non-member the join sees none of the course's exams: that empty list must never
        be served to a member afterwards."""
        self.exam(self.course, "Final exam")
        outsider = factories.UserFactory()
        new_cache_namespace()
        self.assertIsNone(selectors.member_exam_list(user=outsider, course_id=self.course.pk))
        outsider_page = APIClient()
        outsider_page.force_login(outsider)
        self.assertNotContains(outsider_page.get(f"/courses/{self.course.pk}/"), "Final exam")
        self.assertContains(self.client.get(f"/courses/{self.course.pk}/"), "Final exam")

    def test_an_enrollment_after_a_cold_read_makes_a_member_with_the_exams(self):
        self.exam(self.course, "Final exam")
        newcomer = factories.UserFactory()
        new_cache_namespace()
        self.assertIsNone(selectors.member_exam_list(user=newcomer, course_id=self.course.pk))
        Enrollment.objects.create(user=newcomer, course=self.course)
        exams = selectors.member_exam_list(user=newcomer, course_id=self.course.pk)
        self.assertEqual([e.title for e in exams], ["Final exam"])
