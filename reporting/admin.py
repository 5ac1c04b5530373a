from django.contrib import admin

from .models import (
    AwardApplication,
    AwardProgramme,
    AwardRecord,
    Campaign,
    MirroredRecord,
    SchoolMetrics,
    Term,
)


@admin.register(Term)
class TermAdmin(admin.ModelAdmin):
    list_display = ["name", "bureau", "start", "end"]
    list_filter = ["bureau"]


@admin.register(SchoolMetrics)
class SchoolMetricsAdmin(admin.ModelAdmin):
    list_display = ["school", "term", "computed_at"]
    list_filter = ["term"]
    search_fields = ["school__name"]
    readonly_fields = ["school", "term", "values", "computed_at"]


@admin.register(MirroredRecord)
class MirroredRecordAdmin(admin.ModelAdmin):
    list_display = ["kind", "school", "title", "status", "occurred_on", "updated_at"]
    list_filter = ["kind"]
    search_fields = ["title", "school__name"]


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["title", "bureau", "due_on", "issued_at"]


@admin.register(AwardProgramme)
class AwardProgrammeAdmin(admin.ModelAdmin):
    list_display = ["name", "bureau", "kind", "level", "is_open"]


@admin.register(AwardApplication)
class AwardApplicationAdmin(admin.ModelAdmin):
    list_display = ["programme", "school", "status", "readiness", "score", "applied_at"]
    list_filter = ["status"]


@admin.register(AwardRecord)
class AwardRecordAdmin(admin.ModelAdmin):
    list_display = ["title", "school", "level", "granted_on"]
