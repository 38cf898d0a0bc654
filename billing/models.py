import secrets
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onepco.images import IMAGE_TYPES
from onepco.money import money

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


class Coupon(models.Model):
    """A code that takes a percentage or a fixed amount off, for every course, one course or one
    cohort, within its dates and its number of uses. A use is an order that holds it: paid, or
    pending and not expired (like a seat), so an expired or cancelled order gives its use back."""

    class Kind(models.TextChoices):
        PERCENT = "percent", _("Percentage off")
        FIXED = "fixed", _("Fixed amount off")

    code = models.CharField(_("code"), max_length=32)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.PERCENT)
    value = models.DecimalField(
        _("value"), max_digits=10, decimal_places=2, help_text=_("Percent (1–100) or amount off.")
    )
    course = models.ForeignKey(
        "cohorts.Course",
        verbose_name=_("only for the course"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="coupons",
    )
    cohort = models.ForeignKey(
        "cohorts.Cohort",
        verbose_name=_("only for the cohort"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="coupons",
    )
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    max_uses = models.PositiveIntegerField(
        _("total uses"), null=True, blank=True, help_text=_("Leave empty for no limit.")
    )
    once_per_person = models.BooleanField(_("one use per person"), default=True)
    is_active = models.BooleanField(_("active"), default=True, help_text=_("Untick to pause the code."))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("coupon")
        verbose_name_plural = _("coupons")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(Upper("code"), name="coupon_code_unique_ci"),
            models.CheckConstraint(condition=Q(value__gt=0), name="coupon_value_positive"),
            models.CheckConstraint(
                condition=~Q(kind="percent") | Q(value__lte=100), name="coupon_percent_at_most_100"
            ),
            models.CheckConstraint(
                condition=Q(course__isnull=True) | Q(cohort__isnull=True), name="coupon_one_scope"
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def discount_on(self, price: Decimal) -> Decimal:
        """What the code takes off a price: never more than the price."""
        off = money(price * self.value / 100) if self.kind == self.Kind.PERCENT else money(self.value)
        return min(off, money(price))


class EarlyBird(models.Model):
    """A price window on a cohort: the early price from the first day (or from the start of
    sales) up to and including the last day, in the site's time zone; the cohort's regular
    price outside every window. A cohort's windows never overlap (billing.services.prices)."""

    cohort = models.ForeignKey(
        "cohorts.Cohort", verbose_name=_("cohort"), on_delete=models.CASCADE, related_name="early_birds"
    )
    price = models.DecimalField(_("early-bird price"), max_digits=10, decimal_places=2)
    first_day = models.DateField(
        _("first day"), null=True, blank=True, help_text=_("Leave empty: from the start of sales.")
    )
    last_day = models.DateField(_("last day of the early-bird price"))

    class Meta:
        verbose_name = _("early-bird price")
        verbose_name_plural = _("early-bird prices")
        ordering = ["cohort", "last_day", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gt=0), name="early_bird_price_positive"),
            models.CheckConstraint(
                condition=Q(first_day__isnull=True) | Q(first_day__lte=F("last_day")),
                name="early_bird_first_day_not_after_last",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cohort} · {self.price} · {self.first_day or '…'}–{self.last_day}"


INSTALMENT_PERIODS = (3, 6, 12)


class InstalmentPlan(models.Model):
    """花呗分期 for a cohort: the numbers of periods a buyer may choose, and who pays Alipay's
    fee. Offered only where Alipay page / wap pay is used (ALIPAY_PRODUCT = "page")."""

    class FeePayer(models.TextChoices):
        BUYER = "buyer", _("The buyer pays the fee")
        SELLER = "seller", _("I pay the fee (interest-free for the buyer)")

    cohort = models.OneToOneField(
        "cohorts.Cohort", verbose_name=_("cohort"), on_delete=models.CASCADE, related_name="instalment_plan"
    )
    periods = ArrayField(
        models.PositiveSmallIntegerField(), verbose_name=_("periods allowed"), default=list, blank=True
    )
    fee_payer = models.CharField(
        _("who pays the fee"), max_length=8, choices=FeePayer.choices, default=FeePayer.BUYER
    )
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("instalment plan")
        verbose_name_plural = _("instalment plans")
        constraints = [
            models.CheckConstraint(
                condition=Q(periods__contained_by=list(INSTALMENT_PERIODS)), name="instalment_periods_known"
            ),
            models.CheckConstraint(
                condition=Q(fee_payer__in=["buyer", "seller"]), name="instalment_fee_payer_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cohort} · {'/'.join(str(n) for n in self.periods) or '-'}"


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
    # What the buyer pays and every provider is asked for: the list price less the discount.
    amount = models.DecimalField(_("amount to pay"), max_digits=10, decimal_places=2)
    list_price = models.DecimalField(_("list price"), max_digits=10, decimal_places=2, null=True, blank=True)
    discount = models.DecimalField(_("discount"), max_digits=10, decimal_places=2, default=Decimal("0.00"))
    coupon = models.ForeignKey(
        Coupon,
        verbose_name=_("coupon"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
    )
    # 花呗分期 chosen when the Alipay payment started: the number of periods (None: paid at once)
    # and whether the seller pays the fee (hb_fq_seller_percent 100) or the buyer (0).
    instalments = models.PositiveSmallIntegerField(_("Huabei instalments"), null=True, blank=True)
    instalment_fee_by_seller = models.BooleanField(_("seller pays the instalment fee"), default=False)
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
            # Free only through a 100 %-off coupon: such an order is paid without a provider.
            models.CheckConstraint(
                condition=Q(amount__gt=0) | Q(amount=0, coupon__isnull=False),
                name="order_amount_positive_or_free",
            ),
            models.CheckConstraint(condition=Q(discount__gte=0), name="order_discount_not_negative"),
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
    def payment_subject(self) -> str:
        """What the provider's page and the payer's bill say it is for."""
        return str(self.cohort)

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


def payment_trial_number_new() -> str:
    """A trial payment's number: never an order's (those begin with OP), so a notification for
    it can be told apart before any order is looked for."""
    stamp = timezone.localtime().strftime("%y%m%d")
    return PAYMENT_TRIAL_PREFIX + stamp + "".join(secrets.choice(ORDER_ALPHABET) for _ in range(8))


PAYMENT_TRIAL_PREFIX = "TRY"


class PaymentTrial(models.Model):
    """试付款: the founder pays a cent (a sandbox's play money where the provider has a
    sandbox) to see a payment method work end to end: the trade created, the payment
    notification received and its signature verified, the money refunded at once.

    Not an order: it sells no seat and no number counts it (revenue, deals, the funnel and the
    weekly ten read orders only)."""

    class Status(models.TextChoices):
        STARTED = "started", _("Waiting for the payment")
        PAID = "paid", _("Paid, refund queued")
        REFUNDING = "refunding", _("Refund under way")
        REFUNDED = "refunded", _("Paid and refunded")
        FAILED = "failed", _("Failed")

    number = models.CharField(_("trial number"), max_length=32, unique=True, default=payment_trial_number_new)
    provider = models.CharField(_("provider"), max_length=16, choices=Provider.choices)
    sandbox = models.BooleanField(_("sandbox"), default=False)
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.STARTED)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    # How the founder pays it: a QR code's text, or a hosted page to follow.
    qr_text = models.TextField(_("QR code text"), blank=True)
    url = models.URLField(_("payment page"), max_length=4000, blank=True)
    provider_trade_no = models.CharField(_("provider trade number"), max_length=128, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    # When a correctly signed notification said so: the notification address works.
    notified_at = models.DateTimeField(_("notification verified at"), null=True, blank=True)
    out_refund_no = models.CharField(_("our refund number"), max_length=64, blank=True)
    refunded_at = models.DateTimeField(_("refunded at"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("trial payment")
        verbose_name_plural = _("trial payments")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_trial_amount_positive"),
            models.CheckConstraint(
                condition=~Q(status__in=["paid", "refunding", "refunded"]) | Q(paid_at__isnull=False),
                name="payment_trial_paid_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def payment_subject(self) -> str:
        """What the provider's page and the payer's bill say it is for."""
        return str(_("Trial payment (refunded at once)"))

    @property
    def buyer_email(self) -> str:
        return self.started_by.email if self.started_by_id and self.started_by else ""

    @property
    def is_expired(self) -> bool:
        return self.status == self.Status.STARTED and self.expires_at <= timezone.now()

    @property
    def should_poll(self) -> bool:
        """Whether its page should keep asking: a payment or a refund is still to come."""
        if self.status == self.Status.STARTED:
            return self.expires_at > timezone.now() - timedelta(minutes=5)
        return self.status in (self.Status.PAID, self.Status.REFUNDING)

    @property
    def is_settled(self) -> bool:
        """Nothing more will happen to it by itself: refunded, failed or expired unpaid."""
        return self.status in (self.Status.REFUNDED, self.Status.FAILED) or self.is_expired


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


def waitlist_token_new() -> str:
    return secrets.token_urlsafe(24)


class WaitlistEntry(models.Model):
    """A person waiting for a seat in a full (or not yet open) cohort: one per lead per cohort.

    An offer holds one seat for WAITLIST_OFFER_HOURS (it counts against capacity like a pending
    order); unanswered, it lapses and the next person in line gets it.
    """

    class Status(models.TextChoices):
        WAITING = "waiting", _("In line")
        OFFERED = "offered", _("Seat offered")
        ACCEPTED = "accepted", _("Order placed")
        LAPSED = "lapsed", _("Offer lapsed")
        REMOVED = "removed", _("Removed")

    cohort = models.ForeignKey(
        "cohorts.Cohort", verbose_name=_("cohort"), on_delete=models.CASCADE, related_name="waitlist"
    )
    lead = models.ForeignKey(
        "crm.Lead", verbose_name=_("lead"), on_delete=models.CASCADE, related_name="waitlist_entries"
    )
    name = models.CharField(_("name"), max_length=100)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.WAITING)
    token = models.CharField(_("offer token"), max_length=64, unique=True, default=waitlist_token_new)
    created_at = models.DateTimeField(_("joined at"), default=timezone.now)
    offered_at = models.DateTimeField(_("offered at"), null=True, blank=True)
    offer_expires_at = models.DateTimeField(_("offer held until"), null=True, blank=True, db_index=True)
    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The founder recommended the next cohort to the whole line: e-mailed (or, without an
    # e-mail, listed to call), once per person and cohort; no seat is held by it.
    next_cohort = models.ForeignKey(
        "cohorts.Cohort",
        verbose_name=_("next cohort recommended"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    next_cohort_offered_at = models.DateTimeField(_("next cohort recommended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("waitlist entry")
        verbose_name_plural = _("waitlist entries")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["cohort", "lead"], name="waitlist_one_per_lead"),
            models.CheckConstraint(
                condition=~Q(status="offered") | Q(offer_expires_at__isnull=False),
                name="waitlist_offer_has_end",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cohort} · {self.name}"


class CheckoutFollowUp(models.Model):
    """The one e-mail sent to a buyer whose order expired unpaid: one per person per cohort."""

    cohort = models.ForeignKey(
        "cohorts.Cohort", verbose_name=_("cohort"), on_delete=models.CASCADE, related_name="+"
    )
    email = models.EmailField(_("e-mail"))
    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        verbose_name = _("abandoned-checkout e-mail")
        verbose_name_plural = _("abandoned-checkout e-mails")
        constraints = [
            models.UniqueConstraint(fields=["cohort", "email"], name="checkout_follow_up_once"),
        ]

    def __str__(self) -> str:
        return f"{self.cohort} · {self.email}"


class ReferralSettings(models.Model):
    """What a student gets when a friend who came through their referral link pays: nothing
    (the default), a coupon issued and e-mailed to them, or an amount the founder pays by hand.
    One row; a change applies to the payments that come after it."""

    class Reward(models.TextChoices):
        NONE = "none", _("No reward")
        COUPON = "coupon", _("A coupon for the referrer")
        CASH = "cash", _("Cash, paid by the founder by hand")

    reward = models.CharField(_("reward"), max_length=8, choices=Reward.choices, default=Reward.NONE)
    coupon_kind = models.CharField(
        _("coupon kind"), max_length=8, choices=Coupon.Kind.choices, default=Coupon.Kind.PERCENT
    )
    coupon_value = models.DecimalField(
        _("coupon value"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Percent (1–100) or amount off."),
    )
    coupon_valid_days = models.PositiveIntegerField(
        _("coupon valid for (days)"), default=90, help_text=_("From the day the friend pays.")
    )
    cash_amount = models.DecimalField(
        _("cash amount"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    updated_at = models.DateTimeField(_("updated at"), null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("referral reward settings")
        verbose_name_plural = _("referral reward settings")

    def __str__(self) -> str:
        return str(_("Referral reward settings"))

    def clean(self) -> None:
        """The chosen reward needs its amount; the other kind's fields are left as they are."""
        errors = {}
        if self.reward == self.Reward.COUPON:
            if self.coupon_value is None or self.coupon_value <= 0:
                errors["coupon_value"] = _("Enter how much the coupon takes off.")
            elif self.coupon_kind == Coupon.Kind.PERCENT and self.coupon_value > 100:
                errors["coupon_value"] = _("A percentage is at most 100.")
            if not self.coupon_valid_days:
                errors["coupon_valid_days"] = _("Give the coupon at least one day.")
        if self.reward == self.Reward.CASH and (self.cash_amount is None or self.cash_amount <= 0):
            errors["cash_amount"] = _("Enter the amount you will pay.")
        if errors:
            raise ValidationError(errors)

    @classmethod
    def current(cls) -> "ReferralSettings":
        return cls.objects.order_by("pk").first() or cls()


class ReferralReward(models.Model):
    """What a referrer was credited for one paid order of a friend they brought (the order's
    lead was `referred_by` them): one per order, whatever notifications repeat."""

    class Kind(models.TextChoices):
        COUPON = "coupon", _("Coupon")
        CASH = "cash", _("Cash")

    class Status(models.TextChoices):
        SENT = "sent", _("Coupon sent")
        OWED = "owed", _("Owed")
        PAID = "paid", _("Paid")
        # The friend's order was refunded before the cash was paid.
        VOID = "void", _("Order refunded — don't pay")

    order = models.OneToOneField(
        Order, verbose_name=_("friend's order"), on_delete=models.PROTECT, related_name="referral_reward"
    )
    referrer = models.ForeignKey(
        "cohorts.Student",
        verbose_name=_("referrer"),
        on_delete=models.PROTECT,
        related_name="referral_rewards",
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices)
    amount = models.DecimalField(_("cash amount"), max_digits=10, decimal_places=2, null=True, blank=True)
    coupon = models.OneToOneField(
        Coupon,
        verbose_name=_("coupon"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referral_reward",
    )
    created_at = models.DateTimeField(_("credited at"), default=timezone.now)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("marked paid by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    paid_note = models.CharField(_("how it was paid"), max_length=200, blank=True)
    # Set when the friend's order was refunded (in part or in full) before the reward was paid
    # or its coupon used: the founder decides; a coupon already sent is not taken back.
    order_refunded_at = models.DateTimeField(_("friend's order refunded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("referral reward")
        verbose_name_plural = _("referral rewards")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="coupon", coupon__isnull=False) | Q(kind="cash", amount__gt=0),
                name="referral_reward_has_what_it_gives",
            ),
            models.CheckConstraint(
                condition=~Q(status="paid") | Q(paid_at__isnull=False), name="referral_reward_paid_has_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.order}"
