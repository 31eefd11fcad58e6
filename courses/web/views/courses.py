"""The home page (my courses, the catalogue) and a course's page; enrolling and dropping."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from courses import selectors
from courses.exam_time import exam_state
from courses.services.enrollments import enrollment_drop, enrollment_enroll_self
from courses.services.errors import ServiceError


def home(request):
    """My courses with my progress in each, then the published courses I could join."""
    mine = []
    if request.user.is_authenticated:
        enrollments = list(selectors.member_enrollments(user=request.user))
        mine = selectors.member_courses_progress(user=request.user, enrollments=enrollments)
    my_ids = {member.enrollment.course_id for member in mine}
    catalogue = [c for c in selectors.course_catalogue(user=request.user) if c.pk not in my_ids]
    return render(request, "web/home.html", {"mine": mine, "catalogue": catalogue})


def course(request, course_id: int):
    """Chapters and problems with my state on each, progress bars, and the course's exams.

    Visible to anyone for a published course (the outline, without states); members see their
    state per problem and the exams; the course's staff see drafts too.
    """
    # Before the outline: on a cold cache it loads the roles the outline's checks read too.
    member_exams = selectors.member_exam_list(user=request.user, course_id=course_id)
    detail = selectors.course_detail(user=request.user, course_id=course_id)
    is_member = member_exams is not None
    progress = exams = None
    if is_member:
        progress = selectors.course_progress(user_id=request.user.pk, course=detail.course)
        now = timezone.now()
        exams = [
            (exam, exam_state(opens_at=exam.opens_at, closes_at=exam.closes_at, now=now))
            for exam in member_exams
        ]
    chapter_totals = {row.chapter.pk: row.totals for row in progress.chapters} if progress else {}
    return render(
        request,
        "web/courses/course.html",
        {
            "detail": detail,
            "course": detail.course,
            "is_member": is_member,
            "progress": progress,
            "chapters": [(c, chapter_totals.get(c.pk)) for c in detail.chapters],
            "exams": exams,
        },
    )


@login_required
@require_POST
def course_enroll(request, course_id: int):
    course = selectors.course_open_for_enrollment(course_id=course_id)
    try:
        _, created = enrollment_enroll_self(user=request.user, course=course)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"You are enrolled in {course.title}." if created else "Welcome back!"
        )
    return redirect("web:course", course_id=course.pk)


@login_required
@require_POST
def course_drop(request, course_id: int):
    course = selectors.course_visible(user=request.user, course_id=course_id)
    try:
        enrollment_drop(user=request.user, course=course)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"You left {course.title}. Your work is kept if you return.")
    return redirect("web:home")
