"""WeChat Pay v3: notifications signed with a generated platform key and AES-GCM encrypted,
outbound calls answered by a faked (and signed) `requests`."""

import json
import time
from decimal import Decimal

import pytest
import requests

from billing.models import Order, PaymentEvent, Refund
from billing.services import order_query, refund_issue
from cohorts.models import Enrollment
from onepco.models import OutboxMessage
from tests.billing.conftest import (
    FakeWechatResponse,
    order_state,
    wechat_notification,
    wechat_post,
    wechat_transaction,
)


def test_valid_notification_marks_paid_once_with_enrollment_and_email_job(client, wechat_on, keys, order):
    headers, body = wechat_notification(wechat_transaction(order), keys["wechat_platform"])

    response = wechat_post(client, headers, body)

    assert response.status_code == 200
    assert response.json()["code"] == "SUCCESS"
    order.refresh_from_db()
    assert order.status == "paid" and order.provider == "wechat"
    assert order.provider_trade_no == "4200000000202611230000000001"
    assert Enrollment.objects.get().status == "active"
    assert OutboxMessage.objects.filter(job="billing.jobs.send_enrollment_email").count() == 1


def test_duplicate_notification_changes_nothing(client, wechat_on, keys, order):
    headers, body = wechat_notification(wechat_transaction(order), keys["wechat_platform"])
    wechat_post(client, headers, body)
    before = order_state(order)

    response = wechat_post(client, headers, body)

    assert response.status_code == 200
    assert order_state(order) == before
    assert OutboxMessage.objects.count() == 1
    assert PaymentEvent.objects.filter(outcome="duplicate").count() == 1


@pytest.mark.parametrize(
    ("overrides", "why"),
    [
        ({"mchid": "1900009999"}, "mchid"),
        ({"appid": "wx9999999999999999"}, "appid"),
        ({"amount": {"total": 1, "currency": "CNY"}}, "amount"),
        ({"amount": {"total": 199900, "currency": "USD"}}, "USD"),
    ],
)
def test_notification_for_another_merchant_app_amount_or_currency_is_rejected(
    client, wechat_on, keys, order, overrides, why
):
    before = order_state(order)
    headers, body = wechat_notification(wechat_transaction(order, **overrides), keys["wechat_platform"])

    response = wechat_post(client, headers, body)

    assert response.status_code == 400
    assert response.json()["code"] == "FAIL"
    assert order_state(order) == before
    assert why in PaymentEvent.objects.get().error


def test_notification_signed_by_another_key_is_rejected(client, wechat_on, keys, order):
    headers, body = wechat_notification(wechat_transaction(order), keys["stranger"])
    assert wechat_post(client, headers, body).status_code == 400
    assert order_state(order)[0] == "pending"
    assert PaymentEvent.objects.get().verified is False


def test_replayed_notification_with_an_old_timestamp_is_rejected(client, wechat_on, keys, order):
    headers, body = wechat_notification(
        wechat_transaction(order), keys["wechat_platform"], timestamp=int(time.time()) - 600
    )
    response = wechat_post(client, headers, body)
    assert response.status_code == 400
    assert "replay" in PaymentEvent.objects.get().error
    assert order_state(order)[0] == "pending"


def test_unknown_key_serial_is_refused_without_downloading_certificates(
    client, wechat_on, keys, order, monkeypatch
):
    def no_network(*args, **kwargs):
        raise AssertionError("must not download certificates")

    monkeypatch.setattr(requests, "get", no_network)
    headers, body = wechat_notification(wechat_transaction(order), keys["wechat_platform"], serial="ABCDEF")
    assert wechat_post(client, headers, body).status_code == 400


def test_tampered_ciphertext_is_rejected(client, wechat_on, keys, order):

    from tests.billing.conftest import wechat_signed_headers

    _, body = wechat_notification(wechat_transaction(order), keys["wechat_platform"])
    data = json.loads(body)
    data["resource"]["associated_data"] = "other"
    text = json.dumps(data)
    response = wechat_post(client, wechat_signed_headers(text, keys["wechat_platform"]), text.encode())
    assert response.status_code == 400
    assert order_state(order)[0] == "pending"


def test_native_pay_shows_a_qr_code_from_code_url(client, wechat_on, keys, order, monkeypatch):
    calls = []

    def fake_post(url, **kwargs):
        calls.append((url, kwargs["json"]))
        return FakeWechatResponse(
            200, {"code_url": "weixin://wxpay/bizpayurl?pr=abc123"}, keys["wechat_platform"]
        )

    monkeypatch.setattr(requests, "post", fake_post)

    response = client.post(f"/pay/{order.number}/", {"method": "wechat"})

    assert response.status_code == 302
    url, sent = calls[0]
    assert url.endswith("/v3/pay/transactions/native")
    assert sent["amount"] == {"total": 199900, "currency": "CNY"} and sent["out_trade_no"] == order.number
    assert sent["notify_url"].endswith("/billing/notify/wechat/")
    assert b"<svg" in client.get(f"/pay/{order.number}/").content


def test_query_applies_success_and_refund_uses_the_api(wechat_on, keys, order, founder, monkeypatch):
    Order.objects.filter(pk=order.pk).update(provider="wechat")
    order.refresh_from_db()
    paid = wechat_transaction(order)
    monkeypatch.setattr(
        requests, "get", lambda url, **kw: FakeWechatResponse(200, paid, keys["wechat_platform"])
    )

    assert order_query(order=order).outcome == "applied"
    assert order_state(order)[0] == "paid"

    sent = []

    def fake_post(url, **kwargs):
        sent.append((url, kwargs["json"]))
        return FakeWechatResponse(
            200,
            {"refund_id": "50000000382019052709732678859", "status": "PROCESSING"},
            keys["wechat_platform"],
        )

    monkeypatch.setattr(requests, "post", fake_post)
    order.refresh_from_db()
    refund = refund_issue(order=order, amount=Decimal("999.00"), reason="协商", by=founder)

    assert sent[0][0].endswith("/v3/refund/domestic/refunds")
    assert sent[0][1]["amount"] == {"refund": 99900, "total": 199900, "currency": "CNY"}
    assert refund.status == "pending"  # WeChat confirms it by notification


def test_refund_notification_completes_a_pending_refund(client, wechat_on, keys, order, founder, monkeypatch):
    headers, body = wechat_notification(wechat_transaction(order), keys["wechat_platform"])
    wechat_post(client, headers, body)
    order.refresh_from_db()
    monkeypatch.setattr(
        requests, "post",
        lambda url, **kw: FakeWechatResponse(200, {"refund_id": "5000001", "status": "PROCESSING"}, keys["wechat_platform"]),
    )  # fmt: skip
    refund = refund_issue(order=order, amount=order.amount, reason="退课", by=founder)
    resource = {
        "mchid": "1900000001", "out_trade_no": order.number, "transaction_id": order.provider_trade_no,
        "out_refund_no": refund.out_refund_no, "refund_id": "5000001", "refund_status": "SUCCESS",
        "success_time": "2026-11-24T10:00:00+08:00",
        "amount": {"total": 199900, "refund": 199900, "payer_total": 199900, "payer_refund": 199900},
    }  # fmt: skip
    headers, body = wechat_notification(
        resource, keys["wechat_platform"], event_id="EV-R1", event_type="REFUND.SUCCESS"
    )

    assert wechat_post(client, headers, body).status_code == 200
    assert wechat_post(client, headers, body).status_code == 200  # duplicate

    refund = Refund.objects.get()
    assert refund.status == "succeeded" and refund.provider_refund_id == "5000001"
    assert order_state(order)[0] == "refunded"
    assert Enrollment.objects.get().status == Enrollment.Status.REFUNDED


def test_h5_on_phones_but_native_inside_wechat(client, wechat_on, keys, order, monkeypatch):
    wechat_on.WECHAT_H5 = True
    calls = []

    def fake_post(url, **kwargs):
        calls.append(url)
        if url.endswith("/h5"):
            return FakeWechatResponse(
                200,
                {"h5_url": "https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx1"},
                keys["wechat_platform"],
            )
        return FakeWechatResponse(
            200, {"code_url": "weixin://wxpay/bizpayurl?pr=abc"}, keys["wechat_platform"]
        )

    monkeypatch.setattr(requests, "post", fake_post)
    phone = client.post(
        f"/pay/{order.number}/", {"method": "wechat"}, HTTP_USER_AGENT="Mozilla/5.0 (iPhone) Mobile Safari"
    )
    inside = client.post(
        f"/pay/{order.number}/",
        {"method": "wechat"},
        HTTP_USER_AGENT="Mozilla/5.0 (iPhone) Mobile MicroMessenger/8.0",
    )
    assert phone["Location"].startswith("https://wx.tenpay.com/")
    assert inside["Location"] == f"/pay/{order.number}/"
    assert calls[0].endswith("/v3/pay/transactions/h5") and calls[1].endswith("/v3/pay/transactions/native")


def test_h5_payment_names_the_visitors_address_behind_a_trusted_proxy(
    client, wechat_on, keys, order, monkeypatch, settings
):
    wechat_on.WECHAT_H5 = True
    settings.TRUSTED_PROXY_COUNT = 1
    bodies = []

    def fake_post(url, **kwargs):
        bodies.append(kwargs["json"])
        return FakeWechatResponse(
            200,
            {"h5_url": "https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx1"},
            keys["wechat_platform"],
        )

    monkeypatch.setattr(requests, "post", fake_post)
    response = client.post(
        f"/pay/{order.number}/",
        {"method": "wechat"},
        HTTP_USER_AGENT="Mozilla/5.0 (iPhone) Mobile Safari",
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.7",
    )
    assert response["Location"].startswith("https://wx.tenpay.com/")
    assert bodies[0]["scene_info"]["payer_client_ip"] == "203.0.113.7"
