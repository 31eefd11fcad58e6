"""Enrollment over the API: mine (read, enroll, drop), the roster with progress, staff changes,
and the CSV import (``courses/api/enrollments.py``)."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.test import TestCase, override_settings
from django.urls import reverse

from courses import selectors
from courses.models import Enrollment, ProblemProgress
from courses.services.enrollment_import import _insert, identifiers_from_rows, rows_from_csv
from courses.tests import factories
from courses.tests.api_support import ApiTestMixin, judged_submission, problem_with_cases
from courses.tests.signals.support import CacheCalls

Role = Enrollment.Role
Status = Enrollment.Status


def enroll(user, course, role=Role.STUDENT, status=Status.ACTIVE) -> Enrollment:
    """An enrollment whose cache invalidation has run (as if committed): a later one in the
    test registers its own on-commit callback, which ``captureOnCommitCallbacks`` can run."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return factories.EnrollmentFactory(user=user, course=course, role=role, status=status)


def progress(user, problem, *, status, best_score, attempts=1) -> ProblemProgress:
    return ProblemProgress.objects.create(
        user=user, problem=problem, status=status, best_score=best_score, attempts=attempts
    )


# --- GET/POST/DELETE /api/v1/courses/<id>/enrollment/


class CourseEnrollmentApiTestCase(ApiTestMixin, TestCase):
    def setUp(self):
        super().setUp()
        self.user = factories.UserFactory()
        self.course = factories.CourseFactory()
        self.instructor = factories.UserFactory()
        enroll(self.instructor, self.course, Role.INSTRUCTOR)
        self.client = self.client_for(self.user)

    def url(self, course_id=None):
        return reverse("api:course-enrollment", args=[course_id or self.course.pk])

    def enrollment(self) -> Enrollment:
        return Enrollment.objects.get(user=self.user, course=self.course)

    def test_get_is_my_enrollment_whatever_its_status(self):
        enrollment = enroll(self.user, self.course)
        body = self.client.get(self.url()).json()
        self.assertEqual(
            body,
            {
                "id": enrollment.pk,
                "course": self.course.pk,
                "user": self.user.username,
                "role": "student",
                "status": "active",
                "enrolled_at": body["enrolled_at"],
            },
        )
        Enrollment.objects.filter(pk=enrollment.pk).update(status=Status.REMOVED)
        self.assertEqual(self.client.get(self.url()).json()["status"], "removed")

    def test_get_without_an_enrollment_or_of_a_hidden_course_is_404(self):
        self.assertError(self.client.get(self.url()), 404, "not_found")
        draft = factories.CourseFactory(is_published=False)
        enroll(self.user, draft, status=Status.DROPPED)  # not a member any more: hidden
        self.assertError(self.client.get(self.url(draft.pk)), 404, "not_found")
        self.assertError(self.client.get(self.url(self.course.pk + 999)), 404, "not_found")
        self.assertError(self.client_for(None).get(self.url()), 403, "not_authenticated")

    def test_reenrolling_after_dropping_reactivates_the_same_row_as_a_student(self):
        dropped = enroll(self.user, self.course, Role.ASSISTANT, Status.DROPPED)
        self.assertEqual(selectors.user_course_ids(user_id=self.user.pk), frozenset())  # cached
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(self.url())
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(response.json()["id"], dropped.pk)
        self.assertEqual(
            (response.json()["role"], response.json()["status"]), ("student", "active")
        )
        self.assertEqual(Enrollment.objects.filter(user=self.user).count(), 1)
        self.assertEqual(selectors.user_course_ids(user_id=self.user.pk), {self.course.pk})

    def test_a_user_removed_by_staff_cannot_come_back_alone(self):
        enroll(self.user, self.course, status=Status.REMOVED)
        self.assertError(self.client.post(self.url()), 403, "enrollment_removed")
        self.assertError(self.client.delete(self.url()), 403, "enrollment_removed")
        self.assertEqual(self.enrollment().status, Status.REMOVED)

    def test_an_active_enrollment_is_409_already_enrolled(self):
        enroll(self.user, self.course)
        self.assertError(self.client.post(self.url()), 409, "already_enrolled", fields={"user"})

    def test_dropping_keeps_submissions_and_progress_and_ends_membership(self):
        problem = problem_with_cases(chapter__course=self.course)
        enroll(self.user, self.course)
        with self.captureOnCommitCallbacks(execute=True):
            judged_submission(self.user, problem)
            progress(self.user, problem, status="solved", best_score=Decimal("1"))
        progress_url = reverse("api:course-progress", args=[self.course.pk])
        self.assertEqual(self.client.get(progress_url).status_code, 200)
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.delete(self.url())
        self.assertEqual(response.status_code, 204, response.content)
        self.assertEqual(self.enrollment().status, Status.DROPPED)
        self.assertEqual(self.user.submissions.count(), 1)
        self.assertEqual(ProblemProgress.objects.filter(user=self.user).count(), 1)
        self.assertError(self.client.get(progress_url), 403, "not_enrolled")
        self.assertEqual(self.client.delete(self.url()).status_code, 204)  # again: nothing to do
        self.assertEqual(self.enrollment().status, Status.DROPPED)

    def test_dropping_without_an_enrollment_is_404(self):
        self.assertError(self.client.delete(self.url()), 404, "not_found")

    def test_the_last_active_instructor_cannot_drop_but_one_of_two_can(self):
        client = self.client_for(self.instructor)
        self.assertError(client.delete(self.url()), 409, "last_instructor")
        enroll(self.user, self.course, Role.INSTRUCTOR, Status.DROPPED)  # not active: no help
        self.assertError(client.delete(self.url()), 409, "last_instructor")
        Enrollment.objects.filter(user=self.user).update(status=Status.ACTIVE)
        self.assertEqual(client.delete(self.url()).status_code, 204)
        self.assertError(self.client.delete(self.url()), 409, "last_instructor")

    def test_a_member_of_a_draft_course_may_drop_it_but_not_enroll_again(self):
        draft = factories.CourseFactory(is_published=False)
        enroll(self.user, draft)
        self.assertEqual(self.client.delete(self.url(draft.pk)).status_code, 204)
        self.assertError(self.client.post(self.url(draft.pk)), 404, "not_found")


# --- GET /api/v1/staff/courses/<id>/enrollments/


class StaffEnrollmentListApiTestCase(ApiTestMixin, TestCase):
    def setUp(self):
        super().setUp()
        self.course = factories.CourseFactory()
        chapter = factories.ChapterFactory(course=self.course)
        self.first = problem_with_cases(chapter=chapter, order=0, points=100)
        self.second = problem_with_cases(chapter=chapter, order=1, points=30)
        self.assistant = factories.UserFactory(username="zz-assistant")
        enroll(self.assistant, self.course, Role.ASSISTANT)
        self.client = self.client_for(self.assistant)

    def url(self, course_id=None):
        return reverse("api:staff-enrollment-list", args=[course_id or self.course.pk])

    def test_each_row_has_the_user_and_their_progress_in_this_course_only(self):
        ada = factories.UserFactory(username="ada")
        enroll(ada, self.course)
        progress(ada, self.first, status="solved", best_score=Decimal("1"))
        progress(ada, self.second, status="attempted", best_score=Decimal("0.3333"), attempts=2)
        elsewhere = problem_with_cases()  # another course: not counted
        progress(ada, elsewhere, status="solved", best_score=Decimal("1"))
        rows = self.assertPage(self.client.get(self.url()), count=2)
        self.assertEqual([row["user"]["username"] for row in rows], ["ada", "zz-assistant"])
        self.assertEqual(
            rows[0],
            {
                "id": Enrollment.objects.get(user=ada).pk,
                "user": {"id": ada.pk, "username": "ada", "email": ada.email},
                "role": "student",
                "status": "active",
                "enrolled_at": rows[0]["enrolled_at"],
                "progress": {"solved": 1, "attempted": 2, "points": "110.00"},
            },
        )
        summary = selectors.course_progress_summary(user_id=ada.pk, course_id=self.course.pk)
        self.assertEqual(
            (summary.solved, summary.attempted, str(summary.total_points)), (1, 2, "110.00")
        )
        self.assertEqual(rows[1]["progress"], {"solved": 0, "attempted": 0, "points": "0.00"})

    def test_filters_by_role_status_and_username(self):
        for name, role, status in (
            ("bob", Role.STUDENT, Status.ACTIVE),
            ("bobby", Role.STUDENT, Status.DROPPED),
            ("carol", Role.INSTRUCTOR, Status.ACTIVE),
            ("dave", Role.STUDENT, Status.REMOVED),
        ):
            enroll(factories.UserFactory(username=name), self.course, role, status)

        def names(**query):
            rows = self.assertPage(self.client.get(self.url(), query))
            return [row["user"]["username"] for row in rows]

        self.assertEqual(names(), ["bob", "bobby", "carol", "dave", "zz-assistant"])
        self.assertEqual(names(role="student"), ["bob", "bobby", "dave"])
        self.assertEqual(names(status="dropped"), ["bobby"])
        self.assertEqual(names(role="student", status="active"), ["bob"])
        self.assertEqual(names(search="BOB"), ["bob", "bobby"])
        self.assertEqual(names(search="nobody"), [])

    def test_bad_filters_are_400_naming_them(self):
        response = self.client.get(self.url(), {"role": "owner", "status": "gone"})
        self.assertError(response, 400, "invalid_input", fields={"role", "status"})
        response = self.client.get(self.url(), {"search": "x" * 151})
        self.assertError(response, 400, "invalid_input", fields={"search"})

    def test_the_query_count_is_the_same_for_2_rows_and_a_full_page(self):
        def add_students(count):
            for _ in range(count):
                user = factories.UserFactory()
                enroll(user, self.course)
                progress(user, self.first, status="solved", best_score=Decimal("1"))
                progress(user, self.second, status="attempted", best_score=Decimal("0.5"))

        add_students(1)  # and the assistant: 2 rows
        self.assertEqual(len(self.assertPage(self.client.get(self.url()), count=2)), 2)
        two = self.count_queries(lambda: self.client.get(self.url()))
        add_students(30)
        self.assertEqual(len(self.assertPage(self.client.get(self.url()), count=32)), 20)
        full = self.count_queries(lambda: self.client.get(self.url()))
        self.assertEqual(two, full)

    def test_students_and_outsiders_are_refused_and_drafts_hidden(self):
        student = factories.UserFactory()
        enroll(student, self.course)
        self.assertError(self.client_for(student).get(self.url()), 403, "permission_denied")
        outsider = self.client_for(factories.UserFactory())
        self.assertError(outsider.get(self.url()), 403, "permission_denied")
        draft = factories.CourseFactory(is_published=False)
        self.assertError(outsider.get(self.url(draft.pk)), 404, "not_found")
        self.assertError(self.client_for(None).get(self.url()), 403, "not_authenticated")


# --- PATCH /api/v1/staff/enrollments/<id>/


class StaffEnrollmentDetailApiTestCase(ApiTestMixin, TestCase):
    def setUp(self):
        super().setUp()
        self.course = factories.CourseFactory()
        self.instructor = factories.UserFactory()
        self.own = enroll(self.instructor, self.course, Role.INSTRUCTOR)
        self.student = factories.UserFactory()
        self.enrollment = enroll(self.student, self.course)
        self.client = self.client_for(self.instructor)

    def url(self, enrollment_id=None):
        return reverse("api:staff-enrollment-detail", args=[enrollment_id or self.enrollment.pk])

    def patch(self, data, enrollment_id=None, client=None):
        return (client or self.client).patch(self.url(enrollment_id), data, format="json")

    def test_an_instructor_changes_a_role_and_the_cached_roles_follow(self):
        self.assertEqual(selectors.course_role(self.student, self.course.pk), "student")
        with self.captureOnCommitCallbacks(execute=True):
            response = self.patch({"role": "assistant"})
        self.assertEqual(response.status_code, 200, response.content)
        body = response.json()
        self.assertEqual(
            (body["id"], body["role"], body["status"]), (self.enrollment.pk, "assistant", "active")
        )
        self.assertEqual(body["user"]["username"], self.student.username)
        self.assertEqual(selectors.course_role(self.student, self.course.pk), "assistant")

    def test_removing_keeps_the_user_out_until_staff_bring_them_back(self):
        with self.captureOnCommitCallbacks(execute=True):
            self.assertEqual(self.patch({"status": "removed"}).json()["status"], "removed")
        student = self.client_for(self.student)
        own_url = reverse("api:course-enrollment", args=[self.course.pk])
        self.assertError(student.post(own_url), 403, "enrollment_removed")
        with self.captureOnCommitCallbacks(execute=True):
            self.assertEqual(self.patch({"status": "active"}).json()["status"], "active")
        self.assertEqual(selectors.course_role(self.student, self.course.pk), "student")

    def test_the_last_active_instructor_stays_one(self):
        own = self.own.pk
        self.assertError(self.patch({"role": "assistant"}, own), 409, "last_instructor")
        self.assertError(self.patch({"status": "removed"}, own), 409, "last_instructor")
        self.assertEqual(self.patch({"role": "instructor"}, own).status_code, 200)  # no change
        self.assertEqual(self.patch({"role": "instructor"}).status_code, 200)  # a second one
        self.assertEqual(self.patch({"role": "assistant"}, own).json()["role"], "assistant")
        self.own.refresh_from_db()
        self.assertEqual(self.own.role, Role.ASSISTANT)

    def test_bad_bodies_are_400_naming_the_field(self):
        cases = [
            ({"status": "dropped"}, {"status"}),  # the user's own choice, not the staff's
            ({"role": "owner"}, {"role"}),
            ({"role": 42}, {"role"}),
            ({"status": True}, {"status"}),
        ]
        for data, fields in cases:
            with self.subTest(data=data):
                self.assertError(self.patch(data), 400, "invalid_input", fields=fields)
        error = self.assertError(self.patch({}), 400, "invalid_input", fields=set())
        self.assertIn("role", error["message"])
        self.enrollment.refresh_from_db()
        self.assertEqual((self.enrollment.role, self.enrollment.status), ("student", "active"))

    def test_assistants_are_refused_and_outsiders_do_not_see_it(self):
        assistant = factories.UserFactory()
        enroll(assistant, self.course, Role.ASSISTANT)
        response = self.patch({"role": "assistant"}, client=self.client_for(assistant))
        self.assertError(response, 403, "permission_denied")
        other = factories.UserFactory()
        enroll(other, factories.CourseFactory(), Role.INSTRUCTOR)
        response = self.patch({"role": "assistant"}, client=self.client_for(other))
        self.assertError(response, 404, "not_found")
        self.assertError(
            self.patch({"role": "student"}, self.enrollment.pk + 999), 404, "not_found"
        )


# --- POST /api/v1/staff/courses/<id>/enrollments/import/


class StaffEnrollmentImportApiTestCase(ApiTestMixin, TestCase):
    def setUp(self):
        super().setUp()
        self.course = factories.CourseFactory()
        self.instructor = factories.UserFactory()
        enroll(self.instructor, self.course, Role.INSTRUCTOR)
        self.client = self.client_for(self.instructor)

    def url(self, course_id=None, **query):
        url = reverse("api:staff-enrollment-import", args=[course_id or self.course.pk])
        return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")

    def upload(self, text, content_type="text/csv", client=None, **query):
        data = text.encode() if isinstance(text, str) else text
        return (client or self.client).post(self.url(**query), data=data, content_type=content_type)

    def statuses(self) -> dict[str, tuple[str, str]]:
        rows = Enrollment.objects.filter(course=self.course).exclude(user=self.instructor)
        return {e.user.username: (e.role, e.status) for e in rows.select_related("user")}

    def test_the_report_lists_every_name_as_given(self):
        new = factories.UserFactory(username="new")
        by_email = factories.UserFactory(username="mailed", email="Mailed@Example.com")
        enroll(factories.UserFactory(username="dropped"), self.course, status=Status.DROPPED)
        enroll(factories.UserFactory(username="removed"), self.course, status=Status.REMOVED)
        enroll(factories.UserFactory(username="active"), self.course, Role.ASSISTANT)
        selectors.course_roster(course_id=self.course.pk)
        csv_text = "username\nnew\nmailed@EXAMPLE.com\ndropped\n\nremoved,extra column\nactive\n"
        with self.captureOnCommitCallbacks(execute=True):
            response = self.upload(csv_text)
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(
            response.json(),
            {
                "imported": ["new", "mailed@EXAMPLE.com"],
                "reactivated": ["dropped", "removed"],
                "already_enrolled": ["active"],
                "unknown": [],
                "ambiguous": [],
            },
        )
        self.assertEqual(
            self.statuses(),
            {
                "new": ("student", "active"),
                "mailed": ("student", "active"),
                "dropped": ("student", "active"),
                "removed": ("student", "active"),
                "active": ("assistant", "active"),  # left as it was
            },
        )
        roster = {e.user_id for e in selectors.course_roster(course_id=self.course.pk)}
        self.assertTrue({new.pk, by_email.pk} <= roster)
        self.assertEqual(selectors.course_role(new, self.course.pk), "student")

    def test_unknown_users_abort_the_import_unless_skipped(self):
        factories.UserFactory(username="known")
        response = self.upload("known\nghost\nghost@example.com\n")
        error = self.assertError(response, 400, "unknown_users", fields={"unknown"})
        self.assertEqual(error["fields"]["unknown"], "ghost, ghost@example.com")
        self.assertEqual(self.statuses(), {})
        response = self.upload("known\nghost\n", skip_unknown="true")
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(
            (response.json()["imported"], response.json()["unknown"]), (["known"], ["ghost"])
        )
        self.assertEqual(self.statuses(), {"known": ("student", "active")})

    def test_an_email_of_several_accounts_is_ambiguous(self):
        factories.UserFactory(username="twin1", email="twins@example.com")
        factories.UserFactory(username="twin2", email="TWINS@example.com")
        error = self.assertError(self.upload("twins@example.com\n"), 400, "ambiguous_users")
        self.assertEqual(error["fields"], {"ambiguous": "twins@example.com"})
        both = self.upload("twins@example.com\nnobody\n")
        self.assertError(both, 400, "unknown_users", fields={"unknown", "ambiguous"})
        response = self.upload("twins@example.com\ntwin1\n", skip_unknown="true")
        self.assertEqual(response.json()["ambiguous"], ["twins@example.com"])
        self.assertEqual(self.statuses(), {"twin1": ("student", "active")})

    def test_a_username_wins_over_an_email_and_a_user_named_twice_counts_once(self):
        user = factories.UserFactory(username="me@example.com", email="other@example.com")
        factories.UserFactory(username="someone", email="me@example.com")
        response = self.upload("me@example.com\nother@example.com\nme@example.com\n")
        self.assertEqual(response.json()["imported"], ["me@example.com"])
        self.assertEqual(self.statuses(), {user.username: ("student", "active")})

    def test_role_option_and_spreadsheet_exports(self):
        factories.UserFactory(username="ta")
        factories.UserFactory(username="tb")
        response = self.upload("Username;Name\nta;Tom A\ntb;Tim B\n", role="assistant")
        self.assertEqual(response.json()["imported"], ["ta", "tb"])
        self.assertEqual(
            self.statuses(), {"ta": ("assistant", "active"), "tb": ("assistant", "active")}
        )
        factories.UserFactory(username="zoë")
        response = self.upload("zoë\n".encode("latin-1"), "text/csv; charset=latin-1")
        self.assertEqual(response.json()["imported"], ["zoë"])
        response = self.upload("\ufeffta\n", skip_unknown="1")  # a byte order mark, from Excel
        self.assertEqual(response.json()["already_enrolled"], ["ta"])

    def test_bad_uploads_are_refused_in_the_error_shape(self):
        factories.UserFactory(username="known")
        self.assertError(self.upload(""), 400, "invalid_input", fields={"file"})
        self.assertError(self.upload("username\n\n"), 400, "invalid_input", fields={"file"})
        self.assertError(self.upload(b"\xff\xfe\xfa"), 400, "malformed_csv", fields={"file"})
        huge_cell = "x" * 200_000 + "\n"  # beyond the csv module's field limit
        self.assertError(self.upload(huge_cell), 400, "malformed_csv")
        # A quote never closed swallows the rest of the file into one cell: malformed, not a
        # list of "unknown" users made of several lines.
        unclosed = 'username\n"known\nknown\n'
        self.assertError(self.upload(unclosed), 400, "malformed_csv", fields={"file"})
        self.assertEqual(Enrollment.objects.filter(user__username="known").count(), 0)
        json_body = self.client.post(self.url(), {"users": ["known"]}, format="json")
        self.assertError(json_body, 415, "unsupported_media_type")
        response = self.upload("known\n", role="owner", skip_unknown="perhaps")
        self.assertError(response, 400, "invalid_input", fields={"role", "skip_unknown"})
        with override_settings(COURSES_API_MAX_CSV_BYTES=10):
            self.assertError(self.upload("known\n" * 2), 413, "payload_too_large")
        self.assertEqual(self.statuses(), {})

    def test_only_the_instructors_may_import(self):
        factories.UserFactory(username="known")
        assistant = factories.UserFactory()
        enroll(assistant, self.course, Role.ASSISTANT)
        response = self.upload("known\n", client=self.client_for(assistant))
        self.assertError(response, 403, "permission_denied")
        draft = factories.CourseFactory(is_published=False)
        response = self.client.post(self.url(draft.pk), data=b"known\n", content_type="text/csv")
        self.assertError(response, 404, "not_found")
        self.assertFalse(Enrollment.objects.filter(user__username="known").exists())

    def test_queries_and_cache_calls_are_the_same_for_10_and_200_rows(self):
        def scenario(size: int, tag: str) -> str:
            """``size`` new users (half named by email), a dropped one, an active one and an
            unknown name. 200 new rows are more than one ``bulk_create`` batch on SQLite."""
            users = [factories.UserFactory(username=f"{tag}{i}") for i in range(size + 2)]
            enroll(users[-2], self.course, status=Status.DROPPED)
            enroll(users[-1], self.course)
            names = [u.email if i % 2 else u.username for i, u in enumerate(users)]
            return "\n".join(["email", *names, f"{tag}-ghost"]) + "\n"

        def measure(csv_text):
            selectors.course_role(self.instructor, self.course.pk)  # the access check, cached
            with CacheCalls() as calls, self.captureOnCommitCallbacks(execute=True):
                queries = self.count_queries(lambda: self.upload(csv_text, skip_unknown="true"))
            return queries, dict(calls.counts), calls.writes

        small = measure(scenario(10, "s"))
        large = measure(scenario(200, "l"))
        self.assertEqual(small, large)
        self.assertEqual(small[2], 1)  # one invalidation, after the commit
        active = Enrollment.objects.filter(course=self.course, status=Status.ACTIVE)
        self.assertEqual(active.count(), 1 + 12 + 202)
        self.assertEqual(get_user_model().objects.count(), 1 + 12 + 202)


class EnrollmentImportServiceTestCase(TestCase):
    def test_the_set_insert_skips_users_enrolled_meanwhile_and_says_whom_it_inserted(self):
        course = factories.CourseFactory()
        meanwhile, new = factories.UserFactory(), factories.UserFactory()
        factories.EnrollmentFactory(user=meanwhile, course=course, role=Role.ASSISTANT)
        inserted = _insert(course, [meanwhile.pk, new.pk], Role.STUDENT)
        self.assertEqual(inserted, [new.pk])
        rows = Enrollment.objects.filter(course=course).order_by("user_id")
        self.assertEqual(
            [(e.user_id, e.role, e.status) for e in rows],
            [(meanwhile.pk, "assistant", "active"), (new.pk, "student", "active")],
        )
        self.assertIsNotNone(rows.get(user=new).enrolled_at)

    def test_headers_blank_rows_and_extra_columns(self):
        self.assertEqual(
            identifiers_from_rows([["Email"], [" ada "], [], [""], ["bob", "x"]]), ["ada", "bob"]
        )
        self.assertEqual(identifiers_from_rows([["ada"], ["username"]]), ["ada", "username"])
        self.assertEqual(rows_from_csv("a\tb\nc\td\n"), [["a", "b"], ["c", "d"]])
        self.assertEqual(rows_from_csv('"x,y",z\n'), [["x,y", "z"]])
