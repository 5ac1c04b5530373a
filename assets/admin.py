from django.contrib import admin

from . import models


@admin.register(models.Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "service_life_years", "is_special_equipment")
    search_fields = ("code", "name")


@admin.register(models.Asset)
class AssetAdmin(admin.ModelAdmin):
    list_display = ("asset_number", "name", "kind", "original_value", "room", "condition")
    list_filter = ("kind", "condition")
    search_fields = ("asset_number", "name", "serial_number")
    raw_id_fields = ("category", "room", "user", "department", "supplier", "purchase_line")


@admin.register(models.ConsumableItem)
class ConsumableItemAdmin(admin.ModelAdmin):
    list_display = ("name", "spec", "on_hand", "reorder_level")


admin.site.register(models.Supplier)
