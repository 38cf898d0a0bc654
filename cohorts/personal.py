"""What cohorts holds about a person, described once (see onepco/personal.py): what they
download and what erasing them removes. Their words and files go; dates, attendance and scores
stay, so every figure of a cohort is the same after an erasure."""

from django.db.models.fields.files import FieldFile

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
    calendar_token_new,
)
from onepco.personal import PersonalData

STUDENT = PersonalData(
    Student,
    # A new calendar secret: the old feed address, wherever it is subscribed, stops answering.
    erased={"phone": "", "wechat": "", "calendar_token": lambda student: calendar_token_new()},
    # The referral code names nobody; kept, so leads it brought keep pointing at the same row.
    kept=("id", "created_at", "referral_code"),
    internal=("user", "lead"),
)
ENROLLMENT = PersonalData(
    Enrollment,
    kept=("id", "enrolled_at", "ended_at", "status", "graduated_at"),
    internal=("student", "cohort"),
    context=("cohort__course__title", "cohort__name"),
)
ATTENDANCE = PersonalData(
    Attendance,
    kept=("id", "status", "recorded_at"),
    internal=("lesson", "student"),
    context=("lesson__cohort__name", "lesson__title", "lesson__starts_at"),
)
# The name a meeting platform showed for the student, matched by the founder by hand.
ATTENDANCE_ALIAS = PersonalData(
    AttendanceAlias,
    erased={"name_key": lambda row: f"erased-{row.pk}"},  # unique per cohort
    kept=("id", "created_at"),
    internal=("cohort", "student"),
    context=("cohort__name",),
)
# The founder's notes on a student flagged at refund risk.
REFUND_RISK_ACTION = PersonalData(
    RefundRiskAction,
    erased={"note": ""},
    kept=("id", "kind", "created_at"),
    internal=("enrollment", "by"),
    context=("enrollment__cohort__name",),
)
SUBMISSION = PersonalData(
    Submission,
    erased={
        "text": "",
        "link": "",
        "file": "",
        "file_name": "",
        "content_type": "",
        "feedback": "",
        "is_showcase": False,
    },
    kept=(
        "id",
        "attempt",
        "file_size",
        "submitted_at",
        "late",
        "score",
        "passed",
        "graded_at",
        "feedback_emailed_at",
        "feedback_seen_at",
    ),
    internal=("assignment", "student", "graded_by"),
    context=("assignment__title",),
)
ASSESSMENT = PersonalData(
    Assessment,
    erased={"note": ""},
    kept=("id", "kind", "score", "passed", "taken_at"),
    internal=("student", "cohort", "quiz"),
    context=("cohort__name",),
)
QUIZ_ATTEMPT = PersonalData(
    QuizAttempt,
    kept=(
        "id",
        "number",
        "status",
        "started_at",
        "deadline",
        "submitted_at",
        "timed_out",
        "points",
        "max_points",
        "score",
        "finalised_at",
    ),
    internal=("quiz", "student"),
    context=("quiz__title", "quiz__cohort__name"),
)
# What a student wrote in a test goes, like their homework; the choices they ticked and the
# points stay, so every score is the same after an erasure.
QUIZ_ANSWER = PersonalData(
    QuizAnswer,
    erased={"text": "", "feedback": ""},
    kept=("id", "selected", "truth", "saved_at", "points", "graded_at"),
    internal=("attempt", "question", "graded_by"),
    context=("attempt__quiz__title", "question__prompt"),
)
# A public testimonial page names the person: it goes offline and loses its words.
GRADUATION_REPORT = PersonalData(
    GraduationReport,
    erased={
        "closing_feedback": "",
        "is_published": False,
        "published_at": None,
        "shares_work": False,
        "shares_work_at": None,
    },
    kept=("id", "created_at"),
    internal=("enrollment", "token"),
    context=("enrollment__cohort__name",),
)
DUE_REMINDER = PersonalData(DueReminder, kept=("id", "sent_at"), internal=("assignment", "student"))
LESSON_REMINDER = PersonalData(
    LessonReminder,
    kept=("id", "kind", "lesson_starts_at", "created_at", "sent_at"),
    internal=("lesson", "student"),
    context=("lesson__title",),
)
DESCRIBED = (
    STUDENT,
    ENROLLMENT,
    ATTENDANCE,
    ATTENDANCE_ALIAS,
    REFUND_RISK_ACTION,
    SUBMISSION,
    ASSESSMENT,
    QUIZ_ATTEMPT,
    QUIZ_ANSWER,
    GRADUATION_REPORT,
    DUE_REMINDER,
    LESSON_REMINDER,
)
NOT_PERSONAL = (
    Course,
    CourseFAQ,
    Cohort,
    Lesson,
    LessonMaterial,
    Assignment,
    FeedbackTemplate,
    Quiz,
    QuizQuestion,
    QuizChoice,
)


def student_personal_data(*, student: Student) -> dict:
    return {
        "student": STUDENT.rows(Student.objects.filter(pk=student.pk))[0],
        "enrollments": ENROLLMENT.rows(Enrollment.objects.filter(student=student)),
        "attendance": ATTENDANCE.rows(Attendance.objects.filter(student=student)),
        "attendance_names": ATTENDANCE_ALIAS.rows(AttendanceAlias.objects.filter(student=student)),
        "refund_risk_notes": REFUND_RISK_ACTION.rows(
            RefundRiskAction.objects.filter(enrollment__student=student)
        ),
        "submissions": SUBMISSION.rows(Submission.objects.filter(student=student)),
        "assessments": ASSESSMENT.rows(Assessment.objects.filter(student=student)),
        "test_attempts": QUIZ_ATTEMPT.rows(QuizAttempt.objects.filter(student=student)),
        "test_answers": QUIZ_ANSWER.rows(QuizAnswer.objects.filter(attempt__student=student)),
        "graduation_reports": GRADUATION_REPORT.rows(
            GraduationReport.objects.filter(enrollment__student=student)
        ),
        "due_reminders": DUE_REMINDER.rows(DueReminder.objects.filter(student=student)),
        "lesson_reminders": LESSON_REMINDER.rows(LessonReminder.objects.filter(student=student)),
    }


def student_anonymise(*, student: Student) -> tuple[dict[str, int], list[FieldFile]]:
    STUDENT.anonymise([student])
    ATTENDANCE_ALIAS.anonymise(AttendanceAlias.objects.filter(student=student))
    REFUND_RISK_ACTION.anonymise(
        RefundRiskAction.objects.filter(enrollment__student=student).exclude(note="")
    )
    submissions, files = SUBMISSION.anonymise(Submission.objects.filter(student=student))
    notes, _files = ASSESSMENT.anonymise(Assessment.objects.filter(student=student).exclude(note=""))
    answers, _files = QUIZ_ANSWER.anonymise(QuizAnswer.objects.filter(attempt__student=student))
    reports, _files = GRADUATION_REPORT.anonymise(
        GraduationReport.objects.filter(enrollment__student=student)
    )
    counts = {
        "students": 1,
        "submissions": submissions,
        "assessment_notes": notes,
        "test_answers": answers,
        "graduation_reports": reports,
    }
    return counts, files
