"""Money for an order that had expired or been cancelled. With a seat left the buyer is enrolled
as usual; with none, the money is recorded (revenue counts it once) but the buyer waits, the
founder is told once and chooses on the order page: refund, or raise capacity and enroll."""

from datetime import timedelta
from decimal import Decimal

import alipay
import pytest
from django.utils import timezone

from billing.models import Order
from billing.selectors import cohort_seats_left, seat_holding
from cohorts.models import Cohort, Enrollment
from onepco.models import OutboxMessage
from tests.billing.conftest import FakeUrlopen, alipay_gateway_answer, alipay_notification, alipay_post

ALERT = "billing.jobs.alert_seat_wait"
LATE = {
    "expired": {"status": "expired", "closed_at": timezone.now()},
    "cancelled": {"status": "cancelled", "closed_at": timezone.now()},
    # Past its expiry, not yet swept by the reconcile job: it holds no seat either.
    "pending-past-expiry": {"status": "pending", "expires_at": timezone.now() - timedelta(minutes=1)},
}


def late_payment(order: Order, keys) -> bytes:
    return alipay_notification(
        order, keys["alipay"], notify_id="late-1", trade_no="2026112322001400000000000077"
    )


@pytest.fixture
def last_seat_sold(client, alipay_on, keys, cohort, order):
    """A cohort of one seat: `order` let its seat go, then another buyer paid for that seat."""
    Cohort.objects.filter(pk=cohort.pk).update(capacity=1)
    cohort.refresh_from_db()
    Order.objects.filter(pk=order.pk).update(**LATE["expired"])
    other = Order.objects.create(
        cohort=cohort, buyer_name="李雷", buyer_email="lilei@example.com", amount=cohort.price,
        expires_at=timezone.now() + timedelta(minutes=30),
    )  # fmt: skip
    assert alipay_post(client, alipay_notification(other, keys["alipay"])).content == b"success"
    assert Enrollment.objects.filter(cohort=cohort, status="active").count() == 1
    return other


def active_enrollments(cohort) -> int:
    return Enrollment.objects.filter(cohort=cohort, status="active").count()


@pytest.mark.parametrize("late", LATE)
def test_a_late_payment_without_a_seat_is_recorded_but_does_not_enroll(
    client, keys, cohort, order, last_seat_sold, late, run_jobs, mailoutbox, settings
):
    settings.FOUNDER_EMAIL = "boss@example.com"
    Order.objects.filter(pk=order.pk).update(status="pending", closed_at=None)
    Order.objects.filter(pk=order.pk).update(**LATE[late])

    assert alipay_post(client, late_payment(order, keys)).content == b"success"  # the money is taken

    order.refresh_from_db()
    assert order.status == "paid" and order.paid_at is not None and order.waits_for_seat
    assert order.enrollment_id is None
    assert active_enrollments(cohort) == 1
    assert cohort_seats_left(cohort) == 0
    assert set(Order.objects.filter(seat_holding()).values_list("pk", flat=True)) == {last_seat_sold.pk}
    assert Order.objects.filter(paid_at__isnull=False).count() == 2  # revenue counts it, once

    assert alipay_post(client, late_payment(order, keys)).content == b"success"  # the retry
    run_jobs()
    alerts = [m for m in mailoutbox if m.to == ["boss@example.com"]]
    assert len(alerts) == 1
    assert alerts[0].subject == f"已付款但没有名额：订单 {order.number}"  # the site's language
    assert "退还这笔款项" in alerts[0].body and "把本期名额增加一个" in alerts[0].body
    for text in ("王小明", "buyer@example.com", "1999.00", f"/console/orders/{order.number}/"):
        assert text in alerts[0].body
    assert not [m for m in mailoutbox if m.to == ["buyer@example.com"]]  # no enrollment e-mail


def test_a_late_payment_with_a_seat_left_enrolls_as_usual(client, alipay_on, keys, cohort, order):
    Order.objects.filter(pk=order.pk).update(**LATE["cancelled"])

    assert alipay_post(client, late_payment(order, keys)).content == b"success"

    order.refresh_from_db()
    assert order.status == "paid" and not order.waits_for_seat
    assert order.enrollment.status == Enrollment.Status.ACTIVE
    assert not OutboxMessage.objects.filter(job=ALERT).exists()


def pay_late_without_seat(client, order, keys) -> Order:
    alipay_post(client, late_payment(order, keys))
    order.refresh_from_db()
    assert order.waits_for_seat
    return order


def test_founder_raises_capacity_by_one_and_the_buyer_is_enrolled_once(
    client, founder_client, keys, cohort, order, last_seat_sold, run_jobs, mailoutbox
):
    order = pay_late_without_seat(client, order, keys)
    run_jobs()
    mailoutbox.clear()

    response = founder_client.post(f"/console/orders/{order.number}/enroll/")

    assert response.status_code == 302 and response["Location"] == f"/console/orders/{order.number}/"
    cohort.refresh_from_db()
    order.refresh_from_db()
    assert cohort.capacity == 2
    assert not order.waits_for_seat and order.enrollment.status == Enrollment.Status.ACTIVE
    assert active_enrollments(cohort) == 2 and cohort_seats_left(cohort) == 0
    run_jobs()
    assert [m.to for m in mailoutbox] == [["buyer@example.com"]]
    assert "请加入班级微信群" in mailoutbox[0].body

    founder_client.cookies["django_language"] = "en"
    again = founder_client.post(f"/console/orders/{order.number}/enroll/", follow=True)
    cohort.refresh_from_db()
    assert cohort.capacity == 2 and active_enrollments(cohort) == 2
    assert "This order is not waiting for a seat." in again.content.decode()


def test_a_waiting_order_holds_no_seat_and_takes_one_that_is_freed(
    client, founder_client, keys, cohort, order, last_seat_sold
):
    order = pay_late_without_seat(client, order, keys)
    Order.objects.filter(pk=last_seat_sold.pk).update(status="refunded")  # the other buyer left

    assert cohort_seats_left(cohort) == 1  # the waiting order was never given that seat
    founder_client.post(f"/console/orders/{order.number}/enroll/")

    cohort.refresh_from_db()
    order.refresh_from_db()
    assert cohort.capacity == 1 and order.enrollment.status == Enrollment.Status.ACTIVE
    assert cohort_seats_left(cohort) == 0


def test_founder_refunds_a_waiting_order_instead(
    client, founder_client, keys, cohort, order, last_seat_sold, monkeypatch
):
    order = pay_late_without_seat(client, order, keys)
    answer = alipay_gateway_answer(
        "alipay_trade_refund_response",
        {"code": "10000", "msg": "Success", "trade_no": order.provider_trade_no, "out_trade_no": order.number,
         "fund_change": "Y", "refund_fee": "1999.00"},
        keys["alipay"],
    )  # fmt: skip
    monkeypatch.setattr(alipay, "urlopen", FakeUrlopen(answer))

    founder_client.post(
        f"/console/orders/{order.number}/refund/", {"amount": "1999.00", "reason": "没有名额"}
    )

    order.refresh_from_db()
    assert order.status == "refunded" and order.enrollment_id is None and not order.waits_for_seat
    assert order.refunds.get().amount == Decimal("1999.00")
    assert active_enrollments(cohort) == 1 and cohort_seats_left(cohort) == 0
    assert founder_client.post(f"/console/orders/{order.number}/enroll/").status_code == 302
    assert active_enrollments(cohort) == 1


def test_the_order_page_says_paid_waiting_for_a_seat_in_chinese_and_english(
    client, founder_client, keys, cohort, order, last_seat_sold
):
    order = pay_late_without_seat(client, order, keys)
    url = f"/console/orders/{order.number}/"

    chinese = founder_client.get(url).content.decode()
    founder_client.cookies["django_language"] = "en"
    english = founder_client.get(url).content.decode()

    assert "已付款，等待名额" in chinese and "名额加一并报名" in chinese
    assert "Paid, waiting for a seat" in english and "Raise capacity by one and enroll" in english
    assert f'action="/console/orders/{order.number}/enroll/"' in english
    assert f'action="/console/orders/{order.number}/refund/"' in english
    assert "Waiting for a seat" in founder_client.get("/console/orders/").content.decode()
