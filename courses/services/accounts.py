"""Accounts: logging in and out, API tokens, sign-up, password change and reset.

The API and the web pages share these, so both refuse the same things in the same words.
Credentials are checked by Django's authentication backends (``authenticate``): an inactive
user is refused exactly like a wrong password, so nobody learns which accounts exist.

Decisions (docs/decisions.md, "API: accounts and enrollment"):

- Sign-up creates a plain student account (no staff flag, no permission) and does not log in.
- A password change keeps the session it was made in (others end: Django's session hash) and
  replaces the user's API token: a new one is returned to a caller that used the token.
- A password reset by email ends every session (the hash again) and deletes the API token.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import (
    authenticate,
    get_user_model,
    login,
    logout,
    password_validation,
    update_session_auth_hash,
)
from django.contrib.auth.models import Permission
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from rest_framework.authtoken.models import Token

from courses.selectors.access import COURSE_CREATOR_PERMISSION
from courses.services.errors import (
    InvalidCredentials,
    InvalidInput,
    InvalidResetLink,
    SignupClosed,
)

INVALID_CREDENTIALS = "The username or password is wrong, or the account is disabled."
USERNAME_TAKEN = "A user with that username already exists."
EMAIL_TAKEN = "A user with that email address already exists."
#: The page of the web application where a reset link leads (built by the web issue).
RESET_PATH = "/accounts/reset/{uid}/{token}/"


# --- Logging in ------------------------------------------------------------------------------


def user_authenticate(*, request, username: str, password: str):
    """The active user with these credentials; ``InvalidCredentials`` otherwise."""
    user = authenticate(request, username=username, password=password)
    if user is None:
        raise InvalidCredentials(INVALID_CREDENTIALS)
    return user


def session_login(*, request, username: str, password: str):
    """Log the user in on ``request``'s session (a new session key and CSRF token)."""
    user = user_authenticate(request=request, username=username, password=password)
    login(request, user)
    return user


def session_logout(*, request) -> None:
    logout(request)


def token_obtain(*, request, username: str, password: str) -> Token:
    """The user's API token, created on first use: one per user, valid until revoked."""
    user = user_authenticate(request=request, username=username, password=password)
    token, _ = Token.objects.get_or_create(user=user)
    return token


def token_revoke(*, user) -> None:
    """Delete the user's token (if any); a new ``token_obtain`` makes a new one."""
    Token.objects.filter(user=user).delete()


# --- Sign-up ---------------------------------------------------------------------------------


def signup_require_open() -> None:
    """``SignupClosed`` unless ``COURSES_SIGNUP_OPEN``."""
    if not settings.COURSES_SIGNUP_OPEN:
        raise SignupClosed("Sign-up is closed on this site; ask your instructor for an account.")


def user_signup(*, username: str, email: str, password: str):
    """A new student account: no staff flag, no permission (``COURSES_SIGNUP_OPEN`` or 403).

    Usernames and emails are unique ignoring case, so that nobody signs up as ``Alice`` beside
    ``alice``, and a reset email reaches one account. Every problem is reported at once, in
    ``fields``; password problems in the validators' own words.
    """
    signup_require_open()
    user_model = get_user_model()
    username = user_model.normalize_username(username)
    email = user_model.objects.normalize_email(email)
    errors = user_signup_problems(username=username, email=email, password=password)
    if errors:
        raise InvalidInput("The account cannot be created.", fields=errors)
    try:
        with transaction.atomic():
            return user_model.objects.create_user(username=username, email=email, password=password)
    except IntegrityError:  # the same username, created concurrently
        raise InvalidInput(USERNAME_TAKEN, fields={"username": USERNAME_TAKEN}) from None


def user_signup_problems(*, username: str, email: str, password: str) -> dict[str, str]:
    """What ``user_signup`` would refuse, by field, creating nothing: a form that refuses
    something of its own (two passwords that differ) reports these beside it, all at once."""
    user_model = get_user_model()
    username = user_model.normalize_username(username)
    email = user_model.objects.normalize_email(email)
    errors = _username_problems(username) | _email_problems(email)
    candidate = user_model(username=username, email=email)
    return errors | _password_problems(password, candidate, "password")


def _username_problems(username: str) -> dict[str, str]:
    user_model = get_user_model()
    field = user_model._meta.get_field(user_model.USERNAME_FIELD)
    try:
        field.run_validators(username)
    except ValidationError as exc:
        return {"username": " ".join(exc.messages)}
    if not username:
        return {"username": "This field may not be blank."}
    if user_model.objects.filter(username__iexact=username).exists():
        return {"username": USERNAME_TAKEN}
    return {}


def _email_problems(email: str) -> dict[str, str]:
    """Its shape, and its length within the column's (``User.email``'s ``max_length``, 254):
    ``validate_email`` alone takes 320 characters, which PostgreSQL would refuse with a 500."""
    field = get_user_model()._meta.get_field("email")
    problems: list[str] = []
    for check in (validate_email, field.run_validators):
        try:
            check(email)
        except ValidationError as exc:
            problems += exc.messages
    if problems:
        return {"email": " ".join(dict.fromkeys(problems))}
    if get_user_model().objects.filter(email__iexact=email).exists():
        return {"email": EMAIL_TAKEN}
    return {}


def new_password_problems(*, password: str, user) -> dict[str, str]:
    """What ``password_change`` and ``password_reset_confirm`` would refuse of ``password`` as
    ``user``'s new password (``new_password``), changing nothing: for a form that reports its
    own refusals (two passwords that differ) beside these."""
    return _password_problems(password, user, "new_password")


def _password_problems(password: str, user, field: str) -> dict[str, str]:
    """``AUTH_PASSWORD_VALIDATORS``' messages for ``password`` (``user`` for similarity)."""
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        return {field: " ".join(exc.messages)}
    return {}


# --- Passwords -------------------------------------------------------------------------------


def password_change(
    *, request, user, old_password: str, new_password: str, by_token: bool
) -> Token | None:
    """Change the password; the user's other sessions end.

    The API token is deleted (a password is changed when it may have leaked, and a token is as
    good as one). The caller keeps working: ``by_token`` (it authenticated with the token) gets
    a new token, returned; otherwise its session stays logged in (``update_session_auth_hash``).
    """
    if not user.check_password(old_password):
        message = "Your old password was entered incorrectly."
        raise InvalidInput(message, fields={"old_password": message})
    errors = _password_problems(new_password, user, "new_password")
    if errors:
        raise InvalidInput("The new password is not accepted.", fields=errors)
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        Token.objects.filter(user=user).delete()
        token = Token.objects.create(user=user) if by_token else None
    if not by_token:
        update_session_auth_hash(request, user)
    return token


def password_reset_request(*, email: str) -> None:
    """Email a reset link to each active account with this address (usually one).

    Says nothing about whether any account matched: the caller answers the same either way.
    The email carries the web page's link (``COURSES_SITE_URL`` + ``RESET_PATH``) and the
    ``uid`` and ``token`` themselves, for API clients (``password_reset_confirm``).
    """
    users = get_user_model()._default_manager.filter(email__iexact=email, is_active=True)
    for user in users:
        if not user.has_usable_password():
            continue
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        token = default_token_generator.make_token(user)
        link = settings.COURSES_SITE_URL + RESET_PATH.format(uid=uid, token=token)
        body = (
            f"Hello {user.get_username()},\n\n"
            "Someone asked to reset the password of your CodeCourses account. To choose a new "
            f"password, open this link:\n\n    {link}\n\n"
            "With the API: POST /api/v1/auth/password/reset/confirm/ with\n"
            f'    {{"uid": "{uid}", "token": "{token}", "new_password": "..."}}\n\n'
            "The link works once. If you did not ask for it, ignore this email.\n"
        )
        send_mail("Reset your CodeCourses password", body, None, [user.email])


def password_reset_confirm(*, uid: str, token: str, new_password: str):
    """Set a new password from a reset email's ``uid`` and ``token``; ``InvalidResetLink``.

    The token is Django's: it expires after ``PASSWORD_RESET_TIMEOUT`` and is spent by the
    change it allows (it is derived from the password hash). Every session of the user ends and
    their API token is deleted.
    """
    user = password_reset_link_check(uid=uid, token=token)
    errors = _password_problems(new_password, user, "new_password")
    if errors:
        raise InvalidInput("The new password is not accepted.", fields=errors)
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        Token.objects.filter(user=user).delete()
    return user


def password_reset_link_check(*, uid: str, token: str):
    """The user a reset email's ``uid`` and ``token`` are for, while they still work;
    ``InvalidResetLink`` once used, expired or never valid. The site asks when its page opens,
    so that nobody types a new password twice into a form that cannot take it."""
    user = _user_from_uid(uid)
    if user is None or not default_token_generator.check_token(user, token):
        raise InvalidResetLink(
            "This password reset link is invalid, expired or already used; ask for a new one.",
            fields={"token": "Invalid, expired or already used."},
        )
    return user


def _user_from_uid(uid: str):
    try:
        pk = urlsafe_base64_decode(uid).decode()
        return get_user_model()._default_manager.filter(pk=int(pk), is_active=True).first()
    except (TypeError, ValueError, OverflowError, UnicodeDecodeError):
        return None


# --- Site permission -------------------------------------------------------------------------


def course_creator_set(*, user, allowed: bool) -> None:
    """Grant or revoke ``courses.add_course``; granting also opens the admin (``is_staff``).

    Revoking leaves ``is_staff`` as it is: the user may still teach courses in the admin.
    """
    app_label, codename = COURSE_CREATOR_PERMISSION.split(".")
    permission = Permission.objects.get(content_type__app_label=app_label, codename=codename)
    with transaction.atomic():
        if allowed:
            user.user_permissions.add(permission)
            if not user.is_staff:
                user.is_staff = True
                user.save(update_fields=["is_staff"])
        else:
            user.user_permissions.remove(permission)
    for cache_attr in ("_perm_cache", "_user_perm_cache"):
        user.__dict__.pop(cache_attr, None)
