"""Exam reads: a course's exams with my attempts, one attempt with what it shows, the staff's list.

Who sees what (the rules of ``courses/selectors/access.py``):

- an exam is visible with its course; reading it needs an active enrollment (``not_enrolled``);
- an attempt is its student's alone: anyone else, staff included, is told it does not exist on
  the student endpoints; the staff endpoints show every attempt of the course to its staff;
- reading an exam problem, or submitting to one, needs one's own attempt, still open, and an
  active enrollment; the attempt's results need ``results_released_at`` to have passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Max, Prefetch, Q, QuerySet

from courses.exam_time import EXPIRED, FINISHED, RUNNING, is_past, results_visible
from courses.judging.types import Verdict
from courses.models import Exam, ExamAttempt, ExamProblem, ProblemTestCase, Submission
from courses.selectors.access import course_visible, is_course_staff, require_member
from courses.selectors.feedback import FULL, submission_feedback
from courses.selectors.submissions import submissions_with_results
from courses.services.errors import (
    AttemptExpired,
    AttemptFinished,
    AttemptNotFinished,
    Forbidden,
    NotFound,
    ResultsNotReleased,
)

TWO_PLACES = Decimal("0.01")

#: A problem's state in an attempt, in the catalogue's words.
UNSOLVED, ATTEMPTED, SOLVED = "unsolved", "attempted", "solved"


# --- Exams -----------------------------------------------------------------------------------


def exams_with_my_attempts(*, user) -> QuerySet[Exam]:
    """Exams with ``problem_count`` and the user's own attempts (``my_attempts``, oldest first)."""
    mine = ExamAttempt.objects.filter(user_id=user.pk).order_by("started_at", "pk")
    return (
        Exam.objects.annotate(problem_count=Count("exam_problems"))
        .prefetch_related(Prefetch("attempts", queryset=mine, to_attr="my_attempts"))
        .order_by("opens_at", "pk")
    )


def course_exams(*, user, course_id: int) -> QuerySet[Exam]:
    """The exams of a course the user is a member of, with their own attempts."""
    return exams_with_my_attempts(user=user).filter(course_id=course_id)


def exam_for_member(*, user, exam_id: int) -> Exam:
    """An exam of a course the user is actively enrolled in, with their own attempts."""
    course_id = Exam.objects.filter(pk=exam_id).values_list("course_id", flat=True).first()
    if course_id is None:
        raise NotFound("No such exam.")
    course_visible(user=user, course_id=course_id)
    require_member(user=user, course_id=course_id)
    return exams_with_my_attempts(user=user).get(pk=exam_id)


# --- One attempt, as its student sees it ------------------------------------------------------


def attempt_for_owner(*, user, attempt_id: int) -> ExamAttempt:
    """One of the user's own attempts, with its exam; anyone else's is not found."""
    attempt = (
        ExamAttempt.objects.select_related("exam").filter(pk=attempt_id, user_id=user.pk).first()
        if user.is_authenticated
        else None
    )
    if attempt is None:
        raise NotFound("No such exam attempt.")
    return attempt


def attempt_check_open(*, attempt: ExamAttempt, now: datetime) -> None:
    """Raise unless ``attempt`` takes work at ``now``: unfinished and before its deadline.

    ``AttemptFinished`` once finished; ``AttemptExpired`` from the deadline on, with the deadline
    in the message.
    """
    if attempt.finished_at is not None:
        raise AttemptFinished("This exam attempt is finished.")
    if is_past(attempt.deadline, now):
        raise AttemptExpired(
            f"The time for this attempt ran out at {attempt.deadline.isoformat()}."
        )


def attempt_exam_problem(
    *, user, attempt_id: int, problem_id: int
) -> tuple[ExamAttempt, ExamProblem]:
    """One of the user's attempts and one problem of its exam, for an active member.

    Not found: another's attempt, or a problem that is not in the exam. ``NotEnrolled``: the
    student has since dropped or been removed from the course.
    """
    attempt = attempt_for_owner(user=user, attempt_id=attempt_id)
    exam_problem = (
        ExamProblem.objects.select_related("problem")
        .filter(exam_id=attempt.exam_id, problem_id=problem_id)
        .first()
    )
    if exam_problem is None:
        raise NotFound("No such problem in this exam.")
    require_member(user=user, course_id=attempt.exam.course_id)
    return attempt, exam_problem


def attempt_problem_for_reading(
    *, user, attempt_id: int, problem_id: int, now: datetime
) -> tuple[ExamAttempt, ExamProblem]:
    """An exam problem with its sample cases (``problem.samples``), inside one's open attempt.

    Exam problems are read only here, while the attempt runs: ``AttemptFinished`` once it is
    finished, ``AttemptExpired`` from its deadline on.
    """
    attempt, exam_problem = attempt_exam_problem(
        user=user, attempt_id=attempt_id, problem_id=problem_id
    )
    attempt_check_open(attempt=attempt, now=now)
    exam_problem.problem.samples = list(
        ProblemTestCase.objects.filter(problem_id=problem_id, is_sample=True).order_by("order")
    )
    return attempt, exam_problem


@dataclass(frozen=True)
class AttemptProblem:
    exam_problem: ExamProblem
    #: ``unsolved``, ``attempted`` or ``solved``, as far as the exam's feedback tells.
    state: str


def attempt_detail(*, attempt: ExamAttempt, now: datetime) -> ExamAttempt:
    """The attempt with ``problems`` (the exam's, in order: ``AttemptProblem``s with my state in
    each) and ``my_submissions`` (in the attempt, newest first, with per-case results).

    A problem is ``solved`` only when an accepted submission may be shown as accepted
    (``submission_feedback`` is ``full``): under ``samples`` or ``none`` feedback, a submitted
    problem stays ``attempted`` until the results are released. Four queries, however many
    problems and submissions.
    """
    exam_problems = list(
        ExamProblem.objects.select_related("problem")
        .filter(exam_id=attempt.exam_id)
        .order_by("order", "id")
    )
    submissions = _attempt_submissions(attempt)
    by_problem: dict[int, list[Submission]] = {}
    for submission in submissions:
        by_problem.setdefault(submission.problem_id, []).append(submission)
    attempt.problems = [
        AttemptProblem(row, _problem_state(by_problem.get(row.problem_id, []), now))
        for row in exam_problems
    ]
    attempt.my_submissions = submissions
    return attempt


def _attempt_submissions(attempt: ExamAttempt) -> list[Submission]:
    return list(
        submissions_with_results().filter(exam_attempt_id=attempt.pk).order_by("-created_at", "-id")
    )


def _problem_state(submissions: list[Submission], now: datetime) -> str:
    if not submissions:
        return UNSOLVED
    if any(
        s.status == Verdict.ACCEPTED and submission_feedback(submission=s, now=now) == FULL
        for s in submissions
    ):
        return SOLVED
    return ATTEMPTED


# --- Results ---------------------------------------------------------------------------------


def attempt_best_shares(*, attempt_id: int, problem_ids: list[int]) -> dict[int, Decimal]:
    """The best submission score (a share in [0, 1]) in the attempt, per problem submitted."""
    return dict(
        Submission.objects.filter(exam_attempt_id=attempt_id, problem_id__in=problem_ids)
        .order_by()
        .values("problem_id")
        .annotate(best=Max("score"))
        .values_list("problem_id", "best")
    )


def problem_points(*, share: Decimal, score: Decimal) -> Decimal:
    """What a share of an exam problem worth ``score`` earns, rounded half up to cents."""
    return (share * score).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class ExamProblemResult:
    exam_problem: ExamProblem
    #: The best submission's share of the cases, in [0, 1]; 0 when nothing was submitted.
    best_score: Decimal
    #: ``best_score`` × the exam problem's score, rounded half up to cents.
    points: Decimal


def attempt_results(*, user, attempt_id: int, now: datetime) -> ExamAttempt:
    """One's finished attempt with ``problem_results`` (``ExamProblemResult``s, in the exam's order)
    and ``my_submissions`` (every submission in the attempt, newest first, with its results).

    ``ResultsNotReleased`` before the exam's ``results_released_at`` (or when it has none);
    ``AttemptNotFinished`` for an attempt that is still running or not finished yet.
    """
    attempt = attempt_for_owner(user=user, attempt_id=attempt_id)
    exam = attempt.exam
    if not results_visible(exam, now):
        when = exam.results_released_at
        raise ResultsNotReleased(
            f"Results are released at {when.isoformat()}."
            if when is not None
            else "The results of this exam have not been released yet."
        )
    if attempt.finished_at is None:
        raise AttemptNotFinished("This attempt is not finished yet; finish it to see results.")
    exam_problems = list(
        ExamProblem.objects.select_related("problem")
        .filter(exam_id=exam.pk)
        .order_by("order", "id")
    )
    shares = attempt_best_shares(
        attempt_id=attempt.pk, problem_ids=[row.problem_id for row in exam_problems]
    )
    attempt.problem_results = []
    for row in exam_problems:
        share = shares.get(row.problem_id) or Decimal("0")
        points = problem_points(share=share, score=row.score)
        attempt.problem_results.append(ExamProblemResult(row, share, points))
    attempt.my_submissions = _attempt_submissions(attempt)
    return attempt


# --- The staff's view ------------------------------------------------------------------------


def exam_attempts_for_staff(
    *, exam: Exam, now: datetime, user_id: int | None = None, state: str | None = None
) -> QuerySet[ExamAttempt]:
    """Every attempt at the exam with its student, newest first; by student and by state.

    ``state`` is ``running``, ``expired`` (unfinished, deadline passed) or ``finished``, at ``now``.
    """
    attempts = ExamAttempt.objects.filter(exam=exam).select_related("user")
    if user_id is not None:
        attempts = attempts.filter(user_id=user_id)
    if state == FINISHED:
        attempts = attempts.filter(finished_at__isnull=False)
    elif state == RUNNING:
        attempts = attempts.filter(finished_at__isnull=True, deadline__gt=now)
    elif state == EXPIRED:
        attempts = attempts.filter(Q(finished_at__isnull=True) & Q(deadline__lte=now))
    return attempts.order_by("-started_at", "-pk")


def attempt_for_staff(*, user, attempt_id: int) -> ExamAttempt:
    """An attempt at an exam of a course the user teaches (instructor or assistant).

    Not found for anyone who may not know it exists (a non-member, another student); a student's
    own attempt is ``Forbidden`` here (a staff action).
    """
    attempt = ExamAttempt.objects.select_related("exam", "user").filter(pk=attempt_id).first()
    if attempt is None:
        raise NotFound("No such exam attempt.")
    course_id = attempt.exam.course_id
    if not is_course_staff(user, course_id):
        if attempt.user_id != user.pk:
            raise NotFound("No such exam attempt.")
        raise Forbidden("Only the course's staff may do this.")
    return attempt
