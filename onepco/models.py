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
