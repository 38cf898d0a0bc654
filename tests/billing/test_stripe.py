"""Stripe: webhooks signed with the endpoint secret as Stripe signs them; outbound calls through
a fake stripe.HTTPClient."""

import time
from decimal import Decimal

import pytest

from billing.models import Order, PaymentEvent, Refund
from billing.services import order_query, refund_issue
from cohorts.models import Enrollment
from onepco.models import OutboxMessage
from tests.billing.conftest import order_state, stripe_event, stripe_post, stripe_session


def test_completed_session_marks_paid_once(client, stripe_on, order):
    response = stripe_post(client, stripe_event("checkout.session.completed", stripe_session(order)))

    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == "paid" and order.provider == "stripe" and order.provider_trade_no == "pi_test_1"
    assert Enrollment.objects.count() == 1
    assert OutboxMessage.objects.count() == 1


def test_duplicate_and_async_success_after_completion_change_nothing(client, stripe_on, order):
    payload = stripe_event("checkout.session.completed", stripe_session(order))
    stripe_post(client, payload)
    before = order_state(order)

    assert stripe_post(client, payload).status_code == 200
    later = stripe_event("checkout.session.async_payment_succeeded", stripe_session(order), event_id="evt_2")
    assert stripe_post(client, later).status_code == 200

    assert order_state(order) == before
    assert OutboxMessage.objects.count() == 1
    assert list(PaymentEvent.objects.order_by("id").values_list("outcome", flat=True)) == [
        "applied",
        "duplicate",
        "duplicate",
    ]


def test_a_second_payment_keeps_the_first_and_tells_the_founder_once(
    client, stripe_on, order, run_jobs, mailoutbox, settings
):
    settings.FOUNDER_EMAIL = "boss@example.com"
    stripe_post(client, stripe_event("checkout.session.completed", stripe_session(order)))
    second = stripe_session(order, id="cs_test_b2", payment_intent="pi_test_2")
    payload = stripe_event("checkout.session.completed", second, event_id="evt_2")
    assert stripe_post(client, payload).status_code == 200
    assert (
        stripe_post(client, stripe_event("checkout.session.completed", second, event_id="evt_3")).status_code
        == 200
    )

    order.refresh_from_db()
    assert order.provider_trade_no == "pi_test_1" and Enrollment.objects.count() == 1
    assert list(PaymentEvent.objects.order_by("id").values_list("outcome", flat=True)) == [
        "applied",
        "ignored",
        "ignored",
    ]
    run_jobs()
    alerts = [m for m in mailoutbox if m.to == ["boss@example.com"]]
    assert len(alerts) == 1  # the provider's retry of the same payment alerts nobody twice
    assert order.number in alerts[0].subject and "pi_test_2" in alerts[0].body
    assert f"/console/orders/{order.number}/" in alerts[0].body


def test_unpaid_completed_session_waits_for_async_payment(client, stripe_on, order):
    stripe_post(
        client, stripe_event("checkout.session.completed", stripe_session(order, payment_status="unpaid"))
    )
    assert order_state(order)[0] == "pending"
    stripe_post(
        client,
        stripe_event("checkout.session.async_payment_succeeded", stripe_session(order), event_id="evt_2"),
    )
    assert order_state(order)[0] == "paid"


@pytest.mark.parametrize(
    ("overrides", "why"), [({"amount_total": 100}, "amount"), ({"currency": "usd"}, "USD")]
)
def test_wrong_amount_or_currency_is_rejected(client, stripe_on, order, overrides, why):
    before = order_state(order)
    response = stripe_post(
        client, stripe_event("checkout.session.completed", stripe_session(order, **overrides))
    )
    assert response.status_code == 400
    assert order_state(order) == before
    assert why in PaymentEvent.objects.get().error


def test_wrong_secret_is_rejected(client, stripe_on, order):
    response = stripe_post(
        client, stripe_event("checkout.session.completed", stripe_session(order)), secret="whsec_other"
    )
    assert response.status_code == 400
    assert order_state(order)[0] == "pending"
    assert PaymentEvent.objects.get().verified is False


def test_replayed_event_outside_the_tolerance_is_rejected(client, stripe_on, order):
    payload = stripe_event("checkout.session.completed", stripe_session(order))
    response = stripe_post(client, payload, timestamp=int(time.time()) - 3600)
    assert response.status_code == 400
    assert order_state(order)[0] == "pending"


def test_charge_refunded_records_the_refund_and_ends_the_enrollment(client, stripe_on, order):
    stripe_post(client, stripe_event("checkout.session.completed", stripe_session(order)))
    charge = {"id": "ch_1", "object": "charge", "payment_intent": "pi_test_1", "amount": 199900,
              "amount_refunded": 199900, "refunded": True, "currency": "cny", "metadata": {}}  # fmt: skip

    assert stripe_post(client, stripe_event("charge.refunded", charge, event_id="evt_r")).status_code == 200
    assert stripe_post(client, stripe_event("charge.refunded", charge, event_id="evt_r")).status_code == 200

    refund = Refund.objects.get()
    assert refund.amount == Decimal("1999.00") and refund.status == "succeeded"
    assert order_state(order)[0] == "refunded"
    assert Enrollment.objects.get().status == "refunded"


def test_checkout_creates_a_session_and_redirects(client, stripe_on, order, fake_stripe):
    fake = fake_stripe(
        {
            "id": "cs_test_new",
            "object": "checkout.session",
            "url": "https://checkout.stripe.com/c/pay/cs_test_new",
        }
    )

    response = client.post(f"/pay/{order.number}/", {"method": "stripe"})

    assert response.status_code == 302 and response["Location"].startswith("https://checkout.stripe.com/")
    _method, url, data = fake.requests[0]
    assert url.endswith("/v1/checkout/sessions") and "client_reference_id=" + order.number in data
    assert "[unit_amount]=199900" in data and "[currency]=cny" in data
    order.refresh_from_db()
    assert order.provider_trade_no == "cs_test_new" and order.status == "pending"


def test_query_and_refund_through_the_api(stripe_on, order, founder, fake_stripe):
    Order.objects.filter(pk=order.pk).update(provider="stripe", provider_trade_no="cs_test_a1")
    order.refresh_from_db()
    fake_stripe(stripe_session(order))

    assert order_query(order=order).outcome == "applied"
    order.refresh_from_db()
    assert order.status == "paid" and order.provider_trade_no == "pi_test_1"

    fake = fake_stripe({"id": "re_1", "object": "refund", "status": "succeeded", "amount": 50000})
    refund = refund_issue(order=order, amount=Decimal("500.00"), reason="部分退款", by=founder)

    assert fake.requests[0][1].endswith("/v1/refunds") and "payment_intent=pi_test_1" in fake.requests[0][2]
    assert refund.status == "succeeded" and refund.provider_refund_id == "re_1"
    assert order_state(order)[0] == "partially_refunded"
    assert Enrollment.objects.get().status == "active"
