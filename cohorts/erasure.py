"""Erasing a student: their words and files go; dates, attendance and scores stay."""

from django.db.models.fields.files import FieldFile

from cohorts.models import Assessment, GraduationReport, Student, Submission


def student_anonymise(*, student: Student) -> tuple[dict[str, int], list[FieldFile]]:
    student.phone = ""
    student.wechat = ""
    student.save(update_fields=["phone", "wechat"])
    submissions = list(Submission.objects.filter(student=student))
    files: list[FieldFile] = []
    for submission in submissions:
        if submission.file:
            files.append(submission.file)
        submission.file = ""
        submission.text = ""
        submission.link = ""
        submission.file_name = ""
        submission.content_type = ""
        submission.feedback = ""
        submission.is_showcase = False
    Submission.objects.bulk_update(
        submissions,
        ["file", "text", "link", "file_name", "content_type", "feedback", "is_showcase"],
    )
    notes = Assessment.objects.filter(student=student).exclude(note="").update(note="")
    # A public testimonial page names the person: it goes offline and loses its words.
    reports = GraduationReport.objects.filter(enrollment__student=student).update(
        is_published=False, published_at=None, closing_feedback=""
    )
    counts = {
        "students": 1,
        "submissions": len(submissions),
        "assessment_notes": notes,
        "graduation_reports": reports,
    }
    return counts, files
