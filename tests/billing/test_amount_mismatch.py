"""A correctly signed payment notification whose amount or currency does not match the order is
refused, as before (the order stays unpaid and the provider keeps retrying), but real money
arrived: the founder is told, once per transaction however often it is retried."""

import pytest

from billing.models import PaymentEvent
from tests.billing.conftest import (
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


def alipay_wrong(client, order, keys):
    return alipay_post(client, alipay_notification(order, keys["alipay"], total_amount="1.00"))


def wechat_wrong(client, order, keys):
    headers, body = wechat_notification(
        wechat_transaction(order, amount={"total": 100, "currency": "CNY"}), keys["wechat_platform"]
    )
    return wechat_post(client, headers, body)


def stripe_wrong(client, order, keys):
    return stripe_post(
        client, stripe_event("checkout.session.completed", stripe_session(order, amount_total=100))
    )


@pytest.mark.parametrize(
    ("provider", "deliver", "trade_no"),
    [
        ("alipay", alipay_wrong, "2026112322001400000000000001"),
        ("wechat", wechat_wrong, "4200000000202611230000000001"),
        ("stripe", stripe_wrong, "pi_test_1"),
    ],
)
def test_a_signed_payment_with_the_wrong_amount_is_refused_and_the_founder_told_once(
    client, keys, order, alipay_on, wechat_on, stripe_on, run_jobs, mailoutbox, provider, deliver, trade_no
):
    alipay_on.FOUNDER_EMAIL = "boss@example.com"
    before = order_state(order)

    assert deliver(client, order, keys).status_code == 400
    assert deliver(client, order, keys).status_code == 400  # the provider's retry

    assert order_state(order) == before
    assert list(PaymentEvent.objects.values_list("outcome", flat=True)) == ["rejected", "rejected"]
    run_jobs()
    alerts = [m for m in mailoutbox if m.to == ["boss@example.com"]]
    assert len(alerts) == 1
    assert alerts[0].subject == f"金额不符，付款未被接受：订单 {order.number}"  # the site's language
    for text in ("1.00", "1999.00", trade_no, f"/console/orders/{order.number}/"):
        assert text in alerts[0].body
