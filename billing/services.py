"""Writes of the billing app: orders, payments, refunds, manual transfers, reconciliation.

Every way money can be reported — a provider's notification, a query answer, the founder
confirming a transfer — becomes a stored PaymentEvent and a provider-neutral Notice, and goes
through `payment_notice_apply`, which locks the order row while it changes. A notification is
therefore applied at most once however often, however concurrently and in whatever order it
arrives.
"""

import hashlib
import json
import logging
import secrets
from dataclasses import asdict
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from billing.models import Order, PaymentEvent, Provider, Refund, TransferProof
from billing.providers import Notice, ProviderError, Rejected, Start, get_provider, provider_can_close
from billing.selectors import cohort_seats_left, seat_holding
from cohorts.models import Cohort, Enrollment
from cohorts.services import cohort_capacity_raise, enrollment_create, enrollment_end, student_get_or_create
from crm.models import Lead
from crm.services import lead_find, lead_mark_won
from onepco.images import image_check
from onepco.models import OutboxMessage
from onepco.money import money
from onepco.outbox import outbox_enqueue

log = logging.getLogger(__name__)

# Headers worth keeping with a notification (never cookies or credentials), each cut short.
KEPT_HEADERS = ("Content-Type", "User-Agent", "Stripe-Signature", "X-Simulated-Signature")
KEPT_HEADER_CHARS = 500
# What an unverified notification keeps of its body: anyone can post to the endpoints.
UNVERIFIED_BODY_BYTES = 2048
# Proofs one order may send: a buyer who picked the wrong screenshot tries again, a script stops.
PROOFS_PER_ORDER = 5


# --- orders ------------------------------------------------------------------------------


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
    email = buyer_email.strip().lower()
    with transaction.atomic():
        Cohort.objects.select_for_update().filter(pk=cohort.pk).first()
        if (
            email
            and Enrollment.objects.filter(
                cohort=cohort, student__user__email__iexact=email, status=Enrollment.Status.ACTIVE
            ).exists()
        ):
            raise ValidationError(_("This e-mail address is already enrolled in this cohort."))
        existing = Order.objects.filter(
            cohort=cohort, status=Order.Status.PENDING, expires_at__gt=now, buyer_email__iexact=email
        ).first()
        if existing is not None and created_by is None and amount is None:
            return existing
        if cohort_seats_left(cohort, now) <= 0:
            raise ValidationError(_("Sorry, this cohort is sold out."), code="sold_out")
        order = Order(
            cohort=cohort,
            lead=lead,
            buyer_name=buyer_name.strip(),
            buyer_email=email,
            buyer_phone=buyer_phone.strip(),
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
    # The session id is what a later Stripe query needs; other providers are queried by number.
    trade_no = start.qr_text if provider_name == Provider.STRIPE else ""
    Order.objects.filter(pk=order.pk, status=Order.Status.PENDING).update(
        provider=provider_name, provider_trade_no=trade_no
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


def orders_expire(*, now: datetime | None = None) -> int:
    """Pending orders past their expiry free their seat, a proof under review too once its
    bounded hold is over (the founder can still confirm a late transfer)."""
    now = now or timezone.now()
    expired = 0
    with transaction.atomic():
        stale = Order.objects.select_for_update(skip_locked=True).filter(
            status=Order.Status.PENDING, expires_at__lte=now
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
        outbox_enqueue("billing.jobs.close_provider_trade", order.pk)


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


# --- notifications -----------------------------------------------------------------------


def payment_event_record(
    *,
    provider: str,
    headers: dict[str, str],
    body: bytes | str,
    kind: str = PaymentEvent.Kind.NOTIFICATION,
    order: Order | None = None,
) -> PaymentEvent:
    """Store what arrived, before anything else looks at it, in its own transaction.

    A notification is not verified yet: it keeps its first 2 KB, its length and its hash, and
    gets its full body once the signature holds (`payment_notification_receive`).
    """
    raw = body.encode() if isinstance(body, str) else body
    limit = UNVERIFIED_BODY_BYTES if kind == PaymentEvent.Kind.NOTIFICATION else None
    with transaction.atomic():
        return PaymentEvent.objects.create(
            provider=provider, kind=kind, headers=_headers_kept(headers), body=_body_text(raw, limit),
            body_length=len(raw), body_sha256=hashlib.sha256(raw).hexdigest(), order=order,
        )  # fmt: skip


def payment_notification_oversized(
    *, provider_name: str, headers: dict[str, str], length: int
) -> PaymentEvent:
    """A notification body over PAYMENT_NOTIFY_MAX_BYTES: refused unread, a marker stored."""
    error = f"body of {length} bytes is over the limit of {settings.PAYMENT_NOTIFY_MAX_BYTES}"
    with transaction.atomic():
        return PaymentEvent.objects.create(
            provider=provider_name, headers=_headers_kept(headers), body_length=length, verified=False,
            outcome=PaymentEvent.Outcome.REJECTED, error=error, processed_at=timezone.now(),
        )  # fmt: skip


def _headers_kept(headers: dict[str, str]) -> dict[str, str]:
    kept = {k: v for k, v in headers.items() if k in KEPT_HEADERS or k.lower().startswith("wechatpay-")}
    return {k: _body_text(str(v).encode(), KEPT_HEADER_CHARS) for k, v in kept.items()}


def _body_text(raw: bytes, limit: int | None = None) -> str:
    """The body as text, at most `limit` bytes of UTF-8. PostgreSQL text cannot hold NUL: a
    junk body must be stored, not turned into a 500."""
    text = raw[:limit].decode("utf-8", errors="replace").replace("\x00", "\ufffd")
    if limit is not None:  # a replacement character takes 3 bytes where the junk byte took 1
        text = text.encode()[:limit].decode("utf-8", errors="ignore")
    return text


def payment_notification_receive(*, provider_name: str, headers: dict[str, str], body: bytes) -> PaymentEvent:
    """A provider's notification: store it, verify it, apply it. Returns the stored event;
    its outcome says how to answer (rejected → 4xx, error → 5xx, anything else → OK)."""
    event = payment_event_record(provider=provider_name, headers=headers, body=body)
    provider = get_provider(provider_name)
    if provider is None:
        return _event_close(event, outcome=PaymentEvent.Outcome.REJECTED, error="provider not enabled")
    try:
        notice = provider.verify(headers=headers, body=body)
    except Rejected as exc:
        return _event_close(event, outcome=PaymentEvent.Outcome.REJECTED, error=exc.reason, verified=False)
    # Signed by the provider: now the whole body is worth keeping (the audit trail).
    event.verified, event.event_id, event.body = True, notice.event_id[:200], _body_text(body)
    PaymentEvent.objects.filter(pk=event.pk).update(verified=True, event_id=event.event_id, body=event.body)
    try:
        return payment_notice_apply(event=event, notice=notice)
    except Exception as exc:
        # Nothing was applied (the transaction rolled back); the provider retries on a 5xx.
        log.exception("payment event %s failed", event.pk)
        return _event_close(event, outcome=PaymentEvent.Outcome.ERROR, error=f"{type(exc).__name__}: {exc}")


def _event_close(
    event: PaymentEvent, *, outcome: str, error: str = "", verified: bool | None = None, order=None
) -> PaymentEvent:
    event.outcome = outcome
    event.error = error[:2000]
    event.processed_at = timezone.now()
    fields = ["outcome", "error", "processed_at"]
    if verified is not None:
        event.verified = verified
        fields.append("verified")
    if order is not None:
        event.order = order
        fields.append("order")
    event.save(update_fields=fields)
    return event


def _order_for_notice(notice: Notice, provider_name: str) -> Order | None:
    orders = Order.objects.select_for_update()
    if notice.order_number:
        return orders.filter(number=notice.order_number).first()
    if notice.trade_no:
        return orders.filter(provider=provider_name, provider_trade_no=notice.trade_no).first()
    return None


def payment_notice_apply(*, event: PaymentEvent, notice: Notice) -> PaymentEvent:
    """Apply a verified notice to its order, at most once. The order row is locked meanwhile."""
    Outcome = PaymentEvent.Outcome
    if notice.kind in ("pending", "ignore"):
        order = Order.objects.filter(number=notice.order_number).first() if notice.order_number else None
        return _event_close(event, outcome=Outcome.IGNORED, error=notice.detail, order=order)
    try:
        with transaction.atomic():
            order = _order_for_notice(notice, event.provider)
            if order is None:
                return _event_close(event, outcome=Outcome.REJECTED, error="unknown order")
            if notice.currency.upper() != order.currency.upper() or notice.amount != order.amount:
                error = f"amount {notice.amount} {notice.currency} does not match the order's {order.amount} {order.currency}"
                if notice.kind == "paid":
                    # Refused, but real money arrived: only the founder can settle it.
                    _founder_alert_once(
                        "billing.jobs.alert_amount_mismatch", order.pk, event.provider,
                        notice.trade_no or notice.event_id, str(notice.amount), notice.currency,
                    )  # fmt: skip
                return _event_close(event, outcome=Outcome.REJECTED, error=error, order=order)
            if notice.event_id and (
                PaymentEvent.objects.filter(
                    provider=event.provider, event_id=notice.event_id, outcome=Outcome.APPLIED
                ).exists()
            ):
                return _event_close(event, outcome=Outcome.DUPLICATE, order=order)
            if notice.kind == "paid":
                outcome, error = _order_apply_paid(order, notice, event.provider)
            elif not order.is_paid:
                outcome, error = _refund_hold(event, notice)
            else:
                outcome, error = _order_apply_refund(order, notice, event.provider)
            return _event_close(event, outcome=outcome, error=error, order=order)
    except IntegrityError as exc:
        # The unique "applied once" index caught a twin that slipped past the checks.
        return _event_close(event, outcome=Outcome.DUPLICATE, error=str(exc)[:300])


def _order_apply_paid(order: Order, notice: Notice, provider_name: str) -> tuple[str, str]:
    Outcome = PaymentEvent.Outcome
    if order.is_paid:
        if order.provider == provider_name and order.provider_trade_no == notice.trade_no:
            return Outcome.DUPLICATE, ""
        # Money arrived twice (two methods tried): keep the first, tell the founder once per
        # transaction.
        _founder_alert_once(
            "billing.jobs.alert_second_payment", order.pk, provider_name, notice.trade_no, str(notice.amount)
        )
        return (
            Outcome.IGNORED,
            f"second payment for an order already paid: refund it ({provider_name} {notice.trade_no})",
        )
    note = ""
    if order.status != Order.Status.PENDING:
        # Money is real even if the order had expired or been cancelled: take it, and enroll
        # if the cohort still has a seat.
        note = f"paid while {order.status}"
    seated = _order_seat_available(order)
    order.status = Order.Status.PAID
    order.provider = provider_name
    order.provider_trade_no = notice.trade_no[:128]
    order.paid_at = notice.paid_at or timezone.now()
    order.closed_at = None
    order.save(update_fields=["status", "provider", "provider_trade_no", "paid_at", "closed_at"])
    _order_apply_held_refunds(order)
    if order.status == Order.Status.REFUNDED:
        # Refunded before onepco heard of the payment: the money is recorded both ways, and
        # the buyer, who no longer paid for a seat, is not enrolled.
        return Outcome.APPLIED, _join(note, "refunded before its payment arrived: not enrolled")
    if not seated:
        # Enrolling would oversell the cohort. The money stays recorded (revenue counts it);
        # the founder refunds it or raises capacity and enrolls (`order_seat_grant`).
        order.seat_wait_since = timezone.now()
        order.save(update_fields=["seat_wait_since"])
        _founder_alert_once("billing.jobs.alert_seat_wait", order.pk)
        return Outcome.APPLIED, _join(note, "no seat left: paid, waiting for a seat")
    _order_fulfil(order)
    return Outcome.APPLIED, note


def _order_seat_available(order: Order) -> bool:
    """Whether an order about to be paid may enroll: it still holds its seat (pending, not
    expired), or the cohort has one free, counted under a lock on the cohort's row so that a
    checkout cannot take it meanwhile."""
    now = timezone.now()
    if Order.objects.filter(seat_holding(now), pk=order.pk).exists():
        return True
    cohort = Cohort.objects.select_for_update().get(pk=order.cohort_id)
    return cohort_seats_left(cohort, now) > 0


def _founder_alert_once(job: str, *args) -> None:
    """Queue an e-mail to the founder unless the same one was queued before: checked on the
    outbox row itself, so a provider's retry of the same notice alerts nobody twice."""
    if not OutboxMessage.objects.filter(job=job, args=list(args)).exists():
        outbox_enqueue(job, *args)


def _join(*notes: str) -> str:
    return "; ".join(note for note in notes if note)


def _refund_hold(event: PaymentEvent, notice: Notice) -> tuple[str, str]:
    """A refund for an order that is not paid yet: its payment's notification is late (it
    failed and is being retried, or only the reconcile query will find it). Answering OK and
    forgetting it would enroll a refunded buyer when the payment lands, so the verified notice
    is kept on its event and applied then, in the same transaction (`_order_apply_held_refunds`)."""
    Outcome = PaymentEvent.Outcome
    if notice.event_id and (
        PaymentEvent.objects.filter(provider=event.provider, event_id=notice.event_id, outcome=Outcome.HELD)
        .exclude(pk=event.pk)
        .exists()
    ):
        return Outcome.DUPLICATE, ""
    event.held_notice = notice.to_json()
    event.save(update_fields=["held_notice"])
    return Outcome.HELD, "refund reported before its payment: applied when the payment arrives"


def _order_apply_held_refunds(order: Order) -> None:
    """Apply the refunds that arrived before this order's payment, oldest first."""
    Outcome = PaymentEvent.Outcome
    for event in order.events.filter(outcome=Outcome.HELD).order_by("received_at", "id"):
        notice = Notice.from_json(event.held_notice)
        outcome, error = _order_apply_refund(order, notice, event.provider)
        _event_close(event, outcome=outcome, error=error)


def _order_fulfil(order: Order, *, enrolled_at: datetime | None = None) -> None:
    """The buyer becomes a student of the cohort; the lead is won; the instructions go out."""
    user = order.user or User.objects.filter(email__iexact=order.buyer_email).first()
    if user is None:
        # No password: the student signs in with a code sent to this address.
        user = User.objects.create_user(email=order.buyer_email, name=order.buyer_name)
    lead = order.lead or lead_find(email=order.buyer_email, phone=order.buyer_phone)
    student, _created = student_get_or_create(user=user, lead=lead, phone=order.buyer_phone)
    enrollment, _created = enrollment_create(
        student=student, cohort=order.cohort, enrolled_at=enrolled_at or order.paid_at
    )
    if lead is not None:
        lead_mark_won(lead=lead)
    order.user, order.lead, order.enrollment = user, lead, enrollment
    order.save(update_fields=["user", "lead", "enrollment"])
    outbox_enqueue("billing.jobs.send_enrollment_email", order.pk)


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
    when = max(when, order.paid_at)
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


def order_seat_grant(*, order: Order, by: User) -> Order:
    """The founder's answer to money that came without a seat: enroll the buyer, raising the
    cohort's capacity by one unless a seat has been freed meanwhile (refunding is the other
    answer). The enrollment e-mail goes out as for any paid order."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if not order.waits_for_seat:
            raise ValidationError(_("This order is not waiting for a seat."))
        cohort = Cohort.objects.select_for_update().get(pk=order.cohort_id)
        capacity = cohort.capacity
        if cohort_seats_left(cohort) <= 0:
            cohort = cohort_capacity_raise(cohort=cohort, by=1)
        order.seat_wait_since = None
        order.save(update_fields=["seat_wait_since"])
        # Enrolled from now: the lessons it missed while waiting are not held against it.
        _order_fulfil(order, enrolled_at=timezone.now())
        PaymentEvent.objects.create(
            provider=order.provider, kind=PaymentEvent.Kind.MANUAL, order=order, verified=True,
            body=json.dumps({"seat": "granted", "capacity": [capacity, cohort.capacity], "by": by.pk}),
            outcome=PaymentEvent.Outcome.APPLIED, processed_at=timezone.now(),
            error=f"seat granted (capacity {capacity} → {cohort.capacity})",
        )  # fmt: skip
    return order


# --- refunds -------------------------------------------------------------------------------


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
        if order.enrollment_id and order.enrollment.status == Enrollment.Status.ACTIVE:
            enrollment_end(enrollment=order.enrollment, status=Enrollment.Status.REFUNDED, ended_at=when)
    elif refunded > 0:
        order.status = Order.Status.PARTIALLY_REFUNDED
    order.save(update_fields=["status"])


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
            _order_refunds_sync(order, when=refund.refunded_at)
    if refund.status == Refund.Status.FAILED:
        raise ValidationError(
            _("The provider refused the refund: %(error)s") % {"error": refund.failure_reason}
        )
    return refund


# --- manual transfers --------------------------------------------------------------------


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
        first = order.proofs.filter(status=TransferProof.Status.PENDING).order_by("uploaded_at").first()
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
        kind="paid",
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
        proof = TransferProof.objects.select_for_update().get(pk=proof.pk)
        if proof.status != TransferProof.Status.PENDING:
            raise ValidationError(_("This proof has already been reviewed."))
        proof.status = TransferProof.Status.REJECTED
        proof.reject_reason = reason
        proof.reviewed_at = timezone.now()
        proof.reviewed_by = by
        proof.save(update_fields=["status", "reject_reason", "reviewed_at", "reviewed_by"])
        # The seat goes back to the normal expiry from now on.
        order = Order.objects.select_for_update().get(pk=proof.order_id)
        if order.status == Order.Status.PENDING:
            order.expires_at = timezone.now() + timedelta(minutes=settings.ORDER_EXPIRY_MINUTES)
            order.save(update_fields=["expires_at"])
    return proof


# --- queries and reconciliation ----------------------------------------------------------


def order_query(*, order: Order) -> PaymentEvent | None:
    """Ask the order's provider what happened and apply the answer through the same path."""
    provider = get_provider(order.provider) if order.provider else None
    if provider is None or not provider.can_query:
        return None
    notice = provider.query(order)
    body = json.dumps(asdict(notice), default=str, ensure_ascii=False)
    event = payment_event_record(
        provider=order.provider, headers={}, body=body, kind=PaymentEvent.Kind.QUERY, order=order
    )
    PaymentEvent.objects.filter(pk=event.pk).update(verified=True)
    return payment_notice_apply(event=event, notice=notice)


def payments_reconcile(*, now: datetime | None = None) -> dict[str, int]:
    """Query the provider about pending orders older than a few minutes, then expire the
    stale ones (after the query, so money that did arrive is never expired away)."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.PAYMENT_RECONCILE_AFTER_MINUTES)
    queried = applied = failed = 0
    pending = Order.objects.filter(status=Order.Status.PENDING, created_at__lte=cutoff).exclude(provider="")
    for order in pending.order_by("created_at")[:500]:
        try:
            event = order_query(order=order)
        except ProviderError as exc:
            log.warning("reconcile %s: %s", order.number, exc)
            failed += 1
            continue
        if event is not None:
            queried += 1
            applied += event.outcome == PaymentEvent.Outcome.APPLIED
    expired = orders_expire(now=now)
    return {"queried": queried, "applied": applied, "failed": failed, "expired": expired}


# --- e-mail --------------------------------------------------------------------------------


def _order_facts(order: Order, **more) -> dict:
    """What every alert names about an order, for its message's placeholders."""
    return {"number": order.number, "buyer": order.buyer_name, "cohort": order.cohort, **more}


def _founder_alert_send(*, order: Order, subject: str, lines: list[str]) -> None:
    """An e-mail to the founder about an order, ending with the link to its page."""
    link = settings.SITE_URL + reverse("billing:order_detail", args=[order.number])
    send_mail(subject, "\n".join([*lines, "", link]), None, [settings.FOUNDER_EMAIL])


def order_second_payment_alert_send(*, order: Order, provider: str, trade_no: str, amount: str) -> None:
    """Tell the founder that a paid order was paid again, and which payment to refund."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Paid twice: order %(number)s") % {"number": order.number}
        lines = [
            _(
                "Order %(number)s (%(buyer)s, %(cohort)s) was already paid, and another payment of "
                "%(amount)s arrived through %(provider)s (transaction %(trade_no)s)."
            )
            % _order_facts(order, amount=amount, provider=Provider(provider).label, trade_no=trade_no or "—"),
            _("onepco kept the first payment. Refund the second one in the provider's dashboard."),
        ]
    _founder_alert_send(order=order, subject=subject, lines=lines)


def order_seat_wait_alert_send(*, order: Order) -> None:
    """Tell the founder that money came for an order whose seat had gone, and the choices."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Paid, but no seat left: order %(number)s") % {"number": order.number}
        lines = [
            _(
                "%(buyer)s (%(email)s) paid %(amount)s for order %(number)s (%(cohort)s) through "
                "%(provider)s after the order had expired or been cancelled, and the cohort has no "
                "seat left."
            )
            % _order_facts(
                order,
                email=order.buyer_email or order.buyer_phone or "—",
                amount=f"{order.amount} {order.currency}",
                provider=Provider(order.provider).label,
            ),
            _("onepco recorded the payment but did not enroll the buyer. On the order's page, choose:"),
            _("- refund the payment, or"),
            _("- raise the cohort's capacity by one and enroll the buyer."),
        ]
    _founder_alert_send(order=order, subject=subject, lines=lines)


def order_amount_mismatch_alert_send(
    *, order: Order, provider: str, trade_no: str, amount: str, currency: str
) -> None:
    """Tell the founder that a payment was refused because its amount is not the order's."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Payment refused, wrong amount: order %(number)s") % {"number": order.number}
        lines = [
            _(
                "A payment of %(amount)s arrived through %(provider)s (transaction %(trade_no)s) for "
                "order %(number)s (%(buyer)s, %(cohort)s), which costs %(expected)s."
            )
            % _order_facts(
                order,
                amount=f"{amount} {currency}",
                provider=Provider(provider).label,
                trade_no=trade_no or "—",
                expected=f"{order.amount} {order.currency}",
            ),
            _(
                "onepco did not take this payment for the order. The money is at the provider: refund "
                "it there, and send the buyer the payment link again if the order is still to be paid."
            ),
        ]
    _founder_alert_send(order=order, subject=subject, lines=lines)


def order_enrollment_email_send(*, order: Order) -> None:
    """The enrollment instructions: the cohort's text, its schedule and how to sign in."""
    cohort = order.cohort
    context = {
        "order": order,
        "cohort": cohort,
        "lessons": cohort.lessons.order_by("starts_at")[:50],
        "login_url": settings.SITE_URL + reverse("account_login"),
        "learn_url": settings.SITE_URL + reverse("home"),
        "SITE_NAME": settings.SITE_NAME,
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("You are enrolled: %(cohort)s") % {"cohort": cohort}
        body = render_to_string("billing/email/enrollment.txt", context)
    send_mail(subject, body, None, [order.buyer_email])
