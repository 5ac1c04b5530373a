from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import Bureau, Domain, Membership, School, SmsMessage, User
from .throttle import AdminSignInForm


@admin.register(Bureau)
class BureauAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "region"]
    search_fields = ["name", "code"]


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


@admin.register(School)
class SchoolAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "bureau", "status", "student_count", "staff_count"]
    list_filter = ["bureau", "status"]
    search_fields = ["name", "slug"]
    readonly_fields = ["schema_name"]
    inlines = [DomainInline]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fk_name = "user"


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "name", "phone", "is_active"]
    search_fields = ["username", "name", "phone"]
    fieldsets = (*BaseUserAdmin.fieldsets, ("Houqin", {"fields": ("name", "phone")}))
    inlines = [MembershipInline]

    def has_delete_permission(self, request, obj=None) -> bool:
        # The database refuses it too (User.Meta.triggers): people leave by deactivation.
        return False


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "school", "bureau", "is_active"]
    list_filter = ["role", "is_active"]
    search_fields = ["user__username", "user__name"]


@admin.register(SmsMessage)
class SmsMessageAdmin(admin.ModelAdmin):
    """Text messages (the platform operator's view): with no provider configured, the only copy of each."""

    list_display = ["created_at", "phone", "kind", "school", "status", "text"]
    list_filter = ["status", "kind"]
    search_fields = ["phone"]
    readonly_fields = [f.name for f in SmsMessage._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# /admin/login/ is counted and serialized like the sign-in page (tenants/throttle.py).
admin.site.login_form = AdminSignInForm
