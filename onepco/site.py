"""The one row of site settings (onepco.models.SiteSettings): read on every page, so kept in
the cache (Redis) and read from the database only after a change or when Redis is away.

`site_settings()` answers a row even on a fresh install (an unsaved one, with the defaults from
the environment); `site_settings_save()` writes it and drops the cached copy after the commit.
"""

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, transaction
from django.utils import timezone

from onepco.models import SiteSettings

CACHE_KEY = "site-settings:v1"
CACHE_SECONDS = 60 * 60
STEP_FIELDS = {"brand": "brand_saved_at", "policies": "policies_saved_at", "email": "email_tested_at"}


def site_settings() -> SiteSettings:
    row = cache.get(CACHE_KEY)
    if isinstance(row, SiteSettings):
        return row
    try:
        row = SiteSettings.objects.order_by("pk").first() or SiteSettings()
    except DatabaseError:
        # The database is away (the 503 page renders through here too): the defaults, uncached.
        return SiteSettings()
    cache.set(CACHE_KEY, row, CACHE_SECONDS)
    return row


def site_settings_fresh() -> SiteSettings:
    """The row as stored now (for a form to edit), not the cached copy."""
    return SiteSettings.objects.order_by("pk").first() or SiteSettings()


def site_settings_forget() -> None:
    cache.delete(CACHE_KEY)


def site_settings_save(row: SiteSettings, *, step: str = "") -> SiteSettings:
    """Save the row (creating it on first use); `step` ("brand", "policies", "email") marks that
    setup step as done now."""
    if row.pk is None:
        existing = SiteSettings.objects.order_by("pk").first()
        if existing is not None:
            row.pk = existing.pk
    if step:
        setattr(row, STEP_FIELDS[step], timezone.now())
    row.save()
    # Forgotten now, so the rest of this request reads the new row, and again after the commit,
    # because another request may have cached the old row in between.
    site_settings_forget()
    transaction.on_commit(site_settings_forget)
    return row


def site_name(row: SiteSettings | None = None) -> str:
    return (row or site_settings()).site_name or settings.SITE_NAME


def contact_email(row: SiteSettings | None = None) -> str:
    return (row or site_settings()).contact_email or settings.FOUNDER_EMAIL


@dataclass(frozen=True)
class AddressCheck:
    site_url: str
    used: str  # scheme://host[:port] of the request
    matches: bool


def site_url_check(request) -> AddressCheck:
    """SITE_URL (what e-mails, payment notifications and links are built with) against the
    address the founder is using right now."""
    used = f"{request.scheme}://{request.get_host()}".lower()
    configured = urlsplit(settings.SITE_URL)
    normal = f"{configured.scheme}://{configured.netloc}".lower()
    return AddressCheck(site_url=settings.SITE_URL, used=used, matches=normal == used)
