"""Alipay: notifications signed with a generated Alipay key, outbound calls with a faked gateway."""

import re
from datetime import datetime
from decimal import Decimal

import alipay
import pytest

from billing.models import Order, PaymentEvent, Refund
from billing.services import order_query, refund_issue
from cohorts.models import Enrollment
from crm.models import Lead
from onepco.models import OutboxMessage
from tests.billing.conftest import FakeUrlopen, alipay_gateway_answer, alipay_notification, order_state

NOTIFY = "/billing/notify/alipay/"
FORM = "application/x-www-form-urlencoded"


def post(client, body: bytes):
    return client.post(NOTIFY, data=body, content_type=FORM)


def test_valid_notification_marks_paid_enrolls_and_queues_the_email_once(
    client, alipay_on, keys, order, run_jobs, mailoutbox
):
    response = post(client, alipay_notification(order, keys["alipay"]))

    assert response.status_code == 200
    assert response.content == b"success"
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert order.provider == "alipay" and order.provider_trade_no == "2026112322001400000000000001"
    assert order.paid_at == datetime.fromisoformat("2026-11-23T10:00:04+08:00")
    enrollment = order.enrollment
    assert enrollment.status == Enrollment.Status.ACTIVE and enrollment.cohort == order.cohort
    assert enrollment.student.user.email == "buyer@example.com"
    assert enrollment.student.lead == order.lead
    assert Lead.objects.get(pk=order.lead_id).status == Lead.Status.WON
    assert (
        OutboxMessage.objects.filter(job="billing.jobs.send_enrollment_email", args=[order.pk]).count() == 1
    )
    run_jobs()
    assert len(mailoutbox) == 1
    assert "请加入班级微信群" in mailoutbox[0].body and mailoutbox[0].to == ["buyer@example.com"]


def test_duplicate_notification_changes_nothing_and_still_answers_success(client, alipay_on, keys, order):
    body = alipay_notification(order, keys["alipay"])
    post(client, body)
    before = order_state(order)

    response = post(client, body)

    assert response.content == b"success"
    assert order_state(order) == before
    assert Enrollment.objects.count() == 1
    assert OutboxMessage.objects.count() == 1
    assert list(PaymentEvent.objects.order_by("id").values_list("outcome", flat=True)) == [
        "applied",
        "duplicate",
    ]


@pytest.mark.parametrize(
    ("override", "why"),
    [
        ({"app_id": "2021999999999999"}, "app_id"),
        ({"seller_id": "2088999999999999"}, "seller_id"),
        ({"total_amount": "0.01"}, "amount"),
    ],
)
def test_notification_for_another_app_seller_or_amount_is_rejected(
    client, alipay_on, keys, order, override, why
):
    before = order_state(order)

    response = post(client, alipay_notification(order, keys["alipay"], **override))

    assert response.status_code == 400
    assert response.content != b"success"
    assert order_state(order) == before
    event = PaymentEvent.objects.get()
    assert event.outcome == "rejected" and why in event.error


def test_notification_signed_by_someone_else_is_rejected_and_logged(client, alipay_on, keys, order):
    before = order_state(order)

    response = post(client, alipay_notification(order, keys["stranger"]))

    assert response.status_code == 400
    assert order_state(order) == before
    event = PaymentEvent.objects.get()
    assert event.verified is False and event.outcome == "rejected" and event.body  # kept raw


def test_mangled_signature_is_rejected_not_a_500(client, alipay_on, keys, order):
    body = re.sub(rb"&sign=[^&]+", b"&sign=%%%25not-base64%21", alipay_notification(order, keys["alipay"]))
    assert post(client, body).status_code == 400
    assert order_state(order)[0] == "pending"


def test_waiting_notification_changes_nothing(client, alipay_on, keys, order):
    response = post(
        client, alipay_notification(order, keys["alipay"], trade_status="WAIT_BUYER_PAY", gmt_payment=None)
    )
    assert response.content == b"success"
    assert order_state(order)[0] == "pending"


def test_partial_refund_notification_is_a_refund_not_a_new_payment(client, alipay_on, keys, order):
    post(client, alipay_notification(order, keys["alipay"]))
    refund_body = alipay_notification(
        order,
        keys["alipay"],
        notify_id="refund-notify-1",
        refund_fee="500.00",
        gmt_refund="2026-11-24 09:00:00.123",
        out_biz_no="ALIREFUND1",
    )

    response = post(client, refund_body)

    assert response.content == b"success"
    order.refresh_from_db()
    assert order.status == Order.Status.PARTIALLY_REFUNDED
    refund = Refund.objects.get()
    assert refund.amount == Decimal("500.00") and refund.status == "succeeded"
    assert Enrollment.objects.get().status == Enrollment.Status.ACTIVE
    assert OutboxMessage.objects.count() == 1  # no second enrollment e-mail


def test_precreate_asks_the_gateway_for_a_qr_code(client, alipay_on, keys, order, monkeypatch):
    answer = alipay_gateway_answer(
        "alipay_trade_precreate_response",
        {
            "code": "10000",
            "msg": "Success",
            "out_trade_no": order.number,
            "qr_code": "https://qr.alipay.com/bax0001",
        },
        keys["alipay"],
    )
    fake = FakeUrlopen(answer)
    monkeypatch.setattr(alipay, "urlopen", fake)

    response = client.post(f"/pay/{order.number}/", {"method": "alipay"})

    assert response.status_code == 302
    assert "alipay.trade.precreate" in fake.urls[0] and order.number in fake.urls[0]
    page = client.get(f"/pay/{order.number}/")
    assert b"<svg" in page.content, page.content.decode()[-3000:]
    order.refresh_from_db()
    assert order.provider == "alipay" and order.status == "pending"


def test_page_pay_sends_desktop_and_phone_to_the_gateway(client, alipay_on, keys, order):
    alipay_on.ALIPAY_PRODUCT = "page"
    desktop = client.post(f"/pay/{order.number}/", {"method": "alipay"})
    phone = client.post(
        f"/pay/{order.number}/", {"method": "alipay"}, HTTP_USER_AGENT="Mozilla/5.0 (iPhone) Mobile"
    )
    assert "alipay.trade.page.pay" in desktop["Location"]
    assert "alipay.trade.wap.pay" in phone["Location"]


def test_query_applies_a_paid_trade_through_the_same_path(alipay_on, keys, order, monkeypatch):
    Order.objects.filter(pk=order.pk).update(provider="alipay")
    order.refresh_from_db()
    answer = alipay_gateway_answer(
        "alipay_trade_query_response",
        {"code": "10000", "msg": "Success", "trade_no": "2026112322001400000000000009", "out_trade_no": order.number,
         "trade_status": "TRADE_SUCCESS", "total_amount": f"{order.amount:.2f}", "send_pay_date": "2026-11-23 10:01:00"},
        keys["alipay"],
    )  # fmt: skip
    monkeypatch.setattr(alipay, "urlopen", FakeUrlopen(answer))

    event = order_query(order=order)

    assert event.kind == "query" and event.outcome == "applied"
    assert order_state(order)[0] == "paid"
    assert Enrollment.objects.count() == 1


def test_query_answer_with_a_bad_signature_changes_nothing(alipay_on, keys, order, monkeypatch):
    Order.objects.filter(pk=order.pk).update(provider="alipay")
    order.refresh_from_db()
    answer = alipay_gateway_answer(
        "alipay_trade_query_response",
        {
            "code": "10000",
            "trade_no": "1",
            "out_trade_no": order.number,
            "trade_status": "TRADE_SUCCESS",
            "total_amount": "1999.00",
        },
        keys["stranger"],
    )
    monkeypatch.setattr(alipay, "urlopen", FakeUrlopen(answer))
    from billing.providers import ProviderError

    with pytest.raises(ProviderError):
        order_query(order=order)
    assert order_state(order)[0] == "pending"


def test_refund_goes_through_the_gateway(client, alipay_on, keys, order, founder, monkeypatch):
    post(client, alipay_notification(order, keys["alipay"]))
    order.refresh_from_db()
    answer = alipay_gateway_answer(
        "alipay_trade_refund_response",
        {
            "code": "10000",
            "msg": "Success",
            "trade_no": order.provider_trade_no,
            "out_trade_no": order.number,
            "fund_change": "Y",
            "refund_fee": "1999.00",
        },
        keys["alipay"],
    )
    fake = FakeUrlopen(answer)
    monkeypatch.setattr(alipay, "urlopen", fake)

    refund = refund_issue(order=order, amount=Decimal("1999.00"), reason="换期", by=founder)

    assert "alipay.trade.refund" in fake.urls[0]
    assert refund.status == "succeeded"
    order.refresh_from_db()
    assert order.status == "refunded"
    enrollment = Enrollment.objects.get()
    assert enrollment.status == Enrollment.Status.REFUNDED and enrollment.ended_at is not None


def test_refund_refused_by_the_gateway_is_recorded_as_failed(
    client, alipay_on, keys, order, founder, monkeypatch
):
    from django.core.exceptions import ValidationError

    post(client, alipay_notification(order, keys["alipay"]))
    order.refresh_from_db()
    answer = alipay_gateway_answer(
        "alipay_trade_refund_response",
        {
            "code": "40004",
            "msg": "Business Failed",
            "sub_code": "ACQ.SELLER_BALANCE_NOT_ENOUGH",
            "sub_msg": "卖家余额不足",
        },
        keys["alipay"],
    )
    monkeypatch.setattr(alipay, "urlopen", FakeUrlopen(answer))

    with pytest.raises(ValidationError):
        refund_issue(order=order, amount=Decimal("100.00"), reason="x", by=founder)

    assert Refund.objects.get().status == "failed"
    assert order_state(order)[0] == "paid"


def test_a_failure_while_applying_answers_500_so_alipay_retries(client, alipay_on, keys, order, monkeypatch):
    from billing.services import payments

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(payments, "enrollment_create", broken)
    body = alipay_notification(order, keys["alipay"])

    response = post(client, body)

    assert response.status_code == 500 and response.content != b"success"
    assert order_state(order)[0] == "pending"
    assert PaymentEvent.objects.get().outcome == "error"
    monkeypatch.undo()
    assert post(client, body).content == b"success"  # the retry goes through
    assert order_state(order)[0] == "paid"
