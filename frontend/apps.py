from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FrontendConfig(AppConfig):
    name = "frontend"
    verbose_name = _("User interface")

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the deploy checks)
