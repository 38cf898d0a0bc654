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
from billing.models import Coupon, Order, Provider
from billing.providers import ProviderError, Start, get_provider, provider_can_close
from billing.selectors import cohort_price_at, cohort_seats_left, coupon_refusal, instalment_choices
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
    coupon_code: str = "",
    discount: Decimal | None = None,
) -> Order:
    """A pending order holding one seat until it expires.

    The cohort row is locked while seats are counted, so two checkouts for the last seat
    cannot both succeed. A buyer who comes back to the same cohort gets their pending order.
    `coupon_code` takes a coupon's discount off (its row locked the same way, so its last use
    goes once); `discount`: the founder's own amount off, less than the price.
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
            same_code = (
                existing.coupon is not None and existing.coupon.code.upper() == coupon_code.strip().upper()
            )
            if not coupon_code or same_code:
                return existing
            # The buyer came back with another code: a new order replaces their earlier one.
            existing.status, existing.closed_at = Order.Status.CANCELLED, now
            existing.save(update_fields=["status", "closed_at"])
            _order_trade_close_later(existing)
        refusal = cohort_enrolment_refusal(cohort, now) if created_by is None else ""
        if refusal:  # the founder's own orders (created_by) may be made outside the window
            raise ValidationError(refusal, code="enrolment_closed")
        if cohort_seats_left(cohort, now) <= 0:
            raise ValidationError(_("Sorry, this cohort is sold out."), code="sold_out")
        list_price = money(amount if amount is not None else cohort_price_at(cohort, now))
        coupon = None
        if coupon_code.strip():
            coupon = coupon_hold(code=coupon_code, cohort=cohort, email=email, phone=phone, now=now)
        if coupon is not None:
            discount = coupon.discount_on(list_price)
        elif discount is not None:
            discount = money(discount)
            if discount < 0 or discount >= list_price:
                raise ValidationError(_("The discount must be less than the price."), code="discount")
        else:
            discount = Decimal("0.00")
        order = Order(
            cohort=cohort,
            list_price=list_price,
            discount=discount,
            coupon=coupon,
            lead=lead,
            buyer_name=buyer_name.strip(),
            buyer_email=email,
            buyer_phone=phone,
            amount=list_price - discount,
            currency=settings.SITE_CURRENCY,
            created_at=now,
            expires_at=expires_at or now + timedelta(minutes=settings.ORDER_EXPIRY_MINUTES),
            created_by=created_by,
            note=note,
        )
        order.full_clean()
        order.save()
    return order


def coupon_hold(*, code: str, cohort: Cohort, email: str, phone: str, now: datetime) -> Coupon:
    """The coupon a code names, locked, when it may be used on this cohort by this buyer now;
    else a ValidationError saying why (code "coupon"). Called inside order_place's transaction:
    the coupon row stays locked until the order holding it is saved, so its last use goes once."""
    coupon = Coupon.objects.select_for_update().filter(code__iexact=code.strip()).first()
    refusal = coupon_refusal(coupon, cohort=cohort, email=email, phone=phone, now=now)
    if refusal or coupon is None:
        raise ValidationError(refusal, code="coupon")
    return coupon


def coupon_save(*, coupon: Coupon) -> Coupon:
    """The founder creates or edits a coupon (pausing it is `is_active=False`)."""
    coupon.code = coupon.code.strip()
    coupon.full_clean()
    coupon.save()
    return coupon


def order_payment_start(
    *, order: Order, provider_name: str, request, phone: bool, instalments: int | None = None
) -> Start:
    """The buyer chose how to pay: ask the provider for a QR code or a page to go to.

    `instalments`: 花呗分期 periods (Alipay page / wap pay only, among those the cohort allows);
    the order records them and who pays the fee, as the provider is asked."""
    provider = get_provider(provider_name)
    if provider is None:
        raise ValidationError(_("This payment method is not available."))
    seller_pays = False
    if instalments is not None:
        allowed, seller_pays = instalment_choices(order.cohort)
        if provider_name != Provider.ALIPAY or instalments not in allowed:
            raise ValidationError(
                _("Huabei instalments of %(n)s periods are not offered for this cohort.")
                % {"n": instalments},
                code="instalments",
            )
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        now = timezone.now()
        if order.status != Order.Status.PENDING or (order.expires_at and order.expires_at <= now):
            raise ValidationError(_("This order can no longer be paid."))
        if order.amount <= 0:  # free through a coupon: completed without a provider
            raise ValidationError(_("This order has nothing to pay."))
        if order.expires_at is None:  # made in admin: the providers need an end to the trade
            order.expires_at = now + timedelta(minutes=settings.ORDER_EXPIRY_MINUTES)
        order.instalments, order.instalment_fee_by_seller = instalments, seller_pays
        order.save(update_fields=["expires_at", "instalments", "instalment_fee_by_seller"])
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
        outbox_enqueue(jobs.offer_waitlist_seats)  # the seat is free: the waitlist's turn
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
        if expired:
            outbox_enqueue(jobs.offer_waitlist_seats)  # seats are free: the waitlist's turn
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
