"""The courses schema. Deletion policy, one line per foreign key: docs/deletion-policy.md."""

from courses.models.course import Chapter, Course
from courses.models.discussion import DiscussionReply, DiscussionThread
from courses.models.enrollment import Enrollment
from courses.models.exam import Exam, ExamAttempt, ExamProblem
from courses.models.problem import Problem, ProblemTestCase, ReferenceSolution, Subtask
from courses.models.progress import ProblemProgress
from courses.models.submission import Submission, SubmissionTestResult

__all__ = [
    "Chapter",
    "Course",
    "DiscussionReply",
    "DiscussionThread",
    "Enrollment",
    "Exam",
    "ExamAttempt",
    "ExamProblem",
    "Problem",
    "ProblemProgress",
    "ProblemTestCase",
    "ReferenceSolution",
    "Submission",
    "SubmissionTestResult",
    "Subtask",
]
