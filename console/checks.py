from django.core.checks import Error, register

from onepco.ratelimit import rate_settings_errors


@register()
def data_access_rate_limits_are_valid(app_configs, **kwargs) -> list[Error]:
    """A typo in a data-access rate must stop the start, not turn every request into a 500."""
    return rate_settings_errors(("DATA_ACCESS_RATE_LIMIT", "DATA_ACCESS_EMAIL_RATE_LIMIT"), "console.E001")
