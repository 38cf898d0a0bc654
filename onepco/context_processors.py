from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict:
    return {
        "SITE_NAME": settings.SITE_NAME,
        "SITE_CURRENCY": settings.SITE_CURRENCY,
        "DEBUG": settings.DEBUG,
        "FOUNDER_EMAIL": settings.FOUNDER_EMAIL,
    }
