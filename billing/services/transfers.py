"""Manual transfers: the buyer's proof, the bounded seat hold it gives, and the founder's
confirmation (which goes through the same path as a provider's notification)."""

import json
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from billing.models import Order, PayeeAccount, PaymentEvent, Provider, TransferProof
from billing.providers import Notice, NoticeKind, get_provider
from billing.services.orders import _order_trade_close_later
from billing.services.payments import payment_event_record, payment_notice_apply
from onepco.images import image_check

# Proofs one order may send: a buyer who picked the wrong screenshot tries again, a script stops.
PROOFS_PER_ORDER = 5


def transfer_proof_upload(*, order: Order, image, note: str = "") -> TransferProof:
    """The buyer's proof of a manual transfer: only where manual transfer is offered and was
    chosen for this order, only a real image, at most PROOFS_PER_ORDER.

    While the founder reviews it the seat stays held, for ORDER_PROOF_HOLD_HOURS from the
    upload of the first proof under review: sending more proofs never extends the hold.
    """
    now = timezone.now()
    _proof_acceptable(Order.objects.get(pk=order.pk), now)
    try:
        checked = image_check(image)  # decoded before the order row is locked
    except ValidationError as exc:
        raise ValidationError({"image": exc.messages}) from None
    image.name = f"proof.{checked.extension}"
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        _proof_acceptable(order, now)
        proof = TransferProof(order=order, image=image, note=note, uploaded_at=now)
        proof.full_clean()
        proof.save()
        first = order.proofs.filter(status=TransferProof.Status.PENDING).earliest("uploaded_at")
        hold = first.uploaded_at + timedelta(hours=settings.ORDER_PROOF_HOLD_HOURS)
        order.expires_at = max(order.expires_at or hold, hold)
        order.save(update_fields=["expires_at"])
    return proof


def _proof_acceptable(order: Order, now: datetime) -> None:
    if get_provider(Provider.MANUAL) is None:
        raise ValidationError(_("Manual transfer is not offered for this order."), code="not_offered")
    if order.status != Order.Status.PENDING or (order.expires_at and order.expires_at <= now):
        raise ValidationError(_("This order is not waiting for payment."), code="not_pending")
    if order.provider != Provider.MANUAL:
        raise ValidationError(
            _("Choose manual transfer as the payment method first, then send its proof."),
            code="not_chosen",
        )
    if order.proofs.count() >= PROOFS_PER_ORDER:
        raise ValidationError(
            _("This order already has %(n)s proofs: please wait for us to review them.")
            % {"n": PROOFS_PER_ORDER},
            code="too_many",
        )


def order_hold_release(*, order: Order, by: User) -> Order:
    """The founder frees the seat of a pending order (a proof nobody will confirm, a buyer who
    went quiet): its proofs under review are rejected and the order expires. A transfer that
    does arrive later can still be confirmed: that goes through the normal payment path."""
    now = timezone.now()
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status != Order.Status.PENDING:
            raise ValidationError(_("Only a pending order holds a seat."))
        order.proofs.filter(status=TransferProof.Status.PENDING).update(
            status=TransferProof.Status.REJECTED, reject_reason=_("Seat released by the founder"),
            reviewed_at=now, reviewed_by=by,
        )  # fmt: skip
        order.status = Order.Status.EXPIRED
        order.closed_at = now
        order.save(update_fields=["status", "closed_at"])
        _order_trade_close_later(order)  # as expiry and cancelling do: the buyer can no longer pay it
    return order


def transfer_confirm(*, order: Order, by: User, proof: TransferProof | None = None) -> PaymentEvent:
    """The founder saw the money arrive: the order is paid through the same path as any
    provider's notification (paid_at is now, the moment of confirmation)."""
    body = json.dumps({"order": order.number, "proof": proof.pk if proof else None, "by": by.pk})
    event = payment_event_record(
        provider=Provider.MANUAL, headers={}, body=body, kind=PaymentEvent.Kind.MANUAL
    )
    PaymentEvent.objects.filter(pk=event.pk).update(verified=True)
    notice = Notice(
        kind=NoticeKind.PAID,
        order_number=order.number,
        event_id=f"manual:{order.number}",
        trade_no=f"MANUAL-{order.number}",
        amount=order.amount,
        currency=order.currency,
        paid_at=timezone.now(),
    )
    event = payment_notice_apply(event=event, notice=notice)
    if event.outcome != PaymentEvent.Outcome.APPLIED:
        raise ValidationError(_("This order is already paid or cannot be confirmed."))
    if proof is not None:
        TransferProof.objects.filter(pk=proof.pk).update(
            status=TransferProof.Status.CONFIRMED, reviewed_at=timezone.now(), reviewed_by=by
        )
    return event


def transfer_proof_reject(*, proof: TransferProof, by: User, reason: str) -> TransferProof:
    with transaction.atomic():
        # The order first, as everywhere else, so that two of the founder's tabs never deadlock.
        order = Order.objects.select_for_update().get(pk=proof.order_id)
        proof = TransferProof.objects.select_for_update().get(pk=proof.pk)
        if proof.status != TransferProof.Status.PENDING:
            raise ValidationError(_("This proof has already been reviewed."))
        proof.status = TransferProof.Status.REJECTED
        proof.reject_reason = reason
        proof.reviewed_at = timezone.now()
        proof.reviewed_by = by
        proof.save(update_fields=["status", "reject_reason", "reviewed_at", "reviewed_by"])
        if order.status == Order.Status.PENDING:
            # Another proof still under review keeps its own hold; with none left, the seat
            # goes back to the normal expiry from now on (never beyond what it had).
            waiting = order.proofs.filter(status=TransferProof.Status.PENDING).order_by("uploaded_at").first()
            if waiting is not None:
                order.expires_at = waiting.uploaded_at + timedelta(hours=settings.ORDER_PROOF_HOLD_HOURS)
            else:
                normal = timezone.now() + timedelta(minutes=settings.ORDER_EXPIRY_MINUTES)
                order.expires_at = min(order.expires_at or normal, normal)
            order.save(update_fields=["expires_at"])
    return proof


def payee_account_save(*, account: PayeeAccount) -> PayeeAccount:
    """A payee account for manual transfers, from the console (its QR code already checked by
    billing.forms.PayeeAccountForm). Manual transfer is offered while one is active."""
    account.save()
    return account
