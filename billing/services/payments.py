"""Money reported: every notification, query answer and founder confirmation is stored as a
PaymentEvent, turned into a provider-neutral Notice and applied to its order under a row lock,
at most once however often, however concurrently and in whatever order it arrives."""

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.selectors import user_by_wechat_openid
from accounts.services import user_get_or_create
from billing import jobs
from billing.models import Order, PaymentEvent
from billing.providers import Notice, NoticeKind, ProviderError, Rejected, get_provider
from billing.selectors import cohort_seats_left, seat_holding
from billing.services.orders import orders_expire
from billing.services.referrals import referral_reward_credit
from billing.services.refunds import _order_apply_refund
from billing.services.trials import is_payment_trial, payment_trial_notice_apply, payment_trials_reconcile
from cohorts.models import Cohort, Enrollment
from cohorts.services import cohort_capacity_raise, enrollment_create, student_get_or_create
from crm.services import lead_find, lead_mark_won
from onepco.models import OutboxMessage
from onepco.outbox import job_path, outbox_enqueue

log = logging.getLogger(__name__)


# Headers worth keeping with a notification (never cookies or credentials), each cut short.
KEPT_HEADERS = ("Content-Type", "User-Agent", "Stripe-Signature", "X-Simulated-Signature")


KEPT_HEADER_CHARS = 500


# What an unverified notification keeps of its body: anyone can post to the endpoints.
UNVERIFIED_BODY_BYTES = 2048


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
    if is_payment_trial(notice.order_number):
        return payment_trial_notice_apply(event=event, notice=notice)
    if notice.kind in (NoticeKind.PENDING, NoticeKind.IGNORE):
        order = Order.objects.filter(number=notice.order_number).first() if notice.order_number else None
        return _event_close(event, outcome=Outcome.IGNORED, error=notice.detail, order=order)
    try:
        with transaction.atomic():
            order = _order_for_notice(notice, event.provider)
            if order is None:
                return _event_close(event, outcome=Outcome.REJECTED, error="unknown order")
            if notice.currency.upper() != order.currency.upper() or notice.amount != order.amount:
                error = f"amount {notice.amount} {notice.currency} does not match the order's {order.amount} {order.currency}"
                if notice.kind == NoticeKind.PAID:
                    # Refused, but real money arrived: only the founder can settle it.
                    _founder_alert_once(
                        jobs.alert_amount_mismatch, order.pk, event.provider,
                        notice.trade_no or notice.event_id, str(notice.amount), notice.currency,
                    )  # fmt: skip
                return _event_close(event, outcome=Outcome.REJECTED, error=error, order=order)
            if notice.event_id and (
                PaymentEvent.objects.filter(
                    provider=event.provider, event_id=notice.event_id, outcome=Outcome.APPLIED
                ).exists()
            ):
                return _event_close(event, outcome=Outcome.DUPLICATE, order=order)
            if notice.kind == NoticeKind.PAID:
                outcome, error = _order_apply_paid(order, notice, event.provider)
            elif not order.is_paid:
                outcome, error = _refund_hold(event, notice)
            else:
                outcome, error = _order_apply_refund(order, notice, event.provider)
            return _event_close(event, outcome=outcome, error=error, order=order)
    except IntegrityError as exc:
        if _constraint_of(exc) != APPLIED_ONCE:
            raise  # anything else failed: nothing was applied, the provider must retry
        # The unique "applied once" index caught a twin that slipped past the checks.
        return _event_close(event, outcome=Outcome.DUPLICATE, error=str(exc)[:300])


APPLIED_ONCE = "payment_event_applied_once"


def _constraint_of(exc: IntegrityError) -> str:
    diag = getattr(exc.__cause__, "diag", None)
    return getattr(diag, "constraint_name", "") or ""


def _order_apply_paid(order: Order, notice: Notice, provider_name: str) -> tuple[str, str]:
    Outcome = PaymentEvent.Outcome
    if order.is_paid:
        if order.provider == provider_name and order.provider_trade_no == notice.trade_no:
            return Outcome.DUPLICATE, ""
        # Money arrived twice (two methods tried): keep the first, tell the founder once per
        # transaction.
        _founder_alert_once(
            jobs.alert_second_payment, order.pk, provider_name, notice.trade_no, str(notice.amount)
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
    if order.user_id is None and (openid := notice.extra.get("payer_openid")):
        # Paid from a WeChat bound to an account (WeChat sign-in): the seat goes to that account.
        order.user = user_by_wechat_openid(openid=openid)
    enrolled = order_buyer_enrollment(order)
    seated = enrolled is None and _order_seat_available(order)
    order.status = Order.Status.PAID
    order.provider = provider_name
    order.provider_trade_no = notice.trade_no[:128]
    order.paid_at = notice.paid_at or timezone.now()
    order.closed_at = None
    order.save(update_fields=["status", "provider", "provider_trade_no", "paid_at", "closed_at", "user"])
    _order_apply_held_refunds(order)
    if order.status == Order.Status.REFUNDED:
        # Refunded before onepco heard of the payment: the money is recorded both ways, and
        # the buyer, who no longer paid for a seat, is not enrolled.
        return Outcome.APPLIED, _join(note, "refunded before its payment arrived: not enrolled")
    if enrolled is not None:
        # The buyer already has their seat through another order (they paid again after this
        # one expired): the money is recorded, it takes no second seat, and the founder refunds it.
        order.seat_wait_since = timezone.now()
        order.save(update_fields=["seat_wait_since"])
        _founder_alert_once(jobs.alert_already_enrolled, order.pk)
        return Outcome.APPLIED, _join(note, "the buyer is already enrolled through another order: refund it")
    if not seated:
        # Enrolling would oversell the cohort. The money stays recorded (revenue counts it);
        # the founder refunds it or raises capacity and enrolls (`order_seat_grant`).
        order.seat_wait_since = timezone.now()
        order.save(update_fields=["seat_wait_since"])
        _founder_alert_once(jobs.alert_seat_wait, order.pk)
        return Outcome.APPLIED, _join(note, "no seat left: paid, waiting for a seat")
    _order_fulfil(order)
    return Outcome.APPLIED, note


def order_buyer_enrollment(order: Order) -> Enrollment | None:
    """The buyer's active enrollment in the order's cohort, got through another order."""
    buyer = (
        Q(student__user=order.user) if order.user_id else Q(student__user__email__iexact=order.buyer_email)
    )
    if not order.user_id and not order.buyer_email:
        return None
    return (
        Enrollment.objects.filter(buyer, cohort_id=order.cohort_id, status=Enrollment.Status.ACTIVE)
        .exclude(orders=order)
        .first()
    )


def _order_seat_available(order: Order) -> bool:
    """Whether an order about to be paid may enroll: it still holds its seat (pending, not
    expired), or the cohort has one free, counted under a lock on the cohort's row so that a
    checkout cannot take it meanwhile."""
    now = timezone.now()
    if Order.objects.filter(seat_holding(now), pk=order.pk).exists():
        return True
    cohort = Cohort.objects.select_for_update().get(pk=order.cohort_id)
    return cohort_seats_left(cohort, now) > 0


def _founder_alert_once(job: Callable, *args) -> None:
    """Queue an e-mail to the founder unless the same one was queued before: checked on the
    outbox row itself, so a provider's retry of the same notice alerts nobody twice."""
    if not OutboxMessage.objects.filter(job=job_path(job), args=list(args)).exists():
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
    for event in (
        order.events.filter(outcome=Outcome.HELD).exclude(held_notice=None).order_by("received_at", "id")
    ):
        notice = Notice.from_json(event.held_notice or {})
        outcome, error = _order_apply_refund(order, notice, event.provider)
        _event_close(event, outcome=outcome, error=error)


def order_free_complete(*, order: Order) -> Order:
    """An order a 100 %-off coupon made free is paid at once, without a provider: the buyer is
    enrolled, and it counts as a deal with no revenue."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status != Order.Status.PENDING or order.amount != 0:
            raise ValidationError(_("Only a free pending order is completed without payment."))
        order.status, order.paid_at = Order.Status.PAID, timezone.now()
        order.save(update_fields=["status", "paid_at"])
        _order_fulfil(order)
    return order


def _order_fulfil(order: Order, *, enrolled_at: datetime | None = None) -> None:
    """The buyer becomes a student of the cohort; the lead is won; the instructions go out."""
    lead = order.lead or lead_find(email=order.buyer_email, phone=order.buyer_phone)
    # The friend's money is in: the student who referred them is credited (once per order).
    referral_reward_credit(order=order, lead=lead)
    # A buyer who gave only a phone is reached at the e-mail of their lead, when it has one.
    email = order.buyer_email or (lead.email if lead is not None else "")
    if order.user is None and not email:
        # No address to make the account with: the money is in and the seat is theirs; the
        # founder adds the e-mail on the order's page (order_buyer_email_add), which enrolls.
        if lead is not None:
            lead_mark_won(lead=lead)
        order.lead = lead
        order.save(update_fields=["lead"])
        _founder_alert_once(jobs.alert_needs_email, order.pk)
        return
    # A new account has no password: the student signs in with a code sent to this address.
    user = order.user or user_get_or_create(email=email, name=order.buyer_name)[0]
    order.buyer_email = order.buyer_email or email
    student, _created = student_get_or_create(user=user, lead=lead, phone=order.buyer_phone)
    enrollment, _created = enrollment_create(
        student=student, cohort=order.cohort, enrolled_at=enrolled_at or order.paid_at
    )
    if lead is not None:
        lead_mark_won(lead=lead)
    order.user, order.lead, order.enrollment = user, lead, enrollment
    order.save(update_fields=["user", "lead", "enrollment", "buyer_email"])
    outbox_enqueue(jobs.send_enrollment_email, order.pk)


def order_buyer_email_add(*, order: Order, email: str) -> Order:
    """A buyer who paid with only a phone number gets the e-mail the founder was given (in
    WeChat, on the phone): their account is made with it and they are enrolled from now, and
    the enrollment e-mail goes out as for any paid order."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if not order.needs_email:
            raise ValidationError(_("This order is not waiting for the buyer's e-mail."))
        order.buyer_email = email.strip().lower()
        order.full_clean()
        order.save(update_fields=["buyer_email"])
        if order_buyer_enrollment(order) is not None:
            raise ValidationError(
                _("The buyer is already enrolled in this cohort through another order: refund this one.")
            )
        _order_fulfil(order, enrolled_at=timezone.now())
    return order


def order_seat_grant(*, order: Order, by: User) -> Order:
    """The founder's answer to money that came without a seat: enroll the buyer, raising the
    cohort's capacity by one unless a seat has been freed meanwhile (refunding is the other
    answer). The enrollment e-mail goes out as for any paid order."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if not order.waits_for_seat:
            raise ValidationError(_("This order is not waiting for a seat."))
        if order_buyer_enrollment(order) is not None:
            raise ValidationError(
                _("The buyer is already enrolled in this cohort through another order: refund this one.")
            )
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
    queried = applied = 0
    unanswered: list[int] = []
    pending = Order.objects.filter(status=Order.Status.PENDING, created_at__lte=cutoff).exclude(provider="")
    for order in pending.order_by("created_at")[:500]:
        try:
            event = order_query(order=order)
        except ProviderError as exc:
            log.warning("reconcile %s: %s", order.number, exc)
            unanswered.append(order.pk)
            continue
        if event is not None:
            queried += 1
            applied += event.outcome == PaymentEvent.Outcome.APPLIED
    # An order whose provider did not answer is not expired on a guess: money may have arrived.
    expired = orders_expire(now=now, keep=unanswered)
    trials = payment_trials_reconcile(now=now)
    return {
        "queried": queried, "applied": applied, "failed": len(unanswered), "expired": expired,
        "trials_paid": trials,
    }  # fmt: skip
