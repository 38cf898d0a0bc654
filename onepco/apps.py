from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OnepcoConfig(AppConfig):
    name = "onepco"
    verbose_name = _("System")
