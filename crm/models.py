import uuid
from urllib.parse import urlencode

from django.conf import settings
from django.core.validators import FileExtensionValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _


class Attribution(models.Model):
    """Where somebody came from: the channel and the tagged link of a touch."""

    channel = models.CharField(_("channel"), max_length=50, blank=True)
    utm_source = models.CharField(_("utm_source"), max_length=200, blank=True)
    utm_medium = models.CharField(_("utm_medium"), max_length=200, blank=True)
    utm_campaign = models.CharField(_("utm_campaign"), max_length=200, blank=True)
    utm_content = models.CharField(_("utm_content"), max_length=200, blank=True)
    landing_page = models.CharField(_("landing page"), max_length=500, blank=True)
    referrer = models.CharField(_("referrer"), max_length=500, blank=True)
    # A student's referral code from their link (?channel=referral&ref=…), as it came.
    referral_code = models.CharField(_("referral code"), max_length=16, blank=True)

    class Meta:
        abstract = True


class Channel(models.Model):
    """A channel's display names: the code that links and leads carry (`?ch=xiaohongshu`) → 小红书.

    Leads keep the code; the registry only names it. A code nobody named yet still shows as it
    is, and a channel is hidden rather than deleted, so no lead's channel ever loses its name.
    """

    # What a lead that came without a tagged link counts under (its channel is empty).
    DIRECT = "direct"

    code = models.SlugField(
        _("code"),
        max_length=50,
        unique=True,
        help_text=_("What the links carry (ch=…): lower-case letters, digits, - and _."),
    )
    name_zh_hans = models.CharField(_("Chinese name"), max_length=100, blank=True)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    is_hidden = models.BooleanField(
        _("hidden"),
        default=False,
        help_text=_("Not offered in the link builder; leads from it keep showing its name."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=100)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        ordering = ["position", "code"]
        constraints = [
            # Leads are matched to a channel case-insensitively; the registry holds the lower case.
            models.CheckConstraint(condition=Q(code=Lower("code")), name="channel_code_lower_case"),
        ]

    def __str__(self) -> str:
        return self.label()

    def label(self, language: str | None = None) -> str:
        """The name in the given (or the active) language, else the other one, else the code."""
        language = language or get_language() or settings.LANGUAGE_CODE
        names = (
            (self.name_en, self.name_zh_hans)
            if language.startswith("en")
            else (self.name_zh_hans, self.name_en)
        )
        return next((name for name in names if name), self.code)


class Lead(Attribution):
    """A person who asked to hear from us. The attribution fields hold the first touch."""

    class Status(models.TextChoices):
        NEW = "new", _("New")
        CONTACTED = "contacted", _("Contacted")
        CONSULTING = "consulting", _("Consulting")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    class Source(models.TextChoices):
        FORM = "form", _("Signup form")
        API = "api", _("API")
        IMPORT = "import", _("Import")
        MANUAL = "manual", _("Added by hand")
        CHECKOUT = "checkout", _("Checkout")

    name = models.CharField(_("name"), max_length=100)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    wechat = models.CharField(_("WeChat ID"), max_length=64, blank=True)
    message = models.TextField(_("message"), blank=True)
    consent_at = models.DateTimeField(_("consent given at"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.NEW, db_index=True
    )
    lost_reason = models.CharField(_("reason lost"), max_length=200, blank=True)
    is_spam = models.BooleanField(_("spam"), default=False)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.FORM)
    # Not auto_now_add: an imported lead counts in the week given by its file.
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    last_touch_at = models.DateTimeField(_("last touch"), null=True, blank=True)
    # The day the founder means to contact the lead again; the console home lists those due.
    next_follow_up_on = models.DateField(_("next follow-up"), null=True, blank=True, db_index=True)
    # The student whose referral link brought the lead, if its first touch was one (the code
    # above matched a student who is not this person). Issue 17's rewards start from here.
    referred_by = models.ForeignKey(
        "cohorts.Student",
        verbose_name=_("referred by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="referred_leads",
    )

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        ordering = ["-created_at", "-id"]
        constraints = [
            # A repeat signup updates the lead it matches; these make a race between two
            # identical signups fail loudly instead of creating a twin.
            models.UniqueConstraint(
                Lower("email"),
                condition=~Q(email="") & Q(is_spam=False),
                name="lead_email_unique",
            ),
            models.UniqueConstraint(
                fields=["phone"],
                condition=~Q(phone="") & Q(is_spam=False),
                name="lead_phone_unique",
            ),
            models.CheckConstraint(
                condition=Q(is_spam=True) | ~Q(email="") | ~Q(phone=""),
                name="lead_has_email_or_phone",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["new", "contacted", "consulting", "won", "lost"]),
                name="lead_status_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["channel", "created_at"], name="lead_channel_created_idx"),
            models.Index(fields=["utm_campaign"], name="lead_campaign_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class LeadTouch(Attribution):
    """One signup, import row or checkout: every time a lead reached us, with its own UTM."""

    class Kind(models.TextChoices):
        FORM = "form", _("Signup form")
        API = "api", _("API")
        IMPORT = "import", _("Import")
        MANUAL = "manual", _("Added by hand")
        CHECKOUT = "checkout", _("Checkout")

    lead = models.ForeignKey(Lead, verbose_name=_("lead"), on_delete=models.CASCADE, related_name="touches")
    # The id the API answers with: new for every signup, so a repeat reveals nothing.
    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.FORM)
    message = models.TextField(_("message"), blank=True)
    touched_at = models.DateTimeField(_("touched at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("lead touch")
        verbose_name_plural = _("lead touches")
        ordering = ["-touched_at", "-id"]

    def __str__(self) -> str:
        return f"{self.lead} · {self.touched_at:%Y-%m-%d %H:%M}"


class LeadNote(models.Model):
    """The founder's notes and the lead's history (status changes) on one timeline."""

    class Kind(models.TextChoices):
        NOTE = "note", _("Note")
        STATUS = "status", _("Status change")
        SYSTEM = "system", _("System")

    lead = models.ForeignKey(Lead, verbose_name=_("lead"), on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.NOTE)
    # As written, in the language of the moment: what the admin and old rows show.
    body = models.TextField(_("text"))
    # What a status change or a system line records, in codes, so the timeline reads in the
    # reader's language: {"from": "new", "to": "lost", "reason": "…"} or
    # {"consultation": "trial", "status": "held"}. Empty for the founder's own notes.
    facts = models.JSONField(_("facts"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("lead note")
        verbose_name_plural = _("lead notes")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.body[:60]

    @property
    def text(self) -> str:
        """The line in the active language when its facts say what it records, else as written."""
        return self.describe(self.kind, self.facts or {}) or self.body

    @staticmethod
    def describe(kind: str, facts: dict) -> str:
        """The line the facts record, in the active language ("New → Lost (no budget)",
        "Trial class: Held"), or "" for facts it cannot read."""
        statuses = dict(Lead.Status.choices)
        if kind == LeadNote.Kind.STATUS and facts.get("to") in statuses:
            new = statuses[facts["to"]]
            if facts.get("from") in statuses:
                line = gettext("%(old)s → %(new)s") % {"old": statuses[facts["from"]], "new": new}
            else:
                line = gettext("Status: %(status)s") % {"status": new}
            if facts.get("reason"):
                line = gettext("%(change)s (%(reason)s)") % {"change": line, "reason": facts["reason"]}
            return line
        kinds, outcomes = dict(Consultation.Kind.choices), dict(Consultation.Status.choices)
        if (
            kind == LeadNote.Kind.SYSTEM
            and facts.get("consultation") in kinds
            and facts.get("status") in outcomes
        ):
            return gettext("%(kind)s: %(status)s") % {
                "kind": kinds[facts["consultation"]],
                "status": outcomes[facts["status"]],
            }
        return ""


class Consultation(models.Model):
    """A trial class or a 1:1 call with a lead."""

    class Kind(models.TextChoices):
        TRIAL = "trial", _("Trial class")
        CALL = "call", _("1:1 call")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        HELD = "held", _("Held")
        NO_SHOW = "no_show", _("No-show")
        CANCELLED = "cancelled", _("Cancelled")

    lead = models.ForeignKey(
        Lead, verbose_name=_("lead"), on_delete=models.CASCADE, related_name="consultations"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.CALL)
    scheduled_at = models.DateTimeField(_("scheduled for"), null=True, blank=True)
    meeting_url = models.URLField(_("meeting link"), max_length=500, blank=True)
    held_at = models.DateTimeField(_("held at"), null=True, blank=True, db_index=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.SCHEDULED)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        ordering = ["-scheduled_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="held") | Q(held_at__isnull=False),
                name="consultation_held_has_time",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["scheduled", "held", "no_show", "cancelled"]),
                name="consultation_status_valid",
            ),
            models.CheckConstraint(condition=Q(kind__in=["trial", "call"]), name="consultation_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.lead}"


class SignupSettings(models.Model):
    """What the thank-you page offers as the next step. One row, edited in the admin."""

    wechat_id = models.CharField(_("founder's WeChat ID"), max_length=64, blank=True)
    wechat_qr = models.FileField(
        _("WeChat QR code"),
        upload_to="crm/qr/",
        blank=True,
        validators=[FileExtensionValidator(["png", "jpg", "jpeg", "webp", "gif"])],
        help_text=_("An image of the founder's WeChat QR code, shown after a signup."),
    )
    trial_booking_url = models.URLField(
        _("trial class booking link"),
        blank=True,
        help_text=_("Where a new lead books a trial class (a calendar or form link). Optional."),
    )
    next_step = models.TextField(
        _("next step text"),
        blank=True,
        help_text=_("Shown on the thank-you page above the QR code. Empty: a standard text."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("signup page settings")
        verbose_name_plural = _("signup page settings")

    def __str__(self) -> str:
        return str(_("Signup page settings"))

    @classmethod
    def current(cls) -> "SignupSettings":
        return cls.objects.order_by("pk").first() or cls()


class LeadImport(models.Model):
    """An uploaded CSV of leads: previewed first, then imported row by row by a background job."""

    class Status(models.TextChoices):
        PREVIEW = "preview", _("Waiting for confirmation")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    file = models.FileField(_("file"), upload_to="crm/imports/")
    filename = models.CharField(_("file name"), max_length=200, blank=True)
    encoding = models.CharField(_("encoding"), max_length=16, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PREVIEW)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows processed"), default=0)
    created_leads = models.PositiveIntegerField(_("new leads"), default=0)
    updated_leads = models.PositiveIntegerField(_("updated leads"), default=0)
    # [{"row": 3, "errors": {"phone": ["…"]}}]: rows skipped, with why.
    row_errors = models.JSONField(_("row errors"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # Moved on with every row: an import queued or running that stops moving has lost its worker.
    progressed_at = models.DateTimeField(_("last progress"), null=True, blank=True)

    class Meta:
        verbose_name = _("lead import")
        verbose_name_plural = _("lead imports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.filename or f"#{self.pk}"

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 100 if self.status == self.Status.DONE else 0
        return min(100, round(100 * self.processed_rows / self.total_rows))


class ContentPiece(models.Model):
    """A post, video or article the founder published, and what it cost: money and hours.

    Leads reach a piece through the link builder's links attached to it (a lead counts for the
    link its first touch carries the tags of); what it brought is read in `dashboard.selectors.roi`.
    Deleting a piece detaches its links and leaves every lead as it was.
    """

    channel = models.CharField(_("channel"), max_length=50)
    campaign = models.CharField(_("campaign"), max_length=200, blank=True)
    title = models.CharField(_("title"), max_length=200)
    url = models.URLField(_("link to the piece"), max_length=500, blank=True)
    published_on = models.DateField(_("published on"), db_index=True)
    cost_money = models.DecimalField(
        _("cost (money)"),
        max_digits=12,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
        help_text=_("What you paid for it: ads, a designer, a tool."),
    )
    cost_hours = models.DecimalField(
        _("cost (hours)"),
        max_digits=7,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
        help_text=_("The hours you spent on it, costed at your hourly value."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("content piece")
        verbose_name_plural = _("content pieces")
        ordering = ["-published_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(cost_money__gte=0), name="content_piece_cost_money_positive"),
            models.CheckConstraint(condition=Q(cost_hours__gte=0), name="content_piece_cost_hours_positive"),
            models.CheckConstraint(condition=Q(channel=Lower("channel")), name="content_piece_channel_lower"),
        ]

    def __str__(self) -> str:
        return self.title


class ContentSettings(models.Model):
    """One row: what an hour of the founder's time is worth when a piece's cost is counted.
    0 (the default) leaves hours uncosted until the founder sets it."""

    hour_value = models.DecimalField(
        _("your hourly value"),
        max_digits=10,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
        help_text=_("What an hour of your time is worth. 0: hours are not costed."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("content settings")
        verbose_name_plural = _("content settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(hour_value__gte=0), name="content_settings_hour_value_positive"
            ),
        ]

    def __str__(self) -> str:
        return str(_("Content settings"))

    @classmethod
    def current(cls) -> "ContentSettings":
        return cls.objects.order_by("pk").first() or cls()


class TrackedLink(models.Model):
    """A tagged link the link builder made: a page and the tags a visit through it carries.

    Kept so the founder sees, link by link, the leads and deals it brought; making the same link
    again returns this row. The tags are what a lead's first touch records (`crm.attribution`),
    so a lead counts for the link whose channel, campaign and content it carries.
    """

    page = models.CharField(_("page"), max_length=200)
    channel = models.CharField(_("channel"), max_length=50)
    campaign = models.CharField(_("campaign"), max_length=200, blank=True)
    content = models.CharField(_("content piece"), max_length=200, blank=True)
    label = models.CharField(_("label"), max_length=200, blank=True)
    # The piece of content the link was made for: its leads and deals count for the piece.
    piece = models.ForeignKey(
        ContentPiece,
        verbose_name=_("piece"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="links",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("tracked link")
        verbose_name_plural = _("tracked links")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["page", "channel", "campaign", "content"], name="tracked_link_unique"
            ),
            models.CheckConstraint(condition=Q(channel=Lower("channel")), name="tracked_link_channel_lower"),
        ]

    def __str__(self) -> str:
        return self.label or " · ".join(part for part in (self.channel, self.campaign, self.content) if part)

    @property
    def query(self) -> dict[str, str]:
        """The link's query string as a dict: what `crm.attribution` reads back."""
        params = {"ch": self.channel, "utm_source": self.channel}
        if self.campaign:
            params["utm_campaign"] = self.campaign
        if self.content:
            params["utm_content"] = self.content
        return params

    @property
    def url(self) -> str:
        return f"{settings.SITE_URL}{self.page}?{urlencode(self.query)}"
