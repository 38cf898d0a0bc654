from django.conf import settings
from django.core.checks import Error, register


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
