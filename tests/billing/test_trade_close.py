"""An order that expires or is cancelled closes its trade at the provider, so that money can
rarely arrive for it later: a background job queued through the outbox with the status change
(never a provider call inside that transaction), retried by RQ when the provider fails; a trade
already paid or never created is fine."""

import json
import logging
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import alipay
import pytest
import requests
from django.utils import timezone

from billing.models import Order
from billing.services import order_cancel, orders_expire
from onepco import outbox
from onepco.models import OutboxMessage
from tests.billing.conftest import FakeUrlopen, FakeWechatResponse, alipay_gateway_answer

CLOSE = "billing.jobs.close_provider_trade"
WECHAT_CLOSE_URL = "https://api.mch.weixin.qq.com/v3/pay/transactions/out-trade-no/{}/close"


def expire(order: Order) -> None:
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert orders_expire() == 1


def close_job() -> OutboxMessage:
    return OutboxMessage.objects.get(job=CLOSE)


def alipay_request(url: str) -> tuple[str, dict]:
    query = parse_qs(urlsplit(url).query)
    return query["method"][0], json.loads(query["biz_content"][0])


# --- Alipay ------------------------------------------------------------------------------


def test_an_expired_alipay_order_closes_its_trade_after_the_commit(
    alipay_on, keys, order, run_jobs, monkeypatch
):
    Order.objects.filter(pk=order.pk).update(provider="alipay")
    answer = alipay_gateway_answer(
        "alipay_trade_close_response",
        {"code": "10000", "msg": "Success", "trade_no": "2026112322001400000000000001", "out_trade_no": order.number},
        keys["alipay"],
    )  # fmt: skip
    fake = FakeUrlopen(answer)
    monkeypatch.setattr(alipay, "urlopen", fake)

    expire(order)
    assert fake.urls == []  # queued, not called inside the expiry's transaction
    run_jobs()

    assert [alipay_request(url) for url in fake.urls] == [
        ("alipay.trade.close", {"out_trade_no": order.number})
    ]
    assert close_job().completed_at is not None


@pytest.mark.parametrize(
    "answer",
    [
        # Paid before the close reached Alipay: its notification will say so.
        {
            "code": "40004",
            "msg": "Business Failed",
            "sub_code": "ACQ.TRADE_STATUS_ERROR",
            "sub_msg": "交易状态不合法",
        },
        # The buyer never scanned the code: there is no trade to close.
        {
            "code": "40004",
            "msg": "Business Failed",
            "sub_code": "ACQ.TRADE_NOT_EXIST",
            "sub_msg": "交易不存在",
        },
    ],
    ids=["already-paid", "no-trade"],
)
def test_alipay_trade_already_paid_or_missing_is_fine(alipay_on, keys, order, run_jobs, monkeypatch, answer):
    Order.objects.filter(pk=order.pk).update(provider="alipay")
    monkeypatch.setattr(
        alipay,
        "urlopen",
        FakeUrlopen(alipay_gateway_answer("alipay_trade_close_response", answer, keys["alipay"])),
    )
    order_cancel(order=order)
    run_jobs()
    assert close_job().completed_at is not None and close_job().last_error == ""


def test_alipay_unsigned_trade_not_exist_is_fine(alipay_on, order, run_jobs, monkeypatch):
    Order.objects.filter(pk=order.pk).update(provider="alipay")
    unsigned = {"alipay_trade_close_response": {"code": "40004", "sub_code": "ACQ.TRADE_NOT_EXIST"}}
    monkeypatch.setattr(alipay, "urlopen", FakeUrlopen(json.dumps(unsigned).encode()))
    order_cancel(order=order)
    run_jobs()
    assert close_job().completed_at is not None


def test_a_failed_close_is_logged_and_retried(alipay_on, order, run_jobs, monkeypatch, caplog):
    Order.objects.filter(pk=order.pk).update(provider="alipay")

    def unreachable(url, timeout=None):
        raise OSError("gateway unreachable")

    monkeypatch.setattr(alipay, "urlopen", unreachable)
    expire(order)
    with caplog.at_level(logging.WARNING):
        run_jobs()

    job = close_job()
    assert job.completed_at is None and "gateway unreachable" in job.last_error
    assert outbox.get_queue().scheduled_job_registry.count == 1  # RQ retries it later
    assert any(order.number in r.getMessage() and "close" in r.getMessage() for r in caplog.records)


def test_an_order_paid_before_the_job_ran_is_not_closed(alipay_on, order, run_jobs, monkeypatch):
    Order.objects.filter(pk=order.pk).update(provider="alipay")
    fake = FakeUrlopen()
    monkeypatch.setattr(alipay, "urlopen", fake)
    expire(order)
    Order.objects.filter(pk=order.pk).update(status="paid", paid_at=timezone.now())

    run_jobs()

    assert fake.urls == [] and close_job().completed_at is not None


# --- WeChat Pay --------------------------------------------------------------------------


def test_a_cancelled_wechat_order_closes_its_trade(
    founder_client, wechat_on, keys, order, run_jobs, monkeypatch
):
    Order.objects.filter(pk=order.pk).update(provider="wechat")
    calls = []

    def fake_post(url, **kwargs):
        calls.append((url, kwargs["json"]))
        return FakeWechatResponse(204, None, keys["wechat_platform"])

    monkeypatch.setattr(requests, "post", fake_post)

    founder_client.post(f"/console/orders/{order.number}/cancel/")
    assert calls == []
    run_jobs()

    assert calls == [(WECHAT_CLOSE_URL.format(order.number), {"mchid": "1900000001"})]
    assert close_job().completed_at is not None


@pytest.mark.parametrize(
    ("status", "payload", "done"),
    [
        (400, {"code": "ORDERPAID", "message": "订单已支付"}, True),
        (404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"}, True),
        (500, {"code": "SYSTEM_ERROR", "message": "系统错误"}, False),
    ],
    ids=["already-paid", "no-trade", "provider-down"],
)
def test_wechat_close_answers(wechat_on, keys, order, run_jobs, monkeypatch, status, payload, done):
    Order.objects.filter(pk=order.pk).update(provider="wechat")
    monkeypatch.setattr(
        requests, "post", lambda url, **kw: FakeWechatResponse(status, payload, keys["wechat_platform"])
    )
    expire(order)
    run_jobs()
    job = close_job()
    assert (job.completed_at is not None) is done
    if not done:
        assert "SYSTEM_ERROR" in job.last_error


# --- Stripe ------------------------------------------------------------------------------


def test_an_expired_stripe_order_expires_its_checkout_session(stripe_on, order, run_jobs, fake_stripe):
    Order.objects.filter(pk=order.pk).update(provider="stripe", provider_trade_no="cs_test_a1")
    fake = fake_stripe({"id": "cs_test_a1", "object": "checkout.session", "status": "expired"})

    expire(order)
    assert fake.requests == []
    run_jobs()

    method, url, _data = fake.requests[0]
    assert method == "post" and url.endswith("/v1/checkout/sessions/cs_test_a1/expire")
    assert close_job().completed_at is not None


def test_a_stripe_session_already_completed_is_fine(stripe_on, order, run_jobs, fake_stripe):
    Order.objects.filter(pk=order.pk).update(provider="stripe", provider_trade_no="cs_test_a1")
    refusal = {"error": {"type": "invalid_request_error",
                         "message": "Only Checkout Sessions with a status of `open` can be expired."}}  # fmt: skip
    fake_stripe((400, refusal))
    order_cancel(order=order)
    run_jobs()
    assert close_job().completed_at is not None


# --- nothing to close ----------------------------------------------------------------------


@pytest.mark.parametrize("provider", ["", "manual", "simulated"])
def test_orders_without_a_provider_trade_queue_no_close(order, provider):
    Order.objects.filter(pk=order.pk).update(provider=provider)
    expire(order)
    assert not OutboxMessage.objects.filter(job=CLOSE).exists()
