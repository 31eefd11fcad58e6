"""Every non-trivial read (DESIGN.md, "Layers"): querysets with their joins, and cached reads.

One module per subject; the names callers use are re-exported here, so ``selectors.<name>``
finds any of them.
"""

from courses.selectors.access import (
    can_create_courses,
    course_for_member,
    course_for_staff,
    course_open_for_enrollment,
    course_role,
    course_visible,
    courses_visible_to,
    enrollment_for_staff,
    instructed_course_ids,
    is_course_instructor,
    is_course_member,
    is_course_staff,
    own_enrollment,
    problem_for_staff,
    problem_for_submission,
    require_member,
    require_staff,
    staffed_course_ids,
    submission_for_owner,
    thread_for_member,
)
from courses.selectors.accounts import AccountSummary, account_summary
from courses.selectors.courses import problem_course_id
from courses.selectors.enrollments import (
    RosterEntry,
    course_enrollments_with_progress,
    course_roster,
    user_active_enrollments,
    user_course_ids,
    user_course_roles,
)
from courses.selectors.feedback import submission_feedback
from courses.selectors.progress import (
    NOT_STARTED,
    ProgressEntry,
    ProgressSummary,
    course_progress_summary,
    progress_get,
)
from courses.selectors.submissions import submissions_with_results

__all__ = [
    "NOT_STARTED",
    "AccountSummary",
    "ProgressEntry",
    "ProgressSummary",
    "RosterEntry",
    "account_summary",
    "can_create_courses",
    "course_enrollments_with_progress",
    "course_for_member",
    "course_for_staff",
    "course_open_for_enrollment",
    "course_progress_summary",
    "course_role",
    "course_roster",
    "course_visible",
    "courses_visible_to",
    "enrollment_for_staff",
    "instructed_course_ids",
    "is_course_instructor",
    "is_course_member",
    "is_course_staff",
    "own_enrollment",
    "problem_course_id",
    "problem_for_staff",
    "problem_for_submission",
    "progress_get",
    "require_member",
    "require_staff",
    "staffed_course_ids",
    "submission_feedback",
    "submission_for_owner",
    "submissions_with_results",
    "thread_for_member",
    "user_active_enrollments",
    "user_course_ids",
    "user_course_roles",
]
