from __future__ import annotations

from django.conf import settings
from django.db import models

from courses.models.course import Course


class Enrollment(models.Model):
    class Role(models.TextChoices):
        STUDENT = "student"
        ASSISTANT = "assistant"
        INSTRUCTOR = "instructor"

    class Status(models.TextChoices):
        ACTIVE = "active"
        #: The student left; enrolling again reactivates the enrollment.
        DROPPED = "dropped"
        #: The course's staff removed the user; only staff can bring them back.
        REMOVED = "removed"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments"
    )
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="enrollments")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.STUDENT)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    enrolled_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "course"],
                name="enrollment_one_per_user_and_course",
                violation_error_message="This user is already enrolled in this course.",
            )
        ]
        indexes = [models.Index(fields=["course", "role", "status"])]

    def __str__(self) -> str:
        return f"{self.user} in {self.course} ({self.role})"
