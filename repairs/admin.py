from django.contrib import admin

from . import models


@admin.register(models.WorkOrder)
class WorkOrderAdmin(admin.ModelAdmin):
    list_display = ("reference", "title", "severity", "status", "assignee", "vendor_name", "due_at", "completed_at")
    list_filter = ("status", "severity", "source")
    search_fields = ("reference", "title", "vendor_name")
    raw_id_fields = ("room", "asset", "reporter", "assignee", "supplier", "plan")
    readonly_fields = ("due_soon_notified_at", "overdue_escalated_at", "vendor_reminded_at", "vendor_escalated_at")


@admin.register(models.MaintenancePlan)
class MaintenancePlanAdmin(admin.ModelAdmin):
    list_display = ("title", "frequency", "next_due_on", "is_active")


@admin.register(models.RobotMessage)
class RobotMessageAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "status", "attempts", "last_error")
    list_filter = ("status", "kind")


admin.site.register(models.RepairSettings)
