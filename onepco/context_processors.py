from django.conf import settings
from django.http import HttpRequest

from onepco.site import site_settings


def site(request: HttpRequest) -> dict:
    row = site_settings()
    return {
        "SITE_NAME": row.site_name or settings.SITE_NAME,
        "SITE_LOGO": bool(row.logo),
        "SITE": row,
        "SITE_CURRENCY": settings.SITE_CURRENCY,
        "DEBUG": settings.DEBUG,
        "FOUNDER_EMAIL": row.contact_email or settings.FOUNDER_EMAIL,
    }
