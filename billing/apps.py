from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        from billing import checks  # noqa: F401, PLC0415  (registers the system check)

    def warm_up(self) -> None:
        """Called by onepco/wsgi.py in gunicorn's master: import the payment SDKs there, once."""
        from billing.providers import providers_import_all  # noqa: PLC0415  (needs the models loaded)

        providers_import_all()
