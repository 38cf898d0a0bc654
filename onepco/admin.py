from django.contrib import admin

from onepco.models import DataExport, OutboxMessage


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


@admin.register(DataExport)
class DataExportAdmin(admin.ModelAdmin):
    list_display = ["created_at", "requested_by", "finished_at", "expires_at", "size"]
    list_filter = ["finished_at"]
    search_fields = ["requested_by__email", "file_name"]
    readonly_fields = [
        "token",
        "requested_by",
        "created_at",
        "finished_at",
        "expires_at",
        "file_name",
        "size",
        "error",
    ]
