from django.conf import settings
from django.http import HttpRequest

from onepco.site import contact_email, site_name, site_settings


def site(request: HttpRequest) -> dict:
    row = site_settings()
    return {
        "SITE_NAME": site_name(row),
        "SITE_LOGO": bool(row.logo),
        "SITE": row,
        "SITE_CURRENCY": settings.SITE_CURRENCY,
        "DEBUG": settings.DEBUG,
        "FOUNDER_EMAIL": contact_email(row),
    }
