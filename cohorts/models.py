import secrets
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

SCORE_VALIDATORS = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


def _score_range(field: str) -> Q:
    return Q(**{f"{field}__gte": 0, f"{field}__lte": 100})


def course_image_upload_to(instance: "Course", filename: str) -> str:
    # The form names the file after its checked type (onepco.images); the stem is random.
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"courses/{secrets.token_urlsafe(12)}.{suffix[:10]}"


class Course(models.Model):
    """What is sold: a programme run as one cohort after another. Its page is public once
    published; a draft is seen by staff only."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    title = models.CharField(_("title"), max_length=200)
    tagline = models.CharField(_("tagline"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    cover_image = models.FileField(
        _("cover image"), upload_to=course_image_upload_to, blank=True, max_length=200
    )
    description = models.TextField(_("description (Markdown)"), blank=True)
    audience = models.TextField(_("who it is for (Markdown)"), blank=True)
    outcomes = models.TextField(_("what you get (Markdown)"), blank=True)
    graduation_standard = models.TextField(_("graduation standard (Markdown)"), blank=True)
    teacher_name = models.CharField(_("teacher's name"), max_length=100, blank=True)
    teacher_photo = models.FileField(
        _("teacher's photo"), upload_to=course_image_upload_to, blank=True, max_length=200
    )
    teacher_bio = models.TextField(_("teacher's bio (Markdown)"), blank=True)
    refund_policy = models.TextField(
        _("refund policy (Markdown)"),
        blank=True,
        help_text=_("Leave blank to use the site's refund policy."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["draft", "published"]), name="course_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED


class CourseFAQ(models.Model):
    """One question and its answer on a course's page, in the founder's order."""

    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.CASCADE, related_name="faqs"
    )
    question = models.CharField(_("question"), max_length=300)
    answer = models.TextField(_("answer (Markdown)"))
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("FAQ entry")
        verbose_name_plural = _("FAQ entries")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.question


def calendar_token_new() -> str:
    """The secret in a calendar feed's address: whoever has the link reads the feed."""
    return secrets.token_urlsafe(24)


# Lower case letters and digits without the look-alikes (0 o 1 i l): read aloud, typed from a
# screenshot, or copied out of a WeChat chat, a code survives. 31^8 ≈ 8.5 × 10^11 codes.
REFERRAL_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
REFERRAL_LENGTH = 8


def referral_code_new() -> str:
    """A fresh referral code no student has (checked: a collision would fail the insert)."""
    while True:
        code = "".join(secrets.choice(REFERRAL_ALPHABET) for _ in range(REFERRAL_LENGTH))
        if not Student.objects.filter(referral_code=code).exists():
            return code


class Cohort(models.Model):
    """One run of a course: its dates, its seats and its price."""

    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.PROTECT, related_name="cohorts"
    )
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=100)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    capacity = models.PositiveIntegerField(_("capacity"))
    price = models.DecimalField(_("price"), max_digits=10, decimal_places=2)
    sale_open = models.BooleanField(_("open for sale"), default=False)
    enrolment_opens_at = models.DateTimeField(
        _("enrolment opens at"), null=True, blank=True, help_text=_("Blank: as soon as it is open for sale.")
    )
    enrolment_closes_at = models.DateTimeField(
        _("enrolment closes at"), null=True, blank=True, help_text=_("Blank: until the cohort ends.")
    )
    meeting_url = models.URLField(
        _("join link for live classes"),
        max_length=500,
        blank=True,
        help_text=_("Tencent Meeting, Zoom…: used by every lesson that has no link of its own."),
    )
    entry_assessment_at = models.DateTimeField(
        _("entry assessment planned at"),
        null=True,
        blank=True,
        help_text=_("When the students take the entry test: the before of before/after."),
    )
    enrollment_instructions = models.TextField(
        _("enrollment instructions"),
        blank=True,
        help_text=_("Sent to every new student when they pay (Markdown)."),
    )
    calendar_token = models.CharField(
        _("calendar feed token"), max_length=64, unique=True, default=calendar_token_new, editable=False
    )
    # A meeting platform's export becomes attendance by the share of the lesson attended.
    attendance_full_percent = models.PositiveSmallIntegerField(
        _("full attendance from (percent of the lesson)"), default=80
    )
    attendance_partial_percent = models.PositiveSmallIntegerField(
        _("partial attendance from (percent of the lesson)"), default=30
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("cohort")
        verbose_name_plural = _("cohorts")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="cohort_ends_after_start"),
            models.CheckConstraint(condition=Q(capacity__gt=0), name="cohort_capacity_positive"),
            models.CheckConstraint(
                condition=Q(attendance_full_percent__lte=100)
                & Q(attendance_partial_percent__lte=F("attendance_full_percent")),
                name="cohort_attendance_thresholds_ordered",
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="cohort_price_not_negative"),
            models.CheckConstraint(
                condition=Q(enrolment_opens_at__isnull=True)
                | Q(enrolment_closes_at__isnull=True)
                | Q(enrolment_closes_at__gt=F("enrolment_opens_at")),
                name="cohort_enrolment_closes_after_opening",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.course.title} · {self.name}"

    def enrolment_refusal(self, now: datetime | None = None) -> str:
        """Why a seat cannot be bought right now because of the enrolment window ("" when it
        can): checkout and the course page show it to the buyer."""
        now = now or timezone.now()
        if self.enrolment_opens_at and now < self.enrolment_opens_at:
            opens = timezone.localtime(self.enrolment_opens_at)
            return gettext("Enrolment opens on %(when)s.") % {"when": f"{opens:%Y-%m-%d %H:%M}"}
        if self.enrolment_closes_at and now >= self.enrolment_closes_at:
            return gettext("Enrolment for this cohort has closed.")
        return ""

    @property
    def enrolment_open(self) -> bool:
        return not self.enrolment_refusal()


class Student(models.Model):
    """A user's learner profile, linked to the lead it came from."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="student",
    )
    lead = models.ForeignKey(
        "crm.Lead",
        verbose_name=_("lead"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="students",
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    wechat = models.CharField(_("WeChat ID"), max_length=64, blank=True)
    # The code in the student's referral link (?channel=referral&ref=…): stable for good, so a
    # link shared once keeps crediting them. Leads it brings point back here (crm.Lead.referred_by).
    referral_code = models.CharField(
        _("referral code"), max_length=16, unique=True, default=referral_code_new, editable=False
    )
    # The secret of the student's calendar feed; a new one (the student asks) kills the old link.
    calendar_token = models.CharField(
        _("calendar feed token"), max_length=64, unique=True, default=calendar_token_new, editable=False
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("student")
        verbose_name_plural = _("students")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return str(self.user)


class Enrollment(models.Model):
    """A student in a cohort. Active between enrolled_at and ended_at (if any)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        DROPPED = "dropped", _("Dropped")
        REFUNDED = "refunded", _("Refunded")
        GRADUATED = "graduated", _("Graduated")

    student = models.ForeignKey(
        Student, verbose_name=_("student"), on_delete=models.CASCADE, related_name="enrollments"
    )
    cohort = models.ForeignKey(
        Cohort, verbose_name=_("cohort"), on_delete=models.PROTECT, related_name="enrollments"
    )
    enrolled_at = models.DateTimeField(_("enrolled at"), default=timezone.now, db_index=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True, db_index=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    graduated_at = models.DateTimeField(_("graduated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        ordering = ["cohort", "enrolled_at"]
        constraints = [
            models.UniqueConstraint(fields=["student", "cohort"], name="enrollment_unique"),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=F("enrolled_at")),
                name="enrollment_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["active", "dropped", "refunded", "graduated"]),
                name="enrollment_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student} · {self.cohort}"

    @property
    def is_withdrawn(self) -> bool:
        """Dropped or refunded: the cohort's lessons, links and materials are closed to the
        student, who keeps reading their own work. A graduate is not withdrawn."""
        return self.status in (self.Status.DROPPED, self.Status.REFUNDED)

    @property
    def is_upcoming(self) -> bool:
        """Active in a cohort that has not started yet (the student reads 即将开课, not 在读)."""
        return self.status == self.Status.ACTIVE and self.cohort.starts_on > timezone.localdate()

    @property
    def student_state(self) -> str:
        """The status as the student reads it: "upcoming" before the cohort starts, else the status."""
        return "upcoming" if self.is_upcoming else self.status

    @property
    def student_state_label(self) -> str:
        return gettext("Starting soon") if self.is_upcoming else self.get_status_display()


JOIN_EARLY = timedelta(minutes=15)


class Lesson(models.Model):
    cohort = models.ForeignKey(
        Cohort, verbose_name=_("cohort"), on_delete=models.CASCADE, related_name="lessons"
    )
    title = models.CharField(_("title"), max_length=200)
    starts_at = models.DateTimeField(_("starts at"), db_index=True)
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"), default=90)
    meeting_url = models.URLField(_("meeting link"), max_length=500, blank=True)
    recording_url = models.URLField(
        _("recording link"),
        max_length=500,
        blank=True,
        help_text=_("The replay, once the class is over: students see it in their lesson list."),
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["cohort", "starts_at"], name="lesson_cohort_start_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def join_url(self) -> str:
        """The lesson's own meeting link, else the cohort's join link for live classes."""
        return self.meeting_url or self.cohort.meeting_url

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def join_opens_at(self) -> datetime:
        return self.starts_at - JOIN_EARLY

    def join_state(self, now: datetime) -> str:
        """ "soon" until 15 minutes before the start, "open" from then until the end, "ended" after:
        进入课堂 is a live button only while open."""
        if now < self.join_opens_at:
            return "soon"
        return "open" if now < self.ends_at else "ended"


def material_upload_to(instance: "LessonMaterial", filename: str) -> str:
    # Random names like homework files: the original name is kept in file_name.
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"materials/{timezone.now():%Y/%m}/{secrets.token_urlsafe(16)}.{suffix[:10]}"


class LessonMaterial(models.Model):
    """A file or a link the founder adds to a lesson (slides, code, reading). Served only to the
    cohort's students who have not left it, and to staff."""

    lesson = models.ForeignKey(
        Lesson, verbose_name=_("lesson"), on_delete=models.CASCADE, related_name="materials"
    )
    title = models.CharField(_("title"), max_length=200)
    url = models.URLField(_("link"), max_length=500, blank=True)
    file = models.FileField(_("file"), upload_to=material_upload_to, blank=True, max_length=200)
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    file_size = models.PositiveBigIntegerField(_("file size"), null=True, blank=True)
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("lesson material")
        verbose_name_plural = _("lesson materials")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(url="") & ~Q(file="")) | (~Q(url="") & Q(file="")),
                name="lesson_material_file_or_link",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Attendance(models.Model):
    class Status(models.TextChoices):
        FULL = "full", _("Full")
        PARTIAL = "partial", _("Partial")
        ABSENT = "absent", _("Absent")

    lesson = models.ForeignKey(
        Lesson, verbose_name=_("lesson"), on_delete=models.CASCADE, related_name="attendances"
    )
    student = models.ForeignKey(
        Student, verbose_name=_("student"), on_delete=models.CASCADE, related_name="attendances"
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendances")
        constraints = [
            models.UniqueConstraint(fields=["lesson", "student"], name="attendance_unique"),
            models.CheckConstraint(
                condition=Q(status__in=["full", "partial", "absent"]),
                name="attendance_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lesson} · {self.student} · {self.get_status_display()}"


class AttendanceAlias(models.Model):
    """A name in a meeting platform's export that the founder matched to a student by hand,
    remembered for the cohort's next lessons ("Mei's iPhone" is 韩梅梅)."""

    cohort = models.ForeignKey(Cohort, verbose_name=_("cohort"), on_delete=models.CASCADE, related_name="+")
    name_key = models.CharField(_("name in the export"), max_length=200)
    student = models.ForeignKey(
        Student, verbose_name=_("student"), on_delete=models.CASCADE, related_name="attendance_aliases"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("attendance name match")
        verbose_name_plural = _("attendance name matches")
        constraints = [models.UniqueConstraint(fields=["cohort", "name_key"], name="attendance_alias_unique")]

    def __str__(self) -> str:
        return f"{self.name_key} → {self.student}"


class RefundRiskAction(models.Model):
    """What the founder did about a student flagged at refund risk (cohorts/refund_risk.py): a
    call noted, a message sent, or the flag dismissed, which keeps it dismissed."""

    class Kind(models.TextChoices):
        CALLED = "called", _("Called")
        MESSAGED = "messaged", _("Messaged")
        DISMISSED = "dismissed", _("Dismissed")

    enrollment = models.ForeignKey(
        Enrollment, verbose_name=_("enrollment"), on_delete=models.CASCADE, related_name="refund_risk_actions"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("refund-risk action")
        verbose_name_plural = _("refund-risk actions")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["enrollment", "kind"], name="refund_risk_action_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["called", "messaged", "dismissed"]),
                name="refund_risk_action_kind_valid",
            ),
            # A dismissal says why: a flag waved away without a reason would teach nothing.
            models.CheckConstraint(
                condition=~Q(kind="dismissed") | ~Q(note=""), name="refund_risk_dismissal_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enrollment} · {self.get_kind_display()}"


class Assignment(models.Model):
    cohort = models.ForeignKey(
        Cohort, verbose_name=_("cohort"), on_delete=models.CASCADE, related_name="assignments"
    )
    title = models.CharField(_("title"), max_length=200)
    instructions = models.TextField(_("instructions (Markdown)"), blank=True)
    standard = models.TextField(_("standard to meet"), blank=True)
    due_at = models.DateTimeField(_("due at"), db_index=True)
    pass_mark = models.DecimalField(
        _("pass mark"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("60"),
        validators=SCORE_VALIDATORS,
    )
    is_graduation_project = models.BooleanField(_("graduation project"), default=False)
    accepts_late = models.BooleanField(_("accepts late submissions"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["cohort", "due_at"], name="assignment_cohort_due_idx")]
        constraints = [
            models.CheckConstraint(condition=_score_range("pass_mark"), name="assignment_pass_mark_range"),
        ]

    def __str__(self) -> str:
        return self.title


def submission_upload_to(instance: "Submission", filename: str) -> str:
    # Random names: the original name is kept in file_name, never used on disk.
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"submissions/{timezone.now():%Y/%m}/{secrets.token_urlsafe(16)}.{suffix[:10]}"


class Submission(models.Model):
    """One attempt at an assignment. Every attempt is kept; the latest one counts."""

    assignment = models.ForeignKey(
        Assignment,
        verbose_name=_("assignment"),
        on_delete=models.CASCADE,
        related_name="submissions",
    )
    student = models.ForeignKey(
        Student, verbose_name=_("student"), on_delete=models.CASCADE, related_name="submissions"
    )
    attempt = models.PositiveIntegerField(_("attempt"), default=1)
    text = models.TextField(_("text"), blank=True)
    link = models.URLField(_("link"), max_length=500, blank=True)
    file = models.FileField(_("file"), upload_to=submission_upload_to, blank=True, max_length=200)
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    file_size = models.PositiveBigIntegerField(_("file size"), null=True, blank=True)
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now, db_index=True)
    late = models.BooleanField(_("late"), default=False)
    score = models.DecimalField(
        _("score"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=SCORE_VALIDATORS,
    )
    passed = models.BooleanField(_("passed"), null=True, blank=True)
    feedback = models.TextField(_("feedback"), blank=True)
    graded_at = models.DateTimeField(_("graded at"), null=True, blank=True, db_index=True)
    graded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("graded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    is_showcase = models.BooleanField(_("showcase"), default=False)
    feedback_emailed_at = models.DateTimeField(_("feedback e-mailed at"), null=True, blank=True)
    feedback_seen_at = models.DateTimeField(
        _("feedback seen at"),
        null=True,
        blank=True,
        help_text=_("When the student last opened this attempt's feedback (new feedback carries a badge)."),
    )

    class Meta:
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        ordering = ["assignment", "student", "attempt"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "student", "attempt"], name="submission_attempt_unique"
            ),
            models.CheckConstraint(condition=Q(attempt__gte=1), name="submission_attempt_min"),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | _score_range("score"),
                name="submission_score_range",
            ),
            models.CheckConstraint(
                condition=Q(graded_at__isnull=True) | Q(passed__isnull=False),
                name="submission_graded_has_verdict",
            ),
        ]
        indexes = [
            models.Index(fields=["student", "assignment"], name="submission_student_asg_idx"),
            # The dashboard counts showcased work per cohort: a few rows among every submission.
            models.Index(
                fields=["assignment"], condition=Q(is_showcase=True), name="submission_showcase_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assignment} · {self.student} · #{self.attempt}"

    @property
    def is_graded(self) -> bool:
        return self.graded_at is not None

    @property
    def has_new_feedback(self) -> bool:
        """Graded (or graded again) since the student last opened it."""
        return self.graded_at is not None and (
            self.feedback_seen_at is None or self.feedback_seen_at < self.graded_at
        )


class FeedbackTemplate(models.Model):
    """Reusable feedback (统一反馈模板) the founder inserts while grading."""

    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(_("text"))
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("feedback template")
        verbose_name_plural = _("feedback templates")
        ordering = ["position", "title"]

    def __str__(self) -> str:
        return self.title


class Assessment(models.Model):
    """A measured score: entry, stage or graduation. Before/after is judged from these."""

    class Kind(models.TextChoices):
        ENTRY = "entry", _("Entry")
        STAGE = "stage", _("Stage")
        GRADUATION = "graduation", _("Graduation")

    student = models.ForeignKey(
        Student, verbose_name=_("student"), on_delete=models.CASCADE, related_name="assessments"
    )
    cohort = models.ForeignKey(
        Cohort, verbose_name=_("cohort"), on_delete=models.CASCADE, related_name="assessments"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2, validators=SCORE_VALIDATORS)
    passed = models.BooleanField(_("passed"), null=True, blank=True)
    taken_at = models.DateTimeField(_("taken at"), default=timezone.now, db_index=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    quiz = models.ForeignKey(
        "cohorts.Quiz",
        verbose_name=_("online test"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assessments",
        help_text=_("Set when the score came from an online test; blank for a score typed in."),
    )

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        ordering = ["taken_at", "id"]
        constraints = [
            models.CheckConstraint(condition=_score_range("score"), name="assessment_score_range"),
            models.CheckConstraint(
                condition=Q(kind__in=["entry", "stage", "graduation"]),
                name="assessment_kind_valid",
            ),
            # One result per online test and student: its best final attempt (docs/assessments.md).
            models.UniqueConstraint(
                fields=["quiz", "student"], condition=Q(quiz__isnull=False), name="assessment_one_per_quiz"
            ),
        ]
        indexes = [
            models.Index(fields=["cohort", "student", "kind"], name="assessment_lookup_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.student} · {self.get_kind_display()} · {self.score}"


def _report_token() -> str:
    return secrets.token_urlsafe(12)


class GraduationReport(models.Model):
    """A graduate's shareable page: opt-in and revocable by the student, written with the
    founder's closing feedback. Its address is an unguessable token, not the enrollment id."""

    enrollment = models.OneToOneField(
        Enrollment, verbose_name=_("enrollment"), on_delete=models.CASCADE, related_name="report"
    )
    token = models.CharField(_("token"), max_length=32, unique=True, default=_report_token)
    closing_feedback = models.TextField(_("closing feedback"), blank=True)
    is_published = models.BooleanField(_("published"), default=False)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    # The graduate's consent to show their showcased work (优秀案例) on the course's public page,
    # given and withdrawn on their progress page; independent of publishing the report.
    shares_work = models.BooleanField(_("shares showcased work on the course page"), default=False)
    shares_work_at = models.DateTimeField(_("consent to share work given at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("graduation report")
        verbose_name_plural = _("graduation reports")

    def __str__(self) -> str:
        return str(self.enrollment)


class DueReminder(models.Model):
    """One reminder e-mail per student and assignment: the record that makes the job safe to rerun."""

    assignment = models.ForeignKey(
        Assignment, verbose_name=_("assignment"), on_delete=models.CASCADE, related_name="reminders"
    )
    student = models.ForeignKey(
        Student, verbose_name=_("student"), on_delete=models.CASCADE, related_name="due_reminders"
    )
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        verbose_name = _("due reminder")
        verbose_name_plural = _("due reminders")
        constraints = [
            models.UniqueConstraint(fields=["assignment", "student"], name="due_reminder_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.assignment} · {self.student}"


class LessonReminder(models.Model):
    """One lesson reminder e-mail (a day or an hour before) per student: the record that makes
    the job safe to rerun. It names the start time it announced, so a lesson moved to another
    time is announced again."""

    class Kind(models.TextChoices):
        DAY = "day", _("24 hours before")
        HOUR = "hour", _("1 hour before")

    lesson = models.ForeignKey(
        Lesson, verbose_name=_("lesson"), on_delete=models.CASCADE, related_name="reminders"
    )
    student = models.ForeignKey(
        Student, verbose_name=_("student"), on_delete=models.CASCADE, related_name="lesson_reminders"
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    lesson_starts_at = models.DateTimeField(_("lesson starts at"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("lesson reminder")
        verbose_name_plural = _("lesson reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["lesson", "student", "kind", "lesson_starts_at"], name="lesson_reminder_unique"
            ),
            models.CheckConstraint(condition=Q(kind__in=["day", "hour"]), name="lesson_reminder_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.lesson} · {self.student} · {self.get_kind_display()}"


# The online tests' models live in their own module; importing them here registers them.
from cohorts.quiz_models import Quiz, QuizAnswer, QuizAttempt, QuizChoice, QuizQuestion  # noqa: E402

__all__ = ["Quiz", "QuizAnswer", "QuizAttempt", "QuizChoice", "QuizQuestion"]
