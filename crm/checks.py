from django.conf import settings
from django.core.checks import Error, register

from crm.ratelimit import rate_parse


@register()
def lead_rate_limit_is_valid(app_configs, **kwargs) -> list[Error]:
    """A typo in LEAD_RATE_LIMIT must stop the start, not turn every signup into a 500."""
    try:
        rate_parse(settings.LEAD_RATE_LIMIT)
    except ValueError as exc:
        return [Error(f"LEAD_RATE_LIMIT: {exc}", id="crm.E001")]
    return []
