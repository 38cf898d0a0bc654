"""试付款 in a browser, on a 390 px phone and a 1280 px desktop: the money step's button, the
trial's QR code, and the page following the payment and the refund by itself."""

import alipay
import pytest
from django.test import Client

from billing.models import PaymentTrial
from tests.billing.conftest import FakeUrlopen, alipay_gateway_answer, alipay_notification, alipay_post

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FITS = "document.documentElement.scrollWidth <= window.innerWidth"


def test_a_trial_payment_followed_on_its_page(
    live_server, founder_pages, screenshot, alipay_on, keys, run_jobs, monkeypatch
):
    for device, page in founder_pages("/console/settings/money/"):
        precreate = alipay_gateway_answer(
            "alipay_trade_precreate_response",
            {"code": "10000", "msg": "Success", "qr_code": "https://qr.alipay.com/trial"},
            keys["alipay"],
        )
        monkeypatch.setattr(alipay, "urlopen", FakeUrlopen(precreate))
        assert page.evaluate(FITS), device
        screenshot(page, f"money-{device}")

        page.click("#method-alipay button[type=submit]")
        page.wait_for_url("**/console/settings/money/trials/*/")
        assert page.locator(".trial-qr svg").is_visible()
        assert page.evaluate(FITS), device
        screenshot(page, f"waiting-{device}")

        trial = PaymentTrial.objects.get(status="started")
        alipay_post(Client(), alipay_notification(trial, keys["alipay"], notify_id=f"n-{device}"))
        page.locator(".trial-steps li.done").nth(2).wait_for(timeout=10_000)  # polled: notified

        refund = alipay_gateway_answer(
            "alipay_trade_refund_response",
            {"code": "10000", "msg": "Success", "out_trade_no": trial.number, "fund_change": "Y"},
            keys["alipay"],
        )
        monkeypatch.setattr(alipay, "urlopen", FakeUrlopen(refund))
        run_jobs()
        page.locator("#trial-status .setup-ok").wait_for(timeout=10_000)
        assert page.locator(".trial-qr").count() == 0
        assert page.evaluate(FITS), device
        screenshot(page, f"refunded-{device}")

        page.click("text=返回付款方式")
        page.wait_for_url("**/console/settings/money/")
        assert page.locator("#trials li").count() >= 1
        screenshot(page, f"money-after-{device}")
