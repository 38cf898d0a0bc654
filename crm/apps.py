from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("Leads")

    def ready(self) -> None:
        from crm import checks  # noqa: F401, PLC0415  (registers the settings check)
