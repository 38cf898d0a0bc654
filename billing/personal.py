"""What billing holds about a buyer, described once (see onepco/personal.py): what they
download and what erasing them removes. An order keeps its number, amount, dates and statuses
(the books and the weekly numbers must still add up) but no longer says who bought."""

from django.db.models import Q
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext as _

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
from onepco.personal import PersonalData

ORDER = PersonalData(
    Order,
    erased={"buyer_name": lambda order: _("Erased person"), "buyer_email": "", "buyer_phone": "", "note": ""},
    kept=(
        "id",
        "number",
        "amount",
        "currency",
        "status",
        "provider",
        "provider_trade_no",
        "created_at",
        "expires_at",
        "paid_at",
        "closed_at",
        "seat_wait_since",
        "list_price",
        "discount",
        "instalments",
        "instalment_fee_by_seller",
    ),
    internal=("lead", "user", "cohort", "created_by", "enrollment", "coupon"),
    context=("cohort__name",),
)
# Providers echo the buyer's account and e-mail in notifications: the audit facts (event id,
# outcome, time) stay, the raw text goes.
PAYMENT_EVENT = PersonalData(
    PaymentEvent,
    erased={"body": "", "body_sha256": ""},  # the hash would confirm a guessed body
    kept=("id", "provider", "kind", "event_id", "received_at", "verified", "outcome", "processed_at"),
    # held_notice: a refund's parsed facts (amounts, numbers) waiting for its payment.
    internal=("order", "headers", "error", "held_notice", "body_length"),
    context=("order__number",),
)
REFUND = PersonalData(
    Refund,
    erased={"reason": ""},
    kept=("id", "amount", "status", "out_refund_no", "provider_refund_id", "created_at", "refunded_at"),
    internal=("order", "created_by", "failure_reason"),
    context=("order__number",),
)
# Transfer screenshots show the payer's name and account: the image goes, the verdict stays.
TRANSFER_PROOF = PersonalData(
    TransferProof,
    erased={"image": "", "note": ""},
    kept=("id", "uploaded_at", "status", "reviewed_at", "reject_reason"),
    internal=("order", "reviewed_by"),
    context=("order__number",),
)
# A waitlist place keeps its position and outcome (the line must still add up), not who waited.
WAITLIST_ENTRY = PersonalData(
    WaitlistEntry,
    erased={"name": lambda entry: _("Erased person"), "email": "", "phone": ""},
    kept=(
        "id",
        "position",
        "status",
        "created_at",
        "offered_at",
        "offer_expires_at",
        "next_cohort_offered_at",
    ),
    internal=("cohort", "lead", "order", "token", "next_cohort"),
    context=("cohort__name",),
)
CHECKOUT_FOLLOW_UP = PersonalData(
    CheckoutFollowUp, erased={"email": ""}, kept=("id", "sent_at"), internal=("cohort", "order")
)
# A reward names the referrer (it is theirs: downloaded and erased with them, not with the
# friend whose order earned it). The founder's note on how it was paid may name their account.
REFERRAL_REWARD = PersonalData(
    ReferralReward,
    erased={"paid_note": ""},
    kept=("id", "kind", "status", "amount", "created_at", "emailed_at", "paid_at", "order_refunded_at"),
    internal=("order", "referrer", "coupon", "paid_by"),
    context=("coupon__code",),
)
DESCRIBED = (
    ORDER,
    PAYMENT_EVENT,
    REFUND,
    TRANSFER_PROOF,
    WAITLIST_ENTRY,
    CHECKOUT_FOLLOW_UP,
    REFERRAL_REWARD,
)
# The founder's own accounts, offers and settings, and the founder's own trial payments.
NOT_PERSONAL = (PayeeAccount, Coupon, EarlyBird, InstalmentPlan, ReferralSettings, PaymentTrial)


def _waitlist_of(orders, leads, addresses) -> Q:
    return Q(order__in=orders) | Q(lead__in=list(leads)) | Q(email__in=list(addresses))


def orders_personal_data(*, orders_filter: Q, leads=(), addresses=()) -> dict[str, list[dict]]:
    """The person's orders and what hangs on them; `leads` / `addresses` also find waitlist
    places and checkout follow-up records made without an order of theirs."""
    orders = Order.objects.filter(orders_filter)
    return {
        "waitlist": WAITLIST_ENTRY.rows(WaitlistEntry.objects.filter(_waitlist_of(orders, leads, addresses))),
        "checkout_follow_ups": CHECKOUT_FOLLOW_UP.rows(
            CheckoutFollowUp.objects.filter(Q(order__in=orders) | Q(email__in=list(addresses)))
        ),
        "orders": ORDER.rows(orders),
        "payment_events": PAYMENT_EVENT.rows(PaymentEvent.objects.filter(order__in=orders)),
        "refunds": REFUND.rows(Refund.objects.filter(order__in=orders)),
        "transfer_proofs": TRANSFER_PROOF.rows(TransferProof.objects.filter(order__in=orders)),
    }


def orders_anonymise(*, orders_filter: Q, leads=(), addresses=()) -> tuple[dict[str, int], list[FieldFile]]:
    orders = list(Order.objects.filter(orders_filter))
    waitlist, _files = WAITLIST_ENTRY.anonymise(
        WaitlistEntry.objects.filter(_waitlist_of(orders, leads, addresses))
    )
    CHECKOUT_FOLLOW_UP.anonymise(
        CheckoutFollowUp.objects.filter(Q(order__in=orders) | Q(email__in=list(addresses)))
    )
    ORDER.anonymise(orders)
    events, _files = PAYMENT_EVENT.anonymise(
        PaymentEvent.objects.filter(order__in=orders).exclude(body="", body_sha256="")
    )
    REFUND.anonymise(Refund.objects.filter(order__in=orders).exclude(reason=""))
    proofs, files = TRANSFER_PROOF.anonymise(TransferProof.objects.filter(order__in=orders).exclude(image=""))
    counts = {"orders": len(orders), "payment_event_bodies": events, "transfer_proofs": proofs}
    return {**counts, "waitlist_places": waitlist}, files


def referral_rewards_personal_data(*, students) -> dict[str, list[dict]]:
    """The rewards the person earned as a referrer."""
    return {
        "referral_rewards": REFERRAL_REWARD.rows(ReferralReward.objects.filter(referrer__in=list(students)))
    }


def referral_rewards_anonymise(*, students) -> dict[str, int]:
    rewards = ReferralReward.objects.filter(referrer__in=list(students)).exclude(paid_note="")
    changed, _files = REFERRAL_REWARD.anonymise(rewards)
    return {"referral_rewards": changed}
