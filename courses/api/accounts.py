"""Accounts: CSRF token, session login/logout, API tokens, sign-up, passwords, who am I.

Session clients (browsers) get a CSRF token from ``GET auth/csrf/`` and send it as
``X-CSRFToken`` on every unsafe request, logging in included (``courses/api/auth.py``); token
clients send ``Authorization: Token <key>`` from ``POST auth/token/`` and need no CSRF token.
Every password check (logins, password change, reset confirmation) is limited per client
address by ``COURSES_API_LOGIN_RATE``; sign-ups and reset emails by ``COURSES_API_SIGNUP_RATE``.
"""

from __future__ import annotations

from dataclasses import asdict

from django.core.validators import EmailValidator
from django.middleware.csrf import get_token
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from courses import selectors
from courses.api.auth import enforce_csrf
from courses.api.fields import StrictCharField
from courses.api.throttles import LoginThrottle, PasswordResetThrottle, SignupThrottle
from courses.services import accounts

#: Bounds of the inputs (Django's own: username 150, email 254; a password longer than 4096
#: characters is refused before it is hashed).
USERNAME_MAX = 150
EMAIL_MAX = 254
PASSWORD_MAX = 4096


def password_field() -> StrictCharField:
    return StrictCharField(max_length=PASSWORD_MAX, trim_whitespace=False)


class PublicApi(APIView):
    """An operation anyone may call: no authentication (a stale token or session cannot get in
    the way of logging in again), no permission."""

    authentication_classes = []
    permission_classes = [AllowAny]


class PublicPostMixin:
    """POST is public (as ``PublicApi``) and throttled; the view's other methods keep the
    defaults: logged in (session with CSRF, or token), not throttled."""

    def _public(self) -> bool:
        # ``request`` is the Django request (``View.setup``); the schema generator builds a
        # mock one after asking for authenticators once.
        request = getattr(self, "request", None)
        return request is not None and request.method == "POST"

    def get_authenticators(self):
        return [] if self._public() else super().get_authenticators()

    def get_permissions(self):
        return [AllowAny()] if self._public() else super().get_permissions()

    def get_throttles(self):
        return super().get_throttles() if self._public() else []


class MyEnrollmentSerializer(serializers.Serializer):
    course = serializers.IntegerField()
    title = serializers.CharField()
    role = serializers.CharField()


class AccountSerializer(serializers.Serializer):
    username = serializers.CharField()
    email = serializers.CharField()
    is_superuser = serializers.BooleanField()
    can_create_courses = serializers.BooleanField()
    enrollments = MyEnrollmentSerializer(many=True)


class CredentialsSerializer(serializers.Serializer):
    username = StrictCharField(max_length=USERNAME_MAX)
    password = password_field()


class AuthCsrfApi(PublicApi):
    """``GET /api/v1/auth/csrf/``: sets the ``csrftoken`` cookie and returns its token.

    Send the token back in the ``X-CSRFToken`` header (with the cookie) on unsafe requests made
    with the session, logging in included. Logging in changes it: use the one it returns.
    """

    class OutputSerializer(serializers.Serializer):
        csrf_token = serializers.CharField()

    def get(self, request) -> Response:
        return Response(self.OutputSerializer({"csrf_token": get_token(request)}).data)


class AuthSessionApi(PublicPostMixin, APIView):
    """``POST /api/v1/auth/session/``: log in with the session; ``DELETE``: log out (204).

    Login needs the CSRF token (403 ``csrf_failed``); wrong credentials or an inactive account
    are 400 ``invalid_credentials``. The answer is the account (as ``auth/me/``) and the new CSRF
    token, for the requests that follow.
    """

    throttle_classes = [LoginThrottle]
    success_statuses = {"POST": 200}

    class InputSerializer(CredentialsSerializer):
        pass

    class OutputSerializer(AccountSerializer):
        csrf_token = serializers.CharField()

    def post(self, request) -> Response:
        enforce_csrf(request)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = accounts.session_login(request=request, **serializer.validated_data)
        summary = selectors.account_summary(user=user)
        data = {**asdict(summary), "csrf_token": get_token(request)}
        return Response(self.OutputSerializer(data).data)

    def delete(self, request) -> Response:
        accounts.session_logout(request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AuthMeApi(APIView):
    """``GET /api/v1/auth/me/``: who you are, whether you may create courses, your courses."""

    class OutputSerializer(AccountSerializer):
        pass

    def get(self, request) -> Response:
        summary = selectors.account_summary(user=request.user)
        return Response(self.OutputSerializer(summary).data)


class AuthTokenApi(PublicPostMixin, APIView):
    """``POST /api/v1/auth/token/``: your API token (one per user, created on first use);
    ``DELETE``: revoke it (204; the next POST makes a new one).

    Send it as ``Authorization: Token <key>``. Wrong credentials: 400 ``invalid_credentials``.
    """

    throttle_classes = [LoginThrottle]
    success_statuses = {"POST": 200}

    class InputSerializer(CredentialsSerializer):
        pass

    class OutputSerializer(serializers.Serializer):
        token = serializers.CharField(source="key")

    def post(self, request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token = accounts.token_obtain(request=request, **serializer.validated_data)
        return Response(self.OutputSerializer(token).data)

    def delete(self, request) -> Response:
        accounts.token_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AuthSignupApi(PublicApi):
    """``POST /api/v1/auth/signup/``: create a student account (201); it does not log in.

    403 ``signup_closed`` unless ``COURSES_SIGNUP_OPEN``. Problems are 400 ``invalid_input``
    naming each field: a taken username or email (ignoring case), the password validators'
    messages in ``fields.password``.
    """

    throttle_classes = [SignupThrottle]

    class InputSerializer(serializers.Serializer):
        username = StrictCharField(max_length=USERNAME_MAX)
        email = StrictCharField(max_length=EMAIL_MAX)
        password = password_field()

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField(source="pk")
        username = serializers.CharField()
        email = serializers.CharField()

    def post(self, request) -> Response:
        accounts.signup_require_open()
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = accounts.user_signup(**serializer.validated_data)
        return Response(self.OutputSerializer(user).data, status=status.HTTP_201_CREATED)


class AuthPasswordChangeApi(APIView):
    """``POST /api/v1/auth/password/change/``: change your password.

    Your other sessions end and your API token is replaced: a caller using the token gets the
    new one in ``token`` (``null`` for a session, which stays logged in). A wrong old password is
    400 ``invalid_input`` on ``old_password``; the validators' messages are on ``new_password``.
    """

    throttle_classes = [LoginThrottle]
    success_statuses = {"POST": 200}

    class InputSerializer(serializers.Serializer):
        old_password = password_field()
        new_password = password_field()

    class OutputSerializer(serializers.Serializer):
        token = serializers.CharField(allow_null=True, source="token.key", default=None)

    def post(self, request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token = accounts.password_change(
            request=request,
            user=request.user,
            by_token=request.auth is not None,
            **serializer.validated_data,
        )
        return Response(self.OutputSerializer({"token": token}).data)


class AuthPasswordResetApi(PublicApi):
    """``POST /api/v1/auth/password/reset/``: email a reset link to the account(s) of ``email``.

    Always 200 with the same answer, whether or not an account has that address.
    """

    throttle_classes = [PasswordResetThrottle]
    success_statuses = {"POST": 200}

    class InputSerializer(serializers.Serializer):
        email = StrictCharField(max_length=EMAIL_MAX, validators=[EmailValidator()])

    class OutputSerializer(serializers.Serializer):
        detail = serializers.CharField()

    def post(self, request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        accounts.password_reset_request(**serializer.validated_data)
        detail = "If an account has this email address, a reset link is on its way."
        return Response(self.OutputSerializer({"detail": detail}).data)


class AuthPasswordResetConfirmApi(PublicApi):
    """``POST /api/v1/auth/password/reset/confirm/``: set a new password with the email's
    ``uid`` and ``token`` (once; 400 ``invalid_reset_link`` otherwise). Every session of the
    account ends and its API token is deleted."""

    throttle_classes = [LoginThrottle]
    success_statuses = {"POST": 200}

    class InputSerializer(serializers.Serializer):
        uid = StrictCharField(max_length=64)
        token = StrictCharField(max_length=128)
        new_password = password_field()

    class OutputSerializer(serializers.Serializer):
        username = serializers.CharField(source="get_username")

    def post(self, request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = accounts.password_reset_confirm(**serializer.validated_data)
        return Response(self.OutputSerializer(user).data)
