import secrets

from django.conf import settings
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


class MessageKind(models.TextChoices):
    """Every kind of message onepco sends to a person (onepco.notify holds what each may do)."""

    NEW_LEAD = "new_lead", _("New leads")
    ORDER_ALERT = "order_alert", _("Order alerts")
    WEEKLY_REPORT = "weekly_report", _("Weekly report")
    SYSTEM_ALERT = "system_alert", _("System alerts")
    ENROLLMENT = "enrollment", _("Enrollment and payment")
    FEEDBACK = "feedback", _("Homework feedback")
    DUE_REMINDER = "due_reminder", _("Homework due reminders")
    LESSON_REMINDER = "lesson_reminder", _("Lesson reminders")
    WAITLIST_OFFER = "waitlist_offer", _("Waitlist seat offers")
    REFERRAL_REWARD = "referral_reward", _("Referral rewards")
    FOLLOW_UP = "follow_up", _("Offers and reminders to buy")
    BROADCAST = "broadcast", _("News from the founder")


class MarketingOptOut(models.Model):
    """An address that wants no marketing from us (one click on any unsubscribe link, or the
    account page): no offer, no reminder to buy, no broadcast. Transactional messages
    (enrollment, payment, sign-in codes) still go. Once billing's follow-up opt-out list: the
    table keeps its name."""

    email = models.EmailField(_("e-mail"), unique=True)
    created_at = models.DateTimeField(_("unsubscribed at"), default=timezone.now)

    class Meta:
        db_table = "billing_followupoptout"
        verbose_name = _("marketing opt-out")
        verbose_name_plural = _("marketing opt-outs")

    def __str__(self) -> str:
        return self.email


class MessagePreference(models.Model):
    """A person's choice of channels for one kind of message; no row means both channels on."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="message_preferences",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=MessageKind.choices)
    email = models.BooleanField(_("by e-mail"), default=True)
    wechat = models.BooleanField(_("by WeChat"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("message preference")
        verbose_name_plural = _("message preferences")
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="message_preference_once")]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.kind}"


class Delivery(models.Model):
    """One message on one channel to one person: what went out, or why not.

    `key` names the message (its kind and the thing it is about, e.g. "feedback:42:2026-…"):
    one message is sent at most once per channel (the constraint), however often the job that
    sends it runs. `outbox` is the outbox row whose job sent it, when one did.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        WECHAT = "wechat", _("WeChat")

    class Status(models.TextChoices):
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        SKIPPED = "skipped", _("not sent")

    kind = models.CharField(_("kind"), max_length=20, choices=MessageKind.choices)
    key = models.CharField(_("message"), max_length=200)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices)
    address = models.CharField(_("address"), max_length=254, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    detail = models.TextField(_("result"), blank=True)
    outbox = models.ForeignKey(
        OutboxMessage,
        verbose_name=_("outbox message"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["key", "channel"], condition=Q(status="sent"), name="delivery_sent_once"
            ),
        ]
        indexes = [models.Index(fields=["key"], name="delivery_key_idx")]

    def __str__(self) -> str:
        return f"{self.key} · {self.channel} · {self.status}"
