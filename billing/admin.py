from django.contrib import admin

from billing.forms import PayeeAccountForm
from billing.models import (
    CheckoutFollowUp,
    Coupon,
    EarlyBird,
    InstalmentPlan,
    Order,
    PayeeAccount,
    PaymentEvent,
    PaymentTrial,
    ReferralReward,
    ReferralSettings,
    Refund,
    TransferProof,
    WaitlistEntry,
)


class PaymentEventInline(admin.TabularInline):
    model = PaymentEvent
    extra = 0
    fields = readonly_fields = ("received_at", "provider", "kind", "event_id", "verified", "outcome", "error")
    can_delete = False
    show_change_link = True


class RefundInline(admin.TabularInline):
    model = Refund
    extra = 0
    fields = readonly_fields = ("out_refund_no", "amount", "status", "refunded_at", "reason")
    can_delete = False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "buyer_name",
        "cohort",
        "amount",
        "currency",
        "status",
        "provider",
        "created_at",
        "paid_at",
    ]
    list_filter = ["status", "provider", "cohort", "paid_at"]
    search_fields = ["number", "provider_trade_no", "buyer_name", "buyer_email", "buyer_phone"]
    list_select_related = ["cohort__course"]
    raw_id_fields = ["lead", "user", "enrollment", "created_by"]
    date_hierarchy = "created_at"
    inlines = [RefundInline, PaymentEventInline]


@admin.register(PaymentEvent)
class PaymentEventAdmin(admin.ModelAdmin):
    list_display = ["received_at", "provider", "kind", "event_id", "order", "verified", "outcome"]
    list_filter = ["provider", "kind", "verified", "outcome"]
    search_fields = ["event_id", "order__number", "body"]
    list_select_related = ["order"]
    raw_id_fields = ["order"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # the audit trail is read-only


@admin.register(Refund)
class RefundAdmin(admin.ModelAdmin):
    list_display = ["out_refund_no", "order", "amount", "status", "created_at", "refunded_at"]
    list_filter = ["status", "refunded_at"]
    search_fields = ["out_refund_no", "provider_refund_id", "order__number"]
    list_select_related = ["order"]
    raw_id_fields = ["order", "created_by"]


@admin.register(PaymentTrial)
class PaymentTrialAdmin(admin.ModelAdmin):
    list_display = ["number", "provider", "amount", "status", "created_at", "paid_at", "refunded_at"]
    list_filter = ["provider", "status"]
    search_fields = ["number", "provider_trade_no"]
    raw_id_fields = ["started_by"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # what the provider said, as it said it


@admin.register(PayeeAccount)
class PayeeAccountAdmin(admin.ModelAdmin):
    """The founder's personal QR codes / bank details: manual transfer is offered while one is active."""

    list_display = ["title", "kind", "is_active", "position"]
    list_editable = ["is_active", "position"]
    form = PayeeAccountForm


@admin.register(TransferProof)
class TransferProofAdmin(admin.ModelAdmin):
    list_display = ["order", "uploaded_at", "status", "reviewed_at", "reviewed_by"]
    list_filter = ["status"]
    search_fields = ["order__number", "note"]
    list_select_related = ["order", "reviewed_by"]
    raw_id_fields = ["order", "reviewed_by"]
    readonly_fields = ["status", "reviewed_at", "reviewed_by"]  # decided in the console, through the service


@admin.register(EarlyBird)
class EarlyBirdAdmin(admin.ModelAdmin):
    list_display = ["cohort", "price", "first_day", "last_day"]
    list_select_related = ["cohort__course"]


@admin.register(InstalmentPlan)
class InstalmentPlanAdmin(admin.ModelAdmin):
    list_display = ["cohort", "periods", "fee_payer", "updated_at"]
    list_select_related = ["cohort__course"]


@admin.register(Coupon)
class CouponAdmin(admin.ModelAdmin):
    list_display = ["code", "kind", "value", "course", "cohort", "valid_until", "max_uses", "is_active"]
    search_fields = ["code"]


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(admin.ModelAdmin):
    list_display = ["name", "cohort", "position", "status", "offer_expires_at", "created_at"]
    list_filter = ["status", "cohort"]
    search_fields = ["name", "email", "phone"]
    list_select_related = ["cohort__course"]
    raw_id_fields = ["lead", "order"]


@admin.register(CheckoutFollowUp)
class CheckoutFollowUpAdmin(admin.ModelAdmin):
    list_display = ["email", "cohort", "sent_at"]
    list_select_related = ["cohort__course"]
    raw_id_fields = ["order"]


@admin.register(ReferralSettings)
class ReferralSettingsAdmin(admin.ModelAdmin):
    list_display = ["reward", "coupon_kind", "coupon_value", "coupon_valid_days", "cash_amount", "updated_at"]


@admin.register(ReferralReward)
class ReferralRewardAdmin(admin.ModelAdmin):
    list_display = ["order", "referrer", "kind", "status", "amount", "coupon", "created_at", "paid_at"]
    list_filter = ["kind", "status"]
    list_select_related = ["order", "referrer__user", "coupon"]
    raw_id_fields = ["order", "referrer", "coupon", "paid_by"]
