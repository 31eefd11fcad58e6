from __future__ import annotations

import zoneinfo
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models

from courses.instant_range import validate_in_range


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not an IANA time zone name (e.g. 'Europe/Paris').")


class Course(models.Model):
    class LatePolicy(models.TextChoices):
        #: Late work counts in full; it is only marked late.
        NONE = "none", "No penalty (marked late)"
        #: Late work loses ``late_penalty_percent_per_day`` of its score per started day late.
        PENALTY = "penalty", "Penalty per day late"
        #: Late work is judged and shown, but earns nothing.
        NOT_COUNTED = "not_counted", "Not counted"

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    is_published = models.BooleanField(default=False)
    #: Where the course is taught; deadlines are stored in UTC and shown in this zone.
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    late_policy = models.CharField(
        max_length=16,
        choices=LatePolicy.choices,
        default=LatePolicy.NONE,
        help_text="How submissions after a chapter's or problem's due date are scored.",
    )
    late_penalty_percent_per_day = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("10"),
        help_text="With the penalty policy: the share of the score lost per started day late.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(late_penalty_percent_per_day__gte=0)
                & models.Q(late_penalty_percent_per_day__lte=100),
                name="course_late_penalty_range",
                violation_error_message="A late penalty is between 0 and 100 percent per day.",
            )
        ]

    def __str__(self) -> str:
        return self.title


class Chapter(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="chapters")
    title = models.CharField(max_length=200)
    order = models.PositiveIntegerField(default=0)
    #: Homework due date of every problem in the chapter (a problem's own due date wins).
    due_at = models.DateTimeField(null=True, blank=True, validators=[validate_in_range])

    class Meta:
        ordering = ["course", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "order"],
                name="chapter_unique_order_in_course",
                violation_error_message="A chapter with this order already exists in the course.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.course}: {self.title}"
