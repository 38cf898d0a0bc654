"""试付款 from the setup's money step: a cent through each real provider's create call (outbound
HTTP faked), the provider's signed notification verified with generated keys, the refund queued
through the outbox and run by a burst RQ worker. A trial is never an order."""

from decimal import Decimal
from urllib.parse import parse_qs

import alipay
import pytest
import requests

from billing.models import Order, PaymentEvent, PaymentTrial
from billing.services import payments_reconcile
from cohorts.models import Enrollment
from onepco import outbox
from onepco.models import OutboxMessage
from tests.billing.conftest import (
    FakeUrlopen,
    FakeWechatResponse,
    alipay_gateway_answer,
    alipay_notification,
    alipay_post,
    stripe_event,
    stripe_post,
    stripe_session,
    wechat_notification,
    wechat_post,
    wechat_transaction,
)

MONEY = "/console/settings/money/"


def start(client, provider: str):
    return client.post(f"/console/settings/money/try/{provider}/")


def trial_page(client, trial: PaymentTrial) -> str:
    response = client.get(f"/console/settings/money/trials/{trial.number}/")
    assert response.status_code == 200
    return response.content.decode()


def precreate_answer(keys, number: str) -> bytes:
    return alipay_gateway_answer(
        "alipay_trade_precreate_response",
        {
            "code": "10000",
            "msg": "Success",
            "out_trade_no": number,
            "qr_code": "https://qr.alipay.com/trial1",
        },
        keys["alipay"],
    )


def refund_answer(keys, trial: PaymentTrial, code: str = "10000") -> bytes:
    payload = {"code": code, "msg": "Success" if code == "10000" else "Business Failed",
               "out_trade_no": trial.number, "fund_change": "Y", "refund_fee": "0.01"}  # fmt: skip
    if code != "10000":
        payload["sub_msg"] = "交易状态不合法"
    return alipay_gateway_answer("alipay_trade_refund_response", payload, keys["alipay"])


@pytest.fixture
def alipay_trial(founder_client, alipay_on, keys, monkeypatch) -> PaymentTrial:
    """A trial started through the page, the gateway's precreate answer faked."""
    fake = FakeUrlopen(precreate_answer(keys, "TRY"))
    monkeypatch.setattr(alipay, "urlopen", fake)
    response = start(founder_client, "alipay")
    trial = PaymentTrial.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/trials/{trial.number}/")
    assert "alipay.trade.precreate" in fake.urls[0]
    return trial


def test_the_money_step_says_what_each_method_can_try(founder_client, alipay_on, stripe_on, settings):
    settings.STRIPE_SECRET_KEY = "sk_live_123"
    page = founder_client.get(MONEY).content.decode()

    alipay_row = page.split('id="method-alipay"')[1].split("</li>")[0]
    assert "/console/settings/money/try/alipay/" in alipay_row
    assert "¥0.01" in alipay_row and "退" in alipay_row  # real money, refunded at once
    stripe_row = page.split('id="method-stripe"')[1].split("</li>")[0]
    assert "/try/stripe/" not in stripe_row and "sk_test_" in stripe_row  # live mode: explained
    wechat_row = page.split('id="method-wechat"')[1].split("</li>")[0]
    assert "/try/wechat/" not in wechat_row and "WECHAT_MCHID" in wechat_row  # off: what is missing

    settings.STRIPE_SECRET_KEY = "sk_test_123"
    settings.ALIPAY_SANDBOX = True
    page = founder_client.get(MONEY).content.decode()
    assert "/try/stripe/" in page and "4242" in page
    assert "沙箱" in page.split('id="method-alipay"')[1].split("</li>")[0]


def test_a_method_that_cannot_be_tried_is_refused_with_why(founder_client, stripe_on, settings):
    settings.STRIPE_SECRET_KEY = "sk_live_123"
    response = founder_client.post("/console/settings/money/try/stripe/", follow=True)
    assert "sk_test_" in response.content.decode()
    assert founder_client.post("/console/settings/money/try/wechat/", follow=True).status_code == 200
    assert founder_client.post("/console/settings/money/try/manual/").status_code == 302
    assert founder_client.post("/console/settings/money/try/nonsense/").status_code == 404
    assert PaymentTrial.objects.count() == 0


def test_strangers_cannot_try_or_watch(client, student_client, alipay_on):
    trial = PaymentTrial.objects.create(
        provider="alipay", amount=Decimal("0.01"), currency="CNY", expires_at="2030-01-01T00:00:00Z"
    )
    for path in (
        "/console/settings/money/try/alipay/",
        f"/console/settings/money/trials/{trial.number}/check/",
    ):
        assert student_client.post(path).status_code == 403
        assert client.post(path).status_code == 302
    assert student_client.get(f"/console/settings/money/trials/{trial.number}/").status_code == 403
    assert PaymentTrial.objects.count() == 1


def test_an_alipay_trial_is_paid_notified_and_refunded_and_counts_nowhere(
    founder_client, client, alipay_trial, keys, run_jobs, monkeypatch
):
    page = trial_page(founder_client, alipay_trial)
    assert "<svg" in page and "用支付宝扫码" in page and "0.01" in page
    assert alipay_trial.currency == "CNY" and alipay_trial.amount == Decimal("0.01")

    body = alipay_notification(alipay_trial, keys["alipay"], notify_id="trial-notify-1")
    response = alipay_post(client, body)
    assert response.status_code == 200 and response.content == b"success"
    assert alipay_post(client, body).content == b"success"  # delivered twice: one refund

    alipay_trial.refresh_from_db()
    assert alipay_trial.status == "paid" and alipay_trial.notified_at is not None
    assert alipay_trial.provider_trade_no == "2026112322001400000000000001"
    outcomes = list(PaymentEvent.objects.order_by("id").values_list("outcome", "order"))
    assert outcomes == [("applied", None), ("duplicate", None)]
    assert OutboxMessage.objects.filter(job="billing.jobs.refund_payment_trial").count() == 1

    fake = FakeUrlopen(refund_answer(keys, alipay_trial))
    monkeypatch.setattr(alipay, "urlopen", fake)
    run_jobs()
    assert "alipay.trade.refund" in fake.urls[0] and alipay_trial.number in fake.urls[0]
    alipay_trial.refresh_from_db()
    assert alipay_trial.status == "refunded" and alipay_trial.refunded_at is not None

    page = trial_page(founder_client, alipay_trial)
    assert "签名已验证" in page and "支付宝可以收款了" in page and "<svg" not in page
    # Not an order: no sale, no seat, no revenue anywhere.
    assert Order.objects.count() == 0 and Enrollment.objects.count() == 0

    # The refund's own notification (TRADE_CLOSED for a full refund) changes nothing more.
    closed = alipay_notification(alipay_trial, keys["alipay"], notify_id="trial-notify-2",
                                 trade_status="TRADE_CLOSED", refund_fee="0.01")  # fmt: skip
    assert alipay_post(client, closed).content == b"success"
    assert PaymentEvent.objects.order_by("-id").first().outcome == "duplicate"


def test_a_notification_with_another_amount_is_refused_and_shown(founder_client, client, alipay_trial, keys):
    body = alipay_notification(alipay_trial, keys["alipay"], total_amount="1999.00", receipt_amount="1999.00")
    response = alipay_post(client, body)

    assert response.status_code == 400
    alipay_trial.refresh_from_db()
    assert alipay_trial.status == "started" and alipay_trial.paid_at is None
    assert "1999.00" in trial_page(founder_client, alipay_trial)
    assert not OutboxMessage.objects.filter(job="billing.jobs.refund_payment_trial").exists()


def test_a_forged_notification_for_a_trial_is_rejected(client, alipay_trial, keys):
    body = alipay_notification(alipay_trial, keys["stranger"])
    assert alipay_post(client, body).status_code == 400
    alipay_trial.refresh_from_db()
    assert alipay_trial.status == "started"


def test_no_notification_the_payment_is_found_by_asking_and_the_address_questioned(
    founder_client, alipay_trial, keys, run_jobs, monkeypatch
):
    query = alipay_gateway_answer(
        "alipay_trade_query_response",
        {"code": "10000", "msg": "Success", "trade_no": "2026120322001400000000000077",
         "out_trade_no": alipay_trial.number, "trade_status": "TRADE_SUCCESS", "total_amount": "0.01",
         "send_pay_date": "2026-12-03 10:01:00"},
        keys["alipay"],
    )  # fmt: skip
    monkeypatch.setattr(alipay, "urlopen", FakeUrlopen(query))

    response = founder_client.post(f"/console/settings/money/trials/{alipay_trial.number}/check/")

    assert response.status_code == 302
    alipay_trial.refresh_from_db()
    assert alipay_trial.status == "paid" and alipay_trial.notified_at is None
    assert "SITE_URL" in trial_page(founder_client, alipay_trial)
    monkeypatch.setattr(alipay, "urlopen", FakeUrlopen(refund_answer(keys, alipay_trial)))
    run_jobs()
    alipay_trial.refresh_from_db()
    assert alipay_trial.status == "refunded"
    assert "支付宝可以收款了" not in trial_page(founder_client, alipay_trial)  # the notification never came


def test_asking_before_paying_says_nothing_arrived(founder_client, alipay_trial, keys, monkeypatch):
    missing = alipay_gateway_answer(
        "alipay_trade_query_response",
        {
            "code": "40004",
            "msg": "Business Failed",
            "sub_code": "ACQ.TRADE_NOT_EXIST",
            "sub_msg": "交易不存在",
        },
        keys["alipay"],
    )
    monkeypatch.setattr(alipay, "urlopen", FakeUrlopen(missing))
    response = founder_client.post(
        f"/console/settings/money/trials/{alipay_trial.number}/check/", follow=True
    )
    assert "还没有" in response.content.decode()
    alipay_trial.refresh_from_db()
    assert alipay_trial.status == "started"


def test_the_reconcile_job_refunds_a_trial_paid_while_nobody_watched(
    alipay_trial, keys, monkeypatch, settings
):
    settings.PAYMENT_RECONCILE_AFTER_MINUTES = 0
    query = alipay_gateway_answer(
        "alipay_trade_query_response",
        {"code": "10000", "msg": "Success", "trade_no": "2026120322001400000000000078",
         "out_trade_no": alipay_trial.number, "trade_status": "TRADE_SUCCESS", "total_amount": "0.01"},
        keys["alipay"],
    )  # fmt: skip
    monkeypatch.setattr(alipay, "urlopen", FakeUrlopen(query))

    assert payments_reconcile()["trials_paid"] == 1
    alipay_trial.refresh_from_db()
    assert alipay_trial.status == "paid"
    assert OutboxMessage.objects.filter(job="billing.jobs.refund_payment_trial").count() == 1


def test_a_refused_refund_says_to_refund_by_hand(
    founder_client, client, alipay_trial, keys, run_jobs, monkeypatch
):
    alipay_post(client, alipay_notification(alipay_trial, keys["alipay"]))
    monkeypatch.setattr(alipay, "urlopen", FakeUrlopen(refund_answer(keys, alipay_trial, code="40004")))
    run_jobs()
    alipay_trial.refresh_from_db()
    assert alipay_trial.status == "failed" and "交易状态不合法" in alipay_trial.error
    assert "商户平台" in trial_page(founder_client, alipay_trial)


def test_an_unreachable_gateway_at_refund_time_is_retried(client, alipay_trial, keys, run_jobs, monkeypatch):
    alipay_post(client, alipay_notification(alipay_trial, keys["alipay"]))

    def unreachable(url, timeout=None):
        raise OSError("network down")

    monkeypatch.setattr(alipay, "urlopen", unreachable)
    run_jobs()
    alipay_trial.refresh_from_db()
    assert alipay_trial.status == "paid"
    assert outbox.get_queue().scheduled_job_registry.count == 1  # RQ tries again later


def test_a_gateway_that_refuses_to_create_leaves_a_failed_trial_with_its_error(
    founder_client, alipay_on, keys, monkeypatch
):
    refused = alipay_gateway_answer(
        "alipay_trade_precreate_response",
        {"code": "40006", "msg": "Insufficient Permissions", "sub_code": "ACQ.ACCESS_FORBIDDEN",
         "sub_msg": "商家未开通当面付"},
        keys["alipay"],
    )  # fmt: skip
    monkeypatch.setattr(alipay, "urlopen", FakeUrlopen(refused))

    response = start(founder_client, "alipay")

    trial = PaymentTrial.objects.get()
    assert response.status_code == 302 and trial.status == "failed"
    page = trial_page(founder_client, trial)
    assert "商家未开通当面付" in page and "再试一次" in page and "<svg" not in page


def test_a_wechat_trial_pays_one_fen_and_is_refunded(
    founder_client, client, wechat_on, keys, run_jobs, monkeypatch
):
    calls = []

    def fake_post(url, **kwargs):
        calls.append((url, kwargs["json"]))
        if url.endswith("/refund/domestic/refunds"):
            return FakeWechatResponse(
                200, {"refund_id": "5000001", "status": "SUCCESS"}, keys["wechat_platform"]
            )
        return FakeWechatResponse(
            200, {"code_url": "weixin://wxpay/bizpayurl?pr=trial"}, keys["wechat_platform"]
        )

    monkeypatch.setattr(requests, "post", fake_post)
    start(founder_client, "wechat")
    trial = PaymentTrial.objects.get()
    assert calls[0][1]["amount"] == {"total": 1, "currency": "CNY"}
    assert calls[0][1]["out_trade_no"] == trial.number and trial.sandbox is False
    assert "用微信扫码" in trial_page(founder_client, trial)

    headers, body = wechat_notification(wechat_transaction(trial), keys["wechat_platform"])
    assert wechat_post(client, headers, body).status_code == 200
    run_jobs()

    trial.refresh_from_db()
    assert trial.status == "refunded" and trial.notified_at is not None
    _url, refund = calls[1]
    assert refund["amount"] == {"refund": 1, "total": 1, "currency": "CNY"}
    assert refund["out_trade_no"] == trial.number and refund["out_refund_no"] == f"R{trial.number}"
    assert Order.objects.count() == 0


def test_a_stripe_trial_runs_in_test_mode_only(founder_client, client, stripe_on, run_jobs, fake_stripe):
    fake = fake_stripe(
        {
            "id": "cs_test_trial",
            "object": "checkout.session",
            "url": "https://checkout.stripe.com/c/pay/cs_test_trial",
        },
    )
    start(founder_client, "stripe")
    trial = PaymentTrial.objects.get()
    assert trial.sandbox and trial.amount == Decimal("5.00") and trial.provider_trade_no == "cs_test_trial"
    sent = parse_qs(fake.requests[0][2])
    assert sent["client_reference_id"] == [trial.number] and sent["metadata[order]"] == [trial.number]
    page = trial_page(founder_client, trial)
    assert "https://checkout.stripe.com/c/pay/cs_test_trial" in page and "4242" in page

    session = stripe_session(trial, id="cs_test_trial", payment_intent="pi_test_trial")
    assert stripe_post(client, stripe_event("checkout.session.completed", session)).status_code == 200
    fake_stripe({"id": "re_trial", "object": "refund", "status": "succeeded", "amount": 500})
    run_jobs()

    trial.refresh_from_db()
    assert trial.status == "refunded" and trial.notified_at is not None
    assert Order.objects.count() == 0
