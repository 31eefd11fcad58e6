"""Authoring over the API (``courses/api/authoring.py``): courses, chapters and problems.

Who may do what is the authorization matrix's (``matrix/authoring.py``); here: what each
operation does, every bad input answered in the one error shape naming its field, orders that
default to "next", deletions refused while students' work depends on them, and lists whose
query count does not grow with their length.
"""

from __future__ import annotations

from django.contrib.auth.models import Permission
from django.test import TestCase
from django.urls import reverse

from courses.models import Chapter, Course, Enrollment, Problem, ProblemTestCase
from courses.tests import factories
from courses.tests.api_support import ApiTestMixin, judged_submission


def creator(username: str = "creator"):
    user = factories.UserFactory(username=username)
    user.user_permissions.add(
        Permission.objects.get(codename="add_course", content_type__app_label="courses")
    )
    return user


class AuthoringWorld:
    """A published course with an instructor, an assistant and a student, one chapter and one
    function-style problem (``solve(a, b)``, JSON checker) with a sample and a hidden case."""

    def __init__(self):
        self.course = factories.CourseFactory(title="Algorithms", slug="algorithms")
        self.instructor = creator("teacher")
        self.assistant = factories.UserFactory(username="assistant")
        self.student = factories.UserFactory(username="student")
        for user, role in (
            (self.instructor, Enrollment.Role.INSTRUCTOR),
            (self.assistant, Enrollment.Role.ASSISTANT),
            (self.student, Enrollment.Role.STUDENT),
        ):
            factories.EnrollmentFactory(user=user, course=self.course, role=role)
        self.chapter = factories.ChapterFactory(course=self.course, order=1, title="Basics")
        self.problem = factories.ProblemFactory(chapter=self.chapter, order=1, title="Add")
        self.sample = factories.ProblemTestCaseFactory(
            problem=self.problem, order=1, input="[1, 2]", expected_output="3", is_sample=True
        )
        self.hidden = factories.ProblemTestCaseFactory(
            problem=self.problem, order=2, input="[40, 2]", expected_output="42"
        )


#: Times without an offset: read as UTC they were silently an hour off in a course in Paris.
WITHOUT_OFFSET = ("2026-12-15T23:59:00", "2030-01-01")


class AuthoringTestCase(ApiTestMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.w = AuthoringWorld()

    def setUp(self):
        super().setUp()
        self.client = self.client_for(self.w.instructor)

    def post(self, name: str, data, client=None, **kwargs):
        return (client or self.client).post(
            reverse(f"api:{name}", kwargs=kwargs), data, format="json"
        )

    def patch(self, name: str, data, client=None, **kwargs):
        return (client or self.client).patch(
            reverse(f"api:{name}", kwargs=kwargs), data, format="json"
        )

    def get(self, name: str, client=None, data=None, **kwargs):
        return (client or self.client).get(reverse(f"api:{name}", kwargs=kwargs), data)

    def delete(self, name: str, client=None, **kwargs):
        return (client or self.client).delete(reverse(f"api:{name}", kwargs=kwargs))

    def assertNeedsAnOffset(self, response, field: str) -> None:
        """400 ``invalid_input`` naming ``field`` and saying to give the offset."""
        error = self.assertError(response, 400, "invalid_input", fields={field})
        self.assertIn("with its offset, such as 2026-12-15T23:59:00+01:00", error["fields"][field])

    def assertListQueriesDoNotGrow(self, name: str, add_rows, **kwargs):
        """The same number of queries for a list of 2 rows and for a full page."""
        self.get(name, **kwargs)  # warm the role cache
        few = self.count_queries(lambda: self.assertPage(self.get(name, **kwargs)))
        add_rows()
        page = self.get(name, **kwargs)
        self.assertEqual(len(self.assertPage(page)), 20)
        many = self.count_queries(lambda: self.assertPage(self.get(name, **kwargs)))
        self.assertEqual(few, many)


# --- Courses -------------------------------------------------------------------------------------


class CourseCreateApiTestCase(AuthoringTestCase):
    def test_a_course_creator_creates_a_draft_course_and_becomes_its_instructor(self):
        response = self.post("staff-course-list", {"title": "Graphs", "time_zone": "Asia/Tokyo"})
        self.assertEqual(response.status_code, 201, response.content)
        body = response.json()
        course = Course.objects.get(pk=body["id"])
        self.assertEqual(
            (body["slug"], body["is_published"], body["time_zone"], body["late_policy"]),
            ("graphs", False, "Asia/Tokyo", "none"),
        )
        enrollment = Enrollment.objects.get(course=course)
        self.assertEqual(
            (enrollment.user, enrollment.role, enrollment.status),
            (self.w.instructor, Enrollment.Role.INSTRUCTOR, Enrollment.Status.ACTIVE),
        )

    def test_the_creator_can_edit_the_new_draft_at_once(self):
        course_id = self.post("staff-course-list", {"title": "Graphs"}).json()["id"]
        response = self.patch("staff-course-detail", {"is_published": True}, course_id=course_id)
        self.assertEqual(response.status_code, 200, response.content)
        self.assertTrue(response.json()["is_published"])

    def test_a_superuser_may_create_courses(self):
        root = factories.UserFactory(username="root", is_superuser=True)
        response = self.post("staff-course-list", {"title": "X"}, client=self.client_for(root))
        self.assertEqual(response.status_code, 201)

    def test_a_token_client_creates_courses_too(self):
        client = self.token_client_for(self.w.instructor)
        self.assertEqual(
            self.post("staff-course-list", {"title": "X"}, client=client).status_code, 201
        )

    def test_users_without_the_permission_are_refused(self):
        for user in (self.w.assistant, self.w.student):
            with self.subTest(user=user.username):
                response = self.post("staff-course-list", {"title": "X"}, self.client_for(user))
                self.assertError(response, 403, "permission_denied")
        self.assertFalse(Course.objects.filter(title="X").exists())

    def test_a_taken_slug_is_a_conflict_naming_slug(self):
        response = self.post("staff-course-list", {"title": "Algorithms"})
        self.assertError(response, 409, "already_exists", fields={"slug"})
        response = self.post("staff-course-list", {"title": "Other", "slug": "algorithms"})
        self.assertError(response, 409, "already_exists", fields={"slug"})
        self.assertEqual(Course.objects.count(), 1)

    def test_bad_inputs_are_refused_naming_the_field(self):
        for data, field in (
            ({}, "title"),
            ({"title": 42}, "title"),
            ({"title": ""}, "title"),
            ({"title": "x" * 201}, "title"),
            ({"title": "!!!"}, "slug"),
            ({"title": "T", "slug": "not a slug"}, "slug"),
            ({"title": "T", "time_zone": "Mars/Olympus"}, "time_zone"),
            ({"title": "T", "time_zone": 1}, "time_zone"),
            ({"title": "T", "is_published": "yes"}, "is_published"),
            ({"title": "T", "late_policy": "never"}, "late_policy"),
            ({"title": "T", "late_penalty_percent_per_day": 101}, "late_penalty_percent_per_day"),
            ({"title": "T", "late_penalty_percent_per_day": -1}, "late_penalty_percent_per_day"),
            ({"title": "T", "late_penalty_percent_per_day": True}, "late_penalty_percent_per_day"),
        ):
            with self.subTest(data=data):
                response = self.post("staff-course-list", data)
                self.assertError(response, 400, "invalid_input", fields={field})
        self.assertEqual(Course.objects.count(), 1)

    def test_a_body_that_is_not_an_object_is_refused(self):
        response = self.post("staff-course-list", ["title"])
        self.assertError(response, 400, "invalid_input")


class CourseDetailApiTestCase(AuthoringTestCase):
    def test_staff_read_the_course_with_its_settings(self):
        for user in (self.w.instructor, self.w.assistant):
            with self.subTest(user=user.username):
                response = self.get(
                    "staff-course-detail", self.client_for(user), course_id=self.w.course.pk
                )
                self.assertEqual(response.status_code, 200)
                self.assertEqual(response.json()["slug"], "algorithms")

    def test_a_draft_course_is_not_found_by_outsiders(self):
        draft = factories.CourseFactory(is_published=False)
        outsider = self.client_for(creator("outsider"))
        response = self.get("staff-course-detail", outsider, course_id=draft.pk)
        self.assertError(response, 404, "not_found")

    def test_instructors_edit_every_setting(self):
        data = {
            "title": "Algorithms II",
            "slug": "algorithms-2",
            "description": "  Graphs and more.\n",
            "is_published": False,
            "time_zone": "Europe/Paris",
            "late_policy": "penalty",
            "late_penalty_percent_per_day": "12.50",
        }
        response = self.patch("staff-course-detail", data, course_id=self.w.course.pk)
        self.assertEqual(response.status_code, 200, response.content)
        body = response.json()
        self.assertEqual({key: body[key] for key in data}, data)
        self.w.course.refresh_from_db()
        self.assertEqual(self.w.course.description, "  Graphs and more.\n")

    def test_an_empty_patch_changes_nothing(self):
        response = self.patch("staff-course-detail", {}, course_id=self.w.course.pk)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["title"], "Algorithms")

    def test_assistants_cannot_edit(self):
        response = self.patch(
            "staff-course-detail",
            {"title": "Mine"},
            self.client_for(self.w.assistant),
            course_id=self.w.course.pk,
        )
        self.assertError(response, 403, "permission_denied")

    def test_bad_edits_name_their_field(self):
        factories.CourseFactory(slug="taken")
        cases = (
            ({"slug": "taken"}, 409, "already_exists", "slug"),
            ({"time_zone": "UTC+2"}, 400, "invalid_input", "time_zone"),
            ({"title": None}, 400, "invalid_input", "title"),
            (
                {"late_penalty_percent_per_day": "1.234"},
                400,
                "invalid_input",
                "late_penalty_percent_per_day",
            ),
        )
        for data, status, code, field in cases:
            with self.subTest(data=data):
                response = self.patch("staff-course-detail", data, course_id=self.w.course.pk)
                self.assertError(response, status, code, fields={field})
        self.w.course.refresh_from_db()
        self.assertEqual((self.w.course.slug, self.w.course.time_zone), ("algorithms", "UTC"))

    def test_a_course_without_students_work_is_deleted(self):
        course = factories.CourseFactory()
        factories.EnrollmentFactory(user=self.w.instructor, course=course, role="instructor")
        factories.ProblemFactory(chapter=factories.ChapterFactory(course=course))
        response = self.delete("staff-course-detail", course_id=course.pk)
        self.assertEqual(response.status_code, 204)
        self.assertFalse(Course.objects.filter(pk=course.pk).exists())

    def test_a_course_with_submissions_cannot_be_deleted_unpublish_it_instead(self):
        judged_submission(self.w.student, self.w.problem)
        error = self.assertError(
            self.delete("staff-course-detail", course_id=self.w.course.pk), 409, "has_student_work"
        )
        self.assertIn("is_published", error["message"])
        self.assertTrue(Course.objects.filter(pk=self.w.course.pk).exists())
        self.assertEqual(Problem.objects.filter(pk=self.w.problem.pk).count(), 1)

    def test_a_course_with_exam_attempts_cannot_be_deleted(self):
        exam = factories.ExamFactory(course=self.w.course)
        factories.ExamAttemptFactory(exam=exam, user=self.w.student)
        response = self.delete("staff-course-detail", course_id=self.w.course.pk)
        self.assertError(response, 409, "has_student_work")


# --- Chapters ------------------------------------------------------------------------------------


class ChapterApiTestCase(AuthoringTestCase):
    def add(self, data, **kwargs):
        return self.post("staff-chapter-list", data, course_id=self.w.course.pk, **kwargs)

    def test_a_chapter_without_an_order_goes_after_the_last_one(self):
        factories.ChapterFactory(course=self.w.course, order=7)
        response = self.add({"title": "Graphs"})
        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual(response.json()["order"], 8)
        self.assertEqual(response.json()["problem_count"], 0)

    def test_the_first_chapter_of_a_course_is_number_one(self):
        course = factories.CourseFactory()
        factories.EnrollmentFactory(user=self.w.instructor, course=course, role="instructor")
        response = self.post("staff-chapter-list", {"title": "First"}, course_id=course.pk)
        self.assertEqual(response.json()["order"], 1)

    def test_a_taken_order_is_a_conflict_naming_order(self):
        response = self.add({"title": "Twin", "order": 1})
        self.assertError(response, 409, "already_exists", fields={"order"})
        other = factories.ChapterFactory(course=self.w.course, order=5)
        response = self.patch("staff-chapter-detail", {"order": 1}, chapter_id=other.pk)
        self.assertError(response, 409, "already_exists", fields={"order"})

    def test_a_chapter_may_keep_its_own_order(self):
        response = self.patch(
            "staff-chapter-detail", {"order": 1, "title": "B"}, chapter_id=self.w.chapter.pk
        )
        self.assertEqual(response.status_code, 200, response.content)

    def test_bad_inputs_name_their_field(self):
        for data, field in (
            ({}, "title"),
            ({"title": 1}, "title"),
            ({"title": "T", "order": "2"}, "order"),
            ({"title": "T", "order": -1}, "order"),
            ({"title": "T", "order": 1.5}, "order"),
            ({"title": "T", "due_at": "next friday"}, "due_at"),
        ):
            with self.subTest(data=data):
                self.assertError(self.add(data), 400, "invalid_input", fields={field})

    def test_a_due_date_is_set_and_cleared(self):
        response = self.patch(
            "staff-chapter-detail",
            {"due_at": "2030-01-31T23:59:00+01:00"},
            chapter_id=self.w.chapter.pk,
        )
        self.assertEqual(response.json()["due_at"], "2030-01-31T22:59:00Z")
        response = self.patch(
            "staff-chapter-detail", {"due_at": None}, chapter_id=self.w.chapter.pk
        )
        self.assertIsNone(response.json()["due_at"])

    def test_a_due_date_without_an_offset_is_refused_saying_what_to_send(self):
        for value in WITHOUT_OFFSET:
            with self.subTest(value=value):
                self.assertNeedsAnOffset(self.add({"title": "T", "due_at": value}), "due_at")
                response = self.patch(
                    "staff-chapter-detail", {"due_at": value}, chapter_id=self.w.chapter.pk
                )
                self.assertNeedsAnOffset(response, "due_at")
        self.assertEqual(Chapter.objects.filter(course=self.w.course).count(), 1)
        self.w.chapter.refresh_from_db()
        self.assertIsNone(self.w.chapter.due_at)

    def test_a_due_date_outside_the_supported_range_is_refused_naming_it(self):
        # 9999-12-31T23:59:59Z cannot be shown in Europe/Paris: the course page answered 500.
        for value in ("9999-12-31T23:59:59Z", "9001-01-01T00:00:00Z", "1899-12-31T23:59:59Z"):
            with self.subTest(value=value):
                response = self.add({"title": "Far", "due_at": value})
                self.assertError(response, 400, "invalid_input", fields={"due_at"})
                response = self.patch(
                    "staff-chapter-detail", {"due_at": value}, chapter_id=self.w.chapter.pk
                )
                self.assertError(response, 400, "invalid_input", fields={"due_at"})
        self.assertEqual(Chapter.objects.filter(course=self.w.course).count(), 1)
        for value in ("1900-01-01T00:00:00Z", "9000-12-31T23:59:59Z"):
            with self.subTest(value=value):
                response = self.patch(
                    "staff-chapter-detail", {"due_at": value}, chapter_id=self.w.chapter.pk
                )
                self.assertEqual(response.json()["due_at"], value)

    def test_the_list_counts_problems_in_a_bounded_number_of_queries(self):
        factories.ChapterFactory(course=self.w.course, order=2)
        results = self.assertPage(
            self.get("staff-chapter-list", course_id=self.w.course.pk), count=2
        )
        self.assertEqual([(c["order"], c["problem_count"]) for c in results], [(1, 1), (2, 0)])

        def add_rows():
            for order in range(3, 25):
                chapter = factories.ChapterFactory(course=self.w.course, order=order)
                factories.ProblemFactory(chapter=chapter)

        self.assertListQueriesDoNotGrow("staff-chapter-list", add_rows, course_id=self.w.course.pk)

    def test_an_empty_chapter_is_deleted(self):
        chapter = factories.ChapterFactory(course=self.w.course, order=9)
        self.assertEqual(
            self.delete("staff-chapter-detail", chapter_id=chapter.pk).status_code, 204
        )
        self.assertFalse(Chapter.objects.filter(pk=chapter.pk).exists())

    def test_a_chapter_whose_problems_have_submissions_is_kept(self):
        judged_submission(self.w.student, self.w.problem)
        response = self.delete("staff-chapter-detail", chapter_id=self.w.chapter.pk)
        self.assertError(response, 409, "has_student_work")

    def test_a_chapter_whose_problem_is_in_an_exam_is_kept(self):
        factories.ExamProblemFactory(
            exam=factories.ExamFactory(course=self.w.course), problem=self.w.problem
        )
        error = self.assertError(
            self.delete("staff-chapter-detail", chapter_id=self.w.chapter.pk), 409, "in_exam"
        )
        self.assertIn("exam", error["message"])
        self.assertTrue(Chapter.objects.filter(pk=self.w.chapter.pk).exists())


# --- Problems ------------------------------------------------------------------------------------


class ProblemCreateApiTestCase(AuthoringTestCase):
    def add(self, data):
        return self.post("staff-problem-list", data, chapter_id=self.w.chapter.pk)

    def test_a_problem_needs_only_a_title_and_starts_as_a_draft_at_the_end(self):
        response = self.add({"title": "Multiply"})
        self.assertEqual(response.status_code, 201, response.content)
        body = response.json()
        self.assertEqual(
            (body["order"], body["is_visible"], body["io_mode"], body["allowed_languages"]),
            (2, False, "function", ["python"]),
        )
        self.assertEqual((body["test_cases"], body["reference_solutions"]), ([], []))

    def test_a_problem_is_created_with_its_cases_in_order(self):
        cases = [
            {"input": "[2, 3]", "expected_output": "6", "is_sample": True},
            {"input": "[4, 5]", "expected_output": "20", "weight": 3},
            {"input": "", "expected_output": "0", "order": 10},
            {"input": "[1, 1]", "expected_output": "1"},
        ]
        response = self.add({"title": "Multiply", "checker": "json", "test_cases": cases})
        self.assertEqual(response.status_code, 201, response.content)
        got = [
            (c["order"], c["input"], c["is_sample"], c["weight"])
            for c in response.json()["test_cases"]
        ]
        self.assertEqual(
            got,
            [
                (1, "[2, 3]", True, 1),
                (2, "[4, 5]", False, 3),
                (10, "", False, 1),
                (11, "[1, 1]", False, 1),
            ],
        )
        self.assertEqual((response.json()["case_count"], response.json()["sample_count"]), (4, 1))

    def test_a_bad_case_is_named_by_its_position_and_nothing_is_created(self):
        cases = [
            {"input": "[1]", "expected_output": "1"},
            {"input": "[2]", "expected_output": "2"},
            {"input": "2 3", "expected_output": "5"},
        ]
        response = self.add({"title": "Broken", "test_cases": cases})
        error = self.assertError(response, 400, "invalid_input", fields={"test_cases.2.input"})
        self.assertIn("JSON array", error["fields"]["test_cases.2.input"])
        self.assertFalse(Problem.objects.filter(title="Broken").exists())

    def test_a_case_of_the_wrong_type_is_named_by_its_position(self):
        cases = [{"input": "[1]", "expected_output": "1"}, {"input": 5, "expected_output": "1"}]
        response = self.add({"title": "Typed", "test_cases": cases})
        self.assertError(response, 400, "invalid_input", fields={"test_cases.1.input"})

    def test_json_expected_outputs_are_checked_with_the_json_checker(self):
        cases = [{"input": "[1]", "expected_output": "not json"}]
        response = self.add({"title": "J", "checker": "json", "test_cases": cases})
        self.assertError(response, 400, "invalid_input", fields={"test_cases.0.expected_output"})
        response = self.add({"title": "E", "checker": "exact", "test_cases": cases})
        self.assertEqual(response.status_code, 201)

    def test_every_setting_is_taken(self):
        data = {
            "title": "Echo",
            "statement": "Print *it*.",
            "order": 40,
            "points": 0,
            "time_limit_ms": 500,
            "memory_limit_kb": 65536,
            "output_limit_kb": 8,
            "is_visible": True,
            "is_exam_only": True,
            "due_at": "2031-05-01T12:00:00Z",
            "allowed_languages": ["python", "c"],
            "io_mode": "stdio",
            "entry_point": "",
            "starter_code": {"python": "print(input())\n", "c": ""},
            "template_overrides": {},
            "checker": "tokens",
            "float_abs_tolerance": 0.5,
            "float_rel_tolerance": 0,
        }
        response = self.add(data)
        self.assertEqual(response.status_code, 201, response.content)
        body = response.json()
        self.assertEqual({key: body[key] for key in data}, data)
        self.assertEqual(body["effective_due_at"], "2031-05-01T12:00:00Z")

    def test_bad_settings_are_refused_naming_the_field(self):
        for data, field in (
            ({}, "title"),
            ({"time_limit_ms": 0}, "time_limit_ms"),
            ({"time_limit_ms": 60_001}, "time_limit_ms"),
            ({"memory_limit_kb": -5}, "memory_limit_kb"),
            ({"output_limit_kb": "8"}, "output_limit_kb"),
            ({"points": -1}, "points"),
            ({"allowed_languages": []}, "allowed_languages"),
            ({"allowed_languages": ["cobol"]}, "allowed_languages"),
            ({"allowed_languages": "python"}, "allowed_languages"),
            ({"allowed_languages": ["python", "python"]}, "allowed_languages"),
            ({"io_mode": "repl"}, "io_mode"),
            ({"entry_point": "my function"}, "entry_point"),
            ({"entry_point": ""}, "entry_point"),
            ({"template_overrides": {"python": "{{code}}"}}, "template_overrides"),
            ({"template_overrides": {"cobol": "{{user_code}}"}}, "template_overrides"),
            ({"starter_code": {"cobol": ""}}, "starter_code"),
            ({"starter_code": {"python": 1}}, "starter_code.python"),
            ({"checker": "regex"}, "checker"),
            ({"float_abs_tolerance": -0.1}, "float_abs_tolerance"),
            ({"float_abs_tolerance": True}, "float_abs_tolerance"),
            ({"float_rel_tolerance": "0.1"}, "float_rel_tolerance"),
            ({"is_visible": 1}, "is_visible"),
            ({"due_at": "9999-12-31T23:59:59Z"}, "due_at"),
            ({"due_at": "0001-01-01T00:00:00Z"}, "due_at"),
        ):
            with self.subTest(data=data):
                payload = {"title": "T", **data} if field != "title" else data
                self.assertError(self.add(payload), 400, "invalid_input", fields={field})
        self.assertEqual(Problem.objects.count(), 1)


class ProblemDetailApiTestCase(AuthoringTestCase):
    def url_kwargs(self):
        return {"problem_id": self.w.problem.pk}

    def test_staff_see_everything_hidden_cases_templates_and_references(self):
        self.w.problem.template_overrides = {"python": "{{user_code}}\nprint(solve())\n"}
        self.w.problem.starter_code = {"python": "def solve(a, b):\n    pass\n"}
        self.w.problem.save()
        reference = factories.ReferenceSolutionFactory(problem=self.w.problem)
        response = self.get(
            "staff-problem-detail", self.client_for(self.w.assistant), **self.url_kwargs()
        )
        self.assertEqual(response.status_code, 200)
        body = response.json()
        self.assertEqual(
            [
                (c["order"], c["input"], c["expected_output"], c["is_sample"])
                for c in body["test_cases"]
            ],
            [(1, "[1, 2]", "3", True), (2, "[40, 2]", "42", False)],
        )
        self.assertEqual(body["template_overrides"], self.w.problem.template_overrides)
        self.assertEqual(body["starter_code"], self.w.problem.starter_code)
        (ref,) = body["reference_solutions"]
        self.assertEqual(
            (ref["id"], ref["language"], ref["code"]), (reference.pk, "python", reference.code)
        )
        self.assertEqual(set(ref["validation"]), {"status", "score", "validated_at", "details"})

    def test_the_detail_takes_the_same_queries_for_few_and_many_cases(self):
        self.get("staff-problem-detail", **self.url_kwargs())
        few = self.count_queries(lambda: self.get("staff-problem-detail", **self.url_kwargs()))
        for order in range(3, 40):
            factories.ProblemTestCaseFactory(problem=self.w.problem, order=order, input="[]")
        factories.ReferenceSolutionFactory(problem=self.w.problem, language="c", code="x")
        many = self.count_queries(lambda: self.get("staff-problem-detail", **self.url_kwargs()))
        self.assertEqual(few, many)

    def test_the_chapter_list_of_problems_is_paginated_without_n_plus_one(self):
        results = self.assertPage(
            self.get("staff-problem-list", chapter_id=self.w.chapter.pk), count=1
        )
        self.assertEqual((results[0]["case_count"], results[0]["sample_count"]), (2, 1))

        def add_rows():
            for order in range(2, 30):
                problem = factories.ProblemFactory(chapter=self.w.chapter, order=order)
                factories.ProblemTestCaseFactory(problem=problem, is_sample=True)

        self.assertListQueriesDoNotGrow(
            "staff-problem-list", add_rows, chapter_id=self.w.chapter.pk
        )

    def test_instructors_change_settings(self):
        data = {"title": "Sum", "points": 50, "time_limit_ms": 3000, "is_visible": False}
        response = self.patch("staff-problem-detail", data, **self.url_kwargs())
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual({k: response.json()[k] for k in data}, data)

    def test_limits_stay_positive(self):
        for field in ("time_limit_ms", "memory_limit_kb", "output_limit_kb"):
            with self.subTest(field=field):
                response = self.patch("staff-problem-detail", {field: 0}, **self.url_kwargs())
                self.assertError(response, 400, "invalid_input", fields={field})

    def test_a_due_date_without_an_offset_is_refused_saying_what_to_send(self):
        for value in WITHOUT_OFFSET:
            with self.subTest(value=value):
                response = self.patch(
                    "staff-problem-detail", {"due_at": value}, **self.url_kwargs()
                )
                self.assertNeedsAnOffset(response, "due_at")
                response = self.post(
                    "staff-problem-list",
                    {"title": "T", "due_at": value},
                    chapter_id=self.w.chapter.pk,
                )
                self.assertNeedsAnOffset(response, "due_at")
        self.w.problem.refresh_from_db()
        self.assertIsNone(self.w.problem.due_at)

    def test_a_due_date_stays_in_the_supported_range(self):
        response = self.patch(
            "staff-problem-detail", {"due_at": "9999-12-31T23:59:59Z"}, **self.url_kwargs()
        )
        self.assertError(response, 400, "invalid_input", fields={"due_at"})
        response = self.patch(
            "staff-problem-detail", {"due_at": "9000-12-31T23:59:59Z"}, **self.url_kwargs()
        )
        self.assertEqual(response.json()["due_at"], "9000-12-31T23:59:59Z")

    def test_switching_to_function_mode_with_cases_that_do_not_fit_is_refused(self):
        problem = factories.ProblemFactory(chapter=self.w.chapter, io_mode="stdio", checker="exact")
        bad = factories.ProblemTestCaseFactory(problem=problem, order=4, input="1 2\n")
        response = self.patch(
            "staff-problem-detail", {"io_mode": "function"}, problem_id=problem.pk
        )
        error = self.assertError(response, 400, "invalid_input", fields={"io_mode"})
        self.assertIn(f"case 4 (id {bad.pk}): input", error["fields"]["io_mode"])
        problem.refresh_from_db()
        self.assertEqual(problem.io_mode, "stdio")

    def test_adding_python_to_a_c_only_function_problem_checks_the_cases(self):
        problem = factories.ProblemFactory(
            chapter=self.w.chapter, allowed_languages=["c"], checker="exact"
        )
        factories.ProblemTestCaseFactory(problem=problem, input="1 2")
        response = self.patch(
            "staff-problem-detail", {"allowed_languages": ["c", "python"]}, problem_id=problem.pk
        )
        self.assertError(response, 400, "invalid_input", fields={"allowed_languages"})

    def test_switching_to_the_json_checker_checks_expected_outputs(self):
        problem = factories.ProblemFactory(chapter=self.w.chapter, io_mode="stdio", checker="exact")
        factories.ProblemTestCaseFactory(problem=problem, expected_output="three")
        response = self.patch("staff-problem-detail", {"checker": "json"}, problem_id=problem.pk)
        self.assertError(response, 400, "invalid_input", fields={"checker"})

    def test_a_problem_moves_within_its_course_only(self):
        second = factories.ChapterFactory(course=self.w.course, order=2)
        response = self.patch("staff-problem-detail", {"chapter": second.pk}, **self.url_kwargs())
        self.assertEqual(response.json()["chapter"], second.pk)
        elsewhere = factories.ChapterFactory()
        for chapter_id in (elsewhere.pk, 999_999):
            with self.subTest(chapter=chapter_id):
                response = self.patch(
                    "staff-problem-detail", {"chapter": chapter_id}, **self.url_kwargs()
                )
                self.assertError(response, 400, "invalid_input", fields={"chapter"})

    def test_a_problem_without_submissions_is_deleted_with_its_cases(self):
        problem = factories.ProblemFactory(chapter=self.w.chapter)
        factories.ProblemTestCaseFactory(problem=problem)
        self.assertEqual(
            self.delete("staff-problem-detail", problem_id=problem.pk).status_code, 204
        )
        self.assertFalse(ProblemTestCase.objects.filter(problem_id=problem.pk).exists())

    def test_a_problem_with_submissions_is_archived_instead(self):
        judged_submission(self.w.student, self.w.problem)
        error = self.assertError(
            self.delete("staff-problem-detail", **self.url_kwargs()), 409, "has_student_work"
        )
        self.assertIn("is_archived", error["message"])
        response = self.patch("staff-problem-detail", {"is_archived": True}, **self.url_kwargs())
        self.assertTrue(response.json()["is_archived"])

    def test_a_problem_in_an_exam_is_removed_from_it_first(self):
        factories.ExamProblemFactory(
            exam=factories.ExamFactory(course=self.w.course), problem=self.w.problem
        )
        response = self.delete("staff-problem-detail", **self.url_kwargs())
        self.assertError(response, 409, "in_exam")

    def test_unknown_ids_are_not_found(self):
        for name, kwargs in (
            ("staff-problem-detail", {"problem_id": 999_999}),
            ("staff-chapter-detail", {"chapter_id": 999_999}),
            ("staff-course-detail", {"course_id": 999_999}),
            ("staff-problem-list", {"chapter_id": 999_999}),
        ):
            with self.subTest(name=name):
                self.assertError(self.get(name, **kwargs), 404, "not_found")
