"""Every invariant of the schema is enforced twice, each time with a clear error.

At the database: the row is refused with ``IntegrityError`` on the ``save()`` path and on the
``bulk_create()`` path (which skips ``save()`` and any Python validation). In Python:
``full_clean()`` raises ``ValidationError`` carrying the constraint's ``violation_error_message``,
which is what the admin and the services show to people.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, models, transaction
from django.test import TestCase
from django.utils import timezone

from courses.models import (
    Course,
    Enrollment,
    Exam,
    ExamAttempt,
    ExamProblem,
    Problem,
    ProblemProgress,
    Submission,
)

# Through its module: pytest would try to collect a module-level class named ``*TestCase``.
from courses.models import problem as problem_models
from courses.tests import factories


def constraint(model: type[models.Model], name: str) -> models.BaseConstraint:
    return next(c for c in model._meta.constraints if c.name == name)


def constraint_message(model: type[models.Model], name: str) -> str:
    return constraint(model, name).violation_error_message


class ConstraintAssertionsMixin:
    def assert_db_rejects(self, build, constraint_name: str | None = None) -> None:
        """``build()`` returns an unsaved invalid instance; both write paths must refuse it.

        With ``constraint_name``, the database error must name that constraint (PostgreSQL
        and SQLite both name a violated CHECK constraint; SQLite names the columns of a
        violated UNIQUE constraint instead, so unique checks pass ``None``).
        """
        model = type(build())
        with self.assertRaises(IntegrityError) as saved, transaction.atomic():
            build().save()
        with self.assertRaises(IntegrityError) as bulk, transaction.atomic():
            model.objects.bulk_create([build()])
        if constraint_name:
            self.assertIn(constraint_name, str(saved.exception))
            self.assertIn(constraint_name, str(bulk.exception))

    def assert_clean_fails_with_constraint(self, instance, constraint_name: str) -> None:
        expected = constraint_message(type(instance), constraint_name)
        with self.assertRaises(ValidationError) as ctx:
            instance.full_clean()
        self.assertEqual(ctx.exception.message_dict, {NON_FIELD_ERRORS: [expected]})

    def assert_clean_fails_on_field(self, instance, field: str, contains: str) -> None:
        with self.assertRaises(ValidationError) as ctx:
            instance.full_clean()
        self.assertEqual(list(ctx.exception.message_dict), [field])
        self.assertIn(contains, " ".join(ctx.exception.message_dict[field]))


class EnrollmentConstraintTestCase(ConstraintAssertionsMixin, TestCase):
    def setUp(self):
        self.enrollment = factories.EnrollmentFactory()

    def duplicate(self) -> Enrollment:
        return Enrollment(
            user=self.enrollment.user, course=self.enrollment.course, role="assistant"
        )

    def test_database_refuses_a_second_enrollment_of_the_same_user_in_the_same_course(self):
        self.assert_db_rejects(self.duplicate)
        self.assertEqual(Enrollment.objects.count(), 1)

    def test_full_clean_reports_the_duplicate_enrollment_message(self):
        self.assert_clean_fails_with_constraint(
            self.duplicate(), "enrollment_one_per_user_and_course"
        )

    def test_duplicate_message_is_readable(self):
        self.assertEqual(
            constraint_message(Enrollment, "enrollment_one_per_user_and_course"),
            "This user is already enrolled in this course.",
        )

    def test_same_user_may_enroll_in_another_course(self):
        other = Enrollment(user=self.enrollment.user, course=factories.CourseFactory())
        other.full_clean()
        other.save()
        self.assertEqual(Enrollment.objects.filter(user=self.enrollment.user).count(), 2)

    def test_saving_an_existing_enrollment_again_is_not_a_duplicate(self):
        self.enrollment.status = Enrollment.Status.DROPPED
        self.enrollment.full_clean()
        self.enrollment.save()


class ExamProblemConstraintTestCase(ConstraintAssertionsMixin, TestCase):
    def setUp(self):
        self.exam_problem = factories.ExamProblemFactory()

    def test_database_refuses_the_same_problem_twice_in_an_exam(self):
        def duplicate():
            return ExamProblem(
                exam=self.exam_problem.exam, problem=self.exam_problem.problem, order=99
            )

        self.assert_db_rejects(duplicate)
        self.assertEqual(ExamProblem.objects.count(), 1)

    def test_full_clean_reports_the_duplicate_exam_problem_message(self):
        duplicate = ExamProblem(
            exam=self.exam_problem.exam, problem=self.exam_problem.problem, order=99
        )
        self.assert_clean_fails_with_constraint(duplicate, "exam_problem_once_per_exam")

    def test_database_refuses_a_negative_exam_problem_score(self):
        self.assert_db_rejects(
            lambda: ExamProblem(
                exam=self.exam_problem.exam,
                problem=factories.ProblemFactory(),
                score=Decimal("-0.01"),
            ),
            "exam_problem_score_not_negative",
        )

    def test_full_clean_reports_the_negative_exam_problem_score_message(self):
        negative = ExamProblem(
            exam=self.exam_problem.exam, problem=factories.ProblemFactory(), score=Decimal("-1")
        )
        self.assert_clean_fails_with_constraint(negative, "exam_problem_score_not_negative")

    def test_zero_score_is_allowed(self):
        free = ExamProblem(
            exam=self.exam_problem.exam, problem=factories.ProblemFactory(), score=Decimal("0")
        )
        free.full_clean()
        free.save()


class ProblemTestCaseConstraintTestCase(ConstraintAssertionsMixin, TestCase):
    def setUp(self):
        self.problem = factories.ProblemFactory()

    def test_database_refuses_a_negative_weight(self):
        # Two checks guard the column (PositiveIntegerField's own and the named constraint);
        # which one the database reports first is its choice, so the name is not asserted.
        self.assert_db_rejects(
            lambda: problem_models.ProblemTestCase(problem=self.problem, weight=-1)
        )
        self.assertFalse(problem_models.ProblemTestCase.objects.exists())

    def test_full_clean_reports_a_zero_or_negative_weight_on_the_weight_field(self):
        # The field's own minimum-value validator runs first and names the field; Django then
        # skips constraints over fields that already failed, so the message is the field's.
        for weight in (-1, 0):
            with self.subTest(weight=weight):
                case = problem_models.ProblemTestCase(problem=self.problem, weight=weight)
                self.assert_clean_fails_on_field(case, "weight", "greater than or equal to 1")

    def test_weight_constraint_reports_its_own_message(self):
        case = problem_models.ProblemTestCase(problem=self.problem, weight=-1)
        with self.assertRaises(ValidationError) as ctx:
            case.validate_constraints()
        self.assertEqual(
            ctx.exception.messages,
            [constraint_message(problem_models.ProblemTestCase, "testcase_weight_positive")],
        )

    def test_the_database_refuses_a_zero_weight(self):
        with self.assertRaises(IntegrityError), transaction.atomic():
            factories.ProblemTestCaseFactory(problem=self.problem, weight=0)

    def test_database_refuses_two_cases_with_the_same_order(self):
        factories.ProblemTestCaseFactory(problem=self.problem, order=1)
        self.assert_db_rejects(
            lambda: problem_models.ProblemTestCase(problem=self.problem, order=1)
        )
        self.assert_clean_fails_with_constraint(
            problem_models.ProblemTestCase(problem=self.problem, order=1),
            "testcase_unique_order_in_problem",
        )


class ProblemLimitsConstraintTestCase(ConstraintAssertionsMixin, TestCase):
    LIMITS = ("time_limit_ms", "memory_limit_kb", "output_limit_kb")

    def setUp(self):
        self.chapter = factories.ChapterFactory()

    def build(self, **kwargs) -> Problem:
        return factories.ProblemFactory.build(chapter=self.chapter, **kwargs)

    def test_database_refuses_a_zero_limit(self):
        for limit in self.LIMITS:
            with self.subTest(limit=limit):
                self.assert_db_rejects(
                    lambda limit=limit: self.build(**{limit: 0}), "problem_limits_positive"
                )
        self.assertFalse(Problem.objects.exists())

    def test_full_clean_reports_the_positive_limits_message_for_a_zero_limit(self):
        for limit in self.LIMITS:
            with self.subTest(limit=limit):
                self.assert_clean_fails_with_constraint(
                    self.build(**{limit: 0}), "problem_limits_positive"
                )

    def test_database_refuses_a_negative_limit(self):
        for limit in self.LIMITS:
            with self.subTest(limit=limit):
                self.assert_db_rejects(lambda limit=limit: self.build(**{limit: -1}))

    def test_full_clean_reports_a_negative_limit_on_its_field(self):
        for limit in self.LIMITS:
            with self.subTest(limit=limit):
                self.assert_clean_fails_on_field(
                    self.build(**{limit: -1}), limit, "greater than or equal to 0"
                )

    def test_database_refuses_a_negative_float_tolerance(self):
        self.assert_db_rejects(
            lambda: self.build(float_abs_tolerance=-1e-9), "problem_tolerances_not_negative"
        )
        self.assert_clean_fails_with_constraint(
            self.build(float_rel_tolerance=-1e-9), "problem_tolerances_not_negative"
        )

    def test_positive_limits_are_valid(self):
        problem = self.build(time_limit_ms=1, memory_limit_kb=1, output_limit_kb=1)
        problem.full_clean()
        problem.save()


class ProblemCleanTestCase(ConstraintAssertionsMixin, TestCase):
    def setUp(self):
        self.chapter = factories.ChapterFactory()

    def build(self, **kwargs) -> Problem:
        return factories.ProblemFactory.build(chapter=self.chapter, **kwargs)

    def test_unknown_language_is_rejected_and_named(self):
        problem = self.build(allowed_languages=["python", "brainfuck"])
        self.assert_clean_fails_on_field(problem, "allowed_languages", "brainfuck")

    def test_empty_language_list_is_rejected(self):
        problem = self.build(allowed_languages=[])
        self.assert_clean_fails_on_field(problem, "allowed_languages", "empty list")

    def test_known_languages_are_accepted(self):
        self.build(allowed_languages=["python", "c", "cpp"]).full_clean()

    def test_function_style_problem_without_entry_point_is_rejected(self):
        problem = self.build(io_mode=Problem.IoMode.FUNCTION, entry_point="")
        self.assert_clean_fails_on_field(
            problem, "entry_point", "Function-style problems need an entry point."
        )

    def test_stdio_problem_needs_no_entry_point(self):
        self.build(io_mode=Problem.IoMode.STDIO, entry_point="").full_clean()

    def test_template_override_for_unknown_language_is_rejected(self):
        problem = self.build(template_overrides={"cobol": "{code}"})
        self.assert_clean_fails_on_field(problem, "template_overrides", "cobol")


class CourseTimeZoneTestCase(ConstraintAssertionsMixin, TestCase):
    def test_invalid_iana_time_zone_is_rejected_with_the_name_and_an_example(self):
        course = factories.CourseFactory.build(time_zone="Mars/Olympus_Mons")
        self.assert_clean_fails_on_field(course, "time_zone", "'Mars/Olympus_Mons'")
        with self.assertRaises(ValidationError) as ctx:
            course.full_clean()
        self.assertIn("IANA time zone", ctx.exception.message_dict["time_zone"][0])

    def test_abbreviation_that_is_not_an_iana_name_is_rejected(self):
        course = factories.CourseFactory.build(time_zone="CEST")
        self.assert_clean_fails_on_field(course, "time_zone", "IANA")

    def test_iana_time_zone_is_accepted(self):
        for name in ("Europe/Paris", "America/Argentina/Buenos_Aires", "UTC"):
            with self.subTest(name=name):
                factories.CourseFactory.build(time_zone=name).full_clean()

    def test_default_time_zone_is_utc(self):
        self.assertEqual(Course().time_zone, "UTC")


class ExamWindowConstraintTestCase(ConstraintAssertionsMixin, TestCase):
    def setUp(self):
        self.course = factories.CourseFactory()
        self.opens_at = timezone.now()

    def build(self, closes_at, **kwargs) -> Exam:
        return Exam(
            course=self.course,
            title="Final",
            opens_at=self.opens_at,
            closes_at=closes_at,
            duration_minutes=60,
            **kwargs,
        )

    def test_database_refuses_an_exam_closing_before_it_opens(self):
        self.assert_db_rejects(
            lambda: self.build(self.opens_at - timedelta(minutes=1)), "exam_closes_after_opening"
        )

    def test_database_refuses_an_exam_closing_when_it_opens(self):
        self.assert_db_rejects(lambda: self.build(self.opens_at), "exam_closes_after_opening")
        self.assertFalse(Exam.objects.exists())

    def test_full_clean_reports_the_window_message(self):
        for closes_at in (self.opens_at - timedelta(days=1), self.opens_at):
            with self.subTest(closes_at=closes_at):
                self.assert_clean_fails_with_constraint(
                    self.build(closes_at), "exam_closes_after_opening"
                )

    def test_exam_closing_after_it_opens_is_valid(self):
        exam = self.build(self.opens_at + timedelta(seconds=1))
        exam.full_clean()
        exam.save()

    def test_database_refuses_zero_duration_or_attempts(self):
        closes_at = self.opens_at + timedelta(hours=1)
        for fields in ({"duration_minutes": 0}, {"max_attempts": 0}):
            with self.subTest(**fields):

                def build(fields=fields):
                    exam = self.build(closes_at)
                    for name, value in fields.items():
                        setattr(exam, name, value)
                    return exam

                self.assert_db_rejects(build, "exam_duration_and_attempts_positive")
                self.assert_clean_fails_with_constraint(
                    build(), "exam_duration_and_attempts_positive"
                )

    def test_passing_percentage_above_100_is_rejected(self):
        exam = self.build(self.opens_at + timedelta(hours=1), passing_percentage=Decimal("101"))
        self.assert_clean_fails_with_constraint(exam, "exam_passing_percentage_range")
        self.assert_db_rejects(
            lambda: self.build(
                self.opens_at + timedelta(hours=1), passing_percentage=Decimal("101")
            ),
            "exam_passing_percentage_range",
        )


class ExamAttemptConstraintTestCase(ConstraintAssertionsMixin, TestCase):
    def setUp(self):
        self.first = factories.ExamAttemptFactory()
        self.exam = self.first.exam
        self.user = self.first.user

    def another_attempt(self, **kwargs) -> ExamAttempt:
        started_at = timezone.now()
        return ExamAttempt(
            exam=self.exam,
            user=self.user,
            started_at=started_at,
            deadline=started_at + timedelta(minutes=60),
            **kwargs,
        )

    def test_database_refuses_a_second_unfinished_attempt(self):
        self.assert_db_rejects(self.another_attempt)
        self.assertEqual(ExamAttempt.objects.count(), 1)

    def test_full_clean_reports_the_unfinished_attempt_message(self):
        self.assert_clean_fails_with_constraint(
            self.another_attempt(), "exam_attempt_one_unfinished"
        )

    def test_second_attempt_is_allowed_once_the_first_is_finished(self):
        self.first.finished_at = timezone.now()
        self.first.save(update_fields=["finished_at"])
        second = self.another_attempt()
        second.full_clean()
        second.save()
        self.assertEqual(ExamAttempt.objects.filter(exam=self.exam, user=self.user).count(), 2)
        # ...and the rule still holds for the next one while the second is unfinished.
        self.assert_db_rejects(self.another_attempt)
        self.assert_clean_fails_with_constraint(
            self.another_attempt(), "exam_attempt_one_unfinished"
        )

    def test_finished_attempts_do_not_count_against_each_other(self):
        self.first.finished_at = timezone.now()
        self.first.save(update_fields=["finished_at"])
        finished = self.another_attempt(finished_at=timezone.now())
        finished.full_clean()
        finished.save()

    def test_another_user_may_attempt_the_same_exam(self):
        other = factories.ExamAttemptFactory(exam=self.exam)
        self.assertNotEqual(other.user, self.user)

    def test_deadline_must_be_after_start(self):
        started_at = timezone.now()
        build = lambda: ExamAttempt(  # noqa: E731
            exam=self.exam,
            user=factories.UserFactory(),
            started_at=started_at,
            deadline=started_at,
        )
        self.assert_db_rejects(build, "exam_attempt_deadline_after_start")
        self.assert_clean_fails_with_constraint(build(), "exam_attempt_deadline_after_start")


class ScoreShareConstraintTestCase(ConstraintAssertionsMixin, TestCase):
    OUTSIDE = (Decimal("-0.0001"), Decimal("1.0001"), Decimal("2"))
    INSIDE = (Decimal("0"), Decimal("0.5"), Decimal("1"))

    def setUp(self):
        self.user = factories.UserFactory()
        self.problem = factories.ProblemFactory()

    def submission(self, score) -> Submission:
        return Submission(
            user=self.user, problem=self.problem, language="python", code="x = 1", score=score
        )

    def progress(self, best_score) -> ProblemProgress:
        return ProblemProgress(user=self.user, problem=self.problem, best_score=best_score)

    def test_database_refuses_a_submission_score_outside_zero_one(self):
        for score in self.OUTSIDE:
            with self.subTest(score=score):
                self.assert_db_rejects(
                    lambda score=score: self.submission(score), "submission_score_share"
                )
        self.assertFalse(Submission.objects.exists())

    def test_full_clean_reports_the_submission_score_message(self):
        for score in self.OUTSIDE:
            with self.subTest(score=score):
                self.assert_clean_fails_with_constraint(
                    self.submission(score), "submission_score_share"
                )

    def test_submission_scores_at_and_between_the_bounds_are_valid(self):
        for score in self.INSIDE:
            with self.subTest(score=score):
                submission = self.submission(score)
                submission.full_clean()
                submission.save()
                submission.refresh_from_db()
                self.assertEqual(submission.score, score)

    def test_database_refuses_a_progress_best_score_outside_zero_one(self):
        for score in self.OUTSIDE:
            with self.subTest(score=score):
                self.assert_db_rejects(
                    lambda score=score: self.progress(score), "progress_best_score_share"
                )

    def test_full_clean_reports_the_best_score_message(self):
        for score in self.OUTSIDE:
            with self.subTest(score=score):
                self.assert_clean_fails_with_constraint(
                    self.progress(score), "progress_best_score_share"
                )

    def test_progress_best_score_of_one_is_valid(self):
        progress = self.progress(Decimal("1"))
        progress.full_clean()
        progress.save()

    def test_database_refuses_a_second_progress_row_for_the_same_user_and_problem(self):
        self.progress(Decimal("0")).save()
        self.assert_db_rejects(lambda: self.progress(Decimal("0.5")))
        self.assert_clean_fails_with_constraint(
            self.progress(Decimal("0.5")), "progress_one_per_user_and_problem"
        )

    def test_points_are_the_share_of_the_problem_points(self):
        self.problem.points = 40
        submission = self.submission(Decimal("0.25"))
        self.assertEqual(submission.points, Decimal("10"))
