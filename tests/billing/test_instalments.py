"""花呗分期: allowed per cohort where Alipay page / wap pay is used, chosen on the payment page,
recorded on the order and passed to Alipay in biz_content.extend_params."""

import base64
import json
from urllib.parse import parse_qs, urlsplit

import alipay
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from billing.models import InstalmentPlan, Order
from tests.billing.conftest import FakeUrlopen, alipay_notification, alipay_post


@pytest.fixture
def page_pay(alipay_on):
    alipay_on.ALIPAY_PRODUCT = "page"
    return alipay_on


def plan(cohort, periods=(3, 6, 12), fee_payer="seller") -> InstalmentPlan:
    return InstalmentPlan.objects.create(cohort=cohort, periods=list(periods), fee_payer=fee_payer)


def biz_content(location: str) -> dict:
    query = parse_qs(urlsplit(location).query)
    return json.loads(query["biz_content"][0])


PHONE = {"HTTP_USER_AGENT": "Mozilla/5.0 (iPhone) Mobile"}


@pytest.mark.parametrize(("fee_payer", "percent"), [("seller", "100"), ("buyer", "0")])
def test_page_and_wap_pay_carry_the_chosen_periods_and_who_pays_the_fee(
    client, page_pay, order, fee_payer, percent
):
    plan(order.cohort, fee_payer=fee_payer)

    desktop = client.post(f"/pay/{order.number}/", {"method": "alipay:6"})
    phone = client.post(f"/pay/{order.number}/", {"method": "alipay:12"}, **PHONE)

    assert desktop.status_code == 302 and "method=alipay.trade.page.pay" in desktop["Location"]
    sent = biz_content(desktop["Location"])
    assert sent["extend_params"] == {"hb_fq_num": "6", "hb_fq_seller_percent": percent}
    assert sent["total_amount"] == f"{order.amount:.2f}" and sent["product_code"] == "FAST_INSTANT_TRADE_PAY"
    assert "method=alipay.trade.wap.pay" in phone["Location"]
    assert biz_content(phone["Location"])["extend_params"] == {
        "hb_fq_num": "12",
        "hb_fq_seller_percent": percent,
    }
    order.refresh_from_db()
    assert order.instalments == 12 and order.instalment_fee_by_seller is (fee_payer == "seller")


def test_the_redirect_url_is_signed_over_the_instalment_parameters(client, page_pay, keys, order):
    plan(order.cohort)
    location = client.post(f"/pay/{order.number}/", {"method": "alipay:3"})["Location"]
    params = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    signature = base64.b64decode(params.pop("sign"))
    # A request is signed over every parameter but `sign` (sign_type included), sorted.
    message = "&".join(f"{k}={params[k]}" for k in sorted(params)).encode()
    keys["alipay_app"].private.public_key().verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    assert '"extend_params":{"hb_fq_num":"3","hb_fq_seller_percent":"100"}' in params["biz_content"]


def test_paying_at_once_sends_no_instalment_parameters(client, page_pay, order):
    plan(order.cohort)
    client.post(f"/pay/{order.number}/", {"method": "alipay:3"})

    location = client.post(f"/pay/{order.number}/", {"method": "alipay"})["Location"]

    assert "extend_params" not in biz_content(location)
    order.refresh_from_db()
    assert order.instalments is None  # the payment started last is the one the order records


def test_the_payment_page_offers_the_allowed_periods_under_alipay(client, page_pay, order):
    plan(order.cohort, periods=(3, 12), fee_payer="seller")

    page = client.get(f"/pay/{order.number}/").text

    assert 'value="alipay:3"' in page and 'value="alipay:12"' in page and 'value="alipay:6"' not in page
    assert "花呗分期 · 3 期（免手续费）" in page


@pytest.mark.parametrize("method", ["alipay:6", "alipay:24", "alipay:x", "manual:3"])
def test_periods_not_allowed_are_refused_next_to_the_field(client, page_pay, payee, order, method):
    plan(order.cohort, periods=(3, 12))
    fake = FakeUrlopen()

    response = client.post(f"/pay/{order.number}/", {"method": method})

    assert response.status_code == 400
    assert "errorlist" in response.text
    assert fake.urls == []
    order.refresh_from_db()
    assert order.instalments is None and order.provider == ""


def test_with_the_precreate_qr_code_instalments_are_not_offered(client, alipay_on, order, monkeypatch):
    plan(order.cohort)
    fake = FakeUrlopen()
    monkeypatch.setattr(alipay, "urlopen", fake)

    page = client.get(f"/pay/{order.number}/").text
    refused = client.post(f"/pay/{order.number}/", {"method": "alipay:3"})

    assert "alipay:3" not in page and "花呗" not in page
    assert refused.status_code == 400 and fake.urls == []
    assert "花呗" not in client.get("/courses/py-7/buy/").text


def test_no_plan_no_instalments(client, page_pay, order):
    assert "alipay:" not in client.get(f"/pay/{order.number}/").text
    assert client.post(f"/pay/{order.number}/", {"method": "alipay:3"}).status_code == 400


def test_the_notification_of_an_instalment_order_applies_as_usual(
    client, founder_client, page_pay, keys, order
):
    plan(order.cohort)
    client.post(f"/pay/{order.number}/", {"method": "alipay:6"})

    response = alipay_post(client, alipay_notification(order, keys["alipay"]))

    assert response.content == b"success"
    order.refresh_from_db()
    assert order.status == Order.Status.PAID and order.instalments == 6 and order.enrollment_id
    assert "6 期 · 你承担手续费" in founder_client.get(f"/console/orders/{order.number}/").text


def test_sales_page_and_checkout_say_instalments_are_possible(client, page_pay, cohort):
    plan(cohort, periods=(3, 6, 12))

    assert "支持花呗分期 3/6/12 期" in client.get("/courses/python-bootcamp/").text
    assert "支持花呗分期 3/6/12 期" in client.get("/courses/py-7/buy/").text


def test_instalments_switched_off_say_nothing(client, page_pay, cohort):
    plan(cohort, periods=())
    assert "花呗" not in client.get("/courses/python-bootcamp/").text


# --- the founder's setting -----------------------------------------------------------------


def test_the_founder_allows_instalments_on_the_cohorts_price_page(founder_client, page_pay, cohort):
    url = f"/console/prices/{cohort.pk}/"
    response = founder_client.post(
        url, {"form": "instalments", "hb-periods": ["12", "3"], "hb-fee_payer": "seller"}
    )

    assert response.status_code == 302
    saved = InstalmentPlan.objects.get(cohort=cohort)
    assert saved.periods == [3, 12] and saved.fee_payer == "seller"
    page = founder_client.get(url).text
    assert (
        'value="12" id="id_hb-periods_2" checked' in page
        and 'value="6" id="id_hb-periods_1" checked' not in page
    )

    founder_client.post(url, {"form": "instalments", "hb-fee_payer": "buyer"})
    saved.refresh_from_db()
    assert saved.periods == [] and saved.fee_payer == "buyer"


def test_an_unknown_number_of_periods_is_refused(founder_client, page_pay, cohort):
    response = founder_client.post(
        f"/console/prices/{cohort.pk}/",
        {"form": "instalments", "hb-periods": ["5"], "hb-fee_payer": "seller"},
    )
    assert response.status_code == 400 and "errorlist" in response.text
    assert not InstalmentPlan.objects.exists()


def test_the_console_says_why_the_qr_code_cannot_take_instalments(founder_client, alipay_on, cohort):
    page = founder_client.get(f"/console/prices/{cohort.pk}/").text
    assert "ALIPAY_PRODUCT=page" in page


@pytest.mark.parametrize("who", ["student_client", "outsider_client", "client"])
def test_only_the_founder_sets_instalments(request, who, page_pay, cohort):
    client = request.getfixturevalue(who)
    response = client.post(
        f"/console/prices/{cohort.pk}/",
        {"form": "instalments", "hb-periods": ["3"], "hb-fee_payer": "seller"},
    )
    assert response.status_code in (302, 403, 404)
    assert not InstalmentPlan.objects.exists()
