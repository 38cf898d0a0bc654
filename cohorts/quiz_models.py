"""Online tests (在线测评): what the founder builds and what a student hands in.

A `Quiz` measures one of a cohort's assessments (entry, stage or graduation). Its questions are
multiple choice (one or several correct) and true/false, scored as soon as the attempt ends, or
short answer / task, graded by hand in the grading queue. When an attempt's score is final it
becomes the student's `Assessment` row for the quiz (cohorts.quiz_services), so the dashboard's
figures follow. The rules are written down in docs/assessments.md.
"""

import math
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

SCORE_VALIDATORS = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


class Quiz(models.Model):
    """A test for a cohort's entry, stage or graduation assessment."""

    class Kind(models.TextChoices):
        # The same values as Assessment.Kind: the score becomes that kind of assessment.
        ENTRY = "entry", _("Entry")
        STAGE = "stage", _("Stage")
        GRADUATION = "graduation", _("Graduation")

    class Layout(models.TextChoices):
        ONE_PER_SCREEN = "one", _("One question a screen")
        ALL_ON_ONE_PAGE = "all", _("All questions on one page")

    cohort = models.ForeignKey(
        "cohorts.Cohort", verbose_name=_("cohort"), on_delete=models.CASCADE, related_name="quizzes"
    )
    kind = models.CharField(_("assessment"), max_length=16, choices=Kind.choices, default=Kind.ENTRY)
    title = models.CharField(_("title"), max_length=200)
    instructions = models.TextField(_("instructions (Markdown)"), blank=True)
    layout = models.CharField(
        _("layout"), max_length=8, choices=Layout.choices, default=Layout.ONE_PER_SCREEN
    )
    time_limit_minutes = models.PositiveIntegerField(
        _("time limit (minutes)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 60)],
        help_text=_("Blank: no time limit (the test still ends when it closes)."),
    )
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(
        _("closes at"), null=True, blank=True, help_text=_("Blank: never closes.")
    )
    attempts_allowed = models.PositiveIntegerField(
        _("attempts allowed"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text=_("With more than one, the best final attempt counts."),
    )
    pass_mark = models.DecimalField(
        _("pass mark"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=SCORE_VALIDATORS,
        help_text=_("Out of 100. Blank: the result says no passed or not passed (graduation needs one)."),
    )
    is_published = models.BooleanField(
        _("published"), default=False, help_text=_("Students see the test only once it is published.")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("online test")
        verbose_name_plural = _("online tests")
        ordering = ["opens_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["entry", "stage", "graduation"]), name="quiz_kind_valid"
            ),
            models.CheckConstraint(condition=Q(layout__in=["one", "all"]), name="quiz_layout_valid"),
            models.CheckConstraint(
                condition=Q(closes_at__isnull=True) | Q(closes_at__gt=models.F("opens_at")),
                name="quiz_closes_after_opening",
            ),
            models.CheckConstraint(condition=Q(attempts_allowed__gte=1), name="quiz_attempts_min"),
            models.CheckConstraint(
                condition=Q(pass_mark__isnull=True) | Q(pass_mark__gte=0, pass_mark__lte=100),
                name="quiz_pass_mark_range",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def is_open(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.is_published and self.opens_at <= now and (self.closes_at is None or now < self.closes_at)

    def deadline_for(self, started_at: datetime) -> datetime | None:
        """When an attempt started then must end: its time limit, and never after closing."""
        ends = [self.closes_at] if self.closes_at else []
        if self.time_limit_minutes:
            ends.append(started_at + timedelta(minutes=self.time_limit_minutes))
        return min(ends) if ends else None


class QuizQuestion(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", _("Multiple choice, one correct")
        MULTIPLE = "multiple", _("Multiple choice, several correct")
        TRUE_FALSE = "truefalse", _("True or false")
        SHORT = "short", _("Short answer")
        TASK = "task", _("Task")

    AUTO_SCORED = (Kind.SINGLE, Kind.MULTIPLE, Kind.TRUE_FALSE)
    WITH_CHOICES = (Kind.SINGLE, Kind.MULTIPLE)

    quiz = models.ForeignKey(
        Quiz, verbose_name=_("online test"), on_delete=models.CASCADE, related_name="questions"
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    prompt = models.TextField(_("question (Markdown)"))
    points = models.PositiveIntegerField(
        _("points"), default=1, validators=[MinValueValidator(1), MaxValueValidator(1000)]
    )
    correct_true = models.BooleanField(_("the statement is true"), null=True, blank=True)
    guidance = models.TextField(
        _("reference answer / grading notes"),
        blank=True,
        help_text=_("Shown to you while grading, and to the student with the result."),
    )

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["single", "multiple", "truefalse", "short", "task"]),
                name="quiz_question_kind_valid",
            ),
            models.CheckConstraint(condition=Q(points__gte=1), name="quiz_question_points_min"),
            models.CheckConstraint(
                condition=~Q(kind="truefalse") | Q(correct_true__isnull=False),
                name="quiz_question_truefalse_has_answer",
            ),
        ]

    def __str__(self) -> str:
        return self.prompt[:60]

    @property
    def is_auto_scored(self) -> bool:
        return self.kind in self.AUTO_SCORED

    @property
    def has_choices(self) -> bool:
        return self.kind in self.WITH_CHOICES


class QuizChoice(models.Model):
    question = models.ForeignKey(
        QuizQuestion, verbose_name=_("question"), on_delete=models.CASCADE, related_name="choices"
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    text = models.CharField(_("choice"), max_length=500)
    is_correct = models.BooleanField(_("correct"), default=False)

    class Meta:
        verbose_name = _("choice")
        verbose_name_plural = _("choices")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.text


class QuizAttempt(models.Model):
    """One go at a test. In progress until handed in or out of time; then waiting for grading
    while a hand-graded answer has no points; then final, with its score out of 100."""

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", _("In progress")
        GRADING = "grading", _("Waiting for grading")
        FINAL = "final", _("Final")

    quiz = models.ForeignKey(
        Quiz, verbose_name=_("online test"), on_delete=models.CASCADE, related_name="attempts"
    )
    student = models.ForeignKey(
        "cohorts.Student", verbose_name=_("student"), on_delete=models.CASCADE, related_name="quiz_attempts"
    )
    number = models.PositiveIntegerField(_("attempt"), default=1)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.IN_PROGRESS)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    deadline = models.DateTimeField(_("must end by"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("handed in at"), null=True, blank=True, db_index=True)
    timed_out = models.BooleanField(_("ended by the time limit"), default=False)
    points = models.DecimalField(_("points"), max_digits=8, decimal_places=2, null=True, blank=True)
    max_points = models.PositiveIntegerField(_("out of"), default=0)
    score = models.DecimalField(
        _("score"), max_digits=5, decimal_places=2, null=True, blank=True, validators=SCORE_VALIDATORS
    )
    finalised_at = models.DateTimeField(_("final at"), null=True, blank=True)

    class Meta:
        verbose_name = _("test attempt")
        verbose_name_plural = _("test attempts")
        ordering = ["quiz", "student", "number"]
        constraints = [
            models.UniqueConstraint(fields=["quiz", "student", "number"], name="quiz_attempt_unique"),
            models.UniqueConstraint(
                fields=["quiz", "student"],
                condition=Q(status="in_progress"),
                name="quiz_attempt_one_in_progress",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["in_progress", "grading", "final"]), name="quiz_attempt_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=100),
                name="quiz_attempt_score_range",
            ),
            models.CheckConstraint(
                condition=Q(status="in_progress") | Q(submitted_at__isnull=False),
                name="quiz_attempt_ended_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="final") | Q(score__isnull=False), name="quiz_attempt_final_has_score"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "deadline"], name="quiz_attempt_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.quiz} · {self.student} · #{self.number}"

    def seconds_left(self, now: datetime | None = None) -> int | None:
        if self.deadline is None:
            return None
        # Rounded up: the screen's countdown reaches zero only once the deadline has passed.
        return max(0, math.ceil((self.deadline - (now or timezone.now())).total_seconds()))


class QuizAnswer(models.Model):
    """A student's answer to one question of an attempt, saved as they go; its points once
    scored (automatically) or graded (by hand)."""

    attempt = models.ForeignKey(
        QuizAttempt, verbose_name=_("test attempt"), on_delete=models.CASCADE, related_name="answers"
    )
    question = models.ForeignKey(
        QuizQuestion, verbose_name=_("question"), on_delete=models.CASCADE, related_name="answers"
    )
    selected = models.JSONField(_("chosen choices"), default=list, blank=True)
    truth = models.BooleanField(_("answered true"), null=True, blank=True)
    text = models.TextField(_("answer"), blank=True)
    saved_at = models.DateTimeField(_("saved at"), default=timezone.now)
    points = models.DecimalField(_("points"), max_digits=7, decimal_places=2, null=True, blank=True)
    feedback = models.TextField(_("feedback"), blank=True)
    graded_at = models.DateTimeField(_("graded at"), null=True, blank=True)
    graded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("graded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("test answer")
        verbose_name_plural = _("test answers")
        ordering = ["attempt", "question__position", "question_id"]
        constraints = [
            models.UniqueConstraint(fields=["attempt", "question"], name="quiz_answer_unique"),
            models.CheckConstraint(
                condition=Q(points__isnull=True) | Q(points__gte=0), name="quiz_answer_points_min"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.attempt} · {self.question_id}"

    @property
    def is_blank(self) -> bool:
        return not self.selected and self.truth is None and not self.text.strip()
