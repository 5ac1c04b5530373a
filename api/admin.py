from django.contrib import admin

from .models import ApiToken, PartnerClient, WebhookDelivery, WebhookSubscription


@admin.register(PartnerClient)
class PartnerClientAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "bureau", "grant_bureau", "is_active", "created_at"]
    list_filter = ["is_active", "bureau"]
    search_fields = ["name", "contact"]
    filter_horizontal = ["schools"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "client", "name", "expires_at", "revoked_at", "last_used_at"]
    # The hash is never shown; tokens are issued and revoked at /partners/.
    exclude = ["token_hash"]
    readonly_fields = ["prefix", "client", "created_by", "created_at", "last_used_at"]

    def has_add_permission(self, request):
        return False


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["client", "url", "is_active", "created_at"]
    exclude = ["secret"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["delivery_id", "event", "school", "status", "attempts", "response_status", "created_at"]
    list_filter = ["status", "event"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
