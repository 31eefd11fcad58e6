"""Logging in and out, and passwords: Django's own auth views, in the site's pages."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy


class LoginPage(auth_views.LoginView):
    template_name = "web/accounts/login.html"
    redirect_authenticated_user = True


class LogoutPage(auth_views.LogoutView):
    """POST only (Django's rule): a link cannot log anyone out."""


class PasswordChangePage(auth_views.PasswordChangeView):
    template_name = "web/accounts/password_change.html"
    success_url = reverse_lazy("web:home")

    def form_valid(self, form):
        messages.success(self.request, "Your password was changed.")
        return super().form_valid(form)


class PasswordResetConfirmPage(auth_views.PasswordResetConfirmView):
    """The page the reset email links to: ``/accounts/reset/<uidb64>/<token>/``."""

    template_name = "web/accounts/password_reset_confirm.html"
    success_url = reverse_lazy("web:login")

    def form_valid(self, form):
        messages.success(self.request, "Your password was set. Log in with it.")
        return super().form_valid(form)
