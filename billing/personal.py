"""What billing holds about a buyer, described once (see onepco/personal.py): what they
download and what erasing them removes. An order keeps its number, amount, dates and statuses
(the books and the weekly numbers must still add up) but no longer says who bought."""

from django.db.models import Q
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext as _

from billing.models import Order, PayeeAccount, PaymentEvent, Refund, TransferProof
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
    ),
    internal=("lead", "user", "cohort", "created_by", "enrollment"),
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
DESCRIBED = (ORDER, PAYMENT_EVENT, REFUND, TRANSFER_PROOF)
# The founder's own accounts.
NOT_PERSONAL = (PayeeAccount,)


def orders_personal_data(*, orders_filter: Q) -> dict[str, list[dict]]:
    orders = Order.objects.filter(orders_filter)
    return {
        "orders": ORDER.rows(orders),
        "payment_events": PAYMENT_EVENT.rows(PaymentEvent.objects.filter(order__in=orders)),
        "refunds": REFUND.rows(Refund.objects.filter(order__in=orders)),
        "transfer_proofs": TRANSFER_PROOF.rows(TransferProof.objects.filter(order__in=orders)),
    }


def orders_anonymise(*, orders_filter: Q) -> tuple[dict[str, int], list[FieldFile]]:
    orders = list(Order.objects.filter(orders_filter))
    ORDER.anonymise(orders)
    events, _files = PAYMENT_EVENT.anonymise(
        PaymentEvent.objects.filter(order__in=orders).exclude(body="", body_sha256="")
    )
    REFUND.anonymise(Refund.objects.filter(order__in=orders).exclude(reason=""))
    proofs, files = TRANSFER_PROOF.anonymise(TransferProof.objects.filter(order__in=orders).exclude(image=""))
    return {"orders": len(orders), "payment_event_bodies": events, "transfer_proofs": proofs}, files
