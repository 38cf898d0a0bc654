from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class WeeklyMetrics(models.Model):
    """One ISO week's ten numbers, frozen: every rate with its numerator and denominator.

    Rates are stored unrounded (null when the denominator is zero); money has two places.
    """

    week = models.CharField(_("ISO week"), max_length=8, unique=True)  # "2026-W47"
    week_start = models.DateField(_("Monday"), unique=True)

    leads = models.PositiveIntegerField(_("leads"), default=0)
    consultations = models.PositiveIntegerField(_("consultations"), default=0)
    deals = models.PositiveIntegerField(_("deals"), default=0)
    revenue = models.DecimalField(_("revenue"), max_digits=14, decimal_places=2, default=0)
    refunded = models.DecimalField(_("refunded amount"), max_digits=14, decimal_places=2, default=0)
    attendance_expected = models.PositiveIntegerField(_("expected attendances"), default=0)
    attendance_full = models.PositiveIntegerField(_("full attendances"), default=0)
    attendance_partial = models.PositiveIntegerField(_("partial attendances"), default=0)
    submission_expected = models.PositiveIntegerField(_("expected submissions"), default=0)
    submission_submitted = models.PositiveIntegerField(_("submitted pairs"), default=0)
    pass_graded = models.PositiveIntegerField(_("graded pairs"), default=0)
    pass_passed = models.PositiveIntegerField(_("passed pairs"), default=0)
    improvement_measured = models.PositiveIntegerField(_("assessments compared"), default=0)
    improvement_improved = models.PositiveIntegerField(_("assessments improved"), default=0)

    conversion_rate = models.FloatField(_("conversion rate"), null=True, blank=True)
    refund_rate = models.FloatField(_("refund rate"), null=True, blank=True)
    attendance_rate = models.FloatField(_("attendance rate"), null=True, blank=True)
    submission_rate = models.FloatField(_("submission rate"), null=True, blank=True)
    pass_rate = models.FloatField(_("pass rate"), null=True, blank=True)
    improvement_rate = models.FloatField(_("improvement rate"), null=True, blank=True)
    completion_rate = models.FloatField(_("completion rate"), null=True, blank=True)
    effective_revenue = models.DecimalField(
        _("effective revenue"), max_digits=14, decimal_places=2, null=True, blank=True
    )

    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)

    action_1 = models.CharField(_("action 1"), max_length=300, blank=True)
    action_2 = models.CharField(_("action 2"), max_length=300, blank=True)
    action_3 = models.CharField(_("action 3"), max_length=300, blank=True)
    actions_updated_at = models.DateTimeField(_("actions updated at"), null=True, blank=True)
    # Whether each action was carried out, marked while reviewing the week after: None until
    # the founder marks it. Beside its action on the same row, so the pair never drifts apart.
    action_1_done = models.BooleanField(_("action 1 done"), null=True, blank=True)
    action_2_done = models.BooleanField(_("action 2 done"), null=True, blank=True)
    action_3_done = models.BooleanField(_("action 3 done"), null=True, blank=True)
    # Set when the founder's weekly report for this week went out: it goes out at most once.
    report_sent_at = models.DateTimeField(_("report sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("weekly metrics")
        verbose_name_plural = _("weekly metrics")
        ordering = ["-week_start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(attendance_expected__gte=F("attendance_full") + F("attendance_partial"))
                & Q(submission_submitted__lte=F("submission_expected"))
                & Q(pass_passed__lte=F("pass_graded"))
                & Q(improvement_improved__lte=F("improvement_measured")),
                name="weekly_numerators_within_denominators",
            ),
        ]

    def __str__(self) -> str:
        return self.week

    @property
    def actions(self) -> list[str]:
        return [a for a in (self.action_1, self.action_2, self.action_3) if a]

    @property
    def action_slots(self) -> list[dict]:
        """The written actions with their slot number (1–3) and done state (None: not marked)."""
        return [
            {"slot": i, "text": text, "done": getattr(self, f"action_{i}_done")}
            for i in (1, 2, 3)
            if (text := getattr(self, f"action_{i}"))
        ]
