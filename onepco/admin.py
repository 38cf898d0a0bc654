from django.contrib import admin

from onepco.models import OutboxMessage, SiteSettings
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
