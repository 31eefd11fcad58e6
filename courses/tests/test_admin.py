"""The admin, as an instructor uses it: scoped to their own courses, with inlines and read-only
judged fields; a superuser sees everything."""

from __future__ import annotations

from django.contrib.auth.models import Permission
from django.test import TestCase
from django.urls import reverse

from courses.models import Enrollment
from courses.tests import factories

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


class AdminScopeTestCase(TestCase):
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

    def test_instructor_cannot_add_courses(self):
        response = self.client.get(reverse("admin:courses_course_add"))
        self.assertEqual(response.status_code, 403)

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


class AdminInlineTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = CourseWorld("mine")
        cls.instructor = make_instructor()
        factories.EnrollmentFactory(
            user=cls.instructor, course=cls.world.course, role=Enrollment.Role.INSTRUCTOR
        )

    def setUp(self):
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


class SubmissionJudgedFieldsTestCase(TestCase):
    JUDGED = (
        "status",
        "score",
        "max_cpu_time_ms",
        "peak_memory_kb",
        "compile_output",
        "error_text",
        "judged_at",
        "claim_id",
        "lease_expires_at",
    )

    @classmethod
    def setUpTestData(cls):
        cls.superuser = factories.UserFactory(username="root", is_staff=True, is_superuser=True)
        cls.submission = factories.SubmissionFactory(status="wrong_answer", score="0.5")

    def setUp(self):
        self.client.force_login(self.superuser)

    def test_judged_fields_are_not_editable_in_the_form(self):
        response = self.client.get(change("submission", self.submission.pk))
        self.assertEqual(response.status_code, 200)
        fields = response.context["adminform"].form.fields
        for name in self.JUDGED:
            with self.subTest(field=name):
                self.assertNotIn(name, fields)
        self.assertIn("code", fields)

    def test_posting_judged_fields_does_not_change_them(self):
        url = change("submission", self.submission.pk)
        response = self.client.post(
            url,
            {
                "user": self.submission.user_id,
                "problem": self.submission.problem_id,
                "language": "python",
                "code": "print(1)",
                "status": "accepted",
                "score": "1",
                "judged_at_0": "2030-01-01",
                "judged_at_1": "00:00:00",
                "test_results-TOTAL_FORMS": "0",
                "test_results-INITIAL_FORMS": "0",
            },
        )
        self.assertRedirects(response, changelist("submission"))
        self.submission.refresh_from_db()
        self.assertEqual(self.submission.code, "print(1)")
        self.assertEqual(self.submission.status, "wrong_answer")
        self.assertEqual(str(self.submission.score), "0.5000")
        self.assertIsNone(self.submission.judged_at)


class SuperuserAdminTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.worlds = [CourseWorld("one"), CourseWorld("two")]
        cls.superuser = factories.UserFactory(username="root", is_staff=True, is_superuser=True)

    def setUp(self):
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


class AdminSmokeTestCase(TestCase):
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
