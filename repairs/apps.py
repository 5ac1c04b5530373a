from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RepairsConfig(AppConfig):
    name = "repairs"
    verbose_name = _("Repairs")

    def ready(self) -> None:
        from core.todo import todo_provider_register

        # By name: the provider (and the selectors it reads through) is imported on first use.
        todo_provider_register("repairs", "repairs.todo.todo_items_for")

        from assets.selectors import open_work_orders_register

        # A stocktake counts an asset with an open order as under repair, not missing (assets cannot import us).
        open_work_orders_register("repairs.selectors.open_work_orders_of_assets")
