"""A refund that arrives before its payment: the payment's notification failed during an outage,
the founder refunded in the provider's dashboard, then the payment's retry came. onepco keeps the
verified refund and applies it the moment the payment lands (notification or query), so a
refunded buyer is never enrolled, and the week's revenue and refunds both show the money."""

from decimal import Decimal

import alipay
import pytest

from billing.models import Order, PaymentEvent, Refund
from billing.services import order_query
from cohorts.models import Enrollment
from onepco.models import OutboxMessage
from tests.billing.conftest import (
    FakeUrlopen,
    alipay_gateway_answer,
    alipay_notification,
    alipay_post,
    order_state,
    stripe_event,
    stripe_post,
    stripe_session,
    wechat_notification,
    wechat_post,
    wechat_transaction,
)

ENROLLMENT_EMAIL = "billing.jobs.send_enrollment_email"


def outcomes() -> list[str]:
    return list(PaymentEvent.objects.order_by("id").values_list("outcome", flat=True))


def assert_held(order: Order) -> None:
    """The refund is kept, and nothing else changed: there is no payment to refund yet."""
    assert order_state(order)[0] == "pending"
    assert Refund.objects.count() == 0
    assert outcomes()[-1] == "held"


def assert_refunded_and_never_enrolled(order: Order) -> None:
    order.refresh_from_db()
    assert order.status == "refunded" and order.paid_at is not None and order.enrollment_id is None
    refund = Refund.objects.get(order=order)
    assert refund.status == "succeeded" and refund.amount == order.amount
    assert refund.refunded_at >= order.paid_at
    assert not Enrollment.objects.exists()
    assert not OutboxMessage.objects.filter(job=ENROLLMENT_EMAIL).exists()


def stripe_charge(order: Order, **overrides) -> dict:
    charge = {"id": "ch_1", "object": "charge", "payment_intent": "pi_test_1", "amount": 199900,
              "amount_refunded": 199900, "refunded": True, "currency": "cny",
              "metadata": {"order": order.number}}  # fmt: skip
    return charge | overrides


def test_stripe_charge_refunded_before_the_payment_is_applied_when_it_lands(client, stripe_on, order):
    refund = stripe_event("charge.refunded", stripe_charge(order), event_id="evt_r")
    assert stripe_post(client, refund).status_code == 200
    assert_held(order)
    assert stripe_post(client, refund).status_code == 200  # Stripe's retry while it waits
    assert outcomes() == ["held", "duplicate"]

    paid = stripe_event("checkout.session.completed", stripe_session(order), event_id="evt_p")
    assert stripe_post(client, paid).status_code == 200

    assert_refunded_and_never_enrolled(order)
    assert outcomes() == ["applied", "duplicate", "applied"]
    before = order_state(order)
    assert stripe_post(client, refund).status_code == 200
    assert stripe_post(client, paid).status_code == 200
    assert order_state(order) == before and Refund.objects.count() == 1
    assert outcomes()[-2:] == ["duplicate", "duplicate"]


@pytest.mark.parametrize(
    "refund_fields",
    [
        {"trade_status": "TRADE_CLOSED", "refund_fee": "1999.00", "gmt_refund": "2026-11-24 09:00:00.123"},
        # A full refund closes the trade; a TRADE_CLOSED without refund_fee says just that.
        {"trade_status": "TRADE_CLOSED", "gmt_close": "2026-11-24 09:00:00"},
    ],
    ids=["with-refund-fee", "without-refund-fee"],
)
def test_alipay_full_refund_before_the_payment_is_applied_when_it_lands(
    client, alipay_on, keys, order, refund_fields
):
    refund = alipay_notification(order, keys["alipay"], notify_id="refund-notify-1", **refund_fields)
    assert alipay_post(client, refund).content == b"success"
    assert_held(order)

    paid = alipay_notification(order, keys["alipay"])
    assert alipay_post(client, paid).content == b"success"

    assert_refunded_and_never_enrolled(order)
    assert alipay_post(client, refund).content == b"success"
    assert alipay_post(client, paid).content == b"success"
    assert Refund.objects.count() == 1 and order_state(order)[0] == "refunded"


def test_alipay_partial_refund_before_the_payment_keeps_the_buyer_and_both_numbers(
    client, alipay_on, keys, order, founder_client
):
    refund = alipay_notification(
        order, keys["alipay"], notify_id="refund-notify-1", refund_fee="500.00",
        gmt_refund="2026-11-24 09:00:00.123", out_biz_no="ALIREFUND1",
    )  # fmt: skip
    assert alipay_post(client, refund).content == b"success"
    assert_held(order)

    assert alipay_post(client, alipay_notification(order, keys["alipay"])).content == b"success"

    order.refresh_from_db()
    assert order.status == "partially_refunded"
    assert Refund.objects.get().amount == Decimal("500.00")
    assert order.enrollment.status == Enrollment.Status.ACTIVE
    assert OutboxMessage.objects.filter(job=ENROLLMENT_EMAIL).count() == 1
    # Paid 2026-11-23, refunded 2026-11-24 (Beijing time): both in ISO week 2026-W48.
    counts = founder_client.get("/api/dashboard/weekly?week=2026-W48").json()["counts"]
    assert (counts["deals"], counts["revenue"], counts["refunded"]) == (1, "1999.00", "500.00")


def test_wechat_refund_success_before_the_payment_is_applied_when_it_lands(client, wechat_on, keys, order):
    resource = {
        "mchid": "1900000001", "out_trade_no": order.number, "transaction_id": "4200000000202611230000000001",
        "out_refund_no": "WXDASHBOARD1", "refund_id": "50000000382019052709732678859",
        "refund_status": "SUCCESS", "success_time": "2026-11-24T10:00:00+08:00",
        "amount": {"total": 199900, "refund": 199900, "payer_total": 199900, "payer_refund": 199900},
    }  # fmt: skip
    refund = wechat_notification(
        resource, keys["wechat_platform"], event_id="EV-R1", event_type="REFUND.SUCCESS"
    )
    assert wechat_post(client, *refund).status_code == 200
    assert_held(order)
    assert wechat_post(client, *refund).status_code == 200
    assert outcomes() == ["held", "duplicate"]

    paid = wechat_notification(wechat_transaction(order), keys["wechat_platform"])
    assert wechat_post(client, *paid).status_code == 200

    assert_refunded_and_never_enrolled(order)
    assert Refund.objects.get().provider_refund_id == "50000000382019052709732678859"
    assert wechat_post(client, *paid).status_code == 200
    assert Refund.objects.count() == 1 and order_state(order)[0] == "refunded"


def test_a_held_refund_applies_when_the_reconcile_query_finds_the_payment(
    client, alipay_on, keys, order, monkeypatch
):
    Order.objects.filter(pk=order.pk).update(provider="alipay")
    refund = alipay_notification(
        order, keys["alipay"], notify_id="refund-notify-1", refund_fee="500.00",
        gmt_refund="2026-11-24 09:00:00", out_biz_no="ALIREFUND1",
    )  # fmt: skip
    alipay_post(client, refund)
    assert_held(order)
    answer = alipay_gateway_answer(
        "alipay_trade_query_response",
        {"code": "10000", "msg": "Success", "trade_no": "2026112322001400000000000001", "out_trade_no": order.number,
         "trade_status": "TRADE_SUCCESS", "total_amount": "1999.00", "send_pay_date": "2026-11-23 10:00:04"},
        keys["alipay"],
    )  # fmt: skip
    monkeypatch.setattr(alipay, "urlopen", FakeUrlopen(answer))

    assert order_query(order=order).outcome == "applied"

    order.refresh_from_db()
    assert order.status == "partially_refunded" and Refund.objects.get().amount == Decimal("500.00")
    assert outcomes() == ["applied", "applied"]


def test_a_refund_of_another_payment_does_not_refund_the_order(client, stripe_on, order):
    """The founder refunds a second payment in the dashboard, as the "paid twice" alert asks:
    the order keeps the first payment and its buyer."""
    stripe_post(client, stripe_event("checkout.session.completed", stripe_session(order)))
    second = stripe_charge(order, id="ch_2", payment_intent="pi_test_2")

    assert stripe_post(client, stripe_event("charge.refunded", second, event_id="evt_r2")).status_code == 200

    assert order_state(order)[0] == "paid" and Refund.objects.count() == 0
    assert Enrollment.objects.get().status == Enrollment.Status.ACTIVE


def test_alipay_trade_closed_for_a_paid_order_is_its_full_refund(client, alipay_on, keys, order):
    alipay_post(client, alipay_notification(order, keys["alipay"]))

    closed = alipay_notification(
        order,
        keys["alipay"],
        notify_id="close-1",
        trade_status="TRADE_CLOSED",
        gmt_close="2026-11-24 09:00:00",
    )
    assert alipay_post(client, closed).content == b"success"

    assert order_state(order)[0] == "refunded"
    assert Refund.objects.get().amount == order.amount
    assert Enrollment.objects.get().status == Enrollment.Status.REFUNDED
