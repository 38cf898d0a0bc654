from django.contrib import admin

from onepco.models import Delivery, MarketingOptOut, MessagePreference, OutboxMessage, SiteSettings
from onepco.site import site_settings_save


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["id", "job", "created_at", "relayed_at", "relay_attempts", "completed_at"]
    list_filter = ["job", "completed_at"]
    search_fields = ["job", "last_error"]
    readonly_fields = [
        "job",
        "args",
        "kwargs",
        "created_at",
        "relayed_at",
        "relay_attempts",
        "completed_at",
        "last_error",
    ]


@admin.register(SiteSettings)
class SiteSettingsAdmin(admin.ModelAdmin):
    """For repairs only: the founder edits these in the console's 设置."""

    list_display = ["site_name", "contact_email", "updated_at"]
    readonly_fields = ["brand_saved_at", "policies_saved_at", "email_tested_at", "updated_at"]

    def has_add_permission(self, request) -> bool:
        return not SiteSettings.objects.exists()

    def save_model(self, request, obj, form, change) -> None:
        site_settings_save(obj)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """What each message did on each channel: read-only, a record."""

    list_display = ["created_at", "kind", "channel", "status", "address", "subject"]
    list_filter = ["kind", "channel", "status"]
    search_fields = ["address", "key", "subject", "detail"]
    raw_id_fields = ["user", "outbox"]
    readonly_fields = [f.name for f in Delivery._meta.fields]


@admin.register(MessagePreference)
class MessagePreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "email", "wechat", "updated_at"]
    list_filter = ["kind"]
    raw_id_fields = ["user"]


@admin.register(MarketingOptOut)
class MarketingOptOutAdmin(admin.ModelAdmin):
    list_display = ["email", "created_at"]
    search_fields = ["email"]
