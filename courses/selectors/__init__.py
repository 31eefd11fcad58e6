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
    instructed_course_ids,
    is_course_instructor,
    is_course_member,
    is_course_staff,
    problem_for_staff,
    problem_for_submission,
    require_member,
    require_staff,
    staffed_course_ids,
    submission_for_owner,
)
from courses.selectors.courses import problem_course_id
from courses.selectors.discussions import (
    ThreadDeletion,
    reply_for_author,
    reply_for_deletion,
    require_thread_change,
    thread_for_deletion,
    thread_for_member,
    thread_problem_for_author,
    thread_replies,
    threads_for_member,
)
from courses.selectors.enrollments import (
    RosterEntry,
    course_roster,
    user_course_ids,
    user_course_roles,
)
from courses.selectors.feedback import submission_feedback
from courses.selectors.grading import (
    Gradebook,
    counted_points,
    course_gradebook,
    course_submissions,
    submission_for_staff,
)
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
    "Gradebook",
    "ProgressEntry",
    "ProgressSummary",
    "RosterEntry",
    "ThreadDeletion",
    "can_create_courses",
    "counted_points",
    "course_for_member",
    "course_for_staff",
    "course_gradebook",
    "course_open_for_enrollment",
    "course_progress_summary",
    "course_role",
    "course_roster",
    "course_submissions",
    "course_visible",
    "courses_visible_to",
    "instructed_course_ids",
    "is_course_instructor",
    "is_course_member",
    "is_course_staff",
    "problem_course_id",
    "problem_for_staff",
    "problem_for_submission",
    "progress_get",
    "reply_for_author",
    "reply_for_deletion",
    "require_member",
    "require_staff",
    "require_thread_change",
    "staffed_course_ids",
    "submission_feedback",
    "submission_for_owner",
    "submission_for_staff",
    "submissions_with_results",
    "thread_for_deletion",
    "thread_for_member",
    "thread_problem_for_author",
    "thread_replies",
    "threads_for_member",
    "user_course_ids",
    "user_course_roles",
]
