from django.contrib import admin

from cohorts.models import (
    Assessment,
    Assignment,
    Attendance,
    AttendanceAlias,
    Cohort,
    Course,
    CourseFAQ,
    DueReminder,
    Enrollment,
    FeedbackTemplate,
    GraduationReport,
    Lesson,
    LessonMaterial,
    LessonReminder,
    Quiz,
    QuizAnswer,
    QuizAttempt,
    QuizChoice,
    QuizQuestion,
    RefundRiskAction,
    Student,
    Submission,
)


class CourseFAQInline(admin.TabularInline):
    model = CourseFAQ
    extra = 0


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    inlines = [CourseFAQInline]
    list_display = ["title", "slug", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["title", "slug", "tagline"]
    prepopulated_fields = {"slug": ["title"]}


@admin.register(CourseFAQ)
class CourseFAQAdmin(admin.ModelAdmin):
    list_display = ["question", "course", "position"]
    list_filter = ["course"]
    list_select_related = ["course"]


@admin.register(Cohort)
class CohortAdmin(admin.ModelAdmin):
    list_display = ["name", "course", "starts_on", "ends_on", "capacity", "price", "sale_open"]
    list_filter = ["sale_open", "course", "starts_on"]
    search_fields = ["name", "slug", "course__title"]
    list_select_related = ["course"]


@admin.register(Student)
class StudentAdmin(admin.ModelAdmin):
    list_display = ["user", "phone", "wechat", "lead", "created_at"]
    search_fields = ["user__email", "user__name", "phone", "wechat"]
    list_select_related = ["user", "lead"]
    raw_id_fields = ["user", "lead"]


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ["student", "cohort", "status", "enrolled_at", "ended_at", "graduated_at"]
    list_filter = ["status", "cohort"]
    search_fields = ["student__user__email", "student__user__name", "cohort__name"]
    list_select_related = ["student__user", "cohort__course"]
    raw_id_fields = ["student"]


class LessonMaterialInline(admin.TabularInline):
    model = LessonMaterial
    extra = 0
    fields = ["title", "url", "file_name", "file_size", "content_type", "created_at"]
    readonly_fields = ["file_name", "file_size", "content_type", "created_at"]


@admin.register(Lesson)
class LessonAdmin(admin.ModelAdmin):
    list_display = ["title", "cohort", "starts_at", "duration_minutes"]
    list_filter = ["cohort", "starts_at"]
    search_fields = ["title", "cohort__name"]
    list_select_related = ["cohort__course"]
    inlines = [LessonMaterialInline]


@admin.register(LessonMaterial)
class LessonMaterialAdmin(admin.ModelAdmin):
    list_display = ["title", "lesson", "file_name", "url", "created_at"]
    search_fields = ["title", "lesson__title"]
    list_select_related = ["lesson__cohort"]
    raw_id_fields = ["lesson"]


@admin.register(Attendance)
class AttendanceAdmin(admin.ModelAdmin):
    list_display = ["lesson", "student", "status", "recorded_at"]
    list_filter = ["status", "lesson__cohort"]
    search_fields = ["student__user__email", "student__user__name", "lesson__title"]
    list_select_related = ["lesson", "student__user"]
    raw_id_fields = ["lesson", "student"]


@admin.register(RefundRiskAction)
class RefundRiskActionAdmin(admin.ModelAdmin):
    list_display = ["enrollment", "kind", "note", "by", "created_at"]
    list_filter = ["kind"]
    list_select_related = ["enrollment__student__user", "enrollment__cohort", "by"]
    raw_id_fields = ["enrollment", "by"]


@admin.register(AttendanceAlias)
class AttendanceAliasAdmin(admin.ModelAdmin):
    list_display = ["name_key", "student", "cohort", "created_at"]
    search_fields = ["name_key", "student__user__name"]
    list_select_related = ["student__user", "cohort"]
    raw_id_fields = ["cohort", "student"]


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ["title", "cohort", "due_at", "pass_mark", "is_graduation_project", "accepts_late"]
    list_filter = ["cohort", "is_graduation_project", "accepts_late"]
    search_fields = ["title", "cohort__name"]
    list_select_related = ["cohort__course"]


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = [
        "assignment",
        "student",
        "attempt",
        "submitted_at",
        "late",
        "score",
        "passed",
        "graded_at",
        "is_showcase",
    ]
    list_filter = ["late", "passed", "is_showcase", "assignment__cohort"]
    search_fields = ["student__user__email", "student__user__name", "assignment__title"]
    list_select_related = ["assignment", "student__user"]
    raw_id_fields = ["assignment", "student", "graded_by"]


@admin.register(FeedbackTemplate)
class FeedbackTemplateAdmin(admin.ModelAdmin):
    list_display = ["title", "position", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["title", "body"]


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    list_display = ["student", "cohort", "kind", "score", "passed", "taken_at"]
    list_filter = ["kind", "passed", "cohort"]
    search_fields = ["student__user__email", "student__user__name"]
    list_select_related = ["student__user", "cohort__course"]
    raw_id_fields = ["student"]


@admin.register(GraduationReport)
class GraduationReportAdmin(admin.ModelAdmin):
    list_display = ["enrollment", "is_published", "published_at", "created_at"]
    list_filter = ["is_published"]
    search_fields = ["enrollment__student__user__email", "enrollment__student__user__name"]
    list_select_related = ["enrollment__student__user", "enrollment__cohort"]
    raw_id_fields = ["enrollment"]
    readonly_fields = ["token"]


@admin.register(DueReminder)
class DueReminderAdmin(admin.ModelAdmin):
    list_display = ["assignment", "student", "sent_at"]
    list_select_related = ["assignment", "student__user"]
    raw_id_fields = ["assignment", "student"]


@admin.register(LessonReminder)
class LessonReminderAdmin(admin.ModelAdmin):
    list_display = ["lesson", "student", "kind", "lesson_starts_at", "sent_at"]
    list_filter = ["kind"]
    list_select_related = ["lesson", "student__user"]
    raw_id_fields = ["lesson", "student"]


class QuizQuestionInline(admin.StackedInline):
    model = QuizQuestion
    extra = 0
    fields = ["position", "kind", "prompt", "points", "correct_true", "guidance"]


@admin.register(Quiz)
class QuizAdmin(admin.ModelAdmin):
    list_display = ["title", "cohort", "kind", "opens_at", "closes_at", "is_published"]
    list_filter = ["kind", "is_published"]
    list_select_related = ["cohort__course"]
    inlines = [QuizQuestionInline]


@admin.register(QuizQuestion)
class QuizQuestionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "quiz", "kind", "points", "position"]
    list_filter = ["kind"]
    list_select_related = ["quiz"]


@admin.register(QuizChoice)
class QuizChoiceAdmin(admin.ModelAdmin):
    list_display = ["text", "question", "is_correct", "position"]
    list_select_related = ["question"]


class QuizAnswerInline(admin.TabularInline):
    model = QuizAnswer
    extra = 0
    fields = ["question", "selected", "truth", "text", "points", "feedback", "graded_at"]
    readonly_fields = ["question"]


@admin.register(QuizAttempt)
class QuizAttemptAdmin(admin.ModelAdmin):
    list_display = ["quiz", "student", "number", "status", "submitted_at", "score"]
    list_filter = ["status"]
    search_fields = ["student__user__email", "student__user__name"]
    list_select_related = ["quiz", "student__user"]
    raw_id_fields = ["student"]
    inlines = [QuizAnswerInline]


@admin.register(QuizAnswer)
class QuizAnswerAdmin(admin.ModelAdmin):
    list_display = ["attempt", "question", "points", "graded_at"]
    list_select_related = ["attempt__quiz", "attempt__student__user", "question"]
    raw_id_fields = ["attempt", "question", "graded_by"]
