from django.contrib import admin

from console.models import (
    Backup,
    BackupSchedule,
    Broadcast,
    BroadcastRecipient,
    DataAccessRequest,
    DataExport,
    ErasureRecord,
)


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


@admin.register(ErasureRecord)
class ErasureRecordAdmin(admin.ModelAdmin):
    """The erasure log is evidence: it can be read, never edited or deleted."""

    list_display = ["erased_at", "subject", "reason", "erased_by"]
    list_filter = ["erased_at"]
    search_fields = ["subject", "reason"]
    readonly_fields = ["subject", "reason", "erased_by", "erased_at", "summary"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(DataAccessRequest)
class DataAccessRequestAdmin(admin.ModelAdmin):
    """The log of downloads asked for by e-mail: read-only, like the erasure log."""

    list_display = ["created_at", "email", "held_data", "code_sent_at", "downloaded_at", "attempts"]
    list_filter = ["created_at", "held_data"]
    search_fields = ["email"]
    exclude = ["code_hash", "token"]
    readonly_fields = [
        "email",
        "language",
        "created_at",
        "expires_at",
        "held_data",
        "code_sent_at",
        "attempts",
        "downloaded_at",
    ]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Backup)
class BackupAdmin(admin.ModelAdmin):
    """Backups are made and restored from the console (系统 → 备份); here they can only be read."""

    list_display = ["created_at", "trigger", "status", "name", "size", "offsite", "drill_ok"]
    list_filter = ["status", "trigger", "offsite", "drill_ok"]
    readonly_fields = [f.name for f in Backup._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(BackupSchedule)
class BackupScheduleAdmin(admin.ModelAdmin):
    list_display = ["enabled", "at", "keep"]


@admin.register(Broadcast)
class BroadcastAdmin(admin.ModelAdmin):
    """Broadcasts are written and sent from the console (群发), which fixes their recipients;
    here they can be read. An e-mail already sent cannot be changed, so nothing is editable."""

    list_display = ["subject", "segment", "status", "send_at", "created_by"]
    list_filter = ["status", "segment"]
    search_fields = ["subject"]
    readonly_fields = [
        "segment",
        "filters",
        "segment_label",
        "status",
        "send_at",
        "created_by",
        "created_at",
        "started_at",
        "finished_at",
        "cancelled_at",
        "job_id",
        "batch_until",
    ]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(BroadcastRecipient)
class BroadcastRecipientAdmin(admin.ModelAdmin):
    list_display = ["email", "name", "broadcast", "status", "sent_at"]
    list_filter = ["status"]
    search_fields = ["email", "name", "broadcast__subject"]
    raw_id_fields = ["broadcast", "lead", "student"]
    readonly_fields = ["status", "reason", "attempts", "retry", "claimed_at", "sent_at", "unsubscribed_at"]

    def has_add_permission(self, request) -> bool:
        return False  # recipients are the segment as it was when the broadcast was sent
