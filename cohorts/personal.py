"""What cohorts holds about a person, described once (see onepco/personal.py): what they
download and what erasing them removes. Their words and files go; dates, attendance and scores
stay, so every figure of a cohort is the same after an erasure."""

from django.db.models.fields.files import FieldFile

from cohorts.models import (
    Assessment,
    Assignment,
    Attendance,
    Cohort,
    Course,
    CourseFAQ,
    DueReminder,
    Enrollment,
    FeedbackTemplate,
    GraduationReport,
    Lesson,
    LessonMaterial,
    Student,
    Submission,
)
from onepco.personal import PersonalData

STUDENT = PersonalData(
    Student,
    erased={"phone": "", "wechat": ""},
    kept=("id", "created_at"),
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
    internal=("student", "cohort"),
    context=("cohort__name",),
)
# A public testimonial page names the person: it goes offline and loses its words.
GRADUATION_REPORT = PersonalData(
    GraduationReport,
    erased={"closing_feedback": "", "is_published": False, "published_at": None},
    kept=("id", "created_at"),
    internal=("enrollment", "token"),
    context=("enrollment__cohort__name",),
)
DUE_REMINDER = PersonalData(DueReminder, kept=("id", "sent_at"), internal=("assignment", "student"))
DESCRIBED = (STUDENT, ENROLLMENT, ATTENDANCE, SUBMISSION, ASSESSMENT, GRADUATION_REPORT, DUE_REMINDER)
NOT_PERSONAL = (Course, CourseFAQ, Cohort, Lesson, LessonMaterial, Assignment, FeedbackTemplate)


def student_personal_data(*, student: Student) -> dict:
    return {
        "student": STUDENT.rows(Student.objects.filter(pk=student.pk))[0],
        "enrollments": ENROLLMENT.rows(Enrollment.objects.filter(student=student)),
        "attendance": ATTENDANCE.rows(Attendance.objects.filter(student=student)),
        "submissions": SUBMISSION.rows(Submission.objects.filter(student=student)),
        "assessments": ASSESSMENT.rows(Assessment.objects.filter(student=student)),
        "graduation_reports": GRADUATION_REPORT.rows(
            GraduationReport.objects.filter(enrollment__student=student)
        ),
        "due_reminders": DUE_REMINDER.rows(DueReminder.objects.filter(student=student)),
    }


def student_anonymise(*, student: Student) -> tuple[dict[str, int], list[FieldFile]]:
    STUDENT.anonymise([student])
    submissions, files = SUBMISSION.anonymise(Submission.objects.filter(student=student))
    notes, _files = ASSESSMENT.anonymise(Assessment.objects.filter(student=student).exclude(note=""))
    reports, _files = GRADUATION_REPORT.anonymise(
        GraduationReport.objects.filter(enrollment__student=student)
    )
    counts = {
        "students": 1,
        "submissions": submissions,
        "assessment_notes": notes,
        "graduation_reports": reports,
    }
    return counts, files
