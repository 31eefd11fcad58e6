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
    thread_for_member,
)
from courses.selectors.courses import problem_course_id
from courses.selectors.enrollments import (
    RosterEntry,
    course_roster,
    user_course_ids,
    user_course_roles,
)
from courses.selectors.exams import (
    AttemptProblem,
    ProblemResult,
    attempt_detail,
    attempt_exam_problem,
    attempt_for_owner,
    attempt_for_staff,
    attempt_problem_for_reading,
    attempt_results,
    course_exams,
    exam_attempts_for_staff,
    exam_for_member,
    exam_for_staff,
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
    "AttemptProblem",
    "ProblemResult",
    "ProgressEntry",
    "ProgressSummary",
    "RosterEntry",
    "attempt_detail",
    "attempt_exam_problem",
    "attempt_for_owner",
    "attempt_for_staff",
    "attempt_problem_for_reading",
    "attempt_results",
    "can_create_courses",
    "course_exams",
    "course_for_member",
    "course_for_staff",
    "course_open_for_enrollment",
    "course_progress_summary",
    "course_role",
    "course_roster",
    "course_visible",
    "courses_visible_to",
    "exam_attempts_for_staff",
    "exam_for_member",
    "exam_for_staff",
    "instructed_course_ids",
    "is_course_instructor",
    "is_course_member",
    "is_course_staff",
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
    "user_course_ids",
    "user_course_roles",
]
