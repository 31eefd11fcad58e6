"""``manage.py grant_course_creator USERNAME [--revoke]``: the site permission to create courses."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from courses.selectors.access import COURSE_CREATOR_PERMISSION
from courses.services.accounts import course_creator_set


class Command(BaseCommand):
    help = (
        f"Grant (or with --revoke, take back) the permission {COURSE_CREATOR_PERMISSION}: "
        "creating courses, in the API and the admin. Granting also lets the user into the admin "
        "(is_staff); revoking leaves that as it is."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--revoke", action="store_true")

    def handle(self, *args, username: str, revoke: bool, **options) -> None:
        user = get_user_model()._default_manager.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        course_creator_set(user=user, allowed=not revoke)
        if revoke:
            message = f"{username} may no longer create courses."
            if user.is_superuser:
                message += " (A superuser still can: superusers can do everything.)"
        else:
            message = f"{username} may create courses (and use the admin)."
        self.stdout.write(self.style.SUCCESS(message))
