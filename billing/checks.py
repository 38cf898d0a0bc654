from django.conf import settings
from django.core.checks import Error, register

from onepco.ratelimit import rate_settings_errors


@register()
def simulated_provider_only_in_debug(app_configs, **kwargs) -> list[Error]:
    """The simulated provider marks orders paid without money: never outside development."""
    if getattr(settings, "PAYMENT_SIMULATED", False) and not settings.DEBUG:
        return [
            Error(
                "PAYMENT_SIMULATED is on while DEBUG is false.",
                hint="The simulated payment provider is for development only: unset PAYMENT_SIMULATED.",
                id="billing.E001",
            )
        ]
    return []


@register()
def checkout_rate_limits_are_valid(app_configs, **kwargs) -> list[Error]:
    """A typo in a checkout rate must stop the start, not turn every checkout into a 500."""
    return rate_settings_errors(("CHECKOUT_RATE_LIMIT", "CHECKOUT_CONTACT_RATE_LIMIT"), "billing.E002")
