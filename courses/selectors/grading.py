"""What a course's staff read to grade: its submissions (hidden-case data included) and the
gradebook.

These are the only reads, with the staff pages, that return what a program printed on hidden
cases (DESIGN.md, Judging); every one of them is reached through a staff check.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.db.models import Max, Prefetch, QuerySet

from courses.judging.types import Verdict
from courses.models import (
    Course,
    Enrollment,
    Exam,
    ExamAttempt,
    Problem,
    Submission,
    SubmissionTestResult,
)
from courses.selectors.access import is_course_staff
from courses.selectors.exams import problem_points
from courses.selectors.submissions import exam_worth_of, with_exam_worth
from courses.services.errors import Forbidden, NotFound
from courses.services.late_policy import effective_score
from courses.services.progress import COUNTED_VERDICTS
from courses.services.value_sets import value_set

CENTS = Decimal("0.01")
ZERO = Decimal("0")


# --- Submissions -----------------------------------------------------------------------------


def submission_for_staff(*, user, submission_id: int) -> Submission:
    """A submission of a course the user teaches, with every case's result and its test case.

    Not found for anyone who may not know it exists (other students, non-members, staff of other
    courses); its own author, who knows it exists, is told the action is for the staff.
    """
    submission = (
        with_exam_worth(Submission.objects)
        .select_related("user", "problem__chapter__course", "exam_attempt")
        .prefetch_related(
            Prefetch(
                "test_results",
                queryset=SubmissionTestResult.objects.select_related(
                    "test_case", "subtask"
                ).order_by("order"),
            )
        )
        .filter(pk=submission_id)
        .first()
    )
    if submission is None:
        raise NotFound("No such submission.")
    if is_course_staff(user, submission.problem.chapter.course_id):
        return submission
    if user.is_authenticated and submission.user_id == user.pk:
        raise Forbidden("Only the course's staff may do this.")
    raise NotFound("No such submission.")


def course_submissions(
    *,
    course: Course,
    student: str | None = None,
    problem: int | None = None,
    status: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    late: bool | None = None,
    exam: int | None = None,
    in_exam: bool | None = None,
) -> QuerySet[Submission]:
    """Every submission of the course (practice and exam), newest first, filtered.

    ``student`` is a username; ``problem`` and ``exam`` are ids (one of another course matches
    nothing); ``since`` is inclusive and ``until`` exclusive, on ``created_at``; ``late`` and
    ``in_exam`` keep only late (or on-time), exam (or practice) submissions. Rows carry their user
    and problem; the code and outputs, which lists do not show, are not loaded.
    """
    rows = Submission.objects.filter(problem__chapter__course=course)
    if student is not None:
        rows = rows.filter(user__username=student)
    if problem is not None:
        rows = rows.filter(problem_id=problem)
    if status is not None:
        rows = rows.filter(status=status)
    if since is not None:
        rows = rows.filter(created_at__gte=since)
    if until is not None:
        rows = rows.filter(created_at__lt=until)
    if late is not None:
        rows = rows.filter(is_late=late)
    if exam is not None:
        rows = rows.filter(exam_attempt__exam_id=exam)
    if in_exam is not None:
        rows = rows.filter(exam_attempt__isnull=not in_exam)
    return (
        with_exam_worth(rows)
        .select_related("user", "problem")
        .defer("code", "compile_output", "error_text")
        .order_by("-created_at", "-id")
    )


@dataclass(frozen=True)
class RejudgeProgress:
    """How far judging has come on a set of rejudged submissions."""

    total: int
    waiting: int  # still pending or judging

    @property
    def judged(self) -> int:
        return self.total - self.waiting

    @property
    def done(self) -> bool:
        return self.waiting == 0


def rejudge_progress(*, submission_ids: Sequence[int]) -> RejudgeProgress:
    """How many of ``submission_ids`` (what ``rejudge`` returned) are still pending or judging.

    One query whatever the number of ids (they travel as one bind parameter, ``value_set``).
    A final verdict, ``internal_error`` included, counts as judged.
    """
    if not submission_ids:
        return RejudgeProgress(0, 0)
    waiting = Submission.objects.filter(
        pk__in=value_set(list(submission_ids), kind="bigint"),
        status__in=(Verdict.PENDING, Verdict.JUDGING),
    ).count()
    return RejudgeProgress(len(submission_ids), waiting)


def course_problem_choices(*, course_id: int) -> list[tuple[str, list[tuple[int, str]]]]:
    """Every problem of the course (drafts, exam-only and archived ones too: any may have
    submissions) as ``[(chapter title, [(problem id, title), ...]), ...]`` in course order, for
    a staff filter; one query of ids and titles."""
    rows = (
        Problem.objects.filter(chapter__course_id=course_id)
        .order_by("chapter__order", "chapter_id", "order", "id")
        .values_list("chapter_id", "chapter__title", "pk", "title")
    )
    groups: dict[int, tuple[str, list[tuple[int, str]]]] = {}
    for chapter_id, chapter_title, problem_id, title in rows:
        groups.setdefault(chapter_id, (chapter_title, []))[1].append((problem_id, title))
    return list(groups.values())


def points_out_of(submission: Submission) -> Decimal | int:
    """What a submission's points are out of: the problem's worth in the exam for exam work,
    else the problem's points."""
    worth = exam_worth_of(submission)
    return submission.problem.points if worth is None else worth


def counted_points(*, submission: Submission, course: Course) -> Decimal:
    """The points a submission counts for: under the course's late policy (4 places), or for
    exam work the exam's points (its deadline is the attempt's, never late)."""
    worth = exam_worth_of(submission)
    if worth is not None:
        return problem_points(share=submission.score, score=worth)
    share = effective_score(
        score=submission.score,
        policy=course.late_policy,
        percent_per_day=course.late_penalty_percent_per_day,
        days=submission.late_days,
    )
    return share * submission.problem.points


# --- Gradebook -------------------------------------------------------------------------------


@dataclass(frozen=True)
class GradebookProblem:
    id: int
    title: str
    points: int
    due_at: datetime | None


@dataclass(frozen=True)
class GradebookExam:
    id: int
    title: str
    total_score: Decimal
    passing_score: Decimal


@dataclass(frozen=True)
class ProblemGrade:
    """``points`` is ``None`` when the student has no judged practice submission."""

    problem: int
    points: Decimal | None
    late: bool


@dataclass(frozen=True)
class ExamGrade:
    """The best finished attempt; ``None`` for both when there is none."""

    exam: int
    score: Decimal | None
    passed: bool | None


@dataclass(frozen=True)
class GradebookRow:
    user_id: int
    username: str
    email: str
    problems: tuple[ProblemGrade, ...]
    exams: tuple[ExamGrade, ...]
    problem_points: Decimal
    exam_points: Decimal
    total: Decimal


@dataclass(frozen=True)
class _Candidate:
    """The best score of a student's submissions made the same number of days late."""

    score: Decimal
    is_late: bool
    late_days: int


class Gradebook:
    """A course's grades: one row per active student, by username.

    Columns: the visible, practice problems (not exam-only, not archived) in course order, then
    the exams by opening time. A problem's points are the best *effective* score of the
    student's judged practice submissions (the course's late policy, ``late_policy.py``) × its
    points, rounded half up to cents; it is marked late when the submission that gives them was
    late (on a tie, an on-time one wins). Exam submissions count for their exam only: the best
    finished attempt's score and pass. ``rows`` is a sequence for the paginator: its length and
    each slice cost a fixed number of queries, whatever the number of students and problems.
    """

    def __init__(self, course: Course) -> None:
        self.course = course
        self.problems = tuple(
            GradebookProblem(p.pk, p.title, p.points, p.effective_due_at)
            for p in Problem.objects.filter(
                chapter__course=course, is_visible=True, is_exam_only=False, is_archived=False
            )
            .select_related("chapter")
            .order_by("chapter__order", "order", "id")
        )
        self.exams = tuple(
            GradebookExam(e.pk, e.title, e.total_score, e.passing_score)
            for e in Exam.objects.filter(course=course).order_by("opens_at", "id")
        )
        self.students = (
            get_user_model()
            .objects.filter(
                enrollments__course=course,
                enrollments__role=Enrollment.Role.STUDENT,
                enrollments__status=Enrollment.Status.ACTIVE,
            )
            .order_by("username", "id")
        )
        self.rows = _GradebookRows(self)

    def all_rows(self) -> list[GradebookRow]:
        """Every student's row, in three queries (the students select themselves in SQL)."""
        return self.rows_for(list(self.students), self.students.values("pk"))

    def rows_for(self, users: Sequence, user_ids: Iterable[int] | QuerySet) -> list[GradebookRow]:
        best = self._best_submissions(user_ids)
        attempts = self._best_attempts(user_ids)
        return [self._row(user, best, attempts) for user in users]

    def _best_submissions(self, user_ids) -> dict[tuple[int, int], list[_Candidate]]:
        """Per (student, problem), the best score for each number of days late: the late
        policy's multiplier depends on those days only, so the best effective score is among
        them (a handful of rows per student and problem, however many submissions)."""
        groups = (
            Submission.objects.filter(
                user_id__in=user_ids,
                problem__chapter__course=self.course,
                exam_attempt__isnull=True,
                status__in=COUNTED_VERDICTS,
            )
            .order_by()
            .values_list("user_id", "problem_id", "is_late", "late_days")
            .annotate(best=Max("score"))
        )
        candidates: dict[tuple[int, int], list[_Candidate]] = {}
        for user_id, problem_id, is_late, days, score in groups:
            candidates.setdefault((user_id, problem_id), []).append(
                _Candidate(score, is_late, days)
            )
        return candidates

    def _best_attempts(self, user_ids) -> dict[tuple[int, int], tuple[Decimal, bool | None]]:
        attempts = ExamAttempt.objects.filter(
            exam__course=self.course, user_id__in=user_ids, finished_at__isnull=False
        ).values_list("user_id", "exam_id", "score", "passed")
        best: dict[tuple[int, int], tuple[Decimal, bool | None]] = {}
        for user_id, exam_id, score, passed in attempts:
            key = (user_id, exam_id)
            if key not in best or (score, bool(passed)) > (best[key][0], bool(best[key][1])):
                best[key] = (score, passed)
        return best

    def _row(self, user, best, attempts) -> GradebookRow:
        problems = tuple(
            self._problem_grade(problem, best.get((user.pk, problem.id)))
            for problem in self.problems
        )
        exams = tuple(
            ExamGrade(exam.id, *attempts.get((user.pk, exam.id), (None, None)))
            for exam in self.exams
        )
        problem_points = sum((g.points for g in problems if g.points is not None), ZERO)
        exam_points = sum((g.score for g in exams if g.score is not None), ZERO)
        return GradebookRow(
            user_id=user.pk,
            username=user.get_username(),
            email=user.email,
            problems=problems,
            exams=exams,
            problem_points=problem_points.quantize(CENTS),
            exam_points=exam_points.quantize(CENTS),
            total=(problem_points + exam_points).quantize(CENTS),
        )

    def _problem_grade(self, problem: GradebookProblem, candidates) -> ProblemGrade:
        if not candidates:
            return ProblemGrade(problem.id, None, False)
        course = self.course

        def counted(candidate: _Candidate) -> Decimal:
            return effective_score(
                score=candidate.score,
                policy=course.late_policy,
                percent_per_day=course.late_penalty_percent_per_day,
                days=candidate.late_days,
            )

        # Highest effective score first; on a tie the on-time (then least late) one counts.
        chosen = max(candidates, key=lambda c: (counted(c), not c.is_late, -c.late_days))
        points = (counted(chosen) * problem.points).quantize(CENTS, rounding=ROUND_HALF_UP)
        return ProblemGrade(problem.id, points, chosen.is_late)


class _GradebookRows:
    """The gradebook's rows for Django's paginator: a count, and one slice (a page) at a time."""

    def __init__(self, gradebook: Gradebook) -> None:
        self.gradebook = gradebook

    def count(self) -> int:
        return self.gradebook.students.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if not isinstance(index, slice):
            raise TypeError("gradebook rows are read by slices")
        users = list(self.gradebook.students[index])
        return self.gradebook.rows_for(users, [user.pk for user in users])


def course_gradebook(*, course: Course) -> Gradebook:
    return Gradebook(course)
