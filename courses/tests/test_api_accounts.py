"""Accounts over the API (``courses/api/accounts.py``): CSRF, session and token login, sign-up,
password change and reset, throttling per client address."""

from __future__ import annotations

import re

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core import mail
from django.test import TestCase, override_settings
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from courses.models import Enrollment
from courses.tests import factories
from courses.tests.api_support import ApiTestMixin
from courses.tests.signals.support import UNREACHABLE_REDIS

PASSWORD = "password"  # the user factory's
NEW_PASSWORD = "correct horse battery staple"
SHORT = "This password is too short. It must contain at least 8 characters."


def url(name: str) -> str:
    return reverse(f"api:{name}")


def credentials(user, password=PASSWORD) -> dict:
    return {"username": user.username, "password": password}


def csrf_client() -> tuple[APIClient, str]:
    """A client that enforces CSRF as a browser is held to, with a token from auth/csrf/."""
    client = APIClient(enforce_csrf_checks=True)
    token = client.get(url("auth-csrf")).json()["csrf_token"]
    return client, token


# --- GET auth/csrf/, POST/DELETE auth/session/


class SessionLoginApiTestCase(ApiTestMixin, TestCase):
    def setUp(self):
        super().setUp()
        self.user = factories.UserFactory()
        self.course = factories.CourseFactory()

    def test_csrf_sets_the_cookie_and_returns_a_token(self):
        client = APIClient(enforce_csrf_checks=True)
        response = client.get(url("auth-csrf"))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(set(response.json()), {"csrf_token"})
        self.assertTrue(response.json()["csrf_token"])
        self.assertIn("csrftoken", response.cookies)

    def test_login_without_the_csrf_token_is_403_csrf_failed_and_logs_nobody_in(self):
        client, _ = csrf_client()
        response = client.post(url("auth-session"), credentials(self.user), format="json")
        self.assertError(response, 403, "csrf_failed")
        bare = APIClient(enforce_csrf_checks=True)  # no cookie either
        response = bare.post(url("auth-session"), credentials(self.user), format="json")
        self.assertError(response, 403, "csrf_failed")
        self.assertError(client.get(url("auth-me")), 403, "not_authenticated")

    def test_login_with_the_token_opens_a_session_with_a_new_csrf_token(self):
        client, token = csrf_client()
        response = client.post(
            url("auth-session"), credentials(self.user), format="json", HTTP_X_CSRFTOKEN=token
        )
        self.assertEqual(response.status_code, 200, response.content)
        body = response.json()
        self.assertEqual(body["username"], self.user.username)
        self.assertEqual(body["enrollments"], [])
        self.assertEqual(client.get(url("auth-me")).json()["username"], self.user.username)

        enroll_url = reverse("api:course-enrollment", args=[self.course.pk])
        self.assertError(client.post(enroll_url), 403, "csrf_failed")  # unsafe: needs it
        self.assertError(client.post(enroll_url, HTTP_X_CSRFTOKEN=token), 403, "csrf_failed")
        response = client.post(enroll_url, HTTP_X_CSRFTOKEN=body["csrf_token"])
        self.assertEqual(response.status_code, 201, response.content)

        self.assertError(client.delete(url("auth-session")), 403, "csrf_failed")
        response = client.delete(url("auth-session"), HTTP_X_CSRFTOKEN=body["csrf_token"])
        self.assertEqual(response.status_code, 204)
        self.assertError(client.get(url("auth-me")), 403, "not_authenticated")

    def test_wrong_credentials_and_inactive_accounts_are_400_invalid_credentials(self):
        inactive = factories.UserFactory(is_active=False)
        cases = [
            credentials(self.user, "wrong"),
            {"username": "nobody", "password": PASSWORD},
            credentials(inactive),
        ]
        for data in cases:
            with self.subTest(data=data):
                response = APIClient().post(url("auth-session"), data, format="json")
                self.assertError(response, 400, "invalid_credentials", fields=set())
        self.assertError(APIClient().get(url("auth-me")), 403, "not_authenticated")

    def test_bad_bodies_are_400_naming_the_fields(self):
        cases = [
            ({}, {"username", "password"}),
            ({"username": 42, "password": PASSWORD}, {"username"}),
            ({"username": self.user.username, "password": ["x"]}, {"password"}),
            ({"username": "u" * 151, "password": PASSWORD}, {"username"}),
            ({"username": self.user.username, "password": "p" * 4097}, {"password"}),
        ]
        for data, fields in cases:
            with self.subTest(data=str(data)[:60]):
                response = APIClient().post(url("auth-session"), data, format="json")
                self.assertError(response, 400, "invalid_input", fields=fields)

    def test_a_stale_token_header_does_not_get_in_the_way_of_logging_in(self):
        client = APIClient(HTTP_AUTHORIZATION="Token not-a-real-token")
        response = client.post(url("auth-session"), credentials(self.user), format="json")
        self.assertEqual(response.status_code, 200, response.content)
        response = client.post(url("auth-token"), credentials(self.user), format="json")
        self.assertEqual(response.status_code, 200, response.content)

    def test_logging_out_needs_a_login(self):
        self.assertError(APIClient().delete(url("auth-session")), 403, "not_authenticated")


# --- GET auth/me/


class MeApiTestCase(ApiTestMixin, TestCase):
    def test_me_lists_my_account_and_active_enrollments(self):
        user = factories.UserFactory(username="ada", email="ada@example.com")
        algebra = factories.CourseFactory(title="Algebra")
        biology = factories.CourseFactory(title="Biology")
        factories.EnrollmentFactory(user=user, course=biology, role=Enrollment.Role.ASSISTANT)
        factories.EnrollmentFactory(user=user, course=algebra)
        dropped = factories.CourseFactory(title="Chemistry")
        factories.EnrollmentFactory(user=user, course=dropped, status=Enrollment.Status.DROPPED)
        response = self.client_for(user).get(url("auth-me"))
        self.assertEqual(
            response.json(),
            {
                "username": "ada",
                "email": "ada@example.com",
                "is_superuser": False,
                "can_create_courses": False,
                "enrollments": [
                    {"course": algebra.pk, "title": "Algebra", "role": "student"},
                    {"course": biology.pk, "title": "Biology", "role": "assistant"},
                ],
            },
        )

    def test_course_creators_and_superusers_may_create_courses(self):
        creator = factories.UserFactory()
        creator.user_permissions.add(
            Permission.objects.get(codename="add_course", content_type__app_label="courses")
        )
        superuser = factories.UserFactory(is_superuser=True)
        for user in (creator, superuser):
            body = self.client_for(user).get(url("auth-me")).json()
            self.assertTrue(body["can_create_courses"])
        self.assertTrue(body["is_superuser"])

    def test_anonymous_is_403(self):
        self.assertError(self.client_for(None).get(url("auth-me")), 403, "not_authenticated")


# --- POST/DELETE auth/token/


class TokenApiTestCase(ApiTestMixin, TestCase):
    def setUp(self):
        super().setUp()
        self.user = factories.UserFactory()

    def obtain(self, data=None):
        return APIClient().post(url("auth-token"), data or credentials(self.user), format="json")

    def test_one_token_per_user_that_works_without_csrf_until_revoked(self):
        response = self.obtain()
        self.assertEqual(response.status_code, 200, response.content)
        key = response.json()["token"]
        self.assertEqual(self.obtain().json()["token"], key)
        self.assertEqual(Token.objects.get(user=self.user).key, key)

        client = APIClient(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Token {key}")
        self.assertEqual(client.get(url("auth-me")).json()["username"], self.user.username)
        course = factories.CourseFactory()
        enrolled = client.post(reverse("api:course-enrollment", args=[course.pk]))
        self.assertEqual(enrolled.status_code, 201, enrolled.content)  # no CSRF for tokens

        self.assertEqual(client.delete(url("auth-token")).status_code, 204)
        self.assertFalse(Token.objects.filter(user=self.user).exists())
        # A revoked token: 401 with the token scheme's challenge (a script logs in again).
        revoked = client.get(url("auth-me"))
        self.assertError(revoked, 401, "not_authenticated")
        self.assertEqual(revoked["WWW-Authenticate"], "Token")
        self.assertNotEqual(self.obtain().json()["token"], key)

    def test_a_wrong_token_is_401_and_no_credentials_403(self):
        for header in ("Token nope", "Token", "Bearer abc", "Token a b"):
            with self.subTest(header=header):
                client = APIClient(HTTP_AUTHORIZATION=header)
                response = client.get(url("auth-me"))
                self.assertError(response, 401, "not_authenticated")
                self.assertEqual(response["WWW-Authenticate"], "Token")
        anonymous = APIClient().get(url("auth-me"))
        self.assertError(anonymous, 403, "not_authenticated")
        self.assertNotIn("WWW-Authenticate", anonymous)

    def test_wrong_credentials_and_inactive_accounts_get_no_token(self):
        self.assertError(self.obtain(credentials(self.user, "nope")), 400, "invalid_credentials")
        self.user.is_active = False
        self.user.save()
        self.assertError(self.obtain(), 400, "invalid_credentials")
        self.assertError(self.obtain({"username": 1, "password": 2}), 400, "invalid_input")
        self.assertFalse(Token.objects.exists())

    def test_revoking_needs_a_login_and_works_for_a_session_too(self):
        self.assertError(APIClient().delete(url("auth-token")), 403, "not_authenticated")
        Token.objects.create(user=self.user)
        self.assertEqual(self.client_for(self.user).delete(url("auth-token")).status_code, 204)
        self.assertFalse(Token.objects.exists())


# --- Throttling per client address


class LoginThrottleApiTestCase(ApiTestMixin, TestCase):
    def setUp(self):
        super().setUp()
        self.user = factories.UserFactory()

    def attempt(self, route="auth-session", address="10.0.0.1", **extra):
        data = credentials(self.user, "wrong")
        return APIClient().post(url(route), data, format="json", REMOTE_ADDR=address, **extra)

    @override_settings(COURSES_API_LOGIN_RATE="3/min")
    def test_session_and_token_logins_share_one_bucket_per_address(self):
        self.assertEqual(self.attempt().status_code, 400)
        self.assertEqual(self.attempt("auth-token").status_code, 400)
        self.assertEqual(self.attempt().status_code, 400)
        for route in ("auth-session", "auth-token"):
            with self.subTest(route=route):
                response = self.assertError
                throttled = self.attempt(route)
                response(throttled, 429, "throttled")
                self.assertGreaterEqual(int(throttled["Retry-After"]), 1)
        # A right password is throttled too: guessing must not be told apart.
        right = APIClient().post(
            url("auth-token"), credentials(self.user), format="json", REMOTE_ADDR="10.0.0.1"
        )
        self.assertError(right, 429, "throttled")
        self.assertEqual(self.attempt(address="10.0.0.2").status_code, 400)

    @override_settings(COURSES_API_LOGIN_RATE="1/min")
    def test_a_forged_forwarded_for_header_is_not_a_new_address(self):
        self.assertEqual(self.attempt(HTTP_X_FORWARDED_FOR="1.1.1.1").status_code, 400)
        self.assertError(self.attempt(HTTP_X_FORWARDED_FOR="2.2.2.2"), 429, "throttled")

    @override_settings(COURSES_API_LOGIN_RATE=None)
    def test_no_rate_means_no_limit(self):
        for _ in range(5):
            self.assertEqual(self.attempt().status_code, 400)

    @override_settings(COURSES_API_LOGIN_RATE="1/min", CACHES=UNREACHABLE_REDIS)
    def test_a_cache_that_is_down_lets_logins_through_and_is_logged(self):
        with self.assertLogs("courses.api.throttles", "ERROR"):
            for _ in range(2):
                response = APIClient().post(
                    url("auth-token"), credentials(self.user), format="json"
                )
                self.assertEqual(response.status_code, 200, response.content)


# --- POST auth/signup/


@override_settings(COURSES_SIGNUP_OPEN=True)
class SignupApiTestCase(ApiTestMixin, TestCase):
    def signup(self, client=None, **data):
        body = {"username": "newbie", "email": "newbie@example.com", "password": NEW_PASSWORD}
        body.update(data)
        return (client or APIClient()).post(url("auth-signup"), body, format="json")

    def test_a_plain_student_account_is_created_and_not_logged_in(self):
        client = APIClient()
        response = self.signup(client)
        self.assertEqual(response.status_code, 201, response.content)
        user = get_user_model().objects.get(username="newbie")
        self.assertEqual(
            response.json(), {"id": user.pk, "username": "newbie", "email": "newbie@example.com"}
        )
        self.assertFalse(user.is_staff or user.is_superuser)
        self.assertFalse(user.user_permissions.exists() or user.groups.exists())
        self.assertError(client.get(url("auth-me")), 403, "not_authenticated")
        token = client.post(url("auth-token"), credentials(user, NEW_PASSWORD), format="json")
        me = APIClient(HTTP_AUTHORIZATION=f"Token {token.json()['token']}").get(url("auth-me"))
        self.assertEqual((me.json()["can_create_courses"], me.json()["enrollments"]), (False, []))

    @override_settings(COURSES_SIGNUP_OPEN=False)
    def test_closed_sign_up_is_403_whatever_the_body(self):
        self.assertError(self.signup(), 403, "signup_closed")
        self.assertError(self.signup(password=42), 403, "signup_closed")
        self.assertFalse(get_user_model().objects.exists())

    def test_password_validators_speak_in_fields_password(self):
        error = self.assertError(self.signup(password="short"), 400, "invalid_input")
        self.assertEqual(error["fields"], {"password": SHORT})
        error = self.assertError(self.signup(password="newbie-example"), 400, "invalid_input")
        self.assertIn("The password is too similar to the", error["fields"]["password"])
        error = self.assertError(self.signup(password="password"), 400, "invalid_input")
        self.assertIn("This password is too common.", error["fields"]["password"])
        error = self.assertError(self.signup(password="80451296"), 400, "invalid_input")
        self.assertIn("This password is entirely numeric.", error["fields"]["password"])
        self.assertFalse(get_user_model().objects.exists())

    def test_taken_usernames_and_emails_are_refused_ignoring_case_all_at_once(self):
        factories.UserFactory(username="Newbie", email="NEWBIE@example.com")
        error = self.assertError(self.signup(password="x"), 400, "invalid_input")
        self.assertEqual(set(error["fields"]), {"username", "email", "password"})
        self.assertIn("username already exists", error["fields"]["username"])
        self.assertIn("email address already exists", error["fields"]["email"])
        self.assertEqual(get_user_model().objects.count(), 1)

    def test_malformed_input_is_400_naming_the_field(self):
        cases = [
            ({"username": "bad name!"}, {"username"}),
            ({"email": "not-an-email"}, {"email"}),
            ({"username": 42}, {"username"}),
            ({"email": None}, {"email"}),
            ({"username": ""}, {"username"}),
            ({"username": "u" * 151}, {"username"}),
            ({"password": "p" * 4097}, {"password"}),
        ]
        for data, fields in cases:
            with self.subTest(data=str(data)[:60]):
                self.assertError(self.signup(**data), 400, "invalid_input", fields=fields)
        self.assertFalse(get_user_model().objects.exists())

    @override_settings(COURSES_API_SIGNUP_RATE="2/hour")
    def test_sign_ups_are_throttled_per_address(self):
        self.assertEqual(self.signup(username="one", email="one@example.com").status_code, 201)
        self.assertEqual(self.signup(username="two", email="two@example.com").status_code, 201)
        self.assertError(self.signup(username="three", email="3@example.com"), 429, "throttled")
        other = self.signup(APIClient(REMOTE_ADDR="10.9.9.9"))
        self.assertEqual(other.status_code, 201)


# --- POST auth/password/change/


class PasswordChangeApiTestCase(ApiTestMixin, TestCase):
    def setUp(self):
        super().setUp()
        self.user = factories.UserFactory()

    def change(self, client, old=PASSWORD, new=NEW_PASSWORD):
        body = {"old_password": old, "new_password": new}
        return client.post(url("auth-password-change"), body, format="json")

    def test_a_session_stays_logged_in_other_sessions_and_the_token_end(self):
        client = self.client_for(self.user)
        elsewhere = self.client_for(self.user)
        old_token = Token.objects.create(user=self.user)
        response = self.change(client)
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(response.json(), {"token": None})
        self.assertEqual(client.get(url("auth-me")).status_code, 200)
        self.assertError(elsewhere.get(url("auth-me")), 403, "not_authenticated")
        stale = APIClient(HTTP_AUTHORIZATION=f"Token {old_token.key}")
        self.assertError(stale.get(url("auth-me")), 401, "not_authenticated")
        self.user.refresh_from_db()
        self.assertTrue(self.user.check_password(NEW_PASSWORD))

    def test_a_token_caller_gets_a_new_token_and_the_old_one_dies(self):
        client = self.token_client_for(self.user)
        old_key = Token.objects.get(user=self.user).key
        response = self.change(client)
        self.assertEqual(response.status_code, 200, response.content)
        new_key = response.json()["token"]
        self.assertNotEqual(new_key, old_key)
        self.assertError(client.get(url("auth-me")), 401, "not_authenticated")
        fresh = APIClient(HTTP_AUTHORIZATION=f"Token {new_key}")
        self.assertEqual(fresh.get(url("auth-me")).status_code, 200)

    def test_a_wrong_old_password_or_a_weak_new_one_is_400_on_its_field(self):
        client = self.client_for(self.user)
        error = self.assertError(self.change(client, old="nope"), 400, "invalid_input")
        self.assertEqual(set(error["fields"]), {"old_password"})
        error = self.assertError(self.change(client, new="short"), 400, "invalid_input")
        self.assertEqual(error["fields"], {"new_password": SHORT})
        self.assertError(self.change(client, new=7), 400, "invalid_input", {"new_password"})
        self.user.refresh_from_db()
        self.assertTrue(self.user.check_password(PASSWORD))

    def test_anonymous_is_403(self):
        self.assertError(self.change(APIClient()), 403, "not_authenticated")

    def test_it_needs_the_csrf_token_with_a_session(self):
        client, token = csrf_client()
        login = client.post(
            url("auth-session"), credentials(self.user), format="json", HTTP_X_CSRFTOKEN=token
        )
        self.assertError(self.change(client), 403, "csrf_failed")
        body = {"old_password": PASSWORD, "new_password": NEW_PASSWORD}
        response = client.post(
            url("auth-password-change"),
            body,
            format="json",
            HTTP_X_CSRFTOKEN=login.json()["csrf_token"],
        )
        self.assertEqual(response.status_code, 200, response.content)


# --- POST auth/password/reset/ and auth/password/reset/confirm/


@override_settings(COURSES_SITE_URL="https://courses.example.org")
class PasswordResetApiTestCase(ApiTestMixin, TestCase):
    LINK = re.compile(r"https://courses\.example\.org/accounts/reset/([\w-]+)/([\w-]+)/")

    def setUp(self):
        super().setUp()
        self.user = factories.UserFactory(email="Ada@Example.com")

    def request_reset(self, email="ada@example.com", address="127.0.0.1"):
        return APIClient().post(
            url("auth-password-reset"), {"email": email}, format="json", REMOTE_ADDR=address
        )

    def confirm(self, uid, token, new_password=NEW_PASSWORD):
        body = {"uid": uid, "token": token, "new_password": new_password}
        return APIClient().post(url("auth-password-reset-confirm"), body, format="json")

    def link_parts(self) -> tuple[str, str]:
        self.assertEqual(len(mail.outbox), 1)
        message = mail.outbox[0]
        self.assertEqual(message.to, [self.user.email])
        uid, token = self.LINK.search(message.body).groups()
        self.assertIn(f'"uid": "{uid}", "token": "{token}"', message.body)
        return uid, token

    def test_the_emailed_link_sets_a_new_password_once(self):
        Token.objects.create(user=self.user)
        session = self.client_for(self.user)
        response = self.request_reset()
        self.assertEqual(response.status_code, 200, response.content)
        uid, token = self.link_parts()
        response = self.confirm(uid, token)
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(response.json(), {"username": self.user.username})
        self.user.refresh_from_db()
        self.assertTrue(self.user.check_password(NEW_PASSWORD))
        self.assertFalse(Token.objects.filter(user=self.user).exists())
        self.assertError(session.get(url("auth-me")), 403, "not_authenticated")
        again = self.confirm(uid, token, "yet another passphrase")
        self.assertError(again, 400, "invalid_reset_link", fields={"token"})
        self.user.refresh_from_db()
        self.assertTrue(self.user.check_password(NEW_PASSWORD))

    def test_the_answer_is_the_same_whether_or_not_the_email_exists(self):
        known = self.request_reset()
        unknown = self.request_reset("nobody@example.com")
        self.assertEqual((known.status_code, known.json()), (unknown.status_code, unknown.json()))
        self.assertEqual(len(mail.outbox), 1)

    def test_inactive_accounts_and_unusable_passwords_get_no_email(self):
        factories.UserFactory(email="off@example.com", is_active=False)
        no_password = factories.UserFactory(email="sso@example.com")
        no_password.set_unusable_password()
        no_password.save()
        for email in ("off@example.com", "sso@example.com"):
            self.assertEqual(self.request_reset(email).status_code, 200)
        self.assertEqual(mail.outbox, [])

    def test_a_weak_password_is_refused_and_the_link_still_works(self):
        self.request_reset()
        uid, token = self.link_parts()
        error = self.assertError(self.confirm(uid, token, "short"), 400, "invalid_input")
        self.assertEqual(error["fields"], {"new_password": SHORT})
        self.assertEqual(self.confirm(uid, token).status_code, 200)

    def test_forged_links_are_400_invalid_reset_link(self):
        self.request_reset()
        uid, token = self.link_parts()
        other = factories.UserFactory()
        from django.utils.encoding import force_bytes
        from django.utils.http import urlsafe_base64_encode

        other_uid = urlsafe_base64_encode(force_bytes(other.pk))
        for bad_uid, bad_token in (
            ("!!!", token),
            ("", token),
            (urlsafe_base64_encode(b"99999"), token),
            (urlsafe_base64_encode(b"not a number"), token),
            (other_uid, token),
            (uid, token[:-1] + ("0" if token[-1] != "0" else "1")),
        ):
            with self.subTest(uid=bad_uid, token=bad_token):
                response = self.confirm(bad_uid, bad_token)
                if bad_uid == "":
                    self.assertError(response, 400, "invalid_input", fields={"uid"})
                else:
                    self.assertError(response, 400, "invalid_reset_link")
        self.assertError(self.confirm(uid, 5), 400, "invalid_input", fields={"token"})

    def test_bad_emails_are_400(self):
        for email in ("not an email", 42, "", "x@" + "y" * 260 + ".com"):
            with self.subTest(email=str(email)[:30]):
                self.assertError(self.request_reset(email), 400, "invalid_input", {"email"})
        self.assertEqual(mail.outbox, [])

    @override_settings(COURSES_API_SIGNUP_RATE="2/hour")
    def test_reset_requests_are_throttled_per_address(self):
        self.assertEqual(self.request_reset().status_code, 200)
        self.assertEqual(self.request_reset("nobody@example.com").status_code, 200)
        self.assertError(self.request_reset(), 429, "throttled")
        self.assertEqual(self.request_reset(address="10.1.2.3").status_code, 200)
        self.assertEqual(len(mail.outbox), 2)
