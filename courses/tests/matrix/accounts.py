"""Rows of the accounts area (``auth/...``).

Columns: anonymous student other_student non_member assistant other_instructor instructor
superuser. Every RoleWorld user's password is ``password`` (the user factory's); the test
client skips CSRF checks (``test_api_accounts`` checks them with ``enforce_csrf_checks``).
Sign-up is closed in the test settings: its open path is tested in ``test_api_accounts``.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from courses.tests.matrix import Row

NEW_PASSWORD = "a brand new passphrase"


def _student_credentials(world) -> dict:
    return {"username": world.users["student"].username, "password": "password"}


def _reset_of_student(world) -> dict:
    # From the database: logging the world's users in changes their last_login in memory.
    student = get_user_model().objects.get(pk=world.users["student"].pk)
    return {
        "uid": urlsafe_base64_encode(force_bytes(student.pk)),
        "token": default_token_generator.make_token(student),
        "new_password": NEW_PASSWORD,
    }


ROWS = [
    Row("auth-csrf", "GET", "200 200 200 200 200 200 200 200"),
    Row("auth-session", "POST", "200 200 200 200 200 200 200 200", body=_student_credentials),
    Row("auth-session", "DELETE", "403 204 204 204 204 204 204 204"),
    Row("auth-me", "GET", "403 200 200 200 200 200 200 200"),
    Row("auth-token", "POST", "200 200 200 200 200 200 200 200", body=_student_credentials),
    Row("auth-token", "DELETE", "403 204 204 204 204 204 204 204"),
    Row(
        "auth-signup",
        "POST",
        "403 403 403 403 403 403 403 403",
        body=lambda w: {"username": "newcomer", "email": "new@example.com", "password": "x"},
        note="closed (the default)",
    ),
    Row(
        "auth-password-change",
        "POST",
        "403 200 200 200 200 200 200 200",
        body=lambda w: {"old_password": "password", "new_password": NEW_PASSWORD},
    ),
    Row(
        "auth-password-reset",
        "POST",
        "200 200 200 200 200 200 200 200",
        body=lambda w: {"email": w.users["student"].email},
    ),
    Row(
        "auth-password-reset-confirm",
        "POST",
        "200 200 200 200 200 200 200 200",
        body=_reset_of_student,
    ),
]
