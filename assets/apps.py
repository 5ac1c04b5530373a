from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssetsConfig(AppConfig):
    name = "assets"
    verbose_name = _("Assets and repairs")

    def ready(self) -> None:
        from core.todo import todo_provider_register

        # By name: the provider (and the selectors it reads through) is imported on first use.
        todo_provider_register("assets", "assets.todo.todo_items_for")
