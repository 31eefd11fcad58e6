"""The catalogue (API v1, area B): courses, my courses, a course's outline, progress, a problem.

What these pin: who sees which course and problem (drafts, unpublished courses, archived and
exam-only problems), that a hidden case's input and expected output never leave the server,
that points follow the course's late policy, that a member's state on a problem is right at its
edges (attempted but unsolved; only ``internal_error``), and that every read costs the same
number of queries for a small course and a large one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from django.db import transaction
from django.test import TestCase, TransactionTestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from courses import selectors
from courses.judging.types import Verdict
from courses.models import Course, Enrollment, Problem, ProblemProgress, ProblemTestCase, Submission
from courses.services.progress import progress_recompute
from courses.services.submissions import submission_create
from courses.tests import factories
from courses.tests.api_support import (
    ADD,
    ApiTestMixin,
    UnreachableBackend,
    WrongBackend,
    backend_path,
)

Role = Enrollment.Role
D = Decimal


def at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def enroll(user, course, role=Role.STUDENT, status=Enrollment.Status.ACTIVE):
    return factories.EnrollmentFactory(user=user, course=course, role=role, status=status)


def judged(user, problem, score, *, late_days=0, verdict=None) -> Submission:
    """A judged submission with ``score`` made ``late_days`` late; progress recomputed, as the
    judging service does in its final transaction."""
    score = D(score)
    if verdict is None:
        verdict = Verdict.ACCEPTED if score == 1 else Verdict.WRONG_ANSWER
    submission = factories.SubmissionFactory(
        user=user,
        problem=problem,
        status=verdict,
        score=score,
        late_days=late_days,
        is_late=late_days > 0,
        judged_at=timezone.now(),
    )
    progress_recompute(user_id=user.pk, problem_id=problem.pk)
    return submission


def many_problems(chapter, count: int, *, start: int = 0) -> list[Problem]:
    """``count`` visible problems in one bulk insert (no signals: nothing is cached yet)."""
    return Problem.objects.bulk_create(
        Problem(
            chapter=chapter,
            title=f"P{i}",
            order=i,
            points=10,
            is_visible=True,
            allowed_languages=["python"],
        )
        for i in range(start, start + count)
    )


def progress_on(user, problems, *, late_every: int = 3) -> None:
    """Progress and judged submissions on every problem, some of them late."""
    now = timezone.now()
    Submission.objects.bulk_create(
        Submission(
            user=user,
            problem=p,
            language="python",
            code=ADD,
            status=Verdict.WRONG_ANSWER,
            score=D("0.5"),
            late_days=int(i % late_every == 0),
            is_late=i % late_every == 0,
            judged_at=now,
        )
        for i, p in enumerate(problems)
    )
    ProblemProgress.objects.bulk_create(
        ProblemProgress(user=user, problem=p, status="attempted", attempts=1, best_score=D("0.5"))
        for p in problems
    )


# --- GET /api/v1/courses/ ---------------------------------------------------------------------


class CourseListApiTestCase(ApiTestMixin, TestCase):
    def setUp(self):
        super().setUp()
        self.course = factories.CourseFactory(
            title="Algorithms",
            slug="algo",
            description="Sorting and searching.",
            time_zone="Europe/Paris",
        )
        chapter = factories.ChapterFactory(course=self.course)
        factories.ProblemFactory.create_batch(3, chapter=chapter)
        factories.ProblemFactory(chapter=chapter, is_visible=False)
        factories.ProblemFactory(chapter=chapter, is_archived=True)
        factories.ProblemFactory(chapter=chapter, is_exam_only=True)
        # A second chapter: counting through two joins must not multiply the count.
        factories.ProblemFactory(chapter__course=self.course)
        self.draft = factories.CourseFactory(title="Compilers", slug="cc", is_published=False)
        self.student = factories.UserFactory()

    def url(self, **query):
        return reverse("api:course-list") + (
            "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""
        )

    def test_anonymous_users_see_published_courses_with_their_practice_problem_count(self):
        results = self.assertPage(self.client_for(None).get(self.url()), count=1)
        self.assertEqual(
            results,
            [
                {
                    "id": self.course.pk,
                    "slug": "algo",
                    "title": "Algorithms",
                    "description": "Sorting and searching.",
                    "time_zone": "Europe/Paris",
                    "is_published": True,
                    "problem_count": 4,
                    "my_role": None,
                }
            ],
        )

    def test_a_member_also_sees_the_unpublished_courses_they_belong_to_with_their_role(self):
        enroll(self.student, self.draft)
        results = self.assertPage(self.client_for(self.student).get(self.url()), count=2)
        self.assertEqual(
            [(r["title"], r["is_published"], r["my_role"]) for r in results],
            [("Algorithms", True, None), ("Compilers", False, "student")],
        )

    def test_the_role_shown_is_the_active_one(self):
        enroll(self.student, self.course, role=Role.ASSISTANT)
        results = self.assertPage(self.token_client_for(self.student).get(self.url()))
        self.assertEqual([r["my_role"] for r in results], ["assistant"])

    def test_dropped_and_removed_members_no_longer_see_an_unpublished_course(self):
        other = factories.UserFactory()
        enroll(self.student, self.draft, status=Enrollment.Status.DROPPED)
        enroll(other, self.draft, status=Enrollment.Status.REMOVED)
        for user in (self.student, other):
            results = self.assertPage(self.client_for(user).get(self.url()), count=1)
            self.assertEqual(results[0]["my_role"], None)

    def test_other_users_never_see_an_unpublished_course(self):
        enroll(factories.UserFactory(), self.draft, role=Role.INSTRUCTOR)
        self.assertPage(self.client_for(self.student).get(self.url()), count=1)

    def test_superusers_see_every_course(self):
        admin = factories.UserFactory(is_superuser=True)
        results = self.assertPage(self.client_for(admin).get(self.url()), count=2)
        self.assertEqual([r["my_role"] for r in results], [None, None])

    def test_q_searches_the_title_case_insensitively(self):
        factories.CourseFactory(title="Graph algorithms")
        results = self.assertPage(self.client_for(None).get(self.url(q="ALGO")), count=2)
        self.assertEqual([r["title"] for r in results], ["Algorithms", "Graph algorithms"])
        self.assertPage(self.client_for(None).get(self.url(q="nothing")), count=0)
        self.assertPage(self.client_for(None).get(self.url(q="")), count=2)
        # An unpublished course is not found by searching for it either.
        self.assertPage(self.client_for(None).get(self.url(q="Compilers")), count=0)

    def test_an_overlong_q_is_400_naming_it(self):
        response = self.client_for(None).get(self.url(q="x" * 201))
        self.assertError(response, 400, "invalid_input", fields={"q"})

    def test_pages_follow_the_shared_pagination(self):
        factories.CourseFactory.create_batch(2)
        response = self.client_for(None).get(self.url(page_size=2))
        body = response.json()
        self.assertEqual((body["count"], len(body["results"])), (3, 2))
        self.assertIsNotNone(body["next"])
        self.assertError(self.client_for(None).get(self.url(page=9)), 404, "not_found")

    def test_query_count_is_the_same_for_two_courses_and_a_full_page(self):
        def count(user) -> int:
            client = self.client_for(user)
            return self.count_queries(lambda: self.assertPage(client.get(self.url())))

        small = [count(None), count(self.student)]
        for course in factories.CourseFactory.create_batch(30):
            factories.ProblemFactory.create_batch(2, chapter__course=course)
            enroll(self.student, course)
        self.student = factories.UserFactory.create()  # a cold role cache, as the first time
        for course in Course.objects.filter(is_published=True)[:25]:
            enroll(self.student, course)
        self.assertEqual([count(None), count(self.student)], small)


# --- GET /api/v1/me/courses/ ------------------------------------------------------------------


class MyCourseListApiTestCase(ApiTestMixin, TestCase):
    def setUp(self):
        super().setUp()
        self.student = factories.UserFactory()
        self.client = self.client_for(self.student)

    def url(self):
        return reverse("api:my-course-list")

    def course_with_progress(self, title, *, solved=1, tried=1, policy="none"):
        course = factories.CourseFactory(title=title, late_policy=policy)
        chapter = factories.ChapterFactory(course=course)
        problems = factories.ProblemFactory.create_batch(solved + tried + 1, chapter=chapter)
        factories.ProblemFactory(chapter=chapter, is_exam_only=True, points=1000)
        for problem in problems[:solved]:
            judged(self.student, problem, 1)
        for problem in problems[solved : solved + tried]:
            judged(self.student, problem, "0.25")
        return course

    def test_lists_my_active_courses_with_my_role_and_progress(self):
        algo = self.course_with_progress("Algorithms", solved=2, tried=1)
        enroll(self.student, algo)
        taught = factories.CourseFactory(title="Basics", is_published=False)
        enroll(self.student, taught, role=Role.INSTRUCTOR)
        enroll(self.student, factories.CourseFactory(title="Dropped"), status="dropped")
        enroll(self.student, factories.CourseFactory(title="Removed"), status="removed")
        results = self.assertPage(self.client.get(self.url()), count=2)
        self.assertEqual([r["title"] for r in results], ["Algorithms", "Basics"])
        algo_row = results[0]
        self.assertEqual(algo_row["id"], algo.pk)
        self.assertEqual(algo_row["my_role"], "student")
        self.assertEqual(
            algo_row["progress"],
            {
                "solved": 2,
                "attempted": 3,
                "total_problems": 4,
                "total_points": "225.00",
                "points_possible": "400.00",
            },
        )
        self.assertEqual(
            set(algo_row),
            {
                "id",
                "slug",
                "title",
                "description",
                "time_zone",
                "is_published",
                "my_role",
                "enrolled_at",
                "progress",
            },
        )
        self.assertEqual(results[1]["my_role"], "instructor")
        self.assertEqual(results[1]["progress"]["total_problems"], 0)

    def test_points_follow_each_courses_late_policy(self):
        course = factories.CourseFactory(late_policy="penalty", late_penalty_percent_per_day=25)
        problem = factories.ProblemFactory(chapter__course=course, points=40)
        enroll(self.student, course)
        judged(self.student, problem, 1, late_days=2)
        progress = self.assertPage(self.client.get(self.url()))[0]["progress"]
        self.assertEqual((progress["solved"], progress["total_points"]), (1, "20.00"))

    def test_logged_out_is_403_not_authenticated(self):
        self.assertError(self.client_for(None).get(self.url()), 403, "not_authenticated")

    def test_query_count_is_the_same_for_two_courses_and_a_full_page(self):
        def count() -> int:
            self.client = self.client_for(self.student)
            return self.count_queries(lambda: self.assertPage(self.client.get(self.url())))

        for i in range(2):
            enroll(self.student, self.course_with_progress(f"A{i}", policy="penalty"))
        small = count()
        self.student = factories.UserFactory()
        for i in range(25):
            enroll(self.student, self.course_with_progress(f"B{i:02}", policy="penalty"))
        self.assertEqual(len(self.client_for(self.student).get(self.url()).json()["results"]), 20)
        self.assertEqual(count(), small)
        self.assertLessEqual(small, 6)


# --- GET /api/v1/courses/<id>/ ----------------------------------------------------------------


class CourseDetailApiTestCase(ApiTestMixin, TestCase):
    def setUp(self):
        super().setUp()
        self.course = factories.CourseFactory(
            title="Algorithms",
            slug="algo",
            description="Sorting.",
            time_zone="Europe/Paris",
            late_policy="penalty",
            late_penalty_percent_per_day=D("12.5"),
        )
        self.later = factories.ChapterFactory(course=self.course, title="Later", order=2)
        self.first = factories.ChapterFactory(
            course=self.course, title="First", order=1, due_at=at(2030, 1, 1, 12)
        )
        self.b = factories.ProblemFactory(chapter=self.first, title="B", order=2, points=50)
        self.a = factories.ProblemFactory(
            chapter=self.first, title="A", order=1, points=100, due_at=at(2029, 12, 1)
        )
        self.draft = factories.ProblemFactory(
            chapter=self.first, title="Draft", order=3, is_visible=False
        )
        self.archived = factories.ProblemFactory(
            chapter=self.first, title="Archived", order=4, is_archived=True
        )
        self.exam_only = factories.ProblemFactory(
            chapter=self.first, title="Exam", order=5, is_exam_only=True
        )
        self.student = factories.UserFactory()
        enroll(self.student, self.course)

    def url(self, course_id=None):
        return reverse("api:course-detail", args=[course_id or self.course.pk])

    def get(self, user=None, course_id=None) -> dict:
        response = self.client_for(user).get(self.url(course_id))
        self.assertEqual(response.status_code, 200, response.content)
        return response.json()

    def titles(self, body) -> list[list[str]]:
        return [[p["title"] for p in chapter["problems"]] for chapter in body["chapters"]]

    def test_anonymous_users_get_the_structure_without_any_state(self):
        def problem(p, due):
            return {
                "id": p.pk,
                "title": p.title,
                "points": p.points,
                "due_at": due,
                "is_visible": True,
                "is_archived": False,
                "is_exam_only": False,
                "my": None,
            }

        self.assertEqual(
            self.get(None),
            {
                "id": self.course.pk,
                "slug": "algo",
                "title": "Algorithms",
                "description": "Sorting.",
                "time_zone": "Europe/Paris",
                "is_published": True,
                "late_policy": {"policy": "penalty", "percent_per_day": "12.50"},
                "my_role": None,
                "chapters": [
                    {
                        "id": self.first.pk,
                        "title": "First",
                        "order": 1,
                        "due_at": "2030-01-01T12:00:00Z",
                        "problems": [
                            problem(self.a, "2029-12-01T00:00:00Z"),  # its own due date
                            problem(self.b, "2030-01-01T12:00:00Z"),  # its chapter's
                        ],
                    },
                    {
                        "id": self.later.pk,
                        "title": "Later",
                        "order": 2,
                        "due_at": None,
                        "problems": [],
                    },
                ],
            },
        )

    def test_students_and_non_members_see_only_practice_problems(self):
        for user in (self.student, factories.UserFactory(), None):
            with self.subTest(user=user):
                self.assertEqual(self.titles(self.get(user)), [["A", "B"], []])

    def test_the_courses_staff_and_superusers_see_every_problem_with_its_flags(self):
        assistant, instructor = factories.UserFactory(), factories.UserFactory()
        enroll(assistant, self.course, role=Role.ASSISTANT)
        enroll(instructor, self.course, role=Role.INSTRUCTOR)
        admin = factories.UserFactory(is_superuser=True)
        for user in (assistant, instructor, admin):
            with self.subTest(user=user.username):
                body = self.get(user)
                self.assertEqual(self.titles(body), [["A", "B", "Draft", "Archived", "Exam"], []])
                flags = [
                    (p["is_visible"], p["is_archived"], p["is_exam_only"])
                    for p in body["chapters"][0]["problems"][2:]
                ]
                self.assertEqual(
                    flags, [(False, False, False), (True, True, False), (True, False, True)]
                )
        self.assertEqual(self.get(assistant)["my_role"], "assistant")
        self.assertEqual(self.get(admin)["my_role"], None)

    def test_staff_of_another_course_see_what_students_see(self):
        outsider = factories.UserFactory()
        enroll(outsider, factories.CourseFactory(), role=Role.INSTRUCTOR)
        self.assertEqual(self.titles(self.get(outsider)), [["A", "B"], []])

    def test_a_member_sees_their_state_and_points_on_each_problem(self):
        judged(self.student, self.a, "0.5")
        judged(self.student, self.a, 1)
        judged(self.student, self.b, "0.3")
        body = self.get(self.student)
        self.assertEqual(body["my_role"], "student")
        a, b = body["chapters"][0]["problems"]
        self.assertEqual(
            a["my"],
            {
                "state": "solved",
                "attempts": 2,
                "best_score": "1.0000",
                "points": "100.00",
                "first_solved_at": a["my"]["first_solved_at"],
                "is_late": False,
            },
        )
        self.assertIsNotNone(a["my"]["first_solved_at"])
        self.assertEqual(
            (b["my"]["state"], b["my"]["attempts"], b["my"]["points"]), ("attempted", 1, "15.00")
        )

    def test_a_problem_never_tried_is_not_started_with_zero_points(self):
        self.assertEqual(
            self.get(self.student)["chapters"][0]["problems"][0]["my"],
            {
                "state": "not_started",
                "attempts": 0,
                "best_score": "0.0000",
                "points": "0.00",
                "first_solved_at": None,
                "is_late": False,
            },
        )

    def test_a_logged_in_non_member_gets_no_state(self):
        body = self.get(factories.UserFactory())
        self.assertEqual(body["my_role"], None)
        self.assertEqual(body["chapters"][0]["problems"][0]["my"], None)

    def test_an_unpublished_course_is_shown_to_its_members_and_superusers_only(self):
        self.course.is_published = False
        self.course.save()
        self.assertEqual(self.get(self.student)["is_published"], False)
        self.assertEqual(self.get(factories.UserFactory(is_superuser=True))["id"], self.course.pk)
        dropped = factories.UserFactory()
        enroll(dropped, self.course, status=Enrollment.Status.DROPPED)
        for user in (None, factories.UserFactory(), dropped):
            with self.subTest(user=user):
                self.assertError(self.client_for(user).get(self.url()), 404, "not_found")

    def test_an_unknown_course_is_404(self):
        self.assertError(
            self.client_for(None).get(self.url(self.course.pk + 999)), 404, "not_found"
        )

    def test_other_policies_show_no_percentage(self):
        # A course each: in a TestCase nothing commits, so the cached outline of one course
        # would outlive a change of its policy (test_read_queries.py checks that it does not).
        for policy in ("none", "not_counted"):
            course = factories.CourseFactory(
                late_policy=policy, late_penalty_percent_per_day=D("12.5")
            )
            self.assertEqual(
                self.get(None, course.pk)["late_policy"],
                {"policy": policy, "percent_per_day": None},
            )

    def test_query_count_is_the_same_for_two_problems_and_two_hundred(self):
        """For a member with progress (late submissions included), for staff and for visitors."""

        def counts(course, student, instructor) -> list[int]:
            url = self.url(course.pk)
            clients = [self.client_for(user) for user in (student, instructor, None)]
            return [self.count_queries(lambda c=client: c.get(url)) for client in clients]

        def world(problem_count):
            course = factories.CourseFactory(late_policy="penalty")
            problems = []
            for chapter_order in range(2):
                chapter = factories.ChapterFactory(course=course, order=chapter_order)
                problems += many_problems(chapter, problem_count // 2)
            student, instructor = factories.UserFactory(), factories.UserFactory()
            enroll(student, course)
            enroll(instructor, course, role=Role.INSTRUCTOR)
            progress_on(student, problems)
            progress_on(instructor, problems)
            return course, student, instructor

        small = counts(*world(2))
        large_world = world(200)
        self.assertEqual(counts(*large_world), small)
        self.assertEqual(
            len(self.get(large_world[1], large_world[0].pk)["chapters"][1]["problems"]), 100
        )
        self.assertLessEqual(max(small), 8)


# --- Late policy: the points a member sees ---------------------------------------------------


class LatePolicyPointsTestCase(ApiTestMixin, TestCase):
    """On-time 0.5 and two days late 1.0 on a 100-point problem, under each policy."""

    def setUp(self):
        super().setUp()
        self.course = factories.CourseFactory(
            late_policy="penalty", late_penalty_percent_per_day=10
        )
        self.problem = factories.ProblemFactory(chapter__course=self.course, points=100)
        self.student = factories.UserFactory()
        enroll(self.student, self.course)
        judged(self.student, self.problem, "0.5")
        judged(self.student, self.problem, 1, late_days=2)
        self.client = self.client_for(self.student)

    def mine(self) -> list[dict]:
        """``my`` in the outline, the progress and the problem, and the progress's total."""
        detail = self.client.get(reverse("api:course-detail", args=[self.course.pk])).json()
        progress = self.client.get(reverse("api:course-progress", args=[self.course.pk])).json()
        problem = self.client.get(reverse("api:problem-detail", args=[self.problem.pk])).json()
        mine = [
            detail["chapters"][0]["problems"][0]["my"],
            progress["chapters"][0]["problems"][0]["my"],
            problem["my"],
        ]
        self.assertEqual(mine[0], mine[1])
        self.assertEqual(mine[0], mine[2])
        self.assertEqual(progress["total_points"], mine[0]["points"])
        return mine[0]

    def assertMine(self, best_score, points, is_late):
        mine = self.mine()
        self.assertEqual(
            (mine["state"], mine["best_score"], mine["points"], mine["is_late"]),
            ("solved", best_score, points, is_late),
        )

    def set_policy(self, policy, percent=10):
        self.course.late_policy = policy
        self.course.late_penalty_percent_per_day = percent
        self.course.save()

    def test_a_penalty_per_day_lowers_a_late_best(self):
        self.assertMine("0.8000", "80.00", True)

    def test_a_late_best_penalised_below_the_on_time_best_does_not_count(self):
        self.set_policy("penalty", 30)
        self.assertMine("0.5000", "50.00", False)

    def test_a_tie_goes_to_the_submission_made_on_time(self):
        self.set_policy("penalty", 25)
        self.assertMine("0.5000", "50.00", False)

    def test_not_counted_late_work_earns_nothing_but_stays_solved(self):
        self.set_policy("not_counted")
        self.assertMine("0.5000", "50.00", False)

    def test_without_a_penalty_late_work_counts_in_full_and_is_marked_late(self):
        self.set_policy("none")
        self.assertMine("1.0000", "100.00", True)

    def test_only_late_work_under_not_counted_is_solved_for_zero_points(self):
        other = factories.ProblemFactory(chapter__course=self.course, points=100)
        self.problem = other
        self.set_policy("not_counted")
        judged(self.student, other, 1, late_days=1)
        mine = self.client.get(reverse("api:problem-detail", args=[other.pk])).json()["my"]
        self.assertEqual((mine["state"], mine["points"], mine["is_late"]), ("solved", "0.00", True))


# --- GET /api/v1/courses/<id>/progress/ -------------------------------------------------------


class CourseProgressApiTestCase(ApiTestMixin, TestCase):
    def setUp(self):
        super().setUp()
        self.student = factories.UserFactory()
        self.course = factories.CourseFactory()
        self.first = factories.ChapterFactory(course=self.course, order=0, title="One")
        self.second = factories.ChapterFactory(
            course=self.course, order=1, title="Two", due_at=at(2031, 5, 1)
        )
        self.solved = factories.ProblemFactory(chapter=self.first, order=0, points=100)
        self.tried = factories.ProblemFactory(chapter=self.first, order=1, points=50)
        self.untouched = factories.ProblemFactory(chapter=self.second, order=0, points=30)
        self.exam_only = factories.ProblemFactory(chapter=self.second, order=1, is_exam_only=True)
        factories.ProblemFactory(chapter=self.second, order=2, is_visible=False)
        factories.ProblemFactory(chapter=self.second, order=3, is_archived=True)
        enroll(self.student, self.course)
        factories.ProblemProgressFactory(
            user=self.student,
            problem=self.solved,
            status="solved",
            attempts=2,
            best_score=1,
            first_solved_at=at(2025, 3, 1, 9),
        )
        factories.ProblemProgressFactory(
            user=self.student, problem=self.tried, status="attempted", attempts=1, best_score="0.5"
        )
        # Exam work is scored by the exam; it is not the course's practice progress.
        factories.ProblemProgressFactory(
            user=self.student, problem=self.exam_only, status="solved", attempts=1, best_score=1
        )
        self.client = self.client_for(self.student)

    def url(self, course_id=None):
        return reverse("api:course-progress", args=[course_id or self.course.pk])

    def test_an_enrolled_student_gets_the_summary_per_chapter_and_per_problem(self):
        response = self.client.get(self.url())
        self.assertEqual(response.status_code, 200, response.content)

        def mine(state, attempts, best, points, solved_at=None):
            return {
                "state": state,
                "attempts": attempts,
                "best_score": best,
                "points": points,
                "first_solved_at": solved_at,
                "is_late": False,
            }

        self.assertEqual(
            response.json(),
            {
                "course": self.course.pk,
                "solved": 1,
                "attempted": 2,
                "total_problems": 3,
                "total_points": "125.00",
                "points_possible": "180.00",
                "chapters": [
                    {
                        "id": self.first.pk,
                        "title": "One",
                        "order": 0,
                        "due_at": None,
                        "solved": 1,
                        "attempted": 2,
                        "total_problems": 2,
                        "total_points": "125.00",
                        "points_possible": "150.00",
                        "problems": [
                            {
                                "id": self.solved.pk,
                                "title": self.solved.title,
                                "points": 100,
                                "due_at": None,
                                "my": mine("solved", 2, "1.0000", "100.00", "2025-03-01T09:00:00Z"),
                            },
                            {
                                "id": self.tried.pk,
                                "title": self.tried.title,
                                "points": 50,
                                "due_at": None,
                                "my": mine("attempted", 1, "0.5000", "25.00"),
                            },
                        ],
                    },
                    {
                        "id": self.second.pk,
                        "title": "Two",
                        "order": 1,
                        "due_at": "2031-05-01T00:00:00Z",
                        "solved": 0,
                        "attempted": 0,
                        "total_problems": 1,
                        "total_points": "0.00",
                        "points_possible": "30.00",
                        "problems": [
                            {
                                "id": self.untouched.pk,
                                "title": self.untouched.title,
                                "points": 30,
                                "due_at": "2031-05-01T00:00:00Z",
                                "my": mine("not_started", 0, "0.0000", "0.00"),
                            }
                        ],
                    },
                ],
            },
        )

    def test_the_cached_summary_agrees_with_the_endpoint(self):
        body = self.client.get(self.url()).json()
        summary = selectors.course_progress_summary(
            user_id=self.student.pk, course_id=self.course.pk
        )
        self.assertEqual(
            (summary.solved, summary.attempted, str(summary.total_points)),
            (body["solved"], body["attempted"], body["total_points"]),
        )

    def test_staff_see_their_own_progress_over_the_same_problems(self):
        instructor = factories.UserFactory()
        enroll(instructor, self.course, role=Role.INSTRUCTOR)
        body = self.client_for(instructor).get(self.url()).json()
        self.assertEqual((body["total_problems"], body["solved"]), (3, 0))

    def test_not_enrolled_is_403_and_unpublished_or_missing_courses_are_404(self):
        outsider = self.client_for(factories.UserFactory())
        self.assertError(outsider.get(self.url()), 403, "not_enrolled", fields={"course"})
        self.assertError(self.client.get(self.url(self.course.pk + 1000)), 404, "not_found")
        draft = factories.CourseFactory(is_published=False)
        self.assertError(outsider.get(self.url(draft.pk)), 404, "not_found")
        enroll(self.student, draft)
        self.assertEqual(self.client.get(self.url(draft.pk)).status_code, 200)

    def test_dropped_and_removed_members_are_403_not_enrolled(self):
        for status in (Enrollment.Status.DROPPED, Enrollment.Status.REMOVED):
            with self.subTest(status=status):
                former = factories.UserFactory()
                enroll(former, self.course, status=status)
                response = self.client_for(former).get(self.url())
                self.assertError(response, 403, "not_enrolled")

    def test_logged_out_users_get_403_not_authenticated(self):
        self.assertError(self.client_for(None).get(self.url()), 403, "not_authenticated")

    def test_query_count_is_the_same_for_two_problems_and_two_hundred(self):
        def count(problem_count) -> int:
            course = factories.CourseFactory(late_policy="penalty")
            problems = many_problems(factories.ChapterFactory(course=course), problem_count)
            student = factories.UserFactory()
            enroll(student, course)
            progress_on(student, problems)
            client = self.client_for(student)
            url = self.url(course.pk)
            return self.count_queries(lambda: self.assertEqual(client.get(url).status_code, 200))

        small = count(2)
        self.assertEqual(count(200), small)
        self.assertLessEqual(small, 7)


class ProgressFollowsChangesTestCase(ApiTestMixin, TransactionTestCase):
    """Transactional: invalidation runs after commit, so the commits must be real."""

    def setUp(self):
        super().setUp()
        self.student = factories.UserFactory()
        self.course = factories.CourseFactory()
        chapter = factories.ChapterFactory(course=self.course)
        self.solved = factories.ProblemFactory(chapter=chapter, points=100)
        self.tried = factories.ProblemFactory(chapter=chapter, points=50)
        enroll(self.student, self.course)
        judged(self.student, self.solved, 1)
        judged(self.student, self.tried, "0.5")
        self.client = self.client_for(self.student)

    def summary(self):
        return selectors.course_progress_summary(user_id=self.student.pk, course_id=self.course.pk)

    def body(self):
        return self.client.get(reverse("api:course-progress", args=[self.course.pk])).json()

    def assertBoth(self, solved, attempted, total_points):
        """The endpoint and the cached summary say the same."""
        body = self.body()
        self.assertEqual(
            (body["solved"], body["attempted"], body["total_points"]),
            (solved, attempted, total_points),
        )
        summary = self.summary()
        self.assertEqual(
            (summary.solved, summary.attempted, str(summary.total_points)),
            (solved, attempted, total_points),
        )

    def test_new_progress_shows_after_commit(self):
        self.assertBoth(1, 2, "125.00")  # the summary is cached now
        judged(self.student, self.tried, 1)
        self.assertBoth(2, 2, "150.00")

    def test_hiding_archiving_or_moving_a_problem_to_an_exam_shows_at_once(self):
        self.assertBoth(1, 2, "125.00")
        for field in ("is_visible", "is_archived", "is_exam_only"):
            with self.subTest(field=field):
                setattr(self.tried, field, field != "is_visible")
                self.tried.save()
                self.assertBoth(1, 1, "100.00")
                for name, value in (("is_visible", True), ("is_archived", False)):
                    setattr(self.tried, name, value)
                self.tried.is_exam_only = False
                self.tried.save()
                self.assertBoth(1, 2, "125.00")

    def test_a_problems_points_and_the_courses_late_policy_show_at_once(self):
        self.assertBoth(1, 2, "125.00")
        self.solved.points = 10
        self.solved.save()
        self.assertBoth(1, 2, "35.00")
        judged(self.student, self.tried, 1, late_days=1)
        self.assertBoth(2, 2, "60.00")  # late, counted in full under "none"
        self.course.late_policy = "not_counted"
        self.course.save()
        self.assertBoth(2, 2, "35.00")

    def test_a_problem_moved_to_another_course_leaves_both_summaries_right(self):
        other = factories.CourseFactory()
        enroll(self.student, other)
        other_summary = selectors.course_progress_summary(
            user_id=self.student.pk, course_id=other.pk
        )
        self.assertEqual(other_summary.solved, 0)
        self.assertBoth(1, 2, "125.00")
        self.solved.chapter = factories.ChapterFactory(course=other)
        self.solved.save()
        self.assertBoth(0, 1, "25.00")
        moved = selectors.course_progress_summary(user_id=self.student.pk, course_id=other.pk)
        self.assertEqual((moved.solved, moved.total_points), (1, D("100.00")))

    def test_deleting_a_problem_or_a_chapter_shows_at_once(self):
        self.assertBoth(1, 2, "125.00")
        Submission.objects.filter(problem=self.tried).delete()
        self.tried.delete()
        self.assertBoth(1, 1, "100.00")
        Submission.objects.filter(problem=self.solved).delete()
        self.solved.chapter.delete()
        self.assertBoth(0, 0, "0.00")


# --- The state of an attempted problem, judged for real (the edge) ---------------------


class ProblemStateEdgesTestCase(ApiTestMixin, TransactionTestCase):
    """Judged inline on commit through scripted backends, as a real submission is."""

    def setUp(self):
        super().setUp()
        self.student = factories.UserFactory()
        self.problem = factories.ProblemFactory()
        factories.ProblemTestCaseFactory(problem=self.problem, input="[1, 2]", expected_output="3")
        self.course = self.problem.chapter.course
        enroll(self.student, self.course)
        self.client = self.client_for(self.student)

    def submit(self):
        submission = submission_create(
            user=self.student, problem=self.problem, language="python", code=ADD
        )
        submission.refresh_from_db()
        return submission

    def states(self) -> tuple[str, str, str]:
        """The problem's state in the outline, the progress and the problem's own page."""
        detail = self.client.get(reverse("api:course-detail", args=[self.course.pk])).json()
        progress = self.client.get(reverse("api:course-progress", args=[self.course.pk])).json()
        problem = self.client.get(reverse("api:problem-detail", args=[self.problem.pk])).json()
        return (
            detail["chapters"][0]["problems"][0]["my"]["state"],
            progress["chapters"][0]["problems"][0]["my"]["state"],
            problem["my"]["state"],
        )

    @override_settings(COURSES_JUDGE_BACKEND=backend_path(WrongBackend))
    def test_an_attempted_but_unsolved_problem_is_attempted(self):
        self.assertEqual(self.states(), ("not_started",) * 3)
        self.assertEqual(self.submit().status, Verdict.WRONG_ANSWER)
        self.assertEqual(self.states(), ("attempted",) * 3)
        progress = self.client.get(reverse("api:course-progress", args=[self.course.pk])).json()
        self.assertEqual((progress["solved"], progress["attempted"]), (0, 1))

    @override_settings(
        COURSES_JUDGE_BACKEND=backend_path(UnreachableBackend),
        COURSES_JUDGE_RETRY_MAX_AGE_SECONDS=0,  # an outage ends judging at once
    )
    def test_a_problem_given_only_internal_errors_stays_not_started(self):
        for _ in range(2):
            self.assertEqual(self.submit().status, Verdict.INTERNAL_ERROR)
        self.assertEqual(self.states(), ("not_started",) * 3)
        # With a progress row too, as a rejudge that ends internal_error leaves it.
        with transaction.atomic():
            progress_recompute(user_id=self.student.pk, problem_id=self.problem.pk)
        self.assertEqual(ProblemProgress.objects.get(user=self.student).status, "not_started")
        self.assertEqual(self.states(), ("not_started",) * 3)
        progress = self.client.get(reverse("api:course-progress", args=[self.course.pk])).json()
        self.assertEqual((progress["solved"], progress["attempted"]), (0, 0))
        mine = progress["chapters"][0]["problems"][0]["my"]
        self.assertEqual((mine["attempts"], mine["points"]), (0, "0.00"))


# --- GET /api/v1/problems/<id>/ ---------------------------------------------------------------

STATEMENT = """# Sum

Return `a + b`.

```python
def solve(a, b):
    return a + b
```

<script>alert("x")</script>
"""


class ProblemDetailApiTestCase(ApiTestMixin, TestCase):
    def setUp(self):
        super().setUp()
        self.course = factories.CourseFactory(
            late_policy="penalty", late_penalty_percent_per_day=D("5")
        )
        self.chapter = factories.ChapterFactory(course=self.course, due_at=at(2030, 6, 1))
        self.problem = factories.ProblemFactory(
            chapter=self.chapter,
            title="Sum",
            statement=STATEMENT,
            points=40,
            time_limit_ms=1500,
            memory_limit_kb=65536,
            output_limit_kb=32,
            allowed_languages=["python", "cpp"],
            starter_code={"python": "def solve(a, b):\n    pass\n", "java": "class Main {}"},
            io_mode="function",
            entry_point="solve",
        )
        # Created out of order: samples come in their order.
        factories.ProblemTestCaseFactory(
            problem=self.problem, order=3, input="[2, 2]", expected_output="4", is_sample=True
        )
        factories.ProblemTestCaseFactory(
            problem=self.problem, order=1, input="[1, 2]", expected_output="3", is_sample=True
        )
        for order in (2, 4, 5):
            factories.ProblemTestCaseFactory(
                problem=self.problem,
                order=order,
                input=f"SECRET-INPUT-{order}",
                expected_output=f"SECRET-OUTPUT-{order}",
            )
        self.student = factories.UserFactory()
        enroll(self.student, self.course)
        self.client = self.client_for(self.student)

    def url(self, problem_id=None):
        return reverse("api:problem-detail", args=[problem_id or self.problem.pk])

    def get(self, user=None, problem_id=None) -> dict:
        client = self.client if user is None else self.client_for(user)
        response = client.get(self.url(problem_id))
        self.assertEqual(response.status_code, 200, response.content)
        return response.json()

    def test_a_member_reads_the_problem(self):
        body = self.get()
        statement_html = body.pop("statement_html")
        self.assertEqual(
            body,
            {
                "id": self.problem.pk,
                "course": self.course.pk,
                "chapter": self.chapter.pk,
                "title": "Sum",
                "statement": STATEMENT,
                "time_limit_ms": 1500,
                "memory_limit_kb": 65536,
                "output_limit_kb": 32,
                "languages": [
                    {
                        "key": "python",
                        "name": "Python 3",
                        "starter_code": "def solve(a, b):\n    pass\n",
                        "time_limit_ms": 1500,
                        "memory_limit_kb": 65536,
                    },
                    {
                        "key": "cpp",
                        "name": "C++ (g++, C++17)",
                        "starter_code": "",
                        "time_limit_ms": 1500,
                        "memory_limit_kb": 65536,
                    },
                ],
                "io_mode": "function",
                "entry_point": "solve",
                "samples": [
                    {"order": 1, "input": "[1, 2]", "expected_output": "3"},
                    {"order": 3, "input": "[2, 2]", "expected_output": "4"},
                ],
                "hidden_case_count": 3,
                "subtasks": [],
                "points": 40,
                "due_at": "2030-06-01T00:00:00Z",
                "late_policy": {"policy": "penalty", "percent_per_day": "5.00"},
                "is_visible": True,
                "is_archived": False,
                "is_exam_only": False,
                "my": {
                    "state": "not_started",
                    "attempts": 0,
                    "best_score": "0.0000",
                    "points": "0.00",
                    "first_solved_at": None,
                    "is_late": False,
                },
            },
        )
        self.assertIn("<h1>Sum</h1>", statement_html)
        self.assertIn('<span class="k">def</span>', statement_html)

    def test_the_statement_html_is_sanitised(self):
        html = self.get()["statement_html"]
        self.assertNotIn("<script", html)
        self.assertIn("&lt;script&gt;", html)

    def test_hidden_cases_never_leave_the_server_for_anyone(self):
        instructor = factories.UserFactory()
        enroll(instructor, self.course, role=Role.INSTRUCTOR)
        judged(self.student, self.problem, "0.5")
        for user in (self.student, instructor, factories.UserFactory(is_superuser=True)):
            with self.subTest(user=user.username):
                response = self.client_for(user).get(self.url())
                self.assertEqual(response.status_code, 200)
                self.assertNotIn(b"SECRET", response.content)

    def test_the_members_state_and_points_follow_the_late_policy(self):
        judged(self.student, self.problem, 1, late_days=3)
        self.assertEqual(
            self.get()["my"],
            {
                "state": "solved",
                "attempts": 1,
                "best_score": "0.8500",
                "points": "34.00",
                "first_solved_at": self.get()["my"]["first_solved_at"],
                "is_late": True,
            },
        )

    def test_the_problems_own_due_date_wins_over_its_chapters(self):
        self.problem.due_at = at(2030, 5, 1, 8, 30)
        self.problem.save()
        self.assertEqual(self.get()["due_at"], "2030-05-01T08:30:00Z")

    def test_a_language_missing_from_the_platforms_table_is_named_by_its_key(self):
        Problem.objects.filter(pk=self.problem.pk).update(allowed_languages=["python", "cobol"])
        self.assertEqual(
            [(lang["key"], lang["name"]) for lang in self.get()["languages"]],
            [("python", "Python 3"), ("cobol", "cobol")],
        )

    def test_students_get_404_for_drafts_archived_exam_only_and_unknown_problems(self):
        hidden = [
            factories.ProblemFactory(chapter=self.chapter, is_visible=False),
            factories.ProblemFactory(chapter=self.chapter, is_archived=True),
            factories.ProblemFactory(chapter=self.chapter, is_exam_only=True),
        ]
        for problem_id in [p.pk for p in hidden] + [self.problem.pk + 999]:
            with self.subTest(problem_id=problem_id):
                self.assertError(self.client.get(self.url(problem_id)), 404, "not_found")

    def test_the_courses_staff_read_drafts_archived_and_exam_only_problems(self):
        assistant, instructor = factories.UserFactory(), factories.UserFactory()
        enroll(assistant, self.course, role=Role.ASSISTANT)
        enroll(instructor, self.course, role=Role.INSTRUCTOR)
        draft = factories.ProblemFactory(chapter=self.chapter, is_visible=False)
        archived = factories.ProblemFactory(chapter=self.chapter, is_archived=True)
        exam_only = factories.ProblemFactory(chapter=self.chapter, is_exam_only=True)
        for user in (assistant, instructor, factories.UserFactory(is_superuser=True)):
            for problem, flags in (
                (draft, (False, False, False)),
                (archived, (True, True, False)),
                (exam_only, (True, False, True)),
            ):
                with self.subTest(user=user.username, problem=problem.pk):
                    body = self.get(user, problem.pk)
                    self.assertEqual(
                        (body["is_visible"], body["is_archived"], body["is_exam_only"]), flags
                    )

    def test_a_non_member_of_a_published_course_is_403_not_enrolled(self):
        for user in (factories.UserFactory(), self.other_courses_instructor()):
            with self.subTest(user=user.username):
                response = self.client_for(user).get(self.url())
                self.assertError(response, 403, "not_enrolled", fields={"course"})

    def other_courses_instructor(self):
        user = factories.UserFactory()
        enroll(user, factories.CourseFactory(), role=Role.INSTRUCTOR)
        return user

    def test_dropped_and_removed_members_are_403_not_enrolled(self):
        for status in (Enrollment.Status.DROPPED, Enrollment.Status.REMOVED):
            with self.subTest(status=status):
                former = factories.UserFactory()
                enroll(former, self.course, status=status)
                response = self.client_for(former).get(self.url())
                self.assertError(response, 403, "not_enrolled")

    def test_problems_of_an_unpublished_course_are_404_to_all_but_its_staff(self):
        self.course.is_published = False
        self.course.save()
        for user in (self.student, factories.UserFactory()):
            with self.subTest(user=user.username):
                self.assertError(self.client_for(user).get(self.url()), 404, "not_found")
        instructor = factories.UserFactory()
        enroll(instructor, self.course, role=Role.INSTRUCTOR)
        self.assertEqual(self.get(instructor)["id"], self.problem.pk)

    def test_logged_out_is_403_not_authenticated(self):
        self.assertError(self.client_for(None).get(self.url()), 403, "not_authenticated")

    def test_query_count_does_not_grow_with_cases_or_submissions(self):
        def count(problem) -> int:
            student = factories.UserFactory()
            enroll(student, problem.chapter.course)
            progress_on(student, [problem])
            client = self.client_for(student)
            url = self.url(problem.pk)
            return self.count_queries(lambda: self.assertEqual(client.get(url).status_code, 200))

        small = count(self.problem)
        large = factories.ProblemFactory(chapter=self.chapter)
        ProblemTestCase.objects.bulk_create(
            ProblemTestCase(problem=large, order=i, input="1", is_sample=i % 2 == 0)
            for i in range(60)
        )
        self.assertEqual(count(large), small)
        self.assertLessEqual(small, 9)  # 8, and one for the problem's subtasks (issue 14)
