from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsoleConfig(AppConfig):
    """The founder's console and the operations above the five business apps: the home page,
    the system page, data exports and restores, personal-data requests, the demo, health
    checks, the OpenAPI document and the schedule. It may import every app; no app imports it."""

    name = "console"
    verbose_name = _("Console")

    def ready(self) -> None:
        from console import checks  # noqa: F401, PLC0415  (registers the system check)
