"""Background jobs of billing: thin and idempotent, loading by id.

Jobs and services name each other through their modules, so that either may be imported first.
"""

from django.conf import settings

from billing import services
from billing.models import Order, ReferralReward, WaitlistEntry


def send_enrollment_email(order_id: int) -> None:
    order = Order.objects.select_related("cohort__course").filter(pk=order_id).first()
    if order is not None and order.is_paid and order.buyer_email:
        services.order_enrollment_email_send(order=order)


def send_referral_reward_email(reward_id: int) -> None:
    reward = (
        ReferralReward.objects.select_related("coupon", "referrer__user", "order__cohort__course")
        .filter(pk=reward_id)
        .first()
    )
    # Sent already (a crash after sending, a relay twice): once is enough.
    if reward is not None and reward.emailed_at is None:
        services.referral_reward_email_send(reward=reward)


def alert_second_payment(order_id: int, provider: str, trade_no: str, amount: str) -> None:
    order = Order.objects.select_related("cohort").filter(pk=order_id).first()
    if order is not None and settings.FOUNDER_EMAIL:
        services.order_second_payment_alert_send(
            order=order, provider=provider, trade_no=trade_no, amount=amount
        )


def alert_amount_mismatch(order_id: int, provider: str, trade_no: str, amount: str, currency: str) -> None:
    order = Order.objects.select_related("cohort").filter(pk=order_id).first()
    if order is not None and settings.FOUNDER_EMAIL:
        services.order_amount_mismatch_alert_send(
            order=order, provider=provider, trade_no=trade_no, amount=amount, currency=currency
        )


def alert_seat_wait(order_id: int) -> None:
    order = Order.objects.select_related("cohort").filter(pk=order_id).first()
    # The founder may have refunded it or enrolled the buyer before this ran.
    if order is not None and order.waits_for_seat and settings.FOUNDER_EMAIL:
        services.order_seat_wait_alert_send(order=order)


def alert_needs_email(order_id: int) -> None:
    order = Order.objects.select_related("cohort").filter(pk=order_id).first()
    # The founder may have added the e-mail (and so enrolled the buyer) before this ran.
    if order is not None and order.needs_email and settings.FOUNDER_EMAIL:
        services.order_needs_email_alert_send(order=order)


def close_provider_trade(order_id: int) -> None:
    order = Order.objects.filter(pk=order_id).first()
    if order is not None:
        services.order_trade_close(order=order)


def reconcile_payments() -> dict[str, int]:
    return services.payments_reconcile()


def alert_already_enrolled(order_id: int) -> None:
    order = Order.objects.select_related("cohort").filter(pk=order_id).first()
    if order is not None and order.waits_for_seat and settings.FOUNDER_EMAIL:
        services.order_already_enrolled_alert_send(order=order)


def send_waitlist_offer(entry_id: int) -> None:
    entry = WaitlistEntry.objects.select_related("cohort__course").filter(pk=entry_id).first()
    # Lapsed or taken up before this ran: nothing to send.
    if entry is not None and entry.status == WaitlistEntry.Status.OFFERED and entry.email:
        services.waitlist_offer_email_send(entry=entry)


def offer_waitlist_seats() -> int:
    return services.waitlist_offers_run()


def send_checkout_follow_up(order_id: int) -> None:
    order = Order.objects.select_related("cohort").filter(pk=order_id).first()
    # Paid, unsubscribed or out of seats since it was queued: no e-mail.
    if order is not None and order.buyer_email and services.checkout_follow_up_still_wanted(order=order):
        services.checkout_follow_up_email_send(order=order)


def send_checkout_follow_ups() -> int:
    return services.checkout_follow_ups_run()


def refund_payment_trial(trial_id: int) -> None:
    services.payment_trial_refund(trial_id=trial_id)


def send_next_cohort_offer(entry_id: int) -> None:
    entry = WaitlistEntry.objects.select_related("cohort", "next_cohort").filter(pk=entry_id).first()
    # Unsubscribed since it was queued, or the cohort is no longer on sale: no e-mail.
    if entry is None or entry.next_cohort is None or not entry.email:
        return
    if services.waitlist_next_cohort_still_wanted(entry=entry):
        services.waitlist_next_cohort_email_send(entry=entry)
