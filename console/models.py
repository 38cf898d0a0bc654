"""The console's own records: the founder's data exports and the log of personal-data erasures."""

import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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
