"""Forms of the site, and the one bridge from a service's error to a form's fields."""

from __future__ import annotations

from django import forms

from courses.services.errors import ServiceError


def apply_service_error(form: forms.Form, exc: ServiceError) -> None:
    """Show ``exc`` on ``form`` in the API's words.

    Each field the service names gets its text next to it (what the API returns in
    ``error.fields``); a name the form has no field for goes on top with the name. The
    service's message, the API's ``error.message``, heads the form.
    """
    form.add_error(None, exc.message)
    for name, message in exc.fields.items():
        if name in form.fields:
            form.add_error(name, message)
        else:
            form.add_error(None, f"{name}: {message}")
