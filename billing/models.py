import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onepco.images import IMAGE_TYPES

# No 0/O/1/I/L: order numbers are read aloud and typed from screenshots.
ORDER_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def order_number_new() -> str:
    """An order number: the date for humans, 10 random characters (~49 bits) against guessing."""
    stamp = timezone.localtime().strftime("%y%m%d")
    return "OP" + stamp + "".join(secrets.choice(ORDER_ALPHABET) for _ in range(10))


class Provider(models.TextChoices):
    ALIPAY = "alipay", _("Alipay")
    WECHAT = "wechat", _("WeChat Pay")
    STRIPE = "stripe", _("Stripe")
    MANUAL = "manual", _("Bank / personal transfer")
    SIMULATED = "simulated", _("Simulated (development)")


class Order(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        PAID = "paid", _("Paid")
        PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
        REFUNDED = "refunded", _("Refunded")
        CANCELLED = "cancelled", _("Cancelled")
        EXPIRED = "expired", _("Expired")

    PAID_STATUSES = (Status.PAID, Status.PARTIALLY_REFUNDED, Status.REFUNDED)

    number = models.CharField(_("order number"), max_length=32, unique=True, default=order_number_new)
    lead = models.ForeignKey(
        "crm.Lead",
        verbose_name=_("lead"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("buyer account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
    )
    cohort = models.ForeignKey(
        "cohorts.Cohort", verbose_name=_("cohort"), on_delete=models.PROTECT, related_name="orders"
    )
    buyer_name = models.CharField(_("buyer name"), max_length=100)
    buyer_email = models.EmailField(_("buyer e-mail"), blank=True)
    buyer_phone = models.CharField(_("buyer phone"), max_length=32, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    status = models.CharField(
        _("status"), max_length=24, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    provider = models.CharField(_("provider"), max_length=16, choices=Provider.choices, blank=True)
    provider_trade_no = models.CharField(_("provider trade number"), max_length=128, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True, db_index=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True, db_index=True)
    closed_at = models.DateTimeField(_("cancelled or expired at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    enrollment = models.ForeignKey(
        "cohorts.Enrollment",
        verbose_name=_("enrollment"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
    )
    note = models.TextField(_("note"), blank=True)
    # Set when money came for an order that had let its seat go (expired or cancelled) and the
    # cohort had none left: paid, not enrolled, holding no seat until the founder decides.
    seat_wait_since = models.DateTimeField(_("waiting for a seat since"), null=True, blank=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="order_amount_positive"),
            models.UniqueConstraint(
                fields=["provider", "provider_trade_no"],
                condition=~Q(provider_trade_no=""),
                name="order_provider_trade_unique",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["paid", "partially_refunded", "refunded"])
                | Q(paid_at__isnull=False),
                name="order_paid_has_time",
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "pending",
                        "paid",
                        "partially_refunded",
                        "refunded",
                        "cancelled",
                        "expired",
                    ]
                ),
                name="order_status_valid",
            ),
        ]
        indexes = [models.Index(fields=["cohort", "status"], name="order_cohort_status_idx")]

    def __str__(self) -> str:
        return self.number

    @property
    def is_paid(self) -> bool:
        return self.status in self.PAID_STATUSES

    @property
    def needs_email(self) -> bool:
        """Paid with only a phone number: the buyer is enrolled once the founder adds an e-mail."""
        return (
            self.status in (self.Status.PAID, self.Status.PARTIALLY_REFUNDED)
            and self.enrollment_id is None
            and self.user_id is None
            and not self.buyer_email
            and self.seat_wait_since is None
        )

    @property
    def waits_for_seat(self) -> bool:
        """Paid without a seat: the founder refunds it or raises capacity and enrolls."""
        return self.seat_wait_since is not None and self.status in (
            self.Status.PAID,
            self.Status.PARTIALLY_REFUNDED,
        )


class PaymentEvent(models.Model):
    """Every notification, webhook or query answer received, stored raw: the audit trail."""

    class Kind(models.TextChoices):
        NOTIFICATION = "notification", _("Notification")
        QUERY = "query", _("Query answer")
        RETURN = "return", _("Browser return")
        MANUAL = "manual", _("Founder action")

    class Outcome(models.TextChoices):
        RECEIVED = "received", _("Received")
        APPLIED = "applied", _("Applied")
        DUPLICATE = "duplicate", _("Duplicate")
        IGNORED = "ignored", _("Ignored")
        REJECTED = "rejected", _("Rejected")
        ERROR = "error", _("Error")
        # A verified refund for an order not paid yet: applied when the payment lands.
        HELD = "held", _("Held until paid")

    provider = models.CharField(_("provider"), max_length=16, choices=Provider.choices)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.NOTIFICATION)
    event_id = models.CharField(_("provider event id"), max_length=200, blank=True)
    order = models.ForeignKey(
        Order,
        verbose_name=_("order"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
    )
    received_at = models.DateTimeField(_("received at"), default=timezone.now, db_index=True)
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    # A notification's body is kept in full once verified; until then (and for good when it
    # fails) only its first 2 KB, with the length and SHA-256 of all of it.
    body = models.TextField(_("raw body"), blank=True)
    body_length = models.PositiveIntegerField(_("body length in bytes"), null=True, blank=True)
    body_sha256 = models.CharField(_("body SHA-256"), max_length=64, blank=True)
    verified = models.BooleanField(_("verified"), null=True, blank=True)
    error = models.TextField(_("verification or processing error"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, default=Outcome.RECEIVED)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    # What a held event says, verified when it arrived: its raw body cannot be verified again
    # later (signatures carry a timestamp that a replay window refuses).
    held_notice = models.JSONField(_("held notice"), null=True, blank=True)

    class Meta:
        verbose_name = _("payment event")
        verbose_name_plural = _("payment events")
        ordering = ["-received_at", "-id"]
        constraints = [
            # Every delivery is stored, but one provider event changes state at most once.
            models.UniqueConstraint(
                fields=["provider", "event_id"],
                condition=Q(outcome="applied") & ~Q(event_id=""),
                name="payment_event_applied_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} {self.event_id or self.pk}"


class Refund(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.PROTECT, related_name="refunds"
    )
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    out_refund_no = models.CharField(_("our refund number"), max_length=64, unique=True)
    provider_refund_id = models.CharField(_("provider refund id"), max_length=128, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    refunded_at = models.DateTimeField(_("refunded at"), null=True, blank=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    failure_reason = models.TextField(_("failure reason"), blank=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
            models.CheckConstraint(
                condition=~Q(status="succeeded") | Q(refunded_at__isnull=False),
                name="refund_succeeded_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.out_refund_no


def _image_suffix(filename: str) -> str:
    # The uploader's name is never trusted: the services and forms that take an image name it
    # after the type its content shows (onepco.images), anything else is stored as .bin.
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return suffix if suffix in IMAGE_TYPES else "bin"


def proof_upload_to(instance: "TransferProof", filename: str) -> str:
    return f"billing/proofs/{instance.order.number}/{secrets.token_hex(8)}.{_image_suffix(filename)}"


def payee_upload_to(instance: "PayeeAccount", filename: str) -> str:
    return f"billing/payee/{secrets.token_hex(8)}.{_image_suffix(filename)}"


class PayeeAccount(models.Model):
    """Where a buyer sends a manual transfer: the founder's personal QR code or bank details.

    Manual transfer is offered only while at least one active account exists (set in admin).
    """

    class Kind(models.TextChoices):
        WECHAT = "wechat", _("WeChat personal QR code")
        ALIPAY = "alipay", _("Alipay personal QR code")
        BANK = "bank", _("Bank transfer")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=100)
    qr_image = models.FileField(_("QR code image"), upload_to=payee_upload_to, blank=True, max_length=300)
    details = models.TextField(
        _("details"), blank=True, help_text=_("Account holder, bank, account number: what a payer needs.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("payee account")
        verbose_name_plural = _("payee accounts")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title


class TransferProof(models.Model):
    """A buyer's screenshot of a manual transfer, waiting for the founder to confirm it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        CONFIRMED = "confirmed", _("Confirmed")
        REJECTED = "rejected", _("Rejected")

    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="proofs")
    image = models.FileField(_("image"), upload_to=proof_upload_to, max_length=300)
    note = models.CharField(_("note"), max_length=300, blank=True)
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reject_reason = models.CharField(_("reason for rejection"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("transfer proof")
        verbose_name_plural = _("transfer proofs")
        ordering = ["-uploaded_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "confirmed", "rejected"]),
                name="transfer_proof_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order.number} · {self.get_status_display()}"
