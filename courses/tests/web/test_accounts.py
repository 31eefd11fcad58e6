"""Account pages: log in and out, sign up, change and reset a password, errors next to fields."""

from __future__ import annotations

import re
from unittest import mock

from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from courses.services import accounts
from courses.services.errors import InvalidInput
from courses.tests import factories


def field_errors(response, field: str) -> str:
    """The text of the error list under one field, as the page renders it."""
    match = re.search(rf'id="id_{field}_error">(.*?)</ul>', response.content.decode(), flags=re.S)
    return re.sub(r"<[^>]+>", " ", match.group(1)) if match else ""


class LoginPageTestCase(TestCase):
    def test_a_user_logs_in_and_out_through_the_pages(self):
        factories.UserFactory(username="ada")
        page = self.client.get(reverse("web:login"))
        self.assertContains(page, '<label for="id_username">')
        response = self.client.post(
            reverse("web:login"), {"username": "ada", "password": "password"}
        )
        self.assertRedirects(response, reverse("web:home"))
        self.assertContains(self.client.get(reverse("web:home")), "Account (ada)")
        self.assertRedirects(self.client.post(reverse("web:logout")), reverse("web:home"))
        self.assertNotContains(self.client.get(reverse("web:home")), "Account (ada)")

    def test_wrong_credentials_say_so_and_log_nobody_in(self):
        factories.UserFactory(username="ada")
        response = self.client.post(reverse("web:login"), {"username": "ada", "password": "nope"})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Please enter a correct username and password")
        self.assertNotIn("_auth_user_id", self.client.session)

    def test_logging_out_needs_a_post_and_a_get_shows_the_button(self):
        self.client.force_login(factories.UserFactory(username="ada"))
        response = self.client.get(reverse("web:logout"))
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, f'<form method="post" action="{reverse("web:logout")}"')
        self.assertIn("_auth_user_id", self.client.session)  # a GET logs nobody out
        self.client.logout()
        self.assertContains(self.client.get(reverse("web:logout")), "You are not logged in.")


@override_settings(COURSES_SIGNUP_OPEN=True)
class SignupPageTestCase(TestCase):
    def signup(self, **changes):
        data = {
            "username": "ada",
            "email": "ada@example.com",
            "password": "correct horse 1",
            "password_again": "correct horse 1",
        }
        return self.client.post(reverse("web:signup"), {**data, **changes})

    def test_a_new_student_signs_up_and_is_logged_in(self):
        response = self.signup()
        self.assertRedirects(response, reverse("web:home"))
        user = get_user_model().objects.get(username="ada")
        self.assertFalse(user.is_staff)
        self.assertFalse(user.user_permissions.exists())
        self.assertEqual(int(self.client.session["_auth_user_id"]), user.pk)
        self.assertContains(self.client.get(reverse("web:home")), "My courses")
        self.client.logout()
        self.assertTrue(self.client.login(username="ada", password="correct horse 1"))

    def test_sign_up_goes_on_to_where_the_visitor_was_headed_on_this_site_only(self):
        course_url = reverse("web:course", args=[factories.CourseFactory().pk])
        login_page = self.client.get(reverse("web:login"), {"next": course_url})
        link = reverse("web:signup") + "?next=" + course_url
        self.assertContains(login_page, f'href="{link}"')
        form = self.client.get(reverse("web:signup"), {"next": course_url})
        self.assertContains(form, f'name="next" value="{course_url}"')
        self.assertRedirects(self.signup(next=course_url), course_url)
        self.client.logout()
        foreign = self.signup(username="bob", email="bob@example.com", next="https://evil.test/")
        self.assertRedirects(foreign, reverse("web:home"))

    def test_service_errors_show_next_to_their_fields_in_the_apis_words(self):
        factories.UserFactory(username="taken", email="taken@example.com")
        response = self.signup(
            username="Taken", email="taken@example.com", password="short", password_again="short"
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("already", field_errors(response, "username"))
        self.assertIn("already", field_errors(response, "email"))
        self.assertIn("too short", field_errors(response, "password"))
        self.assertContains(response, "The account cannot be created.")
        self.assertFalse(get_user_model().objects.filter(username="Taken").exists())

    def test_an_email_longer_than_the_column_is_refused_next_to_its_field(self):
        long_email = "a" * 60 + "@" + ".".join(["b" * 60] * 4) + ".example"  # 318 characters
        response = self.signup(email=long_email)
        self.assertEqual(response.status_code, 200)
        self.assertIn("at most 254 characters", field_errors(response, "email"))
        self.assertFalse(get_user_model().objects.exists())

    def test_the_two_passwords_must_agree(self):
        response = self.signup(password_again="something else")
        self.assertIn("differ", field_errors(response, "password_again"))
        self.assertFalse(get_user_model().objects.exists())

    def test_passwords_that_differ_do_not_hide_the_other_problems(self):
        factories.UserFactory(username="taken")
        response = self.signup(username="TAKEN", password="short", password_again="shirt")
        self.assertIn("differ", field_errors(response, "password_again"))
        self.assertIn("too short", field_errors(response, "password"))
        self.assertIn("already", field_errors(response, "username"))
        self.assertEqual(get_user_model().objects.count(), 1)

    @override_settings(COURSES_SIGNUP_OPEN=False)
    def test_closed_signup_has_no_page_and_no_link(self):
        self.assertEqual(self.client.get(reverse("web:signup")).status_code, 404)
        self.assertEqual(self.signup().status_code, 404)
        self.assertNotContains(self.client.get(reverse("web:home")), "Sign up")


@override_settings(COURSES_SIGNUP_OPEN=True)
class SignupServiceTestCase(TestCase):
    def test_the_service_bounds_the_email_to_the_columns_length_for_every_caller(self):
        column = get_user_model()._meta.get_field("email").max_length
        domain = ".".join(["b" * 60] * 3) + ".example"  # labels of at most 63
        fits = "a" * (column - 1 - len(domain)) + "@" + domain
        too_long = "a" + fits
        self.assertEqual((len(fits), len(too_long)), (254, 255))
        with self.assertRaises(InvalidInput) as refused:
            accounts.user_signup(username="ada", email=too_long, password="correct horse 1")
        self.assertIn("at most 254 characters", refused.exception.fields["email"])
        self.assertFalse(get_user_model().objects.exists())
        user = accounts.user_signup(username="ada", email=fits, password="correct horse 1")
        self.assertEqual(user.email, fits)


class PasswordPagesTestCase(TestCase):
    def test_a_logged_in_user_changes_their_password_and_stays_logged_in(self):
        user = factories.UserFactory(username="ada")
        self.client.force_login(user)
        url = reverse("web:password-change")
        new = {"new_password": "a new secret 1", "new_password_again": "a new secret 1"}
        wrong = self.client.post(url, {"old_password": "nope", **new})
        self.assertIn("incorrectly", field_errors(wrong, "old_password"))
        # Typed twice: a typo in the second is refused next to it, and nothing changes.
        typo = self.client.post(
            url, {"old_password": "password", **new, "new_password_again": "a new secret 2"}
        )
        self.assertIn("The two passwords differ.", field_errors(typo, "new_password_again"))
        both = self.client.post(
            url, {"old_password": "password", "new_password": "x", "new_password_again": "y"}
        )
        self.assertIn("The two passwords differ.", field_errors(both, "new_password_again"))
        self.assertIn("too short", field_errors(both, "new_password"))
        user.refresh_from_db()
        self.assertTrue(user.check_password("password"))
        done = self.client.post(url, {"old_password": "password", **new})
        self.assertRedirects(done, reverse("web:home"))
        user.refresh_from_db()
        self.assertTrue(user.check_password("a new secret 1"))
        self.assertContains(self.client.get(reverse("web:home")), "Account (ada)")

    def test_the_change_page_needs_a_login(self):
        response = self.client.get(reverse("web:password-change"))
        self.assertRedirects(
            response, f"{reverse('web:login')}?next={reverse('web:password-change')}"
        )

    def test_a_reset_email_links_to_a_page_that_sets_the_password_once(self):
        user = factories.UserFactory(username="ada", email="ada@example.com")
        response = self.client.post(reverse("web:password-reset"), {"email": "ADA@example.com"})
        self.assertRedirects(response, reverse("web:password-reset-sent"))
        (email,) = mail.outbox
        path = re.search(r"http://[^/]+(/accounts/reset/\S+/)", email.body).group(1)
        self.assertEqual(self.client.get(path).status_code, 200)
        short = self.client.post(path, {"new_password": "x", "new_password_again": "x"})
        self.assertIn("too short", field_errors(short, "new_password"))
        new = {"new_password": "a new secret 1", "new_password_again": "a new secret 1"}
        typo = self.client.post(path, {**new, "new_password_again": "a new secret"})
        self.assertIn("The two passwords differ.", field_errors(typo, "new_password_again"))
        both = self.client.post(path, {"new_password": "x", "new_password_again": "y"})
        self.assertIn("The two passwords differ.", field_errors(both, "new_password_again"))
        self.assertIn("too short", field_errors(both, "new_password"))
        self.assertRedirects(self.client.post(path, new), reverse("web:login"))
        user.refresh_from_db()
        self.assertTrue(user.check_password("a new secret 1"))
        # Spent: the page says so as it opens, with no form, and a post changes nothing.
        for again in (
            self.client.get(path),
            self.client.post(
                path, {"new_password": "another secret 2", "new_password_again": "another secret 2"}
            ),
        ):
            self.assertContains(again, "This link no longer works")
            self.assertContains(again, f'href="{reverse("web:password-reset")}"')
            self.assertNotContains(again, 'name="new_password"')
            self.assertNotContains(again, "token:")
        user.refresh_from_db()
        self.assertTrue(user.check_password("a new secret 1"))

    def test_a_broken_reset_link_says_at_once_that_it_does_not_work(self):
        user = factories.UserFactory(username="ada")
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        for path in (f"/accounts/reset/{uid}/garbage-token/", "/accounts/reset/%25%25/x/"):
            with self.subTest(path=path):
                response = self.client.get(path)
                self.assertContains(response, "This link no longer works")
                self.assertNotContains(response, "Choose a new password")

    def test_a_link_spent_after_the_page_opened_is_refused_in_a_plain_sentence(self):
        user = factories.UserFactory(username="ada")
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        path = f"/accounts/reset/{uid}/{default_token_generator.make_token(user)}/"
        real_check = accounts.password_reset_link_check

        def spent_after_the_first_check(**link):
            """The page's check passes; then the password changes elsewhere, spending it."""
            if not user.check_password("changed elsewhere 1"):
                user.set_password("changed elsewhere 1")
                user.save()
                return user
            return real_check(**link)

        new = {"new_password": "a new secret 1", "new_password_again": "a new secret 1"}
        with mock.patch.object(
            accounts, "password_reset_link_check", side_effect=spent_after_the_first_check
        ):
            response = self.client.post(path, new)
        self.assertContains(response, "already used; ask for a new one.")
        self.assertNotContains(response, "token:")

    def test_an_unknown_email_gets_the_same_answer_and_no_mail(self):
        response = self.client.post(reverse("web:password-reset"), {"email": "who@example.com"})
        self.assertRedirects(response, reverse("web:password-reset-sent"))
        self.assertEqual(mail.outbox, [])
