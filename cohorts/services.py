"""Writes of the delivery loop. Other apps enroll and end enrollments only through here."""

from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Max, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from cohorts import jobs
from cohorts.files import file_check
from cohorts.formatting import score_text
from cohorts.models import (
    Assessment,
    Assignment,
    Attendance,
    AttendanceAlias,
    Cohort,
    Course,
    DueReminder,
    Enrollment,
    FeedbackTemplate,
    GraduationReport,
    Lesson,
    LessonMaterial,
    LessonReminder,
    RefundRiskAction,
    Student,
    Submission,
    calendar_token_new,
)
from onepco.models import Delivery, MessageKind
from onepco.notify import Message, notify
from onepco.outbox import outbox_enqueue


@transaction.atomic
def student_get_or_create(
    *, user: User, lead=None, phone: str = "", wechat: str = ""
) -> tuple[Student, bool]:
    """The learner profile of a user, created on first enrollment; fills what it lacks."""
    student, created = Student.objects.select_for_update().get_or_create(
        user=user, defaults={"lead": lead, "phone": phone, "wechat": wechat}
    )
    if not created:
        changed = []
        for field, value in (("lead", lead), ("phone", phone), ("wechat", wechat)):
            if value and not getattr(student, field):
                setattr(student, field, value)
                changed.append(field)
        if changed:
            student.save(update_fields=changed)
    return student, created


@transaction.atomic
def enrollment_create(
    *, student: Student, cohort: Cohort, enrolled_at: datetime | None = None
) -> tuple[Enrollment, bool]:
    """Put a student in a cohort. Idempotent: an existing enrollment is returned unchanged,
    except that one which had ended (dropped / refunded) becomes active again."""
    enrollment, created = Enrollment.objects.select_for_update().get_or_create(
        student=student, cohort=cohort, defaults={"enrolled_at": enrolled_at or timezone.now()}
    )
    if not created and enrollment.status in (Enrollment.Status.DROPPED, Enrollment.Status.REFUNDED):
        enrollment.status = Enrollment.Status.ACTIVE
        enrollment.enrolled_at = enrolled_at or timezone.now()
        enrollment.ended_at = None
        enrollment.save(update_fields=["status", "enrolled_at", "ended_at"])
    return enrollment, created


@transaction.atomic
def enrollment_end(*, enrollment: Enrollment, status: str, ended_at: datetime | None = None) -> Enrollment:
    """End an enrollment as dropped or refunded (it stops counting from ended_at on)."""
    if status not in (Enrollment.Status.DROPPED, Enrollment.Status.REFUNDED):
        raise ValueError(f"an enrollment ends as dropped or refunded, not {status!r}")
    enrollment = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    enrollment.status = status
    enrollment.ended_at = max(ended_at or timezone.now(), enrollment.enrolled_at)
    enrollment.save(update_fields=["status", "ended_at"])
    return enrollment


@transaction.atomic
def cohort_capacity_raise(*, cohort: Cohort, by: int = 1) -> Cohort:
    """More seats in a cohort (billing: a buyer who paid after the last seat was sold)."""
    cohort = Cohort.objects.select_for_update().get(pk=cohort.pk)
    cohort.capacity += by
    cohort.save(update_fields=["capacity"])
    return cohort


# --- courses and cohorts ----------------------------------------------------------------------


@transaction.atomic
def course_save(*, course: Course, faqs=None) -> Course:
    """Create or change a course from the console's editor, with its FAQ (a validated inline
    formset: its deleted rows go, its filled ones are saved in the founder's order)."""
    course.full_clean()
    course.save()
    if faqs is not None:
        faqs.instance = course
        faqs.save()
    return course


def _cohort_slug(course: Course) -> str:
    taken = set(Cohort.objects.filter(slug__startswith=f"{course.slug}-").values_list("slug", flat=True))
    number = Cohort.objects.filter(course=course).count() + 1
    while f"{course.slug}-{number}" in taken:
        number += 1
    return f"{course.slug}-{number}"


@transaction.atomic
def cohort_save(*, cohort: Cohort) -> Cohort:
    """Create or change a cohort from the console's form; a blank slug is made from the
    course's (ai-coding-3)."""
    if not cohort.slug:
        cohort.slug = _cohort_slug(cohort.course)
    cohort.full_clean()
    cohort.save()
    return cohort


# --- lessons and attendance ------------------------------------------------------------------


def lesson_save(*, lesson: Lesson) -> Lesson:
    """Schedule a lesson or change it (a validated model instance from the console form)."""
    lesson.full_clean()
    lesson.save()
    return lesson


def lesson_material_add(
    *, lesson: Lesson, title: str = "", url: str = "", file: UploadedFile | None = None
) -> LessonMaterial:
    """Add a file or a link to a lesson (slides, code, reading), usually after the class.

    A file goes through the same content check as homework (FileTooLarge / FileRejected before
    anything is written); exactly one of a link and a file, else ValidationError."""
    title, url = (title or "").strip(), (url or "").strip()
    if bool(url) == bool(file):
        raise ValidationError({"url": [_("Give either a link or a file.")]})
    material = LessonMaterial(lesson=lesson, url=url)
    if file:
        checked = file_check(file)
        material.file = file
        material.file_name = checked.name
        material.file_size = checked.size
        material.content_type = checked.content_type
    material.title = (title or material.file_name or url)[:200]
    material.full_clean(exclude=["file", "lesson"])
    material.save()
    return material


def lesson_material_remove(*, material: LessonMaterial) -> None:
    """Take a material off its lesson; its file is deleted once the removal is committed."""
    file = material.file
    material.delete()
    if file:
        storage, name = file.storage, file.name
        transaction.on_commit(lambda: storage.delete(name))


@transaction.atomic
def attendance_record(*, lesson: Lesson, statuses: dict[int, str]) -> int:
    """Save the attendance of a whole lesson in one go: {student_id: full|partial|absent}.

    Only students expected at the lesson may be marked; re-saving overwrites. Returns the count.
    """
    expected = set(expected_student_ids(lesson))
    unknown = set(statuses) - expected
    if unknown:
        raise ValidationError(
            _("These students are not in this lesson's cohort: %(ids)s.") % {"ids": sorted(unknown)}
        )
    valid = set(Attendance.Status.values)
    bad = {sid: status for sid, status in statuses.items() if status not in valid}
    if bad:
        raise ValidationError(_("Unknown attendance status."))
    now = timezone.now()
    rows = [
        Attendance(lesson=lesson, student_id=sid, status=status, recorded_at=now)
        for sid, status in statuses.items()
    ]
    Attendance.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["lesson", "student"],
        update_fields=["status", "recorded_at"],
    )
    return len(rows)


def attendance_import_save(
    *, lesson: Lesson, statuses: dict[int, str], aliases: dict[str, int], full: int, partial: int
) -> int:
    """Save what a meeting export's preview showed: the statuses that differ from the recorded
    ones (a second import of the same file changes nothing), the founder's manual matches
    remembered for the cohort's next lessons, and the thresholds used. Returns how many changed."""
    if not 0 <= partial <= full <= 100:
        raise ValidationError(_("The partial threshold must be between 0 and the full one, at most 100."))
    recorded = dict(Attendance.objects.filter(lesson=lesson).values_list("student_id", "status"))
    changed = {sid: status for sid, status in statuses.items() if recorded.get(sid) != status}
    with transaction.atomic():
        if changed:
            attendance_record(lesson=lesson, statuses=changed)
        for key, student_id in aliases.items():
            AttendanceAlias.objects.update_or_create(
                cohort_id=lesson.cohort_id, name_key=key, defaults={"student_id": student_id}
            )
        Cohort.objects.filter(pk=lesson.cohort_id).update(
            attendance_full_percent=full, attendance_partial_percent=partial
        )
    return len(changed)


def expected_student_ids(lesson: Lesson) -> list[int]:
    """Students whose enrollment in the cohort is active at the lesson's start (docs/metrics.md, number 7)."""
    return list(
        Enrollment.objects.filter(cohort_id=lesson.cohort_id, enrolled_at__lte=lesson.starts_at)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=lesson.starts_at))
        .values_list("student_id", flat=True)
    )


# --- assignments and submissions ---------------------------------------------------------------


class NotEnrolled(Exception):
    """The student has no active enrollment in the assignment's cohort (the API's 403).

    `status` is their enrollment's status when they have one (dropped, refunded, graduated), so
    that they are told why; None for a stranger, who learns nothing more."""

    def __init__(self, status: str | None = None):
        super().__init__(status)
        self.status = status

    @property
    def message(self) -> str:
        return submission_refusal(self.status)


def submission_refusal(status: str | None) -> str:
    """Why a student whose enrollment has this status cannot hand in work; "" when they can."""
    if status == Enrollment.Status.ACTIVE:
        return ""
    if status == Enrollment.Status.REFUNDED:
        return _("This cohort was refunded, so you can no longer hand in work.")
    if status == Enrollment.Status.DROPPED:
        return _("You have left this cohort, so you can no longer hand in work.")
    if status == Enrollment.Status.GRADUATED:
        return _("You have graduated from this cohort; handing in is closed.")
    return _("You are not enrolled in this assignment's cohort.")


def enrollment_status(*, student: Student, cohort_id: int) -> str | None:
    return (
        Enrollment.objects.filter(student=student, cohort_id=cohort_id)
        .values_list("status", flat=True)
        .first()
    )


def assignment_save(*, assignment: Assignment) -> Assignment:
    assignment.full_clean()
    assignment.save()
    return assignment


def submission_submit(
    *,
    student: Student,
    assignment: Assignment,
    text: str = "",
    link: str = "",
    file: UploadedFile | None = None,
    now: datetime | None = None,
) -> Submission:
    """Hand in homework: a new attempt (1, 2, 3 …), earlier ones kept. The HTML form and the API
    both come here.

    Raises NotEnrolled (403), FileTooLarge (413) or ValidationError with field messages (400).
    """
    now = now or timezone.now()
    text, link = (text or "").strip(), (link or "").strip()
    status = enrollment_status(student=student, cohort_id=assignment.cohort_id)
    if status != Enrollment.Status.ACTIVE:
        raise NotEnrolled(status)  # before judging the work: a stranger learns nothing else
    if not (text or link or file):
        raise ValidationError({"text": [_("Write something, add a link or attach a file.")]})
    checked = file_check(file) if file else None  # FileTooLarge / FileRejected before any write
    late = now > assignment.due_at
    if late and not assignment.accepts_late:
        raise ValidationError(
            {"assignment": [_("The due time has passed and this assignment does not accept late work.")]}
        )
    with transaction.atomic():
        # The enrollment row is the lock that keeps attempt numbers gap-free and unique.
        enrollment = (
            Enrollment.objects.select_for_update()
            .filter(student=student, cohort_id=assignment.cohort_id)
            .first()
        )
        if enrollment is None or enrollment.status != Enrollment.Status.ACTIVE:
            raise NotEnrolled(enrollment.status if enrollment else None)  # ended meanwhile
        last = (
            Submission.objects.filter(student=student, assignment=assignment).aggregate(n=Max("attempt"))["n"]
            or 0
        )
        submission = Submission(
            assignment=assignment, student=student, attempt=last + 1, text=text, link=link,
            submitted_at=now, late=late,
        )  # fmt: skip
        if checked:
            submission.file = file
            submission.file_name = checked.name
            submission.file_size = checked.size
            submission.content_type = checked.content_type
        # The field checks only: assignment and student are rows already loaded and checked,
        # and the attempt number is unique under the enrollment lock (with the database's
        # constraint behind it); their validation would cost four more queries per upload.
        submission.full_clean(
            exclude=["file", "assignment", "student"], validate_unique=False, validate_constraints=False
        )
        submission.save()
    return submission


def feedback_mark_seen(*, student: Student, assignment: Assignment, now: datetime | None = None) -> int:
    """The student opened the assignment: its feedback is no longer new (until graded again)."""
    return (
        Submission.objects.filter(student=student, assignment=assignment, graded_at__isnull=False)
        .filter(Q(feedback_seen_at__isnull=True) | Q(feedback_seen_at__lt=F("graded_at")))
        .update(feedback_seen_at=now or timezone.now())
    )


@transaction.atomic
def submission_grade(
    *,
    submission: Submission,
    score: Decimal,
    feedback: str,
    graded_by: User,
    passed: bool | None = None,
    is_showcase: bool | None = None,
) -> Submission:
    """Score an attempt, say whether it meets the standard, and e-mail the student after commit.

    `passed` defaults to score ≥ the assignment's pass mark. Grading again replaces the verdict
    and sends the new feedback.
    """
    submission = Submission.objects.select_for_update().select_related("assignment").get(pk=submission.pk)
    submission.score = score
    submission.passed = passed if passed is not None else score >= submission.assignment.pass_mark
    submission.feedback = feedback.strip()
    submission.graded_at = timezone.now()
    submission.graded_by = graded_by
    if is_showcase is not None:
        submission.is_showcase = is_showcase
    submission.full_clean(exclude=["file"])
    submission.save()
    outbox_enqueue(jobs.send_feedback_email, submission.pk)
    return submission


@transaction.atomic
def submission_feedback_email(*, submission: Submission) -> bool:
    """Send the 'feedback is ready' e-mail once per grading. False when nothing was due."""
    submission = (
        Submission.objects.select_for_update()
        .select_related("assignment", "student__user")
        .get(pk=submission.pk)
    )
    if submission.graded_at is None:
        return False
    if submission.feedback_emailed_at and submission.feedback_emailed_at >= submission.graded_at:
        return False
    user = submission.student.user
    link = settings.SITE_URL + reverse("cohorts:learn_assignment", args=[submission.assignment_id])
    with translation.override(settings.LANGUAGE_CODE):
        verdict = _("passed") if submission.passed else _("not passed yet")
        message = Message(
            subject=_("Your homework “%(title)s” has been graded") % {"title": submission.assignment.title},
            body=_("Hello %(name)s,\n\nYour attempt %(attempt)s at “%(title)s” is graded: %(score)s, %(verdict)s.\n\n"
                   "Read the feedback here:\n%(link)s\n")
            % {
                "name": user.name or user.email,
                "attempt": submission.attempt,
                "title": submission.assignment.title,
                "score": score_text(submission.score),
                "verdict": verdict,
                "link": link,
            },
            url=link,
            wechat=[
                submission.assignment.title,
                f"{score_text(submission.score)} · {verdict}",
                f"{timezone.localtime(submission.graded_at):%Y-%m-%d %H:%M}",
            ],
        )  # fmt: skip
    notify(
        kind=MessageKind.FEEDBACK,
        key=f"feedback:{submission.pk}:{submission.graded_at.isoformat()}",
        user=user,
        message=message,
    )
    submission.feedback_emailed_at = timezone.now()
    submission.save(update_fields=["feedback_emailed_at"])
    return True


def submission_showcase_set(*, submission: Submission, is_showcase: bool) -> Submission:
    Submission.objects.filter(pk=submission.pk).update(is_showcase=is_showcase)
    submission.is_showcase = is_showcase
    return submission


def due_reminders_send(*, now: datetime | None = None) -> int:
    """E-mail active students who have not submitted, once, within 24 hours before a due time.

    Safe to run twice or hourly: a DueReminder row records each e-mail sent.
    """
    now = now or timezone.now()
    sent = 0
    assignments = Assignment.objects.filter(
        due_at__gt=now, due_at__lte=now + timedelta(hours=24)
    ).select_related("cohort")
    for assignment in assignments:
        pending = (
            Enrollment.objects.filter(cohort_id=assignment.cohort_id, status=Enrollment.Status.ACTIVE)
            .exclude(student__submissions__assignment=assignment)
            .exclude(student__due_reminders__assignment=assignment)
            .select_related("student__user")
        )
        for enrollment in pending:
            sent += _due_reminder_send(assignment=assignment, student=enrollment.student)
    return sent


@transaction.atomic
def _due_reminder_send(*, assignment: Assignment, student: Student) -> int:
    reminder, created = DueReminder.objects.get_or_create(assignment=assignment, student=student)
    if not created:
        return 0
    user = student.user
    link = settings.SITE_URL + reverse("cohorts:learn_assignment", args=[assignment.pk])
    due = timezone.localtime(assignment.due_at)
    with translation.override(settings.LANGUAGE_CODE):
        message = Message(
            subject=_("Reminder: “%(title)s” is due %(due)s") % {"title": assignment.title, "due": f"{due:%m-%d %H:%M}"},
            body=_("Hello %(name)s,\n\n“%(title)s” is due at %(due)s and we have not received it yet.\n\n"
                   "Hand it in here:\n%(link)s\n")
            % {"name": user.name or user.email, "title": assignment.title,
               "due": f"{due:%Y-%m-%d %H:%M}", "link": link},
            url=link,
            wechat=[assignment.title, f"{due:%Y-%m-%d %H:%M}"],
        )  # fmt: skip
    deliveries = notify(kind=MessageKind.DUE_REMINDER, key=f"due:{reminder.pk}", user=user, message=message)
    return int(any(d.status == Delivery.Status.SENT for d in deliveries))


# --- lesson reminders and calendar feeds -----------------------------------------------------

LESSON_REMINDER_LEAD: dict[str, timedelta] = {
    LessonReminder.Kind.DAY: timedelta(hours=24),
    LessonReminder.Kind.HOUR: timedelta(hours=1),
}


def _lesson_reminder_kind(lesson: Lesson, now: datetime) -> str:
    """Which reminder a lesson is due for now: the hour's in its last hour, else the day's (a
    day reminder the job missed until the last hour is not sent: the hour's says it all)."""
    if lesson.starts_at - now <= LESSON_REMINDER_LEAD[LessonReminder.Kind.HOUR]:
        return LessonReminder.Kind.HOUR
    return LessonReminder.Kind.DAY


def lesson_reminders_queue(*, now: datetime | None = None) -> int:
    """Queue the reminder e-mails due now: 24 hours and 1 hour before each lesson, to every
    active student of its cohort. Returns how many were queued.

    Safe to run as often as one likes (the scheduler runs it every five minutes): each
    reminder is a LessonReminder row, unique per lesson, student, kind and announced start,
    written with its outbox message in one transaction, so each goes out once. A lesson moved
    to another time is announced again. Off with LESSON_REMINDERS=false.
    """
    if not settings.LESSON_REMINDERS:
        return 0
    now = now or timezone.now()
    queued = 0
    lessons = Lesson.objects.filter(starts_at__gt=now, starts_at__lte=now + LESSON_REMINDER_LEAD["day"])
    for lesson in lessons.order_by("starts_at", "pk"):
        kind = _lesson_reminder_kind(lesson, now)
        sent = LessonReminder.objects.filter(lesson=lesson, kind=kind, lesson_starts_at=lesson.starts_at)
        student_ids = (
            Enrollment.objects.filter(cohort_id=lesson.cohort_id, status=Enrollment.Status.ACTIVE)
            .exclude(student_id__in=sent.values("student_id"))
            .values_list("student_id", flat=True)
        )
        for student_id in student_ids:
            with transaction.atomic():
                reminder, created = LessonReminder.objects.get_or_create(
                    lesson=lesson, student_id=student_id, kind=kind, lesson_starts_at=lesson.starts_at
                )
                if created:
                    outbox_enqueue(jobs.send_lesson_reminder, reminder.pk)
                    queued += 1
    return queued


@transaction.atomic
def lesson_reminder_email(*, reminder: LessonReminder) -> bool:
    """Send one queued reminder, unless it went out already or no longer holds: the lesson
    moved (its new time has a reminder of its own), the student left the cohort, or reminders
    were switched off meanwhile. True when an e-mail went out."""
    reminder = (
        LessonReminder.objects.select_for_update(of=("self",))
        .select_related("lesson__cohort__course", "student__user")
        .get(pk=reminder.pk)
    )
    lesson, user = reminder.lesson, reminder.student.user
    if reminder.sent_at is not None or lesson.starts_at != reminder.lesson_starts_at:
        return False
    active = Enrollment.objects.filter(
        student_id=reminder.student_id, cohort_id=lesson.cohort_id, status=Enrollment.Status.ACTIVE
    ).exists()
    if not active or not settings.LESSON_REMINDERS:
        return False
    cohort = lesson.cohort
    when = timezone.localtime(lesson.starts_at)
    page = settings.SITE_URL + reverse("cohorts:learn_cohort", args=[cohort.pk])
    ics = settings.SITE_URL + reverse("cohorts:learn_lesson_ics", args=[lesson.pk])
    with translation.override(settings.LANGUAGE_CODE):
        facts = {
            "name": user.name or user.email, "lesson": lesson.title, "course": cohort.course.title,
            "cohort": cohort.name, "when": f"{when:%Y-%m-%d %H:%M}", "time": f"{when:%H:%M}",
            "minutes": lesson.duration_minutes, "page": page, "ics": ics,
        }  # fmt: skip
        if reminder.kind == LessonReminder.Kind.HOUR:
            subject = _("In one hour: “%(lesson)s” at %(time)s") % facts
        else:
            subject = _("Tomorrow's lesson: “%(lesson)s” at %(when)s") % facts
        join = (
            _("Join the live class here (from 15 minutes before the start):\n%(link)s")
            % {"link": lesson.join_url}
            if lesson.join_url
            else _("The join link will be on the cohort's page before the lesson.")
        )
        body = (
            _("Hello %(name)s,\n\n“%(lesson)s” of %(course)s · %(cohort)s starts at %(when)s "
              "(%(minutes)s min).") % facts
            + "\n\n" + join + "\n\n"
            + _("Cohort page: %(page)s\nAdd it to your calendar: %(ics)s\n") % facts
        )  # fmt: skip
        message = Message(
            subject=subject, body=body, url=page,
            wechat=[lesson.title, facts["when"], f"{cohort.course.title} · {cohort.name}"],
        )  # fmt: skip
    deliveries = notify(
        kind=MessageKind.LESSON_REMINDER, key=f"lesson:{reminder.pk}", user=user, message=message
    )
    reminder.sent_at = timezone.now()
    reminder.save(update_fields=["sent_at"])
    return any(d.status == Delivery.Status.SENT for d in deliveries)


def student_calendar_token_reset(*, student: Student) -> Student:
    """A new secret for the student's calendar feed: the old address answers 404 from now on."""
    student.calendar_token = calendar_token_new()
    student.save(update_fields=["calendar_token"])
    return student


def cohort_calendar_token_reset(*, cohort: Cohort) -> Cohort:
    cohort.calendar_token = calendar_token_new()
    cohort.save(update_fields=["calendar_token"])
    return cohort


# --- feedback templates ----------------------------------------------------------------------


def feedback_template_save(*, template: FeedbackTemplate) -> FeedbackTemplate:
    template.full_clean()
    template.save()
    return template


# --- assessments and graduation --------------------------------------------------------------


@transaction.atomic
def assessments_record(
    *,
    cohort: Cohort,
    kind: str,
    scores: dict[int, Decimal],
    taken_at: datetime | None = None,
    pass_mark: Decimal | None = None,
    note: str = "",
) -> list[Assessment]:
    """Record one assessment round for many students of a cohort at once ({student_id: score}).

    With a pass mark, each assessment is passed when its score reaches it.
    """
    if kind not in Assessment.Kind.values:
        raise ValidationError({"kind": [_("Unknown assessment kind.")]})
    enrolled = set(Enrollment.objects.filter(cohort=cohort).values_list("student_id", flat=True))
    if set(scores) - enrolled:
        raise ValidationError(_("Some students are not in this cohort."))
    taken_at = taken_at or timezone.now()
    rows = []
    for student_id, score in scores.items():
        row = Assessment(
            student_id=student_id, cohort=cohort, kind=kind, score=score, taken_at=taken_at, note=note,
            passed=(score >= pass_mark) if pass_mark is not None else None,
        )  # fmt: skip
        row.full_clean(exclude=["student", "cohort"])
        rows.append(row)
    return Assessment.objects.bulk_create(rows)


class NotPassed(Exception):
    """Graduation needs a passed graduation assessment in the cohort."""


@transaction.atomic
def enrollment_graduate(*, enrollment: Enrollment, when: datetime | None = None) -> Enrollment:
    """Mark a student graduated; they must have passed a graduation assessment. Idempotent."""
    enrollment = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    if enrollment.status == Enrollment.Status.GRADUATED:
        return enrollment
    if enrollment.status != Enrollment.Status.ACTIVE:
        raise NotPassed(_("Only an active enrollment can graduate."))
    passed = Assessment.objects.filter(
        student_id=enrollment.student_id,
        cohort_id=enrollment.cohort_id,
        kind=Assessment.Kind.GRADUATION,
        passed=True,
    ).exists()
    if not passed:
        raise NotPassed(_("There is no passed graduation assessment."))
    enrollment.status = Enrollment.Status.GRADUATED
    enrollment.graduated_at = when or timezone.now()
    # A graduate is no longer expected at the cohort's later lessons and assignments
    # (docs/metrics.md: active means enrolled_at <= start and ended_at empty or after it).
    enrollment.ended_at = max(enrollment.graduated_at, enrollment.enrolled_at)
    enrollment.save(update_fields=["status", "graduated_at", "ended_at"])
    GraduationReport.objects.get_or_create(enrollment=enrollment)
    return enrollment


def cohort_graduate_passed(*, cohort: Cohort) -> int:
    """Graduate every active student of the cohort with a passed graduation assessment."""
    ready = Enrollment.objects.filter(
        cohort=cohort,
        status=Enrollment.Status.ACTIVE,
        student__assessments__cohort=cohort,
        student__assessments__kind=Assessment.Kind.GRADUATION,
        student__assessments__passed=True,
    ).distinct()
    count = 0
    for enrollment in ready:
        enrollment_graduate(enrollment=enrollment)
        count += 1
    return count


def graduation_report_feedback_set(*, report: GraduationReport, closing_feedback: str) -> GraduationReport:
    report.closing_feedback = closing_feedback.strip()
    report.save(update_fields=["closing_feedback"])
    return report


def graduation_report_publish(*, report: GraduationReport, published: bool) -> GraduationReport:
    """The student's choice: publish the shareable page, or take it down (the link then 404s)."""
    report.is_published = published
    report.published_at = timezone.now() if published else None
    report.save(update_fields=["is_published", "published_at"])
    return report


def graduation_report_share_work(*, report: GraduationReport, shares: bool) -> GraduationReport:
    """The graduate's consent to show their showcased work on the course page, or its withdrawal
    (the work leaves the page at once)."""
    report.shares_work = shares
    report.shares_work_at = timezone.now() if shares else None
    report.save(update_fields=["shares_work", "shares_work_at"])
    return report


def refund_risk_action_record(*, enrollment: Enrollment, kind: str, note: str, by: User) -> RefundRiskAction:
    """A call or a message noted on a refund-risk flag, or the flag dismissed (which needs why)."""
    note = note.strip()
    if kind not in RefundRiskAction.Kind.values:
        raise ValidationError({"kind": _("Choose what you did.")})
    if kind == RefundRiskAction.Kind.DISMISSED and not note:
        raise ValidationError({"note": _("Say why the flag can be dismissed, e.g. 说好下周补课.")})
    action = RefundRiskAction(enrollment=enrollment, kind=kind, note=note, by=by)
    action.full_clean()
    action.save()
    return action
