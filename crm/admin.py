from django.contrib import admin

from crm.models import (
    Channel,
    Consultation,
    ContentPiece,
    ContentSettings,
    Lead,
    LeadImport,
    LeadNote,
    LeadTouch,
    SignupSettings,
    TrackedLink,
)

TOUCH_FIELDS = ("touched_at", "kind", "channel", "utm_source", "utm_campaign", "utm_content")


class LeadTouchInline(admin.TabularInline):
    model = LeadTouch
    extra = 0
    fields = TOUCH_FIELDS
    readonly_fields = TOUCH_FIELDS
    can_delete = False


class ConsultationInline(admin.TabularInline):
    model = Consultation
    extra = 0
    fields = ["kind", "scheduled_at", "held_at", "status", "notes"]


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "phone", "channel", "utm_campaign", "status", "is_spam", "created_at"]
    list_filter = ["status", "is_spam", "source", "channel", "created_at"]
    search_fields = ["name", "email", "phone", "wechat", "utm_campaign", "utm_content"]
    date_hierarchy = "created_at"
    inlines = [LeadTouchInline, ConsultationInline]
    readonly_fields = ["updated_at", "last_touch_at"]


@admin.register(LeadTouch)
class LeadTouchAdmin(admin.ModelAdmin):
    list_display = ["lead", "kind", "channel", "utm_source", "utm_campaign", "touched_at"]
    list_filter = ["kind", "channel", "touched_at"]
    search_fields = ["lead__name", "lead__email", "utm_campaign", "utm_content"]
    list_select_related = ["lead"]
    raw_id_fields = ["lead"]


@admin.register(LeadNote)
class LeadNoteAdmin(admin.ModelAdmin):
    list_display = ["lead", "kind", "author", "created_at"]
    list_filter = ["kind", "created_at"]
    search_fields = ["lead__name", "body"]
    list_select_related = ["lead", "author"]
    raw_id_fields = ["lead"]


@admin.register(Consultation)
class ConsultationAdmin(admin.ModelAdmin):
    list_display = ["lead", "kind", "status", "scheduled_at", "held_at"]
    list_filter = ["kind", "status", "held_at"]
    search_fields = ["lead__name", "lead__email", "lead__phone", "notes"]
    list_select_related = ["lead"]
    raw_id_fields = ["lead"]


@admin.register(SignupSettings)
class SignupSettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "wechat_id", "updated_at"]

    def has_add_permission(self, request) -> bool:
        # One row: the thank-you page reads the first.
        return not SignupSettings.objects.exists()


@admin.register(LeadImport)
class LeadImportAdmin(admin.ModelAdmin):
    list_display = ["filename", "status", "total_rows", "processed_rows", "created_leads", "created_at"]
    list_filter = ["status"]
    readonly_fields = ["row_errors", "finished_at"]


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh_hans", "name_en", "is_hidden", "position"]
    list_editable = ["name_zh_hans", "name_en", "is_hidden", "position"]
    search_fields = ["code", "name_zh_hans", "name_en"]

    def get_readonly_fields(self, request, obj=None):
        # A code stays once leads and links carry it: rename the channel instead.
        return ["code"] if obj else []


@admin.register(TrackedLink)
class TrackedLinkAdmin(admin.ModelAdmin):
    list_display = ["__str__", "channel", "campaign", "content", "page", "created_at"]
    list_filter = ["channel"]
    search_fields = ["label", "campaign", "content"]


@admin.register(ContentPiece)
class ContentPieceAdmin(admin.ModelAdmin):
    list_display = ["title", "channel", "campaign", "published_on", "cost_money", "cost_hours"]
    list_filter = ["channel"]
    search_fields = ["title", "campaign", "url"]
    date_hierarchy = "published_on"


@admin.register(ContentSettings)
class ContentSettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "hour_value", "updated_at"]

    def has_add_permission(self, request) -> bool:
        # One row: the figures read the first.
        return not ContentSettings.objects.exists()
