"""The admin, as an instructor uses it: scoped to their own courses by the one access policy,
with inlines whose blank orders go last, test data checked as the API checks it, read-only
submissions; course creators add courses; a superuser sees everything.

Roles are read through the cache (``courses.selectors``), so each test gets a fresh cache
namespace (``FreshCacheMixin``): a rolled-back test never commits its invalidations.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from decimal import Decimal

from django.contrib.auth.models import Permission
from django.test import TestCase, TransactionTestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from courses.models import Chapter, Course, Enrollment, ProblemTestCase
from courses.tests import factories
from courses.tests.api_support import AcceptingBackend, backend_path
from courses.tests.signals.support import FreshCacheMixin

SCOPED_MODELS = (
    "course",
    "chapter",
    "problem",
    "submission",
    "exam",
    "examattempt",
    "enrollment",
    "problemprogress",
    "discussionthread",
)


def changelist(model: str) -> str:
    return reverse(f"admin:courses_{model}_changelist")


def change(model: str, pk: int) -> str:
    return reverse(f"admin:courses_{model}_change", args=[pk])


class CourseWorld:
    """A course with one of everything, titled so that its name shows up in HTML."""

    def __init__(self, name: str):
        self.course = factories.CourseFactory(title=f"Course {name}", slug=f"course-{name}")
        self.chapter = factories.ChapterFactory(course=self.course, title=f"Chapter {name}")
        self.problem = factories.ProblemFactory(chapter=self.chapter, title=f"Problem {name}")
        self.case = factories.ProblemTestCaseFactory(
            problem=self.problem, input=f"input-of-{name}", expected_output=f"output-of-{name}"
        )
        self.student = factories.UserFactory(username=f"student-{name}")
        self.enrollment = factories.EnrollmentFactory(user=self.student, course=self.course)
        self.submission = factories.SubmissionFactory(user=self.student, problem=self.problem)
        self.progress = factories.ProblemProgressFactory(user=self.student, problem=self.problem)
        self.exam = factories.ExamFactory(course=self.course, title=f"Exam {name}")
        self.exam_problem = factories.ExamProblemFactory(exam=self.exam, problem=self.problem)
        self.attempt = factories.ExamAttemptFactory(exam=self.exam, user=self.student)
        self.thread = factories.DiscussionThreadFactory(
            course=self.course, author=self.student, title=f"Thread {name}"
        )

    def object_for(self, model: str):
        return {
            "course": self.course,
            "chapter": self.chapter,
            "problem": self.problem,
            "submission": self.submission,
            "exam": self.exam,
            "examattempt": self.attempt,
            "enrollment": self.enrollment,
            "problemprogress": self.progress,
            "discussionthread": self.thread,
        }[model]


def make_instructor(username: str = "teacher", **extra):
    user = factories.UserFactory(username=username, is_staff=True, **extra)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="courses"),
        *Permission.objects.filter(codename="view_user"),
    )
    return user


class AdminScopeTestCase(FreshCacheMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.mine = CourseWorld("mine")
        cls.theirs = CourseWorld("theirs")
        cls.audited = CourseWorld("audited")
        cls.dropped = CourseWorld("dropped")
        cls.instructor = make_instructor()
        factories.EnrollmentFactory(
            user=cls.instructor, course=cls.mine.course, role=Enrollment.Role.INSTRUCTOR
        )
        # Neither a student enrollment nor a dropped instructor enrollment grants anything.
        factories.EnrollmentFactory(
            user=cls.instructor, course=cls.audited.course, role=Enrollment.Role.STUDENT
        )
        factories.EnrollmentFactory(
            user=cls.instructor,
            course=cls.dropped.course,
            role=Enrollment.Role.INSTRUCTOR,
            status=Enrollment.Status.DROPPED,
        )

    def setUp(self):
        super().setUp()
        self.client.force_login(self.instructor)

    def listed(self, model: str) -> set:
        response = self.client.get(changelist(model))
        self.assertEqual(response.status_code, 200, model)
        return set(response.context["cl"].result_list)

    def test_instructor_changelists_show_only_their_courses_objects(self):
        for model in SCOPED_MODELS:
            with self.subTest(model=model):
                listed = self.listed(model)
                mine = self.mine.object_for(model)
                self.assertIn(mine, listed)
                if model == "enrollment":
                    # Their own instructor enrollment is in their course too.
                    self.assertEqual(
                        {e.course for e in listed}, {self.mine.course}, "foreign enrollment"
                    )
                else:
                    self.assertEqual(listed, {mine})

    def add_second_own_course(self) -> CourseWorld:
        """Django shows a related filter only with two choices or more."""
        second = CourseWorld("second")
        factories.EnrollmentFactory(
            user=self.instructor, course=second.course, role=Enrollment.Role.INSTRUCTOR
        )
        return second

    def test_instructor_changelists_do_not_name_other_courses_even_in_filters(self):
        self.add_second_own_course()
        for model in SCOPED_MODELS:
            with self.subTest(model=model):
                response = self.client.get(changelist(model))
                html = response.content.decode()
                self.assertIn(str(self.mine.object_for(model)), html)
                leaks = [
                    f"{label} {other}"
                    for other in ("theirs", "audited", "dropped")
                    for label in ("Course", "Exam", "Problem", "Chapter", "Thread")
                    if f"{label} {other}" in html
                ]
                self.assertEqual(leaks, [])

    def test_instructor_course_and_exam_filters_offer_only_their_own(self):
        second = self.add_second_own_course()
        for model, title, expected in (
            ("problem", "course", {self.mine.course, second.course}),
            ("submission", "course", {self.mine.course, second.course}),
            ("chapter", "course", {self.mine.course, second.course}),
            ("exam", "course", {self.mine.course, second.course}),
            ("discussionthread", "course", {self.mine.course, second.course}),
            ("examattempt", "exam", {self.mine.exam, second.exam}),
        ):
            with self.subTest(model=model):
                response = self.client.get(changelist(model))
                spec = next(s for s in response.context["cl"].filter_specs if s.title == title)
                self.assertTrue(spec.has_output())
                self.assertEqual({pk for pk, _ in spec.lookup_choices}, {o.pk for o in expected})

    def test_instructor_cannot_open_another_courses_objects_by_url(self):
        # Django's admin answers an object outside get_queryset() as a missing object: a
        # redirect to the admin index with a "doesn't exist" message, never the form.
        for world in (self.theirs, self.audited, self.dropped):
            for model in SCOPED_MODELS:
                with self.subTest(course=world.course.title, model=model):
                    obj = world.object_for(model)
                    response = self.client.get(change(model, obj.pk), follow=True)
                    self.assertRedirects(response, reverse("admin:index"))
                    self.assertContains(response, "doesn\u2019t exist")
                    self.assertNotIn("adminform", response.context)

    def test_instructor_cannot_change_or_delete_another_courses_problem(self):
        problem = self.theirs.problem
        response = self.client.post(
            change("problem", problem.pk), {"title": "hijacked", "chapter": problem.chapter_id}
        )
        self.assertRedirects(response, reverse("admin:index"))
        response = self.client.post(
            reverse("admin:courses_problem_delete", args=[problem.pk]), {"post": "yes"}
        )
        self.assertRedirects(response, reverse("admin:index"))
        problem.refresh_from_db()
        self.assertEqual(problem.title, "Problem theirs")

    def test_instructor_can_edit_their_own_problem(self):
        url = change("problem", self.mine.problem.pk)
        response = self.client.get(url)
        self.assertEqual(response.status_code, 200)
        data = self.change_form_data(response)
        data["title"] = "Renamed"
        response = self.client.post(url, data)
        self.assertRedirects(response, changelist("problem"))
        self.mine.problem.refresh_from_db()
        self.assertEqual(self.mine.problem.title, "Renamed")

    @staticmethod
    def change_form_data(response) -> dict:
        """The form's current values, as a browser would post them back."""
        data = {}
        for form in [response.context["adminform"].form] + [
            f for inline in response.context["inline_admin_formsets"] for f in [inline.formset]
        ]:
            if hasattr(form, "management_form"):
                mgmt = form.management_form
                data.update({mgmt.add_prefix(k): v for k, v in mgmt.initial.items()})
                forms = form.forms
            else:
                forms = [form]
            for f in forms:
                for name, field in f.fields.items():
                    value = f.initial.get(name, field.initial)
                    if value is None:
                        continue
                    if isinstance(value, bool):
                        if value:
                            data[f.add_prefix(name)] = "on"
                        continue
                    if isinstance(value, datetime):  # the admin's split date and time inputs
                        # Course times are shown on the course's clocks (naive); others in UTC.
                        local = value if timezone.is_naive(value) else timezone.localtime(value)
                        data[f.add_prefix(name) + "_0"] = local.date().isoformat()
                        data[f.add_prefix(name) + "_1"] = local.time().isoformat("seconds")
                        continue
                    if hasattr(value, "pk"):
                        value = value.pk
                    if isinstance(value, (list, dict)):
                        value = field.prepare_value(value)
                    data[f.add_prefix(name)] = value
        return data

    def test_foreign_key_choices_offer_only_their_courses(self):
        response = self.client.get(reverse("admin:courses_problem_add"))
        chapters = set(response.context["adminform"].form.fields["chapter"].queryset)
        self.assertEqual(chapters, {self.mine.chapter})
        response = self.client.get(reverse("admin:courses_exam_add"))
        courses = set(response.context["adminform"].form.fields["course"].queryset)
        self.assertEqual(courses, {self.mine.course})

    def test_assistants_edit_nothing_in_the_admin(self):
        assistant = make_instructor("assistant")
        factories.EnrollmentFactory(
            user=assistant, course=self.mine.course, role=Enrollment.Role.ASSISTANT
        )
        self.client.force_login(assistant)
        for model in SCOPED_MODELS:
            with self.subTest(model=model):
                self.assertEqual(self.listed(model), set())

    def test_staff_without_instructor_enrollment_sees_nothing(self):
        self.client.force_login(make_instructor("stranger"))
        for model in SCOPED_MODELS:
            with self.subTest(model=model):
                self.assertEqual(self.listed(model), set())

    def test_instructor_without_permissions_is_refused(self):
        user = factories.UserFactory(username="bare", is_staff=True)
        factories.EnrollmentFactory(
            user=user, course=self.mine.course, role=Enrollment.Role.INSTRUCTOR
        )
        self.client.force_login(user)
        response = self.client.get(changelist("problem"))
        self.assertEqual(response.status_code, 403)


class CourseCreatorAdminTestCase(FreshCacheMixin, TransactionTestCase):
    """``courses.add_course`` lets a user add courses in the admin, as in the API; the creator
    becomes the instructor. Real commits: the roles' cache is cleared after commit."""

    def setUp(self):
        super().setUp()
        self.instructor = make_instructor()
        self.client.force_login(self.instructor)

    def test_staff_without_the_creator_permission_cannot_add_courses(self):
        user = make_instructor("no-creator")
        user.user_permissions.remove(Permission.objects.get(codename="add_course"))
        self.client.force_login(user)
        self.assertEqual(self.client.get(reverse("admin:courses_course_add")).status_code, 403)
        response = self.client.post(
            reverse("admin:courses_course_add"), {"title": "Mine now", "slug": "mine-now"}
        )
        self.assertEqual(response.status_code, 403)
        self.assertFalse(Course.objects.filter(slug="mine-now").exists())

    def test_course_creator_adds_a_course_and_becomes_its_instructor(self):
        # make_instructor grants every courses permission, courses.add_course included.
        response = self.client.get(reverse("admin:courses_course_add"))
        self.assertEqual(response.status_code, 200)
        data = AdminScopeTestCase.change_form_data(response)
        data.update({"title": "Brand new", "slug": "brand-new", "time_zone": "Europe/Paris"})
        response = self.client.post(reverse("admin:courses_course_add"), data)
        course = Course.objects.get(slug="brand-new")
        self.assertRedirects(response, changelist("course"))
        enrollment = Enrollment.objects.get(course=course)
        self.assertEqual(
            (enrollment.user, enrollment.role, enrollment.status),
            (self.instructor, Enrollment.Role.INSTRUCTOR, Enrollment.Status.ACTIVE),
        )
        listed = self.client.get(changelist("course")).context["cl"].result_list
        self.assertEqual(list(listed), [course])

    def test_a_new_courses_chapter_due_dates_are_labelled_and_read_in_its_zone(self):
        """The zone is the one the course's form is sent with, so the add page names none
        yet: it said "(UTC)" and then read the time in the course's zone."""
        response = self.client.get(reverse("admin:courses_course_add"))
        page = response.content.decode()
        self.assertIn("Due at (the course&#x27;s time zone)", page)
        self.assertNotIn("Due at (UTC)", page)
        data = AdminScopeTestCase.change_form_data(response)
        data.update(
            {
                "title": "Zoned",
                "slug": "zoned",
                "time_zone": "Europe/Paris",
                "chapters-TOTAL_FORMS": "1",
                "chapters-0-title": "One",
                "chapters-0-order": "0",
                "chapters-0-due_at_0": "2026-12-20",
                "chapters-0-due_at_1": "23:59",
            }
        )
        response = self.client.post(reverse("admin:courses_course_add"), data)
        self.assertRedirects(response, changelist("course"))
        chapter = Chapter.objects.get(course__slug="zoned")
        self.assertEqual(chapter.due_at, datetime(2026, 12, 20, 22, 59, tzinfo=UTC))

    def test_course_creator_listing_themselves_as_student_still_becomes_instructor(self):
        response = self.client.get(reverse("admin:courses_course_add"))
        data = AdminScopeTestCase.change_form_data(response)
        data.update(
            {
                "title": "Listed",
                "slug": "listed",
                "enrollments-TOTAL_FORMS": "1",
                "enrollments-0-user": self.instructor.pk,
                "enrollments-0-role": "student",
                "enrollments-0-status": "active",
            }
        )
        response = self.client.post(reverse("admin:courses_course_add"), data)
        self.assertRedirects(response, changelist("course"))
        enrollment = Enrollment.objects.get(course__slug="listed")
        self.assertEqual(enrollment.role, Enrollment.Role.INSTRUCTOR)


class AdminInlineTestCase(FreshCacheMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = CourseWorld("mine")
        cls.instructor = make_instructor()
        factories.EnrollmentFactory(
            user=cls.instructor, course=cls.world.course, role=Enrollment.Role.INSTRUCTOR
        )

    def setUp(self):
        super().setUp()
        self.client.force_login(self.instructor)

    def inline_models(self, response) -> dict:
        return {
            inline.opts.model._meta.model_name: inline.formset
            for inline in response.context["inline_admin_formsets"]
        }

    def test_problem_page_shows_its_test_cases_inline(self):
        second = factories.ProblemTestCaseFactory(problem=self.world.problem, is_sample=True)
        response = self.client.get(change("problem", self.world.problem.pk))
        self.assertEqual(response.status_code, 200)
        formset = self.inline_models(response)["problemtestcase"]
        self.assertEqual(
            {form.instance for form in formset.forms if form.instance.pk},
            {self.world.case, second},
        )
        self.assertContains(response, "input-of-mine")
        self.assertIn("referencesolution", self.inline_models(response))

    def test_exam_page_shows_its_problems_inline(self):
        response = self.client.get(change("exam", self.world.exam.pk))
        self.assertEqual(response.status_code, 200)
        formset = self.inline_models(response)["examproblem"]
        self.assertEqual(
            [form.instance for form in formset.forms if form.instance.pk],
            [self.world.exam_problem],
        )

    def test_exam_total_score_is_read_only(self):
        response = self.client.get(change("exam", self.world.exam.pk))
        self.assertNotIn("total_score", response.context["adminform"].form.fields)


def post_with_rows(client, url: str, prefix: str, rows=(), **changes):
    """Post a change form back as it is, with ``changes`` and new inline rows under ``prefix``."""
    data = AdminScopeTestCase.change_form_data(client.get(url))
    data.update(changes)
    total = int(data[f"{prefix}-TOTAL_FORMS"])
    for index, row in enumerate(rows, start=total):
        data.update({f"{prefix}-{index}-{name}": value for name, value in row.items()})
    data[f"{prefix}-TOTAL_FORMS"] = str(total + len(rows))
    return client.post(url, data)


def inline_errors(response, model: str) -> list:
    for inline in response.context["inline_admin_formsets"]:
        if inline.opts.model._meta.model_name == model:
            return [form.errors for form in inline.formset.forms]
    raise AssertionError(f"no {model} inline")


GOOD_CASE = {"input": "[1, 2]", "expected_output": "3", "weight": "1"}


class AdminOrderAndTestDataTestCase(FreshCacheMixin, TestCase):
    """Blank orders go after the last (consecutive for several new rows), as in the API; test
    data is refused as the API refuses it; an exam problem is of the exam's course and worth
    the problem's points unless told otherwise."""

    @classmethod
    def setUpTestData(cls):
        cls.world = CourseWorld("mine")
        cls.instructor = make_instructor()
        factories.EnrollmentFactory(
            user=cls.instructor, course=cls.world.course, role=Enrollment.Role.INSTRUCTOR
        )

    def setUp(self):
        super().setUp()
        self.client.force_login(self.instructor)

    def problem_url(self, problem=None) -> str:
        return change("problem", (problem or self.world.problem).pk)

    def test_a_new_case_row_offers_a_blank_order_not_zero(self):
        response = self.client.get(self.problem_url())
        formset = next(
            inline.formset
            for inline in response.context["inline_admin_formsets"]
            if inline.opts.model is ProblemTestCase
        )
        self.assertIsNone(formset.empty_form["order"].value())
        self.assertFalse(formset.empty_form.fields["order"].required)

    def test_new_cases_with_a_blank_order_go_after_the_last_one(self):
        last = self.world.case.order
        response = post_with_rows(
            self.client, self.problem_url(), "test_cases", [GOOD_CASE, GOOD_CASE]
        )
        self.assertRedirects(response, changelist("problem"))
        orders = list(
            self.world.problem.test_cases.order_by("order").values_list("order", flat=True)
        )
        self.assertEqual(orders, [last, last + 1, last + 2])

    def test_blank_orders_follow_an_order_typed_in_the_same_form(self):
        typed = self.world.case.order + 100
        rows = [{**GOOD_CASE, "order": str(typed)}, GOOD_CASE]
        response = post_with_rows(self.client, self.problem_url(), "test_cases", rows)
        self.assertRedirects(response, changelist("problem"))
        orders = set(self.world.problem.test_cases.values_list("order", flat=True))
        self.assertEqual(orders, {self.world.case.order, typed, typed + 1})

    def test_a_function_style_input_that_is_not_a_json_array_is_refused_on_its_row(self):
        rows = [GOOD_CASE, {**GOOD_CASE, "input": "1 2"}]
        response = post_with_rows(self.client, self.problem_url(), "test_cases", rows)
        self.assertEqual(response.status_code, 200)
        errors = inline_errors(response, "problemtestcase")
        self.assertEqual(set(errors[-1]), {"input"})
        self.assertIn("JSON", errors[-1]["input"][0])
        self.assertEqual(errors[-2], {})
        self.assertEqual(self.world.problem.test_cases.count(), 1)

    def test_untouched_cases_are_not_checked_again_by_an_unrelated_edit(self):
        # The world's case predates the rule ("input-of-mine" is no JSON array).
        response = post_with_rows(self.client, self.problem_url(), "test_cases", title="New")
        self.assertRedirects(response, changelist("problem"))

    def test_switching_to_function_mode_is_refused_while_a_case_does_not_fit(self):
        problem = factories.ProblemFactory(
            chapter=self.world.chapter, io_mode="stdio", checker="exact"
        )
        factories.ProblemTestCaseFactory(problem=problem, input="1 2", expected_output="3")
        response = post_with_rows(
            self.client, self.problem_url(problem), "test_cases", io_mode="function"
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(set(inline_errors(response, "problemtestcase")[0]), {"input"})
        problem.refresh_from_db()
        self.assertEqual(problem.io_mode, "stdio")

    def test_an_unknown_reference_language_is_refused(self):
        row = {"language": "cobol", "code": "DISPLAY 3."}
        response = post_with_rows(self.client, self.problem_url(), "reference_solutions", [row])
        self.assertEqual(response.status_code, 200)
        self.assertEqual(set(inline_errors(response, "referencesolution")[-1]), {"language"})

    @override_settings(COURSES_JUDGE_BACKEND=backend_path(AcceptingBackend))
    def test_saving_cases_judges_the_reference_solutions_again(self):
        problem = factories.ProblemFactory(chapter=self.world.chapter)
        factories.ReferenceSolutionFactory(problem=problem)
        with self.captureOnCommitCallbacks(execute=True):
            response = post_with_rows(
                self.client, self.problem_url(problem), "test_cases", [GOOD_CASE]
            )
        self.assertRedirects(response, changelist("problem"))
        reference = problem.reference_solutions.get()
        self.assertEqual(reference.validation_status, "accepted")
        self.assertIsNotNone(reference.validated_at)

    def test_new_chapters_with_a_blank_order_go_after_the_last_one(self):
        last = self.world.chapter.order
        rows = [{"title": "Two"}, {"title": "Three"}]
        url = change("course", self.world.course.pk)
        response = post_with_rows(self.client, url, "chapters", rows)
        self.assertRedirects(response, changelist("course"))
        orders = list(self.world.course.chapters.order_by("order").values_list("order", flat=True))
        self.assertEqual(orders, [last, last + 1, last + 2])

    def test_a_chapter_added_with_a_blank_order_goes_last(self):
        response = self.client.post(
            reverse("admin:courses_chapter_add"),
            {"course": self.world.course.pk, "title": "Later", "order": ""},
        )
        self.assertRedirects(response, changelist("chapter"))
        self.assertEqual(Chapter.objects.get(title="Later").order, self.world.chapter.order + 1)

    def test_an_exam_problem_with_a_blank_score_is_worth_the_problems_points(self):
        problem = factories.ProblemFactory(chapter=self.world.chapter, points=40)
        url = change("exam", self.world.exam.pk)
        response = post_with_rows(self.client, url, "exam_problems", [{"problem": problem.pk}])
        self.assertRedirects(response, changelist("exam"))
        row = self.world.exam.exam_problems.get(problem=problem)
        self.assertEqual(row.score, Decimal("40"))
        self.assertEqual(row.order, self.world.exam_problem.order + 1)
        self.world.exam.refresh_from_db()
        self.assertEqual(self.world.exam.total_score, self.world.exam_problem.score + 40)

    def test_an_exam_problem_from_another_course_is_refused(self):
        second = CourseWorld("second")
        factories.EnrollmentFactory(
            user=self.instructor, course=second.course, role=Enrollment.Role.INSTRUCTOR
        )
        url = change("exam", self.world.exam.pk)
        row = {"problem": second.problem.pk, "score": "5"}
        response = post_with_rows(self.client, url, "exam_problems", [row])
        self.assertEqual(response.status_code, 200)
        self.assertEqual(set(inline_errors(response, "examproblem")[-1]), {"problem"})


class SubmissionReadOnlyTestCase(FreshCacheMixin, TestCase):
    """A submission is a record: neither its code nor its verdict is edited in the admin, so
    a verdict can never stand beside code it was not given for (rejudging is the API's)."""

    @classmethod
    def setUpTestData(cls):
        cls.superuser = factories.UserFactory(username="root", is_staff=True, is_superuser=True)
        cls.judged = factories.SubmissionFactory(
            status="wrong_answer", score="0.5", code="print('judged')"
        )
        cls.pending = factories.SubmissionFactory(status="pending", code="print('pending')")

    def setUp(self):
        super().setUp()
        self.client.force_login(self.superuser)

    def test_a_submission_page_shows_its_code_and_verdict_without_any_editable_field(self):
        for submission in (self.judged, self.pending):
            with self.subTest(status=submission.status):
                response = self.client.get(change("submission", submission.pk))
                self.assertEqual(response.status_code, 200)
                self.assertEqual(dict(response.context["adminform"].form.fields), {})
                self.assertContains(response, html.escape(submission.code))
                self.assertNotContains(response, 'name="_save"')

    def test_posting_a_submission_changes_neither_code_nor_verdict(self):
        for submission in (self.judged, self.pending):
            with self.subTest(status=submission.status):
                submission.refresh_from_db()
                before = (submission.code, submission.status, submission.score)
                response = self.client.post(
                    change("submission", submission.pk),
                    {
                        "user": submission.user_id,
                        "problem": submission.problem_id,
                        "language": "python",
                        "code": "print(1)",
                        "status": "accepted",
                        "score": "1",
                        "test_results-TOTAL_FORMS": "0",
                        "test_results-INITIAL_FORMS": "0",
                    },
                )
                self.assertEqual(response.status_code, 403)
                submission.refresh_from_db()
                self.assertEqual((submission.code, submission.status, submission.score), before)

    def test_the_submission_list_still_opens(self):
        response = self.client.get(changelist("submission"))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(set(response.context["cl"].result_list), {self.judged, self.pending})


class SuperuserAdminTestCase(FreshCacheMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.worlds = [CourseWorld("one"), CourseWorld("two")]
        cls.superuser = factories.UserFactory(username="root", is_staff=True, is_superuser=True)

    def setUp(self):
        super().setUp()
        self.client.force_login(self.superuser)

    def test_superuser_sees_every_course_and_their_objects(self):
        for model in SCOPED_MODELS:
            with self.subTest(model=model):
                response = self.client.get(changelist(model))
                self.assertEqual(response.status_code, 200)
                self.assertEqual(
                    set(response.context["cl"].result_list),
                    {world.object_for(model) for world in self.worlds},
                )

    def test_superuser_opens_any_problem_and_may_add_courses(self):
        for world in self.worlds:
            response = self.client.get(change("problem", world.problem.pk))
            self.assertEqual(response.status_code, 200)
        self.assertEqual(self.client.get(reverse("admin:courses_course_add")).status_code, 200)

    def test_superuser_changelist_filters_by_course(self):
        one = self.worlds[0]
        response = self.client.get(
            changelist("problem"), {"chapter__course__id__exact": one.course.pk}
        )
        self.assertEqual(set(response.context["cl"].result_list), {one.problem})

    def test_problem_changelist_search_finds_by_title(self):
        response = self.client.get(changelist("problem"), {"q": "Problem two"})
        self.assertEqual(set(response.context["cl"].result_list), {self.worlds[1].problem})


class AdminSmokeTestCase(FreshCacheMixin, TestCase):
    """Every page of the courses admin renders for a scoped instructor (no 500s)."""

    def test_every_changelist_and_change_page_renders_for_an_instructor(self):
        world = CourseWorld("mine")
        instructor = make_instructor()
        factories.EnrollmentFactory(
            user=instructor, course=world.course, role=Enrollment.Role.INSTRUCTOR
        )
        factories.DiscussionReplyFactory(thread=world.thread)
        world.submission.test_results.create(order=0, verdict="accepted", test_case=world.case)
        self.client.force_login(instructor)
        for model in SCOPED_MODELS:
            with self.subTest(model=model):
                self.assertEqual(self.client.get(changelist(model)).status_code, 200)
                obj = world.object_for(model)
                self.assertEqual(self.client.get(change(model, obj.pk)).status_code, 200)
