"""Erasing a buyer: the order keeps its number, amount, dates and statuses — the books and the
weekly numbers must still add up — but no longer says who bought."""

from django.db.models import Q
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext as _

from billing.models import Order, PaymentEvent, TransferProof


def orders_anonymise(*, orders_filter: Q) -> tuple[dict[str, int], list[FieldFile]]:
    orders = list(Order.objects.filter(orders_filter))
    for order in orders:
        order.buyer_name = _("Erased person")
        order.buyer_email = ""
        order.buyer_phone = ""
        order.note = ""
    Order.objects.bulk_update(orders, ["buyer_name", "buyer_email", "buyer_phone", "note"])
    # Providers echo the buyer's account and e-mail in notifications: keep the audit facts
    # (event id, outcome, time) and drop the raw text.
    events = PaymentEvent.objects.filter(order__in=orders).exclude(body="").update(body="")
    # Transfer screenshots show the payer's name and account: the image goes, the verdict stays.
    proofs = list(TransferProof.objects.filter(order__in=orders).exclude(image=""))
    files = [proof.image for proof in proofs]
    TransferProof.objects.filter(pk__in=[p.pk for p in proofs]).update(image="", note="")
    return {"orders": len(orders), "payment_event_bodies": events, "transfer_proofs": len(proofs)}, files
