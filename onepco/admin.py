from django.contrib import admin

from onepco.models import OutboxMessage


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
