from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import Bureau, Domain, Membership, School, User
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


# /admin/login/ is counted and serialized like the sign-in page (tenants/throttle.py).
admin.site.login_form = AdminSignInForm
