from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save


class CoursesConfig(AppConfig):
    name = "courses"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Connect ``courses.signals``; with dispatch_uid, a second call connects nothing twice."""
        from courses import models, signals

        for signal, name, receiver, sender in (
            (post_save, "save", signals.reply_saved, models.DiscussionReply),
            (post_delete, "delete", signals.reply_deleted, models.DiscussionReply),
            (post_save, "save", signals.progress_saved, models.ProblemProgress),
            (pre_save, "pre-save", signals.exam_problem_will_change, models.ExamProblem),
            (pre_delete, "pre-delete", signals.exam_problem_will_change, models.ExamProblem),
            (post_save, "save", signals.exam_problem_saved, models.ExamProblem),
            (post_delete, "delete", signals.exam_problem_deleted, models.ExamProblem),
            (post_save, "save", signals.enrollment_changed, models.Enrollment),
            (post_save, "save", signals.course_saved, models.Course),
            (post_delete, "delete", signals.course_deleted, models.Course),
            (post_save, "save", signals.exam_changed, models.Exam),
            (post_delete, "delete", signals.exam_changed, models.Exam),
            (pre_save, "pre-save", signals.course_content_will_change, models.Chapter),
            (post_save, "save", signals.course_content_changed, models.Chapter),
            (post_delete, "delete", signals.course_content_deleted, models.Chapter),
            (pre_save, "pre-save", signals.course_content_will_change, models.Problem),
            (post_save, "save", signals.course_content_changed, models.Problem),
            (post_delete, "delete", signals.course_content_deleted, models.Problem),
            (post_delete, "delete", signals.enrollment_changed, models.Enrollment),
        ):
            uid = f"courses.signals.{receiver.__name__}.{name}"
            signal.connect(receiver, sender=sender, dispatch_uid=uid)
