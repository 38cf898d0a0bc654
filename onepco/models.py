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
    import secrets

    return secrets.token_urlsafe(32)


class DataExport(models.Model):
    """An archive of the whole business the founder asked for from the console.

    Built by a background job, downloadable with its unguessable token until it expires.
    """

    token = models.CharField(_("token"), max_length=64, unique=True, default=_export_token)
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

    class Meta:
        verbose_name = _("erasure record")
        verbose_name_plural = _("erasure records")
        ordering = ["-erased_at", "-id"]

    def __str__(self) -> str:
        return f"{self.subject} · {self.erased_at:%Y-%m-%d %H:%M}"
