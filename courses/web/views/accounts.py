"""Accounts in the site: log in and out, sign up, change and reset a password.

Login and logout are Django's views; everything else calls the accounts services the API uses
(``courses/services/accounts.py``), so the rules and the words of their errors are the same.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.generic import FormView, TemplateView

from courses.services import accounts
from courses.services.errors import InvalidResetLink, ServiceError
from courses.web.forms import apply_service_error


class LoginPage(auth_views.LoginView):
    template_name = "web/accounts/login.html"
    redirect_authenticated_user = True


class LogoutPage(auth_views.LogoutView):
    """Logging out is a POST (Django's rule): a link cannot log anyone out. A GET, from a typed
    or bookmarked address, shows the button that does it instead of an empty 405."""

    http_method_names = ["get", "post", "options"]

    def get(self, request, *args, **kwargs):
        return TemplateResponse(request, "web/accounts/logout.html")


class ServiceFormView(FormView):
    """A form whose ``perform`` calls a service; its ``ServiceError`` shows on the form.

    When the form refuses something of its own (two passwords that differ), ``problems`` says
    what the service would refuse too, so that every error shows at once rather than one per
    try; each goes next to its field unless the form already reports one there.
    """

    def perform(self, form) -> None:
        raise NotImplementedError

    def problems(self, form) -> dict[str, str]:
        return {}

    def form_valid(self, form):
        try:
            self.perform(form)
        except ServiceError as exc:
            apply_service_error(form, exc)
            return super().form_invalid(form)
        return super().form_valid(form)

    def form_invalid(self, form):
        for name, message in self.problems(form).items():
            if name in form.cleaned_data and not form.has_error(name):
                form.add_error(name, message)
        return super().form_invalid(form)


class TypedTwiceForm(forms.Form):
    """A new password is typed twice (``password_field`` and its ``_again``): a typo in a
    hidden field would otherwise lock its owner out."""

    password_field = "password"

    def clean(self):
        data = super().clean()
        password = data.get(self.password_field)
        if password and password != data.get(f"{self.password_field}_again"):
            self.add_error(f"{self.password_field}_again", "The two passwords differ.")
        return data


#: The model's bounds, so the form refuses what the column cannot hold (EmailField allows 320).
USERNAME_MAX = get_user_model()._meta.get_field("username").max_length
EMAIL_MAX = get_user_model()._meta.get_field("email").max_length


class SignupForm(TypedTwiceForm):
    username = forms.CharField(max_length=USERNAME_MAX)
    email = forms.EmailField(max_length=EMAIL_MAX)
    password = forms.CharField(widget=forms.PasswordInput, strip=False)
    password_again = forms.CharField(
        label="Password (again)", widget=forms.PasswordInput, strip=False
    )


class SignupPage(ServiceFormView):
    """A student account, when ``COURSES_SIGNUP_OPEN``; otherwise the page does not exist.

    The new student is logged in at once and goes where they were headed (``next``, carried
    from the login page, when it is on this site) or to the catalogue: typing the password a
    third time, on the login page, would only be in the way.
    """

    template_name = "web/accounts/signup.html"
    form_class = SignupForm

    def dispatch(self, request, *args, **kwargs):
        if not settings.COURSES_SIGNUP_OPEN:
            raise Http404("Sign-up is closed on this site.")
        if request.user.is_authenticated:
            return redirect("web:home")
        return super().dispatch(request, *args, **kwargs)

    def problems(self, form) -> dict[str, str]:
        data = form.cleaned_data
        return accounts.user_signup_problems(
            username=data.get("username", ""),
            email=data.get("email", ""),
            password=data.get("password", ""),
        )

    def perform(self, form) -> None:
        data = form.cleaned_data
        user = accounts.user_signup(
            username=data["username"], email=data["email"], password=data["password"]
        )
        login(self.request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
        messages.success(
            self.request, f"Welcome, {user.username}: your account is ready and you are logged in."
        )

    def get_success_url(self) -> str:
        wanted = self.request.POST.get("next") or self.request.GET.get("next", "")
        if url_has_allowed_host_and_scheme(
            wanted, allowed_hosts={self.request.get_host()}, require_https=self.request.is_secure()
        ):
            return wanted
        return reverse("web:home")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["next"] = self.request.POST.get("next") or self.request.GET.get("next", "")
        return context


class NewPasswordForm(TypedTwiceForm):
    password_field = "new_password"

    new_password = forms.CharField(widget=forms.PasswordInput, strip=False)
    new_password_again = forms.CharField(
        label="New password (again)", widget=forms.PasswordInput, strip=False
    )


class PasswordChangeForm(NewPasswordForm):
    old_password = forms.CharField(
        label="Current password", widget=forms.PasswordInput, strip=False
    )
    field_order = ["old_password", "new_password", "new_password_again"]


class PasswordChangePage(LoginRequiredMixin, ServiceFormView):
    template_name = "web/accounts/password_change.html"
    form_class = PasswordChangeForm
    success_url = reverse_lazy("web:home")

    def problems(self, form) -> dict[str, str]:
        password = form.cleaned_data.get("new_password", "")
        return accounts.new_password_problems(password=password, user=self.request.user)

    def perform(self, form) -> None:
        accounts.password_change(
            request=self.request,
            user=self.request.user,
            old_password=form.cleaned_data["old_password"],
            new_password=form.cleaned_data["new_password"],
            by_token=False,
        )
        messages.success(self.request, "Your password was changed.")


class PasswordResetForm(forms.Form):
    email = forms.EmailField(max_length=EMAIL_MAX, help_text="The address of your account.")


class PasswordResetPage(ServiceFormView):
    """Asks for an email; says the same whether or not an account has it."""

    template_name = "web/accounts/password_reset.html"
    form_class = PasswordResetForm
    success_url = reverse_lazy("web:password-reset-sent")

    def perform(self, form) -> None:
        accounts.password_reset_request(email=form.cleaned_data["email"])


class PasswordResetSentPage(TemplateView):
    template_name = "web/accounts/password_reset_sent.html"


class PasswordResetConfirmPage(ServiceFormView):
    """The page the reset email links to: ``/accounts/reset/<uidb64>/<token>/``.

    The link is checked as the page opens (and again when the form is sent): a used, expired
    or broken one says so at once, with the way to a new one, instead of a form that cannot work.
    """

    template_name = "web/accounts/password_reset_confirm.html"
    form_class = NewPasswordForm
    success_url = reverse_lazy("web:login")

    def dispatch(self, request, *args, **kwargs):
        try:
            self.user = accounts.password_reset_link_check(
                uid=kwargs["uidb64"], token=kwargs["token"]
            )
        except InvalidResetLink:
            return TemplateResponse(request, "web/accounts/password_reset_invalid.html")
        return super().dispatch(request, *args, **kwargs)

    def problems(self, form) -> dict[str, str]:
        password = form.cleaned_data.get("new_password", "")
        return accounts.new_password_problems(password=password, user=self.user)

    def perform(self, form) -> None:
        try:
            accounts.password_reset_confirm(
                uid=self.kwargs["uidb64"],
                token=self.kwargs["token"],
                new_password=form.cleaned_data["new_password"],
            )
        except InvalidResetLink as exc:  # spent since the page opened: its sentence, no "token:"
            raise InvalidResetLink(exc.message) from None
        messages.success(self.request, "Your password was set. Log in with it.")
