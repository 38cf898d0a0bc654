"""Refunds: issued from the console through the provider, or reported by the provider (a
refund made in its dashboard); the order's status follows its succeeded refunds."""

import json
import logging
import secrets
from dataclasses import asdict
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from billing import jobs
from billing.models import Order, PaymentEvent, Refund
from billing.providers import Notice, ProviderError, get_provider
from billing.services.referrals import referral_reward_order_refunded
from cohorts.models import Enrollment
from cohorts.services import enrollment_end
from onepco.money import money
from onepco.outbox import outbox_enqueue

log = logging.getLogger(__name__)


def _order_apply_refund(order: Order, notice: Notice, provider_name: str) -> tuple[str, str]:
    Outcome = PaymentEvent.Outcome
    if not order.is_paid:
        return Outcome.IGNORED, "refund reported for an order that is not paid"
    if provider_name != order.provider or (
        notice.trade_no and order.provider_trade_no and notice.trade_no != order.provider_trade_no
    ):
        # The refund of another payment (a second one, or a trade closed unpaid): not this
        # order's money.
        return Outcome.IGNORED, f"refund of another payment ({provider_name} {notice.trade_no})"
    when = notice.paid_at or timezone.now()
    if timezone.is_naive(when):
        when = timezone.make_aware(when)
    # Never before the payment it refunds (a refund held for a late payment is applied then).
    when = max(when, order.paid_at or when)
    refund = None
    if notice.refund_no:
        refund = (
            Refund.objects.select_for_update().filter(order=order, out_refund_no=notice.refund_no).first()
        )
    succeeded = _refunded_total(order)
    if refund is not None:
        if refund.status == Refund.Status.SUCCEEDED:
            return Outcome.DUPLICATE, ""
        _refund_mark(refund, status=Refund.Status.SUCCEEDED, provider_id=notice.provider_refund_id, when=when)
    else:
        # A refund made outside onepco (the provider's dashboard): record it.
        if notice.refunded_total is not None:
            amount = notice.refunded_total - succeeded
        else:
            amount = notice.refund_amount or Decimal("0")
        if amount <= 0:
            return Outcome.DUPLICATE, ""
        pending = (
            Refund.objects.select_for_update()
            .filter(order=order, status=Refund.Status.PENDING, amount=amount)
            .first()
        )
        if pending is not None:
            _refund_mark(
                pending, status=Refund.Status.SUCCEEDED, provider_id=notice.provider_refund_id, when=when
            )
        else:
            if succeeded + amount > order.amount:
                return Outcome.REJECTED, "refund larger than what was paid"
            Refund.objects.create(
                order=order,
                amount=amount,
                reason=_("Refunded at the provider"),
                status=Refund.Status.SUCCEEDED,
                out_refund_no=notice.refund_no or _refund_number(),
                provider_refund_id=notice.provider_refund_id,
                refunded_at=when,
            )
    _order_refunds_sync(order, when=when)
    return Outcome.APPLIED, ""


def _refund_number() -> str:
    return "RF" + timezone.localtime().strftime("%y%m%d") + secrets.token_hex(5).upper()


def _refunded_total(order: Order, statuses=(Refund.Status.SUCCEEDED,)) -> Decimal:
    total = order.refunds.filter(status__in=statuses).aggregate(total=Sum("amount"))["total"]
    return total or Decimal("0.00")


def _refund_mark(refund: Refund, *, status: str, provider_id: str = "", when=None, reason: str = "") -> None:
    refund.status = status
    refund.provider_refund_id = provider_id or refund.provider_refund_id
    refund.refunded_at = (when or timezone.now()) if status == Refund.Status.SUCCEEDED else None
    refund.failure_reason = reason[:1000]
    refund.save(update_fields=["status", "provider_refund_id", "refunded_at", "failure_reason"])


def _order_refunds_sync(order: Order, *, when: datetime) -> None:
    """The order's status follows its succeeded refunds; a full refund ends the enrollment."""
    refunded = _refunded_total(order)
    if refunded >= order.amount:
        order.status = Order.Status.REFUNDED
        if (
            order.enrollment is not None
            and order.enrollment.status == Enrollment.Status.ACTIVE
            # A seat another paid order still pays for stays (a buyer who paid twice).
            and not order.enrollment.orders.exclude(pk=order.pk)
            .filter(status__in=(Order.Status.PAID, Order.Status.PARTIALLY_REFUNDED))
            .exists()
        ):
            enrollment_end(enrollment=order.enrollment, status=Enrollment.Status.REFUNDED, ended_at=when)
        outbox_enqueue(jobs.offer_waitlist_seats)  # the seat is free: the waitlist's turn
    elif refunded > 0:
        order.status = Order.Status.PARTIALLY_REFUNDED
    order.save(update_fields=["status"])
    if refunded > 0:
        referral_reward_order_refunded(order=order)


def refund_issue(*, order: Order, amount: Decimal, reason: str, by: User | None = None) -> Refund:
    """Refund part or all of a paid order through its provider (manual: recorded by hand).

    The refund row is committed as pending before the provider is called, and counts against
    what may still be refunded, so two clicks can never refund more than was paid.
    """
    amount = money(amount)
    if amount <= 0:
        raise ValidationError({"amount": _("Enter an amount above zero.")})
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if not order.is_paid or order.status == Order.Status.REFUNDED:
            raise ValidationError(_("Only a paid order can be refunded."))
        reserved = _refunded_total(order, statuses=(Refund.Status.SUCCEEDED, Refund.Status.PENDING))
        if amount > order.amount - reserved:
            raise ValidationError(
                {"amount": _("At most %(left)s can still be refunded.") % {"left": order.amount - reserved}}
            )
        refund = Refund.objects.create(
            order=order, amount=amount, reason=reason, out_refund_no=_refund_number(), created_by=by
        )
    provider = get_provider(order.provider)
    if provider is None:
        _refund_mark(refund, status=Refund.Status.FAILED, reason="payment method not enabled any more")
        raise ValidationError(_("This order's payment method is not enabled, so it cannot refund."))
    try:
        result = provider.refund(order, refund)
    except ProviderError as exc:
        log.warning("refund %s: %s", refund.out_refund_no, exc)
        _refund_mark(refund, status=Refund.Status.FAILED, reason=str(exc))
        raise ValidationError(_("The provider refused the refund: %(error)s") % {"error": exc}) from exc
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        refund.refresh_from_db()
        if refund.status == Refund.Status.PENDING:  # a notification may have been quicker
            _refund_mark(
                refund,
                status=result.status,
                provider_id=result.provider_refund_id,
                reason=result.failure_reason,
            )
        PaymentEvent.objects.create(
            provider=order.provider, kind=PaymentEvent.Kind.MANUAL, order=order, verified=True,
            body=json.dumps({"refund": refund.out_refund_no, "amount": str(amount), "result": asdict(result)}),
            outcome=PaymentEvent.Outcome.APPLIED, processed_at=timezone.now(),
        )  # fmt: skip
        if refund.status == Refund.Status.SUCCEEDED:
            _order_refunds_sync(order, when=refund.refunded_at or timezone.now())
    if refund.status == Refund.Status.FAILED:
        raise ValidationError(
            _("The provider refused the refund: %(error)s") % {"error": refund.failure_reason}
        )
    return refund
