"""Races against real PostgreSQL: identical notifications at once, the last seat at once."""

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client

from billing.models import Order, PaymentEvent
from billing.services import order_place
from cohorts.models import Enrollment
from onepco.models import OutboxMessage
from tests import factories as f
from tests.billing.conftest import (
    alipay_notification,
    stripe_event,
    stripe_post,
    stripe_session,
    wechat_notification,
    wechat_post,
    wechat_transaction,
)

THREADS = 20


def run_at_once(work, n: int = THREADS) -> list:
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _alipay(order, keys):
    body = alipay_notification(order, keys["alipay"])
    return lambda client: client.post(
        "/billing/notify/alipay/", data=body, content_type="application/x-www-form-urlencoded"
    )


def _wechat(order, keys):
    headers, body = wechat_notification(wechat_transaction(order), keys["wechat_platform"])
    return lambda client: wechat_post(client, headers, body)


def _stripe(order, keys):
    payload = stripe_event("checkout.session.completed", stripe_session(order))
    return lambda client: stripe_post(client, payload)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("provider", ["alipay", "wechat", "stripe"])
def test_twenty_identical_notifications_at_once_pay_and_enroll_once(
    provider, alipay_on, wechat_on, stripe_on, keys, order, run_jobs, mailoutbox
):
    send = {"alipay": _alipay, "wechat": _wechat, "stripe": _stripe}[provider](order, keys)

    responses = run_at_once(lambda i: send(Client()))

    assert all(getattr(r, "status_code", None) == 200 for r in responses), responses
    assert PaymentEvent.objects.count() == THREADS
    assert PaymentEvent.objects.filter(outcome="applied").count() == 1
    assert PaymentEvent.objects.filter(outcome="duplicate").count() == THREADS - 1
    order.refresh_from_db()
    assert order.status == "paid"
    assert Enrollment.objects.filter(cohort=order.cohort).count() == 1
    assert OutboxMessage.objects.count() == 1
    run_jobs()
    assert len(mailoutbox) == 1


@pytest.mark.django_db(transaction=True)
def test_the_last_seat_cannot_be_sold_twice_under_concurrent_checkouts():
    cohort = f.make_cohort(capacity=3, sale_open=True, price=Decimal("99.00"))
    f.make_order(cohort, status=Order.Status.PAID)
    f.make_order(cohort, status=Order.Status.PENDING, expires_at=f.timezone.now() + f.timedelta(minutes=10))

    def buy(i: int):
        return order_place(cohort=cohort, buyer_name=f"买家{i}", buyer_email=f"racer{i}@example.com")

    results = run_at_once(buy, n=10)

    placed = [r for r in results if isinstance(r, Order)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(placed) == 1 and len(refused) == 9, results
    assert all(e.code == "sold_out" for e in refused)
    assert Order.objects.filter(cohort=cohort).count() == 3
