"""Orders: placing one (it holds a seat), starting a payment, cancelling, expiring, and closing
the provider's trade of an order that can no longer be paid."""

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from billing import jobs
from billing.models import Order
from billing.providers import ProviderError, Start, get_provider, provider_can_close
from billing.selectors import cohort_seats_left
from cohorts.models import Cohort, Enrollment
from cohorts.selectors import cohort_enrolment_refusal
from crm.models import Lead
from onepco.money import money
from onepco.outbox import outbox_enqueue

log = logging.getLogger(__name__)


def order_place(
    *,
    cohort: Cohort,
    buyer_name: str,
    buyer_email: str,
    buyer_phone: str = "",
    lead: Lead | None = None,
    amount: Decimal | None = None,
    created_by: User | None = None,
    expires_at: datetime | None = None,
    note: str = "",
) -> Order:
    """A pending order holding one seat until it expires.

    The cohort row is locked while seats are counted, so two checkouts for the last seat
    cannot both succeed. A buyer who comes back to the same cohort gets their pending order.
    """
    now = timezone.now()
    email, phone = buyer_email.strip().lower(), buyer_phone.strip()
    # The buyer is known by their e-mail, or by their phone when they gave only that.
    buyer = Q(buyer_email__iexact=email) if email else Q(buyer_email="", buyer_phone=phone)
    with transaction.atomic():
        Cohort.objects.select_for_update().filter(pk=cohort.pk).first()
        if (
            email
            and Enrollment.objects.filter(
                cohort=cohort, student__user__email__iexact=email, status=Enrollment.Status.ACTIVE
            ).exists()
        ):
            raise ValidationError(_("This e-mail address is already enrolled in this cohort."))
        if (
            phone
            and not email
            and Enrollment.objects.filter(
                cohort=cohort, student__phone=phone, status=Enrollment.Status.ACTIVE
            ).exists()
        ):
            raise ValidationError(_("This phone number is already enrolled in this cohort."))
        existing = (
            Order.objects.filter(
                buyer, cohort=cohort, status=Order.Status.PENDING, expires_at__gt=now
            ).first()
            if email or phone
            else None
        )
        if existing is not None and created_by is None and amount is None:
            return existing
        refusal = cohort_enrolment_refusal(cohort, now) if created_by is None else ""
        if refusal:  # the founder's own orders (created_by) may be made outside the window
            raise ValidationError(refusal, code="enrolment_closed")
        if cohort_seats_left(cohort, now) <= 0:
            raise ValidationError(_("Sorry, this cohort is sold out."), code="sold_out")
        order = Order(
            cohort=cohort,
            lead=lead,
            buyer_name=buyer_name.strip(),
            buyer_email=email,
            buyer_phone=phone,
            amount=money(amount if amount is not None else cohort.price),
            currency=settings.SITE_CURRENCY,
            created_at=now,
            expires_at=expires_at or now + timedelta(minutes=settings.ORDER_EXPIRY_MINUTES),
            created_by=created_by,
            note=note,
        )
        order.full_clean()
        order.save()
    return order


def order_payment_start(*, order: Order, provider_name: str, request, phone: bool) -> Start:
    """The buyer chose how to pay: ask the provider for a QR code or a page to go to."""
    provider = get_provider(provider_name)
    if provider is None:
        raise ValidationError(_("This payment method is not available."))
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        now = timezone.now()
        if order.status != Order.Status.PENDING or (order.expires_at and order.expires_at <= now):
            raise ValidationError(_("This order can no longer be paid."))
        if order.expires_at is None:  # made in admin: the providers need an end to the trade
            order.expires_at = now + timedelta(minutes=settings.ORDER_EXPIRY_MINUTES)
            order.save(update_fields=["expires_at"])
    start = provider.start(order, request=request, phone=phone)
    Order.objects.filter(pk=order.pk, status=Order.Status.PENDING).update(
        provider=provider_name, provider_trade_no=start.trade_no
    )
    return start


def order_cancel(*, order: Order) -> Order:
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status != Order.Status.PENDING:
            raise ValidationError(_("Only a pending order can be cancelled."))
        order.status = Order.Status.CANCELLED
        order.closed_at = timezone.now()
        order.save(update_fields=["status", "closed_at"])
        _order_trade_close_later(order)
    return order


def orders_expire(*, now: datetime | None = None, keep: Sequence[int] = ()) -> int:
    """Pending orders past their expiry free their seat, a proof under review too once its
    bounded hold is over (the founder can still confirm a late transfer). `keep`: orders not to
    expire this time (their provider could not be asked)."""
    now = now or timezone.now()
    expired = 0
    with transaction.atomic():
        stale = (
            Order.objects.select_for_update(skip_locked=True)
            .filter(status=Order.Status.PENDING, expires_at__lte=now)
            .exclude(pk__in=list(keep))
        )
        for order in stale:
            order.status = Order.Status.EXPIRED
            order.closed_at = now
            order.save(update_fields=["status", "closed_at"])
            _order_trade_close_later(order)
            expired += 1
    return expired


def _order_trade_close_later(order: Order) -> None:
    """Queue closing the order's trade at its provider, so that the buyer can no longer pay
    it: with this transaction's commit, and never a provider call inside it."""
    if provider_can_close(order.provider):
        outbox_enqueue(jobs.close_provider_trade, order.pk)


def order_trade_close(*, order: Order) -> None:
    """The job queued by `_order_trade_close_later`. A provider failure is raised again after
    logging it, so that RQ retries."""
    if order.status not in (Order.Status.EXPIRED, Order.Status.CANCELLED):
        return  # paid meanwhile: nothing to close
    provider = get_provider(order.provider)
    if provider is None:
        return
    try:
        provider.close(order)
    except ProviderError as exc:
        log.warning("closing the trade of order %s failed: %s", order.number, exc)
        raise
