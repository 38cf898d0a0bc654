"""The console's own records: the founder's data exports and the logs of personal-data requests
(erasures, and downloads asked for by e-mail)."""

import secrets
from datetime import time, timedelta

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


def export_token() -> str:
    return secrets.token_urlsafe(32)


class DataExport(models.Model):
    """An archive of the whole business the founder asked for from the console.

    Built by a background job, downloadable with its unguessable token until it expires.
    """

    token = models.CharField(_("token"), max_length=64, unique=True, default=export_token)
    requested_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("requested by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    file_name = models.CharField(_("file"), max_length=200, blank=True)
    size = models.PositiveBigIntegerField(_("size"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("data export")
        verbose_name_plural = _("data exports")
        ordering = ["-created_at", "-id"]
        db_table = "onepco_dataexport"  # created there before the console app existed

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_ready(self) -> bool:
        return bool(self.finished_at and self.file_name and not self.is_expired)

    @property
    def is_expired(self) -> bool:
        return bool(self.expires_at and self.expires_at <= timezone.now())


class ErasureRecord(models.Model):
    """The log of a personal-data erasure: what was erased, on whose request, by whom, when.

    It names the erased records by id only: keeping the person's name here would undo the erasure.
    """

    subject = models.CharField(_("erased records"), max_length=200)
    reason = models.CharField(_("request"), max_length=300, blank=True)
    erased_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("erased by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    erased_at = models.DateTimeField(_("erased at"), default=timezone.now, db_index=True)
    summary = models.JSONField(_("what was erased"), default=dict, blank=True)
    # {model label: [primary keys]} of the rows the erasure changed: copies of them in backup
    # archives are scrubbed the same way (ids only, never what they held).
    rows = models.JSONField(_("rows erased"), default=dict, blank=True)

    class Meta:
        verbose_name = _("erasure record")
        verbose_name_plural = _("erasure records")
        ordering = ["-erased_at", "-id"]
        db_table = "onepco_erasurerecord"  # created there before the console app existed

    def __str__(self) -> str:
        return f"{self.subject} · {self.erased_at:%Y-%m-%d %H:%M}"


def access_token() -> str:
    return secrets.token_urlsafe(24)


class DataAccessRequest(models.Model):
    """Someone asked, by e-mail address, for the data onepco holds for it (right of access).

    A 6-digit code goes to the address if anything is held for it, and nothing otherwise; the
    visitor's page looks the same either way. The code is kept only as a keyed hash, works
    for CODE_LIFETIME from the request, MAX_ATTEMPTS tries, once. The rows stay as the
    founder's log of access requests, as erasures have theirs.
    """

    CODE_MINUTES = 15
    CODE_LIFETIME = timedelta(minutes=CODE_MINUTES)
    MAX_ATTEMPTS = 5

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting to send the code")
        NOTHING_HELD = "nothing_held", _("Nothing held for this address: no e-mail sent")
        SENT = "sent", _("Code sent, not used yet")
        DOWNLOADED = "downloaded", _("Downloaded")
        EXPIRED = "expired", _("Expired unused")
        BLOCKED = "blocked", _("Blocked after too many wrong codes")

    # Names the request's page (the code alone is too short to name anything).
    token = models.CharField(_("token"), max_length=64, unique=True, default=access_token)
    email = models.EmailField(_("e-mail"), db_index=True)
    # The page's language, for the e-mail.
    language = models.CharField(_("language"), max_length=10, blank=True)
    created_at = models.DateTimeField(_("requested at"), default=timezone.now, db_index=True)
    expires_at = models.DateTimeField(_("expires at"))
    # Set by the background job that looks the address up: whether anything is held for it.
    held_data = models.BooleanField(_("data held"), null=True, blank=True)
    code_hash = models.CharField(_("code (hashed)"), max_length=64, blank=True)
    code_sent_at = models.DateTimeField(_("code sent at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("wrong codes"), default=0)
    downloaded_at = models.DateTimeField(_("downloaded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("personal-data access request")
        verbose_name_plural = _("personal-data access requests")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.email} · {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_blocked(self) -> bool:
        return self.attempts >= self.MAX_ATTEMPTS

    @property
    def status(self) -> "DataAccessRequest.Status":
        if self.downloaded_at:
            return self.Status.DOWNLOADED
        if self.held_data is False:
            return self.Status.NOTHING_HELD
        if self.is_blocked:
            return self.Status.BLOCKED
        if self.is_expired:
            return self.Status.EXPIRED
        return self.Status.SENT if self.code_sent_at else self.Status.WAITING


class BackupSchedule(models.Model):
    """When the daily backup runs and how many are kept: the founder's choice, one row."""

    enabled = models.BooleanField(_("daily backup on"), default=True)
    at = models.TimeField(_("time of day"), default=time(3, 0), help_text=_("In the site's time zone."))
    keep = models.PositiveSmallIntegerField(
        _("backups kept"),
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("Older ones are deleted, here and off the box."),
    )

    class Meta:
        verbose_name = _("backup schedule")
        verbose_name_plural = _("backup schedule")

    def __str__(self) -> str:
        return f"{self.at:%H:%M} · {self.keep}"

    @classmethod
    def current(cls) -> "BackupSchedule":
        return cls.objects.get_or_create(pk=1)[0]


class Backup(models.Model):
    """One archive of the whole business, on this machine's disk and (when configured) off it."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    class Trigger(models.TextChoices):
        SCHEDULED = "scheduled", pgettext_lazy("backup", "On schedule")
        MANUAL = "manual", pgettext_lazy("backup", "By hand")

    created_at = models.DateTimeField(_("started at"), default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.RUNNING)
    trigger = models.CharField(
        _("trigger"), max_length=16, choices=Trigger.choices, default=Trigger.SCHEDULED
    )
    name = models.CharField(_("file"), max_length=200, blank=True)
    size = models.PositiveBigIntegerField(_("size"), null=True, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    offsite = models.BooleanField(_("copied off the box"), default=False)
    error = models.TextField(_("error"), blank=True)
    drill_at = models.DateTimeField(_("restore drill at"), null=True, blank=True)
    drill_ok = models.BooleanField(_("restore drill passed"), null=True, blank=True)
    drill_report = models.JSONField(_("restore drill report"), default=list, blank=True)

    class Meta:
        verbose_name = _("backup")
        verbose_name_plural = _("backups")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name or f"{self.created_at:%Y-%m-%d %H:%M}"


class Broadcast(models.Model):
    """One message the founder sends to a segment of people (群发), by e-mail.

    Its recipients are fixed when it is sent (or scheduled); each is sent to at most once, at
    BROADCAST_RATE_PER_MINUTE, by background batches (console/broadcasts.py).
    """

    class Segment(models.TextChoices):
        LEADS = "leads", _("Leads")
        COHORT_STUDENTS = "cohort_students", _("A cohort's active students")
        GRADUATES = "graduates", _("Graduates of a course")
        WAITLIST = "waitlist", _("A cohort's waitlist")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        CANCELLED = "cancelled", _("Cancelled")

    subject = models.CharField(_("subject"), max_length=150)
    body = models.TextField(_("message"), help_text=_("Markdown: **bold**, lists, links."))
    segment = models.CharField(_("recipients"), max_length=20, choices=Segment.choices)
    # The segment's filters as chosen (lead status, channel, campaign, course, dates, cohort).
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    # A readable line of the segment as it was when sent ("Leads · status: New"), for the list.
    segment_label = models.CharField(_("segment"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.SCHEDULED)
    send_at = models.DateTimeField(_("send at"), default=timezone.now)
    created_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    # Bookkeeping of the batches: the RQ job queued for the next one, and the lease of the
    # batch running now (two batches never run at once: the rate holds).
    job_id = models.CharField(_("job"), max_length=64, blank=True)
    batch_until = models.DateTimeField(_("batch running until"), null=True, blank=True)

    class Meta:
        verbose_name = _("broadcast")
        verbose_name_plural = _("broadcasts")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "send_at"], name="broadcast_status_send_idx")]

    def __str__(self) -> str:
        return self.subject

    @property
    def is_open(self) -> bool:
        """Still to send (some or all of it): it can be cancelled."""
        return self.status in (self.Status.SCHEDULED, self.Status.SENDING)


class BroadcastRecipient(models.Model):
    """One person of a broadcast's segment and what became of their e-mail."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        BOUNCED = "bounced", _("Bounced")
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
        SKIPPED = "skipped", _("Skipped")
        CANCELLED = "cancelled", _("Cancelled")

    broadcast = models.ForeignKey(
        Broadcast, verbose_name=_("broadcast"), on_delete=models.CASCADE, related_name="recipients"
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    # Lower case; empty for a person without an address (skipped: "no e-mail").
    email = models.EmailField(_("e-mail"), blank=True)
    lead = models.ForeignKey(
        "crm.Lead", verbose_name=_("lead"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    student = models.ForeignKey(
        "cohorts.Student",
        verbose_name=_("student"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    # Why it failed, bounced or was skipped, in the SMTP server's words where it answered.
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # A failure worth trying again (the server was away, or answered "try later"): the next
    # batch, after RQ's backoff, sends it again. A final failure is not retried.
    retry = models.BooleanField(_("will be retried"), default=False)
    claimed_at = models.DateTimeField(_("sending since"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # They used this e-mail's unsubscribe link.
    unsubscribed_at = models.DateTimeField(_("unsubscribed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("broadcast recipient")
        verbose_name_plural = _("broadcast recipients")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["broadcast", "email"], condition=~Q(email=""), name="broadcast_recipient_once"
            ),
        ]
        indexes = [models.Index(fields=["broadcast", "status"], name="broadcast_recipient_status_idx")]

    def __str__(self) -> str:
        return f"{self.broadcast} · {self.email or self.name}"
