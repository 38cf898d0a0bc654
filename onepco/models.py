import secrets

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    """A follow-up job written in the same transaction as the data that caused it.

    The relay moves it to RQ after commit (and a periodic sweep catches what the fast path
    missed), so a Redis outage or a crash right after commit loses nothing; `completed_at`,
    set under a row lock by the job itself, makes sure one row is run at most once.
    """

    job = models.CharField(_("job"), max_length=200)
    args = models.JSONField(_("arguments"), default=list, blank=True)
    kwargs = models.JSONField(_("keyword arguments"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    relayed_at = models.DateTimeField(_("relayed at"), null=True, blank=True)
    relay_attempts = models.PositiveIntegerField(_("relay attempts"), default=0)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(completed_at__isnull=True),
                name="outbox_unfinished_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.job} #{self.pk}"

    @property
    def rq_job_id(self) -> str:
        return f"outbox-{self.pk}"


def _export_token() -> str:
    # Named by onepco's landed migration 0002; the model itself now lives in console.models.

    return secrets.token_urlsafe(32)


def site_logo_upload_to(instance: "SiteSettings", filename: str) -> str:
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "png"
    return f"site/logo-{secrets.token_hex(8)}.{suffix}"


class SiteSettings(models.Model):
    """The business as every page shows it: its name, logo and contact address, and the texts
    the buyer reads (privacy notice, refund policy). One row, edited in the console's 设置;
    read through onepco.site (cached), so the ground floor can show it on any page."""

    site_name = models.CharField(_("site name"), max_length=100, blank=True)
    logo = models.FileField(_("logo"), upload_to=site_logo_upload_to, blank=True, max_length=300)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    privacy_notice = models.TextField(
        _("privacy notice"),
        blank=True,
        help_text=_("Shown on the privacy page in place of the standard text. Empty: the standard text."),
    )
    refund_days = models.PositiveSmallIntegerField(
        _("refund period (days)"),
        null=True,
        blank=True,
        help_text=_("A buyer can ask for a full refund within this many days after paying."),
    )
    refund_rules = models.TextField(
        _("refund rules"), blank=True, help_text=_("Anything else a buyer should know about refunds.")
    )
    brand_saved_at = models.DateTimeField(_("brand saved at"), null=True, blank=True)
    policies_saved_at = models.DateTimeField(_("policies saved at"), null=True, blank=True)
    email_tested_at = models.DateTimeField(_("test e-mail sent at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("site settings")
        verbose_name_plural = _("site settings")

    def __str__(self) -> str:
        return str(_("Site settings"))

    @property
    def has_refund_policy(self) -> bool:
        return self.refund_days is not None or bool(self.refund_rules.strip())
